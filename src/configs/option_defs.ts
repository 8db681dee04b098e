// Every process option, once (OPTIONS): flag, kind, default, limits and --help text. The parsing and the checks
// across options are src/configs/options.ts; Config's type is derived from this table.
import { LOG_LEVELS } from "../log.ts";
import { brokerDefaultNumber } from "./broker_defs.ts";
import { topicDefaultNumber } from "./topic_defs.ts";
import type { HostPort, ListenerAddress } from "../listeners.ts";

/** What an option's value is: how it parses, its --help placeholder and its type in Config (KindValue). */
export type Kind = "hostport" | "hostport|off" | "hostlist" | "listeners" | "string" | "int" | "bool" | {
  readonly oneOf: readonly string[];
};

/** The value type of each kind; `{ oneOf }` options are the union of their choices. */
interface KindValue {
  readonly hostport: HostPort;
  /** null = off */
  readonly "hostport|off": HostPort | null;
  readonly hostlist: readonly string[];
  readonly listeners: readonly ListenerAddress[];
  readonly string: string;
  readonly int: number;
  readonly bool: boolean;
}
export type ValueOf<K extends Kind> = K extends keyof KindValue ? KindValue[K]
  : K extends { readonly oneOf: readonly (infer V)[] } ? V
  : never;

/** A row of OPTIONS. `def` is written as the flag would be ("" = none). */
export type OptionDef =
  & {
    /** The Config field. */
    readonly key: string;
    readonly flag: string;
    readonly help: string;
    /** Smallest value of an int. */
    readonly min?: number;
    /** Redacted wherever the effective configuration is shown (admin API). */
    readonly secret?: boolean;
  }
  & (
    | {
      readonly kind: "hostport" | "hostport|off" | "hostlist" | "listeners" | "string";
      readonly def: string;
    }
    | { readonly kind: "int"; readonly def: number }
    | { readonly kind: "bool"; readonly def: boolean }
    | { readonly kind: { readonly oneOf: readonly string[] }; readonly def: string }
  );

const MiB = 1024 * 1024;

