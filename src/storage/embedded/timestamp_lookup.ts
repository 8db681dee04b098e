// The record of one stored batch that answers a timestamp lookup (ListOffsets by timestamp, and its max-timestamp
// form): record offsets and timestamps are read in place from an uncompressed batch and through the storage's
// decoder from a compressed one. The partition log finds the batch (time index, segments); this picks the record.
// Cold path: nothing here runs on produce or fetch.
import {
  ATTR_COMPRESSION_MASK,
  ATTR_TIMESTAMP_TYPE,
  attributesAt,
  baseOffsetAt,
  lastOffsetDeltaAt,
  maxTimestampAt,
} from "../../records/layout.ts";
import type { TimestampOffset } from "../storage.ts";
import { recordTimestamps } from "./batch.ts";
import { errorText } from "./files.ts";
import type { LogFn } from "./options.ts";

/** How compressed batches are decoded, and where a batch that cannot be is logged. */
export interface TimestampDecoding {
  readonly decodeTimestamps?: (batch: Uint8Array) => Promise<TimestampOffset[]>;
  readonly log: LogFn;
}

/** Record offsets and timestamps of a batch, or null when they cannot be decoded. */
async function timestampsOf(
  batch: Uint8Array,
  env: TimestampDecoding,
  name: string,
): Promise<TimestampOffset[] | null> {
  try {
    if ((attributesAt(batch, 0) & ATTR_COMPRESSION_MASK) === 0) return recordTimestamps(batch);
    if (env.decodeTimestamps) return await env.decodeTimestamps(batch);
  } catch (e) {
    env.log("warn", `${name}: cannot decode record timestamps of batch: ${errorText(e)}`);
  }
  return null;
}

/** First record of `batch` with timestamp >= ts and offset >= minOffset. */
export async function firstRecordAtOrAfter(
  batch: Uint8Array,
  ts: number,
  minOffset: number,
  env: TimestampDecoding,
  name: string,
): Promise<TimestampOffset | null> {
  const maxTs = maxTimestampAt(batch, 0);
  const lat = (attributesAt(batch, 0) & ATTR_TIMESTAMP_TYPE) !== 0;
  const recs = await timestampsOf(batch, env, name);
  if (!recs) {
    // Compressed without a decoder: the batch is the best answer there is.
    return { offset: Math.max(baseOffsetAt(batch, 0), minOffset), timestamp: maxTs };
  }
  for (const r of recs) {
    const t = lat ? maxTs : r.timestamp;
    if (t >= ts && r.offset >= minOffset) return { offset: r.offset, timestamp: t };
  }
  return null;
}

/**
 * The record of `batch` that carries the partition's max timestamp `ts`: the first one under LogAppendTime, else
 * the first whose timestamp is `ts`, else (none has, or they cannot be decoded) the batch's last record.
 */
export async function recordWithTimestamp(
  batch: Uint8Array,
  ts: number,
  env: TimestampDecoding,
  name: string,
): Promise<TimestampOffset> {
  const first = baseOffsetAt(batch, 0);
  if ((attributesAt(batch, 0) & ATTR_TIMESTAMP_TYPE) !== 0) return { offset: first, timestamp: ts };
  const recs = await timestampsOf(batch, env, name);
  if (recs) { for (const r of recs) if (r.timestamp === ts) return r; }
  return { offset: first + lastOffsetDeltaAt(batch, 0), timestamp: ts };
}
