// JSON Schema for the schema registry (src/schema_registry/json_schema.ts): a table of evolution cases with the
// verdict each direction gets (backward: the new schema reads data the old one wrote; forward: the old reads the
// new) as Confluent's json-schema-provider gives it, invalid schemas refused, drafts accepted, the canonical and
// normalized texts, and `$ref`s into referenced schemas.
import { assert, assertEquals, assertThrows } from "./assert.ts";
import { JSON_FORMAT } from "../../src/schema_registry/json_schema.ts";
import { InvalidSchemaError, type ResolvedReference } from "../../src/schema_registry/schema_types.ts";

interface Case {
  readonly name: string;
  readonly old: string;
  readonly new: string;
  readonly backward: boolean;
  readonly forward: boolean;
}

type Props = Record<string, unknown>;
/** An object schema with an open content model (additionalProperties absent). */
const obj = (properties: Props, extra: Props = {}) =>
  JSON.stringify({ type: "object", properties, ...extra });
/** An object schema with a closed content model. */
const closed = (properties: Props, extra: Props = {}) =>
  obj(properties, { additionalProperties: false, ...extra });
const S = { type: "string" };
const I = { type: "integer" };
const N = { type: "number" };
const C = (name: string, old: string, nw: string, backward: boolean, forward: boolean): Case => ({
  name,
  old,
  new: nw,
  backward,
  forward,
});
const draft4 = (schema: Props) =>
  JSON.stringify({ $schema: "http://json-schema.org/draft-04/schema#", ...schema });
const viaDefinitions = (t: string) =>
  JSON.stringify({
    definitions: { n: { type: t } },
    type: "object",
    properties: { x: { $ref: "#/definitions/n" } },
  });
const viaDefs2020 = (n: Props) =>
  JSON.stringify({
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $defs: { n },
    type: "object",
    properties: { x: { $ref: "#/$defs/n" } },
  });
const tuple = (items: Props[]) =>
  JSON.stringify({
    $schema: "https://json-schema.org/draft/2020-12/schema",
    type: "array",
    prefixItems: items,
    items: false,
  });

