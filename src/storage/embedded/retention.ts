// Which segments retention deletes (Kafka's time and size based retention, whole segments only): the oldest ones
// whose largest timestamp is older than retention.ms, then the oldest closed ones while the partition stays above
// retention.bytes without them. Pure: the partition log rolls, deletes and moves its log start offset.
import type { Segment } from "./segment.ts";

/**
 * The number of oldest segments that retention.ms has expired. An empty closed segment (left by recovery) has
 * nothing to keep; an empty active one stops the count. When the count covers every segment, the active one
 * expired too: the caller rolls it before deleting it.
 */
export function expiredSegments(segments: readonly Segment[], retentionMs: number, now: number): number {
  let k = 0;
  while (k < segments.length) {
    const seg = segments[k];
    if (seg.size === 0 ? k === segments.length - 1 : now - seg.retentionTimestamp <= retentionMs) break;
    k++;
  }
  return k;
}

/**
 * How many oldest segments to delete in all when the first `from` go anyway: more while the rest still holds at
 * least retention.bytes without them; never the active segment.
 */
export function segmentsOverBytes(
  segments: readonly Segment[],
  from: number,
  retentionBytes: number,
): number {
  let total = 0;
  for (let i = from; i < segments.length; i++) total += segments[i].size;
  let k = from;
  while (k < segments.length - 1) {
    const seg = segments[k];
    if (total - seg.size < retentionBytes) break;
    total -= seg.size;
    k++;
  }
  return k;
}
