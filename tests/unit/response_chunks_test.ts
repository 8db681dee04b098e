// How a response reaches the socket: the Writer keeps stored batches by reference and joins neighbours of one buffer
// (batches read together from a segment) into one chunk; a large response's small chunks are copied together into
// writes of at most 256 KiB while large ones are written from where they are.
import { assert, assertEquals } from "./assert.ts";
import { Writer } from "../../src/protocol/codec.ts";
import { gather } from "../../src/server/connection.ts";
import { concat } from "../helpers/bytes.ts";

function filled(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
}

Deno.test("Writer: neighbouring batches of one buffer become one chunk, others stay apart", () => {
  const segmentRead = filled(30_000, 1);
  const elsewhere = filled(5_000, 2);
  const w = new Writer();
  w.int32(7);
  w.raw(segmentRead.subarray(0, 10_000));
  w.raw(segmentRead.subarray(10_000, 20_000));
  w.raw(segmentRead.subarray(20_000, 30_000));
  w.raw(elsewhere);
  w.raw(segmentRead.subarray(0, 4_000)); // same buffer, not after the last chunk
  w.int16(3);
  const expected = concat([
    Uint8Array.of(0, 0, 0, 7),
    segmentRead,
    elsewhere,
    segmentRead.subarray(0, 4_000),
    Uint8Array.of(0, 3),
  ]);
  const chunks = w.chunks();
  assertEquals(chunks.map((c) => c.length), [4, 30_000, 5_000, 4_000, 2]);
  assert(chunks[1].buffer === segmentRead.buffer, "the merged chunk is a view, not a copy");
  assertEquals(concat(chunks), expected);
});

Deno.test("gather: small chunks are written together up to 256 KiB, large ones as they are", () => {
  const prefix = Uint8Array.of(0, 1, 2, 3);
  const big = filled(100_000, 3);
  const small = Array.from({ length: 40 }, (_, i) => filled(10_000, i));
  const chunks = [small[0], small[1], big, ...small.slice(2)];
  const writes = gather(prefix, chunks);
  assertEquals(concat(writes), concat([prefix, ...chunks]));
  assertEquals(writes[0].length, 4 + 20_000, "the prefix and the small chunks before the large one");
  assert(writes[1] === big, "a large chunk is written from where it is");
  assert(writes.slice(2).every((w) => w.length <= 256 * 1024), "no write above 256 KiB");
  assertEquals(writes.length, 2 + Math.ceil((38 * 10_000) / (26 * 10_000)));
  // a response that fits COALESCE_BYTES (send() passes no large size then) is one buffer
  const one = gather(prefix, [small[0], big, small[1]], Infinity);
  assertEquals(one.length, 1);
  assertEquals(one[0], concat([prefix, small[0], big, small[1]]));
});
