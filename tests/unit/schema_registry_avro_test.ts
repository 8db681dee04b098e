// Avro for the schema registry (src/schema_registry/avro.ts): a table of evolution cases with the verdict Apache
// Avro's SchemaCompatibility gives each direction (backward: the new schema reads data written with the old one;
// forward: the old reads the new; full: both), invalid schemas refused, the canonical and normalized texts, and
// references.
import { assert, assertEquals, assertThrows } from "./assert.ts";
import { AVRO_FORMAT } from "../../src/schema_registry/avro.ts";
import { InvalidSchemaError, type ResolvedReference } from "../../src/schema_registry/schema_types.ts";

type Json = unknown;
type Refs = readonly ResolvedReference[];

const text = (s: Json) => typeof s === "string" ? s : JSON.stringify(s);
const parse = (s: Json, references: Refs = []) => AVRO_FORMAT.parse({ schema: text(s), references });
const field = (name: string, type: Json, extra: Record<string, Json> = {}) => ({ name, type, ...extra });
const rec = (fields: Json[], name = "R", extra: Record<string, Json> = {}) => ({
  type: "record",
  name,
  ...extra,
  fields,
});
/** A record R with one field f of `type`. */
const withField = (type: Json, extra: Record<string, Json> = {}) => rec([field("f", type, extra)]);
const enumOf = (symbols: string[], extra: Record<string, Json> = {}) => ({
  type: "enum",
  name: "E",
  symbols,
  ...extra,
});
const fixed = (name: string, size: number, extra: Record<string, Json> = {}) => ({
  type: "fixed",
  name,
  size,
  ...extra,
});
/** A linked list: Node{value, …extra, next: [null, Node]}. */
const list = (extra: Json[] = [], value: Json = "int") =>
  rec([field("value", value), ...extra, field("next", ["null", "Node"], { default: null })], "Node");
const tree = (extra: Json[] = []) =>
  rec([field("label", "string"), ...extra, field("children", { type: "array", items: "Tree" })], "Tree");

const address = (extra: Json[] = []) => ({
  type: "record",
  name: "Address",
  namespace: "acme",
  fields: [field("city", "string"), ...extra],
});
const addressRef = (extra: Json[] = []): ResolvedReference => ({
  name: "acme.Address",
  schema: JSON.stringify(address(extra)),
  references: [],
});
const person = (home: Json = "Address") => ({
  type: "record",
  name: "Person",
  namespace: "acme",
  fields: [field("name", "string"), field("home", home)],
});

interface Case {
  readonly name: string;
  readonly old: Json;
  readonly new: Json;
  readonly oldRefs?: Refs;
  readonly newRefs?: Refs;
  /** backward: the new schema reads the old one's data; forward: the old reads the new one's. */
  readonly expected: { readonly backward: boolean; readonly forward: boolean };
}

const BOTH = { backward: true, forward: true };
const BACKWARD = { backward: true, forward: false };
const FORWARD = { backward: false, forward: true };
const NEITHER = { backward: false, forward: false };

