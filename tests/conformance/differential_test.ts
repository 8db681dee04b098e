// Differential conformance (issue 20): the same scripted requests — every API the gateway advertises, at every
// version it advertises, with valid and invalid inputs — sent to a real single-node Apache Kafka and to the
// gateway, decoded with the gateway's own codec and compared field by field. What legitimately differs (ids,
// ports, timestamps, free text) and the accepted deviations live in ./differential_allowed.ts; any other
// difference fails the test. Both brokers run with topic auto-creation off, so unknown topics stay unknown.
import { assert, assertEquals } from "../unit/assert.ts";
import { kafkaTools, startApacheKafka } from "../helpers/apache_kafka.ts";
import { startGateway } from "../helpers/gateway.ts";
import {
  advertised,
  allowedBy,
  type Difference,
  Endpoint,
  formatDifference,
  range,
  runScript,
  type Step,
  type Vars,
} from "../helpers/differential.ts";
import { ALLOWED, IGNORED } from "./differential_allowed.ts";
import { ApiVersionsSpec } from "../../src/protocol/messages/api_versions.ts";
import { MetadataSpec } from "../../src/protocol/messages/metadata.ts";
import { CreateTopicsSpec } from "../../src/protocol/messages/create_topics.ts";
import { DeleteTopicsSpec } from "../../src/protocol/messages/delete_topics.ts";
import { CreatePartitionsSpec } from "../../src/protocol/messages/create_partitions.ts";
import { ProduceSpec } from "../../src/protocol/messages/produce.ts";
import { FetchSpec } from "../../src/protocol/messages/fetch.ts";
import { ListOffsetsSpec } from "../../src/protocol/messages/list_offsets.ts";
import { OffsetForLeaderEpochSpec } from "../../src/protocol/messages/offset_for_leader_epoch.ts";
import { DeleteRecordsSpec } from "../../src/protocol/messages/delete_records.ts";
import { FindCoordinatorSpec } from "../../src/protocol/messages/find_coordinator.ts";
import { JoinGroupSpec } from "../../src/protocol/messages/join_group.ts";
import { SyncGroupSpec } from "../../src/protocol/messages/sync_group.ts";
import { HeartbeatSpec } from "../../src/protocol/messages/heartbeat.ts";
import { LeaveGroupSpec } from "../../src/protocol/messages/leave_group.ts";
import { OffsetCommitSpec } from "../../src/protocol/messages/offset_commit.ts";
import { OffsetFetchSpec } from "../../src/protocol/messages/offset_fetch.ts";
import { DescribeGroupsSpec } from "../../src/protocol/messages/describe_groups.ts";
import { ListGroupsSpec } from "../../src/protocol/messages/list_groups.ts";
import { DeleteGroupsSpec } from "../../src/protocol/messages/delete_groups.ts";
import { DescribeConfigsSpec } from "../../src/protocol/messages/describe_configs.ts";
import { ListConfigResourcesSpec } from "../../src/protocol/messages/list_config_resources.ts";
import { AlterConfigsSpec } from "../../src/protocol/messages/alter_configs.ts";
import { IncrementalAlterConfigsSpec } from "../../src/protocol/messages/incremental_alter_configs.ts";
import { InitProducerIdSpec } from "../../src/protocol/messages/init_producer_id.ts";
import { DescribeClusterSpec } from "../../src/protocol/messages/describe_cluster.ts";
import { ConsumerGroupHeartbeatSpec } from "../../src/protocol/messages/consumer_group_heartbeat.ts";
import { OffsetDeleteSpec } from "../../src/protocol/messages/offset_delete.ts";
import { DescribeLogDirsSpec } from "../../src/protocol/messages/describe_log_dirs.ts";
import { ElectLeadersSpec } from "../../src/protocol/messages/elect_leaders.ts";
import {
  AlterPartitionReassignmentsSpec,
  ListPartitionReassignmentsSpec,
} from "../../src/protocol/messages/partition_reassignments.ts";
import { DescribeProducersSpec } from "../../src/protocol/messages/describe_producers.ts";
import { DescribeTransactionsSpec } from "../../src/protocol/messages/describe_transactions.ts";
import { ListTransactionsSpec } from "../../src/protocol/messages/list_transactions.ts";
import { ConsumerGroupDescribeSpec } from "../../src/protocol/messages/consumer_group_describe.ts";
import { AddPartitionsToTxnSpec } from "../../src/protocol/messages/add_partitions_to_txn.ts";
import { AddOffsetsToTxnSpec } from "../../src/protocol/messages/add_offsets_to_txn.ts";
import { EndTxnSpec } from "../../src/protocol/messages/end_txn.ts";
import { TxnOffsetCommitSpec } from "../../src/protocol/messages/txn_offset_commit.ts";
import { WriteTxnMarkersSpec } from "../../src/protocol/messages/write_txn_markers.ts";
import { DescribeAclsSpec } from "../../src/protocol/messages/describe_acls.ts";
import { CreateAclsSpec } from "../../src/protocol/messages/create_acls.ts";
import { DeleteAclsSpec } from "../../src/protocol/messages/delete_acls.ts";
import { DescribeClientQuotasSpec } from "../../src/protocol/messages/describe_client_quotas.ts";
import { AlterClientQuotasSpec } from "../../src/protocol/messages/alter_client_quotas.ts";
import { DescribeUserScramCredentialsSpec } from "../../src/protocol/messages/describe_user_scram_credentials.ts";
import { AlterUserScramCredentialsSpec } from "../../src/protocol/messages/alter_user_scram_credentials.ts";
import { SaslHandshakeSpec } from "../../src/protocol/messages/sasl_handshake.ts";
import { SaslAuthenticateSpec } from "../../src/protocol/messages/sasl_authenticate.ts";
import { buildBatchSync } from "../../src/records/batch.ts";
import { CRC_OFFSET } from "../../src/records/layout.ts";

