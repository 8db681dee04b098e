// Transaction markers as stored in a partition: a control batch (RecordBatch v2 with the transactional and control
// attributes) holding one record whose key is version int16 0 + type int16 (ABORT 0, COMMIT 1) and whose value is
// version int16 0 + coordinatorEpoch int32 (Kafka's EndTransactionMarker). The batch carries the producer id and
// epoch of the transaction it ends and no sequence (-1), like the markers Kafka's transaction coordinator writes.
import { putInt32 } from "../protocol/codec.ts";
import type { BatchInfo, ValidatedBatches } from "./batch_info.ts";
import { buildBatchSync } from "./batch.ts";
import {
  ATTR_COMPRESSION_MASK,
  ATTRIBUTES_OFFSET,
  CONTROL_KEY_SIZE,
  CONTROL_KEY_VERSION,
  ControlRecordType,
  END_TXN_MARKER_SIZE,
  END_TXN_MARKER_VERSION,
  getInt16,
  NO_VALUE,
  putInt16,
  readBatchHeader,
  readControlRecordKey,
  readEndTxnMarker,
  RECORDS_OFFSET,
  TimestampType,
} from "./layout.ts";
import { decodeRecords } from "./record.ts";

/** What a COMMIT or ABORT marker says (src/transactions/contracts.ts TxnMarker has the same shape). */
export interface MarkerFields {
  readonly producerId: number;
  readonly producerEpoch: number;
  /** true: COMMIT, false: ABORT. */
  readonly commit: boolean;
  readonly coordinatorEpoch: number;
}

/**
 * One control batch ending `m`'s transaction, validated in the shape Storage.append takes (the leader epoch is
 * stamped by the append step). `timestamp` is the marker's record and batch timestamp (Kafka: the append time);
 * `logAppendTime` marks it as LogAppendTime, as Kafka's LogValidator stamps every batch of such a topic.
 */
export function buildMarkerBatch(
  m: MarkerFields,
  timestamp: number,
  logAppendTime = false,
): ValidatedBatches {
  const key = new Uint8Array(CONTROL_KEY_SIZE);
  putInt16(key, 0, CONTROL_KEY_VERSION);
  putInt16(key, 2, m.commit ? ControlRecordType.COMMIT : ControlRecordType.ABORT);
  const value = new Uint8Array(END_TXN_MARKER_SIZE);
  putInt16(value, 0, END_TXN_MARKER_VERSION);
  putInt32(value, 2, m.coordinatorEpoch);
  const payload = buildBatchSync({
    records: [{ key, value, timestamp, headers: [] }],
    baseTimestamp: timestamp,
    maxTimestamp: timestamp,
    producerId: m.producerId,
    producerEpoch: m.producerEpoch,
    baseSequence: NO_VALUE,
    isTransactional: true,
    isControl: true,
    timestampType: logAppendTime ? TimestampType.LOG_APPEND_TIME : TimestampType.CREATE_TIME,
  });
  const info: BatchInfo = {
    pos: 0,
    size: payload.length,
    recordCount: 1,
    lastOffsetDelta: 0,
    baseTimestamp: timestamp,
    maxTimestamp: timestamp,
    attributes: getInt16(payload, ATTRIBUTES_OFFSET),
    producerId: m.producerId,
    producerEpoch: m.producerEpoch,
    baseSequence: NO_VALUE,
  };
  return { payload, batches: [info] };
}

/** A stored marker as read back: its type and the coordinator epoch it was written under. */
export interface StoredMarker {
  readonly commit: boolean;
  readonly coordinatorEpoch: number;
}

/**
 * The COMMIT/ABORT marker in the whole control batch `batch` (a view of exactly one batch), or null when it holds
 * another control record type, no record, or is compressed (markers are written uncompressed, by Kafka too).
 * Throws KafkaError(INVALID_RECORD / CORRUPT_MESSAGE) for a malformed record.
 */
export function readMarkerBatch(batch: Uint8Array): StoredMarker | null {
  const h = readBatchHeader(batch, 0);
  if (!h.isControl || h.recordCount < 1 || (h.attributes & ATTR_COMPRESSION_MASK) !== 0) return null;
  const first = decodeRecords(batch.subarray(RECORDS_OFFSET, batch.length), h)[0];
  const key = readControlRecordKey(first.key);
  if (key.type !== ControlRecordType.ABORT && key.type !== ControlRecordType.COMMIT) return null;
  return {
    commit: key.type === ControlRecordType.COMMIT,
    coordinatorEpoch: readEndTxnMarker(first.value).coordinatorEpoch,
  };
}
