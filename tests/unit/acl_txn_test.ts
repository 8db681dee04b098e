import { FakeChannel } from "../helpers/pipeline.ts";
// The ACL authorizer on the transaction APIs (their rules: src/security/acl/rules/transactions.ts), through the
// request pipeline, against Kafka's KafkaApis: InitProducerId, FindCoordinator (TRANSACTION), Produce with a transactional id,
// AddPartitionsToTxn (v0-3 from clients, v4 from brokers), AddOffsetsToTxn, EndTxn, TxnOffsetCommit,
// WriteTxnMarkers, DescribeProducers, DescribeTransactions, ListTransactions. Handlers here echo their request
// (errorResponse with code 0 mirrors every entry) and record it, so a test sees both whether the handler ran and
// what it was given, beside the refusals the authorizer put into the response.
import { assert, assertEquals } from "./assert.ts";
import type { ApiSpec } from "../../src/protocol/schema.ts";
import { ErrorCode } from "../../src/protocol/errors.ts";
import { loadConfig } from "../../src/configs/options.ts";
import { logger } from "../../src/log.ts";
import type { Broker } from "../../src/request/context.ts";
import { ApiRegistry } from "../../src/handlers/registry.ts";
import { RequestPipeline } from "../../src/server/pipeline/pipeline.ts";
import { errorResponse } from "../../src/protocol/error_response.ts";
import { decodeResponse, requestFrame } from "../helpers/wire.ts";
import * as topics from "../../src/security/acl/rules/topics.ts";
import * as groups from "../../src/security/acl/rules/groups.ts";
import * as txn from "../../src/security/acl/rules/transactions.ts";
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
import { ProduceSpec } from "../../src/protocol/messages/produce.ts";
import { InitProducerIdSpec } from "../../src/protocol/messages/init_producer_id.ts";
import { FindCoordinatorSpec } from "../../src/protocol/messages/find_coordinator.ts";
import { AddPartitionsToTxnSpec } from "../../src/protocol/messages/add_partitions_to_txn.ts";
import { AddOffsetsToTxnSpec } from "../../src/protocol/messages/add_offsets_to_txn.ts";
import { EndTxnSpec } from "../../src/protocol/messages/end_txn.ts";
import { TxnOffsetCommitSpec } from "../../src/protocol/messages/txn_offset_commit.ts";
import { WriteTxnMarkersSpec } from "../../src/protocol/messages/write_txn_markers.ts";
import { DescribeProducersSpec } from "../../src/protocol/messages/describe_producers.ts";
import { DescribeTransactionsSpec } from "../../src/protocol/messages/describe_transactions.ts";
import { ListTransactionsSpec } from "../../src/protocol/messages/list_transactions.ts";

const { config } = loadConfig({ argv: [], env: () => undefined, readFile: () => undefined });
const EXISTING = ["orders", "secret"];

function testBroker(): Broker {
  const topic = (name: string) =>
    EXISTING.includes(name) ? { name, id: "0".repeat(31) + "1", partitions: 2 } : undefined;
  return {
    config,
    log: logger("test"),
    metrics: null,
    clusterId: "acl-txn-test",
    shutdown: new AbortController().signal,
    storage: {
      getTopic: topic,
      getTopicById: () => undefined,
      findTopic: (n: string) => Promise.resolve(topic(n)),
    },
    acls: null,
  } as unknown as Broker;
}

/** What each handler was given, by API name (absent: the handler never ran). */
type Seen = Map<string, unknown>;

