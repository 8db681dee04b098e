// The group coordinator of Kafka's classic protocol: JoinGroup/SyncGroup/Heartbeat/LeaveGroup semantics,
// session and rebalance timeouts, static membership, and durable committed offsets. State lives in memory
// and is rebuilt at start-up from the GroupStore; members are always identified by member id.
import { ErrorCode } from "../protocol/errors.ts";
import type { Logger } from "../log.ts";
import {
  type CommittedOffset,
  type GroupStore,
  offsetKey,
  type StoredGroup,
  type StoredMember,
} from "../storage/group_store.ts";
import {
  EMPTY,
  Group,
  type GroupState,
  type JoinResult,
  Member,
  type Protocol,
  type SyncResult,
} from "./group.ts";
import { subscribedTopics } from "./consumer_protocol.ts";

export interface CoordinatorOptions {
  /** group.initial.rebalance.delay.ms */
  readonly initialRebalanceDelayMs: number;
  readonly minSessionTimeoutMs: number;
  readonly maxSessionTimeoutMs: number;
  /** group.max.size */
  readonly maxGroupSize: number;
  /** offsets.retention.minutes, in ms */
  readonly offsetsRetentionMs: number;
  readonly offsetsRetentionCheckIntervalMs: number;
  /** offset.metadata.max.bytes */
  readonly offsetMetadataMaxBytes: number;
}

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

export interface SyncArgs {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly assignments: readonly { memberId: string; assignment: Uint8Array }[];
}

export interface CommitArgs {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  /** v2-4 retention_time_ms; -1 = broker default. */
  readonly retentionTimeMs: number;
  readonly offsets: readonly {
    topic: string;
    partition: number;
    offset: number;
    leaderEpoch: number;
    metadata: string | null;
  }[];
}

export interface GroupSummary {
  readonly groupId: string;
  readonly state: GroupState;
  readonly protocolType: string;
  readonly protocolName: string;
  readonly generationId: number;
  readonly leaderId: string | null;
  readonly members: {
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    metadata: Uint8Array;
    assignment: Uint8Array;
  }[];
}

const HEARTBEAT_SWEEP_MS = 250;
/** Kafka's new-member join timeout: a member that joined but whose first rebalance has not completed. */
const NEW_MEMBER_JOIN_TIMEOUT_MS = 300_000;

