// Protobuf compatibility as Confluent's protobuf-provider judges it (its SchemaDiff, with the reader as the
// "update" and the writer as the "original"): same-named messages are compared field number by field number from
// the file's top level down (and wherever a message-typed field leads); a message the writer has and the reader
// lacks is incompatible (so renaming the first message is), fields added or removed are compatible unless required,
// a scalar type may change only within a wire-compatible group (enums count as varints), scalar ↔ message ↔ map
// changes are incompatible, a numeric field may not change between singular and repeated, oneof membership may
// change only as Confluent allows (several existing fields moved into one oneof, or one joining fields of an existing
// oneof, or a field dropped from a oneof, are not), and a changed package is incompatible.
import protobuf from "protobufjs";
import {
  display,
  type FieldType,
  fieldType,
  isSynthetic,
  ownFields,
  type PbField,
  type PbObject,
  type PbType,
  type ProtoFile,
  realOneof,
} from "./protobuf_model.ts";

/** A field's cardinality as compatibility compares it (proto3's implicit presence is singular too). */
type Label = "singular" | "required" | "repeated";

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

function labelOf(f: PbField): Label {
  return f.repeated ? "repeated" : f.required ? "required" : "singular";
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

/** Can a reader decode what a writer wrote? Problems name the message and field. */
export class ProtoComparer {
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
