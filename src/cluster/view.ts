// What the rest of the gateway knows about the cluster it belongs to: the live gateways (Kafka brokers), which
// gateway leads each partition and with which leader epoch, and which one coordinates each group. Handlers route
// with it (NOT_LEADER_OR_FOLLOWER, NOT_COORDINATOR, Metadata, FindCoordinator); the storage, the producer state
// and the group coordinator take part in leadership changes through `Participant`.
//
// Two implementations: SoloCluster (solo.ts: the embedded backend, one gateway that leads everything) and the
// SeaweedMQ cluster (node.ts: membership leases and a controller in the filer).
import type { Placement, PlacementRefusal } from "./assignment.ts";
import type { LeaseGuard, Participant, TopicPartitionRef } from "../storage/leadership.ts";

// Declared beside the Storage seam, which follows leadership too; the cluster is where they are used.
export type { LeaseGuard, Participant, TopicPartitionRef };

/** An advertised address of one listener. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/** A live gateway as clients see it (Metadata brokers, DescribeCluster, FindCoordinator). */
export interface ClusterBroker {
  readonly nodeId: number;
  /** The advertised address of its first listener (the only one of a gateway that predates named listeners). */
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
  /**
   * Advertised address per listener name (--advertised-listener), when known: a client is given the address of the
   * listener it came through (endpointFor). Absent: only host/port are known.
   */
  readonly listeners?: Readonly<Record<string, Endpoint>>;
}

/**
 * The address of `b` for a client that came through listener `name`: its endpoint of that name, else its first
 * one (a gateway whose lease predates named listeners; gateways of one cluster are meant to share listener names).
 */
export function endpointFor(b: ClusterBroker, name: string): Endpoint {
  return b.listeners?.[name] ?? b;
}

/** A reassignment in progress: the partition is placed on `target` and still held by `current` (-1: none). */
export interface OngoingReassignment {
  readonly topic: string;
  readonly partition: number;
  readonly current: number;
  readonly target: number;
}

/** Leader of a partition: leaderId -1 while none is assigned; leaderEpoch -1 when the cluster has no epochs. */
export interface LeaderInfo {
  readonly leaderId: number;
  readonly leaderEpoch: number;
}

/** Kafka's internal topic whose partition leaders coordinate groups (and, later, transactions' group offsets). */
export const CONSUMER_OFFSETS_TOPIC = "__consumer_offsets";

/**
 * Kafka's transaction log topic: a view of the transaction coordinators' documents
 * (src/transactions/state_topic/view.ts). A transactional id is coordinated through `__consumer_offsets` partition p
 * (abs(Java hashCode) mod the same count Kafka uses for `__transaction_state`), so its partition p is led, with the
 * same epoch, by the leader of `__consumer_offsets` partition p: it is never assigned on its own.
 */
export const TRANSACTION_STATE_TOPIC = "__transaction_state";

/** One partition's row for the operations view. */
export interface PartitionLeadership {
  readonly topic: string;
  readonly partition: number;
  readonly leaderId: number;
  readonly leaderEpoch: number;
  /** True when this gateway leads it and serves it now. */
  readonly serving: boolean;
}

export interface ClusterSnapshot {
  readonly nodeId: number;
  readonly distributed: boolean;
  readonly controllerId: number;
  readonly brokers: readonly ClusterBroker[];
  /** Version of the assignment this gateway applied (0 for a solo gateway). */
  readonly assignmentVersion: number;
  readonly leaseTimeoutMs: number;
  /** Every partition (incl. __consumer_offsets) with its leader, as this gateway knows it. */
  readonly partitions: readonly PartitionLeadership[];
}

export interface ClusterView {
  readonly nodeId: number;
  /** True when several gateways may share the backend: leadership is per partition and epochs are real. */
  readonly distributed: boolean;
  /** Live gateways, this one included, ordered by node id. */
  brokers(): readonly ClusterBroker[];
  broker(nodeId: number): ClusterBroker | undefined;
  controllerId(): number;
  /** The partition's leader and epoch as this gateway knows them. */
  leaderOf(topic: string, partition: number): LeaderInfo;
  /**
   * The leader epoch this gateway serves the partition with, or null when it may not serve it now (another
   * gateway leads it, none does, its takeover is still running, or this gateway's lease is not fresh).
   */
  servingEpoch(topic: string, partition: number): number | null;
  /** The `__consumer_offsets` partition of a group id (Kafka's: abs(Java hashCode) mod partition count). */
  coordinatorPartition(groupId: string): number;
  /** Leader of the group's `__consumer_offsets` partition: the group's coordinator. */
  coordinatorOf(groupId: string): LeaderInfo;
  /** Whether this gateway coordinates the group now (leads and serves its `__consumer_offsets` partition). */
  coordinates(groupId: string): boolean;
  /**
   * OffsetForLeaderEpoch on a partition this gateway serves, as Kafka's leader-epoch cache answers it: the current
   * epoch ends at the log end; an older one at the start of the next known epoch (reported as the largest known
   * epoch <= it, or itself when below every known one); an epoch above every known one, or -1: {-1, -1}.
   * Solo (no epochs): {epoch, log end}.
   */
  epochEndOffset(
    topic: string,
    partition: number,
    epoch: number,
    logEndOffset: number,
  ): { leaderEpoch: number; endOffset: number };
  /** Leader epoch under which the record at `offset` was written (-1 when unknown): stamped on fetched batches. */
  epochAt(topic: string, partition: number, offset: number): number;
  /**
   * Optional (distributed clusters): waits until every live gateway took over what the assignment this gateway
   * applied gives it, at most `timeoutMs`; false on timeout. CreateTopics waits for it after the new partitions got
   * leaders, so no gateway contradicts them.
   */
  awaitPropagation?(timeoutMs: number): Promise<boolean>;
  /**
   * Optional (distributed clusters): partition reassignment (AlterPartitionReassignments). Records each placement
   * in the assignment document (the controller then moves the partitions) and answers, per placement, null or why
   * it was refused; throws KafkaError REQUEST_TIMED_OUT when the document could not be written within `timeoutMs`.
   */
  place?(placements: readonly Placement[], timeoutMs: number): Promise<readonly (PlacementRefusal | null)[]>;
  /** Optional (distributed clusters): the gateway each partition is placed on, -1 for none. */
  placedOn?(topic: string, partition: number): number;
  /** Optional (distributed clusters): placed partitions not led by their gateway (yet), with who holds them now. */
  reassignments?(): readonly OngoingReassignment[];
  addParticipant(p: Participant): void;
  snapshot(): ClusterSnapshot;
  /** Joins (distributed: registers the lease and starts following the controller). */
  start(): Promise<void>;
  /** Stops serving every partition (participants released), leaves the cluster; bounded in time. */
  close(): Promise<void>;
}

/**
 * Kafka's coordinator rule, for every ClusterView that has leaders: a group's coordinator is the leader of its
 * `__consumer_offsets` partition, and this gateway coordinates the group while it serves that partition.
 */
export abstract class CoordinatorsByLeadership {
  abstract leaderOf(topic: string, partition: number): LeaderInfo;
  abstract servingEpoch(topic: string, partition: number): number | null;
  abstract coordinatorPartition(groupId: string): number;

  coordinatorOf(groupId: string): LeaderInfo {
    return this.leaderOf(CONSUMER_OFFSETS_TOPIC, this.coordinatorPartition(groupId));
  }

  coordinates(groupId: string): boolean {
    return this.servingEpoch(CONSUMER_OFFSETS_TOPIC, this.coordinatorPartition(groupId)) !== null;
  }
}
