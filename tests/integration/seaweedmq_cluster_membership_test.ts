// Membership and leadership of several gateways on one SeaweedMQ namespace (src/cluster/: leases, the controller,
// the assignment document), against a real SeaweedFS: the gateways agree on the brokers and every partition's
// leader and epoch, spread the partitions evenly, share one cluster id, refuse a node id a live gateway holds, and
// move a stopped gateway's partitions at once and a killed one's within the lease timeout, with new epochs.
// Gateways 1 and 2 run in this process (their ClusterView is read directly); the one that is killed is a child
// process (kill -9).
import { assert, assertEquals } from "../unit/assert.ts";
import { clusterForModule } from "../helpers/seaweedfs.ts";
import { type RunningGateway, startGateway } from "../helpers/gateway.ts";
import { WireClient } from "../helpers/wire.ts";
import { Gateway } from "../../src/gateway.ts";
import { loadConfig } from "../../src/configs/options.ts";
import type { ClusterSnapshot } from "../../src/cluster/view.ts";
import { type MetadataResponse, MetadataSpec } from "../../src/protocol/messages/metadata.ts";

const cluster = await clusterForModule();
const opts = { sanitizeOps: false, sanitizeResources: false };

const LEASE_MS = 3000;
const OFFSETS_PARTITIONS = 12;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function nodeArgs(ns: string, id: number): string[] {
  return [
    ...cluster!.gatewayArgs,
    "--seaweedmq-namespace",
    ns,
    "--node-id",
    String(id),
    "--lease-timeout-ms",
    String(LEASE_MS),
    "--offsets-topic-num-partitions",
    String(OFFSETS_PARTITIONS),
  ];
}

const tempDirs: string[] = [];

/** A gateway in this process (its data directory is removed when the module is done). */
async function inProcess(ns: string, id: number): Promise<Gateway> {
  const dir = await Deno.makeTempDir({ prefix: `kgw-members-${id}-` });
  tempDirs.push(dir);
  const { config } = loadConfig({
    argv: [
      "--listen",
      "127.0.0.1:0",
      "--http-listen",
      "off",
      "--data-dir",
      dir,
      "--log-level",
      "warn",
      ...nodeArgs(ns, id),
    ],
    env: () => undefined,
    readFile: () => undefined,
  });
  return await Gateway.start(config);
}

function snap(g: Gateway): ClusterSnapshot {
  return g.cluster!.snapshot();
}

type Row = { leaderId: number; leaderEpoch: number };

function rows(s: ClusterSnapshot): Map<string, Row> {
  return new Map(
    s.partitions.map((
      p,
    ) => [`${p.topic}/${p.partition}`, { leaderId: p.leaderId, leaderEpoch: p.leaderEpoch }]),
  );
}

/** Polls `check` (returns null when satisfied, else why not) until it holds or `ms` passed. */
async function waitUntil(what: string, ms: number, check: () => string | null): Promise<number> {
  const start = performance.now();
  let why: string | null = "not checked";
  while (performance.now() - start < ms) {
    why = check();
    if (why === null) return performance.now() - start;
    await sleep(100);
  }
  throw new Error(`${what} not within ${ms} ms: ${why}`);
}

/** Every in-process gateway has applied the same document, naming `brokers`, with every partition led. */
function agreed(gws: Gateway[], brokers: number[], topics: Record<string, number>): string | null {
  const snaps = gws.map(snap);
  for (const s of snaps) {
    const ids = s.brokers.map((b) => b.nodeId);
    if (JSON.stringify(ids) !== JSON.stringify(brokers)) return `node ${s.nodeId} sees brokers ${ids}`;
    if (s.assignmentVersion !== snaps[0].assignmentVersion) return `versions differ`;
    if (!s.distributed) return `node ${s.nodeId} is not distributed`;
  }
  const first = rows(snaps[0]);
  for (const [t, n] of Object.entries(topics)) {
    for (let p = 0; p < n; p++) {
      const r = first.get(`${t}/${p}`);
      if (!r || r.leaderId < 0) return `${t}/${p} has no leader`;
      if (!brokers.includes(r.leaderId)) return `${t}/${p} is led by ${r.leaderId}`;
    }
  }
  for (const s of snaps.slice(1)) {
    if (JSON.stringify([...rows(s)]) !== JSON.stringify([...first])) {
      return `node ${s.nodeId} sees other leaders`;
    }
  }
  // the leader serves (in-process gateways can tell), nobody else does
  for (const s of snaps) {
    for (const p of s.partitions) {
      if (p.serving !== (p.leaderId === s.nodeId)) {
        return `node ${s.nodeId}: ${p.topic}/${p.partition} led by ${p.leaderId}, serving ${p.serving}`;
      }
    }
  }
  return null;
}

