// The gateway's process options (not Kafka's topic and broker configs: those are src/configs/), typed and
// validated. Sources, lowest to highest precedence: defaults, a JSON config file (--config FILE, or ./gateway.json
// when present), KGW_* environment variables, command-line flags. OPTIONS is the one list; Config's type is
// derived from it.
import { LOG_LEVELS } from "../log.ts";
import { BROKER_CONFIGS, brokerDefaultNumber } from "./broker_defs.ts";
import { topicDefaultNumber } from "./topic_defs.ts";
import denoJson from "../../deno.json" with { type: "json" };
import { parsePrincipalRules } from "../security/tls/principal_rules.ts";

/** The gateway's version: deno.json's "version", the one place it is written (--version, kgw_build_info). */
export const VERSION: string = denoJson.version;

export {
  type HostPort,
  type ListenerAddress,
  type ListenerProtocol,
  listenersText,
  listenerUrl,
  SECURITY_PROTOCOLS,
} from "../listeners.ts";
import {
  type HostPort,
  type ListenerAddress,
  type ListenerProtocol,
  listenerUrl,
  SECURITY_PROTOCOLS,
} from "../listeners.ts";

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** What an option's value is: how it parses, its --help placeholder and its type in Config (KindValue). */
type Kind = "hostport" | "hostport|off" | "hostlist" | "listeners" | "string" | "int" | "bool" | {
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
type ValueOf<K extends Kind> = K extends keyof KindValue ? KindValue[K]
  : K extends { readonly oneOf: readonly (infer V)[] } ? V
  : never;

/** A row of OPTIONS. `def` is written as the flag would be ("" = none). */
type OptionDef =
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
type OptionValues = { readonly [O in (typeof OPTIONS)[number] as O["key"]]: ValueOf<O["kind"]> };

/** The effective configuration: OPTIONS's values, and which of them were set explicitly. */
export interface Config extends OptionValues {
  /** Options set by the config file, env or a flag (the rest hold their defaults): STATIC_BROKER_CONFIG. */
  readonly explicitOptions: ReadonlySet<keyof Config>;
}

function envName(flag: string): string {
  return "KGW_" + flag.toUpperCase().replaceAll("-", "_");
}

export function parseHostPort(s: string, what: string): HostPort {
  // Kafka's listener form (PLAINTEXT://host:port) would otherwise parse as host "PLAINTEXT://host".
  const url = /^([A-Za-z][\w-]*):\/\/(.*)$/.exec(s.trim());
  if (url) {
    throw new ConfigError(`${what}: expected HOST:PORT without a listener name, got "${s}"`);
  }
  const m = /^\[?([^\]]*?)\]?:(\d{1,5})$/.exec(s.trim());
  if (!m) throw new ConfigError(`${what}: expected HOST:PORT, got "${s}"`);
  const port = Number(m[2]);
  if (port > 65535) throw new ConfigError(`${what}: port ${port} is out of range 0-65535`);
  return { host: m[1] || "0.0.0.0", port };
}

/** --listen and --advertised-listener: a comma list of NAME://HOST:PORT or HOST:PORT (PLAINTEXT). */
export function parseListeners(s: string, what: string): ListenerAddress[] {
  const out: ListenerAddress[] = [];
  for (const item of s.split(",").map((x) => x.trim()).filter((x) => x !== "")) {
    const url = /^([A-Za-z][\w-]*):\/\/(.*)$/.exec(item);
    const name = url ? url[1].toUpperCase() : "PLAINTEXT";
    if (!(SECURITY_PROTOCOLS as readonly string[]).includes(name)) {
      throw new ConfigError(
        `${what}: unknown listener name ${url![1]} in "${item}": use one of ${SECURITY_PROTOCOLS.join(", ")}`,
      );
    }
    const hp = parseHostPort(url ? url[2] : item, what);
    if (out.some((l) => l.name === name)) throw new ConfigError(`${what}: listener ${name} is given twice`);
    out.push({ name, securityProtocol: name as ListenerProtocol, host: hp.host, port: hp.port });
  }
  return out;
}

