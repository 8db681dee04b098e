// Registered schemas as SeaweedMQ record types and Confluent-framed values as schema_pb.RecordValue
// (src/schema_registry/record_type.ts): for Avro, Protobuf and JSON Schema, a realistic schema's RecordType, values
// serialized as Confluent's serializers frame them (Avro binary written here by the specification, Protobuf by
// protobufjs with the message-index array, JSON text) typed and decoded back with protobufjs from
// proto/mq_schema.proto; merging for evolution; values that cannot be typed.
import protobuf from "protobufjs";
import { assert, assertEquals, assertThrows } from "./assert.ts";
import { AVRO_FORMAT } from "../../src/schema_registry/avro.ts";
import { JSON_FORMAT } from "../../src/schema_registry/json_schema.ts";
import { PROTOBUF_FORMAT, type ProtoSchema } from "../../src/schema_registry/protobuf.ts";
import {
  encodeRecordType,
  type FieldType,
  mergeRecordTypes,
  type RecordType,
  recordTypeOf,
  valueTyper,
} from "../../src/schema_registry/record_type.ts";
import { InvalidSchemaError, type ParsedSchema } from "../../src/schema_registry/schema_types.ts";

// ---- reading what we wrote, with protobufjs and proto/mq_schema.proto ----

const PROTO = new protobuf.Root().loadSync(new URL("../../proto/mq_schema.proto", import.meta.url).pathname, {
  keepCase: true,
});
const PbRecordType = PROTO.lookupType("schema_pb.RecordType");
const PbRecordValue = PROTO.lookupType("schema_pb.RecordValue");
const TO_OBJECT = { longs: String, enums: String, defaults: false, oneofs: true, arrays: true };

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

type Obj = Record<string, unknown>;

/** A decoded Value in a compact, typed form: {i32: 1}, {i64: "1"}, {str: "x"}, records as objects, lists as arrays. */
function plain(v: Obj): unknown {
  const kind = v.kind as string;
  const x = v[kind] as Obj;
  switch (kind) {
    case "bool_value":
      return { bool: x };
    case "int32_value":
      return { i32: x };
    case "int64_value":
      return { i64: x };
    case "float_value":
      return { f32: x };
    case "double_value":
      return { f64: x };
    case "bytes_value":
      return { bytes: hex(x as unknown as Uint8Array) };
    case "string_value":
      return { str: x };
    case "timestamp_value":
      return { ts: x.timestamp_micros ?? "0", utc: x.is_utc ?? false };
    case "date_value":
      return { date: x.days_since_epoch ?? 0 };
    case "time_value":
      return { time: x.time_micros ?? "0" };
    case "decimal_value":
      return {
        decimal: hex((x.value as Uint8Array) ?? new Uint8Array()),
        precision: x.precision,
        scale: x.scale,
      };
    case "list_value":
      return ((x.values ?? []) as Obj[]).map(plain);
    case "record_value":
      return record(x);
  }
  throw new Error(`unexpected Value ${JSON.stringify(v)}`);
}

function record(rv: Obj): Obj {
  return Object.fromEntries(
    Object.entries((rv.fields ?? {}) as Record<string, Obj>).map(([k, v]) => [k, plain(v)]),
  );
}

function decodeValue(bytes: Uint8Array | null): Obj {
  assert(bytes !== null, "the value was typed");
  return record(PbRecordValue.toObject(PbRecordValue.decode(bytes), TO_OBJECT));
}

/** The RecordType protobufjs reads from encodeRecordType's bytes, back in our model. */
function decodeRecordType(bytes: Uint8Array): RecordType {
  const fromType = (t: Obj): FieldType => {
    if (t.kind === "scalar_type") return { scalar: t.scalar_type as never };
    if (t.kind === "record_type") return { record: fromRecord(t.record_type as Obj) };
    return { list: fromType((t.list_type as Obj).element_type as Obj) };
  };
  const fromRecord = (r: Obj): RecordType => ({
    fields: ((r.fields ?? []) as Obj[]).map((f) => ({
      name: f.name as string,
      index: (f.field_index as number | undefined) ?? 0,
      type: fromType(f.type as Obj),
      repeated: (f.is_repeated as boolean | undefined) ?? false,
      required: (f.is_required as boolean | undefined) ?? false,
    })),
  });
  return fromRecord(PbRecordType.toObject(PbRecordType.decode(bytes), TO_OBJECT));
}

