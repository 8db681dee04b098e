// Message schema tests: hand-written byte vectors (from the Kafka wire grammar, built with helpers that are
// independent of src/protocol/codec.ts) and encode/decode round trips for every version of every API.
import { type ApiSpec } from "../../src/protocol/schema.ts";
import {
  type ApiVersionsRequest,
  type ApiVersionsResponse,
  ApiVersionsSpec,
} from "../../src/protocol/messages/api_versions.ts";
import {
  type MetadataRequest,
  type MetadataResponse,
  MetadataSpec,
} from "../../src/protocol/messages/metadata.ts";
import {
  type ProduceRequest,
  type ProduceResponse,
  ProduceSpec,
} from "../../src/protocol/messages/produce.ts";
import { type FetchRequest, type FetchResponse, FetchSpec } from "../../src/protocol/messages/fetch.ts";
import {
  type ListOffsetsRequest,
  type ListOffsetsResponse,
  ListOffsetsSpec,
} from "../../src/protocol/messages/list_offsets.ts";
import {
  type CreateTopicsRequest,
  type CreateTopicsResponse,
  CreateTopicsSpec,
} from "../../src/protocol/messages/create_topics.ts";
import {
  type DeleteTopicsRequest,
  type DeleteTopicsResponse,
  DeleteTopicsSpec,
} from "../../src/protocol/messages/delete_topics.ts";
import {
  type DescribeClusterRequest,
  type DescribeClusterResponse,
  DescribeClusterSpec,
} from "../../src/protocol/messages/describe_cluster.ts";
import { assert, assertEquals } from "./assert.ts";
import {
  arr,
  assertCoversSpec,
  bool,
  bytes,
  carr,
  cat,
  cbytes,
  cstr,
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  i16,
  i32,
  i64,
  i8,
  NO_TAGS,
  project,
  requestVector,
  responseVector,
  str,
  tagged,
  uuid,
  uv,
} from "./wire_vectors.ts";

// ---------------------------------------------------------------------------------------------------------
// Independent wire-grammar byte builders.

const ZERO = "00000000000000000000000000000000";
const U1 = "0123456789abcdef0123456789abcdef";
const U2 = "fedcba98765432100f1e2d3c4b5a6978";
const U3 = "a1b2c3d4e5f60718293a4b5c6d7e8f90";

// ---------------------------------------------------------------------------------------------------------
// Codec harness.

// ---------------------------------------------------------------------------------------------------------
// Spec metadata.

Deno.test("message specs: keys, version ranges and flexible thresholds", () => {
  const table = [
    [ProduceSpec, 0, 0, 11, 9],
    [FetchSpec, 1, 0, 17, 12],
    [ListOffsetsSpec, 2, 0, 9, 6],
    [MetadataSpec, 3, 0, 12, 9],
    [ApiVersionsSpec, 18, 0, 4, 3],
    [CreateTopicsSpec, 19, 0, 7, 5],
    [DeleteTopicsSpec, 20, 0, 6, 4],
    [DescribeClusterSpec, 60, 0, 1, 0],
  ] as const;
  for (const [spec, key, min, max, flex] of table) {
    assertEquals(
      [spec.key, spec.minVersion, spec.maxVersion, spec.flexibleFrom],
      [key, min, max, flex],
      spec.name,
    );
  }
});

// ---------------------------------------------------------------------------------------------------------
// Hand-written vectors.

Deno.test("ApiVersions v0 request and response bytes", () => {
  const req: ApiVersionsRequest = { clientSoftwareName: "", clientSoftwareVersion: "" };
  requestVector(ApiVersionsSpec, 0, new Uint8Array([]), req);

  // deno-fmt-ignore
  const wire = new Uint8Array([
    0x00, 0x00, // error_code 0
    0x00, 0x00, 0x00, 0x02, // api_keys: 2 entries
    0x00, 0x00, 0x00, 0x00, 0x00, 0x0b, // Produce 0-11
    0x00, 0x12, 0x00, 0x00, 0x00, 0x04, // ApiVersions 0-4
  ]);
  const resp: ApiVersionsResponse = {
    errorCode: 0,
    apiKeys: [{ apiKey: 0, minVersion: 0, maxVersion: 11 }, { apiKey: 18, minVersion: 0, maxVersion: 4 }],
    throttleTimeMs: 0,
    supportedFeatures: [],
    finalizedFeaturesEpoch: -1,
    finalizedFeatures: [],
    zkMigrationReady: false,
  };
  responseVector(ApiVersionsSpec, 0, wire, resp);

  // UNSUPPORTED_VERSION (35) with a v0 body, as brokers answer unknown versions.
  responseVector(
    ApiVersionsSpec,
    0,
    cat(i16(35), arr(1), i16(18), i16(0), i16(4)),
    { ...resp, errorCode: 35, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }] },
  );
});

