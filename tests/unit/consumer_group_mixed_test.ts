// Classic-protocol members in KIP-848 consumer groups and the conversions between group kinds
// (src/groups/consumer/{classic_members,migration,consumer_protocol}.ts), on a manual clock. The consumer group
// side is a small model of the consumer groups' operations (MixedEnv): members, a round-robin target, and the real
// revoke-before-assign reconciliation (reconcile.ts), so the tests drive the classic entry points as a client would.
import { assert, assertEquals, assertThrows } from "./assert.ts";
import { ErrorCode as E, KafkaError } from "../../src/protocol/errors.ts";
import { logger } from "../../src/log.ts";
import { ManualClock } from "../helpers/clock.ts";
import { MemoryStore, OPTS } from "./group_fixtures.ts";
import { ClassicGroups } from "../../src/groups/classic/classic_groups.ts";
import { GroupCoordinator } from "../../src/groups/coordinator.ts";
import { Deadline, DeadlineQueue } from "../../src/groups/classic/deadlines.ts";
import type { JoinArgs } from "../../src/groups/classic/join.ts";
import type { JoinResult, SyncResult } from "../../src/groups/classic/group.ts";
import type {
  Assignment,
  ConsumerHeartbeatArgs,
  ConsumerHeartbeatResult,
  MemberState,
  TopicId,
  TopicInfo,
  TopicsView,
} from "../../src/groups/consumer/contract.ts";
import { has } from "../../src/groups/consumer/assignment.ts";
import { reconcile } from "../../src/groups/consumer/reconcile.ts";
import {
  type ClassicMemberChange,
  type ClassicMemberMetadata,
  ClassicMembers,
  type ConvertedMember,
  type MigrationPolicy,
  type MixedEnv,
  type MixedGroup,
  type MixedMember,
} from "../../src/groups/consumer/classic_members.ts";
import {
  CONSUMER_PROTOCOL_MAX_VERSION,
  ConsumerProtocolError,
  decodeConsumerAssignment,
  decodeConsumerSubscription,
  encodeConsumerAssignment,
  encodeConsumerSubscription,
  type NamedTopicPartitions,
  protocolVersion,
} from "../../src/groups/consumer/consumer_protocol.ts";

// ---------------------------------------------------------------- ConsumerProtocol codec

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");

Deno.test("consumer protocol: subscription and assignment bytes as Kafka's ConsumerProtocol writes them", () => {
  // Java's ConsumerProtocol.serializeSubscription(new Subscription(["t"]), 3): version, topics, null user data,
  // no owned partitions, generation -1, null rack.
  const v3 = encodeConsumerSubscription({
    topics: ["t"],
    userData: null,
    ownedPartitions: [],
    generationId: -1,
    rackId: null,
  });
  assertEquals(hex(v3), "0003" + "00000001" + "000174" + "ffffffff" + "00000000" + "ffffffff" + "ffff");
  const s = decodeConsumerSubscription(v3);
  assertEquals(s, { topics: ["t"], userData: null, ownedPartitions: [], generationId: -1, rackId: null });
  // v0 has topics and user data only; v1 adds owned partitions, v2 the generation, v3 the rack.
  const full = {
    topics: ["a", "b"],
    userData: new Uint8Array([1, 2]),
    ownedPartitions: [{ topic: "a", partitions: [0, 2] }],
    generationId: 7,
    rackId: "r1",
  };
  for (let v = 0; v <= 3; v++) {
    const d = decodeConsumerSubscription(encodeConsumerSubscription(full, v));
    assertEquals(protocolVersion(encodeConsumerSubscription(full, v)), v);
    assertEquals(d.topics, ["a", "b"]);
    assertEquals(d.ownedPartitions, v >= 1 ? full.ownedPartitions : []);
    assertEquals(d.generationId, v >= 2 ? 7 : -1);
    assertEquals(d.rackId, v >= 3 ? "r1" : null);
  }
  // An empty rack is no rack (Kafka's Optional.empty()).
  assertEquals(decodeConsumerSubscription(encodeConsumerSubscription({ ...full, rackId: "" })).rackId, null);
  // A later version is read as the highest known one (later versions only append fields).
  const v9 = encodeConsumerSubscription(full);
  v9[1] = 9;
  assertEquals(decodeConsumerSubscription(v9).rackId, "r1");
  assertEquals(CONSUMER_PROTOCOL_MAX_VERSION, 3);

  const a = { partitions: [{ topic: "t", partitions: [0, 3] }], userData: null };
  assertEquals(
    hex(encodeConsumerAssignment(a, 0)),
    "0000" + "00000001" + "000174" + "00000002" + "00000000" + "00000003" + "ffffffff",
  );
  assertEquals(decodeConsumerAssignment(encodeConsumerAssignment(a, 1)), a);
  assertEquals(protocolVersion(encodeConsumerAssignment(a, 7)), 3, "written in at most version 3");
});

Deno.test("consumer protocol: truncated bytes and negative versions are malformed", () => {
  const ok = encodeConsumerSubscription({
    topics: ["t"],
    userData: null,
    ownedPartitions: [{ topic: "t", partitions: [1] }],
    generationId: 3,
    rackId: null,
  }, 2);
  for (const n of [0, 1, 5, ok.length - 1]) {
    assertThrows(() => decodeConsumerSubscription(ok.subarray(0, n)), ConsumerProtocolError);
  }
  assertThrows(
    () => decodeConsumerSubscription(new Uint8Array([0xff, 0xff, 0, 0, 0, 0])),
    ConsumerProtocolError,
  );
  assertThrows(() => decodeConsumerAssignment(new Uint8Array([0, 0, 0, 0, 0, 1])), ConsumerProtocolError);
  assertThrows(() => encodeConsumerAssignment({ partitions: [], userData: null }, -1), ConsumerProtocolError);
});

// ---------------------------------------------------------------- a model of the consumer groups (MixedEnv)

const TOPICS: TopicInfo[] = [
  { id: "0000000000000000000000000000000a", name: "t", partitions: 4 },
  { id: "0000000000000000000000000000000b", name: "u", partitions: 2 },
];
const T = TOPICS[0].id;

const topicsView: TopicsView = {
  byName: (n) => TOPICS.find((t) => t.name === n),
  byId: (id) => TOPICS.find((t) => t.id === id),
  names: () => TOPICS.map((t) => t.name),
};

class FakeMember implements MixedMember {
  memberEpoch = 0;
  previousMemberEpoch = 0;
  state: MemberState = "STABLE";
  assigned: Assignment = new Map();
  pendingRevocation: Assignment = new Map();
  rackId: string | null = null;
  rebalanceTimeoutMs = 30_000;
  clientId = "c";
  clientHost = "/127.0.0.1";
  subscribedTopicNames: readonly string[] = [];
  classic: ClassicMemberMetadata | null = null;
  readonly session = new Deadline();
  constructor(public memberId: string, public instanceId: string | null) {}
}

