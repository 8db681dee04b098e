// Kafka ACLs on Schema Registry subjects (src/schema_registry/subject_acls.ts through SchemaRegistryHttp.handle):
// a TopicNameStrategy subject is its topic's (DESCRIBE to read, WRITE to register, DELETE to delete,
// ALTER_CONFIGS for its config and mode), other subjects and the global config are the Cluster's; refusals
// answer Confluent's 40301 and lists show only readable subjects.
import { assert, assertEquals } from "./assert.ts";
import { MemoryDocuments } from "../../src/storage/documents.ts";
import { WatchedDocument } from "../../src/storage/watched_document.ts";
import { logger } from "../../src/log.ts";
import { FORMATS } from "../../src/schema_registry/formats.ts";
import { ANYONE, type RegistryCaller, SchemaRegistryHttp } from "../../src/schema_registry/http.ts";
import { SchemaRegistry } from "../../src/schema_registry/registry.ts";
import { STATE_CODEC } from "../../src/schema_registry/state.ts";
import { REGISTRY_DOCUMENT } from "../../src/schema_registry/service.ts";
import { aclCaller, subjectTopic } from "../../src/schema_registry/subject_acls.ts";
import { AclMatcher } from "../../src/security/acl/matcher.ts";
import {
  type AclBinding,
  AclOperation,
  CLUSTER_NAME,
  PatternType,
  Permission,
  ResourceType,
} from "../../src/security/acl/model.ts";

const allow = (
  principal: string,
  operation: AclOperation,
  resourceType: ResourceType,
  resourceName: string,
  patternType: PatternType = PatternType.LITERAL,
): AclBinding => ({
  resourceType,
  resourceName,
  patternType,
  principal,
  host: "*",
  operation,
  permission: Permission.ALLOW,
});

const matcher = new AclMatcher([
  // reader: DESCRIBE on orders (reads orders-value and orders-key)
  allow("User:reader", AclOperation.DESCRIBE, ResourceType.TOPIC, "orders"),
  // writer: WRITE on topics starting with "pay" (WRITE implies DESCRIBE), DELETE on payments
  allow("User:writer", AclOperation.WRITE, ResourceType.TOPIC, "pay", PatternType.PREFIXED),
  allow("User:writer", AclOperation.DELETE, ResourceType.TOPIC, "payments"),
  // ops: ALTER_CONFIGS on the Cluster (the global config)
  allow("User:ops", AclOperation.ALTER_CONFIGS, ResourceType.CLUSTER, CLUSTER_NAME),
], { superUsers: new Set(["User:admin"]), allowIfNoAcl: false });

