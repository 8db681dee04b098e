// The seams of the KIP-848 consumer group kind (ConsumerGroupHeartbeat, `group.protocol=consumer`). The group
// logic (group.ts, consumer_groups.ts) uses three pure parts through these types only, so each is tested alone:
// - server assignors (assignors/): the target assignment of every member from subscriptions and topic metadata;
// - reconciliation (reconcile.ts): one member's next state from its target, what it owns and what others still
//   own — a partition is never owned by two members at once (revoke before assign);
// - subscription regular expressions (regex.ts): KIP-848's RE2 syntax, evaluated the same way or refused.
// Topics are named by topic id inside the group (as the heartbeat's assignments are): a topic deleted and created
// again under its name is another topic. TopicsView is the topic metadata the group reads (the storage's).
//
// Durable state: a group writes its whole state (persistence.ts, opaque bytes to the store) through
// GroupStore.saveConsumerGroup; a group id has one record, classic or consumer (each replaces the other).

/** A topic id: Kafka's UUID as 32 lowercase hex characters (TopicMeta.id). */
export type TopicId = string;

/** Partitions per topic id. Empty sets are never kept (helpers in assignment.ts drop them). */
export type Assignment = ReadonlyMap<TopicId, ReadonlySet<number>>;

export interface TopicInfo {
  readonly id: TopicId;
  readonly name: string;
  readonly partitions: number;
}

/** The topic metadata a consumer group reads. */
export interface TopicsView {
  byName(name: string): TopicInfo | undefined;
  byId(id: TopicId): TopicInfo | undefined;
  /** Names a regular-expression subscription may match: every topic except internal ones (`__` prefix). */
  names(): Iterable<string>;
}

// ---------------------------------------------------------------- server assignors (assignors/)

export interface AssignorMember {
  readonly memberId: string;
  readonly instanceId: string | null;
  readonly rackId: string | null;
  /** Topic ids the member subscribes to that exist (names and regex resolved). */
  readonly subscribedTopicIds: ReadonlySet<TopicId>;
  /** The member's target assignment so far (empty for a new member): assignors keep what they can (sticky). */
  readonly current: Assignment;
}

export interface AssignorInput {
  readonly members: ReadonlyMap<string, AssignorMember>;
  /** Every topic some member subscribes to, by id. */
  readonly topics: ReadonlyMap<TopicId, TopicInfo>;
}

export interface ServerAssignor {
  /** `uniform` or `range`: the value of `group.remote.assignor` (the heartbeat's ServerAssignor). */
  readonly name: string;
  /**
   * The new target assignment: an entry for every member (empty when it gets nothing). Deterministic for the same
   * input; every partition of a subscribed topic goes to exactly one member that subscribes to its topic.
   */
  assign(input: AssignorInput): Map<string, Assignment>;
}

// ---------------------------------------------------------------- reconciliation (reconcile.ts)

/** Kafka's MemberState names (shown by ConsumerGroupDescribe tools and the dashboard). */
export type MemberState = "STABLE" | "UNREVOKED_PARTITIONS" | "UNRELEASED_PARTITIONS" | "UNKNOWN";

export interface MemberAssignmentState {
  readonly state: MemberState;
  readonly memberEpoch: number;
  readonly previousMemberEpoch: number;
  /** Partitions the member owns and may consume now. */
  readonly assigned: Assignment;
  /** Partitions it still owns but must give up (it has not confirmed the revocation yet). */
  readonly pendingRevocation: Assignment;
}

export interface ReconcileInput {
  readonly member: MemberAssignmentState;
  /** The group's target assignment epoch and this member's part of the target. */
  readonly targetEpoch: number;
  readonly target: Assignment;
  /**
   * The heartbeat's TopicPartitions (what the client says it owns), null when it sent none (unchanged). A member
   * in UNREVOKED_PARTITIONS moves on once what it reports owning no longer includes a partition pending revocation.
   */
  readonly owned: Assignment | null;
  /**
   * The epoch of the member that owns the partition now (in its `assigned` or `pendingRevocation`), or -1 when
   * nobody does. The reconciled member's own partitions answer its own epoch. A partition of the target owned by
   * another member stays unreleased until that member gives it up.
   */
  readonly ownerEpoch: (topicId: TopicId, partition: number) => number;
}

