// Declarative message schemas. Each API is described once (fields, version ranges, nullable and tagged
// versions, flexible threshold); decoders and encoders are compiled from that description per version and
// cached, and the ApiVersions table is generated from the same descriptions.
import { DecodeError, Reader, Writer, ZERO_UUID } from "./codec.ts";

export type Primitive =
  | "bool"
  | "int8"
  | "int16"
  | "uint16"
  | "int32"
  | "uint32"
  | "int64"
  | "float64"
  | "string"
  | "uuid"
  | "bytes"
  | "records";

export type FieldType = Primitive | ArrayType | StructType;
/** Arrays of a primitive or of a struct. The element type stays literal so message types can be inferred. */
export interface ArrayType<E extends Primitive | StructType = Primitive | StructType> {
  readonly kind: "array";
  readonly of: E;
}
export interface StructType<F extends readonly Field[] = readonly Field[]> {
  readonly kind: "struct";
  readonly fields: F;
}

/** Per-field settings beside name, type and versions. */
export interface FieldOptions {
  /** Versions in which the value may be null. */
  readonly nullable?: string;
  /** Tagged fields: the tag number and the versions it is tagged in. */
  readonly tag?: number;
  readonly taggedVersions?: string;
  /** Value used when the field is absent in a version or omitted as a tagged field. */
  readonly default?: unknown;
  /** Field never uses compact encoding (RequestHeader.ClientId). */
  readonly neverFlexible?: boolean;
  /**
   * Kafka's mapKey: the field identifies its entry within the list (unique in it), as Kafka's JSON states; the
   * spec check holds ours to it and error responses copy it from the refused request entry.
   */
  readonly mapKey?: boolean;
}

/**
 * One field. The type parameters keep the literal name, type, versions and nullable versions of each declared
 * field, from which RequestOf/ResponseOf compute the message types; codecs only read the values.
 */
export interface Field<
  N extends string = string,
  T extends FieldType = FieldType,
  V extends string = string,
  NL extends string = string,
> extends FieldOptions {
  /** Property name on the typed object (camelCase of Kafka's field name). */
  readonly name: N;
  readonly type: T;
  /** Versions the field exists in: "0+", "3-7", "5", "none". */
  readonly versions: V;
  readonly nullable?: NL;
}

export interface ApiSpec {
  readonly key: number;
  readonly name: string;
  /** Lowest and highest version we implement and advertise. */
  readonly minVersion: number;
  readonly maxVersion: number;
  /** First flexible version (Infinity when the API has none). */
  readonly flexibleFrom: number;
  readonly request: readonly Field[];
  readonly response: readonly Field[];
}

// ---- field constructors (keep message files short and readable) ----

/** Declares an API; `const` keeps the version range and field tuples literal for RequestOf/ResponseOf. */
export function defineApi<const S extends ApiSpec>(spec: S): S {
  return spec;
}
export function field<
  const N extends string,
  const T extends FieldType,
  const V extends string = "0+",
  const NL extends string = never,
>(
  name: N,
  type: T,
  versions?: V,
  opts?: FieldOptions & { readonly nullable?: NL },
): Field<N, T, NoInfer<V>, NoInfer<NL>> {
  // The codecs read only this plain object; the type parameters exist for RequestOf/ResponseOf.
  return { name, type, versions: versions ?? "0+", ...opts } as Field<N, T, V, NL>;
}
export function struct<const F extends readonly Field[]>(fields: F): StructType<F> {
  return { kind: "struct", fields };
}
export function arrayOf<const P extends Primitive>(of: P): ArrayType<P>;
export function arrayOf<const F extends readonly Field[]>(of: F): ArrayType<StructType<F>>;
export function arrayOf<const S extends StructType>(of: S): ArrayType<S>;
export function arrayOf(of: Primitive | StructType | readonly Field[]): ArrayType {
  return { kind: "array", of: typeof of === "string" || "kind" in of ? of : struct(of) };
}

