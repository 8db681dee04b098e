// Deletes whole log files of one partition directory: retention (retention.ms, retention.bytes) and DeleteRecords
// on SeaweedMQ, whose broker never deletes records itself (its TopicRetention is only read by `weed admin`, which
// deletes whole earlier layouts of a topic). As Kafka does with segments: a file goes when its newest record is
// older than retention.ms, or, oldest first, while the partition stays at or above retention.bytes without it; the
// log start offset then moves to the end of the last file that went. The newest file of the directory a broker
// writes is never deleted (the broker may still append to it).
//
// A directory holds one log file per broker flush, named by the flush's start time (UTC, "2006-01-02-15-04-05"),
// with `offset_min` / `offset_max` attributes (8-byte big-endian) -- except the partition's first file, which has
// none (its end is the next file's `offset_min`) -- plus bookkeeping files whose names end in ".offset"
// (checkpoint.offset, the gateway's kafka_gateway_hwm.offset), which are never touched, and the parquet files
// `mq.topic.compact` writes from log files (schematized topics), which go once all their records are below the log
// start (doomedParquet).
//
// Why, in a directory a broker serves, files go only below a multiple of 1000: the broker reads history
// (FetchMessage below what it holds in memory) in blocks of 1000 offsets starting at floor(offset/1000)*1000 and
// numbers the entries it finds by their position from the block start (weed/util/log_buffer/
// log_read_stateless.go, readHistoricalDataFromDisk). Had the files of offsets [b, F) been deleted, b a block
// start below F, it would hand out the record at offset F as offset b: wrong records for every reader going
// through the broker (the gateway's FetchMessage fallback, SeaweedFS's own Kafka gateway). So a file is deleted
// only when it ends at or below the block start of the log start offset; what lies between stays on disk, already
// unreadable (below the log start), until the log start crosses the next block boundary.
import type { Filer } from "../transport/filer.ts";
import type { Entry } from "../transport/filer_messages.ts";

/** The broker's history read block (see the header comment). */
export const BROKER_READ_BLOCK = 1000;

/** One log file of a partition directory, as reclaim sees it. */
export interface DataFile {
  readonly name: string;
  /** One past its last offset; -1 when unknown (a first file with no later file to tell). */
  readonly end: number;
  readonly bytes: number;
  /**
   * Upper bound (ms) of the broker time (ts_ns) of its newest record: when its last chunk was written (the broker
   * uploads a chunk per flush, after stamping the flushed records). Infinity when that is unknown.
   */
  readonly newestMs: number;
}

export interface ReclaimRules {
  /** The log start offset so far: files wholly below it are deleted (DeleteRecords, earlier retention). */
  readonly logStart: number;
  readonly nowMs: number;
  /** retention.ms; negative = no time limit. */
  readonly retentionMs: number;
  /** retention.bytes per partition; negative = no size limit. */
  readonly retentionBytes: number;
  /** Bytes of the partition held outside this directory, in newer layouts (counted for retention.bytes). */
  readonly newerBytes?: number;
  /**
   * True for the partition's current directory, which a broker serves: its newest file stays and deletions keep
   * the broker's read blocks whole (header comment). False for a sealed directory of an earlier layout, which no
   * broker reads: every file may go.
   */
  readonly current: boolean;
  /** One past the last offset stored in the directory, when known (a sealed directory): ends its last file. */
  readonly end?: number;
}

export interface ReclaimPlan {
  /** The new log start offset (>= rules.logStart). */
  readonly logStart: number;
  /** Files to delete, oldest first. */
  readonly doomed: readonly DataFile[];
}

export interface ReclaimResult {
  /** The new log start offset: valid even when some deletion failed (those records are unreadable all the same). */
  readonly logStart: number;
  /** Names of the files deleted, oldest first. */
  readonly deleted: readonly string[];
  readonly bytes: number;
  /** Why the deletions stopped early, or null. */
  readonly failure: string | null;
}

function be64(b: Uint8Array | undefined): number {
  if (!b || b.length !== 8) return -1;
  return Number(new DataView(b.buffer, b.byteOffset, 8).getBigInt64(0));
}

/** A file's size: the end of its furthest chunk, else its recorded size. */
function fileBytes(e: Entry): number {
  return e.chunks.length > 0
    ? e.chunks.reduce((s, c) => Math.max(s, c.offset + c.size), 0)
    : e.attributes?.fileSize ?? 0;
}

/** A log file, not a bookkeeping file (".offset"), a directory or a parquet conversion. */
export function isLogFile(e: Entry): boolean {
  return !e.isDirectory && e.content.length === 0 && !e.name.endsWith(".offset") &&
    !e.name.endsWith(".parquet");
}

