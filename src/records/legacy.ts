// Legacy message sets, magic 0 and 1 (Produce v0-2, Fetch v0-3). Produce payloads are up-converted to one
// RecordBatch v2 before storage; fetches by old clients get stored v2 batches down-converted to an uncompressed
// message set.
//
// Message := offset i64, messageSize i32, crc u32 (CRC32 IEEE over magic..end), magic i8, attributes i8,
//            [timestamp i64 — magic 1], key (int32 length, -1 = null), value (int32 length, -1 = null).
// A compressed wrapper message carries a whole inner message set (codec in attributes bits 0-2) as its value; with
// magic 1 the inner offsets are relative (0..n-1) and the wrapper holds the absolute offset of the last one.

import { getInt32, getInt64, putInt32, putInt64 } from "../protocol/codec.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import type { BatchInfo } from "./batch_info.ts";
import { crc32 } from "./crc32.ts";
import { Compression, decompress } from "./compression.ts";
import { buildBatch, splitBatches, validateBatches } from "./batch.ts";
import {
  ATTR_COMPRESSION_MASK,
  ATTR_CONTROL,
  ATTR_TIMESTAMP_TYPE,
  ATTRIBUTES_OFFSET,
  getInt16,
  LENGTH_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAGIC_V2,
  TimestampType,
} from "./layout.ts";
import { decodeBatchRecords, type RecordInput } from "./record.ts";

export interface LegacyMessage {
  /** Absolute offset (inner messages of a magic 1 wrapper are made absolute). */
  readonly offset: number;
  readonly magic: 0 | 1;
  /** The message's own attributes byte. */
  readonly attributes: number;
  /** Codec of the wrapper message this one was unpacked from; 0 when it was not compressed. */
  readonly compression: number;
  /** -1 (NO_TIMESTAMP) for magic 0. */
  readonly timestamp: number;
  readonly timestampType: TimestampType;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
}

export interface ParseMessageSetOptions {
  /** Ignore a truncated message at the end (as Fetch responses may carry) instead of CORRUPT_MESSAGE. */
  readonly allowPartialTrailing?: boolean;
  /** Decompression output cap in bytes (default: the compression module's limit). */
  readonly maxDecompressedBytes?: number;
}

// A legacy message shares the offset, length and magic positions with a v2 batch (layout.ts) and the meaning of
// attribute bits 0-3; the rest of its layout is its own.
const V0_OVERHEAD = 14; // crc + magic + attributes + key length + value length
const V1_OVERHEAD = 22; // + timestamp
const LEGACY_CRC_OFFSET = 12;
const LEGACY_ATTRIBUTES_OFFSET = 17;

function corrupt(why: string): KafkaError {
  return new KafkaError(ErrorCode.CORRUPT_MESSAGE, why);
}

function invalid(why: string): KafkaError {
  return new KafkaError(ErrorCode.INVALID_RECORD, why);
}

interface Shallow {
  offset: number;
  magic: 0 | 1;
  attributes: number;
  timestamp: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
}

function readBytes(buf: Uint8Array, at: number, end: number, what: string): [Uint8Array | null, number] {
  if (end - at < 4) throw corrupt(`message ${what} length truncated`);
  const n = getInt32(buf, at);
  at += 4;
  if (n < 0) return [null, at];
  if (n > end - at) throw corrupt(`message ${what} of ${n} bytes exceeds the message size`);
  return [buf.subarray(at, at + n), at + n];
}