function convert(def: OptionDef, raw: unknown, source: string): unknown {
  const what = source === "flag" ? `--${def.flag}` : `${source} ${def.flag}`;
  const k = def.kind;
  if (k === "hostport") {
    if (raw === "" || raw === undefined) return undefined;
    return parseHostPort(String(raw), what);
  }
  if (k === "listeners") {
    if (raw === "" || raw === undefined) return undefined;
    const ls = parseListeners(String(raw), what);
    if (ls.length === 0) throw new ConfigError(`${what}: expected NAME://HOST:PORT[,...]`);
    return ls;
  }
  if (k === "hostlist") {
    const items = String(raw ?? "").split(",").map((x) => x.trim()).filter((x) => x !== "");
    for (const x of items) {
      if (!/^\[?[^\]\s]*\]?:\d{1,5}(\.\d{1,5})?$/.test(x)) {
        throw new ConfigError(`${what}: expected HOST:PORT[,HOST:PORT...], got "${raw}"`);
      }
    }
    return items;
  }
  if (k === "hostport|off") {
    if (raw === null || raw === false || /^(off|none|false|disabled)$/i.test(String(raw).trim())) return null;
    return parseHostPort(String(raw), what);
  }
  if (k === "string") {
    // An option whose default is "" (none) may be set to "" again; the others need a value.
    if (typeof raw !== "string" || (raw === "" && def.def !== "")) {
      throw new ConfigError(`${what}: expected a non-empty string`);
    }
    return raw;
  }
  if (k === "int") {
    const n = typeof raw === "number" ? raw : Number(String(raw).trim());
    if (!Number.isInteger(n)) throw new ConfigError(`${what}: expected an integer, got "${raw}"`);
    if (def.min !== undefined && n < def.min) {
      throw new ConfigError(`${what}: must be >= ${def.min}, got ${n}`);
    }
    return n;
  }
  if (k === "bool") {
    if (typeof raw === "boolean") return raw;
    const s = String(raw).toLowerCase();
    if (["true", "1", "yes", "on"].includes(s)) return true;
    if (["false", "0", "no", "off"].includes(s)) return false;
    throw new ConfigError(`${what}: expected true or false, got "${raw}"`);
  }
  let s = String(raw);
  if (def.key === "logLevel" && s === "warn") s = "warning"; // the spelling most tools use
  if (!k.oneOf.includes(s)) {
    throw new ConfigError(`${what}: expected one of ${k.oneOf.join(", ")}, got "${s}"`);
  }
  return s;
}

export interface ParsedArgs {
  readonly help: boolean;
  readonly version: boolean;
  readonly configFile?: string;
  readonly values: Map<string, string>;
}

/** Levenshtein distance, for "did you mean" on a mistyped flag. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/** The known name closest to `name`, when close enough to be a typo. */
export function closest(name: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = editDistance(name, k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return bestD <= Math.max(2, Math.floor(name.length / 4)) && bestD < name.length ? best : undefined;
}

function unknownFlag(name: string, known: ReadonlySet<string>): ConfigError {
  const all = [...known, "config", "help", "version"];
  const hint = closest(name, all) ?? closest(name.replaceAll(".", "-").replaceAll("_", "-"), all);
  return new ConfigError(`unknown flag --${name}${hint ? ` (did you mean --${hint}?)` : ""} (see --help)`);
}

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const values = new Map<string, string>();
  let help = false;
  let version = false;
  let configFile: string | undefined;
  const known = new Set<string>(OPTIONS.map((o) => o.flag));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    // `deno task start -- --flag` passes the "--" through; it separates nothing here, so it is skipped.
    if (a === "--") continue;
    if (a === "--help" || a === "-h") {
      help = true;
      continue;
    }
    if (a === "--version" || a === "-V") {
      version = true;
      continue;
    }
    if (!a.startsWith("--")) throw new ConfigError(`unexpected argument "${a}" (see --help)`);
    let name = a.slice(2);
    let value: string | undefined;
    const eq = name.indexOf("=");
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    if (name === "config") {
      configFile = value ?? argv[++i];
      if (configFile === undefined) throw new ConfigError("--config needs a file path");
      continue;
    }
    if (!known.has(name)) {
      if (name.startsWith("no-") && known.has(name.slice(3))) {
        values.set(name.slice(3), "false");
        continue;
      }
      throw unknownFlag(name, known);
    }
    if (value === undefined) {
      const def = OPTIONS.find((o) => o.flag === name)!;
      const next = argv[i + 1];
      if (def.kind === "bool" && (next === undefined || next.startsWith("--"))) value = "true";
      else {
        value = next;
        i++;
      }
      if (value === undefined) throw new ConfigError(`--${name} needs a value`);
    }
    values.set(name, value);
  }
  return { help, version, configFile, values };
}

/**
 * Kafka's broker config names that stand for an option's value as is (num.partitions = --num-partitions), from
 * the broker config table (src/configs/broker_defs.ts), so that one mapping serves DescribeConfigs and this.
 * Configs whose value is derived (listeners: PLAINTEXT://…, log.flush.*) are left out.
 */
