// Assembles the gateway: storage backend, API registry with every handler, and the Kafka listener.
import type { Config } from "./options.ts";
import { logger } from "./log.ts";
import type { Broker } from "./handlers/context.ts";
import { ApiRegistry } from "./handlers/registry.ts";
import { KafkaServer } from "./server/server.ts";
import { GatewayMetrics } from "./ops/metrics.ts";
import { OpsHttpServer } from "./ops/http.ts";
import type { Storage } from "./storage/storage.ts";
import { EmbeddedStorage } from "./storage/embedded/embedded.ts";
import { FAULT_KINDS } from "./storage/embedded/health.ts";
import { corruptFileError } from "./storage/embedded/files.ts";
import { openFileLimit, partitionLimit, partitionsHeld } from "./handlers/topic_rules.ts";
import { SeaweedMQStorage } from "./storage/seaweedmq/seaweedmq.ts";
import { decodeTimestamps } from "./records/timestamps.ts";
import { ApiVersionsSpec } from "./protocol/messages/api_versions.ts";
import { MetadataSpec } from "./protocol/messages/metadata.ts";
import { ProduceSpec } from "./protocol/messages/produce.ts";
import { FetchSpec } from "./protocol/messages/fetch.ts";
import { ListOffsetsSpec } from "./protocol/messages/list_offsets.ts";
import { CreateTopicsSpec } from "./protocol/messages/create_topics.ts";
import { DeleteTopicsSpec } from "./protocol/messages/delete_topics.ts";
import { DescribeClusterSpec } from "./protocol/messages/describe_cluster.ts";
import { apiVersionsHandler } from "./handlers/api_versions.ts";
import { metadataHandler } from "./handlers/metadata.ts";
import { produceHandler } from "./handlers/produce.ts";
import { fetchHandler } from "./handlers/fetch.ts";
import { listOffsetsHandler } from "./handlers/list_offsets.ts";
import { createTopicsHandler } from "./handlers/create_topics.ts";
import { deleteTopicsHandler } from "./handlers/delete_topics.ts";
import { describeClusterHandler } from "./handlers/describe_cluster.ts";
import { FindCoordinatorSpec } from "./protocol/messages/find_coordinator.ts";
import { JoinGroupSpec } from "./protocol/messages/join_group.ts";
import { SyncGroupSpec } from "./protocol/messages/sync_group.ts";
import { HeartbeatSpec } from "./protocol/messages/heartbeat.ts";
import { LeaveGroupSpec } from "./protocol/messages/leave_group.ts";
import { OffsetCommitSpec } from "./protocol/messages/offset_commit.ts";
import { OffsetFetchSpec } from "./protocol/messages/offset_fetch.ts";
import { OffsetDeleteSpec } from "./protocol/messages/offset_delete.ts";
import { DescribeGroupsSpec } from "./protocol/messages/describe_groups.ts";
import { ListGroupsSpec } from "./protocol/messages/list_groups.ts";
import { DeleteGroupsSpec } from "./protocol/messages/delete_groups.ts";
import {
  heartbeatHandler,
  joinGroupHandler,
  leaveGroupHandler,
  syncGroupHandler,
} from "./handlers/groups.ts";
import { offsetCommitHandler, offsetDeleteHandler, offsetFetchHandler } from "./handlers/offsets.ts";
import {
  deleteGroupsHandler,
  describeGroupsHandler,
  findCoordinatorHandler,
  listGroupsHandler,
} from "./handlers/group_admin.ts";
import { GroupCoordinator } from "./groups/coordinator.ts";
import { OffsetsTopic } from "./groups/offsets_topic/view.ts";
import { CreatePartitionsSpec } from "./protocol/messages/create_partitions.ts";
import { DescribeConfigsSpec } from "./protocol/messages/describe_configs.ts";
import { AlterConfigsSpec } from "./protocol/messages/alter_configs.ts";
import { IncrementalAlterConfigsSpec } from "./protocol/messages/incremental_alter_configs.ts";
import { DescribeLogDirsSpec } from "./protocol/messages/describe_log_dirs.ts";
import { DeleteRecordsSpec } from "./protocol/messages/delete_records.ts";
import { createPartitionsHandler } from "./handlers/create_partitions.ts";
import {
  alterConfigsHandler,
  describeConfigsHandler,
  incrementalAlterConfigsHandler,
} from "./handlers/configs.ts";
import { describeLogDirsHandler } from "./handlers/describe_log_dirs.ts";
import { deleteRecordsHandler } from "./handlers/delete_records.ts";
import { ConfigModel } from "./configs/model.ts";
import { InitProducerIdSpec } from "./protocol/messages/init_producer_id.ts";
import { OffsetForLeaderEpochSpec } from "./protocol/messages/offset_for_leader_epoch.ts";
import { initProducerIdHandler } from "./handlers/init_producer_id.ts";
import { offsetForLeaderEpochHandler } from "./handlers/offset_for_leader_epoch.ts";
import { ProducerManager } from "./producer/manager.ts";
import type { ClusterView } from "./cluster/view.ts";
import { SoloCluster } from "./cluster/solo.ts";
import { SeaweedCluster } from "./cluster/node.ts";
import { randomClusterId, sharedClusterId } from "./cluster/cluster_id.ts";
import { gatewayStages, runShutdown, type ShutdownReport } from "./shutdown.ts";

