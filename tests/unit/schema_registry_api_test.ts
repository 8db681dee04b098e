// The schema registry's REST API served in-process (SchemaRegistryHttp.handle) on an in-memory DocumentStore:
// registration (idempotent, one id per distinct schema across subjects), compatibility levels, lookup, soft and
// permanent deletes, config and modes (READONLY, IMPORT), Confluent's error codes, references, and state kept in the
// document: ids survive a restart and are never given twice, also by two registries sharing the store.
import { assert, assertEquals } from "./assert.ts";
import { MemoryDocuments } from "../../src/storage/documents.ts";
import { WatchedDocument } from "../../src/storage/watched_document.ts";
import { logger } from "../../src/log.ts";
import { FORMATS } from "../../src/schema_registry/formats.ts";
import { SchemaRegistryHttp } from "../../src/schema_registry/http.ts";
import { SchemaRegistry } from "../../src/schema_registry/registry.ts";
import { STATE_CODEC } from "../../src/schema_registry/state.ts";
import { REGISTRY_DOCUMENT } from "../../src/schema_registry/service.ts";

async function registry(docs = new MemoryDocuments()) {
  const doc = new WatchedDocument(docs, REGISTRY_DOCUMENT, STATE_CODEC, {
    what: "schema registry",
    log: logger("test"),
    pollMs: 0,
  });
  await doc.load();
  const http = new SchemaRegistryHttp(new SchemaRegistry(doc, FORMATS), logger("test"));
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await http.handle(
      new Request(`http://registry${path}`, {
        method,
        headers: { "content-type": "application/vnd.schemaregistry.v1+json" },
        body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
      }),
    );
    const text = await res.text();
    let json: unknown = text;
    try {
      json = JSON.parse(text);
    } catch { /* raw schema text */ }
    const code = (json as { error_code?: number } | null)?.error_code;
    return { status: res.status, type: res.headers.get("content-type"), json, code };
  };
  return { docs, call };
}

const record = (name: string, fields: unknown[]) => JSON.stringify({ type: "record", name, fields });
const V1 = record("User", [{ name: "id", type: "long" }]);
const V1_SPACED = `{ "type": "record", "name": "User",\n "fields": [ { "name": "id", "type": "long" } ] }`;
const V2_DEFAULT = record("User", [{ name: "id", type: "long" }, {
  name: "email",
  type: "string",
  default: "",
}]);
const V2_NO_DEFAULT = record("User", [{ name: "id", type: "long" }, { name: "email", type: "string" }]);

Deno.test("schema registry API: register is idempotent, one id per schema across subjects, versions and reads", async () => {
  const { call } = await registry();
  assertEquals((await call("GET", "/schemas/types")).json, ["AVRO", "PROTOBUF", "JSON"]);
  const first = await call("POST", "/subjects/users-value/versions", { schema: V1 });
  assertEquals(first, {
    status: 200,
    type: "application/vnd.schemaregistry.v1+json",
    json: { id: 1 },
    code: undefined,
  });
  // the same schema written differently: the same id, no new version
  assertEquals((await call("POST", "/subjects/users-value/versions", { schema: V1_SPACED })).json, { id: 1 });
  assertEquals((await call("GET", "/subjects/users-value/versions")).json, [1]);
  // another subject, same schema: the same id
  assertEquals((await call("POST", "/subjects/audit-value/versions", { schema: V1 })).json, { id: 1 });
  assertEquals((await call("GET", "/subjects")).json, ["audit-value", "users-value"]);
  assertEquals((await call("GET", "/subjects?subjectPrefix=us")).json, ["users-value"]);
  assertEquals((await call("GET", "/subjects/users-value/versions/latest")).json, {
    subject: "users-value",
    version: 1,
    id: 1,
    schema: V1,
  });
  assertEquals((await call("GET", "/subjects/users-value/versions/1/schema")).json, JSON.parse(V1));
  assertEquals((await call("GET", "/schemas/ids/1")).json, { schema: V1 });
  assertEquals((await call("GET", "/schemas/ids/1/schema")).json, JSON.parse(V1));
  assertEquals((await call("GET", "/schemas/ids/1/subjects")).json, ["audit-value", "users-value"]);
  assertEquals((await call("GET", "/schemas/ids/1/versions")).json, [
    { subject: "audit-value", version: 1 },
    { subject: "users-value", version: 1 },
  ]);
  // lookup
  assertEquals((await call("POST", "/subjects/users-value", { schema: V1_SPACED })).json, {
    subject: "users-value",
    version: 1,
    id: 1,
    schema: V1,
  });
  assertEquals((await call("POST", "/subjects/users-value", { schema: V2_DEFAULT })).json, {
    error_code: 40403,
    message: "Schema not found",
  });
  assertEquals((await call("POST", "/subjects/nobody", { schema: V1 })).json, {
    error_code: 40401,
    message: "Subject 'nobody' not found.",
  });
  assertEquals((await call("GET", "/schemas/ids/7")).status, 404);
  assertEquals((await call("GET", "/schemas/ids/7")).json, {
    error_code: 40403,
    message: "Schema 7 not found",
  });
  assertEquals((await call("GET", "/schemas?latestOnly=true")).json, [
    { subject: "audit-value", version: 1, id: 1, schema: V1 },
    { subject: "users-value", version: 1, id: 1, schema: V1 },
  ]);
});

