// The share groups of the coordinator (KIP-932): ShareGroupHeartbeat (join, heartbeat, leave) as Kafka's
// GroupMetadataManager.shareGroupHeartbeat, in one synchronous step per heartbeat — validate, find or create the
// member, apply its subscription, bump the group epoch when membership, subscriptions or the subscribed topics'
// metadata changed, compute the target assignment (the simple assignor) when the group epoch is ahead of it, give
// the member its part of the target at the target's epoch — then one durable write of the group before the answer.
// No await sits between reading the group and changing it, so heartbeats of one group never interleave.
// Behaviour as Kafka 4.1:
// - The member id is the client's (v1); epoch 0 joins (SubscribedTopicNames required), -1 leaves; an epoch other
//   than the member's is FENCED_MEMBER_EPOCH; an unknown member is UNKNOWN_MEMBER_ID.
// - The assignment is answered on a join and whenever it changed, else null; the epoch is the target's.
// - A member that misses its session (share.session.timeout.ms, else group.share.session.timeout.ms) is removed
//   and the group epoch moves on, so the others take its partitions.
// - A group id of another kind (classic or consumer group, or offsets only) is GROUP_ID_NOT_FOUND "Group X is not
//   a share group."; group.share.max.size bounds the members.
import { ErrorCode, KafkaError } from "../../protocol/errors.ts";
import type { Logger } from "../../log.ts";
import type { GroupWrites } from "../../storage/group_store.ts";
import type { Clock } from "../clock.ts";
import type { DeadlineQueue } from "../classic/deadlines.ts";
import type { Assignment, TopicId, TopicInfo, TopicsView } from "../consumer/contract.ts";
import { sameAssignment, toRows } from "../consumer/assignment.ts";
import type {
  ShareGroupDescription,
  ShareGroupOptions,
  ShareHeartbeatArgs,
  ShareHeartbeatResult,
} from "./contract.ts";
import { ShareGroup, ShareMember } from "./group.ts";
import { assignShare, SIMPLE_ASSIGNOR } from "./simple_assignor.ts";
import { decodeShareGroup, encodeShareGroup } from "./persistence.ts";

/** The epoch a leaving member sends. */
export const LEAVE_EPOCH = -1;

/** A heartbeat refused: the code and message, the other fields at Kafka's defaults. */
export function shareHeartbeatFailure(errorCode: number, errorMessage: string | null): ShareHeartbeatResult {
  return {
    errorCode,
    errorMessage,
    memberId: null,
    memberEpoch: 0,
    heartbeatIntervalMs: 0,
    assignment: null,
  };
}

function fail(code: number, message: string): never {
  throw new KafkaError(code, message);
}

/** Kafka's throwIfShareGroupHeartbeatRequestIsInvalid. */
export function validateShareHeartbeat(a: ShareHeartbeatArgs): void {
  const bad = (m: string) => fail(ErrorCode.INVALID_REQUEST, m);
  if (a.groupId === "") bad("GroupId can't be empty.");
  if (a.rackId === "") bad("RackId can't be empty.");
  if (a.memberId === "") bad("MemberId can't be empty.");
  if (a.memberEpoch === 0) {
    if (a.subscribedTopicNames === null || a.subscribedTopicNames.length === 0) {
      bad("SubscribedTopicNames must be set in first request.");
    }
  } else if (a.memberEpoch < LEAVE_EPOCH) {
    bad("MemberEpoch is invalid.");
  }
}

export class ShareGroups {
  readonly groups = new Map<string, ShareGroup>();
  private closed = false;
  /** Group epoch bumps since start (metrics). */
  rebalances = 0;

  constructor(
    private readonly store: GroupWrites,
    private readonly options: ShareGroupOptions,
    private readonly log: Logger,
    private readonly topics: TopicsView,
    private readonly clock: Clock,
    private readonly deadlines: DeadlineQueue,
    /** Whether the id is a group of another kind (classic, consumer, or known by committed offsets). */
    private readonly otherKind: (groupId: string) => boolean,
  ) {}

