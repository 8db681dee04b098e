// EmbeddedGroupStore: round trips of offsets and group metadata, tombstones, torn/corrupt tails, compaction,
// fsync "always" under concurrency, kill -9 durability.
import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "./assert.ts";
import {
  EmbeddedGroupStore,
  type EmbeddedGroupStoreOptions,
  GROUP_LOG_FILE,
} from "../../src/storage/embedded/group_log.ts";
import {
  type CommittedOffset,
  type LoadedGroupState,
  offsetKey,
  type StoredGroup,
} from "../../src/storage/group_store.ts";
import { StorageError } from "../../src/storage/storage.ts";

const T0 = 1_700_000_000_000;

interface Harness {
  dir: string;
  logs: string[];
  make(extra?: Partial<EmbeddedGroupStoreOptions>): EmbeddedGroupStore;
  cleanup(): Promise<void>;
}

async function harness(): Promise<Harness> {
  const root = await Deno.makeTempDir({ prefix: "group_store_test_" });
  const dir = join(root, "__consumer_offsets");
  const logs: string[] = [];
  return {
    dir,
    logs,
    make: (extra = {}) =>
      new EmbeddedGroupStore({
        dir,
        fsync: "interval",
        fsyncIntervalMs: 10,
        log: (level, msg) => logs.push(`${level}: ${msg}`),
        ...extra,
      }),
    cleanup: () => Deno.remove(root, { recursive: true }),
  };
}

function co(
  topic: string,
  partition: number,
  offset: number,
  extra: Partial<CommittedOffset> = {},
): CommittedOffset {
  return {
    topic,
    partition,
    offset,
    leaderEpoch: -1,
    metadata: null,
    commitTimestamp: T0,
    expireTimestamp: -1,
    ...extra,
  };
}

function group(groupId: string, generationId: number, memberCount = 2): StoredGroup {
  return {
    groupId,
    protocolType: "consumer",
    protocolName: "cooperative-sticky",
    generationId,
    leaderId: memberCount > 0 ? `${groupId}-m0` : null,
    currentStateTimestamp: T0 + generationId,
    members: Array.from({ length: memberCount }, (_, i) => ({
      memberId: `${groupId}-m${i}`,
      groupInstanceId: i === 0 ? null : `instance-${i}`,
      clientId: `client-${i}`,
      clientHost: `/10.0.0.${i}`,
      rebalanceTimeoutMs: 300000,
      sessionTimeoutMs: 45000 + i,
      // Every byte value, including ones invalid as UTF-8, and a 5 KiB blob (kept by reference by the Writer).
      subscription: Uint8Array.from({ length: 256 }, (_, b) => (b + i) & 0xff),
      assignment: i === 1
        ? Uint8Array.from({ length: 5000 }, (_, b) => (b * 31 + generationId) & 0xff)
        : new Uint8Array([0xc3, 0x28, 0, 0xff]),
    })),
  };
}

/** Plain-object view of a loaded state for deep comparison. */
function view(
  s: LoadedGroupState,
): { groups: [string, StoredGroup][]; offsets: [string, [string, CommittedOffset][]][] } {
  return {
    groups: [...s.groups.entries()].sort((a, b) => a[0].localeCompare(b[0])),
    offsets: [...s.offsets.entries()]
      .map((
        [g, m],
      ): [string, [string, CommittedOffset][]] => [
        g,
        [...m.entries()].sort((a, b) => a[0].localeCompare(b[0])),
      ])
      .sort((a, b) => a[0].localeCompare(b[0])),
  };
}

/** Reference model: the state the store must reload to. */
class Model {
  readonly groups = new Map<string, StoredGroup>();
  readonly offsets = new Map<string, Map<string, CommittedOffset>>();
  commit(g: string, offs: CommittedOffset[]): void {
    let m = this.offsets.get(g);
    if (!m) this.offsets.set(g, m = new Map());
    for (const o of offs) m.set(offsetKey(o.topic, o.partition), o);
  }
  deleteOffsets(g: string, parts: { topic: string; partition: number }[]): void {
    const m = this.offsets.get(g);
    if (!m) return;
    for (const p of parts) m.delete(offsetKey(p.topic, p.partition));
    if (m.size === 0) this.offsets.delete(g);
  }
  deleteGroup(g: string): void {
    this.groups.delete(g);
    this.offsets.delete(g);
  }
  state(): LoadedGroupState {
    return { groups: this.groups, offsets: this.offsets, consumerGroups: new Map() };
  }
}

