// Per-record timestamps of one stored batch, for exact ListOffsets-by-time lookups inside a batch.
import { decodeBatchRecords } from "./record.ts";

export async function decodeTimestamps(batch: Uint8Array): Promise<{ offset: number; timestamp: number }[]> {
  const { records } = await decodeBatchRecords(batch);
  return records.map((r) => ({ offset: r.offset, timestamp: r.timestamp }));
}
