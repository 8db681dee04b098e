// One partition's log: its segments, offsets (log start, high watermark, log end), serialized appends with
// group-committed fsync, reads served from the tail cache or a segment, timestamp lookups, segment roll,
// retention, and the checkpoint file (log start offset + recovery point) that bounds crash-recovery scans. Log
// compaction runs in cleaner.ts over a view of the partition (cleanerView); the checkpoint's format is
// checkpoint.ts, the segment scan at open recovery.ts, which segments retention deletes retention.ts, and which
// record of a batch answers a timestamp lookup timestamp_lookup.ts.
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
  ATTR_TIMESTAMP_TYPE,
  attributesAt,
  baseOffsetAt,
  BATCH_HEADER_SIZE,
  batchSizeAt,
  lastOffsetDeltaAt,
  MAGIC_V2,
  magicAt,
  maxTimestampAt,
} from "../../records/layout.ts";
import { atomicWrite, errorText, fsyncDir, ioError, LOG_SUFFIX, segmentFileName } from "./files.ts";
import { Notifier } from "./notifier.ts";
import { type CleanerLog, type CompactionResult, compactLog, completeSwaps } from "./cleaner.ts";
import { type LogSettings, MAX_SEGMENT_BYTES } from "./options.ts";
import { type BatchMeta, Segment, type SegmentEnv, type SegmentRead } from "./segment.ts";
import { type CacheBudget, TailCache } from "./tail_cache.ts";
import { faultKind, type StorageHealth } from "./health.ts";
import { SerialQueue } from "../../serial.ts";
import { type Checkpoint, CHECKPOINT_FILE, readCheckpoint, sameCheckpoint } from "./checkpoint.ts";
import { recoverSegments } from "./recovery.ts";
import { expiredSegments, segmentsOverBytes } from "./retention.ts";
import { firstRecordAtOrAfter, recordWithTimestamp } from "./timestamp_lookup.ts";

export interface PartitionEnv extends SegmentEnv {
  readonly fsync: "always" | "interval";
  readonly budget: CacheBudget;
  readonly cacheBytes: number;
  readonly decodeTimestamps?: (batch: Uint8Array) => Promise<TimestampOffset[]>;
  /** Where I/O failures are counted, logged once per condition and reported to /readyz. */
  readonly health: StorageHealth;
}

/**
 * File descriptors one partition holds open at most: the active segment's writer (always open), the read handles
 * of the active segment and of the last closed segment read (opened lazily on a tail-cache miss, at most these two
 * are kept), and the writer of a segment just rolled, closed by the next fsync round. Indexes, checkpoints and
 * producer snapshots are opened and closed within one write. The partition limit derived from the open-file limit
 * (src/handlers/topic_rules.ts) counts with it.
 */
export const FILES_PER_PARTITION = 4;

interface Waiter {
  readonly offset: number;
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}

