// Avro schemas for the registry (specification 1.11), written here without an Avro library: JSON.parse, then our
// own model checked with the specification's rules for names, namespaces, unions and defaults; the canonical text
// Confluent answers (the schema's compact JSON); a normalized text (full names, fixed attribute order, no doc) for
// normalize=true; and compatibility by the specification's schema resolution, as Apache Avro's SchemaCompatibility
// (which Confluent's registry uses) judges it.
import {
  InvalidSchemaError,
  type ParsedSchema,
  type ResolvedReference,
  type SchemaFormat,
  type SchemaInput,
} from "./schema_types.ts";

// ---- the model ----

const PRIMITIVES = ["null", "boolean", "int", "long", "float", "double", "bytes", "string"] as const;
export type Primitive = typeof PRIMITIVES[number];

/** Attributes beyond the ones Avro defines for the type (logicalType and its parameters, custom properties). */
export type Attrs = Readonly<Record<string, unknown>>;

export interface PrimitiveType {
  readonly kind: "primitive";
  readonly name: Primitive;
  readonly attrs: Attrs;
}

export interface ArrayType {
  readonly kind: "array";
  readonly items: AvroType;
  readonly attrs: Attrs;
}

export interface MapType {
  readonly kind: "map";
  readonly values: AvroType;
  readonly attrs: Attrs;
}

export interface UnionType {
  readonly kind: "union";
  readonly branches: readonly AvroType[];
}

interface NamedBase {
  readonly fullName: string;
  /** The unqualified name. */
  readonly name: string;
  readonly namespace: string;
  /** Full names (an alias without a dot is in the type's namespace). */
  readonly aliases: readonly string[];
  readonly attrs: Attrs;
}

export interface RecordType extends NamedBase {
  readonly kind: "record";
  readonly recordKind: "record" | "error";
  /** Filled after the record is named, so that its fields may refer to it. */
  readonly fields: AvroField[];
}

export interface EnumType extends NamedBase {
  readonly kind: "enum";
  readonly symbols: readonly string[];
  readonly default?: string;
}

export interface FixedType extends NamedBase {
  readonly kind: "fixed";
  readonly size: number;
}

export type NamedType = RecordType | EnumType | FixedType;
export type AvroType = PrimitiveType | ArrayType | MapType | UnionType | NamedType;

export type FieldOrder = "ascending" | "descending" | "ignore";

export interface AvroField {
  readonly name: string;
  readonly aliases: readonly string[];
  readonly type: AvroType;
  readonly hasDefault: boolean;
  readonly default: unknown;
  readonly order: FieldOrder;
  readonly attrs: Attrs;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ORDERS: readonly string[] = ["ascending", "descending", "ignore"];
const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;

/** The attributes each kind of schema object defines; the others are kept as attributes. */
const RESERVED = {
  primitive: ["type"],
  array: ["type", "items"],
  map: ["type", "values"],
  record: ["type", "name", "namespace", "doc", "aliases", "fields"],
  enum: ["type", "name", "namespace", "doc", "aliases", "symbols", "default"],
  fixed: ["type", "name", "namespace", "doc", "aliases", "size"],
  field: ["name", "type", "default", "order", "aliases", "doc"],
} as const;

type Json = Record<string, unknown>;

// ---- parsing ----

function invalid(why: string): never {
  throw new InvalidSchemaError(why);
}

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isPrimitive(name: string): name is Primitive {
  return (PRIMITIVES as readonly string[]).includes(name);
}

/** A path for messages: the root is "/". */
function at(path: string): string {
  return path === "" ? "/" : path;
}

function qualify(name: string, namespace: string): string {
  return namespace === "" ? name : `${namespace}.${name}`;
}

function extraAttrs(o: Json, reserved: readonly string[]): Attrs {
  return Object.fromEntries(Object.entries(o).filter(([k]) => !reserved.includes(k)));
}

function stringList(v: unknown, path: string, what: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) {
    invalid(`${at(path)}: ${what} must be an array of strings`);
  }
  return v;
}

/** A name or namespace given with dots: every part must be a valid Avro name. */
function checkDotted(dotted: string, path: string, what: string): void {
  for (const part of dotted.split(".")) {
    if (!NAME.test(part)) {
      invalid(`${at(path)}: ${what} '${dotted}' is not valid (each part must match [A-Za-z_][A-Za-z0-9_]*)`);
    }
  }
}

