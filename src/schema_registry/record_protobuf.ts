// Protobuf schemas (protobuf.ts: protobufjs reflection) as schema_pb record types, and per-message normalizers of
// what protobufjs's generated `Type.decode` returns (record_model.ts's normalized values). A framed value names its
// message by Confluent's message indexes after the schema id: a zigzag varint count, then that many zigzag varint
// indexes (a single 0 byte: the first message), each index counting the messages declared in the file (then in the
// message chosen so far), as Confluent's Java serializer counts them (map entries are not messages there).
import protobuf from "protobufjs";
import { ProtoSchema } from "./protobuf.ts";
import { ownFields } from "./protobuf_model.ts";
import {
  type DecimalNumber,
  digitCount,
  type FieldType,
  int64Of,
  isRecord,
  jsonText,
  listOf,
  mapOf,
  recordOf,
  type RecordType,
  scaleInt,
  type SchemaDecoder,
  type Source,
  STRING,
  topLevel,
  unscaledOf,
  wrapNested,
} from "./record_model.ts";
import { InvalidSchemaError } from "./schema_types.ts";

type PbType = protobuf.Type;
type PbField = protobuf.Field;
// deno-lint-ignore no-explicit-any
type Message = any;
type Norm = (v: Message) => unknown;

interface Node {
  readonly type: FieldType | null;
  readonly norm: Norm;
}

interface LongLike {
  readonly low: number;
  readonly high: number;
}

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * A 64-bit integer as protobufjs decodes it (a Long, or a number without long.js) as a normalized INT64. Unsigned
 * values above 2^63-1 keep their bits: they come out as the negative int64 of the same two's complement.
 */
function int64(v: unknown): number | bigint | undefined {
  if (typeof v === "number") return v;
  if (typeof v === "object" && v !== null && typeof (v as LongLike).low === "number") {
    const { low, high } = v as LongLike;
    if (high === 0 && low >= 0) return low;
    if (high === -1 && low < 0) return low;
    return int64Of(BigInt.asIntN(64, (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0)));
  }
  if (typeof v === "string" && /^-?\d+$/.test(v)) return int64Of(BigInt.asIntN(64, BigInt(v)));
  return undefined;
}

function bytesOf(v: unknown): Uint8Array | undefined {
  if (v instanceof Uint8Array) return v;
  return Array.isArray(v) ? Uint8Array.from(v) : undefined;
}

const numberOf: Norm = (v) => typeof v === "number" ? v : undefined;
const boolOf: Norm = (v) => typeof v === "boolean" ? v : undefined;
const stringOf: Norm = (v) => typeof v === "string" ? v : undefined;

/** A scalar protobuf type's column type and normalizer. */
function scalar(type: string): Node {
  switch (type) {
    case "double":
      return { type: { scalar: "DOUBLE" }, norm: numberOf };
    case "float":
      return { type: { scalar: "FLOAT" }, norm: numberOf };
    case "int32":
    case "sint32":
    case "sfixed32":
      return { type: { scalar: "INT32" }, norm: numberOf };
    case "uint32":
    case "fixed32":
      return { type: { scalar: "INT64" }, norm: numberOf };
    case "int64":
    case "sint64":
    case "sfixed64":
    case "uint64":
    case "fixed64":
      return { type: { scalar: "INT64" }, norm: int64 };
    case "bool":
      return { type: { scalar: "BOOL" }, norm: boolOf };
    case "string":
      return { type: STRING, norm: stringOf };
    case "bytes":
      return { type: { scalar: "BYTES" }, norm: bytesOf };
    default:
      throw new InvalidSchemaError(`unsupported protobuf scalar type ${type}`);
  }
}

/** A map key as protobufjs keeps it (an object key: 64-bit keys as 8-character hashes when long.js is loaded). */
function mapKey(keyType: string): Node {
  switch (keyType) {
    case "string":
      return { type: STRING, norm: stringOf };
    case "bool":
      return { type: { scalar: "BOOL" }, norm: (k: string) => k === "true" || k === "1" };
    case "int64":
    case "sint64":
    case "sfixed64":
    case "uint64":
    case "fixed64":
      return {
        type: { scalar: "INT64" },
        norm: (k: string) => {
          if (/^-?\d+$/.test(k)) return int64(k);
          const bits = protobuf.util.LongBits.fromHash(k);
          return int64({ low: bits.lo, high: bits.hi });
        },
      };
    default: {
      const s = scalar(keyType);
      return { type: s.type, norm: (k: string) => Number(k) };
    }
  }
}