/** Our RecordType without the flags schema_pb.Type does not carry (local timestamps). */
function wireShape(t: RecordType): RecordType {
  const field = (ft: FieldType): FieldType =>
    "record" in ft
      ? { record: wireShape(ft.record) }
      : "list" in ft
      ? { list: field(ft.list) }
      : { scalar: ft.scalar };
  return { fields: t.fields.map((f) => ({ ...f, type: field(f.type) })) };
}

// ---- expected record types, compactly: "INT64", [element], { field: type } ----

type Spec = string | [Spec] | { [name: string]: Spec };

function ft(s: Spec): FieldType {
  if (typeof s === "string") {
    return s === "LOCAL_TIMESTAMP" ? { scalar: "TIMESTAMP", local: true } : { scalar: s as never };
  }
  if (Array.isArray(s)) return { list: ft(s[0]) };
  return { record: rt(s) };
}

function rt(fields: { [name: string]: Spec }): RecordType {
  return {
    fields: Object.entries(fields).map(([name, s], index) => ({
      name,
      index,
      type: ft(s),
      repeated: false,
      required: false,
    })),
  };
}

// ---- Avro binary, by the specification ----

class AvroOut {
  readonly bytes: number[] = [];

  long(v: number | bigint): this {
    const n = BigInt(v);
    let u = BigInt.asUintN(64, (n << 1n) ^ (n >> 63n));
    while (u >= 0x80n) {
      this.bytes.push(Number(u & 0x7fn) | 0x80);
      u >>= 7n;
    }
    this.bytes.push(Number(u));
    return this;
  }

  int(v: number): this {
    return this.long(v);
  }

  bool(b: boolean): this {
    this.bytes.push(b ? 1 : 0);
    return this;
  }

  float(v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    return this.raw(b);
  }

  double(v: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, true);
    return this.raw(b);
  }

  raw(b: Uint8Array | number[]): this {
    this.bytes.push(...b);
    return this;
  }

  bytesOf(b: Uint8Array | number[]): this {
    return this.long(b.length).raw(b);
  }

  string(s: string): this {
    return this.bytesOf(new TextEncoder().encode(s));
  }

  /** One block of items, then the end marker. */
  array<T>(items: readonly T[], each: (x: T) => void): this {
    if (items.length > 0) {
      this.long(items.length);
      items.forEach(each);
    }
    return this.long(0);
  }

  /** The 5-byte Confluent header, then the payload. */
  framed(id: number): Uint8Array {
    return new Uint8Array([0, id >>> 24, (id >>> 16) & 0xff, (id >>> 8) & 0xff, id & 0xff, ...this.bytes]);
  }
}

const parse = (format: typeof AVRO_FORMAT, schema: unknown): ParsedSchema =>
  format.parse({
    schema: format.type === "PROTOBUF" ? String(schema) : JSON.stringify(schema),
    references: [],
  });

const registry = (schemas: Record<number, ParsedSchema>) => (id: number) => schemas[id];

// ---- Avro ----

const AVRO_ORDER = {
  type: "record",
  name: "Order",
  namespace: "shop",
  fields: [
    { name: "id", type: "long" },
    { name: "qty", type: "int" },
    { name: "price", type: "double" },
    { name: "ratio", type: "float" },
    { name: "paid", type: "boolean" },
    { name: "note", type: ["null", "string"], default: null },
    { name: "status", type: { type: "enum", name: "Status", symbols: ["NEW", "PAID", "SHIPPED"] } },
    {
      name: "customer",
      type: {
        type: "record",
        name: "Customer",
        fields: [
          { name: "name", type: "string" },
          {
            name: "address",
            type: {
              type: "record",
              name: "Address",
              fields: [{ name: "city", type: "string" }, { name: "zip", type: ["string", "null"] }],
            },
          },
        ],
      },
    },
    { name: "tags", type: { type: "array", items: "string" } },
    { name: "attrs", type: { type: "map", values: "long" } },
    { name: "created", type: { type: "long", logicalType: "timestamp-millis" } },
    { name: "shipped", type: ["null", { type: "long", logicalType: "timestamp-micros" }], default: null },
    { name: "local", type: { type: "long", logicalType: "local-timestamp-micros" } },
    { name: "day", type: { type: "int", logicalType: "date" } },
    { name: "at", type: { type: "int", logicalType: "time-millis" } },
    { name: "amount", type: { type: "bytes", logicalType: "decimal", precision: 10, scale: 2 } },
    {
      name: "refund",
      type: { type: "fixed", name: "Money", size: 4, logicalType: "decimal", precision: 8, scale: 2 },
    },
    { name: "digest", type: { type: "fixed", name: "Digest", size: 4 } },
    { name: "ref", type: { type: "string", logicalType: "uuid" } },
    { name: "extra", type: ["null", "int", "string"], default: null },
    { name: "num", type: ["int", "long"] },
    { name: "matrix", type: { type: "array", items: { type: "array", items: "int" } } },
    { name: "nothing", type: "null" },
    { name: "_key", type: "string" },
  ],
};

