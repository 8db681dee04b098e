// RecordBatch v2 (magic 2) header layout, attribute bits, the control-record layout, typed readers and the header
// writer: the one place these numbers live. Shared by src/records (validation, building, decoding, conversion),
// the storage backends and src/producer without import cycles (it needs only the int codec and CRC32C).

import { getInt32, getInt64, putInt32, putInt64 } from "../protocol/codec.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { crc32c } from "./crc32c.ts";

// Byte offsets inside a batch, relative to its first byte.
export const BASE_OFFSET_OFFSET = 0;
export const LENGTH_OFFSET = 8;
export const PARTITION_LEADER_EPOCH_OFFSET = 12;
export const MAGIC_OFFSET = 16;
export const CRC_OFFSET = 17;
export const ATTRIBUTES_OFFSET = 21;
export const LAST_OFFSET_DELTA_OFFSET = 23;
export const BASE_TIMESTAMP_OFFSET = 27;
export const MAX_TIMESTAMP_OFFSET = 35;
export const PRODUCER_ID_OFFSET = 43;
export const PRODUCER_EPOCH_OFFSET = 51;
export const BASE_SEQUENCE_OFFSET = 53;
export const RECORD_COUNT_OFFSET = 57;
export const RECORDS_OFFSET = 61;

/** baseOffset (8) + batchLength (4): the bytes before the part `batchLength` counts. */
export const LOG_OVERHEAD = 12;
/** Fixed header size of a v2 batch. */
export const BATCH_HEADER_SIZE = RECORDS_OFFSET;
/** Smallest legal `batchLength` (header bytes after the length field, zero records). */
export const MIN_BATCH_LENGTH = BATCH_HEADER_SIZE - LOG_OVERHEAD;
/** The magic byte of a RecordBatch v2 (0 and 1 are the legacy message formats, same MAGIC_OFFSET). */
export const MAGIC_V2 = 2;

// Attribute bits (bits 0-3 mean the same in the attributes byte of a legacy message).
export const ATTR_COMPRESSION_MASK = 0x07;
/** Set: LogAppendTime (maxTimestamp is the broker's append time); clear: CreateTime. */
export const ATTR_TIMESTAMP_TYPE = 0x08;
export const ATTR_TRANSACTIONAL = 0x10;
export const ATTR_CONTROL = 0x20;
export const ATTR_DELETE_HORIZON = 0x40;

export const TimestampType = { CREATE_TIME: 0, LOG_APPEND_TIME: 1 } as const;
export type TimestampType = typeof TimestampType[keyof typeof TimestampType];

/** Kafka's NO_TIMESTAMP / NO_PRODUCER_ID / NO_SEQUENCE / NO_PARTITION_LEADER_EPOCH sentinel. */
export const NO_VALUE = -1;

/** The header fields a batch writer chooses (magic is always 2; the CRC is computed by writeBatchCrc). */
export interface BatchHeaderFields {
  readonly baseOffset: number;
  /** Bytes after the length field: the batch's total size - LOG_OVERHEAD. */
  readonly batchLength: number;
  readonly partitionLeaderEpoch: number;
  readonly attributes: number;
  readonly lastOffsetDelta: number;
  readonly baseTimestamp: number;
  readonly maxTimestamp: number;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly recordCount: number;
}

/** A batch header as readBatchHeader returns it: the fields, magic and CRC, and what the attributes say. */
export interface BatchHeader extends BatchHeaderFields {
  readonly magic: number;
  /** Stored CRC32C as an unsigned number. */
  readonly crc: number;
  /** Compression codec id (attributes bits 0-2). */
  readonly compression: number;
  readonly timestampType: TimestampType;
  readonly isTransactional: boolean;
  readonly isControl: boolean;
}

export function getInt16(buf: Uint8Array, at: number): number {
  return ((buf[at] << 24) | (buf[at + 1] << 16)) >> 16;
}

export function putInt16(buf: Uint8Array, at: number, v: number): void {
  buf[at] = v >>> 8;
  buf[at + 1] = v;
}

/**
 * Reads the fixed 61-byte header of the v2 batch starting at `pos`. Throws CORRUPT_MESSAGE when fewer than 61 bytes
 * remain or the magic byte is not 2; it does not check the CRC (see validateBatches).
 */