export const KAFKA_SYNONYMS: ReadonlyMap<string, string> = new Map(
  BROKER_CONFIGS.filter((d) => d.option !== undefined && d.fromOption === undefined).map((d) => [
    d.name,
    OPTIONS.find((o) => o.key === d.option)!.flag,
  ]),
);

/** Widest flag column of --help; a longer flag-and-values puts its description on the next line. */
const HELP_COLUMN = 46;

/** Words of `text` in lines of at most `width` characters. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const w of text.split(" ")) {
    if (line !== "" && line.length + 1 + w.length > width) {
      lines.push(line);
      line = w;
    } else line = line === "" ? w : `${line} ${w}`;
  }
  if (line !== "") lines.push(line);
  return lines;
}

export function helpText(): string {
  const lines = [
    `SeaweedMQ Kafka Gateway ${VERSION}: a Kafka-compatible broker.`,
    "",
    "Usage: kafka-gateway [--config FILE] [flags]",
    "",
    "Every flag can also be set as an environment variable KGW_<FLAG> (e.g. KGW_DATA_DIR) or as a key of",
    "the JSON config file (default ./gateway.json when present). Flags beat env, env beats the file.",
    ...wrap(
      "Kafka's broker config names are synonyms in the file and as KGW_ variables (num.partitions, " +
        `KGW_NUM_PARTITIONS): ${[...KAFKA_SYNONYMS.keys()].join(", ")}.`,
      100,
    ),
    "",
  ];
  const rows: [string, string][] = [];
  for (const o of OPTIONS) {
    const k = o.kind;
    const kind = k === "hostport|off"
      ? "HOST:PORT|off"
      : k === "hostlist"
      ? "HOST:PORT,..."
      : k === "listeners"
      ? "NAME://HOST:PORT,..."
      : k === "int"
      ? "N"
      : k === "bool"
      ? "true|false"
      : k === "string"
      ? "VALUE"
      : k.oneOf.join("|");
    rows.push([`  --${o.flag} ${kind}`, `${o.help} [default: ${String(o.def) || "-"}]`]);
  }
  rows.push(["  --config FILE", "JSON file with any of the keys above"]);
  rows.push(["  --version", "print the version"]);
  rows.push(["  --help", "this text"]);
  const width = Math.min(HELP_COLUMN, Math.max(...rows.map(([l]) => l.length))) + 2;
  for (const [left, text] of rows) {
    if (left.length + 2 <= width) lines.push(left.padEnd(width) + text);
    else lines.push(left, " ".repeat(width) + text);
  }
  return lines.join("\n");
}

export interface ConfigSources {
  readonly argv: readonly string[];
  readonly env: (name: string) => string | undefined;
  readonly readFile: (path: string) => string | undefined;
}

/** Builds the configuration; throws ConfigError with a message naming the offending option. */
export function loadConfig(src: ConfigSources): { config: Config; help: boolean; version: boolean } {
  const args = parseArgs(src.argv);
  const fileValues = new Map<string, unknown>();
  const path = args.configFile ?? src.env("KGW_CONFIG");
  const text = path !== undefined ? src.readFile(path) : src.readFile("./gateway.json");
  if (path !== undefined && text === undefined) throw new ConfigError(`config file ${path} cannot be read`);
  if (text !== undefined) {
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch (e) {
      throw new ConfigError(`config file ${path ?? "./gateway.json"}: ${(e as Error).message}`);
    }
    if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
      throw new ConfigError(`config file ${path ?? "./gateway.json"}: expected a JSON object`);
    }
    const file = path ?? "./gateway.json";
    for (const [k, v] of Object.entries(obj)) {
      const flag = OPTIONS.some((o) => o.flag === k) ? k : KAFKA_SYNONYMS.get(k);
      if (flag === undefined) {
        const hint = closest(k, [...OPTIONS.map((o) => o.flag), ...KAFKA_SYNONYMS.keys()]);
        throw new ConfigError(
          `config file ${file}: unknown key "${k}"${hint ? ` (did you mean "${hint}"?)` : ""}`,
        );
      }
      if (fileValues.has(flag)) {
        throw new ConfigError(`config file ${file}: "${k}" and "${flag}" are the same option`);
      }
      fileValues.set(flag, v);
    }
  }
  // KGW_LOG_DIRS for log.dirs; the gateway's own name (KGW_DATA_DIR) comes first.
  const kafkaEnv = new Map<string, string[]>();
  for (const [kafka, flag] of KAFKA_SYNONYMS) {
    kafkaEnv.set(flag, [...(kafkaEnv.get(flag) ?? []), "KGW_" + kafka.toUpperCase().replaceAll(".", "_")]);
  }
  const out: Record<string, unknown> = {};
  const explicit = new Set<keyof Config>();
  for (const o of OPTIONS) {
    let v: unknown = convert(o, o.def, "default");
    if (fileValues.has(o.flag)) v = convert(o, fileValues.get(o.flag), "config file key");
    const eName = [envName(o.flag), ...(kafkaEnv.get(o.flag) ?? [])].find((n) => (src.env(n) ?? "") !== "");
    const e = eName === undefined ? undefined : src.env(eName);
    if (e !== undefined && e !== "") v = convert(o, e, `env ${eName} /`);
    if (args.values.has(o.flag)) v = convert(o, args.values.get(o.flag), "flag");
    if (fileValues.has(o.flag) || (e !== undefined && e !== "") || args.values.has(o.flag)) {
      explicit.add(o.key);
    }
    out[o.key] = v;
  }
  out.explicitOptions = explicit;
  if ((out.queuedMaxRequestBytes as number) < (out.maxFrameBytes as number)) {
    throw new ConfigError(
      `queued-max-request-bytes (${out.queuedMaxRequestBytes}) must be at least max-request-bytes (${out.maxFrameBytes}): a request that large could never be received`,
    );
  }
  checkConsumerGroupOptions(out);
  out.advertisedListener = advertisedListeners(
    out.listen as readonly ListenerAddress[],
    out.advertisedListener as readonly ListenerAddress[] | undefined,
  );
  checkTls(out as unknown as Config);
  checkSchemaRegistry(out as unknown as Config);
  return { config: out as unknown as Config, help: args.help, version: args.version };
}

