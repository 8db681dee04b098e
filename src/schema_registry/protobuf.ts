// Protobuf schemas for the registry. A schema is .proto text, parsed with protobufjs, or, as Confluent's serializers
// send it, a base64-encoded FileDescriptorProto, turned into .proto text first. References are the file's imports by
// path; google/protobuf's well-known files and Confluent's own (confluent/meta.proto, confluent/type/decimal.proto,
// a few google/type files) are built in, so nothing is ever read from disk.
//
// The canonical text is the schema as given (trimmed); the normalized text is rendered from the parsed model (fully
// qualified type names, sorted imports and options, declaration order kept, no comments); `?format=serialized`
// answers a base64 FileDescriptorProto built from the parsed file.
//
// Compatibility is written here as Confluent's protobuf-provider judges it (its SchemaDiff, with the reader as the
// "update" and the writer as the "original"): same-named messages are compared field number by field number from
// the file's top level down (and wherever a message-typed field leads); a message the writer has and the reader
// lacks is incompatible (so renaming the first message is), fields added or removed are compatible unless required,
// a scalar type may change only within a wire-compatible group (enums count as varints), scalar ↔ message ↔ map
// changes are incompatible, a numeric field may not change between singular and repeated, oneof membership may
// change only as Confluent allows (several existing fields moved into one oneof, or one joining fields of an existing
// oneof, or a field dropped from a oneof, are not), and a changed package is incompatible.
import protobuf from "protobufjs";
import descriptorModule from "protobufjs/ext/descriptor/index.js";
import { fromBase64, toBase64 } from "../base64.ts";
import {
  InvalidSchemaError,
  type ParsedSchema,
  type ResolvedReference,
  type SchemaFormat,
  type SchemaInput,
} from "./schema_types.ts";

type PbType = protobuf.Type;
type PbEnum = protobuf.Enum;
type PbField = protobuf.Field;
type PbObject = protobuf.ReflectionObject;
type Options = Readonly<Record<string, unknown>>;

/** A field's cardinality as compatibility compares it (proto3's implicit presence is singular too). */
type Label = "singular" | "required" | "repeated";

/** A field's type: a scalar by name, a named enum or message, or a map. */
type FieldType =
  | { readonly kind: "scalar"; readonly name: string }
  | { readonly kind: "enum"; readonly type: PbEnum }
  | { readonly kind: "message"; readonly type: PbType }
  | { readonly kind: "map"; readonly key: string; readonly value: FieldType };

/** One parsed .proto file with everything it imports in the same protobufjs Root. */
interface ProtoFile {
  readonly root: protobuf.Root;
  readonly pkg: string;
  /** "proto2", "proto3" or an edition ("2023"). */
  readonly syntax: string;
  readonly imports: readonly string[];
  readonly weakImports: readonly string[];
  /** The file's own options (protobufjs keeps them on the package namespace, which imports may share). */
  readonly options: Options;
  /** The file's own top-level declarations (messages, enums, services, extensions), in order. */
  readonly declared: readonly PbObject[];
}

/** Scalar types by the wire-compatible group Confluent accepts a change within. */
const WIRE_GROUP: Readonly<Record<string, string>> = {
  int32: "varint",
  int64: "varint",
  uint32: "varint",
  uint64: "varint",
  bool: "varint",
  sint32: "zigzag",
  sint64: "zigzag",
  fixed32: "fixed32",
  sfixed32: "fixed32",
  fixed64: "fixed64",
  sfixed64: "fixed64",
  string: "length-delimited",
  bytes: "length-delimited",
  float: "float",
  double: "double",
};

const MAX_FIELD_NUMBER = 536870911;
/** Standard options whose values are enum identifiers (rendered bare, not quoted). */
const ENUM_OPTIONS = new Set(["optimize_for", "ctype", "jstype", "idempotency_level", "retention"]);

