// The KIP-848 consumer groups of the coordinator: ConsumerGroupHeartbeat (join, heartbeat, leave, static leave),
// as Kafka's GroupMetadataManager.consumerGroupHeartbeat, in one synchronous step per heartbeat — validate, find or
// create the member, apply its subscription, bump the group epoch when membership, subscriptions or the subscribed
// topics' metadata changed, compute the target assignment when the group epoch is ahead of it (the server assignor
// of group.remote.assignor), reconcile the member (reconcile.ts) — then one durable write of the group before the
// answer. No await sits between reading the group and changing it, so heartbeats of one group never interleave.
// Deadlines (the classic module's queue, one timer): each member's session (group.consumer.session.timeout.ms) and,
// while it must revoke partitions, its rebalance timeout; either passing fences the member (removed, group epoch
// bumped). Classic-protocol members of a consumer group (mixed groups) and conversions between group kinds are
// classic_members.ts and migration.ts, which run on the MixedEnv operations this class provides. The steps' pure
// parts are their own modules: the request checks (heartbeat_checks.ts), the subscriptions' topic metadata
// (subscriptions.ts), the target assignment (target_assignment.ts) and ConsumerGroupDescribe's answer (describe.ts).
import { ErrorCode, KafkaError } from "../../protocol/errors.ts";
import type { Logger } from "../../log.ts";
import type { GroupWrites } from "../../storage/group_store.ts";
import type { Clock } from "../clock.ts";
import type { DeadlineQueue } from "../classic/deadlines.ts";
import type { ClassicGroups } from "../classic/classic_groups.ts";
import type {
  Assignment,
  ConsumerGroupDescription,
  ConsumerHeartbeatArgs,
  ConsumerHeartbeatResult,
  TopicsView,
} from "./contract.ts";
import { fromRows, sameAssignment, toRows } from "./assignment.ts";
import { reconcile } from "./reconcile.ts";
import { ConsumerGroup, ConsumerMember, LEAVE_STATIC_EPOCH } from "./group.ts";
import { checkMemberEpoch, fail, validateHeartbeat } from "./heartbeat_checks.ts";
import { refreshMetadata, sameSubscription } from "./subscriptions.ts";
import { GroupAssignors } from "./target_assignment.ts";
import { describeGroup, groupNotFound } from "./describe.ts";
import { decodeConsumerGroup, encodeConsumerGroup } from "./persistence.ts";
import {
  type ClassicMemberChange,
  ClassicMembers,
  type ConvertedMember,
  type MigrationPolicy,
  type MixedEnv,
  type MixedOptions,
  newMemberId,
} from "./classic_members.ts";

export interface ConsumerGroupOptions {
  /** group.consumer.session.timeout.ms */
  readonly consumerSessionTimeoutMs: number;
  /** group.consumer.heartbeat.interval.ms */
  readonly consumerHeartbeatIntervalMs: number;
  /** group.consumer.max.size */
  readonly consumerMaxSize: number;
  /** group.consumer.assignors: names of SERVER_ASSIGNORS; the first is the default. */
  readonly consumerAssignors: readonly string[];
  /** group.consumer.migration.policy */
  readonly migrationPolicy: MigrationPolicy;
  /** group.max.size (a downgraded group must fit) */
  readonly maxGroupSize: number;
  /**
   * The group configs consumer.session.timeout.ms and consumer.heartbeat.interval.ms (src/configs/group_configs.ts):
   * a group's own values, read at each heartbeat so a change applies at the next one; absent: the two above.
   */
  readonly perGroup?: GroupTimings;
}

/** A group's own session timeout and heartbeat interval (its group configs, else the broker's). */
export interface GroupTimings {
  consumerSessionTimeoutMs(groupId: string): number;
  consumerHeartbeatIntervalMs(groupId: string): number;
}

/** A heartbeat refused: the code and message, the other fields at Kafka's defaults. */
export function heartbeatFailure(errorCode: number, errorMessage: string | null): ConsumerHeartbeatResult {
  return {
    errorCode,
    errorMessage,
    memberId: null,
    memberEpoch: 0,
    heartbeatIntervalMs: 0,
    assignment: null,
  };
}

