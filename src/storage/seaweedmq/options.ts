// The options of SeaweedMQStorage and their defaults (gateway.ts fills them from the process options).
import type { LogFn } from "./context.ts";
import type { RecordFormat } from "./record_codec.ts";

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

/** The options with their defaults filled in (but those the constructor reads only once). */
export type ResolvedOptions = Required<
  Omit<SeaweedMQOptions, "brokers" | "filers" | "log" | "directReads" | "readCacheBytes">
>;

export function resolveOptions(options: SeaweedMQOptions): ResolvedOptions {
  return {
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
}
