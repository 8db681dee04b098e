// Transactional batches and COMMIT/ABORT markers through the SeaweedMQ record envelope
// (src/storage/seaweedmq/record_codec.ts): Kafka batches -> publish frames -> DataMessages -> fetched batches keep
// the transactional and control attributes, producer id/epoch, base sequences, the markers' key and value bytes
// and the batch boundaries as produced; the plain record format refuses them.
import { buildBatch } from "../../src/records/batch.ts";
import type { BatchInfo } from "../../src/records/batch_info.ts";
import {
  ATTR_CONTROL,
  ATTR_TRANSACTIONAL,
  batchSizeAt,
  ControlRecordType,
  readBatchHeader,
  readControlRecordKey,
  readEndTxnMarker,
} from "../../src/records/layout.ts";
import { decodeBatchRecords, type RecordInput } from "../../src/records/record.ts";
import {
  buildBatches,
  decodeMessage,
  encodeAppend,
  ENVELOPE_MAGIC,
  FLAG_BATCH_START,
  FLAG_CONTROL,
  FLAG_PRODUCER,
  FLAG_TRANSACTIONAL,
  RecordCodecError,
  type SmqRecord,
  StoredRecords,
} from "../../src/storage/seaweedmq/record_codec.ts";
import { PbReader } from "../../src/storage/seaweedmq/transport/pb.ts";
import { concat } from "../helpers/bytes.ts";
import { assert, assertEquals } from "./assert.ts";

const te = new TextEncoder();
const td = new TextDecoder();

/** What validation would say about the batches laid back to back in `payload` (control batches included). */
function infos(payload: Uint8Array): BatchInfo[] {
  const out: BatchInfo[] = [];
  for (let pos = 0; pos < payload.length;) {
    const h = readBatchHeader(payload, pos);
    const size = batchSizeAt(payload, pos);
    out.push({ pos, size, ...h });
    pos += size;
  }
  return out;
}

/** Control record key (version 0, type) and COMMIT/ABORT marker value (version 0, coordinator epoch). */
function marker(commit: boolean, coordinatorEpoch: number): RecordInput {
  const key = new Uint8Array(4);
  new DataView(key.buffer).setInt16(2, commit ? ControlRecordType.COMMIT : ControlRecordType.ABORT);
  const value = new Uint8Array(6);
  new DataView(value.buffer).setInt32(2, coordinatorEpoch);
  return { key, value, timestamp: 1_700_000_000_500 };
}

interface Stored {
  key: Uint8Array;
  value: Uint8Array;
}

/** The DataMessages (key, value) a publish of `payload` sends, in order. */
async function publish(payload: Uint8Array, format: "envelope" | "plain" = "envelope"): Promise<Stored[]> {
  const enc = await encodeAppend({ payload, batches: infos(payload) }, format);
  const out: Stored[] = [];
  for (let i = 0; i < enc.count; i++) {
    const f = enc.frames.subarray(i === 0 ? 0 : enc.ends[i - 1], enc.ends[i]);
    const req = new PbReader(f.subarray(5));
    let key: Uint8Array = new Uint8Array(0), value: Uint8Array = new Uint8Array(0);
    while (req.next()) {
      assertEquals(req.field, 2, "PublishMessageRequest.data");
      const dm = req.sub();
      while (dm.next()) {
        if (dm.field === 1) key = dm.bytes();
        else if (dm.field === 2) value = dm.bytes();
        else dm.skip();
      }
    }
    out.push({ key: key.slice(), value: value.slice() });
  }
  return out;
}

const DATA: RecordInput[] = [
  { key: te.encode("k1"), value: te.encode("v1"), timestamp: 1_700_000_000_000 },
  { key: te.encode("k2"), value: null, timestamp: 1_700_000_000_001 },
  {
    key: null,
    value: te.encode("v3"),
    headers: [{ key: "h", value: te.encode("x") }],
    timestamp: 1_700_000_000_002,
  },
];