export class ConsumerGroups implements MixedEnv<ConsumerGroup> {
  readonly groups = new Map<string, ConsumerGroup>();
  readonly clock: Clock;
  readonly deadlines: DeadlineQueue;
  readonly opts: MixedOptions;
  readonly mixed: ClassicMembers<ConsumerGroup>;
  private readonly assignors: GroupAssignors;
  private closed = false;
  /** Rebalances (group epoch bumps) since start (metrics). */
  rebalances = 0;

  constructor(
    private readonly store: GroupWrites,
    private readonly options: ConsumerGroupOptions,
    readonly log: Logger,
    readonly topics: TopicsView,
    readonly classic: ClassicGroups,
  ) {
    this.clock = classic.clock;
    this.deadlines = classic.deadlines;
    this.opts = {
      consumerMaxSize: options.consumerMaxSize,
      classicMaxSize: options.maxGroupSize,
      migrationPolicy: options.migrationPolicy,
    };
    this.assignors = new GroupAssignors(options.consumerAssignors);
    this.mixed = new ClassicMembers(this);
  }

  get(groupId: string): ConsumerGroup | undefined {
    return this.groups.get(groupId);
  }

  group(groupId: string): ConsumerGroup | undefined {
    return this.groups.get(groupId);
  }

  // ---------------------------------------------------------------- loading, moving, closing

  /** Takes groups read from the store (start-up, or an acquired `__consumer_offsets` partition). */
  adopt(records: ReadonlyMap<string, Uint8Array>): void {
    for (const [id, bytes] of records) {
      let g: ConsumerGroup;
      try {
        g = decodeConsumerGroup(bytes);
      } catch (e) {
        this.log.error(
          "consumer group {group}: its stored record cannot be read ({error}); the group starts empty",
          {
            group: id,
            error: e instanceof Error ? e.message : String(e),
          },
        );
        continue;
      }
      this.forget(id);
      this.groups.set(id, g);
      // Members carry on at their epochs; their sessions (and pending revocations) start now.
      for (const m of g.members.values()) {
        this.startSession(g, m, m.classic?.sessionTimeoutMs ?? this.sessionTimeoutMs(g.groupId));
        if (m.state === "UNREVOKED_PARTITIONS" && m.classic === null) this.armRevocation(g, m);
      }
    }
  }

  /** Forgets the groups (their `__consumer_offsets` partition was released): nothing more is written for them. */
  drop(groupIds: Iterable<string>): void {
    for (const id of groupIds) this.forget(id);
  }

  private forget(groupId: string): ConsumerGroup | undefined {
    const g = this.groups.get(groupId);
    if (g === undefined) return undefined;
    g.dead = true;
    for (const m of g.members.values()) this.cancelDeadlines(m);
    this.mixed.forgetGroup(groupId);
    this.groups.delete(groupId);
    return g;
  }

  close(): void {
    this.closed = true;
    for (const g of this.groups.values()) for (const m of g.members.values()) this.cancelDeadlines(m);
  }

  /** Group ids with their kind's state (ListGroups). */
  list(): { groupId: string; state: string }[] {
    return [...this.groups.values()].map((g) => ({ groupId: g.groupId, state: g.state }));
  }

  /** DeleteGroups: NON_EMPTY_GROUP while it has members, else the group goes (its record with the store's delete). */
  deleteIfEmpty(groupId: string): number {
    const g = this.groups.get(groupId);
    if (g === undefined) return ErrorCode.GROUP_ID_NOT_FOUND;
    if (g.members.size > 0) return ErrorCode.NON_EMPTY_GROUP;
    this.forget(groupId);
    return ErrorCode.NONE;
  }

  // ---------------------------------------------------------------- ConsumerGroupHeartbeat

