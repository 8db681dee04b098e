// Kafka compression codecs: 0 none, 1 gzip (fflate), 2 snappy (xerial snappy-java framing or raw), 3 lz4 (frame
// format), 4 zstd. Decompression is bounded: every codec computes an upper bound of its output from the compressed
// framing before inflating (or inflates incrementally), so a small "bomb" cannot allocate gigabytes.
// Produce decompresses each compressed batch once to check its records (inflateBatches in batch.ts) and stores it
// compressed as the producer sent it; uncompressed batches never come here.

import { Gunzip, gzipSync } from "fflate";
import { compressFrameSync, decompressFrameSync } from "lz4-napi";
import { compressSync as snappyCompressSync, uncompressSync as snappyUncompressSync } from "snappy";
import { compress as zstdCompress, decompress as zstdDecompress } from "@mongodb-js/zstd";
import { Buffer } from "node:buffer";
import { getInt32, putInt32 } from "../protocol/codec.ts";
import { crc32 } from "./crc32.ts";
import { concat } from "./bytes.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";

export const Compression = { NONE: 0, GZIP: 1, SNAPPY: 2, LZ4: 3, ZSTD: 4 } as const;
export type Compression = typeof Compression[keyof typeof Compression];

const NAMES = ["none", "gzip", "snappy", "lz4", "zstd"];

let defaultMaxDecompressedBytes = 256 * 1024 * 1024;

/** Sets the process-wide default decompression output cap (bytes); the default is 256 MiB. */
export function setMaxDecompressedBytes(n: number): void {
  if (!(n > 0)) throw new RangeError(`max decompressed bytes must be positive, got ${n}`);
  defaultMaxDecompressedBytes = n;
}

export function getMaxDecompressedBytes(): number {
  return defaultMaxDecompressedBytes;
}

/** Name of a codec id ("gzip", ...), or "unknown(N)". */
export function compressionName(codec: number): string {
  return NAMES[codec] ?? `unknown(${codec})`;
}

function unsupported(codec: number): KafkaError {
  return new KafkaError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `unsupported compression codec ${codec}`);
}

function corrupt(codec: number, why: string): KafkaError {
  return new KafkaError(ErrorCode.CORRUPT_MESSAGE, `${compressionName(codec)} decompression failed: ${why}`);
}

function tooLarge(codec: number, n: number, limit: number): KafkaError {
  return new KafkaError(
    ErrorCode.CORRUPT_MESSAGE,
    `${compressionName(codec)} data would decompress to at least ${n} bytes, over the ${limit}-byte limit`,
  );
}

/**
 * LZ4 and zstd output bounds read from frame headers count every block at its maximum size (LZ4 up to 4 MiB,
 * zstd 128 KiB) when no content size is declared, which streaming compressors (Java's, the bindings used here)
 * leave out: a 100-byte batch "may" inflate to a whole block. Header bounds are therefore checked against the limit
 * plus this slack, so small limits do not refuse honest data; the real output is then checked against the limit.
 */
const HEADER_BOUND_SLACK = 4 * 1024 * 1024;