// ---- message types inferred from the field lists ----
//
// A field is required when it exists in every version in which its parent exists (top level: the API's
// min..max), otherwise optional; it includes null when it is nullable in some of those versions. Version
// ranges are parsed from the literal strings into [lo, hi] tuples ("+" = open), compared with tuple lengths.

type VRange = readonly [number, number | "+"];
type ParseRange<V extends string> = V extends "none" ? [1, 0]
  : V extends `${infer L extends number}+` ? [L, "+"]
  : V extends `${infer L extends number}-${infer H extends number}` ? [L, H]
  : V extends `${infer N extends number}` ? [N, N]
  : never;
type Count<N extends number, A extends 0[] = []> = A["length"] extends N ? A : Count<N, [...A, 0]>;
type Le<A extends number, B extends number> = Count<B> extends [...Count<A>, ...0[]] ? true : false;
type LeHi<A extends number | "+", B extends number | "+"> = B extends "+" ? true
  : A extends "+" ? false
  : Le<A & number, B & number>;
type Intersect<A extends VRange, B extends VRange> = [
  Le<A[0], B[0]> extends true ? B[0] : A[0],
  LeHi<A[1], B[1]> extends true ? A[1] : B[1],
];
type NonEmpty<R extends VRange> = LeHi<R[0], R[1]>;
type Covers<F extends VRange, C extends VRange> = [Le<F[0], C[0]>, LeHi<C[1], F[1]>] extends [true, true]
  ? true
  : false;

/** Requests are what the gateway decodes, responses what it encodes: only records differ. */
type Direction = "request" | "response";
type ValueOf<T extends FieldType, C extends VRange, D extends Direction> = T extends StructType<infer F>
  ? MessageObject<F, C, D>
  : T extends ArrayType<infer E> ? ValueOf<E, C, D>[]
  : T extends "bool" ? boolean
  : T extends "string" | "uuid" ? string
  : T extends "bytes" ? Uint8Array
  : T extends "records" ? D extends "request" ? Uint8Array : RecordsValue
  : number;
type NullIn<NL, C extends VRange> = NL extends string
  ? NonEmpty<Intersect<ParseRange<NL>, C>> extends true ? null
  : never
  : never;
/** Versions the field exists in, within its parent's. */
type FieldRange<F extends Field, C extends VRange> = Intersect<C, ParseRange<F["versions"]>>;
type FieldValue<F extends Field, C extends VRange, D extends Direction> =
  | ValueOf<F["type"], FieldRange<F, C>, D>
  | NullIn<F["nullable"], FieldRange<F, C>>;
type Flatten<T> = { [K in keyof T]: T[K] };
/** Required and optional properties; `unknown` for field lists without literal names (any struct). */
type MessageObject<Fs extends readonly Field[], C extends VRange, D extends Direction> = string extends
  Fs[number]["name"] ? unknown
  : Flatten<
    & { [F in Fs[number] as IsRequired<F, C> extends true ? F["name"] : never]: FieldValue<F, C, D> }
    & { [F in Fs[number] as IsRequired<F, C> extends true ? never : F["name"]]?: FieldValue<F, C, D> }
  >;
type IsRequired<F extends Field, C extends VRange> = Covers<ParseRange<F["versions"]>, C>;
/** `unknown` for a spec typed only as ApiSpec: the untyped view. */
type MessageOf<S extends ApiSpec, Fs extends readonly Field[], D extends Direction> = number extends
  S["minVersion"] | S["maxVersion"] ? unknown
  : MessageObject<Fs, [S["minVersion"], S["maxVersion"]], D>;

/** The request object of an API, as decoded (and as test clients encode it). */
export type RequestOf<S extends ApiSpec> = MessageOf<S, S["request"], "request">;
/** The response object of an API, as handlers return it. */
export type ResponseOf<S extends ApiSpec> = MessageOf<S, S["response"], "response">;
/** Element type of an array-valued field, also when the field is optional or nullable. */
export type ElementOf<A> = NonNullable<A> extends readonly (infer E)[] ? E : never;

