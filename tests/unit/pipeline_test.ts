import { FakeChannel, PLAINTEXT_LISTENER } from "../helpers/pipeline.ts";
// The request pipeline (src/server/pipeline/): the steps run in order; the default principal and listener reach
// handlers; a denying authorizer answers with the API's authorization error without calling the handler (for
// every API and version the gateway serves); the quota step's throttle time lands in throttle_time_ms where the
// response has one, and mutes the connection (KIP-219). Pipeline-only tests drive handle() over a fake channel;
// the mute and the listener are tested through a real in-process listener. What is asserted is the order of
// events and what was encoded, never how long something took.
import { assert, assertEquals } from "./assert.ts";
import { Reader, Writer } from "../../src/protocol/codec.ts";
import {
  type ApiSpec,
  arrayOf,
  compile,
  defineApi,
  type Field,
  field,
  type FieldType,
} from "../../src/protocol/schema.ts";
import { ErrorCode, KafkaError } from "../../src/protocol/errors.ts";
import { loadConfig } from "../../src/configs/options.ts";
import { logger } from "../../src/log.ts";
import type { Broker, RequestContext } from "../../src/request/context.ts";
import { produceDelivery } from "../../src/handlers/produce.ts";
import { ApiRegistry } from "../../src/handlers/registry.ts";
import { buildRegistry } from "../../src/handlers/apis.ts";
import { ApiKey } from "../../src/protocol/api_keys.ts";
import { KafkaServer } from "../../src/server/server.ts";
import { CLOSE, DONE, type PipelineSteps, RequestPipeline } from "../../src/server/pipeline/pipeline.ts";
import {
  ANONYMOUS,
  type Authenticator,
  CLOSE_CONNECTION,
  PASS,
  principalName,
} from "../../src/request/authenticate.ts";
import { ALLOW, type Authorizer, type Verdict } from "../../src/request/authorize.ts";
import type { QuotaManager } from "../../src/request/quota.ts";
import { errorResponse } from "../../src/protocol/error_response.ts";
import { decodeResponse, requestFrame, WireClient } from "../helpers/wire.ts";
import {
  type MetadataRequest,
  type MetadataResponse,
  MetadataSpec,
} from "../../src/protocol/messages/metadata.ts";
import {
  type DescribeClusterResponse,
  DescribeClusterSpec,
} from "../../src/protocol/messages/describe_cluster.ts";
import { type ProduceResponse, ProduceSpec } from "../../src/protocol/messages/produce.ts";
import { type FetchResponse, FetchSpec } from "../../src/protocol/messages/fetch.ts";
import { type JoinGroupResponse, JoinGroupSpec } from "../../src/protocol/messages/join_group.ts";
import { ApiVersionsSpec } from "../../src/protocol/messages/api_versions.ts";
import { ListOffsetsSpec } from "../../src/protocol/messages/list_offsets.ts";
import { CreateTopicsSpec } from "../../src/protocol/messages/create_topics.ts";
import { DeleteTopicsSpec } from "../../src/protocol/messages/delete_topics.ts";
import { FindCoordinatorSpec } from "../../src/protocol/messages/find_coordinator.ts";
import { SyncGroupSpec } from "../../src/protocol/messages/sync_group.ts";
import { HeartbeatSpec } from "../../src/protocol/messages/heartbeat.ts";
import { LeaveGroupSpec } from "../../src/protocol/messages/leave_group.ts";
import { OffsetCommitSpec } from "../../src/protocol/messages/offset_commit.ts";
import { OffsetFetchSpec } from "../../src/protocol/messages/offset_fetch.ts";
import { OffsetDeleteSpec } from "../../src/protocol/messages/offset_delete.ts";
import { DescribeGroupsSpec } from "../../src/protocol/messages/describe_groups.ts";
import { ListGroupsSpec } from "../../src/protocol/messages/list_groups.ts";
import { DeleteGroupsSpec } from "../../src/protocol/messages/delete_groups.ts";
import { InitProducerIdSpec } from "../../src/protocol/messages/init_producer_id.ts";
import { OffsetForLeaderEpochSpec } from "../../src/protocol/messages/offset_for_leader_epoch.ts";
import { CreatePartitionsSpec } from "../../src/protocol/messages/create_partitions.ts";
import { DescribeConfigsSpec } from "../../src/protocol/messages/describe_configs.ts";
import { AlterConfigsSpec } from "../../src/protocol/messages/alter_configs.ts";
import { IncrementalAlterConfigsSpec } from "../../src/protocol/messages/incremental_alter_configs.ts";
import { DescribeLogDirsSpec } from "../../src/protocol/messages/describe_log_dirs.ts";
import { DeleteRecordsSpec } from "../../src/protocol/messages/delete_records.ts";

