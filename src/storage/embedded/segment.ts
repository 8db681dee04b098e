// One log segment: `<base>.log` (RecordBatch v2 bytes back to back, exactly as Kafka stores them) plus its
// offset and time indexes. Appends, positional reads of whole batches, cheap validation of a cleanly closed
// segment, and a full CRC32C recovery scan that truncates a torn or corrupt tail and rebuilds both indexes.
// All file I/O here is synchronous: small writes into the page cache and page-cache reads are far cheaper than
// async ops, and it makes every append/read atomic with respect to the event loop.
import { join } from "node:path";
import type { LogFn } from "./options.ts";
import {
  baseOffsetAt,
  BATCH_HEADER_SIZE,
  batchSizeAt,
  lastOffsetDeltaAt,
  LOG_OVERHEAD,
  MAGIC_V2,
  magicAt,
  maxTimestampAt,
  MIN_BATCH_LENGTH,
} from "../../records/layout.ts";
import { checkBatch } from "./batch.ts";
import {
  errorText,
  fsyncCounts,
  INDEX_SUFFIX,
  LOG_SUFFIX,
  readAtSync,
  removeIfExists,
  segmentFileName,
  TIMEINDEX_SUFFIX,
  writeAllSync,
} from "./files.ts";
import { OffsetIndex, TimeIndex } from "./index.ts";

/** One batch of an append, positioned relative to the appended buffer. */
export interface BatchMeta {
  readonly pos: number;
  readonly size: number;
  readonly base: number;
  readonly last: number;
  readonly maxTimestamp: number;
}

export interface SegmentEnv {
  readonly indexIntervalBytes: number;
  readonly log: LogFn;
}

export interface SegmentRead {
  readonly batches: Uint8Array[];
  readonly bytes: number;
}

const INT32_MAX = 2 ** 31 - 1;
const SCAN_CHUNK = 8 * 1024 * 1024;

export class Segment {
  readonly logPath: string;
  readonly index: OffsetIndex;
  readonly timeIndex: TimeIndex;
  /** Bytes of valid log data. */
  size = 0;
  /** Offset after the last batch (baseOffset when empty). */
  endOffset: number;
  /** Max timestamp of the first batch (segment.ms roll), -1 when unknown. */
  firstTimestamp = -1;
  /** Wall-clock creation (segment.ms roll when batches carry no timestamp). */
  readonly createdAt = Date.now();
  /** Wall-clock time of the last write (retention.ms fallback when batches carry no timestamp). */
  lastModified = Date.now();
  /** Set when a failed write could not be rolled back: the file is no longer trustworthy. */
  broken = false;
  deleted = false;
  /** Opened through the full recovery scan. */
  recovered = false;
  private lastIndexedPos = 0;
  private writer: Deno.FsFile | null = null;
  private reader: Deno.FsFile | null = null;
  private syncing: Promise<void> | null = null;

  private constructor(readonly dir: string, readonly baseOffset: number, private readonly env: SegmentEnv) {
    this.logPath = join(dir, segmentFileName(baseOffset, LOG_SUFFIX));
    this.index = new OffsetIndex(join(dir, segmentFileName(baseOffset, INDEX_SUFFIX)), baseOffset);
    this.timeIndex = new TimeIndex(join(dir, segmentFileName(baseOffset, TIMEINDEX_SUFFIX)), baseOffset);
    this.endOffset = baseOffset;
  }

  get maxTimestamp(): number {
    return this.timeIndex.maxTimestamp;
  }
  /** Base offset of the batch holding maxTimestamp, -1 when none. */
  get maxTimestampOffset(): number {
    return this.timeIndex.maxTimestampOffset;
  }
  /** Timestamp retention compares with: the largest record timestamp, else the last write time. */
  get retentionTimestamp(): number {
    return this.maxTimestamp >= 0 ? this.maxTimestamp : this.lastModified;
  }
  get writable(): boolean {
    return this.writer !== null;
  }

