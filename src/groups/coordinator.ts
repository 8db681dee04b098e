// The group coordinator: one entry point for the group and offset APIs, routing each to the module that owns it
// — the classic protocol (classic/: JoinGroup, SyncGroup, Heartbeat, LeaveGroup, DescribeGroups) and committed
// offsets (offsets/: OffsetCommit, OffsetFetch, OffsetDelete, retention) — and answering what spans both
// (ListGroups, DeleteGroups, start-up and shutdown). It is also the offsets module's group directory: a group id
// belongs to one kind (classic, or KIP-848 consumer/). State lives in memory and is rebuilt from the GroupStore,
// which the coordinator closes. Which `__consumer_offsets` partitions it serves, their loading, fencing and release
// are the coordinator runtime's (src/coordinator/runtime.ts): a solo gateway loads all of it at start-up into one
// whole shard; in a distributed cluster the coordinator is a cluster Participant with a shard per partition it
// acquired (loaded fresh then, loader.ts), forgets a partition's groups on release, and writes only under an
// active shard (fenced_store.ts).
// Transactions: TxnOffsetCommit keeps offsets pending per (group, producer id) (offsets/txn_offsets.ts, durable in
// the DocumentStore, loaded with the partition's groups) until the transaction's marker reaches the group's
// `__consumer_offsets` partition: completeTransaction (TxnOffsetSink) commits them through the normal commit path,
// or drops them.
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import type { Logger } from "../log.ts";
import type { GroupStore, GroupWrites, LoadedGroupState } from "../storage/group_store.ts";
import { offsetKey } from "../storage/group_store.ts";
import type { DocumentStore } from "../storage/documents.ts";
import type { TxnOffsetSink } from "../transactions/contracts.ts";
import { partitionForGroup } from "../cluster/hash.ts";
import {
  type ClusterView,
  CONSUMER_OFFSETS_TOPIC,
  type Participant,
  type TopicPartitionRef,
} from "../cluster/view.ts";
import { CoordinatorRuntime, type RuntimeStats } from "../coordinator/runtime.ts";
import { FencedGroupStore, notCoordinator } from "./fenced_store.ts";
import { PartitionLoader } from "./loader.ts";
import { ClassicGroups, type GroupSummary } from "./classic/classic_groups.ts";
import type { GroupState, JoinResult, SyncResult } from "./classic/group.ts";
import type { JoinArgs } from "./classic/join.ts";
import type { LeaveResult, SyncArgs } from "./classic/membership.ts";
import { type ClassicOptions, joinError } from "./classic/rebalance.ts";
import { CommittedOffsets } from "./offsets/committed_offsets.ts";
import type {
  CommitArgs,
  FetchedOffset,
  OffsetGroupDirectory,
  OffsetsOptions,
  TopicPartition,
  TxnCommitArgs,
} from "./offsets/contract.ts";
import { type LoadedTxnOffsets, TransactionalOffsets } from "./offsets/txn_offsets.ts";
import { type TxnCommitEnv, txnOffsetCommit } from "./offsets/txn_commit.ts";
import { MemoryDocuments } from "../storage/documents.ts";
import { type ConsumerGroupOptions, ConsumerGroups, heartbeatFailure } from "./consumer/consumer_groups.ts";
import type {
  ConsumerGroupDescription,
  ConsumerHeartbeatArgs,
  ConsumerHeartbeatResult,
  GroupType,
  TopicsView,
} from "./consumer/contract.ts";
import { ShareGroups } from "./share/share_groups.ts";
import { isShareGroupRecord } from "./share/persistence.ts";
import type {
  ShareGroupDescription,
  ShareGroupOptions,
  ShareHeartbeatArgs,
  ShareHeartbeatResult,
} from "./share/contract.ts";
import { shareHeartbeatFailure } from "./share/share_groups.ts";

/** The consumer group (KIP-848) settings: Kafka's defaults where absent (tests). */
export type ConsumerSettings = Partial<ConsumerGroupOptions> & {
  /** The topic metadata consumer groups assign from (the storage's); none when absent (tests). */
  readonly topics?: TopicsView;
  /** Share groups (KIP-932): their timings and size; Kafka's defaults where absent (tests). */
  readonly share?: ShareGroupOptions;
};

