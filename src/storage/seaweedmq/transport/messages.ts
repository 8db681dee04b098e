// Encoders and decoders of the SeaweedMQ, master and filer messages the gateway uses, written from the field
// numbers of the hand-written .proto files in proto/ (mq_broker.proto, mq_schema.proto, master.proto, filer.proto).
// tests/unit/seaweedmq_pb_test.ts checks every function here against those .proto files through
// @grpc/proto-loader, so the .proto files stay the source of truth.
import { PbReader, PbWriter } from "./pb.ts";

// ---- gRPC method paths ----------------------------------------------------------------------------------------

const BROKER = "/messaging_pb.SeaweedMessaging/";
export const Rpc = {
  FindBrokerLeader: BROKER + "FindBrokerLeader",
  ListTopics: BROKER + "ListTopics",
  TopicExists: BROKER + "TopicExists",
  ConfigureTopic: BROKER + "ConfigureTopic",
  LookupTopicBrokers: BROKER + "LookupTopicBrokers",
  GetTopicConfiguration: BROKER + "GetTopicConfiguration",
  ClosePublishers: BROKER + "ClosePublishers",
  CloseSubscribers: BROKER + "CloseSubscribers",
  PublishMessage: BROKER + "PublishMessage",
  SubscribeMessage: BROKER + "SubscribeMessage",
  FetchMessage: BROKER + "FetchMessage",
  GetPartitionRangeInfo: BROKER + "GetPartitionRangeInfo",
  AssignTopicPartitions: BROKER + "AssignTopicPartitions",
  ListClusterNodes: "/master_pb.Seaweed/ListClusterNodes",
  LookupDirectoryEntry: "/filer_pb.SeaweedFiler/LookupDirectoryEntry",
  LookupVolume: "/filer_pb.SeaweedFiler/LookupVolume",
  ListEntries: "/filer_pb.SeaweedFiler/ListEntries",
  CreateEntry: "/filer_pb.SeaweedFiler/CreateEntry",
  DeleteEntry: "/filer_pb.SeaweedFiler/DeleteEntry",
  UpdateEntry: "/filer_pb.SeaweedFiler/UpdateEntry",
  ObjectTransaction: "/filer_pb.SeaweedFiler/ObjectTransaction",
  DistributedLock: "/filer_pb.SeaweedFiler/DistributedLock",
  DistributedUnlock: "/filer_pb.SeaweedFiler/DistributedUnlock",
} as const;

// ---- schema_pb ------------------------------------------------------------------------------------------------

export interface Topic {
  readonly namespace: string;
  readonly name: string;
}

export interface Partition {
  readonly ringSize: number;
  readonly rangeStart: number;
  readonly rangeStop: number;
  /** Generation of the partition layout (ns); int64, kept exact. */
  readonly unixTimeNs: bigint;
}

export function writeTopic(w: PbWriter, t: Topic): void {
  w.string(1, t.namespace).string(2, t.name);
}

export function readTopic(r: PbReader): Topic {
  let namespace = "", name = "";
  while (r.next()) {
    if (r.field === 1) namespace = r.string();
    else if (r.field === 2) name = r.string();
    else r.skip();
  }
  return { namespace, name };
}

export function writePartition(w: PbWriter, p: Partition): void {
  w.int(1, p.ringSize).int(2, p.rangeStart).int(3, p.rangeStop).bigint(4, p.unixTimeNs);
}

export function readPartition(r: PbReader): Partition {
  let ringSize = 0, rangeStart = 0, rangeStop = 0, unixTimeNs = 0n;
  while (r.next()) {
    switch (r.field) {
      case 1:
        ringSize = r.varint();
        break;
      case 2:
        rangeStart = r.varint();
        break;
      case 3:
        rangeStop = r.varint();
        break;
      case 4:
        unixTimeNs = r.varintBig();
        break;
      default:
        r.skip();
    }
  }
  return { ringSize, rangeStart, rangeStop, unixTimeNs };
}