const INT32_MAX = 2 ** 31 - 1;

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
  /** Checkpoint writes run one at a time: each reads the state and the last one written in its turn. */
  private readonly checkpoints = new SerialQueue();
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
  /** Retention, DeleteRecords and compaction run one at a time. */
  private maintenance: Promise<unknown> = Promise.resolve();
  /** Log cleaner: offsets below were compacted. */
  private cleanerOffset = 0;
  /** Log cleaner: earliest delete horizon of kept tombstones (a pass is due then), -1 when none. */
  private deleteHorizon = -1;

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
    try {
      // Not reported to health: a failed creation is undone and logged whole by the storage (rollBack).
      await log.writeCheckpoint(true, false);
    } catch (e) {
      log.active.closeWriter(); // the caller removes the directory; no descriptor may outlive it
      throw e;
    }
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
    await completeSwaps(name, dir, env);
    const cp = readCheckpoint(dir, env.log);
    const recoveryPoint = cp?.recoveryPoint ?? 0;
    log.segments = await recoverSegments(name, dir, env, recoveryPoint);
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
    log.cleanerOffset = Math.min(cp?.cleanerOffset ?? 0, log.nextOffset);
    log.deleteHorizon = cp?.deleteHorizon ?? -1;
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
        b.pos !== end || b.size < BATCH_HEADER_SIZE || b.pos + b.size > payload.length ||
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
    // Cached bytes must never change: a copy, unless the caller handed its buffer over and this append is most of
    // it (a view of a small part would pin a much larger buffer in the cache).
    const data = req.owned === true && 2 * (end - start) >= payload.buffer.byteLength
      ? payload.subarray(start, end)
      : payload.slice(start, end);
    this.maybeRoll(data.length, metas);
    const seg = this.active;
    try {
      seg.append(data, metas);
    } catch (e) {
      const err = ioError(`append to ${this.name}`, e);
      if (seg.broken) this.fail(err, seg.logPath);
      else this.env.health.failed(this.name, seg.logPath, e);
      throw err;
    }
    this.env.health.ok(this.name, true);
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
    const lat = (attributesAt(data, 0) & ATTR_TIMESTAMP_TYPE) !== 0 ? maxTimestampAt(data, 0) : -1;
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
      this.env.health.failed(this.name, join(this.dir, segmentFileName(this.nextOffset, LOG_SUFFIX)), e);
      throw ioError(`roll of ${this.name}`, e);
    }
    try {
      old.flushIndexes();
    } catch (e) {
      this.env.health.failed(this.name, old.index.path, e);
      this.env.log(
        "warn",
        `${this.name}: index flush of ${old.logPath} failed (rebuilt on open): ${errorText(e)}`,
      );
    }
    // Read handles are kept for the active segment and the last one read only (FILES_PER_PARTITION).
    if (this.lastRead !== old) old.releaseReader();
    this.segments.push(seg);
    this.retired.push(old);
    this.dirDirty = true;
    // The old writer closes once its data is synced: sync now rather than at the next interval, so that a
    // partition rolling fast does not pile up open writers (as Kafka flushes a segment when it rolls).
    if (this.env.fsync === "interval") void this.kickSync();
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
        this.fail(ioError(`fsync of ${this.name}`, e), this.dir);
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
      // Segments rolled during the round wait for a sync to close their writers: one more round.
      if (this.waiters.length === 0 && this.retired.length === 0) return;
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

  /** Takes the partition offline until a restart: its files can no longer be trusted to match what was acked. */
  private fail(err: StorageError, path: string): void {
    if (!this.failure) {
      this.failure = err;
      if (faultKind(err) !== null) this.env.health.failed(this.name, path, err, true);
      else this.env.log("error", `${this.name}: partition is offline: ${err.message}`);
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
    for (let i = this.segmentIndex(offset); i < this.segments.length; i++) {
      const seg = this.segments[i];
      if (offset >= seg.endOffset) continue; // gap after a truncated segment
      this.noteRead(seg);
      let r: SegmentRead;
      try {
        r = seg.read(offset, maxBytes, minOneBatch, hw);
      } catch (e) {
        this.env.health.failed(seg.logPath, seg.logPath, e);
        throw ioError(`read of ${this.name} at offset ${offset}`, e);
      }
      this.env.health.ok(seg.logPath, false);
      return { batches: r.batches, bytes: r.bytes, highWatermark: hw, logStartOffset: ls };
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

  /**
   * The first record (in offset order) with timestamp >= ts and offset >= the log start offset: the time index
   * names the first batch whose max timestamp reaches ts; batches are scanned from there (also across segments)
   * until one has such a record.
   */
  async offsetForTimestamp(ts: number): Promise<TimestampOffset | null> {
    this.checkOpen();
    const segments = [...this.segments];
    for (const seg of segments) {
      if (seg.maxTimestamp < ts || seg.endOffset <= this.logStartOffset) continue;
      let offset = seg.timeIndex.lookupFirst(ts);
      if (offset < 0) continue;
      while (offset < seg.endOffset && offset < this.highWatermark) {
        let batch: Uint8Array | undefined;
        try {
          this.noteRead(seg);
          batch = seg.read(offset, 0, true, this.highWatermark).batches[0];
        } catch (e) {
          throw ioError(`timestamp lookup in ${this.name}`, e);
        }
        if (!batch) break;
        const last = baseOffsetAt(batch, 0) + lastOffsetDeltaAt(batch, 0);
        const maxTs = maxTimestampAt(batch, 0);
        if (maxTs >= ts && last >= this.logStartOffset) {
          const found = await firstRecordAtOrAfter(batch, ts, this.logStartOffset, this.env, this.name);
          if (found) return found;
        }
        offset = last + 1;
      }
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
    return await recordWithTimestamp(batch, ts, this.env, this.name);
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
  enforceRetention(now: number): Promise<number> {
    return this.exclusive(() => this.doRetention(now));
  }

  /** Runs maintenance tasks (retention, DeleteRecords, compaction) one after another. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.maintenance.then(fn);
    this.maintenance = p.catch(() => {});
    return p;
  }

  private async doRetention(now: number): Promise<number> {
    if (this.closedError || this.failure) return 0;
    const s = this.settings;
    if (!s.cleanupDelete) return 0; // cleanup.policy=compact: nothing expires
    let k = 0;
    if (s.retentionMs >= 0) {
      k = expiredSegments(this.segments, s.retentionMs, now);
      if (k === this.segments.length) {
        // The active segment expired too: roll it, so that it can go (kept when the roll fails).
        try {
          this.roll("retention.ms");
        } catch (e) {
          this.env.log("error", errorText(e));
          k--;
        }
      }
    }
    if (s.retentionBytes >= 0) k = segmentsOverBytes(this.segments, k, s.retentionBytes);
    if (k === 0) return 0;
    const oldStart = this.logStartOffset;
    await this.dropOldest(k, Math.max(this.logStartOffset, this.segments[k].baseOffset));
    this.env.log(
      "info",
      `${this.name}: retention deleted ${k} segment(s), log start offset ${oldStart} -> ${this.logStartOffset}`,
    );
    await this.writeCheckpoint(false).catch((e) => this.checkpointFailed(e));
    return k;
  }

  /** Deletes the `k` oldest segments (never the active one) and moves the log start offset to `newStart`. */
  private async dropOldest(k: number, newStart: number): Promise<void> {
    const doomed = this.segments.splice(0, k);
    this.logStartOffset = newStart;
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
        this.env.health.failed(this.name, seg.logPath, e);
        if (faultKind(e) === null) {
          this.env.log("error", `${this.name}: deleting ${seg.logPath} failed: ${errorText(e)}`);
        }
      }
    }
  }

  /**
   * DeleteRecords: moves the log start offset up to `offset` (-1 = the high watermark) and deletes every segment
   * that lies wholly below it (the active one stays, as in Kafka). Durable before it resolves; returns the new log
   * start offset.
   */
  deleteRecords(offset: number): Promise<number> {
    return this.exclusive(async () => {
      this.checkWritable();
      const hw = this.highWatermark;
      const target = offset === -1 ? hw : offset;
      if (!Number.isSafeInteger(target) || target < 0 || target > hw) {
        throw new StorageError(
          ErrorCode.OFFSET_OUT_OF_RANGE,
          `Cannot increment the log start offset to ${offset} of partition ${this.name} since it is larger than the high watermark ${hw}`,
        );
      }
      if (target <= this.logStartOffset) return this.logStartOffset;
      const oldStart = this.logStartOffset;
      let k = 0;
      while (k < this.segments.length - 1 && this.segments[k + 1].baseOffset <= target) k++;
      await this.dropOldest(k, target);
      await this.writeCheckpoint(true);
      this.env.log(
        "info",
        `${this.name}: DeleteRecords moved the log start offset ${oldStart} -> ${target}, deleted ${k} segment(s)`,
      );
      return target;
    });
  }

  // ---- log compaction ----

  /** One log cleaner pass (cleaner.ts, compactLog), run with the other maintenance; null when nothing was due. */
  compact(now: number, stopping: () => boolean = () => false): Promise<CompactionResult | null> {
    return this.exclusive(() => compactLog(this.cleanerView(), now, stopping));
  }

  /** The partition as the log cleaner reads and changes it. */
  private cleanerView(): CleanerLog {
    return {
      name: this.name,
      dir: this.dir,
      env: this.env,
      settings: this.settings,
      segments: this.segments,
      logStartOffset: this.logStartOffset,
      cleanerOffset: this.cleanerOffset,
      deleteHorizon: this.deleteHorizon,
      closed: () => this.closedError !== null,
      stopped: () => this.closedError !== null || this.failure !== null,
      lastRead: () => this.lastRead,
      isSynced: (seg) => !this.unsynced.has(seg) && !this.retired.includes(seg),
      forget: (seg) => {
        this.unsynced.delete(seg);
        if (this.lastRead === seg) this.lastRead = null;
      },
      replace: (at, count, seg, end) => {
        this.segments.splice(at, count, seg);
        this.cache.evictBelow(end);
      },
      finish: async (cleanerOffset, deleteHorizon) => {
        this.recomputeMaxTimestamp();
        this.cleanerOffset = cleanerOffset;
        this.deleteHorizon = deleteHorizon;
        await this.writeCheckpoint(false).catch((e) => this.checkpointFailed(e));
      },
    };
  }

  /** A background checkpoint failed: an errno fault was counted and logged once by health, anything else is logged. */
  private checkpointFailed(e: unknown): void {
    if (faultKind(e) === null) this.env.log("warn", `${this.name}: checkpoint: ${errorText(e)}`);
  }

  /**
   * Persists log start offset and recovery point (atomic replace); also flushes the active segment's indexes.
   * With `report` (all but the creation), the outcome goes to health.
   */
  writeCheckpoint(durable: boolean, report = true): Promise<void> {
    const run = async () => {
      if (this.dropped) return;
      const cp: Checkpoint = {
        logStartOffset: this.logStartOffset,
        recoveryPoint: this.recoveryPoint,
        cleanerOffset: this.cleanerOffset,
        deleteHorizon: this.deleteHorizon,
      };
      const last = this.lastCheckpoint;
      if (!durable && last && sameCheckpoint(last, cp)) return;
      const path = join(this.dir, CHECKPOINT_FILE);
      try {
        if (!this.closedError) this.active.flushIndexes();
        await atomicWrite(path, new TextEncoder().encode(JSON.stringify(cp)), durable);
      } catch (e) {
        if (report) this.env.health.failed(this.name, path, e);
        throw e;
      }
      if (report) this.env.health.ok(this.name, false);
      this.lastCheckpoint = cp;
    };
    return this.checkpoints.run(run);
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
    else await this.checkpoints.idle();
    if (!keepData) this.notifier.closeAll();
  }
}
