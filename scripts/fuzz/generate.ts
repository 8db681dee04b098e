// Valid requests for every registered API version, filled from the API's declarative schema: each field gets a
// value of its type (strings, arrays of 0-2 elements, ints, uuids, record batches), biased by the field's name
// towards values that reach deep into the handlers (existing fuzz topics, real config keys, fetch offsets around
// the log's end, boundary ints now and then). The request is encoded with the gateway's own encoder, then
// decoded once with a tracing Reader that records where every length prefix (string, bytes, array: int16,
// int32 or varint) and every record batch lies, so the mutators can aim at them.
import { crc32 } from "../../src/records/crc32.ts";
import { buildBatch, type BuildBatchOptions } from "../../src/records/batch.ts";
import { compressSync } from "../../src/records/compression.ts";
import { TimestampType } from "../../src/records/layout.ts";
import type { RecordInput } from "../../src/records/record.ts";
import { Reader, ZERO_UUID } from "../../src/protocol/codec.ts";
import { peekHeader } from "../../src/protocol/header.ts";
import {
  type ApiSpec,
  type Field,
  type FieldType,
  inRange,
  type Primitive,
} from "../../src/protocol/schema.ts";
import { ApiKey } from "../../src/protocol/api_keys.ts";
import { BROKER_CONFIGS, TOPIC_CONFIGS } from "../../src/configs/defs.ts";
import type { Rng } from "./rng.ts";
import { codecOf, requestPayload } from "./wire.ts";
import { concat } from "../../tests/helpers/bytes.ts";

/** Values the generator draws from; the topics exist (created by the harness), the healthy topic is never here. */
export interface Pools {
  /** Topics the harness created; fuzz-a holds data. */
  readonly topics: readonly string[];
  /** Their topic ids (hex), for v13+ Fetch, Metadata v10+, DeleteTopics v6. */
  readonly topicIds: readonly string[];
  /** Valid names the fuzzer may create or delete. */
  readonly newTopics: readonly string[];
  readonly groups: readonly string[];
  /** RecordBatch v2 payloads (one or more batches each). */
  readonly batches: readonly Uint8Array[];
  /** Legacy message sets, magic 0 and magic 1. */
  readonly legacy: readonly (readonly Uint8Array[])[];
}

const ODD_NAMES = [
  "",
  ".",
  "..",
  "../escape",
  "a/b",
  "x".repeat(249),
  "x".repeat(300),
  "tópico",
  "__consumer_offsets",
  "with space",
  "nul\u0000byte",
  "\ud800",
  "-",
];
const CONFIG_KEYS = [
  ...TOPIC_CONFIGS.map((c) => c.name),
  ...BROKER_CONFIGS.map((c) => c.name),
  "",
  "no.such.config",
  "x".repeat(300),
];
const CONFIG_VALUES = [
  "-1",
  "0",
  "1",
  "100",
  "1000",
  "86400000",
  "compact",
  "delete",
  "compact,delete",
  "producer",
  "gzip",
  "zstd",
  "lz4",
  "snappy",
  "uncompressed",
  "LogAppendTime",
  "CreateTime",
  "true",
  "false",
  "0.5",
  "abc",
  "",
  "9".repeat(30),
  "-9999999999999",
  "1e3",
  " 1",
];
const MiB = 1024 * 1024;

function randomName(rng: Rng): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789._-";
  let s = "";
  for (let i = rng.int(1, 12); i > 0; i--) s += alphabet[rng.int(0, alphabet.length - 1)];
  return s;
}

function randomString(rng: Rng): string {
  return rng.weighted<() => string>([
    [6, () => randomName(rng)],
    [2, () => ""],
    [1, () => String.fromCharCode(...Array.from({ length: rng.int(1, 8) }, () => rng.int(0, 0xffff)))],
    [1, () => "s".repeat(rng.pick([255, 1000, 30000]))],
  ])();
}

