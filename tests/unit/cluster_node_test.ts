// SeaweedCluster (src/cluster/node.ts) on an in-memory filer and a stand-in storage: a lone gateway leads
// everything before start() returns, participants acquire in registration order and release in reverse, the leader
// epoch's start offset is recorded, a gateway whose lease cannot be renewed stops serving and comes back as a new
// incarnation with new epochs, and close() is bounded even when the filer hangs.
import { assert, assertEquals } from "./assert.ts";
import { FakeFiler } from "./fake_filer.ts";
import { SeaweedCluster } from "../../src/cluster/node.ts";
import type { Participant, TopicPartitionRef } from "../../src/cluster/view.ts";
import { MetaPaths } from "../../src/storage/seaweedmq/meta.ts";
import type { SeaweedMQStorage } from "../../src/storage/seaweedmq/seaweedmq.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The part of SeaweedMQStorage the cluster uses: one topic "t" of 2 partitions, log end 5 (and `extra` topics,
 * listed only).
 */
function fakeStorage(f: FakeFiler, extra: { name: string; partitions: number }[] = []): SeaweedMQStorage {
  const meta = { name: "t", partitions: 2 };
  const s = {
    namespace: "kafka",
    metaPaths: new MetaPaths("kafka"),
    onTopicsChanged: null,
    coordinationFiler: () => f.filer,
    listTopics: () => [meta, ...extra],
    getTopic: (name: string) => name === "t" ? meta : undefined,
    partitionBroker: () => "127.0.0.1:17777",
    refreshTopics: () => Promise.resolve(),
    offsets: () => Promise.resolve({ logStartOffset: 0, highWatermark: 5 }),
  };
  return s as unknown as SeaweedMQStorage;
}

function recorder(name: string, log: string[]): Participant {
  return {
    acquire: (tp: TopicPartitionRef, epoch: number) => {
      log.push(`${name} acquire ${tp.topic}-${tp.partition}@${epoch}`);
      return Promise.resolve();
    },
    release: (tp: TopicPartitionRef) => {
      log.push(`${name} release ${tp.topic}-${tp.partition}`);
      return Promise.resolve();
    },
  };
}

const dirs: string[] = [];
globalThis.addEventListener("unload", () => {
  for (const d of dirs) Deno.removeSync(d, { recursive: true });
});

async function node(
  f: FakeFiler,
  log: string[],
  leaseTimeoutMs = 1000,
  extra: { name: string; partitions: number }[] = [],
  nodeId = 1,
): Promise<SeaweedCluster> {
  const dataDir = await Deno.makeTempDir({ prefix: "kgw-node-test-" });
  dirs.push(dataDir);
  const c = new SeaweedCluster({
    storage: fakeStorage(f, extra),
    nodeId,
    advertised: { host: "127.0.0.1", port: 9091 + nodeId },
    rack: "r1",
    leaseTimeoutMs,
    offsetsTopicPartitions: 2,
    dataDir,
    log: () => {},
  });
  c.addParticipant(recorder("A", log));
  c.addParticipant(recorder("B", log));
  return c;
}

async function until(what: string, ms: number, cond: () => boolean): Promise<void> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(20);
  }
}

Deno.test({
  name:
    "cluster node: __transaction_state partition p is led with __consumer_offsets partition p, never assigned " +
    "on its own",
  ...opts,
  fn: async () => {
    const f = new FakeFiler();
    f.realTime = true;
    const log: string[] = [];
    const c = await node(f, log, 1000, [{ name: "__transaction_state", partitions: 2 }]);
    await c.start();
    try {
      for (const p of [0, 1]) {
        assertEquals(c.leaderOf("__transaction_state", p), c.leaderOf("__consumer_offsets", p));
        assertEquals(c.servingEpoch("__transaction_state", p), c.servingEpoch("__consumer_offsets", p));
        assert(log.includes(`A acquire __transaction_state-${p}@0`), log.join("\n"));
      }
      assertEquals(c.leaderOf("__transaction_state", 2), { leaderId: -1, leaderEpoch: -1 });
      // The controller's document has no row of its own for it.
      assert(!c.snapshot().partitions.some((p) => p.topic === "__transaction_state"));
    } finally {
      await c.close();
    }
    assert(log.includes("A release __transaction_state-1"), log.join("\n"));
    assertEquals(c.servingEpoch("__transaction_state", 1), null);
  },
});

