// AddPartitionsToTxn: v0-3 from producers (add the partitions to the transaction), v4 from partition leaders
// (KIP-890 part 1: a batch of transactions, each added or, with verify_only, checked). As Kafka's KafkaApis does,
// partitions that do not exist get UNKNOWN_TOPIC_OR_PARTITION and then the others OPERATION_NOT_ATTEMPTED, without
// the coordinator being asked; otherwise the coordinator's answer applies to every partition.
import type { Answer, Handler, RequestContext } from "../request/context.ts";
import type {
  AddPartitionsToTxnRequest,
  AddPartitionsToTxnResponse,
  AddPartitionsToTxnTopicResult,
} from "../protocol/messages/add_partitions_to_txn.ts";
import type { TopicPartitionRef } from "../cluster/view.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { partitionExists, transactionsOf, txnErrorCode } from "./txn_common.ts";

type Topics = NonNullable<AddPartitionsToTxnRequest["v3AndBelowTopics"]>;

function flatten(topics: Topics): TopicPartitionRef[] {
  return topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition })));
}

/** One error code per partition, in the request's shape. */
function results(topics: Topics, codeOf: (tp: TopicPartitionRef) => number): AddPartitionsToTxnTopicResult[] {
  return topics.map((t) => ({
    name: t.name,
    resultsByPartition: t.partitions.map((p) => ({
      partitionIndex: p,
      partitionErrorCode: codeOf({ topic: t.name, partition: p }),
    })),
  }));
}

/** The results of one transaction's partitions. */
async function handleOne(
  ctx: RequestContext,
  transactionalId: string,
  producerId: number,
  producerEpoch: number,
  topics: Topics,
  verifyOnly: boolean,
): Promise<AddPartitionsToTxnTopicResult[]> {
  const txns = transactionsOf(ctx.broker);
  if (txns === null) return results(topics, () => ErrorCode.COORDINATOR_NOT_AVAILABLE);
  const partitions = flatten(topics);
  const missing = new Set<string>();
  for (const tp of partitions) {
    if (!await partitionExists(ctx.broker, tp)) missing.add(`${tp.topic}\u0000${tp.partition}`);
  }
  if (missing.size > 0) {
    return results(
      topics,
      (tp) =>
        missing.has(`${tp.topic}\u0000${tp.partition}`)
          ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
          : ErrorCode.OPERATION_NOT_ATTEMPTED,
    );
  }
  const what = `AddPartitionsToTxn for ${transactionalId}`;
  if (verifyOnly) {
    try {
      const codes = await txns.verifyPartitions(transactionalId, producerId, producerEpoch, partitions);
      let i = 0;
      return results(topics, () => codes[i++]);
    } catch (e) {
      const code = txnErrorCode(ctx, e, what, 2);
      return results(topics, () => code);
    }
  }
  let code: number = ErrorCode.NONE;
  try {
    await txns.addPartitions(transactionalId, producerId, producerEpoch, partitions);
  } catch (e) {
    code = txnErrorCode(ctx, e, what, 2);
  }
  return results(topics, () => code);
}

export const addPartitionsToTxnHandler: Handler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse> =
  async (
    ctx,
    req,
  ) => {
    const res: Answer<AddPartitionsToTxnResponse> = {
      errorCode: ErrorCode.NONE,
      resultsByTransaction: [],
      resultsByTopicV3AndBelow: [],
    };
    if (ctx.header.apiVersion < 4) {
      res.resultsByTopicV3AndBelow = await handleOne(
        ctx,
        req.v3AndBelowTransactionalId ?? "",
        req.v3AndBelowProducerId ?? -1,
        req.v3AndBelowProducerEpoch ?? -1,
        req.v3AndBelowTopics ?? [],
        false,
      );
      return res;
    }
    // The transactions of one request are independent (different ids): handled concurrently.
    res.resultsByTransaction = await Promise.all((req.transactions ?? []).map(async (t) => ({
      transactionalId: t.transactionalId,
      topicResults: await handleOne(
        ctx,
        t.transactionalId,
        t.producerId,
        t.producerEpoch,
        t.topics,
        t.verifyOnly,
      ),
    })));
    return res;
  };
