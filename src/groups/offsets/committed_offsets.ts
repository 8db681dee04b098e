// Committed offsets of every group, whatever kind of group owns them (the contract is in contract.ts): an
// in-memory cache over the GroupStore, rebuilt from it at start-up (in a distributed cluster: adopted per
// `__consumer_offsets` partition as this coordinator acquires it, dropped when it releases it).
//
// OffsetCommit (v0-9): checks in Kafka's order — coordinator closed (COORDINATOR_NOT_AVAILABLE), empty group id
// (INVALID_GROUP_ID), a group another coordinator holds (NOT_COORDINATOR), then the group: an unknown group id takes a memberless commit (generation < 0, a simple
// group is created) and refuses any other with ILLEGAL_GENERATION (Kafka answers GROUP_ID_NOT_FOUND from v9,
// for KIP-848 clients); a known group applies its own membership rules. Then per partition: metadata longer
// than offset.metadata.max.bytes (OFFSET_METADATA_TOO_LARGE), unknown topic or partition
// (UNKNOWN_TOPIC_OR_PARTITION). The accepted partitions form a pending commit: written to the store, and
// visible to OffsetFetch only once durable; a failed write answers COORDINATOR_NOT_AVAILABLE for them, a write
// refused because the group's coordinator moved answers NOT_COORDINATOR.
// TxnOffsetCommit's offsets wait apart, pending until their transaction's marker (./txn_offsets.ts); a COMMIT
// applies them here (applyTransactional: the later of a transactional and a plain commit wins, as Kafka keeps the
// later record).
// v2-4 retention_time_ms sets an explicit expiry; v1's per-partition commit timestamp is not used (the broker's
// clock is).
//
// OffsetFetch (v0-9): the committed offset, leader epoch and metadata of each asked partition, or -1/-1/"" for
// none; "all partitions" (topics null, v2+) lists the group's offsets as stored. Offsets are readable whatever
// the group's state, and a group id nobody knows has no offsets (no error). With require_stable (v7+) a partition
// with a pending transactional offset answers UNSTABLE_OFFSET_COMMIT (and -1/-1/"") instead, as Kafka does.
//
// OffsetDelete (v0): INVALID_GROUP_ID, GROUP_ID_NOT_FOUND (no group and no offsets), then the group's rules
// (NON_EMPTY_GROUP for a classic group with members of a protocol other than "consumer"), then per partition
// GROUP_SUBSCRIBED_TO_TOPIC while active members consume the topic; other partitions are deleted (NONE even
// without a committed offset).
//
// Retention (offsets.retention.minutes, checked every offsets.retention.check.interval.ms): offsets expire only
// while their group allows it (no members, as Kafka's empty groups), counted from the time the group decides,
// and not while a transactional offset of the partition is pending; a memberless group whose last offset expires
// is removed, from the store too, unless a transaction still has offsets pending in it. A deleted topic takes its
// offsets from every group.
import { ErrorCode, KafkaError } from "../../protocol/errors.ts";
import { OffsetCommitSpec } from "../../protocol/messages/offset_commit.ts";
import type { Logger } from "../../log.ts";
import { type CommittedOffset, type GroupWrites, offsetKey } from "../../storage/group_store.ts";
import type {
  CommitArgs,
  FetchedOffset,
  OffsetGroupDirectory,
  OffsetsOptions,
  PendingTxnOffsets,
  TopicPartition,
} from "./contract.ts";
import { type Clock, REAL_CLOCK, type Timer } from "../clock.ts";

/** A commit between validation and visibility: the code of every partition and the offsets to store. */
interface PendingCommit {
  readonly groupId: string;
  /** offsetKey -> error code */
  readonly codes: Map<string, number>;
  readonly offsets: CommittedOffset[];
}

const NO_PENDING: PendingTxnOffsets = { isUnstable: () => false, hasGroup: () => false };

export class CommittedOffsets {
  /** groupId -> offsetKey -> committed offset */
  private readonly byGroup = new Map<string, Map<string, CommittedOffset>>();
  private retentionTimer: Timer | null = null;
  private closed = false;
  private readonly clock: Clock;