function randomUuid(rng: Rng): string {
  let s = "";
  for (let i = 0; i < 4; i++) s += rng.u32().toString(16).padStart(8, "0");
  return s;
}

// ---- generic values per primitive: mostly small, sometimes boundaries ----

function genericInt(rng: Rng, t: Primitive): number {
  switch (t) {
    case "int8":
      return rng.weighted([[6, rng.int(-1, 3)], [1, 127], [1, -128]]);
    case "int16":
      return rng.weighted([[6, rng.int(-1, 3)], [1, 32767], [1, -32768], [1, rng.int(0, 1000)]]);
    case "uint16":
      return rng.weighted([[6, rng.int(0, 3)], [1, 65535]]);
    case "int32":
      return rng.weighted([
        [6, rng.int(-1, 3)],
        [2, rng.int(0, 1000)],
        [1, 0x7fffffff],
        [1, -0x80000000],
      ]);
    case "uint32":
      return rng.weighted([[6, rng.int(0, 3)], [1, 0xffffffff]]);
    case "int64":
      return rng.weighted([
        [6, rng.int(-1, 3)],
        [2, rng.int(0, 1000)],
        [1, 2 ** 40],
        [1, Number.MAX_SAFE_INTEGER],
        [1, -Number.MAX_SAFE_INTEGER],
      ]);
    default:
      return rng.int(0, 3);
  }
}

/** A v2 batch or legacy message set for a records field of Produce `version`. */
function genRecords(rng: Rng, pools: Pools, version: number): Uint8Array | null {
  if (rng.chance(0.04)) return null;
  const legacyMagic = version >= 2 ? 1 : 0;
  if (version < 3) {
    // Produce v0-2 carry magic 0/1 message sets; now and then the other magic or a v2 batch (must be refused).
    return rng.weighted<() => Uint8Array>([
      [8, () => rng.pick(pools.legacy[legacyMagic])],
      [1, () => rng.pick(pools.legacy[1 - legacyMagic])],
      [1, () => rng.pick(pools.batches)],
    ])();
  }
  return rng.chance(0.05) ? rng.pick(pools.legacy[rng.int(0, 1)]) : rng.pick(pools.batches);
}

/** Consumer protocol subscription (v0): topics, null user data. */
function subscription(rng: Rng, pools: Pools): Uint8Array {
  const topics = Array.from({ length: rng.int(0, 2) }, () => rng.pick(pools.topics));
  const parts: number[] = [0, 0, ...int32Bytes(topics.length)];
  for (const t of topics) parts.push(...int16Bytes(t.length), ...new TextEncoder().encode(t));
  parts.push(0xff, 0xff, 0xff, 0xff);
  return new Uint8Array(parts);
}

/** Consumer protocol assignment (v0): one topic with partitions 0..n-1, null user data. */
function assignment(rng: Rng, pools: Pools): Uint8Array {
  const t = new TextEncoder().encode(rng.pick(pools.topics));
  const n = rng.int(0, 2);
  const parts: number[] = [0, 0, ...int32Bytes(1), ...int16Bytes(t.length), ...t, ...int32Bytes(n)];
  for (let i = 0; i < n; i++) parts.push(...int32Bytes(i));
  parts.push(0xff, 0xff, 0xff, 0xff);
  return new Uint8Array(parts);
}

