// The seam between protocol handlers and a storage backend. The embedded segment log and the SeaweedMQ
// client both implement it; handlers never know which one they talk to.
import type { ValidatedBatches } from "../records/batch_info.ts";
import type { GroupStore } from "./group_store.ts";
import type { DocumentStore } from "./documents.ts";

/** Per-topic configuration as Kafka config strings (e.g. "retention.ms" -> "604800000"). */
export type TopicConfigs = Record<string, string>;

export interface TopicMeta {
  readonly name: string;
  /** Topic id as 32 lowercase hex characters (Kafka's UUID). */
  readonly id: string;
  readonly partitions: number;
  /**
   * The topic's config overrides only (keys set with CreateTopics / AlterConfigs, canonical values validated by
   * src/configs); defaults are not included. Immutable: a change yields a new TopicMeta with a new `configs`
   * object (the produce path caches per-topic policy by this object's identity).
   */
  readonly configs: TopicConfigs;
}

/** The log directory, for DescribeLogDirs. */
export interface LogDirInfo {
  /** Absolute path (or, for a remote backend, a stable name such as "seaweedmq://filer:8888/topics"). */
  readonly path: string;
  /** Size of the volume in bytes, -1 when unknown. */
  readonly totalBytes: number;
  /** Free bytes usable by the log, -1 when unknown. */
  readonly usableBytes: number;
}

export interface PartitionOffsets {
  /** First offset still readable. */
  readonly logStartOffset: number;
  /** Next offset to be written; everything below it is readable (single node: HW = LEO). */
  readonly highWatermark: number;
}

/** What Produce hands to `Storage.append`: validated batches (src/records/batch_info.ts); see `append`. */
export type AppendRequest = ValidatedBatches;

export interface AppendResult {
  readonly baseOffset: number;
  /** Broker time stamped on the batch when the topic uses LogAppendTime, else -1. */
  readonly logAppendTime: number;
  readonly logStartOffset: number;
}

export interface ReadResult {
  /** Whole stored batches starting with the one that contains the requested offset. */
  readonly batches: Uint8Array[];
  readonly bytes: number;
  readonly highWatermark: number;
  readonly logStartOffset: number;
}

export interface TimestampOffset {
  readonly offset: number;
  readonly timestamp: number;
}

/**
 * Durable state of idempotent producers (src/producer/): producer-id allocation and per-partition snapshots of
 * producer state. The snapshot bytes are opaque to the backend (they carry their own topic id, partition, offset
 * and CRC); losing one only costs a longer replay of the log at the next start.
 */
export interface ProducerStateStore {
  /**
   * Reserves `count` consecutive producer ids that were never handed out before, also across restarts (and by any
   * other gateway sharing the backend), and returns the first. Must be durable before it resolves. Ids are >= 0
   * and below 2^53.
   */
  allocateProducerIds(count: number): Promise<number>;
  /** The latest snapshot saved for the partition, or null when none (or the topic does not exist). */
  loadProducerSnapshot(topic: string, partition: number): Promise<Uint8Array | null>;
  /** Replaces the partition's snapshot; silently does nothing when the topic no longer exists. */
  saveProducerSnapshot(topic: string, partition: number, data: Uint8Array): Promise<void>;
}

/**
 * Operations hook (src/metrics/metrics.ts implements it): a backend that makes remote calls (SeaweedMQ) reports each
 * finished call, so /metrics shows kgw_backend_rpc_duration_seconds{method} and kgw_backend_rpc_errors_total
 * {method,code}. Called on hot paths: cheap, never throws. `observeRpc` in src/metrics/metrics.ts times a promise.
 */
export interface BackendRpcObserver {
  /** `method`: a short stable name ("Publish", "LookupTopicBrokers"); `error`: null, or a code ("UNAVAILABLE"). */
  rpc(method: string, seconds: number, error: string | null): void;
}

/** Readiness of a backend as /readyz reports it. */
export interface BackendStatus {
  /** Recovered and open, and (remote backends) reachable right now. */
  readonly ready: boolean;
  /** Human-readable state ("open", "closed", "filer 127.0.0.1:8888 unreachable: ..."). */
  readonly detail: string;
}

