import { FakeChannel } from "../helpers/pipeline.ts";
// The ACL authorizer in the request pipeline (src/security/acl/authorizer.ts running the APIs' rules,
// src/security/acl/rules/): per API, what the handler is given and what the client gets, for a principal with
// and without the ACLs Kafka's authorization table asks for. Handlers here echo their request (errorResponse with code 0 mirrors every entry), so what
// reaches the handler shows in the response beside the refusals the authorizer added.
import { assert, assertEquals } from "./assert.ts";
import type { ApiSpec } from "../../src/protocol/schema.ts";
import { ErrorCode } from "../../src/protocol/errors.ts";
import { loadConfig } from "../../src/configs/options.ts";
import { logger } from "../../src/log.ts";
import type { Broker, Principal } from "../../src/request/context.ts";
import { ApiRegistry } from "../../src/handlers/registry.ts";
import { RequestPipeline } from "../../src/server/pipeline/pipeline.ts";
import { errorResponse } from "../../src/protocol/error_response.ts";
import { decodeResponse, requestFrame } from "../helpers/wire.ts";
import * as topics from "../../src/security/acl/rules/topics.ts";
import * as groups from "../../src/security/acl/rules/groups.ts";
import * as txn from "../../src/security/acl/rules/transactions.ts";
import * as cluster from "../../src/security/acl/rules/cluster.ts";
import { AclAuthorizer } from "../../src/security/acl/authorizer.ts";
import { AclMatcher } from "../../src/security/acl/matcher.ts";
import {
  type AclBinding,
  AclOperation as Op,
  CLUSTER_NAME,
  PatternType,
  Permission,
  ResourceType,
} from "../../src/security/acl/model.ts";
import { createAclsHandler, describeAclsHandler } from "../../src/security/acl/handlers.ts";
import { ProduceSpec } from "../../src/protocol/messages/produce.ts";
import { FetchSpec } from "../../src/protocol/messages/fetch.ts";
import { MetadataSpec } from "../../src/protocol/messages/metadata.ts";
import { JoinGroupSpec } from "../../src/protocol/messages/join_group.ts";
import { ListGroupsSpec } from "../../src/protocol/messages/list_groups.ts";
import { CreateTopicsSpec } from "../../src/protocol/messages/create_topics.ts";
import { DescribeConfigsSpec } from "../../src/protocol/messages/describe_configs.ts";
import { OffsetCommitSpec } from "../../src/protocol/messages/offset_commit.ts";
import { OffsetFetchSpec } from "../../src/protocol/messages/offset_fetch.ts";
import { DescribeGroupsSpec } from "../../src/protocol/messages/describe_groups.ts";
import { InitProducerIdSpec } from "../../src/protocol/messages/init_producer_id.ts";
import { DeleteTopicsSpec } from "../../src/protocol/messages/delete_topics.ts";
import { CreateAclsSpec } from "../../src/protocol/messages/create_acls.ts";
import { DescribeAclsSpec } from "../../src/protocol/messages/describe_acls.ts";
import { DescribeClusterSpec } from "../../src/protocol/messages/describe_cluster.ts";
import { FindCoordinatorSpec } from "../../src/protocol/messages/find_coordinator.ts";
import {
  AlterShareGroupOffsetsSpec,
  DeleteShareGroupOffsetsSpec,
  DescribeShareGroupOffsetsSpec,
} from "../../src/protocol/messages/share_group_offsets.ts";

const { config } = loadConfig({ argv: [], env: () => undefined, readFile: () => undefined });
const EXISTING = ["orders", "secret", "logs-app"];

function testBroker(): Broker {
  const topic = (name: string) =>
    EXISTING.includes(name) ? { name, id: "0".repeat(31) + "1", partitions: 1 } : undefined;
  const parts = {
    config,
    log: logger("test"),
    metrics: null,
    clusterId: "acl-test",
    shutdown: new AbortController().signal,
    storage: {
      getTopic: topic,
      getTopicById: () => undefined,
      findTopic: (n: string) => Promise.resolve(topic(n)),
    },
    acls: null,
  };
  return parts as unknown as Broker;
}

/** What each handler was given, by API name. */
type Seen = Map<string, unknown>;