/** Every option, once: flag name, env name (KGW_ + upper snake), config-file key (= the flag name). */
export const OPTIONS = [
  {
    key: "listen",
    flag: "listen",
    kind: "listeners",
    def: "0.0.0.0:9092",
    help:
      "Kafka listeners NAME://HOST:PORT[,...], NAME one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL; a bare HOST:PORT is PLAINTEXT (listeners)",
  },
  // "" = each listener's own address (localhost for a wildcard one), filled in by loadConfig
  {
    key: "advertisedListener",
    flag: "advertised-listener",
    kind: "listeners",
    def: "",
    help:
      "NAME://HOST:PORT[,...] given to clients in Metadata for the listener of that name (default: the listen address; localhost for 0.0.0.0) (advertised.listeners)",
  },
  { key: "dataDir", flag: "data-dir", kind: "string", def: "./data", help: "directory of the embedded log" },
  {
    key: "backend",
    flag: "backend",
    kind: { oneOf: ["embedded", "seaweedmq"] },
    def: "embedded",
    help: "storage backend: embedded (local log in --data-dir) or seaweedmq (a SeaweedFS cluster)",
  },
  // HTTP addresses; the gRPC port is the HTTP port + 10000
  {
    key: "seaweedmqMasters",
    flag: "seaweedmq-master",
    kind: "hostlist",
    def: "127.0.0.1:9333",
    help:
      "SeaweedFS master(s) HOST:PORT[,HOST:PORT] (HTTP port); brokers and filers are discovered through it",
  },
  {
    key: "seaweedmqBrokers",
    flag: "seaweedmq-brokers",
    kind: "hostlist",
    def: "",
    help: "SeaweedMQ broker gRPC addresses HOST:PORT[,...] instead of discovering them through the master",
  },
  {
    key: "seaweedmqFilers",
    flag: "seaweedmq-filer",
    kind: "hostlist",
    def: "",
    help: "SeaweedFS filer HOST:PORT[,...] (HTTP port) instead of discovering it through the master",
  },
  {
    key: "seaweedmqReplayWindowMs",
    flag: "seaweedmq-replay-window-ms",
    kind: "int",
    def: 15000,
    min: 0,
    help: "keep acknowledged records this long to re-publish those a crashed broker had not flushed yet",
  },
  {
    key: "seaweedmqNamespace",
    flag: "seaweedmq-namespace",
    kind: "string",
    def: "kafka",
    help: "SeaweedMQ namespace of the topics (kafka = SeaweedFS's gateway's; another isolates a gateway)",
  },
  {
    key: "seaweedmqRecordFormat",
    flag: "seaweedmq-record-format",
    kind: { oneOf: ["envelope", "plain"] },
    def: "envelope",
    help:
      "how records are stored in SeaweedMQ: envelope keeps headers, timestamps and producer fields; plain stores the Kafka key as the message key, as SeaweedFS's gateway does (reads take both)",
  },
  {
    key: "logLevel",
    flag: "log-level",
    kind: { oneOf: LOG_LEVELS },
    def: "info",
    help: "lowest level logged",
  },
  {
    key: "logFormat",
    flag: "log-format",
    kind: { oneOf: ["text", "json"] },
    def: "text",
    help: "log line format",
  },
  {
    key: "exitWithLauncher",
    flag: "exit-with-launcher",
    kind: "bool",
    def: true,
    help:
      "stop gracefully when npm (npx, npm exec, npm run) that launched the gateway is gone: npm passes no signal on. No other ancestor's exit stops it (nohup, &, setsid)",
  },
  {
    key: "shutdownTimeoutMs",
    flag: "shutdown-timeout-ms",
    kind: "int",
    def: 10_000,
    min: 100,
    help:
      "SIGINT/SIGTERM exit within this: in-flight requests, group and producer state, storage close; what does not finish in time is logged and left (exit code 1); the embedded log's fsync is always waited for",
  },
  {
    key: "nodeId",
    flag: "node-id",
    kind: "int",
    def: 1,
    min: 0,
    help: "broker id reported to clients; each gateway of one SeaweedMQ cluster needs its own",
  },
  {
    key: "rack",
    flag: "rack",
    kind: "string",
    def: "",
    help: 'rack reported for this gateway in Metadata and DescribeCluster (Kafka\'s broker.rack; "" = none)',
  },
  {
    key: "leaseTimeoutMs",
    flag: "lease-timeout-ms",
    kind: "int",
    def: 10_000,
    min: 1_000,
    help:
      "SeaweedMQ cluster: a gateway silent this long loses its partitions and groups to the others (failover time vs. false failovers on a slow filer)",
  },
  {
    key: "offsetsTopicPartitions",
    flag: "offsets-topic-num-partitions",
    kind: "int",
    def: 50,
    min: 1,
    help:
      "partitions of __consumer_offsets: a group's coordinator is the leader of its partition (Kafka's hash)",
  },
  {
    key: "maxFrameBytes",
    flag: "max-request-bytes",
    kind: "int",
    def: 100 * MiB,
    min: 1024,
    help: "largest request frame accepted (socket.request.max.bytes); larger closes the connection",
  },
  {
    key: "maxConnections",
    flag: "max-connections",
    kind: "int",
    def: 10000,
    min: 1,
    help: "open connections (max.connections)",
  },
  {
    key: "maxConnectionsPerIp",
    flag: "max-connections-per-ip",
    kind: "int",
    def: 2147483647,
    min: 1,
    help: "open connections from one client address (max.connections.per.ip)",
  },
  {
    key: "maxConnectionsPerIpOverrides",
    flag: "max-connections-per-ip-overrides",
    kind: "string",
    def: "",
    help: "per-address exceptions to --max-connections-per-ip, HOST:N,... (max.connections.per.ip.overrides)",
  },
  {
    key: "quotaWindowNum",
    flag: "quota-window-num",
    kind: "int",
    def: 11,
    min: 1,
    help: "samples a client quota's rate is measured over (quota.window.num)",
  },
  {
    key: "quotaWindowSizeSeconds",
    flag: "quota-window-size-seconds",
    kind: "int",
    def: 1,
    min: 1,
    help: "length of each client quota sample in seconds (quota.window.size.seconds)",
  },
  {
    key: "connectionsMaxIdleMs",
    flag: "connections-max-idle-ms",
    kind: "int",
    def: 600000,
    min: 100,
    help:
      "close connections that sent no request and read no response for this long (connections.max.idle.ms)",
  },
  {
    key: "queuedMaxRequestBytes",
    flag: "queued-max-request-bytes",
    kind: "int",
    def: 256 * MiB,
    min: 1024,
    help:
      "memory for requests received but not yet handled, all connections together; at the cap reading pauses (queued.max.request.bytes)",
  },
  {
    key: "maxQueuedResponseBytes",
    flag: "max-queued-response-bytes",
    kind: "int",
    def: 16 * MiB,
    min: 1024,
    help: "response bytes a connection may leave unread before the gateway stops reading its requests",
  },
  {
    key: "maxIncrementalFetchSessionCacheSlots",
    flag: "max-incremental-fetch-session-cache-slots",
    kind: "int",
    def: 1000,
    min: 0,
    help:
      "fetch sessions (KIP-227) kept for incremental fetches; 0: full fetches only (max.incremental.fetch.session.cache.slots)",
  },
  {
    key: "maxPartitions",
    flag: "max-partitions",
    kind: "int",
    def: 0,
    min: 0,
    help: "partitions over all topics (0 = derived from the open-file limit, or the backend's own limit)",
  },
  {
    key: "autoCreateTopics",
    flag: "auto-create-topics",
    kind: "bool",
    def: true,
    help: "create unknown topics on Metadata/Produce (auto.create.topics.enable)",
  },
  // Kafka answers a topic it auto-creates without partitions first (KRaft: UNKNOWN_TOPIC_OR_PARTITION; ZooKeeper mode:
  // LEADER_NOT_AVAILABLE); clients retry. Which clients need which: docs/operations.md "Topic auto-creation".
  {
    key: "autoCreateMetadataResponse",
    flag: "auto-create-metadata-response",
    kind: { oneOf: ["immediate", "pending"] },
    def: "immediate",
    help:
      "the Metadata request that auto-creates a topic gets its partitions (immediate) or, as from Kafka, an error without partitions until the next request (pending: LEADER_NOT_AVAILABLE)",
  },
  {
    key: "numPartitions",
    flag: "num-partitions",
    kind: "int",
    def: 1,
    min: 1,
    help: "partitions of auto-created topics and CreateTopics with -1 (num.partitions)",
  },
  {
    key: "messageMaxBytes",
    flag: "message-max-bytes",
    kind: "int",
    def: 1048588,
    min: 64,
    help: "largest record batch accepted (message.max.bytes)",
  },
  {
    key: "logMessageTimestampType",
    flag: "log-message-timestamp-type",
    kind: { oneOf: ["CreateTime", "LogAppendTime"] },
    def: "CreateTime",
    help: "default message.timestamp.type of topics",
  },
  {
    key: "fsync",
    flag: "fsync",
    kind: { oneOf: ["always", "interval"] },
    def: "interval",
    help:
      "fsync before every ack, or every --fsync-interval-ms (writes reach the OS before any ack either way)",
  },
  {
    key: "fsyncIntervalMs",
    flag: "fsync-interval-ms",
    kind: "int",
    def: 1000,
    min: 1,
    help: "background fsync period",
  },
  {
    key: "segmentBytes",
    flag: "segment-bytes",
    kind: "int",
    def: topicDefaultNumber("segment.bytes"),
    min: 1024,
    help: "segment roll size",
  },
  {
    key: "segmentMs",
    flag: "segment-ms",
    kind: "int",
    def: topicDefaultNumber("segment.ms"),
    min: 1,
    help: "segment roll age",
  },
  {
    key: "retentionMs",
    flag: "retention-ms",
    kind: "int",
    def: topicDefaultNumber("retention.ms"),
    min: -1,
    help: "default retention.ms (-1 = forever)",
  },
  {
    key: "retentionBytes",
    flag: "retention-bytes",
    kind: "int",
    def: topicDefaultNumber("retention.bytes"),
    min: -1,
    help: "default retention.bytes per partition (-1 = unlimited)",
  },
  {
    key: "retentionCheckIntervalMs",
    flag: "retention-check-interval-ms",
    kind: "int",
    def: brokerDefaultNumber("log.retention.check.interval.ms"),
    min: 1,
    help: "how often retention runs",
  },
  {
    key: "logCleanupPolicy",
    flag: "cleanup-policy",
    kind: { oneOf: ["delete", "compact", "compact,delete"] },
    def: "delete",
    help: "default cleanup.policy of topics (log.cleanup.policy)",
  },
  {
    key: "compressionType",
    flag: "compression-type",
    kind: { oneOf: ["producer", "uncompressed", "gzip", "snappy", "lz4", "zstd"] },
    def: "producer",
    help: "default compression.type of topics: producer keeps batches as sent, a codec recompresses",
  },
  {
    key: "deleteRetentionMs",
    flag: "delete-retention-ms",
    kind: "int",
    def: topicDefaultNumber("delete.retention.ms"),
    min: 0,
    help: "default delete.retention.ms of compacted topics (log.cleaner.delete.retention.ms)",
  },
  {
    key: "minInsyncReplicas",
    flag: "min-insync-replicas",
    kind: "int",
    def: 1,
    min: 1,
    help: "default min.insync.replicas of topics (accepted; one replica is always in sync)",
  },
  {
    key: "logCleanerBackoffMs",
    flag: "log-cleaner-backoff-ms",
    kind: "int",
    def: brokerDefaultNumber("log.cleaner.backoff.ms"),
    min: 1,
    help: "how often the log cleaner compacts topics with cleanup.policy=compact (log.cleaner.backoff.ms)",
  },
  {
    key: "deleteTopicEnable",
    flag: "delete-topic-enable",
    kind: "bool",
    def: true,
    help: "allow DeleteTopics (delete.topic.enable)",
  },
  {
    key: "groupInitialRebalanceDelayMs",
    flag: "group-initial-rebalance-delay-ms",
    kind: "int",
    def: 3000,
    min: 0,
    help: "wait for more members before a new group's first rebalance (group.initial.rebalance.delay.ms)",
  },
  {
    key: "groupMinSessionTimeoutMs",
    flag: "group-min-session-timeout-ms",
    kind: "int",
    def: 6000,
    min: 1,
    help: "smallest session timeout a member may ask for (group.min.session.timeout.ms)",
  },
  {
    key: "groupMaxSessionTimeoutMs",
    flag: "group-max-session-timeout-ms",
    kind: "int",
    def: 1800000,
    min: 1,
    help: "largest session timeout a member may ask for (group.max.session.timeout.ms)",
  },
  {
    key: "groupMaxSize",
    flag: "group-max-size",
    kind: "int",
    def: 2147483647,
    min: 1,
    help: "members per group (group.max.size)",
  },
  {
    key: "groupConsumerSessionTimeoutMs",
    flag: "group-consumer-session-timeout-ms",
    kind: "int",
    def: 45000,
    min: 1,
    help: "KIP-848 consumer groups: a member's session timeout (group.consumer.session.timeout.ms)",
  },
  {
    key: "groupConsumerMinSessionTimeoutMs",
    flag: "group-consumer-min-session-timeout-ms",
    kind: "int",
    def: 45000,
    min: 1,
    help: "smallest allowed group-consumer-session-timeout-ms (group.consumer.min.session.timeout.ms)",
  },
  {
    key: "groupConsumerMaxSessionTimeoutMs",
    flag: "group-consumer-max-session-timeout-ms",
    kind: "int",
    def: 60000,
    min: 1,
    help: "largest allowed group-consumer-session-timeout-ms (group.consumer.max.session.timeout.ms)",
  },
  {
    key: "groupConsumerHeartbeatIntervalMs",
    flag: "group-consumer-heartbeat-interval-ms",
    kind: "int",
    def: 5000,
    min: 1,
    help: "KIP-848 consumer groups: how often members heartbeat (group.consumer.heartbeat.interval.ms)",
  },
  {
    key: "groupConsumerMinHeartbeatIntervalMs",
    flag: "group-consumer-min-heartbeat-interval-ms",
    kind: "int",
    def: 5000,
    min: 1,
    help: "smallest allowed group-consumer-heartbeat-interval-ms (group.consumer.min.heartbeat.interval.ms)",
  },
  {
    key: "groupConsumerMaxHeartbeatIntervalMs",
    flag: "group-consumer-max-heartbeat-interval-ms",
    kind: "int",
    def: 15000,
    min: 1,
    help: "largest allowed group-consumer-heartbeat-interval-ms (group.consumer.max.heartbeat.interval.ms)",
  },
  {
    key: "groupConsumerMaxSize",
    flag: "group-consumer-max-size",
    kind: "int",
    def: 2147483647,
    min: 1,
    help: "members per KIP-848 consumer group (group.consumer.max.size)",
  },
  {
    key: "groupConsumerAssignors",
    flag: "group-consumer-assignors",
    kind: "string",
    def: "uniform,range",
    help:
      "server assignors a consumer group may use, the first the default: uniform, range (group.consumer.assignors)",
  },
  {
    key: "groupConsumerMigrationPolicy",
    flag: "group-consumer-migration-policy",
    kind: { oneOf: ["bidirectional", "upgrade", "downgrade", "disabled"] },
    def: "bidirectional",
    help: "classic <-> consumer group conversions allowed (group.consumer.migration.policy)",
  },
  {
    key: "groupShareEnable",
    flag: "group-share-enable",
    kind: "bool",
    def: false,
    help:
      "serve share groups (KIP-932 queues, preview: membership, ShareFetch, ShareAcknowledge and the share-group offset admin APIs) (group.share.enable)",
  },
  {
    key: "groupShareSessionTimeoutMs",
    flag: "group-share-session-timeout-ms",
    kind: "int",
    def: 45000,
    min: 1,
    help: "share groups: a member's session timeout (group.share.session.timeout.ms)",
  },
  {
    key: "groupShareHeartbeatIntervalMs",
    flag: "group-share-heartbeat-interval-ms",
    kind: "int",
    def: 5000,
    min: 1,
    help: "share groups: how often members heartbeat (group.share.heartbeat.interval.ms)",
  },
  {
    key: "groupShareRecordLockDurationMs",
    flag: "group-share-record-lock-duration-ms",
    kind: "int",
    def: 30000,
    min: 1,
    help:
      "share groups: how long a consumer holds the records it acquired (group.share.record.lock.duration.ms)",
  },
  {
    key: "groupShareDeliveryCountLimit",
    flag: "group-share-delivery-count-limit",
    kind: "int",
    def: 5,
    min: 1,
    help: "share groups: deliveries of a record before it is archived (group.share.delivery.count.limit)",
  },
  {
    key: "groupSharePartitionMaxRecordLocks",
    flag: "group-share-partition-max-record-locks",
    kind: "int",
    def: 2000,
    min: 1,
    help: "share groups: records in flight per share-partition (group.share.partition.max.record.locks)",
  },
  {
    key: "groupShareMaxSize",
    flag: "group-share-max-size",
    kind: "int",
    def: 200,
    min: 1,
    help: "members per share group (group.share.max.size)",
  },
  {
    key: "transactionMaxTimeoutMs",
    flag: "transaction-max-timeout-ms",
    kind: "int",
    def: 900000,
    min: 1,
    help: "largest transaction.timeout.ms a transactional producer may ask for (transaction.max.timeout.ms)",
  },
  {
    key: "transactionalIdExpirationMs",
    flag: "transactional-id-expiration-ms",
    kind: "int",
    def: 604800000,
    min: 1,
    help: "a transactional id idle this long is forgotten (transactional.id.expiration.ms)",
  },
  {
    key: "transactionAbortCheckIntervalMs",
    flag: "transaction-abort-timed-out-transaction-cleanup-interval-ms",
    kind: "int",
    def: 10000,
    min: 1,
    help: "how often transactions that outlived their timeout are looked for and aborted " +
      "(transaction.abort.timed.out.transaction.cleanup.interval.ms)",
  },
  {
    key: "offsetsRetentionMinutes",
    flag: "offsets-retention-minutes",
    kind: "int",
    def: 10080,
    min: 1,
    help: "committed offsets of a group that stays empty expire after this (offsets.retention.minutes)",
  },
  {
    key: "offsetsRetentionCheckIntervalMs",
    flag: "offsets-retention-check-interval-ms",
    kind: "int",
    def: 600000,
    min: 1,
    help: "how often expired offsets are removed",
  },
  {
    key: "offsetMetadataMaxBytes",
    flag: "offset-metadata-max-bytes",
    kind: "int",
    def: 4096,
    min: 0,
    help: "largest metadata string of a committed offset (offset.metadata.max.bytes)",
  },
  // ---- SASL (src/security/sasl/): used by SASL_PLAINTEXT and SASL_SSL listeners ----
  {
    key: "saslMechanisms",
    flag: "sasl-mechanisms",
    kind: "string",
    def: "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512",
    help:
      "SASL mechanisms enabled on SASL listeners: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER (sasl.enabled.mechanisms)",
  },
  {
    key: "saslUsers",
    flag: "sasl-users",
    kind: "string",
    def: "",
    help:
      "JSON file of user -> password seeding SCRAM-SHA-256 and -512 credentials at start (kept salted only; a credential altered through AlterUserScramCredentials since is not overwritten)",
  },
  {
    key: "saslSessionLifetimeMs",
    flag: "sasl-session-lifetime-ms",
    kind: "int",
    def: 0,
    min: 0,
    help:
      "SASL sessions last this long; the first request after that closes the connection unless the client re-authenticated (KIP-368 connections.max.reauth.ms; 0 = no limit)",
  },
  {
    key: "failedAuthenticationDelayMs",
    flag: "failed-authentication-delay-ms",
    kind: "int",
    def: 100,
    min: 0,
    help:
      "wait before answering a failed authentication and closing (connection.failed.authentication.delay.ms)",
  },
  {
    key: "saslOauthbearerJwks",
    flag: "sasl-oauthbearer-jwks",
    kind: "string",
    def: "",
    help:
      "JWKS file or http(s) URL whose keys verify OAUTHBEARER tokens (RS256/384/512, PS256/384/512, ES256/384) (sasl.oauthbearer.jwks.endpoint.url)",
  },
  {
    key: "saslOauthbearerExpectedIssuer",
    flag: "sasl-oauthbearer-expected-issuer",
    kind: "string",
    def: "",
    help: 'OAUTHBEARER tokens must carry this iss ("" = not checked) (sasl.oauthbearer.expected.issuer)',
  },
  {
    key: "saslOauthbearerExpectedAudience",
    flag: "sasl-oauthbearer-expected-audience",
    kind: "string",
    def: "",
    help:
      'OAUTHBEARER tokens\' aud must name one of these, comma-separated ("" = not checked) (sasl.oauthbearer.expected.audience)',
  },
  {
    key: "saslOauthbearerAllowUnsigned",
    flag: "sasl-oauthbearer-allow-unsigned",
    kind: "bool",
    def: false,
    help: "accept unsigned OAUTHBEARER tokens (alg none): for tests only, anyone can forge them",
  },
  // ---- TLS (src/security/tls/): SSL and SASL_SSL listeners, --http-tls ----
  {
    key: "tlsCert",
    flag: "tls-cert",
    kind: "string",
    def: "",
    help:
      "PEM certificate (chain) of SSL and SASL_SSL listeners; re-read when the file changes (ssl.keystore.location)",
  },
  {
    key: "tlsKey",
    flag: "tls-key",
    kind: "string",
    def: "",
    help: "PEM private key of --tls-cert; re-read when the file changes",
  },
  {
    key: "tlsCa",
    flag: "tls-ca",
    kind: "string",
    def: "",
    help: "PEM CA certificate(s) that verify client certificates (ssl.truststore.location)",
  },
  {
    key: "tlsClientAuth",
    flag: "tls-client-auth",
    kind: { oneOf: ["none", "requested", "required"] },
    def: "none",
    help:
      "ask TLS clients for a certificate verified by --tls-ca: none, requested or required (ssl.client.auth)",
  },
  {
    key: "sslPrincipalMappingRules",
    flag: "ssl-principal-mapping-rules",
    kind: "string",
    def: "DEFAULT",
    help:
      "map a client certificate's subject DN to the principal name: RULE:pattern/replacement/[LU],...,DEFAULT (ssl.principal.mapping.rules)",
  },
  {
    key: "httpTls",
    flag: "http-tls",
    kind: "bool",
    def: false,
    help: "serve the operations HTTP port over TLS with --tls-cert and --tls-key",
  },
  {
    key: "httpAuth",
    flag: "http-auth",
    kind: { oneOf: ["auto", "none", "api", "all"] },
    def: "auto",
    help:
      "who may use the operations HTTP port: api = /api/v1 and the dashboard need HTTP Basic (SCRAM users) or the bearer token, all = /metrics /healthz /readyz too; auto = api when a listener is not PLAINTEXT or --authorizer acl, else none",
  },
  {
    key: "httpAuthToken",
    flag: "http-auth-token",
    kind: "string",
    def: "",
    help:
      "bearer token accepted on the operations HTTP port as an operator (no ACL applies); prefer KGW_HTTP_AUTH_TOKEN or the config file to a flag others can read in ps",
  },
  // ---- Between gateways (src/cluster/peers.ts: transaction markers, KIP-890 verification) ----
  {
    key: "interGatewayListener",
    flag: "inter-gateway-listener",
    kind: "string",
    def: "",
    help:
      "listener name gateways of one cluster reach each other on (inter.broker.listener.name); empty: the first of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL this gateway has and can use",
  },
  {
    key: "interGatewaySaslMechanism",
    flag: "inter-gateway-sasl-mechanism",
    kind: { oneOf: ["", "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] },
    def: "",
    help:
      "SASL mechanism gateways use with each other on a SASL listener (sasl.mechanism.inter.broker.protocol); empty: no SASL between gateways",
  },
  {
    key: "interGatewaySaslUsername",
    flag: "inter-gateway-sasl-username",
    kind: "string",
    def: "",
    help: "SASL user gateways authenticate as with each other (give it CLUSTER_ACTION or --super-users)",
  },
  {
    key: "interGatewaySaslPassword",
    flag: "inter-gateway-sasl-password",
    kind: "string",
    def: "",
    help:
      "its password; prefer KGW_INTER_GATEWAY_SASL_PASSWORD or the config file to a flag others can read in ps",
  },
  // ---- Authorization (src/security/acl/) ----
  {
    key: "authorizer",
    flag: "authorizer",
    kind: { oneOf: ["none", "acl"] },
    def: "none",
    help:
      "none: every principal may do everything (the ACL APIs answer SECURITY_DISABLED); acl: Kafka ACLs, kept durably by the backend (authorizer.class.name)",
  },
  {
    key: "superUsers",
    flag: "super-users",
    kind: "string",
    def: "",
    help:
      "principals allowed everything whatever the ACLs say, separated by ; (as in Kafka's super.users) or commas, e.g. User:admin;User:CN=ops,O=acme",
  },
  {
    key: "allowEveryoneIfNoAclFound",
    flag: "allow-everyone-if-no-acl-found",
    kind: "bool",
    def: false,
    help:
      "with --authorizer acl, a resource no ACL applies to is open to everyone (allow.everyone.if.no.acl.found)",
  },
  // null in Config when off
  {
    key: "httpListen",
    flag: "http-listen",
    kind: "hostport|off",
    def: "0.0.0.0:9644",
    help: "operations HTTP listener: /metrics, /healthz, /readyz, /api/v1/*, /dashboard (off = none)",
  },
  {
    key: "schemaRegistryListen",
    flag: "schema-registry-listen",
    kind: "hostport|off",
    def: "off",
    help:
      "Confluent Schema Registry REST API listener (/subjects, /schemas, /compatibility, /config, /mode); schemas kept in the backend (off = none)",
  },
  {
    key: "schemaRegistryUrl",
    flag: "schema-registry-url",
    kind: "string",
    def: "",
    help:
      "an external Confluent-compatible schema registry (http(s)://[user:password@]host:port) that topics with confluent.*.schema.validation are checked against, instead of the built-in one",
  },
  {
    key: "metrics",
    flag: "metrics",
    kind: "bool",
    def: true,
    help: "collect Prometheus metrics (false: /metrics answers 404, request path skips all counting)",
  },
  // also caps the backend-method families of the SeaweedMQ metrics
  {
    key: "metricsMaxSeries",
    flag: "metrics-max-series",
    kind: "int",
    def: 1000,
    min: 1,
    help: "label values per metrics family (topics, groups, partitions); the rest fold into _other",
  },
] as const satisfies readonly OptionDef[];

/** The option values by Config field, each typed by its option's kind. */
export type OptionValues = { readonly [O in (typeof OPTIONS)[number] as O["key"]]: ValueOf<O["kind"]> };
