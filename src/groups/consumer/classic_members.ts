// Classic-protocol members (JoinGroup/SyncGroup/Heartbeat/LeaveGroup, `group.protocol=classic`) inside a KIP-848
// consumer group — Kafka 4's mixed groups during an upgrade or downgrade of the clients, as its
// GroupMetadataManager's classicGroup*ToConsumerGroup. The server assigns them like any member: a JoinGroup's
// ConsumerProtocolSubscription becomes the member's subscription (topics, rack, and the owned partitions it
// reconciles with), JoinGroup is answered at once (generation = the member epoch, no leader duty: the member list
// is empty), SyncGroup answers the member's assigned partitions as a ConsumerProtocolAssignment in the version of
// its subscription, and Heartbeat answers REBALANCE_IN_PROGRESS when the member must rejoin: the group epoch moved
// past its epoch, it must revoke partitions, or partitions it waited for were released. Checks in Kafka's order:
// UNKNOWN_MEMBER_ID (unknown, or a consumer-protocol member), FENCED_INSTANCE_ID, ILLEGAL_GENERATION (generation
// != member epoch), INCONSISTENT_GROUP_PROTOCOL, REBALANCE_IN_PROGRESS.
// Timers, as Kafka's: the session is the member's JoinGroup session timeout (restarted by its join, sync and
// heartbeats); a member told to rejoin must join within its rebalance timeout (join timer) and a member answered
// JoinGroup must sync within it (sync timer), or it is fenced. Classic members have no revocation timer.
// The group-side operations (member update with reconciliation, fencing, persistence, sessions) are the consumer
// groups' (consumer_groups.ts), reached through MixedEnv; conversions between group kinds are in migration.ts.
import { ErrorCode, KafkaError } from "../../protocol/errors.ts";
import type { Logger } from "../../log.ts";
import type { Clock } from "../clock.ts";
import { Deadline, type DeadlineQueue } from "../classic/deadlines.ts";
import { EMPTY, type JoinResult, type Protocol, type SyncResult } from "../classic/group.ts";
import type { JoinArgs } from "../classic/join.ts";
import type { LeaveResult, SyncArgs } from "../classic/membership.ts";
import { joinError } from "../classic/rebalance.ts";
import type { ClassicGroups } from "../classic/classic_groups.ts";
import type { Assignment, MemberState, TopicId, TopicsView } from "./contract.ts";
import { has } from "./assignment.ts";
import { randomKafkaUuid } from "../../base64.ts";
import {
  CONSUMER_PROTOCOL_TYPE,
  type ConsumerSubscription,
  decodeConsumerSubscription,
  encodeConsumerAssignment,
  type NamedTopicPartitions,
  protocolVersion,
} from "./consumer_protocol.ts";
import {
  convertToClassicGroup,
  maybeDowngrade,
  upgradeClassicGroup,
  validateDowngradeWithFencedMember,
  validateDowngradeWithReplacedMember,
} from "./migration.ts";
import type { Group } from "../classic/group.ts";

// ---------------------------------------------------------------- what this module needs from the consumer groups

/** group.consumer.migration.policy */
export type MigrationPolicy = "bidirectional" | "upgrade" | "downgrade" | "disabled";

/** The classic part of a consumer group member: what its JoinGroup said (kept durable with the member). */
export interface ClassicMemberMetadata {
  readonly sessionTimeoutMs: number;
  /** The JoinGroup protocols in the member's order (names and ConsumerProtocolSubscription bytes). */
  readonly protocols: readonly Protocol[];
}

/** A member of a consumer group, as this module reads it. */
export interface MixedMember {
  readonly memberId: string;
  readonly instanceId: string | null;
  readonly rackId: string | null;
  readonly memberEpoch: number;
  readonly state: MemberState;
  /** The partitions the member owns and may use now. */
  readonly assigned: Assignment;
  readonly rebalanceTimeoutMs: number;
  readonly clientId: string;
  readonly clientHost: string;
  readonly subscribedTopicNames: readonly string[];
  /** Null for a member of the consumer protocol (ConsumerGroupHeartbeat). */
  readonly classic: ClassicMemberMetadata | null;
}