const CASES: readonly Case[] = [
  C("identical", obj({ a: S }), obj({ a: S }), true, true),
  C(
    "only key order and whitespace differ",
    obj({ a: S, b: I }),
    '{ "properties": {"b": {"type":"integer"}, "a": {"type": "string"}}, "type": "object" }',
    true,
    true,
  ),
  C(
    "description and title changed",
    obj({ a: S }, { title: "A", description: "one" }),
    obj({ a: S }, { title: "B", description: "two" }),
    true,
    true,
  ),
  C("open model: typed property added", obj({ a: S }), obj({ a: S, b: S }), false, true),
  C("open model: property with an empty schema added", obj({ a: S }), obj({ a: S, b: {} }), true, true),
  C("open model: property removed", obj({ a: S, b: S }), obj({ a: S }), true, false),
  C("closed model: optional property added", closed({ a: S }), closed({ a: S, b: S }), true, false),
  C("closed model: property removed", closed({ a: S, b: S }), closed({ a: S }), false, true),
  C(
    "closed model: required property added",
    closed({ a: S }),
    closed({ a: S, b: S }, { required: ["b"] }),
    false,
    false,
  ),
  C(
    "closed model: required property with a default added",
    closed({ a: S }),
    closed({ a: S, b: { type: "string", default: "x" } }, { required: ["b"] }),
    true,
    false,
  ),
  C(
    "partially open model: added property the writer's additionalProperties covers",
    obj({ a: S }, { additionalProperties: S }),
    obj({ a: S, b: S }, { additionalProperties: S }),
    true,
    true,
  ),
  C(
    "partially open model: added property the writer's additionalProperties does not cover",
    obj({ a: S }, { additionalProperties: S }),
    obj({ a: S, b: I }, { additionalProperties: S }),
    false,
    false,
  ),
  C("required added to an existing property", obj({ a: S }), obj({ a: S }, { required: ["a"] }), false, true),
  C("required removed", obj({ a: S }, { required: ["a"] }), obj({ a: S }), true, false),
  C("open to closed", obj({ a: S }), closed({ a: S }), false, true),
  C("closed to open", closed({ a: S }), obj({ a: S }), true, false),
  C(
    "additionalProperties narrowed to a schema",
    obj({ a: S }),
    obj({ a: S }, { additionalProperties: S }),
    false,
    true,
  ),
  C("number narrowed to integer", obj({ a: N }), obj({ a: I }), false, true),
  C("integer widened to number", obj({ a: I }), obj({ a: N }), true, false),
  C("string to number", obj({ a: S }), obj({ a: N }), false, false),
  C("string to string or null", obj({ a: S }), obj({ a: { type: ["string", "null"] } }), true, false),
  C(
    "string or null: a type array to a oneOf",
    obj({ a: { type: ["string", "null"] } }),
    obj({ a: { oneOf: [{ type: "null" }, S] } }),
    true,
    true,
  ),
  C("integer or string to string", obj({ a: { type: ["integer", "string"] } }), obj({ a: S }), false, true),
  C("type removed (any value)", obj({ a: S }), obj({ a: {} }), true, false),
  C("true schema to an object schema", "true", obj({}), false, true),
  C("enum value added", obj({ a: { enum: ["x", "y"] } }), obj({ a: { enum: ["x", "y", "z"] } }), true, false),
  C("enum value removed", obj({ a: { enum: ["x", "y"] } }), obj({ a: { enum: ["x"] } }), false, true),
  C("const to an enum holding it", obj({ a: { const: "x" } }), obj({ a: { enum: ["x", "y"] } }), true, false),
  C(
    "maxLength decreased",
    obj({ a: { type: "string", maxLength: 10 } }),
    obj({ a: { type: "string", maxLength: 5 } }),
    false,
    true,
  ),
  C(
    "maxLength increased",
    obj({ a: { type: "string", maxLength: 5 } }),
    obj({ a: { type: "string", maxLength: 10 } }),
    true,
    false,
  ),
  C(
    "minLength increased",
    obj({ a: { type: "string", minLength: 1 } }),
    obj({ a: { type: "string", minLength: 3 } }),
    false,
    true,
  ),
  C(
    "minimum increased",
    obj({ a: { type: "integer", minimum: 0 } }),
    obj({ a: { type: "integer", minimum: 5 } }),
    false,
    true,
  ),
  C("maximum removed", obj({ a: { type: "integer", maximum: 10 } }), obj({ a: I }), true, false),
  C(
    "exclusiveMaximum added",
    obj({ a: N }),
    obj({ a: { type: "number", exclusiveMaximum: 10 } }),
    false,
    true,
  ),
  C(
    "multipleOf 2 to 4",
    obj({ a: { type: "integer", multipleOf: 2 } }),
    obj({ a: { type: "integer", multipleOf: 4 } }),
    false,
    true,
  ),
  C("pattern added", obj({ a: S }), obj({ a: { type: "string", pattern: "^x" } }), false, true),
  C(
    "array items narrowed",
    obj({ a: { type: "array", items: N } }),
    obj({ a: { type: "array", items: I } }),
    false,
    true,
  ),
  C(
    "maxItems decreased",
    obj({ a: { type: "array", maxItems: 5 } }),
    obj({ a: { type: "array", maxItems: 2 } }),
    false,
    true,
  ),
  C(
    "minItems decreased",
    obj({ a: { type: "array", minItems: 2 } }),
    obj({ a: { type: "array", minItems: 1 } }),
    true,
    false,
  ),
  C(
    "uniqueItems added",
    obj({ a: { type: "array" } }),
    obj({ a: { type: "array", uniqueItems: true } }),
    false,
    true,
  ),
  C("closed tuple gains an item", tuple([S]), tuple([S, I]), true, false),
  C(
    "nested property string to integer",
    obj({ o: { type: "object", properties: { x: S } } }),
    obj({ o: { type: "object", properties: { x: I } } }),
    false,
    false,
  ),
  C(
    "nested closed model gains an optional property",
    obj({ o: JSON.parse(closed({ x: S })) }),
    obj({ o: JSON.parse(closed({ x: S, y: I })) }),
    true,
    false,
  ),
  C(
    "through $ref: integer widened to number",
    viaDefinitions("integer"),
    viaDefinitions("number"),
    true,
    false,
  ),
  C(
    "through $defs (2020-12): maxLength decreased",
    viaDefs2020({ type: "string", maxLength: 9 }),
    viaDefs2020({ type: "string", maxLength: 3 }),
    false,
    true,
  ),
  C(
    "anyOf gains a branch",
    JSON.stringify({ anyOf: [S, I] }),
    JSON.stringify({ anyOf: [S, I, { type: "boolean" }] }),
    true,
    false,
  ),
  C("anyOf loses a branch", JSON.stringify({ anyOf: [S, I] }), JSON.stringify({ anyOf: [S] }), false, true),
  C(
    "allOf branches merged: a typed property added in a branch of an open model",
    JSON.stringify({ allOf: [{ type: "object", properties: { a: S } }] }),
    JSON.stringify({ allOf: [{ type: "object", properties: { a: S } }, { properties: { b: S } }] }),
    false,
    true,
  ),
  C(
    "dependentRequired added",
    obj({ a: S, b: S }),
    obj({ a: S, b: S }, { dependentRequired: { a: ["b"] } }),
    false,
    true,
  ),
  C(
    "draft 4: a boolean exclusiveMaximum added",
    draft4({ type: "number", maximum: 10 }),
    draft4({ type: "number", maximum: 10, exclusiveMaximum: true }),
    false,
    true,
  ),
];