interface Naming {
  readonly name: string;
  readonly namespace: string;
  readonly fullName: string;
  readonly aliases: readonly string[];
}

/** Parses Avro JSON into types, resolving names against those defined so far (references' included). */
class Parser {
  readonly names = new Map<string, NamedType>();

  parse(json: unknown, namespace: string, path: string): AvroType {
    if (typeof json === "string") return this.byName(json, namespace, path);
    if (Array.isArray(json)) return this.union(json, namespace, path);
    if (!isObject(json)) {
      invalid(
        `${at(path)}: a schema must be a type name, an object or a union array, not ${JSON.stringify(json)}`,
      );
    }
    const type = json.type;
    if (typeof type !== "string") invalid(`${at(path)}: "type" is missing or not a string`);
    switch (type) {
      case "record":
      case "error":
        return this.record(json, type, namespace, path);
      case "enum":
        return this.enumType(json, namespace, path);
      case "fixed":
        return this.fixed(json, namespace, path);
      case "array":
        if (json.items === undefined) invalid(`${at(path)}: an array needs "items"`);
        return {
          kind: "array",
          items: this.parse(json.items, namespace, `${path}/items`),
          attrs: extraAttrs(json, RESERVED.array),
        };
      case "map":
        if (json.values === undefined) invalid(`${at(path)}: a map needs "values"`);
        return {
          kind: "map",
          values: this.parse(json.values, namespace, `${path}/values`),
          attrs: extraAttrs(json, RESERVED.map),
        };
      default:
        if (isPrimitive(type)) {
          return { kind: "primitive", name: type, attrs: extraAttrs(json, RESERVED.primitive) };
        }
        // {"type": "SomeRecord"}: a reference to a named type
        return this.byName(type, namespace, path);
    }
  }

  /** A short name is looked up in the enclosing namespace first, then in the null namespace (as Avro's Java). */
  private byName(name: string, namespace: string, path: string): AvroType {
    if (isPrimitive(name)) return { kind: "primitive", name, attrs: {} };
    const found = (name.includes(".") ? undefined : this.names.get(qualify(name, namespace))) ??
      this.names.get(name);
    if (!found) {
      invalid(`${at(path)}: undefined name '${name}' (not a primitive nor a named type defined before)`);
    }
    return found;
  }

  private union(json: unknown[], namespace: string, path: string): UnionType {
    const branches = json.map((b, i) => this.parse(b, namespace, `${path}/${i}`));
    const seen = new Set<string>();
    branches.forEach((b, i) => {
      if (b.kind === "union") invalid(`${path}/${i}: a union may not directly contain another union`);
      // unnamed types may appear once each; named types once per full name
      const key = "fullName" in b ? b.fullName : b.kind === "primitive" ? b.name : b.kind;
      if (seen.has(key)) invalid(`${at(path)}: the union has more than one branch of type '${key}'`);
      seen.add(key);
    });
    return { kind: "union", branches };
  }

  /** A dotted name is a full name; otherwise the "namespace" attribute, else the enclosing namespace, applies. */
  private naming(json: Json, enclosing: string, path: string): Naming {
    if (typeof json.name !== "string" || json.name === "") {
      invalid(`${at(path)}: a named type needs a "name"`);
    }
    if (json.namespace !== undefined && typeof json.namespace !== "string") {
      invalid(`${at(path)}: "namespace" must be a string`);
    }
    const dot = json.name.lastIndexOf(".");
    const name = dot < 0 ? json.name : json.name.slice(dot + 1);
    const namespace = dot >= 0 ? json.name.slice(0, dot) : json.namespace ?? enclosing;
    checkDotted(name, path, "name");
    if (namespace !== "") checkDotted(namespace, path, "namespace");
    if (isPrimitive(name)) invalid(`${at(path)}: a named type may not be called '${name}', a primitive type`);
    const aliases = stringList(json.aliases, path, `the aliases of '${json.name}'`).map((a) => {
      checkDotted(a, path, "alias");
      return a.includes(".") ? a : qualify(a, namespace);
    });
    return { name, namespace, fullName: qualify(name, namespace), aliases };
  }

  private define<T extends NamedType>(t: T, path: string): T {
    if (this.names.has(t.fullName)) invalid(`${at(path)}: the name '${t.fullName}' is defined twice`);
    this.names.set(t.fullName, t);
    return t;
  }