// ------------------------------------------------------------------------------------------------- fixtures

const { config } = loadConfig({ argv: [], env: () => undefined, readFile: () => undefined });

/** Only what the pipeline and the listener touch: the test handlers use nothing of the broker. */
function testBroker(): Broker {
  const parts = {
    config,
    log: logger("test"),
    metrics: null,
    clusterId: "pipeline-test",
    shutdown: new AbortController().signal,
  };
  return parts as Broker;
}

/** A connection without a socket: what the pipeline sends is kept, and logged to `events`. */

/** A request frame without its size prefix (what FrameReader hands the pipeline). */
function frame(spec: ApiSpec, version: number, correlationId: number, body: unknown): Uint8Array {
  return requestFrame(spec, version, correlationId, body).subarray(4);
}

function metadataRequest(...topics: string[]): MetadataRequest {
  return {
    topics: topics.map((name) => ({ topicId: "0".repeat(32), name })),
    allowAutoTopicCreation: false,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  };
}

function metadataResponse(topics: readonly string[]): MetadataResponse {
  return {
    throttleTimeMs: 0,
    brokers: [{ nodeId: 1, host: "localhost", port: 9092, rack: null }],
    clusterId: "c",
    controllerId: 1,
    topics: topics.map((name) => ({
      errorCode: 0,
      name,
      topicId: "0".repeat(32),
      isInternal: false,
      partitions: [],
      topicAuthorizedOperations: -2147483648,
    })),
    clusterAuthorizedOperations: -2147483648,
  };
}

function emptyFetchResponse(): FetchResponse {
  return { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses: [], nodeEndpoints: [] };
}

/** A registry whose handlers log their calls (and contexts) instead of touching a broker. */
function testRegistry(events: string[], contexts: RequestContext[] = []): ApiRegistry {
  const note = (ctx: RequestContext) => {
    events.push(`handler ${ctx.header.correlationId}`);
    contexts.push(ctx);
  };
  return new ApiRegistry()
    .register(MetadataSpec, (ctx, req) => {
      note(ctx);
      return metadataResponse((req.topics ?? []).map((t) => t.name ?? ""));
    }, ALLOW)
    .register(FetchSpec, (ctx) => {
      note(ctx);
      return emptyFetchResponse();
    }, ALLOW)
    .register(ProduceSpec, (ctx, req) => {
      note(ctx);
      return req.acks === 0 ? null : { throttleTimeMs: 0, responses: [], nodeEndpoints: [] };
    }, ALLOW)
    .register(
      DescribeClusterSpec,
      (ctx) => {
        note(ctx);
        return {
          throttleTimeMs: 0,
          errorCode: 0,
          errorMessage: null,
          endpointType: 1,
          clusterId: "c",
          controllerId: 1,
          brokers: [],
          clusterAuthorizedOperations: -2147483648,
        };
      },
      ALLOW,
      { refusal: () => ErrorCode.CLUSTER_AUTHORIZATION_FAILED },
    )
    .register(
      JoinGroupSpec,
      (ctx) => {
        note(ctx);
        throw new Error("not reached in these tests");
      },
      ALLOW,
      { refusal: () => ErrorCode.GROUP_AUTHORIZATION_FAILED },
    );
}

function pipelineWith(steps: PipelineSteps, events: string[] = [], contexts: RequestContext[] = []) {
  const pipeline = new RequestPipeline(testBroker(), testRegistry(events, contexts), steps);
  return {
    pipeline,
    channel: new FakeChannel(pipeline, { id: 7, onSend: () => events.push("send") }),
    events,
    contexts,
  };
}