export function readBatchHeader(buf: Uint8Array, pos = 0): BatchHeader {
  if (pos < 0 || buf.length - pos < BATCH_HEADER_SIZE) {
    throw new KafkaError(
      ErrorCode.CORRUPT_MESSAGE,
      `record batch header truncated: need ${BATCH_HEADER_SIZE} bytes at ${pos}, have ${buf.length - pos}`,
    );
  }
  const magic = (buf[pos + MAGIC_OFFSET] << 24) >> 24;
  if (magic !== MAGIC_V2) {
    throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `record batch at ${pos} has magic ${magic}, expected 2`);
  }
  const attributes = getInt16(buf, pos + ATTRIBUTES_OFFSET);
  return {
    baseOffset: getInt64(buf, pos + BASE_OFFSET_OFFSET),
    batchLength: getInt32(buf, pos + LENGTH_OFFSET),
    partitionLeaderEpoch: getInt32(buf, pos + PARTITION_LEADER_EPOCH_OFFSET),
    magic,
    crc: getInt32(buf, pos + CRC_OFFSET) >>> 0,
    attributes,
    lastOffsetDelta: getInt32(buf, pos + LAST_OFFSET_DELTA_OFFSET),
    baseTimestamp: getInt64(buf, pos + BASE_TIMESTAMP_OFFSET),
    maxTimestamp: getInt64(buf, pos + MAX_TIMESTAMP_OFFSET),
    producerId: getInt64(buf, pos + PRODUCER_ID_OFFSET),
    producerEpoch: getInt16(buf, pos + PRODUCER_EPOCH_OFFSET),
    baseSequence: getInt32(buf, pos + BASE_SEQUENCE_OFFSET),
    recordCount: getInt32(buf, pos + RECORD_COUNT_OFFSET),
    compression: attributes & ATTR_COMPRESSION_MASK,
    timestampType: (attributes & ATTR_TIMESTAMP_TYPE) !== 0
      ? TimestampType.LOG_APPEND_TIME
      : TimestampType.CREATE_TIME,
    isTransactional: (attributes & ATTR_TRANSACTIONAL) !== 0,
    isControl: (attributes & ATTR_CONTROL) !== 0,
  };
}

// Single fields of the batch starting at `at`, read in place (the log reads headers without a BatchHeader object).

export function baseOffsetAt(buf: Uint8Array, at: number): number {
  return getInt64(buf, at + BASE_OFFSET_OFFSET);
}
/** Total bytes of the batch starting at `at` (needs 12 header bytes). */
export function batchSizeAt(buf: Uint8Array, at: number): number {
  return getInt32(buf, at + LENGTH_OFFSET) + LOG_OVERHEAD;
}
/** The magic byte, unsigned. */
export function magicAt(buf: Uint8Array, at: number): number {
  return buf[at + MAGIC_OFFSET];
}
/** The attributes, unsigned (bit tests only). */
export function attributesAt(buf: Uint8Array, at: number): number {
  return (buf[at + ATTRIBUTES_OFFSET] << 8) | buf[at + ATTRIBUTES_OFFSET + 1];
}
export function lastOffsetDeltaAt(buf: Uint8Array, at: number): number {
  return getInt32(buf, at + LAST_OFFSET_DELTA_OFFSET);
}
export function maxTimestampAt(buf: Uint8Array, at: number): number {
  return getInt64(buf, at + MAX_TIMESTAMP_OFFSET);
}

/** Records in stored RecordBatch v2 bytes (one or more whole batches), from each batch header; stops at anything else. */
export function countRecords(b: Uint8Array): number {
  let n = 0, p = 0;
  while (p + BATCH_HEADER_SIZE <= b.length) {
    if (b[p + MAGIC_OFFSET] !== MAGIC_V2) break;
    const batchLength = getInt32(b, p + LENGTH_OFFSET);
    n += getInt32(b, p + RECORD_COUNT_OFFSET);
    if (batchLength < MIN_BATCH_LENGTH) break;
    p += LOG_OVERHEAD + batchLength;
  }
  return n;
}

