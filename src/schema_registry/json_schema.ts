// JSON Schema for the registry. A schema must be JSON that ajv compiles: drafts 6 and 7 (the default), 2019-09 and
// 2020-12 with ajv's classes for them, draft 4 upgraded to draft 6's numeric exclusive bounds and `$id` first (ajv 8
// has no draft-4 meta-schema), an unknown `$schema` checked as draft 7. Referenced schemas are added under their
// reference names so that `$ref`s to them resolve.
//
// Compatibility is written here as Confluent's json-schema-provider judges it: the reader must accept everything
// the writer can produce. Types may widen (integer → number, a type → a union with it) and not narrow; enums may
// grow; bounds may loosen; a property the reader adds is compatible only where the writer's content model could not
// have held it (closed, or partially open with a matching schema) or with an empty schema; a property the reader
// removes is compatible only where the reader's content model still takes it (open, or partially open with a
// matching schema); a property newly required is incompatible unless it has a default. `$ref`s are followed, into
// referenced schemas too; problems are named by JSON pointer.
import AjvModule from "ajv";
import Ajv2019Module from "ajv/dist/2019.js";
import Ajv2020Module from "ajv/dist/2020.js";
import draft6MetaSchema from "ajv/dist/refs/json-schema-draft-06.json" with { type: "json" };
import {
  InvalidSchemaError,
  type ParsedSchema,
  type ResolvedReference,
  type SchemaFormat,
  type SchemaInput,
} from "./schema_types.ts";

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type Obj = { [k: string]: Json };

/** A schema with the document its local `$ref`s resolve against. */
export interface Located {
  readonly schema: Json;
  readonly doc: Json;
}

type Draft = "4" | "6" | "7" | "2019-09" | "2020-12";

interface AjvLike {
  addSchema(schema: object, key?: string, meta?: boolean, validateSchema?: boolean): unknown;
  addMetaSchema(schema: object): unknown;
  compile(schema: object | boolean): unknown;
}
type AjvClass = new (opts: Record<string, unknown>) => AjvLike;
const Ajv = (AjvModule as unknown as { default: AjvClass }).default;
const Ajv2019 = (Ajv2019Module as unknown as { default: AjvClass }).default;
const Ajv2020 = (Ajv2020Module as unknown as { default: AjvClass }).default;

/** Keywords that constrain nothing: a schema holding only these accepts every value. */
const ANNOTATIONS = new Set([
  "$schema",
  "$id",
  "id",
  "$anchor",
  "$comment",
  "title",
  "description",
  "default",
  "examples",
  "definitions",
  "$defs",
  "readOnly",
  "writeOnly",
  "deprecated",
  "format",
  "contentMediaType",
  "contentEncoding",
]);

/** Counting bounds a reader may loosen and not tighten: uppers may only grow, lowers only shrink. */
const UPPER_BOUNDS = ["maxLength", "maxItems", "maxProperties", "maxContains"];
const LOWER_BOUNDS = ["minLength", "minItems", "minProperties", "minContains"];

/** A numeric bound: `maximum`/`minimum` are inclusive, `exclusiveMaximum`/`exclusiveMinimum` exclusive. */
interface Limit {
  readonly value: number;
  readonly exclusive: boolean;
}

/** Keywords that make a schema without `type` an object, array, string or number one (as Confluent reads it). */
const IMPLIED_TYPES: readonly (readonly [string, readonly string[]])[] = [
  ["object", [
    "properties",
    "required",
    "additionalProperties",
    "patternProperties",
    "minProperties",
    "maxProperties",
    "dependencies",
    "dependentRequired",
    "propertyNames",
  ]],
  ["array", ["items", "prefixItems", "additionalItems", "minItems", "maxItems", "uniqueItems", "contains"]],
  ["string", ["minLength", "maxLength", "pattern"]],
  ["number", ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"]],
];

/** Keywords whose values are data, not schemas (draft-4 upgrading leaves them alone). */
const DATA_KEYWORDS = new Set(["enum", "const", "default", "examples"]);

function invalid(why: string): never {
  throw new InvalidSchemaError(why);
}

function isObj(v: Json | undefined): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function sortKeys(v: Json): Json {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (!isObj(v)) return v;
  return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])]));
}

