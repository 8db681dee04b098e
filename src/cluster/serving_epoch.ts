// The leader epoch a request for a partition is served under: Kafka's current_leader_epoch check, then leadership.
// Handlers (produce, fetch, list offsets, ...) and the log side (producer/leader_append.ts, markers.ts) use it.
import type { ClusterView } from "./view.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { NO_VALUE } from "../records/layout.ts";

/**
 * The leader epoch this gateway serves the partition with, after Kafka's check of the request's
 * current_leader_epoch (Partition.getLocalLog: the epoch is checked first, then leadership). -1 from the client
 * means "unknown" and is not checked; a solo gateway (epochs -1) checks nothing. Throws KafkaError
 * FENCED_LEADER_EPOCH (the client's epoch is older: refresh metadata), UNKNOWN_LEADER_EPOCH (newer: this gateway
 * has not caught up yet, retry) or NOT_LEADER_OR_FOLLOWER.
 */
export function servingEpochOf(
  cluster: ClusterView,
  topic: string,
  partition: number,
  currentLeaderEpoch = NO_VALUE,
): number {
  const epoch = cluster.servingEpoch(topic, partition);
  if (currentLeaderEpoch !== NO_VALUE) {
    // Not serving: compared with the epoch this gateway knows for the partition, as a Kafka follower does. A
    // cluster without epochs (-1) compares nothing.
    const ours = epoch ?? cluster.leaderOf(topic, partition).leaderEpoch;
    if (ours >= 0 && currentLeaderEpoch < ours) {
      throw new KafkaError(
        ErrorCode.FENCED_LEADER_EPOCH,
        `${topic}-${partition}: leader epoch ${currentLeaderEpoch} is older than the current ${ours}`,
      );
    }
    if (ours >= 0 && currentLeaderEpoch > ours) {
      throw new KafkaError(
        ErrorCode.UNKNOWN_LEADER_EPOCH,
        `${topic}-${partition}: leader epoch ${currentLeaderEpoch} is newer than the ${ours} this broker knows`,
      );
    }
  }
  if (epoch === null) {
    const l = cluster.leaderOf(topic, partition);
    throw new KafkaError(
      ErrorCode.NOT_LEADER_OR_FOLLOWER,
      l.leaderId < 0
        ? `${topic}-${partition} has no leader at the moment`
        : `${topic}-${partition} is led by broker ${l.leaderId}${
          l.leaderId === cluster.nodeId ? " (taking over)" : ""
        }, not served by broker ${cluster.nodeId}`,
    );
  }
  return epoch;
}