const WRAPPERS: Readonly<Record<string, string>> = {
  ".google.protobuf.DoubleValue": "double",
  ".google.protobuf.FloatValue": "float",
  ".google.protobuf.Int64Value": "int64",
  ".google.protobuf.UInt64Value": "uint64",
  ".google.protobuf.Int32Value": "int32",
  ".google.protobuf.UInt32Value": "uint32",
  ".google.protobuf.BoolValue": "bool",
  ".google.protobuf.StringValue": "string",
  ".google.protobuf.BytesValue": "bytes",
};

/** google.protobuf.Value (and Struct, ListValue) as plain JSON data. */
function structValue(v: Message): unknown {
  if (v === null || v === undefined) return null;
  if (hasOwn.call(v, "numberValue")) return v.numberValue;
  if (hasOwn.call(v, "stringValue")) return v.stringValue;
  if (hasOwn.call(v, "boolValue")) return v.boolValue;
  if (hasOwn.call(v, "structValue")) return structObject(v.structValue);
  if (hasOwn.call(v, "listValue")) return structList(v.listValue);
  // protobufjs keeps the registry's field names (keepCase): snake_case
  if (hasOwn.call(v, "number_value")) return v.number_value;
  if (hasOwn.call(v, "string_value")) return v.string_value;
  if (hasOwn.call(v, "bool_value")) return v.bool_value;
  if (hasOwn.call(v, "struct_value")) return structObject(v.struct_value);
  if (hasOwn.call(v, "list_value")) return structList(v.list_value);
  return null;
}

function structObject(s: Message): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s?.fields ?? {})) out[k] = structValue(v);
  return out;
}

function structList(l: Message): unknown[] {
  return ((l?.values ?? []) as unknown[]).map(structValue);
}

/** Well-known message types with a column type of their own. */
function wellKnown(t: PbType): Node | null {
  switch (t.fullName) {
    case ".google.protobuf.Timestamp":
      return {
        type: { scalar: "TIMESTAMP" },
        norm: (m) => {
          const s = int64(m.seconds) ?? 0;
          const micros = Math.floor((typeof m.nanos === "number" ? m.nanos : 0) / 1000);
          const base = scaleInt(s, 1_000_000);
          return typeof base === "number" && Number.isSafeInteger(base + micros)
            ? base + micros
            : int64Of(BigInt(base) + BigInt(micros));
        },
      };
    case ".google.protobuf.Struct":
      return { type: STRING, norm: (m) => jsonText(structObject(m)) };
    case ".google.protobuf.Value":
      return { type: STRING, norm: (m) => jsonText(structValue(m)) };
    case ".google.protobuf.ListValue":
      return { type: STRING, norm: (m) => jsonText(structList(m)) };
    case ".google.type.Date":
      return {
        type: { scalar: "DATE" },
        norm: (m) => {
          const { year, month, day } = m;
          if (!(year > 0 && month > 0 && day > 0)) return undefined; // a partial date has no day number
          const d = new Date(0);
          d.setUTCFullYear(year, month - 1, day);
          return Math.round(d.getTime() / 86_400_000);
        },
      };
    case ".confluent.type.Decimal":
      return {
        type: { scalar: "DECIMAL" },
        norm: (m) => {
          const unscaled = bytesOf(m.value) ?? new Uint8Array(0);
          const scale = typeof m.scale === "number" ? m.scale : 0;
          const precision = Math.max(digitCount(unscaledOf(unscaled)), scale);
          return { unscaled, precision, scale } satisfies DecimalNumber;
        },
      };
  }
  const wrapped = WRAPPERS[t.fullName];
  if (wrapped !== undefined) {
    const s = scalar(wrapped);
    return { type: s.type, norm: (m) => s.norm(m.value ?? defaultOf(wrapped)) };
  }
  return null;
}

function defaultOf(type: string): unknown {
  switch (type) {
    case "bool":
      return false;
    case "string":
      return "";
    case "bytes":
      return new Uint8Array(0);
    default:
      return 0;
  }
}

class Compiler {
  private readonly stack: PbType[] = [];

  message(t: PbType): Node {
    const known = wellKnown(t);
    if (known) return known;
    if (this.stack.includes(t)) {
      // a message inside itself: its JSON text
      const opts = { longs: String, enums: String, bytes: String };
      return { type: STRING, norm: (m) => jsonText(t.toObject(m, opts)) };
    }
    this.stack.push(t);
    const fields = ownFields(t).map((f) => ({ f, node: this.field(f) }));
    this.stack.pop();
    const kept = fields.filter((x) => x.node.type !== null);
    const names = kept.map((x) => x.f.name);
    const norms = kept.map((x) => x.node.norm);
    // implicit presence (proto3 scalars, lists, maps): the value, its default when absent; explicit: absent stays so
    const explicit = kept.map((x) =>
      !x.f.repeated && !x.f.map && (x.f.hasPresence || x.f.resolvedType instanceof protobuf.Type)
    );
    const n = kept.length;
    const norm: Norm = (m) => {
      const out = new Array(n);
      for (let i = 0; i < n; i++) {
        const name = names[i];
        if (explicit[i] && !hasOwn.call(m, name)) continue;
        const v = m[name];
        if (v !== undefined && v !== null) out[i] = norms[i](v);
      }
      return out;
    };
    if (n === 0) return { type: null, norm };
    return { type: { record: recordOf(kept.map((x) => ({ name: x.f.name, type: x.node.type! }))) }, norm };
  }