  private record(json: Json, recordKind: "record" | "error", enclosing: string, path: string): RecordType {
    const n = this.naming(json, enclosing, path);
    if (!Array.isArray(json.fields)) invalid(`${at(path)}: record '${n.fullName}' needs a "fields" array`);
    // defined before its fields are parsed, so that they may refer to it (recursive types)
    const rec = this.define<RecordType>({
      kind: "record",
      recordKind,
      ...n,
      attrs: extraAttrs(json, RESERVED.record),
      fields: [],
    }, path);
    const seen = new Set<string>();
    json.fields.forEach((f, i) => {
      const field = this.field(f, n.namespace, `${path}/fields/${i}`);
      if (seen.has(field.name)) {
        invalid(`${path}/fields/${i}: record '${n.fullName}' has two fields named '${field.name}'`);
      }
      seen.add(field.name);
      rec.fields.push(field);
    });
    return rec;
  }

  private field(json: unknown, namespace: string, path: string): AvroField {
    if (!isObject(json)) invalid(`${path}: a field must be an object`);
    if (typeof json.name !== "string") invalid(`${path}: a field needs a "name"`);
    if (!NAME.test(json.name)) invalid(`${path}: '${json.name}' is not a valid field name`);
    if (json.type === undefined) invalid(`${path}: field '${json.name}' needs a "type"`);
    const type = this.parse(json.type, namespace, `${path}/type`);
    const hasDefault = "default" in json;
    if (hasDefault) checkDefault(type, json.default, `${path}/default`);
    // Avro's Java reads the order case-insensitively
    const order = typeof json.order === "string" ? json.order.toLowerCase() : json.order ?? "ascending";
    if (typeof order !== "string" || !ORDERS.includes(order)) {
      invalid(`${path}: the order of field '${json.name}' must be ascending, descending or ignore`);
    }
    const aliases = stringList(json.aliases, path, `the aliases of field '${json.name}'`);
    for (const a of aliases) if (!NAME.test(a)) invalid(`${path}: '${a}' is not a valid field alias`);
    return {
      name: json.name,
      aliases,
      type,
      hasDefault,
      default: json.default,
      order: order as FieldOrder,
      attrs: extraAttrs(json, RESERVED.field),
    };
  }

  private enumType(json: Json, enclosing: string, path: string): EnumType {
    const n = this.naming(json, enclosing, path);
    if (!Array.isArray(json.symbols)) invalid(`${at(path)}: enum '${n.fullName}' needs a "symbols" array`);
    const symbols = stringList(json.symbols, path, `the symbols of enum '${n.fullName}'`);
    const seen = new Set<string>();
    for (const s of symbols) {
      if (!NAME.test(s)) invalid(`${at(path)}: '${s}' is not a valid symbol of enum '${n.fullName}'`);
      if (seen.has(s)) invalid(`${at(path)}: enum '${n.fullName}' has the symbol '${s}' twice`);
      seen.add(s);
    }
    if (json.default !== undefined && (typeof json.default !== "string" || !seen.has(json.default))) {
      invalid(
        `${at(path)}: the default ${
          JSON.stringify(json.default)
        } of enum '${n.fullName}' is not one of its symbols`,
      );
    }
    return this.define<EnumType>({
      kind: "enum",
      ...n,
      attrs: extraAttrs(json, RESERVED.enum),
      symbols,
      ...(typeof json.default === "string" ? { default: json.default } : {}),
    }, path);
  }

  private fixed(json: Json, enclosing: string, path: string): FixedType {
    const n = this.naming(json, enclosing, path);
    const size = json.size;
    if (typeof size !== "number" || !Number.isInteger(size) || size < 0 || size > INT_MAX) {
      invalid(`${at(path)}: fixed '${n.fullName}' needs a non-negative integer "size"`);
    }
    return this.define<FixedType>(
      { kind: "fixed", ...n, attrs: extraAttrs(json, RESERVED.fixed), size },
      path,
    );
  }
}

/** A short description of a type for messages: primitives and full names, array<…>, map<…>, [a, b]. */
function typeName(t: AvroType): string {
  switch (t.kind) {
    case "primitive":
      return t.name;
    case "array":
      return `array<${typeName(t.items)}>`;
    case "map":
      return `map<${typeName(t.values)}>`;
    case "union":
      return `[${t.branches.map(typeName).join(", ")}]`;
    default:
      return t.fullName;
  }
}

