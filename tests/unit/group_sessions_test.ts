// Session, join and sync deadlines of classic groups, on a manual clock: a member is removed exactly at its
// deadline (the last heartbeat, accepted commit or JoinGroup/SyncGroup answer plus its session timeout) — not a
// millisecond before, not a sweep period later — and no timer outlives what it was for.
import { assert, assertEquals } from "./assert.ts";
import type { Clock, Timer } from "../../src/groups/clock.ts";
import type { JoinResult } from "../../src/groups/classic/group.ts";
import { ErrorCode as E } from "../../src/protocol/errors.ts";
import { ManualClock } from "../helpers/clock.ts";
import { commit, coordinator, enc, join, MemoryStore, sync } from "./group_fixtures.ts";

const members = (c: Awaited<ReturnType<typeof coordinator>>, g = "g") => c.describe(g).members.length;

Deno.test("a silent member is removed at its session deadline: not a millisecond before, not later", async () => {
  const clock = new ManualClock();
  const store = new MemoryStore();
  const c = await coordinator(store, {}, clock);
  try {
    await clock.advance(123); // off any 250 ms grid a sweep would run on
    const a = await join(c, { sessionTimeoutMs: 10_000 });
    await sync(c, { memberId: a.memberId, generationId: 1 });
    await clock.advance(9_999);
    assertEquals(store.groups.get("g")?.members.length, 1);
    assertEquals([c.groupState("g"), members(c)], ["Stable", 1]);
    await clock.advance(1);
    // The timer did it, not the next request: the emptied group (generation 2) is already stored.
    assertEquals([store.groups.get("g")?.generationId, store.groups.get("g")?.members.length], [2, 0]);
    assertEquals([c.groupState("g"), members(c)], ["Empty", 0]);
    assertEquals(c.heartbeat("g", 1, a.memberId, null), E.UNKNOWN_MEMBER_ID);
  } finally {
    await c.close();
  }
});

Deno.test("heartbeats and accepted commits push the deadline; refused ones do not", async () => {
  const clock = new ManualClock();
  const c = await coordinator(undefined, {}, clock);
  try {
    const a = await join(c, { sessionTimeoutMs: 10_000 });
    await sync(c, { memberId: a.memberId, generationId: 1 });
    await clock.advance(6_000);
    assertEquals(c.heartbeat("g", 1, a.memberId, null), E.NONE); // ends at 16,000
    await clock.advance(6_000);
    assertEquals(await commit(c, { generationId: 1, memberId: a.memberId }), E.NONE); // ends at 22,000
    await clock.advance(5_000);
    assertEquals(await commit(c, { generationId: 7, memberId: a.memberId }), E.ILLEGAL_GENERATION);
    assertEquals(c.heartbeat("g", 7, a.memberId, null), E.ILLEGAL_GENERATION);
    await clock.advance(4_999);
    assertEquals([c.groupState("g"), members(c)], ["Stable", 1], "refused calls did not end the session");
    await clock.advance(1);
    assertEquals(c.groupState("g"), "Empty", "nor did they extend it");
  } finally {
    await c.close();
  }
});

Deno.test("static members: one that stops without LeaveGroup goes at its deadline (then DeleteGroups works); a rejoin restarts it", async () => {
  const clock = new ManualClock();
  const c = await coordinator(undefined, {}, clock);
  try {
    // librdkafka 0081: a static consumer (session 6 s) commits on close, sends no LeaveGroup, and the test deletes
    // the group 6 s later.
    const a = await join(c, { groupInstanceId: "inst-0", sessionTimeoutMs: 6_000 });
    await sync(c, { memberId: a.memberId, generationId: 1, groupInstanceId: "inst-0" });
    await clock.advance(1_000);
    assertEquals(
      await commit(c, { generationId: 1, memberId: a.memberId, groupInstanceId: "inst-0" }),
      E.NONE,
    );
    await clock.advance(5_999);
    assertEquals(await c.deleteGroup("g"), E.NON_EMPTY_GROUP);
    assertEquals(c.describe("g").members.map((m) => m.groupInstanceId), ["inst-0"]);
    await clock.advance(1);
    assertEquals(await c.deleteGroup("g"), E.NONE);

    // A static member coming back with a new id (same subscription: no rebalance) gets a fresh session; its old
    // id is fenced and cannot keep the session alive.
    const b = await join(c, { groupId: "s", groupInstanceId: "inst-b", sessionTimeoutMs: 10_000 });
    await sync(c, { groupId: "s", memberId: b.memberId, generationId: 1, groupInstanceId: "inst-b" });
    await clock.advance(8_000);
    const again = await join(c, { groupId: "s", groupInstanceId: "inst-b", sessionTimeoutMs: 10_000 });
    assertEquals([again.errorCode, again.generationId], [E.NONE, 1]);
    await clock.advance(1_000);
    assertEquals(c.heartbeat("s", 1, b.memberId, "inst-b"), E.FENCED_INSTANCE_ID);
    await clock.advance(8_999);
    assertEquals(c.describe("s").members.map((m) => m.memberId), [again.memberId]);
    await clock.advance(1);
    assertEquals([c.groupState("s"), members(c, "s")], ["Empty", 0]);
  } finally {
    await c.close();
  }
});

