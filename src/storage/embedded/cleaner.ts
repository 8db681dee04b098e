// The log cleaner (cleanup.policy=compact): one pass over a partition (compactLog), its crash recovery
// (completeSwaps), and the cleaning of one batch, as Kafka's log cleaner does it: a record survives when it has a
// key and no later record of that key exists in the cleaned range; a tombstone (null value) survives until its
// batch's delete horizon (KIP-534: set to now + delete.retention.ms, stored in baseTimestamp with attribute bit 6,
// the first time the cleaner keeps it) has passed. Survivors keep their offsets: a rewritten batch keeps its
// baseOffset and lastOffsetDelta (so the producer's last sequence stays known) and its records keep their offset
// deltas, leaving gaps; it keeps its codec, producer fields and timestamp type. A batch with nothing left is
// dropped, except that the last batch of an idempotent producer is kept as an empty header (see emptyBatch).
//
// Transactions, as Kafka's cleaner treats them, derived from the log itself (the cleaner does not see the producer
// state): the records of an aborted transaction (transactional data batches of a producer followed, before that
// producer's next marker, by an ABORT marker) never count as a key's latest value and are removed; a pass never
// cleans at or past the first offset of a transaction with no marker yet (it stops at the segment holding it, so
// the cleaned range lies below the last stable offset); control batches (markers) are always kept — Kafka drops a
// marker once its transaction's data is gone and delete.retention.ms has passed, which only saves a few bytes.
import { join } from "node:path";
import { getInt32, getInt64, putInt32, putInt64 } from "../../protocol/codec.ts";
import { compress } from "../../records/compression.ts";
import { crc32c } from "../../records/crc32c.ts";
import {
  ATTR_COMPRESSION_MASK,
  ATTR_CONTROL,
  ATTR_DELETE_HORIZON,
  ATTR_TIMESTAMP_TYPE,
  ATTR_TRANSACTIONAL,
  ATTRIBUTES_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  baseOffsetAt,
  ControlRecordType,
  CRC_OFFSET,
  getInt16,
  LAST_OFFSET_DELTA_OFFSET,
  lastOffsetDeltaAt,
  LENGTH_OFFSET,
  LOG_OVERHEAD,
  MAX_TIMESTAMP_OFFSET,
  maxTimestampAt,
  PRODUCER_ID_OFFSET,
  putInt16,
  RECORD_COUNT_OFFSET,
  RECORDS_OFFSET,
} from "../../records/layout.ts";
import { decodeBatchRecords, encodeRecords, type KafkaRecord } from "../../records/record.ts";

import {
  errorText,
  fsyncCounts,
  fsyncDir,
  INDEX_SUFFIX,
  LOG_SUFFIX,
  parseSegmentFileName,
  removeIfExists,
  segmentFileName,
  TIMEINDEX_SUFFIX,
  writeAllSync,
} from "./files.ts";
import type { StorageHealth } from "./health.ts";
import type { LogSettings } from "./options.ts";
import { type BatchMeta, Segment, type SegmentEnv } from "./segment.ts";

/** Map key of a record key: its bytes as a binary string (injective). */
export function keyString(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 8192) {
    s += String.fromCharCode(...b.subarray(i, Math.min(b.length, i + 8192)));
  }
  return s;
}

export function producerIdAt(batch: Uint8Array): number {
  return getInt64(batch, PRODUCER_ID_OFFSET);
}

export function lastOffsetOf(batch: Uint8Array): number {
  return getInt64(batch, 0) + getInt32(batch, LAST_OFFSET_DELTA_OFFSET);
}

export function isControlBatch(batch: Uint8Array): boolean {
  return (getInt16(batch, ATTRIBUTES_OFFSET) & ATTR_CONTROL) !== 0;
}

// ---------------------------------------------------------------------------------------------------------------
// Transactions seen in the log

