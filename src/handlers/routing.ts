// Routing in a cluster of gateways, as each Kafka broker answers for itself: a partition is served only by the
// gateway that leads it (NOT_LEADER_OR_FOLLOWER elsewhere, with the current leader as a hint, KIP-951), a request's
// current_leader_epoch is fenced against the leader epoch (KIP-320), a group is served only by its coordinator
// (NOT_COORDINATOR elsewhere). Shared by Produce, Fetch, ListOffsets, OffsetForLeaderEpoch, DeleteRecords and the
// group APIs. With SoloCluster every check passes and every epoch is -1.
import type { Broker } from "../request/context.ts";
import { type ClusterView, endpointFor, type LeaderInfo } from "../cluster/view.ts";
import { getInt32, getInt64 } from "../protocol/codec.ts";
import {
  BASE_OFFSET_OFFSET,
  LENGTH_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAGIC_V2,
} from "../records/layout.ts";
import { setPartitionLeaderEpoch } from "../records/batch.ts";
import type { ProduceResponse } from "../protocol/messages/produce.ts";

// Checked on the log side too (producer/leader_append.ts, markers.ts), so it lives with the cluster view.
export { servingEpochOf } from "../cluster/serving_epoch.ts";

/** A broker endpoint as Produce v10+ and Fetch v16+ list them in `nodeEndpoints` (the same common struct). */
export type NodeEndpointData = NonNullable<ProduceResponse["nodeEndpoints"]>[number];

/**
 * The current leaders named in a response's NOT_LEADER_OR_FOLLOWER (and Fetch's FENCED_LEADER_EPOCH) answers and
 * the endpoints of those that are live brokers (KIP-951: the client re-routes without a Metadata round trip).
 * One per request; nothing is allocated until a partition needs a hint.
 */
export class LeaderHints {
  private nodes: Map<number, NodeEndpointData> | null = null;

  /** `listener`: the name of the listener the client came through (its brokers' addresses on it are given). */
  constructor(private readonly cluster: ClusterView, private readonly listener: string) {}

  /** The partition's current leader as this gateway knows it; its endpoint joins `endpoints()`. */
  leader(topic: string, partition: number): LeaderInfo {
    const l = this.cluster.leaderOf(topic, partition);
    if (l.leaderId >= 0 && !this.nodes?.has(l.leaderId)) {
      const b = this.cluster.broker(l.leaderId);
      if (b !== undefined) {
        this.nodes ??= new Map();
        const { host, port } = endpointFor(b, this.listener);
        this.nodes.set(b.nodeId, { nodeId: b.nodeId, host, port, rack: b.rack });
      }
    }
    return { leaderId: l.leaderId, leaderEpoch: l.leaderEpoch };
  }

  /** Endpoints of the leaders named so far, by node id. */
  endpoints(): NodeEndpointData[] {
    return this.nodes === null ? [] : [...this.nodes.values()].sort((a, b) => a.nodeId - b.nodeId);
  }
}

/**
 * Stamps each v2 batch of `chunk` with the leader epoch its base offset was written under (Fetch of a distributed
 * cluster: the backend does not keep the stamp). In place, 4 bytes per batch outside the CRC; idempotent, so
 * bytes shared with a cache or another response are safe to stamp.
 */
export function stampFetchedEpochs(
  cluster: ClusterView,
  topic: string,
  partition: number,
  chunk: Uint8Array,
): void {
  for (let pos = 0; pos + LOG_OVERHEAD <= chunk.length;) {
    const size = LOG_OVERHEAD + getInt32(chunk, pos + LENGTH_OFFSET);
    if (size <= LOG_OVERHEAD || pos + size > chunk.length) return; // not a whole batch: left as it is
    if (chunk[pos + MAGIC_OFFSET] === MAGIC_V2) {
      const base = getInt64(chunk, pos + BASE_OFFSET_OFFSET);
      setPartitionLeaderEpoch(chunk, pos, cluster.epochAt(topic, partition, base));
    }
    pos += size;
  }
}

/**
 * Whether a group request must be answered NOT_COORDINATOR: another gateway (or none right now) coordinates the
 * group. Checked before the coordinator is touched. `emptyIdValid`: Kafka routes the empty group id like any other
 * for OffsetCommit and OffsetFetch; the other APIs answer it INVALID_GROUP_ID, which the coordinator decides.
 */
export function coordinatedElsewhere(broker: Broker, groupId: string, emptyIdValid = false): boolean {
  if (groupId === "" && !emptyIdValid) return false;
  return !broker.cluster.coordinates(groupId);
}

/** Time CreateTopics (and auto-creation) gives a distributed cluster to give new partitions a leader. */
export const LEADER_WAIT_MS = 5_000;
const LEADER_POLL_MS = 25;

/**
 * Waits until partitions [from, to) of the topic have a leader and every gateway serves that assignment
 * (distributed cluster only), so that a client that creates a topic and produces at once, through any gateway, is
 * not told LEADER_NOT_AVAILABLE or NOT_LEADER_OR_FOLLOWER; bounded by `timeoutMs` and shutdown. Resolves true when
 * every partition has one.
 */
export async function awaitLeaders(
  broker: Broker,
  topic: string,
  from: number,
  to: number,
  timeoutMs = LEADER_WAIT_MS,
): Promise<boolean> {
  const { cluster, shutdown } = broker;
  if (!cluster.distributed) return true;
  const deadline = Date.now() + timeoutMs;
  let next = from;
  for (;;) {
    while (next < to && cluster.leaderOf(topic, next).leaderId >= 0) next++;
    if (next >= to) {
      // Every gateway must know (and the leaders serve) what this one was told, or a client that asks another
      // gateway at once is told LEADER_NOT_AVAILABLE / NOT_LEADER_OR_FOLLOWER for a topic it was told exists.
      const left = deadline - Date.now();
      return left > 0 && cluster.awaitPropagation ? await cluster.awaitPropagation(left) : true;
    }
    const left = deadline - Date.now();
    if (left <= 0 || shutdown.aborted) return false;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        shutdown.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, Math.min(LEADER_POLL_MS, left));
      shutdown.addEventListener("abort", done, { once: true });
    });
  }
}
