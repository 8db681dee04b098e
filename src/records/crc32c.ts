// CRC32C (Castagnoli) through @node-rs/crc32's native SSE4.2/ARMv8 implementation: CRC is the first CPU wall
// of a JavaScript broker (see research notes), so it must never run in a JS table loop on the hot path.
import { crc32c as nativeCrc32c } from "@node-rs/crc32";
import { Buffer } from "node:buffer";

/** CRC32C of `buf` as an unsigned 32-bit number. */
export function crc32c(buf: Uint8Array): number {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return nativeCrc32c(b) >>> 0;
}
