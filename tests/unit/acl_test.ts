// The ACL model (src/security/acl/): the matcher's decisions (literal, prefixed and wildcard resources,
// principals and hosts with *, DENY winning, implied operations, super users, allow-if-no-ACL), the filters of
// DescribeAcls/DeleteAcls (ANY, MATCH, LITERAL, PREFIXED), creation checks, and the store (durable, shared by
// two stores on one document set through compare-and-set and polling).
import { assert, assertEquals } from "./assert.ts";
import { AclMatcher, type Subject } from "../../src/security/acl/matcher.ts";
import {
  type AclBinding,
  type AclFilter,
  AclOperation as Op,
  bindingProblem,
  filterMatches,
  PatternType,
  Permission,
  ResourceType,
} from "../../src/security/acl/model.ts";
import { AclStore } from "../../src/security/acl/store.ts";
import { EmbeddedDocuments } from "../../src/storage/embedded/documents.ts";
import { logger } from "../../src/log.ts";
import { superUsers } from "../../src/security/acl/setup.ts";

function acl(
  resourceType: number,
  resourceName: string,
  operation: number,
  permission: number = Permission.ALLOW,
  principal = "User:alice",
  patternType: number = PatternType.LITERAL,
  host = "*",
): AclBinding {
  return {
    resourceType: resourceType as AclBinding["resourceType"],
    resourceName,
    patternType: patternType as AclBinding["patternType"],
    principal,
    host,
    operation: operation as AclBinding["operation"],
    permission: permission as AclBinding["permission"],
  };
}

const ALICE: Subject = { principal: "User:alice", host: "10.0.0.1" };
const BOB: Subject = { principal: "User:bob", host: "10.0.0.2" };
const T = ResourceType.TOPIC;
const G = ResourceType.GROUP;

function matcher(acls: AclBinding[], opts: { allowIfNoAcl?: boolean; supers?: string[] } = {}): AclMatcher {
  return new AclMatcher(acls, {
    superUsers: new Set(opts.supers ?? []),
    allowIfNoAcl: opts.allowIfNoAcl ?? false,
  });
}

Deno.test("acl matcher: literal, wildcard and prefixed resources; other resources and types unaffected", () => {
  const m = matcher([
    acl(T, "orders", Op.READ),
    acl(T, "logs-", Op.WRITE, Permission.ALLOW, "User:alice", PatternType.PREFIXED),
    acl(T, "*", Op.DESCRIBE, Permission.ALLOW, "User:bob"),
  ]);
  assert(m.authorize(ALICE, Op.READ, T, "orders"));
  assert(!m.authorize(ALICE, Op.READ, T, "orders2"), "literal is exact");
  assert(!m.authorize(ALICE, Op.WRITE, T, "orders"), "READ does not give WRITE");
  assert(!m.authorize(ALICE, Op.READ, G, "orders"), "a topic ACL says nothing about a group of that name");
  assert(m.authorize(ALICE, Op.WRITE, T, "logs-app"), "prefixed");
  assert(m.authorize(ALICE, Op.WRITE, T, "logs-"), "a prefix matches itself");
  assert(!m.authorize(ALICE, Op.WRITE, T, "log"), "shorter than the prefix");
  assert(m.authorize(BOB, Op.DESCRIBE, T, "anything"), "wildcard resource");
  assert(!m.authorize(BOB, Op.READ, T, "anything"));
});

Deno.test("acl matcher: principals and hosts with *, DENY wins over ALLOW", () => {
  const m = matcher([
    acl(T, "t", Op.READ, Permission.ALLOW, "User:*"),
    acl(T, "t", Op.READ, Permission.DENY, "User:bob"),
    acl(T, "h", Op.READ, Permission.ALLOW, "User:alice", PatternType.LITERAL, "10.0.0.1"),
    acl(T, "p-", Op.ALL, Permission.DENY, "User:alice", PatternType.PREFIXED),
    acl(T, "p-x", Op.READ, Permission.ALLOW, "User:alice"),
  ]);
  assert(m.authorize(ALICE, Op.READ, T, "t"), "User:* allows alice");
  assert(!m.authorize(BOB, Op.READ, T, "t"), "bob's DENY beats User:*'s ALLOW");
  assert(m.authorize(ALICE, Op.READ, T, "h"), "from 10.0.0.1");
  assert(!m.authorize({ principal: "User:alice", host: "10.9.9.9" }, Op.READ, T, "h"), "other host");
  assert(!m.authorize(ALICE, Op.READ, T, "p-x"), "a prefixed DENY ALL beats a literal ALLOW");
  assert(
    m.authorize({ principal: "Group:x", host: "1.1.1.1" }, Op.READ, T, "t"),
    "User:* matches every principal, as in Kafka",
  );
});