const CASES: Case[] = [
  // ---- fields and defaults ----
  { name: "identical record", old: rec([field("a", "int")]), new: rec([field("a", "int")]), expected: BOTH },
  {
    name: "add a field with a default",
    old: rec([field("a", "int")]),
    new: rec([field("a", "int"), field("b", "string", { default: "" })]),
    expected: BOTH,
  },
  {
    name: "add a field without a default",
    old: rec([field("a", "int")]),
    new: rec([field("a", "int"), field("b", "string")]),
    expected: FORWARD,
  },
  {
    name: "remove a field that had a default",
    old: rec([field("a", "int"), field("b", "int", { default: 0 })]),
    new: rec([field("a", "int")]),
    expected: BOTH,
  },
  {
    name: "remove a field without a default",
    old: rec([field("a", "int"), field("b", "int")]),
    new: rec([field("a", "int")]),
    expected: BACKWARD,
  },
  {
    name: "add an optional field (null default)",
    old: rec([field("a", "int")]),
    new: rec([field("a", "int"), field("b", ["null", "string"], { default: null })]),
    expected: BOTH,
  },
  {
    name: "add an optional field without a default",
    old: rec([field("a", "int")]),
    new: rec([field("a", "int"), field("b", ["null", "string"])]),
    expected: FORWARD,
  },
  {
    name: "default value changed",
    old: rec([field("a", "int", { default: 1 })]),
    new: rec([field("a", "int", { default: 2 })]),
    expected: BOTH,
  },
  {
    name: "default added to a field",
    old: rec([field("a", "int")]),
    new: rec([field("a", "int", { default: 0 })]),
    expected: BOTH,
  },
  {
    name: "default removed from a field",
    old: rec([field("a", "int", { default: 0 })]),
    new: rec([field("a", "int")]),
    expected: BOTH,
  },
  {
    name: "fields reordered",
    old: rec([field("a", "int"), field("b", "string")]),
    new: rec([field("b", "string"), field("a", "int")]),
    expected: BOTH,
  },
  {
    name: "field renamed with an alias",
    old: rec([field("a", "int")]),
    new: rec([field("b", "int", { aliases: ["a"] })]),
    expected: BACKWARD,
  },
  {
    name: "field renamed without an alias",
    old: rec([field("a", "int")]),
    new: rec([field("b", "int")]),
    expected: NEITHER,
  },
  {
    name: "field renamed, both with defaults",
    old: rec([field("a", "int", { default: 0 })]),
    new: rec([field("b", "int", { default: 0 })]),
    expected: BOTH,
  },
  {
    // only the reader's field aliases count
    name: "field renamed, the alias on the old (writer-side) field",
    old: rec([field("a", "int", { aliases: ["b"] })]),
    new: rec([field("b", "int")]),
    expected: FORWARD,
  },
  {
    name: "field renamed with an alias and int to long",
    old: rec([field("a", "int")]),
    new: rec([field("b", "long", { aliases: ["a"] })]),
    expected: BACKWARD,
  },

  // ---- primitive promotions ----
  { name: "int to long", old: withField("int"), new: withField("long"), expected: BACKWARD },
  { name: "long to int", old: withField("long"), new: withField("int"), expected: FORWARD },
  { name: "int to float", old: withField("int"), new: withField("float"), expected: BACKWARD },
  { name: "int to double", old: withField("int"), new: withField("double"), expected: BACKWARD },
  { name: "long to float", old: withField("long"), new: withField("float"), expected: BACKWARD },
  { name: "long to double", old: withField("long"), new: withField("double"), expected: BACKWARD },
  { name: "float to double", old: withField("float"), new: withField("double"), expected: BACKWARD },
  { name: "double to float", old: withField("double"), new: withField("float"), expected: FORWARD },
  { name: "float to int", old: withField("float"), new: withField("int"), expected: FORWARD },
  { name: "double to long", old: withField("double"), new: withField("long"), expected: FORWARD },
  { name: "string to bytes", old: withField("string"), new: withField("bytes"), expected: BOTH },
  { name: "bytes to string", old: withField("bytes"), new: withField("string"), expected: BOTH },
  { name: "int to string", old: withField("int"), new: withField("string"), expected: NEITHER },
  { name: "boolean to int", old: withField("boolean"), new: withField("int"), expected: NEITHER },
  { name: "null to string", old: withField("null"), new: withField("string"), expected: NEITHER },
  { name: "top-level int to long", old: '"int"', new: '"long"', expected: BACKWARD },
  { name: "top-level string unchanged", old: '"string"', new: { type: "string" }, expected: BOTH },

  // ---- enums ----
  { name: "enum gains a symbol", old: enumOf(["A", "B"]), new: enumOf(["A", "B", "C"]), expected: BACKWARD },
  { name: "enum loses a symbol", old: enumOf(["A", "B", "C"]), new: enumOf(["A", "B"]), expected: FORWARD },
  {
    name: "enum gains a symbol, both with a default",
    old: enumOf(["A", "B"], { default: "A" }),
    new: enumOf(["A", "B", "C"], { default: "A" }),
    expected: BOTH,
  },
  {
    name: "enum gains a symbol, the old one has a default",
    old: enumOf(["A", "B"], { default: "A" }),
    new: enumOf(["A", "B", "C"]),
    expected: BOTH,
  },
  {
    name: "enum loses a symbol, the new one has a default",
    old: enumOf(["A", "B", "C"]),
    new: enumOf(["A", "B"], { default: "A" }),
    expected: BOTH,
  },
  {
    name: "enum loses a symbol, only the old one has a default",
    old: enumOf(["A", "B", "C"], { default: "A" }),
    new: enumOf(["A", "B"]),
    expected: FORWARD,
  },
  {
    name: "enum default added, same symbols",
    old: enumOf(["A", "B"]),
    new: enumOf(["A", "B"], { default: "B" }),
    expected: BOTH,
  },
  { name: "enum symbols reordered", old: enumOf(["A", "B"]), new: enumOf(["B", "A"]), expected: BOTH },
  {
    name: "enum renamed",
    old: enumOf(["A"]),
    new: { type: "enum", name: "F", symbols: ["A"] },
    expected: NEITHER,
  },
  {
    name: "enum renamed with an alias",
    old: enumOf(["A"]),
    new: { type: "enum", name: "F", aliases: ["E"], symbols: ["A"] },
    expected: BACKWARD,
  },
  { name: "string to enum", old: withField("string"), new: withField(enumOf(["A"])), expected: NEITHER },
  { name: "enum to string", old: withField(enumOf(["A"])), new: withField("string"), expected: NEITHER },

  // ---- unions ----
  {
    name: "union gains a branch",
    old: withField(["null", "string"], { default: null }),
    new: withField(["null", "string", "int"], { default: null }),
    expected: BACKWARD,
  },
  {
    name: "union loses a branch",
    old: withField(["null", "string", "int"], { default: null }),
    new: withField(["null", "string"], { default: null }),
    expected: FORWARD,
  },
  {
    name: "type to a union holding it",
    old: withField("string"),
    new: withField(["null", "string"], { default: null }),
    expected: BACKWARD,
  },
  {
    name: "union to one of its types",
    old: withField(["null", "string"], { default: null }),
    new: withField("string"),
    expected: FORWARD,
  },
  {
    name: "null to a union with null",
    old: withField("null"),
    new: withField(["null", "string"], { default: null }),
    expected: BACKWARD,
  },
  {
    name: "int to a union with long",
    old: withField("int"),
    new: withField(["null", "long"], { default: null }),
    expected: BACKWARD,
  },
  {
    name: "union branches reordered",
    old: withField(["null", "string"], { default: null }),
    new: withField(["string", "null"], { default: "" }),
    expected: BOTH,
  },
  {
    name: "int to a union of string and float",
    old: withField("int"),
    new: withField(["string", "float"], { default: "" }),
    expected: BACKWARD,
  },
  {
    name: "double to a union of int and long",
    old: withField("double"),
    new: withField(["int", "long"], { default: 0 }),
    expected: FORWARD,
  },
  {
    // long reads both branches; the union reads long through its long branch
    name: "union of int and long to long",
    old: withField(["int", "long"], { default: 0 }),
    new: withField("long"),
    expected: BOTH,
  },
  {
    name: "union of null and int to long",
    old: withField(["null", "int"], { default: null }),
    new: withField("long"),
    expected: NEITHER,
  },
  {
    name: "string to a union of null and bytes",
    old: withField("string"),
    new: withField(["null", "bytes"], { default: null }),
    expected: BACKWARD,
  },
  {
    name: "union's record branch gains a field with a default",
    old: withField(["null", rec([field("x", "int")], "N")], { default: null }),
    new: withField(["null", rec([field("x", "int"), field("y", "int", { default: 0 })], "N")], {
      default: null,
    }),
    expected: BOTH,
  },
  {
    name: "union's record branch renamed",
    old: withField(["null", rec([field("x", "int")], "N")], { default: null }),
    new: withField(["null", rec([field("x", "int")], "M")], { default: null }),
    expected: NEITHER,
  },
  {
    name: "top-level union gains null",
    old: ["int", "string"],
    new: ["int", "string", "null"],
    expected: BACKWARD,
  },

  // ---- records: names and namespaces ----
  {
    name: "record renamed",
    old: rec([field("a", "int")], "R"),
    new: rec([field("a", "int")], "S"),
    expected: NEITHER,
  },
  {
    name: "record renamed with an alias",
    old: rec([field("a", "int")], "R"),
    new: rec([field("a", "int")], "S", { aliases: ["R"] }),
    expected: BACKWARD,
  },
  {
    // names match unqualified
    name: "namespace changed, same name",
    old: rec([field("a", "int")], "R", { namespace: "a" }),
    new: rec([field("a", "int")], "R", { namespace: "b" }),
    expected: BOTH,
  },
  {
    name: "namespace and name changed, full-name alias",
    old: rec([field("a", "int")], "a.R"),
    new: rec([field("a", "int")], "b.S", { aliases: ["a.R"] }),
    expected: BACKWARD,
  },
  {
    // a short alias is in the type's own namespace: b.R is not a.R
    name: "namespace and name changed, short alias",
    old: rec([field("a", "int")], "a.R"),
    new: rec([field("a", "int")], "b.S", { aliases: ["R"] }),
    expected: NEITHER,
  },
  {
    name: "error type, same fields",
    old: { type: "error", name: "X", fields: [field("a", "int")] },
    new: { type: "error", name: "X", fields: [field("a", "int")] },
    expected: BOTH,
  },

  // ---- nested records ----
  {
    name: "nested record gains a field with a default",
    old: withField(rec([field("x", "int")], "N")),
    new: withField(rec([field("x", "int"), field("y", "int", { default: 1 })], "N")),
    expected: BOTH,
  },
  {
    name: "nested record gains a field without a default",
    old: withField(rec([field("x", "int")], "N")),
    new: withField(rec([field("x", "int"), field("y", "int")], "N")),
    expected: FORWARD,
  },
  {
    name: "nested field int to long",
    old: withField(rec([field("x", "int")], "N")),
    new: withField(rec([field("x", "long")], "N")),
    expected: BACKWARD,
  },
  {
    name: "nested record renamed",
    old: withField(rec([field("x", "int")], "N")),
    new: withField(rec([field("x", "int")], "M")),
    expected: NEITHER,
  },
  {
    name: "nested record renamed with an alias",
    old: withField(rec([field("x", "int")], "N")),
    new: withField(rec([field("x", "int")], "M", { aliases: ["N"] })),
    expected: BACKWARD,
  },

  // ---- arrays and maps ----
  {
    name: "array items int to long",
    old: withField({ type: "array", items: "int" }),
    new: withField({ type: "array", items: "long" }),
    expected: BACKWARD,
  },
  {
    name: "array items become nullable",
    old: withField({ type: "array", items: "int" }),
    new: withField({ type: "array", items: ["null", "int"] }),
    expected: BACKWARD,
  },
  {
    name: "array of records gains a field with a default",
    old: withField({ type: "array", items: rec([field("x", "int")], "N") }),
    new: withField({
      type: "array",
      items: rec([field("x", "int"), field("y", "string", { default: "" })], "N"),
    }),
    expected: BOTH,
  },
  {
    name: "array of records gains a field without a default",
    old: withField({ type: "array", items: rec([field("x", "int")], "N") }),
    new: withField({ type: "array", items: rec([field("x", "int"), field("y", "string")], "N") }),
    expected: FORWARD,
  },
  {
    name: "array of records renamed",
    old: withField({ type: "array", items: rec([field("x", "int")], "N") }),
    new: withField({ type: "array", items: rec([field("x", "int")], "M") }),
    expected: NEITHER,
  },
  {
    name: "map values int to long",
    old: withField({ type: "map", values: "int" }),
    new: withField({ type: "map", values: "long" }),
    expected: BACKWARD,
  },
  {
    name: "map values string to int",
    old: withField({ type: "map", values: "string" }),
    new: withField({ type: "map", values: "int" }),
    expected: NEITHER,
  },
  {
    name: "map values gain a union branch",
    old: withField({ type: "map", values: ["null", "int"] }),
    new: withField({ type: "map", values: ["null", "int", "string"] }),
    expected: BACKWARD,
  },
  {
    name: "map of records gains a field with a default",
    old: withField({ type: "map", values: rec([field("x", "int")], "N") }),
    new: withField({
      type: "map",
      values: rec([field("x", "int"), field("y", "long", { default: 0 })], "N"),
    }),
    expected: BOTH,
  },
  {
    name: "map of records loses a field without a default",
    old: withField({ type: "map", values: rec([field("x", "int"), field("y", "int")], "N") }),
    new: withField({ type: "map", values: rec([field("x", "int")], "N") }),
    expected: BACKWARD,
  },
  {
    name: "array to map",
    old: withField({ type: "array", items: "int" }),
    new: withField({ type: "map", values: "int" }),
    expected: NEITHER,
  },

  // ---- fixed ----
  { name: "fixed unchanged", old: withField(fixed("H", 16)), new: withField(fixed("H", 16)), expected: BOTH },
  {
    name: "fixed size changed",
    old: withField(fixed("H", 16)),
    new: withField(fixed("H", 32)),
    expected: NEITHER,
  },
  {
    name: "fixed renamed",
    old: withField(fixed("H", 16)),
    new: withField(fixed("G", 16)),
    expected: NEITHER,
  },
  {
    name: "fixed renamed with an alias",
    old: withField(fixed("H", 16)),
    new: withField(fixed("G", 16, { aliases: ["H"] })),
    expected: BACKWARD,
  },
  { name: "bytes to fixed", old: withField("bytes"), new: withField(fixed("H", 16)), expected: NEITHER },

  // ---- recursive types ----
  { name: "recursive list unchanged", old: list(), new: list(), expected: BOTH },
  {
    name: "recursive list gains a field with a default",
    old: list(),
    new: list([field("tag", "string", { default: "" })]),
    expected: BOTH,
  },
  {
    name: "recursive list gains a field without a default",
    old: list(),
    new: list([field("tag", "string")]),
    expected: FORWARD,
  },
  { name: "recursive list value int to long", old: list(), new: list([], "long"), expected: BACKWARD },
  {
    name: "recursive list drops its link (it had a default)",
    old: list(),
    new: rec([field("value", "int")], "Node"),
    expected: BOTH,
  },
  {
    name: "recursive tree gains an optional field",
    old: tree(),
    new: tree([field("weight", ["null", "double"], { default: null })]),
    expected: BOTH,
  },

  // ---- logical types (Avro's resolution looks at the underlying types only) ----
  {
    name: "logical type added to long",
    old: withField("long"),
    new: withField({ type: "long", logicalType: "timestamp-millis" }),
    expected: BOTH,
  },
  {
    name: "timestamp-millis to timestamp-micros",
    old: withField({ type: "long", logicalType: "timestamp-millis" }),
    new: withField({ type: "long", logicalType: "timestamp-micros" }),
    expected: BOTH,
  },
  {
    name: "decimal precision changed",
    old: withField({ type: "bytes", logicalType: "decimal", precision: 4, scale: 2 }),
    new: withField({ type: "bytes", logicalType: "decimal", precision: 8, scale: 2 }),
    expected: BOTH,
  },
  {
    name: "date (int) to timestamp-millis (long)",
    old: withField({ type: "int", logicalType: "date" }),
    new: withField({ type: "long", logicalType: "timestamp-millis" }),
    expected: BACKWARD,
  },
  {
    name: "uuid string to plain string",
    old: withField({ type: "string", logicalType: "uuid" }),
    new: withField("string"),
    expected: BOTH,
  },

  // ---- references ----
  {
    name: "referenced type gains a field with a default",
    old: person(),
    oldRefs: [addressRef()],
    new: person(),
    newRefs: [addressRef([field("zip", "string", { default: "" })])],
    expected: BOTH,
  },
  {
    name: "referenced type gains a field without a default",
    old: person(),
    oldRefs: [addressRef()],
    new: person(),
    newRefs: [addressRef([field("zip", "string")])],
    expected: FORWARD,
  },
  {
    name: "inline type moved into a reference",
    old: person(address()),
    new: person(),
    newRefs: [addressRef()],
    expected: BOTH,
  },
];

