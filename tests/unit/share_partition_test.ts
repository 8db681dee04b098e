// A share-partition's state machine (src/groups/share/share_partition.ts) and the share-partitions of a leader
// (share_partitions.ts) over an in-memory log and document store: acquisition (whole batches, redeliveries first,
// never a record to two members), acknowledgement rules and their codes, releases and the delivery-count limit,
// lock timeouts, transaction markers never delivered, the in-flight bound, the durable form (acquired records
// come back available with their counts), a write that lost its compare-and-set (another leader), and the start
// offset of a new share-partition (latest, earliest), durable from its first use, and the admin side
// (share_offsets.ts: DescribeShareGroupOffsets, AlterShareGroupOffsets, DeleteShareGroupOffsets) with a leader
// that finds their changes.
import {
  ACCEPT,
  GAP,
  REJECT,
  RELEASE,
  RENEW,
  SharePartition,
  zeroCounters,
} from "../../src/groups/share/share_partition.ts";
import { type PartitionTransactions, SharePartitions } from "../../src/groups/share/share_partitions.ts";
import { ShareOffsets } from "../../src/groups/share/share_offsets.ts";
import { offsetResetDurationMs } from "../../src/configs/group_defs.ts";
import { MemoryDocuments } from "../../src/storage/documents.ts";
import type { ReadResult, TopicMeta } from "../../src/storage/storage.ts";
import { buildBatchSync } from "../../src/records/batch.ts";
import { ErrorCode, KafkaError } from "../../src/protocol/errors.ts";
import { logger } from "../../src/log.ts";
import { assert, assertEquals } from "./assert.ts";

const LIMITS = { deliveryCountLimit: 3, maxInFlight: 100 };
const counters = zeroCounters;
const batch = (first: number, last: number, skip = false) => ({ first, last, skip });

Deno.test("share-partition: acquires whole batches up to max records, never a record twice", () => {
  const p = new SharePartition(0, 0, LIMITS);
  const c = counters();
  const a = p.acquire("a", [batch(0, 2), batch(3, 5), batch(6, 9)], 4, 1_000, c);
  // The batch that reaches the limit is taken whole (as Kafka), the next is not.
  assertEquals(a.ranges, [{ firstOffset: 0, lastOffset: 5, deliveryCount: 1 }]);
  assertEquals(a.used, [true, true, false]);
  assertEquals([p.startOffset, p.endOffset, c.acquired], [0, 6, 6]);
  // Another member reading the same batches gets only what is free.
  const b = p.acquire("b", [batch(0, 2), batch(3, 5), batch(6, 9)], 100, 1_000, c);
  assertEquals(b.ranges, [{ firstOffset: 6, lastOffset: 9, deliveryCount: 1 }]);
  assertEquals(b.used, [false, false, true]);
  assertEquals(p.nextReadOffset(), 10);
});

Deno.test("share-partition: record-limit acquisition stops at max records inside a batch (KIP-1206)", () => {
  const p = new SharePartition(0, 0, LIMITS);
  const c = counters();
  const a = p.acquire("a", [batch(0, 2), batch(3, 5)], 4, 1_000, c, true);
  assertEquals(a.ranges, [{ firstOffset: 0, lastOffset: 3, deliveryCount: 1 }]);
  assertEquals(a.used, [true, true]);
  assertEquals([p.endOffset, c.acquired], [4, 4]);
  // The rest of the batch stays for the next fetch.
  assertEquals(p.acquire("b", [batch(3, 5)], 1, 1_000, c, true).ranges, [{
    firstOffset: 4,
    lastOffset: 4,
    deliveryCount: 1,
  }]);
});

Deno.test("share-partition: an acquisition that never reached its member is undone, its delivery not counted", () => {
  const p = new SharePartition(0, 0, LIMITS);
  const c = counters();
  const a = p.acquire("a", [batch(0, 1)], 100, 1_000, c);
  assertEquals(p.unacquire("b", a.ranges), false, "another member's");
  assertEquals(p.unacquire("a", a.ranges), true);
  assertEquals(p.unacquire("a", a.ranges), false, "once");
  assertEquals(p.stateCounts(), { AVAILABLE: 2, ACQUIRED: 0, ACKNOWLEDGED: 0, ARCHIVED: 0 });
  assertEquals(p.acquire("b", [batch(0, 1)], 100, 1_000, c).ranges, [{
    firstOffset: 0,
    lastOffset: 1,
    deliveryCount: 1,
  }]);
});

