// A KIP-848 consumer group's state: members with their epochs, subscriptions and reconciliation state, the group
// epoch, the target assignment (and its epoch), and who owns each partition now (the epoch of the member that has
// it assigned or pending revocation) — what reconciliation asks so that no partition has two owners. The rules
// that change it are in consumer_groups.ts; this file answers questions about it: its state for ListGroups and
// ConsumerGroupDescribe, and the offset rules of a group whose members carry epochs (OffsetGroup).
import { ErrorCode } from "../../protocol/errors.ts";
import type { CommittedOffset } from "../../storage/group_store.ts";
import type { OffsetGroup } from "../offsets/contract.ts";
import { Deadline } from "../classic/deadlines.ts";
import { CoalescedWrites } from "../../serial.ts";
import type {
  Assignment,
  ConsumerGroupState,
  MemberAssignmentState,
  MemberState,
  TopicId,
} from "./contract.ts";
import { EMPTY_ASSIGNMENT } from "./assignment.ts";
import type { ClassicMemberMetadata, MixedGroup, MixedMember } from "./classic_members.ts";

/** A static member that left with epoch -2 keeps its place (and assignment) until its session ends. */
export const LEAVE_STATIC_EPOCH = -2;

export class ConsumerMember implements MixedMember, MemberAssignmentState {
  instanceId: string | null = null;
  rackId: string | null = null;
  clientId = "";
  clientHost = "";
  rebalanceTimeoutMs = 300_000;
  subscribedTopicNames: readonly string[] = [];
  subscribedTopicRegex: string | null = null;
  serverAssignor: string | null = null;
  state: MemberState = "STABLE";
  memberEpoch = 0;
  previousMemberEpoch = 0;
  assigned: Assignment = EMPTY_ASSIGNMENT;
  pendingRevocation: Assignment = EMPTY_ASSIGNMENT;
  classic: ClassicMemberMetadata | null = null;
  /** Session: fenced when it passes without a heartbeat. */
  readonly session = new Deadline();
  /** Revocation: fenced when it passes still in UNREVOKED_PARTITIONS at the same epoch. */
  readonly revocation = new Deadline();

  constructor(readonly memberId: string) {}

  /** A copy under another member id (a static member rejoining), epochs reset to 0 as Kafka does. */
  copyAs(memberId: string): ConsumerMember {
    const m = new ConsumerMember(memberId);
    m.instanceId = this.instanceId;
    m.rackId = this.rackId;
    m.clientId = this.clientId;
    m.clientHost = this.clientHost;
    m.rebalanceTimeoutMs = this.rebalanceTimeoutMs;
    m.subscribedTopicNames = this.subscribedTopicNames;
    m.subscribedTopicRegex = this.subscribedTopicRegex;
    m.serverAssignor = this.serverAssignor;
    m.state = this.state;
    m.memberEpoch = 0;
    m.previousMemberEpoch = 0;
    m.assigned = this.assigned;
    m.pendingRevocation = this.pendingRevocation;
    m.classic = this.classic;
    return m;
  }
}

export class ConsumerGroup implements MixedGroup, OffsetGroup {
  groupEpoch = 0;
  /** The epoch the target assignment was computed for. */
  targetEpoch = 0;
  readonly members = new Map<string, ConsumerMember>();
  /** Each member's part of the target assignment. */
  readonly target = new Map<string, Assignment>();
  /** instance id -> member id */
  readonly staticMembers = new Map<string, string>();
  /** topic id -> partition -> epoch of the member owning it now. */
  private readonly owners = new Map<TopicId, Map<number, number>>();
  /** The subscribed topics' metadata (name:id:partitions) the current group epoch was computed with. */
  metadataSignature = "";
  /** The assignor of the last target computation. */
  assignorName = "";
  /** Regex source -> topic names it matched at `regexResolvedAt` (monotonic ms). */
  regexMatches = new Map<string, readonly string[]>();
  regexResolvedAt = -Infinity;
  /** Set when the group leaves this coordinator (converted, released, deleted): nothing more happens to it. */
  dead = false;
  /** Changed since its last write began: a heartbeat that changed nothing answers without a write. */
  dirty = false;
  /** The sorted union of every member's subscribed topic names (null: to be computed again). */
  private allNames: readonly string[] | null = null;
  /** Persistence: the write not started yet (it will carry later changes too), and the last write. */
  readonly writes = new CoalescedWrites();

  constructor(readonly groupId: string) {}

  get state(): ConsumerGroupState {
    if (this.dead) return "Dead";
    if (this.members.size === 0) return "Empty";
    if (this.groupEpoch > this.targetEpoch) return "Assigning";
    for (const m of this.members.values()) {
      if (m.memberEpoch !== this.targetEpoch && m.memberEpoch !== LEAVE_STATIC_EPOCH) return "Reconciling";
      if (m.state !== "STABLE") return "Reconciling";
    }
    return "Stable";
  }

  staticMemberId(instanceId: string): string | undefined {
    return this.staticMembers.get(instanceId);
  }

  targetOf(memberId: string): Assignment {
    return this.target.get(memberId) ?? EMPTY_ASSIGNMENT;
  }

  ownerEpoch(topicId: TopicId, partition: number): number {
    return this.owners.get(topicId)?.get(partition) ?? -1;
  }

  /** Adds a member (or replaces one of the same id), recording what it owns. */
  putMember(m: ConsumerMember): void {
    const old = this.members.get(m.memberId);
    if (old !== undefined) this.release(old);
    this.members.set(m.memberId, m);
    if (m.instanceId !== null) this.staticMembers.set(m.instanceId, m.memberId);
    this.own(m);
    this.subscriptionsChanged();
  }

