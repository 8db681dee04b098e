// A distributed ClusterView for unit tests of the participants (group coordinator, producer state): the test
// decides which partitions this gateway gains and loses, and whether its lease is fresh. gain() runs every
// participant's acquire (all partitions at once, as a start-up does) before the partitions are served; lose()
// stops serving first, then runs the releases.
import { partitionForGroup } from "../../src/cluster/hash.ts";
import {
  type ClusterBroker,
  type ClusterSnapshot,
  type ClusterView,
  CoordinatorsByLeadership,
  type LeaderInfo,
  type Participant,
} from "../../src/cluster/view.ts";

export class FakeLeaderCluster extends CoordinatorsByLeadership implements ClusterView {
  readonly distributed = true;
  /** False: the lease lapsed; nothing is served (the partitions stay assigned). */
  leaseFresh = true;
  private readonly served = new Map<string, number>();
  private readonly participants: Participant[] = [];

  constructor(readonly nodeId = 1, readonly offsetsPartitions = 4) {
    super();
  }

  brokers(): readonly ClusterBroker[] {
    return [{ nodeId: this.nodeId, host: "127.0.0.1", port: 9092, rack: null }];
  }

  broker(nodeId: number): ClusterBroker | undefined {
    return this.brokers().find((b) => b.nodeId === nodeId);
  }

  controllerId(): number {
    return this.nodeId;
  }

  leaderOf(topic: string, partition: number): LeaderInfo {
    const e = this.served.get(`${topic}:${partition}`);
    return e === undefined ? { leaderId: -1, leaderEpoch: -1 } : { leaderId: this.nodeId, leaderEpoch: e };
  }

  servingEpoch(topic: string, partition: number): number | null {
    return this.leaseFresh ? this.served.get(`${topic}:${partition}`) ?? null : null;
  }

  coordinatorPartition(groupId: string): number {
    return partitionForGroup(groupId, this.offsetsPartitions);
  }

  epochEndOffset(
    _t: string,
    _p: number,
    epoch: number,
    end: number,
  ): { leaderEpoch: number; endOffset: number } {
    return { leaderEpoch: epoch, endOffset: end };
  }

  epochAt(): number {
    return -1;
  }

  addParticipant(p: Participant): void {
    this.participants.push(p);
  }

  snapshot(): ClusterSnapshot {
    return {
      nodeId: this.nodeId,
      distributed: true,
      controllerId: this.nodeId,
      brokers: this.brokers(),
      assignmentVersion: 0,
      leaseTimeoutMs: 0,
      partitions: [],
    };
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** This gateway is given the partitions: every participant acquires them (all at once), then they are served. */
  async gain(topic: string, partitions: readonly number[], epoch: number): Promise<void> {
    await Promise.all(partitions.map(async (partition) => {
      for (const p of this.participants) await p.acquire({ topic, partition }, epoch);
    }));
    for (const partition of partitions) this.served.set(`${topic}:${partition}`, epoch);
  }

  /** The partitions are taken away: no longer served, then every participant releases them. */
  async lose(topic: string, partitions: readonly number[]): Promise<void> {
    for (const partition of partitions) this.served.delete(`${topic}:${partition}`);
    await Promise.all(partitions.map(async (partition) => {
      for (const p of this.participants) await p.release({ topic, partition });
    }));
  }
}

/** A group id that lands on `partition` of `partitions` `__consumer_offsets` partitions. */
export function groupOn(partition: number, partitions = 4, prefix = "group-"): string {
  for (let i = 0;; i++) {
    const id = `${prefix}${i}`;
    if (partitionForGroup(id, partitions) === partition) return id;
  }
}
