// DescribeTransactions (KIP-664): the coordinator's state of each id; NOT_COORDINATOR for ids another gateway
// coordinates, TRANSACTIONAL_ID_NOT_FOUND for unknown ones.
import type { Handler } from "../request/context.ts";
import type {
  DescribeTransactionsRequest,
  DescribeTransactionsResponse,
  DescribeTransactionsState,
} from "../protocol/messages/describe_transactions.ts";
import type { TopicPartitionRef } from "../cluster/view.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { errorCodeOf } from "./auto_create.ts";
import { transactionsOf } from "./txn_common.ts";

function byTopic(partitions: readonly TopicPartitionRef[]): DescribeTransactionsState["topics"] {
  const m = new Map<string, number[]>();
  for (const tp of partitions) {
    const l = m.get(tp.topic);
    if (l === undefined) m.set(tp.topic, [tp.partition]);
    else l.push(tp.partition);
  }
  return [...m].map(([topic, partitions]) => ({ topic, partitions }));
}

function failed(transactionalId: string, errorCode: number): DescribeTransactionsState {
  return {
    errorCode,
    transactionalId,
    transactionState: "",
    // Kafka leaves a failed entry's numbers at the schema's defaults (0), not -1.
    transactionTimeoutMs: 0,
    transactionStartTimeMs: 0,
    producerId: 0,
    producerEpoch: 0,
    topics: [],
  };
}

export const describeTransactionsHandler: Handler<DescribeTransactionsRequest, DescribeTransactionsResponse> =
  (
    ctx,
    req,
  ) => {
    const txns = transactionsOf(ctx.broker);
    return {
      transactionStates: req.transactionalIds.map((id) => {
        if (txns === null) return failed(id, ErrorCode.COORDINATOR_NOT_AVAILABLE);
        try {
          const t = txns.describe(id);
          if (t === null) return failed(id, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
          return {
            errorCode: ErrorCode.NONE,
            transactionalId: id,
            transactionState: t.state,
            transactionTimeoutMs: t.timeoutMs,
            transactionStartTimeMs: t.startMs,
            producerId: t.producerId,
            producerEpoch: t.producerEpoch,
            topics: byTopic(t.partitions),
          };
        } catch (e) {
          return failed(id, errorCodeOf(e));
        }
      }),
    };
  };
