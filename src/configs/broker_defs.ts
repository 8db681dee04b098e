// The broker configs this gateway exposes: its static startup settings (flags, KGW_ env, config file; read-only at
// runtime), the broker-wide defaults of topic configs (dynamic, as in Kafka), the rest of Kafka's dynamic broker
// configs (security_defs.ts, tuning_defs.ts: accepted and stored, without effect here), Kafka's per-listener names
// (listener.name.<listener>.<config>) and Kafka's broker synonyms.
import type { Config } from "./options.ts";
import { type ListenerAddress, listenerUrl } from "../listeners.ts";
import { NO_EFFECT, TOPIC_CONFIGS } from "./topic_defs.ts";
import { SECURITY_CONFIGS } from "./security_defs.ts";
import { TUNING_CONFIGS } from "./tuning_defs.ts";
import { atLeast, type ConfigDef, defaultNumber, LONG_MAX } from "./values.ts";

export interface BrokerConfigDef extends ConfigDef {
  /** May be changed at runtime with AlterConfigs / IncrementalAlterConfigs (Kafka's dynamic broker configs). */
  readonly dynamic: boolean;
  /** Kafka's update mode "per-broker": settable for one broker only, never as the cluster-wide default. */
  readonly perBroker?: boolean;
  /**
   * Kafka's per-listener form listener.name.<listener>.<name>: "also" besides the plain name, "only" instead of it
   * (Kafka refuses the plain name), "mechanism" also with a SASL mechanism: listener.name.<l>.<mechanism>.<name>.
   */
  readonly perListener?: "also" | "only" | "mechanism";
  /** A thread count Kafka lets change by at most half / double at once ("pool"; "cleaner": its own wording). */
  readonly threads?: "pool" | "cleaner";
  /** Accepted, stored and reported, but nothing here acts on it: why (the last sentence of its documentation). */
  readonly noEffect?: string;
  /** Gateway option that sets it statically (flag, KGW_ env, config file). */
  readonly option?: keyof Config;
  /** The value the option stands for (default: String(config[option])); null = the option does not set it. */
  readonly fromOption?: (c: Config) => string | null;
}

/** The documentation DescribeConfigs (v3+) gives: what it is, and why it has no effect here where it has none. */
export function brokerDoc(def: BrokerConfigDef): string {
  return def.doc + (def.noEffect ?? "");
}

const READ_ONLY = " Set at startup (flag, KGW_ env or config file); read-only at runtime.";
const LISTENERS_AT_START = " Accepted and stored; it has no effect: the gateway binds and advertises the " +
  "listeners of its flags (--listen, --advertised-listener), set at start.";
const FLUSH_AT_START =
  " Accepted and stored; it has no effect: when appends are fsynced is the gateway's --fsync " +
  "setting, set at start.";

function listeners(ls: readonly ListenerAddress[]): string {
  return ls.map(listenerUrl).join(",");
}

/**
 * The broker-wide default of the topic config it is an unscaled synonym of (dynamic, as in Kafka), with that
 * config's type, default and check: the broker accepts exactly the values a topic would. `default: null` where
 * Kafka's broker config has none (a coarser synonym, e.g. log.retention.hours, supplies it).
 */
function topicDefault(
  name: string,
  own: {
    readonly doc: string;
    readonly option?: keyof Config;
    readonly default?: null;
    readonly noEffect?: string;
  },
): BrokerConfigDef {
  const topic = TOPIC_CONFIGS.find((t) => t.synonyms.some((s) => s.name === name && !s.scale));
  if (!topic) throw new Error(`${name} is not a synonym of a topic config`);
  return { name, type: topic.type, default: topic.default, check: topic.check, dynamic: true, ...own };
}