for (const c of CASES) {
  const { backward, forward } = c.expected;
  Deno.test(`avro evolution: ${c.name} (backward ${backward}, forward ${forward})`, () => {
    const older = parse(c.old, c.oldRefs);
    const newer = parse(c.new, c.newRefs);
    const b = AVRO_FORMAT.incompatibilities(newer, older);
    const f = AVRO_FORMAT.incompatibilities(older, newer);
    assertEquals(b.length === 0, backward, `backward: ${JSON.stringify(b)}`);
    assertEquals(f.length === 0, forward, `forward: ${JSON.stringify(f)}`);
  });
}

Deno.test("avro evolution: the table holds at least 60 cases, each name once", () => {
  assert(CASES.length >= 60, `${CASES.length} cases`);
  assertEquals(new Set(CASES.map((c) => c.name)).size, CASES.length);
});

// ---- messages ----

const problems = (reader: Json, writer: Json) => AVRO_FORMAT.incompatibilities(parse(reader), parse(writer));

Deno.test("avro compatibility: messages name the path and the reason", () => {
  assertEquals(problems(rec([field("a", "int"), field("b", "string")]), rec([field("a", "string")])), [
    "/fields/0/type: writer type 'string' cannot be promoted to reader type 'int'",
    "reader field 'b' at /fields/1 has no default and is missing from the writer",
  ]);
  assertEquals(problems(withField(enumOf(["A"])), withField(enumOf(["A", "B", "C"]))), [
    "/fields/0/type/symbols: writer symbols [B, C] are missing from reader enum 'E', which has no default",
  ]);
  assertEquals(problems(withField(fixed("H", 4)), withField(fixed("H", 8))), [
    "/fields/0/type/size: reader fixed 'H' has size 4, the writer's 8",
  ]);
  assertEquals(problems(rec([], "a.S"), rec([], "a.R")), [
    "/name: reader record 'a.S' has neither the name nor an alias of writer record 'a.R'",
  ]);
  assertEquals(
    problems(withField({ type: "array", items: "int" }), withField({ type: "map", values: "int" })),
    [
      "/fields/0/type: writer type 'map<int>' does not match reader type 'array<int>'",
    ],
  );
});