// ---- version ranges ----

export interface Range {
  readonly lo: number;
  readonly hi: number;
}
const rangeCache = new Map<string, Range>();
export function parseRange(s: string): Range {
  let r = rangeCache.get(s);
  if (r) return r;
  if (s === "none") r = { lo: 1, hi: 0 };
  else if (s.endsWith("+")) r = { lo: Number(s.slice(0, -1)), hi: Infinity };
  else if (s.includes("-")) {
    const [a, b] = s.split("-");
    r = { lo: Number(a), hi: Number(b) };
  } else r = { lo: Number(s), hi: Number(s) };
  if (Number.isNaN(r.lo) || Number.isNaN(r.hi)) throw new Error(`bad version range ${s}`);
  rangeCache.set(s, r);
  return r;
}
export function inRange(s: string | undefined, v: number): boolean {
  if (s === undefined) return false;
  const r = parseRange(s);
  return v >= r.lo && v <= r.hi;
}

// ---- defaults ----

function defaultFor(f: Field, version: number): unknown {
  if (f.default !== undefined) return f.default;
  if (inRange(f.nullable, version) && f.type !== "string") return null;
  const t = f.type;
  if (typeof t === "string") {
    switch (t) {
      case "bool":
        return false;
      case "string":
        return "";
      case "uuid":
        return ZERO_UUID;
      case "bytes":
        return new Uint8Array(0);
      case "records":
        return null;
      default:
        return 0;
    }
  }
  if (t.kind === "array") return [];
  return decodeDefaults(t.fields, version);
}

function decodeDefaults(fields: readonly Field[], version: number): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const f of fields) o[f.name] = defaultFor(f, version);
  return o;
}

// ---- compiled codecs ----

type Decoder = (r: Reader) => unknown;
type Encoder = (w: Writer, v: unknown) => void;
type Obj = Record<string, unknown>;

function primDecoder(t: Primitive, flex: boolean, nullable: boolean): Decoder {
  switch (t) {
    case "bool":
      return (r) => r.bool();
    case "int8":
      return (r) => r.int8();
    case "int16":
      return (r) => r.int16();
    case "uint16":
      return (r) => r.uint16();
    case "int32":
      return (r) => r.int32();
    case "uint32":
      return (r) => r.uint32();
    case "int64":
      return (r) => r.int64();
    case "float64":
      return (r) => r.float64();
    case "uuid":
      return (r) => r.uuid();
    case "string":
      if (flex) return nullable ? (r) => r.compactNullableString() : (r) => r.compactString();
      return nullable ? (r) => r.nullableString() : (r) => r.string();
    case "bytes":
    case "records": {
      const d: Decoder = flex ? (r) => r.compactBytes() : (r) => r.bytes();
      if (nullable || t === "records") return d;
      return (r) => {
        const v = d(r);
        if (v === null) throw new DecodeError("non-nullable bytes is null");
        return v;
      };
    }
  }
}

function primEncoder(t: Primitive, flex: boolean): Encoder {
  switch (t) {
    case "bool":
      return (w, v) => w.bool(v as boolean);
    case "int8":
      return (w, v) => w.int8(v as number);
    case "int16":
      return (w, v) => w.int16(v as number);
    case "uint16":
      return (w, v) => w.uint16(v as number);
    case "int32":
      return (w, v) => w.int32(v as number);
    case "uint32":
      return (w, v) => w.uint32(v as number);
    case "int64":
      return (w, v) => w.int64(v as number);
    case "float64":
      return (w, v) => w.float64(v as number);
    case "uuid":
      return (w, v) => w.uuid((v as string | undefined) ?? ZERO_UUID);
    case "string":
      return flex
        ? (w, v) => w.compactNullableString((v as string | null | undefined) ?? null)
        : (w, v) => w.nullableString((v as string | null | undefined) ?? null);
    case "bytes":
      return flex
        ? (w, v) => w.compactBytes((v as Uint8Array | null | undefined) ?? null)
        : (w, v) => w.bytes((v as Uint8Array | null | undefined) ?? null);
    case "records":
      return (w, v) => encodeRecords(w, v as RecordsValue, flex);
  }
}

