// ACLs on the SeaweedMQ backend live in the filer, shared by every gateway of the namespace: an ACL created
// through one gateway (confluent-kafka's create_acls) is enforced by a second gateway within 5 s, and so is its
// deletion through the second; a restarted gateway reads the same ACLs back.
import { assert, assertEquals } from "../unit/assert.ts";
import { type RunningGateway, startGateway } from "../helpers/gateway.ts";
import { clusterForModule } from "../helpers/seaweedfs.ts";
import { pythonPath, requireTool } from "../helpers/tools.ts";

const cluster = await clusterForModule();
const opts = { sanitizeOps: false, sanitizeResources: false };
const PYTHON = pythonPath();
const SCRIPT = new URL("../conformance/py/ck_acls.py", import.meta.url).pathname;
const python = await requireTool("confluent-kafka (pip)", PYTHON, ["-c", "import confluent_kafka"]);

// deno-lint-ignore no-explicit-any
type Result = Record<string, any>;

async function ck(gw: RunningGateway, op: Record<string, unknown>): Promise<Result> {
  const out = await new Deno.Command(PYTHON, {
    args: [SCRIPT, gw.bootstrap],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = out.stdin.getWriter();
  await w.write(new TextEncoder().encode(JSON.stringify([op])));
  await w.close();
  const r = await out.output();
  const text = new TextDecoder().decode(r.stdout).trim();
  if (text === "") throw new Error(`ck_acls.py printed nothing:\n${new TextDecoder().decode(r.stderr)}`);
  return JSON.parse(text);
}

/** Polls `check` until it holds; returns the ms it took, or throws after `ms`. */
async function within(ms: number, what: string, check: () => Promise<boolean>): Promise<number> {
  const t0 = Date.now();
  while (!await check()) {
    if (Date.now() - t0 > ms) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return Date.now() - t0;
}

const ANON_WRITE = { type: "TOPIC", name: "guarded", principal: "User:ANONYMOUS", operation: "WRITE" };

if (cluster !== null) {
  Deno.test({
    name:
      "seaweedmq acl: an ACL created through one gateway is enforced by another within 5 s, and its deletion",
    ignore: python.ignore,
    ...opts,
    fn: async () => {
      const namespace = `kafka_acl${Date.now().toString(36)}`;
      const dirA = await Deno.makeTempDir({ prefix: "kgw-acl-a-" });
      const dirB = await Deno.makeTempDir({ prefix: "kgw-acl-b-" });
      // Unprotected resources stay open (so User:ANONYMOUS may manage ACLs); "guarded" gets ACLs.
      const args = (id: number, extra: string[] = []) => [
        ...cluster.gatewayArgs,
        "--seaweedmq-namespace",
        namespace,
        "--node-id",
        String(id),
        "--authorizer",
        "acl",
        "--allow-everyone-if-no-acl-found",
        "true",
        ...extra,
      ];
      let a = await startGateway({ dataDir: dirA, args: args(1) });
      const b = await startGateway({ dataDir: dirB, args: args(2) });
      const produce = async (gw: RunningGateway) =>
        (await ck(gw, { op: "produce", topic: "guarded", value: "v" })).error;
      try {
        assertEquals((await ck(a, { op: "create_topic", topic: "guarded" })).error, null);
        assertEquals(
          (await ck(b, { op: "produce", topic: "guarded", value: "open" })).error,
          null,
          "no ACL yet",
        );
        const alice = { type: "TOPIC", name: "guarded", principal: "User:alice", operation: "ALL" };
        assertEquals((await ck(a, { op: "create_acls", acls: [alice] })).error, null);
        const refused = await within(
          5000,
          "gateway 2 refusing after gateway 1's create_acls",
          async () => await produce(b) === "TOPIC_AUTHORIZATION_FAILED",
        );
        assertEquals((await ck(a, { op: "create_acls", acls: [ANON_WRITE] })).error, null);
        const allowed = await within(
          5000,
          "gateway 2 allowing after gateway 1's create_acls",
          async () => await produce(b) === null,
        );
        const del = await ck(b, { op: "delete_acls", filters: [{ principal: "User:ANONYMOUS" }] });
        assertEquals(del.deleted[0].length, 1);
        const again = await within(
          5000,
          "gateway 1 refusing after gateway 2's delete_acls",
          async () => await produce(a) === "TOPIC_AUTHORIZATION_FAILED",
        );
        console.log(
          `seaweedmq acl: enforced on the other gateway within ${refused} / ${allowed} / ${again} ms (from the answer to the change to the first produce that shows it; gateways re-read the ACLs every second)`,
        );
        // A restart reads the filer's ACLs: alice's is there, User:ANONYMOUS is still refused.
        await a.stop();
        a = await startGateway({ dataDir: dirA, args: args(1, ["--listen", `127.0.0.1:${a.port}`]) });
        const described = await ck(a, { op: "describe_acls", filter: {} });
        assertEquals(described.acls.map((x: Result) => x.principal), ["User:alice"]);
        assert(await produce(a) === "TOPIC_AUTHORIZATION_FAILED");
      } finally {
        await a.stop();
        await b.stop();
        await Deno.remove(dirA, { recursive: true }).catch(() => {});
        await Deno.remove(dirB, { recursive: true }).catch(() => {});
      }
    },
  });
  Deno.test({ name: "seaweedmq acl: stop the SeaweedFS cluster", ...opts, fn: () => cluster.stop() });
}