async function fileSize(h: Harness): Promise<number> {
  return (await Deno.stat(join(h.dir, GROUP_LOG_FILE))).size;
}

Deno.test("empty store: load creates the log, reload is empty", async () => {
  const h = await harness();
  let s = h.make();
  const st = await s.load();
  assertEquals(st.groups.size, 0);
  assertEquals(st.offsets.size, 0);
  await s.close();
  await s.close(); // idempotent
  assertEquals(await fileSize(h), 8);
  s = h.make();
  assertEquals(view(await s.load()), { groups: [], offsets: [] });
  await s.close();
  await h.cleanup();
});

Deno.test("commit/load round trip: metadata (null, unicode), leader epochs, expire timestamps", async () => {
  const h = await harness();
  let s = h.make();
  await s.load();
  const offs = [
    co("orders", 0, 0, { leaderEpoch: 0, metadata: null }),
    co("orders", 1, 42, { leaderEpoch: 7, metadata: "" }),
    co("payments-é", 0, 2 ** 40 + 3, { metadata: "héllo wörld ✓ 😀 日本語", commitTimestamp: T0 + 5 }),
    co("orders", 2, 9, { expireTimestamp: T0 + 86_400_000, metadata: "x".repeat(40000) }),
    co("ünïcode-tópic", 2147483647, 1, { leaderEpoch: 2147483647 }),
  ];
  await s.commitOffsets("group-1", offs);
  await s.commitOffsets("grüppe-2 ✓", [co("orders", 0, 5, { metadata: "m" })]);
  await s.commitOffsets("empty", []);
  await s.close();
  s = h.make();
  const st = await s.load();
  const m = new Model();
  m.commit("group-1", offs);
  m.commit("grüppe-2 ✓", [co("orders", 0, 5, { metadata: "m" })]);
  assertEquals(view(st), view(m.state()));
  assertEquals(st.offsets.get("group-1")!.get(offsetKey("payments-é", 0))!.offset, 2 ** 40 + 3);
  await s.close();
  await h.cleanup();
});

Deno.test("overwrite keeps the latest value; deleteOffsets and deleteGroup tombstones survive reload", async () => {
  const h = await harness();
  let s = h.make();
  await s.load();
  const m = new Model();
  const commit = async (g: string, offs: CommittedOffset[]) => {
    await s.commitOffsets(g, offs);
    m.commit(g, offs);
  };
  for (let i = 0; i < 20; i++) {
    await commit("a", [co("t", 0, i), co("t", 1, i * 2), co("u", 0, i * 3, { metadata: `v${i}` })]);
    await commit("b", [co("t", 0, 100 + i)]);
  }
  await s.saveGroup(group("a", 1));
  await s.saveGroup(group("a", 2));
  m.groups.set("a", group("a", 2));
  await s.saveGroup(group("b", 5));
  m.groups.set("b", group("b", 5));
  await s.saveGroup(group("c", 1, 0));
  await commit("c", [co("t", 3, 3)]);

  await s.deleteOffsets("a", [{ topic: "t", partition: 1 }, { topic: "nope", partition: 0 }]);
  m.deleteOffsets("a", [{ topic: "t", partition: 1 }]);
  await s.deleteOffsets("b", [{ topic: "t", partition: 0 }]); // the group's last offset
  m.deleteOffsets("b", [{ topic: "t", partition: 0 }]);
  await s.deleteOffsets("unknown", [{ topic: "t", partition: 0 }]);
  await s.deleteGroup("c");
  m.deleteGroup("c");
  await s.deleteGroup("never-existed");
  await s.close();

  s = h.make();
  assertEquals(view(await s.load()), view(m.state()));
  // Recreate a deleted group after its tombstone.
  await commit("c", [co("t", 3, 99)]);
  await s.close();
  s = h.make();
  assertEquals(view(await s.load()), view(m.state()));
  await s.close();
  await h.cleanup();
});

