// SyncGroup (v0-5), Heartbeat (v0-4), LeaveGroup (v0-5) and session expiry of the classic protocol.
// The member checks come in Kafka's order: unknown or Dead group, static-member fencing (FENCED_INSTANCE_ID, v3+
// SyncGroup and Heartbeat, v3+ LeaveGroup by group.instance.id), unknown member, generation
// (ILLEGAL_GENERATION), then the state: SyncGroup waits in CompletingRebalance for the leader's assignment, is
// answered REBALANCE_IN_PROGRESS while PreparingRebalance and gets the current assignment when Stable; SyncGroup
// v5 with a protocol type or name other than the group's gets INCONSISTENT_GROUP_PROTOCOL. Heartbeat answers
// REBALANCE_IN_PROGRESS while PreparingRebalance, which makes the member rejoin. LeaveGroup v3+ removes a batch
// (a per-member code; pending MEMBER_ID_REQUIRED ids just go). A member that neither heartbeats nor waits in
// JoinGroup/SyncGroup within its session timeout is removed, as Kafka's DelayedHeartbeat.
import { ErrorCode } from "../../protocol/errors.ts";
import { EMPTY, type SyncResult } from "./group.ts";
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
      m.heartbeatDeadline = env.clock.now() + m.sessionTimeoutMs;
      return Promise.resolve({ errorCode: ErrorCode.NONE, assignment: m.assignment });
    case "CompletingRebalance": {
      const p = new Promise<SyncResult>((resolve) => {
        m.awaitingSync?.({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS, assignment: EMPTY });
        m.awaitingSync = resolve;
      });
      m.heartbeatDeadline = env.clock.now() + m.sessionTimeoutMs;
      if (group.isLeader(a.memberId)) completeSync(env, group, a.assignments);
      return p;
    }
    default:
      return fail(ErrorCode.UNKNOWN_MEMBER_ID);
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
  m.heartbeatDeadline = env.clock.now() + m.sessionTimeoutMs;
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
    if (group.pendingMembers.delete(memberId)) return { ...x, errorCode: ErrorCode.NONE };
    if (!group.has(memberId)) return { ...x, errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
    removeMember(env, group, memberId, `left the group${x.reason ? `: ${x.reason}` : ""}`);
    return { ...x, errorCode: ErrorCode.NONE };
  });
  return { errorCode: ErrorCode.NONE, members: results };
}

/**
 * Session-timeout expiry, swept periodically. Waiting members are kept alive, as Kafka does. A group that never
 * completed a generation and holds no offsets leaves no trace.
 */
export function expireMembers(env: ClassicEnv, hasOffsets: (groupId: string) => boolean): void {
  const now = env.clock.now();
  for (const group of env.groups.values()) {
    for (const [id, deadline] of group.pendingMembers) {
      if (deadline <= now) {
        group.pendingMembers.delete(id);
        if (group.is("PreparingRebalance")) tryCompleteJoin(env, group);
      }
    }
    for (const m of [...group.members.values()]) {
      if (m.awaitingJoin !== null || m.awaitingSync !== null) continue;
      if (m.heartbeatDeadline <= now) {
        removeMember(env, group, m.memberId, `session timeout of ${m.sessionTimeoutMs} ms expired`);
      }
    }
    if (
      group.is("Empty") && group.members.size === 0 && group.pendingMembers.size === 0 &&
      group.generationId === 0 && !hasOffsets(group.groupId)
    ) {
      env.groups.delete(group.groupId);
    }
  }
}
