// Compression codecs: round trips, hand-built frames (raw and xerial snappy, LZ4 frames with correct and KAFKA-1493
// header checksums, zstd raw/RLE blocks), interop with the platform gzip implementation, bomb limits, error codes.
import { compressFrameSync } from "lz4-napi";
import { compressSync as snappyRawCompress } from "snappy";
import { Buffer } from "node:buffer";
import {
  compress,
  compressionName,
  compressSync,
  decompress,
  isXerial,
  xxh32,
} from "../../src/records/compression.ts";
import { crc32 } from "../../src/records/crc32.ts";
import { crc32c } from "../../src/records/crc32c.ts";
import { ErrorCode, KafkaError } from "../../src/protocol/errors.ts";
import { assert, assertEquals, assertThrows } from "./assert.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function cat(...parts: (Uint8Array | number[])[]): Uint8Array {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function be32(v: number): number[] {
  return [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}

function le32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

/** Deterministic pseudo-random bytes (xorshift), mixed with runs so every codec actually compresses. */
function sample(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    if ((i >> 10) % 3 === 0) {
      out[i] = 0x61 + (i % 7);
    } else {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      out[i] = x & 0xff;
    }
  }
  return out;
}

async function code(p: Promise<unknown>): Promise<number> {
  try {
    await p;
  } catch (e) {
    if (e instanceof KafkaError) return e.code;
    throw e;
  }
  throw new Error("expected a KafkaError");
}

Deno.test("CRC check values: CRC32C and CRC32 of '123456789'", () => {
  const s = enc.encode("123456789");
  assertEquals(crc32c(s), 0xe3069283);
  assertEquals(crc32(s), 0xcbf43926);
  assertEquals(crc32(new Uint8Array(0)), 0);
  // Views with a non-zero byteOffset.
  const padded = cat([9, 9, 9], s, [7]);
  assertEquals(crc32(padded.subarray(3, 12)), 0xcbf43926);
  assertEquals(crc32c(padded.subarray(3, 12)), 0xe3069283);
});

Deno.test("xxh32 reference values", () => {
  assertEquals(xxh32(new Uint8Array(0)), 0x02cc5d05);
  assertEquals(xxh32(enc.encode("abc")), 0x32d153ff);
  assertEquals(xxh32(enc.encode("Nobody inspects the spammish repetition")), 0xe2293b2f);
});

Deno.test("codec names", () => {
  assertEquals([0, 1, 2, 3, 4].map(compressionName), ["none", "gzip", "snappy", "lz4", "zstd"]);
  assertEquals(compressionName(7), "unknown(7)");
});

Deno.test("round trip every codec at several sizes", async () => {
  for (const codec of [0, 1, 2, 3, 4]) {
    for (const n of [0, 1, 100, 70_000, 300_000]) {
      const data = sample(n, n + codec + 1);
      const c = await compress(codec, data);
      const d = await decompress(codec, c);
      assertEquals(d.length, n, `codec ${codec} size ${n}`);
      assertEquals(d, data, `codec ${codec} size ${n}`);
      if (codec !== 4) assertEquals(await decompress(codec, compressSync(codec, data)), data);
    }
  }
});

