// The rest of Kafka's dynamic broker configs (DynamicBrokerConfig.AllDynamicConfigs of Kafka 3.9, and the tiered
// storage ones Kafka 4.0 made dynamic): thread pools, log cleaner tuning, connection limits, metric reporters,
// producer state, tiered storage and replication throttles. Types, defaults and checks are Kafka's; but for
// max.connections.per.ip.overrides none has an effect on this gateway, which has no such threads, replicas or tiers.
import type { BrokerConfigDef } from "./broker_defs.ts";
import { atLeast, hostCounts, LONG_MAX } from "./values.ts";

const INT_MAX = "2147483647";

/** Why these take no effect (the last sentence of their documentation). */
const NO_THREADS =
  " Accepted and stored; it has no effect: the gateway is one event loop without Kafka's thread pools.";
const NO_REPLICAS =
  " Accepted and stored; it has no effect: partitions have one replica (no replication to throttle).";
const NO_TIERING = " Accepted and stored; it has no effect: the gateway has no tiered storage.";
const NO_EFFECT_HERE = " Accepted and stored; it has no effect on this gateway.";

type Row = Omit<BrokerConfigDef, "dynamic">;
/** A cluster-wide dynamic config (Kafka's update mode cluster-wide: also settable per broker). */
const dyn = (row: Row): BrokerConfigDef => ({ dynamic: true, ...row });