Deno.test("seaweedmq txn records: transactional batches and markers come back as produced", async () => {
  const produced = [
    // producer 7 epoch 3: two transactional batches, then its COMMIT marker
    await buildBatch({
      records: DATA,
      producerId: 7,
      producerEpoch: 3,
      baseSequence: 10,
      isTransactional: true,
    }),
    await buildBatch({
      records: DATA.slice(0, 2),
      producerId: 7,
      producerEpoch: 3,
      baseSequence: 13,
      isTransactional: true,
    }),
    await buildBatch({
      records: [marker(true, 5)],
      producerId: 7,
      producerEpoch: 3,
      baseSequence: -1,
      isTransactional: true,
      isControl: true,
    }),
    // an idempotent (not transactional) batch of producer 7 continuing its sequence: a batch of its own
    await buildBatch({ records: DATA.slice(0, 1), producerId: 7, producerEpoch: 3, baseSequence: 15 }),
    // producer 9: a transactional batch and an ABORT marker, then a plain batch
    await buildBatch({
      records: DATA.slice(2),
      producerId: 9,
      producerEpoch: 0,
      baseSequence: 0,
      isTransactional: true,
      compression: 1,
    }),
    await buildBatch({
      records: [marker(false, 0)],
      producerId: 9,
      producerEpoch: 0,
      baseSequence: -1,
      isTransactional: true,
      isControl: true,
    }),
    await buildBatch({ records: DATA.slice(0, 2) }),
  ];
  const payload = concat(produced);
  const stored = await publish(payload);
  assertEquals(stored.length, 3 + 2 + 1 + 1 + 1 + 1 + 2);

  // What SMQ-native readers see: the envelope magic and, in the flags byte, the control bit on markers only.
  const flags = stored.map((s) => {
    assertEquals([...s.key.subarray(0, 4)], [...ENVELOPE_MAGIC]);
    return s.key[4];
  });
  const markers = flags.map((f, i) => (f & FLAG_CONTROL) !== 0 ? i : -1).filter((i) => i >= 0);
  assertEquals(markers, [5, 8]);
  for (const i of markers) {
    assertEquals(flags[i] & (FLAG_TRANSACTIONAL | FLAG_PRODUCER | FLAG_BATCH_START), 0x70);
    // the marker's value is Kafka's EndTransactionMarker bytes, as stored
    assertEquals(stored[i].value.length, 6);
  }
  assertEquals(flags.map((f) => (f & FLAG_TRANSACTIONAL) !== 0), [
    true,
    true,
    true,
    true,
    true,
    true,
    false,
    true,
    true,
    false,
    false,
  ]);

  const recs: SmqRecord[] = stored.map((s) => decodeMessage({ key: s.key, value: s.value, tsNs: 0 }));
  const offsets = recs.map((_, i) => 500 + i);
  const built = buildBatches(StoredRecords.of(recs, offsets), 1 << 20, true);
  assertEquals(built.used, recs.length);
  assertEquals(built.batches.length, produced.length, "the batch boundaries are the produced ones");
  const back = await Promise.all(built.batches.map((b) => decodeBatchRecords(b, { verifyCrc: true })));
  const want = produced.map((b) => readBatchHeader(b));
  back.forEach(({ header: h }, i) => {
    const w = want[i];
    assertEquals(
      [h.isTransactional, h.isControl, h.producerId, h.producerEpoch, h.baseSequence, h.recordCount],
      [w.isTransactional, w.isControl, w.producerId, w.producerEpoch, w.baseSequence, w.recordCount],
      `batch ${i}`,
    );
    const attrs = h.attributes & (ATTR_TRANSACTIONAL | ATTR_CONTROL);
    assertEquals(attrs, w.attributes & (ATTR_TRANSACTIONAL | ATTR_CONTROL), `batch ${i} attributes`);
  });
  // The markers' key and value bytes exactly.
  for (const [i, commit, epoch] of [[2, true, 5], [5, false, 0]] as const) {
    const r = back[i].records;
    assertEquals(r.length, 1);
    const original = (await decodeBatchRecords(produced[i])).records[0];
    assertEquals([...r[0].key!], [...original.key!]);
    assertEquals([...r[0].value!], [...original.value!]);
    assertEquals(
      readControlRecordKey(r[0].key).type,
      commit ? ControlRecordType.COMMIT : ControlRecordType.ABORT,
    );
    assertEquals(readEndTxnMarker(r[0].value).coordinatorEpoch, epoch);
    assertEquals(r[0].offset, i === 2 ? 505 : 508);
  }
  // Data records: keys, values, headers.
  const first = back[0].records;
  assertEquals(first.map((r) => r.key && td.decode(r.key)), ["k1", "k2", null]);
  assertEquals(first.map((r) => r.value && td.decode(r.value)), ["v1", null, "v3"]);
  assertEquals(first[2].headers.map((h) => h.key), ["h"]);

  // Even without batch marks, a transactional run never merges with a marker or non-transactional records.
  const unmarked = recs.map((r) => ({ ...r, batchStart: r.control }));
  const merged = buildBatches(StoredRecords.of(unmarked, offsets), 1 << 20, true).batches.map((b) =>
    readBatchHeader(b)
  );
  assertEquals(merged.map((h) => [h.isTransactional, h.isControl, h.recordCount]), [
    [true, false, 5],
    [true, true, 1],
    [false, false, 1],
    [true, false, 1],
    [true, true, 1],
    [false, false, 2],
  ]);
});