/** The server assignors the gateway has (src/groups/consumer/assignors/). */
export const CONSUMER_GROUP_ASSIGNORS: readonly string[] = ["uniform", "range"];

/** --group-consumer-assignors as a list: trimmed names in order, no empty entries. */
export function consumerAssignorNames(value: string): string[] {
  return value.split(",").map((s) => s.trim()).filter((s) => s !== "");
}

/** Kafka's GroupCoordinatorConfig checks of the group.consumer.* options: min <= value <= max, known assignors. */
function checkConsumerGroupOptions(out: Record<string, unknown>): void {
  const within = (value: string, min: string, max: string) => {
    const v = out[value] as number, lo = out[min] as number, hi = out[max] as number;
    const flag = (k: string) => OPTIONS.find((o) => o.key === k)?.flag ?? k;
    if (lo > hi) throw new ConfigError(`${flag(min)} (${lo}) must be at most ${flag(max)} (${hi})`);
    if (v < lo || v > hi) {
      throw new ConfigError(
        `${flag(value)} (${v}) must be between ${flag(min)} (${lo}) and ${flag(max)} (${hi})`,
      );
    }
  };
  within(
    "groupConsumerSessionTimeoutMs",
    "groupConsumerMinSessionTimeoutMs",
    "groupConsumerMaxSessionTimeoutMs",
  );
  within(
    "groupConsumerHeartbeatIntervalMs",
    "groupConsumerMinHeartbeatIntervalMs",
    "groupConsumerMaxHeartbeatIntervalMs",
  );
  if ((out.groupConsumerHeartbeatIntervalMs as number) >= (out.groupConsumerSessionTimeoutMs as number)) {
    throw new ConfigError(
      `group-consumer-heartbeat-interval-ms (${out.groupConsumerHeartbeatIntervalMs}) must be less than group-consumer-session-timeout-ms (${out.groupConsumerSessionTimeoutMs})`,
    );
  }
  const names = consumerAssignorNames(out.groupConsumerAssignors as string);
  if (names.length === 0) throw new ConfigError("group-consumer-assignors: at least one assignor is needed");
  const unknown = names.filter((n) => !CONSUMER_GROUP_ASSIGNORS.includes(n));
  if (unknown.length > 0) {
    throw new ConfigError(
      `group-consumer-assignors: unknown assignor ${unknown.join(", ")} (known: ${
        CONSUMER_GROUP_ASSIGNORS.join(", ")
      })`,
    );
  }
  if (new Set(names).size !== names.length) {
    throw new ConfigError("group-consumer-assignors: an assignor is named twice");
  }
}

/**
 * Each listener's advertised address: the --advertised-listener entry of its name, else its own address (localhost
 * for a wildcard one). With one listener, a bare HOST:PORT advertises it whatever its name.
 */
