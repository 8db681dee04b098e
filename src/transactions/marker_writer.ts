// The transaction coordinator's MarkerWriter for a cluster of gateways: each partition's marker goes to the
// partition's leader. Partitions this gateway leads are ended here (a data partition gets its control batch
// through the injected local writer, a `__consumer_offsets` partition makes the group coordinator complete the
// producer's pending transactional offsets); the others travel in one WriteTxnMarkers v1 per leader gateway, as
// Kafka's TransactionMarkerChannelManager sends them. Every failure becomes that partition's error code: the
// coordinator retries the partitions that did not answer NONE.
import { type ClusterView, CONSUMER_OFFSETS_TOPIC, type TopicPartitionRef } from "../cluster/view.ts";
import type { PeerClient } from "../cluster/peers.ts";
import { WriteTxnMarkersSpec } from "../protocol/messages/write_txn_markers.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import type { MarkerOutcome, MarkerWriter, TxnMarker, TxnOffsetSink } from "./contracts.ts";

/** The WriteTxnMarkers version sent: v1 (flexible) is what Kafka 2.8 through 3.9 brokers send each other. */
const MARKERS_VERSION = 1;

export interface ClusterMarkerWriterOptions {
  readonly cluster: Pick<ClusterView, "nodeId" | "leaderOf">;
  readonly peers: Pick<PeerClient, "send">;
  /** Appends the marker to a data partition this gateway leads (writeLocalMarker of src/producer/markers.ts). */
  readonly writeLocal: (topic: string, partition: number, marker: TxnMarker) => Promise<unknown>;
  /** The group coordinator, for `__consumer_offsets` partitions this gateway leads. */
  readonly offsets: TxnOffsetSink;
}

function codeOf(e: unknown): number {
  const code = (e as { code?: unknown })?.code;
  return e instanceof Error && typeof code === "number" ? code : ErrorCode.UNKNOWN_SERVER_ERROR;
}

export class ClusterMarkerWriter implements MarkerWriter {
  constructor(private readonly opts: ClusterMarkerWriterOptions) {}

  async write(marker: TxnMarker, partitions: readonly TopicPartitionRef[]): Promise<MarkerOutcome[]> {
    const byLeader = new Map<number, TopicPartitionRef[]>();
    const work: Promise<MarkerOutcome[]>[] = [];
    for (const tp of partitions) {
      const leader = this.opts.cluster.leaderOf(tp.topic, tp.partition).leaderId;
      if (leader < 0) {
        // Nobody leads it now (a gateway died and the controller has not reassigned it yet): retried later.
        const errorCode = tp.topic === CONSUMER_OFFSETS_TOPIC
          ? ErrorCode.COORDINATOR_NOT_AVAILABLE
          : ErrorCode.LEADER_NOT_AVAILABLE;
        work.push(Promise.resolve([{ ...tp, errorCode }]));
      } else if (leader === this.opts.cluster.nodeId) {
        work.push(this.local(marker, tp).then((o) => [o]));
      } else {
        const list = byLeader.get(leader);
        if (list === undefined) byLeader.set(leader, [tp]);
        else list.push(tp);
      }
    }
    for (const [leader, tps] of byLeader) work.push(this.remote(leader, marker, tps));
    const outcomes = (await Promise.all(work)).flat();
    // In the order asked (the coordinator matches by topic and partition, people reading logs by position).
    const at = new Map(outcomes.map((o) => [`${o.topic}\u0000${o.partition}`, o]));
    return partitions.map((tp) =>
      at.get(`${tp.topic}\u0000${tp.partition}`) ?? { ...tp, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR }
    );
  }

  private async local(marker: TxnMarker, tp: TopicPartitionRef): Promise<MarkerOutcome> {
    try {
      if (tp.topic === CONSUMER_OFFSETS_TOPIC) {
        await this.opts.offsets.completeTransaction(tp.partition, marker.producerId, marker.commit);
      } else {
        await this.opts.writeLocal(tp.topic, tp.partition, marker);
      }
      return { ...tp, errorCode: ErrorCode.NONE };
    } catch (e) {
      const code = codeOf(e);
      // The group coordinator speaks of coordinators; the coordinator's retry logic of partitions and leaders.
      return {
        ...tp,
        errorCode: code === ErrorCode.NOT_COORDINATOR ? ErrorCode.NOT_LEADER_OR_FOLLOWER : code,
      };
    }
  }

  /** One WriteTxnMarkers to `leader` for its partitions; a failed exchange fails all of them alike. */
  private async remote(
    leader: number,
    marker: TxnMarker,
    tps: readonly TopicPartitionRef[],
  ): Promise<MarkerOutcome[]> {
    const topics = new Map<string, number[]>();
    for (const tp of tps) {
      const list = topics.get(tp.topic);
      if (list === undefined) topics.set(tp.topic, [tp.partition]);
      else list.push(tp.partition);
    }
    let res;
    try {
      res = await this.opts.peers.send(leader, WriteTxnMarkersSpec, MARKERS_VERSION, {
        markers: [{
          producerId: marker.producerId,
          producerEpoch: marker.producerEpoch,
          transactionResult: marker.commit,
          topics: [...topics].map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
          coordinatorEpoch: marker.coordinatorEpoch,
        }],
      });
    } catch (e) {
      const errorCode = e instanceof KafkaError ? e.code : ErrorCode.NETWORK_EXCEPTION;
      return tps.map((tp) => ({ ...tp, errorCode }));
    }
    const codes = new Map<string, number>();
    for (const m of res.markers) {
      if (m.producerId !== marker.producerId) continue;
      for (const t of m.topics) {
        for (const p of t.partitions) codes.set(`${t.name}\u0000${p.partitionIndex}`, p.errorCode);
      }
    }
    // A partition the leader left out of its answer was not written: retried like any failure.
    return tps.map((tp) => ({
      ...tp,
      errorCode: codes.get(`${tp.topic}\u0000${tp.partition}`) ?? ErrorCode.UNKNOWN_SERVER_ERROR,
    }));
  }
}
