// A distributed ClusterView whose state a test sets directly, to drive the real handlers as one gateway of a
// multi-gateway cluster: the live brokers (with racks), the controller, each partition's leader and epoch, which
// partitions this gateway serves (a partition it leads but does not serve yet is a takeover in progress), each
// partition's epoch history (epochAt, epochEndOffset) and the `__consumer_offsets` leaders that make group
// coordinators. Partitions never set have no leader.
import { partitionForGroup } from "../../src/cluster/hash.ts";
import {
  type ClusterBroker,
  type ClusterSnapshot,
  type ClusterView,
  CONSUMER_OFFSETS_TOPIC,
  CoordinatorsByLeadership,
  type LeaderInfo,
  type Participant,
} from "../../src/cluster/view.ts";

export interface FakeClusterOptions {
  /** This gateway's node id (must be one of `brokers`). */
  readonly nodeId: number;
  readonly brokers: readonly ClusterBroker[];
  /** Defaults to the lowest node id. */
  readonly controllerId?: number;
  /** `__consumer_offsets` partition count (group placement). Default 4. */
  readonly offsetsPartitions?: number;
}

interface PartitionState {
  leader: LeaderInfo;
  /** This gateway serves it (it leads it and its takeover completed). */
  serving: boolean;
  /** Epochs and the offsets where they start, ascending. */
  history: { epoch: number; start: number }[];
}

const NO_LEADER: LeaderInfo = { leaderId: -1, leaderEpoch: -1 };

export class FakeCluster extends CoordinatorsByLeadership implements ClusterView {
  readonly distributed = true;
  readonly nodeId: number;
  readonly offsetsPartitions: number;
  controller: number;
  private live: ClusterBroker[];
  private readonly parts = new Map<string, PartitionState>();

  constructor(opts: FakeClusterOptions) {
    super();
    this.nodeId = opts.nodeId;
    this.live = [...opts.brokers].sort((a, b) => a.nodeId - b.nodeId);
    this.controller = opts.controllerId ?? this.live[0]?.nodeId ?? -1;
    this.offsetsPartitions = opts.offsetsPartitions ?? 4;
  }

  // ---------------------------------------------------------------- test controls

  /** Replaces the live brokers (a gateway joins or its lease lapses). */
  setBrokers(brokers: readonly ClusterBroker[]): void {
    this.live = [...brokers].sort((a, b) => a.nodeId - b.nodeId);
  }

  /**
   * Sets a partition's leader and epoch. This gateway serves it when it is the leader, unless `serving` says
   * otherwise (a takeover still running, a stale lease). The epoch joins the history when it starts at `start`,
   * or is the first one (from offset 0).
   */
  setLeader(
    topic: string,
    partition: number,
    leaderId: number,
    leaderEpoch: number,
    opts: { serving?: boolean; start?: number } = {},
  ): void {
    const s = this.state(topic, partition);
    s.leader = { leaderId, leaderEpoch };
    s.serving = opts.serving ?? leaderId === this.nodeId;
    const start = opts.start ?? (s.history.length === 0 ? 0 : undefined);
    if (leaderEpoch >= 0 && start !== undefined && !s.history.some((h) => h.epoch === leaderEpoch)) {
      s.history.push({ epoch: leaderEpoch, start });
      s.history.sort((a, b) => a.epoch - b.epoch);
    }
  }

  /** Sets the partition's epoch history outright: [epoch, start offset] pairs, ascending. */
  setHistory(topic: string, partition: number, history: readonly (readonly [number, number])[]): void {
    this.state(topic, partition).history = history.map(([epoch, start]) => ({ epoch, start }));
  }

  /** Partitions [0, count) of the topic led by `leaderId` at `epoch`. */
  setTopicLeader(topic: string, count: number, leaderId: number, epoch: number): void {
    for (let p = 0; p < count; p++) this.setLeader(topic, p, leaderId, epoch);
  }

  /** Makes `leaderId` the coordinator of the group (the leader of its `__consumer_offsets` partition). */
  setCoordinator(groupId: string, leaderId: number, epoch = 1, serving?: boolean): void {
    this.setLeader(CONSUMER_OFFSETS_TOPIC, this.coordinatorPartition(groupId), leaderId, epoch, { serving });
  }

  // ---------------------------------------------------------------- ClusterView

  brokers(): readonly ClusterBroker[] {
    return this.live;
  }

  broker(nodeId: number): ClusterBroker | undefined {
    return this.live.find((b) => b.nodeId === nodeId);
  }

  controllerId(): number {
    return this.controller;
  }

  leaderOf(topic: string, partition: number): LeaderInfo {
    return this.parts.get(key(topic, partition))?.leader ?? NO_LEADER;
  }

  servingEpoch(topic: string, partition: number): number | null {
    const s = this.parts.get(key(topic, partition));
    return s !== undefined && s.serving && s.leader.leaderId === this.nodeId ? s.leader.leaderEpoch : null;
  }

  coordinatorPartition(groupId: string): number {
    return partitionForGroup(groupId, this.offsetsPartitions);
  }

  epochEndOffset(
    topic: string,
    partition: number,
    epoch: number,
    logEndOffset: number,
  ): { leaderEpoch: number; endOffset: number } {
    const h = this.parts.get(key(topic, partition))?.history ?? [];
    let i = h.length - 1;
    while (i >= 0 && h[i].epoch > epoch) i--;
    if (i < 0) return { leaderEpoch: -1, endOffset: -1 };
    return { leaderEpoch: h[i].epoch, endOffset: i === h.length - 1 ? logEndOffset : h[i + 1].start };
  }

  epochAt(topic: string, partition: number, offset: number): number {
    const h = this.parts.get(key(topic, partition))?.history ?? [];
    for (let i = h.length - 1; i >= 0; i--) if (h[i].start <= offset) return h[i].epoch;
    return -1;
  }

  addParticipant(_p: Participant): void {
    // Leadership changes only when a test says so; participants are not driven here.
  }

  snapshot(): ClusterSnapshot {
    return {
      nodeId: this.nodeId,
      distributed: true,
      controllerId: this.controller,
      brokers: this.live,
      assignmentVersion: 1,
      leaseTimeoutMs: 0,
      partitions: [...this.parts].map(([k, s]) => {
        const at = k.lastIndexOf(":");
        return {
          topic: k.slice(0, at),
          partition: Number(k.slice(at + 1)),
          leaderId: s.leader.leaderId,
          leaderEpoch: s.leader.leaderEpoch,
          serving: s.serving && s.leader.leaderId === this.nodeId,
        };
      }),
    };
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private state(topic: string, partition: number): PartitionState {
    const k = key(topic, partition);
    let s = this.parts.get(k);
    if (s === undefined) {
      s = { leader: NO_LEADER, serving: false, history: [] };
      this.parts.set(k, s);
    }
    return s;
  }
}

function key(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}

/** A group id that lands on `partition` of `partitions` `__consumer_offsets` partitions. */
export function groupOnPartition(partition: number, partitions = 4, prefix = "group-"): string {
  for (let i = 0;; i++) {
    const id = `${prefix}${i}`;
    if (partitionForGroup(id, partitions) === partition) return id;
  }
}