Deno.test("unknown codec → UNSUPPORTED_COMPRESSION_TYPE; zstd has no sync compressor", async () => {
  assertEquals(await code(compress(5, new Uint8Array(1))), ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
  assertEquals(await code(decompress(7, new Uint8Array(1))), ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
  const e = assertThrows(() => compressSync(4, new Uint8Array(1)), KafkaError) as KafkaError;
  assertEquals(e.code, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
});

Deno.test("corrupt input → CORRUPT_MESSAGE for every codec", async () => {
  const junk = enc.encode("this is definitely not compressed data!!");
  for (const codec of [1, 2, 3, 4]) {
    assertEquals(await code(decompress(codec, junk)), ErrorCode.CORRUPT_MESSAGE, `codec ${codec}`);
    const good = await compress(codec, sample(5000));
    assertEquals(
      await code(decompress(codec, good.subarray(0, good.length - 7))),
      ErrorCode.CORRUPT_MESSAGE,
      `truncated codec ${codec}`,
    );
  }
  assertEquals(await code(decompress(1, new Uint8Array(0))), ErrorCode.CORRUPT_MESSAGE);
});

// --- gzip ---------------------------------------------------------------------------------------------------------

async function platformStream(
  data: Uint8Array,
  s: CompressionStream | DecompressionStream,
): Promise<Uint8Array> {
  const out = await new Response(new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(s))
    .arrayBuffer();
  return new Uint8Array(out);
}

Deno.test("gzip interop: fflate output is standard gzip and platform gzip decodes here", async () => {
  const data = sample(100_000);
  const c = await compress(1, data);
  assertEquals([c[0], c[1], c[2]], [0x1f, 0x8b, 0x08]);
  assertEquals(await platformStream(c, new DecompressionStream("gzip")), data);
  const platform = await platformStream(data, new CompressionStream("gzip"));
  assertEquals(await decompress(1, platform), data);
  // Concatenated gzip members decode to the concatenation (java.util.zip.GZIPInputStream does the same).
  const two = cat(await compress(1, enc.encode("abc")), await compress(1, enc.encode("def")));
  assertEquals(dec.decode(await decompress(1, two)), "abcdef");
  // Large members decoded through the incremental (capped) path; the last member's trailer is still checked.
  const a = sample(300_000, 5);
  const b = sample(300_000, 6);
  const big = cat(await compress(1, a), await compress(1, b));
  assert(big.length * 1032 > 1_000_000);
  assertEquals(await decompress(1, big, { maxBytes: 1_000_000 }), cat(a, b));
  // A wrong trailer CRC is corrupt.
  const bad = c.slice();
  bad[bad.length - 6] ^= 1;
  assertEquals(await code(decompress(1, bad)), ErrorCode.CORRUPT_MESSAGE);
});

Deno.test("gzip bomb is capped", async () => {
  const zeros = new Uint8Array(8 * 1024 * 1024);
  const c = await compress(1, zeros);
  assert(c.length < 64 * 1024);
  assertEquals(await code(decompress(1, c, { maxBytes: 1024 * 1024 })), ErrorCode.CORRUPT_MESSAGE);
  assertEquals((await decompress(1, c, { maxBytes: 8 * 1024 * 1024 })).length, zeros.length);
});

// --- snappy -------------------------------------------------------------------------------------------------------

const XERIAL_HEADER = [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, ...be32(1), ...be32(1)];

Deno.test("snappy: hand-built raw block and xerial stream both decode", async () => {
  // Raw snappy: uvarint length 5, literal tag ((5-1) << 2), "hello".
  const raw = new Uint8Array([0x05, 0x10, ...enc.encode("hello")]);
  assertEquals(dec.decode(await decompress(2, raw)), "hello");
  // xerial: header, then [int32 length][raw block] twice.
  const raw2 = new Uint8Array([0x06, 0x14, ...enc.encode(" world")]);
  const xerial = cat(XERIAL_HEADER, be32(raw.length), raw, be32(raw2.length), raw2);
  assert(isXerial(xerial));
  assert(!isXerial(raw));
  assertEquals(dec.decode(await decompress(2, xerial)), "hello world");
  // Header only: empty payload.
  assertEquals((await decompress(2, new Uint8Array(XERIAL_HEADER))).length, 0);
  // A truncated xerial block table is corrupt.
  assertEquals(await code(decompress(2, xerial.subarray(0, xerial.length - 2))), ErrorCode.CORRUPT_MESSAGE);
});

Deno.test("snappy: compress writes xerial framing in 32 KiB blocks", async () => {
  const data = sample(100_000);
  const c = await compress(2, data);
  assert(isXerial(c));
  assertEquals(Array.from(c.subarray(0, 16)), XERIAL_HEADER);
  let p = 16;
  let blocks = 0;
  const parts: Uint8Array[] = [];
  while (p < c.length) {
    const len = new DataView(c.buffer, c.byteOffset).getInt32(p);
    parts.push(c.subarray(p + 4, p + 4 + len));
    p += 4 + len;
    blocks++;
  }
  assertEquals(blocks, 4); // 3 × 32 KiB + remainder
  // Each block is a standalone raw snappy block.
  const joined = cat(...await Promise.all(parts.map((b) => decompress(2, b))));
  assertEquals(joined, data);
  // Raw one-shot snappy (what some clients send) decodes too.
  assertEquals(await decompress(2, new Uint8Array(snappyRawCompress(data))), data);
});

Deno.test("snappy bomb is rejected from the length preamble", async () => {
  // Raw block claiming 2^28 bytes.
  const raw = new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x01, 0x00]);
  assertEquals(await code(decompress(2, raw, { maxBytes: 1 << 20 })), ErrorCode.CORRUPT_MESSAGE);
  const block = new Uint8Array(snappyRawCompress(new Uint8Array(600_000)));
  const xerial = cat(XERIAL_HEADER, be32(block.length), block, be32(block.length), block);
  assertEquals(await code(decompress(2, xerial, { maxBytes: 1_000_000 })), ErrorCode.CORRUPT_MESSAGE);
  assertEquals((await decompress(2, xerial, { maxBytes: 1_200_000 })).length, 1_200_000);
});

// --- lz4 ----------------------------------------------------------------------------------------------------------

const LZ4_MAGIC = [0x04, 0x22, 0x4d, 0x18];

/** A frame with one uncompressed block; `hc` overrides the header checksum byte. */
function lz4StoredFrame(payload: Uint8Array, hc?: number): Uint8Array {
  const desc = [0x60, 0x40]; // version 01, independent blocks; 64 KiB max block
  const good = (xxh32(new Uint8Array(desc)) >>> 8) & 0xff;
  return cat(LZ4_MAGIC, desc, [hc ?? good], le32((payload.length | 0x80000000) >>> 0), payload, le32(0));
}

Deno.test("lz4: hand-built frame with an uncompressed block decodes", async () => {
  const frame = lz4StoredFrame(enc.encode("kafka lz4"));
  assertEquals(frame[6], 0x82); // matches lz4-napi's header checksum for the same descriptor
  assertEquals(dec.decode(await decompress(3, frame)), "kafka lz4");
  // Two concatenated frames plus a skippable frame.
  const skippable = cat(le32(0x184d2a53), le32(3), [1, 2, 3]);
  const multi = cat(frame, skippable, lz4StoredFrame(enc.encode("!")));
  assertEquals(dec.decode(await decompress(3, multi)), "kafka lz4!");
});

Deno.test("lz4: KAFKA-1493 header checksum (computed over magic + descriptor) is accepted", async () => {
  const desc = cat(LZ4_MAGIC, [0x60, 0x40]);
  const broken = (xxh32(desc) >>> 8) & 0xff;
  const correct = (xxh32(desc, 4) >>> 8) & 0xff;
  assert(broken !== correct);
  assertEquals(dec.decode(await decompress(3, lz4StoredFrame(enc.encode("old"), broken))), "old");
  // Same for a real compressed frame (lz4-napi writes a correct checksum; patch it to the broken one).
  const data = sample(200_000);
  const frame = new Uint8Array(compressFrameSync(Buffer.from(data)));
  const flg = frame[4];
  assertEquals(flg & 0x09, 0); // no content size, no dict id: HC at byte 6
  frame[6] = (xxh32(frame, 0, 6) >>> 8) & 0xff;
  assertEquals(await decompress(3, frame), data);
  frame[6] ^= 0x55; // any value is accepted; integrity is the message CRC's job
  assertEquals(await decompress(3, frame), data);
});

Deno.test("lz4 bomb is rejected from the block table", async () => {
  const data = new Uint8Array(4 * 1024 * 1024);
  const frame = await compress(3, data);
  assertEquals(await code(decompress(3, frame, { maxBytes: 1024 * 1024 })), ErrorCode.CORRUPT_MESSAGE);
  assertEquals((await decompress(3, frame, { maxBytes: 4 * 1024 * 1024 })).length, data.length);
  // Declared content size over the cap.
  const withSize = cat(LZ4_MAGIC, [0x68, 0x40], [0, 0, 0, 0x40, 0, 0, 0, 0], [0], le32(0));
  assertEquals(await code(decompress(3, withSize, { maxBytes: 1 << 20 })), ErrorCode.CORRUPT_MESSAGE);
});

// --- zstd ---------------------------------------------------------------------------------------------------------

const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

function zstdBlockHeader(last: boolean, type: number, size: number): number[] {
  const h = (last ? 1 : 0) | (type << 1) | (size << 3);
  return [h & 0xff, (h >>> 8) & 0xff, (h >>> 16) & 0xff];
}

Deno.test("zstd: hand-built frames with raw and RLE blocks decode", async () => {
  // Single segment, 1-byte content size 8: raw "hello" + RLE "!!!".
  const frame = cat(
    ZSTD_MAGIC,
    [0x20, 8],
    zstdBlockHeader(false, 0, 5),
    enc.encode("hello"),
    zstdBlockHeader(true, 1, 3),
    [
      0x21,
    ],
  );
  assertEquals(dec.decode(await decompress(4, frame)), "hello!!!");
  const real = await compress(4, sample(1000));
  assertEquals(real.subarray(0, 4), new Uint8Array(ZSTD_MAGIC));
  assertEquals(await decompress(4, cat(frame, real)), cat(enc.encode("hello!!!"), sample(1000)));
});

Deno.test("zstd bomb is rejected from frame and block headers", async () => {
  // No content size, 128 KiB window, 64 RLE blocks of 128 KiB = 8 MiB from ~270 bytes.
  const blocks: number[] = [];
  for (let i = 0; i < 64; i++) blocks.push(...zstdBlockHeader(i === 63, 1, 128 * 1024), 0);
  const bomb = cat(ZSTD_MAGIC, [0x00, (17 - 10) << 3], blocks);
  assert(bomb.length < 300);
  assertEquals(await code(decompress(4, bomb, { maxBytes: 1 << 20 })), ErrorCode.CORRUPT_MESSAGE);
  assertEquals((await decompress(4, bomb, { maxBytes: 8 << 20 })).length, 8 << 20);
  // Declared content size over the cap.
  const big = await compress(4, new Uint8Array(3 << 20));
  assertEquals(await code(decompress(4, big, { maxBytes: 1 << 20 })), ErrorCode.CORRUPT_MESSAGE);
});

Deno.test("codec none honours the cap too", async () => {
  assertEquals(await code(decompress(0, new Uint8Array(10), { maxBytes: 5 })), ErrorCode.CORRUPT_MESSAGE);
  assertEquals((await decompress(0, new Uint8Array(10))).length, 10);
});