const T0 = 1_700_000_000_000;
const enc = new TextEncoder();

/** A batch with fixed timestamps, so stored bytes agree between brokers. */
function batch(n: number, prefix: string, valueBytes = 0): Uint8Array {
  return buildBatchSync({
    records: Array.from({ length: n }, (_, i) => ({
      key: enc.encode(`k${i}`),
      value: valueBytes > 0 ? new Uint8Array(valueBytes).fill(i + 1) : enc.encode(`${prefix}-${i}`),
      timestamp: T0 + i,
    })),
  });
}

function badCrc(): Uint8Array {
  const b = batch(2, "crc");
  b[CRC_OFFSET] ^= 0xff;
  return b;
}

const produce = (topic: string, partition: number, records: Uint8Array, acks = -1) => (_v: number) => ({
  transactionalId: null,
  acks,
  timeoutMs: 10_000,
  topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
});

function fetchBody(topic: string, partition: number, offset: number) {
  return (_v: number, vars: Vars) => ({
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{
      topic,
      topicId: (vars.topicIds as Record<string, string> | undefined)?.[topic] ?? "0".repeat(32),
      partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1 }],
    }],
    forgottenTopicsData: [],
    rackId: "",
  });
}

const listOffsets = (topic: string, partition: number, timestamp: number) => () => ({
  replicaId: -1,
  isolationLevel: 0,
  topics: [{ name: topic, partitions: [{ partitionIndex: partition, timestamp, currentLeaderEpoch: -1 }] }],
});

const createTopic =
  (name: string, numPartitions: number, replicationFactor = 1, validateOnly = false) => () => ({
    topics: [{ name, numPartitions, replicationFactor, assignments: [], configs: [] }],
    timeoutMs: 10_000,
    validateOnly,
  });

/** JoinGroup body for a consumer in `group` with this broker's captured member id (empty before the first join). */
const join = (group: string, memberKey: string) => (_v: number, vars: Vars) => ({
  groupId: group,
  sessionTimeoutMs: 30_000,
  rebalanceTimeoutMs: 30_000,
  memberId: (vars[memberKey] as string | undefined) ?? "",
  groupInstanceId: null,
  protocolType: "consumer",
  protocols: [{ name: "range", metadata: new Uint8Array([0, 1, 0, 0, 0, 0, 0, 0]) }],
  reason: null,
});

function captureMember(memberKey: string, genKey: string) {
  return (r: Record<string, unknown>, vars: Vars) => {
    if (typeof r.memberId === "string" && r.memberId !== "") vars[memberKey] = r.memberId;
    if (typeof r.generationId === "number" && r.generationId >= 0) vars[genKey] = r.generationId;
  };
}

const heartbeat = (group: string, genDelta: number, member?: string) => (_v: number, vars: Vars) => ({
  groupId: group,
  generationId: (vars.gen as number ?? -1) + genDelta,
  memberId: member ?? vars.member ?? "",
  groupInstanceId: null,
});

const offsetCommit = (group: string, topic: string, offset: number, genDelta = 0, member?: string) =>
(
  _v: number,
  vars: Vars,
) => ({
  groupId: group,
  generationIdOrMemberEpoch: (vars.gen as number ?? -1) + genDelta,
  memberId: member ?? vars.member ?? "",
  groupInstanceId: null,
  retentionTimeMs: -1,
  topics: [{
    name: topic,
    partitions: [{
      partitionIndex: 0,
      committedOffset: offset,
      committedLeaderEpoch: -1,
      committedMetadata: "m",
    }],
  }],
});

const offsetFetch = (group: string, topic: string) => () => ({
  groupId: group,
  topics: [{ name: topic, partitionIndexes: [0, 1] }],
  groups: [{
    groupId: group,
    memberId: null,
    memberEpoch: -1,
    topics: [{ name: topic, partitionIndexes: [0, 1] }],
  }],
  requireStable: false,
});

const configs = (type: number, name: string, keys: string[] | null) => () => ({
  resources: [{ resourceType: type, resourceName: name, configurationKeys: keys }],
  includeSynonyms: false,
  includeDocumentation: false,
});

const TOPIC = 2, BROKER = 4, GROUP_CONFIGS = 32;
const CG_MEMBER = "differentialMember0001";

