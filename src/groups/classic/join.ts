// JoinGroup (v0-9) of the classic protocol. Checks in Kafka's order: empty group id (INVALID_GROUP_ID), session
// timeout outside group.min/max.session.timeout.ms (INVALID_SESSION_TIMEOUT), no protocol type or protocols
// (INCONSISTENT_GROUP_PROTOCOL), a member id for a group that does not exist (UNKNOWN_MEMBER_ID), a Dead group
// (COORDINATOR_NOT_AVAILABLE), group.max.size (GROUP_MAX_SIZE_REACHED, unless a static member replaces itself),
// protocols that cannot coexist with the group's (INCONSISTENT_GROUP_PROTOCOL).
// A member without id gets one; from v4 it is first answered MEMBER_ID_REQUIRED with that id (KIP-394) and joins
// when it comes back with it. A static member (group.instance.id, v5+) that comes back with a new id takes over
// its old slot and fences the old id (FENCED_INSTANCE_ID); with the same subscription a Stable group does not
// rebalance and the member resumes its assignment (v9 SkipAssignment tells a returning leader not to reassign).
// A known member's JoinGroup joins the current rebalance or starts one; in CompletingRebalance or Stable the
// same subscription from a follower is answered again without a rebalance (a lost response).
import { ErrorCode } from "../../protocol/errors.ts";
import { EMPTY, Group, type JoinResult, Member, type Protocol } from "./group.ts";
import {
  type ClassicEnv,
  joinError,
  joinResponseFor,
  memberList,
  prepareRebalance,
  tryCompleteJoin,
} from "./rebalance.ts";

export interface JoinArgs {
  readonly groupId: string;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly protocolType: string;
  readonly protocols: readonly Protocol[];
  /** JoinGroup v4+: a member without id first gets MEMBER_ID_REQUIRED and its id. */
  readonly requireKnownMemberId: boolean;
  readonly reason: string | null;
}

/** Kafka's new-member join timeout: a member that joined but whose first rebalance has not completed. */
const NEW_MEMBER_JOIN_TIMEOUT_MS = 300_000;

