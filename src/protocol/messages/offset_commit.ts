// OffsetCommit (key 8), versions 0-9, flexible from v8 (Kafka 3.9 OffsetCommitRequest/Response.json).
// v1 only: per-partition CommitTimestamp; v2-4: RetentionTimeMs (-1 = broker default); v6+ CommittedLeaderEpoch;
// v7+ GroupInstanceId; v9+ GenerationIdOrMemberEpoch carries the member epoch of the new consumer protocol.
import { ApiKey } from "../api_keys.ts";
import { arrayOf, defineApi, field, type RequestOf, type ResponseOf } from "../schema.ts";

export const OffsetCommitSpec = defineApi({
  key: ApiKey.OffsetCommit,
  name: "OffsetCommit",
  minVersion: 0,
  maxVersion: 9,
  flexibleFrom: 8,
  request: [
    field("groupId", "string"),
    // -1 for a simple (non-member) commit.
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
});

export type OffsetCommitRequest = RequestOf<typeof OffsetCommitSpec>;
export type OffsetCommitRequestPartition = OffsetCommitRequest["topics"][number]["partitions"][number];
export type OffsetCommitResponse = ResponseOf<typeof OffsetCommitSpec>;
