// The group coordinator: one entry point for the group and offset APIs, routing each to the module that owns it
// — the classic protocol (classic/: JoinGroup, SyncGroup, Heartbeat, LeaveGroup, DescribeGroups) and committed
// offsets (offsets/: OffsetCommit, OffsetFetch, OffsetDelete, retention) — and answering what spans both
// (ListGroups, DeleteGroups, start-up and shutdown). It is also the offsets module's group directory, the place
// a KIP-848 group kind will be added: a group id belongs to one kind. State lives in memory and is rebuilt at
// start-up from the GroupStore, which the coordinator opens and closes.
import { ErrorCode } from "../protocol/errors.ts";
import type { Logger } from "../log.ts";
import type { GroupStore } from "../storage/group_store.ts";
import { ClassicGroups, type GroupSummary } from "./classic/classic_groups.ts";
import type { GroupState, JoinResult, SyncResult } from "./classic/group.ts";
import type { JoinArgs } from "./classic/join.ts";
import type { LeaveResult, SyncArgs } from "./classic/membership.ts";
import type { ClassicOptions } from "./classic/rebalance.ts";
import { CommittedOffsets } from "./offsets/committed_offsets.ts";
import type { CommitArgs, FetchedOffset, OffsetsOptions, TopicPartition } from "./offsets/contract.ts";

export type CoordinatorOptions = ClassicOptions & OffsetsOptions;

export class GroupCoordinator {
  private readonly classic: ClassicGroups;
  private readonly offsets: CommittedOffsets;
  private closed = false;

  constructor(
    private readonly store: GroupStore,
    opts: CoordinatorOptions,
    private readonly log: Logger,
    /** Whether a topic partition exists (offset commits for unknown partitions are refused). */
    partitionExists: (topic: string, partition: number) => boolean,
  ) {
    this.classic = new ClassicGroups(store, opts, log, (groupId) => this.offsets.has(groupId));
    // Every group is classic for now; a KIP-848 kind would be looked up here by group id as well.
    this.offsets = new CommittedOffsets(store, opts, log, partitionExists, {
      group: (groupId) => this.classic.get(groupId),
      createSimpleGroup: (groupId) => this.classic.createSimpleGroup(groupId),
      removeGroup: (groupId) => this.classic.remove(groupId),
    });
  }

  /** Completed rebalances since start (metrics, benchmark). */
  get rebalances(): number {
    return this.classic.rebalances;
  }

  /** Called when a rebalance completes (the group becomes Stable), with its duration in ms (metrics). */
  get onRebalance(): ((groupId: string, ms: number) => void) | null {
    return this.classic.onRebalance;
  }

  set onRebalance(f: ((groupId: string, ms: number) => void) | null) {
    this.classic.onRebalance = f;
  }

  /** Rebuilds groups and offsets from the store and starts the timers. */
  async start(): Promise<void> {
    const state = await this.store.load();
    this.offsets.start(state.offsets);
    this.classic.start(state.groups);
    this.log.info("group coordinator loaded {groups} groups and offsets of {withOffsets} groups", {
      groups: this.classic.groups.size,
      withOffsets: this.offsets.groupCount,
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.classic.close();
    this.offsets.close();
    await this.store.close();
  }

  // ---------------------------------------------------------------- classic protocol

  join(a: JoinArgs): Promise<JoinResult> {
    return this.classic.join(a);
  }

  sync(a: SyncArgs): Promise<SyncResult> {
    return this.classic.sync(a);
  }

  heartbeat(groupId: string, generationId: number, memberId: string, groupInstanceId: string | null): number {
    return this.classic.heartbeat(groupId, generationId, memberId, groupInstanceId);
  }

  leave(
    groupId: string,
    members: readonly { memberId: string; groupInstanceId: string | null; reason: string | null }[],
  ): LeaveResult {
    return this.classic.leave(groupId, members);
  }

  // ---------------------------------------------------------------- offsets

  commit(a: CommitArgs): Promise<Map<string, number>> {
    return this.offsets.commit(a);
  }

  /** Committed offsets of a group (all of them when `partitions` is null). */
  fetchOffsets(groupId: string, partitions: readonly TopicPartition[] | null): FetchedOffset[] {
    return this.offsets.fetch(groupId, partitions);
  }

  /** OffsetDelete: top-level error code and a code per partition. */
  deleteOffsets(
    groupId: string,
    partitions: readonly TopicPartition[],
  ): Promise<{ errorCode: number; partitions: Map<string, number> }> {
    return this.offsets.delete(groupId, partitions);
  }

  /** Drops offsets of a deleted topic from every group. */
  topicDeleted(topic: string): Promise<void> {
    return this.offsets.topicDeleted(topic);
  }

  /** offsets.retention.minutes: offsets of groups that stay empty (or have no members) expire. */
  expireOffsets(now?: number): Promise<number> {
    return this.offsets.expire(now);
  }

  // ---------------------------------------------------------------- admin

  describe(groupId: string): GroupSummary {
    return this.classic.describe(groupId);
  }

  list(): { groupId: string; protocolType: string; state: GroupState }[] {
    const out = this.classic.list();
    const seen = new Set(out.map((g) => g.groupId));
    // Groups known only by committed offsets (simple consumers) are listed as Empty, as Kafka does.
    for (const id of this.offsets.groupIds()) {
      if (!seen.has(id)) out.push({ groupId: id, protocolType: "", state: "Empty" });
    }
    return out;
  }

  /** DeleteGroups: INVALID_GROUP_ID, GROUP_ID_NOT_FOUND, then the group's own rule (NON_EMPTY_GROUP). */
  async deleteGroup(groupId: string): Promise<number> {
    if (groupId === "") return ErrorCode.INVALID_GROUP_ID;
    const g = this.classic.get(groupId);
    if (!g && !this.offsets.has(groupId)) return ErrorCode.GROUP_ID_NOT_FOUND;
    if (g) {
      const code = g.validateDeleteGroup();
      if (code !== ErrorCode.NONE) return code;
      this.classic.remove(groupId);
    }
    await this.offsets.deleteGroup(groupId);
    this.log.info("deleted group {group}", { group: groupId });
    return ErrorCode.NONE;
  }

  /** For tests and metrics. */
  groupState(groupId: string): GroupState | undefined {
    return this.classic.get(groupId)?.state;
  }
}
