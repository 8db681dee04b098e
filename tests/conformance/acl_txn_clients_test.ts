// Transactions under ACLs with a real client: confluent-kafka (librdkafka) as User:alice (SCRAM) against a gateway
// with --authorizer acl, the ACLs set up by a super user. What Kafka's KafkaApis asks for: init_transactions needs
// WRITE on the transactional id (DESCRIBE alone, or no ACL at all, gets TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
// with WRITE on the id and the topic a transaction commits (and an aborted one stays invisible to read_committed);
// WRITE on the id but not on the topic fails the transaction with TOPIC_AUTHORIZATION_FAILED (AddPartitionsToTxn);
// send_offsets_to_transaction without READ on the group fails with GROUP_AUTHORIZATION_FAILED (AddOffsetsToTxn),
// with it the group's offset moves on commit only.
import { assertEquals } from "../unit/assert.ts";
import { type RunningGateway, runWithGateway } from "../helpers/gateway.ts";
import { pythonPath, requireTool } from "../helpers/tools.ts";
import { SASL_LISTENER } from "../helpers/sasl.ts";

const PYTHON = pythonPath();
const ADMIN_SCRIPT = new URL("./py/ck_acls.py", import.meta.url).pathname;
const TXN_SCRIPT = new URL("./py/ck_acl_txn.py", import.meta.url).pathname;
const python = await requireTool("confluent-kafka (pip)", PYTHON, ["-c", "import confluent_kafka"]);
const opts = { sanitizeOps: false, sanitizeResources: false, ignore: python.ignore };

// deno-lint-ignore no-explicit-any
type Result = Record<string, any>;

/** Runs `ops` through `script` as `user` (SCRAM-SHA-256); one result per op. */
async function run(
  gw: RunningGateway,
  script: string,
  user: string,
  ops: Record<string, unknown>[],
): Promise<Result[]> {
  const conf = {
    "security.protocol": "SASL_PLAINTEXT",
    "sasl.mechanisms": "SCRAM-SHA-256",
    "sasl.username": user,
    "sasl.password": `${user}-pw`,
  };
  const child = new Deno.Command(PYTHON, {
    args: [script, gw.bootstrap, JSON.stringify(conf)],
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
      `${script} answered ${lines.length}/${ops.length}:\n${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return lines.map((l) => JSON.parse(l));
}

const alice = (type: string, name: string, operation: string) => ({
  type,
  name,
  principal: "User:alice",
  operation,
});

Deno.test({
  name:
    "ACLs on transactions (confluent-kafka): WRITE on the transactional id and topic to commit, READ on the group to send offsets",
  ...opts,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "kgw-acl-txn-" });
    await Deno.writeTextFile(`${dir}/users.json`, JSON.stringify({ admin: "admin-pw", alice: "alice-pw" }));
    try {
      await runWithGateway({
        dataDir: `${dir}/data`,
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
        const setup = await run(gw, ADMIN_SCRIPT, "admin", [
          { op: "create_topic", topic: "txn-out" },
          { op: "create_topic", topic: "txn-in" },
          { op: "create_topic", topic: "txn-ro" },
          { op: "produce", topic: "txn-in", value: "in-0" },
          {
            op: "create_acls",
            acls: [
              alice("TRANSACTIONAL_ID", "tx-ok", "WRITE"),
              alice("TRANSACTIONAL_ID", "tx-describe", "DESCRIBE"),
              alice("TOPIC", "txn-out", "WRITE"),
              alice("TOPIC", "txn-out", "READ"),
              alice("TOPIC", "txn-in", "READ"),
              alice("TOPIC", "txn-ro", "READ"),
              alice("GROUP", "g-ok", "READ"),
              alice("GROUP", "g-denied", "DESCRIBE"),
            ],
          },
        ]);
        assertEquals(setup.map((r) => r.error), [null, null, null, null, null], JSON.stringify(setup));

        const r = await run(gw, TXN_SCRIPT, "alice", [
          // 0, 1: no WRITE on the transactional id (DESCRIBE only; nothing at all: FindCoordinator is refused).
          { op: "txn", txid: "tx-describe", topic: "txn-out", values: ["never"], commit: true },
          { op: "txn", txid: "tx-none", topic: "txn-out", values: ["never"], commit: true },
          // 2, 3: WRITE on the id and the topic: an aborted transaction, then a committed one.
          { op: "txn", txid: "tx-ok", topic: "txn-out", values: ["aborted"], commit: false },
          { op: "txn", txid: "tx-ok", topic: "txn-out", values: ["c1", "c2"], commit: true },
          // 4, 5: what a read_committed and a read_uncommitted reader see.
          { op: "consume", topic: "txn-out", group: "g-ok", isolation: "read_committed" },
          { op: "consume", topic: "txn-out", group: "g-ok", isolation: "read_uncommitted" },
          // 6: WRITE on the id, READ only on the topic.
          { op: "txn", txid: "tx-ok", topic: "txn-ro", values: ["refused"], commit: true },
          // 7: no READ on the group.
          { op: "send_offsets", txid: "tx-ok", group: "g-denied", topic: "txn-in", offset: 1, commit: true },
          // 8-11: READ on the group: committed moves the offset, aborted does not.
          { op: "send_offsets", txid: "tx-ok", group: "g-ok", topic: "txn-in", offset: 1, commit: true },
          { op: "committed", group: "g-ok", topic: "txn-in" },
          { op: "send_offsets", txid: "tx-ok", group: "g-ok", topic: "txn-in", offset: 5, commit: false },
          { op: "committed", group: "g-ok", topic: "txn-in" },
        ]);
        const brief = r.map((x) => [x.error, x.stage]);
        const show = JSON.stringify(r);
        assertEquals(brief[0], ["TRANSACTIONAL_ID_AUTHORIZATION_FAILED", "init"], show);
        assertEquals(brief[1], ["TRANSACTIONAL_ID_AUTHORIZATION_FAILED", "init"], show);
        assertEquals(brief[2], [null, null], show);
        assertEquals(brief[3], [null, null], show);
        assertEquals(r[4].values, ["c1", "c2"], show);
        assertEquals(r[5].values, ["aborted", "c1", "c2"], show);
        assertEquals(brief[6][0], "TOPIC_AUTHORIZATION_FAILED", show);
        assertEquals(brief[7], ["GROUP_AUTHORIZATION_FAILED", "send_offsets"], show);
        assertEquals(brief[8], [null, null], show);
        assertEquals(r[9].offset, 1, show);
        assertEquals(brief[10], [null, null], show);
        assertEquals(r[11].offset, 1, `an aborted transaction's offsets are not committed: ${show}`);
      });
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