for (const c of CASES) {
  Deno.test(`json schema evolution: ${c.name} — backward ${c.backward}, forward ${c.forward}`, () => {
    const older = JSON_FORMAT.parse({ schema: c.old, references: [] });
    const newer = JSON_FORMAT.parse({ schema: c.new, references: [] });
    const backward = JSON_FORMAT.incompatibilities(newer, older);
    const forward = JSON_FORMAT.incompatibilities(older, newer);
    assertEquals(backward.length === 0, c.backward, `backward: ${JSON.stringify(backward)}`);
    assertEquals(forward.length === 0, c.forward, `forward: ${JSON.stringify(forward)}`);
  });
}

Deno.test("json schema evolution: the table holds at least 20 cases, compatible and not in both directions", () => {
  assert(CASES.length >= 20, `${CASES.length} cases`);
  for (const pick of [(c: Case) => c.backward, (c: Case) => c.forward]) {
    assert(CASES.some(pick) && CASES.some((c) => !pick(c)), "both verdicts appear");
  }
});

Deno.test("json schema: a problem is named by its JSON pointer", () => {
  const older = JSON_FORMAT.parse({
    schema: obj({ o: { type: "object", properties: { "a/b": N } } }),
    references: [],
  });
  const newer = JSON_FORMAT.parse({
    schema: obj({ o: { type: "object", properties: { "a/b": I } } }),
    references: [],
  });
  const [problem, ...more] = JSON_FORMAT.incompatibilities(newer, older);
  assertEquals(more, []);
  assert(problem.startsWith("#/properties/o/properties/a~1b: "), problem);
  const root = JSON_FORMAT.incompatibilities(
    JSON_FORMAT.parse({ schema: JSON.stringify(I), references: [] }),
    JSON_FORMAT.parse({ schema: JSON.stringify(N), references: [] }),
  );
  assert(root.length === 1 && root[0].startsWith("#/: "), JSON.stringify(root));
});

Deno.test("json schema: recursive definitions are compared without looping", () => {
  const tree = (leaf: string) =>
    JSON.stringify({
      $ref: "#/definitions/node",
      definitions: {
        node: {
          type: "object",
          properties: { v: { type: leaf }, kids: { type: "array", items: { $ref: "#/definitions/node" } } },
        },
      },
    });
  const older = JSON_FORMAT.parse({ schema: tree("integer"), references: [] });
  const newer = JSON_FORMAT.parse({ schema: tree("number"), references: [] });
  assertEquals(JSON_FORMAT.incompatibilities(newer, older), []);
  assert(JSON_FORMAT.incompatibilities(older, newer).length > 0);
});

// ---- invalid schemas and drafts ----

const INVALID: readonly [string, string][] = [
  ["not JSON", "{type: object}"],
  ["a number", "42"],
  ["a string", '"object"'],
  ["type is a number", JSON.stringify({ type: 5 })],
  ["an unknown type name", JSON.stringify({ type: "strin" })],
  ["properties is not an object", JSON.stringify({ properties: 5 })],
  ["required is not an array", JSON.stringify({ required: "a" })],
  ["a negative minLength", JSON.stringify({ type: "string", minLength: -1 })],
  ["a pattern that is no regular expression", JSON.stringify({ type: "string", pattern: "(" })],
  ["a $ref to nothing", JSON.stringify({ $ref: "missing.json" })],
  ["a $ref to a missing definition", JSON.stringify({ $ref: "#/definitions/none" })],
  [
    "a boolean exclusiveMaximum in draft 7",
    JSON.stringify({
      $schema: "http://json-schema.org/draft-07/schema#",
      type: "number",
      exclusiveMaximum: true,
    }),
  ],
];
for (const [what, text] of INVALID) {
  Deno.test(`json schema: ${what} is an invalid schema`, () => {
    assertThrows(() => JSON_FORMAT.parse({ schema: text, references: [] }), InvalidSchemaError);
  });
}

Deno.test("json schema: a reference that is not JSON makes the schema invalid", () => {
  const broken: ResolvedReference = { name: "a.json", schema: "{", references: [] };
  const main = JSON.stringify({ $ref: "a.json" });
  assertThrows(() => JSON_FORMAT.parse({ schema: main, references: [broken] }), InvalidSchemaError);
});

