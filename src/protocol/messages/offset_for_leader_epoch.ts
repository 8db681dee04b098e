// OffsetForLeaderEpoch (key 23), versions 0-4, flexible from v4 (Kafka 3.9 OffsetForLeaderEpochRequest/
// Response.json). v1 adds LeaderEpoch to the response; v2 adds CurrentLeaderEpoch (fencing) and ThrottleTimeMs;
// v3 adds ReplicaId (-1 for consumers; absent means -2, the "debug" replica).
import { ApiKey } from "../api_keys.ts";
import { type ApiSpec, arrayOf, field } from "../schema.ts";

export interface OffsetForLeaderEpochRequestPartition {
  partition: number;
  /** v2+; -1 = no fencing. */
  currentLeaderEpoch: number;
  leaderEpoch: number;
}

export interface OffsetForLeaderEpochRequestTopic {
  topic: string;
  partitions: OffsetForLeaderEpochRequestPartition[];
}

export interface OffsetForLeaderEpochRequest {
  /** v3+; -1 for consumers, a broker id for followers, -2 when absent. */
  replicaId: number;
  topics: OffsetForLeaderEpochRequestTopic[];
}

export interface OffsetForLeaderEpochResponsePartition {
  errorCode: number;
  partition: number;
  /** v1+. */
  leaderEpoch: number;
  endOffset: number;
}

export interface OffsetForLeaderEpochResponseTopic {
  topic: string;
  partitions: OffsetForLeaderEpochResponsePartition[];
}

export interface OffsetForLeaderEpochResponse {
  /** v2+. */
  throttleTimeMs: number;
  topics: OffsetForLeaderEpochResponseTopic[];
}

export const OffsetForLeaderEpochSpec: ApiSpec = {
  key: ApiKey.OffsetForLeaderEpoch,
  name: "OffsetForLeaderEpoch",
  minVersion: 0,
  maxVersion: 4,
  flexibleFrom: 4,
  request: [
    field("replicaId", "int32", "3+", { default: -2 }),
    field(
      "topics",
      arrayOf([
        field("topic", "string"),
        field(
          "partitions",
          arrayOf([
            field("partition", "int32"),
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
        field("topic", "string"),
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
};