const AVRO_ORDER_TYPE = rt({
  id: "INT64",
  qty: "INT32",
  price: "DOUBLE",
  ratio: "FLOAT",
  paid: "BOOL",
  note: "STRING",
  status: "STRING",
  customer: { name: "STRING", address: { city: "STRING", zip: "STRING" } },
  tags: ["STRING"],
  attrs: [{ key: "STRING", value: "INT64" }],
  created: "TIMESTAMP",
  shipped: "TIMESTAMP",
  local: "LOCAL_TIMESTAMP",
  day: "DATE",
  at: "TIME",
  amount: "DECIMAL",
  refund: "DECIMAL",
  digest: "BYTES",
  ref: "STRING",
  extra: "STRING",
  num: "INT64",
  matrix: [{ element: ["INT32"] }],
  _key_: "STRING",
});

function avroOrder(extra: (o: AvroOut) => void): AvroOut {
  const o = new AvroOut();
  o.long(1234567890123n).int(3).double(19.99).float(0.5).bool(true);
  o.long(1).string("gift"); // note: branch 1 (string)
  o.int(1); // status PAID
  o.string("Ann").string("Zürich").long(1); // customer; zip: branch 1 (null)
  o.array(["a", "b"], (s) => o.string(s));
  o.array([["x", 1], ["y", -2]] as const, ([k, v]) => o.string(k).long(v));
  o.long(1700000000123); // created (ms)
  o.long(0); // shipped: null
  o.long(1700000000000001n); // local (µs)
  o.int(19700); // day
  o.int(3723004); // at: 01:02:03.004
  o.bytesOf([0x01, 0xe2, 0x40]); // amount 1234.56
  o.raw([0xff, 0xff, 0xff, 0x6a]); // refund -1.50
  o.raw([0xde, 0xad, 0xbe, 0xef]); // digest
  o.string("6f1c8e8a-3a41-4d8e-9b0c-2f3e4d5c6b7a");
  extra(o);
  o.long(1).long(2n ** 40n); // num: the long branch
  o.array([[1, 2], []], (row) => o.array(row, (x) => o.int(x)));
  o.string("k"); // _key
  return o;
}

Deno.test("record type: an Avro record with nested records, collections, unions and logical types", () => {
  const t = recordTypeOf(parse(AVRO_FORMAT, AVRO_ORDER));
  assertEquals(t, AVRO_ORDER_TYPE);
  assertEquals(decodeRecordType(encodeRecordType(t)), wireShape(t));
});