/** Kafka's group.share.* defaults. */
const SHARE_DEFAULTS: ShareGroupOptions = {
  sessionTimeoutMs: () => 45_000,
  heartbeatIntervalMs: () => 5_000,
  maxSize: 200,
};

/** Splits loaded group records into consumer groups' and share groups' (one GroupStore map holds both). */
function splitRecords(records: ReadonlyMap<string, Uint8Array>): {
  consumer: Map<string, Uint8Array>;
  share: Map<string, Uint8Array>;
} {
  const consumer = new Map<string, Uint8Array>();
  const share = new Map<string, Uint8Array>();
  for (const [id, bytes] of records) (isShareGroupRecord(bytes) ? share : consumer).set(id, bytes);
  return { consumer, share };
}

export type CoordinatorOptions = ClassicOptions & OffsetsOptions & ConsumerSettings;

const NO_TOPICS: TopicsView = { byName: () => undefined, byId: () => undefined, names: () => [] };

/**
 * A view derived from the group state (the `__consumer_offsets` topic, offsets_topic/view.ts): it sees every store
 * write (and shows those that succeed) and is told what was loaded, to repair itself against it.
 */
export interface GroupStateMirror {
  wrap(writes: GroupWrites): GroupWrites;
  /** The state of these `__consumer_offsets` partitions ("all": a solo coordinator's) was loaded. */
  loaded(partitions: readonly number[] | "all", state: LoadedGroupState): void;
  /** This coordinator no longer holds the partition. */
  released(partition: number): void;
  /** The coordinator closed (its store too): shows the last writes, bounded, before the storage closes. */
  close(): Promise<void>;
}

/** Kafka's default offsets.topic.num.partitions: the placement of a coordinator built without a cluster. */
const DEFAULT_OFFSETS_PARTITIONS = 50;

/** How long a release waits for the released groups' store writes still in flight. */
const RELEASE_WRITES_MS = 5_000;

export class GroupCoordinator implements Participant, TxnOffsetSink {
  private readonly classic: ClassicGroups;
  /** KIP-848 consumer groups (and the classic members of mixed groups). */
  private readonly consumer: ConsumerGroups;
  /** KIP-932 share groups. */
  private readonly share: ShareGroups;
  private readonly offsets: CommittedOffsets;
  /** Offsets of TxnOffsetCommit waiting for their transaction's marker. */
  private readonly txn: TransactionalOffsets;
  /** The `__consumer_offsets` partition of a group id. */
  private readonly partitionOf: (groupId: string) => number;
  private readonly txnEnv: TxnCommitEnv;
  /** The partitions served (a whole shard for a solo gateway), their loads and fenced writes. */
  private readonly runtime: CoordinatorRuntime;
  /** Reads acquired partitions' groups (distributed); null for a solo gateway (SoloCluster, or no cluster). */
  private readonly loader: PartitionLoader | null;
  private closed = false;

