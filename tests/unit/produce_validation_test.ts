// Produce-path validation of compressed RecordBatch v2 batches, through the real produce handler over a recording
// fake storage: a batch whose CRC32C is valid but whose compressed payload is corrupt, truncated, a bomb, or holds
// records that disagree with the batch header is refused (CORRUPT_MESSAGE / INVALID_RECORD) and nothing is
// appended; valid batches of every codec pass through byte for byte, and their records are decompressed once.
import { ANONYMOUS } from "../../src/request/authenticate.ts";
import { compressSync as snappyRawCompress } from "snappy";
import { Buffer } from "node:buffer";
import { assert, assertEquals } from "./assert.ts";
import { produceHandler } from "../../src/handlers/produce.ts";
import type { Broker, RequestContext } from "../../src/request/context.ts";
import type { TopicPolicy } from "../../src/configs/model.ts";
import type { ProduceResponse, ProduceResponsePartition } from "../../src/protocol/messages/produce.ts";
import type { AppendRequest, AppendResult, TopicMeta } from "../../src/storage/storage.ts";
import { ErrorCode, KafkaError } from "../../src/protocol/errors.ts";
import { putInt32 } from "../../src/protocol/codec.ts";
import {
  ATTRIBUTES_OFFSET,
  buildBatch,
  CRC_OFFSET,
  INFLATE_FACTOR,
  inflateBatches,
  inflateLimit,
  LAST_OFFSET_DELTA_OFFSET,
  LENGTH_OFFSET,
  LOG_OVERHEAD,
  RECORD_COUNT_OFFSET,
  RECORDS_OFFSET,
  validateBatches,
} from "../../src/records/batch.ts";
import { compress, getMaxDecompressedBytes } from "../../src/records/compression.ts";
import { crc32c } from "../../src/records/crc32c.ts";
import { decodeBatchRecords, encodeRecords, type RecordInput } from "../../src/records/record.ts";
import { recompressBatches, requireKeys } from "../../src/records/recompress.ts";
import { encodeAppend } from "../../src/storage/seaweedmq/record_codec.ts";
import { logger } from "../../src/log.ts";
import { SoloCluster } from "../../src/cluster/solo.ts";

const enc = new TextEncoder();
const TS = 1_700_000_000_000;
const MIB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------------------------
// The produce handler over a fake storage that records every append.

const DEFAULT_POLICY: TopicPolicy = {
  maxMessageBytes: MIB,
  logAppendTime: false,
  codec: -1,
  zstdLevel: 3,
  compact: false,
  delete: true,
  schemas: null,
};

interface Harness {
  readonly appended: AppendRequest[];
  produce(records: Uint8Array): Promise<ProduceResponsePartition>;
}