/** Unsigned varint at b[at] (record framing) -> [value, next position], or null past `end`. */
function uvarintAt(b: Uint8Array, at: number, end: number): [number, number] | null {
  let v = 0;
  for (let shift = 0; shift < 35 && at < end; shift += 7) {
    const byte = b[at++];
    v |= (byte & 0x7f) << shift;
    if (byte < 0x80) return [v >>> 0, at];
  }
  return null;
}

/**
 * The control record type (ControlRecordType) of a whole control batch, or -1 when it cannot be read here: no
 * record, compressed (markers are written uncompressed, as Kafka writes them) or a key shorter than 4 bytes.
 */
export function controlTypeOf(batch: Uint8Array): number {
  const end = batch.length;
  if ((getInt16(batch, ATTRIBUTES_OFFSET) & ATTR_COMPRESSION_MASK) !== 0) return -1;
  if (getInt32(batch, RECORD_COUNT_OFFSET) < 1) return -1;
  let at = RECORDS_OFFSET;
  const len = uvarintAt(batch, at, end); // record length
  if (!len) return -1;
  at = len[1] + 1; // record attributes
  for (let i = 0; i < 2; i++) { // timestamp delta, offset delta
    const v = uvarintAt(batch, at, end);
    if (!v) return -1;
    at = v[1];
  }
  const k = uvarintAt(batch, at, end);
  if (!k) return -1;
  const keyLen = k[0] % 2 === 0 ? k[0] / 2 : -(k[0] + 1) / 2;
  at = k[1];
  if (keyLen < 4 || at + 4 > end || getInt16(batch, at) < 0) return -1;
  return getInt16(batch, at + 2);
}

/**
 * The transactions of a log as its batches show them, fed every batch header in offset order: which data batches
 * belong to an aborted transaction, and where the oldest transaction without a marker starts.
 */
export class TxnScan {
  /** Producer id -> first offset of its transaction with no marker yet. */
  private readonly open = new Map<number, number>();
  /** Producer id -> [first offset, ABORT marker offset] pairs of its aborted transactions, in offset order. */
  private readonly aborted = new Map<number, number[]>();

  /** Feeds one batch (`whole()` reads it: only markers are read). */
  add(header: Uint8Array, whole: () => Uint8Array): void {
    const attributes = getInt16(header, ATTRIBUTES_OFFSET);
    const pid = producerIdAt(header);
    if (pid < 0) return;
    const base = getInt64(header, 0);
    if ((attributes & ATTR_CONTROL) !== 0) {
      const first = this.open.get(pid);
      if (first === undefined) return; // a marker with no data here (or a repeated one): nothing ends
      const type = controlTypeOf(whole());
      if (type !== ControlRecordType.COMMIT && type !== ControlRecordType.ABORT) return;
      this.open.delete(pid);
      if (type === ControlRecordType.ABORT) {
        const ranges = this.aborted.get(pid);
        if (ranges) ranges.push(first, base);
        else this.aborted.set(pid, [first, base]);
      }
    } else if ((attributes & ATTR_TRANSACTIONAL) !== 0 && !this.open.has(pid)) {
      this.open.set(pid, base);
    }
  }

  /** First offset of the oldest transaction with no marker yet; Infinity when every transaction has ended. */
  firstUnstable(): number {
    let min = Infinity;
    for (const first of this.open.values()) if (first < min) min = first;
    return min;
  }

  /** Is `batch` transactional data of an aborted transaction? */
  isAborted(batch: Uint8Array): boolean {
    const attributes = getInt16(batch, ATTRIBUTES_OFFSET);
    if ((attributes & (ATTR_TRANSACTIONAL | ATTR_CONTROL)) !== ATTR_TRANSACTIONAL) return false;
    const ranges = this.aborted.get(producerIdAt(batch));
    if (!ranges) return false;
    const base = getInt64(batch, 0);
    for (let i = 0; i < ranges.length; i += 2) {
      if (base >= ranges[i] && base < ranges[i + 1]) return true;
    }
    return false;
  }
}

/** No transaction data: nothing is aborted. */
const NO_ABORTED = (_batch: Uint8Array) => false;

/**
 * Adds the keyed records of `batch` at offsets >= `from` to `latest` (key -> last offset seen); nothing of a
 * batch of an aborted transaction (`aborted`).
 */
