// HPACK (RFC 7541) for the HTTP/2 client of h2stream.ts: a decoder for the headers a gRPC server sends (status,
// trailers with grpc-status / grpc-message) and the few literal encodings the client sends.
//
// The decoder keeps the dynamic table (HEADERS of every stream share it, in the order they arrive) and decodes
// Huffman strings. The encoder writes literals without indexing and without Huffman, so the server's view of our
// table never changes. Strings are kept as latin1 (one char per octet), which keeps an entry's size (RFC 7541 4.1:
// name octets + value octets + 32) equal to its string lengths.

export class HpackError extends Error {
  override name = "HpackError";
}

/** RFC 7541 Appendix A, indices 1..61. */
const STATIC: readonly (readonly [string, string])[] = [
  [":authority", ""],
  [":method", "GET"],
  [":method", "POST"],
  [":path", "/"],
  [":path", "/index.html"],
  [":scheme", "http"],
  [":scheme", "https"],
  [":status", "200"],
  [":status", "204"],
  [":status", "206"],
  [":status", "304"],
  [":status", "400"],
  [":status", "404"],
  [":status", "500"],
  ["accept-charset", ""],
  ["accept-encoding", "gzip, deflate"],
  ["accept-language", ""],
  ["accept-ranges", ""],
  ["accept", ""],
  ["access-control-allow-origin", ""],
  ["age", ""],
  ["allow", ""],
  ["authorization", ""],
  ["cache-control", ""],
  ["content-disposition", ""],
  ["content-encoding", ""],
  ["content-language", ""],
  ["content-length", ""],
  ["content-location", ""],
  ["content-range", ""],
  ["content-type", ""],
  ["cookie", ""],
  ["date", ""],
  ["etag", ""],
  ["expect", ""],
  ["expires", ""],
  ["from", ""],
  ["host", ""],
  ["if-match", ""],
  ["if-modified-since", ""],
  ["if-none-match", ""],
  ["if-range", ""],
  ["if-unmodified-since", ""],
  ["last-modified", ""],
  ["link", ""],
  ["location", ""],
  ["max-forwards", ""],
  ["proxy-authenticate", ""],
  ["proxy-authorization", ""],
  ["range", ""],
  ["referer", ""],
  ["refresh", ""],
  ["retry-after", ""],
  ["server", ""],
  ["set-cookie", ""],
  ["strict-transport-security", ""],
  ["transfer-encoding", ""],
  ["user-agent", ""],
  ["vary", ""],
  ["via", ""],
  ["www-authenticate", ""],
];

