// KIP-848 consumer group benchmark: the coordinator's own time (no network) for ConsumerGroupHeartbeat, with the
// group state in the embedded group log with fsync "interval" (the gateway's default: written to the OS, synced in
// the background) and "always" (each heartbeat that changes the group waits for fdatasync) and, for comparison, an
// in-memory store (CPU only). Printed figures, no asserts.
//
//   deno task bench:consumer-groups [--reps N]
//
// 1. Reassignment after a member joins a 10-member group (6 topics x 10 partitions): the summed time of every
//    heartbeat from the newcomer's join until the group is Stable again (the members heartbeat in turn, revoke,
//    and take what was released, as clients do), median and max over --reps (default 20) joins.
// 2. 1,000 members in one group, 10,000 partitions (10 topics x 1,000): time of the 1,000 joins, then the time to
//    reconcile all to Stable, the time of one more join (its heartbeat: epoch bump + target assignment), and the
//    process RSS / JS heap.
import { GroupCoordinator } from "../src/groups/coordinator.ts";
import type { ConsumerHeartbeatArgs, TopicInfo, TopicsView } from "../src/groups/consumer/contract.ts";
import { EmbeddedGroupStore } from "../src/storage/embedded/group_log.ts";
import type { GroupStore, LoadedGroupState } from "../src/storage/group_store.ts";
import { logger } from "../src/log.ts";

const reps = Number(Deno.args[Deno.args.indexOf("--reps") + 1]) || 20;

class Topics implements TopicsView {
  readonly map = new Map<string, TopicInfo>();
  constructor(topics: number, partitions: number) {
    for (let i = 0; i < topics; i++) {
      const id = i.toString(16).padStart(32, "0");
      this.map.set(`t${i}`, { id, name: `t${i}`, partitions });
    }
  }
  byName(n: string) {
    return this.map.get(n);
  }
  byId(id: string) {
    for (const t of this.map.values()) if (t.id === id) return t;
    return undefined;
  }
  names() {
    return this.map.keys();
  }
}

/** A GroupStore that keeps nothing (CPU-only figures). */
class NullStore implements GroupStore {
  load(): Promise<LoadedGroupState> {
    return Promise.resolve({ groups: new Map(), offsets: new Map(), consumerGroups: new Map() });
  }
  commitOffsets() {
    return Promise.resolve();
  }
  deleteOffsets() {
    return Promise.resolve();
  }
  saveGroup() {
    return Promise.resolve();
  }
  saveConsumerGroup() {
    return Promise.resolve();
  }
  deleteGroup() {
    return Promise.resolve();
  }
  close() {
    return Promise.resolve();
  }
}

type Rows = { topicId: string; partitions: number[] }[];

class Client {
  epoch = 0;
  owned: Rows = [];
  constructor(readonly c: GroupCoordinator, readonly memberId: string, readonly topics: string[]) {}
  async beat(): Promise<number> {
    const joining = this.epoch === 0;
    const a: ConsumerHeartbeatArgs = {
      apiVersion: 1,
      groupId: "bench",
      memberId: this.memberId,
      memberEpoch: this.epoch,
      instanceId: null,
      rackId: null,
      rebalanceTimeoutMs: joining ? 30_000 : -1,
      subscribedTopicNames: joining ? this.topics : null,
      subscribedTopicRegex: null,
      serverAssignor: null,
      topicPartitions: joining ? [] : this.owned,
      clientId: this.memberId,
      clientHost: "/127.0.0.1",
    };
    const t0 = performance.now();
    const r = await this.c.consumerGroupHeartbeat(a);
    const ms = performance.now() - t0;
    if (r.errorCode !== 0) throw new Error(`${this.memberId}: error ${r.errorCode} ${r.errorMessage}`);
    this.epoch = r.memberEpoch;
    if (r.assignment !== null) this.owned = r.assignment;
    return ms;
  }
}

async function coordinator(store: GroupStore, topics: TopicsView): Promise<GroupCoordinator> {
  const c = new GroupCoordinator(
    store,
    {
      initialRebalanceDelayMs: 0,
      minSessionTimeoutMs: 6000,
      maxSessionTimeoutMs: 1_800_000,
      maxGroupSize: 1_000_000,
      offsetsRetentionMs: 7 * 86_400_000,
      offsetsRetentionCheckIntervalMs: 600_000,
      offsetMetadataMaxBytes: 4096,
      topics,
      consumerSessionTimeoutMs: 600_000,
    },
    logger("bench"),
    () => true,
  );
  await c.start();
  return c;
}

