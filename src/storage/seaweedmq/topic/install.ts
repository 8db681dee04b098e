// The SeaweedMQ topics this gateway knows (TopicTable): installing a topic's partition layout as SeaweedMQ
// assigned it, finishing a CreatePartitions (a new layout continuing the old one's offsets, layouts.ts), retiring or
// forgetting layouts, re-looking up leaders, and the gateway's metadata file of each topic (TopicExtra: configs,
// log start offsets, earlier layouts) in the filer.
import { ErrorCode } from "../../../protocol/errors.ts";
import type { TopicConfigs, TopicMeta } from "../../storage.ts";
import { sleep, type SmqContext } from "../context.ts";
import { LogFileCache, PartitionLogFiles, VolumeLocator } from "../log_files.ts";
import { json, type MetaPaths, parseJson, pathName } from "../meta.ts";
import { PartitionState, ringRange } from "../partition.ts";
import { isTransient } from "../transport/grpc.ts";
import {
  type BrokerPartitionAssignment,
  decodeConfigureTopicResponse,
  decodeGetTopicConfigurationResponse,
  decodeLookupTopicBrokersResponse,
  encodeConfigureTopicRequest,
  encodeTopicRequest,
  Rpc,
  type Topic,
  type TopicRetention,
  type TopicSchema,
} from "../transport/messages.ts";
import { histories, type Layout, layoutDir, type PartitionHistory } from "./layouts.ts";
import { BROKER_READ_BLOCK } from "./reclaim.ts";
import { nudgedRetention, smqRetention } from "./retention.ts";

/** What the topic behaviour (this file, retention.ts) needs from SeaweedMQStorage. */
export interface TopicEnv {
  readonly ctx: SmqContext;
  readonly paths: MetaPaths;
  /** A control-plane call through any broker, reported to the metrics as `name`. */
  brokerCall(method: string, req: Uint8Array, name: string, timeoutMs?: number): Promise<Uint8Array>;
  /** A numeric topic config in effect: the override, else the broker default, else the storage option. */
  topicNumber(t: TopicState, key: "retention.ms" | "retention.bytes"): number;
  /** The storage is open (periodic work stops otherwise). */
  isOpen(): boolean;
}

export interface TopicState {
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
  /** The record schema SeaweedMQ stores for the topic, as last read or written; undefined until known. */
  schema?: TopicSchema;
}

export interface TopicExtra {
  generation?: string;
  configs?: TopicConfigs;
  logStart?: Record<string, number>;
  /** Earlier partition layouts, oldest first (CreatePartitions; see layouts.ts). */
  layouts?: Layout[];
  /** A CreatePartitions under way from the layout `generation`: finished by whoever loads the topic next. */
  growing?: Layout & { count: number };
}

export const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

/**
 * How long finishGrowth waits for the replaced layout's log files to hold the offsets recorded before the switch
 * (SeaweedMQ flushes a drained partition's in-memory tail after ConfigureTopic answered).
 */
const SEALED_FLUSH_WAIT_MS = 5_000;

