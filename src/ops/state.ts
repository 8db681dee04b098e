// Read-only views of the gateway for operators: the JSON admin API (the cluster's gateways, partition leaders and
// group coordinators as this gateway knows them, topics with watermarks, groups with members, decoded assignments
// and lag, connections, effective configuration) and the state-like metrics that are read at scrape time rather
// than tracked (groups by state, lag, watermarks, sizes, connections, the cluster).
import { type Config, type ListenerAddress, listenersText, OPTIONS } from "../configs/options.ts";
import type { QuotaSources } from "../quotas/view.ts";
import { type TxnOpsSource } from "../transactions/view.ts";
import type { PartitionProducerState } from "../producer/state.ts";
import type { BackendStatus, Storage, TopicMeta } from "../storage/storage.ts";
import type { GroupCoordinator } from "../groups/coordinator.ts";
import type { ShareService } from "../groups/share/service.ts";
import type { GroupState } from "../groups/classic/group.ts";
import type {
  ConsumerGroupDescription,
  ConsumerGroupState,
  DescribedTopicPartitions,
  GroupType,
  MemberState,
} from "../groups/consumer/contract.ts";
import {
  decodeAssignment,
  type DecodedSubscription,
  decodeSubscription,
  type TopicPartitions,
} from "./consumer_protocol.ts";
import { type GatewayMetrics } from "../metrics/metrics.ts";
import { ApiKey } from "../protocol/api_keys.ts";
import {
  type ClusterSnapshot,
  type ClusterView,
  CONSUMER_OFFSETS_TOPIC,
  TRANSACTION_STATE_TOPIC,
} from "../cluster/view.ts";

/** What the Kafka server shows of itself (src/server/server.ts). */
export interface ConnectionSource {
  readonly listening: boolean;
  readonly connectionCount: number;
  connectionList(): readonly ConnectionView[];
  /** The request memory budget (queued-max-request-bytes): bytes charged, connections waiting for room. */
  readonly requestMemory: { readonly inUse: number; readonly waiting: number; readonly capacity: number };
}

const API_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(ApiKey).map(([name, key]) => [key, name]),
);

export interface ConnectionView {
  readonly id: number;
  readonly remote: string;
  readonly clientId: string | null;
  readonly clientSoftware: string | null;
  readonly openedAt: number;
  readonly requests: number;
  readonly lastRequestAt: number;
  /** The listener it came through, its principal and TLS version (absent in tests' fakes). */
  readonly listener?: { readonly name: string };
  readonly auth?: { readonly principal: { readonly type: string; readonly name: string } };
  readonly tls?: { readonly protocol: string } | null;
  /** Response bytes queued and not yet written to the socket. */
  readonly pendingResponseBytes?: number;
  /** The API key of the request being handled, which came in at lastRequestAt (-1: none; absent in fakes). */
  readonly inFlightApi?: number;
}

/** Everything the operations endpoints read, attached once the gateway has started. */
export interface OpsSources {
  readonly config: Config;
  readonly clusterId: string;
  readonly storage: Storage;
  readonly coordinator: GroupCoordinator;
  readonly server: ConnectionSource;
  /** The cluster this gateway belongs to (SoloCluster on the embedded backend). */
  readonly cluster: ClusterView;
  /** Client quotas and connection limits (src/quotas/view.ts); absent in tests without. */
  readonly quotas?: QuotaSources | null;
  /** The transaction coordinator (src/transactions/view.ts); absent in tests without. */
  readonly transactions?: TxnOpsSource | null;
  /** Share-partitions and share sessions (group.share.enable); absent otherwise. */
  readonly shares?: ShareService | null;
  /** Loaded producer state of a partition (its last stable offset), without loading it; absent in tests without. */
  readonly producers?:
    | { peek(topic: TopicMeta, partition: number): PartitionProducerState | undefined }
    | null;
}

export const GROUP_STATES: readonly GroupState[] = [
  "Empty",
  "PreparingRebalance",
  "CompletingRebalance",
  "Stable",
  "Dead",
];