Deno.test("schema registry API: compatibility levels decide registration; /compatibility answers without writing", async () => {
  const { call } = await registry();
  await call("POST", "/subjects/u/versions", { schema: V1 });
  const refused = await call("POST", "/subjects/u/versions", { schema: V2_NO_DEFAULT });
  assertEquals(refused.status, 409);
  assertEquals((refused.json as { error_code: number }).error_code, 409);
  assert(
    String((refused.json as { message: string }).message).includes("email"),
    JSON.stringify(refused.json),
  );
  const check = await call("POST", "/compatibility/subjects/u/versions/latest?verbose=true", {
    schema: V2_NO_DEFAULT,
  });
  assertEquals((check.json as { is_compatible: boolean }).is_compatible, false);
  assert((check.json as { messages: string[] }).messages.length > 0);
  assertEquals((await call("POST", "/compatibility/subjects/u/versions", { schema: V2_DEFAULT })).json, {
    is_compatible: true,
  });
  assertEquals((await call("POST", "/subjects/u/versions", { schema: V2_DEFAULT })).json, { id: 2 });
  assertEquals((await call("GET", "/subjects/u/versions")).json, [1, 2]);

  // FORWARD: old readers must read new data: removing a field without a default is refused
  assertEquals((await call("PUT", "/config/u", { compatibility: "FORWARD" })).json, {
    compatibility: "FORWARD",
  });
  assertEquals((await call("GET", "/config/u")).json, { compatibilityLevel: "FORWARD" });
  const dropId = record("User", [{ name: "email", type: "string", default: "" }]);
  assertEquals((await call("POST", "/subjects/u/versions", { schema: dropId })).status, 409);
  // NONE: anything goes
  await call("PUT", "/config/u", { compatibility: "none" });
  assertEquals((await call("POST", "/subjects/u/versions", { schema: dropId })).json, { id: 3 });
  // another type than the subject's: refused unless NONE
  await call("PUT", "/config/u", { compatibility: "BACKWARD" });
  const json = await call("POST", "/subjects/u/versions", {
    schema: '{"type":"object"}',
    schemaType: "JSON",
  });
  assertEquals(json.status, 409);

  assertEquals((await call("GET", "/config")).json, { compatibilityLevel: "BACKWARD" });
  assertEquals((await call("GET", "/config/other")).json, {
    error_code: 40408,
    message: "Subject 'other' does not have subject-level compatibility configured",
  });
  assertEquals((await call("GET", "/config/other?defaultToGlobal=true")).json, {
    compatibilityLevel: "BACKWARD",
  });
  assertEquals((await call("PUT", "/config", { compatibility: "SIDEWAYS" })).code, 42203);
  assertEquals((await call("DELETE", "/config/u")).json, { compatibilityLevel: "BACKWARD" });
  assertEquals((await call("GET", "/config/u")).status, 404);

  // transitive: checked against every version, not only the latest
  const t = await registry();
  await t.call("PUT", "/config/t", { compatibility: "BACKWARD_TRANSITIVE" });
  await t.call("POST", "/subjects/t/versions", { schema: V2_DEFAULT });
  await t.call("PUT", "/config/t", { compatibility: "NONE" });
  await t.call("POST", "/subjects/t/versions", { schema: V1 });
  const newField = record("User", [{ name: "id", type: "long" }, { name: "email", type: "int", default: 0 }]);
  await t.call("PUT", "/config/t", { compatibility: "BACKWARD" });
  assertEquals((await t.call("POST", "/compatibility/subjects/t/versions", { schema: newField })).json, {
    is_compatible: true,
  });
  await t.call("PUT", "/config/t", { compatibility: "BACKWARD_TRANSITIVE" });
  assertEquals((await t.call("POST", "/compatibility/subjects/t/versions", { schema: newField })).json, {
    is_compatible: false,
  });
});