function harness(policy: Partial<TopicPolicy> = {}): Harness {
  const appended: AppendRequest[] = [];
  const meta: TopicMeta = { name: "t", id: "0".repeat(32), partitions: 1, configs: {} };
  let next = 0;
  const storage = {
    getTopic: (name: string) => (name === "t" ? meta : undefined),
    append: (_topic: string, _partition: number, req: AppendRequest): Promise<AppendResult> => {
      appended.push(req);
      const baseOffset = next;
      for (const b of req.batches) next += b.recordCount;
      return Promise.resolve({ baseOffset, logAppendTime: -1, logStartOffset: 0 });
    },
  };
  const full: TopicPolicy = { ...DEFAULT_POLICY, ...policy };
  // Only what the produce path of a non-idempotent, non-transactional batch touches.
  const cluster = new SoloCluster({
    nodeId: 1,
    advertised: { host: "127.0.0.1", port: 9092 },
    offsetsTopicPartitions: 50,
    topics: () => [meta],
  });
  // (the producer state of a partition written by plain batches is loaded in the background: follow)
  const producers = { follow: () => {} };
  const broker = {
    storage,
    configs: { policy: () => full },
    metrics: null,
    cluster,
    producers,
  } as unknown as Broker;
  const ctx: RequestContext = {
    broker,
    header: { apiKey: 0, apiVersion: 9, correlationId: 1, clientId: "unit" },
    connectionId: 1,
    clientHost: "/127.0.0.1",
    log: logger("test"),
    principal: ANONYMOUS,
    listener: { name: "PLAINTEXT", securityProtocol: "PLAINTEXT", host: "127.0.0.1", port: 9092 },
  };
  return {
    appended,
    async produce(records) {
      const res = await produceHandler(ctx, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 1000,
        topicData: [{ name: "t", partitionData: [{ index: 0, records }] }],
      }) as ProduceResponse;
      return res.responses[0].partitionResponses[0];
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Batches

function sampleRecords(n: number): RecordInput[] {
  return Array.from({ length: n }, (_, i) => ({
    key: enc.encode(`key-${i}`),
    value: enc.encode(`value ${i} `.repeat(10)),
    timestamp: TS + i,
    headers: i % 3 === 0 ? [{ key: "h", value: enc.encode(String(i)) }] : [],
  }));
}

const RECORDS = sampleRecords(20);
const RAW = encodeRecords(RECORDS, TS);

interface Codec {
  readonly name: string;
  readonly id: number;
  pack(raw: Uint8Array): Promise<Uint8Array>;
}

const CODECS: readonly Codec[] = [
  { name: "gzip", id: 1, pack: (raw) => compress(1, raw) },
  { name: "snappy (xerial)", id: 2, pack: (raw) => compress(2, raw) },
  {
    name: "snappy (raw)",
    id: 2,
    pack: (raw) => Promise.resolve(new Uint8Array(snappyRawCompress(Buffer.from(raw)))),
  },
  { name: "lz4", id: 3, pack: (raw) => compress(3, raw) },
  { name: "zstd", id: 4, pack: (raw) => compress(4, raw) },
];

/** A batch of codec `id` whose records section is `body` as given, with a correct CRC32C (header as buildBatch). */
async function batchWith(id: number, body: Uint8Array, count: number): Promise<Uint8Array> {
  const template = await buildBatch({ records: [{ value: null }], compression: 0, baseTimestamp: TS });
  const out = new Uint8Array(RECORDS_OFFSET + body.length);
  out.set(template.subarray(0, RECORDS_OFFSET));
  out.set(body, RECORDS_OFFSET);
  out[ATTRIBUTES_OFFSET + 1] = id;
  putInt32(out, LENGTH_OFFSET, out.length - LOG_OVERHEAD);
  putInt32(out, RECORD_COUNT_OFFSET, count);
  putInt32(out, LAST_OFFSET_DELTA_OFFSET, count - 1);
  putInt32(out, CRC_OFFSET, crc32c(out.subarray(ATTRIBUTES_OFFSET)));
  return out;
}

function flip(data: Uint8Array, at: number, n = 4): Uint8Array {
  const x = data.slice();
  for (let k = 0; k < n; k++) x[at + k] ^= 0xff;
  return x;
}

async function refused(h: Harness, batch: Uint8Array, code: number, what: string): Promise<void> {
  assert(validateBatches(batch).length === 1, `${what}: the batch itself is well framed with a valid CRC`);
  const r = await h.produce(batch);
  assertEquals(r.errorCode, code, `${what}: ${r.errorMessage}`);
  assertEquals(r.baseOffset, -1, what);
  assertEquals(h.appended.length, 0, `${what}: nothing appended`);
}

// ---------------------------------------------------------------------------------------------------------------

Deno.test("valid compressed batches of every codec are accepted as sent; their records are decompressed once", async () => {
  for (const c of CODECS) {
    const h = harness();
    const batch = await batchWith(c.id, await c.pack(RAW), RECORDS.length);
    const sent = batch.slice();
    const r = await h.produce(batch);
    assertEquals([r.errorCode, r.baseOffset], [0, 0], `${c.name}: ${r.errorMessage}`);
    assertEquals(h.appended.length, 1, c.name);
    const req = h.appended[0];
    assertEquals(req.payload, sent, `${c.name}: stored as the producer sent it`);
    assertEquals(req.inflated?.length, 1, c.name);
    assertEquals(req.inflated?.[0], RAW, `${c.name}: the decompressed records travel with the request`);
  }
  // buildBatch's own output, several batches back to back, mixed with an uncompressed one.
  const h = harness();
  const parts = [
    await buildBatch({ records: sampleRecords(3), compression: 4 }),
    await buildBatch({ records: sampleRecords(2), compression: 0 }),
    await buildBatch({ records: sampleRecords(5), compression: 1 }),
  ];
  const payload = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (payload.set(p, at), at + p.length), 0);
  const r = await h.produce(payload);
  assertEquals([r.errorCode, r.baseOffset], [0, 0], r.errorMessage ?? "");
  assertEquals(h.appended[0].inflated?.map((x) => x === null), [false, true, false]);
});

Deno.test("uncompressed batches are not touched by the compressed-batch check", async () => {
  const h = harness();
  const r = await h.produce(await buildBatch({ records: RECORDS, compression: 0 }));
  assertEquals(r.errorCode, 0);
  assertEquals(h.appended[0].inflated, undefined, "no decompressed copy for uncompressed batches");
});

Deno.test("corrupt compressed payload under a valid CRC → CORRUPT_MESSAGE, nothing appended", async () => {
  for (const c of CODECS) {
    const packed = await c.pack(RAW);
    const cases: [string, Uint8Array][] = [
      ["bytes flipped in the middle", flip(packed, packed.length >> 1)],
      ["bytes flipped at 30 %", flip(packed, Math.floor(packed.length * 0.3))],
      ["truncated by 7 bytes", packed.subarray(0, packed.length - 7)],
      ["truncated to half", packed.subarray(0, packed.length >> 1)],
      ["not compressed at all", enc.encode("this is definitely not compressed data!!")],
    ];
    if (c.id === 1) {
      cases.push(["gzip trailer CRC32 wrong", flip(packed, packed.length - 8, 1)]);
      cases.push(["gzip trailer ISIZE wrong", flip(packed, packed.length - 4, 1)]);
      cases.push(["gzip trailer missing", packed.subarray(0, packed.length - 8)]);
    }
    for (const [what, body] of cases) {
      await refused(
        harness(),
        await batchWith(c.id, body, RECORDS.length),
        ErrorCode.CORRUPT_MESSAGE,
        `${c.name}: ${what}`,
      );
    }
  }
});

Deno.test("well-formed compressed records that disagree with the batch header → INVALID_RECORD", async () => {
  const n = RECORDS.length;
  // Offsets 0..n-2 then n: a gap in the offset deltas.
  const gap = encodeRecords(RECORDS.map((r, i) => ({ ...r, offset: i < n - 1 ? i : n })), TS, 0);
  for (const c of CODECS) {
    const cases: [string, Uint8Array, number][] = [
      ["header declares one record more", await c.pack(RAW), n + 1],
      ["header declares one record fewer", await c.pack(RAW), n - 1],
      ["offset deltas with a gap", await c.pack(gap), n],
      ["bytes that are not records", await c.pack(enc.encode("x".repeat(500))), 3],
    ];
    for (const [what, body, count] of cases) {
      await refused(
        harness(),
        await batchWith(c.id, body, count),
        ErrorCode.INVALID_RECORD,
        `${c.name}: ${what}`,
      );
    }
  }
});

/** A zstd frame of RLE blocks (no content size, 128 KiB window): `blocks` × 128 KiB of zeros from 4 bytes each. */
function zstdRleBomb(blocks: number): Uint8Array {
  const out = new Uint8Array(6 + 4 * blocks);
  out.set([0x28, 0xb5, 0x2f, 0xfd, 0x00, (17 - 10) << 3]);
  for (let i = 0; i < blocks; i++) {
    const h = (i === blocks - 1 ? 1 : 0) | (1 << 1) | ((128 * 1024) << 3); // last bit, RLE, size
    out.set([h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff, 0], 6 + 4 * i);
  }
  return out;
}

Deno.test("many small bombs in one payload: their outputs together are capped, not each alone", async () => {
  const limit = MIB;
  const bound = inflateLimit(limit); // 32 MiB per batch
  // Six batches of ~8 KiB each, inflating to 8 MiB each: every one is within the per-batch cap, 48 MiB together.
  const one = await buildBatch({ records: [{ key: null, value: new Uint8Array(8 * MIB) }], compression: 1 });
  assert(one.length < 64 * 1024, `a small batch: ${one.length} bytes`);
  const payload = repeat(one, 6);
  assert(INFLATE_FACTOR * payload.length < bound, "the payload's own share is below one batch's cap");
  const e = await inflateBatches(payload, validateBatches(payload), bound).then(() => null, (x) => x);
  assert(e instanceof KafkaError && e.code === ErrorCode.CORRUPT_MESSAGE, String(e));
  assert(e.message.includes("the batches before it inflated to"), e.message);
  // Three of them (just over 24 MiB together) are within the cap, as one batch of that size would be.
  const three = repeat(one, 3);
  const ok = await inflateBatches(three, validateBatches(three), bound);
  assert(ok.every((b) => b !== null && b.length > 8 * MIB), "each inflated");
});

Deno.test("decompression bombs are refused with CORRUPT_MESSAGE without inflating them", async () => {
  const limit = MIB;
  const bound = inflateLimit(limit);
  assertEquals(bound, Math.min(limit * INFLATE_FACTOR, getMaxDecompressedBytes()));
  const zeros64 = new Uint8Array(64 * MIB);
  // [what, codec, compressed body, how far inflation may get: 0 = refused from frame headers alone]
  const bombs: [string, number, Uint8Array, number][] = [
    // 4 GiB of zeros declared by RLE block headers in 128 KiB of input.
    ["zstd RLE blocks (4 GiB)", 4, zstdRleBomb(32 * 1024), 0],
    // zstd and lz4 as their compressors write them (no content size): blocks × block maximum.
    ["zstd of 64 MiB of zeros", 4, await compress(4, zeros64), 0],
    ["lz4 of 64 MiB of zeros", 3, await compress(3, zeros64), 0],
    // 32 concatenated gzip members of 16 MiB of zeros each (512 MiB) in about 512 KiB: inflated up to the cap.
    ["gzip members (512 MiB)", 1, repeat(await compress(1, zeros64.subarray(0, 16 * MIB)), 32), bound],
  ];
  for (const [what, id, body, reach] of bombs) {
    assert(body.length < limit, `${what}: the compressed batch itself is within max.message.bytes`);
    const batch = await batchWith(id, body, 1);
    await refused(harness({ maxMessageBytes: limit }), batch, ErrorCode.CORRUPT_MESSAGE, what);
    const e = await inflateBatches(batch, validateBatches(batch), bound).then(() => null, (x) => x);
    assert(e instanceof KafkaError && e.code === ErrorCode.CORRUPT_MESSAGE, `${what}: ${e}`);
    if (reach === 0) {
      assert(e.message.includes("frame headers allow"), `${what}: refused before inflating: ${e.message}`);
    } else {
      // Inflation stopped within ~1 MiB past the cap, far from the whole output.
      const got = Number(/at least (\d+) bytes/.exec(e.message)?.[1]);
      assert(got > reach && got <= reach + 2 * MIB, `${what}: stopped at ${got}: ${e.message}`);
    }
  }
  // A batch that inflates 8 MiB from a few hundred bytes but stays under the cap is an honest batch: accepted.
  for (const id of [1, 2, 3, 4]) {
    const batch = await buildBatch({
      records: [{ key: null, value: zeros64.subarray(0, 8 * MIB) }],
      compression: id,
    });
    const ok = await harness({ maxMessageBytes: limit }).produce(batch);
    assertEquals(ok.errorCode, 0, `codec ${id}: ${ok.errorMessage}`);
  }
  // A topic with a tiny max.message.bytes still takes small zstd and lz4 batches, whose headers allow a whole block.
  for (const id of [3, 4]) {
    const batch = await buildBatch({ records: sampleRecords(2), compression: id });
    const ok = await harness({ maxMessageBytes: 512 }).produce(batch);
    assertEquals(ok.errorCode, 0, `codec ${id}, max.message.bytes 512: ${ok.errorMessage}`);
  }
});

function repeat(part: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(part.length * n);
  for (let i = 0; i < n; i++) out.set(part, i * part.length);
  return out;
}

Deno.test("recompression and the compacted-topic key check reuse the records decompressed by validation", async () => {
  // Through the handler: zstd batch on an lz4 topic, and on a compacted topic.
  const zstdBatch = await buildBatch({ records: RECORDS, compression: 4, baseTimestamp: TS });
  const h = harness({ codec: 3, compact: true });
  const r = await h.produce(zstdBatch.slice());
  assertEquals(r.errorCode, 0, r.errorMessage ?? "");
  const stored = h.appended[0];
  assertEquals(stored.batches[0].attributes & 7, 3);
  const decoded = await decodeBatchRecords(stored.payload, { verifyCrc: true });
  assertEquals(decoded.records.map((x) => x.value), RECORDS.map((x) => x.value));
  assertEquals(stored.inflated?.[0], RAW, "the recompressed batch's records travel with it");
  // A corrupt one is refused before recompression.
  const bad = await batchWith(4, flip(await compress(4, RAW), 40), RECORDS.length);
  await refused(harness({ codec: 3 }), bad, ErrorCode.CORRUPT_MESSAGE, "corrupt zstd on an lz4 topic");

  // Directly: the compressed bytes are garbage, only `inflated` holds the records. Anything that decompressed
  // again would fail; nothing does.
  const garbage = await batchWith(4, enc.encode("not zstd, and never read again"), RECORDS.length);
  const req: AppendRequest = { payload: garbage, batches: validateBatches(garbage), inflated: [RAW] };
  const re = await recompressBatches(req, 1, 3, MIB);
  const back = await decodeBatchRecords(re.payload, { verifyCrc: true });
  assertEquals(back.records.map((x) => x.key), RECORDS.map((x) => x.key));
  await requireKeys(req, "t-0", MIB);
  const smq = await encodeAppend(req);
  assertEquals(smq.count, RECORDS.length, "SeaweedMQ encodes the records from the decompressed section");
  // Without `inflated` (legacy up-conversions) the same request is decompressed, and refused.
  const bare: AppendRequest = { payload: garbage, batches: req.batches };
  const err = await recompressBatches(bare, 1, 3, MIB).then(() => null, (x) => x);
  assert(err instanceof KafkaError && err.code === ErrorCode.CORRUPT_MESSAGE, String(err));
});