/** States of either group type, as the ops API and the kgw_groups metric show them. */
export type AnyGroupState = GroupState | ConsumerGroupState;

/** The consumer group's description when `groupId` is one (null: classic or unknown). */
export function consumerGroupOf(src: OpsSources, groupId: string): ConsumerGroupDescription | null {
  if (src.coordinator.groupType(groupId) !== "consumer") return null;
  const d = src.coordinator.describeConsumerGroup(groupId);
  return d.errorCode === 0 ? d : null;
}

// ------------------------------------------------------------------------------------------ topics

export interface PartitionInfo {
  readonly partition: number;
  readonly logStartOffset: number;
  readonly highWatermark: number;
  /** highWatermark - logStartOffset (records currently readable, before compaction). */
  readonly records: number;
  /** Bytes on the backend; -1 when the backend cannot tell. */
  readonly sizeBytes: number;
  /** Node id of the gateway that leads the partition (-1: none now). */
  readonly leaderId: number;
  /** Its leader epoch (-1: the cluster has no epochs, a solo gateway). */
  readonly leaderEpoch: number;
}

export interface TopicInfo {
  readonly name: string;
  readonly id: string;
  readonly partitionCount: number;
  readonly configs: Record<string, string>;
  readonly partitions: PartitionInfo[];
  readonly records: number;
  readonly sizeBytes: number;
  /** Counters since start (null when metrics are off): the dashboard derives rates from them. */
  readonly throughput: { bytesIn: number; recordsIn: number; bytesOut: number; recordsOut: number } | null;
}

export async function partitionInfo(
  storage: Storage,
  t: TopicMeta,
  p: number,
  cluster?: ClusterView,
): Promise<PartitionInfo> {
  let logStartOffset = -1, highWatermark = -1, sizeBytes = -1;
  try {
    const o = await storage.offsets(t.name, p);
    logStartOffset = o.logStartOffset;
    highWatermark = o.highWatermark;
  } catch { /* deleted meanwhile */ }
  try {
    sizeBytes = await storage.partitionSize(t.name, p);
  } catch { /* not supported or deleted */ }
  const leader = cluster?.leaderOf(t.name, p);
  return {
    partition: p,
    logStartOffset,
    highWatermark,
    records: highWatermark >= 0 ? highWatermark - Math.max(0, logStartOffset) : 0,
    sizeBytes,
    leaderId: leader?.leaderId ?? -1,
    leaderEpoch: leader?.leaderEpoch ?? -1,
  };
}

export async function topicInfo(
  src: OpsSources,
  metrics: GatewayMetrics | null,
  t: TopicMeta,
): Promise<TopicInfo> {
  const partitions: PartitionInfo[] = [];
  for (let p = 0; p < t.partitions; p++) partitions.push(await partitionInfo(src.storage, t, p, src.cluster));
  const c = metrics?.topicCountersOf(t.name);
  return {
    name: t.name,
    id: t.id,
    partitionCount: t.partitions,
    configs: { ...t.configs },
    partitions,
    records: partitions.reduce((s, p) => s + p.records, 0),
    sizeBytes: partitions.reduce((s, p) => s + Math.max(0, p.sizeBytes), 0),
    throughput: metrics === null ? null : {
      bytesIn: c?.bytesIn ?? 0,
      recordsIn: c?.recordsIn ?? 0,
      bytesOut: c?.bytesOut ?? 0,
      recordsOut: c?.recordsOut ?? 0,
    },
  };
}

export async function topicsInfo(src: OpsSources, metrics: GatewayMetrics | null): Promise<TopicInfo[]> {
  const topics = src.storage.listTopics().slice().sort((a, b) => a.name.localeCompare(b.name));
  const out: TopicInfo[] = [];
  for (const t of topics) out.push(await topicInfo(src, metrics, t));
  return out;
}

// ------------------------------------------------------------------------------------------ groups

