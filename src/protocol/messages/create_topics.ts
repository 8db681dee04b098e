// CreateTopics (key 19), versions 0-7, flexible from v5 (Kafka 3.9 CreateTopicsRequest/Response.json).
import { ApiKey } from "../api_keys.ts";
import { type ApiSpec, arrayOf, field } from "../schema.ts";

export interface CreateTopicsRequestAssignment {
  partitionIndex: number;
  brokerIds: number[];
}

export interface CreateTopicsRequestConfig {
  name: string;
  value: string | null;
}

export interface CreateTopicsRequestTopic {
  name: string;
  /** -1 = broker default (v4+) or manual assignment. */
  numPartitions: number;
  /** -1 = broker default (v4+) or manual assignment. */
  replicationFactor: number;
  assignments: CreateTopicsRequestAssignment[];
  configs: CreateTopicsRequestConfig[];
}

export interface CreateTopicsRequest {
  topics: CreateTopicsRequestTopic[];
  timeoutMs: number;
  /** v1+. */
  validateOnly: boolean;
}

export interface CreateTopicsResponseConfig {
  name: string;
  value: string | null;
  readOnly: boolean;
  configSource: number;
  isSensitive: boolean;
}

export interface CreateTopicsResponseTopic {
  name: string;
  /** v7+. */
  topicId: string;
  errorCode: number;
  /** v1+. */
  errorMessage: string | null;
  /** v5+, tag 0. */
  topicConfigErrorCode: number;
  /** v5+. */
  numPartitions: number;
  /** v5+. */
  replicationFactor: number;
  /** v5+, nullable. */
  configs: CreateTopicsResponseConfig[] | null;
}

export interface CreateTopicsResponse {
  /** v2+. */
  throttleTimeMs: number;
  topics: CreateTopicsResponseTopic[];
}

export const CreateTopicsSpec: ApiSpec = {
  key: ApiKey.CreateTopics,
  name: "CreateTopics",
  minVersion: 0,
  maxVersion: 7,
  flexibleFrom: 5,
  request: [
    field(
      "topics",
      arrayOf([
        field("name", "string"),
        field("numPartitions", "int32"),
        field("replicationFactor", "int16"),
        field(
          "assignments",
          arrayOf([
            field("partitionIndex", "int32"),
            field("brokerIds", arrayOf("int32")),
          ]),
        ),
        field(
          "configs",
          arrayOf([
            field("name", "string"),
            field("value", "string", "0+", { nullable: "0+" }),
          ]),
        ),
      ]),
    ),
    field("timeoutMs", "int32", "0+", { default: 60000 }),
    field("validateOnly", "bool", "1+", { default: false }),
  ],
  response: [
    field("throttleTimeMs", "int32", "2+"),
    field(
      "topics",
      arrayOf([
        field("name", "string"),
        field("topicId", "uuid", "7+"),
        field("errorCode", "int16"),
        field("errorMessage", "string", "1+", { nullable: "0+" }),
        field("topicConfigErrorCode", "int16", "5+", { tag: 0, taggedVersions: "5+" }),
        field("numPartitions", "int32", "5+", { default: -1 }),
        field("replicationFactor", "int16", "5+", { default: -1 }),
        field(
          "configs",
          arrayOf([
            field("name", "string", "5+"),
            field("value", "string", "5+", { nullable: "5+" }),
            field("readOnly", "bool", "5+"),
            field("configSource", "int8", "5+", { default: -1 }),
            field("isSensitive", "bool", "5+"),
          ]),
          "5+",
          { nullable: "5+" },
        ),
      ]),
    ),
  ],
};
