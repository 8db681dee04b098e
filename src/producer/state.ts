// Idempotent-producer state of one partition: per producer id its current epoch and the metadata of its last
// five batches (Kafka's ProducerStateEntry), the sequence rules applied to a produced batch before it is appended,
// replay of stored batch headers (recovery) and a compact binary snapshot. Backend-independent: it never touches
// storage; the manager (manager.ts) feeds it and append.ts runs check() -> append -> complete()/abort() as one
// serialized step per partition.
//
// Rules (Kafka 2.5+ / KIP-360, ProducerAppendInfo for client appends):
// - a batch whose epoch and [firstSeq, lastSeq] match one of the producer's cached batches is a duplicate: it is
//   not written again and is answered with the original base offset (never DUPLICATE_SEQUENCE_NUMBER);
// - epoch below the producer's current epoch → INVALID_PRODUCER_EPOCH;
// - a higher epoch must start at sequence 0 → else OUT_OF_ORDER_SEQUENCE_NUMBER;
// - the same epoch must continue at lastSeq + 1 (wrapping after 2^31-1 to 0) → else OUT_OF_ORDER_SEQUENCE_NUMBER;
// - a producer id with no state here (new, or expired) is accepted at any sequence: since KIP-360 brokers no
//   longer answer UNKNOWN_PRODUCER_ID; the state starts from that batch.
//
// Transactions (Kafka's ProducerAppendInfo and ProducerStateManager): a transactional batch of a producer with no
// ongoing transaction here starts one at its offset; a non-transactional batch while one is ongoing is
// INVALID_TXN_STATE; a COMMIT/ABORT marker ends it (an ABORT adds (producerId, firstOffset, marker offset) to the
// aborted-transaction index) and is refused with INVALID_PRODUCER_EPOCH below the producer's epoch or
// TRANSACTION_COORDINATOR_FENCED below the coordinator epoch it last saw; a marker of a higher epoch bumps the
// producer's epoch (fencing its zombie). The last stable offset is the first offset of the oldest ongoing
// transaction, or the high watermark. KIP-890 part 1: the batch that starts a transaction is appended only under a
// verification guard taken before the coordinator was asked and not cleared since by a marker of that producer.
import { Reader, Writer } from "../protocol/codec.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { crc32c } from "../records/crc32c.ts";
import { ATTR_TRANSACTIONAL } from "../records/layout.ts";

/** Batches remembered per producer for duplicate detection (Kafka: ProducerStateEntry.NUM_BATCHES_TO_RETAIN). */
export const BATCHES_PER_PRODUCER = 5;
const INT32_MAX = 0x7fffffff;

/** Sequence of the last record of a batch: Kafka's DefaultRecordBatch.incrementSequence (wraps to 0). */
export function lastSequence(baseSequence: number, lastOffsetDelta: number): number {
  if (baseSequence > INT32_MAX - lastOffsetDelta) return lastOffsetDelta - (INT32_MAX - baseSequence) - 1;
  return baseSequence + lastOffsetDelta;
}

function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX);
}

/** What check() needs to know about the one idempotent batch of a produce request. */
export interface IdempotentBatch {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly lastOffsetDelta: number;
  readonly maxTimestamp: number;
  /** Batch attributes (only ATTR_TRANSACTIONAL matters here); absent: 0. */
  readonly attributes?: number;
}

/** A COMMIT or ABORT marker (src/transactions/contracts.ts TxnMarker). */
export interface MarkerInput {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly commit: boolean;
  readonly coordinatorEpoch: number;
}

/** An aborted transaction of the partition: its producer, first data offset and ABORT marker offset. */
export interface AbortedTxn {
  readonly producerId: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
}

/**
 * KIP-890 verification guard: taken before the coordinator is asked whether the partition is in the producer's
 * transaction, checked when the batch starting the transaction is appended. A marker of the producer written
 * meanwhile clears it, so a verification that raced with the end of the transaction cannot start a new one.
 */
export interface VerificationGuard {
  readonly producerId: number;
  readonly token: object;
}

/** A marker accepted by beginMarker(): append it, then completeMarker() or abortMarker(). */
export interface MarkerTicket {
  readonly marker: MarkerInput;
  readonly floor: number;
}

