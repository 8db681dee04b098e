// The rebalance of a classic group, as Kafka's GroupCoordinator runs it: PreparingRebalance waits for every
// member to (re)join, bounded by the largest rebalance timeout (DelayedJoin) and, for a group starting from
// Empty, group.initial.rebalance.delay.ms (InitialDelayedJoin); members that did not rejoin in time are removed.
// Completing the join bumps the generation, votes the protocol and answers every JoinGroup (the leader gets the
// member list): CompletingRebalance. The leader's SyncGroup brings the assignment, which is stored before anyone
// is told (a restart cannot hand out a different one): Stable. A member leaving or timing out of a Stable or
// CompletingRebalance group starts a new rebalance; the last member leaving makes the group Empty.
import { ErrorCode } from "../../protocol/errors.ts";
import type { Logger } from "../../log.ts";
import { EMPTY, type Group, type JoinResult, type Member } from "./group.ts";
import type { Clock } from "../clock.ts";

export interface ClassicOptions {
  /** group.initial.rebalance.delay.ms */
  readonly initialRebalanceDelayMs: number;
  readonly minSessionTimeoutMs: number;
  readonly maxSessionTimeoutMs: number;
  /** group.max.size */
  readonly maxGroupSize: number;
  /** Time source (session deadlines, rebalance timers, the session sweep); the real clock when absent. */
  readonly clock?: Clock;
}

/** What the state machine needs from its owner (ClassicGroups): the groups, options, log and persistence. */
export interface ClassicEnv {
  readonly opts: ClassicOptions;
  readonly log: Logger;
  readonly clock: Clock;
  readonly groups: Map<string, Group>;
  /** Writes the group's metadata; the promise settles when it is durable. */
  save(group: Group): Promise<void>;
  /** Writes the group's metadata in the background (a failure is logged). */
  persist(group: Group): void;
  /** A rebalance completed (the group became Stable) after `ms` (metrics). */
  rebalanced(group: Group, ms: number): void;
}

export function joinError(memberId: string, errorCode: number): JoinResult {
  return {
    errorCode,
    generationId: -1,
    protocolType: null,
    protocolName: null,
    leader: "",
    memberId,
    skipAssignment: false,
    members: [],
  };
}

export function prepareRebalance(env: ClassicEnv, group: Group, reason: string): void {
  if (group.is("CompletingRebalance")) {
    // Assignments of the generation being completed are void: members must rejoin.
    for (const m of group.members.values()) {
      m.assignment = EMPTY;
      m.awaitingSync?.({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS, assignment: EMPTY });
      m.awaitingSync = null;
    }
  }
  const wasEmpty = group.is("Empty");
  group.transitionTo("PreparingRebalance");
  group.rebalanceStartedAt = env.clock.monotonic();
  env.log.info("preparing to rebalance group {group} in generation {gen}: {reason}", {
    group: group.groupId,
    gen: group.generationId,
    reason,
  });
  if (group.joinTimer !== null) group.joinTimer.cancel();
  const rebalanceTimeout = group.maxRebalanceTimeoutMs();
  if (wasEmpty && env.opts.initialRebalanceDelayMs > 0) {
    // InitialDelayedJoin: give the other members of a starting group a moment to arrive.
    const delay = Math.min(env.opts.initialRebalanceDelayMs, rebalanceTimeout);
    group.initialDelayUntil = env.clock.now() + delay;
    group.joinTimer = env.clock.setTimeout(() => {
      group.joinTimer = null;
      group.initialDelayUntil = 0;
      if (!group.is("PreparingRebalance")) return;
      if (group.allMembersJoined()) completeJoin(env, group);
      else {
        group.joinTimer = env.clock.setTimeout(
          () => forceCompleteJoin(env, group),
          Math.max(0, rebalanceTimeout - delay),
        );
      }
    }, delay);
    return;
  }
  group.initialDelayUntil = 0;
  group.joinTimer = env.clock.setTimeout(() => forceCompleteJoin(env, group), rebalanceTimeout);
  tryCompleteJoin(env, group);
}

export function tryCompleteJoin(env: ClassicEnv, group: Group): void {
  if (!group.is("PreparingRebalance")) return;
  if (group.initialDelayUntil > env.clock.now()) return; // the initial-delay timer completes it
  if (group.allMembersJoined()) completeJoin(env, group);
}

function forceCompleteJoin(env: ClassicEnv, group: Group): void {
  group.joinTimer = null;
  if (group.is("PreparingRebalance")) completeJoin(env, group);
}

