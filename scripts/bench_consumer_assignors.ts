// KIP-848 server assignor benchmark (uniform, range): time of a first assignment, of a re-assignment with nothing
// changed, after one member joins and after one leaves, with the partitions moved and the process memory.
// Printed figures, no asserts; pure computation (no network, no files).
//
//   deno run scripts/bench_consumer_assignors.ts [--members N] [--topics N] [--partitions N] [--reps N]
//                                                [--shared-subscriptions]
//
// Defaults: 1,000 members and 10 topics x 1,000 partitions (10,000 partitions), then 10 members on the same
// topics; each shape homogeneous (everyone subscribes to every topic) and, for uniform, heterogeneous (each member
// a seeded random half of the topics). "cold" is the first call of a shape (JIT not warm), the other figures are
// the median of --reps calls (default 5). The input is built outside the timed section (the group's cost).
// Each member has its own subscription Set unless --shared-subscriptions (members with equal subscriptions then
// share one Set object, which the assignors read once: what matters with thousands of topics).
import type {
  Assignment,
  AssignorInput,
  AssignorMember,
  ServerAssignor,
  TopicId,
  TopicInfo,
} from "../src/groups/consumer/contract.ts";
import { SERVER_ASSIGNORS } from "../src/groups/consumer/assignors/index.ts";

interface Options {
  members: number;
  topics: number;
  partitions: number;
  reps: number;
  sharedSubscriptions: boolean;
}

function parseOptions(argv: string[]): Options {
  const o: Options = { members: 1000, topics: 10, partitions: 1000, reps: 5, sharedSubscriptions: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (min: number, max: number) => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < min || v > max) {
        throw new Error(`${a} needs an integer in ${min}..${max}`);
      }
      return v;
    };
    if (a === "--members") o.members = num(1, 100_000);
    else if (a === "--topics") o.topics = num(1, 10_000);
    else if (a === "--partitions") o.partitions = num(1, 100_000);
    else if (a === "--reps") o.reps = num(1, 100);
    else if (a === "--shared-subscriptions") o.sharedSubscriptions = true;
    else if (a === "--help" || a === "-h") {
      console.log(
        "deno run scripts/bench_consumer_assignors.ts [--members N] [--topics N] [--partitions N] [--reps N]",
      );
      Deno.exit(0);
    } else throw new Error(`unknown argument ${a} (see --help)`);
  }
  return o;
}

/** Seeded PRNG (mulberry32): the same heterogeneous subscriptions every run. */
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

const EMPTY: Assignment = new Map();

function makeTopics(count: number, partitions: number): Map<TopicId, TopicInfo> {
  const out = new Map<TopicId, TopicInfo>();
  for (let i = 0; i < count; i++) {
    const id = i.toString(16).padStart(32, "0");
    out.set(id, { id, name: `topic-${i}`, partitions });
  }
  return out;
}

function makeMember(memberId: string, subs: ReadonlySet<TopicId>): AssignorMember {
  return { memberId, instanceId: null, rackId: null, subscribedTopicIds: subs, current: EMPTY };
}

function makeInput(o: Options, members: number, heterogeneous: boolean): AssignorInput {
  const topics = makeTopics(o.topics, o.partitions);
  const all = new Set(topics.keys());
  const ids = [...all];
  const rand = rng(848);
  const m = new Map<string, AssignorMember>();
  for (let i = 0; i < members; i++) {
    const id = `member-${i.toString().padStart(6, "0")}-${crypto.randomUUID()}`;
    let subs: ReadonlySet<TopicId> = o.sharedSubscriptions ? all : new Set(all);
    if (heterogeneous) {
      const picked = new Set(ids.filter(() => rand() < 0.5));
      if (picked.size === 0) picked.add(ids[i % ids.length]);
      subs = picked;
    }
    m.set(id, makeMember(id, subs));
  }
  return { members: m, topics };
}

/** The next rebalance's input: current = the last result, with a member added or removed. */
function withCurrent(
  inp: AssignorInput,
  result: Map<string, Assignment>,
  change?: { add?: AssignorMember; remove?: string },
): AssignorInput {
  const m = new Map<string, AssignorMember>();
  for (const [id, member] of inp.members) {
    if (id === change?.remove) continue;
    m.set(id, { ...member, current: result.get(id) ?? EMPTY });
  }
  if (change?.add) m.set(change.add.memberId, change.add);
  return { members: m, topics: inp.topics };
}

