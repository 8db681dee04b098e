// SCRAM credentials on the SeaweedMQ backend live in the filer, shared by every gateway of the namespace: a user
// created through one gateway (AlterUserScramCredentials from confluent-kafka) authenticates on a second gateway
// within 5 s, and its deletion takes effect there as fast; a restart of the first gateway keeps the user.
import { assert, assertEquals } from "../unit/assert.ts";
import { type RunningGateway, startGateway } from "../helpers/gateway.ts";
import { clusterForModule } from "../helpers/seaweedfs.ts";
import { pythonPath, requireTool } from "../helpers/tools.ts";
import { SASL_LISTENER } from "../helpers/sasl.ts";

const cluster = await clusterForModule();
const opts = { sanitizeOps: false, sanitizeResources: false };
const PYTHON = pythonPath();
const DRIVER = new URL("../conformance/py/sasl_clients.py", import.meta.url).pathname;
const python = await requireTool("confluent-kafka (pip)", PYTHON, ["-c", "import confluent_kafka"]);
const kcat = await requireTool("kcat", "kcat", ["-V"]);

async function py(op: Record<string, unknown>): Promise<Record<string, unknown>> {
  const out = await new Deno.Command(PYTHON, {
    args: [DRIVER, JSON.stringify(op)],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const text = new TextDecoder().decode(out.stdout).trim();
  if (text === "") {
    throw new Error(`sasl_clients.py printed nothing:\n${new TextDecoder().decode(out.stderr)}`);
  }
  return JSON.parse(text.split("\n").at(-1)!);
}

async function login(gw: RunningGateway, user: string, password: string): Promise<boolean> {
  const r = await new Deno.Command(kcat.path, {
    args: [
      "-b",
      gw.bootstrap,
      "-L",
      "-m",
      "3",
      "-X",
      "security.protocol=SASL_PLAINTEXT",
      "-X",
      "sasl.mechanisms=SCRAM-SHA-512",
      "-X",
      `sasl.username=${user}`,
      "-X",
      `sasl.password=${password}`,
    ],
    stdout: "null",
    stderr: "null",
  }).output();
  return r.success;
}

/** Polls `check` every 250 ms until it holds; returns the ms it took, or throws after `ms`. */
async function within(ms: number, what: string, check: () => Promise<boolean>): Promise<number> {
  const t0 = Date.now();
  while (!await check()) {
    if (Date.now() - t0 > ms) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return Date.now() - t0;
}

if (cluster !== null) {
  Deno.test({
    name: "seaweedmq sasl: a user created through one gateway authenticates on another within 5 s",
    ignore: python.ignore || kcat.ignore,
    ...opts,
    fn: async () => {
      const namespace = `kafka_sasl${Date.now().toString(36)}`;
      const dirA = await Deno.makeTempDir({ prefix: "kgw-sasl-a-" });
      const dirB = await Deno.makeTempDir({ prefix: "kgw-sasl-b-" });
      await Deno.writeTextFile(`${dirA}/users.json`, JSON.stringify({ admin: "admin-secret" }));
      const args = (id: number, extra: string[] = []) => [
        ...SASL_LISTENER,
        ...cluster.gatewayArgs,
        "--seaweedmq-namespace",
        namespace,
        "--node-id",
        String(id),
        ...extra,
      ];
      let a = await startGateway({
        dataDir: dirA,
        args: args(1, ["--sasl-users", `${dirA}/users.json`]),
      });
      const b = await startGateway({ dataDir: dirB, args: args(2) });
      try {
        assert(
          await within(5000, "the seeded admin on gateway 2", () => login(b, "admin", "admin-secret")) < 5000,
        );
        const conf = {
          "security.protocol": "SASL_PLAINTEXT",
          "sasl.mechanisms": "SCRAM-SHA-256",
          "sasl.username": "admin",
          "sasl.password": "admin-secret",
        };
        const created = await py({
          client: "ck_admin",
          bootstrap: a.bootstrap,
          conf,
          op: "alter",
          upsertions: [["erin", "SCRAM-SHA-512", "erin-pw", 4096]],
        });
        assertEquals(created.results, { erin: null });
        const ms = await within(5000, "erin on gateway 2", () => login(b, "erin", "erin-pw"));
        console.log(`seaweedmq sasl: a user created on gateway 1 authenticated on gateway 2 after ${ms} ms`);
        assert(!await login(b, "erin", "wrong"), "a wrong password is still refused");

        // Same port: the cluster's view of node 1 (where admin requests for the controller go) stays right.
        await a.stop();
        a = await startGateway({
          dataDir: dirA,
          args: args(1, ["--listen", `SASL_PLAINTEXT://127.0.0.1:${a.port}`]),
        });
        assert(await login(a, "erin", "erin-pw"), "gateway 1 restarted keeps erin");

        const deleted = await py({
          client: "ck_admin",
          bootstrap: b.bootstrap,
          conf,
          op: "alter",
          deletions: [["erin", "SCRAM-SHA-512"]],
        });
        assertEquals(deleted.results, { erin: null });
        await within(5000, "erin's deletion on gateway 1", async () => !await login(a, "erin", "erin-pw"));
      } catch (e) {
        for (const [name, gw] of [["1", a], ["2", b]] as const) {
          console.error(
            `--- gateway ${name} log (last 80 lines) ---\n${gw.logs().split("\n").slice(-80).join("\n")}`,
          );
        }
        throw e;
      } finally {
        await a.stop();
        await b.stop();
        await Deno.remove(dirA, { recursive: true }).catch(() => {});
        await Deno.remove(dirB, { recursive: true }).catch(() => {});
      }
    },
  });
  Deno.test({ name: "seaweedmq sasl: stop the SeaweedFS cluster", ...opts, fn: () => cluster.stop() });
}