  async heartbeat(a: ConsumerHeartbeatArgs): Promise<ConsumerHeartbeatResult> {
    const interval = this.heartbeatIntervalMs(a.groupId);
    let group: ConsumerGroup;
    let result: ConsumerHeartbeatResult;
    try {
      if (this.closed) fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, "the coordinator is closing");
      this.deadlines.runDue();
      validateHeartbeat(a, this.assignors.byName);
      [group, result] = a.memberEpoch < 0 ? this.leave(a) : this.join(a);
    } catch (e) {
      if (!(e instanceof KafkaError)) throw e;
      return heartbeatFailure(e.code, e.message);
    }
    try {
      if (group.dirty) await this.persist(group);
    } catch (e) {
      this.log.warn("consumer group {group}: its state could not be written ({error})", {
        group: group.groupId,
        error: e instanceof Error ? e.message : String(e),
      });
      const code = e instanceof KafkaError ? e.code : ErrorCode.COORDINATOR_NOT_AVAILABLE;
      return {
        ...result,
        errorCode: code,
        errorMessage: "the group's state could not be written",
        assignment: null,
      };
    }
    // A member that left gets no interval: Kafka answers a leave (epoch -1 or -2) with 0.
    const stays = result.errorCode === ErrorCode.NONE && a.memberEpoch >= 0;
    return { ...result, heartbeatIntervalMs: stays ? interval : 0 };
  }

  /** The group of a joining (epoch 0) or heartbeating member; a classic group is converted on a join. */
  private groupFor(a: ConsumerHeartbeatArgs): ConsumerGroup {
    const g = this.groups.get(a.groupId);
    if (g !== undefined) return g;
    const classic = this.classic.groups.get(a.groupId);
    if (a.memberEpoch !== 0) {
      if (classic !== undefined) {
        fail(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${a.groupId} is not a consumer group.`);
      }
      fail(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${a.memberId} is not a member of group ${a.groupId}.`);
    }
    if (classic !== undefined) return this.mixed.upgrade(classic);
    return this.adoptConverted(a.groupId, 0, []);
  }

  private join(a: ConsumerHeartbeatArgs): [ConsumerGroup, ConsumerHeartbeatResult] {
    const group = this.groupFor(a);
    const joining = a.memberEpoch === 0;
    const memberId = a.memberId === "" ? newMemberId() : a.memberId;
    if (
      joining && !group.members.has(memberId) &&
      (a.instanceId === null || group.staticMemberId(a.instanceId) === undefined) &&
      group.members.size >= this.options.consumerMaxSize
    ) {
      fail(
        ErrorCode.GROUP_MAX_SIZE_REACHED,
        `The consumer group has reached its maximum capacity of ${this.options.consumerMaxSize} members.`,
      );
    }
    const owned = a.topicPartitions === null ? null : fromRows(a.topicPartitions);
    let member: ConsumerMember;
    let created = false;
    if (a.instanceId === null) {
      const existing = group.members.get(memberId);
      if (existing === undefined) {
        if (!joining) {
          fail(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${memberId} is not a member of group ${a.groupId}.`);
        }
        member = new ConsumerMember(memberId);
        created = true;
      } else {
        member = existing;
        if (!joining) checkMemberEpoch(member, a.memberEpoch, owned);
      }
    } else {
      const staticId = group.staticMemberId(a.instanceId);
      const existing = staticId === undefined ? undefined : group.members.get(staticId);
      if (joining) {
        if (existing === undefined) {
          member = group.members.get(memberId) ?? new ConsumerMember(memberId);
          created = !group.members.has(memberId);
        } else {
          if (existing.classic === null && existing.memberEpoch !== LEAVE_STATIC_EPOCH) {
            fail(
              ErrorCode.UNRELEASED_INSTANCE_ID,
              `Static member ${memberId} with instance id ${a.instanceId} cannot join the group because the ` +
                `instance id is owned by ${existing.memberId} member.`,
            );
          }
          // The instance comes back under a new member id: it takes the old member's place and assignment.
          this.replaceStaticMember(group, existing.memberId, memberId);
          member = group.members.get(memberId)!;
          this.log.info("static member {instance} rejoins group {group} as {member} (was {old})", {
            instance: a.instanceId,
            group: a.groupId,
            member: memberId,
            old: existing.memberId,
          });
        }
      } else {
        if (existing === undefined) {
          fail(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${a.instanceId} is unknown.`);
        }
        if (existing.memberId !== memberId) {
          fail(
            ErrorCode.FENCED_INSTANCE_ID,
            `Static member ${memberId} with instance id ${a.instanceId} was fenced by member ${existing.memberId}.`,
          );
        }
        member = existing;
        checkMemberEpoch(member, a.memberEpoch, owned);
      }
    }
    const before = member.assigned;
    // Kafka's maybeUpdate*: null / -1 leave a field as it was.
    const next = {
      instanceId: a.instanceId ?? member.instanceId,
      rackId: a.rackId ?? member.rackId,
      rebalanceTimeoutMs: a.rebalanceTimeoutMs !== -1 ? a.rebalanceTimeoutMs : member.rebalanceTimeoutMs,
      serverAssignor: a.serverAssignor ?? member.serverAssignor,
      subscribedTopicNames: a.subscribedTopicNames ?? member.subscribedTopicNames,
      subscribedTopicRegex: a.subscribedTopicRegex ?? member.subscribedTopicRegex,
    };
    const bump = created || !sameSubscription(member, next);
    if (
      bump || member.instanceId !== next.instanceId ||
      member.rebalanceTimeoutMs !== next.rebalanceTimeoutMs ||
      member.clientId !== a.clientId || member.clientHost !== a.clientHost || member.classic !== null
    ) group.dirty = true;
    Object.assign(member, next, { clientId: a.clientId, clientHost: a.clientHost, classic: null });
    if (created) {
      this.log.info("member {member} joins consumer group {group}", { member: memberId, group: a.groupId });
    }
    this.advance(group, member, created, bump, owned);
    this.startSession(group, member, this.sessionTimeoutMs(group.groupId));
    const full = joining ||
      (a.rebalanceTimeoutMs !== -1 && a.subscribedTopicNames !== null && a.topicPartitions !== null);
    return [group, {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      memberId,
      memberEpoch: member.memberEpoch,
      heartbeatIntervalMs: this.heartbeatIntervalMs(group.groupId),
      assignment: full || !sameAssignment(before, member.assigned) ? toRows(member.assigned) : null,
    }];
  }

  private leave(a: ConsumerHeartbeatArgs): [ConsumerGroup, ConsumerHeartbeatResult] {
    const group = this.groups.get(a.groupId);
    if (group === undefined) {
      fail(ErrorCode.UNKNOWN_MEMBER_ID, `Group ${a.groupId} has no member ${a.memberId}.`);
    }
    let member: ConsumerMember | undefined;
    if (a.instanceId === null) {
      member = group.members.get(a.memberId);
      if (member === undefined) {
        fail(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${a.memberId} is not a member of ${a.groupId}.`);
      }
    } else {
      const id = group.staticMemberId(a.instanceId);
      if (id === undefined) fail(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${a.instanceId} is unknown.`);
      if (id !== a.memberId) {
        fail(
          ErrorCode.FENCED_INSTANCE_ID,
          `Static member ${a.memberId} with instance id ${a.instanceId} was fenced by member ${id}.`,
        );
      }
      member = group.members.get(id)!;
    }
    const res: ConsumerHeartbeatResult = {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      memberId: a.memberId,
      memberEpoch: a.memberEpoch,
      heartbeatIntervalMs: 0,
      assignment: null,
    };
    if (a.memberEpoch === LEAVE_STATIC_EPOCH) {
      // A static member leaving for a while keeps its partitions until its session ends or it comes back.
      group.applyState(member, {
        state: member.state,
        memberEpoch: LEAVE_STATIC_EPOCH,
        previousMemberEpoch: member.previousMemberEpoch, // as Kafka: only the epoch changes
        assigned: member.assigned,
        pendingRevocation: new Map(),
      });
      this.deadlines.cancel(member.revocation);
      this.log.info("static member {member} ({instance}) of group {group} leaves for now", {
        member: member.memberId,
        instance: a.instanceId,
        group: a.groupId,
      });
      return [group, res];
    }
    this.log.info("member {member} leaves consumer group {group}", {
      member: member.memberId,
      group: a.groupId,
    });
    this.fence(group, member, "left the group");
    return [group, res];
  }

  /**
   * Removes a consumer-protocol member (it left, or a deadline passed): the group may become a classic group
   * without it (migration), else the group epoch moves on so the others take its partitions.
   */
  private fence(group: ConsumerGroup, member: ConsumerMember, reason: string): void {
    if (member.classic === null && this.mixed.maybeDowngrade(group, member.memberId)) return;
    this.removeMembers(group, [member.memberId], reason);
    if (member.classic !== null) this.mixed.memberRemoved(group.groupId, member.memberId);
  }

  // ---------------------------------------------------------------- the steps of a heartbeat

  /**
   * Kafka's heartbeat steps once the member's fields are set (a ConsumerGroupHeartbeat, or a classic member's
   * JoinGroup): a new member enters the group; the group epoch moves when its subscription changed (`changed`) or
   * the subscribed topics' metadata did; the target follows the epoch; the member reconciles towards it.
   */
  private advance(
    group: ConsumerGroup,
    m: ConsumerMember,
    created: boolean,
    changed: boolean,
    owned: Assignment | null,
  ): void {
    if (changed) group.subscriptionsChanged();
    if (created) group.putMember(m);
    if (m.instanceId !== null) group.staticMembers.set(m.instanceId, m.memberId);
    if (this.refreshMetadata(group, m) || changed) this.bumpEpoch(group);
    this.assignors.maybeComputeTarget(group, this.topics);
    this.reconcileMember(group, m, owned);
  }

  /** The subscribed topics' metadata recomputed (subscriptions.ts): true when it changed since the last bump. */
  private refreshMetadata(group: ConsumerGroup, m?: ConsumerMember): boolean {
    return refreshMetadata(group, this.topics, this.deadlines.now(), m);
  }

  private bumpEpoch(group: ConsumerGroup): void {
    group.groupEpoch++;
    group.dirty = true;
    this.rebalances++;
    this.log.debug("consumer group {group}: epoch {epoch}", {
      group: group.groupId,
      epoch: group.groupEpoch,
    });
  }

  private reconcileMember(group: ConsumerGroup, m: ConsumerMember, owned: Assignment | null): void {
    if (m.memberEpoch === group.targetEpoch && m.state === "STABLE") return;
    if (m.state === "UNKNOWN" && m.classic === null && (owned === null || owned.size > 0)) {
      // A state this version does not know (a record of a newer one): as Kafka, the member starts over.
      fail(
        ErrorCode.FENCED_MEMBER_EPOCH,
        "The consumer group member is in a unknown state. The member must abandon all its partitions and rejoin.",
      );
    }
    const next = reconcile({
      member: m,
      targetEpoch: group.targetEpoch,
      target: group.targetOf(m.memberId),
      owned,
      ownerEpoch: (t, p) => group.ownerEpoch(t, p),
    });
    if (next === m) return;
    const wasUnrevoked = m.state === "UNREVOKED_PARTITIONS" ? m.memberEpoch : null;
    group.applyState(m, next);
    if (m.classic !== null) return;
    if (m.state === "UNREVOKED_PARTITIONS") {
      if (wasUnrevoked !== m.memberEpoch) this.armRevocation(group, m);
    } else {
      this.deadlines.cancel(m.revocation);
    }
  }

  // ---------------------------------------------------------------- deadlines

  /** consumer.session.timeout.ms of the group: its group config, else the broker's. */
  private sessionTimeoutMs(groupId: string): number {
    return this.options.perGroup?.consumerSessionTimeoutMs(groupId) ?? this.options.consumerSessionTimeoutMs;
  }

  /** consumer.heartbeat.interval.ms of the group: its group config, else the broker's. */
  private heartbeatIntervalMs(groupId: string): number {
    return this.options.perGroup?.consumerHeartbeatIntervalMs(groupId) ??
      this.options.consumerHeartbeatIntervalMs;
  }

  private startSession(group: ConsumerGroup, m: ConsumerMember, ms: number): void {
    this.deadlines.after(m.session, ms, () => {
      if (group.dead || group.members.get(m.memberId) !== m) return;
      this.log.info("member {member} of consumer group {group} fenced: its session timed out", {
        member: m.memberId,
        group: group.groupId,
      });
      this.fence(group, m, "session timed out");
      this.persistInBackground(group);
    });
  }

  private armRevocation(group: ConsumerGroup, m: ConsumerMember): void {
    const epoch = m.memberEpoch;
    this.deadlines.after(m.revocation, m.rebalanceTimeoutMs, () => {
      if (group.dead || group.members.get(m.memberId) !== m) return;
      if (m.state !== "UNREVOKED_PARTITIONS" || m.memberEpoch !== epoch) return;
      this.log.info(
        "member {member} of consumer group {group} fenced: it did not revoke its partitions within {ms} ms",
        { member: m.memberId, group: group.groupId, ms: m.rebalanceTimeoutMs },
      );
      this.fence(group, m, "rebalance timed out");
      this.persistInBackground(group);
    });
  }

  private cancelDeadlines(m: ConsumerMember): void {
    this.deadlines.cancel(m.session);
    this.deadlines.cancel(m.revocation);
  }

  private persistInBackground(group: ConsumerGroup): void {
    this.persist(group).catch((e) =>
      this.log.warn("consumer group {group}: its state could not be written ({error})", {
        group: group.groupId,
        error: e instanceof Error ? e.message : String(e),
      })
    );
  }

  // ---------------------------------------------------------------- MixedEnv (classic members, conversions)

  updateMember(group: ConsumerGroup, memberId: string, change: ClassicMemberChange, owned: Assignment) {
    let m = group.members.get(memberId);
    const created = m === undefined;
    if (m === undefined) m = new ConsumerMember(memberId);
    const next = {
      instanceId: change.instanceId ?? m.instanceId,
      rackId: change.rackId ?? m.rackId,
      rebalanceTimeoutMs: change.rebalanceTimeoutMs !== -1 ? change.rebalanceTimeoutMs : m.rebalanceTimeoutMs,
      serverAssignor: null,
      subscribedTopicNames: change.subscribedTopicNames,
      subscribedTopicRegex: null,
    };
    const bump = created || !sameSubscription(m, next);
    Object.assign(m, next, {
      clientId: change.clientId,
      clientHost: change.clientHost,
      classic: change.classic,
    });
    group.dirty = true; // its JoinGroup metadata is kept with it
    this.advance(group, m, created, bump, owned);
    return m;
  }

  replaceStaticMember(group: ConsumerGroup, oldMemberId: string, newMemberId: string): void {
    const old = group.members.get(oldMemberId);
    if (old === undefined) return;
    const target = group.targetOf(oldMemberId);
    this.cancelDeadlines(old);
    group.removeMember(oldMemberId);
    const m = old.copyAs(newMemberId);
    group.putMember(m);
    group.target.set(newMemberId, target);
  }

  removeMembers(group: ConsumerGroup, memberIds: readonly string[], reason: string): void {
    let removed = 0;
    for (const id of memberIds) {
      const m = group.removeMember(id);
      if (m === undefined) continue;
      this.cancelDeadlines(m);
      removed++;
      this.log.debug("member {member} removed from consumer group {group}: {reason}", {
        member: id,
        group: group.groupId,
        reason,
      });
    }
    if (removed > 0) {
      this.refreshMetadata(group);
      this.bumpEpoch(group);
    }
  }

  touchSession(group: ConsumerGroup, memberId: string, ms: number): void {
    const m = group.members.get(memberId);
    if (m !== undefined) this.startSession(group, m, ms);
  }

  /**
   * Writes the group's whole state; settles when durable. Writes of a group run one after another, and a write
   * not started yet carries every change made before it starts (so a burst of heartbeats costs one write).
   */
  persist(group: ConsumerGroup): Promise<void> {
    if (group.dead) return Promise.resolve();
    return group.writes.request(() => {
      if (group.dead) return;
      group.dirty = false;
      return this.store.saveConsumerGroup(group.groupId, encodeConsumerGroup(group, this.clock.now()));
    });
  }

  async dropGroup(groupId: string): Promise<void> {
    const g = this.forget(groupId);
    if (g !== undefined) await g.writes.settled();
  }

  adoptConverted(groupId: string, epoch: number, members: readonly ConvertedMember[]): ConsumerGroup {
    this.forget(groupId);
    const g = new ConsumerGroup(groupId);
    g.groupEpoch = epoch;
    g.targetEpoch = epoch;
    for (const c of members) {
      const m = new ConsumerMember(c.memberId);
      m.instanceId = c.instanceId;
      m.rackId = c.rackId;
      m.rebalanceTimeoutMs = c.rebalanceTimeoutMs;
      m.clientId = c.clientId;
      m.clientHost = c.clientHost;
      m.subscribedTopicNames = c.subscribedTopicNames;
      m.classic = c.classic;
      m.memberEpoch = epoch;
      m.previousMemberEpoch = epoch;
      m.assigned = c.assigned;
      g.putMember(m);
      g.target.set(m.memberId, c.assigned);
    }
    this.groups.set(groupId, g);
    this.refreshMetadata(g);
    for (const m of g.members.values()) {
      this.startSession(g, m, m.classic?.sessionTimeoutMs ?? this.sessionTimeoutMs(g.groupId));
    }
    return g;
  }

  // ---------------------------------------------------------------- describe

  describe(groupId: string): ConsumerGroupDescription {
    const g = this.groups.get(groupId);
    if (g === undefined) return groupNotFound(groupId, this.classic.groups.get(groupId) !== undefined);
    return describeGroup(groupId, g, this.topics, g.assignorName || this.assignors.select(g));
  }
}