/** Topic (field 1) and Partition (field 2): the prefix shared by Fetch/RangeInfo requests and publish init. */
export function encodeTopicPartition(t: Topic, p: Partition): Uint8Array {
  return new PbWriter(96).message(1, (w) => writeTopic(w, t)).message(2, (w) => writePartition(w, p))
    .finish();
}

// ---- messaging_pb: topics -------------------------------------------------------------------------------------

export interface BrokerPartitionAssignment {
  readonly partition: Partition;
  readonly leaderBroker: string;
  readonly followerBroker: string;
}

export interface TopicRetention {
  readonly retentionSeconds: number;
  readonly enabled: boolean;
}

function readAssignment(r: PbReader): BrokerPartitionAssignment {
  let partition: Partition = { ringSize: 0, rangeStart: 0, rangeStop: 0, unixTimeNs: 0n };
  let leaderBroker = "", followerBroker = "";
  while (r.next()) {
    if (r.field === 1) partition = readPartition(r.sub());
    else if (r.field === 2) leaderBroker = r.string();
    else if (r.field === 3) followerBroker = r.string();
    else r.skip();
  }
  return { partition, leaderBroker, followerBroker };
}

function readRetention(r: PbReader): TopicRetention {
  let retentionSeconds = 0, enabled = false;
  while (r.next()) {
    if (r.field === 1) retentionSeconds = r.varint();
    else if (r.field === 2) enabled = r.bool();
    else r.skip();
  }
  return { retentionSeconds, enabled };
}

export function encodeTopicRequest(t: Topic): Uint8Array {
  // TopicExistsRequest, LookupTopicBrokersRequest, GetTopicConfigurationRequest: { topic = 1 }
  return new PbWriter(64).message(1, (w) => writeTopic(w, t)).finish();
}

/**
 * A topic's record schema as SeaweedMQ stores it (message_record_type, key_columns, schema_format): a ConfigureTopic
 * without one clears the stored one, so every ConfigureTopic of an existing topic passes back what it read.
 */
export interface TopicSchema {
  /** schema_pb.RecordType, encoded; null for a schemaless topic. */
  readonly recordType: Uint8Array | null;
  readonly keyColumns: readonly string[];
  /** "AVRO", "PROTOBUF", "JSON_SCHEMA", or "" (schemaless). */
  readonly schemaFormat: string;
}

export const NO_TOPIC_SCHEMA: TopicSchema = { recordType: null, keyColumns: [], schemaFormat: "" };

export interface ConfigureTopicRequest {
  readonly topic: Topic;
  readonly partitionCount: number;
  readonly retention?: TopicRetention;
  readonly schema?: TopicSchema;
}

export function encodeConfigureTopicRequest(req: ConfigureTopicRequest): Uint8Array {
  const w = new PbWriter(64).message(1, (w) => writeTopic(w, req.topic)).int(2, req.partitionCount);
  const ret = req.retention;
  if (ret) w.message(3, (w) => w.int(1, ret.retentionSeconds).bool(2, ret.enabled));
  const s = req.schema;
  if (s && s.recordType !== null) {
    w.tag(4, 2).varint(s.recordType.length).raw(s.recordType);
    for (const c of s.keyColumns) w.stringAlways(5, c);
    w.string(6, s.schemaFormat);
  }
  return w.finish();
}

export interface ConfigureTopicResponse {
  readonly assignments: BrokerPartitionAssignment[];
  readonly retention: TopicRetention | null;
  readonly schema: TopicSchema;
}

/** Reads a TopicSchema out of a message whose record type, key columns and format have the given field numbers. */
class SchemaFields {
  recordType: Uint8Array | null = null;
  keyColumns: string[] = [];
  schemaFormat = "";
  constructor(private readonly first: number) {}
  /** Takes the reader's current field when it is one of the three; false otherwise. */
  take(r: PbReader): boolean {
    if (r.field === this.first) this.recordType = r.bytes().slice();
    else if (r.field === this.first + 1) this.keyColumns.push(r.string());
    else if (r.field === this.first + 2) this.schemaFormat = r.string();
    else return false;
    return true;
  }
  get schema(): TopicSchema {
    return { recordType: this.recordType, keyColumns: this.keyColumns, schemaFormat: this.schemaFormat };
  }
}

