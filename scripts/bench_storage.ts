// Embedded storage micro-benchmark: append throughput (fsync interval / always, 1 and N appends in flight) with
// 16 KiB batches, then read throughput from the tail cache and from segment files (page cache).
// Usage: deno run -A scripts/bench_storage.ts [--mb=512] [--batch=16384] [--inflight=32] [--dir=/path]
import { parseArgs } from "node:util";
import { Writer } from "../src/protocol/codec.ts";
import { crc32c } from "../src/records/crc32c.ts";
import { EmbeddedStorage } from "../src/storage/embedded/embedded.ts";
import type { AppendRequest } from "../src/storage/storage.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    mb: { type: "string", default: "512" },
    batch: { type: "string", default: "16384" },
    inflight: { type: "string", default: "32" },
    dir: { type: "string" },
  },
});
const totalBytes = Number(values.mb) * 1024 * 1024;
const batchSize = Number(values.batch);
const inflight = Number(values.inflight);

/** One uncompressed batch of `batchSize` bytes: 16 records with random values. */
function makeBatch(): Uint8Array {
  const records = 16;
  const valueLen = Math.max(1, Math.floor((batchSize - 61) / records) - 12);
  const body = new Writer(batchSize);
  const value = crypto.getRandomValues(new Uint8Array(valueLen));
  for (let i = 0; i < records; i++) {
    const rec = new Writer(valueLen + 16);
    rec.int8(0).varlong(i).varint(i).varint(-1).varint(value.length).raw(value).varint(0);
    const b = rec.finish();
    body.varint(b.length).raw(b);
  }
  const recs = body.finish();
  const now = Date.now();
  const w = new Writer(61 + recs.length);
  w.int64(0).int32(49 + recs.length).int32(-1).int8(2).uint32(0).int16(0).int32(records - 1)
    .int64(now).int64(now + records - 1).int64(-1).int16(-1).int32(-1).int32(records).raw(recs);
  const out = w.finish();
  const crc = crc32c(out.subarray(21));
  out.set([crc >>> 24, (crc >>> 16) & 255, (crc >>> 8) & 255, crc & 255], 17);
  return out;
}

function request(batch: Uint8Array): AppendRequest {
  return {
    payload: batch,
    batches: [{
      pos: 0,
      size: batch.length,
      recordCount: 16,
      lastOffsetDelta: 15,
      baseTimestamp: 0,
      maxTimestamp: 0,
      attributes: 0,
      producerId: -1,
      producerEpoch: -1,
      baseSequence: -1,
    }],
  };
}

function fmt(label: string, bytes: number, batches: number, ms: number): void {
  const s = ms / 1000;
  console.log(
    `${label.padEnd(44)} ${(bytes / 1048576 / s).toFixed(0).padStart(6)} MB/s ${
      (batches / s).toFixed(0).padStart(8)
    } batches/s  (${(bytes / 1048576).toFixed(0)} MiB in ${ms.toFixed(0)} ms)`,
  );
}

const batch = makeBatch();
const count = Math.max(1, Math.floor(totalBytes / batch.length));
const root = values.dir ?? await Deno.makeTempDir({ prefix: "bench_storage_" });
console.log(`batch ${batch.length} B, ${count} batches per run, data in ${root}`);

async function appendRun(
  fsync: "always" | "interval",
  parallel: number,
  n: number,
): Promise<EmbeddedStorage> {
  const dir = `${root}/${fsync}-${parallel}`;
  const s = new EmbeddedStorage({ dataDir: dir, fsync, fsyncIntervalMs: 1000, log: () => {} });
  await s.open();
  await s.createTopic("bench", 1, {});
  const t0 = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      await s.append("bench", 0, request(batch));
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  const ms = performance.now() - t0;
  fmt(`append fsync=${fsync} inflight=${parallel}`, n * batch.length, n, ms);
  return s;
}

async function readRun(
  label: string,
  s: EmbeddedStorage,
  from: number,
  maxBytes: number,
  passes = 1,
): Promise<void> {
  const { highWatermark } = await s.offsets("bench", 0);
  let bytes = 0;
  let batches = 0;
  const t0 = performance.now();
  for (let pass = 0; pass < passes; pass++) {
    let off = from;
    while (off < highWatermark) {
      const r = await s.read("bench", 0, off, maxBytes, true);
      bytes += r.bytes;
      batches += r.batches.length;
      off += r.batches.length * 16;
    }
  }
  fmt(label, bytes, batches, performance.now() - t0);
}

/** Runs an append benchmark in a fresh directory and deletes it afterwards (page-cache pressure skews later runs). */
async function appendOnly(fsync: "always" | "interval", parallel: number, n: number): Promise<void> {
  await (await appendRun(fsync, parallel, n)).close();
  await Deno.remove(`${root}/${fsync}-${parallel}`, { recursive: true });
}

await appendOnly("interval", 1, count);
const s = await appendRun("interval", inflight, count);
// The tail cache holds the newest 32 MiB: consumers tailing the log read from memory.
const { highWatermark } = await s.offsets("bench", 0);
const cachedBatches = Math.floor((32 * 1024 * 1024) / batch.length) - 1;
const cacheStart = Math.max(0, highWatermark - cachedBatches * 16);
await readRun("read tail cache (maxBytes 1 MiB)", s, cacheStart, 1 << 20, 200);
await readRun("read tail cache (maxBytes 64 KiB)", s, cacheStart, 64 << 10, 200);
await s.close();
const cold = new EmbeddedStorage({
  dataDir: `${root}/interval-${inflight}`,
  tailCacheBytesPerPartition: 0,
  log: () => {},
});
await cold.open();
await readRun("read segment files (page cache, 1 MiB)", cold, 0, 1 << 20);
await readRun("read segment files (page cache, 64 KiB)", cold, 0, 64 << 10);
await cold.close();
await Deno.remove(`${root}/interval-${inflight}`, { recursive: true });
const alwaysCount = Math.max(1, Math.floor(count / 8));
await appendOnly("always", 1, Math.min(alwaysCount, 2000));
await appendOnly("always", inflight, alwaysCount);
await appendOnly("always", inflight * 8, alwaysCount);
console.log(`rss ${(Deno.memoryUsage().rss / 1048576).toFixed(0)} MiB`);
if (!values.dir) await Deno.remove(root, { recursive: true });