/** Broker configs shown on the broker resource. */
export const BROKER_CONFIGS: readonly BrokerConfigDef[] = [
  // ---- the gateway's own startup settings (read-only) ----
  {
    name: "advertised.listeners",
    type: "string",
    default: null,
    dynamic: true,
    perBroker: true,
    option: "advertisedListener",
    fromOption: (c) => listeners(c.advertisedListener),
    noEffect: LISTENERS_AT_START,
    doc: "Addresses given to clients in Metadata, per listener (--advertised-listener).",
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
    name: "group.consumer.assignors",
    type: "list",
    default: "uniform,range",
    dynamic: false,
    option: "groupConsumerAssignors",
    doc: "Server assignors of KIP-848 consumer groups, the first the default (--group-consumer-assignors)." +
      READ_ONLY,
  },
  {
    name: "group.consumer.heartbeat.interval.ms",
    type: "int",
    default: "5000",
    dynamic: false,
    option: "groupConsumerHeartbeatIntervalMs",
    doc: "How often consumer group members heartbeat (--group-consumer-heartbeat-interval-ms)." + READ_ONLY,
  },
  {
    name: "group.consumer.max.heartbeat.interval.ms",
    type: "int",
    default: "15000",
    dynamic: false,
    option: "groupConsumerMaxHeartbeatIntervalMs",
    doc:
      "Largest allowed group.consumer.heartbeat.interval.ms (--group-consumer-max-heartbeat-interval-ms)." +
      READ_ONLY,
  },
  {
    name: "group.consumer.max.session.timeout.ms",
    type: "int",
    default: "60000",
    dynamic: false,
    option: "groupConsumerMaxSessionTimeoutMs",
    doc: "Largest allowed group.consumer.session.timeout.ms (--group-consumer-max-session-timeout-ms)." +
      READ_ONLY,
  },
  {
    name: "group.consumer.max.size",
    type: "int",
    default: "2147483647",
    dynamic: false,
    option: "groupConsumerMaxSize",
    doc: "Members per KIP-848 consumer group (--group-consumer-max-size)." + READ_ONLY,
  },
  {
    name: "group.consumer.migration.policy",
    type: "string",
    default: "bidirectional",
    dynamic: false,
    option: "groupConsumerMigrationPolicy",
    doc:
      "Classic to consumer group conversions allowed: bidirectional, upgrade, downgrade, disabled (--group-consumer-migration-policy)." +
      READ_ONLY,
  },
  {
    name: "group.consumer.min.heartbeat.interval.ms",
    type: "int",
    default: "5000",
    dynamic: false,
    option: "groupConsumerMinHeartbeatIntervalMs",
    doc:
      "Smallest allowed group.consumer.heartbeat.interval.ms (--group-consumer-min-heartbeat-interval-ms)." +
      READ_ONLY,
  },
  {
    name: "group.consumer.min.session.timeout.ms",
    type: "int",
    default: "45000",
    dynamic: false,
    option: "groupConsumerMinSessionTimeoutMs",
    doc: "Smallest allowed group.consumer.session.timeout.ms (--group-consumer-min-session-timeout-ms)." +
      READ_ONLY,
  },
  {
    name: "group.consumer.session.timeout.ms",
    type: "int",
    default: "45000",
    dynamic: false,
    option: "groupConsumerSessionTimeoutMs",
    doc: "Session timeout of KIP-848 consumer group members (--group-consumer-session-timeout-ms)." +
      READ_ONLY,
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
    name: "group.share.enable",
    type: "boolean",
    default: "false",
    dynamic: false,
    option: "groupShareEnable",
    doc:
      "Serve share groups (KIP-932 queues, as Kafka 4.1's switch): ShareGroupHeartbeat, ShareGroupDescribe, " +
      "ShareFetch, ShareAcknowledge, DescribeShareGroupOffsets, AlterShareGroupOffsets and " +
      "DeleteShareGroupOffsets are advertised and served. Preview (--group-share-enable)." + READ_ONLY,
  },
  {
    name: "group.share.delivery.count.limit",
    type: "int",
    default: "5",
    dynamic: false,
    option: "groupShareDeliveryCountLimit",
    doc: "Deliveries of a record before it is archived (--group-share-delivery-count-limit)." + READ_ONLY,
  },
  {
    name: "group.share.heartbeat.interval.ms",
    type: "int",
    default: "5000",
    dynamic: false,
    option: "groupShareHeartbeatIntervalMs",
    doc: "Heartbeat interval of share group members (--group-share-heartbeat-interval-ms)." + READ_ONLY,
  },
  {
    name: "group.share.max.size",
    type: "int",
    default: "200",
    dynamic: false,
    option: "groupShareMaxSize",
    doc: "Members per share group (--group-share-max-size)." + READ_ONLY,
  },
  {
    name: "group.share.partition.max.record.locks",
    type: "int",
    default: "2000",
    dynamic: false,
    option: "groupSharePartitionMaxRecordLocks",
    doc: "Records in flight per share-partition (--group-share-partition-max-record-locks)." + READ_ONLY,
  },
  {
    name: "group.share.record.lock.duration.ms",
    type: "int",
    default: "30000",
    dynamic: false,
    option: "groupShareRecordLockDurationMs",
    doc: "How long a share consumer holds the records it acquired (--group-share-record-lock-duration-ms)." +
      READ_ONLY,
  },
  {
    name: "group.share.session.timeout.ms",
    type: "int",
    default: "45000",
    dynamic: false,
    option: "groupShareSessionTimeoutMs",
    doc: "Session timeout of share group members (--group-share-session-timeout-ms)." + READ_ONLY,
  },
  {
    name: "listeners",
    type: "string",
    default: "PLAINTEXT://0.0.0.0:9092",
    dynamic: true,
    perBroker: true,
    option: "listen",
    fromOption: (c) => listeners(c.listen),
    noEffect: LISTENERS_AT_START,
    doc: "Addresses the Kafka listeners bind (--listen).",
  },
  {
    name: "log.cleaner.backoff.ms",
    type: "long",
    default: "15000",
    dynamic: true,
    check: atLeast(1),
    option: "logCleanerBackoffMs",
    doc:
      "How often the log cleaner looks for compacted partitions to clean (--log-cleaner-backoff-ms); a change " +
      "sets the period from the cleaner's next run.",
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
    dynamic: true,
    check: atLeast(1),
    option: "fsync",
    fromOption: (c) => (c.fsync === "always" ? "1" : null),
    noEffect: FLUSH_AT_START,
    doc:
      "Messages between fsyncs; 1 when every append is fsynced before it is acknowledged (--fsync always).",
  },
  {
    name: "log.flush.interval.ms",
    type: "long",
    default: "1000",
    dynamic: true,
    check: atLeast(0),
    option: "fsyncIntervalMs",
    fromOption: (c) => (c.fsync === "interval" ? String(c.fsyncIntervalMs) : null),
    noEffect: FLUSH_AT_START,
    doc: "Time between fsyncs: the background fsync period with --fsync interval (--fsync-interval-ms).",
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
    dynamic: true,
    check: atLeast(0),
    option: "maxConnections",
    doc:
      "Open client connections over all listeners (--max-connections); a change applies to new connections.",
  },
  {
    name: "max.connections.per.ip",
    type: "int",
    default: "2147483647",
    dynamic: true,
    check: atLeast(0),
    option: "maxConnectionsPerIp",
    doc: "Open client connections from one address (--max-connections-per-ip); a change applies to new " +
      "connections.",
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
    name: "transaction.max.timeout.ms",
    type: "int",
    default: "900000",
    dynamic: false,
    option: "transactionMaxTimeoutMs",
    doc: "Largest transaction.timeout.ms a producer may ask for (INVALID_TRANSACTION_TIMEOUT above)." +
      READ_ONLY,
  },
  {
    name: "transactional.id.expiration.ms",
    type: "int",
    default: "604800000",
    dynamic: false,
    option: "transactionalIdExpirationMs",
    doc: "A transactional id with no transaction for this long is forgotten." + READ_ONLY,
  },
  {
    name: "transaction.abort.timed.out.transaction.cleanup.interval.ms",
    type: "int",
    default: "10000",
    dynamic: false,
    option: "transactionAbortCheckIntervalMs",
    doc: "How often transactions that outlived their timeout are aborted." + READ_ONLY,
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
  topicDefault("compression.gzip.level", {
    doc: "Default compression.gzip.level of topics.",
    noEffect: NO_EFFECT,
  }),
  topicDefault("compression.lz4.level", {
    doc: "Default compression.lz4.level of topics.",
    noEffect: NO_EFFECT,
  }),
  topicDefault("compression.type", {
    option: "compressionType",
    doc: "Default compression.type of topics (--compression-type).",
  }),
  topicDefault("compression.zstd.level", { doc: "Default compression.zstd.level of topics." }),
  topicDefault("log.cleaner.delete.retention.ms", {
    option: "deleteRetentionMs",
    doc: "Default delete.retention.ms of topics (--delete-retention-ms).",
  }),
  topicDefault("log.cleaner.max.compaction.lag.ms", { doc: "Default max.compaction.lag.ms of topics." }),
  topicDefault("log.cleaner.min.cleanable.ratio", { doc: "Default min.cleanable.dirty.ratio of topics." }),
  topicDefault("log.cleaner.min.compaction.lag.ms", { doc: "Default min.compaction.lag.ms of topics." }),
  topicDefault("log.cleanup.policy", {
    option: "logCleanupPolicy",
    doc: "Default cleanup.policy of topics (--cleanup-policy).",
  }),
  topicDefault("log.index.interval.bytes", {
    doc: "Default index.interval.bytes of topics.",
    noEffect: NO_EFFECT,
  }),
  topicDefault("log.index.size.max.bytes", {
    doc: "Default segment.index.bytes of topics.",
    noEffect: NO_EFFECT,
  }),
  topicDefault("log.local.retention.bytes", {
    doc: "Default local.retention.bytes of topics.",
    noEffect: NO_EFFECT,
  }),
  topicDefault("log.local.retention.ms", {
    doc: "Default local.retention.ms of topics.",
    noEffect: NO_EFFECT,
  }),
  topicDefault("log.message.downconversion.enable", {
    doc: "Default message.downconversion.enable of topics.",
    noEffect: NO_EFFECT,
  }),
  topicDefault("log.message.format.version", {
    doc: "Default message.format.version of topics (deprecated).",
    noEffect: NO_EFFECT,
  }),
  topicDefault("log.message.timestamp.after.max.ms", {
    doc: "Default message.timestamp.after.max.ms of topics.",
    noEffect: NO_EFFECT,
  }),
  topicDefault("log.message.timestamp.before.max.ms", {
    doc: "Default message.timestamp.before.max.ms of topics.",
    noEffect: NO_EFFECT,
  }),
  topicDefault("log.message.timestamp.difference.max.ms", {
    doc: "Default message.timestamp.difference.max.ms of topics.",
    noEffect: NO_EFFECT,
  }),
  topicDefault("log.message.timestamp.type", {
    option: "logMessageTimestampType",
    doc: "Default message.timestamp.type of topics (--log-message-timestamp-type).",
  }),
  topicDefault("log.preallocate", { doc: "Default preallocate of topics.", noEffect: NO_EFFECT }),
  topicDefault("log.retention.bytes", {
    option: "retentionBytes",
    doc: "Default retention.bytes of topics (--retention-bytes).",
  }),
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
  topicDefault("log.retention.ms", {
    option: "retentionMs",
    default: null,
    doc: "Default retention.ms of topics (--retention-ms); -1 = forever.",
  }),
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
    doc: "Default segment.jitter.ms of topics in hours.",
    noEffect: NO_EFFECT,
  },
  // not topicDefault: Kafka checks segment.jitter.ms (>= 0) but not this one
  {
    name: "log.roll.jitter.ms",
    type: "long",
    default: null,
    dynamic: true,
    doc: "Default segment.jitter.ms of topics.",
    noEffect: NO_EFFECT,
  },
  topicDefault("log.roll.ms", {
    option: "segmentMs",
    default: null,
    doc: "Default segment.ms of topics (--segment-ms).",
  }),
  topicDefault("log.segment.bytes", {
    option: "segmentBytes",
    doc: "Default segment.bytes of topics (--segment-bytes).",
  }),
  topicDefault("log.segment.delete.delay.ms", {
    doc: "Default file.delete.delay.ms of topics.",
    noEffect: NO_EFFECT,
  }),
  topicDefault("message.max.bytes", {
    option: "messageMaxBytes",
    doc: "Default max.message.bytes of topics (--message-max-bytes).",
  }),
  topicDefault("min.insync.replicas", {
    option: "minInsyncReplicas",
    doc: "Default min.insync.replicas of topics (--min-insync-replicas).",
    noEffect: NO_EFFECT,
  }),
  topicDefault("unclean.leader.election.enable", {
    doc: "Default unclean.leader.election.enable of topics.",
    noEffect: NO_EFFECT,
  }),
  ...SECURITY_CONFIGS,
  ...TUNING_CONFIGS,
];