export function decodeConfigureTopicResponse(b: Uint8Array): ConfigureTopicResponse {
  const r = new PbReader(b);
  const assignments: BrokerPartitionAssignment[] = [];
  let retention: TopicRetention | null = null;
  const schema = new SchemaFields(4);
  while (r.next()) {
    if (r.field === 2) assignments.push(readAssignment(r.sub()));
    else if (r.field === 3) retention = readRetention(r.sub());
    else if (!schema.take(r)) r.skip();
  }
  return { assignments, retention, schema: schema.schema };
}

export function decodeListTopicsResponse(b: Uint8Array): Topic[] {
  const r = new PbReader(b);
  const out: Topic[] = [];
  while (r.next()) {
    if (r.field === 1) out.push(readTopic(r.sub()));
    else r.skip();
  }
  return out;
}

export function decodeTopicExistsResponse(b: Uint8Array): boolean {
  const r = new PbReader(b);
  let exists = false;
  while (r.next()) {
    if (r.field === 1) exists = r.bool();
    else r.skip();
  }
  return exists;
}

export function decodeLookupTopicBrokersResponse(b: Uint8Array): BrokerPartitionAssignment[] {
  const r = new PbReader(b);
  const out: BrokerPartitionAssignment[] = [];
  while (r.next()) {
    if (r.field === 2) out.push(readAssignment(r.sub()));
    else r.skip();
  }
  return out;
}

export interface TopicConfiguration {
  readonly partitionCount: number;
  readonly assignments: BrokerPartitionAssignment[];
  readonly createdAtNs: bigint;
  readonly lastUpdatedNs: bigint;
  readonly retention: TopicRetention | null;
  readonly schema: TopicSchema;
}

export function decodeGetTopicConfigurationResponse(b: Uint8Array): TopicConfiguration {
  const r = new PbReader(b);
  let partitionCount = 0, createdAtNs = 0n, lastUpdatedNs = 0n;
  let retention: TopicRetention | null = null;
  const assignments: BrokerPartitionAssignment[] = [];
  const schema = new SchemaFields(7);
  while (r.next()) {
    if (schema.take(r)) continue;
    switch (r.field) {
      case 2:
        partitionCount = r.varint();
        break;
      case 3:
        assignments.push(readAssignment(r.sub()));
        break;
      case 4:
        createdAtNs = r.varintBig();
        break;
      case 5:
        lastUpdatedNs = r.varintBig();
        break;
      case 6:
        retention = readRetention(r.sub());
        break;
      default:
        r.skip();
    }
  }
  return { partitionCount, assignments, createdAtNs, lastUpdatedNs, retention, schema: schema.schema };
}

/**
 * AssignTopicPartitionsRequest { topic = 1, broker_partition_assignments = 2 (BrokerPartitionAssignment: partition
 * = 1, leader_broker = 2, follower_broker = 3), is_leader = 3, is_draining = 4 }: is_leader and is_draining false
 * (the broker creates its local partitions and notifies nobody).
 */
export function encodeAssignTopicPartitionsRequest(
  t: Topic,
  assignments: readonly BrokerPartitionAssignment[],
): Uint8Array {
  const w = new PbWriter(128).message(1, (m) => writeTopic(m, t));
  for (const a of assignments) {
    w.message(
      2,
      (m) =>
        m.message(1, (p) => writePartition(p, a.partition)).string(2, a.leaderBroker).string(
          3,
          a.followerBroker,
        ),
    );
  }
  return w.finish();
}

export function encodeClosePublishersRequest(t: Topic, unixTimeNs: bigint): Uint8Array {
  // ClosePublishersRequest and CloseSubscribersRequest: { topic = 1, unix_time_ns = 2 }
  return new PbWriter(64).message(1, (w) => writeTopic(w, t)).bigint(2, unixTimeNs).finish();
}

