// Several gateways on one SeaweedMQ cluster are one Kafka cluster (issue 13): three gateway processes (--node-id
// 1, 2, 3, --lease-timeout-ms 3000) on one real SeaweedFS, driven by real KafkaJS clients bootstrapped at different
// gateways and by raw requests encoded with the gateway's own schema. Metadata agrees everywhere and spreads the
// leaders; a group split over gateways reads each record once; commits are visible through every gateway and never
// go backwards; concurrent producers through different gateways never share an offset; kill -9 of a gateway under
// produce and group load moves its partitions and groups within the lease timeout and loses nothing an idempotent
// producer was told was written; a gateway that does not lead a partition says who does (KIP-951).
// Every scenario prints one summary line ("cluster: ...") with its counts and times.
import { assert, assertEquals } from "../unit/assert.ts";
import { type RunningGateway, startGateway } from "../helpers/gateway.ts";
import { Kafka, kafkajs, logLevel, readWholePartition } from "../helpers/kafkajs.ts";
import { decodeOffsetsRecord } from "../../src/groups/offsets_topic/records.ts";
import { partitionForGroup } from "../../src/cluster/hash.ts";
import { clusterForModule } from "../helpers/seaweedfs.ts";
import { fetchBody, WireClient } from "../helpers/wire.ts";
import { buildBatchSync, splitBatches } from "../../src/records/batch.ts";
import { decodeBatchRecords } from "../../src/records/record.ts";
import { ErrorCode } from "../../src/protocol/errors.ts";
import { type MetadataResponse, MetadataSpec } from "../../src/protocol/messages/metadata.ts";
import { type ProduceResponse, ProduceSpec } from "../../src/protocol/messages/produce.ts";
import { type FetchResponse, FetchSpec } from "../../src/protocol/messages/fetch.ts";
import {
  type FindCoordinatorResponse,
  FindCoordinatorSpec,
} from "../../src/protocol/messages/find_coordinator.ts";
import { type OffsetCommitResponse, OffsetCommitSpec } from "../../src/protocol/messages/offset_commit.ts";
import { type OffsetFetchResponse, OffsetFetchSpec } from "../../src/protocol/messages/offset_fetch.ts";

import {
  type DescribeConfigsResponse,
  DescribeConfigsSpec,
} from "../../src/protocol/messages/describe_configs.ts";
import {
  type IncrementalAlterConfigsResponse,
  IncrementalAlterConfigsSpec,
} from "../../src/protocol/messages/incremental_alter_configs.ts";
import { type CreateTopicsResponse, CreateTopicsSpec } from "../../src/protocol/messages/create_topics.ts";
import { freePort } from "../helpers/ports.ts";
import {
  type ConsumerGroupHeartbeatResponse,
  ConsumerGroupHeartbeatSpec,
} from "../../src/protocol/messages/consumer_group_heartbeat.ts";

const cluster = await clusterForModule();
const opts = { sanitizeOps: false, sanitizeResources: false };
const { AssignerProtocol } = kafkajs;