function int16Bytes(n: number): number[] {
  return [(n >> 8) & 0xff, n & 0xff];
}
function int32Bytes(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

interface Gen {
  readonly rng: Rng;
  readonly pools: Pools;
  readonly apiKey: number;
  readonly version: number;
}

function topicName(g: Gen): string {
  const { rng, pools } = g;
  // The first fuzz topic keeps its data and id: DeleteTopics and DeleteRecords aim at the others.
  const destructive = g.apiKey === ApiKey.DeleteTopics || g.apiKey === ApiKey.DeleteRecords;
  const existing = destructive ? pools.topics.slice(1) : pools.topics;
  return rng.weighted<() => string>([
    [12, () => rng.pick(existing)],
    [3, () => rng.pick(pools.newTopics)],
    [2, () => rng.pick(ODD_NAMES)],
    [1, () => randomName(rng)],
  ])();
}

function groupId(g: Gen): string {
  return g.rng.chance(0.85) ? g.rng.pick(g.pools.groups) : randomString(g.rng);
}

/**
 * A value for field `name` (of struct `parent`) when its name says more than its type; undefined = use the
 * generic value. Only returns values of the field's primitive type `t`.
 */
function hint(name: string, parent: string, t: Primitive, g: Gen): unknown {
  const { rng, pools } = g;
  const isStr = t === "string";
  if (isStr) {
    switch (name) {
      case "topic":
      case "topicNames":
        return topicName(g);
      case "name":
        if (parent === "configs") return rng.pick(CONFIG_KEYS);
        if (parent === "protocols") return rng.pick(["range", "roundrobin", "cooperative-sticky", "x"]);
        return topicName(g);
      case "value":
        return rng.pick(CONFIG_VALUES);
      case "configurationKeys":
        return rng.pick(CONFIG_KEYS);
      case "resourceName":
        return rng.weighted<() => string>([[6, () => topicName(g)], [2, () => "1"], [2, () => ""], [
          1,
          () => "2",
        ]])();
      case "groupId":
      case "groups":
      case "groupsNames":
      case "coordinatorKeys":
      case "key":
        return groupId(g);
      case "memberId":
        return rng.weighted<() => string>([[4, () => ""], [2, () => "m-" + rng.int(0, 3)], [
          1,
          () => randomString(rng),
        ]])();
      case "groupInstanceId":
        return rng.chance(0.7) ? null : "inst-" + rng.int(0, 2);
      case "protocolType":
        return rng.pick(["consumer", "consumer", "connect", ""]);
      case "protocolName":
        return rng.pick(["range", "roundrobin", ""]);
      case "transactionalId":
        return rng.chance(0.85) ? null : rng.pick(["tx-1", ""]);
      case "statesFilter":
        return rng.pick(["Stable", "Empty", "PreparingRebalance", "Dead", "x"]);
      case "typesFilter":
        return rng.pick(["classic", "consumer", "x"]);
      case "clientSoftwareName":
        return rng.pick(["fuzz-client", "", "bad name!", "x".repeat(300)]);
      case "clientSoftwareVersion":
        return rng.pick(["1.0.0", "", "1.0.0 beta", "x".repeat(300)]);
      case "clusterId":
        return rng.chance(0.8) ? null : randomString(rng);
    }
    return undefined;
  }
  if (t === "uuid") {
    if (name === "topicId") {
      return rng.weighted<() => string>([[8, () => rng.pick(pools.topicIds)], [1, () => ZERO_UUID], [
        1,
        () => randomUuid(rng),
      ]])();
    }
    return rng.chance(0.5) ? ZERO_UUID : randomUuid(rng);
  }
  if (t === "bytes") {
    if (name === "metadata") return rng.chance(0.7) ? subscription(rng, pools) : rng.bytes(rng.int(0, 16));
    if (name === "assignment") return rng.chance(0.7) ? assignment(rng, pools) : rng.bytes(rng.int(0, 16));
    return undefined;
  }
  const numeric = t !== "bool" && t !== "records";
  if (!numeric) return undefined;
  switch (name) {
    case "partition":
    case "partitionIndex":
    case "partitions":
    case "partitionIndexes":
    case "index":
      return rng.weighted([[10, 0], [4, 1], [1, -1], [1, 2], [1, 1000], [1, 0x7fffffff]]);
    case "fetchOffset":
    case "committedOffset":
    case "offset":
      return rng.weighted([
        [6, 0],
        [3, rng.int(1, 200)],
        [2, -1],
        [1, -2],
        [2, 2 ** 40],
        [1, Number.MAX_SAFE_INTEGER],
      ]);
    case "maxWaitMs":
      return rng.weighted([[6, 0], [4, rng.int(1, 200)], [2, rng.int(1000, 5000)], [1, -1], [1, 0x7fffffff]]);
    case "minBytes":
      return rng.weighted([[6, 1], [3, 0], [1, 100000], [1, -1], [1, 0x7fffffff]]);
    case "maxBytes":
    case "partitionMaxBytes":
      return rng.weighted([[6, MiB], [2, rng.int(0, 4096)], [1, -1], [1, 0x7fffffff], [1, 64 * MiB]]);
    case "sessionId":
      return rng.chance(0.85) ? 0 : genericInt(rng, "int32");
    case "sessionEpoch":
      return rng.pick([-1, -1, 0, 1]);
    case "isolationLevel":
      return rng.pick([0, 0, 1, 2, -1]);
    case "acks":
      return rng.weighted([[8, -1], [4, 1], [1, 0], [1, 2], [1, -2]]);
    case "timeoutMs":
      return rng.weighted([[8, 1000], [2, 0], [1, 30000], [1, -1]]);
    case "timestamp":
      return rng.pick([-1, -2, -3, -4, 0, Date.now(), 2 ** 40]);
    case "numPartitions":
    case "count":
      return rng.weighted([[8, rng.int(1, 3)], [2, -1], [1, 0], [1, 1000], [1, 0x7fffffff]]);
    case "replicationFactor":
      return rng.weighted([[8, 1], [2, -1], [1, 0], [1, 3], [1, 0x7fff]]);
    case "brokerIds":
      return rng.weighted([[8, 1], [1, 2], [1, -1]]);
    case "resourceType":
      return rng.weighted([[6, 2], [3, 4], [1, 8], [1, 0], [1, 3], [1, -1], [1, 127]]);
    case "configOperation":
      return rng.weighted([[8, rng.int(0, 3)], [1, -1], [1, 9]]);
    case "keyType":
      return rng.pick([0, 0, 1, 2, -1]);
    case "endpointType":
      return rng.pick([1, 1, 2, 0, -1]);
    case "sessionTimeoutMs":
      return rng.weighted([[6, 10000], [1, 6000], [1, 0], [1, -1], [1, 0x7fffffff]]);
    case "rebalanceTimeoutMs":
      return rng.weighted([[6, 1000], [1, 60000], [1, -1], [1, 0]]);
    case "generationId":
    case "generationIdOrMemberEpoch":
    case "memberEpoch":
      return rng.pick([-1, 0, 1, 2]);
    case "producerId":
      return rng.weighted([[6, -1], [2, 1000], [1, 0], [1, 2 ** 40]]);
    case "producerEpoch":
      return rng.pick([-1, -1, 0, 1, 32767]);
    case "transactionTimeoutMs":
      return rng.pick([60000, 0, -1]);
    case "replicaId":
      return rng.weighted([[8, -1], [1, 1], [1, 0]]);
    case "currentLeaderEpoch":
    case "leaderEpoch":
    case "lastFetchedEpoch":
    case "committedLeaderEpoch":
      return rng.weighted([[8, -1], [2, 0], [1, 5]]);
    case "logStartOffset":
      return rng.pick([-1, -1, 0]);
    case "maxNumOffsets":
      return rng.pick([1, 1, 0, -1, 1000]);
    case "retentionTimeMs":
      return rng.pick([-1, -1, 0, 1000]);
  }
  return undefined;
}

function genPrimitive(f: Field, t: Primitive, parent: string, g: Gen): unknown {
  const h = hint(f.name, parent, t, g);
  if (h !== undefined) return h;
  const { rng } = g;
  switch (t) {
    case "bool":
      return rng.chance(0.5);
    case "string":
      return randomString(rng);
    case "uuid":
      return randomUuid(rng);
    case "bytes":
      return rng.bytes(rng.int(0, 16));
    case "records":
      return genRecords(rng, g.pools, g.version);
    case "float64":
      return rng.pick([0, 1.5, -1]);
    default:
      return genericInt(rng, t);
  }
}

function genType(f: Field, t: FieldType, parent: string, g: Gen): unknown {
  if (typeof t === "string") return genPrimitive(f, t, parent, g);
  if (t.kind === "struct") return genFields(t.fields, f.name, g);
  const n = g.rng.weighted([[15, 0], [55, 1], [30, 2]]);
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) {
    out.push(typeof t.of === "string" ? genPrimitive(f, t.of, parent, g) : genFields(t.of.fields, f.name, g));
  }
  return out;
}

