// OffsetFetch (key 9), versions 0-9, flexible from v6 (Kafka 3.9 OffsetFetchRequest/Response.json).
// v0-7 fetch for one group (Topics null = all committed partitions, v2+); v8+ batch several Groups; v9+ adds
// the member id and epoch of the new consumer protocol. v7+ RequireStable waits out pending transactions.
import { ApiKey } from "../api_keys.ts";
import { arrayOf, defineApi, type ElementOf, field, type RequestOf, type ResponseOf } from "../schema.ts";

export const OffsetFetchSpec = defineApi({
  key: ApiKey.OffsetFetch,
  name: "OffsetFetch",
  minVersion: 0,
  maxVersion: 9,
  flexibleFrom: 6,
  request: [
    field("groupId", "string", "0-7"),
    field(
      "topics",
      arrayOf([
        field("name", "string", "0-7"),
        field("partitionIndexes", arrayOf("int32"), "0-7"),
      ]),
      "0-7",
      { nullable: "2-7" },
    ),
    field(
      "groups",
      arrayOf([
        field("groupId", "string", "8+"),
        field("memberId", "string", "9+", { nullable: "9+", default: null }),
        field("memberEpoch", "int32", "9+", { default: -1 }),
        // Null = all committed partitions.
        field(
          "topics",
          arrayOf([
            field("name", "string", "8+"),
            field("partitionIndexes", arrayOf("int32"), "8+"),
          ]),
          "8+",
          { nullable: "8+" },
        ),
      ]),
      "8+",
    ),
    field("requireStable", "bool", "7+", { default: false }),
  ],
  response: [
    field("throttleTimeMs", "int32", "3+"),
    field(
      "topics",
      arrayOf([
        field("name", "string", "0-7"),
        field(
          "partitions",
          arrayOf([
            field("partitionIndex", "int32", "0-7"),
            field("committedOffset", "int64", "0-7"),
            field("committedLeaderEpoch", "int32", "5-7", { default: -1 }),
            field("metadata", "string", "0-7", { nullable: "0-7" }),
            field("errorCode", "int16", "0-7"),
          ]),
          "0-7",
        ),
      ]),
      "0-7",
    ),
    field("errorCode", "int16", "2-7", { default: 0 }),
    field(
      "groups",
      arrayOf([
        field("groupId", "string", "8+"),
        field(
          "topics",
          arrayOf([
            field("name", "string", "8+"),
            field(
              "partitions",
              arrayOf([
                field("partitionIndex", "int32", "8+"),
                field("committedOffset", "int64", "8+"),
                field("committedLeaderEpoch", "int32", "8+", { default: -1 }),
                field("metadata", "string", "8+", { nullable: "8+" }),
                field("errorCode", "int16", "8+"),
              ]),
              "8+",
            ),
          ]),
          "8+",
        ),
        field("errorCode", "int16", "8+", { default: 0 }),
      ]),
      "8+",
    ),
  ],
});

export type OffsetFetchRequest = RequestOf<typeof OffsetFetchSpec>;
export type OffsetFetchResponse = ResponseOf<typeof OffsetFetchSpec>;
export type OffsetFetchResponseGroupTopic = ElementOf<OffsetFetchResponse["groups"]>["topics"][number];
export type OffsetFetchResponseGroupPartition = OffsetFetchResponseGroupTopic["partitions"][number];
