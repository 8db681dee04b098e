// Group coordinator state machine: Kafka's classic-protocol semantics and error codes, driven directly.
import { assert, assertEquals } from "./assert.ts";
import type { GroupCoordinator } from "../../src/groups/coordinator.ts";
import { offsetKey } from "../../src/storage/group_store.ts";
import { ErrorCode as E } from "../../src/protocol/errors.ts";
import { ManualClock } from "../helpers/clock.ts";
import { coordinator, enc, join, MemoryStore } from "./group_fixtures.ts";

Deno.test("join/sync: leader gets the member list, followers get the leader's assignment", async () => {
  const c = await coordinator();
  try {
    const a = await join(c);
    assertEquals(a.errorCode, E.NONE);
    assertEquals(a.generationId, 1);
    assertEquals(a.leader, a.memberId);
    assertEquals(a.members.map((m) => m.memberId), [a.memberId]);
    const sa = await c.sync({
      groupId: "g",
      generationId: 1,
      memberId: a.memberId,
      groupInstanceId: null,
      protocolType: "consumer",
      protocolName: "range",
      assignments: [{ memberId: a.memberId, assignment: enc("all") }],
    });
    assertEquals(sa.errorCode, E.NONE);
    assertEquals(new TextDecoder().decode(sa.assignment), "all");
    assertEquals(c.groupState("g"), "Stable");
    // A second member triggers a rebalance: the first learns it through its heartbeat and rejoins.
    const bJoin = join(c);
    assertEquals(c.heartbeat("g", 1, a.memberId, null), E.REBALANCE_IN_PROGRESS);
    const aJoin = join(c, { memberId: a.memberId });
    const [a2, b2] = await Promise.all([aJoin, bJoin]);
    assertEquals([a2.generationId, b2.generationId], [2, 2]);
    assertEquals(a2.leader, a.memberId, "the leader stays leader");
    assertEquals(a2.members.length, 2);
    assertEquals(b2.members.length, 0);
    const bSync = c.sync({
      groupId: "g",
      generationId: 2,
      memberId: b2.memberId,
      groupInstanceId: null,
      protocolType: null,
      protocolName: null,
      assignments: [],
    });
    const aSync = c.sync({
      groupId: "g",
      generationId: 2,
      memberId: a.memberId,
      groupInstanceId: null,
      protocolType: null,
      protocolName: null,
      assignments: [{ memberId: a.memberId, assignment: enc("p0") }, {
        memberId: b2.memberId,
        assignment: enc("p1"),
      }],
    });
    const [as, bs] = await Promise.all([aSync, bSync]);
    assertEquals(new TextDecoder().decode(as.assignment), "p0");
    assertEquals(new TextDecoder().decode(bs.assignment), "p1");
    assertEquals(c.heartbeat("g", 2, b2.memberId, null), E.NONE);
    assertEquals(c.heartbeat("g", 1, b2.memberId, null), E.ILLEGAL_GENERATION);
    assertEquals(c.heartbeat("g", 2, "nobody", null), E.UNKNOWN_MEMBER_ID);
  } finally {
    await c.close();
  }
});

Deno.test("join v4+: MEMBER_ID_REQUIRED first, then the returned id joins; bad input codes", async () => {
  const c = await coordinator(new MemoryStore(), { maxGroupSize: 2 });
  try {
    const first = await join(c, { requireKnownMemberId: true });
    assertEquals(first.errorCode, E.MEMBER_ID_REQUIRED);
    assert(first.memberId.startsWith("client-"), "member id derives from the client id");
    const second = await join(c, { requireKnownMemberId: true, memberId: first.memberId });
    assertEquals(second.errorCode, E.NONE);
    assertEquals(second.memberId, first.memberId);
    assertEquals((await join(c, { groupId: "" })).errorCode, E.INVALID_GROUP_ID);
    assertEquals((await join(c, { sessionTimeoutMs: 10 })).errorCode, E.INVALID_SESSION_TIMEOUT);
    assertEquals((await join(c, { protocols: [] })).errorCode, E.INCONSISTENT_GROUP_PROTOCOL);
    assertEquals(
      (await join(c, { protocols: [{ name: "other", metadata: enc("") }] })).errorCode,
      E.INCONSISTENT_GROUP_PROTOCOL,
    );
    assertEquals((await join(c, { protocolType: "connect" })).errorCode, E.INCONSISTENT_GROUP_PROTOCOL);
    assertEquals((await join(c, { memberId: "ghost" })).errorCode, E.UNKNOWN_MEMBER_ID);
    assertEquals((await join(c, { groupId: "nogroup", memberId: "ghost" })).errorCode, E.UNKNOWN_MEMBER_ID);
    // max size 2: one member plus one pending id fill the group
    const pending = await join(c, { requireKnownMemberId: true });
    assertEquals(pending.errorCode, E.MEMBER_ID_REQUIRED);
    assertEquals((await join(c, { requireKnownMemberId: true })).errorCode, E.GROUP_MAX_SIZE_REACHED);
  } finally {
    await c.close();
  }
});

