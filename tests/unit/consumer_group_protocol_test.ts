// KIP-848's wire and handlers (PROTO): ConsumerGroupHeartbeat (68) and ConsumerGroupDescribe (69) encodings as
// Kafka 4 writes them, DescribeGroups v6, ListGroups v5 types, OffsetFetch v9 members, the group.consumer.*
// options and the ACL policies. Handlers run through the request pipeline (FakeChannel) against a stand-in of the
// coordinator's consumer group API (src/groups/consumer/contract.ts).
import { assert, assertEquals, assertThrows } from "./assert.ts";
import { FakeChannel } from "../helpers/pipeline.ts";
import { decodeResponse, requestFrame } from "../helpers/wire.ts";
import { Reader, Writer } from "../../src/protocol/codec.ts";
import { type ApiSpec, compile } from "../../src/protocol/schema.ts";
import { ErrorCode, KafkaError } from "../../src/protocol/errors.ts";
import { loadConfig } from "../../src/configs/options.ts";
import { logger } from "../../src/log.ts";
import type { Broker, Principal } from "../../src/request/context.ts";
import { ApiRegistry } from "../../src/handlers/registry.ts";
import type { RuntimeStats } from "../../src/coordinator/runtime.ts";
import { RequestPipeline } from "../../src/server/pipeline/pipeline.ts";
import * as groups from "../../src/security/acl/rules/groups.ts";
import { AclAuthorizer } from "../../src/security/acl/authorizer.ts";
import { AclMatcher } from "../../src/security/acl/matcher.ts";
import {
  type AclBinding,
  AclOperation as Op,
  PatternType,
  Permission,
  ResourceType,
} from "../../src/security/acl/model.ts";
import {
  type ConsumerGroupHeartbeatResponse,
  ConsumerGroupHeartbeatSpec,
} from "../../src/protocol/messages/consumer_group_heartbeat.ts";
import {
  type ConsumerGroupDescribeResponse,
  ConsumerGroupDescribeSpec,
} from "../../src/protocol/messages/consumer_group_describe.ts";
import {
  type DescribeGroupsResponse,
  DescribeGroupsSpec,
} from "../../src/protocol/messages/describe_groups.ts";
import { type ListGroupsResponse, ListGroupsSpec } from "../../src/protocol/messages/list_groups.ts";
import { type OffsetFetchResponse, OffsetFetchSpec } from "../../src/protocol/messages/offset_fetch.ts";
import {
  consumerGroupDescribeHandler,
  consumerGroupHeartbeatHandler,
  type ConsumerGroupsApi,
} from "../../src/handlers/consumer_groups.ts";
import { describeGroupsHandler, listGroupsHandler } from "../../src/handlers/group_admin.ts";
import { offsetFetchHandler } from "../../src/handlers/offsets.ts";
import type {
  ConsumerGroupDescription,
  ConsumerHeartbeatArgs,
  ConsumerHeartbeatResult,
  GroupType,
} from "../../src/groups/consumer/contract.ts";
import { BROKER_CONFIGS } from "../../src/configs/broker_defs.ts";
import { groupsInfo, type OpsSources } from "../../src/ops/state.ts";
import { renderState } from "../../src/ops/scrape.ts";
import { Exposition } from "../../src/metrics/metrics.ts";
import { SoloCluster } from "../../src/cluster/solo.ts";
import { errorResponse } from "../../src/protocol/error_response.ts";

const TOPIC_A = "0123456789abcdef0123456789abcdef";
const TOPIC_B = "fedcba9876543210fedcba9876543210";

// ---------------------------------------------------------------- wire

function encodeResponse(spec: ApiSpec, version: number, body: unknown): Uint8Array {
  const w = new Writer();
  compile(spec).encodeResponse(w, version, body);
  return w.finish();
}

function roundTripRequest(spec: ApiSpec, version: number, body: unknown): unknown {
  const w = new Writer();
  compile(spec).encodeRequest(w, version, body);
  const r = new Reader(w.finish());
  const out = compile(spec).decodeRequest(r, version);
  assertEquals(r.remaining, 0, "request fully decoded");
  return out;
}

