// ListOffsets (key 2), versions 0-9, flexible from v6 (Kafka 3.9 ListOffsetsRequest/Response.json).
// v0 asks for up to MaxNumOffsets offsets and answers with OldStyleOffsets; v1+ returns one timestamp/offset.
// Special timestamps: -1 latest, -2 earliest, -3 max timestamp (v7+), -4 local log start (v8+), -5 last tiered (v9+).
import { ApiKey } from "../api_keys.ts";
import { type ApiSpec, arrayOf, field } from "../schema.ts";

export interface ListOffsetsRequestPartition {
  partitionIndex: number;
  /** v4+. */
  currentLeaderEpoch: number;
  timestamp: number;
  /** v0 only. */
  maxNumOffsets: number;
}

export interface ListOffsetsRequestTopic {
  name: string;
  partitions: ListOffsetsRequestPartition[];
}

export interface ListOffsetsRequest {
  replicaId: number;
  /** v2+. */
  isolationLevel: number;
  topics: ListOffsetsRequestTopic[];
}

export interface ListOffsetsResponsePartition {
  partitionIndex: number;
  errorCode: number;
  /** v0 only. */
  oldStyleOffsets: number[];
  /** v1+. */
  timestamp: number;
  /** v1+. */
  offset: number;
  /** v4+. */
  leaderEpoch: number;
}

export interface ListOffsetsResponseTopic {
  name: string;
  partitions: ListOffsetsResponsePartition[];
}

export interface ListOffsetsResponse {
  /** v2+. */
  throttleTimeMs: number;
  topics: ListOffsetsResponseTopic[];
}

export const ListOffsetsSpec: ApiSpec = {
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
};
