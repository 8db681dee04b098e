// Protobuf for the schema registry (src/schema_registry/protobuf.ts): a table of evolution cases with the verdict
// each direction gets (backward: the new schema reads data the old one wrote; forward: the old reads the new) as
// Confluent's protobuf-provider gives it, invalid schemas refused, the canonical and normalized texts, imports
// resolved from references and built-in files, and the base64 FileDescriptorProto form.
import { assert, assertEquals, assertThrows } from "./assert.ts";
import { PROTOBUF_FORMAT, serializedProtobuf } from "../../src/schema_registry/protobuf.ts";
import { InvalidSchemaError, type ResolvedReference } from "../../src/schema_registry/schema_types.ts";

interface Case {
  readonly name: string;
  readonly old: string;
  readonly new: string;
  readonly backward: boolean;
  readonly forward: boolean;
}

const proto = (body: string, pkg = "kgw") => `syntax = "proto3";\npackage ${pkg};\n\n${body}\n`;
const proto2 = (body: string) => `syntax = "proto2";\npackage kgw;\n\n${body}\n`;
/** A file whose first message is User with `fields`, followed by `rest`. */
const user = (fields: string, rest = "") => proto(`message User {\n  ${fields}\n}\n${rest}`);
const C = (name: string, old: string, nw: string, backward: boolean, forward: boolean): Case => ({
  name,
  old,
  new: nw,
  backward,
  forward,
});
const INNER_INT = "message Inner { int32 x = 1; }";
const KIND = "enum Kind { KIND_UNKNOWN = 0; KIND_ADMIN = 1; }";

