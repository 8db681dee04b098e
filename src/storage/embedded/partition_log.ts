// One partition's log: its segments, offsets (log start, high watermark, log end), serialized appends with
// group-committed fsync, reads served from the tail cache or a segment, timestamp lookups, segment roll,
// retention, and the checkpoint file (log start offset + recovery point) that bounds crash-recovery scans.
//
// Appends are strictly serialized without a queue: the whole append (offset assignment, write into the page cache,
// index and cache update) runs synchronously, so two appends can never interleave. Only fsync is asynchronous: with
// fsync "always" appends wait for a shared fdatasync round covering their data (concurrent appends coalesce into
// one round) and the high watermark advances when it completes; with "interval" the high watermark advances at once
// and the storage timer syncs in the background.
import { join } from "node:path";
import { putInt64 } from "../../protocol/codec.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import {
  type AppendRequest,
  type AppendResult,
  type PartitionOffsets,
  type ReadResult,
  StorageError,
  type TimestampOffset,
} from "../storage.ts";
import {
  ATTR_COMPRESSION_MASK,
  ATTR_LOG_APPEND_TIME,
  attributesAt,
  baseOffsetAt,
  batchSizeAt,
  HEADER_SIZE,
  lastOffsetDeltaAt,
  MAGIC_V2,
  magicAt,
  maxTimestampAt,
  recordTimestamps,
} from "./batch.ts";
import {
  atomicWrite,
  errorText,
  fsyncDir,
  INDEX_SUFFIX,
  ioError,
  LOG_SUFFIX,
  parseSegmentFileName,
  readFileOrNull,
  removeIfExists,
  TIMEINDEX_SUFFIX,
} from "./files.ts";
import { Notifier } from "./notifier.ts";
import { type LogSettings, MAX_SEGMENT_BYTES } from "./options.ts";
import { type BatchMeta, Segment, type SegmentEnv } from "./segment.ts";
import { type CacheBudget, TailCache } from "./tail_cache.ts";

export interface PartitionEnv extends SegmentEnv {
  readonly fsync: "always" | "interval";
  readonly budget: CacheBudget;
  readonly cacheBytes: number;
  readonly decodeTimestamps?: (batch: Uint8Array) => Promise<TimestampOffset[]>;
}

interface Checkpoint {
  readonly logStartOffset: number;
  readonly recoveryPoint: number;
}

interface Waiter {
  readonly offset: number;
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}

export const CHECKPOINT_FILE = "partition.checkpoint";
const INT32_MAX = 2 ** 31 - 1;

function readCheckpoint(dir: string): Checkpoint | null {
  try {
    const raw = readFileOrNull(join(dir, CHECKPOINT_FILE));
    if (raw === null) return null;
    const v: unknown = JSON.parse(new TextDecoder().decode(raw));
    if (typeof v !== "object" || v === null) return null;
    const o = v as Record<string, unknown>;
    const ls = o.logStartOffset;
    const rp = o.recoveryPoint;
    if (!Number.isSafeInteger(ls) || !Number.isSafeInteger(rp)) return null;
    return { logStartOffset: Math.max(0, ls as number), recoveryPoint: Math.max(0, rp as number) };
  } catch {
    return null;
  }
}

export class PartitionLog {
  private segments: Segment[] = [];
  logStartOffset = 0;
  /** Log end offset: next offset to assign. */
  nextOffset = 0;
  /** Everything below is visible to readers (== nextOffset except while fsync "always" rounds are pending). */
  highWatermark = 0;
  /** Everything below is known to be fsynced. */
  private recoveryPoint = 0;
  private lastCheckpoint: Checkpoint | null = null;
  private checkpointChain: Promise<void> = Promise.resolve();
  private readonly cache: TailCache;
  readonly notifier: Notifier;
  private waiters: Waiter[] = [];
  private syncRun: Promise<void> | null = null;
  private readonly unsynced = new Set<Segment>();
  private retired: Segment[] = [];
  private dirDirty = false;
  private failure: StorageError | null = null;
  private closedError: StorageError | null = null;
  private maxTs = -1;
  private maxTsBatch = -1;
  private lastRead: Segment | null = null;
  /** The partition was deleted: nothing may be written to its directory any more. */
  private dropped = false;

