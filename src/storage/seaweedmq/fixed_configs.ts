// Topic and broker configs the SeaweedMQ backend cannot apply (Storage.fixedTopicConfigs / fixedBrokerConfigs): the
// config model reports them read-only with the value SeaweedMQ really behaves with and refuses other values, so a
// client is never told that a setting took effect when it did not. What does apply here: retention.ms and
// retention.bytes (the gateway deletes whole log files, see topic/reclaim.ts, and writes retention.ms to SeaweedMQ's
// TopicRetention), and everything the produce path enforces for both backends (max.message.bytes, the timestamp
// and compression settings).
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
  "cleanup.policy": { value: "delete", reason: NO_COMPACTION },
  "delete.retention.ms": { value: null, reason: NO_COMPACTION },
  "min.cleanable.dirty.ratio": { value: null, reason: NO_COMPACTION },
  "min.compaction.lag.ms": { value: null, reason: NO_COMPACTION },
  "max.compaction.lag.ms": { value: null, reason: NO_COMPACTION },
  "segment.bytes": { value: null, reason: BROKER_FILES },
  "segment.ms": { value: null, reason: BROKER_FILES },
  "segment.jitter.ms": { value: null, reason: BROKER_FILES },
  "preallocate": { value: "false", reason: "the SeaweedMQ broker appends chunks to SeaweedFS volumes" },
  "file.delete.delay.ms": { value: "0", reason: "the gateway deletes expired log files at once" },
  "segment.index.bytes": { value: null, reason: NO_INDEX },
  "index.interval.bytes": { value: null, reason: NO_INDEX },
  "flush.messages": { value: null, reason: BROKER_FLUSH },
  "flush.ms": { value: null, reason: BROKER_FLUSH },
  // -2 = "same as retention.ms / retention.bytes", which is exactly what one storage tier means
  "local.retention.ms": { value: "-2", reason: NO_TIERING },
  "local.retention.bytes": { value: "-2", reason: NO_TIERING },
  "remote.storage.enable": { value: "false", reason: NO_TIERING },
  "remote.log.copy.disable": { value: null, reason: NO_TIERING },
  "remote.log.delete.on.disable": { value: null, reason: NO_TIERING },
};

/** Broker configs without meaning on SeaweedMQ beyond the synonyms of the fixed topic configs above. */
export const SEAWEEDMQ_FIXED_BROKER_CONFIGS: Readonly<Record<string, FixedConfig>> = {
  "log.cleaner.enable": { value: "false", reason: NO_COMPACTION },
  "log.cleaner.backoff.ms": { value: null, reason: NO_COMPACTION },
};