Deno.test("protocol vote: the protocol most members prefer among those all support wins", async () => {
  const c = await coordinator();
  try {
    const p = (...names: string[]) => names.map((name) => ({ name, metadata: enc(name) }));
    const a = join(c, { protocols: p("roundrobin", "range") });
    const [ra] = await Promise.all([a]);
    const b = join(c, { protocols: p("range", "roundrobin") });
    const cc = join(c, { protocols: p("range", "sticky", "roundrobin") });
    const again = join(c, { memberId: ra.memberId, protocols: p("roundrobin", "range") });
    const results = await Promise.all([again, b, cc]);
    for (const r of results) assertEquals(r.protocolName, "range");
    const leader = results.find((r) => r.members.length > 0)!;
    const forA = leader.members.find((m) => m.memberId === ra.memberId)!;
    assertEquals(
      new TextDecoder().decode(forA.metadata),
      "range",
      "the leader gets each member's chosen metadata",
    );
  } finally {
    await c.close();
  }
});

Deno.test("session timeout removes a silent member and rebalances; rebalance timeout drops non-rejoiners", async () => {
  const clock = new ManualClock();
  const c = await coordinator(undefined, {}, clock);
  try {
    // a's session outlives the rebalance timeout, so only the rebalance timeout can drop it (with a shorter
    // session, its session deadline would remove it first and the rebalance timeout would go untested).
    const a = await join(c, { sessionTimeoutMs: 5000, rebalanceTimeoutMs: 600 });
    await c.sync({
      groupId: "g",
      generationId: 1,
      memberId: a.memberId,
      groupInstanceId: null,
      protocolType: null,
      protocolName: null,
      assignments: [],
    });
    let bDone = false;
    const b = join(c, { sessionTimeoutMs: 5000, rebalanceTimeoutMs: 600 }).finally(() => (bDone = true));
    // a never rejoins: after the rebalance timeout (not before) b completes the join alone.
    await clock.advance(599);
    assertEquals(bDone, false, "b waits for a until the rebalance timeout");
    await clock.advance(1);
    const rb = await b;
    assertEquals(rb.errorCode, E.NONE);
    assertEquals(rb.generationId, 2);
    assertEquals(rb.leader, rb.memberId);
    assertEquals(c.heartbeat("g", 2, a.memberId, null), E.UNKNOWN_MEMBER_ID);
    await c.sync({
      groupId: "g",
      generationId: 2,
      memberId: rb.memberId,
      groupInstanceId: null,
      protocolType: null,
      protocolName: null,
      assignments: [],
    });
    assertEquals(c.groupState("g"), "Stable");
    // b goes silent: after its session timeout the group is empty.
    const d = await join(c, { groupId: "h", sessionTimeoutMs: 200 });
    await c.sync({
      groupId: "h",
      generationId: 1,
      memberId: d.memberId,
      groupInstanceId: null,
      protocolType: null,
      protocolName: null,
      assignments: [],
    });
    // Heartbeats keep it in (each one moves the session deadline); silence past the session timeout removes it.
    for (let i = 0; i < 5; i++) {
      await clock.advance(150);
      assertEquals(c.heartbeat("h", 1, d.memberId, null), E.NONE, `heartbeat ${i}`);
    }
    await clock.advance(199);
    assertEquals(c.groupState("h"), "Stable", "still within the session timeout");
    await clock.advance(1); // the deadline itself: the last heartbeat plus 200 ms
    assertEquals(c.groupState("h"), "Empty");
  } finally {
    await c.close();
  }
});

