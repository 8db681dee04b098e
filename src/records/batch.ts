// RecordBatch v2 (magic 2): produce-path validation, in-place patches for offset assignment and LogAppendTime, and a
// builder. Validation never copies the payload and allocates nothing per record: one native CRC32C per batch plus,
// for uncompressed batches, a walk over the record framing varints. Compressed batches are checked by
// inflateBatches (bounded decompression, then the same walk); the stored batch stays as the producer sent it.

import { getInt32, getInt64, putInt32, putInt64 } from "../protocol/codec.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import type { BatchInfo } from "./batch_info.ts";
import { crc32c } from "./crc32c.ts";
import { compress, compressSync, decompress, getMaxDecompressedBytes } from "./compression.ts";
import { encodeRecords, type RecordInput } from "./record.ts";
import {
  ATTR_COMPRESSION_MASK,
  ATTR_CONTROL,
  ATTR_TIMESTAMP_TYPE,
  ATTR_TRANSACTIONAL,
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  BASE_SEQUENCE_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  BATCH_HEADER_SIZE,
  CRC_OFFSET,
  getInt16,
  LAST_OFFSET_DELTA_OFFSET,
  LENGTH_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAGIC_V2,
  MAX_TIMESTAMP_OFFSET,
  MIN_BATCH_LENGTH,
  NO_VALUE,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  putInt16,
  RECORD_COUNT_OFFSET,
  RECORDS_OFFSET,
  TimestampType,
  writeBatchCrc,
  writeBatchHeader,
} from "./layout.ts";

export * from "./layout.ts";
export type { BatchInfo, ValidatedBatches } from "./batch_info.ts";

function corrupt(why: string): KafkaError {
  return new KafkaError(ErrorCode.CORRUPT_MESSAGE, why);
}

function invalid(why: string): KafkaError {
  return new KafkaError(ErrorCode.INVALID_RECORD, why);
}

// ---------------------------------------------------------------------------------------------------------------
// Validation

/**
 * Validates the RecordBatch v2 batches laid back to back in a produce `records` payload and returns what storage
 * needs about each. Checks, per batch: framing within the payload and batchLength >= 49, magic 2, CRC32C, size <=
 * `maxBatchBytes` (MESSAGE_TOO_LARGE), recordCount > 0 and lastOffsetDelta == recordCount - 1, no control batch, a
 * non-negative baseSequence when a producer id is set, and for uncompressed batches the record framing (lengths,
 * offset deltas 0..n-1, key/value/header lengths, exact fit). Compressed batches are not inflated here (see
 * inflateBatches).
 * Corrupt framing or CRC → CORRUPT_MESSAGE; semantically invalid batches → INVALID_RECORD. baseOffset is ignored.
 * An empty payload returns []; whether that is acceptable is the caller's decision.
 */