Deno.test("ApiVersions v3 request and response bytes", () => {
  const req: ApiVersionsRequest = { clientSoftwareName: "kafkajs", clientSoftwareVersion: "2.2.4" };
  // deno-fmt-ignore
  const reqWire = new Uint8Array([
    0x08, 0x6b, 0x61, 0x66, 0x6b, 0x61, 0x6a, 0x73, // compact "kafkajs"
    0x06, 0x32, 0x2e, 0x32, 0x2e, 0x34, // compact "2.2.4"
    0x00, // no tagged fields
  ]);
  requestVector(ApiVersionsSpec, 3, reqWire, req);

  // Response with two of the four tagged fields set; the other two stay at their defaults and are omitted.
  // deno-fmt-ignore
  const wire = cat(
    i16(0),
    carr(2),
    i16(0), i16(0), i16(11), NO_TAGS,
    i16(18), i16(0), i16(4), NO_TAGS,
    i32(0), // throttle_time_ms
    uv(2), // two tagged fields, ascending tags
    tagged(0, [...carr(1), ...cstr("metadata.version"), ...i16(1), ...i16(21), ...NO_TAGS]),
    tagged(1, i64(7)),
  );
  const resp: ApiVersionsResponse = {
    errorCode: 0,
    apiKeys: [{ apiKey: 0, minVersion: 0, maxVersion: 11 }, { apiKey: 18, minVersion: 0, maxVersion: 4 }],
    throttleTimeMs: 0,
    supportedFeatures: [{ name: "metadata.version", minVersion: 1, maxVersion: 21 }],
    finalizedFeaturesEpoch: 7,
    finalizedFeatures: [],
    zkMigrationReady: false,
  };
  responseVector(ApiVersionsSpec, 3, wire, resp);

  // All tagged fields at their defaults: an empty tag section.
  responseVector(ApiVersionsSpec, 3, cat(i16(0), carr(0), i32(0), NO_TAGS), {
    ...resp,
    apiKeys: [],
    supportedFeatures: [],
    finalizedFeaturesEpoch: -1,
  });

  // Unknown tags are skipped by the decoder.
  const withUnknown = cat(i16(0), carr(0), i32(5), uv(2), tagged(3, bool(true)), tagged(9, [1, 2, 3]));
  assertEquals(decodeResponse(ApiVersionsSpec, 3, withUnknown), {
    errorCode: 0,
    apiKeys: [],
    throttleTimeMs: 5,
    supportedFeatures: [],
    finalizedFeaturesEpoch: -1,
    finalizedFeatures: [],
    zkMigrationReady: true,
  });
});

Deno.test("Metadata v1 request bytes (list, null = all topics)", () => {
  const req: MetadataRequest = {
    topics: [{ topicId: ZERO, name: "orders" }, { topicId: ZERO, name: "a" }],
    allowAutoTopicCreation: true,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  };
  requestVector(MetadataSpec, 1, cat(arr(2), str("orders"), str("a")), req);
  requestVector(MetadataSpec, 1, cat(arr(null)), { ...req, topics: null });
  // v0: empty array (= all topics), no AllowAutoTopicCreation on the wire.
  requestVector(MetadataSpec, 0, cat(arr(0)), { ...req, topics: [] });
  // v4 adds AllowAutoTopicCreation.
  requestVector(MetadataSpec, 4, cat(arr(null), bool(false)), {
    ...req,
    topics: null,
    allowAutoTopicCreation: false,
  });
});

Deno.test("Metadata v9 request bytes", () => {
  const wire = cat(
    carr(1),
    cstr("orders"),
    NO_TAGS, // topic struct tags
    bool(true), // allow_auto_topic_creation
    bool(false), // include_cluster_authorized_operations (v8-10)
    bool(true), // include_topic_authorized_operations
    NO_TAGS,
  );
  const req: MetadataRequest = {
    topics: [{ topicId: ZERO, name: "orders" }],
    allowAutoTopicCreation: true,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: true,
  };
  requestVector(MetadataSpec, 9, wire, req);
  requestVector(MetadataSpec, 9, cat(carr(null), bool(false), bool(true), bool(false), NO_TAGS), {
    topics: null,
    allowAutoTopicCreation: false,
    includeClusterAuthorizedOperations: true,
    includeTopicAuthorizedOperations: false,
  });
  // v12: topic id before a nullable name, no cluster-operations flag.
  requestVector(
    MetadataSpec,
    12,
    cat(carr(1), uuid(U1), cstr(null), NO_TAGS, bool(false), bool(false), NO_TAGS),
    {
      topics: [{ topicId: U1, name: null }],
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    },
  );
});

