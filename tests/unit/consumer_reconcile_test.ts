// One member's reconciliation (Kafka's CurrentAssignmentBuilder): revoke before assign, epochs, unreleased
// partitions, and the heartbeat's epoch fencing rule.
import { assert, assertEquals } from "./assert.ts";
import type {
  Assignment,
  MemberAssignmentState,
  MemberState,
  ReconcileInput,
} from "../../src/groups/consumer/contract.ts";
import { EMPTY_ASSIGNMENT, toRows } from "../../src/groups/consumer/assignment.ts";
import { isValidEpoch, reconcile } from "../../src/groups/consumer/reconcile.ts";

const T1 = "00000000000000000000000000000001";
const T2 = "00000000000000000000000000000002";

function a(spec: Record<string, number[]>): Assignment {
  const m = new Map<string, Set<number>>();
  for (const [t, ps] of Object.entries(spec)) if (ps.length > 0) m.set(t, new Set(ps));
  return m;
}

function member(
  state: MemberState,
  memberEpoch: number,
  assigned: Assignment,
  pendingRevocation: Assignment = EMPTY_ASSIGNMENT,
  previousMemberEpoch = memberEpoch - 1,
): MemberAssignmentState {
  return { state, memberEpoch, previousMemberEpoch, assigned, pendingRevocation };
}

/** Owners: partitions of other members, with their epochs; the member's own answer its epoch. */
function input(
  m: MemberAssignmentState,
  targetEpoch: number,
  target: Assignment,
  owned: Assignment | null,
  others: Array<[string, number, number]> = [],
): ReconcileInput {
  return {
    member: m,
    targetEpoch,
    target,
    owned,
    ownerEpoch: (t, p) => {
      if (m.assigned.get(t)?.has(p) || m.pendingRevocation.get(t)?.has(p)) return m.memberEpoch;
      const o = others.find(([ot, op]) => ot === t && op === p);
      return o === undefined ? -1 : o[2];
    },
  };
}

function view(s: MemberAssignmentState) {
  return {
    state: s.state,
    memberEpoch: s.memberEpoch,
    assigned: toRows(s.assigned),
    pendingRevocation: toRows(s.pendingRevocation),
  };
}

Deno.test("stable at the target epoch: unchanged", () => {
  const m = member("STABLE", 10, a({ [T1]: [0, 1] }));
  assertEquals(reconcile(input(m, 10, a({ [T1]: [0, 1, 2] }), null)), m);
});

Deno.test("a new member takes free partitions and the target epoch at once", () => {
  const m = member("STABLE", 0, EMPTY_ASSIGNMENT, EMPTY_ASSIGNMENT, 0);
  const s = reconcile(input(m, 3, a({ [T1]: [0, 1], [T2]: [4] }), a({})));
  assertEquals(view(s), {
    state: "STABLE",
    memberEpoch: 3,
    assigned: toRows(a({ [T1]: [0, 1], [T2]: [4] })),
    pendingRevocation: [],
  });
  assertEquals(s.previousMemberEpoch, 0);
});

Deno.test("revoke before assign: the epoch stays until the member stops reporting the revoked partitions", () => {
  const m = member("STABLE", 10, a({ [T1]: [0, 1, 2] }));
  const target = a({ [T1]: [0, 3] });
  // Partition 3 is free, but 1 and 2 must go first: nothing is added, the epoch stays 10.
  const s1 = reconcile(input(m, 11, target, a({ [T1]: [0, 1, 2] })));
  assertEquals(view(s1), {
    state: "UNREVOKED_PARTITIONS",
    memberEpoch: 10,
    assigned: toRows(a({ [T1]: [0] })),
    pendingRevocation: toRows(a({ [T1]: [1, 2] })),
  });
  // Still reporting one of them, or reporting nothing (unchanged): wait.
  assertEquals(reconcile(input(s1, 11, target, a({ [T1]: [0, 2] }))), s1);
  assertEquals(reconcile(input(s1, 11, target, null)), s1);
  // Revoked: the member moves on to the target epoch and gets partition 3.
  const s2 = reconcile(input(s1, 11, target, a({ [T1]: [0] })));
  assertEquals(view(s2), {
    state: "STABLE",
    memberEpoch: 11,
    assigned: toRows(a({ [T1]: [0, 3] })),
    pendingRevocation: [],
  });
});

Deno.test("partitions the member no longer reports need no revocation round", () => {
  const m = member("STABLE", 10, a({ [T1]: [0, 1] }));
  const s = reconcile(input(m, 11, a({ [T1]: [0, 2] }), a({ [T1]: [0] })));
  assertEquals(view(s), {
    state: "STABLE",
    memberEpoch: 11,
    assigned: toRows(a({ [T1]: [0, 2] })),
    pendingRevocation: [],
  });
});