function leadCounts(s: ClusterSnapshot, topic: string): Map<number, number> {
  const m = new Map<number, number>();
  for (const p of s.partitions) if (p.topic === topic) m.set(p.leaderId, (m.get(p.leaderId) ?? 0) + 1);
  return m;
}

async function clusterIdOf(port: number): Promise<string | null> {
  const c = await WireClient.connect(port, "membership-test");
  try {
    const r = await c.call<MetadataResponse>(MetadataSpec, 12, {
      topics: [],
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    return r.clusterId ?? null;
  } finally {
    c.close();
  }
}

if (cluster) {
  Deno.test({
    name:
      "seaweedmq cluster: three gateways agree on brokers and leaders, spread them, refuse a held node id, " +
      "and hand a stopped gateway's partitions over at once",
    ...opts,
    fn: async () => {
      const ns = `kafka_mem_${Date.now().toString(36)}`;
      const started = performance.now();
      const g1 = await inProcess(ns, 1);
      const alone = performance.now() - started;
      const gws = [g1];
      try {
        // alone: it leads everything before it listens
        assertEquals(snap(g1).brokers.map((b) => b.nodeId), [1]);
        assertEquals(snap(g1).controllerId, 1);
        assert(snap(g1).partitions.every((p) => p.leaderId === 1 && p.serving && p.leaderEpoch === 0));
        await g1.storage.createTopic("spread", 6, {});
        gws.push(await inProcess(ns, 2), await inProcess(ns, 3));
        const topics = { spread: 6, __consumer_offsets: OFFSETS_PARTITIONS };
        const settleMs = await waitUntil(
          "agreement of 3 gateways",
          15_000,
          () => agreed(gws, [1, 2, 3], topics),
        );
        const s = snap(g1);
        assertEquals([...leadCounts(s, "spread").entries()].sort(), [[1, 2], [2, 2], [3, 2]]);
        assertEquals([...leadCounts(s, "__consumer_offsets").values()], [4, 4, 4]);
        // one cluster id for all (kept in the filer)
        const ids = await Promise.all(gws.map((g) => clusterIdOf(g.address.port)));
        assert(ids[0] !== null && ids[0] !== "", "a cluster id");
        assertEquals(new Set(ids).size, 1, `cluster ids ${ids}`);

        // node id 2 again: refused while gateway 2 lives
        const t0 = performance.now();
        let refused = "";
        try {
          const dup = await inProcess(ns, 2);
          await dup.stop();
        } catch (e) {
          refused = (e as Error).message;
        }
        const refuseMs = performance.now() - t0;
        assert(
          /node id 2 is held by the live gateway at 127\.0\.0\.1:\d+; give each gateway its own --node-id/
            .test(refused),
          `refused with: ${refused}`,
        );
        assert(refuseMs < LEASE_MS + 2000, `refused after ${refuseMs} ms`);
        assertEquals(snap(g1).brokers.map((b) => b.nodeId), [1, 2, 3], "the refused gateway never joined");

        // gateway 3 stops: its partitions move to 1 and 2 with the epoch bumped, the others stay as they were
        const before = rows(snap(g1));
        const g3 = gws.pop()!;
        const t1 = performance.now();
        await g3.stop();
        const moveMs = await waitUntil(
          "hand-over of a stopped gateway",
          10_000,
          () => agreed(gws, [1, 2], topics),
        );
        const after = rows(snap(g1));
        for (const [k, r] of before) {
          const a = after.get(k)!;
          if (r.leaderId === 3) {
            assert(a.leaderId === 1 || a.leaderId === 2, `${k} moved`);
            assertEquals(a.leaderEpoch, r.leaderEpoch + 1, `${k}: epoch bumped`);
          } else assertEquals(a, r, `${k} stays`);
        }
        const stopMs = performance.now() - t1;
        console.log(
          `cluster membership: alone ${alone.toFixed(0)} ms, agreement ${
            settleMs.toFixed(0)
          } ms, clash refused ` +
            `in ${refuseMs.toFixed(0)} ms, stop hand-over ${moveMs.toFixed(0)} ms (stop + move ${
              stopMs.toFixed(0)
            } ms)`,
        );
        assert(moveMs < LEASE_MS, `a clean stop hands over without waiting for the lease (${moveMs} ms)`);
      } finally {
        for (const g of gws) await g.stop();
      }
    },
  });

  Deno.test({
    name:
      "seaweedmq cluster: a killed gateway (the controller) loses its partitions within the lease timeout; " +
      "restarted, it takes its share back under new epochs",
    ...opts,
    fn: async () => {
      const ns = `kafka_kill_${Date.now().toString(36)}`;
      const dataDir = await Deno.makeTempDir({ prefix: "kgw-members-killed-" });
      // started first: it is the controller when it dies
      let victim: RunningGateway | null = await startGateway({
        dataDir,
        args: nodeArgs(ns, 3),
        timeoutMs: 60_000,
      });
      const gws: Gateway[] = [];
      try {
        gws.push(await inProcess(ns, 1), await inProcess(ns, 2));
        await gws[0].storage.createTopic("killed", 6, {});
        const topics = { killed: 6, __consumer_offsets: OFFSETS_PARTITIONS };
        await waitUntil("agreement with the child gateway", 15_000, () => agreed(gws, [1, 2, 3], topics));
        assertEquals(snap(gws[0]).controllerId, 3);
        const before = rows(snap(gws[0]));
        assert([...before.values()].some((r) => r.leaderId === 3), "gateway 3 leads some partitions");

        const t0 = performance.now();
        await victim.kill();
        victim = null;
        const moveMs = await waitUntil("failover", LEASE_MS + 10_000, () => agreed(gws, [1, 2], topics));
        const after = rows(snap(gws[0]));
        for (const [k, r] of before) {
          const a = after.get(k)!;
          if (r.leaderId === 3) assertEquals(a.leaderEpoch, r.leaderEpoch + 1, `${k}: epoch bumped`);
          else assertEquals(a, r, `${k} stays`);
        }
        assert([1, 2].includes(snap(gws[0]).controllerId), "a live gateway took the controller role");
        // lock expiry + a new controller's lease-long grace + a tick or two
        assert(moveMs < LEASE_MS + 6000, `failover took ${moveMs} ms`);

        // the same data directory restarts at once (its previous process is known to be gone) and rejoins
        const t1 = performance.now();
        victim = await startGateway({ dataDir, args: nodeArgs(ns, 3), timeoutMs: 60_000 });
        const restartMs = performance.now() - t1;
        const rejoinMs = await waitUntil("rejoin", 15_000, () => agreed(gws, [1, 2, 3], topics));
        const back = rows(snap(gws[0]));
        assertEquals([...leadCounts(snap(gws[0]), "killed").values()].sort(), [2, 2, 2]);
        for (const [k, r] of back) {
          if (r.leaderId === 3) assert(r.leaderEpoch > (after.get(k)?.leaderEpoch ?? -1), `${k}: new epoch`);
        }
        console.log(
          `cluster membership: kill -9 failover ${moveMs.toFixed(0)} ms (${
            (performance.now() - t0).toFixed(0)
          } ms ` +
            `with checks), restart ${restartMs.toFixed(0)} ms, rejoined and rebalanced ${
              rejoinMs.toFixed(0)
            } ms`,
        );
        assert(restartMs < LEASE_MS + 5000, `restart took ${restartMs} ms`);
      } catch (e) {
        if (victim) {
          console.error(`--- gateway 3 log ---\n${victim.logs().split("\n").slice(-40).join("\n")}`);
        }
        throw e;
      } finally {
        await victim?.stop();
        for (const g of gws) await g.stop();
        await Deno.remove(dataDir, { recursive: true }).catch(() => {});
      }
    },
  });

  Deno.test({
    name: "seaweedmq: stop the SeaweedFS cluster of this module",
    ...opts,
    fn: async () => {
      await cluster.stop();
      for (const d of tempDirs) await Deno.remove(d, { recursive: true }).catch(() => {});
    },
  });
}