Deno.test("Metadata v0 and v12 response bytes", () => {
  // deno-fmt-ignore
  const v0 = cat(
    arr(1),
    i32(1), str("localhost"), i32(9092),
    arr(1),
    i16(0), str("t"),
    arr(1),
    i16(0), i32(0), i32(1), arr(1), i32(1), arr(1), i32(1),
  );
  const base: MetadataResponse = {
    throttleTimeMs: 0,
    brokers: [{ nodeId: 1, host: "localhost", port: 9092, rack: null }],
    clusterId: null,
    controllerId: -1,
    topics: [{
      errorCode: 0,
      name: "t",
      topicId: ZERO,
      isInternal: false,
      partitions: [{
        errorCode: 0,
        partitionIndex: 0,
        leaderId: 1,
        leaderEpoch: -1,
        replicaNodes: [1],
        isrNodes: [1],
        offlineReplicas: [],
      }],
      topicAuthorizedOperations: -2147483648,
    }],
    clusterAuthorizedOperations: -2147483648,
  };
  responseVector(MetadataSpec, 0, v0, base);

  // deno-fmt-ignore
  const v12 = cat(
    i32(0),
    carr(1),
    i32(1), cstr("localhost"), i32(9092), cstr(null), NO_TAGS,
    cstr("cluster-1"),
    i32(1),
    carr(1),
    i16(0), cstr("t"), uuid(U1), bool(false),
    carr(1),
    i16(0), i32(0), i32(1), i32(3), carr(1), i32(1), carr(1), i32(1), carr(0), NO_TAGS,
    i32(0x0f8), // topic authorized operations
    NO_TAGS,
    NO_TAGS,
  );
  responseVector(MetadataSpec, 12, v12, {
    ...base,
    clusterId: "cluster-1",
    controllerId: 1,
    topics: [{
      ...base.topics[0],
      topicId: U1,
      partitions: [{ ...base.topics[0].partitions[0], leaderEpoch: 3 }],
      topicAuthorizedOperations: 0xf8,
    }],
  });
});

const BLOB = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 0xde, 0xad, 0xbe, 0xef]);

Deno.test("Produce v3 request bytes", () => {
  const wire = cat(
    str(null), // transactional_id
    i16(-1), // acks
    i32(30000), // timeout_ms
    arr(1),
    str("events"),
    arr(1),
    i32(2),
    bytes(BLOB),
  );
  const req: ProduceRequest = {
    transactionalId: null,
    acks: -1,
    timeoutMs: 30000,
    topicData: [{ name: "events", partitionData: [{ index: 2, records: BLOB }] }],
  };
  requestVector(ProduceSpec, 3, wire, req);

  // The decoded records are a view into the request buffer, not a copy.
  const decoded = decodeRequest(ProduceSpec, 3, wire) as ProduceRequest;
  const rec = decoded.topicData[0].partitionData[0].records;
  assert(rec !== null && rec.buffer === wire.buffer, "records should be a zero-copy view");

  // v0: no transactional id; null records.
  requestVector(ProduceSpec, 0, cat(i16(1), i32(100), arr(1), str("events"), arr(1), i32(0), bytes(null)), {
    transactionalId: null,
    acks: 1,
    timeoutMs: 100,
    topicData: [{ name: "events", partitionData: [{ index: 0, records: null }] }],
  });
});

Deno.test("Produce v9 request bytes", () => {
  // deno-fmt-ignore
  const wire = cat(
    cstr("tx-1"),
    i16(-1),
    i32(1500),
    carr(1),
    cstr("events"),
    carr(2),
    i32(0), cbytes(BLOB), NO_TAGS,
    i32(1), cbytes(null), NO_TAGS,
    NO_TAGS, // topic
    NO_TAGS, // request
  );
  const req: ProduceRequest = {
    transactionalId: "tx-1",
    acks: -1,
    timeoutMs: 1500,
    topicData: [{
      name: "events",
      partitionData: [{ index: 0, records: BLOB }, { index: 1, records: null }],
    }],
  };
  requestVector(ProduceSpec, 9, wire, req);
});

