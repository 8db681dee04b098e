// The seams between the parts of transactions, so that each part depends on an interface and not on another's
// module: the transaction coordinator (./coordinator.ts) decides, markers are written to data partitions by their
// leader (src/producer/markers.ts) and to `__consumer_offsets` partitions by the group coordinator
// (transactional offsets), and a partition leader asks the coordinator whether a partition was added to a
// transaction before it accepts the transaction's first batch there (KIP-890 part 1).
//
// Placement: a transactional id's coordinator is the leader of `__consumer_offsets` partition
// abs(hashCode(transactionalId)) mod the offsets partition count (ClusterView.coordinatorPartition), the same
// hash Kafka uses for `__transaction_state`; the coordinator epoch is that partition's leader epoch (0 on a solo
// gateway).
import type { TopicPartitionRef } from "../cluster/view.ts";

/** A COMMIT or ABORT marker for one producer, as WriteTxnMarkers carries it. */
export interface TxnMarker {
  readonly producerId: number;
  readonly producerEpoch: number;
  /** true: COMMIT, false: ABORT. */
  readonly commit: boolean;
  readonly coordinatorEpoch: number;
}

/** The outcome for one partition of a marker write: errorCode 0 when the marker is stored. */
export interface MarkerOutcome extends TopicPartitionRef {
  readonly errorCode: number;
}

/**
 * Writes a marker to partitions wherever they are led: the coordinator's only way to end a transaction on a
 * partition. Data partitions get a control batch appended by their leader; a `__consumer_offsets` partition
 * makes its group coordinator commit (or drop) the producer's pending transactional offsets of every group on it.
 * Resolves with one outcome per partition; never rejects for a single partition's failure (the coordinator
 * retries the failed ones).
 */
export interface MarkerWriter {
  write(marker: TxnMarker, partitions: readonly TopicPartitionRef[]): Promise<MarkerOutcome[]>;
}

/**
 * KIP-890 part 1: before the first transactional batch of a producer in a partition is appended, the partition's
 * leader asks the transaction's coordinator whether the partition is part of the producer's ongoing transaction.
 * Resolves when it is; rejects with KafkaError: INVALID_TXN_STATE (not added / no ongoing transaction),
 * PRODUCER_FENCED or INVALID_PRODUCER_EPOCH (stale epoch), NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE /
 * CONCURRENT_TRANSACTIONS (retriable: the client retries the produce).
 */
export interface TxnVerifier {
  verify(
    transactionalId: string,
    producerId: number,
    producerEpoch: number,
    partition: TopicPartitionRef,
  ): Promise<void>;
}

/**
 * The group coordinator's part in transactions (src/groups/): TxnOffsetCommit stores offsets pending until the
 * transaction's marker reaches the group's `__consumer_offsets` partition.
 */
export interface TxnOffsetSink {
  /**
   * A marker reached `__consumer_offsets` partition `offsetsPartition`: commit (or drop) the pending
   * transactional offsets of `producerId` in every group on that partition. Durable before it resolves;
   * idempotent (a repeated marker finds nothing pending). Throws KafkaError(NOT_COORDINATOR) when this gateway
   * does not coordinate that partition now.
   */
  completeTransaction(offsetsPartition: number, producerId: number, commit: boolean): Promise<void>;
}
