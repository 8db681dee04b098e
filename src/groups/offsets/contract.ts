// The contract between the committed-offsets module (committed_offsets.ts) and the kinds of group that own
// offsets. As in Kafka's group coordinator (OffsetMetadataManager apart from the group types), offsets follow the
// same rules whatever keeps the group's membership: a classic group (JoinGroup/SyncGroup, src/groups/classic/),
// a KIP-848 consumer group (ConsumerGroupHeartbeat, later), or nothing at all — a "simple" group that exists
// through its offsets only (admin tools, consumers that assign partitions themselves).
//
// The offsets module owns: request-level checks (coordinator closed, empty group id), the per-partition checks
// (metadata size, unknown partition), pending commits (validated, on their way to the GroupStore, visible once
// durable), OffsetFetch and OffsetDelete answers, topic deletion, and retention (offsets.retention.minutes).
// A group kind answers, through OffsetGroup, only what depends on its membership:
// - validateOffsetCommit: generation (or member epoch) and member checks. Classic: FENCED_INSTANCE_ID,
//   UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS; a KIP-848 group: UNKNOWN_MEMBER_ID,
//   STALE_MEMBER_EPOCH, and UNSUPPORTED_VERSION for a consumer-protocol member below OffsetCommit v9.
// - validateTxnOffsetCommit: the same for TxnOffsetCommit v3+ (KIP-447), which Kafka checks more loosely: no
//   fields at all (generation -1, no member) passes whatever the state, and a rebalance does not refuse it.
// - validateOffsetDelete, isSubscribedToTopic: OffsetDelete's NON_EMPTY_GROUP and GROUP_SUBSCRIBED_TO_TOPIC.
// - offsetExpirationBase: whether the group's offsets may expire now and from which time they count.
// - isEmpty: a group without members goes when its last offset expires.
// The coordinator provides the OffsetGroupDirectory: whether it holds a group id at all (a distributed cluster
// places each group on one coordinator), which group (of any kind) owns a group id, and the simple
// group created by a memberless commit (generation/epoch < 0) to a group id nobody owns yet.
import type { CommittedOffset } from "../../storage/group_store.ts";
import type { Clock } from "../clock.ts";

export interface OffsetGroup {
  /**
   * OffsetCommit's membership rules: ErrorCode.NONE, or the code every partition of the request gets. An accepted
   * commit from a member counts as a sign of life (a classic member's session is refreshed).
   */
  validateOffsetCommit(
    memberId: string,
    groupInstanceId: string | null,
    generationIdOrMemberEpoch: number,
    apiVersion: number,
  ): number;
  /**
   * TxnOffsetCommit's membership rules (KIP-447): ErrorCode.NONE, or the code of every partition. Generation -1
   * without member id and instance id (clients before v3, producers without group metadata) is not checked.
   */
  validateTxnOffsetCommit(memberId: string, groupInstanceId: string | null, generationId: number): number;
  /** OffsetDelete's group-level rule: ErrorCode.NONE, or the top-level code. */
  validateOffsetDelete(): number;
  /** OffsetDelete keeps offsets of topics the active members consume (GROUP_SUBSCRIBED_TO_TOPIC). */
  isSubscribedToTopic(topic: string): boolean;
  /**
   * Retention: the time an offset's retention period counts from, or null while the group's offsets must not
   * expire (members are consuming). An explicit expiry (OffsetCommit v2-4 retention_time_ms) overrides it.
   */
  offsetExpirationBase(): ((o: CommittedOffset) => number) | null;
  /** Whether the group has no members (it is removed with its last offset). */
  isEmpty(): boolean;
}

export interface OffsetGroupDirectory {
  /**
   * Whether this coordinator holds the group id now: always in a solo gateway; in a distributed cluster only while
   * it holds the group's `__consumer_offsets` partition (otherwise NOT_COORDINATOR).
   */
  holds(groupId: string): boolean;
  /** The group that owns `groupId`, of whichever kind, if one exists. */
  group(groupId: string): OffsetGroup | undefined;
  /** A memberless commit (generation/epoch < 0) to an unknown group id creates an empty group for it. */
  createSimpleGroup(groupId: string): OffsetGroup;
  /** The last offset of a memberless group expired: the group is forgotten (the store drops it too). */
  removeGroup(groupId: string): void;
  /**
   * The group has no committed offsets (a memberless commit stored none, or OffsetDelete or a topic deletion took
   * the last): if nothing else keeps it (it never had members), it is forgotten.
   */
  forgetIfUnused(groupId: string): void;
}

export interface OffsetsOptions {
  /** offsets.retention.minutes, in ms */
  readonly offsetsRetentionMs: number;
  readonly offsetsRetentionCheckIntervalMs: number;
  /** offset.metadata.max.bytes */
  readonly offsetMetadataMaxBytes: number;
  /** Time source (commit timestamps, the retention timer); the real clock when absent. */
  readonly clock?: Clock;
}

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export interface CommitArgs {
  readonly groupId: string;
  /** The classic generation id or KIP-848 member epoch (OffsetCommit v1+), or -1 for a commit without membership. */
  readonly generationId: number;
  /**
   * The OffsetCommit version: v9+ is required of consumer-protocol members, and from v9 an unknown group with a
   * generation answers GROUP_ID_NOT_FOUND instead of ILLEGAL_GENERATION. Absent: the newest (internal callers).
   */
  readonly apiVersion?: number;
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

/** TxnOffsetCommit (v0-4): CommitArgs' offsets, pending in a producer's transaction. */
export interface TxnCommitArgs {
  readonly groupId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
  /** v3+ (KIP-447); -1, "" and null before. */
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly offsets: CommitArgs["offsets"];
  /**
   * KIP-890: asks the transaction coordinator whether the group's `__consumer_offsets` partition is in the
   * producer's ongoing transaction; rejects with the KafkaError every partition is answered with. Null: no check.
   */
  readonly verify: (() => Promise<void>) | null;
}

/** One row of OffsetFetch: offset -1, leader epoch -1 and metadata "" for a partition without a commit. */
export interface FetchedOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly leaderEpoch: number;
  readonly metadata: string | null;
  /** The partition's error (UNSTABLE_OFFSET_COMMIT with require_stable); absent: none. */
  readonly errorCode?: number;
}

/** What the committed offsets need to know of the pending transactional offsets (./txn_offsets.ts). */
export interface PendingTxnOffsets {
  /** A transaction has an offset pending for the group's partition. */
  isUnstable(groupId: string, topic: string, partition: number): boolean;
  /** A transaction has offsets pending in the group. */
  hasGroup(groupId: string): boolean;
}