Deno.test("share-partition: renew restarts the holder's lock and changes nothing else (KIP-1222)", () => {
  const p = new SharePartition(0, 0, LIMITS);
  const c = counters();
  p.acquire("a", [batch(0, 2)], 100, 1_000, c);
  const renew = (member: string, first: number, last: number, due: number | null) =>
    p.acknowledge(member, [{ firstOffset: first, lastOffset: last, acknowledgeTypes: [RENEW] }], c, due);
  // Without the request's IsRenewAck a renewal is an unknown type; another member's records are refused.
  assertEquals(
    renew("a", 0, 0, null),
    "Renew acknowledgements need a request that says it carries them (IsRenewAck).",
  );
  assertEquals(renew("b", 0, 0, 5_000), "record 0 is not acquired by member b");
  assertEquals(renew("a", 0, 1, 5_000), null);
  assertEquals([p.earliestLock(), c.renewed], [1_000, 2], "record 2 keeps its lock");
  assertEquals(p.releaseExpired(1_000, c), true, "record 2's lock passed");
  assertEquals(p.stateCounts(), { AVAILABLE: 1, ACQUIRED: 2, ACKNOWLEDGED: 0, ARCHIVED: 0 });
  assertEquals(p.releaseExpired(4_999, c), false);
  // Per-offset types: renew 0, accept 1 (renewals and other types in one batch).
  assertEquals(
    p.acknowledge("a", [{ firstOffset: 0, lastOffset: 1, acknowledgeTypes: [RENEW, ACCEPT] }], c, 9_000),
    null,
  );
  assertEquals([p.earliestLock(), p.startOffset], [9_000, 0]);
  assertEquals(p.acquire("b", [batch(0, 2)], 100, 9_000, c).ranges, [{
    firstOffset: 2,
    lastOffset: 2,
    deliveryCount: 2,
  }]);
  assertEquals(p.releaseExpired(9_000, c), true);
  assertEquals(
    p.acquire("b", [batch(0, 0)], 100, 20_000, c).ranges[0].deliveryCount,
    2,
    "a renewal is no delivery",
  );
});

Deno.test("share-partition: acknowledgements move the start offset; wrong member or state changes nothing", () => {
  const p = new SharePartition(0, 0, LIMITS);
  const c = counters();
  p.acquire("a", [batch(0, 4)], 100, 1_000, c);
  assertEquals(
    p.acknowledge("b", [{ firstOffset: 0, lastOffset: 1, acknowledgeTypes: [ACCEPT] }], c),
    "record 0 is not acquired by member b",
  );
  assertEquals(
    p.acknowledge("a", [{ firstOffset: 3, lastOffset: 5, acknowledgeTypes: [ACCEPT] }], c),
    "record 5 is not acquired by member a",
  );
  assertEquals(
    p.acknowledge("a", [{ firstOffset: 0, lastOffset: 2, acknowledgeTypes: [ACCEPT, ACCEPT] }], c),
    "invalid acknowledgement batch 0-2",
  );
  assertEquals(
    p.acknowledge("a", [{ firstOffset: 0, lastOffset: 0, acknowledgeTypes: [7] }], c),
    "unknown acknowledge type",
  );
  assertEquals([p.startOffset, c.accepted], [0, 0], "nothing applied");
  // Per-offset types: accept 0, gap 1, reject 2 -> the start moves over all three; 3 released, 4 still held.
  assertEquals(
    p.acknowledge("a", [
      { firstOffset: 0, lastOffset: 2, acknowledgeTypes: [ACCEPT, GAP, REJECT] },
      { firstOffset: 3, lastOffset: 3, acknowledgeTypes: [RELEASE] },
    ], c),
    null,
  );
  assertEquals([p.startOffset, p.endOffset, p.nextReadOffset()], [3, 5, 3]);
  assertEquals([c.accepted, c.rejected, c.archived, c.released], [1, 1, 2, 1]);
  assertEquals(p.stateCounts(), { AVAILABLE: 1, ACQUIRED: 1, ACKNOWLEDGED: 0, ARCHIVED: 0 });
  // Acknowledging twice is refused.
  assert(p.acknowledge("a", [{ firstOffset: 0, lastOffset: 0, acknowledgeTypes: [ACCEPT] }], c) !== null);
});

