// Normalized values (record_model.ts) written as schema_pb protobuf bytes, converted from the writer schema's field
// types to the topic's (record_type.ts): RecordValue { map<string, Value> fields = 1 }, Value's oneof (bool 1,
// int32 2, int64 3, float 4, double 5, bytes 6, string 7, timestamp 8, date 9, decimal 10, time 11, list 14,
// record 15). One growable buffer is reused for every value; nested messages get a one-byte length placeholder,
// widened in place when the message turns out longer (so nothing is built twice). Converters are compiled once per
// (writer type, topic type) pair.
import {
  type DecimalNumber,
  decimalText,
  digitCount,
  divInt,
  type FieldType,
  isDecimal,
  isList,
  isRecord,
  jsonOf,
  type RecordType,
  type ScalarType,
  scaleInt,
  twosComplement,
} from "./record_model.ts";

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

const ENCODER = new TextEncoder();
const DECODER = new TextDecoder();
const MICROS_PER_DAY = 86_400_000_000;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function varintLen(n: number): number {
  let len = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    len++;
  }
  return len;
}

/** A protobuf writer over one reused, growable buffer; fork/ldelim frame nested messages in place. */
export class ValueWriter {
  buf: Uint8Array;
  pos = 0;
  private view: DataView;

  constructor(size = 1024) {
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.pos));
    this.buf = b;
    this.view = new DataView(b.buffer);
  }

  /** A tag of a field number below 16 (all schema_pb fields are). */
  tag(field: number, wire: number): void {
    this.ensure(1);
    this.buf[this.pos++] = (field << 3) | wire;
  }

  /** A varint of a non-negative integer up to 2^53. */
  varint(n: number): void {
    this.ensure(10);
    const b = this.buf;
    while (n >= 0x80) {
      b[this.pos++] = (n & 0x7f) | 0x80;
      n = n >= 0x100000000 ? Math.floor(n / 128) : n >>> 7;
    }
    b[this.pos++] = n;
  }

  /** A varint of a signed 64-bit integer (negative: 10 bytes of two's complement, as int32/int64 fields are). */
  int64(v: number | bigint): void {
    if (typeof v === "number" && v >= 0) return this.varint(v);
    let u = BigInt.asUintN(64, BigInt(v));
    this.ensure(10);
    while (u >= 0x80n) {
      this.buf[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.pos++] = Number(u);
  }

  float(v: number): void {
    this.ensure(4);
    this.view.setFloat32(this.pos, v, true);
    this.pos += 4;
  }

  double(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  raw(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** A length-delimited field's bytes (tag written by the caller). */
  bytes(b: Uint8Array): void {
    this.varint(b.length);
    this.raw(b);
  }

  string(s: string): void {
    const at = this.fork();
    this.ensure(s.length * 3);
    const b = this.buf;
    let p = this.pos;
    // short ASCII strings (most names and codes) byte by byte; anything else through TextEncoder
    if (s.length <= 64) {
      let i = 0;
      for (; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        b[p++] = c;
      }
      if (i === s.length) {
        this.pos = p;
        this.ldelim(at);
        return;
      }
      p = this.pos;
    }
    this.pos = p + ENCODER.encodeInto(s, b.subarray(p)).written;
    this.ldelim(at);
  }

  /** Starts a length-delimited body: a one-byte length placeholder; returns its position for ldelim. */
  fork(): number {
    this.ensure(1);
    return this.pos++;
  }

  /** Ends the body started by fork(at): writes its length, moving the body when the length needs more bytes. */
  ldelim(at: number): void {
    const len = this.pos - at - 1;
    if (len < 0x80) {
      this.buf[at] = len;
      return;
    }
    const n = varintLen(len);
    this.ensure(n - 1);
    this.buf.copyWithin(at + n, at + 1, this.pos);
    this.pos += n - 1;
    let p = at;
    let v = len;
    while (v >= 0x80) {
      this.buf[p++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[p] = v;
  }

  /** A copy of what was written. */
  take(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

// ---- scalar conversions between normalized values ----

export type Cast = (v: unknown) => unknown;
const identity: Cast = (v) => v;

function int32Of(v: unknown): number | undefined {
  if (typeof v === "number") return Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX ? v : undefined;
  return undefined;
}

function int64From(v: unknown): number | bigint | undefined {
  if (typeof v === "bigint") return v >= INT64_MIN && v <= INT64_MAX ? v : undefined;
  if (typeof v !== "number" || !Number.isInteger(v)) return undefined;
  if (Number.isSafeInteger(v)) return v;
  const b = BigInt(v);
  return b >= INT64_MIN && b <= INT64_MAX ? b : undefined;
}

function decimalNumber(d: DecimalNumber): number {
  return Number(decimalText(d));
}

function isoTimestamp(micros: number | bigint): string | undefined {
  const ms = Number(divInt(micros, 1000));
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return undefined;
  const frac = Number(typeof micros === "bigint" ? micros - BigInt(ms) * 1000n : micros - ms * 1000);
  const iso = d.toISOString();
  return frac === 0 ? iso : `${iso.slice(0, -1)}${String(frac).padStart(3, "0")}Z`;
}

function isoDate(days: number): string | undefined {
  const d = new Date(days * 86_400_000);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString().slice(0, 10);
}

function timeText(micros: number | bigint): string {
  const m = Number(micros);
  const s = Math.floor(m / 1_000_000);
  const two = (n: number) => String(n).padStart(2, "0");
  const frac = m % 1_000_000;
  const base = `${two(Math.floor(s / 3600))}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}`;
  return frac === 0 ? base : `${base}.${String(frac).padStart(6, "0")}`;
}

/** How a normalized value of `from` becomes one of `to`; null when it never can. Casts return undefined on failure. */
export function scalarCast(from: ScalarType, to: ScalarType): Cast | null {
  if (from === to) return identity;
  switch (to) {
    case "INT32":
      return from === "INT64" || from === "FLOAT" || from === "DOUBLE" ? int32Of : null;
    case "INT64":
      return from === "INT32" ? identity : from === "FLOAT" || from === "DOUBLE" ? int64From : null;
    case "FLOAT":
    case "DOUBLE":
      if (from === "INT32" || from === "INT64" || from === "FLOAT" || from === "DOUBLE") {
        return (v) => Number(v);
      }
      return from === "DECIMAL" ? (v) => decimalNumber(v as DecimalNumber) : null;
    case "BYTES":
      return from === "STRING" ? (v) => ENCODER.encode(v as string) : null;
    case "STRING":
      switch (from) {
        case "BYTES":
          return (v) => DECODER.decode(v as Uint8Array);
        case "DECIMAL":
          return (v) => decimalText(v as DecimalNumber);
        case "TIMESTAMP":
          return (v) => isoTimestamp(v as number | bigint);
        case "DATE":
          return (v) => isoDate(v as number);
        case "TIME":
          return (v) => timeText(v as number | bigint);
        default:
          return (v) => String(v);
      }
    case "TIMESTAMP":
      return from === "DATE" ? (v) => scaleInt(v as number, MICROS_PER_DAY) : null;
    case "DATE":
      return from === "TIMESTAMP" ? (v) => Number(divInt(v as number | bigint, MICROS_PER_DAY)) : null;
    case "DECIMAL":
      if (from !== "INT32" && from !== "INT64") return null;
      return (v) => {
        const n = BigInt(v as number | bigint);
        return { unscaled: twosComplement(n), precision: digitCount(n), scale: 0 } satisfies DecimalNumber;
      };
    default:
      return null;
  }
}

// ---- writing a Value ----

/** Writes the Value's oneof field for a normalized value; false when the value does not fit (nothing useful written). */
type Emit = (w: ValueWriter, v: unknown) => boolean;

function emitScalar(to: ScalarType): Emit {
  switch (to) {
    case "BOOL":
      return (w, v) => {
        if (typeof v !== "boolean") return false;
        w.tag(1, WIRE_VARINT);
        w.varint(v ? 1 : 0);
        return true;
      };
    case "INT32":
      return (w, v) => {
        if (int32Of(v) === undefined) return false;
        w.tag(2, WIRE_VARINT);
        w.int64(v as number);
        return true;
      };
    case "INT64":
      return (w, v) => {
        const n = int64From(v);
        if (n === undefined) return false;
        w.tag(3, WIRE_VARINT);
        w.int64(n);
        return true;
      };
    case "FLOAT":
      return (w, v) => {
        if (typeof v !== "number") return false;
        w.tag(4, WIRE_I32);
        w.float(v);
        return true;
      };
    case "DOUBLE":
      return (w, v) => {
        if (typeof v !== "number") return false;
        w.tag(5, WIRE_I64);
        w.double(v);
        return true;
      };
    case "BYTES":
      return (w, v) => {
        if (!(v instanceof Uint8Array)) return false;
        w.tag(6, WIRE_LEN);
        w.bytes(v);
        return true;
      };
    case "STRING":
      return (w, v) => {
        if (typeof v !== "string") return false;
        w.tag(7, WIRE_LEN);
        w.string(v);
        return true;
      };
    // TIMESTAMP, DATE and TIME are written as int64_value (micros) / int32_value (days) / int64_value (micros),
    // not as timestamp_value, date_value, time_value: SeaweedFS's parquet writer (4.48, weed/mq/schema/
    // to_parquet_value.go toParquetValueForType) takes only those kinds for these column types and writes 0 for
    // the dedicated messages.
    case "TIMESTAMP":
    case "TIME":
      return (w, v) => {
        const n = int64From(v);
        if (n === undefined) return false;
        w.tag(3, WIRE_VARINT);
        w.int64(n);
        return true;
      };
    case "DATE":
      return (w, v) => {
        if (int32Of(v) === undefined) return false;
        w.tag(2, WIRE_VARINT);
        w.int64(v as number);
        return true;
      };
    case "DECIMAL":
      return (w, v) => {
        if (!isDecimal(v)) return false;
        w.tag(10, WIRE_LEN);
        const at = w.fork();
        if (v.unscaled.length > 0) {
          w.tag(1, WIRE_LEN);
          w.bytes(v.unscaled);
        }
        if (v.precision !== 0) {
          w.tag(2, WIRE_VARINT);
          w.int64(v.precision);
        }
        if (v.scale !== 0) {
          w.tag(3, WIRE_VARINT);
          w.int64(v.scale);
        }
        w.ldelim(at);
        return true;
      };
  }
}

/** Writes a normalized value of `from` as a Value of `to`; null when no value of `from` ever converts. */
function compileValue(from: FieldType, to: FieldType): Emit | null {
  if (isRecord(to)) {
    if (!isRecord(from)) return null;
    const entries = compileEntries(from.record, to.record);
    if (entries === null) return null;
    return (w, v) => {
      if (!Array.isArray(v)) return false;
      w.tag(15, WIRE_LEN);
      const at = w.fork();
      entries(w, v);
      w.ldelim(at);
      return true;
    };
  }
  if (isList(to)) {
    if (!isList(from)) return null;
    const element = compileValue(from.list, to.list);
    if (element === null) return null;
    return (w, v) => {
      if (!Array.isArray(v)) return false;
      w.tag(14, WIRE_LEN);
      const at = w.fork();
      for (const x of v) {
        if (x === undefined || x === null) continue;
        const mark = w.pos;
        w.tag(1, WIRE_LEN);
        const item = w.fork();
        if (element(w, x)) w.ldelim(item);
        else w.pos = mark;
      }
      w.ldelim(at);
      return true;
    };
  }
  const emit = emitScalar(to.scalar);
  if (!("scalar" in from)) {
    if (to.scalar !== "STRING") return null;
    // a record or list where the topic has a string: its JSON text
    return (w, v) => emit(w, JSON.stringify(jsonOf(from, v)));
  }
  const cast = scalarCast(from.scalar, to.scalar);
  if (cast === null) return null;
  if (cast === identity) return emit;
  return (w, v) => {
    const c = cast(v);
    return c !== undefined && c !== null && emit(w, c);
  };
}

/** Writes a record's present fields as RecordValue map entries; null when no field of `to` is in `from`. */
function compileEntries(from: RecordType, to: RecordType): ((w: ValueWriter, v: unknown[]) => void) | null {
  const byName = new Map(from.fields.map((f, i) => [f.name, i]));
  const plan: { key: Uint8Array; source: number; emit: Emit }[] = [];
  for (const f of to.fields) {
    const source = byName.get(f.name);
    if (source === undefined) continue;
    const emit = compileValue(from.fields[source].type, f.type);
    if (emit === null) continue;
    // the entry's key field, written as is: tag 1 (length-delimited), length, UTF-8 name
    const name = ENCODER.encode(f.name);
    const key = new ValueWriter(name.length + 6);
    key.tag(1, WIRE_LEN);
    key.bytes(name);
    plan.push({ key: key.take(), source, emit });
  }
  return (w, v) => {
    for (let i = 0; i < plan.length; i++) {
      const p = plan[i];
      const x = v[p.source];
      if (x === undefined || x === null) continue;
      const mark = w.pos;
      w.tag(1, WIRE_LEN);
      const entry = w.fork();
      w.raw(p.key);
      w.tag(2, WIRE_LEN);
      const value = w.fork();
      if (!p.emit(w, x)) {
        w.pos = mark;
        continue;
      }
      w.ldelim(value);
      w.ldelim(entry);
    }
  };
}

/** Writes a writer record's values as the topic record type's RecordValue (fields of `to` only, converted). */
export function recordWriter(from: RecordType, to: RecordType): (w: ValueWriter, v: unknown[]) => void {
  return compileEntries(from, to) ?? (() => {});
}

// ---- schema_pb.RecordType ----

const SCALAR_NUMBERS: Readonly<Record<ScalarType, number>> = {
  BOOL: 0,
  INT32: 1,
  INT64: 3,
  FLOAT: 4,
  DOUBLE: 5,
  BYTES: 6,
  STRING: 7,
  TIMESTAMP: 8,
  DATE: 9,
  DECIMAL: 10,
  TIME: 11,
};

/** Type { oneof: scalar_type 1, record_type 2, list_type 3 (ListType { element_type 1 }) }. */
function writeType(w: ValueWriter, t: FieldType): void {
  if (isRecord(t)) {
    w.tag(2, WIRE_LEN);
    const at = w.fork();
    writeRecordType(w, t.record);
    w.ldelim(at);
  } else if (isList(t)) {
    w.tag(3, WIRE_LEN);
    const at = w.fork();
    w.tag(1, WIRE_LEN);
    const inner = w.fork();
    writeType(w, t.list);
    w.ldelim(inner);
    w.ldelim(at);
  } else {
    // a oneof member: written even when it is the enum's zero (BOOL)
    w.tag(1, WIRE_VARINT);
    w.varint(SCALAR_NUMBERS[t.scalar]);
  }
}

/** RecordType { repeated Field fields = 1 }, Field { name 1, field_index 2, type 3, is_repeated 4, is_required 5 }. */
export function writeRecordType(w: ValueWriter, t: RecordType): void {
  for (const f of t.fields) {
    w.tag(1, WIRE_LEN);
    const at = w.fork();
    w.tag(1, WIRE_LEN);
    w.string(f.name);
    if (f.index !== 0) {
      w.tag(2, WIRE_VARINT);
      w.int64(f.index);
    }
    w.tag(3, WIRE_LEN);
    const type = w.fork();
    writeType(w, f.type);
    w.ldelim(type);
    if (f.repeated) {
      w.tag(4, WIRE_VARINT);
      w.varint(1);
    }
    if (f.required) {
      w.tag(5, WIRE_VARINT);
      w.varint(1);
    }
    w.ldelim(at);
  }
}
