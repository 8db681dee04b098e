// Protocol-buffers wire format (proto3): the few primitives the SeaweedMQ messages need. The message layouts
// themselves are in messages.ts and follow the hand-written .proto files in proto/ (checked against them by
// tests/unit/seaweedmq_pb_test.ts).

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;

const TEXT_ENCODER = new TextEncoder();
const TEXT_DECODER = new TextDecoder();
const TWO_32 = 4294967296;

export class PbDecodeError extends Error {
  override name = "PbDecodeError";
}

/** Bytes of the varint encoding of a non-negative integer up to 2^53. */
export function varintLen(n: number): number {
  if (n < 0x80) return 1;
  if (n < 0x4000) return 2;
  if (n < 0x200000) return 3;
  if (n < 0x10000000) return 4;
  let len = 4;
  n = Math.floor(n / 0x10000000);
  while (n > 0) {
    len++;
    n = Math.floor(n / 128);
  }
  return len;
}

/** Writes the varint of a non-negative integer up to 2^53 at `at`; returns the next position. */
export function putVarint(buf: Uint8Array, at: number, n: number): number {
  while (n >= 0x80) {
    buf[at++] = (n & 0x7f) | 0x80;
    n = n >= TWO_32 ? Math.floor(n / 128) : n >>> 7;
  }
  buf[at++] = n;
  return at;
}

/** A growable protobuf writer. */
export class PbWriter {
  buf: Uint8Array;
  pos = 0;