Deno.test("Produce v10 response bytes (tagged CurrentLeader and NodeEndpoints)", () => {
  // deno-fmt-ignore
  const wire = cat(
    carr(1),
    cstr("events"),
    carr(2),
    // partition 0: ok, no tags
    i32(0), i16(0), i64(100), i64(-1), i64(0), carr(0), cstr(null), NO_TAGS,
    // partition 1: NOT_LEADER_OR_FOLLOWER with current leader
    i32(1), i16(6), i64(-1), i64(-1), i64(-1), carr(1), i32(3), cstr("bad"), NO_TAGS, cstr("oops"),
    uv(1), tagged(0, [...i32(2), ...i32(9), ...NO_TAGS]),
    NO_TAGS, // topic
    i32(0), // throttle
    uv(1),
    tagged(0, [...carr(1), ...i32(2), ...cstr("h2"), ...i32(9093), ...cstr("r1"), ...NO_TAGS]),
  );
  const resp: ProduceResponse = {
    responses: [{
      name: "events",
      partitionResponses: [
        {
          index: 0,
          errorCode: 0,
          baseOffset: 100,
          logAppendTimeMs: -1,
          logStartOffset: 0,
          recordErrors: [],
          errorMessage: null,
          currentLeader: { leaderId: -1, leaderEpoch: -1 },
        },
        {
          index: 1,
          errorCode: 6,
          baseOffset: -1,
          logAppendTimeMs: -1,
          logStartOffset: -1,
          recordErrors: [{ batchIndex: 3, batchIndexErrorMessage: "bad" }],
          errorMessage: "oops",
          currentLeader: { leaderId: 2, leaderEpoch: 9 },
        },
      ],
    }],
    throttleTimeMs: 0,
    nodeEndpoints: [{ nodeId: 2, host: "h2", port: 9093, rack: "r1" }],
  };
  responseVector(ProduceSpec, 10, wire, resp);
});

Deno.test("Fetch v4 response bytes", () => {
  // deno-fmt-ignore
  const wire = cat(
    i32(0), // throttle
    arr(1),
    str("t"),
    arr(2),
    i32(0), i16(0), i64(10), i64(8), // index, error, high watermark, last stable offset
    arr(1), i64(4000), i64(5), // aborted transactions
    bytes(BLOB),
    i32(1), i16(1), i64(-1), i64(-1),
    arr(null),
    bytes(null),
  );
  const resp: FetchResponse = {
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 0,
    responses: [{
      topic: "t",
      topicId: ZERO,
      partitions: [
        {
          partitionIndex: 0,
          errorCode: 0,
          highWatermark: 10,
          lastStableOffset: 8,
          logStartOffset: -1,
          divergingEpoch: { epoch: -1, endOffset: -1 },
          currentLeader: { leaderId: -1, leaderEpoch: -1 },
          snapshotId: { endOffset: -1, epoch: -1 },
          abortedTransactions: [{ producerId: 4000, firstOffset: 5 }],
          preferredReadReplica: -1,
          records: BLOB,
        },
        {
          partitionIndex: 1,
          errorCode: 1,
          highWatermark: -1,
          lastStableOffset: -1,
          logStartOffset: -1,
          divergingEpoch: { epoch: -1, endOffset: -1 },
          currentLeader: { leaderId: -1, leaderEpoch: -1 },
          snapshotId: { endOffset: -1, epoch: -1 },
          abortedTransactions: null,
          preferredReadReplica: -1,
          records: null,
        },
      ],
    }],
    nodeEndpoints: [],
  };
  responseVector(FetchSpec, 4, wire, resp);
});

