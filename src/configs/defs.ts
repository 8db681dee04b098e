// Config definitions: every topic config of Kafka 3.9 (type, default, validation, broker synonyms) and the broker
// configs this gateway exposes (static values from flags/env/config file, which ones may change at runtime).
// Values are parsed and stored in canonical form ("+5" -> "5", "TRUE" -> "true", "1" as a double -> "1.0"), the
// form DescribeConfigs reports, as Kafka does.
import type { Config } from "../config.ts";

export type ConfigType =
  | "boolean"
  | "string"
  | "int"
  | "short"
  | "long"
  | "double"
  | "list"
  | "class"
  | "password";

/** DescribeConfigs ConfigType ids (v3+). */
export const CONFIG_TYPE_ID: Readonly<Record<ConfigType, number>> = {
  boolean: 1,
  string: 2,
  int: 3,
  short: 4,
  long: 5,
  double: 6,
  list: 7,
  class: 8,
  password: 9,
};

/** Kafka's ConfigSource ids (DescribeConfigs v1+, CreateTopics v5+). */
export const ConfigSource = {
  UNKNOWN: 0,
  TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
} as const;

/** Kafka's ConfigResource types. */
export const ResourceType = { UNKNOWN: 0, ANY: 1, TOPIC: 2, GROUP: 3, BROKER: 4, BROKER_LOGGER: 8 } as const;

/** A parsed value handed to a validator: number for numeric types, string[] for lists, string otherwise. */
export type Parsed = number | bigint | boolean | string | string[];

export interface ConfigDef {
  readonly name: string;
  readonly type: ConfigType;
  /** Default in canonical form; null when the config has none. */
  readonly default: string | null;
  /** Constraint beyond the type: returns Kafka's reason text, or null when the value is fine. */
  readonly check?: (v: Parsed) => string | null;
  readonly doc: string;
  readonly sensitive?: boolean;
}

/** A broker config a topic config falls back to; `scale` converts its unit to the topic's (hours -> ms). */
export interface Synonym {
  readonly name: string;
  readonly scale?: number;
}

export interface TopicConfigDef extends ConfigDef {
  /** Broker configs supplying the default, highest priority first (Kafka's ServerTopicConfigSynonyms). */
  readonly synonyms: readonly Synonym[];
}

export interface BrokerConfigDef extends ConfigDef {
  /** May be changed at runtime with AlterConfigs / IncrementalAlterConfigs (Kafka's dynamic broker configs). */
  readonly dynamic: boolean;
  /** Gateway option that sets it statically (flag, KGW_ env, config file). */
  readonly option?: keyof Config;
  /** The value the option stands for (default: String(config[option])); null = the option does not set it. */
  readonly fromOption?: (c: Config) => string | null;
}

// ---- validators (Kafka's messages) ----

const atLeast = (min: number | bigint) => (v: Parsed) =>
  (typeof v === "number" || typeof v === "bigint") && v < min ? `Value must be at least ${min}` : null;
const between = (min: number, max: number) => (v: Parsed) => {
  if (typeof v !== "number") return null;
  if (v < min) return `Value must be at least ${min}`;
  if (v > max) return `Value must be no more than ${max}`;
  return null;
};
const oneOf = (...valid: string[]) => (v: Parsed) =>
  typeof v === "string" && !valid.includes(v) ? `String must be one of: ${valid.join(", ")}` : null;
const listOf = (...valid: string[]) => (v: Parsed) =>
  Array.isArray(v) && v.some((x) => !valid.includes(x)) ? `String must be one of: ${valid.join(", ")}` : null;
const gzipLevel = (v: Parsed) =>
  typeof v === "number" && (v > 9 || (v < 1 && v !== -1))
    ? "Value must be between 1 and 9 or equal to -1"
    : null;
const throttledReplicas = (v: Parsed) => {
  if (!Array.isArray(v) || v.length === 0) return null;
  if (v.length === 1 && v[0] === "*") return null;
  return v.every((x) => /^\d+:\d+$/.test(x))
    ? null
    : "must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...";
};

