// EmbeddedStorage: the Storage interface over the local segment log. Owns the topic table (persisted by
// TopicStore), one PartitionLog per partition, the shared tail-cache budget, the data-directory lock, the dynamic
// broker configs (BrokerConfigFile) and the background tasks (interval fsync, checkpoints, retention, cleaner; run
// by background.ts).
import { join, resolve } from "node:path";
import { statfsSync } from "node:fs";
import { ErrorCode } from "../../protocol/errors.ts";
import {
  type AppendRequest,
  type AppendResult,
  type LogDirInfo,
  type PartitionOffsets,
  type ReadResult,
  type Storage,
  StorageError,
  type TimestampOffset,
  type TopicConfigs,
  type TopicMeta,
} from "../storage.ts";
import { errorText, exists, ioError, MetadataFileError, removeIfExists } from "./files.ts";
import { StorageHealth } from "./health.ts";
import {
  type EmbeddedOptions,
  type LogSettings,
  type ResolvedOptions,
  resolveOptions,
  topicSettings,
} from "./options.ts";
import { FILES_PER_PARTITION, type PartitionEnv, PartitionLog } from "./partition_log.ts";
import type { CompactionResult } from "./cleaner.ts";
import { CacheBudget } from "./tail_cache.ts";
import { EmbeddedGroupStore } from "./group_log.ts";
import type { GroupStore } from "../group_store.ts";
import { EmbeddedProducerStore } from "./producer_store.ts";
import { BROKER_CONFIGS_FILE, BrokerConfigFile } from "./broker_configs.ts";
import {
  BACKGROUND_CONCURRENCY,
  checkpointAll,
  cleanerPass,
  forEachLimit,
  PeriodicTasks,
  retentionPass,
  syncAll,
  type Timer,
} from "./background.ts";
import { DOCUMENTS_DIR, EmbeddedDocuments } from "./documents.ts";
import type { DocumentStore } from "../documents.ts";
import type { BackendStatus, ProducerStateStore } from "../storage.ts";

/** Consumer-group state lives beside the topics, like Kafka's __consumer_offsets. */
const GROUPS_DIR = "__consumer_offsets";
import {
  newTopicId,
  partitionDirName,
  topicNameError,
  type TopicRecord,
  TOPICS_FILE,
  TopicStore,
} from "./topic_store.ts";
import { createPartitionLogs, type CreationStep, removeCreated } from "./topic_creation.ts";

export type { EmbeddedOptions } from "./options.ts";

interface TopicState {
  meta: TopicMeta;
  settings: LogSettings;
  readonly partitions: PartitionLog[];
}

const LOCK_FILE = ".lock";
const TRASH_PREFIX = ".trash-";
const MAX_PARTITIONS = 100_000;

function freezeMeta(r: TopicRecord): TopicMeta {
  return Object.freeze({
    name: r.name,
    id: r.id,
    partitions: r.partitions,
    configs: Object.freeze({ ...r.configs }),
  });
}

export class EmbeddedStorage implements Storage {
  readonly kind = "embedded" as const;
  readonly openFilesPerPartition = FILES_PER_PARTITION;
  /** I/O failures: counted, logged once per condition, reported by status(). */
  readonly health: StorageHealth;
  private readonly opts: ResolvedOptions;
  private readonly store: TopicStore;
  private readonly env: PartitionEnv;
  private readonly topics = new Map<string, TopicState>();
  private readonly byId = new Map<string, TopicState>();
  /** Topics being created (in the persisted snapshot already) or deleted. */
  private readonly creating = new Map<string, TopicMeta>();
  private readonly busy = new Set<string>();
  private readonly adminOps = new Set<Promise<unknown>>();
  private state: "new" | "opening" | "open" | "closed" = "new";
  private opening: Promise<void> | null = null;
  private closing: Promise<void> | null = null;
  private readonly background: PeriodicTasks;
  private cleaner: Timer | null = null;
  private cleanerBackoffMs: number;
  private lock: Deno.FsFile | null = null;
  /** Log settings of a topic without overrides: the constructor options, then setConfigDefaults(). */
  private defaults: LogSettings;
  private readonly brokerConfigFile: BrokerConfigFile;
  private docs: EmbeddedDocuments | null = null;