async function topicId(ns: string, name: string, generation: bigint): Promise<string> {
  const d = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${ns}/${name}/${generation}`)),
  );
  d[6] = (d[6] & 0x0f) | 0x40; // shaped like a v4 UUID
  d[8] = (d[8] & 0x3f) | 0x80;
  return Array.from(d.subarray(0, 16), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Orders assignments by ring range: index i = Kafka partition i. */
export function byRange(a: readonly BrokerPartitionAssignment[]): BrokerPartitionAssignment[] {
  return [...a].sort((x, y) => x.partition.rangeStart - y.partition.rangeStart);
}

export class TopicTable {
  /** Installed topics by name, and by id; SeaweedMQStorage reads them directly. */
  readonly topics = new Map<string, TopicState>();
  readonly byId = new Map<string, TopicState>();
  /** Topics being deleted: the periodic refresh must not bring them back meanwhile. */
  readonly deleting = new Set<string>();
  private readonly lookups = new Map<string, Promise<void>>();
  /** Generation of the layout of topics this gateway deleted (see afterLayoutSecond). */
  private readonly deletedLayouts = new Map<string, bigint>();
  /** When each topic's leaders were last re-assigned (reassign). */
  private readonly nudged = new Map<string, number>();
  private sealedFileAccess?: { cache: LogFileCache; volumes: VolumeLocator };

  constructor(private readonly env: TopicEnv) {}

  ref(name: string): Topic {
    return { namespace: this.env.ctx.namespace, name };
  }

  /** Remembers the layout of a topic deleted here: a re-creation waits for the second after it. */
  noteDeleted(name: string, generation: bigint): void {
    // only the last second matters (afterLayoutSecond): older entries go
    const past = BigInt(Date.now() - 2000) * 1_000_000n;
    for (const [n, g] of this.deletedLayouts) if (g < past) this.deletedLayouts.delete(n);
    this.deletedLayouts.set(name, generation);
  }

  /** The layout generation of the topic of this name deleted here last, if any (see afterLayoutSecond). */
  deletedLayout(name: string): bigint | undefined {
    return this.deletedLayouts.get(name);
  }

  async loadTopic(name: string, extra?: TopicExtra): Promise<TopicState | null> {
    const conf = decodeGetTopicConfigurationResponse(
      await this.env.brokerCall(
        Rpc.GetTopicConfiguration,
        encodeTopicRequest(this.ref(name)),
        "GetTopicConfiguration",
      ),
    );
    if (conf.assignments.length === 0) return null;
    return await this.install(name, byRange(conf.assignments), extra);
  }

  async install(
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
        this.env.ctx.log(
          "warn",
          `topic ${name}: partition ${i} covers ring range ${a.partition.rangeStart}-${a.partition.rangeStop}, ` +
            `not ${want.start}-${want.stop} as SeaweedFS's Kafka gateway expects`,
        );
      }
    });
    const smq = this.ref(name);
    // the id stays that of the first layout: growing a topic keeps its id, as in Kafka
    const id = await topicId(
      this.env.ctx.namespace,
      name,
      layouts.length > 0 ? BigInt(layouts[0].generation) : generation,
    );
    const history = histories(this.env.ctx, smq, layouts, assignments.length, this.sealedFiles());

    const t: TopicState = {
      meta: Object.freeze({ name, id, partitions: assignments.length, configs: Object.freeze({}) }),
      smq,
      generation,
      parts: assignments.map((a, i) => {
        const p = new PartitionState(this.env.ctx, smq, i, a);
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

  /**
   * Waits for the second after the layout `generation` (ns) was allocated. Layout directories are named by the
   * second: a layout allocated within the same second (a topic re-created at once, or grown) would share the
   * directories of the ranges both have -- their files, and the broker's partitions still loaded for them.
   */
  async afterLayoutSecond(generation: bigint | undefined): Promise<void> {
    if (generation === undefined) return;
    const wait = (Math.floor(Number(generation / 1_000_000n) / 1000) + 1) * 1000 + 50 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }

  async readExtra(name: string): Promise<TopicExtra | undefined> {
    const e = await this.env.ctx.filer.lookup(this.env.paths.topics, pathName(name));
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
      this.sealedFileAccess = this.env.ctx.logFiles ?? {
        cache: new LogFileCache(64 * 1024 * 1024),
        volumes: new VolumeLocator(this.env.ctx),
      };
    }
    return this.sealedFileAccess;
  }

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
  async finishGrowth(
    name: string,
    assignments: readonly BrokerPartitionAssignment[],
    extra: TopicExtra,
  ): Promise<TopicExtra> {
    const g = extra.growing!;
    const smq = this.ref(name);
    // The old layout's records as stored once ConfigureTopic drained its partitions (and the broker flushed them):
    // a gateway that published there after the high watermarks were recorded had its records acknowledged too.
    const files = this.sealedFiles();
    const ends = await Promise.all(g.ends.map(async (end, i) => {
      const dir = layoutDir(smq, g.generation, i, g.partitions);
      const sealed = new PartitionLogFiles(this.env.ctx, () => dir, files.cache, files.volumes);
      // ConfigureTopic drains the old partitions, but the broker writes what a partition still held in memory
      // after it answered: until then the directory lacks records below `end`. A reader installing the layout
      // meanwhile would take them for absent -- the log start moved past them (Fetch at offset 0 answered
      // OFFSET_OUT_OF_RANGE), or reads skipping to the new layout -- so the layout is recorded only once they are
      // stored (bounded: offsets a broker crash lost are never stored). Not when the layout holds no offsets of
      // its own (it started at `end`) or all of them lie below the log start.
      const from = Math.max(
        extra.logStart?.[String(i)] ?? 0,
        ...(extra.layouts ?? []).filter((l) => i < l.partitions).map((l) => l.ends[i] ?? 0),
      );
      let last = await sealed.lastOffset();
      for (
        const deadline = Date.now() + SEALED_FLUSH_WAIT_MS;
        end > from && last + 1 < end && Date.now() < deadline;
      ) {
        await sleep(100);
        last = await sealed.lastOffset();
      }
      if (end > from && last + 1 < end) {
        this.env.ctx.log(
          "warn",
          `topic ${name}: partition ${i} of the replaced layout holds records up to ${last}, below its high ` +
            `watermark ${end}, after ${SEALED_FLUSH_WAIT_MS} ms`,
        );
      }
      if (last + 1 > end) {
        this.env.ctx.log(
          "info",
          `topic ${name}: partition ${i} holds records up to ${last} in the replaced layout`,
        );
      }
      // The broker reads stored records in blocks of BROKER_READ_BLOCK offsets, numbering them by position from
      // the block start (reclaim.ts): the new layout starts on a block boundary, so no block of it begins
      // without records. The offsets skipped hold nothing (a gap, as compaction leaves in Kafka).
      const stored = Math.max(end, last + 1);
      return Math.ceil(stored / BROKER_READ_BLOCK) * BROKER_READ_BLOCK;
    }));
    await Promise.all(
      assignments.slice(0, g.partitions).map((a, i) =>
        new PartitionState(this.env.ctx, smq, i, a).seed(ends[i])
      ),
    );
    const next: TopicExtra = {
      ...extra,
      generation: String(assignments[0].partition.unixTimeNs),
      layouts: [...(extra.layouts ?? []), { generation: g.generation, partitions: g.partitions, ends }],
    };
    delete next.growing;
    await this.env.ctx.filer.put(this.env.paths.topics, pathName(name), json(next));
    this.env.ctx.log(
      "info",
      `topic ${name}: ${g.partitions} -> ${g.count} partitions; offsets continue at ${ends.join(", ")}`,
    );
    return next;
  }

  applyExtra(t: TopicState, extra: TopicExtra): void {
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

  forget(t: TopicState, why: string): void {
    if (this.topics.get(t.meta.name) === t) this.topics.delete(t.meta.name);
    this.byId.delete(t.meta.id);
    for (const p of t.parts) p.abort(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic ${t.meta.name} was ${why}`);
    this.env.ctx.log("info", `topic ${t.meta.name}: ${why}`);
  }

  relookup(name: string): Promise<void> {
    let p = this.lookups.get(name);
    if (!p) {
      p = (async () => {
        const t = this.topics.get(name);
        if (!t) return;
        let assignments: BrokerPartitionAssignment[];
        try {
          assignments = byRange(decodeLookupTopicBrokersResponse(
            await this.env.brokerCall(
              Rpc.LookupTopicBrokers,
              encodeTopicRequest(t.smq),
              "LookupTopicBrokers",
            ),
          ));
        } catch (e) {
          if (isTransient(e)) throw e;
          assignments = [];
        }
        if (assignments.length === 0) {
          const conf = await this.env.ctx.filer.lookup(
            `/topics/${this.env.ctx.namespace}/${name}`,
            "topic.conf",
          );
          if (conf === null) this.forget(t, "deleted");
          return;
        }
        // A leader that just failed may be dead: the master drops a killed broker at once, this gateway's list
        // of brokers lags up to its 10 s refresh (measured: re-assignment 2 s after a kill without this).
        if (assignments.some((a) => this.env.ctx.cluster.suspect(a.leaderBroker))) {
          await this.env.ctx.cluster.refresh().catch(() => {});
        }
        // Partitions without a leader, or led by a broker the master no longer lists (killed): SeaweedMQ's
        // balancer moves them once it notices (its brokers answer the old assignment from their topic cache
        // meanwhile); ConfigureTopic makes it check now. Only when it has a broker to move them to: it never
        // picks a partition's follower (pub_balancer EnsureAssignmentsToActiveBrokers), so with two brokers the
        // partitions of a dead one stay leaderless until it returns, and a ConfigureTopic then only stores the
        // empty leader.
        const live = this.env.ctx.cluster.brokers;
        const orphan = (a: BrokerPartitionAssignment) =>
          (a.leaderBroker === "" || (live.length > 0 && !live.includes(a.leaderBroker))) &&
          (live.length === 0 || live.some((b) => b !== a.followerBroker));
        if (assignments.some(orphan)) {
          assignments = await this.reassign(t, assignments);
        }
        await this.install(name, assignments, t.extra);
      })().finally(() => this.lookups.delete(name));
      this.lookups.set(name, p);
    }
    return p;
  }

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
      await this.env.brokerCall(
        Rpc.GetTopicConfiguration,
        encodeTopicRequest(t.smq),
        "GetTopicConfiguration",
      ),
    );
    if (conf.partitionCount !== t.parts.length) return assignments;
    const retention = nudgedRetention(conf.retention, smqRetention(this.env.topicNumber(t, "retention.ms")));
    const res = decodeConfigureTopicResponse(
      await this.env.brokerCall(
        Rpc.ConfigureTopic,
        encodeConfigureTopicRequest({
          topic: t.smq,
          partitionCount: conf.partitionCount,
          retention,
          schema: conf.schema, // unchanged (a ConfigureTopic without it would clear it)
        }),
        "ConfigureTopic",
      ),
    );
    t.retention = res.retention ?? retention;
    const fixed = byRange(res.assignments);
    const live = this.env.ctx.cluster.brokers;
    const led = (a: BrokerPartitionAssignment) =>
      a.leaderBroker !== "" && (live.length === 0 || live.includes(a.leaderBroker));
    if (fixed.length === assignments.length && fixed.every(led)) {
      const moved = fixed.filter((a, i) => a.leaderBroker !== assignments[i].leaderBroker).length;
      this.env.ctx.log(
        "info",
        `topic ${t.meta.name}: ${moved} partitions had no live leader; the balancer re-assigned them`,
      );
      return fixed;
    }
    return assignments;
  }

  async saveExtra(t: TopicState, extra: TopicExtra): Promise<void> {
    const body: TopicExtra = { ...extra, generation: String(t.generation) };
    await this.env.ctx.filer.put(this.env.paths.topics, pathName(t.meta.name), json(body));
    t.extra = body;
  }
}
