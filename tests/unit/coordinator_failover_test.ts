// The group coordinator as a cluster Participant: it holds only the groups of the `__consumer_offsets` partitions it
// acquired (read fresh from the store then, one load for partitions acquired together), forgets them on release
// (waiters told NOT_COORDINATOR, timers stopped, nothing written after), and never lets a stale gateway move
// committed offsets backwards.
import { assert, assertEquals } from "./assert.ts";
import { GroupCoordinator } from "../../src/groups/coordinator.ts";
import type { JoinArgs } from "../../src/groups/classic/join.ts";
import type { JoinResult, SyncResult } from "../../src/groups/classic/group.ts";
import {
  type CommittedOffset,
  type GroupStore,
  type LoadedGroupState,
  offsetKey,
  type StoredGroup,
} from "../../src/storage/group_store.ts";
import { ErrorCode as E, KafkaError } from "../../src/protocol/errors.ts";
import { logger } from "../../src/log.ts";
import { CONSUMER_OFFSETS_TOPIC as CO } from "../../src/cluster/view.ts";
import { SoloCluster } from "../../src/cluster/solo.ts";
import { ManualClock } from "../helpers/clock.ts";
import { FakeLeaderCluster, groupOn } from "./fake_leader_cluster.ts";

/** In-memory GroupStore shared by the "gateways" of a test; counts loads and writes, and can hold writes back. */
class SharedStore implements GroupStore {
  groups = new Map<string, StoredGroup>();
  offsets = new Map<string, Map<string, CommittedOffset>>();
  consumerGroups = new Map<string, Uint8Array>();
  loads = 0;
  writes = 0;
  /** When set, commits wait for it (a slow filer). */
  gate: Promise<void> | null = null;
  /** When set, loads wait for it. */
  loadGate: Promise<void> | null = null;

