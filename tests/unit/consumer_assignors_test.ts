// The KIP-848 server assignors (uniform, range): every partition of a subscribed topic goes to exactly one of its
// subscribers, uniform balances (counts differ by at most one for identical subscriptions) and moves the fewest
// partitions when members come and go or topics grow, range gives contiguous co-partitioned ranges in Kafka's
// member order, and both are deterministic and hand back unchanged assignments as the same objects.
import { assert, assertEquals } from "./assert.ts";
import type {
  Assignment,
  AssignorInput,
  AssignorMember,
  ServerAssignor,
  TopicId,
  TopicInfo,
} from "../../src/groups/consumer/contract.ts";
import { partitionCount, toRows } from "../../src/groups/consumer/assignment.ts";
import {
  DEFAULT_SERVER_ASSIGNOR,
  RangeAssignor,
  SERVER_ASSIGNORS,
  UniformAssignor,
} from "../../src/groups/consumer/assignors/index.ts";

const uniform = new UniformAssignor();
const range = new RangeAssignor();

// ------------------------------------------------------------------------------------------------ helpers

const tid = (name: string): TopicId => name.padStart(32, "0");

function topics(spec: Record<string, number>): Map<TopicId, TopicInfo> {
  return new Map(
    Object.entries(spec).map(([name, partitions]) => [tid(name), { id: tid(name), name, partitions }]),
  );
}

interface MemberSpec {
  subs: string[];
  current?: Record<string, number[]>;
  instanceId?: string;
}

function member(memberId: string, spec: MemberSpec): AssignorMember {
  const current = new Map<TopicId, Set<number>>();
  for (const [t, ps] of Object.entries(spec.current ?? {})) {
    if (ps.length > 0) current.set(tid(t), new Set(ps));
  }
  return {
    memberId,
    instanceId: spec.instanceId ?? null,
    rackId: null,
    subscribedTopicIds: new Set(spec.subs.map(tid)),
    current,
  };
}

function input(t: Map<TopicId, TopicInfo>, members: Record<string, MemberSpec>): AssignorInput {
  return { topics: t, members: new Map(Object.entries(members).map(([id, s]) => [id, member(id, s)])) };
}

/** The same input with every member's current assignment replaced by `result` (the next rebalance). */
function next(
  prev: AssignorInput,
  result: Map<string, Assignment>,
  change: { add?: Record<string, MemberSpec>; remove?: string[]; topics?: Map<TopicId, TopicInfo> } = {},
): AssignorInput {
  const members = new Map<string, AssignorMember>();
  for (const [id, m] of prev.members) {
    if (change.remove?.includes(id)) continue;
    members.set(id, { ...m, current: result.get(id)! });
  }
  for (const [id, s] of Object.entries(change.add ?? {})) members.set(id, member(id, s));
  return { topics: change.topics ?? prev.topics, members };
}

/** Readable form: member -> "topic:p,p topic:p" with short topic names. */
function show(result: Map<string, Assignment>): Record<string, string> {
  const o: Record<string, string> = {};
  for (const id of [...result.keys()].sort()) {
    o[id] = toRows(result.get(id)!).map((r) => `${r.topicId.replace(/^0+/, "")}:${r.partitions.join(",")}`)
      .join(" ");
  }
  return o;
}

/** The contract: an entry per member, every subscribed partition exactly once, each to one of its subscribers. */
function assertValid(inp: AssignorInput, result: Map<string, Assignment>): void {
  assertEquals([...result.keys()].sort(), [...inp.members.keys()].sort(), "an entry for every member");
  const owner = new Map<string, string>();
  for (const [id, a] of result) {
    const m = inp.members.get(id)!;
    for (const [t, ps] of a) {
      assert(ps.size > 0, `${id}: empty set kept for ${t}`);
      assert(m.subscribedTopicIds.has(t), `${id} got ${t} it does not subscribe to`);
      const info = inp.topics.get(t);
      assert(info !== undefined, `${id} got unknown topic ${t}`);
      for (const p of ps) {
        assert(Number.isInteger(p) && p >= 0 && p < info.partitions, `${id} got ${t}-${p} out of range`);
        const key = `${t}-${p}`;
        assert(!owner.has(key), `${key} assigned to ${owner.get(key)} and ${id}`);
        owner.set(key, id);
      }
    }
  }
  for (const [t, info] of inp.topics) {
    const subscribed = [...inp.members.values()].some((m) => m.subscribedTopicIds.has(t));
    for (let p = 0; p < info.partitions; p++) {
      assertEquals(owner.has(`${t}-${p}`), subscribed, `${t}-${p} assigned iff subscribed`);
    }
  }
}

