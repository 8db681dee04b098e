// Durable state of the group coordinator: committed offsets and group metadata. Each storage backend
// provides one (embedded: an append-only compacted log file; SeaweedMQ: files in the filer).

export interface CommittedOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** Leader epoch the client committed with (-1 when unknown). */
  readonly leaderEpoch: number;
  readonly metadata: string | null;
  /** Broker time of the commit (ms). */
  readonly commitTimestamp: number;
  /** Explicit expiry (OffsetCommit v2-4 retention_time_ms), or -1 to follow offsets.retention.minutes. */
  readonly expireTimestamp: number;
}

export interface StoredMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly rebalanceTimeoutMs: number;
  readonly sessionTimeoutMs: number;
  /** Metadata of the chosen protocol. */
  readonly subscription: Uint8Array;
  readonly assignment: Uint8Array;
}

/** What Kafka keeps in __consumer_offsets for a group: enough to resume a Stable group after a restart. */
export interface StoredGroup {
  readonly groupId: string;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly generationId: number;
  readonly leaderId: string | null;
  /** Broker time when the group state was written (ms). */
  readonly currentStateTimestamp: number;
  readonly members: readonly StoredMember[];
}

export interface LoadedGroupState {
  readonly groups: ReadonlyMap<string, StoredGroup>;
  /** groupId -> "topic\u0000partition" -> committed offset */
  readonly offsets: ReadonlyMap<string, ReadonlyMap<string, CommittedOffset>>;
  /**
   * groupId -> snapshot of a KIP-848 consumer group (opaque bytes, versioned by src/groups/consumer/). A group id
   * has one record: a classic one in `groups` or a consumer one here, never both.
   */
  readonly consumerGroups: ReadonlyMap<string, Uint8Array>;
}

export interface GroupStore {
  /**
   * Reads what is persisted: every group, or — with `filter` — at least the groups it admits (a store may skip
   * the others to read less; callers filter again). A solo coordinator loads everything once at start-up; in a
   * distributed cluster a coordinator loads the groups of the `__consumer_offsets` partitions it acquires.
   */
  load(filter?: (groupId: string) => boolean): Promise<LoadedGroupState>;
  /** Persists offsets; resolves once they are durable per the backend's fsync policy. */
  commitOffsets(groupId: string, offsets: readonly CommittedOffset[]): Promise<void>;
  /** Removes the given offsets (OffsetDelete, expiry, topic deletion). */
  deleteOffsets(groupId: string, partitions: readonly { topic: string; partition: number }[]): Promise<void>;
  /** Writes the group's metadata (after a rebalance completes or the group empties). */
  saveGroup(group: StoredGroup): Promise<void>;
  /**
   * Writes a consumer group's (KIP-848) whole state, opaque to the store; replaces the group's previous record,
   * classic or consumer (a conversion between kinds is one write). saveGroup likewise replaces a consumer record.
   */
  saveConsumerGroup(groupId: string, state: Uint8Array): Promise<void>;
  /** Removes the group's metadata (classic or consumer) and all its offsets (DeleteGroups, expiry). */
  deleteGroup(groupId: string): Promise<void>;
  close(): Promise<void>;
}

/** The writes of a GroupStore: what the classic and offsets modules may do (loading is the coordinator's). */
export type GroupWrites = Pick<
  GroupStore,
  "commitOffsets" | "deleteOffsets" | "saveGroup" | "saveConsumerGroup" | "deleteGroup"
>;

export function offsetKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
