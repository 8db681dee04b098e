// Individual v2 records inside a RecordBatch: encoding for the batch builder and decoding for paths that need the
// records themselves (down-conversion, tests, tooling). The produce/fetch hot paths never decode records.
//
// Record := length varint, attributes int8, timestampDelta varlong, offsetDelta varint, key (varint length, -1 =
// null), value (same), headers (varint count; each: key varint length + UTF-8, value varint length, -1 = null).

import { DecodeError, Reader } from "../protocol/codec.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { crc32c } from "./crc32c.ts";
import { decompress } from "./compression.ts";
import {
  ATTRIBUTES_OFFSET,
  type BatchHeader,
  LOG_OVERHEAD,
  readBatchHeader,
  RECORDS_OFFSET,
  TimestampType,
} from "./layout.ts";

export interface RecordHeader {
  readonly key: string;
  readonly value: Uint8Array | null;
}

/** A decoded record. `key`, `value` and header values are views into the (decompressed) batch bytes. */
export interface KafkaRecord {
  readonly offset: number;
  readonly timestamp: number;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly headers: RecordHeader[];
}

/** A record to encode; the builder assigns offset deltas 0..n-1. */
export interface RecordInput {
  readonly key?: Uint8Array | null;
  readonly value?: Uint8Array | null;
  readonly headers?: readonly RecordHeader[];
  /** Record timestamp (ms); defaults to the batch's base timestamp. */
  readonly timestamp?: number;
  /**
   * Ignored: a record's offset delta is its index in the batch (offsets in a batch are consecutive). Present so a
   * decoded KafkaRecord can be passed back to the builder.
   */
  readonly offset?: number;
}

const TEXT_ENCODER = new TextEncoder();
const TEXT_DECODER = new TextDecoder("utf-8", { fatal: false });

// ---------------------------------------------------------------------------------------------------------------
// Encoding

function zigzag(v: number): number {
  return v >= 0 ? v * 2 : -v * 2 - 1;
}

/** Bytes of the zigzag varint/varlong encoding of `v`. */
export function varintSize(v: number): number {
  let u = zigzag(v);
  let n = 1;
  while (u >= 0x80) {
    u = Math.floor(u / 128);
    n++;
  }
  return n;
}

function putVarint(out: Uint8Array, at: number, v: number): number {
  let u = zigzag(v);
  while (u >= 0x80) {
    out[at++] = (u % 128) | 0x80;
    u = Math.floor(u / 128);
  }
  out[at++] = u;
  return at;
}

function putBytes(out: Uint8Array, at: number, b: Uint8Array | null | undefined): number {
  if (b === null || b === undefined) return putVarint(out, at, -1);
  at = putVarint(out, at, b.length);
  out.set(b, at);
  return at + b.length;
}

function bytesSize(b: Uint8Array | null | undefined): number {
  return b === null || b === undefined ? 1 : varintSize(b.length) + b.length;
}

/**
 * Encodes records back to back (the uncompressed records section of a batch), with offset deltas 0..n-1 and
 * timestamp deltas relative to `baseTimestamp`. With `baseOffset`, each record's offset delta is instead
 * `record.offset - baseOffset` (batches rewritten by log compaction keep their records' offsets, with gaps).
 */