export function validateBatches(payload: Uint8Array, maxBatchBytes = Infinity): BatchInfo[] {
  const out: BatchInfo[] = [];
  const end = payload.length;
  let pos = 0;
  while (pos < end) {
    const remaining = end - pos;
    if (remaining < LOG_OVERHEAD) {
      throw corrupt(
        `record batch at ${pos} truncated: ${remaining} bytes, less than the 12-byte log overhead`,
      );
    }
    const batchLength = getInt32(payload, pos + LENGTH_OFFSET);
    const size = LOG_OVERHEAD + batchLength;
    if (batchLength < 0 || size > remaining) {
      throw corrupt(
        `record batch at ${pos} truncated: batchLength ${batchLength}, ${remaining - 12} bytes follow`,
      );
    }
    if (size > MAGIC_OFFSET) {
      const magic = (payload[pos + MAGIC_OFFSET] << 24) >> 24;
      if (magic === 0 || magic === 1) {
        throw invalid(
          `record batch at ${pos} uses the legacy message format (magic ${magic}); expected magic 2`,
        );
      }
      if (magic !== MAGIC_V2) throw corrupt(`record batch at ${pos} has unknown magic ${magic}`);
    }
    if (batchLength < MIN_BATCH_LENGTH) {
      throw corrupt(
        `record batch at ${pos}: batchLength ${batchLength} below the minimum ${MIN_BATCH_LENGTH}`,
      );
    }
    if (size > maxBatchBytes) {
      throw new KafkaError(
        ErrorCode.MESSAGE_TOO_LARGE,
        `record batch at ${pos} is ${size} bytes, larger than the maximum ${maxBatchBytes}`,
      );
    }
    const storedCrc = getInt32(payload, pos + CRC_OFFSET) >>> 0;
    const crc = crc32c(payload.subarray(pos + ATTRIBUTES_OFFSET, pos + size));
    if (crc !== storedCrc) {
      throw corrupt(
        `record batch at ${pos}: CRC32C mismatch (stored 0x${storedCrc.toString(16)}, computed 0x${
          crc.toString(16)
        })`,
      );
    }
    const attributes = getInt16(payload, pos + ATTRIBUTES_OFFSET);
    const lastOffsetDelta = getInt32(payload, pos + LAST_OFFSET_DELTA_OFFSET);
    const recordCount = getInt32(payload, pos + RECORD_COUNT_OFFSET);
    const producerId = getInt64(payload, pos + PRODUCER_ID_OFFSET);
    const baseSequence = getInt32(payload, pos + BASE_SEQUENCE_OFFSET);
    if (recordCount <= 0) throw invalid(`record batch at ${pos}: invalid record count ${recordCount}`);
    if (lastOffsetDelta !== recordCount - 1) {
      throw invalid(
        `record batch at ${pos}: lastOffsetDelta ${lastOffsetDelta} inconsistent with record count ${recordCount}`,
      );
    }
    if ((attributes & ATTR_CONTROL) !== 0) {
      throw invalid(`record batch at ${pos}: clients are not allowed to write control records`);
    }
    if (producerId >= 0 && baseSequence < 0) {
      throw invalid(
        `record batch at ${pos}: invalid base sequence ${baseSequence} for producer id ${producerId}`,
      );
    }
    const codec = attributes & ATTR_COMPRESSION_MASK;
    if (codec > 4) {
      throw new KafkaError(
        ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
        `record batch at ${pos}: unknown compression codec ${codec}`,
      );
    }
    if (codec === 0) walkRecords(payload, pos + RECORDS_OFFSET, pos + size, recordCount, pos);
    out.push({
      pos,
      size,
      recordCount,
      lastOffsetDelta,
      baseTimestamp: getInt64(payload, pos + BASE_TIMESTAMP_OFFSET),
      maxTimestamp: getInt64(payload, pos + MAX_TIMESTAMP_OFFSET),
      attributes,
      producerId,
      producerEpoch: getInt16(payload, pos + PRODUCER_EPOCH_OFFSET),
      baseSequence,
    });
    pos += size;
  }
  return out;
}

/**
 * How far a compressed batch may inflate, as a multiple of the topic's max.message.bytes. Kafka bounds only the
 * compressed size; 32× leaves honest batches room (text and JSON compress 3-10×, and a full-size batch of highly
 * repetitive records rarely passes 20×) while a decompression bomb stops at 32 MiB under the default 1 MiB limit.
 */
export const INFLATE_FACTOR = 32;

/** Decompressed-size cap per batch for a topic whose max.message.bytes is `maxMessageBytes`. */
export function inflateLimit(maxMessageBytes: number): number {
  return Math.min(maxMessageBytes * INFLATE_FACTOR, getMaxDecompressedBytes());
}

/**
 * Decompresses every compressed batch of a payload validated by validateBatches, each capped at `maxBytes` and
 * all of them together at the larger of `maxBytes` and INFLATE_FACTOR × the payload's size (the outputs are kept
 * for the later steps: many small bombs in one payload must not add up to many caps), and
 * checks its records exactly as validateBatches checks uncompressed ones (record lengths, offset deltas 0..n-1,
 * key/value/header lengths, exact fit, count). Corrupt data or output over the cap → CORRUPT_MESSAGE; records that
 * disagree with the header → INVALID_RECORD (Kafka: InvalidRecordException from the batch's record iterator).
 * Returns each batch's uncompressed records section (null for an uncompressed batch: its records are in the
 * payload), for the steps that need the records (recompression, compacted-topic keys, SeaweedMQ), so none of them
 * decompresses again.
 */
export async function inflateBatches(
  payload: Uint8Array,
  batches: readonly BatchInfo[],
  maxBytes: number,
): Promise<(Uint8Array | null)[]> {
  const out: (Uint8Array | null)[] = new Array(batches.length).fill(null);
  const totalCap = Math.max(maxBytes, INFLATE_FACTOR * payload.length);
  let total = 0;
  for (let i = 0; i < batches.length; i++) {
    const b = batches[i];
    const codec = b.attributes & ATTR_COMPRESSION_MASK;
    if (codec === 0) continue;
    const cap = Math.min(maxBytes, totalCap - total);
    let body: Uint8Array;
    try {
      body = await decompress(codec, payload.subarray(b.pos + RECORDS_OFFSET, b.pos + b.size), {
        maxBytes: cap,
      });
    } catch (e) {
      if (!(e instanceof KafkaError)) throw e;
      const sum = cap < maxBytes ? ` (the batches before it inflated to ${total} of ${totalCap} bytes)` : "";
      throw new KafkaError(e.code, `record batch at ${b.pos}: ${e.message}${sum}`);
    }
    walkRecords(body, 0, body.length, b.recordCount, b.pos);
    total += body.length;
    out[i] = body;
  }
  return out;
}

