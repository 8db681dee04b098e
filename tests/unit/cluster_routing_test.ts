// The handlers as one gateway of a multi-gateway cluster (a FakeCluster decides leaders, epochs, live brokers and
// group coordinators), over an embedded log in a temp dir. Requests and responses go through the real codecs (the
// request encoded and decoded, the handler's answer encoded and decoded at the tested version), so what is asserted
// is what a client would read: Metadata brokers, leaders and LEADER_NOT_AVAILABLE; FindCoordinator pointing at
// another gateway; NOT_COORDINATOR on every group API and ListGroups showing only this gateway's groups;
// NOT_LEADER_OR_FOLLOWER with the current leader and its endpoint (Produce v10+, Fetch v12+/v16+); leader epochs
// stamped on produce and on fetch; FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH; ListOffsets' leader epochs;
// OffsetForLeaderEpoch from the cluster's epoch history. A SoloCluster case pins today's solo answers.
import { assert, assertEquals } from "./assert.ts";
import { Reader, Writer } from "../../src/protocol/codec.ts";
import { type ApiSpec, compile, type ResponseOf } from "../../src/protocol/schema.ts";
import { ErrorCode } from "../../src/protocol/errors.ts";
import { loadConfig } from "../../src/configs/options.ts";
import { logger } from "../../src/log.ts";
import type { Broker, RequestContext } from "../../src/request/context.ts";
import { buildRegistry } from "../../src/handlers/apis.ts";
import { EmbeddedStorage } from "../../src/storage/embedded/embedded.ts";
import { ConfigModel } from "../../src/configs/model.ts";
import { GroupCoordinator } from "../../src/groups/coordinator.ts";
import { ProducerManager } from "../../src/producer/manager.ts";
import { ANONYMOUS } from "../../src/request/authenticate.ts";
import type { ClusterView } from "../../src/cluster/view.ts";
import { CONSUMER_OFFSETS_TOPIC } from "../../src/cluster/view.ts";
import { SoloCluster } from "../../src/cluster/solo.ts";
import { buildBatchSync, PARTITION_LEADER_EPOCH_OFFSET, splitBatches } from "../../src/records/batch.ts";
import { getInt32 } from "../../src/protocol/codec.ts";
import { FakeCluster, groupOnPartition } from "../helpers/fake_cluster.ts";
import { MetadataSpec } from "../../src/protocol/messages/metadata.ts";
import { DescribeClusterSpec } from "../../src/protocol/messages/describe_cluster.ts";
import { FindCoordinatorSpec } from "../../src/protocol/messages/find_coordinator.ts";
import { JoinGroupSpec } from "../../src/protocol/messages/join_group.ts";
import { SyncGroupSpec } from "../../src/protocol/messages/sync_group.ts";
import { HeartbeatSpec } from "../../src/protocol/messages/heartbeat.ts";
import { LeaveGroupSpec } from "../../src/protocol/messages/leave_group.ts";
import { OffsetCommitSpec } from "../../src/protocol/messages/offset_commit.ts";
import { OffsetFetchSpec } from "../../src/protocol/messages/offset_fetch.ts";
import { OffsetDeleteSpec } from "../../src/protocol/messages/offset_delete.ts";
import { DescribeGroupsSpec } from "../../src/protocol/messages/describe_groups.ts";
import { ListGroupsSpec } from "../../src/protocol/messages/list_groups.ts";
import { DeleteGroupsSpec } from "../../src/protocol/messages/delete_groups.ts";
import { ProduceSpec } from "../../src/protocol/messages/produce.ts";
import { FetchSpec } from "../../src/protocol/messages/fetch.ts";
import { ListOffsetsSpec } from "../../src/protocol/messages/list_offsets.ts";
import { OffsetForLeaderEpochSpec } from "../../src/protocol/messages/offset_for_leader_epoch.ts";
import { CreateTopicsSpec } from "../../src/protocol/messages/create_topics.ts";
import { CreatePartitionsSpec } from "../../src/protocol/messages/create_partitions.ts";
import { DeleteRecordsSpec } from "../../src/protocol/messages/delete_records.ts";
import { DescribeLogDirsSpec } from "../../src/protocol/messages/describe_log_dirs.ts";

// ------------------------------------------------------------------------------------------------- fixtures

const SELF = 1;
const BROKERS = [
  { nodeId: 1, host: "gw1.test", port: 9092, rack: "rack-a" },
  { nodeId: 2, host: "gw2.test", port: 9093, rack: "rack-b" },
  { nodeId: 3, host: "gw3.test", port: 9094, rack: null },
];
const enc = new TextEncoder();
const registry = buildRegistry();

interface Node {
  readonly broker: Broker;
  readonly storage: EmbeddedStorage;
  readonly coordinator: GroupCoordinator;
  readonly shutdown: AbortController;
  /** One request through the real codecs: encoded, decoded, handled, answered, decoded at `version`. */
  call<S extends ApiSpec>(spec: S, version: number, body: Record<string, unknown>): Promise<ResponseOf<S>>;
  close(): Promise<void>;
}

