// Log compaction of one batch, as Kafka's log cleaner does it: a record survives when it has a key and no later
// record of that key exists in the cleaned range; a tombstone (null value) survives until its batch's delete horizon
// (KIP-534: set to now + delete.retention.ms, stored in baseTimestamp with attribute bit 6, the first time the
// cleaner keeps it) has passed. Survivors keep their offsets: a rewritten batch keeps its baseOffset and
// lastOffsetDelta (so the producer's last sequence stays known) and its records keep their offset deltas, leaving
// gaps; it keeps its codec, producer fields and timestamp type. A batch with nothing left is dropped, except that
// the last batch of an idempotent producer is kept as an empty header (the caller decides; see emptyBatch).
import { getInt32, getInt64, putInt32, putInt64 } from "../../protocol/codec.ts";
import { compress } from "../../records/compression.ts";
import { crc32c } from "../../records/crc32c.ts";
import {
  ATTR_COMPRESSION_MASK,
  ATTR_CONTROL,
  ATTR_DELETE_HORIZON,
  ATTR_TIMESTAMP_TYPE,
  ATTRIBUTES_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  CRC_OFFSET,
  getInt16,
  LAST_OFFSET_DELTA_OFFSET,
  LENGTH_OFFSET,
  LOG_OVERHEAD,
  MAX_TIMESTAMP_OFFSET,
  PRODUCER_ID_OFFSET,
  putInt16,
  RECORD_COUNT_OFFSET,
  RECORDS_OFFSET,
} from "../../records/layout.ts";
import { decodeBatchRecords, encodeRecords, type KafkaRecord } from "../../records/record.ts";

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

/** Adds the keyed records of `batch` at offsets >= `from` to `latest` (key -> last offset seen). */
export async function indexKeys(batch: Uint8Array, from: number, latest: Map<string, number>): Promise<void> {
  if (isControlBatch(batch) || lastOffsetOf(batch) < from) return;
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
 * tombstones seen for the first time.
 */
export async function cleanBatch(
  batch: Uint8Array,
  latest: ReadonlyMap<string, number>,
  now: number,
  deleteRetentionMs: number,
): Promise<CleanedBatch> {
  if (isControlBatch(batch)) return { bytes: batch, horizon: -1, removed: 0 };
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
