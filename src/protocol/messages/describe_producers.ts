// DescribeProducers (key 61), version 0, flexible (Kafka 3.9 DescribeProducersRequest/Response.json, KIP-664):
// the producers a partition's leader keeps state for, with the offset their ongoing transaction started at.
import { ApiKey } from "../api_keys.ts";
import { arrayOf, defineApi, field, type RequestOf, type ResponseOf } from "../schema.ts";

export const DescribeProducersSpec = defineApi({
  key: ApiKey.DescribeProducers,
  name: "DescribeProducers",
  minVersion: 0,
  maxVersion: 0,
  flexibleFrom: 0,
  request: [
    field(
      "topics",
      arrayOf([
        field("name", "string"),
        field("partitionIndexes", arrayOf("int32")),
      ]),
    ),
  ],
  response: [
    field("throttleTimeMs", "int32"),
    field(
      "topics",
      arrayOf([
        field("name", "string"),
        field(
          "partitions",
          arrayOf([
            field("partitionIndex", "int32"),
            field("errorCode", "int16"),
            field("errorMessage", "string", "0+", { nullable: "0+", default: null }),
            field(
              "activeProducers",
              arrayOf([
                field("producerId", "int64"),
                field("producerEpoch", "int32"),
                field("lastSequence", "int32", "0+", { default: -1 }),
                field("lastTimestamp", "int64", "0+", { default: -1 }),
                field("coordinatorEpoch", "int32"),
                field("currentTxnStartOffset", "int64", "0+", { default: -1 }),
              ]),
            ),
          ]),
        ),
      ]),
    ),
  ],
});

export type DescribeProducersRequest = RequestOf<typeof DescribeProducersSpec>;
export type DescribeProducersResponse = ResponseOf<typeof DescribeProducersSpec>;
