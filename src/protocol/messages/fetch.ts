// Fetch (key 1), versions 0-17, flexible from v12 (Kafka 3.9 FetchRequest/Response.json).
// v7+ fetch sessions, v12+ tagged diverging epoch / current leader / snapshot id, v13+ topic ids instead of
// names, v15+ ReplicaState replaces ReplicaId, v16+ node endpoints, v17+ replica directory id.
import { ApiKey } from "../api_keys.ts";
import { type ApiSpec, arrayOf, field, type RecordsValue, struct } from "../schema.ts";

export interface FetchRequestReplicaState {
  replicaId: number;
  replicaEpoch: number;
}

export interface FetchRequestPartition {
  partition: number;
  /** v9+. */
  currentLeaderEpoch: number;
  fetchOffset: number;
  /** v12+. */
  lastFetchedEpoch: number;
  /** v5+. */
  logStartOffset: number;
  partitionMaxBytes: number;
  /** v17+, tag 0. */
  replicaDirectoryId: string;
}

export interface FetchRequestTopic {
  /** v0-12. */
  topic: string;
  /** v13+. */
  topicId: string;
  partitions: FetchRequestPartition[];
}

export interface FetchRequestForgottenTopic {
  /** v7-12. */
  topic: string;
  /** v13+. */
  topicId: string;
  partitions: number[];
}

export interface FetchRequest {
  /** v12+, tag 0. */
  clusterId: string | null;
  /** v0-14; -1 for consumers. */
  replicaId: number;
  /** v15+, tag 1. */
  replicaState: FetchRequestReplicaState;
  maxWaitMs: number;
  minBytes: number;
  /** v3+. */
  maxBytes: number;
  /** v4+. */
  isolationLevel: number;
  /** v7+. */
  sessionId: number;
  /** v7+. */
  sessionEpoch: number;
  topics: FetchRequestTopic[];
  /** v7+. */
  forgottenTopicsData: FetchRequestForgottenTopic[];
  /** v11+. */
  rackId: string;
}

export interface FetchResponseEpochEndOffset {
  epoch: number;
  endOffset: number;
}

export interface FetchResponseCurrentLeader {
  leaderId: number;
  leaderEpoch: number;
}

export interface FetchResponseSnapshotId {
  endOffset: number;
  epoch: number;
}

export interface FetchResponseAbortedTransaction {
  producerId: number;
  firstOffset: number;
}

export interface FetchResponsePartition {
  partitionIndex: number;
  errorCode: number;
  highWatermark: number;
  /** v4+. */
  lastStableOffset: number;
  /** v5+. */
  logStartOffset: number;
  /** v12+, tag 0. */
  divergingEpoch: FetchResponseEpochEndOffset;
  /** v12+, tag 1. */
  currentLeader: FetchResponseCurrentLeader;
  /** v12+, tag 2. */
  snapshotId: FetchResponseSnapshotId;
  /** v4+, nullable. */
  abortedTransactions: FetchResponseAbortedTransaction[] | null;
  /** v11+. */
  preferredReadReplica: number;
  /** Encoded from one buffer or several stored batches; decodes to a single view or null. */
  records: RecordsValue;
}

export interface FetchResponseTopic {
  /** v0-12. */
  topic: string;
  /** v13+. */
  topicId: string;
  partitions: FetchResponsePartition[];
}

export interface FetchResponseNodeEndpoint {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface FetchResponse {
  /** v1+. */
  throttleTimeMs: number;
  /** v7+. */
  errorCode: number;
  /** v7+. */
  sessionId: number;
  responses: FetchResponseTopic[];
  /** v16+, tag 0. */
  nodeEndpoints: FetchResponseNodeEndpoint[];
}

export const FetchSpec: ApiSpec = {
  key: ApiKey.Fetch,
  name: "Fetch",
  minVersion: 0,
  maxVersion: 17,
  flexibleFrom: 12,
  request: [
    field("clusterId", "string", "12+", { nullable: "12+", default: null, tag: 0, taggedVersions: "12+" }),
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
            field(
              "divergingEpoch",
              struct([
                field("epoch", "int32", "12+", { default: -1 }),
                field("endOffset", "int64", "12+", { default: -1 }),
              ]),
              "12+",
              { tag: 0, taggedVersions: "12+" },
            ),
            field(
              "currentLeader",
              struct([
                field("leaderId", "int32", "12+", { default: -1 }),
                field("leaderEpoch", "int32", "12+", { default: -1 }),
              ]),
              "12+",
              { tag: 1, taggedVersions: "12+" },
            ),
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
            field("records", "records", "0+", { nullable: "0+" }),
          ]),
        ),
      ]),
    ),
    field(
      "nodeEndpoints",
      arrayOf([
        field("nodeId", "int32", "16+"),
        field("host", "string", "16+"),
        field("port", "int32", "16+"),
        field("rack", "string", "16+", { nullable: "16+", default: null }),
      ]),
      "16+",
      { tag: 0, taggedVersions: "16+" },
    ),
  ],
};
