// Byte-buffer helpers shared by the record codecs and the transports.

/** The parts as one buffer: the part itself when there is one, else a copy (`total` = their summed length). */
export function concat(parts: readonly Uint8Array[], total = sumLengths(parts)): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

function sumLengths(parts: readonly Uint8Array[]): number {
  let n = 0;
  for (const p of parts) n += p.byteLength;
  return n;
}