export async function indexKeys(
  batch: Uint8Array,
  from: number,
  latest: Map<string, number>,
  aborted: (batch: Uint8Array) => boolean = NO_ABORTED,
): Promise<void> {
  if (isControlBatch(batch) || lastOffsetOf(batch) < from || aborted(batch)) return;
  const { records } = await decodeBatchRecords(batch);
  for (const r of records) {
    if (r.key !== null && r.offset >= from) latest.set(keyString(r.key), r.offset);
  }
}

export interface CleanedBatch {
  /** The batch to write: `batch` itself when nothing changes, a rewritten batch, or null when nothing is left. */
  readonly bytes: Uint8Array | null;
  /** Delete horizon of the tombstones the output keeps, or -1 when it keeps none. */
  readonly horizon: number;
  /** Records removed. */
  readonly removed: number;
}

/**
 * Cleans one stored batch against `latest` (the last offset of every key in the dirty part of the range being
 * cleaned). `now` decides whether tombstones whose horizon is set may go; `deleteRetentionMs` sets the horizon of
 * tombstones seen for the first time. A batch of an aborted transaction (`aborted`) loses every record; markers are
 * kept as they are.
 */
export async function cleanBatch(
  batch: Uint8Array,
  latest: ReadonlyMap<string, number>,
  now: number,
  deleteRetentionMs: number,
  aborted: (batch: Uint8Array) => boolean = NO_ABORTED,
): Promise<CleanedBatch> {
  if (isControlBatch(batch)) return { bytes: batch, horizon: -1, removed: 0 };
  if (aborted(batch)) return { bytes: null, horizon: -1, removed: getInt32(batch, RECORD_COUNT_OFFSET) };
  const attributes = getInt16(batch, ATTRIBUTES_OFFSET);
  const horizonSet = (attributes & ATTR_DELETE_HORIZON) !== 0;
  const oldHorizon = horizonSet ? getInt64(batch, BASE_TIMESTAMP_OFFSET) : -1;
  const { records } = await decodeBatchRecords(batch);
  const kept: KafkaRecord[] = [];
  let tombstones = false;
  for (const r of records) {
    if (r.key === null) continue; // a compacted log has no use for records without a key
    const last = latest.get(keyString(r.key));
    if (last !== undefined && r.offset < last) continue;
    if (r.value === null) {
      if (horizonSet && now >= oldHorizon) continue;
      tombstones = true;
    }
    kept.push(r);
  }
  const removed = records.length - kept.length;
  if (kept.length === 0) return { bytes: null, horizon: -1, removed };
  if (removed === 0 && (!tombstones || horizonSet)) {
    return { bytes: batch, horizon: tombstones ? oldHorizon : -1, removed };
  }
  const horizon = tombstones ? (horizonSet ? oldHorizon : now + deleteRetentionMs) : -1;
  return { bytes: await rewrite(batch, kept, horizon), horizon, removed };
}

/** The batch with only `kept` records (offsets preserved), its delete horizon set to `horizon` (-1 = none). */
async function rewrite(
  batch: Uint8Array,
  kept: readonly KafkaRecord[],
  horizon: number,
): Promise<Uint8Array> {
  const attributes = getInt16(batch, ATTRIBUTES_OFFSET);
  const logAppendTime = (attributes & ATTR_TIMESTAMP_TYPE) !== 0;
  const baseOffset = getInt64(batch, 0);
  let maxTs = -1;
  for (const r of kept) if (r.timestamp > maxTs) maxTs = r.timestamp;
  if (logAppendTime) maxTs = getInt64(batch, MAX_TIMESTAMP_OFFSET);
  const baseTs = horizon >= 0 ? horizon : kept[0].timestamp;
  const body = await compress(attributes & ATTR_COMPRESSION_MASK, encodeRecords(kept, baseTs, baseOffset));
  const out = new Uint8Array(RECORDS_OFFSET + body.length);
  out.set(batch.subarray(0, RECORDS_OFFSET));
  out.set(body, RECORDS_OFFSET);
  putInt32(out, LENGTH_OFFSET, out.length - LOG_OVERHEAD);
  putInt16(
    out,
    ATTRIBUTES_OFFSET,
    (attributes & ~ATTR_DELETE_HORIZON) | (horizon >= 0 ? ATTR_DELETE_HORIZON : 0),
  );
  putInt64(out, BASE_TIMESTAMP_OFFSET, baseTs);
  putInt64(out, MAX_TIMESTAMP_OFFSET, maxTs);
  putInt32(out, RECORD_COUNT_OFFSET, kept.length);
  putInt32(out, CRC_OFFSET, crc32c(out.subarray(ATTRIBUTES_OFFSET)));
  return out;
}