Deno.test("ConsumerGroupHeartbeat request: v1 carries the regex, v0 has none (null)", () => {
  const body = {
    groupId: "g",
    memberId: "m-1",
    memberEpoch: 0,
    instanceId: "i-1",
    rackId: null,
    rebalanceTimeoutMs: 300000,
    subscribedTopicNames: ["a", "b"],
    subscribedTopicRegex: "^topic-.*",
    serverAssignor: "uniform",
    topicPartitions: [{ topicId: TOPIC_A, partitions: [0, 2] }],
  };
  assertEquals(roundTripRequest(ConsumerGroupHeartbeatSpec, 1, body), body);
  assertEquals(roundTripRequest(ConsumerGroupHeartbeatSpec, 0, body), {
    ...body,
    subscribedTopicRegex: null,
  });
  // Nulls ("unchanged") survive.
  const unchanged = { ...body, instanceId: null, subscribedTopicNames: null, subscribedTopicRegex: null };
  assertEquals(
    roundTripRequest(ConsumerGroupHeartbeatSpec, 1, {
      ...unchanged,
      serverAssignor: null,
      topicPartitions: null,
    }),
    { ...unchanged, serverAssignor: null, topicPartitions: null },
  );
});

Deno.test("ConsumerGroupHeartbeat response: the Assignment is Kafka's nullable struct (int8 marker)", () => {
  const base = {
    throttleTimeMs: 0,
    errorCode: 0,
    errorMessage: null,
    memberId: "m",
    memberEpoch: 3,
    heartbeatIntervalMs: 5000,
  };
  // throttle(4) error(2) msg(1: null) memberId(1+1) epoch(4) interval(4) = 17, then the marker, then tags.
  const none = encodeResponse(ConsumerGroupHeartbeatSpec, 1, { ...base, assignment: null });
  assertEquals([...none.subarray(17)], [0xff, 0], "null assignment: marker -1, then the top-level tags");
  const some = encodeResponse(ConsumerGroupHeartbeatSpec, 1, {
    ...base,
    assignment: { topicPartitions: [{ topicId: TOPIC_A, partitions: [1] }] },
  });
  assertEquals(some[17], 1, "present assignment: marker 1");
  // marker, array of 1 (2), uuid (16), partitions [1] (1 + 4), topic tags, struct tags, top-level tags.
  assertEquals(some.length, 17 + 1 + 1 + 16 + 5 + 1 + 1 + 1);
  for (const version of [0, 1]) {
    for (const assignment of [null, { topicPartitions: [{ topicId: TOPIC_B, partitions: [0, 5] }] }]) {
      const r = new Reader(encodeResponse(ConsumerGroupHeartbeatSpec, version, { ...base, assignment }));
      assertEquals(compile(ConsumerGroupHeartbeatSpec).decodeResponse(r, version), { ...base, assignment });
      assertEquals(r.remaining, 0);
    }
  }
});

const DESCRIBED = {
  errorCode: 0,
  errorMessage: null,
  groupId: "g",
  groupState: "Stable",
  groupEpoch: 4,
  assignmentEpoch: 4,
  assignorName: "uniform",
  members: [{
    memberId: "m",
    instanceId: null,
    rackId: "r1",
    memberEpoch: 4,
    clientId: "c",
    clientHost: "/127.0.0.1",
    subscribedTopicNames: ["a"],
    subscribedTopicRegex: null,
    assignment: { topicPartitions: [{ topicId: TOPIC_A, topicName: "a", partitions: [0, 1] }] },
    targetAssignment: { topicPartitions: [{ topicId: TOPIC_A, topicName: "a", partitions: [0, 1] }] },
    memberType: 1,
  }],
  authorizedOperations: -2147483648,
};

Deno.test("ConsumerGroupDescribe response: MemberType only from v1 (-1 when absent)", () => {
  const body = { throttleTimeMs: 0, groups: [DESCRIBED] };
  for (const [version, memberType] of [[0, -1], [1, 1]]) {
    const r = new Reader(encodeResponse(ConsumerGroupDescribeSpec, version, body));
    const out = compile(ConsumerGroupDescribeSpec).decodeResponse(
      r,
      version,
    ) as ConsumerGroupDescribeResponse;
    assertEquals(r.remaining, 0);
    assertEquals(out.groups[0].members[0].memberType, memberType);
    assertEquals(out.groups[0].members[0].assignment, DESCRIBED.members[0].assignment);
  }
  assertEquals(
    encodeResponse(ConsumerGroupDescribeSpec, 1, body).length,
    encodeResponse(ConsumerGroupDescribeSpec, 0, body).length + 1,
  );
});