/** RFC 7541 Appendix B: the code and bit length of symbols 0..256 (256 = EOS). */
// deno-fmt-ignore
const HUFFMAN_CODES = [
  0x1ff8, 0x7fffd8, 0xfffffe2, 0xfffffe3, 0xfffffe4, 0xfffffe5, 0xfffffe6, 0xfffffe7, 0xfffffe8, 0xffffea,
  0x3ffffffc, 0xfffffe9, 0xfffffea, 0x3ffffffd, 0xfffffeb, 0xfffffec, 0xfffffed, 0xfffffee, 0xfffffef, 0xffffff0,
  0xffffff1, 0xffffff2, 0x3ffffffe, 0xffffff3, 0xffffff4, 0xffffff5, 0xffffff6, 0xffffff7, 0xffffff8, 0xffffff9,
  0xffffffa, 0xffffffb, 0x14, 0x3f8, 0x3f9, 0xffa, 0x1ff9, 0x15, 0xf8, 0x7fa, 0x3fa, 0x3fb, 0xf9, 0x7fb, 0xfa, 0x16,
  0x17, 0x18, 0x0, 0x1, 0x2, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x5c, 0xfb, 0x7ffc, 0x20, 0xffb, 0x3fc,
  0x1ffa, 0x21, 0x5d, 0x5e, 0x5f, 0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c,
  0x6d, 0x6e, 0x6f, 0x70, 0x71, 0x72, 0xfc, 0x73, 0xfd, 0x1ffb, 0x7fff0, 0x1ffc, 0x3ffc, 0x22, 0x7ffd, 0x3, 0x23,
  0x4, 0x24, 0x5, 0x25, 0x26, 0x27, 0x6, 0x74, 0x75, 0x28, 0x29, 0x2a, 0x7, 0x2b, 0x76, 0x2c, 0x8, 0x9, 0x2d, 0x77,
  0x78, 0x79, 0x7a, 0x7b, 0x7ffe, 0x7fc, 0x3ffd, 0x1ffd, 0xffffffc, 0xfffe6, 0x3fffd2, 0xfffe7, 0xfffe8, 0x3fffd3,
  0x3fffd4, 0x3fffd5, 0x7fffd9, 0x3fffd6, 0x7fffda, 0x7fffdb, 0x7fffdc, 0x7fffdd, 0x7fffde, 0xffffeb, 0x7fffdf,
  0xffffec, 0xffffed, 0x3fffd7, 0x7fffe0, 0xffffee, 0x7fffe1, 0x7fffe2, 0x7fffe3, 0x7fffe4, 0x1fffdc, 0x3fffd8,
  0x7fffe5, 0x3fffd9, 0x7fffe6, 0x7fffe7, 0xffffef, 0x3fffda, 0x1fffdd, 0xfffe9, 0x3fffdb, 0x3fffdc, 0x7fffe8,
  0x7fffe9, 0x1fffde, 0x7fffea, 0x3fffdd, 0x3fffde, 0xfffff0, 0x1fffdf, 0x3fffdf, 0x7fffeb, 0x7fffec, 0x1fffe0,
  0x1fffe1, 0x3fffe0, 0x1fffe2, 0x7fffed, 0x3fffe1, 0x7fffee, 0x7fffef, 0xfffea, 0x3fffe2, 0x3fffe3, 0x3fffe4,
  0x7ffff0, 0x3fffe5, 0x3fffe6, 0x7ffff1, 0x3ffffe0, 0x3ffffe1, 0xfffeb, 0x7fff1, 0x3fffe7, 0x7ffff2, 0x3fffe8,
  0x1ffffec, 0x3ffffe2, 0x3ffffe3, 0x3ffffe4, 0x7ffffde, 0x7ffffdf, 0x3ffffe5, 0xfffff1, 0x1ffffed, 0x7fff2,
  0x1fffe3, 0x3ffffe6, 0x7ffffe0, 0x7ffffe1, 0x3ffffe7, 0x7ffffe2, 0xfffff2, 0x1fffe4, 0x1fffe5, 0x3ffffe8,
  0x3ffffe9, 0xffffffd, 0x7ffffe3, 0x7ffffe4, 0x7ffffe5, 0xfffec, 0xfffff3, 0xfffed, 0x1fffe6, 0x3fffe9, 0x1fffe7,
  0x1fffe8, 0x7ffff3, 0x3fffea, 0x3fffeb, 0x1ffffee, 0x1ffffef, 0xfffff4, 0xfffff5, 0x3ffffea, 0x7ffff4, 0x3ffffeb,
  0x7ffffe6, 0x3ffffec, 0x3ffffed, 0x7ffffe7, 0x7ffffe8, 0x7ffffe9, 0x7ffffea, 0x7ffffeb, 0xffffffe, 0x7ffffec,
  0x7ffffed, 0x7ffffee, 0x7ffffef, 0x7fffff0, 0x3ffffee, 0x3fffffff,
];
// deno-fmt-ignore
const HUFFMAN_LENGTHS = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28,
  28, 28, 28, 28, 6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6,
  12, 10, 13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6, 15,
  5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, 6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28, 20, 22, 20, 20,
  22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22,
  23, 22, 22, 23, 26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27, 27, 26, 27, 24,
  21, 21, 26, 26, 28, 27, 27, 27, 20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, 26, 27, 26, 26,
  27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26, 30,
];

/** For each code length, code -> symbol. */
const HUFFMAN_BY_LENGTH: Map<number, number>[] = (() => {
  const out: Map<number, number>[] = [];
  for (let len = 0; len <= 30; len++) out.push(new Map());
  for (let sym = 0; sym < HUFFMAN_CODES.length; sym++) out[HUFFMAN_LENGTHS[sym]].set(HUFFMAN_CODES[sym], sym);
  return out;
})();

function huffmanDecode(b: Uint8Array, from: number, to: number): string {
  let out = "";
  let code = 0;
  let len = 0;
  for (let i = from; i < to; i++) {
    for (let bit = 7; bit >= 0; bit--) {
      code = code * 2 + ((b[i] >> bit) & 1);
      len++;
      if (len > 30) throw new HpackError("bad Huffman code");
      const sym = HUFFMAN_BY_LENGTH[len].get(code);
      if (sym === undefined) continue;
      if (sym === 256) throw new HpackError("EOS in a Huffman string");
      out += String.fromCharCode(sym);
      code = 0;
      len = 0;
    }
  }
  // what is left is padding: fewer than 8 bits, all ones (the EOS code's prefix)
  if (len > 7 || code !== 2 ** len - 1) throw new HpackError("bad Huffman padding");
  return out;
}

