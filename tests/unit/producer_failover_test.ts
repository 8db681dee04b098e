// Idempotent-producer state follows partition leadership: the gateway that loses a partition snapshots and unloads
// its state; the one that gains it loads snapshot + log replay on the first idempotent produce, so retries of
// batches the previous leader stored are still recognized. Two ProducerManagers over one embedded log stand for
// two gateways over one SeaweedMQ cluster.
import { assert, assertEquals } from "./assert.ts";
import { EmbeddedStorage } from "../../src/storage/embedded/embedded.ts";
import type { AppendRequest, TopicMeta } from "../../src/storage/storage.ts";
import { ProducerManager } from "../../src/producer/manager.ts";
import { PartitionProducerState } from "../../src/producer/state.ts";
import { appendIdempotent } from "../../src/producer/append.ts";
import { buildBatchSync, validateBatches } from "../../src/records/batch.ts";
import { ErrorCode, KafkaError } from "../../src/protocol/errors.ts";
import { logger } from "../../src/log.ts";
import { FakeLeaderCluster } from "./fake_leader_cluster.ts";

function request(producerId: number, epoch: number, seq: number, n = 2): AppendRequest {
  const payload = buildBatchSync({
    records: Array.from({ length: n }, (_, i) => ({
      offset: i,
      timestamp: Date.now(),
      key: null,
      value: new TextEncoder().encode(`v-${seq + i}`),
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
): Promise<{ baseOffset: number; duplicate: boolean } | number> {
  try {
    const r = await appendIdempotent(storage, m, t, 0, req, req.batches[0]);
    return { baseOffset: r.baseOffset, duplicate: r.duplicate !== null };
  } catch (e) {
    if (e instanceof KafkaError) return e.code;
    throw e;
  }
}

/** A gateway's producer manager on its own fake cluster view. */
function gateway(storage: EmbeddedStorage) {
  const cluster = new FakeLeaderCluster();
  const m = new ProducerManager(storage, { log: logger("test"), cluster });
  cluster.addParticipant(m);
  return { m, cluster };
}

/** Two gateways' producer managers over one embedded log in a fresh directory, closed and removed after `fn`. */
async function withTwoGateways(
  fn: (
    storage: EmbeddedStorage,
    A: ReturnType<typeof gateway>,
    B: ReturnType<typeof gateway>,
  ) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "producer_failover_" });
  const storage = new EmbeddedStorage({
    dataDir: dir,
    fsync: "interval",
    fsyncIntervalMs: 10,
    log: () => {},
  });
  await storage.open();
  const A = gateway(storage);
  const B = gateway(storage);
  try {
    await fn(storage, A, B);
  } finally {
    await A.m.close();
    await B.m.close();
    await storage.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("producer state: release snapshots and unloads it; the next leader reloads snapshot + log", async () => {
  await withTwoGateways(async (storage, A, B) => {
    const t = await storage.createTopic("idem", 1, {});
    const { producerId } = await A.m.initProducerId(-1, -1);
    // Not served here yet: no state is loaded for it.
    assertEquals(await produce(storage, A.m, t, request(producerId, 0, 0)), ErrorCode.NOT_LEADER_OR_FOLLOWER);

    await A.cluster.gain("idem", [0], 1);
    for (let i = 0; i < 3; i++) {
      assertEquals(await produce(storage, A.m, t, request(producerId, 0, i * 2)), {
        baseOffset: i * 2,
        duplicate: false,
      });
    }
    const snapshots = async () => await storage.producerStateStore().loadProducerSnapshot("idem", 0);
    const before = await snapshots();

    await A.cluster.lose("idem", [0]);
    const after = await snapshots();
    assert(
      after !== null &&
        (before === null || after.length !== before.length || after.some((b, i) => b !== before[i])),
      "release wrote a snapshot",
    );
    assertEquals(await produce(storage, A.m, t, request(producerId, 0, 6)), ErrorCode.NOT_LEADER_OR_FOLLOWER);

    // B leads now: the retry of A's last batch is a duplicate with its original offset; the sequence continues.
    await B.cluster.gain("idem", [0], 2);
    assertEquals(await produce(storage, B.m, t, request(producerId, 0, 4)), {
      baseOffset: 4,
      duplicate: true,
    });
    assertEquals(await produce(storage, B.m, t, request(producerId, 0, 6)), {
      baseOffset: 6,
      duplicate: false,
    });
    assertEquals(
      await produce(storage, B.m, t, request(producerId, 0, 9)),
      ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    );

    // Back to A: its old state was unloaded, so what B appended is replayed, not forgotten.
    await B.cluster.lose("idem", [0]);
    await A.cluster.gain("idem", [0], 3);
    assertEquals(await produce(storage, A.m, t, request(producerId, 0, 6)), {
      baseOffset: 6,
      duplicate: true,
    });
    assertEquals(await produce(storage, A.m, t, request(producerId, 0, 8)), {
      baseOffset: 8,
      duplicate: false,
    });
    assertEquals((await storage.offsets("idem", 0)).highWatermark, 10, "nothing written twice");
  });
});

Deno.test("producer state: a load overtaken by the partition's release is discarded", async () => {
  await withTwoGateways(async (storage, A) => {
    const t = await storage.createTopic("idem", 1, {});
    await A.cluster.gain("idem", [0], 1);
    const loading = A.m.partition(t, 0);
    assert(loading instanceof Promise, "the first use loads");
    const outcome = loading.then(() => ErrorCode.NONE, (e) => (e as KafkaError).code);
    await A.cluster.lose("idem", [0]);
    assertEquals(await outcome, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    await A.cluster.gain("idem", [0], 2);
    const again = A.m.partition(t, 0);
    assert(again instanceof Promise, "nothing was kept: loaded afresh");
    await again;
    assert(!(A.m.partition(t, 0) instanceof Promise), "then held");
    // Other topics' releases, and __consumer_offsets ones, leave it alone.
    await A.m.release({ topic: "__consumer_offsets", partition: 0 });
    await A.m.release({ topic: "other", partition: 0 });
    assert(!(A.m.partition(t, 0) instanceof Promise));
  });
});

Deno.test("producer state: a partition of plain producers is released with a snapshot at its log end", async () => {
  await withTwoGateways(async (storage, A, B) => {
    const t = await storage.createTopic("plain", 1, {});
    await A.cluster.gain("plain", [0], 1);
    for (let i = 0; i < 4; i++) {
      await storage.append("plain", 0, request(-1, -1, -1, 3));
      A.m.follow(t, 0, (i + 1) * 3); // as the produce handler does after each plain append
      if (i === 0) {
        assertEquals((await A.m.partition(t, 0)).snapshotOffset(), 3, "loaded at the first append");
      }
    }
    await A.cluster.lose("plain", [0]);
    // The release moved the snapshot to the log end (12), not left it where the load found the log (3).
    const saved = await storage.producerStateStore().loadProducerSnapshot("plain", 0);
    assert(saved !== null, "a snapshot");
    assertEquals(new PartitionProducerState("plain-0").restoreSnapshot(saved, t.id, 0, 12), 12);
    // The next leader starts from it.
    await B.cluster.gain("plain", [0], 2);
    assertEquals((await B.m.partition(t, 0)).snapshotOffset(), 12);
  });
});