Deno.test("record type: Avro values typed as RecordValue", () => {
  const schema = parse(AVRO_FORMAT, AVRO_ORDER);
  const type = recordTypeOf(schema);
  const typer = valueTyper(type, registry({ 7: schema }));
  const value = decodeValue(typer(avroOrder((o) => o.long(2).string("hello")).framed(7)));
  assertEquals(value, {
    id: { i64: "1234567890123" },
    qty: { i32: 3 },
    price: { f64: 19.99 },
    ratio: { f32: 0.5 },
    paid: { bool: true },
    note: { str: "gift" },
    status: { str: "PAID" },
    customer: { name: { str: "Ann" }, address: { city: { str: "Zürich" } } },
    tags: [{ str: "a" }, { str: "b" }],
    attrs: [{ key: { str: "x" }, value: { i64: "1" } }, { key: { str: "y" }, value: { i64: "-2" } }],
    created: { i64: "1700000000123000" },
    local: { i64: "1700000000000001" },
    day: { i32: 19700 },
    at: { i64: "3723004000" },
    amount: { decimal: "01e240", precision: 10, scale: 2 },
    refund: { decimal: "ffffff6a", precision: 8, scale: 2 },
    digest: { bytes: "deadbeef" },
    ref: { str: "6f1c8e8a-3a41-4d8e-9b0c-2f3e4d5c6b7a" },
    extra: { str: '"hello"' }, // a union other than [null, T]: JSON text of the branch's value
    num: { i64: String(2 ** 40) },
    matrix: [{ element: [{ i32: 1 }, { i32: 2 }] }, { element: [] }],
    _key_: { str: "k" },
  });
  // the int branch of the other union, as JSON text; null leaves the field out
  assertEquals(decodeValue(typer(avroOrder((o) => o.long(1).int(42)).framed(7))).extra, { str: "42" });
  assert(!("extra" in decodeValue(typer(avroOrder((o) => o.long(0)).framed(7)))));
});

Deno.test("record type: a recursive Avro record is JSON text where it recurs", () => {
  const schema = parse(AVRO_FORMAT, {
    type: "record",
    name: "Node",
    fields: [{ name: "v", type: "int" }, { name: "next", type: ["null", "Node"], default: null }],
  });
  assertEquals(recordTypeOf(schema), rt({ v: "INT32", next: "STRING" }));
  const o = new AvroOut().int(1).long(1).int(2).long(1).int(3).long(0);
  assertEquals(decodeValue(valueTyper(recordTypeOf(schema), registry({ 1: schema }))(o.framed(1))), {
    v: { i32: 1 },
    next: { str: '{"v":2,"next":{"v":3,"next":null}}' },
  });
});

Deno.test("record type: large values (lengths beyond one varint byte) and buffer reuse", () => {
  const schema = parse(AVRO_FORMAT, {
    type: "record",
    name: "Big",
    fields: [
      { name: "inner", type: { type: "record", name: "In", fields: [{ name: "s", type: "string" }] } },
      { name: "many", type: { type: "array", items: "long" } },
    ],
  });
  const typer = valueTyper(recordTypeOf(schema), registry({ 1: schema }));
  const long = "é".repeat(300) + "x".repeat(20000);
  const many = Array.from({ length: 3000 }, (_, i) => i * 1_000_003);
  const o = new AvroOut().string(long);
  o.array(many, (x) => o.long(x));
  // the answer is a view of the typer's buffer, valid until its next call: copied before the next one
  const first = typer(o.framed(1))!.slice();
  const small = typer(new AvroOut().string("a").array([], () => {}).framed(1))!;
  assertEquals(decodeValue(small), { inner: { s: { str: "a" } }, many: [] });
  assertEquals(decodeValue(first), {
    inner: { s: { str: long } },
    many: many.map((x) => ({ i64: String(x) })),
  });
});

// ---- Protobuf ----

const PROTO_SCHEMA = `syntax = "proto3";
package shop;
import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";

message Order {
  int64 id = 1;
  int32 qty = 2;
  uint64 big = 3;
  double price = 4;
  bool paid = 5;
  Status status = 6;
  Customer customer = 7;
  repeated string tags = 8;
  map<string, int64> attrs = 9;
  google.protobuf.Timestamp created = 10;
  optional string note = 11;
  bytes digest = 12;
  repeated Line lines = 13;
  uint32 small = 14;
  oneof pay {
    string card = 15;
    int64 account = 16;
  }
  map<int64, string> by_id = 17;
  google.protobuf.Int32Value maybe = 18;
  float ratio = 19;
  sint32 delta = 20;

  message Customer {
    string name = 1;
    Address address = 2;
  }
  message Address {
    string city = 1;
  }
  message Line {
    string sku = 1;
    int32 count = 2;
  }
  enum Status {
    NEW = 0;
    PAID = 1;
  }
}

message Refund {
  int64 id = 1;
  string note = 2;
  double amount = 3;
}
`;