export class StorageError extends Error {
  override name = "StorageError";
  /** Kafka error code to answer with (e.g. UNKNOWN_TOPIC_OR_PARTITION, OFFSET_OUT_OF_RANGE). */
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

/**
 * A config the backend cannot apply: it always behaves one way, whatever a client asks for. DescribeConfigs reports
 * it read-only with this value (source DEFAULT_CONFIG), and setting it to anything else fails with INVALID_CONFIG.
 */
export interface FixedConfig {
  /** Canonical value the backend really behaves with, or null when nothing in the backend corresponds to it. */
  readonly value: string | null;
  /** Why it cannot be changed, as a sentence fragment ("SeaweedMQ has no log compaction"). */
  readonly reason: string;
}

export interface Storage {
  readonly kind: "embedded" | "seaweedmq";
  /** Most partitions a topic can have on this backend; absent = no limit of its own. */
  readonly maxPartitions?: number;
  /**
   * File descriptors one partition may hold open at once (a local log); with --max-partitions 0 the gateway
   * derives its limit on partitions over all topics from the process's open-file limit with it
   * (src/handlers/topic_rules.ts). Absent: partitions hold no local files.
   */
  readonly openFilesPerPartition?: number;
  /**
   * Optional: topic configs (by topic config name) this backend cannot apply, with the value it behaves with. The
   * config model reports them read-only, refuses other values (CreateTopics, AlterConfigs, IncrementalAlterConfigs,
   * validate_only included) and never passes them to createTopic/alterTopicConfigs; overrides stored before are
   * ignored. The broker configs that only supply their defaults (Kafka's synonyms, e.g. log.segment.bytes for
   * segment.bytes) are fixed with them. Absent or empty: every topic config takes effect (the embedded log).
   */
  readonly fixedTopicConfigs?: Readonly<Record<string, FixedConfig>>;
  /**
   * Optional: further broker configs (by broker config name) without meaning on this backend that are not synonyms
   * of a fixed topic config (e.g. log.cleaner.enable), reported and refused the same way.
   */
  readonly fixedBrokerConfigs?: Readonly<Record<string, FixedConfig>>;
  /**
   * Optional: topic configs (by topic config name) this backend accepts and stores but does not act on, with why.
   * Unlike fixed ones they take any valid value (clients such as Kafka Streams and Connect set them when they create
   * topics); DescribeConfigs reports the value set and says in the documentation that it has no effect, as do their
   * broker synonyms.
   */
  readonly inertTopicConfigs?: Readonly<Record<string, string>>;
  /** Optional: how this backend applies a topic config differently from Kafka (DescribeConfigs documentation). */
  readonly topicConfigNotes?: Readonly<Record<string, string>>;
  open(): Promise<void>;
  /** Flush and close everything; pending appends finish first. */
  close(): Promise<void>;

  listTopics(): TopicMeta[];
  getTopic(name: string): TopicMeta | undefined;
  getTopicById(id: string): TopicMeta | undefined;
  /**
   * A topic getTopic() does not know yet, looked up in shared storage (a topic another gateway created moments
   * ago); undefined when it does not exist. Backends whose topics only this process creates leave it out.
   */
  findTopic?(name: string): Promise<TopicMeta | undefined>;
  /** Throws StorageError(TOPIC_ALREADY_EXISTS) when it exists. */
  createTopic(name: string, partitions: number, configs: TopicConfigs): Promise<TopicMeta>;
  /** Removes the topic and its data. Throws StorageError(UNKNOWN_TOPIC_OR_PARTITION) when absent. */
  deleteTopic(name: string): Promise<void>;
  /**
   * Replaces the topic's config overrides with `configs`, the complete new set (AlterConfigs and
   * IncrementalAlterConfigs compute it; values are canonical and already validated). Durable before it resolves,
   * and in effect at once for every partition without a restart (segment.*, retention.*, cleanup.policy and the
   * compaction settings). Resolves with the new TopicMeta (a new object). Throws
   * StorageError(UNKNOWN_TOPIC_OR_PARTITION) when the topic does not exist, StorageError(INVALID_CONFIG) when the
   * backend cannot honour a value. Keys in `fixedTopicConfigs` never reach it (the config model refuses other
   * values and drops them).
   */
  alterTopicConfigs(name: string, configs: TopicConfigs): Promise<TopicMeta>;
  /**
   * Grows the topic to `count` partitions in total (count > current); the new partitions start empty at offset 0
   * and take the topic's configs. Durable before it resolves; resolves with the new TopicMeta. Throws
   * StorageError(INVALID_PARTITIONS) when count <= current partitions (or above the backend's limit) and
   * StorageError(UNKNOWN_TOPIC_OR_PARTITION) when the topic does not exist.
   */
  createPartitions(name: string, count: number): Promise<TopicMeta>;
  /**
   * Broker-level values of topic configs, keyed by topic config name ("retention.ms", "segment.bytes",
   * "cleanup.policy", ...), computed from flags/env/file and dynamic broker configs by src/configs. They apply
   * to every topic that has no override of the key, at once (called after open() and after every change).
   * Synchronous; keys the backend does not use are ignored. Until the first call the backend uses its
   * constructor options.
   */
  setConfigDefaults(defaults: TopicConfigs): void;
  /** log.cleaner.backoff.ms (dynamic): how often compaction looks for work; only a backend that compacts has it. */
  setCleanerBackoffMs?(ms: number): void;
  /**
   * Dynamic broker configs stored for a broker resource: `resource` is "" for the cluster-wide default or the
   * broker id as a string ("1"). Returns {} when none. Synchronous: loaded by open().
   */
  brokerConfigs(resource: string): Readonly<Record<string, string>>;
  /**
   * Durably replaces the dynamic broker configs of `resource` ("" or a broker id) with `configs` (already
   * validated); brokerConfigs() returns them afterwards, also after a restart.
   */
  setBrokerConfigs(resource: string, configs: Record<string, string>): Promise<void>;
  /**
   * Set by the config model: called when brokerConfigs() changed other than through setBrokerConfigs() here
   * (another gateway of a shared backend altered them). A backend that only this gateway writes never calls it.
   */
  onBrokerConfigsChanged?: (() => void) | null;