export interface BatchMetadata {
  readonly firstSeq: number;
  readonly lastSeq: number;
  /** -1 while the append is in flight. */
  firstOffset: number;
  lastOffset: number;
  /** Batch max timestamp (the append time for LogAppendTime topics). */
  readonly timestamp: number;
  /** Settles when an in-flight append completes; null once it has. */
  pending: Promise<void> | null;
}

export interface ProducerEntry {
  readonly producerId: number;
  epoch: number;
  /** Oldest first, at most BATCHES_PER_PRODUCER; in-flight batches included. */
  batches: BatchMetadata[];
  /** Wall-clock time of the last append (for replayed batches: their timestamp); drives expiration. */
  lastSeenMs: number;
  /** Coordinator epoch of the last marker of this producer here; -1: none seen. */
  coordinatorEpoch: number;
  /**
   * First offset of the producer's ongoing transaction here; -1: none. While the append that starts it is in
   * flight (txnPending) it holds a lower bound of that offset instead.
   */
  txnFirstOffset: number;
  txnPending: boolean;
}

function newEntry(producerId: number, epoch: number, lastSeenMs: number): ProducerEntry {
  return {
    producerId,
    epoch,
    batches: [],
    lastSeenMs,
    coordinatorEpoch: -1,
    txnFirstOffset: -1,
    txnPending: false,
  };
}

/** A batch accepted by check(): the caller appends it and reports the outcome to complete() or abort(). */
export interface Reservation {
  readonly entry: ProducerEntry;
  readonly batch: BatchMetadata;
  readonly lastOffsetDelta: number;
  /** State to restore when the append fails. */
  readonly created: boolean;
  readonly previousEpoch: number;
  readonly previousBatches: BatchMetadata[] | null;
  /** Lower bound on the offset the append will get (snapshot bookkeeping). */
  readonly floor: number;
  /** The batch starts a transaction of its producer here. */
  readonly startsTxn: boolean;
  readonly settle: () => void;
}

export type CheckResult =
  | { readonly kind: "append"; readonly reservation: Reservation }
  | { readonly kind: "duplicate"; readonly batch: BatchMetadata };

function outOfOrder(message: string): KafkaError {
  return new KafkaError(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, message);
}

const NO_ABORTED: readonly AbortedTxn[] = [];

export class PartitionProducerState {
  private readonly producers = new Map<number, ProducerEntry>();
  private readonly inFlight = new Set<Reservation>();
  private readonly markersInFlight = new Set<MarkerTicket>();
  /** Producers with an ongoing (or starting) transaction here. */
  private readonly ongoing = new Map<number, ProducerEntry>();
  /** Aborted transactions in marker order (so sorted by lastOffset). */
  private aborted: AbortedTxn[] = [];
  /** Offset of the last marker applied; -1: none. */
  private lastMarkerOffset = -1;
  /** Verification guards per producer id, with the number of produce requests holding each. */
  private readonly guards = new Map<number, { token: object; users: number }>();
  /** Called when the last stable offset may have moved up (a transaction ended or its start settled). */
  private readonly stableListeners = new Set<() => void>();
  /** Highest high watermark reported to this state (a lower bound of every future append's offset). */
  private knownEnd = 0;
  /** Every idempotent batch below this offset is reflected in the state (see snapshotOffset). */
  private completedEnd: number;
  /** Changed since the last snapshot. */
  dirty = false;

  constructor(readonly name: string, loadedUpTo = 0) {
    this.completedEnd = loadedUpTo;
  }

  get size(): number {
    return this.producers.size;
  }

  entry(producerId: number): ProducerEntry | undefined {
    return this.producers.get(producerId);
  }

