// Avro schemas (avro.ts's model) as schema_pb record types, and a binary decoder (Avro specification 1.11/1.12,
// written here) compiled once per schema into closures that produce normalized values (record_model.ts).
import { AvroSchema, type AvroType, type Primitive, type RecordType as AvroRecord } from "./avro.ts";
import {
  commonScalar,
  type DecimalNumber,
  divInt,
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
  wrapNested,
} from "./record_model.ts";
import { scalarCast } from "./record_value.ts";
import { InvalidSchemaError } from "./schema_types.ts";

class AvroDecodeError extends Error {}

const DECODER = new TextDecoder();

function truncated(): never {
  throw new AvroDecodeError("truncated Avro value");
}

/** Little-endian floats are read through these (a DataView per value costs more than the copy); Avro's floats are
 * little-endian, as are the platforms Deno runs on. */
const SCRATCH = new Uint8Array(8);
const SCRATCH_F32 = new Float32Array(SCRATCH.buffer, 0, 1);
const SCRATCH_F64 = new Float64Array(SCRATCH.buffer);

/** Reads Avro's binary encoding from a byte view (views, not copies: values are written out before it changes). */
class AvroReader {
  constructor(readonly buf: Uint8Array, public pos: number) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  /** A zigzag varint of up to 64 bits: a number when within ±2^53, else a bigint. */
  long(): number | bigint {
    const b = this.buf;
    let byte = b[this.pos++];
    if (byte === undefined) truncated();
    if (byte < 0x80) return (byte >>> 1) ^ -(byte & 1);
    let n = byte & 0x7f;
    let mul = 0x80;
    // up to 7 bytes (49 bits) in exact double arithmetic
    for (let i = 1; i < 7; i++) {
      byte = b[this.pos++];
      if (byte === undefined) truncated();
      n += (byte & 0x7f) * mul;
      if (byte < 0x80) return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
      mul *= 0x80;
    }
    let big = BigInt(n);
    let shift = 49n;
    for (;;) {
      byte = b[this.pos++];
      if (byte === undefined) truncated();
      if (shift > 63n) throw new AvroDecodeError("varint longer than 10 bytes");
      big |= BigInt(byte & 0x7f) << shift;
      shift += 7n;
      if (byte < 0x80) break;
    }
    big = BigInt.asUintN(64, big);
    return int64Of(BigInt.asIntN(64, (big >> 1n) ^ -(big & 1n)));
  }

  int(): number {
    const v = this.long();
    if (typeof v !== "number" || v < -(2 ** 31) || v >= 2 ** 31) {
      throw new AvroDecodeError("int out of range");
    }
    return v;
  }

  /** A count (array/map block size, string/bytes length) that must be non-negative and plausible. */
  size(): number {
    const v = this.long();
    if (typeof v !== "number" || v < 0 || v > this.remaining) throw new AvroDecodeError("bad length");
    return v;
  }

  boolean(): boolean {
    const byte = this.buf[this.pos++];
    if (byte === undefined) truncated();
    if (byte > 1) throw new AvroDecodeError("bad boolean");
    return byte === 1;
  }

  float(): number {
    if (this.remaining < 4) truncated();
    const b = this.buf, p = this.pos;
    SCRATCH[0] = b[p], SCRATCH[1] = b[p + 1], SCRATCH[2] = b[p + 2], SCRATCH[3] = b[p + 3];
    this.pos += 4;
    return SCRATCH_F32[0];
  }

  double(): number {
    if (this.remaining < 8) truncated();
    const b = this.buf, p = this.pos;
    SCRATCH[0] = b[p], SCRATCH[1] = b[p + 1], SCRATCH[2] = b[p + 2], SCRATCH[3] = b[p + 3];
    SCRATCH[4] = b[p + 4], SCRATCH[5] = b[p + 5], SCRATCH[6] = b[p + 6], SCRATCH[7] = b[p + 7];
    this.pos += 8;
    return SCRATCH_F64[0];
  }

