// Group coordinators and producer ids of two gateways sharing one real SeaweedFS (two SeaweedMQStorage
// instances on one filer), with the cluster's leadership decided by the test (a fake ClusterView per gateway):
// an acquire reads only its `__consumer_offsets` partitions' groups from the filer, fresh; a gateway that lost a
// partition can no longer move committed offsets backwards; producer-id blocks claimed concurrently by both
// gateways never overlap; the `__consumer_offsets` view follows the handovers (each coordinator shows its commits, a
// new one repairs the partition against the filer). Gateways over the real distributed cluster (node.ts) are covered
// by seaweedmq_cluster_test.ts.
import { assert, assertEquals } from "../unit/assert.ts";
import { clusterForModule } from "../helpers/seaweedfs.ts";
import { SeaweedMQStorage } from "../../src/storage/seaweedmq/seaweedmq.ts";
import { GroupCoordinator } from "../../src/groups/coordinator.ts";
import { offsetKey } from "../../src/storage/group_store.ts";
import { CONSUMER_OFFSETS_TOPIC as CO } from "../../src/cluster/view.ts";
import { ErrorCode as E } from "../../src/protocol/errors.ts";
import { logger } from "../../src/log.ts";
import { FakeLeaderCluster, groupOn } from "../unit/fake_leader_cluster.ts";
import { OffsetsTopic } from "../../src/groups/offsets_topic/view.ts";
import { decodeOffsetsRecord } from "../../src/groups/offsets_topic/records.ts";
import { splitBatches } from "../../src/records/batch.ts";
import { decodeBatchRecords } from "../../src/records/record.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const weed = await clusterForModule();

const OPTS = {
  initialRebalanceDelayMs: 0,
  minSessionTimeoutMs: 100,
  maxSessionTimeoutMs: 60000,
  maxGroupSize: 1000,
  offsetsRetentionMs: 86_400_000,
  offsetsRetentionCheckIntervalMs: 3_600_000,
  offsetMetadataMaxBytes: 4096,
};

async function gateway(storage: SeaweedMQStorage) {
  const cluster = new FakeLeaderCluster();
  const view = new OffsetsTopic({
    storage,
    cluster,
    partitions: cluster.offsetsPartitions,
    log: logger("test"),
  });
  await view.open();
  const c = new GroupCoordinator(storage.groupStore(), OPTS, logger("test"), () => true, cluster, view);
  cluster.addParticipant(c);
  await c.start();
  return { c, cluster };
}

/** The committed offsets of t-0 that `__consumer_offsets` partition `p` shows for `groupId`, in order. */
async function shownCommits(
  storage: SeaweedMQStorage,
  p: number,
  groupId: string,
): Promise<(number | null)[]> {
  const { logStartOffset, highWatermark } = await storage.offsets(CO, p);
  const out: (number | null)[] = [];
  for (let at = logStartOffset; at < highWatermark;) {
    const r = await storage.read(CO, p, at, 1 << 20, true);
    for (const chunk of r.batches) {
      for (const b of splitBatches(chunk)) {
        for (const rec of (await decodeBatchRecords(chunk.subarray(b.pos, b.pos + b.size))).records) {
          at = rec.offset + 1;
          const d = decodeOffsetsRecord(rec.key!, rec.value);
          if (d.kind === "offset" && d.group === groupId) out.push(d.value?.offset ?? null);
        }
      }
    }
  }
  return out;
}

async function eventually<T>(f: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  let v = await f();
  while (!ok(v) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    v = await f();
  }
  return v;
}

function commit(c: GroupCoordinator, groupId: string, offset: number) {
  return c.commit({
    groupId,
    generationId: -1,
    memberId: "",
    groupInstanceId: null,
    retentionTimeMs: -1,
    offsets: [{ topic: "t", partition: 0, offset, leaderEpoch: 4, metadata: "m" }],
  }).then((codes) => codes.get(offsetKey("t", 0)));
}

