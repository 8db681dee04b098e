// Decoding of the "consumer" embedded protocol for the admin API and the dashboard: ConsumerProtocolSubscription
// (v0-3) and ConsumerProtocolAssignment (v0-3), both non-flexible. The gateway never needs these to work (the
// assignors run in the clients); a client's private format decodes to null.
import { Reader } from "../protocol/codec.ts";

export interface TopicPartitions {
  readonly topic: string;
  readonly partitions: number[];
}

export interface DecodedSubscription {
  readonly version: number;
  readonly topics: string[];
  /** v1+: partitions the member owned (cooperative rebalancing). */
  readonly ownedPartitions: TopicPartitions[];
  /** v2+ */
  readonly generationId: number | null;
  /** v3+ */
  readonly rackId: string | null;
  readonly userDataBytes: number;
}

export interface DecodedAssignment {
  readonly version: number;
  readonly partitions: TopicPartitions[];
  readonly userDataBytes: number;
}

function topicPartitions(r: Reader): TopicPartitions[] {
  const n = r.arrayLength(false);
  const out: TopicPartitions[] = [];
  for (let i = 0; i < n; i++) {
    const topic = r.string();
    const m = r.arrayLength(false);
    const partitions: number[] = [];
    for (let j = 0; j < m; j++) partitions.push(r.int32());
    out.push({ topic, partitions: partitions.sort((a, b) => a - b) });
  }
  return out;
}

export function decodeSubscription(b: Uint8Array): DecodedSubscription | null {
  if (b.length < 6) return null;
  try {
    const r = new Reader(b);
    const version = r.int16();
    if (version < 0) return null;
    const n = r.arrayLength(false);
    const topics: string[] = [];
    for (let i = 0; i < n; i++) topics.push(r.string());
    const userData = r.bytes();
    let ownedPartitions: TopicPartitions[] = [];
    let generationId: number | null = null;
    let rackId: string | null = null;
    if (version >= 1 && r.remaining > 0) ownedPartitions = topicPartitions(r);
    if (version >= 2 && r.remaining >= 4) generationId = r.int32();
    if (version >= 3 && r.remaining >= 2) rackId = r.nullableString();
    return { version, topics, ownedPartitions, generationId, rackId, userDataBytes: userData?.length ?? 0 };
  } catch {
    return null;
  }
}

export function decodeAssignment(b: Uint8Array): DecodedAssignment | null {
  if (b.length < 6) return null;
  try {
    const r = new Reader(b);
    const version = r.int16();
    if (version < 0) return null;
    const partitions = topicPartitions(r);
    const userData = r.remaining >= 4 ? r.bytes() : null;
    return { version, partitions, userDataBytes: userData?.length ?? 0 };
  } catch {
    return null;
  }
}
