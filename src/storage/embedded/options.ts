// Constructor options of the embedded log and the per-topic settings derived from them and a topic's configs.
import { ErrorCode } from "../../protocol/errors.ts";
import { StorageError, type TimestampOffset, type TopicConfigs } from "../storage.ts";
import { topicDefaultNumber } from "../../configs/topic_defs.ts";
import { brokerDefaultNumber } from "../../configs/broker_defs.ts";

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFn = (level: LogLevel, msg: string) => void;

export interface EmbeddedOptions {
  /** Root directory of the log (created when missing). */
  readonly dataDir: string;
  /** "always": append() resolves after fdatasync covers the data; "interval": background sync. Default "interval". */
  readonly fsync?: "always" | "interval";
  /** Background sync period for fsync "interval". Default 1000. */
  readonly fsyncIntervalMs?: number;
  /** Default segment.bytes. Default 1 GiB. */
  readonly segmentBytes?: number;
  /** Default segment.ms. Default 7 days. */
  readonly segmentMs?: number;
  /** Default retention.ms (-1 = forever). Default 7 days. */
  readonly retentionMs?: number;
  /** Default retention.bytes per partition (-1 = unlimited). Default -1. */
  readonly retentionBytes?: number;
  /** Period of the retention task. Default 5 minutes. */
  readonly retentionCheckIntervalMs?: number;
  /** Period of the log cleaner (compaction of cleanup.policy=compact topics). Default 15 s. */
  readonly cleanerBackoffMs?: number;
  /** Period of the per-partition checkpoint (log start offset, recovery point). Default 60 s. */
  readonly checkpointIntervalMs?: number;
  /** Bytes of log between two offset-index entries. Default 4096. */
  readonly indexIntervalBytes?: number;
  /**
   * Tail cache bound per partition. Default 4 MiB. Small on purpose: batches the cache holds outlive V8's young
   * generation, and every byte evicted from it is old-generation garbage. With a cache of tens of MiB churning at
   * produce speed, V8 ran a major collection every ~1 s (20-30 ms of stalls: produce p99 11 ms at 200,000 msg/s); at
   * 8 MiB in all, one per ~10 s (p99 3.3 ms). A read the cache misses is a read of the page cache.
   */
  readonly tailCacheBytesPerPartition?: number;
  /** Tail cache bound over all partitions. Default 8 MiB (see tailCacheBytesPerPartition). */
  readonly tailCacheBytesTotal?: number;
  /** Logger; default prints info and above to stderr. */
  readonly log?: LogFn;
  /**
   * Decodes the record timestamps of a compressed batch (the records layer owns decompression). Used by
   * offsetForTimestamp/maxTimestamp for exact record offsets; without it, compressed batches answer with the
   * batch's base offset (offsetForTimestamp) or last offset (maxTimestamp) and the batch's max timestamp.
   */
  readonly decodeTimestamps?: (batch: Uint8Array) => Promise<TimestampOffset[]>;
  /**
   * Called for every failed I/O operation with its errno class ("ENOSPC", "EIO", "EACCES", ..., "other"; see
   * health.ts), for kgw_storage_errors_total. Logging (once per condition) is the storage's own.
   */
  readonly onStorageError?: (kind: string) => void;
}

export interface ResolvedOptions {
  readonly dataDir: string;
  readonly fsync: "always" | "interval";
  readonly fsyncIntervalMs: number;
  readonly retentionCheckIntervalMs: number;
  readonly cleanerBackoffMs: number;
  readonly checkpointIntervalMs: number;
  readonly indexIntervalBytes: number;
  readonly tailCacheBytesPerPartition: number;
  readonly tailCacheBytesTotal: number;
  readonly defaults: LogSettings;
  readonly log: LogFn;
  readonly decodeTimestamps?: (batch: Uint8Array) => Promise<TimestampOffset[]>;
}

/** Effective settings of one topic's partitions. */
export interface LogSettings {
  readonly segmentBytes: number;
  readonly segmentMs: number;
  readonly retentionMs: number;
  readonly retentionBytes: number;
  /** cleanup.policy contains delete: retention.ms / retention.bytes delete old segments. */
  readonly cleanupDelete: boolean;
  /** cleanup.policy contains compact: the log cleaner keeps the latest record per key. */
  readonly cleanupCompact: boolean;
  readonly deleteRetentionMs: number;
  readonly minCompactionLagMs: number;
  readonly maxCompactionLagMs: number;
  readonly minCleanableDirtyRatio: number;
}

const MIB = 1024 * 1024;
/** Offsets and positions in index entries are int32. */
export const MAX_SEGMENT_BYTES = 2 ** 31 - 1;

function defaultLog(level: LogLevel, msg: string): void {
  if (level !== "debug") console.error(`[storage] ${level}: ${msg}`);
}

function num(v: number | undefined, dflt: number, min: number, name: string): number {
  if (v === undefined) return dflt;
  if (!Number.isFinite(v) || v < min) {
    throw new RangeError(`embedded storage option ${name} must be >= ${min}`);
  }
  return Math.floor(v);
}