const CASES: readonly Case[] = [
  C("identical", user("string name = 1;"), user("string name = 1;"), true, true),
  C(
    "only whitespace and comments differ",
    user("string name = 1;"),
    user("// who\n  string   name=1; // it"),
    true,
    true,
  ),
  C("field added", user("string name = 1;"), user("string name = 1; int32 age = 2;"), true, true),
  C("field removed", user("string name = 1; int32 age = 2;"), user("string name = 1;"), true, true),
  C(
    "field renamed, same number and type",
    user("string name = 1;"),
    user("string full_name = 1;"),
    true,
    true,
  ),
  C("field renumbered (removed and added)", user("string name = 1;"), user("string name = 2;"), true, true),
  C("int32 to int64 (varint group)", user("int32 n = 1;"), user("int64 n = 1;"), true, true),
  C("uint32 to bool (varint group)", user("uint32 n = 1;"), user("bool n = 1;"), true, true),
  C("int32 to string", user("int32 n = 1;"), user("string n = 1;"), false, false),
  C("string to bytes", user("string n = 1;"), user("bytes n = 1;"), true, true),
  C("sint32 to sint64", user("sint32 n = 1;"), user("sint64 n = 1;"), true, true),
  C(
    "int32 to sint32 (zigzag is another encoding)",
    user("int32 n = 1;"),
    user("sint32 n = 1;"),
    false,
    false,
  ),
  C("fixed32 to sfixed32", user("fixed32 n = 1;"), user("sfixed32 n = 1;"), true, true),
  C("fixed64 to sfixed64", user("fixed64 n = 1;"), user("sfixed64 n = 1;"), true, true),
  C("fixed32 to fixed64", user("fixed32 n = 1;"), user("fixed64 n = 1;"), false, false),
  C("float to double", user("float n = 1;"), user("double n = 1;"), false, false),
  C("int64 to double", user("int64 n = 1;"), user("double n = 1;"), false, false),
  C("scalar to message", user("string a = 1;", INNER_INT), user("Inner a = 1;", INNER_INT), false, false),
  C(
    "enum to message",
    user("Kind a = 1;", `${KIND}\n${INNER_INT}`),
    user("Inner a = 1;", `${KIND}\n${INNER_INT}`),
    false,
    false,
  ),
  C("int32 to enum (an enum is a varint)", user("int32 k = 1;", KIND), user("Kind k = 1;", KIND), true, true),
  C("string to enum", user("string k = 1;", KIND), user("Kind k = 1;", KIND), false, false),
  C(
    "enum gains a value",
    user("Kind k = 1;", KIND),
    user("Kind k = 1;", "enum Kind { KIND_UNKNOWN = 0; KIND_ADMIN = 1; KIND_GUEST = 2; }"),
    true,
    true,
  ),
  C(
    "enum value renamed",
    user("Kind k = 1;", KIND),
    user("Kind k = 1;", "enum Kind { KIND_UNKNOWN = 0; KIND_ROOT = 1; }"),
    true,
    true,
  ),
  C(
    "enum field to another enum",
    user("Kind k = 1;", `${KIND}\nenum Role { ROLE_NONE = 0; }`),
    user("Role k = 1;", `${KIND}\nenum Role { ROLE_NONE = 0; }`),
    true,
    true,
  ),
  C("unused enum removed", user("string a = 1;", KIND), user("string a = 1;"), true, true),
  C(
    "message field to another message type",
    user("A a = 1;", "message A { string x = 1; }"),
    user("B a = 1;", "message B { string x = 1; }"),
    false,
    false,
  ),
  C(
    "nested message: field int32 to string",
    user("Inner a = 1;", INNER_INT),
    user("Inner a = 1;", "message Inner { string x = 1; }"),
    false,
    false,
  ),
  C(
    "nested message gains a field",
    user("Inner a = 1;", INNER_INT),
    user("Inner a = 1;", "message Inner { int32 x = 1; int32 y = 2; }"),
    true,
    true,
  ),
  C(
    "recursive message: int32 to int64 deep inside",
    proto("message Node { int32 v = 1; Node next = 2; }"),
    proto("message Node { int64 v = 1; Node next = 2; }"),
    true,
    true,
  ),
  C(
    "recursive message: int32 to string",
    proto("message Node { int32 v = 1; Node next = 2; }"),
    proto("message Node { string v = 1; Node next = 2; }"),
    false,
    false,
  ),
  C(
    "type name qualified differently",
    user("Inner a = 1;\n  message Inner { int32 x = 1; }"),
    user(".kgw.User.Inner a = 1;\n  message Inner { int32 x = 1; }"),
    true,
    true,
  ),
  C("repeated int32 to singular", user("repeated int32 n = 1;"), user("int32 n = 1;"), false, false),
  C(
    "repeated string to singular (strings read either way)",
    user("repeated string t = 1;"),
    user("string t = 1;"),
    true,
    true,
  ),
  C(
    "singular message to repeated (a singular reader merges)",
    user("Inner a = 1;", INNER_INT),
    user("repeated Inner a = 1;", INNER_INT),
    true,
    true,
  ),
  C(
    "map value int32 to int64",
    user("map<string, int32> m = 1;"),
    user("map<string, int64> m = 1;"),
    true,
    true,
  ),
  C(
    "map value int32 to string",
    user("map<string, int32> m = 1;"),
    user("map<string, string> m = 1;"),
    false,
    false,
  ),
  C(
    "map to a repeated entry message",
    user("map<string, int32> m = 1;"),
    user("repeated E m = 1;", "message E { string key = 1; int32 value = 2; }"),
    false,
    false,
  ),
  C(
    "one field into a new oneof",
    user("string a = 1; int32 b = 2;"),
    user("string a = 1;\n  oneof o { int32 b = 2; }"),
    true,
    true,
  ),
  C(
    "two existing fields into a new oneof",
    user("string a = 1; int32 b = 2;"),
    user("oneof o { string a = 1; int32 b = 2; }"),
    false,
    true,
  ),
  C(
    "field added to a oneof",
    user("oneof o { string a = 1; int32 b = 2; }"),
    user("oneof o { string a = 1; int32 b = 2; bool c = 3; }"),
    true,
    false,
  ),
  C(
    "field removed from a oneof",
    user("oneof o { string a = 1; int32 b = 2; bool c = 3; }"),
    user("oneof o { string a = 1; int32 b = 2; }"),
    false,
    true,
  ),
  C(
    "field moved into an existing oneof",
    user("string a = 1;\n  oneof o { int32 b = 2; }"),
    user("oneof o { string a = 1; int32 b = 2; }"),
    false,
    true,
  ),
  C("proto3 optional added", user("int32 n = 1;"), user("optional int32 n = 1;"), true, true),
  C(
    "package changed",
    user("string name = 1;"),
    proto("message User {\n  string name = 1;\n}", "other"),
    false,
    false,
  ),
  C(
    "first message renamed",
    user("string name = 1;"),
    proto("message Person {\n  string name = 1;\n}"),
    false,
    false,
  ),
  C(
    "message added after the first",
    user("string name = 1;"),
    user("string name = 1;", INNER_INT),
    true,
    false,
  ),
  C("message removed", user("string name = 1;", INNER_INT), user("string name = 1;"), false, true),
  C(
    "messages reordered",
    proto(`message A { int32 x = 1; }\nmessage B { int32 y = 1; }`),
    proto(`message B { int32 y = 1; }\nmessage A { int32 x = 1; }`),
    true,
    true,
  ),
  C(
    "nested message removed",
    user("string a = 1;\n  message Inner { int32 x = 1; }"),
    user("string a = 1;"),
    false,
    true,
  ),
  C(
    "proto2: required field added",
    proto2("message User { optional string a = 1; }"),
    proto2("message User { optional string a = 1; required string b = 2; }"),
    false,
    false,
  ),
  C(
    "proto2: optional int32 made required",
    proto2("message User { optional int32 a = 1; }"),
    proto2("message User { required int32 a = 1; }"),
    false,
    false,
  ),
];