  /**
   * Applies the sequence rules to a batch about to be appended. Throws KafkaError(INVALID_PRODUCER_EPOCH or
   * OUT_OF_ORDER_SEQUENCE_NUMBER; INVALID_TXN_STATE for a non-transactional batch while the producer's transaction
   * is ongoing here, or for the batch starting a transaction without `guard`, the producer's verification guard
   * still in place); returns a duplicate (answer with its offsets, append nothing) or a reservation (append it,
   * then call complete() or abort(); append.ts does all three in one serialized step per partition).
   */
  check(b: IdempotentBatch, now: number, guard: VerificationGuard | null = null): CheckResult {
    const pid = b.producerId;
    const epoch = b.producerEpoch;
    const firstSeq = b.baseSequence;
    const lastSeq = lastSequence(firstSeq, b.lastOffsetDelta);
    const entry = this.producers.get(pid);
    if (entry !== undefined) {
      if (epoch === entry.epoch) {
        for (const m of entry.batches) {
          if (m.firstSeq === firstSeq && m.lastSeq === lastSeq) return { kind: "duplicate", batch: m };
        }
      }
      if (epoch < entry.epoch) {
        throw new KafkaError(
          ErrorCode.INVALID_PRODUCER_EPOCH,
          `Epoch ${epoch} of producer ${pid} in ${this.name} is smaller than the last seen epoch ${entry.epoch}`,
        );
      }
      if (epoch > entry.epoch) {
        if (firstSeq !== 0) {
          throw outOfOrder(
            `Invalid sequence number ${firstSeq} for new epoch ${epoch} of producer ${pid} in ${this.name} ` +
              `(current epoch ${entry.epoch}): a new epoch must start at sequence 0`,
          );
        }
      } else {
        const last = entry.batches.length > 0 ? entry.batches[entry.batches.length - 1].lastSeq : -1;
        if (!inSequence(last, firstSeq)) {
          throw outOfOrder(
            `Out of order sequence number for producer ${pid} in ${this.name}: ${firstSeq} ` +
              `(incoming seq. number), ${last} (current end sequence number)`,
          );
        }
      }
    }
    const transactional = ((b.attributes ?? 0) & ATTR_TRANSACTIONAL) !== 0;
    const inTxn = entry !== undefined && entry.txnFirstOffset >= 0;
    if (inTxn && !transactional) {
      throw new KafkaError(
        ErrorCode.INVALID_TXN_STATE,
        `Expected transactional write from producer ${pid} in ${this.name}: its transaction is ongoing`,
      );
    }
    const startsTxn = transactional && !inTxn;
    if (startsTxn) {
      const g = this.guards.get(pid);
      if (guard === null || g === undefined || g.token !== guard.token || guard.producerId !== pid) {
        throw new KafkaError(
          ErrorCode.INVALID_TXN_STATE,
          `Record of producer ${pid} in ${this.name} was not part of an ongoing transaction ` +
            "(the transaction ended while its partition was being verified)",
        );
      }
    }
    const created = entry === undefined;
    const e: ProducerEntry = entry ?? newEntry(pid, epoch, now);
    const previousEpoch = e.epoch;
    let previousBatches: BatchMetadata[] | null = null;
    if (created) this.producers.set(pid, e);
    else if (epoch !== e.epoch) {
      previousBatches = e.batches;
      e.epoch = epoch;
      e.batches = [];
    }
    let settle!: () => void;
    const pending = new Promise<void>((resolve) => (settle = resolve));
    const batch: BatchMetadata = {
      firstSeq,
      lastSeq,
      firstOffset: -1,
      lastOffset: -1,
      timestamp: b.maxTimestamp,
      pending,
    };
    e.batches.push(batch);
    if (e.batches.length > BATCHES_PER_PRODUCER) e.batches.shift();
    e.lastSeenMs = now;
    if (startsTxn) {
      // Until the offset is known the last stable offset stays at or below any offset the append can get.
      e.txnFirstOffset = Math.max(this.completedEnd, this.knownEnd);
      e.txnPending = true;
      this.ongoing.set(pid, e);
    }
    const reservation: Reservation = {
      entry: e,
      batch,
      lastOffsetDelta: b.lastOffsetDelta,
      created,
      previousEpoch,
      previousBatches,
      floor: this.completedEnd,
      startsTxn,
      settle,
    };
    this.inFlight.add(reservation);
    this.dirty = true;
    return { kind: "append", reservation };
  }

  /** The append of a reserved batch succeeded at `baseOffset`. */
  complete(r: Reservation, baseOffset: number): void {
    if (!this.inFlight.delete(r)) return;
    r.batch.firstOffset = baseOffset;
    r.batch.lastOffset = baseOffset + r.lastOffsetDelta;
    r.batch.pending = null;
    if (r.batch.lastOffset + 1 > this.completedEnd) this.completedEnd = r.batch.lastOffset + 1;
    if (r.startsTxn && r.entry.txnPending) {
      r.entry.txnFirstOffset = baseOffset;
      r.entry.txnPending = false;
      this.notifyStable();
    }
    this.dirty = true;
    r.settle();
  }