/** The script: state builds up in this order on both brokers. */
function script(): Step[] {
  const all = (s: { minVersion: number; maxVersion: number }) => range(s.minVersion, s.maxVersion);
  return [
    // ---- ApiVersions ----
    {
      name: "ApiVersions",
      spec: ApiVersionsSpec,
      body: () => ({ clientSoftwareName: "diff", clientSoftwareVersion: "1" }),
    },
    {
      name: "ApiVersions unsupported version",
      spec: ApiVersionsSpec,
      versions: [99],
      anyVersion: true,
      decodeAs: 0,
      body: () => ({ clientSoftwareName: "diff", clientSoftwareVersion: "1" }),
    },
    // ---- topics ----
    { name: "create dt-a", spec: CreateTopicsSpec, versions: [7], body: createTopic("dt-a", 3) },
    { name: "create dt-old", spec: CreateTopicsSpec, versions: [7], body: createTopic("dt-old", 1) },
    { name: "create dt-b", spec: CreateTopicsSpec, versions: [7], body: createTopic("dt-b", 1) },
    {
      name: "create per version",
      spec: CreateTopicsSpec,
      body: (v) => createTopic(`dt-c${v}`, 2)(),
    },
    { name: "create existing", spec: CreateTopicsSpec, body: createTopic("dt-a", 3) },
    { name: "create 0 partitions", spec: CreateTopicsSpec, body: createTopic("dt-zero", 0) },
    { name: "create rf 3", spec: CreateTopicsSpec, body: createTopic("dt-rf3", 1, 3) },
    { name: "create bad name", spec: CreateTopicsSpec, body: createTopic("bad/name", 1) },
    {
      name: "create validate only",
      spec: CreateTopicsSpec,
      versions: range(1, 7),
      body: createTopic("dt-v", 1, 1, true),
    },
    {
      name: "metadata dt-a, unknown",
      spec: MetadataSpec,
      body: (v) => ({
        topics: [{ name: "dt-a", topicId: "0".repeat(32) }, { name: "dt-missing", topicId: "0".repeat(32) }],
        allowAutoTopicCreation: false,
        includeTopicAuthorizedOperations: false,
        includeClusterAuthorizedOperations: false,
        ...(v === 0 ? {} : {}),
      }),
      capture: (r, vars) => {
        const ids = (vars.topicIds ??= {}) as Record<string, string>;
        for (const t of r.topics as { name: string; topicId?: string }[]) {
          if (t.topicId) ids[t.name] = t.topicId;
        }
      },
    },
    {
      name: "metadata dt-b",
      spec: MetadataSpec,
      versions: [12],
      body: () => ({ topics: [{ name: "dt-b", topicId: "0".repeat(32) }], allowAutoTopicCreation: false }),
      capture: (r, vars) => {
        const ids = (vars.topicIds ??= {}) as Record<string, string>;
        for (const t of r.topics as { name: string; topicId?: string }[]) {
          if (t.topicId) ids[t.name] = t.topicId;
        }
      },
    },
    {
      name: "create partitions dt-c",
      spec: CreatePartitionsSpec,
      body: (v) => ({
        topics: [{ name: `dt-c${v}`, count: 3, assignments: null }],
        timeoutMs: 10_000,
        validateOnly: false,
      }),
    },
    {
      name: "create partitions fewer",
      spec: CreatePartitionsSpec,
      body: () => ({
        topics: [{ name: "dt-a", count: 2, assignments: null }],
        timeoutMs: 10_000,
        validateOnly: false,
      }),
    },
    {
      name: "create partitions unknown",
      spec: CreatePartitionsSpec,
      body: () => ({
        topics: [{ name: "dt-missing", count: 2, assignments: null }],
        timeoutMs: 10_000,
        validateOnly: false,
      }),
    },
    {
      name: "delete per version",
      spec: DeleteTopicsSpec,
      body: (v) => ({
        topicNames: [`dt-c${v}`],
        topics: [{ name: `dt-c${v}`, topicId: "0".repeat(32) }],
        timeoutMs: 10_000,
      }),
    },
    {
      name: "delete unknown",
      spec: DeleteTopicsSpec,
      body: () => ({
        topicNames: ["dt-missing"],
        topics: [{ name: "dt-missing", topicId: "0".repeat(32) }],
        timeoutMs: 10_000,
      }),
    },
    // ---- produce ----
    {
      name: "produce dt-a/0",
      spec: ProduceSpec,
      versions: range(3, ProduceSpec.maxVersion),
      body: (v) => produce("dt-a", 0, batch(2, `p${v}`))(v),
    },
    // Kafka 4 still advertises Produce v0-2 (for old librdkafka) but refuses them: a topic of their own, so that
    // the gateway's accepting them does not shift dt-a's offsets.
    {
      name: "produce old versions",
      spec: ProduceSpec,
      versions: [0, 1, 2],
      body: produce("dt-old", 0, batch(1, "o")),
    },
    { name: "produce dt-b/0", spec: ProduceSpec, versions: [9], body: produce("dt-b", 0, batch(5, "b")) },
    { name: "produce unknown partition", spec: ProduceSpec, body: produce("dt-a", 99, batch(1, "x")) },
    { name: "produce unknown topic", spec: ProduceSpec, body: produce("dt-missing", 0, batch(1, "x")) },
    { name: "produce bad crc", spec: ProduceSpec, body: produce("dt-a", 1, badCrc()) },
    {
      name: "produce oversize",
      spec: ProduceSpec,
      versions: [3, 9],
      body: produce("dt-a", 1, batch(2, "big", 700_000)),
    },
    { name: "produce acks 2", spec: ProduceSpec, versions: [9], body: produce("dt-a", 1, batch(1, "a2"), 2) },
    // ---- fetch / offsets ----
    { name: "fetch dt-a/0", spec: FetchSpec, body: fetchBody("dt-a", 0, 0) },
    { name: "fetch out of range", spec: FetchSpec, body: fetchBody("dt-a", 0, 1000) },
    { name: "fetch unknown partition", spec: FetchSpec, body: fetchBody("dt-a", 7, 0) },
    { name: "list earliest", spec: ListOffsetsSpec, body: listOffsets("dt-a", 0, -2) },
    { name: "list latest", spec: ListOffsetsSpec, body: listOffsets("dt-a", 0, -1) },
    {
      name: "list by timestamp",
      spec: ListOffsetsSpec,
      versions: all(ListOffsetsSpec).filter((v) => v >= 1),
      body: listOffsets("dt-a", 0, T0 + 1),
    },
    {
      name: "list max timestamp",
      spec: ListOffsetsSpec,
      versions: all(ListOffsetsSpec).filter((v) => v >= 7),
      body: listOffsets("dt-a", 0, -3),
    },
    { name: "list unknown partition", spec: ListOffsetsSpec, body: listOffsets("dt-a", 9, -1) },
    {
      name: "leader epoch 0",
      spec: OffsetForLeaderEpochSpec,
      body: () => ({
        replicaId: -1,
        topics: [{ topic: "dt-a", partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] }],
      }),
    },
    {
      name: "leader epoch unknown partition",
      spec: OffsetForLeaderEpochSpec,
      body: () => ({
        replicaId: -1,
        topics: [{ topic: "dt-a", partitions: [{ partition: 9, currentLeaderEpoch: -1, leaderEpoch: 0 }] }],
      }),
    },
    {
      name: "delete records",
      spec: DeleteRecordsSpec,
      body: (v) => ({
        topics: [{ name: "dt-b", partitions: [{ partitionIndex: 0, offset: v + 1 }] }],
        timeoutMs: 10_000,
      }),
    },
    {
      name: "delete records beyond end",
      spec: DeleteRecordsSpec,
      body: () => ({
        topics: [{ name: "dt-b", partitions: [{ partitionIndex: 0, offset: 100 }] }],
        timeoutMs: 10_000,
      }),
    },
    {
      name: "delete records unknown partition",
      spec: DeleteRecordsSpec,
      body: () => ({
        topics: [{ name: "dt-b", partitions: [{ partitionIndex: 5, offset: 1 }] }],
        timeoutMs: 10_000,
      }),
    },
    {
      name: "list earliest after delete",
      spec: ListOffsetsSpec,
      versions: [9],
      body: listOffsets("dt-b", 0, -2),
    },
    // ---- configs ----
    {
      name: "describe topic configs",
      spec: DescribeConfigsSpec,
      body: configs(TOPIC, "dt-a", ["cleanup.policy", "retention.ms", "max.message.bytes"]),
    },
    {
      name: "describe unknown topic configs",
      spec: DescribeConfigsSpec,
      body: configs(TOPIC, "dt-missing", ["retention.ms"]),
    },
    {
      name: "describe broker config",
      spec: DescribeConfigsSpec,
      body: configs(BROKER, "", ["message.max.bytes"]),
    },
    {
      name: "alter topic config",
      spec: AlterConfigsSpec,
      body: () => ({
        resources: [{
          resourceType: TOPIC,
          resourceName: "dt-b",
          configs: [{ name: "retention.ms", value: "315360000000" }],
        }],
        validateOnly: false,
      }),
    },
    {
      name: "alter unknown config",
      spec: AlterConfigsSpec,
      body: () => ({
        resources: [{
          resourceType: TOPIC,
          resourceName: "dt-b",
          configs: [{ name: "no.such.config", value: "1" }],
        }],
        validateOnly: false,
      }),
    },
    {
      name: "alter unknown topic",
      spec: AlterConfigsSpec,
      body: () => ({
        resources: [{
          resourceType: TOPIC,
          resourceName: "dt-missing",
          configs: [{ name: "retention.ms", value: "1" }],
        }],
        validateOnly: false,
      }),
    },
    {
      name: "incremental set",
      spec: IncrementalAlterConfigsSpec,
      body: () => ({
        resources: [{
          resourceType: TOPIC,
          resourceName: "dt-b",
          configs: [{ name: "retention.ms", configOperation: 0, value: "630720000000" }],
        }],
        validateOnly: false,
      }),
    },
    {
      name: "incremental bad value",
      spec: IncrementalAlterConfigsSpec,
      body: () => ({
        resources: [{
          resourceType: TOPIC,
          resourceName: "dt-b",
          configs: [{ name: "retention.ms", configOperation: 0, value: "abc" }],
        }],
        validateOnly: false,
      }),
    },
    {
      name: "describe altered config",
      spec: DescribeConfigsSpec,
      versions: [4],
      body: configs(TOPIC, "dt-b", ["retention.ms"]),
    },
    // ---- classic groups ----
    {
      name: "wait for the group coordinator",
      spec: FindCoordinatorSpec,
      versions: [FindCoordinatorSpec.maxVersion],
      body: () => ({ keyType: 0, coordinatorKeys: ["dg"] }),
      until: (r) => (r.coordinators as { errorCode: number }[]).every((c) => c.errorCode === 0),
    },
    {
      name: "find group coordinator",
      spec: FindCoordinatorSpec,
      body: () => ({ key: "dg", keyType: 0, coordinatorKeys: ["dg"] }),
    },
    {
      // Kafka answers NOT_COORDINATOR until its __consumer_offsets partition is loaded; then MEMBER_ID_REQUIRED.
      name: "join dg",
      spec: JoinGroupSpec,
      versions: [JoinGroupSpec.maxVersion],
      body: join("dg", "member"),
      until: (r) => r.errorCode === 79,
      capture: captureMember("member", "gen"),
    },
    {
      name: "join per version",
      spec: JoinGroupSpec,
      body: (v, vars) => join(`dg-j${v}`, `m${v}`)(v, vars),
      capture: (r, vars, v) => captureMember(`m${v}`, `g${v}`)(r, vars),
    },
    {
      name: "rejoin with member id",
      spec: JoinGroupSpec,
      versions: range(4, JoinGroupSpec.maxVersion),
      body: (v, vars) => join(`dg-j${v}`, `m${v}`)(v, vars),
    },
    {
      name: "describe per-version groups",
      spec: DescribeGroupsSpec,
      versions: [DescribeGroupsSpec.maxVersion],
      body: () => ({ groups: range(0, JoinGroupSpec.maxVersion).map((v) => `dg-j${v}`) }),
    },
    {
      name: "rejoin dg",
      spec: JoinGroupSpec,
      versions: [9],
      body: join("dg", "member"),
      capture: captureMember("member", "gen"),
    },
    {
      name: "sync dg",
      spec: SyncGroupSpec,
      body: (_v, vars) => ({
        groupId: "dg",
        generationId: vars.gen ?? -1,
        memberId: vars.member ?? "",
        groupInstanceId: null,
        protocolType: "consumer",
        protocolName: "range",
        assignments: [{ memberId: vars.member ?? "", assignment: new Uint8Array([0, 1, 0, 0, 0, 0]) }],
      }),
    },
    {
      name: "sync wrong generation",
      spec: SyncGroupSpec,
      body: (_v, vars) => ({
        groupId: "dg",
        generationId: (vars.gen as number ?? 0) + 5,
        memberId: vars.member ?? "",
        protocolType: "consumer",
        protocolName: "range",
        assignments: [],
      }),
    },
    { name: "heartbeat", spec: HeartbeatSpec, body: heartbeat("dg", 0) },
    { name: "heartbeat wrong generation", spec: HeartbeatSpec, body: heartbeat("dg", 1) },
    { name: "heartbeat unknown member", spec: HeartbeatSpec, body: heartbeat("dg", 0, "nobody") },
    { name: "heartbeat unknown group", spec: HeartbeatSpec, body: heartbeat("dg-none", 0, "nobody") },
    {
      name: "offset commit",
      spec: OffsetCommitSpec,
      body: (v, vars) => offsetCommit("dg", "dt-a", 10 + v)(v, vars),
    },
    {
      name: "offset commit wrong generation",
      spec: OffsetCommitSpec,
      versions: range(1, OffsetCommitSpec.maxVersion),
      body: offsetCommit("dg", "dt-a", 1, 3),
    },
    {
      name: "offset commit unknown topic",
      spec: OffsetCommitSpec,
      body: offsetCommit("dg", "dt-missing", 1),
    },
    { name: "offset fetch", spec: OffsetFetchSpec, body: offsetFetch("dg", "dt-a") },
    { name: "offset fetch unknown group", spec: OffsetFetchSpec, body: offsetFetch("dg-none", "dt-a") },
    {
      name: "describe groups",
      spec: DescribeGroupsSpec,
      body: () => ({ groups: ["dg", "dg-none"], includeAuthorizedOperations: false }),
    },
    { name: "list groups", spec: ListGroupsSpec, body: () => ({ statesFilter: [], typesFilter: [] }) },
    {
      name: "list groups stable",
      spec: ListGroupsSpec,
      versions: range(4, ListGroupsSpec.maxVersion),
      body: () => ({ statesFilter: ["Stable"], typesFilter: [] }),
    },
    {
      name: "leave unknown member",
      spec: LeaveGroupSpec,
      body: () => ({
        groupId: "dg",
        memberId: "nobody",
        members: [{ memberId: "nobody", groupInstanceId: null, reason: null }],
      }),
    },
    {
      name: "leave dg",
      spec: LeaveGroupSpec,
      versions: [LeaveGroupSpec.maxVersion],
      body: (_v, vars) => ({
        groupId: "dg",
        memberId: vars.member,
        members: [{ memberId: vars.member, groupInstanceId: null, reason: "done" }],
      }),
    },
    {
      name: "delete groups",
      spec: DeleteGroupsSpec,
      versions: [DeleteGroupsSpec.maxVersion],
      body: () => ({ groupsNames: ["dg", "dg-none", "dg-j9"] }),
    },
    { name: "delete groups unknown", spec: DeleteGroupsSpec, body: () => ({ groupsNames: ["dg-none"] }) },
    // ---- producers ----
    {
      name: "wait for producer ids",
      spec: InitProducerIdSpec,
      versions: [InitProducerIdSpec.maxVersion],
      body: () => ({
        transactionalId: null,
        transactionTimeoutMs: 60_000,
        producerId: -1,
        producerEpoch: -1,
      }),
      until: (r) => r.errorCode === 0,
    },
    {
      name: "init producer id",
      spec: InitProducerIdSpec,
      body: () => ({
        transactionalId: null,
        transactionTimeoutMs: 60_000,
        producerId: -1,
        producerEpoch: -1,
      }),
    },
    // ---- cluster ----
    {
      name: "describe cluster",
      spec: DescribeClusterSpec,
      body: () => ({ includeClusterAuthorizedOperations: false, endpointType: 1 }),
    },
    // ---- KIP-848 consumer groups ----
    {
      name: "consumer group join",
      spec: ConsumerGroupHeartbeatSpec,
      body: (v) => ({
        groupId: `dcg-${v}`,
        memberId: CG_MEMBER,
        memberEpoch: 0,
        rebalanceTimeoutMs: 30_000,
        subscribedTopicNames: ["dt-a"],
        topicPartitions: [],
      }),
    },
    {
      name: "consumer group unknown member",
      spec: ConsumerGroupHeartbeatSpec,
      body: (v) => ({ groupId: `dcg-${v}`, memberId: "differentialMember9999", memberEpoch: 3 }),
    },
    {
      name: "consumer group leave",
      spec: ConsumerGroupHeartbeatSpec,
      body: (v) => ({ groupId: `dcg-${v}`, memberId: CG_MEMBER, memberEpoch: -1 }),
    },
    // ---- group configs (resource type 32): before the group exists, then in effect on its members ----
    {
      name: "describe group configs of a group that does not exist",
      spec: DescribeConfigsSpec,
      versions: [4],
      body: () => ({
        resources: [{ resourceType: GROUP_CONFIGS, resourceName: "dgc", configurationKeys: null }],
        includeSynonyms: true,
        includeDocumentation: false,
      }),
    },
    {
      name: "set a group's heartbeat interval",
      spec: IncrementalAlterConfigsSpec,
      versions: [1],
      body: () => ({
        resources: [{
          resourceType: GROUP_CONFIGS,
          resourceName: "dgc",
          configs: [{ name: "consumer.heartbeat.interval.ms", configOperation: 0, value: "6000" }],
        }],
        validateOnly: false,
      }),
    },
    {
      name: "group config beyond the broker's bound, unknown name, APPEND",
      spec: IncrementalAlterConfigsSpec,
      versions: [1],
      body: () => ({
        resources: [
          ["dgc", "consumer.session.timeout.ms", 0, "70000"],
          ["dgc-x", "no.such.group.config", 0, "1"],
          ["dgc-y", "share.record.lock.duration.ms", 2, "1"],
        ].map(([resourceName, name, configOperation, value]) => ({
          resourceType: GROUP_CONFIGS,
          resourceName,
          configs: [{ name, configOperation, value }],
        })),
        validateOnly: false,
      }),
    },
    {
      name: "list the groups with configs",
      spec: ListConfigResourcesSpec,
      body: (v) => (v === 0 ? {} : { resourceTypes: [GROUP_CONFIGS] }),
    },
    {
      name: "list config resources of an unknown type",
      spec: ListConfigResourcesSpec,
      versions: [1],
      body: () => ({ resourceTypes: [99] }),
    },
    {
      name: "a member gets its group's heartbeat interval",
      spec: ConsumerGroupHeartbeatSpec,
      body: (v) => ({
        groupId: "dgc",
        memberId: `differentialMemberGc0${v}`,
        memberEpoch: 0,
        rebalanceTimeoutMs: 30_000,
        subscribedTopicNames: ["dt-a"],
        topicPartitions: [],
      }),
    },
    {
      name: "legacy AlterConfigs of a group replaces its configs",
      spec: AlterConfigsSpec,
      versions: [2],
      body: () => ({
        resources: [{
          resourceType: GROUP_CONFIGS,
          resourceName: "dgc",
          configs: [{ name: "share.isolation.level", value: "read_committed" }],
        }],
        validateOnly: false,
      }),
    },
    {
      name: "describe group configs after the changes",
      spec: DescribeConfigsSpec,
      versions: [4],
      body: () => ({
        resources: [{
          resourceType: GROUP_CONFIGS,
          resourceName: "dgc",
          configurationKeys: ["consumer.heartbeat.interval.ms", "share.isolation.level"],
        }],
        includeSynonyms: true,
        includeDocumentation: false,
      }),
      // Kafka's brokers apply a committed config change from the metadata log a moment later
      until: (r) => JSON.stringify(r).includes(`"name":"share.isolation.level","value":"read_committed"`),
    },
    // ---- the rest: offsets, log dirs, producers, transactions, ACLs, quotas, SCRAM, SASL ----
    {
      name: "commit for offset delete",
      spec: OffsetCommitSpec,
      versions: [OffsetCommitSpec.maxVersion],
      body: () => offsetCommit("dg-od", "dt-a", 3, 0, "")(0, { gen: -1 }),
    },
    {
      name: "offset delete",
      spec: OffsetDeleteSpec,
      body: () => ({ groupId: "dg-od", topics: [{ name: "dt-a", partitions: [{ partitionIndex: 0 }] }] }),
    },
    {
      name: "offset delete unknown group",
      spec: OffsetDeleteSpec,
      body: () => ({ groupId: "dg-none", topics: [{ name: "dt-a", partitions: [{ partitionIndex: 0 }] }] }),
    },
    {
      name: "describe log dirs",
      spec: DescribeLogDirsSpec,
      body: () => ({
        topics: [{ topic: "dt-b", partitions: [0] }, { topic: "dt-missing", partitions: [0] }],
      }),
    },
    {
      name: "list partition reassignments",
      spec: ListPartitionReassignmentsSpec,
      body: () => ({ timeoutMs: 30_000, topics: null }),
    },
    {
      // Deterministic whatever the broker ids: unknown partitions, an empty replica list, a broker that does not
      // exist, a cancel with nothing in progress.
      name: "alter partition reassignments refused",
      spec: AlterPartitionReassignmentsSpec,
      body: () => ({
        timeoutMs: 30_000,
        topics: [
          {
            name: "dt-a",
            partitions: [{ partitionIndex: 0, replicas: [] }, { partitionIndex: 9, replicas: [99] }],
          },
          {
            name: "dt-b",
            partitions: [{ partitionIndex: 0, replicas: [99] }, { partitionIndex: 1, replicas: null }],
          },
          { name: "dt-missing", partitions: [{ partitionIndex: 0, replicas: [99] }] },
        ],
      }),
    },
    {
      name: "elect leaders (preferred, unclean)",
      spec: ElectLeadersSpec,
      body: (v) => ({
        electionType: v >= 1 ? 1 : 0,
        topicPartitions: [{ topic: "dt-a", partitions: [0, 9] }, { topic: "dt-missing", partitions: [0] }],
        timeoutMs: 30_000,
      }),
    },
    {
      name: "describe producers",
      spec: DescribeProducersSpec,
      body: () => ({ topics: [{ name: "dt-a", partitionIndexes: [0, 9] }] }),
    },
    {
      // Kafka creates __transaction_state on the first FindCoordinator for a transactional id.
      name: "wait for the transaction coordinator",
      spec: FindCoordinatorSpec,
      versions: [FindCoordinatorSpec.maxVersion],
      body: () => ({ keyType: 1, coordinatorKeys: ["dtx"] }),
      until: (r) => (r.coordinators as { errorCode: number }[]).every((c) => c.errorCode === 0),
    },
    {
      // After the transaction coordinator exists: Kafka creates __transaction_state only then.
      name: "elect leaders, every partition",
      spec: ElectLeadersSpec,
      body: () => ({ electionType: 0, topicPartitions: null, timeoutMs: 30_000 }),
    },
    {
      name: "init transactional producer",
      spec: InitProducerIdSpec,
      versions: [InitProducerIdSpec.maxVersion],
      body: () => ({
        transactionalId: "dtx",
        transactionTimeoutMs: 60_000,
        producerId: -1,
        producerEpoch: -1,
      }),
      until: (r) => r.errorCode === 0,
      capture: (r, vars) => {
        vars.pid = r.producerId;
        vars.epoch = r.producerEpoch;
      },
    },
    {
      name: "add partitions to txn",
      spec: AddPartitionsToTxnSpec,
      versions: [0, 1, 2, 3],
      body: (_v, vars) => ({
        v3AndBelowTransactionalId: "dtx",
        v3AndBelowProducerId: vars.pid,
        v3AndBelowProducerEpoch: vars.epoch,
        v3AndBelowTopics: [{ name: "dt-a", partitions: [1] }],
      }),
    },
    {
      name: "add partitions to txn, wrong epoch",
      spec: AddPartitionsToTxnSpec,
      versions: [3],
      body: (_v, vars) => ({
        v3AndBelowTransactionalId: "dtx",
        v3AndBelowProducerId: vars.pid,
        v3AndBelowProducerEpoch: (vars.epoch as number) + 1,
        v3AndBelowTopics: [{ name: "dt-a", partitions: [1] }],
      }),
    },
    {
      name: "add offsets to txn",
      spec: AddOffsetsToTxnSpec,
      body: (_v, vars) => ({
        transactionalId: "dtx",
        producerId: vars.pid,
        producerEpoch: vars.epoch,
        groupId: "dg-txn",
      }),
    },
    {
      name: "txn offset commit",
      spec: TxnOffsetCommitSpec,
      body: (v, vars) => ({
        transactionalId: "dtx",
        groupId: "dg-txn",
        producerId: vars.pid,
        producerEpoch: vars.epoch,
        generationId: -1,
        memberId: "",
        groupInstanceId: null,
        topics: [{
          name: "dt-a",
          partitions: [{ partitionIndex: 0, committedOffset: v, committedMetadata: null }],
        }],
      }),
    },
    {
      name: "describe ongoing transaction",
      spec: DescribeTransactionsSpec,
      body: () => ({ transactionalIds: ["dtx", "dtx-none"] }),
    },
    {
      name: "list transactions",
      spec: ListTransactionsSpec,
      body: () => ({ stateFilters: [], producerIdFilters: [], durationFilter: -1 }),
    },
    {
      name: "end txn wrong epoch",
      spec: EndTxnSpec,
      body: (_v, vars) => ({
        transactionalId: "dtx",
        producerId: vars.pid,
        producerEpoch: (vars.epoch as number) + 1,
        committed: true,
      }),
    },
    {
      name: "end txn commit",
      spec: EndTxnSpec,
      versions: [EndTxnSpec.maxVersion],
      body: (_v, vars) => ({
        transactionalId: "dtx",
        producerId: vars.pid,
        producerEpoch: vars.epoch,
        committed: true,
      }),
    },
    {
      name: "describe completed transaction",
      spec: DescribeTransactionsSpec,
      versions: [DescribeTransactionsSpec.maxVersion],
      body: () => ({ transactionalIds: ["dtx"] }),
      until: (r) =>
        (r.transactionStates as { transactionState: string }[])[0]?.transactionState === "CompleteCommit",
    },
    {
      name: "end txn without a transaction",
      spec: EndTxnSpec,
      body: (_v, vars) => ({
        transactionalId: "dtx",
        producerId: vars.pid,
        producerEpoch: vars.epoch,
        committed: false,
      }),
    },
    {
      name: "end txn unknown id",
      spec: EndTxnSpec,
      body: () => ({ transactionalId: "dtx-none", producerId: 1, producerEpoch: 0, committed: true }),
    },
    {
      name: "write txn markers to an unknown topic",
      spec: WriteTxnMarkersSpec,
      body: () => ({
        markers: [{
          producerId: 12345,
          producerEpoch: 0,
          transactionResult: false,
          topics: [{ name: "dt-missing", partitionIndexes: [0] }],
          coordinatorEpoch: 0,
        }],
      }),
    },
    {
      name: "describe acls (no authorizer)",
      spec: DescribeAclsSpec,
      body: () => ({
        resourceTypeFilter: 1,
        resourceNameFilter: null,
        patternTypeFilter: 1,
        principalFilter: null,
        hostFilter: null,
        operation: 1,
        permissionType: 1,
      }),
    },
    {
      name: "create acls (no authorizer)",
      spec: CreateAclsSpec,
      body: () => ({
        creations: [{
          resourceType: 2,
          resourceName: "dt-a",
          resourcePatternType: 3,
          principal: "User:alice",
          host: "*",
          operation: 3,
          permissionType: 3,
        }],
      }),
    },
    {
      name: "delete acls (no authorizer)",
      spec: DeleteAclsSpec,
      body: () => ({
        filters: [{
          resourceTypeFilter: 1,
          resourceNameFilter: null,
          patternTypeFilter: 1,
          principalFilter: null,
          hostFilter: null,
          operation: 1,
          permissionType: 1,
        }],
      }),
    },
    {
      name: "alter client quota",
      spec: AlterClientQuotasSpec,
      body: (v) => ({
        entries: [{
          entity: [{ entityType: "client-id", entityName: `dq${v}` }],
          ops: [{ key: "producer_byte_rate", value: 1024 * (v + 1), remove: false }],
        }],
        validateOnly: false,
      }),
    },
    {
      name: "alter client quota, unknown key",
      spec: AlterClientQuotasSpec,
      body: () => ({
        entries: [{
          entity: [{ entityType: "client-id", entityName: "dq" }],
          ops: [{ key: "no_such_quota", value: 1, remove: false }],
        }],
        validateOnly: false,
      }),
    },
    {
      name: "describe client quotas",
      spec: DescribeClientQuotasSpec,
      body: () => ({ components: [{ entityType: "client-id", matchType: 2, match: null }], strict: false }),
      until: (r) => (r.entries as unknown[] | null)?.length === 2,
    },
    {
      name: "alter scram credentials",
      spec: AlterUserScramCredentialsSpec,
      body: () => ({
        deletions: [{ name: "dnobody", mechanism: 1 }],
        upsertions: [{
          name: "duser",
          mechanism: 1,
          iterations: 8192,
          salt: new Uint8Array(16).fill(7),
          saltedPassword: new Uint8Array(32).fill(9),
        }],
      }),
    },
    {
      name: "describe scram credentials",
      spec: DescribeUserScramCredentialsSpec,
      body: () => ({ users: [{ name: "duser" }, { name: "dnobody" }] }),
      until: (r) => (r.results as { errorCode: number }[]).some((x) => x.errorCode === 0),
    },
    {
      name: "sasl handshake on a plaintext listener",
      spec: SaslHandshakeSpec,
      body: () => ({ mechanism: "PLAIN" }),
    },
    {
      name: "sasl authenticate without handshake",
      spec: SaslAuthenticateSpec,
      body: () => ({ authBytes: enc.encode("\0u\0p") }),
    },
    {
      name: "consumer group describe",
      spec: ConsumerGroupDescribeSpec,
      body: () => ({ groupIds: ["dcg-0", "dg-none"], includeAuthorizedOperations: false }),
    },
    // ---- unsupported versions of other APIs ----
    {
      name: "metadata unsupported version",
      spec: MetadataSpec,
      versions: [99],
      anyVersion: true,
      body: () => ({ topics: [] }),
    },
  ];
}

