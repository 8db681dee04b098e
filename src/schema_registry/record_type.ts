// Registered schemas as SeaweedMQ record types (schema_pb.RecordType), and Kafka values in Confluent's wire format as
// schema_pb.RecordValue, for schematized topics on the SeaweedMQ backend: SeaweedFS's parquet compaction then sees
// typed columns. The format-specific work is in record_avro.ts, record_protobuf.ts and record_json.ts (each compiles a
// schema once into its record type and a decoder of normalized values), the writing in record_value.ts, the shared
// model in record_model.ts.
//
// Type mapping (schema_pb.ScalarType in capitals; "JSON text": a STRING holding JSON, bigints beyond 2^53 as strings,
// bytes as base64):
//
// | Avro                                   | Protobuf                                 | JSON Schema                   | column       |
// |----------------------------------------|------------------------------------------|-------------------------------|--------------|
// | boolean                                | bool                                     | boolean                       | BOOL         |
// | int                                    | int32, sint32, sfixed32                  |                               | INT32        |
// | long                                   | int64, sint64, sfixed64, uint32, fixed32, uint64¹, fixed64¹ | integer    | INT64        |
// | float                                  | float                                    |                               | FLOAT        |
// | double                                 | double                                   | number, [integer, number]     | DOUBLE       |
// | bytes, fixed                           | bytes                                    |                               | BYTES        |
// | string, enum (symbol), uuid            | string, enum (value name²)               | string                        | STRING       |
// | timestamp-millis/-micros/-nanos³       | google.protobuf.Timestamp                | string, format date-time      | TIMESTAMP µs |
// | date                                   | google.type.Date                         | string, format date           | DATE         |
// | time-millis, time-micros               |                                          | string, format time           | TIME µs      |
// | decimal (bytes or fixed)⁴              | confluent.type.Decimal                   |                               | DECIMAL      |
// | record                                 | message                                  | object with properties        | record       |
// | array                                  | repeated                                 | array with one items schema   | list         |
// | map<V>                                 | map<K, V>                                |                               | list of record {key, value} |
// | ["null", T] (either order)             | wrappers (google.protobuf.Int32Value…)   | [T, "null"], anyOf [T, null]  | as T         |
// | other unions: numeric branches only → the widest (int+long → INT64, int/long+float/double → DOUBLE), else JSON text |
// |                                        | google.protobuf.Struct, Value, ListValue | no type, several types, anyOf/oneOf, tuples, objects without properties → JSON text |
//
// ¹ uint64/fixed64 values above 2^63-1 keep their 64 bits: they are stored as the negative int64 of the same two's
//   complement (as parquet's INT64 stores UINT_64). ² An enum number the enum does not name: its digits.
// ³ local-timestamp-* likewise; -millis multiplied, -nanos divided (floor) to µs.
// ⁴ Each value keeps its precision and scale (DecimalValue); schema_pb.Type has no place for them.
// TIMESTAMP and TIME values are written as int64_value (µs), DATE as int32_value (days since the epoch), not as
// schema_pb's TimestampValue/TimeValue/DateValue: SeaweedFS 4.48's parquet writer reads only those kinds for these
// columns (it writes 0 for the others).
//
// Rules:
// - Every field is optional (required: false): SeaweedFS's parquet writer fails on a required column with no value.
//   A list is the field's type (list_type); is_repeated stays false.
// - Field order is the schema's; indexes are 0..n-1. Top-level fields named like SeaweedFS's own columns (_ts_ns, _key,
//   _offset, _value) get "_" appended ("_key" → "_key_"), again until the name is free.
// - A list of lists becomes a list of records with one field, "element", holding the inner list (parquet has no
//   repeated-of-repeated). Fields without a column (Avro null, empty records/messages such as google.protobuf.Empty,
//   JSON "null" or `false`) are left out; a record met again inside itself (recursive types) is JSON text.
// - Protobuf (proto3) fields without presence are written with their value, the default when unset (0, "", false,
//   the first enum name, an empty list/map): proto3 cannot tell unset from default. Fields with presence (messages,
//   `optional`, oneof members, proto2 optional) are absent when unset. Confluent's message indexes choose the
//   writer's message; the topic's type is built from the file's first message.
// - JSON values are not validated against the schema: a value of the wrong JSON type is left out (integers beyond
//   2^53 arrive rounded by JSON.parse).
// - Values are written as the topic's record type (mergeRecordTypes of the subject's versions): fields missing from
//   the topic's type are dropped, values converted to the topic's field type (widened; int → string as text, record
//   → string as JSON text, bytes ↔ string as UTF-8, date ↔ timestamp), and a value that does not convert is left out.
import { AvroSchema } from "./avro.ts";
import { JsonSchema } from "./json_schema.ts";
import { ProtoSchema } from "./protobuf.ts";
import { avroDecoder } from "./record_avro.ts";
import { jsonDecoder } from "./record_json.ts";
import {
  type FieldType,
  isList,
  isRecord,
  isScalar,
  recordOf,
  type RecordType,
  type SchemaDecoder,
  type Source,
  widenScalar,
} from "./record_model.ts";
import { protobufDecoder } from "./record_protobuf.ts";
import { recordWriter, ValueWriter, writeRecordType } from "./record_value.ts";
import { InvalidSchemaError, type ParsedSchema } from "./schema_types.ts";