Deno.test("saveGroup: binary subscription/assignment bytes and null fields round trip exactly", async () => {
  const h = await harness();
  let s = h.make();
  await s.load();
  const g1 = group("g1 ✓", 3, 3);
  const g2: StoredGroup = {
    groupId: "g2",
    protocolType: null,
    protocolName: null,
    generationId: 0,
    leaderId: null,
    currentStateTimestamp: -1,
    members: [],
  };
  const g3: StoredGroup = {
    ...group("g3", 9, 1),
    members: [{
      ...group("g3", 9, 1).members[0],
      subscription: new Uint8Array(0),
      assignment: new Uint8Array(0),
    }],
  };
  await s.saveGroup(g1);
  await s.saveGroup(g2);
  await s.saveGroup(g3);
  await s.close();
  s = h.make();
  const st = await s.load();
  assertEquals(st.groups.get("g1 ✓"), g1);
  assertEquals(st.groups.get("g2"), g2);
  assertEquals(st.groups.get("g3"), g3);
  assertEquals(st.groups.size, 3);
  await s.close();
  await h.cleanup();
});

async function tornTailCase(damage: (path: string, size: number) => Promise<void>): Promise<Harness> {
  const h = await harness();
  let s = h.make();
  await s.load();
  const m = new Model();
  for (let i = 0; i < 10; i++) {
    const offs = [co("t", i, i), co("t", 100 + i, i)];
    await s.commitOffsets(`g${i % 3}`, offs);
    m.commit(`g${i % 3}`, offs);
  }
  await s.saveGroup(group("g0", 1));
  m.groups.set("g0", group("g0", 1));
  const goodSize = s.stats().bytes;
  await s.commitOffsets("g1", [co("t", 0, 777), co("t", 1, 778)]); // the record that gets damaged
  await s.close();
  const path = join(h.dir, GROUP_LOG_FILE);
  await damage(path, goodSize);

  s = h.make();
  assertEquals(view(await s.load()), view(m.state()));
  assert(h.logs.some((l) => l.startsWith("warn:") && l.includes("truncating")), h.logs.join("\n"));
  assertEquals(await fileSize(h), goodSize);
  const after = [co("t", 5, 5000, { metadata: "after" })];
  await s.commitOffsets("g2", after);
  m.commit("g2", after);
  await s.close();
  s = h.make();
  assertEquals(view(await s.load()), view(m.state()));
  await s.close();
  return h;
}

Deno.test("torn tail: a record cut mid-way is dropped, later commits are readable", async () => {
  const h = await tornTailCase(async (path, goodSize) => {
    const f = await Deno.open(path, { write: true });
    await f.truncate(goodSize + 11);
    f.close();
  });
  await h.cleanup();
});

Deno.test("torn tail: garbage after the last record and a flipped byte are truncated", async () => {
  const garbage = await tornTailCase(async (path, goodSize) => {
    const f = await Deno.open(path, { write: true });
    await f.truncate(goodSize);
    f.close();
    await Deno.writeFile(path, crypto.getRandomValues(new Uint8Array(333)), { append: true });
  });
  await garbage.cleanup();
  const flipped = await tornTailCase(async (path, goodSize) => {
    const b = await Deno.readFile(path);
    b[goodSize + 20] ^= 0x40; // inside the last record's payload: CRC mismatch
    await Deno.writeFile(path, b);
  });
  await flipped.cleanup();
  const zeros = await tornTailCase(async (path, goodSize) => {
    const f = await Deno.open(path, { write: true });
    await f.truncate(goodSize);
    f.close();
    await Deno.writeFile(path, new Uint8Array(4096), { append: true }); // preallocated, never written
  });
  await zeros.cleanup();
});

Deno.test("a file with a bad header is moved aside, the store starts empty", async () => {
  const h = await harness();
  await Deno.mkdir(h.dir, { recursive: true });
  await Deno.writeFile(join(h.dir, GROUP_LOG_FILE), new TextEncoder().encode("not a group log at all"));
  let s = h.make();
  assertEquals(view(await s.load()), { groups: [], offsets: [] });
  await s.commitOffsets("g", [co("t", 0, 1)]);
  await s.close();
  const names = [];
  for await (const e of Deno.readDir(h.dir)) names.push(e.name);
  assert(names.some((n) => n.startsWith(`${GROUP_LOG_FILE}.corrupt-`)), names.join(","));
  s = h.make();
  assertEquals((await s.load()).offsets.get("g")!.get(offsetKey("t", 0))!.offset, 1);
  await s.close();
  await h.cleanup();
});

