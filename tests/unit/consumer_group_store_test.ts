// Durable KIP-848 consumer group records (GroupStore.saveConsumerGroup) on the embedded backend: round trip across
// restarts, one record per group id (classic and consumer replace each other), deleteGroup, compaction, and the
// layers above the store (FencedGroupStore, PartitionLoader, the `__consumer_offsets` view). The SeaweedMQ store is
// covered against a real filer by tests/integration/seaweedmq_consumer_group_store_test.ts.
import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "./assert.ts";
import { EmbeddedGroupStore, GROUP_LOG_FILE } from "../../src/storage/embedded/group_log.ts";
import { KIND_CONSUMER_GROUP } from "../../src/storage/embedded/group_log_codec.ts";
import {
  type CommittedOffset,
  type GroupStore,
  type LoadedGroupState,
  type StoredGroup,
} from "../../src/storage/group_store.ts";
import { FencedGroupStore } from "../../src/groups/fenced_store.ts";
import { CoordinatorRuntime } from "../../src/coordinator/runtime.ts";
import { PartitionLoader } from "../../src/groups/loader.ts";
import { OffsetsTopic } from "../../src/groups/offsets_topic/view.ts";
import { decodeOffsetsRecord } from "../../src/groups/offsets_topic/records.ts";
import { EmbeddedStorage } from "../../src/storage/embedded/embedded.ts";
import { SoloCluster } from "../../src/cluster/solo.ts";
import { partitionForGroup } from "../../src/cluster/hash.ts";
import { ErrorCode, KafkaError } from "../../src/protocol/errors.ts";
import { logger } from "../../src/log.ts";
import { splitBatches } from "../../src/records/batch.ts";
import { decodeBatchRecords } from "../../src/records/record.ts";

const T0 = 1_700_000_000_000;

/** Snapshot bytes as a consumer group module would write them: any byte values, arbitrary length. */
function snapshot(seed: number, length = 300): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 7 + seed) & 0xff);
}

function classic(groupId: string, generationId: number): StoredGroup {
  return {
    groupId,
    protocolType: "consumer",
    protocolName: "range",
    generationId,
    leaderId: "m1",
    currentStateTimestamp: T0 + generationId,
    members: [{
      memberId: "m1",
      groupInstanceId: null,
      clientId: "c",
      clientHost: "/127.0.0.1",
      rebalanceTimeoutMs: 300_000,
      sessionTimeoutMs: 45_000,
      subscription: new Uint8Array([0, 1, 0xff]),
      assignment: new Uint8Array([2, 3]),
    }],
  };
}

function co(topic: string, partition: number, offset: number): CommittedOffset {
  return {
    topic,
    partition,
    offset,
    leaderEpoch: 3,
    metadata: null,
    commitTimestamp: T0,
    expireTimestamp: -1,
  };
}

/** What a loaded state says about one group id: its record kind and content, and its offsets. */
function recordOf(s: LoadedGroupState, groupId: string) {
  return {
    classic: s.groups.get(groupId)?.generationId ?? null,
    consumer: s.consumerGroups.get(groupId) ?? null,
    offsets: [...(s.offsets.get(groupId)?.values() ?? [])].map((o) =>
      `${o.topic}-${o.partition}@${o.offset}`
    ),
  };
}

interface Harness {
  readonly dir: string;
  make(compactAfterBytes?: number): EmbeddedGroupStore;
  /** Opens a store on the directory (a restart), loads, closes, and returns what it loaded. */
  reload(): Promise<LoadedGroupState>;
  cleanup(): Promise<void>;
}

async function harness(): Promise<Harness> {
  const root = await Deno.makeTempDir({ prefix: "consumer_group_store_test_" });
  const dir = join(root, "__consumer_offsets");
  const make = (compactAfterBytes = 1 << 30) =>
    new EmbeddedGroupStore({ dir, fsync: "always", fsyncIntervalMs: 10, compactAfterBytes, log: () => {} });
  return {
    dir,
    make,
    reload: async () => {
      const s = make();
      try {
        return await s.load();
      } finally {
        await s.close();
      }
    },
    cleanup: () => Deno.remove(root, { recursive: true }),
  };
}