Deno.test("MEMBER_ID_REQUIRED ids live for their session timeout, hold up a join until then, and leave no trace", async () => {
  const clock = new ManualClock();
  const c = await coordinator(undefined, {}, clock);
  const pendingJoin = (groupId: string, memberId = "") =>
    join(c, { groupId, memberId, requireKnownMemberId: true, sessionTimeoutMs: 1_000 });
  try {
    // Used one millisecond before its deadline: it joins.
    const p = await pendingJoin("p");
    assertEquals(p.errorCode, E.MEMBER_ID_REQUIRED);
    await clock.advance(999);
    assertEquals((await pendingJoin("p", p.memberId)).errorCode, E.NONE);

    // Not used: gone at its deadline, with the group that only it kept.
    const q = await pendingJoin("q");
    await clock.advance(999);
    assert(c.list().some((g) => g.groupId === "q"), "the group exists while the id is pending");
    await clock.advance(1);
    assertEquals(c.list().some((g) => g.groupId === "q"), false);
    assertEquals((await pendingJoin("q", q.memberId)).errorCode, E.UNKNOWN_MEMBER_ID);

    // A pending id holds up a rebalance until it expires...
    const a = await join(c, { sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 5_000 });
    await sync(c, { memberId: a.memberId, generationId: 1 });
    await pendingJoin("g");
    let rejoined: JoinResult | null = null;
    join(c, { memberId: a.memberId, rebalanceTimeoutMs: 5_000 }).then((r) => rejoined = r);
    await clock.advance(999);
    assertEquals(rejoined, null, "the leader's rejoin waits for the pending id");
    await clock.advance(1);
    assertEquals([rejoined!.generationId, rejoined!.members.length], [2, 1]);
    // ... or until it leaves.
    await sync(c, { memberId: a.memberId, generationId: 2 });
    const b = await pendingJoin("g");
    rejoined = null;
    join(c, { memberId: a.memberId, rebalanceTimeoutMs: 5_000 }).then((r) => rejoined = r);
    await clock.advance(0);
    assertEquals(rejoined, null);
    const left = c.leave("g", [{ memberId: b.memberId, groupInstanceId: null, reason: null }]);
    assertEquals(left.members[0].errorCode, E.NONE);
    await clock.advance(0);
    assertEquals(rejoined!.generationId, 3, "the join completes as soon as the pending id leaves");
  } finally {
    await c.close();
  }
});

Deno.test("waiting in SyncGroup keeps a member alive past its session; the answer restarts the session", async () => {
  const clock = new ManualClock();
  const c = await coordinator(undefined, { initialRebalanceDelayMs: 100 }, clock);
  try {
    const slow = { sessionTimeoutMs: 1_000, rebalanceTimeoutMs: 60_000 };
    const both = Promise.all([join(c, slow), join(c, slow)]);
    await clock.advance(100);
    const [x, y] = await both;
    const [leader, follower] = x.leader === x.memberId ? [x, y] : [y, x];
    const followerSync = sync(c, { memberId: follower.memberId, generationId: 1 });
    // The leader takes 2.8 s to assign, heartbeating meanwhile; the follower's session (1 s) passes twice.
    for (let t = 500; t <= 2_900; t += 400) {
      await clock.advance(400);
      assertEquals(c.heartbeat("g", 1, leader.memberId, null), E.NONE);
    }
    assertEquals(members(c), 2);
    await sync(c, {
      memberId: leader.memberId,
      generationId: 1,
      assignments: [{ memberId: follower.memberId, assignment: enc("p0") }],
    });
    assertEquals(new TextDecoder().decode((await followerSync).assignment), "p0");
    // Both answered at 2,900: both sessions end at 3,900.
    await clock.advance(999);
    assertEquals([c.groupState("g"), members(c)], ["Stable", 2]);
    await clock.advance(1);
    assertEquals([c.groupState("g"), members(c)], ["Empty", 0]);
  } finally {
    await c.close();
  }
});

Deno.test("a new member waiting in JoinGroup is removed at the new-member timeout (5 min), not before", async () => {
  const clock = new ManualClock();
  const c = await coordinator(undefined, {}, clock);
  try {
    const long = { sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 600_000 };
    const a = await join(c, long);
    await sync(c, { memberId: a.memberId, generationId: 1 });
    let newcomer: JoinResult | null = null;
    join(c, long).then((r) => newcomer = r);
    // The old member heartbeats (REBALANCE_IN_PROGRESS) but never rejoins: the rebalance waits up to 10 min.
    for (let t = 3_000; t <= 297_000; t += 3_000) {
      await clock.advance(3_000);
      assertEquals(c.heartbeat("g", 1, a.memberId, null), E.REBALANCE_IN_PROGRESS);
    }
    await clock.advance(2_999);
    assertEquals(newcomer, null);
    await clock.advance(1);
    assertEquals(newcomer!.errorCode, E.UNKNOWN_MEMBER_ID);
    assertEquals(members(c), 1);
  } finally {
    await c.close();
  }
});

