// OffsetCommit (key 8), versions 0-9, flexible from v8 (Kafka 3.9 OffsetCommitRequest/Response.json).
// v1 only: per-partition CommitTimestamp; v2-4: RetentionTimeMs (-1 = broker default); v6+ CommittedLeaderEpoch;
// v7+ GroupInstanceId; v9+ GenerationIdOrMemberEpoch carries the member epoch of the new consumer protocol.
import { ApiKey } from "../api_keys.ts";
import { type ApiSpec, arrayOf, field } from "../schema.ts";

export interface OffsetCommitRequestPartition {
  partitionIndex: number;
  committedOffset: number;
  /** v6+. */
  committedLeaderEpoch: number;
  /** v1 only. */
  commitTimestamp: number;
  committedMetadata: string | null;
}

export interface OffsetCommitRequestTopic {
  name: string;
  partitions: OffsetCommitRequestPartition[];
}

export interface OffsetCommitRequest {
  groupId: string;
  /** v1+; -1 for a simple (non-member) commit. */
  generationIdOrMemberEpoch: number;
  /** v1+. */
  memberId: string;
  /** v7+. */
  groupInstanceId: string | null;
  /** v2-4. */
  retentionTimeMs: number;
  topics: OffsetCommitRequestTopic[];
}

export interface OffsetCommitResponsePartition {
  partitionIndex: number;
  errorCode: number;
}

export interface OffsetCommitResponseTopic {
  name: string;
  partitions: OffsetCommitResponsePartition[];
}

export interface OffsetCommitResponse {
  /** v3+. */
  throttleTimeMs: number;
  topics: OffsetCommitResponseTopic[];
}

export const OffsetCommitSpec: ApiSpec = {
  key: ApiKey.OffsetCommit,
  name: "OffsetCommit",
  minVersion: 0,
  maxVersion: 9,
  flexibleFrom: 8,
  request: [
    field("groupId", "string"),
    field("generationIdOrMemberEpoch", "int32", "1+", { default: -1 }),
    field("memberId", "string", "1+"),
    field("groupInstanceId", "string", "7+", { nullable: "7+", default: null }),
    field("retentionTimeMs", "int64", "2-4", { default: -1 }),
    field(
      "topics",
      arrayOf([
        field("name", "string"),
        field(
          "partitions",
          arrayOf([
            field("partitionIndex", "int32"),
            field("committedOffset", "int64"),
            field("committedLeaderEpoch", "int32", "6+", { default: -1 }),
            field("commitTimestamp", "int64", "1", { default: -1 }),
            field("committedMetadata", "string", "0+", { nullable: "0+" }),
          ]),
        ),
      ]),
    ),
  ],
  response: [
    field("throttleTimeMs", "int32", "3+"),
    field(
      "topics",
      arrayOf([
        field("name", "string"),
        field(
          "partitions",
          arrayOf([
            field("partitionIndex", "int32"),
            field("errorCode", "int16"),
          ]),
        ),
      ]),
    ),
  ],
};
