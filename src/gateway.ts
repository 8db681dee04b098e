// Assembles the gateway: storage backend, API registry with every handler, and the Kafka listener.
import { FetchSessionCache } from "./fetch/sessions.ts";
import { type Config, consumerAssignorNames, listenersText } from "./configs/options.ts";
import { logger } from "./log.ts";
import { buildRegistry } from "./handlers/apis.ts";
import type { Broker } from "./request/context.ts";
import { KafkaServer } from "./server/server.ts";
import { GatewayMetrics } from "./metrics/metrics.ts";
import { OpsHttpServer } from "./ops/http.ts";
import { SchemaRegistryService } from "./schema_registry/service.ts";
import { ANYONE, type RegistryGuard } from "./schema_registry/http.ts";
import { aclCaller } from "./schema_registry/subject_acls.ts";
import type { AclMatcher } from "./security/acl/matcher.ts";
import { ExternalSchemaLookup } from "./schema_registry/external.ts";
import { SchemasTopic } from "./schema_registry/schemas_topic.ts";
import { externalTopicTypings, topicTypings } from "./schema_registry/topic_typing.ts";
import {
  HTTP_AUTH_FAILURE_LABEL,
  HttpAuth,
  type HttpAuthFailure,
  type HttpAuthMode,
} from "./ops/http_auth.ts";
import { AclOperation, CLUSTER_NAME, ResourceType } from "./security/acl/model.ts";
import type { Storage } from "./storage/storage.ts";
import { EmbeddedStorage } from "./storage/embedded/embedded.ts";
import { FAULT_KINDS } from "./storage/embedded/health.ts";
import { corruptFileError } from "./storage/embedded/files.ts";
import { openFileLimit, partitionLimit, partitionsHeld } from "./handlers/topic_rules.ts";
import { SeaweedMQStorage } from "./storage/seaweedmq/seaweedmq.ts";
import { decodeTimestamps } from "./records/timestamps.ts";
import { openQuotas, type Quotas } from "./quotas/service.ts";
import { GROUP_CONFIG_POLL_MS, GroupConfigs } from "./configs/group_configs.ts";
import { ConnectionLimits, parseOverrides } from "./quotas/connections.ts";
import { GroupCoordinator } from "./groups/coordinator.ts";
import { SharePartitions } from "./groups/share/share_partitions.ts";
import { ShareSessions } from "./groups/share/sessions.ts";
import type { ShareService } from "./groups/share/service.ts";
import { storageTopics } from "./groups/consumer/topics.ts";
import { ShareOffsets } from "./groups/share/share_offsets.ts";
import { OffsetsTopic } from "./groups/offsets_topic/view.ts";
import { TransactionStateTopic } from "./transactions/state_topic/view.ts";
import { ConfigModel } from "./configs/model.ts";
import { TransactionCoordinator } from "./transactions/coordinator.ts";
import { ProducerManager } from "./producer/manager.ts";
import { type ClusterView, CONSUMER_OFFSETS_TOPIC } from "./cluster/view.ts";
import { writeLocalMarker } from "./producer/markers.ts";
import { PeerClient } from "./cluster/peers.ts";
import { ClusterMarkerWriter } from "./transactions/marker_writer.ts";
import { ClusterTxnVerifier } from "./transactions/verifier.ts";
import { SoloCluster } from "./cluster/solo.ts";
import { SeaweedCluster } from "./cluster/node.ts";
import { randomClusterId, sharedClusterId } from "./cluster/cluster_id.ts";
import { runShutdown, type ShutdownReport, type ShutdownStage, StartStack } from "./shutdown.ts";
import type { Endpoint } from "./cluster/view.ts";
import { bindListeners, type BoundListener, isTlsProtocol } from "./server/bind.ts";
import { TlsMaterial } from "./security/tls/material.ts";
import {
  authenticatorForListener,
  type AuthenticatorsByProtocol,
  sslAuthenticator,
} from "./security/tls/authenticator.ts";
import { parsePrincipalRules } from "./security/tls/principal_rules.ts";
import { openCredentialStore, saslAuthenticatorFor } from "./security/sasl/setup.ts";
import type { CredentialStore } from "./security/credentials/store.ts";
import { type Authorization, openAuthorization } from "./security/acl/setup.ts";

/** Advertised address per listener name, as leases and the cluster view carry them. */
function advertisedByName(config: Config): Record<string, Endpoint> {
  return Object.fromEntries(config.advertisedListener.map((a) => [a.name, { host: a.host, port: a.port }]));
}