/** The lease timeout the gateways run with; failover is expected within it plus FAILOVER_SLACK_MS. */
const LEASE_MS = 3000;
const FAILOVER_SLACK_MS = 7000;
const GATEWAY_ARGS = [
  "--lease-timeout-ms",
  String(LEASE_MS),
  "--group-initial-rebalance-delay-ms",
  "0",
  "--group-min-session-timeout-ms",
  "1000",
];
const CONSUMER = {
  sessionTimeout: 6000,
  rebalanceTimeout: 10000,
  heartbeatInterval: 300,
  maxWaitTimeInMs: 200,
};
const RETRY = { retries: 40, initialRetryTime: 100, maxRetryTime: 1000 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const enc = new TextEncoder();

type Admin = ReturnType<InstanceType<typeof Kafka>["admin"]>;

/** One gateway of the cluster: its node id, fixed port (kept across a restart) and data directory. */
interface Node {
  readonly id: number;
  readonly port: number;
  readonly dataDir: string;
  gw: RunningGateway;
  alive: boolean;
}

function nodeArgs(ns: string, id: number, port: number): string[] {
  if (!cluster) throw new Error("no SeaweedFS");
  return [
    ...cluster.gatewayArgs,
    "--seaweedmq-namespace",
    ns,
    "--node-id",
    String(id),
    "--listen",
    `127.0.0.1:${port}`,
    ...GATEWAY_ARGS,
  ];
}

async function startNode(ns: string, id: number, port: number, dataDir: string): Promise<RunningGateway> {
  return await startGateway({ dataDir, args: nodeArgs(ns, id, port), timeoutMs: 60_000 });
}

/** A fresh namespace with gateways 1..n on it. */
/**
 * The latest committed offset per "topic/partition" of `group` as its `__consumer_offsets` partition shows it, read
 * from whichever gateway leads that partition (the others answer NOT_LEADER_OR_FOLLOWER).
 */
async function offsetsTopicView(nodes: Node[], group: string): Promise<Map<string, number | null>> {
  const errors: string[] = [];
  for (const n of nodes) {
    try {
      const { messages } = await readWholePartition(
        n.gw.bootstrap,
        "__consumer_offsets",
        partitionForGroup(group, 50),
      );
      const out = new Map<string, number | null>();
      for (const m of messages) {
        const r = decodeOffsetsRecord(m.key!, m.value ?? null);
        if (r.kind === "offset" && r.group === group) {
          out.set(`${r.topic}/${r.partition}`, r.value?.offset ?? null);
        }
      }
      return out;
    } catch (e) {
      errors.push(`gateway ${n.id}: ${(e as Error).message}`);
    }
  }
  throw new Error(`no gateway served the partition: ${errors.join("; ")}`);
}

async function startNodes(name: string, n = 3): Promise<{ ns: string; nodes: Node[] }> {
  const ns = `kafka_cl_${name}_${Date.now().toString(36)}`;
  const specs = await Promise.all(Array.from({ length: n }, async (_, i) => ({
    id: i + 1,
    port: freePort(),
    dataDir: await Deno.makeTempDir({ prefix: `kgw-cluster-${i + 1}-` }),
  })));
  const started = await Promise.allSettled(specs.map((s) => startNode(ns, s.id, s.port, s.dataDir)));
  const failed = started.find((r) => r.status === "rejected") as PromiseRejectedResult | undefined;
  if (failed) {
    for (const r of started) if (r.status === "fulfilled") await r.value.stop();
    for (const s of specs) await Deno.remove(s.dataDir, { recursive: true }).catch(() => {});
    throw failed.reason;
  }
  const nodes = specs.map((s, i) => ({
    ...s,
    gw: (started[i] as PromiseFulfilledResult<RunningGateway>).value,
    alive: true,
  }));
  return { ns, nodes };
}

async function stopNodes(nodes: Node[]): Promise<void> {
  await Promise.all(nodes.map((n) => n.gw.stop()));
  for (const n of nodes) await Deno.remove(n.dataDir, { recursive: true }).catch(() => {});
}

function dumpLogs(nodes: Node[], lines = 60): void {
  for (const n of nodes) {
    console.error(
      `--- gateway ${n.id} (port ${n.port}, ${n.alive ? "alive" : "killed"}), last ${lines} log lines ---\n` +
        n.gw.logs().split("\n").slice(-lines).join("\n"),
    );
  }
}

/** Runs a scenario on three fresh gateways: logs of all of them on failure, always stopped. */
async function withCluster(name: string, fn: (nodes: Node[], ns: string) => Promise<void>): Promise<void> {
  const { ns, nodes } = await startNodes(name);
  try {
    await fn(nodes, ns);
  } catch (e) {
    dumpLogs(nodes);
    throw e;
  } finally {
    await stopNodes(nodes);
  }
}

function kafka(brokers: string[], clientId = "cluster-test") {
  return new Kafka({
    clientId,
    brokers,
    logLevel: logLevel.NOTHING,
    retry: RETRY,
    connectionTimeout: 2000,
    requestTimeout: 10000,
  });
}

const bootstraps = (nodes: Node[]) => nodes.filter((n) => n.alive).map((n) => n.gw.bootstrap);

// ---------------------------------------------------------------------------------------------------------------
// Raw requests

async function wire<T>(
  port: number,
  spec: Parameters<WireClient["call"]>[0],
  version: number,
  body: unknown,
) {
  const c = await WireClient.connect(port, "cluster-wire");
  try {
    return await c.call<T>(spec, version, body);
  } finally {
    c.close();
  }
}

/** Metadata v12 for `topics` (null: all) through the gateway on `port`. */
function metadata(port: number, topics: string[] | null): Promise<MetadataResponse> {
  return wire<MetadataResponse>(port, MetadataSpec, 12, {
    topics: topics === null ? null : topics.map((name) => ({ topicId: "0".repeat(32), name })),
    allowAutoTopicCreation: false,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  });
}

/** FindCoordinator v4 (batched) for groups: group id -> [errorCode, nodeId, host:port]. */
async function findCoordinators(port: number, groups: string[]) {
  const r = await wire<FindCoordinatorResponse>(port, FindCoordinatorSpec, 4, {
    keyType: 0,
    coordinatorKeys: groups,
  });
  return new Map(
    (r.coordinators ?? []).map((c) => [c.key, [c.errorCode, c.nodeId, `${c.host}:${c.port}`] as const]),
  );
}

/** What one gateway says about the cluster: brokers, controller, and leader/epoch per partition of `topics`. */
interface View {
  brokers: string[]; // "id@host:port", sorted by id
  controllerId: number;
  leaders: Map<string, { leaderId: number; leaderEpoch: number }>; // "topic/partition"
  errors: string[];
}

function viewOf(m: MetadataResponse): View {
  const leaders = new Map<string, { leaderId: number; leaderEpoch: number }>();
  const errors: string[] = [];
  for (const t of m.topics) {
    if (t.errorCode !== 0) errors.push(`${t.name}: topic error ${t.errorCode}`);
    for (const p of t.partitions) {
      leaders.set(`${t.name}/${p.partitionIndex}`, {
        leaderId: p.leaderId,
        leaderEpoch: p.leaderEpoch ?? -1,
      });
      if (p.errorCode !== 0) errors.push(`${t.name}/${p.partitionIndex}: error ${p.errorCode}`);
    }
  }
  return {
    brokers: [...m.brokers].sort((a, b) => a.nodeId - b.nodeId).map((b) => `${b.nodeId}@${b.host}:${b.port}`),
    controllerId: m.controllerId ?? -1,
    leaders,
    errors,
  };
}

function showView(v: View): string {
  const ls = [...v.leaders].map(([k, l]) => `${k}=${l.leaderId}e${l.leaderEpoch}`).join(" ");
  return `brokers [${v.brokers.join(", ")}] controller ${v.controllerId} ${ls}${
    v.errors.length ? ` errors ${v.errors.join("; ")}` : ""
  }`;
}

/**
 * Waits until every live gateway answers Metadata with exactly the live gateways as brokers (ids and the ports
 * they listen on), the same controller (a live one), and the same leader and epoch for every partition of
 * `topics`, each led by a live gateway. Returns the agreed view and how long it took.
 */
async function awaitAgreement(
  nodes: Node[],
  topics: string[],
  timeoutMs: number,
  what = "cluster agreement",
): Promise<{ view: View; ms: number }> {
  const t0 = Date.now();
  const live = nodes.filter((n) => n.alive);
  const want = live.map((n) => `${n.id}@127.0.0.1:${n.port}`).sort();
  const liveIds = new Set(live.map((n) => n.id));
  let last = "";
  for (;;) {
    const views: View[] = [];
    try {
      for (const n of live) views.push(viewOf(await metadata(n.port, topics)));
    } catch (e) {
      last = `metadata failed: ${e}`;
    }
    if (views.length === live.length) {
      const v0 = views[0];
      const ok = views.every((v) =>
        v.errors.length === 0 && JSON.stringify(v.brokers) === JSON.stringify(want) &&
        v.controllerId === v0.controllerId && liveIds.has(v.controllerId) &&
        v.leaders.size === v0.leaders.size &&
        [...v.leaders].every(([k, l]) => {
          const o = v0.leaders.get(k);
          return o !== undefined && o.leaderId === l.leaderId && o.leaderEpoch === l.leaderEpoch &&
            liveIds.has(l.leaderId);
        })
      );
      last = live.map((n, i) => `gateway ${n.id}: ${showView(views[i])}`).join("\n");
      if (ok && v0.leaders.size > 0) return { view: v0, ms: Date.now() - t0 };
    }
    if (Date.now() - t0 > timeoutMs) {
      throw new Error(
        `${what}: not reached within ${timeoutMs} ms; brokers wanted [${want}]; last:\n${last}`,
      );
    }
    await sleep(200);
  }
}

function leaderPort(view: View, topic: string, partition: number): number {
  const l = view.leaders.get(`${topic}/${partition}`);
  assert(l, `no leader for ${topic}/${partition}`);
  const b = view.brokers.find((s) => s.startsWith(`${l.leaderId}@`));
  assert(b, `leader ${l.leaderId} of ${topic}/${partition} is not among the brokers`);
  return Number(b.slice(b.lastIndexOf(":") + 1));
}

// ---------------------------------------------------------------------------------------------------------------
// KafkaJS helpers

async function createTopic(admin: Admin, topic: string, numPartitions: number): Promise<void> {
  await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true });
}

/** member id -> partitions of `topic`, from DescribeGroups (routed to the coordinator by KafkaJS). */
async function assignment(admin: Admin, groupId: string, topic: string) {
  const { groups } = await admin.describeGroups([groupId]);
  const g = groups[0];
  const out = new Map<string, number[]>();
  for (const m of g.members) {
    const decoded = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
    out.set(m.memberId, [...(decoded?.assignment?.[topic] ?? [])].sort((a, b) => a - b));
  }
  return { state: g.state, members: out };
}