Deno.test("share-partition: redelivery counts deliveries and archives at the limit; locks pass; members leave", () => {
  const p = new SharePartition(0, 0, LIMITS);
  const c = counters();
  for (let n = 1; n <= 3; n++) {
    const got = p.acquire("a", [batch(0, 0)], 10, 1_000 * n, c);
    assertEquals(got.ranges, [{ firstOffset: 0, lastOffset: 0, deliveryCount: n }]);
    p.acknowledge("a", [{ firstOffset: 0, lastOffset: 0, acknowledgeTypes: [RELEASE] }], c);
  }
  // Third delivery released: the limit (3) is reached, the record is archived and the start moves on.
  assertEquals([p.startOffset, c.archived], [1, 1]);
  assertEquals(p.acquire("a", [batch(0, 0)], 10, 0, c).ranges, []);

  p.acquire("a", [batch(1, 2)], 10, 5_000, c);
  assertEquals(p.earliestLock(), 5_000);
  assertEquals(p.releaseExpired(4_999, c), false);
  assertEquals(p.releaseExpired(5_000, c), true);
  assertEquals([c.lockTimeouts, p.nextReadOffset()], [2, 1]);
  assertEquals(p.acquire("b", [batch(1, 2)], 10, 9_000, c).ranges, [{
    firstOffset: 1,
    lastOffset: 2,
    deliveryCount: 2,
  }]);
  assertEquals(p.releaseMember("a", c), false);
  assertEquals(p.releaseMember("b", c), true);
  assertEquals(p.acquire("a", [batch(1, 2)], 10, 9_000, c).ranges[0].deliveryCount, 3);
});

Deno.test("share-partition: transaction markers are never delivered; in-flight records are bounded", () => {
  const p = new SharePartition(0, 0, { deliveryCountLimit: 5, maxInFlight: 4 });
  const c = counters();
  const got = p.acquire("a", [batch(0, 1), batch(2, 2, true), batch(3, 9)], 100, 1_000, c);
  // 0-1 acquired, 2 (a marker) archived, then 3 only: four records in flight at most.
  assertEquals(got.ranges, [{ firstOffset: 0, lastOffset: 1, deliveryCount: 1 }, {
    firstOffset: 3,
    lastOffset: 3,
    deliveryCount: 1,
  }]);
  assertEquals([p.endOffset, p.inFlight, p.hasAcquirable(10)], [4, 4, false]);
  p.acknowledge("a", [{ firstOffset: 0, lastOffset: 1, acknowledgeTypes: [ACCEPT] }], c);
  assertEquals([p.startOffset, p.hasAcquirable(10)], [3, true], "the marker's offset went with them");
});

Deno.test("share-partition: the durable form keeps states and counts; acquired records come back available", () => {
  const p = new SharePartition(0, 0, LIMITS);
  const c = counters();
  p.acquire("a", [batch(0, 5)], 100, 1_000, c);
  p.acknowledge("a", [{ firstOffset: 1, lastOffset: 2, acknowledgeTypes: [ACCEPT, REJECT] }], c);
  const q = SharePartition.decode(p.encode({ topicId: "t", partition: 0, leaderEpoch: 3 }), LIMITS);
  assertEquals([q.startOffset, q.endOffset, q.nextReadOffset()], [0, 6, 0]);
  assertEquals(q.stateCounts(), { AVAILABLE: 4, ACQUIRED: 0, ACKNOWLEDGED: 1, ARCHIVED: 1 });
  // Offsets 0 and 3-5 are delivered again, with their second delivery count; 1-2 never again.
  assertEquals(q.acquire("b", [batch(0, 5)], 100, 1_000, c).ranges, [
    { firstOffset: 0, lastOffset: 0, deliveryCount: 2 },
    { firstOffset: 3, lastOffset: 5, deliveryCount: 2 },
  ]);
});