  /**
   * Appends the batches of `req` as one unit. Contract (Produce is the only caller):
   *
   * The caller guarantees that `req` passed src/records validation (framing, CRC, sizes, magic 2; leader epoch and
   * LogAppendTime already stamped) and, for a batch with a producer id, that its sequence check passed and that it
   * is the partition's only idempotent append in flight: src/producer/append.ts runs check -> append -> producer
   * state update as one serialized step per partition. So the backend needs no producer logic and may await
   * anything inside. Appends without a producer id may run concurrently with it and with each other.
   *
   * The backend must: give the batches consecutive offsets from the log end, with no other append's records
   * between them, and write each batch's baseOffset into `payload` in place; copy what it keeps beyond the call
   * (the caller may reuse the buffer); resolve only once the data is stored (embedded: durable per the fsync
   * policy; SeaweedMQ: acknowledged by the broker) and readable up to the returned offsets; reject when it cannot
   * say so (the caller then treats the batch as not written and checks a retry afresh; a SeaweedMQ publish that
   * timed out may still have been stored).
   */
  append(topic: string, partition: number, req: AppendRequest): Promise<AppendResult>;
  /**
   * Reads whole batches from `offset` up to `maxBytes`; when `minOneBatch` is true the first batch is returned
   * even if larger than maxBytes (KIP-74). Throws StorageError(OFFSET_OUT_OF_RANGE) outside [logStart, HW].
   */
  read(
    topic: string,
    partition: number,
    offset: number,
    maxBytes: number,
    minOneBatch: boolean,
  ): Promise<ReadResult>;
  offsets(topic: string, partition: number): Promise<PartitionOffsets>;
  /**
   * ListOffsets by time: the offset and timestamp of the first record (in offset order) whose timestamp is
   * >= ts and whose offset is >= the log start offset, or null when there is none. Exact to the record, also
   * inside compressed and compacted batches; records of a LogAppendTime batch carry the batch's timestamp.
   */
  offsetForTimestamp(topic: string, partition: number, ts: number): Promise<TimestampOffset | null>;
  /**
   * DeleteRecords: advances the log start offset to `offset` (-1 = the high watermark) and resolves with the new
   * log start offset (unchanged when `offset` is not above it). Records below it are no longer readable (Fetch
   * answers OFFSET_OUT_OF_RANGE, ListOffsets earliest returns it), whole segments below it are reclaimed (SeaweedMQ
   * keeps the files of up to one 1000-offset block a while, see seaweedmq/topic/reclaim.ts), and it survives a restart
   * (durable before it resolves). Throws StorageError(OFFSET_OUT_OF_RANGE) when `offset` is
   * above the high watermark or below -1, StorageError(UNKNOWN_TOPIC_OR_PARTITION) for an unknown partition.
   * The handler has already refused topics whose cleanup.policy lacks "delete" (POLICY_VIOLATION).
   */
  deleteRecords(topic: string, partition: number, offset: number): Promise<number>;
  /** Bytes the partition's log occupies (DescribeLogDirs PartitionSize). */
  partitionSize(topic: string, partition: number): Promise<number>;
  /** The log directory holding every partition (DescribeLogDirs reports one). */
  logDir(): Promise<LogDirInfo>;
  /** Offset and value of the largest timestamp in the partition (ListOffsets -3), or null when empty. */
  maxTimestamp(topic: string, partition: number): Promise<TimestampOffset | null>;
  /** The backend's durable store of committed offsets and group metadata (opened by the coordinator). */
  groupStore(): GroupStore;
  /**
   * The backend's durable producer-id allocator and producer-state snapshot store (idempotent producers). Called
   * once, after open(); the embedded log keeps ids in `<data-dir>/producer_ids` and snapshots in each partition's
   * directory (`producer.snapshot`).
   */
  producerStateStore(): ProducerStateStore;
  /**
   * The backend's store of small documents of the gateway's own (credentials, ACLs, quotas; ./documents.ts), shared
   * by every gateway on the same backend. Called after open().
   */
  documents(): DocumentStore;
  /** Calls `listener` after each append to the partition; returns an unsubscribe function. */
  subscribe(topic: string, partition: number, listener: () => void): () => void;
  /**
   * Optional (operations): whether the backend is recovered, open and reachable, for /readyz. Polled at most
   * every few seconds and on each /readyz request; should answer within ~2 s (a remote backend pings its
   * servers). Absent: the gateway treats the backend as ready.
   */
  status?(): BackendStatus | Promise<BackendStatus>;
  /** Optional (operations): a remote backend reports its RPCs here. Called once, before open(). */
  setRpcObserver?(observer: BackendRpcObserver): void;
}