/** Is `v` a value of `t` in Avro's JSON encoding (what a field default must be)? Throws if not. */
function checkDefault(t: AvroType, v: unknown, path: string): void {
  const bad: (why?: string) => never = (why = "") =>
    invalid(`${path}: the default ${JSON.stringify(v)} does not match type '${typeName(t)}'${why}`);
  switch (t.kind) {
    case "primitive":
      if (!primitiveValue(t.name, v)) bad();
      return;
    case "union":
      // a union's default is a value of its first branch
      if (t.branches.length === 0) bad(" (an empty union has no values)");
      try {
        checkDefault(t.branches[0], v, path);
      } catch (e) {
        if (e instanceof InvalidSchemaError) bad(` (a union's default must be a value of its first branch)`);
        throw e;
      }
      return;
    case "enum":
      if (typeof v !== "string" || !t.symbols.includes(v)) bad(" (not one of its symbols)");
      return;
    case "fixed":
      if (typeof v !== "string") bad();
      return;
    case "array":
      if (!Array.isArray(v)) bad();
      v.forEach((x, i) => checkDefault(t.items, x, `${path}/${i}`));
      return;
    case "map":
      if (!isObject(v)) bad();
      for (const [k, x] of Object.entries(v)) checkDefault(t.values, x, `${path}/${k}`);
      return;
    case "record":
      if (!isObject(v)) bad();
      for (const f of t.fields) {
        if (f.name in v) checkDefault(f.type, v[f.name], `${path}/${f.name}`);
        else if (!f.hasDefault) bad(` (it lacks field '${f.name}', which has no default)`);
      }
      return;
  }
}

function primitiveValue(p: Primitive, v: unknown): boolean {
  switch (p) {
    case "null":
      return v === null;
    case "boolean":
      return typeof v === "boolean";
    case "int":
      return typeof v === "number" && Number.isInteger(v) && v >= INT_MIN && v <= INT_MAX;
    case "long":
      return typeof v === "number" && Number.isInteger(v);
    case "float":
    case "double":
      return typeof v === "number" || v === "NaN" || v === "Infinity" || v === "-Infinity";
    case "bytes":
    case "string":
      return typeof v === "string";
  }
}

// ---- the normalized text ----

/** JSON values with object keys sorted at every level, so that attribute order never shows. */
function sortedJson(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedJson);
  if (!isObject(v)) return v;
  const keys = Object.keys(v).sort();
  return Object.fromEntries(keys.map((k) => [k, sortedJson(v[k])]));
}

/**
 * Parsing Canonical Form extended to keep what changes meaning for the registry: full names everywhere (a type
 * defined earlier, in this schema or a reference, is written as its full name), Avro's attributes in one order,
 * defaults, orders, aliases and other attributes (sorted) kept, doc dropped, `{"type": "int"}` written "int".
 */
class Normalizer {
  /** Names already written out (or defined by references): written again as their full name. */
  constructor(private readonly defined: Set<string>) {}

  type(t: AvroType, enclosing: string): unknown {
    switch (t.kind) {
      case "primitive":
        return Object.keys(t.attrs).length === 0 ? t.name : { type: t.name, ...this.attrs(t.attrs) };
      case "union":
        return t.branches.map((b) => this.type(b, enclosing));
      case "array":
        return { type: "array", items: this.type(t.items, enclosing), ...this.attrs(t.attrs) };
      case "map":
        return { type: "map", values: this.type(t.values, enclosing), ...this.attrs(t.attrs) };
    }
    if (this.defined.has(t.fullName)) return t.fullName;
    this.defined.add(t.fullName);
    return { ...this.head(t, enclosing), ...this.body(t), ...this.attrs(t.attrs) };
  }

  private head(t: NamedType, enclosing: string): Json {
    return {
      type: t.kind === "record" ? t.recordKind : t.kind,
      name: t.fullName,
      // a type of the null namespace inside a namespaced one: without this, reparsing would move it
      ...(t.namespace === "" && enclosing !== "" ? { namespace: "" } : {}),
      ...(t.aliases.length > 0 ? { aliases: [...t.aliases].sort() } : {}),
    };
  }