class FakeGroup implements MixedGroup {
  groupEpoch = 0;
  assignmentEpoch = 0;
  readonly members = new Map<string, FakeMember>();
  readonly target = new Map<string, Assignment>();
  constructor(readonly groupId: string) {}
  staticMemberId(instanceId: string): string | undefined {
    for (const m of this.members.values()) if (m.instanceId === instanceId) return m.memberId;
    return undefined;
  }
  targetOf(memberId: string): Assignment {
    return this.target.get(memberId) ?? new Map();
  }
  ownerEpoch(topicId: TopicId, p: number): number {
    for (const m of this.members.values()) {
      if (has(m.assigned, topicId, p) || has(m.pendingRevocation, topicId, p)) return m.memberEpoch;
    }
    return -1;
  }
}

const SESSION_MS = 45_000;

/** The consumer groups' operations, small: round-robin targets in join order, reconcile.ts. */
class FakeConsumerGroups implements MixedEnv<FakeGroup> {
  readonly groups = new Map<string, FakeGroup>();
  readonly deadlines: DeadlineQueue;
  readonly log = logger("test");
  readonly topics = topicsView;
  readonly classic: ClassicGroups;
  readonly store = new MemoryStore();
  readonly opts: { consumerMaxSize: number; classicMaxSize: number; migrationPolicy: MigrationPolicy };
  mixed!: ClassicMembers<FakeGroup>;
  persisted: string[] = [];
  fenced: string[] = [];

  constructor(readonly clock: ManualClock, opts: Partial<FakeConsumerGroups["opts"]> = {}) {
    this.deadlines = new DeadlineQueue(clock);
    this.opts = { consumerMaxSize: 100, classicMaxSize: 100, migrationPolicy: "bidirectional", ...opts };
    this.classic = new ClassicGroups(this.store, { ...OPTS, clock }, this.log, () => false);
  }

  group(groupId: string): FakeGroup | undefined {
    return this.groups.get(groupId);
  }

  create(groupId: string): FakeGroup {
    const g = new FakeGroup(groupId);
    this.groups.set(groupId, g);
    return g;
  }

  updateMember(g: FakeGroup, memberId: string, c: ClassicMemberChange, owned: Assignment): MixedMember {
    let m = g.members.get(memberId);
    let bump = false;
    if (m === undefined) {
      m = new FakeMember(memberId, c.instanceId);
      g.members.set(memberId, m);
      this.touchSession(g, memberId, SESSION_MS);
      bump = true;
    }
    if (c.rackId !== null) m.rackId = c.rackId;
    if (c.rebalanceTimeoutMs !== -1) m.rebalanceTimeoutMs = c.rebalanceTimeoutMs;
    if (m.subscribedTopicNames.join() !== c.subscribedTopicNames.join()) bump = true;
    m.subscribedTopicNames = c.subscribedTopicNames;
    m.clientId = c.clientId;
    m.clientHost = c.clientHost;
    m.classic = c.classic;
    if (bump) g.groupEpoch++;
    this.reconcile(g, m, owned);
    return m;
  }

  /** A consumer-protocol member's heartbeat (join at epoch 0, or with what it owns). */
  consumerHeartbeat(g: FakeGroup, memberId: string, topics: string[] | null, owned: Assignment | null) {
    let m = g.members.get(memberId);
    let bump = false;
    if (m === undefined) {
      m = new FakeMember(memberId, null);
      g.members.set(memberId, m);
      bump = true;
    }
    if (topics !== null && m.subscribedTopicNames.join() !== topics.join()) {
      m.subscribedTopicNames = topics;
      bump = true;
    }
    if (bump) g.groupEpoch++;
    this.touchSession(g, memberId, SESSION_MS);
    this.reconcile(g, m, owned);
    return m;
  }

  /** A consumer-protocol member leaves (epoch -1): the downgrade check first, as Kafka's fence path. */
  consumerLeave(g: FakeGroup, memberId: string): void {
    if (this.mixed.maybeDowngrade(g, memberId)) return;
    this.removeMembers(g, [memberId], "left");
  }

  private computeTarget(g: FakeGroup): void {
    const ids = [...g.members.keys()]; // join order: deterministic whatever the generated ids
    const next = new Map<string, Map<TopicId, Set<number>>>(ids.map((id) => [id, new Map()]));
    for (const t of TOPICS) {
      const subs = ids.filter((id) => g.members.get(id)!.subscribedTopicNames.includes(t.name));
      for (let p = 0; p < t.partitions && subs.length > 0; p++) {
        const a = next.get(subs[p % subs.length])!;
        if (!a.has(t.id)) a.set(t.id, new Set());
        a.get(t.id)!.add(p);
      }
    }
    g.target.clear();
    for (const [id, a] of next) g.target.set(id, a);
    g.assignmentEpoch = g.groupEpoch;
  }

  /** Kafka's CurrentAssignmentBuilder: reconcile.ts, as the real group runs it. */
  reconcile(g: FakeGroup, m: FakeMember, owned: Assignment | null): void {
    if (g.groupEpoch > g.assignmentEpoch) this.computeTarget(g);
    const next = reconcile({
      member: m,
      targetEpoch: g.assignmentEpoch,
      target: g.targetOf(m.memberId),
      owned,
      ownerEpoch: (t, p) => g.ownerEpoch(t, p),
    });
    m.state = next.state;
    m.memberEpoch = next.memberEpoch;
    m.previousMemberEpoch = next.previousMemberEpoch;
    m.assigned = next.assigned;
    m.pendingRevocation = next.pendingRevocation;
  }

  replaceStaticMember(g: FakeGroup, oldId: string, newId: string): void {
    const old = g.members.get(oldId)!;
    this.deadlines.cancel(old.session);
    g.members.delete(oldId);
    const m = new FakeMember(newId, old.instanceId);
    Object.assign(m, { ...old, memberId: newId, session: m.session, memberEpoch: 0, previousMemberEpoch: 0 });
    g.members.set(newId, m);
    g.target.set(newId, g.targetOf(oldId));
    g.target.delete(oldId);
  }

  removeMembers(g: FakeGroup, ids: readonly string[], _reason: string): void {
    for (const id of ids) {
      const m = g.members.get(id);
      if (m === undefined) continue;
      this.deadlines.cancel(m.session);
      g.members.delete(id);
      g.target.delete(id);
      this.fenced.push(id);
    }
    g.groupEpoch++;
  }

  touchSession(g: FakeGroup, memberId: string, ms: number): void {
    const m = g.members.get(memberId)!;
    this.deadlines.after(m.session, ms, () => {
      if (g.members.get(memberId) !== m) return;
      if (m.classic === null && this.mixed.maybeDowngrade(g, memberId)) return;
      this.removeMembers(g, [memberId], "session expired");
      this.mixed.memberRemoved(g.groupId, memberId);
    });
  }

  persist(g: FakeGroup): Promise<void> {
    this.persisted.push(g.groupId);
    return Promise.resolve();
  }

  dropGroup(groupId: string): Promise<void> {
    const g = this.groups.get(groupId);
    if (g !== undefined) {
      for (const m of g.members.values()) this.deadlines.cancel(m.session);
      this.groups.delete(groupId);
    }
    return Promise.resolve();
  }