  /** Creates an empty active segment (sync). */
  static create(dir: string, baseOffset: number, env: SegmentEnv): Segment {
    const seg = new Segment(dir, baseOffset, env);
    const f = Deno.openSync(seg.logPath, { write: true, append: true, create: true });
    if (f.statSync().size !== 0) {
      f.close();
      throw new Error(`segment file ${seg.logPath} already exists and is not empty`);
    }
    try {
      seg.index.rewriteSync();
      seg.timeIndex.rewriteSync();
    } catch (e) {
      f.close(); // no descriptor may outlive a failed create (fd exhaustion, disk full)
      throw e;
    }
    seg.writer = f;
    return seg;
  }

  /**
   * Opens an existing segment. With `scan`, or when its indexes fail validation, runs the full recovery scan
   * (CRC32C of every batch, truncation of a torn/corrupt tail, index rebuild).
   */
  static open(dir: string, baseOffset: number, env: SegmentEnv, scan: boolean): Segment {
    const seg = new Segment(dir, baseOffset, env);
    const st = Deno.statSync(seg.logPath);
    seg.size = st.size;
    seg.lastModified = st.mtime?.getTime() ?? Date.now();
    try {
      if (scan || !seg.loadIndexes()) seg.recover(scan ? "unflushed segment" : "index missing or stale");
      if (seg.size >= BATCH_HEADER_SIZE) {
        const h = readAtSync(seg.openReader(), 0, BATCH_HEADER_SIZE);
        if (h.length === BATCH_HEADER_SIZE) seg.firstTimestamp = maxTimestampAt(h, 0);
      }
    } finally {
      seg.releaseReader();
    }
    return seg;
  }

  /**
   * A segment over a complete `<base>.log` written by someone else (the log cleaner): `size` bytes holding the
   * batches `metas` (positions relative to the file start). Builds and writes both indexes from `metas` without
   * reading the log. The segment is closed (not writable).
   */
  static adopt(
    dir: string,
    baseOffset: number,
    env: SegmentEnv,
    size: number,
    metas: readonly BatchMeta[],
  ): Segment {
    const seg = new Segment(dir, baseOffset, env);
    seg.size = size;
    for (const m of metas) {
      if (m.pos === 0) seg.firstTimestamp = m.maxTimestamp;
      seg.indexBatch(m.pos, m.base, m.maxTimestamp);
    }
    if (metas.length > 0) seg.endOffset = metas[metas.length - 1].last + 1;
    seg.index.rewriteSync();
    seg.timeIndex.rewriteSync();
    return seg;
  }

  /**
   * Calls `fn` with the 61-byte header of every batch, in order (header reads only; log cleaner); `whole()` reads
   * that whole batch (for the few the caller must look into, e.g. transaction markers).
   */
  forEachBatchHeader(fn: (header: Uint8Array, whole: () => Uint8Array) => void): void {
    const reader = this.openReader();
    let p = 0;
    while (p < this.size) {
      const h = readAtSync(reader, p, BATCH_HEADER_SIZE);
      if (h.length < BATCH_HEADER_SIZE) break;
      const size = batchSizeAt(h, 0);
      if (size - LOG_OVERHEAD < MIN_BATCH_LENGTH) break;
      const at = p;
      fn(h, () => readAtSync(reader, at, size));
      p += size;
    }
  }

  /** Makes this the active segment: opens the log for appending. */
  openForAppend(): void {
    if (!this.writer) this.writer = Deno.openSync(this.logPath, { write: true, append: true });
  }

  private openReader(): Deno.FsFile {
    if (!this.reader) this.reader = Deno.openSync(this.logPath, { read: true });
    return this.reader;
  }

  /** Closes the read handle (reopened lazily). */
  releaseReader(): void {
    if (this.reader) {
      this.reader.close();
      this.reader = null;
    }
  }

  private indexBatch(pos: number, base: number, maxTimestamp: number): void {
    if (pos - this.lastIndexedPos >= this.env.indexIntervalBytes) {
      this.index.append(base, pos);
      this.lastIndexedPos = pos;
    }
    if (maxTimestamp > this.timeIndex.maxTimestamp) this.timeIndex.append(maxTimestamp, base);
  }