const DESCRIBE_CLUSTER = { includeClusterAuthorizedOperations: false, endpointType: 1 };

// ------------------------------------------------------------------------------------------------- order

Deno.test("pipeline: authenticate, authorize, handler, quota, response, in this order", async () => {
  const events: string[] = [];
  const alice = { type: "User", name: "alice" };
  const authenticator: Authenticator = {
    open: (conn) => {
      events.push(`open ${conn.listener.name}`);
      return {
        principal: alice,
        intercept: (ctx) => {
          events.push(`authenticate ${ctx.header.correlationId}`);
          return PASS;
        },
      };
    },
  };
  const authorizer: Authorizer = {
    authorize: (ctx) => {
      events.push(`authorize ${ctx.header.correlationId} ${principalName(ctx.principal)}`);
      return ALLOW;
    },
  };
  const quotas: QuotaManager = {
    throttleMs: (ctx) => {
      events.push(`quota ${ctx.header.correlationId}`);
      return 0;
    },
  };
  const { pipeline, channel, contexts } = pipelineWith({ authenticator, authorizer, quotas }, events);
  assertEquals(await pipeline.handle(frame(MetadataSpec, 9, 1, metadataRequest("a")), channel), DONE);
  assertEquals(await pipeline.handle(frame(MetadataSpec, 9, 2, metadataRequest("b")), channel), DONE);
  assertEquals(events, [
    "open PLAINTEXT",
    "authenticate 1",
    "authorize 1 User:alice",
    "handler 1",
    "quota 1",
    "send",
    "authenticate 2",
    "authorize 2 User:alice",
    "handler 2",
    "quota 2",
    "send",
  ]);
  assertEquals(contexts[0].principal, alice);
});

Deno.test("pipeline: by default the handler sees User:ANONYMOUS and the connection's listener", async () => {
  const { pipeline, channel, contexts } = pipelineWith({});
  await pipeline.handle(frame(MetadataSpec, 9, 1, metadataRequest()), channel);
  assertEquals(contexts.length, 1);
  const ctx = contexts[0];
  assert(ctx.principal === ANONYMOUS, "the shared ANONYMOUS principal");
  assertEquals(principalName(ctx.principal), "User:ANONYMOUS");
  assertEquals(ctx.listener, PLAINTEXT_LISTENER);
  assertEquals(ctx.connectionId, 7);
  assertEquals(ctx.clientHost, "/127.0.0.1");
  assertEquals(ctx.header.clientId, "wire-test");
});

// ------------------------------------------------------------------------------------------------- authentication

Deno.test("pipeline: the authentication step may answer a request itself, or close the connection", async () => {
  const events: string[] = [];
  const answered: DescribeClusterResponse = {
    throttleTimeMs: 0,
    errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED,
    errorMessage: "answered by the authenticator",
    endpointType: 1,
    clusterId: "",
    controllerId: -1,
    brokers: [],
    clusterAuthorizedOperations: -2147483648,
  };
  const authenticator: Authenticator = {
    open: () => ({
      principal: ANONYMOUS,
      intercept: (ctx) =>
        Promise.resolve(
          ctx.header.apiKey === DescribeClusterSpec.key ? { response: answered } : CLOSE_CONNECTION,
        ),
    }),
  };
  const { pipeline, channel } = pipelineWith({ authenticator }, events);
  assertEquals(await pipeline.handle(frame(DescribeClusterSpec, 1, 1, DESCRIBE_CLUSTER), channel), DONE);
  const res = decodeResponse<DescribeClusterResponse>(DescribeClusterSpec, 1, channel.sent[0], 1);
  assertEquals(res.errorMessage, "answered by the authenticator");
  assertEquals(await pipeline.handle(frame(MetadataSpec, 9, 2, metadataRequest()), channel), CLOSE);
  assertEquals(channel.protocolErrors, ["authentication"]);
  assertEquals(events, ["send"], "no handler ran");
});

// ------------------------------------------------------------------------------------------------- authorization

function denyAll(verdict: Verdict, seen: string[] = []): Authorizer {
  return {
    authorize: (ctx) => {
      seen.push(`${ctx.listener.name} ${principalName(ctx.principal)} ${ctx.header.apiKey}`);
      return verdict;
    },
  };
}