  constructor(options: EmbeddedOptions) {
    this.opts = resolveOptions(options);
    this.cleanerBackoffMs = this.opts.cleanerBackoffMs;
    this.store = new TopicStore(this.opts.dataDir);
    this.defaults = this.opts.defaults;
    this.health = new StorageHealth(this.opts.log, options.onStorageError);
    this.background = new PeriodicTasks(this.opts.log, () => this.state === "open");
    this.brokerConfigFile = new BrokerConfigFile(this.opts.dataDir, this.health);
    this.env = {
      health: this.health,
      fsync: this.opts.fsync,
      indexIntervalBytes: this.opts.indexIntervalBytes,
      log: this.opts.log,
      budget: new CacheBudget(this.opts.tailCacheBytesTotal),
      cacheBytes: this.opts.tailCacheBytesPerPartition,
      decodeTimestamps: this.opts.decodeTimestamps,
    };
  }

  // ---- lifecycle ----

  open(): Promise<void> {
    if (!this.opening) {
      if (this.state === "closed") return Promise.reject(this.closedError());
      this.state = "opening";
      this.opening = this.doOpen().then(
        () => {
          this.state = "open";
        },
        async (e) => {
          await this.closeAllPartitions();
          this.releaseLock();
          this.state = "closed";
          if (e instanceof MetadataFileError) throw e; // names the file and the way out already
          throw ioError(`opening embedded storage in ${this.opts.dataDir}`, e);
        },
      );
    }
    return this.opening;
  }

  private async doOpen(): Promise<void> {
    const dir = this.opts.dataDir;
    await Deno.mkdir(dir, { recursive: true });
    const lock = await Deno.open(join(dir, LOCK_FILE), { read: true, write: true, create: true });
    if (!(await lock.tryLock(true))) {
      lock.close();
      throw new Error(`data directory ${dir} is in use by another process`);
    }
    this.lock = lock;
    this.brokerConfigFile.load();
    const known = new Set<string>();
    const records = this.store.load();
    for (const r of records) {
      let settings: LogSettings;
      try {
        settings = topicSettings(this.defaults, r.configs);
      } catch (e) {
        this.opts.log("warn", `topic ${r.name}: ${errorText(e)}; using default log settings`);
        settings = this.defaults;
      }
      const partitions: PartitionLog[] = [];
      const state: TopicState = { meta: freezeMeta(r), settings, partitions };
      this.topics.set(r.name, state);
      this.byId.set(r.id, state);
      for (let p = 0; p < r.partitions; p++) {
        const name = partitionDirName(r.name, p);
        known.add(name);
        const pdir = join(dir, name);
        if (await exists(pdir)) partitions.push(await PartitionLog.open(name, pdir, settings, this.env));
        else {
          this.opts.log("warn", `partition directory ${pdir} is missing; recreating it empty`);
          partitions.push(await PartitionLog.create(name, pdir, settings, this.env));
        }
      }
    }
    for await (const e of Deno.readDir(dir)) {
      if (e.name.startsWith(TRASH_PREFIX)) {
        await removeIfExists(join(dir, e.name), true);
      } else if (
        e.isFile && (e.name.startsWith(TOPICS_FILE) || e.name.startsWith(BROKER_CONFIGS_FILE)) &&
        e.name.endsWith(".tmp")
      ) {
        await removeIfExists(join(dir, e.name));
      } else if (e.isDirectory && !known.has(e.name) && e.name !== GROUPS_DIR && e.name !== DOCUMENTS_DIR) {
        this.opts.log("warn", `directory ${join(dir, e.name)} belongs to no known topic; left untouched`);
      }
    }
    this.startTimers();
  }