for (const c of CASES) {
  Deno.test(`protobuf evolution: ${c.name} — backward ${c.backward}, forward ${c.forward}`, () => {
    const older = PROTOBUF_FORMAT.parse({ schema: c.old, references: [] });
    const newer = PROTOBUF_FORMAT.parse({ schema: c.new, references: [] });
    const backward = PROTOBUF_FORMAT.incompatibilities(newer, older);
    const forward = PROTOBUF_FORMAT.incompatibilities(older, newer);
    assertEquals(backward.length === 0, c.backward, `backward: ${JSON.stringify(backward)}`);
    assertEquals(forward.length === 0, c.forward, `forward: ${JSON.stringify(forward)}`);
  });
}

Deno.test("protobuf evolution: the table holds at least 20 cases, compatible and not in both directions", () => {
  assert(CASES.length >= 20, `${CASES.length} cases`);
  for (const pick of [(c: Case) => c.backward, (c: Case) => c.forward]) {
    assert(CASES.some(pick) && CASES.some((c) => !pick(c)), "both verdicts appear");
  }
});

Deno.test("protobuf: a problem names the message, the field and its number", () => {
  const older = PROTOBUF_FORMAT.parse({ schema: user("string name = 1; int32 age = 2;"), references: [] });
  const newer = PROTOBUF_FORMAT.parse({ schema: user("string name = 1; string age = 2;"), references: [] });
  const [problem, ...more] = PROTOBUF_FORMAT.incompatibilities(newer, older);
  assertEquals(more, []);
  assert(problem.includes("kgw.User.age") && problem.includes("field 2"), problem);
  assert(problem.includes("int32") && problem.includes("string"), problem);
  const nested = PROTOBUF_FORMAT.incompatibilities(
    PROTOBUF_FORMAT.parse({
      schema: user("Inner a = 1;", "message Inner { string x = 1; }"),
      references: [],
    }),
    PROTOBUF_FORMAT.parse({ schema: user("Inner a = 1;", INNER_INT), references: [] }),
  );
  assert(nested.some((p) => p.includes("kgw.Inner.x (field 1)")), JSON.stringify(nested));
});

// ---- invalid schemas ----

const INVALID: readonly [string, string][] = [
  ["a syntax error", 'syntax = "proto3"; message { }'],
  ["an unknown field type", user("Missing m = 1;")],
  ["an unknown scalar type", user("int33 n = 1;")],
  ["an import that is not a reference", proto('import "other.proto";\nmessage User { string n = 1; }')],
  ["no message or enum", proto("")],
  ["a field number given twice", user("string a = 1; string b = 1;")],
  ["field number zero", user("string a = 0;")],
  ["a field number protobuf reserves", user("string a = 19500;")],
  ["a reserved field number used", user("reserved 3;\n  string a = 3;")],
  ["a proto3 enum whose first value is not zero", user("Kind k = 1;", "enum Kind { KIND_ONE = 1; }")],
  ["an unknown syntax", 'syntax = "proto4";\nmessage User { string n = 1; }'],
  ["base64 that is no FileDescriptorProto", "AAAAAAAA"],
];
for (const [what, text] of INVALID) {
  Deno.test(`protobuf: ${what} is an invalid schema`, () => {
    assertThrows(() => PROTOBUF_FORMAT.parse({ schema: text, references: [] }), InvalidSchemaError);
  });
}

Deno.test("protobuf: a reference that does not parse makes the schema invalid", () => {
  const broken: ResolvedReference = { name: "other.proto", schema: "message {", references: [] };
  const main = proto('import "other.proto";\nmessage User { string n = 1; }');
  assertThrows(() => PROTOBUF_FORMAT.parse({ schema: main, references: [broken] }), InvalidSchemaError);
});

// ---- canonical and normalized texts ----

