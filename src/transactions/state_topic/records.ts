// The records of `__transaction_state` in Kafka's transaction log format (transaction-coordinator's TransactionLogKey
// and TransactionLogValue "data" schemas, as kafka.coordinator.transaction.TransactionLog writes them), so that
// Kafka's TransactionLogMessageFormatter and home-grown readers decode them unchanged. Key: int16 version 0, then
// the transactional id; a null value is a tombstone (the id expired).
// Value version written: 0, as Kafka 3.x/4.x writes it while the cluster's transaction.version feature is 0 (v1,
// flexible, only from transaction.version 1, which the gateway does not advertise). Decoding accepts 0 and 1.
import { Reader, Writer } from "../../protocol/codec.ts";
import { arrayOf, compileData, type DataOf, defineData, field } from "../../protocol/schema.ts";
import type { DerivedRecord } from "../../internal_topics/derived_topic.ts";
import type { TxnMetadata, TxnState } from "../state.ts";

export const TransactionLogKeySpec = defineData({
  name: "TransactionLogKey",
  minVersion: 0,
  maxVersion: 0,
  flexibleFrom: Infinity,
  fields: [field("transactionalId", "string")],
});

export const TransactionLogValueSpec = defineData({
  name: "TransactionLogValue",
  minVersion: 0,
  maxVersion: 1,
  flexibleFrom: 1,
  fields: [
    field("producerId", "int64"),
    field("previousProducerId", "int64", "1+", { tag: 0, taggedVersions: "1+", default: -1 }),
    field("nextProducerId", "int64", "1+", { tag: 1, taggedVersions: "1+", default: -1 }),
    field("producerEpoch", "int16"),
    // Kafka 4 (transactions V2) records the epoch a commit or abort bumps to; kept when read, never written here
    field("nextProducerEpoch", "int16", "1+", { tag: 3, taggedVersions: "1+", default: -1 }),
    field("transactionTimeoutMs", "int32"),
    field("transactionStatus", "int8"),
    field(
      "transactionPartitions",
      arrayOf([field("topic", "string"), field("partitionIds", arrayOf("int32"))]),
      "0+",
      { nullable: "0+" },
    ),
    field("transactionLastUpdateTimestampMs", "int64"),
    field("transactionStartTimestampMs", "int64"),
    field("clientTransactionVersion", "int16", "1+", { tag: 2, taggedVersions: "1+", default: 0 }),
  ],
});

export type TransactionLogValue = DataOf<typeof TransactionLogValueSpec>;

const keyCodec = compileData(TransactionLogKeySpec);
const valueCodec = compileData(TransactionLogValueSpec);

const KEY_VERSION = 0;
const VALUE_VERSION = 0;

/** Kafka's TransactionState ids (kafka.coordinator.transaction.TransactionState.id), the TransactionStatus byte. */
export const TXN_STATUS: Readonly<Record<TxnState, number>> = {
  Empty: 0,
  Ongoing: 1,
  PrepareCommit: 2,
  PrepareAbort: 3,
  CompleteCommit: 4,
  CompleteAbort: 5,
  Dead: 6,
  PrepareEpochFence: 7,
};

export function transactionLogKey(transactionalId: string): Uint8Array {
  const w = new Writer(32).int16(KEY_VERSION);
  keyCodec.encode(w, KEY_VERSION, { transactionalId });
  return w.finish();
}

/**
 * The record of a transactional id's state (timestamped with its last update, the time Kafka appends it). As
 * Kafka's valueToBytes: an Empty state has null partitions; otherwise the partitions grouped by topic.
 */
export function transactionLogRecord(m: TxnMetadata): DerivedRecord {
  let partitions: { topic: string; partitionIds: number[] }[] | null = null;
  if (m.state !== "Empty") {
    const byTopic = new Map<string, number[]>();
    for (const tp of m.partitions) {
      let ids = byTopic.get(tp.topic);
      if (ids === undefined) byTopic.set(tp.topic, ids = []);
      ids.push(tp.partition);
    }
    partitions = [...byTopic].map(([topic, partitionIds]) => ({ topic, partitionIds }));
  }
  const w = new Writer(64).int16(VALUE_VERSION);
  valueCodec.encode(w, VALUE_VERSION, {
    producerId: m.producerId,
    previousProducerId: m.previousProducerId,
    nextProducerId: -1,
    producerEpoch: m.producerEpoch,
    transactionTimeoutMs: m.timeoutMs,
    transactionStatus: TXN_STATUS[m.state],
    transactionPartitions: partitions,
    transactionLastUpdateTimestampMs: m.lastUpdateMs,
    transactionStartTimestampMs: m.startMs,
    clientTransactionVersion: 0,
  });
  return { key: transactionLogKey(m.transactionalId), value: w.finish(), timestamp: m.lastUpdateMs };
}

/** A record of the topic, decoded (value null: a tombstone); throws DecodeError on an unknown version. */
export function decodeTransactionLogRecord(
  key: Uint8Array,
  value: Uint8Array | null,
): { transactionalId: string; value: (TransactionLogValue & { readonly version: number }) | null } {
  const kr = new Reader(key);
  const k = keyCodec.decode(kr, kr.int16());
  if (value === null) return { transactionalId: k.transactionalId, value: null };
  const vr = new Reader(value);
  const version = vr.int16();
  return { transactionalId: k.transactionalId, value: { ...valueCodec.decode(vr, version), version } };
}