  constructor(
    private readonly store: GroupStore,
    opts: CoordinatorOptions,
    private readonly log: Logger,
    /** Whether a topic partition exists (offset commits for unknown partitions are refused). */
    partitionExists: (topic: string, partition: number) => boolean,
    /** The cluster; absent or not distributed: this coordinator holds every group (and loads all at start). */
    cluster?: ClusterView,
    private readonly mirror?: GroupStateMirror,
    /**
     * Where pending transactional offsets are kept (storage.documents()); absent: in this process only (tests),
     * so a restart loses them.
     */
    documents?: DocumentStore,
  ) {
    this.partitionOf = cluster !== undefined
      ? (groupId) => cluster.coordinatorPartition(groupId)
      : (groupId) => partitionForGroup(groupId, DEFAULT_OFFSETS_PARTITIONS);
    const distributed = cluster?.distributed ?? false;
    this.runtime = new CoordinatorRuntime({
      serving: distributed && cluster !== undefined
        ? (partition) => cluster.servingEpoch(CONSUMER_OFFSETS_TOPIC, partition) !== null
        : undefined,
      releaseWaitMs: RELEASE_WRITES_MS,
    });
    this.loader = distributed ? new PartitionLoader(store, this.partitionOf) : null;
    let writes: GroupWrites = new FencedGroupStore(store, this.runtime, this.partitionOf);
    if (mirror !== undefined) writes = mirror.wrap(writes);
    this.txn = new TransactionalOffsets(
      documents ?? new MemoryDocuments(),
      this.partitionOf,
      (partition, write) => this.runtime.write(partition, `${CONSUMER_OFFSETS_TOPIC}-${partition}`, write),
      log,
    );
    // A group with pending transactional offsets is not forgotten as unused (Kafka created it for the commit).
    this.classic = new ClassicGroups(
      writes,
      opts,
      log,
      (groupId) => this.offsets.has(groupId) || this.txn.hasGroup(groupId),
    );
    this.consumer = new ConsumerGroups(
      writes,
      {
        consumerSessionTimeoutMs: opts.consumerSessionTimeoutMs ?? 45_000,
        consumerHeartbeatIntervalMs: opts.consumerHeartbeatIntervalMs ?? 5_000,
        consumerMaxSize: opts.consumerMaxSize ?? 2_147_483_647,
        consumerAssignors: opts.consumerAssignors ?? ["uniform", "range"],
        migrationPolicy: opts.migrationPolicy ?? "bidirectional",
        maxGroupSize: opts.maxGroupSize,
        perGroup: opts.perGroup,
      },
      log,
      opts.topics ?? NO_TOPICS,
      this.classic,
    );
    this.share = new ShareGroups(
      writes,
      opts.share ?? SHARE_DEFAULTS,
      log,
      opts.topics ?? NO_TOPICS,
      this.classic.clock,
      this.classic.deadlines,
      (groupId) =>
        this.consumer.get(groupId) !== undefined || this.classic.get(groupId) !== undefined ||
        this.offsets.has(groupId) || this.txn.hasGroup(groupId),
    );
    // A group id is one kind: a consumer group, or else a classic (or simple) group. (A share group commits no
    // offsets: the handlers refuse it before the offsets module sees it.)
    const directory: OffsetGroupDirectory = {
      holds: (groupId) => this.holds(groupId),
      group: (groupId) => this.consumer.get(groupId) ?? this.classic.get(groupId),
      createSimpleGroup: (groupId) => this.classic.createSimpleGroup(groupId),
      removeGroup: (groupId) => this.classic.remove(groupId),
      forgetIfUnused: (groupId) => this.classic.forgetIfUnusedId(groupId),
    };
    this.offsets = new CommittedOffsets(writes, opts, log, partitionExists, directory, this.txn);
    this.txnEnv = {
      offsets: this.offsets,
      pending: this.txn,
      groups: directory,
      log,
      partitionOf: this.partitionOf,
      placement: (partition) =>
        this.closed
          ? ErrorCode.COORDINATOR_NOT_AVAILABLE
          : this.loadingPartition(partition)
          ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS
          : this.coordinatesPartition(partition)
          ? ErrorCode.NONE
          : ErrorCode.NOT_COORDINATOR,
    };
  }

  /** The partitions held, their loads and fenced writes (metrics). */
  runtimeStats(): RuntimeStats {
    return this.runtime.stats();
  }

  /** Completed rebalances since start (metrics, benchmark). */
  get rebalances(): number {
    return this.classic.rebalances + this.consumer.rebalances + this.share.rebalances;
  }

  /** Called when a rebalance completes (the group becomes Stable), with its duration in ms (metrics). */
  get onRebalance(): ((groupId: string, ms: number) => void) | null {
    return this.classic.onRebalance;
  }

  set onRebalance(f: ((groupId: string, ms: number) => void) | null) {
    this.classic.onRebalance = f;
  }