  adoptConverted(groupId: string, epoch: number, members: readonly ConvertedMember[]): FakeGroup {
    const g = this.create(groupId);
    g.groupEpoch = g.assignmentEpoch = epoch;
    for (const c of members) {
      const m = new FakeMember(c.memberId, c.instanceId);
      Object.assign(m, { ...c, session: m.session, memberEpoch: epoch, previousMemberEpoch: epoch });
      g.members.set(c.memberId, m);
      g.target.set(c.memberId, c.assigned);
      this.touchSession(g, c.memberId, c.classic.sessionTimeoutMs);
    }
    return g;
  }
}

function setup(opts: Partial<FakeConsumerGroups["opts"]> = {}) {
  const clock = new ManualClock();
  const env = new FakeConsumerGroups(clock, opts);
  const mixed = new ClassicMembers(env);
  env.mixed = mixed;
  return { clock, env, mixed };
}

// ---------------------------------------------------------------- client helpers

function subscription(
  topics: string[],
  owned: readonly NamedTopicPartitions[] = [],
  version = 3,
): Uint8Array {
  return encodeConsumerSubscription({
    topics,
    userData: null,
    ownedPartitions: owned,
    generationId: -1,
    rackId: null,
  }, version);
}

function joinArgs(
  over: Partial<JoinArgs> & { topics?: string[]; owned?: readonly NamedTopicPartitions[] } = {},
): JoinArgs {
  const { topics = ["t"], owned = [], ...rest } = over;
  return {
    groupId: "g",
    memberId: "",
    groupInstanceId: null,
    clientId: "classic",
    clientHost: "/127.0.0.1",
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 5_000,
    protocolType: "consumer",
    protocols: [
      { name: "cooperative-sticky", metadata: subscription(topics, owned) },
      { name: "range", metadata: subscription(topics, owned) },
    ],
    requireKnownMemberId: false,
    reason: null,
    ...rest,
  };
}

/** The partitions of a SyncGroup answer, "topic-p" sorted. */
function partitionsOf(r: SyncResult): string[] {
  assertEquals(r.errorCode, E.NONE);
  return decodeConsumerAssignment(r.assignment).partitions.flatMap((tp) =>
    tp.partitions.map((p) => `${tp.topic}-${p}`)
  )
    .sort();
}

function syncOf(
  mixed: ClassicMembers<FakeGroup>,
  j: JoinResult,
  over: { instance?: string; name?: string } = {},
) {
  return mixed.sync({
    groupId: "g",
    generationId: j.generationId,
    memberId: j.memberId,
    groupInstanceId: over.instance ?? null,
    protocolType: "consumer",
    protocolName: over.name ?? j.protocolName,
    assignments: [],
  });
}

const owns = (m: MixedMember) =>
  [...m.assigned].flatMap(([t, s]) => [...s].map((p) => `${t === T ? "t" : "u"}-${p}`)).sort();

/** A consumer group "g" with one consumer-protocol member "c1" owning all of topic t. */
function withConsumerMember(env: FakeConsumerGroups): FakeGroup {
  const g = env.create("g");
  const c1 = env.consumerHeartbeat(g, "c1", ["t"], null);
  assertEquals(owns(c1), ["t-0", "t-1", "t-2", "t-3"]);
  return g;
}

// ---------------------------------------------------------------- classic members in a consumer group

Deno.test("mixed: a classic member joins at once, syncs its server-side assignment, partitions move revoke-first", async () => {
  const { env, mixed } = setup();
  const g = withConsumerMember(env);
  const j = await mixed.join(joinArgs());
  assertEquals(j.errorCode, E.NONE);
  assertEquals(j.protocolType, "consumer");
  assertEquals(j.protocolName, "cooperative-sticky", "the member's first protocol");
  assertEquals(j.leader, "", "no leader duty");
  assertEquals(j.members, []);
  assertEquals(j.skipAssignment, false);
  assertEquals(g.groupEpoch, 2);
  // Its target (t-1, t-3) is still owned by c1: nothing yet, generation = its epoch.
  assertEquals(j.generationId, 2);
  assertEquals(partitionsOf(await syncOf(mixed, j)), []);
  assertEquals(env.persisted, ["g"], "the join is durable before it is answered");
  // c1 revokes what it must give up; then the classic member is told to rejoin and gets them.
  const c1 = env.consumerHeartbeat(g, "c1", null, null);
  assertEquals(c1.state, "UNREVOKED_PARTITIONS");
  assertEquals(mixed.heartbeat("g", 2, j.memberId, null), E.NONE, "still waiting on c1");
  env.consumerHeartbeat(g, "c1", null, new Map([[T, new Set([0, 2])]]));
  assertEquals(owns(c1), ["t-0", "t-2"]);
  assertEquals(mixed.heartbeat("g", 2, j.memberId, null), E.REBALANCE_IN_PROGRESS, "its partitions are free");
  const j2 = await mixed.join(joinArgs({ memberId: j.memberId }));
  assertEquals(j2.generationId, 2);
  assertEquals(partitionsOf(await syncOf(mixed, j2)), ["t-1", "t-3"]);
  assertEquals(mixed.heartbeat("g", 2, j.memberId, null), E.NONE);
  // The assignment is written in the version of the member's subscription.
  const v1 = joinArgs({ memberId: j.memberId });
  const old = await mixed.join({
    ...v1,
    protocols: [{
      name: "cooperative-sticky",
      metadata: subscription(["t"], [{ topic: "t", partitions: [1, 3] }], 1),
    }],
  });
  const s1 = await syncOf(mixed, old);
  assertEquals(protocolVersion(s1.assignment), 1);
  assertEquals(partitionsOf(s1), ["t-1", "t-3"]);
});

Deno.test("mixed: a classic member revokes through its rejoin before the new member gets the partitions", async () => {
  const { env, mixed } = setup();
  const g = env.create("g");
  env.consumerHeartbeat(g, "c0", ["u"], null); // a consumer member of another topic keeps the group non-empty
  const j = await mixed.join(joinArgs());
  assertEquals(j.generationId, 2);
  assertEquals(partitionsOf(await syncOf(mixed, j)), ["t-0", "t-1", "t-2", "t-3"]);
  // A consumer-protocol member joins: the group epoch moves, the classic member must rejoin.
  const c = env.consumerHeartbeat(g, "c2", ["t"], null);
  assertEquals(g.groupEpoch, 3);
  assertEquals(owns(c), [], "its partitions are still owned by the classic member");
  assertEquals(mixed.heartbeat("g", 2, j.memberId, null), E.REBALANCE_IN_PROGRESS);
  // The cooperative member rejoins owning everything: it must revoke, its epoch stays.
  const owned = [{ topic: "t", partitions: [0, 1, 2, 3] }];
  const r1 = await mixed.join(joinArgs({ memberId: j.memberId, owned }));
  assertEquals(r1.generationId, 2);
  assertEquals(g.members.get(j.memberId)!.state, "UNREVOKED_PARTITIONS");
  // SyncGroup is answered (not REBALANCE_IN_PROGRESS) with what it keeps; Heartbeat asks for the next rejoin.
  const kept = await syncOf(mixed, r1);
  assertEquals(partitionsOf(kept).length, 2);
  assertEquals(mixed.heartbeat("g", 2, j.memberId, null), E.REBALANCE_IN_PROGRESS);
  const keptRows = decodeConsumerAssignment(kept.assignment).partitions;
  const r2 = await mixed.join(joinArgs({ memberId: j.memberId, owned: keptRows }));
  assertEquals(r2.generationId, 3, "revocation confirmed: the member reaches the group epoch");
  assertEquals(partitionsOf(await syncOf(mixed, r2)), partitionsOf(kept));
  env.consumerHeartbeat(g, "c2", null, null);
  assertEquals(owns(c).length, 2);
  // No partition ever has two owners.
  assertEquals(new Set([...owns(c), ...owns(g.members.get(j.memberId)!)]).size, 4);
});

