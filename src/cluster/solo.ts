// A cluster of one: the embedded backend, whose log only this process writes. This gateway leads every partition
// and coordinates every group; there are no leader epochs (-1 everywhere, docs/compatibility.md "Leader epochs").
import { partitionForGroup } from "./hash.ts";
import type {
  ClusterBroker,
  ClusterSnapshot,
  ClusterView,
  Endpoint,
  LeaderInfo,
  Participant,
  PartitionLeadership,
} from "./view.ts";

export interface SoloClusterOptions {
  readonly nodeId: number;
  readonly advertised: { readonly host: string; readonly port: number };
  /** Advertised address per listener name. */
  readonly listeners?: Readonly<Record<string, Endpoint>>;
  readonly offsetsTopicPartitions: number;
  /** Topics and partition counts, for the operations view. */
  readonly topics: () => readonly { readonly name: string; readonly partitions: number }[];
}

export class SoloCluster implements ClusterView {
  readonly nodeId: number;
  readonly distributed = false;
  private readonly self: ClusterBroker;

  constructor(private readonly opts: SoloClusterOptions) {
    this.nodeId = opts.nodeId;
    this.self = {
      nodeId: opts.nodeId,
      host: opts.advertised.host,
      port: opts.advertised.port,
      rack: null,
      ...(opts.listeners !== undefined ? { listeners: opts.listeners } : {}),
    };
  }

  brokers(): readonly ClusterBroker[] {
    return [this.self];
  }

  broker(nodeId: number): ClusterBroker | undefined {
    return nodeId === this.nodeId ? this.self : undefined;
  }

  controllerId(): number {
    return this.nodeId;
  }

  leaderOf(): LeaderInfo {
    return { leaderId: this.nodeId, leaderEpoch: -1 };
  }

  servingEpoch(): number | null {
    return -1;
  }

  coordinatorPartition(groupId: string): number {
    return partitionForGroup(groupId, this.opts.offsetsTopicPartitions);
  }

  coordinatorOf(): LeaderInfo {
    return { leaderId: this.nodeId, leaderEpoch: -1 };
  }

  coordinates(): boolean {
    return true;
  }

  epochEndOffset(
    _topic: string,
    _partition: number,
    epoch: number,
    logEndOffset: number,
  ): { leaderEpoch: number; endOffset: number } {
    return { leaderEpoch: epoch, endOffset: logEndOffset };
  }

  epochAt(): number {
    return -1;
  }

  addParticipant(_p: Participant): void {
    // Nothing changes hands in a cluster of one.
  }

  snapshot(): ClusterSnapshot {
    const partitions: PartitionLeadership[] = [];
    for (const t of this.opts.topics()) {
      for (let p = 0; p < t.partitions; p++) {
        partitions.push({
          topic: t.name,
          partition: p,
          leaderId: this.nodeId,
          leaderEpoch: -1,
          serving: true,
        });
      }
    }
    return {
      nodeId: this.nodeId,
      distributed: false,
      controllerId: this.nodeId,
      brokers: [this.self],
      assignmentVersion: 0,
      leaseTimeoutMs: 0,
      partitions,
    };
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
