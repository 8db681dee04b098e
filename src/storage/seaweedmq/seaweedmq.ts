// SeaweedMQStorage: the Storage interface on a SeaweedFS cluster (SeaweedMQ brokers for records, the filer for
// committed offsets and gateway metadata), compatible with SeaweedFS's own Kafka gateway: topics in namespace
// "kafka", Kafka partition i of n = ring range [i*floor(2520/n), (i+1)*floor(2520/n)) (the last ending at 2520),
// Kafka offset = SeaweedMQ offset, committed offsets in its filer layout. See README "SeaweedMQ backend".
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
import { SmqCluster } from "./cluster.ts";
import { Filer } from "./filer.ts";
import { errorText, type LogFn, type SmqContext, type Timer, unref } from "./context.ts";
import { isTransient, rpcCode, Status } from "./grpc.ts";
import {
  type BrokerPartitionAssignment,
  decodeConfigureTopicResponse,
  decodeGetTopicConfigurationResponse,
  decodeListTopicsResponse,
  decodeLookupTopicBrokersResponse,
  encodeClosePublishersRequest,
  encodeConfigureTopicRequest,
  encodeTopicRequest,
  Rpc,
  type Topic,
  type TopicRetention,
} from "./messages.ts";
import { partitionDir, PartitionState, RING_SIZE, ringRange } from "./partition.ts";
import { buildBatches, encodeAppend, RecordCodecError, type SmqRecord } from "./record_codec.ts";
import { SeaweedMQGroupStore } from "./group_store.ts";
import { SeaweedMQProducerStore } from "./producer_store.ts";
import { json, MetaPaths, parseJson, pathName } from "./meta.ts";
import { LogFileCache, PartitionLogFiles, VolumeLocator } from "./log_files.ts";
import { BROKER_READ_BLOCK, dataFiles, reclaimDir, type ReclaimResult } from "./reclaim.ts";
import { SEAWEEDMQ_FIXED_BROKER_CONFIGS, SEAWEEDMQ_FIXED_TOPIC_CONFIGS } from "./fixed_configs.ts";
import { nudgedRetention, retentionInSync, smqRetention, topicNumber } from "./topic_retention.ts";
import { histories, type Layout, layoutDir, type PartitionHistory } from "./layouts.ts";

