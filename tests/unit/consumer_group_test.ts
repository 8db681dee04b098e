// KIP-848 consumer groups through the coordinator (ConsumerGroupHeartbeat's rules), on a manual clock and an
// in-memory store: joins and assignment, revoke before assign (no partition has two owners at any step), session
// and rebalance timeouts, static members, regex subscriptions and new partitions, fencing codes, offset rules with
// member epochs, and the group surviving a coordinator restart.
import { GroupCoordinator } from "../../src/groups/coordinator.ts";
import type {
  ConsumerHeartbeatArgs,
  ConsumerHeartbeatResult,
  TopicInfo,
  TopicsView,
} from "../../src/groups/consumer/contract.ts";
import { ErrorCode } from "../../src/protocol/errors.ts";
import { logger } from "../../src/log.ts";
import { ManualClock } from "../helpers/clock.ts";
import { MemoryStore, OPTS } from "./group_fixtures.ts";
import { assert, assertEquals } from "./assert.ts";

class Topics implements TopicsView {
  readonly byNameMap = new Map<string, TopicInfo>();
  add(name: string, partitions: number): TopicInfo {
    const t = { id: (name + "0".repeat(32)).slice(0, 32).replace(/[^0-9a-f]/g, "a"), name, partitions };
    this.byNameMap.set(name, t);
    return t;
  }
  byName(name: string) {
    return this.byNameMap.get(name);
  }
  byId(id: string) {
    return [...this.byNameMap.values()].find((t) => t.id === id);
  }
  names() {
    return this.byNameMap.keys();
  }
}

const SESSION = 45_000;
const REBALANCE = 10_000;

async function setup(store = new MemoryStore(), topics = new Topics(), clock = new ManualClock()) {
  if (topics.byNameMap.size === 0) topics.add("orders", 6);
  const c = new GroupCoordinator(
    store,
    { ...OPTS, clock, topics, consumerSessionTimeoutMs: SESSION, consumerHeartbeatIntervalMs: 5_000 },
    logger("test"),
    (t, p) => topics.byName(t) !== undefined && p < topics.byName(t)!.partitions,
  );
  await c.start();
  return { c, store, topics, clock };
}

type Rows = { topicId: string; partitions: number[] }[];

/** A client of the consumer protocol: remembers its id, epoch and owned partitions as a real one does. */
class Member {
  memberId = "";
  epoch = 0;
  owned: Rows = [];
  last: ConsumerHeartbeatResult | null = null;
  constructor(
    readonly c: GroupCoordinator,
    readonly name: string,
    readonly sub: { names?: string[]; regex?: string; instanceId?: string; assignor?: string } = {
      names: ["orders"],
    },
  ) {
    this.memberId = `${name}-id`;
  }
  args(over: Partial<ConsumerHeartbeatArgs> = {}): ConsumerHeartbeatArgs {
    const joining = this.epoch === 0;
    return {
      apiVersion: 1,
      groupId: "g",
      memberId: this.memberId,
      memberEpoch: this.epoch,
      instanceId: this.sub.instanceId ?? null,
      rackId: null,
      rebalanceTimeoutMs: joining ? REBALANCE : -1,
      subscribedTopicNames: joining ? this.sub.names ?? null : null,
      subscribedTopicRegex: joining ? this.sub.regex ?? null : null,
      serverAssignor: joining ? this.sub.assignor ?? null : null,
      topicPartitions: joining ? [] : this.owned,
      clientId: this.name,
      clientHost: "/127.0.0.1",
      ...over,
    };
  }
  async beat(over: Partial<ConsumerHeartbeatArgs> = {}): Promise<ConsumerHeartbeatResult> {
    const r = await this.c.consumerGroupHeartbeat(this.args(over));
    this.last = r;
    if (r.errorCode === ErrorCode.NONE) {
      if (r.memberId !== null) this.memberId = r.memberId;
      this.epoch = r.memberEpoch;
      // The client takes what it is given (revoking what is no longer there) and reports it next time.
      if (r.assignment !== null) this.owned = r.assignment;
    }
    return r;
  }
  count(): number {
    return this.owned.reduce((n, t) => n + t.partitions.length, 0);
  }
}