function createStorage(config: Config, metrics: GatewayMetrics | null): Storage {
  const log = logger("storage");
  if (config.backend === "seaweedmq") {
    return new SeaweedMQStorage({
      masters: config.seaweedmqMasters,
      brokers: config.seaweedmqBrokers,
      filers: config.seaweedmqFilers,
      replayWindowMs: config.seaweedmqReplayWindowMs,
      namespace: config.seaweedmqNamespace,
      recordFormat: config.seaweedmqRecordFormat,
      retentionMs: config.retentionMs,
      retentionBytes: config.retentionBytes,
      retentionCheckIntervalMs: config.retentionCheckIntervalMs,
      log: (level, msg) => {
        if (level === "error") log.error(msg);
        else if (level === "warn") log.warn(msg);
        else if (level === "info") log.info(msg);
        else log.debug(msg);
      },
    });
  }
  return new EmbeddedStorage({
    dataDir: config.dataDir,
    fsync: config.fsync,
    fsyncIntervalMs: config.fsyncIntervalMs,
    segmentBytes: config.segmentBytes,
    segmentMs: config.segmentMs,
    retentionMs: config.retentionMs,
    retentionBytes: config.retentionBytes,
    retentionCheckIntervalMs: config.retentionCheckIntervalMs,
    cleanerBackoffMs: config.logCleanerBackoffMs,
    decodeTimestamps,
    onStorageError: metrics === null ? undefined : (kind) => metrics.storageError(kind),
    log: (level, msg) => {
      if (level === "error") log.error(msg);
      else if (level === "warn") log.warn(msg);
      else if (level === "info") log.info(msg);
      else log.debug(msg);
    },
  });
}

/**
 * Reads or creates the cluster id, kept beside the data like Kafka's meta.properties. A file without one stops the
 * start (naming it) rather than being replaced: clients and other tools may know the id.
 */