function echo(spec: ApiSpec, seen: Seen) {
  return (ctx: { header: { apiVersion: number } }, req: unknown) => {
    seen.set(spec.name, req);
    return errorResponse(spec, ctx.header.apiVersion, req, 0);
  };
}

function registry(seen: Seen): ApiRegistry {
  const r = new ApiRegistry();
  // Each API with its own rule, as src/handlers/apis.ts registers it.
  const echoed: [ApiSpec, unknown][] = [
    [ProduceSpec, topics.produce],
    [OffsetCommitSpec, groups.offsetCommit],
    [JoinGroupSpec, groups.joinGroup],
    [CreateTopicsSpec, topics.createTopics],
    [DescribeConfigsSpec, topics.describeConfigs],
    [DescribeGroupsSpec, groups.describeGroups],
    [InitProducerIdSpec, txn.initProducerId],
    [DeleteTopicsSpec, topics.deleteTopics],
    [DescribeClusterSpec, cluster.describeCluster],
    [FindCoordinatorSpec, groups.findCoordinator],
  ];
  for (const [spec, rule] of echoed) {
    // deno-lint-ignore no-explicit-any
    r.register(spec, echo(spec, seen) as any, rule as any);
  }
  r.register(FetchSpec, (_ctx, req) => {
    seen.set("Fetch", req);
    return {
      errorCode: 0,
      sessionId: 0,
      responses: req.topics.map((t) => ({
        topic: t.topic,
        topicId: t.topicId,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partition,
          errorCode: 0,
          highWatermark: 0,
          lastStableOffset: 0,
          logStartOffset: 0,
          abortedTransactions: [],
          preferredReadReplica: -1,
          records: null,
        })),
      })),
      nodeEndpoints: [],
    };
  }, topics.fetch);
  r.register(MetadataSpec, (_ctx, req) => {
    seen.set("Metadata", req);
    const names = req.topics === null || req.topics.length === 0
      ? EXISTING
      : req.topics.map((t) => t.name ?? "");
    return {
      brokers: [],
      clusterId: "c",
      controllerId: 1,
      clusterAuthorizedOperations: -2147483648,
      topics: names.map((name) => ({
        errorCode: 0,
        name,
        topicId: "0".repeat(32),
        isInternal: false,
        partitions: [],
        topicAuthorizedOperations: -2147483648,
      })),
    };
  }, topics.metadata);
  r.register(ListGroupsSpec, () => ({
    errorCode: 0,
    groups: ["g1", "g2", "other"].map((groupId) => ({
      groupId,
      protocolType: "consumer",
      groupState: "Stable",
      groupType: "classic",
    })),
  }), groups.listGroups);
  r.register(OffsetFetchSpec, (_ctx, req) => ({
    errorCode: 0,
    topics: (req.topics ?? EXISTING.map((name) => ({ name, partitionIndexes: [0] }))).map((t) => ({
      name: t.name,
      partitions: t.partitionIndexes.map((p) => ({
        partitionIndex: p,
        committedOffset: 5,
        committedLeaderEpoch: -1,
        metadata: "m",
        errorCode: 0,
      })),
    })),
    groups: [],
  }), groups.offsetFetch);
  r.register(CreateAclsSpec, createAclsHandler, cluster.createAcls);
  r.register(DescribeAclsSpec, describeAclsHandler, cluster.describeAcls);
  // Share group offsets: every partition at start offset 5; a group described in full keeps orders and secret.
  r.register(DescribeShareGroupOffsetsSpec, (_ctx, req) => {
    seen.set("DescribeShareGroupOffsets", req);
    return {
      groups: req.groups.map((g) => ({
        groupId: g.groupId,
        topics:
          (g.topics ?? [{ topicName: "orders", partitions: [0] }, { topicName: "secret", partitions: [0] }])
            .map((t) => ({
              topicName: t.topicName,
              topicId: "0".repeat(32),
              partitions: t.partitions.map((p) => ({
                partitionIndex: p,
                startOffset: 5,
                leaderEpoch: 0,
                errorCode: 0,
                errorMessage: null,
              })),
            })),
        errorCode: 0,
        errorMessage: null,
      })),
    };
  }, groups.describeShareGroupOffsets);
  r.register(AlterShareGroupOffsetsSpec, (_ctx, req) => {
    seen.set("AlterShareGroupOffsets", req);
    return {
      errorCode: 0,
      errorMessage: null,
      responses: req.topics.map((t) => ({
        topicName: t.topicName,
        topicId: "0".repeat(32),
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          errorCode: 0,
          errorMessage: null,
        })),
      })),
    };
  }, groups.alterShareGroupOffsets);
  r.register(DeleteShareGroupOffsetsSpec, (_ctx, req) => {
    seen.set("DeleteShareGroupOffsets", req);
    return {
      errorCode: 0,
      errorMessage: null,
      responses: req.topics.map((t) => ({
        topicName: t.topicName,
        topicId: "0".repeat(32),
        errorCode: 0,
        errorMessage: null,
      })),
    };
  }, groups.deleteShareGroupOffsets);
  return r;
}