Deno.test("mixed: classic calls get Kafka's error codes", async () => {
  const { env, mixed } = setup({ consumerMaxSize: 3 });
  const g = withConsumerMember(env);
  const j = await mixed.join(joinArgs({ groupInstanceId: "i1" }));
  assertEquals(j.errorCode, E.NONE);
  // A static member rejoining with its known id and instance: FENCED when the id is not the instance's.
  assertEquals(
    (await mixed.join(joinArgs({ memberId: "other", groupInstanceId: "i1" }))).errorCode,
    E.FENCED_INSTANCE_ID,
  );
  assertEquals(
    (await mixed.join(joinArgs({ memberId: "other", groupInstanceId: "i7" }))).errorCode,
    E.UNKNOWN_MEMBER_ID,
  );
  // Protocol type other than "consumer", no protocols, or none the classic members all support.
  const connect = await mixed.join(joinArgs({ memberId: "m-x", protocolType: "connect" }));
  assertEquals(
    [connect.errorCode, connect.memberId],
    [E.INCONSISTENT_GROUP_PROTOCOL, ""],
    "Kafka names no member",
  );
  assertEquals((await mixed.join(joinArgs({ protocols: [] }))).errorCode, E.INCONSISTENT_GROUP_PROTOCOL);
  const roundrobin = joinArgs({ protocols: [{ name: "roundrobin", metadata: subscription(["t"]) }] });
  assertEquals((await mixed.join(roundrobin)).errorCode, E.INCONSISTENT_GROUP_PROTOCOL);
  const range = joinArgs({ protocols: [{ name: "range", metadata: subscription(["t"]) }] });
  // Unreadable subscription, session timeout out of bounds.
  const junk = joinArgs({ protocols: [{ name: "range", metadata: new Uint8Array([0, 1, 0]) }] });
  assertEquals((await mixed.join(junk)).errorCode, E.INCONSISTENT_GROUP_PROTOCOL);
  assertEquals((await mixed.join({ ...range, sessionTimeoutMs: 1 })).errorCode, E.INVALID_SESSION_TIMEOUT);
  // JoinGroup v4+ without member id: the id first (KIP-394).
  const req = await mixed.join({ ...range, requireKnownMemberId: true });
  assertEquals(req.errorCode, E.MEMBER_ID_REQUIRED);
  assert(req.memberId !== "");
  assertEquals(g.members.has(req.memberId), false, "nothing is kept for it");
  const k = await mixed.join({ ...range, memberId: req.memberId, requireKnownMemberId: true });
  assertEquals(k.errorCode, E.NONE);
  assertEquals(k.protocolName, "range");
  // group.consumer.max.size (3: c1, the static member and k).
  assertEquals((await mixed.join(range)).errorCode, E.GROUP_MAX_SIZE_REACHED);
  assertEquals((await mixed.join({ ...range, memberId: k.memberId })).errorCode, E.NONE, "a member rejoins");

  // SyncGroup: unknown member, consumer-protocol member, fenced instance, generation, protocol, rebalance.
  const gen = g.members.get(j.memberId)!.memberEpoch;
  const sync = (
    memberId: string,
    generationId: number,
    instance: string | null,
    name: string | null = null,
  ) =>
    mixed.sync({
      groupId: "g",
      generationId,
      memberId,
      groupInstanceId: instance,
      protocolType: null,
      protocolName: name,
      assignments: [],
    });
  assertEquals((await sync("nobody", gen, null)).errorCode, E.UNKNOWN_MEMBER_ID);
  assertEquals((await sync("c1", g.members.get("c1")!.memberEpoch, null)).errorCode, E.UNKNOWN_MEMBER_ID);
  assertEquals((await sync("other", gen, "i1")).errorCode, E.FENCED_INSTANCE_ID);
  assertEquals((await sync(j.memberId, gen, "i9")).errorCode, E.UNKNOWN_MEMBER_ID);
  assertEquals((await sync(j.memberId, gen + 5, "i1")).errorCode, E.ILLEGAL_GENERATION);
  assertEquals((await sync(j.memberId, gen, "i1", "range")).errorCode, E.INCONSISTENT_GROUP_PROTOCOL);
  assertEquals(
    (await mixed.sync({
      groupId: "g",
      generationId: gen,
      memberId: j.memberId,
      groupInstanceId: "i1",
      protocolType: "connect",
      protocolName: null,
      assignments: [],
    })).errorCode,
    E.INCONSISTENT_GROUP_PROTOCOL,
  );
  // k's join bumped the epoch past the static member's: it must rejoin first.
  assert(g.groupEpoch > gen);
  assertEquals((await sync(j.memberId, gen, "i1")).errorCode, E.REBALANCE_IN_PROGRESS);
  assertEquals(
    (await mixed.sync({
      groupId: "nope",
      generationId: 1,
      memberId: "x",
      groupInstanceId: null,
      protocolType: null,
      protocolName: null,
      assignments: [],
    })).errorCode,
    E.UNKNOWN_MEMBER_ID,
  );

  // Heartbeat: the same member checks.
  assertEquals(mixed.heartbeat("g", gen, "nobody", null), E.UNKNOWN_MEMBER_ID);
  assertEquals(mixed.heartbeat("g", 1, "c1", null), E.UNKNOWN_MEMBER_ID, "a consumer-protocol member");
  assertEquals(mixed.heartbeat("g", gen, "other", "i1"), E.FENCED_INSTANCE_ID);
  assertEquals(mixed.heartbeat("g", gen + 1, j.memberId, "i1"), E.ILLEGAL_GENERATION);
  assertEquals(mixed.heartbeat("g", gen, j.memberId, "i1"), E.REBALANCE_IN_PROGRESS);
  assertEquals(mixed.heartbeat("nope", 1, "x", null), E.UNKNOWN_MEMBER_ID);
});

