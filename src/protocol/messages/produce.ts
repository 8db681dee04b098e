// Produce (key 0), versions 0-11, flexible from v9 (Kafka 3.9 ProduceRequest/Response.json).
// Requests keep each partition's record data as a zero-copy view into the request buffer.
import { ApiKey } from "../api_keys.ts";
import { type ApiSpec, arrayOf, field, struct } from "../schema.ts";

export interface ProduceRequestPartition {
  index: number;
  records: Uint8Array | null;
}

export interface ProduceRequestTopic {
  name: string;
  partitionData: ProduceRequestPartition[];
}

export interface ProduceRequest {
  /** v3+. */
  transactionalId: string | null;
  acks: number;
  timeoutMs: number;
  topicData: ProduceRequestTopic[];
}

export interface ProduceResponseRecordError {
  batchIndex: number;
  batchIndexErrorMessage: string | null;
}

export interface ProduceResponseCurrentLeader {
  leaderId: number;
  leaderEpoch: number;
}

export interface ProduceResponsePartition {
  index: number;
  errorCode: number;
  baseOffset: number;
  /** v2+; -1 unless the topic uses LogAppendTime. */
  logAppendTimeMs: number;
  /** v5+. */
  logStartOffset: number;
  /** v8+. */
  recordErrors: ProduceResponseRecordError[];
  /** v8+. */
  errorMessage: string | null;
  /** v10+, tag 0. */
  currentLeader: ProduceResponseCurrentLeader;
}

export interface ProduceResponseTopic {
  name: string;
  partitionResponses: ProduceResponsePartition[];
}

export interface ProduceResponseNodeEndpoint {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface ProduceResponse {
  responses: ProduceResponseTopic[];
  /** v1+. */
  throttleTimeMs: number;
  /** v10+, tag 0. */
  nodeEndpoints: ProduceResponseNodeEndpoint[];
}

export const ProduceSpec: ApiSpec = {
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
        field("name", "string"),
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
        field("name", "string"),
        field(
          "partitionResponses",
          arrayOf([
            field("index", "int32"),
            field("errorCode", "int16"),
            field("baseOffset", "int64"),
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
            field(
              "currentLeader",
              struct([
                field("leaderId", "int32", "10+", { default: -1 }),
                field("leaderEpoch", "int32", "10+", { default: -1 }),
              ]),
              "10+",
              { tag: 0, taggedVersions: "10+" },
            ),
          ]),
        ),
      ]),
    ),
    field("throttleTimeMs", "int32", "1+", { default: 0 }),
    field(
      "nodeEndpoints",
      arrayOf([
        field("nodeId", "int32", "10+"),
        field("host", "string", "10+"),
        field("port", "int32", "10+"),
        field("rack", "string", "10+", { nullable: "10+", default: null }),
      ]),
      "10+",
      { tag: 0, taggedVersions: "10+" },
    ),
  ],
};
