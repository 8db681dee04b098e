// The controller's assignment computation (src/cluster/assignment.ts), the liveness judgement
// (src/cluster/membership.ts) and leader-epoch history lookups (src/cluster/epochs.ts): pure functions, no filer.
import { assert, assertEquals, assertThrows } from "./assert.ts";
import {
  type AssignmentDoc,
  AssignmentFormatError,
  computeAssignment,
  type LiveMember,
  parseAssignment,
  placementProblem,
  type TopicSize,
  withPlacements,
} from "../../src/cluster/assignment.ts";
import { LivenessTracker, type MemberRecord } from "../../src/cluster/membership.ts";
import { colocated, hostOf } from "../../src/cluster/controller.ts";
import { assignEpoch, endOffsetFor, epochAtOffset, type EpochEntry } from "../../src/cluster/epochs.ts";

function member(nodeId: number, applied = 0, incarnation = `inc${nodeId}`): LiveMember {
  return { nodeId, host: "127.0.0.1", port: 9090 + nodeId, rack: null, incarnation, applied };
}

const leadersOf = (d: AssignmentDoc, topic: string) => d.topics.find((t) => t.name === topic)!.leaders;
const epochsOf = (d: AssignmentDoc, topic: string) => d.topics.find((t) => t.name === topic)!.epochs;
const releasingOf = (d: AssignmentDoc, topic: string) =>
  (d.topics.find((t) => t.name === topic)!.releasing ?? []).map((r) => [r.partition, r.node]);

function counts(d: AssignmentDoc, topic: string): Map<number, number> {
  const m = new Map<number, number>();
  for (const l of leadersOf(d, topic)) m.set(l, (m.get(l) ?? 0) + 1);
  return m;
}

/** Runs the controller until nothing changes, each gateway applying every document at once. */
function settle(
  prev: AssignmentDoc | null,
  topics: TopicSize[],
  members: LiveMember[],
  controller = 1,
): { doc: AssignmentDoc; docs: AssignmentDoc[] } {
  const docs: AssignmentDoc[] = [];
  let doc = prev;
  for (let i = 0; i < 20; i++) {
    const live = members.map((m) => ({ ...m, applied: doc?.version ?? 0 }));
    const next = computeAssignment(doc, topics, live, controller);
    if (next === doc) return { doc: next, docs };
    docs.push(next);
    doc = next;
  }
  throw new Error("assignment did not settle");
}

Deno.test("assignment: a lone gateway leads every partition at epoch 0; a second run changes nothing", () => {
  const topics = [{ name: "a", partitions: 3 }, { name: "__consumer_offsets", partitions: 4 }];
  const d = computeAssignment(null, topics, [member(1)], 1);
  assertEquals(d.version, 1);
  assertEquals(d.controllerId, 1);
  assertEquals(leadersOf(d, "a"), [1, 1, 1]);
  assertEquals(epochsOf(d, "a"), [0, 0, 0]);
  assertEquals(leadersOf(d, "__consumer_offsets"), [1, 1, 1, 1]);
  assertEquals(d.brokers.map((b) => b.nodeId), [1]);
  assert(computeAssignment(d, topics, [member(1, 1)], 1) === d, "unchanged input gives the same document");
  assertEquals(computeAssignment(null, topics, [member(1)], 1, 1_700_000_000_000).version, 1_700_000_000_000);
});

Deno.test("assignment: partitions are spread evenly per topic over the live gateways", () => {
  const topics = [{ name: "six", partitions: 6 }, { name: "seven", partitions: 7 }, {
    name: "one",
    partitions: 1,
  }];
  const d = computeAssignment(null, topics, [member(1), member(2), member(3)], 1);
  assertEquals([...counts(d, "six").values()], [2, 2, 2]);
  assertEquals([...counts(d, "seven").values()].sort(), [2, 2, 3]);
  // the extra partitions go to the least loaded gateways overall
  const total = new Map<number, number>();
  for (const t of topics) for (const [n, c] of counts(d, t.name)) total.set(n, (total.get(n) ?? 0) + c);
  assertEquals([...total.values()].sort(), [4, 5, 5]);
  assertEquals(d.topics.map((t) => t.name), ["one", "seven", "six"]);
});