/** A records field holds one buffer, several (stored batches served without concatenation), or null. */
export type RecordsValue = Uint8Array | readonly Uint8Array[] | null | undefined;

function encodeRecords(w: Writer, v: RecordsValue, flex: boolean): void {
  if (v === null || v === undefined) {
    if (flex) w.uvarint(0);
    else w.int32(-1);
    return;
  }
  if (v instanceof Uint8Array) {
    if (flex) w.compactBytes(v);
    else w.bytes(v);
    return;
  }
  let n = 0;
  for (const c of v) n += c.length;
  if (flex) w.uvarint(n + 1);
  else w.int32(n);
  for (const c of v) w.raw(c);
}

function typeDecoder(t: FieldType, version: number, flex: boolean, nullable: boolean): Decoder {
  if (typeof t === "string") return primDecoder(t, flex, nullable);
  if (t.kind === "struct") {
    const dec = structDecoder(t.fields, version, flex);
    // Kafka's nullable struct: an int8 marker, -1 for null, 1 followed by the struct.
    return nullable ? (r) => r.int8() < 0 ? null : dec(r) : dec;
  }
  const elem: Decoder = typeof t.of === "string"
    ? primDecoder(t.of, flex, false)
    : structDecoder(t.of.fields, version, flex);
  return (r) => {
    const n = r.arrayLength(flex);
    if (n < 0) {
      if (!nullable) throw new DecodeError("non-nullable array is null");
      return null;
    }
    const out = new Array(n);
    for (let i = 0; i < n; i++) out[i] = elem(r);
    return out;
  };
}

function typeEncoder(t: FieldType, version: number, flex: boolean, nullable = false): Encoder {
  if (typeof t === "string") return primEncoder(t, flex);
  if (t.kind === "struct") {
    const enc = structEncoder(t.fields, version, flex);
    if (!nullable) return enc;
    return (w, v) => {
      if (v === null || v === undefined) {
        w.int8(-1);
        return;
      }
      w.int8(1);
      enc(w, v);
    };
  }
  const elem: Encoder = typeof t.of === "string"
    ? primEncoder(t.of, flex)
    : structEncoder(t.of.fields, version, flex);
  return (w, v) => {
    const a = v as readonly unknown[] | null | undefined;
    if (a === null || a === undefined) {
      if (flex) w.uvarint(0);
      else w.int32(-1);
      return;
    }
    if (flex) w.uvarint(a.length + 1);
    else w.int32(a.length);
    for (let i = 0; i < a.length; i++) elem(w, a[i]);
  };
}

function structDecoder(fields: readonly Field[], version: number, flex: boolean): Decoder {
  const steps: { name: string; dec: Decoder | null; def: unknown }[] = [];
  const tagged = new Map<number, { name: string; dec: Decoder }>();
  for (const f of fields) {
    const present = inRange(f.versions, version);
    const isTagged = present && flex && f.tag !== undefined && inRange(f.taggedVersions, version);
    const fflex = flex && !f.neverFlexible;
    const nullable = inRange(f.nullable, version);
    if (isTagged) {
      tagged.set(f.tag!, { name: f.name, dec: typeDecoder(f.type, version, fflex, nullable) });
      steps.push({ name: f.name, dec: null, def: defaultFor(f, version) });
    } else if (present) {
      steps.push({ name: f.name, dec: typeDecoder(f.type, version, fflex, nullable), def: undefined });
    } else {
      steps.push({ name: f.name, dec: null, def: defaultFor(f, version) });
    }
  }
  return (r) => {
    const o: Obj = {};
    for (let i = 0; i < steps.length; i++) {
      const s = steps[i];
      o[s.name] = s.dec === null ? cloneDefault(s.def) : s.dec(r);
    }
    if (flex) readTaggedFields(r, tagged, o);
    return o;
  };
}