Deno.test("DescribeGroups v6 adds the group's ErrorMessage", () => {
  const group = {
    errorCode: ErrorCode.GROUP_ID_NOT_FOUND,
    errorMessage: "Group g is not a classic group.",
    groupId: "g",
    groupState: "Dead",
    protocolType: "",
    protocolData: "",
    members: [],
    authorizedOperations: -2147483648,
  };
  const v6 = compile(DescribeGroupsSpec).decodeResponse(
    new Reader(encodeResponse(DescribeGroupsSpec, 6, { throttleTimeMs: 0, groups: [group] })),
    6,
  ) as DescribeGroupsResponse;
  assertEquals(v6.groups[0].errorMessage, "Group g is not a classic group.");
  const v5 = compile(DescribeGroupsSpec).decodeResponse(
    new Reader(encodeResponse(DescribeGroupsSpec, 5, { throttleTimeMs: 0, groups: [group] })),
    5,
  ) as DescribeGroupsResponse;
  assertEquals(v5.groups[0].errorMessage ?? null, null);
});

// ---------------------------------------------------------------- handlers

/** A stand-in for the coordinator: records heartbeats, answers what each test sets. */
class StandIn implements ConsumerGroupsApi {
  readonly heartbeats: ConsumerHeartbeatArgs[] = [];
  answer: ConsumerHeartbeatResult | Error = {
    errorCode: 0,
    errorMessage: null,
    memberId: "m-1",
    memberEpoch: 1,
    heartbeatIntervalMs: 5000,
    assignment: [{ topicId: TOPIC_A, partitions: [0, 1] }],
  };
  readonly groups = new Map<string, ConsumerGroupDescription>();
  readonly classic = new Set<string>();
  readonly fetches: { groupId: string; member?: { memberId: string; memberEpoch: number } }[] = [];

  consumerGroupHeartbeat(a: ConsumerHeartbeatArgs): Promise<ConsumerHeartbeatResult> {
    this.heartbeats.push(a);
    return this.answer instanceof Error ? Promise.reject(this.answer) : Promise.resolve(this.answer);
  }

  describeConsumerGroup(groupId: string): ConsumerGroupDescription {
    return this.groups.get(groupId) ?? {
      groupId,
      errorCode: ErrorCode.GROUP_ID_NOT_FOUND,
      errorMessage: this.classic.has(groupId)
        ? `Group ${groupId} is not a consumer group.`
        : `Group ${groupId} not found.`,
      groupState: "Dead",
      groupEpoch: -1,
      assignmentEpoch: -1,
      assignorName: "",
      members: [],
    };
  }

  groupType(groupId: string): GroupType | undefined {
    return this.groups.has(groupId) ? "consumer" : this.classic.has(groupId) ? "classic" : undefined;
  }

  /** The ops scrape reads the coordinator runtime's partitions: a solo coordinator's one whole shard. */
  runtimeStats(): RuntimeStats {
    return { loading: 0, active: 1, loads: 1, loadFailures: 0, loadMs: 0, fencedWrites: 0 };
  }

  list() {
    return [
      ...[...this.classic].map((groupId) => ({
        groupId,
        protocolType: "consumer",
        state: "Stable",
        type: "classic" as const,
      })),
      ...[...this.groups.values()].map((g) => ({
        groupId: g.groupId,
        protocolType: "consumer",
        state: g.groupState,
        type: "consumer" as const,
      })),
    ];
  }

  describe(groupId: string) {
    return {
      groupId,
      state: this.classic.has(groupId) ? "Stable" : "Dead",
      protocolType: this.classic.has(groupId) ? "consumer" : "",
      protocolName: this.classic.has(groupId) ? "range" : "",
      generationId: 1,
      leaderId: null,
      members: [],
    };
  }

  fetchOffsets(
    groupId: string,
    _partitions: unknown,
    _requireStable?: boolean,
    member?: { memberId: string; memberEpoch: number },
  ) {
    this.fetches.push(member === undefined ? { groupId } : { groupId, member });
    if (member !== undefined && member.memberEpoch !== 7) {
      throw new KafkaError(ErrorCode.STALE_MEMBER_EPOCH, "stale");
    }
    return [];
  }
}

const { config } = loadConfig({ argv: [], env: () => undefined, readFile: () => undefined });

