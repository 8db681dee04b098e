// Encoders and decoders of the SeaweedMQ messages the gateway uses (the master's and filer's are
// filer_messages.ts), written from the field numbers of the hand-written .proto files in proto/ (mq_broker.proto,
// mq_schema.proto). tests/unit/seaweedmq_pb_test.ts checks every function here and there against those .proto
// files through @grpc/proto-loader, so the .proto files stay the source of truth.
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
