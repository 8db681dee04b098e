// ListOffsets (key 2), versions 0-9, flexible from v6 (Kafka 3.9 ListOffsetsRequest/Response.json).
// v0 asks for up to MaxNumOffsets offsets and answers with OldStyleOffsets; v1+ returns one timestamp/offset.
// Special timestamps: -1 latest, -2 earliest, -3 max timestamp (v7+), -4 local log start (v8+), -5 last tiered (v9+).
import { ApiKey } from "../api_keys.ts";
import { arrayOf, defineApi, field, type RequestOf, type ResponseOf } from "../schema.ts";

export const ListOffsetsSpec = defineApi({
  key: ApiKey.ListOffsets,
  name: "ListOffsets",
  minVersion: 0,
  maxVersion: 9,
  flexibleFrom: 6,
  request: [
    field("replicaId", "int32"),
    field("isolationLevel", "int8", "2+"),
    field(
      "topics",
      arrayOf([
        field("name", "string"),
        field(
          "partitions",
          arrayOf([
            field("partitionIndex", "int32"),
            field("currentLeaderEpoch", "int32", "4+", { default: -1 }),
            field("timestamp", "int64"),
            field("maxNumOffsets", "int32", "0", { default: 1 }),
          ]),
        ),
      ]),
    ),
  ],
  response: [
    field("throttleTimeMs", "int32", "2+"),
    field(
      "topics",
      arrayOf([
        field("name", "string"),
        field(
          "partitions",
          arrayOf([
            field("partitionIndex", "int32"),
            field("errorCode", "int16"),
            field("oldStyleOffsets", arrayOf("int64"), "0"),
            field("timestamp", "int64", "1+", { default: -1 }),
            field("offset", "int64", "1+", { default: -1 }),
            field("leaderEpoch", "int32", "4+", { default: -1 }),
          ]),
        ),
      ]),
    ),
  ],
});

export type ListOffsetsRequest = RequestOf<typeof ListOffsetsSpec>;
export type ListOffsetsResponse = ResponseOf<typeof ListOffsetsSpec>;
export type ListOffsetsResponsePartition = ListOffsetsResponse["topics"][number]["partitions"][number];