Deno.test("embedded consumer group: snapshot bytes round trip across a restart, next to offsets", async () => {
  const h = await harness();
  try {
    const s = h.make();
    const empty = await s.load();
    assertEquals(empty.consumerGroups.size, 0);
    const big = snapshot(9, 200_000);
    await s.saveConsumerGroup("cg", big);
    await s.saveConsumerGroup("other", new Uint8Array(0)); // empty bytes are a valid record
    await s.commitOffsets("cg", [co("t", 0, 5), co("t", 1, 7)]);
    await s.saveConsumerGroup("cg", snapshot(1)); // latest wins
    await s.close();

    const loaded = await h.reload();
    assertEquals(recordOf(loaded, "cg"), {
      classic: null,
      consumer: snapshot(1),
      offsets: ["t-0@5", "t-1@7"],
    });
    assertEquals(loaded.consumerGroups.get("other"), new Uint8Array(0));
    assertEquals(loaded.groups.size, 0);
    // The log holds kind-5 frames (the format documented in group_log_codec.ts).
    const bytes = await Deno.readFile(join(h.dir, GROUP_LOG_FILE));
    assertEquals(bytes[8 + 8], KIND_CONSUMER_GROUP, "first frame's kind byte");
  } finally {
    await h.cleanup();
  }
});

Deno.test("embedded consumer group: one record per group id, classic and consumer replace each other", async () => {
  const h = await harness();
  try {
    let s = h.make();
    await s.load();
    await s.saveGroup(classic("g", 4));
    await s.commitOffsets("g", [co("t", 0, 10)]);
    await s.saveConsumerGroup("g", snapshot(2)); // upgrade
    await s.saveGroup(classic("keep", 1)); // other ids untouched
    await s.close();
    let loaded = await h.reload();
    assertEquals(recordOf(loaded, "g"), { classic: null, consumer: snapshot(2), offsets: ["t-0@10"] });
    assertEquals(recordOf(loaded, "keep").classic, 1);

    s = h.make();
    await s.load();
    await s.saveGroup(classic("g", 5)); // downgrade
    await s.close();
    loaded = await h.reload();
    assertEquals(recordOf(loaded, "g"), { classic: 5, consumer: null, offsets: ["t-0@10"] });

    // Both directions within one session, then a restart: replay applies the same rule as the live mirror.
    s = h.make();
    await s.load();
    await s.saveConsumerGroup("g", snapshot(3));
    await s.saveGroup(classic("g", 6));
    await s.saveConsumerGroup("g", snapshot(4));
    await s.close();
    loaded = await h.reload();
    assertEquals(recordOf(loaded, "g"), { classic: null, consumer: snapshot(4), offsets: ["t-0@10"] });
    assertEquals([...loaded.groups.keys()], ["keep"]);
  } finally {
    await h.cleanup();
  }
});

Deno.test("embedded consumer group: deleteGroup removes the record and the offsets, and survives a restart", async () => {
  const h = await harness();
  try {
    const s = h.make();
    await s.load();
    await s.saveConsumerGroup("a", snapshot(1));
    await s.commitOffsets("a", [co("t", 0, 1)]);
    await s.saveConsumerGroup("b", snapshot(2)); // a consumer group with no offsets
    await s.saveConsumerGroup("c", snapshot(3));
    await s.deleteGroup("a");
    await s.deleteGroup("b");
    const before = s.stats().bytes;
    await s.deleteGroup("never-existed"); // nothing to remove: no record written
    assertEquals(s.stats().bytes, before);
    await s.close();
    const loaded = await h.reload();
    assertEquals(recordOf(loaded, "a"), { classic: null, consumer: null, offsets: [] });
    assertEquals(recordOf(loaded, "b"), { classic: null, consumer: null, offsets: [] });
    assertEquals([...loaded.consumerGroups.keys()], ["c"]);
  } finally {
    await h.cleanup();
  }
});

