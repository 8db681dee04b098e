// The shapes the Protobuf format shares between parsing (protobuf.ts), compatibility (protobuf_compat.ts), the
// normalized text (protobuf_normalize.ts) and the FileDescriptorProto form (protobuf_descriptor.ts): one parsed file,
// a field's type, and the small reflection helpers over protobufjs's objects that all of them read it through.
import protobuf from "protobufjs";
import { InvalidSchemaError } from "./schema_types.ts";

export type PbType = protobuf.Type;
export type PbEnum = protobuf.Enum;
export type PbField = protobuf.Field;
export type PbObject = protobuf.ReflectionObject;
export type Options = Readonly<Record<string, unknown>>;

/** A field's type: a scalar by name, a named enum or message, or a map. */
export type FieldType =
  | { readonly kind: "scalar"; readonly name: string }
  | { readonly kind: "enum"; readonly type: PbEnum }
  | { readonly kind: "message"; readonly type: PbType }
  | { readonly kind: "map"; readonly key: string; readonly value: FieldType };

/** One parsed .proto file with everything it imports in the same protobufjs Root. */
export interface ProtoFile {
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

export const MAX_FIELD_NUMBER = 536870911;

export function invalid(why: string): never {
  throw new InvalidSchemaError(why);
}

/** A message's own fields (protobufjs also lists extensions of it declared elsewhere). */
export function ownFields(t: PbType): PbField[] {
  return t.fieldsArray.filter((f) => !f.declaringField);
}

/** proto3 `optional` puts a field in a oneof of its own: not a oneof as far as compatibility goes. */
export function isSynthetic(o: protobuf.OneOf): boolean {
  return o.fieldsArray.length === 1 && o.fieldsArray[0].options?.proto3_optional === true;
}

export function realOneof(f: PbField): protobuf.OneOf | null {
  return f.partOf && !isSynthetic(f.partOf) ? f.partOf : null;
}

export function fieldType(f: protobuf.FieldBase): FieldType {
  const t = f.resolvedType;
  const named: FieldType = t instanceof protobuf.Type
    ? { kind: "message", type: t }
    : t instanceof protobuf.Enum
    ? { kind: "enum", type: t }
    : { kind: "scalar", name: f.type };
  return f instanceof protobuf.MapField ? { kind: "map", key: f.keyType, value: named } : named;
}

/** A type's full name without protobufjs's leading dot. */
export function display(o: PbObject): string {
  return o.fullName.replace(/^\./, "");
}