Deno.test("assignment: a joining gateway takes its share in two steps, sticky otherwise", () => {
  const topics = [{ name: "t", partitions: 6 }];
  const one = computeAssignment(null, topics, [member(1), member(2)], 1);
  assertEquals(leadersOf(one, "t"), [1, 2, 1, 2, 1, 2]);
  // gateway 3 joins: one partition of each gateway is first taken away (leader -1, "releasing")
  const two = computeAssignment(one, topics, [member(1, 1), member(2, 1), member(3, 0)], 1);
  assertEquals(leadersOf(two, "t"), [1, 2, 1, 2, -1, -1]);
  assertEquals(releasingOf(two, "t"), [[4, 1], [5, 2]]);
  assertEquals(epochsOf(two, "t"), [0, 0, 0, 0, 0, 0], "the epoch moves only with a new leader");
  // nothing moves on until the old leader applied that version
  assert(computeAssignment(two, topics, [member(1, 1), member(2, 1), member(3, 1)], 1) === two);
  const three = computeAssignment(two, topics, [member(1, 2), member(2, 1), member(3, 1)], 1);
  assertEquals(leadersOf(three, "t"), [1, 2, 1, 2, 3, -1]);
  assertEquals(epochsOf(three, "t"), [0, 0, 0, 0, 1, 0]);
  const four = computeAssignment(three, topics, [member(1, 3), member(2, 3), member(3, 3)], 1);
  assertEquals(leadersOf(four, "t"), [1, 2, 1, 2, 3, 3]);
  assertEquals(epochsOf(four, "t"), [0, 0, 0, 0, 1, 1]);
  assertEquals(releasingOf(four, "t"), []);
  assert(computeAssignment(four, topics, [member(1, 4), member(2, 4), member(3, 4)], 1) === four);
});

Deno.test("assignment: a dead or departed leader's partitions move in one step with the epoch bumped", () => {
  const topics = [{ name: "t", partitions: 6 }];
  const { doc } = settle(null, topics, [member(1), member(2), member(3)]);
  const before = leadersOf(doc, "t");
  const next = computeAssignment(doc, topics, [member(1, doc.version), member(2, doc.version)], 1);
  assertEquals(next.brokers.map((b) => b.nodeId), [1, 2]);
  for (let p = 0; p < 6; p++) {
    if (before[p] === 3) {
      assert(leadersOf(next, "t")[p] === 1 || leadersOf(next, "t")[p] === 2, `partition ${p} moved`);
      assertEquals(epochsOf(next, "t")[p], epochsOf(doc, "t")[p] + 1);
    } else {
      assertEquals(leadersOf(next, "t")[p], before[p], `partition ${p} stays`);
      assertEquals(epochsOf(next, "t")[p], epochsOf(doc, "t")[p]);
    }
  }
  assertEquals([...counts(next, "t").values()], [3, 3]);
});

Deno.test("assignment: a restarted gateway (new incarnation) is a new leader: its partitions get a new epoch", () => {
  const topics = [{ name: "t", partitions: 2 }];
  const d = computeAssignment(null, topics, [member(1)], 1);
  const restarted = computeAssignment(d, topics, [member(1, 0, "other")], 1);
  assertEquals(leadersOf(restarted, "t"), [1, 1]);
  assertEquals(epochsOf(restarted, "t"), [1, 1]);
  assertEquals(restarted.brokers[0].incarnation, "other");
});

Deno.test("assignment: releasing ends when the releasing gateway dies or restarts; epochs never go backwards", () => {
  const topics = [{ name: "t", partitions: 2 }];
  const one = computeAssignment(null, topics, [member(1)], 1);
  const two = computeAssignment(one, topics, [member(1, 1), member(2)], 1);
  assertEquals(leadersOf(two, "t"), [1, -1]);
  // gateway 1 restarts before confirming: its old incarnation no longer holds anything
  const three = computeAssignment(two, topics, [member(1, 0, "new"), member(2, 2)], 1);
  assertEquals(releasingOf(three, "t"), []);
  assert(leadersOf(three, "t").every((l) => l === 1 || l === 2));
  assertEquals(epochsOf(three, "t"), [1, 1]);
  // nobody left: leaders -1, epochs kept; someone comes back: epoch + 1 again
  const none = computeAssignment(three, topics, [], 1);
  assertEquals(leadersOf(none, "t"), [-1, -1]);
  assertEquals(epochsOf(none, "t"), [1, 1]);
  assertEquals(none.brokers, []);
  const back = computeAssignment(none, topics, [member(3)], 1);
  assertEquals(leadersOf(back, "t"), [3, 3]);
  assertEquals(epochsOf(back, "t"), [2, 2]);
});