Deno.test("Fetch v12 response bytes (tagged fields)", () => {
  // deno-fmt-ignore
  const wire = cat(
    i32(5), // throttle
    i16(0), // error
    i32(77), // session id
    carr(1),
    cstr("t"),
    carr(2),
    // p0: plain data, default tagged fields omitted
    i32(0), i16(0), i64(10), i64(10), i64(0), carr(null), i32(-1), cbytes(BLOB), NO_TAGS,
    // p1: fenced epoch with current leader (tag 1) and diverging epoch (tag 0)
    i32(1), i16(74), i64(-1), i64(-1), i64(-1), carr(0), i32(-1), cbytes(null),
    uv(2),
    tagged(0, [...i32(3), ...i64(42), ...NO_TAGS]),
    tagged(1, [...i32(2), ...i32(4), ...NO_TAGS]),
    NO_TAGS, // topic
    NO_TAGS, // response
  );
  const dflt = {
    divergingEpoch: { epoch: -1, endOffset: -1 },
    currentLeader: { leaderId: -1, leaderEpoch: -1 },
    snapshotId: { endOffset: -1, epoch: -1 },
  };
  const resp: FetchResponse = {
    throttleTimeMs: 5,
    errorCode: 0,
    sessionId: 77,
    responses: [{
      topic: "t",
      topicId: ZERO,
      partitions: [
        {
          partitionIndex: 0,
          errorCode: 0,
          highWatermark: 10,
          lastStableOffset: 10,
          logStartOffset: 0,
          ...dflt,
          abortedTransactions: null,
          preferredReadReplica: -1,
          records: BLOB,
        },
        {
          partitionIndex: 1,
          errorCode: 74,
          highWatermark: -1,
          lastStableOffset: -1,
          logStartOffset: -1,
          ...dflt,
          divergingEpoch: { epoch: 3, endOffset: 42 },
          currentLeader: { leaderId: 2, leaderEpoch: 4 },
          abortedTransactions: [],
          preferredReadReplica: -1,
          records: null,
        },
      ],
    }],
    nodeEndpoints: [],
  };
  responseVector(FetchSpec, 12, wire, resp);
});

Deno.test("Fetch v4 and v15 request bytes", () => {
  // deno-fmt-ignore
  const v4 = cat(
    i32(-1), i32(500), i32(1), i32(1048576), i8(1),
    arr(1), str("t"), arr(1), i32(0), i64(12), i32(65536),
  );
  const req: FetchRequest = {
    clusterId: null,
    replicaId: -1,
    replicaState: { replicaId: -1, replicaEpoch: -1 },
    maxWaitMs: 500,
    minBytes: 1,
    maxBytes: 1048576,
    isolationLevel: 1,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{
      topic: "t",
      topicId: ZERO,
      partitions: [{
        partition: 0,
        currentLeaderEpoch: -1,
        fetchOffset: 12,
        lastFetchedEpoch: -1,
        logStartOffset: -1,
        partitionMaxBytes: 65536,
        replicaDirectoryId: ZERO,
      }],
    }],
    forgottenTopicsData: [],
    rackId: "",
  };
  requestVector(FetchSpec, 4, v4, req);

  // deno-fmt-ignore
  const v15 = cat(
    i32(500), i32(1), i32(1048576), i8(0), i32(9), i32(3),
    carr(1), uuid(U1), carr(1), i32(0), i32(7), i64(12), i32(6), i64(0), i32(65536), NO_TAGS, NO_TAGS,
    carr(1), uuid(U2), carr(2), i32(4), i32(5), NO_TAGS,
    cstr("rack-a"),
    uv(2),
    tagged(0, cstr("c1")),
    tagged(1, [...i32(3), ...i64(8), ...NO_TAGS]),
  );
  requestVector(FetchSpec, 15, v15, {
    ...req,
    clusterId: "c1",
    replicaState: { replicaId: 3, replicaEpoch: 8 },
    isolationLevel: 0,
    sessionId: 9,
    sessionEpoch: 3,
    topics: [{
      topic: "",
      topicId: U1,
      partitions: [{
        ...req.topics[0].partitions[0],
        currentLeaderEpoch: 7,
        lastFetchedEpoch: 6,
        logStartOffset: 0,
      }],
    }],
    forgottenTopicsData: [{ topic: "", topicId: U2, partitions: [4, 5] }],
    rackId: "rack-a",
  });
});

Deno.test("ListOffsets v1 request bytes", () => {
  const wire = cat(i32(-1), arr(1), str("t"), arr(2), i32(0), i64(-1), i32(1), i64(-2));
  const req: ListOffsetsRequest = {
    replicaId: -1,
    isolationLevel: 0,
    topics: [{
      name: "t",
      partitions: [
        { partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1, maxNumOffsets: 1 },
        { partitionIndex: 1, currentLeaderEpoch: -1, timestamp: -2, maxNumOffsets: 1 },
      ],
    }],
  };
  requestVector(ListOffsetsSpec, 1, wire, req);
});