  /**
   * Starts the timers; a solo coordinator first rebuilds every group and offset from the store. A distributed one
   * loads nothing here: groups arrive with the `__consumer_offsets` partitions it acquires.
   */
  async start(): Promise<void> {
    if (this.loader !== null) {
      this.offsets.start(new Map());
      this.classic.start(new Map());
      this.log.info("group coordinator started: groups load as this gateway acquires {topic} partitions", {
        topic: CONSUMER_OFFSETS_TOPIC,
      });
      return;
    }
    let state!: LoadedGroupState, pending!: LoadedTxnOffsets[];
    const shard = await this.runtime.loadWhole({
      read: () => Promise.all([this.store.load(), this.txn.read(null)]),
      adopt: (loaded) => {
        [state, pending] = loaded;
        this.txn.adopt(pending);
        this.offsets.start(state.offsets);
        this.classic.start(state.groups);
        this.adoptModern(state.consumerGroups);
        this.mirror?.loaded("all", state);
      },
    });
    if (shard === null) return; // closed while loading
    this.log.info(
      "group coordinator loaded {groups} groups ({consumer} consumer groups), offsets of {withOffsets} groups and " +
        "{txns} pending transactional offset commits",
      {
        groups: this.classic.groups.size + this.consumer.groups.size,
        consumer: this.consumer.groups.size,
        withOffsets: this.offsets.groupCount,
        txns: pending.length,
      },
    );
  }

  // ---------------------------------------------------------------- Participant (distributed cluster)

  /**
   * This gateway becomes the coordinator of a `__consumer_offsets` partition: its groups and their committed
   * offsets are read from the store (fresh: what the previous coordinator wrote up to its release) and held until
   * release. Other topics are not the coordinator's concern; a partition already held only takes the new epoch.
   */
  async acquire(tp: TopicPartitionRef, leaderEpoch: number): Promise<void> {
    const loader = this.loader;
    if (loader === null || tp.topic !== CONSUMER_OFFSETS_TOPIC || this.closed) return;
    const started = performance.now();
    let state!: LoadedGroupState, pending!: LoadedTxnOffsets[];
    const shard = await this.runtime.load(tp.partition, leaderEpoch, {
      read: () => Promise.all([loader.read(tp.partition), this.txn.read(tp.partition)]),
      adopt: (loaded) => {
        [state, pending] = loaded;
        this.classic.adopt(state.groups);
        this.adoptModern(state.consumerGroups);
        this.offsets.adopt(state.offsets);
        this.txn.adopt(pending);
        this.mirror?.loaded([tp.partition], state);
      },
    });
    // Already held (only the epoch changed), or released (or acquired again) while loading.
    if (shard === null) return;
    // Start-up acquires every partition: only those with groups are worth a line at info.
    const level = state.groups.size + state.consumerGroups.size + state.offsets.size + pending.length > 0
      ? "info"
      : "debug";
    this.log[level](
      "coordinating {topic}-{partition} (epoch {epoch}): {groups} groups, offsets of {withOffsets} groups, " +
        "{txns} pending transactional offset commits, loaded in {ms} ms",
      {
        topic: CONSUMER_OFFSETS_TOPIC,
        partition: tp.partition,
        epoch: leaderEpoch,
        groups: state.groups.size + state.consumerGroups.size,
        withOffsets: state.offsets.size,
        txns: pending.length,
        ms: Math.round(performance.now() - started),
      },
    );
  }

  /**
   * This gateway stops coordinating a `__consumer_offsets` partition: its groups leave memory (members waiting in
   * JoinGroup or SyncGroup are told NOT_COORDINATOR, timers stop), nothing more is written for them, and the
   * release waits (bounded) for their writes in flight, so that the next coordinator reads them.
   */
  async release(tp: TopicPartitionRef): Promise<void> {
    if (this.loader === null || tp.topic !== CONSUMER_OFFSETS_TOPIC) return;
    const ids = new Set<string>();
    const released = await this.runtime.release(tp.partition, () => {
      this.mirror?.released(tp.partition);
      for (const id of this.classic.groups.keys()) if (this.partitionOf(id) === tp.partition) ids.add(id);
      for (const id of this.consumer.groups.keys()) if (this.partitionOf(id) === tp.partition) ids.add(id);
      for (const id of this.share.groups.keys()) if (this.partitionOf(id) === tp.partition) ids.add(id);
      for (const id of this.offsets.groupIds()) if (this.partitionOf(id) === tp.partition) ids.add(id);
      this.classic.drop(ids);
      this.consumer.drop(ids);
      this.share.drop(ids);
      this.offsets.drop(ids);
      this.txn.drop(tp.partition);
    });
    if (released === undefined || !released.wasActive) return;
    const { shard, left } = released;
    const args = {
      topic: CONSUMER_OFFSETS_TOPIC,
      partition: tp.partition,
      epoch: shard.epoch,
      groups: ids.size,
      left,
    };
    if (left > 0) {
      this.log.warn(
        "released {topic}-{partition} (epoch {epoch}, {groups} groups) with {left} writes still running",
        args,
      );
    } else if (ids.size > 0) {
      this.log.info("released {topic}-{partition} (epoch {epoch}, {groups} groups)", args);
    } else this.log.debug("released {topic}-{partition} (epoch {epoch}, no groups)", args);
  }