/**
 * The batch reduced to its header (no records, uncompressed, same offsets and producer fields), as Kafka keeps the
 * last batch of an idempotent producer whose records were all cleaned away.
 */
export function emptyBatch(batch: Uint8Array): Uint8Array {
  const out = batch.slice(0, RECORDS_OFFSET);
  const attributes = getInt16(batch, ATTRIBUTES_OFFSET);
  const maxTs = getInt64(batch, MAX_TIMESTAMP_OFFSET);
  putInt32(out, LENGTH_OFFSET, RECORDS_OFFSET - LOG_OVERHEAD);
  putInt16(out, ATTRIBUTES_OFFSET, attributes & ~(ATTR_COMPRESSION_MASK | ATTR_DELETE_HORIZON));
  putInt64(out, BASE_TIMESTAMP_OFFSET, maxTs);
  putInt32(out, RECORD_COUNT_OFFSET, 0);
  putInt32(out, CRC_OFFSET, crc32c(out.subarray(ATTRIBUTES_OFFSET)));
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// One pass over a partition

/** What one log cleaner pass did. */
export interface CompactionResult {
  readonly segmentsBefore: number;
  readonly segmentsAfter: number;
  readonly bytesBefore: number;
  readonly bytesAfter: number;
  readonly recordsRemoved: number;
}

/** The partition as a cleaner pass reads and changes it (PartitionLog.compact hands one out). */
export interface CleanerLog {
  readonly name: string;
  readonly dir: string;
  readonly env: SegmentEnv & { readonly health: StorageHealth };
  readonly settings: LogSettings;
  /** The partition's segment list itself (oldest first, the last one active), not a copy. */
  readonly segments: readonly Segment[];
  readonly logStartOffset: number;
  /** Offsets below were compacted by an earlier pass. */
  readonly cleanerOffset: number;
  /** Earliest delete horizon of tombstones kept by earlier passes, -1 when none. */
  readonly deleteHorizon: number;
  /** Closed or deleted: files must not change any more. */
  closed(): boolean;
  /** Closed, deleted or failed: a pass stops. */
  stopped(): boolean;
  /** The closed segment whose read handle the partition keeps (FILES_PER_PARTITION). */
  lastRead(): Segment | null;
  /** Everything written to `seg` is fsynced and its writer closed. */
  isSynced(seg: Segment): boolean;
  /** `seg` is leaving the log: no sync and no read handle for it any more. */
  forget(seg: Segment): void;
  /** Puts `seg` in place of segments [at, at + count) and drops the cached batches below `end`. */
  replace(at: number, count: number, seg: Segment, end: number): void;
  /** The pass is done below `cleanerOffset`: records it with the earliest kept horizon and checkpoints. */
  finish(cleanerOffset: number, deleteHorizon: number): Promise<void>;
}

/** Keys one log cleaner pass indexes at most (a bound on its memory, as Kafka's dedupe buffer is). */
const MAX_CLEANER_KEYS = 2_000_000;
const INT32_MAX = 2 ** 31 - 1;
/** `<base>.log.cleaned`: a cleaned segment being written (incomplete: deleted on open). */
const CLEANED_SUFFIX = ".log.cleaned";
/** `<base>-<end>.swap`: a complete cleaned segment replacing every segment with base in [base, end). */
const SWAP_RE = /^(\d{20})-(\d{20})\.swap$/;

function swapFileName(base: number, end: number): string {
  return `${String(base).padStart(20, "0")}-${String(end).padStart(20, "0")}.swap`;
}

function removeFileSync(path: string): void {
  try {
    Deno.removeSync(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}

/**
 * Finishes what a crash interrupted in the log cleaner: incomplete `.cleaned` files are deleted, complete `.swap`
 * files replace the segments they cover (their indexes are rebuilt by the open that follows).
 */
export async function completeSwaps(name: string, dir: string, env: Pick<SegmentEnv, "log">): Promise<void> {
  const swaps: { file: string; base: number; end: number }[] = [];
  const segmentFiles: { file: string; base: number }[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (!e.isFile) continue;
    if (e.name.endsWith(CLEANED_SUFFIX)) {
      await removeIfExists(join(dir, e.name));
      continue;
    }
    const m = SWAP_RE.exec(e.name);
    if (m) {
      swaps.push({ file: e.name, base: Number(m[1]), end: Number(m[2]) });
      continue;
    }
    const base = parseSegmentFileName(e.name, LOG_SUFFIX) ?? parseSegmentFileName(e.name, INDEX_SUFFIX) ??
      parseSegmentFileName(e.name, TIMEINDEX_SUFFIX);
    if (base !== null) segmentFiles.push({ file: e.name, base });
  }
  for (const sw of swaps.sort((a, b) => a.base - b.base)) {
    for (const f of segmentFiles) {
      if (f.base >= sw.base && f.base < sw.end) await removeIfExists(join(dir, f.file));
    }
    await Deno.rename(join(dir, sw.file), join(dir, segmentFileName(sw.base, LOG_SUFFIX)));
    env.log("info", `${name}: completed an interrupted compaction swap at offset ${sw.base}`);
  }
  if (swaps.length > 0) await fsyncDir(dir);
}

/**
 * One log cleaner pass. The cleanable range is the run of closed, synced segments from the start of the log whose
 * records are all older than min.compaction.lag.ms, ending before the segment that holds the first offset of an
 * open transaction. It runs when the dirty part (above the cleaner offset) is at
 * least min.cleanable.dirty.ratio of the range, when the oldest dirty record is older than max.compaction.lag.ms,
 * or when a kept tombstone's delete horizon has passed. The latest offset of every key in the dirty part is
 * collected, then the whole range is rewritten group by group (consecutive segments up to segment.bytes become one
 * segment): each group goes to `<base>.log.cleaned`, is fsynced, renamed to `<base>-<end>.swap`, and swapped in
 * synchronously (a crash leaves a swap that completeSwaps finishes at the next open). Offsets never change.
 * Returns null when nothing was due. The caller runs it exclusive of retention and DeleteRecords.
 */
export async function compactLog(
  log: CleanerLog,
  now: number,
  stopping: () => boolean,
): Promise<CompactionResult | null> {
  try {
    return await pass(log, now, stopping);
  } catch (e) {
    if (log.closed()) return null; // closed or deleted under the cleaner: nothing to report
    throw e;
  } finally {
    // A pass reads many segments (every batch header, for idempotent producers); keep FILES_PER_PARTITION.
    if (!log.closed()) {
      const active = log.segments[log.segments.length - 1];
      for (const seg of log.segments) {
        if (seg !== active && seg !== log.lastRead()) seg.releaseReader();
      }
    }
  }
}

async function pass(log: CleanerLog, now: number, stopping: () => boolean): Promise<CompactionResult | null> {
  const s = log.settings;
  if (!s.cleanupCompact || log.stopped()) return null;
  const range: Segment[] = [];
  for (let i = 0; i < log.segments.length - 1; i++) {
    const seg = log.segments[i];
    if (!log.isSynced(seg)) break;
    if (seg.maxTimestamp >= 0 && now - seg.maxTimestamp < s.minCompactionLagMs) break;
    range.push(seg);
  }
  if (range.length === 0) return null;
  let end = log.segments[range.length].baseOffset;
  let start = Math.min(Math.max(log.cleanerOffset, log.logStartOffset), end);
  /** Is the dirty part of `range` (above `start`) due for cleaning? */
  const dirtyDue = (range: readonly Segment[]): boolean => {
    let dirtyBytes = 0;
    let totalBytes = 0;
    let firstDirtyTs = -1;
    for (const seg of range) {
      totalBytes += seg.size;
      if (seg.endOffset > start && seg.size > 0) {
        if (dirtyBytes === 0) firstDirtyTs = seg.firstTimestamp >= 0 ? seg.firstTimestamp : seg.createdAt;
        dirtyBytes += seg.size;
      }
    }
    return dirtyBytes > 0 &&
      (dirtyBytes / totalBytes >= s.minCleanableDirtyRatio || now - firstDirtyTs >= s.maxCompactionLagMs);
  };
  const horizonDue = log.deleteHorizon >= 0 && now >= log.deleteHorizon;
  if (!dirtyDue(range) && !horizonDue) return null;

  let steps = 0;
  const pause = async (): Promise<boolean> => {
    if (++steps % 64 === 0) await new Promise((r) => setTimeout(r, 0));
    return stopping() || log.stopped();
  };
  // One walk over every batch header of the log: the last batch of each producer (kept even when emptied) and
  // its transactions (aborted ranges, the oldest open one).
  const producerLast = new Map<number, number>();
  const txns = new TxnScan();
  for (const seg of log.segments) {
    seg.forEachBatchHeader((h, whole) => {
      const pid = producerIdAt(h);
      if (pid < 0) return;
      producerLast.set(pid, lastOffsetOf(h));
      txns.add(h, whole);
    });
    if (await pause()) return null;
  }
  // Nothing at or past the first offset of an open transaction is cleaned: the range ends before its segment.
  const unstable = txns.firstUnstable();
  while (range.length > 0 && range[range.length - 1].endOffset > unstable) range.pop();
  if (range.length === 0) return null;
  end = log.segments[range.length].baseOffset;
  start = Math.min(start, end);
  if (!horizonDue && !dirtyDue(range)) return null;
  const inAborted = (batch: Uint8Array) => txns.isAborted(batch);
  // Latest offset of every key in the dirty part. Like Kafka's bounded dedupe buffer, a map that grows past
  // MAX_CLEANER_KEYS ends the pass at the segment it is in; the next pass continues from there.
  const latest = new Map<string, number>();
  for (let i = 0; i < range.length; i++) {
    const seg = range[i];
    if (seg.endOffset <= start) continue;
    for (const batch of batchesOf(seg)) {
      await indexKeys(batch, start, latest, inAborted);
      if (await pause()) return null;
    }
    if (latest.size >= MAX_CLEANER_KEYS && i < range.length - 1) {
      range.length = i + 1;
      end = log.segments[log.segments.indexOf(seg) + 1].baseOffset;
      break;
    }
  }
  const isProducersLast = (batch: Uint8Array): boolean => {
    const pid = producerIdAt(batch);
    return pid >= 0 && producerLast.get(pid) === lastOffsetOf(batch);
  };
  const groups: Segment[][] = [];
  let group: Segment[] = [];
  let groupBytes = 0;
  for (const seg of range) {
    if (
      group.length > 0 &&
      (groupBytes + seg.size > s.segmentBytes || seg.endOffset - group[0].baseOffset > INT32_MAX)
    ) {
      groups.push(group);
      group = [];
      groupBytes = 0;
    }
    group.push(seg);
    groupBytes += seg.size;
  }
  groups.push(group);

  const segmentsBefore = log.segments.length;
  let bytesBefore = 0;
  let bytesAfter = 0;
  let removed = 0;
  let horizon = -1;
  for (const g of groups) {
    const base = g[0].baseOffset;
    const next = log.segments[log.segments.indexOf(g[g.length - 1]) + 1];
    const groupEnd = next ? next.baseOffset : end;
    const cleanedPath = join(log.dir, segmentFileName(base, CLEANED_SUFFIX));
    const metas: BatchMeta[] = [];
    let size = 0;
    let aborted = false;
    const f = Deno.openSync(cleanedPath, { write: true, create: true, truncate: true });
    try {
      for (const seg of g) {
        bytesBefore += seg.size;
        for (const batch of batchesOf(seg)) {
          const c = await cleanBatch(batch, latest, now, s.deleteRetentionMs, inAborted);
          removed += c.removed;
          let out = c.bytes;
          if (out === null && isProducersLast(batch)) out = emptyBatch(batch);
          if (out !== null) {
            writeAllSync(f, out);
            const b = baseOffsetAt(out, 0);
            metas.push({
              pos: size,
              size: out.length,
              base: b,
              last: b + lastOffsetDeltaAt(out, 0),
              maxTimestamp: maxTimestampAt(out, 0),
            });
            size += out.length;
          }
          if (c.horizon >= 0 && (horizon < 0 || c.horizon < horizon)) horizon = c.horizon;
          if (await pause()) {
            aborted = true;
            break;
          }
        }
        if (aborted) break;
        if (seg !== log.lastRead()) seg.releaseReader();
      }
      if (!aborted) {
        fsyncCounts.segment++;
        await f.syncData();
      }
    } catch (e) {
      aborted = true;
      log.env.health.failed(log.name, cleanedPath, e);
      log.env.log("error", `${log.name}: compaction of segment ${base} failed: ${errorText(e)}`);
    } finally {
      f.close();
    }
    if (aborted || log.stopped()) {
      await removeIfExists(cleanedPath).catch(() => {});
      return null;
    }
    const swapPath = join(log.dir, swapFileName(base, groupEnd));
    await Deno.rename(cleanedPath, swapPath);
    await fsyncDir(log.dir);
    if (log.closed()) return null; // the next open completes the swap
    swapIn(log, g, base, groupEnd, swapPath, size, metas);
    bytesAfter += size;
    await fsyncDir(log.dir);
  }
  await log.finish(end, horizon);
  const result: CompactionResult = {
    segmentsBefore,
    segmentsAfter: log.segments.length,
    bytesBefore,
    bytesAfter,
    recordsRemoved: removed,
  };
  log.env.log(
    "info",
    `${log.name}: compacted offsets below ${end}: ${bytesBefore} -> ${bytesAfter} bytes, ` +
      `${removed} record(s) removed, ${segmentsBefore} -> ${log.segments.length} segment(s)`,
  );
  return result;
}

/** Every stored batch of a closed segment, in order (1 MiB reads). */
function* batchesOf(seg: Segment): Generator<Uint8Array> {
  let offset = seg.baseOffset;
  while (offset < seg.endOffset) {
    const r = seg.read(offset, 1 << 20, true, Infinity);
    if (r.batches.length === 0) return;
    for (const b of r.batches) {
      yield b;
      offset = baseOffsetAt(b, 0) + lastOffsetDeltaAt(b, 0) + 1;
    }
  }
}

/**
 * Replaces the segments of `group` with the cleaned segment at `swapPath`, synchronously so that no read sees a
 * half-swapped log: old files go (the base's log is replaced by the rename), the new segment's indexes are
 * written, and the segment list, tail cache and read handles are updated.
 */
function swapIn(
  log: CleanerLog,
  group: readonly Segment[],
  base: number,
  groupEnd: number,
  swapPath: string,
  size: number,
  metas: readonly BatchMeta[],
): void {
  const at = log.segments.indexOf(group[0]);
  for (const old of group) {
    old.deleted = true;
    old.closeWriter();
    old.releaseReader();
    removeFileSync(old.index.path);
    removeFileSync(old.timeIndex.path);
    if (old.baseOffset !== base) removeFileSync(old.logPath);
    log.forget(old);
  }
  Deno.renameSync(swapPath, join(log.dir, segmentFileName(base, LOG_SUFFIX)));
  const seg = Segment.adopt(log.dir, base, log.env, size, metas);
  log.replace(at, group.length, seg, groupEnd);
}