Deno.test("a partition still owned by another member is withheld until released", () => {
  const m = member("STABLE", 10, a({ [T1]: [0] }));
  const target = a({ [T1]: [0, 1, 2] });
  // 1 is still owned by another member (epoch 10); 2 is free.
  const s1 = reconcile(input(m, 11, target, a({ [T1]: [0] }), [[T1, 1, 10]]));
  assertEquals(view(s1), {
    state: "UNRELEASED_PARTITIONS",
    memberEpoch: 11,
    assigned: toRows(a({ [T1]: [0, 2] })),
    pendingRevocation: [],
  });
  // Still owned: no change in what it holds.
  const s2 = reconcile(input(s1, 11, target, a({ [T1]: [0, 2] }), [[T1, 1, 10]]));
  assertEquals(view(s2), view(s1));
  // Released: it gets it and becomes stable at the same epoch.
  const s3 = reconcile(input(s2, 11, target, a({ [T1]: [0, 2] })));
  assertEquals(view(s3), {
    state: "STABLE",
    memberEpoch: 11,
    assigned: toRows(a({ [T1]: [0, 1, 2] })),
    pendingRevocation: [],
  });
});

Deno.test("only unreleased partitions, nothing else to do: target epoch, UNRELEASED_PARTITIONS", () => {
  const m = member("STABLE", 4, a({ [T1]: [0] }));
  const s = reconcile(input(m, 5, a({ [T1]: [0, 1] }), a({ [T1]: [0] }), [[T1, 1, 4]]));
  assertEquals(view(s), {
    state: "UNRELEASED_PARTITIONS",
    memberEpoch: 5,
    assigned: toRows(a({ [T1]: [0] })),
    pendingRevocation: [],
  });
});

Deno.test("a newer target while revoking: the member reconciles towards it after revoking", () => {
  const m = member("STABLE", 10, a({ [T1]: [0, 1], [T2]: [0] }));
  const s1 = reconcile(input(m, 11, a({ [T1]: [0] }), a({ [T1]: [0, 1], [T2]: [0] })));
  assertEquals(s1.state, "UNREVOKED_PARTITIONS");
  assertEquals(toRows(s1.pendingRevocation), toRows(a({ [T1]: [1], [T2]: [0] })));
  // The target moved on (epoch 12) and now takes partition 0 too; revoked 1 and T2-0 confirmed.
  const s2 = reconcile(input(s1, 12, a({ [T1]: [2] }), a({ [T1]: [0] })));
  assertEquals(view(s2), {
    state: "UNREVOKED_PARTITIONS",
    memberEpoch: 11,
    assigned: [],
    pendingRevocation: toRows(a({ [T1]: [0] })),
  });
  const s3 = reconcile(input(s2, 12, a({ [T1]: [2] }), a({})));
  assertEquals(view(s3), {
    state: "STABLE",
    memberEpoch: 12,
    assigned: toRows(a({ [T1]: [2] })),
    pendingRevocation: [],
  });
});

Deno.test("never two owners: a 2-member handover through reconcile only", () => {
  // A owns 0..3; the target moves 2,3 to B. B must not hold 2 or 3 while A still does.
  let A = member("STABLE", 1, a({ [T1]: [0, 1, 2, 3] }));
  let B = member("STABLE", 0, EMPTY_ASSIGNMENT, EMPTY_ASSIGNMENT, 0);
  const tA = a({ [T1]: [0, 1] }), tB = a({ [T1]: [2, 3] });
  const ownerOf = (x: MemberAssignmentState) => (t: string, p: number) =>
    x.assigned.get(t)?.has(p) || x.pendingRevocation.get(t)?.has(p) ? x.memberEpoch : -1;
  const step = (
    self: MemberAssignmentState,
    other: MemberAssignmentState,
    target: Assignment,
    owned: Assignment,
  ) =>
    reconcile({
      member: self,
      targetEpoch: 2,
      target,
      owned,
      ownerEpoch: (t, p) => ownerOf(self)(t, p) !== -1 ? self.memberEpoch : ownerOf(other)(t, p),
    });
  B = step(B, A, tB, a({}));
  assertEquals(B.state, "UNRELEASED_PARTITIONS");
  assertEquals(B.assigned.size, 0);
  A = step(A, B, tA, A.assigned);
  assertEquals(A.state, "UNREVOKED_PARTITIONS");
  B = step(B, A, tB, a({}));
  assertEquals(B.assigned.size, 0);
  A = step(A, B, tA, a({ [T1]: [0, 1] }));
  assertEquals(view(A).state, "STABLE");
  assertEquals(A.memberEpoch, 2);
  B = step(B, A, tB, a({}));
  assertEquals(view(B), {
    state: "STABLE",
    memberEpoch: 2,
    assigned: toRows(tB),
    pendingRevocation: [],
  });
});

Deno.test("isValidEpoch: the current epoch, or the previous one when what it owns is within its assignment", () => {
  const m = { memberEpoch: 11, previousMemberEpoch: 10, assigned: a({ [T1]: [0, 1] }) };
  assert(isValidEpoch(m, 11, null));
  assert(isValidEpoch(m, 11, a({ [T1]: [5] })));
  assert(isValidEpoch(m, 10, a({ [T1]: [0] })));
  assert(isValidEpoch(m, 10, a({})));
  assert(!isValidEpoch(m, 10, null), "previous epoch needs the owned partitions");
  assert(!isValidEpoch(m, 10, a({ [T1]: [0, 2] })));
  assert(!isValidEpoch(m, 10, a({ [T2]: [0] })));
  assert(!isValidEpoch(m, 12, a({})), "a greater epoch is fenced");
  assert(!isValidEpoch(m, 9, a({})), "an older epoch is fenced");
});
