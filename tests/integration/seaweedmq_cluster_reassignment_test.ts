// Partition reassignment on a cluster of three gateways (one real SeaweedFS), with Apache Kafka's own tools as an
// operator runs them: `kafka-reassign-partitions --execute` moves two partitions to other gateways (Metadata then
// names them, under a new leader epoch), `--verify` reports them completed, producers and a consumer group carry on
// and read every record once; a partition placed on a gateway that is killed is led elsewhere meanwhile
// (ListPartitionReassignments shows it in progress, `kafka-leader-election` cannot elect its preferred leader)
// and goes back when that gateway returns; `kafka-leader-election --all-topic-partitions` then finds nothing to do.
import { assert, assertEquals } from "../unit/assert.ts";
import { type RunningGateway, startGateway } from "../helpers/gateway.ts";
import { Kafka, logLevel } from "../helpers/kafkajs.ts";
import { clusterForModule } from "../helpers/seaweedfs.ts";
import { WireClient } from "../helpers/wire.ts";
import { kafkaTool, kafkaToolOk, kafkaTools } from "../helpers/apache_kafka.ts";
import { type MetadataResponse, MetadataSpec } from "../../src/protocol/messages/metadata.ts";
import {
  type ListPartitionReassignmentsResponse,
  ListPartitionReassignmentsSpec,
} from "../../src/protocol/messages/partition_reassignments.ts";
import { freePort } from "../helpers/ports.ts";

const cluster = await clusterForModule();
const tools = await kafkaTools();
const opts = { sanitizeOps: false, sanitizeResources: false };
const LEASE_MS = 3000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Node {
  readonly id: number;
  readonly port: number;
  readonly dataDir: string;
  gw: RunningGateway;
}

function start(ns: string, id: number, port: number, dataDir: string): Promise<RunningGateway> {
  return startGateway({
    dataDir,
    timeoutMs: 60_000,
    args: [
      ...cluster!.gatewayArgs,
      "--seaweedmq-namespace",
      ns,
      "--node-id",
      String(id),
      "--listen",
      `127.0.0.1:${port}`,
      "--lease-timeout-ms",
      String(LEASE_MS),
      "--group-initial-rebalance-delay-ms",
      "0",
      "--group-min-session-timeout-ms",
      "1000",
    ],
  });
}

/** Leader and epoch of each partition of `topic`, as `gw` answers Metadata. */
async function leaders(gw: RunningGateway, topic: string): Promise<{ leader: number; epoch: number }[]> {
  const c = await WireClient.connect(gw.port);
  try {
    const md = await c.call<MetadataResponse>(MetadataSpec, 9, {
      topics: [{ topicId: "0".repeat(32), name: topic }],
      allowAutoTopicCreation: false,
    });
    return md.topics[0].partitions.sort((a, b) => a.partitionIndex - b.partitionIndex)
      .map((p) => ({ leader: p.leaderId, epoch: p.leaderEpoch ?? -1 }));
  } finally {
    c.close();
  }
}

