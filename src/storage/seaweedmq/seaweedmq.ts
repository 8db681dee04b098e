// SeaweedMQStorage: the Storage interface on a SeaweedFS cluster (SeaweedMQ brokers for records, the filer for
// committed offsets and gateway metadata), compatible with SeaweedFS's own Kafka gateway: topics in namespace
// "kafka", Kafka partition i of n = ring range [i*floor(2520/n), (i+1)*floor(2520/n)) (the last ending at 2520),
// Kafka offset = SeaweedMQ offset, committed offsets in its filer layout. See docs/seaweedmq.md.
// Around it: options.ts (its options), transport/ (gRPC channels, the protobuf codec, cluster discovery, the filer),
// topic/ (what a Kafka topic is made of here: layouts and their installation, the topic admin operations, retention,
// log-file reclaim), leadership_grants.ts (the partitions this gateway leads), broker_configs.ts, and the data path
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
import type { Participant } from "../leadership.ts";
import { SmqCluster } from "./transport/cluster.ts";
import { Filer } from "./transport/filer.ts";
import { errorText, type LogFn, type SmqContext, type Timer, unref } from "./context.ts";
import { rpcCode, Status } from "./transport/grpc.ts";
import { encodeTopicRequest, Rpc } from "./transport/messages.ts";
import { partitionDir, type PartitionState, RING_SIZE } from "./partition.ts";
import {
  buildBatches,
  encodeAppend,
  RecordCodecError,
  type SmqRecord,
  TRANSACTIONAL_ATTRIBUTES,
} from "./record_codec.ts";
import { SeaweedMQGroupStore } from "./group_store.ts";
import { SeaweedMQProducerStore } from "./producer_store.ts";
import { MetaPaths } from "./meta.ts";
import { LogFileCache, VolumeLocator } from "./log_files.ts";
import {
  SEAWEEDMQ_FIXED_BROKER_CONFIGS,
  SEAWEEDMQ_FIXED_TOPIC_CONFIGS,
  SEAWEEDMQ_INERT_TOPIC_CONFIGS,
  SEAWEEDMQ_TOPIC_CONFIG_NOTES,
} from "./fixed_configs.ts";
import { type ResolvedOptions, resolveOptions, type SeaweedMQOptions } from "./options.ts";
import { LeadershipGrants } from "./leadership_grants.ts";
import { BrokerConfigs } from "./broker_configs.ts";
import { type TopicState, TopicTable } from "./topic/install.ts";
import type { PartitionHistory } from "./topic/layouts.ts";
import { topicNumber, TopicRetentionTask } from "./topic/retention.ts";
import { RecordSchemaSync, type TopicTypings } from "./topic/record_schema.ts";
import { type AdminEnv, deletes, TopicAdmin } from "./topic/admin.ts";

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
  /** The topics and their layouts (topic/install.ts); `topics` and `byId` are its maps. */
  private readonly table: TopicTable;
  private readonly topics: Map<string, TopicState>;
  private readonly byId: Map<string, TopicState>;
  private readonly retention: TopicRetentionTask;
  /** Schematized topics: SeaweedMQ's record type kept as the registry's (topic/record_schema.ts). */
  private readonly recordSchemas: RecordSchemaSync;
  private typings: TopicTypings | null = null;
  /** Per broker address, bumped whenever it restarted or failed as if it went away. */
  private readonly epochs = new Map<string, number>();
  /** CreateTopics, DeleteTopics, CreatePartitions, topic configs and the topic list (topic/admin.ts). */
  private readonly admin: TopicAdmin;
  /** Partitions this gateway leads while a cluster manages leadership (leadership_grants.ts). */
  private readonly grants: LeadershipGrants;
  private readonly brokerConfigStore: BrokerConfigs;
  private observer: BackendRpcObserver | null = null;
  private state: "new" | "open" | "closed" = "new";
  private timers: Timer[] = [];
  private docs: SeaweedDocuments | null = null;
  private configDefaults: TopicConfigs = {};
  private polling = false;
  private readonly opts: ResolvedOptions;

  constructor(options: SeaweedMQOptions) {
    this.opts = resolveOptions(options);
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
    const env: AdminEnv = {
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
      requireOpen: () => this.requireOpen(),
      topicsChanged: () => this.onTopicsChanged?.(),
      configDefaults: () => this.configDefaults,
      retentionMs: this.opts.retentionMs,
    };
    this.table = new TopicTable(env);
    this.topics = this.table.topics;
    this.byId = this.table.byId;
    this.retention = new TopicRetentionTask(env, this.table);
    this.recordSchemas = new RecordSchemaSync(env);
    this.admin = new TopicAdmin(env, this.table, this.retention);
    this.grants = new LeadershipGrants({
      topics: this.topics,
      findTopic: (name) => this.findTopic(name),
      log: this.log,
    });
    this.brokerConfigStore = new BrokerConfigs({
      filer: this.filer,
      dir: this.paths.ours,
      requireOpen: () => this.requireOpen(),
      changed: () => this.onBrokerConfigsChanged?.(),
    });
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
      await this.brokerConfigStore.load();
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
    every(this.opts.topicRefreshMs, () => this.brokerConfigStore.reload());
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
   * cached watermarks (leadership_grants.ts).
   */
  leadershipParticipant(): Participant {
    this.grants.enable();
    return {
      acquire: (tp, _epoch, lease) => this.grants.acquire(tp, lease),
      release: (tp) => this.grants.release(tp),
    };
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
    return this.admin.refreshTopics();
  }

  /** Called when topics were created, grown or deleted here or found so (the cluster's controller reacts). */
  onTopicsChanged: (() => void) | null = null;

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

  findTopic(name: string): Promise<TopicMeta | undefined> {
    return this.admin.findTopic(name);
  }

  getTopicById(id: string): TopicMeta | undefined {
    return this.byId.get(id.toLowerCase())?.meta;
  }

  createTopic(name: string, partitions: number, configs: TopicConfigs): Promise<TopicMeta> {
    return this.admin.createTopic(name, partitions, configs);
  }

  deleteTopic(name: string): Promise<void> {
    return this.admin.deleteTopic(name);
  }

  alterTopicConfigs(name: string, configs: TopicConfigs): Promise<TopicMeta> {
    return this.admin.alterTopicConfigs(name, configs);
  }

  /** Grows a topic through ConfigureTopic (topic/admin.ts). */
  createPartitions(name: string, count: number): Promise<TopicMeta> {
    return this.admin.createPartitions(name, count);
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

  onBrokerConfigsChanged: (() => void) | null = null;

  brokerConfigs(resource: string): Readonly<Record<string, string>> {
    return this.brokerConfigStore.get(resource);
  }

  /** Writes a broker resource's dynamic configs for every gateway of the namespace (broker_configs.ts). */
  setBrokerConfigs(resource: string, configs: Record<string, string>): Promise<void> {
    return this.brokerConfigStore.set(resource, configs);
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
    this.grants.check(topic, partition);
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
      const grant = this.grants.check(topic, partition);
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
    const built = buildBatches(old, maxBytes, minOneBatch);
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
