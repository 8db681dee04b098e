// One consumer group of Kafka's classic protocol: its state, members and the protocol vote. The state machine
// transitions are driven by join.ts, rebalance.ts and membership.ts; this module holds data and the rules that
// depend only on it, its deadlines (each member's session, each MEMBER_ID_REQUIRED id, the join and sync
// deadlines, all in the coordinator's DeadlineQueue: a member leaving takes its deadline with it), and the
// group's side of the committed-offsets contract (../offsets/contract.ts):
// - OffsetCommit: FENCED_INSTANCE_ID (a replaced static member), a memberless commit (generation < 0) only while
//   Empty, UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, and REBALANCE_IN_PROGRESS in CompletingRebalance (the member
//   has its JoinGroup answer but not its assignment); a Dead group answers COORDINATOR_NOT_AVAILABLE.
// - TxnOffsetCommit (KIP-447, Kafka's ClassicGroup.validateOffsetCommit with isTransactional): a request without
//   generation, member id and instance id passes; otherwise the static instance must map to the member id
//   (UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID), the member must exist (UNKNOWN_MEMBER_ID) and the generation be
//   the current one (ILLEGAL_GENERATION); a rebalance in progress does not refuse it, and no session is touched.
// - OffsetDelete: NON_EMPTY_GROUP while members of a protocol other than "consumer" are in the group (their
//   subscriptions cannot be read); GROUP_SUBSCRIBED_TO_TOPIC for topics the "consumer" members subscribe to.
// - Retention: offsets expire only while the group is Empty (or Dead), counted from the later of the commit and
//   the group's last state change once it had a generation, as Kafka's currentStateTimestamp.
import { ErrorCode } from "../../protocol/errors.ts";
import type { CommittedOffset } from "../../storage/group_store.ts";
import type { OffsetGroup } from "../offsets/contract.ts";
import { subscribedTopics } from "./consumer_protocol.ts";
import type { Clock } from "../clock.ts";
import { Deadline, type DeadlineQueue } from "./deadlines.ts";

export type GroupState = "Empty" | "PreparingRebalance" | "CompletingRebalance" | "Stable" | "Dead";

/** Kafka's allowed predecessor states, checked on every transition so a bug shows up as an error, not drift. */
const VALID_PREVIOUS: Record<GroupState, readonly GroupState[]> = {
  Empty: ["PreparingRebalance"],
  PreparingRebalance: ["Stable", "CompletingRebalance", "Empty"],
  CompletingRebalance: ["PreparingRebalance"],
  Stable: ["CompletingRebalance"],
  Dead: ["Stable", "PreparingRebalance", "CompletingRebalance", "Empty", "Dead"],
};

export interface Protocol {
  readonly name: string;
  readonly metadata: Uint8Array;
}

export interface JoinResult {
  readonly errorCode: number;
  readonly generationId: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly leader: string;
  readonly memberId: string;
  readonly skipAssignment: boolean;
  readonly members: { memberId: string; groupInstanceId: string | null; metadata: Uint8Array }[];
}

export interface SyncResult {
  readonly errorCode: number;
  readonly assignment: Uint8Array;
}

export class Member {
  protocols: readonly Protocol[];
  assignment: Uint8Array = EMPTY;
  /** Set while the member waits in JoinGroup for the rebalance to complete. */
  awaitingJoin: ((r: JoinResult) => void) | null = null;
  /** Set while the member waits in SyncGroup for the leader's assignment. */
  awaitingSync: ((r: SyncResult) => void) | null = null;
  /** A new member gets a longer grace period until its first join completes (Kafka's new-member timeout). */
  isNew = false;
  /** The session deadline (Kafka's DelayedHeartbeat), queued while the member is in a group (Group.add). */
  readonly session = new Deadline();

  constructor(
    public memberId: string,
    readonly groupInstanceId: string | null,
    public clientId: string,
    public clientHost: string,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    readonly protocolType: string,
    protocols: readonly Protocol[],
  ) {
    this.protocols = protocols;
  }

