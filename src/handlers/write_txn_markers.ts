// WriteTxnMarkers: a transaction coordinator (on this gateway or another) ends a producer's transaction in the
// partitions this gateway leads. A data partition gets a COMMIT/ABORT control batch (src/producer/markers.ts); a
// `__consumer_offsets` partition makes the group coordinator commit or drop the producer's pending transactional
// offsets of every group on it (Kafka writes the marker into that partition's log and completes them after). Each
// partition answers on its own: NOT_LEADER_OR_FOLLOWER / UNKNOWN_TOPIC_OR_PARTITION (the coordinator retries
// elsewhere), INVALID_PRODUCER_EPOCH / TRANSACTION_COORDINATOR_FENCED (the coordinator is a zombie or the marker
// stale). Kafka requires ClusterAction on the cluster (the ACL step checks it).
import type { Handler } from "../request/context.ts";
import type {
  WriteTxnMarkersRequest,
  WriteTxnMarkersResponse,
} from "../protocol/messages/write_txn_markers.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { errorCodeOf, errorMessageOf } from "./auto_create.ts";
import { CONSUMER_OFFSETS_TOPIC } from "../cluster/view.ts";
import { writeLocalMarker } from "../producer/markers.ts";
import type { TxnMarker } from "../transactions/contracts.ts";
import { ApiKey } from "../protocol/api_keys.ts";

type MarkerResult = WriteTxnMarkersResponse["markers"][number];
type PartitionResult = MarkerResult["topics"][number]["partitions"][number];

export const writeTxnMarkersHandler: Handler<WriteTxnMarkersRequest, WriteTxnMarkersResponse> = async (
  ctx,
  req,
) => {
  const { broker } = ctx;
  const pending: Promise<void>[] = [];
  const markers: MarkerResult[] = [];
  for (const m of req.markers) {
    const marker: TxnMarker = {
      producerId: m.producerId,
      producerEpoch: m.producerEpoch,
      commit: m.transactionResult,
      coordinatorEpoch: m.coordinatorEpoch,
    };
    const topics: MarkerResult["topics"] = [];
    markers.push({ producerId: m.producerId, topics });
    for (const t of m.topics) {
      const partitions: PartitionResult[] = [];
      topics.push({ name: t.name, partitions });
      for (const index of t.partitionIndexes) {
        const r: PartitionResult = { partitionIndex: index, errorCode: ErrorCode.NONE };
        partitions.push(r);
        const write = t.name === CONSUMER_OFFSETS_TOPIC
          ? broker.coordinator.completeTransaction(index, marker.producerId, marker.commit)
          : writeLocalMarker(broker, t.name, index, marker);
        pending.push(
          write.then(() => {}, (e: unknown) => {
            r.errorCode = errorCodeOf(e);
            // The group coordinator says NOT_COORDINATOR for a partition it does not serve; the marker's sender
            // knows partitions, not coordinators.
            if (r.errorCode === ErrorCode.NOT_COORDINATOR) r.errorCode = ErrorCode.NOT_LEADER_OR_FOLLOWER;
            broker.metrics?.error(ApiKey.WriteTxnMarkers, r.errorCode);
            const fields = {
              topic: t.name,
              partition: index,
              producerId: marker.producerId,
              reason: r.errorCode === ErrorCode.UNKNOWN_SERVER_ERROR
                ? String((e as Error)?.stack ?? e)
                : errorMessageOf(e),
            };
            if (r.errorCode === ErrorCode.UNKNOWN_SERVER_ERROR) {
              ctx.log.error(
                "marker for producer {producerId} on {topic}-{partition} failed: {reason}",
                fields,
              );
            } else {
              ctx.log.debug(
                "marker for producer {producerId} on {topic}-{partition} refused: {reason}",
                fields,
              );
            }
          }),
        );
      }
    }
  }
  await Promise.all(pending);
  return { markers };
};