const PROTO_ORDER_TYPE = rt({
  id: "INT64",
  qty: "INT32",
  big: "INT64",
  price: "DOUBLE",
  paid: "BOOL",
  status: "STRING",
  customer: { name: "STRING", address: { city: "STRING" } },
  tags: ["STRING"],
  attrs: [{ key: "STRING", value: "INT64" }],
  created: "TIMESTAMP",
  note: "STRING",
  digest: "BYTES",
  lines: [{ sku: "STRING", count: "INT32" }],
  small: "INT64",
  card: "STRING",
  account: "INT64",
  by_id: [{ key: "INT64", value: "STRING" }],
  maybe: "INT32",
  ratio: "FLOAT",
  delta: "INT32",
});

/** Confluent's framing: header, the message indexes (zigzag varints; [0] as a single 0), the message. */
function protoFramed(id: number, indexes: number[], message: Uint8Array): Uint8Array {
  const zz = (n: number) => {
    const out: number[] = [];
    let u = n * 2;
    while (u >= 0x80) {
      out.push((u & 0x7f) | 0x80);
      u >>>= 7;
    }
    out.push(u);
    return out;
  };
  const idx = indexes.length === 1 && indexes[0] === 0
    ? [0]
    : [...zz(indexes.length), ...indexes.flatMap(zz)];
  return new Uint8Array([0, id >>> 24, (id >>> 16) & 0xff, (id >>> 8) & 0xff, id & 0xff, ...idx, ...message]);
}

function protoEncode(schema: ParsedSchema, name: string, o: Obj): Uint8Array {
  const t = (schema as ProtoSchema).file.root.lookupType(name);
  return t.encode(t.fromObject(o)).finish();
}

Deno.test("record type: a Protobuf file's first message, with nested messages, maps, enums and well-known types", () => {
  const schema = parse(PROTOBUF_FORMAT, PROTO_SCHEMA);
  const t = recordTypeOf(schema);
  assertEquals(t, PROTO_ORDER_TYPE);
  assertEquals(decodeRecordType(encodeRecordType(t)), t);
});

Deno.test("record type: Protobuf values typed as RecordValue (proto3 defaults included, unset presence left out)", () => {
  const schema = parse(PROTOBUF_FORMAT, PROTO_SCHEMA);
  const typer = valueTyper(recordTypeOf(schema), registry({ 3: schema }));
  const message = protoEncode(schema, "shop.Order", {
    id: "1234567890123",
    big: "18446744073709551615",
    price: 9.5,
    status: "PAID",
    customer: { name: "Bo" },
    attrs: { x: 5 },
    created: { seconds: 1700000000, nanos: 123456789 },
    lines: [{ sku: "A", count: 2 }, { sku: "B" }],
    small: 4000000000,
    account: 42,
    by_id: { "-5": "neg" },
    maybe: { value: 0 },
    ratio: 0.25,
    delta: -7,
  });
  assertEquals(decodeValue(typer(protoFramed(3, [0], message))), {
    id: { i64: "1234567890123" },
    qty: { i32: 0 }, // proto3 default
    big: { i64: "-1" }, // 2^64-1 keeps its bits
    price: { f64: 9.5 },
    paid: { bool: false },
    status: { str: "PAID" },
    customer: { name: { str: "Bo" } }, // address unset: absent
    tags: [],
    attrs: [{ key: { str: "x" }, value: { i64: "5" } }],
    created: { i64: "1700000000123456" },
    digest: { bytes: "" },
    lines: [{ sku: { str: "A" }, count: { i32: 2 } }, { sku: { str: "B" }, count: { i32: 0 } }],
    small: { i64: "4000000000" },
    account: { i64: "42" },
    by_id: [{ key: { i64: "-5" }, value: { str: "neg" } }],
    maybe: { i32: 0 },
    ratio: { f32: 0.25 },
    delta: { i32: -7 },
  });
  // the message-index array written in full ([1, 0]: count 1, index 0) names the first message too
  const full = new Uint8Array([0, 0, 0, 0, 3, 2, 0, ...message]);
  assertEquals(decodeValue(typer(full)), decodeValue(typer(protoFramed(3, [0], message))));
});