Deno.test("avro compatibility: union messages point at the writer's branch", () => {
  assertEquals(problems(withField(["null", "int"]), withField(["null", "string"])), [
    "/fields/0/type/1: no branch of reader union [null, int] can read writer type 'string'",
  ]);
  assertEquals(problems(withField("int"), withField(["null", "int"])), [
    "/fields/0/type/0: writer type 'null' cannot be promoted to reader type 'int'",
  ]);
  assertEquals(
    problems(withField({ type: "array", items: list() }), withField({ type: "array", items: list() })),
    [],
  );
});

Deno.test("avro compatibility: a named type reused at every level is compared once per pair", () => {
  // 2^24 paths through the type, 25 record pairs: a check walking every path would not finish
  const level = (i: number): Json =>
    i === 0 ? [field("x", "int")] : [
      field("a", rec(level(i - 1) as Json[], `L${i - 1}`)),
      field("b", `L${i - 1}`),
    ];
  const older = parse(rec(level(24) as Json[], "Top"));
  const newer = parse(rec(level(24) as Json[], "Top"));
  assertEquals(AVRO_FORMAT.incompatibilities(newer, older), []);
});

// ---- parsing ----

const INVALID: [string, string][] = [
  ["not JSON", "{type: record}"],
  ["an empty text", ""],
  ["a number as a schema", "42"],
  ["an unknown type name", text({ type: "integer" })],
  ["a type that is not a string", text({ type: { type: "int" } })],
  ["a record without a name", text({ type: "record", fields: [] })],
  ["a record without fields", text({ type: "record", name: "R" })],
  ["a field without a type", text(rec([{ name: "a" }]))],
  ["a field without a name", text(rec([{ type: "int" }]))],
  ["a field defined twice", text(rec([field("a", "int"), field("a", "long")]))],
  ["an invalid field name", text(rec([field("a-b", "int")]))],
  ["an invalid record name", text(rec([field("a", "int")], "1abc"))],
  ["an invalid namespace", text(rec([field("a", "int")], "R", { namespace: "a..b" }))],
  ["a record named after a primitive", text(rec([field("a", "int")], "string"))],
  ["an invalid field order", text(rec([field("a", "int", { order: "sideways" })]))],
  ["aliases that are not strings", text(rec([field("a", "int")], "R", { aliases: [1] }))],
  ["an enum without symbols", text({ type: "enum", name: "E" })],
  ["an enum symbol given twice", text(enumOf(["A", "A"]))],
  ["an invalid enum symbol", text(enumOf(["A", "B-C"]))],
  ["an enum default not among its symbols", text(enumOf(["A"], { default: "B" }))],
  ["a fixed without a size", text({ type: "fixed", name: "F" })],
  ["a fixed with a negative size", text(fixed("F", -1))],
  ["an array without items", text(withField({ type: "array" }))],
  ["a map without values", text(withField({ type: "map" }))],
  ["an undefined name", text(withField("Missing"))],
  ["a union inside a union", text(withField(["null", ["int", "string"]]))],
  ["a union holding string twice", text(withField(["string", "string"]))],
  [
    "a union holding two arrays",
    text(withField([{ type: "array", items: "int" }, { type: "array", items: "long" }])),
  ],
  [
    "a union holding the same record twice",
    text(rec([field("a", rec([field("x", "int")], "N")), field("b", ["N", "N"])])),
  ],
  [
    "a name defined twice",
    text(rec([field("a", rec([field("x", "int")], "N")), field("b", rec([field("y", "int")], "N"))])),
  ],
  ["an int field with a string default", text(rec([field("a", "int", { default: "x" })]))],
  ["an int default out of range", text(rec([field("a", "int", { default: 2 ** 31 })]))],
  ["a long default that is not an integer", text(rec([field("a", "long", { default: 1.5 })]))],
  ["a string field with a null default", text(rec([field("a", "string", { default: null })]))],
  [
    "a union default of another type than its first branch",
    text(rec([field("a", ["null", "string"], { default: "x" })])),
  ],
  [
    "an array default holding a wrong item",
    text(rec([field("a", { type: "array", items: "int" }, { default: [1, "x"] })])),
  ],
  ["an enum field default not a symbol", text(rec([field("a", enumOf(["A"]), { default: "Z" })]))],
  [
    "a record default lacking a field without a default",
    text(rec([field("a", rec([field("x", "int"), field("y", "int")], "N"), { default: { x: 1 } })])),
  ],
];