export type { FieldType, RecordField, RecordType, ScalarType } from "./record_model.ts";

/** Compiled schemas, shared by every typer (the registry keeps one ParsedSchema per id). */
const DECODERS = new WeakMap<ParsedSchema, SchemaDecoder>();

function decoderOf(schema: ParsedSchema): SchemaDecoder {
  let d = DECODERS.get(schema);
  if (d === undefined) {
    if (schema instanceof AvroSchema) d = avroDecoder(schema);
    else if (schema instanceof ProtoSchema) d = protobufDecoder(schema);
    else if (schema instanceof JsonSchema) d = jsonDecoder(schema);
    else throw new InvalidSchemaError(`no record type for ${schema.type} schemas`);
    DECODERS.set(schema, d);
  }
  return d;
}

/**
 * The RecordType of a registered schema: its top-level record (Avro, also ["null", record]), first message
 * (Protobuf) or object with properties (JSON Schema). Throws InvalidSchemaError when the top level is not a record
 * (the topic then stays unschematized).
 */
export function recordTypeOf(schema: ParsedSchema): RecordType {
  return decoderOf(schema).main.type;
}

/** The merged type of a field in both, or null when their kinds differ (the caller keeps the newer's). */
function mergeFieldTypes(older: FieldType, newer: FieldType): FieldType | null {
  if (isRecord(older) && isRecord(newer)) return { record: mergeRecordTypes(older.record, newer.record) };
  if (isList(older) && isList(newer)) {
    const element = mergeFieldTypes(older.list, newer.list);
    return { list: element ?? newer.list };
  }
  if (isScalar(older) && isScalar(newer)) {
    const scalar = widenScalar(older.scalar, newer.scalar);
    if (scalar === null) return null;
    return scalar === newer.scalar ? newer : { scalar };
  }
  return null;
}

/**
 * The union of two record types, for schema evolution: the older's fields in their order, then the fields only the
 * newer has in theirs; indexes renumbered 0..n-1. A field in both takes the type both fit: INT32 + INT64 → INT64,
 * FLOAT + DOUBLE → DOUBLE, an integer + FLOAT/DOUBLE → DOUBLE (INT64 above 2^53 rounded, as Avro's long → double),
 * DATE + TIMESTAMP → TIMESTAMP, records merged field by field, lists by element; different kinds otherwise (e.g.
 * INT64 and STRING, a record and a string): the newer's type. Every field stays optional.
 */
export function mergeRecordTypes(older: RecordType, newer: RecordType): RecordType {
  const newerByName = new Map(newer.fields.map((f) => [f.name, f]));
  const olderNames = new Set(older.fields.map((f) => f.name));
  const fields: { name: string; type: FieldType }[] = older.fields.map((f) => {
    const n = newerByName.get(f.name);
    return { name: f.name, type: n === undefined ? f.type : mergeFieldTypes(f.type, n.type) ?? n.type };
  });
  for (const f of newer.fields) if (!olderNames.has(f.name)) fields.push({ name: f.name, type: f.type });
  return recordOf(fields);
}

/** schema_pb.RecordType protobuf bytes (proto/mq_schema.proto), for ConfigureTopic's message_record_type. */
export function encodeRecordType(t: RecordType): Uint8Array {
  const w = new ValueWriter(256);
  writeRecordType(w, t);
  return w.take();
}

/**
 * A function turning one Kafka value in Confluent's wire format (magic byte 0, 4-byte big-endian schema id,
 * [Protobuf: message indexes], payload) into schema_pb.RecordValue protobuf bytes shaped by `type` (fields not in
 * `type` dropped, values converted to its field types, a value that does not convert left out). It answers null when
 * the value is not Confluent-framed, the id is unknown or not a record schema, or the payload does not decode with
 * the id's (writer's) schema. Schemas are compiled once per id; one buffer is reused across calls: the bytes
 * answered are a view of it, valid until the next call.
 */
export function valueTyper(
  type: RecordType,
  schemaById: (id: number) => ParsedSchema | undefined,
): (value: Uint8Array) => Uint8Array | null {
  const decoders = new Map<number, SchemaDecoder | null>();
  const writers = new Map<Source, (w: ValueWriter, v: unknown[]) => void>();
  const w = new ValueWriter(4096);
  return (value) => {
    if (value.length < 5 || value[0] !== 0) return null;
    const id = ((value[1] << 24) | (value[2] << 16) | (value[3] << 8) | value[4]) >>> 0;
    let decoder = decoders.get(id);
    if (decoder === undefined) {
      const schema = schemaById(id);
      if (schema === undefined) return null; // unknown now: asked again next time (the registry may learn it)
      try {
        decoder = decoderOf(schema);
      } catch (e) {
        if (!(e instanceof InvalidSchemaError)) throw e;
        decoder = null;
      }
      decoders.set(id, decoder);
    }
    if (decoder === null) return null;
    const source = decoder.select(value);
    if (source === null) return null;
    const values = source.decode(value);
    if (values === null) return null;
    let write = writers.get(source);
    if (write === undefined) {
      write = recordWriter(source.type, type);
      writers.set(source, write);
    }
    w.pos = 0;
    write(w, values);
    return w.buf.subarray(0, w.pos); // valid until the next call (the caller copies it: no allocation per value)
  };
}