function sameJson(a: Json | undefined, b: Json | undefined): boolean {
  return JSON.stringify(sortKeys(a ?? null)) === JSON.stringify(sortKeys(b ?? null));
}

// ---- parsing ----

function parseJson(text: string, what: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch (e) {
    invalid(`${what} is not JSON: ${(e as Error).message}`);
  }
}

function draftOf(schema: Json): Draft {
  const uri = isObj(schema) && typeof schema.$schema === "string" ? schema.$schema : "";
  if (uri.includes("draft-04")) return "4";
  if (uri.includes("draft-06")) return "6";
  if (uri.includes("2019-09")) return "2019-09";
  if (uri.includes("2020-12")) return "2020-12";
  return "7";
}

/** Draft 4's boolean exclusive bounds and `id` in draft 6's form, so draft-6+ tools (ajv, the comparer) read them. */
function upgradeDraft4(v: Json): Json {
  if (Array.isArray(v)) return v.map(upgradeDraft4);
  if (!isObj(v)) return v;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) out[k] = DATA_KEYWORDS.has(k) ? x : upgradeDraft4(x);
  for (const [flag, bound] of [["exclusiveMaximum", "maximum"], ["exclusiveMinimum", "minimum"]] as const) {
    if (typeof out[flag] !== "boolean") continue;
    if (out[flag] === true && typeof out[bound] === "number") {
      out[flag] = out[bound];
      delete out[bound];
    } else {
      delete out[flag];
    }
  }
  if (typeof out.id === "string" && out.$id === undefined) {
    out.$id = out.id;
    delete out.id;
  }
  return out;
}

/** The schema as ajv and the comparer read it: draft 4 upgraded, and checked as draft 7 like unknown drafts. */
function prepared(schema: Json): Json {
  if (!isObj(schema) || typeof schema.$schema !== "string") return schema;
  if (draftOf(schema) === "4") {
    const { $schema: _, ...rest } = upgradeDraft4(schema) as Obj;
    return rest;
  }
  if (/draft-0[67]|2019-09|2020-12/.test(schema.$schema)) return schema;
  const { $schema: _, ...rest } = schema;
  return rest;
}

function ajvFor(draft: Draft): AjvLike {
  // formats are annotations here (ajv-formats is not loaded, and Confluent does not check them)
  const opts = { strict: false, validateFormats: false };
  if (draft === "2019-09") return new Ajv2019(opts);
  if (draft === "2020-12") return new Ajv2020(opts);
  const ajv = new Ajv(opts);
  if (draft === "6") ajv.addMetaSchema(draft6MetaSchema);
  return ajv;
}

/** Referenced schemas (and theirs) by reference name and by `$id`: where `$ref`s may point outside the document. */
function collectReferences(
  refs: readonly ResolvedReference[],
  into = new Map<string, Json>(),
): Map<string, Json> {
  for (const r of refs) {
    if (into.has(r.name)) continue;
    const schema = prepared(parseJson(r.schema, `reference ${r.name}`));
    into.set(r.name, schema);
    if (isObj(schema) && typeof schema.$id === "string") into.set(schema.$id, schema);
    collectReferences(r.references, into);
  }
  return into;
}

function validate(root: Json, draft: Draft, refs: ReadonlyMap<string, Json>, names: readonly string[]): void {
  const ajv = ajvFor(draft);
  try {
    // references were checked when they were registered; their own drafts may differ from this one
    for (const name of names) {
      const s = refs.get(name);
      if (isObj(s)) {
        const { $schema: _, ...rest } = s;
        ajv.addSchema(rest, name, false, false);
      }
    }
    ajv.compile(root as object | boolean);
  } catch (e) {
    invalid(`not a valid JSON Schema: ${(e as Error).message}`);
  }
}

export class JsonSchema implements ParsedSchema {
  readonly type = "JSON" as const;

  constructor(
    readonly canonical: string,
    /** The schema as registered. */
    readonly original: Json,
    /** The schema as compared (draft 4 upgraded). */
    readonly root: Json,
    /** Referenced schemas by reference name and `$id`. */
    readonly external: ReadonlyMap<string, Json>,
  ) {}

  normalized(): string {
    return JSON.stringify(sortKeys(this.original));
  }
}

