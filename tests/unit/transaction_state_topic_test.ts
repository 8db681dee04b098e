// The `__transaction_state` records (Kafka's transaction log format, checked against bytes assembled by hand in the
// field order of transaction-coordinator's TransactionLogKey/TransactionLogValue schemas) and the view
// (src/transactions/state_topic/view.ts) over a real embedded log, driven by a real TransactionCoordinator: every
// document write shown in order (Empty, Ongoing, PrepareCommit, CompleteCommit, ... with Kafka's status bytes), an
// expired id tombstoned, and the topic repaired against the documents when they are loaded.
import { assert, assertEquals } from "./assert.ts";
import {
  decodeTransactionLogRecord,
  transactionLogRecord,
  TXN_STATUS,
} from "../../src/transactions/state_topic/records.ts";
import { TransactionStateTopic } from "../../src/transactions/state_topic/view.ts";
import { TransactionCoordinator } from "../../src/transactions/coordinator.ts";
import type { MarkerOutcome, MarkerWriter, TxnMarker } from "../../src/transactions/contracts.ts";
import type { TxnMetadata } from "../../src/transactions/state.ts";
import { MemoryDocuments } from "../../src/storage/documents.ts";
import { EmbeddedStorage } from "../../src/storage/embedded/embedded.ts";
import type { Storage } from "../../src/storage/storage.ts";
import { SoloCluster } from "../../src/cluster/solo.ts";
import { type TopicPartitionRef, TRANSACTION_STATE_TOPIC } from "../../src/cluster/view.ts";
import { partitionForGroup } from "../../src/cluster/hash.ts";
import { ErrorCode } from "../../src/protocol/errors.ts";
import { logger } from "../../src/log.ts";
import { splitBatches } from "../../src/records/batch.ts";
import { decodeBatchRecords } from "../../src/records/record.ts";

const PARTITIONS = 4;

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
const utf8 = (s: string) => hex(new TextEncoder().encode(s));
const i8 = (n: number) => (n & 0xff).toString(16).padStart(2, "0");
const i16 = (n: number) => (n & 0xffff).toString(16).padStart(4, "0");
const i32 = (n: number) => (n >>> 0).toString(16).padStart(8, "0");
const i64 = (n: number) => BigInt.asUintN(64, BigInt(n)).toString(16).padStart(16, "0");
const str16 = (s: string) => i16(s.length) + utf8(s);

const meta = (extra: Partial<TxnMetadata> = {}): TxnMetadata => ({
  transactionalId: "tx-1",
  producerId: 4001,
  previousProducerId: -1,
  producerEpoch: 3,
  lastProducerEpoch: 2,
  timeoutMs: 60_000,
  state: "Ongoing",
  partitions: [{ topic: "a", partition: 0 }, { topic: "a", partition: 2 }, { topic: "b", partition: 1 }],
  startMs: 1_700_000_000_000,
  lastUpdateMs: 1_700_000_000_500,
  ...extra,
});

Deno.test("transaction state records: Kafka's TransactionLogKey v0 / TransactionLogValue v0 bytes, status ids", () => {
  // Kafka's TransactionState ids.
  assertEquals(
    [TXN_STATUS.Empty, TXN_STATUS.Ongoing, TXN_STATUS.PrepareCommit, TXN_STATUS.PrepareAbort],
    [0, 1, 2, 3],
  );
  assertEquals(
    [TXN_STATUS.CompleteCommit, TXN_STATUS.CompleteAbort, TXN_STATUS.Dead, TXN_STATUS.PrepareEpochFence],
    [4, 5, 6, 7],
  );
  const r = transactionLogRecord(meta());
  assertEquals(hex(r.key), "0000" + str16("tx-1"));
  // ProducerId, ProducerEpoch, TransactionTimeoutMs, TransactionStatus, TransactionPartitions (by topic),
  // TransactionLastUpdateTimestampMs, TransactionStartTimestampMs.
  assertEquals(
    hex(r.value!),
    "0000" + i64(4001) + i16(3) + i32(60_000) + i8(1) +
      i32(2) + str16("a") + i32(2) + i32(0) + i32(2) + str16("b") + i32(1) + i32(1) +
      i64(1_700_000_000_500) + i64(1_700_000_000_000),
  );
  assertEquals(r.timestamp, 1_700_000_000_500);
  // Empty: null partitions (as Kafka's valueToBytes), start -1.
  const e = transactionLogRecord(meta({ state: "Empty", partitions: [], startMs: -1 }));
  assertEquals(
    hex(e.value!),
    "0000" + i64(4001) + i16(3) + i32(60_000) + i8(0) + i32(-1) + i64(1_700_000_000_500) + i64(-1),
  );
  // CompleteCommit with no partitions left: an empty array.
  const c = transactionLogRecord(meta({ state: "CompleteCommit", partitions: [] }));
  assertEquals(
    hex(c.value!),
    "0000" + i64(4001) + i16(3) + i32(60_000) + i8(4) + i32(0) + i64(1_700_000_000_500) +
      i64(1_700_000_000_000),
  );
  const d = decodeTransactionLogRecord(r.key, r.value);
  assertEquals(d.transactionalId, "tx-1");
  assertEquals(d.value?.transactionPartitions, [{ topic: "a", partitionIds: [0, 2] }, {
    topic: "b",
    partitionIds: [1],
  }]);
  assertEquals(decodeTransactionLogRecord(r.key, null), { transactionalId: "tx-1", value: null });
});

