// The `__consumer_offsets` records (Kafka's byte layout, checked against hand-assembled bytes from the schemas) and
// the view (src/groups/offsets_topic/view.ts) over a real embedded log: writes shown in issue order and only when the
// store accepted them, repair against the loaded state, snapshot compaction on a backend without compaction.
import { assert, assertEquals } from "./assert.ts";
import {
  decodeOffsetsRecord,
  groupMetadataRecord,
  offsetCommitRecord,
} from "../../src/groups/offsets_topic/records.ts";
import { OffsetsTopic } from "../../src/groups/offsets_topic/view.ts";
import { EmbeddedStorage } from "../../src/storage/embedded/embedded.ts";
import type { Storage } from "../../src/storage/storage.ts";
import type { CommittedOffset, GroupWrites, StoredGroup } from "../../src/storage/group_store.ts";
import { SoloCluster } from "../../src/cluster/solo.ts";
import { javaStringHashCode, partitionForGroup } from "../../src/cluster/hash.ts";
import { logger } from "../../src/log.ts";
import { buildBatchSync, splitBatches, validateBatches } from "../../src/records/batch.ts";
import { decodeBatchRecords } from "../../src/records/record.ts";

const TOPIC = "__consumer_offsets";
const PARTITIONS = 4;

function hex(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}

function str16(s: string): string {
  return s.length.toString(16).padStart(4, "0") + hex(new TextEncoder().encode(s));
}

function i32(n: number): string {
  return (n >>> 0).toString(16).padStart(8, "0");
}

function i64(n: number): string {
  return BigInt.asUintN(64, BigInt(n)).toString(16).padStart(16, "0");
}

const offset = (topic: string, partition: number, o: number, extra: Partial<CommittedOffset> = {}) => ({
  topic,
  partition,
  offset: o,
  leaderEpoch: 4,
  metadata: "m",
  commitTimestamp: 1_700_000_000_000,
  expireTimestamp: -1,
  ...extra,
});

const group: StoredGroup = {
  groupId: "g",
  protocolType: "consumer",
  protocolName: "range",
  generationId: 3,
  leaderId: "m1",
  currentStateTimestamp: 1_700_000_000_123,
  members: [{
    memberId: "m1",
    groupInstanceId: "i1",
    clientId: "c",
    clientHost: "/127.0.0.1",
    rebalanceTimeoutMs: 300_000,
    sessionTimeoutMs: 45_000,
    subscription: new Uint8Array([1, 2]),
    assignment: new Uint8Array([3]),
  }],
};

Deno.test("offsets topic records: Kafka's byte layout for commit keys/values (v1, v3) and group metadata (v3)", () => {
  const r = offsetCommitRecord("g", offset("t", 3, 42));
  assertEquals(hex(r.key), "0001" + str16("g") + str16("t") + i32(3));
  assertEquals(hex(r.value!), "0003" + i64(42) + i32(4) + str16("m") + i64(1_700_000_000_000));
  assertEquals(r.timestamp, 1_700_000_000_000);
  // An explicit expiry is kept, in value v1 (no leader epoch there).
  const x = offsetCommitRecord(
    "g",
    offset("t", 3, 42, { expireTimestamp: 1_800_000_000_000, metadata: null }),
  );
  assertEquals(hex(x.value!), "0001" + i64(42) + str16("") + i64(1_700_000_000_000) + i64(1_800_000_000_000));

  const gm = groupMetadataRecord(group);
  assertEquals(hex(gm.key), "0002" + str16("g"));
  assertEquals(
    hex(gm.value!),
    "0003" + str16("consumer") + i32(3) + str16("range") + str16("m1") + i64(1_700_000_000_123) + i32(1) +
      str16("m1") + str16("i1") + str16("c") + str16("/127.0.0.1") + i32(300_000) + i32(45_000) +
      i32(2) + "0102" + i32(1) + "03",
  );
  const d = decodeOffsetsRecord(gm.key, gm.value);
  assert(d.kind === "group" && d.value !== null);
  assertEquals(d.value.members[0].groupInstanceId, "i1");
  assertEquals(d.value.leader, "m1");
  const c = decodeOffsetsRecord(r.key, null);
  assert(c.kind === "offset" && c.value === null && c.topic === "t" && c.partition === 3);
});

function soloCluster(storage: Storage): SoloCluster {
  return new SoloCluster({
    nodeId: 1,
    advertised: { host: "127.0.0.1", port: 9092 },
    offsetsTopicPartitions: PARTITIONS,
    topics: () => storage.listTopics(),
  });
}

interface Env {
  storage: EmbeddedStorage;
  view: OffsetsTopic;
  dir: string;
  close(): Promise<void>;
}