/** The log files of a directory listing (with chunks), oldest first, with their ends, sizes and ages resolved. */
export function dataFiles(entries: readonly Entry[], dirEnd = -1): DataFile[] {
  const logs = entries.filter(isLogFile).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return logs.map((e, i) => {
    const max = be64(e.extended.get("offset_max"));
    // offset_min is exact for every file but the first (which has none, or a later flush's if one appended to it)
    const nextMin = i + 1 < logs.length ? be64(logs[i + 1].extended.get("offset_min")) : -1;
    const end = max >= 0 ? max + 1 : nextMin >= 0 ? nextMin : i === logs.length - 1 ? dirEnd : -1;
    const bytes = fileBytes(e);
    const chunkNs = e.chunks.reduce((m, c) => Math.max(m, c.modifiedTsNs), 0);
    let newestMs = Infinity;
    if (chunkNs > 0) newestMs = chunkNs / 1e6;
    // one chunk: created (mtime, whole seconds) by its only flush
    else if (e.chunks.length === 1 && e.attributes && e.attributes.mtime > 0) {
      newestMs = e.attributes.mtime * 1000 + 999;
    }
    return { name: e.name, end, bytes, newestMs };
  });
}

/**
 * Parquet files SeaweedMQ's compaction (`weed shell` `mq.topic.compact`) wrote from log files, whose records all lie
 * below the log start (their `offset_max` attribute, as log files have): they go with the log files, by the same
 * block rule in a directory a broker serves (it may read history from them). Those without the attribute stay.
 */
export function doomedParquet(entries: readonly Entry[], logStart: number, current: boolean): DataFile[] {
  const limit = current ? Math.floor(logStart / BROKER_READ_BLOCK) * BROKER_READ_BLOCK : logStart;
  const out: DataFile[] = [];
  for (const e of entries) {
    if (e.isDirectory || !e.name.endsWith(".parquet")) continue;
    const max = be64(e.extended.get("offset_max"));
    if (max < 0 || max + 1 > limit) continue;
    out.push({ name: e.name, end: max + 1, bytes: fileBytes(e), newestMs: Infinity });
  }
  return out;
}

/** Which files go and where the log start ends up (pure: the rules are in the header comment). */
export function planReclaim(files: readonly DataFile[], rules: ReclaimRules): ReclaimPlan {
  let logStart = rules.logStart;
  let k = 0; // first file still holding readable records
  while (k < files.length && files[k].end >= 0 && files[k].end <= logStart) k++;
  const last = rules.current ? files.length - 1 : files.length; // files [k, last) may expire
  if (rules.retentionMs >= 0) {
    while (k < last && files[k].end >= 0 && rules.nowMs - files[k].newestMs > rules.retentionMs) {
      logStart = Math.max(logStart, files[k].end);
      k++;
    }
  }
  if (rules.retentionBytes >= 0) {
    let total = rules.newerBytes ?? 0;
    for (let i = k; i < files.length; i++) total += files[i].bytes;
    while (k < last && files[k].end >= 0 && total - files[k].bytes >= rules.retentionBytes) {
      total -= files[k].bytes;
      logStart = Math.max(logStart, files[k].end);
      k++;
    }
  }
  const limit = rules.current ? Math.floor(logStart / BROKER_READ_BLOCK) * BROKER_READ_BLOCK : logStart;
  const doomed: DataFile[] = [];
  for (let i = 0; i < (rules.current ? files.length - 1 : files.length); i++) {
    const f = files[i];
    if (f.end < 0 || f.end > limit) break;
    doomed.push(f);
  }
  return { logStart, doomed };
}

/**
 * Applies the rules to directory `dir`: lists it, deletes the doomed files oldest first (data chunks included) and
 * stops at the first failure. The caller persists the returned log start and drops the deleted files from its
 * read caches.
 */
export async function reclaimDir(filer: Filer, dir: string, rules: ReclaimRules): Promise<ReclaimResult> {
  const entries = await filer.list(dir, "", true);
  const plan = planReclaim(dataFiles(entries, rules.end), rules);
  const deleted: string[] = [];
  let bytes = 0;
  for (const f of [...plan.doomed, ...doomedParquet(entries, plan.logStart, rules.current)]) {
    try {
      await filer.remove(dir, f.name, false);
    } catch (e) {
      return { logStart: plan.logStart, deleted, bytes, failure: `${dir}/${f.name}: ${String(e)}` };
    }
    deleted.push(f.name);
    bytes += f.bytes;
  }
  return { logStart: plan.logStart, deleted, bytes, failure: null };
}