  /**
   * Loads the indexes of a cleanly written segment and checks them against the log: the last index entry must
   * point at a batch with that offset, and the batches after it must run to the end of the file without
   * skipping an index entry. Missing time-index entries for those tail batches are repaired.
   */
  private loadIndexes(): boolean {
    if (!this.index.loadChecked(this.size)) return false;
    const n = this.index.count;
    const startPos = n > 0 ? this.index.positionAt(n - 1) : 0;
    const startOffset = n > 0 ? this.index.offsetAt(n - 1) : this.baseOffset;
    const interval = this.env.indexIntervalBytes;
    const reader = this.openReader();
    const chunk = readAtSync(reader, startPos, Math.min(this.size - startPos, interval + BATCH_HEADER_SIZE));
    const walked: { base: number; maxTimestamp: number }[] = [];
    let p = startPos;
    let expected = startOffset;
    let end = this.baseOffset;
    while (p < this.size) {
      if (p !== startPos && p - startPos >= interval) return false; // an index entry is missing
      const rel = p - startPos;
      const h = rel + BATCH_HEADER_SIZE <= chunk.length
        ? chunk.subarray(rel, rel + BATCH_HEADER_SIZE)
        : readAtSync(reader, p, BATCH_HEADER_SIZE);
      if (h.length < BATCH_HEADER_SIZE) return false;
      const size = batchSizeAt(h, 0);
      const base = baseOffsetAt(h, 0);
      const delta = lastOffsetDeltaAt(h, 0);
      if (size - LOG_OVERHEAD < MIN_BATCH_LENGTH || p + size > this.size || magicAt(h, 0) !== MAGIC_V2) {
        return false;
      }
      if (delta < 0 || (p === startPos ? base !== startOffset : base < expected)) return false;
      walked.push({ base, maxTimestamp: maxTimestampAt(h, 0) });
      expected = base + delta + 1;
      end = expected;
      p += size;
    }
    if (!this.timeIndex.loadChecked(end)) return false;
    this.endOffset = end;
    this.lastIndexedPos = startPos;
    for (const b of walked) {
      if (b.maxTimestamp > this.timeIndex.maxTimestamp && b.base > this.timeIndex.maxTimestampOffset) {
        this.timeIndex.append(b.maxTimestamp, b.base);
      }
    }
    return true;
  }

  /** Full scan: validates every batch, truncates at the first invalid one, rebuilds the indexes. */
  private recover(why: string): void {
    this.recovered = true;
    this.index.reset();
    this.timeIndex.reset();
    this.lastIndexedPos = 0;
    const reader = this.openReader();
    let buf: Uint8Array = new Uint8Array(0);
    let bufStart = 0;
    let p = 0;
    let expected = this.baseOffset;
    let reason = "";
    while (p < this.size) {
      let rel = p - bufStart;
      const avail = buf.length - rel;
      const declared = avail >= LOG_OVERHEAD ? batchSizeAt(buf, rel) : 0;
      if (avail < BATCH_HEADER_SIZE || avail < declared) {
        const want = Math.min(this.size - p, Math.max(SCAN_CHUNK, declared));
        buf = readAtSync(reader, p, want);
        bufStart = p;
        rel = 0;
      }
      const r = checkBatch(buf, rel, buf.length);
      if (typeof r === "string") {
        reason = r;
        break;
      }
      const base = baseOffsetAt(buf, rel);
      const last = base + lastOffsetDeltaAt(buf, rel);
      if (base < expected) {
        reason = `offset ${base} below expected ${expected}`;
        break;
      }
      if (last - this.baseOffset > INT32_MAX) {
        reason = `offset ${last} beyond the segment's int32 range`;
        break;
      }
      this.indexBatch(p, base, maxTimestampAt(buf, rel));
      expected = last + 1;
      p += r;
    }
    if (p < this.size) {
      this.env.log(
        "warn",
        `${this.logPath}: truncating ${
          this.size - p
        } bytes at position ${p} (next offset ${expected}): ${reason}`,
      );
      const f = Deno.openSync(this.logPath, { write: true });
      try {
        f.truncateSync(p);
      } finally {
        f.close();
      }
      this.size = p;
    }
    this.endOffset = expected;
    this.index.rewriteSync();
    this.timeIndex.rewriteSync();
    this.env.log("debug", `${this.logPath}: recovered (${why}), ${this.size} bytes, next offset ${expected}`);
  }

