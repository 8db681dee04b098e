// Retention on SeaweedMQ. retention.ms as SeaweedMQ's TopicRetention: the broker itself never applies it (the
// gateway deletes expired log files, reclaim.ts); SeaweedFS's own tools show it and `weed admin` purges whole
// earlier layouts of a topic with it. The gateway writes it with ConfigureTopic (same partition count: only the
// stored retention changes) when a topic's effective retention.ms changes, and only then, so its value in
// SeaweedMQ is always the Kafka one. TopicRetentionTask runs retention passes and DeleteRecords (reclaim).
import { ErrorCode } from "../../../protocol/errors.ts";
import { StorageError, type TopicConfigs } from "../../storage.ts";
import { errorText } from "../context.ts";
import { partitionDir, type PartitionState } from "../partition.ts";
import {
  decodeConfigureTopicResponse,
  decodeGetTopicConfigurationResponse,
  encodeConfigureTopicRequest,
  encodeTopicRequest,
  Rpc,
  type TopicRetention,
} from "../transport/messages.ts";
import type { TopicEnv, TopicState, TopicTable } from "./install.ts";
import { dataFiles, reclaimDir, type ReclaimResult } from "./reclaim.ts";

/** TopicRetention for a retention.ms: whole seconds rounded up, disabled for -1 (forever). */
export function smqRetention(retentionMs: number): TopicRetention {
  return retentionMs >= 0
    ? { retentionSeconds: Math.ceil(retentionMs / 1000), enabled: true }
    : { retentionSeconds: 0, enabled: false };
}

/** Same meaning to SeaweedMQ: none stored and a disabled one with 0 seconds are both "no retention". */
function same(a: TopicRetention | null, b: TopicRetention): boolean {
  const x = a ?? { retentionSeconds: 0, enabled: false };
  return x.enabled === b.enabled && x.retentionSeconds === b.retentionSeconds;
}

/**
 * A retention that differs from `stored` but stands for `desired`: `desired` itself, or, when that is what is
 * stored, its variant with one second more (disabled: seconds 0 <-> 1, which SeaweedMQ ignores). ConfigureTopic
 * with it makes the broker re-assign leaderless partitions (TopicTable.reassign) without changing what the
 * retention means.
 */
export function nudgedRetention(stored: TopicRetention | null, desired: TopicRetention): TopicRetention {
  if (!same(stored, desired)) return desired;
  return desired.enabled
    ? { retentionSeconds: desired.retentionSeconds + 1, enabled: true }
    : { retentionSeconds: desired.retentionSeconds === 0 ? 1 : 0, enabled: false };
}

/** Whether `stored` already stands for `desired` (itself or its nudged variant): nothing to write. */
export function retentionInSync(stored: TopicRetention | null, desired: TopicRetention): boolean {
  return same(stored, desired) || same(stored, nudgedRetention(desired, desired));
}

/**
 * A numeric topic config in effect: the override, else the broker-level default, else `fallback` (before the
 * config model pushed its defaults). Long.MAX and other values beyond 2^53 come out approximate, which no
 * comparison with a time or size notices.
 */
export function topicNumber(
  overrides: TopicConfigs,
  defaults: TopicConfigs,
  key: string,
  fallback: number,
): number {
  const v = Number(overrides[key] ?? defaults[key]);
  return Number.isFinite(v) ? v : fallback;
}

/** Bytes of the log files of a directory listing (with chunks). */
function dirBytes(entries: Parameters<typeof dataFiles>[0]): number {
  return dataFiles(entries).reduce((s, f) => s + f.bytes, 0);
}

/** Retention passes, SeaweedMQ's copy of retention.ms, and the reclaim of log files behind DeleteRecords. */
export class TopicRetentionTask {
  /** Retention writes queued by setConfigDefaults, one after another. */
  private syncs: Promise<void> = Promise.resolve();
  /** Per partition, the reclaim under way (retention and DeleteRecords take turns). */
  private readonly reclaiming = new WeakMap<PartitionState, Promise<unknown>>();

  constructor(private readonly env: TopicEnv, private readonly table: TopicTable) {}

  /** Queues syncRetention of `topics` (a new broker default retention.ms), after the writes queued before. */
  syncLater(topics: readonly TopicState[]): void {
    this.syncs = this.syncs.then(async () => {
      for (const t of topics) {
        await this.syncRetention(t).catch((e) =>
          this.env.ctx.log(
            "warn",
            `topic ${t.meta.name}: writing its retention to SeaweedMQ failed: ${errorText(e)}`,
          )
        );
      }
    });
  }