/** Advertised versions the script leaves out, with why. */
const NOT_SCRIPTED = new Set([
  // AddPartitionsToTxn v4+ is the brokers' own verification call (KIP-890), clients never send it.
  `${AddPartitionsToTxnSpec.key}v4`,
]);

function coverageTable(coverage: Map<string, Set<number>>): string {
  return [...coverage].map(([api, vs]) => `${api} ${[...vs].sort((a, b) => a - b).join(",")}`).join("\n");
}

/** Kafka 3.x line that still serves the versions Kafka 4.0 removed (KIP-896), for the second comparison. */
const KAFKA_3 = "3.9.1";

/** Differences no ALLOWED entry explains, as one error (or none). */
function unexplainedError(differences: Difference[], against: string): Error | null {
  const unexplained = differences.filter((d) => !allowedBy(d, ALLOWED));
  if (unexplained.length === 0) return null;
  return new Error(
    `${unexplained.length} differences from Apache Kafka ${against} not in differential_allowed.ts:\n` +
      unexplained.map(formatDifference).join("\n"),
  );
}

/** The script against a fresh Apache Kafka (`version`, default the pom's) and a fresh gateway. */
async function compare(version?: string) {
  const [kafka, gw] = await Promise.all([
    startApacheKafka(["auto.create.topics.enable=false"], version),
    startGateway({ args: ["--auto-create-topics", "false"] }),
  ]);
  const k = new Endpoint("kafka", Number(kafka.bootstrap.split(":")[1]));
  const g = new Endpoint("gateway", gw.port);
  try {
    return { gatewayRanges: await advertised(g), res: await runScript(script(), k, g, IGNORED) };
  } finally {
    k.reset();
    g.reset();
    await Promise.all([kafka.stop(), gw.stop()]);
  }
}