function invalid(why: string): never {
  throw new InvalidSchemaError(why);
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

// ---- built-in imports ----

/** Confluent's and google/type's small files Confluent's registry resolves without references. */
const BUILT_IN_TEXTS: Readonly<Record<string, string>> = {
  "confluent/meta.proto": `syntax = "proto3";
package confluent;
import "google/protobuf/descriptor.proto";
option java_package = "io.confluent.protobuf";
option java_outer_classname = "MetaProto";
message Meta {
  string doc = 1;
  map<string, string> params = 2;
  repeated string tags = 3;
}
extend google.protobuf.FileOptions { Meta file_meta = 1088; }
extend google.protobuf.MessageOptions { Meta message_meta = 1088; }
extend google.protobuf.FieldOptions { Meta field_meta = 1088; }
extend google.protobuf.EnumOptions { Meta enum_meta = 1088; }
extend google.protobuf.EnumValueOptions { Meta enum_value_meta = 1088; }
`,
  "confluent/type/decimal.proto": `syntax = "proto3";
package confluent.type;
message Decimal { bytes value = 1; int32 scale = 2; }
`,
  "google/type/date.proto": `syntax = "proto3";
package google.type;
message Date { int32 year = 1; int32 month = 2; int32 day = 3; }
`,
  "google/type/timeofday.proto": `syntax = "proto3";
package google.type;
message TimeOfDay { int32 hours = 1; int32 minutes = 2; int32 seconds = 3; int32 nanos = 4; }
`,
  "google/type/money.proto": `syntax = "proto3";
package google.type;
message Money { string currency_code = 1; int64 units = 2; int32 nanos = 3; }
`,
  "google/type/latlng.proto": `syntax = "proto3";
package google.type;
message LatLng { double latitude = 1; double longitude = 2; }
`,
  "google/type/dayofweek.proto": `syntax = "proto3";
package google.type;
enum DayOfWeek {
  DAY_OF_WEEK_UNSPECIFIED = 0; MONDAY = 1; TUESDAY = 2; WEDNESDAY = 3; THURSDAY = 4; FRIDAY = 5; SATURDAY = 6;
  SUNDAY = 7;
}
`,
};

type NestedJson = Record<string, protobuf.AnyNestedObject>;
const common = (protobuf as unknown as { common: { get(path: string): { nested?: NestedJson } | null } })
  .common;
const descriptorNamespace = descriptorModule as unknown as protobuf.Namespace;

/** google/protobuf's files as protobufjs ships them (descriptor.proto from its descriptor extension). */
function wellKnownJson(path: string): NestedJson | null {
  if (path === "google/protobuf/descriptor.proto") {
    return { google: { nested: { protobuf: descriptorNamespace.toJSON() } } };
  }
  return common.get(path)?.nested ?? null;
}

// ---- parsing ----

/** Parses a file and its imports into one Root, each import once (a reference first, else a built-in one). */
class Loader {
  readonly root = new protobuf.Root();
  private readonly loaded = new Set<string>();
  private readonly pending: { from: string; path: string }[] = [];

  file(text: string, what: string): protobuf.IParserResult {
    let result: protobuf.IParserResult;
    try {
      result = protobuf.parse(text, this.root, { keepCase: true, alternateCommentMode: true });
    } catch (e) {
      invalid(`${what}: ${messageOf(e)}`);
    }
    for (const path of [...result.imports ?? [], ...result.weakImports ?? []]) {
      this.pending.push({ from: what, path });
    }
    return result;
  }

  references(refs: readonly ResolvedReference[]): void {
    for (const r of refs) {
      if (this.loaded.has(r.name)) continue;
      this.loaded.add(r.name);
      this.file(fromSerialized(r.schema) ?? r.schema, `reference ${r.name}`);
      this.references(r.references);
    }
  }

  /** Every import not given as a reference must be a built-in file (whose own imports join the queue). */
  builtIns(): void {
    for (let i = 0; i < this.pending.length; i++) {
      const { from, path } = this.pending[i];
      if (this.loaded.has(path)) continue;
      this.loaded.add(path);
      const json = wellKnownJson(path);
      if (json) this.root.addJSON(json);
      else if (BUILT_IN_TEXTS[path] !== undefined) this.file(BUILT_IN_TEXTS[path], path);
      else {invalid(
          `${from}: import "${path}" is neither among the schema's references nor a well-known file`,
        );}
    }
  }
}

function editionOf(o: PbObject): string {
  const e = (o as unknown as { _edition?: unknown })._edition;
  return typeof e === "string" ? e : "proto2";
}

/** The scope a file's top-level declarations land in: its package namespace, or the root. */
function fileScope(root: protobuf.Root, pkg: string): protobuf.Namespace {
  const scope = pkg === "" ? root : root.lookup(pkg);
  return scope instanceof protobuf.Namespace ? scope : invalid(`package ${pkg} is not a namespace`);
}

/** Parses the main file first, so that its own declarations and options can be told from its imports'. */
function parseFile(input: SchemaInput, text: string): ProtoFile {
  const loader = new Loader();
  const main = loader.file(text, "the schema");
  const pkg = main.package ?? "";
  const scope = fileScope(loader.root, pkg);
  const declared = [...scope.nestedArray];
  const options = { ...scope.options };
  if (!declared.some((d) => d instanceof protobuf.Type || d instanceof protobuf.Enum)) {
    invalid("the schema declares no message or enum");
  }
  loader.references(input.references);
  loader.builtIns();
  try {
    loader.root.resolveAll();
  } catch (e) {
    invalid(`unresolvable type: ${messageOf(e)}`);
  }
  const first = declared.find((d) => d instanceof protobuf.Type || d instanceof protobuf.Enum)!;
  const file: ProtoFile = {
    root: loader.root,
    pkg,
    syntax: editionOf(first),
    imports: main.imports ?? [],
    weakImports: main.weakImports ?? [],
    options,
    declared,
  };
  for (const d of declared) checkDeclaration(d, file.syntax);
  return file;
}

// What protobufjs lets through and protoc refuses.

function checkDeclaration(d: PbObject, syntax: string): void {
  if (d instanceof protobuf.Type) checkMessage(d, syntax);
  else if (d instanceof protobuf.Enum) checkEnum(d, syntax);
}

function checkMessage(t: PbType, syntax: string): void {
  for (const f of ownFields(t)) {
    if (f.id < 1 || f.id > MAX_FIELD_NUMBER || (f.id >= 19000 && f.id <= 19999)) {
      invalid(`${display(t)}.${f.name}: field number ${f.id} is out of range or reserved by protobuf`);
    }
    if (isReserved(t.reserved, f.id)) invalid(`${display(t)}.${f.name}: field number ${f.id} is reserved`);
  }
  for (const n of t.nestedArray) checkDeclaration(n, syntax);
}

/** Reserved ranges are inclusive (protobufjs's own isReservedId leaves out their last number). */
function isReserved(reserved: readonly (number[] | string)[] | undefined, id: number): boolean {
  return (reserved ?? []).some((r) => Array.isArray(r) && r[0] <= id && id <= r[1]);
}

function checkEnum(e: PbEnum, syntax: string): void {
  // proto3 enums are open: their first value is the default and must be zero
  if (syntax === "proto3" && Object.values(e.values)[0] !== 0) {
    invalid(`enum ${display(e)}: the first value must be zero in proto3`);
  }
}

export class ProtoSchema implements ParsedSchema {
  readonly type = "PROTOBUF" as const;
  private normal: string | undefined;

  constructor(readonly canonical: string, readonly file: ProtoFile) {}

  normalized(): string {
    return this.normal ??= renderNormalized(this.file);
  }

  /** The file's first message: Confluent's default message and RecordNameStrategy's name. */
  first(): PbType | null {
    return this.file.declared.find((d): d is PbType => d instanceof protobuf.Type) ?? null;
  }
}

export function parseProtobuf(input: SchemaInput): ProtoSchema {
  const serialized = fromSerialized(input.schema);
  const file = parseFile(input, serialized ?? input.schema);
  return new ProtoSchema(serialized ?? input.schema.trim(), file);
}

// ---- reflection helpers ----

/** A message's own fields (protobufjs also lists extensions of it declared elsewhere). */
export function ownFields(t: PbType): PbField[] {
  return t.fieldsArray.filter((f) => !f.declaringField);
}

/** proto3 `optional` puts a field in a oneof of its own: not a oneof as far as compatibility goes. */
function isSynthetic(o: protobuf.OneOf): boolean {
  return o.fieldsArray.length === 1 && o.fieldsArray[0].options?.proto3_optional === true;
}

function realOneof(f: PbField): protobuf.OneOf | null {
  return f.partOf && !isSynthetic(f.partOf) ? f.partOf : null;
}

function labelOf(f: PbField): Label {
  return f.repeated ? "repeated" : f.required ? "required" : "singular";
}

function fieldType(f: protobuf.FieldBase): FieldType {
  const t = f.resolvedType;
  const named: FieldType = t instanceof protobuf.Type
    ? { kind: "message", type: t }
    : t instanceof protobuf.Enum
    ? { kind: "enum", type: t }
    : { kind: "scalar", name: f.type };
  return f instanceof protobuf.MapField ? { kind: "map", key: f.keyType, value: named } : named;
}

/** A type's full name without protobufjs's leading dot. */
function display(o: PbObject): string {
  return o.fullName.replace(/^\./, "");
}

/** The name within its package (nested types keep their outer messages), as Confluent compares named types. */
function localName(t: PbType): string {
  const parts = [t.name];
  for (let p = t.parent; p instanceof protobuf.Type; p = p.parent) parts.unshift(p.name);
  return parts.join(".");
}

function typeText(t: FieldType): string {
  switch (t.kind) {
    case "scalar":
      return t.name;
    case "enum":
      return `enum ${display(t.type)}`;
    case "message":
      return `message ${display(t.type)}`;
    case "map":
      return `map<${t.key}, ${typeText(t.value)}>`;
  }
}

// ---- compatibility ----

/** Can a reader decode what a writer wrote? Problems name the message and field. */
class ProtoComparer {
  readonly problems: string[] = [];
  /** Message pairs compared or being compared (recursive types meet again). */
  private readonly seen = new Set<string>();

  file(reader: ProtoFile, writer: ProtoFile): string[] {
    if (reader.pkg !== writer.pkg) {
      this.problems.push(`package changed from "${writer.pkg}" to "${reader.pkg}"`);
    }
    this.scopes(writer.declared, reader.declared);
    return this.problems;
  }

  /** Same-named messages of two scopes are compared; one the reader lacks is incompatible (Confluent). */
  private scopes(writer: readonly PbObject[], reader: readonly PbObject[]): void {
    const readerMessages = new Map(
      reader.filter((o): o is PbType => o instanceof protobuf.Type).map((t) => [t.name, t]),
    );
    for (const w of writer) {
      if (!(w instanceof protobuf.Type)) continue; // enums may come and go
      const r = readerMessages.get(w.name);
      if (r) this.message(w, r);
      else this.problems.push(`message ${display(w)} was removed`);
    }
  }

  private message(w: PbType, r: PbType): void {
    const key = `${w.fullName}\u0000${r.fullName}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.oneofs(w, r);
    const readerFields = new Map(ownFields(r).map((f) => [f.id, f]));
    const writerNumbers = new Set(ownFields(w).map((f) => f.id));
    for (const wf of ownFields(w)) {
      const rf = readerFields.get(wf.id);
      if (rf) this.field(wf, rf, `${display(r)}.${rf.name} (field ${rf.id})`);
      else if (wf.required) {
        this.problems.push(`${display(w)}.${wf.name} (field ${wf.id}): required field removed`);
      }
    }
    for (const rf of ownFields(r)) {
      if (!writerNumbers.has(rf.id) && rf.required) {
        this.problems.push(`${display(r)}.${rf.name} (field ${rf.id}): required field added`);
      }
    }
    this.scopes(w.nestedArray, r.nestedArray);
  }

  /** Oneof membership: what Confluent's MessageSchemaDiff and OneOfDiff refuse. */
  private oneofs(w: PbType, r: PbType): void {
    const writerOneof = new Map<number, string>();
    for (const f of ownFields(w)) {
      const o = realOneof(f);
      if (o) writerOneof.set(f.id, o.name);
    }
    const writerNumbers = new Set(ownFields(w).map((f) => f.id));
    for (const o of r.oneofsArray) {
      if (isSynthetic(o)) continue;
      const moved = o.fieldsArray.filter((f) => writerNumbers.has(f.id) && !writerOneof.has(f.id));
      const fromOneofs = o.fieldsArray.filter((f) => writerOneof.has(f.id));
      if (moved.length > 1) {
        const names = moved.map((f) => f.name).join(", ");
        this.problems.push(
          `${display(r)}: oneof ${o.name} takes in fields ${names}, which were outside any oneof`,
        );
      } else if (moved.length === 1 && fromOneofs.length > 0) {
        this.problems.push(
          `${display(r)}.${moved[0].name} (field ${
            moved[0].id
          }): moved into oneof ${o.name}, which holds fields of an existing oneof`,
        );
      }
    }
    const readerNumbers = new Set(ownFields(r).map((f) => f.id));
    for (const o of w.oneofsArray) {
      const same = r.oneofs?.[o.name];
      if (isSynthetic(o) || !same || isSynthetic(same)) continue;
      for (const f of o.fieldsArray) {
        if (!readerNumbers.has(f.id)) {
          this.problems.push(`${display(w)}.${f.name} (field ${f.id}): removed from oneof ${o.name}`);
        }
      }
    }
  }

  private field(wf: PbField, rf: PbField, at: string): void {
    this.types(fieldType(wf), fieldType(rf), at, [labelOf(wf), labelOf(rf)]);
  }

  /** Confluent's field kinds: scalars (enums among them), messages and maps never change into one another. */
  private types(w: FieldType, r: FieldType, at: string, labels?: readonly [Label, Label]): void {
    const kind = (t: FieldType) => t.kind === "enum" ? "scalar" : t.kind;
    if (kind(w) !== kind(r)) {
      this.problems.push(`${at}: type changed from ${typeText(w)} to ${typeText(r)}`);
    } else if (w.kind === "map" && r.kind === "map") {
      this.types({ kind: "scalar", name: w.key }, { kind: "scalar", name: r.key }, `${at} map key`);
      this.types(w.value, r.value, `${at} map value`);
    } else if (w.kind === "message" && r.kind === "message") {
      // a message field's label may change: a singular reader merges repeated occurrences
      if (localName(w.type) === localName(r.type)) this.message(w.type, r.type);
      else this.problems.push(`${at}: message type changed from ${display(w.type)} to ${display(r.type)}`);
    } else {
      this.scalars(w, r, at, labels);
    }
  }

  private scalars(w: FieldType, r: FieldType, at: string, labels?: readonly [Label, Label]): void {
    const group = (t: FieldType) => t.kind === "scalar" ? WIRE_GROUP[t.name] : "varint";
    if (group(w) !== group(r)) {
      this.problems.push(`${at}: type changed from ${typeText(w)} to ${typeText(r)}, not wire-compatible`);
    } else if (labels && labels[0] !== labels[1] && group(w) !== "length-delimited") {
      // packed numbers and single ones are different wire types; strings and bytes read either way
      this.problems.push(`${at}: changed from ${labels[0]} to ${labels[1]}`);
    }
  }
}

// ---- normalized text ----

interface RenderContext {
  readonly root: protobuf.Root;
  readonly syntax: string;
}

function renderNormalized(file: ProtoFile): string {
  const ctx: RenderContext = { root: file.root, syntax: file.syntax };
  const lines = [
    file.syntax.startsWith("proto") ? `syntax = "${file.syntax}";` : `edition = "${file.syntax}";`,
  ];
  if (file.pkg !== "") lines.push(`package ${file.pkg};`);
  for (const i of [...file.imports].sort()) lines.push(`import "${i}";`);
  for (const i of [...file.weakImports].sort()) lines.push(`import weak "${i}";`);
  lines.push(...optionLines(ctx, file.options, ""));
  for (const d of file.declared) lines.push(...renderDeclaration(ctx, d, ""));
  return lines.join("\n") + "\n";
}

function renderDeclaration(ctx: RenderContext, d: PbObject, indent: string): string[] {
  if (d instanceof protobuf.Type) return renderMessage(ctx, d, indent);
  if (d instanceof protobuf.Enum) return renderEnum(ctx, d, indent);
  if (d instanceof protobuf.Service) return renderService(ctx, d, indent);
  if (d instanceof protobuf.Field && d.extend !== undefined) return renderExtension(ctx, d, indent);
  return [];
}

function renderMessage(ctx: RenderContext, t: PbType, indent: string): string[] {
  const inner = indent + "  ";
  const out = [`${indent}message ${t.name} {`, ...optionLines(ctx, t.options, inner)];
  if (t.reserved?.length) out.push(`${inner}reserved ${reservedText(t.reserved)};`);
  for (const range of t.extensions ?? []) out.push(`${inner}extensions ${rangeText(range)};`);
  const oneofsDone = new Set<string>();
  for (const f of ownFields(t)) {
    const o = realOneof(f);
    if (!o) {
      out.push(inner + fieldLine(ctx, f));
    } else if (!oneofsDone.has(o.name)) {
      // a oneof is rendered where its first field is declared
      oneofsDone.add(o.name);
      out.push(`${inner}oneof ${o.name} {`, ...optionLines(ctx, o.options, inner + "  "));
      for (const g of o.fieldsArray) out.push(inner + "  " + fieldLine(ctx, g));
      out.push(`${inner}}`);
    }
  }
  for (const n of t.nestedArray) out.push(...renderDeclaration(ctx, n, inner));
  out.push(`${indent}}`);
  return out;
}

function fieldLine(ctx: RenderContext, f: PbField): string {
  return `${labelText(ctx, f)}${typeRef(f)} ${f.name} = ${f.id}${fieldOptions(ctx, f)};`;
}

function labelText(ctx: RenderContext, f: PbField): string {
  if (f instanceof protobuf.MapField || realOneof(f)) return "";
  if (f.repeated) return "repeated ";
  if (f.required) return "required ";
  if (ctx.syntax === "proto2" || f.options?.proto3_optional === true) return "optional ";
  return "";
}

/** Named types fully qualified, so that `Inner`, `User.Inner` and `.pkg.User.Inner` render alike. */
function typeRef(f: PbField): string {
  const named = f.resolvedType ? f.resolvedType.fullName : f.type;
  return f instanceof protobuf.MapField ? `map<${f.keyType}, ${named}>` : named;
}

function fieldOptions(ctx: RenderContext, f: PbField): string {
  const entries = Object.entries(f.options ?? {}).filter(([k]) => k !== "proto3_optional")
    .sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0);
  if (entries.length === 0) return "";
  return ` [${entries.map(([k, v]) => `${k} = ${optionValue(ctx, k, v)}`).join(", ")}]`;
}

function renderEnum(ctx: RenderContext, e: PbEnum, indent: string): string[] {
  const inner = indent + "  ";
  const out = [`${indent}enum ${e.name} {`, ...optionLines(ctx, e.options, inner)];
  if (e.reserved?.length) out.push(`${inner}reserved ${reservedText(e.reserved)};`);
  for (const [name, number] of Object.entries(e.values)) {
    const opts = Object.entries(e.valuesOptions?.[name] ?? {}).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0);
    const optText = opts.length === 0
      ? ""
      : ` [${opts.map(([k, v]) => `${k} = ${optionValue(ctx, k, v)}`).join(", ")}]`;
    out.push(`${inner}${name} = ${number}${optText};`);
  }
  out.push(`${indent}}`);
  return out;
}

function renderService(ctx: RenderContext, s: protobuf.Service, indent: string): string[] {
  const inner = indent + "  ";
  const out = [`${indent}service ${s.name} {`, ...optionLines(ctx, s.options, inner)];
  for (const m of s.methodsArray) {
    const req = `${m.requestStream ? "stream " : ""}${m.resolvedRequestType?.fullName ?? m.requestType}`;
    const res = `${m.responseStream ? "stream " : ""}${m.resolvedResponseType?.fullName ?? m.responseType}`;
    const opts = optionLines(ctx, m.options, inner + "  ");
    const head = `${inner}rpc ${m.name} (${req}) returns (${res})`;
    out.push(...(opts.length === 0 ? [`${head};`] : [`${head} {`, ...opts, `${inner}}`]));
  }
  out.push(`${indent}}`);
  return out;
}

function renderExtension(ctx: RenderContext, f: PbField, indent: string): string[] {
  const target = f.extensionField?.parent?.fullName ?? f.extend;
  return [`${indent}extend ${target} {`, `${indent}  ${fieldLine(ctx, f)}`, `${indent}}`];
}

function rangeText([from, to]: readonly number[]): string {
  if (from === to) return String(from);
  return `${from} to ${to >= MAX_FIELD_NUMBER ? "max" : to}`;
}

/** Reserved numbers ascending, then reserved names sorted. */
function reservedText(reserved: readonly (number[] | string)[]): string {
  const ranges = reserved.filter((r): r is number[] => Array.isArray(r)).sort((a, b) => a[0] - b[0]);
  const names = reserved.filter((r): r is string => typeof r === "string").sort();
  return [...ranges.map(rangeText), ...names.map((n) => JSON.stringify(n))].join(", ");
}

function optionLines(ctx: RenderContext, options: Options | undefined, indent: string): string[] {
  return Object.entries(options ?? {}).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)
    .map(([k, v]) => `${indent}option ${k} = ${optionValue(ctx, k, v)};`);
}

function optionValue(ctx: RenderContext, key: string, v: unknown): string {
  if (typeof v === "string") return isEnumOption(ctx.root, key) ? v : JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map((x) => optionValue(ctx, key, x)).join(", ")}]`;
  if (typeof v === "object" && v !== null) {
    const parts = Object.entries(v).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)
      .map(([k, x]) => `${k}: ${optionValue(ctx, `${key}.${k}`, x)}`);
    return `{ ${parts.join(" ")} }`;
  }
  return String(v);
}

/** Is the option (standard, or custom like `(pkg.ext).sub`) enum-typed? Its identifiers stay unquoted. */
function isEnumOption(root: protobuf.Root, key: string): boolean {
  if (ENUM_OPTIONS.has(key)) return true;
  const m = /^\(\.?([^)]+)\)((?:\.\w+)*)$/.exec(key);
  if (!m) return false;
  let field: PbObject | null = root.lookup(m[1]);
  for (const part of m[2].split(".").filter((p) => p !== "")) {
    const t = field instanceof protobuf.Field ? field.resolvedType : null;
    field = t instanceof protobuf.Type ? t.fields[part] ?? null : null;
  }
  return field instanceof protobuf.Field && field.resolvedType instanceof protobuf.Enum;
}