  private constructor(
    readonly name: string,
    readonly dir: string,
    public settings: LogSettings,
    private readonly env: PartitionEnv,
  ) {
    this.cache = new TailCache(env.budget, env.cacheBytes);
    this.notifier = new Notifier(env.log, name);
  }

  private get active(): Segment {
    return this.segments[this.segments.length - 1];
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  get sizeInBytes(): number {
    let n = 0;
    for (const s of this.segments) n += s.size;
    return n;
  }

  /** Creates the directory and an empty first segment. */
  static async create(
    name: string,
    dir: string,
    settings: LogSettings,
    env: PartitionEnv,
  ): Promise<PartitionLog> {
    await Deno.mkdir(dir, { recursive: true });
    const log = new PartitionLog(name, dir, settings, env);
    log.segments.push(Segment.create(dir, 0, env));
    await log.writeCheckpoint(true);
    return log;
  }

  /**
   * Opens an existing partition directory. Segments that may hold data beyond the checkpointed recovery point
   * (all of them when the checkpoint is missing) and segments whose indexes fail validation are fully scanned;
   * a torn or corrupt tail is truncated.
   */
  static async open(
    name: string,
    dir: string,
    settings: LogSettings,
    env: PartitionEnv,
  ): Promise<PartitionLog> {
    const log = new PartitionLog(name, dir, settings, env);
    const cp = readCheckpoint(dir);
    const recoveryPoint = cp?.recoveryPoint ?? 0;
    const logs = new Set<number>();
    const others: { name: string; base: number | null }[] = [];
    for await (const e of Deno.readDir(dir)) {
      if (!e.isFile) continue;
      const base = parseSegmentFileName(e.name, LOG_SUFFIX);
      if (base !== null) logs.add(base);
      else {
        others.push({
          name: e.name,
          base: parseSegmentFileName(e.name, INDEX_SUFFIX) ?? parseSegmentFileName(e.name, TIMEINDEX_SUFFIX),
        });
      }
    }
    for (const o of others) {
      if (o.name.endsWith(".tmp") || (o.base !== null && !logs.has(o.base))) {
        env.log("info", `${name}: removing leftover file ${o.name}`);
        await removeIfExists(join(dir, o.name));
      }
    }
    const bases = [...logs].sort((a, b) => a - b);
    for (let i = 0; i < bases.length; i++) {
      const base = bases[i];
      let seg = Segment.open(dir, base, env, base >= recoveryPoint);
      if (!seg.recovered && seg.endOffset > recoveryPoint) {
        // Holds data past the recovery point: validate every batch of it.
        seg = Segment.open(dir, base, env, true);
      }
      log.segments.push(seg);
    }
    if (log.segments.length === 0) {
      const base = Math.max(cp?.logStartOffset ?? 0, recoveryPoint);
      if (cp) env.log("warn", `${name}: no segment files found, starting empty at offset ${base}`);
      log.segments.push(Segment.create(dir, base, env));
      log.dirDirty = true;
    } else {
      log.active.openForAppend();
    }
    log.nextOffset = log.active.endOffset;
    log.highWatermark = log.nextOffset;
    log.logStartOffset = Math.min(
      Math.max(cp?.logStartOffset ?? 0, log.segments[0].baseOffset),
      log.nextOffset,
    );
    log.recoveryPoint = Math.min(recoveryPoint, log.nextOffset);
    log.lastCheckpoint = cp;
    log.unsynced.add(log.active); // recovered data may still be only in the page cache
    log.recomputeMaxTimestamp();
    return log;
  }

  private checkWritable(): void {
    if (this.closedError) throw this.closedError;
    if (this.failure) throw this.failure;
  }

  offsets(): PartitionOffsets {
    return { logStartOffset: this.logStartOffset, highWatermark: this.highWatermark };
  }

  subscribe(listener: () => void): () => void {
    return this.notifier.subscribe(listener);
  }

  // ---- append ----

  append(req: AppendRequest): Promise<AppendResult> {
    try {
      const r = this.appendNow(req);
      return r instanceof Promise ? r : Promise.resolve(r);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private appendNow(req: AppendRequest): AppendResult | Promise<AppendResult> {
    this.checkWritable();
    const { payload, batches } = req;
    if (batches.length === 0) {
      return { baseOffset: this.nextOffset, logAppendTime: -1, logStartOffset: this.logStartOffset };
    }
    const start = batches[0].pos;
    let end = start;
    for (const b of batches) {
      if (
        b.pos !== end || b.size < HEADER_SIZE || b.pos + b.size > payload.length ||
        batchSizeAt(payload, b.pos) !== b.size || magicAt(payload, b.pos) !== MAGIC_V2 ||
        lastOffsetDeltaAt(payload, b.pos) < 0
      ) {
        throw new StorageError(
          ErrorCode.CORRUPT_MESSAGE,
          `${this.name}: batches are not contiguous valid v2 batches`,
        );
      }
      end += b.size;
    }
    if (end - start > MAX_SEGMENT_BYTES) {
      throw new StorageError(ErrorCode.RECORD_LIST_TOO_LARGE, `${this.name}: append of ${end - start} bytes`);
    }
    let next = this.nextOffset;
    const metas: BatchMeta[] = [];
    for (const b of batches) {
      putInt64(payload, b.pos, next);
      const last = next + lastOffsetDeltaAt(payload, b.pos);
      metas.push({
        pos: b.pos - start,
        size: b.size,
        base: next,
        last,
        maxTimestamp: maxTimestampAt(payload, b.pos),
      });
      next = last + 1;
    }
    // One copy: the request buffer may be reused by the caller, cached bytes must never change.
    const data = payload.slice(start, end);
    this.maybeRoll(data.length, metas);
    const seg = this.active;
    try {
      seg.append(data, metas);
    } catch (e) {
      const err = ioError(`append to ${this.name}`, e);
      if (seg.broken) this.fail(err);
      throw err;
    }
    const baseOffset = this.nextOffset;
    this.nextOffset = next;
    this.unsynced.add(seg);
    for (const m of metas) {
      this.cache.push(m.base, m.last, data.subarray(m.pos, m.pos + m.size));
      if (m.maxTimestamp > this.maxTs) {
        this.maxTs = m.maxTimestamp;
        this.maxTsBatch = m.base;
      }
    }
    // LogAppendTime is stamped by the produce handler before the append; report it back when present.
    const lat = (attributesAt(data, 0) & ATTR_LOG_APPEND_TIME) !== 0 ? maxTimestampAt(data, 0) : -1;
    const result: AppendResult = { baseOffset, logAppendTime: lat, logStartOffset: this.logStartOffset };
    if (this.env.fsync === "always") return this.durable(next).then(() => result);
    this.advance(next);
    return result;
  }

  private maybeRoll(bytes: number, metas: readonly BatchMeta[]): void {
    const seg = this.active;
    if (seg.size === 0) return;
    const s = this.settings;
    let incomingMaxTs = -1;
    for (const m of metas) if (m.maxTimestamp > incomingMaxTs) incomingMaxTs = m.maxTimestamp;
    const waited = seg.firstTimestamp >= 0 && incomingMaxTs >= 0
      ? incomingMaxTs - seg.firstTimestamp
      : Date.now() - seg.createdAt;
    let reason = "";
    if (seg.size + bytes > s.segmentBytes) reason = "segment.bytes";
    else if (metas[metas.length - 1].last - seg.baseOffset > INT32_MAX) reason = "offset range";
    else if (waited > s.segmentMs) reason = "segment.ms";
    if (reason) this.roll(reason);
  }

  /** Starts a new active segment at the log end; the old one's writer closes after its data is synced. */
  private roll(reason: string): void {
    const old = this.active;
    let seg: Segment;
    try {
      seg = Segment.create(this.dir, this.nextOffset, this.env);
    } catch (e) {
      throw ioError(`roll of ${this.name}`, e);
    }
    try {
      old.flushIndexes();
    } catch (e) {
      this.env.log(
        "warn",
        `${this.name}: index flush of ${old.logPath} failed (rebuilt on open): ${errorText(e)}`,
      );
    }
    this.segments.push(seg);
    this.retired.push(old);
    this.dirDirty = true;
    this.env.log("debug", `${this.name}: rolled segment at offset ${this.nextOffset} (${reason})`);
  }

  private advance(offset: number): void {
    if (offset > this.highWatermark) {
      this.highWatermark = offset;
      this.notifier.notify();
    }
  }

  private durable(offset: number): Promise<void> {
    if (this.recoveryPoint >= offset) {
      this.advance(offset);
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      this.waiters.push({ offset, resolve, reject });
      this.kickSync();
    });
  }

  private kickSync(): Promise<void> {
    if (!this.syncRun) this.syncRun = this.runSync().finally(() => (this.syncRun = null));
    return this.syncRun;
  }

  /** Group commit: each round fsyncs every segment written since the previous one. */
  private async runSync(): Promise<void> {
    while (true) {
      const target = this.nextOffset;
      const segs = [...this.unsynced];
      this.unsynced.clear();
      const retired = this.retired.splice(0);
      const dir = this.dirDirty;
      this.dirDirty = false;
      try {
        await Promise.all(segs.map((s) => s.syncData()));
        if (dir) await fsyncDir(this.dir);
      } catch (e) {
        this.fail(ioError(`fsync of ${this.name}`, e));
        return;
      }
      for (const r of retired) if (r !== this.active) r.closeWriter();
      if (target > this.recoveryPoint) this.recoveryPoint = target;
      if (this.env.fsync === "always") this.advance(target);
      if (this.waiters.length > 0) {
        const pending: Waiter[] = [];
        for (const w of this.waiters) {
          if (w.offset <= target) w.resolve();
          else pending.push(w);
        }
        this.waiters = pending;
      }
      if (this.waiters.length === 0) return;
    }
  }

  private get syncPending(): boolean {
    return this.unsynced.size > 0 || this.retired.length > 0 || this.dirDirty;
  }

  /** One background sync round (the fsync "interval" task). */
  async syncOnce(): Promise<void> {
    if (this.failure || this.closedError) return;
    if (this.syncRun) await this.syncRun;
    if (this.syncPending && !this.failure && !this.closedError) await this.kickSync();
  }

  /** Syncs until nothing written is left unsynced (close: no appends arrive any more). */
  async flush(): Promise<void> {
    while (!this.failure && !this.closedError && (this.syncPending || this.syncRun)) await this.kickSync();
  }

  private fail(err: StorageError): void {
    if (!this.failure) {
      this.failure = err;
      this.env.log("error", `${this.name}: partition is offline: ${err.message}`);
    }
    const w = this.waiters;
    this.waiters = [];
    for (const x of w) x.reject(err);
  }

  // ---- read ----

  read(offset: number, maxBytes: number, minOneBatch: boolean): ReadResult {
    if (this.closedError) throw this.closedError;
    const hw = this.highWatermark;
    const ls = this.logStartOffset;
    if (!Number.isSafeInteger(offset) || offset < ls || offset > hw) {
      throw new StorageError(
        ErrorCode.OFFSET_OUT_OF_RANGE,
        `${this.name}: offset ${offset} outside [${ls}, ${hw}]`,
      );
    }
    if (offset === hw) return { batches: [], bytes: 0, highWatermark: hw, logStartOffset: ls };
    if (!(maxBytes > 0)) maxBytes = 0; // also NaN
    const hit = this.cache.read(offset, maxBytes, minOneBatch, hw);
    if (hit) return { batches: hit.batches, bytes: hit.bytes, highWatermark: hw, logStartOffset: ls };
    try {
      for (let i = this.segmentIndex(offset); i < this.segments.length; i++) {
        const seg = this.segments[i];
        if (offset >= seg.endOffset) continue; // gap after a truncated segment
        this.noteRead(seg);
        const r = seg.read(offset, maxBytes, minOneBatch, hw);
        return { batches: r.batches, bytes: r.bytes, highWatermark: hw, logStartOffset: ls };
      }
    } catch (e) {
      throw ioError(`read of ${this.name} at offset ${offset}`, e);
    }
    return { batches: [], bytes: 0, highWatermark: hw, logStartOffset: ls };
  }

  /** Keeps at most one closed segment's read handle open per partition. */
  private noteRead(seg: Segment): void {
    const prev = this.lastRead;
    if (prev && prev !== seg && prev !== this.active) prev.releaseReader();
    this.lastRead = seg;
  }

  private segmentIndex(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    let ans = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.segments[mid].baseOffset <= offset) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  }

  /** The stored batch whose base offset is `base` (or which contains it). */
  private batchAt(offset: number): Uint8Array | null {
    const cached = this.cache.batchContaining(offset);
    if (cached) return cached;
    const seg = this.segments[this.segmentIndex(offset)];
    if (!seg || offset >= seg.endOffset) return null;
    this.noteRead(seg);
    const r = seg.read(offset, 0, true, Infinity);
    const b = r.batches[0];
    return b && baseOffsetAt(b, 0) <= offset ? b : null;
  }

  /** Record offsets and timestamps of a batch, or null when they cannot be decoded. */
  private async timestampsOf(batch: Uint8Array): Promise<TimestampOffset[] | null> {
    try {
      if ((attributesAt(batch, 0) & ATTR_COMPRESSION_MASK) === 0) return recordTimestamps(batch);
      if (this.env.decodeTimestamps) return await this.env.decodeTimestamps(batch);
    } catch (e) {
      this.env.log("warn", `${this.name}: cannot decode record timestamps of batch: ${errorText(e)}`);
    }
    return null;
  }

  async offsetForTimestamp(ts: number): Promise<TimestampOffset | null> {
    this.checkOpen();
    for (const seg of [...this.segments]) {
      if (seg.maxTimestamp < ts) continue;
      const base = seg.timeIndex.lookupFirst(ts);
      if (base < 0) continue;
      if (base >= this.highWatermark) return null;
      let batch: Uint8Array | null;
      try {
        batch = this.batchAt(base);
      } catch (e) {
        throw ioError(`timestamp lookup in ${this.name}`, e);
      }
      if (!batch) continue;
      const maxTs = maxTimestampAt(batch, 0);
      const first = baseOffsetAt(batch, 0);
      if ((attributesAt(batch, 0) & ATTR_LOG_APPEND_TIME) !== 0) return { offset: first, timestamp: maxTs };
      const recs = await this.timestampsOf(batch);
      if (recs) {
        for (const r of recs) if (r.timestamp >= ts) return { offset: r.offset, timestamp: r.timestamp };
      }
      return { offset: first, timestamp: maxTs };
    }
    return null;
  }

  async maxTimestamp(): Promise<TimestampOffset | null> {
    this.checkOpen();
    if (this.maxTsBatch < 0 || this.maxTsBatch >= this.highWatermark) return null;
    const ts = this.maxTs;
    let batch: Uint8Array | null;
    try {
      batch = this.batchAt(this.maxTsBatch);
    } catch (e) {
      throw ioError(`timestamp lookup in ${this.name}`, e);
    }
    if (!batch) return null;
    const first = baseOffsetAt(batch, 0);
    if ((attributesAt(batch, 0) & ATTR_LOG_APPEND_TIME) !== 0) return { offset: first, timestamp: ts };
    const recs = await this.timestampsOf(batch);
    if (recs) { for (const r of recs) if (r.timestamp === ts) return r; }
    return { offset: first + lastOffsetDeltaAt(batch, 0), timestamp: ts };
  }

  private checkOpen(): void {
    if (this.closedError) throw this.closedError;
  }

  private recomputeMaxTimestamp(): void {
    this.maxTs = -1;
    this.maxTsBatch = -1;
    for (const s of this.segments) {
      if (s.maxTimestamp > this.maxTs) {
        this.maxTs = s.maxTimestamp;
        this.maxTsBatch = s.maxTimestampOffset;
      }
    }
  }

  // ---- retention, checkpoint, close ----

  /**
   * Deletes whole segments: the oldest ones whose largest timestamp is older than retention.ms (rolling the active
   * segment first when it expired too), then the oldest closed ones while the partition stays above
   * retention.bytes without them. Advances the log start offset. Returns the number of deleted segments.
   */
  async enforceRetention(now: number): Promise<number> {
    if (this.closedError || this.failure) return 0;
    const s = this.settings;
    let k = 0;
    if (s.retentionMs >= 0) {
      while (k < this.segments.length) {
        const seg = this.segments[k];
        if (seg === this.active && seg.size === 0) break;
        // An empty closed segment (left by recovery) has nothing to keep.
        if (seg.size > 0 && now - seg.retentionTimestamp <= s.retentionMs) break;
        if (seg === this.active) {
          try {
            this.roll("retention.ms");
          } catch (e) {
            this.env.log("error", errorText(e));
            break;
          }
        }
        k++;
      }
    }
    if (s.retentionBytes >= 0) {
      let total = 0;
      for (let i = k; i < this.segments.length; i++) total += this.segments[i].size;
      while (k < this.segments.length - 1) {
        const seg = this.segments[k];
        if (total - seg.size < s.retentionBytes) break;
        total -= seg.size;
        k++;
      }
    }
    if (k === 0) return 0;
    const doomed = this.segments.splice(0, k);
    const oldStart = this.logStartOffset;
    this.logStartOffset = Math.max(this.logStartOffset, this.segments[0].baseOffset);
    this.cache.evictBelow(this.logStartOffset);
    this.recomputeMaxTimestamp();
    for (const seg of doomed) {
      this.unsynced.delete(seg);
      if (this.lastRead === seg) this.lastRead = null;
    }
    this.retired = this.retired.filter((r) => !doomed.includes(r));
    for (const seg of doomed) {
      try {
        await seg.delete();
      } catch (e) {
        this.env.log("error", `${this.name}: deleting ${seg.logPath} failed: ${errorText(e)}`);
      }
    }
    this.env.log(
      "info",
      `${this.name}: retention deleted ${k} segment(s), log start offset ${oldStart} -> ${this.logStartOffset}`,
    );
    await this.writeCheckpoint(false).catch((e) =>
      this.env.log("warn", `${this.name}: checkpoint: ${errorText(e)}`)
    );
    return k;
  }

  /** Persists log start offset and recovery point (atomic replace); also flushes the active segment's indexes. */
  writeCheckpoint(durable: boolean): Promise<void> {
    const run = async () => {
      if (this.dropped) return;
      const cp: Checkpoint = { logStartOffset: this.logStartOffset, recoveryPoint: this.recoveryPoint };
      const last = this.lastCheckpoint;
      if (
        !durable && last && last.logStartOffset === cp.logStartOffset &&
        last.recoveryPoint === cp.recoveryPoint
      ) {
        return;
      }
      if (!this.closedError) this.active.flushIndexes();
      await atomicWrite(
        join(this.dir, CHECKPOINT_FILE),
        new TextEncoder().encode(JSON.stringify(cp)),
        durable,
      );
      this.lastCheckpoint = cp;
    };
    const p = this.checkpointChain.then(run);
    this.checkpointChain = p.catch(() => {});
    return p;
  }

  /**
   * Stops the partition. With `keepData` (storage shutdown) pending appends finish, everything is fsynced and the
   * checkpoint records a clean recovery point; otherwise (topic deletion) handles are simply closed.
   */
  async close(keepData: boolean, reason: StorageError): Promise<void> {
    if (this.closedError) return;
    if (keepData) {
      await this.flush();
    }
    this.closedError = reason;
    this.dropped = !keepData;
    const w = this.waiters;
    this.waiters = [];
    for (const x of w) x.reject(reason);
    if (this.syncRun) await this.syncRun.catch(() => {});
    for (const seg of this.segments) {
      try {
        await seg.close();
      } catch (e) {
        this.env.log("warn", `${this.name}: closing ${seg.logPath}: ${errorText(e)}`);
      }
    }
    for (const seg of this.retired) seg.closeWriter();
    this.retired = [];
    this.cache.clear();
    if (keepData && !this.failure) await this.writeCheckpoint(true);
    else await this.checkpointChain;
    if (!keepData) this.notifier.closeAll();
  }
}