Deno.test("mixed: LeaveGroup removes classic members (by id or instance id alone), bumps the epoch once", async () => {
  const { env, mixed } = setup();
  const g = withConsumerMember(env);
  const a = await mixed.join(joinArgs());
  const b = await mixed.join(joinArgs({ groupInstanceId: "ib" }));
  const epoch = g.groupEpoch;
  const res = mixed.leave("g", [
    { memberId: a.memberId, groupInstanceId: null, reason: "bye" },
    { memberId: "", groupInstanceId: "ib", reason: null },
    { memberId: "c1", groupInstanceId: null, reason: null },
    { memberId: "x", groupInstanceId: "nope", reason: null },
  ]);
  assertEquals(res.errorCode, E.NONE);
  assertEquals(res.members, [
    { memberId: a.memberId, groupInstanceId: null, errorCode: E.NONE },
    { memberId: b.memberId, groupInstanceId: "ib", errorCode: E.NONE },
    { memberId: "c1", groupInstanceId: null, errorCode: E.UNKNOWN_MEMBER_ID },
    { memberId: "x", groupInstanceId: "nope", errorCode: E.UNKNOWN_MEMBER_ID },
  ]);
  assertEquals([...g.members.keys()], ["c1"]);
  assertEquals(g.groupEpoch, epoch + 1);
  const fenced = await mixed.join(joinArgs({ groupInstanceId: "ic" }));
  assertEquals(
    mixed.leave("g", [{ memberId: "wrong", groupInstanceId: "ic", reason: null }]).members[0].errorCode,
    E.FENCED_INSTANCE_ID,
  );
  assert(g.members.has(fenced.memberId));
  assertEquals(
    mixed.leave("nope", [{ memberId: "x", groupInstanceId: null, reason: null }]).errorCode,
    E.UNKNOWN_MEMBER_ID,
  );
});

Deno.test("mixed: join and sync timers fence a classic member that does not come back in time", async () => {
  const { clock, env, mixed } = setup();
  const g = withConsumerMember(env);
  // Answered JoinGroup but no SyncGroup within the rebalance timeout (5 s): fenced.
  const a = await mixed.join(joinArgs());
  await clock.advance(4_999);
  assert(g.members.has(a.memberId));
  await clock.advance(2);
  assertEquals(g.members.has(a.memberId), false);
  // Synced in time, then told to rejoin by a heartbeat and silent: fenced after the rebalance timeout.
  const b = await mixed.join(joinArgs());
  await clock.advance(1_000);
  await syncOf(mixed, b);
  await clock.advance(10_000 - 1);
  assertEquals(mixed.heartbeat("g", g.members.get(b.memberId)!.memberEpoch, b.memberId, null), E.NONE);
  env.consumerHeartbeat(g, "c1", ["t", "u"], null); // a subscription change moves the epoch
  assertEquals(
    mixed.heartbeat("g", g.members.get(b.memberId)!.memberEpoch, b.memberId, null),
    E.REBALANCE_IN_PROGRESS,
  );
  await clock.advance(4_000);
  // Another heartbeat does not restart the join timer.
  assertEquals(
    mixed.heartbeat("g", g.members.get(b.memberId)!.memberEpoch, b.memberId, null),
    E.REBALANCE_IN_PROGRESS,
  );
  await clock.advance(1_001);
  assertEquals(g.members.has(b.memberId), false);
  // A member that rejoins in time keeps going; its session is its JoinGroup session timeout (10 s).
  const c = await mixed.join(joinArgs());
  await syncOf(mixed, c);
  await clock.advance(9_999);
  assertEquals(mixed.heartbeat("g", g.members.get(c.memberId)!.memberEpoch, c.memberId, null), E.NONE);
  await clock.advance(9_999);
  assert(g.members.has(c.memberId));
  await clock.advance(2);
  assertEquals(g.members.has(c.memberId), false, "session expired");
  assertEquals(env.fenced, [a.memberId, b.memberId, c.memberId]);
});

Deno.test("mixed: a JoinGroup to an empty consumer group makes it a classic group", async () => {
  const { env, mixed } = setup();
  env.create("g");
  const j = await mixed.join(joinArgs());
  assertEquals(j.errorCode, E.NONE);
  assertEquals(env.groups.has("g"), false);
  assertEquals(env.classic.get("g")?.state, "CompletingRebalance");
  assertEquals(j.leader, j.memberId, "the classic protocol: the leader assigns");
});

// ---------------------------------------------------------------- upgrade: classic -> consumer

/** A Stable classic group "g" of two members (assignments t-0,t-1 and t-2,t-3), through the classic module. */
async function stableClassicGroup(env: FakeConsumerGroups, protocolType = "consumer") {
  const a = await env.classic.join(joinArgs({ protocolType, groupInstanceId: "ia" }));
  const bP = env.classic.join(joinArgs({ protocolType }));
  const aP = env.classic.join(joinArgs({ protocolType, memberId: a.memberId, groupInstanceId: "ia" }));
  const [a2, b2] = await Promise.all([aP, bP]);
  const leader = a2.leader === a2.memberId ? a2 : b2;
  const other = leader === a2 ? b2 : a2;
  const asg = (ps: number[]) =>
    encodeConsumerAssignment({ partitions: [{ topic: "t", partitions: ps }], userData: null }, 1);
  const sync = (j: JoinResult, assignments: { memberId: string; assignment: Uint8Array }[]) =>
    env.classic.sync({
      groupId: "g",
      generationId: j.generationId,
      memberId: j.memberId,
      groupInstanceId: j === a2 ? "ia" : null,
      protocolType: null,
      protocolName: null,
      assignments,
    });
  await Promise.all([
    sync(leader, [{ memberId: leader.memberId, assignment: asg([0, 1]) }, {
      memberId: other.memberId,
      assignment: asg([2, 3]),
    }]),
    sync(other, []),
  ]);
  assertEquals(env.classic.get("g")!.state, "Stable");
  return { leader, other, generation: a2.generationId };
}

Deno.test("upgrade: a consumer heartbeat converts a classic group; members keep their assignments", async () => {
  const { env, mixed } = setup();
  const { leader, other, generation } = await stableClassicGroup(env);
  const classic = env.classic.get("g")!;
  const g = mixed.upgrade(classic);
  assertEquals(env.classic.get("g"), undefined, "the classic group is gone");
  assertEquals(classic.state, "Dead");
  assertEquals(g.groupEpoch, generation);
  const l = g.members.get(leader.memberId)!;
  assertEquals([l.memberEpoch, l.state, owns(l)], [generation, "STABLE", ["t-0", "t-1"]]);
  assertEquals(owns(g.members.get(other.memberId)!), ["t-2", "t-3"]);
  assertEquals(l.classic?.sessionTimeoutMs, 10_000);
  assertEquals(l.classic?.protocols.map((p) => p.name), ["cooperative-sticky", "range"]);
  assertEquals(g.staticMemberId("ia") !== undefined, true);
  // The classic members keep heartbeating with their generation; the joining consumer member moves the epoch.
  assertEquals(
    mixed.heartbeat(
      "g",
      generation,
      leader.memberId,
      leader.memberId === g.staticMemberId("ia") ? "ia" : null,
    ),
    E.NONE,
  );
  const c = env.consumerHeartbeat(g, "c1", ["t"], null);
  assertEquals(owns(c), [], "partitions still owned by classic members");
  const hb = (j: JoinResult) =>
    mixed.heartbeat("g", generation, j.memberId, j.memberId === g.staticMemberId("ia") ? "ia" : null);
  assertEquals(hb(leader), E.REBALANCE_IN_PROGRESS);
  assertEquals(hb(other), E.REBALANCE_IN_PROGRESS);
  // They rejoin as classic members of the consumer group and reconcile with c1.
  const statics = new Map([[g.staticMemberId("ia")!, "ia"]]);
  await converge(env, mixed, g, statics);
  const all = [...g.members.values()].flatMap(owns);
  assertEquals(all.sort(), ["t-0", "t-1", "t-2", "t-3"], "every partition once");
  assertEquals([...g.members.values()].map((m) => m.state), ["STABLE", "STABLE", "STABLE"]);
  assertEquals([...g.members.values()].map((m) => owns(m).length).sort(), [1, 1, 2]);
});