Deno.test("static members: rejoin with a new id keeps the assignment without a rebalance; old id is fenced", async () => {
  const c = await coordinator();
  try {
    const a = await join(c, { groupInstanceId: "inst-a" });
    await c.sync({
      groupId: "g",
      generationId: 1,
      memberId: a.memberId,
      groupInstanceId: "inst-a",
      protocolType: null,
      protocolName: null,
      assignments: [{ memberId: a.memberId, assignment: enc("mine") }],
    });
    const again = await join(c, { groupInstanceId: "inst-a" });
    assertEquals(again.errorCode, E.NONE);
    assertEquals(again.generationId, 1, "no new generation");
    assert(again.memberId !== a.memberId, "a new member id");
    assertEquals(c.groupState("g"), "Stable");
    const s = await c.sync({
      groupId: "g",
      generationId: 1,
      memberId: again.memberId,
      groupInstanceId: "inst-a",
      protocolType: null,
      protocolName: null,
      assignments: [],
    });
    assertEquals(new TextDecoder().decode(s.assignment), "mine");
    assertEquals(c.heartbeat("g", 1, a.memberId, "inst-a"), E.FENCED_INSTANCE_ID);
    const commit = await c.commit({
      groupId: "g",
      generationId: 1,
      memberId: a.memberId,
      groupInstanceId: "inst-a",
      retentionTimeMs: -1,
      offsets: [{ topic: "t", partition: 0, offset: 1, leaderEpoch: -1, metadata: null }],
    });
    assertEquals(commit.get(offsetKey("t", 0)), E.FENCED_INSTANCE_ID);
    const left = c.leave("g", [{ memberId: "", groupInstanceId: "inst-a", reason: "bye" }]);
    assertEquals(left.members[0].errorCode, E.NONE);
    assertEquals(c.groupState("g"), "Empty", "the last member left");
  } finally {
    await c.close();
  }
});

Deno.test("offset commit rules: simple consumers, generation and member fencing, metadata size, unknown partitions", async () => {
  const store = new MemoryStore();
  const c = await coordinator(store);
  const commit = (over: Partial<Parameters<GroupCoordinator["commit"]>[0]> = {}) =>
    c.commit({
      groupId: "simple",
      generationId: -1,
      memberId: "",
      groupInstanceId: null,
      retentionTimeMs: -1,
      offsets: [{ topic: "t", partition: 1, offset: 42, leaderEpoch: 3, metadata: "meta" }],
      ...over,
    });
  try {
    assertEquals((await commit()).get(offsetKey("t", 1)), E.NONE);
    assertEquals(c.fetchOffsets("simple", [{ topic: "t", partition: 1 }, { topic: "t", partition: 2 }]), [
      { topic: "t", partition: 1, offset: 42, leaderEpoch: 3, metadata: "meta" },
      { topic: "t", partition: 2, offset: -1, leaderEpoch: -1, metadata: "" },
    ]);
    // An unknown group with a generation: ILLEGAL_GENERATION before v9, GROUP_ID_NOT_FOUND from v9 (as Kafka).
    assertEquals(
      (await commit({ groupId: "nogroup", generationId: 3, apiVersion: 8 })).get(offsetKey("t", 1)),
      E.ILLEGAL_GENERATION,
    );
    assertEquals(
      (await commit({ groupId: "nogroup", generationId: 3, apiVersion: 9 })).get(offsetKey("t", 1)),
      E.GROUP_ID_NOT_FOUND,
    );
    const big = await commit({
      offsets: [{ topic: "t", partition: 1, offset: 1, leaderEpoch: -1, metadata: "x".repeat(65) }],
    });
    assertEquals(big.get(offsetKey("t", 1)), E.OFFSET_METADATA_TOO_LARGE);
    const unknown = await commit({
      offsets: [{ topic: "zz", partition: 0, offset: 1, leaderEpoch: -1, metadata: null }],
    });
    assertEquals(unknown.get(offsetKey("zz", 0)), E.UNKNOWN_TOPIC_OR_PARTITION);
    const a = await join(c);
    assertEquals(
      (await commit({ groupId: "g", generationId: 1, memberId: "x" })).get(offsetKey("t", 1)),
      E.UNKNOWN_MEMBER_ID,
    );
    assertEquals(
      (await commit({ groupId: "g", generationId: 1, memberId: a.memberId })).get(offsetKey("t", 1)),
      E.REBALANCE_IN_PROGRESS,
      "CompletingRebalance refuses commits",
    );
    await c.sync({
      groupId: "g",
      generationId: 1,
      memberId: a.memberId,
      groupInstanceId: null,
      protocolType: null,
      protocolName: null,
      assignments: [],
    });
    assertEquals(
      (await commit({ groupId: "g", generationId: 7, memberId: a.memberId })).get(offsetKey("t", 1)),
      E.ILLEGAL_GENERATION,
    );
    assertEquals(
      (await commit({ groupId: "g", generationId: 1, memberId: a.memberId })).get(offsetKey("t", 1)),
      E.NONE,
    );
    assertEquals(await c.deleteGroup("g"), E.NON_EMPTY_GROUP);
    assertEquals(await c.deleteGroup("missing"), E.GROUP_ID_NOT_FOUND);
    assertEquals(await c.deleteGroup("simple"), E.NONE);
    assertEquals(store.offsets.has("simple"), false, "deleted from the store");
  } finally {
    await c.close();
  }
});

