// SeaweedMQStorage: the Storage interface on a SeaweedFS cluster (SeaweedMQ brokers for records, the filer for
// committed offsets and gateway metadata), compatible with SeaweedFS's own Kafka gateway: topics in namespace
// "kafka", Kafka partition i of n = ring range [i*floor(2520/n), (i+1)*floor(2520/n)) (the last ending at 2520),
// Kafka offset = SeaweedMQ offset, committed offsets in its filer layout. See docs/seaweedmq.md.
// Around it: transport/ (gRPC channels, the protobuf codec, cluster discovery, the filer), topic/ (what a Kafka
// topic is made of here: layouts and their installation, retention, log-file reclaim), and the data path
// (partition.ts, publisher.ts, record_codec.ts, log_files.ts).
import { SeaweedDocuments } from "./documents.ts";
import type { DocumentStore } from "../documents.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import {
  type AppendRequest,
  type AppendResult,
  type BackendRpcObserver,
  type BackendStatus,
  type LogDirInfo,
  type PartitionOffsets,
  type ProducerStateStore,
  type ReadResult,
  type Storage,
  StorageError,
  type TimestampOffset,
  type TopicConfigs,
  type TopicMeta,
} from "../storage.ts";
import type { GroupStore } from "../group_store.ts";
import type { LeaseGuard, Participant, TopicPartitionRef } from "../leadership.ts";
import { SmqCluster } from "./transport/cluster.ts";
import { Filer } from "./transport/filer.ts";
import { errorText, type LogFn, type SmqContext, type Timer, unref } from "./context.ts";
import { rpcCode, Status } from "./transport/grpc.ts";
import {
  decodeConfigureTopicResponse,
  decodeGetTopicConfigurationResponse,
  decodeListTopicsResponse,
  encodeClosePublishersRequest,
  encodeConfigureTopicRequest,
  encodeTopicRequest,
  Rpc,
} from "./transport/messages.ts";
import { partitionDir, type PartitionState, RING_SIZE } from "./partition.ts";
import {
  buildBatches,
  encodeAppend,
  RecordCodecError,
  type RecordFormat,
  type SmqRecord,
  TRANSACTIONAL_ATTRIBUTES,
} from "./record_codec.ts";
import { SeaweedMQGroupStore } from "./group_store.ts";
import { SeaweedMQProducerStore } from "./producer_store.ts";
import { json, MetaPaths, parseJson, pathName } from "./meta.ts";
import { LogFileCache, VolumeLocator } from "./log_files.ts";
import {
  SEAWEEDMQ_FIXED_BROKER_CONFIGS,
  SEAWEEDMQ_FIXED_TOPIC_CONFIGS,
  SEAWEEDMQ_INERT_TOPIC_CONFIGS,
  SEAWEEDMQ_TOPIC_CONFIG_NOTES,
} from "./fixed_configs.ts";
import {
  byRange,
  TOPIC_NAME,
  type TopicEnv,
  type TopicExtra,
  type TopicState,
  TopicTable,
} from "./topic/install.ts";
import type { Layout, PartitionHistory } from "./topic/layouts.ts";
import { smqRetention, topicNumber, TopicRetentionTask } from "./topic/retention.ts";
import { RecordSchemaSync, type TopicTypings } from "./topic/record_schema.ts";

/** A deleted topic's layout directories must stay gone this long before DeleteTopics answers ... */
const DELETE_QUIET_MS = 1500;
/** ... waiting at most this long for the broker's last flush. */
const DELETE_SETTLE_MS = 6000;
/** A partition given away waits this long for its in-flight appends before failing them (NOT_LEADER_OR_FOLLOWER). */
const RELEASE_WAIT_MS = 5000;

export interface SeaweedMQOptions {
  /** Master addresses (HOST:PORT, HTTP port; gRPC = port + 10000). */
  readonly masters: readonly string[];
  /** Broker gRPC addresses; empty = discover through the masters. */
  readonly brokers?: readonly string[];
  /** Filer addresses (HOST:PORT, HTTP port); empty = discover through the masters. */
  readonly filers?: readonly string[];
  /** SeaweedMQ namespace of Kafka topics (default "kafka", as SeaweedFS's gateway). */
  readonly namespace?: string;
  /** How appended records are stored (record_codec.ts); default "envelope". Reads take both. */
  readonly recordFormat?: RecordFormat;
  readonly rpcTimeoutMs?: number;
  readonly publishTimeoutMs?: number;
  readonly replayWindowMs?: number;
  readonly replayMaxBytes?: number;
  /** How often the topic list is re-read (topics created or deleted through other gateways). */
  readonly topicRefreshMs?: number;
  /** How long open() waits for a broker and a filer to be registered. */
  readonly startTimeoutMs?: number;
  /** Read flushed records from the log files in SeaweedFS rather than through the broker (default true). */
  readonly directReads?: boolean;
  /** Memory for parsed log files (default 256 MiB). */
  readonly readCacheBytes?: number;
  /** retention.ms / retention.bytes until setConfigDefaults (defaults 7 days, -1). */
  readonly retentionMs?: number;
  readonly retentionBytes?: number;
  /** How often retention deletes expired log files (default 5 minutes). */
  readonly retentionCheckIntervalMs?: number;
  readonly log?: LogFn;
}

/**
 * This gateway's leadership of one partition, from its acquire until its release is done: valid while the cluster's
 * lease under which it was acquired holds (LeaseGuard: checked by the clock) and the release has not finished. The
 * partition's publisher checks it right before it writes anything to the broker.
 */
class Grant implements LeaseGuard {
  private revoked = false;

  constructor(private readonly lease: LeaseGuard | undefined) {}

  valid(): boolean {
    return !this.revoked && (this.lease?.valid() ?? true);
  }