const LONG_MAX = "9223372036854775807";
const COMPRESSION_TYPES = ["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"];
const NO_EFFECT = " Accepted and reported; it has no effect on this single-node gateway.";

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

/** Kafka 3.9's topic configs. */
export const TOPIC_CONFIGS: readonly TopicConfigDef[] = [
  {
    name: "cleanup.policy",
    type: "list",
    default: "delete",
    check: listOf("compact", "delete"),
    synonyms: [{ name: "log.cleanup.policy" }],
    doc: "delete: old segments are removed by retention.ms / retention.bytes; compact: the log keeps the " +
      "latest record of every key (tombstones go after delete.retention.ms); both may be combined.",
  },
  {
    name: "compression.gzip.level",
    type: "int",
    default: "-1",
    check: gzipLevel,
    synonyms: [{ name: "compression.gzip.level" }],
    doc: "gzip level when compression.type=gzip." + NO_EFFECT,
  },
  {
    name: "compression.lz4.level",
    type: "int",
    default: "9",
    check: between(1, 17),
    synonyms: [{ name: "compression.lz4.level" }],
    doc: "lz4 level when compression.type=lz4." + NO_EFFECT,
  },
  {
    name: "compression.type",
    type: "string",
    default: "producer",
    check: oneOf(...COMPRESSION_TYPES),
    synonyms: [{ name: "compression.type" }],
    doc: "producer keeps batches compressed as the producer sent them; a codec name (uncompressed, gzip, " +
      "snappy, lz4, zstd) recompresses every produced batch that uses another codec.",
  },
  {
    name: "compression.zstd.level",
    type: "int",
    default: "3",
    check: between(-131072, 22),
    synonyms: [{ name: "compression.zstd.level" }],
    doc: "zstd level used when recompressing to zstd (compression.type=zstd).",
  },
  {
    name: "delete.retention.ms",
    type: "long",
    default: "86400000",
    check: atLeast(0),
    synonyms: [{ name: "log.cleaner.delete.retention.ms" }],
    doc:
      "How long a tombstone (null value) stays readable in a compacted topic after the cleaner first saw it.",
  },
  {
    name: "file.delete.delay.ms",
    type: "long",
    default: "60000",
    check: atLeast(0),
    synonyms: [{ name: "log.segment.delete.delay.ms" }],
    doc: "Delay before deleted segment files are removed. Segments are removed at once here." + NO_EFFECT,
  },
  {
    name: "flush.messages",
    type: "long",
    default: LONG_MAX,
    check: atLeast(1),
    synonyms: [{ name: "log.flush.interval.messages" }],
    doc: "Messages between fsyncs. The gateway's --fsync setting governs durability." + NO_EFFECT,
  },
  {
    name: "flush.ms",
    type: "long",
    default: LONG_MAX,
    check: atLeast(0),
    synonyms: [{ name: "log.flush.interval.ms" }, { name: "log.flush.scheduler.interval.ms" }],
    doc: "Time between fsyncs. The gateway's --fsync-interval-ms setting governs durability." + NO_EFFECT,
  },
  {
    name: "follower.replication.throttled.replicas",
    type: "list",
    default: "",
    check: throttledReplicas,
    synonyms: [],
    doc: "Replicas throttled on the follower side." + NO_EFFECT,
  },
  {
    name: "index.interval.bytes",
    type: "int",
    default: "4096",
    check: atLeast(0),
    synonyms: [{ name: "log.index.interval.bytes" }],
    doc: "Bytes between offset index entries. The embedded log indexes every 4096 bytes." + NO_EFFECT,
  },
  {
    name: "leader.replication.throttled.replicas",
    type: "list",
    default: "",
    check: throttledReplicas,
    synonyms: [],
    doc: "Replicas throttled on the leader side." + NO_EFFECT,
  },
  {
    name: "local.retention.bytes",
    type: "long",
    default: "-2",
    check: atLeast(-2),
    synonyms: [{ name: "log.local.retention.bytes" }],
    doc: "Local retention with tiered storage." + NO_EFFECT,
  },
  {
    name: "local.retention.ms",
    type: "long",
    default: "-2",
    check: atLeast(-2),
    synonyms: [{ name: "log.local.retention.ms" }],
    doc: "Local retention with tiered storage." + NO_EFFECT,
  },
  {
    name: "max.compaction.lag.ms",
    type: "long",
    default: LONG_MAX,
    check: atLeast(1),
    synonyms: [{ name: "log.cleaner.max.compaction.lag.ms" }],
    doc: "A compacted partition whose oldest uncleaned record is older than this is cleaned whatever its " +
      "dirty ratio.",
  },
  {
    name: "max.message.bytes",
    type: "int",
    default: "1048588",
    check: atLeast(0),
    synonyms: [{ name: "message.max.bytes" }],
    doc: "Largest record batch accepted (after recompression); larger batches get MESSAGE_TOO_LARGE.",
  },
  {
    name: "message.downconversion.enable",
    type: "boolean",
    default: "true",
    synonyms: [{ name: "log.message.downconversion.enable" }],
    doc: "Down-conversion for old Fetch versions. The gateway always down-converts." + NO_EFFECT,
  },
  {
    name: "message.format.version",
    type: "string",
    default: "3.0-IV1",
    synonyms: [{ name: "log.message.format.version" }],
    doc: "Deprecated; the log always stores RecordBatch v2." + NO_EFFECT,
  },
  {
    name: "message.timestamp.after.max.ms",
    type: "long",
    default: LONG_MAX,
    check: atLeast(0),
    synonyms: [{ name: "log.message.timestamp.after.max.ms" }],
    doc: "Allowed distance of CreateTime timestamps into the future." + NO_EFFECT,
  },
  {
    name: "message.timestamp.before.max.ms",
    type: "long",
    default: LONG_MAX,
    check: atLeast(0),
    synonyms: [{ name: "log.message.timestamp.before.max.ms" }],
    doc: "Allowed age of CreateTime timestamps." + NO_EFFECT,
  },
  {
    name: "message.timestamp.difference.max.ms",
    type: "long",
    default: LONG_MAX,
    check: atLeast(0),
    synonyms: [{ name: "log.message.timestamp.difference.max.ms" }],
    doc: "Deprecated form of message.timestamp.before.max.ms." + NO_EFFECT,
  },
  {
    name: "message.timestamp.type",
    type: "string",
    default: "CreateTime",
    check: oneOf("CreateTime", "LogAppendTime"),
    synonyms: [{ name: "log.message.timestamp.type" }],
    doc:
      "CreateTime keeps the producer's timestamps; LogAppendTime stamps each batch with the broker's clock.",
  },
  {
    name: "min.cleanable.dirty.ratio",
    type: "double",
    default: "0.5",
    check: between(0, 1),
    synonyms: [{ name: "log.cleaner.min.cleanable.ratio" }],
    doc:
      "A compacted partition is cleaned once the uncleaned part is at least this share of its closed segments.",
  },
  {
    name: "min.compaction.lag.ms",
    type: "long",
    default: "0",
    check: atLeast(0),
    synonyms: [{ name: "log.cleaner.min.compaction.lag.ms" }],
    doc: "Segments whose newest record is younger than this are not compacted yet.",
  },
  {
    name: "min.insync.replicas",
    type: "int",
    default: "1",
    check: atLeast(1),
    synonyms: [{ name: "min.insync.replicas" }],
    doc: "Replicas that must acknowledge acks=all writes. The gateway's one replica is always in sync." +
      NO_EFFECT,
  },
  {
    name: "preallocate",
    type: "boolean",
    default: "false",
    synonyms: [{ name: "log.preallocate" }],
    doc: "Preallocate segment files." + NO_EFFECT,
  },
  {
    name: "remote.log.copy.disable",
    type: "boolean",
    default: "false",
    synonyms: [],
    doc: "Tiered storage copy switch." + NO_EFFECT,
  },
  {
    name: "remote.log.delete.on.disable",
    type: "boolean",
    default: "false",
    synonyms: [],
    doc: "Tiered storage clean-up switch." + NO_EFFECT,
  },
  {
    name: "remote.storage.enable",
    type: "boolean",
    default: "false",
    synonyms: [],
    doc: "Tiered storage." + NO_EFFECT,
  },
  {
    name: "retention.bytes",
    type: "long",
    default: "-1",
    synonyms: [{ name: "log.retention.bytes" }],
    doc: "Per partition: the oldest closed segments are deleted while the log stays above this size " +
      "(-1 = no limit). Applies when cleanup.policy contains delete.",
  },
  {
    name: "retention.ms",
    type: "long",
    default: "604800000",
    check: atLeast(-1),
    synonyms: [
      { name: "log.retention.ms" },
      { name: "log.retention.minutes", scale: MINUTE_MS },
      { name: "log.retention.hours", scale: HOUR_MS },
    ],
    doc: "Segments whose newest record is older than this are deleted (-1 = forever). Applies when " +
      "cleanup.policy contains delete.",
  },
  {
    name: "segment.bytes",
    type: "int",
    default: "1073741824",
    check: atLeast(14),
    synonyms: [{ name: "log.segment.bytes" }],
    doc: "Size at which a new segment file is started.",
  },
  {
    name: "segment.index.bytes",
    type: "int",
    default: "10485760",
    check: atLeast(4),
    synonyms: [{ name: "log.index.size.max.bytes" }],
    doc: "Maximum index file size. Index files grow as needed here." + NO_EFFECT,
  },
  {
    name: "segment.jitter.ms",
    type: "long",
    default: "0",
    check: atLeast(0),
    synonyms: [{ name: "log.roll.jitter.ms" }, { name: "log.roll.jitter.hours", scale: HOUR_MS }],
    doc: "Random jitter subtracted from segment.ms." + NO_EFFECT,
  },
  {
    name: "segment.ms",
    type: "long",
    default: "604800000",
    check: atLeast(1),
    synonyms: [{ name: "log.roll.ms" }, { name: "log.roll.hours", scale: HOUR_MS }],
    doc: "Age after which a new segment is started, so retention and compaction can act on the old one.",
  },
  {
    name: "unclean.leader.election.enable",
    type: "boolean",
    default: "false",
    synonyms: [{ name: "unclean.leader.election.enable" }],
    doc: "Out-of-sync replicas may become leader." + NO_EFFECT,
  },
];