Deno.test("embedded consumer group: compaction keeps the latest snapshot of each live group only", async () => {
  const h = await harness();
  try {
    const s = h.make(8192);
    await s.load();
    for (let i = 0; i < 400; i++) {
      await s.saveConsumerGroup(`g${i % 3}`, snapshot(i, 200));
      await s.compactionDone();
    }
    await s.saveGroup(classic("g1", 9)); // g1 is classic again
    await s.deleteGroup("g2");
    await s.compactionDone();
    const stats = s.stats();
    assert(stats.compactions > 3, `compactions: ${JSON.stringify(stats)}`);
    assert(stats.bytes < 3 * 8192, `log stays bounded: ${JSON.stringify(stats)}`);
    await s.close();
    const loaded = await h.reload();
    assertEquals([...loaded.consumerGroups.keys()], ["g0"]);
    assertEquals(loaded.consumerGroups.get("g0"), snapshot(399, 200));
    assertEquals(recordOf(loaded, "g1").classic, 9);
    assertEquals(recordOf(loaded, "g2"), { classic: null, consumer: null, offsets: [] });

    // A compaction at load (tiny threshold) writes the same state.
    const c = h.make(64);
    const again = await c.load();
    assertEquals(c.stats().compactions, 1);
    await c.close();
    assertEquals(again.consumerGroups, loaded.consumerGroups);
    assertEquals((await h.reload()).consumerGroups, loaded.consumerGroups);
  } finally {
    await h.cleanup();
  }
});

Deno.test("embedded consumer group: a torn snapshot record at the tail is dropped, the previous one stays", async () => {
  const h = await harness();
  try {
    const s = h.make();
    await s.load();
    await s.saveConsumerGroup("g", snapshot(1));
    const good = s.stats().bytes;
    await s.saveConsumerGroup("g", snapshot(2, 5000));
    await s.close();
    const path = join(h.dir, GROUP_LOG_FILE);
    const bytes = await Deno.readFile(path);
    await Deno.writeFile(path, bytes.subarray(0, good + 100)); // crash mid-write of the second record
    assertEquals((await h.reload()).consumerGroups.get("g"), snapshot(1));
  } finally {
    await h.cleanup();
  }
});

Deno.test("embedded consumer group: writes need load() and are refused after close", async () => {
  const h = await harness();
  try {
    const s = h.make();
    await assertRejects(() => s.saveConsumerGroup("g", snapshot(1)));
    await s.load();
    await s.close();
    await assertRejects(() => s.saveConsumerGroup("g", snapshot(1)));
  } finally {
    await h.cleanup();
  }
});

// ---- the layers above the store ----

/** In-memory writes recording what reached the store. */
class Recorder implements Pick<GroupStore, "commitOffsets" | "deleteOffsets" | "saveGroup" | "deleteGroup"> {
  readonly saved: string[] = [];
  commitOffsets(): Promise<void> {
    return Promise.resolve();
  }
  deleteOffsets(): Promise<void> {
    return Promise.resolve();
  }
  saveGroup(g: StoredGroup): Promise<void> {
    this.saved.push(`classic ${g.groupId}`);
    return Promise.resolve();
  }
  saveConsumerGroup(groupId: string, state: Uint8Array): Promise<void> {
    this.saved.push(`consumer ${groupId} ${state.length}`);
    return Promise.resolve();
  }
  deleteGroup(groupId: string): Promise<void> {
    this.saved.push(`delete ${groupId}`);
    return Promise.resolve();
  }
}

Deno.test("fenced store: saveConsumerGroup passes through while the partition is held, else NOT_COORDINATOR", async () => {
  const inner = new Recorder();
  let serving = true;
  const runtime = new CoordinatorRuntime({ serving: () => serving, releaseWaitMs: 1_000 });
  const held = () => runtime.load(3, 1, { read: () => Promise.resolve(null), adopt: () => {} });
  await held();
  const fenced = new FencedGroupStore(inner, runtime, () => 3);
  await fenced.saveConsumerGroup("g", snapshot(1, 10));
  assertEquals(inner.saved, ["consumer g 10"]);
  serving = false;
  const e = await assertRejects(() => fenced.saveConsumerGroup("g", snapshot(1, 11)), KafkaError);
  assertEquals((e as KafkaError).code, ErrorCode.NOT_COORDINATOR, "not served now (lease lapsed)");
  serving = true;
  await runtime.release(3);
  const gone = await assertRejects(() => fenced.saveConsumerGroup("g", snapshot(1, 11)), KafkaError);
  assertEquals((gone as KafkaError).code, ErrorCode.NOT_COORDINATOR, "released");
  assertEquals(inner.saved, ["consumer g 10"]);
  // A write that outlives its shard is answered NOT_COORDINATOR (it may be durable).
  await held();
  const late = fenced.saveConsumerGroup("g", snapshot(1, 12));
  const releasing = runtime.release(3);
  assertEquals(((await assertRejects(() => late, KafkaError)) as KafkaError).code, ErrorCode.NOT_COORDINATOR);
  assertEquals((await releasing)?.left, 0, "the release waited for it");
  assertEquals(inner.saved, ["consumer g 10", "consumer g 12"]);
});

