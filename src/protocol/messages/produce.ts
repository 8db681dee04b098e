// Produce (key 0), versions 0-11, flexible from v9 (Kafka 3.9 ProduceRequest/Response.json).
// Requests keep each partition's record data as a zero-copy view into the request buffer.
import { ApiKey } from "../api_keys.ts";
import { arrayOf, defineApi, field, type RequestOf, type ResponseOf } from "../schema.ts";
import { LeaderIdAndEpoch, NodeEndpoint } from "./common.ts";

export const ProduceSpec = defineApi({
  key: ApiKey.Produce,
  name: "Produce",
  minVersion: 0,
  maxVersion: 11,
  flexibleFrom: 9,
  request: [
    field("transactionalId", "string", "3+", { nullable: "3+", default: null }),
    field("acks", "int16"),
    field("timeoutMs", "int32"),
    field(
      "topicData",
      arrayOf([
        field("name", "string", "0+", { mapKey: true }),
        field(
          "partitionData",
          arrayOf([
            field("index", "int32"),
            field("records", "records", "0+", { nullable: "0+" }),
          ]),
        ),
      ]),
    ),
  ],
  response: [
    field(
      "responses",
      arrayOf([
        field("name", "string", "0+", { mapKey: true }),
        field(
          "partitionResponses",
          arrayOf([
            field("index", "int32"),
            field("errorCode", "int16"),
            field("baseOffset", "int64"),
            // -1 unless the topic uses LogAppendTime.
            field("logAppendTimeMs", "int64", "2+", { default: -1 }),
            field("logStartOffset", "int64", "5+", { default: -1 }),
            field(
              "recordErrors",
              arrayOf([
                field("batchIndex", "int32", "8+"),
                field("batchIndexErrorMessage", "string", "8+", { nullable: "8+", default: null }),
              ]),
              "8+",
            ),
            field("errorMessage", "string", "8+", { nullable: "8+", default: null }),
            field("currentLeader", LeaderIdAndEpoch, "10+", { tag: 0, taggedVersions: "10+" }),
          ]),
        ),
      ]),
    ),
    field("throttleTimeMs", "int32", "1+", { default: 0 }),
    field("nodeEndpoints", arrayOf(NodeEndpoint), "10+", { tag: 0, taggedVersions: "10+" }),
  ],
});

export type ProduceRequest = RequestOf<typeof ProduceSpec>;
export type ProduceRequestPartition = ProduceRequest["topicData"][number]["partitionData"][number];
export type ProduceResponse = ResponseOf<typeof ProduceSpec>;
export type ProduceResponseTopic = ProduceResponse["responses"][number];
export type ProduceResponsePartition = ProduceResponseTopic["partitionResponses"][number];
