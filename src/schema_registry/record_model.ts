// The model shared by record_type.ts (the public API: see its opening comment for the type mapping) and the
// format-specific compilers (record_avro.ts, record_protobuf.ts, record_json.ts) and the value writer
// (record_value.ts): SeaweedMQ's schema_pb.RecordType as TypeScript values, the "normalized" form decoded values take
// before they are written as schema_pb.Value, widening rules, and the naming rules for top-level fields.
import { toBase64 } from "../base64.ts";

export type ScalarType =
  | "BOOL"
  | "INT32"
  | "INT64"
  | "FLOAT"
  | "DOUBLE"
  | "BYTES"
  | "STRING"
  | "TIMESTAMP"
  | "DATE"
  | "DECIMAL"
  | "TIME";

/**
 * A field's type. `local: true` marks a TIMESTAMP of wall-clock time (Avro's local-timestamp-*): not part of
 * schema_pb.Type (SeaweedFS has no such flag), it keeps such a field from widening with UTC timestamps in a union.
 */
export type FieldType =
  | { readonly scalar: ScalarType; readonly local?: boolean }
  | { readonly record: RecordType }
  | { readonly list: FieldType };

export interface RecordField {
  readonly name: string;
  readonly index: number;
  readonly type: FieldType;
  readonly repeated: boolean;
  readonly required: boolean;
}

export interface RecordType {
  readonly fields: readonly RecordField[];
}

/*
 * Normalized values: what a format's decoder produces for a value of a FieldType, and what record_value.ts writes.
 *   BOOL boolean · INT32 number · INT64 number or bigint (bigint only outside ±2^53) · FLOAT, DOUBLE number ·
 *   BYTES Uint8Array · STRING string · TIMESTAMP microseconds since the epoch, number or bigint · DATE days since the
 *   epoch, number · TIME microseconds since midnight, number or bigint · DECIMAL a DecimalNumber ·
 *   record: an array aligned with the record's fields (undefined or null: the field is absent) · list: an array.
 */
export interface DecimalNumber {
  /** Big-endian two's complement unscaled value (Avro's and Confluent's decimal bytes). */
  readonly unscaled: Uint8Array;
  readonly precision: number;
  readonly scale: number;
}

/** A decoder of one writer schema's payload (after the Confluent header) into normalized values of `type`. */
export interface Source {
  readonly type: RecordType;
  /** The payload's values; null when it does not decode with this schema. May throw on malformed input. */
  decode(value: Uint8Array): unknown[] | null;
}

/** A registered schema ready to decode values: which Source a framed value uses (Protobuf: by message indexes). */
export interface SchemaDecoder {
  /** The schema's own record type (Protobuf: its first message). */
  readonly main: Source;
  /** The Source for a framed value (header included); null when its message indexes name no message. */
  select(value: Uint8Array): Source | null;
}

export const STRING: FieldType = { scalar: "STRING" };

/** Columns SeaweedFS adds to every parquet file: a user field of that name is renamed. */
export const SYSTEM_COLUMNS: ReadonlySet<string> = new Set(["_ts_ns", "_key", "_offset", "_value"]);

export function isRecord(t: FieldType): t is { readonly record: RecordType } {
  return "record" in t;
}

export function isList(t: FieldType): t is { readonly list: FieldType } {
  return "list" in t;
}

export function isScalar(t: FieldType): t is { readonly scalar: ScalarType; readonly local?: boolean } {
  return "scalar" in t;
}

/** A record type from named field types, in order (indexes 0..n-1, every field optional). */
export function recordOf(fields: readonly { readonly name: string; readonly type: FieldType }[]): RecordType {
  return {
    fields: fields.map((f, index) => ({
      name: f.name,
      index,
      type: f.type,
      repeated: false,
      required: false,
    })),
  };
}

/**
 * The record type of a schema's top level: fields named like SeaweedFS's system columns get "_" appended (again,
 * until the name is free).
 */
export function topLevel(t: RecordType): RecordType {
  if (!t.fields.some((f) => SYSTEM_COLUMNS.has(f.name))) return t;
  const taken = new Set(t.fields.map((f) => f.name));
  return {
    fields: t.fields.map((f) => {
      if (!SYSTEM_COLUMNS.has(f.name)) return f;
      let name = f.name + "_";
      while (taken.has(name) || SYSTEM_COLUMNS.has(name)) name += "_";
      taken.add(name);
      return { ...f, name };
    }),
  };
}

/** The field name wrapping a list nested directly in a list (parquet has no repeated-of-repeated). */
export const NESTED_LIST_FIELD = "element";

/**
 * A list of `element`. A list of lists becomes a list of records with one field, `element`, holding the inner list
 * (its values are wrapped alike by `wrapNested`).
 */
export function listOf(element: FieldType): FieldType {
  return isList(element) ? { list: { record: recordOf([{ name: NESTED_LIST_FIELD, type: element }]) } } : {
    list: element,
  };
}

/** The element decoder of a list built by listOf: inner lists wrapped in a one-field record. */
export function wrapNested<T>(element: FieldType, decode: (v: T) => unknown): (v: T) => unknown {
  if (!isList(element)) return decode;
  return (v) => {
    const inner = decode(v);
    return inner === undefined || inner === null ? inner : [inner];
  };
}

/** The key/value record a map's entries become. */
export function mapOf(key: FieldType, value: FieldType | null): FieldType {
  const fields = [{ name: "key", type: key }];
  if (value !== null) fields.push({ name: "value", type: value });
  return { list: { record: recordOf(fields) } };
}

// ---- widening ----