Deno.test("the gateway's APIs refuse a whole request with the error of their resource, as Kafka's brokers do", () => {
  const r = buildRegistry();
  const refusal = (key: number, req: unknown = {}) => r.get(key)?.refusal(req);
  assertEquals(refusal(ApiKey.JoinGroup), ErrorCode.GROUP_AUTHORIZATION_FAILED);
  assertEquals(refusal(ApiKey.OffsetCommit), ErrorCode.GROUP_AUTHORIZATION_FAILED);
  assertEquals(refusal(ApiKey.DescribeCluster), ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
  assertEquals(refusal(ApiKey.ListGroups), ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
  assertEquals(refusal(ApiKey.Metadata), ErrorCode.TOPIC_AUTHORIZATION_FAILED);
  assertEquals(refusal(ApiKey.Produce, { transactionalId: null }), ErrorCode.TOPIC_AUTHORIZATION_FAILED);
  assertEquals(
    refusal(ApiKey.Produce, { transactionalId: "t" }),
    ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
  );
  assertEquals(
    refusal(ApiKey.InitProducerId, { transactionalId: null }),
    ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
  );
  assertEquals(
    refusal(ApiKey.InitProducerId, { transactionalId: "t" }),
    ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
  );
});

Deno.test("pipeline: a denial answers with the API's authorization error and skips the handler", async () => {
  const seen: string[] = [];
  const { pipeline, channel, events } = pipelineWith({ authorizer: denyAll({ kind: "deny" }, seen) });

  // A top-level error code: the cluster's.
  await pipeline.handle(frame(DescribeClusterSpec, 1, 1, DESCRIBE_CLUSTER), channel);
  const dc = decodeResponse<DescribeClusterResponse>(DescribeClusterSpec, 1, channel.sent[0], 1);
  assertEquals(dc.errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);

  // Per topic: every requested topic is refused by name.
  await pipeline.handle(frame(MetadataSpec, 9, 2, metadataRequest("a", "b")), channel);
  const md = decodeResponse<MetadataResponse>(MetadataSpec, 9, channel.sent[1], 2);
  assertEquals(md.topics.map((t) => [t.name, t.errorCode]), [
    ["a", ErrorCode.TOPIC_AUTHORIZATION_FAILED],
    ["b", ErrorCode.TOPIC_AUTHORIZATION_FAILED],
  ]);
  assertEquals(md.brokers, []);

  // Per partition, the partition index carried over.
  const produce = {
    transactionalId: null,
    acks: -1,
    timeoutMs: 1000,
    topicData: [{ name: "t", partitionData: [{ index: 0, records: null }, { index: 3, records: null }] }],
  };
  await pipeline.handle(frame(ProduceSpec, 9, 3, produce), channel);
  const pr = decodeResponse<ProduceResponse>(ProduceSpec, 9, channel.sent[2], 3);
  assertEquals(
    pr.responses.map((t) => [t.name, t.partitionResponses.map((p) => [p.index, p.errorCode, p.baseOffset])]),
    [["t", [[0, ErrorCode.TOPIC_AUTHORIZATION_FAILED, 0], [3, ErrorCode.TOPIC_AUTHORIZATION_FAILED, 0]]]],
  );

  // A group API: the group's error.
  const join = {
    groupId: "g",
    sessionTimeoutMs: 10000,
    rebalanceTimeoutMs: 10000,
    memberId: "",
    groupInstanceId: null,
    protocolType: "consumer",
    protocols: [],
    reason: null,
  };
  await pipeline.handle(frame(JoinGroupSpec, 9, 4, join), channel);
  const jg = decodeResponse<JoinGroupResponse>(JoinGroupSpec, 9, channel.sent[3], 4);
  assertEquals(jg.errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED);

  assertEquals(events.filter((e) => e.startsWith("handler")), [], "no handler called");
  assertEquals(seen, [
    "PLAINTEXT User:ANONYMOUS 60",
    "PLAINTEXT User:ANONYMOUS 3",
    "PLAINTEXT User:ANONYMOUS 0",
    "PLAINTEXT User:ANONYMOUS 11",
  ]);
});

Deno.test("pipeline: a denial may name its error code and message", async () => {
  const { pipeline, channel } = pipelineWith({
    authorizer: denyAll({ kind: "deny", errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, message: "no" }),
  });
  await pipeline.handle(frame(DescribeClusterSpec, 1, 1, DESCRIBE_CLUSTER), channel);
  const dc = decodeResponse<DescribeClusterResponse>(DescribeClusterSpec, 1, channel.sent[0], 1);
  assertEquals([dc.errorCode, dc.errorMessage], [ErrorCode.TOPIC_AUTHORIZATION_FAILED, "no"]);
});

Deno.test("pipeline: a narrowing authorizer hands the handler the allowed part and completes the response", async () => {
  const authorizer: Authorizer = {
    authorize: (_ctx, request) => {
      const req = request as MetadataRequest;
      const refused = (req.topics ?? []).filter((t) => t.name === "secret");
      if (refused.length === 0) return ALLOW;
      return {
        kind: "narrow",
        request: { ...req, topics: (req.topics ?? []).filter((t) => t.name !== "secret") },
        complete: (response) => {
          const res = response as MetadataResponse;
          const denied = errorResponse(
            MetadataSpec,
            9,
            { topics: refused },
            ErrorCode.TOPIC_AUTHORIZATION_FAILED,
          );
          return { ...res, topics: [...res.topics, ...(denied.topics as MetadataResponse["topics"])] };
        },
      };
    },
  };
  const { pipeline, channel, contexts } = pipelineWith({ authorizer });
  await pipeline.handle(frame(MetadataSpec, 9, 1, metadataRequest("public", "secret")), channel);
  assertEquals(contexts.length, 1);
  const md = decodeResponse<MetadataResponse>(MetadataSpec, 9, channel.sent[0], 1);
  assertEquals(md.topics.map((t) => [t.name, t.errorCode]), [
    ["public", 0],
    ["secret", ErrorCode.TOPIC_AUTHORIZATION_FAILED],
  ]);
});

/** A request of `fields` at any version with one entry in every list (schemas give the shape, not the sense). */
function sample(fields: readonly Field[]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const f of fields) o[f.name] = sampleValue(f.type);
  return o;
}

function sampleValue(t: FieldType): unknown {
  if (typeof t !== "string") return t.kind === "array" ? [sampleValue(t.of)] : sample(t.fields);
  switch (t) {
    case "bool":
      return false;
    case "string":
      return "r";
    case "uuid":
      return "0".repeat(31) + "1";
    case "bytes":
      return new Uint8Array([1]);
    case "records":
      return null;
    default:
      return 1;
  }
}

/** Every errorCode in a decoded response, at any depth. */
function errorCodes(v: unknown, out: number[] = []): number[] {
  if (Array.isArray(v)) { for (const x of v) errorCodes(x, out); }
  else if (typeof v === "object" && v !== null && !(v instanceof Uint8Array)) {
    for (const [k, x] of Object.entries(v)) {
      if (k === "errorCode" && typeof x === "number") out.push(x);
      else errorCodes(x, out);
    }
  }
  return out;
}

const SERVED: readonly ApiSpec[] = [
  ProduceSpec,
  FetchSpec,
  ListOffsetsSpec,
  MetadataSpec,
  OffsetCommitSpec,
  OffsetFetchSpec,
  FindCoordinatorSpec,
  JoinGroupSpec,
  HeartbeatSpec,
  LeaveGroupSpec,
  SyncGroupSpec,
  DescribeGroupsSpec,
  ListGroupsSpec,
  ApiVersionsSpec,
  CreateTopicsSpec,
  DeleteTopicsSpec,
  DeleteRecordsSpec,
  InitProducerIdSpec,
  OffsetForLeaderEpochSpec,
  DescribeConfigsSpec,
  AlterConfigsSpec,
  DescribeLogDirsSpec,
  CreatePartitionsSpec,
  DeleteGroupsSpec,
  IncrementalAlterConfigsSpec,
  OffsetDeleteSpec,
  DescribeClusterSpec,
];

Deno.test("errorResponse: every served API and version carries the refusal and encodes", () => {
  const CODE = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
  for (const spec of SERVED) {
    const codec = compile(spec);
    for (let v = spec.minVersion; v <= spec.maxVersion; v++) {
      const w = new Writer();
      codec.encodeRequest(w, v, sample(spec.request));
      const request = codec.decodeRequest(new Reader(w.finish()), v);
      const out = new Writer();
      codec.encodeResponse(out, v, errorResponse(spec, v, request, CODE));
      const res = codec.decodeResponse(new Reader(out.finish()), v);
      // Fields a version lacks decode to their defaults (errorCode 0): only the codes set count.
      const codes = errorCodes(res).filter((c) => c !== 0);
      // DescribeLogDirs v0-2 has no error code outside its log dirs: a refusal lists none (as Kafka does).
      if (spec === DescribeLogDirsSpec && v < 3) assertEquals(codes, [], `${spec.name} v${v}`);
      else {
        assert(codes.length > 0, `${spec.name} v${v}: no error code in ${JSON.stringify(res)}`);
        assert(codes.every((c) => c === CODE), `${spec.name} v${v}: ${codes}`);
      }
    }
  }
  // Entries name what they refuse, whatever the request and response call the field.
  const fetch = errorResponse(FetchSpec, 4, sample(FetchSpec.request), CODE) as FetchResponse;
  assertEquals(
    fetch.responses.map((t) => [t.topic, t.partitions.map((p) => [p.partitionIndex, p.errorCode])]),
    [
      ["r", [[1, CODE]]],
    ],
  );
  const groups = errorResponse(DeleteGroupsSpec, 2, { groupsNames: ["g1", "g2"] }, CODE);
  assertEquals(groups.results, [{ groupId: "g1", errorCode: CODE }, { groupId: "g2", errorCode: CODE }]);
});

Deno.test("error response: a field Kafka marks mapKey identifies the entry, whatever its name", () => {
  const CODE = ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
  // An API whose entries are keyed by a field no identity name covers: only its mapKey says so.
  const keyed = (mapKey: boolean): ApiSpec =>
    defineApi({
      key: 9_999,
      name: "Keyed",
      minVersion: 0,
      maxVersion: 0,
      flexibleFrom: Infinity,
      request: [field("things", arrayOf([field("slot", "int32", "0+", { mapKey })]))],
      response: [
        field("things", arrayOf([field("slot", "int32", "0+", { mapKey }), field("errorCode", "int16")])),
      ],
    });
  const req = { things: [{ slot: 7 }, { slot: 9 }] };
  assertEquals(errorResponse(keyed(true), 0, req, CODE), {
    things: [{ slot: 7, errorCode: CODE }, { slot: 9, errorCode: CODE }],
  });
  // Without mapKey the entries are not matched to the request's (nothing says which resource they are about).
  assertEquals(errorResponse(keyed(false), 0, req, CODE), { things: [] });
});

// ------------------------------------------------------------------------------------------------- quotas

/** A quota step throttling every request by `ms`, noting the sizes it was given. */
function throttleAll(ms: number, sizes: [number, number][] = []): QuotaManager {
  return {
    throttleMs: (_ctx, requestBytes, responseBytes) => {
      sizes.push([requestBytes, responseBytes]);
      return ms;
    },
  };
}

Deno.test("quota: the throttle time goes into throttle_time_ms of responses that have it", async () => {
  const sizes: [number, number][] = [];
  const { pipeline, channel } = pipelineWith({ quotas: throttleAll(150, sizes) });
  const md9 = frame(MetadataSpec, 9, 1, metadataRequest("a"));
  assertEquals(await pipeline.handle(md9, channel), 150, "the connection is muted as long");
  assertEquals(decodeResponse<MetadataResponse>(MetadataSpec, 9, channel.sent[0], 1).throttleTimeMs, 150);
  assertEquals(sizes[0], [md9.length, channel.sent[0].length], "request frame and response sizes");

  assertEquals(await pipeline.handle(frame(FetchSpec, 11, 2, fetchRequest()), channel), 150);
  assertEquals(decodeResponse<FetchResponse>(FetchSpec, 11, channel.sent[1], 2).throttleTimeMs, 150);

  // Metadata v2 has no throttle_time_ms: the response is what it is unthrottled; the mute still applies.
  assertEquals(await pipeline.handle(frame(MetadataSpec, 2, 3, metadataRequest("a")), channel), 150);
  const plain = pipelineWith({});
  assertEquals(
    await plain.pipeline.handle(frame(MetadataSpec, 2, 3, metadataRequest("a")), plain.channel),
    DONE,
  );
  assertEquals(channel.sent[2], plain.channel.sent[0]);
});

Deno.test("quota: the pipeline owns throttle_time_ms (a handler's value is replaced by the quota's 0)", async () => {
  const pipeline = new RequestPipeline(
    testBroker(),
    new ApiRegistry().register(FetchSpec, () => ({ ...emptyFetchResponse(), throttleTimeMs: 99 }), ALLOW),
  );
  const channel = new FakeChannel(pipeline, { id: 7 });
  await pipeline.handle(frame(FetchSpec, 11, 1, fetchRequest()), channel);
  assertEquals(decodeResponse<FetchResponse>(FetchSpec, 11, channel.sent[0], 1).throttleTimeMs, 0);
});

Deno.test("quota: an acks=0 produce sends nothing but is muted all the same", async () => {
  const sizes: [number, number][] = [];
  const { pipeline, channel } = pipelineWith({ quotas: throttleAll(40, sizes) });
  const produce = { transactionalId: null, acks: 0, timeoutMs: 1000, topicData: [] };
  assertEquals(await pipeline.handle(frame(ProduceSpec, 9, 1, produce), channel), 40);
  assertEquals(channel.sent.length, 0);
  assertEquals(sizes[0][1], 0, "no response bytes");
});

function fetchRequest() {
  return {
    clusterId: null,
    replicaId: -1,
    replicaState: { replicaId: -1, replicaEpoch: -1 },
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [],
    forgottenTopicsData: [],
    rackId: "",
  };
}

// ------------------------------------------------------------------------------------------------- the listener

/** Rejects with `what` when `p` has not settled within `ms` (a hang, not a performance check). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`hung: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function withServer(
  steps: PipelineSteps,
  events: string[],
  contexts: RequestContext[],
  fn: (port: number) => Promise<void>,
): Promise<void> {
  const server = new KafkaServer(testBroker(), testRegistry(events, contexts), { pipeline: steps });
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0, transport: "tcp" });
  server.start(listener);
  try {
    await fn(listener.addr.port);
  } finally {
    await within(server.stop(), 10_000, "server stop");
  }
}

Deno.test("listener: a throttled connection gets its response at once and is muted before its next request", async () => {
  const events: string[] = [];
  const contexts: RequestContext[] = [];
  const muted = Promise.withResolvers<void>();
  const unmute = Promise.withResolvers<void>();
  const steps: PipelineSteps = {
    quotas: { throttleMs: (ctx) => ctx.header.correlationId === 1 ? 250 : 0 },
    delay: (ms) => {
      events.push(`mute ${ms}`);
      muted.resolve();
      return unmute.promise;
    },
  };
  await withServer(steps, events, contexts, async (port) => {
    const c = await WireClient.connect(port);
    try {
      // Both requests are on the wire before the first answer.
      const id1 = await c.send(MetadataSpec, 9, metadataRequest("a"));
      const id2 = await c.send(MetadataSpec, 9, metadataRequest("b"));
      const r1 = await within(c.receive<MetadataResponse>(MetadataSpec, 9, id1), 10_000, "response 1");
      events.push(`client got 1, throttle ${r1.throttleTimeMs}`);
      await within(muted.promise, 10_000, "mute");
      // Give an unmuted connection every chance to read and handle request 2.
      await new Promise((r) => setTimeout(r, 50));
      events.push("unmute");
      unmute.resolve();
      const r2 = await within(c.receive<MetadataResponse>(MetadataSpec, 9, id2), 10_000, "response 2");
      events.push(`client got 2, throttle ${r2.throttleTimeMs}`);
    } finally {
      c.close();
    }
  });
  const at = (e: string) => {
    const i = events.indexOf(e);
    assert(i >= 0, `${e} missing from ${JSON.stringify(events)}`);
    return i;
  };
  assert(at("handler 1") < at("mute 250"), JSON.stringify(events));
  assert(at("client got 1, throttle 250") < at("unmute"), "the throttled response was not held back");
  assert(at("mute 250") < at("unmute") && at("unmute") < at("handler 2"), JSON.stringify(events));
  assert(at("handler 2") < at("client got 2, throttle 0"), JSON.stringify(events));
  assertEquals(events.filter((e) => e.startsWith("mute")), ["mute 250"], "request 2 was not throttled");
  // The listener the connection came through, and the default principal, reach the handler.
  assertEquals(contexts[0].listener.name, "PLAINTEXT");
  assertEquals(contexts[0].listener.host, "127.0.0.1");
  assert(contexts[0].listener.port > 0);
  assertEquals(principalName(contexts[0].principal), "User:ANONYMOUS");
});

Deno.test("listener: stopping it ends a connection's mute", async () => {
  const events: string[] = [];
  await withServer({ quotas: throttleAll(3_600_000) }, events, [], async (port) => {
    const c = await WireClient.connect(port);
    try {
      const r = await within(
        c.call<MetadataResponse>(MetadataSpec, 9, metadataRequest()),
        10_000,
        "response",
      );
      assertEquals(r.throttleTimeMs, 3_600_000);
    } finally {
      c.close();
    }
  }); // withServer's stop() would hang for an hour if the mute outlived it
  assertEquals(events, ["handler 1"]);
});

Deno.test("acks=0 produce: no response; a failed partition closes the connection, as Kafka does", async () => {
  const produce = { transactionalId: null, acks: 0, timeoutMs: 1000, topicData: [] };
  const answer = (errorCode: number) =>
    new RequestPipeline(
      testBroker(),
      new ApiRegistry().register(
        ProduceSpec,
        () => ({
          throttleTimeMs: 0,
          responses: [{
            name: "t",
            partitionResponses: [{
              index: 0,
              errorCode,
              baseOffset: -1,
              logAppendTimeMs: -1,
              logStartOffset: -1,
              recordErrors: [],
              errorMessage: null,
            }],
          }],
          nodeEndpoints: [],
        }),
        ALLOW,
        { delivery: produceDelivery },
      ), // Produce's delivery hook, as src/handlers/apis.ts registers it
    );
  const ok = answer(0);
  const okChannel = new FakeChannel(ok, { id: 7 });
  assertEquals(await ok.handle(frame(ProduceSpec, 9, 1, produce), okChannel), DONE);
  assertEquals(okChannel.sent.length, 0);
  const failed = answer(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
  const failedChannel = new FakeChannel(failed, { id: 7 });
  assertEquals(await failed.handle(frame(ProduceSpec, 9, 1, produce), failedChannel), CLOSE);
  assertEquals(failedChannel.sent.length, 0);
  // acks=1 gets the response with the error, and the connection stays open
  const failedAcked = new FakeChannel(failed, { id: 7 });
  assertEquals(await failed.handle(frame(ProduceSpec, 9, 1, { ...produce, acks: 1 }), failedAcked), DONE);
  assertEquals(failedAcked.sent.length, 1);
});

Deno.test("a handler's KafkaError is answered with the request's error response; any other failure closes", async () => {
  const refusing = new RequestPipeline(
    testBroker(),
    new ApiRegistry().register(DescribeClusterSpec, () => {
      throw new KafkaError(ErrorCode.INVALID_REQUEST, "not like that");
    }, ALLOW),
  );
  const channel = new FakeChannel(refusing, { id: 3 });
  assertEquals(await refusing.handle(frame(DescribeClusterSpec, 1, 1, {}), channel), DONE);
  const res = decodeResponse<DescribeClusterResponse>(DescribeClusterSpec, 1, channel.sent[0], 1);
  assertEquals([res.errorCode, res.errorMessage], [ErrorCode.INVALID_REQUEST, "not like that"]);
  const broken = new RequestPipeline(
    testBroker(),
    new ApiRegistry().register(DescribeClusterSpec, () => {
      throw new TypeError("a bug");
    }, ALLOW),
  );
  const brokenChannel = new FakeChannel(broken, { id: 4 });
  assertEquals(await broken.handle(frame(DescribeClusterSpec, 1, 1, {}), brokenChannel), CLOSE);
  assertEquals(brokenChannel.sent.length, 0);
});