  private body(t: NamedType): Json {
    switch (t.kind) {
      case "record":
        return { fields: t.fields.map((f) => this.field(f, t.namespace)) };
      case "enum":
        return { symbols: t.symbols, ...(t.default !== undefined ? { default: t.default } : {}) };
      case "fixed":
        return { size: t.size };
    }
  }

  private field(f: AvroField, namespace: string): Json {
    return {
      name: f.name,
      type: this.type(f.type, namespace),
      ...(f.hasDefault ? { default: sortedJson(f.default) } : {}),
      ...(f.order !== "ascending" ? { order: f.order } : {}),
      ...(f.aliases.length > 0 ? { aliases: [...f.aliases].sort() } : {}),
      ...this.attrs(f.attrs),
    };
  }

  private attrs(a: Attrs): Json {
    return sortedJson(a) as Json;
  }
}

// ---- compatibility: can `reader` read what `writer` wrote? ----

/** An incompatibility below some node: where, relative to that node, and how to say it once the path is known. */
interface Problem {
  readonly path: string;
  readonly say: (at: string) => string;
}

function problem(path: string, say: (at: string) => string): Problem {
  return { path, say };
}

/** The problems of a child node, seen from its parent. */
function under(segment: string, problems: readonly Problem[]): Problem[] {
  return problems.map((p) => ({ path: segment + p.path, say: p.say }));
}

/** Promotions the specification allows: the writer's type (key) read as one of the reader's (values). */
const PROMOTIONS: Readonly<Record<Primitive, readonly Primitive[]>> = {
  null: [],
  boolean: [],
  int: ["long", "float", "double"],
  long: ["float", "double"],
  float: ["double"],
  double: [],
  bytes: ["string"],
  string: ["bytes"],
};

/** Named alike: the same unqualified name, or the writer's full name among the reader's aliases. */
function namesMatch(r: NamedType, w: NamedType): boolean {
  return r.name === w.name || r.aliases.includes(w.fullName);
}

const IN_PROGRESS = "in progress";

/** Avro's schema resolution, as its Java SchemaCompatibility: a pair met again while in progress resolves. */
class Resolver {
  /** Record pairs by full names: their problems (relative to the pair), or in progress (recursive types). */
  private readonly memo = new Map<string, readonly Problem[] | typeof IN_PROGRESS>();

  check(r: AvroType, w: AvroType): readonly Problem[] {
    // every branch the writer may have written must be readable
    if (w.kind === "union") return w.branches.flatMap((b, i) => under(`/${i}`, this.check(r, b)));
    if (r.kind === "union") return this.someBranch(r, w);
    if (r.kind === "primitive" && w.kind === "primitive") return this.primitive(r, w);
    if (r.kind === "array" && w.kind === "array") return under("/items", this.check(r.items, w.items));
    if (r.kind === "map" && w.kind === "map") return under("/values", this.check(r.values, w.values));
    if (r.kind === "fixed" && w.kind === "fixed") return this.fixed(r, w);
    if (r.kind === "enum" && w.kind === "enum") return this.enumType(r, w);
    if (r.kind === "record" && w.kind === "record") return this.record(r, w);
    return [
      problem("", (at) => `${at}: writer type '${typeName(w)}' does not match reader type '${typeName(r)}'`),
    ];
  }

  private primitive(r: PrimitiveType, w: PrimitiveType): Problem[] {
    if (r.name === w.name || PROMOTIONS[w.name].includes(r.name)) return [];
    return [
      problem("", (at) => `${at}: writer type '${w.name}' cannot be promoted to reader type '${r.name}'`),
    ];
  }

  private someBranch(r: UnionType, w: AvroType): Problem[] {
    if (r.branches.some((b) => this.check(b, w).length === 0)) return [];
    return [
      problem(
        "",
        (at) => `${at}: no branch of reader union ${typeName(r)} can read writer type '${typeName(w)}'`,
      ),
    ];
  }

  private nameProblem(r: NamedType, w: NamedType): Problem[] {
    if (namesMatch(r, w)) return [];
    return [
      problem(
        "/name",
        (at) =>
          `${at}: reader ${r.kind} '${r.fullName}' has neither the name nor an alias of writer ${w.kind} '${w.fullName}'`,
      ),
    ];
  }

