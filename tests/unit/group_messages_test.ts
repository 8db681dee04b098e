// Consumer-group message schema tests: hand-written byte vectors (from the Kafka wire grammar, built with helpers
// that are independent of src/protocol/codec.ts) and encode/decode round trips for every version of every API.
import { type ApiSpec } from "../../src/protocol/schema.ts";
import {
  type FindCoordinatorRequest,
  type FindCoordinatorResponse,
  FindCoordinatorSpec,
} from "../../src/protocol/messages/find_coordinator.ts";
import {
  type JoinGroupRequest,
  type JoinGroupResponse,
  JoinGroupSpec,
} from "../../src/protocol/messages/join_group.ts";
import {
  type SyncGroupRequest,
  type SyncGroupResponse,
  SyncGroupSpec,
} from "../../src/protocol/messages/sync_group.ts";
import {
  type HeartbeatRequest,
  type HeartbeatResponse,
  HeartbeatSpec,
} from "../../src/protocol/messages/heartbeat.ts";
import {
  type LeaveGroupRequest,
  type LeaveGroupResponse,
  LeaveGroupSpec,
} from "../../src/protocol/messages/leave_group.ts";
import {
  type OffsetCommitRequest,
  type OffsetCommitRequestPartition,
  type OffsetCommitResponse,
  OffsetCommitSpec,
} from "../../src/protocol/messages/offset_commit.ts";
import {
  type OffsetFetchRequest,
  type OffsetFetchResponse,
  type OffsetFetchResponseGroupPartition,
  OffsetFetchSpec,
} from "../../src/protocol/messages/offset_fetch.ts";
import {
  type DescribeGroupsRequest,
  type DescribeGroupsResponse,
  type DescribeGroupsResponseMember,
  DescribeGroupsSpec,
} from "../../src/protocol/messages/describe_groups.ts";
import {
  type ListGroupsRequest,
  type ListGroupsResponse,
  ListGroupsSpec,
} from "../../src/protocol/messages/list_groups.ts";
import {
  type DeleteGroupsRequest,
  type DeleteGroupsResponse,
  DeleteGroupsSpec,
} from "../../src/protocol/messages/delete_groups.ts";
import {
  type OffsetDeleteRequest,
  type OffsetDeleteResponse,
  OffsetDeleteSpec,
} from "../../src/protocol/messages/offset_delete.ts";
import { ApiKey } from "../../src/protocol/api_keys.ts";
import { assertEquals } from "./assert.ts";
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
  uv,
  withUnknownTags,
} from "./wire_vectors.ts";

// ---------------------------------------------------------------------------------------------------------
// Independent wire-grammar byte builders.