  get isStatic(): boolean {
    return this.groupInstanceId !== null;
  }

  metadataFor(protocol: string): Uint8Array {
    return this.protocols.find((p) => p.name === protocol)?.metadata ?? EMPTY;
  }

  /** Same protocol names and metadata bytes, in the same order. */
  matches(protocols: readonly Protocol[]): boolean {
    if (protocols.length !== this.protocols.length) return false;
    for (let i = 0; i < protocols.length; i++) {
      const a = protocols[i], b = this.protocols[i];
      if (a.name !== b.name || !bytesEqual(a.metadata, b.metadata)) return false;
    }
    return true;
  }
}

export const EMPTY = new Uint8Array(0);

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** What a group needs from its coordinator (ClassicGroups) to keep its deadlines. */
export interface GroupTimers {
  readonly clock: Clock;
  readonly deadlines: DeadlineQueue;
  /** A member's session deadline passed (membership.ts decides what that means). */
  sessionExpired(group: Group, m: Member): void;
  /** A MEMBER_ID_REQUIRED id was not used within its session timeout. */
  pendingExpired(group: Group, memberId: string): void;
}

export class Group implements OffsetGroup {
  state: GroupState = "Empty";
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  readonly members = new Map<string, Member>();
  /**
   * Member ids handed out with MEMBER_ID_REQUIRED that have not joined yet (v4+ two-step join), each with the
   * deadline (its session timeout) by which it must join.
   */
  private readonly pending = new Map<string, Deadline>();
  /** group.instance.id -> member id */
  readonly staticMembers = new Map<string, string>();
  /** Time the state last changed (for offset retention of empty groups and DescribeGroups). */
  stateTimestamp: number;
  /** The rebalance deadline (DelayedJoin / InitialDelayedJoin) while PreparingRebalance. */
  readonly joinDeadline = new Deadline();
  /** Members given a JoinGroup answer that have not sent SyncGroup yet (Kafka's pending sync members). */
  readonly pendingSync = new Set<string>();
  /** By when the pending-sync members must sync (the rebalance timeout after the join completed: DelayedSync). */
  readonly syncDeadline = new Deadline();
  /** When the current rebalance started (metrics, benchmark). */
  rebalanceStartedAt = 0;
  /** Clock.monotonic() of the latest JoinGroup, for the rebalance-time figure. */
  lastJoinAt = 0;
  /** group.initial.rebalance.delay.ms runs (joinDeadline): a starting group's join does not complete before. */
  inInitialDelay = false;
  /** Topics the members subscribe to (consumer protocol), for OffsetDelete's GROUP_SUBSCRIBED_TO_TOPIC. */
  subscribedTopics: Set<string> | null = null;

  private readonly clock: Clock;
  private readonly deadlines: DeadlineQueue;

  constructor(readonly groupId: string, private readonly timers: GroupTimers) {
    this.clock = timers.clock;
    this.deadlines = timers.deadlines;
    this.stateTimestamp = this.clock.now();
  }

  is(s: GroupState): boolean {
    return this.state === s;
  }

  transitionTo(next: GroupState): void {
    if (!VALID_PREVIOUS[next].includes(this.state)) {
      throw new Error(`group ${this.groupId}: illegal transition ${this.state} -> ${next}`);
    }
    this.state = next;
    this.stateTimestamp = this.clock.now();
  }