export function decodeFindBrokerLeaderResponse(b: Uint8Array): string {
  const r = new PbReader(b);
  let broker = "";
  while (r.next()) {
    if (r.field === 1) broker = r.string();
    else r.skip();
  }
  return broker;
}

// ---- messaging_pb: data plane ---------------------------------------------------------------------------------

export interface PublishInit {
  readonly topic: Topic;
  readonly partition: Partition;
  readonly ackInterval: number;
  readonly publisherName: string;
}

/** PublishMessageRequest { init = 1 { topic = 1, partition = 2, ack_interval = 3, publisher_name = 5 } }. */
export function encodePublishInit(init: PublishInit): Uint8Array {
  return new PbWriter(128).message(1, (w) => {
    w.message(1, (w) => writeTopic(w, init.topic));
    w.message(2, (w) => writePartition(w, init.partition));
    w.int(3, init.ackInterval);
    w.string(5, init.publisherName);
  }).finish();
}

export interface PublishMessageResponse {
  readonly ackTsNs: number;
  readonly error: string;
  readonly shouldClose: boolean;
  readonly errorCode: number;
  readonly assignedOffset: number;
}

export function decodePublishMessageResponse(b: Uint8Array): PublishMessageResponse {
  const r = new PbReader(b);
  let ackTsNs = 0, error = "", shouldClose = false, errorCode = 0, assignedOffset = 0;
  while (r.next()) {
    switch (r.field) {
      case 1:
        ackTsNs = r.varint();
        break;
      case 2:
        error = r.string();
        break;
      case 3:
        shouldClose = r.bool();
        break;
      case 4:
        errorCode = r.varint();
        break;
      case 5:
        assignedOffset = r.varint();
        break;
      default:
        r.skip();
    }
  }
  return { ackTsNs, error, shouldClose, errorCode, assignedOffset };
}

/**
 * Fast path for the per-message publish acks: the assigned offset (field 5; absent = 0, the proto3 default), or
 * -1 when the response carries an error (error = 2, should_close = 3, error_code = 4).
 */
export function ackOffset(b: Uint8Array): number {
  const r = new PbReader(b);
  let offset = 0;
  while (r.next()) {
    if (r.field === 5) offset = r.varint();
    else if (r.field === 2 || r.field === 3 || r.field === 4) return -1;
    else r.skip();
  }
  return offset;
}

export interface FetchMessageRequest {
  /** encodeTopicPartition(topic, partition), reused across requests. */
  readonly topicPartition: Uint8Array;
  readonly startOffset: number;
  readonly maxBytes: number;
  readonly maxMessages: number;
  readonly consumerGroup?: string;
  readonly consumerId?: string;
}

export function encodeFetchMessageRequest(req: FetchMessageRequest): Uint8Array {
  return new PbWriter(req.topicPartition.length + 48).raw(req.topicPartition)
    .int(3, req.startOffset).int(4, req.maxBytes).int(5, req.maxMessages)
    .string(8, req.consumerGroup).string(9, req.consumerId).finish();
}

/** One DataMessage as views into the response buffer. */
export interface DataMessageView {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  /** ts_ns as a double (ms precision is what Kafka needs). */
  readonly tsNs: number;
}

export interface FetchMessageResponse {
  readonly messages: DataMessageView[];
  readonly highWaterMark: number;
  readonly logStartOffset: number;
  readonly endOfPartition: boolean;
  readonly error: string;
  readonly errorCode: number;
  readonly nextOffset: number;
}

const EMPTY: Uint8Array = new Uint8Array(0);

export function readDataMessage(r: PbReader): DataMessageView {
  let key = EMPTY, value = EMPTY, tsNs = 0;
  while (r.next()) {
    switch (r.field) {
      case 1:
        key = r.bytes();
        break;
      case 2:
        value = r.bytes();
        break;
      case 3:
        tsNs = r.varint();
        break;
      default:
        r.skip();
    }
  }
  return { key, value, tsNs };
}