/** A consumer group, as this module reads it. */
export interface MixedGroup {
  readonly groupId: string;
  readonly groupEpoch: number;
  readonly members: ReadonlyMap<string, MixedMember>;
  /** The member id holding a static instance id, if any. */
  staticMemberId(instanceId: string): string | undefined;
  /** The member's part of the target assignment (empty when none). */
  targetOf(memberId: string): Assignment;
  /** The epoch of the member owning the partition now, -1 when free (reconciliation's ownerEpoch). */
  ownerEpoch(topicId: TopicId, partition: number): number;
}

/** What a classic member's JoinGroup changes in its consumer group member (Kafka's ConsumerGroupMember.Builder). */
export interface ClassicMemberChange {
  readonly instanceId: string | null;
  /** Null: unchanged. */
  readonly rackId: string | null;
  /** -1: unchanged. */
  readonly rebalanceTimeoutMs: number;
  readonly subscribedTopicNames: readonly string[];
  readonly clientId: string;
  readonly clientHost: string;
  readonly classic: ClassicMemberMetadata;
}

/** A classic member taken into a consumer group by an upgrade: Stable at the classic generation. */
export interface ConvertedMember {
  readonly memberId: string;
  readonly instanceId: string | null;
  readonly rackId: string | null;
  readonly rebalanceTimeoutMs: number;
  readonly clientId: string;
  readonly clientHost: string;
  readonly subscribedTopicNames: readonly string[];
  /** Its assignment in the classic group: both its assigned partitions and its target. */
  readonly assigned: Assignment;
  readonly classic: ClassicMemberMetadata;
}

export interface MixedOptions {
  /** group.consumer.max.size */
  readonly consumerMaxSize: number;
  /** group.max.size (a downgrade must fit in a classic group) */
  readonly classicMaxSize: number;
  readonly migrationPolicy: MigrationPolicy;
}

/**
 * The consumer group operations classic members run on (the consumer groups implement it). Nothing here persists
 * unless it says so; persist() is called where Kafka appends records.
 */
export interface MixedEnv<G extends MixedGroup = MixedGroup> {
  readonly clock: Clock;
  /** The queue of the consumer groups' deadlines (the classic members' join and sync timers go there too). */
  readonly deadlines: DeadlineQueue;
  readonly log: Logger;
  readonly topics: TopicsView;
  readonly opts: MixedOptions;
  /** The coordinator's classic groups (conversions move groups between both). */
  readonly classic: ClassicGroups;
  /** The consumer group of that id held by this coordinator. */
  group(groupId: string): G | undefined;
  /**
   * Creates (when absent) or updates the member, then Kafka's heartbeat steps 1-3: a changed subscription bumps
   * the group epoch, the target is recomputed when the group epoch is ahead of it, and the member reconciles
   * towards its target given what it owns. The session is not touched.
   */
  updateMember(group: G, memberId: string, change: ClassicMemberChange, owned: Assignment): MixedMember;
  /**
   * A static member rejoining under a new member id: the new member replaces the old one (epoch 0), taking its
   * target and assignment; the old id is gone (its deadlines with it).
   */
  replaceStaticMember(group: G, oldMemberId: string, newMemberId: string): void;
  /** Removes the members (their deadlines too) and bumps the group epoch once; no downgrade is considered. */
  removeMembers(group: G, memberIds: readonly string[], reason: string): void;
  /** Restarts the member's session deadline: it is fenced `ms` from now unless touched again. */
  touchSession(group: G, memberId: string, ms: number): void;
  /** Writes the group's whole state; settles when durable. */
  persist(group: G): Promise<void>;
  /**
   * Forgets the consumer group (converted, or an empty one taken over by a classic JoinGroup) and its deadlines;
   * nothing more is written for it. Settles once its writes in flight are done, so that the classic group's
   * record, written after, is the one that stays.
   */
  dropGroup(groupId: string): Promise<void>;
  /** Registers a consumer group converted from a classic one (its members' sessions start now). */
  adoptConverted(groupId: string, epoch: number, members: readonly ConvertedMember[]): G;
}

// ---------------------------------------------------------------- helpers

/** The member's owned partitions as topic ids; topics that no longer exist are dropped (Kafka's toTopicPartitions). */
export function ownedByName(topics: TopicsView, rows: readonly NamedTopicPartitions[]): Assignment {
  const out = new Map<TopicId, Set<number>>();
  for (const row of rows) {
    const t = topics.byName(row.topic);
    if (t === undefined || row.partitions.length === 0) continue;
    let s = out.get(t.id);
    if (s === undefined) out.set(t.id, s = new Set());
    for (const p of row.partitions) s.add(p);
  }
  return out;
}