export interface MemberInfo {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  /** Decoded consumer-protocol subscription (null: not Stable, or not the "consumer" protocol). */
  readonly subscription: DecodedSubscription | null;
  /** Decoded assignment: topic -> partitions (null: not Stable, or not the "consumer" protocol). */
  readonly assignment: TopicPartitions[] | null;
  /** KIP-848 consumer groups only (else absent): the member's epoch, protocol and reconciliation. */
  readonly consumer?: ConsumerMemberInfo;
}

/** A member of a KIP-848 consumer group: what it owns now against the group's target for it. */
export interface ConsumerMemberInfo {
  readonly memberEpoch: number;
  /** "consumer" (ConsumerGroupHeartbeat) or "classic" (JoinGroup/SyncGroup member of a consumer group). */
  readonly protocol: "consumer" | "classic";
  /** Kafka's MemberState: STABLE, UNREVOKED_PARTITIONS (must revoke), UNRELEASED_PARTITIONS (waits for others). */
  readonly reconciliation: MemberState;
  readonly rackId: string | null;
  readonly subscribedTopics: string[];
  readonly subscribedTopicRegex: string | null;
  readonly targetAssignment: TopicPartitions[];
}

export interface GroupPartitionInfo {
  readonly topic: string;
  readonly partition: number;
  /** -1 when the group has committed nothing for the partition. */
  readonly committedOffset: number;
  readonly highWatermark: number;
  /** highWatermark - committedOffset; null when nothing is committed or the partition is gone. */
  readonly lag: number | null;
  /**
   * Share groups, where this gateway leads the partition: the share-partition's start offset (SPSO, also given as
   * committedOffset, the lag counting from it), end offset and records in flight by state.
   */
  readonly share?: { startOffset: number; endOffset: number; states: Record<string, number> };
  /** Member the partition is assigned to (Stable consumer groups), else null. */
  readonly memberId: string | null;
  readonly clientId: string | null;
}

export interface GroupInfo {
  readonly groupId: string;
  /** "classic" (JoinGroup/SyncGroup), "consumer" (KIP-848) or "share" (KIP-932). */
  readonly type: GroupType;
  readonly state: AnyGroupState;
  /** KIP-848 consumer groups and share groups only (else null): epochs and the server assignor. */
  readonly consumer: { groupEpoch: number; assignmentEpoch: number; assignor: string } | null;
  readonly protocolType: string;
  readonly protocol: string;
  readonly generationId: number;
  readonly leader: string | null;
  readonly members: MemberInfo[];
  readonly partitions: GroupPartitionInfo[];
  /** Sum of the known lags. */
  readonly totalLag: number;
}

/** High watermarks looked up once per view. */
export class Watermarks {
  private readonly cache = new Map<string, Promise<number>>();
  constructor(private readonly storage: Storage) {}
  get(topic: string, partition: number): Promise<number> {
    const k = `${topic}\u0000${partition}`;
    let v = this.cache.get(k);
    if (v === undefined) {
      const t = this.storage.getTopic(topic);
      v = t === undefined || partition >= t.partitions
        ? Promise.resolve(-1)
        : this.storage.offsets(topic, partition).then((o) => o.highWatermark, () => -1);
      this.cache.set(k, v);
    }
    return v;
  }
}

function byName(tps: readonly DescribedTopicPartitions[]): TopicPartitions[] {
  return tps.map((t) => ({ topic: t.topicName, partitions: [...t.partitions].sort((a, b) => a - b) }));
}

