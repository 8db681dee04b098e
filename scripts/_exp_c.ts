import * as fs from "node:fs";
const dir = await Deno.makeTempDir({ dir: "/work/main" });
for (const sz of [4096, 16384, 65536, 262144, 1048576]) {
  const buf = new Uint8Array(sz).fill(7);
  const N = Math.floor(512 * 1048576 / sz);
  const f = await Deno.open(dir + "/x" + sz, { write: true, create: true, append: true });
  let t0 = performance.now();
  for (let i = 0; i < N; i++) { let o = 0; while (o < buf.length) o += f.writeSync(buf.subarray(o)); }
  let dt = performance.now() - t0;
  console.log("deno writeSync", sz, (N * sz / 1048576 / (dt / 1000)).toFixed(0), "MB/s", (dt * 1000 / N).toFixed(1), "us/op");
  f.close();
  // overwrite existing
  const g = await Deno.open(dir + "/x" + sz, { write: true });
  t0 = performance.now();
  for (let i = 0; i < N; i++) { let o = 0; while (o < buf.length) o += g.writeSync(buf.subarray(o)); }
  dt = performance.now() - t0;
  console.log("  overwrite", (N * sz / 1048576 / (dt / 1000)).toFixed(0), "MB/s");
  g.close();
  const fd = fs.openSync(dir + "/n" + sz, "a");
  t0 = performance.now();
  for (let i = 0; i < N; i++) fs.writeSync(fd, buf);
  dt = performance.now() - t0;
  console.log("  node writeSync", (N * sz / 1048576 / (dt / 1000)).toFixed(0), "MB/s");
  fs.closeSync(fd);
  await Deno.remove(dir + "/x" + sz); await Deno.remove(dir + "/n" + sz);
}
await Deno.remove(dir, { recursive: true });