  /** Appends `data` (whole batches described by `metas`) at the end of the log. Sync. */
  append(data: Uint8Array, metas: readonly BatchMeta[]): void {
    const w = this.writer;
    if (!w) throw new Error(`segment ${this.logPath} is not writable`);
    const start = this.size;
    try {
      writeAllSync(w, data);
    } catch (e) {
      try {
        w.truncateSync(start);
      } catch (e2) {
        this.broken = true;
        throw new Error(`${errorText(e)}; rollback failed: ${errorText(e2)}`);
      }
      throw e;
    }
    this.size += data.length;
    for (const m of metas) {
      if (start + m.pos === 0) this.firstTimestamp = m.maxTimestamp;
      this.indexBatch(start + m.pos, m.base, m.maxTimestamp);
    }
    this.endOffset = metas[metas.length - 1].last + 1;
    this.lastModified = Date.now();
  }

  /**
   * Whole batches from the one containing `offset` (or the next one after a gap), up to maxBytes (the first one
   * regardless when minOneBatch), none starting at or after `hw`. One read covers the index gap plus maxBytes.
   */
  read(offset: number, maxBytes: number, minOneBatch: boolean, hw: number): SegmentRead {
    const reader = this.openReader();
    const start = this.index.lookup(offset).position;
    const limit = Math.max(0, maxBytes);
    const want = Math.min(this.size - start, this.env.indexIntervalBytes + BATCH_HEADER_SIZE + limit);
    const chunk = want > 0 ? readAtSync(reader, start, want) : new Uint8Array(0);
    const batches: Uint8Array[] = [];
    let bytes = 0;
    let p = 0;
    while (start + p < this.size) {
      const h = p + BATCH_HEADER_SIZE <= chunk.length
        ? chunk.subarray(p, p + BATCH_HEADER_SIZE)
        : readAtSync(reader, start + p, BATCH_HEADER_SIZE);
      if (h.length < BATCH_HEADER_SIZE) break;
      const size = batchSizeAt(h, 0);
      if (size - LOG_OVERHEAD < MIN_BATCH_LENGTH) {
        this.env.log("error", `${this.logPath}: corrupt batch length at position ${start + p}`);
        break;
      }
      const base = baseOffsetAt(h, 0);
      if (base >= hw) break;
      if (base + lastOffsetDeltaAt(h, 0) < offset) {
        p += size;
        continue;
      }
      const first = batches.length === 0;
      if (bytes + size > limit && !(first && minOneBatch)) break;
      if (p + size <= chunk.length) batches.push(chunk.subarray(p, p + size));
      else if (first) {
        const b = readAtSync(reader, start + p, size);
        if (b.length < size) break;
        batches.push(b);
      } else break;
      bytes += size;
      p += size;
    }
    return { batches, bytes };
  }

  /** fdatasync of the log (no-op once the writer is closed or the segment deleted). */
  async syncData(): Promise<void> {
    const w = this.writer;
    if (!w || this.deleted) return;
    fsyncCounts.segment++;
    const p = w.syncData();
    this.syncing = p;
    try {
      await p;
    } finally {
      if (this.syncing === p) this.syncing = null;
    }
  }

  syncDataSync(): void {
    if (this.writer && !this.deleted) {
      fsyncCounts.segment++;
      this.writer.syncDataSync();
    }
  }

  /** Writes index entries not yet on disk. */
  flushIndexes(): void {
    if (this.deleted) return;
    this.index.flushSync();
    this.timeIndex.flushSync();
  }

  /** Ends appends to this segment (after its data was synced). */
  closeWriter(): void {
    if (this.writer) {
      this.writer.close();
      this.writer = null;
    }
  }

  /** Flushes indexes and closes every handle. */
  async close(): Promise<void> {
    if (this.syncing) await this.syncing.catch(() => {});
    try {
      this.flushIndexes();
    } finally {
      this.closeWriter();
      this.releaseReader();
    }
  }

  /** Closes handles and removes the segment's files (log first, so a crash leaves no index without log). */
  async delete(): Promise<void> {
    this.deleted = true;
    if (this.syncing) await this.syncing.catch(() => {});
    this.closeWriter();
    this.releaseReader();
    await removeIfExists(this.logPath);
    await removeIfExists(this.index.path);
    await removeIfExists(this.timeIndex.path);
  }
}