/** No partition is owned (assigned or pending revocation) by two members, as the coordinator sees it. */
function assertNoDoubleOwner(c: GroupCoordinator): void {
  const d = c.describeConsumerGroup("g");
  const seen = new Set<string>();
  for (const m of d.members) {
    for (const t of m.assignment) {
      for (const p of t.partitions) {
        const k = `${t.topicId}/${p}`;
        assert(!seen.has(k), `partition ${k} owned twice`);
        seen.add(k);
      }
    }
  }
}

/** What the clients hold: no partition in two clients' hands at once. */
function assertClientsDisjoint(members: Member[]): void {
  const seen = new Set<string>();
  for (const m of members) {
    for (const t of m.owned) {
      for (const p of t.partitions) {
        const k = `${t.topicId}/${p}`;
        assert(!seen.has(k), `clients both hold ${k}`);
        seen.add(k);
      }
    }
  }
}

async function settle(c: GroupCoordinator, members: Member[], rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    for (const m of members) {
      const r = await m.beat();
      assertEquals(r.errorCode, ErrorCode.NONE, `${m.name}: ${r.errorMessage}`);
      assertNoDoubleOwner(c);
      assertClientsDisjoint(members);
    }
    if (c.consumerGroupState("g") === "Stable") return;
  }
}

Deno.test("consumer group: 3 members share 6 partitions 2 each; never two owners on the way; Stable", async () => {
  const { c } = await setup();
  try {
    const ms = [new Member(c, "a"), new Member(c, "b"), new Member(c, "c")];
    const first = await ms[0].beat();
    assertEquals(first.errorCode, ErrorCode.NONE);
    assertEquals(first.memberEpoch, 1);
    assertEquals(ms[0].count(), 6);
    assertEquals(first.heartbeatIntervalMs, 5_000);
    await settle(c, ms);
    assertEquals(c.consumerGroupState("g"), "Stable");
    assertEquals(ms.map((m) => m.count()), [2, 2, 2]);
    const d = c.describeConsumerGroup("g");
    assertEquals(d.errorCode, ErrorCode.NONE);
    assertEquals(d.groupEpoch, 3);
    assertEquals(d.assignmentEpoch, 3);
    assertEquals(d.assignorName, "uniform");
    assert(d.members.every((m) => m.memberEpoch === 3 && m.state === "STABLE" && m.memberType === 1));
    assertEquals(c.list().find((g) => g.groupId === "g")?.type, "consumer");
    assertEquals(c.groupType("g"), "consumer");
  } finally {
    await c.close();
  }
});

Deno.test("consumer group: revoke before assign — the newcomer waits until the owner reports the revocation", async () => {
  const { c } = await setup();
  try {
    const a = new Member(c, "a");
    const b = new Member(c, "b");
    await a.beat();
    assertEquals(a.count(), 6);
    await b.beat(); // joins: epoch 2, its target partitions are still a's
    assertEquals(b.count(), 0);
    assertEquals(b.epoch, 2);
    // a is asked to give up 3 partitions but keeps reporting all 6: it stays at epoch 1, b gets nothing.
    const stuck = await a.beat({ topicPartitions: a.owned });
    assertEquals(stuck.memberEpoch, 1);
    assertEquals(a.count(), 3);
    const full = [{
      topicId: c.describeConsumerGroup("g").members[0].assignment[0].topicId,
      partitions: [0, 1, 2, 3, 4, 5],
    }];
    await a.beat({ topicPartitions: full }); // still owns them all
    assertEquals(
      c.describeConsumerGroup("g").members.find((m) => m.clientId === "a")?.state,
      "UNREVOKED_PARTITIONS",
    );
    await b.beat();
    assertEquals(b.count(), 0, "b must not get partitions a still owns");
    // a revokes (reports its 3): it moves to epoch 2; b then gets the 3 released.
    await a.beat();
    assertEquals(a.epoch, 2);
    await b.beat();
    assertEquals(b.count(), 3);
    assertEquals(c.consumerGroupState("g"), "Stable");
  } finally {
    await c.close();
  }
});

