// The `uniform` server assignor (Kafka's UniformAssignor, KIP-848's default): balance first, then stickiness.
// - Homogeneous subscriptions (every member subscribes to the same topics): member partition counts differ by at
//   most one; each member keeps as much of its current assignment as its quota allows. Unlike Kafka (which hands
//   the "+1" quotas to the first members of a hash map), the +1 quotas go first to members that already hold more
//   than the minimum, so fewer partitions move.
// - Heterogeneous subscriptions: each partition goes to a subscriber of its topic. Current partitions of topics
//   still subscribed are kept, the rest go to the least loaded subscribers (topics with the most partitions per
//   subscriber first), then partitions move from the most to the least loaded subscribers of each topic until no
//   move improves balance (Kafka's iterative balancing, at most 16 rounds).
// Members are numbered by sorted member id and topics by sorted topic id, so the result depends on the input's
// content only. Rack awareness is not implemented (Kafka's UniformAssignor of 4.0 does not use racks either).
//
// Performance: partition ownership lives in one Int32Array per topic and per-member counts in typed arrays; no
// object is allocated per partition except the result's Set entries. A member whose assignment does not change
// gets its `current` Assignment object back (the same reference): results share objects with the input and
// must be treated as immutable (the contract's types are readonly).
import type { Assignment, AssignorInput, AssignorMember, ServerAssignor, TopicId } from "../contract.ts";

/** The input numbered: members by sorted member id, subscribed topics by sorted topic id. */
interface Numbered {
  readonly memberIds: string[];
  readonly members: AssignorMember[];
  readonly topicIds: TopicId[];
  readonly topicIndex: Map<TopicId, number>;
  readonly partitionCounts: Int32Array;
  /** Per topic: the member index owning each partition in the new target, -1 while unassigned. */
  readonly owners: Int32Array[];
  /** Per member: its subscribed topics that exist, as ascending topic indices. */
  readonly subscriptions: Int32Array[];
  /** Per member: partitions owned in the new target. */
  readonly sizes: Int32Array;
  /** Per member: 1 once its target differs from its current assignment. */
  readonly changed: Uint8Array;
}

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function numberInput(input: AssignorInput): Numbered {
  const memberIds = [...input.members.keys()].sort(byString);
  const members = memberIds.map((id) => input.members.get(id)!);
  // One pass over the subscriptions numbers topics in order of appearance; they are renumbered in topic id order
  // below. Members sharing one subscription Set object (the group may intern them) are read once.
  const seenIndex = new Map<TopicId, number>();
  const seenIds: TopicId[] = [];
  const bySet = new Map<ReadonlySet<TopicId>, Int32Array>();
  const subscriptions = members.map((m) => {
    const known = bySet.get(m.subscribedTopicIds);
    if (known !== undefined) return known;
    const idx = new Int32Array(m.subscribedTopicIds.size);
    let k = 0;
    for (const t of m.subscribedTopicIds) {
      let i = seenIndex.get(t);
      if (i === undefined) {
        if (!input.topics.has(t)) continue;
        seenIndex.set(t, i = seenIds.length);
        seenIds.push(t);
      }
      idx[k++] = i;
    }
    const out = idx.subarray(0, k);
    bySet.set(m.subscribedTopicIds, out);
    return out;
  });
  const topicIds = [...seenIds].sort(byString);
  const topicIndex = new Map<TopicId, number>();
  const renumber = new Int32Array(topicIds.length);
  const partitionCounts = new Int32Array(topicIds.length);
  const owners: Int32Array[] = [];
  topicIds.forEach((t, i) => {
    topicIndex.set(t, i);
    renumber[seenIndex.get(t)!] = i;
    const n = Math.max(0, input.topics.get(t)!.partitions | 0);
    partitionCounts[i] = n;
    owners.push(new Int32Array(n).fill(-1));
  });
  // The index arrays are ours (one per distinct Set): renumber them in place.
  for (const r of bySet.values()) {
    for (let k = 0; k < r.length; k++) r[k] = renumber[r[k]];
    r.sort();
  }
  return {
    memberIds,
    members,
    topicIds,
    topicIndex,
    partitionCounts,
    owners,
    subscriptions,
    sizes: new Int32Array(members.length),
    changed: new Uint8Array(members.length),
  };
}