/** Reference names of the schema's direct and indirect references (for ajv's keys). */
function referenceNames(refs: readonly ResolvedReference[], into = new Set<string>()): string[] {
  for (const r of refs) {
    if (into.has(r.name)) continue;
    into.add(r.name);
    referenceNames(r.references, into);
  }
  return [...into];
}

export function parseJsonSchema(input: SchemaInput): JsonSchema {
  const original = parseJson(input.schema, "the schema");
  if (!isObj(original) && typeof original !== "boolean") invalid("a JSON Schema is an object or a boolean");
  const root = prepared(original);
  const external = collectReferences(input.references);
  validate(root, draftOf(original), external, referenceNames(input.references));
  if (isObj(root) && typeof root.$id === "string" && !external.has(root.$id)) {
    external.set(root.$id, root);
  }
  return new JsonSchema(JSON.stringify(original), original, root, external);
}

// ---- reading schemas ----

/** RFC 6901 pointer step. */
function pointerStep(key: string): string {
  return key.replaceAll("~", "~0").replaceAll("/", "~1");
}

function followPointer(doc: Json, pointer: string): Json | undefined {
  let at: Json | undefined = doc;
  for (const part of pointer.split("/").slice(1)) {
    const key = decodeURIComponent(part).replaceAll("~1", "/").replaceAll("~0", "~");
    at = isObj(at) ? at[key] : Array.isArray(at) ? at[Number(key)] : undefined;
  }
  return at;
}

/** The referenced document `base` names: by reference name or `$id`, also resolved against the document's `$id`. */
function documentAt(base: string, doc: Json, external: ReadonlyMap<string, Json>): Json | undefined {
  if (base === "") return doc;
  const direct = external.get(base);
  if (direct !== undefined || !isObj(doc) || typeof doc.$id !== "string") return direct;
  try {
    return external.get(new URL(base, doc.$id).href);
  } catch {
    return undefined; // a relative $id: no base to resolve against
  }
}

/** Follows `$ref`s: a pointer into the same document, or a referenced schema by name or `$id`, with a pointer. */
export function deref(n: Located, external: ReadonlyMap<string, Json>): Located {
  let at = n;
  for (let hops = 0; hops < 64 && isObj(at.schema) && typeof at.schema.$ref === "string"; hops++) {
    const ref = at.schema.$ref;
    const hash = ref.indexOf("#");
    const base = hash < 0 ? ref : ref.slice(0, hash);
    const pointer = hash < 0 ? "" : ref.slice(hash + 1);
    const doc = documentAt(base, at.doc, external);
    if (doc === undefined || (pointer !== "" && !pointer.startsWith("/"))) return at;
    const target = followPointer(doc, pointer);
    if (target === undefined) return at;
    at = { schema: target, doc };
  }
  return at;
}

/** A schema that accepts every value. */
function acceptsAll(s: Json): boolean {
  return s === true || (isObj(s) && Object.keys(s).every((k) => ANNOTATIONS.has(k)));
}

function valueType(v: Json): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function enumValues(s: Obj): Json[] | null {
  if (Array.isArray(s.enum)) return s.enum;
  return s.const !== undefined ? [s.const] : null;
}

/** The types a schema allows: `type`, else its enum's values' types, else those its keywords imply; null: any. */
function typesOf(s: Obj): Set<string> | null {
  if (typeof s.type === "string") return new Set([s.type]);
  if (Array.isArray(s.type)) return new Set(s.type.filter((t): t is string => typeof t === "string"));
  const values = enumValues(s);
  if (values) return new Set(values.map(valueType));
  const implied = IMPLIED_TYPES.filter(([, keys]) => keys.some((k) => s[k] !== undefined)).map(([t]) => t);
  return implied.length > 0 ? new Set(implied) : null;
}

function allows(types: Set<string> | null, t: string): boolean {
  return types === null || types.has(t) || (t === "integer" && types.has("number"));
}

/** The tighter of a schema's inclusive and exclusive numeric bounds on one side; null when unbounded. */
function numberLimit(s: Obj, upper: boolean): Limit | null {
  const inclusive = s[upper ? "maximum" : "minimum"];
  const exclusive = s[upper ? "exclusiveMaximum" : "exclusiveMinimum"];
  const a = typeof inclusive === "number" ? { value: inclusive, exclusive: false } : null;
  const b = typeof exclusive === "number" ? { value: exclusive, exclusive: true } : null;
  if (a === null || b === null) return a ?? b;
  if (a.value === b.value) return b;
  return (upper ? a.value < b.value : a.value > b.value) ? a : b;
}