Deno.test("partition loader: consumer groups are split by their __consumer_offsets partition", async () => {
  const all: LoadedGroupState = {
    groups: new Map([["c1", classic("c1", 1)]]),
    offsets: new Map(),
    consumerGroups: new Map([["k1", snapshot(1, 4)], ["k2", snapshot(2, 4)]]),
  };
  const partitionOf = (id: string) => (id.endsWith("1") ? 0 : 1);
  const loader = new PartitionLoader({ load: () => Promise.resolve(all) }, partitionOf);
  const [p0, p1, p2] = await Promise.all([loader.read(0), loader.read(1), loader.read(2)]);
  assertEquals([...p0.consumerGroups.keys()], ["k1"]);
  assertEquals([...p0.groups.keys()], ["c1"]);
  assertEquals([...p1.consumerGroups.keys()], ["k2"]);
  assertEquals(p2.consumerGroups.size, 0);
});

const PARTITIONS = 4;
const TOPIC = "__consumer_offsets";

/** The group-metadata records `__consumer_offsets` shows for the group, in order ("null" = tombstone). */
async function shownMetadata(storage: EmbeddedStorage, groupId: string): Promise<string[]> {
  const p = partitionForGroup(groupId, PARTITIONS);
  const { logStartOffset, highWatermark } = await storage.offsets(TOPIC, p);
  const out: string[] = [];
  if (highWatermark === logStartOffset) return out;
  const r = await storage.read(TOPIC, p, logStartOffset, 64 << 20, true);
  for (const chunk of r.batches) {
    for (const b of splitBatches(chunk)) {
      for (const rec of (await decodeBatchRecords(chunk.subarray(b.pos, b.pos + b.size))).records) {
        const d = decodeOffsetsRecord(rec.key!, rec.value);
        if (d.kind === "group" && d.group === groupId) {
          out.push(d.value === null ? "null" : `${d.value.generation}`);
        }
      }
    }
  }
  return out;
}

Deno.test("offsets topic view: consumer group snapshots are not shown; an upgrade tombstones the classic record", async () => {
  const dir = await Deno.makeTempDir({ prefix: "consumer_group_store_view_" });
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
  const view = new OffsetsTopic({ storage, cluster, partitions: PARTITIONS, log: logger("test") });
  await view.open();
  try {
    view.loaded("all", { groups: new Map(), offsets: new Map(), consumerGroups: new Map() });
    const inner = new Recorder();
    const w = view.wrap(inner);
    await w.saveConsumerGroup("fresh", snapshot(1)); // never classic: nothing to show
    await w.saveGroup(classic("up", 2));
    await w.saveConsumerGroup("up", snapshot(2)); // upgrade: the classic record goes
    await w.saveConsumerGroup("up", snapshot(3)); // no second tombstone
    assertEquals(inner.saved, ["consumer fresh 300", "classic up", "consumer up 300", "consumer up 300"]);
    let shown: string[] = [];
    for (let i = 0; i < 200 && shown.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 10));
      shown = await shownMetadata(storage, "up");
    }
    await new Promise((r) => setTimeout(r, 100)); // anything more would have been appended by now
    assertEquals(await shownMetadata(storage, "up"), ["2", "null"]);
    assertEquals(await shownMetadata(storage, "fresh"), []);
  } finally {
    await view.close();
    await storage.close();
    await Deno.remove(dir, { recursive: true });
  }
});
