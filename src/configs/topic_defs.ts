// Kafka 3.9's topic configs: type, default, validation and the broker configs that supply their defaults.
import {
  atLeast,
  between,
  type ConfigDef,
  defaultNumber,
  gzipLevel,
  listOf,
  LONG_MAX,
  oneOf,
  throttledReplicas,
} from "./values.ts";
import { parseStrategy, STRATEGY_PACKAGE } from "../schema_registry/validation.ts";

/** A broker config a topic config falls back to; `scale` converts its unit to the topic's (hours -> ms). */
export interface Synonym {
  readonly name: string;
  readonly scale?: number;
}

export interface TopicConfigDef extends ConfigDef {
  /** Broker configs supplying the default, highest priority first (Kafka's ServerTopicConfigSynonyms). */
  readonly synonyms: readonly Synonym[];
}

const COMPRESSION_TYPES = ["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"];
/** Doc suffix of the configs the gateway accepts and reports without acting on them. */
export const NO_EFFECT = " Accepted and reported; it has no effect on this single-node gateway.";

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

/**
 * Confluent Server's broker-side schema validation configs (src/schema_registry/validation.ts): topic configs only
 * on a gateway with a schema registry (--schema-registry-listen or --schema-registry-url); Apache Kafka has none.
 */
export const SCHEMA_VALIDATION_TOPIC_CONFIGS: readonly TopicConfigDef[] = (["key", "value"] as const).flatMap(
  (side): TopicConfigDef[] => [
    {
      name: `confluent.${side}.schema.validation`,
      type: "boolean",
      default: "false",
      synonyms: [],
      doc: `Records whose ${side} is not in Confluent's wire format with a schema id registered under its ` +
        "subject are refused (INVALID_RECORD with per-record errors).",
    },
    {
      name: `confluent.${side}.subject.name.strategy`,
      type: "string",
      default: `${STRATEGY_PACKAGE}TopicNameStrategy`,
      check: (v) =>
        parseStrategy(String(v)) === null
          ? "Value must be TopicNameStrategy, RecordNameStrategy or TopicRecordNameStrategy " +
            `(optionally prefixed ${STRATEGY_PACKAGE})`
          : null,
      synonyms: [],
      doc: `The subject a ${side}'s schema id must be registered under when ${side} validation is on: ` +
        `TopicNameStrategy <topic>-${side}, RecordNameStrategy <record name>, TopicRecordNameStrategy ` +
        "<topic>-<record name>.",
    },
  ],
);

export const TOPIC_CONFIG_BY_NAME: ReadonlyMap<string, TopicConfigDef> = new Map(
  TOPIC_CONFIGS.map((d) => [d.name, d]),
);

/** A topic config's default as a number (--segment-bytes, --retention-ms, ... and the embedded log read them here). */
export function topicDefaultNumber(name: string): number {
  return defaultNumber(TOPIC_CONFIG_BY_NAME.get(name), name);
}