export function encodeRecords(
  records: readonly RecordInput[],
  baseTimestamp: number,
  baseOffset?: number,
): Uint8Array {
  const delta = (r: RecordInput, i: number) => (baseOffset === undefined ? i : (r.offset ?? 0) - baseOffset);
  const headerKeys: Uint8Array[] = [];
  const bodySizes = new Array<number>(records.length);
  let total = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    let body = 1 + varintSize((r.timestamp ?? baseTimestamp) - baseTimestamp) + varintSize(delta(r, i)) +
      bytesSize(r.key) +
      bytesSize(r.value);
    const headers = r.headers ?? [];
    body += varintSize(headers.length);
    for (const h of headers) {
      const k = TEXT_ENCODER.encode(h.key);
      headerKeys.push(k);
      body += varintSize(k.length) + k.length + bytesSize(h.value);
    }
    bodySizes[i] = body;
    total += varintSize(body) + body;
  }
  const out = new Uint8Array(total);
  let at = 0;
  let hk = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    at = putVarint(out, at, bodySizes[i]);
    out[at++] = 0; // record attributes: unused
    at = putVarint(out, at, (r.timestamp ?? baseTimestamp) - baseTimestamp);
    at = putVarint(out, at, delta(r, i));
    at = putBytes(out, at, r.key);
    at = putBytes(out, at, r.value);
    const headers = r.headers ?? [];
    at = putVarint(out, at, headers.length);
    for (const h of headers) {
      at = putBytes(out, at, headerKeys[hk++]);
      at = putBytes(out, at, h.value);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Decoding

function corrupt(why: string): KafkaError {
  return new KafkaError(ErrorCode.CORRUPT_MESSAGE, why);
}

type DecodeHeader = Pick<
  BatchHeader,
  "baseOffset" | "baseTimestamp" | "maxTimestamp" | "timestampType" | "recordCount"
>;

/**
 * Decodes the uncompressed records section `data` of a batch with header `h`. For LogAppendTime batches every record
 * takes the batch's maxTimestamp (Kafka semantics). Malformed records → CORRUPT_MESSAGE.
 */
export function decodeRecords(data: Uint8Array, h: DecodeHeader): KafkaRecord[] {
  if (h.recordCount < 0) throw corrupt(`invalid record count ${h.recordCount}`);
  const r = new Reader(data);
  const records: KafkaRecord[] = [];
  const lat = h.timestampType === TimestampType.LOG_APPEND_TIME;
  try {
    for (let i = 0; i < h.recordCount; i++) {
      const len = r.varint();
      if (len < 0 || len > r.remaining) throw corrupt(`record ${i}: invalid length ${len}`);
      const end = r.pos + len;
      r.skip(1); // attributes
      const tsDelta = r.varlong();
      const offsetDelta = r.varint();
      const keyLen = r.varint();
      const key = keyLen < 0 ? null : r.raw(keyLen);
      const valueLen = r.varint();
      const value = valueLen < 0 ? null : r.raw(valueLen);
      const headerCount = r.varint();
      if (headerCount < 0 || headerCount > end - r.pos) throw corrupt(`record ${i}: invalid header count`);
      const headers: RecordHeader[] = [];
      for (let j = 0; j < headerCount; j++) {
        const kLen = r.varint();
        if (kLen < 0) throw corrupt(`record ${i}: negative header key length`);
        const hKey = TEXT_DECODER.decode(r.raw(kLen));
        const vLen = r.varint();
        headers.push({ key: hKey, value: vLen < 0 ? null : r.raw(vLen) });
      }
      if (r.pos !== end) throw corrupt(`record ${i}: length ${len} does not match its contents`);
      records.push({
        offset: h.baseOffset + offsetDelta,
        timestamp: lat ? h.maxTimestamp : h.baseTimestamp + tsDelta,
        key,
        value,
        headers,
      });
    }
  } catch (e) {
    if (e instanceof DecodeError) throw corrupt(`record batch records truncated: ${e.message}`);
    throw e;
  }
  if (r.remaining !== 0) throw corrupt(`${r.remaining} bytes left after ${h.recordCount} records`);
  return records;
}

export interface DecodeBatchOptions {
  /** Verify the batch CRC32C first (default false: stored batches were validated on append). */
  readonly verifyCrc?: boolean;
  /** Decompression output cap in bytes (default: the compression module's limit). */
  readonly maxDecompressedBytes?: number;
}

/** Decodes the single v2 batch at the start of `batch`, decompressing its records as needed. */
export async function decodeBatchRecords(
  batch: Uint8Array,
  opts?: DecodeBatchOptions,
): Promise<{ header: BatchHeader; records: KafkaRecord[] }> {
  const header = readBatchHeader(batch, 0);
  const size = LOG_OVERHEAD + header.batchLength;
  if (header.batchLength < RECORDS_OFFSET - LOG_OVERHEAD || size > batch.length) {
    throw corrupt(`record batch length ${header.batchLength} invalid for ${batch.length} bytes`);
  }
  if (opts?.verifyCrc) {
    const crc = crc32c(batch.subarray(ATTRIBUTES_OFFSET, size));
    if (crc !== header.crc) {
      throw corrupt(
        `record batch CRC mismatch: stored ${header.crc.toString(16)}, computed ${crc.toString(16)}`,
      );
    }
  }
  let body = batch.subarray(RECORDS_OFFSET, size);
  if (header.compression !== 0) {
    body = await decompress(header.compression, body, { maxBytes: opts?.maxDecompressedBytes });
  }
  return { header, records: decodeRecords(body, header) };
}