// ---- the FileDescriptorProto form (Confluent's serializers send it; ?format=serialized answers it) ----

interface DescriptorCodec {
  fromObject(o: Record<string, unknown>): unknown;
  encode(m: unknown): { finish(): Uint8Array };
  decode(b: Uint8Array): unknown;
  toObject(m: unknown, opts: Record<string, unknown>): Record<string, unknown>;
}
const FileDescriptorProto =
  (descriptorModule as unknown as { FileDescriptorProto: DescriptorCodec }).FileDescriptorProto;

/** FieldDescriptorProto.Type numbers by scalar name. */
const SCALAR_TYPES: Readonly<Record<string, number>> = {
  double: 1,
  float: 2,
  int64: 3,
  uint64: 4,
  int32: 5,
  fixed64: 6,
  fixed32: 7,
  bool: 8,
  string: 9,
  bytes: 12,
  uint32: 13,
  sfixed32: 15,
  sfixed64: 16,
  sint32: 17,
  sint64: 18,
};
const TYPE_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(SCALAR_TYPES).map(([k, v]) => [v, k]),
);
const TYPE_MESSAGE = 11;
const TYPE_ENUM = 14;
const LABEL_OPTIONAL = 1;
const LABEL_REQUIRED = 2;
const LABEL_REPEATED = 3;

