// Transactional offsets in the group coordinator: TxnOffsetCommit stores offsets pending per (group, producer id),
// durably in the DocumentStore, invisible to OffsetFetch until the transaction's COMMIT marker reaches the group's
// `__consumer_offsets` partition (completeTransaction); ABORT drops them; OffsetFetch require_stable answers
// UNSTABLE_OFFSET_COMMIT meanwhile; KIP-447 fencing against the group's generation and members; KIP-890's
// verification guard; NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS placement; the message schema's bytes.
import { assert, assertEquals } from "./assert.ts";
import { GroupCoordinator } from "../../src/groups/coordinator.ts";
import type { TxnCommitArgs } from "../../src/groups/offsets/contract.ts";
import { decodeTxnOffsets } from "../../src/groups/offsets/txn_documents.ts";
import { type GroupStore, offsetKey } from "../../src/storage/group_store.ts";
import { EmbeddedDocuments } from "../../src/storage/embedded/documents.ts";
import type { DocumentStore, StoredDocument } from "../../src/storage/documents.ts";
import { ErrorCode as E, KafkaError } from "../../src/protocol/errors.ts";
import { partitionForGroup } from "../../src/cluster/hash.ts";
import { CONSUMER_OFFSETS_TOPIC as CO } from "../../src/cluster/view.ts";
import type { Broker, RequestContext } from "../../src/request/context.ts";
import { txnOffsetCommitHandler, verificationError } from "../../src/handlers/txn_offset_commit.ts";
import { offsetFetchHandler } from "../../src/handlers/offsets.ts";
import type { TxnOffsetCommitRequest } from "../../src/protocol/messages/txn_offset_commit.ts";
import { TxnOffsetCommitSpec } from "../../src/protocol/messages/txn_offset_commit.ts";
import type { OffsetFetchRequest } from "../../src/protocol/messages/offset_fetch.ts";
import type { TxnVerifier } from "../../src/transactions/contracts.ts";
import { logger } from "../../src/log.ts";
import { ManualClock } from "../helpers/clock.ts";
import { MemoryDocuments } from "../helpers/sasl.ts";
import { commit, join, MemoryStore, OPTS, sync } from "./group_fixtures.ts";
import { FakeLeaderCluster, groupOn } from "./fake_leader_cluster.ts";
import {
  arr,
  cat,
  cstr,
  decodeRequest,
  encodeRequest,
  i16,
  i32,
  i64,
  NO_TAGS,
  requestVector,
  responseVector,
  str,
  uv,
} from "./wire_vectors.ts";

/** Partitions t-0..t-3 exist. */
const exists = (t: string, p: number) => t === "t" && p >= 0 && p < 4;
/** The `__consumer_offsets` partition of group "g" for a coordinator without a cluster (50 partitions). */
const G_PARTITION = partitionForGroup("g", 50);
const PID = 4000;

/** A started solo coordinator (no cluster) on `store` and `docs`, on a manual clock. */
async function solo(
  store: GroupStore = new MemoryStore(),
  docs: DocumentStore = new MemoryDocuments(),
  clock = new ManualClock(),
): Promise<GroupCoordinator> {
  const c = new GroupCoordinator(
    store,
    { ...OPTS, clock },
    logger("test"),
    exists,
    undefined,
    undefined,
    docs,
  );
  await c.start();
  return c;
}

/** TxnOffsetCommit of t-0 = `offset` to group "g" by producer PID (epoch 0) unless overridden; the codes. */
function txnCommit(c: GroupCoordinator, over: Partial<TxnCommitArgs> = {}): Promise<Map<string, number>> {
  return c.txnCommit({
    groupId: "g",
    producerId: PID,
    producerEpoch: 0,
    generationId: -1,
    memberId: "",
    groupInstanceId: null,
    offsets: [{ topic: "t", partition: 0, offset: 5, leaderEpoch: 3, metadata: "m" }],
    verify: null,
    ...over,
  });
}

async function txnCode(c: GroupCoordinator, over: Partial<TxnCommitArgs> = {}): Promise<number> {
  return (await txnCommit(c, over)).get(offsetKey("t", 0))!;
}

/** Every partition's code, in request order. */
async function txnCodes(c: GroupCoordinator, over: Partial<TxnCommitArgs> = {}): Promise<number[]> {
  return [...(await txnCommit(c, over)).values()];
}

/** Offset `offset` of t-`partition`, no leader epoch or metadata. */
function off(partition: number, offset: number) {
  return { topic: "t", partition, offset, leaderEpoch: -1, metadata: null };
}

