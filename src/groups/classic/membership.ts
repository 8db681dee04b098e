// SyncGroup (v0-5), Heartbeat (v0-4), LeaveGroup (v0-5) and session expiry of the classic protocol.
// The member checks come in Kafka's order: unknown or Dead group, static-member fencing (FENCED_INSTANCE_ID, v3+
// SyncGroup and Heartbeat, v3+ LeaveGroup by group.instance.id), unknown member, generation
// (ILLEGAL_GENERATION), then the state: SyncGroup waits in CompletingRebalance for the leader's assignment, is
// answered REBALANCE_IN_PROGRESS while PreparingRebalance and gets the current assignment when Stable; SyncGroup
// v5 with a protocol type or name other than the group's gets INCONSISTENT_GROUP_PROTOCOL. Heartbeat answers
// REBALANCE_IN_PROGRESS while PreparingRebalance, which makes the member rejoin. LeaveGroup v3+ removes a batch
// (a per-member code; pending MEMBER_ID_REQUIRED ids just go). Session expiry, as Kafka's DelayedHeartbeat: a
// member is removed at its session deadline (the last heartbeat, accepted commit, or JoinGroup/SyncGroup answer
// plus its session timeout) unless it waits in JoinGroup or SyncGroup then; a new member (first join not yet
// complete) is removed at its new-member deadline even while waiting. A MEMBER_ID_REQUIRED id not used within
// its session timeout is forgotten.
import { ErrorCode } from "../../protocol/errors.ts";
import { EMPTY, type Group, type Member, type SyncResult } from "./group.ts";
import { type ClassicEnv, completeSync, removeMember, tryCompleteJoin } from "./rebalance.ts";

export interface SyncArgs {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly assignments: readonly { memberId: string; assignment: Uint8Array }[];
}

export interface LeaveResult {
  readonly errorCode: number;
  readonly members: { memberId: string; groupInstanceId: string | null; errorCode: number }[];
}

export function syncGroup(env: ClassicEnv, a: SyncArgs): Promise<SyncResult> {
  const fail = (errorCode: number) => Promise.resolve({ errorCode, assignment: EMPTY });
  const group = env.groups.get(a.groupId);
  if (!group || group.is("Dead")) return fail(ErrorCode.UNKNOWN_MEMBER_ID);
  if (group.isStaticMemberFenced(a.memberId, a.groupInstanceId)) return fail(ErrorCode.FENCED_INSTANCE_ID);
  const m = group.members.get(a.memberId);
  if (!m) return fail(ErrorCode.UNKNOWN_MEMBER_ID);
  if (a.generationId !== group.generationId) return fail(ErrorCode.ILLEGAL_GENERATION);
  if (
    (a.protocolType !== null && a.protocolType !== group.protocolType) ||
    (a.protocolName !== null && a.protocolName !== group.protocolName)
  ) {
    return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  }
  switch (group.state) {
    case "Empty":
      return fail(ErrorCode.UNKNOWN_MEMBER_ID);
    case "PreparingRebalance":
      return fail(ErrorCode.REBALANCE_IN_PROGRESS);
    case "Stable":
      synced(env, group, a.memberId);
      group.touch(m);
      return Promise.resolve({ errorCode: ErrorCode.NONE, assignment: m.assignment });
    case "CompletingRebalance": {
      // Waiting keeps the member alive; the answer restarts its session (rebalance.ts).
      const p = new Promise<SyncResult>((resolve) => {
        m.awaitingSync?.({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS, assignment: EMPTY });
        m.awaitingSync = resolve;
      });
      synced(env, group, a.memberId);
      if (group.isLeader(a.memberId)) completeSync(env, group, a.assignments);
      return p;
    }
    default:
      return fail(ErrorCode.UNKNOWN_MEMBER_ID);
  }
}

/** The member sent its SyncGroup: once every member has, the sync deadline is moot. */
function synced(env: ClassicEnv, group: Group, memberId: string): void {
  if (group.pendingSync.delete(memberId) && group.pendingSync.size === 0) {
    env.deadlines.cancel(group.syncDeadline);
  }
}

export function heartbeat(
  env: ClassicEnv,
  groupId: string,
  generationId: number,
  memberId: string,
  groupInstanceId: string | null,
): number {
  const group = env.groups.get(groupId);
  if (!group || group.is("Dead") || group.is("Empty")) return ErrorCode.UNKNOWN_MEMBER_ID;
  if (group.isStaticMemberFenced(memberId, groupInstanceId)) return ErrorCode.FENCED_INSTANCE_ID;
  const m = group.members.get(memberId);
  if (!m) return ErrorCode.UNKNOWN_MEMBER_ID;
  if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
  group.touch(m);
  return group.is("PreparingRebalance") ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE;
}

export function leaveGroup(
  env: ClassicEnv,
  groupId: string,
  members: readonly { memberId: string; groupInstanceId: string | null; reason: string | null }[],
): LeaveResult {
  const group = env.groups.get(groupId);
  if (!group || group.is("Dead")) {
    return {
      errorCode: ErrorCode.UNKNOWN_MEMBER_ID,
      members: members.map((m) => ({ ...m, errorCode: ErrorCode.UNKNOWN_MEMBER_ID })),
    };
  }
  const results = members.map((x) => {
    let memberId = x.memberId;
    if (x.groupInstanceId !== null) {
      const current = group.staticMemberId(x.groupInstanceId);
      if (current === undefined) return { ...x, errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
      if (memberId !== "" && memberId !== current) return { ...x, errorCode: ErrorCode.FENCED_INSTANCE_ID };
      memberId = current;
    }
    if (group.removePending(memberId)) {
      pendingGone(env, group);
      return { ...x, errorCode: ErrorCode.NONE };
    }
    if (!group.has(memberId)) return { ...x, errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
    removeMember(env, group, memberId, `left the group${x.reason ? `: ${x.reason}` : ""}`);
    return { ...x, errorCode: ErrorCode.NONE };
  });
  return { errorCode: ErrorCode.NONE, members: results };
}

/**
 * A member's session deadline passed. A member waiting in JoinGroup or SyncGroup is alive (Kafka's
 * hasSatisfiedHeartbeat), unless it is new (its first join has not completed: the new-member timeout applies); it
 * gets another session, and the answer it waits for restarts the session anyway.
 */
export function sessionExpired(env: ClassicEnv, group: Group, m: Member): void {
  if (group.is("Dead") || group.members.get(m.memberId) !== m) return;
  if (!m.isNew && (m.awaitingJoin !== null || m.awaitingSync !== null)) {
    group.touch(m);
    return;
  }
  const why = m.isNew
    ? "its join did not complete within the new-member timeout"
    : `session timeout of ${m.sessionTimeoutMs} ms expired`;
  removeMember(env, group, m.memberId, why);
}

/** A MEMBER_ID_REQUIRED id was not used within its session timeout: it is forgotten. */
export function pendingExpired(env: ClassicEnv, group: Group, memberId: string): void {
  if (group.is("Dead") || !group.removePending(memberId)) return;
  env.log.info("pending member {member} of group {group} did not join within its session timeout", {
    member: memberId,
    group: group.groupId,
  });
  pendingGone(env, group);
}

/** A pending id went: the join may now be complete, and a group that held only that id leaves no trace. */
function pendingGone(env: ClassicEnv, group: Group): void {
  if (group.is("PreparingRebalance")) tryCompleteJoin(env, group);
  env.forgetIfUnused(group);
}
