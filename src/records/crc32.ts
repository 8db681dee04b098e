// CRC32 (IEEE 802.3, the zlib polynomial) for legacy message sets (magic 0 and 1). Like crc32c.ts it goes through
// @node-rs/crc32's native implementation (hardware-assisted), which is faster than any JS table loop.
import { crc32 as nativeCrc32 } from "@node-rs/crc32";
import { Buffer } from "node:buffer";

/** CRC32 (IEEE) of `buf` as an unsigned 32-bit number. */
export function crc32(buf: Uint8Array): number {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return nativeCrc32(b) >>> 0;
}