function genFields(fields: readonly Field[], parent: string, g: Gen): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const f of fields) {
    if (!inRange(f.versions, g.version)) continue;
    const nullable = inRange(f.nullable, g.version);
    // A nullable field is null now and then.
    if (nullable && g.rng.chance(0.08)) {
      o[f.name] = null;
      continue;
    }
    let v = genType(f, f.type, parent, g);
    if (v === null && !nullable) v = typeof f.type === "string" && f.type === "string" ? "" : v;
    o[f.name] = v;
  }
  return o;
}

/** A request body for `spec` v`version`, valid for the schema (the values may still be refused). */
export function generateBody(
  spec: ApiSpec,
  version: number,
  rng: Rng,
  pools: Pools,
): Record<string, unknown> {
  const g: Gen = { rng, pools, apiKey: spec.key, version };
  const body = genFields(spec.request, "", g);
  // Fetch sessions: a non-zero session id is answered at once with FETCH_SESSION_ID_NOT_FOUND; mostly 0.
  if (spec.key === ApiKey.Fetch && version >= 7 && rng.chance(0.9)) body.sessionId = 0;
  return body;
}

/**
 * Now and then one array of the body (top level or one level down) gets its first element repeated 50-600
 * times: a small request that asks for a lot (the same partition fetched 600 times, 600 topics to create).
 * Returns what was done, or null.
 */
