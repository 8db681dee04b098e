// AddPartitionsToTxn (key 24), versions 0-4, flexible from v3 (Kafka AddPartitionsToTxnRequest/Response.json).
// v0-3 are the client form: one transaction, its topics, and per-partition results. v4 (KIP-890 part 1) is sent
// broker to broker: a batch of transactions, each with VerifyOnly (check that the partitions are in the ongoing
// transaction rather than add them), answered per transaction with a top-level error code. v2+ may answer
// PRODUCER_FENCED where v0-1 get INVALID_PRODUCER_EPOCH. v5 (TRANSACTION_ABORTABLE) is not advertised.
import { ApiKey } from "../api_keys.ts";
import { arrayOf, defineApi, type ElementOf, field, type RequestOf, type ResponseOf } from "../schema.ts";

const topic = [
  field("name", "string", "0+", { mapKey: true }),
  field("partitions", arrayOf("int32")),
] as const;

const topicResult = [
  field("name", "string", "0+", { mapKey: true }),
  field(
    "resultsByPartition",
    arrayOf([
      field("partitionIndex", "int32", "0+", { mapKey: true }),
      field("partitionErrorCode", "int16"),
    ]),
  ),
] as const;

export const AddPartitionsToTxnSpec = defineApi({
  key: ApiKey.AddPartitionsToTxn,
  name: "AddPartitionsToTxn",
  minVersion: 0,
  maxVersion: 4,
  flexibleFrom: 3,
  request: [
    field(
      "transactions",
      arrayOf([
        field("transactionalId", "string", "4+", { mapKey: true }),
        field("producerId", "int64", "4+"),
        field("producerEpoch", "int16", "4+"),
        field("verifyOnly", "bool", "4+", { default: false }),
        field("topics", arrayOf(topic), "4+"),
      ]),
      "4+",
    ),
    field("v3AndBelowTransactionalId", "string", "0-3"),
    field("v3AndBelowProducerId", "int64", "0-3"),
    field("v3AndBelowProducerEpoch", "int16", "0-3"),
    field("v3AndBelowTopics", arrayOf(topic), "0-3"),
  ],
  response: [
    field("throttleTimeMs", "int32"),
    field("errorCode", "int16", "4+"),
    field(
      "resultsByTransaction",
      arrayOf([
        field("transactionalId", "string", "4+", { mapKey: true }),
        field("topicResults", arrayOf(topicResult), "4+"),
      ]),
      "4+",
    ),
    field("resultsByTopicV3AndBelow", arrayOf(topicResult), "0-3"),
  ],
});

export type AddPartitionsToTxnRequest = RequestOf<typeof AddPartitionsToTxnSpec>;
export type AddPartitionsToTxnResponse = ResponseOf<typeof AddPartitionsToTxnSpec>;
export type AddPartitionsToTxnTopicResult = ElementOf<AddPartitionsToTxnResponse["resultsByTopicV3AndBelow"]>;