/**
 * Clients at work until the group settles: classic members heartbeat and, when told, rejoin owning what their
 * last SyncGroup gave them (cooperative); consumer members heartbeat acknowledging their revocations.
 */
async function converge(
  env: FakeConsumerGroups,
  mixed: ClassicMembers<FakeGroup>,
  g: FakeGroup,
  statics: Map<string, string> = new Map(),
) {
  for (let round = 0; round < 6; round++) {
    for (const m of [...g.members.values()]) {
      if (m.classic === null) {
        env.consumerHeartbeat(g, m.memberId, null, m.assigned);
        continue;
      }
      const instance = statics.get(m.memberId) ?? null;
      if (mixed.heartbeat("g", m.memberEpoch, m.memberId, instance) !== E.REBALANCE_IN_PROGRESS) continue;
      const owned = decodeConsumerAssignment(encodeAssignment(m.assigned)).partitions;
      const r = await mixed.join(joinArgs({ memberId: m.memberId, groupInstanceId: instance, owned }));
      assertEquals(r.errorCode, E.NONE);
      assertEquals((await syncOf(mixed, r, { instance: instance ?? undefined })).errorCode, E.NONE);
    }
  }
}

function encodeAssignment(a: Assignment): Uint8Array {
  const rows = [...a].map(([t, ps]) => ({ topic: t === T ? "t" : "u", partitions: [...ps] }));
  return encodeConsumerAssignment({ partitions: rows, userData: null });
}

Deno.test("upgrade: an eager member rejoining owning nothing gets its share in one round (as Kafka 4.0)", async () => {
  const { env, mixed } = setup();
  const j = await env.classic.join(joinArgs());
  const asg = encodeConsumerAssignment({
    partitions: [{ topic: "t", partitions: [0, 1, 2, 3] }],
    userData: null,
  });
  await env.classic.sync({
    groupId: "g",
    generationId: j.generationId,
    memberId: j.memberId,
    groupInstanceId: null,
    protocolType: "consumer",
    protocolName: "cooperative-sticky",
    assignments: [{ memberId: j.memberId, assignment: asg }],
  });
  const g = mixed.upgrade(env.classic.get("g")!);
  const c = env.consumerHeartbeat(g, "c1", ["t"], null);
  assertEquals([g.groupEpoch, owns(c)], [2, []]);
  assertEquals(mixed.heartbeat("g", 1, j.memberId, null), E.REBALANCE_IN_PROGRESS);
  // An eager member revoked everything before its JoinGroup: nothing to wait for.
  const r = await mixed.join(joinArgs({ memberId: j.memberId, owned: [] }));
  assertEquals([r.errorCode, r.generationId], [E.NONE, 2]);
  assertEquals(partitionsOf(await syncOf(mixed, r)), ["t-0", "t-2"]);
  assertEquals(mixed.heartbeat("g", 2, j.memberId, null), E.NONE);
  env.consumerHeartbeat(g, "c1", null, null);
  assertEquals(owns(c), ["t-1", "t-3"]);
});

Deno.test("upgrade: refused by policy, protocol type or size; waiting members told to rejoin; empty replaced", async () => {
  for (const migrationPolicy of ["downgrade", "disabled"] as const) {
    const { env, mixed } = setup({ migrationPolicy });
    await stableClassicGroup(env);
    const e = assertThrows(() => mixed.upgrade(env.classic.get("g")!), KafkaError);
    assertEquals((e as KafkaError).code, E.GROUP_ID_NOT_FOUND);
    assertEquals(e.message, "Group g is not a consumer group.");
    assertEquals(env.classic.get("g")?.state, "Stable", "left as it was");
  }
  {
    const { env, mixed } = setup();
    await stableClassicGroup(env, "connect");
    assertEquals(
      (assertThrows(() => mixed.upgrade(env.classic.get("g")!), KafkaError) as KafkaError).code,
      E.GROUP_ID_NOT_FOUND,
    );
  }
  {
    const { env, mixed } = setup({ consumerMaxSize: 1 });
    await stableClassicGroup(env);
    assertThrows(() => mixed.upgrade(env.classic.get("g")!), KafkaError);
  }
  {
    // A rebalance in progress: members waiting in JoinGroup are answered REBALANCE_IN_PROGRESS.
    const { env, mixed } = setup();
    const { leader } = await stableClassicGroup(env);
    const waiting = env.classic.join(
      joinArgs({ memberId: leader.memberId, groupInstanceId: "ia", topics: ["t", "u"] }),
    );
    assertEquals(env.classic.get("g")!.state, "PreparingRebalance");
    const g = mixed.upgrade(env.classic.get("g")!);
    assertEquals((await waiting).errorCode, E.REBALANCE_IN_PROGRESS);
    assertEquals(g.members.size, 2);
  }
  {
    // An Empty classic group (all members left) is just replaced.
    const { env, mixed } = setup();
    const { leader, other } = await stableClassicGroup(env);
    env.classic.leave("g", [{ memberId: leader.memberId, groupInstanceId: null, reason: null }, {
      memberId: other.memberId,
      groupInstanceId: null,
      reason: null,
    }]);
    await new Promise((r) => setTimeout(r, 0));
    assertEquals(env.classic.get("g")?.state, "Empty");
    const g = mixed.upgrade(env.classic.get("g")!);
    assertEquals([g.groupEpoch, g.members.size], [0, 0]);
    assertEquals(env.classic.get("g"), undefined);
  }
});

// ---------------------------------------------------------------- downgrade: consumer -> classic

Deno.test("downgrade: the last consumer-protocol member leaving turns the group classic, which rebalances", async () => {
  const { env, mixed } = setup();
  const g = withConsumerMember(env);
  const a = await mixed.join(joinArgs());
  const b = await mixed.join(
    joinArgs({
      protocols: [{ name: "range", metadata: subscription(["t"]) }, {
        name: "cooperative-sticky",
        metadata: subscription(["t"]),
      }],
    }),
  );
  const epoch = g.groupEpoch;
  const targets = new Map(
    [a.memberId, b.memberId].map((id) => [id, [...g.targetOf(id).get(T) ?? []].sort()]),
  );
  env.consumerLeave(g, "c1");
  assertEquals(env.groups.has("g"), false, "the consumer group is gone");
  const classic = env.classic.get("g")!;
  assertEquals(classic.state, "PreparingRebalance");
  assertEquals(classic.generationId, epoch);
  assertEquals(classic.protocolType, "consumer");
  assertEquals([...classic.members.keys()].sort(), [a.memberId, b.memberId].sort());
  // Each member's target assignment is its classic assignment (in its subscription's version).
  for (const id of [a.memberId, b.memberId]) {
    const asg = decodeConsumerAssignment(classic.members.get(id)!.assignment);
    assertEquals(asg.partitions.flatMap((tp) => tp.partitions).toSorted(), targets.get(id));
  }
  await new Promise((r) => setTimeout(r, 0));
  assert(env.store.groups.has("g"), "the classic record is written");
  // The classic members learn it from their heartbeats (their generation was their epoch) and rejoin.
  assertEquals(env.classic.heartbeat("g", epoch, a.memberId, null), E.REBALANCE_IN_PROGRESS);
  const [ja, jb] = await Promise.all([
    env.classic.join(joinArgs({ memberId: a.memberId })),
    env.classic.join(joinArgs({ memberId: b.memberId })),
  ]);
  assertEquals([ja.errorCode, jb.errorCode], [E.NONE, E.NONE]);
  assertEquals(ja.generationId, epoch + 1);
  assertEquals(classic.state, "CompletingRebalance");
});

