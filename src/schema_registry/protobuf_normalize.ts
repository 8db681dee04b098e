// The normalized text of a Protobuf schema, rendered from the parsed model rather than the text given: fully
// qualified type names, sorted imports and options, declaration order kept, no comments. Schemas that differ only
// in those respects normalize alike.
import protobuf from "protobufjs";
import {
  MAX_FIELD_NUMBER,
  type Options,
  ownFields,
  type PbEnum,
  type PbField,
  type PbObject,
  type PbType,
  type ProtoFile,
  realOneof,
} from "./protobuf_model.ts";

/** Standard options whose values are enum identifiers (rendered bare, not quoted). */
const ENUM_OPTIONS = new Set(["optimize_for", "ctype", "jstype", "idempotency_level", "retention"]);

interface RenderContext {
  readonly root: protobuf.Root;
  readonly syntax: string;
}

export function renderNormalized(file: ProtoFile): string {
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
