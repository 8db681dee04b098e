// ACL authorization with a real client: confluent-kafka (librdkafka) creates, describes and deletes ACLs through
// the admin API against a gateway with --authorizer acl, and its producer and consumer are refused, allowed once
// the ACLs exist, and refused again after delete_acls; Metadata lists only the topics the principal may
// DESCRIBE; the ACLs survive a restart. Every connection here is PLAINTEXT, so the principal is User:ANONYMOUS.
// With --authorizer none the ACL APIs answer SECURITY_DISABLED.
import { assert, assertEquals } from "../unit/assert.ts";
import { type RunningGateway, runWithGateway, startGateway } from "../helpers/gateway.ts";
import { pythonPath, requireTool } from "../helpers/tools.ts";
import { WireClient } from "../helpers/wire.ts";
import { SASL_LISTENER } from "../helpers/sasl.ts";
import { type DescribeAclsResponse, DescribeAclsSpec } from "../../src/protocol/messages/describe_acls.ts";
import { ErrorCode } from "../../src/protocol/errors.ts";

const PYTHON = pythonPath();
const SCRIPT = new URL("./py/ck_acls.py", import.meta.url).pathname;
const python = await requireTool("confluent-kafka (pip)", PYTHON, ["-c", "import confluent_kafka"]);
const opts = { sanitizeOps: false, sanitizeResources: false, ignore: python.ignore };

// deno-lint-ignore no-explicit-any
type Result = Record<string, any>;