function brokerWith(api: StandIn, coordinates: (groupId: string) => boolean = () => true): Broker {
  const parts = {
    config,
    log: logger("test"),
    metrics: null,
    clusterId: "proto-test",
    shutdown: new AbortController().signal,
    coordinator: api,
    cluster: { coordinates, distributed: false },
    storage: { getTopic: () => undefined, getTopicById: () => undefined },
    acls: null,
  };
  return parts as unknown as Broker;
}

function registry(): ApiRegistry {
  const api = (ctx: { broker: Broker }) => ctx.broker.coordinator as unknown as ConsumerGroupsApi;
  return new ApiRegistry()
    .register(ConsumerGroupHeartbeatSpec, consumerGroupHeartbeatHandler(api), groups.consumerGroupHeartbeat)
    .register(ConsumerGroupDescribeSpec, consumerGroupDescribeHandler(api), groups.consumerGroupDescribe)
    .register(DescribeGroupsSpec, describeGroupsHandler, groups.describeGroups)
    .register(ListGroupsSpec, listGroupsHandler, groups.listGroups)
    .register(OffsetFetchSpec, offsetFetchHandler, groups.offsetFetch);
}

const ALICE: Principal = { type: "User", name: "alice" };

function setup(
  api = new StandIn(),
  opts: { coordinates?: (g: string) => boolean; acls?: AclBinding[] } = {},
) {
  const pipeline = new RequestPipeline(
    brokerWith(api, opts.coordinates),
    registry(),
    opts.acls === undefined ? {} : {
      authorizer: new AclAuthorizer({
        matcher: new AclMatcher(opts.acls, { superUsers: new Set(), allowIfNoAcl: false }),
      }),
    },
  );
  const ch = new FakeChannel(ALICE, { host: "10.0.0.9" });
  let corr = 0;
  async function call<T>(spec: ApiSpec, version: number, body: unknown): Promise<T> {
    const id = ++corr;
    await pipeline.handle(requestFrame(spec, version, id, body, "my-client").subarray(4), ch);
    return decodeResponse<T>(spec, version, ch.sent[ch.sent.length - 1], id);
  }
  return { api, call };
}

const JOIN = {
  groupId: "g",
  memberId: "m-1",
  memberEpoch: 0,
  instanceId: null,
  rackId: "rack-1",
  rebalanceTimeoutMs: 45000,
  subscribedTopicNames: ["a"],
  subscribedTopicRegex: null,
  serverAssignor: "range",
  topicPartitions: [],
};

Deno.test("heartbeat handler: passes the request, client id and host; answers the assignment", async () => {
  const { api, call } = setup();
  const res = await call<ConsumerGroupHeartbeatResponse>(ConsumerGroupHeartbeatSpec, 1, JOIN);
  assertEquals(res.errorCode, 0);
  assertEquals(res.memberId, "m-1");
  assertEquals(res.memberEpoch, 1);
  assertEquals(res.heartbeatIntervalMs, 5000);
  assertEquals(res.assignment, { topicPartitions: [{ topicId: TOPIC_A, partitions: [0, 1] }] });
  assertEquals(api.heartbeats[0], {
    apiVersion: 1,
    groupId: "g",
    memberId: "m-1",
    memberEpoch: 0,
    instanceId: null,
    rackId: "rack-1",
    rebalanceTimeoutMs: 45000,
    subscribedTopicNames: ["a"],
    subscribedTopicRegex: null,
    serverAssignor: "range",
    topicPartitions: [],
    clientId: "my-client",
    clientHost: "/10.0.0.9",
  });
  // v0 has no regex field: "unchanged".
  await call(ConsumerGroupHeartbeatSpec, 0, { ...JOIN, subscribedTopicRegex: "ignored" });
  assertEquals(api.heartbeats[1].subscribedTopicRegex, null);
  assertEquals(api.heartbeats[1].apiVersion, 0);
  // An unchanged assignment is null on the wire.
  api.answer = { ...api.answer as ConsumerHeartbeatResult, assignment: null };
  const again = await call<ConsumerGroupHeartbeatResponse>(ConsumerGroupHeartbeatSpec, 1, {
    ...JOIN,
    memberEpoch: 1,
    topicPartitions: null,
  });
  assertEquals(again.assignment, null);
  assertEquals(api.heartbeats[2].topicPartitions, null);
});

