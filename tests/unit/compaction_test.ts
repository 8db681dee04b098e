// Embedded log admin features: log compaction (latest value per key, offsets kept, tombstones until their delete
// horizon, crash-safe swaps, idempotent producers' last batches), DeleteRecords, exact timestamp lookups past the
// log start and inside compressed/compacted batches, cleanup.policy vs retention, broker-level defaults.
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { ErrorCode } from "../../src/protocol/errors.ts";
import { getInt32, getInt64 } from "../../src/protocol/codec.ts";
import { type EmbeddedOptions, EmbeddedStorage } from "../../src/storage/embedded/embedded.ts";
import { StorageError } from "../../src/storage/storage.ts";
import { buildBatch, type BuildBatchOptions, validateBatches } from "../../src/records/batch.ts";
import { batchSizeAt, ControlRecordType, readBatchHeader } from "../../src/records/layout.ts";
import { controlTypeOf, TxnScan } from "../../src/storage/embedded/cleaner.ts";
import { decodeBatchRecords } from "../../src/records/record.ts";
import { decodeTimestamps } from "../../src/records/timestamps.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

async function open(dir: string, extra: Partial<EmbeddedOptions> = {}): Promise<EmbeddedStorage> {
  const s = new EmbeddedStorage({
    dataDir: dir,
    fsync: "interval",
    fsyncIntervalMs: 10,
    retentionCheckIntervalMs: 3_600_000,
    cleanerBackoffMs: 3_600_000,
    decodeTimestamps,
    log: () => {},
    ...extra,
  });
  await s.open();
  return s;
}

async function errCode(p: Promise<unknown>): Promise<number> {
  try {
    await p;
  } catch (e) {
    if (e instanceof StorageError) return e.code;
    throw e;
  }
  throw new Error("expected a StorageError");
}

interface Rec {
  key: string | null;
  value: string | null;
  ts?: number;
}

/** Appends one batch of `recs`; returns its base offset. */
async function put(
  s: EmbeddedStorage,
  topic: string,
  recs: Rec[],
  opts: Partial<BuildBatchOptions> = {},
): Promise<number> {
  const now = Date.now();
  const batch = await buildBatch({
    records: recs.map((r) => ({
      key: r.key === null ? null : enc.encode(r.key),
      value: r.value === null ? null : enc.encode(r.value),
      timestamp: r.ts ?? now,
    })),
    ...opts,
  });
  const res = await s.append(topic, 0, { payload: batch, batches: validateBatches(batch) });
  return res.baseOffset;
}

interface Read {
  offset: number;
  key: string | null;
  value: string | null;
  timestamp: number;
}

/** Every record from the log start, decoded, plus each batch's [base, last]. */
async function readAll(s: EmbeddedStorage, topic: string): Promise<{ records: Read[]; batches: number[][] }> {
  const { logStartOffset } = await s.offsets(topic, 0);
  const records: Read[] = [];
  const batches: number[][] = [];
  let off = logStartOffset;
  for (;;) {
    const r = await s.read(topic, 0, off, 1 << 20, true);
    if (r.batches.length === 0) break;
    for (const b of r.batches) {
      const base = getInt64(b, 0);
      const last = base + getInt32(b, 23);
      batches.push([base, last]);
      const { records: rs } = await decodeBatchRecords(b, { verifyCrc: true });
      for (const x of rs) {
        if (x.offset < off) continue;
        records.push({
          offset: x.offset,
          key: x.key === null ? null : dec.decode(x.key),
          value: x.value === null ? null : dec.decode(x.value),
          timestamp: x.timestamp,
        });
      }
      off = last + 1;
    }
  }
  return { records, batches };
}

const COMPACT = { "cleanup.policy": "compact", "min.cleanable.dirty.ratio": "0.01", "segment.bytes": "300" };

