// Topic naming and topic-config rules shared by CreateTopics, auto-creation and (later) AlterConfigs.
import { ErrorCode, KafkaError } from "../protocol/errors.ts";

const LEGAL_NAME = /^[a-zA-Z0-9._-]+$/;
export const MAX_TOPIC_NAME_LENGTH = 249;

/** Throws INVALID_TOPIC_EXCEPTION with Kafka's reasons for an illegal topic name. */
export function validateTopicName(name: string): void {
  if (name === "") {
    throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, "Topic name is illegal, it can't be empty");
  }
  if (name === "." || name === "..") {
    throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic name cannot be "." or ".."`);
  }
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    throw new KafkaError(
      ErrorCode.INVALID_TOPIC_EXCEPTION,
      `Topic name is illegal, it can't be longer than ${MAX_TOPIC_NAME_LENGTH} characters`,
    );
  }
  if (!LEGAL_NAME.test(name)) {
    throw new KafkaError(
      ErrorCode.INVALID_TOPIC_EXCEPTION,
      `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`,
    );
  }
}

type ConfigType = "long" | "int" | "boolean" | "double" | "string" | "list" | { oneOf: readonly string[] };

/** Kafka 3.9's topic-level config keys and their value types (facts from Kafka's TopicConfig). */
export const TOPIC_CONFIG_TYPES: Readonly<Record<string, ConfigType>> = {
  "cleanup.policy": "list",
  "compression.type": { oneOf: ["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"] },
  "delete.retention.ms": "long",
  "file.delete.delay.ms": "long",
  "flush.messages": "long",
  "flush.ms": "long",
  "follower.replication.throttled.replicas": "list",
  "index.interval.bytes": "int",
  "leader.replication.throttled.replicas": "list",
  "local.retention.bytes": "long",
  "local.retention.ms": "long",
  "max.compaction.lag.ms": "long",
  "max.message.bytes": "int",
  "message.downconversion.enable": "boolean",
  "message.format.version": "string",
  "message.timestamp.after.max.ms": "long",
  "message.timestamp.before.max.ms": "long",
  "message.timestamp.difference.max.ms": "long",
  "message.timestamp.type": { oneOf: ["CreateTime", "LogAppendTime"] },
  "min.cleanable.dirty.ratio": "double",
  "min.compaction.lag.ms": "long",
  "min.insync.replicas": "int",
  "preallocate": "boolean",
  "remote.storage.enable": "boolean",
  "retention.bytes": "long",
  "retention.ms": "long",
  "segment.bytes": "int",
  "segment.index.bytes": "int",
  "segment.jitter.ms": "long",
  "segment.ms": "long",
  "unclean.leader.election.enable": "boolean",
};

const CLEANUP_POLICIES = new Set(["delete", "compact"]);

/** Validates one topic config; throws INVALID_CONFIG naming the key. */
export function validateTopicConfig(key: string, value: string | null): void {
  const t = TOPIC_CONFIG_TYPES[key];
  if (t === undefined) throw new KafkaError(ErrorCode.INVALID_CONFIG, `Unknown topic config name: ${key}`);
  if (value === null) {
    throw new KafkaError(ErrorCode.INVALID_CONFIG, `Null value not supported for topic config ${key}`);
  }
  const bad = (why: string) =>
    new KafkaError(ErrorCode.INVALID_CONFIG, `Invalid value ${value} for configuration ${key}: ${why}`);
  const v = value.trim();
  if (t === "long" || t === "int") {
    if (!/^-?\d+$/.test(v)) throw bad("Not a number of type " + (t === "int" ? "INT" : "LONG"));
    const n = Number(v);
    if (t === "int" && (n > 2147483647 || n < -2147483648)) throw bad("Not a number of type INT");
    if (key.endsWith(".bytes") && key !== "retention.bytes" && key !== "local.retention.bytes" && n < 0) {
      throw bad("must be non-negative");
    }
    if (key === "min.insync.replicas" && n < 1) throw bad("Value must be at least 1");
    if (key === "segment.bytes" && n < 14) throw bad("Value must be at least 14");
    if ((key === "retention.ms" || key === "retention.bytes") && n < -1) {
      throw bad("Value must be at least -1");
    }
  } else if (t === "boolean") {
    if (v !== "true" && v !== "false") throw bad("Expected value to be either true or false");
  } else if (t === "double") {
    if (v === "" || Number.isNaN(Number(v))) throw bad("Not a number of type DOUBLE");
  } else if (t === "list") {
    if (key === "cleanup.policy") {
      const parts = v.split(",").map((p) => p.trim());
      for (const p of parts) {
        if (!CLEANUP_POLICIES.has(p)) throw bad(`String must be one of: delete, compact`);
      }
    }
  } else if (typeof t === "object" && !t.oneOf.includes(v)) {
    throw bad(`String must be one of: ${t.oneOf.join(", ")}`);
  }
}