for (const [what, schema] of INVALID) {
  Deno.test(`avro: ${what} is an invalid schema`, () => {
    assertThrows(() => parse(schema), InvalidSchemaError);
  });
}

Deno.test("avro: invalid schemas are refused with a message saying where and why", () => {
  assertThrows(
    () => parse(rec([field("a", "int"), field("a", "long")])),
    InvalidSchemaError,
    "two fields named 'a'",
  );
  assertThrows(
    () => parse(withField("Missing")),
    InvalidSchemaError,
    "/fields/0/type: undefined name 'Missing'",
  );
  assertThrows(() => parse("{"), InvalidSchemaError, "not JSON");
  assertThrows(
    () => parse(rec([field("a", ["null", "string"], { default: "x" })])),
    InvalidSchemaError,
    "/fields/0/default",
  );
  assertThrows(() => parse(enumOf(["A", "A"])), InvalidSchemaError, "the symbol 'A' twice");
});

const VALID: [string, Json][] = [
  ["a bare primitive name", '"string"'],
  ["a primitive as an object", { type: "long" }],
  ["a top-level union", ["null", "int", { type: "array", items: "string" }]],
  ["an unknown logical type (ignored)", withField({ type: "string", logicalType: "color" })],
  ["a logical type on the wrong type (ignored)", withField({ type: "string", logicalType: "decimal" })],
  ["custom attributes", withField({ type: "string", "avro.java.string": "String" }, { "x-note": 1 })],
  ["doc everywhere", rec([field("a", "int", { doc: "d" })], "R", { doc: "r" })],
  ["field orders", rec([field("a", "int", { order: "descending" }), field("b", "int", { order: "IGNORE" })])],
  ["a float default NaN", rec([field("a", "double", { default: "NaN" })])],
  [
    "defaults of every kind",
    rec([
      field("n", "null", { default: null }),
      field("b", "boolean", { default: true }),
      field("i", "int", { default: -(2 ** 31) }),
      field("l", "long", { default: 2 ** 40 }),
      field("d", "double", { default: 1.5 }),
      field("s", "string", { default: "x" }),
      field("y", "bytes", { default: "\u00ff" }),
      field("e", enumOf(["A", "B"]), { default: "B" }),
      field("x", fixed("F", 2), { default: "ab" }),
      field("a", { type: "array", items: "int" }, { default: [1, 2] }),
      field("m", { type: "map", values: "int" }, { default: { k: 1 } }),
      field("u", ["int", "null"], { default: 3 }),
      field("r", rec([field("p", "int"), field("q", "int", { default: 0 })], "N"), { default: { p: 1 } }),
    ]),
  ],
  ["an enum with a default", enumOf(["A", "B"], { default: "A" })],
  ["an error type", { type: "error", name: "Oops", fields: [field("why", "string")] }],
  [
    "a name in the null namespace inside a namespaced record",
    rec(
      [
        field("a", rec([field("x", "int")], "N", { namespace: "" })),
        field("b", "N"),
      ],
      "R",
      { namespace: "a" },
    ),
  ],
];