Deno.test("assignment: topics come and go, grow, and a new controller keeps the epochs of the document", () => {
  const one = computeAssignment(null, [{ name: "a", partitions: 2 }], [member(1), member(2)], 1);
  const grown = computeAssignment(one, [{ name: "a", partitions: 4 }, { name: "b", partitions: 1 }], [
    member(1, 1),
    member(2, 1),
  ], 1);
  assertEquals(leadersOf(grown, "a").slice(0, 2), leadersOf(one, "a"));
  assertEquals([...counts(grown, "a").values()], [2, 2]);
  assertEquals(epochsOf(grown, "a"), [0, 0, 0, 0]);
  assertEquals(epochsOf(grown, "b"), [0]);
  const gone = computeAssignment(grown, [{ name: "b", partitions: 1 }], [member(1, 2), member(2, 2)], 1);
  assertEquals(gone.topics.map((t) => t.name), ["b"]);
  // another controller: the same leaders, only the controller id changes (one document says so)
  const other = computeAssignment(gone, [{ name: "b", partitions: 1 }], [member(1, 3), member(2, 3)], 2);
  assertEquals(other.controllerId, 2);
  assertEquals(other.version, gone.version + 1);
  assertEquals(other.topics, gone.topics);
});

Deno.test("assignment: every sequence of joins and failures settles balanced with monotonic epochs", () => {
  const topics = [{ name: "x", partitions: 5 }, { name: "__consumer_offsets", partitions: 50 }];
  let doc: AssignmentDoc | null = null;
  const epochs = new Map<string, number>();
  const check = (d: AssignmentDoc) => {
    for (const t of d.topics) {
      t.epochs.forEach((e, p) => {
        const k = `${t.name}-${p}`;
        assert(e >= (epochs.get(k) ?? -1), `${k}: epoch went backwards`);
        epochs.set(k, e);
      });
    }
  };
  for (const ids of [[1], [1, 2], [1, 2, 3], [2, 3], [2, 3, 4], [4], [1, 4]]) {
    const r = settle(doc, topics, ids.map((id) => member(id)));
    r.docs.forEach(check);
    doc = r.doc;
    for (const t of topics) {
      const c = [...counts(doc, t.name).values()];
      assert(!counts(doc, t.name).has(-1), `${t.name}: every partition led with ${ids}`);
      assert(Math.max(...c) - Math.min(...c) <= 1, `${t.name} balanced over ${ids}: ${c}`);
      assertEquals(c.length, ids.length);
    }
  }
});

Deno.test("locality: free partitions go to their preferred gateway within its share", () => {
  const plain = computeAssignment(null, [{ name: "t", partitions: 4 }], [member(1), member(2)], 1);
  assertEquals(leadersOf(plain, "t"), [1, 2, 1, 2]);
  const pref = [{ name: "t", partitions: 4, preferred: [[2], [2], [1], [1]] }];
  const d = computeAssignment(null, pref, [member(1), member(2)], 1);
  assertEquals(leadersOf(d, "t"), [2, 2, 1, 1]);
  assertEquals(epochsOf(d, "t"), [0, 0, 0, 0]);
  // everything preferring one gateway: it takes its share, the others go elsewhere (balance first)
  const one = computeAssignment(null, [{ name: "t", partitions: 4, preferred: [[2], [2], [2], [2]] }], [
    member(1),
    member(2),
  ], 1);
  assertEquals([...counts(one, "t").values()], [2, 2]);
  // the most particular partitions are placed first: p1 can only go to 1, p0 to 1 or 2
  const particular = computeAssignment(null, [{ name: "t", partitions: 2, preferred: [[1, 2], [1]] }], [
    member(1),
    member(2),
    member(3),
  ], 1);
  assertEquals(leadersOf(particular, "t"), [2, 1]);
});

Deno.test("locality: a topic's extra partition goes to the preferred one of equally loaded gateways", () => {
  const members = [member(1), member(2), member(3)];
  assertEquals(leadersOf(computeAssignment(null, [{ name: "t", partitions: 1 }], members, 1), "t"), [1]);
  const d = computeAssignment(null, [{ name: "t", partitions: 1, preferred: [[3]] }], members, 1);
  assertEquals(leadersOf(d, "t"), [3]);
  // balance over topics comes first: "b" goes to a gateway that leads nothing yet, even though 1 is preferred
  const two = computeAssignment(
    null,
    [
      { name: "a", partitions: 1, preferred: [[1]] },
      { name: "b", partitions: 1, preferred: [[1]] },
    ],
    members,
    1,
  );
  assertEquals(leadersOf(two, "a"), [1]);
  assert(leadersOf(two, "b")[0] !== 1, "balance before locality");
});

