// Whether a record as this gateway published it (its publish frame, kept for replay) is the record the broker
// stored at its offset: the replay check after a broker failure (PartitionState.holds) publishes again only what
// the broker lost, never a record it stored.
import { decodeMessage, type SmqRecord } from "./record_codec.ts";
import { FRAME_HEADER } from "./transport/h2stream.ts";

/** A DataMessage's key and value as the publish frame carries them (for the replay check). */
export function frameKeyValue(
  frames: Uint8Array,
  start: number,
  end: number,
): { key: Uint8Array; value: Uint8Array } {
  // frame header, PublishMessageRequest.data (tag + length), then DataMessage fields
  let p = start + FRAME_HEADER + 1;
  while (frames[p++] & 0x80); // length of DataMessage
  let key: Uint8Array = new Uint8Array(0);
  let value: Uint8Array = new Uint8Array(0);
  while (p < end) {
    const tag = frames[p++];
    let len = 0, mul = 1, b: number;
    do {
      b = frames[p++];
      len += (b & 0x7f) * mul;
      mul *= 128;
    } while (b & 0x80);
    if (tag === 0x0a) key = frames.subarray(p, p + len);
    else if (tag === 0x12) value = frames.subarray(p, p + len);
    p += len;
  }
  return { key, value };
}

/** A message FetchMessage answered against the frame's key and value: byte for byte. */
export function sameMessage(
  m: { readonly key: Uint8Array; readonly value: Uint8Array },
  mine: { key: Uint8Array; value: Uint8Array },
): boolean {
  return equalBytes(m.key, mine.key) && equalBytes(m.value, mine.value);
}

/** A record read from the log files against the frame's key and value, decoded as the broker stores them. */
export function sameRecord(stored: SmqRecord, mine: { key: Uint8Array; value: Uint8Array }): boolean {
  const ours = decodeMessage({ key: mine.key, value: mine.value, tsNs: 0 });
  return equalOrNull(stored.key, ours.key) && equalOrNull(stored.value, ours.value) &&
    equalOrNull(stored.headers, ours.headers);
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function equalOrNull(a: Uint8Array | null, b: Uint8Array | null): boolean {
  return a === null || b === null ? a === b : equalBytes(a, b);
}