/** Top-level messages of a message set, CRC-checked, without unpacking compressed wrappers. */
function parseShallow(buf: Uint8Array, allowPartial: boolean): Shallow[] {
  const out: Shallow[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const remaining = buf.length - pos;
    if (remaining < LOG_OVERHEAD) {
      if (allowPartial) break;
      throw corrupt(`message at ${pos} truncated: ${remaining} bytes`);
    }
    const offset = getInt64(buf, pos);
    const size = getInt32(buf, pos + LENGTH_OFFSET);
    if (size < V0_OVERHEAD) throw corrupt(`message at ${pos}: size ${size} below the minimum ${V0_OVERHEAD}`);
    if (size > remaining - LOG_OVERHEAD) {
      if (allowPartial) break;
      throw corrupt(`message at ${pos} truncated: size ${size}, ${remaining - LOG_OVERHEAD} bytes follow`);
    }
    const end = pos + LOG_OVERHEAD + size;
    const magic = buf[pos + MAGIC_OFFSET];
    if (magic !== 0 && magic !== 1) {
      if (magic === MAGIC_V2) throw invalid(`message at ${pos}: magic 2 batch inside a legacy message set`);
      throw corrupt(`message at ${pos}: unknown magic ${magic}`);
    }
    if (magic === 1 && size < V1_OVERHEAD) {
      throw corrupt(`message at ${pos}: size ${size} below the magic 1 minimum ${V1_OVERHEAD}`);
    }
    const stored = getInt32(buf, pos + LEGACY_CRC_OFFSET) >>> 0;
    const crc = crc32(buf.subarray(pos + MAGIC_OFFSET, end));
    if (stored !== crc) {
      throw corrupt(
        `message at ${pos}: CRC32 mismatch (stored 0x${stored.toString(16)}, computed 0x${crc.toString(16)})`,
      );
    }
    const attributes = buf[pos + LEGACY_ATTRIBUTES_OFFSET];
    let at = pos + LEGACY_ATTRIBUTES_OFFSET + 1;
    let timestamp = -1;
    if (magic === 1) {
      timestamp = getInt64(buf, at);
      at += 8;
    }
    let key: Uint8Array | null;
    let value: Uint8Array | null;
    [key, at] = readBytes(buf, at, end, "key");
    [value, at] = readBytes(buf, at, end, "value");
    if (at !== end) throw corrupt(`message at ${pos}: ${end - at} bytes left after the value`);
    out.push({ offset, magic, attributes, timestamp, key, value });
    pos = end;
  }
  return out;
}

/**
 * Parses a magic 0/1 message set, checking every CRC32 and unpacking compressed wrappers (gzip, snappy, lz4) into
 * their inner messages with absolute offsets. Corruption → CORRUPT_MESSAGE; nested compression, mixed magic in a
 * wrapper or a null wrapper value → INVALID_RECORD; zstd or unknown codecs → UNSUPPORTED_COMPRESSION_TYPE.
 */
export async function parseMessageSet(
  payload: Uint8Array,
  opts?: ParseMessageSetOptions,
): Promise<LegacyMessage[]> {
  const out: LegacyMessage[] = [];
  for (const m of parseShallow(payload, opts?.allowPartialTrailing ?? false)) {
    const codec = m.attributes & ATTR_COMPRESSION_MASK;
    const type = m.magic === 1 && (m.attributes & ATTR_TIMESTAMP_TYPE) !== 0
      ? TimestampType.LOG_APPEND_TIME
      : TimestampType.CREATE_TIME;
    if (codec === Compression.NONE) {
      out.push({ ...m, compression: 0, timestampType: type });
      continue;
    }
    if (codec > Compression.LZ4) {
      throw new KafkaError(
        ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
        `compression codec ${codec} is not allowed with message format magic ${m.magic}`,
      );
    }
    if (m.value === null) throw invalid(`compressed wrapper message at offset ${m.offset} has a null value`);
    const inner = parseShallow(
      await decompress(codec, m.value, { maxBytes: opts?.maxDecompressedBytes }),
      false,
    );
    if (inner.length === 0) continue;
    const lastInner = inner[inner.length - 1].offset;
    for (const im of inner) {
      if ((im.attributes & ATTR_COMPRESSION_MASK) !== 0) {
        throw invalid("compressed message set contains a compressed message");
      }
      if (im.magic !== m.magic) {
        throw invalid(`wrapper message has magic ${m.magic} but an inner message has magic ${im.magic}`);
      }
      out.push({
        offset: m.magic === 1 ? m.offset - lastInner + im.offset : im.offset,
        magic: im.magic,
        attributes: im.attributes,
        compression: codec,
        timestamp: type === TimestampType.LOG_APPEND_TIME ? m.timestamp : im.timestamp,
        timestampType: type,
        key: im.key,
        value: im.value,
      });
    }
  }
  return out;
}

