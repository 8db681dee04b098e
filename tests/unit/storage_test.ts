// Embedded storage: topics, append/read across segments, recovery from torn tails and lost indexes, kill -9,
// retention, timestamp lookups, fsync modes, subscriptions.
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { ErrorCode } from "../../src/protocol/errors.ts";
import { getInt32, getInt64 } from "../../src/protocol/codec.ts";
import { crc32c } from "../../src/records/crc32c.ts";
import { type EmbeddedOptions, EmbeddedStorage } from "../../src/storage/embedded/embedded.ts";
import { StorageError, type TimestampOffset } from "../../src/storage/storage.ts";
import { appendRequest, buildBatch, numberedBatch, withBaseOffset } from "./fixtures/storage_batches.ts";

const T0 = 1_700_000_000_000;

interface Harness {
  dir: string;
  logs: string[];
  make(extra?: Partial<EmbeddedOptions>): EmbeddedStorage;
}

async function harness(): Promise<Harness> {
  const dir = await Deno.makeTempDir({ prefix: "storage_test_" });
  const logs: string[] = [];
  return {
    dir,
    logs,
    make: (extra = {}) =>
      new EmbeddedStorage({
        dataDir: dir,
        fsync: "interval",
        fsyncIntervalMs: 10,
        log: (level, msg) => logs.push(`${level}: ${msg}`),
        ...extra,
      }),
  };
}

async function errCode(p: Promise<unknown> | (() => unknown)): Promise<number> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    if (e instanceof StorageError) return e.code;
    throw e;
  }
  throw new Error("expected a StorageError");
}

interface Stored {
  base: number;
  last: number;
  bytes: Uint8Array;
}

/** Appends `batches` one request each (or grouped) and returns them as stored. */
async function appendAll(
  s: EmbeddedStorage,
  topic: string,
  batches: Uint8Array[],
  group = 1,
): Promise<Stored[]> {
  const out: Stored[] = [];
  for (let i = 0; i < batches.length; i += group) {
    const chunk = batches.slice(i, i + group);
    const r = await s.append(topic, 0, appendRequest(chunk));
    let next = r.baseOffset;
    for (const b of chunk) {
      const last = next + getInt32(b, 23);
      out.push({ base: next, last, bytes: withBaseOffset(b, next) });
      next = last + 1;
    }
  }
  return out;
}

/** Reads the partition from `from` to the high watermark with `maxBytes` per call. */
async function readAll(
  s: EmbeddedStorage,
  topic: string,
  from: number,
  maxBytes: number,
): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  let off = from;
  for (;;) {
    const r = await s.read(topic, 0, off, maxBytes, true);
    if (r.batches.length === 0) break;
    for (const b of r.batches) out.push(b);
    const lastB = r.batches[r.batches.length - 1];
    off = getInt64(lastB, 0) + getInt32(lastB, 23) + 1;
  }
  return out;
}

async function checkEveryOffset(s: EmbeddedStorage, topic: string, stored: Stored[]): Promise<void> {
  for (const b of stored) {
    for (let o = b.base; o <= b.last; o++) {
      const r = await s.read(topic, 0, o, 1, true);
      assertEquals(r.batches.length, 1, `offset ${o}`);
      assertEquals(r.batches[0], b.bytes, `batch containing ${o}`);
    }
  }
}

function segmentFiles(dir: string, suffix: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(suffix)).sort();
}

