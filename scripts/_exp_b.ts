import { crc32c } from "../src/records/crc32c.ts";
console.log(crc32c(new TextEncoder().encode("123456789")).toString(16));
const dir = await Deno.makeTempDir();
const d = await Deno.open(dir, { read: true });
d.syncSync(); await d.syncData(); d.close();
console.log("dir fsync ok");
const buf = new Uint8Array(16384).fill(7);
const N = 20000;
for (const mode of ["sync", "async"]) {
  const f = await Deno.open(dir + "/x" + mode, { write: true, create: true, append: true });
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    if (mode === "sync") { let o = 0; while (o < buf.length) o += f.writeSync(buf.subarray(o)); }
    else { let o = 0; while (o < buf.length) o += await f.write(buf.subarray(o)); }
  }
  const dt = performance.now() - t0;
  console.log(mode, (N * 16384 / 1048576 / (dt / 1000)).toFixed(0), "MB/s", (dt * 1000 / N).toFixed(1), "us/op");
  f.close();
}
// read: sync seek+read vs async
const r = await Deno.open(dir + "/xsync", { read: true });
const rb = new Uint8Array(1 << 20);
let t0 = performance.now();
for (let i = 0; i < 300; i++) { r.seekSync((i % 300) * (1 << 20), Deno.SeekMode.Start); let o = 0; while (o < rb.length) { const n = r.readSync(rb.subarray(o)); if (!n) break; o += n; } }
let dt = performance.now() - t0;
console.log("readSync 1MiB", (300 / (dt / 1000)).toFixed(0), "MB/s");
t0 = performance.now();
for (let i = 0; i < 300; i++) { await r.seek((i % 300) * (1 << 20), Deno.SeekMode.Start); let o = 0; while (o < rb.length) { const n = await r.read(rb.subarray(o)); if (!n) break; o += n; } }
dt = performance.now() - t0;
console.log("read async 1MiB", (300 / (dt / 1000)).toFixed(0), "MB/s");
const f = await Deno.open(dir + "/y", { write: true, create: true, append: true });
t0 = performance.now();
for (let i = 0; i < 200; i++) { f.writeSync(buf); await f.syncData(); }
dt = performance.now() - t0;
console.log("write+fdatasync", (dt * 1000 / 200).toFixed(0), "us/op");
await Deno.remove(dir, { recursive: true });