Deno.test("json schema: drafts 4, 6, 7, 2019-09 and 2020-12 are accepted", () => {
  const drafts: Props[] = [
    {
      $schema: "http://json-schema.org/draft-04/schema#",
      id: "x",
      type: "number",
      minimum: 0,
      exclusiveMinimum: true,
    },
    { $schema: "http://json-schema.org/draft-06/schema#", type: "number", exclusiveMinimum: 0 },
    { $schema: "http://json-schema.org/draft-07/schema#", if: { type: "string" }, then: { minLength: 1 } },
    {
      $schema: "https://json-schema.org/draft/2019-09/schema",
      $defs: { s: S },
      dependentRequired: { a: ["b"] },
    },
    { $schema: "https://json-schema.org/draft/2020-12/schema", type: "array", prefixItems: [S], items: I },
  ];
  for (const d of drafts) {
    assertEquals(JSON_FORMAT.parse({ schema: JSON.stringify(d), references: [] }).type, "JSON");
  }
});

// ---- canonical and normalized texts ----

Deno.test("json schema: canonical is compact JSON as given, normalized sorts keys recursively", () => {
  const p = JSON_FORMAT.parse({
    schema: '{ "type": "object",\n "properties": { "b": {"type": "string", "maxLength": 3}, "a": {} } }',
    references: [],
  });
  assertEquals(p.canonical, '{"type":"object","properties":{"b":{"type":"string","maxLength":3},"a":{}}}');
  assertEquals(p.normalized(), '{"properties":{"a":{},"b":{"maxLength":3,"type":"string"}},"type":"object"}');
  const reordered = JSON_FORMAT.parse({
    schema: '{"properties":{"a":{},"b":{"maxLength":3,"type":"string"}},"type":"object"}',
    references: [],
  });
  assert(reordered.canonical !== p.canonical);
  assertEquals(reordered.normalized(), p.normalized());
});

Deno.test("json schema: a draft-4 schema keeps its own text; recordName is the title", () => {
  const text = draft4({ title: "Price", type: "number", maximum: 10, exclusiveMaximum: true });
  const p = JSON_FORMAT.parse({ schema: text, references: [] });
  assertEquals(p.canonical, text);
  assertEquals(JSON_FORMAT.recordName(p), "Price");
  assertEquals(JSON_FORMAT.recordName(JSON_FORMAT.parse({ schema: obj({}), references: [] })), "");
});

// ---- references ----

const address = (city: Props): ResolvedReference => ({
  name: "address.json",
  schema: obj({ city }),
  references: [],
});
const person = JSON.stringify({ type: "object", properties: { home: { $ref: "address.json" } } });

Deno.test("json schema: a $ref to a referenced schema resolves, and the referenced schema is compared", () => {
  assertThrows(() => JSON_FORMAT.parse({ schema: person, references: [] }), InvalidSchemaError);
  const v1 = JSON_FORMAT.parse({ schema: person, references: [address(S)] });
  const narrower = JSON_FORMAT.parse({
    schema: person,
    references: [address({ type: "string", maxLength: 3 })],
  });
  const problems = JSON_FORMAT.incompatibilities(narrower, v1);
  assertEquals(problems.length, 1, JSON.stringify(problems));
  assert(problems[0].startsWith("#/properties/home/properties/city: "), problems[0]);
  assertEquals(JSON_FORMAT.incompatibilities(v1, narrower), []);
});

Deno.test("json schema: $refs with pointers into a reference, and local $refs inside it, resolve in that document", () => {
  const defs = (t: string): ResolvedReference => ({
    name: "defs.json",
    schema: JSON.stringify({
      definitions: {
        n: { type: t },
        box: { type: "object", properties: { n: { $ref: "#/definitions/n" } } },
      },
    }),
    references: [],
  });
  const main = JSON.stringify({
    type: "object",
    properties: { box: { $ref: "defs.json#/definitions/box" } },
  });
  const v1 = JSON_FORMAT.parse({ schema: main, references: [defs("integer")] });
  const v2 = JSON_FORMAT.parse({ schema: main, references: [defs("number")] });
  assertEquals(JSON_FORMAT.incompatibilities(v2, v1), []);
  const forward = JSON_FORMAT.incompatibilities(v1, v2);
  assert(forward.some((p) => p.startsWith("#/properties/box/properties/n: ")), JSON.stringify(forward));
});

Deno.test("json schema: a reference's own references resolve too", () => {
  const city: ResolvedReference = { name: "city.json", schema: JSON.stringify(S), references: [] };
  const addr: ResolvedReference = {
    name: "address.json",
    schema: obj({ city: { $ref: "city.json" } }),
    references: [city],
  };
  assertEquals(JSON_FORMAT.parse({ schema: person, references: [addr] }).type, "JSON");
});