Deno.test("heartbeat handler: coordinator errors (result or KafkaError) become code and message", async () => {
  const { api, call } = setup();
  api.answer = new KafkaError(ErrorCode.FENCED_MEMBER_EPOCH, "The member epoch 3 is fenced.");
  const fenced = await call<ConsumerGroupHeartbeatResponse>(ConsumerGroupHeartbeatSpec, 1, JOIN);
  assertEquals([fenced.errorCode, fenced.errorMessage], [
    ErrorCode.FENCED_MEMBER_EPOCH,
    "The member epoch 3 is fenced.",
  ]);
  assertEquals([fenced.memberId, fenced.assignment], [null, null]);
  api.answer = {
    errorCode: ErrorCode.UNSUPPORTED_ASSIGNOR,
    errorMessage: "ServerAssignor x is not supported.",
    memberId: null,
    memberEpoch: 0,
    heartbeatIntervalMs: 0,
    assignment: null,
  };
  const r = await call<ConsumerGroupHeartbeatResponse>(ConsumerGroupHeartbeatSpec, 1, JOIN);
  assertEquals([r.errorCode, r.errorMessage], [
    ErrorCode.UNSUPPORTED_ASSIGNOR,
    "ServerAssignor x is not supported.",
  ]);
});

Deno.test("heartbeat and describe: a group coordinated elsewhere answers NOT_COORDINATOR, unasked", async () => {
  const { api, call } = setup(new StandIn(), { coordinates: (g) => g !== "g" });
  const hb = await call<ConsumerGroupHeartbeatResponse>(ConsumerGroupHeartbeatSpec, 1, JOIN);
  assertEquals(hb.errorCode, ErrorCode.NOT_COORDINATOR);
  assertEquals(api.heartbeats.length, 0);
  const d = await call<ConsumerGroupDescribeResponse>(ConsumerGroupDescribeSpec, 1, {
    groupIds: ["g"],
    includeAuthorizedOperations: false,
  });
  assertEquals(d.groups[0].errorCode, ErrorCode.NOT_COORDINATOR);
});

function described(groupId: string): ConsumerGroupDescription {
  return {
    groupId,
    errorCode: 0,
    errorMessage: null,
    groupState: "Reconciling",
    groupEpoch: 5,
    assignmentEpoch: 5,
    assignorName: "uniform",
    members: [{
      memberId: "m-1",
      instanceId: "i",
      rackId: null,
      memberEpoch: 4,
      clientId: "c",
      clientHost: "/h",
      subscribedTopicNames: ["a"],
      subscribedTopicRegex: "^a.*",
      assignment: [{ topicId: TOPIC_A, topicName: "a", partitions: [0] }],
      targetAssignment: [{ topicId: TOPIC_A, topicName: "a", partitions: [0, 1] }],
      memberType: 1,
      state: "UNRELEASED_PARTITIONS",
    }],
  };
}