  fixed(n: number): Uint8Array {
    if (this.remaining < n) truncated();
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  bytes(): Uint8Array {
    return this.fixed(this.size());
  }

  string(): string {
    const n = this.size();
    const b = this.buf;
    const start = this.pos;
    // short ASCII strings char by char; anything else through TextDecoder
    if (n <= 32) {
      let s = "";
      let i = start;
      for (; i < start + n; i++) {
        const c = b[i];
        if (c >= 0x80) break;
        s += String.fromCharCode(c);
      }
      if (i === start + n) {
        this.pos = i;
        return s;
      }
    }
    return DECODER.decode(this.fixed(n));
  }

  /** Array and map blocks: count (negative: followed by the block's byte size), until a zero count. */
  blocks(each: () => void): void {
    for (;;) {
      let n = this.long();
      if (n === 0) return;
      if (typeof n !== "number") throw new AvroDecodeError("bad block count");
      if (n < 0) {
        n = -n;
        this.long();
      }
      // items may be zero bytes long (null, empty records): allow some slack beyond the bytes left
      if (n > this.remaining + 4096) throw new AvroDecodeError("implausible block count");
      for (let i = 0; i < n; i++) each();
    }
  }
}

type Read = (r: AvroReader) => unknown;

/** A compiled Avro type: its field type (null: no column, as for "null" and field-less records) and reader. */
interface Node {
  readonly type: FieldType | null;
  readonly read: Read;
}

function logical(t: AvroType): string | undefined {
  if (t.kind !== "primitive" && t.kind !== "fixed") return undefined;
  const l = t.attrs.logicalType;
  return typeof l === "string" ? l : undefined;
}

/** decimal's precision and scale, or null when they are not valid (the logical type is then ignored). */
function decimalParams(t: AvroType): { precision: number; scale: number } | null {
  if (t.kind !== "primitive" && t.kind !== "fixed") return null;
  const precision = t.attrs.precision;
  const scale = t.attrs.scale ?? 0;
  if (typeof precision !== "number" || !Number.isInteger(precision) || precision < 1) return null;
  if (typeof scale !== "number" || !Number.isInteger(scale) || scale < 0 || scale > precision) return null;
  return { precision, scale };
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

function uuidText(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < 16; i++) s += (i === 4 || i === 6 || i === 8 || i === 10 ? "-" : "") + HEX[b[i]];
  return s;
}

function primitive(name: Primitive, t: AvroType): Node {
  const lt = logical(t);
  switch (name) {
    case "null":
      return { type: null, read: () => null };
    case "boolean":
      return { type: { scalar: "BOOL" }, read: (r) => r.boolean() };
    case "int":
      if (lt === "date") return { type: { scalar: "DATE" }, read: (r) => r.int() };
      if (lt === "time-millis") return { type: { scalar: "TIME" }, read: (r) => r.int() * 1000 };
      return { type: { scalar: "INT32" }, read: (r) => r.int() };
    case "long":
      switch (lt) {
        case "time-micros":
          return { type: { scalar: "TIME" }, read: (r) => r.long() };
        case "timestamp-millis":
          return { type: { scalar: "TIMESTAMP" }, read: (r) => scaleInt(r.long(), 1000) };
        case "timestamp-micros":
          return { type: { scalar: "TIMESTAMP" }, read: (r) => r.long() };
        case "timestamp-nanos":
          return { type: { scalar: "TIMESTAMP" }, read: (r) => divInt(r.long(), 1000) };
        case "local-timestamp-millis":
          return { type: { scalar: "TIMESTAMP", local: true }, read: (r) => scaleInt(r.long(), 1000) };
        case "local-timestamp-micros":
          return { type: { scalar: "TIMESTAMP", local: true }, read: (r) => r.long() };
        case "local-timestamp-nanos":
          return { type: { scalar: "TIMESTAMP", local: true }, read: (r) => divInt(r.long(), 1000) };
      }
      return { type: { scalar: "INT64" }, read: (r) => r.long() };
    case "float":
      return { type: { scalar: "FLOAT" }, read: (r) => r.float() };
    case "double":
      return { type: { scalar: "DOUBLE" }, read: (r) => r.double() };
    case "bytes": {
      const d = lt === "decimal" ? decimalParams(t) : null;
      if (d) {
        return {
          type: { scalar: "DECIMAL" },
          read: (r) => ({ unscaled: r.bytes(), ...d }) satisfies DecimalNumber,
        };
      }
      return { type: { scalar: "BYTES" }, read: (r) => r.bytes() };
    }
    case "string":
      return { type: STRING, read: (r) => r.string() };
  }
}

/** Plain JSON-able values (records and maps as objects, unions as the branch's value) for JSON text columns. */
function rawReader(t: AvroType, memo: Map<AvroType, Read>): Read {
  const known = memo.get(t);
  if (known) return known;
  let read: Read;
  switch (t.kind) {
    case "primitive":
      read = primitive(t.name, { kind: "primitive", name: t.name, attrs: {} }).read;
      break;
    case "fixed":
      read = (r) => r.fixed(t.size);
      break;
    case "enum":
      read = enumReader(t.symbols);
      break;
    case "array": {
      const items = rawReader(t.items, memo);
      read = (r) => {
        const out: unknown[] = [];
        r.blocks(() => out.push(items(r)));
        return out;
      };
      break;
    }
    case "map": {
      const values = rawReader(t.values, memo);
      read = (r) => {
        const out: Record<string, unknown> = {};
        r.blocks(() => {
          const k = r.string();
          out[k] = values(r);
        });
        return out;
      };
      break;
    }
    case "union": {
      const branches = t.branches.map((b) => rawReader(b, memo));
      read = (r) => (branches[r.int()] ?? badBranch)(r);
      break;
    }
    case "record": {
      // registered before its fields compile, so recursive records find it
      let fields: { name: string; read: Read }[] = [];
      read = (r) => {
        const out: Record<string, unknown> = {};
        for (const f of fields) out[f.name] = f.read(r);
        return out;
      };
      memo.set(t, read);
      fields = t.fields.map((f) => ({ name: f.name, read: rawReader(f.type, memo) }));
      return read;
    }
  }
  memo.set(t, read);
  return read;
}

const badBranch: Read = () => {
  throw new AvroDecodeError("union branch index out of range");
};

function enumReader(symbols: readonly string[]): Read {
  return (r) => {
    const s = symbols[r.int()];
    if (s === undefined) throw new AvroDecodeError("enum index out of range");
    return s;
  };
}

/** Compiles a type with the records being compiled (a record met again inside itself becomes JSON text). */
class Compiler {
  private readonly raw = new Map<AvroType, Read>();
  private readonly stack: AvroRecord[] = [];

