// The produce path of an idempotent batch: the sequence check, Storage.append and the state update run as ONE
// serialized step per partition (AppendQueue), whatever the backend awaits inside (SeaweedMQ encodes and waits for
// the broker's ack; the embedded log waits for fsync under "always"). The next idempotent batch of the partition is
// checked only once the previous one's outcome is in the state, so it is checked against what was stored: a failed
// append can never leave a later batch of the producer stored behind a gap, and no backend has to keep concurrent
// calls in order for sequence numbers to follow offsets. Batches without a producer id have no sequence state and
// do not queue here (their order among producers is arbitrary, as in Kafka). Transaction markers queue with them
// (appendMarker): a marker is checked against, and recorded in, the same state as the producer's batches.
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import type { BatchInfo } from "../records/batch_info.ts";
import type { AppendRequest, Storage, TopicMeta } from "../storage/storage.ts";
import { buildMarkerBatch } from "../records/control.ts";
import type { ProducerManager } from "./manager.ts";
import type { BatchMetadata, MarkerInput, PartitionProducerState, VerificationGuard } from "./state.ts";

export interface IdempotentAppendResult {
  readonly baseOffset: number;
  readonly logStartOffset: number;
  /** Set when the batch was a retry of one already stored: nothing was written. */
  readonly duplicate: BatchMetadata | null;
}

/** The part of the storage backend the append step uses. */
export type AppendStorage = Pick<Storage, "append" | "offsets">;

/**
 * Runs the steps given to it for one partition one after another. Idle (nothing queued), a step starts at once, in
 * the caller's tick, so an uncontended append is issued without an extra turn of the event loop. Two promises per
 * step, nothing per record.
 */
export class AppendQueue {
  /** Settles after the last queued step; null when idle. */
  private tail: Promise<void> | null = null;
  private queued = 0;
  private readonly settled = (): void => {
    if (--this.queued === 0) this.tail = null;
  };

  run<T>(step: () => Promise<T>): Promise<T> {
    const p = this.tail === null ? step() : this.tail.then(step);
    this.queued++;
    this.tail = p.then(this.settled, this.settled);
    return p;
  }
}

/** One queue per partition, keyed by its producer state (a reloaded or re-created partition gets a new one). */
const queues = new WeakMap<PartitionProducerState, AppendQueue>();

function appendQueueOf(state: PartitionProducerState): AppendQueue {
  let q = queues.get(state);
  if (q === undefined) {
    q = new AppendQueue();
    queues.set(state, q);
  }
  return q;
}

/**
 * Appends the idempotent (or transactional) batch `batch` of `req` through the partition's serialized step.
 * `verify` is given for a transactional batch: when the producer has no ongoing transaction in the partition it
 * is awaited first (KIP-890: the coordinator confirms the partition is in the transaction) under a verification
 * guard, and the batch is appended only if no marker of the producer was written meanwhile (INVALID_TXN_STATE).
 */
export async function appendIdempotent(
  storage: AppendStorage,
  producers: ProducerManager,
  topic: TopicMeta,
  partition: number,
  req: AppendRequest,
  batch: BatchInfo,
  verify: (() => Promise<void>) | null = null,
): Promise<IdempotentAppendResult> {
  const s = producers.partition(topic, partition);
  const state = s instanceof Promise ? await s : s;
  let guard: VerificationGuard | null = null;
  if (verify !== null && !state.inTransaction(batch.producerId)) {
    guard = state.startVerification(batch.producerId);
    try {
      await verify();
    } catch (e) {
      state.endVerification(guard);
      throw e;
    }
  }
  let r: IdempotentAppendResult;
  try {
    r = await appendQueueOf(state).run(() =>
      checkAndAppend(storage, state, topic, partition, req, batch, guard)
    );
  } finally {
    if (guard !== null) state.endVerification(guard);
  }
  if (r.duplicate === null) return r;
  // Answered outside the queue: a duplicate writes nothing, so the next batch need not wait for this lookup.
  const d = r.duplicate;
  if (d.pending !== null) await d.pending; // not expected (appends queue), kept for a state shared otherwise
  if (d.firstOffset < 0) {
    throw new KafkaError(
      ErrorCode.KAFKA_STORAGE_ERROR,
      "The first attempt of this batch failed while the retry arrived; retry again",
    );
  }
  const o = await storage.offsets(topic.name, partition);
  return { baseOffset: d.firstOffset, logStartOffset: o.logStartOffset, duplicate: d };
}

/** The serialized step: check, then append and record the outcome (or forget the reservation on failure). */
async function checkAndAppend(
  storage: AppendStorage,
  state: PartitionProducerState,
  topic: TopicMeta,
  partition: number,
  req: AppendRequest,
  batch: BatchInfo,
  guard: VerificationGuard | null,
): Promise<IdempotentAppendResult> {
  const verdict = state.check(batch, Date.now(), guard);
  if (verdict.kind === "duplicate") return { baseOffset: -1, logStartOffset: -1, duplicate: verdict.batch };
  const r = verdict.reservation;
  try {
    const res = await storage.append(topic.name, partition, req);
    state.complete(r, res.baseOffset);
    return { baseOffset: res.baseOffset, logStartOffset: res.logStartOffset, duplicate: null };
  } catch (e) {
    state.abort(r);
    throw e;
  }
}

/**
 * Appends a COMMIT/ABORT marker for `marker`'s producer through the partition's serialized step: checked against
 * the producer state (INVALID_PRODUCER_EPOCH, TRANSACTION_COORDINATOR_FENCED), appended as a control batch, and
 * the transaction ended in the state once stored. Resolves with the marker's offset.
 */
export async function appendMarker(
  storage: AppendStorage,
  producers: ProducerManager,
  topic: TopicMeta,
  partition: number,
  marker: MarkerInput,
  logAppendTime = false,
): Promise<number> {
  const s = producers.partition(topic, partition);
  const state = s instanceof Promise ? await s : s;
  return await appendQueueOf(state).run(async () => {
    const ticket = state.beginMarker(marker);
    try {
      const res = await storage.append(
        topic.name,
        partition,
        buildMarkerBatch(marker, Date.now(), logAppendTime),
      );
      state.completeMarker(ticket, res.baseOffset, Date.now());
      return res.baseOffset;
    } catch (e) {
      state.abortMarker(ticket);
      throw e;
    }
  });
}