Deno.test("locality: live leaders keep their partitions (no churn for locality)", () => {
  const topics = [{ name: "t", partitions: 6 }];
  const { doc } = settle(null, topics, [member(1), member(2), member(3)]);
  const live = [member(1, doc.version), member(2, doc.version), member(3, doc.version)];
  const swapped = leadersOf(doc, "t").map((l) => [l === 1 ? 2 : l === 2 ? 3 : 1]);
  assert(
    computeAssignment(doc, [{ name: "t", partitions: 6, preferred: swapped }], live, 1) === doc,
    "preferences alone change nothing",
  );
  // a dead gateway's partitions follow the preference, within the shares
  const gone = leadersOf(doc, "t").flatMap((l, p) => l === 3 ? [p] : []);
  assertEquals(gone.length, 2);
  const preferred: number[][] = [[], [], [], [], [], []];
  preferred[gone[0]] = [2];
  preferred[gone[1]] = [1];
  const next = computeAssignment(doc, [{ name: "t", partitions: 6, preferred }], live.slice(0, 2), 1);
  assertEquals(leadersOf(next, "t")[gone[0]], 2);
  assertEquals(leadersOf(next, "t")[gone[1]], 1);
  assertEquals([...counts(next, "t").values()], [3, 3]);
});

Deno.test("locality: a gateway above its share gives up a partition it is not preferred for first", () => {
  const one = computeAssignment(null, [{ name: "t", partitions: 4 }], [member(1), member(2)], 1);
  assertEquals(leadersOf(one, "t"), [1, 2, 1, 2]);
  const live = [member(1, 1), member(2, 1), member(3)];
  // without preferences gateway 2 gives up partition 3
  assertEquals(releasingOf(computeAssignment(one, [{ name: "t", partitions: 4 }], live, 1), "t"), [[3, 2]]);
  const topics = [{ name: "t", partitions: 4, preferred: [[1], [3], [1], [2]] }];
  const two = computeAssignment(one, topics, live, 1);
  assertEquals(releasingOf(two, "t"), [[1, 2]]);
  const three = computeAssignment(two, topics, [member(1, 2), member(2, 2), member(3, 2)], 1);
  assertEquals(leadersOf(three, "t"), [1, 3, 1, 2]);
});

Deno.test("locality: a preference naming every live gateway, or unknown ones, is none", () => {
  const members = [member(1), member(2)];
  const plain = computeAssignment(null, [{ name: "t", partitions: 3 }], members, 1);
  const all = computeAssignment(
    null,
    [{ name: "t", partitions: 3, preferred: [[1, 2], [2, 1], [1, 2]] }],
    members,
    1,
  );
  assertEquals(all.topics, plain.topics);
  const unknown = computeAssignment(
    null,
    [{ name: "t", partitions: 3, preferred: [[7], [8], []] }],
    members,
    1,
  );
  assertEquals(unknown.topics, plain.topics);
});

Deno.test("locality: sequences of joins and failures with preferences settle balanced", () => {
  let seed = 7;
  const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
  const pref = (parts: number) => Array.from({ length: parts }, () => [1 + rnd(4)]);
  let doc: AssignmentDoc | null = null;
  for (const ids of [[1], [1, 2], [1, 2, 3], [2, 3], [2, 3, 4], [4], [1, 4], [1, 2, 3, 4]]) {
    const topics = [
      { name: "x", partitions: 5, preferred: pref(5) },
      { name: "y", partitions: 1, preferred: pref(1) },
      { name: "__consumer_offsets", partitions: 50, preferred: pref(50) },
    ];
    doc = settle(doc, topics, ids.map((id) => member(id))).doc;
    for (const t of topics) {
      const c = [...counts(doc, t.name).values()];
      assert(!counts(doc, t.name).has(-1), `${t.name}: every partition led with ${ids}`);
      assert(Math.max(...c) - Math.min(...c) <= 1, `${t.name} balanced over ${ids}: ${c}`);
    }
  }
});