// ---------------------------------------------------------------- regular expressions (regex.ts)

export interface TopicRegex {
  /** The expression as the client sent it. */
  readonly source: string;
  /** Whether the whole topic name matches (RE2's full match, as Kafka's `Pattern.matcher(...).matches()`). */
  matches(topic: string): boolean;
}

// ---------------------------------------------------------------- the coordinator's API (handlers use these)

/** ConsumerGroupHeartbeat v0-1, as the handler passes it to GroupCoordinator.consumerGroupHeartbeat. */
export interface ConsumerHeartbeatArgs {
  readonly apiVersion: number;
  readonly groupId: string;
  /** v0: empty on the first join (the coordinator makes one); v1+: generated by the client (KIP-1082). */
  readonly memberId: string;
  /** 0 joins, -1 leaves, -2 leaves as a static member that will come back; >0 the member's current epoch. */
  readonly memberEpoch: number;
  readonly instanceId: string | null;
  readonly rackId: string | null;
  /** -1: unchanged. */
  readonly rebalanceTimeoutMs: number;
  /** Null: unchanged since the last heartbeat. */
  readonly subscribedTopicNames: readonly string[] | null;
  /** v1+; null: unchanged. "" clears it. */
  readonly subscribedTopicRegex: string | null;
  /** Null: unchanged (or the default). */
  readonly serverAssignor: string | null;
  /** What the member owns, null when unchanged since its last heartbeat. */
  readonly topicPartitions: readonly { topicId: TopicId; partitions: readonly number[] }[] | null;
  readonly clientId: string;
  readonly clientHost: string;
}

export interface ConsumerHeartbeatResult {
  readonly errorCode: number;
  readonly errorMessage: string | null;
  readonly memberId: string | null;
  readonly memberEpoch: number;
  readonly heartbeatIntervalMs: number;
  /** The partitions the member may use now; null when unchanged since the last response (and not asked for). */
  readonly assignment: { topicId: TopicId; partitions: number[] }[] | null;
}

export interface DescribedTopicPartitions {
  readonly topicId: TopicId;
  readonly topicName: string;
  readonly partitions: number[];
}

/** Kafka's ConsumerGroupState names (ConsumerGroupDescribe, ListGroups, the ops API). */
export type ConsumerGroupState = "Empty" | "Assigning" | "Reconciling" | "Stable" | "Dead";

/** ConsumerGroupDescribe's view of one group (errorCode GROUP_ID_NOT_FOUND for none or a classic group). */
export interface ConsumerGroupDescription {
  readonly groupId: string;
  readonly errorCode: number;
  readonly errorMessage: string | null;
  readonly groupState: ConsumerGroupState;
  readonly groupEpoch: number;
  readonly assignmentEpoch: number;
  readonly assignorName: string;
  readonly members: readonly {
    readonly memberId: string;
    readonly instanceId: string | null;
    readonly rackId: string | null;
    readonly memberEpoch: number;
    readonly clientId: string;
    readonly clientHost: string;
    readonly subscribedTopicNames: string[];
    readonly subscribedTopicRegex: string | null;
    readonly assignment: DescribedTopicPartitions[];
    readonly targetAssignment: DescribedTopicPartitions[];
    /** v1+ (KIP-1099): 0 = classic protocol member (JoinGroup/SyncGroup), 1 = consumer protocol member. */
    readonly memberType: 0 | 1;
    /** Reconciliation state (dashboard, ops API; not on the wire). */
    readonly state: MemberState;
  }[];
}

/** A group's kind: "classic" (JoinGroup/SyncGroup), "consumer" (KIP-848) or "share" (KIP-932), ListGroups v5's GroupType. */
export type GroupType = "classic" | "consumer" | "share";
