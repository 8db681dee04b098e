// One share-partition's state (KIP-932's SharePartition), kept by the partition's leader for one share group:
// the share-partition start offset (SPSO: below it every record is done), the end offset (next never acquired:
// SPEO + 1) and each record in between with its state and delivery count. Pure and synchronous: the caller
// (share_partitions.ts) reads the log, then acquires in one step, so no await sits between checking a record's
// state and changing it. Behaviour as Kafka 4.1, with 4.2's renew and record-limit acquisition:
// - acquire: AVAILABLE records (redeliveries first, in offset order) and new records from the end offset become
//   ACQUIRED by one member for the lock duration; each acquisition counts a delivery. At most maxInFlight records
//   are between SPSO and the end offset at once (share.partition.max.record.locks). Whole batches up to MaxRecords
//   (batch-optimized), or exactly MaxRecords at most (record-limit, KIP-1206).
// - acknowledge: only by the member holding the records, all of them ACQUIRED, else INVALID_RECORD_STATE and
//   nothing changes. Types: 0 gap (no record there: archived), 1 accept (acknowledged), 2 release (available
//   again, or archived once its delivery count reached share.delivery.count.limit), 3 reject (archived), 4 renew
//   (KIP-1222, only where the request says it carries renewals: the lock starts again, nothing else changes).
// - a lock that passes, or its member leaving, releases the records as type 2 would.
// - the start offset moves over every leading acknowledged or archived record; what the log no longer holds
//   (below its start offset) is skipped.
// Durable form: encode()/decode() (JSON): the share-partition it is (topic id, partition, the leader epoch it was
// written under), start and end offsets and the non-available records; an ACQUIRED record is stored as AVAILABLE
// with its delivery count (locks do not survive a restart or a leader change).
export const GAP = 0;
export const ACCEPT = 1;
export const RELEASE = 2;
export const REJECT = 3;
export const RENEW = 4;

export type RecordState = "AVAILABLE" | "ACQUIRED" | "ACKNOWLEDGED" | "ARCHIVED";

interface InFlight {
  state: RecordState;
  deliveryCount: number;
  memberId: string | null;
  /** Monotonic ms the lock passes (ACQUIRED). */
  lockDue: number;
}

export interface AcquiredRange {
  readonly firstOffset: number;
  readonly lastOffset: number;
  readonly deliveryCount: number;
}

export interface AckBatch {
  readonly firstOffset: number;
  readonly lastOffset: number;
  /** One type for every offset, or one per offset. */
  readonly acknowledgeTypes: readonly number[];
}

/** Read at each use: a group config changed meanwhile applies to the records delivered after it. */
export interface SharePartitionLimits {
  readonly deliveryCountLimit: number;
  readonly maxInFlight: number;
}

/** Counters since start (metrics). */
export interface ShareCounters {
  acquired: number;
  accepted: number;
  released: number;
  rejected: number;
  archived: number;
  lockTimeouts: number;
  renewed: number;
}

/** Which share-partition a stored state is, and the leader epoch it was written under (-1: by the admin APIs). */
export interface ShareStateIdentity {
  readonly topicId: string;
  readonly partition: number;
  readonly leaderEpoch: number;
}

/** What DescribeShareGroupOffsets reads of a stored state. */
export interface ShareStateSummary extends ShareStateIdentity {
  readonly startOffset: number;
  /** Records at or after the start offset whose delivery is complete (acknowledged or archived): not lag. */
  readonly completed: number;
}

export function zeroCounters(): ShareCounters {
  return { acquired: 0, accepted: 0, released: 0, rejected: 0, archived: 0, lockTimeouts: 0, renewed: 0 };
}

export class SharePartition {
  private readonly records = new Map<number, InFlight>();

  constructor(
    public startOffset: number,
    public endOffset: number,
    private readonly limits: SharePartitionLimits,
  ) {}

  /** Records between the start and end offsets (in flight in any state). */
  get inFlight(): number {
    return this.endOffset - this.startOffset;
  }

  /** Records by state (ops). */
  stateCounts(): Record<RecordState, number> {
    const out: Record<RecordState, number> = { AVAILABLE: 0, ACQUIRED: 0, ACKNOWLEDGED: 0, ARCHIVED: 0 };
    for (let o = this.startOffset; o < this.endOffset; o++) out[this.records.get(o)?.state ?? "AVAILABLE"]++;
    return out;
  }

  /** The first offset a fetch should read from: the first AVAILABLE record below the end offset, else the end. */
  nextReadOffset(): number {
    for (let o = this.startOffset; o < this.endOffset; o++) {
      const r = this.records.get(o);
      if (r === undefined || r.state === "AVAILABLE") return o;
    }
    return this.endOffset;
  }

  /** Whether something could be acquired now given the log's end (a fetch need not wait). */
  hasAcquirable(logEnd: number): boolean {
    if (this.nextReadOffset() < this.endOffset) return true;
    return this.endOffset < logEnd && this.inFlight < this.limits.maxInFlight;
  }

