// CreateTopics (key 19), versions 0-7, flexible from v5 (Kafka 3.9 CreateTopicsRequest/Response.json).
import { ApiKey } from "../api_keys.ts";
import { arrayOf, defineApi, field, type RequestOf, type ResponseOf } from "../schema.ts";

export const CreateTopicsSpec = defineApi({
  key: ApiKey.CreateTopics,
  name: "CreateTopics",
  minVersion: 0,
  maxVersion: 7,
  flexibleFrom: 5,
  request: [
    field(
      "topics",
      arrayOf([
        field("name", "string", "0+", { mapKey: true }),
        // -1 = broker default (v4+) or manual assignment (both counts).
        field("numPartitions", "int32"),
        field("replicationFactor", "int16"),
        field(
          "assignments",
          arrayOf([
            field("partitionIndex", "int32", "0+", { mapKey: true }),
            field("brokerIds", arrayOf("int32")),
          ]),
        ),
        field(
          "configs",
          arrayOf([
            field("name", "string", "0+", { mapKey: true }),
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
        field("name", "string", "0+", { mapKey: true }),
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
});

export type CreateTopicsRequest = RequestOf<typeof CreateTopicsSpec>;
export type CreateTopicsRequestTopic = CreateTopicsRequest["topics"][number];
export type CreateTopicsResponse = ResponseOf<typeof CreateTopicsSpec>;
export type CreateTopicsResponseTopic = CreateTopicsResponse["topics"][number];