function boundTooLarge(codec: number, bound: number, limit: number): KafkaError {
  const name = compressionName(codec);
  return new KafkaError(
    ErrorCode.CORRUPT_MESSAGE,
    `${name} frame headers allow up to ${bound} bytes of output, over the ${limit}-byte limit`,
  );
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** A plain Uint8Array view over a native Buffer (no copy). */
function asBytes(b: Uint8Array): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

// ---------------------------------------------------------------------------------------------------------------
// Compression

/** Compresses synchronously; zstd has no synchronous binding and throws UNSUPPORTED_COMPRESSION_TYPE here. */
export function compressSync(codec: number, data: Uint8Array): Uint8Array {
  switch (codec) {
    case Compression.NONE:
      return data;
    case Compression.GZIP:
      return gzipSync(data);
    case Compression.SNAPPY:
      return xerialCompress(data);
    case Compression.LZ4:
      return asBytes(compressFrameSync(asBuffer(data)));
    case Compression.ZSTD:
      throw new KafkaError(
        ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
        "zstd has no synchronous compressor; use compress()",
      );
    default:
      throw unsupported(codec);
  }
}

/** Compresses `data` with the Kafka codec `codec` (0-4). Unknown codec → UNSUPPORTED_COMPRESSION_TYPE. */
export async function compress(codec: number, data: Uint8Array, zstdLevel = 3): Promise<Uint8Array> {
  if (codec === Compression.ZSTD) return asBytes(await zstdCompress(asBuffer(data), zstdLevel));
  return compressSync(codec, data);
}

// ---------------------------------------------------------------------------------------------------------------
// Decompression

export interface DecompressOptions {
  /** Output cap in bytes; defaults to the process-wide limit (256 MiB unless changed). */
  readonly maxBytes?: number;
}

/**
 * Decompresses `data`. Accepts raw and xerial-framed snappy, LZ4 frames with a wrong header checksum (KAFKA-1493,
 * magic 0 producers) and concatenated gzip members / lz4 / zstd frames. Corrupt input or output over the cap →
 * CORRUPT_MESSAGE; unknown codec → UNSUPPORTED_COMPRESSION_TYPE.
 */
export async function decompress(
  codec: number,
  data: Uint8Array,
  opts?: DecompressOptions,
): Promise<Uint8Array> {
  const limit = opts?.maxBytes ?? defaultMaxDecompressedBytes;
  switch (codec) {
    case Compression.NONE:
      if (data.length > limit) throw tooLarge(codec, data.length, limit);
      return data;
    case Compression.GZIP:
      return gunzipBounded(data, limit);
    case Compression.SNAPPY:
      return snappyDecompress(data, limit);
    case Compression.LZ4:
      return lz4Decompress(data, limit);
    case Compression.ZSTD:
      return await zstdDecompressBounded(data, limit);
    default:
      throw unsupported(codec);
  }
}

// --- gzip ------------------------------------------------------------------------------------------------------

/** Deflate cannot expand more than ~1032:1, so small inputs cannot exceed the limit and inflate in one call. */
const DEFLATE_MAX_RATIO = 1032;
/**
 * Input bytes per incremental push. Near the limit pushes shrink to what may still fit, so a bomb is stopped
 * within ~1 MiB (1 KiB × 1032) of the limit instead of one 16 MiB push (and fflate's growing buffers) past it.
 */
const GZIP_PUSH_MAX = 16 * 1024;
const GZIP_PUSH_MIN = 1024;

function gunzipBounded(data: Uint8Array, limit: number): Uint8Array {
  if (data.length < 18) {
    throw corrupt(Compression.GZIP, `input of ${data.length} bytes is shorter than a gzip member`);
  }
  const parts: Uint8Array[] = [];
  let total = 0;
  let lastMemberOut = 0;
  const g = new Gunzip((chunk) => {
    total += chunk.length;
    if (total > limit) throw tooLarge(Compression.GZIP, total, limit);
    parts.push(chunk);
  });
  g.onmember = () => {
    lastMemberOut = total;
  };
  try {
    if (data.length * DEFLATE_MAX_RATIO <= limit) {
      g.push(data, true);
    } else {
      for (let p = 0; p < data.length;) {
        const room = Math.floor((limit - total) / DEFLATE_MAX_RATIO);
        const end = Math.min(p + Math.max(GZIP_PUSH_MIN, Math.min(GZIP_PUSH_MAX, room)), data.length);
        g.push(data.subarray(p, end), end === data.length);
        p = end;
      }
    }
  } catch (e) {
    if (e instanceof KafkaError) throw e;
    throw corrupt(Compression.GZIP, (e as Error).message);
  }
  const out = concat(parts, total);
  // fflate does not check member trailers; check the last member's CRC32 and ISIZE (this also catches a truncated
  // trailer).
  const t = data.length - 8;
  const storedCrc = getUint32LE(data, t);
  const storedSize = getUint32LE(data, t + 4);
  const member = out.subarray(lastMemberOut);
  if (storedSize !== member.length % 4294967296 || storedCrc !== crc32(member)) {
    throw corrupt(Compression.GZIP, "member trailer CRC32/size mismatch");
  }
  return out;
}

// --- snappy ----------------------------------------------------------------------------------------------------

/** snappy-java (xerial) stream header: magic 0x82 "SNAPPY" 0x00, int32 version 1, int32 min compatible version 1. */
const XERIAL_MAGIC = [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00];
const XERIAL_HEADER_SIZE = 16;
const XERIAL_BLOCK = 32 * 1024;

export function isXerial(data: Uint8Array): boolean {
  if (data.length < XERIAL_HEADER_SIZE) return false;
  for (let i = 0; i < 8; i++) if (data[i] !== XERIAL_MAGIC[i]) return false;
  return true;
}

function xerialCompress(data: Uint8Array): Uint8Array {
  const blocks: Uint8Array[] = [];
  let total = XERIAL_HEADER_SIZE;
  for (let p = 0; p < data.length; p += XERIAL_BLOCK) {
    const b = snappyCompressSync(data.subarray(p, Math.min(p + XERIAL_BLOCK, data.length)));
    blocks.push(b);
    total += 4 + b.length;
  }
  const out = new Uint8Array(total);
  out.set(XERIAL_MAGIC, 0);
  putInt32(out, 8, 1);
  putInt32(out, 12, 1);
  let o = XERIAL_HEADER_SIZE;
  for (const b of blocks) {
    putInt32(out, o, b.length);
    out.set(b, o + 4);
    o += 4 + b.length;
  }
  return out;
}

/** Uncompressed length from a raw snappy block's uvarint preamble. */
function snappyLength(data: Uint8Array, start: number, end: number): number {
  let result = 0;
  let mul = 1;
  for (let i = start; i < end && i < start + 5; i++) {
    const b = data[i];
    result += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) return result;
    mul *= 128;
  }
  throw corrupt(Compression.SNAPPY, "bad length preamble");
}