  /** A field's column (lists and maps included) and the normalizer of its value. */
  private field(f: PbField): Node {
    if (f instanceof protobuf.MapField) {
      const key = mapKey(f.keyType);
      const value = this.single(f);
      const keepValue = value.type !== null;
      return {
        type: mapOf(key.type!, value.type),
        norm: (o: Record<string, unknown>) => {
          const out: unknown[] = [];
          for (const k of Object.keys(o)) {
            const v = o[k];
            out.push(keepValue ? [key.norm(k), v === null ? undefined : value.norm(v)] : [key.norm(k)]);
          }
          return out;
        },
      };
    }
    const one = this.single(f);
    if (!f.repeated) return one;
    if (one.type === null) return one;
    const each = wrapNested(one.type, one.norm);
    return { type: listOf(one.type), norm: (a: unknown[]) => Array.isArray(a) ? a.map(each) : undefined };
  }

  /** One value of the field's type (an element of a list, a map's value). */
  private single(f: PbField): Node {
    const t = f.resolvedType;
    if (t instanceof protobuf.Type) return this.message(t);
    if (t instanceof protobuf.Enum) {
      const names = t.valuesById;
      // an open enum may hold numbers it does not name: their digits
      return { type: STRING, norm: (v: number) => names[v] ?? String(v) };
    }
    return scalar(f.type);
  }
}

/** Reads Confluent's message indexes; returns them (null: malformed) and where the payload starts. */
function messageIndexes(value: Uint8Array): { indexes: number[]; start: number } | null {
  let pos = 5;
  const zigzag = (): number | null => {
    let n = 0;
    let mul = 1;
    for (let i = 0; i < 5; i++) {
      const b = value[pos++];
      if (b === undefined) return null;
      n += (b & 0x7f) * mul;
      if (b < 0x80) return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
      mul *= 128;
    }
    return null;
  };
  const count = zigzag();
  if (count === null || count < 0 || count > 64) return null;
  if (count === 0) return { indexes: [0], start: pos };
  const indexes: number[] = [];
  for (let i = 0; i < count; i++) {
    const x = zigzag();
    if (x === null || x < 0) return null;
    indexes.push(x);
  }
  return { indexes, start: pos };
}

function messagesIn(objects: readonly protobuf.ReflectionObject[]): PbType[] {
  return objects.filter((o): o is PbType => o instanceof protobuf.Type);
}

/** A message's Source: its record type (renamed at the top level) and payload decoder. */
function sourceOf(t: PbType): Source {
  const node = new Compiler().message(t);
  const type: RecordType = node.type !== null && isRecord(node.type)
    ? topLevel(node.type.record)
    : { fields: [] };
  const norm = node.norm;
  return {
    type,
    decode(value) {
      const at = value[5] === 0 ? 6 : messageIndexes(value)?.start;
      if (at === undefined) return null;
      try {
        const v = norm(t.decode(value.subarray(at)));
        return Array.isArray(v) ? v : null;
      } catch {
        return null; // protobufjs throws Errors of its own on malformed input
      }
    },
  };
}

export function protobufDecoder(schema: ProtoSchema): SchemaDecoder {
  const top = messagesIn(schema.file.declared);
  if (top.length === 0) throw new InvalidSchemaError("the Protobuf schema declares no message");
  const first = top[0];
  if (wellKnown(first) !== null) {
    throw new InvalidSchemaError(`the Protobuf schema's first message ${first.name} is not a record`);
  }
  const main = sourceOf(first);
  const byPath = new Map<string, Source | null>();
  return {
    main,
    select(value) {
      if (value[5] === 0) return main;
      const parsed = messageIndexes(value);
      if (parsed === null) return null;
      const key = parsed.indexes.join(",");
      let source = byPath.get(key);
      if (source === undefined) {
        let t: PbType | undefined = top[parsed.indexes[0]];
        for (let i = 1; i < parsed.indexes.length && t; i++) t = messagesIn(t.nestedArray)[parsed.indexes[i]];
        source = t === undefined ? null : key === "0" ? main : sourceOf(t);
        byPath.set(key, source);
      }
      return source;
    },
  };
}

export function isProtobuf(schema: unknown): schema is ProtoSchema {
  return schema instanceof ProtoSchema;
}