interface FieldDesc {
  name: string;
  number: number;
  label: number;
  type: number;
  typeName?: string;
  oneofIndex?: number;
  proto3Optional?: boolean;
}
interface EnumDesc {
  name: string;
  value: { name: string; number: number }[];
}
interface MessageDesc {
  name: string;
  field: FieldDesc[];
  nestedType: MessageDesc[];
  enumType: EnumDesc[];
  oneofDecl: { name: string }[];
  options?: { mapEntry?: boolean };
}
interface FileDesc {
  name: string;
  package?: string;
  dependency: string[];
  messageType: MessageDesc[];
  enumType: EnumDesc[];
  syntax?: string;
}

/** A map field's entry message name, as protoc derives it (foo_bar → FooBarEntry). */
function entryName(field: string): string {
  return field.split("_").map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join("") + "Entry";
}

/** A field's type number and type name in a descriptor. */
function descType(t: FieldType): { type: number; typeName?: string } {
  switch (t.kind) {
    case "scalar":
      return { type: SCALAR_TYPES[t.name] ?? invalid(`unsupported scalar type ${t.name}`) };
    case "enum":
      return { type: TYPE_ENUM, typeName: t.type.fullName };
    case "message":
      return { type: TYPE_MESSAGE, typeName: t.type.fullName };
    case "map":
      return invalid("a map is not a plain field type");
  }
}