  get(groupId: string): ShareGroup | undefined {
    return this.groups.get(groupId);
  }

  // ---------------------------------------------------------------- loading, moving, closing

  /** Takes share group records read from the store (start-up, or an acquired `__consumer_offsets` partition). */
  adopt(records: ReadonlyMap<string, Uint8Array>): void {
    for (const [id, bytes] of records) {
      let g: ShareGroup;
      try {
        g = decodeShareGroup(bytes);
      } catch (e) {
        this.log.error(
          "share group {group}: its stored record cannot be read ({error}); the group starts empty",
          {
            group: id,
            error: e instanceof Error ? e.message : String(e),
          },
        );
        continue;
      }
      this.forget(id);
      this.groups.set(id, g);
      // Members carry on at their epochs; their sessions start now.
      for (const m of g.members.values()) this.startSession(g, m);
    }
  }

  /** Forgets the groups (their `__consumer_offsets` partition was released): nothing more is written for them. */
  drop(groupIds: Iterable<string>): void {
    for (const id of groupIds) this.forget(id);
  }

  private forget(groupId: string): ShareGroup | undefined {
    const g = this.groups.get(groupId);
    if (g === undefined) return undefined;
    g.dead = true;
    for (const m of g.members.values()) this.deadlines.cancel(m.session);
    this.groups.delete(groupId);
    return g;
  }

  close(): void {
    this.closed = true;
    for (const g of this.groups.values()) {
      for (const m of g.members.values()) this.deadlines.cancel(m.session);
    }
  }

  /** Group ids with their state (ListGroups). */
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

