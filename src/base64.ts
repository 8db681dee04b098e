// Base64 for bytes kept in JSON (filer documents, stored group state) and Kafka's random Uuid text.

export function toBase64(b: Uint8Array): string {
  let s = "";
  // In chunks: String.fromCharCode(...b) of a large array overflows the call stack.
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
}

export function fromBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Kafka's Uuid.randomUuid().toString(): 16 random bytes as 22 url-safe base64 characters (cluster and member ids). */
export function randomKafkaUuid(): string {
  return toBase64(crypto.getRandomValues(new Uint8Array(16))).replaceAll("+", "-").replaceAll("/", "_")
    .replace(/=+$/, "");
}