function allow(
  type: number,
  name: string,
  op: number,
  principal = "User:alice",
  pattern: number = PatternType.LITERAL,
): AclBinding {
  return {
    resourceType: type as AclBinding["resourceType"],
    resourceName: name,
    patternType: pattern as AclBinding["patternType"],
    principal,
    host: "*",
    operation: op as AclBinding["operation"],
    permission: Permission.ALLOW,
  };
}

const ALICE: Principal = { type: "User", name: "alice" };

function setup(acls: AclBinding[], opts: { supers?: string[]; principal?: Principal } = {}) {
  const seen: Seen = new Map();
  const matcher = new AclMatcher(acls, { superUsers: new Set(opts.supers ?? []), allowIfNoAcl: false });
  const pipeline = new RequestPipeline(testBroker(), registry(seen), {
    authorizer: new AclAuthorizer({ matcher }),
  });
  const ch = new FakeChannel(opts.principal ?? ALICE, { host: "10.1.2.3" });
  let corr = 0;
  async function call<T>(spec: ApiSpec, version: number, body: unknown): Promise<T> {
    const id = ++corr;
    await pipeline.handle(requestFrame(spec, version, id, body).subarray(4), ch);
    return decodeResponse<T>(spec, version, ch.sent[ch.sent.length - 1], id);
  }
  return { call, seen };
}

const T = ResourceType.TOPIC;
const G = ResourceType.GROUP;
const C = ResourceType.CLUSTER;
type Obj = Record<string, unknown>;
type TopicRes = { name: string; partitionResponses: { errorCode: number }[] };

function produceBody(...topics: string[]) {
  return {
    transactionalId: null,
    acks: 1,
    timeoutMs: 1000,
    topicData: topics.map((name) => ({ name, partitionData: [{ index: 0, records: null }] })),
  };
}