  private fixed(r: FixedType, w: FixedType): Problem[] {
    const named = this.nameProblem(r, w);
    if (named.length > 0 || r.size === w.size) return named;
    return [
      problem(
        "/size",
        (at) => `${at}: reader fixed '${r.fullName}' has size ${r.size}, the writer's ${w.size}`,
      ),
    ];
  }

  private enumType(r: EnumType, w: EnumType): Problem[] {
    const named = this.nameProblem(r, w);
    if (named.length > 0) return named;
    const missing = w.symbols.filter((s) => !r.symbols.includes(s));
    // the reader's enum default stands for symbols it does not know
    if (missing.length === 0 || r.default !== undefined) return [];
    return [
      problem(
        "/symbols",
        (at) =>
          `${at}: writer symbols [${
            missing.join(", ")
          }] are missing from reader enum '${r.fullName}', which has no default`,
      ),
    ];
  }

  private record(r: RecordType, w: RecordType): readonly Problem[] {
    const key = `${r.fullName}\u0000${w.fullName}`;
    const known = this.memo.get(key);
    if (known === IN_PROGRESS) return [];
    if (known) return known;
    this.memo.set(key, IN_PROGRESS);
    const named = this.nameProblem(r, w);
    const found = named.length > 0 ? named : r.fields.flatMap((f, i) => this.field(f, i, w));
    this.memo.set(key, found);
    return found;
  }

  /** A reader field is read from the writer's field of its name or one of its aliases, else from its default. */
  private field(rf: AvroField, i: number, w: RecordType): readonly Problem[] {
    const matches = w.fields.filter((wf) => wf.name === rf.name || rf.aliases.includes(wf.name));
    if (matches.length > 1) {
      const names = matches.map((m) => `'${m.name}'`).join(", ");
      return [
        problem(
          `/fields/${i}`,
          (at) => `reader field '${rf.name}' at ${at} matches several writer fields: ${names}`,
        ),
      ];
    }
    if (matches.length === 1) return under(`/fields/${i}/type`, this.check(rf.type, matches[0].type));
    if (rf.hasDefault) return [];
    return [
      problem(
        `/fields/${i}`,
        (at) => `reader field '${rf.name}' at ${at} has no default and is missing from the writer`,
      ),
    ];
  }
}

// ---- the format ----

export class AvroSchema implements ParsedSchema {
  readonly type = "AVRO" as const;
  private normal: string | undefined;

  constructor(
    readonly canonical: string,
    readonly root: AvroType,
    /** Full names the references define: the normalized text names them, never defines them again. */
    readonly referenced: ReadonlySet<string>,
  ) {}

  normalized(): string {
    return this.normal ??= JSON.stringify(new Normalizer(new Set(this.referenced)).type(this.root, ""));
  }
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    invalid(`${what} is not JSON: ${(e as Error).message}`);
  }
}

/** References first, depth first and each name once (as Confluent's resolved references), into one parser. */
function defineReferences(parser: Parser, refs: readonly ResolvedReference[], done: Set<string>): void {
  for (const ref of refs) {
    if (done.has(ref.name)) continue;
    done.add(ref.name);
    defineReferences(parser, ref.references, done);
    try {
      parser.parse(parseJson(ref.schema, "the schema"), "", "");
    } catch (e) {
      if (e instanceof InvalidSchemaError) invalid(`reference '${ref.name}': ${e.message}`);
      throw e;
    }
  }
}

export function parseAvro(input: SchemaInput): AvroSchema {
  const parser = new Parser();
  defineReferences(parser, input.references, new Set());
  const referenced = new Set(parser.names.keys());
  const json = parseJson(input.schema, "the schema");
  const root = parser.parse(json, "", "");
  return new AvroSchema(JSON.stringify(json), root, referenced);
}

export const AVRO_FORMAT: SchemaFormat = {
  type: "AVRO",
  parse: parseAvro,
  recordName: (schema) =>
    schema instanceof AvroSchema && "fullName" in schema.root ? schema.root.fullName : "",
  incompatibilities(reader: ParsedSchema, writer: ParsedSchema): string[] {
    if (!(reader instanceof AvroSchema) || !(writer instanceof AvroSchema)) {
      return [`cannot compare a ${reader.type} schema with a ${writer.type} schema as Avro`];
    }
    return new Resolver().check(reader.root, writer.root).map((p) => p.say(at(p.path)));
  },
};
