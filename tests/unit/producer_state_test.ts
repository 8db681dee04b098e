// Idempotent producers: the sequence rules of PartitionProducerState (duplicates, gaps, epochs, wrap-around,
// in-flight retries, failed appends), snapshots and log replay, and ProducerManager (durable id allocation,
// KIP-360 epoch bumps, state rebuilt after a restart with and without a snapshot) over the embedded log.
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { ErrorCode, KafkaError } from "../../src/protocol/errors.ts";
import {
  BATCHES_PER_PRODUCER,
  type IdempotentBatch,
  lastSequence,
  PartitionProducerState,
  type Reservation,
} from "../../src/producer/state.ts";
import { idempotentBatchOf, ProducerManager } from "../../src/producer/manager.ts";
import { appendIdempotent, type AppendStorage } from "../../src/producer/append.ts";
import { EmbeddedStorage } from "../../src/storage/embedded/embedded.ts";
import { buildBatchSync, validateBatches } from "../../src/records/batch.ts";
import type { BatchInfo } from "../../src/records/batch_info.ts";
import type { AppendRequest, TopicMeta } from "../../src/storage/storage.ts";
import { logger } from "../../src/log.ts";

const T = 1_700_000_000_000;
const TOPIC_ID = "0123456789abcdef0123456789abcdef";

function batch(
  producerId: number,
  producerEpoch: number,
  baseSequence: number,
  records = 1,
): IdempotentBatch {
  return { producerId, producerEpoch, baseSequence, lastOffsetDelta: records - 1, maxTimestamp: T };
}

function codeOf(f: () => unknown): number {
  try {
    f();
  } catch (e) {
    if (e instanceof KafkaError) return e.code;
    throw e;
  }
  throw new Error("expected a KafkaError");
}

/** check() that must accept; completes the append at `offset`. */
function accept(s: PartitionProducerState, b: IdempotentBatch, offset: number): void {
  const v = s.check(b, T);
  assertEquals(v.kind, "append", `batch seq ${b.baseSequence} accepted`);
  if (v.kind === "append") s.complete(v.reservation, offset);
}

function reserve(s: PartitionProducerState, b: IdempotentBatch): Reservation {
  const v = s.check(b, T);
  if (v.kind !== "append") throw new Error("expected a reservation");
  return v.reservation;
}

Deno.test("sequence: a new producer starts at any sequence, then must continue at lastSeq + 1", () => {
  const s = new PartitionProducerState("t-0");
  accept(s, batch(7, 0, 17, 3), 100); // unknown producer (Kafka 2.5+): accepted at 17
  accept(s, batch(7, 0, 20, 2), 103);
  assertEquals(codeOf(() => s.check(batch(7, 0, 23), T)), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER); // gap
  assertEquals(codeOf(() => s.check(batch(7, 0, 21), T)), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER); // overlap
  accept(s, batch(7, 0, 22), 105);
  // Another producer id has its own sequence.
  accept(s, batch(8, 0, 0), 106);
  assertEquals(s.entry(7)!.batches.map((b) => [b.firstSeq, b.lastSeq, b.firstOffset, b.lastOffset]), [
    [17, 19, 100, 102],
    [20, 21, 103, 104],
    [22, 22, 105, 105],
  ]);
});