/** Writes the fixed header of a v2 batch at `pos` (all but the CRC: write the records, then writeBatchCrc). */
export function writeBatchHeader(buf: Uint8Array, pos: number, h: BatchHeaderFields): void {
  putInt64(buf, pos + BASE_OFFSET_OFFSET, h.baseOffset);
  putInt32(buf, pos + LENGTH_OFFSET, h.batchLength);
  putInt32(buf, pos + PARTITION_LEADER_EPOCH_OFFSET, h.partitionLeaderEpoch);
  buf[pos + MAGIC_OFFSET] = MAGIC_V2;
  putInt16(buf, pos + ATTRIBUTES_OFFSET, h.attributes);
  putInt32(buf, pos + LAST_OFFSET_DELTA_OFFSET, h.lastOffsetDelta);
  putInt64(buf, pos + BASE_TIMESTAMP_OFFSET, h.baseTimestamp);
  putInt64(buf, pos + MAX_TIMESTAMP_OFFSET, h.maxTimestamp);
  putInt64(buf, pos + PRODUCER_ID_OFFSET, h.producerId);
  putInt16(buf, pos + PRODUCER_EPOCH_OFFSET, h.producerEpoch);
  putInt32(buf, pos + BASE_SEQUENCE_OFFSET, h.baseSequence);
  putInt32(buf, pos + RECORD_COUNT_OFFSET, h.recordCount);
}

/** Computes and stores the CRC32C of the complete batch of `size` bytes at `pos` (attributes to the end). */
export function writeBatchCrc(buf: Uint8Array, pos: number, size: number): void {
  putInt32(buf, pos + CRC_OFFSET, crc32c(buf.subarray(pos + ATTRIBUTES_OFFSET, pos + size)));
}

// ---------------------------------------------------------------------------------------------------------------
// Control records (transactions). A control batch (ATTR_CONTROL, always also ATTR_TRANSACTIONAL for markers) holds
// one record whose key is version int16 + type int16 (Kafka's ControlRecordType) and, for a COMMIT or ABORT
// marker, whose value is version int16 + coordinatorEpoch int32 (Kafka's EndTransactionMarker). Constants and
// readers only: nothing writes or interprets markers yet.

/** Bytes of a control record key (version 0): version int16 + type int16. */
export const CONTROL_KEY_SIZE = 4;
export const CONTROL_KEY_VERSION = 0;
/** Type ids of the transaction markers (Kafka's ControlRecordType; other ids are KRaft-internal). */
export const ControlRecordType = { ABORT: 0, COMMIT: 1 } as const;
export type ControlRecordType = typeof ControlRecordType[keyof typeof ControlRecordType];
/** Bytes of an end-transaction marker value (version 0): version int16 + coordinatorEpoch int32. */
export const END_TXN_MARKER_SIZE = 6;
export const END_TXN_MARKER_VERSION = 0;

export interface ControlRecordKey {
  readonly version: number;
  /** A ControlRecordType, or another id this gateway does not use. */
  readonly type: number;
}

export interface EndTxnMarker {
  readonly version: number;
  readonly coordinatorEpoch: number;
}

/**
 * `bytes` (a control record's key or a marker's value) once it holds at least `size` bytes and its leading int16
 * version is not negative (Kafka's checks); INVALID_RECORD otherwise.
 */
function checkedControl(bytes: Uint8Array | null, size: number, what: string): Uint8Array {
  if (bytes === null || bytes.length < size) {
    throw new KafkaError(
      ErrorCode.INVALID_RECORD,
      `${what} of ${bytes?.length ?? "null"} bytes, expected at least ${size}`,
    );
  }
  const version = getInt16(bytes, 0);
  if (version < 0) throw new KafkaError(ErrorCode.INVALID_RECORD, `${what} version ${version}`);
  return bytes;
}

/**
 * The key of a control record (Kafka's ControlRecordType.parse): INVALID_RECORD when it is null, shorter than 4
 * bytes or of a negative version; a newer version is read like version 0 (its first 4 bytes keep their meaning).
 */
export function readControlRecordKey(key: Uint8Array | null): ControlRecordKey {
  const k = checkedControl(key, CONTROL_KEY_SIZE, "control record key");
  return { version: getInt16(k, 0), type: getInt16(k, 2) };
}

/** The value of a COMMIT/ABORT marker (Kafka's EndTransactionMarker), checked the same way (6 bytes). */
export function readEndTxnMarker(value: Uint8Array | null): EndTxnMarker {
  const v = checkedControl(value, END_TXN_MARKER_SIZE, "end transaction marker");
  return { version: getInt16(v, 0), coordinatorEpoch: getInt32(v, 2) };
}