Deno.test("compaction keeps the latest record per key at its offset; tombstones go after delete.retention.ms", async () => {
  const dir = await Deno.makeTempDir({ prefix: "compaction_test_" });
  let s = await open(dir);
  await s.createTopic("c", 1, { ...COMPACT, "delete.retention.ms": "60000" });
  const writes: Rec[][] = [
    [{ key: "a", value: "a1" }, { key: "b", value: "b1" }],
    [{ key: "c", value: "c1" }],
    [{ key: "a", value: "a2" }, { key: null, value: "no key" }],
    [{ key: "b", value: null }], // tombstone
    [{ key: "d", value: "d1" }, { key: "c", value: "c2" }],
    [{ key: "e", value: "e1" }],
  ];
  for (const w of writes) await put(s, "c", w, { compression: 1 });
  for (let i = 0; i < 6; i++) await put(s, "c", [{ key: `filler-${i}`, value: "x".repeat(100) }]);
  const before = await readAll(s, "c");
  assertEquals(before.records.length, 15);
  await s.flushAll();
  const segsBefore = s.partitionStats("c", 0).segments;
  assert(segsBefore > 3, `segments ${segsBefore}`);

  const now = Date.now();
  const r1 = await s.runCleaner(now);
  assertEquals(r1.length, 1);
  assert(r1[0].recordsRemoved >= 4, `removed ${r1[0].recordsRemoved}`);
  const after = await readAll(s, "c");
  const byKey = new Map(before.records.map((x) => [x.offset, x]));
  // Survivors: the latest of every key, at the offset it was written at, with its timestamp.
  const live = after.records.filter((x) => !x.key!.startsWith("filler"));
  assertEquals(live.map((x) => [x.key, x.value]), [["a", "a2"], ["b", null], ["d", "d1"], ["c", "c2"], [
    "e",
    "e1",
  ]]);
  for (const x of after.records) assertEquals(x, byKey.get(x.offset), `offset ${x.offset}`);
  assertEquals(after.records.filter((x) => x.key?.startsWith("filler")).length, 6);
  assertEquals((await s.offsets("c", 0)).highWatermark, before.records.length);
  // Offsets inside removed batches resolve to the next surviving batch.
  const gap = await s.read("c", 0, 1, 1 << 20, true);
  assert(getInt64(gap.batches[0], 0) + getInt32(gap.batches[0], 23) >= 3);
  // Nothing dirty and no horizon due: no pass.
  assertEquals(await s.runCleaner(now + 1000), []);
  // After delete.retention.ms the tombstone goes too.
  const r2 = await s.runCleaner(now + 61_000);
  assertEquals(r2.length, 1);
  const final = (await readAll(s, "c")).records.filter((x) => !x.key!.startsWith("filler"));
  assertEquals(final.map((x) => [x.key, x.value]), [["a", "a2"], ["d", "d1"], ["c", "c2"], ["e", "e1"]]);
  await s.close();

  // Durable: a restart sees the compacted log, and more writes keep their offsets.
  s = await open(dir);
  const reopened = (await readAll(s, "c")).records.filter((x) => !x.key!.startsWith("filler"));
  assertEquals(reopened, final);
  assertEquals(await put(s, "c", [{ key: "a", value: "a3" }]), 15);
  await s.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("compaction: min.compaction.lag.ms and the dirty ratio decide; compact-only topics never expire", async () => {
  const dir = await Deno.makeTempDir({ prefix: "compaction_test_" });
  const s = await open(dir);
  const old = Date.now() - 3_600_000;
  await s.createTopic("lag", 1, { ...COMPACT, "min.compaction.lag.ms": "7200000", "retention.ms": "1000" });
  await s.createTopic("ratio", 1, { ...COMPACT, "min.cleanable.dirty.ratio": "0.99" });
  for (const t of ["lag", "ratio"]) {
    for (let i = 0; i < 8; i++) await put(s, t, [{ key: `k${i}`, value: "v".repeat(80), ts: old + i }]);
  }
  await s.flushAll();
  // "lag" is younger than min.compaction.lag.ms; "ratio" is all dirty (ratio 1.0) the first time.
  const first = await s.runCleaner();
  assertEquals(first.length, 1);
  assertEquals(first[0].recordsRemoved, 0);
  await put(s, "ratio", [{ key: "k0", value: "v".repeat(80) }]);
  await put(s, "ratio", [{ key: "k1", value: "v".repeat(80) }]);
  await s.flushAll();
  assertEquals(await s.runCleaner(), [], "dirty ratio below 0.99");
  s.setConfigDefaults({ "min.cleanable.dirty.ratio": "0.01" }); // the topic overrides it: no change
  assertEquals(await s.runCleaner(), []);
  // retention.ms=1000 has no effect without "delete" in cleanup.policy.
  assertEquals(await s.runRetention(), 0);
  assertEquals((await s.offsets("lag", 0)).logStartOffset, 0);
  await s.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("compaction keeps an idempotent producer's last batch as an empty batch", async () => {
  const dir = await Deno.makeTempDir({ prefix: "compaction_test_" });
  const s = await open(dir);
  await s.createTopic("p", 1, COMPACT);
  const idem = { producerId: 7, producerEpoch: 0 };
  await put(s, "p", [{ key: "k", value: "1" }], { ...idem, baseSequence: 0 });
  await put(s, "p", [{ key: "k", value: "2" }, { key: "k", value: "3" }], { ...idem, baseSequence: 1 });
  await put(s, "p", [{ key: "k", value: "4" }], { producerId: 8, producerEpoch: 0, baseSequence: 0 });
  for (let i = 0; i < 5; i++) await put(s, "p", [{ key: `f${i}`, value: "x".repeat(120) }]);
  await s.flushAll();
  await s.runCleaner();
  const { records, batches } = await readAll(s, "p");
  assertEquals(records.filter((r) => r.key === "k").map((r) => [r.offset, r.value]), [[3, "4"]]);
  // Producer 7's first batch is gone; its last one (offsets 1-2) stays, empty.
  assertEquals(batches[0], [1, 2]);
  const first = (await s.read("p", 0, 1, 1, true)).batches[0];
  assertEquals([getInt64(first, 43), getInt32(first, 57), getInt32(first, 53)], [7, 0, 1]);
  await s.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("an interrupted compaction swap is completed on open; a half-written one is discarded", async () => {
  const dir = await Deno.makeTempDir({ prefix: "compaction_test_" });
  let s = await open(dir);
  await s.createTopic("w", 1, { "segment.bytes": "300" });
  for (let i = 0; i < 10; i++) await put(s, "w", [{ key: `k${i}`, value: "y".repeat(100) }]);
  const before = await readAll(s, "w");
  await s.close();
  const pdir = join(dir, "w-0");
  const logs = [...Deno.readDirSync(pdir)].map((e) => e.name).filter((n) => n.endsWith(".log")).sort();
  assert(logs.length >= 3);
  // A "cleaned" replacement of the first two segments (here: their bytes), renamed to .swap, after which the
  // crash removed the second segment's log but not the first.
  const a = Deno.readFileSync(join(pdir, logs[0]));
  const b = Deno.readFileSync(join(pdir, logs[1]));
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  const end = Number(logs[2].slice(0, 20));
  Deno.writeFileSync(join(pdir, `${logs[0].slice(0, 20)}-${String(end).padStart(20, "0")}.swap`), joined);
  Deno.removeSync(join(pdir, logs[1]));
  Deno.writeFileSync(join(pdir, `${logs[2].slice(0, 20)}.log.cleaned`), new Uint8Array([1, 2, 3]));
  s = await open(dir);
  assertEquals(await readAll(s, "w"), before);
  const names = [...Deno.readDirSync(pdir)].map((e) => e.name);
  assert(!names.some((n) => n.endsWith(".swap") || n.endsWith(".cleaned")), names.join(" "));
  assertEquals(names.filter((n) => n.endsWith(".log")).length, logs.length - 1);
  await s.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("DeleteRecords moves the log start offset, reclaims whole segments, survives a restart", async () => {
  const dir = await Deno.makeTempDir({ prefix: "compaction_test_" });
  let s = await open(dir);
  await s.createTopic("d", 1, { "segment.bytes": "400" });
  const t0 = 1_700_000_000_000;
  for (let i = 0; i < 20; i++) await put(s, "d", [{ key: null, value: `v${i}`, ts: t0 + i * 10 }]);
  const segs = s.partitionStats("d", 0).segments;
  assertEquals(await errCode(s.deleteRecords("d", 0, 21)), ErrorCode.OFFSET_OUT_OF_RANGE);
  assertEquals(await errCode(s.deleteRecords("d", 0, -2)), ErrorCode.OFFSET_OUT_OF_RANGE);
  assertEquals(await errCode(s.deleteRecords("d", 1, 0)), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  assertEquals(await s.deleteRecords("d", 0, 13), 13);
  assertEquals(await s.deleteRecords("d", 0, 5), 13, "never moves back");
  assert(s.partitionStats("d", 0).segments < segs, "whole segments below the start are gone");
  assertEquals((await s.offsets("d", 0)).logStartOffset, 13);
  assertEquals(await errCode(s.read("d", 0, 12, 100, true)), ErrorCode.OFFSET_OUT_OF_RANGE);
  assertEquals(
    (await readAll(s, "d")).records.map((r) => r.value),
    Array.from({ length: 7 }, (_, i) => `v${i + 13}`),
  );
  // Timestamp lookups never answer below the log start.
  assertEquals(await s.offsetForTimestamp("d", 0, t0), { offset: 13, timestamp: t0 + 130 });
  assertEquals(await s.offsetForTimestamp("d", 0, t0 + 151), { offset: 16, timestamp: t0 + 160 });
  await s.close();
  s = await open(dir);
  assertEquals(await s.offsets("d", 0), { logStartOffset: 13, highWatermark: 20 });
  assertEquals(await s.deleteRecords("d", 0, -1), 20);
  assertEquals(await s.offsets("d", 0), { logStartOffset: 20, highWatermark: 20 });
  assertEquals(await s.offsetForTimestamp("d", 0, t0), null);
  await s.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("offsetForTimestamp is exact inside compressed batches with out-of-order timestamps", async () => {
  const dir = await Deno.makeTempDir({ prefix: "compaction_test_" });
  const s = await open(dir);
  await s.createTopic("ts", 1, {});
  const t0 = 1_700_000_000_000;
  for (const codec of [0, 1, 2, 3, 4]) {
    await put(s, "ts", [
      { key: null, value: "a", ts: t0 + codec * 100 + 50 },
      { key: null, value: "b", ts: t0 + codec * 100 + 10 },
      { key: null, value: "c", ts: t0 + codec * 100 + 90 },
    ], { compression: codec });
  }
  for (const codec of [0, 1, 2, 3, 4]) {
    const base = codec * 3;
    const at = t0 + codec * 100;
    assertEquals(
      await s.offsetForTimestamp("ts", 0, at),
      { offset: base, timestamp: at + 50 },
      `codec ${codec}`,
    );
    assertEquals(await s.offsetForTimestamp("ts", 0, at + 51), { offset: base + 2, timestamp: at + 90 });
    assertEquals(await s.offsetForTimestamp("ts", 0, at + 50), { offset: base, timestamp: at + 50 });
  }
  assertEquals(await s.offsetForTimestamp("ts", 0, t0 + 491), null);
  await s.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("setConfigDefaults: broker-level defaults reach topics without overrides at once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "compaction_test_" });
  const s = await open(dir, { retentionMs: -1 });
  await s.createTopic("plain", 1, { "segment.bytes": "200" });
  await s.createTopic("kept", 1, { "segment.bytes": "200", "retention.ms": "-1" });
  const old = Date.now() - 3_600_000;
  for (const t of ["plain", "kept"]) {
    for (let i = 0; i < 6; i++) await put(s, t, [{ key: null, value: "z".repeat(90), ts: old }]);
  }
  assertEquals(await s.runRetention(), 0);
  s.setConfigDefaults({ "retention.ms": "60000" });
  assert(await s.runRetention() > 0);
  assert((await s.offsets("plain", 0)).logStartOffset > 0);
  assertEquals((await s.offsets("kept", 0)).logStartOffset, 0);
  await s.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("broker configs persist per resource", async () => {
  const dir = await Deno.makeTempDir({ prefix: "compaction_test_" });
  let s = await open(dir);
  assertEquals(s.brokerConfigs(""), {});
  await s.setBrokerConfigs("", { "log.retention.ms": "5000" });
  await s.setBrokerConfigs("1", { "message.max.bytes": "2000" });
  await s.close();
  s = await open(dir);
  assertEquals(s.brokerConfigs(""), { "log.retention.ms": "5000" });
  assertEquals(s.brokerConfigs("1"), { "message.max.bytes": "2000" });
  await s.setBrokerConfigs("1", {});
  assertEquals(s.brokerConfigs("1"), {});
  const info = await s.logDir();
  assertEquals(info.path, dir);
  assert(info.totalBytes > 0 && info.usableBytes > 0 && info.usableBytes <= info.totalBytes);
  await s.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a topic deleted while the cleaner works on it: the pass stops, the topic is gone", async () => {
  const dir = await Deno.makeTempDir({ prefix: "compaction_test_" });
  const s = await open(dir);
  await s.createTopic("busy", 1, { ...COMPACT, "segment.bytes": "20000" });
  for (let i = 0; i < 300; i++) {
    await put(s, "busy", Array.from({ length: 20 }, (_, k) => ({ key: `k${k}`, value: `v${i}-${k}` })));
  }
  await s.flushAll();
  const pass = s.runCleaner();
  await new Promise((r) => setTimeout(r, 0));
  await s.deleteTopic("busy");
  assertEquals(await pass, []);
  assert(![...Deno.readDirSync(dir)].some((e) => e.name.startsWith("busy")));
  await s.createTopic("busy", 1, COMPACT);
  assertEquals(await s.offsets("busy", 0), { logStartOffset: 0, highWatermark: 0 });
  await s.close();
  await Deno.remove(dir, { recursive: true });
});

// ---- transactions (src/storage/embedded/cleaner.ts, TxnScan) ------------------------------------------------------

/** Appends a COMMIT or ABORT marker of producer `pid` (a control batch, as the marker writer stores it). */
async function putMarker(s: EmbeddedStorage, topic: string, pid: number, commit: boolean): Promise<number> {
  const key = new Uint8Array(4);
  new DataView(key.buffer).setInt16(2, commit ? ControlRecordType.COMMIT : ControlRecordType.ABORT);
  const batch = await buildBatch({
    records: [{ key, value: new Uint8Array(6), timestamp: Date.now() }],
    producerId: pid,
    producerEpoch: 0,
    baseSequence: -1,
    isTransactional: true,
    isControl: true,
  });
  const info = { pos: 0, size: batchSizeAt(batch, 0), ...readBatchHeader(batch) };
  return (await s.append(topic, 0, { payload: batch, batches: [info] })).baseOffset;
}

/** Appends one transactional batch of producer `pid` (sequence `seq`). */
function putTxn(s: EmbeddedStorage, topic: string, pid: number, seq: number, recs: Rec[]): Promise<number> {
  return put(s, topic, recs, { producerId: pid, producerEpoch: 0, baseSequence: seq, isTransactional: true });
}

async function fillers(s: EmbeddedStorage, topic: string, tag: string, n = 4): Promise<void> {
  for (let i = 0; i < n; i++) await put(s, topic, [{ key: `${tag}-${i}`, value: "x".repeat(120) }]);
}

Deno.test("compaction: an aborted transaction's records go and never shadow the committed value of a key", async () => {
  const dir = await Deno.makeTempDir({ prefix: "compaction_test_" });
  const s = await open(dir);
  await s.createTopic("t", 1, COMPACT);
  assertEquals(await put(s, "t", [{ key: "k", value: "committed" }, { key: "j", value: "j1" }]), 0);
  // producer 5: a transaction that aborts; its value of "k" is the newest in the log
  assertEquals(
    await putTxn(s, "t", 5, 0, [{ key: "k", value: "aborted" }, { key: "only-aborted", value: "x" }]),
    2,
  );
  // producer 6: a committed transaction overwriting "j" (interleaved with producer 5's)
  assertEquals(await putTxn(s, "t", 6, 0, [{ key: "j", value: "j2" }]), 4);
  assertEquals(await putMarker(s, "t", 5, false), 5);
  assertEquals(await putMarker(s, "t", 6, true), 6);
  await fillers(s, "t", "f");
  await s.flushAll();
  const r = await s.runCleaner();
  assertEquals(r.length, 1);
  const { records, batches } = await readAll(s, "t");
  const live = records.filter((x) => ["k", "j", "only-aborted"].includes(x.key!));
  assertEquals(
    live.map((x) => [x.offset, x.key, x.value]),
    [[0, "k", "committed"], [4, "j", "j2"]],
    "the committed value of k stays; the aborted records and the overwritten j1 are gone",
  );
  // Both markers are kept (control batches are never cleaned).
  const markers = [];
  for (const [base] of batches) {
    const b = (await s.read("t", 0, base, 1, true)).batches[0];
    if (readBatchHeader(b).isControl) markers.push([base, readBatchHeader(b).producerId]);
  }
  assertEquals(markers, [[5, 5], [6, 6]]);
  await s.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("compaction: an open transaction's records are untouched and cleaning stops before them", async () => {
  const dir = await Deno.makeTempDir({ prefix: "compaction_test_" });
  const s = await open(dir);
  await s.createTopic("o", 1, COMPACT);
  await put(s, "o", [{ key: "a", value: "a1" }]); // 0
  await put(s, "o", [{ key: "a", value: "a2" }]); // 1
  await fillers(s, "o", "f"); // 2..5
  // producer 9 opens a transaction at offset 6 and writes no marker yet
  assertEquals(await putTxn(s, "o", 9, 0, [{ key: "a", value: "a3-open" }]), 6);
  await put(s, "o", [{ key: "b", value: "b1" }]); // 7: above the open transaction
  await put(s, "o", [{ key: "b", value: "b2" }]); // 8
  await fillers(s, "o", "g"); // 9..12
  await s.flushAll();
  await s.runCleaner();
  let recs = (await readAll(s, "o")).records;
  assertEquals(
    recs.filter((x) => x.key === "a" || x.key === "b").map((x) => [x.offset, x.value]),
    [[1, "a2"], [6, "a3-open"], [7, "b1"], [8, "b2"]],
    "below the open transaction a1 went; from it on nothing changed",
  );
  // The transaction aborts: its record goes, the committed a2 stays the value of "a", and the rest is cleaned.
  await putMarker(s, "o", 9, false);
  await fillers(s, "o", "h");
  await s.flushAll();
  await s.runCleaner();
  recs = (await readAll(s, "o")).records;
  assertEquals(
    recs.filter((x) => x.key === "a" || x.key === "b").map((x) => [x.offset, x.value]),
    [[1, "a2"], [8, "b2"]],
  );
  await s.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("TxnScan: aborted ranges per producer, the oldest open transaction, markers read from the batch", async () => {
  const at = async (base: number, opts: Partial<BuildBatchOptions>, key = enc.encode("k")) => {
    const b = await buildBatch({ records: [{ key, value: null, timestamp: 1 }], baseOffset: base, ...opts });
    return b;
  };
  const ctlKey = (type: number) => {
    const k = new Uint8Array(4);
    new DataView(k.buffer).setInt16(2, type);
    return k;
  };
  const txn = (pid: number) => ({
    producerId: pid,
    producerEpoch: 0,
    baseSequence: 0,
    isTransactional: true,
  });
  const ctl = (pid: number) => ({ ...txn(pid), baseSequence: -1, isControl: true });
  const log = [
    await at(0, txn(1)), // producer 1: aborted at 3
    await at(1, txn(2)), // producer 2: committed at 4
    await at(2, txn(1)),
    await at(3, ctl(1), ctlKey(ControlRecordType.ABORT)),
    await at(4, ctl(2), ctlKey(ControlRecordType.COMMIT)),
    await at(5, ctl(3), ctlKey(ControlRecordType.ABORT)), // producer 3 has no data: nothing ends
    await at(6, { producerId: 4, producerEpoch: 0, baseSequence: 0 }), // idempotent, not transactional
    await at(7, txn(1)), // producer 1 again: open
    await at(8, txn(5)), // producer 5: open
    await at(9, ctl(5), ctlKey(7)), // another control type: ends nothing
  ];
  const scan = new TxnScan();
  for (const b of log) scan.add(b.subarray(0, 61), () => b);
  assertEquals(log.map((b) => scan.isAborted(b)), [
    true,
    false,
    true,
    false,
    false,
    false,
    false,
    false,
    false,
    false,
  ]);
  assertEquals(scan.firstUnstable(), 7);
  assertEquals(controlTypeOf(log[3]), ControlRecordType.ABORT);
  assertEquals(controlTypeOf(log[4]), ControlRecordType.COMMIT);
  const compressed = await buildBatch({
    records: [{ key: ctlKey(1), value: null, timestamp: 1 }],
    ...ctl(1),
    compression: 1,
  });
  assertEquals(controlTypeOf(compressed), -1, "compressed markers are not read here");
  assertEquals(controlTypeOf(await at(0, ctl(1), new Uint8Array(2))), -1, "a short key");
  assertEquals(new TxnScan().firstUnstable(), Infinity);
});

Deno.test("log.cleaner.backoff.ms changed at runtime: the cleaner runs on the new period", async () => {
  const dir = await Deno.makeTempDir({ prefix: "compaction_test_" });
  const s = await open(dir); // the cleaner every hour
  try {
    await s.createTopic("b", 1, { ...COMPACT, "delete.retention.ms": "60000" });
    for (let i = 0; i < 12; i++) await put(s, "b", [{ key: "k", value: `v${i}` }]);
    await new Promise((r) => setTimeout(r, 300));
    assertEquals((await readAll(s, "b")).records.length, 12, "nothing cleaned within the hour's period");
    s.setCleanerBackoffMs(50);
    let left = 12;
    for (let i = 0; i < 40 && left === 12; i++) {
      await new Promise((r) => setTimeout(r, 50));
      left = (await readAll(s, "b")).records.length;
    }
    // the cleaned segments keep only their latest "k" (the active segment is never cleaned)
    assert(left < 12, `${left} records left after the cleaner ran on the new period`);
    assertEquals((await readAll(s, "b")).records.at(-1)?.value, "v11");
  } finally {
    await s.close();
    await Deno.remove(dir, { recursive: true });
  }
});