function fieldDesc(f: PbField, oneofs: readonly string[]): FieldDesc {
  const o = realOneof(f);
  return {
    name: f.name,
    number: f.id,
    label: f.repeated ? LABEL_REPEATED : f.required ? LABEL_REQUIRED : LABEL_OPTIONAL,
    ...descType(fieldType(f)),
    ...(o ? { oneofIndex: oneofs.indexOf(o.name) } : {}),
    ...(f.partOf && !o ? { proto3Optional: true } : {}),
  };
}

function enumDesc(e: PbEnum): EnumDesc {
  return { name: e.name, value: Object.entries(e.values).map(([name, number]) => ({ name, number })) };
}

/** A map field becomes a repeated field of a nested entry message, as protoc describes it. */
function mapDesc(t: PbType, f: protobuf.MapField): { field: FieldDesc; entry: MessageDesc } {
  const value = fieldType(f);
  const entry: MessageDesc = {
    name: entryName(f.name),
    field: [
      { name: "key", number: 1, label: LABEL_OPTIONAL, type: SCALAR_TYPES[f.keyType] },
      {
        name: "value",
        number: 2,
        label: LABEL_OPTIONAL,
        ...descType(value.kind === "map" ? value.value : value),
      },
    ],
    nestedType: [],
    enumType: [],
    oneofDecl: [],
    options: { mapEntry: true },
  };
  const field: FieldDesc = {
    name: f.name,
    number: f.id,
    label: LABEL_REPEATED,
    type: TYPE_MESSAGE,
    typeName: `${t.fullName}.${entry.name}`,
  };
  return { field, entry };
}