Deno.test("ListOffsets v0 request and response bytes (MaxNumOffsets, OldStyleOffsets)", () => {
  requestVector(ListOffsetsSpec, 0, cat(i32(-1), arr(1), str("t"), arr(1), i32(0), i64(-1), i32(3)), {
    replicaId: -1,
    isolationLevel: 0,
    topics: [{
      name: "t",
      partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1, maxNumOffsets: 3 }],
    }],
  });
  const resp: ListOffsetsResponse = {
    throttleTimeMs: 0,
    topics: [{
      name: "t",
      partitions: [{
        partitionIndex: 0,
        errorCode: 0,
        oldStyleOffsets: [42, 0],
        timestamp: -1,
        offset: -1,
        leaderEpoch: -1,
      }],
    }],
  };
  responseVector(
    ListOffsetsSpec,
    0,
    cat(arr(1), str("t"), arr(1), i32(0), i16(0), arr(2), i64(42), i64(0)),
    resp,
  );
});

Deno.test("DescribeCluster v0 response bytes", () => {
  // deno-fmt-ignore
  const wire = cat(
    i32(0), i16(0), cstr(null), cstr("cid"), i32(1),
    carr(1), i32(1), cstr("h"), i32(9092), cstr(null), NO_TAGS,
    i32(-2147483648),
    NO_TAGS,
  );
  const resp: DescribeClusterResponse = {
    throttleTimeMs: 0,
    errorCode: 0,
    errorMessage: null,
    endpointType: 1,
    clusterId: "cid",
    controllerId: 1,
    brokers: [{ brokerId: 1, host: "h", port: 9092, rack: null }],
    clusterAuthorizedOperations: -2147483648,
  };
  responseVector(DescribeClusterSpec, 0, wire, resp);
});

Deno.test("DeleteTopics v3 and v6 request bytes", () => {
  const req: DeleteTopicsRequest = { topics: [], topicNames: ["a", "b"], timeoutMs: 1000 };
  requestVector(DeleteTopicsSpec, 3, cat(arr(2), str("a"), str("b"), i32(1000)), req);
  requestVector(
    DeleteTopicsSpec,
    6,
    cat(carr(2), cstr("a"), uuid(ZERO), NO_TAGS, cstr(null), uuid(U1), NO_TAGS, i32(1000), NO_TAGS),
    { topics: [{ name: "a", topicId: ZERO }, { name: null, topicId: U1 }], topicNames: [], timeoutMs: 1000 },
  );
});

Deno.test("CreateTopics v5 response bytes (tagged TopicConfigErrorCode)", () => {
  // deno-fmt-ignore
  const wire = cat(
    i32(0),
    carr(1),
    cstr("t"), i16(0), cstr(null), i32(3), i16(1),
    carr(1), cstr("cleanup.policy"), cstr("delete"), bool(false), i8(5), bool(false), NO_TAGS,
    uv(1), tagged(0, i16(29)),
    NO_TAGS,
  );
  const resp: CreateTopicsResponse = {
    throttleTimeMs: 0,
    topics: [{
      name: "t",
      topicId: ZERO,
      errorCode: 0,
      errorMessage: null,
      topicConfigErrorCode: 29,
      numPartitions: 3,
      replicationFactor: 1,
      configs: [{
        name: "cleanup.policy",
        value: "delete",
        readOnly: false,
        configSource: 5,
        isSensitive: false,
      }],
    }],
  };
  responseVector(CreateTopicsSpec, 5, wire, resp);
});

Deno.test("Fetch response encodes a list of record chunks without concatenating first", () => {
  const a = new Uint8Array([1, 2, 3]);
  const b = new Uint8Array(4000).fill(7); // above the writer's by-reference threshold
  const part = {
    partitionIndex: 0,
    errorCode: 0,
    highWatermark: 1,
    lastStableOffset: 1,
    logStartOffset: 0,
    abortedTransactions: null,
    preferredReadReplica: -1,
  };
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  for (const v of [4, 12]) {
    const chunked = encodeResponse(FetchSpec, v, {
      responses: [{ topic: "t", partitions: [{ ...part, records: [a, b] }] }],
    });
    const single = encodeResponse(FetchSpec, v, {
      responses: [{ topic: "t", partitions: [{ ...part, records: joined }] }],
    });
    assertEquals(chunked, single, `v${v}`);
    const d = decodeResponse(FetchSpec, v, chunked) as FetchResponse;
    assertEquals(d.responses[0].partitions[0].records, joined);
  }
});

// ---------------------------------------------------------------------------------------------------------
// Round trips for every version of every API.