export function decodeFetchMessageResponse(b: Uint8Array): FetchMessageResponse {
  const r = new PbReader(b);
  const messages: DataMessageView[] = [];
  let highWaterMark = 0,
    logStartOffset = 0,
    endOfPartition = false,
    error = "",
    errorCode = 0,
    nextOffset = 0;
  while (r.next()) {
    switch (r.field) {
      case 1:
        messages.push(readDataMessage(r.sub()));
        break;
      case 2:
        highWaterMark = r.varint();
        break;
      case 3:
        logStartOffset = r.varint();
        break;
      case 4:
        endOfPartition = r.bool();
        break;
      case 5:
        error = r.string();
        break;
      case 6:
        errorCode = r.varint();
        break;
      case 7:
        nextOffset = r.varint();
        break;
      default:
        r.skip();
    }
  }
  return { messages, highWaterMark, logStartOffset, endOfPartition, error, errorCode, nextOffset };
}

export interface PartitionRangeInfo {
  readonly earliestOffset: number;
  readonly latestOffset: number;
  readonly highWaterMark: number;
  readonly recordCount: number;
  readonly error: string;
}

export function decodeGetPartitionRangeInfoResponse(b: Uint8Array): PartitionRangeInfo {
  const r = new PbReader(b);
  let earliestOffset = 0, latestOffset = 0, highWaterMark = 0, recordCount = 0, error = "";
  while (r.next()) {
    switch (r.field) {
      case 1: {
        const s = r.sub();
        while (s.next()) {
          if (s.field === 1) earliestOffset = s.varint();
          else if (s.field === 2) latestOffset = s.varint();
          else if (s.field === 3) highWaterMark = s.varint();
          else s.skip();
        }
        break;
      }
      case 10:
        recordCount = r.varint();
        break;
      case 12:
        error = r.string();
        break;
      default:
        r.skip();
    }
  }
  return { earliestOffset, latestOffset, highWaterMark, recordCount, error };
}

// ---- master_pb ------------------------------------------------------------------------------------------------

export function encodeListClusterNodesRequest(
  clientType: string,
  filerGroup: string,
  limit: number,
): Uint8Array {
  return new PbWriter(32).string(1, clientType).string(2, filerGroup).int(4, limit).finish();
}

export interface ClusterNode {
  readonly address: string;
  readonly version: string;
  readonly createdAtNs: bigint;
}

export function decodeListClusterNodesResponse(b: Uint8Array): ClusterNode[] {
  const r = new PbReader(b);
  const out: ClusterNode[] = [];
  while (r.next()) {
    if (r.field !== 1) {
      r.skip();
      continue;
    }
    const s = r.sub();
    let address = "", version = "", createdAtNs = 0n;
    while (s.next()) {
      if (s.field === 1) address = s.string();
      else if (s.field === 2) version = s.string();
      else if (s.field === 4) createdAtNs = s.varintBig();
      else s.skip();
    }
    out.push({ address, version, createdAtNs });
  }
  return out;
}

// ---- filer_pb -------------------------------------------------------------------------------------------------

export interface FuseAttributes {
  readonly fileSize: number;
  /** Unix seconds. */
  readonly mtime: number;
  readonly fileMode: number;
  /** Unix seconds. */
  readonly crtime: number;
  readonly mime: string;
}

export interface Entry {
  readonly name: string;
  readonly isDirectory: boolean;
  readonly attributes: FuseAttributes | null;
  readonly extended: ReadonlyMap<string, Uint8Array>;
  readonly content: Uint8Array;
  /** True when the entry has data chunks (its content is not inline). */
  readonly hasChunks: boolean;
  readonly chunks: FileChunk[];
}

/** Where a piece of a file's data lives: a needle on a volume server. */
export interface FileChunk {
  /** "volumeId,needleKeyCookie" (from file_id, or built from fid). */
  readonly fileId: string;
  /** Position of the chunk's (uncompressed) bytes in the file. */
  readonly offset: number;
  readonly size: number;
  /** When the chunk was written (its uploader's clock, ns); 0 when absent. */
  readonly modifiedTsNs: number;
  readonly isCompressed: boolean;
  readonly encrypted: boolean;
  readonly isManifest: boolean;
}