Deno.test("schema registry API: soft and permanent deletes with Confluent's codes; ids never given again", async () => {
  const { call } = await registry();
  await call("POST", "/subjects/s/versions", { schema: V1 });
  await call("POST", "/subjects/s/versions", { schema: V2_DEFAULT });
  assertEquals((await call("DELETE", "/subjects/s/versions/2")).json, 2);
  assertEquals((await call("GET", "/subjects/s/versions")).json, [1]);
  assertEquals((await call("GET", "/subjects/s/versions?deleted=true")).json, [1, 2]);
  assertEquals((await call("GET", "/subjects/s/versions/2")).code, 40402);
  assertEquals(((await call("GET", "/subjects/s/versions/2?deleted=true")).json as { id: number }).id, 2);
  assertEquals((await call("DELETE", "/subjects/s/versions/2")).code, 40406);
  assertEquals((await call("DELETE", "/subjects/s/versions/1?permanent=true")).code, 40407);
  assertEquals((await call("DELETE", "/subjects/s/versions/2?permanent=true")).json, 2);
  assertEquals((await call("GET", "/schemas/ids/2")).code, 40403);
  assertEquals((await call("DELETE", "/subjects/s?permanent=true")).code, 40405);
  assertEquals((await call("DELETE", "/subjects/s")).json, [1]);
  assertEquals((await call("DELETE", "/subjects/s")).code, 40404);
  assertEquals((await call("GET", "/subjects")).json, []);
  assertEquals((await call("GET", "/subjects?deleted=true")).json, ["s"]);
  assertEquals((await call("DELETE", "/subjects/s?permanent=true")).json, [1]);
  assertEquals((await call("GET", "/subjects?deleted=true")).json, []);
  // a new schema gets a new id, never 2 again
  assertEquals((await call("POST", "/subjects/s/versions", { schema: V2_DEFAULT })).json, { id: 3 });
  assertEquals((await call("GET", "/subjects/s/versions")).json, [1]);
});

