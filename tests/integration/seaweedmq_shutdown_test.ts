// Bounded shutdown on the SeaweedMQ backend (docs/operations.md "Stopping"): a gateway whose SeaweedMQ servers died (kill -9)
// still exits within its shutdown deadline (--shutdown-timeout-ms, default 10 s) on SIGTERM, naming what it could
// not finish, instead of waiting out gRPC timeouts, publish retries and filer writes (the issue measured 75 s).
// Each test starts its own SeaweedFS (it kills it) and a gateway subprocess, produces through KafkaJS (plain and
// idempotent producers, a committed group offset, so producer state and group metadata have something to flush),
// kills servers by the pids this test's cluster wrote, leaves a produce in flight, then sends SIGTERM and measures.
// Before the kill it reads the operations view of the cluster (/api/v1/cluster) of this one-gateway cluster.
import { assert, assertEquals } from "../unit/assert.ts";
import { type RunningGateway, startGateway } from "../helpers/gateway.ts";
import { Kafka, logLevel } from "../helpers/kafkajs.ts";
import { type SeaweedFS, startSeaweedFS, weedTool } from "../helpers/seaweedfs.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const tool = await weedTool();
/** The default shutdown deadline: SIGTERM to exit, everything included. */
const DEADLINE_MS = 10_000;

function client(gw: RunningGateway) {
  return new Kafka({
    clientId: "seaweedmq-shutdown-test",
    brokers: [gw.bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 500 },
  });
}

/** SIGKILLs the named servers of this test's cluster, by the pids its script wrote, and waits until they are gone. */
async function killServers(c: SeaweedFS, names: readonly string[]): Promise<void> {
  for (const name of names) {
    const file = `${c.dir}/${name}.pid`;
    let pid: number;
    try {
      pid = Number((await Deno.readTextFile(file)).trim());
    } catch {
      continue;
    }
    try {
      Deno.kill(pid, "SIGKILL");
    } catch { /* gone */ }
    // gone, or a zombie (setsid'd by the script: its reaper may be slow)
    for (let i = 0; i < 100; i++) {
      let alive = false;
      try {
        alive = !/^\d+ \(.*\) Z/.test(await Deno.readTextFile(`/proc/${pid}/stat`));
      } catch { /* gone */ }
      if (!alive) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await Deno.remove(file).catch(() => {}); // the cluster's stop() must not signal a reused pid
  }
}

async function produceSome(gw: RunningGateway, topic: string): Promise<void> {
  const kafka = client(gw);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] });
  const plain = kafka.producer();
  await plain.connect();
  await plain.send({
    topic,
    acks: -1,
    messages: Array.from({ length: 300 }, (_, i) => ({ partition: i % 3, key: `k${i}`, value: `v${i}` })),
  });
  await plain.disconnect();
  const idem = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await idem.connect();
  await idem.send({ topic, acks: -1, messages: Array.from({ length: 30 }, (_, i) => ({ value: `i${i}` })) });
  await idem.disconnect();
  await admin.setOffsets({ groupId: "shutdown-group", topic, partitions: [{ partition: 0, offset: "5" }] });
  await admin.disconnect();
}

async function shutdownAfterKill(killed: readonly string[]): Promise<void> {
  const c = await startSeaweedFS();
  let gw: RunningGateway | null = null;
  try {
    gw = await startGateway({
      args: [...c.gatewayArgs, "--seaweedmq-namespace", `kafka_shutdown_${killed.length}`],
      timeoutMs: 60_000,
    });
    const topic = "shutdown";
    await produceSome(gw, topic);
    // the operations view of the cluster: this gateway alone, controller, leading and serving the topic
    const res = await fetch(`http://127.0.0.1:${gw.httpPort}/api/v1/cluster`);
    const view = await res.json() as {
      nodeId: number;
      controllerId: number;
      brokers: { nodeId: number; self: boolean; controller: boolean; leaderPartitions: number }[];
      partitions: {
        topic: string;
        partition: number;
        leaderId: number;
        leaderEpoch: number;
        serving: boolean;
      }[];
    };
    console.log(`GET /api/v1/cluster: ${JSON.stringify({ ...view, partitions: view.partitions.length })}`);
    assertEquals(view.brokers.map((b) => [b.nodeId, b.self, b.controller]), [[1, true, true]]);
    assertEquals(
      view.partitions.filter((p) => p.topic === topic).map((p) => [p.partition, p.leaderId, p.serving]),
      [[0, 1, true], [1, 1, true], [2, 1, true]],
    );
    await killServers(c, killed);
    // a produce in flight while the servers are gone (its answer, if any, is not awaited)
    const producer = client(gw).producer();
    await producer.connect();
    const inFlight = producer.send({
      topic,
      acks: -1,
      timeout: 30_000,
      messages: [{ partition: 1, value: "after the kill" }],
    }).catch(() => {});
    await new Promise((r) => setTimeout(r, 1_000));
    const t0 = performance.now();
    await gw.stop(); // SIGTERM, then waits for the process to exit
    const ms = Math.round(performance.now() - t0);
    await Promise.race([inFlight, new Promise((r) => setTimeout(r, 100))]);
    await producer.disconnect().catch(() => {});
    const lines = gw.logs().split("\n");
    const shutdownLog = lines.filter((l) => /stopping|shutdown|did not finish|stopped/i.test(l)).join("\n");
    console.log(`SIGTERM after kill -9 of ${killed.join(", ")}: exited in ${ms} ms\n${shutdownLog}`);
    assert(
      ms < DEADLINE_MS,
      `the gateway took ${ms} ms to exit (deadline ${DEADLINE_MS} ms):\n${lines.slice(-40).join("\n")}`,
    );
    assert(/stopped/.test(gw.logs()), `no "stopped" line:\n${lines.slice(-40).join("\n")}`);
  } catch (e) {
    if (gw) {
      console.error(`--- gateway log (last 60 lines) ---\n${gw.logs().split("\n").slice(-60).join("\n")}`);
    }
    throw e;
  } finally {
    await gw?.kill();
    if (gw) await Deno.remove(gw.dataDir, { recursive: true }).catch(() => {});
    await c.stop();
  }
}

Deno.test({
  name: "seaweedmq: SIGTERM after the broker was killed (-9) exits within the shutdown deadline",
  ignore: tool.ignore,
  ...opts,
  fn: () => shutdownAfterKill(["broker"]),
});

Deno.test({
  name: "seaweedmq: SIGTERM after every SeaweedFS server was killed (-9) exits within the shutdown deadline",
  ignore: tool.ignore,
  ...opts,
  fn: () => shutdownAfterKill(["broker", "filer", "volume", "master"]),
});
