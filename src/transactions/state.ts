// A transactional id's state as Kafka's TransactionMetadata keeps it, and the state table: which transitions are
// legal. The coordinator (./coordinator.ts) decides with these; the transaction log (./txn_log.ts) stores them.
import type { TopicPartitionRef } from "../cluster/view.ts";

/**
 * Kafka's transaction states, by the names DescribeTransactions and ListTransactions report. PrepareEpochFence
 * is never stored here: Kafka keeps it only as a pending state between fencing an Ongoing transaction's epoch and
 * writing its PrepareAbort; this coordinator writes the bumped epoch and PrepareAbort as one durable step.
 */
export type TxnState =
  | "Empty"
  | "Ongoing"
  | "PrepareCommit"
  | "PrepareAbort"
  | "CompleteCommit"
  | "CompleteAbort"
  | "PrepareEpochFence"
  | "Dead";

export const TXN_STATES: readonly TxnState[] = [
  "Empty",
  "Ongoing",
  "PrepareCommit",
  "PrepareAbort",
  "CompleteCommit",
  "CompleteAbort",
  "PrepareEpochFence",
  "Dead",
];

/** Kafka's RecordBatch.NO_PRODUCER_EPOCH / NO_PRODUCER_ID. */
export const NO_PRODUCER_EPOCH = -1;
export const NO_PRODUCER_ID = -1;
/** Short.MaxValue: an epoch this high cannot be bumped further (Kafka: isEpochExhausted at MaxValue - 1). */
export const MAX_PRODUCER_EPOCH = 32767;

/** Kafka's TransactionMetadata.isEpochExhausted: the next bump would leave no room for a fence. */
export function isEpochExhausted(epoch: number): boolean {
  return epoch >= MAX_PRODUCER_EPOCH - 1;
}

/** One transactional id's metadata: what is stored, as one value (replaced whole on every transition). */
export interface TxnMetadata {
  readonly transactionalId: string;
  readonly producerId: number;
  /** The producer id before a rotation (epoch exhaustion), so a retried KIP-360 init is recognised; -1: none. */
  readonly previousProducerId: number;
  readonly producerEpoch: number;
  /** The epoch before the last bump, so a retried InitProducerId is answered the same; -1: none. */
  readonly lastProducerEpoch: number;
  readonly timeoutMs: number;
  readonly state: TxnState;
  /** Partitions of the current (or, in Prepare*, ending) transaction; empty otherwise. */
  readonly partitions: readonly TopicPartitionRef[];
  /** When the current transaction began (its first AddPartitions), or -1. */
  readonly startMs: number;
  readonly lastUpdateMs: number;
}

/** Legal previous states for each state (Kafka's TransactionState.validPreviousStates). */
const PREVIOUS: Readonly<Record<TxnState, readonly TxnState[]>> = {
  Empty: ["Empty", "CompleteCommit", "CompleteAbort"],
  Ongoing: ["Ongoing", "Empty", "CompleteCommit", "CompleteAbort"],
  PrepareCommit: ["Ongoing"],
  PrepareAbort: ["Ongoing", "PrepareEpochFence"],
  CompleteCommit: ["PrepareCommit"],
  CompleteAbort: ["PrepareAbort"],
  PrepareEpochFence: ["Ongoing"],
  Dead: ["Empty", "CompleteCommit", "CompleteAbort"],
};

/** Whether `from` → `to` is a transition Kafka's state table allows. */
export function canTransition(from: TxnState, to: TxnState): boolean {
  return PREVIOUS[to].includes(from);
}

/** Ongoing or ending: the transaction holds back the LSO of its partitions. */
export function isOpen(state: TxnState): boolean {
  return state === "Ongoing" || state === "PrepareCommit" || state === "PrepareAbort";
}

/** Prepare*: markers are being written; the id answers CONCURRENT_TRANSACTIONS until they are. */
export function isPreparing(state: TxnState): boolean {
  return state === "PrepareCommit" || state === "PrepareAbort";
}

/** No transaction in progress: a new one may begin, the id may expire. */
export function isIdle(state: TxnState): boolean {
  return state === "Empty" || state === "CompleteCommit" || state === "CompleteAbort";
}

/** Partition sets as the coordinator keeps them: deduplicated and sorted, so stored documents compare equal. */
export function mergePartitions(
  a: readonly TopicPartitionRef[],
  b: readonly TopicPartitionRef[],
): TopicPartitionRef[] {
  const seen = new Map<string, TopicPartitionRef>();
  for (const tp of [...a, ...b]) {
    seen.set(`${tp.topic}\u0000${tp.partition}`, { topic: tp.topic, partition: tp.partition });
  }
  return [...seen.values()].sort((x, y) =>
    x.topic < y.topic ? -1 : x.topic > y.topic ? 1 : x.partition - y.partition
  );
}

/** Whether every partition of `sub` is in `set`. */
export function containsAll(set: readonly TopicPartitionRef[], sub: readonly TopicPartitionRef[]): boolean {
  return sub.every((tp) => set.some((s) => s.topic === tp.topic && s.partition === tp.partition));
}

/** A transactional id's state when InitProducerId first names it: a fresh producer id, no epoch yet, Empty. */
export function newTxnMetadata(
  transactionalId: string,
  producerId: number,
  timeoutMs: number,
  now: number,
): TxnMetadata {
  return {
    transactionalId,
    producerId,
    previousProducerId: NO_PRODUCER_ID,
    producerEpoch: NO_PRODUCER_EPOCH,
    lastProducerEpoch: NO_PRODUCER_EPOCH,
    timeoutMs,
    state: "Empty",
    partitions: [],
    startMs: -1,
    lastUpdateMs: now,
  };
}

/**
 * What InitProducerId does to the producer of an idle id (Empty or Complete*), given the producer id and epoch the
 * producer holds (`expected`, v3+, KIP-360; null for a new producer): "rotate" to a new producer id at epoch 0
 * (the epoch is exhausted), "bump" the epoch (fencing the previous producer), "same" (a retry of a bump it already
 * got), or "fenced" (a stale epoch).
 */
export function producerBump(
  m: TxnMetadata,
  expected: { readonly producerId: number; readonly producerEpoch: number } | null,
): "rotate" | "bump" | "same" | "fenced" {
  if (
    isEpochExhausted(m.producerEpoch) && (expected === null || expected.producerEpoch === m.producerEpoch)
  ) {
    return "rotate";
  }
  if (
    expected === null || m.producerEpoch === NO_PRODUCER_EPOCH || expected.producerEpoch === m.producerEpoch
  ) {
    return "bump";
  }
  return expected.producerEpoch === m.lastProducerEpoch ? "same" : "fenced";
}