/** Does every number within the writer's limit lie within the reader's? */
function within(r: Limit | null, w: Limit | null, upper: boolean): boolean {
  if (r === null) return true;
  if (w === null) return false;
  if (w.value !== r.value) return upper ? w.value < r.value : w.value > r.value;
  return w.exclusive || !r.exclusive;
}

function limitText(l: Limit | null, upper: boolean): string {
  if (l === null) return "none";
  return `${upper ? (l.exclusive ? "<" : "≤") : (l.exclusive ? ">" : "≥")} ${l.value}`;
}

function requiredOf(s: Obj): Set<string> {
  return new Set(
    Array.isArray(s.required) ? s.required.filter((x): x is string => typeof x === "string") : [],
  );
}

/** What a content model says of a property it does not list: undefined when open (anything goes). */
function slotFor(s: Obj, name: string): Json | undefined {
  if (isObj(s.patternProperties)) {
    for (const [pattern, schema] of Object.entries(s.patternProperties)) {
      if (new RegExp(pattern, "u").test(name)) return schema;
    }
  }
  const extra = s.additionalProperties ?? s.unevaluatedProperties;
  return extra === true ? undefined : extra;
}

function closed(s: Obj): boolean {
  return s.additionalProperties === false || s.unevaluatedProperties === false;
}

/** An array's positional item schemas and the schema of the items after them (draft 2020 or earlier forms). */
function itemsOf(s: Obj): { prefix: Json[]; rest: Json | undefined } {
  if (Array.isArray(s.items)) return { prefix: s.items, rest: s.additionalItems ?? s.unevaluatedItems };
  if (Array.isArray(s.prefixItems)) return { prefix: s.prefixItems, rest: s.items ?? s.unevaluatedItems };
  return { prefix: [], rest: s.items };
}

/** `allOf` branches merged into the schema (properties and required joined, types intersected): the usual case. */
export function flattenAllOf(n: Located, external: ReadonlyMap<string, Json>): Obj {
  const s = n.schema;
  if (!isObj(s) || !Array.isArray(s.allOf)) return isObj(s) ? s : {};
  const { allOf, ...out } = s;
  for (const b of allOf) {
    const branch = flattenAllOf(deref({ schema: b, doc: n.doc }, external), external);
    for (const [k, v] of Object.entries(branch)) {
      if (k === "properties" && isObj(v)) {
        out.properties = { ...v, ...(isObj(out.properties) ? out.properties : {}) };
      } else if (k === "required" && Array.isArray(v)) {
        out.required = [...requiredOf(out), ...requiredOf(branch)];
      } else if (k === "type" && out.type !== undefined) out.type = intersectTypes(out, branch);
      else if (k === "additionalProperties" && v === false) out.additionalProperties = false;
      else if (out[k] === undefined) out[k] = v;
    }
  }
  return out;
}

/** The types both schemas allow (number and integer meet in integer). */
function intersectTypes(a: Obj, b: Obj): Json {
  const ta = typesOf(a) ?? new Set<string>();
  const tb = typesOf(b) ?? new Set<string>();
  const out = new Set<string>();
  for (const t of ta) {
    if (allows(tb, t)) out.add(t);
    else if (t === "number" && tb.has("integer")) out.add("integer");
  }
  return [...out];
}

/** The branches of an anyOf/oneOf, each with the keywords beside it (they apply to every branch). */
function branchesOf(n: Located, s: Obj, external: ReadonlyMap<string, Json>): Located[] | null {
  const list = Array.isArray(s.anyOf) ? s.anyOf : Array.isArray(s.oneOf) ? s.oneOf : null;
  if (list === null) return null;
  const { anyOf: _a, oneOf: _o, ...siblings } = s;
  return list.map((b) => {
    const branch = deref({ schema: b, doc: n.doc }, external);
    const merged = isObj(branch.schema) ? { ...siblings, ...branch.schema } : branch.schema;
    return { schema: acceptsAll(siblings) ? branch.schema : merged, doc: branch.doc };
  });
}

function at(path: string): string {
  return path === "" ? "#/" : `#${path}`;
}