Deno.test("downgrade: not when disabled, when consumer members remain, or when the group would be empty", async () => {
  {
    const { env, mixed } = setup({ migrationPolicy: "upgrade" });
    const g = withConsumerMember(env);
    await mixed.join(joinArgs());
    env.consumerLeave(g, "c1");
    assertEquals(env.groups.get("g"), g, "still a consumer group");
    assertEquals(g.members.size, 1);
  }
  {
    const { env, mixed } = setup();
    const g = withConsumerMember(env);
    env.consumerHeartbeat(g, "c2", ["t"], null);
    await mixed.join(joinArgs());
    env.consumerLeave(g, "c1");
    assertEquals(env.groups.get("g"), g);
  }
  {
    const { env } = setup();
    const g = withConsumerMember(env);
    env.consumerLeave(g, "c1");
    assertEquals(env.groups.get("g"), g, "an empty consumer group stays one");
    assertEquals(env.classic.get("g"), undefined);
  }
  {
    // A consumer-protocol member whose session expires is the same as one leaving.
    const { clock, env, mixed } = setup();
    const g = withConsumerMember(env);
    const a = await mixed.join(joinArgs());
    await syncOf(mixed, a);
    for (let i = 0; i < 5; i++) {
      await clock.advance(9_000);
      mixed.heartbeat("g", g.members.get(a.memberId)!.memberEpoch, a.memberId, null);
    }
    assertEquals(env.groups.has("g"), false);
    assertEquals(env.classic.get("g")?.state, "PreparingRebalance");
  }
});

Deno.test("downgrade: a classic static member replacing the last consumer member takes its assignment, no rebalance", async () => {
  const { env, mixed } = setup();
  const g = env.create("g");
  // c1 is a static consumer-protocol member ("i1"); k a classic member.
  const c1 = env.consumerHeartbeat(g, "c1", ["t"], null);
  Object.assign(c1, { instanceId: "i1" });
  const k = await mixed.join(joinArgs());
  await syncOf(mixed, k);
  env.consumerHeartbeat(g, "c1", null, new Map([[T, new Set(g.targetOf("c1").get(T))]]));
  const c1Target = [...g.targetOf("c1").get(T)!].sort();
  // The same instance restarts with the classic protocol.
  const j = await mixed.join(joinArgs({ groupInstanceId: "i1" }));
  assertEquals(j.errorCode, E.NONE);
  assertEquals(env.groups.has("g"), false);
  const classic = env.classic.get("g")!;
  assertEquals(classic.state, "Stable", "no rebalance");
  assertEquals(classic.staticMemberId("i1"), j.memberId);
  assertEquals(j.generationId, classic.generationId);
  assertEquals([j.leader, j.members, j.skipAssignment], ["", [], false], "as Kafka 4.0 answers it");
  const s = await env.classic.sync({
    groupId: "g",
    generationId: j.generationId,
    memberId: j.memberId,
    groupInstanceId: "i1",
    protocolType: "consumer",
    protocolName: j.protocolName,
    assignments: [],
  });
  assertEquals(s.errorCode, E.NONE);
  assertEquals(decodeConsumerAssignment(s.assignment).partitions[0].partitions.toSorted(), c1Target);
});

// ---------------------------------------------------------------- through the coordinator (the real consumer groups)

/** A coordinator with topic t (4 partitions) on a manual clock and an in-memory store. */
async function coordinatorWithTopics(store = new MemoryStore(), clock = new ManualClock()) {
  const c = new GroupCoordinator(
    store,
    {
      ...OPTS,
      clock,
      topics: topicsView,
      consumerSessionTimeoutMs: 45_000,
      consumerHeartbeatIntervalMs: 5_000,
    },
    logger("test"),
    (t, p) => t === "t" && p >= 0 && p < 4,
  );
  await c.start();
  return { c, store, clock };
}

/** A consumer-protocol client of group "g" (it keeps what it is given and reports it). */
class ConsumerClient {
  epoch = 0;
  owned: { topicId: string; partitions: number[] }[] = [];
  constructor(readonly c: GroupCoordinator, readonly memberId: string) {}
  async beat(over: Partial<ConsumerHeartbeatArgs> = {}): Promise<ConsumerHeartbeatResult> {
    const joining = this.epoch === 0;
    const r = await this.c.consumerGroupHeartbeat({
      apiVersion: 1,
      groupId: "g",
      memberId: this.memberId,
      memberEpoch: this.epoch,
      instanceId: null,
      rackId: null,
      rebalanceTimeoutMs: joining ? 10_000 : -1,
      subscribedTopicNames: joining ? ["t"] : null,
      subscribedTopicRegex: null,
      serverAssignor: null,
      topicPartitions: joining ? [] : this.owned,
      clientId: "consumer",
      clientHost: "/127.0.0.1",
      ...over,
    });
    if (r.errorCode === E.NONE) {
      this.epoch = r.memberEpoch;
      if (r.assignment !== null) this.owned = r.assignment;
    }
    return r;
  }
  partitions(): string[] {
    return this.owned.flatMap((t) => t.partitions.map((p) => `t-${p}`));
  }
}

/** A classic client of group "g": JoinGroup/SyncGroup/Heartbeat as a cooperative consumer runs them. */
class ClassicClient {
  memberId = "";
  generation = -1;
  protocolName: string | null = null;
  owned: NamedTopicPartitions[] = [];
  constructor(readonly c: GroupCoordinator) {}
  async rejoin(): Promise<void> {
    const j = await this.c.join(joinArgs({ memberId: this.memberId, owned: this.owned }));
    assertEquals(j.errorCode, E.NONE, "JoinGroup");
    this.memberId = j.memberId;
    this.generation = j.generationId;
    this.protocolName = j.protocolName;
    let assignments: { memberId: string; assignment: Uint8Array }[] = [];
    if (j.leader === j.memberId) {
      // Leader of a classic group: everything to the members in turn, as a client-side assignor would.
      const ids = j.members.map((m) => m.memberId);
      assignments = ids.map((id, i) => ({
        memberId: id,
        assignment: encodeConsumerAssignment({
          partitions: [{ topic: "t", partitions: [0, 1, 2, 3].filter((p) => p % ids.length === i) }],
          userData: null,
        }),
      }));
    }
    const s = await this.c.sync({
      groupId: "g",
      generationId: j.generationId,
      memberId: j.memberId,
      groupInstanceId: null,
      protocolType: "consumer",
      protocolName: j.protocolName,
      assignments,
    });
    assertEquals(s.errorCode, E.NONE, "SyncGroup");
    this.owned = decodeConsumerAssignment(s.assignment).partitions.filter((tp) => tp.partitions.length > 0);
  }
  /** A heartbeat; the client rejoins when told to (REBALANCE_IN_PROGRESS or ILLEGAL_GENERATION). */
  async tick(): Promise<number> {
    const code = this.c.heartbeat("g", this.generation, this.memberId, null);
    if (code === E.REBALANCE_IN_PROGRESS || code === E.ILLEGAL_GENERATION) await this.rejoin();
    return code;
  }
  partitions(): string[] {
    return this.owned.flatMap((t) => t.partitions.map((p) => `${t.topic}-${p}`));
  }
}