Deno.test("compaction keeps exactly the live state and shrinks the file", async () => {
  const h = await harness();
  let s = h.make({ compactAfterBytes: 4096 });
  await s.load();
  const m = new Model();
  for (let i = 0; i < 600; i++) {
    const g = `g${i % 4}`;
    const offs = Array.from(
      { length: 10 },
      (_, p) => co(p % 2 ? "odd" : "even", p, i, { metadata: `i=${i}` }),
    );
    await s.commitOffsets(g, offs);
    m.commit(g, offs);
    await s.compactionDone(); // a tight loop never yields to the event loop that completes the fsyncs
    if (i % 50 === 0) {
      await s.saveGroup(group(g, i, 1));
      m.groups.set(g, group(g, i, 1));
    }
    if (i === 300) {
      await s.deleteGroup("g3");
      m.deleteGroup("g3");
    }
  }
  await s.deleteOffsets("g0", [{ topic: "even", partition: 0 }]);
  m.deleteOffsets("g0", [{ topic: "even", partition: 0 }]);
  const stats = s.stats();
  assert(stats.compactions > 5, `compactions during appends: ${JSON.stringify(stats)}`);
  assert(stats.compactions < 200, `compaction must not run on every append: ${JSON.stringify(stats)}`);
  assert(stats.bytes < 3 * 8192, `log stays bounded: ${JSON.stringify(stats)}`);
  await s.close();
  assertEquals(await fileSize(h), stats.bytes);

  // Without compaction the same history is large; reload with a tiny threshold compacts at load.
  s = h.make({ compactAfterBytes: 1 << 30 });
  assertEquals(view(await s.load()), view(m.state()));
  for (let i = 0; i < 200; i++) await s.commitOffsets("g1", [co("even", 0, 1000 + i)]);
  m.commit("g1", [co("even", 0, 1199)]);
  assertEquals(s.stats().compactions, 0);
  await s.close();
  const big = await fileSize(h);
  s = h.make({ compactAfterBytes: 512 });
  assertEquals(view(await s.load()), view(m.state()));
  assertEquals(s.stats().compactions, 1);
  await s.close();
  const small = await fileSize(h);
  assert(small < big, `compacted ${small} < ${big}`);
  s = h.make({ compactAfterBytes: 1 << 30 });
  assertEquals(view(await s.load()), view(m.state()));
  assertEquals(s.stats().compactions, 0);
  await s.close();
  const names = [];
  for await (const e of Deno.readDir(h.dir)) names.push(e.name);
  assertEquals(names.sort(), [".lock", GROUP_LOG_FILE]);
  await h.cleanup();
});

Deno.test("commits made while a compaction is syncing land in the compacted log", async () => {
  const h = await harness();
  let s = h.make({ compactAfterBytes: 2048, fsync: "always" });
  await s.load();
  const m = new Model();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < 400; i++) {
    const offs = [co("t", i % 13, i), co("u", i % 5, i)];
    pending.push(s.commitOffsets(`g${i % 9}`, offs));
    m.commit(`g${i % 9}`, offs);
    if (i % 40 === 0) await Promise.all(pending.splice(0)); // let compactions start and overlap appends
  }
  await Promise.all(pending);
  assert(s.stats().compactions > 0 && s.stats().overlappedAppends > 0, JSON.stringify(s.stats()));
  await s.close();
  s = h.make();
  assertEquals(view(await s.load()), view(m.state()));
  await s.close();
  await h.cleanup();
});

Deno.test("fsync always: concurrent commits all resolve, share fdatasync rounds, and persist", async () => {
  const h = await harness();
  let s = h.make({ fsync: "always" });
  await s.load();
  const m = new Model();
  const all: Promise<void>[] = [];
  for (let i = 0; i < 500; i++) {
    const offs = Array.from({ length: 10 }, (_, p) => co("t", p, i * 10 + p));
    all.push(s.commitOffsets(`g${i % 17}`, offs));
    m.commit(`g${i % 17}`, offs);
    if (i % 100 === 0) {
      all.push(s.saveGroup(group(`g${i % 17}`, i)));
      m.groups.set(`g${i % 17}`, group(`g${i % 17}`, i));
    }
  }
  await Promise.all(all);
  const st = s.stats();
  assertEquals(st.appends, 505);
  assert(st.syncRounds >= 1 && st.syncRounds < st.appends, `rounds coalesce: ${JSON.stringify(st)}`);
  await s.close();
  await assertRejects(() => s.commitOffsets("g0", [co("t", 0, 1)]), StorageError, "closed");
  s = h.make({ fsync: "always" });
  assertEquals(view(await s.load()), view(m.state()));
  await s.close();
  await h.cleanup();
});