  revoke(): void {
    this.revoked = true;
  }
}

export class SeaweedMQStorage implements Storage {
  readonly kind = "seaweedmq" as const;
  /** SeaweedMQ splits a ring of 2520 slots among a topic's partitions. */
  readonly maxPartitions = RING_SIZE;
  readonly fixedTopicConfigs = SEAWEEDMQ_FIXED_TOPIC_CONFIGS;
  readonly fixedBrokerConfigs = SEAWEEDMQ_FIXED_BROKER_CONFIGS;
  readonly inertTopicConfigs = SEAWEEDMQ_INERT_TOPIC_CONFIGS;
  readonly topicConfigNotes = SEAWEEDMQ_TOPIC_CONFIG_NOTES;
  private readonly cluster: SmqCluster;
  private readonly filer: Filer;
  private readonly ns: string;
  private readonly paths: MetaPaths;
  private readonly log: LogFn;
  private readonly ctx: SmqContext;
  /** Direct reads of flushed log files; undefined with directReads off. */
  private readonly logFiles?: { cache: LogFileCache; volumes: VolumeLocator };
  /** The topics and their layouts (topic/install.ts); `topics`, `byId` and `deleting` are its maps. */
  private readonly table: TopicTable;
  private readonly topics: Map<string, TopicState>;
  private readonly byId: Map<string, TopicState>;
  private readonly deleting: Set<string>;
  private readonly retention: TopicRetentionTask;
  /** Schematized topics: SeaweedMQ's record type kept as the registry's (topic/record_schema.ts). */
  private readonly recordSchemas: RecordSchemaSync;
  private typings: TopicTypings | null = null;
  /** Per broker address, bumped whenever it restarted or failed as if it went away. */
  private readonly epochs = new Map<string, number>();
  /** Names last found missing, with when (findTopic: one filer lookup per name and second). */
  private readonly missing = new Map<string, number>();
  private observer: BackendRpcObserver | null = null;
  private state: "new" | "open" | "closed" = "new";
  private timers: Timer[] = [];
  private refreshing: Promise<void> | null = null;
  private brokerConfigMap: Record<string, Record<string, string>> = {};
  private docs: SeaweedDocuments | null = null;
  private configDefaults: TopicConfigs = {};
  private polling = false;
  /**
   * Partitions this gateway leads, per topic, while a cluster manages leadership (leadershipParticipant); null
   * otherwise (every partition may be appended to).
   */
  private led: Map<string, Map<number, Grant>> | null = null;
  /** Releases under way per "topic/partition": an acquire of the same partition waits for it. */
  private readonly releases = new Map<string, Promise<void>>();
  private readonly opts: Required<
    Omit<SeaweedMQOptions, "brokers" | "filers" | "log" | "directReads" | "readCacheBytes">
  >;

  constructor(options: SeaweedMQOptions) {
    this.opts = {
      masters: options.masters,
      namespace: options.namespace ?? "kafka",
      recordFormat: options.recordFormat ?? "envelope",
      rpcTimeoutMs: options.rpcTimeoutMs ?? 10_000,
      publishTimeoutMs: options.publishTimeoutMs ?? 30_000,
      replayWindowMs: options.replayWindowMs ?? 15_000,
      replayMaxBytes: options.replayMaxBytes ?? 256 * 1024 * 1024,
      topicRefreshMs: options.topicRefreshMs ?? 3_000,
      startTimeoutMs: options.startTimeoutMs ?? 60_000,
      retentionMs: options.retentionMs ?? 7 * 24 * 3_600_000,
      retentionBytes: options.retentionBytes ?? -1,
      retentionCheckIntervalMs: options.retentionCheckIntervalMs ?? 300_000,
    };
    this.ns = this.opts.namespace;
    if (!/^[a-zA-Z0-9_.-]+$/.test(this.ns) || this.ns === "." || this.ns === "..") {
      throw new Error(`invalid SeaweedMQ namespace "${this.ns}"`);
    }
    this.paths = new MetaPaths(this.ns);
    this.log = options.log ?? (() => {});
    this.cluster = new SmqCluster({
      masters: options.masters,
      brokers: options.brokers?.length ? options.brokers : undefined,
      filers: options.filers?.length ? options.filers : undefined,
      rpcTimeoutMs: this.opts.rpcTimeoutMs,
      log: this.log,
      onBrokerRestart: (a) => this.epochs.set(a, (this.epochs.get(a) ?? 0) + 1),
    });
    this.filer = new Filer(this.cluster, this.opts.rpcTimeoutMs);
    // deno-lint-ignore no-this-alias
    const self = this;
    this.ctx = {
      cluster: this.cluster,
      filer: this.filer,
      namespace: this.ns,
      rpcTimeoutMs: this.opts.rpcTimeoutMs,
      publishTimeoutMs: this.opts.publishTimeoutMs,
      replayWindowMs: this.opts.replayWindowMs,
      replayMaxBytes: this.opts.replayMaxBytes,
      log: this.log,
      observe: (method, seconds, error) => this.observer?.rpc(method, seconds, error),
      brokerEpoch: (a) => this.epochs.get(a) ?? 0,
      noteBrokerFailure: (a) => {
        this.epochs.set(a, (this.epochs.get(a) ?? 0) + 1);
        this.cluster.noteFailure(a);
      },
      relookup: (t) => this.table.relookup(t),
      get closed() {
        return self.state === "closed";
      },
      get logFiles() {
        return self.logFiles;
      },
    };
    this.logFiles = options.directReads === false ? undefined : {
      cache: new LogFileCache(options.readCacheBytes ?? 256 * 1024 * 1024),
      volumes: new VolumeLocator(this.ctx),
    };
    const env: TopicEnv = {
      ctx: this.ctx,
      paths: this.paths,
      brokerCall: (method, req, name, timeoutMs) => this.brokerCall(method, req, name, timeoutMs),
      // a topic whose cleanup.policy lacks "delete" keeps everything (Kafka's compact-only topics)
      topicNumber: (t, key) =>
        !deletes(t.meta.configs, this.configDefaults) ? -1 : topicNumber(
          t.meta.configs,
          this.configDefaults,
          key,
          key === "retention.ms" ? this.opts.retentionMs : this.opts.retentionBytes,
        ),
      isOpen: () => this.state === "open",
    };
    this.table = new TopicTable(env);
    this.topics = this.table.topics;
    this.byId = this.table.byId;
    this.deleting = this.table.deleting;
    this.retention = new TopicRetentionTask(env, this.table);
    this.recordSchemas = new RecordSchemaSync(env);
  }