function cloneDefault(v: unknown): unknown {
  if (Array.isArray(v)) return [];
  if (v !== null && typeof v === "object" && !(v instanceof Uint8Array)) return { ...(v as Obj) };
  return v;
}

function readTaggedFields(r: Reader, known: Map<number, { name: string; dec: Decoder }>, o: Obj): void {
  const count = r.uvarint();
  for (let i = 0; i < count; i++) {
    const tag = r.uvarint();
    const size = r.uvarint();
    const k = known.get(tag);
    if (k) {
      const sub = new Reader(r.buf, r.pos, r.pos + size);
      r.skip(size);
      o[k.name] = k.dec(sub);
    } else {
      r.skip(size); // unknown tags are ignored, as the spec requires
    }
  }
}

/** What an undefined field is written as: its default, except strings and bytes, which stay null when absent. */
function encodeDefault(f: Field, version: number): unknown {
  if (f.default !== undefined) return f.default;
  if (f.type === "string" || f.type === "bytes" || f.type === "records") return undefined;
  return defaultFor(f, version);
}

function structEncoder(fields: readonly Field[], version: number, flex: boolean): Encoder {
  // A field left undefined is written as its spec default: the inferred types make fields that exist only in some
  // versions optional, and "absent" must mean the spec's value (-1 offsets, null strings), not a zero.
  const steps: { name: string; enc: Encoder; def: unknown }[] = [];
  const tagged: { tag: number; name: string; enc: Encoder; def: unknown }[] = [];
  for (const f of fields) {
    if (!inRange(f.versions, version)) continue;
    const fflex = flex && !f.neverFlexible;
    const enc = typeEncoder(f.type, version, fflex, inRange(f.nullable, version));
    if (flex && f.tag !== undefined && inRange(f.taggedVersions, version)) {
      tagged.push({ tag: f.tag, name: f.name, enc, def: defaultFor(f, version) });
    } else {
      steps.push({ name: f.name, enc, def: encodeDefault(f, version) });
    }
  }
  tagged.sort((a, b) => a.tag - b.tag);
  return (w, v) => {
    const o = (v ?? {}) as Obj;
    for (let i = 0; i < steps.length; i++) {
      const s = steps[i];
      const x = o[s.name];
      s.enc(w, x === undefined ? s.def : x);
    }
    if (!flex) return;
    if (tagged.length === 0) {
      w.uvarint(0);
      return;
    }
    const present = tagged.filter((t) => o[t.name] !== undefined && !isDefault(o[t.name], t.def));
    w.uvarint(present.length);
    for (const t of present) {
      const sub = new Writer(64);
      t.enc(sub, o[t.name]);
      const bytes = sub.finish();
      w.uvarint(t.tag).uvarint(bytes.length).raw(bytes);
    }
  };
}

/**
 * Whether a tagged field's value equals its default (and is therefore omitted). Structs compare field by
 * field, as Kafka does (`!field.equals(new Struct())`), so a default-valued tagged struct is not written.
 */
function isDefault(v: unknown, def: unknown): boolean {
  if (v === def) return true;
  if (Array.isArray(v) && Array.isArray(def)) return v.length === 0 && def.length === 0;
  if (v instanceof Uint8Array || def instanceof Uint8Array) {
    return v instanceof Uint8Array && def instanceof Uint8Array && v.length === 0 && def.length === 0;
  }
  if (v !== null && def !== null && typeof v === "object" && typeof def === "object") {
    const d = def as Obj;
    const o = v as Obj;
    for (const k of Object.keys(d)) {
      if (o[k] !== undefined && !isDefault(o[k], d[k])) return false;
    }
    return true;
  }
  return false;
}

// ---- public entry points ----