  /**
   * Whether the admin APIs may replace or delete the group's share-partition states now: NON_EMPTY_GROUP while it
   * has members, GROUP_ID_NOT_FOUND for another kind's group or (`mustExist`) an unknown one.
   */
  offsetsChangeable(groupId: string, mustExist: boolean): { errorCode: number; errorMessage: string | null } {
    const g = this.groups.get(groupId);
    if (g === undefined) {
      if (this.otherKind(groupId)) {
        return {
          errorCode: ErrorCode.GROUP_ID_NOT_FOUND,
          errorMessage: `Group ${groupId} is not a share group.`,
        };
      }
      return mustExist
        ? { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${groupId} not found.` }
        : { errorCode: ErrorCode.NONE, errorMessage: null };
    }
    if (g.members.size > 0) {
      return {
        errorCode: ErrorCode.NON_EMPTY_GROUP,
        errorMessage: `Share group ${groupId} has members: its offsets change only while it is empty.`,
      };
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null };
  }

  // ---------------------------------------------------------------- ShareGroupHeartbeat

  async heartbeat(a: ShareHeartbeatArgs): Promise<ShareHeartbeatResult> {
    let group: ShareGroup;
    let result: ShareHeartbeatResult;
    try {
      if (this.closed) fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, "the coordinator is closing");
      this.deadlines.runDue();
      validateShareHeartbeat(a);
      [group, result] = a.memberEpoch === LEAVE_EPOCH ? this.leave(a) : this.join(a);
    } catch (e) {
      if (!(e instanceof KafkaError)) throw e;
      return shareHeartbeatFailure(e.code, e.message);
    }
    try {
      if (group.dirty) await this.persist(group);
    } catch (e) {
      this.log.warn("share group {group}: its state could not be written ({error})", {
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
    return result;
  }

  private groupFor(a: ShareHeartbeatArgs): ShareGroup {
    const g = this.groups.get(a.groupId);
    if (g !== undefined) return g;
    if (this.otherKind(a.groupId)) {
      fail(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${a.groupId} is not a share group.`);
    }
    if (a.memberEpoch !== 0) {
      fail(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${a.memberId} is not a member of group ${a.groupId}.`);
    }
    const created = new ShareGroup(a.groupId);
    this.groups.set(a.groupId, created);
    return created;
  }

  private join(a: ShareHeartbeatArgs): [ShareGroup, ShareHeartbeatResult] {
    const group = this.groupFor(a);
    let member = group.members.get(a.memberId);
    const created = member === undefined;
    if (member === undefined) {
      if (a.memberEpoch !== 0) {
        fail(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${a.memberId} is not a member of group ${a.groupId}.`);
      }
      if (group.members.size >= this.options.maxSize) {
        fail(
          ErrorCode.GROUP_MAX_SIZE_REACHED,
          `The share group has reached its maximum capacity of ${this.options.maxSize} members.`,
        );
      }
      member = new ShareMember(a.memberId);
    } else if (a.memberEpoch !== member.memberEpoch && a.memberEpoch !== 0) {
      const which = a.memberEpoch > member.memberEpoch ? "greater" : "smaller";
      fail(
        ErrorCode.FENCED_MEMBER_EPOCH,
        `The share group member has a ${which} member epoch (${a.memberEpoch}) than the one known by the group ` +
          `coordinator (${member.memberEpoch}). The member must abandon all its partitions and rejoin.`,
      );
    }
    const rackId = a.rackId ?? member.rackId;
    const names = a.subscribedTopicNames ?? member.subscribedTopicNames;
    const changed = created || rackId !== member.rackId || !sameNames(member.subscribedTopicNames, names);
    if (changed || member.clientId !== a.clientId || member.clientHost !== a.clientHost) group.dirty = true;
    Object.assign(member, {
      rackId,
      subscribedTopicNames: names,
      clientId: a.clientId,
      clientHost: a.clientHost,
    });
    if (created) {
      group.members.set(member.memberId, member);
      this.log.info("member {member} joins share group {group}", {
        member: member.memberId,
        group: a.groupId,
      });
    }
    if (this.refreshMetadata(group) || changed) this.bumpEpoch(group);
    this.maybeComputeTarget(group);
    const before = member.assigned;
    if (member.memberEpoch !== group.assignmentEpoch || created) {
      member.memberEpoch = group.assignmentEpoch;
      member.assigned = group.targetOf(member.memberId);
      group.dirty = true;
    }
    this.startSession(group, member);
    return [group, {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      memberId: member.memberId,
      memberEpoch: member.memberEpoch,
      heartbeatIntervalMs: this.options.heartbeatIntervalMs(group.groupId),
      assignment: a.memberEpoch === 0 || !sameAssignment(before, member.assigned)
        ? toRows(member.assigned)
        : null,
    }];
  }

  private leave(a: ShareHeartbeatArgs): [ShareGroup, ShareHeartbeatResult] {
    const group = this.groups.get(a.groupId);
    if (group === undefined) {
      if (this.otherKind(a.groupId)) {
        fail(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${a.groupId} is not a share group.`);
      }
      fail(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${a.memberId} is not a member of group ${a.groupId}.`);
    }
    const member = group.members.get(a.memberId);
    if (member === undefined) {
      fail(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${a.memberId} is not a member of group ${a.groupId}.`);
    }
    this.log.info("member {member} leaves share group {group}", {
      member: member.memberId,
      group: a.groupId,
    });
    this.remove(group, member);
    return [group, {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      memberId: a.memberId,
      memberEpoch: LEAVE_EPOCH,
      heartbeatIntervalMs: 0,
      assignment: null,
    }];
  }

  /** Removes a member (it left, or its session passed): the group epoch moves on so the others take its share. */
  private remove(group: ShareGroup, member: ShareMember): void {
    this.deadlines.cancel(member.session);
    group.members.delete(member.memberId);
    group.target.delete(member.memberId);
    group.dirty = true;
    this.refreshMetadata(group);
    this.bumpEpoch(group);
  }

  private bumpEpoch(group: ShareGroup): void {
    group.groupEpoch++;
    group.dirty = true;
    this.rebalances++;
  }

  /**
   * The subscribed topics' metadata (name:id:partitions of the topics that exist): true when it changed since
   * the epoch was last bumped (new partitions, topics created or deleted).
   */
  private refreshMetadata(group: ShareGroup): boolean {
    const parts: string[] = [];
    for (const n of group.subscribedTopicNames()) {
      const t = this.topics.byName(n);
      if (t !== undefined) parts.push(`${n}:${t.id}:${t.partitions}`);
    }
    const sig = parts.join(",");
    if (sig === group.metadataSignature) return false;
    group.metadataSignature = sig;
    return true;
  }

  /** The target follows the group epoch (Kafka's updateTargetAssignment with the simple assignor). */
  private maybeComputeTarget(group: ShareGroup): void {
    if (group.assignmentEpoch >= group.groupEpoch) return;
    const topics = new Map<TopicId, TopicInfo>();
    const members = [...group.members.values()].map((m) => {
      const ids = new Set<TopicId>();
      for (const n of m.subscribedTopicNames) {
        const t = this.topics.byName(n);
        if (t === undefined) continue;
        ids.add(t.id);
        topics.set(t.id, t);
      }
      return { memberId: m.memberId, subscribedTopicIds: ids, current: group.targetOf(m.memberId) };
    });
    const target = assignShare(members, topics);
    group.target.clear();
    for (const [id, a] of target) group.target.set(id, a);
    group.assignmentEpoch = group.groupEpoch;
    group.dirty = true;
  }

  private startSession(group: ShareGroup, m: ShareMember): void {
    this.deadlines.after(m.session, this.options.sessionTimeoutMs(group.groupId), () => {
      if (group.dead || group.members.get(m.memberId) !== m) return;
      this.log.info("member {member} of share group {group} removed: its session timed out", {
        member: m.memberId,
        group: group.groupId,
      });
      this.remove(group, m);
      this.persist(group).catch((e) =>
        this.log.warn("share group {group}: its state could not be written ({error})", {
          group: group.groupId,
          error: e instanceof Error ? e.message : String(e),
        })
      );
    });
  }

  /**
   * Writes the group's whole state; settles when durable. Writes of a group run one after another, and a write
   * not started yet carries every change made before it starts.
   */
  persist(group: ShareGroup): Promise<void> {
    if (group.dead) return Promise.resolve();
    return group.writes.request(() => {
      if (group.dead) return;
      group.dirty = false;
      return this.store.saveConsumerGroup(group.groupId, encodeShareGroup(group, this.clock.now()));
    });
  }

  // ---------------------------------------------------------------- describe

  describe(groupId: string): ShareGroupDescription {
    const g = this.groups.get(groupId);
    if (g === undefined) {
      return {
        groupId,
        errorCode: ErrorCode.GROUP_ID_NOT_FOUND,
        errorMessage: this.otherKind(groupId)
          ? `Group ${groupId} is not a share group.`
          : `Group ${groupId} not found.`,
        groupState: "Dead",
        groupEpoch: -1,
        assignmentEpoch: -1,
        assignorName: "",
        members: [],
      };
    }
    const described = (a: Assignment) =>
      toRows(a).map((r) => ({ ...r, topicName: this.topics.byId(r.topicId)?.name ?? "" }));
    return {
      groupId,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      groupState: g.state,
      groupEpoch: g.groupEpoch,
      assignmentEpoch: g.assignmentEpoch,
      assignorName: SIMPLE_ASSIGNOR,
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId,
        rackId: m.rackId,
        memberEpoch: m.memberEpoch,
        clientId: m.clientId,
        clientHost: m.clientHost,
        subscribedTopicNames: [...m.subscribedTopicNames],
        assignment: described(m.assigned),
      })),
    };
  }
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((n) => set.has(n));
}