  /** Whether this coordinator holds the group (its shard is active). */
  private holds(groupId: string): boolean {
    return this.runtime.isActive(this.partitionOf(groupId));
  }

  /** A group id another coordinator holds (the empty id is left to each API's INVALID_GROUP_ID). */
  private elsewhere(groupId: string): boolean {
    return groupId !== "" && !this.holds(groupId);
  }

  /** Whether this gateway coordinates the `__consumer_offsets` partition now (active shard, served, lease fresh). */
  private coordinatesPartition(partition: number): boolean {
    return this.runtime.writable(partition) !== undefined;
  }

  /** Whether the partition's groups are being loaded (its acquire runs): COORDINATOR_LOAD_IN_PROGRESS. */
  private loadingPartition(partition: number): boolean {
    return this.runtime.isLoading(partition);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.consumer.close();
    this.share.close();
    this.classic.close();
    this.offsets.close();
    await this.runtime.close();
    await this.store.close();
    await this.mirror?.close();
  }

  // ---------------------------------------------------------------- classic protocol

  // A group this coordinator does not hold is answered NOT_COORDINATOR here too (the handlers ask the cluster
  // first): so no group of another coordinator's partition is ever created in memory, where no release would
  // find it.

  join(a: JoinArgs): Promise<JoinResult> {
    if (this.elsewhere(a.groupId)) return Promise.resolve(joinError(a.memberId, ErrorCode.NOT_COORDINATOR));
    if (this.isShare(a.groupId)) return Promise.resolve(joinError(a.memberId, ErrorCode.GROUP_ID_NOT_FOUND));
    // A consumer group takes classic members (mixed groups); its own module hands an empty one to the classic kind.
    if (this.consumer.get(a.groupId) !== undefined) return this.consumer.mixed.join(a);
    return this.classic.join(a);
  }

  sync(a: SyncArgs): Promise<SyncResult> {
    if (this.elsewhere(a.groupId)) {
      return Promise.resolve({ errorCode: ErrorCode.NOT_COORDINATOR, assignment: new Uint8Array(0) });
    }
    if (this.isShare(a.groupId)) {
      return Promise.resolve({ errorCode: ErrorCode.GROUP_ID_NOT_FOUND, assignment: new Uint8Array(0) });
    }
    if (this.consumer.get(a.groupId) !== undefined) return this.consumer.mixed.sync(a);
    return this.classic.sync(a);
  }

  heartbeat(groupId: string, generationId: number, memberId: string, groupInstanceId: string | null): number {
    if (this.elsewhere(groupId)) return ErrorCode.NOT_COORDINATOR;
    if (this.isShare(groupId)) return ErrorCode.GROUP_ID_NOT_FOUND;
    if (this.consumer.get(groupId) !== undefined) {
      return this.consumer.mixed.heartbeat(groupId, generationId, memberId, groupInstanceId);
    }
    return this.classic.heartbeat(groupId, generationId, memberId, groupInstanceId);
  }