/**
 * Up-converts a produce message set (magic 0 or 1) into one RecordBatch v2: same keys, values and timestamps (-1
 * for magic 0), CreateTime, the producer's codec when it compressed (else none), no producer id. Mixed magic →
 * INVALID_RECORD. An empty message set gives an empty payload and no batches.
 */
export async function legacyToBatchV2(
  payload: Uint8Array,
  opts?: ParseMessageSetOptions,
): Promise<{ payload: Uint8Array; batches: BatchInfo[] }> {
  const msgs = await parseMessageSet(payload, opts);
  if (msgs.length === 0) return { payload: new Uint8Array(0), batches: [] };
  const magic = msgs[0].magic;
  let compression = 0;
  const records: RecordInput[] = [];
  for (const m of msgs) {
    if (m.magic !== magic) throw invalid(`message set mixes magic ${magic} and ${m.magic}`);
    if (compression === 0) compression = m.compression;
    records.push({ key: m.key, value: m.value, timestamp: magic === 0 ? -1 : m.timestamp });
  }
  const batch = await buildBatch({ records, compression, timestampType: TimestampType.CREATE_TIME });
  return { payload: batch, batches: validateBatches(batch) };
}

interface OutMessage {
  offset: number;
  timestamp: number;
  lat: boolean;
  key: Uint8Array | null;
  value: Uint8Array | null;
}

/**
 * Down-converts stored v2 batches (each element holds one or more whole batches) to an uncompressed message set of
 * `magic` 0 or 1 for Fetch v0-3: absolute offsets, timestamps and the timestamp-type bit (magic 1), headers dropped,
 * control batches dropped, records below `fromOffset` skipped.
 */
export async function downConvert(
  batches: readonly Uint8Array[],
  magic: 0 | 1,
  fromOffset = 0,
): Promise<Uint8Array> {
  const msgs: OutMessage[] = [];
  let total = 0;
  const overhead = LOG_OVERHEAD + (magic === 0 ? V0_OVERHEAD : V1_OVERHEAD);
  for (const buf of batches) {
    for (const { pos, size } of splitBatches(buf)) {
      if ((getInt16(buf, pos + ATTRIBUTES_OFFSET) & ATTR_CONTROL) !== 0) continue;
      const { header, records } = await decodeBatchRecords(buf.subarray(pos, pos + size));
      const lat = header.timestampType === TimestampType.LOG_APPEND_TIME;
      for (const r of records) {
        if (r.offset < fromOffset) continue;
        msgs.push({ offset: r.offset, timestamp: r.timestamp, lat, key: r.key, value: r.value });
        total += overhead + (r.key?.length ?? 0) + (r.value?.length ?? 0);
      }
    }
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const m of msgs) at = writeMessage(out, at, magic, m);
  return out;
}

function writeBytes(out: Uint8Array, at: number, b: Uint8Array | null): number {
  if (b === null) {
    putInt32(out, at, -1);
    return at + 4;
  }
  putInt32(out, at, b.length);
  out.set(b, at + 4);
  return at + 4 + b.length;
}

function writeMessage(out: Uint8Array, start: number, magic: 0 | 1, m: OutMessage): number {
  putInt64(out, start, m.offset);
  let at = start + MAGIC_OFFSET;
  out[at++] = magic;
  out[at++] = magic === 1 && m.lat ? ATTR_TIMESTAMP_TYPE : 0;
  if (magic === 1) {
    putInt64(out, at, m.timestamp);
    at += 8;
  }
  at = writeBytes(out, at, m.key);
  at = writeBytes(out, at, m.value);
  putInt32(out, start + LENGTH_OFFSET, at - start - LOG_OVERHEAD);
  putInt32(out, start + LEGACY_CRC_OFFSET, crc32(out.subarray(start + MAGIC_OFFSET, at)));
  return at;
}