  constructor(size = 256) {
    this.buf = new Uint8Array(size);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.pos));
    this.buf = b;
  }

  /** Varint of a non-negative integer (up to 2^53) or of a negative int32/int64 (10 bytes, two's complement). */
  varint(n: number): this {
    if (n < 0) return this.varintBig(BigInt(n));
    this.ensure(10);
    this.pos = putVarint(this.buf, this.pos, n);
    return this;
  }

  varintBig(v: bigint): this {
    let u = BigInt.asUintN(64, v);
    this.ensure(10);
    while (u >= 0x80n) {
      this.buf[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.pos++] = Number(u);
    return this;
  }

  tag(field: number, wire: number): this {
    return this.varint(field * 8 + wire);
  }

  raw(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  // Field writers omit proto3 default values (0, false, "", empty bytes), as protobuf encoders do.

  int(field: number, n: number): this {
    if (n === 0) return this;
    return this.tag(field, WIRE_VARINT).varint(n);
  }

  bigint(field: number, v: bigint): this {
    if (v === 0n) return this;
    return this.tag(field, WIRE_VARINT).varintBig(v);
  }

  bool(field: number, b: boolean): this {
    if (!b) return this;
    return this.tag(field, WIRE_VARINT).varint(1);
  }

  bytes(field: number, b: Uint8Array | null | undefined): this {
    if (!b || b.length === 0) return this;
    return this.tag(field, WIRE_LEN).varint(b.length).raw(b);
  }

  string(field: number, s: string | null | undefined): this {
    if (!s) return this;
    return this.bytes(field, TEXT_ENCODER.encode(s));
  }

  /** A repeated string element or a message field: written even when empty. */
  stringAlways(field: number, s: string): this {
    const b = TEXT_ENCODER.encode(s);
    return this.tag(field, WIRE_LEN).varint(b.length).raw(b);
  }

  /** An embedded message (written even when empty, so presence is kept). */
  message(field: number, fn: (w: PbWriter) => void): this {
    const sub = new PbWriter(64);
    fn(sub);
    const b = sub.finish();
    return this.tag(field, WIRE_LEN).varint(b.length).raw(b);
  }

  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

/** A protobuf reader: `while (r.next()) switch (r.field) { ... default: r.skip(); }`. */
export class PbReader {
  pos: number;
  field = 0;
  wire = 0;

  constructor(readonly buf: Uint8Array, start = 0, public end = buf.length) {
    this.pos = start;
  }

  next(): boolean {
    if (this.pos >= this.end) return false;
    const t = this.varint();
    this.field = Math.floor(t / 8);
    this.wire = t & 7;
    if (this.field === 0) throw new PbDecodeError("field number 0");
    return true;
  }

  /** A varint as a number: exact up to 2^53; negative int64 values come out as negative numbers. */
  varint(): number {
    const b = this.buf;
    const start = this.pos;
    let lo = 0;
    let shift = 0;
    let byte: number;
    // low 28 bits with 32-bit arithmetic
    do {
      if (this.pos >= this.end) throw new PbDecodeError("truncated varint");
      byte = b[this.pos++];
      lo |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte >= 0x80 && shift < 28);
    if (byte < 0x80) return lo >>> 0;
    let hi = 0;
    let mul = 1;
    // remaining bits as a double (bits 28..63)
    do {
      if (this.pos >= this.end) throw new PbDecodeError("truncated varint");
      if (shift >= 70) throw new PbDecodeError("varint longer than 10 bytes");
      byte = b[this.pos++];
      hi += (byte & 0x7f) * mul;
      mul *= 128;
      shift += 7;
    } while (byte >= 0x80);
    if (this.pos - start === 10) {
      // bit 63 set: a negative int64 (two's complement); exact through BigInt
      this.pos = start;
      return Number(this.varintBig());
    }
    return hi * 0x10000000 + (lo >>> 0);
  }

  varintBig(): bigint {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.end) throw new PbDecodeError("truncated varint");
      if (shift >= 70n) throw new PbDecodeError("varint longer than 10 bytes");
      const byte = this.buf[this.pos++];
      v |= BigInt(byte & 0x7f) << shift;
      shift += 7n;
      if (byte < 0x80) break;
    }
    return BigInt.asIntN(64, v);
  }

  bool(): boolean {
    return this.varint() !== 0;
  }

  /** Past a varint without computing it (a skipped negative int64 would otherwise go through BigInt). */
  skipVarint(): void {
    const b = this.buf;
    for (let n = 0;; n++) {
      if (this.pos >= this.end) throw new PbDecodeError("truncated varint");
      if (n >= 10) throw new PbDecodeError("varint longer than 10 bytes");
      if (b[this.pos++] < 0x80) return;
    }
  }

  /**
   * A length-delimited field without a view of it: returns where its bytes start; they end at `pos` (hot parsers
   * that only note positions allocate nothing per field).
   */
  lengthDelimited(): number {
    const len = this.varint();
    const start = this.pos;
    if (len < 0 || start + len > this.end) throw new PbDecodeError("truncated length-delimited field");
    this.pos = start + len;
    return start;
  }

  /** Reads another range of the same buffer (one reader for many back-to-back messages). */
  reset(start: number, end: number): void {
    this.pos = start;
    this.end = end;
    this.field = 0;
    this.wire = 0;
  }

  /** A length-delimited field as a view into the buffer (no copy). */
  bytes(): Uint8Array {
    const len = this.varint();
    const start = this.pos;
    if (len < 0 || start + len > this.end) throw new PbDecodeError("truncated length-delimited field");
    this.pos = start + len;
    return this.buf.subarray(start, start + len);
  }

  string(): string {
    return TEXT_DECODER.decode(this.bytes());
  }

  /** A reader over an embedded message. */
  sub(): PbReader {
    const len = this.varint();
    const start = this.pos;
    if (len < 0 || start + len > this.end) throw new PbDecodeError("truncated embedded message");
    this.pos = start + len;
    return new PbReader(this.buf, start, start + len);
  }

  skip(): void {
    switch (this.wire) {
      case WIRE_VARINT:
        this.skipVarint();
        return;
      case WIRE_I64:
        this.pos += 8;
        break;
      case WIRE_LEN:
        this.lengthDelimited();
        return;
      case WIRE_I32:
        this.pos += 4;
        break;
      default:
        throw new PbDecodeError(`unsupported wire type ${this.wire}`);
    }
    if (this.pos > this.end) throw new PbDecodeError("truncated fixed-width field");
  }
}