Deno.test("acl pipeline: Produce needs WRITE per topic; auto-creation needs CREATE; the handler sees only what is allowed", async () => {
  const { call, seen } = setup([allow(T, "orders", Op.WRITE), allow(T, "new", Op.WRITE)]);
  const res = await call<{ responses: TopicRes[] }>(ProduceSpec, 9, produceBody("orders", "secret", "new"));
  assertEquals(res.responses.map((t) => [t.name, t.partitionResponses[0].errorCode]), [
    ["orders", 0],
    ["secret", ErrorCode.TOPIC_AUTHORIZATION_FAILED],
    ["new", ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
  ]);
  assertEquals((seen.get("Produce") as { topicData: { name: string }[] }).topicData.map((t) => t.name), [
    "orders",
  ]);
  const txn = await call<{ responses: TopicRes[] }>(ProduceSpec, 9, {
    ...produceBody("orders"),
    transactionalId: "tx",
  });
  assertEquals(
    txn.responses[0].partitionResponses[0].errorCode,
    ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
  );
});

Deno.test("acl pipeline: Fetch needs READ (WRITE is not enough); nothing allowed means no long poll", async () => {
  const { call, seen } = setup([allow(T, "orders", Op.READ), allow(T, "secret", Op.WRITE)]);
  const body = (...topics: string[]) => ({
    replicaId: -1,
    maxWaitMs: 5000,
    minBytes: 1,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    topics: topics.map((topic) => ({
      topic,
      partitions: [{
        partition: 0,
        fetchOffset: 0,
        logStartOffset: -1,
        partitionMaxBytes: 1024,
        currentLeaderEpoch: -1,
      }],
    })),
  });
  type FetchRes = { responses: { topic: string; partitions: { errorCode: number }[] }[] };
  const res = await call<FetchRes>(FetchSpec, 4, body("orders", "secret"));
  assertEquals(res.responses.map((t) => [t.topic, t.partitions[0].errorCode]), [["orders", 0], [
    "secret",
    ErrorCode.TOPIC_AUTHORIZATION_FAILED,
  ]]);
  await call<FetchRes>(FetchSpec, 4, body("secret"));
  assertEquals((seen.get("Fetch") as Obj).maxWaitMs, 0);
});

Deno.test("acl pipeline: Metadata lists only DESCRIBE-able topics; named ones are refused; auto-creation needs CREATE", async () => {
  const { call } = setup([
    allow(T, "orders", Op.READ),
    allow(T, "logs-", Op.DESCRIBE, "User:alice", PatternType.PREFIXED),
    allow(T, "newt", Op.DESCRIBE),
  ]);
  type Md = { topics: { name: string; errorCode: number; topicAuthorizedOperations: number }[] };
  const all = await call<Md>(MetadataSpec, 9, {
    topics: null,
    allowAutoTopicCreation: true,
    includeTopicAuthorizedOperations: true,
  });
  assertEquals(all.topics.map((t) => t.name), ["orders", "logs-app"]);
  // READ implies DESCRIBE: bits READ (3) and DESCRIBE (8).
  assertEquals(all.topics[0].topicAuthorizedOperations, (1 << Op.READ) | (1 << Op.DESCRIBE));
  const named = await call<Md>(MetadataSpec, 9, {
    topics: ["orders", "secret", "newt"].map((name) => ({ name, topicId: "0".repeat(32) })),
    allowAutoTopicCreation: true,
    includeTopicAuthorizedOperations: false,
  });
  assertEquals(named.topics.map((t) => [t.name, t.errorCode]), [
    ["orders", 0],
    ["secret", ErrorCode.TOPIC_AUTHORIZATION_FAILED],
    ["newt", ErrorCode.TOPIC_AUTHORIZATION_FAILED],
  ]);
  // v0: a list whose every topic is refused must not turn into "all topics".
  const v0 = await call<Md>(MetadataSpec, 0, { topics: [{ name: "secret" }] });
  assertEquals(v0.topics.map((t) => [t.name, t.errorCode]), [[
    "secret",
    ErrorCode.TOPIC_AUTHORIZATION_FAILED,
  ]]);
});

Deno.test("acl pipeline: group APIs need the group's ACL; ListGroups is filtered; OffsetCommit also READ on topics", async () => {
  const { call, seen } = setup([
    allow(G, "g", Op.READ, "User:alice", PatternType.PREFIXED),
    allow(T, "orders", Op.READ),
  ]);
  const join = {
    groupId: "other",
    sessionTimeoutMs: 10000,
    rebalanceTimeoutMs: 10000,
    memberId: "",
    groupInstanceId: null,
    protocolType: "consumer",
    protocols: [],
  };
  assertEquals((await call<Obj>(JoinGroupSpec, 5, join)).errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED);
  assert(!seen.has("JoinGroup"), "handler not called");
  assertEquals((await call<Obj>(JoinGroupSpec, 5, { ...join, groupId: "g1" })).errorCode, 0);
  const lg = await call<{ groups: { groupId: string }[] }>(ListGroupsSpec, 4, { statesFilter: [] });
  assertEquals(lg.groups.map((g) => g.groupId), ["g1", "g2"]);
  type Oc = { topics: { name: string; partitions: { errorCode: number }[] }[] };
  const commit = (groupId: string) => ({
    groupId,
    generationIdOrMemberEpoch: 1,
    memberId: "m",
    groupInstanceId: null,
    topics: ["orders", "secret"].map((name) => ({
      name,
      partitions: [{
        partitionIndex: 0,
        committedOffset: 1,
        committedLeaderEpoch: -1,
        committedMetadata: null,
      }],
    })),
  });
  const oc = await call<Oc>(OffsetCommitSpec, 8, commit("g1"));
  assertEquals(oc.topics.map((t) => [t.name, t.partitions[0].errorCode]), [["orders", 0], [
    "secret",
    ErrorCode.TOPIC_AUTHORIZATION_FAILED,
  ]]);
  const denied = await call<Oc>(OffsetCommitSpec, 8, commit("other"));
  assert(denied.topics.every((t) => t.partitions[0].errorCode === ErrorCode.GROUP_AUTHORIZATION_FAILED));
  // OffsetFetch for all topics hides the ones the principal may not DESCRIBE.
  type Of = { errorCode: number; topics: { name: string; partitions: { errorCode: number }[] }[] };
  const of = await call<Of>(OffsetFetchSpec, 7, { groupId: "g1", topics: null, requireStable: false });
  assertEquals(of.topics.map((t) => t.name), ["orders"]);
  const ofNamed = await call<Of>(OffsetFetchSpec, 7, {
    groupId: "g1",
    topics: [{ name: "secret", partitionIndexes: [0] }],
    requireStable: false,
  });
  assertEquals(ofNamed.topics[0].partitions[0].errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
  assertEquals(
    (await call<Of>(OffsetFetchSpec, 7, { groupId: "other", topics: null, requireStable: false })).errorCode,
    ErrorCode.GROUP_AUTHORIZATION_FAILED,
  );
  const fc = await call<{ coordinators: { key: string; errorCode: number }[] }>(FindCoordinatorSpec, 4, {
    keyType: 0,
    coordinatorKeys: ["g9", "other"],
  });
  assertEquals(fc.coordinators.map((c) => [c.key, c.errorCode]), [["g9", 0], [
    "other",
    ErrorCode.GROUP_AUTHORIZATION_FAILED,
  ]]);
});

Deno.test("acl pipeline: share group offsets: DESCRIBE/READ/DELETE on the group, DESCRIBE/READ on the topics", async () => {
  const { call, seen } = setup([
    allow(G, "g", Op.READ, "User:alice", PatternType.PREFIXED),
    allow(G, "g1", Op.DELETE),
    allow(T, "orders", Op.READ),
  ]);
  type Described = {
    groups: {
      groupId: string;
      errorCode: number;
      topics: { topicName: string; partitions: { startOffset: number; errorCode: number }[] }[];
    }[];
  };
  const d = await call<Described>(DescribeShareGroupOffsetsSpec, 0, {
    groups: [
      { groupId: "g1", topics: null },
      {
        groupId: "g2",
        topics: [{ topicName: "orders", partitions: [0] }, { topicName: "secret", partitions: [0] }],
      },
      { groupId: "other", topics: null },
    ],
  });
  assertEquals(
    d.groups.map((g) => [
      g.groupId,
      g.errorCode,
      g.topics.map((t) => [t.topicName, t.partitions[0].startOffset, t.partitions[0].errorCode]),
    ]),
    [
      ["g1", 0, [["orders", 5, 0]]],
      ["g2", 0, [["orders", 5, 0], ["secret", -1, ErrorCode.TOPIC_AUTHORIZATION_FAILED]]],
      ["other", ErrorCode.GROUP_AUTHORIZATION_FAILED, []],
    ],
  );
  type Altered = {
    errorCode: number;
    responses: { topicName: string; partitions: { errorCode: number }[] }[];
  };
  const alter = (groupId: string) =>
    call<Altered>(AlterShareGroupOffsetsSpec, 0, {
      groupId,
      topics: ["orders", "secret"].map((topicName) => ({
        topicName,
        partitions: [{ partitionIndex: 0, startOffset: 1 }],
      })),
    });
  const a = await alter("g1");
  assertEquals(a.responses.map((t) => [t.topicName, t.partitions[0].errorCode]), [
    ["orders", 0],
    ["secret", ErrorCode.TOPIC_AUTHORIZATION_FAILED],
  ]);
  assertEquals(
    (seen.get("AlterShareGroupOffsets") as { topics: { topicName: string }[] }).topics.map((t) =>
      t.topicName
    ),
    ["orders"],
    "the handler alters only what is allowed",
  );
  assertEquals((await alter("other")).errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED);
  type Deleted = { errorCode: number; responses: { topicName: string; errorCode: number }[] };
  const del = (groupId: string) =>
    call<Deleted>(DeleteShareGroupOffsetsSpec, 0, {
      groupId,
      topics: [{ topicName: "orders" }, { topicName: "secret" }],
    });
  const x = await del("g1");
  assertEquals(x.responses.map((t) => [t.topicName, t.errorCode]), [
    ["orders", 0],
    ["secret", ErrorCode.TOPIC_AUTHORIZATION_FAILED],
  ]);
  assertEquals((await del("g2")).errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED, "READ is not DELETE");
});

Deno.test("acl pipeline: admin APIs (CreateTopics on cluster or topic, DeleteTopics, configs, DescribeCluster, InitProducerId)", async () => {
  const { call } = setup([
    allow(T, "mine-", Op.CREATE, "User:alice", PatternType.PREFIXED),
    allow(T, "orders", Op.ALTER_CONFIGS),
    allow(T, "orders", Op.WRITE),
    allow(G, "cg", Op.ALTER_CONFIGS),
  ]);
  type Ct = { topics: { name: string; errorCode: number; topicConfigErrorCode: number }[] };
  const ct = await call<Ct>(CreateTopicsSpec, 5, {
    topics: ["mine-1", "theirs"].map((name) => ({
      name,
      numPartitions: 1,
      replicationFactor: 1,
      assignments: [],
      configs: [],
    })),
    timeoutMs: 1000,
    validateOnly: false,
  });
  assertEquals(ct.topics.map((t) => [t.name, t.errorCode]), [["mine-1", 0], [
    "theirs",
    ErrorCode.TOPIC_AUTHORIZATION_FAILED,
  ]]);
  // A created topic's configs are answered only with DESCRIBE_CONFIGS on it (v5+).
  assertEquals(ct.topics[0].topicConfigErrorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
  const dt = await call<{ responses: { name: string; errorCode: number }[] }>(DeleteTopicsSpec, 4, {
    topicNames: ["orders"],
    timeoutMs: 1000,
  });
  assertEquals(dt.responses[0].errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
  type Dc = { results: { resourceName: string; errorCode: number }[] };
  const dc = await call<Dc>(DescribeConfigsSpec, 2, {
    resources: [{ resourceType: 2, resourceName: "orders", configurationKeys: null }, {
      resourceType: 4,
      resourceName: "1",
      configurationKeys: null,
    }],
    includeSynonyms: false,
  });
  assertEquals(dc.results.map((r) => [r.resourceName, r.errorCode]), [["orders", 0], [
    "1",
    ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
  ]]);
  // Group configs (resource type 32): DESCRIBE_CONFIGS on the group, which ALTER_CONFIGS implies.
  const dg = await call<Dc>(DescribeConfigsSpec, 2, {
    resources: ["cg", "other"].map((resourceName) => ({
      resourceType: 32,
      resourceName,
      configurationKeys: null,
    })),
    includeSynonyms: false,
  });
  assertEquals(dg.results.map((r) => [r.resourceName, r.errorCode]), [["cg", 0], [
    "other",
    ErrorCode.GROUP_AUTHORIZATION_FAILED,
  ]]);
  assertEquals(
    (await call<Obj>(DescribeClusterSpec, 0, { includeClusterAuthorizedOperations: false })).errorCode,
    ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
  );
  // WRITE on some topic is enough for an idempotent producer (KIP-679).
  assertEquals(
    (await call<Obj>(InitProducerIdSpec, 4, {
      transactionalId: null,
      transactionTimeoutMs: 1000,
      producerId: -1,
      producerEpoch: -1,
    })).errorCode,
    0,
  );
  assertEquals(
    (await call<Obj>(InitProducerIdSpec, 4, {
      transactionalId: "tx",
      transactionTimeoutMs: 1000,
      producerId: -1,
      producerEpoch: -1,
    })).errorCode,
    ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
  );
  const none = setup([]);
  assertEquals(
    (await none.call<Obj>(InitProducerIdSpec, 4, {
      transactionalId: null,
      transactionTimeoutMs: 1000,
      producerId: -1,
      producerEpoch: -1,
    })).errorCode,
    ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
  );
});

Deno.test("acl pipeline: the ACL APIs need Cluster ALTER/DESCRIBE; super users pass everything; without a store: SECURITY_DISABLED", async () => {
  const creation = {
    resourceType: T,
    resourceName: "x",
    resourcePatternType: PatternType.LITERAL,
    principal: "User:bob",
    host: "*",
    operation: Op.READ,
    permissionType: Permission.ALLOW,
  };
  const { call } = setup([allow(C, CLUSTER_NAME, Op.DESCRIBE)]);
  const refused = await call<{ results: { errorCode: number }[] }>(CreateAclsSpec, 2, {
    creations: [creation, creation],
  });
  assertEquals(refused.results.map((r) => r.errorCode), [
    ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
  ]);
  // Allowed to describe, but this broker has no ACL store: Kafka's answer without an authorizer.
  const d = await call<Obj>(DescribeAclsSpec, 2, {
    resourceTypeFilter: 1,
    resourceNameFilter: null,
    patternTypeFilter: 1,
    principalFilter: null,
    hostFilter: null,
    operation: 1,
    permissionType: 1,
  });
  assertEquals(d.errorCode, ErrorCode.SECURITY_DISABLED);
  const admin = setup([], { supers: ["User:admin"], principal: { type: "User", name: "admin" } });
  const ok = await admin.call<{ results: { errorCode: number }[] }>(CreateAclsSpec, 2, {
    creations: [creation],
  });
  assertEquals(ok.results.map((r) => r.errorCode), [ErrorCode.SECURITY_DISABLED], "passed the authorizer");
  assertEquals(
    (await admin.call<Obj>(DescribeClusterSpec, 0, { includeClusterAuthorizedOperations: false })).errorCode,
    0,
  );
});

Deno.test("acl pipeline: topics by id (Fetch v13, DeleteTopics v6) and per-resource refusals of the admin APIs", async () => {
  const { call } = setup([allow(T, "orders", Op.DESCRIBE), allow(G, "mine", Op.DESCRIBE)]);
  const ordersId = "0".repeat(31) + "1";
  // A broker whose storage resolves one topic id.
  const seen: Seen = new Map();
  const matcher = new AclMatcher([allow(T, "orders", Op.DESCRIBE)], {
    superUsers: new Set(),
    allowIfNoAcl: false,
  });
  const broker = testBroker() as unknown as { storage: Record<string, unknown> };
  broker.storage.getTopicById = (id: string) =>
    id === ordersId ? { name: "orders", id, partitions: 1 } : undefined;
  const pipeline = new RequestPipeline(broker as unknown as Broker, registry(seen), {
    authorizer: new AclAuthorizer({ matcher }),
  });
  const ch = new FakeChannel(ALICE, { host: "10.1.2.3" });
  await pipeline.handle(
    requestFrame(DeleteTopicsSpec, 6, 1, {
      topics: [{ name: null, topicId: ordersId }, { name: null, topicId: "0".repeat(31) + "2" }, {
        name: "orders",
        topicId: "0".repeat(32),
      }],
      timeoutMs: 1000,
    }).subarray(4),
    ch,
  );
  type Dt = { responses: { name: string | null; topicId: string; errorCode: number }[] };
  const dt = decodeResponse<Dt>(DeleteTopicsSpec, 6, ch.sent[0], 1);
  // By name without DELETE: refused; by id with DESCRIBE but not DELETE: refused; an unknown id: the handler's.
  assertEquals(dt.responses.map((r) => [r.topicId, r.errorCode]), [
    ["0".repeat(31) + "2", 0],
    [ordersId, ErrorCode.TOPIC_AUTHORIZATION_FAILED],
    ["0".repeat(32), ErrorCode.TOPIC_AUTHORIZATION_FAILED],
  ]);
  await pipeline.handle(
    requestFrame(FetchSpec, 13, 2, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 1,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{
        topicId: ordersId,
        partitions: [{
          partition: 0,
          currentLeaderEpoch: -1,
          fetchOffset: 0,
          lastFetchedEpoch: -1,
          logStartOffset: -1,
          partitionMaxBytes: 1024,
        }],
      }],
      forgottenTopicsData: [],
      rackId: "",
    }).subarray(4),
    ch,
  );
  type F13 = { errorCode: number; responses: { topicId: string; partitions: { errorCode: number }[] }[] };
  const f = decodeResponse<F13>(FetchSpec, 13, ch.sent[1], 2);
  assertEquals([f.errorCode, f.responses.map((r) => [r.topicId, r.partitions[0].errorCode])], [0, [[
    ordersId,
    ErrorCode.TOPIC_AUTHORIZATION_FAILED,
  ]]], "DESCRIBE is not READ; the refusal is per partition, not the whole fetch");

  type Dg = { groups: { groupId: string; errorCode: number; authorizedOperations: number }[] };
  const dg = await call<Dg>(DescribeGroupsSpec, 5, {
    groups: ["mine", "theirs"],
    includeAuthorizedOperations: true,
  });
  assertEquals(dg.groups.map((g) => [g.groupId, g.errorCode]), [["mine", 0], [
    "theirs",
    ErrorCode.GROUP_AUTHORIZATION_FAILED,
  ]]);
  assertEquals(dg.groups[0].authorizedOperations, 1 << Op.DESCRIBE, "KIP-430: DESCRIBE only");
  const fc = await call<Obj>(FindCoordinatorSpec, 3, { key: "tx", keyType: 1 });
  assertEquals(fc.errorCode, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
});

Deno.test("acl pipeline: Fetch v13+ by topic id is authorized by the id's topic; a refused partition has empty records", async () => {
  const ordersId = "0".repeat(31) + "1";
  const secretId = "0".repeat(31) + "2";
  const seen: Seen = new Map();
  const matcher = new AclMatcher([allow(T, "orders", Op.READ), allow(T, "secret", Op.DESCRIBE)], {
    superUsers: new Set(),
    allowIfNoAcl: false,
  });
  const broker = testBroker() as unknown as { storage: Record<string, unknown> };
  const byId: Record<string, string> = { [ordersId]: "orders", [secretId]: "secret" };
  broker.storage.getTopicById = (id: string) =>
    byId[id] === undefined ? undefined : { name: byId[id], id, partitions: 1 };
  const pipeline = new RequestPipeline(broker as unknown as Broker, registry(seen), {
    authorizer: new AclAuthorizer({ matcher }),
  });
  const ch = new FakeChannel(ALICE, { host: "10.1.2.3" });
  for (const [i, v] of [13, 16].entries()) {
    await pipeline.handle(
      requestFrame(FetchSpec, v, i + 1, {
        replicaId: -1,
        replicaState: { replicaId: -1, replicaEpoch: -1 },
        maxWaitMs: 0,
        minBytes: 1,
        maxBytes: 1 << 20,
        isolationLevel: 1,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [ordersId, secretId].map((topicId) => ({
          topicId,
          partitions: [{
            partition: 0,
            currentLeaderEpoch: -1,
            fetchOffset: 0,
            lastFetchedEpoch: -1,
            logStartOffset: -1,
            partitionMaxBytes: 1024,
          }],
        })),
        forgottenTopicsData: [],
        rackId: "",
      }).subarray(4),
      ch,
    );
    type F = {
      responses: { topicId: string; partitions: { errorCode: number; records: Uint8Array | null }[] }[];
    };
    const f = decodeResponse<F>(FetchSpec, v, ch.sent[i], i + 1);
    // The decoded request carries the name field's default "" (absent from v13): the id decides.
    assertEquals(
      (seen.get("Fetch") as { topics: { topicId: string }[] }).topics.map((t) => t.topicId),
      [ordersId],
      `v${v}: READ on orders lets its partitions through by id`,
    );
    assertEquals(f.responses.map((r) => [r.topicId, r.partitions[0].errorCode]).sort(), [
      [ordersId, 0],
      [secretId, ErrorCode.TOPIC_AUTHORIZATION_FAILED],
    ]);
    const refused = f.responses.find((r) => r.topicId === secretId)!.partitions[0].records;
    assert(refused !== null && refused.length === 0, `v${v}: empty records, as Kafka's MemoryRecords.EMPTY`);
  }
});