  /** The append of a reserved batch failed: forget it (a retry is validated afresh). */
  abort(r: Reservation): void {
    if (!this.inFlight.delete(r)) return;
    const e = r.entry;
    if (r.startsTxn && e.txnPending) {
      e.txnFirstOffset = -1;
      e.txnPending = false;
      if (this.ongoing.get(e.producerId) === e) this.ongoing.delete(e.producerId);
      this.notifyStable();
    }
    const i = e.batches.indexOf(r.batch);
    if (i >= 0) e.batches.splice(i, 1);
    if (e.batches.length === 0) {
      if (r.created) {
        if (this.producers.get(e.producerId) === e) this.producers.delete(e.producerId);
      } else if (r.previousBatches !== null && e.epoch !== r.previousEpoch) {
        e.epoch = r.previousEpoch;
        e.batches = r.previousBatches;
      }
    }
    r.settle();
  }

  /**
   * Applies a stored batch found while rebuilding the state from the log (no validation, like Kafka's replication
   * path). Batches must come in offset order; ones already known (snapshot overlap) are skipped.
   */
  replay(
    b: IdempotentBatch & { readonly baseOffset: number },
    lastSeenMs: number,
  ): void {
    const lastOffset = b.baseOffset + b.lastOffsetDelta;
    let e = this.producers.get(b.producerId);
    if (e === undefined) {
      e = newEntry(b.producerId, b.producerEpoch, lastSeenMs);
      this.producers.set(b.producerId, e);
    }
    if (lastOffset + 1 > this.completedEnd) this.completedEnd = lastOffset + 1;
    if (b.producerEpoch < e.epoch) return;
    if (b.producerEpoch > e.epoch) {
      e.epoch = b.producerEpoch;
      e.batches = [];
    }
    for (const m of e.batches) if (m.lastOffset >= lastOffset) return;
    e.batches.push({
      firstSeq: b.baseSequence,
      lastSeq: lastSequence(b.baseSequence, b.lastOffsetDelta),
      firstOffset: b.baseOffset,
      lastOffset,
      timestamp: b.maxTimestamp,
      pending: null,
    });
    if (e.batches.length > BATCHES_PER_PRODUCER) e.batches.shift();
    if (lastSeenMs > e.lastSeenMs) e.lastSeenMs = lastSeenMs;
    if (((b.attributes ?? 0) & ATTR_TRANSACTIONAL) !== 0 && e.txnFirstOffset < 0) {
      e.txnFirstOffset = b.baseOffset;
      e.txnPending = false;
      this.ongoing.set(e.producerId, e);
    }
    this.dirty = true;
  }

  /**
   * Applies a stored COMMIT/ABORT marker found while rebuilding the state (no validation, like Kafka's replication
   * path; a marker below the producer's epoch does not lower it). Markers already reflected (snapshot overlap) are
   * skipped.
   */
  replayMarker(m: MarkerInput, offset: number, lastSeenMs: number): void {
    if (offset + 1 > this.completedEnd) this.completedEnd = offset + 1;
    if (offset <= this.lastMarkerOffset) return;
    this.applyMarker(m, offset, lastSeenMs);
  }

  // ---- transactions ----

  /**
   * Checks a marker about to be appended (Kafka's appendEndTxnMarker for a coordinator's marker): a producer
   * epoch below the producer's current one → INVALID_PRODUCER_EPOCH, a coordinator epoch below the last one seen
   * for the producer → TRANSACTION_COORDINATOR_FENCED. Append the marker, then completeMarker() or abortMarker()
   * (append.ts runs the three as one serialized step with the partition's idempotent appends).
   */
  beginMarker(m: MarkerInput): MarkerTicket {
    const e = this.producers.get(m.producerId);
    if (e !== undefined) {
      if (m.producerEpoch < e.epoch) {
        throw new KafkaError(
          ErrorCode.INVALID_PRODUCER_EPOCH,
          `Epoch of producer ${m.producerId} in ${this.name} is ${m.producerEpoch}, which is smaller than the ` +
            `last seen epoch ${e.epoch}`,
        );
      }
      if (e.coordinatorEpoch > m.coordinatorEpoch) {
        throw new KafkaError(
          ErrorCode.TRANSACTION_COORDINATOR_FENCED,
          `Invalid coordinator epoch for producer ${m.producerId} in ${this.name}: ${m.coordinatorEpoch} ` +
            `(zombie), ${e.coordinatorEpoch} (current)`,
        );
      }
    }
    const ticket: MarkerTicket = { marker: m, floor: this.completedEnd };
    this.markersInFlight.add(ticket);
    return ticket;
  }