function counts(result: Map<string, Assignment>): number[] {
  return [...result.values()].map(partitionCount);
}

function spread(result: Map<string, Assignment>): number {
  const c = counts(result);
  return Math.max(...c) - Math.min(...c);
}

/** Partitions that went from one member to another (counting only members in `among` when given). */
function moved(before: Map<string, Assignment>, after: Map<string, Assignment>, among?: string[]): number {
  const owner = new Map<string, string>();
  for (const [id, a] of before) for (const [t, ps] of a) for (const p of ps) owner.set(`${t}-${p}`, id);
  let n = 0;
  for (const [id, a] of after) {
    if (among !== undefined && !among.includes(id)) continue;
    for (const [t, ps] of a) {
      for (const p of ps) {
        const o = owner.get(`${t}-${p}`);
        if (o !== undefined && o !== id && (among === undefined || among.includes(o))) n++;
      }
    }
  }
  return n;
}

function isSubset(a: Assignment, b: Assignment): boolean {
  for (const [t, ps] of a) for (const p of ps) if (!b.get(t)?.has(p)) return false;
  return true;
}

/**
 * Heterogeneous balance as Kafka defines it: no single move improves it, i.e. a member holding a partition of a
 * topic has at most one partition more than any other subscriber of that topic.
 */
function assertNoImprovingMove(inp: AssignorInput, result: Map<string, Assignment>, what: string): void {
  for (const t of inp.topics.keys()) {
    const subs = [...inp.members].filter(([, m]) => m.subscribedTopicIds.has(t)).map(([id]) => id);
    if (subs.length === 0) continue;
    const least = Math.min(...subs.map((id) => partitionCount(result.get(id)!)));
    for (const id of subs) {
      const a = result.get(id)!;
      if (a.has(t)) assert(partitionCount(a) - least <= 1, `${what}: ${id} could give ${t} away`);
    }
  }
}

