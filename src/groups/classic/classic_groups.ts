// The classic groups of the coordinator (Kafka's "classic" group type): the entry points of JoinGroup, SyncGroup,
// Heartbeat and LeaveGroup (join.ts, membership.ts, rebalance.ts hold the rules), DescribeGroups' view, the
// groups' deadlines (deadlines.ts: sessions, MEMBER_ID_REQUIRED ids, join and sync deadlines, one timer for
// all), and the writes of group metadata to the GroupStore (persistence.ts). Groups are rebuilt from the store at
// start-up (in a distributed cluster: adopted when their `__consumer_offsets` partition is acquired, dropped with
// their deadlines when it is released); members are always identified by member id. Each entry point first fires
// the deadlines already due, so a late timer never lets a request see a member past its session. After close()
// every call answers COORDINATOR_NOT_AVAILABLE, no deadline is left, and members waiting in JoinGroup or
// SyncGroup are told so (to retry elsewhere).
import { ErrorCode, KafkaError } from "../../protocol/errors.ts";
import type { Logger } from "../../log.ts";
import type { GroupWrites, StoredGroup } from "../../storage/group_store.ts";
import { EMPTY, Group, type GroupState, type JoinResult, type Member, type SyncResult } from "./group.ts";
import { type ClassicEnv, type ClassicOptions, joinError } from "./rebalance.ts";
import { type JoinArgs, joinGroup } from "./join.ts";
import {
  heartbeat,
  leaveGroup,
  type LeaveResult,
  pendingExpired,
  sessionExpired,
  type SyncArgs,
  syncGroup,
} from "./membership.ts";
import { restore, snapshot } from "./persistence.ts";
import { DeadlineQueue } from "./deadlines.ts";
import { type Clock, REAL_CLOCK } from "../clock.ts";

/** DescribeGroups' view of a group: protocol, metadata and assignments only while Stable, as Kafka. */
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

export class ClassicGroups implements ClassicEnv {
  readonly groups = new Map<string, Group>();
  readonly clock: Clock;
  readonly deadlines: DeadlineQueue;
  private closed = false;
  /** Completed rebalances since start (metrics, benchmark). */
  rebalances = 0;
  /** Called when a rebalance completes (the group becomes Stable), with its duration in ms (metrics). */
  onRebalance: ((groupId: string, ms: number) => void) | null = null;

  constructor(
    private readonly store: GroupWrites,
    readonly opts: ClassicOptions,
    readonly log: Logger,
    /** Whether a group has committed offsets (a group that has some is not forgotten while Empty). */
    private readonly hasOffsets: (groupId: string) => boolean,
  ) {
    this.clock = opts.clock ?? REAL_CLOCK;
    this.deadlines = new DeadlineQueue(this.clock);
  }

  /** Takes the groups the store loaded (before any request); their members' sessions start now. */
  start(stored: ReadonlyMap<string, StoredGroup>): void {
    this.adopt(stored);
  }

  /** Takes groups read from the store (at start-up, or when their `__consumer_offsets` partition is acquired). */
  adopt(stored: ReadonlyMap<string, StoredGroup>): void {
    for (const sg of stored.values()) {
      // A group adopted again replaces the copy held (its deadlines go with it).
      this.groups.get(sg.groupId)?.cancelDeadlines();
      this.groups.set(sg.groupId, restore(sg, this));
    }
  }

  /**
   * Forgets groups another coordinator takes over (their `__consumer_offsets` partition was released): members
   * waiting in JoinGroup or SyncGroup are told NOT_COORDINATOR (to find the new one), rebalance timers stop, and
   * whatever still holds a group sees it Dead, so it completes nothing and stores nothing more.
   */
  drop(groupIds: Iterable<string>): void {
    for (const id of groupIds) {
      const g = this.groups.get(id);
      if (!g) continue;
      g.cancelDeadlines();
      for (const m of g.members.values()) {
        m.awaitingJoin?.(joinError(m.memberId, ErrorCode.NOT_COORDINATOR));
        m.awaitingJoin = null;
        m.awaitingSync?.({ errorCode: ErrorCode.NOT_COORDINATOR, assignment: EMPTY });
        m.awaitingSync = null;
      }
      g.state = "Dead";
      this.groups.delete(id);
    }
  }

