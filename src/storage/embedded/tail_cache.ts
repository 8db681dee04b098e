// Bounded in-memory tail of each partition: the most recently appended batches (immutable: copies, or views of a
// request frame handed over to the log), so consumers tailing the log are served without disk I/O or copies. A
// partition's cache always holds a contiguous suffix of its log; eviction drops the oldest batches, per partition
// (its own bound) and globally (oldest appended first).

interface Entry {
  readonly base: number;
  readonly last: number;
  bytes: Uint8Array;
  readonly owner: TailCache;
  evicted: boolean;
}

const EMPTY = new Uint8Array(0);

/** The global bound shared by every partition's cache. */
export class CacheBudget {
  bytes = 0;
  private queue: Entry[] = [];
  private head = 0;
  private dead = 0;

  constructor(readonly limit: number) {}

  add(e: Entry): void {
    this.queue.push(e);
    this.bytes += e.bytes.length;
    while (this.bytes > this.limit && this.head < this.queue.length) {
      const victim = this.queue[this.head++];
      if (victim.evicted) this.dead--;
      else victim.owner.evictHead(victim);
    }
    this.compact();
  }

  /** An owner evicted `e` itself. */
  released(e: Entry): void {
    this.bytes -= e.bytes.length;
    this.dead++;
  }

  /** Global eviction of `e` (accounting only; the owner already dropped it). */
  consumed(e: Entry): void {
    this.bytes -= e.bytes.length;
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    if (this.dead > 1024 && this.dead * 2 > this.queue.length - this.head) {
      this.queue = this.queue.slice(this.head).filter((e) => !e.evicted);
      this.head = 0;
      this.dead = 0;
    }
  }
}

export interface CacheRead {
  readonly batches: Uint8Array[];
  readonly bytes: number;
}

export class TailCache {
  private entries: Entry[] = [];
  private head = 0;
  bytes = 0;

  constructor(private readonly budget: CacheBudget, readonly limit: number) {}

  get size(): number {
    return this.entries.length - this.head;
  }

  /** Adds the newest batch [base, last]; `bytes` must never change afterwards. */
  push(base: number, last: number, bytes: Uint8Array): void {
    if (bytes.length > this.limit || bytes.length > this.budget.limit) {
      this.clear(); // keeps the cache a contiguous suffix of the log
      return;
    }
    const e: Entry = { base, last, bytes, owner: this, evicted: false };
    this.entries.push(e);
    this.bytes += bytes.length;
    while (this.bytes > this.limit) this.dropHead(true);
    this.budget.add(e);
  }

  /** Called by the budget for its oldest entry, which is always this cache's head. */
  evictHead(e: Entry): void {
    if (this.entries[this.head] !== e) return;
    this.dropHead(false);
  }

  private dropHead(self: boolean): void {
    const e = this.entries[this.head];
    this.head++;
    this.bytes -= e.bytes.length;
    e.evicted = true;
    if (self) this.budget.released(e);
    else this.budget.consumed(e);
    e.bytes = EMPTY;
    if (this.head > 256 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }

  /** Drops every batch entirely below `offset` (retention). */
  evictBelow(offset: number): void {
    while (this.head < this.entries.length && this.entries[this.head].last < offset) this.dropHead(true);
  }

  clear(): void {
    while (this.head < this.entries.length) this.dropHead(true);
  }

  /** First offset served from memory, or -1 when empty. */
  firstOffset(): number {
    return this.head < this.entries.length ? this.entries[this.head].base : -1;
  }

  private find(offset: number): number {
    let lo = this.head;
    let hi = this.entries.length - 1;
    let ans = this.entries.length;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.entries[mid].last >= offset) {
        ans = mid;
        hi = mid - 1;
      } else lo = mid + 1;
    }
    return ans;
  }

  /**
   * Whole batches from the one containing `offset`, bounded by maxBytes (first one always when minOneBatch) and
   * by `hw` (batches starting at or after it are not visible). Null when `offset` precedes the cache.
   */
  read(offset: number, maxBytes: number, minOneBatch: boolean, hw: number): CacheRead | null {
    if (this.head >= this.entries.length || offset < this.entries[this.head].base) return null;
    const batches: Uint8Array[] = [];
    let bytes = 0;
    for (let i = this.find(offset); i < this.entries.length; i++) {
      const e = this.entries[i];
      if (e.base >= hw) break;
      const n = e.bytes.length;
      if (bytes + n > maxBytes && !(batches.length === 0 && minOneBatch)) break;
      batches.push(e.bytes);
      bytes += n;
    }
    return { batches, bytes };
  }

  /** The cached batch containing `offset`, or null. */
  batchContaining(offset: number): Uint8Array | null {
    if (this.head >= this.entries.length || offset < this.entries[this.head].base) return null;
    const i = this.find(offset);
    return i < this.entries.length && this.entries[i].base <= offset ? this.entries[i].bytes : null;
  }
}