for (const [what, schema] of VALID) {
  Deno.test(`avro: ${what} is a valid schema`, () => {
    assertEquals(parse(schema).type, "AVRO");
  });
}

Deno.test("avro: named types inherit the enclosing namespace; short and full names both refer to them", () => {
  const s = rec(
    [
      field("a", rec([field("x", "int")], "Inner")),
      field("b", "Inner"),
      field("c", "outer.Inner"),
      field("d", rec([field("y", "int")], "other.Deep")),
      field("e", "other.Deep"),
    ],
    "Outer",
    { namespace: "outer" },
  );
  const p = parse(s);
  assertEquals(AVRO_FORMAT.recordName(p), "outer.Outer");
  // Deep's short name is not in the namespace of its enclosing type
  assertThrows(() =>
    parse(rec([field("d", rec([], "other.Deep")), field("e", "Deep")], "R", { namespace: "x" }))
  );
  assertEquals(AVRO_FORMAT.recordName(parse('"string"')), "");
});

// ---- canonical and normalized texts ----

Deno.test("avro: canonical is the compact JSON, keys in the order given", () => {
  const spaced =
    `{ "type" : "record", "name" : "R", "namespace" : "a",\n  "fields" : [ { "name" : "f", "type" : "int", "doc" : "x" } ] }`;
  assertEquals(
    parse(spaced).canonical,
    `{"type":"record","name":"R","namespace":"a","fields":[{"name":"f","type":"int","doc":"x"}]}`,
  );
  const reordered = `{"fields":[{"type":"int","name":"f"}],"name":"R","type":"record"}`;
  assertEquals(parse(reordered).canonical, reordered);
  assertEquals(parse(' "string" ').canonical, '"string"');
  assertEquals(parse('[ "null" , "int" ]').canonical, '["null","int"]');
});