  /** The marker's append succeeded at `offset`: the producer's transaction here ends. */
  completeMarker(t: MarkerTicket, offset: number, now: number): void {
    if (!this.markersInFlight.delete(t)) return;
    if (offset + 1 > this.completedEnd) this.completedEnd = offset + 1;
    this.applyMarker(t.marker, offset, now);
  }

  /** The marker's append failed: nothing changes (the coordinator retries). */
  abortMarker(t: MarkerTicket): void {
    this.markersInFlight.delete(t);
  }

  private applyMarker(m: MarkerInput, offset: number, now: number): void {
    let e = this.producers.get(m.producerId);
    if (e === undefined) {
      e = newEntry(m.producerId, m.producerEpoch, now);
      this.producers.set(m.producerId, e);
    }
    const ended = e.txnFirstOffset >= 0 && !e.txnPending;
    if (ended && !m.commit) {
      this.aborted.push({ producerId: m.producerId, firstOffset: e.txnFirstOffset, lastOffset: offset });
    }
    if (!e.txnPending) {
      e.txnFirstOffset = -1;
      if (this.ongoing.get(m.producerId) === e) this.ongoing.delete(m.producerId);
    }
    if (m.producerEpoch > e.epoch) {
      // Kafka's ProducerStateEntry: a new epoch starts with no batch metadata (its first batch has sequence 0).
      e.epoch = m.producerEpoch;
      e.batches = [];
    }
    if (m.coordinatorEpoch > e.coordinatorEpoch) e.coordinatorEpoch = m.coordinatorEpoch;
    if (now > e.lastSeenMs) e.lastSeenMs = now;
    this.guards.delete(m.producerId);
    if (offset > this.lastMarkerOffset) this.lastMarkerOffset = offset;
    this.dirty = true;
    if (ended) this.notifyStable();
  }

  /** Whether `producerId` has an ongoing (or starting) transaction in this partition. */
  inTransaction(producerId: number): boolean {
    return (this.producers.get(producerId)?.txnFirstOffset ?? -1) >= 0;
  }

  /**
   * Takes the KIP-890 verification guard of `producerId` (shared by the requests verifying at the same time) before
   * the coordinator is asked; pass it to check() and release it with endVerification() whatever happened.
   */
  startVerification(producerId: number): VerificationGuard {
    let g = this.guards.get(producerId);
    if (g === undefined) {
      g = { token: {}, users: 0 };
      this.guards.set(producerId, g);
    }
    g.users++;
    return { producerId, token: g.token };
  }

  endVerification(guard: VerificationGuard): void {
    const g = this.guards.get(guard.producerId);
    if (g === undefined || g.token !== guard.token) return; // cleared by a marker meanwhile
    if (--g.users <= 0) this.guards.delete(guard.producerId);
  }

  /**
   * The last stable offset for high watermark `hw`: the first offset of the oldest transaction still ongoing here,
   * or `hw`. Also records `hw` as a lower bound of later appends' offsets.
   */
  lastStableOffset(hw: number): number {
    if (hw > this.knownEnd) this.knownEnd = hw;
    if (this.ongoing.size === 0) return hw;
    return Math.min(this.firstUnstableOffset(), hw);
  }

  /** The first offset of the oldest ongoing transaction here, or Infinity when none is. */
  firstUnstableOffset(): number {
    let first = Infinity;
    for (const e of this.ongoing.values()) if (e.txnFirstOffset < first) first = e.txnFirstOffset;
    return first;
  }