const fetched = (c: GroupCoordinator, groupId: string) =>
  c.fetchOffsets(groupId, [{ topic: "t", partition: 0 }])[0].offset;

if (weed !== null) {
  const ns = { a: null as SeaweedMQStorage | null, b: null as SeaweedMQStorage | null };

  Deno.test({
    name:
      "seaweedmq failover: acquires read their partitions' groups from the filer; stale commits are refused",
    ...opts,
    fn: async () => {
      // One namespace for both gateways (they share the cluster's filer state).
      const namespace = `failover${Date.now() % 100000}`;
      ns.a = new SeaweedMQStorage({ masters: [weed.master], namespace, log: () => {} });
      ns.b = new SeaweedMQStorage({ masters: [weed.master], namespace, log: () => {} });
      await ns.a.open();
      await ns.b.open();
      const A = await gateway(ns.a);
      const B = await gateway(ns.b);
      const [g3, g1] = [groupOn(3), groupOn(1)];
      try {
        await A.cluster.gain(CO, [0, 1, 2, 3], 1);
        assertEquals(await commit(A.c, g3, 100), E.NONE);
        assertEquals(await commit(A.c, g1, 7), E.NONE);

        // Partition 3 moves to B: B reads only that partition's groups, with A's commit.
        await A.cluster.lose(CO, [3]);
        await B.cluster.gain(CO, [3], 2);
        assertEquals(B.c.list().map((g) => g.groupId), [g3]);
        assertEquals(fetched(B.c, g3), 100);
        assertEquals(await commit(B.c, g3, 300), E.NONE);
        // A consumer still sending to A commits an older position: refused, the filer keeps 300.
        assertEquals(await commit(A.c, g3, 100), E.NOT_COORDINATOR);
        const stored = await ns.a.groupStore().load((id) => id === g3);
        assertEquals(stored.offsets.get(g3)?.get(offsetKey("t", 0))?.offset, 300);
        assertEquals(stored.offsets.has(g1), false, "the filter keeps other groups out");

        // Back to A: it reads B's 300, not its own stale 100.
        await B.cluster.lose(CO, [3]);
        await A.cluster.gain(CO, [3], 3);
        assertEquals(fetched(A.c, g3), 300);
        assertEquals(fetched(A.c, g1), 7);

        // __consumer_offsets-3 shows A's 100, then B's 300, and nothing of the refused stale commit; A, taking the
        // partition back, finds the view in line with the filer and appends nothing.
        const same = (v: (number | null)[]) => JSON.stringify(v) === "[100,300]";
        assertEquals(await eventually(() => shownCommits(ns.a!, 3, g3), same), [100, 300]);
        await new Promise((r) => setTimeout(r, 500));
        assertEquals(await shownCommits(ns.a!, 3, g3), [100, 300]);
        assertEquals(await eventually(() => shownCommits(ns.a!, 1, g1), (v) => v.length === 1), [7]);
      } finally {
        await A.c.close();
        await B.c.close();
      }
    },
  });

  Deno.test({
    name: "seaweedmq failover: producer-id blocks claimed by two gateways at once never overlap",
    ...opts,
    fn: async () => {
      const stores = [ns.a!.producerStateStore(), ns.b!.producerStateStore()];
      // Each store claims a block of 65536 ids at a time; 3 x 40000 forces new claims, racing each other.
      const ranges = await Promise.all(
        stores.flatMap((s) =>
          [0, 1, 2].map(async () => ({ first: await s.allocateProducerIds(40_000), n: 40_000 }))
        ),
      );
      ranges.sort((x, y) => x.first - y.first);
      for (let i = 1; i < ranges.length; i++) {
        assert(
          ranges[i].first >= ranges[i - 1].first + ranges[i - 1].n,
          `ranges overlap: ${JSON.stringify(ranges)}`,
        );
      }
    },
  });

  Deno.test({
    name: "seaweedmq failover: stop the SeaweedFS cluster of this module",
    ...opts,
    fn: async () => {
      await ns.a?.close();
      await ns.b?.close();
      await weed.stop();
    },
  });
}