Deno.test("the directory is locked against a second store; operations need load()", async () => {
  const h = await harness();
  const s = h.make();
  await assertRejects(() => s.commitOffsets("g", [co("t", 0, 1)]), StorageError, "not loaded");
  await s.load();
  const t = h.make();
  await assertRejects(() => t.load(), StorageError, "in use");
  await t.close();
  await s.close();
  await h.cleanup();
});

async function killTest(fsync: "always" | "interval", killAfter: number): Promise<void> {
  const h = await harness();
  const script = new URL("./fixtures/group_store_child.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-ffi",
      "--allow-sys",
      script,
      h.dir,
      "1000000",
      fsync,
    ],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const lastAcked = new Map<string, number>();
  const lastGen = new Map<string, number>();
  let acked = 0;
  /** Acknowledged commits whose group log fsync count had moved since the previous acknowledgement. */
  let withFsync = 0;
  let lastFsyncs = 0;
  let buf = "";
  let killed = false;
  const dec = new TextDecoder();
  for await (const chunk of child.stdout) {
    buf += dec.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      let r = /^(\d+) (\d+)$/.exec(line);
      if (r) {
        const i = Number(r[1]);
        const fsyncs = Number(r[2]);
        if (fsyncs > lastFsyncs) withFsync++;
        lastFsyncs = fsyncs;
        lastAcked.set(`g${i % 5}`, i);
        acked++;
      } else if ((r = /^G (\d+)$/.exec(line))) {
        const i = Number(r[1]);
        lastGen.set(`g${i % 5}`, i);
      }
    }
    if (!killed && acked >= killAfter) {
      child.kill("SIGKILL");
      killed = true;
    }
  }
  const status = await child.status;
  const stderr = dec.decode(await new Response(child.stderr).arrayBuffer());
  assert(killed && status.signal === "SIGKILL", `child exited: ${JSON.stringify(status)} ${stderr}`);
  // The fsync policy, which the crash cannot show (the page cache outlives a killed process): "always" fsynced
  // the group log before every acknowledgement (commits are sequential), "interval" mostly did not.
  if (fsync === "always") assertEquals(withFsync, acked, "an fsync before every acknowledged commit");
  else {
    assert(withFsync < acked / 4, `interval: ${withFsync} of ${acked} acks had a new fsync`);
    assert(lastFsyncs > 0, "interval: the group log was fsynced in the background");
  }

  const s = h.make();
  const st = await s.load();
  for (const [g, i] of lastAcked) {
    const offs = st.offsets.get(g);
    assert(offs !== undefined && offs.size === 10, `group ${g} has its offsets`);
    // All ten partitions come from one commit (atomic) no older than the last acknowledged one.
    const j = offs.get(offsetKey("orders", 0))!.offset / 100;
    assert(Number.isInteger(j) && j >= i && j % 5 === i % 5, `${g}: commit ${j} loaded, ${i} acknowledged`);
    for (let p = 0; p < 10; p++) {
      assertEquals(
        offs.get(offsetKey(p < 5 ? "orders" : "payments", p)),
        co(p < 5 ? "orders" : "payments", p, j * 100 + p, {
          leaderEpoch: j % 7,
          metadata: `m${j}`,
          commitTimestamp: T0 + j,
        }),
        `${g} partition ${p}`,
      );
    }
  }
  for (const [g, i] of lastGen) {
    const gen = st.groups.get(g)?.generationId ?? -1;
    assert(gen >= i, `${g}: generation ${gen} loaded, ${i} acknowledged`);
    assertEquals(st.groups.get(g)!.members[0].assignment, new Uint8Array([(gen >> 8) & 0xff, gen & 0xff]));
  }
  await s.commitOffsets("after", [co("t", 0, 1)]);
  await s.close();
  const names = [];
  for await (const e of Deno.readDir(h.dir)) names.push(e.name);
  assertEquals(names.sort(), [".lock", GROUP_LOG_FILE]);
  await h.cleanup();
}

Deno.test("process crash (kill -9) with fsync interval: every acknowledged commit survives; fsyncs are not per commit", async () => {
  await killTest("interval", 3000);
});

Deno.test("process crash (kill -9) with fsync always: every acknowledged commit survives; each ack followed an fsync", async () => {
  await killTest("always", 300);
});