  has(memberId: string): boolean {
    return this.members.has(memberId);
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  /** The member currently registered for a static instance id, if any. */
  staticMemberId(instanceId: string | null): string | undefined {
    return instanceId === null ? undefined : this.staticMembers.get(instanceId);
  }

  /** A static member id that no longer owns its instance id has been replaced: FENCED_INSTANCE_ID. */
  isStaticMemberFenced(memberId: string, instanceId: string | null): boolean {
    if (instanceId === null) return false;
    const current = this.staticMembers.get(instanceId);
    return current !== undefined && current !== memberId;
  }

  /** Adds a member whose session ends `sessionMs` from now unless something pushes it (touch). */
  add(member: Member, sessionMs: number): void {
    if (this.members.size === 0) this.protocolType = member.protocolType;
    this.members.set(member.memberId, member);
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
    if (this.leaderId === null) this.leaderId = member.memberId;
    this.deadlines.after(member.session, sessionMs, () => this.timers.sessionExpired(this, member));
  }

  /**
   * A sign of life (heartbeat, commit, a JoinGroup or SyncGroup answered): the member's session now ends
   * `ms` (its session timeout) from now.
   */
  touch(m: Member, ms = m.sessionTimeoutMs): void {
    if (this.members.get(m.memberId) === m) this.deadlines.after(m.session, ms);
  }

  /** Removes a member with its session deadline. */
  remove(memberId: string): Member | undefined {
    const m = this.members.get(memberId);
    if (!m) return undefined;
    this.members.delete(memberId);
    this.deadlines.cancel(m.session);
    this.pendingSync.delete(memberId);
    if (m.groupInstanceId !== null && this.staticMembers.get(m.groupInstanceId) === memberId) {
      this.staticMembers.delete(m.groupInstanceId);
    }
    if (this.leaderId === memberId) {
      this.leaderId = this.members.size > 0 ? this.members.keys().next().value! : null;
    }
    return m;
  }

  /** A static member rejoining with a new member id takes over the old member's slot and assignment. */
  replaceStaticMember(instanceId: string, oldId: string, newId: string): Member {
    const m = this.members.get(oldId)!;
    this.members.delete(oldId);
    m.memberId = newId;
    this.members.set(newId, m);
    this.staticMembers.set(instanceId, newId);
    if (this.leaderId === oldId) this.leaderId = newId;
    if (this.pendingSync.delete(oldId)) this.pendingSync.add(newId);
    return m;
  }

  // ---------------------------------------------------------------- MEMBER_ID_REQUIRED ids

  /** Hands out a member id that must join within `sessionMs` (KIP-394), or is forgotten. */
  addPending(memberId: string, sessionMs: number): void {
    const d = new Deadline(() => this.timers.pendingExpired(this, memberId));
    this.pending.set(memberId, d);
    this.deadlines.after(d, sessionMs);
  }

  isPending(memberId: string): boolean {
    return this.pending.has(memberId);
  }

  /** Forgets a pending id (it joined, left, or expired); false if it was not pending. */
  removePending(memberId: string): boolean {
    const d = this.pending.get(memberId);
    if (d === undefined) return false;
    this.deadlines.cancel(d);
    this.pending.delete(memberId);
    return true;
  }

  clearPending(): void {
    for (const d of this.pending.values()) this.deadlines.cancel(d);
    this.pending.clear();
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Every deadline of the group leaves the queue (the group is unloaded, deleted or forgotten). */
  cancelDeadlines(): void {
    for (const m of this.members.values()) this.deadlines.cancel(m.session);
    this.clearPending();
    this.deadlines.cancel(this.joinDeadline);
    this.deadlines.cancel(this.syncDeadline);
    this.pendingSync.clear();
  }

  /** Whether a joining member's protocols can coexist with the group's (same type, a common protocol). */
  supportsProtocols(protocolType: string, names: readonly string[]): boolean {
    if (this.members.size === 0) return protocolType !== "" && names.length > 0;
    if (protocolType !== this.protocolType) return false;
    const candidates = this.candidateProtocols();
    return names.some((n) => candidates.has(n));
  }

  /** Protocols every member supports. */
  candidateProtocols(): Set<string> {
    let common: Set<string> | null = null;
    for (const m of this.members.values()) {
      const names = new Set<string>(m.protocols.map((p) => p.name));
      if (common === null) common = names;
      else for (const n of [...common]) if (!names.has(n)) common.delete(n);
    }
    return common ?? new Set<string>();
  }

  /** Kafka's vote: each member votes for its most preferred candidate; the most votes wins (ties: first seen). */
  selectProtocol(): string {
    const candidates = this.candidateProtocols();
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const choice = m.protocols.find((p) => candidates.has(p.name));
      if (choice) votes.set(choice.name, (votes.get(choice.name) ?? 0) + 1);
    }
    let best = "";
    let bestVotes = -1;
    for (const [name, n] of votes) {
      if (n > bestVotes) {
        best = name;
        bestVotes = n;
      }
    }
    return best;
  }

  allMembersJoined(): boolean {
    if (this.pending.size > 0) return false;
    for (const m of this.members.values()) if (m.awaitingJoin === null) return false;
    return true;
  }

  maxRebalanceTimeoutMs(): number {
    let t = 0;
    for (const m of this.members.values()) t = Math.max(t, m.rebalanceTimeoutMs);
    return t;
  }

  /** Reads the topics of the members' "consumer" subscriptions (null for other protocol types). */
  refreshSubscribedTopics(): void {
    if (this.protocolType !== "consumer" || this.protocolName === null) {
      this.subscribedTopics = null;
      return;
    }
    const topics = new Set<string>();
    for (const m of this.members.values()) {
      for (const t of subscribedTopics(m.metadataFor(this.protocolName))) topics.add(t);
    }
    this.subscribedTopics = topics;
  }

  /** DeleteGroups: only a group without members can go. */
  validateDeleteGroup(): number {
    return this.is("Empty") || this.is("Dead") ? ErrorCode.NONE : ErrorCode.NON_EMPTY_GROUP;
  }

  // ---------------------------------------------------------------- committed offsets (OffsetGroup)

  validateOffsetCommit(
    memberId: string,
    groupInstanceId: string | null,
    generationId: number,
    _apiVersion: number,
  ): number {
    if (this.is("Dead")) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (this.isStaticMemberFenced(memberId, groupInstanceId)) return ErrorCode.FENCED_INSTANCE_ID;
    if (generationId < 0 && this.is("Empty")) return ErrorCode.NONE; // commit without membership
    const m = this.members.get(memberId);
    if (!m) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generationId !== this.generationId) return ErrorCode.ILLEGAL_GENERATION;
    if (this.is("CompletingRebalance")) return ErrorCode.REBALANCE_IN_PROGRESS;
    this.touch(m);
    return ErrorCode.NONE;
  }

