// A cluster of one: the embedded backend, whose log only this process writes. This gateway leads every partition
// and coordinates every group. Leader epochs are a one-node Kafka's (solo_epochs.ts): 0 on the first start, one
// more at each start, with a history per partition for OffsetForLeaderEpoch; without a data directory to keep
// them (tests), -1 everywhere.
import { partitionForGroup } from "./hash.ts";
import { endOffsetFor, epochAtOffset } from "./epochs.ts";
import { type PartitionAtStart, SoloEpochs } from "./solo_epochs.ts";
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
  /** Leader epochs kept in this data directory, from the partitions as they are at start (embedded backend). */
  readonly epochs?: {
    readonly dataDir: string;
    readonly partitions: () => Promise<readonly PartitionAtStart[]>;
    readonly topicId: (topic: string) => string | undefined;
  };
}

export class SoloCluster implements ClusterView {
  readonly nodeId: number;
  readonly distributed = false;
  private readonly self: ClusterBroker;
  private epochs: SoloEpochs | null = null;

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

  private get epoch(): number {
    return this.epochs?.epoch ?? -1;
  }

  leaderOf(): LeaderInfo {
    return { leaderId: this.nodeId, leaderEpoch: this.epoch };
  }

  servingEpoch(): number | null {
    return this.epoch;
  }

  coordinatorPartition(groupId: string): number {
    return partitionForGroup(groupId, this.opts.offsetsTopicPartitions);
  }

  coordinatorOf(): LeaderInfo {
    return { leaderId: this.nodeId, leaderEpoch: this.epoch };
  }

  coordinates(): boolean {
    return true;
  }

  private history(topic: string, partition: number) {
    const id = this.epochs !== null ? this.opts.epochs?.topicId(topic) : undefined;
    return id === undefined ? null : this.epochs!.history(id, partition);
  }

  epochEndOffset(
    topic: string,
    partition: number,
    epoch: number,
    logEndOffset: number,
  ): { leaderEpoch: number; endOffset: number } {
    const h = this.history(topic, partition);
    return h === null
      ? { leaderEpoch: epoch, endOffset: logEndOffset }
      : endOffsetFor(h, epoch, logEndOffset);
  }

  epochAt(topic: string, partition: number, offset: number): number {
    const h = this.history(topic, partition);
    return h === null ? -1 : epochAtOffset(h, offset);
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
          leaderEpoch: this.epoch,
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

  async start(): Promise<void> {
    const e = this.opts.epochs;
    if (e !== undefined) this.epochs = await SoloEpochs.open(e.dataDir, await e.partitions());
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
