// One marker round of an ending transaction: its COMMIT or ABORT marker written to every partition it touched,
// again and again with a doubling wait (from the coordinator's markerRetryMs up to 5 s), until each partition has
// it or can never hold it: a partition in SeaweedMQ's plain record format (it refuses transactional data too, so
// there is nothing to end there, as Kafka drops such a marker), or one whose leader answers
// UNKNOWN_TOPIC_OR_PARTITION and that the local view confirms is gone (a deleted topic). The coordinator
// (./coordinator.ts) stops a round by answering `going()` false: another coordinator took the id over, or a
// newer state replaced the one being ended.
import type { TopicPartitionRef } from "../cluster/view.ts";
import type { Logger } from "../log.ts";
import { ErrorCode } from "../protocol/errors.ts";
import type { MarkerOutcome, MarkerWriter, TxnMarker } from "./contracts.ts";

const MARKER_RETRY_MAX_MS = 5_000;

export interface MarkerRound {
  /** The transactional id (log lines). */
  readonly id: string;
  readonly marker: TxnMarker;
  readonly partitions: readonly TopicPartitionRef[];
  readonly writer: MarkerWriter;
  readonly log: Logger;
  /** The first wait before the markers that failed are written again. */
  readonly retryMs: number;
  /** Whether a partition still exists (absent: every partition is retried until it has its marker). */
  readonly partitionExists?: (tp: TopicPartitionRef) => boolean;
  /** Whether the round goes on: checked before every attempt. */
  readonly going: () => boolean;
  /** The partitions still without a marker, after each attempt. */
  readonly pending: (partitions: TopicPartitionRef[]) => void;
  /** A write that threw (the round retries it). */
  readonly failed: (err: unknown) => void;
  /** Waits between attempts (cut short when the coordinator stops). */
  readonly sleep: (ms: number) => Promise<void>;
}

/** True once every partition has its marker; false when the round was stopped first. */
export async function runMarkerRound(r: MarkerRound): Promise<boolean> {
  let wait = r.retryMs;
  let pending = [...r.partitions];
  while (pending.length > 0) {
    if (!r.going()) return false;
    let outcomes: MarkerOutcome[];
    try {
      outcomes = await r.writer.write(r.marker, pending);
    } catch (err) {
      r.failed(err);
      outcomes = [];
    }
    pending = pending.filter((tp) => {
      const o = outcomes.find((x) => x.topic === tp.topic && x.partition === tp.partition);
      if (o !== undefined && o.errorCode === ErrorCode.NONE) return false;
      if (o?.errorCode === ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT) return false;
      // Only a leader's UNKNOWN_TOPIC_OR_PARTITION confirmed by the local view gives a partition up.
      if (
        o?.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION && r.partitionExists !== undefined &&
        !r.partitionExists(tp)
      ) {
        r.log.warn("transaction of {id}: no marker for {topic}-{partition}, which no longer exists", {
          id: r.id,
          topic: tp.topic,
          partition: tp.partition,
        });
        return false;
      }
      return true;
    });
    r.pending(pending);
    if (pending.length > 0) {
      r.log.debug("transaction of {id}: {n} markers to retry in {ms} ms", {
        id: r.id,
        n: pending.length,
        ms: wait,
      });
      await r.sleep(wait);
      wait = Math.min(wait * 2, MARKER_RETRY_MAX_MS);
    }
  }
  return true;
}
