// Fetch (key 1), versions 0-17, flexible from v12 (Kafka 3.9 FetchRequest/Response.json).
// v7+ fetch sessions, v12+ tagged diverging epoch / current leader / snapshot id, v13+ topic ids instead of
// names, v15+ ReplicaState replaces ReplicaId, v16+ node endpoints, v17+ replica directory id.
import { ApiKey } from "../api_keys.ts";
import { arrayOf, defineApi, field, type RequestOf, type ResponseOf, struct } from "../schema.ts";
import { EpochEndOffset, LeaderIdAndEpoch, NodeEndpoint } from "./common.ts";

export const FetchSpec = defineApi({
  key: ApiKey.Fetch,
  name: "Fetch",
  minVersion: 0,
  maxVersion: 17,
  flexibleFrom: 12,
  request: [
    field("clusterId", "string", "12+", { nullable: "12+", default: null, tag: 0, taggedVersions: "12+" }),
    // -1 for consumers.
    field("replicaId", "int32", "0-14", { default: -1 }),
    field(
      "replicaState",
      struct([
        field("replicaId", "int32", "15+", { default: -1 }),
        field("replicaEpoch", "int64", "15+", { default: -1 }),
      ]),
      "15+",
      { tag: 1, taggedVersions: "15+" },
    ),
    field("maxWaitMs", "int32"),
    field("minBytes", "int32"),
    field("maxBytes", "int32", "3+", { default: 0x7fffffff }),
    field("isolationLevel", "int8", "4+", { default: 0 }),
    field("sessionId", "int32", "7+", { default: 0 }),
    field("sessionEpoch", "int32", "7+", { default: -1 }),
    field(
      "topics",
      arrayOf([
        field("topic", "string", "0-12"),
        field("topicId", "uuid", "13+"),
        field(
          "partitions",
          arrayOf([
            field("partition", "int32"),
            field("currentLeaderEpoch", "int32", "9+", { default: -1 }),
            field("fetchOffset", "int64"),
            field("lastFetchedEpoch", "int32", "12+", { default: -1 }),
            field("logStartOffset", "int64", "5+", { default: -1 }),
            field("partitionMaxBytes", "int32"),
            field("replicaDirectoryId", "uuid", "17+", { tag: 0, taggedVersions: "17+" }),
          ]),
        ),
      ]),
    ),
    field(
      "forgottenTopicsData",
      arrayOf([
        field("topic", "string", "7-12"),
        field("topicId", "uuid", "13+"),
        field("partitions", arrayOf("int32"), "7+"),
      ]),
      "7+",
    ),
    field("rackId", "string", "11+", { default: "" }),
  ],
  response: [
    field("throttleTimeMs", "int32", "1+"),
    field("errorCode", "int16", "7+"),
    field("sessionId", "int32", "7+", { default: 0 }),
    field(
      "responses",
      arrayOf([
        field("topic", "string", "0-12"),
        field("topicId", "uuid", "13+"),
        field(
          "partitions",
          arrayOf([
            field("partitionIndex", "int32"),
            field("errorCode", "int16"),
            field("highWatermark", "int64"),
            field("lastStableOffset", "int64", "4+", { default: -1 }),
            field("logStartOffset", "int64", "5+", { default: -1 }),
            field("divergingEpoch", EpochEndOffset, "12+", { tag: 0, taggedVersions: "12+" }),
            field("currentLeader", LeaderIdAndEpoch, "12+", { tag: 1, taggedVersions: "12+" }),
            field(
              "snapshotId",
              struct([
                field("endOffset", "int64", "0+", { default: -1 }),
                field("epoch", "int32", "0+", { default: -1 }),
              ]),
              "12+",
              { tag: 2, taggedVersions: "12+" },
            ),
            field(
              "abortedTransactions",
              arrayOf([
                field("producerId", "int64", "4+"),
                field("firstOffset", "int64", "4+"),
              ]),
              "4+",
              { nullable: "4+" },
            ),
            field("preferredReadReplica", "int32", "11+", { default: -1 }),
            // Encoded from one buffer or several stored batches; decodes to a single view or null.
            field("records", "records", "0+", { nullable: "0+" }),
          ]),
        ),
      ]),
    ),
    field("nodeEndpoints", arrayOf(NodeEndpoint), "16+", { tag: 0, taggedVersions: "16+" }),
  ],
});

export type FetchRequest = RequestOf<typeof FetchSpec>;
export type FetchRequestTopic = FetchRequest["topics"][number];
export type FetchResponse = ResponseOf<typeof FetchSpec>;
export type FetchResponseTopic = FetchResponse["responses"][number];
export type FetchResponsePartition = FetchResponseTopic["partitions"][number];