/** Waits until the group is Stable with `n` members, each with partitions, covering all partitions once. */
async function waitBalanced(
  admin: Admin,
  groupId: string,
  topic: string,
  n: number,
  partitions: number,
  ms: number,
) {
  const t0 = Date.now();
  let last = "";
  while (Date.now() - t0 < ms) {
    try {
      const a = await assignment(admin, groupId, topic);
      const all = [...a.members.values()].flat().sort((x, y) => x - y);
      last = `${a.state} ${JSON.stringify([...a.members.values()])}`;
      if (
        a.state === "Stable" && a.members.size === n && all.length === partitions &&
        all.every((p, i) => p === i) && [...a.members.values()].every((ps) => ps.length > 0)
      ) return { members: a.members, ms: Date.now() - t0 };
    } catch (e) {
      last = `describeGroups failed: ${e}`;
    }
    await sleep(200);
  }
  throw new Error(`group ${groupId} did not balance over ${n} members within ${ms} ms: ${last}`);
}

/** Committed offsets of a group through one gateway (KafkaJS admin: FindCoordinator, then OffsetFetch). */
async function committed(admin: Admin, groupId: string, topic: string): Promise<Map<number, number>> {
  const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return new Map(t.partitions.map((p) => [p.partition, Number(p.offset)]));
}

/** A stored record with what its batch says about who wrote it. */
interface Stored {
  offset: number;
  value: string;
  producerId: number;
  producerEpoch: number;
  /** The record's sequence number (batch base sequence + index), -1 for a non-idempotent batch. */
  sequence: number;
  /** The leader epoch the batch was written under. */
  leaderEpoch: number;
}

const showStored = (r: Stored) =>
  `${r.offset}:${r.value} (pid ${r.producerId}/${r.producerEpoch} seq ${r.sequence} leader epoch ${r.leaderEpoch})`;

/**
 * Every record of a partition up to its high watermark, read with raw Fetch v4 from the gateway on `port` (offsets
 * may have gaps), each with its batch's producer id, sequence and leader epoch.
 */
async function readAll(port: number, topic: string, partition: number): Promise<Stored[]> {
  const c = await WireClient.connect(port, "cluster-read");
  const out: Stored[] = [];
  const dec = new TextDecoder();
  try {
    let offset = 0;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const r = await c.call<FetchResponse>(
        FetchSpec,
        4,
        fetchBody(topic, partition, offset, { maxWaitMs: 100 }),
      );
      const p = r.responses[0].partitions[0];
      if (p.errorCode !== 0) {
        throw new Error(`${topic}-${partition}: fetch error ${p.errorCode} at ${offset}`);
      }
      const records = p.records as Uint8Array | null;
      for (const { pos, size } of splitBatches(records ?? new Uint8Array(0))) {
        const { header: h, records: recs } = await decodeBatchRecords(records!.subarray(pos, pos + size));
        recs.forEach((rec, i) => {
          if (rec.offset < offset) return;
          out.push({
            offset: rec.offset,
            value: dec.decode(rec.value ?? new Uint8Array(0)),
            producerId: h.producerId,
            producerEpoch: h.producerEpoch,
            sequence: h.baseSequence < 0 ? -1 : h.baseSequence + i,
            leaderEpoch: h.partitionLeaderEpoch,
          });
          offset = rec.offset + 1;
        });
      }
      if (offset >= p.highWatermark) return out;
      if (Date.now() > deadline) {
        throw new Error(`${topic}-${partition}: read up to ${offset} of ${p.highWatermark}`);
      }
    }
  } finally {
    c.close();
  }
}

/** A consumer-group member bootstrapped at `brokers`, counting deliveries. */
interface Member {
  readonly name: string;
  consumer: ReturnType<InstanceType<typeof Kafka>["consumer"]>;
  assigned: number[];
  joins: number;
}

interface Delivery {
  member: string;
  partition: number;
  offset: number;
  at: number;
}

async function startMember(
  name: string,
  brokers: string[],
  groupId: string,
  topic: string,
  onMessage: (value: string, d: Delivery) => void,
  autoCommitInterval?: number,
): Promise<Member> {
  const consumer = kafka(brokers, `cluster-${name}`).consumer({ groupId, ...CONSUMER });
  const m: Member = { name, consumer, assigned: [], joins: 0 };
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    m.joins++;
    m.assigned = [...(e.payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b);
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommitInterval,
    eachMessage: ({ partition, message }) => {
      onMessage(message.value!.toString(), {
        member: name,
        partition,
        offset: Number(message.offset),
        at: Date.now(),
      });
      return Promise.resolve();
    },
  });
  return m;
}

/** Fails naming the first entries of `list` (and how many) unless it is empty. */
function none(list: readonly unknown[], what: string): void {
  if (list.length === 0) return;
  throw new Error(
    `${what}: ${list.length}: ${list.slice(0, 10).join(" | ")}${list.length > 10 ? " | ..." : ""}`,
  );
}

async function waitFor(what: string, ms: number, cond: () => boolean | Promise<boolean>): Promise<number> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(100);
  }
  return Date.now() - t0;
}

/** IncrementalAlterConfigs SET of `configs` on broker resource `resource` through `port`: the error code. */
async function alterBrokerConfigs(port: number, resource: string, configs: Record<string, string>) {
  const r = await wire<IncrementalAlterConfigsResponse>(port, IncrementalAlterConfigsSpec, 1, {
    resources: [{
      resourceType: 4,
      resourceName: resource,
      configs: Object.entries(configs).map(([name, value]) => ({ name, configOperation: 0, value })),
    }],
    validateOnly: false,
  });
  return r.responses[0].errorCode;
}

/** What gateway `n` answers DescribeConfigs for its own broker resource: name -> [value, source]. */
async function brokerConfigsOf(n: Node, names: string[]): Promise<Map<string, [string | null, number]>> {
  const r = await wire<DescribeConfigsResponse>(n.gw.port, DescribeConfigsSpec, 4, {
    resources: [{ resourceType: 4, resourceName: String(n.id), configurationKeys: names }],
    includeSynonyms: false,
    includeDocumentation: false,
  });
  return new Map(r.results[0].configs.map((c) => [c.name, [c.value, c.configSource ?? -1]]));
}

