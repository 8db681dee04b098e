// Micro-benchmark: validateBatches throughput on ~16 KiB RecordBatch v2 batches of 100-byte records.
// Run: deno run --allow-read --allow-env --allow-ffi --allow-sys scripts/bench_records.ts
import { buildBatch, validateBatches } from "../src/records/batch.ts";
import { crc32c } from "../src/records/crc32c.ts";
import type { RecordInput } from "../src/records/record.ts";

const BATCH_TARGET = 16 * 1024;
const RECORD_BYTES = 100; // key + value
const DISTINCT = 64; // distinct batches cycled through, so the working set is ~1 MiB (L2-ish, not one hot line)

async function makeBatch(seed: number, compression: number): Promise<Uint8Array> {
  const records: RecordInput[] = [];
  let approx = 61;
  let x = seed * 2654435761 >>> 0;
  while (approx < BATCH_TARGET - 120) {
    const key = new Uint8Array(10);
    const value = new Uint8Array(RECORD_BYTES - key.length);
    for (let i = 0; i < value.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      value[i] = 0x20 + ((x >>> 0) % 64);
    }
    key.set(new TextEncoder().encode(`k${records.length}`.padEnd(10, "-")));
    records.push({ key, value, timestamp: 1_700_000_000_000 + records.length });
    approx += RECORD_BYTES + 10;
  }
  return await buildBatch({ records, compression, producerId: 1, producerEpoch: 0, baseSequence: 0 });
}

function bench(name: string, batches: Uint8Array[], fn: (b: Uint8Array) => void, seconds = 2): void {
  for (let i = 0; i < 2000; i++) fn(batches[i % batches.length]); // warm-up
  let n = 0;
  let bytes = 0;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < 256; i++) {
      const b = batches[n % batches.length];
      fn(b);
      bytes += b.length;
      n++;
    }
    now = performance.now();
  }
  const secs = (now - start) / 1000;
  console.log(
    `${name.padEnd(44)} ${(bytes / secs / 1e6).toFixed(0).padStart(6)} MB/s  ${
      (n / secs).toFixed(0).padStart(8)
    } batches/s  ${(secs / n * 1e6).toFixed(2)} µs/batch`,
  );
}

const plain = await Promise.all(Array.from({ length: DISTINCT }, (_, i) => makeBatch(i + 1, 0)));
const zstd = await Promise.all(Array.from({ length: DISTINCT }, (_, i) => makeBatch(i + 1, 4)));
const info = validateBatches(plain[0])[0];
console.log(
  `batch: ${
    plain[0].length
  } bytes, ${info.recordCount} records of ${RECORD_BYTES} B (key+value); zstd batch ${zstd[0].length} bytes`,
);

let sink = 0;
bench("validateBatches, uncompressed (CRC + walk)", plain, (b) => {
  sink += validateBatches(b).length;
});
bench("validateBatches, zstd (CRC + header only)", zstd, (b) => {
  sink += validateBatches(b).length;
});
bench("crc32c alone over the same batches", plain, (b) => {
  sink += crc32c(b.subarray(21));
});
const big = new Uint8Array(plain.reduce((a, b) => a + b.length, 0));
let o = 0;
for (const b of plain) {
  big.set(b, o);
  o += b.length;
}
bench(`validateBatches, ${DISTINCT} batches in one payload`, [big], (b) => {
  sink += validateBatches(b).length;
});
if (sink === 42) console.log("");