/**
 * Checks the framing of `count` uncompressed records in buf[start, end) without allocating. Varints are decoded
 * inline with a local cursor; any read past the current record's end yields NaN and fails the check that follows.
 */
function walkRecords(buf: Uint8Array, start: number, end: number, count: number, batchPos: number): void {
  let p = start;
  let lim = end;
  let b = 0;
  let u = 0;
  let v = 0;
  let len = 0;
  for (let i = 0; i < count; i++) {
    lim = end;
    // record length
    u = 0;
    for (let s = 0;; s += 7) {
      if (p >= lim || s > 28) {
        u = -1;
        break;
      }
      b = buf[p++];
      if (s === 28 && b > 0x0f) {
        u = -1; // more than 32 bits
        break;
      }
      u |= (b & 0x7f) << s;
      if (b < 0x80) break;
    }
    len = u === -1 ? NaN : (u >>> 1) ^ -(u & 1);
    if (!(len >= 0) || p + len > end) {
      throw invalid(
        `record batch at ${batchPos}: record ${i} has invalid size ${len} (batch declares ${count})`,
      );
    }
    lim = p + len;
    p++; // attributes
    // timestampDelta: varlong, skipped
    for (let k = 0;; k++) {
      if (p >= lim || k === 10) throw badRecord(batchPos, i, "truncated timestamp delta");
      if (buf[p++] < 0x80) break;
    }
    // offsetDelta, key length, value length, header count, then per header key and value lengths
    let field = 0;
    let headers = -1;
    let h = 0;
    for (;;) {
      u = 0;
      for (let s = 0;; s += 7) {
        if (p >= lim || s > 28) {
          u = -1;
          break;
        }
        b = buf[p++];
        if (s === 28 && b > 0x0f) {
          u = -1; // more than 32 bits
          break;
        }
        u |= (b & 0x7f) << s;
        if (b < 0x80) break;
      }
      v = u === -1 ? NaN : (u >>> 1) ^ -(u & 1);
      if (field === 0) {
        if (v !== i) throw badRecord(batchPos, i, `offset delta ${v}, expected ${i}`);
        field = 1;
      } else if (field === 1 || field === 2) {
        if (!(v >= -1)) throw badRecord(batchPos, i, `invalid ${field === 1 ? "key" : "value"} length ${v}`);
        if (v > 0) p += v;
        field++;
      } else if (headers < 0) {
        if (!(v >= 0)) throw badRecord(batchPos, i, `invalid header count ${v}`);
        headers = v;
        if (headers === 0) break;
      } else if ((h & 1) === 0) {
        if (!(v >= 0)) throw badRecord(batchPos, i, `invalid header key length ${v}`);
        p += v;
        h++;
      } else {
        if (!(v >= -1)) throw badRecord(batchPos, i, `invalid header value length ${v}`);
        if (v > 0) p += v;
        if (++h === 2 * headers) break;
      }
    }
    if (p !== lim) throw badRecord(batchPos, i, `size ${len} does not match its fields`);
  }
  if (p !== end) {
    throw invalid(`record batch at ${batchPos}: ${end - p} bytes remain after the declared ${count} records`);
  }
}

function badRecord(batchPos: number, i: number, why: string): KafkaError {
  return invalid(`record batch at ${batchPos}: record ${i}: ${why}`);
}

// ---------------------------------------------------------------------------------------------------------------
// In-place patches

/** Writes the batch's baseOffset (outside the CRC: no re-CRC needed). */
export function setBaseOffset(buf: Uint8Array, pos: number, offset: number): void {
  putInt64(buf, pos + BASE_OFFSET_OFFSET, offset);
}

/** Writes the batch's partitionLeaderEpoch (outside the CRC). */
export function setPartitionLeaderEpoch(buf: Uint8Array, pos: number, epoch: number): void {
  putInt32(buf, pos + PARTITION_LEADER_EPOCH_OFFSET, epoch);
}

