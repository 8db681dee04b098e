// The two per-segment indexes, held in memory in exactly their on-disk byte format and appended to disk lazily
// (roll, checkpoint, close). Both are rebuildable from the .log, so a missing or stale file is never fatal.
//   .index      8-byte entries: relative base offset of a batch (int32), byte position of that batch (int32);
//               one entry whenever a batch starts >= indexIntervalBytes after the previous entry (position 0 is
//               implicit), so a lookup lands less than indexIntervalBytes before the wanted batch.
//   .timeindex  12-byte entries: max timestamp (int64), relative base offset of the batch (int32); appended
//               whenever a batch's max timestamp exceeds every earlier one in the segment, so the first entry
//               with timestamp >= T names the first batch whose max timestamp >= T.
import { getInt32, getInt64, putInt32, putInt64 } from "../../protocol/codec.ts";
import { readFileOrNull, writeAllSync } from "./files.ts";

abstract class IndexFile {
  protected buf: Uint8Array;
  count = 0;
  private flushed = 0;

  constructor(readonly path: string, readonly baseOffset: number, readonly entrySize: number) {
    this.buf = new Uint8Array(entrySize * 64);
  }

  protected slot(): number {
    const at = this.count * this.entrySize;
    if (at + this.entrySize > this.buf.length) {
      const next = new Uint8Array(this.buf.length * 2);
      next.set(this.buf.subarray(0, at));
      this.buf = next;
    }
    this.count++;
    return at;
  }

  /** Loads the file; false when it is missing or structurally invalid (the caller rebuilds). */
  load(valid: (count: number) => boolean): boolean {
    const data = readFileOrNull(this.path);
    if (data === null || data.length % this.entrySize !== 0) return false;
    this.buf = data.length > 0 ? data : new Uint8Array(this.entrySize * 64);
    this.count = data.length / this.entrySize;
    this.flushed = this.count;
    if (!valid(this.count)) {
      this.reset();
      return false;
    }
    return true;
  }

  reset(): void {
    this.count = 0;
    this.flushed = 0;
  }

  /** Appends entries added since the last flush to the file. */
  flushSync(): void {
    if (this.flushed === this.count) return;
    const f = Deno.openSync(this.path, { write: true, create: true, append: true });
    try {
      writeAllSync(f, this.buf.subarray(this.flushed * this.entrySize, this.count * this.entrySize));
    } finally {
      f.close();
    }
    this.flushed = this.count;
  }

  /** Replaces the file with the in-memory entries. */
  rewriteSync(): void {
    Deno.writeFileSync(this.path, this.buf.subarray(0, this.count * this.entrySize));
    this.flushed = this.count;
  }

  /** Index of the last entry whose key <= target, or -1. */
  protected floor(target: number, key: (i: number) => number): number {
    let lo = 0;
    let hi = this.count - 1;
    let ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (key(mid) <= target) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  }
}

export class OffsetIndex extends IndexFile {
  constructor(path: string, baseOffset: number) {
    super(path, baseOffset, 8);
  }

  offsetAt(i: number): number {
    return this.baseOffset + getInt32(this.buf, i * 8);
  }
  positionAt(i: number): number {
    return getInt32(this.buf, i * 8 + 4);
  }

  append(offset: number, position: number): void {
    const at = this.slot();
    putInt32(this.buf, at, offset - this.baseOffset);
    putInt32(this.buf, at + 4, position);
  }

  /** Entry (offset, position) at or before `offset`; the implicit (baseOffset, 0) when none. */
  lookup(offset: number): { offset: number; position: number } {
    const i = this.floor(offset, (k) => this.offsetAt(k));
    return i < 0
      ? { offset: this.baseOffset, position: 0 }
      : { offset: this.offsetAt(i), position: this.positionAt(i) };
  }

  /** Loads and checks entries are strictly increasing and inside the log. */
  loadChecked(logSize: number): boolean {
    return this.load((n) => {
      let prevOff = -1;
      let prevPos = -1;
      for (let i = 0; i < n; i++) {
        const rel = getInt32(this.buf, i * 8);
        const pos = this.positionAt(i);
        if (rel <= prevOff || pos <= prevPos || pos >= logSize) return false;
        prevOff = rel;
        prevPos = pos;
      }
      return true;
    });
  }
}

export class TimeIndex extends IndexFile {
  constructor(path: string, baseOffset: number) {
    super(path, baseOffset, 12);
  }

  timestampAt(i: number): number {
    return getInt64(this.buf, i * 12);
  }
  offsetAt(i: number): number {
    return this.baseOffset + getInt32(this.buf, i * 12 + 8);
  }

  append(timestamp: number, offset: number): void {
    const at = this.slot();
    putInt64(this.buf, at, timestamp);
    putInt32(this.buf, at + 8, offset - this.baseOffset);
  }

  /** Largest timestamp indexed, or -1. */
  get maxTimestamp(): number {
    return this.count === 0 ? -1 : this.timestampAt(this.count - 1);
  }
  /** Base offset of the batch holding the largest timestamp, or -1. */
  get maxTimestampOffset(): number {
    return this.count === 0 ? -1 : this.offsetAt(this.count - 1);
  }

  /** Base offset of the first batch whose max timestamp >= ts, or -1. */
  lookupFirst(ts: number): number {
    const i = this.floor(ts - 1, (k) => this.timestampAt(k)) + 1;
    // floor(ts-1) = last entry < ts (timestamps are integers), so the next one is the first >= ts.
    return i < this.count ? this.offsetAt(i) : -1;
  }

  /** Loads and checks timestamps and offsets are strictly increasing and below `endOffset`. */
  loadChecked(endOffset: number): boolean {
    return this.load((n) => {
      let prevTs = -Infinity;
      let prevOff = this.baseOffset - 1;
      for (let i = 0; i < n; i++) {
        const ts = this.timestampAt(i);
        const off = this.offsetAt(i);
        if (ts <= prevTs || off <= prevOff || off >= endOffset) return false;
        prevTs = ts;
        prevOff = off;
      }
      return true;
    });
  }
}
