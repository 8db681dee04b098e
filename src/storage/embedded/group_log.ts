// EmbeddedGroupStore: consumer-group state (committed offsets, group metadata) of the embedded backend, kept like
// Kafka's compacted __consumer_offsets topic in one append-only file `<dir>/groups.log` of CRC32C-checksummed
// records (format: group_log_codec.ts).
//
// Appends are synchronous (encode, one writeSync into the page cache, in-memory mirror update), so they are
// serialized by construction and a commit of N partitions is one record, hence atomic on replay. Only fsync is
// asynchronous: with fsync "always" an append resolves after an fdatasync round covering it (concurrent appends
// share rounds); with "interval" a timer runs the rounds in the background.
//
// The store mirrors the live state in memory (the caller's readonly objects, kept by reference), so compaction
// writes a snapshot without re-reading the log: snapshot -> `groups.log.compact.tmp`, fdatasync, rename over the
// log, fsync of the directory. Appends made while the snapshot is being synced are written to both files, and every
// fsync round in that window syncs both, so whatever was acknowledged before the rename is durable in either file.
//
// load() replays the log, truncating a torn or corrupt tail (an unreadable header moves the file aside), and
// compacts when the file exceeds compactAfterBytes or is mostly dead. Later compactions start when the file grows
// past max(compactAfterBytes, 2 x the size after the last compaction).
import { join } from "node:path";
import { DecodeError, Reader } from "../../protocol/codec.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import {
  type CommittedOffset,
  type GroupStore,
  type LoadedGroupState,
  offsetKey,
  type StoredGroup,
} from "../group_store.ts";
import { StorageError } from "../storage.ts";
import { errorText, fsyncCounts, fsyncDir, ioError, readFileOrNull, writeAllSync } from "./files.ts";
import {
  applyRecord,
  checkFrame,
  encodeConsumerGroup,
  encodeGroupDelete,
  encodeGroupMetadata,
  encodeHeader,
  encodeOffsetCommit,
  encodeOffsetDelete,
  encodeSnapshot,
  estimateSnapshotBytes,
  FRAME_OVERHEAD,
  type GroupLogState,
  HEADER_BYTES,
  headerError,
} from "./group_log_codec.ts";
import type { LogFn, LogLevel } from "./options.ts";
import { faultKind, StorageHealth } from "./health.ts";

export interface EmbeddedGroupStoreOptions {
  /** Directory of the log (created when missing), e.g. `<dataDir>/__consumer_offsets`. */
  readonly dir: string;
  /** "always": appends resolve after fdatasync covers them; "interval": background fdatasync. */
  readonly fsync: "always" | "interval";
  /** Background sync period for fsync "interval". */
  readonly fsyncIntervalMs: number;
  /** Compact once the log grows past this many bytes (and twice its last compacted size). Default 64 MiB. */
  readonly compactAfterBytes?: number;
  /** Logger; default prints info and above to stderr. */
  readonly log?: (level: LogLevel, msg: string) => void;
  /** Where I/O failures are counted and logged once per condition (the embedded storage's); default: its own. */
  readonly health?: StorageHealth;
}

export interface GroupStoreStats {
  /** Bytes in the log file. */
  readonly bytes: number;
  readonly appends: number;
  /** Completed fdatasync rounds. */
  readonly syncRounds: number;
  readonly compactions: number;
  /** Appends also written to a snapshot file while a compaction was syncing it. */
  readonly overlappedAppends: number;
}

export const GROUP_LOG_FILE = "groups.log";
const LOCK_FILE = ".lock";
const COMPACT_SUFFIX = ".compact.tmp";
const DEFAULT_COMPACT_AFTER = 64 * 1024 * 1024;
/** Load-time "mostly dead" compaction is skipped below this many dead bytes (not worth a rewrite). */
const MIN_DEAD_BYTES = 64 * 1024;
/** Snapshot frames are coalesced into writes of about this size. */
const WRITE_CHUNK = 1024 * 1024;

interface Waiter {
  readonly seq: number;
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}

function defaultLog(level: LogLevel, msg: string): void {
  if (level !== "debug") console.error(`[group-store] ${level}: ${msg}`);
}