Deno.test("members that send no SyncGroup within the rebalance timeout are removed then, and the group rebalances", async () => {
  const clock = new ManualClock();
  const c = await coordinator(undefined, { initialRebalanceDelayMs: 100 }, clock);
  try {
    const opts = { sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 5_000 };
    const both = Promise.all([join(c, opts), join(c, opts)]);
    await clock.advance(100);
    const [x, y] = await both;
    const [leader, follower] = x.leader === x.memberId ? [x, y] : [y, x];
    await sync(c, { memberId: leader.memberId, generationId: 1 });
    assertEquals(c.groupState("g"), "Stable");
    // The follower heartbeats but never syncs: it is out the rebalance timeout after the join completed.
    await clock.advance(2_500);
    assertEquals(c.heartbeat("g", 1, follower.memberId, null), E.NONE);
    await clock.advance(2_499);
    assertEquals([c.groupState("g"), members(c)], ["Stable", 2]);
    await clock.advance(1);
    assertEquals(c.describe("g").members.map((m) => m.memberId), [leader.memberId]);
    assertEquals(c.groupState("g"), "PreparingRebalance");
    assertEquals(c.heartbeat("g", 1, leader.memberId, null), E.REBALANCE_IN_PROGRESS);
    assertEquals(c.heartbeat("g", 1, follower.memberId, null), E.UNKNOWN_MEMBER_ID);
  } finally {
    await c.close();
  }
});

/** A manual clock whose timers fire `lag` ms late (a busy event loop). */
class LateClock implements Clock {
  constructor(readonly inner: ManualClock, private readonly lag: number) {}
  now(): number {
    return this.inner.now();
  }
  monotonic(): number {
    return this.inner.monotonic();
  }
  setTimeout(fn: () => void, ms: number): Timer {
    return this.inner.setTimeout(fn, ms + this.lag);
  }
  setInterval(fn: () => void, ms: number): Timer {
    return this.inner.setInterval(fn, ms);
  }
}

Deno.test("a request sees a passed session deadline even when the timer is late", async () => {
  const clock = new LateClock(new ManualClock(), 1_000);
  const c = await coordinator(undefined, {}, clock);
  try {
    const a = await join(c, { sessionTimeoutMs: 10_000 });
    await sync(c, { memberId: a.memberId, generationId: 1 });
    await clock.inner.advance(10_000); // the timer is due at 11,000
    assertEquals(members(c), 0);
    assertEquals(await c.deleteGroup("g"), E.NONE);
  } finally {
    await c.close();
  }
});

Deno.test("a reloaded group's members get a fresh session from the load on", async () => {
  const store = new MemoryStore();
  const first = await coordinator(store);
  const a = await join(first, { sessionTimeoutMs: 5_000 });
  await sync(first, { memberId: a.memberId, generationId: 1 });
  await first.close();
  const clock = new ManualClock();
  const c = await coordinator(store, {}, clock);
  try {
    await clock.advance(4_999);
    assertEquals(c.groupState("g"), "Stable");
    await clock.advance(1);
    assertEquals(c.groupState("g"), "Empty");
  } finally {
    await c.close();
  }
});

Deno.test("timers: one for all deadlines, gone when the last member leaves, none after close", async () => {
  const clock = new ManualClock();
  const c = await coordinator(undefined, {}, clock);
  const idle = clock.pending; // the offsets retention check
  const a = await join(c);
  const b = await join(c, { groupId: "h", requireKnownMemberId: true });
  await sync(c, { memberId: a.memberId, generationId: 1 });
  assertEquals(clock.pending, idle + 1, "a session, a pending id and a sync deadline share one timer");
  c.leave("g", [{ memberId: a.memberId, groupInstanceId: null, reason: null }]);
  c.leave("h", [{ memberId: b.memberId, groupInstanceId: null, reason: null }]);
  assertEquals(clock.pending, idle);
  await join(c, { groupId: "k" }); // a member still in a group when the coordinator closes
  await c.close();
  assertEquals(clock.pending, 0);
});

Deno.test({
  name: "real clock: closing with members, pending ids and a rebalance in progress leaves no timer behind",
  // Deno's op sanitizer (off by default) fails the test if a timer is still pending at its end.
  sanitizeOps: true,
  sanitizeResources: true,
}, async () => {
  const c = await coordinator(new MemoryStore(), {}, null);
  const a = await join(c, { sessionTimeoutMs: 6_000 });
  await sync(c, { memberId: a.memberId, generationId: 1 });
  const waiting = join(c); // held until a rejoins (rebalance timeout 2 s)
  await join(c, { groupId: "p", requireKnownMemberId: true });
  await c.close();
  assertEquals((await waiting).errorCode, E.COORDINATOR_NOT_AVAILABLE);
});