Deno.test("describe handler: members with current and target assignment; classic, unknown and empty ids", async () => {
  const api = new StandIn();
  api.groups.set("g", described("g"));
  api.classic.add("old");
  const { call } = setup(api);
  const res = await call<ConsumerGroupDescribeResponse>(ConsumerGroupDescribeSpec, 1, {
    groupIds: ["g", "old", "none", ""],
    includeAuthorizedOperations: false,
  });
  const [g, old, none, empty] = res.groups;
  assertEquals([g.groupState, g.groupEpoch, g.assignmentEpoch, g.assignorName], [
    "Reconciling",
    5,
    5,
    "uniform",
  ]);
  assertEquals(g.members[0].assignment.topicPartitions[0].partitions, [0]);
  assertEquals(g.members[0].targetAssignment.topicPartitions[0].partitions, [0, 1]);
  assertEquals([g.members[0].memberType, g.members[0].subscribedTopicRegex], [1, "^a.*"]);
  assertEquals([old.errorCode, old.errorMessage], [
    ErrorCode.GROUP_ID_NOT_FOUND,
    "Group old is not a consumer group.",
  ]);
  assertEquals(none.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  assertEquals(empty.errorCode, ErrorCode.INVALID_GROUP_ID);
  const v0 = await call<ConsumerGroupDescribeResponse>(ConsumerGroupDescribeSpec, 0, {
    groupIds: ["g"],
    includeAuthorizedOperations: false,
  });
  assertEquals(v0.groups[0].members[0].memberType, -1);
});

Deno.test("DescribeGroups: a consumer group is not a classic group (v6: GROUP_ID_NOT_FOUND, older: Dead)", async () => {
  const api = new StandIn();
  api.groups.set("g", described("g"));
  api.classic.add("old");
  const { call } = setup(api);
  const v6 = await call<DescribeGroupsResponse>(DescribeGroupsSpec, 6, {
    groups: ["g", "old", "none"],
    includeAuthorizedOperations: false,
  });
  assertEquals(
    v6.groups.map((g) => [g.groupId, g.errorCode, g.errorMessage, g.groupState]),
    [
      ["g", ErrorCode.GROUP_ID_NOT_FOUND, "Group g is not a classic group.", "Dead"],
      ["old", 0, null, "Stable"],
      ["none", ErrorCode.GROUP_ID_NOT_FOUND, "Group none not found.", "Dead"],
    ],
  );
  const v5 = await call<DescribeGroupsResponse>(DescribeGroupsSpec, 5, {
    groups: ["g", "none"],
    includeAuthorizedOperations: false,
  });
  assertEquals(v5.groups.map((g) => [g.errorCode, g.groupState]), [[0, "Dead"], [0, "Dead"]]);
});

Deno.test("ListGroups v5: both types, type and state filters case-insensitive", async () => {
  const api = new StandIn();
  api.groups.set("g", described("g"));
  api.classic.add("old");
  const { call } = setup(api);
  const list = async (body: unknown, v = 5) =>
    (await call<ListGroupsResponse>(ListGroupsSpec, v, body)).groups.map((
      g,
    ) => [g.groupId, g.groupType ?? null]);
  assertEquals(await list({ statesFilter: [], typesFilter: [] }), [["old", "classic"], ["g", "consumer"]]);
  assertEquals(await list({ statesFilter: [], typesFilter: ["Consumer"] }), [["g", "consumer"]]);
  assertEquals(await list({ statesFilter: [], typesFilter: ["CLASSIC"] }), [["old", "classic"]]);
  assertEquals(await list({ statesFilter: ["reconciling"], typesFilter: [] }), [["g", "consumer"]]);
  assertEquals(await list({ statesFilter: ["stable"] }, 4), [["old", ""]]); // no type before v5
});

Deno.test("OffsetFetch v9: the member id and epoch reach the coordinator; its error is the group's", async () => {
  const { api, call } = setup();
  const body = (memberId: string | null, memberEpoch: number) => ({
    groups: [{ groupId: "g", memberId, memberEpoch, topics: null }],
    requireStable: false,
  });
  const ok = await call<OffsetFetchResponse>(OffsetFetchSpec, 9, body("m-1", 7));
  assertEquals(ok.groups![0].errorCode, 0);
  const stale = await call<OffsetFetchResponse>(OffsetFetchSpec, 9, body("m-1", 3));
  assertEquals(stale.groups![0].errorCode, ErrorCode.STALE_MEMBER_EPOCH);
  await call(OffsetFetchSpec, 9, body(null, -1));
  await call(OffsetFetchSpec, 8, body("m-1", 3)); // v8 has no member fields
  assertEquals(api.fetches, [
    { groupId: "g", member: { memberId: "m-1", memberEpoch: 7 } },
    { groupId: "g", member: { memberId: "m-1", memberEpoch: 3 } },
    { groupId: "g" },
    { groupId: "g" },
  ]);
});

// ---------------------------------------------------------------- ACLs

function allow(type: number, name: string, op: number): AclBinding {
  return {
    resourceType: type as AclBinding["resourceType"],
    resourceName: name,
    patternType: PatternType.LITERAL as AclBinding["patternType"],
    principal: "User:alice",
    host: "*",
    operation: op as AclBinding["operation"],
    permission: Permission.ALLOW,
  };
}

Deno.test("ACL: heartbeat needs READ on the group and DESCRIBE on subscribed topics", async () => {
  const G = ResourceType.GROUP, T = ResourceType.TOPIC;
  const noGroup = setup(new StandIn(), { acls: [allow(T, "a", Op.DESCRIBE)] });
  const r1 = await noGroup.call<ConsumerGroupHeartbeatResponse>(ConsumerGroupHeartbeatSpec, 1, JOIN);
  assertEquals(r1.errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED);
  assertEquals(noGroup.api.heartbeats.length, 0);
  const noTopic = setup(new StandIn(), { acls: [allow(G, "g", Op.READ)] });
  const r2 = await noTopic.call<ConsumerGroupHeartbeatResponse>(ConsumerGroupHeartbeatSpec, 1, JOIN);
  assertEquals(r2.errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
  const ok = setup(new StandIn(), { acls: [allow(G, "g", Op.READ), allow(T, "a", Op.DESCRIBE)] });
  const r3 = await ok.call<ConsumerGroupHeartbeatResponse>(ConsumerGroupHeartbeatSpec, 1, JOIN);
  assertEquals(r3.errorCode, 0);
});

Deno.test("ACL: describe needs DESCRIBE per group and on the topics its members are assigned", async () => {
  const G = ResourceType.GROUP, T = ResourceType.TOPIC;
  const api = new StandIn();
  api.groups.set("g", described("g"));
  api.groups.set("h", described("h"));
  const { call } = setup(api, { acls: [allow(G, "g", Op.DESCRIBE), allow(G, "x", Op.DESCRIBE)] });
  const res = await call<ConsumerGroupDescribeResponse>(ConsumerGroupDescribeSpec, 1, {
    groupIds: ["g", "h"],
    includeAuthorizedOperations: true,
  });
  const byId = new Map(res.groups.map((g) => [g.groupId, g]));
  assertEquals(byId.get("h")!.errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED);
  assertEquals(byId.get("g")!.errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED, "topic a not describable");
  assertEquals(byId.get("g")!.members, []);
  const withTopic = setup(api, { acls: [allow(G, "g", Op.DESCRIBE), allow(T, "a", Op.DESCRIBE)] });
  const ok = await withTopic.call<ConsumerGroupDescribeResponse>(ConsumerGroupDescribeSpec, 1, {
    groupIds: ["g"],
    includeAuthorizedOperations: true,
  });
  assertEquals(ok.groups[0].errorCode, 0);
  assert(ok.groups[0].authorizedOperations !== -2147483648, "authorized operations filled in");
});

// ---------------------------------------------------------------- options

function configOf(...argv: string[]) {
  return loadConfig({ argv, env: () => undefined, readFile: () => undefined }).config;
}

Deno.test("options: group.consumer.* defaults, short sessions through the min options, checks", () => {
  const c = configOf();
  assertEquals(
    [
      c.groupConsumerSessionTimeoutMs,
      c.groupConsumerHeartbeatIntervalMs,
      c.groupConsumerMaxSize,
      c.groupConsumerAssignors,
      c.groupConsumerMigrationPolicy,
    ],
    [45000, 5000, 2147483647, "uniform,range", "bidirectional"],
  );
  const short = configOf(
    "--group-consumer-session-timeout-ms=6000",
    "--group-consumer-min-session-timeout-ms=6000",
    "--group-consumer-heartbeat-interval-ms=1000",
    "--group-consumer-min-heartbeat-interval-ms=1000",
  );
  assertEquals([short.groupConsumerSessionTimeoutMs, short.groupConsumerHeartbeatIntervalMs], [6000, 1000]);
  assertThrows(
    () => configOf("--group-consumer-session-timeout-ms=6000"),
    Error,
    "group-consumer-session-timeout-ms (6000) must be between group-consumer-min-session-timeout-ms (45000)",
  );
  assertThrows(
    () => configOf("--group-consumer-heartbeat-interval-ms=20000"),
    Error,
    "must be between group-consumer-min-heartbeat-interval-ms (5000) and group-consumer-max-heartbeat-interval-ms (15000)",
  );
  assertThrows(() => configOf("--group-consumer-assignors=uniform,sticky"), Error, "unknown assignor sticky");
  assertThrows(() => configOf("--group-consumer-migration-policy=sideways"), Error);
  assertEquals(configOf("--group-consumer-assignors=range").groupConsumerAssignors, "range");
});

Deno.test("broker configs: group.consumer.* are shown with their option", () => {
  const names = new Map(BROKER_CONFIGS.map((d) => [d.name, d]));
  for (
    const [name, option] of [
      ["group.consumer.session.timeout.ms", "groupConsumerSessionTimeoutMs"],
      ["group.consumer.heartbeat.interval.ms", "groupConsumerHeartbeatIntervalMs"],
      ["group.consumer.assignors", "groupConsumerAssignors"],
      ["group.consumer.migration.policy", "groupConsumerMigrationPolicy"],
      ["group.consumer.max.size", "groupConsumerMaxSize"],
    ]
  ) {
    assertEquals(names.get(name)?.option, option, name);
  }
});

// ---------------------------------------------------------------- ops views

Deno.test("ops: a consumer group shows its type, epochs, members' reconciliation and target; metrics", async () => {
  const api = new StandIn();
  const d = described("g");
  api.groups.set("g", {
    ...d,
    members: [
      d.members[0],
      {
        ...d.members[0],
        memberId: "m-2",
        memberType: 0,
        state: "STABLE",
        assignment: [],
        targetAssignment: [],
      },
    ],
  });
  api.classic.add("old");
  const topics = [{ name: "a", id: TOPIC_A, partitions: 2, configs: {} }];
  const storage = {
    kind: "embedded",
    listTopics: () => topics,
    getTopic: (n: string) => topics.find((t) => t.name === n),
    offsets: () => Promise.resolve({ logStartOffset: 0, highWatermark: 10 }),
    partitionSize: () => Promise.resolve(0),
  };
  const cluster = new SoloCluster({
    nodeId: config.nodeId,
    advertised: config.advertisedListener[0],
    offsetsTopicPartitions: config.offsetsTopicPartitions,
    topics: () => topics,
  });
  const src = {
    config,
    clusterId: "c",
    storage,
    coordinator: api,
    server: {
      listening: true,
      connectionCount: 0,
      connectionList: () => [],
      requestMemory: { inUse: 0, waiting: 0, capacity: 1 },
    },
    cluster,
  } as unknown as OpsSources;
  const [g, old] = await groupsInfo(src, "g").then(async (x) => [...x, ...await groupsInfo(src, "old")]);
  assertEquals([g.type, g.state, g.consumer], ["consumer", "Reconciling", {
    groupEpoch: 5,
    assignmentEpoch: 5,
    assignor: "uniform",
  }]);
  assertEquals(g.members[0].assignment, [{ topic: "a", partitions: [0] }]);
  assertEquals(g.members[0].consumer?.targetAssignment, [{ topic: "a", partitions: [0, 1] }]);
  assertEquals(g.members[0].consumer?.reconciliation, "UNRELEASED_PARTITIONS");
  assertEquals([g.members[0].consumer?.protocol, g.members[1].consumer?.protocol], ["consumer", "classic"]);
  assertEquals(g.partitions.map((p) => [p.topic, p.partition, p.memberId]), [["a", 0, "m-1"]]);
  assertEquals([old.type, old.consumer], ["classic", null]);

  const out = new Exposition(1000);
  await renderState(src, { ready: true, checks: [] }, out);
  const text = out.text();
  assert(text.includes('kgw_groups_by_type{type="consumer"} 1'), text);
  assert(text.includes('kgw_groups_by_type{type="classic"} 1'));
  assert(text.includes('kgw_groups{state="Reconciling"} 1'));
  assert(text.includes('kgw_group_members{group="g"} 2'));
  assert(
    text.includes('kgw_consumer_group_members_by_reconciliation{group="g",state="UNRELEASED_PARTITIONS"} 1'),
  );
  assert(text.includes('kgw_consumer_group_members_by_reconciliation{group="g",state="STABLE"} 1'));
});

Deno.test("refusals (errorResponse) of both APIs encode at every version", () => {
  for (const spec of [ConsumerGroupHeartbeatSpec, ConsumerGroupDescribeSpec]) {
    for (let v = spec.minVersion; v <= spec.maxVersion; v++) {
      const req = spec === ConsumerGroupHeartbeatSpec
        ? JOIN
        : { groupIds: ["g", "h"], includeAuthorizedOperations: false };
      const res = errorResponse(spec, v, req, ErrorCode.GROUP_AUTHORIZATION_FAILED) as Record<
        string,
        unknown
      >;
      const back = compile(spec).decodeResponse(new Reader(encodeResponse(spec, v, res)), v) as Record<
        string,
        unknown
      >;
      if (spec === ConsumerGroupHeartbeatSpec) {
        assertEquals([back.errorCode, back.assignment], [ErrorCode.GROUP_AUTHORIZATION_FAILED, null]);
      } else {
        const groups = back.groups as { groupId: string; errorCode: number }[];
        assertEquals(groups.map((g) => [g.groupId, g.errorCode]), [["g", 30], ["h", 30]]);
      }
    }
  }
});