function completeJoin(env: ClassicEnv, group: Group): void {
  if (group.joinTimer !== null) {
    group.joinTimer.cancel();
    group.joinTimer = null;
  }
  // Members that did not rejoin within the rebalance timeout are out, static ones included.
  for (const m of [...group.members.values()]) {
    if (m.awaitingJoin === null) {
      env.log.info("removing member {member} from group {group}: it did not rejoin in time", {
        member: m.memberId,
        group: group.groupId,
      });
      group.remove(m.memberId);
    }
  }
  group.pendingMembers.clear();
  group.generationId++;
  if (group.members.size === 0) {
    group.protocolName = null;
    group.subscribedTopics = null;
    group.transitionTo("Empty");
    env.log.info("group {group} is empty in generation {gen}", {
      group: group.groupId,
      gen: group.generationId,
    });
    env.persist(group);
    return;
  }
  group.protocolName = group.selectProtocol();
  group.refreshSubscribedTopics();
  group.transitionTo("CompletingRebalance");
  const now = env.clock.now();
  for (const m of group.members.values()) {
    const resolve = m.awaitingJoin!;
    m.awaitingJoin = null;
    m.isNew = false;
    m.heartbeatDeadline = now + m.sessionTimeoutMs;
    resolve(joinResponseFor(group, m));
  }
  env.log.info("group {group} generation {gen}: {n} members, protocol {protocol}, leader {leader}", {
    group: group.groupId,
    gen: group.generationId,
    n: group.members.size,
    protocol: group.protocolName,
    leader: group.leaderId,
  });
}

export function memberList(group: Group): JoinResult["members"] {
  return [...group.members.values()].map((x) => ({
    memberId: x.memberId,
    groupInstanceId: x.groupInstanceId,
    metadata: x.metadataFor(group.protocolName!),
  }));
}

export function joinResponseFor(group: Group, m: Member): JoinResult {
  const isLeader = group.isLeader(m.memberId);
  return {
    errorCode: ErrorCode.NONE,
    generationId: group.generationId,
    protocolType: group.protocolType,
    protocolName: group.protocolName,
    leader: group.leaderId ?? "",
    memberId: m.memberId,
    skipAssignment: false,
    members: isLeader ? memberList(group) : [],
  };
}

/** The leader's SyncGroup: store the assignment, then answer every waiting member and become Stable. */
export function completeSync(
  env: ClassicEnv,
  group: Group,
  assignments: readonly { memberId: string; assignment: Uint8Array }[],
): void {
  const byId = new Map(assignments.map((x) => [x.memberId, x.assignment.slice()]));
  for (const m of group.members.values()) m.assignment = byId.get(m.memberId) ?? EMPTY;
  const generation = group.generationId;
  // The assignment is stored before anyone is told, so a restart cannot hand out a different one.
  env.save(group).then(() => {
    if (!group.is("CompletingRebalance") || group.generationId !== generation) return;
    group.transitionTo("Stable");
    for (const m of group.members.values()) {
      const resolve = m.awaitingSync;
      m.awaitingSync = null;
      resolve?.({ errorCode: ErrorCode.NONE, assignment: m.assignment });
    }
    const now = env.clock.monotonic();
    env.rebalanced(group, now - group.rebalanceStartedAt);
    env.log.info(
      "group {group} stable in generation {gen} with {n} members: {afterJoin} ms after the last JoinGroup, {total} ms after the rebalance began",
      {
        group: group.groupId,
        gen: generation,
        n: group.members.size,
        afterJoin: (now - group.lastJoinAt).toFixed(2),
        total: (now - group.rebalanceStartedAt).toFixed(2),
      },
    );
  }, (e) => {
    env.log.error("storing group {group} failed: {reason}", { group: group.groupId, reason: String(e) });
    if (!group.is("CompletingRebalance") || group.generationId !== generation) return;
    for (const m of group.members.values()) {
      m.awaitingSync?.({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, assignment: EMPTY });
      m.awaitingSync = null;
    }
    prepareRebalance(env, group, "storing the assignment failed");
  });
}

/** A member leaves (LeaveGroup, session timeout): its waiting calls are answered and the group rebalances. */
export function removeMember(env: ClassicEnv, group: Group, memberId: string, why: string): void {
  const m = group.remove(memberId);
  if (!m) return;
  env.log.info("member {member} removed from group {group}: {why}", {
    member: memberId,
    group: group.groupId,
    why,
  });
  m.awaitingJoin?.(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
  m.awaitingJoin = null;
  m.awaitingSync?.({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID, assignment: EMPTY });
  m.awaitingSync = null;
  switch (group.state) {
    case "Stable":
    case "CompletingRebalance":
      prepareRebalance(env, group, `member ${memberId} ${why}`);
      break;
    case "PreparingRebalance":
      tryCompleteJoin(env, group);
      break;
  }
}