// ---- compatibility: does the reader accept everything the writer can produce? ----

class Comparer {
  readonly problems: string[] = [];
  /** Schema pairs compared already (recursive definitions meet again). */
  private readonly seen = new Map<Json, Set<Json>>();

  constructor(private readonly reader: JsonSchema, private readonly writer: JsonSchema) {}

  compare(rIn: Located, wIn: Located, path: string): void {
    const r = deref(rIn, this.reader.external);
    const w = deref(wIn, this.writer.external);
    if (acceptsAll(r.schema) || w.schema === false) return;
    if (r.schema === false) {
      return this.problem(path, "the reader accepts nothing where the writer writes values");
    }
    if (!isObj(r.schema) || this.visited(r.schema, w.schema)) return;
    const wBranches = isObj(w.schema) ? branchesOf(w, w.schema, this.writer.external) : null;
    if (wBranches) {
      // every value the writer's union writes must be read
      for (const b of wBranches) this.compare(r, b, path);
      return;
    }
    const rBranches = branchesOf(r, r.schema, this.reader.external);
    if (rBranches) {
      // a writer of several types is a union too: each of its types must find a branch
      const wTypes = isObj(w.schema) && Array.isArray(w.schema.type) ? w.schema.type : [null];
      for (const t of wTypes) {
        const single = t === null || !isObj(w.schema) ? w : { schema: { ...w.schema, type: t }, doc: w.doc };
        this.someBranch(rBranches, single, path);
      }
      return;
    }
    this.schemas(
      flattenAllOf(r, this.reader.external),
      r.doc,
      flattenAllOf(w, this.writer.external),
      w.doc,
      path,
    );
  }

  private visited(r: Json, w: Json): boolean {
    const withR = this.seen.get(r) ?? new Set<Json>();
    this.seen.set(r, withR);
    if (withR.has(w)) return true;
    withR.add(w);
    return false;
  }

  private problem(path: string, why: string): void {
    this.problems.push(`${at(path)}: ${why}`);
  }

  /** Does one of the reader's union branches accept the writer's schema? */
  private someBranch(branches: readonly Located[], w: Located, path: string): void {
    const fits = branches.some((b) => {
      const trial = new Comparer(this.reader, this.writer);
      trial.compare(b, w, path);
      return trial.problems.length === 0;
    });
    if (!fits) this.problem(path, "no branch of the reader's anyOf/oneOf accepts the writer's schema");
  }

  private schemas(r: Obj, rDoc: Json, w: Obj, wDoc: Json, path: string): void {
    const wTypes = typesOf(w);
    this.types(r, wTypes, path);
    this.enums(r, w, path);
    this.bounds(r, w, path);
    this.stringAndNumberRules(r, w, path);
    if (allows(wTypes, "array")) this.arrays(r, rDoc, w, wDoc, path);
    if (allows(wTypes, "object")) this.objects(r, rDoc, w, wDoc, path);
    this.notAndConditionals(r, w, path);
  }

  private types(r: Obj, wTypes: Set<string> | null, path: string): void {
    const rTypes = typesOf(r);
    if (rTypes === null) return;
    if (wTypes === null) {
      return this.problem(path, `the reader allows only ${[...rTypes].join(", ")}, the writer any type`);
    }
    for (const t of wTypes) {
      if (!allows(rTypes, t)) {
        this.problem(path, `the writer's type ${t} is not among the reader's ${[...rTypes].join(", ")}`);
      }
    }
  }

  private enums(r: Obj, w: Obj, path: string): void {
    const rValues = enumValues(r);
    if (rValues === null) return;
    const wValues = enumValues(w);
    if (wValues === null) {
      return this.problem(path, "the reader allows only some values (enum), the writer any");
    }
    const missing = wValues.filter((v) => !rValues.some((x) => sameJson(x, v)));
    if (missing.length > 0) this.problem(path, `the reader's enum lacks ${JSON.stringify(missing)}`);
  }

