// EndTxn: commit or abort. Answered once PrepareCommit/PrepareAbort is durable; the markers follow (the next
// request of the producer gets CONCURRENT_TRANSACTIONS until they are all written).
import type { Handler } from "../request/context.ts";
import type { EndTxnRequest, EndTxnResponse } from "../protocol/messages/end_txn.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { transactionsOf, txnErrorCode } from "./txn_common.ts";

export const endTxnHandler: Handler<EndTxnRequest, EndTxnResponse> = async (ctx, req) => {
  const txns = transactionsOf(ctx.broker);
  if (txns === null) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
  try {
    await txns.endTransaction(req.transactionalId, req.producerId, req.producerEpoch, req.committed);
    return { errorCode: ErrorCode.NONE };
  } catch (e) {
    return { errorCode: txnErrorCode(ctx, e, `EndTxn for ${req.transactionalId}`, 2) };
  }
};
