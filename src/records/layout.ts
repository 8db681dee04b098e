// RecordBatch v2 (magic 2) header layout, attribute bits and a typed header reader. Shared by batch.ts (validation,
// building, in-place patches), record.ts (decoding) and legacy.ts (conversion) without import cycles.

import { getInt32, getInt64 } from "../protocol/codec.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";

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

// Attribute bits.
export const ATTR_COMPRESSION_MASK = 0x07;
export const ATTR_TIMESTAMP_TYPE = 0x08;
export const ATTR_TRANSACTIONAL = 0x10;
export const ATTR_CONTROL = 0x20;
export const ATTR_DELETE_HORIZON = 0x40;

export const TimestampType = { CREATE_TIME: 0, LOG_APPEND_TIME: 1 } as const;
export type TimestampType = typeof TimestampType[keyof typeof TimestampType];

/** Kafka's NO_TIMESTAMP / NO_PRODUCER_ID / NO_SEQUENCE / NO_PARTITION_LEADER_EPOCH sentinel. */
export const NO_VALUE = -1;

export interface BatchHeader {
  readonly baseOffset: number;
  readonly batchLength: number;
  readonly partitionLeaderEpoch: number;
  readonly magic: number;
  /** Stored CRC32C as an unsigned number. */
  readonly crc: number;
  readonly attributes: number;
  readonly lastOffsetDelta: number;
  readonly baseTimestamp: number;
  readonly maxTimestamp: number;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly recordCount: number;
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
  if (magic !== 2) {
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