function readChunk(r: PbReader): FileChunk {
  let fileId = "", offset = 0, size = 0, modifiedTsNs = 0, isCompressed = false, encrypted = false;
  let isManifest = false, volumeId = 0, fileKey = 0n, cookie = 0;
  while (r.next()) {
    switch (r.field) {
      case 1:
        fileId = r.string();
        break;
      case 2:
        offset = r.varint();
        break;
      case 3:
        size = r.varint();
        break;
      case 4:
        modifiedTsNs = r.varint();
        break;
      case 7: {
        const s = r.sub();
        while (s.next()) {
          if (s.field === 1) volumeId = s.varint();
          else if (s.field === 2) fileKey = s.varintBig();
          else if (s.field === 3 && s.wire === 5) {
            cookie = new DataView(s.buf.buffer, s.buf.byteOffset + s.pos, 4).getUint32(0, true);
            s.pos += 4;
          } else s.skip();
        }
        break;
      }
      case 9:
        encrypted = r.bytes().length > 0;
        break;
      case 10:
        isCompressed = r.bool();
        break;
      case 11:
        isManifest = r.bool();
        break;
      default:
        r.skip();
    }
  }
  if (fileId === "" && volumeId > 0) {
    fileId = `${volumeId},${fileKey.toString(16)}${cookie.toString(16).padStart(8, "0")}`;
  }
  return { fileId, offset, size, modifiedTsNs, isCompressed, encrypted, isManifest };
}

function readEntry(r: PbReader): Entry {
  let name = "", isDirectory = false, content = EMPTY, hasChunks = false;
  const chunks: FileChunk[] = [];
  let attributes: FuseAttributes | null = null;
  const extended = new Map<string, Uint8Array>();
  while (r.next()) {
    switch (r.field) {
      case 1:
        name = r.string();
        break;
      case 2:
        isDirectory = r.bool();
        break;
      case 3:
        hasChunks = true;
        chunks.push(readChunk(r.sub()));
        break;
      case 4: {
        const s = r.sub();
        let fileSize = 0, mtime = 0, fileMode = 0, crtime = 0, mime = "";
        while (s.next()) {
          if (s.field === 1) fileSize = s.varint();
          else if (s.field === 2) mtime = s.varint();
          else if (s.field === 3) fileMode = s.varint();
          else if (s.field === 6) crtime = s.varint();
          else if (s.field === 7) mime = s.string();
          else s.skip();
        }
        attributes = { fileSize, mtime, fileMode, crtime, mime };
        break;
      }
      case 5: {
        const s = r.sub();
        let k = "";
        let v: Uint8Array = EMPTY;
        while (s.next()) {
          if (s.field === 1) k = s.string();
          else if (s.field === 2) v = s.bytes();
          else s.skip();
        }
        extended.set(k, v);
        break;
      }
      case 9:
        content = r.bytes();
        break;
      default:
        r.skip();
    }
  }
  return { name, isDirectory, attributes, extended, content, hasChunks, chunks };
}

export function encodeLookupDirectoryEntryRequest(directory: string, name: string): Uint8Array {
  return new PbWriter(64).string(1, directory).string(2, name).finish();
}

export function decodeLookupDirectoryEntryResponse(b: Uint8Array): Entry | null {
  const r = new PbReader(b);
  let entry: Entry | null = null;
  while (r.next()) {
    if (r.field === 1) entry = readEntry(r.sub());
    else r.skip();
  }
  return entry;
}

export interface ListEntriesRequest {
  readonly directory: string;
  readonly prefix?: string;
  readonly startFromFileName?: string;
  readonly inclusiveStartFrom?: boolean;
  readonly limit: number;
}

export function encodeListEntriesRequest(req: ListEntriesRequest & { withChunks?: boolean }): Uint8Array {
  return new PbWriter(64).string(1, req.directory).string(2, req.prefix).string(3, req.startFromFileName)
    .bool(4, req.inclusiveStartFrom ?? false).int(5, req.limit).bool(7, !req.withChunks).finish();
}