  constructor(
    private readonly store: GroupWrites,
    private readonly opts: OffsetsOptions,
    private readonly log: Logger,
    /** Whether a topic partition exists (offset commits for unknown partitions are refused). */
    private readonly partitionExists: (topic: string, partition: number) => boolean,
    private readonly groups: OffsetGroupDirectory,
    /** Transactional offsets not committed yet (require_stable, retention, a group known only by them). */
    private readonly pendingTxn: PendingTxnOffsets = NO_PENDING,
  ) {
    this.clock = opts.clock ?? REAL_CLOCK;
  }

  /** The time commits are stamped with (the coordinator stamps transactional offsets with it too). */
  now(): number {
    return this.clock.now();
  }

  /** Takes the offsets the store loaded (before any request) and starts the retention timer. */
  start(loaded: ReadonlyMap<string, ReadonlyMap<string, CommittedOffset>>): void {
    this.adopt(loaded);
    this.retentionTimer = this.clock.setInterval(
      () => this.expire().catch(() => {}),
      this.opts.offsetsRetentionCheckIntervalMs,
    );
  }

  /** Takes offsets read from the store (at start-up, or when their `__consumer_offsets` partition is acquired). */
  adopt(loaded: ReadonlyMap<string, ReadonlyMap<string, CommittedOffset>>): void {
    for (const [groupId, offs] of loaded) this.byGroup.set(groupId, new Map(offs));
  }

  /** Forgets the offsets of groups another coordinator takes over (the store keeps them). */
  drop(groupIds: Iterable<string>): void {
    for (const id of groupIds) this.byGroup.delete(id);
  }

  /** Stops the retention timer; commits are refused from now on (the coordinator closes the store). */
  close(): void {
    this.closed = true;
    if (this.retentionTimer !== null) this.retentionTimer.cancel();
  }

  /** Whether the group has committed offsets (a group known only by them still exists for admin APIs). */
  has(groupId: string): boolean {
    return this.byGroup.has(groupId);
  }

  /** Group ids with committed offsets. */
  groupIds(): IterableIterator<string> {
    return this.byGroup.keys();
  }

  /** Number of groups with committed offsets. */
  get groupCount(): number {
    return this.byGroup.size;
  }

  // ---------------------------------------------------------------- OffsetCommit

  /** OffsetCommit: an error code per offsetKey of the request. */
  async commit(a: CommitArgs): Promise<Map<string, number>> {
    const pending = this.prepare(a);
    if (pending.offsets.length > 0) await this.write(pending);
    // A simple group created for a commit that stored nothing does not stay behind.
    if (!this.byGroup.has(a.groupId)) this.groups.forgetIfUnused(a.groupId);
    return pending.codes;
  }