async function ck(
  gw: RunningGateway,
  ops: Record<string, unknown>[],
  conf: Record<string, string> = {},
): Promise<Result[]> {
  const child = new Deno.Command(PYTHON, {
    args: [SCRIPT, gw.bootstrap, JSON.stringify(conf)],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(JSON.stringify(ops)));
  await w.close();
  const out = await child.output();
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n").filter((l) => l !== "");
  if (lines.length !== ops.length) {
    throw new Error(
      `ck_acls.py answered ${lines.length}/${ops.length}:\n${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return lines.map((l) => JSON.parse(l));
}

const ANON = "User:ANONYMOUS";
const ANON_ACL = { type: "TOPIC", name: "ledger", principal: ANON, operation: "WRITE" };
const aliceOnGuarded = [
  { type: "TOPIC", name: "guarded", principal: "User:alice", operation: "ALL" },
  { type: "GROUP", name: "g-", pattern: "PREFIXED", principal: "User:alice", operation: "READ" },
];
const anonOnGuarded = [
  { type: "TOPIC", name: "guarded", principal: ANON, operation: "WRITE" },
  { type: "TOPIC", name: "guard", pattern: "PREFIXED", principal: ANON, operation: "READ" },
  { type: "GROUP", name: "g-", pattern: "PREFIXED", principal: ANON, operation: "READ" },
];

Deno.test({
  name:
    "ACLs (confluent-kafka): refused, allowed after create_acls, refused after delete_acls; Metadata filtered; durable",
  ...opts,
  fn: async () => {
    const dataDir = await Deno.makeTempDir({ prefix: "kgw-acl-" });
    // Resources without ACLs stay open (the cluster too, so User:ANONYMOUS may manage ACLs and topics); a topic
    // with ACLs is open only to whom they allow.
    const args = ["--authorizer", "acl", "--allow-everyone-if-no-acl-found", "true"];
    try {
      await runWithGateway({ dataDir, args }, async (gw) => {
        const setup = await ck(gw, [
          { op: "create_topic", topic: "guarded" },
          { op: "create_topic", topic: "open" },
          { op: "create_acls", acls: aliceOnGuarded },
          { op: "produce", topic: "open", value: "o1" },
          { op: "produce", topic: "guarded", value: "refused" },
          { op: "consume", topic: "guarded", group: "g-1" },
          { op: "topics" },
        ]);
        assertEquals(setup.slice(0, 4).map((r) => r.error), [null, null, null, null]);
        assertEquals(setup[4].error, "TOPIC_AUTHORIZATION_FAILED");
        assert(
          ["TOPIC_AUTHORIZATION_FAILED", "GROUP_AUTHORIZATION_FAILED"].includes(setup[5].error),
          JSON.stringify(setup[5]),
        );
        assertEquals(
          setup[6].topics,
          ["open"],
          "guarded is hidden from a principal that may not DESCRIBE it",
        );

        const allowed = await ck(gw, [
          { op: "create_acls", acls: anonOnGuarded },
          { op: "produce", topic: "guarded", value: "v1" },
          { op: "consume", topic: "guarded", group: "g-1" },
          { op: "topics" },
          { op: "describe_acls", filter: { principal: ANON } },
          { op: "describe_acls", filter: { type: "TOPIC", name: "guarded", pattern: "MATCH" } },
          { op: "describe_acls", filter: { pattern: "PREFIXED" } },
        ]);
        assertEquals(allowed.slice(0, 3).map((r) => r.error), [null, null, null], JSON.stringify(allowed));
        assertEquals(allowed[2].values, ["v1"]);
        assertEquals(allowed[3].topics, ["guarded", "open"]);
        assertEquals(allowed[4].acls.length, 3);
        assertEquals(
          allowed[5].acls.map((a: Result) => `${a.principal} ${a.pattern} ${a.name} ${a.operation}`).sort(),
          [
            "User:ANONYMOUS LITERAL guarded WRITE",
            "User:ANONYMOUS PREFIXED guard READ",
            "User:alice LITERAL guarded ALL",
          ],
          "MATCH: the literal, and the prefix that covers the name",
        );
        assertEquals(allowed[6].acls.map((a: Result) => a.name).sort(), ["g-", "g-", "guard"]);

        const removed = await ck(gw, [
          { op: "delete_acls", filters: [{ principal: ANON, type: "TOPIC" }, { name: "nothing" }] },
          { op: "produce", topic: "guarded", value: "refused again" },
          { op: "topics" },
        ]);
        assertEquals(removed[0].error, null);
        assertEquals(removed[0].deleted[0].map((a: Result) => a.operation).sort(), ["READ", "WRITE"]);
        assertEquals(removed[0].deleted[1], []);
        assertEquals(removed[1].error, "TOPIC_AUTHORIZATION_FAILED");
        assertEquals(removed[2].topics, ["open"]);
      });
      // A restart reads the same ACLs back: alice's and the group ACL stay, the deleted ones stay deleted.
      await runWithGateway({ dataDir, args }, async (gw) => {
        const [acls, produce] = await ck(gw, [
          { op: "describe_acls", filter: {} },
          { op: "produce", topic: "guarded", value: "still refused" },
        ]);
        assertEquals(
          acls.acls.map((a: Result) => `${a.principal} ${a.type} ${a.name}`).sort(),
          ["User:ANONYMOUS GROUP g-", "User:alice GROUP g-", "User:alice TOPIC guarded"],
        );
        assertEquals(produce.error, "TOPIC_AUTHORIZATION_FAILED");
      });
    } finally {
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name: "ACLs (confluent-kafka): without allow-everyone nothing is allowed; the ACL APIs need Cluster ALTER",
  ...opts,
  fn: () =>
    runWithGateway({ args: ["--authorizer", "acl", "--super-users", "User:admin"] }, async (gw) => {
      const r = await ck(gw, [
        { op: "create_acls", acls: anonOnGuarded },
        { op: "create_topic", topic: "t" },
        { op: "produce", topic: "t", value: "x" },
        { op: "topics" },
      ]);
      assertEquals(r.map((x) => x.error), [
        "CLUSTER_AUTHORIZATION_FAILED",
        "TOPIC_AUTHORIZATION_FAILED",
        "TOPIC_AUTHORIZATION_FAILED",
        null,
      ]);
      assertEquals(r[3].topics, []);
    }),
});

Deno.test({
  name: "ACLs (confluent-kafka): with --authorizer none the ACL APIs answer SECURITY_DISABLED",
  ...opts,
  fn: async () => {
    const gw = await startGateway();
    try {
      const r = await ck(gw, [
        { op: "create_acls", acls: anonOnGuarded.slice(0, 1) },
        { op: "delete_acls", filters: [{}] },
        { op: "create_topic", topic: "free" },
      ]);
      assertEquals(r.map((x) => x.error), ["SECURITY_DISABLED", "SECURITY_DISABLED", null]);
      // confluent-kafka's describe_acls does not raise DescribeAcls' top-level error: checked on the wire.
      const c = await WireClient.connect(gw.port);
      try {
        const d = await c.call<DescribeAclsResponse>(DescribeAclsSpec, 3, {
          resourceTypeFilter: 1,
          resourceNameFilter: null,
          patternTypeFilter: 1,
          principalFilter: null,
          hostFilter: null,
          operation: 1,
          permissionType: 1,
        });
        assertEquals([d.errorCode, d.errorMessage?.includes("--authorizer acl")], [
          ErrorCode.SECURITY_DISABLED,
          true,
        ]);
      } finally {
        c.conn.close();
      }
    } finally {
      await gw.stop();
      await Deno.remove(gw.dataDir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name: "ACLs (confluent-kafka): SASL principals (SCRAM) are authorized by their own ACLs; super users pass",
  ...opts,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "kgw-acl-sasl-" });
    await Deno.writeTextFile(
      `${dir}/users.json`,
      JSON.stringify({ admin: "admin-pw", alice: "alice-pw", bob: "bob-pw" }),
    );
    const as = (user: string) => ({
      "security.protocol": "SASL_PLAINTEXT",
      "sasl.mechanisms": "SCRAM-SHA-256",
      "sasl.username": user,
      "sasl.password": `${user}-pw`,
    });
    try {
      await runWithGateway({
        dataDir: dir,
        args: [
          ...SASL_LISTENER,
          "--sasl-users",
          `${dir}/users.json`,
          "--authorizer",
          "acl",
          "--super-users",
          "User:admin",
        ],
      }, async (gw) => {
        const admin = await ck(gw, [
          { op: "create_topic", topic: "ledger" },
          {
            op: "create_acls",
            acls: [
              { type: "TOPIC", name: "ledger", principal: "User:alice", operation: "WRITE" },
              {
                type: "TOPIC",
                name: "ledger",
                principal: "User:bob",
                operation: "WRITE",
                permission: "DENY",
              },
              { type: "TOPIC", name: "ledger", principal: "User:*", operation: "DESCRIBE" },
            ],
          },
        ], as("admin"));
        assertEquals(admin.map((r) => r.error), [null, null]);
        const [alice] = await ck(gw, [{ op: "produce", topic: "ledger", value: "a" }], as("alice"));
        assertEquals(alice.error, null, "User:alice may WRITE");
        const bob = await ck(gw, [
          { op: "produce", topic: "ledger", value: "b" },
          { op: "topics" },
          { op: "create_acls", acls: [{ ...ANON_ACL, principal: "User:bob" }] },
        ], as("bob"));
        assertEquals(bob.map((r) => r.error), [
          "TOPIC_AUTHORIZATION_FAILED",
          null,
          "CLUSTER_AUTHORIZATION_FAILED",
        ]);
        assertEquals(bob[1].topics, ["ledger"], "User:* DESCRIBE lists it");
      });
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
