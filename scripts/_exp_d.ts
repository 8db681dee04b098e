const dir = await Deno.makeTempDir({ dir: "/work/main" });
const sz = 16384; const buf = new Uint8Array(sz).fill(7);
const N = Math.floor(1024 * 1048576 / sz);
for (const mode of ["append", "sparse", "append", "sparse"]) {
  const p = dir + "/x";
  const f = await Deno.open(p, { write: true, create: true, append: mode === "append" });
  if (mode === "sparse") f.truncateSync(N * sz);
  const t0 = performance.now();
  for (let i = 0; i < N; i++) { let o = 0; while (o < buf.length) o += f.writeSync(buf.subarray(o)); }
  const dt = performance.now() - t0;
  console.log(mode, (N * sz / 1048576 / (dt / 1000)).toFixed(0), "MB/s", (dt * 1000 / N).toFixed(1), "us/op");
  f.close(); await Deno.remove(p);
}
await Deno.remove(dir, { recursive: true });