function messageDesc(t: PbType): MessageDesc {
  const oneofs = t.oneofsArray.filter((o) => !isSynthetic(o)).map((o) => o.name);
  const fields: FieldDesc[] = [];
  const nested: MessageDesc[] = [];
  for (const f of ownFields(t)) {
    if (f instanceof protobuf.MapField) {
      const { field, entry } = mapDesc(t, f);
      fields.push(field);
      nested.push(entry);
    } else {
      fields.push(fieldDesc(f, oneofs));
    }
  }
  for (const n of t.nestedArray) if (n instanceof protobuf.Type) nested.push(messageDesc(n));
  return {
    name: t.name,
    field: fields,
    nestedType: nested,
    enumType: t.nestedArray.filter((n): n is PbEnum => n instanceof protobuf.Enum).map(enumDesc),
    oneofDecl: oneofs.map((name) => ({ name })),
  };
}

function fileDesc(file: ProtoFile): FileDesc {
  return {
    name: "schema.proto",
    ...(file.pkg ? { package: file.pkg } : {}),
    dependency: [...file.imports],
    messageType: file.declared.filter((d): d is PbType => d instanceof protobuf.Type).map(messageDesc),
    enumType: file.declared.filter((d): d is PbEnum => d instanceof protobuf.Enum).map(enumDesc),
    syntax: file.syntax === "proto3" ? "proto3" : "proto2",
  };
}