/** Heartbeats of every client in turn until the group is Stable; returns the summed coordinator time. */
async function settle(c: GroupCoordinator, clients: Client[]): Promise<number> {
  let total = 0;
  for (let round = 0; round < 20; round++) {
    for (const cl of clients) total += await cl.beat();
    if (c.consumerGroupState("bench") === "Stable") return total;
  }
  throw new Error(`not Stable after 20 rounds: ${c.consumerGroupState("bench")}`);
}

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
const f = (x: number) => x.toFixed(2);

async function reassignAfterJoin(label: string, store: GroupStore): Promise<void> {
  const topics = new Topics(6, 10);
  const names = [...topics.map.keys()];
  const c = await coordinator(store, topics);
  const clients: Client[] = [];
  for (let i = 0; i < 10; i++) clients.push(new Client(c, `m${i}`, names));
  await settle(c, clients);
  const times: number[] = [];
  const joinOnly: number[] = [];
  for (let r = 0; r < reps; r++) {
    const n = new Client(c, `new-${r}`, names);
    const t = await n.beat();
    joinOnly.push(t);
    times.push(t + await settle(c, [...clients, n]));
    clients.push(n);
    // Back to 10 members: the oldest leaves (not measured).
    const old = clients.shift()!;
    await c.consumerGroupHeartbeat({
      apiVersion: 1,
      groupId: "bench",
      memberId: old.memberId,
      memberEpoch: -1,
      instanceId: null,
      rackId: null,
      rebalanceTimeoutMs: -1,
      subscribedTopicNames: null,
      subscribedTopicRegex: null,
      serverAssignor: null,
      topicPartitions: null,
      clientId: "x",
      clientHost: "x",
    });
    await settle(c, clients);
  }
  console.log(
    `${label}: reassignment after a join into 10 members (60 partitions), ${reps} joins: total gateway time ` +
      `median ${f(pct(times, 0.5))} ms, max ${f(Math.max(...times))} ms; the join heartbeat alone median ` +
      `${f(pct(joinOnly, 0.5))} ms`,
  );
  await c.close();
}

async function large(label: string, store: GroupStore): Promise<void> {
  const topics = new Topics(10, 1000);
  const names = [...topics.map.keys()];
  const c = await coordinator(store, topics);
  const rss0 = Deno.memoryUsage().rss;
  const clients: Client[] = [];
  let joins = 0;
  const t0 = performance.now();
  for (let i = 0; i < 1000; i++) {
    const cl = new Client(c, `member-${i}`, names);
    joins += await cl.beat();
    clients.push(cl);
  }
  const wall = performance.now() - t0;
  const settleMs = await settle(c, clients);
  const extra = new Client(c, "member-extra", names);
  const oneJoin = await extra.beat();
  const mem = Deno.memoryUsage();
  console.log(
    `${label}: 1,000 members x 10,000 partitions: 1,000 joins ${f(joins)} ms of heartbeat time ` +
      `(${f(joins / 1000)} ms each, wall ${f(wall)} ms), then all reconciled to Stable in ${
        f(settleMs)
      } ms; ` +
      `one more join (epoch bump + target assignment) ${f(oneJoin)} ms; RSS ${
        (mem.rss / 2 ** 20).toFixed(0)
      } MB ` +
      `(+${((mem.rss - rss0) / 2 ** 20).toFixed(0)} MB), heap used ${(mem.heapUsed / 2 ** 20).toFixed(0)} MB`,
  );
  await c.close();
}

console.log(`deno ${Deno.version.deno}; ${reps} reps`);
await reassignAfterJoin("memory", new NullStore());
const dir = await Deno.makeTempDir({ prefix: "kgw-bench-cg-" });
try {
  const store = (fsync: "always" | "interval") =>
    new EmbeddedGroupStore({ dir: `${dir}/${crypto.randomUUID()}`, fsync, fsyncIntervalMs: 1000 });
  await reassignAfterJoin("embedded (fsync interval, the default)", store("interval"));
  await reassignAfterJoin("embedded (fsync always)", store("always"));
  await large("memory", new NullStore());
  await large("embedded (fsync interval, the default)", store("interval"));
  await large("embedded (fsync always)", store("always"));
} finally {
  await Deno.remove(dir, { recursive: true });
}