Deno.test("locality: co-located gateways share the broker's host; all co-located means no preference", () => {
  assertEquals(hostOf("10.0.0.2:17777"), "10.0.0.2");
  assertEquals(hostOf("[::1]:17777"), "::1");
  assertEquals(hostOf("::1"), "::1");
  assertEquals(hostOf("Broker-A"), "broker-a");
  const members = [{ nodeId: 1, host: "10.0.0.1" }, { nodeId: 2, host: "10.0.0.2" }, {
    nodeId: 3,
    host: "10.0.0.2",
  }];
  const brokers = ["10.0.0.2:17777", "10.0.0.9:17777", undefined, "10.0.0.1:17777"];
  assertEquals(colocated("t", 4, (_t, p) => brokers[p], members), [[2, 3], undefined, undefined, [1]]);
  const loopback = [{ nodeId: 1, host: "127.0.0.1" }, { nodeId: 2, host: "127.0.0.1" }];
  assertEquals(colocated("t", 2, () => "127.0.0.1:17777", loopback), [undefined, undefined]);
});

Deno.test("assignment: documents round-trip through JSON; malformed ones are refused", () => {
  const d = computeAssignment(null, [{ name: "__proto__", partitions: 2 }], [member(1), member(2)], 1);
  const d2 = computeAssignment(
    d,
    [{ name: "__proto__", partitions: 2 }],
    [member(1), member(2), member(3)],
    1,
  );
  const back = parseAssignment(JSON.parse(JSON.stringify(d2)));
  assertEquals(back, d2);
  assert(
    computeAssignment(back, [{ name: "__proto__", partitions: 2 }], [member(1), member(2), member(3)], 1) ===
      back,
  );
  assertThrows(() => parseAssignment({ version: 1 }), AssignmentFormatError);
  assertThrows(
    () => parseAssignment({ ...d, topics: [{ name: "t", leaders: [1], epochs: [] }] }),
    AssignmentFormatError,
    "topic",
  );
});

Deno.test("liveness: alive while the lease moves; dead after a lease timeout of silence; gone when deleted", () => {
  const rec = (nodeId: number, seq: number, incarnation = "a"): MemberRecord => ({
    nodeId,
    host: "h",
    port: 1,
    rack: null,
    incarnation,
    seq,
    applied: 0,
    served: 0,
  });
  const t = new LivenessTracker(1000);
  // a new observer counts everyone as alive for a full lease timeout
  assertEquals(t.observe([rec(1, 5), rec(2, 9)], 0).map((r) => r.nodeId), [1, 2]);
  assertEquals(t.observe([rec(1, 6), rec(2, 9)], 900).map((r) => r.nodeId), [1, 2]);
  assertEquals(t.observe([rec(1, 7), rec(2, 9)], 1000).map((r) => r.nodeId), [1]);
  assertEquals(t.silentFor(2, 1500), 1500);
  // a new incarnation of the same node id counts as alive again
  assertEquals(t.observe([rec(1, 8), rec(2, 9, "b")], 1600).map((r) => r.nodeId), [1, 2]);
  // a deleted entry is a departed member at once
  assertEquals(t.observe([rec(2, 10, "b")], 1700).map((r) => r.nodeId), [2]);
  assertEquals(t.observe([rec(1, 8), rec(2, 10, "b")], 2700).map((r) => r.nodeId), [1]);
});

Deno.test("epochs: assignment drops empty epochs; lookups follow OffsetForLeaderEpoch semantics", () => {
  let h: EpochEntry[] = [];
  h = assignEpoch(h, 0, 0)!;
  h = assignEpoch(h, 1, 10)!;
  assertEquals(assignEpoch(h, 1, 12), null, "the same epoch again changes nothing");
  assertEquals(assignEpoch(h, 0, 12), null, "an older epoch is ignored");
  h = assignEpoch(h, 3, 10)!; // nothing was written under epoch 1
  assertEquals(h, [[0, 0], [3, 10]]);
  h = assignEpoch(h, 5, 25)!;
  assertEquals(h, [[0, 0], [3, 10], [5, 25]]);
  assertEquals(endOffsetFor(h, 0, 40), { leaderEpoch: 0, endOffset: 10 });
  assertEquals(endOffsetFor(h, 1, 40), { leaderEpoch: 0, endOffset: 10 }, "largest epoch <= 1");
  assertEquals(endOffsetFor(h, 4, 40), { leaderEpoch: 3, endOffset: 25 });
  assertEquals(
    endOffsetFor(h, 5, 40),
    { leaderEpoch: 5, endOffset: 40 },
    "the current epoch ends at the log end",
  );
  assertEquals(
    endOffsetFor(h, 9, 40),
    { leaderEpoch: -1, endOffset: -1 },
    "above every known epoch: unknown",
  );
  assertEquals(endOffsetFor(h, -1, 40), { leaderEpoch: -1, endOffset: -1 });
  assertEquals(
    endOffsetFor([[2, 7]], 1, 40),
    { leaderEpoch: 1, endOffset: 7 },
    "below the first epoch: itself, ending where the first known one starts (Kafka)",
  );
  assertEquals(endOffsetFor([], 1, 40), { leaderEpoch: -1, endOffset: -1 });
  assertEquals(epochAtOffset(h, 0), 0);
  assertEquals(epochAtOffset(h, 9), 0);
  assertEquals(epochAtOffset(h, 10), 3);
  assertEquals(epochAtOffset(h, 100), 5);
  assertEquals(epochAtOffset([[2, 7]], 3), -1, "written before the history began");
});