async function until<T>(what: string, fn: () => Promise<T | null>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown = null;
  for (;;) {
    try {
      const v = await fn();
      if (v !== null) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms${last ? ` (${last})` : ""}`);
    await sleep(250);
  }
}

async function ongoing(gw: RunningGateway): Promise<[string, number, number[], number[], number[]][]> {
  const c = await WireClient.connect(gw.port);
  try {
    const r = await c.call<ListPartitionReassignmentsResponse>(ListPartitionReassignmentsSpec, 0, {
      timeoutMs: 5000,
      topics: null,
    });
    return r.topics.flatMap((t) =>
      t.partitions.map((p): [string, number, number[], number[], number[]] => [
        t.name,
        p.partitionIndex,
        p.replicas,
        p.addingReplicas,
        p.removingReplicas,
      ])
    );
  } finally {
    c.close();
  }
}

Deno.test({
  name: "cluster reassignment: Kafka's tools move partitions between gateways; a placed partition comes back",
  ignore: cluster === null || tools.ignore,
  ...opts,
  fn: async () => {
    const ns = `kafka_ra_${Date.now().toString(36)}`;
    const nodes: Node[] = [];
    for (let id = 1; id <= 3; id++) {
      const port = freePort();
      const dataDir = await Deno.makeTempDir({ prefix: `kgw-ra-${id}-` });
      nodes.push({ id, port, dataDir, gw: await start(ns, id, port, dataDir) });
    }
    const dir = await Deno.makeTempDir({ prefix: "kgw-ra-plan-" });
    const all = () => nodes.map((n) => n.gw.bootstrap).join(",");
    try {
      const bs = nodes[1].gw.bootstrap; // the tools talk to gateway 2, whichever is the controller
      await kafkaToolOk("kafka-topics", [
        "--bootstrap-server",
        bs,
        "--create",
        "--topic",
        "ra",
        "--partitions",
        "6",
      ]);
      const before = await until("6 leaders", async () => {
        const l = await leaders(nodes[0].gw, "ra");
        return l.length === 6 && l.every((x) => x.leader > 0) ? l : null;
      });
      const kafka = new Kafka({ clientId: "ra", brokers: all().split(","), logLevel: logLevel.NOTHING });
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      const sent = new Set<string>();
      const send = async (from: number) => {
        for (let i = from; i < from + 60; i++) {
          await producer.send({ topic: "ra", acks: -1, messages: [{ partition: i % 6, value: `m${i}` }] });
          sent.add(`m${i}`);
        }
      };
      await send(0);

      // Move one partition of gateway 1 to gateway 3 and one of gateway 2 to gateway 1.
      const p = before.findIndex((x) => x.leader === 1);
      const q = before.findIndex((x) => x.leader === 2);
      assert(p >= 0 && q >= 0, `leaders ${JSON.stringify(before)}`);
      const plan = `${dir}/plan.json`;
      await Deno.writeTextFile(
        plan,
        JSON.stringify({
          version: 1,
          partitions: [
            { topic: "ra", partition: p, replicas: [3], log_dirs: ["any"] },
            { topic: "ra", partition: q, replicas: [1], log_dirs: ["any"] },
          ],
        }),
      );
      const exec = await kafkaToolOk("kafka-reassign-partitions", [
        "--bootstrap-server",
        bs,
        "--reassignment-json-file",
        plan,
        "--execute",
      ]);
      assert(exec.includes("Successfully started partition reassignment"), exec);
      const verified = await until("--verify completed", async () => {
        const out = await kafkaToolOk("kafka-reassign-partitions", [
          "--bootstrap-server",
          bs,
          "--reassignment-json-file",
          plan,
          "--verify",
        ]);
        return out.includes(`Reassignment of partition ra-${p} is completed`) &&
            out.includes(`Reassignment of partition ra-${q} is completed`)
          ? out
          : null;
      });
      assert(!verified.includes("still in progress"), verified);
      // Every gateway says so, each moved partition under a new leader epoch; the others did not move.
      for (const n of nodes) {
        const now = await until(`gateway ${n.id} agrees`, async () => {
          const l = await leaders(n.gw, "ra");
          return l[p].leader === 3 && l[q].leader === 1 ? l : null;
        });
        assert(now[p].epoch > before[p].epoch && now[q].epoch > before[q].epoch, JSON.stringify(now));
        for (let i = 0; i < 6; i++) if (i !== p && i !== q) assertEquals(now[i].leader, before[i].leader);
      }
      assertEquals(await ongoing(nodes[0].gw), []);
      const listed = await kafkaToolOk("kafka-reassign-partitions", ["--bootstrap-server", bs, "--list"]);
      assert(listed.includes("No partition reassignments found"), listed);

      // The producer carries on; a group reads every record once.
      await send(60);
      await producer.disconnect();
      const consumer = kafka.consumer({ groupId: "ra-g", sessionTimeout: 6000, heartbeatInterval: 300 });
      await consumer.connect();
      await consumer.subscribe({ topic: "ra", fromBeginning: true });
      const got: string[] = [];
      await consumer.run({
        eachMessage: ({ message }) => {
          got.push(message.value!.toString());
          return Promise.resolve();
        },
      });
      await until("120 records consumed", () => Promise.resolve(got.length >= sent.size ? got : null));
      await consumer.disconnect();
      assertEquals(got.length, 120, "each record once");
      assertEquals(new Set(got), sent);

      // Gateway 3 (leading p by placement) is killed: p is led elsewhere meanwhile, listed as in progress, and
      // its preferred leader cannot be elected.
      await nodes[2].gw.kill();
      const meanwhile = await until("p led by a live gateway", async () => {
        const l = await leaders(nodes[0].gw, "ra");
        return l[p].leader === 1 || l[p].leader === 2 ? l : null;
      }, LEASE_MS + 20_000);
      const progress = await ongoing(nodes[0].gw);
      assertEquals(progress, [["ra", p, [3, meanwhile[p].leader], [3], [meanwhile[p].leader]]]);
      const election = await kafkaTool("kafka-leader-election", [
        "--bootstrap-server",
        bs,
        "--election-type",
        "preferred",
        "--topic",
        "ra",
        "--partition",
        String(p),
      ]);
      assert(
        `${election.stdout}${election.stderr}`.includes("PreferredLeaderNotAvailable"),
        `${election.stdout}${election.stderr}`,
      );
      // Gateway 3 returns (same node id and port): p goes back to it.
      nodes[2].gw = await start(ns, 3, nodes[2].port, nodes[2].dataDir);
      await until("p back on gateway 3", async () => {
        const l = await leaders(nodes[0].gw, "ra");
        return l[p].leader === 3 ? l : null;
      }, LEASE_MS + 20_000);
      await until("nothing in progress", async () => (await ongoing(nodes[1].gw)).length === 0 ? true : null);
      const none = await kafkaToolOk("kafka-leader-election", [
        "--bootstrap-server",
        bs,
        "--election-type",
        "preferred",
        "--all-topic-partitions",
      ]);
      // Kafka's controller leaves out the partitions that need no election: the tool has nothing to report.
      assert(!none.includes("Successfully completed leader election"), none);
      // --generate proposes a plan from Metadata, one replica per partition as the topic has.
      const topicsFile = `${dir}/topics.json`;
      await Deno.writeTextFile(topicsFile, JSON.stringify({ version: 1, topics: [{ topic: "ra" }] }));
      const proposed = await kafkaToolOk("kafka-reassign-partitions", [
        "--bootstrap-server",
        bs,
        "--topics-to-move-json-file",
        topicsFile,
        "--broker-list",
        "1,2,3",
        "--generate",
      ]);
      const json = proposed.split("\n").filter((l) => l.startsWith("{"));
      const proposal = JSON.parse(json[json.length - 1]) as { partitions: { replicas: number[] }[] };
      assertEquals(proposal.partitions.length, 6);
      assert(proposal.partitions.every((x) => x.replicas.length === 1), proposed);
    } catch (e) {
      for (const n of nodes) {
        console.error(`--- gateway ${n.id} ---\n${n.gw.logs().split("\n").slice(-40).join("\n")}`);
      }
      throw e;
    } finally {
      await Promise.all(nodes.map((n) => n.gw.stop()));
      for (const n of nodes) await Deno.remove(n.dataDir, { recursive: true }).catch(() => {});
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

if (cluster) {
  Deno.test({
    name: "cluster reassignment: stop the SeaweedFS cluster of this module",
    ...opts,
    fn: () => cluster.stop(),
  });
}