async function http() {
  const doc = new WatchedDocument(new MemoryDocuments(), REGISTRY_DOCUMENT, STATE_CODEC, {
    what: "schema registry",
    log: logger("test"),
    pollMs: 0,
  });
  await doc.load();
  const h = new SchemaRegistryHttp(new SchemaRegistry(doc, FORMATS), logger("test"));
  return async (caller: RegistryCaller, method: string, path: string, body?: unknown) => {
    const res = await h.handle(
      new Request(`http://registry${path}`, {
        method,
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
      caller,
    );
    const json = await res.json();
    return { status: res.status, json, code: (json as { error_code?: number }).error_code };
  };
}

const SCHEMA = {
  schema: JSON.stringify({ type: "record", name: "R", fields: [{ name: "a", type: "int" }] }),
};

Deno.test("subject ACLs: the topic of a TopicNameStrategy subject; other names are the Cluster's", () => {
  assertEquals(subjectTopic("orders-value"), "orders");
  assertEquals(subjectTopic("orders-key"), "orders");
  assertEquals(subjectTopic("my-topic-value"), "my-topic");
  assertEquals(subjectTopic("com.acme.Order"), null);
  assertEquals(subjectTopic("-value"), null);
  const reader = aclCaller(matcher, "User:reader", "10.0.0.1");
  assert(reader.may("read", "orders-value") && reader.may("read", "orders-key"));
  assert(!reader.may("write", "orders-value"), "DESCRIBE does not let it register");
  assert(!reader.may("read", "payments-value"));
  assert(!reader.may("read", "com.acme.Order"), "a record-name subject needs DESCRIBE on the Cluster");
  assert(reader.may("read", null), "the global config is readable");
  assert(!reader.may("alter", null));
  const writer = aclCaller(matcher, "User:writer", "10.0.0.1");
  assert(writer.may("write", "payments-value") && writer.may("read", "payouts-value"), "prefixed WRITE");
  assert(writer.may("delete", "payments-value") && !writer.may("delete", "payouts-value"));
  assert(!writer.may("alter", "payments-value"), "ALTER_CONFIGS is its own operation");
  assert(aclCaller(matcher, "User:ops", "h").may("alter", null));
  const admin = aclCaller(matcher, "User:admin", "h");
  assert(admin.may("delete", "anything-value") && admin.may("alter", null) && admin.may("write", "x.Y"));
});

Deno.test("subject ACLs over the REST API: 40301 refusals, filtered lists, ids readable through a subject", async () => {
  const call = await http();
  const admin = aclCaller(matcher, "User:admin", "h");
  const reader = aclCaller(matcher, "User:reader", "h");
  const writer = aclCaller(matcher, "User:writer", "h");
  const nobody = aclCaller(matcher, "User:nobody", "h");
  // registering needs WRITE on the topic
  const denied = await call(reader, "POST", "/subjects/orders-value/versions", SCHEMA);
  assertEquals([denied.status, denied.code], [403, 40301]);
  assertEquals(
    (denied.json as { message: string }).message,
    "User is denied operation Write on Subject: orders-value",
  );
  assertEquals((await call(admin, "POST", "/subjects/orders-value/versions", SCHEMA)).json, { id: 1 });
  assertEquals((await call(writer, "POST", "/subjects/payments-value/versions", SCHEMA)).json, { id: 1 });
  // reads and lists
  assertEquals((await call(reader, "GET", "/subjects")).json, ["orders-value"]);
  assertEquals((await call(writer, "GET", "/subjects")).json, ["payments-value"]);
  assertEquals((await call(nobody, "GET", "/subjects")).json, []);
  assertEquals((await call(ANYONE, "GET", "/subjects")).json, ["orders-value", "payments-value"]);
  assertEquals((await call(reader, "GET", "/subjects/orders-value/versions")).json, [1]);
  assertEquals((await call(reader, "GET", "/subjects/payments-value/versions")).code, 40301);
  assertEquals((await call(reader, "GET", "/schemas/ids/1/subjects")).json, ["orders-value"]);
  assertEquals((await call(reader, "GET", "/schemas/ids/1")).status, 200, "readable through orders-value");
  assertEquals((await call(nobody, "GET", "/schemas/ids/1")).code, 40301);
  assertEquals((await call(nobody, "GET", "/schemas/ids/9")).code, 40403, "an unknown id is still not found");
  assertEquals(
    ((await call(reader, "GET", "/schemas")).json as { subject: string }[]).map((x) => x.subject),
    ["orders-value"],
  );
  // compatibility checks and lookups are reads
  assertEquals((await call(reader, "POST", "/subjects/orders-value", SCHEMA)).status, 200);
  assertEquals(
    (await call(nobody, "POST", "/compatibility/subjects/orders-value/versions/latest", SCHEMA)).code,
    40301,
  );
  // config and mode: ALTER_CONFIGS on the topic, or on the Cluster for the global ones
  assertEquals((await call(writer, "PUT", "/config/payments-value", { compatibility: "NONE" })).code, 40301);
  assertEquals((await call(admin, "PUT", "/config/payments-value", { compatibility: "NONE" })).status, 200);
  assertEquals((await call(reader, "PUT", "/config", { compatibility: "FULL" })).code, 40301);
  assertEquals((await call(reader, "GET", "/config")).status, 200);
  assertEquals(
    (await call(aclCaller(matcher, "User:ops", "h"), "PUT", "/config", { compatibility: "FULL" })).status,
    200,
  );
  assertEquals((await call(reader, "PUT", "/mode", { mode: "READONLY" })).code, 40301);
  // deletes need DELETE on the topic
  assertEquals((await call(reader, "DELETE", "/subjects/orders-value")).code, 40301);
  assertEquals((await call(writer, "DELETE", "/subjects/payments-value")).json, [1]);
  assertEquals((await call(admin, "GET", "/subjects")).json, ["orders-value"]);
});