  /** The checks, in order; the accepted partitions become the pending commit. */
  private prepare(a: CommitArgs): PendingCommit {
    const codes = new Map<string, number>();
    const refused = (code: number): PendingCommit => {
      for (const o of a.offsets) codes.set(offsetKey(o.topic, o.partition), code);
      return { groupId: a.groupId, codes, offsets: [] };
    };
    if (this.closed) return refused(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (a.groupId === "") return refused(ErrorCode.INVALID_GROUP_ID);
    if (!this.groups.holds(a.groupId)) return refused(ErrorCode.NOT_COORDINATOR);
    const group = this.groups.group(a.groupId);
    const apiVersion = a.apiVersion ?? OffsetCommitSpec.maxVersion;
    if (!group) {
      // As Kafka: v9+ names the problem (it fits both protocols); older versions keep ILLEGAL_GENERATION.
      if (a.generationId >= 0) {
        return refused(apiVersion >= 9 ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.ILLEGAL_GENERATION);
      }
      // Simple consumers and admin tools commit without membership.
      this.groups.createSimpleGroup(a.groupId);
    } else {
      const code = group.validateOffsetCommit(a.memberId, a.groupInstanceId, a.generationId, apiVersion);
      if (code !== ErrorCode.NONE) return refused(code);
    }

    const now = this.clock.now();
    const offsets: CommittedOffset[] = [];
    for (const o of a.offsets) {
      const k = offsetKey(o.topic, o.partition);
      if (!this.metadataFits(o.metadata)) {
        codes.set(k, ErrorCode.OFFSET_METADATA_TOO_LARGE);
      } else if (!this.partitionExists(o.topic, o.partition)) {
        codes.set(k, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      } else {
        offsets.push({
          topic: o.topic,
          partition: o.partition,
          offset: o.offset,
          leaderEpoch: o.leaderEpoch,
          metadata: o.metadata,
          commitTimestamp: now,
          expireTimestamp: a.retentionTimeMs >= 0 ? now + a.retentionTimeMs : -1,
        });
        codes.set(k, ErrorCode.NONE);
      }
    }
    return { groupId: a.groupId, codes, offsets };
  }

  /** offset.metadata.max.bytes (OFFSET_METADATA_TOO_LARGE beyond). */
  metadataFits(metadata: string | null): boolean {
    return metadata === null || new TextEncoder().encode(metadata).length <= this.opts.offsetMetadataMaxBytes;
  }

  /** Whether the topic partition exists (offsets of unknown partitions are refused). */
  partitionKnown(topic: string, partition: number): boolean {
    return this.partitionExists(topic, partition);
  }

  /** Stores a pending commit and, once durable, makes it visible. */
  private async write(p: PendingCommit): Promise<void> {
    try {
      await this.store.commitOffsets(p.groupId, p.offsets);
    } catch (e) {
      // NOT_COORDINATOR: the group moved to another coordinator (fenced_store.ts); the client commits there.
      const moved = e instanceof KafkaError && e.code === ErrorCode.NOT_COORDINATOR;
      const args = { group: p.groupId, reason: String(e) };
      if (moved) this.log.info("offsets of group {group} not stored: {reason}", args);
      else this.log.error("storing offsets of group {group} failed: {reason}", args);
      const code = moved ? ErrorCode.NOT_COORDINATOR : ErrorCode.COORDINATOR_NOT_AVAILABLE;
      for (const o of p.offsets) p.codes.set(offsetKey(o.topic, o.partition), code);
      return;
    }
    let m = this.byGroup.get(p.groupId);
    if (!m) this.byGroup.set(p.groupId, m = new Map());
    for (const o of p.offsets) m.set(offsetKey(o.topic, o.partition), o);
  }

  /**
   * A transaction committed: its offsets (stamped when TxnOffsetCommit took them) become committed offsets of the
   * group, durable in the store (and so in the `__consumer_offsets` view) before this resolves. An offset of a
   * partition that no longer exists is dropped; one a plain OffsetCommit replaced after the TxnOffsetCommit stays
   * replaced (Kafka keeps the later of the two records). Rejects with the store's error (KafkaError
   * NOT_COORDINATOR when the group moved): nothing is applied then, and the marker is retried.
   */
  async applyTransactional(groupId: string, offsets: readonly CommittedOffset[]): Promise<void> {
    if (this.closed) throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, "the coordinator is closed");
    const newer = (o: CommittedOffset) => {
      const cur = this.byGroup.get(groupId)?.get(offsetKey(o.topic, o.partition));
      return cur === undefined || cur.commitTimestamp <= o.commitTimestamp;
    };
    const winners = offsets.filter((o) => this.partitionExists(o.topic, o.partition) && newer(o));
    if (winners.length === 0) return;
    await this.store.commitOffsets(groupId, winners);
    let m = this.byGroup.get(groupId);
    if (!m) this.byGroup.set(groupId, m = new Map());
    for (const o of winners) if (newer(o)) m.set(offsetKey(o.topic, o.partition), o);
  }

  // ---------------------------------------------------------------- OffsetFetch

  /**
   * Committed offsets of a group (all of them when `partitions` is null). `requireStable`: a partition with a
   * pending transactional offset answers UNSTABLE_OFFSET_COMMIT instead.
   */
  fetch(
    groupId: string,
    partitions: readonly TopicPartition[] | null,
    requireStable = false,
  ): FetchedOffset[] {
    const m = this.byGroup.get(groupId);
    const unstable = (topic: string, partition: number): FetchedOffset | null =>
      requireStable && this.pendingTxn.isUnstable(groupId, topic, partition)
        ? {
          topic,
          partition,
          offset: -1,
          leaderEpoch: -1,
          metadata: "",
          errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT,
        }
        : null;
    if (partitions === null) {
      return m ? [...m.values()].map((o) => unstable(o.topic, o.partition) ?? { ...o }) : [];
    }
    return partitions.map((p) => {
      const u = unstable(p.topic, p.partition);
      if (u !== null) return u;
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

  // ---------------------------------------------------------------- OffsetDelete, deletions

  /** OffsetDelete: top-level error code and a code per partition. */
  async delete(
    groupId: string,
    partitions: readonly TopicPartition[],
  ): Promise<{ errorCode: number; partitions: Map<string, number> }> {
    const codes = new Map<string, number>();
    const g = this.groups.group(groupId);
    if (groupId === "") return { errorCode: ErrorCode.INVALID_GROUP_ID, partitions: codes };
    if (!this.groups.holds(groupId)) return { errorCode: ErrorCode.NOT_COORDINATOR, partitions: codes };
    if (!g && !this.byGroup.has(groupId) && !this.pendingTxn.hasGroup(groupId)) {
      return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, partitions: codes };
    }
    const groupCode = g ? g.validateOffsetDelete() : ErrorCode.NONE;
    if (groupCode !== ErrorCode.NONE) return { errorCode: groupCode, partitions: codes };
    const m = this.byGroup.get(groupId);
    const gone: TopicPartition[] = [];
    for (const p of partitions) {
      const k = offsetKey(p.topic, p.partition);
      if (g?.isSubscribedToTopic(p.topic)) {
        codes.set(k, ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC);
        continue;
      }
      codes.set(k, ErrorCode.NONE);
      if (m?.delete(k)) gone.push(p);
    }
    if (m && m.size === 0) {
      this.byGroup.delete(groupId);
      this.groups.forgetIfUnused(groupId);
    }
    if (gone.length > 0) {
      try {
        await this.store.deleteOffsets(groupId, gone);
      } catch (e) {
        // The group moved meanwhile: the client asks its new coordinator (which read the store afresh).
        if (e instanceof KafkaError && e.code === ErrorCode.NOT_COORDINATOR) {
          return { errorCode: e.code, partitions: new Map() };
        }
        throw e;
      }
    }
    return { errorCode: ErrorCode.NONE, partitions: codes };
  }

  /** DeleteGroups: the group's offsets go, and the store forgets the group with them. */
  async deleteGroup(groupId: string): Promise<void> {
    this.byGroup.delete(groupId);
    await this.store.deleteGroup(groupId);
  }

  /** Drops offsets of a deleted topic from every group. */
  async topicDeleted(topic: string): Promise<void> {
    for (const [groupId, m] of this.byGroup) {
      const gone = [...m.values()].filter((o) => o.topic === topic);
      if (gone.length === 0) continue;
      for (const o of gone) m.delete(offsetKey(o.topic, o.partition));
      if (m.size === 0) {
        this.byGroup.delete(groupId);
        this.groups.forgetIfUnused(groupId);
      }
      await this.store.deleteOffsets(groupId, gone.map((o) => ({ topic: o.topic, partition: o.partition })));
    }
  }

  // ---------------------------------------------------------------- retention

  /** offsets.retention.minutes: offsets of groups that stay empty (or have no members) expire. */
  async expire(now = this.clock.now()): Promise<number> {
    let expired = 0;
    for (const [groupId, m] of [...this.byGroup]) {
      const group = this.groups.group(groupId);
      // A group that does not exist (offsets only) counts from each commit.
      const base = group ? group.offsetExpirationBase() : (o: CommittedOffset) => o.commitTimestamp;
      if (base === null) continue;
      const gone: CommittedOffset[] = [];
      for (const o of m.values()) {
        const expiry = o.expireTimestamp >= 0 ? o.expireTimestamp : base(o) + this.opts.offsetsRetentionMs;
        // A transaction about to commit this partition's offset keeps the current one (Kafka does not expire it).
        if (expiry <= now && !this.pendingTxn.isUnstable(groupId, o.topic, o.partition)) gone.push(o);
      }
      if (gone.length === 0) continue;
      for (const o of gone) m.delete(offsetKey(o.topic, o.partition));
      expired += gone.length;
      if (m.size === 0) {
        this.byGroup.delete(groupId);
        if ((!group || group.isEmpty()) && !this.pendingTxn.hasGroup(groupId)) {
          this.groups.removeGroup(groupId);
          await this.store.deleteGroup(groupId);
          continue;
        }
      }
      await this.store.deleteOffsets(groupId, gone.map((o) => ({ topic: o.topic, partition: o.partition })));
    }
    if (expired > 0) this.log.info("expired {n} committed offsets", { n: expired });
    return expired;
  }
}