function registry(seen: Seen): ApiRegistry {
  const r = new ApiRegistry();
  // Each API with its own rule, as src/handlers/apis.ts registers it.
  const echoed: [ApiSpec, unknown][] = [
    [ProduceSpec, topics.produce],
    [InitProducerIdSpec, txn.initProducerId],
    [FindCoordinatorSpec, groups.findCoordinator],
    [AddPartitionsToTxnSpec, txn.addPartitionsToTxn],
    [AddOffsetsToTxnSpec, txn.addOffsetsToTxn],
    [EndTxnSpec, txn.endTxn],
    [TxnOffsetCommitSpec, txn.txnOffsetCommit],
    [WriteTxnMarkersSpec, txn.writeTxnMarkers],
    [DescribeProducersSpec, topics.describeProducers],
  ];
  for (const [spec, rule] of echoed) {
    const echo = (ctx: { header: { apiVersion: number } }, req: unknown) => {
      seen.set(spec.name, req);
      return errorResponse(spec, ctx.header.apiVersion, req, 0);
    };
    // deno-lint-ignore no-explicit-any
    r.register(spec, echo as any, rule as any);
  }
  // The coordinator's view: each named transaction touches "orders" and "secret".
  r.register(DescribeTransactionsSpec, (_ctx, req) => {
    seen.set("DescribeTransactions", req);
    return {
      transactionStates: req.transactionalIds.map((transactionalId) => ({
        errorCode: 0,
        transactionalId,
        transactionState: "Ongoing",
        transactionTimeoutMs: 60000,
        transactionStartTimeMs: 1,
        producerId: 7,
        producerEpoch: 0,
        topics: EXISTING.map((topic) => ({ topic, partitions: [0, 1] })),
      })),
    };
  }, txn.describeTransactions);
  r.register(ListTransactionsSpec, () => ({
    errorCode: 0,
    unknownStateFilters: [],
    transactionStates: ["tx-app", "tx-other", "tx-app-2"].map((transactionalId, i) => ({
      transactionalId,
      producerId: i,
      transactionState: "Ongoing",
    })),
  }), txn.listTransactions);
  return r;
}

function acl(type: number, name: string, op: number, pattern: number = PatternType.LITERAL): AclBinding {
  return {
    resourceType: type as AclBinding["resourceType"],
    resourceName: name,
    patternType: pattern as AclBinding["patternType"],
    principal: "User:alice",
    host: "*",
    operation: op as AclBinding["operation"],
    permission: Permission.ALLOW,
  };
}

function setup(acls: AclBinding[]) {
  const seen: Seen = new Map();
  const matcher = new AclMatcher(acls, { superUsers: new Set(), allowIfNoAcl: false });
  const pipeline = new RequestPipeline(testBroker(), registry(seen), {
    authorizer: new AclAuthorizer({ matcher }),
  });
  const ch = new FakeChannel({ type: "User", name: "alice" }, { host: "10.1.2.3" });
  let corr = 0;
  async function call<T>(spec: ApiSpec, version: number, body: unknown): Promise<T> {
    const id = ++corr;
    seen.clear();
    await pipeline.handle(requestFrame(spec, version, id, body).subarray(4), ch);
    return decodeResponse<T>(spec, version, ch.sent[ch.sent.length - 1], id);
  }
  return { call, seen };
}

const T = ResourceType.TOPIC;
const G = ResourceType.GROUP;
const C = ResourceType.CLUSTER;
const X = ResourceType.TRANSACTIONAL_ID;
const TXN_DENIED = ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;