  node(t: AvroType): Node {
    switch (t.kind) {
      case "primitive":
        return primitive(t.name, t);
      case "fixed": {
        const lt = logical(t);
        const d = lt === "decimal" ? decimalParams(t) : null;
        if (d) {
          return {
            type: { scalar: "DECIMAL" },
            read: (r) => ({ unscaled: r.fixed(t.size), ...d }) satisfies DecimalNumber,
          };
        }
        if (lt === "uuid" && t.size === 16) return { type: STRING, read: (r) => uuidText(r.fixed(16)) };
        return { type: { scalar: "BYTES" }, read: (r) => r.fixed(t.size) };
      }
      case "enum":
        return { type: STRING, read: enumReader(t.symbols) };
      case "array":
        return this.array(t.items);
      case "map":
        return this.map(t.values);
      case "union":
        return this.union(t.branches);
      case "record":
        return this.record(t);
    }
  }

  private array(itemType: AvroType): Node {
    const items = this.node(itemType);
    if (items.type === null) {
      return { type: null, read: (r) => r.blocks(() => items.read(r)) };
    }
    const each = wrapNested(items.type, items.read);
    return {
      type: listOf(items.type),
      read: (r) => {
        const out: unknown[] = [];
        r.blocks(() => out.push(each(r)));
        return out;
      },
    };
  }

