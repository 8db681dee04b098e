import { EmbeddedStorage } from "../src/storage/embedded/embedded.ts";
import { appendRequest, numberedBatch } from "../tests/unit/fixtures/storage_batches.ts";
const inflight = Number(Deno.args[0] ?? 32);
const mode = Deno.args[1] ?? "interval";
const dir = "/dev/shm/prof" + Math.random();
const s = new EmbeddedStorage({ dataDir: dir, fsync: mode as "interval", log: () => {} });
await s.open();
await s.createTopic("b", 1, {});
const b = numberedBatch(0, Date.now(), 16300);
const n = 30000;
let next = 0;
const t0 = performance.now();
await Promise.all(Array.from({ length: inflight }, async () => {
  while (next < n) { next++; await s.append("b", 0, appendRequest([b])); }
}));
const ms = performance.now() - t0;
console.log(inflight, mode, (n * b.length / 1048576 / (ms / 1000)).toFixed(0), "MB/s", (ms * 1000 / n).toFixed(1), "us/append");
await s.close();
await Deno.remove(dir, { recursive: true });