function amplify(body: Record<string, unknown>, rng: Rng): string | null {
  const arrays: { path: string; arr: unknown[] }[] = [];
  for (const [k, v] of Object.entries(body)) {
    if (!Array.isArray(v) || v.length === 0) continue;
    arrays.push({ path: k, arr: v });
    const first: unknown = v[0];
    if (first === null || typeof first !== "object" || first instanceof Uint8Array) continue;
    for (const [k2, v2] of Object.entries(first)) {
      if (Array.isArray(v2) && v2.length > 0) arrays.push({ path: `${k}[0].${k2}`, arr: v2 });
    }
  }
  if (arrays.length === 0) return null;
  const { path, arr } = rng.pick(arrays);
  const n = rng.int(50, 600);
  const one: unknown = arr[0];
  arr.length = 0;
  for (let i = 0; i < n; i++) arr.push(one);
  return `amplified ${path} x${n}`;
}

// ---- record batches and legacy message sets for the pools ----

function recordsOf(rng: Rng, n: number, valueBytes = 16): RecordInput[] {
  return Array.from({ length: n }, (_, i) => ({
    key: rng.chance(0.7) ? new TextEncoder().encode(`k${i}`) : null,
    value: rng.chance(0.95) ? rng.bytes(rng.int(0, valueBytes)) : null,
    headers: rng.chance(0.3) ? [{ key: "h", value: rng.bytes(3) }] : [],
  }));
}