Deno.test("consumer group: a member silent past the session timeout is fenced and its partitions move", async () => {
  const { c, clock } = await setup();
  try {
    const a = new Member(c, "a");
    const b = new Member(c, "b");
    await settle(c, [a, b]);
    assertEquals([a.count(), b.count()], [3, 3]);
    await clock.advance(SESSION - 1);
    await a.beat(); // a lives; b is silent
    assertEquals(c.describeConsumerGroup("g").members.length, 2, "b's session is not over yet");
    await clock.advance(1);
    assertEquals(
      c.describeConsumerGroup("g").members.map((m) => m.clientId),
      ["a"],
      "it ends at its millisecond",
    );
    await a.beat();
    assertEquals(a.count(), 6);
    const late = await b.beat();
    assertEquals(late.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  } finally {
    await c.close();
  }
});

Deno.test("consumer group: a member that does not revoke within its rebalance timeout is fenced", async () => {
  const { c, clock } = await setup();
  try {
    const a = new Member(c, "a");
    const b = new Member(c, "b");
    await a.beat();
    const all = a.owned;
    await b.beat();
    await a.beat({ topicPartitions: all }); // must revoke 3, keeps reporting all
    await clock.advance(REBALANCE - 1);
    await b.beat();
    await a.beat({ topicPartitions: all });
    assert(c.describeConsumerGroup("g").members.some((m) => m.clientId === "a"));
    await clock.advance(1);
    assertEquals(c.describeConsumerGroup("g").members.map((m) => m.clientId), ["b"]);
    await b.beat();
    await b.beat();
    assertEquals(b.count(), 6);
    assertEquals((await a.beat()).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  } finally {
    await c.close();
  }
});

Deno.test("consumer group: a static member leaving (-2) and rejoining gets its partitions back, no new epoch", async () => {
  const { c } = await setup();
  try {
    const a = new Member(c, "a", { names: ["orders"], instanceId: "inst-a" });
    const b = new Member(c, "b");
    await settle(c, [a, b]);
    const before = c.describeConsumerGroup("g");
    const aParts = JSON.stringify(a.owned);
    assertEquals((await a.beat({ memberEpoch: -2 })).memberEpoch, -2);
    // Another instance with the same id while it is away: it takes the place.
    const again = new Member(c, "a2", { names: ["orders"], instanceId: "inst-a" });
    const r = await again.beat();
    assertEquals(r.errorCode, ErrorCode.NONE);
    assertEquals(JSON.stringify(again.owned), aParts);
    const after = c.describeConsumerGroup("g");
    assertEquals(after.groupEpoch, before.groupEpoch, "no rebalance");
    assertEquals(after.members.length, 2);
    // A third one while the instance is active: refused.
    const dup = new Member(c, "a3", { names: ["orders"], instanceId: "inst-a" });
    assertEquals((await dup.beat()).errorCode, ErrorCode.UNRELEASED_INSTANCE_ID);
    // The old member id is fenced.
    assertEquals((await a.beat()).errorCode, ErrorCode.FENCED_INSTANCE_ID);
  } finally {
    await c.close();
  }
});

Deno.test("consumer group: a regex subscription picks up a topic created later; new partitions bump the epoch", async () => {
  const { c, topics, clock } = await setup();
  try {
    const a = new Member(c, "a", { regex: "ord.*" });
    await a.beat();
    assertEquals(a.count(), 6);
    topics.add("ordinals", 2);
    await clock.advance(1_000);
    await a.beat();
    await a.beat();
    assertEquals(a.count(), 8);
    const epoch = a.epoch;
    topics.byNameMap.set("orders", { ...topics.byName("orders")!, partitions: 8 });
    await a.beat();
    await a.beat();
    assertEquals(a.count(), 10);
    assert(a.epoch > epoch);
    assertEquals(c.describeConsumerGroup("g").members[0].subscribedTopicRegex, "ord.*");
  } finally {
    await c.close();
  }
});

Deno.test("consumer group: request validation and fencing codes", async () => {
  const { c } = await setup();
  try {
    const a = new Member(c, "a");
    const bad = async (over: Partial<ConsumerHeartbeatArgs>, code: number, text?: string) => {
      const r = await c.consumerGroupHeartbeat(a.args(over));
      assertEquals(r.errorCode, code, JSON.stringify(over));
      if (text !== undefined) assert(r.errorMessage?.includes(text), `${r.errorMessage} / ${text}`);
    };
    await bad({ groupId: "" }, ErrorCode.INVALID_REQUEST, "GroupId");
    await bad({ memberId: "" }, ErrorCode.INVALID_REQUEST, "MemberId");
    await bad({ rebalanceTimeoutMs: -1 }, ErrorCode.INVALID_REQUEST, "RebalanceTimeoutMs");
    await bad({ subscribedTopicNames: null }, ErrorCode.INVALID_REQUEST, "SubscribedTopic");
    await bad({ memberEpoch: -3 }, ErrorCode.INVALID_REQUEST, "MemberEpoch");
    await bad({ serverAssignor: "sticky" }, ErrorCode.UNSUPPORTED_ASSIGNOR, "uniform");
    await bad({ subscribedTopicNames: null, subscribedTopicRegex: "(unclosed" }, 128);
    await bad({ memberEpoch: 5, topicPartitions: null }, ErrorCode.UNKNOWN_MEMBER_ID);
    // v0: the coordinator names a member that joins without an id.
    const v0 = await c.consumerGroupHeartbeat(a.args({ apiVersion: 0, memberId: "" }));
    assertEquals(v0.errorCode, ErrorCode.NONE);
    assert(v0.memberId !== null && v0.memberId.length > 0);
    await a.beat();
    await bad({ memberEpoch: a.epoch + 1 }, ErrorCode.FENCED_MEMBER_EPOCH, "greater");
    await bad({ memberEpoch: a.epoch - 1, topicPartitions: null }, ErrorCode.FENCED_MEMBER_EPOCH, "smaller");
    // Leaving: -1 removes the member.
    const left = await a.beat({ memberEpoch: -1 });
    assertEquals([left.errorCode, left.memberEpoch], [ErrorCode.NONE, -1]);
    assertEquals(c.describeConsumerGroup("g").members.length, 1);
    // ConsumerGroupDescribe of a classic or unknown group: GROUP_ID_NOT_FOUND.
    assertEquals(c.describeConsumerGroup("nope").errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  } finally {
    await c.close();
  }
});

Deno.test("consumer group: offset commits and fetches carry the member epoch (STALE_MEMBER_EPOCH, UNKNOWN_MEMBER_ID)", async () => {
  const { c } = await setup();
  try {
    const a = new Member(c, "a");
    await a.beat();
    const commit = (memberId: string, epoch: number, apiVersion = 9, groupId = "g") =>
      c.commit({
        groupId,
        generationId: epoch,
        apiVersion,
        memberId,
        groupInstanceId: null,
        retentionTimeMs: -1,
        offsets: [{ topic: "orders", partition: 0, offset: 7, leaderEpoch: -1, metadata: null }],
      }).then((m) => [...m.values()][0]);
    assertEquals(await commit(a.memberId, a.epoch), ErrorCode.NONE);
    assertEquals(await commit(a.memberId, a.epoch + 1), ErrorCode.STALE_MEMBER_EPOCH);
    assertEquals(await commit("stranger", 1), ErrorCode.UNKNOWN_MEMBER_ID);
    // Kafka 4: a commit without membership is taken only while the group has no members.
    assertEquals(
      await commit("", -1),
      ErrorCode.UNKNOWN_MEMBER_ID,
      "memberless commit to a group with members",
    );
    // A consumer-protocol member must use OffsetCommit v9+ (its epoch is not a generation).
    assertEquals(await commit(a.memberId, a.epoch, 8), ErrorCode.UNSUPPORTED_VERSION);
    assertEquals(await commit(a.memberId, a.epoch, 2), ErrorCode.UNSUPPORTED_VERSION);
    // An unknown group with a generation: GROUP_ID_NOT_FOUND from v9, ILLEGAL_GENERATION before.
    assertEquals(await commit("m", 3, 9, "nobody"), ErrorCode.GROUP_ID_NOT_FOUND);
    assertEquals(await commit("m", 3, 8, "nobody"), ErrorCode.ILLEGAL_GENERATION);
    assertEquals(await commit("", -1, 9, "nobody"), ErrorCode.NONE, "a simple group needs no membership");
    assertEquals(
      c.fetchOffsets("g", [{ topic: "orders", partition: 0 }], false, {
        memberId: a.memberId,
        memberEpoch: a.epoch,
      })[0].offset,
      7,
    );
    let code = -1;
    try {
      c.fetchOffsets("g", null, false, { memberId: a.memberId, memberEpoch: a.epoch + 3 });
    } catch (e) {
      code = (e as { code: number }).code;
    }
    assertEquals(code, ErrorCode.STALE_MEMBER_EPOCH);
    assertEquals(await c.deleteGroup("g"), ErrorCode.NON_EMPTY_GROUP);
    // Once the member left, the empty group takes memberless commits again.
    assertEquals((await a.beat({ memberEpoch: -1 })).errorCode, ErrorCode.NONE);
    assertEquals(await commit("", -1), ErrorCode.NONE, "admin commits to an empty group need no membership");
  } finally {
    await c.close();
  }
});

Deno.test("consumer group: state survives a coordinator restart; members carry on at their epochs", async () => {
  const store = new MemoryStore();
  const topics = new Topics();
  const first = await setup(store, topics);
  const a = new Member(first.c, "a");
  const b = new Member(first.c, "b");
  await settle(first.c, [a, b]);
  const before = first.c.describeConsumerGroup("g");
  await first.c.close();
  assert(store.consumerGroups.has("g"), "the group was written");

  const second = await setup(store, topics);
  try {
    const after = second.c.describeConsumerGroup("g");
    assertEquals(after.groupEpoch, before.groupEpoch);
    assertEquals(
      after.members.map((m) => [m.memberId, m.memberEpoch, m.assignment]),
      before.members.map((m) => [m.memberId, m.memberEpoch, m.assignment]),
    );
    // The same clients keep heartbeating against the new coordinator: accepted, nothing moves.
    const a2 = Object.assign(new Member(second.c, "a"), {
      memberId: a.memberId,
      epoch: a.epoch,
      owned: a.owned,
    });
    const r = await a2.beat();
    assertEquals([r.errorCode, r.memberEpoch], [ErrorCode.NONE, a.epoch]);
    assertEquals(second.c.consumerGroupState("g"), "Stable");
    // Deleting needs it empty: both leave, then DeleteGroups removes the record.
    await a2.beat({ memberEpoch: -1 });
    const b2 = Object.assign(new Member(second.c, "b"), {
      memberId: b.memberId,
      epoch: b.epoch,
      owned: b.owned,
    });
    await b2.beat({ memberEpoch: -1 });
    assertEquals(second.c.consumerGroupState("g"), "Empty");
    assertEquals(await second.c.deleteGroup("g"), ErrorCode.NONE);
    assert(!store.consumerGroups.has("g"));
  } finally {
    await second.c.close();
  }
});
