// The backend's append behind the last leadership check, for one partition: Produce (plain and idempotent
// batches) and transaction markers (markers.ts) append through it.
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { setPartitionLeaderEpoch } from "../records/batch.ts";
import type { ClusterView } from "../cluster/view.ts";
import type { AppendRequest, AppendResult, PartitionOffsets, Storage } from "../storage/storage.ts";
import { servingEpochOf } from "../cluster/serving_epoch.ts";
import type { AppendStorage } from "./append.ts";

/**
 * The idempotent path and the marker path call it right after their state check, in the same serialized step and
 * without an await between them (append.ts); the plain produce path calls it once the batches are prepared. Either
 * way the check, the stamp of the leader epoch into each batch (whatever the client sent: the serving epoch)
 * and the backend's append happen in one tick. The epoch must still be the one the request was accepted under:
 * leadership that moved away and back meanwhile (new epoch) may have reloaded the producer state the idempotent
 * path already holds, so such a batch is refused too (NOT_LEADER_OR_FOLLOWER, retriable). A refusal throws before
 * anything is written (the serialized step forgets its reservation).
 */
export class LeaderAppend implements AppendStorage {
  constructor(
    private readonly storage: Pick<Storage, "append" | "offsets">,
    private readonly cluster: ClusterView,
    private readonly epoch: number,
  ) {}

  append(topic: string, partition: number, req: AppendRequest): Promise<AppendResult> {
    const now = servingEpochOf(this.cluster, topic, partition);
    if (now !== this.epoch) {
      throw new KafkaError(
        ErrorCode.NOT_LEADER_OR_FOLLOWER,
        `${topic}-${partition}: the leader epoch changed from ${this.epoch} to ${now} while the request waited`,
      );
    }
    for (const b of req.batches) setPartitionLeaderEpoch(req.payload, b.pos, now);
    return this.storage.append(topic, partition, req);
  }

  offsets(topic: string, partition: number): Promise<PartitionOffsets> {
    return this.storage.offsets(topic, partition);
  }
}
