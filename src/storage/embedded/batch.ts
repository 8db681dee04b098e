// RecordBatch v2 header access for the log: structural + CRC32C check used by crash recovery, and record timestamp
// decoding for uncompressed batches. The layout itself is src/records/layout.ts.
import { getInt32, getInt64, Reader } from "../../protocol/codec.ts";
import { crc32c } from "../../records/crc32c.ts";
import {
  ATTRIBUTES_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  baseOffsetAt,
  BATCH_HEADER_SIZE,
  batchSizeAt,
  CRC_OFFSET,
  lastOffsetDeltaAt,
  LOG_OVERHEAD,
  MAGIC_V2,
  magicAt,
  MIN_BATCH_LENGTH,
  RECORD_COUNT_OFFSET,
} from "../../records/layout.ts";
import type { TimestampOffset } from "../storage.ts";

/**
 * Checks the batch at `at` (within `buf[..end]`): length, magic and CRC32C. Returns its size, or a reason
 * string when it is torn or corrupt.
 */
export function checkBatch(buf: Uint8Array, at: number, end: number): number | string {
  if (end - at < BATCH_HEADER_SIZE) return `truncated header (${end - at} bytes)`;
  const size = batchSizeAt(buf, at);
  if (size - LOG_OVERHEAD < MIN_BATCH_LENGTH) return `invalid batch length ${size - LOG_OVERHEAD}`;
  if (at + size > end) return `torn batch (${size} bytes declared, ${end - at} present)`;
  if (magicAt(buf, at) !== MAGIC_V2) return `unsupported magic ${magicAt(buf, at)}`;
  if (lastOffsetDeltaAt(buf, at) < 0) return `negative lastOffsetDelta`;
  const stored = getInt32(buf, at + CRC_OFFSET) >>> 0;
  const actual = crc32c(buf.subarray(at + ATTRIBUTES_OFFSET, at + size));
  if (stored !== actual) {
    return `CRC mismatch (stored ${stored.toString(16)}, computed ${actual.toString(16)})`;
  }
  return size;
}

/** Offsets and timestamps of every record of an uncompressed batch. Throws DecodeError when malformed. */
export function recordTimestamps(batch: Uint8Array): TimestampOffset[] {
  const base = baseOffsetAt(batch, 0);
  const baseTs = getInt64(batch, BASE_TIMESTAMP_OFFSET);
  const count = getInt32(batch, RECORD_COUNT_OFFSET);
  const r = new Reader(batch, BATCH_HEADER_SIZE, batchSizeAt(batch, 0));
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