/** A pool of RecordBatch v2 payloads: every codec, idempotent, transactional, control, empty, bombs. */
export async function buildBatchPool(rng: Rng): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  const add = async (o: BuildBatchOptions) => out.push(await buildBatch(o));
  for (let codec = 0; codec <= 4; codec++) {
    for (let i = 0; i < 3; i++) await add({ records: recordsOf(rng, rng.int(1, 4)), compression: codec });
  }
  await add({ records: [] });
  await add({
    records: recordsOf(rng, 2),
    producerId: 1000 + rng.int(0, 5),
    producerEpoch: 0,
    baseSequence: 0,
  });
  await add({ records: recordsOf(rng, 2), producerId: 1000, producerEpoch: 0, baseSequence: 7 });
  await add({
    records: recordsOf(rng, 2),
    producerId: 1001,
    producerEpoch: 0,
    baseSequence: 0,
    isTransactional: true,
  });
  await add({ records: recordsOf(rng, 1), isControl: true });
  await add({ records: recordsOf(rng, 2), timestampType: TimestampType.LOG_APPEND_TIME });
  await add({ records: recordsOf(rng, 2), baseTimestamp: -5 });
  await add({ records: recordsOf(rng, 2), baseTimestamp: Number.MAX_SAFE_INTEGER - 10 });
  await add({ records: recordsOf(rng, 1, 300 * 1024), compression: 0 });
  // Compression bombs: 8 MiB of zeros in a few KiB (a legitimate but expensive batch; the cap is 256 MiB).
  const zeros = [{ key: null, value: new Uint8Array(8 * MiB) }];
  await add({ records: zeros, compression: 1 });
  await add({ records: zeros, compression: 4 });
  // Two batches back to back in one records field.
  const a = await buildBatch({ records: recordsOf(rng, 2) });
  const b = await buildBatch({ records: recordsOf(rng, 1), compression: 2 });
  const two = new Uint8Array(a.length + b.length);
  two.set(a);
  two.set(b, a.length);
  out.push(two);
  return out;
}

function legacyMessage(
  magic: 0 | 1,
  offset: number,
  attributes: number,
  key: Uint8Array | null,
  value: Uint8Array | null,
): Uint8Array {
  const bodyLen = (magic === 1 ? 22 : 14) + (key?.length ?? 0) + (value?.length ?? 0);
  const out = new Uint8Array(12 + bodyLen);
  const dv = new DataView(out.buffer);
  dv.setBigInt64(0, BigInt(offset));
  dv.setInt32(8, bodyLen);
  let p = 16;
  out[p++] = magic;
  out[p++] = attributes;
  if (magic === 1) {
    dv.setBigInt64(p, BigInt(Date.now()));
    p += 8;
  }
  for (const b of [key, value]) {
    dv.setInt32(p, b === null ? -1 : b.length);
    p += 4;
    if (b !== null) {
      out.set(b, p);
      p += b.length;
    }
  }
  dv.setUint32(12, crc32(out.subarray(16)));
  return out;
}

/** Legacy message sets for Produce v0-2: [magic 0 sets, magic 1 sets], plain and gzip-wrapped. */
export function buildLegacyPool(rng: Rng): Uint8Array[][] {
  const pools: Uint8Array[][] = [[], []];
  for (const magic of [0, 1] as const) {
    for (let i = 0; i < 3; i++) {
      const n = rng.int(1, 3);
      const msgs = Array.from(
        { length: n },
        (_, j) =>
          legacyMessage(magic, j, 0, rng.chance(0.5) ? rng.bytes(3) : null, rng.bytes(rng.int(0, 20))),
      );
      pools[magic].push(concat(msgs));
    }
    const inner = concat(
      Array.from({ length: 3 }, (_, j) => legacyMessage(magic, j, 0, null, rng.bytes(10))),
    );
    pools[magic].push(legacyMessage(magic, magic === 1 ? 2 : 0, 1, null, compressSync(1, inner)));
  }
  return pools;
}

// ---- layout tracing ----

export type LengthKind = "i16" | "i32" | "uv";

export interface LengthField {
  readonly pos: number;
  readonly kind: LengthKind;
  /** Encoded width in bytes (2, 4, or the varint's length). */
  readonly width: number;
}