// Opaque protocol payloads (consumer protocol metadata / assignments are bytes to the broker).
const M1 = new Uint8Array([
  0,
  1,
  0,
  0,
  0,
  1,
  0,
  6,
  0x65,
  0x76,
  0x65,
  0x6e,
  0x74,
  0x73,
  0xff,
  0xff,
  0xff,
  0xff,
]);
const M2 = new Uint8Array([0, 3, 0xde, 0xad]);
const A1 = new Uint8Array([0, 1, 0, 0, 0, 1, 0, 1, 0x74, 0, 0, 0, 1, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
const A2 = new Uint8Array([0, 3, 0xbe, 0xef, 7]);
const EMPTY = new Uint8Array(0);

// ---------------------------------------------------------------------------------------------------------
// Codec harness.

const ALL_SPECS: readonly ApiSpec[] = [
  FindCoordinatorSpec,
  JoinGroupSpec,
  SyncGroupSpec,
  HeartbeatSpec,
  LeaveGroupSpec,
  OffsetCommitSpec,
  OffsetFetchSpec,
  DescribeGroupsSpec,
  ListGroupsSpec,
  DeleteGroupsSpec,
  OffsetDeleteSpec,
];

// ---------------------------------------------------------------------------------------------------------
// Spec metadata.

Deno.test("group message specs: keys, version ranges and flexible thresholds", () => {
  const table: [ApiSpec, number, number, number, number][] = [
    [OffsetCommitSpec, 8, 0, 9, 8],
    [OffsetFetchSpec, 9, 0, 9, 6],
    [FindCoordinatorSpec, 10, 0, 6, 3],
    [JoinGroupSpec, 11, 0, 9, 6],
    [HeartbeatSpec, 12, 0, 4, 4],
    [LeaveGroupSpec, 13, 0, 5, 4],
    [SyncGroupSpec, 14, 0, 5, 4],
    [DescribeGroupsSpec, 15, 0, 6, 5],
    [ListGroupsSpec, 16, 0, 5, 3],
    [DeleteGroupsSpec, 42, 0, 2, 2],
    [OffsetDeleteSpec, 47, 0, 0, Infinity],
  ];
  assertEquals(table.length, ALL_SPECS.length);
  for (const [spec, key, min, max, flex] of table) {
    assertEquals(
      [spec.key, spec.minVersion, spec.maxVersion, spec.flexibleFrom],
      [key, min, max, flex],
      spec.name,
    );
    assertEquals((ApiKey as Record<string, number>)[spec.name], key, `${spec.name} in ApiKey`);
  }
});

// ---------------------------------------------------------------------------------------------------------
// Hand-written vectors.

Deno.test("FindCoordinator v0 and v4 request bytes", () => {
  requestVector(
    FindCoordinatorSpec,
    0,
    cat(str("my-group")),
    {
      key: "my-group",
      keyType: 0,
      coordinatorKeys: [],
    } satisfies FindCoordinatorRequest,
  );
  // v1: key + key type (1 = transaction).
  requestVector(
    FindCoordinatorSpec,
    1,
    cat(str("tx-1"), i8(1)),
    {
      key: "tx-1",
      keyType: 1,
      coordinatorKeys: [],
    } satisfies FindCoordinatorRequest,
  );

  // deno-fmt-ignore
  const v4 = cat(
    i8(0), // key_type: group
    carr(2), cstr("group-a"), cstr("group-b"), // coordinator_keys
    NO_TAGS,
  );
  const req: FindCoordinatorRequest = { key: "", keyType: 0, coordinatorKeys: ["group-a", "group-b"] };
  requestVector(FindCoordinatorSpec, 4, v4, req);
});

Deno.test("FindCoordinator v0, v3 and v4 response bytes", () => {
  const base: FindCoordinatorResponse = {
    throttleTimeMs: 0,
    errorCode: 0,
    errorMessage: "",
    nodeId: 1,
    host: "localhost",
    port: 9092,
    coordinators: [],
  };
  responseVector(FindCoordinatorSpec, 0, cat(i16(0), i32(1), str("localhost"), i32(9092)), base);

  // deno-fmt-ignore
  const v3 = cat(
    i32(10), i16(15), cstr(null), i32(-1), cstr(""), i32(-1), NO_TAGS,
  );
  responseVector(FindCoordinatorSpec, 3, v3, {
    ...base,
    throttleTimeMs: 10,
    errorCode: 15,
    errorMessage: null,
    nodeId: -1,
    host: "",
    port: -1,
  });

  // deno-fmt-ignore
  const v4 = cat(
    i32(0),
    carr(2),
    cstr("group-a"), i32(1), cstr("localhost"), i32(9092), i16(0), cstr(null), NO_TAGS,
    cstr("group-b"), i32(-1), cstr(""), i32(-1), i16(15), cstr("not available"), NO_TAGS,
    NO_TAGS,
  );
  responseVector(
    FindCoordinatorSpec,
    4,
    v4,
    {
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: "",
      nodeId: 0,
      host: "",
      port: 0,
      coordinators: [
        { key: "group-a", nodeId: 1, host: "localhost", port: 9092, errorCode: 0, errorMessage: null },
        { key: "group-b", nodeId: -1, host: "", port: -1, errorCode: 15, errorMessage: "not available" },
      ],
    } satisfies FindCoordinatorResponse,
  );
});

Deno.test("JoinGroup v0 request bytes", () => {
  // deno-fmt-ignore
  const wire = cat(
    str("grp"), // group_id
    i32(30000), // session_timeout_ms
    str(""), // member_id (unknown on first join)
    str("consumer"), // protocol_type
    arr(2),
    str("range"), bytes(M1),
    str("roundrobin"), bytes(EMPTY),
  );
  const req: JoinGroupRequest = {
    groupId: "grp",
    sessionTimeoutMs: 30000,
    rebalanceTimeoutMs: -1,
    memberId: "",
    groupInstanceId: null,
    protocolType: "consumer",
    protocols: [{ name: "range", metadata: M1 }, { name: "roundrobin", metadata: EMPTY }],
    reason: null,
  };
  requestVector(JoinGroupSpec, 0, wire, req);

  // v1 adds rebalance_timeout_ms after session_timeout_ms.
  requestVector(
    JoinGroupSpec,
    1,
    cat(str("grp"), i32(30000), i32(60000), str("m-1"), str("consumer"), arr(0)),
    { ...req, rebalanceTimeoutMs: 60000, memberId: "m-1", protocols: [] },
  );
  // v5 adds the nullable group_instance_id after member_id.
  requestVector(
    JoinGroupSpec,
    5,
    cat(
      str("grp"),
      i32(30000),
      i32(60000),
      str(""),
      str("inst-1"),
      str("consumer"),
      arr(1),
      str("range"),
      bytes(M2),
    ),
    {
      ...req,
      rebalanceTimeoutMs: 60000,
      groupInstanceId: "inst-1",
      protocols: [{ name: "range", metadata: M2 }],
    },
  );
});

Deno.test("JoinGroup v6 and v8 request bytes", () => {
  // deno-fmt-ignore
  const v6 = cat(
    cstr("grp"), // group_id
    i32(45000), // session_timeout_ms
    i32(300000), // rebalance_timeout_ms
    cstr("m-1"), // member_id
    cstr(null), // group_instance_id
    cstr("consumer"), // protocol_type
    carr(2),
    cstr("range"), cbytes(M1), NO_TAGS,
    cstr("cooperative-sticky"), cbytes(M2), NO_TAGS,
    NO_TAGS,
  );
  const req: JoinGroupRequest = {
    groupId: "grp",
    sessionTimeoutMs: 45000,
    rebalanceTimeoutMs: 300000,
    memberId: "m-1",
    groupInstanceId: null,
    protocolType: "consumer",
    protocols: [{ name: "range", metadata: M1 }, { name: "cooperative-sticky", metadata: M2 }],
    reason: null,
  };
  requestVector(JoinGroupSpec, 6, v6, req);

  // Unknown tagged fields in a nested struct and at the top level are skipped.
  // deno-fmt-ignore
  const v6Tags = cat(
    cstr("grp"), i32(45000), i32(300000), cstr("m-1"), cstr(null), cstr("consumer"),
    carr(1),
    cstr("range"), cbytes(M1), uv(1), tagged(7, [1, 2]),
    uv(2), tagged(0, []), tagged(300, [9, 9, 9]),
  );
  assertEquals(decodeRequest(JoinGroupSpec, 6, v6Tags), {
    ...req,
    protocols: [{ name: "range", metadata: M1 }],
  });

  // v8 appends the nullable reason.
  // deno-fmt-ignore
  const v8 = cat(
    cstr("grp"), i32(45000), i32(300000), cstr("m-1"), cstr("inst-7"), cstr("consumer"),
    carr(0),
    cstr("rebalance needed"),
    NO_TAGS,
  );
  requestVector(JoinGroupSpec, 8, v8, {
    ...req,
    groupInstanceId: "inst-7",
    protocols: [],
    reason: "rebalance needed",
  });
});

Deno.test("JoinGroup v0 and v9 response bytes", () => {
  // deno-fmt-ignore
  const v0 = cat(
    i16(0), i32(1), str("range"), str("m-1"), str("m-1"),
    arr(2), str("m-1"), bytes(M1), str("m-2"), bytes(M2),
  );
  const resp: JoinGroupResponse = {
    throttleTimeMs: 0,
    errorCode: 0,
    generationId: 1,
    protocolType: null,
    protocolName: "range",
    leader: "m-1",
    skipAssignment: false,
    memberId: "m-1",
    members: [
      { memberId: "m-1", groupInstanceId: null, metadata: M1 },
      { memberId: "m-2", groupInstanceId: null, metadata: M2 },
    ],
  };
  responseVector(JoinGroupSpec, 0, v0, resp);

  // deno-fmt-ignore
  const v9 = cat(
    i32(3), // throttle_time_ms
    i16(0), // error_code
    i32(2), // generation_id
    cstr("consumer"), // protocol_type
    cstr("range"), // protocol_name
    cstr("m-1"), // leader
    bool(true), // skip_assignment
    cstr("m-2"), // member_id
    carr(1),
    cstr("m-1"), cstr("inst-1"), cbytes(M1), NO_TAGS,
    NO_TAGS,
  );
  responseVector(JoinGroupSpec, 9, v9, {
    ...resp,
    throttleTimeMs: 3,
    generationId: 2,
    protocolType: "consumer",
    skipAssignment: true,
    memberId: "m-2",
    members: [{ memberId: "m-1", groupInstanceId: "inst-1", metadata: M1 }],
  });

  // v7+: MEMBER_ID_REQUIRED (79) with null protocol type and name.
  responseVector(
    JoinGroupSpec,
    7,
    cat(i32(0), i16(79), i32(-1), cstr(null), cstr(null), cstr(""), cstr("m-9"), carr(0), NO_TAGS),
    {
      ...resp,
      errorCode: 79,
      generationId: -1,
      protocolName: null,
      leader: "",
      memberId: "m-9",
      members: [],
    },
  );
});

Deno.test("SyncGroup v3 response and v3/v5 request bytes", () => {
  const resp: SyncGroupResponse = {
    throttleTimeMs: 12,
    errorCode: 0,
    protocolType: null,
    protocolName: null,
    assignment: A1,
  };
  responseVector(SyncGroupSpec, 3, cat(i32(12), i16(0), bytes(A1)), resp);
  // v0: no throttle time.
  responseVector(SyncGroupSpec, 0, cat(i16(27), bytes(EMPTY)), {
    ...resp,
    throttleTimeMs: 0,
    errorCode: 27,
    assignment: EMPTY,
  });
  // v5: protocol type and name before the assignment.
  responseVector(
    SyncGroupSpec,
    5,
    cat(i32(0), i16(0), cstr("consumer"), cstr("range"), cbytes(A2), NO_TAGS),
    { ...resp, throttleTimeMs: 0, protocolType: "consumer", protocolName: "range", assignment: A2 },
  );

  // deno-fmt-ignore
  const reqV3 = cat(
    str("grp"), i32(4), str("m-1"), str(null),
    arr(2), str("m-1"), bytes(A1), str("m-2"), bytes(A2),
  );
  const req: SyncGroupRequest = {
    groupId: "grp",
    generationId: 4,
    memberId: "m-1",
    groupInstanceId: null,
    protocolType: null,
    protocolName: null,
    assignments: [{ memberId: "m-1", assignment: A1 }, { memberId: "m-2", assignment: A2 }],
  };
  requestVector(SyncGroupSpec, 3, reqV3, req);
  // deno-fmt-ignore
  const reqV5 = cat(
    cstr("grp"), i32(4), cstr("m-2"), cstr("inst-2"), cstr("consumer"), cstr("range"),
    carr(0),
    NO_TAGS,
  );
  requestVector(SyncGroupSpec, 5, reqV5, {
    ...req,
    memberId: "m-2",
    groupInstanceId: "inst-2",
    protocolType: "consumer",
    protocolName: "range",
    assignments: [],
  });
});

Deno.test("Heartbeat v0 and v4 bytes", () => {
  const req: HeartbeatRequest = { groupId: "grp", generationId: 7, memberId: "m-1", groupInstanceId: null };
  requestVector(HeartbeatSpec, 0, cat(str("grp"), i32(7), str("m-1")), req);
  requestVector(HeartbeatSpec, 3, cat(str("grp"), i32(7), str("m-1"), str("inst-1")), {
    ...req,
    groupInstanceId: "inst-1",
  });
  requestVector(HeartbeatSpec, 4, cat(cstr("grp"), i32(7), cstr("m-1"), cstr(null), NO_TAGS), req);
  const resp: HeartbeatResponse = { throttleTimeMs: 0, errorCode: 27 };
  responseVector(HeartbeatSpec, 0, cat(i16(27)), resp);
  responseVector(HeartbeatSpec, 4, cat(i32(100), i16(0), NO_TAGS), { throttleTimeMs: 100, errorCode: 0 });
});

Deno.test("LeaveGroup v0, v3 and v5 bytes", () => {
  const req: LeaveGroupRequest = { groupId: "grp", memberId: "m-1", members: [] };
  requestVector(LeaveGroupSpec, 0, cat(str("grp"), str("m-1")), req);

  // deno-fmt-ignore
  const v3 = cat(
    str("grp"),
    arr(2), str("m-1"), str(null), str(""), str("inst-2"),
  );
  requestVector(
    LeaveGroupSpec,
    3,
    v3,
    {
      groupId: "grp",
      memberId: "",
      members: [
        { memberId: "m-1", groupInstanceId: null, reason: null },
        { memberId: "", groupInstanceId: "inst-2", reason: null },
      ],
    } satisfies LeaveGroupRequest,
  );

  // deno-fmt-ignore
  const v5 = cat(
    cstr("grp"),
    carr(1), cstr("m-1"), cstr(null), cstr("the consumer is being closed"), NO_TAGS,
    NO_TAGS,
  );
  requestVector(
    LeaveGroupSpec,
    5,
    v5,
    {
      groupId: "grp",
      memberId: "",
      members: [{ memberId: "m-1", groupInstanceId: null, reason: "the consumer is being closed" }],
    } satisfies LeaveGroupRequest,
  );

  const resp: LeaveGroupResponse = { throttleTimeMs: 0, errorCode: 25, members: [] };
  responseVector(LeaveGroupSpec, 0, cat(i16(25)), resp);
  // deno-fmt-ignore
  const respV4 = cat(
    i32(1), i16(0),
    carr(2),
    cstr("m-1"), cstr(null), i16(0), NO_TAGS,
    cstr(""), cstr("inst-2"), i16(25), NO_TAGS,
    NO_TAGS,
  );
  responseVector(
    LeaveGroupSpec,
    4,
    respV4,
    {
      throttleTimeMs: 1,
      errorCode: 0,
      members: [
        { memberId: "m-1", groupInstanceId: null, errorCode: 0 },
        { memberId: "", groupInstanceId: "inst-2", errorCode: 25 },
      ],
    } satisfies LeaveGroupResponse,
  );
});

Deno.test("OffsetCommit v2 request bytes", () => {
  // deno-fmt-ignore
  const wire = cat(
    str("grp"), // group_id
    i32(5), // generation_id
    str("m-1"), // member_id
    i64(-1), // retention_time_ms: broker default
    arr(1),
    str("events"),
    arr(2),
    i32(0), i64(42), str("meta"), // partition_index, committed_offset, committed_metadata
    i32(3), i64(2 ** 40 + 7), str(null),
  );
  const req: OffsetCommitRequest = {
    groupId: "grp",
    generationIdOrMemberEpoch: 5,
    memberId: "m-1",
    groupInstanceId: null,
    retentionTimeMs: -1,
    topics: [{
      name: "events",
      partitions: [
        {
          partitionIndex: 0,
          committedOffset: 42,
          committedLeaderEpoch: -1,
          commitTimestamp: -1,
          committedMetadata: "meta",
        },
        {
          partitionIndex: 3,
          committedOffset: 2 ** 40 + 7,
          committedLeaderEpoch: -1,
          commitTimestamp: -1,
          committedMetadata: null,
        },
      ],
    }],
  };
  requestVector(OffsetCommitSpec, 2, wire, req);
});

Deno.test("OffsetCommit v0, v1 and v8 request bytes; v0 and v8 response bytes", () => {
  const part: OffsetCommitRequestPartition = {
    partitionIndex: 0,
    committedOffset: 10,
    committedLeaderEpoch: -1,
    commitTimestamp: -1,
    committedMetadata: "",
  };
  const req: OffsetCommitRequest = {
    groupId: "grp",
    generationIdOrMemberEpoch: -1,
    memberId: "",
    groupInstanceId: null,
    retentionTimeMs: -1,
    topics: [{ name: "t", partitions: [part] }],
  };
  requestVector(
    OffsetCommitSpec,
    0,
    cat(str("grp"), arr(1), str("t"), arr(1), i32(0), i64(10), str("")),
    req,
  );
  // v1: generation and member id; per-partition commit timestamp between offset and metadata.
  requestVector(
    OffsetCommitSpec,
    1,
    cat(
      str("grp"),
      i32(2),
      str("m-1"),
      arr(1),
      str("t"),
      arr(1),
      i32(0),
      i64(10),
      i64(1700000000000),
      str(""),
    ),
    {
      ...req,
      generationIdOrMemberEpoch: 2,
      memberId: "m-1",
      topics: [{ name: "t", partitions: [{ ...part, commitTimestamp: 1700000000000 }] }],
    },
  );
  // deno-fmt-ignore
  const v8 = cat(
    cstr("grp"), i32(2), cstr("m-1"), cstr("inst-1"),
    carr(1), cstr("t"),
    carr(1), i32(0), i64(10), i32(4), cstr(null), NO_TAGS,
    NO_TAGS,
    NO_TAGS,
  );
  requestVector(OffsetCommitSpec, 8, v8, {
    ...req,
    generationIdOrMemberEpoch: 2,
    memberId: "m-1",
    groupInstanceId: "inst-1",
    topics: [{ name: "t", partitions: [{ ...part, committedLeaderEpoch: 4, committedMetadata: null }] }],
  });

  const resp: OffsetCommitResponse = {
    throttleTimeMs: 0,
    topics: [{
      name: "t",
      partitions: [{ partitionIndex: 0, errorCode: 0 }, { partitionIndex: 1, errorCode: 22 }],
    }],
  };
  responseVector(OffsetCommitSpec, 0, cat(arr(1), str("t"), arr(2), i32(0), i16(0), i32(1), i16(22)), resp);
  responseVector(
    OffsetCommitSpec,
    8,
    cat(
      i32(9),
      carr(1),
      cstr("t"),
      carr(2),
      i32(0),
      i16(0),
      NO_TAGS,
      i32(1),
      i16(22),
      NO_TAGS,
      NO_TAGS,
      NO_TAGS,
    ),
    { ...resp, throttleTimeMs: 9 },
  );
});

Deno.test("OffsetFetch v8 request bytes", () => {
  // deno-fmt-ignore
  const wire = cat(
    carr(2), // groups
    cstr("g1"),
    carr(1), cstr("events"), carr(2), i32(0), i32(1), NO_TAGS, // topics
    NO_TAGS,
    cstr("g2"),
    carr(null), // topics null: all committed partitions
    NO_TAGS,
    bool(true), // require_stable
    NO_TAGS,
  );
  const req: OffsetFetchRequest = {
    groupId: "",
    topics: [],
    groups: [
      {
        groupId: "g1",
        memberId: null,
        memberEpoch: -1,
        topics: [{ name: "events", partitionIndexes: [0, 1] }],
      },
      { groupId: "g2", memberId: null, memberEpoch: -1, topics: null },
    ],
    requireStable: true,
  };
  requestVector(OffsetFetchSpec, 8, wire, req);

  // v9 adds member id and epoch per group.
  // deno-fmt-ignore
  const v9 = cat(
    carr(1), cstr("g1"), cstr("m-1"), i32(12), carr(null), NO_TAGS,
    bool(false),
    NO_TAGS,
  );
  requestVector(OffsetFetchSpec, 9, v9, {
    ...req,
    groups: [{ groupId: "g1", memberId: "m-1", memberEpoch: 12, topics: null }],
    requireStable: false,
  });
});

Deno.test("OffsetFetch v1, v2, v7 request bytes", () => {
  const req: OffsetFetchRequest = {
    groupId: "grp",
    topics: [{ name: "events", partitionIndexes: [0, 2] }],
    groups: [],
    requireStable: false,
  };
  requestVector(OffsetFetchSpec, 1, cat(str("grp"), arr(1), str("events"), arr(2), i32(0), i32(2)), req);
  // v2+: null topics = all committed partitions.
  requestVector(OffsetFetchSpec, 2, cat(str("grp"), arr(null)), { ...req, topics: null });
  requestVector(OffsetFetchSpec, 7, cat(cstr("grp"), carr(null), bool(true), NO_TAGS), {
    ...req,
    topics: null,
    requireStable: true,
  });
});

Deno.test("OffsetFetch v1, v5 and v8 response bytes", () => {
  const resp: OffsetFetchResponse = {
    throttleTimeMs: 0,
    topics: [{
      name: "events",
      partitions: [
        { partitionIndex: 0, committedOffset: 42, committedLeaderEpoch: -1, metadata: "", errorCode: 0 },
        { partitionIndex: 1, committedOffset: -1, committedLeaderEpoch: -1, metadata: null, errorCode: 0 },
      ],
    }],
    errorCode: 0,
    groups: [],
  };
  // deno-fmt-ignore
  const v1 = cat(
    arr(1), str("events"),
    arr(2),
    i32(0), i64(42), str(""), i16(0),
    i32(1), i64(-1), str(null), i16(0),
  );
  responseVector(OffsetFetchSpec, 1, v1, resp);

  // v5: throttle first, leader epoch after the offset, top-level error code last.
  // deno-fmt-ignore
  const v5 = cat(
    i32(2),
    arr(1), str("events"),
    arr(1), i32(0), i64(42), i32(3), str("m"), i16(0),
    i16(16),
  );
  responseVector(OffsetFetchSpec, 5, v5, {
    ...resp,
    throttleTimeMs: 2,
    topics: [{
      name: "events",
      partitions: [{
        partitionIndex: 0,
        committedOffset: 42,
        committedLeaderEpoch: 3,
        metadata: "m",
        errorCode: 0,
      }],
    }],
    errorCode: 16,
  });

  // deno-fmt-ignore
  const v8 = cat(
    i32(0),
    carr(2),
    cstr("g1"),
    carr(1), cstr("events"),
    carr(1), i32(0), i64(42), i32(3), cstr(null), i16(0), NO_TAGS,
    NO_TAGS, // topic
    i16(0),
    NO_TAGS, // group
    cstr("g2"), carr(0), i16(16), NO_TAGS,
    NO_TAGS,
  );
  responseVector(
    OffsetFetchSpec,
    8,
    v8,
    {
      throttleTimeMs: 0,
      topics: [],
      errorCode: 0,
      groups: [
        {
          groupId: "g1",
          topics: [{
            name: "events",
            partitions: [{
              partitionIndex: 0,
              committedOffset: 42,
              committedLeaderEpoch: 3,
              metadata: null,
              errorCode: 0,
            }],
          }],
          errorCode: 0,
        },
        { groupId: "g2", topics: [], errorCode: 16 },
      ],
    } satisfies OffsetFetchResponse,
  );
});

Deno.test("DescribeGroups v0 and v5 bytes", () => {
  requestVector(
    DescribeGroupsSpec,
    0,
    cat(arr(2), str("g1"), str("g2")),
    {
      groups: ["g1", "g2"],
      includeAuthorizedOperations: false,
    } satisfies DescribeGroupsRequest,
  );
  requestVector(
    DescribeGroupsSpec,
    5,
    cat(carr(1), cstr("g1"), bool(true), NO_TAGS),
    {
      groups: ["g1"],
      includeAuthorizedOperations: true,
    } satisfies DescribeGroupsRequest,
  );

  // deno-fmt-ignore
  const v0 = cat(
    arr(1),
    i16(0), str("g1"), str("Stable"), str("consumer"), str("range"),
    arr(1), str("m-1"), str("c-1"), str("/10.0.0.1"), bytes(M1), bytes(A1),
  );
  const resp: DescribeGroupsResponse = {
    throttleTimeMs: 0,
    groups: [{
      errorCode: 0,
      errorMessage: null,
      groupId: "g1",
      groupState: "Stable",
      protocolType: "consumer",
      protocolData: "range",
      members: [{
        memberId: "m-1",
        groupInstanceId: null,
        clientId: "c-1",
        clientHost: "/10.0.0.1",
        memberMetadata: M1,
        memberAssignment: A1,
      }],
      authorizedOperations: -2147483648,
    }],
  };
  responseVector(DescribeGroupsSpec, 0, v0, resp);

  // deno-fmt-ignore
  const v5 = cat(
    i32(0),
    carr(1),
    i16(0), cstr("g1"), cstr("Stable"), cstr("consumer"), cstr("range"),
    carr(1), cstr("m-1"), cstr("inst-1"), cstr("c-1"), cstr("/10.0.0.1"), cbytes(M1), cbytes(A1), NO_TAGS,
    i32(0x0f8),
    NO_TAGS,
    NO_TAGS,
  );
  responseVector(DescribeGroupsSpec, 5, v5, {
    throttleTimeMs: 0,
    groups: [{
      ...resp.groups[0],
      members: [{ ...resp.groups[0].members[0], groupInstanceId: "inst-1" }],
      authorizedOperations: 0xf8,
    }],
  });

  // v6 (Kafka 4): ErrorMessage after ErrorCode.
  // deno-fmt-ignore
  const v6 = cat(
    i32(0),
    carr(1),
    i16(69), cstr("Group g1 is not a classic group."), cstr("g1"), cstr("Dead"), cstr(""), cstr(""),
    carr(0),
    i32(-2147483648),
    NO_TAGS,
    NO_TAGS,
  );
  responseVector(DescribeGroupsSpec, 6, v6, {
    throttleTimeMs: 0,
    groups: [{
      errorCode: 69,
      errorMessage: "Group g1 is not a classic group.",
      groupId: "g1",
      groupState: "Dead",
      protocolType: "",
      protocolData: "",
      members: [],
      authorizedOperations: -2147483648,
    }],
  });
});

Deno.test("ListGroups v0, v4 and v5 bytes", () => {
  const req: ListGroupsRequest = { statesFilter: [], typesFilter: [] };
  requestVector(ListGroupsSpec, 0, new Uint8Array([]), req);
  requestVector(ListGroupsSpec, 3, cat(NO_TAGS), req);
  requestVector(ListGroupsSpec, 4, cat(carr(2), cstr("Stable"), cstr("Empty"), NO_TAGS), {
    ...req,
    statesFilter: ["Stable", "Empty"],
  });
  requestVector(ListGroupsSpec, 5, cat(carr(0), carr(1), cstr("classic"), NO_TAGS), {
    ...req,
    typesFilter: ["classic"],
  });

  const resp: ListGroupsResponse = {
    throttleTimeMs: 0,
    errorCode: 0,
    groups: [{ groupId: "g1", protocolType: "consumer", groupState: "", groupType: "" }],
  };
  responseVector(ListGroupsSpec, 0, cat(i16(0), arr(1), str("g1"), str("consumer")), resp);
  responseVector(
    ListGroupsSpec,
    5,
    cat(
      i32(1),
      i16(0),
      carr(1),
      cstr("g1"),
      cstr("consumer"),
      cstr("Stable"),
      cstr("classic"),
      NO_TAGS,
      NO_TAGS,
    ),
    {
      ...resp,
      throttleTimeMs: 1,
      groups: [{ ...resp.groups[0], groupState: "Stable", groupType: "classic" }],
    },
  );
});

Deno.test("DeleteGroups v1 and v2 bytes", () => {
  const req: DeleteGroupsRequest = { groupsNames: ["g1", "g2"] };
  requestVector(DeleteGroupsSpec, 1, cat(arr(2), str("g1"), str("g2")), req);
  requestVector(DeleteGroupsSpec, 2, cat(carr(2), cstr("g1"), cstr("g2"), NO_TAGS), req);
  const resp: DeleteGroupsResponse = {
    throttleTimeMs: 0,
    results: [{ groupId: "g1", errorCode: 0 }, { groupId: "g2", errorCode: 69 }],
  };
  responseVector(DeleteGroupsSpec, 0, cat(i32(0), arr(2), str("g1"), i16(0), str("g2"), i16(69)), resp);
  responseVector(
    DeleteGroupsSpec,
    2,
    cat(i32(0), carr(2), cstr("g1"), i16(0), NO_TAGS, cstr("g2"), i16(69), NO_TAGS, NO_TAGS),
    resp,
  );
});

Deno.test("OffsetDelete v0 bytes", () => {
  // deno-fmt-ignore
  const reqWire = cat(
    str("grp"),
    arr(1), str("events"), arr(2), i32(0), i32(3),
  );
  const req: OffsetDeleteRequest = {
    groupId: "grp",
    topics: [{ name: "events", partitions: [{ partitionIndex: 0 }, { partitionIndex: 3 }] }],
  };
  requestVector(OffsetDeleteSpec, 0, reqWire, req);
  // deno-fmt-ignore
  const respWire = cat(
    i16(0), i32(0),
    arr(1), str("events"), arr(2), i32(0), i16(0), i32(3), i16(86),
  );
  const resp: OffsetDeleteResponse = {
    errorCode: 0,
    throttleTimeMs: 0,
    topics: [{
      name: "events",
      partitions: [{ partitionIndex: 0, errorCode: 0 }, { partitionIndex: 3, errorCode: 86 }],
    }],
  };
  responseVector(OffsetDeleteSpec, 0, respWire, resp);
});

// ---------------------------------------------------------------------------------------------------------
// Round trips for every version of every API.

function roundTripVersions(
  spec: ApiSpec,
  from: number,
  to: number,
  request: unknown,
  response: unknown,
): void {
  for (let v = from; v <= to; v++) {
    const flexible = v >= spec.flexibleFrom;
    const rq = encodeRequest(spec, v, request);
    const rqObj = decodeRequest(spec, v, rq);
    assertEquals(rqObj, project(spec.request, v, request), `${spec.name} v${v} request round trip`);
    assertEquals(encodeRequest(spec, v, rqObj), rq, `${spec.name} v${v} request re-encode`);
    if (flexible) {
      assertEquals(
        decodeRequest(spec, v, withUnknownTags(rq)),
        rqObj,
        `${spec.name} v${v} request unknown tags`,
      );
    }

    const rs = encodeResponse(spec, v, response);
    const rsObj = decodeResponse(spec, v, rs);
    assertEquals(rsObj, project(spec.response, v, response), `${spec.name} v${v} response round trip`);
    assertEquals(encodeResponse(spec, v, rsObj), rs, `${spec.name} v${v} response re-encode`);
    if (flexible) {
      assertEquals(
        decodeResponse(spec, v, withUnknownTags(rs)),
        rsObj,
        `${spec.name} v${v} response unknown tags`,
      );
    }
  }
}

function roundTrip(spec: ApiSpec, request: unknown, response: unknown): void {
  assertCoversSpec(spec.request, request, `${spec.name}Request`);
  assertCoversSpec(spec.response, response, `${spec.name}Response`);
  roundTripVersions(spec, spec.minVersion, spec.maxVersion, request, response);
}

Deno.test("round trip: FindCoordinator v0-6", () => {
  const req: FindCoordinatorRequest = { key: "group-a", keyType: 1, coordinatorKeys: ["group-a", "group-b"] };
  const resp: FindCoordinatorResponse = {
    throttleTimeMs: 7,
    errorCode: 15,
    errorMessage: "coordinator not available",
    nodeId: 2,
    host: "broker-2",
    port: 9093,
    coordinators: [
      { key: "group-a", nodeId: 1, host: "broker-1", port: 9092, errorCode: 0, errorMessage: null },
      { key: "group-b", nodeId: -1, host: "", port: -1, errorCode: 15, errorMessage: "not available" },
    ],
  };
  roundTrip(FindCoordinatorSpec, req, resp);
  roundTripVersions(FindCoordinatorSpec, 1, 6, req, { ...resp, errorMessage: null });
});

Deno.test("round trip: JoinGroup v0-9", () => {
  const req: JoinGroupRequest = {
    groupId: "group-a",
    sessionTimeoutMs: 45000,
    rebalanceTimeoutMs: 300000,
    memberId: "consumer-1-4f1d",
    groupInstanceId: "instance-1",
    protocolType: "consumer",
    protocols: [{ name: "range", metadata: M1 }, { name: "cooperative-sticky", metadata: EMPTY }],
    reason: "rebalance failed due to MemberIdRequiredException",
  };
  const resp: JoinGroupResponse = {
    throttleTimeMs: 5,
    errorCode: 0,
    generationId: 3,
    protocolType: "consumer",
    protocolName: "range",
    leader: "consumer-1-4f1d",
    skipAssignment: true,
    memberId: "consumer-2-9a0b",
    members: [
      { memberId: "consumer-1-4f1d", groupInstanceId: "instance-1", metadata: M1 },
      { memberId: "consumer-2-9a0b", groupInstanceId: null, metadata: M2 },
    ],
  };
  roundTrip(JoinGroupSpec, req, resp);
  roundTripVersions(JoinGroupSpec, 0, 9, { ...req, groupInstanceId: null, reason: null }, resp);
  // v7+: nullable protocol type and name.
  roundTripVersions(JoinGroupSpec, 7, 9, req, { ...resp, protocolType: null, protocolName: null });
});

Deno.test("round trip: SyncGroup v0-5", () => {
  const req: SyncGroupRequest = {
    groupId: "group-a",
    generationId: 3,
    memberId: "consumer-1",
    groupInstanceId: "instance-1",
    protocolType: "consumer",
    protocolName: "range",
    assignments: [{ memberId: "consumer-1", assignment: A1 }, { memberId: "consumer-2", assignment: A2 }],
  };
  const resp: SyncGroupResponse = {
    throttleTimeMs: 2,
    errorCode: 0,
    protocolType: "consumer",
    protocolName: "range",
    assignment: A1,
  };
  roundTrip(SyncGroupSpec, req, resp);
  roundTripVersions(
    SyncGroupSpec,
    0,
    5,
    { ...req, groupInstanceId: null, protocolType: null, protocolName: null },
    { ...resp, protocolType: null, protocolName: null },
  );
});

Deno.test("round trip: Heartbeat v0-4", () => {
  const req: HeartbeatRequest = {
    groupId: "group-a",
    generationId: 9,
    memberId: "consumer-1",
    groupInstanceId: "instance-1",
  };
  const resp: HeartbeatResponse = { throttleTimeMs: 11, errorCode: 27 };
  roundTrip(HeartbeatSpec, req, resp);
  roundTripVersions(HeartbeatSpec, 0, 4, { ...req, groupInstanceId: null }, resp);
});

Deno.test("round trip: LeaveGroup v0-5", () => {
  const req: LeaveGroupRequest = {
    groupId: "group-a",
    memberId: "consumer-1",
    members: [
      { memberId: "consumer-1", groupInstanceId: "instance-1", reason: "the consumer is being closed" },
      { memberId: "consumer-2", groupInstanceId: null, reason: null },
    ],
  };
  const resp: LeaveGroupResponse = {
    throttleTimeMs: 4,
    errorCode: 0,
    members: [
      { memberId: "consumer-1", groupInstanceId: "instance-1", errorCode: 0 },
      { memberId: "consumer-2", groupInstanceId: null, errorCode: 25 },
    ],
  };
  roundTrip(LeaveGroupSpec, req, resp);
});

Deno.test("round trip: OffsetCommit v0-9", () => {
  const req: OffsetCommitRequest = {
    groupId: "group-a",
    generationIdOrMemberEpoch: 3,
    memberId: "consumer-1",
    groupInstanceId: "instance-1",
    retentionTimeMs: 86400000,
    topics: [{
      name: "events",
      partitions: [
        {
          partitionIndex: 0,
          committedOffset: 2 ** 40 + 1,
          committedLeaderEpoch: 5,
          commitTimestamp: 1700000000000,
          committedMetadata: "meta",
        },
        {
          partitionIndex: 1,
          committedOffset: 0,
          committedLeaderEpoch: -1,
          commitTimestamp: -1,
          committedMetadata: null,
        },
      ],
    }],
  };
  const resp: OffsetCommitResponse = {
    throttleTimeMs: 3,
    topics: [{
      name: "events",
      partitions: [{ partitionIndex: 0, errorCode: 0 }, { partitionIndex: 1, errorCode: 22 }],
    }],
  };
  roundTrip(OffsetCommitSpec, req, resp);
  roundTripVersions(OffsetCommitSpec, 0, 9, { ...req, groupInstanceId: null }, resp);
});

Deno.test("round trip: OffsetFetch v0-9", () => {
  const req: OffsetFetchRequest = {
    groupId: "group-a",
    topics: [{ name: "events", partitionIndexes: [0, 1, 2] }],
    groups: [
      {
        groupId: "group-a",
        memberId: "consumer-1",
        memberEpoch: 4,
        topics: [{ name: "events", partitionIndexes: [0, 1] }],
      },
      { groupId: "group-b", memberId: null, memberEpoch: -1, topics: null },
    ],
    requireStable: true,
  };
  const part: OffsetFetchResponseGroupPartition = {
    partitionIndex: 0,
    committedOffset: 2 ** 35,
    committedLeaderEpoch: 5,
    metadata: "meta",
    errorCode: 0,
  };
  const resp: OffsetFetchResponse = {
    throttleTimeMs: 6,
    topics: [{
      name: "events",
      partitions: [part, {
        partitionIndex: 1,
        committedOffset: -1,
        committedLeaderEpoch: -1,
        metadata: null,
        errorCode: 0,
      }],
    }],
    errorCode: 14,
    groups: [
      { groupId: "group-a", topics: [{ name: "events", partitions: [part] }], errorCode: 0 },
      {
        groupId: "group-b",
        topics: [{
          name: "other",
          partitions: [{ ...part, partitionIndex: 3, metadata: null, errorCode: 3 }],
        }],
        errorCode: 16,
      },
    ],
  };
  roundTrip(OffsetFetchSpec, req, resp);
  // v2+: null topic list (all committed partitions).
  roundTripVersions(OffsetFetchSpec, 2, 9, { ...req, topics: null }, resp);
});

Deno.test("round trip: DescribeGroups v0-6", () => {
  const req: DescribeGroupsRequest = { groups: ["group-a", "group-b"], includeAuthorizedOperations: true };
  const member: DescribeGroupsResponseMember = {
    memberId: "consumer-1",
    groupInstanceId: "instance-1",
    clientId: "client-1",
    clientHost: "/127.0.0.1",
    memberMetadata: M1,
    memberAssignment: A1,
  };
  const resp: DescribeGroupsResponse = {
    throttleTimeMs: 1,
    groups: [
      {
        errorCode: 0,
        errorMessage: null,
        groupId: "group-a",
        groupState: "Stable",
        protocolType: "consumer",
        protocolData: "range",
        members: [member, { ...member, memberId: "consumer-2", groupInstanceId: null, memberAssignment: A2 }],
        authorizedOperations: 0x0f8,
      },
      {
        errorCode: 69,
        errorMessage: "Group group-b not found.",
        groupId: "group-b",
        groupState: "Dead",
        protocolType: "",
        protocolData: "",
        members: [member],
        authorizedOperations: -2147483648,
      },
    ],
  };
  roundTrip(DescribeGroupsSpec, req, resp);
});

Deno.test("round trip: ListGroups v0-5", () => {
  const req: ListGroupsRequest = { statesFilter: ["Stable", "Empty"], typesFilter: ["classic", "consumer"] };
  const resp: ListGroupsResponse = {
    throttleTimeMs: 2,
    errorCode: 0,
    groups: [
      { groupId: "group-a", protocolType: "consumer", groupState: "Stable", groupType: "classic" },
      { groupId: "group-b", protocolType: "", groupState: "Empty", groupType: "consumer" },
    ],
  };
  roundTrip(ListGroupsSpec, req, resp);
});

Deno.test("round trip: DeleteGroups v0-2", () => {
  const req: DeleteGroupsRequest = { groupsNames: ["group-a", "group-b"] };
  const resp: DeleteGroupsResponse = {
    throttleTimeMs: 8,
    results: [{ groupId: "group-a", errorCode: 0 }, { groupId: "group-b", errorCode: 69 }],
  };
  roundTrip(DeleteGroupsSpec, req, resp);
});

Deno.test("round trip: OffsetDelete v0", () => {
  const req: OffsetDeleteRequest = {
    groupId: "group-a",
    topics: [{ name: "events", partitions: [{ partitionIndex: 0 }, { partitionIndex: 5 }] }],
  };
  const resp: OffsetDeleteResponse = {
    errorCode: 0,
    throttleTimeMs: 10,
    topics: [{
      name: "events",
      partitions: [{ partitionIndex: 0, errorCode: 0 }, { partitionIndex: 5, errorCode: 86 }],
    }],
  };
  roundTrip(OffsetDeleteSpec, req, resp);
});