Deno.test("transaction state records: a flexible v1 value (Kafka with transaction.version >= 1) decodes", () => {
  // v1: compact arrays/strings, struct tagged fields, then PreviousProducerId (tag 0), ClientTransactionVersion
  // (tag 2) and NextProducerEpoch (tag 3, Kafka 4's transactions V2) as tagged fields.
  const v1 = "0001" + i64(77) + i16(5) + i32(30_000) + i8(2) +
    "02" + "02" + utf8("t") + "02" + i32(9) + "00" +
    i64(1_700_000_000_900) + i64(1_700_000_000_100) +
    "03" + "00" + "08" + i64(76) + "02" + "02" + i16(2) + "03" + "02" + i16(6);
  const key = new Uint8Array(("0000" + str16("x")).match(/../g)!.map((h) => parseInt(h, 16)));
  const value = new Uint8Array(v1.match(/../g)!.map((h) => parseInt(h, 16)));
  const d = decodeTransactionLogRecord(key, value);
  assertEquals(d.transactionalId, "x");
  assertEquals(d.value, {
    version: 1,
    producerId: 77,
    previousProducerId: 76,
    nextProducerId: -1,
    producerEpoch: 5,
    nextProducerEpoch: 6,
    transactionTimeoutMs: 30_000,
    transactionStatus: 2,
    transactionPartitions: [{ topic: "t", partitionIds: [9] }],
    transactionLastUpdateTimestampMs: 1_700_000_000_900,
    transactionStartTimestampMs: 1_700_000_000_100,
    clientTransactionVersion: 2,
  });
});

class OkMarkers implements MarkerWriter {
  write(_m: TxnMarker, partitions: readonly TopicPartitionRef[]): Promise<MarkerOutcome[]> {
    return Promise.resolve(partitions.map((tp) => ({ ...tp, errorCode: ErrorCode.NONE })));
  }
}

interface Env {
  storage: EmbeddedStorage;
  view: TransactionStateTopic;
  c: TransactionCoordinator;
  close(): Promise<void>;
}

let nextPid = 5000;

async function env(dir: string, docs: MemoryDocuments, clock: { now: number }): Promise<Env> {
  const storage = new EmbeddedStorage({
    dataDir: dir,
    fsync: "interval",
    fsyncIntervalMs: 10,
    log: () => {},
  });
  await storage.open();
  const cluster = new SoloCluster({
    nodeId: 1,
    advertised: { host: "127.0.0.1", port: 9092 },
    offsetsTopicPartitions: PARTITIONS,
    topics: () => storage.listTopics(),
  });
  const view = new TransactionStateTopic({ storage, cluster, partitions: PARTITIONS, log: logger("test") });
  const t = await view.open();
  assertEquals(t.partitions, PARTITIONS);
  const c = new TransactionCoordinator({
    documents: docs,
    producerIds: { newProducerId: () => Promise.resolve(nextPid++) },
    cluster,
    markers: new OkMarkers(),
    log: logger("test-txn"),
    offsetsPartitions: PARTITIONS,
    markerRetryMs: 1,
    endTxnWaitMs: 1_000,
    abortCheckIntervalMs: 3_600_000,
    expirationCheckIntervalMs: 3_600_000,
    idExpirationMs: 60_000,
    now: () => clock.now,
    mirror: view,
  });
  await c.start();
  return {
    storage,
    view,
    c,
    close: async () => {
      await c.close(); // closes the view too
      await storage.close();
    },
  };
}

interface Shown {
  offset: number;
  id: string;
  status: number | null;
  epoch: number | null;
  partitions: string[] | null;
}