  close(): void {
    this.closed = true;
    this.deadlines.close();
    for (const g of this.groups.values()) {
      for (const m of g.members.values()) {
        // Waiting members are told to retry elsewhere; their group state is already persisted.
        m.awaitingJoin?.(joinError(m.memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
        m.awaitingJoin = null;
        m.awaitingSync?.({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, assignment: EMPTY });
        m.awaitingSync = null;
      }
    }
  }

  join(a: JoinArgs): Promise<JoinResult> {
    if (this.closed) return Promise.resolve(joinError(a.memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
    this.deadlines.runDue();
    return joinGroup(this, a);
  }

  sync(a: SyncArgs): Promise<SyncResult> {
    if (this.closed) {
      return Promise.resolve({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, assignment: EMPTY });
    }
    this.deadlines.runDue();
    return syncGroup(this, a);
  }

  heartbeat(groupId: string, generationId: number, memberId: string, groupInstanceId: string | null): number {
    if (this.closed) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    this.deadlines.runDue();
    return heartbeat(this, groupId, generationId, memberId, groupInstanceId);
  }

  leave(
    groupId: string,
    members: readonly { memberId: string; groupInstanceId: string | null; reason: string | null }[],
  ): LeaveResult {
    if (this.closed) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    this.deadlines.runDue();
    return leaveGroup(this, groupId, members);
  }

  // ---------------------------------------------------------------- the group directory

  get(groupId: string): Group | undefined {
    this.deadlines.runDue();
    return this.groups.get(groupId);
  }

  /** An Empty group for commits without membership (simple consumers, admin tools). */
  createSimpleGroup(groupId: string): Group {
    const g = new Group(groupId, this);
    this.groups.set(groupId, g);
    return g;
  }

  /** Forgets a group (DeleteGroups, or its last offset expired); anything still holding it sees it Dead. */
  remove(groupId: string): void {
    const g = this.groups.get(groupId);
    if (!g) return;
    g.cancelDeadlines();
    g.state = "Dead";
    this.groups.delete(groupId);
  }

  /**
   * A group that never completed a generation and holds nothing — no member, no MEMBER_ID_REQUIRED id, no
   * committed offset — leaves no trace (a client that never came back for its id, a memberless commit that
   * stored nothing).
   */
  forgetIfUnused(group: Group): void {
    if (
      this.groups.get(group.groupId) === group && group.is("Empty") && group.generationId === 0 &&
      group.members.size === 0 && group.pendingCount === 0 && !this.hasOffsets(group.groupId)
    ) {
      this.remove(group.groupId);
    }
  }

  /** forgetIfUnused by id (the offsets module: a memberless commit stored nothing, or the last offset went). */
  forgetIfUnusedId(groupId: string): void {
    const g = this.groups.get(groupId);
    if (g !== undefined) this.forgetIfUnused(g);
  }

  // ---------------------------------------------------------------- admin views

  describe(groupId: string): GroupSummary {
    this.deadlines.runDue();
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
    this.deadlines.runDue();
    return [...this.groups.values()].map((g) => ({
      groupId: g.groupId,
      protocolType: g.protocolType ?? "",
      state: g.state,
    }));
  }

  // ---------------------------------------------------------------- ClassicEnv

  save(group: Group): Promise<void> {
    return this.store.saveGroup(snapshot(group));
  }

  persist(group: Group): void {
    this.save(group).catch((e) => {
      const args = { group: group.groupId, reason: String(e) };
      // A group whose coordinator moved is stored by the new one: not an error here.
      if (e instanceof KafkaError && e.code === ErrorCode.NOT_COORDINATOR) {
        this.log.info("not storing group {group}: {reason}", args);
      } else this.log.error("storing group {group} failed: {reason}", args);
    });
  }

  rebalanced(group: Group, ms: number): void {
    this.rebalances++;
    this.onRebalance?.(group.groupId, ms);
  }

  sessionExpired(group: Group, m: Member): void {
    sessionExpired(this, group, m);
  }

  pendingExpired(group: Group, memberId: string): void {
    pendingExpired(this, group, memberId);
  }
}