function snappyRaw(block: Uint8Array): Uint8Array {
  try {
    return asBytes(snappyUncompressSync(block, { asBuffer: true }) as Buffer);
  } catch (e) {
    throw corrupt(Compression.SNAPPY, (e as Error).message);
  }
}

function snappyDecompress(data: Uint8Array, limit: number): Uint8Array {
  if (!isXerial(data)) {
    const n = snappyLength(data, 0, data.length);
    if (n > limit) throw tooLarge(Compression.SNAPPY, n, limit);
    return snappyRaw(data);
  }
  // Pass 1: walk the block table and add up the declared uncompressed sizes.
  let total = 0;
  let p = XERIAL_HEADER_SIZE;
  while (p < data.length) {
    if (data.length - p < 4) throw corrupt(Compression.SNAPPY, "truncated xerial block length");
    const len = getInt32(data, p);
    if (len < 0 || p + 4 + len > data.length) throw corrupt(Compression.SNAPPY, "xerial block exceeds input");
    total += snappyLength(data, p + 4, p + 4 + len);
    if (total > limit) throw tooLarge(Compression.SNAPPY, total, limit);
    p += 4 + len;
  }
  // Pass 2: inflate each block into one output buffer.
  const out = new Uint8Array(total);
  let o = 0;
  p = XERIAL_HEADER_SIZE;
  while (p < data.length) {
    const len = getInt32(data, p);
    const block = snappyRaw(data.subarray(p + 4, p + 4 + len));
    out.set(block, o);
    o += block.length;
    p += 4 + len;
  }
  if (o !== total) throw corrupt(Compression.SNAPPY, "xerial block length mismatch");
  return out;
}

// --- lz4 -------------------------------------------------------------------------------------------------------

const LZ4_MAGIC = 0x184d2204;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;