function sameIndices(a: Int32Array, b: Int32Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Gives each member the partitions of its current assignment that are still valid: a subscribed topic, an
 * existing partition number, not claimed by a member earlier in member order (a duplicate is a caller bug; the
 * result stays a partition of the group). Anything dropped marks the member changed.
 */
function retainCurrent(n: Numbered): void {
  const { members, topicIndex, owners, partitionCounts, sizes, changed } = n;
  for (let m = 0; m < members.length; m++) {
    const member = members[m];
    for (const [topicId, partitions] of member.current) {
      const t = topicIndex.get(topicId);
      if (t === undefined || !member.subscribedTopicIds.has(topicId)) {
        if (partitions.size > 0) changed[m] = 1;
        continue;
      }
      const own = owners[t];
      const count = partitionCounts[t];
      for (const p of partitions) {
        if (p >= 0 && p < count && (p | 0) === p && own[p] === -1) {
          own[p] = m;
          sizes[m]++;
        } else changed[m] = 1;
      }
    }
  }
}

function moveTo(n: Numbered, t: number, p: number, m: number): void {
  const own = n.owners[t];
  const old = own[p];
  if (old === m) return;
  if (old !== -1) {
    n.sizes[old]--;
    n.changed[old] = 1;
  }
  own[p] = m;
  n.sizes[m]++;
  n.changed[m] = 1;
}

/** The result: unchanged members get their `current` back, the others a map built in one pass over partitions. */
function buildResult(n: Numbered): Map<string, Assignment> {
  const { memberIds, members, topicIds, owners, changed } = n;
  const out = new Map<string, Assignment>();
  const fresh: (Map<TopicId, Set<number>> | undefined)[] = new Array(members.length);
  for (let m = 0; m < members.length; m++) {
    if (changed[m] === 0) out.set(memberIds[m], members[m].current);
    else {
      const a = new Map<TopicId, Set<number>>();
      fresh[m] = a;
      out.set(memberIds[m], a);
    }
  }
  // The set a member is filling for the topic being scanned (a stamp avoids a map lookup per partition).
  const stamp = new Int32Array(members.length).fill(-1);
  const open: (Set<number> | undefined)[] = new Array(members.length);
  for (let t = 0; t < topicIds.length; t++) {
    const own = owners[t];
    for (let p = 0; p < own.length; p++) {
      const m = own[p];
      if (m < 0 || changed[m] === 0) continue;
      let s = open[m];
      if (stamp[m] !== t) {
        s = new Set<number>();
        fresh[m]!.set(topicIds[t], s);
        open[m] = s;
        stamp[m] = t;
      }
      s!.add(p);
    }
  }
  return out;
}

// ------------------------------------------------------------------------------------------- homogeneous

function assignHomogeneous(n: Numbered): void {
  const { members, owners, partitionCounts, sizes, changed, topicIndex } = n;
  const memberCount = members.length;
  let total = 0;
  for (let t = 0; t < partitionCounts.length; t++) total += partitionCounts[t];
  const minQuota = Math.floor(total / memberCount);
  let extras = total % memberCount;

  // The +1 quotas: first to members holding more than the minimum (each such choice saves one move).
  const quota = new Int32Array(memberCount).fill(minQuota);
  for (let m = 0; m < memberCount && extras > 0; m++) {
    if (sizes[m] > minQuota) {
      quota[m]++;
      extras--;
    }
  }
  for (let m = 0; m < memberCount && extras > 0; m++) {
    if (quota[m] === minQuota) {
      quota[m]++;
      extras--;
    }
  }

  // Over-quota members give up what exceeds their quota (keeping the first partitions of their current map).
  for (let m = 0; m < memberCount; m++) {
    if (sizes[m] <= quota[m]) continue;
    let keep = quota[m];
    for (const [topicId, partitions] of members[m].current) {
      const t = topicIndex.get(topicId);
      if (t === undefined) continue;
      const own = owners[t];
      for (const p of partitions) {
        if (own[p] !== m) continue;
        if (keep > 0) keep--;
        else {
          own[p] = -1;
          sizes[m]--;
          changed[m] = 1;
        }
      }
    }
  }

  // Fill under-quota members in member order from the unassigned partitions in topic/partition order.
  let t = 0;
  let p = 0;
  for (let m = 0; m < memberCount; m++) {
    while (sizes[m] < quota[m]) {
      while (t < owners.length && (p >= owners[t].length || owners[t][p] !== -1)) {
        if (p >= owners[t].length) {
          t++;
          p = 0;
        } else p++;
      }
      if (t >= owners.length) throw new Error("uniform assignor: partitions ran out before quotas were met");
      owners[t][p] = m;
      sizes[m]++;
      changed[m] = 1;
    }
  }
}

// ----------------------------------------------------------------------------------------- heterogeneous

/**
 * Kafka's member balancer: the members of one topic sorted by (count, index), a "least loaded" range growing from
 * the left and a "most loaded" range growing from the right, each a level of equal counts. Successive calls give
 * members round-robin within a level, so assigning or taking one partition per call keeps the levels even.
 */
class Balancer {
  private readonly sorted: Int32Array;
  private length = 0;
  private leastEnd = 0;
  private leastLevel = 0;
  private nextLeast = 0;
  private mostStart = 0;
  private mostEnd = 0;
  private mostLevel = 0;
  private nextMost = 0;
  private buckets = new Int32Array(0);

  constructor(private readonly sizes: Int32Array) {
    this.sorted = new Int32Array(sizes.length);
  }

  /** Starts over with `members` (non-empty, ascending); returns the spread of their counts (most - least). */
  reset(members: Int32Array): number {
    const sizes = this.sizes;
    const n = this.length = members.length;
    const view = this.sorted.subarray(0, n);
    let lo = sizes[members[0]];
    let hi = lo;
    for (let i = 1; i < n; i++) {
      const c = sizes[members[i]];
      if (c < lo) lo = c;
      else if (c > hi) hi = c;
    }
    const range = hi - lo + 1;
    if (range <= 4 * n + 64) {
      // Counting sort by count: members arrive in ascending index order, so ties stay in index order. No
      // comparator calls (a typed-array sort with one boxes every element).
      if (this.buckets.length < range + 1) {
        this.buckets = new Int32Array(Math.max(range + 1, 2 * this.buckets.length));
      }
      const b = this.buckets;
      b.fill(0, 0, range + 1);
      for (let i = 0; i < n; i++) b[sizes[members[i]] - lo + 1]++;
      for (let i = 1; i <= range; i++) b[i] += b[i - 1];
      for (let i = 0; i < n; i++) view[b[sizes[members[i]] - lo]++] = members[i];
    } else {
      view.set(members);
      view.sort((a, b) => sizes[a] - sizes[b] || a - b);
    }
    this.leastEnd = 0;
    this.leastLevel = sizes[view[0]] - 1;
    this.nextLeast = 0;
    this.mostStart = n;
    this.mostEnd = n;
    this.mostLevel = sizes[view[n - 1]] + 1;
    this.nextMost = n - 1;
    return sizes[view[n - 1]] - sizes[view[0]];
  }

  /** The member to receive the next partition (its count is expected to grow by one). */
  leastLoaded(): number {
    const { sorted, sizes } = this;
    if (this.nextLeast >= this.leastEnd) {
      this.leastLevel++;
      while (this.leastEnd < this.length && sizes[sorted[this.leastEnd]] === this.leastLevel) this.leastEnd++;
      this.nextLeast = 0;
    }
    return sorted[this.nextLeast++];
  }

  /** The member to give up the next partition, or -1 when none can. */
  mostLoaded(): number {
    const { sorted, sizes } = this;
    if (this.nextMost < this.mostStart) {
      // An emptied range (every member excluded) restarts at the level of its left neighbour.
      if (this.mostEnd <= this.mostStart && this.mostStart > 0) {
        this.mostLevel = sizes[sorted[this.mostStart - 1]];
      } else this.mostLevel--;
      while (this.mostStart > 0 && sizes[sorted[this.mostStart - 1]] === this.mostLevel) this.mostStart--;
      this.nextMost = this.mostEnd - 1;
    }
    if (this.nextMost < 0) return -1;
    return sorted[this.nextMost--];
  }

  /** Drops the member mostLoaded() just returned from the most loaded range (it has nothing to give). */
  excludeMostLoaded(): void {
    const { sorted } = this;
    const i = this.nextMost + 1;
    const m = sorted[i];
    sorted[i] = sorted[this.mostEnd - 1];
    sorted[this.mostEnd - 1] = m;
    this.mostEnd--;
  }

  balanced(): boolean {
    return this.mostLevel - this.leastLevel <= 1;
  }
}

const MAX_BALANCE_ROUNDS = 16;

function assignHeterogeneous(n: Numbered): void {
  const { subscriptions, owners, partitionCounts, sizes, topicIds } = n;
  const topicCount = topicIds.length;

  // Subscribers per topic, ascending member index: views into one flat array (no per-topic growth garbage).
  const offsets = new Int32Array(topicCount + 1);
  for (const sub of subscriptions) for (let k = 0; k < sub.length; k++) offsets[sub[k] + 1]++;
  for (let t = 0; t < topicCount; t++) offsets[t + 1] += offsets[t];
  const flat = new Int32Array(offsets[topicCount]);
  const fill = offsets.slice(0, topicCount);
  for (let m = 0; m < subscriptions.length; m++) {
    const sub = subscriptions[m];
    for (let k = 0; k < sub.length; k++) flat[fill[sub[k]]++] = m;
  }
  const subscribers: Int32Array[] = new Array(topicCount);
  for (let t = 0; t < topicCount; t++) subscribers[t] = flat.subarray(offsets[t], offsets[t + 1]);

  // Most partitions per subscriber first, then fewer subscribers, then topic id (index order).
  const sortTopics = (topics: number[]) =>
    topics.sort((a, b) =>
      partitionCounts[b] / subscribers[b].length - partitionCounts[a] / subscribers[a].length ||
      subscribers[a].length - subscribers[b].length || a - b
    );

  const balancer = new Balancer(sizes);

  // Unassigned partitions go to the least loaded subscribers, topic by topic.
  const withUnassigned: number[] = [];
  for (let t = 0; t < topicCount; t++) {
    if (subscribers[t].length > 0 && owners[t].includes(-1)) withUnassigned.push(t);
  }
  for (const t of sortTopics(withUnassigned)) {
    balancer.reset(subscribers[t]);
    const own = owners[t];
    for (let p = 0; p < own.length; p++) {
      if (own[p] === -1) moveTo(n, t, p, balancer.leastLoaded());
    }
  }

  // Then move partitions from the most to the least loaded subscribers of each topic, round after round,
  // until a whole round moves nothing.
  const movable: number[] = [];
  for (let t = 0; t < topicCount; t++) if (subscribers[t].length >= 2) movable.push(t);
  if (movable.length === 0) return;
  const order = sortTopics(movable);
  const scratch = new TopicScratch(sizes.length, partitionCounts);
  let lastMoved = -1;
  for (let round = 0; round < MAX_BALANCE_ROUNDS; round++) {
    for (let i = 0; i < order.length; i++) {
      if (i === lastMoved) return;
      const moved = balanceTopic(n, order[i], subscribers[order[i]], balancer, scratch);
      if (moved > 0 || lastMoved === -1) lastMoved = i;
    }
  }
}

/** Reused buffers for balanceTopic: the topic's partitions grouped by owner, and each owner's range in it. */
class TopicScratch {
  readonly partitions: Int32Array;
  readonly start: Int32Array;
  readonly end: Int32Array;

  constructor(memberCount: number, partitionCounts: Int32Array) {
    let max = 0;
    for (const c of partitionCounts) max = Math.max(max, c);
    this.partitions = new Int32Array(max);
    this.start = new Int32Array(memberCount);
    this.end = new Int32Array(memberCount);
  }
}

function balanceTopic(
  n: Numbered,
  t: number,
  subscribers: Int32Array,
  balancer: Balancer,
  scratch: TopicScratch,
): number {
  const { sizes } = n;
  // Cheap spread check before the balancer sorts the subscribers.
  let lo = Infinity;
  let hi = -Infinity;
  for (const m of subscribers) {
    const s = sizes[m];
    if (s < lo) lo = s;
    if (s > hi) hi = s;
  }
  if (hi - lo <= 1) return 0;
  if (balancer.reset(subscribers) <= 1) return 0;

  // Group the topic's partitions by owner (owner index, then partition ascending): a counting sort. Every
  // partition has an owner among the subscribers by now.
  const own = n.owners[t];
  const { partitions, start, end } = scratch;
  for (const m of subscribers) end[m] = 0;
  for (let p = 0; p < own.length; p++) end[own[p]]++;
  let acc = 0;
  for (const m of subscribers) {
    start[m] = acc;
    acc += end[m];
    end[m] = start[m];
  }
  for (let p = 0; p < own.length; p++) partitions[end[own[p]]++] = p;

  let moved = 0;
  while (!balancer.balanced()) {
    let from = -1;
    for (;;) {
      from = balancer.mostLoaded();
      if (from === -1 || end[from] > start[from]) break;
      balancer.excludeMostLoaded();
    }
    if (from === -1) break;
    const p = partitions[--end[from]];
    const to = balancer.leastLoaded();
    if (balancer.balanced()) break;
    moveTo(n, t, p, to);
    moved++;
  }
  return moved;
}

// ------------------------------------------------------------------------------------------------ assignor

export class UniformAssignor implements ServerAssignor {
  readonly name = "uniform";

  assign(input: AssignorInput): Map<string, Assignment> {
    const n = numberInput(input);
    if (n.members.length === 0) return new Map();
    retainCurrent(n);
    if (n.topicIds.length > 0) {
      const first = n.subscriptions[0];
      if (n.subscriptions.every((s) => sameIndices(s, first))) assignHomogeneous(n);
      else assignHeterogeneous(n);
    }
    return buildResult(n);
  }
}