Deno.test("assignment: a reassigned partition moves to its gateway (released first) and stays out of balancing", () => {
  const topics = [{ name: "t", partitions: 6 }];
  const all = [member(1), member(2), member(3)];
  const { doc: start } = settle(null, topics, all);
  const before = leadersOf(start, "t");
  const p = before.indexOf(1); // a partition gateway 1 leads
  // validation as Kafka's controller: unknown partition, a broker that is not alive, nothing to cancel
  assertEquals(
    placementProblem(start, { topic: "t", partition: 9, node: 2 })?.error,
    "UNKNOWN_TOPIC_OR_PARTITION",
  );
  assertEquals(
    placementProblem(start, { topic: "t", partition: p, node: 7 })?.error,
    "INVALID_REPLICA_ASSIGNMENT",
  );
  assertEquals(
    placementProblem(start, { topic: "t", partition: p, node: null })?.error,
    "NO_REASSIGNMENT_IN_PROGRESS",
  );
  assertEquals(placementProblem(start, { topic: "t", partition: p, node: 2 }), null);
  const placed = withPlacements(start, [{ topic: "t", partition: p, node: 2 }]);
  assertEquals(placed.version, start.version + 1);
  assertEquals(leadersOf(placed, "t"), before, "recording a placement moves nothing by itself");
  assert(
    withPlacements(placed, [{ topic: "t", partition: p, node: 2 }]) === placed,
    "the same placement again",
  );
  // the controller: first released by gateway 1, then given to gateway 2 with a new epoch
  const live = (v: number) => all.map((m) => ({ ...m, applied: v }));
  const released = computeAssignment(placed, topics, live(placed.version), 1);
  assertEquals(leadersOf(released, "t")[p], -1);
  assertEquals(releasingOf(released, "t"), [[p, 1]]);
  const { doc: moved } = settle(released, topics, all);
  assertEquals(leadersOf(moved, "t")[p], 2);
  assertEquals(epochsOf(moved, "t")[p], epochsOf(start, "t")[p] + 1);
  assertEquals(moved.topics[0].placed?.[p], 2);
  // the other 5 partitions stay balanced among the three (2/2/1 at most one apart), placed one not counted
  const others = leadersOf(moved, "t").filter((_, i) => i !== p);
  const c = [1, 2, 3].map((n) => others.filter((l) => l === n).length);
  assert(Math.max(...c) - Math.min(...c) <= 1, `others ${others}`);
  // gateway 2 dies: the partition is balanced like any other; it goes back once gateway 2 is live again
  const { doc: without2 } = settle(moved, topics, [member(1), member(3)]);
  assert([1, 3].includes(leadersOf(without2, "t")[p]), `leader ${leadersOf(without2, "t")[p]}`);
  assertEquals(without2.topics[0].placed?.[p], 2, "the placement is kept");
  const { doc: back } = settle(without2, topics, [member(1), member(2, 0, "inc2b"), member(3)]);
  assertEquals(leadersOf(back, "t")[p], 2);
  // a placement in progress can be cancelled; once done, there is nothing to cancel
  assertEquals(
    placementProblem(back, { topic: "t", partition: p, node: null })?.error,
    "NO_REASSIGNMENT_IN_PROGRESS",
  );
  const again = withPlacements(back, [{ topic: "t", partition: p, node: 3 }]);
  assertEquals(placementProblem(again, { topic: "t", partition: p, node: null }), null);
  const cancelled = withPlacements(again, [{ topic: "t", partition: p, node: null }]);
  assertEquals(cancelled.topics[0].placed, undefined);
  assertEquals(parseAssignment(JSON.parse(JSON.stringify(again))).topics[0].placed, again.topics[0].placed);
});