export type Header = readonly [name: string, value: string];

export class HpackDecoder {
  private readonly table: Header[] = []; // newest first
  private size = 0;
  /** The most the table may hold: SETTINGS_HEADER_TABLE_SIZE we announced (RFC 7540's default 4,096). */
  private max: number;
  constructor(private readonly limit = 4096) {
    this.max = limit;
  }
  private pos = 0;

  /** Decodes one complete header block. */
  decode(b: Uint8Array): Header[] {
    const out: Header[] = [];
    this.pos = 0;
    while (this.pos < b.length) {
      const first = b[this.pos];
      if (first & 0x80) {
        out.push(this.entry(this.int(b, 7)));
      } else if (first & 0x40) {
        const h = this.literal(b, 6);
        out.push(h);
        this.add(h);
      } else if (first & 0x20) {
        const size = this.int(b, 5);
        if (size > this.limit) throw new HpackError(`table size ${size} over ${this.limit}`);
        this.max = size;
        this.evict(0);
      } else {
        out.push(this.literal(b, 4)); // without indexing / never indexed
      }
    }
    return out;
  }

  private int(b: Uint8Array, prefix: number): number {
    const mask = (1 << prefix) - 1;
    if (this.pos >= b.length) throw new HpackError("truncated integer");
    let v = b[this.pos++] & mask;
    if (v < mask) return v;
    let m = 1;
    for (;;) {
      if (this.pos >= b.length) throw new HpackError("truncated integer");
      const c = b[this.pos++];
      v += (c & 0x7f) * m;
      if (!(c & 0x80)) return v;
      m *= 128;
      if (m > 2 ** 28) throw new HpackError("integer too large");
    }
  }

  private string(b: Uint8Array): string {
    if (this.pos >= b.length) throw new HpackError("truncated string");
    const huffman = (b[this.pos] & 0x80) !== 0;
    const len = this.int(b, 7);
    const from = this.pos;
    const to = from + len;
    if (to > b.length) throw new HpackError("truncated string");
    this.pos = to;
    if (huffman) return huffmanDecode(b, from, to);
    let s = "";
    for (let i = from; i < to; i++) s += String.fromCharCode(b[i]);
    return s;
  }

  private literal(b: Uint8Array, prefix: number): Header {
    const index = this.int(b, prefix);
    const name = index === 0 ? this.string(b) : this.entry(index)[0];
    return [name, this.string(b)];
  }

  private entry(index: number): Header {
    if (index >= 1 && index <= STATIC.length) return STATIC[index - 1];
    const h = this.table[index - STATIC.length - 1];
    if (!h) throw new HpackError(`no header at index ${index}`);
    return h;
  }

  private add(h: Header): void {
    const size = h[0].length + h[1].length + 32;
    this.evict(size);
    if (size > this.max) return; // too big for the table: it empties it (RFC 7541 4.4)
    this.table.unshift(h);
    this.size += size;
  }

  /** Drops the oldest entries until `room` more octets fit. */
  private evict(room: number): void {
    while (this.table.length > 0 && this.size + room > this.max) {
      const h = this.table.pop()!;
      this.size -= h[0].length + h[1].length + 32;
    }
  }
}

/** Appends an HPACK integer with an `prefix`-bit prefix whose high bits are `flags`. */
function putInt(out: number[], flags: number, prefix: number, v: number): void {
  const mask = (1 << prefix) - 1;
  if (v < mask) {
    out.push(flags | v);
    return;
  }
  out.push(flags | mask);
  v -= mask;
  while (v >= 128) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

function putString(out: number[], s: string): void {
  putInt(out, 0, 7, s.length);
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i) & 0xff);
}

/**
 * A header block of literals without indexing (RFC 7541 6.2.2), names by static index where one exists.
 * Names and values must be ASCII.
 */
export function encodeHeaders(headers: readonly Header[]): Uint8Array {
  const out: number[] = [];
  for (const [name, value] of headers) {
    let index = 0;
    for (let i = 0; i < STATIC.length; i++) {
      if (STATIC[i][0] === name) {
        if (STATIC[i][1] === value) {
          index = -(i + 1);
          break;
        }
        if (index === 0) index = i + 1;
      }
    }
    if (index < 0) {
      putInt(out, 0x80, 7, -index); // the whole header is in the static table
      continue;
    }
    putInt(out, 0, 4, index);
    if (index === 0) putString(out, name);
    putString(out, value);
  }
  return Uint8Array.from(out);
}