  private map(valueType: AvroType): Node {
    const values = this.node(valueType);
    const keep = values.type !== null;
    return {
      type: mapOf(STRING, values.type),
      read: (r) => {
        const out: unknown[] = [];
        r.blocks(() => {
          const k = r.string();
          const v = values.read(r);
          out.push(keep ? [k, v] : [k]);
        });
        return out;
      },
    };
  }

  private union(branchTypes: readonly AvroType[]): Node {
    const branches = branchTypes.map((b) => this.node(b));
    const typed = branches.filter((b) => b.type !== null);
    if (typed.length <= 1) {
      // ["null", T] in either order: T, absent when null
      const reads = branches.map((b) => b.read);
      return { type: typed[0]?.type ?? null, read: (r) => (reads[r.int()] ?? badBranch)(r) };
    }
    const scalar = commonScalar(typed.map((b) => b.type!));
    if (scalar !== null) {
      // numeric (or date/timestamp) branches: the widest of them
      const reads = branches.map((b) => {
        if (b.type === null || !("scalar" in b.type)) return b.read;
        const cast = scalarCast(b.type.scalar, scalar)!;
        return (r: AvroReader) => cast(b.read(r));
      });
      return { type: { scalar }, read: (r) => (reads[r.int()] ?? badBranch)(r) };
    }
    // anything else: the JSON text of the branch's value
    const raw = branchTypes.map((b) => rawReader(b, this.raw));
    return {
      type: STRING,
      read: (r) => {
        const v = (raw[r.int()] ?? badBranch)(r);
        return v === null ? null : jsonText(v);
      },
    };
  }

  private record(t: AvroRecord): Node {
    if (this.stack.includes(t)) {
      const raw = rawReader(t, this.raw);
      return { type: STRING, read: (r) => jsonText(raw(r)) };
    }
    this.stack.push(t);
    const nodes = t.fields.map((f) => ({ name: f.name, node: this.node(f.type) }));
    this.stack.pop();
    const kept = nodes.filter((n) => n.node.type !== null);
    const reads = nodes.map((n) => n.node.read);
    let slot = 0;
    const slots = nodes.map((n) => n.node.type === null ? -1 : slot++);
    const n = kept.length;
    const read: Read = (r) => {
      const out = new Array(n);
      for (let i = 0; i < reads.length; i++) {
        const v = reads[i](r);
        const s = slots[i];
        if (s >= 0) out[s] = v;
      }
      return out;
    };
    if (n === 0) return { type: null, read };
    return { type: { record: recordOf(kept.map((k) => ({ name: k.name, type: k.node.type! }))) }, read };
  }
}

/** The top-level record (or ["null", record]) of an Avro schema, compiled. */
export function avroDecoder(schema: AvroSchema): SchemaDecoder {
  const root = schema.root;
  const top = root.kind === "union"
    ? root.branches.filter((b) => !(b.kind === "primitive" && b.name === "null"))
    : [
      root,
    ];
  if (top.length !== 1 || top[0].kind !== "record") {
    const what = root.kind === "primitive" ? root.name : root.kind;
    throw new InvalidSchemaError(`the Avro schema's top level is ${what}, not a record`);
  }
  const node = new Compiler().node(root);
  const type: RecordType = node.type !== null && isRecord(node.type)
    ? topLevel(node.type.record)
    : { fields: [] };
  const read = node.read;
  const main: Source = {
    type,
    decode(value) {
      try {
        const r = new AvroReader(value, 5);
        const v = read(r);
        if (r.pos !== value.length || !Array.isArray(v)) return null;
        return v;
      } catch (e) {
        if (e instanceof AvroDecodeError || e instanceof RangeError || e instanceof TypeError) return null;
        throw e;
      }
    },
  };
  return { main, select: () => main };
}

export function isAvro(schema: unknown): schema is AvroSchema {
  return schema instanceof AvroSchema;
}