/** Writes many small buffers with few syscalls. Returns the bytes written. */
function writeFrames(file: Deno.FsFile, frames: readonly Uint8Array[]): number {
  let total = 0;
  let staging: Uint8Array | null = null;
  let fill = 0;
  for (const f of frames) {
    total += f.length;
    if (f.length >= WRITE_CHUNK) {
      if (staging && fill > 0) writeAllSync(file, staging.subarray(0, fill));
      fill = 0;
      writeAllSync(file, f);
      continue;
    }
    staging ??= new Uint8Array(WRITE_CHUNK);
    if (fill + f.length > WRITE_CHUNK) {
      writeAllSync(file, staging.subarray(0, fill));
      fill = 0;
    }
    staging.set(f, fill);
    fill += f.length;
  }
  if (staging && fill > 0) writeAllSync(file, staging.subarray(0, fill));
  return total;
}

export class EmbeddedGroupStore implements GroupStore {
  readonly path: string;
  private readonly dir: string;
  private readonly fsync: "always" | "interval";
  private readonly fsyncIntervalMs: number;
  private readonly compactAfterBytes: number;
  private readonly log: LogFn;
  private readonly health: StorageHealth;

  private state: "new" | "loading" | "open" | "closed" = "new";
  private readonly live: GroupLogState = { groups: new Map(), offsets: new Map(), consumerGroups: new Map() };
  private file: Deno.FsFile | null = null;
  private lock: Deno.FsFile | null = null;
  private size = 0;
  /** Appends written so far / covered by a completed fdatasync round. */
  private seq = 0;
  private syncedSeq = 0;
  private waiters: Waiter[] = [];
  private syncRun: Promise<void> | null = null;
  /** Files the running sync round is syncing (a retired log is closed only after it). */
  private roundFiles: Deno.FsFile[] = [];
  private retired: Deno.FsFile[] = [];
  private dirDirty = false;
  private failure: StorageError | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private closing: Promise<void> | null = null;

  private nextCompactAt = 0;
  private compaction: Promise<void> | null = null;
  /** Snapshot file being prepared: appends are written to it too. */
  private dual: Deno.FsFile | null = null;
  private dualSize = 0;
  private dualFailed: unknown = null;

  private appends = 0;
  private syncRounds = 0;
  private compactions = 0;
  private overlappedAppends = 0;

  constructor(opts: EmbeddedGroupStoreOptions) {
    this.dir = opts.dir;
    this.path = join(opts.dir, GROUP_LOG_FILE);
    this.fsync = opts.fsync;
    if (!(opts.fsyncIntervalMs >= 1)) throw new RangeError("group store option fsyncIntervalMs must be >= 1");
    this.fsyncIntervalMs = Math.floor(opts.fsyncIntervalMs);
    const c = opts.compactAfterBytes ?? DEFAULT_COMPACT_AFTER;
    if (!(c >= 1)) throw new RangeError("group store option compactAfterBytes must be >= 1");
    this.compactAfterBytes = Math.floor(c);
    this.log = opts.log ?? defaultLog;
    this.health = opts.health ?? new StorageHealth(this.log);
  }

  stats(): GroupStoreStats {
    return {
      bytes: this.size,
      appends: this.appends,
      syncRounds: this.syncRounds,
      compactions: this.compactions,
      overlappedAppends: this.overlappedAppends,
    };
  }

  /** Resolves when the compaction running now (if any) has finished, successfully or not. */
  compactionDone(): Promise<void> {
    return this.compaction ? this.compaction.catch(() => {}) : Promise.resolve();
  }

  // ---- load ----

