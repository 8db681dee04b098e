// DescribeProducers (KIP-664): the producers a partition's leader keeps state for (src/producer/state.ts), with
// their epoch, last sequence and timestamp, the coordinator epoch of their last marker (-1 when none) and the
// first offset of their ongoing transaction (-1 when none), as `kafka-transactions.sh describe-producers` shows
// them to find a hanging transaction. Only the leader answers (NOT_LEADER_OR_FOLLOWER elsewhere).
import type { Handler } from "../request/context.ts";
import type {
  DescribeProducersRequest,
  DescribeProducersResponse,
} from "../protocol/messages/describe_producers.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { errorCodeOf, errorMessageOf } from "./auto_create.ts";
import { servingEpochOf } from "./routing.ts";
import type { PartitionProducerState } from "../producer/state.ts";

type TopicResult = DescribeProducersResponse["topics"][number];
type PartitionResult = TopicResult["partitions"][number];
type ProducerResult = PartitionResult["activeProducers"][number];

function activeProducers(state: PartitionProducerState): ProducerResult[] {
  const out: ProducerResult[] = [];
  for (const e of state.entries()) {
    const last = e.batches.at(-1);
    out.push({
      producerId: e.producerId,
      producerEpoch: e.epoch,
      lastSequence: last?.lastSeq ?? -1,
      lastTimestamp: last?.timestamp ?? -1,
      coordinatorEpoch: e.coordinatorEpoch,
      currentTxnStartOffset: e.txnFirstOffset >= 0 && !e.txnPending ? e.txnFirstOffset : -1,
    });
  }
  return out;
}

export const describeProducersHandler: Handler<DescribeProducersRequest, DescribeProducersResponse> = async (
  ctx,
  req,
) => {
  const { storage, cluster, producers } = ctx.broker;
  const topics: TopicResult[] = [];
  for (const t of req.topics) {
    const meta = storage.getTopic(t.name);
    const partitions: PartitionResult[] = [];
    topics.push({ name: t.name, partitions });
    for (const index of t.partitionIndexes) {
      const r: PartitionResult = {
        partitionIndex: index,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        activeProducers: [],
      };
      partitions.push(r);
      try {
        if (!meta || index < 0 || index >= meta.partitions) {
          throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${t.name}-${index} does not exist`);
        }
        servingEpochOf(cluster, meta.name, index);
        const s = producers.partition(meta, index);
        r.activeProducers = activeProducers(s instanceof Promise ? await s : s);
      } catch (e) {
        r.errorCode = errorCodeOf(e);
        r.errorMessage = errorMessageOf(e);
      }
    }
  }
  return { topics };
};