export const TUNING_CONFIGS: readonly BrokerConfigDef[] = [
  // ---- thread pools (DynamicThreadPool, the network acceptors, the log cleaner) ----
  dyn({
    name: "background.threads",
    type: "int",
    default: "10",
    check: atLeast(1),
    threads: "pool",
    noEffect: NO_THREADS,
    doc: "Threads for background processing.",
  }),
  dyn({
    name: "log.cleaner.threads",
    type: "int",
    default: "1",
    check: atLeast(0),
    threads: "cleaner",
    noEffect: " Accepted and stored; it has no effect: the log cleaner is one background task.",
    doc: "Threads for log cleaning.",
  }),
  dyn({
    name: "num.io.threads",
    type: "int",
    default: "8",
    check: atLeast(1),
    threads: "pool",
    noEffect: NO_THREADS,
    doc: "Threads that process requests.",
  }),
  dyn({
    name: "num.network.threads",
    type: "int",
    default: "3",
    check: atLeast(1),
    threads: "pool",
    perListener: "also",
    noEffect: NO_THREADS,
    doc: "Threads that receive requests and send responses.",
  }),
  dyn({
    name: "num.recovery.threads.per.data.dir",
    type: "int",
    default: "1",
    check: atLeast(1),
    threads: "pool",
    noEffect: NO_THREADS,
    doc: "Threads per data directory for log recovery at startup and flushing at shutdown.",
  }),
  dyn({
    name: "num.replica.fetchers",
    type: "int",
    default: "1",
    threads: "pool",
    noEffect: NO_REPLICAS,
    doc: "Fetcher threads that replicate from each source broker.",
  }),
  dyn({
    name: "remote.log.manager.copier.thread.pool.size",
    type: "int",
    default: "10",
    check: atLeast(1),
    threads: "pool",
    noEffect: NO_TIERING,
    doc: "Threads copying segments to remote storage (dynamic since Kafka 4.0).",
  }),
  dyn({
    name: "remote.log.manager.expiration.thread.pool.size",
    type: "int",
    default: "10",
    check: atLeast(1),
    threads: "pool",
    noEffect: NO_TIERING,
    doc: "Threads expiring remote segments (dynamic since Kafka 4.0).",
  }),
  dyn({
    name: "remote.log.reader.threads",
    type: "int",
    default: "10",
    check: atLeast(1),
    threads: "pool",
    noEffect: NO_TIERING,
    doc: "Threads reading from remote storage (dynamic since Kafka 4.0).",
  }),
  // ---- log cleaner tuning (LogCleaner.ReconfigurableConfigs) ----
  dyn({
    name: "log.cleaner.dedupe.buffer.size",
    type: "long",
    default: "134217728",
    noEffect: NO_EFFECT_HERE,
    doc: "Memory for log deduplication over all cleaner threads.",
  }),
  dyn({
    name: "log.cleaner.io.buffer.load.factor",
    type: "double",
    default: "0.9",
    noEffect: NO_EFFECT_HERE,
    doc: "How full the dedupe buffer may become.",
  }),
  dyn({
    name: "log.cleaner.io.buffer.size",
    type: "int",
    default: "524288",
    check: atLeast(0),
    noEffect: NO_EFFECT_HERE,
    doc: "Memory for log cleaner I/O buffers over all cleaner threads.",
  }),
  dyn({
    name: "log.cleaner.io.max.bytes.per.second",
    type: "double",
    default: "1.7976931348623157E308",
    noEffect: " Accepted and stored; it has no effect: the log cleaner is not throttled.",
    doc: "Throttle on the log cleaner's read and write I/O.",
  }),
  // ---- connections (SocketServer.ReconfigurableConfigs) ----
  dyn({
    name: "max.connection.creation.rate",
    type: "int",
    default: INT_MAX,
    check: atLeast(0),
    perListener: "also",
    noEffect: " Accepted and stored; it has no effect: connection creation is not rate-limited.",
    doc: "New connections per second accepted by the broker (or a listener).",
  }),
  dyn({
    name: "max.connections.per.ip.overrides",
    type: "string",
    default: "",
    check: hostCounts,
    option: "maxConnectionsPerIpOverrides",
    doc:
      "Per-address exceptions to max.connections.per.ip (host:count,...; --max-connections-per-ip-overrides); a " +
      "change applies to new connections.",
  }),
  // ---- the rest ----
  dyn({
    name: "metric.reporters",
    type: "list",
    default: "",
    noEffect: " Accepted and stored; it has no effect: the gateway's metrics are its Prometheus endpoint.",
    doc: "MetricsReporter classes.",
  }),
  dyn({
    name: "producer.id.expiration.ms",
    type: "int",
    default: "86400000",
    check: atLeast(1),
    noEffect: " Accepted and stored; it has no effect: idle producer state expires after one day.",
    doc: "Time after which an idle producer id's state is forgotten.",
  }),
  dyn({
    name: "transaction.partition.verification.enable",
    type: "boolean",
    default: "true",
    noEffect: " Accepted and stored; it has no effect: the gateway has no transactions.",
    doc: "Check that a partition was added to a transaction before transactional writes.",
  }),
  dyn({
    name: "remote.fetch.max.wait.ms",
    type: "int",
    default: "500",
    check: atLeast(1),
    noEffect: NO_TIERING,
    doc: "Longest wait of a fetch from remote storage.",
  }),
  dyn({
    name: "remote.list.offsets.request.timeout.ms",
    type: "long",
    default: "30000",
    check: atLeast(1),
    noEffect: NO_TIERING,
    doc: "Longest wait of a ListOffsets answered from remote storage (dynamic since Kafka 4.0).",
  }),
  dyn({
    name: "remote.log.index.file.cache.total.size.bytes",
    type: "long",
    default: "1073741824",
    check: atLeast(1),
    noEffect: NO_TIERING,
    doc: "Size of the remote index file cache.",
  }),
  dyn({
    name: "remote.log.manager.copy.max.bytes.per.second",
    type: "long",
    default: LONG_MAX,
    check: atLeast(1),
    noEffect: NO_TIERING,
    doc: "Throttle on copying to remote storage.",
  }),
  dyn({
    name: "remote.log.manager.fetch.max.bytes.per.second",
    type: "long",
    default: LONG_MAX,
    check: atLeast(1),
    noEffect: NO_TIERING,
    doc: "Throttle on fetching from remote storage.",
  }),
  // the broker quotas of Kafka's DynamicConfig.Broker (QuotaConfigs.brokerQuotaConfigs)
  dyn({
    name: "follower.replication.throttled.rate",
    type: "long",
    default: LONG_MAX,
    check: atLeast(0),
    noEffect: NO_REPLICAS,
    doc: "Bytes/s for the replicas in follower.replication.throttled.replicas.",
  }),
  dyn({
    name: "leader.replication.throttled.rate",
    type: "long",
    default: LONG_MAX,
    check: atLeast(0),
    noEffect: NO_REPLICAS,
    doc: "Bytes/s for the replicas in leader.replication.throttled.replicas.",
  }),
  dyn({
    name: "replica.alter.log.dirs.io.max.bytes.per.second",
    type: "long",
    default: LONG_MAX,
    check: atLeast(0),
    noEffect: " Accepted and stored; it has no effect: replicas are never moved between log directories.",
    doc: "Bytes/s for moving replicas between log directories.",
  }),
];