Deno.test("sequence: a retry of any of the last five batches is a duplicate answered with its offsets", () => {
  const s = new PartitionProducerState("t-0");
  for (let i = 0; i < 7; i++) accept(s, batch(1, 0, i * 10, 10), 1000 + i * 10);
  assertEquals(s.entry(1)!.batches.length, BATCHES_PER_PRODUCER);
  for (let i = 2; i < 7; i++) {
    const v = s.check(batch(1, 0, i * 10, 10), T);
    assert(v.kind === "duplicate", `batch ${i} is a duplicate`);
    assertEquals([v.batch.firstOffset, v.batch.lastOffset], [1000 + i * 10, 1009 + i * 10]);
  }
  // Older than the cached five: out of order (Kafka never answers DUPLICATE_SEQUENCE_NUMBER here).
  assertEquals(codeOf(() => s.check(batch(1, 0, 10, 10), T)), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  // Same first sequence, different length: not a duplicate.
  assertEquals(codeOf(() => s.check(batch(1, 0, 60, 5), T)), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  // Nothing changed: the next batch still continues at 70.
  accept(s, batch(1, 0, 70), 2000);
});

Deno.test("sequence: stale epochs are fenced, a new epoch must start at 0", () => {
  const s = new PartitionProducerState("t-0");
  accept(s, batch(5, 3, 0, 5), 0);
  assertEquals(codeOf(() => s.check(batch(5, 2, 5), T)), ErrorCode.INVALID_PRODUCER_EPOCH);
  // Even an exact retry from the old epoch is fenced, not deduplicated.
  assertEquals(codeOf(() => s.check(batch(5, 2, 0, 5), T)), ErrorCode.INVALID_PRODUCER_EPOCH);
  assertEquals(codeOf(() => s.check(batch(5, 4, 5), T)), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  accept(s, batch(5, 4, 0, 2), 5); // bump (KIP-360): new epoch, sequence 0
  assertEquals(s.entry(5)!.epoch, 4);
  assertEquals(s.entry(5)!.batches.length, 1, "batches of the old epoch are dropped");
  assertEquals(codeOf(() => s.check(batch(5, 3, 5), T)), ErrorCode.INVALID_PRODUCER_EPOCH);
  accept(s, batch(5, 4, 2), 7);
});

Deno.test("sequence: wraps from 2^31-1 to 0", () => {
  const MAX = 2 ** 31 - 1;
  assertEquals(lastSequence(MAX - 2, 2), MAX);
  assertEquals(lastSequence(MAX - 1, 3), 1);
  assertEquals(lastSequence(MAX, 0), MAX);
  const s = new PartitionProducerState("t-0");
  accept(s, batch(1, 0, MAX - 1, 2), 0); // last sequence MAX
  accept(s, batch(1, 0, 0, 4), 2);
  const w = new PartitionProducerState("t-1");
  accept(w, batch(1, 0, MAX - 1, 4), 0); // wraps inside the batch: last sequence 1
  assertEquals(w.entry(1)!.batches[0].lastSeq, 1);
  accept(w, batch(1, 0, 2), 4);
});

Deno.test("sequence: a retry while the original append is in flight waits for its offset", async () => {
  const s = new PartitionProducerState("t-0");
  const r = reserve(s, batch(3, 0, 0, 2));
  // Pipelined next batch validates against the in-flight one.
  const r2 = reserve(s, batch(3, 0, 2, 1));
  const dup = s.check(batch(3, 0, 0, 2), T);
  assert(dup.kind === "duplicate" && dup.batch.pending !== null);
  let done = false;
  const waited = dup.batch.pending!.then(() => (done = true));
  await Promise.resolve();
  assert(!done, "still pending");
  s.complete(r, 40);
  await waited;
  assertEquals([dup.batch.firstOffset, dup.batch.lastOffset], [40, 41]);
  s.complete(r2, 42);
});

Deno.test("sequence: a failed append is forgotten, so its retry is accepted again", () => {
  const s = new PartitionProducerState("t-0");
  // First batch of an unknown producer fails: the producer is forgotten entirely.
  s.abort(reserve(s, batch(9, 0, 5)));
  assertEquals(s.entry(9), undefined);
  accept(s, batch(9, 0, 5), 0);
  // A later batch fails: its retry continues the sequence.
  s.abort(reserve(s, batch(9, 0, 6, 3)));
  assertEquals(s.entry(9)!.batches.length, 1);
  accept(s, batch(9, 0, 6, 3), 1);
  // A failed epoch bump restores the previous epoch and its batches.
  s.abort(reserve(s, batch(9, 1, 0)));
  assertEquals(s.entry(9)!.epoch, 0);
  const dup = s.check(batch(9, 0, 6, 3), T);
  assert(dup.kind === "duplicate");
});

Deno.test("snapshot: round trip, in-flight batches excluded, lost log tail dropped, foreign or corrupt ignored", () => {
  const s = new PartitionProducerState("t-0", 0);
  accept(s, batch(1, 2, 0, 10), 0);
  accept(s, batch(1, 2, 10, 10), 10);
  accept(s, batch(2, 0, 100), 20);
  const inflight = reserve(s, batch(2, 0, 101));
  assertEquals(s.snapshotOffset(), 21, "in-flight append lands at or after the completed end");
  const snap = s.encodeSnapshot(TOPIC_ID, 0);
  s.complete(inflight, 21);
  assertEquals(s.snapshotOffset(), 22);

  const r = new PartitionProducerState("t-0");
  assertEquals(r.restoreSnapshot(snap, TOPIC_ID, 0, 1000), 21);
  assertEquals(r.entry(1)!.epoch, 2);
  assertEquals(r.entry(1)!.batches.map((b) => [b.firstSeq, b.firstOffset]), [[0, 0], [10, 10]]);
  assertEquals(r.entry(2)!.batches.map((b) => b.lastSeq), [100]);
  const d = r.check(batch(1, 2, 10, 10), T);
  assert(d.kind === "duplicate" && d.batch.firstOffset === 10);

  // The log lost everything from offset 10 (crash with fsync interval): those batches are gone.
  const t = new PartitionProducerState("t-0");
  assertEquals(t.restoreSnapshot(snap, TOPIC_ID, 0, 10), 10);
  assertEquals(t.entry(1)!.batches.length, 1);
  assertEquals(t.entry(2), undefined, "a producer left without batches is forgotten");

  assertEquals(new PartitionProducerState("x").restoreSnapshot(snap, "f".repeat(32), 0, 1000), null);
  assertEquals(new PartitionProducerState("x").restoreSnapshot(snap, TOPIC_ID, 1, 1000), null);
  const bad = snap.slice();
  bad[bad.length - 3] ^= 0xff;
  assertEquals(new PartitionProducerState("x").restoreSnapshot(bad, TOPIC_ID, 0, 1000), null);
  assertEquals(new PartitionProducerState("x").restoreSnapshot(new Uint8Array(3), TOPIC_ID, 0, 1000), null);
});

Deno.test("replay: stored batch headers rebuild the state; overlap with a snapshot is skipped", () => {
  const s = new PartitionProducerState("t-0");
  s.replay({ ...batch(4, 1, 0, 3), baseOffset: 0 }, T);
  s.replay({ ...batch(4, 1, 3, 3), baseOffset: 5 }, T);
  s.replay({ ...batch(4, 1, 3, 3), baseOffset: 5 }, T); // seen twice (snapshot overlap)
  s.replay({ ...batch(4, 0, 9), baseOffset: 9 }, T); // older epoch: ignored
  assertEquals(s.entry(4)!.batches.map((b) => [b.firstSeq, b.lastSeq, b.firstOffset]), [[0, 2, 0], [
    3,
    5,
    5,
  ]]);
  assertEquals(s.snapshotOffset(), 10);
  const d = s.check(batch(4, 1, 3, 3), T);
  assert(d.kind === "duplicate" && d.batch.firstOffset === 5);
  accept(s, batch(4, 1, 6), 10);
});

Deno.test("expiration drops idle producers", () => {
  const s = new PartitionProducerState("t-0");
  accept(s, batch(1, 0, 0), 0);
  assertEquals(s.expire(T + 1000, 1000), 1);
  assertEquals(s.entry(1), undefined);
  accept(s, batch(1, 0, 42), 1); // unknown again: any sequence
});

Deno.test("idempotentBatchOf: one batch with a producer id, or none", () => {
  const info = (producerId: number) => ({ producerId } as BatchInfo);
  assertEquals(idempotentBatchOf([info(-1)]), null);
  assertEquals(idempotentBatchOf([info(-1), info(-1)]), null);
  assertEquals(idempotentBatchOf([info(3)])!.producerId, 3);
  assertEquals(codeOf(() => idempotentBatchOf([info(3), info(3)])), ErrorCode.INVALID_RECORD);
});

// ---------------------------------------------------------------------------------------------------------
// ProducerManager over the embedded log.

function open(dir: string): EmbeddedStorage {
  return new EmbeddedStorage({ dataDir: dir, fsync: "interval", fsyncIntervalMs: 10, log: () => {} });
}

function request(producerId: number, epoch: number, seq: number, n = 1, value = "v"): AppendRequest {
  const payload = buildBatchSync({
    records: Array.from({ length: n }, (_, i) => ({
      offset: i,
      timestamp: Date.now(),
      key: null,
      value: new TextEncoder().encode(`${value}-${seq + i}`),
      headers: [],
    })),
    producerId,
    producerEpoch: epoch,
    baseSequence: seq,
  });
  return { payload, batches: validateBatches(payload) };
}

async function produce(
  storage: EmbeddedStorage,
  m: ProducerManager,
  t: TopicMeta,
  req: AppendRequest,
): Promise<{ baseOffset: number; duplicate: boolean }> {
  const r = await appendIdempotent(storage, m, t, 0, req, req.batches[0]);
  return { baseOffset: r.baseOffset, duplicate: r.duplicate !== null };
}

Deno.test("manager: producer ids are allocated durably, epochs bumped on re-init (KIP-360)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "producer_test_" });
  try {
    let storage = open(dir);
    await storage.open();
    let m = new ProducerManager(storage, { log: logger("test"), idBlockSize: 10 });
    const a = await m.initProducerId(-1, -1);
    const b = await m.initProducerId(-1, -1);
    assertEquals([a.producerEpoch, b.producerId], [0, a.producerId + 1]);
    // Bump: same id, next epoch; a retry of the same request gets the same answer.
    assertEquals(await m.initProducerId(a.producerId, 0), { producerId: a.producerId, producerEpoch: 1 });
    assertEquals(await m.initProducerId(a.producerId, 0), { producerId: a.producerId, producerEpoch: 1 });
    assertEquals(await m.initProducerId(a.producerId, 1), { producerId: a.producerId, producerEpoch: 2 });
    // Older than the current epoch (and not a retry): fenced.
    let code = 0;
    await m.initProducerId(a.producerId, 0).catch((e) => (code = (e as KafkaError).code));
    assertEquals(code, ErrorCode.PRODUCER_FENCED);
    // Only one of id/epoch set: INVALID_REQUEST.
    await m.initProducerId(a.producerId, -1).catch((e) => (code = (e as KafkaError).code));
    assertEquals(code, ErrorCode.INVALID_REQUEST);
    // An id never issued is not adopted: a fresh id instead.
    const c = await m.initProducerId(999_999, 3);
    assertEquals(c, { producerId: b.producerId + 1, producerEpoch: 0 });
    // Epoch exhausted: a fresh id.
    assertEquals((await m.initProducerId(b.producerId, 32766)).producerEpoch, 0);
    for (let i = 0; i < 12; i++) await m.initProducerId(-1, -1); // crosses a block boundary
    const last = await m.initProducerId(-1, -1);
    await m.close();
    await storage.close();

    storage = open(dir);
    await storage.open();
    m = new ProducerManager(storage, { log: logger("test"), idBlockSize: 10 });
    const after = await m.initProducerId(-1, -1);
    assert(
      after.producerId > last.producerId,
      `ids are never reused (${after.producerId} > ${last.producerId})`,
    );
    // An id issued before the restart keeps its identity and gets its epoch bumped.
    assertEquals(await m.initProducerId(a.producerId, 2), { producerId: a.producerId, producerEpoch: 3 });
    await m.close();
    await storage.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

for (const snapshot of [false, true]) {
  Deno.test(`manager: sequence state survives a restart (${snapshot ? "snapshot + tail" : "log replay only"})`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "producer_test_" });
    try {
      let storage = open(dir);
      await storage.open();
      let t = await storage.createTopic("idem", 1, {});
      await storage.append("idem", 0, request(-1, -1, -1)); // a non-idempotent batch first
      let m = new ProducerManager(storage, { log: logger("test") });
      const { producerId } = await m.initProducerId(-1, -1);
      for (let i = 0; i < 8; i++) {
        assertEquals(await produce(storage, m, t, request(producerId, 0, i * 2, 2)), {
          baseOffset: 1 + i * 2,
          duplicate: false,
        });
      }
      if (snapshot) await m.snapshotAll();
      // More batches after the snapshot: replayed from the log.
      assertEquals((await produce(storage, m, t, request(producerId, 0, 16, 2))).baseOffset, 17);
      assertEquals((await produce(storage, m, t, request(producerId, 0, 18, 2))).baseOffset, 19);
      // Crash: no close(), so no final snapshot. Without any snapshot the whole log is replayed.
      await storage.close();
      if (!snapshot) await Deno.remove(join(dir, "idem-0", "producer.snapshot"));

      storage = open(dir);
      await storage.open();
      t = storage.getTopic("idem")!;
      m = new ProducerManager(storage, { log: logger("test") });
      // Retry of the last batch before the restart: deduplicated with its original offset.
      assertEquals(await produce(storage, m, t, request(producerId, 0, 18, 2)), {
        baseOffset: 19,
        duplicate: true,
      });
      assertEquals(await produce(storage, m, t, request(producerId, 0, 12, 2)), {
        baseOffset: 13,
        duplicate: true,
      });
      assertEquals((await storage.offsets("idem", 0)).highWatermark, 21, "nothing written twice");
      // A gap and a stale epoch are still detected.
      let code = 0;
      await produce(storage, m, t, request(producerId, 0, 25)).catch((e) => (code = (e as KafkaError).code));
      assertEquals(code, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
      // The same producer continues where it was.
      assertEquals(await produce(storage, m, t, request(producerId, 0, 20, 1)), {
        baseOffset: 21,
        duplicate: false,
      });
      await m.close();
      await storage.close();

      // A clean shutdown wrote a snapshot: the next start replays nothing.
      storage = open(dir);
      await storage.open();
      t = storage.getTopic("idem")!;
      m = new ProducerManager(storage, { log: logger("test") });
      const state = await m.partition(t, 0);
      assertEquals(state.snapshotOffset(), 22);
      assertEquals(state.entry(producerId)!.batches.at(-1)!.lastSeq, 20);
      // Other producers' appends move the replay start of the next snapshot along (short crash recovery).
      for (let i = 0; i < 3; i++) await storage.append("idem", 0, request(-1, -1, -1));
      await m.snapshotAll();
      const again = new ProducerManager(storage, { log: logger("test") });
      assertEquals((await again.partition(t, 0)).snapshotOffset(), 25);
      await m.close();
      await storage.close();
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("manager: a partition written only by plain producers gets a snapshot that follows its log end", async () => {
  const dir = await Deno.makeTempDir({ prefix: "producer_test_" });
  try {
    let storage = open(dir);
    await storage.open();
    const t = await storage.createTopic("plain", 1, {});
    await storage.createTopic("unfollowed", 1, {});
    const store = storage.producerStateStore();
    let m = new ProducerManager(storage, { log: logger("test") });
    for (let i = 0; i < 5; i++) {
      await storage.append("plain", 0, request(-1, -1, -1, 3));
      m.follow(t, 0, (i + 1) * 3); // as the produce handler does after each plain append
      await storage.append("unfollowed", 0, request(-1, -1, -1, 3));
    }
    // The load started by the first append wrote a snapshot; the state is loaded once, not per append.
    assertEquals((await m.partition(t, 0)).size, 0);
    assert(await store.loadProducerSnapshot("plain", 0) !== null, "a snapshot after the first plain append");
    assertEquals(await store.loadProducerSnapshot("unfollowed", 0), null, "nothing loaded, nothing saved");
    await m.close();
    m.follow(t, 0, 15); // closed: nothing happens, nothing throws
    await storage.close();

    // The next start (or the next leader) loads from a snapshot at the log end: no replay of 15 records.
    storage = open(dir);
    await storage.open();
    m = new ProducerManager(storage, { log: logger("test") });
    assertEquals((await storage.offsets("plain", 0)).highWatermark, 15);
    const saved = await storage.producerStateStore().loadProducerSnapshot("plain", 0);
    const probe = new PartitionProducerState("plain-0");
    assertEquals(probe.restoreSnapshot(saved!, t.id, 0, 15), 15, "the final snapshot is at the log end");
    assertEquals((await m.partition(storage.getTopic("unfollowed")!, 0)).snapshotOffset(), 15);
    await m.close();
    await storage.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("append step: check -> append -> state update runs for one idempotent batch per partition at a time", async () => {
  const dir = await Deno.makeTempDir({ prefix: "producer_test_" });
  try {
    const storage = open(dir);
    await storage.open();
    const t = await storage.createTopic("serial", 1, {});
    const m = new ProducerManager(storage, { log: logger("test") });
    const { producerId } = await m.initProducerId(-1, -1);
    // A backend whose append awaits (as SeaweedMQ's does) and can be made to fail.
    const calls: number[] = [];
    let hold = Promise.withResolvers<void>();
    let fail = false;
    const slow: AppendStorage = {
      append: async (topic, partition, req) => {
        calls.push(req.batches[0].baseSequence);
        await hold.promise;
        if (fail) throw new KafkaError(ErrorCode.REQUEST_TIMED_OUT, "publish timed out");
        return await storage.append(topic, partition, req);
      },
      offsets: (topic, partition) => storage.offsets(topic, partition),
    };
    const send = (seq: number) => {
      const req = request(producerId, 0, seq);
      return appendIdempotent(slow, m, t, 0, req, req.batches[0]);
    };
    hold.resolve();
    assertEquals((await send(0)).baseOffset, 0); // loads the state
    // Idle queue: the append is issued in the caller's tick, as before the queue existed.
    hold = Promise.withResolvers<void>();
    const first = send(1);
    assertEquals(calls, [0, 1]);
    // The next batch waits for the first one's outcome before it is even checked.
    const second = send(2);
    await new Promise((r) => setTimeout(r, 10));
    assertEquals(calls, [0, 1], "no second append while the first is in flight");
    fail = true;
    hold.resolve();
    let code = 0;
    await first.catch((e) => (code = (e as KafkaError).code));
    assertEquals(code, ErrorCode.REQUEST_TIMED_OUT);
    // Checked against what was stored (seq 0): a gap, refused instead of stored behind the failed batch.
    await second.catch((e) => (code = (e as KafkaError).code));
    assertEquals(code, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    assertEquals(calls, [0, 1]);
    // The producer's retries then go through in order, and a retry of a stored batch is a duplicate.
    fail = false;
    assertEquals((await send(1)).baseOffset, 1);
    const [a, b] = await Promise.all([send(2), send(2)]);
    assertEquals([a.baseOffset, a.duplicate, b.baseOffset, b.duplicate !== null], [2, null, 2, true]);
    assertEquals((await storage.offsets("serial", 0)).highWatermark, 3);
    await m.close();
    await storage.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