  async load(filter?: (groupId: string) => boolean): Promise<LoadedGroupState> {
    this.loads++;
    if (this.loadGate) await this.loadGate;
    const admit = filter ?? (() => true);
    const groups = new Map([...this.groups].filter(([id]) => admit(id)));
    const offsets = new Map([...this.offsets].filter(([id]) => admit(id)).map(([id, m]) => [id, new Map(m)]));
    const consumerGroups = new Map([...this.consumerGroups].filter(([id]) => admit(id)));
    return { groups, offsets, consumerGroups };
  }
  async commitOffsets(groupId: string, offsets: readonly CommittedOffset[]): Promise<void> {
    this.writes++;
    if (this.gate) await this.gate;
    let m = this.offsets.get(groupId);
    if (!m) this.offsets.set(groupId, m = new Map());
    for (const o of offsets) m.set(offsetKey(o.topic, o.partition), o);
  }
  deleteOffsets(groupId: string, partitions: readonly { topic: string; partition: number }[]): Promise<void> {
    this.writes++;
    for (const p of partitions) this.offsets.get(groupId)?.delete(offsetKey(p.topic, p.partition));
    return Promise.resolve();
  }
  saveGroup(g: StoredGroup): Promise<void> {
    this.writes++;
    this.consumerGroups.delete(g.groupId);
    this.groups.set(g.groupId, g);
    return Promise.resolve();
  }
  saveConsumerGroup(groupId: string, state: Uint8Array): Promise<void> {
    this.writes++;
    this.groups.delete(groupId);
    this.consumerGroups.set(groupId, state);
    return Promise.resolve();
  }
  deleteGroup(groupId: string): Promise<void> {
    this.writes++;
    this.groups.delete(groupId);
    this.consumerGroups.delete(groupId);
    this.offsets.delete(groupId);
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  /** The stored offset of a group's partition t-0 (-1: none). */
  stored(groupId: string): number {
    return this.offsets.get(groupId)?.get(offsetKey("t", 0))?.offset ?? -1;
  }
}

const OPTS = {
  initialRebalanceDelayMs: 0,
  minSessionTimeoutMs: 100,
  maxSessionTimeoutMs: 60000,
  maxGroupSize: 1000,
  offsetsRetentionMs: 60_000,
  offsetsRetentionCheckIntervalMs: 3_600_000,
  offsetMetadataMaxBytes: 64,
};
const ALL = [0, 1, 2, 3];

/** A gateway's coordinator on a fake distributed cluster (4 `__consumer_offsets` partitions). */
async function gateway(store: SharedStore, opts: Partial<typeof OPTS> = {}, clock = new ManualClock()) {
  const cluster = new FakeLeaderCluster();
  const c = new GroupCoordinator(
    store,
    { ...OPTS, ...opts, clock },
    logger("test"),
    (t, p) => t === "t" && p >= 0 && p < 4,
    cluster,
  );
  cluster.addParticipant(c);
  await c.start();
  return { c, cluster, clock };
}

function commit(c: GroupCoordinator, groupId: string, offset: number, generationId = -1, memberId = "") {
  return c.commit({
    groupId,
    generationId,
    memberId,
    groupInstanceId: null,
    retentionTimeMs: -1,
    offsets: [{ topic: "t", partition: 0, offset, leaderEpoch: -1, metadata: null }],
  }).then((codes) => codes.get(offsetKey("t", 0)));
}

function fetched(c: GroupCoordinator, groupId: string): number {
  return c.fetchOffsets(groupId, [{ topic: "t", partition: 0 }])[0].offset;
}

function fetchCode(c: GroupCoordinator, groupId: string): number {
  try {
    c.fetchOffsets(groupId, null);
    return E.NONE;
  } catch (e) {
    return e instanceof KafkaError ? e.code : -1;
  }
}

const enc = (s: string) => new TextEncoder().encode(s);
function join(c: GroupCoordinator, groupId: string, over: Partial<JoinArgs> = {}): Promise<JoinResult> {
  return c.join({
    groupId,
    memberId: "",
    groupInstanceId: null,
    clientId: "client",
    clientHost: "/127.0.0.1",
    sessionTimeoutMs: 10000,
    rebalanceTimeoutMs: 2000,
    protocolType: "consumer",
    protocols: [{ name: "range", metadata: enc("m") }],
    requireKnownMemberId: false,
    reason: null,
    ...over,
  });
}

function sync(c: GroupCoordinator, groupId: string, generationId: number, memberId: string, assign = false) {
  return c.sync({
    groupId,
    generationId,
    memberId,
    groupInstanceId: null,
    protocolType: "consumer",
    protocolName: "range",
    assignments: assign ? [{ memberId, assignment: enc("all") }] : [],
  });
}

function storedOffset(offset: number): CommittedOffset {
  return {
    topic: "t",
    partition: 0,
    offset,
    leaderEpoch: -1,
    metadata: null,
    commitTimestamp: 1,
    expireTimestamp: -1,
  };
}

Deno.test("distributed coordinator: loads nothing at start; acquires load their partitions' groups in one load", async () => {
  const store = new SharedStore();
  const [g0, g1] = [groupOn(0), groupOn(1)];
  store.offsets.set(g0, new Map([[offsetKey("t", 0), storedOffset(10)]]));
  store.offsets.set(g1, new Map([[offsetKey("t", 0), storedOffset(11)]]));
  store.groups.set(g1, {
    groupId: g1,
    protocolType: "consumer",
    protocolName: null,
    generationId: 3,
    leaderId: null,
    currentStateTimestamp: 1,
    members: [],
  });
  const { c, cluster } = await gateway(store);
  try {
    assertEquals(store.loads, 0, "nothing loaded at start");
    assertEquals(c.list(), []);
    assertEquals(fetchCode(c, g0), E.NOT_COORDINATOR, "no offsets answered for a group not held");
    // Another topic's partitions are not the coordinator's concern.
    await c.acquire({ topic: "t", partition: 0 }, 1);
    assertEquals(store.loads, 0);

    await cluster.gain(CO, ALL, 1);
    assertEquals(store.loads, 1, "partitions acquired together share one load");
    assertEquals([fetched(c, g0), fetched(c, g1)], [10, 11]);
    assertEquals(c.list().map((g) => g.groupId).sort(), [g0, g1].sort());
    assertEquals(c.describe(g1).generationId, 3);

    await cluster.lose(CO, [1]);
    assertEquals(c.list().map((g) => g.groupId), [g0], "the released partition's groups are gone");
    assertEquals(fetchCode(c, g1), E.NOT_COORDINATOR);
    assertEquals(await commit(c, g1, 12), E.NOT_COORDINATOR);
    assertEquals(c.heartbeat(g1, 3, "m", null), E.NOT_COORDINATOR);
    assertEquals((await join(c, g1)).errorCode, E.NOT_COORDINATOR);
    assertEquals(await c.deleteGroup(g1), E.NOT_COORDINATOR);
    assertEquals((await c.deleteOffsets(g1, [{ topic: "t", partition: 0 }])).errorCode, E.NOT_COORDINATOR);
    assertEquals(c.list().map((g) => g.groupId), [g0], "refused requests create no group in memory");
    assertEquals(store.stored(g1), 11, "nothing written for the released group");

    // Acquired again (new epoch): read afresh.
    await cluster.gain(CO, [1], 2);
    assertEquals(store.loads, 2);
    assertEquals(fetched(c, g1), 11);
  } finally {
    await c.close();
  }
});

Deno.test("release: waiting JoinGroup/SyncGroup members get NOT_COORDINATOR, timers stop, nothing is written after", async () => {
  const store = new SharedStore();
  const g = groupOn(2);
  const h = groupOn(2, 4, "other-");
  const { c, cluster, clock } = await gateway(store, { initialRebalanceDelayMs: 100 });
  try {
    await cluster.gain(CO, ALL, 1);
    // Group g: two members join within the initial delay; the follower's SyncGroup waits for the leader's.
    const ja = join(c, g);
    const jb = join(c, g);
    await clock.advance(100);
    const [a, b] = await Promise.all([ja, jb]);
    assertEquals([a.errorCode, b.errorCode, a.generationId], [E.NONE, E.NONE, 1]);
    const follower = a.leader === a.memberId ? b : a;
    const leader = a.leader === a.memberId ? a : b;
    let followerSync: SyncResult | null = null;
    sync(c, g, 1, follower.memberId).then((r) => followerSync = r);
    // Group h: a member waits in JoinGroup on the initial-delay timer.
    let hJoin: JoinResult | null = null;
    join(c, h).then((r) => hJoin = r);
    await clock.advance(0);
    assertEquals(clock.pending, 2, "the retention check, one timer for every group deadline");
    const writes = store.writes;

    await cluster.lose(CO, [2]);
    await clock.advance(0);
    assertEquals(followerSync!.errorCode, E.NOT_COORDINATOR);
    assertEquals(hJoin!.errorCode, E.NOT_COORDINATOR);
    assertEquals(clock.pending, 1, "the released groups' deadlines are gone: only the retention check");
    assertEquals(c.groupState(g), undefined);
    assertEquals(c.describe(h).state, "Dead");
    // The leader's SyncGroup arrives late: refused, and nothing stored.
    assertEquals((await sync(c, g, 1, leader.memberId, true)).errorCode, E.NOT_COORDINATOR);
    assertEquals(c.heartbeat(g, 1, leader.memberId, null), E.NOT_COORDINATOR);
    await clock.advance(20_000); // sessions and rebalance timeouts pass
    assertEquals(await c.expireOffsets(clock.now() + 3_600_000), 0); // and retention
    assertEquals(store.writes, writes, "nothing written for released groups");
    assertEquals(store.groups.has(g) || store.groups.has(h), false);
  } finally {
    await c.close();
  }
});

Deno.test("failover: an acquire reads what another coordinator committed; a stale gateway cannot move offsets back", async () => {
  const store = new SharedStore();
  const g = groupOn(3);
  const A = await gateway(store);
  const B = await gateway(store);
  try {
    await A.cluster.gain(CO, ALL, 1);
    assertEquals(await commit(A.c, g, 100), E.NONE);
    // The partition moves to B, which reads A's commit and moves on.
    await A.cluster.lose(CO, [3]);
    await B.cluster.gain(CO, [3], 2);
    assertEquals(fetched(B.c, g), 100);
    assertEquals(await commit(B.c, g, 300), E.NONE);
    // A consumer still talking to A (stale metadata) commits an older position: refused, the store keeps 300.
    assertEquals(await commit(A.c, g, 100), E.NOT_COORDINATOR);
    assertEquals(store.stored(g), 300);
    // Back to A: it reads B's 300, not the 100 it had in memory.
    await B.cluster.lose(CO, [3]);
    await A.cluster.gain(CO, [3], 3);
    assertEquals(fetched(A.c, g), 300);
    assertEquals(await commit(B.c, g, 200), E.NOT_COORDINATOR);
    assertEquals(store.stored(g), 300);
  } finally {
    await A.c.close();
    await B.c.close();
  }
});

Deno.test("fencing: a lapsed lease refuses writes; a release waits for a write in flight, which answers NOT_COORDINATOR", async () => {
  const store = new SharedStore();
  const g = groupOn(0);
  const { c, cluster } = await gateway(store);
  try {
    await cluster.gain(CO, ALL, 1);
    assertEquals(await commit(c, g, 5), E.NONE);
    // Lease not renewed in time: the partition is still assigned here but may not be written.
    cluster.leaseFresh = false;
    assertEquals(await commit(c, g, 6), E.NOT_COORDINATOR);
    assertEquals(store.stored(g), 5);
    cluster.leaseFresh = true;

    // A commit is being stored when the partition is taken away.
    let open!: () => void;
    store.gate = new Promise((r) => open = r);
    const pending = commit(c, g, 7);
    await new Promise((r) => setTimeout(r, 0));
    let released = false;
    const rel = cluster.lose(CO, [0]).then(() => released = true);
    await new Promise((r) => setTimeout(r, 10));
    assert(!released, "the release waits for the write in flight");
    open();
    await rel;
    assertEquals(await pending, E.NOT_COORDINATOR, "a write that outlived its hold is not vouched for");
    assertEquals(store.stored(g), 7, "it is durable: the next coordinator reads it");
    assertEquals(fetchCode(c, g), E.NOT_COORDINATOR);
    assertEquals(c.list(), [], "and it is not kept in memory");
  } finally {
    store.gate = null;
    await c.close();
  }
});

Deno.test("an acquire overtaken by its release keeps nothing; loads run one at a time, never shared once started", async () => {
  const store = new SharedStore();
  const g = groupOn(1);
  store.offsets.set(g, new Map([[offsetKey("t", 0), storedOffset(42)]]));
  const { c, cluster } = await gateway(store);
  try {
    let open!: () => void;
    store.loadGate = new Promise((r) => open = r);
    const acquiring = c.acquire({ topic: CO, partition: 1 }, 1);
    await new Promise((r) => setTimeout(r, 5)); // the load has started
    assertEquals(store.loads, 1);
    await c.release({ topic: CO, partition: 1 });
    // An acquire arriving while a load runs waits for the next one (the running one may predate its writer).
    const again = c.acquire({ topic: CO, partition: 2 }, 1);
    open();
    store.loadGate = null;
    await acquiring;
    await again;
    assertEquals(store.loads, 2);
    assertEquals(c.list(), [], "partition 1 was released while loading");
    await cluster.gain(CO, [1], 2);
    assertEquals(fetched(c, g), 42);
  } finally {
    await c.close();
  }
});

Deno.test("solo: a SoloCluster coordinator loads everything at start and ignores participant calls", async () => {
  const store = new SharedStore();
  const g = groupOn(1);
  store.offsets.set(g, new Map([[offsetKey("t", 0), storedOffset(9)]]));
  const cluster = new SoloCluster({
    nodeId: 1,
    advertised: { host: "127.0.0.1", port: 9092 },
    offsetsTopicPartitions: 4,
    topics: () => [],
  });
  const c = new GroupCoordinator(
    store,
    { ...OPTS, clock: new ManualClock() },
    logger("test"),
    () => true,
    cluster,
  );
  try {
    await c.start();
    assertEquals(store.loads, 1);
    assertEquals(fetched(c, g), 9);
    await c.release({ topic: CO, partition: 1 });
    await c.acquire({ topic: CO, partition: 1 }, -1);
    assertEquals(store.loads, 1);
    assertEquals(fetched(c, g), 9);
    assertEquals(await commit(c, g, 10), E.NONE);
  } finally {
    await c.close();
  }
});