  /**
   * Aborted transactions that a read of [fetchOffset, upperBoundOffset) overlaps, as Fetch returns them
   * (Kafka's TransactionIndex.collectAbortedTxns: lastOffset >= fetchOffset and firstOffset < upperBound).
   */
  abortedTransactions(fetchOffset: number, upperBoundOffset: number): AbortedTxn[] {
    const a = this.aborted;
    if (a.length === 0 || a[a.length - 1].lastOffset < fetchOffset) return [];
    let lo = 0, hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (a[mid].lastOffset < fetchOffset) lo = mid + 1;
      else hi = mid;
    }
    const out: AbortedTxn[] = [];
    for (let i = lo; i < a.length; i++) if (a[i].firstOffset < upperBoundOffset) out.push(a[i]);
    return out;
  }

  /** Every aborted transaction remembered, oldest marker first. */
  abortedIndex(): readonly AbortedTxn[] {
    return this.aborted.length === 0 ? NO_ABORTED : this.aborted;
  }

  /** Forgets aborted transactions whose marker is below the log start offset (retention, DeleteRecords). */
  pruneAborted(logStartOffset: number): void {
    const a = this.aborted;
    if (a.length === 0 || a[0].lastOffset >= logStartOffset) return;
    let i = 0;
    while (i < a.length && a[i].lastOffset < logStartOffset) i++;
    this.aborted = a.slice(i);
    this.dirty = true;
  }

  /** Calls `listener` whenever the last stable offset may have moved up; returns an unsubscribe function. */
  onStable(listener: () => void): () => void {
    this.stableListeners.add(listener);
    return () => this.stableListeners.delete(listener);
  }

  private notifyStable(): void {
    for (const l of [...this.stableListeners]) {
      try {
        l();
      } catch {
        // a listener's failure is its own
      }
    }
  }

  /** The producers known here (DescribeProducers). */
  entries(): IterableIterator<ProducerEntry> {
    return this.producers.values();
  }

  /** Marks the log as scanned up to `offset` (exclusive). */
  scannedTo(offset: number): void {
    if (offset > this.completedEnd) this.completedEnd = offset;
  }

  /**
   * With no append in flight, every idempotent batch below the partition's high watermark `hw` (read just before)
   * has been checked and completed here, so recovery need not replay below it. Returns whether it moved.
   */
  advanceIfIdle(hw: number): boolean {
    if (this.inFlight.size > 0 || this.markersInFlight.size > 0 || hw <= this.completedEnd) return false;
    this.completedEnd = hw;
    return true;
  }

  /**
   * Offset up to which the state reflects every idempotent batch of the log: recovery replays the log from here.
   * In-flight appends land at or above the offset reached when they were checked.
   */
  snapshotOffset(): number {
    let s = this.completedEnd;
    for (const r of this.inFlight) if (r.floor < s) s = r.floor;
    for (const t of this.markersInFlight) if (t.floor < s) s = t.floor;
    return s;
  }

  /** Drops producers not seen for `expirationMs` (Kafka's producer.id.expiration.ms); returns how many. */
  expire(now: number, expirationMs: number): number {
    let n = 0;
    for (const [pid, e] of this.producers) {
      if (now - e.lastSeenMs < expirationMs) continue;
      // Kafka never expires a producer with an ongoing transaction: the transaction keeps the LSO down.
      if (e.txnFirstOffset >= 0 || e.batches.some((m) => m.pending !== null)) continue;
      this.producers.delete(pid);
      n++;
    }
    if (n > 0) this.dirty = true;
    return n;
  }

  // ---- snapshot ----

  /** Encodes the completed part of the state with the offset recovery must replay from. */
  encodeSnapshot(topicId: string, partition: number): Uint8Array {
    const offset = this.snapshotOffset();
    const body = new Writer(256);
    body.uuid(topicId).int32(partition).int64(offset).int64(this.lastMarkerOffset);
    const entries: [ProducerEntry, BatchMetadata[]][] = [];
    for (const e of this.producers.values()) {
      const done = e.batches.filter((m) => m.pending === null);
      const txn = e.txnFirstOffset >= 0 && !e.txnPending;
      if (done.length > 0 || txn || e.coordinatorEpoch >= 0) entries.push([e, done]);
    }
    body.int32(entries.length);
    for (const [e, done] of entries) {
      body.int64(e.producerId).int16(e.epoch).int64(e.lastSeenMs).int32(e.coordinatorEpoch)
        .int64(e.txnPending ? -1 : e.txnFirstOffset).int8(done.length);
      for (const m of done) {
        body.int32(m.firstSeq).int32(m.lastSeq).int64(m.firstOffset).int64(m.lastOffset).int64(m.timestamp);
      }
    }
    body.int32(this.aborted.length);
    for (const a of this.aborted) body.int64(a.producerId).int64(a.firstOffset).int64(a.lastOffset);
    const b = body.finish();
    const out = new Writer(b.length + 16);
    out.raw(SNAPSHOT_MAGIC).int8(SNAPSHOT_VERSION).uint32(crc32c(b)).raw(b);
    return out.finish();
  }

  /**
   * Restores a snapshot written by encodeSnapshot for this topic id and partition. Batches at or above
   * `logEnd` (lost from the log by a crash) are dropped, and producers left without batches are forgotten unless
   * a transaction of theirs is still ongoing here (or they had none: known from a marker only); an ongoing
   * transaction whose first offset was lost is dropped with it. A snapshot that applied a marker at or above
   * `logEnd` is unusable (the transaction it ended would have to be open again): the log is replayed instead.
   * Returns the offset the log must be replayed from, or null when the snapshot is unusable.
   */
  restoreSnapshot(data: Uint8Array, topicId: string, partition: number, logEnd: number): number | null {
    const s = decodeSnapshot(data);
    if (s === null || s.topicId !== topicId || s.partition !== partition) return null;
    if (s.lastMarkerOffset >= logEnd) return null;
    this.producers.clear();
    this.ongoing.clear();
    for (const e of s.entries) {
      const batches = e.batches.filter((m) => m.lastOffset < logEnd);
      const txnFirstOffset = e.txnFirstOffset < logEnd ? e.txnFirstOffset : -1;
      if (batches.length === 0 && txnFirstOffset < 0 && e.batches.length > 0) continue;
      const entry: ProducerEntry = { ...e, batches, txnFirstOffset, txnPending: false };
      this.producers.set(e.producerId, entry);
      if (txnFirstOffset >= 0) this.ongoing.set(e.producerId, entry);
    }
    this.aborted = s.aborted;
    this.lastMarkerOffset = s.lastMarkerOffset;
    const from = Math.min(s.offset, logEnd);
    this.completedEnd = from;
    return from;
  }
}