/** A small seeded PRNG (mulberry32) for the property tests. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ------------------------------------------------------------------------------------------------ registry

Deno.test("assignors: the registry offers uniform (default) and range", () => {
  assertEquals([...SERVER_ASSIGNORS.keys()], ["uniform", "range"]);
  assertEquals(DEFAULT_SERVER_ASSIGNOR, "uniform");
  for (const [name, a] of SERVER_ASSIGNORS) assertEquals(a.name, name);
});

Deno.test("assignors: empty inputs", () => {
  for (const a of [uniform, range] as ServerAssignor[]) {
    assertEquals(a.assign({ members: new Map(), topics: topics({ a: 3 }) }).size, 0, a.name);
    // Members without (existing) subscriptions get an empty entry; a current assignment is dropped.
    const inp = input(topics({ a: 3 }), {
      m1: { subs: [] },
      m2: { subs: ["gone"], current: { a: [0] } },
    });
    const r = a.assign(inp);
    assertEquals(show(r), { m1: "", m2: "" }, a.name);
    assertValid(inp, r);
  }
});

// ------------------------------------------------------------------------------------------------ uniform

Deno.test("uniform: homogeneous first assignment is balanced and contiguous per member", () => {
  const inp = input(topics({ a: 7, b: 4 }), {
    m1: { subs: ["a", "b"] },
    m2: { subs: ["a", "b"] },
    m3: { subs: ["b", "a"] },
  });
  const r = uniform.assign(inp);
  assertValid(inp, r);
  assertEquals(show(r), { m1: "a:0,1,2,3", m2: "a:4,5,6 b:0", m3: "b:1,2,3" });
});

Deno.test("uniform: deterministic whatever the input's insertion order", () => {
  const t = topics({ a: 10, b: 3, c: 6 });
  const specs: [string, MemberSpec][] = [
    ["m1", { subs: ["a", "b", "c"], current: { a: [0, 1, 2, 3, 4, 5, 6, 7] } }],
    ["m2", { subs: ["c", "b", "a"], current: { c: [0, 1] } }],
    ["m3", { subs: ["a", "c", "b"] }],
    ["m4", { subs: ["b", "a", "c"], current: { a: [9], b: [2] } }],
  ];
  const forward = uniform.assign(input(t, Object.fromEntries(specs)));
  const backward = uniform.assign(input(new Map([...t].reverse()), Object.fromEntries([...specs].reverse())));
  assertEquals(show(forward), show(backward));
  assert(spread(forward) <= 1);
});

Deno.test("uniform: a member joining takes the minimum from the others", () => {
  const t = topics({ a: 16, b: 14 });
  const subs = ["a", "b"];
  const first = input(t, { m1: { subs }, m2: { subs }, m3: { subs } });
  const r1 = uniform.assign(first);
  assertEquals(counts(r1), [10, 10, 10]);
  const second = next(first, r1, { add: { m4: { subs } } });
  const r2 = uniform.assign(second);
  assertValid(second, r2);
  assert(spread(r2) <= 1);
  // 30 partitions over 4: the newcomer needs 7, exactly 7 move, and nobody else gains anything.
  assertEquals(partitionCount(r2.get("m4")!), 7);
  assertEquals(moved(r1, r2), 7);
  for (const id of ["m1", "m2", "m3"]) assert(isSubset(r2.get(id)!, r1.get(id)!), `${id} only gave up`);
});

Deno.test("uniform: a member leaving moves only its partitions", () => {
  const t = topics({ a: 30 });
  const subs = ["a"];
  const first = input(t, { m1: { subs }, m2: { subs }, m3: { subs }, m4: { subs } });
  const r1 = uniform.assign(first);
  assertEquals(counts(r1).sort(), [7, 7, 8, 8]);
  const leaving = "m2";
  const second = next(first, r1, { remove: [leaving] });
  const r2 = uniform.assign(second);
  assertValid(second, r2);
  assertEquals(counts(r2), [10, 10, 10]);
  assertEquals(moved(r1, r2, ["m1", "m3", "m4"]), 0, "no partition moves between the members that stay");
  assertEquals(moved(r1, r2), 8, "only the leaver's partitions move");
  for (const id of ["m1", "m3", "m4"]) assert(isSubset(r1.get(id)!, r2.get(id)!), `${id} keeps all it had`);
});

Deno.test("uniform: an unchanged group gets its assignments back as the same objects", () => {
  for (const subsOf of [(_i: number) => ["a", "b"], (i: number) => (i % 2 ? ["a"] : ["a", "b"])]) {
    const t = topics({ a: 9, b: 5 });
    const first = input(t, Object.fromEntries([0, 1, 2, 3].map((i) => [`m${i}`, { subs: subsOf(i) }])));
    const r1 = uniform.assign(first);
    const r2 = uniform.assign(next(first, r1));
    for (const [id, a] of r1) assert(r2.get(id) === a, `${id}: same object`);
  }
});

Deno.test("uniform: new partitions are picked up, existing ones stay", () => {
  const subs = ["a"];
  const first = input(topics({ a: 4 }), { m1: { subs }, m2: { subs } });
  const r1 = uniform.assign(first);
  const second = next(first, r1, { topics: topics({ a: 10 }) });
  const r2 = uniform.assign(second);
  assertValid(second, r2);
  assertEquals(counts(r2), [5, 5]);
  assertEquals(moved(r1, r2), 0);
  for (const id of ["m1", "m2"]) assert(isSubset(r1.get(id)!, r2.get(id)!));
});

Deno.test("uniform: an unsubscribed topic leaves the member, stale and duplicate partitions are dropped", () => {
  const inp = input(topics({ a: 4, b: 2 }), {
    // m1 dropped b; claims a-7 (no such partition) and a-1 which m2 also claims (m1 sorts first and keeps it).
    m1: { subs: ["a"], current: { a: [0, 1, 7], b: [0, 1] } },
    m2: { subs: ["a", "b"], current: { a: [1, 2], b: [0, 1] } },
  });
  const r = uniform.assign(inp);
  assertValid(inp, r);
  assertEquals(show(r), { m1: "a:0,1,3", m2: "a:2 b:0,1" });
});

Deno.test("uniform: heterogeneous subscriptions stay with subscribers and balance", () => {
  const inp = input(topics({ t1: 4, t2: 4 }), {
    a: { subs: ["t1"] },
    b: { subs: ["t1", "t2"] },
    c: { subs: ["t2"] },
  });
  const r = uniform.assign(inp);
  assertValid(inp, r);
  assertEquals(counts(r).sort(), [2, 3, 3]);
  // A topic with one subscriber goes to it whole, however loaded it is.
  const solo = input(topics({ big: 12, small: 2 }), {
    a: { subs: ["big", "small"] },
    b: { subs: ["small"] },
  });
  const rs = uniform.assign(solo);
  assertValid(solo, rs);
  assertEquals(show(rs), { a: "big:0,1,2,3,4,5,6,7,8,9,10,11", b: "small:0,1" });
});

Deno.test("uniform: heterogeneous rebalancing moves partitions from the most to the least loaded", () => {
  // b holds all of t1; a newcomer subscribed to t1 takes half, c keeps t2.
  const inp = input(topics({ t1: 8, t2: 3 }), {
    a: { subs: ["t1"] },
    b: { subs: ["t1", "t2"], current: { t1: [0, 1, 2, 3, 4, 5, 6, 7] } },
    c: { subs: ["t2"], current: { t2: [0, 1, 2] } },
  });
  const r = uniform.assign(inp);
  assertValid(inp, r);
  assertEquals(partitionCount(r.get("a")!), 4);
  assertEquals(partitionCount(r.get("b")!), 4);
  assert(r.get("c") === inp.members.get("c")!.current, "c untouched");
  assertEquals(moved(new Map([...inp.members].map(([id, m]) => [id, m.current])), r), 4);
});

Deno.test("uniform: properties over random groups (valid, balanced when homogeneous, stable, sticky)", () => {
  const rand = rng(848);
  for (let round = 0; round < 300; round++) {
    const topicCount = 1 + Math.floor(rand() * 5);
    const spec: Record<string, number> = {};
    for (let i = 0; i < topicCount; i++) spec[`t${i}`] = 1 + Math.floor(rand() * 20);
    const t = topics(spec);
    const names = Object.keys(spec);
    const homogeneous = rand() < 0.5;
    const memberCount = 1 + Math.floor(rand() * 8);
    const shared = names.filter(() => rand() < 0.7);
    const members: Record<string, MemberSpec> = {};
    for (let i = 0; i < memberCount; i++) {
      members[`m${i}`] = { subs: homogeneous ? shared : names.filter(() => rand() < 0.5) };
    }
    const first = input(t, members);
    const r1 = uniform.assign(first);
    assertValid(first, r1);
    if (homogeneous) assert(spread(r1) <= 1, `round ${round}: balanced`);
    else assertNoImprovingMove(first, r1, `round ${round}`);
    // Re-running on its own result changes nothing (and hands back the same objects).
    const r2 = uniform.assign(next(first, r1));
    for (const [id, a] of r1) assert(r2.get(id) === a, `round ${round}: ${id} stable`);
    // A member joins: in a homogeneous group only the newcomer gains, it takes no more than its quota.
    const joined = next(first, r1, {
      add: { zz: { subs: homogeneous ? shared : names.filter(() => rand() < 0.5) } },
    });
    const r3 = uniform.assign(joined);
    assertValid(joined, r3);
    if (!homogeneous) assertNoImprovingMove(joined, r3, `round ${round} after join`);
    if (homogeneous) {
      assert(spread(r3) <= 1, `round ${round}: balanced after join`);
      for (const [id, a] of r1) assert(isSubset(r3.get(id)!, a), `round ${round}: ${id} only gives up`);
      assertEquals(
        moved(r1, r3),
        partitionCount(r3.get("zz")!),
        `round ${round}: only the newcomer's share moves`,
      );
    }
    // A member leaves: in a homogeneous group the others keep what they had.
    const left = next(first, r1, { remove: ["m0"] });
    const r4 = uniform.assign(left);
    assertValid(left, r4);
    if (homogeneous && memberCount > 1) {
      assert(spread(r4) <= 1, `round ${round}: balanced after leave`);
      for (const [id, a] of r4) {
        assert(isSubset(r1.get(id)!, a), `round ${round}: ${id} keeps its partitions`);
      }
    }
  }
});

// ------------------------------------------------------------------------------------------------ range

Deno.test("range: consecutive ranges, extra partitions to the first members, co-partitioned", () => {
  const inp = input(topics({ t1: 3, t2: 3 }), { m0: { subs: ["t1", "t2"] }, m1: { subs: ["t2", "t1"] } });
  const r = range.assign(inp);
  assertValid(inp, r);
  assertEquals(show(r), { m0: "t1:0,1 t2:0,1", m1: "t1:2 t2:2" });

  const three = input(topics({ x: 7, y: 7, z: 7 }), {
    c: { subs: ["x", "y", "z"] },
    a: { subs: ["x", "y", "z"] },
    b: { subs: ["x", "y", "z"] },
  });
  const r3 = range.assign(three);
  assertValid(three, r3);
  assertEquals(show(r3), {
    a: "x:0,1,2 y:0,1,2 z:0,1,2",
    b: "x:3,4 y:3,4 z:3,4",
    c: "x:5,6 y:5,6 z:5,6",
  });
});

Deno.test("range: static members first by instance id, then dynamic members by member id", () => {
  const inp = input(topics({ t: 4 }), {
    a: { subs: ["t"] },
    z: { subs: ["t"], instanceId: "i1" },
    y: { subs: ["t"], instanceId: "i0" },
    b: { subs: ["t"] },
  });
  assertEquals(show(range.assign(inp)), { y: "t:0", z: "t:1", a: "t:2", b: "t:3" });
  // A static member restarting under a new member id keeps its range.
  const restarted = input(topics({ t: 4 }), {
    a: { subs: ["t"] },
    z2: { subs: ["t"], instanceId: "i1" },
    y: { subs: ["t"], instanceId: "i0" },
    b: { subs: ["t"] },
  });
  assertEquals(show(range.assign(restarted)).z2, "t:1");
});

Deno.test("range: heterogeneous subscriptions split each topic among its own subscribers", () => {
  const inp = input(topics({ t1: 3, t2: 5 }), {
    m1: { subs: ["t1"] },
    m2: { subs: ["t1", "t2"] },
    m3: { subs: ["t2"] },
  });
  const r = range.assign(inp);
  assertValid(inp, r);
  assertEquals(show(r), { m1: "t1:0,1", m2: "t1:2 t2:0,1,2", m3: "t2:3,4" });
});

Deno.test("range: more members than partitions leaves the last members empty", () => {
  const inp = input(topics({ t: 2 }), { a: { subs: ["t"] }, b: { subs: ["t"] }, c: { subs: ["t"] } });
  const r = range.assign(inp);
  assertValid(inp, r);
  assertEquals(show(r), { a: "t:0", b: "t:1", c: "" });
});

Deno.test("range: new partitions are picked up; unchanged members get the same objects back", () => {
  const subs = ["t"];
  const first = input(topics({ t: 4, u: 2 }), { a: { subs }, b: { subs }, c: { subs: ["u"] } });
  const r1 = range.assign(first);
  assertEquals(show(r1), { a: "t:0,1", b: "t:2,3", c: "u:0,1" });
  const same = range.assign(next(first, r1));
  for (const [id, a] of r1) assert(same.get(id) === a, `${id}: same object`);
  const grown = next(first, r1, { topics: topics({ t: 6, u: 2 }) });
  const r2 = range.assign(grown);
  assertValid(grown, r2);
  assertEquals(show(r2), { a: "t:0,1,2", b: "t:3,4,5", c: "u:0,1" });
  assert(r2.get("c") === r1.get("c"));
});

Deno.test("range: properties over random groups (valid, per-topic balance, deterministic)", () => {
  const rand = rng(16);
  for (let round = 0; round < 150; round++) {
    const spec: Record<string, number> = {};
    const topicCount = 1 + Math.floor(rand() * 4);
    for (let i = 0; i < topicCount; i++) spec[`t${i}`] = 1 + Math.floor(rand() * 12);
    const names = Object.keys(spec);
    const members: Record<string, MemberSpec> = {};
    const memberCount = 1 + Math.floor(rand() * 6);
    for (let i = 0; i < memberCount; i++) {
      members[`m${i}`] = {
        subs: names.filter(() => rand() < 0.6),
        instanceId: rand() < 0.3 ? `i${Math.floor(rand() * 100)}-${i}` : undefined,
      };
    }
    const inp = input(topics(spec), members);
    const r = range.assign(inp);
    assertValid(inp, r);
    const reversed = input(topics(spec), Object.fromEntries(Object.entries(members).reverse()));
    assertEquals(show(range.assign(reversed)), show(r), `round ${round}: deterministic`);
    for (const name of names) {
      const per = [...inp.members].filter(([, m]) => m.subscribedTopicIds.has(tid(name)))
        .map(([id]) => r.get(id)!.get(tid(name))?.size ?? 0);
      if (per.length > 0) {
        assert(Math.max(...per) - Math.min(...per) <= 1, `round ${round}: ${name} balanced`);
      }
    }
  }
});

Deno.test("uniform: properties from arbitrary current assignments (stale, foreign, skewed)", () => {
  const rand = rng(2024);
  for (let round = 0; round < 300; round++) {
    const spec: Record<string, number> = {};
    const topicCount = 1 + Math.floor(rand() * 4);
    for (let i = 0; i < topicCount; i++) spec[`t${i}`] = 1 + Math.floor(rand() * 25);
    const names = Object.keys(spec);
    const homogeneous = rand() < 0.4;
    const memberCount = 1 + Math.floor(rand() * 7);
    const members: Record<string, MemberSpec> = {};
    for (let i = 0; i < memberCount; i++) {
      members[`m${i}`] = { subs: names.filter(() => homogeneous || rand() < 0.5), current: {} };
    }
    // Each partition (and some beyond the topic's end) to a random member or nobody, skewed towards m0.
    for (const name of names) {
      for (let p = 0; p < spec[name] + 2; p++) {
        const r = rand();
        if (r < 0.2) continue;
        const id = r < 0.5 ? "m0" : `m${Math.floor(rand() * memberCount)}`;
        (members[id].current![name] ??= []).push(p);
      }
    }
    const inp = input(topics(spec), members);
    const r = uniform.assign(inp);
    assertValid(inp, r);
    if (homogeneous) assert(spread(r) <= 1, `round ${round}: balanced`);
    else assertNoImprovingMove(inp, r, `round ${round}`);
    // Stickiness: in a homogeneous group a member holding no more than the minimum quota of valid partitions
    // (first claimant in member order, existing, subscribed) keeps them all.
    if (homogeneous) {
      const total = names.reduce((n, x) => n + spec[x], 0);
      const minQuota = Math.floor(total / memberCount);
      const claimed = new Set<string>();
      for (const id of [...inp.members.keys()].sort()) {
        const valid: [string, number][] = [];
        for (const [t, ps] of inp.members.get(id)!.current) {
          for (const p of ps) {
            if (p < inp.topics.get(t)!.partitions && !claimed.has(`${t}-${p}`)) valid.push([t, p]);
          }
        }
        for (const [t, p] of valid) claimed.add(`${t}-${p}`);
        if (valid.length <= minQuota) {
          for (const [t, p] of valid) {
            assert(r.get(id)!.get(t)?.has(p), `round ${round}: ${id} keeps ${t}-${p}`);
          }
        }
      }
    }
    const again = uniform.assign(next(inp, r));
    for (const [id, a] of r) assert(again.get(id) === a, `round ${round}: ${id} stable`);
  }
});

Deno.test("assignors: 1,000 members x 10,000 partitions: a valid assignment, and again after a join", () => {
  // Timing is the benchmark's (deno task bench:assignors); this checks the large case is still correct.
  const t = new Map<TopicId, TopicInfo>();
  for (let i = 0; i < 10; i++) t.set(tid(`t${i}`), { id: tid(`t${i}`), name: `t${i}`, partitions: 1000 });
  const all = [...t.keys()];
  const rand = rng(7);
  for (const heterogeneous of [false, true]) {
    const members = new Map<string, AssignorMember>();
    for (let i = 0; i < 1000; i++) {
      const subs = heterogeneous ? all.filter(() => rand() < 0.5) : all;
      members.set(
        `member-${i}`,
        member(`member-${i}`, { subs: subs.length ? subs.map((x) => x.replace(/^0+/, "")) : ["t0"] }),
      );
    }
    const inp: AssignorInput = { members, topics: t };
    for (const a of [uniform, range] as ServerAssignor[]) {
      const r = a.assign(inp);
      assertValid(inp, r);
      const joined = next(inp, r, { add: { joiner: { subs: ["t0", "t1"] } } });
      assertValid(joined, a.assign(joined));
    }
  }
});
