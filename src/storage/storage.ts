// The seam between protocol handlers and a storage backend. The embedded segment log and the SeaweedMQ
// client both implement it; handlers never know which one they talk to.
import type { GroupStore } from "./group_store.ts";

/** Per-topic configuration as Kafka config strings (e.g. "retention.ms" -> "604800000"). */
export type TopicConfigs = Record<string, string>;

export interface TopicMeta {
  readonly name: string;
  /** Topic id as 32 lowercase hex characters (Kafka's UUID). */
  readonly id: string;
  readonly partitions: number;
  readonly configs: TopicConfigs;
}

export interface PartitionOffsets {
  /** First offset still readable. */
  readonly logStartOffset: number;
  /** Next offset to be written; everything below it is readable (single node: HW = LEO). */
  readonly highWatermark: number;
}

/** What the records layer learned while validating one RecordBatch v2 inside a produce payload. */
export interface BatchInfo {
  /** Byte position of the batch inside the payload buffer. */
  readonly pos: number;
  /** Total bytes of the batch (12-byte prefix + batchLength). */
  readonly size: number;
  readonly recordCount: number;
  readonly lastOffsetDelta: number;
  readonly baseTimestamp: number;
  readonly maxTimestamp: number;
  readonly attributes: number;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
}

export interface AppendRequest {
  /** One or more validated RecordBatch v2, back to back. Storage patches baseOffset in place. */
  readonly payload: Uint8Array;
  readonly batches: readonly BatchInfo[];
}

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

export class StorageError extends Error {
  override name = "StorageError";
  /** Kafka error code to answer with (e.g. UNKNOWN_TOPIC_OR_PARTITION, OFFSET_OUT_OF_RANGE). */
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

export interface Storage {
  readonly kind: "embedded" | "seaweedmq";
  open(): Promise<void>;
  /** Flush and close everything; pending appends finish first. */
  close(): Promise<void>;

  listTopics(): TopicMeta[];
  getTopic(name: string): TopicMeta | undefined;
  getTopicById(id: string): TopicMeta | undefined;
  /** Throws StorageError(TOPIC_ALREADY_EXISTS) when it exists. */
  createTopic(name: string, partitions: number, configs: TopicConfigs): Promise<TopicMeta>;
  /** Removes the topic and its data. Throws StorageError(UNKNOWN_TOPIC_OR_PARTITION) when absent. */
  deleteTopic(name: string): Promise<void>;

  /** Appends atomically, assigning consecutive offsets; resolves once the data is durable per fsync policy. */
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
  /** Earliest offset whose batch max timestamp >= ts, or null when none (ListOffsets by time). */
  offsetForTimestamp(topic: string, partition: number, ts: number): Promise<TimestampOffset | null>;
  /** Offset and value of the largest timestamp in the partition (ListOffsets -3), or null when empty. */
  maxTimestamp(topic: string, partition: number): Promise<TimestampOffset | null>;
  /** The backend's durable store of committed offsets and group metadata (opened by the coordinator). */
  groupStore(): GroupStore;
  /** Calls `listener` after each append to the partition; returns an unsubscribe function. */
  subscribe(topic: string, partition: number, listener: () => void): () => void;
}