Deno.test("protobuf: canonical is the text as given, trimmed", () => {
  const text = `\n\n${user("string name = 1; // the name")}\n\n`;
  assertEquals(PROTOBUF_FORMAT.parse({ schema: text, references: [] }).canonical, text.trim());
});

Deno.test("protobuf: normalized renders the parsed model: qualified names, sorted options and imports, no comments", () => {
  const text = `syntax = "proto3";
package kgw;
import "google/protobuf/timestamp.proto";
import "google/protobuf/duration.proto";
option java_package = "io.kgw";
option java_multiple_files = true;
option optimize_for = SPEED;
// the user
message User {
  string name = 1 [json_name = "n", deprecated = true];
  reserved 20, 10 to 12;
  reserved "old";
  optional int32 age = 2;
  repeated Kind kinds = 3;
  map<string, Inner> inner = 4;
  oneof contact { string email = 5; string phone = 6; }
  google.protobuf.Timestamp at = 7;
  message Inner { int64 x = 1; }
  enum Kind { KIND_UNKNOWN = 0; KIND_ADMIN = 1; }
}
service Users { rpc Get (User) returns (stream User); }
`;
  const expected = `syntax = "proto3";
package kgw;
import "google/protobuf/duration.proto";
import "google/protobuf/timestamp.proto";
option java_multiple_files = true;
option java_package = "io.kgw";
option optimize_for = SPEED;
message User {
  reserved 10 to 12, 20, "old";
  string name = 1 [deprecated = true, json_name = "n"];
  optional int32 age = 2;
  repeated .kgw.User.Kind kinds = 3;
  map<string, .kgw.User.Inner> inner = 4;
  oneof contact {
    string email = 5;
    string phone = 6;
  }
  .google.protobuf.Timestamp at = 7;
  message Inner {
    int64 x = 1;
  }
  enum Kind {
    KIND_UNKNOWN = 0;
    KIND_ADMIN = 1;
  }
}
service Users {
  rpc Get (.kgw.User) returns (stream .kgw.User);
}
`;
  const p = PROTOBUF_FORMAT.parse({ schema: text, references: [] });
  assertEquals(p.normalized(), expected);
  // the normalized text is stored for normalize=true, so it must parse again to itself
  const again = PROTOBUF_FORMAT.parse({ schema: p.normalized(), references: [] });
  assertEquals(again.normalized(), expected);
  assertEquals(PROTOBUF_FORMAT.incompatibilities(again, p), []);
});

Deno.test("protobuf: normalized is equal across layout, comments, import order and name qualification", () => {
  const a = `syntax = "proto3";
package kgw;
import "google/protobuf/timestamp.proto";
import "google/protobuf/duration.proto";
message User { string name = 1; Inner inner = 2; google.protobuf.Timestamp at = 3;
  message Inner { int32 x = 1; } }`;
  const b = `// a comment
syntax="proto3"; package kgw;
import "google/protobuf/duration.proto"; import "google/protobuf/timestamp.proto";
message User {
  /* name */ string name = 1;
  .kgw.User.Inner inner = 2;
  .google.protobuf.Timestamp at = 3;
  message Inner {
    int32 x = 1;
  }
}
`;
  const pa = PROTOBUF_FORMAT.parse({ schema: a, references: [] });
  const pb = PROTOBUF_FORMAT.parse({ schema: b, references: [] });
  assert(pa.canonical !== pb.canonical);
  assertEquals(pa.normalized(), pb.normalized());
  const changed = PROTOBUF_FORMAT.parse({ schema: b.replace("int32 x", "int64 x"), references: [] });
  assert(changed.normalized() !== pb.normalized(), "a changed field type changes the normalized text");
});

Deno.test("protobuf: recordName is the first message's full name", () => {
  const p = PROTOBUF_FORMAT.parse({
    schema: proto(`${KIND}\nmessage User { Kind k = 1; }\nmessage B {}`),
    references: [],
  });
  assertEquals(PROTOBUF_FORMAT.recordName(p), "kgw.User");
});

// ---- references and built-in imports ----

const other = (fieldType: string): ResolvedReference => ({
  name: "other.proto",
  schema: `syntax = "proto3";\npackage shared;\nmessage Other { ${fieldType} x = 1; }\n`,
  references: [],
});
const usesOther = proto('import "other.proto";\nmessage User { shared.Other o = 1; }');