  private startTimers(): void {
    const b = this.background;
    if (this.opts.fsync === "interval") b.every("fsync", this.opts.fsyncIntervalMs, () => this.flushAll());
    b.every(
      "checkpoint",
      this.opts.checkpointIntervalMs,
      () => checkpointAll(this.allPartitions(), this.opts.log),
    );
    b.every("retention", this.opts.retentionCheckIntervalMs, () => this.runRetention());
    this.cleaner = b.every("cleaner", this.cleanerBackoffMs, () => this.runCleaner());
  }

  /** log.cleaner.backoff.ms changed (AlterConfigs): the cleaner's period from now on; a run under way finishes. */
  setCleanerBackoffMs(ms: number): void {
    if (ms === this.cleanerBackoffMs) return;
    this.cleanerBackoffMs = ms;
    if (this.cleaner === null || this.state !== "open") return; // startTimers() picks it up
    this.cleaner = this.background.replace(this.cleaner, "cleaner", ms, () => this.runCleaner());
  }

  private allPartitions(): PartitionLog[] {
    const out: PartitionLog[] = [];
    for (const t of this.topics.values()) out.push(...t.partitions);
    return out;
  }

  /** fsyncs every partition's unsynced data (the fsync "interval" task). */
  async flushAll(): Promise<void> {
    await syncAll(this.allPartitions());
  }

  /** One retention pass over every partition (the periodic task); returns the number of deleted segments. */
  async runRetention(now = Date.now()): Promise<number> {
    return await retentionPass(this.allPartitions(), now);
  }

  /**
   * One log cleaner pass over every partition of the topics with cleanup.policy=compact (the periodic task);
   * returns what each partition that was cleaned reported.
   */
  async runCleaner(now = Date.now()): Promise<CompactionResult[]> {
    return await cleanerPass([...this.topics.values()], now, () => this.state !== "open", this.opts.log);
  }

  close(): Promise<void> {
    if (!this.closing) this.closing = this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    if (this.opening) await this.opening.catch(() => {});
    const wasOpen = this.state === "open";
    this.state = "closed";
    this.background.stop();
    this.cleaner = null;
    if (!wasOpen) return;
    await Promise.allSettled([...this.background.inFlight(), ...this.adminOps]);
    await this.closeAllPartitions();
    this.releaseLock();
  }

  private async closeAllPartitions(): Promise<void> {
    const reason = this.closedError();
    await forEachLimit(this.allPartitions(), BACKGROUND_CONCURRENCY, async (p) => {
      try {
        await p.close(true, reason);
      } catch (e) {
        this.opts.log("error", `${p.name}: close failed: ${errorText(e)}`);
      }
    });
  }

  private releaseLock(): void {
    if (this.lock) {
      try {
        this.lock.close();
      } catch { /* already closed */ }
      this.lock = null;
    }
  }

