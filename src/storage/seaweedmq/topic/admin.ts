// The topic admin operations of SeaweedMQStorage: CreateTopics, DeleteTopics (until the broker's last flush is
// swept), AlterConfigs of a topic, CreatePartitions (a new layout, layouts.ts), and the topic list re-read from the
// broker and the filer (topics created, grown or deleted through other gateways). The topics themselves are the
// TopicTable's (install.ts); the storage checks leadership and serves the data.
import { ErrorCode } from "../../../protocol/errors.ts";
import { StorageError, type TopicConfigs, type TopicMeta } from "../../storage.ts";
import { errorText, type LogFn } from "../context.ts";
import { type MetaPaths, parseJson, pathName } from "../meta.ts";
import { RING_SIZE } from "../partition.ts";
import type { SmqCluster } from "../transport/cluster.ts";
import type { Filer } from "../transport/filer.ts";
import {
  decodeConfigureTopicResponse,
  decodeGetTopicConfigurationResponse,
  decodeListTopicsResponse,
  encodeClosePublishersRequest,
  encodeConfigureTopicRequest,
  encodeTopicRequest,
  Rpc,
} from "../transport/messages.ts";
import {
  byRange,
  TOPIC_NAME,
  type TopicEnv,
  type TopicExtra,
  type TopicState,
  type TopicTable,
} from "./install.ts";
import type { Layout } from "./layouts.ts";
import { smqRetention, topicNumber, type TopicRetentionTask } from "./retention.ts";

/** A deleted topic's layout directories must stay gone this long before DeleteTopics answers ... */
const DELETE_QUIET_MS = 1500;
/** ... waiting at most this long for the broker's last flush. */
const DELETE_SETTLE_MS = 6000;

/** What the admin operations need of SeaweedMQStorage beyond the topic behaviour's TopicEnv. */
export interface AdminEnv extends TopicEnv {
  /** Refuses (KAFKA_STORAGE_ERROR) unless the storage is open. */
  requireOpen(): void;
  /** Topics were created, grown or deleted here or found so (SeaweedMQStorage.onTopicsChanged). */
  topicsChanged(): void;
  /** Broker-level topic defaults last set. */
  configDefaults(): TopicConfigs;
  /** retention.ms of a topic that neither sets it nor finds a broker default (the storage option). */
  readonly retentionMs: number;
}

export class TopicAdmin {
  private readonly cluster: SmqCluster;
  private readonly filer: Filer;
  private readonly ns: string;
  private readonly paths: MetaPaths;
  private readonly log: LogFn;
  /** The TopicTable's maps. */
  private readonly topics: Map<string, TopicState>;
  private readonly deleting: Set<string>;
  /** Names last found missing, with when (findTopic: one filer lookup per name and second). */
  private readonly missing = new Map<string, number>();
  private refreshing: Promise<void> | null = null;

  constructor(
    private readonly env: AdminEnv,
    private readonly table: TopicTable,
    private readonly retention: TopicRetentionTask,
  ) {
    this.cluster = env.ctx.cluster;
    this.filer = env.ctx.filer;
    this.ns = env.ctx.namespace;
    this.paths = env.paths;
    this.log = env.ctx.log;
    this.topics = table.topics;
    this.deleting = table.deleting;
  }

  /** Re-reads the topic list: new topics (e.g. created through another gateway) appear, deleted ones go. */
  refreshTopics(): Promise<void> {
    if (!this.refreshing) {
      const before = this.topicShape();
      this.refreshing = this.doRefresh().finally(() => {
        this.refreshing = null;
        if (this.topicShape() !== before) this.env.topicsChanged();
      });
    }
    return this.refreshing;
  }

  private topicShape(): string {
    let s = "";
    for (const t of this.topics.values()) s += `${t.meta.name}:${t.parts.length}/`;
    return s;
  }

  private async doRefresh(): Promise<void> {
    const listed = decodeListTopicsResponse(
      await this.env.brokerCall(Rpc.ListTopics, new Uint8Array(0), "ListTopics"),
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

  async findTopic(name: string): Promise<TopicMeta | undefined> {
    const known = this.topics.get(name);
    if (known || !this.env.isOpen() || !TOPIC_NAME.test(name) || this.deleting.has(name)) {
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

  async createTopic(name: string, partitions: number, configs: TopicConfigs): Promise<TopicMeta> {
    this.env.requireOpen();
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
      deletes(configs, this.env.configDefaults())
        ? topicNumber(configs, this.env.configDefaults(), "retention.ms", this.env.retentionMs)
        : -1,
    );
    const res = decodeConfigureTopicResponse(
      await this.env.brokerCall(
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
    this.env.topicsChanged();
    return t.meta;
  }

  async deleteTopic(name: string): Promise<void> {
    this.env.requireOpen();
    const t = this.topics.get(name) ?? await this.table.loadTopic(name).catch(() => null);
    if (!t) throw new StorageError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic ${name}`);
    this.deleting.add(name);
    try {
      // Our streams end first: the broker then flushes and unloads the partitions.
      await Promise.all(t.parts.map((p) => p.close()));
      this.table.forget(t, "deleted");
      this.table.noteDeleted(name, t.generation);
      this.env.topicsChanged();
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
    this.env.requireOpen();
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
    this.env.requireOpen();
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
        await this.env.brokerCall(
          Rpc.GetTopicConfiguration,
          encodeTopicRequest(t.smq),
          "GetTopicConfiguration",
        ),
      );
      const res = decodeConfigureTopicResponse(
        await this.env.brokerCall(
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
      this.env.topicsChanged();
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
}

/** Whether the topic's cleanup.policy (its override, else the broker default) includes "delete". */
export function deletes(configs: TopicConfigs, defaults: TopicConfigs): boolean {
  return (configs["cleanup.policy"] ?? defaults["cleanup.policy"] ?? "delete").split(",").includes("delete");
}
