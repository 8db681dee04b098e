// InitProducerId: producer ids and epochs for idempotent producers (src/producer/manager.ts). Transactions do not
// exist yet: a transactional id is refused with TRANSACTIONAL_ID_AUTHORIZATION_FAILED, which Java, librdkafka and
// KafkaJS treat as fatal at once (rather than retrying until a timeout, as they would COORDINATOR_NOT_AVAILABLE);
// the response has no message field, so the gateway logs the reason.
import type { Answer, Handler } from "./context.ts";
import type { InitProducerIdRequest, InitProducerIdResponse } from "../protocol/messages/init_producer_id.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { errorCodeOf, errorMessageOf } from "./auto_create.ts";

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
    ctx.log.warn(
      "InitProducerId for transactional.id {id} refused with TRANSACTIONAL_ID_AUTHORIZATION_FAILED: " +
        "transactions are not supported by this gateway yet (idempotent producers are)",
      { id: req.transactionalId },
    );
    res.errorCode = ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
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
