// Metadata (key 3), versions 0-12, flexible from v9 (Kafka 3.9 MetadataRequest/Response.json).
// v0: an empty topic array means "all topics"; v1+: null means "all topics" and empty means "none".
import { ApiKey } from "../api_keys.ts";
import { arrayOf, defineApi, field, type RequestOf, type ResponseOf } from "../schema.ts";

/** Sentinel for "authorized operations not requested" (INT32_MIN). */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

export const MetadataSpec = defineApi({
  key: ApiKey.Metadata,
  name: "Metadata",
  minVersion: 0,
  maxVersion: 12,
  flexibleFrom: 9,
  request: [
    field(
      "topics",
      arrayOf([
        // Honoured by the broker from v12.
        field("topicId", "uuid", "10+"),
        field("name", "string", "0+", { nullable: "10+" }),
      ]),
      "0+",
      { nullable: "1+" },
    ),
    field("allowAutoTopicCreation", "bool", "4+", { default: true }),
    field("includeClusterAuthorizedOperations", "bool", "8-10"),
    field("includeTopicAuthorizedOperations", "bool", "8+"),
  ],
  response: [
    field("throttleTimeMs", "int32", "3+"),
    field(
      "brokers",
      arrayOf([
        field("nodeId", "int32", "0+", { mapKey: true }),
        field("host", "string"),
        field("port", "int32"),
        field("rack", "string", "1+", { nullable: "1+", default: null }),
      ]),
    ),
    field("clusterId", "string", "2+", { nullable: "2+", default: null }),
    field("controllerId", "int32", "1+", { default: -1 }),
    field(
      "topics",
      arrayOf([
        field("errorCode", "int16"),
        field("name", "string", "0+", { nullable: "12+", mapKey: true }),
        field("topicId", "uuid", "10+"),
        field("isInternal", "bool", "1+", { default: false }),
        field(
          "partitions",
          arrayOf([
            field("errorCode", "int16"),
            field("partitionIndex", "int32"),
            field("leaderId", "int32"),
            field("leaderEpoch", "int32", "7+", { default: -1 }),
            field("replicaNodes", arrayOf("int32")),
            field("isrNodes", arrayOf("int32")),
            field("offlineReplicas", arrayOf("int32"), "5+"),
          ]),
        ),
        field("topicAuthorizedOperations", "int32", "8+", { default: AUTHORIZED_OPERATIONS_OMITTED }),
      ]),
    ),
    field("clusterAuthorizedOperations", "int32", "8-10", { default: AUTHORIZED_OPERATIONS_OMITTED }),
  ],
});

export type MetadataRequest = RequestOf<typeof MetadataSpec>;
export type MetadataResponse = ResponseOf<typeof MetadataSpec>;
export type MetadataResponseTopic = MetadataResponse["topics"][number];
export type MetadataResponsePartition = MetadataResponseTopic["partitions"][number];