async function env(dir?: string, compacting = true): Promise<Env> {
  dir ??= await Deno.makeTempDir({ prefix: "offsets_topic_test_" });
  const storage = new EmbeddedStorage({
    dataDir: dir,
    fsync: "interval",
    fsyncIntervalMs: 10,
    log: () => {},
  });
  await storage.open();
  const cluster = soloCluster(storage);
  // A backend without compaction, as SeaweedMQ: cleanup.policy fixed to delete.
  const backend: Storage = compacting ? storage : Object.assign(Object.create(storage), {
    fixedTopicConfigs: { "cleanup.policy": { value: "delete", reason: "test: no compaction" } },
  });
  const view = new OffsetsTopic({ storage: backend, cluster, partitions: PARTITIONS, log: logger("test") });
  await view.open();
  return {
    storage,
    view,
    dir,
    close: async () => {
      await view.close();
      await storage.close();
    },
  };
}

/** Every record of the group's partition, decoded, in offset order. */
async function shown(storage: Storage, groupId: string) {
  const p = partitionForGroup(groupId, PARTITIONS);
  const { logStartOffset, highWatermark } = await storage.offsets(TOPIC, p);
  const out: { offset: number; key: string; value: number | string | null }[] = [];
  if (highWatermark === logStartOffset) return { logStartOffset, highWatermark, records: out };
  const r = await storage.read(TOPIC, p, logStartOffset, 64 << 20, true);
  for (const chunk of r.batches) {
    for (const b of splitBatches(chunk)) {
      for (const rec of (await decodeBatchRecords(chunk.subarray(b.pos, b.pos + b.size))).records) {
        if (rec.offset < logStartOffset) continue;
        const d = decodeOffsetsRecord(rec.key!, rec.value);
        const key = d.kind === "offset" ? `${d.group}:${d.topic}/${d.partition}` : `${d.group}:group`;
        const value = d.value === null ? null : d.kind === "offset" ? d.value.offset : d.value.protocolType;
        out.push({ offset: rec.offset, key, value });
      }
    }
  }
  return { logStartOffset, highWatermark, records: out };
}

/** A store whose writes resolve when the test says so (or fail). */
class ManualStore implements GroupWrites {
  readonly pending: { resolve(): void; reject(e: Error): void }[] = [];
  private write(): Promise<void> {
    const d = Promise.withResolvers<void>();
    this.pending.push(d);
    return d.promise;
  }
  commitOffsets(): Promise<void> {
    return this.write();
  }
  deleteOffsets(): Promise<void> {
    return this.write();
  }
  saveGroup(): Promise<void> {
    return this.write();
  }
  saveConsumerGroup(): Promise<void> {
    return this.write();
  }
  deleteGroup(): Promise<void> {
    return this.write();
  }
}

