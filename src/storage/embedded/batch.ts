// RecordBatch v2 header access for the log: field offsets, structural + CRC32C check used by crash recovery,
// and record timestamp decoding for uncompressed batches.
import { getInt32, getInt64, Reader } from "../../protocol/codec.ts";
import { crc32c } from "../../records/crc32c.ts";
import type { TimestampOffset } from "../storage.ts";

/** baseOffset (8) + batchLength (4): bytes not counted by batchLength. */
export const LOG_OVERHEAD = 12;
export const HEADER_SIZE = 61;
/** batchLength of a batch without records. */
export const MIN_BATCH_LENGTH = HEADER_SIZE - LOG_OVERHEAD;
export const MAGIC_V2 = 2;

const OFF_BATCH_LENGTH = 8;
const OFF_MAGIC = 16;
const OFF_CRC = 17;
const OFF_ATTRIBUTES = 21;
const OFF_LAST_OFFSET_DELTA = 23;
const OFF_BASE_TIMESTAMP = 27;
const OFF_MAX_TIMESTAMP = 35;
const OFF_RECORD_COUNT = 57;

export const ATTR_COMPRESSION_MASK = 0x07;
export const ATTR_LOG_APPEND_TIME = 0x08;

export function baseOffsetAt(buf: Uint8Array, at: number): number {
  return getInt64(buf, at);
}
/** Total bytes of the batch starting at `at` (needs 12 header bytes). */
export function batchSizeAt(buf: Uint8Array, at: number): number {
  return getInt32(buf, at + OFF_BATCH_LENGTH) + LOG_OVERHEAD;
}
export function magicAt(buf: Uint8Array, at: number): number {
  return buf[at + OFF_MAGIC];
}
export function attributesAt(buf: Uint8Array, at: number): number {
  return (buf[at + OFF_ATTRIBUTES] << 8) | buf[at + OFF_ATTRIBUTES + 1];
}
export function lastOffsetDeltaAt(buf: Uint8Array, at: number): number {
  return getInt32(buf, at + OFF_LAST_OFFSET_DELTA);
}
export function maxTimestampAt(buf: Uint8Array, at: number): number {
  return getInt64(buf, at + OFF_MAX_TIMESTAMP);
}

/**
 * Checks the batch at `at` (within `buf[..end]`): length, magic and CRC32C. Returns its size, or a reason
 * string when it is torn or corrupt.
 */
export function checkBatch(buf: Uint8Array, at: number, end: number): number | string {
  if (end - at < HEADER_SIZE) return `truncated header (${end - at} bytes)`;
  const size = batchSizeAt(buf, at);
  if (size - LOG_OVERHEAD < MIN_BATCH_LENGTH) return `invalid batch length ${size - LOG_OVERHEAD}`;
  if (at + size > end) return `torn batch (${size} bytes declared, ${end - at} present)`;
  if (magicAt(buf, at) !== MAGIC_V2) return `unsupported magic ${magicAt(buf, at)}`;
  if (lastOffsetDeltaAt(buf, at) < 0) return `negative lastOffsetDelta`;
  const stored = getInt32(buf, at + OFF_CRC) >>> 0;
  const actual = crc32c(buf.subarray(at + OFF_ATTRIBUTES, at + size));
  if (stored !== actual) {
    return `CRC mismatch (stored ${stored.toString(16)}, computed ${actual.toString(16)})`;
  }
  return size;
}

/** Offsets and timestamps of every record of an uncompressed batch. Throws DecodeError when malformed. */
export function recordTimestamps(batch: Uint8Array): TimestampOffset[] {
  const base = baseOffsetAt(batch, 0);
  const baseTs = getInt64(batch, OFF_BASE_TIMESTAMP);
  const count = getInt32(batch, OFF_RECORD_COUNT);
  const r = new Reader(batch, HEADER_SIZE, batchSizeAt(batch, 0));
  const out: TimestampOffset[] = [];
  for (let i = 0; i < count; i++) {
    const len = r.varint();
    const start = r.pos;
    r.skip(1); // record attributes
    const tsDelta = r.varlong();
    const offsetDelta = r.varint();
    out.push({ offset: base + offsetDelta, timestamp: baseTs + tsDelta });
    r.pos = start;
    r.skip(len);
  }
  return out;
}