Deno.test("acl matcher: implied operations (ALL; READ/WRITE/DELETE/ALTER imply DESCRIBE; ALTER_CONFIGS implies DESCRIBE_CONFIGS)", () => {
  for (const op of [Op.READ, Op.WRITE, Op.DELETE, Op.ALTER]) {
    const m = matcher([acl(T, "t", op)]);
    assert(m.authorize(ALICE, Op.DESCRIBE, T, "t"), `ALLOW ${op} implies DESCRIBE`);
  }
  assert(!matcher([acl(T, "t", Op.CREATE)]).authorize(ALICE, Op.DESCRIBE, T, "t"), "CREATE does not");
  assert(matcher([acl(T, "t", Op.ALTER_CONFIGS)]).authorize(ALICE, Op.DESCRIBE_CONFIGS, T, "t"));
  assert(!matcher([acl(T, "t", Op.DESCRIBE_CONFIGS)]).authorize(ALICE, Op.ALTER_CONFIGS, T, "t"));
  const all = matcher([acl(T, "t", Op.ALL)]);
  for (const op of [Op.READ, Op.WRITE, Op.CREATE, Op.DELETE, Op.ALTER, Op.DESCRIBE, Op.ALTER_CONFIGS]) {
    assert(all.authorize(ALICE, op, T, "t"), `ALL allows ${op}`);
  }
  // A DENY of READ does not deny DESCRIBE (only DENY DESCRIBE or ALL does), as in Kafka.
  const m = matcher([acl(T, "t", Op.WRITE), acl(T, "t", Op.READ, Permission.DENY)]);
  assert(m.authorize(ALICE, Op.DESCRIBE, T, "t"));
  assert(!m.authorize(ALICE, Op.READ, T, "t"));
});

Deno.test("acl matcher: super users, allow.everyone.if.no.acl.found", () => {
  const acls = [acl(T, "guarded", Op.READ, Permission.DENY, "User:*")];
  const strict = matcher(acls, { supers: ["User:admin"] });
  assert(
    strict.authorize({ principal: "User:admin", host: "h" }, Op.READ, T, "guarded"),
    "super user beats DENY",
  );
  assert(!strict.authorize(ALICE, Op.READ, T, "open"), "no ACL: denied by default");
  const open = matcher(acls, { allowIfNoAcl: true });
  assert(open.authorize(ALICE, Op.READ, T, "open"), "no ACL on the resource: allowed");
  assert(!open.authorize(ALICE, Op.READ, T, "guarded"), "an ACL exists: it decides");
  assert(!open.authorize(ALICE, Op.WRITE, T, "guarded"), "any ACL on the resource turns the default off");
});

Deno.test("acl matcher: some-topic checks (KIP-679 idempotent producers)", () => {
  assert(matcher([acl(T, "x", Op.WRITE)]).authorizeAny(ALICE, Op.WRITE, T));
  assert(
    matcher([acl(T, "x-", Op.WRITE, Permission.ALLOW, "User:alice", PatternType.PREFIXED)]).authorizeAny(
      ALICE,
      Op.WRITE,
      T,
    ),
  );
  assert(!matcher([acl(T, "x", Op.READ)]).authorizeAny(ALICE, Op.WRITE, T));
  assert(
    !matcher([acl(T, "x", Op.WRITE), acl(T, "*", Op.WRITE, Permission.DENY)]).authorizeAny(
      ALICE,
      Op.WRITE,
      T,
    ),
  );
  assert(
    !matcher([
      acl(T, "x1", Op.WRITE),
      acl(T, "x", Op.WRITE, Permission.DENY, "User:alice", PatternType.PREFIXED),
    ]).authorizeAny(ALICE, Op.WRITE, T),
  );
  assert(!matcher([]).authorizeAny(ALICE, Op.WRITE, T));
  assert(matcher([], { allowIfNoAcl: true }).authorizeAny(ALICE, Op.WRITE, T));
});

Deno.test("acl matcher: right decisions among 10,000 ACLs (literal and prefixed, other principals)", () => {
  const acls: AclBinding[] = [];
  for (let i = 0; i < 10_000; i++) acls.push(acl(T, `topic-${i}`, Op.WRITE, Permission.ALLOW, `User:u${i}`));
  acls.push(acl(T, "bench-", Op.WRITE, Permission.ALLOW, "User:alice", PatternType.PREFIXED));
  const m = matcher(acls);
  assert(m.authorize(ALICE, Op.WRITE, T, "bench-1"));
  assert(m.authorize({ principal: "User:u9999", host: "h" }, Op.WRITE, T, "topic-9999"));
  assert(!m.authorize({ principal: "User:u9999", host: "h" }, Op.WRITE, T, "topic-9998"));
});

function filter(f: Partial<AclFilter>): AclFilter {
  return {
    resourceType: ResourceType.ANY,
    resourceName: null,
    patternType: PatternType.ANY,
    principal: null,
    host: null,
    operation: Op.ANY,
    permission: Permission.ANY,
    ...f,
  };
}