// .proto text from a decoded FileDescriptorProto.

function descTypeText(f: FieldDesc): string {
  if (f.type === TYPE_MESSAGE || f.type === TYPE_ENUM) return f.typeName ?? "?";
  return TYPE_NAMES[f.type] ?? invalid(`field ${f.name}: unsupported type ${f.type}`);
}

function renderDescEnum(e: EnumDesc, indent: string): string[] {
  return [
    `${indent}enum ${e.name} {`,
    ...e.value.map((v) => `${indent}  ${v.name} = ${v.number};`),
    `${indent}}`,
  ];
}

function renderDescField(f: FieldDesc, entries: ReadonlyMap<string, MessageDesc>, proto3: boolean): string {
  const entry = f.typeName ? entries.get(f.typeName.slice(f.typeName.lastIndexOf(".") + 1)) : undefined;
  if (entry && f.label === LABEL_REPEATED) {
    const [k, v] = entry.field;
    return `map<${descTypeText(k)}, ${descTypeText(v)}> ${f.name} = ${f.number};`;
  }
  const label = f.label === LABEL_REPEATED
    ? "repeated "
    : f.label === LABEL_REQUIRED
    ? "required "
    : (!proto3 || f.proto3Optional) && f.oneofIndex === undefined
    ? "optional "
    : "";
  return `${label}${descTypeText(f)} ${f.name} = ${f.number};`;
}