Deno.test("protobuf: an import resolves from a reference, and the imported message is compared", () => {
  assertThrows(() => PROTOBUF_FORMAT.parse({ schema: usesOther, references: [] }), InvalidSchemaError);
  const v1 = PROTOBUF_FORMAT.parse({ schema: usesOther, references: [other("int32")] });
  const widened = PROTOBUF_FORMAT.parse({ schema: usesOther, references: [other("int64")] });
  const changed = PROTOBUF_FORMAT.parse({ schema: usesOther, references: [other("string")] });
  assertEquals(PROTOBUF_FORMAT.incompatibilities(widened, v1), []);
  const problems = PROTOBUF_FORMAT.incompatibilities(changed, v1);
  assert(problems.some((p) => p.includes("shared.Other.x (field 1)")), JSON.stringify(problems));
  assertEquals(
    PROTOBUF_FORMAT.recordName(v1),
    "kgw.User",
    "the first message is the schema's own, not the import's",
  );
});

Deno.test("protobuf: a reference's own references resolve too", () => {
  const base: ResolvedReference = {
    name: "base.proto",
    schema: 'syntax = "proto3";\npackage shared;\nmessage Base { string id = 1; }\n',
    references: [],
  };
  const middle: ResolvedReference = {
    name: "middle.proto",
    schema: 'syntax = "proto3";\npackage shared;\nimport "base.proto";\nmessage Middle { Base b = 1; }\n',
    references: [base],
  };
  const main = proto('import "middle.proto";\nmessage User { shared.Middle m = 1; }');
  assertEquals(PROTOBUF_FORMAT.parse({ schema: main, references: [middle] }).type, "PROTOBUF");
});

Deno.test("protobuf: well-known and Confluent imports need no reference", () => {
  const wellKnown = proto(`import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";
import "google/protobuf/struct.proto";
message User {
  google.protobuf.Timestamp at = 1;
  google.protobuf.StringValue nick = 2;
  google.protobuf.Struct extra = 3;
}`);
  assertEquals(PROTOBUF_FORMAT.parse({ schema: wellKnown, references: [] }).type, "PROTOBUF");
  const confluent = proto(`import "confluent/meta.proto";
import "confluent/type/decimal.proto";
message User {
  confluent.type.Decimal amount = 1 [(confluent.field_meta).doc = "the amount"];
}`);
  const p = PROTOBUF_FORMAT.parse({ schema: confluent, references: [] });
  assert(p.normalized().includes('[(confluent.field_meta).doc = "the amount"]'), p.normalized());
  const custom = proto(`import "google/protobuf/descriptor.proto";
extend google.protobuf.FieldOptions { Level level = 50000; }
enum Level { LEVEL_LOW = 0; LEVEL_HIGH = 1; }
message User { string name = 1 [(kgw.level) = LEVEL_HIGH]; }`);
  const c = PROTOBUF_FORMAT.parse({ schema: custom, references: [] });
  assert(c.normalized().includes("[(kgw.level) = LEVEL_HIGH]"), c.normalized());
  assert(c.normalized().includes("extend .google.protobuf.FieldOptions {"), c.normalized());
  assertEquals(
    PROTOBUF_FORMAT.parse({ schema: c.normalized(), references: [] }).normalized(),
    c.normalized(),
  );
});

// ---- the FileDescriptorProto form ----

Deno.test("protobuf: a base64 FileDescriptorProto is read as its .proto text, and ?format=serialized gives one back", () => {
  const text = user(
    "int64 id = 1;\n  string name = 2;\n  repeated string tags = 3;\n  map<string, int32> counts = 4;\n" +
      "  oneof contact { string email = 5; string phone = 6; }\n  Kind kind = 7;\n  optional int32 age = 8;",
    KIND,
  );
  const p = PROTOBUF_FORMAT.parse({ schema: text, references: [] });
  const serialized = serializedProtobuf(p);
  assert(serialized !== null && /^[A-Za-z0-9+/]+=*$/.test(serialized), String(serialized));
  assertEquals(PROTOBUF_FORMAT.render?.(p, "serialized"), serialized);
  const back = PROTOBUF_FORMAT.parse({ schema: serialized, references: [] });
  assert(back.canonical.includes("message User"), back.canonical);
  assert(back.canonical.includes("map<string, int32> counts = 4;"), back.canonical);
  assert(back.canonical.includes("oneof contact"), back.canonical);
  assertEquals(back.normalized(), p.normalized());
  assertEquals(PROTOBUF_FORMAT.incompatibilities(back, p), []);
  assertEquals(PROTOBUF_FORMAT.incompatibilities(p, back), []);
});
