// Produce-path record work that only some topic configs ask for: recompressing batches to the topic's
// compression.type, and refusing records without a key on compacted topics. Topics with compression.type=producer
// and cleanup.policy=delete never get here, so their batches stay undecoded.
import { putInt32 } from "../protocol/codec.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import type { AppendRequest } from "../storage/storage.ts";
import { compress } from "./compression.ts";
import { crc32c } from "./crc32c.ts";
import {
  ATTR_COMPRESSION_MASK,
  ATTRIBUTES_OFFSET,
  CRC_OFFSET,
  getInt16,
  LENGTH_OFFSET,
  LOG_OVERHEAD,
  putInt16,
  RECORDS_OFFSET,
} from "./layout.ts";
import { decodeBatchRecords, encodeRecords } from "./record.ts";
import { validateBatches } from "./batch.ts";

/**
 * Re-encodes every batch whose codec is not `codec` (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd) with that codec,
 * keeping offsets deltas, timestamps, headers, producer id/epoch/sequence and the other attributes. Returns the
 * request unchanged when every batch already uses it; otherwise a new payload, validated again (the size limit
 * applies to the recompressed batches: MESSAGE_TOO_LARGE).
 */
export async function recompressBatches(
  req: AppendRequest,
  codec: number,
  zstdLevel: number,
  maxBatchBytes: number,
): Promise<AppendRequest> {
  const { payload } = req;
  if (req.batches.every((b) => (b.attributes & ATTR_COMPRESSION_MASK) === codec)) return req;
  const parts: Uint8Array[] = [];
  let total = 0;
  for (const b of req.batches) {
    const batch = payload.subarray(b.pos, b.pos + b.size);
    let out = batch;
    if ((b.attributes & ATTR_COMPRESSION_MASK) !== codec) {
      const { records } = await decodeBatchRecords(batch);
      const body = await compress(codec, encodeRecords(records, b.baseTimestamp), zstdLevel);
      out = new Uint8Array(RECORDS_OFFSET + body.length);
      out.set(batch.subarray(0, RECORDS_OFFSET));
      out.set(body, RECORDS_OFFSET);
      putInt32(out, LENGTH_OFFSET, out.length - LOG_OVERHEAD);
      putInt16(out, ATTRIBUTES_OFFSET, (getInt16(batch, ATTRIBUTES_OFFSET) & ~ATTR_COMPRESSION_MASK) | codec);
      putInt32(out, CRC_OFFSET, crc32c(out.subarray(ATTRIBUTES_OFFSET)));
    }
    parts.push(out);
    total += out.length;
  }
  const next = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    next.set(p, at);
    at += p.length;
  }
  return { payload: next, batches: validateBatches(next, maxBatchBytes) };
}

/** Throws INVALID_RECORD when a batch holds a record without a key (compacted topics need keys). */
export async function requireKeys(req: AppendRequest, topicPartition: string): Promise<void> {
  for (const b of req.batches) {
    const { records } = await decodeBatchRecords(req.payload.subarray(b.pos, b.pos + b.size));
    if (records.some((r) => r.key === null)) {
      throw new KafkaError(
        ErrorCode.INVALID_RECORD,
        `Compacted topic cannot accept message without key in topic partition ${topicPartition}.`,
      );
    }
  }
}