/** Partitions of the group: who owns each (from `owners`), committed offset, end offset and lag. */
async function partitionRows(
  src: OpsSources,
  groupId: string,
  owners: ReadonlyMap<string, { memberId: string; clientId: string }>,
  hw: Watermarks,
): Promise<{ partitions: GroupPartitionInfo[]; totalLag: number }> {
  const committed = new Map<string, { topic: string; partition: number; offset: number }>();
  for (const o of src.coordinator.fetchOffsets(groupId, null)) {
    committed.set(`${o.topic}\u0000${o.partition}`, o);
  }
  const keys = new Set([...owners.keys(), ...committed.keys()]);
  const partitions: GroupPartitionInfo[] = [];
  let totalLag = 0;
  for (const k of keys) {
    const [topic, ps] = k.split("\u0000");
    const partition = Number(ps);
    const c = committed.get(k);
    const high = await hw.get(topic, partition);
    const committedOffset = c?.offset ?? -1;
    const lag = committedOffset >= 0 && high >= 0 ? Math.max(0, high - committedOffset) : null;
    if (lag !== null) totalLag += lag;
    const owner = owners.get(k);
    partitions.push({
      topic,
      partition,
      committedOffset,
      highWatermark: high,
      lag,
      memberId: owner?.memberId ?? null,
      clientId: owner?.clientId ?? null,
    });
  }
  partitions.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  return { partitions, totalLag };
}

/** A KIP-848 consumer group: members with their epoch, reconciliation state, current and target assignment. */
async function consumerGroupInfo(
  src: OpsSources,
  d: ConsumerGroupDescription,
  hw: Watermarks,
): Promise<GroupInfo> {
  const owners = new Map<string, { memberId: string; clientId: string }>();
  const members: MemberInfo[] = d.members.map((m) => {
    const assignment = byName(m.assignment);
    for (const tp of assignment) {
      for (const p of tp.partitions) {
        owners.set(`${tp.topic}\u0000${p}`, { memberId: m.memberId, clientId: m.clientId });
      }
    }
    return {
      memberId: m.memberId,
      groupInstanceId: m.instanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      subscription: null,
      assignment,
      consumer: {
        memberEpoch: m.memberEpoch,
        protocol: m.memberType === 0 ? "classic" : "consumer",
        reconciliation: m.state,
        rackId: m.rackId,
        subscribedTopics: [...m.subscribedTopicNames],
        subscribedTopicRegex: m.subscribedTopicRegex,
        targetAssignment: byName(m.targetAssignment),
      },
    };
  });
  const { partitions, totalLag } = await partitionRows(src, d.groupId, owners, hw);
  return {
    groupId: d.groupId,
    type: "consumer",
    state: d.groupState,
    consumer: { groupEpoch: d.groupEpoch, assignmentEpoch: d.assignmentEpoch, assignor: d.assignorName },
    protocolType: "consumer",
    protocol: d.assignorName,
    generationId: d.groupEpoch,
    leader: null,
    members,
    partitions,
    totalLag,
  };
}

/**
 * A KIP-932 share group: members with their epoch and assigned partitions (several members may share one; the
 * partition rows name one of them). Share groups commit no offsets: no lag.
 */
async function shareGroupInfo(src: OpsSources, groupId: string, hw: Watermarks): Promise<GroupInfo> {
  const d = src.coordinator.describeShareGroup(groupId);
  const owners = new Map<string, { memberId: string; clientId: string }>();
  const members: MemberInfo[] = d.members.map((m) => {
    const assignment = byName(m.assignment);
    for (const tp of assignment) {
      for (const p of tp.partitions) {
        const k = `${tp.topic}\u0000${p}`;
        if (!owners.has(k)) owners.set(k, { memberId: m.memberId, clientId: m.clientId });
      }
    }
    return {
      memberId: m.memberId,
      groupInstanceId: null,
      clientId: m.clientId,
      clientHost: m.clientHost,
      subscription: null,
      assignment,
    };
  });
  const rows = await partitionRows(src, groupId, owners, hw);
  const held = new Map(
    (src.shares?.partitions.views() ?? []).filter((v) => v.groupId === groupId).map((v) => [
      `${v.topic}\u0000${v.partition}`,
      v,
    ]),
  );
  let totalLag = 0;
  const partitions = rows.partitions.map((r) => {
    const v = held.get(`${r.topic}\u0000${r.partition}`);
    if (v === undefined) return r;
    const lag = r.highWatermark >= 0 ? Math.max(0, r.highWatermark - v.startOffset) : null;
    totalLag += lag ?? 0;
    return {
      ...r,
      committedOffset: v.startOffset,
      lag,
      share: { startOffset: v.startOffset, endOffset: v.endOffset, states: v.states },
    };
  });
  return {
    groupId,
    type: "share",
    state: d.groupState,
    consumer: { groupEpoch: d.groupEpoch, assignmentEpoch: d.assignmentEpoch, assignor: d.assignorName },
    protocolType: "share",
    protocol: d.assignorName,
    generationId: d.groupEpoch,
    leader: null,
    members,
    partitions,
    totalLag,
  };
}

