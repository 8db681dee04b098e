// The `range` server assignor (Kafka's server-side RangeAssignor, KIP-848): per topic, its subscribers in a fixed
// order get consecutive ranges of partitions; the first (partitions % subscribers) of them get one extra.
// The order: static members first, by instance id, then the others by member id. So when every member subscribes
// to the same topics and the topics have equal partition counts, a member gets the same partition numbers of
// every topic (co-partitioning, for stream joins).
// Stickiness is Kafka's: none beyond the order itself. Static members keep their place (and so their partitions)
// across restarts as long as the member count, the subscriptions and the topics stay the same.
// A member whose ranges equal its current assignment gets its `current` object back (same reference); results
// are to be treated as immutable.
import type { Assignment, AssignorInput, AssignorMember, ServerAssignor, TopicId } from "../contract.ts";

interface TopicRanges {
  readonly id: TopicId;
  readonly partitions: number;
  subscribers: number;
  /** Set once all subscribers are counted. */
  minQuota: number;
  extra: number;
  next: number;
}

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Static members first (by instance id), then dynamic ones (by member id), as Kafka orders them. */
function memberOrder(a: AssignorMember, b: AssignorMember): number {
  if (a.instanceId !== null && b.instanceId !== null) {
    return byString(a.instanceId, b.instanceId) || byString(a.memberId, b.memberId);
  }
  if (a.instanceId !== null) return -1;
  if (b.instanceId !== null) return 1;
  return byString(a.memberId, b.memberId);
}

/** Whether `current` holds exactly the ranges [starts[i], ends[i]) of topics[i] (non-empty ranges only). */
function holdsExactly(current: Assignment, topics: TopicRanges[], starts: number[], ends: number[]): boolean {
  if (current.size !== topics.length) return false;
  for (let i = 0; i < topics.length; i++) {
    const s = current.get(topics[i].id);
    if (s === undefined || s.size !== ends[i] - starts[i]) return false;
    for (let p = starts[i]; p < ends[i]; p++) if (!s.has(p)) return false;
  }
  return true;
}

export class RangeAssignor implements ServerAssignor {
  readonly name = "range";

  assign(input: AssignorInput): Map<string, Assignment> {
    // Keyed by the input's keys (the member ids), in Kafka's order.
    const members = [...input.members].sort((a, b) => memberOrder(a[1], b[1]) || byString(a[0], b[0]));
    const topicIndex = new Map<TopicId, number>();
    const topics: TopicRanges[] = [];
    // Each distinct subscription Set resolved once to its existing topics' indices (the group may share Set
    // objects); typed arrays sized up front, so no growth garbage with thousands of topics.
    const resolved = new Map<ReadonlySet<TopicId>, Int32Array>();
    const subscribed = members.map(([, m]) => {
      let list = resolved.get(m.subscribedTopicIds);
      if (list === undefined) {
        const idx = new Int32Array(m.subscribedTopicIds.size);
        let k = 0;
        for (const id of m.subscribedTopicIds) {
          let i = topicIndex.get(id);
          if (i === undefined) {
            const info = input.topics.get(id);
            if (info === undefined) continue; // not an existing topic: nothing to assign
            topicIndex.set(id, i = topics.length);
            topics.push({
              id,
              partitions: Math.max(0, info.partitions | 0),
              subscribers: 0,
              minQuota: 0,
              extra: 0,
              next: 0,
            });
          }
          idx[k++] = i;
        }
        list = idx.subarray(0, k);
        resolved.set(m.subscribedTopicIds, list);
      }
      for (let i = 0; i < list.length; i++) topics[list[i]].subscribers++;
      return list;
    });
    for (const r of topics) {
      r.minQuota = Math.floor(r.partitions / r.subscribers);
      r.extra = r.partitions % r.subscribers;
    }

    const out = new Map<string, Assignment>();
    // One member's ranges, reused across members.
    const mine: TopicRanges[] = [];
    const starts: number[] = [];
    const ends: number[] = [];
    for (let k = 0; k < members.length; k++) {
      const [memberId, m] = members[k];
      const list = subscribed[k];
      mine.length = starts.length = ends.length = 0;
      for (let i = 0; i < list.length; i++) {
        const r = topics[list[i]];
        let quota = r.minQuota;
        if (r.extra > 0) {
          quota++;
          r.extra--;
        }
        const start = r.next;
        const end = Math.min(start + quota, r.partitions);
        r.next = end;
        if (start < end) {
          mine.push(r);
          starts.push(start);
          ends.push(end);
        }
      }
      if (holdsExactly(m.current, mine, starts, ends)) {
        out.set(memberId, m.current);
        continue;
      }
      const a = new Map<TopicId, Set<number>>();
      for (let i = 0; i < mine.length; i++) {
        const s = new Set<number>();
        for (let p = starts[i]; p < ends[i]; p++) s.add(p);
        a.set(mine[i].id, s);
      }
      out.set(memberId, a);
    }
    return out;
  }
}