Deno.test("record type: Protobuf message indexes choose the writer's message, typed into the topic's type", () => {
  const schema = parse(PROTOBUF_FORMAT, PROTO_SCHEMA);
  const typer = valueTyper(recordTypeOf(schema), registry({ 3: schema }));
  // [1]: Refund, a second top-level message: its fields of the topic's type (id, note) kept, amount dropped
  const refund = protoEncode(schema, "shop.Refund", { id: 9, note: "late", amount: 1.5 });
  assertEquals(decodeValue(typer(protoFramed(3, [1], refund))), { id: { i64: "9" }, note: { str: "late" } });
  // [0, 2]: Order.Line (nested messages: Customer 0, Address 1, Line 2), its count widened to the topic's INT64
  const line = protoEncode(schema, "shop.Order.Line", { sku: "Z", count: 4 });
  const lineTopic = rt({ sku: "STRING", count: "INT64", id: "INT64" });
  assertEquals(decodeValue(valueTyper(lineTopic, registry({ 3: schema }))(protoFramed(3, [0, 2], line))), {
    sku: { str: "Z" },
    count: { i64: "4" },
  });
  // indexes naming no message
  assertEquals(typer(protoFramed(3, [5], refund)), null);
  assertEquals(typer(protoFramed(3, [0, 9], refund)), null);
});

// ---- JSON Schema ----

const JSON_ORDER = {
  $schema: "http://json-schema.org/draft-07/schema#",
  title: "Order",
  type: "object",
  properties: {
    id: { type: "integer" },
    price: { type: "number" },
    paid: { type: "boolean" },
    note: { type: ["string", "null"] },
    customer: { $ref: "#/definitions/Customer" },
    tags: { type: "array", items: { type: "string" } },
    created: { type: "string", format: "date-time" },
    day: { type: "string", format: "date" },
    any: {},
    choice: { oneOf: [{ type: "string" }, { type: "integer" }] },
    maybe: { anyOf: [{ type: "integer" }, { type: "null" }] },
    points: {
      type: "array",
      items: { type: "object", properties: { x: { type: "number" }, y: { type: "number" } } },
    },
    size: { type: ["integer", "number"] },
    level: { enum: ["low", "high"] },
    _ts_ns: { type: "integer" },
  },
  definitions: {
    Customer: {
      type: "object",
      properties: {
        name: { type: "string" },
        address: { type: "object", properties: { city: { type: "string" } } },
      },
    },
  },
};

const JSON_ORDER_TYPE = rt({
  id: "INT64",
  price: "DOUBLE",
  paid: "BOOL",
  note: "STRING",
  customer: { name: "STRING", address: { city: "STRING" } },
  tags: ["STRING"],
  created: "TIMESTAMP",
  day: "DATE",
  any: "STRING",
  choice: "STRING",
  maybe: "INT64",
  points: [{ x: "DOUBLE", y: "DOUBLE" }],
  size: "DOUBLE",
  level: "STRING",
  _ts_ns_: "INT64",
});

const jsonFramed = (id: number, v: unknown) =>
  new Uint8Array([
    0,
    0,
    0,
    0,
    id,
    ...new TextEncoder().encode(typeof v === "string" ? v : JSON.stringify(v)),
  ]);

Deno.test("record type: a JSON Schema object with $ref, nested objects, arrays, unions and formats", () => {
  const t = recordTypeOf(parse(JSON_FORMAT, JSON_ORDER));
  assertEquals(t, JSON_ORDER_TYPE);
  assertEquals(decodeRecordType(encodeRecordType(t)), t);
});

Deno.test("record type: JSON values typed as RecordValue (wrong JSON types left out)", () => {
  const schema = parse(JSON_FORMAT, JSON_ORDER);
  const typer = valueTyper(recordTypeOf(schema), registry({ 5: schema }));
  assertEquals(
    decodeValue(typer(jsonFramed(5, {
      id: 42,
      price: 9.5,
      paid: true,
      note: null,
      customer: { name: "Cy", address: { city: "Rome" } },
      tags: ["a"],
      created: "2024-01-02T03:04:05.123456Z",
      day: "2024-01-02",
      any: { deep: [1, "two"] },
      choice: "x",
      maybe: 7,
      points: [{ x: 1, y: 2.5 }, { x: "bad" }],
      size: 3,
      level: "high",
      _ts_ns: 1,
      unknown: "dropped",
    }))),
    {
      id: { i64: "42" },
      price: { f64: 9.5 },
      paid: { bool: true },
      customer: { name: { str: "Cy" }, address: { city: { str: "Rome" } } },
      tags: [{ str: "a" }],
      created: { i64: "1704164645123456" },
      day: { i32: 19724 },
      any: { str: '{"deep":[1,"two"]}' },
      choice: { str: '"x"' },
      maybe: { i64: "7" },
      points: [{ x: { f64: 1 }, y: { f64: 2.5 } }, {}],
      size: { f64: 3 },
      level: { str: "high" },
      _ts_ns_: { i64: "1" },
    },
  );
  assertEquals(decodeValue(typer(jsonFramed(5, { id: 1.5, paid: "yes", created: "yesterday" }))), {});
});