  leave(
    groupId: string,
    members: readonly { memberId: string; groupInstanceId: string | null; reason: string | null }[],
  ): LeaveResult {
    if (this.elsewhere(groupId)) return { errorCode: ErrorCode.NOT_COORDINATOR, members: [] };
    if (this.isShare(groupId)) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, members: [] };
    if (this.consumer.get(groupId) !== undefined) return this.consumer.mixed.leave(groupId, members);
    return this.classic.leave(groupId, members);
  }

  // ---------------------------------------------------------------- consumer groups (KIP-848)

  /** ConsumerGroupHeartbeat: NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS first, then the group's rules. */
  consumerGroupHeartbeat(a: ConsumerHeartbeatArgs): Promise<ConsumerHeartbeatResult> {
    const refuse = (errorCode: number, errorMessage: string): Promise<ConsumerHeartbeatResult> =>
      Promise.resolve(heartbeatFailure(errorCode, errorMessage));
    if (this.closed) return refuse(ErrorCode.COORDINATOR_NOT_AVAILABLE, "the coordinator is closing");
    if (a.groupId !== "") {
      const partition = this.partitionOf(a.groupId);
      if (this.loadingPartition(partition)) {
        return refuse(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, "the group's partition is loading");
      }
      if (this.elsewhere(a.groupId)) {
        return refuse(ErrorCode.NOT_COORDINATOR, "this gateway does not coordinate it");
      }
    }
    if (this.isShare(a.groupId)) {
      return refuse(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${a.groupId} is not a consumer group.`);
    }
    return this.consumer.heartbeat(a);
  }

  /** ConsumerGroupDescribe: GROUP_ID_NOT_FOUND for an unknown or classic group. */
  describeConsumerGroup(groupId: string): ConsumerGroupDescription {
    return this.consumer.describe(groupId);
  }

  // ---------------------------------------------------------------- share groups (KIP-932)

  /** ShareGroupHeartbeat: NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS first, then the group's rules. */
  shareGroupHeartbeat(a: ShareHeartbeatArgs): Promise<ShareHeartbeatResult> {
    const refuse = (errorCode: number, errorMessage: string): Promise<ShareHeartbeatResult> =>
      Promise.resolve(shareHeartbeatFailure(errorCode, errorMessage));
    if (this.closed) return refuse(ErrorCode.COORDINATOR_NOT_AVAILABLE, "the coordinator is closing");
    if (a.groupId !== "") {
      if (this.loadingPartition(this.partitionOf(a.groupId))) {
        return refuse(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, "the group's partition is loading");
      }
      if (this.elsewhere(a.groupId)) {
        return refuse(ErrorCode.NOT_COORDINATOR, "this gateway does not coordinate it");
      }
    }
    return this.share.heartbeat(a);
  }

  /** ShareGroupDescribe: GROUP_ID_NOT_FOUND for an unknown group or another kind's. */
  describeShareGroup(groupId: string): ShareGroupDescription {
    return this.share.describe(groupId);
  }

  /**
   * AlterShareGroupOffsets (`mustExist` false) and DeleteShareGroupOffsets: whether the group's share-partition
   * states may change now (its coordinator is here and loaded, and the share group has no members).
   */
  shareOffsetsChangeable(
    groupId: string,
    mustExist: boolean,
  ): { errorCode: number; errorMessage: string | null } {
    const refuse = (errorCode: number, errorMessage: string) => ({ errorCode, errorMessage });
    if (this.closed) return refuse(ErrorCode.COORDINATOR_NOT_AVAILABLE, "the coordinator is closing");
    if (groupId === "") return refuse(ErrorCode.INVALID_GROUP_ID, "Group ID can't be empty.");
    if (this.loadingPartition(this.partitionOf(groupId))) {
      return refuse(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, "the group's partition is loading");
    }
    if (this.elsewhere(groupId)) {
      return refuse(ErrorCode.NOT_COORDINATOR, "this gateway does not coordinate it");
    }
    return this.share.offsetsChangeable(groupId, mustExist);
  }

  private isShare(groupId: string): boolean {
    return this.share.get(groupId) !== undefined;
  }

  /** The kind of a group this coordinator holds (ListGroups v5, DescribeGroups, ConsumerGroupDescribe). */
  groupType(groupId: string): GroupType | undefined {
    if (this.isShare(groupId)) return "share";
    if (this.consumer.get(groupId) !== undefined) return "consumer";
    if (this.classic.get(groupId) !== undefined || this.offsets.has(groupId)) return "classic";
    return undefined;
  }

  // ---------------------------------------------------------------- offsets

  commit(a: CommitArgs): Promise<Map<string, number>> {
    if (this.isShare(a.groupId) && !this.elsewhere(a.groupId)) {
      // Share groups keep no committed offsets (their progress is the share-partition state).
      return Promise.resolve(
        new Map(a.offsets.map((o) => [offsetKey(o.topic, o.partition), ErrorCode.GROUP_ID_NOT_FOUND])),
      );
    }
    return this.offsets.commit(a);
  }

  /** TxnOffsetCommit (offsets/txn_commit.ts): an error code per offsetKey of the request. */
  txnCommit(a: TxnCommitArgs): Promise<Map<string, number>> {
    return txnOffsetCommit(this.txnEnv, a);
  }

  /**
   * TxnOffsetSink: the marker of `producerId`'s transaction reached `__consumer_offsets` partition
   * `offsetsPartition`. COMMIT: its pending offsets in every group on the partition become committed offsets
   * (durable, shown in `__consumer_offsets`); ABORT: they are dropped. Their documents are deleted last, so a
   * crash in between repeats the (idempotent) completion. Throws KafkaError NOT_COORDINATOR when this gateway
   * does not coordinate the partition now (also while it is loading it).
   */
  async completeTransaction(offsetsPartition: number, producerId: number, commit: boolean): Promise<void> {
    const what = `${CONSUMER_OFFSETS_TOPIC}-${offsetsPartition}`;
    if (
      this.closed || this.loadingPartition(offsetsPartition) || !this.coordinatesPartition(offsetsPartition)
    ) {
      throw new KafkaError(ErrorCode.NOT_COORDINATOR, `${what} is not coordinated here now`);
    }
    const groups = await this.txn.complete(
      offsetsPartition,
      producerId,
      commit,
      (groupId, offsets) => this.offsets.applyTransactional(groupId, offsets),
    );
    for (const id of groups) this.forgetIfUnused(id);
    if (groups.length > 0) {
      this.log.debug("{outcome} transactional offsets of producer {producer} in groups {groups}", {
        outcome: commit ? "committed" : "aborted",
        producer: producerId,
        groups: groups.join(", "),
      });
    }
  }

  /**
   * Committed offsets of a group (all of them when `partitions` is null). A group held elsewhere throws
   * KafkaError NOT_COORDINATOR: answering "no offset" would send its consumers to auto.offset.reset.
   * `requireStable` (OffsetFetch v7+): a partition with a pending transactional offset answers
   * UNSTABLE_OFFSET_COMMIT (the row's errorCode).
   */
  fetchOffsets(
    groupId: string,
    partitions: readonly TopicPartition[] | null,
    requireStable = false,
    member?: { readonly memberId: string; readonly memberEpoch: number },
  ): FetchedOffset[] {
    if (this.elsewhere(groupId)) throw notCoordinator(groupId, "this gateway does not coordinate it");
    // OffsetFetch v9+: a consumer group member asking must be known, at its current epoch.
    const cg = member === undefined ? undefined : this.consumer.get(groupId);
    if (cg !== undefined && member !== undefined) {
      const code = cg.validateOffsetFetch(member.memberId, member.memberEpoch);
      if (code !== ErrorCode.NONE) {
        throw new KafkaError(
          code,
          `member ${member.memberId} at epoch ${member.memberEpoch} of group ${groupId}`,
        );
      }
    }
    return this.offsets.fetch(groupId, partitions, requireStable);
  }

  /** OffsetDelete: top-level error code and a code per partition; pending transactional offsets go too. */
  async deleteOffsets(
    groupId: string,
    partitions: readonly TopicPartition[],
  ): Promise<{ errorCode: number; partitions: Map<string, number> }> {
    const res = await this.offsets.delete(groupId, partitions);
    if (res.errorCode !== ErrorCode.NONE) return res;
    const gone = partitions.filter((p) =>
      res.partitions.get(offsetKey(p.topic, p.partition)) === ErrorCode.NONE
    );
    try {
      await this.txn.removeOffsets(groupId, gone);
    } catch (e) {
      if (e instanceof KafkaError && e.code === ErrorCode.NOT_COORDINATOR) {
        return { errorCode: e.code, partitions: new Map() };
      }
      throw e;
    }
    this.forgetIfUnused(groupId);
    return res;
  }

  /** Drops offsets (committed and pending) of a deleted topic from every group. */
  async topicDeleted(topic: string): Promise<void> {
    await this.offsets.topicDeleted(topic);
    for (const id of await this.txn.removeTopic(topic)) this.forgetIfUnused(id);
  }

  /** A group left with neither committed nor pending offsets is forgotten if nothing else keeps it. */
  private forgetIfUnused(groupId: string): void {
    this.classic.forgetIfUnusedId(groupId); // it asks whether offsets of either kind keep the group
  }

  /** offsets.retention.minutes: offsets of groups that stay empty (or have no members) expire. */
  expireOffsets(now?: number): Promise<number> {
    return this.offsets.expire(now);
  }

  // ---------------------------------------------------------------- admin

  describe(groupId: string): GroupSummary {
    return this.classic.describe(groupId);
  }

  list(): { groupId: string; protocolType: string; state: string; type: GroupType }[] {
    const out: { groupId: string; protocolType: string; state: string; type: GroupType }[] = this.classic
      .list()
      .map((g) => ({ ...g, type: "classic" as const }));
    for (const g of this.consumer.list()) out.push({ ...g, protocolType: "consumer", type: "consumer" });
    for (const g of this.share.list()) out.push({ ...g, protocolType: "share", type: "share" });
    const seen = new Set(out.map((g) => g.groupId));
    // Groups known only by committed (or pending transactional) offsets are listed as Empty, as Kafka does.
    for (const ids of [this.offsets.groupIds(), this.txn.groupIds()]) {
      for (const id of ids) {
        if (!seen.has(id)) out.push({ groupId: id, protocolType: "", state: "Empty", type: "classic" });
        seen.add(id);
      }
    }
    return out;
  }

  /** DeleteGroups: INVALID_GROUP_ID, GROUP_ID_NOT_FOUND, then the group's own rule (NON_EMPTY_GROUP). */
  async deleteGroup(groupId: string): Promise<number> {
    if (groupId === "") return ErrorCode.INVALID_GROUP_ID;
    if (this.elsewhere(groupId)) return ErrorCode.NOT_COORDINATOR;
    const g = this.classic.get(groupId);
    const cg = this.consumer.get(groupId);
    if (this.isShare(groupId)) {
      const code = this.share.deleteIfEmpty(groupId);
      return code !== ErrorCode.NONE ? code : await this.deleteStored(groupId);
    }
    if (!g && !cg && !this.offsets.has(groupId) && !this.txn.hasGroup(groupId)) {
      return ErrorCode.GROUP_ID_NOT_FOUND;
    }
    if (cg) {
      const code = this.consumer.deleteIfEmpty(groupId);
      if (code !== ErrorCode.NONE) return code;
    }
    if (g) {
      const code = g.validateDeleteGroup();
      if (code !== ErrorCode.NONE) return code;
      this.classic.remove(groupId);
    }
    return await this.deleteStored(groupId);
  }

  /**
   * Deletes what the store keeps of a group (its record, committed offsets) and its pending transactional offsets
   * (Kafka's DeleteGroups takes them: an Empty group is deleted whatever its open transactions; their markers later
   * find nothing). NOT_COORDINATOR when the group's partition moved meanwhile.
   */
  private async deleteStored(groupId: string): Promise<number> {
    try {
      await this.offsets.deleteGroup(groupId);
      await this.txn.removeGroup(groupId);
    } catch (e) {
      if (e instanceof KafkaError && e.code === ErrorCode.NOT_COORDINATOR) return e.code;
      throw e;
    }
    this.log.info("deleted group {group}", { group: groupId });
    return ErrorCode.NONE;
  }

  /** For tests and metrics. */
  groupState(groupId: string): GroupState | undefined {
    return this.classic.get(groupId)?.state;
  }

  /** Takes loaded consumer and share group records, each by its own kind. */
  private adoptModern(records: ReadonlyMap<string, Uint8Array>): void {
    const { consumer, share } = splitRecords(records);
    this.consumer.adopt(consumer);
    this.share.adopt(share);
  }

  /** A consumer group's state (tests, metrics). */
  consumerGroupState(groupId: string): string | undefined {
    return this.consumer.get(groupId)?.state;
  }
}