function advertisedListeners(
  listen: readonly ListenerAddress[],
  given: readonly ListenerAddress[] | undefined,
): ListenerAddress[] {
  const entries = [...(given ?? [])];
  if (listen.length === 1 && entries.length === 1 && entries[0].name === "PLAINTEXT") {
    entries[0] = { ...entries[0], name: listen[0].name, securityProtocol: listen[0].securityProtocol };
  }
  for (const a of entries) {
    if (!listen.some((l) => l.name === a.name)) {
      throw new ConfigError(
        `advertised-listener: ${a.name} is not one of the --listen listeners (${
          listen.map((l) => l.name).join(", ")
        })`,
      );
    }
  }
  const byName = new Map(entries.map((a) => [a.name, a]));
  return listen.map((l) => {
    const a = byName.get(l.name);
    if (a !== undefined) return { ...l, host: a.host, port: a.port };
    const wildcard = l.host === "0.0.0.0" || l.host === "::" || l.host === "";
    return { ...l, host: wildcard ? "localhost" : l.host };
  });
}

/** One registry: the built-in one or an external one, the latter named by an http(s) URL. */
function checkSchemaRegistry(c: Config): void {
  if (c.schemaRegistryUrl === "") return;
  if (c.schemaRegistryListen !== null) {
    throw new ConfigError(
      "--schema-registry-url and --schema-registry-listen: use the built-in registry or an external one",
    );
  }
  let u: URL | null = null;
  try {
    u = new URL(c.schemaRegistryUrl);
  } catch { /* refused below */ }
  if (u === null || (u.protocol !== "http:" && u.protocol !== "https:")) {
    throw new ConfigError(`--schema-registry-url: expected an http(s) URL, got "${c.schemaRegistryUrl}"`);
  }
}

/** TLS listeners and --http-tls need a certificate and key; client authentication needs the CA that verifies. */
function checkTls(c: Config): void {
  const tlsListeners = c.listen.filter((l) =>
    l.securityProtocol === "SSL" || l.securityProtocol === "SASL_SSL"
  );
  const why = tlsListeners.length > 0 ? `--listen ${tlsListeners.map(listenerUrl).join(",")}` : "--http-tls";
  if (tlsListeners.length > 0 || c.httpTls) {
    if (c.tlsCert === "" || c.tlsKey === "") {
      throw new ConfigError(`${why} needs --tls-cert FILE and --tls-key FILE`);
    }
  }
  try {
    parsePrincipalRules(c.sslPrincipalMappingRules);
  } catch (e) {
    throw new ConfigError(`--ssl-principal-mapping-rules: ${(e as Error).message}`);
  }
  if (
    c.interGatewaySaslMechanism !== "" &&
    (c.interGatewaySaslUsername === "" || c.interGatewaySaslPassword === "")
  ) {
    throw new ConfigError(
      `--inter-gateway-sasl-mechanism ${c.interGatewaySaslMechanism} needs --inter-gateway-sasl-username and ` +
        "--inter-gateway-sasl-password",
    );
  }
  if (c.tlsClientAuth !== "none" && c.tlsCa === "") {
    throw new ConfigError(
      `--tls-client-auth ${c.tlsClientAuth} needs --tls-ca FILE (the CA that signs client certificates)`,
    );
  }
}

/** Deno's permission check for one path (Deno.permissions.query in main.ts; a fake in tests). */
export type PathPermission = (name: "read" | "write", path: string) => Promise<Deno.PermissionState>;

/**
 * Says, in one line, what to do when the data directory is outside the paths this process was granted (the
 * `start` task grants ./data or $KGW_DATA_DIR): checked before anything is opened, instead of Deno's
 * "run again with --allow-write", which a user of `deno task start` cannot do. null when access is granted.
 */
export async function dataDirPermissionProblem(
  config: Config,
  query: PathPermission,
): Promise<string | null> {
  const dir = config.dataDir;
  const read = await query("read", dir);
  const write = await query("write", dir);
  if (read === "granted" && write === "granted") return null;
  return `data directory ${dir} (--data-dir) is outside what this process may ${
    write === "granted" ? "read" : "write"
  }: with \`deno task start\`, set KGW_DATA_DIR=${dir} instead (the task grants that directory); with \`deno run\`, add --allow-read=${dir} --allow-write=${dir}`;
}

/** The same for a config file (the `start` task grants ./gateway.json or $KGW_CONFIG). */
export function configPermissionProblem(path: string): string {
  return `config file ${path} is outside what this process may read: with \`deno task start\`, set KGW_CONFIG=${path} instead of --config (the task grants that file); with \`deno run\`, add --allow-read=${path}`;
}
