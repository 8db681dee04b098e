// What the transaction coordinator (./coordinator.ts) is built with, Kafka's defaults for it, and the shapes it
// shows transactions in (DescribeTransactions, ListTransactions, metrics, the dashboard).
import type { ClusterView, TopicPartitionRef } from "../cluster/view.ts";
import type { DocumentStore } from "../storage/documents.ts";
import type { Logger } from "../log.ts";
import type { MarkerWriter } from "./contracts.ts";
import type { TxnMetadata, TxnState } from "./state.ts";
import type { TxnStateMirror } from "./state_topic/view.ts";

/** Kafka's transaction.max.timeout.ms default (15 minutes). */
export const DEFAULT_MAX_TIMEOUT_MS = 900_000;
/** Kafka's transactional.id.expiration.ms default (7 days). */
export const DEFAULT_ID_EXPIRATION_MS = 7 * 24 * 3600_000;
/** Kafka's transaction.abort.timed.out.transaction.cleanup.interval.ms default. */
export const DEFAULT_ABORT_CHECK_INTERVAL_MS = 10_000;
/** Kafka's transaction.remove.expired.transaction.cleanup.interval.ms default. */
export const DEFAULT_EXPIRATION_CHECK_INTERVAL_MS = 3600_000;
/** How long EndTxn waits for its markers before answering anyway. */
export const DEFAULT_END_TXN_WAIT_MS = 5_000;

export interface TxnCoordinatorOptions {
  readonly documents: DocumentStore;
  /** Issues producer ids never handed out before (ProducerManager.newProducerId). */
  readonly producerIds: { newProducerId(): Promise<number> };
  readonly cluster: ClusterView;
  readonly markers: MarkerWriter;
  readonly log: Logger;
  /** `__consumer_offsets` partition count: a solo gateway holds them all. */
  readonly offsetsPartitions: number;
  readonly maxTimeoutMs?: number;
  readonly idExpirationMs?: number;
  readonly abortCheckIntervalMs?: number;
  readonly expirationCheckIntervalMs?: number;
  /**
   * How long EndTxn waits for the markers and Complete* before it answers anyway (the outcome is durable once
   * Prepare* is): default 5 s; 0 answers at once, as Kafka does.
   */
  readonly endTxnWaitMs?: number;
  /** First wait before markers that failed are sent again (doubles up to 5 s). */
  readonly markerRetryMs?: number;
  /**
   * Whether a partition still exists: a partition whose leader answers UNKNOWN_TOPIC_OR_PARTITION and that this
   * says is gone gets no marker (a deleted topic; Kafka drops it from the transaction too). Absent: every
   * partition is retried until its marker is written.
   */
  readonly partitionExists?: (tp: TopicPartitionRef) => boolean;
  /** Wall clock in ms (tests drive it). */
  readonly now?: () => number;
  /**
   * The `__transaction_state` topic (state_topic/view.ts): told what each partition's documents held when loaded
   * and every document write and deletion that succeeded, in order; closed with the coordinator.
   */
  readonly mirror?: TxnStateMirror;
}

/** A transaction as DescribeTransactions, ListTransactions, metrics and the dashboard show it. */
export interface TxnView {
  readonly transactionalId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly state: TxnState;
  readonly timeoutMs: number;
  /** When the current transaction began, or -1. */
  readonly startMs: number;
  /** The transaction's partitions; while Prepare*, those still without a marker (as Kafka describes them). */
  readonly partitions: readonly TopicPartitionRef[];
  readonly offsetsPartition: number;
}

export interface TxnStats {
  /** Ids held in memory (this gateway coordinates them). */
  readonly ids: number;
  /** Transactions Ongoing or ending (Prepare*). */
  readonly open: number;
  readonly committed: number;
  readonly aborted: number;
  /** Transactions this coordinator aborted because they outlived their timeout (also counted in aborted). */
  readonly timedOut: number;
}

export interface ListTxnFilter {
  /** Kafka state names; empty: all. */
  readonly states: readonly string[];
  /** Empty: all. */
  readonly producerIds: readonly number[];
  /** < 0: all; else only transactions running longer than this (ListTransactions v1). */
  readonly durationMs: number;
}

/** How a transaction shows: `pendingMarkers` (while Prepare*) stand for its partitions, as Kafka describes them. */
export function txnView(
  m: TxnMetadata,
  offsetsPartition: number,
  pendingMarkers: readonly TopicPartitionRef[] | null,
): TxnView {
  return {
    transactionalId: m.transactionalId,
    producerId: m.producerId,
    producerEpoch: m.producerEpoch,
    state: m.state,
    timeoutMs: m.timeoutMs,
    startMs: m.startMs,
    partitions: pendingMarkers ?? m.partitions,
    offsetsPartition,
  };
}

/** Whether ListTransactions with `filter` lists `t` at `now`. */
export function listed(t: TxnView, filter: ListTxnFilter, now: number): boolean {
  return (filter.states.length === 0 || filter.states.includes(t.state)) &&
    (filter.producerIds.length === 0 || filter.producerIds.includes(t.producerId)) &&
    (filter.durationMs < 0 || (t.startMs >= 0 && now - t.startMs > filter.durationMs));
}

/** The coordinator's settings with Kafka's defaults where the options leave them out. */
export interface ResolvedTxnOptions {
  readonly now: () => number;
  readonly maxTimeoutMs: number;
  readonly idExpirationMs: number;
  readonly abortCheckIntervalMs: number;
  readonly expirationCheckIntervalMs: number;
  readonly endTxnWaitMs: number;
  readonly markerRetryMs: number;
}

export function withDefaults(o: TxnCoordinatorOptions): ResolvedTxnOptions {
  return {
    now: o.now ?? Date.now,
    maxTimeoutMs: o.maxTimeoutMs ?? DEFAULT_MAX_TIMEOUT_MS,
    idExpirationMs: o.idExpirationMs ?? DEFAULT_ID_EXPIRATION_MS,
    abortCheckIntervalMs: o.abortCheckIntervalMs ?? DEFAULT_ABORT_CHECK_INTERVAL_MS,
    expirationCheckIntervalMs: o.expirationCheckIntervalMs ?? DEFAULT_EXPIRATION_CHECK_INTERVAL_MS,
    endTxnWaitMs: o.endTxnWaitMs ?? DEFAULT_END_TXN_WAIT_MS,
    markerRetryMs: o.markerRetryMs ?? 100,
  };
}