export interface Layout {
  readonly lengths: readonly LengthField[];
  /** Byte ranges of record data (v2 batches or legacy message sets) in the payload. */
  readonly records: readonly { readonly start: number; readonly end: number }[];
  /** Position of the header's tagged-field count (flexible headers), or -1. */
  readonly headerTagsPos: number;
}

/** A Reader that notes where each length prefix starts and how wide it is, while the real decoder runs. */
class TracingReader extends Reader {
  readonly lengths: LengthField[] = [];
  readonly records: { start: number; end: number }[] = [];

  private fixed(kind: "i16" | "i32"): void {
    this.lengths.push({ pos: this.pos, kind, width: kind === "i16" ? 2 : 4 });
  }
  private varLen(start: number): void {
    let w = 1;
    while (w < 5 && (this.buf[start + w - 1] & 0x80) !== 0) w++;
    this.lengths.push({ pos: start, kind: "uv", width: w });
  }
  private noteRecords(v: Uint8Array | null): void {
    // Record data: a v2 batch (magic byte 2 at 16) or a legacy message (magic 0/1 at 16).
    if (v !== null && v.length >= 26 && v[16] <= 2) {
      this.records.push({ start: this.pos - v.length, end: this.pos });
    }
  }
  override string(): string {
    this.fixed("i16");
    return super.string();
  }
  override nullableString(): string | null {
    this.fixed("i16");
    return super.nullableString();
  }
  override compactString(): string {
    this.varLen(this.pos);
    return super.compactString();
  }
  override compactNullableString(): string | null {
    this.varLen(this.pos);
    return super.compactNullableString();
  }
  override bytes(): Uint8Array | null {
    this.fixed("i32");
    const v = super.bytes();
    this.noteRecords(v);
    return v;
  }
  override compactBytes(): Uint8Array | null {
    this.varLen(this.pos);
    const v = super.compactBytes();
    this.noteRecords(v);
    return v;
  }
  override arrayLength(compact: boolean): number {
    if (compact) this.varLen(this.pos);
    else this.fixed("i32");
    return super.arrayLength(compact);
  }
}

/** Where the length prefixes and record data of a valid request payload lie. */
export function traceLayout(spec: ApiSpec, version: number, payload: Uint8Array): Layout {
  const r = new TracingReader(payload);
  let headerTagsPos = -1;
  try {
    peekHeader(r);
    r.nullableString(); // client id: never compact
    if (version >= spec.flexibleFrom) {
      headerTagsPos = r.pos;
      for (let n = r.uvarint(); n > 0; n--) {
        r.uvarint();
        r.skip(r.uvarint());
      }
    }
    codecOf(spec).decodeRequest(r, version);
  } catch {
    // A request our own schema cannot read back: use what was traced so far.
  }
  return { lengths: r.lengths, records: r.records, headerTagsPos };
}

/** A valid request of one API version, with its layout, ready for the mutators. */
export interface Built {
  readonly spec: ApiSpec;
  readonly version: number;
  readonly payload: Uint8Array;
  readonly layout: Layout;
  /** What the generator did beyond filling the schema ("amplified ..."), or null. */
  readonly note: string | null;
}

export function buildRequest(
  spec: ApiSpec,
  version: number,
  rng: Rng,
  pools: Pools,
  correlationId: number,
  mayAmplify = true,
): Built {
  const body = generateBody(spec, version, rng, pools);
  // Not Produce: 600 copies of a record batch only make a frame over the size limit.
  const note = mayAmplify && spec.key !== ApiKey.Produce && rng.chance(0.02) ? amplify(body, rng) : null;
  const clientId = rng.weighted<() => string | null>([
    [8, () => "fuzz"],
    [1, () => null],
    [1, () => randomString(rng)],
  ])();
  const payload = requestPayload(spec, version, body, correlationId, clientId);
  return { spec, version, payload, layout: traceLayout(spec, version, payload), note };
}