type PartCodes = { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[];
const codes = (topics: PartCodes) =>
  topics.flatMap((t) => t.partitions.map((p) => [t.name, p.partitionIndex, p.errorCode]));

Deno.test("acl txn: InitProducerId with a transactional id needs WRITE on it (DESCRIBE is not enough)", async () => {
  const body = { transactionalId: "tx-app", transactionTimeoutMs: 60000, producerId: -1, producerEpoch: -1 };
  for (const acls of [[], [acl(X, "tx-app", Op.DESCRIBE)], [acl(X, "tx-other", Op.WRITE)]]) {
    const { call, seen } = setup([
      ...acls,
      acl(C, CLUSTER_NAME, Op.IDEMPOTENT_WRITE),
      acl(T, "orders", Op.WRITE),
    ]);
    const r = await call<{ errorCode: number }>(InitProducerIdSpec, 4, body);
    assertEquals(r.errorCode, TXN_DENIED);
    assert(!seen.has("InitProducerId"), "the coordinator must not be asked");
  }
  const { call, seen } = setup([acl(X, "tx-", Op.WRITE, PatternType.PREFIXED)]);
  assertEquals((await call<{ errorCode: number }>(InitProducerIdSpec, 4, body)).errorCode, 0);
  assert(seen.has("InitProducerId"));
});

Deno.test("acl txn: FindCoordinator TRANSACTION needs DESCRIBE on the transactional id (v3 and batched v4)", async () => {
  const { call } = setup([acl(X, "tx-app", Op.DESCRIBE)]);
  const v3 = await call<{ errorCode: number }>(FindCoordinatorSpec, 3, { key: "tx-other", keyType: 1 });
  assertEquals(v3.errorCode, TXN_DENIED);
  const v4 = await call<{ coordinators: { key: string; errorCode: number }[] }>(FindCoordinatorSpec, 4, {
    keyType: 1,
    coordinatorKeys: ["tx-app", "tx-other"],
  });
  assertEquals(v4.coordinators.map((c) => [c.key, c.errorCode]).sort(), [["tx-app", 0], [
    "tx-other",
    TXN_DENIED,
  ]]);
});

Deno.test("acl txn: a transactional Produce needs WRITE on its transactional id as well as on the topic", async () => {
  const body = {
    transactionalId: "tx-app",
    acks: -1,
    timeoutMs: 1000,
    topicData: [{ name: "orders", partitionData: [{ index: 0, records: null }] }],
  };
  type Res = { responses: { name: string; partitionResponses: { errorCode: number }[] }[] };
  const denied = setup([acl(T, "orders", Op.WRITE)]);
  const r = await denied.call<Res>(ProduceSpec, 9, body);
  assertEquals(r.responses[0].partitionResponses[0].errorCode, TXN_DENIED);
  assert(!denied.seen.has("Produce"));
  const ok = setup([acl(T, "orders", Op.WRITE), acl(X, "tx-app", Op.WRITE)]);
  assertEquals((await ok.call<Res>(ProduceSpec, 9, body)).responses[0].partitionResponses[0].errorCode, 0);
  assert(ok.seen.has("Produce"));
});

Deno.test("acl txn: AddPartitionsToTxn v0-3 needs WRITE on the id and every topic; v4 (a broker's) CLUSTER_ACTION", async () => {
  const body = (...topics: string[]) => ({
    v3AndBelowTransactionalId: "tx-app",
    v3AndBelowProducerId: 7,
    v3AndBelowProducerEpoch: 0,
    v3AndBelowTopics: topics.map((name) => ({ name, partitions: [0, 1] })),
  });
  type Res = {
    resultsByTopicV3AndBelow: { name: string; resultsByPartition: { partitionErrorCode: number }[] }[];
  };
  const flat = (r: Res) =>
    r.resultsByTopicV3AndBelow.flatMap((t) =>
      t.resultsByPartition.map((p) => [t.name, p.partitionErrorCode])
    );
  for (const v of [0, 3]) {
    // No WRITE on the transactional id: every partition, the coordinator not asked.
    const noTxn = setup([acl(T, "orders", Op.WRITE)]);
    assertEquals(flat(await noTxn.call<Res>(AddPartitionsToTxnSpec, v, body("orders"))), [
      ["orders", TXN_DENIED],
      ["orders", TXN_DENIED],
    ]);
    assert(!noTxn.seen.has("AddPartitionsToTxn"));
    // WRITE on the id and on orders, not on secret: nothing is added.
    const some = setup([acl(X, "tx-app", Op.WRITE), acl(T, "orders", Op.WRITE), acl(T, "secret", Op.READ)]);
    const r = flat(await some.call<Res>(AddPartitionsToTxnSpec, v, body("orders", "secret")));
    assert(!some.seen.has("AddPartitionsToTxn"), "a refused topic refuses the whole request");
    assertEquals(r.filter(([n]) => n === "secret").map(([, c]) => c), [
      ErrorCode.TOPIC_AUTHORIZATION_FAILED,
      ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    ]);
    assert(r.every(([, c]) => c !== 0), `no partition may be reported added: ${JSON.stringify(r)}`);
    const ok = setup([acl(X, "tx-app", Op.WRITE), acl(T, "*", Op.WRITE)]);
    assertEquals(
      flat(await ok.call<Res>(AddPartitionsToTxnSpec, v, body("orders", "secret"))).map(([, c]) => c),
      [
        0,
        0,
        0,
        0,
      ],
    );
    assert(ok.seen.has("AddPartitionsToTxn"));
  }
  // v4 is the partition leader's verification (KIP-890): the cluster's CLUSTER_ACTION, the producer's ACLs do
  // not count.
  const v4 = {
    transactions: [{
      transactionalId: "tx-app",
      producerId: 7,
      producerEpoch: 0,
      verifyOnly: true,
      topics: [{ name: "orders", partitions: [0] }],
    }],
  };
  type Res4 = { errorCode: number };
  const client = setup([acl(X, "tx-app", Op.WRITE), acl(T, "orders", Op.WRITE)]);
  assertEquals(
    (await client.call<Res4>(AddPartitionsToTxnSpec, 4, v4)).errorCode,
    ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
  );
  assert(!client.seen.has("AddPartitionsToTxn"));
  const broker = setup([acl(C, CLUSTER_NAME, Op.CLUSTER_ACTION)]);
  assertEquals((await broker.call<Res4>(AddPartitionsToTxnSpec, 4, v4)).errorCode, 0);
  assert(broker.seen.has("AddPartitionsToTxn"));
});

Deno.test("acl txn: AddOffsetsToTxn needs WRITE on the id, then READ on the group; EndTxn WRITE on the id", async () => {
  const add = { transactionalId: "tx-app", producerId: 7, producerEpoch: 0, groupId: "g1" };
  type Res = { errorCode: number };
  const cases: [AclBinding[], number][] = [
    [[acl(G, "g1", Op.READ)], TXN_DENIED],
    [[acl(X, "tx-app", Op.WRITE)], ErrorCode.GROUP_AUTHORIZATION_FAILED],
    [[acl(X, "tx-app", Op.WRITE), acl(G, "g1", Op.DESCRIBE)], ErrorCode.GROUP_AUTHORIZATION_FAILED],
    [[acl(X, "tx-app", Op.WRITE), acl(G, "g1", Op.READ)], 0],
  ];
  for (const [acls, want] of cases) {
    const { call, seen } = setup(acls);
    assertEquals((await call<Res>(AddOffsetsToTxnSpec, 3, add)).errorCode, want);
    assertEquals(seen.has("AddOffsetsToTxn"), want === 0);
  }
  const end = { transactionalId: "tx-app", producerId: 7, producerEpoch: 0, committed: true };
  const noWrite = setup([acl(X, "tx-app", Op.DESCRIBE), acl(G, "g1", Op.READ)]);
  assertEquals((await noWrite.call<Res>(EndTxnSpec, 3, end)).errorCode, TXN_DENIED);
  assert(!noWrite.seen.has("EndTxn"));
  const ok = setup([acl(X, "tx-app", Op.WRITE)]);
  assertEquals((await ok.call<Res>(EndTxnSpec, 3, end)).errorCode, 0);
  assert(ok.seen.has("EndTxn"));
});

Deno.test("acl txn: TxnOffsetCommit needs WRITE on the id, READ on the group, READ per topic", async () => {
  const body = {
    transactionalId: "tx-app",
    groupId: "g1",
    producerId: 7,
    producerEpoch: 0,
    generationId: 1,
    memberId: "m",
    groupInstanceId: null,
    topics: EXISTING.map((name) => ({
      name,
      partitions: [{
        partitionIndex: 0,
        committedOffset: 5,
        committedLeaderEpoch: -1,
        committedMetadata: "",
      }],
    })),
  };
  type Res = { topics: PartCodes };
  const noTxn = setup([acl(G, "g1", Op.READ), acl(T, "*", Op.READ)]);
  assertEquals(codes((await noTxn.call<Res>(TxnOffsetCommitSpec, 3, body)).topics), [
    ["orders", 0, TXN_DENIED],
    ["secret", 0, TXN_DENIED],
  ]);
  assert(!noTxn.seen.has("TxnOffsetCommit"));
  const noGroup = setup([acl(X, "tx-app", Op.WRITE), acl(T, "*", Op.READ)]);
  assertEquals(codes((await noGroup.call<Res>(TxnOffsetCommitSpec, 3, body)).topics), [
    ["orders", 0, ErrorCode.GROUP_AUTHORIZATION_FAILED],
    ["secret", 0, ErrorCode.GROUP_AUTHORIZATION_FAILED],
  ]);
  assert(!noGroup.seen.has("TxnOffsetCommit"));
  // READ on orders only (WRITE on secret does not count): secret refused, orders committed.
  const some = setup([
    acl(X, "tx-app", Op.WRITE),
    acl(G, "g1", Op.READ),
    acl(T, "orders", Op.READ),
    acl(T, "secret", Op.WRITE),
  ]);
  const r = await some.call<Res>(TxnOffsetCommitSpec, 3, body);
  assertEquals(codes(r.topics).sort(), [["orders", 0, 0], [
    "secret",
    0,
    ErrorCode.TOPIC_AUTHORIZATION_FAILED,
  ]]);
  assertEquals(
    (some.seen.get("TxnOffsetCommit") as { topics: { name: string }[] }).topics.map((t) => t.name),
    [
      "orders",
    ],
  );
});

Deno.test("acl txn: WriteTxnMarkers is a broker's request: CLUSTER_ACTION on the cluster", async () => {
  const body = {
    markers: [{
      producerId: 7,
      producerEpoch: 0,
      transactionResult: true,
      topics: [{ name: "orders", partitionIndexes: [0, 1] }],
      coordinatorEpoch: 0,
    }],
  };
  type Res = {
    markers: { producerId: number; topics: { name: string; partitions: { errorCode: number }[] }[] }[];
  };
  const all = (r: Res) =>
    r.markers.flatMap((m) => m.topics.flatMap((t) => t.partitions.map((p) => p.errorCode)));
  // Everything a producer could hold, but not CLUSTER_ACTION.
  const producer = setup([
    acl(T, "orders", Op.ALL),
    acl(X, "*", Op.ALL),
    acl(C, CLUSTER_NAME, Op.IDEMPOTENT_WRITE),
    acl(C, CLUSTER_NAME, Op.DESCRIBE),
  ]);
  assertEquals(all(await producer.call<Res>(WriteTxnMarkersSpec, 1, body)), [
    ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
  ]);
  assert(!producer.seen.has("WriteTxnMarkers"));
  const broker = setup([acl(C, CLUSTER_NAME, Op.CLUSTER_ACTION)]);
  assertEquals(all(await broker.call<Res>(WriteTxnMarkersSpec, 1, body)), [0, 0]);
  assert(broker.seen.has("WriteTxnMarkers"));
});

Deno.test("acl txn: DescribeProducers needs READ per topic (DESCRIBE is not enough)", async () => {
  const { call, seen } = setup([acl(T, "orders", Op.READ), acl(T, "secret", Op.DESCRIBE)]);
  type Res = { topics: PartCodes };
  const r = await call<Res>(DescribeProducersSpec, 0, {
    topics: EXISTING.map((name) => ({ name, partitionIndexes: [0, 1] })),
  });
  assertEquals(codes(r.topics).sort(), [
    ["orders", 0, 0],
    ["orders", 1, 0],
    ["secret", 0, ErrorCode.TOPIC_AUTHORIZATION_FAILED],
    ["secret", 1, ErrorCode.TOPIC_AUTHORIZATION_FAILED],
  ]);
  assertEquals((seen.get("DescribeProducers") as { topics: { name: string }[] }).topics.map((t) => t.name), [
    "orders",
  ]);
});

Deno.test("acl txn: DescribeTransactions needs DESCRIBE per id and shows only DESCRIBE-able topics; ListTransactions is filtered", async () => {
  const { call, seen } = setup([
    acl(X, "tx-app", Op.DESCRIBE, PatternType.PREFIXED),
    acl(T, "orders", Op.DESCRIBE),
  ]);
  type Dt = {
    transactionStates: { transactionalId: string; errorCode: number; topics: { topic: string }[] }[];
  };
  const d = await call<Dt>(DescribeTransactionsSpec, 0, { transactionalIds: ["tx-app", "tx-other"] });
  assertEquals(
    d.transactionStates.map((s) => [s.transactionalId, s.errorCode, s.topics.map((t) => t.topic)])
      .sort(),
    [["tx-app", 0, ["orders"]], ["tx-other", TXN_DENIED, []]],
  );
  assertEquals((seen.get("DescribeTransactions") as { transactionalIds: string[] }).transactionalIds, [
    "tx-app",
  ]);
  type Lt = { errorCode: number; transactionStates: { transactionalId: string }[] };
  const l = await call<Lt>(ListTransactionsSpec, 1, {
    stateFilters: [],
    producerIdFilters: [],
    durationFilter: -1,
  });
  assertEquals(l.errorCode, 0);
  assertEquals(l.transactionStates.map((s) => s.transactionalId), ["tx-app", "tx-app-2"]);
});
