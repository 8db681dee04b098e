// TxnOffsetCommit (v0-4): a transactional producer's sendOffsetsToTransaction, served by the group's coordinator
// (src/groups/coordinator.ts txnCommit: pending offsets until the transaction's marker). Here: the request's
// shape, and KIP-890 part 1 as Kafka 3.8+ does it for this API — before the offsets are stored, the transaction's
// coordinator (broker.txnVerifier, here or on another gateway) confirms that the group's `__consumer_offsets`
// partition is in the producer's ongoing transaction (AddOffsetsToTxn put it there), so a zombie's late commit
// cannot land in a later transaction of the same producer id.
//
// Verification errors are answered as Kafka's AddPartitionsToTxnManager and group coordinator translate them for
// this API: the transaction coordinator's own retriable errors (not its coordinator, loading, a transaction still
// completing, unreachable) become COORDINATOR_NOT_AVAILABLE, which the client retries after looking the group
// coordinator up again; PRODUCER_FENCED becomes INVALID_PRODUCER_EPOCH. "Not in the transaction"
// (INVALID_TXN_STATE) is TRANSACTION_ABORTABLE for v4+ clients, which abort instead of failing fatally.
import type { Handler } from "../request/context.ts";
import type {
  TxnOffsetCommitRequest,
  TxnOffsetCommitResponse,
} from "../protocol/messages/txn_offset_commit.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { offsetKey } from "../storage/group_store.ts";
import { CONSUMER_OFFSETS_TOPIC } from "../cluster/view.ts";
import type { TxnVerifier } from "../transactions/contracts.ts";

/** The first version whose clients understand TRANSACTION_ABORTABLE (KIP-890). */
const ABORTABLE_FROM = 4;

/** Transaction-coordinator errors that only mean "try again" to a TxnOffsetCommit client. */
const RETRIABLE = new Set<number>([
  ErrorCode.NOT_COORDINATOR,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCode.CONCURRENT_TRANSACTIONS,
  ErrorCode.NOT_ENOUGH_REPLICAS,
  ErrorCode.REQUEST_TIMED_OUT,
]);

/** A verification failure as this API answers it. */
export function verificationError(e: unknown): KafkaError {
  if (!(e instanceof KafkaError)) {
    return new KafkaError(
      ErrorCode.COORDINATOR_NOT_AVAILABLE,
      `transaction verification failed: ${String(e)}`,
    );
  }
  if (RETRIABLE.has(e.code)) return new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, e.message);
  if (e.code === ErrorCode.PRODUCER_FENCED) {
    return new KafkaError(ErrorCode.INVALID_PRODUCER_EPOCH, e.message);
  }
  return e;
}

function verifier(
  v: TxnVerifier | null | undefined,
  req: TxnOffsetCommitRequest,
  offsetsPartition: number,
): (() => Promise<void>) | null {
  if (v === null || v === undefined) return null;
  const tp = { topic: CONSUMER_OFFSETS_TOPIC, partition: offsetsPartition };
  return () =>
    v.verify(req.transactionalId, req.producerId, req.producerEpoch, tp).catch((e) => {
      throw verificationError(e);
    });
}

export const txnOffsetCommitHandler: Handler<TxnOffsetCommitRequest, TxnOffsetCommitResponse> = async (
  ctx,
  req,
) => {
  const { broker } = ctx;
  const v = ctx.header.apiVersion;
  const codes = await broker.coordinator.txnCommit({
    groupId: req.groupId,
    producerId: req.producerId,
    producerEpoch: req.producerEpoch,
    // Absent before v3: no group metadata, which the coordinator does not check (KIP-447).
    generationId: req.generationId ?? -1,
    memberId: req.memberId ?? "",
    groupInstanceId: req.groupInstanceId ?? null,
    offsets: req.topics.flatMap((t) =>
      t.partitions.map((p) => ({
        topic: t.name,
        partition: p.partitionIndex,
        offset: p.committedOffset,
        leaderEpoch: p.committedLeaderEpoch ?? -1,
        metadata: p.committedMetadata,
      }))
    ),
    verify: verifier(broker.txnVerifier, req, broker.cluster.coordinatorPartition(req.groupId)),
  });
  const answer = (code: number) =>
    code === ErrorCode.INVALID_TXN_STATE && v >= ABORTABLE_FROM ? ErrorCode.TRANSACTION_ABORTABLE : code;
  return {
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partitionIndex,
        errorCode: answer(codes.get(offsetKey(t.name, p.partitionIndex)) ?? ErrorCode.UNKNOWN_SERVER_ERROR),
      })),
    })),
  };
};
