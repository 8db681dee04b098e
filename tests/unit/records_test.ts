// Records layer: a hand-built RecordBatch v2 checked field by field, builder/validator/decoder round trips for every
// codec, rejection codes, in-place patches, and legacy magic 0/1 message sets (parse, up-convert, down-convert).
import { crc32 } from "../../src/records/crc32.ts";
import { crc32c } from "../../src/records/crc32c.ts";
import {
  ATTR_CONTROL,
  ATTR_TRANSACTIONAL,
  buildBatch,
  buildBatchSync,
  ControlRecordType,
  readBatchHeader,
  readControlRecordKey,
  readEndTxnMarker,
  setBaseOffset,
  setPartitionLeaderEpoch,
  splitBatches,
  stampLogAppendTime,
  TimestampType,
  validateBatches,
} from "../../src/records/batch.ts";
import { decodeBatchRecords, type KafkaRecord, type RecordInput } from "../../src/records/record.ts";
import { compress } from "../../src/records/compression.ts";
import { downConvert, legacyToBatchV2, parseMessageSet } from "../../src/records/legacy.ts";
import { ErrorCode, KafkaError } from "../../src/protocol/errors.ts";
import { assert, assertEquals, assertRejects } from "./assert.ts";

const enc = new TextEncoder();
const b = (s: string) => enc.encode(s);