Deno.test({
  name:
    "cluster node: alone, it leads and serves everything when start() returns; history and order recorded",
  ...opts,
  fn: async () => {
    const f = new FakeFiler();
    f.realTime = true;
    const log: string[] = [];
    const c = await node(f, log);
    await c.start();
    try {
      assertEquals(c.brokers(), [{ nodeId: 1, host: "127.0.0.1", port: 9092, rack: "r1" }]);
      assertEquals(c.controllerId(), 1);
      assertEquals(c.servingEpoch("t", 0), 0);
      assertEquals(c.servingEpoch("t", 1), 0);
      assertEquals(c.servingEpoch("__consumer_offsets", 1), 0);
      assertEquals(c.leaderOf("t", 1), { leaderId: 1, leaderEpoch: 0 });
      assertEquals(c.leaderOf("nope", 0), { leaderId: -1, leaderEpoch: -1 });
      assert(c.coordinates("any-group"));
      assertEquals(c.snapshot().partitions.length, 4);
      assert(c.snapshot().partitions.every((p) => p.serving && p.leaderId === 1));
      // A before B for each partition
      const t0 = log.filter((l) => l.endsWith("t-0@0"));
      assertEquals(t0, ["A acquire t-0@0", "B acquire t-0@0"]);
      assertEquals(f.text("/topics/kafka/.meta/kafka_gateway/leader_epochs/t/0"), '{"epochs":[[0,5]]}');
      assertEquals(c.epochEndOffset("t", 0, 0, 9), { leaderEpoch: 0, endOffset: 9 });
      assertEquals(c.epochAt("t", 0, 7), 0);
      assertEquals(c.epochAt("t", 0, 2), -1);
    } finally {
      await c.close();
    }
    // closed: released in reverse order, lease deleted, nothing served
    const released = log.filter((l) => l.includes("release t-0"));
    assertEquals(released, ["B release t-0", "A release t-0"]);
    assertEquals(f.files.has("/topics/kafka/.meta/kafka_gateway/cluster/members/1"), false);
    assertEquals(c.servingEpoch("t", 0), null);
  },
});

Deno.test({
  name:
    "cluster node: without lease renewals it stops serving, then rejoins as a new incarnation with new epochs",
  ...opts,
  fn: async () => {
    const f = new FakeFiler();
    f.realTime = true;
    const log: string[] = [];
    const c = await node(f, log);
    await c.start();
    try {
      assertEquals(c.servingEpoch("t", 0), 0);
      f.down = true;
      const t0 = performance.now();
      await until("fenced", 2000, () => c.servingEpoch("t", 0) === null);
      const fencedMs = performance.now() - t0;
      assert(fencedMs <= 1000, `served ${fencedMs} ms without a lease`);
      await until("released", 2000, () => log.includes("A release t-0"));
      f.down = false;
      await until("serving again", 5000, () => c.servingEpoch("t", 0) !== null);
      assertEquals(c.servingEpoch("t", 0), 1, "a new incarnation leads with a new epoch");
      assert(log.includes("A acquire t-0@1"));
      // nothing was written under epoch 0 after offset 5: the empty epoch is dropped
      assertEquals(f.text("/topics/kafka/.meta/kafka_gateway/leader_epochs/t/0"), '{"epochs":[[1,5]]}');
    } finally {
      await c.close();
    }
  },
});

Deno.test({
  name: "cluster node: close() is bounded when the filer stops answering",
  ...opts,
  fn: async () => {
    const f = new FakeFiler();
    f.realTime = true;
    const c = await node(f, []);
    await c.start();
    f.hang = true;
    const t0 = performance.now();
    await c.close();
    const ms = performance.now() - t0;
    assert(ms < 3500, `close took ${ms} ms`);
    assertEquals(c.servingEpoch("t", 0), null);
  },
});

Deno.test({
  name:
    "cluster node: while the document names a controller that left, Metadata's controller is a listed broker " +
    "(this one), so clients' controller requests do not wait for the next controller",
  ...opts,
  fn: async () => {
    const f = new FakeFiler();
    f.realTime = true;
    const one = await node(f, []);
    await one.start();
    const two = await node(f, [], 1000, [], 2);
    await two.start();
    try {
      await until("node 2 listed", 3000, () => one.brokers().length === 2 && two.brokers().length === 2);
      assertEquals([one.controllerId(), two.controllerId()], [1, 1]);
      await one.close();
      // another owner holds the controller lock: node 2 cannot take the role, the last document names node 1
      const held = await f.filer.lock({
        name: "kgw-controller/kafka",
        owner: "a stalled gateway",
        secondsToLock: 30,
        renewToken: "",
      });
      assertEquals(held.error, "");
      await until("node 1 gone from node 2's document", 3000, () => two.brokers().length === 1);
      assertEquals(two.brokers().map((b) => b.nodeId), [2]);
      assertEquals(two.controllerId(), 2);
      assertEquals(two.snapshot().controllerId, 2);
    } finally {
      await two.close();
    }
  },
});