export function joinGroup(env: ClassicEnv, a: JoinArgs): Promise<JoinResult> {
  if (a.groupId === "") return Promise.resolve(joinError(a.memberId, ErrorCode.INVALID_GROUP_ID));
  if (
    a.sessionTimeoutMs < env.opts.minSessionTimeoutMs || a.sessionTimeoutMs > env.opts.maxSessionTimeoutMs
  ) {
    return Promise.resolve(joinError(a.memberId, ErrorCode.INVALID_SESSION_TIMEOUT));
  }
  if (a.protocolType === "" || a.protocols.length === 0) {
    return Promise.resolve(joinError(a.memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
  }
  // Request bytes are views into network buffers: keep copies, not the buffers, for the group's lifetime.
  a = { ...a, protocols: a.protocols.map((p) => ({ name: p.name, metadata: p.metadata.slice() })) };
  let group = env.groups.get(a.groupId);
  const unknownMember = a.memberId === "";
  if (group) group.lastJoinAt = env.clock.monotonic();
  if (!group) {
    if (!unknownMember) return Promise.resolve(joinError(a.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    group = new Group(a.groupId, env);
    group.lastJoinAt = env.clock.monotonic();
    env.groups.set(a.groupId, group);
  }
  if (group.is("Dead")) return Promise.resolve(joinError(a.memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
  const isKnown = group.has(a.memberId) || group.isPending(a.memberId);
  if (!isKnown && group.members.size + group.pendingCount >= env.opts.maxGroupSize) {
    const replacing = a.groupInstanceId !== null && group.staticMembers.has(a.groupInstanceId);
    if (!replacing) return Promise.resolve(joinError(a.memberId, ErrorCode.GROUP_MAX_SIZE_REACHED));
  }
  if (!group.supportsProtocols(a.protocolType, a.protocols.map((p) => p.name))) {
    return Promise.resolve(joinError(a.memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
  }
  return unknownMember ? joinUnknown(env, group, a) : joinKnown(env, group, a);
}

function newMemberId(clientId: string): string {
  return `${clientId}-${crypto.randomUUID()}`;
}

function joinUnknown(env: ClassicEnv, group: Group, a: JoinArgs): Promise<JoinResult> {
  const memberId = newMemberId(a.clientId);
  if (a.groupInstanceId !== null) {
    const oldId = group.staticMemberId(a.groupInstanceId);
    if (oldId !== undefined) return rejoinStatic(env, group, a, oldId, memberId);
    return addMemberAndRebalance(env, group, a, memberId);
  }
  if (a.requireKnownMemberId) {
    // KIP-394: hand out the id first, so a client that retries after a lost response is not a new member.
    group.addPending(memberId, a.sessionTimeoutMs);
    return Promise.resolve(joinError(memberId, ErrorCode.MEMBER_ID_REQUIRED));
  }
  return addMemberAndRebalance(env, group, a, memberId);
}

/** A static member came back with a new member id: it takes over the old slot (fencing the old id). */
function rejoinStatic(
  env: ClassicEnv,
  group: Group,
  a: JoinArgs,
  oldId: string,
  newId: string,
): Promise<JoinResult> {
  const old = group.members.get(oldId)!;
  // A member still waiting under the old id is fenced.
  old.awaitingJoin?.(joinError(oldId, ErrorCode.FENCED_INSTANCE_ID));
  old.awaitingJoin = null;
  old.awaitingSync?.({ errorCode: ErrorCode.FENCED_INSTANCE_ID, assignment: EMPTY });
  old.awaitingSync = null;
  const m = group.replaceStaticMember(a.groupInstanceId!, oldId, newId);
  m.clientId = a.clientId;
  m.clientHost = a.clientHost;
  m.sessionTimeoutMs = a.sessionTimeoutMs;
  m.rebalanceTimeoutMs = a.rebalanceTimeoutMs;
  group.touch(m);
  env.log.info("static member {instance} of group {group} rejoined as {member}", {
    instance: a.groupInstanceId,
    group: group.groupId,
    member: newId,
  });
  if (group.is("Stable") && group.protocolName !== null && m.matches(a.protocols)) {
    // Same subscription: no rebalance; the member resumes with its assignment (returned by SyncGroup).
    env.persist(group);
    const isLeader = group.isLeader(newId);
    return Promise.resolve({
      errorCode: ErrorCode.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? "",
      memberId: newId,
      skipAssignment: isLeader,
      members: isLeader ? memberList(group) : [],
    });
  }
  m.protocols = a.protocols;
  return updateMemberAndRebalance(env, group, m, a);
}

function joinKnown(env: ClassicEnv, group: Group, a: JoinArgs): Promise<JoinResult> {
  if (group.isStaticMemberFenced(a.memberId, a.groupInstanceId)) {
    return Promise.resolve(joinError(a.memberId, ErrorCode.FENCED_INSTANCE_ID));
  }
  if (group.removePending(a.memberId)) {
    return addMemberAndRebalance(env, group, a, a.memberId);
  }
  const m = group.members.get(a.memberId);
  if (!m) return Promise.resolve(joinError(a.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
  m.clientId = a.clientId;
  m.clientHost = a.clientHost;
  m.sessionTimeoutMs = a.sessionTimeoutMs;
  m.rebalanceTimeoutMs = a.rebalanceTimeoutMs;
  switch (group.state) {
    case "PreparingRebalance":
      return updateMemberAndRebalance(env, group, m, a);
    case "CompletingRebalance":
      if (m.matches(a.protocols)) {
        // The member lost the JoinGroup response: give it again.
        return Promise.resolve(joinResponseFor(group, m));
      }
      return updateMemberAndRebalance(env, group, m, a);
    case "Stable":
      if (group.isLeader(m.memberId) || !m.matches(a.protocols)) {
        return updateMemberAndRebalance(env, group, m, a);
      }
      return Promise.resolve(joinResponseFor(group, m));
    default:
      return Promise.resolve(joinError(a.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
  }
}

function addMemberAndRebalance(
  env: ClassicEnv,
  group: Group,
  a: JoinArgs,
  memberId: string,
): Promise<JoinResult> {
  const m = new Member(
    memberId,
    a.groupInstanceId,
    a.clientId,
    a.clientHost,
    a.rebalanceTimeoutMs,
    a.sessionTimeoutMs,
    a.protocolType,
    a.protocols,
  );
  m.isNew = true;
  // Until its first join completes, the new-member timeout bounds it (it cannot heartbeat yet).
  group.add(m, NEW_MEMBER_JOIN_TIMEOUT_MS);
  const p = new Promise<JoinResult>((resolve) => m.awaitingJoin = resolve);
  env.log.debug("member {member} joins group {group} ({state})", {
    member: memberId,
    group: group.groupId,
    state: group.state,
  });
  if (group.is("PreparingRebalance")) tryCompleteJoin(env, group);
  else prepareRebalance(env, group, `member ${memberId} joined`);
  return p;
}

function updateMemberAndRebalance(
  env: ClassicEnv,
  group: Group,
  m: Member,
  a: JoinArgs,
): Promise<JoinResult> {
  m.protocols = a.protocols;
  const p = new Promise<JoinResult>((resolve) => {
    // A second JoinGroup from the same member replaces the first; the first is answered so it does not hang.
    m.awaitingJoin?.(joinError(m.memberId, ErrorCode.REBALANCE_IN_PROGRESS));
    m.awaitingJoin = resolve;
  });
  if (group.is("PreparingRebalance")) tryCompleteJoin(env, group);
  else prepareRebalance(env, group, `member ${m.memberId} rejoined${a.reason ? `: ${a.reason}` : ""}`);
  return p;
}