async function settle(view: OffsetsTopic, storage: Storage, groupId: string, n: number) {
  for (let i = 0; i < 200; i++) {
    if ((await shown(storage, groupId)).records.length >= n) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  void view;
}

Deno.test("offsets topic view: store writes shown in the order issued, only once accepted; deletions tombstone", async () => {
  const e = await env();
  try {
    e.view.loaded("all", { groups: new Map(), offsets: new Map(), consumerGroups: new Map() });
    const store = new ManualStore();
    const w = e.view.wrap(store);
    const a = w.commitOffsets("g", [offset("t", 0, 1)]);
    const b = w.commitOffsets("g", [offset("t", 0, 2)]);
    const c = w.commitOffsets("g", [offset("t", 1, 9)]);
    const g = w.saveGroup(group);
    // Resolved out of order; the refused one never shows.
    store.pending[3].resolve();
    store.pending[1].resolve();
    store.pending[2].reject(new Error("disk full"));
    store.pending[0].resolve();
    await Promise.allSettled([a, b, c, g]);
    await settle(e.view, e.storage, "g", 3);
    assertEquals((await shown(e.storage, "g")).records.map((r) => `${r.key}=${r.value}`), [
      "g:t/0=1",
      "g:t/0=2",
      "g:group=consumer",
    ]);
    const del = w.deleteGroup("g");
    store.pending[4].resolve();
    await del;
    await settle(e.view, e.storage, "g", 5);
    const after = (await shown(e.storage, "g")).records.slice(3).map((r) => `${r.key}=${r.value}`).sort();
    assertEquals(after, ["g:group=null", "g:t/0=null"]);
  } finally {
    await e.close();
    await Deno.remove(e.dir, { recursive: true });
  }
});

Deno.test("offsets topic view: a partition that drifted from the store is repaired on load", async () => {
  const e = await env();
  const p = partitionForGroup("g", PARTITIONS);
  try {
    // What a crash between store writes and their appends can leave: an old value of t/0, t/1 the store deleted.
    const stale = [offsetCommitRecord("g", offset("t", 0, 4)), offsetCommitRecord("g", offset("t", 1, 8))];
    const payload = buildBatchSync({ records: stale });
    await e.storage.append(TOPIC, p, { payload, batches: validateBatches(payload) });
    e.view.loaded("all", {
      groups: new Map([["g", group]]),
      offsets: new Map([["g", new Map([["t\u00000", offset("t", 0, 5)]])]]),
      consumerGroups: new Map(),
    });
    await settle(e.view, e.storage, "g", 5);
    const latest = new Map<string, unknown>();
    for (const r of (await shown(e.storage, "g")).records) latest.set(r.key, r.value);
    assertEquals(Object.fromEntries(latest), { "g:t/0": 5, "g:t/1": null, "g:group": "consumer" });
    // Loading the same state again finds nothing to repair.
    const before = (await shown(e.storage, "g")).highWatermark;
    e.view.loaded("all", {
      groups: new Map([["g", group]]),
      offsets: new Map([["g", new Map([["t\u00000", offset("t", 0, 5)]])]]),
      consumerGroups: new Map(),
    });
    await new Promise((r) => setTimeout(r, 100));
    assertEquals((await shown(e.storage, "g")).highWatermark, before);
  } finally {
    await e.close();
    await Deno.remove(e.dir, { recursive: true });
  }
});

Deno.test("offsets topic view: without compaction, snapshots keep a partition near its live keys", async () => {
  const e = await env(undefined, false);
  try {
    e.view.loaded("all", { groups: new Map(), offsets: new Map(), consumerGroups: new Map() });
    const w = e.view.wrap({
      commitOffsets: () => Promise.resolve(),
      deleteOffsets: () => Promise.resolve(),
      saveGroup: () => Promise.resolve(),
      saveConsumerGroup: () => Promise.resolve(),
      deleteGroup: () => Promise.resolve(),
    });
    const last: Promise<void>[] = [];
    for (let i = 0; i < 2_500; i++) last.push(w.commitOffsets("g", [offset("t", i % 2, i)]));
    await Promise.all(last);
    await settle(e.view, e.storage, "g", 1);
    // Wait until the chain drained: the highest committed values are shown.
    let s = await shown(e.storage, "g");
    for (let i = 0; i < 300 && !s.records.some((r) => r.value === 2_499); i++) {
      await new Promise((r) => setTimeout(r, 20));
      s = await shown(e.storage, "g");
    }
    assert(s.logStartOffset > 0, `log start moved (${s.logStartOffset})`);
    assert(
      s.highWatermark - s.logStartOffset < 1_100,
      `bounded: ${s.highWatermark - s.logStartOffset} records`,
    );
    const latest = new Map<string, unknown>();
    for (const r of s.records) latest.set(r.key, r.value);
    assertEquals(Object.fromEntries(latest), { "g:t/0": 2_498, "g:t/1": 2_499 });
  } finally {
    await e.close();
    await Deno.remove(e.dir, { recursive: true });
  }
});

Deno.test("offsets topic view: a topic with another partition count stops the start with a clear message", async () => {
  const dir = await Deno.makeTempDir({ prefix: "offsets_topic_test_" });
  const storage = new EmbeddedStorage({
    dataDir: dir,
    fsync: "interval",
    fsyncIntervalMs: 10,
    log: () => {},
  });
  await storage.open();
  try {
    await storage.createTopic(TOPIC, 7, {});
    const view = new OffsetsTopic({
      storage,
      cluster: soloCluster(storage),
      partitions: PARTITIONS,
      log: logger("test"),
    });
    let message = "";
    await view.open().catch((err: Error) => message = err.message);
    assert(/exists with 7 partitions.*--offsets-topic-num-partitions 7/.test(message), message);
  } finally {
    await storage.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("group placement: Kafka's Utils.abs(hashCode) % n, also for negative hash codes", () => {
  // Hash codes and partitions as Java's String.hashCode and Kafka 3.7's partitionFor compute them.
  assertEquals(javaStringHashCode("gm-group"), -1538567464);
  assertEquals(partitionForGroup("gm-group", 50), 14);
  assertEquals(javaStringHashCode("grüppe-é/😀"), -357802206);
  assertEquals(partitionForGroup("grüppe-é/😀", 50), 6);
  assertEquals(partitionForGroup("my-group", 50), Math.abs(javaStringHashCode("my-group")) % 50);
});