function cat(...parts: (Uint8Array | number[])[]): Uint8Array {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function be(v: number, bytes: number): number[] {
  const out: number[] = [];
  let x = BigInt.asUintN(bytes * 8, BigInt(v));
  for (let i = 0; i < bytes; i++) {
    out.unshift(Number(x & 0xffn));
    x >>= 8n;
  }
  return out;
}

function codeOf(fn: () => unknown): number {
  try {
    fn();
  } catch (e) {
    if (e instanceof KafkaError) return e.code;
    throw e;
  }
  throw new Error("expected a KafkaError");
}

/** Recomputes the CRC32C of the batch at `pos` after a test tampered with it. */
function fixCrc(buf: Uint8Array, pos = 0): void {
  const size = 12 + new DataView(buf.buffer, buf.byteOffset).getInt32(pos + 8);
  const c = crc32c(buf.subarray(pos + 21, pos + size));
  buf.set(be(c, 4), pos + 17);
}

// ---------------------------------------------------------------------------------------------------------------
// Hand-built RecordBatch v2: two records, independent of the encoder.

const TS = 1_700_000_000_000;

const RECORD0 = [
  0x1a, // length 13 (zigzag 26)
  0x00, // attributes
  0x00, // timestampDelta 0
  0x00, // offsetDelta 0
  0x04,
  0x6b,
  0x31, // key "k1"
  0x02,
  0x76, // value "v"
  0x02, // 1 header
  0x02,
  0x68, // key "h"
  0x02,
  0x78, // value "x"
];
const RECORD1 = [
  0x20, // length 16
  0x00, // attributes
  0x0a, // timestampDelta 5
  0x02, // offsetDelta 1
  0x04,
  0x6b,
  0x32, // key "k2"
  0x01, // value null
  0x04, // 2 headers
  0x02,
  0x61,
  0x01, // "a" = null
  0x02,
  0x62,
  0x04,
  0x79,
  0x7a, // "b" = "yz"
];

function handBatch(): Uint8Array {
  const afterCrc = [
    ...be(0, 2), // attributes
    ...be(1, 4), // lastOffsetDelta
    ...be(TS, 8), // baseTimestamp
    ...be(TS + 5, 8), // maxTimestamp
    ...be(-1, 8), // producerId
    ...be(-1, 2), // producerEpoch
    ...be(-1, 4), // baseSequence
    ...be(2, 4), // recordCount
    ...RECORD0,
    ...RECORD1,
  ];
  const crc = crc32c(new Uint8Array(afterCrc));
  return new Uint8Array([
    ...be(0, 8), // baseOffset
    ...be(49 + RECORD0.length + RECORD1.length, 4), // batchLength
    ...be(-1, 4), // partitionLeaderEpoch
    2, // magic
    ...be(crc, 4),
    ...afterCrc,
  ]);
}

const HAND_RECORDS: RecordInput[] = [
  { key: b("k1"), value: b("v"), headers: [{ key: "h", value: b("x") }], timestamp: TS },
  {
    key: b("k2"),
    value: null,
    headers: [{ key: "a", value: null }, { key: "b", value: b("yz") }],
    timestamp: TS + 5,
  },
];

Deno.test("hand-built v2 batch: header, validation and records field by field", async () => {
  const batch = handBatch();
  assertEquals(batch.length, 12 + 49 + 31);
  const h = readBatchHeader(batch, 0);
  assertEquals(h.baseOffset, 0);
  assertEquals(h.batchLength, 80);
  assertEquals(h.partitionLeaderEpoch, -1);
  assertEquals(h.magic, 2);
  assertEquals(h.crc, crc32c(batch.subarray(21)));
  assertEquals(h.attributes, 0);
  assertEquals(h.lastOffsetDelta, 1);
  assertEquals(h.baseTimestamp, TS);
  assertEquals(h.maxTimestamp, TS + 5);
  assertEquals(h.producerId, -1);
  assertEquals(h.producerEpoch, -1);
  assertEquals(h.baseSequence, -1);
  assertEquals(h.recordCount, 2);
  assertEquals(h.compression, 0);
  assertEquals(h.timestampType, TimestampType.CREATE_TIME);
  assertEquals(h.isTransactional, false);
  assertEquals(h.isControl, false);

  assertEquals(validateBatches(batch), [{
    pos: 0,
    size: 92,
    recordCount: 2,
    lastOffsetDelta: 1,
    baseTimestamp: TS,
    maxTimestamp: TS + 5,
    attributes: 0,
    producerId: -1,
    producerEpoch: -1,
    baseSequence: -1,
  }]);

  setBaseOffset(batch, 0, 42);
  const { header, records } = await decodeBatchRecords(batch, { verifyCrc: true });
  assertEquals(header.baseOffset, 42);
  const expected: KafkaRecord[] = [
    { offset: 42, timestamp: TS, key: b("k1"), value: b("v"), headers: [{ key: "h", value: b("x") }] },
    {
      offset: 43,
      timestamp: TS + 5,
      key: b("k2"),
      value: null,
      headers: [{ key: "a", value: null }, { key: "b", value: b("yz") }],
    },
  ];
  assertEquals(records, expected);
});

Deno.test("builder output is byte-identical to the hand-built batch", async () => {
  const built = await buildBatch({ records: HAND_RECORDS });
  assertEquals(built, handBatch());
  assertEquals(buildBatchSync({ records: HAND_RECORDS }), handBatch());
});

// ---------------------------------------------------------------------------------------------------------------
// Round trips

function sampleRecords(n: number): RecordInput[] {
  const out: RecordInput[] = [];
  for (let i = 0; i < n; i++) {
    const value = i % 5 === 3 ? null : b(`value-${i}-`.repeat(1 + (i % 13)));
    out.push({
      key: i % 4 === 0 ? null : b(`key-${i}`),
      value,
      headers: i % 3 === 0
        ? []
        : [{ key: `hé-${i}`, value: i % 2 ? null : b("hv") }, { key: "", value: b("") }],
      timestamp: i % 7 === 0 ? undefined : TS + i * 3 - 50,
    });
  }
  return out;
}

function expectRecords(inputs: RecordInput[], baseOffset: number, baseTs: number): KafkaRecord[] {
  return inputs.map((r, i) => ({
    offset: baseOffset + i,
    timestamp: r.timestamp ?? baseTs,
    key: r.key ?? null,
    value: r.value ?? null,
    headers: (r.headers ?? []).map((h) => ({ key: h.key, value: h.value })),
  }));
}

Deno.test("buildBatch → validateBatches → decodeBatchRecords for every codec", async () => {
  for (const codec of [0, 1, 2, 3, 4]) {
    for (const n of [1, 2, 500]) {
      const inputs = sampleRecords(n);
      const baseTs = inputs[0].timestamp ?? 1234;
      const batch = await buildBatch({
        records: inputs,
        compression: codec,
        baseTimestamp: baseTs,
        producerId: 7,
        producerEpoch: 3,
        baseSequence: 11,
        partitionLeaderEpoch: 5,
        isTransactional: codec === 2,
      });
      const [info] = validateBatches(batch);
      assertEquals(info.recordCount, n);
      assertEquals(info.lastOffsetDelta, n - 1);
      assertEquals(info.attributes & 7, codec);
      assertEquals(info.producerId, 7);
      assertEquals(info.producerEpoch, 3);
      assertEquals(info.baseSequence, 11);
      assertEquals(info.baseTimestamp, baseTs);
      assertEquals(info.maxTimestamp, Math.max(...inputs.map((r) => r.timestamp ?? baseTs)));
      setBaseOffset(batch, 0, 1000);
      const { header, records } = await decodeBatchRecords(batch, { verifyCrc: true });
      assertEquals(header.compression, codec);
      assertEquals(header.partitionLeaderEpoch, 5);
      assertEquals(header.isTransactional, codec === 2);
      assertEquals(records, expectRecords(inputs, 1000, baseTs), `codec ${codec} n ${n}`);
    }
  }
});

Deno.test("records with null/negative timestamps, empty keys and values", async () => {
  const inputs: RecordInput[] = [
    { key: new Uint8Array(0), value: new Uint8Array(0), timestamp: -1 },
    { timestamp: -1 },
    { value: b("x".repeat(300)), timestamp: 0 },
  ];
  const batch = await buildBatch({ records: inputs, compression: 1 });
  validateBatches(batch);
  const { header, records } = await decodeBatchRecords(batch);
  assertEquals(header.baseTimestamp, -1);
  assertEquals(header.maxTimestamp, 0);
  assertEquals(records, expectRecords(inputs, 0, -1));
});

Deno.test("several batches back to back in one payload; positions and sizes", async () => {
  const a = await buildBatch({ records: sampleRecords(3) });
  const c = await buildBatch({ records: sampleRecords(10), compression: 4 });
  const d = buildBatchSync({ records: sampleRecords(1), compression: 3 });
  const payload = cat(a, c, d);
  const infos = validateBatches(payload);
  assertEquals(infos.map((i) => [i.pos, i.size, i.recordCount]), [
    [0, a.length, 3],
    [a.length, c.length, 10],
    [a.length + c.length, d.length, 1],
  ]);
  assertEquals(splitBatches(payload), infos.map((i) => ({ pos: i.pos, size: i.size })));
  // Validation works on a view with a non-zero byteOffset and does not modify the payload.
  const framed = cat([1, 2, 3], payload);
  const copy = framed.slice();
  assertEquals(validateBatches(framed.subarray(3)).map((i) => i.pos), infos.map((i) => i.pos));
  assertEquals(framed, copy);
  assertEquals(validateBatches(new Uint8Array(0)), []);
});

// ---------------------------------------------------------------------------------------------------------------
// Rejections

Deno.test("corrupt CRC, truncation, bad magic and bad lengths → CORRUPT_MESSAGE", () => {
  const batch = handBatch();
  const flipped = batch.slice();
  flipped[70] ^= 0x01; // inside a record
  assertEquals(codeOf(() => validateBatches(flipped)), ErrorCode.CORRUPT_MESSAGE);
  const badCrc = batch.slice();
  badCrc[17] ^= 0x80;
  assertEquals(codeOf(() => validateBatches(badCrc)), ErrorCode.CORRUPT_MESSAGE);
  for (const n of [1, 11, 12, 60, batch.length - 1]) {
    assertEquals(
      codeOf(() => validateBatches(batch.subarray(0, n))),
      ErrorCode.CORRUPT_MESSAGE,
      `truncated to ${n}`,
    );
  }
  assertEquals(codeOf(() => validateBatches(cat(batch, [0, 0, 0]))), ErrorCode.CORRUPT_MESSAGE);
  const magic3 = batch.slice();
  magic3[16] = 3;
  assertEquals(codeOf(() => validateBatches(magic3)), ErrorCode.CORRUPT_MESSAGE);
  const negLen = batch.slice();
  negLen.set(be(-5, 4), 8);
  assertEquals(codeOf(() => validateBatches(negLen)), ErrorCode.CORRUPT_MESSAGE);
  // batchLength 30: fits the payload but is below the 49-byte header.
  const short = cat(batch.subarray(0, 8), be(30, 4), batch.subarray(12, 42));
  assertEquals(codeOf(() => validateBatches(short)), ErrorCode.CORRUPT_MESSAGE);
  const e = (() => {
    try {
      validateBatches(badCrc);
    } catch (err) {
      return err as Error;
    }
  })();
  assert(e?.message.includes("CRC32C mismatch"), e?.message);
});

Deno.test("legacy magic, bad counts/deltas, control batches, bad records → INVALID_RECORD", async () => {
  const batch = handBatch();
  const magic1 = batch.slice();
  magic1[16] = 1;
  assertEquals(codeOf(() => validateBatches(magic1)), ErrorCode.INVALID_RECORD);

  const tamper = (at: number, bytes: number[]) => {
    const t = batch.slice();
    t.set(bytes, at);
    fixCrc(t);
    return codeOf(() => validateBatches(t));
  };
  assertEquals(tamper(23, be(5, 4)), ErrorCode.INVALID_RECORD); // lastOffsetDelta != count-1
  assertEquals(tamper(57, be(3, 4)), ErrorCode.INVALID_RECORD); // more records declared than present
  assertEquals(tamper(57, be(1, 4)), ErrorCode.INVALID_RECORD); // fewer declared than present (and delta mismatch)
  assertEquals(tamper(57, be(0, 4)), ErrorCode.INVALID_RECORD);
  assertEquals(tamper(57, be(-1, 4)), ErrorCode.INVALID_RECORD);
  assertEquals(tamper(21, be(0x20, 2)), ErrorCode.INVALID_RECORD); // control batch from a client
  assertEquals(tamper(43, be(9, 8)), ErrorCode.INVALID_RECORD); // producer id without a base sequence
  assertEquals(tamper(21, be(0x07, 2)), ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
  // Record-level framing (uncompressed): offsetDelta, record length, header count, key length.
  const r1 = 61 + RECORD0.length;
  assertEquals(tamper(r1 + 3, [0x04]), ErrorCode.INVALID_RECORD); // offsetDelta 2 instead of 1
  assertEquals(tamper(61, [0x18]), ErrorCode.INVALID_RECORD); // record 0 length 12 (one short)
  assertEquals(tamper(61, [0x7e]), ErrorCode.INVALID_RECORD); // record 0 length past the batch
  assertEquals(tamper(61 + 9, [0x04]), ErrorCode.INVALID_RECORD); // record 0 claims 2 headers
  assertEquals(tamper(61 + 4, [0x03]), ErrorCode.INVALID_RECORD); // key length -2
  assertEquals(tamper(r1 + 9, [0x01]), ErrorCode.INVALID_RECORD); // header key length -1
  assertEquals(tamper(61 + 2, [0x80]), ErrorCode.INVALID_RECORD); // unterminated timestamp varlong

  // Compressed batches are not inflated on validation: semantic header checks still apply.
  const gz = await buildBatch({ records: sampleRecords(4), compression: 1 });
  gz.set(be(9, 4), 23);
  fixCrc(gz);
  assertEquals(codeOf(() => validateBatches(gz)), ErrorCode.INVALID_RECORD);
});

Deno.test("maxBatchBytes → MESSAGE_TOO_LARGE", () => {
  const batch = handBatch();
  assertEquals(codeOf(() => validateBatches(batch, 91)), ErrorCode.MESSAGE_TOO_LARGE);
  assertEquals(validateBatches(batch, 92).length, 1);
});

Deno.test("decodeBatchRecords rejects corrupt batches", async () => {
  const batch = handBatch();
  const bad = batch.slice();
  bad[80] ^= 1;
  await assertRejects(() => decodeBatchRecords(bad, { verifyCrc: true }), KafkaError, "CRC");
  await assertRejects(() => decodeBatchRecords(batch.subarray(0, 70)), KafkaError);
  const gz = await buildBatch({ records: sampleRecords(4), compression: 1 });
  gz[gz.length - 6] ^= 0xff; // gzip trailer CRC32
  const e = await assertRejects(() => decodeBatchRecords(gz), KafkaError) as KafkaError;
  assertEquals(e.code, ErrorCode.CORRUPT_MESSAGE);
});

// ---------------------------------------------------------------------------------------------------------------
// In-place patches

Deno.test("setBaseOffset / setPartitionLeaderEpoch leave the CRC valid", () => {
  const batch = handBatch();
  setBaseOffset(batch, 0, 2 ** 40 + 17);
  setPartitionLeaderEpoch(batch, 0, 9);
  validateBatches(batch);
  const h = readBatchHeader(batch);
  assertEquals(h.baseOffset, 2 ** 40 + 17);
  assertEquals(h.partitionLeaderEpoch, 9);
});

Deno.test("stampLogAppendTime sets the type bit and maxTimestamp and keeps the CRC valid", async () => {
  const a = handBatch();
  const c = await buildBatch({ records: sampleRecords(20), compression: 4 });
  const payload = cat(a, c);
  const infos = validateBatches(payload);
  for (const i of infos) stampLogAppendTime(payload, i.pos, i.size, TS + 999);
  const after = validateBatches(payload);
  for (const i of after) {
    assertEquals(i.maxTimestamp, TS + 999);
    assertEquals(i.attributes & 0x08, 0x08);
  }
  assertEquals(after[1].attributes & 7, 4);
  for (const i of after) {
    const { header, records } = await decodeBatchRecords(payload.subarray(i.pos, i.pos + i.size), {
      verifyCrc: true,
    });
    assertEquals(header.timestampType, TimestampType.LOG_APPEND_TIME);
    assert(records.every((r) => r.timestamp === TS + 999));
  }
});

// ---------------------------------------------------------------------------------------------------------------
// Legacy message sets (hand-built with an independent writer)

interface Msg {
  offset: number;
  attributes?: number;
  timestamp?: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
}

function bytesField(x: Uint8Array | null): number[] {
  return x === null ? be(-1, 4) : [...be(x.length, 4), ...x];
}

function legacyMessage(magic: 0 | 1, m: Msg): Uint8Array {
  const body = [
    magic,
    m.attributes ?? 0,
    ...(magic === 1 ? be(m.timestamp ?? -1, 8) : []),
    ...bytesField(m.key),
    ...bytesField(m.value),
  ];
  const crc = crc32(new Uint8Array(body));
  return new Uint8Array([...be(m.offset, 8), ...be(body.length + 4, 4), ...be(crc, 4), ...body]);
}

function messageSet(magic: 0 | 1, msgs: Msg[]): Uint8Array {
  return cat(...msgs.map((m) => legacyMessage(magic, m)));
}

const LEGACY: Msg[] = [
  { offset: 0, timestamp: TS, key: b("a"), value: b("first") },
  { offset: 1, timestamp: TS + 10, key: null, value: b("second") },
  { offset: 2, timestamp: TS + 4, key: b("c"), value: null },
];

Deno.test("magic 0 and 1 message sets: hand-built bytes parse field by field", async () => {
  const v0 = messageSet(0, LEGACY);
  assertEquals(v0.length, 3 * 26 + 1 + 5 + 6 + 1); // 12 + 14 overhead each
  const m0 = await parseMessageSet(v0);
  assertEquals(m0.map((m) => [m.offset, m.magic, m.attributes, m.compression, m.timestamp, m.key, m.value]), [
    [0, 0, 0, 0, -1, b("a"), b("first")],
    [1, 0, 0, 0, -1, null, b("second")],
    [2, 0, 0, 0, -1, b("c"), null],
  ]);
  const v1 = messageSet(1, LEGACY);
  const m1 = await parseMessageSet(v1);
  assertEquals(m1.map((m) => [m.offset, m.magic, m.timestamp, m.timestampType, m.key, m.value]), [
    [0, 1, TS, 0, b("a"), b("first")],
    [1, 1, TS + 10, 0, null, b("second")],
    [2, 1, TS + 4, 0, b("c"), null],
  ]);
  // CRC corruption and truncation.
  const bad = v1.slice();
  bad[30] ^= 1;
  await assertRejects(() => parseMessageSet(bad), KafkaError, "CRC32 mismatch");
  await assertRejects(() => parseMessageSet(v1.subarray(0, v1.length - 3)), KafkaError, "truncated");
  assertEquals(
    (await parseMessageSet(v1.subarray(0, v1.length - 3), { allowPartialTrailing: true })).length,
    2,
  );
});

Deno.test("compressed wrappers: gzip magic 1 (relative inner offsets), gzip magic 0, lz4 magic 0 with KAFKA-1493", async () => {
  // magic 1: inner offsets 0..2 relative, wrapper carries the absolute offset of the last one.
  const inner1 = messageSet(1, LEGACY);
  const wrapper1 = legacyMessage(1, {
    offset: 10,
    attributes: 1,
    timestamp: TS + 10,
    key: null,
    value: await compress(1, inner1),
  });
  const m1 = await parseMessageSet(wrapper1);
  assertEquals(m1.map((m) => [m.offset, m.timestamp, m.compression, m.key, m.value]), [
    [8, TS, 1, b("a"), b("first")],
    [9, TS + 10, 1, null, b("second")],
    [10, TS + 4, 1, b("c"), null],
  ]);
  // LogAppendTime wrapper: inner timestamps are replaced by the wrapper's.
  const lat = await parseMessageSet(legacyMessage(1, {
    offset: 2,
    attributes: 1 | 0x08,
    timestamp: 77,
    key: null,
    value: await compress(1, inner1),
  }));
  assertEquals(lat.map((m) => [m.timestamp, m.timestampType]), [[77, 1], [77, 1], [77, 1]]);

  // magic 0: inner offsets are taken as they are.
  const inner0 = messageSet(0, LEGACY.map((m) => ({ ...m, offset: m.offset + 100 })));
  const m0 = await parseMessageSet(
    legacyMessage(0, { offset: 0, attributes: 1, key: null, value: await compress(1, inner0) }),
  );
  assertEquals(m0.map((m) => [m.offset, m.timestamp]), [[100, -1], [101, -1], [102, -1]]);

  // lz4 magic 0 frame whose header checksum covers the magic number (KAFKA-1493).
  const frame = await compress(3, inner0);
  frame[6] = 0; // anything but the correct value
  const lz = await parseMessageSet(legacyMessage(0, { offset: 0, attributes: 3, key: null, value: frame }));
  assertEquals(lz.map((m) => m.value), [b("first"), b("second"), null]);

  // snappy (xerial) wrapper.
  const sn = await parseMessageSet(
    legacyMessage(1, { offset: 2, attributes: 2, key: null, value: await compress(2, inner1) }),
  );
  assertEquals(sn.map((m) => [m.offset, m.compression]), [[0, 2], [1, 2], [2, 2]]);

  // Nested compression, null wrapper values and zstd are rejected.
  const nested = legacyMessage(1, {
    offset: 0,
    attributes: 1,
    key: null,
    value: await compress(1, wrapper1),
  });
  await assertRejects(() => parseMessageSet(nested), KafkaError, "compressed");
  const e1 = await assertRejects(
    () => parseMessageSet(legacyMessage(1, { offset: 0, attributes: 1, key: null, value: null })),
    KafkaError,
  ) as KafkaError;
  assertEquals(e1.code, ErrorCode.INVALID_RECORD);
  const e2 = await assertRejects(
    () => parseMessageSet(legacyMessage(1, { offset: 0, attributes: 4, key: null, value: b("x") })),
    KafkaError,
  ) as KafkaError;
  assertEquals(e2.code, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
});

Deno.test("legacy → v2 → downConvert round trip keeps keys, values, timestamps and offsets", async () => {
  for (const magic of [0, 1] as const) {
    for (const wrapped of [false, true]) {
      const set = messageSet(magic, LEGACY);
      const payload = wrapped
        ? legacyMessage(magic, {
          offset: 2,
          attributes: 1,
          timestamp: TS + 10,
          key: null,
          value: await compress(1, set),
        })
        : set;
      const up = await legacyToBatchV2(payload);
      assertEquals(up.batches.length, 1);
      assertEquals(up.batches[0].recordCount, 3);
      assertEquals(up.batches[0].attributes & 7, wrapped ? 1 : 0);
      assertEquals(up.batches[0].producerId, -1);
      assertEquals(up.batches[0].maxTimestamp, magic === 1 ? TS + 10 : -1);
      const { records } = await decodeBatchRecords(up.payload, { verifyCrc: true });
      assertEquals(records.map((r) => [r.offset, r.timestamp, r.key, r.value, r.headers]), [
        [0, magic === 1 ? TS : -1, b("a"), b("first"), []],
        [1, magic === 1 ? TS + 10 : -1, null, b("second"), []],
        [2, magic === 1 ? TS + 4 : -1, b("c"), null, []],
      ]);

      setBaseOffset(up.payload, 0, 500);
      const down = await downConvert([up.payload], magic);
      const expected = messageSet(
        magic,
        LEGACY.map((m) => ({ ...m, offset: m.offset + 500, timestamp: magic === 1 ? m.timestamp : -1 })),
      );
      assertEquals(down, expected, `magic ${magic} wrapped ${wrapped}`);
      const back = await parseMessageSet(down);
      assertEquals(back.map((m) => [m.offset, m.timestamp, m.key, m.value]), [
        [500, magic === 1 ? TS : -1, b("a"), b("first")],
        [501, magic === 1 ? TS + 10 : -1, null, b("second")],
        [502, magic === 1 ? TS + 4 : -1, b("c"), null],
      ]);
    }
  }
  assertEquals(await legacyToBatchV2(new Uint8Array(0)), { payload: new Uint8Array(0), batches: [] });
  const mixed = cat(legacyMessage(0, LEGACY[0]), legacyMessage(1, LEGACY[1]));
  await assertRejects(() => legacyToBatchV2(mixed), KafkaError, "mixes magic");
});

Deno.test("downConvert: LogAppendTime, control batches dropped, fromOffset, compressed sources, headers dropped", async () => {
  const a = await buildBatch({ records: sampleRecords(5), baseOffset: 10, compression: 4 });
  const ctrl = await buildBatch({
    records: [{ key: new Uint8Array([0, 0, 0, 1]), value: new Uint8Array([0, 0, 0, 0, 0, 0]) }],
    baseOffset: 15,
    isControl: true,
    isTransactional: true,
    producerId: 3,
    producerEpoch: 0,
  });
  const c = await buildBatch({ records: sampleRecords(3), baseOffset: 16, compression: 3 });
  stampLogAppendTime(c, 0, c.length, 4242);
  const down1 = await downConvert([cat(a, ctrl), c], 1, 12);
  const msgs = await parseMessageSet(down1);
  assertEquals(msgs.map((m) => m.offset), [12, 13, 14, 16, 17, 18]);
  const inputs = sampleRecords(5);
  assertEquals(
    msgs.slice(0, 3).map((m) => [m.key, m.value, m.timestamp, m.attributes]),
    inputs.slice(2).map((r) => [
      r.key ?? null,
      r.value ?? null,
      r.timestamp ?? inputs[0].timestamp,
      0,
    ]),
  );
  assertEquals(msgs.slice(3).map((m) => [m.timestamp, m.attributes, m.timestampType]), [
    [4242, 8, 1],
    [4242, 8, 1],
    [4242, 8, 1],
  ]);
  const down0 = await parseMessageSet(await downConvert([a], 0));
  assertEquals(
    down0.map((m) => [m.offset, m.magic, m.timestamp]),
    [0, 1, 2, 3, 4].map((i) => [10 + i, 0, -1]),
  );
  assertEquals((await downConvert([], 1)).length, 0);
});

Deno.test("fuzz: mutated uncompressed batches either fail with a KafkaError or decode cleanly", async () => {
  const base = await buildBatch({ records: sampleRecords(6) });
  let x = 12345;
  const rnd = (n: number) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
  let accepted = 0;
  for (let iter = 0; iter < 3000; iter++) {
    const t = base.slice();
    const flips = 1 + rnd(3);
    for (let k = 0; k < flips; k++) t[61 + rnd(t.length - 61)] = rnd(256);
    fixCrc(t);
    let ok = false;
    try {
      validateBatches(t);
      ok = true;
    } catch (e) {
      assert(e instanceof KafkaError, `non-Kafka error: ${e}`);
    }
    if (ok) {
      accepted++;
      const { records } = await decodeBatchRecords(t);
      assertEquals(records.length, 6);
    }
  }
  assert(accepted > 0);
});

Deno.test("control records: key (version + type) and end-transaction marker (version + coordinator epoch)", async () => {
  // A COMMIT marker as Kafka writes it: a transactional control batch holding one record.
  const key = new Uint8Array([0, 0, 0, 1]);
  const value = new Uint8Array([0, 0, 0, 0, 0, 7]);
  const batch = buildBatchSync({
    records: [{ key, value, timestamp: 1 }],
    producerId: 9,
    producerEpoch: 0,
    isTransactional: true,
    isControl: true,
  });
  const h = readBatchHeader(batch);
  assertEquals([h.isControl, h.isTransactional], [true, true]);
  assertEquals(h.attributes & (ATTR_CONTROL | ATTR_TRANSACTIONAL), ATTR_CONTROL | ATTR_TRANSACTIONAL);
  const [r] = (await decodeBatchRecords(batch)).records;
  assertEquals(readControlRecordKey(r.key), { version: 0, type: ControlRecordType.COMMIT });
  assertEquals(readEndTxnMarker(r.value), { version: 0, coordinatorEpoch: 7 });
  assertEquals(readControlRecordKey(new Uint8Array([0, 0, 0, 0])).type, ControlRecordType.ABORT);
  // A newer key version keeps its first four bytes' meaning; short, null or negative versions are invalid.
  assertEquals(readControlRecordKey(new Uint8Array([0, 1, 0, 1, 42])), { version: 1, type: 1 });
  assertEquals(codeOf(() => readControlRecordKey(new Uint8Array([0, 0, 0]))), ErrorCode.INVALID_RECORD);
  assertEquals(codeOf(() => readControlRecordKey(null)), ErrorCode.INVALID_RECORD);
  assertEquals(
    codeOf(() => readControlRecordKey(new Uint8Array([0xff, 0xff, 0, 1]))),
    ErrorCode.INVALID_RECORD,
  );
  assertEquals(codeOf(() => readEndTxnMarker(new Uint8Array(5))), ErrorCode.INVALID_RECORD);
});
