// DescribeTransactions (key 65), version 0, flexible (Kafka DescribeTransactionsRequest/Response.json, KIP-664):
// the coordinator's state of each transactional id. TopicPartitions lists the transaction's partitions; while it
// prepares to commit or abort, only those still without a marker.
import { ApiKey } from "../api_keys.ts";
import { arrayOf, defineApi, type ElementOf, field, type RequestOf, type ResponseOf } from "../schema.ts";

export const DescribeTransactionsSpec = defineApi({
  key: ApiKey.DescribeTransactions,
  name: "DescribeTransactions",
  minVersion: 0,
  maxVersion: 0,
  flexibleFrom: 0,
  request: [
    field("transactionalIds", arrayOf("string")),
  ],
  response: [
    field("throttleTimeMs", "int32"),
    field(
      "transactionStates",
      arrayOf([
        field("errorCode", "int16"),
        field("transactionalId", "string"),
        field("transactionState", "string"),
        field("transactionTimeoutMs", "int32"),
        field("transactionStartTimeMs", "int64"),
        field("producerId", "int64"),
        // int16 as in Kafka's DescribeTransactionsResponse.json (an int32 here broke Kafka's admin client).
        field("producerEpoch", "int16"),
        field(
          "topics",
          arrayOf([
            field("topic", "string", "0+", { mapKey: true }),
            field("partitions", arrayOf("int32")),
          ]),
        ),
      ]),
    ),
  ],
});

export type DescribeTransactionsRequest = RequestOf<typeof DescribeTransactionsSpec>;
export type DescribeTransactionsResponse = ResponseOf<typeof DescribeTransactionsSpec>;
export type DescribeTransactionsState = ElementOf<DescribeTransactionsResponse["transactionStates"]>;