  // ---- lifecycle ----

  async open(): Promise<void> {
    if (this.state !== "new") throw new Error(`SeaweedMQ storage is ${this.state}`);
    const deadline = Date.now() + this.opts.startTimeoutMs;
    for (let attempt = 0;; attempt++) {
      try {
        await this.cluster.refresh();
        if (this.cluster.brokers.length > 0 && this.cluster.filers.length > 0) break;
        throw new Error(
          `master ${this.opts.masters.join(",")} lists ${this.cluster.brokers.length} brokers and ` +
            `${this.cluster.filers.length} filers`,
        );
      } catch (e) {
        if (Date.now() > deadline) {
          this.cluster.close();
          throw new Error(`SeaweedMQ is not reachable: ${errorText(e)}`);
        }
        if (attempt % 10 === 0) this.log("info", `waiting for SeaweedMQ: ${errorText(e)}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    try {
      await this.loadBrokerConfigs();
      await this.refreshTopics();
    } catch (e) {
      this.cluster.close();
      throw e;
    }
    this.state = "open";
    this.log(
      "info",
      `SeaweedMQ: brokers ${this.cluster.brokers.join(", ")}; filer ${this.cluster.filers.join(", ")}; ` +
        `namespace ${this.ns}; ${this.topics.size} topics`,
    );
    const every = (ms: number, fn: () => Promise<void>) => {
      let running = false;
      const id = setInterval(() => {
        if (running || this.state !== "open") return;
        running = true;
        fn().catch((e) => this.log("debug", errorText(e))).finally(() => running = false);
      }, ms);
      this.timers.push(unref(id));
    };
    every(this.opts.topicRefreshMs, () => this.refreshTopics());
    every(this.opts.topicRefreshMs, () => this.reloadBrokerConfigs());
    every(10_000, () => this.cluster.refresh());
    every(250, () => this.pollSubscribed());
    every(this.opts.retentionCheckIntervalMs, async () => {
      await this.runRetention();
    });
  }

  async close(): Promise<void> {
    if (this.state === "closed") return;
    const wasOpen = this.state === "open";
    this.state = "closed";
    for (const id of this.timers) clearInterval(id);
    this.timers = [];
    if (wasOpen) {
      const all: PartitionState[] = [];
      for (const t of this.topics.values()) all.push(...t.parts);
      await Promise.all(all.map((p) => p.close()));
    }
    this.cluster.close();
  }

  setRpcObserver(observer: BackendRpcObserver): void {
    this.observer = observer;
  }

  // ---- what the gateway cluster (src/cluster) builds on ----

  /** Where the gateway's own metadata lives in the filer. */
  get metaPaths(): MetaPaths {
    return this.paths;
  }

  get namespace(): string {
    return this.ns;
  }

  /**
   * A filer client on this storage's connections with its own bounds: `timeoutMs` per call and `retryMs` of
   * retries on transient errors (the cluster's leases must fail fast rather than wait out a slow filer).
   */
  coordinationFiler(timeoutMs: number, retryMs: number): Filer {
    return new Filer(this.cluster, timeoutMs, retryMs);
  }

  /**
   * The storage's part in partition leadership (src/cluster/view.ts): from now on only partitions acquired here
   * may be appended to. acquire re-reads the log end from the broker (after any re-publication of records a broker
   * restart lost), so offsets continue exactly where the previous leader stopped; release closes the partition's
   * publisher (in-flight appends finish, or fail with NOT_LEADER_OR_FOLLOWER after RELEASE_WAIT_MS) and drops the
   * cached watermarks.
   */
  leadershipParticipant(): Participant {
    this.led ??= new Map();
    return {
      acquire: (tp, _epoch, lease) => this.acquireLeadership(tp, lease),
      release: (tp) => this.releaseLeadership(tp),
    };
  }

  private async acquireLeadership(tp: TopicPartitionRef, lease?: LeaseGuard): Promise<void> {
    const key = `${tp.topic}/${tp.partition}`;
    await this.releases.get(key);
    const meta = this.topics.get(tp.topic)?.meta ?? await this.findTopic(tp.topic);
    const p = meta ? this.topics.get(tp.topic)?.parts[tp.partition] : undefined;
    if (p) {
      await p.publisherSettled();
      p.forgetWatermarks();
      await p.offsets(0);
    }
    let m = this.led?.get(tp.topic);
    if (!m) {
      m = new Map();
      this.led?.set(tp.topic, m);
    }
    m.get(tp.partition)?.revoke();
    m.set(tp.partition, new Grant(lease));
  }

  private async releaseLeadership(tp: TopicPartitionRef): Promise<void> {
    const m = this.led?.get(tp.topic);
    const grant = m?.get(tp.partition);
    m?.delete(tp.partition);
    if (m?.size === 0) this.led?.delete(tp.topic);
    const p = this.topics.get(tp.topic)?.parts[tp.partition];
    if (!p) {
      grant?.revoke();
      return;
    }
    const key = `${tp.topic}/${tp.partition}`;
    const done = p.releasePublisher(RELEASE_WAIT_MS).catch((e) =>
      this.log("warn", `${p.name}: closing its publisher: ${errorText(e)}`)
    ).finally(() => {
      // whatever still holds this grant (a publisher closed mid-reconnect) writes nothing more
      grant?.revoke();
      p.forgetWatermarks();
      if (this.releases.get(key) === done) this.releases.delete(key);
    });
    this.releases.set(key, done);
    await done;
  }

  /**
   * Refuses (NOT_LEADER_OR_FOLLOWER) an append to a partition this gateway does not lead, or whose lease lapsed;
   * answers the partition's grant (null without a cluster: every partition may be appended to).
   */
  private checkLed(topic: string, partition: number): Grant | null {
    if (this.led === null) return null;
    const grant = this.led.get(topic)?.get(partition);
    if (!grant) {
      throw new StorageError(
        ErrorCode.NOT_LEADER_OR_FOLLOWER,
        `this gateway does not lead ${topic}-${partition}`,
      );
    }
    if (!grant.valid()) {
      throw new StorageError(
        ErrorCode.NOT_LEADER_OR_FOLLOWER,
        `the lease under which this gateway leads ${topic}-${partition} lapsed`,
      );
    }
    return grant;
  }

  async status(): Promise<BackendStatus> {
    if (this.state !== "open") return { ready: false, detail: `seaweedmq storage ${this.state}` };
    try {
      // a cheap round trip through the broker (memory, its topic cache, then one filer lookup)
      await this.cluster.channel(this.cluster.anyBroker()).unary(
        Rpc.TopicExists,
        encodeTopicRequest(this.table.ref("__kafka_gateway_readiness")),
        2000,
      );
      return { ready: true, detail: `open (brokers ${this.cluster.brokers.join(", ")})` };
    } catch (e) {
      return { ready: false, detail: errorText(e) };
    }
  }

  private requireOpen(): void {
    if (this.state !== "open") {
      throw new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, "SeaweedMQ storage is not open");
    }
  }

  // ---- control-plane calls ----

  private async brokerCall(
    method: string,
    req: Uint8Array,
    name: string,
    timeoutMs?: number,
  ): Promise<Uint8Array> {
    return await this.cluster.withBroker(async (ch) => {
      const t0 = performance.now();
      try {
        const r = await ch.unary(method, req, timeoutMs ?? this.opts.rpcTimeoutMs);
        this.observer?.rpc(name, (performance.now() - t0) / 1000, null);
        return r;
      } catch (e) {
        const code = rpcCode(e);
        this.observer?.rpc(name, (performance.now() - t0) / 1000, Status[code] ?? String(code));
        throw e;
      }
    }, this.opts.rpcTimeoutMs * 2);
  }

  // ---- topics ----

  /** Re-reads the topic list: new topics (e.g. created through another gateway) appear, deleted ones go. */
  refreshTopics(): Promise<void> {
    if (!this.refreshing) {
      const before = this.topicShape();
      this.refreshing = this.doRefresh().finally(() => {
        this.refreshing = null;
        if (this.topicShape() !== before) this.onTopicsChanged?.();
      });
    }
    return this.refreshing;
  }

  /** Called when topics were created, grown or deleted here or found so (the cluster's controller reacts). */
  onTopicsChanged: (() => void) | null = null;

  private topicShape(): string {
    let s = "";
    for (const t of this.topics.values()) s += `${t.meta.name}:${t.parts.length}/`;
    return s;
  }

  private async doRefresh(): Promise<void> {
    const listed = decodeListTopicsResponse(
      await this.brokerCall(Rpc.ListTopics, new Uint8Array(0), "ListTopics"),
    )
      .filter((t) => t.namespace === this.ns && TOPIC_NAME.test(t.name)).map((t) => t.name);
    const names = new Set(listed);
    const extras = new Map<string, TopicExtra>();
    for (const e of await this.filer.list(this.paths.topics)) {
      if (e.isDirectory || e.content.length === 0) continue;
      try {
        extras.set(e.name, parseJson(e.content) as TopicExtra);
      } catch { /* ignored */ }
    }
    const fresh = listed.filter((n) => !this.topics.has(n) && !this.deleting.has(n));
    await Promise.all(fresh.map((n) =>
      this.table.loadTopic(n, extras.get(pathName(n))).catch((e) => {
        this.log("debug", `topic ${n}: ${errorText(e)}`);
      })
    ));
    for (const [name, t] of this.topics) {
      if (!names.has(name)) {
        // Listed topics come from the filer scan and the broker's memory; confirm before dropping.
        const conf = await this.filer.lookup(`/topics/${this.ns}/${name}`, "topic.conf").catch(() =>
          undefined
        );
        if (conf === null) this.table.forget(t, "deleted");
        continue;
      }
      const extra = extras.get(pathName(name));
      if (extra && extra.generation === String(t.generation)) this.table.applyExtra(t, extra);
      else if (!t.gate && extra?.layouts?.some((l) => l.generation === String(t.generation))) {
        // another gateway grew the topic
        await this.table.relookup(name).catch((e) => this.log("debug", `topic ${name}: ${errorText(e)}`));
      }
    }
  }

  listTopics(): TopicMeta[] {
    return [...this.topics.values()].map((t) => t.meta);
  }

  getTopic(name: string): TopicMeta | undefined {
    return this.topics.get(name)?.meta;
  }

  /**
   * The SeaweedMQ broker (gRPC address, HOST:PORT) leading a partition as last looked up, or undefined when not
   * known: the cached assignment, no RPC (the cluster's controller reads it every tick for leader locality).
   */
  partitionBroker(topic: string, partition: number): string | undefined {
    return this.topics.get(topic)?.parts[partition]?.leader || undefined;
  }

  async findTopic(name: string): Promise<TopicMeta | undefined> {
    const known = this.topics.get(name);
    if (known || this.state !== "open" || !TOPIC_NAME.test(name) || this.deleting.has(name)) {
      return known?.meta;
    }
    // clients poll for topics that do not exist: one filer lookup per name and second at most
    if (Date.now() - (this.missing.get(name) ?? 0) < 1000) return undefined;
    if (await this.filer.lookup(`/topics/${this.ns}/${name}`, "topic.conf") === null) {
      if (this.missing.size > 10_000) this.missing.clear();
      this.missing.set(name, Date.now());
      return undefined;
    }
    this.missing.delete(name);
    return (await this.table.loadTopic(name, await this.table.readExtra(name)))?.meta;
  }

  getTopicById(id: string): TopicMeta | undefined {
    return this.byId.get(id.toLowerCase())?.meta;
  }

  async createTopic(name: string, partitions: number, configs: TopicConfigs): Promise<TopicMeta> {
    this.requireOpen();
    if (!TOPIC_NAME.test(name) || name === "." || name === "..") {
      throw new StorageError(ErrorCode.INVALID_TOPIC_EXCEPTION, `invalid topic name "${name}"`);
    }
    if (!Number.isSafeInteger(partitions) || partitions < 1 || partitions > RING_SIZE) {
      throw new StorageError(
        ErrorCode.INVALID_PARTITIONS,
        `invalid partition count ${partitions} (SeaweedMQ allows 1-${RING_SIZE})`,
      );
    }
    // The filer decides: the broker's TopicExists also counts topics still loaded in its memory (for a while
    // after a deletion) and caches a "no" for 30 s (a topic another gateway just created); ConfigureTopic on an
    // existing topic with another partition count would re-allocate its partitions.
    const exists = this.topics.has(name) ||
      await this.filer.lookup(`/topics/${this.ns}/${name}`, "topic.conf") !== null;
    if (exists) {
      if (!this.topics.has(name)) await this.table.loadTopic(name).catch(() => null);
      throw new StorageError(ErrorCode.TOPIC_ALREADY_EXISTS, `topic ${name} already exists`);
    }
    await this.table.afterLayoutSecond(this.table.deletedLayout(name));
    // SeaweedMQ's own retention setting carries the topic's retention.ms from the start
    const retention = smqRetention(
      deletes(configs, this.configDefaults)
        ? topicNumber(configs, this.configDefaults, "retention.ms", this.opts.retentionMs)
        : -1,
    );
    const res = decodeConfigureTopicResponse(
      await this.brokerCall(
        Rpc.ConfigureTopic,
        encodeConfigureTopicRequest({ topic: this.table.ref(name), partitionCount: partitions, retention }),
        "ConfigureTopic",
      ),
    );
    const assignments = byRange(res.assignments);
    if (assignments.length !== partitions) {
      throw new StorageError(
        ErrorCode.TOPIC_ALREADY_EXISTS,
        `topic ${name} already exists with ${assignments.length} partitions`,
      );
    }
    const t = await this.table.install(name, assignments);
    t.retention = res.retention ?? retention;
    // SeaweedMQ keeps a partition's offset counter by topic name and ring range, not by layout, until the broker
    // restarts: a topic re-created under a deleted one's name continues its offsets. Those offsets hold no
    // records, so the log starts where the counter stands.
    const inherited: Record<string, number> = {};
    await Promise.all(t.parts.map(async (p, i) => {
      const { highWatermark } = await p.offsets(0);
      if (highWatermark > 0) inherited[i] = highWatermark;
    }));
    if (Object.keys(inherited).length > 0) {
      this.log(
        "warn",
        `topic ${name}: SeaweedMQ continues the offsets of an earlier topic of this name ` +
          `(${Object.values(inherited).join(", ")}); the new topic starts empty there`,
      );
    }
    if (Object.keys(configs).length > 0 || Object.keys(inherited).length > 0) {
      await this.table.saveExtra(t, {
        ...t.extra,
        ...(Object.keys(configs).length > 0 ? { configs: { ...configs } } : {}),
        ...(Object.keys(inherited).length > 0 ? { logStart: inherited } : {}),
      });
      this.table.applyExtra(t, t.extra);
    }
    this.log("info", `created topic ${name} with ${partitions} partitions (${this.ns} namespace)`);
    this.onTopicsChanged?.();
    return t.meta;
  }

  async deleteTopic(name: string): Promise<void> {
    this.requireOpen();
    const t = this.topics.get(name) ?? await this.table.loadTopic(name).catch(() => null);
    if (!t) throw new StorageError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic ${name}`);
    this.deleting.add(name);
    try {
      // Our streams end first: the broker then flushes and unloads the partitions.
      await Promise.all(t.parts.map((p) => p.close()));
      this.table.forget(t, "deleted");
      this.table.noteDeleted(name, t.generation);
      this.onTopicsChanged?.();
      // Publishers of other gateways are asked to close too (best effort: the call waits for them).
      const req = encodeClosePublishersRequest(t.smq, BigInt(Date.now()) * 1_000_000n);
      await Promise.all(this.cluster.brokers.flatMap((b) => {
        const ch = this.cluster.channel(b);
        return [
          ch.unary(Rpc.ClosePublishers, req, 1000).catch(() => {}),
          ch.unary(Rpc.CloseSubscribers, req, 1000).catch(() => {}),
        ];
      }));
      const topicDir = `/topics/${this.ns}/${name}`;
      const layoutDirs = new Set((await this.filer.list(topicDir).catch(() => [])).map((e) => e.name));
      await this.filer.remove(`/topics/${this.ns}`, name, true);
      await this.sweepDeletedLayouts(topicDir, layoutDirs);
      await this.filer.remove(this.paths.topics, pathName(name), false).catch(() => {});
      await this.filer.remove(`${this.paths.ours}/producer_state`, pathName(name), true).catch(() => {});
      await this.filer.remove(this.paths.leaderEpochs, pathName(name), true).catch(() => {});
    } finally {
      this.deleting.delete(name);
    }
  }

  /**
   * The broker flushes what it still buffered of a deleted topic after its publishers closed, and that flush can
   * write a layout directory again after the gateway removed it. Removes the deleted layouts' directories until
   * none has come back for DELETE_QUIET_MS (at most DELETE_SETTLE_MS), so a deleted topic's data is gone when
   * DeleteTopics answers. Only the layouts listed before the delete are touched: a re-created topic's are newer.
   */
  private async sweepDeletedLayouts(topicDir: string, layoutDirs: ReadonlySet<string>): Promise<void> {
    if (layoutDirs.size === 0) return;
    const slash = topicDir.lastIndexOf("/");
    const parent = topicDir.slice(0, slash);
    const name = topicDir.slice(slash + 1);
    const start = Date.now();
    let quietSince = start;
    while (Date.now() - start < DELETE_SETTLE_MS && Date.now() - quietSince < DELETE_QUIET_MS) {
      await new Promise((r) => setTimeout(r, 200));
      const back = (await this.filer.list(topicDir).catch(() => [])).filter((e) => layoutDirs.has(e.name));
      if (back.length === 0) continue;
      quietSince = Date.now();
      for (const e of back) await this.filer.remove(topicDir, e.name, true).catch(() => {});
      if ((await this.filer.list(topicDir).catch(() => [])).length === 0) {
        await this.filer.remove(parent, name, true).catch(() => {});
      }
    }
  }

  async alterTopicConfigs(name: string, configs: TopicConfigs): Promise<TopicMeta> {
    this.requireOpen();
    const t = this.topics.get(name);
    if (!t) throw new StorageError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic ${name}`);
    await this.table.saveExtra(t, { ...t.extra, configs: { ...configs } });
    t.meta = Object.freeze({ ...t.meta, configs: Object.freeze({ ...configs }) });
    // in effect for the gateway already (retention reads the configs each pass); SeaweedMQ's copy follows
    await this.retention.syncRetention(t).catch((e) =>
      this.log(
        "warn",
        `topic ${name}: writing its retention to SeaweedMQ failed (retried later): ${errorText(e)}`,
      )
    );
    return t.meta;
  }

  /**
   * Grows a topic through ConfigureTopic. SeaweedMQ allocates a whole new layout for the new count
   * (topic/layouts.ts): appends wait while the layout changes, the old layout's high watermarks are recorded before
   * the switch (so a gateway that stops half-way lets the next one finish it), the old partitions continue at those
   * offsets in the new layout, and their earlier records are read from the old layout's files.
   */
  async createPartitions(name: string, count: number): Promise<TopicMeta> {
    this.requireOpen();
    for (let t = this.topics.get(name); t?.gate; t = this.topics.get(name)) await t.gate;
    const t = this.topics.get(name);
    if (!t) throw new StorageError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic ${name}`);
    if (!Number.isSafeInteger(count) || count <= t.parts.length || count > RING_SIZE) {
      throw new StorageError(
        ErrorCode.INVALID_PARTITIONS,
        `topic ${name} has ${t.parts.length} partitions; ${count} is not an increase within SeaweedMQ's limit ` +
          `of ${RING_SIZE}`,
      );
    }
    const done = Promise.withResolvers<void>();
    t.gate = done.promise;
    let configured = false;
    try {
      if (t.inflight > 0) await new Promise<void>((r) => t.onIdle = r);
      await this.table.afterLayoutSecond(t.generation);
      await Promise.all(t.parts.map((p) => p.releasePublisher()));
      const ends = await Promise.all(t.parts.map(async (p) => (await p.offsets(0)).highWatermark));
      const from: Layout = { generation: String(t.generation), partitions: t.parts.length, ends };
      await this.table.saveExtra(t, { ...t.extra, growing: { ...from, count } });
      // the new layout keeps the topic's record schema (schematized topics; a ConfigureTopic without it clears it)
      const { schema } = decodeGetTopicConfigurationResponse(
        await this.brokerCall(Rpc.GetTopicConfiguration, encodeTopicRequest(t.smq), "GetTopicConfiguration"),
      );
      const res = decodeConfigureTopicResponse(
        await this.brokerCall(
          Rpc.ConfigureTopic,
          encodeConfigureTopicRequest({ topic: t.smq, partitionCount: count, schema }),
          "ConfigureTopic",
        ),
      );
      configured = true;
      const assignments = byRange(res.assignments);
      if (assignments.length !== count) {
        throw new StorageError(
          ErrorCode.KAFKA_STORAGE_ERROR,
          `SeaweedMQ allocated ${assignments.length} partitions for topic ${name}, not ${count}`,
        );
      }
      const extra = await this.table.finishGrowth(name, assignments, t.extra);
      const meta = (await this.table.install(name, assignments, extra, true)).meta;
      this.onTopicsChanged?.();
      return meta;
    } catch (e) {
      if (!configured && t.extra.growing) {
        const { growing: _, ...rest } = t.extra;
        await this.table.saveExtra(t, rest).catch(() => {});
      }
      throw e;
    } finally {
      t.gate = null;
      done.resolve();
    }
  }

  /**
   * Types the values of topics the schema registry holds a schema for (envelope record format only: the plain
   * format has nowhere to keep the Kafka bytes beside the typed form).
   */
  setTopicTypings(typings: TopicTypings | null): void {
    this.typings = this.opts.recordFormat === "envelope" ? typings : null;
  }

  setConfigDefaults(defaults: TopicConfigs): void {
    this.configDefaults = { ...defaults };
    // a new default retention.ms (or cleanup.policy) reaches SeaweedMQ for the topics without their own
    if (this.state !== "open") return;
    this.retention.syncLater(
      [...this.topics.values()].filter((t) =>
        t.meta.configs["retention.ms"] === undefined || t.meta.configs["cleanup.policy"] === undefined
      ),
    );
  }

  /** Broker-level topic defaults last set. */
  get topicConfigDefaults(): Readonly<TopicConfigs> {
    return this.configDefaults;
  }

  /**
   * One retention pass (the periodic task; SeaweedMQ's broker deletes nothing itself; topic/retention.ts). Returns
   * the number of deleted log files.
   */
  runRetention(now = Date.now()): Promise<number> {
    return this.retention.runRetention(now);
  }

  private async loadBrokerConfigs(): Promise<void> {
    this.brokerConfigMap = await this.readBrokerConfigs();
  }

  private async readBrokerConfigs(): Promise<Record<string, Record<string, string>>> {
    const e = await this.filer.lookup(this.paths.ours, "broker_configs");
    if (!e || e.content.length === 0) return {};
    const v = parseJson(e.content) as { resources?: Record<string, Record<string, string>> };
    return v.resources ?? {};
  }

  /**
   * Re-reads the dynamic broker configs (the periodic task): what another gateway of the cluster altered reaches
   * this one's config model within a refresh period, as Kafka propagates dynamic configs to every broker.
   */
  private async reloadBrokerConfigs(): Promise<void> {
    const next = await this.readBrokerConfigs();
    if (configsText(next) === configsText(this.brokerConfigMap)) return;
    this.brokerConfigMap = next;
    this.onBrokerConfigsChanged?.();
  }

  onBrokerConfigsChanged: (() => void) | null = null;

  brokerConfigs(resource: string): Readonly<Record<string, string>> {
    return this.brokerConfigMap[resource] ?? {};
  }

  async setBrokerConfigs(resource: string, configs: Record<string, string>): Promise<void> {
    this.requireOpen();
    // on the stored map, not this gateway's copy: another gateway may have altered another resource meanwhile
    const stored = await this.readBrokerConfigs();
    const others = configsText(stored, resource) !== configsText(this.brokerConfigMap, resource);
    const next = { ...stored, [resource]: { ...configs } };
    if (Object.keys(configs).length === 0) delete next[resource];
    await this.filer.put(this.paths.ours, "broker_configs", json({ version: 1, resources: next }));
    this.brokerConfigMap = next;
    if (others) this.onBrokerConfigsChanged?.();
  }

  // ---- data ----

  private partition(topic: string, partition: number): PartitionState {
    this.requireOpen();
    const p = this.topics.get(topic)?.parts[partition];
    if (!p) {
      throw new StorageError(
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        `unknown topic-partition ${topic}-${partition}`,
      );
    }
    return p;
  }

  async append(topic: string, partition: number, req: AppendRequest): Promise<AppendResult> {
    for (let t = this.topics.get(topic); t?.gate; t = this.topics.get(topic)) await t.gate;
    const p = this.partition(topic, partition);
    this.checkLed(topic, partition);
    const t = this.topics.get(topic)!;
    t.inflight++;
    try {
      if (
        this.opts.recordFormat === "plain" &&
        req.batches.some((b) => (b.attributes & TRANSACTIONAL_ATTRIBUTES) !== 0)
      ) {
        // As Kafka answers a transactional produce (or marker) to a topic whose message format predates
        // transactions; a marker refused so means the partition holds no data of the transaction.
        throw new StorageError(
          ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT,
          `${topic}-${partition}: transactions need --seaweedmq-record-format envelope (this gateway stores ` +
            `records plain, which cannot mark transactional records or hold commit/abort markers)`,
        );
      }
      let typing = this.typings?.(topic) ?? null;
      if (typing instanceof Promise) typing = await typing;
      if (typing !== null) await this.recordSchemas.ensure(t, typing);
      let enc;
      try {
        enc = await encodeAppend(req, this.opts.recordFormat, typing?.typeValue ?? null);
      } catch (e) {
        if (e instanceof RecordCodecError) throw new StorageError(ErrorCode.CORRUPT_MESSAGE, e.message);
        throw e;
      }
      // again after the await: a release meanwhile closed the publisher, which must not be reopened here
      const grant = this.checkLed(topic, partition);
      const r = await p.publisherUnder(grant).append(enc);
      return { baseOffset: r.baseOffset, logAppendTime: -1, logStartOffset: p.deletedBelow };
    } finally {
      if (--t.inflight === 0 && t.onIdle) {
        t.onIdle();
        t.onIdle = null;
      }
    }
  }

  /** The partition and its history in earlier layouts of the topic. */
  private located(topic: string, partition: number): { p: PartitionState; h: PartitionHistory } {
    const p = this.partition(topic, partition);
    return { p, h: this.topics.get(topic)!.history[partition] };
  }

  /** Watermarks over every layout: the log start may lie in an earlier one. */
  private async offsetsOf(
    p: PartitionState,
    h: PartitionHistory,
    maxAgeMs?: number,
  ): Promise<PartitionOffsets> {
    const o = await p.offsets(maxAgeMs);
    if (h.segments.length === 0) return o;
    const first = await h.logStart();
    return first < 0 ? o : { ...o, logStartOffset: Math.max(first, p.deletedBelow) };
  }

  async read(
    topic: string,
    partition: number,
    offset: number,
    maxBytes: number,
    minOneBatch: boolean,
  ): Promise<ReadResult> {
    const { p, h } = this.located(topic, partition);
    if (h.segments.length === 0) return await p.read(offset, maxBytes, minOneBatch);
    const { logStartOffset, highWatermark } = await this.offsetsOf(p, h, 1000);
    if (offset < logStartOffset) {
      throw new StorageError(
        ErrorCode.OFFSET_OUT_OF_RANGE,
        `${p.name}: offset ${offset} is below the log start ${logStartOffset}`,
      );
    }
    const old = offset < h.end ? await h.read(offset, maxBytes) : null;
    if (!old) return { ...await p.read(Math.max(offset, h.end), maxBytes, minOneBatch), logStartOffset };
    const built = buildBatches(old.records, old.offsets, maxBytes, minOneBatch);
    return { batches: built.batches, bytes: built.bytes, highWatermark, logStartOffset };
  }

  async offsets(topic: string, partition: number): Promise<PartitionOffsets> {
    const { p, h } = this.located(topic, partition);
    return await this.offsetsOf(p, h);
  }

  /**
   * Walks a partition's records from its log start, earlier layouts first, until `fn` returns false (timestamp
   * queries: SeaweedMQ keeps no time index).
   */
  private async scan(
    topic: string,
    partition: number,
    fn: (offset: number, r: SmqRecord) => boolean,
  ): Promise<void> {
    const { p, h } = this.located(topic, partition);
    if (h.segments.length > 0) {
      const { logStartOffset } = await this.offsetsOf(p, h, 0);
      if (!await h.scan(logStartOffset, fn)) return;
    }
    await p.scan(fn);
  }

  async offsetForTimestamp(topic: string, partition: number, ts: number): Promise<TimestampOffset | null> {
    let found: TimestampOffset | null = null;
    await this.scan(topic, partition, (offset, r) => {
      if (r.timestamp < ts) return true;
      found = { offset, timestamp: r.timestamp };
      return false;
    });
    return found;
  }

  async maxTimestamp(topic: string, partition: number): Promise<TimestampOffset | null> {
    let best: TimestampOffset | null = null;
    await this.scan(topic, partition, (offset, r) => {
      if (best === null || r.timestamp > best.timestamp) best = { offset, timestamp: r.timestamp };
      return true;
    });
    return best;
  }

  async deleteRecords(topic: string, partition: number, offset: number): Promise<number> {
    const { p, h } = this.located(topic, partition);
    const t = this.topics.get(topic)!;
    const { logStartOffset, highWatermark } = await this.offsetsOf(p, h, 0);
    const target = offset === -1 ? highWatermark : offset;
    if (offset < -1 || target > highWatermark) {
      throw new StorageError(
        ErrorCode.OFFSET_OUT_OF_RANGE,
        `offset ${offset} is outside [${logStartOffset}, ${highWatermark}] of ${topic}-${partition}`,
      );
    }
    if (target <= logStartOffset) return logStartOffset;
    // The new log start is durable first (reads below it are refused), then the whole log files below it go.
    await this.retention.reclaim(t, partition, { retention: false, logStart: target });
    return p.deletedBelow;
  }

  async partitionSize(topic: string, partition: number): Promise<number> {
    const { p, h } = this.located(topic, partition);
    let size = h.segments.length > 0 ? await h.size() : 0;
    for (const e of await this.filer.list(partitionDir(p.topic, p.partition))) {
      if (!e.isDirectory && !e.name.endsWith(".offset")) size += e.attributes?.fileSize ?? 0;
    }
    return size;
  }

  logDir(): Promise<LogDirInfo> {
    const filer = this.cluster.filers[0] ?? "filer";
    return Promise.resolve({
      path: `seaweedmq://${filer}/topics/${this.ns}`,
      totalBytes: -1,
      usableBytes: -1,
    });
  }

  groupStore(): GroupStore {
    return new SeaweedMQGroupStore(this.filer, this.paths, this.log);
  }

  documents(): DocumentStore {
    return this.docs ??= new SeaweedDocuments(this.filer, `${this.paths.ours}/documents`);
  }

  producerStateStore(): ProducerStateStore {
    return new SeaweedMQProducerStore(
      this.filer,
      this.paths,
      (topic, partition) => this.topics.get(topic)?.parts[partition] !== undefined,
    );
  }

  subscribe(topic: string, partition: number, listener: () => void): () => void {
    const p = this.partition(topic, partition);
    p.listeners.add(listener);
    return () => {
      p.listeners.delete(listener);
      // a grown topic moved its listeners to the new layout's partitions
      this.topics.get(topic)?.parts[partition]?.listeners.delete(listener);
    };
  }

  /** Appends through other gateways (or SMQ publishers) wake long polls too: watched partitions are polled. */
  private async pollSubscribed(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const watched: PartitionState[] = [];
      for (const t of this.topics.values()) {
        for (const p of t.parts) if (p.listeners.size > 0) watched.push(p);
      }
      await Promise.all(watched.map(async (p) => {
        const before = p.hw;
        const o = await p.offsets(0).catch(() => null);
        if (o && o.highWatermark > before) p.noteAppended(o.highWatermark);
      }));
    } finally {
      this.polling = false;
    }
  }
}

/** The broker configs map as text, resources and names sorted (but `except`): equal text, equal configs. */
function configsText(map: Record<string, Record<string, string>>, except?: string): string {
  return JSON.stringify(
    Object.keys(map).filter((r) => r !== except).sort().map((r) => [r, Object.entries(map[r]).sort()]),
  );
}

/** Whether the topic's cleanup.policy (its override, else the broker default) includes "delete". */
function deletes(configs: TopicConfigs, defaults: TopicConfigs): boolean {
  return (configs["cleanup.policy"] ?? defaults["cleanup.policy"] ?? "delete").split(",").includes("delete");
}