/** An assignment by topic name (topics deleted meanwhile are left out), sorted. */
export function assignmentByName(topics: TopicsView, a: Assignment): NamedTopicPartitions[] {
  const rows: NamedTopicPartitions[] = [];
  for (const [id, parts] of a) {
    const t = topics.byId(id);
    if (t === undefined || parts.size === 0) continue;
    rows.push({ topic: t.name, partitions: [...parts].sort((x, y) => x - y) });
  }
  return rows.sort((x, y) => x.topic < y.topic ? -1 : x.topic > y.topic ? 1 : 0);
}

/** The ConsumerProtocolAssignment bytes of `a` in the version of the member's first protocol's subscription. */
export function encodeAssignmentFor(
  topics: TopicsView,
  a: Assignment,
  protocols: readonly Protocol[],
): Uint8Array {
  const metadata = protocols[0]?.metadata ?? EMPTY;
  const version = metadata.length >= 2 ? Math.max(0, protocolVersion(metadata)) : 0;
  return encodeConsumerAssignment({ partitions: assignmentByName(topics, a), userData: null }, version);
}

/** Whether a member in UNRELEASED_PARTITIONS still waits on a partition of its target another member owns. */
export function waitingOnUnreleasedPartition(group: MixedGroup, m: MixedMember): boolean {
  if (m.state !== "UNRELEASED_PARTITIONS") return false;
  for (const [topicId, parts] of group.targetOf(m.memberId)) {
    for (const p of parts) {
      if (!has(m.assigned, topicId, p) && group.ownerEpoch(topicId, p) !== -1) return true;
    }
  }
  return false;
}

/** Kafka's Uuid.randomUuid().toString(): 22 url-safe base64 characters. */
export function newMemberId(): string {
  return randomKafkaUuid();
}

function fail(code: number): Promise<SyncResult> {
  return Promise.resolve({ errorCode: code, assignment: EMPTY });
}

/** An error of a store write, as the member should see it. */
function writeError(e: unknown): number {
  return e instanceof KafkaError && e.code === ErrorCode.NOT_COORDINATOR
    ? ErrorCode.NOT_COORDINATOR
    : ErrorCode.COORDINATOR_NOT_AVAILABLE;
}

interface ClassicTimers {
  readonly join: Deadline;
  readonly sync: Deadline;
}

// ---------------------------------------------------------------- the entry points

/**
 * JoinGroup, SyncGroup, Heartbeat and LeaveGroup for group ids that are consumer groups. The coordinator routes
 * here every classic call whose group id names a consumer group (an empty one included: its JoinGroup turns it into
 * a classic group, as Kafka).
 */
export class ClassicMembers<G extends MixedGroup = MixedGroup> {
  /** Join and sync timers per group and member. */
  private readonly timers = new Map<string, Map<string, ClassicTimers>>();

  constructor(private readonly env: MixedEnv<G>) {}

  async join(a: JoinArgs): Promise<JoinResult> {
    const env = this.env;
    env.deadlines.runDue();
    const group = env.group(a.groupId);
    if (group === undefined) return env.classic.join(a);
    if (group.members.size === 0) {
      // An empty consumer group gives way to a classic group (Kafka's maybeDeleteEmptyConsumerGroup); the
      // classic group's first write replaces its record.
      this.forgetGroup(a.groupId);
      const dropped = env.dropGroup(a.groupId);
      env.log.info("empty consumer group {group} becomes a classic group: a classic member joins", {
        group: a.groupId,
      });
      await dropped.catch(() => {});
      return env.classic.join(a);
    }
    return this.joinConsumerGroup(group, a);
  }

