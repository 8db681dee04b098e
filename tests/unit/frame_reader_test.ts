// The connection's frame reader (src/server/frame_reader.ts) over scripted sockets: frames split anywhere across
// reads, several in one read, each handed out as its own exact-size buffer; large frames read straight into their
// buffer; size errors, a stream ending inside a frame, the request memory budget and cancel().
import { assert, assertEquals } from "./assert.ts";
import { FrameReader, FrameTooLargeError, InvalidFrameSizeError } from "../../src/server/frame_reader.ts";

function framed(...payloads: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(payloads.reduce((n, p) => n + 4 + p.length, 0));
  let o = 0;
  for (const p of payloads) {
    new DataView(out.buffer).setInt32(o, p.length);
    out.set(p, o + 4);
    o += 4 + p.length;
  }
  return out;
}

/** A socket that delivers `bytes` in reads of the given sizes (then whatever fits), recording each buffer size asked. */
class Script {
  pos = 0;
  reads: number[] = [];
  constructor(readonly bytes: Uint8Array, readonly sizes: number[] = []) {}
  read(buf: Uint8Array): Promise<number | null> {
    this.reads.push(buf.length);
    if (this.pos >= this.bytes.length) return Promise.resolve(null);
    const want = this.sizes.shift() ?? buf.length;
    const n = Math.min(want, buf.length, this.bytes.length - this.pos);
    buf.set(this.bytes.subarray(this.pos, this.pos + n));
    this.pos += n;
    return Promise.resolve(n);
  }
}

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

Deno.test("frame reader: frames split at every position across reads come out whole, in order", async () => {
  const payloads = [bytes(5, 1), bytes(0, 0), bytes(300, 2), bytes(3, 3)];
  const stream = framed(...payloads);
  for (let cut = 1; cut < stream.length; cut++) {
    const r = new FrameReader(new Script(stream, [cut, 1, 7]), 1 << 20);
    const got: number[][] = [];
    for (let f = await r.next(); f !== null; f = await r.next()) got.push([f.length, f[0] ?? -1]);
    assertEquals(got, [[5, 1], [0, -1], [300, 2], [3, 3]], `cut at ${cut}`);
  }
});

Deno.test("frame reader: every frame is its own exact-size buffer; a large one is read straight into it", async () => {
  const big = bytes(200_000, 9);
  const src = new Script(framed(bytes(10, 1), bytes(20, 2), big));
  let reads = 0;
  const r = new FrameReader(src, 1 << 20, undefined, () => reads++);
  const a = (await r.next())!, b = (await r.next())!, c = (await r.next())!;
  for (const f of [a, b, c]) assertEquals(f.byteOffset === 0 && f.buffer.byteLength === f.length, true);
  assertEquals(c.length, big.length);
  assert(c.every((x) => x === 9), "large frame content");
  // after the first 16 KiB read, the rest of the large frame is asked for in one read into its own buffer
  assert(src.reads.some((n) => n > 150_000), `read sizes ${src.reads}`);
  assertEquals(await r.next(), null);
  assertEquals(reads, src.reads.length - 1, "activity counted per read that returned bytes");
});

Deno.test("frame reader: negative and oversized sizes, and an end inside a frame, are errors", async () => {
  const neg = new Uint8Array(4);
  new DataView(neg.buffer).setInt32(0, -1);
  let err: unknown = null;
  await new FrameReader(new Script(neg), 100).next().catch((e) => err = e);
  assert(err instanceof InvalidFrameSizeError, String(err));

  err = null;
  await new FrameReader(new Script(framed(bytes(101, 0))), 100).next().catch((e) => err = e);
  assert(err instanceof FrameTooLargeError, String(err));

  for (const cut of [2, 30]) {
    err = null;
    const partial = framed(bytes(50, 1)).subarray(0, cut);
    await new FrameReader(new Script(partial), 100).next().catch((e) => err = e);
    assert(err instanceof InvalidFrameSizeError && /inside a frame/.test(err.message), `cut ${cut}: ${err}`);
  }
});

Deno.test("frame reader: a large frame waits for its budget charge before it is read; cancel ends a pending read", async () => {
  const src = new Script(framed(bytes(100_000, 4)));
  const granted = Promise.withResolvers<void>();
  const charged: number[] = [];
  const r = new FrameReader(src, 1 << 20, {
    chargeFrame: (n) => {
      charged.push(n);
      return granted.promise;
    },
  });
  const next = r.next();
  await new Promise((res) => setTimeout(res, 10));
  assertEquals(charged, [100_000]);
  const readsBefore = src.reads.length;
  granted.resolve();
  assertEquals((await next)!.length, 100_000);
  assert(src.reads.length > readsBefore, "payload read only after the grant");

  // a socket that never answers: cancel() resolves the pending next() with null
  const hanging = new FrameReader({ read: () => new Promise<number | null>(() => {}) }, 100);
  const pending = hanging.next();
  hanging.cancel();
  assertEquals(await pending, null);
  assertEquals(await hanging.next(), null);
});

Deno.test("frame reader: reads keep nothing once their frame is out (the heap does not grow with a connection's reads)", async () => {
  const script = new URL("./fixtures/frame_reader_heap.ts", import.meta.url).pathname;
  const reads = 200_000;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--v8-flags=--expose-gc", script, String(reads)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(out.success, new TextDecoder().decode(out.stderr));
  const { growth } = JSON.parse(new TextDecoder().decode(out.stdout)) as { growth: number };
  // a reaction kept per read (as racing every read against one promise living as long as the reader did) is ~300
  // bytes each: 62 MB here
  assert(growth < 2 * 1024 * 1024, `heap grew ${growth} bytes over ${reads} reads`);
});