if (cluster) {
  Deno.test({
    name:
      "cluster: dynamic broker configs altered through one gateway reach the others; concurrent alterations of other resources are kept; group configs reach every gateway and the group's coordinator",
    ...opts,
    fn: () =>
      withCluster("dyncfg", async (nodes) => {
        const [a, b, c] = nodes;
        const names = ["max.connections", "log.retention.ms", "max.connections.per.ip"];
        assertEquals(
          await alterBrokerConfigs(a.port, "", { "max.connections": "777", "log.retention.ms": "123456" }),
          0,
        );
        // per broker on b, then the cluster default again on a, which had not seen b's write yet
        assertEquals(await alterBrokerConfigs(b.port, String(b.id), { "max.connections.per.ip": "555" }), 0);
        assertEquals(
          await alterBrokerConfigs(a.port, "", { "max.connections": "778", "log.retention.ms": "654321" }),
          0,
        );
        const DEFAULT = 3; // DYNAMIC_DEFAULT_BROKER_CONFIG
        const ms = await waitFor(
          "every gateway sees the cluster default and b its own value",
          15_000,
          async () => {
            for (const n of nodes) {
              const v = await brokerConfigsOf(n, names);
              if (
                v.get("max.connections")?.[0] !== "778" || v.get("max.connections")?.[1] !== DEFAULT
              ) return false;
              if (v.get("log.retention.ms")?.[0] !== "654321") return false;
              const perIp = v.get("max.connections.per.ip")?.[0];
              if (perIp !== (n === b ? "555" : "2147483647")) return false;
            }
            return true;
          },
        );
        // the topic default reached c's log too: a topic created through c without retention.ms shows it
        const created = await wire<CreateTopicsResponse>(c.port, CreateTopicsSpec, 5, {
          topics: [{
            name: "dyncfg-t",
            numPartitions: 1,
            replicationFactor: -1,
            assignments: [],
            configs: [],
          }],
          timeoutMs: 10_000,
          validateOnly: false,
        });
        assertEquals(created.topics[0].errorCode, 0);
        const topicCfg = await wire<DescribeConfigsResponse>(c.port, DescribeConfigsSpec, 4, {
          resources: [{ resourceType: 2, resourceName: "dyncfg-t", configurationKeys: ["retention.ms"] }],
          includeSynonyms: false,
          includeDocumentation: false,
        });
        assertEquals(topicCfg.results[0].configs[0].value, "654321");
        console.log(`  cluster dynamic configs: every gateway agreed ${ms} ms after the last alteration`);

        // Group configs set through one gateway: every gateway describes them, and the group's coordinator (on
        // whichever gateway) gives its KIP-848 members the group's heartbeat interval.
        const group = "dyncfg-g";
        const setGroup = await wire<IncrementalAlterConfigsResponse>(a.port, IncrementalAlterConfigsSpec, 1, {
          resources: [{
            resourceType: 32,
            resourceName: group,
            configs: [{ name: "consumer.heartbeat.interval.ms", configOperation: 0, value: "7000" }],
          }],
          validateOnly: false,
        });
        assertEquals(setGroup.responses[0].errorCode, 0, setGroup.responses[0].errorMessage ?? "");
        const groupMs = await waitFor("every gateway describes the group's config", 15_000, async () => {
          for (const n of nodes) {
            const d = await wire<DescribeConfigsResponse>(n.port, DescribeConfigsSpec, 4, {
              resources: [{
                resourceType: 32,
                resourceName: group,
                configurationKeys: ["consumer.heartbeat.interval.ms"],
              }],
              includeSynonyms: false,
              includeDocumentation: false,
            });
            const e = d.results[0].configs[0];
            if (e?.value !== "7000" || e.configSource !== 8) return false; // DYNAMIC_GROUP_CONFIG
          }
          return true;
        });
        const [code, coordinator] = (await findCoordinators(c.port, [group])).get(group)!;
        assertEquals(code, 0);
        const at = nodes.find((n) => n.id === coordinator)!;
        const joined = await wire<ConsumerGroupHeartbeatResponse>(at.port, ConsumerGroupHeartbeatSpec, 0, {
          groupId: group,
          memberId: "dyncfgMember000000001",
          memberEpoch: 0,
          rebalanceTimeoutMs: 30_000,
          subscribedTopicNames: ["dyncfg-t"],
          topicPartitions: [],
        });
        assertEquals([joined.errorCode, joined.heartbeatIntervalMs], [0, 7000]);
        console.log(`  cluster group configs: every gateway agreed ${groupMs} ms after the alteration`);
      }),
  });

  Deno.test({
    name: "cluster: Metadata through each gateway lists the same 3 brokers and leaders, spread over all 3",
    ...opts,
    fn: () =>
      withCluster("meta", async (nodes) => {
        const t0 = Date.now();
        const admin = kafka([nodes[0].gw.bootstrap]).admin();
        await admin.connect();
        try {
          await createTopic(admin, "spread", 6);
          const { view, ms } = await awaitAgreement(nodes, ["spread"], 30_000);
          const byLeader = new Map<number, number[]>();
          for (let p = 0; p < 6; p++) {
            const l = view.leaders.get(`spread/${p}`)!;
            byLeader.set(l.leaderId, [...(byLeader.get(l.leaderId) ?? []), p]);
            // SeaweedMQ's cluster has leader epochs: a real one, not "unknown" (-1)
            assert(l.leaderEpoch >= 0, `spread/${p}: leader epoch ${l.leaderEpoch}`);
          }
          assertEquals([...byLeader.keys()].sort(), [1, 2, 3], `leaders of spread: ${showView(view)}`);

          // what clients see: KafkaJS through each gateway names the same brokers, controller and leaders
          for (const n of nodes) {
            const a = kafka([n.gw.bootstrap]).admin();
            await a.connect();
            try {
              const c = await a.describeCluster();
              assertEquals(
                c.brokers.map((b) => `${b.nodeId}@${b.host}:${b.port}`).sort(),
                view.brokers,
                `DescribeCluster through gateway ${n.id}`,
              );
              assertEquals(c.controller, view.controllerId, `controller through gateway ${n.id}`);
              const md = await a.fetchTopicMetadata({ topics: ["spread"] });
              assertEquals(
                md.topics[0].partitions.map((p) => [p.partitionId, p.leader]).sort((x, y) => x[0] - y[0]),
                Array.from({ length: 6 }, (_, p) => [p, view.leaders.get(`spread/${p}`)!.leaderId]),
                `KafkaJS metadata through gateway ${n.id}`,
              );
            } finally {
              await a.disconnect();
            }
          }
          console.log(
            `cluster: metadata agreed in ${ms} ms after topic creation (${
              Date.now() - t0
            } ms in all); controller ${view.controllerId}; leaders of spread: ${
              [...byLeader].sort((a, b) => a[0] - b[0]).map(([l, ps]) => `${l}->[${ps}]`).join(" ")
            }`,
          );
        } finally {
          await admin.disconnect();
        }
      }),
  });

  Deno.test({
    name:
      "cluster: one group with members on different gateways splits partitions and reads each record once",
    ...opts,
    fn: () =>
      withCluster("split", async (nodes) => {
        const topic = "split";
        const groupId = "g-split";
        const N = 600;
        const admin = kafka([nodes[1].gw.bootstrap]).admin();
        await admin.connect();
        const deliveries = new Map<string, Delivery[]>();
        const members: Member[] = [];
        try {
          await createTopic(admin, topic, 6);
          await awaitAgreement(nodes, [topic], 30_000);
          const t0 = Date.now();
          // consumer i bootstrapped at gateway i only
          for (const n of nodes) {
            members.push(
              await startMember(`m${n.id}`, [n.gw.bootstrap], groupId, topic, (v, d) => {
                deliveries.set(v, [...(deliveries.get(v) ?? []), d]);
              }),
            );
          }
          const balanced = await waitBalanced(admin, groupId, topic, nodes.length, 6, 60_000);
          const split = [...balanced.members.values()];
          await waitFor(
            "each member's own assignment matches DescribeGroups",
            20_000,
            () =>
              JSON.stringify(members.map((m) => m.assigned).sort()) ===
                JSON.stringify([...split].sort()),
          );
          const balanceMs = Date.now() - t0;
          const joinsBefore = members.map((m) => m.joins);

          const producer = kafka([nodes[0].gw.bootstrap]).producer();
          await producer.connect();
          const p0 = Date.now();
          for (let i = 0; i < N; i += 50) {
            await producer.send({
              topic,
              acks: -1,
              messages: Array.from({ length: 50 }, (_, j) => ({ key: `k${i + j}`, value: `v${i + j}` })),
            });
          }
          await producer.disconnect();
          const consumedMs = await waitFor(`all ${N} records delivered`, 60_000, () => deliveries.size >= N) +
            (Date.now() - p0);
          await sleep(2000); // time for a duplicate delivery to show up
          const dup = [...deliveries].filter(([, ds]) => ds.length > 1);
          const partitionsSeen = new Set([...deliveries.values()].flat().map((d) => d.partition));
          const wrongMember = [...deliveries.values()].flat().filter((d) =>
            !members.find((m) => m.name === d.member)!.assigned.includes(d.partition)
          );
          const rebalances = members.reduce((s, m, i) => s + m.joins - joinsBefore[i], 0);
          console.log(
            `cluster: group over 3 gateways: balanced in ${balanceMs} ms, split ${
              members.map((m) => `${m.name}=[${m.assigned}]`).join(" ")
            }; ${N} records produced, ${deliveries.size} distinct delivered in ${consumedMs} ms, ${dup.length} delivered twice or more, ${wrongMember.length} by a member not assigned the partition, ${rebalances} rebalances during the run`,
          );
          // disjoint, complete split
          assertEquals(
            members.map((m) => m.assigned).flat().sort((a, b) => a - b),
            [0, 1, 2, 3, 4, 5],
            "partitions split over the members",
          );
          assertEquals(deliveries.size, N, "every record delivered");
          none(dup.map(([v, ds]) => `${v}x${ds.length}`), "no record delivered twice");
          assertEquals(partitionsSeen.size, 6, "records came from all 6 partitions");
          assertEquals(wrongMember.length, 0, "each record delivered by the member assigned its partition");
        } finally {
          await Promise.all(members.map((m) => m.consumer.disconnect().catch(() => {})));
          await admin.disconnect();
        }
      }),
  });

  Deno.test({
    name: "cluster: commits through any gateway are visible through all and never go backwards",
    ...opts,
    fn: () =>
      withCluster("commits", async (nodes) => {
        const topic = "commits";
        const admins = nodes.map((n) => kafka([n.gw.bootstrap], `admin-${n.id}`).admin());
        await Promise.all(admins.map((a) => a.connect()));
        const members: Member[] = [];
        try {
          await createTopic(admins[0], topic, 6);
          await awaitAgreement(nodes, [topic], 30_000);

          // 1. offsets of an idle group set through gateway 1, then 2, then 3 (KafkaJS admin setOffsets: a member
          // joins the empty group, seeks and commits, ~5 s each): each is what every gateway's admin reads back at once
          const standalone = "g-standalone";
          let checks = 0;
          const s0 = Date.now();
          for (let round = 1; round <= 3; round++) {
            const via = admins[(round - 1) % 3];
            await via.setOffsets({
              groupId: standalone,
              topic,
              partitions: Array.from(
                { length: 6 },
                (_, p) => ({ partition: p, offset: String(round * 10 + p) }),
              ),
            });
            for (const [i, a] of admins.entries()) {
              const got = await committed(a, standalone, topic);
              assertEquals(
                [...got].sort((x, y) => x[0] - y[0]),
                Array.from({ length: 6 }, (_, p) => [p, round * 10 + p]),
                `round ${round}: committed through gateway ${((round - 1) % 3) + 1}, read through gateway ${
                  i + 1
                }`,
              );
              checks++;
            }
          }

          const standaloneMs = Date.now() - s0;

          // 2. a live group with members on the three gateways commits while records arrive; a poller reads the
          // committed offsets through gateway 1, 2, 3, 1, ... (one call at a time): per partition they only grow
          const groupId = "g-commits";
          let delivered = 0;
          for (const n of nodes) {
            members.push(
              await startMember(`m${n.id}`, [n.gw.bootstrap], groupId, topic, () => delivered++, 200),
            );
          }
          await waitBalanced(admins[0], groupId, topic, nodes.length, 6, 60_000);
          const history: { via: number; at: number; offsets: Map<number, number> }[] = [];
          let polling = true;
          const pollErrors: string[] = [];
          const poller = (async () => {
            for (let i = 0; polling; i++) {
              try {
                history.push({
                  via: (i % 3) + 1,
                  at: Date.now(),
                  offsets: await committed(admins[i % 3], groupId, topic),
                });
              } catch (e) {
                pollErrors.push(`via ${(i % 3) + 1}: ${e}`);
              }
              await sleep(50);
            }
          })();
          const producer = kafka(bootstraps(nodes)).producer();
          await producer.connect();
          const N = 1200;
          for (let i = 0; i < N; i += 40) {
            await producer.send({
              topic,
              acks: -1,
              messages: Array.from({ length: 40 }, (_, j) => ({ key: `k${i + j}`, value: `v${i + j}` })),
            });
            await sleep(100); // spread over a few seconds, so that commits and polls interleave
          }
          await producer.disconnect();
          const offs = await admins[2].fetchTopicOffsets(topic);
          const high = new Map(offs.map((o) => [o.partition, Number(o.high)]));
          // every gateway ends at the high watermarks (the members commit what they read)
          await waitFor(
            "committed offsets reach the high watermarks through every gateway",
            60_000,
            async () => {
              for (const a of admins) {
                const c = await committed(a, groupId, topic);
                if (
                  ![...high].every(([p, h]) => c.get(p) === h)
                ) return false;
              }
              return true;
            },
          );
          polling = false;
          await poller;
          const backwards: string[] = [];
          const last = new Map<number, { off: number; via: number }>();
          for (const h of history) {
            for (const [p, off] of h.offsets) {
              const prev = last.get(p);
              if (prev && off < prev.off) {
                backwards.push(`p${p}: ${prev.off} (via ${prev.via}) then ${off} (via ${h.via})`);
              }
              last.set(p, { off, via: h.via });
            }
          }
          console.log(
            `cluster: commits: ${checks} standalone read-backs through all 3 gateways in ${standaloneMs} ms; live group: ${delivered} deliveries of ${N} records, ${history.length} polls through 3 gateways, ${backwards.length} backwards steps, ${pollErrors.length} failed polls; final ${
              [...high].map(([p, h]) => `p${p}=${h}`).join(" ")
            }`,
          );
          none(backwards, "committed offsets never go backwards");
          assert(history.length >= 10, `too few polls: ${history.length} (${pollErrors.slice(0, 3)})`);

          // 3. __consumer_offsets, read from the leader of each group's partition, ends at the same offsets
          for (
            const [g, want] of [[standalone, new Map(Array.from({ length: 6 }, (_, p) => [p, 30 + p]))], [
              groupId,
              high,
            ]] as const
          ) {
            await waitFor(`${g}'s records in __consumer_offsets`, 30_000, async () => {
              const shown = await offsetsTopicView(nodes, g).catch(() => new Map());
              return [...want].every(([p, o]) => shown.get(`${topic}/${p}`) === o);
            });
          }
        } finally {
          await Promise.all(members.map((m) => m.consumer.disconnect().catch(() => {})));
          await Promise.all(admins.map((a) => a.disconnect()));
        }
      }),
  });

  Deno.test({
    name:
      "cluster: concurrent producers through different gateways to one partition: every ack names its record",
    ...opts,
    fn: () =>
      withCluster("race", async (nodes) => {
        const topic = "race";
        const admin = kafka([nodes[2].gw.bootstrap]).admin();
        await admin.connect();
        try {
          await createTopic(admin, topic, 1);
          const { view } = await awaitAgreement(nodes, [topic], 30_000);
          const SENDS = 60, PER_SEND = 5, IN_FLIGHT = 2;
          const acked = new Map<number, string>(); // offset -> value
          const reused: string[] = [];
          const failed: string[] = [];
          const t0 = Date.now();
          await Promise.all(nodes.map(async (n) => {
            // each producer knows only its own gateway
            const producer = kafka([n.gw.bootstrap], `producer-${n.id}`).producer();
            await producer.connect();
            try {
              await Promise.all(Array.from({ length: IN_FLIGHT }, async (_, lane) => {
                for (let s = lane; s < SENDS; s += IN_FLIGHT) {
                  const values = Array.from({ length: PER_SEND }, (_, j) => `p${n.id}-s${s}-${j}`);
                  try {
                    const [r] = await producer.send({
                      topic,
                      acks: -1,
                      messages: values.map((v) => ({ partition: 0, value: v })),
                    });
                    values.forEach((v, j) => {
                      const off = Number(r.baseOffset) + j;
                      const had = acked.get(off);
                      if (had !== undefined) reused.push(`${off}: ${had} and ${v}`);
                      acked.set(off, v);
                    });
                  } catch (e) {
                    failed.push(`${values[0]}..: ${e}`);
                  }
                }
              }));
            } finally {
              await producer.disconnect();
            }
          }));
          const produceMs = Date.now() - t0;
          const log = await readAll(leaderPort(view, topic, 0), topic, 0);
          const atOffset = new Map(log.map((m) => [m.offset, m.value]));
          const wrong = [...acked].filter(([off, v]) => atOffset.get(off) !== v)
            .map(([off, v]) => `${off}: acked ${v}, holds ${atOffset.get(off) ?? "nothing"}`);
          const counts = new Map<string, number>();
          for (const m of log) counts.set(m.value, (counts.get(m.value) ?? 0) + 1);
          const dups = [...counts].filter(([, c]) => c > 1);
          const total = nodes.length * SENDS * PER_SEND;
          console.log(
            `cluster: 3 producers on 3 gateways to one partition (leader ${
              view.leaders.get(`${topic}/0`)!.leaderId
            }): ${
              acked.size + reused.length
            }/${total} records acked in ${produceMs} ms, ${failed.length} sends failed, ${reused.length} offsets acked twice, ${wrong.length} acked offsets holding another record, ${dups.length} records stored twice, log holds ${log.length}`,
          );
          none(reused, "no offset acknowledged for two records");
          none(wrong, "every acknowledged offset holds the record acked");
          none(dups, "no record stored twice");
          none(failed, "every send acknowledged");
          assertEquals(log.length, total, "the log holds every record");
        } finally {
          await admin.disconnect();
        }
      }),
  });

  Deno.test({
    name:
      "cluster: kill -9 of a gateway under produce and group load: partitions and groups move within the lease, nothing acked is lost",
    ...opts,
    fn: () =>
      withCluster("failover", async (nodes, ns) => {
        const topic = "failover";
        const groupId = "g-failover";
        const P = 6;
        const setup = kafka(bootstraps(nodes)).admin();
        await setup.connect();
        const members: Member[] = [];
        try {
          await createTopic(setup, topic, P);
          await awaitAgreement(nodes, [topic], 30_000);

          // consumers: all brokers known, each listing a different gateway first
          const deliveries = new Map<string, Delivery[]>();
          for (const [i] of nodes.entries()) {
            const order = [...nodes.slice(i), ...nodes.slice(0, i)].map((n) => n.gw.bootstrap);
            members.push(
              await startMember(`m${i + 1}`, order, groupId, topic, (v, d) => {
                deliveries.set(v, [...(deliveries.get(v) ?? []), d]);
              }, 200),
            );
          }
          await waitBalanced(setup, groupId, topic, nodes.length, P, 60_000);

          // the idempotent producer, bootstrapped at every gateway
          const producer = kafka(bootstraps(nodes), "idempotent").producer({
            idempotent: true,
            maxInFlightRequests: 1,
            retry: RETRY,
          });
          await producer.connect();
          const acked = new Map<string, { partition: number; offset: number; at: number }>();
          const unacked: string[] = [];
          const sendErrors: string[] = [];
          let producing = true;
          let round = 0;
          // One send per partition at a time (a lane per partition, each send one record). KafkaJS 2.2.4 re-sends
          // a multi-partition send's already acknowledged partitions, with their next sequence numbers, when a
          // retry finds them under another leader (sendMessages.js keys "already answered" by broker, not by
          // partition): that duplicates records on any broker, so sends here never span partitions.
          const lane = async (partition: number) => {
            for (let n = 0; producing; n++) {
              const value = `r${n}-p${partition}`;
              round = Math.max(round, n + 1);
              try {
                const [r] = await producer.send({
                  topic,
                  acks: -1,
                  messages: [{ partition, key: value, value }],
                });
                acked.set(value, { partition, offset: Number(r.baseOffset), at: Date.now() });
              } catch (e) {
                unacked.push(value);
                sendErrors.push(String(e));
              }
              await sleep(20);
            }
          };
          const loop = Promise.all(Array.from({ length: P }, (_, p) => lane(p)));

          await sleep(4000);
          // the victim: the group's coordinator (it also leads partitions of the topic)
          const before = (await awaitAgreement(nodes, [topic], 10_000)).view;
          const coord = (await findCoordinators(nodes[0].port, [groupId])).get(groupId)!;
          assertEquals(coord[0], 0, "FindCoordinator error");
          const victim = nodes.find((n) => n.id === coord[1])!;
          const survivors = nodes.filter((n) => n !== victim);
          const moved = [...before.leaders].filter(([, l]) => l.leaderId === victim.id).map(([k]) =>
            Number(k.split("/")[1])
          );
          const survivorAdmin = kafka(survivors.map((n) => n.gw.bootstrap), "survivor-admin").admin();
          await survivorAdmin.connect();
          const committedBefore = await committed(survivorAdmin, groupId, topic);
          const ackedBefore = acked.size;

          const killedAt = Date.now();
          victim.alive = false;
          await victim.gw.kill();

          // failover: leaders (Metadata on both survivors), the coordinator (FindCoordinator), first acks on the
          // victim's partitions, the group balanced again
          const [meta, coordMs, produceMs] = await Promise.all([
            awaitAgreement(
              nodes,
              [topic],
              LEASE_MS + FAILOVER_SLACK_MS,
              "partitions moved off the killed gateway",
            ),
            waitFor("coordinator moved", LEASE_MS + FAILOVER_SLACK_MS, async () => {
              try {
                const cs = await Promise.all(survivors.map((n) => findCoordinators(n.port, [groupId])));
                const c = cs.map((m) => m.get(groupId)!);
                return c.every((x) => x[0] === 0 && x[1] !== victim.id && x[1] === c[0][1]);
              } catch {
                return false;
              }
            }),
            waitFor(
              "acks on the killed gateway's partitions",
              LEASE_MS + FAILOVER_SLACK_MS + 10_000,
              () => moved.every((p) => [...acked.values()].some((a) => a.partition === p && a.at > killedAt)),
            ),
          ]);
          const groupBalanced = await waitBalanced(survivorAdmin, groupId, topic, 3, P, 60_000);
          const groupMs = Date.now() - killedAt;
          const committedAfter = await committed(survivorAdmin, groupId, topic);
          const afterView = meta.view;

          // a little more load, then the victim comes back (same id, port and directory) and rejoins
          await sleep(3000);
          const rejoinAt = Date.now();
          victim.gw = await startNode(ns, victim.id, victim.port, victim.dataDir);
          victim.alive = true;
          const rejoined = await awaitAgreement(
            nodes,
            [topic],
            LEASE_MS + FAILOVER_SLACK_MS + 20_000,
            "rejoin",
          );
          const rejoinMs = Date.now() - rejoinAt;
          await sleep(3000);
          producing = false;
          await loop;
          await producer.disconnect();

          // what the log holds, read from each partition's leader
          const { view: endView } = await awaitAgreement(nodes, [topic], 20_000);
          const logs = new Map<number, Stored[]>();
          for (let p = 0; p < P; p++) logs.set(p, await readAll(leaderPort(endView, topic, p), topic, p));
          const where = new Map<string, ({ partition: number } & Stored)[]>();
          for (const [p, ms] of logs) {
            for (const m of ms) where.set(m.value, [...(where.get(m.value) ?? []), { partition: p, ...m }]);
          }
          const showWhere = (v: string) =>
            (where.get(v) ?? []).map((w) => `${w.partition}/${showStored(w)}`).join(", ");
          const lost = [...acked].filter(([v]) => !where.has(v)).map(([v]) => v);
          const duplicated = [...where].filter(([, w]) => w.length > 1).map(([v]) =>
            `${v} acked at ${acked.get(v)?.partition}/${acked.get(v)?.offset}, stored at ${showWhere(v)}`
          );
          // a copy with the same producer id and sequence is the gateway's failure to deduplicate a retry; copies
          // with different sequences were sent twice by the client
          const sameSequence = [...where].filter(([, w]) =>
            w.some((x, i) =>
              w.some((y, j) => i < j && x.producerId === y.producerId && x.sequence === y.sequence)
            )
          ).length;
          const misplaced = [...acked].filter(([v, a]) =>
            where.has(v) && !where.get(v)!.some((w) =>
              w.partition === a.partition && w.offset === a.offset
            )
          ).map(([v, a]) => `${v}: acked ${a.partition}/${a.offset}, stored at ${showWhere(v)}`);
          const byOffset = new Map<string, string[]>();
          for (const [v, a] of acked) {
            const k = `${a.partition}/${a.offset}`;
            byOffset.set(k, [...(byOffset.get(k) ?? []), v]);
          }
          const offsetsReused = [...byOffset].filter(([, vs]) => vs.length > 1).map(([k, vs]) =>
            `${k}: ${vs}`
          );
          const unackedStored = unacked.filter((v) => where.has(v)).length;

          // the group: every acked record delivered; nothing below the offsets committed before the kill again
          const missing = await waitFor(
            "the group delivers every acked record",
            60_000,
            () => [...acked.keys()].every((v) => deliveries.has(v)),
          ).then(() => 0).catch(() => [...acked.keys()].filter((v) => !deliveries.has(v)).length);
          const redelivered = [...deliveries.values()].filter((ds) => ds.length > 1).length;
          const belowCommit = [...deliveries.values()].flat().filter((d) =>
            d.at > killedAt && d.offset < (committedBefore.get(d.partition) ?? -1)
          );
          const commitsBack = [...committedBefore].filter(([p, off]) => (committedAfter.get(p) ?? -1) < off)
            .map(([p, off]) => `p${p}: ${off} -> ${committedAfter.get(p)}`);

          console.log(
            `cluster: kill -9 of gateway ${victim.id} (coordinator of ${groupId}${
              before.controllerId === victim.id ? ", controller" : ""
            }, leader of partitions [${moved}]): partitions moved in ${meta.ms} ms (leaders ${
              [...afterView.leaders].map(([k, l]) => `${k.split("/")[1]}=${l.leaderId}e${l.leaderEpoch}`)
                .join(" ")
            }), coordinator in ${coordMs} ms, first acks on moved partitions after ${produceMs} ms, group balanced after ${groupMs} ms (${
              [...groupBalanced.members.values()].map((ps) => `[${ps}]`).join(" ")
            }); rejoin in ${rejoinMs} ms (leaders ${
              [...rejoined.view.leaders].map(([k, l]) => `${k.split("/")[1]}=${l.leaderId}e${l.leaderEpoch}`)
                .join(" ")
            }); idempotent producer: ${round} rounds over ${P} partitions, ${acked.size} acked (${ackedBefore} before the kill), ${unacked.length} unacked (${unackedStored} of them stored), lost ${lost.length}, duplicated ${duplicated.length} (${sameSequence} with one sequence number), misplaced ${misplaced.length}, offsets reused ${offsetsReused.length}; group: ${deliveries.size} records delivered, ${missing} acked never delivered, ${redelivered} redelivered, ${belowCommit.length} re-read below the offsets committed before the kill, commits gone back ${commitsBack.length}`,
          );
          if (sendErrors.length) console.log(`cluster: failed sends: ${sendErrors.slice(0, 3).join(" | ")}`);
          assert(moved.length > 0, "the victim led partitions of the topic");
          none(lost, "acked records lost");
          none(duplicated, "records stored twice");
          none(misplaced, "acked records stored at another offset");
          none(offsetsReused, "offsets acked for two records");
          none(commitsBack, "committed offsets kept over the failover");
          assertEquals(missing, 0, "acked records the group never delivered");
          none(
            belowCommit.map((d) => `${d.partition}/${d.offset} (to ${d.member})`),
            "records re-read below the offsets committed before the kill",
          );
          assertEquals(unacked.length, 0, `sends that failed for good: ${sendErrors.slice(0, 3)}`);
          await survivorAdmin.disconnect();
        } finally {
          await Promise.all(members.map((m) => m.consumer.disconnect().catch(() => {})));
          await setup.disconnect();
        }
      }),
  });

  Deno.test({
    name:
      "cluster: raw Produce to a gateway that does not lead gets NOT_LEADER_OR_FOLLOWER naming the leader; one coordinator everywhere",
    ...opts,
    fn: () =>
      withCluster("raw", async (nodes) => {
        const topic = "raw";
        const admin = kafka([nodes[0].gw.bootstrap]).admin();
        await admin.connect();
        try {
          await createTopic(admin, topic, 6);
        } finally {
          await admin.disconnect();
        }
        const { view } = await awaitAgreement(nodes, [topic], 30_000);
        const batch = buildBatchSync({
          records: [{ offset: 0, timestamp: Date.now(), key: null, value: enc.encode("x"), headers: [] }],
        });
        let checked = 0;
        for (let p = 0; p < 6; p++) {
          const l = view.leaders.get(`${topic}/${p}`)!;
          const leaderPortP = leaderPort(view, topic, p);
          for (const n of nodes) {
            for (const version of [9, 10, 11]) {
              const r = await wire<ProduceResponse>(n.port, ProduceSpec, version, {
                transactionalId: null,
                acks: -1,
                timeoutMs: 5000,
                topicData: [{ name: topic, partitionData: [{ index: p, records: batch }] }],
              });
              const pr = r.responses[0].partitionResponses[0];
              const at = `Produce v${version} of ${topic}/${p} (leader ${l.leaderId}) to gateway ${n.id}`;
              if (n.id === l.leaderId) {
                assertEquals(pr.errorCode, 0, at);
                continue;
              }
              assertEquals(pr.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER, at);
              if (version >= 10) {
                // KIP-951: the new leader and its endpoint come with the error
                assertEquals(pr.currentLeader, { leaderId: l.leaderId, leaderEpoch: l.leaderEpoch }, at);
                const ep = (r.nodeEndpoints ?? []).find((e) => e.nodeId === l.leaderId);
                assert(ep, `${at}: no node endpoint for the leader: ${JSON.stringify(r.nodeEndpoints)}`);
                assertEquals(`${ep.host}:${ep.port}`, `127.0.0.1:${leaderPortP}`, at);
              }
              checked++;
            }
            // Fetch v16 from a non-leader: the same error and hint
            const topicId = (await metadata(n.port, [topic])).topics[0].topicId;
            const f = await wire<FetchResponse>(n.port, FetchSpec, 16, fetchBody(topic, p, 0, { topicId }));
            const fp = f.responses[0].partitions[0];
            const at = `Fetch v16 of ${topic}/${p} (leader ${l.leaderId}) from gateway ${n.id}`;
            if (n.id === l.leaderId) assertEquals(fp.errorCode, 0, at);
            else {
              assertEquals(fp.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER, at);
              assertEquals(fp.currentLeader, { leaderId: l.leaderId, leaderEpoch: l.leaderEpoch }, at);
              assert(
                (f.nodeEndpoints ?? []).some((e) => e.nodeId === l.leaderId),
                `${at}: no endpoint for the leader`,
              );
            }
          }
        }

        // FindCoordinator: every gateway names the same live node for each group (v4 batched and v3 single)
        const groups = Array.from({ length: 12 }, (_, i) => `group-${i}`);
        // The coordinators are the `__consumer_offsets` leaders: asked once every gateway agrees on them. A
        // hand-over under way (leader -1, e.g. after a lease missed on a loaded machine) answers the retriable
        // COORDINATOR_NOT_AVAILABLE, which clients retry: so does this test, within the agreement's deadline.
        let answers: Map<string, readonly [number, number, string]>[] = [];
        const t0 = Date.now();
        for (;;) {
          await awaitAgreement(nodes, [topic, "__consumer_offsets"], 30_000, "agreement on the coordinators");
          answers = await Promise.all(nodes.map((n) => findCoordinators(n.port, groups)));
          const retriable = answers.some((a) =>
            [...a.values()].some((c) => c[0] === ErrorCode.COORDINATOR_NOT_AVAILABLE)
          );
          if (!retriable || Date.now() - t0 > 30_000) break;
          await sleep(200);
        }
        const coordinators = new Map<string, number>();
        for (const g of groups) {
          const each = answers.map((a) => a.get(g)!);
          for (const [i, c] of each.entries()) {
            assertEquals(c[0], 0, `FindCoordinator ${g} on gateway ${i + 1}`);
          }
          assertEquals(
            new Set(each.map((c) => `${c[1]}@${c[2]}`)).size,
            1,
            `coordinator of ${g}: ${each}`,
          );
          const node = nodes.find((n) => n.id === each[0][1]);
          assert(node, `coordinator of ${g} is node ${each[0][1]}, not a gateway`);
          assertEquals(each[0][2], `127.0.0.1:${node.port}`, `coordinator address of ${g}`);
          coordinators.set(g, node.id);
          for (const n of nodes) {
            const v3 = await wire<FindCoordinatorResponse>(n.port, FindCoordinatorSpec, 3, {
              key: g,
              keyType: 0,
            });
            assertEquals(
              [v3.errorCode, v3.nodeId],
              [0, node.id],
              `FindCoordinator v3 ${g} on gateway ${n.id}`,
            );
          }
        }

        // a group's offsets go to its coordinator only: NOT_COORDINATOR elsewhere
        let notCoordinator = 0;
        for (const g of groups.slice(0, 4)) {
          for (const n of nodes) {
            const c = await wire<OffsetCommitResponse>(n.port, OffsetCommitSpec, 8, {
              groupId: g,
              generationIdOrMemberEpoch: -1,
              memberId: "",
              groupInstanceId: null,
              topics: [{
                name: topic,
                partitions: [{
                  partitionIndex: 0,
                  committedOffset: 1,
                  committedLeaderEpoch: -1,
                  committedMetadata: null,
                }],
              }],
            });
            const code = c.topics[0].partitions[0].errorCode;
            const o = await wire<OffsetFetchResponse>(n.port, OffsetFetchSpec, 8, {
              groups: [{ groupId: g, topics: [{ name: topic, partitionIndexes: [0] }] }],
              requireStable: false,
            });
            const og = o.groups![0];
            const fetchCode = og.errorCode;
            const at = `group ${g} (coordinator ${coordinators.get(g)}) on gateway ${n.id}`;
            if (n.id === coordinators.get(g)) {
              assertEquals([code, fetchCode], [0, 0], at);
              assertEquals(og.topics[0].partitions[0].committedOffset, 1, at);
            } else {
              assertEquals([code, fetchCode], [ErrorCode.NOT_COORDINATOR, ErrorCode.NOT_COORDINATOR], at);
              notCoordinator++;
            }
          }
        }
        const spread = new Map<number, number>();
        for (const id of coordinators.values()) spread.set(id, (spread.get(id) ?? 0) + 1);
        console.log(
          `cluster: raw: ${checked} Produce answers from non-leaders named the leader; ${groups.length} groups, one coordinator each on all 3 gateways (${
            [...spread].sort().map(([id, c]) => `node ${id}: ${c}`).join(", ")
          }); ${notCoordinator} NOT_COORDINATOR answers off the coordinator`,
        );
      }),
  });

  Deno.test({
    name: "cluster: stop the SeaweedFS cluster of this module",
    ...opts,
    fn: () => cluster.stop(),
  });
}