export const TOPIC_CONFIG_BY_NAME: ReadonlyMap<string, TopicConfigDef> = new Map(
  TOPIC_CONFIGS.map((d) => [d.name, d]),
);

const READ_ONLY = " Set at startup (flag, KGW_ env or config file); read-only at runtime.";

function hostPort(h: { host: string; port: number }): string {
  return `PLAINTEXT://${h.host.includes(":") ? `[${h.host}]` : h.host}:${h.port}`;
}

/** Broker configs shown on the broker resource. */
export const BROKER_CONFIGS: readonly BrokerConfigDef[] = [
  // ---- the gateway's own startup settings (read-only) ----
  {
    name: "advertised.listeners",
    type: "string",
    default: null,
    dynamic: false,
    option: "advertisedListener",
    fromOption: (c) => hostPort(c.advertisedListener),
    doc: "Address given to clients in Metadata (--advertised-listener)." + READ_ONLY,
  },
  {
    name: "auto.create.topics.enable",
    type: "boolean",
    default: "true",
    dynamic: false,
    option: "autoCreateTopics",
    doc: "Create unknown topics on Metadata and Produce (--auto-create-topics)." + READ_ONLY,
  },
  {
    name: "broker.id",
    type: "int",
    default: "1",
    dynamic: false,
    option: "nodeId",
    doc: "This broker's id (--node-id)." + READ_ONLY,
  },
  {
    name: "default.replication.factor",
    type: "int",
    default: "1",
    dynamic: false,
    doc: "Replication factor of auto-created topics: always 1 on this single-node gateway." + READ_ONLY,
  },
  {
    name: "delete.topic.enable",
    type: "boolean",
    default: "true",
    dynamic: false,
    option: "deleteTopicEnable",
    doc: "Allow DeleteTopics (--delete-topic-enable)." + READ_ONLY,
  },
  {
    name: "group.initial.rebalance.delay.ms",
    type: "int",
    default: "3000",
    dynamic: false,
    option: "groupInitialRebalanceDelayMs",
    doc: "Wait for more members before a new group's first rebalance." + READ_ONLY,
  },
  {
    name: "group.max.session.timeout.ms",
    type: "int",
    default: "1800000",
    dynamic: false,
    option: "groupMaxSessionTimeoutMs",
    doc: "Largest session timeout a member may ask for." + READ_ONLY,
  },
  {
    name: "group.max.size",
    type: "int",
    default: "2147483647",
    dynamic: false,
    option: "groupMaxSize",
    doc: "Members per consumer group." + READ_ONLY,
  },
  {
    name: "group.min.session.timeout.ms",
    type: "int",
    default: "6000",
    dynamic: false,
    option: "groupMinSessionTimeoutMs",
    doc: "Smallest session timeout a member may ask for." + READ_ONLY,
  },
  {
    name: "listeners",
    type: "string",
    default: "PLAINTEXT://0.0.0.0:9092",
    dynamic: false,
    option: "listen",
    fromOption: (c) => hostPort(c.listen),
    doc: "Address the Kafka listener binds (--listen)." + READ_ONLY,
  },
  {
    name: "log.cleaner.backoff.ms",
    type: "long",
    default: "15000",
    dynamic: false,
    option: "logCleanerBackoffMs",
    doc: "How often the log cleaner looks for compacted partitions to clean (--log-cleaner-backoff-ms)." +
      READ_ONLY,
  },
  {
    name: "log.cleaner.enable",
    type: "boolean",
    default: "true",
    dynamic: false,
    doc: "Log compaction runs for topics with cleanup.policy=compact." + READ_ONLY,
  },
  {
    name: "log.dirs",
    type: "string",
    default: "./data",
    dynamic: false,
    option: "dataDir",
    doc: "Directory of the embedded log (--data-dir)." + READ_ONLY,
  },
  {
    name: "log.flush.interval.messages",
    type: "long",
    default: LONG_MAX,
    dynamic: false,
    option: "fsync",
    fromOption: (c) => (c.fsync === "always" ? "1" : null),
    doc: "1 when every append is fsynced before it is acknowledged (--fsync always)." + READ_ONLY,
  },
  {
    name: "log.flush.interval.ms",
    type: "long",
    default: "1000",
    dynamic: false,
    option: "fsyncIntervalMs",
    fromOption: (c) => (c.fsync === "interval" ? String(c.fsyncIntervalMs) : null),
    doc: "Background fsync period with --fsync interval (--fsync-interval-ms)." + READ_ONLY,
  },
  {
    name: "log.flush.scheduler.interval.ms",
    type: "long",
    default: LONG_MAX,
    dynamic: false,
    doc: "Kafka's flush scheduler period; the gateway flushes per --fsync." + READ_ONLY,
  },
  {
    name: "log.retention.check.interval.ms",
    type: "long",
    default: "300000",
    dynamic: false,
    option: "retentionCheckIntervalMs",
    check: atLeast(1),
    doc: "How often retention runs (--retention-check-interval-ms)." + READ_ONLY,
  },
  {
    name: "max.connections",
    type: "int",
    default: "10000",
    dynamic: false,
    option: "maxConnections",
    doc: "Open client connections (--max-connections)." + READ_ONLY,
  },
  {
    name: "node.id",
    type: "int",
    default: "1",
    dynamic: false,
    option: "nodeId",
    doc: "This broker's id (--node-id)." + READ_ONLY,
  },
  {
    name: "num.partitions",
    type: "int",
    default: "1",
    dynamic: false,
    option: "numPartitions",
    doc: "Partitions of auto-created topics and CreateTopics with -1 (--num-partitions)." + READ_ONLY,
  },
  {
    name: "offset.metadata.max.bytes",
    type: "int",
    default: "4096",
    dynamic: false,
    option: "offsetMetadataMaxBytes",
    doc: "Largest metadata string of a committed offset." + READ_ONLY,
  },
  {
    name: "offsets.retention.check.interval.ms",
    type: "long",
    default: "600000",
    dynamic: false,
    option: "offsetsRetentionCheckIntervalMs",
    doc: "How often expired committed offsets are removed." + READ_ONLY,
  },
  {
    name: "offsets.retention.minutes",
    type: "int",
    default: "10080",
    dynamic: false,
    option: "offsetsRetentionMinutes",
    doc: "Committed offsets of an empty group expire after this." + READ_ONLY,
  },
  {
    name: "socket.request.max.bytes",
    type: "int",
    default: "104857600",
    dynamic: false,
    option: "maxFrameBytes",
    doc: "Largest request frame (--max-request-bytes); larger ones close the connection." + READ_ONLY,
  },
  // ---- broker-wide defaults of topic configs (dynamic, as in Kafka) ----
  {
    name: "compression.gzip.level",
    type: "int",
    default: "-1",
    check: gzipLevel,
    dynamic: true,
    doc: "Default compression.gzip.level of topics.",
  },
  {
    name: "compression.lz4.level",
    type: "int",
    default: "9",
    check: between(1, 17),
    dynamic: true,
    doc: "Default compression.lz4.level of topics.",
  },
  {
    name: "compression.type",
    type: "string",
    default: "producer",
    check: oneOf(...COMPRESSION_TYPES),
    dynamic: true,
    option: "compressionType",
    doc: "Default compression.type of topics (--compression-type).",
  },
  {
    name: "compression.zstd.level",
    type: "int",
    default: "3",
    check: between(-131072, 22),
    dynamic: true,
    doc: "Default compression.zstd.level of topics.",
  },
  {
    name: "log.cleaner.delete.retention.ms",
    type: "long",
    default: "86400000",
    check: atLeast(0),
    dynamic: true,
    option: "deleteRetentionMs",
    doc: "Default delete.retention.ms of topics (--delete-retention-ms).",
  },
  {
    name: "log.cleaner.max.compaction.lag.ms",
    type: "long",
    default: LONG_MAX,
    check: atLeast(1),
    dynamic: true,
    doc: "Default max.compaction.lag.ms of topics.",
  },
  {
    name: "log.cleaner.min.cleanable.ratio",
    type: "double",
    default: "0.5",
    check: between(0, 1),
    dynamic: true,
    doc: "Default min.cleanable.dirty.ratio of topics.",
  },
  {
    name: "log.cleaner.min.compaction.lag.ms",
    type: "long",
    default: "0",
    check: atLeast(0),
    dynamic: true,
    doc: "Default min.compaction.lag.ms of topics.",
  },
  {
    name: "log.cleanup.policy",
    type: "list",
    default: "delete",
    check: listOf("compact", "delete"),
    dynamic: true,
    option: "logCleanupPolicy",
    doc: "Default cleanup.policy of topics (--cleanup-policy).",
  },
  {
    name: "log.index.interval.bytes",
    type: "int",
    default: "4096",
    check: atLeast(0),
    dynamic: true,
    doc: "Default index.interval.bytes of topics." + NO_EFFECT,
  },
  {
    name: "log.index.size.max.bytes",
    type: "int",
    default: "10485760",
    check: atLeast(4),
    dynamic: true,
    doc: "Default segment.index.bytes of topics." + NO_EFFECT,
  },
  {
    name: "log.local.retention.bytes",
    type: "long",
    default: "-2",
    check: atLeast(-2),
    dynamic: true,
    doc: "Default local.retention.bytes of topics." + NO_EFFECT,
  },
  {
    name: "log.local.retention.ms",
    type: "long",
    default: "-2",
    check: atLeast(-2),
    dynamic: true,
    doc: "Default local.retention.ms of topics." + NO_EFFECT,
  },
  {
    name: "log.message.downconversion.enable",
    type: "boolean",
    default: "true",
    dynamic: true,
    doc: "Default message.downconversion.enable of topics." + NO_EFFECT,
  },
  {
    name: "log.message.format.version",
    type: "string",
    default: "3.0-IV1",
    dynamic: true,
    doc: "Default message.format.version of topics (deprecated)." + NO_EFFECT,
  },
  {
    name: "log.message.timestamp.after.max.ms",
    type: "long",
    default: LONG_MAX,
    check: atLeast(0),
    dynamic: true,
    doc: "Default message.timestamp.after.max.ms of topics." + NO_EFFECT,
  },
  {
    name: "log.message.timestamp.before.max.ms",
    type: "long",
    default: LONG_MAX,
    check: atLeast(0),
    dynamic: true,
    doc: "Default message.timestamp.before.max.ms of topics." + NO_EFFECT,
  },
  {
    name: "log.message.timestamp.difference.max.ms",
    type: "long",
    default: LONG_MAX,
    check: atLeast(0),
    dynamic: true,
    doc: "Default message.timestamp.difference.max.ms of topics." + NO_EFFECT,
  },
  {
    name: "log.message.timestamp.type",
    type: "string",
    default: "CreateTime",
    check: oneOf("CreateTime", "LogAppendTime"),
    dynamic: true,
    option: "logMessageTimestampType",
    doc: "Default message.timestamp.type of topics (--log-message-timestamp-type).",
  },
  {
    name: "log.preallocate",
    type: "boolean",
    default: "false",
    dynamic: true,
    doc: "Default preallocate of topics." + NO_EFFECT,
  },
  {
    name: "log.retention.bytes",
    type: "long",
    default: "-1",
    dynamic: true,
    option: "retentionBytes",
    doc: "Default retention.bytes of topics (--retention-bytes).",
  },
  {
    name: "log.retention.hours",
    type: "int",
    default: "168",
    dynamic: true,
    doc:
      "Default retention of topics in hours, used when log.retention.ms and log.retention.minutes are unset.",
  },
  {
    name: "log.retention.minutes",
    type: "int",
    default: null,
    dynamic: true,
    doc: "Default retention of topics in minutes, used when log.retention.ms is unset.",
  },
  {
    name: "log.retention.ms",
    type: "long",
    default: null,
    check: atLeast(-1),
    dynamic: true,
    option: "retentionMs",
    doc: "Default retention.ms of topics (--retention-ms); -1 = forever.",
  },
  {
    name: "log.roll.hours",
    type: "int",
    default: "168",
    check: atLeast(1),
    dynamic: true,
    doc: "Default segment roll age of topics in hours, used when log.roll.ms is unset.",
  },
  {
    name: "log.roll.jitter.hours",
    type: "int",
    default: "0",
    check: atLeast(0),
    dynamic: true,
    doc: "Default segment.jitter.ms of topics in hours." + NO_EFFECT,
  },
  {
    name: "log.roll.jitter.ms",
    type: "long",
    default: null,
    dynamic: true,
    doc: "Default segment.jitter.ms of topics." + NO_EFFECT,
  },
  {
    name: "log.roll.ms",
    type: "long",
    default: null,
    check: atLeast(1),
    dynamic: true,
    option: "segmentMs",
    doc: "Default segment.ms of topics (--segment-ms).",
  },
  {
    name: "log.segment.bytes",
    type: "int",
    default: "1073741824",
    check: atLeast(14),
    dynamic: true,
    option: "segmentBytes",
    doc: "Default segment.bytes of topics (--segment-bytes).",
  },
  {
    name: "log.segment.delete.delay.ms",
    type: "long",
    default: "60000",
    check: atLeast(0),
    dynamic: true,
    doc: "Default file.delete.delay.ms of topics." + NO_EFFECT,
  },
  {
    name: "message.max.bytes",
    type: "int",
    default: "1048588",
    check: atLeast(0),
    dynamic: true,
    option: "messageMaxBytes",
    doc: "Default max.message.bytes of topics (--message-max-bytes).",
  },
  {
    name: "min.insync.replicas",
    type: "int",
    default: "1",
    check: atLeast(1),
    dynamic: true,
    option: "minInsyncReplicas",
    doc: "Default min.insync.replicas of topics (--min-insync-replicas)." + NO_EFFECT,
  },
  {
    name: "unclean.leader.election.enable",
    type: "boolean",
    default: "false",
    dynamic: true,
    doc: "Default unclean.leader.election.enable of topics." + NO_EFFECT,
  },
];