function moved(before: Map<string, Assignment>, after: Map<string, Assignment>): number {
  const owner = new Map<string, Map<number, string>>();
  for (const [id, a] of before) {
    for (const [t, ps] of a) {
      let o = owner.get(t);
      if (o === undefined) owner.set(t, o = new Map());
      for (const p of ps) o.set(p, id);
    }
  }
  let n = 0;
  for (const [id, a] of after) {
    for (const [t, ps] of a) {
      const o = owner.get(t);
      for (const p of ps) {
        const was = o?.get(p);
        if (was !== undefined && was !== id) n++;
      }
    }
  }
  return n;
}

function spread(result: Map<string, Assignment>): string {
  let lo = Infinity;
  let hi = 0;
  for (const a of result.values()) {
    let c = 0;
    for (const s of a.values()) c += s.size;
    lo = Math.min(lo, c);
    hi = Math.max(hi, c);
  }
  return `${lo}..${hi}`;
}

function time(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const mb = (b: number) => `${(b / 1048576).toFixed(1)} MB`;
const ms = (x: number) => `${x.toFixed(2)} ms`;

function benchShape(o: Options, assignor: ServerAssignor, members: number, heterogeneous: boolean): void {
  const inp = makeInput(o, members, heterogeneous);
  const label = `${assignor.name.padEnd(7)} ${members} members x ${o.topics * o.partitions} partitions ` +
    (heterogeneous ? "heterogeneous" : "homogeneous");
  let first = new Map<string, Assignment>();
  const cold = time(() => first = assignor.assign(inp));
  const firstTimes: number[] = [];
  for (let i = 0; i < o.reps; i++) firstTimes.push(time(() => assignor.assign(inp)));

  const stable = withCurrent(inp, first);
  const stableTimes: number[] = [];
  for (let i = 0; i < o.reps; i++) stableTimes.push(time(() => assignor.assign(stable)));

  const joiner = makeMember(
    `member-joining-${crypto.randomUUID()}`,
    heterogeneous
      ? new Set([...inp.topics.keys()].slice(0, Math.ceil(o.topics / 2)))
      : new Set(inp.topics.keys()),
  );
  const joined = withCurrent(inp, first, { add: joiner });
  let afterJoin = new Map<string, Assignment>();
  const joinTimes: number[] = [];
  for (let i = 0; i < o.reps; i++) joinTimes.push(time(() => afterJoin = assignor.assign(joined)));

  const leaver = [...inp.members.keys()][Math.floor(members / 2)];
  const left = withCurrent(inp, first, { remove: leaver });
  let afterLeave = new Map<string, Assignment>();
  const leaveTimes: number[] = [];
  for (let i = 0; i < o.reps; i++) leaveTimes.push(time(() => afterLeave = assignor.assign(left)));

  console.log(label);
  console.log(
    `  first ${ms(median(firstTimes))} (cold ${ms(cold)}), counts ${spread(first)}` +
      ` | unchanged ${ms(median(stableTimes))}` +
      ` | +1 member ${ms(median(joinTimes))}, ${moved(first, afterJoin)} moved, counts ${spread(afterJoin)}` +
      ` | -1 member ${ms(median(leaveTimes))}, ${moved(first, afterLeave)} moved, counts ${
        spread(afterLeave)
      }`,
  );
}

const o = parseOptions(Deno.args);
const rss0 = Deno.memoryUsage();
console.log(
  `deno ${Deno.version.deno}, v8 ${Deno.version.v8}; rss ${mb(rss0.rss)}, heap used ${mb(rss0.heapUsed)}`,
);
for (const members of [o.members, 10]) {
  for (const [name, assignor] of SERVER_ASSIGNORS) {
    benchShape(o, assignor, members, false);
    if (name === "uniform") benchShape(o, assignor, members, true);
  }
}
const rss1 = Deno.memoryUsage();
console.log(`after: rss ${mb(rss1.rss)}, heap used ${mb(rss1.heapUsed)}, heap total ${mb(rss1.heapTotal)}`);