const NUMERIC: Readonly<Partial<Record<ScalarType, number>>> = { INT32: 0, INT64: 1, FLOAT: 2, DOUBLE: 3 };

/**
 * The scalar type both `a` and `b` values fit, or null when there is none that keeps meaning:
 * INT32 + INT64 → INT64, FLOAT + DOUBLE → DOUBLE, an integer + a floating type → DOUBLE (exact for INT32, above
 * 2^53 rounded for INT64, as Avro's long → double promotion), DATE + TIMESTAMP → TIMESTAMP.
 */
export function widenScalar(a: ScalarType, b: ScalarType): ScalarType | null {
  if (a === b) return a;
  const na = NUMERIC[a];
  const nb = NUMERIC[b];
  if (na !== undefined && nb !== undefined) {
    if (na <= 1 && nb <= 1) return "INT64";
    return "DOUBLE";
  }
  if ((a === "DATE" && b === "TIMESTAMP") || (a === "TIMESTAMP" && b === "DATE")) return "TIMESTAMP";
  return null;
}

// ---- JSON text (STRING columns that hold what has no column type) ----

/** A normalized value as JSON-able data, with its type's field names; bigints beyond 2^53 become strings. */
export function jsonOf(type: FieldType, v: unknown): unknown {
  if (v === undefined || v === null) return null;
  if (isRecord(type)) {
    if (!Array.isArray(v)) return null;
    const out: Record<string, unknown> = {};
    type.record.fields.forEach((f, i) => {
      if (v[i] !== undefined && v[i] !== null) out[f.name] = jsonOf(f.type, v[i]);
    });
    return out;
  }
  if (isList(type)) return Array.isArray(v) ? v.map((x) => jsonOf(type.list, x)) : null;
  return plainJson(v);
}

/** Decoded data (any shape) as JSON-able data: bigint as a number when exact, else a string; bytes as base64. */
export function plainJson(v: unknown): unknown {
  if (typeof v === "bigint") return safeNumber(v);
  if (v instanceof Uint8Array) return toBase64(v);
  if (Array.isArray(v)) return v.map(plainJson);
  if (typeof v === "object" && v !== null) {
    if (isDecimal(v)) return decimalText(v);
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = plainJson(x);
    return out;
  }
  if (typeof v === "number" && !Number.isFinite(v)) return String(v);
  return v;
}

/** JSON text of decoded data (see plainJson). */
export function jsonText(v: unknown): string {
  return JSON.stringify(plainJson(v)) ?? "null";
}

// ---- numbers ----

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** A bigint as a number when exact, else as its decimal text. */
function safeNumber(v: bigint): number | string {
  return v <= MAX_SAFE && v >= -MAX_SAFE ? Number(v) : v.toString();
}

/** A bigint as a normalized INT64: a number when exact. */
export function int64Of(v: bigint): number | bigint {
  return v <= MAX_SAFE && v >= -MAX_SAFE ? Number(v) : v;
}

/** `v * k` (an integer count of units times a unit size) as a normalized INT64. */
export function scaleInt(v: number | bigint, k: number): number | bigint {
  if (typeof v === "number") {
    const r = v * k;
    if (Number.isSafeInteger(r)) return r;
    return int64Of(BigInt(v) * BigInt(k));
  }
  return int64Of(v * BigInt(k));
}

/** Floor of `v / k` as a normalized INT64. */
export function divInt(v: number | bigint, k: number): number | bigint {
  if (typeof v === "number") return Math.floor(v / k);
  const q = v / BigInt(k);
  return int64Of(v < 0n && q * BigInt(k) !== v ? q - 1n : q);
}

export function isDecimal(v: unknown): v is DecimalNumber {
  return typeof v === "object" && v !== null && (v as DecimalNumber).unscaled instanceof Uint8Array;
}

/** The signed integer a big-endian two's complement byte string holds. */
export function unscaledOf(b: Uint8Array): bigint {
  if (b.length === 0) return 0n;
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return BigInt.asIntN(b.length * 8, v);
}

/** The shortest big-endian two's complement bytes of `v`. */
export function twosComplement(v: bigint): Uint8Array {
  const out: number[] = [];
  let x = v;
  for (;;) {
    const byte = Number(BigInt.asUintN(8, x));
    out.unshift(byte);
    x >>= 8n;
    // done when the remaining bits are all sign bits and the sign bit of `byte` agrees
    if ((x === 0n && byte < 0x80) || (x === -1n && byte >= 0x80)) break;
  }
  return new Uint8Array(out);
}

/** The decimal text of a decimal number ("-12.34"). */
export function decimalText(d: DecimalNumber): string {
  const v = unscaledOf(d.unscaled);
  const digits = (v < 0n ? -v : v).toString();
  const sign = v < 0n ? "-" : "";
  if (d.scale <= 0) return sign + digits + "0".repeat(-d.scale);
  const padded = digits.padStart(d.scale + 1, "0");
  return `${sign}${padded.slice(0, -d.scale)}.${padded.slice(-d.scale)}`;
}

/** The number of decimal digits of an integer (at least 1). */
export function digitCount(v: bigint): number {
  return (v < 0n ? -v : v).toString().length;
}

/** The one scalar type all of `types` widen to (a union's branches), or null when they are not all such scalars. */
export function commonScalar(types: readonly FieldType[]): ScalarType | null {
  let out: ScalarType | null = null;
  for (const t of types) {
    if (!isScalar(t) || t.local) return null;
    out = out === null ? t.scalar : widenScalar(out, t.scalar);
    if (out === null) return null;
  }
  return out;
}