Deno.test("acl filters: ANY, MATCH, LITERAL, PREFIXED and the entry fields", () => {
  const lit = acl(T, "orders", Op.READ);
  const wild = acl(T, "*", Op.READ);
  const pre = acl(T, "ord", Op.READ, Permission.ALLOW, "User:alice", PatternType.PREFIXED);
  const grp = acl(G, "orders", Op.READ, Permission.DENY, "User:bob");
  const all = [lit, wild, pre, grp];
  const sel = (f: Partial<AclFilter>) => all.filter((b) => filterMatches(filter(f), b));
  assertEquals(sel({}), all);
  assertEquals(sel({ resourceType: T, resourceName: "orders" }), [lit], "ANY: exact name, any pattern type");
  assertEquals(sel({ resourceType: T, resourceName: "orders", patternType: PatternType.MATCH }), [
    lit,
    wild,
    pre,
  ]);
  assertEquals(sel({ patternType: PatternType.PREFIXED }), [pre]);
  assertEquals(sel({ patternType: PatternType.LITERAL, resourceName: "*" }), [wild]);
  assertEquals(sel({ principal: "User:bob" }), [grp]);
  assertEquals(sel({ permission: Permission.DENY }), [grp]);
  assertEquals(sel({ operation: Op.WRITE }), []);
  assertEquals(sel({ host: "*" }), all);
});

Deno.test("acl creation: what Kafka refuses is refused with a reason", () => {
  assertEquals(bindingProblem(acl(T, "t", Op.READ)), null);
  assert(bindingProblem(acl(ResourceType.ANY, "t", Op.READ))!.includes("not supported"));
  assert(bindingProblem(acl(T, "t", Op.ANY))!.includes("not valid"));
  assert(bindingProblem(acl(T, "t", Op.READ, Permission.ANY))!.includes("ALLOW or DENY"));
  assert(bindingProblem(acl(T, "t", Op.READ, Permission.ALLOW, "alice"))!.includes("Type:name"));
  assert(
    bindingProblem(acl(T, "t", Op.READ, Permission.ALLOW, "User:a", PatternType.MATCH))!.includes("LITERAL"),
  );
  assert(bindingProblem(acl(ResourceType.CLUSTER, "c", Op.ALTER))!.includes("kafka-cluster"));
  assertEquals(bindingProblem(acl(ResourceType.CLUSTER, "kafka-cluster", Op.ALTER)), null);
  assertEquals(
    [...superUsers({ superUsers: "User:a;User:CN=x,O=y" })],
    ["User:a", "User:CN=x,O=y"],
    "Kafka's ;",
  );
  assertEquals([...superUsers({ superUsers: "User:a, User:CN=x,O=y,User:b" })], [
    "User:a",
    "User:CN=x,O=y",
    "User:b",
  ]);
  let err = "";
  try {
    superUsers({ superUsers: "admin" });
  } catch (e) {
    err = (e as Error).message;
  }
  assert(err.includes("--super-users"), err);
});

Deno.test("acl store: durable, compare-and-set between two stores, a change seen by the other's poll", async () => {
  const dir = await Deno.makeTempDir({ prefix: "acl_store_test_" });
  const opts = { superUsers: new Set<string>(), allowIfNoAcl: false };
  // One document store, as on one backend (compare-and-set is the backend's; two gateways share a filer).
  const docs = new EmbeddedDocuments(dir);
  const a = new AclStore(docs, opts, logger("test"), 0);
  const b = new AclStore(docs, opts, logger("test"), 50);
  try {
    await a.load();
    await b.load();
    b.start();
    // Concurrent writers from the same version: neither loses the other's ACL.
    await Promise.all([
      a.update((acls) => void acls.push(acl(T, "x", Op.READ))),
      b.update((acls) => void acls.push(acl(T, "y", Op.READ))),
    ]);
    await a.update((acls) => void acls.push(acl(T, "x", Op.READ))); // a duplicate is kept once
    assertEquals(a.all().length, 2);
    assert(a.matcher.authorize(ALICE, Op.READ, T, "y"), "a sees b's ACL after its own write");
    const deadline = Date.now() + 2000;
    while (b.all().length !== 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert(b.matcher.authorize(ALICE, Op.READ, T, "x"), "b's poll picked up a's ACL");
    const c = new AclStore(new EmbeddedDocuments(dir), opts, logger("test"), 0);
    await c.load();
    assertEquals(c.all().map((x) => x.resourceName).sort(), ["x", "y"], "read back by a new store");
    await a.update((acls) => void acls.splice(0));
    const again = new AclStore(new EmbeddedDocuments(dir), opts, logger("test"), 0);
    await again.load();
    assertEquals(again.all().length, 0);
  } finally {
    b.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
