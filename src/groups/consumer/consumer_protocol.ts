// The "consumer" embedded protocol of JoinGroup/SyncGroup (ConsumerProtocolSubscription and
// ConsumerProtocolAssignment v0-3, non-flexible, a version prefix), as the coordinator needs it for classic
// members of a consumer group and for group conversions: a JoinGroup's subscription (topics, owned partitions,
// rack) becomes the member's subscription, and the server's assignment is written back in the version the member
// used. Kafka's rules: a version above 3 is read (and written) as 3 — later versions only append fields; a
// truncated body, or a version below 0, is malformed (ConsumerProtocolError). src/ops/consumer_protocol.ts is the
// lenient, display-only reader of the same bytes.
import { DecodeError, Reader, Writer } from "../../protocol/codec.ts";

/** The protocol type of JoinGroup for Kafka consumers: the only one a consumer group accepts. */
export const CONSUMER_PROTOCOL_TYPE = "consumer";

/** The highest ConsumerProtocolSubscription / ConsumerProtocolAssignment version (both move together). */
export const CONSUMER_PROTOCOL_MAX_VERSION = 3;

export interface NamedTopicPartitions {
  readonly topic: string;
  readonly partitions: readonly number[];
}

export interface ConsumerSubscription {
  readonly topics: readonly string[];
  readonly userData: Uint8Array | null;
  /** v1+: what the member owns (cooperative rebalancing); empty for eager members and v0. */
  readonly ownedPartitions: readonly NamedTopicPartitions[];
  /** v2+: the generation of the owned partitions; -1 when absent. */
  readonly generationId: number;
  /** v3+; null when absent or empty (Kafka treats "" as none). */
  readonly rackId: string | null;
}

export interface ConsumerAssignment {
  readonly partitions: readonly NamedTopicPartitions[];
  readonly userData: Uint8Array | null;
}

/** Bytes that are not a ConsumerProtocol message of the versions Kafka reads (Kafka's SchemaException). */
export class ConsumerProtocolError extends Error {
  override name = "ConsumerProtocolError";
}

/** The version prefix (Kafka's deserializeVersion); the version to answer in is min(it, 3). */
export function protocolVersion(b: Uint8Array): number {
  if (b.length < 2) {
    throw new ConsumerProtocolError("buffer underflow while parsing the consumer protocol header");
  }
  return (b[0] << 24 >> 16) | b[1];
}

function checkVersion(v: number, what: string): number {
  if (v < 0) throw new ConsumerProtocolError(`unsupported ${what} version: ${v}`);
  return Math.min(v, CONSUMER_PROTOCOL_MAX_VERSION);
}

function readTopicPartitions(r: Reader): NamedTopicPartitions[] {
  const n = r.arrayLength(false);
  const out: NamedTopicPartitions[] = [];
  for (let i = 0; i < n; i++) {
    const topic = r.string();
    const m = r.arrayLength(false);
    const partitions: number[] = [];
    for (let j = 0; j < m; j++) partitions.push(r.int32());
    out.push({ topic, partitions });
  }
  return out;
}

function writeTopicPartitions(w: Writer, rows: readonly NamedTopicPartitions[]): void {
  w.int32(rows.length);
  for (const row of rows) {
    w.string(row.topic);
    w.int32(row.partitions.length);
    for (const p of row.partitions) w.int32(p);
  }
}

function parse<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof DecodeError) {
      throw new ConsumerProtocolError(`malformed consumer protocol ${what}: ${e.message}`);
    }
    throw e;
  }
}

export function decodeConsumerSubscription(b: Uint8Array): ConsumerSubscription {
  return parse("subscription", () => {
    const version = checkVersion(protocolVersion(b), "subscription");
    const r = new Reader(b, 2);
    const n = r.arrayLength(false);
    if (n < 0) throw new DecodeError("null topics");
    const topics: string[] = [];
    for (let i = 0; i < n; i++) topics.push(r.string());
    const userData = r.bytes();
    const ownedPartitions = version >= 1 ? readTopicPartitions(r) : [];
    const generationId = version >= 2 ? r.int32() : -1;
    const rack = version >= 3 ? r.nullableString() : null;
    return { topics, userData, ownedPartitions, generationId, rackId: rack === "" ? null : rack };
  });
}

export function encodeConsumerSubscription(
  s: ConsumerSubscription,
  version = CONSUMER_PROTOCOL_MAX_VERSION,
): Uint8Array {
  const v = checkVersion(version, "subscription");
  const w = new Writer(64).int16(v);
  w.int32(s.topics.length);
  for (const t of s.topics) w.string(t);
  w.bytes(s.userData);
  if (v >= 1) writeTopicPartitions(w, s.ownedPartitions);
  if (v >= 2) w.int32(s.generationId);
  if (v >= 3) w.nullableString(s.rackId);
  return w.finish();
}

export function decodeConsumerAssignment(b: Uint8Array): ConsumerAssignment {
  return parse("assignment", () => {
    checkVersion(protocolVersion(b), "assignment");
    const r = new Reader(b, 2);
    const partitions = readTopicPartitions(r);
    const userData = r.bytes();
    return { partitions, userData };
  });
}

/** Version 0-3 share one layout (later versions only changed the subscription). */
export function encodeConsumerAssignment(
  a: ConsumerAssignment,
  version = CONSUMER_PROTOCOL_MAX_VERSION,
): Uint8Array {
  const w = new Writer(64).int16(checkVersion(version, "assignment"));
  writeTopicPartitions(w, a.partitions);
  w.bytes(a.userData);
  return w.finish();
}