export interface SeaweedMQOptions {
  /** Master addresses (HOST:PORT, HTTP port; gRPC = port + 10000). */
  readonly masters: readonly string[];
  /** Broker gRPC addresses; empty = discover through the masters. */
  readonly brokers?: readonly string[];
  /** Filer addresses (HOST:PORT, HTTP port); empty = discover through the masters. */
  readonly filers?: readonly string[];
  /** SeaweedMQ namespace of Kafka topics (default "kafka", as SeaweedFS's gateway). */
  readonly namespace?: string;
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

interface TopicState {
  meta: TopicMeta;
  readonly smq: Topic;
  readonly generation: bigint;
  readonly parts: PartitionState[];
  /** Persisted gateway metadata of the topic (configs, DeleteRecords, earlier layouts). */
  extra: TopicExtra;
  /** Per partition, its offsets in earlier layouts of the topic (CreatePartitions). */
  history: PartitionHistory[];
  /** Set while the partition layout changes: appends wait for it. */
  gate: Promise<void> | null;
  /** Appends between the gate check and their acknowledgement. */
  inflight: number;
  onIdle: (() => void) | null;
  /** SeaweedMQ's TopicRetention as last read or written; undefined until known (see syncRetention). */
  retention?: TopicRetention | null;
}

interface TopicExtra {
  generation?: string;
  configs?: TopicConfigs;
  logStart?: Record<string, number>;
  /** Earlier partition layouts, oldest first (CreatePartitions; see layouts.ts). */
  layouts?: Layout[];
  /** A CreatePartitions under way from the layout `generation`: finished by whoever loads the topic next. */
  growing?: Layout & { count: number };
}

const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

async function topicId(ns: string, name: string, generation: bigint): Promise<string> {
  const d = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${ns}/${name}/${generation}`)),
  );
  d[6] = (d[6] & 0x0f) | 0x40; // shaped like a v4 UUID
  d[8] = (d[8] & 0x3f) | 0x80;
  return Array.from(d.subarray(0, 16), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Bytes of the log files of a directory listing (with chunks). */
function dirBytes(entries: Parameters<typeof dataFiles>[0]): number {
  return dataFiles(entries).reduce((s, f) => s + f.bytes, 0);
}

/** Orders assignments by ring range: index i = Kafka partition i. */
function byRange(a: readonly BrokerPartitionAssignment[]): BrokerPartitionAssignment[] {
  return [...a].sort((x, y) => x.partition.rangeStart - y.partition.rangeStart);
}

export class SeaweedMQStorage implements Storage {
  readonly kind = "seaweedmq" as const;
  /** SeaweedMQ splits a ring of 2520 slots among a topic's partitions. */
  readonly maxPartitions = RING_SIZE;
  readonly fixedTopicConfigs = SEAWEEDMQ_FIXED_TOPIC_CONFIGS;
  readonly fixedBrokerConfigs = SEAWEEDMQ_FIXED_BROKER_CONFIGS;
  private readonly cluster: SmqCluster;
  private readonly filer: Filer;
  private readonly ns: string;
  private readonly paths: MetaPaths;
  private readonly log: LogFn;
  private readonly ctx: SmqContext;
  private readonly topics = new Map<string, TopicState>();
  private readonly byId = new Map<string, TopicState>();
  private readonly epochs = new Map<string, number>();
  private readonly lookups = new Map<string, Promise<void>>();
  /** Topics being deleted: the periodic refresh must not bring them back meanwhile. */
  private readonly deleting = new Set<string>();
  private observer: BackendRpcObserver | null = null;
  private state: "new" | "open" | "closed" = "new";
  private timers: Timer[] = [];
  private refreshing: Promise<void> | null = null;
  private brokerConfigMap: Record<string, Record<string, string>> = {};
  private configDefaults: TopicConfigs = {};
  private polling = false;
  private readonly opts: Required<
    Omit<SeaweedMQOptions, "brokers" | "filers" | "log" | "directReads" | "readCacheBytes">
  >;

  constructor(options: SeaweedMQOptions) {
    this.opts = {
      masters: options.masters,
      namespace: options.namespace ?? "kafka",
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
      },
      relookup: (t) => this.relookup(t),
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
  }

  private readonly logFiles?: { cache: LogFileCache; volumes: VolumeLocator };

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

  async status(): Promise<BackendStatus> {
    if (this.state !== "open") return { ready: false, detail: `seaweedmq storage ${this.state}` };
    try {
      // a cheap round trip through the broker (memory, its topic cache, then one filer lookup)
      await this.cluster.channel(this.cluster.anyBroker()).unary(
        Rpc.TopicExists,
        encodeTopicRequest(this.topicRef("__kafka_gateway_readiness")),
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

  private topicRef(name: string): Topic {
    return { namespace: this.ns, name };
  }

  /** Re-reads the topic list: new topics (e.g. created through another gateway) appear, deleted ones go. */
  refreshTopics(): Promise<void> {
    if (!this.refreshing) this.refreshing = this.doRefresh().finally(() => this.refreshing = null);
    return this.refreshing;
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
      this.loadTopic(n, extras.get(pathName(n))).catch((e) => {
        this.log("debug", `topic ${n}: ${errorText(e)}`);
      })
    ));
    for (const [name, t] of this.topics) {
      if (!names.has(name)) {
        // Listed topics come from the filer scan and the broker's memory; confirm before dropping.
        const conf = await this.filer.lookup(`/topics/${this.ns}/${name}`, "topic.conf").catch(() =>
          undefined
        );
        if (conf === null) this.forget(t, "deleted");
        continue;
      }
      const extra = extras.get(pathName(name));
      if (extra && extra.generation === String(t.generation)) this.applyExtra(t, extra);
      else if (!t.gate && extra?.layouts?.some((l) => l.generation === String(t.generation))) {
        // another gateway grew the topic
        await this.relookup(name).catch((e) => this.log("debug", `topic ${name}: ${errorText(e)}`));
      }
    }
  }

  private async loadTopic(name: string, extra?: TopicExtra): Promise<TopicState | null> {
    const conf = decodeGetTopicConfigurationResponse(
      await this.brokerCall(
        Rpc.GetTopicConfiguration,
        encodeTopicRequest(this.topicRef(name)),
        "GetTopicConfiguration",
      ),
    );
    if (conf.assignments.length === 0) return null;
    return await this.install(name, byRange(conf.assignments), extra);
  }

  private async install(
    name: string,
    assignments: BrokerPartitionAssignment[],
    extra?: TopicExtra,
    growing = false,
  ): Promise<TopicState> {
    const generation = assignments[0].partition.unixTimeNs;
    const existing = this.topics.get(name);
    if (existing?.gate && !growing) {
      // this gateway is changing the layout: the result decides
      await existing.gate;
      return await this.install(name, assignments);
    }
    if (existing && existing.generation === generation && existing.parts.length === assignments.length) {
      assignments.forEach((a, i) => existing.parts[i].assign(a));
      return existing;
    }
    // A layout we have no metadata for: the stored metadata tells a grown topic (it lists the earlier layouts)
    // from a re-created one, and finishes a CreatePartitions that stopped half-way.
    if (extra?.generation !== String(generation)) extra = await this.readExtra(name) ?? extra;
    const g = extra?.growing;
    if (
      extra && g && extra.generation === g.generation && g.generation !== String(generation) &&
      g.count === assignments.length
    ) {
      extra = await this.finishGrowth(name, assignments, extra);
    }
    const current = extra?.generation === String(generation) ? extra : undefined;
    const layouts = current?.layouts ?? [];
    const grown = existing !== undefined && layouts.some((l) => l.generation === String(existing.generation));
    if (existing && !grown) this.forget(existing, "re-created with a new partition layout");
    assignments.forEach((a, i) => {
      const want = ringRange(i, assignments.length);
      if (a.partition.rangeStart !== want.start || a.partition.rangeStop !== want.stop) {
        this.log(
          "warn",
          `topic ${name}: partition ${i} covers ring range ${a.partition.rangeStart}-${a.partition.rangeStop}, ` +
            `not ${want.start}-${want.stop} as SeaweedFS's Kafka gateway expects`,
        );
      }
    });
    const smq = this.topicRef(name);
    // the id stays that of the first layout: growing a topic keeps its id, as in Kafka
    const id = await topicId(this.ns, name, layouts.length > 0 ? BigInt(layouts[0].generation) : generation);
    const history = histories(this.ctx, smq, layouts, assignments.length, this.sealedFiles());

    const t: TopicState = {
      meta: Object.freeze({ name, id, partitions: assignments.length, configs: Object.freeze({}) }),
      smq,
      generation,
      parts: assignments.map((a, i) => {
        const p = new PartitionState(this.ctx, smq, i, a);
        p.floor = history[i].end;
        return p;
      }),
      extra: {},
      history,
      gate: null,
      inflight: 0,
      onIdle: null,
    };
    if (current) this.applyExtra(t, current);
    if (this.deleting.has(name)) return t; // a refresh raced with DeleteTopics: not registered
    // another caller may have installed it meanwhile
    const again = this.topics.get(name);
    if (again && again.generation === generation) return again;
    if (existing && grown) this.retire(existing, t);
    this.topics.set(name, t);
    this.byId.set(id, t);
    return t;
  }

  /** Generation of the layout of topics this gateway deleted (see afterLayoutSecond). */
  private readonly deletedLayouts = new Map<string, bigint>();

  /**
   * Waits for the second after the layout `generation` (ns) was allocated. Layout directories are named by the
   * second: a layout allocated within the same second (a topic re-created at once, or grown) would share the
   * directories of the ranges both have -- their files, and the broker's partitions still loaded for them.
   */
  private async afterLayoutSecond(generation: bigint | undefined): Promise<void> {
    if (generation === undefined) return;
    const wait = (Math.floor(Number(generation / 1_000_000n) / 1000) + 1) * 1000 + 50 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }

  private async readExtra(name: string): Promise<TopicExtra | undefined> {
    const e = await this.filer.lookup(this.paths.topics, pathName(name));
    if (!e || e.content.length === 0) return undefined;
    try {
      return parseJson(e.content) as TopicExtra;
    } catch {
      return undefined;
    }
  }

  /** Log files of earlier layouts are read directly also when directReads is off: no broker serves them. */
  private sealedFiles(): { cache: LogFileCache; volumes: VolumeLocator } {
    if (!this.sealedFileAccess) {
      this.sealedFileAccess = this.logFiles ?? {
        cache: new LogFileCache(64 * 1024 * 1024),
        volumes: new VolumeLocator(this.ctx),
      };
    }
    return this.sealedFileAccess;
  }
  private sealedFileAccess?: { cache: LogFileCache; volumes: VolumeLocator };

  /**
   * The old layout of a grown topic is done: its publishers stop (produces still pending there fail with a
   * retriable error and the clients retry on the new layout), and long polls move to the new partitions.
   */
  private retire(old: TopicState, next: TopicState): void {
    old.parts.forEach((p, i) => {
      p.abort(ErrorCode.NOT_LEADER_OR_FOLLOWER, `topic ${old.meta.name} changed its partition layout`);
      const q = next.parts[i];
      for (const l of p.listeners) q.listeners.add(l);
      if (p.listeners.size > 0) q.noteAppended(0);
    });
  }

  /**
   * Second half of CreatePartitions, after ConfigureTopic allocated the new layout: partition i of the new layout
   * continues at the old one's end, and the old layout is recorded (then readers find its offsets).
   */
  private async finishGrowth(
    name: string,
    assignments: readonly BrokerPartitionAssignment[],
    extra: TopicExtra,
  ): Promise<TopicExtra> {
    const g = extra.growing!;
    const smq = this.topicRef(name);
    // The old layout's records as stored: ConfigureTopic drained (and flushed) its partitions, and a gateway
    // that published there after the high watermarks were recorded had its records acknowledged too.
    const files = this.sealedFiles();
    const ends = await Promise.all(g.ends.map(async (end, i) => {
      const dir = layoutDir(smq, g.generation, i, g.partitions);
      const last = await new PartitionLogFiles(this.ctx, () => dir, files.cache, files.volumes).lastOffset();
      if (last + 1 > end) {
        this.log("info", `topic ${name}: partition ${i} holds records up to ${last} in the replaced layout`);
      }
      // The broker reads stored records in blocks of BROKER_READ_BLOCK offsets, numbering them by position from
      // the block start (reclaim.ts): the new layout starts on a block boundary, so no block of it begins
      // without records. The offsets skipped hold nothing (a gap, as compaction leaves in Kafka).
      const stored = Math.max(end, last + 1);
      return Math.ceil(stored / BROKER_READ_BLOCK) * BROKER_READ_BLOCK;
    }));
    await Promise.all(
      assignments.slice(0, g.partitions).map((a, i) => new PartitionState(this.ctx, smq, i, a).seed(ends[i])),
    );
    const next: TopicExtra = {
      ...extra,
      generation: String(assignments[0].partition.unixTimeNs),
      layouts: [...(extra.layouts ?? []), { generation: g.generation, partitions: g.partitions, ends }],
    };
    delete next.growing;
    await this.filer.put(this.paths.topics, pathName(name), json(next));
    this.log(
      "info",
      `topic ${name}: ${g.partitions} -> ${g.count} partitions; offsets continue at ${ends.join(", ")}`,
    );
    return next;
  }

  private applyExtra(t: TopicState, extra: TopicExtra): void {
    t.extra = extra;
    const configs = extra.configs ?? {};
    if (JSON.stringify(configs) !== JSON.stringify(t.meta.configs)) {
      t.meta = Object.freeze({ ...t.meta, configs: Object.freeze({ ...configs }) });
    }
    for (const [p, o] of Object.entries(extra.logStart ?? {})) {
      const ps = t.parts[Number(p)];
      if (ps && o > ps.deletedBelow) ps.deletedBelow = o;
    }
  }

  private forget(t: TopicState, why: string): void {
    if (this.topics.get(t.meta.name) === t) this.topics.delete(t.meta.name);
    this.byId.delete(t.meta.id);
    for (const p of t.parts) p.abort(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic ${t.meta.name} was ${why}`);
    this.log("info", `topic ${t.meta.name}: ${why}`);
  }

  private relookup(name: string): Promise<void> {
    let p = this.lookups.get(name);
    if (!p) {
      p = (async () => {
        const t = this.topics.get(name);
        if (!t) return;
        let assignments: BrokerPartitionAssignment[];
        try {
          assignments = byRange(decodeLookupTopicBrokersResponse(
            await this.brokerCall(Rpc.LookupTopicBrokers, encodeTopicRequest(t.smq), "LookupTopicBrokers"),
          ));
        } catch (e) {
          if (isTransient(e)) throw e;
          assignments = [];
        }
        if (assignments.length === 0) {
          const conf = await this.filer.lookup(`/topics/${this.ns}/${name}`, "topic.conf");
          if (conf === null) this.forget(t, "deleted");
          return;
        }
        if (assignments.some((a) => a.leaderBroker === "")) {
          assignments = await this.reassign(t, assignments);
        }
        await this.install(name, assignments, t.extra);
      })().finally(() => this.lookups.delete(name));
      this.lookups.set(name, p);
    }
    return p;
  }

  private readonly nudged = new Map<string, number>();

  /**
   * Partitions without a leader: right after a broker restart, before the broker has re-registered with the
   * balancer, a lookup finds no active broker, clears the leaders and the broker caches that answer for 30 s
   * (its topic cache TTL). A ConfigureTopic whose retention differs from the stored one makes the balancer
   * re-assign leaders among the brokers now active and drop that cache entry. The retention sent stands for the
   * topic's retention.ms all the same (nudgedRetention: that retention, or it with one second more; while
   * disabled, seconds 0 or 1), so what SeaweedMQ's tools show and apply does not change.
   */
  private async reassign(
    t: TopicState,
    assignments: BrokerPartitionAssignment[],
  ): Promise<BrokerPartitionAssignment[]> {
    const last = this.nudged.get(t.meta.name) ?? 0;
    if (Date.now() - last < 1000) return assignments;
    this.nudged.set(t.meta.name, Date.now());
    const conf = decodeGetTopicConfigurationResponse(
      await this.brokerCall(Rpc.GetTopicConfiguration, encodeTopicRequest(t.smq), "GetTopicConfiguration"),
    );
    if (conf.partitionCount !== t.parts.length) return assignments;
    const retention = nudgedRetention(conf.retention, smqRetention(this.retentionMsOf(t)));
    const res = decodeConfigureTopicResponse(
      await this.brokerCall(
        Rpc.ConfigureTopic,
        encodeConfigureTopicRequest({ topic: t.smq, partitionCount: conf.partitionCount, retention }),
        "ConfigureTopic",
      ),
    );
    t.retention = res.retention ?? retention;
    const fixed = byRange(res.assignments);
    if (fixed.length === assignments.length && fixed.every((a) => a.leaderBroker !== "")) {
      this.log("info", `topic ${t.meta.name}: partitions had no leader; the broker re-assigned them`);
      return fixed;
    }
    return assignments;
  }

  listTopics(): TopicMeta[] {
    return [...this.topics.values()].map((t) => t.meta);
  }

  getTopic(name: string): TopicMeta | undefined {
    return this.topics.get(name)?.meta;
  }

  private readonly missing = new Map<string, number>();

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
    return (await this.loadTopic(name, await this.readExtra(name)))?.meta;
  }

  getTopicById(id: string): TopicMeta | undefined {
    return this.byId.get(id.toLowerCase())?.meta;
  }

  private async saveExtra(t: TopicState, extra: TopicExtra): Promise<void> {
    const body: TopicExtra = { ...extra, generation: String(t.generation) };
    await this.filer.put(this.paths.topics, pathName(t.meta.name), json(body));
    t.extra = body;
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
      if (!this.topics.has(name)) await this.loadTopic(name).catch(() => null);
      throw new StorageError(ErrorCode.TOPIC_ALREADY_EXISTS, `topic ${name} already exists`);
    }
    await this.afterLayoutSecond(this.deletedLayouts.get(name));
    // SeaweedMQ's own retention setting carries the topic's retention.ms from the start
    const retention = smqRetention(
      topicNumber(configs, this.configDefaults, "retention.ms", this.opts.retentionMs),
    );
    const res = decodeConfigureTopicResponse(
      await this.brokerCall(
        Rpc.ConfigureTopic,
        encodeConfigureTopicRequest({ topic: this.topicRef(name), partitionCount: partitions, retention }),
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
    const t = await this.install(name, assignments);
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
      await this.saveExtra(t, {
        ...t.extra,
        ...(Object.keys(configs).length > 0 ? { configs: { ...configs } } : {}),
        ...(Object.keys(inherited).length > 0 ? { logStart: inherited } : {}),
      });
      this.applyExtra(t, t.extra);
    }
    this.log("info", `created topic ${name} with ${partitions} partitions (${this.ns} namespace)`);
    return t.meta;
  }

  async deleteTopic(name: string): Promise<void> {
    this.requireOpen();
    const t = this.topics.get(name) ?? await this.loadTopic(name).catch(() => null);
    if (!t) throw new StorageError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic ${name}`);
    this.deleting.add(name);
    try {
      // Our streams end first: the broker then flushes and unloads the partitions.
      await Promise.all(t.parts.map((p) => p.close()));
      this.forget(t, "deleted");
      // only the last second matters (afterLayoutSecond): older entries go
      const past = BigInt(Date.now() - 2000) * 1_000_000n;
      for (const [n, g] of this.deletedLayouts) if (g < past) this.deletedLayouts.delete(n);
      this.deletedLayouts.set(name, t.generation);
      // Publishers of other gateways are asked to close too (best effort: the call waits for them).
      const req = encodeClosePublishersRequest(t.smq, BigInt(Date.now()) * 1_000_000n);
      await Promise.all(this.cluster.brokers.flatMap((b) => {
        const ch = this.cluster.channel(b);
        return [
          ch.unary(Rpc.ClosePublishers, req, 1000).catch(() => {}),
          ch.unary(Rpc.CloseSubscribers, req, 1000).catch(() => {}),
        ];
      }));
      await this.filer.remove(`/topics/${this.ns}`, name, true);
      await this.filer.remove(this.paths.topics, pathName(name), false).catch(() => {});
      await this.filer.remove(`${this.paths.ours}/producer_state`, pathName(name), true).catch(() => {});
    } finally {
      this.deleting.delete(name);
    }
  }

  async alterTopicConfigs(name: string, configs: TopicConfigs): Promise<TopicMeta> {
    this.requireOpen();
    const t = this.topics.get(name);
    if (!t) throw new StorageError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic ${name}`);
    await this.saveExtra(t, { ...t.extra, configs: { ...configs } });
    t.meta = Object.freeze({ ...t.meta, configs: Object.freeze({ ...configs }) });
    // in effect for the gateway already (retention reads the configs each pass); SeaweedMQ's copy follows
    await this.syncRetention(t).catch((e) =>
      this.log(
        "warn",
        `topic ${name}: writing its retention to SeaweedMQ failed (retried later): ${errorText(e)}`,
      )
    );
    return t.meta;
  }

  /**
   * Grows a topic through ConfigureTopic. SeaweedMQ allocates a whole new layout for the new count (layouts.ts):
   * appends wait while the layout changes, the old layout's high watermarks are recorded before the switch (so a
   * gateway that stops half-way lets the next one finish it), the old partitions continue at those offsets in
   * the new layout, and their earlier records are read from the old layout's files.
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
      await this.afterLayoutSecond(t.generation);
      await Promise.all(t.parts.map((p) => p.releasePublisher()));
      const ends = await Promise.all(t.parts.map(async (p) => (await p.offsets(0)).highWatermark));
      const from: Layout = { generation: String(t.generation), partitions: t.parts.length, ends };
      await this.saveExtra(t, { ...t.extra, growing: { ...from, count } });
      const res = decodeConfigureTopicResponse(
        await this.brokerCall(
          Rpc.ConfigureTopic,
          encodeConfigureTopicRequest({ topic: t.smq, partitionCount: count }),
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
      const extra = await this.finishGrowth(name, assignments, t.extra);
      return (await this.install(name, assignments, extra, true)).meta;
    } catch (e) {
      if (!configured && t.extra.growing) {
        const { growing: _, ...rest } = t.extra;
        await this.saveExtra(t, rest).catch(() => {});
      }
      throw e;
    } finally {
      t.gate = null;
      done.resolve();
    }
  }

  setConfigDefaults(defaults: TopicConfigs): void {
    this.configDefaults = { ...defaults };
    // a new default retention.ms reaches SeaweedMQ for the topics without their own (once per change)
    if (this.state !== "open") return;
    const affected = [...this.topics.values()].filter((t) => t.meta.configs["retention.ms"] === undefined);
    this.retentionSyncs = this.retentionSyncs.then(async () => {
      for (const t of affected) {
        await this.syncRetention(t).catch((e) =>
          this.log("warn", `topic ${t.meta.name}: writing its retention to SeaweedMQ failed: ${errorText(e)}`)
        );
      }
    });
  }

  /** Broker-level topic defaults last set. */
  get topicConfigDefaults(): Readonly<TopicConfigs> {
    return this.configDefaults;
  }

  // ---- retention ----

  private retentionSyncs: Promise<void> = Promise.resolve();
  /** Per partition, the reclaim under way (retention and DeleteRecords take turns). */
  private readonly reclaiming = new WeakMap<PartitionState, Promise<unknown>>();

  private retentionMsOf(t: TopicState): number {
    return topicNumber(t.meta.configs, this.configDefaults, "retention.ms", this.opts.retentionMs);
  }

  /**
   * Writes the topic's retention.ms to SeaweedMQ's TopicRetention (topic_retention.ts) unless it is there already:
   * a ConfigureTopic with the same partition count, which changes nothing else.
   */
  private async syncRetention(t: TopicState): Promise<void> {
    const desired = smqRetention(this.retentionMsOf(t));
    if (t.retention !== undefined && retentionInSync(t.retention, desired)) return;
    // A ConfigureTopic with another partition count than the stored one would allocate a new layout: the count
    // is read right before, and a topic whose layout changes (here or through another gateway) is left alone.
    const current = () => this.topics.get(t.meta.name) === t && !t.gate;
    if (!current()) return;
    const conf = decodeGetTopicConfigurationResponse(
      await this.brokerCall(Rpc.GetTopicConfiguration, encodeTopicRequest(t.smq), "GetTopicConfiguration"),
    );
    t.retention = conf.retention;
    if (retentionInSync(t.retention, desired)) return;
    if (conf.partitionCount !== t.parts.length || !current()) return; // the next pass decides
    const res = decodeConfigureTopicResponse(
      await this.brokerCall(
        Rpc.ConfigureTopic,
        encodeConfigureTopicRequest({
          topic: t.smq,
          partitionCount: conf.partitionCount,
          retention: desired,
        }),
        "ConfigureTopic",
      ),
    );
    t.retention = res.retention ?? desired;
    this.log(
      "info",
      `topic ${t.meta.name}: SeaweedMQ retention ${
        desired.enabled ? `${desired.retentionSeconds} s` : "disabled"
      } (retention.ms ${this.retentionMsOf(t)})`,
    );
  }

  /**
   * One retention pass (the periodic task; SeaweedMQ's broker deletes nothing itself): per partition, the whole log
   * files that retention.ms / retention.bytes expire and those below the log start go (reclaim.ts), and the log
   * start moves past them; topics whose SeaweedMQ retention is stale get it rewritten. Returns the number of
   * deleted files.
   */
  async runRetention(now = Date.now()): Promise<number> {
    let n = 0;
    for (const t of [...this.topics.values()]) {
      if (this.state !== "open") break;
      if (this.topics.get(t.meta.name) !== t) continue;
      await this.syncRetention(t).catch((e) =>
        this.log("debug", `topic ${t.meta.name}: retention sync: ${errorText(e)}`)
      );
      for (let i = 0; i < t.parts.length; i++) {
        n += await this.reclaim(t, i, { retention: true }, now).catch((e) => {
          this.log("warn", `${t.parts[i].name}: retention failed: ${errorText(e)}`);
          return 0;
        });
      }
    }
    return n;
  }

  /**
   * Deletes the log files of partition `index` that lie wholly below its log start and, with `retention`, those
   * retention.ms / retention.bytes expire, then persists the log start they leave. One reclaim at a time per
   * partition. Returns the number of deleted files.
   */
  private reclaim(
    t: TopicState,
    index: number,
    opts: { retention: boolean; logStart?: number },
    now = Date.now(),
  ): Promise<number> {
    const p = t.parts[index];
    const retention = opts.retention;
    const run = (this.reclaiming.get(p) ?? Promise.resolve()).catch(() => {}).then(async () => {
      const before = p.deletedBelow;
      if (opts.logStart !== undefined && opts.logStart > before) {
        if (!await this.advanceLogStart(t, index, opts.logStart)) {
          throw new StorageError(
            ErrorCode.NOT_LEADER_OR_FOLLOWER,
            `${p.name}: the topic's partition layout changed meanwhile; retry`,
          );
        }
      }
      const from = p.deletedBelow;
      const retentionMs = retention ? this.retentionMsOf(t) : -1;
      const retentionBytes = retention
        ? topicNumber(t.meta.configs, this.configDefaults, "retention.bytes", this.opts.retentionBytes)
        : -1;
      // Earlier layouts of a grown topic first (its oldest records), then the current one.
      const h = t.history[index];
      const dirs = [
        ...h.segments.map((seg) => ({ dir: seg.dir, seg })),
        { dir: partitionDir(p.topic, p.partition), seg: null },
      ];
      const sizes = retentionBytes >= 0 && h.segments.length > 0
        ? await Promise.all(dirs.map(async (d) => dirBytes(await this.filer.list(d.dir, "", true))))
        : dirs.map(() => 0);
      let logStart = from, files = 0, bytes = 0;
      for (let k = 0; k < dirs.length; k++) {
        const { dir, seg } = dirs[k];
        let r: ReclaimResult;
        try {
          r = await reclaimDir(this.filer, dir, {
            logStart,
            nowMs: now,
            retentionMs,
            retentionBytes,
            current: seg === null,
            end: seg?.end,
            newerBytes: sizes.slice(k + 1).reduce((a, b) => a + b, 0),
          });
        } catch (e) {
          if (retention) throw e;
          // the log start is durable already; the next retention pass deletes these files
          this.log("warn", `${p.name}: DeleteRecords could not delete log files yet: ${errorText(e)}`);
          break;
        }
        if (r.deleted.length > 0) seg ? seg.forget(r.deleted) : p.forgetFiles(r.deleted);
        files += r.deleted.length;
        bytes += r.bytes;
        logStart = Math.max(logStart, r.logStart);
        if (r.failure) {
          this.log("warn", `${p.name}: deleting log files stopped: ${r.failure}`);
          break;
        }
        if (seg && logStart < seg.end) {
          if (await seg.firstOffset() >= 0) break; // it still holds readable records: newer layouts keep theirs
          logStart = seg.end; // nothing left in it (deleted outside the gateway, or never written)
        }
      }
      if (logStart > from) await this.advanceLogStart(t, index, logStart);
      if (files > 0 || p.deletedBelow > before) {
        this.log(
          "info",
          `${p.name}: ${retention ? "retention" : "DeleteRecords"} deleted ${files} log file(s) ` +
            `(${bytes} bytes); log start offset ${before} -> ${p.deletedBelow}`,
        );
      }
      return files;
    });
    this.reclaiming.set(p, run);
    return run;
  }

  /**
   * Raises the log start of partition `index` and persists it in the topic's metadata file. Other gateways write
   * that file too: it is read again right before (its other fields kept as they are now), and left alone when it
   * already describes another layout of the topic (then false: not persisted).
   */
  private async advanceLogStart(t: TopicState, index: number, offset: number): Promise<boolean> {
    const p = t.parts[index];
    const fresh = await this.readExtra(t.meta.name);
    const persisted = fresh?.generation === undefined || fresh.generation === String(t.generation);
    const base = fresh ?? t.extra;
    if (persisted && (base.logStart?.[index] ?? 0) < offset) {
      await this.saveExtra(t, { ...base, logStart: { ...(base.logStart ?? {}), [index]: offset } });
    }
    p.deletedBelow = Math.max(p.deletedBelow, offset);
    return persisted;
  }

  private async loadBrokerConfigs(): Promise<void> {
    const e = await this.filer.lookup(this.paths.ours, "broker_configs");
    if (!e || e.content.length === 0) return;
    const v = parseJson(e.content) as { resources?: Record<string, Record<string, string>> };
    this.brokerConfigMap = v.resources ?? {};
  }

  brokerConfigs(resource: string): Readonly<Record<string, string>> {
    return this.brokerConfigMap[resource] ?? {};
  }

  async setBrokerConfigs(resource: string, configs: Record<string, string>): Promise<void> {
    this.requireOpen();
    const next = { ...this.brokerConfigMap, [resource]: { ...configs } };
    if (Object.keys(configs).length === 0) delete next[resource];
    await this.filer.put(this.paths.ours, "broker_configs", json({ version: 1, resources: next }));
    this.brokerConfigMap = next;
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
    const t = this.topics.get(topic)!;
    t.inflight++;
    try {
      let enc;
      try {
        enc = await encodeAppend(req);
      } catch (e) {
        if (e instanceof RecordCodecError) throw new StorageError(ErrorCode.CORRUPT_MESSAGE, e.message);
        throw e;
      }
      const r = await p.publisher.append(enc);
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
    await this.reclaim(t, partition, { retention: false, logStart: target });
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