// ---- schemas that are not records ----

Deno.test("record type: schemas whose top level is not a record are refused", () => {
  assertThrows(() => recordTypeOf(parse(AVRO_FORMAT, "string")), InvalidSchemaError, "not a record");
  assertThrows(() => recordTypeOf(parse(AVRO_FORMAT, { type: "array", items: "int" })), InvalidSchemaError);
  assertThrows(
    () => recordTypeOf(parse(JSON_FORMAT, { type: "string" })),
    InvalidSchemaError,
    "not an object",
  );
  assertThrows(() => recordTypeOf(parse(JSON_FORMAT, { type: "object" })), InvalidSchemaError);
  assertThrows(
    () => recordTypeOf(parse(PROTOBUF_FORMAT, 'syntax = "proto3"; enum E { A = 0; }')),
    InvalidSchemaError,
    "no message",
  );
  // ["null", record] at the top is its record
  const nullable = parse(AVRO_FORMAT, ["null", {
    type: "record",
    name: "R",
    fields: [{ name: "a", type: "int" }],
  }]);
  assertEquals(recordTypeOf(nullable), rt({ a: "INT32" }));
});

// ---- evolution ----

Deno.test("record type: merging adds fields, widens types, merges nested records, keeps the newer on conflict", () => {
  const older = rt({
    a: "INT32",
    f: "FLOAT",
    n: { x: "INT32", gone: "STRING" },
    s: "STRING",
    l: ["INT32"],
    d: "DATE",
    mix: "INT64",
  });
  const newer = rt({
    b: "STRING",
    a: "INT64",
    f: "DOUBLE",
    n: { x: "INT64", y: "BOOL" },
    s: "INT64",
    l: ["DOUBLE"],
    d: "TIMESTAMP",
    mix: "FLOAT",
  });
  assertEquals(
    mergeRecordTypes(older, newer),
    rt({
      a: "INT64",
      f: "DOUBLE",
      n: { x: "INT64", gone: "STRING", y: "BOOL" },
      s: "INT64", // STRING and INT64 do not meet: the newer's
      l: ["DOUBLE"],
      d: "TIMESTAMP",
      mix: "DOUBLE",
      b: "STRING",
    }),
  );
  assertEquals(mergeRecordTypes(newer, newer), newer);
});

Deno.test("record type: values of every version typed into the merged type", () => {
  const v1 = parse(AVRO_FORMAT, {
    type: "record",
    name: "User",
    fields: [
      { name: "id", type: "int" },
      { name: "score", type: "float" },
      { name: "since", type: { type: "int", logicalType: "date" } },
      { name: "zip", type: "int" },
    ],
  });
  const v2 = parse(AVRO_FORMAT, {
    type: "record",
    name: "User",
    fields: [
      { name: "id", type: "long" },
      { name: "score", type: "double" },
      { name: "since", type: { type: "long", logicalType: "timestamp-micros" } },
      { name: "zip", type: "string" },
      { name: "email", type: ["null", "string"], default: null },
    ],
  });
  const merged = mergeRecordTypes(recordTypeOf(v1), recordTypeOf(v2));
  assertEquals(
    merged,
    rt({ id: "INT64", score: "DOUBLE", since: "TIMESTAMP", zip: "STRING", email: "STRING" }),
  );
  const typer = valueTyper(merged, registry({ 1: v1, 2: v2 }));
  assertEquals(decodeValue(typer(new AvroOut().int(7).float(1.5).int(1).int(12345).framed(1))), {
    id: { i64: "7" },
    score: { f64: 1.5 },
    since: { i64: "86400000000" },
    zip: { str: "12345" },
  });
  assertEquals(
    decodeValue(
      typer(
        new AvroOut().long(2n ** 53n + 1n).double(2.5).long(5).string("0150").long(1).string("a@b").framed(2),
      ),
    ),
    {
      id: { i64: String(2n ** 53n + 1n) },
      score: { f64: 2.5 },
      since: { i64: "5" },
      zip: { str: "0150" },
      email: { str: "a@b" },
    },
  );
});