async function node(cluster: ClusterView): Promise<Node> {
  const dir = await Deno.makeTempDir({ prefix: "cluster_routing_test_" });
  const { config } = loadConfig({
    argv: ["--data-dir", dir, "--node-id", String(SELF)],
    env: () => undefined,
    readFile: () => undefined,
  });
  const storage = new EmbeddedStorage({ dataDir: dir, log: () => {} });
  await storage.open();
  const configs = new ConfigModel(config, storage);
  configs.load();
  // A coordinator that holds every group (no cluster given): the handlers alone decide NOT_COORDINATOR here.
  const coordinator = new GroupCoordinator(
    storage.groupStore(),
    {
      initialRebalanceDelayMs: 0,
      minSessionTimeoutMs: 100,
      maxSessionTimeoutMs: 60_000,
      maxGroupSize: 100,
      offsetsRetentionMs: 60_000,
      offsetsRetentionCheckIntervalMs: 3_600_000,
      offsetMetadataMaxBytes: 4096,
    },
    logger("test"),
    (t, p) => (storage.getTopic(t)?.partitions ?? 0) > p,
  );
  await coordinator.start();
  const producers = new ProducerManager(storage, { log: logger("test") });
  const shutdown = new AbortController();
  const broker: Broker = {
    config,
    storage,
    coordinator,
    producers,
    configs,
    clusterId: "routing-test",
    cluster,
    shutdown: shutdown.signal,
    log: logger("test"),
    metrics: null,
  };
  return {
    broker,
    storage,
    coordinator,
    shutdown,
    async call<S extends ApiSpec>(spec: S, version: number, body: Record<string, unknown>) {
      const untyped: ApiSpec = spec;
      const w = new Writer();
      compile(untyped).encodeRequest(w, version, body);
      const entry = registry.get(spec.key)!;
      const req = entry.codec.decodeRequest(new Reader(w.finish()), version);
      const ctx: RequestContext = {
        broker,
        header: { apiKey: spec.key, apiVersion: version, correlationId: 1, clientId: "routing-test" },
        connectionId: 1,
        clientHost: "/127.0.0.1",
        log: logger("test"),
        principal: ANONYMOUS,
        listener: { name: "PLAINTEXT", securityProtocol: "PLAINTEXT", host: "127.0.0.1", port: 9092 },
      };
      const answer = await entry.handle(ctx, req) as Record<string, unknown>;
      const out = new Writer();
      entry.codec.encodeResponse(out, version, { throttleTimeMs: 0, ...answer });
      const r = new Reader(out.finish());
      const decoded = compile(spec).decodeResponse(r, version);
      assertEquals(r.remaining, 0, "response fully decoded");
      return decoded;
    },
    async close() {
      shutdown.abort();
      await producers.close();
      await coordinator.close();
      await storage.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

function fake(): FakeCluster {
  return new FakeCluster({ nodeId: SELF, brokers: BROKERS, controllerId: 3 });
}

function batch(values: string[], opts: { producerId?: number; baseSequence?: number } = {}): Uint8Array {
  return buildBatchSync({
    records: values.map((v) => ({ value: enc.encode(v) })),
    baseTimestamp: 1_700_000_000_000,
    producerId: opts.producerId ?? -1,
    producerEpoch: opts.producerId === undefined ? -1 : 0,
    baseSequence: opts.baseSequence ?? -1,
    // What a client sends is overwritten by the serving epoch.
    partitionLeaderEpoch: 42,
  });
}

/** partitionLeaderEpoch of every batch in a records buffer. */
function epochsOf(records: Uint8Array | readonly Uint8Array[] | null | undefined): number[] {
  if (!records) return [];
  if (!(records instanceof Uint8Array)) return records.flatMap((r) => epochsOf(r));
  return splitBatches(records).map((b) => getInt32(records, b.pos + PARTITION_LEADER_EPOCH_OFFSET));
}

function produceBody(
  topic: string,
  parts: { index: number; records: Uint8Array }[],
): Record<string, unknown> {
  return {
    transactionalId: null,
    acks: -1,
    timeoutMs: 1000,
    topicData: [{ name: topic, partitionData: parts }],
  };
}

function fetchBody(
  topic: string,
  topicId: string,
  parts: { partition: number; fetchOffset?: number; currentLeaderEpoch?: number }[],
): Record<string, unknown> {
  return {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{
      topic,
      topicId,
      partitions: parts.map((p) => ({
        partition: p.partition,
        currentLeaderEpoch: p.currentLeaderEpoch ?? -1,
        fetchOffset: p.fetchOffset ?? 0,
        lastFetchedEpoch: -1,
        logStartOffset: -1,
        partitionMaxBytes: 1 << 20,
      })),
    }],
    forgottenTopicsData: [],
    rackId: "",
  };
}

// ------------------------------------------------------------------------------------------------- metadata

Deno.test("Metadata and DescribeCluster: live gateways with racks, controller, leaders and epochs", async () => {
  const c = fake();
  const n = await node(c);
  try {
    await n.storage.createTopic("t", 4, {});
    c.setLeader("t", 0, SELF, 5);
    c.setLeader("t", 1, 2, 7);
    // p2: no leader at all; p3: led by a gateway whose lease lapsed (not a live broker).
    c.setLeader("t", 3, 9, 4);
    const md = await n.call(MetadataSpec, 12, {
      topics: [{ topicId: "0".repeat(32), name: "t" }],
      allowAutoTopicCreation: false,
      includeTopicAuthorizedOperations: false,
    });
    assertEquals(md.brokers, BROKERS);
    assertEquals(md.controllerId, 3);
    const parts = md.topics[0].partitions.map((p) => [
      p.partitionIndex,
      p.errorCode,
      p.leaderId,
      p.leaderEpoch,
      p.replicaNodes,
      p.isrNodes,
    ]);
    assertEquals(parts, [
      [0, ErrorCode.NONE, 1, 5, [1], [1]],
      [1, ErrorCode.NONE, 2, 7, [2], [2]],
      [2, ErrorCode.LEADER_NOT_AVAILABLE, -1, -1, [], []],
      [3, ErrorCode.LEADER_NOT_AVAILABLE, -1, 4, [], []],
    ]);
    // All topics: __consumer_offsets is not a storage topic and is not listed.
    const all = await n.call(MetadataSpec, 1, { topics: null });
    assertEquals(all.topics.map((t) => t.name), ["t"]);
    assertEquals(all.brokers.map((b) => b.rack), ["rack-a", "rack-b", null]);

    const dc = await n.call(DescribeClusterSpec, 1, {
      includeClusterAuthorizedOperations: false,
      endpointType: 1,
    });
    assertEquals(dc.controllerId, 3);
    assertEquals(
      dc.brokers,
      BROKERS.map((b) => ({ brokerId: b.nodeId, host: b.host, port: b.port, rack: b.rack })),
    );
  } finally {
    await n.close();
  }
});

// ------------------------------------------------------------------------------------------------- groups

Deno.test("FindCoordinator: the group's coordinator is another gateway, or COORDINATOR_NOT_AVAILABLE", async () => {
  const c = fake();
  const n = await node(c);
  try {
    const there = groupOnPartition(0);
    const here = groupOnPartition(1);
    const none = groupOnPartition(2);
    const gone = groupOnPartition(3);
    c.setCoordinator(there, 2);
    c.setCoordinator(here, SELF);
    c.setCoordinator(gone, 9); // not a live broker
    const v3 = await n.call(FindCoordinatorSpec, 3, { key: there, keyType: 0 });
    assertEquals([v3.errorCode, v3.nodeId, v3.host, v3.port], [ErrorCode.NONE, 2, "gw2.test", 9093]);
    const v0 = await n.call(FindCoordinatorSpec, 0, { key: none });
    assertEquals([v0.errorCode, v0.nodeId], [ErrorCode.COORDINATOR_NOT_AVAILABLE, -1]);
    const v4 = await n.call(FindCoordinatorSpec, 4, {
      keyType: 0,
      coordinatorKeys: [there, here, none, gone],
    });
    assertEquals(v4.coordinators!.map((k) => [k.key, k.errorCode, k.nodeId, k.host, k.port]), [
      [there, ErrorCode.NONE, 2, "gw2.test", 9093],
      [here, ErrorCode.NONE, 1, "gw1.test", 9092],
      [none, ErrorCode.COORDINATOR_NOT_AVAILABLE, -1, "", -1],
      [gone, ErrorCode.COORDINATOR_NOT_AVAILABLE, -1, "", -1],
    ]);
    // A transactional id's coordinator is found the same way (the leader of its __consumer_offsets partition).
    const txn = await n.call(FindCoordinatorSpec, 4, { keyType: 1, coordinatorKeys: [there] });
    assertEquals([txn.coordinators![0].errorCode, txn.coordinators![0].nodeId], [ErrorCode.NONE, 2]);
  } finally {
    await n.close();
  }
});

Deno.test("group APIs: NOT_COORDINATOR for a group coordinated elsewhere, before the coordinator is asked", async () => {
  const c = fake();
  const n = await node(c);
  try {
    await n.storage.createTopic("t", 1, {});
    const g = groupOnPartition(0);
    const mine = groupOnPartition(1);
    c.setCoordinator(g, 2);
    c.setCoordinator(mine, SELF);
    const protocols = [{ name: "range", metadata: enc.encode("m") }];
    const join = await n.call(JoinGroupSpec, 9, {
      groupId: g,
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 10_000,
      memberId: "",
      groupInstanceId: null,
      protocolType: "consumer",
      protocols,
      reason: null,
    });
    assertEquals([join.errorCode, join.generationId], [ErrorCode.NOT_COORDINATOR, -1]);
    const join0 = await n.call(JoinGroupSpec, 0, {
      groupId: g,
      sessionTimeoutMs: 10_000,
      memberId: "",
      protocolType: "consumer",
      protocols,
    });
    assertEquals(join0.errorCode, ErrorCode.NOT_COORDINATOR);
    assertEquals(n.coordinator.groupState(g), undefined, "no group created for another coordinator");
    const sync = await n.call(SyncGroupSpec, 5, {
      groupId: g,
      generationId: 1,
      memberId: "m",
      groupInstanceId: null,
      protocolType: "consumer",
      protocolName: "range",
      assignments: [],
    });
    assertEquals(sync.errorCode, ErrorCode.NOT_COORDINATOR);
    const hb = await n.call(HeartbeatSpec, 4, {
      groupId: g,
      generationId: 1,
      memberId: "m",
      groupInstanceId: null,
    });
    assertEquals(hb.errorCode, ErrorCode.NOT_COORDINATOR);
    const leave0 = await n.call(LeaveGroupSpec, 0, { groupId: g, memberId: "m" });
    assertEquals(leave0.errorCode, ErrorCode.NOT_COORDINATOR);
    const leave5 = await n.call(LeaveGroupSpec, 5, {
      groupId: g,
      members: [{ memberId: "m", groupInstanceId: null, reason: null }],
    });
    assertEquals([leave5.errorCode, leave5.members], [ErrorCode.NOT_COORDINATOR, []]);
    const commit = await n.call(OffsetCommitSpec, 8, {
      groupId: g,
      generationIdOrMemberEpoch: -1,
      memberId: "",
      groupInstanceId: null,
      topics: [{
        name: "t",
        partitions: [{
          partitionIndex: 0,
          committedOffset: 3,
          committedLeaderEpoch: -1,
          committedMetadata: null,
        }],
      }],
    });
    assertEquals(commit.topics[0].partitions[0].errorCode, ErrorCode.NOT_COORDINATOR);
    // OffsetFetch v1 (per partition), v7 (top level), v8 (per group: the group coordinated here is answered).
    const f1 = await n.call(OffsetFetchSpec, 1, {
      groupId: g,
      topics: [{ name: "t", partitionIndexes: [0] }],
    });
    assertEquals(f1.topics![0].partitions.map((p) => [p.errorCode, p.committedOffset]), [[
      ErrorCode.NOT_COORDINATOR,
      -1,
    ]]);
    const f7 = await n.call(OffsetFetchSpec, 7, { groupId: g, topics: null, requireStable: false });
    assertEquals([f7.errorCode, f7.topics], [ErrorCode.NOT_COORDINATOR, []]);
    const f8 = await n.call(OffsetFetchSpec, 8, {
      groups: [{ groupId: g, topics: null }, { groupId: mine, topics: null }],
      requireStable: false,
    });
    assertEquals(f8.groups!.map((x) => [x.groupId, x.errorCode]), [[g, ErrorCode.NOT_COORDINATOR], [
      mine,
      ErrorCode.NONE,
    ]]);
    const od = await n.call(OffsetDeleteSpec, 0, {
      groupId: g,
      topics: [{ name: "t", partitions: [{ partitionIndex: 0 }] }],
    });
    assertEquals(od.errorCode, ErrorCode.NOT_COORDINATOR);
    const dg = await n.call(DescribeGroupsSpec, 5, { groups: [g, mine], includeAuthorizedOperations: false });
    assertEquals(dg.groups.map((x) => [x.groupId, x.errorCode]), [[g, ErrorCode.NOT_COORDINATOR], [
      mine,
      ErrorCode.NONE,
    ]]);
    const del = await n.call(DeleteGroupsSpec, 2, { groupsNames: [g, ""] });
    assertEquals(del.results.map((x) => x.errorCode), [
      ErrorCode.NOT_COORDINATOR,
      ErrorCode.INVALID_GROUP_ID,
    ]);
    // A takeover still running (this gateway leads the partition but does not serve it yet) is no coordinator yet.
    c.setCoordinator(mine, SELF, 2, false);
    const hb2 = await n.call(HeartbeatSpec, 0, { groupId: mine, generationId: 1, memberId: "m" });
    assertEquals(hb2.errorCode, ErrorCode.NOT_COORDINATOR);
  } finally {
    await n.close();
  }
});

Deno.test("ListGroups: only the groups this gateway coordinates", async () => {
  const c = fake();
  const n = await node(c);
  try {
    await n.storage.createTopic("t", 1, {});
    const a = groupOnPartition(0, 4, "a-");
    const b = groupOnPartition(1, 4, "b-");
    c.setCoordinator(a, SELF);
    c.setCoordinator(b, SELF);
    for (const groupId of [a, b]) {
      const r = await n.call(OffsetCommitSpec, 2, {
        groupId,
        generationIdOrMemberEpoch: -1,
        memberId: "",
        retentionTimeMs: -1,
        topics: [{
          name: "t",
          partitions: [{ partitionIndex: 0, committedOffset: 1, committedMetadata: null }],
        }],
      });
      assertEquals(r.topics[0].partitions[0].errorCode, ErrorCode.NONE);
    }
    const before = await n.call(ListGroupsSpec, 4, { statesFilter: [] });
    assertEquals(before.groups.map((g) => g.groupId).sort(), [a, b]);
    c.setCoordinator(b, 2, 2); // b's partition moved to gateway 2
    const after = await n.call(ListGroupsSpec, 4, { statesFilter: [] });
    assertEquals(after.groups.map((g) => g.groupId), [a]);
  } finally {
    await n.close();
  }
});

// ------------------------------------------------------------------------------------------------- produce

Deno.test("Produce: NOT_LEADER_OR_FOLLOWER without hints before v10, with the current leader and its endpoint from v10", async () => {
  const c = fake();
  const n = await node(c);
  try {
    await n.storage.createTopic("t", 3, {});
    c.setLeader("t", 0, SELF, 5);
    c.setLeader("t", 1, 2, 7);
    // p2 has no leader.
    const parts = [0, 1, 2].map((index) => ({ index, records: batch([`v${index}`]) }));
    const v9 = await n.call(ProduceSpec, 9, produceBody("t", parts));
    const r9 = v9.responses[0].partitionResponses;
    assertEquals(r9.map((p) => p.errorCode), [
      ErrorCode.NONE,
      ErrorCode.NOT_LEADER_OR_FOLLOWER,
      ErrorCode.NOT_LEADER_OR_FOLLOWER,
    ]);
    assertEquals(r9[1].currentLeader, { leaderId: -1, leaderEpoch: -1 }, "no hint before v10");
    assertEquals(v9.nodeEndpoints, []);

    for (const v of [10, 11]) {
      const res = await n.call(
        ProduceSpec,
        v,
        produceBody("t", parts.map((p) => ({ ...p, records: batch(["x"]) }))),
      );
      const r = res.responses[0].partitionResponses;
      assertEquals(r.map((p) => [p.errorCode, p.currentLeader]), [
        [ErrorCode.NONE, { leaderId: -1, leaderEpoch: -1 }],
        [ErrorCode.NOT_LEADER_OR_FOLLOWER, { leaderId: 2, leaderEpoch: 7 }],
        [ErrorCode.NOT_LEADER_OR_FOLLOWER, { leaderId: -1, leaderEpoch: -1 }],
      ]);
      assertEquals(res.nodeEndpoints, [{ nodeId: 2, host: "gw2.test", port: 9093, rack: "rack-b" }]);
    }
    // Nothing was written where this gateway does not lead.
    assertEquals((await n.storage.offsets("t", 1)).highWatermark, 0);
    assertEquals((await n.storage.offsets("t", 2)).highWatermark, 0);
    // A takeover in progress: this gateway is named leader but does not serve yet.
    c.setLeader("t", 0, SELF, 6, { serving: false, start: 3 });
    const taking = await n.call(ProduceSpec, 11, produceBody("t", [{ index: 0, records: batch(["y"]) }]));
    const p0 = taking.responses[0].partitionResponses[0];
    assertEquals([p0.errorCode, p0.currentLeader], [ErrorCode.NOT_LEADER_OR_FOLLOWER, {
      leaderId: 1,
      leaderEpoch: 6,
    }]);
    assertEquals(taking.nodeEndpoints, [{ nodeId: 1, host: "gw1.test", port: 9092, rack: "rack-a" }]);
  } finally {
    await n.close();
  }
});

Deno.test("Produce stamps the serving leader epoch; an epoch change before the append refuses it, without a gap in sequences", async () => {
  const c = fake();
  const n = await node(c);
  try {
    await n.storage.createTopic("t", 1, {});
    c.setLeader("t", 0, SELF, 5);
    const plain = await n.call(ProduceSpec, 9, produceBody("t", [{ index: 0, records: batch(["a", "b"]) }]));
    assertEquals(plain.responses[0].partitionResponses[0].errorCode, ErrorCode.NONE);
    const pid = 4242;
    const first = await n.call(
      ProduceSpec,
      9,
      produceBody("t", [{ index: 0, records: batch(["c"], { producerId: pid, baseSequence: 0 }) }]),
    );
    assertEquals(first.responses[0].partitionResponses[0].baseOffset, 2);
    let read = await n.storage.read("t", 0, 0, 1 << 20, true);
    assertEquals(read.batches.flatMap((b) => epochsOf(b)), [5, 5]);

    // Leadership moves away and back (epoch 6) while the request is on its way to the append: refused.
    const racing = n.call(
      ProduceSpec,
      10,
      produceBody("t", [{ index: 0, records: batch(["d"], { producerId: pid, baseSequence: 1 }) }]),
    );
    c.setLeader("t", 0, SELF, 6, { start: 3 });
    const refused = (await racing).responses[0].partitionResponses[0];
    assertEquals([refused.errorCode, refused.currentLeader], [
      ErrorCode.NOT_LEADER_OR_FOLLOWER,
      { leaderId: 1, leaderEpoch: 6 },
    ]);
    assert(
      refused.errorMessage?.includes("changed from 5 to 6"),
      `refused at the append: ${refused.errorMessage}`,
    );
    assertEquals((await n.storage.offsets("t", 0)).highWatermark, 3, "nothing written");
    // The retry under the new epoch is accepted in sequence (the refused batch left no reservation).
    const retry = await n.call(
      ProduceSpec,
      10,
      produceBody("t", [{ index: 0, records: batch(["d"], { producerId: pid, baseSequence: 1 }) }]),
    );
    const ok = retry.responses[0].partitionResponses[0];
    assertEquals([ok.errorCode, ok.baseOffset], [ErrorCode.NONE, 3]);
    read = await n.storage.read("t", 0, 0, 1 << 20, true);
    assertEquals(read.batches.flatMap((b) => epochsOf(b)), [5, 5, 6]);
  } finally {
    await n.close();
  }
});

// ------------------------------------------------------------------------------------------------- fetch

Deno.test("Fetch: NOT_LEADER_OR_FOLLOWER with hints (v12+, endpoints v16+), leader epoch fencing, stamped epochs", async () => {
  const c = fake();
  const n = await node(c);
  try {
    const meta = await n.storage.createTopic("t", 2, {});
    c.setLeader("t", 0, SELF, 5);
    c.setLeader("t", 1, 3, 8);
    // Two batches produced under epoch 5 (stamped 5 in the log) ...
    for (const v of [["a", "b"], ["c", "d"]]) {
      await n.call(ProduceSpec, 9, produceBody("t", [{ index: 0, records: batch(v) }]));
    }
    // ... while the history says offsets 0-1 were written under epoch 3: fetch stamps what the history says.
    c.setHistory("t", 0, [[3, 0], [5, 2]]);
    const f = await n.call(
      FetchSpec,
      16,
      fetchBody("t", meta.id, [{ partition: 0, currentLeaderEpoch: 5 }, { partition: 1 }]),
    );
    const [p0, p1] = f.responses[0].partitions;
    assertEquals(p0.errorCode, ErrorCode.NONE);
    assertEquals(epochsOf(p0.records), [3, 5]);
    assertEquals([p1.errorCode, p1.currentLeader], [ErrorCode.NOT_LEADER_OR_FOLLOWER, {
      leaderId: 3,
      leaderEpoch: 8,
    }]);
    assertEquals(f.nodeEndpoints, [{ nodeId: 3, host: "gw3.test", port: 9094, rack: null }]);

    // v12-15: the current leader, no endpoints; v11: neither.
    const f12 = await n.call(FetchSpec, 12, fetchBody("t", meta.id, [{ partition: 1 }]));
    assertEquals(f12.responses[0].partitions[0].currentLeader, { leaderId: 3, leaderEpoch: 8 });
    const f11 = await n.call(FetchSpec, 11, fetchBody("t", meta.id, [{ partition: 1 }]));
    const p11 = f11.responses[0].partitions[0];
    assertEquals([p11.errorCode, p11.currentLeader], [ErrorCode.NOT_LEADER_OR_FOLLOWER, {
      leaderId: -1,
      leaderEpoch: -1,
    }]);

    // current_leader_epoch: older -> FENCED_LEADER_EPOCH (with the leader), newer -> UNKNOWN_LEADER_EPOCH.
    const fenced = await n.call(
      FetchSpec,
      13,
      fetchBody("t", meta.id, [{ partition: 0, currentLeaderEpoch: 4 }]),
    );
    const pf = fenced.responses[0].partitions[0];
    assertEquals([pf.errorCode, pf.currentLeader, epochsOf(pf.records)], [
      ErrorCode.FENCED_LEADER_EPOCH,
      { leaderId: 1, leaderEpoch: 5 },
      [],
    ]);
    const ahead = await n.call(
      FetchSpec,
      9,
      fetchBody("t", meta.id, [{ partition: 0, currentLeaderEpoch: 6 }]),
    );
    assertEquals(ahead.responses[0].partitions[0].errorCode, ErrorCode.UNKNOWN_LEADER_EPOCH);
    // Not serving: the epoch is still checked against the one this gateway knows, as a Kafka follower does.
    const staleElsewhere = await n.call(
      FetchSpec,
      12,
      fetchBody("t", meta.id, [{ partition: 1, currentLeaderEpoch: 7 }]),
    );
    assertEquals(staleElsewhere.responses[0].partitions[0].errorCode, ErrorCode.FENCED_LEADER_EPOCH);

    // v0-3 get message sets (no leader epoch field): down-conversion is unaffected.
    const old = await n.call(FetchSpec, 3, fetchBody("t", meta.id, [{ partition: 0 }]));
    assertEquals(old.responses[0].partitions[0].errorCode, ErrorCode.NONE);
    assert((old.responses[0].partitions[0].records?.length ?? 0) > 0);
  } finally {
    await n.close();
  }
});

// ------------------------------------------------------------------------------------------------- offsets

Deno.test("ListOffsets and OffsetForLeaderEpoch: leader only, fenced, epochs from the cluster's history", async () => {
  const c = fake();
  const n = await node(c);
  try {
    await n.storage.createTopic("t", 2, {});
    c.setLeader("t", 0, SELF, 5);
    c.setLeader("t", 1, 2, 7);
    for (const [v, ts] of [["a", 1_000], ["b", 2_000], ["c", 3_000]] as const) {
      const records = buildBatchSync({ records: [{ value: enc.encode(v), timestamp: ts }] });
      await n.call(ProduceSpec, 9, produceBody("t", [{ index: 0, records }]));
    }
    c.setHistory("t", 0, [[3, 0], [5, 2]]);
    const lo = await n.call(ListOffsetsSpec, 7, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [{
        name: "t",
        partitions: [
          { partitionIndex: 0, currentLeaderEpoch: 5, timestamp: -1 },
          { partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -2 },
          { partitionIndex: 0, currentLeaderEpoch: -1, timestamp: 1_500 },
          { partitionIndex: 0, currentLeaderEpoch: -1, timestamp: 9_000 },
          { partitionIndex: 0, currentLeaderEpoch: 4, timestamp: -1 },
          { partitionIndex: 0, currentLeaderEpoch: 6, timestamp: -1 },
          { partitionIndex: 1, currentLeaderEpoch: -1, timestamp: -1 },
        ],
      }],
    });
    assertEquals(lo.topics[0].partitions.map((p) => [p.errorCode, p.offset, p.leaderEpoch]), [
      [ErrorCode.NONE, 3, 5], // latest: the serving epoch
      [ErrorCode.NONE, 0, 3], // earliest: the epoch of offset 0
      [ErrorCode.NONE, 1, 3], // by timestamp: the epoch of the record found
      [ErrorCode.NONE, -1, -1], // none found
      [ErrorCode.FENCED_LEADER_EPOCH, -1, -1],
      [ErrorCode.UNKNOWN_LEADER_EPOCH, -1, -1],
      [ErrorCode.NOT_LEADER_OR_FOLLOWER, -1, -1],
    ]);

    const ofle = await n.call(OffsetForLeaderEpochSpec, 4, {
      replicaId: -1,
      topics: [{
        topic: "t",
        partitions: [
          { partition: 0, currentLeaderEpoch: 5, leaderEpoch: 3 },
          { partition: 0, currentLeaderEpoch: -1, leaderEpoch: 4 },
          { partition: 0, currentLeaderEpoch: -1, leaderEpoch: 5 },
          { partition: 0, currentLeaderEpoch: -1, leaderEpoch: 2 },
          { partition: 0, currentLeaderEpoch: -1, leaderEpoch: -1 },
          { partition: 0, currentLeaderEpoch: 4, leaderEpoch: 3 },
          { partition: 0, currentLeaderEpoch: 9, leaderEpoch: 3 },
          { partition: 1, currentLeaderEpoch: -1, leaderEpoch: 7 },
        ],
      }],
    });
    assertEquals(ofle.topics[0].partitions.map((p) => [p.errorCode, p.leaderEpoch, p.endOffset]), [
      [ErrorCode.NONE, 3, 2], // epoch 3 ends where 5 starts
      [ErrorCode.NONE, 3, 2], // 4 was never used: the largest epoch below it
      [ErrorCode.NONE, 5, 3], // the current epoch ends at the log end
      [ErrorCode.NONE, -1, -1], // below every known epoch
      [ErrorCode.NONE, -1, -1], // undefined epoch
      [ErrorCode.FENCED_LEADER_EPOCH, -1, -1],
      [ErrorCode.UNKNOWN_LEADER_EPOCH, -1, -1],
      [ErrorCode.NOT_LEADER_OR_FOLLOWER, -1, -1],
    ]);
  } finally {
    await n.close();
  }
});

// ------------------------------------------------------------------------------------------------- admin

Deno.test("admin: CreateTopics waits for leaders and accepts any live broker; DeleteRecords and DescribeLogDirs by leader", async () => {
  const c = fake();
  const n = await node(c);
  try {
    // The controller gives the new topic's partitions leaders a moment after it is created.
    const assigned = setTimeout(() => {
      c.setTopicLeader("new", 2, 2, 1);
      c.setTopicLeader("manual", 1, 3, 1);
    }, 50);
    const created = await n.call(CreateTopicsSpec, 7, {
      topics: [
        { name: "new", numPartitions: 2, replicationFactor: -1, assignments: [], configs: [] },
        {
          name: "manual",
          numPartitions: -1,
          replicationFactor: -1,
          assignments: [{ partitionIndex: 0, brokerIds: [3] }],
          configs: [],
        },
        {
          name: "bad",
          numPartitions: -1,
          replicationFactor: -1,
          assignments: [{ partitionIndex: 0, brokerIds: [9] }],
          configs: [],
        },
      ],
      timeoutMs: 1000,
      validateOnly: false,
    });
    clearTimeout(assigned);
    assertEquals(created.topics.map((t) => [t.name, t.errorCode]), [
      ["new", ErrorCode.NONE],
      ["manual", ErrorCode.NONE],
      ["bad", ErrorCode.INVALID_REPLICA_ASSIGNMENT],
    ]);
    assertEquals(
      [0, 1].map((p) => c.leaderOf("new", p).leaderId),
      [2, 2],
      "answered once the leaders were there",
    );
    assertEquals(c.leaderOf("manual", 0).leaderId, 3);

    const grown = await n.call(CreatePartitionsSpec, 3, {
      topics: [{ name: "manual", count: 3, assignments: [{ brokerIds: [2] }, { brokerIds: [2, 3] }] }],
      timeoutMs: 1000,
      validateOnly: true,
    });
    assertEquals(grown.results[0].errorCode, ErrorCode.INVALID_REPLICA_ASSIGNMENT);

    c.setLeader("manual", 0, SELF, 1);
    c.setLeader("new", 0, SELF, 2);
    const dr = await n.call(DeleteRecordsSpec, 2, {
      topics: [{
        name: "new",
        partitions: [{ partitionIndex: 0, offset: 0 }, { partitionIndex: 1, offset: 0 }],
      }],
      timeoutMs: 1000,
    });
    assertEquals(dr.topics[0].partitions.map((p) => p.errorCode), [
      ErrorCode.NONE,
      ErrorCode.NOT_LEADER_OR_FOLLOWER,
    ]);

    const dirs = await n.call(DescribeLogDirsSpec, 4, { topics: null });
    assertEquals(
      dirs.results[0].topics.map((t) => [t.name, t.partitions.map((p) => p.partitionIndex)]).sort(),
      [["manual", [0]], ["new", [0]]],
    );
  } finally {
    await n.close();
  }
});

Deno.test("CreateTopics: the leader wait ends at shutdown and the topic is still created", async () => {
  const c = fake();
  const n = await node(c);
  try {
    n.shutdown.abort();
    const created = await n.call(CreateTopicsSpec, 5, {
      topics: [{ name: "orphan", numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 1000,
      validateOnly: false,
    });
    assertEquals(created.topics[0].errorCode, ErrorCode.NONE);
    assertEquals(c.leaderOf("orphan", 0).leaderId, -1);
  } finally {
    await n.close();
  }
});

// ------------------------------------------------------------------------------------------------- solo

Deno.test("SoloCluster: one broker leads everything with epoch -1, stored and fetched batches say -1", async () => {
  let topics: { name: string; partitions: number }[] = [];
  const solo = new SoloCluster({
    nodeId: SELF,
    advertised: { host: "127.0.0.1", port: 9092 },
    offsetsTopicPartitions: 50,
    topics: () => topics,
  });
  const n = await node(solo);
  try {
    const meta = await n.storage.createTopic("t", 1, {});
    topics = [{ name: "t", partitions: 1 }];
    const md = await n.call(MetadataSpec, 12, {
      topics: null,
      allowAutoTopicCreation: false,
      includeTopicAuthorizedOperations: false,
    });
    assertEquals(md.brokers, [{ nodeId: SELF, host: "127.0.0.1", port: 9092, rack: null }]);
    assertEquals(md.controllerId, SELF);
    const p = md.topics[0].partitions[0];
    assertEquals([p.errorCode, p.leaderId, p.leaderEpoch, p.replicaNodes], [ErrorCode.NONE, SELF, -1, [
      SELF,
    ]]);
    const produced = await n.call(ProduceSpec, 11, produceBody("t", [{ index: 0, records: batch(["a"]) }]));
    assertEquals(produced.responses[0].partitionResponses[0].errorCode, ErrorCode.NONE);
    // Any current_leader_epoch passes: there is nothing to fence against.
    const f = await n.call(FetchSpec, 16, fetchBody("t", meta.id, [{ partition: 0, currentLeaderEpoch: 7 }]));
    assertEquals(epochsOf(f.responses[0].partitions[0].records), [-1]);
    const lo = await n.call(ListOffsetsSpec, 7, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: "t", partitions: [{ partitionIndex: 0, currentLeaderEpoch: 3, timestamp: -1 }] }],
    });
    assertEquals(lo.topics[0].partitions.map((x) => [x.errorCode, x.offset, x.leaderEpoch]), [[
      ErrorCode.NONE,
      1,
      -1,
    ]]);
    const ofle = await n.call(OffsetForLeaderEpochSpec, 4, {
      replicaId: -1,
      topics: [{ topic: "t", partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 4 }] }],
    });
    assertEquals(ofle.topics[0].partitions.map((x) => [x.errorCode, x.leaderEpoch, x.endOffset]), [[
      ErrorCode.NONE,
      4,
      1,
    ]]);
    const fc = await n.call(FindCoordinatorSpec, 4, { keyType: 0, coordinatorKeys: ["g"] });
    assertEquals(fc.coordinators!.map((k) => [k.errorCode, k.nodeId, k.port]), [[
      ErrorCode.NONE,
      SELF,
      9092,
    ]]);
    assertEquals(CONSUMER_OFFSETS_TOPIC, "__consumer_offsets");
  } finally {
    await n.close();
  }
});
