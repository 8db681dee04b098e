// InitProducerId: producer ids and epochs. Idempotent producers (no transactional id) get theirs from
// src/producer/manager.ts; a transactional id goes to the transaction coordinator (src/transactions/), which bumps
// the epoch (fencing the previous producer of the id), aborts its ongoing transaction first, and applies KIP-360
// recovery. A gateway without a coordinator refuses a transactional id with TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
// which Java, librdkafka and KafkaJS treat as fatal at once (rather than retrying until a timeout).
import type { Answer, Handler } from "../request/context.ts";
import type { InitProducerIdRequest, InitProducerIdResponse } from "../protocol/messages/init_producer_id.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { errorCodeOf, errorMessageOf } from "./auto_create.ts";
import { txnErrorCode } from "./txn_common.ts";

export const initProducerIdHandler: Handler<InitProducerIdRequest, InitProducerIdResponse> = async (
  ctx,
  req,
) => {
  const res: Answer<InitProducerIdResponse> = {
    errorCode: ErrorCode.NONE,
    producerId: -1,
    producerEpoch: -1,
  };
  if (req.transactionalId !== null) {
    if (req.transactionalId === "") {
      res.errorCode = ErrorCode.INVALID_REQUEST; // as Kafka answers an empty transactional id
      return res;
    }
    const txns = ctx.broker.transactions ?? null;
    if (txns === null) {
      ctx.log.warn(
        "InitProducerId for transactional.id {id} refused with TRANSACTIONAL_ID_AUTHORIZATION_FAILED: " +
          "this gateway runs without a transaction coordinator",
        { id: req.transactionalId },
      );
      res.errorCode = ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
      return res;
    }
    // v3+ (KIP-360): the id and epoch the producer holds, or -1/-1.
    const held = (req.producerId ?? -1) >= 0
      ? { producerId: req.producerId ?? -1, producerEpoch: req.producerEpoch ?? -1 }
      : null;
    try {
      const r = await txns.initProducerId(req.transactionalId, req.transactionTimeoutMs, held);
      res.producerId = r.producerId;
      res.producerEpoch = r.producerEpoch;
    } catch (e) {
      res.errorCode = txnErrorCode(ctx, e, `InitProducerId for ${req.transactionalId}`, 4);
    }
    return res;
  }
  try {
    const r = await ctx.broker.producers.initProducerId(req.producerId ?? -1, req.producerEpoch ?? -1);
    res.producerId = r.producerId;
    res.producerEpoch = r.producerEpoch;
  } catch (e) {
    res.errorCode = errorCodeOf(e);
    // PRODUCER_FENCED exists from v4 on; older clients know it as INVALID_PRODUCER_EPOCH.
    if (res.errorCode === ErrorCode.PRODUCER_FENCED && ctx.header.apiVersion < 4) {
      res.errorCode = ErrorCode.INVALID_PRODUCER_EPOCH;
    }
    if (res.errorCode === ErrorCode.UNKNOWN_SERVER_ERROR) {
      ctx.log.error("InitProducerId failed: {reason}", { reason: String((e as Error)?.stack ?? e) });
    } else {
      ctx.log.info("InitProducerId refused: {reason}", { reason: errorMessageOf(e) });
    }
  }
  return res;
};