/** The offset OffsetFetch answers for t-`p` of group "g" (and its error code). */
function fetched(c: GroupCoordinator, requireStable = false, p = 0, groupId = "g"): [number, number] {
  const [row] = c.fetchOffsets(groupId, [{ topic: "t", partition: p }], requireStable);
  return [row.offset, row.errorCode ?? E.NONE];
}

async function txoDocs(docs: DocumentStore): Promise<string[]> {
  return await docs.list("txo-");
}

async function thrownCode(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return E.NONE;
  } catch (e) {
    return e instanceof KafkaError ? e.code : -1;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Pending until the marker

Deno.test("TxnOffsetCommit: pending offsets are invisible (OffsetFetch, store) until the COMMIT marker", async () => {
  const store = new MemoryStore();
  const docs = new MemoryDocuments();
  const c = await solo(store, docs);
  assertEquals(
    await commit(c, { offsets: [{ topic: "t", partition: 0, offset: 2, leaderEpoch: -1, metadata: null }] }),
    E.NONE,
  );
  assertEquals(await txnCode(c), E.NONE);

  // Not committed yet: OffsetFetch answers the last committed offset, the group store has not seen it.
  assertEquals(fetched(c), [2, E.NONE]);
  assertEquals(store.offsets.get("g")?.get(offsetKey("t", 0))?.offset, 2);
  // Durable as a document of the group's partition, carrying group and producer id.
  const names = await txoDocs(docs);
  assertEquals(names.length, 1);
  assert(names[0].startsWith(`txo-${G_PARTITION}-`), names[0]);
  const doc = decodeTxnOffsets((await docs.get(names[0]))!.data);
  assertEquals([doc.groupId, doc.producerId, doc.producerEpoch], ["g", PID, 0]);
  assertEquals(doc.offsets.map((o) => [o.topic, o.partition, o.offset, o.leaderEpoch, o.metadata]), [
    ["t", 0, 5, 3, "m"],
  ]);

  // A marker of another producer, or on another partition, changes nothing.
  await c.completeTransaction(G_PARTITION, PID + 1, true);
  await c.completeTransaction((G_PARTITION + 1) % 50, PID, true);
  assertEquals(fetched(c), [2, E.NONE]);

  await c.completeTransaction(G_PARTITION, PID, true);
  const [row] = c.fetchOffsets("g", [{ topic: "t", partition: 0 }]);
  assertEquals([row.offset, row.leaderEpoch, row.metadata], [5, 3, "m"]);
  assertEquals(
    store.offsets.get("g")?.get(offsetKey("t", 0))?.offset,
    5,
    "committed through the group store",
  );
  assertEquals(await txoDocs(docs), [], "document deleted");

  // Idempotent: a repeated marker finds nothing pending.
  await c.completeTransaction(G_PARTITION, PID, true);
  await c.completeTransaction(G_PARTITION, PID, false);
  assertEquals(fetched(c), [5, E.NONE]);
  await c.close();
});

Deno.test("TxnOffsetCommit: the ABORT marker drops the pending offsets; a group known only by them goes", async () => {
  const docs = new MemoryDocuments();
  const c = await solo(new MemoryStore(), docs);
  assertEquals(
    await commit(c, {
      groupId: "kept",
      offsets: [{ topic: "t", partition: 0, offset: 3, leaderEpoch: -1, metadata: null }],
    }),
    E.NONE,
  );
  assertEquals(await txnCode(c, { groupId: "kept" }), E.NONE);
  assertEquals(await txnCode(c, { groupId: "fresh" }), E.NONE);
  assertEquals(c.list().map((g) => g.groupId).sort(), ["fresh", "kept"]);
  assertEquals((await txoDocs(docs)).length, 2);

  await c.completeTransaction(partitionForGroup("kept", 50), PID, false);
  await c.completeTransaction(partitionForGroup("fresh", 50), PID, false);
  assertEquals(fetched(c, true, 0, "kept"), [3, E.NONE]);
  assertEquals(fetched(c, true, 0, "fresh"), [-1, E.NONE]);
  assertEquals(
    c.list().map((g) => g.groupId),
    ["kept"],
    "the simple group of the aborted commit is forgotten",
  );
  assertEquals(await txoDocs(docs), []);
  await c.close();
});

Deno.test("TxnOffsetCommit: several commits of one transaction merge; producers and groups stay apart", async () => {
  const docs = new MemoryDocuments();
  const c = await solo(new MemoryStore(), docs);
  assertEquals(await txnCode(c), E.NONE);
  const codes = await txnCommit(c, {
    offsets: [
      { topic: "t", partition: 0, offset: 7, leaderEpoch: -1, metadata: null },
      { topic: "t", partition: 1, offset: 8, leaderEpoch: -1, metadata: null },
    ],
  });
  assertEquals([...codes.values()], [E.NONE, E.NONE]);
  assertEquals(await txnCodes(c, { producerId: PID + 1, offsets: [off(2, 9)] }), [E.NONE]);
  assertEquals((await txoDocs(docs)).length, 2, "one document per (group, producer)");

  await c.completeTransaction(G_PARTITION, PID, true);
  assertEquals([fetched(c)[0], fetched(c, false, 1)[0], fetched(c, false, 2)[0]], [7, 8, -1]);
  assertEquals(
    fetched(c, true, 2),
    [-1, E.UNSTABLE_OFFSET_COMMIT],
    "the other producer's offset is still pending",
  );
  await c.completeTransaction(G_PARTITION, PID + 1, true);
  assertEquals(fetched(c, true, 2), [9, E.NONE]);
  await c.close();
});

Deno.test("TxnOffsetCommit: a plain OffsetCommit made after it wins when the transaction commits", async () => {
  const clock = new ManualClock();
  const c = await solo(new MemoryStore(), new MemoryDocuments(), clock);
  assertEquals(await txnCode(c), E.NONE); // t-0 = 5 at T
  await clock.advance(10);
  assertEquals(
    await commit(c, { offsets: [{ topic: "t", partition: 0, offset: 20, leaderEpoch: -1, metadata: null }] }),
    E.NONE,
  );
  assertEquals(await txnCodes(c, { offsets: [off(1, 6)] }), [E.NONE]);
  await c.completeTransaction(G_PARTITION, PID, true);
  assertEquals(fetched(c)[0], 20, "Kafka keeps the later record");
  assertEquals(fetched(c, false, 1)[0], 6);
  await c.close();
});

// ---------------------------------------------------------------------------------------------------------------
// require_stable

Deno.test("OffsetFetch require_stable: UNSTABLE_OFFSET_COMMIT per pending partition; without it, the committed", async () => {
  const c = await solo();
  assertEquals(await commit(c, { offsets: [off(0, 10), off(1, 11)] }), E.NONE);
  assertEquals(await txnCode(c), E.NONE);
  assertEquals(fetched(c, true), [-1, E.UNSTABLE_OFFSET_COMMIT]);
  assertEquals(fetched(c, true, 1), [11, E.NONE]);
  assertEquals(fetched(c, false), [10, E.NONE]);
  // "All partitions": the committed ones, the pending one unstable.
  assertEquals(
    c.fetchOffsets("g", null, true).map((r) => [r.partition, r.offset, r.errorCode ?? E.NONE]),
    [[0, -1, E.UNSTABLE_OFFSET_COMMIT], [1, 11, E.NONE]],
  );
  await c.completeTransaction(G_PARTITION, PID, true);
  assertEquals(fetched(c, true), [5, E.NONE]);
  await c.close();
});

/** A DocumentStore whose puts wait for `gate` while it is set. */
class GatedDocuments extends MemoryDocuments {
  gate: Promise<void> | null = null;
  override async put(name: string, data: Uint8Array, expected: string | null): Promise<string | null> {
    if (this.gate) await this.gate;
    return await super.put(name, data, expected);
  }
  failNext = false;
  override get(name: string): Promise<StoredDocument | null> {
    if (this.failNext) {
      this.failNext = false;
      return Promise.reject(new Error("filer unavailable"));
    }
    return super.get(name);
  }
}

Deno.test("require_stable: unstable while the TxnOffsetCommit is being stored; a failed store leaves nothing", async () => {
  const docs = new GatedDocuments();
  const c = await solo(new MemoryStore(), docs);
  let open!: () => void;
  docs.gate = new Promise((r) => open = r);
  const pending = txnCode(c);
  await Promise.resolve();
  assertEquals(fetched(c, true), [-1, E.UNSTABLE_OFFSET_COMMIT]);
  open();
  docs.gate = null;
  assertEquals(await pending, E.NONE);
  await c.completeTransaction(G_PARTITION, PID, false);

  docs.failNext = true;
  assertEquals(await txnCode(c), E.COORDINATOR_NOT_AVAILABLE);
  assertEquals(fetched(c, true), [-1, E.NONE]);
  assertEquals(c.list(), [], "nothing pending, no group left behind");
  await c.close();
});

Deno.test("OffsetFetch handler: require_stable v7 (partition error, top level NONE) and v8 (group error NONE)", async () => {
  const c = await solo();
  assertEquals(await commit(c), E.NONE);
  assertEquals(await txnCode(c), E.NONE);
  const broker = {
    coordinator: c,
    cluster: { coordinates: () => true, coordinatorPartition: (g: string) => partitionForGroup(g, 50) },
  } as unknown as Broker;
  const topics = [{ name: "t", partitionIndexes: [0, 1] }];
  const v7 = await offsetFetchHandler(ctx(broker, 7), {
    groupId: "g",
    topics,
    requireStable: true,
  } as OffsetFetchRequest);
  assertEquals(v7!.errorCode, E.NONE);
  assertEquals(v7!.topics![0].partitions.map((p) => [p.committedOffset, p.errorCode]), [
    [-1, E.UNSTABLE_OFFSET_COMMIT],
    [-1, E.NONE],
  ]);
  const v8 = await offsetFetchHandler(ctx(broker, 8), {
    groups: [{ groupId: "g", topics }],
    requireStable: true,
  } as OffsetFetchRequest);
  assertEquals(v8!.groups![0].errorCode, E.NONE);
  assertEquals(v8!.groups![0].topics[0].partitions[0].errorCode, E.UNSTABLE_OFFSET_COMMIT);
  const plain = await offsetFetchHandler(ctx(broker, 8), {
    groups: [{ groupId: "g", topics }],
    requireStable: false,
  } as OffsetFetchRequest);
  assertEquals(plain!.groups![0].topics[0].partitions.map((p) => [p.committedOffset, p.errorCode]), [
    [1, E.NONE],
    [-1, E.NONE],
  ]);
  await c.close();
});

// ---------------------------------------------------------------------------------------------------------------
// KIP-447 fencing and the request's other checks

Deno.test("TxnOffsetCommit KIP-447: generation, member and static instance are checked against the group", async () => {
  const c = await solo();
  const a = await join(c, { groupInstanceId: "i-1" });
  assertEquals(a.errorCode, E.NONE);
  assertEquals(
    (await sync(c, { memberId: a.memberId, generationId: a.generationId, groupInstanceId: "i-1" })).errorCode,
    E.NONE,
  );
  assertEquals(c.groupState("g"), "Stable");
  const gen = a.generationId;
  const member = { memberId: a.memberId, groupInstanceId: "i-1" };

  assertEquals(await txnCode(c, { ...member, generationId: gen }), E.NONE);
  assertEquals(await txnCode(c, { ...member, generationId: gen - 1 }), E.ILLEGAL_GENERATION);
  assertEquals(
    await txnCode(c, { memberId: "someone", groupInstanceId: null, generationId: gen }),
    E.UNKNOWN_MEMBER_ID,
  );
  assertEquals(
    await txnCode(c, { memberId: "someone", groupInstanceId: "i-1", generationId: gen }),
    E.FENCED_INSTANCE_ID,
  );
  assertEquals(
    await txnCode(c, { memberId: a.memberId, groupInstanceId: "i-2", generationId: gen }),
    E.UNKNOWN_MEMBER_ID,
  );
  // A member id with generation -1 is still checked (Kafka: any of the three fields present).
  assertEquals(
    await txnCode(c, { memberId: a.memberId, groupInstanceId: null, generationId: -1 }),
    E.ILLEGAL_GENERATION,
  );
  // No group metadata at all (v0-2 clients): not checked, even in a Stable group — unlike a plain OffsetCommit.
  assertEquals(await txnCode(c), E.NONE);
  assertEquals(await commit(c), E.UNKNOWN_MEMBER_ID);
  // An unknown group takes only a commit without generation.
  assertEquals(await txnCode(c, { groupId: "nobody", memberId: "m", generationId: 1 }), E.ILLEGAL_GENERATION);
  assertEquals(await txnCode(c, { groupId: "nobody" }), E.NONE);
  await c.close();
});

Deno.test("TxnOffsetCommit: unknown partitions, metadata size, empty group id, closed coordinator, stale epoch", async () => {
  const c = await solo();
  const codes = await txnCommit(c, {
    groupId: "",
    offsets: [
      { topic: "t", partition: 0, offset: 1, leaderEpoch: -1, metadata: null },
      { topic: "nope", partition: 0, offset: 1, leaderEpoch: -1, metadata: null },
    ],
  });
  assertEquals([codes.get(offsetKey("t", 0)), codes.get(offsetKey("nope", 0))], [
    E.INVALID_GROUP_ID,
    E.UNKNOWN_TOPIC_OR_PARTITION,
  ]);
  const sized = await txnCommit(c, {
    offsets: [
      {
        topic: "t",
        partition: 0,
        offset: 1,
        leaderEpoch: -1,
        metadata: "x".repeat(OPTS.offsetMetadataMaxBytes + 1),
      },
      { topic: "t", partition: 9, offset: 1, leaderEpoch: -1, metadata: null },
      { topic: "t", partition: 1, offset: 1, leaderEpoch: -1, metadata: null },
    ],
  });
  assertEquals(
    [...sized.entries()].sort(),
    [
      [offsetKey("t", 0), E.OFFSET_METADATA_TOO_LARGE],
      [offsetKey("t", 1), E.NONE],
      [offsetKey("t", 9), E.UNKNOWN_TOPIC_OR_PARTITION],
    ].sort(),
  );
  // Producer epochs: a newer one joins the pending offsets, an older one is refused as the log would.
  assertEquals(await txnCode(c, { producerEpoch: 2 }), E.NONE);
  assertEquals(await txnCode(c, { producerEpoch: 1 }), E.INVALID_PRODUCER_EPOCH);
  await c.close();
  assertEquals(await txnCode(c), E.COORDINATOR_NOT_AVAILABLE);
  assertEquals(await thrownCode(c.completeTransaction(G_PARTITION, PID, true)), E.NOT_COORDINATOR);
});

// ---------------------------------------------------------------------------------------------------------------
// KIP-890 verification

Deno.test("TxnOffsetCommit KIP-890: the verifier's refusal is answered; a marker during verification voids it", async () => {
  const docs = new MemoryDocuments();
  const c = await solo(new MemoryStore(), docs);
  const refuse = (code: number) => () => Promise.reject(new KafkaError(code, "no"));
  assertEquals(await txnCode(c, { verify: refuse(E.INVALID_TXN_STATE) }), E.INVALID_TXN_STATE);
  assertEquals(await txnCode(c, { verify: refuse(E.INVALID_PRODUCER_EPOCH) }), E.INVALID_PRODUCER_EPOCH);
  assertEquals(await txnCode(c, { verify: () => Promise.resolve() }), E.NONE);
  await c.completeTransaction(G_PARTITION, PID, true);

  // The transaction ends (its marker arrives) while the verification is under way: the late commit is refused
  // instead of waiting pending for the producer's next transaction.
  let answer!: () => void;
  const late = txnCode(c, {
    offsets: [{ topic: "t", partition: 0, offset: 99, leaderEpoch: -1, metadata: null }],
    verify: () => new Promise<void>((r) => answer = r),
  });
  await Promise.resolve();
  await c.completeTransaction(G_PARTITION, PID, false);
  answer();
  assertEquals(await late, E.INVALID_TXN_STATE);
  assertEquals(fetched(c, true), [5, E.NONE]);
  assertEquals(await txoDocs(docs), []);
  await c.close();
});

Deno.test("verification errors as TxnOffsetCommit answers them (Kafka's translation for this API)", () => {
  const code = (e: unknown) => verificationError(e).code;
  assertEquals(code(new KafkaError(E.CONCURRENT_TRANSACTIONS, "")), E.COORDINATOR_NOT_AVAILABLE);
  assertEquals(code(new KafkaError(E.NOT_COORDINATOR, "")), E.COORDINATOR_NOT_AVAILABLE);
  assertEquals(code(new KafkaError(E.COORDINATOR_LOAD_IN_PROGRESS, "")), E.COORDINATOR_NOT_AVAILABLE);
  assertEquals(code(new Error("connection reset")), E.COORDINATOR_NOT_AVAILABLE);
  assertEquals(code(new KafkaError(E.PRODUCER_FENCED, "")), E.INVALID_PRODUCER_EPOCH);
  assertEquals(code(new KafkaError(E.INVALID_TXN_STATE, "")), E.INVALID_TXN_STATE);
});

Deno.test("TxnOffsetCommit handler: verifies the group's __consumer_offsets partition; v4 gets TRANSACTION_ABORTABLE", async () => {
  const c = await solo();
  const asked: string[] = [];
  let refuse = false;
  const verifier: TxnVerifier = {
    verify(txnId, pid, epoch, tp) {
      asked.push(`${txnId}/${pid}/${epoch}/${tp.topic}-${tp.partition}`);
      return refuse ? Promise.reject(new KafkaError(E.INVALID_TXN_STATE, "not added")) : Promise.resolve();
    },
  };
  const broker = {
    coordinator: c,
    txnVerifier: verifier,
    cluster: { coordinatorPartition: (g: string) => partitionForGroup(g, 50) },
  } as unknown as Broker;
  const req = (v: number): TxnOffsetCommitRequest => ({
    transactionalId: "tx",
    groupId: "g",
    producerId: PID,
    producerEpoch: 1,
    ...(v >= 3 ? { generationId: -1, memberId: "", groupInstanceId: null } : {}),
    topics: [{
      name: "t",
      partitions: [{
        partitionIndex: 0,
        committedOffset: 5,
        committedLeaderEpoch: -1,
        committedMetadata: null,
      }],
    }],
  });
  const code = async (v: number) =>
    (await txnOffsetCommitHandler(ctx(broker, v), req(v)))!.topics[0].partitions[0].errorCode;
  assertEquals(await code(3), E.NONE);
  assertEquals(asked, [`tx/${PID}/1/${CO}-${G_PARTITION}`]);
  refuse = true;
  assertEquals(await code(3), E.INVALID_TXN_STATE);
  assertEquals(await code(4), E.TRANSACTION_ABORTABLE);
  assertEquals(await code(0), E.INVALID_TXN_STATE);
  await c.close();
});

// ---------------------------------------------------------------------------------------------------------------
// Interplay with DeleteGroups, OffsetDelete, retention and topic deletion (as Kafka's tombstones)

Deno.test("DeleteGroups, OffsetDelete and a deleted topic take pending offsets; retention keeps their partition", async () => {
  const clock = new ManualClock();
  const docs = new MemoryDocuments();
  const c = await solo(new MemoryStore(), docs, clock);
  // DeleteGroups of an Empty group with a pending transaction: deleted, pending offsets too (Kafka does not refuse).
  assertEquals(await txnCode(c), E.NONE);
  assertEquals(await c.deleteGroup("g"), E.NONE);
  assertEquals(fetched(c, true), [-1, E.NONE]);
  assertEquals(await txoDocs(docs), []);
  await c.completeTransaction(G_PARTITION, PID, true);
  assertEquals(fetched(c), [-1, E.NONE], "the later marker finds nothing");

  // OffsetDelete: the partition's pending offset goes, the others stay pending.
  const two = [
    { topic: "t", partition: 0, offset: 5, leaderEpoch: -1, metadata: null },
    { topic: "t", partition: 1, offset: 6, leaderEpoch: -1, metadata: null },
  ];
  assertEquals([...(await txnCommit(c, { offsets: two })).values()], [E.NONE, E.NONE]);
  const del = await c.deleteOffsets("g", [{ topic: "t", partition: 0 }]);
  assertEquals(del.errorCode, E.NONE, "a group known only by pending offsets exists");
  assertEquals([fetched(c, true)[1], fetched(c, true, 1)[1]], [E.NONE, E.UNSTABLE_OFFSET_COMMIT]);
  // A deleted topic takes the rest.
  await c.topicDeleted("t");
  assertEquals(fetched(c, true, 1), [-1, E.NONE]);
  assertEquals(await txoDocs(docs), []);

  // Retention: an expired offset with a pending transactional one stays; the others expire.
  assertEquals(await commit(c, { groupId: "r", offsets: two }), E.NONE);
  assertEquals(await txnCode(c, { groupId: "r", producerId: PID + 1 }), E.NONE);
  await clock.advance(OPTS.offsetsRetentionMs + 1);
  assertEquals(await c.expireOffsets(), 1);
  assertEquals(fetched(c, false, 0, "r"), [5, E.NONE]);
  assertEquals(fetched(c, false, 1, "r"), [-1, E.NONE]);
  await c.completeTransaction(partitionForGroup("r", 50), PID + 1, false);
  assertEquals(await c.expireOffsets(), 1);
  assertEquals(c.list(), [], "the group goes with its last offset once nothing is pending");
  await c.close();
});

// ---------------------------------------------------------------------------------------------------------------
// Durability and placement

Deno.test("durability: a new coordinator on the same storage loads pending offsets and completes the commit", async () => {
  const dir = await Deno.makeTempDir({ prefix: "txn_offsets_test_" });
  try {
    const store = new MemoryStore();
    const first = await solo(store, new EmbeddedDocuments(dir));
    assertEquals(await txnCode(first), E.NONE);
    assertEquals(await txnCode(first, { groupId: "other", producerId: PID + 7 }), E.NONE);
    await first.close(); // the gateway stops (or dies) before the marker

    const second = await solo(store, new EmbeddedDocuments(dir));
    assertEquals(fetched(second, true), [-1, E.UNSTABLE_OFFSET_COMMIT], "still pending after the restart");
    assertEquals(fetched(second), [-1, E.NONE]);
    assertEquals(second.list().map((g) => g.groupId).sort(), ["g", "other"]);
    await second.completeTransaction(G_PARTITION, PID, true);
    assertEquals(fetched(second, true), [5, E.NONE]);
    assertEquals(store.offsets.get("g")?.get(offsetKey("t", 0))?.offset, 5);
    await second.completeTransaction(partitionForGroup("other", 50), PID + 7, false);
    assertEquals(await new EmbeddedDocuments(dir).list("txo-"), []);
    await second.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A distributed gateway's coordinator (FakeLeaderCluster: 4 `__consumer_offsets` partitions). */
async function gateway(store: GroupStore, docs: DocumentStore) {
  const cluster = new FakeLeaderCluster();
  const c = new GroupCoordinator(
    store,
    { ...OPTS, clock: new ManualClock() },
    logger("test"),
    exists,
    cluster,
    undefined,
    docs,
  );
  cluster.addParticipant(c);
  await c.start();
  return { c, cluster };
}

/** A store whose loads wait for `gate` while it is set. */
class SlowLoadStore extends MemoryStore {
  gate: Promise<void> | null = null;
  override async load() {
    if (this.gate) await this.gate;
    return await super.load();
  }
}

Deno.test("placement: NOT_COORDINATOR elsewhere, COORDINATOR_LOAD_IN_PROGRESS while loading; failover completes", async () => {
  const store = new SlowLoadStore();
  const docs = new MemoryDocuments();
  const a = await gateway(store, docs);
  const b = await gateway(store, docs);
  const group = groupOn(1);
  const on1 = { groupId: group };

  assertEquals(await txnCode(a.c, on1), E.NOT_COORDINATOR);
  assertEquals(await thrownCode(a.c.completeTransaction(1, PID, true)), E.NOT_COORDINATOR);

  let open!: () => void;
  store.gate = new Promise((r) => open = r);
  const gaining = a.cluster.gain(CO, [1], 5);
  await new Promise((r) => setTimeout(r, 5));
  assertEquals(await txnCode(a.c, on1), E.COORDINATOR_LOAD_IN_PROGRESS);
  assertEquals(await thrownCode(a.c.completeTransaction(1, PID, true)), E.NOT_COORDINATOR);
  store.gate = null;
  open();
  await gaining;

  assertEquals(await txnCode(a.c, on1), E.NONE);
  assertEquals(fetched(a.c, true, 0, group), [-1, E.UNSTABLE_OFFSET_COMMIT]);
  // A lapsed lease: no longer coordinated here, nothing written.
  a.cluster.leaseFresh = false;
  assertEquals(await txnCode(a.c, { ...on1, producerId: PID + 1 }), E.NOT_COORDINATOR);
  assertEquals(await thrownCode(a.c.completeTransaction(1, PID, true)), E.NOT_COORDINATOR);
  a.cluster.leaseFresh = true;

  // The partition moves to gateway b, which reads the pending offsets and applies the marker.
  await a.cluster.lose(CO, [1]);
  assertEquals(await thrownCode(a.c.completeTransaction(1, PID, true)), E.NOT_COORDINATOR);
  await b.cluster.gain(CO, [1], 6);
  assertEquals(fetched(b.c, true, 0, group), [-1, E.UNSTABLE_OFFSET_COMMIT]);
  await b.c.completeTransaction(1, PID, true);
  assertEquals(fetched(b.c, true, 0, group), [5, E.NONE]);
  assertEquals(store.offsets.get(group)?.get(offsetKey("t", 0))?.offset, 5);
  assertEquals(await docs.list("txo-"), []);
  await a.c.close();
  await b.c.close();
});

Deno.test("release waits for a TxnOffsetCommit being stored, which answers NOT_COORDINATOR; the next one has it", async () => {
  const store = new MemoryStore();
  const docs = new GatedDocuments();
  const a = await gateway(store, docs);
  const b = await gateway(store, docs);
  const group = groupOn(2);
  await a.cluster.gain(CO, [2], 1);
  let open!: () => void;
  docs.gate = new Promise((r) => open = r);
  const storing = txnCode(a.c, { groupId: group });
  await new Promise((r) => setTimeout(r, 5));
  let released = false;
  const losing = a.cluster.lose(CO, [2]).then(() => released = true);
  await new Promise((r) => setTimeout(r, 5));
  assert(!released, "the release waits for the write in flight");
  docs.gate = null;
  open();
  await losing;
  assertEquals(
    await storing,
    E.NOT_COORDINATOR,
    "its coordinator moved while storing: the client retries there",
  );
  await b.cluster.gain(CO, [2], 2);
  assertEquals(
    fetched(b.c, true, 0, group),
    [-1, E.UNSTABLE_OFFSET_COMMIT],
    "what was stored is pending there",
  );
  assertEquals(await txnCode(b.c, { groupId: group }), E.NONE, "the retry lands on the new coordinator");
  await b.c.completeTransaction(2, PID, true);
  assertEquals(fetched(b.c, true, 0, group), [5, E.NONE]);
  await a.c.close();
  await b.c.close();
});

// ---------------------------------------------------------------------------------------------------------------
// The message schema

Deno.test("TxnOffsetCommit spec: key 28, v0-4, flexible from v3", () => {
  const s = TxnOffsetCommitSpec;
  assertEquals([s.key, s.minVersion, s.maxVersion, s.flexibleFrom], [28, 0, 4, 3]);
});

Deno.test("TxnOffsetCommit request and response bytes: v0-1, v2 (leader epoch), v3-4 (KIP-447, flexible)", () => {
  const base = { transactionalId: "tx", groupId: "g", producerId: 7, producerEpoch: 2 };
  const part = { partitionIndex: 1, committedOffset: 42, committedLeaderEpoch: -1, committedMetadata: null };
  for (const v of [0, 1]) {
    requestVector(
      TxnOffsetCommitSpec,
      v,
      cat(str("tx"), str("g"), i64(7), i16(2), arr(1), str("t"), arr(1), i32(1), i64(42), str(null)),
      {
        ...base,
        generationId: -1,
        memberId: "",
        groupInstanceId: null,
        topics: [{ name: "t", partitions: [part] }],
      },
    );
  }
  requestVector(
    TxnOffsetCommitSpec,
    2,
    cat(str("tx"), str("g"), i64(7), i16(2), arr(1), str("t"), arr(1), i32(1), i64(42), i32(9), str("m")),
    {
      ...base,
      generationId: -1,
      memberId: "",
      groupInstanceId: null,
      topics: [{ name: "t", partitions: [{ ...part, committedLeaderEpoch: 9, committedMetadata: "m" }] }],
    },
  );
  for (const v of [3, 4]) {
    requestVector(
      TxnOffsetCommitSpec,
      v,
      cat(
        cstr("tx"),
        cstr("g"),
        i64(7),
        i16(2),
        i32(3),
        cstr("member-1"),
        cstr(null),
        uv(2),
        cstr("t"),
        uv(2),
        i32(1),
        i64(42),
        i32(9),
        cstr(null),
        NO_TAGS,
        NO_TAGS,
        NO_TAGS,
      ),
      {
        ...base,
        generationId: 3,
        memberId: "member-1",
        groupInstanceId: null,
        topics: [{ name: "t", partitions: [{ ...part, committedLeaderEpoch: 9 }] }],
      },
    );
    responseVector(
      TxnOffsetCommitSpec,
      v,
      cat(i32(0), uv(2), cstr("t"), uv(2), i32(1), i16(E.ILLEGAL_GENERATION), NO_TAGS, NO_TAGS, NO_TAGS),
      {
        throttleTimeMs: 0,
        topics: [{ name: "t", partitions: [{ partitionIndex: 1, errorCode: E.ILLEGAL_GENERATION }] }],
      },
    );
  }
  responseVector(
    TxnOffsetCommitSpec,
    0,
    cat(i32(5), arr(1), str("t"), arr(1), i32(1), i16(0)),
    { throttleTimeMs: 5, topics: [{ name: "t", partitions: [{ partitionIndex: 1, errorCode: 0 }] }] },
  );
  // Round trip through encode/decode at the flexible version with a static member.
  const req = {
    ...base,
    generationId: 4,
    memberId: "m",
    groupInstanceId: "i",
    topics: [{ name: "t", partitions: [part] }],
  };
  assertEquals(decodeRequest(TxnOffsetCommitSpec, 4, encodeRequest(TxnOffsetCommitSpec, 4, req)), req);
});

// ---------------------------------------------------------------------------------------------------------------

function ctx(broker: Broker, apiVersion: number): RequestContext {
  return {
    broker,
    header: { apiKey: 0, apiVersion, correlationId: 1, clientId: "test" },
    connectionId: 1,
    clientHost: "/127.0.0.1",
    log: logger("test"),
    principal: { type: "User", name: "ANONYMOUS" },
    listener: { name: "PLAINTEXT", securityProtocol: "PLAINTEXT", host: "127.0.0.1", port: 9092 },
  };
}
