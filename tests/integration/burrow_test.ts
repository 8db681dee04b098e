// Issue 17: Burrow (Debian's burrow 1.2.1, LinkedIn's lag monitor) against the gateway, on both backends. Burrow
// learns committed offsets only by consuming `__consumer_offsets` (Kafka's record formats) and broker offsets by
// ListOffsets; it keeps its own state in ZooKeeper (Debian's zookeeper, started here). Offsets are committed by real
// clients (confluent-kafka stand-alone commits; a KafkaJS group member), then Burrow's HTTP API must list the groups
// and report each partition's committed offset and lag (produced N, committed M: lag N-M); the gateway is restarted
// on the same data (and port) and commits again, and Burrow, still running, must report the new offsets and lags.
// Clients reach the gateway through a forwarder that holds connections during the restart, as a load balancer
// would (Burrow 1.2.1 never recovers from a lone broker that refused it for a second).
// Two Burrow instances run side by side: Sarama protocol 0.10.0 (Burrow's sample config: Fetch v2, message sets
// down-converted by the gateway) and 2.0.0 (record batches).
import { assert, assertEquals } from "../unit/assert.ts";
import { type RunningGateway, startGateway } from "../helpers/gateway.ts";
import { Kafka, logLevel } from "../helpers/kafkajs.ts";
import { pythonPath, requireTool } from "../helpers/tools.ts";
import {
  type Burrow,
  type BurrowConsumerDetail,
  type BurrowLag,
  burrowLogDigest,
  BurrowStartWatch,
  burrowTool,
  startBurrow,
  startZooKeeper,
  type ZooKeeper,
  zookeeperTool,
} from "../helpers/burrow.ts";
import { commitWithConfluent, offsetsPartitionFor } from "../helpers/offsets_topic.ts";
import { backendMatrix } from "../helpers/backend_matrix.ts";
import { within } from "../helpers/deadline.ts";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp_proxy.ts";
import { freePort } from "../helpers/ports.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const burrowBin = await burrowTool();
const zk = await zookeeperTool();
const python = await requireTool("confluent-kafka (pip)", pythonPath(), ["-c", "import confluent_kafka"]);
const ignoreTools = burrowBin.ignore || zk.ignore || python.ignore;
const matrix = await backendMatrix();

const GATEWAY_ARGS = ["--group-initial-rebalance-delay-ms", "0", "--group-min-session-timeout-ms", "1000"];
const CLUSTER = "gateway";
const TOPIC = "burrow-lag";
const STANDALONE = "burrow-standalone"; // stand-alone commits (confluent-kafka, no membership)
const MEMBER_GROUP = "burrow-kafkajs"; // a KafkaJS group member that consumes everything and commits
const SARAMA_VERSIONS = ["0.10.0", "2.0.0"];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function createTopic(bootstrap: string, topic: string, partitions: number) {
  const admin = new Kafka({ clientId: "burrow-test", brokers: [bootstrap], logLevel: logLevel.NOTHING })
    .admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

/** Produces counts[p] records to each partition p. */
async function produce(bootstrap: string, topic: string, counts: number[], tag: string) {
  const p = new Kafka({ clientId: "burrow-test", brokers: [bootstrap], logLevel: logLevel.NOTHING })
    .producer();
  await p.connect();
  try {
    for (const [partition, n] of counts.entries()) {
      if (n === 0) continue;
      await p.send({
        topic,
        acks: -1,
        messages: Array.from({ length: n }, (_, i) => ({ partition, value: `${tag}-${partition}-${i}` })),
      });
    }
  } finally {
    await p.disconnect();
  }
}

/** A KafkaJS member of `group` that reads `topic` until each partition p reached ends[p], commits ends, leaves. */
async function consumeAndCommit(bootstrap: string, group: string, topic: string, ends: number[]) {
  const kafka = new Kafka({ clientId: "burrow-kafkajs", brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: group, sessionTimeout: 6000, heartbeatInterval: 500 });
  await consumer.connect();
  const next = ends.map(() => 0);
  const done = Promise.withResolvers<void>();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: ({ partition, message }) => {
        next[partition] = Number(message.offset) + 1;
        if (next.every((n, p) => n >= ends[p])) done.resolve();
        return Promise.resolve();
      },
    });
    // partitions already committed up to their end deliver nothing: count them as done
    const timer = setTimeout(() => done.reject(new Error(`KafkaJS read ${next} of ${ends}`)), 60_000);
    await done.promise.finally(() => clearTimeout(timer));
    await consumer.commitOffsets(ends.map((o, partition) => ({ topic, partition, offset: String(o) })));
  } finally {
    await consumer.disconnect();
  }
}

interface Expect {
  offset: number;
  lag: number;
}