async function groupInfo(src: OpsSources, groupId: string, hw: Watermarks): Promise<GroupInfo> {
  if (src.coordinator.groupType(groupId) === "share") return shareGroupInfo(src, groupId, hw);
  const cg = consumerGroupOf(src, groupId);
  if (cg !== null) return consumerGroupInfo(src, cg, hw);
  const d = src.coordinator.describe(groupId);
  const consumer = d.protocolType === "consumer";
  const owners = new Map<string, { memberId: string; clientId: string }>();
  const members: MemberInfo[] = d.members.map((m) => {
    const subscription = consumer && m.metadata.length > 0 ? decodeSubscription(m.metadata) : null;
    const assignment = consumer && m.assignment.length > 0
      ? decodeAssignment(m.assignment)?.partitions ?? null
      : null;
    for (const tp of assignment ?? []) {
      for (const p of tp.partitions) {
        owners.set(`${tp.topic}\u0000${p}`, { memberId: m.memberId, clientId: m.clientId });
      }
    }
    return {
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      subscription,
      assignment,
    };
  });
  const { partitions, totalLag } = await partitionRows(src, groupId, owners, hw);
  return {
    groupId,
    type: "classic",
    state: d.state,
    consumer: null,
    protocolType: d.protocolType,
    protocol: d.protocolName,
    generationId: d.generationId,
    leader: d.leaderId,
    members,
    partitions,
    totalLag,
  };
}

export async function groupsInfo(src: OpsSources, only?: string): Promise<GroupInfo[]> {
  const hw = new Watermarks(src.storage);
  const ids = only !== undefined
    ? [only]
    : src.coordinator.list().map((g) => g.groupId).sort((a, b) => a.localeCompare(b));
  const out: GroupInfo[] = [];
  for (const id of ids) out.push(await groupInfo(src, id, hw));
  return out;
}

// ------------------------------------------------------------------------------------------ the cluster

export interface BrokerInfo {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
  /** The gateway that assigns partitions to gateways. */
  readonly controller: boolean;
  /** The gateway answering this request. */
  readonly self: boolean;
  /** Partitions of topics (not `__consumer_offsets`) it leads. */
  readonly leaderPartitions: number;
  /** `__consumer_offsets` partitions it leads: it coordinates the groups that hash to them. */
  readonly coordinatorPartitions: number;
}

function brokersOf(snap: ClusterSnapshot): BrokerInfo[] {
  const led = new Map<number, { data: number; offsets: number }>();
  for (const p of snap.partitions) {
    // Led with the __consumer_offsets partition of the same index (a solo snapshot lists it as a storage topic).
    if (p.topic === TRANSACTION_STATE_TOPIC) continue;
    const n = led.get(p.leaderId) ?? { data: 0, offsets: 0 };
    if (p.topic === CONSUMER_OFFSETS_TOPIC) n.offsets++;
    else n.data++;
    led.set(p.leaderId, n);
  }
  return snap.brokers.map((b) => ({
    nodeId: b.nodeId,
    host: b.host,
    port: b.port,
    rack: b.rack,
    controller: b.nodeId === snap.controllerId,
    self: b.nodeId === snap.nodeId,
    leaderPartitions: led.get(b.nodeId)?.data ?? 0,
    coordinatorPartitions: led.get(b.nodeId)?.offsets ?? 0,
  }));
}

