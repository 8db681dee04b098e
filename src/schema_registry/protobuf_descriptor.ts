// The FileDescriptorProto form of a Protobuf schema: Confluent's serializers send a schema as a base64-encoded
// FileDescriptorProto, which is turned into .proto text before parsing, and `?format=serialized` answers one built
// from the parsed file.
import protobuf from "protobufjs";
import descriptorModule from "protobufjs/ext/descriptor/index.js";
import { fromBase64, toBase64 } from "../base64.ts";
import {
  type FieldType,
  fieldType,
  invalid,
  isSynthetic,
  ownFields,
  type PbEnum,
  type PbField,
  type PbType,
  type ProtoFile,
  realOneof,
} from "./protobuf_model.ts";

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
export function fromSerialized(text: string): string | null {
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

/** The parsed file as a base64 FileDescriptorProto (what `?format=serialized` answers). */
export function serializedFile(file: ProtoFile): string {
  const d = fileDesc(file);
  return toBase64(FileDescriptorProto.encode(FileDescriptorProto.fromObject({ ...d })).finish());
}