export function encodeLookupVolumeRequest(volumeIds: readonly string[]): Uint8Array {
  const w = new PbWriter(32);
  for (const v of volumeIds) w.stringAlways(1, v);
  return w.finish();
}

/** LookupVolumeResponse: volume id -> urls ("host:port") of its servers. */
export function decodeLookupVolumeResponse(b: Uint8Array): Map<string, string[]> {
  const r = new PbReader(b);
  const out = new Map<string, string[]>();
  while (r.next()) {
    if (r.field !== 1) {
      r.skip();
      continue;
    }
    const e = r.sub(); // map entry { key = 1, value = 2 (Locations) }
    let key = "";
    const urls: string[] = [];
    while (e.next()) {
      if (e.field === 1) key = e.string();
      else if (e.field === 2) {
        const locs = e.sub();
        while (locs.next()) {
          if (locs.field !== 1) {
            locs.skip();
            continue;
          }
          const loc = locs.sub();
          while (loc.next()) {
            if (loc.field === 1) urls.push(loc.string());
            else loc.skip();
          }
        }
      } else e.skip();
    }
    out.set(key, urls);
  }
  return out;
}

export function decodeListEntriesResponse(b: Uint8Array): Entry | null {
  return decodeLookupDirectoryEntryResponse(b); // { entry = 1, snapshot_ts_ns = 2 }
}

export interface NewFile {
  readonly name: string;
  readonly content: Uint8Array;
  /** Unix seconds. */
  readonly now: number;
  readonly mime?: string;
  /** Extended attributes (Entry.extended). */
  readonly extended?: ReadonlyMap<string, Uint8Array>;
}

function writeNewFile(w: PbWriter, file: NewFile): void {
  w.string(1, file.name);
  w.message(4, (w) => {
    w.int(1, file.content.length).int(2, file.now).int(3, 0o644).int(6, file.now).string(7, file.mime);
  });
  for (const [k, v] of file.extended ?? []) w.message(5, (w) => w.string(1, k).bytes(2, v));
  w.bytes(9, file.content);
}

/** CreateEntryRequest for a small file whose content lives inline in the entry (parents created by the filer). */
export function encodeCreateEntryRequest(directory: string, file: NewFile, exclusive = false): Uint8Array {
  return new PbWriter(file.content.length + 128).string(1, directory).message(2, (w) => writeNewFile(w, file))
    .bool(3, exclusive).finish();
}

/**
 * UpdateEntryRequest replacing a small inline file, applied only while the entry's extended attributes hold
 * `expected` (expected_extended: a compare-and-set the filer checks under its per-path lock; a mismatch or a
 * missing entry is a gRPC error). UpdateEntryResponse carries nothing the gateway needs.
 */
export function encodeUpdateEntryRequest(
  directory: string,
  file: NewFile,
  expected: ReadonlyMap<string, Uint8Array>,
): Uint8Array {
  const w = new PbWriter(file.content.length + 160).string(1, directory).message(
    2,
    (w) => writeNewFile(w, file),
  );
  for (const [k, v] of expected) w.message(5, (w) => w.string(1, k).bytes(2, v));
  return w.finish();
}

export function decodeCreateEntryResponse(b: Uint8Array): { error: string; errorCode: number } {
  const r = new PbReader(b);
  let error = "", errorCode = 0;
  while (r.next()) {
    if (r.field === 1) error = r.string();
    else if (r.field === 3) errorCode = r.varint();
    else r.skip();
  }
  return { error, errorCode };
}

export function encodeDeleteEntryRequest(directory: string, name: string, recursive: boolean): Uint8Array {
  return new PbWriter(64).string(1, directory).string(2, name).bool(4, true).bool(5, recursive)
    .bool(6, recursive).finish();
}

export function decodeDeleteEntryResponse(b: Uint8Array): string {
  const r = new PbReader(b);
  let error = "";
  while (r.next()) {
    if (r.field === 1) error = r.string();
    else r.skip();
  }
  return error;
}