/** The live gateways (this one included) with their roles and how many partitions each leads. */
export function brokersInfo(src: OpsSources): BrokerInfo[] {
  return brokersOf(src.cluster.snapshot());
}

export interface ClusterPartitionInfo {
  readonly topic: string;
  readonly partition: number;
  /** -1 while no gateway leads it. */
  readonly leaderId: number;
  readonly leaderEpoch: number;
  /** This gateway leads it and serves it now. */
  readonly serving: boolean;
}

export interface CoordinatedGroupInfo {
  readonly groupId: string;
  readonly type: GroupType;
  readonly state: string;
  /** Its `__consumer_offsets` partition and the leader epoch this gateway holds it with. */
  readonly coordinatorPartition: number;
  readonly leaderEpoch: number;
}

export interface ClusterInfo {
  readonly clusterId: string;
  /** This gateway. */
  readonly nodeId: number;
  /** Several gateways share the backend (SeaweedMQ): leadership is per partition, epochs are real. */
  readonly distributed: boolean;
  readonly controllerId: number;
  /** Version of the partition assignment this gateway applied (0 for a solo gateway). */
  readonly assignmentVersion: number;
  /** A gateway silent this long loses its partitions to the others (0 for a solo gateway). */
  readonly leaseTimeoutMs: number;
  readonly brokers: BrokerInfo[];
  /** Partitions that no live gateway leads now. */
  readonly leaderlessPartitions: number;
  /** Partitions this gateway serves now. */
  readonly servingPartitions: number;
  /** Every partition, `__consumer_offsets` included, with its leader as this gateway knows it. */
  readonly partitions: ClusterPartitionInfo[];
  /** The groups this gateway coordinates now. */
  readonly groups: CoordinatedGroupInfo[];
}

/** The cluster as this gateway sees it (GET /api/v1/cluster). */
export function clusterInfo(src: OpsSources): ClusterInfo {
  const snap = src.cluster.snapshot();
  const partitions = snap.partitions.map((p) => ({
    topic: p.topic,
    partition: p.partition,
    leaderId: p.leaderId,
    leaderEpoch: p.leaderEpoch,
    serving: p.serving,
  })).sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  const live = new Set(snap.brokers.map((b) => b.nodeId));
  const groups = src.coordinator.list()
    .filter((g) => src.cluster.coordinates(g.groupId))
    .map((g) => ({
      groupId: g.groupId,
      type: g.type,
      state: g.state,
      coordinatorPartition: src.cluster.coordinatorPartition(g.groupId),
      leaderEpoch: src.cluster.coordinatorOf(g.groupId).leaderEpoch,
    }))
    .sort((a, b) => a.groupId.localeCompare(b.groupId));
  return {
    clusterId: src.clusterId,
    nodeId: snap.nodeId,
    distributed: snap.distributed,
    controllerId: snap.controllerId,
    assignmentVersion: snap.assignmentVersion,
    leaseTimeoutMs: snap.leaseTimeoutMs,
    brokers: brokersOf(snap),
    leaderlessPartitions: partitions.filter((p) => !live.has(p.leaderId)).length,
    servingPartitions: partitions.filter((p) => p.serving).length,
    partitions,
    groups,
  };
}

// ------------------------------------------------------------------------------------------ the rest

export function connectionsInfo(src: OpsSources) {
  return src.server.connectionList().map((c) => ({
    id: c.id,
    remote: c.remote,
    clientId: c.clientId,
    clientSoftware: c.clientSoftware,
    listener: c.listener?.name ?? null,
    principal: c.auth ? `${c.auth.principal.type}:${c.auth.principal.name}` : null,
    tls: c.tls?.protocol ?? null,
    openedAt: new Date(c.openedAt).toISOString(),
    requests: c.requests,
    lastRequestAt: c.lastRequestAt > 0 ? new Date(c.lastRequestAt).toISOString() : null,
    // the request being handled: a long wait (a JoinGroup held for a rebalance, a long poll) shows here
    inFlight: c.inFlightApi !== undefined && c.inFlightApi >= 0
      ? {
        api: API_NAMES.get(c.inFlightApi) ?? String(c.inFlightApi),
        sinceMs: Date.now() - c.lastRequestAt,
      }
      : null,
  }));
}