export const BROKER_CONFIG_BY_NAME: ReadonlyMap<string, BrokerConfigDef> = new Map(
  BROKER_CONFIGS.map((d) => [d.name, d]),
);

/**
 * Kafka's broker synonyms of a broker config (DynamicBrokerConfig.brokerConfigSynonyms): the names whose values
 * stand in for each other, highest priority first.
 */
export function brokerSynonyms(name: string): readonly string[] {
  switch (name) {
    case "log.roll.ms":
    case "log.roll.hours":
      return ["log.roll.ms", "log.roll.hours"];
    case "log.roll.jitter.ms":
    case "log.roll.jitter.hours":
      return ["log.roll.jitter.ms", "log.roll.jitter.hours"];
    case "log.flush.interval.ms":
      return ["log.flush.interval.ms", "log.flush.scheduler.interval.ms"];
    case "log.retention.ms":
    case "log.retention.minutes":
    case "log.retention.hours":
      return ["log.retention.ms", "log.retention.minutes", "log.retention.hours"];
    default:
      return [name];
  }
}

// ---- parsing ----

const INT32 = [-2147483648, 2147483647] as const;
const INT16 = [-32768, 32767] as const;
const LONG_MIN_B = -(2n ** 63n);
const LONG_MAX_B = 2n ** 63n - 1n;