/** filer_pb.WriteCondition.Kind.IF_ETAG_MATCH: the entry exists and its ETag is one of the given. */
const IF_ETAG_MATCH = 3;
/** filer_pb.ObjectMutation.Type.DELETE */
const MUTATION_DELETE = 1;
/** filer_pb.FilerError.PRECONDITION_FAILED */
export const PRECONDITION_FAILED = 6;

/**
 * ObjectTransactionRequest (SeaweedFS 4.28+) deleting dir/name only while the entry's ETag is `etag`, checked and
 * applied under the filer's per-path lock (the lock UpdateEntry's compare-and-set takes too). The filer's ETag of
 * an entry is its extended attribute "Seaweed-X-Amz-ETag" when set (see ETAG_ATTR), else derived from its chunks.
 */
export function encodeDeleteIfEtagRequest(directory: string, name: string, etag: string): Uint8Array {
  const path = directory.endsWith("/") ? directory + name : `${directory}/${name}`;
  return new PbWriter(2 * path.length + etag.length + 32).string(1, path)
    .message(2, (w) => w.message(1, (w) => w.int(1, IF_ETAG_MATCH).string(2, etag)))
    .message(3, (w) => w.int(1, MUTATION_DELETE).string(2, directory).string(3, name))
    .finish();
}

/** The extended attribute the filer takes as an entry's ETag in write conditions (storedEntryETag). */
export const ETAG_ATTR = "Seaweed-X-Amz-ETag";

export function decodeObjectTransactionResponse(b: Uint8Array): { error: string; errorCode: number } {
  const r = new PbReader(b);
  let error = "", errorCode = 0;
  while (r.next()) {
    if (r.field === 1) error = r.string();
    else if (r.field === 2) errorCode = r.varint();
    else r.skip();
  }
  return { error, errorCode };
}

// ---- filer_pb: distributed lock (weed/server/filer_grpc_server_dlm.go) ------------------------------------------

export interface LockRequest {
  readonly name: string;
  /** Lease length; the filer's clock decides expiry. */
  readonly secondsToLock: number;
  /** Empty to acquire; the token of the last answer to renew (each renewal returns a new one). */
  readonly renewToken: string;
  readonly owner: string;
}

export function encodeLockRequest(req: LockRequest): Uint8Array {
  return new PbWriter(96).string(1, req.name).int(2, req.secondsToLock).string(3, req.renewToken)
    .string(5, req.owner).finish();
}

export interface LockResponse {
  readonly renewToken: string;
  /** Holder's owner string when the lock is held by someone else. */
  readonly lockOwner: string;
  readonly movedTo: string;
  /** "lock already owned by ...", "lock: token mismatch", ... (empty on success). */
  readonly error: string;
  /** The filer's fencing counter, kept across renewals (in memory: it restarts with the filer). */
  readonly generation: number;
}

export function decodeLockResponse(b: Uint8Array): LockResponse {
  const r = new PbReader(b);
  let renewToken = "", lockOwner = "", movedTo = "", error = "", generation = 0;
  while (r.next()) {
    switch (r.field) {
      case 1:
        renewToken = r.string();
        break;
      case 2:
        lockOwner = r.string();
        break;
      case 3:
        movedTo = r.string();
        break;
      case 4:
        error = r.string();
        break;
      case 5:
        generation = r.varint();
        break;
      default:
        r.skip();
    }
  }
  return { renewToken, lockOwner, movedTo, error, generation };
}

export function encodeUnlockRequest(name: string, renewToken: string): Uint8Array {
  return new PbWriter(96).string(1, name).string(2, renewToken).finish();
}

export function decodeUnlockResponse(b: Uint8Array): { error: string; movedTo: string } {
  const r = new PbReader(b);
  let error = "", movedTo = "";
  while (r.next()) {
    if (r.field === 1) error = r.string();
    else if (r.field === 2) movedTo = r.string();
    else r.skip();
  }
  return { error, movedTo };
}
