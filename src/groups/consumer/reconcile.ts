// One member's reconciliation towards its target assignment (Kafka's CurrentAssignmentBuilder): the member first
// gives up what the target takes from it (UNREVOKED_PARTITIONS, same epoch, until its heartbeat no longer reports
// them), then takes the target's partitions that are free, and waits (UNRELEASED_PARTITIONS) for those another
// member still owns. Its epoch moves to the target epoch only once nothing is left to revoke, so a partition is
// never owned by two members at once. Pure: the group applies the result.
import type { Assignment, MemberAssignmentState, ReconcileInput, TopicId } from "./contract.ts";
import { EMPTY_ASSIGNMENT } from "./assignment.ts";

export function reconcile(input: ReconcileInput): MemberAssignmentState {
  const m = input.member;
  switch (m.state) {
    case "STABLE":
      return m.memberEpoch !== input.targetEpoch ? next(input, m.memberEpoch) : m;
    case "UNREVOKED_PARTITIONS":
      // Still reported (or nothing reported): wait. Once revoked, the member moves one epoch on and reconciles.
      if (ownsAny(input.owned, m.pendingRevocation)) return m;
      return next(input, m.memberEpoch + 1);
    case "UNRELEASED_PARTITIONS":
      return next(input, m.memberEpoch);
    case "UNKNOWN":
      return next(input, input.targetEpoch);
  }
}

/**
 * Whether a heartbeat's epoch is acceptable for the member: its current epoch, or its previous one when what it
 * reports owning is within what it is assigned (its response to the epoch bump was lost). Otherwise the member is
 * fenced (FENCED_MEMBER_EPOCH).
 */
export function isValidEpoch(
  member: {
    readonly memberEpoch: number;
    readonly previousMemberEpoch: number;
    readonly assigned: Assignment;
  },
  requestEpoch: number,
  owned: Assignment | null,
): boolean {
  if (requestEpoch === member.memberEpoch) return true;
  if (requestEpoch !== member.previousMemberEpoch || owned === null) return false;
  for (const [t, parts] of owned) {
    const mine = member.assigned.get(t);
    for (const p of parts) if (mine === undefined || !mine.has(p)) return false;
  }
  return true;
}

/** Whether the reported partitions include one of `pending`; nothing reported counts as still owning them. */
function ownsAny(owned: Assignment | null, pending: Assignment): boolean {
  if (owned === null) return true;
  for (const [t, parts] of owned) {
    const p = pending.get(t);
    if (p === undefined) continue;
    for (const x of parts) if (p.has(x)) return true;
  }
  return false;
}

function next(input: ReconcileInput, epoch: number): MemberAssignmentState {
  const m = input.member;
  const target = input.target;
  const kept = new Map<TopicId, Set<number>>();
  const revoking = new Map<TopicId, Set<number>>();
  const adding = new Map<TopicId, Set<number>>();
  let unreleased = false;
  for (const [t, cur] of m.assigned) {
    const want = target.get(t);
    for (const p of cur) {
      if (want !== undefined && want.has(p)) add(kept, t, p);
      else add(revoking, t, p);
    }
  }
  for (const [t, want] of target) {
    const cur = m.assigned.get(t);
    for (const p of want) {
      if (cur !== undefined && cur.has(p)) continue;
      // Owned by anyone (even this member's own pending revocation): withheld until released.
      if (input.ownerEpoch(t, p) !== -1) unreleased = true;
      else add(adding, t, p);
    }
  }
  // As Kafka's updateMemberEpoch: the previous epoch becomes the current one on every step, moved or not.
  const withEpoch = (e: number) => ({ memberEpoch: e, previousMemberEpoch: m.memberEpoch });
  if (revoking.size > 0 && ownsAny(input.owned, revoking)) {
    return {
      state: "UNREVOKED_PARTITIONS",
      ...withEpoch(epoch),
      assigned: kept,
      pendingRevocation: revoking,
    };
  }
  for (const [t, s] of adding) for (const p of s) add(kept, t, p);
  return {
    state: unreleased ? "UNRELEASED_PARTITIONS" : "STABLE",
    ...withEpoch(input.targetEpoch),
    assigned: kept,
    pendingRevocation: EMPTY_ASSIGNMENT,
  };
}

function add(a: Map<TopicId, Set<number>>, t: TopicId, p: number): void {
  let s = a.get(t);
  if (s === undefined) a.set(t, s = new Set());
  s.add(p);
}