/** Polls Burrow's /lag of `group` until every partition of TOPIC has the expected committed offset and lag. */
async function waitForBurrowLag(
  b: Burrow,
  group: string,
  expected: Expect[],
  what: string,
): Promise<BurrowLag> {
  const deadline = Date.now() + 90_000;
  let last: unknown = null;
  for (;;) {
    const { status, body } = await b.get<BurrowLag>(`/v3/kafka/${CLUSTER}/consumer/${group}/lag`);
    last = { status, body };
    if (status === 200 && body.status?.status !== "NOTFOUND") {
      const parts = (body.status.partitions ?? []).filter((p) => p.topic === TOPIC)
        .sort((a, c) => a.partition - c.partition);
      const got = parts.map((p) => ({ offset: p.end?.offset ?? -1, lag: p.current_lag }));
      if (JSON.stringify(got) === JSON.stringify(expected)) return body;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${what}: Burrow (${b.dir}) never reported ${group} at ${JSON.stringify(expected)}; last answer ${
          JSON.stringify(last)
        }\n--- Burrow log digest ---\n${burrowLogDigest(b.log())}`,
      );
    }
    await sleep(500);
  }
}

async function waitForConsumerList(b: Burrow, groups: string[], what: string): Promise<string[]> {
  const deadline = Date.now() + 90_000;
  let last: unknown = null;
  for (;;) {
    const { status, body } = await b.get<{ consumers?: string[] }>(`/v3/kafka/${CLUSTER}/consumer`);
    last = { status, body };
    const list = body.consumers ?? [];
    if (groups.every((g) => list.includes(g))) return list;
    if (Date.now() > deadline) {
      throw new Error(
        `${what}: Burrow's consumer list never had ${groups}; last answer ${JSON.stringify(last)}\n` +
          `--- Burrow log digest ---\n${burrowLogDigest(b.log())}`,
      );
    }
    await sleep(500);
  }
}

/** Burrow's per-partition detail of `group`: the last committed offset it stored per partition of TOPIC. */
async function lastStoredOffsets(b: Burrow, group: string): Promise<number[]> {
  const { body } = await b.get<BurrowConsumerDetail>(`/v3/kafka/${CLUSTER}/consumer/${group}`);
  const parts = body.topics?.[TOPIC] ?? [];
  return parts.map((p) => {
    const offs = p.offsets.filter((o) => o !== null);
    return offs.length ? offs[offs.length - 1]!.offset : -1;
  });
}

