// What follows partition leadership, declared below both the storage backends (the SeaweedMQ publisher writes
// only under a valid lease) and the cluster that grants leadership (src/cluster/: view.ts re-exports these).

export interface TopicPartitionRef {
  readonly topic: string;
  readonly partition: number;
}

/**
 * Something whose per-partition state follows leadership. `acquire` runs before this gateway serves a partition
 * it was given (re-read the log end, load producer state or groups) and may take time; requests for the partition
 * get NOT_LEADER_OR_FOLLOWER (or NOT_COORDINATOR) until every participant's acquire resolved. `release` runs when
 * the partition is taken away or this gateway fences itself; after it nothing may be written for the partition.
 * `__consumer_offsets` partitions go through the same calls (the group coordinator acts on them).
 */
export interface Participant {
  /** `lease`: this gateway's hold on the partition, from the acquire on (absent: a cluster without leases). */
  acquire(tp: TopicPartitionRef, leaderEpoch: number, lease?: LeaseGuard): Promise<void>;
  release(tp: TopicPartitionRef): Promise<void>;
}

/**
 * Whether the lease under which a partition was acquired still holds, checked by the clock: false once the last
 * lease renewal is older than what lets this gateway serve (another gateway may lead the partition by now, even
 * while this process was stopped and never noticed), and false for good after any lapse or a new incarnation, even
 * once renewals resume. A writer checks it right before it writes anything for the partition.
 */
export interface LeaseGuard {
  valid(): boolean;
}