/** Every record of the id's partition, decoded, in offset order. */
async function shown(storage: Storage, id: string): Promise<Shown[]> {
  const p = partitionForGroup(id, PARTITIONS);
  const { logStartOffset, highWatermark } = await storage.offsets(TRANSACTION_STATE_TOPIC, p);
  const out: Shown[] = [];
  let offset = logStartOffset;
  while (offset < highWatermark) {
    // One read per segment (a restart rolls a new one): read on from the last record seen.
    const r = await storage.read(TRANSACTION_STATE_TOPIC, p, offset, 64 << 20, true);
    const before = offset;
    for (const chunk of r.batches) {
      for (const b of splitBatches(chunk)) {
        for (const rec of (await decodeBatchRecords(chunk.subarray(b.pos, b.pos + b.size))).records) {
          if (rec.offset < offset) continue;
          offset = rec.offset + 1;
          const d = decodeTransactionLogRecord(rec.key!, rec.value);
          out.push({
            offset: rec.offset,
            id: d.transactionalId,
            status: d.value?.transactionStatus ?? null,
            epoch: d.value?.producerEpoch ?? null,
            partitions: d.value === null
              ? null
              : (d.value.transactionPartitions ?? []).flatMap((t) =>
                t.partitionIds.map((i) => `${t.topic}-${i}`)
              ),
          });
        }
      }
    }
    if (offset === before) break;
  }
  return out;
}

async function until(what: string, ok: () => Promise<boolean>, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!await ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

Deno.test("transaction state view: every document write shown in order; expiry tombstones; repaired on load", async () => {
  const dir = await Deno.makeTempDir({ prefix: "txn_state_topic_test_" });
  const docs = new MemoryDocuments();
  const clock = { now: 1_700_000_000_000 };
  const id = "view-tx";
  let e = await env(dir, docs, clock);
  try {
    const { producerId, producerEpoch } = await e.c.initProducerId(id, 30_000, null);
    await e.c.addPartitions(id, producerId, producerEpoch, [{ topic: "t", partition: 1 }]);
    await e.c.addPartitions(id, producerId, producerEpoch, [{ topic: "t", partition: 0 }]);
    await e.c.endTransaction(id, producerId, producerEpoch, true);
    // Complete* is written a moment later (the coordinator defers it): shown once written.
    await until("CompleteCommit", async () => (await shown(e.storage, id)).some((r) => r.status === 4));
    await e.c.addPartitions(id, producerId, producerEpoch, [{ topic: "u", partition: 0 }]);
    await e.c.endTransaction(id, producerId, producerEpoch, false);
    await until("CompleteAbort", async () => (await shown(e.storage, id)).some((r) => r.status === 5));
    const seq = await shown(e.storage, id);
    assertEquals(seq.map((r) => r.status), [0, 1, 1, 2, 4, 1, 3, 5], JSON.stringify(seq));
    assertEquals(seq.map((r) => r.partitions), [
      [],
      ["t-1"],
      ["t-0", "t-1"],
      ["t-0", "t-1"],
      [],
      ["u-0"],
      ["u-0"],
      [],
    ]);
    assert(seq.every((r) => r.id === id && r.epoch === producerEpoch));
    assertEquals(seq.map((r) => r.offset), seq.map((_, i) => i), "one partition, in order");

    // A restart over the same documents and log: nothing to repair, nothing appended.
    await e.close();
    e = await env(dir, docs, clock);
    await new Promise((r) => setTimeout(r, 200));
    assertEquals((await shown(e.storage, id)).length, 8);

    // Expiry: the document is deleted, the topic shows a tombstone.
    clock.now += 120_000;
    await e.c.expireIds();
    await until("the tombstone", async () => (await shown(e.storage, id)).length === 9);
    assertEquals((await shown(e.storage, id))[8].status, null);
    await e.close();

    // A fresh log (the view lost) over documents holding another id: the load repairs it from the documents.
    const fresh = await Deno.makeTempDir({ prefix: "txn_state_topic_test_" });
    try {
      e = await env(dir, docs, clock);
      const other = "view-tx-2";
      const p = await e.c.initProducerId(other, 30_000, null);
      await e.c.addPartitions(other, p.producerId, p.producerEpoch, [{ topic: "t", partition: 2 }]);
      await e.close();
      e = await env(fresh, docs, clock);
      await until("the repair", async () => (await shown(e.storage, other)).length === 1);
      const r = await shown(e.storage, other);
      assertEquals([r[0].status, r[0].partitions], [1, ["t-2"]]);
    } finally {
      await Deno.remove(fresh, { recursive: true }).catch(() => {});
    }
  } finally {
    await e.close().catch(() => {});
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