  private bounds(r: Obj, w: Obj, path: string): void {
    for (const upper of [true, false]) {
      const rl = numberLimit(r, upper);
      const wl = numberLimit(w, upper);
      if (!within(rl, wl, upper)) {
        this.problem(
          path,
          `the reader's bound ${limitText(rl, upper)} is tighter than the writer's ${limitText(wl, upper)}`,
        );
      }
    }
    for (const k of [...UPPER_BOUNDS, ...LOWER_BOUNDS]) {
      const rv = r[k];
      if (typeof rv !== "number") continue;
      const wv = w[k];
      const upper = UPPER_BOUNDS.includes(k);
      if (typeof wv !== "number") this.problem(path, `${k} ${rv} added by the reader`);
      else if (upper ? rv < wv : rv > wv) this.problem(path, `${k} ${rv} is tighter than the writer's ${wv}`);
    }
  }

  private stringAndNumberRules(r: Obj, w: Obj, path: string): void {
    if (r.pattern !== undefined && r.pattern !== w.pattern) {
      this.problem(path, `the reader's pattern ${JSON.stringify(r.pattern)} differs from the writer's`);
    }
    if (typeof r.multipleOf === "number") {
      const ratio = typeof w.multipleOf === "number" ? w.multipleOf / r.multipleOf : NaN;
      if (!(Math.abs(ratio - Math.round(ratio)) < 1e-9)) {
        this.problem(
          path,
          `multipleOf ${r.multipleOf} does not divide the writer's ${w.multipleOf ?? "none"}`,
        );
      }
    }
  }

  private arrays(r: Obj, rDoc: Json, w: Obj, wDoc: Json, path: string): void {
    if (r.uniqueItems === true && w.uniqueItems !== true) this.problem(path, "uniqueItems added");
    if (r.contains !== undefined && !sameJson(r.contains, w.contains)) this.problem(path, "contains changed");
    const ri = itemsOf(r);
    const wi = itemsOf(w);
    const longest = Math.max(ri.prefix.length, wi.prefix.length);
    for (let i = 0; i < longest; i++) {
      const rItem = ri.prefix[i] ?? ri.rest;
      const wItem = wi.prefix[i] ?? wi.rest ?? true;
      if (rItem === undefined) continue;
      if (rItem === false && i >= ri.prefix.length && wItem !== false) {
        this.problem(`${path}/items/${i}`, "the writer's item is not allowed by the reader's closed tuple");
      } else {
        this.compare({ schema: rItem, doc: rDoc }, { schema: wItem, doc: wDoc }, `${path}/items/${i}`);
      }
    }
    if (ri.rest !== undefined && wi.rest !== false) {
      this.compare({ schema: ri.rest, doc: rDoc }, { schema: wi.rest ?? true, doc: wDoc }, `${path}/items`);
    }
  }

  private objects(r: Obj, rDoc: Json, w: Obj, wDoc: Json, path: string): void {
    const rProps = isObj(r.properties) ? r.properties : {};
    const wProps = isObj(w.properties) ? w.properties : {};
    this.required(r, rProps, rDoc, w, path);
    for (const [name, ws] of Object.entries(wProps)) {
      const p = `${path}/properties/${pointerStep(name)}`;
      if (name in rProps) this.compare({ schema: rProps[name], doc: rDoc }, { schema: ws, doc: wDoc }, p);
      else this.removedProperty(r, rDoc, ws, wDoc, name, p);
    }
    for (const [name, rs] of Object.entries(rProps)) {
      if (!(name in wProps)) {
        this.addedProperty(rs, rDoc, w, wDoc, name, `${path}/properties/${pointerStep(name)}`);
      }
    }
    this.extraProperties(r, rDoc, w, wDoc, path);
    this.dependencies(r, w, path);
  }

  /** Newly required properties break old data that lacks them, unless the reader has a default (Confluent). */
  private required(r: Obj, rProps: Obj, rDoc: Json, w: Obj, path: string): void {
    const wRequired = requiredOf(w);
    for (const name of requiredOf(r)) {
      if (wRequired.has(name)) continue;
      const s = deref({ schema: rProps[name] ?? true, doc: rDoc }, this.reader.external).schema;
      if (!(isObj(s) && s.default !== undefined)) {
        this.problem(`${path}/properties/${pointerStep(name)}`, "required by the reader, not by the writer");
      }
    }
  }

  /** A property the writer lists and the reader does not: the reader's content model must take it. */
  private removedProperty(r: Obj, rDoc: Json, ws: Json, wDoc: Json, name: string, p: string): void {
    const slot = slotFor(r, name);
    if (slot === undefined) return; // the reader's open content model takes it
    if (slot === false) {
      if (ws !== false) this.problem(p, "removed from the reader's closed content model");
      return;
    }
    this.compare({ schema: slot, doc: rDoc }, { schema: ws, doc: wDoc }, p);
  }