const SNAPSHOT_MAGIC = new TextEncoder().encode("KGWPS");
/** 2: coordinator epoch and ongoing transaction per producer, the last marker offset, the aborted index. */
const SNAPSHOT_VERSION = 2;

interface DecodedSnapshot {
  topicId: string;
  partition: number;
  offset: number;
  lastMarkerOffset: number;
  entries: ProducerEntry[];
  aborted: AbortedTxn[];
}

/**
 * Decodes a snapshot of version 2, or of version 1 (written before transactions: no marker, no transaction);
 * null when it is not one, is of another version or fails its CRC.
 */
export function decodeSnapshot(data: Uint8Array): DecodedSnapshot | null {
  const head = SNAPSHOT_MAGIC.length + 5;
  if (data.length < head) return null;
  for (let i = 0; i < SNAPSHOT_MAGIC.length; i++) if (data[i] !== SNAPSHOT_MAGIC[i]) return null;
  const r = new Reader(data, SNAPSHOT_MAGIC.length);
  try {
    const version = r.int8();
    if (version !== 1 && version !== SNAPSHOT_VERSION) return null;
    const crc = r.uint32();
    if (crc32c(data.subarray(head)) !== crc) return null;
    const topicId = r.uuid();
    const partition = r.int32();
    const offset = r.int64();
    const lastMarkerOffset = version >= 2 ? r.int64() : -1;
    const n = r.int32();
    const entries: ProducerEntry[] = [];
    for (let i = 0; i < n; i++) {
      const producerId = r.int64();
      const epoch = r.int16();
      const lastSeenMs = r.int64();
      const coordinatorEpoch = version >= 2 ? r.int32() : -1;
      const txnFirstOffset = version >= 2 ? r.int64() : -1;
      const count = r.int8();
      const batches: BatchMetadata[] = [];
      for (let j = 0; j < count; j++) {
        batches.push({
          firstSeq: r.int32(),
          lastSeq: r.int32(),
          firstOffset: r.int64(),
          lastOffset: r.int64(),
          timestamp: r.int64(),
          pending: null,
        });
      }
      entries.push({
        producerId,
        epoch,
        batches,
        lastSeenMs,
        coordinatorEpoch,
        txnFirstOffset,
        txnPending: false,
      });
    }
    const aborted: AbortedTxn[] = [];
    if (version >= 2) {
      const a = r.int32();
      for (let i = 0; i < a; i++) {
        aborted.push({ producerId: r.int64(), firstOffset: r.int64(), lastOffset: r.int64() });
      }
    }
    if (r.remaining !== 0) return null;
    return { topicId, partition, offset, lastMarkerOffset, entries, aborted };
  } catch {
    return null;
  }
}
