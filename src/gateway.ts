// Assembles the gateway: storage backend, API registry with every handler, and the Kafka listener.
import type { Config } from "./config.ts";
import { logger } from "./log.ts";
import type { Broker } from "./handlers/context.ts";
import { ApiRegistry } from "./handlers/registry.ts";
import { KafkaServer } from "./server/server.ts";
import type { Storage } from "./storage/storage.ts";
import { EmbeddedStorage } from "./storage/embedded/embedded.ts";
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
import { GroupCoordinator } from "./coordinator/coordinator.ts";

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
  return r;
}

function createStorage(config: Config): Storage {
  const log = logger("storage");
  return new EmbeddedStorage({
    dataDir: config.dataDir,
    fsync: config.fsync,
    fsyncIntervalMs: config.fsyncIntervalMs,
    segmentBytes: config.segmentBytes,
    segmentMs: config.segmentMs,
    retentionMs: config.retentionMs,
    retentionBytes: config.retentionBytes,
    retentionCheckIntervalMs: config.retentionCheckIntervalMs,
    decodeTimestamps,
    log: (level, msg) => {
      if (level === "error") log.error(msg);
      else if (level === "warn") log.warn(msg);
      else if (level === "info") log.info(msg);
      else log.debug(msg);
    },
  });
}

/** Reads or creates the cluster id, kept beside the data like Kafka's meta.properties. */
async function clusterIdFor(dataDir: string): Promise<string> {
  const path = `${dataDir}/meta.properties`;
  try {
    const m = /^cluster\.id=(.+)$/m.exec(await Deno.readTextFile(path));
    if (m) return m[1].trim();
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

export class Gateway {
  private constructor(
    readonly config: Config,
    readonly storage: Storage,
    readonly coordinator: GroupCoordinator,
    readonly server: KafkaServer,
    readonly address: Deno.NetAddr,
    private readonly abort: AbortController,
  ) {}

  static async start(cfg: Config): Promise<Gateway> {
    const log = logger("gateway");
    const listener = Deno.listen({ hostname: cfg.listen.host, port: cfg.listen.port, transport: "tcp" });
    const address = listener.addr as Deno.NetAddr;
    // With --listen HOST:0 the kernel picks the port; clients must be told the real one.
    const config: Config = cfg.advertisedListener.port === 0
      ? { ...cfg, advertisedListener: { host: cfg.advertisedListener.host, port: address.port } }
      : cfg;
    const storage = createStorage(config);
    try {
      await storage.open();
    } catch (e) {
      listener.close();
      throw e;
    }
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
    );
    try {
      await coordinator.start();
    } catch (e) {
      listener.close();
      await storage.close();
      throw e;
    }
    const abort = new AbortController();
    const broker: Broker = {
      config,
      storage,
      coordinator,
      clusterId: await clusterIdFor(config.dataDir),
      shutdown: abort.signal,
      log: logger("server"),
    };
    const server = new KafkaServer(broker, buildRegistry());
    server.start(listener);
    log.info("listening on {host}:{port}, advertised as {adv}, data in {dir}", {
      host: address.hostname,
      port: address.port,
      adv: `${config.advertisedListener.host}:${config.advertisedListener.port}`,
      dir: config.dataDir,
    });
    return new Gateway(config, storage, coordinator, server, address, abort);
  }

  /** Graceful stop: no new connections, long polls released, in-flight requests answered, log flushed. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.server.stop();
    await this.coordinator.close();
    await this.storage.close();
  }
}