  /** A property the reader lists and the writer does not: what may the writer have written under that name? */
  private addedProperty(rs: Json, rDoc: Json, w: Obj, wDoc: Json, name: string, p: string): void {
    const slot = slotFor(w, name);
    if (slot === false) return; // the writer's closed model never wrote it
    if (slot === undefined) {
      // the writer's open content model may hold it with any value
      const trial = new Comparer(this.reader, this.writer);
      trial.compare({ schema: rs, doc: rDoc }, { schema: true, doc: wDoc }, p);
      if (trial.problems.length > 0) {
        this.problem(p, "added to the reader while the writer's content model is open");
      }
      return;
    }
    this.compare({ schema: rs, doc: rDoc }, { schema: slot, doc: wDoc }, p);
  }

  private extraProperties(r: Obj, rDoc: Json, w: Obj, wDoc: Json, path: string): void {
    if (closed(r)) {
      if (!closed(w)) this.problem(path, "the reader's content model is closed, the writer's is not");
      return;
    }
    const rExtra = r.additionalProperties ?? r.unevaluatedProperties;
    if (isObj(rExtra) && !closed(w)) {
      const wExtra = w.additionalProperties ?? w.unevaluatedProperties ?? true;
      this.compare(
        { schema: rExtra, doc: rDoc },
        { schema: wExtra, doc: wDoc },
        `${path}/additionalProperties`,
      );
    }
    if (isObj(r.patternProperties)) {
      const wPatterns = isObj(w.patternProperties) ? w.patternProperties : {};
      for (const [pattern, rs] of Object.entries(r.patternProperties)) {
        const ws = wPatterns[pattern] ?? (closed(w) ? false : w.additionalProperties ?? true);
        this.compare(
          { schema: rs, doc: rDoc },
          { schema: ws, doc: wDoc },
          `${path}/patternProperties/${pointerStep(pattern)}`,
        );
      }
    }
    if (r.propertyNames !== undefined) {
      const wNames = w.propertyNames ?? true;
      this.compare(
        { schema: r.propertyNames, doc: rDoc },
        { schema: wNames, doc: wDoc },
        `${path}/propertyNames`,
      );
    }
  }

  /** Property dependencies may be dropped or narrowed by the reader, not added or extended. */
  private dependencies(r: Obj, w: Obj, path: string): void {
    for (const key of ["dependencies", "dependentRequired", "dependentSchemas"]) {
      const rd = r[key];
      if (!isObj(rd)) continue;
      const wd = isObj(w[key]) ? w[key] as Obj : {};
      for (const [name, need] of Object.entries(rd)) {
        const had = wd[name];
        const fine = Array.isArray(need)
          ? Array.isArray(had) && need.every((x) => had.some((y) => sameJson(x, y)))
          : sameJson(need, had);
        if (!fine) {
          this.problem(`${path}/${key}/${pointerStep(name)}`, "dependency added or extended by the reader");
        }
      }
    }
  }

  /** Negations and conditionals are compared as written: the reader may drop them, not add or change them. */
  private notAndConditionals(r: Obj, w: Obj, path: string): void {
    for (const k of ["not", "if", "then", "else"]) {
      if (r[k] !== undefined && !sameJson(r[k], w[k])) {
        this.problem(path, `"${k}" added or changed by the reader`);
      }
    }
  }
}

export const JSON_FORMAT: SchemaFormat = {
  type: "JSON",
  parse: parseJsonSchema,
  recordName: (schema) =>
    schema instanceof JsonSchema && isObj(schema.original) && typeof schema.original.title === "string"
      ? schema.original.title
      : "",
  incompatibilities(reader: ParsedSchema, writer: ParsedSchema): string[] {
    if (!(reader instanceof JsonSchema) || !(writer instanceof JsonSchema)) return ["not two JSON schemas"];
    const comparer = new Comparer(reader, writer);
    comparer.compare(
      { schema: reader.root, doc: reader.root },
      { schema: writer.root, doc: writer.root },
      "",
    );
    return comparer.problems;
  },
};
