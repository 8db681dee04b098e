// Protobuf schemas for the registry. A schema is .proto text, parsed with protobufjs, or, as Confluent's serializers
// send it, a base64-encoded FileDescriptorProto, turned into .proto text first (protobuf_descriptor.ts). References
// are the file's imports by path; google/protobuf's well-known files and Confluent's own are built in
// (protobuf_builtins.ts), so nothing is ever read from disk.
//
// The canonical text is the schema as given (trimmed); the normalized text is rendered from the parsed model
// (protobuf_normalize.ts); `?format=serialized` answers a base64 FileDescriptorProto built from the parsed file.
// Compatibility is Confluent's protobuf-provider's (protobuf_compat.ts).
import protobuf from "protobufjs";
import {
  type ParsedSchema,
  type ResolvedReference,
  type SchemaFormat,
  type SchemaInput,
} from "./schema_types.ts";
import { BUILT_IN_TEXTS, wellKnownJson } from "./protobuf_builtins.ts";
import { ProtoComparer } from "./protobuf_compat.ts";
import { fromSerialized, serializedFile } from "./protobuf_descriptor.ts";
import {
  display,
  invalid,
  MAX_FIELD_NUMBER,
  ownFields,
  type PbEnum,
  type PbObject,
  type PbType,
  type ProtoFile,
} from "./protobuf_model.ts";
import { renderNormalized } from "./protobuf_normalize.ts";

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
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

/** ?format=serialized: the base64 FileDescriptorProto Confluent's deserializers ask for. */
export function serializedProtobuf(p: ParsedSchema): string | null {
  if (!(p instanceof ProtoSchema)) return null;
  return serializedFile(p.file);
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