  validateTxnOffsetCommit(memberId: string, groupInstanceId: string | null, generationId: number): number {
    if (this.is("Dead")) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (generationId < 0 && this.is("Empty")) return ErrorCode.NONE;
    if (generationId < 0 && memberId === "" && groupInstanceId === null) return ErrorCode.NONE;
    if (groupInstanceId !== null) {
      const current = this.staticMembers.get(groupInstanceId);
      if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (current !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
    }
    if (!this.members.has(memberId)) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generationId !== this.generationId) return ErrorCode.ILLEGAL_GENERATION;
    return ErrorCode.NONE;
  }

  validateOffsetDelete(): number {
    return this.members.size > 0 && this.protocolType !== "consumer"
      ? ErrorCode.NON_EMPTY_GROUP
      : ErrorCode.NONE;
  }

  isSubscribedToTopic(topic: string): boolean {
    return this.members.size > 0 && this.subscribedTopics?.has(topic) === true;
  }

  offsetExpirationBase(): ((o: CommittedOffset) => number) | null {
    if (!this.is("Empty") && !this.is("Dead")) return null;
    if (this.generationId > 0) return (o) => Math.max(this.stateTimestamp, o.commitTimestamp);
    return (o) => o.commitTimestamp;
  }

  isEmpty(): boolean {
    return this.members.size === 0;
  }
}