function getUint32LE(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

const P1 = 0x9e3779b1;
const P2 = 0x85ebca77;
const P3 = 0xc2b2ae3d;
const P4 = 0x27d4eb2f;
const P5 = 0x165667b1;

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function xxhRound(acc: number, input: number): number {
  return Math.imul(rotl((acc + Math.imul(input, P2)) | 0, 13), P1);
}

/** xxHash32 of b[start, end) (LZ4 frame header checksum). */
export function xxh32(b: Uint8Array, start = 0, end = b.length, seed = 0): number {
  let i = start;
  let h: number;
  if (end - start >= 16) {
    let v1 = (seed + P1 + P2) | 0;
    let v2 = (seed + P2) | 0;
    let v3 = seed | 0;
    let v4 = (seed - P1) | 0;
    while (i <= end - 16) {
      v1 = xxhRound(v1, getUint32LE(b, i));
      v2 = xxhRound(v2, getUint32LE(b, i + 4));
      v3 = xxhRound(v3, getUint32LE(b, i + 8));
      v4 = xxhRound(v4, getUint32LE(b, i + 12));
      i += 16;
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
  } else {
    h = (seed + P5) | 0;
  }
  h = (h + (end - start)) | 0;
  while (i + 4 <= end) {
    h = Math.imul(rotl((h + Math.imul(getUint32LE(b, i), P3)) | 0, 17), P4);
    i += 4;
  }
  while (i < end) {
    h = Math.imul(rotl((h + Math.imul(b[i], P5)) | 0, 11), P1);
    i++;
  }
  h ^= h >>> 15;
  h = Math.imul(h, P2);
  h ^= h >>> 13;
  h = Math.imul(h, P3);
  h ^= h >>> 16;
  return h >>> 0;
}

interface Lz4Frame {
  start: number;
  end: number;
  /** Position of the header checksum byte, and its correct value. */
  hcPos: number;
  hc: number;
}

/**
 * Walks LZ4 frames without inflating: returns the real frames (skippable ones dropped) and checks that the sum of
 * their maximum output (declared content size, else blocks × block maximum) stays within `limit` (plus the slack
 * for whole blocks).
 */
function lz4Scan(data: Uint8Array, limit: number): Lz4Frame[] {
  const frames: Lz4Frame[] = [];
  let bound = 0;
  let p = 0;
  const fail = (why: string) => corrupt(Compression.LZ4, why);
  while (p < data.length) {
    if (data.length - p < 7) throw fail("truncated frame header");
    const magic = getUint32LE(data, p);
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      if (data.length - p < 8) throw fail("truncated skippable frame");
      p += 8 + getUint32LE(data, p + 4);
      if (p > data.length) throw fail("skippable frame exceeds input");
      continue;
    }
    if (magic !== LZ4_MAGIC) throw fail(`bad frame magic 0x${magic.toString(16)}`);
    const start = p;
    const flg = data[p + 4];
    const bd = data[p + 5];
    if ((flg >> 6) !== 1) throw fail(`unsupported frame version ${flg >> 6}`);
    const blockChecksum = (flg & 0x10) !== 0;
    const hasContentSize = (flg & 0x08) !== 0;
    const contentChecksum = (flg & 0x04) !== 0;
    const hasDictId = (flg & 0x01) !== 0;
    const sizeCode = (bd >> 4) & 0x07;
    if (sizeCode < 4) throw fail(`bad block max size code ${sizeCode}`);
    const blockMax = 1 << (8 + 2 * sizeCode);
    let q = p + 6;
    let frameBound = -1;
    if (hasContentSize) {
      if (data.length - q < 8) throw fail("truncated content size");
      frameBound = getUint32LE(data, q) + getUint32LE(data, q + 4) * 4294967296;
      q += 8;
    }
    if (hasDictId) q += 4;
    if (q >= data.length) throw fail("truncated frame descriptor");
    const hc = (xxh32(data, p + 4, q) >>> 8) & 0xff;
    const hcPos = q;
    q++;
    let blocks = 0;
    for (;;) {
      if (data.length - q < 4) throw fail("truncated block header");
      const word = getUint32LE(data, q);
      q += 4;
      if (word === 0) break;
      const size = word & 0x7fffffff;
      if (size > blockMax) throw fail(`block of ${size} bytes exceeds the ${blockMax}-byte block maximum`);
      q += size + (blockChecksum ? 4 : 0);
      if (q > data.length) throw fail("block exceeds input");
      blocks++;
    }
    if (contentChecksum) q += 4;
    if (q > data.length) throw fail("truncated content checksum");
    bound += frameBound >= 0 ? frameBound : blocks * blockMax;
    if (bound > limit + HEADER_BOUND_SLACK) throw boundTooLarge(Compression.LZ4, bound, limit);
    frames.push({ start, end: q, hcPos, hc });
    p = q;
  }
  return frames;
}

function lz4Decompress(data: Uint8Array, limit: number): Uint8Array {
  const frames = lz4Scan(data, limit);
  if (frames.length === 0) throw corrupt(Compression.LZ4, "no frame");
  const parts: Uint8Array[] = [];
  let total = 0;
  for (const f of frames) {
    let frame = data.subarray(f.start, f.end);
    if (data[f.hcPos] !== f.hc) {
      // KAFKA-1493: magic 0 producers computed the header checksum over the magic number too. Accept any stored
      // value by patching a copy (integrity is covered by the message/batch CRC).
      frame = frame.slice();
      frame[f.hcPos - f.start] = f.hc;
    }
    let out: Uint8Array;
    try {
      out = asBytes(decompressFrameSync(asBuffer(frame)));
    } catch (e) {
      throw corrupt(Compression.LZ4, (e as Error).message);
    }
    total += out.length;
    if (total > limit) throw tooLarge(Compression.LZ4, total, limit);
    parts.push(out);
  }
  return concat(parts, total);
}

// --- zstd ------------------------------------------------------------------------------------------------------

const ZSTD_MAGIC = 0xfd2fb528;
const ZSTD_BLOCK_MAX = 128 * 1024;

/**
 * Upper bound of the decompressed size of all zstd frames in `data`, from frame and block headers; over `limit`
 * (plus the slack for whole blocks) → CORRUPT_MESSAGE.
 */
function zstdBound(data: Uint8Array, limit: number): number {
  let bound = 0;
  let p = 0;
  const fail = (why: string) => corrupt(Compression.ZSTD, why);
  while (p < data.length) {
    if (data.length - p < 5) throw fail("truncated frame header");
    const magic = getUint32LE(data, p);
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      if (data.length - p < 8) throw fail("truncated skippable frame");
      p += 8 + getUint32LE(data, p + 4);
      if (p > data.length) throw fail("skippable frame exceeds input");
      continue;
    }
    if (magic !== ZSTD_MAGIC) throw fail(`bad frame magic 0x${magic.toString(16)}`);
    const fhd = data[p + 4];
    let q = p + 5;
    const fcsFlag = fhd >> 6;
    const singleSegment = (fhd & 0x20) !== 0;
    const checksum = (fhd & 0x04) !== 0;
    const dictIdSize = [0, 1, 2, 4][fhd & 0x03];
    let windowSize = 0;
    if (!singleSegment) {
      if (q >= data.length) throw fail("truncated window descriptor");
      const wd = data[q++];
      const base = 2 ** (10 + (wd >> 3));
      windowSize = base + (base / 8) * (wd & 0x07);
    }
    q += dictIdSize;
    const fcsSize = fcsFlag === 0 ? (singleSegment ? 1 : 0) : [0, 2, 4, 8][fcsFlag];
    if (q + fcsSize > data.length) throw fail("truncated frame header");
    let contentSize = -1;
    if (fcsSize === 1) contentSize = data[q];
    else if (fcsSize === 2) contentSize = (data[q] | (data[q + 1] << 8)) + 256;
    else if (fcsSize === 4) contentSize = getUint32LE(data, q);
    else if (fcsSize === 8) contentSize = getUint32LE(data, q) + getUint32LE(data, q + 4) * 4294967296;
    q += fcsSize;
    if (singleSegment) windowSize = contentSize;
    const blockMax = Math.min(windowSize, ZSTD_BLOCK_MAX);
    let frameBound = 0;
    for (;;) {
      if (data.length - q < 3) throw fail("truncated block header");
      const h = data[q] | (data[q + 1] << 8) | (data[q + 2] << 16);
      q += 3;
      const last = (h & 1) !== 0;
      const type = (h >> 1) & 3;
      const size = h >>> 3;
      if (type === 0) {
        frameBound += size;
        q += size;
      } else if (type === 1) {
        frameBound += size;
        q += 1;
      } else if (type === 2) {
        frameBound += blockMax;
        q += size;
      } else {
        throw fail("reserved block type");
      }
      if (q > data.length) throw fail("block exceeds input");
      if (last) break;
    }
    if (checksum) q += 4;
    if (q > data.length) throw fail("truncated content checksum");
    if (contentSize >= 0) frameBound = Math.min(frameBound, contentSize);
    bound += frameBound;
    if (bound > limit + HEADER_BOUND_SLACK) throw boundTooLarge(Compression.ZSTD, bound, limit);
    p = q;
  }
  return bound;
}

async function zstdDecompressBounded(data: Uint8Array, limit: number): Promise<Uint8Array> {
  zstdBound(data, limit);
  let out: Uint8Array;
  try {
    out = asBytes(await zstdDecompress(asBuffer(data)));
  } catch (e) {
    throw corrupt(Compression.ZSTD, (e as Error).message);
  }
  if (out.length > limit) throw tooLarge(Compression.ZSTD, out.length, limit);
  return out;
}