Deno.test({
  name:
    "differential: the gateway answers the scripted requests as Apache Kafka 4.1 does, and the versions Kafka 4 " +
    `dropped as Kafka ${KAFKA_3} does`,
  sanitizeOps: false,
  sanitizeResources: false,
  ignore: (await kafkaTools()).ignore,
  fn: async () => {
    const started = Date.now();
    const { gatewayRanges, res } = await compare();
    // Every API and version the gateway advertises has a step (a new API or version needs one here).
    const missing: string[] = [];
    for (const [key, [lo, hi]] of gatewayRanges) {
      for (let v = lo; v <= hi; v++) {
        if (!res.scripted.get(key)?.has(v) && !NOT_SCRIPTED.has(`${key}v${v}`)) {
          missing.push(`key ${key} v${v}`);
        }
      }
    }
    assertEquals(missing, [], "advertised API versions without a step");
    const unexplained = unexplainedError(res.differences, "4.1");
    console.log(
      `differential: ${res.exchanges} exchanges, ${res.differences.length} differences in ${
        Date.now() - started
      } ms\n${coverageTable(res.coverage)}\nnot served by Kafka 4.1 (compared with ${KAFKA_3} below):\n${
        coverageTable(res.kafkaLacks)
      }`,
    );
    if (Deno.env.get("DIFF_VERBOSE")) { for (const d of res.differences) console.log(formatDifference(d)); }
    assert(res.exchanges > 100, "the script ran");
    if (unexplained) throw unexplained;

    // The versions Kafka 4 no longer serves, which the gateway keeps for old clients: the same script against
    // Kafka 3.9, differences counted for those versions only (the others were compared with 4.1 above).
    const t3 = Date.now();
    const old = (await compare(KAFKA_3)).res;
    const dropped = (d: { api: string; version: number }) =>
      res.kafkaLacks.get(d.api)?.has(d.version) ?? false;
    const notIn3: string[] = [];
    for (const [api, vs] of res.kafkaLacks) {
      for (const v of vs) if (!old.coverage.get(api)?.has(v)) notIn3.push(`${api} v${v}`);
    }
    const oldDiffs = old.differences.filter(dropped);
    console.log(
      `differential against Kafka ${KAFKA_3}, the versions Kafka 4 dropped: ${
        [...res.kafkaLacks.values()].reduce((n, vs) => n + vs.size, 0)
      } API versions, ${oldDiffs.length} differences in ${Date.now() - t3} ms`,
    );
    if (Deno.env.get("DIFF_VERBOSE")) { for (const d of oldDiffs) console.log(formatDifference(d)); }
    assertEquals(notIn3, [], `versions neither Kafka 4.1 nor ${KAFKA_3} serves`);
    // ALLOWED entries no difference of either run matched: stale (the gateway now agrees) or timing-dependent
    const used = new Set([...res.differences, ...oldDiffs].map((d) => allowedBy(d, ALLOWED)));
    const unused = ALLOWED.filter((a) => !used.has(a)).map((a) => `${a.api}: ${a.why.slice(0, 70)}`);
    if (unused.length > 0) console.log(`allowed entries not needed this run:\n  ${unused.join("\n  ")}`);
    const unexplained3 = unexplainedError(oldDiffs, KAFKA_3);
    if (unexplained3) throw unexplained3;
  },
});