// ---------------------------------------------------------------- share-partitions over a memory log

class MemoryLog {
  readonly batches: Uint8Array[] = [];
  private next = 0;
  logStart = 0;
  private readonly listeners = new Set<() => void>();
  append(
    n: number,
    txn: { producerId: number; isTransactional: true; isControl?: boolean } | null = null,
  ): void {
    const recs = Array.from(
      { length: n },
      (_, i) => ({ value: new TextEncoder().encode(`v${this.next + i}`) }),
    );
    this.batches.push(buildBatchSync({ records: recs, baseOffset: this.next, ...txn }));
    this.next += n;
    for (const l of [...this.listeners]) l();
  }
  read(_t: string, _p: number, offset: number, maxBytes: number): Promise<ReadResult> {
    const out: Uint8Array[] = [];
    let bytes = 0;
    let base = 0;
    for (const b of this.batches) {
      const count = new DataView(b.buffer, b.byteOffset).getInt32(57);
      if (base + count > offset && (out.length === 0 || bytes + b.length <= maxBytes)) {
        out.push(b);
        bytes += b.length;
      }
      base += count;
    }
    return Promise.resolve({ batches: out, bytes, highWatermark: this.next, logStartOffset: this.logStart });
  }
  offsets() {
    return Promise.resolve({ logStartOffset: this.logStart, highWatermark: this.next });
  }
  offsetForTimestamp() {
    return Promise.resolve(null);
  }
  subscribe(_t: string, _p: number, l: () => void) {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}

const TOPIC: TopicMeta = { name: "q", id: "a".repeat(32), partitions: 1, configs: {} };

function partitions(
  log: MemoryLog,
  docs: MemoryDocuments,
  reset = "latest",
  epoch = { v: 1 as number | null },
  txns?: { isolation: string; of: PartitionTransactions },
  group: { deliveryCountLimit?: number; renew?: boolean } = {},
) {
  let now = 0;
  const sp = new SharePartitions(
    log,
    docs,
    () => epoch.v,
    {
      lockDurationMs: () => 30_000,
      autoOffsetReset: () => reset,
      isolationLevel: () => txns?.isolation ?? "read_uncommitted",
      transactions: txns === undefined ? undefined : () => Promise.resolve(txns.of),
      deliveryCountLimit: () => group.deliveryCountLimit ?? 5,
      maxRecordLocks: () => 2_000,
      renewEnabled: () => group.renew ?? true,
    },
    logger("test"),
    () => now,
  );
  return { sp, tick: (ms: number) => now += ms };
}

Deno.test("share-partitions: renewals (IsRenewAck) write nothing; the group's renew switch and delivery limit", async () => {
  const log = new MemoryLog();
  const docs = new MemoryDocuments();
  const group = { deliveryCountLimit: 5, renew: true };
  const { sp, tick } = partitions(log, docs, "earliest", undefined, undefined, group);
  const ack = (type: number, renew = false) =>
    sp.acknowledge("g", "a", TOPIC, 0, [{ firstOffset: 0, lastOffset: 0, acknowledgeTypes: [type] }], renew);
  const code = (p: Promise<unknown>) =>
    p.then(() => ErrorCode.NONE, (e) => e instanceof KafkaError ? e.code : -1);
  try {
    log.append(1);
    assertEquals((await sp.fetch("g", "a", TOPIC, 0, 10, 1 << 20)).ranges[0].deliveryCount, 1);
    const written = docs.docs.get([...docs.docs.keys()][0])!.version;
    tick(20_000);
    await ack(RENEW, true);
    assertEquals(docs.docs.get([...docs.docs.keys()][0])!.version, written, "a renewal writes nothing");
    tick(20_000); // 40 s after the fetch, 20 s after the renewal: the 30 s lock holds
    assertEquals((await sp.fetch("g", "b", TOPIC, 0, 10, 1 << 20)).ranges, []);
    assertEquals(await code(ack(RENEW)), ErrorCode.INVALID_REQUEST, "renew without IsRenewAck");
    group.renew = false;
    assertEquals(
      await code(ack(RENEW, true)),
      ErrorCode.INVALID_REQUEST,
      "share.renew.acknowledge.enable=false",
    );
    // share.delivery.count.limit of the group, read when a release happens: 1 archives at the first release.
    group.deliveryCountLimit = 1;
    await ack(RELEASE);
    assertEquals(sp.views()[0].startOffset, 1, "archived at the group's limit");
  } finally {
    sp.close();
  }
});

Deno.test("share-partitions: start at latest (or earliest), acknowledgements durable, state reloaded", async () => {
  const log = new MemoryLog();
  log.append(3);
  const docs = new MemoryDocuments();
  const { sp } = partitions(log, docs);
  try {
    assertEquals((await sp.fetch("g", "a", TOPIC, 0, 100, 1 << 20)).ranges, [], "latest: nothing old");
    log.append(4); // offsets 3-6
    const got = await sp.fetch("g", "a", TOPIC, 0, 100, 1 << 20);
    assertEquals([got.ranges, got.batches.length], [
      [{ firstOffset: 3, lastOffset: 6, deliveryCount: 1 }],
      1,
    ]);
    await sp.acknowledge("g", "a", TOPIC, 0, [{ firstOffset: 3, lastOffset: 4, acknowledgeTypes: [ACCEPT] }]);
    assertEquals(docs.docs.size, 1, "written before the answer");
  } finally {
    sp.close();
  }
  // A new leader (or a restart) reads the state: 3-4 done, 5-6 available again at their second delivery.
  const again = partitions(log, docs);
  try {
    const got = await again.sp.fetch("g", "b", TOPIC, 0, 100, 1 << 20);
    assertEquals(got.ranges, [{ firstOffset: 5, lastOffset: 6, deliveryCount: 2 }]);
    assertEquals(again.sp.views()[0].startOffset, 5);
  } finally {
    again.sp.close();
  }
  const early = partitions(log, new MemoryDocuments(), "earliest");
  try {
    assertEquals((await early.sp.fetch("g", "a", TOPIC, 0, 2, 1 << 20)).ranges, [{
      firstOffset: 0,
      lastOffset: 2,
      deliveryCount: 1,
    }]);
  } finally {
    early.sp.close();
  }
});

Deno.test("share-partitions: not led here, or led elsewhere meanwhile: NOT_LEADER_OR_FOLLOWER, state dropped", async () => {
  const log = new MemoryLog();
  const docs = new MemoryDocuments();
  const epoch = { v: null as number | null };
  const { sp } = partitions(log, docs, "earliest", epoch);
  const code = (p: Promise<unknown>) =>
    p.then(() => ErrorCode.NONE, (e) => e instanceof KafkaError ? e.code : -1);
  try {
    assertEquals(await code(sp.fetch("g", "a", TOPIC, 0, 10, 1 << 20)), ErrorCode.NOT_LEADER_OR_FOLLOWER);
    epoch.v = 1;
    log.append(2);
    await sp.fetch("g", "a", TOPIC, 0, 10, 1 << 20);
    await sp.acknowledge("g", "a", TOPIC, 0, [{ firstOffset: 0, lastOffset: 0, acknowledgeTypes: [ACCEPT] }]);
    // Another gateway led the partition meanwhile and wrote its state: this one's next write loses.
    const [name] = docs.docs.keys();
    const d = docs.docs.get(name)!;
    await docs.put(name, d.data, d.version);
    assertEquals(
      await code(
        sp.acknowledge("g", "a", TOPIC, 0, [{ firstOffset: 1, lastOffset: 1, acknowledgeTypes: [ACCEPT] }]),
      ),
      ErrorCode.NOT_LEADER_OR_FOLLOWER,
    );
    assertEquals(sp.views(), [], "dropped");
    // Loaded afresh: record 1 was never acknowledged durably, so it is delivered again, its first delivery counted
    // (the stored state carries it).
    const got = await sp.fetch("g", "b", TOPIC, 0, 10, 1 << 20);
    assertEquals(got.ranges, [{ firstOffset: 1, lastOffset: 1, deliveryCount: 2 }]);
  } finally {
    sp.close();
  }
});

Deno.test("share-partitions: the start offset is durable from the first use; admin changes are found", async () => {
  const log = new MemoryLog();
  log.append(3);
  const docs = new MemoryDocuments();
  const first = partitions(log, docs);
  try {
    assertEquals((await first.sp.fetch("g", "a", TOPIC, 0, 100, 1 << 20)).ranges, []);
    assertEquals(docs.docs.size, 1, "initialized at latest (3) before any acknowledgement");
  } finally {
    first.sp.close();
  }
  log.append(2); // 3-4, then a restart: latest was chosen once, so 3-4 are delivered
  const { sp } = partitions(log, docs);
  const topics = {
    byName: (n: string) => n === TOPIC.name ? { id: TOPIC.id, name: TOPIC.name, partitions: 1 } : undefined,
    byId: (id: string) => id === TOPIC.id ? { id: TOPIC.id, name: TOPIC.name, partitions: 1 } : undefined,
    names: () => [TOPIC.name],
  };
  // Nothing is forgotten here: the admin APIs run on another gateway than the leader.
  const admin = new ShareOffsets(
    docs,
    topics,
    { forget: () => {}, forgetGroup: () => {} },
    async () => (await log.offsets()).highWatermark,
  );
  const code = (p: Promise<unknown>) =>
    p.then(() => ErrorCode.NONE, (e) => e instanceof KafkaError ? e.code : -1);
  const ack = (member: string, first: number, last: number) =>
    sp.acknowledge("g", member, TOPIC, 0, [{
      firstOffset: first,
      lastOffset: last,
      acknowledgeTypes: [ACCEPT],
    }]);
  const starts = async () =>
    (await admin.describe("g", null)).map((
      t,
    ) => [t.topicName, t.partitions.map((p) => [p.partitionIndex, p.startOffset, p.leaderEpoch, p.lag])]);
  try {
    assertEquals((await sp.fetch("g", "a", TOPIC, 0, 100, 1 << 20)).ranges, [
      { firstOffset: 3, lastOffset: 4, deliveryCount: 1 },
    ]);
    assertEquals(await starts(), [["q", [[0, 3, 1, 2]]]], "3-4 acquired, not complete: lag 2");
    // Altered while records are locked here: the leader keeps its state until its next write, which loses.
    assertEquals(
      await admin.alter("g", [{ topicName: "q", partitions: [{ partitionIndex: 0, startOffset: 0 }] }]),
      [
        {
          topicName: "q",
          topicId: TOPIC.id,
          partitions: [{ partitionIndex: 0, errorCode: 0, errorMessage: null }],
        },
      ],
    );
    assertEquals(await starts(), [["q", [[0, 0, -1, 5]]]]);
    await sp.revalidate("g", TOPIC.id, 0);
    assertEquals(sp.views().length, 1, "locks held: kept");
    assertEquals(await code(ack("a", 3, 4)), ErrorCode.NOT_LEADER_OR_FOLLOWER);
    const b = await sp.fetch("g", "b", TOPIC, 0, 100, 1 << 20);
    assertEquals(b.ranges, [{ firstOffset: 0, lastOffset: 4, deliveryCount: 1 }], "from the altered start");
    await ack("b", 0, 4);
    assertEquals(sp.views()[0].startOffset, 5);
    // Altered while nothing is locked: a session starting on the partition finds the change.
    await admin.alter("g", [{ topicName: "q", partitions: [{ partitionIndex: 0, startOffset: 2 }] }]);
    await sp.revalidate("g", TOPIC.id, 0);
    assertEquals(sp.views(), [], "dropped: read again at the next fetch");
    assertEquals((await sp.fetch("g", "c", TOPIC, 0, 100, 1 << 20)).ranges, [
      { firstOffset: 2, lastOffset: 4, deliveryCount: 1 },
    ]);
    await ack("c", 2, 4);
    await sp.revalidate("g", TOPIC.id, 0);
    assertEquals(sp.views().length, 1, "its own write: kept");

    // Refusals, per partition or topic.
    const [bad] = await admin.alter("g", [{
      topicName: "q",
      partitions: [{ partitionIndex: 1, startOffset: 0 }, { partitionIndex: 0, startOffset: -1 }],
    }]);
    assertEquals(bad.partitions.map((p) => p.errorCode), [
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      ErrorCode.INVALID_REQUEST,
    ]);
    assertEquals(
      (await admin.alter("g", [{ topicName: "nope", partitions: [{ partitionIndex: 0, startOffset: 0 }] }]))[
        0
      ],
      {
        topicName: "nope",
        topicId: null,
        partitions: [{
          partitionIndex: 0,
          errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          errorMessage: "nope-0 does not exist.",
        }],
      },
    );
    const named = await admin.describe("g", [{ topicName: "q", partitions: [0, 1] }, {
      topicName: "nope",
      partitions: [0],
    }]);
    assertEquals(
      named.map((
        t,
      ) => [t.topicName, t.topicId, t.partitions.map((p) => [p.partitionIndex, p.startOffset, p.errorCode])]),
      [
        ["q", TOPIC.id, [[0, 5, 0], [1, -1, 0]]],
        ["nope", null, [[0, -1, 0]]],
      ],
      "as Kafka 4.2: in the request's order; no state (or no such partition) is -1",
    );
    assertEquals(await admin.describe("other", null), [], "a group without state");

    // Deleted: the next session starts where share.auto.offset.reset says (latest: 5).
    assertEquals(await admin.delete("g", ["q", "nope"]), [
      { topicName: "q", topicId: TOPIC.id, errorCode: 0, errorMessage: null },
      {
        topicName: "nope",
        topicId: null,
        errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        errorMessage: "Topic nope does not exist.",
      },
    ]);
    assertEquals(await starts(), []);
    assertEquals(
      (await admin.delete("g", ["q"]))[0].errorCode,
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      "none left",
    );
    await sp.revalidate("g", TOPIC.id, 0);
    assertEquals(sp.views(), []);
    assertEquals((await sp.fetch("g", "d", TOPIC, 0, 100, 1 << 20)).ranges, []);
    assertEquals(await starts(), [["q", [[0, 5, 1, 0]]]]);

    // DeleteGroups of the share group: every state it keeps goes, whatever its topic.
    await admin.deleteGroup("g");
    assertEquals(await starts(), []);
    assertEquals(await docs.list(""), [], "no share-state document left");
  } finally {
    sp.close();
  }
});

Deno.test("share-partitions: read_committed stops at the last stable offset and archives aborted records", async () => {
  const log = new MemoryLog();
  log.append(2); // 0-1
  log.append(2, { producerId: 7, isTransactional: true }); // 2-3, aborted
  log.append(1, { producerId: 7, isTransactional: true, isControl: true }); // 4: its abort marker
  log.append(2, { producerId: 8, isTransactional: true }); // 5-6, open
  log.append(1); // 7
  let lso = 5;
  const of: PartitionTransactions = {
    lastStableOffset: (hw) => Math.min(lso, hw),
    abortedTransactions: (from, to) =>
      [{ producerId: 7, firstOffset: 2, lastOffset: 4 }].filter((a) =>
        a.lastOffset >= from && a.firstOffset < to
      ),
  };
  const committed = partitions(log, new MemoryDocuments(), "earliest", { v: 1 }, {
    isolation: "read_committed",
    of,
  });
  const uncommitted = partitions(log, new MemoryDocuments(), "earliest", { v: 1 }, {
    isolation: "read_uncommitted",
    of,
  });
  try {
    const sp = committed.sp;
    assertEquals((await sp.fetch("g", "a", TOPIC, 0, 100, 1 << 20)).ranges, [
      { firstOffset: 0, lastOffset: 1, deliveryCount: 1 },
    ]);
    assertEquals(sp.views()[0].states, { AVAILABLE: 0, ACQUIRED: 2, ACKNOWLEDGED: 0, ARCHIVED: 3 });
    await sp.acknowledge("g", "a", TOPIC, 0, [{ firstOffset: 0, lastOffset: 1, acknowledgeTypes: [ACCEPT] }]);
    assertEquals(sp.views()[0].startOffset, 5);
    assertEquals((await sp.fetch("g", "a", TOPIC, 0, 100, 1 << 20)).ranges, [], "held back by the open one");
    log.append(1, { producerId: 8, isTransactional: true, isControl: true }); // 8: its commit marker
    lso = Infinity;
    assertEquals((await sp.fetch("g", "a", TOPIC, 0, 100, 1 << 20)).ranges, [
      { firstOffset: 5, lastOffset: 7, deliveryCount: 1 },
    ]);
    // read_uncommitted: every record but the markers.
    assertEquals((await uncommitted.sp.fetch("g", "a", TOPIC, 0, 100, 1 << 20)).ranges, [
      { firstOffset: 0, lastOffset: 3, deliveryCount: 1 },
      { firstOffset: 5, lastOffset: 7, deliveryCount: 1 },
    ]);
  } finally {
    committed.sp.close();
    uncommitted.sp.close();
  }
});

Deno.test("share-partitions: a passed lock releases records to another member; a fetch waits for work", async () => {
  const log = new MemoryLog();
  const { sp, tick } = partitions(log, new MemoryDocuments(), "earliest");
  try {
    log.append(2);
    assertEquals((await sp.fetch("g", "a", TOPIC, 0, 10, 1 << 20)).ranges.length, 1);
    assertEquals((await sp.fetch("g", "b", TOPIC, 0, 10, 1 << 20)).ranges, []);
    tick(30_000);
    assertEquals((await sp.fetch("g", "b", TOPIC, 0, 10, 1 << 20)).ranges, [{
      firstOffset: 0,
      lastOffset: 1,
      deliveryCount: 2,
    }]);
    assertEquals(sp.counters.lockTimeouts, 2);
    // A wait ends at the next append, not at its deadline.
    const waited = sp.waitForWork([{ topic: "q", partition: 0 }], 60_000);
    log.append(1);
    await waited;
  } finally {
    sp.close();
  }
});

Deno.test("share.auto.offset.reset by_duration: one parser for the config check and the start offset", () => {
  assertEquals(offsetResetDurationMs("by_duration:P1DT2H3M4.5S"), ((24 + 2) * 60 + 3) * 60_000 + 4_500);
  // What the config check accepts (lower case, spaces around) is read the same, not as 0 ms.
  assertEquals(offsetResetDurationMs("by_duration: pt1h "), 3_600_000);
  for (
    const bad of [
      "latest",
      "earliest",
      "by_duration:P",
      "by_duration:PT",
      "by_duration:-PT1H",
      "by_duration:1h",
    ]
  ) {
    assertEquals(offsetResetDurationMs(bad), null, bad);
  }
});

Deno.test("share-partition state summary: the records at or after the start offset whose delivery is complete", () => {
  const doc = (startOffset: number, records: [number, number, number][]) =>
    new TextEncoder().encode(JSON.stringify({
      version: 1,
      topicId: TOPIC.id,
      partition: 0,
      leaderEpoch: 2,
      startOffset,
      endOffset: 8,
      records,
    }));
  // 0 available (or acquired), 2 acknowledged, 4 archived
  const rows: [number, number, number][] = [[3, 0, 1], [4, 2, 1], [5, 4, 5], [6, 2, 1], [7, 0, 2]];
  assertEquals(SharePartition.summary(doc(3, rows))?.completed, 3, "4, 5 (archived) and 6");
  assertEquals(SharePartition.summary(doc(5, rows))?.completed, 2, "below the start offset: not counted");
  assertEquals(SharePartition.summary(doc(8, []))?.completed, 0);
});