function joinError(memberId: string, errorCode: number): JoinResult {
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

export class GroupCoordinator {
  private readonly groups = new Map<string, Group>();
  /** groupId -> offsetKey -> committed offset */
  private readonly offsets = new Map<string, Map<string, CommittedOffset>>();
  private sweepTimer: ReturnType<typeof setInterval> | null = null;
  private retentionTimer: ReturnType<typeof setInterval> | null = null;
  private closed = false;
  /** Completed rebalances since start (metrics, benchmark). */
  rebalances = 0;
  /** Called when a rebalance completes (the group becomes Stable), with its duration in ms (metrics). */
  onRebalance: ((groupId: string, ms: number) => void) | null = null;

  constructor(
    private readonly store: GroupStore,
    private readonly opts: CoordinatorOptions,
    private readonly log: Logger,
    /** Whether a topic partition exists (offset commits for unknown partitions are refused). */
    private readonly partitionExists: (topic: string, partition: number) => boolean,
  ) {}

  /** Rebuilds groups and offsets from the store and starts the timers. */
  async start(): Promise<void> {
    const state = await this.store.load();
    const now = Date.now();
    for (const [groupId, offs] of state.offsets) this.offsets.set(groupId, new Map(offs));
    for (const sg of state.groups.values()) {
      const g = new Group(sg.groupId);
      g.generationId = sg.generationId;
      g.protocolType = sg.protocolType;
      g.protocolName = sg.protocolName;
      if (sg.members.length > 0 && sg.protocolName !== null) {
        for (const sm of sg.members) {
          const m = new Member(
            sm.memberId,
            sm.groupInstanceId,
            sm.clientId,
            sm.clientHost,
            sm.rebalanceTimeoutMs,
            sm.sessionTimeoutMs,
            sg.protocolType ?? "",
            [{ name: sg.protocolName, metadata: sm.subscription }],
          );
          m.assignment = sm.assignment;
          m.heartbeatDeadline = now + sm.sessionTimeoutMs;
          g.add(m);
        }
        g.leaderId = sg.leaderId !== null && g.has(sg.leaderId) ? sg.leaderId : g.leaderId;
        // A group persisted with members resumes Stable: members keep heartbeating with their generation.
        g.state = "Stable";
        g.subscribedTopics = this.topicsOf(g);
      }
      g.stateTimestamp = sg.currentStateTimestamp;
      this.groups.set(g.groupId, g);
    }
    this.sweepTimer = setInterval(() => this.expireMembers(), HEARTBEAT_SWEEP_MS);
    this.retentionTimer = setInterval(
      () => this.expireOffsets().catch(() => {}),
      this.opts.offsetsRetentionCheckIntervalMs,
    );
    this.log.info("group coordinator loaded {groups} groups and offsets of {withOffsets} groups", {
      groups: this.groups.size,
      withOffsets: this.offsets.size,
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
    if (this.retentionTimer !== null) clearInterval(this.retentionTimer);
    for (const g of this.groups.values()) {
      if (g.joinTimer !== null) clearTimeout(g.joinTimer);
      for (const m of g.members.values()) {
        // Waiting members are told to retry elsewhere; their group state is already persisted.
        m.awaitingJoin?.(joinError(m.memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
        m.awaitingJoin = null;
        m.awaitingSync?.({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, assignment: EMPTY });
        m.awaitingSync = null;
      }
    }
    await this.store.close();
  }

  // ---------------------------------------------------------------- JoinGroup

  join(a: JoinArgs): Promise<JoinResult> {
    if (this.closed) return Promise.resolve(joinError(a.memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (a.groupId === "") return Promise.resolve(joinError(a.memberId, ErrorCode.INVALID_GROUP_ID));
    if (
      a.sessionTimeoutMs < this.opts.minSessionTimeoutMs || a.sessionTimeoutMs > this.opts.maxSessionTimeoutMs
    ) {
      return Promise.resolve(joinError(a.memberId, ErrorCode.INVALID_SESSION_TIMEOUT));
    }
    if (a.protocolType === "" || a.protocols.length === 0) {
      return Promise.resolve(joinError(a.memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    // Request bytes are views into network buffers: keep copies, not the buffers, for the group's lifetime.
    a = { ...a, protocols: a.protocols.map((p) => ({ name: p.name, metadata: p.metadata.slice() })) };
    let group = this.groups.get(a.groupId);
    const unknownMember = a.memberId === "";
    if (group) group.lastJoinAt = performance.now();
    if (!group) {
      if (!unknownMember) return Promise.resolve(joinError(a.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
      group = new Group(a.groupId);
      group.lastJoinAt = performance.now();
      this.groups.set(a.groupId, group);
    }
    if (group.is("Dead")) return Promise.resolve(joinError(a.memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
    const isKnown = group.has(a.memberId) || group.pendingMembers.has(a.memberId);
    if (!isKnown && group.members.size + group.pendingMembers.size >= this.opts.maxGroupSize) {
      const replacing = a.groupInstanceId !== null && group.staticMembers.has(a.groupInstanceId);
      if (!replacing) return Promise.resolve(joinError(a.memberId, ErrorCode.GROUP_MAX_SIZE_REACHED));
    }
    if (!group.supportsProtocols(a.protocolType, a.protocols.map((p) => p.name))) {
      return Promise.resolve(joinError(a.memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    return unknownMember ? this.joinUnknown(group, a) : this.joinKnown(group, a);
  }

  private newMemberId(clientId: string): string {
    return `${clientId}-${crypto.randomUUID()}`;
  }

  private joinUnknown(group: Group, a: JoinArgs): Promise<JoinResult> {
    const memberId = this.newMemberId(a.clientId);
    if (a.groupInstanceId !== null) {
      const oldId = group.staticMemberId(a.groupInstanceId);
      if (oldId !== undefined) return this.rejoinStatic(group, a, oldId, memberId);
      return this.addMemberAndRebalance(group, a, memberId);
    }
    if (a.requireKnownMemberId) {
      // KIP-394: hand out the id first, so a client that retries after a lost response is not a new member.
      group.pendingMembers.set(memberId, Date.now() + a.sessionTimeoutMs);
      return Promise.resolve(joinError(memberId, ErrorCode.MEMBER_ID_REQUIRED));
    }
    return this.addMemberAndRebalance(group, a, memberId);
  }

  /** A static member came back with a new member id: it takes over the old slot (fencing the old id). */
  private rejoinStatic(group: Group, a: JoinArgs, oldId: string, newId: string): Promise<JoinResult> {
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
    m.heartbeatDeadline = Date.now() + a.sessionTimeoutMs;
    this.log.info("static member {instance} of group {group} rejoined as {member}", {
      instance: a.groupInstanceId,
      group: group.groupId,
      member: newId,
    });
    if (group.is("Stable") && group.protocolName !== null && m.matches(a.protocols)) {
      // Same subscription: no rebalance; the member resumes with its assignment (returned by SyncGroup).
      this.persistGroup(group);
      const isLeader = group.isLeader(newId);
      return Promise.resolve({
        errorCode: ErrorCode.NONE,
        generationId: group.generationId,
        protocolType: group.protocolType,
        protocolName: group.protocolName,
        leader: group.leaderId ?? "",
        memberId: newId,
        skipAssignment: isLeader,
        members: isLeader ? this.memberList(group) : [],
      });
    }
    m.protocols = a.protocols;
    return this.updateMemberAndRebalance(group, m, a);
  }

  private joinKnown(group: Group, a: JoinArgs): Promise<JoinResult> {
    if (group.isStaticMemberFenced(a.memberId, a.groupInstanceId)) {
      return Promise.resolve(joinError(a.memberId, ErrorCode.FENCED_INSTANCE_ID));
    }
    if (group.pendingMembers.has(a.memberId)) {
      group.pendingMembers.delete(a.memberId);
      return this.addMemberAndRebalance(group, a, a.memberId);
    }
    const m = group.members.get(a.memberId);
    if (!m) return Promise.resolve(joinError(a.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    m.clientId = a.clientId;
    m.clientHost = a.clientHost;
    m.sessionTimeoutMs = a.sessionTimeoutMs;
    m.rebalanceTimeoutMs = a.rebalanceTimeoutMs;
    switch (group.state) {
      case "PreparingRebalance":
        return this.updateMemberAndRebalance(group, m, a);
      case "CompletingRebalance":
        if (m.matches(a.protocols)) {
          // The member lost the JoinGroup response: give it again.
          return Promise.resolve(this.joinResponseFor(group, m));
        }
        return this.updateMemberAndRebalance(group, m, a);
      case "Stable":
        if (group.isLeader(m.memberId) || !m.matches(a.protocols)) {
          return this.updateMemberAndRebalance(group, m, a);
        }
        return Promise.resolve(this.joinResponseFor(group, m));
      default:
        return Promise.resolve(joinError(a.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    }
  }

  private addMemberAndRebalance(group: Group, a: JoinArgs, memberId: string): Promise<JoinResult> {
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
    m.heartbeatDeadline = Date.now() + NEW_MEMBER_JOIN_TIMEOUT_MS;
    group.add(m);
    const p = new Promise<JoinResult>((resolve) => m.awaitingJoin = resolve);
    this.log.debug("member {member} joins group {group} ({state})", {
      member: memberId,
      group: group.groupId,
      state: group.state,
    });
    if (group.is("PreparingRebalance")) this.tryCompleteJoin(group);
    else this.prepareRebalance(group, `member ${memberId} joined`);
    return p;
  }

  private updateMemberAndRebalance(group: Group, m: Member, a: JoinArgs): Promise<JoinResult> {
    m.protocols = a.protocols;
    const p = new Promise<JoinResult>((resolve) => {
      // A second JoinGroup from the same member replaces the first; the first is answered so it does not hang.
      m.awaitingJoin?.(joinError(m.memberId, ErrorCode.REBALANCE_IN_PROGRESS));
      m.awaitingJoin = resolve;
    });
    if (group.is("PreparingRebalance")) this.tryCompleteJoin(group);
    else this.prepareRebalance(group, `member ${m.memberId} rejoined${a.reason ? `: ${a.reason}` : ""}`);
    return p;
  }

  private prepareRebalance(group: Group, reason: string): void {
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
    group.rebalanceStartedAt = performance.now();
    this.log.info("preparing to rebalance group {group} in generation {gen}: {reason}", {
      group: group.groupId,
      gen: group.generationId,
      reason,
    });
    if (group.joinTimer !== null) clearTimeout(group.joinTimer);
    const rebalanceTimeout = group.maxRebalanceTimeoutMs();
    if (wasEmpty && this.opts.initialRebalanceDelayMs > 0) {
      // InitialDelayedJoin: give the other members of a starting group a moment to arrive.
      const delay = Math.min(this.opts.initialRebalanceDelayMs, rebalanceTimeout);
      group.initialDelayUntil = Date.now() + delay;
      group.joinTimer = setTimeout(() => {
        group.joinTimer = null;
        group.initialDelayUntil = 0;
        if (!group.is("PreparingRebalance")) return;
        if (group.allMembersJoined()) this.completeJoin(group);
        else {
          group.joinTimer = setTimeout(
            () => this.forceCompleteJoin(group),
            Math.max(0, rebalanceTimeout - delay),
          );
        }
      }, delay);
      return;
    }
    group.initialDelayUntil = 0;
    group.joinTimer = setTimeout(() => this.forceCompleteJoin(group), rebalanceTimeout);
    this.tryCompleteJoin(group);
  }

  private tryCompleteJoin(group: Group): void {
    if (!group.is("PreparingRebalance")) return;
    if (group.initialDelayUntil > Date.now()) return; // the initial-delay timer completes it
    if (group.allMembersJoined()) this.completeJoin(group);
  }

  private forceCompleteJoin(group: Group): void {
    group.joinTimer = null;
    if (group.is("PreparingRebalance")) this.completeJoin(group);
  }

  private completeJoin(group: Group): void {
    if (group.joinTimer !== null) {
      clearTimeout(group.joinTimer);
      group.joinTimer = null;
    }
    // Members that did not rejoin within the rebalance timeout are out, static ones included.
    for (const m of [...group.members.values()]) {
      if (m.awaitingJoin === null) {
        this.log.info("removing member {member} from group {group}: it did not rejoin in time", {
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
      this.log.info("group {group} is empty in generation {gen}", {
        group: group.groupId,
        gen: group.generationId,
      });
      this.persistGroup(group);
      return;
    }
    group.protocolName = group.selectProtocol();
    group.subscribedTopics = this.topicsOf(group);
    group.transitionTo("CompletingRebalance");
    const now = Date.now();
    for (const m of group.members.values()) {
      const resolve = m.awaitingJoin!;
      m.awaitingJoin = null;
      m.isNew = false;
      m.heartbeatDeadline = now + m.sessionTimeoutMs;
      resolve(this.joinResponseFor(group, m));
    }
    this.log.info("group {group} generation {gen}: {n} members, protocol {protocol}, leader {leader}", {
      group: group.groupId,
      gen: group.generationId,
      n: group.members.size,
      protocol: group.protocolName,
      leader: group.leaderId,
    });
  }

  private memberList(group: Group): JoinResult["members"] {
    return [...group.members.values()].map((x) => ({
      memberId: x.memberId,
      groupInstanceId: x.groupInstanceId,
      metadata: x.metadataFor(group.protocolName!),
    }));
  }

  private joinResponseFor(group: Group, m: Member): JoinResult {
    const isLeader = group.isLeader(m.memberId);
    return {
      errorCode: ErrorCode.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? "",
      memberId: m.memberId,
      skipAssignment: false,
      members: isLeader ? this.memberList(group) : [],
    };
  }

  private topicsOf(group: Group): Set<string> | null {
    if (group.protocolType !== "consumer" || group.protocolName === null) return null;
    const topics = new Set<string>();
    for (const m of group.members.values()) {
      for (const t of subscribedTopics(m.metadataFor(group.protocolName))) topics.add(t);
    }
    return topics;
  }

  // ---------------------------------------------------------------- SyncGroup

  sync(a: SyncArgs): Promise<SyncResult> {
    const fail = (errorCode: number) => Promise.resolve({ errorCode, assignment: EMPTY });
    if (this.closed) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    const group = this.groups.get(a.groupId);
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
        m.heartbeatDeadline = Date.now() + m.sessionTimeoutMs;
        return Promise.resolve({ errorCode: ErrorCode.NONE, assignment: m.assignment });
      case "CompletingRebalance": {
        const p = new Promise<SyncResult>((resolve) => {
          m.awaitingSync?.({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS, assignment: EMPTY });
          m.awaitingSync = resolve;
        });
        m.heartbeatDeadline = Date.now() + m.sessionTimeoutMs;
        if (group.isLeader(a.memberId)) this.completeSync(group, a.assignments);
        return p;
      }
      default:
        return fail(ErrorCode.UNKNOWN_MEMBER_ID);
    }
  }

  private completeSync(group: Group, assignments: SyncArgs["assignments"]): void {
    const byId = new Map(assignments.map((x) => [x.memberId, x.assignment.slice()]));
    for (const m of group.members.values()) m.assignment = byId.get(m.memberId) ?? EMPTY;
    const generation = group.generationId;
    // The assignment is stored before anyone is told, so a restart cannot hand out a different one.
    this.store.saveGroup(this.snapshot(group)).then(() => {
      if (!group.is("CompletingRebalance") || group.generationId !== generation) return;
      group.transitionTo("Stable");
      for (const m of group.members.values()) {
        const resolve = m.awaitingSync;
        m.awaitingSync = null;
        resolve?.({ errorCode: ErrorCode.NONE, assignment: m.assignment });
      }
      const now = performance.now();
      this.rebalances++;
      this.onRebalance?.(group.groupId, now - group.rebalanceStartedAt);
      this.log.info(
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
      this.log.error("storing group {group} failed: {reason}", { group: group.groupId, reason: String(e) });
      if (!group.is("CompletingRebalance") || group.generationId !== generation) return;
      for (const m of group.members.values()) {
        m.awaitingSync?.({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, assignment: EMPTY });
        m.awaitingSync = null;
      }
      this.prepareRebalance(group, "storing the assignment failed");
    });
  }

  // ---------------------------------------------------------------- Heartbeat / LeaveGroup

  heartbeat(groupId: string, generationId: number, memberId: string, groupInstanceId: string | null): number {
    if (this.closed) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const group = this.groups.get(groupId);
    if (!group || group.is("Dead") || group.is("Empty")) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (group.isStaticMemberFenced(memberId, groupInstanceId)) return ErrorCode.FENCED_INSTANCE_ID;
    const m = group.members.get(memberId);
    if (!m) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    m.heartbeatDeadline = Date.now() + m.sessionTimeoutMs;
    return group.is("PreparingRebalance") ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE;
  }

  leave(
    groupId: string,
    members: readonly { memberId: string; groupInstanceId: string | null; reason: string | null }[],
  ): {
    errorCode: number;
    members: { memberId: string; groupInstanceId: string | null; errorCode: number }[];
  } {
    if (this.closed) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    const group = this.groups.get(groupId);
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
      this.removeMember(group, memberId, `left the group${x.reason ? `: ${x.reason}` : ""}`);
      return { ...x, errorCode: ErrorCode.NONE };
    });
    return { errorCode: ErrorCode.NONE, members: results };
  }

  private removeMember(group: Group, memberId: string, why: string): void {
    const m = group.remove(memberId);
    if (!m) return;
    this.log.info("member {member} removed from group {group}: {why}", {
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
        this.prepareRebalance(group, `member ${memberId} ${why}`);
        break;
      case "PreparingRebalance":
        this.tryCompleteJoin(group);
        break;
    }
  }

  /** Session-timeout expiry, swept periodically. Waiting members are kept alive, as Kafka does. */
  private expireMembers(): void {
    const now = Date.now();
    for (const group of this.groups.values()) {
      for (const [id, deadline] of group.pendingMembers) {
        if (deadline <= now) {
          group.pendingMembers.delete(id);
          if (group.is("PreparingRebalance")) this.tryCompleteJoin(group);
        }
      }
      for (const m of [...group.members.values()]) {
        if (m.awaitingJoin !== null || m.awaitingSync !== null) continue;
        if (m.heartbeatDeadline <= now) {
          this.removeMember(group, m.memberId, `session timeout of ${m.sessionTimeoutMs} ms expired`);
        }
      }
      if (
        group.is("Empty") && group.members.size === 0 && group.pendingMembers.size === 0 &&
        group.generationId === 0 && !this.offsets.has(group.groupId)
      ) {
        // A group that never completed a generation and holds no offsets leaves no trace.
        this.groups.delete(group.groupId);
      }
    }
  }

  // ---------------------------------------------------------------- offsets

  async commit(a: CommitArgs): Promise<Map<string, number>> {
    const result = new Map<string, number>();
    const all = (code: number) => {
      for (const o of a.offsets) result.set(offsetKey(o.topic, o.partition), code);
      return result;
    };
    if (this.closed) return all(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (a.groupId === "") return all(ErrorCode.INVALID_GROUP_ID);
    let group = this.groups.get(a.groupId);
    if (!group) {
      if (a.generationId >= 0) return all(ErrorCode.ILLEGAL_GENERATION);
      // Simple consumers and admin tools commit without membership.
      group = new Group(a.groupId);
      this.groups.set(a.groupId, group);
    } else if (group.is("Dead")) return all(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    else if (group.isStaticMemberFenced(a.memberId, a.groupInstanceId)) {
      return all(ErrorCode.FENCED_INSTANCE_ID);
    } else if (a.generationId < 0 && group.is("Empty")) { /* commit without membership */ }
    else if (!group.has(a.memberId)) return all(ErrorCode.UNKNOWN_MEMBER_ID);
    else if (a.generationId !== group.generationId) return all(ErrorCode.ILLEGAL_GENERATION);
    // The member has its JoinGroup answer but not yet its assignment: let it finish the rebalance first.
    else if (group.is("CompletingRebalance")) return all(ErrorCode.REBALANCE_IN_PROGRESS);
    else {
      const m = group.members.get(a.memberId)!;
      m.heartbeatDeadline = Date.now() + m.sessionTimeoutMs;
    }

    const now = Date.now();
    const good: CommittedOffset[] = [];
    for (const o of a.offsets) {
      const k = offsetKey(o.topic, o.partition);
      if (
        o.metadata !== null && new TextEncoder().encode(o.metadata).length > this.opts.offsetMetadataMaxBytes
      ) {
        result.set(k, ErrorCode.OFFSET_METADATA_TOO_LARGE);
      } else if (!this.partitionExists(o.topic, o.partition)) {
        result.set(k, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      } else {
        good.push({
          topic: o.topic,
          partition: o.partition,
          offset: o.offset,
          leaderEpoch: o.leaderEpoch,
          metadata: o.metadata,
          commitTimestamp: now,
          expireTimestamp: a.retentionTimeMs >= 0 ? now + a.retentionTimeMs : -1,
        });
        result.set(k, ErrorCode.NONE);
      }
    }
    if (good.length > 0) {
      try {
        await this.store.commitOffsets(a.groupId, good);
      } catch (e) {
        this.log.error("storing offsets of group {group} failed: {reason}", {
          group: a.groupId,
          reason: String(e),
        });
        for (const o of good) {
          result.set(offsetKey(o.topic, o.partition), ErrorCode.COORDINATOR_NOT_AVAILABLE);
        }
        return result;
      }
      let m = this.offsets.get(a.groupId);
      if (!m) this.offsets.set(a.groupId, m = new Map());
      for (const o of good) m.set(offsetKey(o.topic, o.partition), o);
    }
    return result;
  }

  /** Committed offsets of a group (all of them when `partitions` is null). */
  fetchOffsets(
    groupId: string,
    partitions: readonly { topic: string; partition: number }[] | null,
  ): { topic: string; partition: number; offset: number; leaderEpoch: number; metadata: string | null }[] {
    const m = this.offsets.get(groupId);
    if (partitions === null) {
      return m ? [...m.values()].map((o) => ({ ...o })) : [];
    }
    return partitions.map((p) => {
      const o = m?.get(offsetKey(p.topic, p.partition));
      return o
        ? {
          topic: p.topic,
          partition: p.partition,
          offset: o.offset,
          leaderEpoch: o.leaderEpoch,
          metadata: o.metadata,
        }
        : { topic: p.topic, partition: p.partition, offset: -1, leaderEpoch: -1, metadata: "" };
    });
  }

  /** Drops offsets of a deleted topic from every group. */
  async topicDeleted(topic: string): Promise<void> {
    for (const [groupId, m] of this.offsets) {
      const gone = [...m.values()].filter((o) => o.topic === topic);
      if (gone.length === 0) continue;
      for (const o of gone) m.delete(offsetKey(o.topic, o.partition));
      if (m.size === 0) this.offsets.delete(groupId);
      await this.store.deleteOffsets(groupId, gone.map((o) => ({ topic: o.topic, partition: o.partition })));
    }
  }

  /** offsets.retention.minutes: offsets of groups that stay empty (or have no members) expire. */
  async expireOffsets(now = Date.now()): Promise<number> {
    let expired = 0;
    for (const [groupId, m] of [...this.offsets]) {
      const group = this.groups.get(groupId);
      if (group && !group.is("Empty") && !group.is("Dead")) continue;
      const gone: CommittedOffset[] = [];
      for (const o of m.values()) {
        const base = group && group.generationId > 0
          ? Math.max(group.stateTimestamp, o.commitTimestamp)
          : o.commitTimestamp;
        const expiry = o.expireTimestamp >= 0 ? o.expireTimestamp : base + this.opts.offsetsRetentionMs;
        if (expiry <= now) gone.push(o);
      }
      if (gone.length === 0) continue;
      for (const o of gone) m.delete(offsetKey(o.topic, o.partition));
      expired += gone.length;
      if (m.size === 0) {
        this.offsets.delete(groupId);
        if (!group || group.members.size === 0) {
          this.groups.delete(groupId);
          await this.store.deleteGroup(groupId);
          continue;
        }
      }
      await this.store.deleteOffsets(groupId, gone.map((o) => ({ topic: o.topic, partition: o.partition })));
    }
    if (expired > 0) this.log.info("expired {n} committed offsets", { n: expired });
    return expired;
  }

  // ---------------------------------------------------------------- admin

  describe(groupId: string): GroupSummary {
    const g = this.groups.get(groupId);
    if (!g) {
      return {
        groupId,
        state: "Dead",
        protocolType: "",
        protocolName: "",
        generationId: -1,
        leaderId: null,
        members: [],
      };
    }
    const stable = g.is("Stable");
    return {
      groupId,
      state: g.state,
      protocolType: g.protocolType ?? "",
      protocolName: stable ? g.protocolName ?? "" : "",
      generationId: g.generationId,
      leaderId: g.leaderId,
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: stable && g.protocolName !== null ? m.metadataFor(g.protocolName) : EMPTY,
        assignment: stable ? m.assignment : EMPTY,
      })),
    };
  }

  list(): { groupId: string; protocolType: string; state: GroupState }[] {
    const out: { groupId: string; protocolType: string; state: GroupState }[] = [];
    const seen = new Set<string>();
    for (const g of this.groups.values()) {
      seen.add(g.groupId);
      out.push({ groupId: g.groupId, protocolType: g.protocolType ?? "", state: g.state });
    }
    // Groups known only by committed offsets (simple consumers) are listed as Empty, as Kafka does.
    for (const id of this.offsets.keys()) {
      if (!seen.has(id)) out.push({ groupId: id, protocolType: "", state: "Empty" });
    }
    return out;
  }

  async deleteGroup(groupId: string): Promise<number> {
    if (groupId === "") return ErrorCode.INVALID_GROUP_ID;
    const g = this.groups.get(groupId);
    if (!g && !this.offsets.has(groupId)) return ErrorCode.GROUP_ID_NOT_FOUND;
    if (g && !g.is("Empty") && !g.is("Dead")) return ErrorCode.NON_EMPTY_GROUP;
    if (g) {
      g.state = "Dead";
      this.groups.delete(groupId);
    }
    this.offsets.delete(groupId);
    await this.store.deleteGroup(groupId);
    this.log.info("deleted group {group}", { group: groupId });
    return ErrorCode.NONE;
  }

  /** OffsetDelete: top-level error code and a code per partition. */
  async deleteOffsets(
    groupId: string,
    partitions: readonly { topic: string; partition: number }[],
  ): Promise<{ errorCode: number; partitions: Map<string, number> }> {
    const codes = new Map<string, number>();
    const g = this.groups.get(groupId);
    if (groupId === "") return { errorCode: ErrorCode.INVALID_GROUP_ID, partitions: codes };
    if (!g && !this.offsets.has(groupId)) {
      return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, partitions: codes };
    }
    if (g && g.members.size > 0 && g.protocolType !== "consumer") {
      return { errorCode: ErrorCode.NON_EMPTY_GROUP, partitions: codes };
    }
    const m = this.offsets.get(groupId);
    const gone: { topic: string; partition: number }[] = [];
    for (const p of partitions) {
      const k = offsetKey(p.topic, p.partition);
      if (g && g.members.size > 0 && g.subscribedTopics?.has(p.topic)) {
        codes.set(k, ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC);
        continue;
      }
      codes.set(k, ErrorCode.NONE);
      if (m?.delete(k)) gone.push(p);
    }
    if (m && m.size === 0) this.offsets.delete(groupId);
    if (gone.length > 0) await this.store.deleteOffsets(groupId, gone);
    return { errorCode: ErrorCode.NONE, partitions: codes };
  }

  // ---------------------------------------------------------------- persistence

  private snapshot(group: Group): StoredGroup {
    const members: StoredMember[] = [...group.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      rebalanceTimeoutMs: m.rebalanceTimeoutMs,
      sessionTimeoutMs: m.sessionTimeoutMs,
      subscription: group.protocolName !== null ? m.metadataFor(group.protocolName) : EMPTY,
      assignment: m.assignment,
    }));
    return {
      groupId: group.groupId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      generationId: group.generationId,
      leaderId: group.leaderId,
      currentStateTimestamp: group.stateTimestamp,
      members,
    };
  }

  private persistGroup(group: Group): void {
    this.store.saveGroup(this.snapshot(group)).catch((e) =>
      this.log.error("storing group {group} failed: {reason}", { group: group.groupId, reason: String(e) })
    );
  }

  /** For tests and metrics. */
  groupState(groupId: string): GroupState | undefined {
    return this.groups.get(groupId)?.state;
  }
}
