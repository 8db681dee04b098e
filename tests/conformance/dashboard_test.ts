// The dashboard in headless Chromium (Debian's chromium driven by npm:playwright-core, in the fixture
// dashboard_browser.ts): KafkaJS produces and two members consume in a group, then pause so lag builds up; the
// page must show the partition -> member assignment and the lag per partition the JSON API reports, follow a
// change live (no reload), fit a laptop screen and render without script or CSP errors. A full-page screenshot
// is saved to .artifacts/dashboard.png (KGW_ARTIFACTS overrides the directory). A KIP-848 group (confluent-kafka
// members with group.protocol=consumer) must show its type, server assignor and epochs, and each member's epoch,
// reconciliation state and partitions as /api/v1/groups reports them.
import { assert, assertEquals } from "../unit/assert.ts";
import { startGateway } from "../helpers/gateway.ts";
import { Kafka, logLevel } from "../helpers/kafkajs.ts";
import { requireTool } from "../helpers/tools.ts";
import { type ApiGroup, getJson, waitFor, waitForLags } from "../helpers/ops.ts";
import { consumerGroupArgs, Member, requireConsumerProtocolClient } from "../helpers/consumer_protocol.ts";

const CHROMIUM = Deno.env.get("KGW_CHROMIUM") ?? "/usr/bin/chromium";
const chromiumTool = await requireTool("chromium", CHROMIUM, ["--version"]);
const ARTIFACTS = Deno.env.get("KGW_ARTIFACTS") ?? new URL("../../.artifacts", import.meta.url).pathname;
const DRIVER = new URL("./fixtures/dashboard_browser.ts", import.meta.url).pathname;
const CONSUMER_GROUP_DRIVER =
  new URL("./fixtures/dashboard_consumer_group_browser.ts", import.meta.url).pathname;
const GATEWAY_ARGS = ["--group-initial-rebalance-delay-ms", "0", "--group-min-session-timeout-ms", "1000"];
const CONSUMER = {
  sessionTimeout: 6000,
  rebalanceTimeout: 8000,
  heartbeatInterval: 300,
  maxWaitTimeInMs: 100,
};

Deno.test({
  name: "dashboard: headless Chromium shows the group's partition -> member assignment and lag, live",
  ignore: chromiumTool.ignore,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const gw = await startGateway({ args: GATEWAY_ARGS });
    const http = gw.httpPort!;
    const topic = "dash-orders";
    const group = "dash-group";
    const kafka = (clientId: string) =>
      new Kafka({ clientId, brokers: [gw.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 5 } });
    const admin = kafka("dash-admin").admin();
    const producer = kafka("dash-producer").producer();
    const consumers = ["dash-a", "dash-b"].map((id) => kafka(id).consumer({ groupId: group, ...CONSUMER }));
    const userDataDir = await Deno.makeTempDir({ prefix: "kgw-chromium-" });
    let driver: Deno.ChildProcess | null = null;
    try {
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] });
      await producer.connect();
      const produce = (counts: number[]) =>
        producer.send({
          topic,
          acks: -1,
          messages: counts.flatMap((n, p) =>
            Array.from({ length: n }, (_, i) => ({ partition: p, value: `v${p}-${i}-${Date.now()}` }))
          ),
        });
      await produce([10, 10, 10]);
      for (const c of consumers) {
        await c.connect();
        await c.subscribe({ topic, fromBeginning: true });
        await c.run({ eachMessage: () => Promise.resolve() });
      }
      // Both members own partitions and everything is consumed and committed.
      await waitFor("2 members sharing 3 partitions with lag 0", async () => {
        const g = await waitForLags(http, group, topic, [0, 0, 0], 5000).catch(() => undefined);
        return g && g.members.length === 2 && new Set(g.partitions.map((p) => p.clientId)).size === 2
          ? g
          : undefined;
      }, 45000);
      // Paused members stay in the group (heartbeats go on) but fetch nothing: lag builds up.
      for (const c of consumers) c.pause([{ topic }]);
      await produce([4, 2, 0]);
      const g = await waitForLags(http, group, topic, [4, 2, 0]);

      await Deno.mkdir(ARTIFACTS, { recursive: true });
      const shot = `${ARTIFACTS}/dashboard.png`;
      await Deno.remove(shot).catch(() => {});
      driver = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-all", // playwright-core probes /proc at import time
          DRIVER,
          JSON.stringify({
            chromium: CHROMIUM,
            userDataDir,
            url: `http://127.0.0.1:${http}/?refresh=500`, // "/" redirects to /dashboard
            group,
            topic,
            shot,
            expect: {
              owners: g.partitions.map((p) => p.clientId), // partition -> member, as the API says
              lags: [4, 2, 0],
              committed: [10, 10, 10],
              hws: [14, 12, 10],
              totalLag: 6,
              members: ["dash-a", "dash-b"],
              records: 36,
            },
            live: { partition: 2, lag: 3, totalLag: 9 },
          }),
        ],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const child = driver;
      const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      const stderr = new Response(child.stderr).text();
      let buf = "";
      const readLine = async (want: string) => {
        const timer = setTimeout(() => child.kill(), 60000);
        try {
          while (!buf.includes("\n")) {
            const { value, done } = await lines.read();
            if (done) break;
            buf += value;
          }
        } finally {
          clearTimeout(timer);
        }
        const nl = buf.indexOf("\n");
        const line = nl < 0 ? buf : buf.slice(0, nl);
        buf = nl < 0 ? "" : buf.slice(nl + 1);
        if (line.trim() !== want) {
          throw new Error(`browser driver: expected "${want}", got "${line.trim()}"\n${await stderr}`);
        }
      };
      await readLine("initial ok");
      // Live: 3 more records to partition 2 must show up on the page without a reload.
      await produce([0, 0, 3]);
      const api = await waitForLags(http, group, topic, [4, 2, 3]);
      const w = child.stdin.getWriter();
      await w.write(new TextEncoder().encode("produced\n"));
      await w.close();
      await readLine("done ok");
      assertEquals((await child.status).code, 0);
      driver = null;
      assert((await Deno.stat(shot)).size > 10_000, "screenshot written");
      console.log(`dashboard screenshot: ${shot}`);
      assertEquals(api.partitions.map((p) => p.clientId), g.partitions.map((p) => p.clientId));
      assertEquals((await getJson<ApiGroup>(http, `/api/v1/groups/${group}`)).body.totalLag, 9);
    } catch (e) {
      console.error(gw.logs().split("\n").slice(-40).join("\n"));
      throw e;
    } finally {
      try {
        driver?.kill();
        await driver?.status;
      } catch { /* already gone */ }
      for (const c of consumers) await c.disconnect().catch(() => {});
      await producer.disconnect().catch(() => {});
      await admin.disconnect().catch(() => {});
      await gw.stop();
      await Deno.remove(userDataDir, { recursive: true }).catch(() => {});
    }
  },
});

