// The rebalance of a classic group, as Kafka's GroupCoordinator runs it: PreparingRebalance waits for every
// member to (re)join, bounded by the largest rebalance timeout (DelayedJoin) and, for a group starting from
// Empty, group.initial.rebalance.delay.ms (InitialDelayedJoin); members that did not rejoin in time are removed.
// Completing the join bumps the generation, votes the protocol and answers every JoinGroup (the leader gets the
// member list): CompletingRebalance. The leader's SyncGroup brings the assignment, which is stored before anyone
// is told (a restart cannot hand out a different one): Stable. Members that got their JoinGroup answer but send
// no SyncGroup within the rebalance timeout are removed and the group rebalances (Kafka's DelayedSync). A member
// leaving or timing out of a Stable or CompletingRebalance group starts a new rebalance; the last member leaving
// makes the group Empty. Every JoinGroup or SyncGroup answer restarts the member's session, as Kafka does.
import { ErrorCode } from "../../protocol/errors.ts";
import type { Logger } from "../../log.ts";
import { EMPTY, type Group, type GroupTimers, type JoinResult, type Member } from "./group.ts";
import type { Clock } from "../clock.ts";

export interface ClassicOptions {
  /** group.initial.rebalance.delay.ms */
  readonly initialRebalanceDelayMs: number;
  readonly minSessionTimeoutMs: number;
  readonly maxSessionTimeoutMs: number;
  /** group.max.size */
  readonly maxGroupSize: number;
  /** Time source (session, join and sync deadlines); the real clock when absent. */
  readonly clock?: Clock;
}

/**
 * What the state machine needs from its owner (ClassicGroups): the groups, options, log, deadlines and
 * persistence.
 */
export interface ClassicEnv extends GroupTimers {
  readonly opts: ClassicOptions;
  readonly log: Logger;
  readonly clock: Clock;
  readonly groups: Map<string, Group>;
  /** Forgets a group that holds nothing: Empty, never had a generation, no pending ids, no committed offsets. */
  forgetIfUnused(group: Group): void;
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
      answerSync(group, m, ErrorCode.REBALANCE_IN_PROGRESS);
    }
  }
  // The sync deadline belongs to the generation given up.
  group.pendingSync.clear();
  env.deadlines.cancel(group.syncDeadline);
  const wasEmpty = group.is("Empty");
  group.transitionTo("PreparingRebalance");
  group.rebalanceStartedAt = env.clock.monotonic();
  env.log.info("preparing to rebalance group {group} in generation {gen}: {reason}", {
    group: group.groupId,
    gen: group.generationId,
    reason,
  });
  const rebalanceTimeout = group.maxRebalanceTimeoutMs();
  if (wasEmpty && env.opts.initialRebalanceDelayMs > 0) {
    // InitialDelayedJoin: give the other members of a starting group a moment to arrive.
    const delay = Math.min(env.opts.initialRebalanceDelayMs, rebalanceTimeout);
    group.inInitialDelay = true;
    env.deadlines.after(group.joinDeadline, delay, () => {
      group.inInitialDelay = false;
      if (!group.is("PreparingRebalance")) return;
      if (group.allMembersJoined()) completeJoin(env, group);
      else {
        env.deadlines.after(
          group.joinDeadline,
          Math.max(0, rebalanceTimeout - delay),
          () => forceCompleteJoin(env, group),
        );
      }
    });
    return;
  }
  group.inInitialDelay = false;
  env.deadlines.after(group.joinDeadline, rebalanceTimeout, () => forceCompleteJoin(env, group));
  tryCompleteJoin(env, group);
}

export function tryCompleteJoin(env: ClassicEnv, group: Group): void {
  if (!group.is("PreparingRebalance")) return;
  if (group.inInitialDelay) return; // the initial-delay deadline completes it
  if (group.allMembersJoined()) completeJoin(env, group);
}

function forceCompleteJoin(env: ClassicEnv, group: Group): void {
  if (group.is("PreparingRebalance")) completeJoin(env, group);
}

function completeJoin(env: ClassicEnv, group: Group): void {
  env.deadlines.cancel(group.joinDeadline);
  group.inInitialDelay = false;
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
  group.clearPending();
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
  for (const m of group.members.values()) {
    const resolve = m.awaitingJoin!;
    m.awaitingJoin = null;
    m.isNew = false;
    group.touch(m);
    group.pendingSync.add(m.memberId);
    resolve(joinResponseFor(group, m));
  }
  const generation = group.generationId;
  env.deadlines.after(
    group.syncDeadline,
    group.maxRebalanceTimeoutMs(),
    () => syncExpired(env, group, generation),
  );
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
    for (const m of group.members.values()) answerSync(group, m, ErrorCode.NONE);
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
    for (const m of group.members.values()) answerSync(group, m, ErrorCode.COORDINATOR_NOT_AVAILABLE);
    prepareRebalance(env, group, "storing the assignment failed");
  });
}

/**
 * Answers the member's waiting SyncGroup (its assignment, or the error) and restarts its session: a member kept
 * alive by waiting has the whole session timeout from the answer on, as in Kafka's propagateAssignment.
 */
function answerSync(group: Group, m: Member, errorCode: number): void {
  const resolve = m.awaitingSync;
  if (resolve === null) return;
  m.awaitingSync = null;
  resolve({ errorCode, assignment: errorCode === ErrorCode.NONE ? m.assignment : EMPTY });
  group.touch(m);
}

/**
 * DelayedSync: the rebalance timeout after the join completed, members of that generation that never sent
 * SyncGroup are removed (a leader that never assigns would otherwise hold the group forever) and the group
 * rebalances without them.
 */
function syncExpired(env: ClassicEnv, group: Group, generation: number): void {
  if (group.generationId !== generation || group.pendingSync.size === 0) return;
  if (!group.is("CompletingRebalance") && !group.is("Stable")) return;
  const gone = [...group.pendingSync];
  for (const id of gone) group.remove(id);
  env.log.info("removed members {members} from group {group}: no SyncGroup within the rebalance timeout", {
    members: gone.join(", "),
    group: group.groupId,
  });
  prepareRebalance(env, group, `members ${gone.join(", ")} did not sync in time`);
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