export const BROKER_CONFIG_BY_NAME: ReadonlyMap<string, BrokerConfigDef> = new Map(
  BROKER_CONFIGS.map((d) => [d.name, d]),
);

/** A broker config's default as a number: the defaults of the options that stand for broker configs read it here. */
export function brokerDefaultNumber(name: string): number {
  return defaultNumber(BROKER_CONFIG_BY_NAME.get(name), name);
}

/** A broker config name as given: its definition, and the listener of a listener.name.<listener>. name. */
export interface ResolvedBrokerConfig {
  readonly def: BrokerConfigDef;
  readonly listener: string | null;
}

const LISTENER_NAME = /^listener\.name\.([^.]+)\.(.+)$/;

/** The definition behind a broker config name, per-listener names included; undefined when unknown. */
export function resolveBrokerConfig(name: string): ResolvedBrokerConfig | undefined {
  const plain = BROKER_CONFIG_BY_NAME.get(name);
  if (plain) return { def: plain, listener: null };
  const m = LISTENER_NAME.exec(name);
  if (!m) return undefined;
  const [, listener, rest] = m;
  const direct = BROKER_CONFIG_BY_NAME.get(rest);
  if (direct?.perListener) return { def: direct, listener };
  // <mechanism>.<config>: SASL mechanism names have no dots
  const mechanismConfig = BROKER_CONFIG_BY_NAME.get(rest.slice(rest.indexOf(".") + 1));
  if (mechanismConfig?.perListener === "mechanism") return { def: mechanismConfig, listener };
  return undefined;
}

/** Whether AlterConfigs may set `name` (a per-listener name is dynamic whatever its base is). */
export function isDynamicBrokerConfig(r: ResolvedBrokerConfig): boolean {
  return r.listener !== null || r.def.dynamic;
}

/**
 * Kafka's broker synonyms of a broker config (DynamicBrokerConfig.brokerConfigSynonyms): the names whose values
 * stand in for each other, highest priority first. A per-listener name falls back to its base config.
 */
export function brokerSynonyms(name: string): readonly string[] {
  const r = resolveBrokerConfig(name);
  if (r?.listener) return [name, r.def.name];
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
