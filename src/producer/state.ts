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
import { Reader, Writer } from "../protocol/codec.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { crc32c } from "../records/crc32c.ts";

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
  readonly settle: () => void;
}

export type CheckResult =
  | { readonly kind: "append"; readonly reservation: Reservation }
  | { readonly kind: "duplicate"; readonly batch: BatchMetadata };

function outOfOrder(message: string): KafkaError {
  return new KafkaError(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, message);
}

export class PartitionProducerState {
  private readonly producers = new Map<number, ProducerEntry>();
  private readonly inFlight = new Set<Reservation>();
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
   * OUT_OF_ORDER_SEQUENCE_NUMBER); returns a duplicate (answer with its offsets, append nothing) or a reservation
   * (append it, then call complete() or abort(); append.ts does all three in one serialized step per partition).
   */
  check(b: IdempotentBatch, now: number): CheckResult {
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
    const created = entry === undefined;
    const e: ProducerEntry = entry ?? { producerId: pid, epoch, batches: [], lastSeenMs: now };
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
    const reservation: Reservation = {
      entry: e,
      batch,
      lastOffsetDelta: b.lastOffsetDelta,
      created,
      previousEpoch,
      previousBatches,
      floor: this.completedEnd,
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
    this.dirty = true;
    r.settle();
  }

  /** The append of a reserved batch failed: forget it (a retry is validated afresh). */
  abort(r: Reservation): void {
    if (!this.inFlight.delete(r)) return;
    const e = r.entry;
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
      e = { producerId: b.producerId, epoch: b.producerEpoch, batches: [], lastSeenMs };
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
    this.dirty = true;
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
    if (this.inFlight.size > 0 || hw <= this.completedEnd) return false;
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
    return s;
  }

  /** Drops producers not seen for `expirationMs` (Kafka's producer.id.expiration.ms); returns how many. */
  expire(now: number, expirationMs: number): number {
    let n = 0;
    for (const [pid, e] of this.producers) {
      if (now - e.lastSeenMs < expirationMs) continue;
      if (e.batches.some((m) => m.pending !== null)) continue;
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
    body.uuid(topicId).int32(partition).int64(offset);
    const entries: [ProducerEntry, BatchMetadata[]][] = [];
    for (const e of this.producers.values()) {
      const done = e.batches.filter((m) => m.pending === null);
      if (done.length > 0) entries.push([e, done]);
    }
    body.int32(entries.length);
    for (const [e, done] of entries) {
      body.int64(e.producerId).int16(e.epoch).int64(e.lastSeenMs).int8(done.length);
      for (const m of done) {
        body.int32(m.firstSeq).int32(m.lastSeq).int64(m.firstOffset).int64(m.lastOffset).int64(m.timestamp);
      }
    }
    const b = body.finish();
    const out = new Writer(b.length + 16);
    out.raw(SNAPSHOT_MAGIC).int8(SNAPSHOT_VERSION).uint32(crc32c(b)).raw(b);
    return out.finish();
  }

  /**
   * Restores a snapshot written by encodeSnapshot for this topic id and partition. Batches at or above
   * `logEnd` (lost from the log by a crash) are dropped, and producers left without batches are forgotten.
   * Returns the offset the log must be replayed from, or null when the snapshot is unusable.
   */
  restoreSnapshot(data: Uint8Array, topicId: string, partition: number, logEnd: number): number | null {
    const s = decodeSnapshot(data);
    if (s === null || s.topicId !== topicId || s.partition !== partition) return null;
    this.producers.clear();
    for (const e of s.entries) {
      const batches = e.batches.filter((m) => m.lastOffset < logEnd);
      if (batches.length === 0) continue;
      this.producers.set(e.producerId, { ...e, batches });
    }
    const from = Math.min(s.offset, logEnd);
    this.completedEnd = from;
    return from;
  }
}

const SNAPSHOT_MAGIC = new TextEncoder().encode("KGWPS");
const SNAPSHOT_VERSION = 1;

interface DecodedSnapshot {
  topicId: string;
  partition: number;
  offset: number;
  entries: ProducerEntry[];
}

/** Decodes a snapshot; null when it is not one, is of another version or fails its CRC. */
export function decodeSnapshot(data: Uint8Array): DecodedSnapshot | null {
  const head = SNAPSHOT_MAGIC.length + 5;
  if (data.length < head) return null;
  for (let i = 0; i < SNAPSHOT_MAGIC.length; i++) if (data[i] !== SNAPSHOT_MAGIC[i]) return null;
  const r = new Reader(data, SNAPSHOT_MAGIC.length);
  try {
    if (r.int8() !== SNAPSHOT_VERSION) return null;
    const crc = r.uint32();
    if (crc32c(data.subarray(head)) !== crc) return null;
    const topicId = r.uuid();
    const partition = r.int32();
    const offset = r.int64();
    const n = r.int32();
    const entries: ProducerEntry[] = [];
    for (let i = 0; i < n; i++) {
      const producerId = r.int64();
      const epoch = r.int16();
      const lastSeenMs = r.int64();
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
      entries.push({ producerId, epoch, batches, lastSeenMs });
    }
    if (r.remaining !== 0) return null;
    return { topicId, partition, offset, entries };
  } catch {
    return null;
  }
}