  /**
   * Writes the topic's retention.ms to SeaweedMQ's TopicRetention (retentionInSync above) unless it is there already:
   * a ConfigureTopic with the same partition count, which changes nothing else.
   */
  async syncRetention(t: TopicState): Promise<void> {
    const desired = smqRetention(this.env.topicNumber(t, "retention.ms"));
    if (t.retention !== undefined && retentionInSync(t.retention, desired)) return;
    // A ConfigureTopic with another partition count than the stored one would allocate a new layout: the count
    // is read right before, and a topic whose layout changes (here or through another gateway) is left alone.
    const current = () => this.table.topics.get(t.meta.name) === t && !t.gate;
    if (!current()) return;
    const conf = decodeGetTopicConfigurationResponse(
      await this.env.brokerCall(
        Rpc.GetTopicConfiguration,
        encodeTopicRequest(t.smq),
        "GetTopicConfiguration",
      ),
    );
    t.retention = conf.retention;
    if (retentionInSync(t.retention, desired)) return;
    if (conf.partitionCount !== t.parts.length || !current()) return; // the next pass decides
    const res = decodeConfigureTopicResponse(
      await this.env.brokerCall(
        Rpc.ConfigureTopic,
        encodeConfigureTopicRequest({
          topic: t.smq,
          partitionCount: conf.partitionCount,
          retention: desired,
          schema: conf.schema, // unchanged (a ConfigureTopic without it would clear it)
        }),
        "ConfigureTopic",
      ),
    );
    t.retention = res.retention ?? desired;
    this.env.ctx.log(
      "info",
      `topic ${t.meta.name}: SeaweedMQ retention ${
        desired.enabled ? `${desired.retentionSeconds} s` : "disabled"
      } (retention.ms ${this.env.topicNumber(t, "retention.ms")})`,
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
    for (const t of [...this.table.topics.values()]) {
      if (!this.env.isOpen()) break;
      if (this.table.topics.get(t.meta.name) !== t) continue;
      await this.syncRetention(t).catch((e) =>
        this.env.ctx.log("debug", `topic ${t.meta.name}: retention sync: ${errorText(e)}`)
      );
      for (let i = 0; i < t.parts.length; i++) {
        n += await this.reclaim(t, i, { retention: true }, now).catch((e) => {
          this.env.ctx.log("warn", `${t.parts[i].name}: retention failed: ${errorText(e)}`);
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
  reclaim(
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
      const retentionMs = retention ? this.env.topicNumber(t, "retention.ms") : -1;
      const retentionBytes = retention ? this.env.topicNumber(t, "retention.bytes") : -1;
      // Earlier layouts of a grown topic first (its oldest records), then the current one.
      const h = t.history[index];
      const dirs = [
        ...h.segments.map((seg) => ({ dir: seg.dir, seg })),
        { dir: partitionDir(p.topic, p.partition), seg: null },
      ];
      const sizes = retentionBytes >= 0 && h.segments.length > 0
        ? await Promise.all(dirs.map(async (d) => dirBytes(await this.env.ctx.filer.list(d.dir, "", true))))
        : dirs.map(() => 0);
      let logStart = from, files = 0, bytes = 0;
      for (let k = 0; k < dirs.length; k++) {
        const { dir, seg } = dirs[k];
        let r: ReclaimResult;
        try {
          r = await reclaimDir(this.env.ctx.filer, dir, {
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
          this.env.ctx.log(
            "warn",
            `${p.name}: DeleteRecords could not delete log files yet: ${errorText(e)}`,
          );
          break;
        }
        if (r.deleted.length > 0) seg ? seg.forget(r.deleted) : p.forgetFiles(r.deleted);
        files += r.deleted.length;
        bytes += r.bytes;
        logStart = Math.max(logStart, r.logStart);
        if (r.failure) {
          this.env.ctx.log("warn", `${p.name}: deleting log files stopped: ${r.failure}`);
          break;
        }
        if (seg && logStart < seg.end) {
          if (await seg.firstOffset() >= 0) break; // it still holds readable records: newer layouts keep theirs
          logStart = seg.end; // nothing left in it (deleted outside the gateway, or never written)
        }
      }
      if (logStart > from) await this.advanceLogStart(t, index, logStart);
      if (files > 0 || p.deletedBelow > before) {
        this.env.ctx.log(
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
    const fresh = await this.table.readExtra(t.meta.name);
    const persisted = fresh?.generation === undefined || fresh.generation === String(t.generation);
    const base = fresh ?? t.extra;
    if (persisted && (base.logStart?.[index] ?? 0) < offset) {
      await this.table.saveExtra(t, { ...base, logStart: { ...(base.logStart ?? {}), [index]: offset } });
    }
    p.deletedBelow = Math.max(p.deletedBelow, offset);
    return persisted;
  }
}