/** Marks the batch at `pos` (of `size` bytes) as LogAppendTime with maxTimestamp = `ts`, and recomputes its CRC. */
export function stampLogAppendTime(buf: Uint8Array, pos: number, size: number, ts: number): void {
  const attributes = getInt16(buf, pos + ATTRIBUTES_OFFSET);
  putInt16(buf, pos + ATTRIBUTES_OFFSET, attributes | ATTR_TIMESTAMP_TYPE);
  putInt64(buf, pos + MAX_TIMESTAMP_OFFSET, ts);
  putInt32(buf, pos + CRC_OFFSET, crc32c(buf.subarray(pos + ATTRIBUTES_OFFSET, pos + size)));
}

// ---------------------------------------------------------------------------------------------------------------
// Building

export interface BuildBatchOptions {
  readonly records: readonly RecordInput[];
  /** Default 0. */
  readonly baseOffset?: number;
  /** Codec id 0-4 (default 0). */
  readonly compression?: number;
  /** Default CREATE_TIME. */
  readonly timestampType?: TimestampType;
  /** Default: first record's timestamp, else `Date.now()`. */
  readonly baseTimestamp?: number;
  /** Default: largest record timestamp (for LogAppendTime pass the append time). */
  readonly maxTimestamp?: number;
  readonly producerId?: number;
  readonly producerEpoch?: number;
  readonly baseSequence?: number;
  readonly partitionLeaderEpoch?: number;
  readonly isTransactional?: boolean;
  readonly isControl?: boolean;
}

function timestamps(opts: BuildBatchOptions): { base: number; max: number } {
  const recs = opts.records;
  const base = opts.baseTimestamp ?? recs[0]?.timestamp ?? Date.now();
  let max = opts.maxTimestamp ?? NaN;
  if (Number.isNaN(max)) {
    max = recs.length === 0 ? base : -Infinity;
    for (const r of recs) max = Math.max(max, r.timestamp ?? base);
  }
  return { base, max };
}

function assemble(opts: BuildBatchOptions, body: Uint8Array, base: number, max: number): Uint8Array {
  const codec = opts.compression ?? 0;
  const out = new Uint8Array(BATCH_HEADER_SIZE + body.length);
  let attributes = codec & ATTR_COMPRESSION_MASK;
  if (opts.timestampType === TimestampType.LOG_APPEND_TIME) attributes |= ATTR_TIMESTAMP_TYPE;
  if (opts.isTransactional) attributes |= ATTR_TRANSACTIONAL;
  if (opts.isControl) attributes |= ATTR_CONTROL;
  writeBatchHeader(out, 0, {
    baseOffset: opts.baseOffset ?? 0,
    batchLength: out.length - LOG_OVERHEAD,
    partitionLeaderEpoch: opts.partitionLeaderEpoch ?? NO_VALUE,
    attributes,
    lastOffsetDelta: opts.records.length - 1,
    baseTimestamp: base,
    maxTimestamp: max,
    producerId: opts.producerId ?? NO_VALUE,
    producerEpoch: opts.producerEpoch ?? NO_VALUE,
    baseSequence: opts.baseSequence ?? NO_VALUE,
    recordCount: opts.records.length,
  });
  out.set(body, RECORDS_OFFSET);
  writeBatchCrc(out, 0, out.length);
  return out;
}

/** Builds one RecordBatch v2 with offset deltas 0..n-1, compressing the records with `compression`. */
export async function buildBatch(opts: BuildBatchOptions): Promise<Uint8Array> {
  const { base, max } = timestamps(opts);
  const raw = encodeRecords(opts.records, base);
  return assemble(opts, await compress(opts.compression ?? 0, raw), base, max);
}

/** Synchronous buildBatch for codecs 0-3 (zstd → UNSUPPORTED_COMPRESSION_TYPE; use buildBatch). */
export function buildBatchSync(opts: BuildBatchOptions): Uint8Array {
  const { base, max } = timestamps(opts);
  const raw = encodeRecords(opts.records, base);
  return assemble(opts, compressSync(opts.compression ?? 0, raw), base, max);
}

/** Positions and sizes of the v2 batches laid back to back in `buf` (no validation beyond framing). */
export function splitBatches(buf: Uint8Array): { pos: number; size: number }[] {
  const out: { pos: number; size: number }[] = [];
  let pos = 0;
  while (pos < buf.length) {
    if (buf.length - pos < LOG_OVERHEAD) throw corrupt(`record batch at ${pos} truncated`);
    const size = LOG_OVERHEAD + getInt32(buf, pos + LENGTH_OFFSET);
    if (size < BATCH_HEADER_SIZE || size > buf.length - pos) {
      throw corrupt(`record batch at ${pos} truncated`);
    }
    out.push({ pos, size });
    pos += size;
  }
  return out;
}