  /** A member's subscription (or a regex's matches) changed: the group's union is computed again when asked. */
  subscriptionsChanged(): void {
    this.allNames = null;
    this.dirty = true;
  }

  /** Every topic name some member subscribes to, sorted. */
  subscribedTopicNames(): readonly string[] {
    if (this.allNames === null) {
      const names = new Set<string>();
      for (const m of this.members.values()) for (const n of this.subscribedNames(m)) names.add(n);
      this.allNames = [...names].sort();
    }
    return this.allNames;
  }

  /** Removes a member: its partitions become free, its target goes. */
  removeMember(memberId: string): ConsumerMember | undefined {
    const m = this.members.get(memberId);
    if (m === undefined) return undefined;
    this.release(m);
    this.members.delete(memberId);
    this.target.delete(memberId);
    this.subscriptionsChanged();
    if (m.instanceId !== null && this.staticMembers.get(m.instanceId) === memberId) {
      this.staticMembers.delete(m.instanceId);
    }
    return m;
  }

  /** Applies a member's new assignment state (reconciliation), keeping ownership in step. */
  applyState(m: ConsumerMember, s: MemberAssignmentState): void {
    this.release(m);
    this.dirty = true;
    m.state = s.state;
    m.memberEpoch = s.memberEpoch;
    m.previousMemberEpoch = s.previousMemberEpoch;
    m.assigned = s.assigned;
    m.pendingRevocation = s.pendingRevocation;
    this.own(m);
  }

  private own(m: ConsumerMember): void {
    for (const a of [m.assigned, m.pendingRevocation]) {
      for (const [t, parts] of a) {
        let byPart = this.owners.get(t);
        if (byPart === undefined) this.owners.set(t, byPart = new Map());
        for (const p of parts) byPart.set(p, m.memberEpoch);
      }
    }
  }

  private release(m: ConsumerMember): void {
    for (const a of [m.assigned, m.pendingRevocation]) {
      for (const [t, parts] of a) {
        const byPart = this.owners.get(t);
        if (byPart === undefined) continue;
        for (const p of parts) byPart.delete(p);
        if (byPart.size === 0) this.owners.delete(t);
      }
    }
  }

  /** Topic names the member subscribes to: its names and what its regex matched. */
  subscribedNames(m: ConsumerMember): readonly string[] {
    if (m.subscribedTopicRegex === null || m.subscribedTopicRegex === "") return m.subscribedTopicNames;
    const matched = this.regexMatches.get(m.subscribedTopicRegex) ?? [];
    if (m.subscribedTopicNames.length === 0) return matched;
    return [...new Set([...m.subscribedTopicNames, ...matched])];
  }

  // ---------------------------------------------------------------- OffsetGroup

  // Kafka 4's ConsumerGroup rules. A commit without membership (epoch < 0) is taken only while the group has no
  // members; otherwise its member id must be known. Consumer-protocol members must commit with OffsetCommit v9+
  // (UNSUPPORTED_VERSION, not for TxnOffsetCommit). A wrong epoch is STALE_MEMBER_EPOCH for them and
  // ILLEGAL_GENERATION for a classic member of a mixed group.
  validateOffsetCommit(
    memberId: string,
    _instanceId: string | null,
    epoch: number,
    apiVersion: number,
  ): number {
    return this.validateCommit(memberId, epoch, apiVersion, false);
  }

  /** TxnOffsetCommit: the same rules without the version one; a stale epoch answers ILLEGAL_GENERATION there. */
  validateTxnOffsetCommit(memberId: string, _instanceId: string | null, generationId: number): number {
    const code = this.validateCommit(memberId, generationId, 0, true);
    return code === ErrorCode.STALE_MEMBER_EPOCH ? ErrorCode.ILLEGAL_GENERATION : code;
  }

  private validateCommit(
    memberId: string,
    epoch: number,
    apiVersion: number,
    transactional: boolean,
  ): number {
    if (epoch < 0 && this.members.size === 0) return ErrorCode.NONE;
    const m = this.members.get(memberId);
    if (m === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (!transactional && m.classic === null && apiVersion < 9) return ErrorCode.UNSUPPORTED_VERSION;
    return this.checkEpoch(m, epoch);
  }

  private checkEpoch(m: ConsumerMember, epoch: number): number {
    if (epoch === m.memberEpoch) return ErrorCode.NONE;
    return m.classic !== null ? ErrorCode.ILLEGAL_GENERATION : ErrorCode.STALE_MEMBER_EPOCH;
  }

  /** OffsetFetch v9+: a member asking must be known and at its current epoch (no member id: not checked). */
  validateOffsetFetch(memberId: string, memberEpoch: number): number {
    if (memberEpoch < 0 && memberId === "") return ErrorCode.NONE;
    const m = this.members.get(memberId);
    if (m === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    return this.checkEpoch(m, memberEpoch);
  }

  validateOffsetDelete(): number {
    return ErrorCode.NONE;
  }

  isSubscribedToTopic(topic: string): boolean {
    return this.subscribedTopicNames().includes(topic);
  }

  offsetExpirationBase(): ((o: CommittedOffset) => number) | null {
    // Members consuming: offsets stay; an empty group's offsets count from their commit.
    return this.members.size > 0 ? null : (o) => o.commitTimestamp;
  }

  isEmpty(): boolean {
    return this.members.size === 0;
  }
}