export function buildRegistry(): ApiRegistry {
  const r = new ApiRegistry();
  r.register(ApiVersionsSpec, apiVersionsHandler(r));
  r.register(MetadataSpec, metadataHandler);
  r.register(ProduceSpec, produceHandler);
  r.register(FetchSpec, fetchHandler);
  r.register(ListOffsetsSpec, listOffsetsHandler);
  r.register(CreateTopicsSpec, createTopicsHandler);
  r.register(DeleteTopicsSpec, deleteTopicsHandler);
  r.register(DescribeClusterSpec, describeClusterHandler);
  r.register(FindCoordinatorSpec, findCoordinatorHandler);
  r.register(JoinGroupSpec, joinGroupHandler);
  r.register(SyncGroupSpec, syncGroupHandler);
  r.register(HeartbeatSpec, heartbeatHandler);
  r.register(LeaveGroupSpec, leaveGroupHandler);
  r.register(OffsetCommitSpec, offsetCommitHandler);
  r.register(OffsetFetchSpec, offsetFetchHandler);
  r.register(OffsetDeleteSpec, offsetDeleteHandler);
  r.register(DescribeGroupsSpec, describeGroupsHandler);
  r.register(ListGroupsSpec, listGroupsHandler);
  r.register(DeleteGroupsSpec, deleteGroupsHandler);
  r.register(InitProducerIdSpec, initProducerIdHandler);
  r.register(OffsetForLeaderEpochSpec, offsetForLeaderEpochHandler);
  r.register(CreatePartitionsSpec, createPartitionsHandler);
  r.register(DescribeConfigsSpec, describeConfigsHandler);
  r.register(AlterConfigsSpec, alterConfigsHandler);
  r.register(IncrementalAlterConfigsSpec, incrementalAlterConfigsHandler);
  r.register(DescribeLogDirsSpec, describeLogDirsHandler);
  r.register(DeleteRecordsSpec, deleteRecordsHandler);
  return r;
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
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  const id = btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
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
  /** Request-path metrics (null with --metrics false). */
  metrics: GatewayMetrics | null = null;
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
  ) {}

  static async start(cfg: Config): Promise<Gateway> {
    const log = logger("gateway");
    let listener: Deno.TcpListener;
    try {
      listener = Deno.listen({ hostname: cfg.listen.host, port: cfg.listen.port, transport: "tcp" });
    } catch (e) {
      // Say which listener: Deno's "Address already in use (os error 98)" names neither the option nor the port.
      const at = `--listen ${cfg.listen.host}:${cfg.listen.port}`;
      if (e instanceof Deno.errors.AddrInUse) {
        throw new Error(`${at} is in use (another broker or gateway?): stop it or choose another --listen`);
      }
      throw new Error(`${at}: ${(e as Error).message}`);
    }
    const address = listener.addr as Deno.NetAddr;
    // With --listen HOST:0 the kernel picks the port; clients must be told the real one.
    const config: Config = cfg.advertisedListener.port === 0
      ? { ...cfg, advertisedListener: { host: cfg.advertisedListener.host, port: address.port } }
      : cfg;
    const registry = buildRegistry();
    const metrics = config.metrics
      ? new GatewayMetrics(
        config.metricsMaxSeries,
        registry.versions().map((v) => ({ key: v.apiKey, name: registry.get(v.apiKey)!.spec.name })),
      )
      : null;
    // The operations listener comes up first: /healthz answers and /readyz says "not ready" during recovery.
    let ops: OpsHttpServer | null = null;
    if (config.httpListen !== null) {
      ops = new OpsHttpServer(metrics, logger("http"));
      try {
        const a = ops.listen(config.httpListen);
        log.info("HTTP endpoints (metrics, health, admin API, dashboard) at http://{host}:{port}/", {
          host: a.hostname,
          port: a.port,
        });
      } catch (e) {
        const at = `${config.httpListen.host}:${config.httpListen.port}`;
        if (config.explicitOptions?.has("httpListen")) {
          listener.close();
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
    metrics?.start();
    let clusterId = "";
    try {
      // SeaweedMQ: one id for every gateway of the namespace, kept in the filer (read once the storage is open)
      if (config.backend !== "seaweedmq") clusterId = await clusterIdFor(config.dataDir);
    } catch (e) {
      listener.close();
      metrics?.stop();
      await ops?.close();
      throw e;
    }
    const storage = createStorage(config, metrics);
    if (storage.kind === "embedded") metrics?.storageErrorKinds(FAULT_KINDS);
    if (metrics !== null) storage.setRpcObserver?.(metrics);
    try {
      await storage.open();
    } catch (e) {
      listener.close();
      metrics?.stop();
      await ops?.close();
      throw e;
    }
    if (storage instanceof SeaweedMQStorage) {
      try {
        clusterId = await sharedClusterId(
          storage.coordinationFiler(10_000, 15_000),
          storage.metaPaths,
          await localClusterId(config.dataDir) ?? randomClusterId(),
        );
      } catch (e) {
        listener.close();
        metrics?.stop();
        await ops?.close();
        await storage.close();
        throw e;
      }
    }
    // Broker-level topic defaults (flags/env/file + stored dynamic broker configs) reach the log before traffic.
    const configs = new ConfigModel(config, storage, logger("configs"));
    configs.load();
    const lost = Promise.withResolvers<string>();
    const cluster: ClusterView = storage instanceof SeaweedMQStorage
      ? new SeaweedCluster({
        storage,
        nodeId: config.nodeId,
        advertised: config.advertisedListener,
        rack: config.rack,
        leaseTimeoutMs: config.leaseTimeoutMs,
        offsetsTopicPartitions: config.offsetsTopicPartitions,
        dataDir: config.dataDir,
        log: levelLog(logger("cluster")),
        onLost: (why) => lost.resolve(why),
      })
      : new SoloCluster({
        nodeId: config.nodeId,
        advertised: config.advertisedListener,
        offsetsTopicPartitions: config.offsetsTopicPartitions,
        topics: () => storage.listTopics(),
      });
    // The storage takes part first: a partition's log end is known before producer state and groups load.
    if (storage instanceof SeaweedMQStorage) cluster.addParticipant(storage.leadershipParticipant());
    const offsetsTopic = new OffsetsTopic({
      storage,
      cluster,
      partitions: config.offsetsTopicPartitions,
      log: logger("offsets-topic"),
    });
    const coordinator = new GroupCoordinator(
      storage.groupStore(),
      {
        initialRebalanceDelayMs: config.groupInitialRebalanceDelayMs,
        minSessionTimeoutMs: config.groupMinSessionTimeoutMs,
        maxSessionTimeoutMs: config.groupMaxSessionTimeoutMs,
        maxGroupSize: config.groupMaxSize,
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
    );
    if (metrics !== null) coordinator.onRebalance = (group, ms) => metrics.rebalance(group, ms);
    try {
      // __consumer_offsets exists before groups load (solo) or partitions are acquired (cluster): it shows them.
      await offsetsTopic.open();
      await coordinator.start();
    } catch (e) {
      listener.close();
      metrics?.stop();
      await ops?.close();
      await storage.close();
      throw e;
    }
    const producers = new ProducerManager(storage, { log: logger("producer"), cluster });
    producers.start();
    const abort = new AbortController();
    // Partition state follows leadership: storage first, then producer state, then groups (__consumer_offsets).
    cluster.addParticipant(producers);
    cluster.addParticipant(coordinator);
    try {
      await cluster.start();
    } catch (e) {
      listener.close();
      metrics?.stop();
      await ops?.close();
      await coordinator.close().catch(() => {});
      await producers.close().catch(() => {});
      await storage.close();
      throw e;
    }
    const broker: Broker = {
      cluster,
      config,
      storage,
      coordinator,
      producers,
      configs,
      clusterId,
      shutdown: abort.signal,
      log: logger("server"),
      metrics,
    };
    logPartitionLimit(broker, log);
    const server = new KafkaServer(broker, registry);
    server.start(listener);
    ops?.attach({ config, clusterId: broker.clusterId, storage, coordinator, server, cluster });
    log.info("listening on {host}:{port}, advertised as {adv}, data in {dir}", {
      host: address.hostname,
      port: address.port,
      adv: `${config.advertisedListener.host}:${config.advertisedListener.port}`,
      dir: config.dataDir,
    });
    const gateway = new Gateway(config, storage, coordinator, producers, server, address, abort);
    gateway.ops = ops;
    gateway.cluster = cluster;
    gateway.lost = lost.promise;
    gateway.metrics = metrics;
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
    return runShutdown(gatewayStages(this, timeoutMs), timeoutMs, logger("gateway"));
  }
}
