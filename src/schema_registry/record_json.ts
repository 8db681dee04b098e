// JSON Schemas (json_schema.ts) as schema_pb record types, and normalizers of JSON.parse's output against them
// (record_model.ts's normalized values). `$ref`s are followed (into referenced schemas too) and `allOf` merged as the
// registry's compatibility checker reads them; a value of the wrong JSON type is left out of the record.
import { deref, flattenAllOf, type Json, JsonSchema, type Located, type Obj } from "./json_schema.ts";
import {
  commonScalar,
  type FieldType,
  isRecord,
  jsonText,
  listOf,
  recordOf,
  type RecordType,
  type ScalarType,
  type SchemaDecoder,
  type Source,
  STRING,
  topLevel,
  wrapNested,
} from "./record_model.ts";
import { scalarCast } from "./record_value.ts";
import { InvalidSchemaError } from "./schema_types.ts";

type Norm = (v: unknown) => unknown;

interface Node {
  readonly type: FieldType | null;
  readonly norm: Norm;
}

const DECODER = new TextDecoder();

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Anything as JSON text (values no column type fits). */
const JSON_TEXT: Node = {
  type: STRING,
  norm: (v) => v === null || v === undefined ? undefined : jsonText(v),
};

const RFC3339 = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$/;

/** An RFC 3339 date-time as microseconds since the epoch (fractions below a microsecond dropped). */
function timestampMicros(v: unknown): number | undefined {
  if (typeof v !== "string") return undefined;
  const m = RFC3339.exec(v);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}T${m[2]}:${m[3]}:${m[4]}${m[6].toUpperCase()}`);
  if (Number.isNaN(ms)) return undefined;
  const frac = m[5] === undefined ? 0 : Number(m[5].slice(0, 6).padEnd(6, "0"));
  return ms * 1000 + frac;
}

function dateDays(v: unknown): number | undefined {
  if (typeof v !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(v)) return undefined;
  const ms = Date.parse(`${v}T00:00:00Z`);
  return Number.isNaN(ms) ? undefined : ms / 86_400_000;
}

/** An RFC 3339 partial time (with an optional offset, ignored) as microseconds since midnight. */
function timeMicros(v: unknown): number | undefined {
  if (typeof v !== "string") return undefined;
  const m = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:[Zz]|[+-]\d{2}:\d{2})?$/.exec(v);
  if (!m) return undefined;
  const [h, min, s] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (h > 23 || min > 59 || s > 60) return undefined;
  const frac = m[4] === undefined ? 0 : Number(m[4].slice(0, 6).padEnd(6, "0"));
  return ((h * 60 + min) * 60 + s) * 1_000_000 + frac;
}

/** A JSON Schema type name's column type and normalizer. */
function primitive(type: string, s: Obj): Node | null {
  switch (type) {
    case "integer":
      return {
        type: { scalar: "INT64" },
        norm: (v) => typeof v === "number" && Number.isInteger(v) ? v : undefined,
      };
    case "number":
      return { type: { scalar: "DOUBLE" }, norm: (v) => typeof v === "number" ? v : undefined };
    case "boolean":
      return { type: { scalar: "BOOL" }, norm: (v) => typeof v === "boolean" ? v : undefined };
    case "string":
      switch (s.format) {
        case "date-time":
          return { type: { scalar: "TIMESTAMP" }, norm: timestampMicros };
        case "date":
          return { type: { scalar: "DATE" }, norm: dateDays };
        case "time":
          return { type: { scalar: "TIME" }, norm: timeMicros };
      }
      return { type: STRING, norm: (v) => typeof v === "string" ? v : undefined };
    case "null":
      return null;
    default:
      return JSON_TEXT;
  }
}

function valueType(v: Json): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

/** The type names a schema allows, "null" left out; null when it does not say (or implies nothing). */
function typeNames(s: Obj): string[] | null {
  let names: string[];
  if (typeof s.type === "string") names = [s.type];
  else if (Array.isArray(s.type)) names = s.type.filter((t): t is string => typeof t === "string");
  else if (Array.isArray(s.enum)) names = [...new Set(s.enum.map(valueType))];
  else if (s.const !== undefined) names = [valueType(s.const)];
  else if (isObj(s.properties)) names = ["object"];
  else if (s.items !== undefined || s.prefixItems !== undefined) names = ["array"];
  else return null;
  return names.filter((n) => n !== "null");
}

/** A branch of anyOf/oneOf that only allows null. */
function isNullSchema(s: Json): boolean {
  return isObj(s) &&
    (s.type === "null" || (Array.isArray(s.type) && s.type.length === 1 && s.type[0] === "null"));
}

class Compiler {
  private readonly stack: Json[] = [];

  constructor(private readonly external: ReadonlyMap<string, Json>) {}

  node(at: Located): Node {
    const located = deref(at, this.external);
    const raw = located.schema;
    if (raw === false) return { type: null, norm: () => undefined };
    if (!isObj(raw)) return JSON_TEXT;
    if (this.stack.includes(raw)) return JSON_TEXT; // a schema inside itself
    this.stack.push(raw);
    try {
      return this.schema(flattenAllOf(located, this.external), located.doc);
    } finally {
      this.stack.pop();
    }
  }

  private schema(s: Obj, doc: Json): Node {
    const union = Array.isArray(s.anyOf) ? s.anyOf : Array.isArray(s.oneOf) ? s.oneOf : null;
    if (union !== null) {
      // T or null: T; anything else: JSON text
      const others = union.filter((b) => !isNullSchema(deref({ schema: b, doc }, this.external).schema));
      return others.length === 1 ? this.node({ schema: others[0], doc }) : JSON_TEXT;
    }
    const names = typeNames(s);
    if (names === null) return JSON_TEXT;
    if (names.length === 0) return { type: null, norm: () => undefined };
    if (names.length > 1) {
      // several numeric types: the widest of them; anything else: JSON text
      const nodes = names.map((n) => primitive(n, s));
      const scalar = nodes.every((n) => n !== null) ? commonScalar(nodes.map((n) => n!.type!)) : null;
      if (scalar === null || names.some((n) => n !== "integer" && n !== "number")) return JSON_TEXT;
      return this.numeric(scalar);
    }
    switch (names[0]) {
      case "object":
        return this.object(s, doc);
      case "array":
        return this.array(s, doc);
      default:
        return primitive(names[0], s) ?? { type: null, norm: () => undefined };
    }
  }

  private numeric(scalar: ScalarType): Node {
    const cast = scalarCast("DOUBLE", scalar)!;
    return { type: { scalar }, norm: (v) => typeof v === "number" ? cast(v) : undefined };
  }

  private object(s: Obj, doc: Json): Node {
    if (!isObj(s.properties) || Object.keys(s.properties).length === 0) return JSON_TEXT;
    const fields = Object.entries(s.properties).map(([name, schema]) => ({
      name,
      node: this.node({ schema, doc }),
    })).filter((f) => f.node.type !== null);
    const names = fields.map((f) => f.name);
    const norms = fields.map((f) => f.node.norm);
    const n = fields.length;
    const norm: Norm = (v) => {
      if (!isObj(v)) return undefined;
      const out = new Array(n);
      for (let i = 0; i < n; i++) {
        const x = v[names[i]];
        if (x !== undefined && x !== null) out[i] = norms[i](x);
      }
      return out;
    };
    if (n === 0) return { type: null, norm };
    return { type: { record: recordOf(fields.map((f) => ({ name: f.name, type: f.node.type! }))) }, norm };
  }

  private array(s: Obj, doc: Json): Node {
    const items = s.items;
    if (items === undefined || Array.isArray(items) || s.prefixItems !== undefined) return JSON_TEXT;
    const item = this.node({ schema: items, doc });
    if (item.type === null) return JSON_TEXT;
    const each = wrapNested(item.type, item.norm);
    return {
      type: listOf(item.type),
      norm: (v) => Array.isArray(v) ? v.map((x) => x === null ? undefined : each(x)) : undefined,
    };
  }
}

export function jsonDecoder(schema: JsonSchema): SchemaDecoder {
  const node = new Compiler(schema.external).node({ schema: schema.root, doc: schema.root });
  if (node.type === null || !isRecord(node.type)) {
    throw new InvalidSchemaError("the JSON Schema's top level is not an object with properties");
  }
  const type: RecordType = topLevel(node.type.record);
  const norm = node.norm;
  const main: Source = {
    type,
    decode(value) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(DECODER.decode(value.subarray(5)));
      } catch {
        return null;
      }
      const v = norm(parsed);
      return Array.isArray(v) ? v : null;
    },
  };
  return { main, select: () => main };
}

export function isJsonSchema(schema: unknown): schema is JsonSchema {
  return schema instanceof JsonSchema;
}