// ---- values that cannot be typed ----

Deno.test("record type: unframed values, unknown ids and undecodable payloads give null", () => {
  const avro = parse(AVRO_FORMAT, { type: "record", name: "R", fields: [{ name: "a", type: "int" }] });
  const proto = parse(PROTOBUF_FORMAT, 'syntax = "proto3"; message M { int32 a = 1; }');
  const json = parse(JSON_FORMAT, { type: "object", properties: { a: { type: "integer" } } });
  const notRecord = parse(AVRO_FORMAT, "string");
  let known: Record<number, ParsedSchema> = { 1: avro, 2: proto, 3: json, 4: notRecord };
  const typer = valueTyper(rt({ a: "INT64" }), (id) => known[id]);
  const ok = new AvroOut().int(5).framed(1);
  assertEquals(decodeValue(typer(ok)), { a: { i64: "5" } });
  assertEquals(typer(new Uint8Array([1, 0, 0, 0, 1, 10])), null, "magic byte not 0");
  assertEquals(typer(new Uint8Array([0, 0, 0, 1])), null, "shorter than the header");
  assertEquals(typer(new TextEncoder().encode('{"a":1}')), null, "plain JSON");
  assertEquals(typer(new AvroOut().int(5).framed(99)), null, "unknown id");
  assertEquals(typer(new AvroOut().string("x").framed(4)), null, "not a record schema");
  assertEquals(typer(new Uint8Array([0, 0, 0, 0, 1])), null, "Avro: truncated");
  assertEquals(typer(new Uint8Array([0, 0, 0, 0, 1, 10, 10])), null, "Avro: trailing bytes");
  assertEquals(
    typer(new Uint8Array([0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])),
    null,
    "Avro: bad varint",
  );
  assertEquals(
    typer(new Uint8Array([0, 0, 0, 0, 2, 0, 0x08, 0xff, 0xff, 0xff])),
    null,
    "Protobuf: truncated",
  );
  assertEquals(typer(new Uint8Array([0, 0, 0, 0, 2, 0, 0x0f])), null, "Protobuf: bad wire type");
  assertEquals(typer(new Uint8Array([0, 0, 0, 0, 2, 0x81])), null, "Protobuf: truncated indexes");
  assertEquals(typer(jsonFramed(3, "{not json")), null, "JSON: not JSON");
  assertEquals(typer(jsonFramed(3, [1, 2])), null, "JSON: not an object");
  assertEquals(decodeValue(typer(jsonFramed(3, { a: 9 }))), { a: { i64: "9" } });
  assertEquals(decodeValue(typer(protoFramed(2, [0], protoEncode(proto, "M", { a: -3 })))), {
    a: { i64: "-3" },
  });
  // an id unknown at first is looked up again later
  known = { ...known, 99: avro };
  assertEquals(decodeValue(typer(new AvroOut().int(6).framed(99))), { a: { i64: "6" } });
});

Deno.test("record type: the RecordType bytes carry BOOL (enum zero) and field indexes", () => {
  const t = rt({ flag: "BOOL", list: [["STRING"]], nested: { inner: "INT32" } });
  const decoded = PbRecordType.toObject(PbRecordType.decode(encodeRecordType(t)), TO_OBJECT);
  assertEquals(decoded, {
    fields: [
      { name: "flag", type: { scalar_type: "BOOL", kind: "scalar_type" } },
      {
        name: "list",
        field_index: 1,
        type: {
          list_type: {
            element_type: {
              list_type: { element_type: { scalar_type: "STRING", kind: "scalar_type" } },
              kind: "list_type",
            },
          },
          kind: "list_type",
        },
      },
      {
        name: "nested",
        field_index: 2,
        type: {
          record_type: { fields: [{ name: "inner", type: { scalar_type: "INT32", kind: "scalar_type" } }] },
          kind: "record_type",
        },
      },
    ],
  });
});
