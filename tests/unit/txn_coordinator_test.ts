// The transaction coordinator's state table and error codes, against an in-memory document store and a marker
// writer the test controls: commit/abort with markers, retries, CONCURRENT_TRANSACTIONS while markers are pending,
// fencing by re-init and by timeout, KIP-360 recovery, epoch exhaustion, crash recovery from the documents alone,
// and compare-and-set fencing between two coordinators on one store.
import { assert, assertEquals } from "./assert.ts";
import { MemoryDocuments } from "../../src/storage/documents.ts";
import type { MarkerOutcome, MarkerWriter, TxnMarker } from "../../src/transactions/contracts.ts";
import { TransactionCoordinator } from "../../src/transactions/coordinator.ts";
import { canTransition, type TxnMetadata } from "../../src/transactions/state.ts";
import { decodeTxn, encodeTxn, txnDocumentName } from "../../src/transactions/txn_log.ts";
import { SoloCluster } from "../../src/cluster/solo.ts";
import type { ClusterView, TopicPartitionRef } from "../../src/cluster/view.ts";
import { CONSUMER_OFFSETS_TOPIC } from "../../src/cluster/view.ts";
import { ErrorCode, KafkaError } from "../../src/protocol/errors.ts";
import { logger } from "../../src/log.ts";
import { FakeLeaderCluster } from "./fake_leader_cluster.ts";
import type { RequestContext } from "../../src/request/context.ts";
import { ApiKey } from "../../src/protocol/api_keys.ts";
import { findCoordinatorHandler } from "../../src/handlers/group_admin.ts";
import { initProducerIdHandler } from "../../src/handlers/init_producer_id.ts";
import { addPartitionsToTxnHandler } from "../../src/handlers/txn_add_partitions.ts";
import { addOffsetsToTxnHandler } from "../../src/handlers/txn_add_offsets.ts";
import { endTxnHandler } from "../../src/handlers/txn_end.ts";
import { describeTransactionsHandler } from "../../src/handlers/txn_describe.ts";
import { listTransactionsHandler } from "../../src/handlers/txn_list.ts";
import type { DescribeTransactionsResponse } from "../../src/protocol/messages/describe_transactions.ts";
import type { ListTransactionsResponse } from "../../src/protocol/messages/list_transactions.ts";

const OFFSETS_PARTITIONS = 4;

/** The in-memory document store; `listGate` holds list() (a coordinator caught loading). */
class MemDocs extends MemoryDocuments {
  listGate: Promise<void> | null = null;

  override async list(prefix: string): Promise<string[]> {
    if (this.listGate !== null) await this.listGate;
    return super.list(prefix);
  }
}

/** Records every marker write; partitions in `failing` fail (each failure consumes one), `gate` holds writes. */
class FakeMarkers implements MarkerWriter {
  readonly writes: { marker: TxnMarker; partitions: TopicPartitionRef[] }[] = [];
  readonly failing = new Map<string, number>();
  gate: Promise<void> | null = null;

  async write(marker: TxnMarker, partitions: readonly TopicPartitionRef[]): Promise<MarkerOutcome[]> {
    if (this.gate !== null) await this.gate;
    this.writes.push({ marker, partitions: [...partitions] });
    return partitions.map((tp) => {
      const key = `${tp.topic}-${tp.partition}`;
      const left = this.failing.get(key) ?? 0;
      if (left > 0) {
        this.failing.set(key, left - 1);
        return { ...tp, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
      }
      return { ...tp, errorCode: ErrorCode.NONE };
    });
  }
}

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => open = r);
  return { promise, open };
}

function solo(): SoloCluster {
  return new SoloCluster({
    nodeId: 1,
    advertised: { host: "127.0.0.1", port: 9092 },
    offsetsTopicPartitions: OFFSETS_PARTITIONS,
    topics: () => [],
  });
}

interface Setup {
  readonly c: TransactionCoordinator;
  readonly docs: MemDocs;
  readonly markers: FakeMarkers;
  readonly clock: { now: number };
}

let nextPid = 1000;

async function setup(
  opts: {
    docs?: MemDocs;
    markers?: FakeMarkers;
    clock?: { now: number };
    cluster?: ClusterView;
    endTxnWaitMs?: number;
  } = {},
): Promise<Setup> {
  const docs = opts.docs ?? new MemDocs();
  const markers = opts.markers ?? new FakeMarkers();
  const clock = opts.clock ?? { now: 1_000_000 };
  const c = new TransactionCoordinator({
    documents: docs,
    producerIds: { newProducerId: () => Promise.resolve(nextPid++) },
    cluster: opts.cluster ?? solo(),
    markers,
    log: logger("test-txn"),
    offsetsPartitions: OFFSETS_PARTITIONS,
    markerRetryMs: 1,
    // EndTxn answers once Prepare* is durable (as Kafka does) unless a test asks for the wait.
    endTxnWaitMs: opts.endTxnWaitMs ?? 0,
    abortCheckIntervalMs: 3_600_000, // the tests call abortTimedOut() themselves
    now: () => clock.now,
  });
  await c.start();
  return { c, docs, markers, clock };
}