  async load(): Promise<LoadedGroupState> {
    if (this.state !== "new") {
      throw new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, `group store ${this.path} was already loaded`);
    }
    this.state = "loading";
    try {
      await this.openAndReplay();
    } catch (e) {
      this.closeHandles();
      this.state = "closed";
      throw ioError(`loading group store ${this.path}`, e);
    }
    if (this.closing) {
      this.closeHandles();
      this.state = "closed";
      throw new StorageError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `group store ${this.path} was closed`);
    }
    this.state = "open";
    const est = estimateSnapshotBytes(this.live);
    const dead = this.size - est;
    this.nextCompactAt = Math.max(this.compactAfterBytes, 2 * est);
    if (this.size > this.compactAfterBytes || (2 * dead > this.size && dead >= MIN_DEAD_BYTES)) {
      await this.compact(
        this.size > this.compactAfterBytes ? "log exceeds compactAfterBytes" : "more than half is dead",
      ).catch(() => {}); // logged; the uncompacted log stays valid
    }
    if (this.fsync === "interval" && !this.closing) {
      this.timer = setInterval(() => {
        if (this.state === "open" && !this.failure && !this.syncRun && this.syncPending) {
          this.kickSync().catch(() => {}); // failures are logged and fail the store
        }
      }, this.fsyncIntervalMs);
      const t: unknown = this.timer;
      if (typeof t === "number") Deno.unrefTimer(t);
      else (t as { unref(): void }).unref();
    }
    const groups = new Map(this.live.groups);
    const offsets = new Map<string, ReadonlyMap<string, CommittedOffset>>();
    for (const [g, m] of this.live.offsets) offsets.set(g, new Map(m));
    return { groups, offsets, consumerGroups: new Map(this.live.consumerGroups) };
  }

  private async openAndReplay(): Promise<void> {
    await Deno.mkdir(this.dir, { recursive: true });
    const lock = await Deno.open(join(this.dir, LOCK_FILE), { read: true, write: true, create: true });
    if (!(await lock.tryLock(true))) {
      lock.close();
      throw new Error(`group store directory ${this.dir} is in use by another process`);
    }
    this.lock = lock;
    for await (const e of Deno.readDir(this.dir)) {
      if (e.isFile && e.name.startsWith(GROUP_LOG_FILE) && e.name.endsWith(COMPACT_SUFFIX)) {
        this.log("info", `${this.dir}: removing leftover compaction file ${e.name}`);
        await Deno.remove(join(this.dir, e.name));
      }
    }
    let buf = readFileOrNull(this.path);
    if (buf !== null) {
      const bad = headerError(buf);
      if (bad !== null) {
        const aside = `${this.path}.corrupt-${Date.now()}`;
        this.log("error", `${this.path}: ${bad}; moved to ${aside}, starting with an empty group log`);
        await Deno.rename(this.path, aside);
        buf = null;
      }
    }
    if (buf === null) {
      await this.createEmptyLog();
      buf = encodeHeader();
    }
    const validEnd = this.replay(buf);
    this.file = Deno.openSync(this.path, { write: true, append: true });
    if (validEnd < buf.length) {
      this.file.truncateSync(validEnd);
      fsyncCounts.group_log++;
      this.file.syncDataSync();
    }
    this.size = validEnd;
  }

  /** Writes a log holding only the header (temp file + rename, durable). */
  private async createEmptyLog(): Promise<void> {
    const tmp = this.path + COMPACT_SUFFIX;
    const f = await Deno.open(tmp, { write: true, create: true, truncate: true });
    try {
      writeAllSync(f, encodeHeader());
      fsyncCounts.group_log++;
      await f.syncData();
    } finally {
      f.close();
    }
    await Deno.rename(tmp, this.path);
    await fsyncDir(this.dir);
  }

  /** Applies every valid record; returns the end of the last one (where a torn/corrupt tail gets truncated). */
  private replay(buf: Uint8Array): number {
    let pos = HEADER_BYTES;
    let records = 0;
    let unknown = 0;
    let reason = "";
    while (pos < buf.length) {
      const c = checkFrame(buf, pos, buf.length);
      if (!c.ok) {
        reason = `${c.torn ? "torn" : "corrupt"} record: ${c.reason}`;
        break;
      }
      try {
        const r = new Reader(buf, pos + FRAME_OVERHEAD + 1, pos + c.size);
        if (!applyRecord(this.live, c.kind, r)) unknown++;
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
        reason = `undecodable record of kind ${c.kind}: ${e.message}`;
        break;
      }
      records++;
      pos += c.size;
    }
    if (unknown > 0) this.log("warn", `${this.path}: skipped ${unknown} record(s) of unknown kind`);
    if (pos < buf.length) {
      this.log(
        "warn",
        `${this.path}: truncating ${
          buf.length - pos
        } bytes at position ${pos} after ${records} records (${reason})`,
      );
    }
    let n = 0;
    for (const m of this.live.offsets.values()) n += m.size;
    this.log(
      "info",
      `${this.path}: loaded ${
        this.live.groups.size + this.live.consumerGroups.size
      } group(s) and ${n} committed offset(s) from ${records} records`,
    );
    return pos;
  }

  // ---- appends ----

  commitOffsets(groupId: string, offsets: readonly CommittedOffset[]): Promise<void> {
    try {
      this.checkWritable();
      if (offsets.length === 0) return Promise.resolve();
      const frame = encodeOffsetCommit(groupId, offsets);
      this.write(frame);
      let m = this.live.offsets.get(groupId);
      if (!m) {
        m = new Map();
        this.live.offsets.set(groupId, m);
      }
      for (const o of offsets) m.set(offsetKey(o.topic, o.partition), o);
      return this.afterAppend();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  deleteOffsets(groupId: string, partitions: readonly { topic: string; partition: number }[]): Promise<void> {
    try {
      this.checkWritable();
      const m = this.live.offsets.get(groupId);
      // Only offsets that exist need a tombstone (the mirror is exactly what the log replays to).
      const present = m ? partitions.filter((p) => m.has(offsetKey(p.topic, p.partition))) : [];
      if (!m || present.length === 0) return Promise.resolve();
      this.write(encodeOffsetDelete(groupId, present));
      for (const p of present) m.delete(offsetKey(p.topic, p.partition));
      if (m.size === 0) this.live.offsets.delete(groupId);
      return this.afterAppend();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  saveGroup(group: StoredGroup): Promise<void> {
    try {
      this.checkWritable();
      this.write(encodeGroupMetadata(group));
      this.live.consumerGroups.delete(group.groupId);
      this.live.groups.set(group.groupId, group);
      return this.afterAppend();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** `state` is kept by reference (like saveGroup's group): the caller must not modify it afterwards. */
  saveConsumerGroup(groupId: string, state: Uint8Array): Promise<void> {
    try {
      this.checkWritable();
      this.write(encodeConsumerGroup(groupId, state));
      this.live.groups.delete(groupId);
      this.live.consumerGroups.set(groupId, state);
      return this.afterAppend();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  deleteGroup(groupId: string): Promise<void> {
    try {
      this.checkWritable();
      if (
        !this.live.groups.has(groupId) && !this.live.offsets.has(groupId) &&
        !this.live.consumerGroups.has(groupId)
      ) return Promise.resolve();
      this.write(encodeGroupDelete(groupId));
      this.live.groups.delete(groupId);
      this.live.consumerGroups.delete(groupId);
      this.live.offsets.delete(groupId);
      return this.afterAppend();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private checkWritable(): void {
    if (this.failure) throw this.failure;
    if (this.state === "new" || this.state === "loading") {
      throw new StorageError(
        ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
        `group store ${this.path} is not loaded`,
      );
    }
    if (this.state === "closed" || this.closing) {
      throw new StorageError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `group store ${this.path} is closed`);
    }
  }

  /** One frame into the page cache (and into the pending snapshot file during compaction). */
  private write(frame: Uint8Array): void {
    const f = this.file!;
    try {
      writeAllSync(f, frame);
    } catch (e) {
      const err = ioError(`append to ${this.path}`, e);
      try {
        f.truncateSync(this.size);
      } catch (e2) {
        this.fail(
          ioError(`append to ${this.path} failed and could not be rolled back (${errorText(e2)})`, e),
        );
      }
      if (!this.failure) this.health.failed(this.path, this.path, e);
      throw err;
    }
    this.health.ok(this.path, true);
    this.size += frame.length;
    this.seq++;
    this.appends++;
    if (this.dual) {
      try {
        writeAllSync(this.dual, frame);
        this.dualSize += frame.length;
        this.overlappedAppends++;
      } catch (e) {
        this.dualFailed = e;
        this.dual = null;
      }
    }
  }

  private afterAppend(): Promise<void> {
    if (this.size >= this.nextCompactAt && !this.compaction) {
      this.compact("log grew past its compaction threshold").catch(() => {}); // logged inside
    }
    if (this.fsync === "interval") return Promise.resolve();
    const seq = this.seq;
    return new Promise((resolve, reject) => {
      this.waiters.push({ seq, resolve, reject });
      this.kickSync().catch(() => {}); // waiters get the error
    });
  }

  // ---- fsync ----

  private get syncPending(): boolean {
    return this.syncedSeq < this.seq || this.dirDirty;
  }

  private kickSync(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (!this.syncRun) this.syncRun = this.runSync();
    return this.syncRun;
  }

  /**
   * Group commit: each round fdatasyncs everything written before it started (and the directory after a rename).
   * `syncRun` is cleared synchronously when the loop ends, so an append made by a continuation of a resolved
   * waiter always starts a new round instead of joining the finished one.
   */
  private async runSync(): Promise<void> {
    try {
      await Promise.resolve(); // `syncRun` is assigned before anything below can finish
      while (true) {
        if (this.failure) throw this.failure;
        const target = this.seq;
        const files = this.dual ? [this.file!, this.dual] : [this.file!];
        const dir = this.dirDirty;
        this.dirDirty = false;
        this.roundFiles = files;
        try {
          fsyncCounts.group_log += files.length;
          await Promise.all(files.map((f) => f.syncData()));
          if (dir) await fsyncDir(this.dir);
        } catch (e) {
          this.fail(ioError(`fsync of ${this.path}`, e));
          throw this.failure;
        } finally {
          this.roundFiles = [];
          this.closeRetired();
        }
        this.syncRounds++;
        if (target > this.syncedSeq) this.syncedSeq = target;
        if (this.waiters.length > 0) {
          const pending: Waiter[] = [];
          for (const w of this.waiters) {
            if (w.seq <= target) w.resolve();
            else pending.push(w);
          }
          this.waiters = pending;
        }
        if (this.waiters.length === 0) return;
      }
    } finally {
      this.syncRun = null;
    }
  }

  /** Syncs until everything written is covered. */
  private async flush(): Promise<void> {
    while (!this.failure && (this.syncPending || this.syncRun)) await this.kickSync();
    if (this.failure) throw this.failure;
  }

  private fail(err: StorageError): void {
    if (!this.failure) {
      this.failure = err;
      if (faultKind(err) !== null) this.health.failed(this.path, this.path, err, true);
      else this.log("error", `${this.path}: group store failed, no further writes: ${err.message}`);
    }
    const w = this.waiters;
    this.waiters = [];
    for (const x of w) x.reject(err);
  }

  private closeRetired(): void {
    const keep: Deno.FsFile[] = [];
    for (const f of this.retired) {
      if (this.roundFiles.includes(f)) keep.push(f);
      else {
        try {
          f.close();
        } catch { /* already closed */ }
      }
    }
    this.retired = keep;
  }

  // ---- compaction ----

  private compact(reason: string): Promise<void> {
    if (!this.compaction) this.compaction = this.doCompact(reason).finally(() => (this.compaction = null));
    return this.compaction;
  }

  private async doCompact(reason: string): Promise<void> {
    const tmpPath = this.path + COMPACT_SUFFIX;
    const before = this.size;
    const started = performance.now();
    let tmp: Deno.FsFile | null = null;
    let swapped = false;
    try {
      try {
        Deno.removeSync(tmpPath);
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      }
      // Append mode, like the log it replaces: a write rolled back by truncation must not leave a hole.
      tmp = Deno.openSync(tmpPath, { append: true, createNew: true });
      this.dualSize = writeFrames(tmp, encodeSnapshot(this.live));
      this.dualFailed = null;
      this.dual = tmp; // from here on appends go to both files and sync rounds sync both
      fsyncCounts.group_log++;
      await tmp.syncData();
      if (this.dualFailed !== null) throw this.dualFailed;
      if (this.failure) throw this.failure;
      // Swap (synchronous: no append can interleave). Everything acknowledged so far is durable in the old
      // file and in the snapshot file, so a crash before the directory fsync loses nothing either way.
      Deno.renameSync(tmpPath, this.path);
      swapped = true;
      const old = this.file!;
      this.file = tmp;
      this.dual = null;
      this.size = this.dualSize;
      this.dirDirty = true;
      this.retired.push(old);
      this.closeRetired(); // unless a running sync round still syncs it
      this.nextCompactAt = Math.max(this.compactAfterBytes, 2 * this.size);
      this.compactions++;
      await this.flush(); // fdatasync the new log and fsync the directory
      this.log(
        "info",
        `${this.path}: compacted (${reason}) from ${before} to ${this.size} bytes in ${
          Math.round(performance.now() - started)
        } ms`,
      );
    } catch (e) {
      if (!swapped) {
        if (this.dual === tmp) this.dual = null;
        if (tmp) {
          this.retired.push(tmp);
          this.closeRetired();
        }
        await Deno.remove(tmpPath).catch(() => {});
        // Back off: try again only after another threshold's worth of appends.
        this.nextCompactAt = this.size + Math.max(this.compactAfterBytes, this.size);
      }
      this.health.count(e);
      this.log("error", `${this.path}: compaction (${reason}) failed: ${errorText(e)}`);
      throw e;
    } finally {
      this.dualFailed = null;
    }
  }

  // ---- close ----

  close(): Promise<void> {
    if (!this.closing) this.closing = this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    if (this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
    if (this.state !== "open") {
      this.state = "closed";
      return;
    }
    if (this.compaction) await this.compaction.catch(() => {});
    try {
      await this.flush();
    } catch (e) {
      this.log("error", `${this.path}: final fsync failed: ${errorText(e)}`);
    }
    if (this.syncRun) await this.syncRun.catch(() => {});
    this.state = "closed";
    const err = this.failure ??
      new StorageError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `group store ${this.path} is closed`);
    const w = this.waiters;
    this.waiters = [];
    for (const x of w) x.reject(err);
    this.closeHandles();
  }

  private closeHandles(): void {
    for (const f of [this.file, ...this.retired, this.lock]) {
      if (!f) continue;
      try {
        f.close();
      } catch { /* already closed */ }
    }
    this.file = null;
    this.retired = [];
    this.lock = null;
  }
}
