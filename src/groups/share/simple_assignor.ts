// Kafka's simple assignor for share groups (group.share.assignors = simple), pure: every partition of a
// subscribed topic goes to at least one member subscribed to it, and each member's load is balanced. With more
// members than partitions each member gets one partition and the partitions are shared by ⌊m/p⌋ or ⌈m/p⌉
// members; with fewer, each partition has one member and members get ⌊p/m⌋ or ⌈p/m⌉. Sticky: a member keeps
// what it had as far as the balance allows, so adding a consumer moves as few partitions as it can. Members that
// subscribe to the same topics (the usual case) are spread over all those partitions together; otherwise each
// topic is spread over its own subscribers.
import type { Assignment, TopicId, TopicInfo } from "../consumer/contract.ts";

export const SIMPLE_ASSIGNOR = "simple";

export interface ShareAssignorMember {
  readonly memberId: string;
  /** Existing topics the member subscribes to, by id. */
  readonly subscribedTopicIds: ReadonlySet<TopicId>;
  /** Its part of the previous target (empty for a new member). */
  readonly current: Assignment;
}

type Slot = readonly [TopicId, number];

/** The new target: an entry for every member (empty when it subscribes to nothing that exists). */
export function assignShare(
  members: readonly ShareAssignorMember[],
  topics: ReadonlyMap<TopicId, TopicInfo>,
): Map<string, Assignment> {
  const sorted = [...members].sort((a, b) => a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0);
  const out = new Map<string, Map<TopicId, Set<number>>>();
  for (const m of sorted) out.set(m.memberId, new Map());
  const groups = new Map<string, { topicIds: TopicId[]; members: ShareAssignorMember[] }>();
  const homogeneous = sorted.every((m) => sameSet(m.subscribedTopicIds, sorted[0].subscribedTopicIds));
  if (homogeneous && sorted.length > 0) {
    groups.set("all", { topicIds: [...sorted[0].subscribedTopicIds].sort(), members: sorted });
  } else {
    for (const m of sorted) {
      for (const t of m.subscribedTopicIds) {
        let g = groups.get(t);
        if (g === undefined) groups.set(t, g = { topicIds: [t], members: [] });
        g.members.push(m);
      }
    }
  }
  for (const g of groups.values()) {
    const slots: Slot[] = [];
    for (const t of g.topicIds) {
      const info = topics.get(t);
      if (info === undefined) continue;
      for (let p = 0; p < info.partitions; p++) slots.push([t, p]);
    }
    if (slots.length === 0) continue;
    const picks = g.members.length >= slots.length
      ? shareSlots(g.members, slots)
      : splitSlots(g.members, slots);
    for (const [memberId, mine] of picks) {
      const a = out.get(memberId)!;
      for (const [t, p] of mine) {
        let s = a.get(t);
        if (s === undefined) a.set(t, s = new Set());
        s.add(p);
      }
    }
  }
  return out;
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

function held(m: ShareAssignorMember, [t, p]: Slot): boolean {
  return m.current.get(t)?.has(p) ?? false;
}

/** Members ≥ slots: one slot per member, every slot taken by ⌊m/s⌋..⌈m/s⌉ members. */
function shareSlots(members: readonly ShareAssignorMember[], slots: readonly Slot[]): Map<string, Slot[]> {
  const cap = Math.ceil(members.length / slots.length);
  const count = new Array<number>(slots.length).fill(0);
  const mine = new Map<string, number>();
  // Sticky: a member keeps one slot it held while that slot is below the cap.
  for (const m of members) {
    const i = slots.findIndex((s, i) => count[i] < cap && held(m, s));
    if (i >= 0) {
      mine.set(m.memberId, i);
      count[i]++;
    }
  }
  // The rest take the least-shared slot (lowest index on ties).
  for (const m of members) {
    if (mine.has(m.memberId)) continue;
    const i = argMin(count);
    mine.set(m.memberId, i);
    count[i]++;
  }
  // Every slot has a member: move one from the most-shared slot to each empty one (stickiness may leave a gap).
  for (let empty = count.indexOf(0); empty >= 0; empty = count.indexOf(0)) {
    const from = argMax(count);
    const moved = [...mine].reverse().find(([, i]) => i === from)![0];
    mine.set(moved, empty);
    count[from]--;
    count[empty]++;
  }
  const out = new Map<string, Slot[]>();
  for (const [id, i] of mine) out.set(id, [slots[i]]);
  return out;
}

/** Members < slots: every slot to one member, members get ⌊s/m⌋..⌈s/m⌉ slots. */
function splitSlots(members: readonly ShareAssignorMember[], slots: readonly Slot[]): Map<string, Slot[]> {
  const floor = Math.floor(slots.length / members.length);
  let ceilings = slots.length % members.length; // how many members may hold floor + 1
  const out = new Map<string, Slot[]>(members.map((m) => [m.memberId, []]));
  const taken = new Array<boolean>(slots.length).fill(false);
  // Sticky: members keep what they held up to floor, then (while allowed) one more.
  for (const limit of [floor, floor + 1]) {
    for (const m of members) {
      const list = out.get(m.memberId)!;
      if (limit > floor && (ceilings === 0 || list.length !== floor)) continue;
      for (let i = 0; i < slots.length && list.length < limit; i++) {
        if (!taken[i] && held(m, slots[i])) {
          taken[i] = true;
          list.push(slots[i]);
        }
      }
      if (limit > floor && list.length === limit) ceilings--;
    }
  }
  // The rest go, in order, to the member with the fewest (first in member order on ties) below its limit.
  for (let i = 0; i < slots.length; i++) {
    if (taken[i]) continue;
    let best: Slot[] | null = null;
    for (const m of members) {
      const list = out.get(m.memberId)!;
      const limit = list.length < floor || ceilings > 0 ? floor + 1 : floor;
      if (list.length >= limit) continue;
      if (best === null || list.length < best.length) best = list;
    }
    if (best === null) break; // not reached: the limits add up to the slots
    if (best.length === floor) ceilings--;
    best.push(slots[i]);
    taken[i] = true;
  }
  return out;
}

function argMin(xs: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i] < xs[best]) best = i;
  return best;
}

function argMax(xs: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i] > xs[best]) best = i;
  return best;
}