async function code(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return ErrorCode.NONE;
  } catch (e) {
    if (e instanceof KafkaError) return e.code;
    throw e;
  }
}

const T0 = { topic: "t", partition: 0 };
const T1 = { topic: "t", partition: 1 };

Deno.test("txn state table: Kafka's legal transitions", () => {
  assert(canTransition("Empty", "Ongoing"));
  assert(canTransition("CompleteAbort", "Ongoing"));
  assert(canTransition("Ongoing", "PrepareCommit"));
  assert(canTransition("PrepareEpochFence", "PrepareAbort"));
  assert(canTransition("PrepareCommit", "CompleteCommit"));
  assert(!canTransition("Empty", "PrepareCommit"));
  assert(!canTransition("PrepareCommit", "CompleteAbort"));
  assert(!canTransition("PrepareAbort", "Ongoing"));
  assert(!canTransition("Ongoing", "Dead"));
});

Deno.test("txn coordinator: InitProducerId issues epoch 0, bumps on re-init, validates id and timeout", async () => {
  const { c } = await setup();
  try {
    const a = await c.initProducerId("app-1", 60_000, null);
    assertEquals(a.producerEpoch, 0);
    const b = await c.initProducerId("app-1", 60_000, null);
    assertEquals(b, { producerId: a.producerId, producerEpoch: 1 });
    assertEquals(await code(c.initProducerId("", 60_000, null)), ErrorCode.INVALID_REQUEST);
    assertEquals(await code(c.initProducerId("app-1", 900_001, null)), ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    assertEquals(await code(c.initProducerId("app-1", 0, null)), ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    assertEquals(c.describe("app-1")?.state, "Empty");
  } finally {
    await c.close();
  }
});

Deno.test("txn coordinator: AddPartitions and verify check the producer id, epoch and partitions", async () => {
  const { c } = await setup();
  try {
    assertEquals(await code(c.addPartitions("nobody", 1, 0, [T0])), ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    const { producerId: pid } = await c.initProducerId("app", 60_000, null);
    assertEquals(await code(c.addPartitions("app", pid + 1, 0, [T0])), ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    assertEquals(await code(c.addPartitions("app", pid, 1, [T0])), ErrorCode.PRODUCER_FENCED);
    assertEquals(await code(c.verify("app", pid, 0, T0)), ErrorCode.INVALID_TXN_STATE); // no transaction yet
    await c.addPartitions("app", pid, 0, [T0]);
    await c.addPartitions("app", pid, 0, [T0, T1]);
    const d = c.describe("app")!;
    assertEquals(d.state, "Ongoing");
    assertEquals(d.partitions, [T0, T1]);
    assertEquals(d.startMs, 1_000_000);
    await c.verify("app", pid, 0, T1);
    assertEquals(
      await code(c.verify("app", pid, 0, { topic: "t", partition: 2 })),
      ErrorCode.INVALID_TXN_STATE,
    );
    assertEquals(await code(c.verify("app", pid, 1, T0)), ErrorCode.PRODUCER_FENCED);
    assertEquals(await code(c.verify("other", pid, 0, T0)), ErrorCode.INVALID_TXN_STATE);
    assertEquals(await c.verifyPartitions("app", pid, 0, [T0, { topic: "u", partition: 0 }]), [
      ErrorCode.NONE,
      ErrorCode.INVALID_TXN_STATE,
    ]);
  } finally {
    await c.close();
  }
});

Deno.test("txn coordinator: commit writes COMMIT markers then CompleteCommit; retries and wrong ends", async () => {
  const { c, markers } = await setup();
  try {
    const { producerId: pid } = await c.initProducerId("app", 60_000, null);
    assertEquals(await code(c.endTransaction("app", pid, 0, true)), ErrorCode.INVALID_TXN_STATE); // Empty
    await c.addPartitions("app", pid, 0, [T0, T1]);
    markers.failing.set("t-1", 2); // T1's leader fails twice: retried until it succeeds
    await c.endTransaction("app", pid, 0, true);
    await c.idle();
    assertEquals(c.describe("app")?.state, "CompleteCommit");
    assertEquals(markers.writes.map((w) => w.partitions), [[T0, T1], [T1], [T1]]);
    assertEquals(markers.writes[0].marker, {
      producerId: pid,
      producerEpoch: 0,
      commit: true,
      coordinatorEpoch: 0,
    });
    assertEquals(await code(c.endTransaction("app", pid, 0, true)), ErrorCode.NONE); // a retry of the commit
    assertEquals(await code(c.endTransaction("app", pid, 0, false)), ErrorCode.INVALID_TXN_STATE);
    assertEquals(c.stats().committed, 1);
    // The next transaction starts from CompleteCommit; an abort ends it with ABORT markers.
    await c.addPartitions("app", pid, 0, [T0]);
    await c.endTransaction("app", pid, 0, false);
    await c.idle();
    assertEquals(c.describe("app")?.state, "CompleteAbort");
    assertEquals(markers.writes.at(-1)?.marker.commit, false);
    assertEquals(await code(c.endTransaction("app", pid, 0, true)), ErrorCode.INVALID_TXN_STATE);
    assertEquals(c.stats(), { ids: 1, open: 0, committed: 1, aborted: 1, timedOut: 0 });
  } finally {
    await c.close();
  }
});

Deno.test("txn coordinator: while markers are pending the id answers CONCURRENT_TRANSACTIONS", async () => {
  const { c, markers } = await setup();
  try {
    const { producerId: pid } = await c.initProducerId("app", 60_000, null);
    await c.addPartitions("app", pid, 0, [T0]);
    const g = gate();
    markers.gate = g.promise;
    await c.endTransaction("app", pid, 0, true); // PrepareCommit is durable: the client is answered
    assertEquals(c.describe("app")?.state, "PrepareCommit");
    assertEquals(c.stats().open, 1);
    assertEquals(await code(c.endTransaction("app", pid, 0, true)), ErrorCode.CONCURRENT_TRANSACTIONS);
    assertEquals(await code(c.endTransaction("app", pid, 0, false)), ErrorCode.INVALID_TXN_STATE);
    assertEquals(await code(c.addPartitions("app", pid, 0, [T1])), ErrorCode.CONCURRENT_TRANSACTIONS);
    assertEquals(await code(c.initProducerId("app", 60_000, null)), ErrorCode.CONCURRENT_TRANSACTIONS);
    assertEquals(await code(c.verify("app", pid, 0, T0)), ErrorCode.CONCURRENT_TRANSACTIONS);
    g.open();
    await c.idle();
    assertEquals(c.describe("app")?.state, "CompleteCommit");
    assertEquals((await c.initProducerId("app", 60_000, null)).producerEpoch, 1);
  } finally {
    await c.close();
  }
});

Deno.test("txn coordinator: re-init aborts an ongoing transaction with a bumped epoch and fences the old one", async () => {
  const { c, markers } = await setup();
  try {
    const { producerId: pid } = await c.initProducerId("app", 60_000, null);
    await c.addPartitions("app", pid, 0, [T0]);
    assertEquals(await code(c.initProducerId("app", 60_000, null)), ErrorCode.CONCURRENT_TRANSACTIONS);
    await c.idle();
    assertEquals(markers.writes.map((w) => w.marker), [
      { producerId: pid, producerEpoch: 1, commit: false, coordinatorEpoch: 0 },
    ]);
    assertEquals(c.describe("app")?.state, "CompleteAbort");
    const again = await c.initProducerId("app", 60_000, null); // the client's retry
    assertEquals(again, { producerId: pid, producerEpoch: 2 });
    // The zombie (epoch 0) is fenced everywhere.
    assertEquals(await code(c.addPartitions("app", pid, 0, [T0])), ErrorCode.PRODUCER_FENCED);
    assertEquals(await code(c.endTransaction("app", pid, 0, true)), ErrorCode.PRODUCER_FENCED);
    assertEquals(c.stats().aborted, 1);
  } finally {
    await c.close();
  }
});

Deno.test("txn coordinator: KIP-360 recovery bumps, answers a retry the same, fences a stale epoch", async () => {
  const { c } = await setup();
  try {
    const { producerId: pid } = await c.initProducerId("app", 60_000, null);
    const bumped = await c.initProducerId("app", 60_000, { producerId: pid, producerEpoch: 0 });
    assertEquals(bumped, { producerId: pid, producerEpoch: 1 });
    // The response was lost: the producer asks again with what it held.
    assertEquals(await c.initProducerId("app", 60_000, { producerId: pid, producerEpoch: 0 }), bumped);
    assertEquals(
      await code(c.initProducerId("app", 60_000, { producerId: pid, producerEpoch: 7 })),
      ErrorCode.PRODUCER_FENCED,
    );
    assertEquals(
      await code(c.initProducerId("app", 60_000, { producerId: pid + 50, producerEpoch: 1 })),
      ErrorCode.PRODUCER_FENCED,
    );
    assertEquals(await c.initProducerId("app", 60_000, { producerId: pid, producerEpoch: 1 }), {
      producerId: pid,
      producerEpoch: 2,
    });
  } finally {
    await c.close();
  }
});

function stored(id: string, over: Partial<TxnMetadata>): TxnMetadata {
  return {
    transactionalId: id,
    producerId: 77,
    previousProducerId: -1,
    producerEpoch: 0,
    lastProducerEpoch: -1,
    timeoutMs: 60_000,
    state: "Empty",
    partitions: [],
    startMs: -1,
    lastUpdateMs: 1_000_000,
    ...over,
  };
}

async function putTxn(docs: MemDocs, cluster: ClusterView, m: TxnMetadata): Promise<void> {
  const name = await txnDocumentName(cluster.coordinatorPartition(m.transactionalId), m.transactionalId);
  assert(await docs.put(name, encodeTxn(m), null));
}

Deno.test("txn coordinator: an exhausted epoch gets a new producer id; its retry is recognised", async () => {
  const docs = new MemDocs();
  const cluster = solo();
  await putTxn(
    docs,
    cluster,
    stored("old", { producerId: 77, producerEpoch: 32766, state: "CompleteCommit" }),
  );
  const { c } = await setup({ docs, cluster });
  try {
    const r = await c.initProducerId("old", 60_000, { producerId: 77, producerEpoch: 32766 });
    assert(r.producerId !== 77);
    assertEquals(r.producerEpoch, 0);
    // The producer never got the answer and asks again with the exhausted id and epoch.
    assertEquals(await c.initProducerId("old", 60_000, { producerId: 77, producerEpoch: 32766 }), r);
    // A plain re-init after that only bumps.
    assertEquals(await c.initProducerId("old", 60_000, null), { producerId: r.producerId, producerEpoch: 1 });
  } finally {
    await c.close();
  }
});

Deno.test("txn coordinator: a transaction older than its timeout is aborted with a fencing epoch bump", async () => {
  const { c, markers, clock } = await setup();
  try {
    const { producerId: pid } = await c.initProducerId("slow", 1_000, null);
    await c.addPartitions("slow", pid, 0, [T0]);
    clock.now += 1_000;
    await c.abortTimedOut();
    assertEquals(c.describe("slow")?.state, "Ongoing"); // not older than the timeout yet
    clock.now += 1;
    await c.abortTimedOut();
    await c.idle();
    assertEquals(c.describe("slow")?.state, "CompleteAbort");
    assertEquals(markers.writes.map((w) => w.marker), [
      { producerId: pid, producerEpoch: 1, commit: false, coordinatorEpoch: 0 },
    ]);
    assertEquals(await code(c.endTransaction("slow", pid, 0, true)), ErrorCode.PRODUCER_FENCED);
    assertEquals(c.stats(), { ids: 1, open: 0, committed: 0, aborted: 1, timedOut: 1 });
  } finally {
    await c.close();
  }
});

Deno.test("txn coordinator: crash recovery finishes a PrepareCommit and aborts an Ongoing one on timeout", async () => {
  const docs = new MemDocs();
  const clock = { now: 5_000_000 };
  const stuck = new FakeMarkers();
  const g = gate();
  stuck.gate = g.promise; // the first gateway "dies" before any marker is written
  const first = await setup({ docs, markers: stuck, clock });
  const a = await first.c.initProducerId("committer", 10_000, null);
  await first.c.addPartitions("committer", a.producerId, 0, [T0, T1]);
  await first.c.endTransaction("committer", a.producerId, 0, true);
  const b = await first.c.initProducerId("worker", 10_000, null);
  await first.c.addPartitions("worker", b.producerId, 0, [T1]);
  await first.c.close();
  g.open();

  const second = await setup({ docs, clock });
  try {
    await second.c.idle();
    assertEquals(second.c.describe("committer")?.state, "CompleteCommit");
    assertEquals(second.markers.writes.map((w) => [w.marker.commit, w.partitions]), [[true, [T0, T1]]]);
    assertEquals(second.c.describe("worker")?.state, "Ongoing");
    clock.now += 10_001;
    await second.c.abortTimedOut();
    await second.c.idle();
    assertEquals(second.c.describe("worker")?.state, "CompleteAbort");
    assertEquals(second.markers.writes.at(-1)?.marker, {
      producerId: b.producerId,
      producerEpoch: 1,
      commit: false,
      coordinatorEpoch: 0,
    });
    // Nothing of the first gateway's stale markers changed the outcome: each transaction ended once.
    assertEquals(second.c.stats().committed + second.c.stats().aborted, 2);
  } finally {
    await second.c.close();
  }
});

Deno.test("txn coordinator: a lost compare-and-set fences a coordinator (NOT_COORDINATOR, then re-read)", async () => {
  const docs = new MemDocs();
  const a = await setup({ docs });
  const first = await a.c.initProducerId("app", 60_000, null);
  const b = await setup({ docs }); // another gateway took over and loaded the id
  try {
    const second = await b.c.initProducerId("app", 60_000, null);
    assertEquals(second.producerEpoch, 1);
    // The old coordinator still believes epoch 0 is current: its write loses the compare-and-set.
    assertEquals(await code(a.c.addPartitions("app", first.producerId, 0, [T0])), ErrorCode.NOT_COORDINATOR);
    // It re-read the document: the old epoch is now fenced there too, and nothing it wrote survived.
    assertEquals(await code(a.c.addPartitions("app", first.producerId, 0, [T0])), ErrorCode.PRODUCER_FENCED);
    assertEquals(b.c.describe("app")?.state, "Empty");
    // A new id created on both sides: the second creator loses.
    await b.c.initProducerId("fresh", 60_000, null);
    assertEquals(await code(a.c.initProducerId("fresh", 60_000, null)), ErrorCode.NOT_COORDINATOR);
  } finally {
    await a.c.close();
    await b.c.close();
  }
});

Deno.test("txn coordinator: taking over an open transaction claims it, so the stalled previous coordinator is fenced", async () => {
  const docs = new MemDocs();
  const a = await setup({ docs });
  const { producerId: pid } = await a.c.initProducerId("claimed", 60_000, null);
  await a.c.addPartitions("claimed", pid, 0, [T0]);
  // Another gateway takes the id over and only loads it: it writes nothing a request asked for.
  const b = await setup({ docs });
  try {
    assertEquals(b.c.describe("claimed")?.state, "Ongoing");
    // The previous coordinator resumes from a stall: its write must not land over the one now in charge.
    assertEquals(await code(a.c.endTransaction("claimed", pid, 0, true)), ErrorCode.NOT_COORDINATOR);
    assertEquals(b.c.describe("claimed")?.state, "Ongoing");
    await b.c.endTransaction("claimed", pid, 0, false);
    await b.c.idle();
    assertEquals(b.c.describe("claimed")?.state, "CompleteAbort");
  } finally {
    await a.c.close();
    await b.c.close();
  }
});

Deno.test("txn coordinator: idle ids expire after transactional.id.expiration.ms", async () => {
  const { c, docs, clock } = await setup();
  try {
    const { producerId: pid } = await c.initProducerId("idle", 60_000, null);
    const busy = await c.initProducerId("busy", 60_000, null);
    await c.addPartitions("busy", busy.producerId, 0, [T0]);
    clock.now += 7 * 24 * 3600_000 + 1;
    await c.expireIds();
    assertEquals(c.describe("idle"), null);
    assertEquals(c.describe("busy")?.state, "Ongoing"); // an open transaction never expires
    assertEquals(docs.docs.size, 1);
    assertEquals(await code(c.addPartitions("idle", pid, 0, [T0])), ErrorCode.INVALID_PRODUCER_ID_MAPPING);
  } finally {
    await c.close();
  }
});

Deno.test("txn coordinator: ListTransactions filters by state, producer id and duration", async () => {
  const { c, clock } = await setup();
  try {
    const a = await c.initProducerId("a", 60_000, null);
    const b = await c.initProducerId("b", 60_000, null);
    await c.addPartitions("a", a.producerId, 0, [T0]);
    clock.now += 5_000;
    const all = (f: Partial<Parameters<typeof c.list>[0]>) =>
      c.list({ states: [], producerIds: [], durationMs: -1, ...f })!.map((t) => t.transactionalId).sort();
    assertEquals(all({}), ["a", "b"]);
    assertEquals(all({ states: ["Ongoing"] }), ["a"]);
    assertEquals(all({ producerIds: [b.producerId] }), ["b"]);
    assertEquals(all({ durationMs: 4_000 }), ["a"]);
    assertEquals(all({ durationMs: 6_000 }), []);
  } finally {
    await c.close();
  }
});

Deno.test("txn coordinator: follows __consumer_offsets leadership (NOT_COORDINATOR, LOAD_IN_PROGRESS, release)", async () => {
  const cluster = new FakeLeaderCluster(1, OFFSETS_PARTITIONS);
  const docs = new MemDocs();
  const markers = new FakeMarkers();
  const { c } = await setup({ docs, markers, cluster });
  cluster.addParticipant(c);
  try {
    const p = cluster.coordinatorPartition("app");
    assertEquals(await code(c.initProducerId("app", 60_000, null)), ErrorCode.NOT_COORDINATOR);
    const g = gate();
    docs.listGate = g.promise;
    const gaining = cluster.gain(CONSUMER_OFFSETS_TOPIC, [p], 3);
    await Promise.resolve();
    assertEquals(await code(c.initProducerId("app", 60_000, null)), ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    assertEquals(c.list({ states: [], producerIds: [], durationMs: -1 }), null);
    g.open();
    docs.listGate = null;
    await gaining;
    const { producerId: pid } = await c.initProducerId("app", 60_000, null);
    await c.addPartitions("app", pid, 0, [T0]);
    await c.endTransaction("app", pid, 0, true);
    await c.idle();
    assertEquals(markers.writes[0].marker.coordinatorEpoch, 3);
    await cluster.lose(CONSUMER_OFFSETS_TOPIC, [p]);
    assertEquals(await code(c.addPartitions("app", pid, 0, [T0])), ErrorCode.NOT_COORDINATOR);
    assertEquals(c.transactions(), []);
    // Gained again: the state comes back from the documents.
    await cluster.gain(CONSUMER_OFFSETS_TOPIC, [p], 4);
    assertEquals(c.describe("app")?.state, "CompleteCommit");
  } finally {
    await c.close();
  }
});

// ---------------------------------------------------------------------------------------------------------
// Handlers: the coordinator behind the wire answers, with Kafka's per-version error codes.

function handlerCtx(
  c: TransactionCoordinator | null,
  apiKey: number,
  apiVersion: number,
  topics: Record<string, number> = { t: 2 },
): RequestContext {
  const broker = {
    cluster: solo(),
    storage: {
      getTopic: (name: string) => topics[name] === undefined ? undefined : { name, partitions: topics[name] },
    },
    transactions: c,
  };
  return {
    broker: broker as unknown as RequestContext["broker"],
    header: { apiKey, apiVersion, correlationId: 1, clientId: "test" },
    connectionId: 1,
    clientHost: "/127.0.0.1",
    log: logger("test"),
    principal: { type: "User", name: "ANONYMOUS" },
    listener: { name: "PLAINTEXT", securityProtocol: "PLAINTEXT", host: "127.0.0.1", port: 9092 },
  };
}

Deno.test("txn handlers: FindCoordinator TRANSACTION answers the id's coordinator; empty id INVALID_REQUEST", async () => {
  const ctx = handlerCtx(null, ApiKey.FindCoordinator, 4);
  const res = await findCoordinatorHandler(ctx, { key: "", keyType: 1, coordinatorKeys: ["tx", ""] });
  assertEquals(res!.coordinators!.map((k) => [k.key, k.errorCode, k.nodeId, k.port]), [
    ["tx", ErrorCode.NONE, 1, 9092],
    ["", ErrorCode.INVALID_REQUEST, -1, -1],
  ]);
  const v1 = await findCoordinatorHandler(handlerCtx(null, ApiKey.FindCoordinator, 1), {
    key: "tx",
    keyType: 1,
    coordinatorKeys: [],
  });
  assertEquals([v1!.errorCode, v1!.nodeId], [ErrorCode.NONE, 1]);
  const bad = await findCoordinatorHandler(handlerCtx(null, ApiKey.FindCoordinator, 1), {
    key: "x",
    keyType: 2,
    coordinatorKeys: [],
  });
  assertEquals(bad!.errorCode, ErrorCode.INVALID_REQUEST);
});

Deno.test("txn handlers: a transaction over the wire, unknown partitions, fenced epochs by version", async () => {
  const { c, markers } = await setup();
  try {
    const init = await initProducerIdHandler(handlerCtx(c, ApiKey.InitProducerId, 4), {
      transactionalId: "wire",
      transactionTimeoutMs: 60_000,
      producerId: -1,
      producerEpoch: -1,
    });
    assertEquals([init!.errorCode, init!.producerEpoch], [ErrorCode.NONE, 0]);
    const pid = init!.producerId;
    const add = (v: number, epoch: number, topics: { name: string; partitions: number[] }[]) =>
      addPartitionsToTxnHandler(handlerCtx(c, ApiKey.AddPartitionsToTxn, v), {
        transactions: [],
        v3AndBelowTransactionalId: "wire",
        v3AndBelowProducerId: pid,
        v3AndBelowProducerEpoch: epoch,
        v3AndBelowTopics: topics,
      });
    const codes = (r: Awaited<ReturnType<typeof add>>) =>
      r!.resultsByTopicV3AndBelow!.flatMap((t) =>
        t.resultsByPartition.map((p) => `${t.name}-${p.partitionIndex}:${p.partitionErrorCode}`)
      );
    // t has 2 partitions: t-5 and topic "nope" do not exist, so nothing is added.
    assertEquals(
      codes(await add(3, 0, [{ name: "t", partitions: [0, 5] }, { name: "nope", partitions: [0] }])),
      [
        `t-0:${ErrorCode.OPERATION_NOT_ATTEMPTED}`,
        `t-5:${ErrorCode.UNKNOWN_TOPIC_OR_PARTITION}`,
        `nope-0:${ErrorCode.UNKNOWN_TOPIC_OR_PARTITION}`,
      ],
    );
    assertEquals(c.describe("wire")?.state, "Empty");
    assertEquals(codes(await add(1, 9, [{ name: "t", partitions: [0] }])), [
      `t-0:${ErrorCode.INVALID_PRODUCER_EPOCH}`,
    ]);
    assertEquals(codes(await add(2, 9, [{ name: "t", partitions: [0] }])), [
      `t-0:${ErrorCode.PRODUCER_FENCED}`,
    ]);
    assertEquals(codes(await add(3, 0, [{ name: "t", partitions: [0, 1] }])), [`t-0:0`, `t-1:0`]);
    const offsets = await addOffsetsToTxnHandler(handlerCtx(c, ApiKey.AddOffsetsToTxn, 3), {
      transactionalId: "wire",
      producerId: pid,
      producerEpoch: 0,
      groupId: "g",
    });
    assertEquals(offsets!.errorCode, ErrorCode.NONE);
    const offsetsPartition = { topic: CONSUMER_OFFSETS_TOPIC, partition: solo().coordinatorPartition("g") };
    // KIP-890 v4 verify_only from a partition leader.
    const verify = await addPartitionsToTxnHandler(handlerCtx(c, ApiKey.AddPartitionsToTxn, 4), {
      transactions: [{
        transactionalId: "wire",
        producerId: pid,
        producerEpoch: 0,
        verifyOnly: true,
        topics: [{ name: "t", partitions: [1] }],
      }, {
        transactionalId: "other",
        producerId: pid,
        producerEpoch: 0,
        verifyOnly: true,
        topics: [{ name: "t", partitions: [0] }],
      }],
      v3AndBelowTransactionalId: "",
      v3AndBelowProducerId: -1,
      v3AndBelowProducerEpoch: -1,
      v3AndBelowTopics: [],
    });
    assertEquals(
      verify!.resultsByTransaction!.map((t) => [t.transactionalId, t.topicResults[0].resultsByPartition[0]]),
      [
        ["wire", { partitionIndex: 1, partitionErrorCode: ErrorCode.NONE }],
        ["other", { partitionIndex: 0, partitionErrorCode: ErrorCode.INVALID_PRODUCER_ID_MAPPING }],
      ],
    );
    const described = describeTransactionsHandler(handlerCtx(c, ApiKey.DescribeTransactions, 0), {
      transactionalIds: ["wire", "unknown"],
    }) as DescribeTransactionsResponse;
    assertEquals(
      described.transactionStates.map((s) => [s.transactionalId, s.errorCode, s.transactionState]),
      [
        ["wire", ErrorCode.NONE, "Ongoing"],
        ["unknown", ErrorCode.TRANSACTIONAL_ID_NOT_FOUND, ""],
      ],
    );
    assertEquals(described.transactionStates[0].topics.length, 2); // t and __consumer_offsets
    const end = await endTxnHandler(handlerCtx(c, ApiKey.EndTxn, 3), {
      transactionalId: "wire",
      producerId: pid,
      producerEpoch: 0,
      committed: true,
    });
    assertEquals(end!.errorCode, ErrorCode.NONE);
    await c.idle();
    assertEquals(markers.writes[0].partitions, [offsetsPartition, T0, T1]);
    const listed = listTransactionsHandler(handlerCtx(c, ApiKey.ListTransactions, 1), {
      stateFilters: ["CompleteCommit"],
      producerIdFilters: [],
      durationFilter: -1,
    }) as ListTransactionsResponse;
    assertEquals(listed.transactionStates, [{
      transactionalId: "wire",
      producerId: pid,
      transactionState: "CompleteCommit",
    }]);
    // InitProducerId v3 with a stale epoch: INVALID_PRODUCER_EPOCH before v4, PRODUCER_FENCED from v4.
    await c.initProducerId("wire", 60_000, null); // epoch 1
    await c.initProducerId("wire", 60_000, null); // epoch 2
    for (const [v, expected] of [[3, ErrorCode.INVALID_PRODUCER_EPOCH], [4, ErrorCode.PRODUCER_FENCED]]) {
      const r = await initProducerIdHandler(handlerCtx(c, ApiKey.InitProducerId, v), {
        transactionalId: "wire",
        transactionTimeoutMs: 60_000,
        producerId: pid,
        producerEpoch: 0,
      });
      assertEquals(r!.errorCode, expected);
    }
    const noTxns = await initProducerIdHandler(handlerCtx(null, ApiKey.InitProducerId, 4), {
      transactionalId: "wire",
      transactionTimeoutMs: 60_000,
      producerId: -1,
      producerEpoch: -1,
    });
    assertEquals(noTxns!.errorCode, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  } finally {
    await c.close();
  }
});

Deno.test("txn coordinator: a deleted topic's partition gets no marker; other failures are retried", async () => {
  const docs = new MemDocs();
  const writes: TopicPartitionRef[][] = [];
  let deleted = false;
  let calls = 0;
  const markers: MarkerWriter = {
    write(_m, partitions) {
      writes.push([...partitions]);
      calls++;
      return Promise.resolve(partitions.map((tp) => ({
        ...tp,
        errorCode: tp.topic === "gone"
          ? (calls < 3 ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
          : ErrorCode.NONE,
      })));
    },
  };
  const c = new TransactionCoordinator({
    documents: docs,
    producerIds: { newProducerId: () => Promise.resolve(nextPid++) },
    cluster: solo(),
    markers,
    log: logger("test-txn"),
    offsetsPartitions: OFFSETS_PARTITIONS,
    markerRetryMs: 1,
    partitionExists: (tp) => !(deleted && tp.topic === "gone"),
  });
  await c.start();
  try {
    const { producerId: pid } = await c.initProducerId("app", 60_000, null);
    const gone = { topic: "gone", partition: 0 };
    await c.addPartitions("app", pid, 0, [T0, gone]);
    deleted = true; // deleted while the transaction was open
    await c.endTransaction("app", pid, 0, true);
    await c.idle();
    // NOT_LEADER_OR_FOLLOWER is retried even though the topic is gone here; UNKNOWN_TOPIC_OR_PARTITION drops it.
    assertEquals(writes, [[gone, T0], [gone], [gone]]);
    assertEquals(c.describe("app")?.state, "CompleteCommit");
  } finally {
    await c.close();
  }
});

Deno.test("txn coordinator: EndTxn waits (bounded) for the markers before it answers", async () => {
  const { c, markers } = await setup({ endTxnWaitMs: 5_000 });
  try {
    const { producerId: pid } = await c.initProducerId("app", 60_000, null);
    await c.addPartitions("app", pid, 0, [T0]);
    await c.endTransaction("app", pid, 0, true);
    assertEquals(c.describe("app")?.state, "CompleteCommit"); // no idle(): complete when commit returned
    await c.addPartitions("app", pid, 0, [T0]); // the next transaction starts at once
    const g = gate();
    markers.gate = g.promise; // a leader that does not answer: the wait is bounded
    const fast = await setup({ docs: new MemDocs(), markers, endTxnWaitMs: 30 });
    try {
      const p2 = await fast.c.initProducerId("other", 60_000, null);
      await fast.c.addPartitions("other", p2.producerId, 0, [T0]);
      const started = performance.now();
      await fast.c.endTransaction("other", p2.producerId, 0, false);
      assert(performance.now() - started < 2_000, "answered after the bound");
      assertEquals(fast.c.describe("other")?.state, "PrepareAbort");
      g.open();
      await fast.c.idle();
      assertEquals(fast.c.describe("other")?.state, "CompleteAbort");
    } finally {
      await fast.c.close();
    }
  } finally {
    await c.close();
  }
});

Deno.test("txn coordinator: Complete* is written after the answer; until then a new coordinator repeats the markers", async () => {
  const docs = new MemDocs();
  const first = await setup({ docs });
  const { producerId: pid } = await first.c.initProducerId("lazy", 60_000, null);
  await first.c.addPartitions("lazy", pid, 0, [T0, T1]);
  await first.c.endTransaction("lazy", pid, 0, true);
  await first.c.idle();
  assertEquals(first.c.describe("lazy")?.state, "CompleteCommit");
  const stored = () => decodeTxn([...docs.docs.values()][0].data).state;
  // The document still holds the decided outcome: a coordinator taking over now writes the markers again.
  assertEquals(docs.docs.size, 1);
  assertEquals(stored(), "PrepareCommit");
  const markers = new FakeMarkers();
  const second = await setup({ docs, markers });
  try {
    await second.c.idle();
    assertEquals(markers.writes.map((w) => [w.marker.commit, w.partitions]), [[true, [T0, T1]]]);
    assertEquals(second.c.describe("lazy")?.state, "CompleteCommit");
  } finally {
    await second.c.close();
  }
  // The coordinator holding the id writes CompleteCommit within a second, or at close.
  await first.c.close();
  assertEquals(stored(), "CompleteCommit");
});