function roundTrip(spec: ApiSpec, request: unknown, response: unknown): void {
  assertCoversSpec(spec.request, request, `${spec.name}Request`);
  assertCoversSpec(spec.response, response, `${spec.name}Response`);
  for (let v = spec.minVersion; v <= spec.maxVersion; v++) {
    const rq = encodeRequest(spec, v, request);
    const rqObj = decodeRequest(spec, v, rq);
    assertEquals(rqObj, project(spec.request, v, request), `${spec.name} v${v} request round trip`);
    assertEquals(encodeRequest(spec, v, rqObj), rq, `${spec.name} v${v} request re-encode`);

    const rs = encodeResponse(spec, v, response);
    const rsObj = decodeResponse(spec, v, rs);
    assertEquals(rsObj, project(spec.response, v, response), `${spec.name} v${v} response round trip`);
    assertEquals(encodeResponse(spec, v, rsObj), rs, `${spec.name} v${v} response re-encode`);
  }
}

Deno.test("round trip: ApiVersions v0-4", () => {
  const req: ApiVersionsRequest = { clientSoftwareName: "librdkafka", clientSoftwareVersion: "2.3.0" };
  const resp: ApiVersionsResponse = {
    errorCode: 0,
    apiKeys: [{ apiKey: 0, minVersion: 0, maxVersion: 11 }, { apiKey: 60, minVersion: 0, maxVersion: 1 }],
    throttleTimeMs: 12,
    supportedFeatures: [{ name: "metadata.version", minVersion: 1, maxVersion: 21 }],
    finalizedFeaturesEpoch: 99,
    finalizedFeatures: [{ name: "metadata.version", maxVersionLevel: 21, minVersionLevel: 1 }],
    zkMigrationReady: true,
  };
  roundTrip(ApiVersionsSpec, req, resp);
});

Deno.test("round trip: Metadata v0-12", () => {
  const req: MetadataRequest = {
    topics: [{ topicId: U1, name: "orders" }, { topicId: U2, name: "payments" }],
    allowAutoTopicCreation: false,
    includeClusterAuthorizedOperations: true,
    includeTopicAuthorizedOperations: true,
  };
  const resp: MetadataResponse = {
    throttleTimeMs: 3,
    brokers: [{ nodeId: 1, host: "broker-1", port: 9092, rack: "rack-a" }, {
      nodeId: 2,
      host: "broker-2",
      port: 9093,
      rack: null,
    }],
    clusterId: "seaweed-cluster",
    controllerId: 1,
    topics: [{
      errorCode: 0,
      name: "orders",
      topicId: U1,
      isInternal: true,
      partitions: [{
        errorCode: 9,
        partitionIndex: 4,
        leaderId: 2,
        leaderEpoch: 17,
        replicaNodes: [2, 1],
        isrNodes: [2],
        offlineReplicas: [1],
      }],
      topicAuthorizedOperations: 0x0df8,
    }],
    clusterAuthorizedOperations: 0x1234,
  };
  roundTrip(MetadataSpec, req, resp);
  // v1+: null topics list.
  for (let v = 1; v <= 12; v++) {
    const b = encodeRequest(MetadataSpec, v, { ...req, topics: null });
    assertEquals((decodeRequest(MetadataSpec, v, b) as MetadataRequest).topics, null, `v${v}`);
  }
});

Deno.test("round trip: Produce v0-11", () => {
  const req: ProduceRequest = {
    transactionalId: "txn-7",
    acks: -1,
    timeoutMs: 30000,
    topicData: [{
      name: "events",
      partitionData: [{ index: 0, records: BLOB }, { index: 3, records: null }],
    }],
  };
  const resp: ProduceResponse = {
    responses: [{
      name: "events",
      partitionResponses: [{
        index: 3,
        errorCode: 6,
        baseOffset: 2 ** 40 + 5,
        logAppendTimeMs: 1700000000000,
        logStartOffset: 12,
        recordErrors: [{ batchIndex: 1, batchIndexErrorMessage: "bad record" }, {
          batchIndex: 2,
          batchIndexErrorMessage: null,
        }],
        errorMessage: "not leader",
        currentLeader: { leaderId: 2, leaderEpoch: 8 },
      }],
    }],
    throttleTimeMs: 250,
    nodeEndpoints: [{ nodeId: 2, host: "broker-2", port: 9093, rack: "r2" }],
  };
  roundTrip(ProduceSpec, req, resp);
});

