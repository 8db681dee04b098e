// AddOffsetsToTxn: adds the group's `__consumer_offsets` partition to the transaction (Kafka adds the group's
// offsets-topic partition the same way), so that EndTxn sends that partition a marker and the group coordinator
// commits or drops the transaction's offsets (TxnOffsetCommit).
import type { Handler } from "../request/context.ts";
import type {
  AddOffsetsToTxnRequest,
  AddOffsetsToTxnResponse,
} from "../protocol/messages/add_offsets_to_txn.ts";
import { CONSUMER_OFFSETS_TOPIC } from "../cluster/view.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { transactionsOf, txnErrorCode } from "./txn_common.ts";

export const addOffsetsToTxnHandler: Handler<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse> = async (
  ctx,
  req,
) => {
  const txns = transactionsOf(ctx.broker);
  if (txns === null) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
  const partition = ctx.broker.cluster.coordinatorPartition(req.groupId);
  try {
    await txns.addPartitions(req.transactionalId, req.producerId, req.producerEpoch, [
      { topic: CONSUMER_OFFSETS_TOPIC, partition },
    ]);
    return { errorCode: ErrorCode.NONE };
  } catch (e) {
    return { errorCode: txnErrorCode(ctx, e, `AddOffsetsToTxn for ${req.transactionalId}`, 2) };
  }
};
