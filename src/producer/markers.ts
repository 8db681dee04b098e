// Transaction markers on the data partitions this gateway leads: the coordinator's local MarkerWriter and the
// WriteTxnMarkers handler end a producer's transaction in a partition with writeLocalMarker.
import type { ClusterView } from "../cluster/view.ts";
import type { ConfigModel } from "../configs/model.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import type { Storage } from "../storage/storage.ts";
import type { TxnMarker } from "../transactions/contracts.ts";
import { servingEpochOf } from "../cluster/serving_epoch.ts";
import { appendMarker } from "./append.ts";
import { LeaderAppend } from "./leader_append.ts";
import type { ProducerManager } from "./manager.ts";

/** What writing a marker needs of the broker (src/request/context.ts Broker has it). */
export interface MarkerBroker {
  readonly storage: Pick<Storage, "getTopic" | "append" | "offsets">;
  readonly cluster: ClusterView;
  readonly producers: ProducerManager;
  /** The topic's message.timestamp.type: markers of a LogAppendTime topic are stamped so. */
  readonly configs: Pick<ConfigModel, "policy">;
}

/**
 * Appends `marker` to `topic`-`partition`, which this gateway must lead (checked now and again as the marker is
 * appended, which stamps the serving leader epoch into it, as Produce does). Resolves with the marker's offset.
 * Throws KafkaError: UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_OR_FOLLOWER, INVALID_PRODUCER_EPOCH,
 * TRANSACTION_COORDINATOR_FENCED, or the backend's error.
 */
export async function writeLocalMarker(
  broker: MarkerBroker,
  topic: string,
  partition: number,
  marker: TxnMarker,
): Promise<number> {
  const t = broker.storage.getTopic(topic);
  if (t === undefined || partition < 0 || partition >= t.partitions) {
    throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${topic}-${partition} does not exist`);
  }
  const storage = new LeaderAppend(
    broker.storage,
    broker.cluster,
    servingEpochOf(broker.cluster, topic, partition),
  );
  return await appendMarker(
    storage,
    broker.producers,
    t,
    partition,
    marker,
    broker.configs.policy(t).logAppendTime,
  );
}
