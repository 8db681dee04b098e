// Wire primitives: the one codec every message, header and record path uses.
// int64 values are JavaScript numbers: offsets, timestamps and producer ids stay far below 2^53, and numbers
// avoid BigInt allocation on hot paths. Values above 2^53 lose precision (documented limit).

const TEXT_DECODER = new TextDecoder("utf-8", { fatal: false });
const TEXT_ENCODER = new TextEncoder();
const TWO_32 = 4294967296;

/** Thrown when a request is truncated or structurally invalid; the connection loop closes that connection. */
export class DecodeError extends Error {
  override name = "DecodeError";
}

export class Reader {
  readonly view: DataView;
  pos: number;
  readonly end: number;

  constructor(readonly buf: Uint8Array, start = 0, end = buf.length) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  need(n: number): void {
    if (n < 0 || this.pos + n > this.end) {
      throw new DecodeError(`truncated: need ${n} bytes at ${this.pos}, have ${this.end - this.pos}`);
    }
  }

  int8(): number {
    this.need(1);
    return this.view.getInt8(this.pos++);
  }
  uint8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }
  bool(): boolean {
    return this.int8() !== 0;
  }
  int16(): number {
    this.need(2);
    const v = this.view.getInt16(this.pos);
    this.pos += 2;
    return v;
  }
  uint16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }
  int32(): number {
    this.need(4);
    const v = this.view.getInt32(this.pos);
    this.pos += 4;
    return v;
  }
  uint32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }
  int64(): number {
    this.need(8);
    const hi = this.view.getInt32(this.pos);
    const lo = this.view.getUint32(this.pos + 4);
    this.pos += 8;
    return hi * TWO_32 + lo;
  }
  float64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos);
    this.pos += 8;
    return v;
  }

  /** Unsigned LEB128 varint (compact lengths, tagged fields); at most 5 bytes. */
  uvarint(): number {
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      this.need(1);
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
    throw new DecodeError("uvarint longer than 5 bytes");
  }
  /** Zigzag signed varint (record fields). */
  varint(): number {
    const u = this.uvarint();
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }
  /** Zigzag signed varlong, up to 10 bytes; precise up to 2^53. */
  varlong(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      this.need(1);
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
      mul *= 128;
    }
    throw new DecodeError("varlong longer than 10 bytes");
  }

  raw(n: number): Uint8Array {
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  private text(n: number): string {
    this.need(n);
    const start = this.pos;
    this.pos += n;
    // ASCII fast path: topic names, client ids and config keys are almost always ASCII.
    if (n < 64) {
      let s = "";
      for (let i = start; i < start + n; i++) {
        const c = this.buf[i];
        if (c > 127) return TEXT_DECODER.decode(this.buf.subarray(start, start + n));
        s += String.fromCharCode(c);
      }
      return s;
    }
    return TEXT_DECODER.decode(this.buf.subarray(start, start + n));
  }

  string(): string {
    const n = this.int16();
    if (n < 0) throw new DecodeError("non-nullable string is null");
    return this.text(n);
  }
  nullableString(): string | null {
    const n = this.int16();
    return n < 0 ? null : this.text(n);
  }
  compactString(): string {
    const n = this.uvarint();
    if (n === 0) throw new DecodeError("non-nullable compact string is null");
    return this.text(n - 1);
  }
  compactNullableString(): string | null {
    const n = this.uvarint();
    return n === 0 ? null : this.text(n - 1);
  }
  bytes(): Uint8Array | null {
    const n = this.int32();
    return n < 0 ? null : this.raw(n);
  }
  compactBytes(): Uint8Array | null {
    const n = this.uvarint();
    return n === 0 ? null : this.raw(n - 1);
  }
  uuid(): string {
    const b = this.raw(16);
    let s = "";
    for (let i = 0; i < 16; i++) s += HEX[b[i]];
    return s;
  }
  /** Array length: int32 (-1 = null) or compact uvarint (0 = null). Guards against absurd counts. */
  arrayLength(compact: boolean): number {
    const n = compact ? this.uvarint() - 1 : this.int32();
    if (n > this.remaining) {
      throw new DecodeError(`array length ${n} exceeds remaining ${this.remaining} bytes`);
    }
    return n;
  }
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
export const ZERO_UUID = "00000000000000000000000000000000";

/** Byte length of a string in UTF-8 without encoding it when it is ASCII. */
function utf8Length(s: string): number {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 127) return TEXT_ENCODER.encode(s).length;
  }
  return s.length;
}

/**
 * Growable writer. Large byte payloads (record batches) are kept by reference as separate chunks, so a Fetch
 * response never copies stored batches; `chunks()` returns the pieces in order for a vectored write.
 */
export class Writer {
  private buf: Uint8Array;
  private view: DataView;
  pos = 0;
  private readonly done: Uint8Array[] = [];
  private doneBytes = 0;
  static readonly REF_THRESHOLD = 2048;

  constructor(initial = 1024) {
    this.buf = new Uint8Array(initial);
    this.view = new DataView(this.buf.buffer);
  }

