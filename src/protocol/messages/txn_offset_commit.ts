// TxnOffsetCommit (key 28), versions 0-4, flexible from v3 (Kafka TxnOffsetCommitRequest/Response.json, 3.8).
// A transactional producer commits a consumer group's offsets inside its transaction (sendOffsetsToTransaction):
// sent to the group's coordinator, which keeps them pending until the transaction's marker. v2 adds the committed
// leader epoch; v3 adds the consumer's generation, member id and group instance id (KIP-447: the coordinator
// fences a producer whose consumer was rebalanced away); v4 is v3's frame, and says the client understands
// TRANSACTION_ABORTABLE (KIP-890).
import { ApiKey } from "../api_keys.ts";
import { arrayOf, defineApi, field, type RequestOf, type ResponseOf } from "../schema.ts";

export const TxnOffsetCommitSpec = defineApi({
  key: ApiKey.TxnOffsetCommit,
  name: "TxnOffsetCommit",
  minVersion: 0,
  maxVersion: 4,
  flexibleFrom: 3,
  request: [
    field("transactionalId", "string"),
    field("groupId", "string"),
    field("producerId", "int64"),
    field("producerEpoch", "int16"),
    // Absent before v3: -1, "" and null, the "not a member" form that skips the KIP-447 checks.
    field("generationId", "int32", "3+", { default: -1 }),
    field("memberId", "string", "3+", { default: "" }),
    field("groupInstanceId", "string", "3+", { nullable: "3+", default: null }),
    field(
      "topics",
      arrayOf([
        field("name", "string"),
        field(
          "partitions",
          arrayOf([
            field("partitionIndex", "int32"),
            field("committedOffset", "int64"),
            field("committedLeaderEpoch", "int32", "2+", { default: -1 }),
            field("committedMetadata", "string", "0+", { nullable: "0+" }),
          ]),
        ),
      ]),
    ),
  ],
  response: [
    field("throttleTimeMs", "int32"),
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

export type TxnOffsetCommitRequest = RequestOf<typeof TxnOffsetCommitSpec>;
export type TxnOffsetCommitResponse = ResponseOf<typeof TxnOffsetCommitSpec>;