function renderDescMessage(m: MessageDesc, proto3: boolean, indent: string): string[] {
  const entries = new Map(m.nestedType.filter((n) => n.options?.mapEntry).map((n) => [n.name, n]));
  const inner = indent + "  ";
  const out = [`${indent}message ${m.name} {`];
  const done = new Set<number>();
  for (const f of m.field) {
    const index = f.proto3Optional ? undefined : f.oneofIndex;
    if (index === undefined) {
      out.push(inner + renderDescField(f, entries, proto3));
    } else if (!done.has(index)) {
      done.add(index);
      out.push(`${inner}oneof ${m.oneofDecl[index]?.name ?? `oneof_${index}`} {`);
      for (const g of m.field.filter((x) => x.oneofIndex === index)) {
        out.push(inner + "  " + renderDescField(g, entries, proto3));
      }
      out.push(`${inner}}`);
    }
  }
  for (const n of m.nestedType) if (!n.options?.mapEntry) out.push(...renderDescMessage(n, proto3, inner));
  for (const e of m.enumType) out.push(...renderDescEnum(e, inner));
  out.push(`${indent}}`);
  return out;
}

export function renderProto(file: FileDesc): string {
  const proto3 = file.syntax === "proto3";
  const out = [`syntax = "${proto3 ? "proto3" : "proto2"}";`];
  if (file.package) out.push(`package ${file.package};`);
  for (const d of file.dependency) out.push(`import "${d}";`);
  out.push("");
  for (const m of file.messageType) out.push(...renderDescMessage(m, proto3, ""));
  for (const e of file.enumType) out.push(...renderDescEnum(e, ""));
  return out.join("\n") + "\n";
}

/** A FileDescriptorProto object as protobufjs decodes it, in our shape (arrays present). */
function fileFromObject(o: Record<string, unknown>): FileDesc {
  const arr = <T>(v: unknown): T[] => (Array.isArray(v) ? v as T[] : []);
  const enumFrom = (e: Record<string, unknown>): EnumDesc => ({
    name: String(e.name),
    value: arr<Record<string, unknown>>(e.value).map((v) => ({
      name: String(v.name),
      number: Number(v.number ?? 0),
    })),
  });
  const fieldFrom = (f: Record<string, unknown>): FieldDesc => ({
    name: String(f.name),
    number: Number(f.number),
    label: Number(f.label ?? LABEL_OPTIONAL),
    type: Number(f.type),
    ...(f.typeName ? { typeName: String(f.typeName) } : {}),
    ...(f.oneofIndex !== undefined && f.oneofIndex !== null ? { oneofIndex: Number(f.oneofIndex) } : {}),
    ...(f.proto3Optional ? { proto3Optional: true } : {}),
  });
  const msg = (m: Record<string, unknown>): MessageDesc => ({
    name: String(m.name ?? ""),
    field: arr<Record<string, unknown>>(m.field).map(fieldFrom),
    nestedType: arr<Record<string, unknown>>(m.nestedType).map(msg),
    enumType: arr<Record<string, unknown>>(m.enumType).map(enumFrom),
    oneofDecl: arr<Record<string, unknown>>(m.oneofDecl).map((d) => ({ name: String(d.name) })),
    ...((m.options as { mapEntry?: boolean } | undefined)?.mapEntry ? { options: { mapEntry: true } } : {}),
  });
  return {
    name: String(o.name ?? "schema.proto"),
    ...(o.package ? { package: String(o.package) } : {}),
    dependency: arr<string>(o.dependency).map(String),
    messageType: arr<Record<string, unknown>>(o.messageType).map(msg),
    enumType: arr<Record<string, unknown>>(o.enumType).map(enumFrom),
    ...(o.syntax ? { syntax: String(o.syntax) } : {}),
  };
}

/** Confluent's serializers send a base64 FileDescriptorProto: its .proto text, or null when `text` is not one. */
function fromSerialized(text: string): string | null {
  const t = text.trim();
  if (!/^[A-Za-z0-9+/]+=*$/.test(t) || /\b(message|syntax|enum)\b/.test(t)) return null;
  try {
    const decoded = FileDescriptorProto.decode(fromBase64(t));
    const file = fileFromObject(FileDescriptorProto.toObject(decoded, { defaults: false, arrays: true }));
    if (file.messageType.length === 0 && file.enumType.length === 0) return null;
    return renderProto(file);
  } catch {
    return null;
  }
}

/** ?format=serialized: the base64 FileDescriptorProto Confluent's deserializers ask for. */
export function serializedProtobuf(p: ParsedSchema): string | null {
  if (!(p instanceof ProtoSchema)) return null;
  const d = fileDesc(p.file);
  return toBase64(FileDescriptorProto.encode(FileDescriptorProto.fromObject({ ...d })).finish());
}

export const PROTOBUF_FORMAT: SchemaFormat = {
  type: "PROTOBUF",
  parse: parseProtobuf,
  render: (schema, format) => format === "serialized" ? serializedProtobuf(schema) : null,
  recordName(schema: ParsedSchema): string {
    const first = schema instanceof ProtoSchema ? schema.first() : null;
    return first === null ? "" : display(first);
  },
  incompatibilities(reader: ParsedSchema, writer: ParsedSchema): string[] {
    if (!(reader instanceof ProtoSchema) || !(writer instanceof ProtoSchema)) {
      return ["not two Protobuf schemas"];
    }
    return new ProtoComparer().file(reader.file, writer.file);
  },
};