Deno.test("topics: create, list, lookup by id, delete, validation, restart persistence", async () => {
  const h = await harness();
  let s = h.make();
  await s.open();
  const a = await s.createTopic("orders.v1_x-y", 3, { "retention.ms": "100000", "cleanup.policy": "delete" });
  assertEquals(a.partitions, 3);
  assert(/^[0-9a-f]{32}$/.test(a.id), a.id);
  const b = await s.createTopic("b", 1, {});
  assertEquals(await errCode(s.createTopic("b", 1, {})), ErrorCode.TOPIC_ALREADY_EXISTS);
  for (const bad of ["", ".", "..", "a/b", "x".repeat(250), "sp ace"]) {
    assertEquals(await errCode(s.createTopic(bad, 1, {})), ErrorCode.INVALID_TOPIC_EXCEPTION, bad);
  }
  assertEquals(await errCode(s.createTopic("z", 0, {})), ErrorCode.INVALID_PARTITIONS);
  assertEquals(await errCode(s.createTopic("z", 1, { "segment.bytes": "lots" })), ErrorCode.INVALID_CONFIG);
  assertEquals(s.getTopic("z"), undefined);
  for (let p = 0; p < 3; p++) assert((await Deno.stat(join(h.dir, `orders.v1_x-y-${p}`))).isDirectory);
  assertEquals(s.listTopics().map((t) => t.name).sort(), ["b", "orders.v1_x-y"]);
  assertEquals(s.getTopicById(a.id)?.name, "orders.v1_x-y");
  assertEquals(s.getTopic("b")?.id, b.id);

  await s.append("b", 0, appendRequest([numberedBatch(0, T0)]));
  await s.deleteTopic("b");
  assertEquals(await errCode(s.deleteTopic("b")), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  assertEquals(s.getTopic("b"), undefined);
  assertEquals(s.getTopicById(b.id), undefined);
  assertEquals(
    await errCode(s.append("b", 0, appendRequest([numberedBatch(0, T0)]))),
    ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  );
  assertEquals(await errCode(s.offsets("orders.v1_x-y", 3)), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  assertEquals(await errCode(() => s.subscribe("nope", 0, () => {})), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  assert(!segmentFiles(h.dir, "").some((n) => n.startsWith("b-") || n.startsWith(".trash")));
  await s.close();
  await s.close(); // idempotent
  assertEquals(await errCode(s.offsets("orders.v1_x-y", 0)), ErrorCode.KAFKA_STORAGE_ERROR);

  s = h.make();
  await s.open();
  assertEquals(s.listTopics(), [a]);
  assertEquals(s.getTopicById(a.id)?.configs, { "retention.ms": "100000", "cleanup.policy": "delete" });
  const b2 = await s.createTopic("b", 2, {});
  assert(b2.id !== b.id);
  assertEquals(await s.offsets("b", 0), { logStartOffset: 0, highWatermark: 0 });
  await s.close();

  s = h.make();
  await s.open();
  assertEquals(s.getTopic("b")?.partitions, 2);
  await s.close();
  await Deno.remove(h.dir, { recursive: true });
});

Deno.test("append/read back across many segments: exact bytes and offsets, cache and disk", async () => {
  const h = await harness();
  let s = h.make({ segmentBytes: 1000, indexIntervalBytes: 256 });
  await s.open();
  await s.createTopic("t", 1, {});
  const batches = Array.from({ length: 60 }, (_, i) => numberedBatch(i, T0 + i * 10, i % 7 * 10));
  const stored = [
    ...await appendAll(s, "t", batches.slice(0, 30)),
    ...await appendAll(s, "t", batches.slice(30), 3),
  ];
  // consecutive offsets
  for (let i = 1; i < stored.length; i++) assertEquals(stored[i].base, stored[i - 1].last + 1);
  const hw = stored[stored.length - 1].last + 1;
  assertEquals(await s.offsets("t", 0), { logStartOffset: 0, highWatermark: hw });
  assert(s.partitionStats("t", 0).segments >= 8, `segments ${s.partitionStats("t", 0).segments}`);
  await checkEveryOffset(s, "t", stored);
  assertEquals(await readAll(s, "t", 0, 700), stored.map((b) => b.bytes));
  // a payload buffer reused by the caller must not change stored bytes
  const req = appendRequest([numberedBatch(99, T0 + 999)]);
  const r = await s.append("t", 0, req);
  const expect = req.payload.slice();
  req.payload.fill(0);
  assertEquals((await s.read("t", 0, r.baseOffset, 1 << 20, true)).batches, [expect]);
  stored.push({ base: r.baseOffset, last: r.baseOffset + getInt32(expect, 23), bytes: expect });
  await s.close();

  // on disk: segment files named by base offset hold exactly the stored batches
  const pdir = join(h.dir, "t-0");
  const logs = segmentFiles(pdir, ".log");
  assert(logs.every((n) => /^\d{20}\.log$/.test(n)));
  let k = 0;
  for (const name of logs) {
    const data = await Deno.readFile(join(pdir, name));
    assertEquals(Number(name.slice(0, 20)), stored[k].base, name);
    let p = 0;
    while (p < data.length) {
      assertEquals(data.subarray(p, p + stored[k].bytes.length), stored[k].bytes, `${name} @${p}`);
      p += stored[k++].bytes.length;
    }
  }
  assertEquals(k, stored.length);

  // reopen without a tail cache: everything comes from segment files
  s = h.make({ segmentBytes: 1000, indexIntervalBytes: 256, tailCacheBytesPerPartition: 0 });
  await s.open();
  await checkEveryOffset(s, "t", stored);
  assertEquals(await readAll(s, "t", 0, 700), stored.map((b) => b.bytes));
  assertEquals(await readAll(s, "t", stored[17].base + 1, 1 << 20), stored.slice(17).map((b) => b.bytes));
  const more = await appendAll(s, "t", [numberedBatch(100, T0 + 2000)]);
  assertEquals(more[0].base, stored[stored.length - 1].last + 1);
  await s.close();
  assert(!h.logs.some((l) => l.startsWith("warn") || l.startsWith("error")), h.logs.join("\n"));
  await Deno.remove(h.dir, { recursive: true });
});

Deno.test("read: middle of a batch, maxBytes, minOneBatch, OFFSET_OUT_OF_RANGE", async () => {
  const h = await harness();
  for (const cache of [32 << 20, 0]) {
    const s = h.make({ tailCacheBytesPerPartition: cache });
    await s.open();
    if (!s.getTopic("t")) {
      await s.createTopic("t", 1, {});
      await appendAll(s, "t", [numberedBatch(2, T0), numberedBatch(5, T0), numberedBatch(8, T0)]);
    }
    const all = await readAll(s, "t", 0, 1 << 20);
    assertEquals(all.length, 3);
    const [b0, b1, b2] = all;
    // batch 0 holds offsets 0..2; offset 1 is in its middle
    assertEquals((await s.read("t", 0, 1, 1 << 20, false)).batches, [b0, b1, b2]);
    assertEquals((await s.read("t", 0, 4, 1 << 20, false)).batches, [b1, b2]);
    assertEquals((await s.read("t", 0, 0, b0.length - 1, false)).batches, []);
    assertEquals((await s.read("t", 0, 0, b0.length - 1, true)).batches, [b0]);
    assertEquals((await s.read("t", 0, 0, 0, true)).batches, [b0]);
    assertEquals((await s.read("t", 0, 0, b0.length + b1.length, false)).batches, [b0, b1]);
    const r = await s.read("t", 0, 0, b0.length + b1.length - 1, true);
    assertEquals(r.batches, [b0]);
    assertEquals(r.bytes, b0.length);
    assertEquals(r.highWatermark, 9);
    assertEquals(r.logStartOffset, 0);
    const atHw = await s.read("t", 0, 9, 1 << 20, true);
    assertEquals(atHw.batches, []);
    assertEquals(atHw.highWatermark, 9);
    assertEquals(await errCode(s.read("t", 0, 10, 100, true)), ErrorCode.OFFSET_OUT_OF_RANGE);
    assertEquals(await errCode(s.read("t", 0, -1, 100, true)), ErrorCode.OFFSET_OUT_OF_RANGE);
    assertEquals(await errCode(s.read("t", 1, 0, 100, true)), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    await s.close();
  }
  await Deno.remove(h.dir, { recursive: true });
});

Deno.test("append rejects malformed input without side effects", async () => {
  const h = await harness();
  const s = h.make();
  await s.open();
  await s.createTopic("t", 1, {});
  const good = appendRequest([numberedBatch(0, T0), numberedBatch(1, T0)]);
  const gap = { payload: good.payload, batches: [good.batches[0], good.batches[0]] };
  const wrongSize = { payload: good.payload, batches: [{ ...good.batches[0], size: 70 }] };
  const outside = { payload: good.payload.subarray(0, 40), batches: [good.batches[0]] };
  for (const bad of [gap, wrongSize, outside]) {
    assertEquals(await errCode(s.append("t", 0, bad)), ErrorCode.CORRUPT_MESSAGE);
  }
  assertEquals((await s.offsets("t", 0)).highWatermark, 0);
  assertEquals(await s.append("t", 0, { payload: new Uint8Array(0), batches: [] }), {
    baseOffset: 0,
    logAppendTime: -1,
    logStartOffset: 0,
  });
  assertEquals((await s.append("t", 0, good)).baseOffset, 0);
  assertEquals((await s.offsets("t", 0)).highWatermark, 3);
  await s.close();
  await Deno.remove(h.dir, { recursive: true });
});

Deno.test("recovery: torn tail, appended garbage and a corrupt batch are truncated; appends continue", async () => {
  const h = await harness();
  const logPath = join(h.dir, "t-0", "00000000000000000000.log");
  let s = h.make();
  await s.open();
  await s.createTopic("t", 1, {});
  const stored = await appendAll(s, "t", Array.from({ length: 10 }, (_, i) => numberedBatch(i, T0 + i)));
  await s.close();

  // 1. torn last batch
  const size = (await Deno.stat(logPath)).size;
  await Deno.truncate(logPath, size - 7);
  s = h.make();
  await s.open();
  assert(h.logs.some((l) => l.startsWith("warn") && l.includes("truncating")), h.logs.join("\n"));
  assertEquals((await s.offsets("t", 0)).highWatermark, stored[9].base);
  assertEquals(await readAll(s, "t", 0, 1 << 20), stored.slice(0, 9).map((b) => b.bytes));
  const again = await appendAll(s, "t", [numberedBatch(9, T0 + 9)]);
  assertEquals(again[0], stored[9]);
  await s.close();

  // 2. garbage after the last batch
  const f = await Deno.open(logPath, { append: true });
  await f.write(crypto.getRandomValues(new Uint8Array(100)));
  f.close();
  s = h.make();
  await s.open();
  assertEquals((await s.offsets("t", 0)).highWatermark, stored[9].last + 1);
  assertEquals((await appendAll(s, "t", [numberedBatch(10, T0)]))[0].base, stored[9].last + 1);
  await s.close();
  assertEquals((await Deno.stat(logPath)).size, size + numberedBatch(10, T0).length);

  // 3. a flipped byte inside batch 6 after an unclean stop (no checkpoint): CRC scan truncates from batch 6 on
  await Deno.remove(join(h.dir, "t-0", "partition.checkpoint"));
  const data = await Deno.readFile(logPath);
  let pos = 0;
  for (let i = 0; i < 6; i++) pos += stored[i].bytes.length;
  data[pos + 70] ^= 0xff;
  await Deno.writeFile(logPath, data);
  s = h.make();
  await s.open();
  assert(h.logs.some((l) => l.includes("CRC mismatch")), h.logs.join("\n"));
  assertEquals((await s.offsets("t", 0)).highWatermark, stored[6].base);
  assertEquals(await readAll(s, "t", 0, 1 << 20), stored.slice(0, 6).map((b) => b.bytes));
  assertEquals((await appendAll(s, "t", [numberedBatch(6, T0 + 6)]))[0], stored[6]);
  await s.close();
  await Deno.remove(h.dir, { recursive: true });
});

Deno.test("recovery: deleted or corrupt index files are rebuilt", async () => {
  const h = await harness();
  const opts = { segmentBytes: 3000, indexIntervalBytes: 256 };
  let s = h.make(opts);
  await s.open();
  await s.createTopic("t", 1, {});
  const stored = await appendAll(
    s,
    "t",
    Array.from({ length: 40 }, (_, i) => numberedBatch(i, T0 + i * 100, 30)),
  );
  await s.close();
  const pdir = join(h.dir, "t-0");
  const indexes = segmentFiles(pdir, ".index");
  const timeindexes = segmentFiles(pdir, ".timeindex");
  assert(indexes.length >= 3);
  const before = new Map<string, Uint8Array>();
  for (const n of [...indexes, ...timeindexes]) before.set(n, await Deno.readFile(join(pdir, n)));
  assert(before.get(indexes[0])!.length >= 16, "index has entries");
  await Deno.remove(join(pdir, indexes[0]));
  await Deno.writeFile(join(pdir, timeindexes[1]), new Uint8Array([1, 2, 3, 4, 5, 6, 7]));
  await Deno.writeFile(join(pdir, indexes[2]), new Uint8Array(16).fill(0xff));
  await Deno.remove(join(pdir, indexes[indexes.length - 1]));

  s = h.make({ ...opts, tailCacheBytesPerPartition: 0 });
  await s.open();
  await checkEveryOffset(s, "t", stored);
  assertEquals(await s.offsetForTimestamp("t", 0, T0 + 1550), {
    offset: stored[16].base,
    timestamp: T0 + 1600,
  });
  await s.close();
  for (const [n, bytes] of before) assertEquals(await Deno.readFile(join(pdir, n)), bytes, n);
  await Deno.remove(h.dir, { recursive: true });
});

async function killTest(fsync: "always" | "interval", killAfter: number): Promise<void> {
  const h = await harness();
  const script = new URL("./fixtures/storage_writer.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-ffi",
      "--allow-sys",
      script,
      h.dir,
      "1000000",
      fsync,
    ],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const acked: [number, number][] = [];
  /** Segment fsyncs the child had issued when each append was acknowledged. */
  const fsyncsAtAck: number[] = [];
  let buf = "";
  let killed = false;
  const dec = new TextDecoder();
  for await (const chunk of child.stdout) {
    buf += dec.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const m = /^(\d+) (\d+) (\d+)$/.exec(line);
      if (m) {
        acked.push([Number(m[1]), Number(m[2])]);
        fsyncsAtAck.push(Number(m[3]));
      }
    }
    if (!killed && acked.length >= killAfter) {
      child.kill("SIGKILL");
      killed = true;
    }
  }
  const status = await child.status;
  const stderr = dec.decode(await new Response(child.stderr).arrayBuffer());
  assert(killed && status.signal === "SIGKILL", `child exited: ${JSON.stringify(status)} ${stderr}`);
  assert(acked.length >= killAfter);
  // The fsync policy, which the crash cannot show (a killed process leaves the page cache to the kernel):
  // "always" issued a segment fsync between consecutive acknowledgements (appends are sequential, so every ack
  // waited for a round that started after its write); "interval" acknowledged without one most of the time.
  const withFsync = fsyncsAtAck.filter((n, i) => n > (i === 0 ? 0 : fsyncsAtAck[i - 1])).length;
  if (fsync === "always") assertEquals(withFsync, acked.length, "an fsync before every acknowledgement");
  else {
    assert(withFsync < acked.length / 4, `interval: ${withFsync} of ${acked.length} acks had a new fsync`);
    assert(fsyncsAtAck[fsyncsAtAck.length - 1] > 0, "interval: segments were fsynced in the background");
  }

  const s = h.make({ segmentBytes: 16 * 1024 });
  await s.open();
  const { highWatermark } = await s.offsets("t", 0);
  const [lastI, lastBase] = acked[acked.length - 1];
  assert(highWatermark >= lastBase + (lastI % 3) + 1, `hw ${highWatermark} < acked ${lastBase}`);
  for (const [i, base] of acked) {
    const r = await s.read("t", 0, base, 1, true);
    assertEquals(
      r.batches[0],
      withBaseOffset(numberedBatch(i, T0 + i, 40), base),
      `acked batch ${i} at ${base}`,
    );
  }
  const next = await s.append("t", 0, appendRequest([numberedBatch(0, T0)]));
  assertEquals(next.baseOffset, highWatermark);
  assert(s.partitionStats("t", 0).segments > 1);
  await s.close();
  await Deno.remove(h.dir, { recursive: true });
}

Deno.test("process crash (kill -9) with fsync interval: every acked batch survives; fsyncs are not per append", async () => {
  await killTest("interval", 1500);
});

Deno.test("process crash (kill -9) with fsync always: every acked batch survives; each ack followed an fsync", async () => {
  await killTest("always", 200);
});

Deno.test("retention by time deletes whole old segments, persists the log start offset", async () => {
  const h = await harness();
  const now = Date.now();
  let s = h.make({ segmentBytes: 600, retentionCheckIntervalMs: 3_600_000 });
  await s.open();
  await s.createTopic("t", 1, { "retention.ms": "60000" });
  const old = await appendAll(
    s,
    "t",
    Array.from({ length: 12 }, (_, i) => numberedBatch(i, now - 3_600_000 + i)),
  );
  const fresh = await appendAll(s, "t", Array.from({ length: 12 }, (_, i) => numberedBatch(i, now + i)));
  const segsBefore = s.partitionStats("t", 0).segments;
  const deleted = await s.runRetention();
  assert(deleted > 0);
  assertEquals(s.partitionStats("t", 0).segments, segsBefore - deleted);
  const { logStartOffset, highWatermark } = await s.offsets("t", 0);
  assert(logStartOffset > 0 && logStartOffset <= fresh[0].base, `log start ${logStartOffset}`);
  assertEquals(highWatermark, fresh[fresh.length - 1].last + 1);
  const firstFile = segmentFiles(join(h.dir, "t-0"), ".log")[0];
  assertEquals(Number(firstFile.slice(0, 20)), logStartOffset);
  assertEquals(await errCode(s.read("t", 0, 0, 100, true)), ErrorCode.OFFSET_OUT_OF_RANGE);
  const keptOld = old.filter((b) => b.base >= logStartOffset);
  assertEquals(await readAll(s, "t", logStartOffset, 1 << 20), [...keptOld, ...fresh].map((b) => b.bytes));
  assertEquals(await s.runRetention(), 0);
  await s.close();

  s = h.make({ segmentBytes: 600 });
  await s.open();
  assertEquals(await s.offsets("t", 0), { logStartOffset, highWatermark });
  await s.close();
  await Deno.remove(h.dir, { recursive: true });
});

Deno.test("retention by time rolls and deletes an expired active segment; periodic task runs", async () => {
  const h = await harness();
  const now = Date.now();
  const s = h.make({ segmentBytes: 100_000, retentionCheckIntervalMs: 20, retentionMs: 60_000 });
  await s.open();
  await s.createTopic("t", 1, {});
  await s.createTopic("forever", 1, { "retention.ms": "-1" });
  const old = await appendAll(s, "t", Array.from({ length: 5 }, (_, i) => numberedBatch(i, now - 3_600_000)));
  await appendAll(s, "forever", Array.from({ length: 5 }, (_, i) => numberedBatch(i, now - 3_600_000)));
  const hw = old[old.length - 1].last + 1;
  const deadline = Date.now() + 5000;
  while ((await s.offsets("t", 0)).logStartOffset < hw && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  assertEquals(await s.offsets("t", 0), { logStartOffset: hw, highWatermark: hw });
  assertEquals(s.partitionStats("t", 0), { segments: 1, bytes: 0 });
  assertEquals((await s.read("t", 0, hw, 100, true)).batches, []);
  assertEquals((await s.offsets("forever", 0)).logStartOffset, 0);
  const next = await appendAll(s, "t", [numberedBatch(1, now)]);
  assertEquals(next[0].base, hw);
  assertEquals((await s.read("t", 0, hw, 1 << 20, true)).batches, [next[0].bytes]);
  await s.close();
  await Deno.remove(h.dir, { recursive: true });
});

Deno.test("retention by bytes deletes the oldest segments while the rest stays above retention.bytes", async () => {
  const h = await harness();
  const s = h.make({ segmentBytes: 500, retentionMs: -1 });
  await s.open();
  await s.createTopic("t", 1, { "retention.bytes": "2000" });
  const stored = await appendAll(s, "t", Array.from({ length: 60 }, (_, i) => numberedBatch(i, Date.now())));
  const before = s.partitionStats("t", 0);
  assert(before.bytes > 4000);
  assert(await s.runRetention() > 0);
  const pdir = join(h.dir, "t-0");
  const sizes = segmentFiles(pdir, ".log").map((n) => Deno.statSync(join(pdir, n)).size);
  const total = sizes.reduce((a, b) => a + b, 0);
  assertEquals(s.partitionStats("t", 0).bytes, total);
  assert(total >= 2000 && total - sizes[0] < 2000, `sizes ${sizes}`);
  const { logStartOffset } = await s.offsets("t", 0);
  assertEquals(
    await readAll(s, "t", logStartOffset, 1 << 20),
    stored.filter((b) => b.base >= logStartOffset).map((b) => b.bytes),
  );
  await s.close();
  await Deno.remove(h.dir, { recursive: true });
});

Deno.test("offsetForTimestamp and maxTimestamp: exact records, compressed fallback and hook, across restart", async () => {
  const h = await harness();
  const decode = (b: Uint8Array): Promise<TimestampOffset[]> => {
    // test hook: the fake "compressed" body is really uncompressed
    const base = getInt64(b, 0);
    const baseTs = getInt64(b, 27);
    const n = getInt32(b, 57);
    return Promise.resolve([
      ...Array.from({ length: n }, (_, i) => ({ offset: base + i, timestamp: baseTs + [0, 7, 3][i] })),
    ]);
  };
  for (const hook of [undefined, decode]) {
    let s = h.make({ segmentBytes: 300, decodeTimestamps: hook });
    await s.open();
    if (s.getTopic("t")) await s.deleteTopic("t");
    await s.createTopic("t", 1, {});
    assertEquals(await s.maxTimestamp("t", 0), null);
    assertEquals(await s.offsetForTimestamp("t", 0, 0), null);
    await appendAll(s, "t", [
      buildBatch([{ value: "a", timestamp: 1000 }, { value: "b", timestamp: 1001 }, {
        value: "c",
        timestamp: 1002,
      }]),
      buildBatch([{ value: "d", timestamp: 1005 }, { value: "e", timestamp: 1003 }, {
        value: "f",
        timestamp: 1010,
      }]),
      buildBatch([{ value: "g", timestamp: 1020 }]),
      buildBatch([{ value: "h", timestamp: 1015 }]),
      // "gzip" attribute: records are not decodable without the hook
      buildBatch([{ value: "i", timestamp: 2000 }, { value: "j", timestamp: 2007 }, {
        value: "k",
        timestamp: 2003,
      }], 1),
      buildBatch([{ value: "l", timestamp: 2001 }]),
    ]);
    for (let round = 0; round < 2; round++) {
      const q = (ts: number) => s.offsetForTimestamp("t", 0, ts);
      assertEquals(await q(0), { offset: 0, timestamp: 1000 });
      assertEquals(await q(1002), { offset: 2, timestamp: 1002 });
      assertEquals(await q(1003), { offset: 3, timestamp: 1005 });
      assertEquals(await q(1006), { offset: 5, timestamp: 1010 });
      assertEquals(await q(1011), { offset: 6, timestamp: 1020 });
      assertEquals(await q(1020), { offset: 6, timestamp: 1020 });
      assertEquals(await q(2005), hook ? { offset: 9, timestamp: 2007 } : { offset: 8, timestamp: 2007 });
      assertEquals(await q(2008), null);
      assertEquals(
        await s.maxTimestamp("t", 0),
        hook ? { offset: 9, timestamp: 2007 } : { offset: 10, timestamp: 2007 },
      );
      await s.close();
      s = h.make({ segmentBytes: 300, decodeTimestamps: hook, tailCacheBytesPerPartition: 0 });
      await s.open();
    }
    await s.close();
  }
  await Deno.remove(h.dir, { recursive: true });
});

Deno.test("LogAppendTime batches: lookups use the batch timestamp; append reports it", async () => {
  const h = await harness();
  const s = h.make();
  await s.open();
  await s.createTopic("t", 1, {});
  const b = buildBatch([{ value: "a", timestamp: 5 }, { value: "b", timestamp: 9 }], 0x08);
  const r = await s.append("t", 0, appendRequest([b]));
  assertEquals(r.logAppendTime, 9);
  assertEquals(await s.offsetForTimestamp("t", 0, 7), { offset: 0, timestamp: 9 });
  assertEquals(await s.maxTimestamp("t", 0), { offset: 0, timestamp: 9 });
  const stored = (await s.read("t", 0, 0, 1000, true)).batches[0];
  assertEquals(getInt32(stored, 17) >>> 0, crc32c(stored.subarray(21)));
  await s.close();
  await Deno.remove(h.dir, { recursive: true });
});

Deno.test("segment.ms rolls by record timestamp", async () => {
  const h = await harness();
  const s = h.make();
  await s.open();
  await s.createTopic("t", 1, { "segment.ms": "1000" });
  await appendAll(s, "t", [numberedBatch(0, T0), numberedBatch(1, T0 + 900)]);
  assertEquals(s.partitionStats("t", 0).segments, 1);
  await appendAll(s, "t", [numberedBatch(2, T0 + 1500)]);
  assertEquals(s.partitionStats("t", 0).segments, 2);
  await s.close();
  await Deno.remove(h.dir, { recursive: true });
});

Deno.test("fsync always: concurrent appends group-commit, get consecutive offsets, finish on close", async () => {
  const h = await harness();
  let s = h.make({ fsync: "always", segmentBytes: 2000 });
  await s.open();
  await s.createTopic("t", 1, {});
  const batches = Array.from({ length: 100 }, (_, i) => numberedBatch(i, T0 + i));
  const results = await Promise.all(batches.map((b) => s.append("t", 0, appendRequest([b]))));
  let next = 0;
  results.forEach((r, i) => {
    assertEquals(r.baseOffset, next);
    next += getInt32(batches[i], 23) + 1;
  });
  assertEquals((await s.offsets("t", 0)).highWatermark, next);
  assertEquals(
    await readAll(s, "t", 0, 1 << 20),
    results.map((r, i) => withBaseOffset(batches[i], r.baseOffset)),
  );
  // appends still waiting for their fsync complete before close returns
  const pending = batches.slice(0, 10).map((b) => s.append("t", 0, appendRequest([b])));
  await s.close();
  assertEquals((await Promise.all(pending)).length, 10);
  assertEquals(await errCode(s.append("t", 0, appendRequest([batches[0]]))), ErrorCode.KAFKA_STORAGE_ERROR);
  s = h.make({ fsync: "always" });
  await s.open();
  const cp = JSON.parse(await Deno.readTextFile(join(h.dir, "t-0", "partition.checkpoint")));
  const hw = (await s.offsets("t", 0)).highWatermark;
  assertEquals(cp.recoveryPoint, hw);
  assertEquals(hw, next + batches.slice(0, 10).reduce((n, b) => n + getInt32(b, 23) + 1, 0));
  await s.close();
  await Deno.remove(h.dir, { recursive: true });
});

Deno.test("fsync interval: background sync advances the checkpointed recovery point", async () => {
  const h = await harness();
  const s = h.make({ fsync: "interval", fsyncIntervalMs: 10, checkpointIntervalMs: 10 });
  await s.open();
  await s.createTopic("t", 1, {});
  await appendAll(s, "t", Array.from({ length: 20 }, (_, i) => numberedBatch(i, T0)));
  const { highWatermark } = await s.offsets("t", 0);
  const cpPath = join(h.dir, "t-0", "partition.checkpoint");
  const deadline = Date.now() + 5000;
  let rp = -1;
  while (Date.now() < deadline) {
    rp = JSON.parse(await Deno.readTextFile(cpPath)).recoveryPoint;
    if (rp === highWatermark) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  assertEquals(rp, highWatermark);
  await s.close();
  await Deno.remove(h.dir, { recursive: true });
});

Deno.test("subscribe fires after appends until unsubscribed, and once more when the topic is deleted", async () => {
  const h = await harness();
  for (const fsync of ["interval", "always"] as const) {
    const s = h.make({ fsync });
    await s.open();
    await s.createTopic("t", 2, {});
    let calls = 0;
    let hwSeen = -1;
    const unsub = s.subscribe("t", 0, () => {
      calls++;
      s.offsets("t", 0).then((o) => (hwSeen = o.highWatermark));
    });
    let other = 0;
    s.subscribe("t", 1, () => other++);
    s.subscribe("t", 0, () => {
      throw new Error("listener failure is contained");
    });
    await s.append("t", 0, appendRequest([numberedBatch(0, T0)]));
    assertEquals(calls, 1);
    await new Promise((r) => setTimeout(r, 0));
    assertEquals(hwSeen, 1);
    await s.append("t", 0, appendRequest([numberedBatch(1, T0)]));
    assertEquals(calls, 2);
    unsub();
    await s.append("t", 0, appendRequest([numberedBatch(2, T0)]));
    assertEquals(calls, 2);
    assertEquals(other, 0);
    await s.deleteTopic("t");
    assertEquals(other, 1);
    await s.close();
  }
  await Deno.remove(h.dir, { recursive: true });
});

Deno.test("a data directory is locked against a second open", async () => {
  const h = await harness();
  const a = h.make();
  await a.open();
  const b = h.make();
  assertEquals(await errCode(b.open()), ErrorCode.KAFKA_STORAGE_ERROR);
  await b.close();
  await a.close();
  const c = h.make();
  await c.open();
  await c.close();
  await Deno.remove(h.dir, { recursive: true });
});

Deno.test("tail cache: a small global budget shared by partitions never changes what reads return", async () => {
  const h = await harness();
  const s = h.make({ tailCacheBytesPerPartition: 2000, tailCacheBytesTotal: 3000, segmentBytes: 1500 });
  await s.open();
  await s.createTopic("a", 1, {});
  await s.createTopic("b", 1, {});
  const sa: Stored[] = [];
  const sb: Stored[] = [];
  for (let i = 0; i < 40; i++) {
    sa.push(...await appendAll(s, "a", [numberedBatch(i, T0, i % 5 * 20)]));
    sb.push(...await appendAll(s, "b", [numberedBatch(i + 1, T0, i % 4 * 30)]));
  }
  await checkEveryOffset(s, "a", sa);
  await checkEveryOffset(s, "b", sb);
  assertEquals(await readAll(s, "a", 0, 900), sa.map((b) => b.bytes));
  await s.close();
  await Deno.remove(h.dir, { recursive: true });
});

Deno.test("disk reads: a batch larger than maxBytes comes whole with minOneBatch", async () => {
  const h = await harness();
  const s = h.make({ tailCacheBytesPerPartition: 0, indexIntervalBytes: 512 });
  await s.open();
  await s.createTopic("t", 1, {});
  const stored = await appendAll(s, "t", [
    numberedBatch(0, T0),
    numberedBatch(1, T0, 50_000),
    numberedBatch(2, T0),
    numberedBatch(3, T0, 70_000),
  ]);
  for (const b of stored) {
    assertEquals((await s.read("t", 0, b.base, 10, true)).batches, [b.bytes]);
    assertEquals((await s.read("t", 0, b.last, 10, false)).batches, []);
  }
  const two = stored[0].bytes.length + stored[1].bytes.length;
  assertEquals((await s.read("t", 0, 0, two, false)).batches, [stored[0].bytes, stored[1].bytes]);
  assertEquals((await s.read("t", 0, 0, two - 1, false)).batches, [stored[0].bytes]);
  assertEquals((await s.read("t", 0, 0, 1 << 20, false)).batches, stored.map((b) => b.bytes));
  assertEquals(
    (await s.read("t", 0, stored[1].last, 1 << 20, false)).batches,
    stored.slice(1).map((b) => b.bytes),
  );
  await s.close();
  await Deno.remove(h.dir, { recursive: true });
});

Deno.test("recovery: corruption inside an older segment truncates only that segment; reads skip the gap", async () => {
  const h = await harness();
  let s = h.make({ segmentBytes: 800 });
  await s.open();
  await s.createTopic("t", 1, {});
  const stored = await appendAll(s, "t", Array.from({ length: 30 }, (_, i) => numberedBatch(i, T0 + i)));
  await s.close();
  const pdir = join(h.dir, "t-0");
  const logs = segmentFiles(pdir, ".log");
  assert(logs.length >= 4);
  const second = Number(logs[1].slice(0, 20));
  const third = Number(logs[2].slice(0, 20));
  const victim = stored.findIndex((b) => b.base === second) + 1; // second batch of segment 2
  let pos = 0;
  for (let i = stored.findIndex((b) => b.base === second); i < victim; i++) pos += stored[i].bytes.length;
  const data = await Deno.readFile(join(pdir, logs[1]));
  data[pos + 65] ^= 0x55;
  await Deno.writeFile(join(pdir, logs[1]), data);
  await Deno.remove(join(pdir, "partition.checkpoint")); // unclean: every segment is scanned
  s = h.make({ segmentBytes: 800 });
  await s.open();
  const hw = stored[stored.length - 1].last + 1;
  assertEquals(await s.offsets("t", 0), { logStartOffset: 0, highWatermark: hw });
  // offsets lost in the gap resolve to the first batch after it
  const r = await s.read("t", 0, stored[victim].base, 1, true);
  assertEquals(getInt64(r.batches[0], 0), third);
  const kept = stored.filter((b) => b.base < stored[victim].base || b.base >= third);
  assertEquals(await readAll(s, "t", 0, 1 << 20), kept.map((b) => b.bytes));
  await s.close();
  await Deno.remove(h.dir, { recursive: true });
});

Deno.test("alterTopicConfigs and createPartitions persist and take effect", async () => {
  const h = await harness();
  let s = h.make({ segmentBytes: 1 << 20 });
  await s.open();
  const t = await s.createTopic("t", 1, {});
  await appendAll(s, "t", [numberedBatch(0, T0), numberedBatch(1, T0)]);
  assertEquals(await errCode(s.alterTopicConfigs("t", { "segment.bytes": "-5" })), ErrorCode.INVALID_CONFIG);
  assertEquals(await errCode(s.alterTopicConfigs("u", {})), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const m = await s.alterTopicConfigs("t", { "segment.bytes": "100" });
  assertEquals(m.configs, { "segment.bytes": "100" });
  await appendAll(s, "t", [numberedBatch(2, T0)]);
  assertEquals(s.partitionStats("t", 0).segments, 2);
  assertEquals(await errCode(s.createPartitions("t", 1)), ErrorCode.INVALID_PARTITIONS);
  const grown = await s.createPartitions("t", 3);
  assertEquals(grown.partitions, 3);
  assertEquals(grown.id, t.id);
  assertEquals((await s.append("t", 2, appendRequest([numberedBatch(0, T0)]))).baseOffset, 0);
  await s.close();
  s = h.make();
  await s.open();
  assertEquals(s.getTopic("t"), { name: "t", id: t.id, partitions: 3, configs: { "segment.bytes": "100" } });
  assertEquals((await s.offsets("t", 2)).highWatermark, 1);
  assertEquals((await s.offsets("t", 0)).highWatermark, 6);
  await s.close();
  await Deno.remove(h.dir, { recursive: true });
});