/** /api/v1/groups/<id> of a KIP-848 group: the fields the dashboard shows for it. */
interface ApiConsumerGroup {
  type: string;
  state: string;
  consumer: { groupEpoch: number; assignmentEpoch: number; assignor: string } | null;
  members: {
    memberId: string;
    clientId: string;
    assignment: { topic: string; partitions: number[] }[] | null;
    consumer?: { memberEpoch: number; protocol: string; reconciliation: string };
  }[];
}

Deno.test({
  name:
    "dashboard: a KIP-848 group shows its type, assignor and epochs, each member's epoch, state and partitions",
  ignore: chromiumTool.ignore,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await requireConsumerProtocolClient();
    const gw = await startGateway({ args: [...GATEWAY_ARGS, ...consumerGroupArgs(6000, 500)] });
    const http = gw.httpPort!;
    const topic = "dash-kip848";
    const group = "dash-kip848-group";
    const admin = new Kafka({ clientId: "dash-admin", brokers: [gw.bootstrap], logLevel: logLevel.NOTHING })
      .admin();
    const members: Member[] = [];
    const userDataDir = await Deno.makeTempDir({ prefix: "kgw-chromium-" });
    try {
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 4 }] });
      for (const id of ["kip-a", "kip-b"]) {
        members.push(new Member(gw, { group, topics: [topic], clientId: id, assignor: "range" }));
      }
      // Both members reconciled (STABLE at the assignment epoch) with two partitions each.
      const g = await waitFor("2 consumer-protocol members, STABLE, 2 partitions each", async () => {
        const { status, body } = await getJson<ApiConsumerGroup>(http, `/api/v1/groups/${group}`);
        if (status !== 200 || body.type !== "consumer" || body.members.length !== 2) return undefined;
        const epoch = body.consumer?.assignmentEpoch;
        const settled = body.members.every((m) =>
          m.consumer?.reconciliation === "STABLE" && m.consumer.memberEpoch === epoch &&
          (m.assignment ?? []).reduce((n, t) => n + t.partitions.length, 0) === 2
        );
        return settled ? body : undefined;
      }, 45000);
      assertEquals(g.consumer!.assignor, "range");
      assertEquals(g.consumer!.groupEpoch, g.consumer!.assignmentEpoch);
      const parts = (m: ApiConsumerGroup["members"][number]) =>
        (m.assignment ?? []).flatMap((t) => t.partitions.map((p) => `${t.topic}-${p}`));
      assertEquals(g.members.flatMap(parts).sort(), [0, 1, 2, 3].map((p) => `${topic}-${p}`));
      assertEquals(g.members.map((m) => m.clientId).sort(), ["kip-a", "kip-b"]);

      const driver = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-all", // playwright-core probes /proc at import time
          CONSUMER_GROUP_DRIVER,
          JSON.stringify({
            chromium: CHROMIUM,
            userDataDir,
            url: `http://127.0.0.1:${http}/dashboard?refresh=500`,
            group,
            expect: {
              type: "consumer group (KIP-848) / range",
              epochs: `epoch ${g.consumer!.groupEpoch} (assignment ${g.consumer!.assignmentEpoch})`,
              members: Object.fromEntries(g.members.map((m) => [m.memberId, {
                line: `epoch ${m.consumer!.memberEpoch} · STABLE · consumer protocol`,
                partitions: parts(m),
              }])),
            },
          }),
        ],
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const timer = setTimeout(() => driver.kill("SIGKILL"), 90_000);
      const out = await driver.output();
      clearTimeout(timer);
      const dec = new TextDecoder();
      assertEquals(
        { code: out.code, stdout: dec.decode(out.stdout).trim() },
        { code: 0, stdout: "ok" },
        `browser driver: ${dec.decode(out.stderr).slice(-3000)}`,
      );
    } catch (e) {
      for (const m of members) console.error(m.report());
      console.error(gw.logs().split("\n").slice(-40).join("\n"));
      throw e;
    } finally {
      for (const m of members) await m.close();
      await admin.disconnect().catch(() => {});
      await gw.stop();
      await Deno.remove(userDataDir, { recursive: true }).catch(() => {});
    }
  },
});