  /**
   * Acquires for `memberId`, within the read batches' offset ranges ([first, last] each, in order; `skip`: never
   * delivered, archived at once), the AVAILABLE
   * records and the new ones (from the end offset on, contiguously), up to `maxRecords` (whole batches: the last
   * batch may pass it, as Kafka's; `recordLimit`: never past it). Returns the acquired ranges (contiguous, same
   * delivery count) and which batches hold at least one of them.
   */
  acquire(
    memberId: string,
    batches: readonly { first: number; last: number; skip: boolean }[],
    maxRecords: number,
    lockDue: number,
    counters: ShareCounters,
    recordLimit = false,
  ): { ranges: AcquiredRange[]; used: boolean[] } {
    const ranges: AcquiredRange[] = [];
    const used = batches.map(() => false);
    let count = 0;
    for (let i = 0; i < batches.length && count < maxRecords; i++) {
      const { first, last } = batches[i];
      for (let o = Math.max(first, this.startOffset); o <= last; o++) {
        if (recordLimit && count >= maxRecords) break;
        let r = this.records.get(o);
        if (o >= this.endOffset) {
          if (o > this.endOffset || this.inFlight >= this.limits.maxInFlight) break; // contiguous, bounded
          r = { state: "AVAILABLE", deliveryCount: 0, memberId: null, lockDue: 0 };
          this.records.set(o, r);
          this.endOffset = o + 1;
        } else if (r === undefined) {
          r = { state: "AVAILABLE", deliveryCount: 0, memberId: null, lockDue: 0 };
          this.records.set(o, r);
        }
        if (r.state !== "AVAILABLE") continue;
        if (batches[i].skip) {
          // Transaction markers (and, read_committed, aborted transactions' records) are never delivered: their
          // offsets are done at once.
          this.settle(r, "ARCHIVED");
          continue;
        }
        r.state = "ACQUIRED";
        r.deliveryCount++;
        r.memberId = memberId;
        r.lockDue = lockDue;
        count++;
        used[i] = true;
        const prev = ranges[ranges.length - 1];
        if (prev !== undefined && prev.lastOffset === o - 1 && prev.deliveryCount === r.deliveryCount) {
          ranges[ranges.length - 1] = { ...prev, lastOffset: o };
        } else {
          ranges.push({ firstOffset: o, lastOffset: o, deliveryCount: r.deliveryCount });
        }
      }
    }
    counters.acquired += count;
    this.advance();
    return { ranges, used };
  }

  /**
   * Applies a member's acknowledgements: every offset must be ACQUIRED by `memberId` (else INVALID_RECORD_STATE,
   * with nothing changed) and every type known (else INVALID_REQUEST); renewals only with `renewLockDue`, the new
   * lock deadline. Returns an error message or null.
   */
  acknowledge(
    memberId: string,
    batches: readonly AckBatch[],
    counters: ShareCounters,
    renewLockDue: number | null = null,
  ): string | null {
    const last = renewLockDue === null ? REJECT : RENEW;
    for (const b of batches) {
      const n = b.lastOffset - b.firstOffset + 1;
      if (n <= 0 || (b.acknowledgeTypes.length !== 1 && b.acknowledgeTypes.length !== n)) {
        return `invalid acknowledgement batch ${b.firstOffset}-${b.lastOffset}`;
      }
      if (b.acknowledgeTypes.some((t) => t < GAP || t > last)) {
        return b.acknowledgeTypes.includes(RENEW)
          ? "Renew acknowledgements need a request that says it carries them (IsRenewAck)."
          : "unknown acknowledge type";
      }
      for (let o = b.firstOffset; o <= b.lastOffset; o++) {
        const r = this.records.get(o);
        if (o < this.startOffset || r === undefined || r.state !== "ACQUIRED" || r.memberId !== memberId) {
          return `record ${o} is not acquired by member ${memberId}`;
        }
      }
    }
    for (const b of batches) {
      for (let o = b.firstOffset; o <= b.lastOffset; o++) {
        const type = b.acknowledgeTypes.length === 1
          ? b.acknowledgeTypes[0]
          : b.acknowledgeTypes[o - b.firstOffset];
        const r = this.records.get(o)!;
        if (type === ACCEPT) {
          this.settle(r, "ACKNOWLEDGED");
          counters.accepted++;
        } else if (type === RENEW) {
          r.lockDue = renewLockDue ?? r.lockDue;
          counters.renewed++;
        } else if (type === RELEASE) {
          this.release(r, counters);
          counters.released++;
        } else {
          this.settle(r, "ARCHIVED");
          if (type === REJECT) counters.rejected++;
          counters.archived++;
        }
      }
    }
    this.advance();
    return null;
  }