  private async joinConsumerGroup(group: G, a: JoinArgs): Promise<JoinResult> {
    const env = this.env;
    const unknown = a.memberId === "";
    const memberId = unknown ? newMemberId() : a.memberId;
    // Kafka answers the errors it throws below with no member id (INVALID_SESSION_TIMEOUT, checked before any
    // group is looked at, echoes the request's).
    const classicOpts = env.classic.opts;
    if (
      a.sessionTimeoutMs < classicOpts.minSessionTimeoutMs ||
      a.sessionTimeoutMs > classicOpts.maxSessionTimeoutMs
    ) {
      return joinError(a.memberId, ErrorCode.INVALID_SESSION_TIMEOUT);
    }
    if (group.members.size >= env.opts.consumerMaxSize && (unknown || !group.members.has(memberId))) {
      return joinError("", ErrorCode.GROUP_MAX_SIZE_REACHED);
    }
    if (!this.supportsProtocols(group, a.protocolType, a.protocols)) {
      return joinError("", ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    }
    if (a.requireKnownMemberId && unknown && a.groupInstanceId === null) {
      // KIP-394: the member comes back with its id (nothing is kept for it meanwhile, as Kafka).
      return joinError(memberId, ErrorCode.MEMBER_ID_REQUIRED);
    }
    let replacedId: string | undefined;
    if (a.groupInstanceId !== null) {
      const existing = group.staticMemberId(a.groupInstanceId);
      if (!unknown) {
        if (existing === undefined) return joinError("", ErrorCode.UNKNOWN_MEMBER_ID);
        if (existing !== memberId) return joinError("", ErrorCode.FENCED_INSTANCE_ID);
      } else if (existing !== undefined) {
        replacedId = existing;
      }
    }
    let subscription: ConsumerSubscription;
    try {
      subscription = decodeConsumerSubscription(a.protocols[0].metadata);
    } catch (e) {
      // Kafka fails such a join with an internal error; the protocol is what is wrong.
      env.log.info("member {member} of consumer group {group}: {reason}", {
        member: memberId,
        group: group.groupId,
        reason: String(e),
      });
      return joinError("", ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    }
    if (replacedId !== undefined && validateDowngradeWithReplacedMember(env, group, replacedId)) {
      // The static member replaces the last consumer-protocol member: the group becomes classic, and the classic
      // module's static rejoin hands the replaced member's assignment over (no rebalance).
      this.forgetGroup(group.groupId);
      await convertToClassicGroup(env, group, replacedId, a).stored;
      const r = await env.classic.join(a);
      // Kafka answers this join from the consumer group's side: no leader, no member list.
      return r.errorCode === ErrorCode.NONE ? { ...r, leader: "", skipAssignment: false, members: [] } : r;
    }
    // Request bytes are views into network buffers: keep copies.
    const protocols = a.protocols.map((p) => ({ name: p.name, metadata: p.metadata.slice() }));
    if (replacedId !== undefined) {
      this.cancelTimers(group.groupId, replacedId);
      env.replaceStaticMember(group, replacedId, memberId);
      env.log.info(
        "static member {instance} rejoins consumer group {group} with the classic protocol as {member} (was {old})",
        { instance: a.groupInstanceId, group: group.groupId, member: memberId, old: replacedId },
      );
    } else if (!group.members.has(memberId)) {
      env.log.info("member {member} joins consumer group {group} with the classic protocol", {
        member: memberId,
        group: group.groupId,
      });
    }
    const classic: ClassicMemberMetadata = { sessionTimeoutMs: a.sessionTimeoutMs, protocols };
    env.updateMember(group, memberId, {
      instanceId: a.groupInstanceId,
      rackId: subscription.rackId,
      rebalanceTimeoutMs: a.rebalanceTimeoutMs,
      subscribedTopicNames: subscription.topics,
      clientId: a.clientId,
      clientHost: a.clientHost,
      classic,
    }, ownedByName(env.topics, subscription.ownedPartitions));
    try {
      await env.persist(group);
    } catch (e) {
      return joinError(memberId, writeError(e));
    }
    const current = group.members.get(memberId);
    if (env.group(group.groupId) !== group || current === undefined) {
      // The group moved or the member went while its state was being written.
      return joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID);
    }
    const t = this.timersOf(group.groupId, memberId);
    env.deadlines.cancel(t.join);
    env.touchSession(group, memberId, a.sessionTimeoutMs);
    env.deadlines.after(
      t.sync,
      a.rebalanceTimeoutMs,
      () => this.expired(group.groupId, memberId, "it did not sync within its rebalance timeout"),
    );
    return {
      errorCode: ErrorCode.NONE,
      generationId: current.memberEpoch,
      protocolType: CONSUMER_PROTOCOL_TYPE,
      protocolName: protocols[0].name,
      leader: "",
      memberId,
      skipAssignment: false,
      members: [],
    };
  }

  /** Kafka's ConsumerGroup.supportsClassicProtocols: type "consumer" and a protocol every classic member has. */
  private supportsProtocols(group: G, protocolType: string, protocols: readonly Protocol[]): boolean {
    if (protocolType !== CONSUMER_PROTOCOL_TYPE || protocols.length === 0) return false;
    const classics = [...group.members.values()].filter((m) => m.classic !== null);
    return protocols.some((p) => classics.every((m) => m.classic!.protocols.some((q) => q.name === p.name)));
  }

  sync(a: SyncArgs): Promise<SyncResult> {
    const env = this.env;
    env.deadlines.runDue();
    const group = env.group(a.groupId);
    if (group === undefined || group.members.size === 0) return fail(ErrorCode.UNKNOWN_MEMBER_ID);
    const found = this.classicMember(group, a.memberId, a.groupInstanceId);
    if (typeof found === "number") return fail(found);
    const m = found;
    if (a.generationId !== m.memberEpoch) return fail(ErrorCode.ILLEGAL_GENERATION);
    const protocols = m.classic!.protocols;
    if (
      (a.protocolType !== null && a.protocolType !== CONSUMER_PROTOCOL_TYPE) ||
      (a.protocolName !== null && a.protocolName !== protocols[0].name)
    ) {
      return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    }
    if (group.groupEpoch > m.memberEpoch && m.state !== "UNREVOKED_PARTITIONS") {
      this.scheduleJoinTimeout(group, m);
      return fail(ErrorCode.REBALANCE_IN_PROGRESS);
    }
    const t = this.timersOf(group.groupId, m.memberId);
    env.deadlines.cancel(t.sync);
    env.touchSession(group, m.memberId, m.classic!.sessionTimeoutMs);
    return Promise.resolve({
      errorCode: ErrorCode.NONE,
      assignment: encodeAssignmentFor(env.topics, m.assigned, protocols),
    });
  }

  heartbeat(groupId: string, generationId: number, memberId: string, instanceId: string | null): number {
    const env = this.env;
    env.deadlines.runDue();
    const group = env.group(groupId);
    if (group === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    const found = this.classicMember(group, memberId, instanceId);
    if (typeof found === "number") return found;
    const m = found;
    if (generationId !== m.memberEpoch) return ErrorCode.ILLEGAL_GENERATION;
    env.touchSession(group, m.memberId, m.classic!.sessionTimeoutMs);
    // Rejoin when the group moved on, when partitions must be revoked, or when the partitions it waited for are
    // free now (its next JoinGroup takes them).
    if (
      m.memberEpoch < group.groupEpoch || m.state === "UNREVOKED_PARTITIONS" ||
      (m.state === "UNRELEASED_PARTITIONS" && !waitingOnUnreleasedPartition(group, m))
    ) {
      this.scheduleJoinTimeout(group, m);
      return ErrorCode.REBALANCE_IN_PROGRESS;
    }
    return ErrorCode.NONE;
  }

  leave(
    groupId: string,
    members: readonly { memberId: string; groupInstanceId: string | null; reason: string | null }[],
  ): LeaveResult {
    const env = this.env;
    env.deadlines.runDue();
    const group = env.group(groupId);
    if (group === undefined) {
      return {
        errorCode: ErrorCode.UNKNOWN_MEMBER_ID,
        members: members.map((m) => ({ ...m, errorCode: ErrorCode.UNKNOWN_MEMBER_ID })),
      };
    }
    const leaving: string[] = [];
    const results = members.map((x) => {
      let m: MixedMember | number;
      if (x.groupInstanceId === null) {
        m = this.classicMember(group, x.memberId, null);
      } else {
        // LeaveGroup by instance id alone (admin removal) names no member id.
        const id = group.staticMemberId(x.groupInstanceId);
        m = id === undefined
          ? ErrorCode.UNKNOWN_MEMBER_ID
          : x.memberId !== "" && x.memberId !== id
          ? ErrorCode.FENCED_INSTANCE_ID
          : this.classicMember(group, id, x.groupInstanceId);
      }
      if (typeof m === "number") {
        return { memberId: x.memberId, groupInstanceId: x.groupInstanceId, errorCode: m };
      }
      if (!leaving.includes(m.memberId)) leaving.push(m.memberId);
      env.log.info("member {member} left consumer group {group} (classic protocol): {reason}", {
        member: m.memberId,
        group: groupId,
        reason: x.reason ?? "not provided",
      });
      return { memberId: m.memberId, groupInstanceId: x.groupInstanceId, errorCode: ErrorCode.NONE };
    });
    if (leaving.length > 0) {
      for (const id of leaving) this.cancelTimers(groupId, id);
      env.removeMembers(group, leaving, "left the group");
      this.persistInBackground(group);
    }
    return { errorCode: ErrorCode.NONE, members: results };
  }

  /**
   * A ConsumerGroupHeartbeat joins (epoch 0) a group id that is a classic group (migration.ts): the consumer group
   * it becomes. Throws KafkaError GROUP_ID_NOT_FOUND when it may not be converted.
   */
  upgrade(classic: Group): G {
    return upgradeClassicGroup(this.env, classic);
  }

  /**
   * Called before a consumer-protocol member is removed (it left with epoch -1, or its session or rebalance
   * timeout passed): true when the group became a classic group without it (migration.ts), and the caller
   * must then leave the consumer group alone.
   */
  maybeDowngrade(group: G, leavingMemberId: string): boolean {
    if (!validateDowngradeWithFencedMember(this.env, group, leavingMemberId)) return false;
    this.forgetGroup(group.groupId);
    return maybeDowngrade(this.env, group, leavingMemberId);
  }

  /**
   * The member left the group some other way (session expiry, fencing, replacement): its join and sync
   * timers go.
   */
  memberRemoved(groupId: string, memberId: string): void {
    this.cancelTimers(groupId, memberId);
  }

  /** The group left this coordinator (released, deleted, converted): its timers go. */
  forgetGroup(groupId: string): void {
    const byMember = this.timers.get(groupId);
    if (byMember === undefined) return;
    for (const t of byMember.values()) {
      this.env.deadlines.cancel(t.join);
      this.env.deadlines.cancel(t.sync);
    }
    this.timers.delete(groupId);
  }

  // ---------------------------------------------------------------- internals

  /**
   * Kafka's validateConsumerGroupMember then throwIfMemberDoesNotUseClassicProtocol: the member, or the error
   * code (UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID).
   */
  private classicMember(group: G, memberId: string, instanceId: string | null): MixedMember | number {
    let m: MixedMember | undefined;
    if (instanceId === null) {
      m = group.members.get(memberId);
    } else {
      const id = group.staticMemberId(instanceId);
      if (id === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (id !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
      m = group.members.get(id);
    }
    if (m === undefined || m.classic === null) return ErrorCode.UNKNOWN_MEMBER_ID;
    return m;
  }

  private timersOf(groupId: string, memberId: string): ClassicTimers {
    let byMember = this.timers.get(groupId);
    if (byMember === undefined) this.timers.set(groupId, byMember = new Map());
    let t = byMember.get(memberId);
    if (t === undefined) byMember.set(memberId, t = { join: new Deadline(), sync: new Deadline() });
    return t;
  }

  private cancelTimers(groupId: string, memberId: string): void {
    const byMember = this.timers.get(groupId);
    const t = byMember?.get(memberId);
    if (t === undefined) return;
    this.env.deadlines.cancel(t.join);
    this.env.deadlines.cancel(t.sync);
    byMember!.delete(memberId);
    if (byMember!.size === 0) this.timers.delete(groupId);
  }

  /** A member told to rejoin must do so within its rebalance timeout (a timer already running is kept). */
  private scheduleJoinTimeout(group: G, m: MixedMember): void {
    const t = this.timersOf(group.groupId, m.memberId);
    if (t.join.queued) return;
    this.env.deadlines.after(
      t.join,
      m.rebalanceTimeoutMs,
      () => this.expired(group.groupId, m.memberId, "it did not rejoin within its rebalance timeout"),
    );
  }

  /** A join or sync timer passed: the member is fenced (if it is still a classic member of that group). */
  private expired(groupId: string, memberId: string, why: string): void {
    this.cancelTimers(groupId, memberId);
    const group = this.env.group(groupId);
    const m = group?.members.get(memberId);
    if (group === undefined || m === undefined || m.classic === null) return;
    this.env.log.info("member {member} fenced from consumer group {group}: {why}", {
      member: memberId,
      group: groupId,
      why,
    });
    this.env.removeMembers(group, [memberId], why);
    this.persistInBackground(group);
  }

  private persistInBackground(group: G): void {
    this.env.persist(group).catch((e) => {
      const args = { group: group.groupId, reason: String(e) };
      if (e instanceof KafkaError && e.code === ErrorCode.NOT_COORDINATOR) {
        this.env.log.info("not storing consumer group {group}: {reason}", args);
      } else this.env.log.error("storing consumer group {group} failed: {reason}", args);
    });
  }
}
