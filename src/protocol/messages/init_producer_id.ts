// InitProducerId (key 22), versions 0-5, flexible from v2 (Kafka 3.9 InitProducerIdRequest/Response.json).
// v3 adds ProducerId/ProducerEpoch so a producer can ask for an epoch bump of the id it holds (KIP-360); v4 may
// answer PRODUCER_FENCED where older versions get INVALID_PRODUCER_EPOCH; v5 may answer TRANSACTION_ABORTABLE.
import { ApiKey } from "../api_keys.ts";
import { defineApi, field, type RequestOf, type ResponseOf } from "../schema.ts";

export const InitProducerIdSpec = defineApi({
  key: ApiKey.InitProducerId,
  name: "InitProducerId",
  minVersion: 0,
  maxVersion: 5,
  flexibleFrom: 2,
  request: [
    // Null for an idempotent (non-transactional) producer.
    field("transactionalId", "string", "0+", { nullable: "0+", default: null }),
    field("transactionTimeoutMs", "int32"),
    // -1 (both) when the producer holds no id yet.
    field("producerId", "int64", "3+", { default: -1 }),
    field("producerEpoch", "int16", "3+", { default: -1 }),
  ],
  response: [
    field("throttleTimeMs", "int32"),
    field("errorCode", "int16"),
    field("producerId", "int64", "0+", { default: -1 }),
    field("producerEpoch", "int16", "0+", { default: -1 }),
  ],
});

export type InitProducerIdRequest = RequestOf<typeof InitProducerIdSpec>;
export type InitProducerIdResponse = ResponseOf<typeof InitProducerIdSpec>;