  private closedError(): StorageError {
    return new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, "embedded storage is not open");
  }

  private requireOpen(): void {
    if (this.state !== "open") throw this.closedError();
  }

  private partition(topic: string, partition: number): PartitionLog {
    this.requireOpen();
    const p = this.topics.get(topic)?.partitions[partition];
    if (!p) {
      throw new StorageError(
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        `unknown topic-partition ${topic}-${partition}`,
      );
    }
    return p;
  }

  // ---- topics ----

  listTopics(): TopicMeta[] {
    return [...this.topics.values()].map((t) => t.meta);
  }

  getTopic(name: string): TopicMeta | undefined {
    return this.topics.get(name)?.meta;
  }

  getTopicById(id: string): TopicMeta | undefined {
    return this.byId.get(id.toLowerCase())?.meta;
  }

  /**
   * The records written to topics.json: live topics plus those being created, minus those being deleted;
   * `replace` stands in for the live topic of the same name (a change not applied in memory yet).
   */
  private snapshot(replace?: TopicMeta): TopicRecord[] {
    const live = [...this.topics.values()].map((
      t,
    ) => (replace && t.meta.name === replace.name ? replace : t.meta));
    return [...live, ...this.creating.values()];
  }

  /** Replaces topics.json, reporting the outcome to health. */
  private async saveTopics(records: TopicRecord[]): Promise<void> {
    try {
      await this.store.save(records);
    } catch (e) {
      this.health.failed(this.store.path, this.store.path, e);
      throw e;
    }
    this.health.ok(this.store.path, false);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.adminOps.add(p);
    p.then(() => this.adminOps.delete(p), () => this.adminOps.delete(p));
    return p;
  }

  createTopic(name: string, partitions: number, configs: TopicConfigs): Promise<TopicMeta> {
    try {
      this.requireOpen();
      const bad = topicNameError(name);
      if (bad) throw new StorageError(ErrorCode.INVALID_TOPIC_EXCEPTION, bad);
      if (this.topics.has(name) || this.busy.has(name)) {
        throw new StorageError(ErrorCode.TOPIC_ALREADY_EXISTS, `topic ${name} already exists`);
      }
      if (!Number.isSafeInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS) {
        throw new StorageError(ErrorCode.INVALID_PARTITIONS, `invalid partition count ${partitions}`);
      }
      const settings = topicSettings(this.defaults, configs);
      this.busy.add(name);
      return this.track(
        this.doCreate(name, partitions, { ...configs }, settings).finally(() => this.busy.delete(name)),
      );
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private async doCreate(
    name: string,
    partitions: number,
    configs: TopicConfigs,
    settings: LogSettings,
  ): Promise<TopicMeta> {
    let id = newTopicId();
    while (this.byId.has(id)) id = newTopicId();
    const meta = freezeMeta({ name, id, partitions, configs });
    const step: CreationStep = { at: this.opts.dataDir, logs: [], dirs: [], saving: false };
    try {
      await createPartitionLogs(this.opts.dataDir, this.env, name, 0, partitions, settings, step);
      this.creating.set(name, meta);
      step.saving = true;
      step.at = this.store.path;
      await this.store.save(this.snapshot());
    } catch (e) {
      this.creating.delete(name);
      await this.rollBack(`creating topic ${name} with ${partitions} partition(s)`, name, step, e);
      throw ioError(`creating topic ${name} (at ${step.at})`, e);
    }
    this.creating.delete(name);
    this.health.ok(this.store.path, false);
    const state: TopicState = { meta, settings, partitions: step.logs };
    this.topics.set(name, state);
    this.byId.set(id, state);
    return meta;
  }

  /**
   * Undoes a creation that failed half-way: closes the new partitions (freeing their descriptors first, as the
   * failure may be descriptor exhaustion), removes their directories, and puts topics.json back when the failed
   * save replaced it anyway (only the directory fsync after the rename failed). Logs one error line with the
   * topic, the path and the cause, and what the rollback left behind if it could not finish.
   */
  private async rollBack(what: string, topic: string, step: CreationStep, cause: unknown): Promise<void> {
    const undone = await removeCreated(step, this.closedError());
    let table = "topics.json unchanged";
    if (step.saving) {
      this.health.failed(this.store.path, this.store.path, cause);
      try {
        const onDisk = this.store.load().find((r) => r.name === topic);
        const live = this.topics.get(topic)?.meta;
        if (onDisk && onDisk.partitions !== live?.partitions) {
          await this.store.save(this.snapshot());
          table = "topics.json restored";
        }
      } catch (e) {
        table = `topics.json may still list the change (${errorText(e)}); a restart recreates missing ` +
          `partitions empty`;
      }
    } else {
      // Counted for kgw_storage_errors_total; no lasting condition: nothing of the attempt is left.
      this.health.count(cause);
    }
    this.opts.log("error", `${what} failed at ${step.at}: ${errorText(cause)}; ${undone}; ${table}`);
  }

  private existing(name: string): TopicState {
    this.requireOpen();
    const t = this.topics.get(name);
    if (!t || this.busy.has(name)) {
      throw new StorageError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic ${name}`);
    }
    return t;
  }

  /**
   * Replaces a topic's config overrides (AlterConfigs / IncrementalAlterConfigs). segment.*, retention.*,
   * cleanup.policy and the compaction settings take effect immediately. Throws StorageError(INVALID_CONFIG) on
   * bad values.
   */
  alterTopicConfigs(name: string, configs: TopicConfigs): Promise<TopicMeta> {
    try {
      const t = this.existing(name);
      const settings = topicSettings(this.defaults, configs);
      const meta = freezeMeta({ ...t.meta, configs: { ...configs } });
      this.busy.add(name);
      return this.track(
        this.saveTopics(this.snapshot(meta)).then(() => {
          t.meta = meta;
          t.settings = settings;
          for (const p of t.partitions) p.settings = settings;
          return meta;
        }, (e) => {
          throw ioError(`altering configs of topic ${name}`, e);
        }).finally(() => this.busy.delete(name)),
      );
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Grows a topic to `count` partitions (CreatePartitions). */
  createPartitions(name: string, count: number): Promise<TopicMeta> {
    try {
      const t = this.existing(name);
      if (!Number.isSafeInteger(count) || count <= t.meta.partitions || count > MAX_PARTITIONS) {
        throw new StorageError(
          ErrorCode.INVALID_PARTITIONS,
          `topic ${name} has ${t.meta.partitions} partitions; cannot change to ${count}`,
        );
      }
      this.busy.add(name);
      return this.track(this.doCreatePartitions(t, count).finally(() => this.busy.delete(name)));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private async doCreatePartitions(t: TopicState, count: number): Promise<TopicMeta> {
    const name = t.meta.name;
    const from = t.meta.partitions;
    const meta = freezeMeta({ ...t.meta, partitions: count });
    const step: CreationStep = { at: this.opts.dataDir, logs: [], dirs: [], saving: false };
    try {
      await createPartitionLogs(this.opts.dataDir, this.env, name, from, count, t.settings, step);
      step.saving = true;
      step.at = this.store.path;
      await this.store.save(this.snapshot(meta));
    } catch (e) {
      await this.rollBack(`growing topic ${name} from ${from} to ${count} partitions`, name, step, e);
      throw ioError(`adding partitions to topic ${name} (at ${step.at})`, e);
    }
    this.health.ok(this.store.path, false);
    t.partitions.push(...step.logs);
    t.meta = meta;
    return meta;
  }

  deleteTopic(name: string): Promise<void> {
    try {
      const t = this.existing(name);
      this.busy.add(name);
      return this.track(this.doDelete(t).finally(() => this.busy.delete(name)));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private async doDelete(t: TopicState): Promise<void> {
    const name = t.meta.name;
    this.topics.delete(name);
    this.byId.delete(t.meta.id);
    try {
      await this.saveTopics(this.snapshot());
    } catch (e) {
      this.topics.set(name, t);
      this.byId.set(t.meta.id, t);
      throw ioError(`deleting topic ${name}`, e);
    }
    const gone = new StorageError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic ${name} was deleted`);
    const trash: string[] = [];
    for (const p of t.partitions) {
      this.health.forget(p.name, p.dir);
      await p.close(false, gone).catch((e) => this.opts.log("warn", `${p.name}: close: ${errorText(e)}`));
      const hex = crypto.getRandomValues(new Uint32Array(2)).reduce((s, x) => s + x.toString(16), "");
      const to = join(this.opts.dataDir, `${TRASH_PREFIX}${hex}`);
      try {
        await Deno.rename(p.dir, to);
        trash.push(to);
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) {
          this.opts.log("warn", `deleting ${p.dir}: ${errorText(e)}`);
          trash.push(p.dir);
        }
      }
    }
    for (const d of trash) {
      await removeIfExists(d, true).catch((e) => this.opts.log("warn", `removing ${d}: ${errorText(e)}`));
    }
    this.opts.log("info", `deleted topic ${name} (${t.partitions.length} partitions)`);
  }

  // ---- data ----

  append(topic: string, partition: number, req: AppendRequest): Promise<AppendResult> {
    try {
      return this.partition(topic, partition).append(req);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  read(
    topic: string,
    partition: number,
    offset: number,
    maxBytes: number,
    minOneBatch: boolean,
  ): Promise<ReadResult> {
    try {
      return Promise.resolve(this.partition(topic, partition).read(offset, maxBytes, minOneBatch));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  offsets(topic: string, partition: number): Promise<PartitionOffsets> {
    try {
      return Promise.resolve(this.partition(topic, partition).offsets());
    } catch (e) {
      return Promise.reject(e);
    }
  }

  offsetForTimestamp(topic: string, partition: number, ts: number): Promise<TimestampOffset | null> {
    try {
      return this.partition(topic, partition).offsetForTimestamp(ts);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  maxTimestamp(topic: string, partition: number): Promise<TimestampOffset | null> {
    try {
      return this.partition(topic, partition).maxTimestamp();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  groupStore(): GroupStore {
    return new EmbeddedGroupStore({
      dir: join(this.opts.dataDir, GROUPS_DIR),
      fsync: this.opts.fsync,
      fsyncIntervalMs: this.opts.fsyncIntervalMs,
      log: this.opts.log,
      health: this.health,
    });
  }

  documents(): DocumentStore {
    return this.docs ??= new EmbeddedDocuments(this.opts.dataDir);
  }

  producerStateStore(): ProducerStateStore {
    return new EmbeddedProducerStore(this.opts.dataDir, (topic, partition) => {
      // A deleted topic leaves this map before its directories go.
      return this.topics.get(topic)?.partitions[partition]?.dir ?? null;
    }, this.health);
  }

  subscribe(topic: string, partition: number, listener: () => void): () => void {
    return this.partition(topic, partition).subscribe(listener);
  }

  // ---- admin ----

  setConfigDefaults(defaults: TopicConfigs): void {
    let base: LogSettings;
    try {
      base = topicSettings(this.opts.defaults, defaults);
    } catch (e) {
      this.opts.log("warn", `broker-level topic defaults ignored: ${errorText(e)}`);
      return;
    }
    this.defaults = base;
    for (const t of this.topics.values()) {
      try {
        t.settings = topicSettings(base, t.meta.configs);
      } catch (e) {
        this.opts.log("warn", `topic ${t.meta.name}: ${errorText(e)}; using default log settings`);
        t.settings = base;
      }
      for (const p of t.partitions) p.settings = t.settings;
    }
  }

  brokerConfigs(resource: string): Readonly<Record<string, string>> {
    return this.brokerConfigFile.get(resource);
  }

  setBrokerConfigs(resource: string, configs: Record<string, string>): Promise<void> {
    return this.track(this.brokerConfigFile.set(resource, configs, () => this.requireOpen()));
  }

  deleteRecords(topic: string, partition: number, offset: number): Promise<number> {
    try {
      return this.track(this.partition(topic, partition).deleteRecords(offset));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  partitionSize(topic: string, partition: number): Promise<number> {
    try {
      return Promise.resolve(this.partition(topic, partition).sizeInBytes);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  logDir(): Promise<LogDirInfo> {
    const path = resolve(this.opts.dataDir);
    try {
      const st = statfsSync(path);
      return Promise.resolve({ path, totalBytes: st.bsize * st.blocks, usableBytes: st.bsize * st.bavail });
    } catch {
      return Promise.resolve({ path, totalBytes: -1, usableBytes: -1 }); // no --allow-sys, or not supported
    }
  }

  /**
   * Readiness for /readyz: the log is recovered and open (not opening, not closed), and no storage error condition
   * lasts (disk full, I/O or permission errors until a write succeeds again; an offline partition until restart).
   */
  status(): BackendStatus {
    if (this.state !== "open") return { ready: false, detail: `embedded storage ${this.state}` };
    if (!this.health.healthy) {
      return { ready: false, detail: `storage errors in ${this.opts.dataDir}: ${this.health.detail()}` };
    }
    return { ready: true, detail: `open (${this.opts.dataDir})` };
  }

  /** Segment count and bytes of a partition (metrics/metrics.ts and tests). */
  partitionStats(topic: string, partition: number): { segments: number; bytes: number } {
    const p = this.partition(topic, partition);
    return { segments: p.segmentCount, bytes: p.sizeInBytes };
  }
}
