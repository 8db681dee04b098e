// OffsetForLeaderEpoch (key 23), versions 0-4, flexible from v4 (Kafka 3.9 OffsetForLeaderEpochRequest/
// Response.json). v1 adds LeaderEpoch to the response; v2 adds CurrentLeaderEpoch (fencing) and ThrottleTimeMs;
// v3 adds ReplicaId (-1 for consumers; absent means -2, the "debug" replica).
import { ApiKey } from "../api_keys.ts";
import { arrayOf, defineApi, field, type RequestOf, type ResponseOf } from "../schema.ts";

export const OffsetForLeaderEpochSpec = defineApi({
  key: ApiKey.OffsetForLeaderEpoch,
  name: "OffsetForLeaderEpoch",
  minVersion: 0,
  maxVersion: 4,
  flexibleFrom: 4,
  request: [
    // -1 for consumers, a broker id for followers, -2 when absent.
    field("replicaId", "int32", "3+", { default: -2 }),
    field(
      "topics",
      arrayOf([
        field("topic", "string", "0+", { mapKey: true }),
        field(
          "partitions",
          arrayOf([
            field("partition", "int32"),
            // -1 = no fencing.
            field("currentLeaderEpoch", "int32", "2+", { default: -1 }),
            field("leaderEpoch", "int32"),
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
        field("topic", "string", "0+", { mapKey: true }),
        field(
          "partitions",
          arrayOf([
            field("errorCode", "int16"),
            field("partition", "int32"),
            field("leaderEpoch", "int32", "1+", { default: -1 }),
            field("endOffset", "int64"),
          ]),
        ),
      ]),
    ),
  ],
});

export type OffsetForLeaderEpochRequest = RequestOf<typeof OffsetForLeaderEpochSpec>;
export type OffsetForLeaderEpochResponse = ResponseOf<typeof OffsetForLeaderEpochSpec>;
export type OffsetForLeaderEpochResponseTopic = OffsetForLeaderEpochResponse["topics"][number];
export type OffsetForLeaderEpochResponsePartition = OffsetForLeaderEpochResponseTopic["partitions"][number];