async function clusterIdFor(dataDir: string): Promise<string> {
  const path = `${dataDir}/meta.properties`;
  try {
    const m = /^cluster\.id=(.+)$/m.exec(await Deno.readTextFile(path));
    if (m && m[1].trim() !== "") return m[1].trim();
    throw corruptFileError(
      path,
      "no cluster.id line",
      "this gateway's cluster id",
      "or delete it to get a new one",
    );
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  const id = randomClusterId();
  await Deno.mkdir(dataDir, { recursive: true });
  await Deno.writeTextFile(`${path}.tmp`, `cluster.id=${id}\nversion=1\n`);
  await Deno.rename(`${path}.tmp`, path);
  return id;
}

/** The id a data directory kept, if any (a SeaweedMQ cluster adopts it when it has none yet). */
async function localClusterId(dataDir: string): Promise<string | null> {
  try {
    const m = /^cluster\.id=(.+)$/m.exec(await Deno.readTextFile(`${dataDir}/meta.properties`));
    return m && m[1].trim() !== "" ? m[1].trim() : null;
  } catch {
    return null;
  }
}

/** A logger as the (level, message) function the storage and cluster modules take. */
function levelLog(
  l: ReturnType<typeof logger>,
): (level: "debug" | "info" | "warn" | "error", msg: string) => void {
  return (level, msg) => {
    if (level === "error") l.error(msg);
    else if (level === "warn") l.warn(msg);
    else if (level === "info") l.info(msg);
    else l.debug(msg);
  };
}

/**
 * An HTTP port's authentication (src/ops/http_auth.ts) with the gateway's users and token: the ops port's and the
 * schema registry's, which differ in which paths they protect, whether a user needs DESCRIBE on the Cluster, and
 * how their refusals are logged.
 */
function httpAuth(
  config: Config,
  credentials: CredentialStore,
  mode: Exclude<HttpAuthMode, "none">,
  mayDescribeCluster: ((principal: string, host: string) => boolean) | null,
  refused: (principal: string, remote: string, why: HttpAuthFailure) => void,
): HttpAuth {
  return new HttpAuth({
    mode,
    token: config.httpAuthToken === "" ? null : config.httpAuthToken,
    checkPassword: (user, password) => credentials.checkPassword(user, password),
    mayDescribeCluster,
    failedDelayMs: config.failedAuthenticationDelayMs,
    onFailure: (why, principal, remote) => refused(principal ?? "(none)", remote, why),
  });
}

/**
 * The schema registry asks who is calling whenever the ops port does (--http-auth), on every path; with
 * --authorizer acl a Basic user's subjects are authorized by the ACLs of their topics (subject_acls.ts), while the
 * bearer token is an operator's (no ACL applies).
 */
function registryGuard(
  config: Config,
  credentials: CredentialStore,
  metrics: GatewayMetrics | null,
  acls: { readonly matcher: AclMatcher } | null,
): RegistryGuard | null {
  if (httpAuthMode(config) === "none") return null;
  const log = logger("schema-registry");
  const auth = httpAuth(
    config,
    credentials,
    "all",
    null,
    (principal, remote, why) => {
      metrics?.httpAuthenticationFailed("schema-registry", HTTP_AUTH_FAILURE_LABEL[why]);
      log.warn("schema registry authentication of {principal} from {remote} refused: {why}", {
        principal,
        remote,
        why,
      });
    },
  );
  return async (req, remote) => {
    const who = await auth.identify(req, new URL(req.url).pathname, remote);
    if (who instanceof Response) return who;
    return acls === null || who.principal === null ? ANYONE : aclCaller(acls.matcher, who.principal, remote);
  };
}

/** --http-auth: auto protects the admin API and dashboard as soon as security is configured anywhere. */
function httpAuthMode(config: Config): HttpAuthMode {
  if (config.httpAuth !== "auto") return config.httpAuth;
  const secured = config.authorizer === "acl" ||
    config.listen.some((l) => l.securityProtocol !== "PLAINTEXT");
  return secured ? "api" : "none";
}

/** Says at start how many partitions the gateway accepts and why, and warns when that cannot hold. */
function logPartitionLimit(broker: Broker, log: ReturnType<typeof logger>): void {
  const { storage, config } = broker;
  const lim = partitionLimit(broker);
  const held = partitionsHeld(storage);
  if (lim.total === Infinity) {
    log.info("partitions: {held}, no limit over all topics ({reason}); at most {perTopic} per topic", {
      held,
      reason: lim.reason,
      perTopic: lim.perTopic,
    });
    return;
  }
  log.info("partitions: {held} of at most {total} over all topics ({reason})", {
    held,
    total: lim.total,
    reason: lim.reason,
  });
  if (held > lim.total) {
    log.warn(
      "the topics hold {held} partitions, more than the limit {total}: no partitions can be added; {remedy}",
      {
        held,
        total: lim.total,
        remedy: lim.remedy,
      },
    );
  }
  if (config.maxPartitions > 0 && storage.openFilesPerPartition) {
    const files = openFileLimit();
    const fit = partitionLimit({ storage, config: { ...config, maxPartitions: 0 } }, () => files);
    if (config.maxPartitions > fit.total) {
      log.warn(
        "--max-partitions {n} is above the {fit} partitions that {source} leaves room for: creating that many " +
          "can fail with 'Too many open files' (such a creation is rolled back)",
        { n: config.maxPartitions, fit: fit.total, source: files.source },
      );
    }
  }
}

export class Gateway {
  /** Operations HTTP listener (null with --http-listen off). */
  ops: OpsHttpServer | null = null;
  /** The cluster this gateway belongs to (left on stop). */
  cluster: ClusterView | null = null;
  /**
   * Resolves when this gateway can no longer serve and must stop: another process took its node id over (SeaweedMQ
   * cluster). main.ts stops the gateway then.
   */
  lost: Promise<string> = new Promise(() => {});

  private constructor(
    readonly config: Config,
    readonly storage: Storage,
    readonly coordinator: GroupCoordinator,
    readonly producers: ProducerManager,
    readonly server: KafkaServer,
    readonly address: Deno.NetAddr,
    private readonly abort: AbortController,
    /** Its parts in start order: the stop closes them newest first (src/shutdown.ts). */
    private readonly parts: StartStack,
  ) {}

  /**
   * Starts every part in order. A part is added to the start stack as soon as it is up, so whichever step fails,
   * the parts already up are closed, newest first, before the error is thrown: no listener, timer, lease or open
   * file outlives a failed start.
   */
  static async start(cfg: Config): Promise<Gateway> {
    const started = new StartStack();
    try {
      return await Gateway.startParts(cfg, started);
    } catch (e) {
      await started.unwind(logger("gateway"));
      throw e;
    }
  }

  private static async startParts(cfg: Config, started: StartStack): Promise<Gateway> {
    const log = logger("gateway");
    const perIpOverrides = parseOverrides(cfg.maxConnectionsPerIpOverrides); // a bad value stops the start here
    // TLS material (SSL/SASL_SSL listeners, --http-tls), re-read when its files change.
    const needsTls = cfg.httpTls || cfg.listen.some((l) => isTlsProtocol(l.securityProtocol));
    const tls = needsTls
      ? await TlsMaterial.load({ cert: cfg.tlsCert, key: cfg.tlsKey, ca: cfg.tlsCa }, logger("tls"))
      : null;
    if (tls !== null) started.add("TLS material", () => tls.stop(), { ifUnfinished: "" });
    let countMetrics: GatewayMetrics | null = null; // set once metrics exist (handshakes may fail before)
    const bound: BoundListener[] = await bindListeners(
      cfg.listen,
      tls === null ? null : {
        material: tls,
        clientAuth: cfg.tlsClientAuth,
        log: logger("tls"),
        onHandshakeFailure: (name) => countMetrics?.tlsHandshakeFailed(name),
      },
    );
    started.add("Kafka listeners", () => {
      for (const b of bound) {
        try {
          b.socket.close();
        } catch { /* closed already: the Kafka server's stop closes its listeners first */ }
      }
    }, { ifUnfinished: "" });
    const first = bound[0].socket.addr;
    const address: Deno.NetAddr = { transport: "tcp", hostname: first.hostname, port: first.port };
    // With --listen HOST:0 the kernel picks the port; clients must be told the real one.
    const config: Config = {
      ...cfg,
      advertisedListener: cfg.advertisedListener.map((a) => {
        const b = bound.find((x) => x.at.name === a.name);
        return a.port === 0 && b !== undefined ? { ...a, port: b.socket.addr.port } : a;
      }),
    };
    tls?.watch();
    const registry = buildRegistry({ shareGroups: config.groupShareEnable });
    const metrics = config.metrics
      ? new GatewayMetrics(
        config.metricsMaxSeries,
        registry.versions().map((v) => ({ key: v.apiKey, name: registry.get(v.apiKey)!.spec.name })),
      )
      : null;
    countMetrics = metrics;
    // The operations listener comes up first: /healthz answers and /readyz says "not ready" during recovery.
    let ops: OpsHttpServer | null = null;
    if (config.httpListen !== null) {
      ops = new OpsHttpServer(metrics, logger("http"));
      ops.protect(httpAuthMode(config));
      try {
        const a = ops.listen(config.httpListen, config.httpTls && tls !== null ? tls.pem : undefined);
        if (config.httpTls && tls !== null) {
          const o = ops;
          tls.onChange((pem) => void o.reloadTls(pem));
        }
        log.info("HTTP endpoints (metrics, health, admin API, dashboard) at {scheme}://{host}:{port}/", {
          scheme: config.httpTls ? "https" : "http",
          host: a.hostname,
          port: a.port,
        });
      } catch (e) {
        const at = `${config.httpListen.host}:${config.httpListen.port}`;
        if (config.explicitOptions?.has("httpListen")) {
          if (e instanceof Deno.errors.AddrInUse) throw new Error(`--http-listen ${at} is in use`);
          throw new Error(`--http-listen ${at}: ${(e as Error).message}`);
        }
        // The default port is taken (another gateway on this host): run without, and say so.
        log.warn("no HTTP endpoints: the default --http-listen {at} cannot be bound ({reason}); set one", {
          at,
          reason: (e as Error).message,
        });
        ops = null;
      }
    }
    if (ops !== null) {
      const o = ops;
      started.add("operations HTTP listener", () => o.close(), {
        ifUnfinished: "its open requests are cut off",
      });
    }
    if (metrics !== null) {
      metrics.start();
      started.add("metrics", () => metrics.stop(), { ifUnfinished: "" });
    }
    // SeaweedMQ: one id for every gateway of the namespace, kept in the filer (read once the storage is open)
    let clusterId = config.backend !== "seaweedmq" ? await clusterIdFor(config.dataDir) : "";
    const storage = createStorage(config, metrics);
    if (storage.kind === "embedded") metrics?.storageErrorKinds(FAULT_KINDS);
    if (metrics !== null) storage.setRpcObserver?.(metrics);
    await storage.open();
    // On the embedded backend the parts that write state (from here up) write local files that hold acknowledged
    // data (committed offsets, the log): their close is waited for past the deadline. On SeaweedMQ the broker
    // already holds everything acknowledged, and the filer writes left undone (producer state snapshots) are
    // rebuilt from the log at the next start.
    const local = storage.kind === "embedded";
    started.add(`${storage.kind} storage`, () => storage.close(), {
      ifUnfinished:
        "records SeaweedMQ had not acknowledged are not stored, their producers got no ack and retry",
      mustFinish: local,
    });
    if (storage instanceof SeaweedMQStorage) {
      clusterId = await sharedClusterId(
        storage.coordinationFiler(10_000, 15_000),
        storage.metaPaths,
        await localClusterId(config.dataDir) ?? randomClusterId(),
      );
    }
    // Broker-level topic defaults (flags/env/file + stored dynamic broker configs) reach the log before traffic.
    const configs = new ConfigModel(config, storage, logger("configs"));
    configs.load();
    // SCRAM credentials (SASL listeners, the SCRAM admin APIs), seeded from --sasl-users.
    const credentials: CredentialStore = await openCredentialStore(config, storage, logger("sasl"));
    started.add("SCRAM credentials", () => credentials.stop(), { ifUnfinished: "" });
    // --authorizer acl: the ACLs (durable in the backend's documents) and the authorizer enforcing them.
    const authorization: Authorization = await openAuthorization(config, storage, logger("acl"));
    started.add("ACLs", () => authorization.acls?.stop(), { ifUnfinished: "" });
    // Client quotas (durable in the backend's documents), enforced by every listener's quota step.
    const quotas: Quotas = await openQuotas(storage, logger("quotas"), {
      samples: config.quotaWindowNum,
      windowMs: config.quotaWindowSizeSeconds * 1000,
    });
    started.add("client quotas", () => quotas.stop(), { ifUnfinished: "" });
    // Group configs (durable in the backend's documents, followed from the other gateways on SeaweedMQ).
    const groupConfigs = new GroupConfigs(
      storage.documents(),
      config,
      logger("configs"),
      storage.kind === "seaweedmq" ? GROUP_CONFIG_POLL_MS : 0,
    );
    await groupConfigs.load();
    groupConfigs.start();
    started.add("group configs", () => groupConfigs.stop(), { ifUnfinished: "" });
    const lost = Promise.withResolvers<string>();
    const cluster: ClusterView = storage instanceof SeaweedMQStorage
      ? new SeaweedCluster({
        storage,
        nodeId: config.nodeId,
        advertised: config.advertisedListener[0],
        listeners: advertisedByName(config),
        rack: config.rack,
        leaseTimeoutMs: config.leaseTimeoutMs,
        offsetsTopicPartitions: config.offsetsTopicPartitions,
        dataDir: config.dataDir,
        log: levelLog(logger("cluster")),
        onLost: (why) => lost.resolve(why),
      })
      : new SoloCluster({
        nodeId: config.nodeId,
        advertised: config.advertisedListener[0],
        listeners: advertisedByName(config),
        offsetsTopicPartitions: config.offsetsTopicPartitions,
        topics: () => storage.listTopics(),
        epochs: {
          dataDir: config.dataDir,
          partitions: async () => {
            const out = [];
            for (const t of storage.listTopics()) {
              for (let p = 0; p < t.partitions; p++) {
                out.push({
                  topicId: t.id,
                  partition: p,
                  logEndOffset: (await storage.offsets(t.name, p)).highWatermark,
                });
              }
            }
            return out;
          },
          topicId: (topic) => storage.getTopic(topic)?.id,
        },
      });
    // The storage takes part first: a partition's log end is known before producer state and groups load.
    if (storage instanceof SeaweedMQStorage) cluster.addParticipant(storage.leadershipParticipant());
    const offsetsTopic = new OffsetsTopic({
      storage,
      cluster,
      partitions: config.offsetsTopicPartitions,
      log: logger("offsets-topic"),
    });
    // __transaction_state: a view of the transaction coordinator's documents, with the coordinator's partition count.
    const txnStateTopic = new TransactionStateTopic({
      storage,
      cluster,
      partitions: config.offsetsTopicPartitions,
      log: logger("transaction-state-topic"),
    });
    const coordinator = new GroupCoordinator(
      storage.groupStore(),
      {
        initialRebalanceDelayMs: config.groupInitialRebalanceDelayMs,
        minSessionTimeoutMs: config.groupMinSessionTimeoutMs,
        maxSessionTimeoutMs: config.groupMaxSessionTimeoutMs,
        maxGroupSize: config.groupMaxSize,
        consumerSessionTimeoutMs: config.groupConsumerSessionTimeoutMs,
        consumerHeartbeatIntervalMs: config.groupConsumerHeartbeatIntervalMs,
        consumerMaxSize: config.groupConsumerMaxSize,
        consumerAssignors: consumerAssignorNames(config.groupConsumerAssignors),
        migrationPolicy: config.groupConsumerMigrationPolicy,
        perGroup: groupConfigs,
        share: {
          sessionTimeoutMs: (groupId) => groupConfigs.shareSessionTimeoutMs(groupId),
          heartbeatIntervalMs: (groupId) => groupConfigs.shareHeartbeatIntervalMs(groupId),
          maxSize: config.groupShareMaxSize,
        },
        topics: storageTopics(storage),
        offsetsRetentionMs: config.offsetsRetentionMinutes * 60_000,
        offsetsRetentionCheckIntervalMs: config.offsetsRetentionCheckIntervalMs,
        offsetMetadataMaxBytes: config.offsetMetadataMaxBytes,
      },
      logger("coordinator"),
      (topic, partition) => {
        const t = storage.getTopic(topic);
        return t !== undefined && partition >= 0 && partition < t.partitions;
      },
      cluster,
      offsetsTopic,
      storage.documents(),
    );
    if (metrics !== null) coordinator.onRebalance = (group, ms) => metrics.rebalance(group, ms);
    // __consumer_offsets exists before groups load (solo) or partitions are acquired (cluster): it shows them.
    await offsetsTopic.open();
    await txnStateTopic.open();
    started.add("group coordinator", () => coordinator.close(), {
      ifUnfinished: "group writes in flight may be lost (their commits were not answered: the clients retry)",
      mustFinish: local,
    });
    await coordinator.start();
    const producers = new ProducerManager(storage, { log: logger("producer"), cluster });
    producers.start();
    started.add("producer state", () => producers.close(), {
      ifUnfinished: "producer state is rebuilt from the log at the next start",
      mustFinish: local,
    });
    const markerBroker = { storage, cluster, producers, configs };
    // Gateways of one cluster talk Kafka to each other for markers and KIP-890 verification (Kafka's
    // inter-broker requests), on a listener both have.
    const peers = new PeerClient({
      cluster,
      listeners: config.listen,
      listenerName: config.interGatewayListener === "" ? null : config.interGatewayListener,
      tls: tls === null ? undefined : () => ({ ca: tls.pem.ca, cert: tls.pem.cert, key: tls.pem.key }),
      sasl: config.interGatewaySaslMechanism === "" ? null : {
        mechanism: config.interGatewaySaslMechanism,
        username: config.interGatewaySaslUsername,
        password: config.interGatewaySaslPassword,
      },
      log: levelLog(logger("peers")),
    });
    started.add("connections to the other gateways", () => peers.close(), { ifUnfinished: "" });
    const transactions = new TransactionCoordinator({
      documents: storage.documents(),
      producerIds: producers,
      cluster,
      markers: new ClusterMarkerWriter({
        cluster,
        peers,
        writeLocal: (topic, partition, marker) => writeLocalMarker(markerBroker, topic, partition, marker),
        offsets: coordinator,
      }),
      log: logger("transactions"),
      offsetsPartitions: config.offsetsTopicPartitions,
      maxTimeoutMs: config.transactionMaxTimeoutMs,
      idExpirationMs: config.transactionalIdExpirationMs,
      abortCheckIntervalMs: config.transactionAbortCheckIntervalMs,
      mirror: txnStateTopic,
      partitionExists: (tp) =>
        tp.topic === CONSUMER_OFFSETS_TOPIC || (storage.getTopic(tp.topic)?.partitions ?? 0) > tp.partition,
    });
    const abort = new AbortController();
    // Partition state follows leadership: storage first, then producer state, then groups (__consumer_offsets),
    // then the transactions coordinated on those partitions (their markers need the producer state).
    cluster.addParticipant(producers);
    cluster.addParticipant(coordinator);
    cluster.addParticipant(transactions);
    // Its marker rounds stop before the producer state they append through closes.
    started.add("transaction coordinator", () => transactions.close(), {
      ifUnfinished: "markers not yet written are written by the transaction coordinator at the next start",
      mustFinish: local,
    });
    // The cluster is left (its partitions released) before the coordinators close.
    started.add("cluster membership", () => cluster.close(), {
      ifUnfinished: "the other gateways take its partitions over after --lease-timeout-ms",
    });
    await cluster.start();
    await transactions.start();
    // The registry's state is loaded before the broker serves: topics with schema validation look schemas up in it.
    const schemaRegistry = config.schemaRegistryListen === null ? null : await SchemaRegistryService.open({
      documents: storage.documents(),
      shared: storage.kind === "seaweedmq",
      log: logger("schema-registry"),
      view: storage.kind === "embedded"
        ? new SchemasTopic({ storage, cluster, log: logger("schema-registry") })
        : null,
    });
    if (schemaRegistry !== null) {
      started.add("schema registry", () => schemaRegistry.close(), {
        ifUnfinished: "its open requests are cut off",
      });
    }
    const externalSchemas = schemaRegistry === null && config.schemaRegistryUrl !== ""
      ? new ExternalSchemaLookup(config.schemaRegistryUrl)
      : null;
    // schematized topics: values of topics with a "<topic>-value" schema stored typed in SeaweedMQ
    if (storage instanceof SeaweedMQStorage) {
      if (schemaRegistry !== null) storage.setTopicTypings(topicTypings(schemaRegistry.registry));
      else if (externalSchemas !== null) {
        storage.setTopicTypings(externalTopicTypings(externalSchemas, logger("schema-registry")));
      }
    }
    // Share groups (KIP-932): the share-partitions this gateway leads and its members' share sessions.
    let shares: ShareService | null = null;
    if (config.groupShareEnable) {
      const partitions = new SharePartitions(
        storage,
        storage.documents(),
        (topic, partition) => cluster.servingEpoch(topic, partition),
        {
          lockDurationMs: (groupId) => groupConfigs.shareRecordLockDurationMs(groupId),
          autoOffsetReset: (groupId) => groupConfigs.shareAutoOffsetReset(groupId),
          isolationLevel: (groupId) => groupConfigs.shareIsolationLevel(groupId),
          transactions: async (topic, partition) => await producers.partition(topic, partition),
          deliveryCountLimit: (groupId) => groupConfigs.shareDeliveryCountLimit(groupId),
          maxRecordLocks: (groupId) => groupConfigs.sharePartitionMaxRecordLocks(groupId),
          renewEnabled: (groupId) => groupConfigs.shareRenewAcknowledgeEnable(groupId),
        },
        logger("share"),
      );
      started.add("share-partitions", () => partitions.close(), { ifUnfinished: "" });
      shares = {
        partitions,
        sessions: new ShareSessions(),
        offsets: new ShareOffsets(
          storage.documents(),
          storageTopics(storage),
          partitions,
          async (topic, partition) => (await storage.offsets(topic, partition)).highWatermark,
        ),
        lockDurationMs: (groupId) => groupConfigs.shareRecordLockDurationMs(groupId),
      };
    }
    const broker: Broker = {
      shares,
      cluster,
      config,
      storage,
      coordinator,
      producers,
      configs,
      groupConfigs,
      clusterId,
      shutdown: abort.signal,
      log: logger("server"),
      metrics,
      credentials,
      acls: authorization.acls,
      fetchSessions: new FetchSessionCache(config.maxIncrementalFetchSessionCacheSlots),
      quotas,
      transactions,
      schemas: schemaRegistry?.registry ?? externalSchemas,
      txnVerifier: new ClusterTxnVerifier({
        cluster,
        local: transactions,
        peers,
        log: levelLog(logger("transactions")),
      }),
    };
    logPartitionLimit(broker, log);
    // One pipeline per listener; its authenticator follows its security protocol (SSL: the client certificate,
    // SASL_*: SASL, PLAINTEXT: User:ANONYMOUS).
    const protocols = new Set(config.listen.map((l) => l.securityProtocol));
    const authenticators: AuthenticatorsByProtocol = {};
    if (protocols.has("SSL")) {
      authenticators.SSL = sslAuthenticator(
        parsePrincipalRules(config.sslPrincipalMappingRules),
        logger("tls"),
        () => metrics !== null && metrics.sslAuthenticationFailures++,
      );
    }
    if (protocols.has("SASL_PLAINTEXT") || protocols.has("SASL_SSL")) {
      const sasl = await saslAuthenticatorFor(config, credentials, logger("sasl"));
      authenticators.SASL_PLAINTEXT = sasl;
      authenticators.SASL_SSL = sasl;
    }
    const connectionLimits = new ConnectionLimits({
      maxConnections: config.maxConnections,
      maxConnectionsPerIp: config.maxConnectionsPerIp,
      overrides: perIpOverrides,
      quotas: () => quotas.store.table,
      rate: quotas.manager.rateWindow,
      log: logger("server"),
    });
    // dynamic broker configs that act outside the topic defaults: the flags' values until AlterConfigs changes them
    configs.watchBroker(() => {
      const n = (name: string) => Number(configs.brokerValue(name));
      connectionLimits.setLimits({
        maxConnections: n("max.connections"),
        maxConnectionsPerIp: n("max.connections.per.ip"),
        overrides: parseOverrides(configs.brokerValue("max.connections.per.ip.overrides") ?? ""),
      });
      storage.setCleanerBackoffMs?.(n("log.cleaner.backoff.ms"));
    });
    const server = new KafkaServer(broker, registry, { connectionLimits });
    for (const b of bound) {
      server.start(b.socket, {
        name: b.at.name,
        securityProtocol: b.at.securityProtocol,
        pipeline: {
          authenticator: authenticatorForListener(b.at.securityProtocol, authenticators),
          authorizer: authorization.authorizer,
          quotas: quotas.manager,
        },
      });
    }
    // Stops accepting, releases long polls, answers in-flight requests; leaves part of the budget (up to 3 s) to
    // the parts that write state.
    started.add("Kafka listener and in-flight requests", () => server.stop(), {
      ifUnfinished: "those requests get no answer, their clients retry",
      leaveMs: (timeoutMs) => Math.min(3_000, timeoutMs / 2),
      pending: () => {
        const n = server.connectionCount;
        return `${n} connection${n === 1 ? "" : "s"} still open`;
      },
    });
    const opsAuthMode = httpAuthMode(config);
    if (ops !== null && opsAuthMode !== "none") {
      const acls = authorization.acls;
      const httpLog = logger("http");
      ops.setAuth(httpAuth(
        config,
        credentials,
        opsAuthMode,
        acls === null ? null : (principal, host) =>
          acls.matcher.authorize(
            { principal, host },
            AclOperation.DESCRIBE,
            ResourceType.CLUSTER,
            CLUSTER_NAME,
          ),
        (principal, remote, why) => {
          metrics?.httpAuthenticationFailed("ops", HTTP_AUTH_FAILURE_LABEL[why]);
          httpLog.warn("HTTP authentication of {principal} from {remote} refused: {why}", {
            principal,
            remote,
            why,
          });
        },
      ));
    }
    ops?.attach({
      config,
      clusterId: broker.clusterId,
      storage,
      coordinator,
      server,
      cluster,
      quotas: { store: quotas.store, manager: quotas.manager, limits: connectionLimits },
      transactions,
      producers,
      shares,
    });
    const gateway = new Gateway(config, storage, coordinator, producers, server, address, abort, started);
    gateway.ops = ops;
    gateway.cluster = cluster;
    gateway.lost = lost.promise;
    if (schemaRegistry !== null && config.schemaRegistryListen !== null) {
      const a: Deno.NetAddr = schemaRegistry.listen(
        config.schemaRegistryListen,
        registryGuard(config, credentials, metrics, authorization.acls),
      );
      log.info("schema registry at http://{host}:{port}/", { host: a.hostname, port: a.port });
    }
    log.info("listening on {listen}, advertised as {adv}, data in {dir}, pid {pid}", {
      // "HOST:PORT (NAME)": tools read the first listener's port from this line
      listen: bound.map((b) => `${b.socket.addr.hostname}:${b.socket.addr.port} (${b.at.name})`).join(", "),
      adv: listenersText(config.advertisedListener),
      dir: config.dataDir,
      pid: Deno.pid,
    });
    return gateway;
  }

  /**
   * Graceful stop within `timeoutMs` (--shutdown-timeout-ms; src/shutdown.ts): no new connections, long polls
   * released, in-flight requests answered, the cluster left, group and producer state written, storage closed. A
   * stage that does not finish in time is abandoned and named in the log; on the embedded backend the local
   * flushes of acknowledged data are always waited for. On SeaweedMQ nothing acknowledged waits on the gateway:
   * the broker acknowledged it.
   */
  stop(timeoutMs: number = this.config.shutdownTimeoutMs): Promise<ShutdownReport> {
    this.ops?.markStopping();
    this.abort.abort();
    return runShutdown(this.stopPlan(timeoutMs), timeoutMs, logger("gateway"));
  }

  /** The stop's stages: the parts this gateway's start brought up, newest first. */
  stopPlan(timeoutMs: number = this.config.shutdownTimeoutMs): ShutdownStage[] {
    return this.parts.stages(timeoutMs);
  }
}