  /** Total bytes written so far, including referenced chunks. */
  get length(): number {
    return this.doneBytes + this.pos;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  int8(v: number): this {
    this.ensure(1);
    this.view.setInt8(this.pos++, v);
    return this;
  }
  bool(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }
  int16(v: number): this {
    this.ensure(2);
    this.view.setInt16(this.pos, v);
    this.pos += 2;
    return this;
  }
  uint16(v: number): this {
    this.ensure(2);
    this.view.setUint16(this.pos, v);
    this.pos += 2;
    return this;
  }
  int32(v: number): this {
    this.ensure(4);
    this.view.setInt32(this.pos, v);
    this.pos += 4;
    return this;
  }
  uint32(v: number): this {
    this.ensure(4);
    this.view.setUint32(this.pos, v >>> 0);
    this.pos += 4;
    return this;
  }
  int64(v: number): this {
    this.ensure(8);
    const hi = Math.floor(v / TWO_32);
    this.view.setInt32(this.pos, hi);
    this.view.setUint32(this.pos + 4, v - hi * TWO_32);
    this.pos += 8;
    return this;
  }
  float64(v: number): this {
    this.ensure(8);
    this.view.setFloat64(this.pos, v);
    this.pos += 8;
    return this;
  }
  uvarint(v: number): this {
    this.ensure(5);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
    return this;
  }
  varint(v: number): this {
    return this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
  }
  varlong(v: number): this {
    let u = v >= 0 ? v * 2 : -v * 2 - 1;
    this.ensure(10);
    while (u >= 0x80) {
      this.buf[this.pos++] = (u % 128) | 0x80;
      u = Math.floor(u / 128);
    }
    this.buf[this.pos++] = u;
    return this;
  }

  /** Copies small payloads; keeps large ones by reference (zero-copy). */
  raw(b: Uint8Array): this {
    if (b.length >= Writer.REF_THRESHOLD) {
      this.flushBuf();
      // Batches read together from a segment are neighbours in one buffer: one chunk, so one write.
      const last = this.done.length > 0 ? this.done[this.done.length - 1] : undefined;
      if (last !== undefined && last.buffer === b.buffer && last.byteOffset + last.length === b.byteOffset) {
        this.done[this.done.length - 1] = new Uint8Array(b.buffer, last.byteOffset, last.length + b.length);
      } else this.done.push(b);
      this.doneBytes += b.length;
      return this;
    }
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  private flushBuf(): void {
    if (this.pos === 0) return;
    this.done.push(this.buf.subarray(0, this.pos));
    this.doneBytes += this.pos;
    this.buf = new Uint8Array(Math.max(256, this.buf.length - this.pos));
    this.view = new DataView(this.buf.buffer);
    this.pos = 0;
  }

  private text(s: string, n: number): void {
    this.ensure(n);
    if (n === s.length) {
      for (let i = 0; i < n; i++) this.buf[this.pos + i] = s.charCodeAt(i);
    } else {
      this.buf.set(TEXT_ENCODER.encode(s), this.pos);
    }
    this.pos += n;
  }

  string(s: string): this {
    const n = utf8Length(s);
    this.int16(n);
    this.text(s, n);
    return this;
  }
  nullableString(s: string | null): this {
    if (s === null) return this.int16(-1);
    return this.string(s);
  }
  compactString(s: string): this {
    const n = utf8Length(s);
    this.uvarint(n + 1);
    this.text(s, n);
    return this;
  }
  compactNullableString(s: string | null): this {
    if (s === null) return this.uvarint(0);
    return this.compactString(s);
  }
  bytes(b: Uint8Array | null): this {
    if (b === null) return this.int32(-1);
    this.int32(b.length);
    return this.raw(b);
  }
  compactBytes(b: Uint8Array | null): this {
    if (b === null) return this.uvarint(0);
    this.uvarint(b.length + 1);
    return this.raw(b);
  }
  uuid(hex: string): this {
    this.ensure(16);
    for (let i = 0; i < 16; i++) this.buf[this.pos++] = parseInt(hex.substr(i * 2, 2), 16) || 0;
    return this;
  }

  /** All chunks in order. The writer must not be used afterwards. */
  chunks(): Uint8Array[] {
    if (this.pos > 0) this.done.push(this.buf.subarray(0, this.pos));
    this.doneBytes += this.pos;
    this.pos = 0;
    return this.done;
  }

  /** One contiguous buffer (copies referenced chunks); for tests and small messages. */
  finish(): Uint8Array {
    const parts = this.chunks();
    if (parts.length === 1) return parts[0];
    const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

/** Writes a big-endian int32 into a byte array; used for size prefixes and in-place patches. */
export function putInt32(buf: Uint8Array, at: number, v: number): void {
  buf[at] = v >>> 24;
  buf[at + 1] = v >>> 16;
  buf[at + 2] = v >>> 8;
  buf[at + 3] = v;
}

export function getInt32(buf: Uint8Array, at: number): number {
  return (buf[at] << 24) | (buf[at + 1] << 16) | (buf[at + 2] << 8) | buf[at + 3];
}

export function putInt64(buf: Uint8Array, at: number, v: number): void {
  const hi = Math.floor(v / TWO_32);
  putInt32(buf, at, hi);
  putInt32(buf, at + 4, v - hi * TWO_32);
}

export function getInt64(buf: Uint8Array, at: number): number {
  return getInt32(buf, at) * TWO_32 + (getInt32(buf, at + 4) >>> 0);
}