async function settle(consumers: ConsumerClient[], classics: ClassicClient[], rounds = 6): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    for (const m of consumers) assertEquals((await m.beat()).errorCode, E.NONE);
    for (const m of classics) await m.tick();
  }
}

function assertEachOnce(parts: string[]): void {
  assertEquals(parts.toSorted(), ["t-0", "t-1", "t-2", "t-3"]);
}

Deno.test("coordinator: a classic member in a consumer group shares the partitions; described as classic", async () => {
  const { c } = await coordinatorWithTopics();
  try {
    const c1 = new ConsumerClient(c, "c1-member-id-000000000");
    await c1.beat();
    assertEquals(c1.partitions().length, 4);
    const k = new ClassicClient(c);
    await k.rejoin();
    assertEquals(c.groupType("g"), "consumer");
    await settle([c1], [k]);
    assertEquals([c1.partitions().length, k.partitions().length], [2, 2]);
    assertEachOnce([...c1.partitions(), ...k.partitions()]);
    const d = c.describeConsumerGroup("g");
    const types = new Map(d.members.map((m) => [m.memberId, m.memberType]));
    assertEquals([types.get(c1.memberId), types.get(k.memberId)], [1, 0]);
    // OffsetCommit (Kafka 4's ConsumerGroup rules): a classic member's generation is its member epoch, and it may
    // use any version; a consumer-protocol member needs v9+; a memberless commit needs an empty group.
    const commit = (generationId: number, memberId = k.memberId, apiVersion = 8) =>
      c.commit({
        groupId: "g",
        generationId,
        apiVersion,
        memberId,
        groupInstanceId: null,
        retentionTimeMs: -1,
        offsets: [{ topic: "t", partition: 0, offset: 5, leaderEpoch: -1, metadata: null }],
      }).then((m) => [...m.values()][0]);
    assertEquals(await commit(k.generation), E.NONE);
    assertEquals(await commit(k.generation, k.memberId, 2), E.NONE);
    assertEquals(await commit(k.generation + 7), E.ILLEGAL_GENERATION);
    assertEquals(await commit(c1.epoch, c1.memberId, 8), E.UNSUPPORTED_VERSION);
    assertEquals(await commit(c1.epoch, c1.memberId, 9), E.NONE);
    assertEquals(await commit(c1.epoch + 1, c1.memberId, 9), E.STALE_MEMBER_EPOCH);
    assertEquals(await commit(-1, "", 9), E.UNKNOWN_MEMBER_ID);
    // OffsetFetch v9+ of a member at a wrong epoch: ILLEGAL_GENERATION for the classic one.
    const fetchCode = (memberId: string, memberEpoch: number) => {
      try {
        c.fetchOffsets("g", null, false, { memberId, memberEpoch });
        return E.NONE;
      } catch (e) {
        return (e as { code: number }).code;
      }
    };
    assertEquals(fetchCode(k.memberId, k.generation), E.NONE);
    assertEquals(fetchCode(k.memberId, k.generation + 1), E.ILLEGAL_GENERATION);
    assertEquals(fetchCode(c1.memberId, c1.epoch + 1), E.STALE_MEMBER_EPOCH);
    // LeaveGroup: c1 takes everything back.
    assertEquals(
      c.leave("g", [{ memberId: k.memberId, groupInstanceId: null, reason: null }]).members[0].errorCode,
      E.NONE,
    );
    await settle([c1], []);
    assertEquals(c1.partitions().length, 4);
  } finally {
    await c.close();
  }
});

Deno.test("coordinator: upgrade by a consumer heartbeat, downgrade when the consumer members leave", async () => {
  const { c, store } = await coordinatorWithTopics();
  try {
    // A classic group of two members.
    const a = new ClassicClient(c), b = new ClassicClient(c);
    await a.rejoin();
    const rb = b.rejoin(); // b's JoinGroup starts a rebalance, a rejoins it
    await Promise.all([a.rejoin(), rb]);
    assertEquals(c.groupType("g"), "classic");
    assertEachOnce([...a.partitions(), ...b.partitions()]);
    // A consumer-protocol member joins: the group converts and the classic members keep their partitions.
    const c1 = new ConsumerClient(c, "c1-member-id-000000000");
    assertEquals((await c1.beat()).errorCode, E.NONE);
    assertEquals(c.groupType("g"), "consumer");
    assert(store.consumerGroups.has("g"), "stored as a consumer group");
    await settle([c1], [a, b]);
    assertEachOnce([...a.partitions(), ...b.partitions(), ...c1.partitions()]);
    assert(c1.partitions().length >= 1);
    // The consumer member leaves: the classic members are alone, the group is classic again and rebalances.
    assertEquals((await c1.beat({ memberEpoch: -1 })).errorCode, E.NONE);
    assertEquals(c.groupType("g"), "classic");
    assertEquals(c.groupState("g"), "PreparingRebalance");
    await Promise.all([a.tick(), b.tick()]);
    assertEquals(c.groupState("g"), "Stable");
    assertEachOnce([...a.partitions(), ...b.partitions()]);
    await new Promise((r) => setTimeout(r, 0));
    assert(store.groups.has("g") && !store.consumerGroups.has("g"), "stored as a classic group again");
  } finally {
    await c.close();
  }
});

Deno.test("coordinator: a classic member of a consumer group survives a restart", async () => {
  const { c, store, clock } = await coordinatorWithTopics();
  const c1 = new ConsumerClient(c, "c1-member-id-000000000");
  await c1.beat();
  const k = new ClassicClient(c);
  await k.rejoin();
  await settle([c1], [k]);
  await c.close();
  const { c: c2 } = await coordinatorWithTopics(store, clock);
  try {
    assertEquals(c2.groupType("g"), "consumer");
    assertEquals(c2.heartbeat("g", k.generation, k.memberId, null), E.NONE, "same member, same generation");
    const s = await c2.sync({
      groupId: "g",
      generationId: k.generation,
      memberId: k.memberId,
      groupInstanceId: null,
      protocolType: "consumer",
      protocolName: k.protocolName,
      assignments: [],
    });
    assertEquals(partitionsOf(s), k.partitions().toSorted());
  } finally {
    await c2.close();
  }
});