/** Java's Double.toString for the values configs use ("1.0", "0.5", "1.0E-4" is rendered JS-style). */
function doubleString(n: number): string {
  return Number.isInteger(n) && Math.abs(n) < 1e7 ? n.toFixed(1) : String(n);
}

/**
 * Parses `raw` as a value of `def`: returns the canonical string and the parsed value, or throws a message in
 * Kafka's ConfigException form ("Invalid value X for configuration K: reason").
 */
export function parseConfigValue(def: ConfigDef, raw: string): { value: string; parsed: Parsed } {
  const fail = (why: string): never => {
    throw new ConfigValueError(`Invalid value ${raw} for configuration ${def.name}: ${why}`);
  };
  const t = raw.trim();
  let value: string;
  let parsed: Parsed;
  switch (def.type) {
    case "boolean": {
      const l = t.toLowerCase();
      if (l !== "true" && l !== "false") fail("Expected value to be either true or false");
      value = l;
      parsed = l === "true";
      break;
    }
    case "int":
    case "short": {
      const [lo, hi] = def.type === "int" ? INT32 : INT16;
      const n = /^[+-]?\d+$/.test(t) ? Number(t) : NaN;
      if (!(n >= lo && n <= hi)) fail(`Not a number of type ${def.type.toUpperCase()}`);
      value = String(n);
      parsed = n;
      break;
    }
    case "long": {
      if (!/^[+-]?\d+$/.test(t)) fail("Not a number of type LONG");
      const b = BigInt(t);
      if (b < LONG_MIN_B || b > LONG_MAX_B) fail("Not a number of type LONG");
      value = b.toString();
      parsed = b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
      break;
    }
    case "double": {
      const n = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) ? Number(t) : NaN;
      if (!Number.isFinite(n)) fail("Not a number of type DOUBLE");
      value = doubleString(n);
      parsed = n;
      break;
    }
    case "list": {
      const items = t === "" ? [] : t.split(/\s*,\s*/);
      value = items.join(",");
      parsed = items;
      break;
    }
    default:
      value = t;
      parsed = t;
  }
  const why = def.check?.(parsed);
  if (why) fail(why);
  return { value, parsed };
}

/** A value that does not parse or validate; the message names the config. */
export class ConfigValueError extends Error {
  override name = "ConfigValueError";
}

/** Numeric value of a canonical long/int config string (Infinity beyond the safe range, e.g. Long.MAX). */
export function configNumber(v: string): number {
  const n = Number(v);
  return Number.isSafeInteger(n) || !Number.isInteger(n) ? n : (n > 0 ? Infinity : -Infinity);
}