/**
 * Memory and the live counts that must return to zero when clients go away (GET /api/v1/memory). A process
 * started with `--v8-flags=--expose-gc` (tests, the fuzz harness) first runs a full collection, so `heapUsed` is
 * live data, not garbage: what a leak check compares. Production launchers do not expose gc; then `gc` is false.
 */
export function memoryInfo(src: OpsSources) {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc === "function") gc();
  const mem = Deno.memoryUsage();
  const conns = src.server.connectionList();
  let pending = 0;
  for (const c of conns) pending += c.pendingResponseBytes ?? 0;
  return {
    gc: typeof gc === "function",
    rss: mem.rss,
    heapUsed: mem.heapUsed,
    heapTotal: mem.heapTotal,
    external: mem.external,
    connections: conns.length,
    requestMemoryBytes: src.server.requestMemory.inUse,
    requestMemoryWaiting: src.server.requestMemory.waiting,
    pendingResponseBytes: pending,
  };
}

const SECRET_NAME = /(password|passwd|secret|token|credential|private|jaas|api[-_]?key)/i;
export const REDACTED = "[redacted]";

/** Whether an option's value is hidden: marked `secret` in OPTIONS, or named like a secret. */
export function isSecretOption(flag: string, marked = false): boolean {
  return marked || SECRET_NAME.test(flag);
}

/** The effective configuration by flag name; secrets (marked, or named like one) are redacted. */
export function configInfo(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const c = config as unknown as Record<string, unknown>;
  for (const o of OPTIONS) {
    const v = c[o.key];
    if (isSecretOption(o.flag, (o as { secret?: boolean }).secret === true)) {
      out[o.flag] = v === undefined || v === null || v === "" ? v : REDACTED;
    } else if (v === null && o.kind === "hostport|off") out[o.flag] = "off";
    else if (o.kind === "listeners") out[o.flag] = listenersText(v as readonly ListenerAddress[]);
    else if (v !== null && typeof v === "object" && "host" in v && "port" in v) {
      const hp = v as { host: string; port: number };
      out[o.flag] = `${hp.host}:${hp.port}`;
    } else out[o.flag] = v;
  }
  return out;
}

// ------------------------------------------------------------------------------------------ readiness

export interface Readiness {
  readonly ready: boolean;
  readonly checks: { name: string; ok: boolean; detail: string }[];
}

function withTimeout<T>(p: Promise<T> | T, ms: number, fallback: T): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    Promise.resolve(p),
    new Promise<T>((resolve) => timer = setTimeout(() => resolve(fallback), ms)),
  ]).finally(() => clearTimeout(timer));
}

/** Kafka listener up, storage recovered and open, backend reachable; not shutting down. */
export async function readiness(src: OpsSources | null, stopping: boolean): Promise<Readiness> {
  const checks: Readiness["checks"] = [];
  if (src === null) {
    checks.push({ name: "startup", ok: false, detail: "recovering storage and consumer groups" });
    return { ready: false, checks };
  }
  checks.push({ name: "shutdown", ok: !stopping, detail: stopping ? "shutting down" : "running" });
  checks.push({
    name: "kafka_listener",
    ok: src.server.listening,
    detail: src.server.listening ? listenersText(src.config.advertisedListener) : "not accepting connections",
  });
  let st: BackendStatus;
  try {
    st = src.storage.status
      ? await withTimeout(src.storage.status(), 2000, {
        ready: false,
        detail: "status check timed out (2 s)",
      })
      : { ready: true, detail: `${src.storage.kind} (no status hook)` };
  } catch (e) {
    st = { ready: false, detail: `status check failed: ${(e as Error)?.message ?? e}` };
  }
  checks.push({ name: "storage", ok: st.ready, detail: st.detail });
  return { ready: checks.every((c) => c.ok), checks };
}