/** An API's codecs; typed by its spec (`CompiledApi` alone, for any spec, takes and returns `unknown`). */
export interface CompiledApi<S extends ApiSpec = ApiSpec> {
  decodeRequest(r: Reader, version: number): RequestOf<S>;
  encodeResponse(w: Writer, version: number, body: ResponseOf<S>): void;
  /** Decode a response (tests and the fake client use it). */
  decodeResponse(r: Reader, version: number): ResponseOf<S>;
  /** Encode a request (tests and the fake client use it). */
  encodeRequest(w: Writer, version: number, body: RequestOf<S>): void;
}

export function compile<S extends ApiSpec>(spec: S): CompiledApi<S> {
  const cache = new Map<string, Decoder | Encoder>();
  const get = <T extends Decoder | Encoder>(k: string, make: () => T): T => {
    let c = cache.get(k) as T | undefined;
    if (!c) {
      c = make();
      cache.set(k, c);
    }
    return c;
  };
  const flex = (v: number) => v >= spec.flexibleFrom;
  // The decoders are compiled from the spec's own field lists, so what they build is RequestOf<S> /
  // ResponseOf<S>: this is the one place where the codecs' untyped output gets the inferred type.
  return {
    decodeRequest: (r, v) => get(`dq${v}`, () => structDecoder(spec.request, v, flex(v)))(r) as RequestOf<S>,
    encodeResponse: (w, v, body) => get(`ep${v}`, () => structEncoder(spec.response, v, flex(v)))(w, body),
    decodeResponse: (r, v) =>
      get(`dp${v}`, () => structDecoder(spec.response, v, flex(v)))(r) as ResponseOf<S>,
    encodeRequest: (w, v, body) => get(`eq${v}`, () => structEncoder(spec.request, v, flex(v)))(w, body),
  };
}

/** Default-filled object for a struct at a version (handlers start responses from it). */
export function defaults(fields: readonly Field[], version: number): Record<string, unknown> {
  return decodeDefaults(fields, version);
}

// ---- data schemas ----
//
// Kafka's "type": "data" messages (the records of __consumer_offsets and __transaction_state): one field list with
// a version range, encoded without a request/response pair. Same field rules and inferred types as the APIs.

export interface DataSpec {
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  /** First flexible version (Infinity when none). */
  readonly flexibleFrom: number;
  readonly fields: readonly Field[];
}

/** Declares a data schema; `const` keeps the version range and fields literal for DataOf. */
export function defineData<const S extends DataSpec>(spec: S): S {
  return spec;
}

/** The object of a data schema, over all its versions. */
export type DataOf<S extends DataSpec> = number extends S["minVersion"] | S["maxVersion"] ? unknown
  : MessageObject<S["fields"], [S["minVersion"], S["maxVersion"]], "response">;

export interface CompiledData<S extends DataSpec = DataSpec> {
  encode(w: Writer, version: number, body: DataOf<S>): void;
  decode(r: Reader, version: number): DataOf<S>;
}

export function compileData<S extends DataSpec>(spec: S): CompiledData<S> {
  const enc = new Map<number, Encoder>();
  const dec = new Map<number, Decoder>();
  const check = (v: number) => {
    if (!Number.isInteger(v) || v < spec.minVersion || v > spec.maxVersion) {
      throw new DecodeError(`${spec.name}: unsupported version ${v}`);
    }
  };
  return {
    encode(w, v, body) {
      let e = enc.get(v);
      if (e === undefined) {
        check(v);
        enc.set(v, e = structEncoder(spec.fields, v, v >= spec.flexibleFrom));
      }
      e(w, body);
    },
    decode(r, v) {
      let d = dec.get(v);
      if (d === undefined) {
        check(v);
        dec.set(v, d = structDecoder(spec.fields, v, v >= spec.flexibleFrom));
      }
      // Compiled from the spec's own fields: this is where the untyped output gets its inferred type.
      return d(r) as DataOf<S>;
    },
  };
}
