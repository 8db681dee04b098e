// Produce-path record work that only some topic configs ask for: recompressing batches to the topic's
// compression.type, refusing records without a key on compacted topics, and reading records for schema validation. Topics with compression.type=producer
// and cleanup.policy=delete never get here, so their batches stay undecoded. Both read the records sections
// inflateBatches already decompressed (ValidatedBatches.inflated) and decompress only what it did not (legacy
// up-conversions, callers that skipped it), capped like it.
import { putInt32 } from "../protocol/codec.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import type { ValidatedBatches } from "./batch_info.ts";
import { compress, decompress } from "./compression.ts";
import { crc32c } from "./crc32c.ts";
import {
  ATTR_COMPRESSION_MASK,
  ATTRIBUTES_OFFSET,
  CRC_OFFSET,
  getInt16,
  LENGTH_OFFSET,
  LOG_OVERHEAD,
  putInt16,
  readBatchHeader,
  RECORDS_OFFSET,
} from "./layout.ts";
import { decodeRecords, encodeRecords, type KafkaRecord } from "./record.ts";
import { inflateLimit, validateBatches } from "./batch.ts";

/** The records of batch `i` of `req`, from its inflated section when there is one. */
async function recordsOf(req: ValidatedBatches, i: number, maxInflated: number): Promise<KafkaRecord[]> {
  const b = req.batches[i];
  const header = readBatchHeader(req.payload, b.pos);
  const inflated = req.inflated?.[i];
  if (inflated) return decodeRecords(inflated, header);
  const body = req.payload.subarray(b.pos + RECORDS_OFFSET, b.pos + b.size);
  const codec = b.attributes & ATTR_COMPRESSION_MASK;
  return decodeRecords(codec === 0 ? body : await decompress(codec, body, { maxBytes: maxInflated }), header);
}

/**
 * Re-encodes every batch whose codec is not `codec` (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd) with that codec,
 * keeping offsets deltas, timestamps, headers, producer id/epoch/sequence and the other attributes. Returns the
 * request unchanged when every batch already uses it; otherwise a new payload, validated again (the size limit
 * applies to the recompressed batches: MESSAGE_TOO_LARGE), with the uncompressed records of every batch that ends
 * up compressed in `inflated`.
 */
export async function recompressBatches(
  req: ValidatedBatches,
  codec: number,
  zstdLevel: number,
  maxBatchBytes: number,
): Promise<ValidatedBatches> {
  const { payload } = req;
  if (req.batches.every((b) => (b.attributes & ATTR_COMPRESSION_MASK) === codec)) return req;
  const maxInflated = inflateLimit(maxBatchBytes);
  const parts: Uint8Array[] = [];
  const inflated: (Uint8Array | null)[] = [];
  let total = 0;
  for (let i = 0; i < req.batches.length; i++) {
    const b = req.batches[i];
    const batch = payload.subarray(b.pos, b.pos + b.size);
    let out = batch;
    let raw = req.inflated?.[i] ?? null;
    if ((b.attributes & ATTR_COMPRESSION_MASK) !== codec) {
      raw = encodeRecords(await recordsOf(req, i, maxInflated), b.baseTimestamp);
      const body = await compress(codec, raw, zstdLevel);
      out = new Uint8Array(RECORDS_OFFSET + body.length);
      out.set(batch.subarray(0, RECORDS_OFFSET));
      out.set(body, RECORDS_OFFSET);
      putInt32(out, LENGTH_OFFSET, out.length - LOG_OVERHEAD);
      putInt16(out, ATTRIBUTES_OFFSET, (getInt16(batch, ATTRIBUTES_OFFSET) & ~ATTR_COMPRESSION_MASK) | codec);
      putInt32(out, CRC_OFFSET, crc32c(out.subarray(ATTRIBUTES_OFFSET)));
    }
    parts.push(out);
    inflated.push(codec === 0 ? null : raw);
    total += out.length;
  }
  const next = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    next.set(p, at);
    at += p.length;
  }
  return { payload: next, batches: validateBatches(next, maxBatchBytes), inflated, owned: true };
}

/** Every record of the request, batch after batch (schema validation); decompression capped as above. */
export async function allRecords(req: ValidatedBatches, maxBatchBytes = Infinity): Promise<KafkaRecord[]> {
  const maxInflated = inflateLimit(maxBatchBytes);
  const out: KafkaRecord[] = [];
  for (let i = 0; i < req.batches.length; i++) out.push(...await recordsOf(req, i, maxInflated));
  return out;
}

/**
 * Throws INVALID_RECORD when a batch holds a record without a key (compacted topics need keys). `maxBatchBytes`
 * (max.message.bytes) caps decompression of batches `req.inflated` does not cover.
 */
export async function requireKeys(
  req: ValidatedBatches,
  topicPartition: string,
  maxBatchBytes = Infinity,
): Promise<void> {
  const maxInflated = inflateLimit(maxBatchBytes);
  for (let i = 0; i < req.batches.length; i++) {
    const records = await recordsOf(req, i, maxInflated);
    if (records.some((r) => r.key === null)) {
      throw new KafkaError(
        ErrorCode.INVALID_RECORD,
        `Compacted topic cannot accept message without key in topic partition ${topicPartition}.`,
      );
    }
  }
}