Deno.test("a group that never had members goes with its last offset, or when a memberless commit stores none", async () => {
  const c = await coordinator();
  const one = (groupId: string, topic: string) =>
    c.commit({
      groupId,
      generationId: -1,
      memberId: "",
      groupInstanceId: null,
      retentionTimeMs: -1,
      offsets: [{ topic, partition: 0, offset: 5, leaderEpoch: -1, metadata: null }],
    });
  const listed = (id: string) => c.list().some((g) => g.groupId === id);
  try {
    assertEquals((await one("nothing", "zz")).get(offsetKey("zz", 0)), E.UNKNOWN_TOPIC_OR_PARTITION);
    assertEquals([listed("nothing"), c.describe("nothing").state], [false, "Dead"]);
    assertEquals(await c.deleteGroup("nothing"), E.GROUP_ID_NOT_FOUND);

    assertEquals((await one("simple", "t")).get(offsetKey("t", 0)), E.NONE);
    assertEquals([listed("simple"), c.describe("simple").state], [true, "Empty"]);
    assertEquals((await c.deleteOffsets("simple", [{ topic: "t", partition: 0 }])).errorCode, E.NONE);
    assertEquals([listed("simple"), c.describe("simple").state], [false, "Dead"]);

    // A group with a generation stays (it is stored), offsets or not.
    const a = await join(c);
    await c.sync({
      groupId: "g",
      generationId: 1,
      memberId: a.memberId,
      groupInstanceId: null,
      protocolType: null,
      protocolName: null,
      assignments: [],
    });
    c.leave("g", [{ memberId: a.memberId, groupInstanceId: null, reason: null }]);
    assertEquals([listed("g"), c.describe("g").state], [true, "Empty"]);
  } finally {
    await c.close();
  }
});

Deno.test("restart: stable groups and offsets reload; members resume with their generation", async () => {
  const store = new MemoryStore();
  let c = await coordinator(store);
  const a = await join(c);
  await c.sync({
    groupId: "g",
    generationId: 1,
    memberId: a.memberId,
    groupInstanceId: null,
    protocolType: null,
    protocolName: null,
    assignments: [{ memberId: a.memberId, assignment: enc("kept") }],
  });
  await c.commit({
    groupId: "g",
    generationId: 1,
    memberId: a.memberId,
    groupInstanceId: null,
    retentionTimeMs: -1,
    offsets: [{ topic: "t", partition: 0, offset: 9, leaderEpoch: -1, metadata: null }],
  });
  await c.close();
  c = await coordinator(store);
  try {
    assertEquals(c.groupState("g"), "Stable");
    assertEquals(c.heartbeat("g", 1, a.memberId, null), E.NONE);
    const s = await c.sync({
      groupId: "g",
      generationId: 1,
      memberId: a.memberId,
      groupInstanceId: null,
      protocolType: null,
      protocolName: null,
      assignments: [],
    });
    assertEquals(new TextDecoder().decode(s.assignment), "kept");
    assertEquals(c.fetchOffsets("g", null).map((o) => o.offset), [9]);
  } finally {
    await c.close();
  }
});

Deno.test("offsets.retention: offsets of empty groups expire; active groups keep theirs", async () => {
  const store = new MemoryStore();
  const clock = new ManualClock();
  const c = await coordinator(store, { offsetsRetentionMs: 1000 }, clock);
  try {
    await c.commit({
      groupId: "idle",
      generationId: -1,
      memberId: "",
      groupInstanceId: null,
      retentionTimeMs: -1,
      offsets: [{ topic: "t", partition: 0, offset: 5, leaderEpoch: -1, metadata: null }],
    });
    const a = await join(c);
    await c.sync({
      groupId: "g",
      generationId: 1,
      memberId: a.memberId,
      groupInstanceId: null,
      protocolType: null,
      protocolName: null,
      assignments: [],
    });
    await c.commit({
      groupId: "g",
      generationId: 1,
      memberId: a.memberId,
      groupInstanceId: null,
      retentionTimeMs: -1,
      offsets: [{ topic: "t", partition: 0, offset: 6, leaderEpoch: -1, metadata: null }],
    });
    await clock.advance(500);
    assertEquals(await c.expireOffsets(), 0, "not yet");
    await clock.advance(4500);
    assertEquals(await c.expireOffsets(), 1, "only the idle group's offset");
    assertEquals(c.fetchOffsets("idle", null), []);
    assertEquals(c.fetchOffsets("g", null).map((o) => o.offset), [6]);
    assertEquals(c.list().some((g) => g.groupId === "idle"), false);
  } finally {
    await c.close();
  }
});