for (const backend of matrix.backends) {
  Deno.test({
    name: `burrow (${backend.name}): lists the groups and reports committed offsets and lag per partition, ` +
      `also after the gateway restarts (Sarama ${SARAMA_VERSIONS.join(" and ")})`,
    ...opts,
    ignore: ignoreTools || backend.ignore,
    fn: async () => {
      await backend.use();
      const dataDir = await Deno.makeTempDir({ prefix: "kgw-burrow-gw-" });
      const port = freePort();
      // Clients reach the gateway through a forwarder that holds connections while it restarts (tcp_proxy.ts:
      // Burrow's Sarama abandons a single broker that refuses it for about a second, and never recovers).
      // It also tells when each Burrow has finished starting (BurrowStartWatch).
      const watch = new BurrowStartWatch();
      const proxy: TcpProxy = startTcpProxy(port, { onAnswered: watch.onAnswered });
      const start = () =>
        startGateway({
          dataDir,
          args: [
            ...GATEWAY_ARGS,
            "--listen",
            `127.0.0.1:${port}`,
            "--advertised-listener",
            `PLAINTEXT://127.0.0.1:${proxy.port}`,
          ],
          timeoutMs: 60_000,
        });
      let gw: RunningGateway | null = null;
      let zoo: ZooKeeper | null = null;
      const burrows: Burrow[] = [];
      try {
        gw = await start();
        const bootstrap = `127.0.0.1:${proxy.port}`;
        // Three partitions; the groups' __consumer_offsets partitions (Kafka's partitionFor) differ from each
        // other, so Burrow has to read more than one partition of it.
        assert(
          offsetsPartitionFor(STANDALONE) !== offsetsPartitionFor(MEMBER_GROUP),
          "the two groups live in different __consumer_offsets partitions",
        );
        await within("create the topic (KafkaJS)", 60_000, createTopic(bootstrap, TOPIC, 3));
        const produced = [10, 20, 30];
        await within("produce (KafkaJS)", 60_000, produce(bootstrap, TOPIC, produced, "a"));
        const committed = [4, 20, 7];
        // two commits per partition (Burrow keeps the last one); leader epochs and metadata as real clients send
        await commitWithConfluent(bootstrap, STANDALONE, [
          [[TOPIC, 0, 1, "first", 0], [TOPIC, 1, 2, null, 0], [TOPIC, 2, 3, null, null]],
          committed.map((o, p) => [TOPIC, p, o, `m${p}`, 0]),
        ]);
        await within(
          "KafkaJS member reads and commits",
          120_000,
          consumeAndCommit(bootstrap, MEMBER_GROUP, TOPIC, produced),
        );

        zoo = await startZooKeeper();
        for (const v of SARAMA_VERSIONS) {
          burrows.push(
            await startBurrow({
              cluster: CLUSTER,
              kafka: bootstrap,
              zookeeper: zoo.address,
              kafkaVersion: v,
              clientId: `burrow-${v}`,
            }),
          );
        }
        // Burrow exits if the broker goes away while its consumer module is still starting (as with Kafka): the
        // restart below must come after that, and its HTTP API answers before it.
        for (const [i, b] of burrows.entries()) await watch.started(b, `burrow-${SARAMA_VERSIONS[i]}`);
        for (const [i, b] of burrows.entries()) {
          const what = `Sarama ${SARAMA_VERSIONS[i]}, before the restart`;
          await waitForConsumerList(b, [STANDALONE, MEMBER_GROUP], what);
          const lag = await waitForBurrowLag(
            b,
            STANDALONE,
            committed.map((o, p) => ({ offset: o, lag: produced[p] - o })),
            what,
          );
          assertEquals(lag.status.totallag, 6 + 0 + 23, `${what}: total lag`);
          assertEquals(lag.status.partition_count, 3, `${what}: partition count`);
          await waitForBurrowLag(b, MEMBER_GROUP, produced.map((o) => ({ offset: o, lag: 0 })), what);
          assertEquals(await lastStoredOffsets(b, STANDALONE), committed, `${what}: consumer detail`);
        }

        // Restart the gateway on the same data and port; Burrow keeps running and must reconnect.
        await gw.stop();
        gw = await start();
        assertEquals(gw.port, port, "same address after the restart");
        const more = [5, 5, 5];
        await within("produce after the restart (KafkaJS)", 60_000, produce(bootstrap, TOPIC, more, "b"));
        const produced2 = produced.map((n, p) => n + more[p]); // 15, 25, 35
        const committed2 = [12, 25, 30];
        await commitWithConfluent(bootstrap, STANDALONE, [committed2.map((o, p) => [TOPIC, p, o, null, 0])]);
        await within(
          "KafkaJS member reads and commits after the restart",
          120_000,
          consumeAndCommit(bootstrap, MEMBER_GROUP, TOPIC, produced2),
        );
        for (const [i, b] of burrows.entries()) {
          const what = `Sarama ${SARAMA_VERSIONS[i]}, after the restart`;
          const lag = await waitForBurrowLag(
            b,
            STANDALONE,
            committed2.map((o, p) => ({ offset: o, lag: produced2[p] - o })),
            what,
          );
          assertEquals(lag.status.totallag, 3 + 0 + 5, `${what}: total lag`);
          await waitForBurrowLag(b, MEMBER_GROUP, produced2.map((o) => ({ offset: o, lag: 0 })), what);
          assertEquals(await lastStoredOffsets(b, STANDALONE), committed2, `${what}: consumer detail`);
          const list = await waitForConsumerList(b, [STANDALONE, MEMBER_GROUP], what);
          assert(!list.some((g) => g.startsWith("__")), `${what}: no internal names as groups: ${list}`);
          // Burrow 1.2.1 decodes group metadata values v0-v1 only and logs the v3 that Kafka 2.3+ (and the gateway)
          // write as "failed to decode" with message_type metadata, as it does against Kafka; offset records must
          // all decode.
          const bad = b.log().split("\n").filter((l) =>
            l.includes("failed to decode") && !l.includes('"message_type":"metadata"')
          );
          assertEquals(bad, [], `${what}: Burrow decoded every offset commit record`);
        }
      } catch (e) {
        if (gw) {
          console.error(
            `--- gateway log (last 60 lines) ---\n${gw.logs().split("\n").slice(-60).join("\n")}`,
          );
        }
        for (const [i, b] of burrows.entries()) {
          console.error(
            `--- Burrow (Sarama ${SARAMA_VERSIONS[i]}) log digest ---\n${burrowLogDigest(b.log())}`,
          );
        }
        if (zoo) console.error(`--- ZooKeeper log (tail) ---\n${zoo.log().slice(-2000)}`);
        throw e;
      } finally {
        for (const b of burrows) await b.stop();
        await zoo?.stop();
        await gw?.stop();
        proxy.close();
        await Deno.remove(dataDir, { recursive: true }).catch(() => {});
      }
    },
  });
}

matrix.finish();