Deno.test("round trip: Fetch v0-17", () => {
  const req: FetchRequest = {
    clusterId: "cluster-x",
    replicaId: 4,
    replicaState: { replicaId: 4, replicaEpoch: 2 ** 33 },
    maxWaitMs: 500,
    minBytes: 1,
    maxBytes: 52428800,
    isolationLevel: 1,
    sessionId: 123,
    sessionEpoch: 4,
    topics: [{
      topic: "events",
      topicId: U1,
      partitions: [{
        partition: 2,
        currentLeaderEpoch: 7,
        fetchOffset: 1000,
        lastFetchedEpoch: 6,
        logStartOffset: 10,
        partitionMaxBytes: 1048576,
        replicaDirectoryId: U3,
      }],
    }],
    forgottenTopicsData: [{ topic: "old", topicId: U2, partitions: [0, 1] }],
    rackId: "rack-b",
  };
  const resp: FetchResponse = {
    throttleTimeMs: 1,
    errorCode: 0,
    sessionId: 123,
    responses: [{
      topic: "events",
      topicId: U1,
      partitions: [{
        partitionIndex: 2,
        errorCode: 0,
        highWatermark: 2000,
        lastStableOffset: 1990,
        logStartOffset: 10,
        divergingEpoch: { epoch: 5, endOffset: 900 },
        currentLeader: { leaderId: 1, leaderEpoch: 7 },
        snapshotId: { endOffset: 800, epoch: 4 },
        abortedTransactions: [{ producerId: 77, firstOffset: 1500 }],
        preferredReadReplica: 3,
        records: BLOB,
      }],
    }],
    nodeEndpoints: [{ nodeId: 1, host: "broker-1", port: 9092, rack: null }],
  };
  roundTrip(FetchSpec, req, resp);
});

Deno.test("round trip: ListOffsets v0-9", () => {
  const req: ListOffsetsRequest = {
    replicaId: -1,
    isolationLevel: 1,
    topics: [{
      name: "events",
      partitions: [{ partitionIndex: 1, currentLeaderEpoch: 5, timestamp: -3, maxNumOffsets: 4 }],
    }],
  };
  const resp: ListOffsetsResponse = {
    throttleTimeMs: 2,
    topics: [{
      name: "events",
      partitions: [{
        partitionIndex: 1,
        errorCode: 0,
        oldStyleOffsets: [55, 0],
        timestamp: 1700000000123,
        offset: 55,
        leaderEpoch: 5,
      }],
    }],
  };
  roundTrip(ListOffsetsSpec, req, resp);
});

Deno.test("round trip: CreateTopics v0-7", () => {
  const req: CreateTopicsRequest = {
    topics: [{
      name: "new-topic",
      numPartitions: 6,
      replicationFactor: 3,
      assignments: [{ partitionIndex: 0, brokerIds: [1, 2, 3] }],
      configs: [{ name: "retention.ms", value: "1000" }, { name: "cleanup.policy", value: null }],
    }],
    timeoutMs: 15000,
    validateOnly: true,
  };
  const resp: CreateTopicsResponse = {
    throttleTimeMs: 4,
    topics: [{
      name: "new-topic",
      topicId: U2,
      errorCode: 36,
      errorMessage: "Topic already exists",
      topicConfigErrorCode: 29,
      numPartitions: 6,
      replicationFactor: 3,
      configs: [{ name: "retention.ms", value: "1000", readOnly: false, configSource: 1, isSensitive: true }],
    }],
  };
  roundTrip(CreateTopicsSpec, req, resp);
});

Deno.test("round trip: DeleteTopics v0-6", () => {
  const req: DeleteTopicsRequest = {
    topics: [{ name: "a", topicId: U1 }, { name: null, topicId: U2 }],
    topicNames: ["a", "b"],
    timeoutMs: 5000,
  };
  const resp: DeleteTopicsResponse = {
    throttleTimeMs: 9,
    responses: [{ name: "a", topicId: U1, errorCode: 3, errorMessage: "unknown topic" }],
  };
  roundTrip(DeleteTopicsSpec, req, resp);
});

Deno.test("round trip: DescribeCluster v0-1", () => {
  const req: DescribeClusterRequest = { includeClusterAuthorizedOperations: true, endpointType: 2 };
  const resp: DescribeClusterResponse = {
    throttleTimeMs: 8,
    errorCode: 0,
    errorMessage: "msg",
    endpointType: 2,
    clusterId: "cid",
    controllerId: 3,
    brokers: [{ brokerId: 3, host: "h3", port: 9094, rack: "r3" }],
    clusterAuthorizedOperations: 0x0f,
  };
  roundTrip(DescribeClusterSpec, req, resp);
});