const normalized = (s: Json, refs: Refs = []) => parse(s, refs).normalized();

Deno.test("avro: normalized is equal for schemas that differ only in layout, order, names' form, doc", () => {
  const pairs: [string, Json, Json][] = [
    [
      "whitespace and attribute order",
      `{ "type": "record", "name": "R", "fields": [ { "name": "f", "type": "int", "default": 1 } ] }`,
      `{"fields":[{"default":1,"type":"int","name":"f"}],"name":"R","type":"record"}`,
    ],
    ["doc", rec([field("f", "int", { doc: "x" })], "R", { doc: "y" }), rec([field("f", "int")])],
    [
      "namespace attribute or dotted name",
      rec([field("f", "int")], "R", { namespace: "a" }),
      rec([field("f", "int")], "a.R"),
    ],
    [
      "short or full name references",
      rec([field("next", ["null", "R"], { default: null })], "a.R"),
      rec([field("next", ["null", "a.R"], { default: null })], "R", { namespace: "a" }),
    ],
    ["a primitive as a name or an object", withField({ type: "int" }), withField("int")],
    ["alias order", rec([], "R", { aliases: ["X", "Y"] }), rec([], "R", { aliases: ["Y", "X"] })],
    [
      "attribute order in logical types and defaults",
      rec([field("d", { type: "bytes", logicalType: "decimal", precision: 4, scale: 2 }, { default: "" })]),
      rec([field("d", { scale: 2, precision: 4, logicalType: "decimal", type: "bytes" }, { default: "" })]),
    ],
    [
      "key order in a record default",
      rec([field("n", rec([field("p", "int"), field("q", "int")], "N"), { default: { p: 1, q: 2 } })]),
      rec([field("n", rec([field("p", "int"), field("q", "int")], "N"), { default: { q: 2, p: 1 } })]),
    ],
    ["explicit ascending order", rec([field("f", "int", { order: "ascending" })]), rec([field("f", "int")])],
  ];
  for (const [what, a, b] of pairs) assertEquals(normalized(a), normalized(b), what);
});