Deno.test("schema registry API: modes READONLY and IMPORT; bad input gets Confluent's codes", async () => {
  const { call } = await registry();
  await call("POST", "/subjects/a/versions", { schema: V1 });
  assertEquals((await call("PUT", "/mode/a", { mode: "READONLY" })).json, { mode: "READONLY" });
  assertEquals((await call("POST", "/subjects/a/versions", { schema: V2_DEFAULT })).code, 42205);
  assertEquals((await call("DELETE", "/subjects/a")).code, 42205);
  assertEquals((await call("GET", "/mode/a")).json, { mode: "READONLY" });
  assertEquals((await call("GET", "/mode/b")).code, 40409);
  assertEquals((await call("GET", "/mode/b?defaultToGlobal=true")).json, { mode: "READWRITE" });
  assertEquals((await call("DELETE", "/mode/a")).json, { mode: "READONLY" });
  // IMPORT needs an empty registry unless forced, and ids from the client
  assertEquals((await call("PUT", "/mode", { mode: "IMPORT" })).code, 42205);
  assertEquals((await call("PUT", "/mode?force=true", { mode: "IMPORT" })).json, { mode: "IMPORT" });
  assertEquals((await call("POST", "/subjects/imp/versions", { schema: V2_DEFAULT })).code, 42205);
  assertEquals(
    (await call("POST", "/subjects/imp/versions", { schema: V2_DEFAULT, id: 100, version: 5 })).json,
    {
      id: 100,
    },
  );
  assertEquals((await call("GET", "/subjects/imp/versions")).json, [5]);
  assertEquals((await call("PUT", "/mode", { mode: "READWRITE" })).json, { mode: "READWRITE" });
  assertEquals((await call("POST", "/subjects/a/versions", { id: 7, schema: V1 })).code, 42205);
  const fresh = record("Other", [{ name: "x", type: "int" }]);
  assertEquals((await call("POST", "/subjects/n/versions", { schema: fresh })).json, { id: 101 });

  assertEquals((await call("PUT", "/mode", { mode: "SOMETIMES" })).code, 42204);
  assertEquals((await call("GET", "/subjects/a/versions/abc")).code, 42202);
  assertEquals((await call("GET", "/subjects/a/versions/0")).code, 42202);
  const invalid = await call("POST", "/subjects/a/versions", { schema: '{"type":"record","name":"X"}' });
  assertEquals([invalid.status, invalid.code], [422, 42201]);
  assertEquals((await call("POST", "/subjects/a/versions", { schema: V1, schemaType: "XML" })).code, 42201);
  assertEquals((await call("POST", "/subjects/a/versions", "{not json")).status, 400);
  assertEquals((await call("GET", "/no/such/path")).json, { error_code: 404, message: "HTTP 404 Not Found" });
  assertEquals((await call("PATCH", "/subjects")).json, {
    error_code: 405,
    message: "HTTP 405 Method Not Allowed",
  });
  assertEquals((await call("GET", "/")).json, {});
});

Deno.test("schema registry API: references resolve through their subject; a referenced version cannot be deleted", async () => {
  const { call } = await registry();
  const address = JSON.stringify({
    type: "record",
    name: "Address",
    namespace: "acme",
    fields: [{ name: "city", type: "string" }],
  });
  assertEquals((await call("POST", "/subjects/address/versions", { schema: address })).json, { id: 1 });
  const person = JSON.stringify({
    type: "record",
    name: "Person",
    namespace: "acme",
    fields: [{ name: "home", type: "acme.Address" }],
  });
  const refs = [{ name: "acme.Address", subject: "address", version: 1 }];
  assertEquals((await call("POST", "/subjects/person/versions", { schema: person })).code, 42201);
  assertEquals((await call("POST", "/subjects/person/versions", { schema: person, references: refs })).json, {
    id: 2,
  });
  assertEquals((await call("GET", "/schemas/ids/2")).json, { schema: person, references: refs });
  assertEquals((await call("GET", "/subjects/address/versions/1/referencedby")).json, [2]);
  assertEquals((await call("DELETE", "/subjects/address/versions/1")).code, 42206);
});

Deno.test("schema registry API: state survives a restart; two registries on one store never give one id twice", async () => {
  const docs = new MemoryDocuments();
  const a = await registry(docs);
  await a.call("POST", "/subjects/x/versions", { schema: V1 });
  await a.call("PUT", "/config/x", { compatibility: "FULL" });
  const restarted = await registry(docs);
  assertEquals((await restarted.call("GET", "/schemas/ids/1")).json, { schema: V1 });
  assertEquals((await restarted.call("GET", "/config/x")).json, { compatibilityLevel: "FULL" });
  // two gateways sharing the backend register different schemas at once
  const b = await registry(docs);
  const schemas = Array.from({ length: 10 }, (_, i) => record(`R${i}`, [{ name: "f", type: "int" }]));
  const ids = await Promise.all(
    schemas.map((s, i) =>
      (i % 2 === 0 ? restarted : b).call("POST", `/subjects/r${i}/versions`, { schema: s })
    ),
  );
  const given = ids.map((r) => (r.json as { id: number }).id);
  assertEquals(new Set(given).size, 10, `ids ${given}`);
  assert(given.every((id) => id >= 2 && id <= 11), `ids ${given}`);
  // and each answers the other's schemas (a miss re-reads the store)
  for (let i = 0; i < 10; i++) {
    assertEquals((await a.call("GET", `/schemas/ids/${given[i]}`)).json, { schema: schemas[i] });
  }
});