Deno.test("seaweedmq txn records: the plain record format refuses transactional batches and markers", async () => {
  const txn = await buildBatch({
    records: DATA,
    producerId: 7,
    producerEpoch: 0,
    baseSequence: 0,
    isTransactional: true,
  });
  const ctl = await buildBatch({
    records: [marker(false, 1)],
    producerId: 7,
    producerEpoch: 0,
    baseSequence: -1,
    isTransactional: true,
    isControl: true,
  });
  for (const b of [txn, ctl]) {
    let err: unknown = null;
    await publish(b, "plain").catch((e) => err = e);
    assert(err instanceof RecordCodecError, String(err));
  }
  // idempotent (not transactional) batches still go plain
  const idem = await buildBatch({
    records: DATA.slice(0, 1),
    producerId: 7,
    producerEpoch: 0,
    baseSequence: 0,
  });
  const plain = await publish(idem, "plain");
  assertEquals(td.decode(plain[0].key), "k1");
});

Deno.test("seaweedmq txn records: inconsistent envelope flags are not taken as ours", () => {
  const env = (flags: number, rest: number[]) =>
    decodeMessage({
      key: new Uint8Array([...ENVELOPE_MAGIC, flags, ...rest]),
      value: new Uint8Array(0),
      tsNs: 5e6,
    });
  // control without transactional / producer fields: read as a plain key (the message is not one of ours)
  const bad = env(FLAG_CONTROL | FLAG_BATCH_START, [0]);
  assert(!bad.control && !bad.transactional);
  assertEquals(bad.key!.length, 6);
  // transactional without producer fields
  assert(!env(FLAG_TRANSACTIONAL, [0]).transactional);
  // a consistent marker envelope: ts 0, producer 7 epoch 1 sequence -1, 4-byte key
  const ok = env(FLAG_CONTROL | FLAG_TRANSACTIONAL | FLAG_PRODUCER | FLAG_BATCH_START, [
    0,
    14,
    2,
    1,
    0,
    0,
    0,
    1,
  ]);
  assert(ok.control && ok.transactional);
  assertEquals([ok.producerId, ok.producerEpoch, ok.sequence], [7, 1, -1]);
  assertEquals([...ok.key!], [0, 0, 0, 1]);
  // a negative sequence on a data record is not ours
  assert(!env(FLAG_TRANSACTIONAL | FLAG_PRODUCER, [0, 14, 2, 1]).transactional);
});
