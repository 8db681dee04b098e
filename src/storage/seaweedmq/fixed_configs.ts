// Topic and broker configs the SeaweedMQ backend cannot apply (Storage.fixedTopicConfigs / fixedBrokerConfigs): the
// config model reports them read-only with the value SeaweedMQ really behaves with and refuses other values, so a
// client is never told that a setting took effect when it did not. Those it stores without acting on them
// (inertTopicConfigs: compaction and segment settings, which Kafka Streams and Connect set) are documented as such.
// What does apply here: cleanup.policy (retention deletes only with "delete"; keys required with "compact"),
// retention.ms and retention.bytes (the gateway deletes whole log files, see topic/reclaim.ts, and writes
// retention.ms to SeaweedMQ's TopicRetention), and everything the produce path enforces for both backends
// (max.message.bytes, the timestamp and compression settings).
import type { FixedConfig } from "../storage.ts";

const NO_COMPACTION = "SeaweedMQ has no log compaction; records go only by retention and DeleteRecords";
const BROKER_FILES =
  "the SeaweedMQ broker decides its log files: one file per flush (its -logFlushInterval), " +
  "deleted whole by retention";
const NO_INDEX = "SeaweedMQ keeps no index files (each log file carries its offset range)";
const BROKER_FLUSH =
  "the SeaweedMQ broker flushes to SeaweedFS every -logFlushInterval seconds (its own setting)";
const NO_TIERING =
  "SeaweedMQ has no tiered storage: all data stays in SeaweedFS, under retention.ms/retention.bytes";

export const SEAWEEDMQ_FIXED_TOPIC_CONFIGS: Readonly<Record<string, FixedConfig>> = {
  "preallocate": { value: "false", reason: "the SeaweedMQ broker appends chunks to SeaweedFS volumes" },
  "file.delete.delay.ms": { value: "0", reason: "the gateway deletes expired log files at once" },
  "flush.messages": { value: null, reason: BROKER_FLUSH },
  "flush.ms": { value: null, reason: BROKER_FLUSH },
  // -2 = "same as retention.ms / retention.bytes", which is exactly what one storage tier means
  "local.retention.ms": { value: "-2", reason: NO_TIERING },
  "local.retention.bytes": { value: "-2", reason: NO_TIERING },
  "remote.storage.enable": { value: "false", reason: NO_TIERING },
  "remote.log.copy.disable": { value: null, reason: NO_TIERING },
  "remote.log.delete.on.disable": { value: null, reason: NO_TIERING },
};

/**
 * Topic configs SeaweedMQ stores without acting on them, and why. Kafka Streams, Kafka Connect and MirrorMaker 2 set
 * the compaction and segment settings when they create their topics: refusing them would keep those applications
 * off this backend, while the guarantees they rely on hold without compaction (see cleanup.policy's note).
 */
export const SEAWEEDMQ_INERT_TOPIC_CONFIGS: Readonly<Record<string, string>> = {
  "delete.retention.ms": `${NO_COMPACTION}, so tombstones stay as long as the topic's retention keeps them`,
  "min.cleanable.dirty.ratio": NO_COMPACTION,
  "min.compaction.lag.ms": NO_COMPACTION,
  "max.compaction.lag.ms": NO_COMPACTION,
  "segment.bytes": BROKER_FILES,
  "segment.ms": BROKER_FILES,
  "segment.jitter.ms": BROKER_FILES,
  "segment.index.bytes": NO_INDEX,
  "index.interval.bytes": NO_INDEX,
};

/** How SeaweedMQ applies topic configs differently from Kafka. */
export const SEAWEEDMQ_TOPIC_CONFIG_NOTES: Readonly<Record<string, string>> = {
  "cleanup.policy":
    "compact keeps every record: there is no compaction, so the latest value of each key (and " +
    "every tombstone) is always there and older values are never removed; without delete, retention.ms and " +
    "retention.bytes delete nothing, as in Kafka; with delete, retention applies",
};

/** Broker configs without meaning on SeaweedMQ beyond the synonyms of the fixed topic configs above. */
export const SEAWEEDMQ_FIXED_BROKER_CONFIGS: Readonly<Record<string, FixedConfig>> = {
  "log.cleaner.enable": { value: "false", reason: NO_COMPACTION },
  "log.cleaner.backoff.ms": { value: null, reason: NO_COMPACTION },
};