  /**
   * Undoes an acquisition whose records never reached the member (its connection closed before the answer): they
   * are available again and the delivery does not count. True when any was still held so.
   */
  unacquire(memberId: string, ranges: readonly AcquiredRange[]): boolean {
    let any = false;
    for (const x of ranges) {
      for (let o = x.firstOffset; o <= x.lastOffset; o++) {
        const r = this.records.get(o);
        if (r?.state !== "ACQUIRED" || r.memberId !== memberId || r.deliveryCount !== x.deliveryCount) {
          continue;
        }
        r.state = "AVAILABLE";
        r.memberId = null;
        r.deliveryCount--;
        any = true;
      }
    }
    return any;
  }

  /** Releases the records whose lock passed at `now`: true when any was. */
  releaseExpired(now: number, counters: ShareCounters): boolean {
    let any = false;
    for (const r of this.records.values()) {
      if (r.state === "ACQUIRED" && r.lockDue <= now) {
        this.release(r, counters);
        counters.lockTimeouts++;
        any = true;
      }
    }
    if (any) this.advance();
    return any;
  }

  /** Releases what a member holds (it left or closed its share session): true when it held any. */
  releaseMember(memberId: string, counters: ShareCounters): boolean {
    let any = false;
    for (const r of this.records.values()) {
      if (r.state === "ACQUIRED" && r.memberId === memberId) {
        this.release(r, counters);
        any = true;
      }
    }
    if (any) this.advance();
    return any;
  }

  /** The earliest lock deadline, Infinity when nothing is acquired. */
  earliestLock(): number {
    let due = Infinity;
    for (const r of this.records.values()) if (r.state === "ACQUIRED" && r.lockDue < due) due = r.lockDue;
    return due;
  }

  /** The log's start moved past records (retention, DeleteRecords): they are skipped. */
  logStartMoved(logStart: number): void {
    if (logStart <= this.startOffset) return;
    for (let o = this.startOffset; o < Math.min(logStart, this.endOffset); o++) this.records.delete(o);
    this.startOffset = logStart;
    if (this.endOffset < logStart) this.endOffset = logStart;
  }

  private release(r: InFlight, counters: ShareCounters): void {
    if (r.deliveryCount >= this.limits.deliveryCountLimit) {
      this.settle(r, "ARCHIVED");
      counters.archived++;
    } else {
      r.state = "AVAILABLE";
      r.memberId = null;
    }
  }

  private settle(r: InFlight, state: "ACKNOWLEDGED" | "ARCHIVED"): void {
    r.state = state;
    r.memberId = null;
  }

  private advance(): void {
    while (this.startOffset < this.endOffset) {
      const r = this.records.get(this.startOffset);
      if (r === undefined || (r.state !== "ACKNOWLEDGED" && r.state !== "ARCHIVED")) break;
      this.records.delete(this.startOffset);
      this.startOffset++;
    }
  }

  // ---------------------------------------------------------------- durable form

  encode(id: ShareStateIdentity): Uint8Array {
    const records: [number, 0 | 2 | 4, number][] = [];
    for (const [o, r] of this.records) {
      if (o < this.startOffset || o >= this.endOffset) continue;
      if (r.state === "AVAILABLE" && r.deliveryCount === 0) continue;
      // Kafka's persisted states: 0 available, 2 acknowledged, 4 archived (acquired is stored as available).
      const code = r.state === "ACKNOWLEDGED" ? 2 : r.state === "ARCHIVED" ? 4 : 0;
      records.push([o, code, r.deliveryCount]);
    }
    records.sort((a, b) => a[0] - b[0]);
    return new TextEncoder().encode(
      JSON.stringify({
        version: 1,
        topicId: id.topicId,
        partition: id.partition,
        leaderEpoch: id.leaderEpoch,
        startOffset: this.startOffset,
        endOffset: this.endOffset,
        records,
      }),
    );
  }

  static decode(bytes: Uint8Array, limits: SharePartitionLimits): SharePartition {
    const v = JSON.parse(new TextDecoder().decode(bytes));
    if (v.version !== 1) throw new Error(`share-partition state version ${v.version} unknown`);
    const p = new SharePartition(v.startOffset, v.endOffset, limits);
    for (const [o, code, deliveryCount] of v.records as [number, number, number][]) {
      const state: RecordState = code === 2 ? "ACKNOWLEDGED" : code === 4 ? "ARCHIVED" : "AVAILABLE";
      p.records.set(o, { state, deliveryCount, memberId: null, lockDue: 0 });
    }
    return p;
  }

  /** The identity and start offset of a stored state; null for one written before states named their partition. */
  static summary(bytes: Uint8Array): ShareStateSummary | null {
    const v = JSON.parse(new TextDecoder().decode(bytes));
    if (v.version !== 1 || typeof v.topicId !== "string" || typeof v.partition !== "number") return null;
    return {
      topicId: v.topicId,
      partition: v.partition,
      leaderEpoch: typeof v.leaderEpoch === "number" ? v.leaderEpoch : -1,
      startOffset: v.startOffset,
      completed: Array.isArray(v.records)
        ? (v.records as [number, number, number][]).filter(([o, code]) =>
          o >= v.startOffset && (code === 2 || code === 4)
        ).length
        : 0,
    };
  }
}