Deno.test("avro: normalized differs for schemas that differ in meaning", () => {
  const pairs: [string, Json, Json][] = [
    ["field type", withField("int"), withField("long")],
    ["field order", rec([field("a", "int"), field("b", "int")]), rec([field("b", "int"), field("a", "int")])],
    ["default", rec([field("a", "int", { default: 1 })]), rec([field("a", "int", { default: 2 })])],
    ["default present", rec([field("a", "int", { default: 1 })]), rec([field("a", "int")])],
    ["enum symbol order", enumOf(["A", "B"]), enumOf(["B", "A"])],
    ["enum default", enumOf(["A", "B"], { default: "A" }), enumOf(["A", "B"])],
    ["logical type", withField({ type: "long", logicalType: "timestamp-millis" }), withField("long")],
    ["aliases", rec([], "R", { aliases: ["X"] }), rec([], "R")],
    ["field aliases", rec([field("a", "int", { aliases: ["b"] })]), rec([field("a", "int")])],
    ["namespace", rec([], "a.R"), rec([], "b.R")],
    ["fixed size", fixed("F", 1), fixed("F", 2)],
    ["union order", withField(["null", "int"]), withField(["int", "null"])],
  ];
  for (const [what, a, b] of pairs) assert(normalized(a) !== normalized(b), what);
});

Deno.test("avro: normalized writes full names, Avro's attributes first, no doc", () => {
  const s = {
    doc: "people",
    fields: [
      { type: ["null", "Person"], name: "friend", default: null, doc: "x" },
      { type: { type: "long", logicalType: "timestamp-millis" }, name: "at" },
    ],
    namespace: "acme",
    name: "Person",
    type: "record",
  };
  assertEquals(
    normalized(s),
    `{"type":"record","name":"acme.Person","fields":[{"name":"friend","type":["null","acme.Person"],"default":null},` +
      `{"name":"at","type":{"type":"long","logicalType":"timestamp-millis"}}]}`,
  );
});

Deno.test("avro: the normalized text parses again to the same normalized text", () => {
  const schemas: Json[] = [
    list(),
    tree([field("w", ["null", "double"], { default: null })]),
    rec(
      [
        field("a", rec([field("x", "int")], "N", { namespace: "" })),
        field("b", "N"),
        field("c", enumOf(["A", "B"], { default: "A", aliases: ["Old"] })),
        field("d", fixed("F", 3)),
        field("e", { type: "map", values: { type: "array", items: "F" } }),
      ],
      "R",
      { namespace: "a" },
    ),
  ];
  for (const s of schemas) {
    const once = normalized(s);
    assertEquals(normalized(once), once);
  }
});

// ---- references ----

Deno.test("avro: references define named types the schema uses", () => {
  assertThrows(() => parse(person()), InvalidSchemaError, "undefined name 'Address'");
  const p = parse(person(), [addressRef()]);
  assertEquals(AVRO_FORMAT.recordName(p), "acme.Person");
  // a full name from another namespace works too
  parse(rec([field("home", "acme.Address")], "x.Y"), [addressRef()]);
});

Deno.test("avro: references of references, and one reached by two paths, are parsed once", () => {
  const country: ResolvedReference = {
    name: "geo.Country",
    schema: text(rec([field("code", "string")], "geo.Country")),
    references: [],
  };
  const city: ResolvedReference = {
    name: "geo.City",
    schema: text(rec([field("name", "string"), field("country", "Country")], "geo.City")),
    references: [country],
  };
  const trip = rec(
    [field("from", "geo.City"), field("to", "geo.City"), field("flag", "geo.Country")],
    "Trip",
  );
  const p = parse(trip, [city, country]);
  assertEquals(p.type, "AVRO");
});

Deno.test("avro: a schema may not define again a type a reference defines", () => {
  assertThrows(() => parse(person(address()), [addressRef()]), InvalidSchemaError, "defined twice");
});

Deno.test("avro: an invalid reference is refused, naming it", () => {
  const bad: ResolvedReference = { name: "acme.Address", schema: "{nope", references: [] };
  assertThrows(() => parse(person(), [bad]), InvalidSchemaError, "reference 'acme.Address'");
});

Deno.test("avro: the normalized text of a schema with references names the referenced types", () => {
  const refs = [addressRef()];
  const once = normalized(person(), refs);
  assertEquals(
    once,
    `{"type":"record","name":"acme.Person","fields":[{"name":"name","type":"string"},{"name":"home","type":"acme.Address"}]}`,
  );
  // what normalize=true stores parses again with the same references
  assertEquals(normalized(once, refs), once);
});