export function resolveOptions(o: EmbeddedOptions): ResolvedOptions {
  return {
    dataDir: o.dataDir,
    fsync: o.fsync ?? "interval",
    fsyncIntervalMs: num(o.fsyncIntervalMs, 1000, 1, "fsyncIntervalMs"),
    retentionCheckIntervalMs: num(
      o.retentionCheckIntervalMs,
      brokerDefaultNumber("log.retention.check.interval.ms"),
      1,
      "retentionCheckIntervalMs",
    ),
    cleanerBackoffMs: num(
      o.cleanerBackoffMs,
      brokerDefaultNumber("log.cleaner.backoff.ms"),
      1,
      "cleanerBackoffMs",
    ),
    checkpointIntervalMs: num(o.checkpointIntervalMs, 60 * 1000, 1, "checkpointIntervalMs"),
    indexIntervalBytes: num(
      o.indexIntervalBytes,
      topicDefaultNumber("index.interval.bytes"),
      1,
      "indexIntervalBytes",
    ),
    tailCacheBytesPerPartition: num(o.tailCacheBytesPerPartition, 4 * MIB, 0, "tailCacheBytesPerPartition"),
    tailCacheBytesTotal: num(o.tailCacheBytesTotal, 8 * MIB, 0, "tailCacheBytesTotal"),
    defaults: {
      // Kafka's topic defaults, from the one table (src/configs/topic_defs.ts).
      segmentBytes: Math.min(
        num(o.segmentBytes, topicDefaultNumber("segment.bytes"), 1, "segmentBytes"),
        MAX_SEGMENT_BYTES,
      ),
      segmentMs: num(o.segmentMs, topicDefaultNumber("segment.ms"), 1, "segmentMs"),
      retentionMs: num(o.retentionMs, topicDefaultNumber("retention.ms"), -1, "retentionMs"),
      retentionBytes: num(o.retentionBytes, topicDefaultNumber("retention.bytes"), -1, "retentionBytes"),
      cleanupDelete: true, // cleanup.policy=delete
      cleanupCompact: false,
      deleteRetentionMs: topicDefaultNumber("delete.retention.ms"),
      minCompactionLagMs: topicDefaultNumber("min.compaction.lag.ms"),
      maxCompactionLagMs: Math.min(topicDefaultNumber("max.compaction.lag.ms"), Number.MAX_SAFE_INTEGER),
      minCleanableDirtyRatio: topicDefaultNumber("min.cleanable.dirty.ratio"),
    },
    log: o.log ?? defaultLog,
    decodeTimestamps: o.decodeTimestamps,
  };
}

function intConfig(configs: TopicConfigs, key: string, dflt: number, min: number, max: number): number {
  const raw = configs[key];
  if (raw === undefined) return dflt;
  const v = Number(raw.trim());
  if (raw.trim() === "" || !Number.isInteger(v) || v < min) {
    throw new StorageError(ErrorCode.INVALID_CONFIG, `invalid value ${JSON.stringify(raw)} for ${key}`);
  }
  return Math.min(v, max);
}

function cleanupPolicy(configs: TopicConfigs, defaults: LogSettings): { delete: boolean; compact: boolean } {
  const raw = configs["cleanup.policy"];
  if (raw === undefined) return { delete: defaults.cleanupDelete, compact: defaults.cleanupCompact };
  const parts = raw.trim() === "" ? [] : raw.split(",").map((p) => p.trim());
  if (parts.some((p) => p !== "delete" && p !== "compact")) {
    throw new StorageError(
      ErrorCode.INVALID_CONFIG,
      `invalid value ${JSON.stringify(raw)} for cleanup.policy`,
    );
  }
  return { delete: parts.includes("delete"), compact: parts.includes("compact") };
}

function ratioConfig(configs: TopicConfigs, key: string, dflt: number): number {
  const raw = configs[key];
  if (raw === undefined) return dflt;
  const v = Number(raw.trim());
  if (raw.trim() === "" || !(v >= 0 && v <= 1)) {
    throw new StorageError(ErrorCode.INVALID_CONFIG, `invalid value ${JSON.stringify(raw)} for ${key}`);
  }
  return v;
}

/**
 * Applies a topic's segment.bytes, segment.ms, retention.ms, retention.bytes, cleanup.policy and the compaction
 * settings (delete.retention.ms, min/max.compaction.lag.ms, min.cleanable.dirty.ratio) over the defaults; throws
 * StorageError(INVALID_CONFIG) on bad values. Other configs (e.g. message.timestamp.type, stamped by the produce
 * handler) are stored but not interpreted here. Also turns broker-level defaults (Kafka names) into settings:
 * topicSettings(base, defaultsByName).
 */
export function topicSettings(defaults: LogSettings, configs: TopicConfigs): LogSettings {
  const cleanup = cleanupPolicy(configs, defaults);
  const MAX = Number.MAX_SAFE_INTEGER;
  return {
    segmentBytes: intConfig(configs, "segment.bytes", defaults.segmentBytes, 1, MAX_SEGMENT_BYTES),
    segmentMs: intConfig(configs, "segment.ms", defaults.segmentMs, 1, MAX),
    retentionMs: intConfig(configs, "retention.ms", defaults.retentionMs, -1, MAX),
    // Kafka accepts any negative retention.bytes as "no limit".
    retentionBytes: Math.max(
      -1,
      intConfig(configs, "retention.bytes", defaults.retentionBytes, -Infinity, MAX),
    ),
    cleanupDelete: cleanup.delete,
    cleanupCompact: cleanup.compact,
    deleteRetentionMs: intConfig(configs, "delete.retention.ms", defaults.deleteRetentionMs, 0, MAX),
    minCompactionLagMs: intConfig(configs, "min.compaction.lag.ms", defaults.minCompactionLagMs, 0, MAX),
    maxCompactionLagMs: intConfig(configs, "max.compaction.lag.ms", defaults.maxCompactionLagMs, 1, MAX),
    minCleanableDirtyRatio: ratioConfig(
      configs,
      "min.cleanable.dirty.ratio",
      defaults.minCleanableDirtyRatio,
    ),
  };
}
