// Gateway leases (src/cluster/membership.ts) and the controller (src/cluster/controller.ts) against an in-memory
// filer with SeaweedFS's compare-and-set and lock semantics: node-id clashes are refused, stale entries taken over,
// only the lock holder writes, a controller whose lock silently expired cannot overwrite a newer document, and a new
// controller waits a lease timeout before declaring anyone dead.
import { assert, assertEquals, assertRejects } from "./assert.ts";
import { FakeFiler } from "./fake_filer.ts";
import {
  INCARNATION_ATTR,
  type MemberRecord,
  Membership,
  NodeIdInUseError,
} from "../../src/cluster/membership.ts";
import { Controller } from "../../src/cluster/controller.ts";
import { AssignmentStore } from "../../src/cluster/assignment_store.ts";
import type { AssignmentDoc } from "../../src/cluster/assignment.ts";
import { json, MetaPaths } from "../../src/storage/seaweedmq/meta.ts";

const paths = new MetaPaths("kafka");
const DIR = paths.members;
const quiet = () => {};
const te = new TextEncoder();

function membership(f: FakeFiler, nodeId: number, leaseTimeoutMs = 300): Membership {
  return new Membership({
    filer: f.filer,
    dir: DIR,
    self: { nodeId, host: "10.0.0.1", port: 9000 + nodeId, rack: null },
    leaseTimeoutMs,
    log: quiet,
  });
}

function record(f: FakeFiler, nodeId: number): MemberRecord {
  return JSON.parse(f.text(`${DIR}/${nodeId}`));
}

/** Writes a member entry as another process would. */
function putMember(f: FakeFiler, nodeId: number, incarnation: string, seq: number, applied = 0, port = 7000) {
  const r: MemberRecord = {
    nodeId,
    host: "10.0.0.9",
    port,
    rack: null,
    incarnation,
    seq,
    applied,
    served: applied,
  };
  f.files.set(`${DIR}/${nodeId}`, {
    content: json(r),
    extended: new Map([[INCARNATION_ATTR, te.encode(incarnation)]]),
  });
}

Deno.test("membership: join writes the lease; heartbeats raise seq and report the applied version", async () => {
  const f = new FakeFiler();
  const m = membership(f, 1);
  await m.join();
  assertEquals(record(f, 1).incarnation, m.incarnation);
  assertEquals(record(f, 1).seq, 0);
  assertEquals(await m.heartbeat(7), "ok");
  assertEquals([record(f, 1).seq, record(f, 1).applied], [1, 7]);
  assertEquals((await Membership.list(f.filer, DIR)).map((r) => r.nodeId), [1]);
  await m.leave();
  assertEquals(f.files.size, 0);
});

Deno.test("membership: a node id whose lease still moves is refused, with the holder's address", async () => {
  const f = new FakeFiler();
  putMember(f, 2, "other", 1);
  let seq = 1;
  const beat = setInterval(() => putMember(f, 2, "other", ++seq), 30);
  try {
    const err = await assertRejects(() => membership(f, 2).join(), NodeIdInUseError);
    assertEquals(
      err.message,
      "node id 2 is held by the live gateway at 10.0.0.9:7000; give each gateway its own --node-id",
    );
  } finally {
    clearInterval(beat);
  }
  assertEquals(record(f, 2).incarnation, "other", "the live holder's entry is untouched");
});

Deno.test("membership: a still entry is taken over after a lease timeout; one of this data directory's at once", async () => {
  const f = new FakeFiler();
  putMember(f, 3, "dead", 5);
  const m = membership(f, 3, 300);
  const t0 = performance.now();
  await m.join();
  assert(performance.now() - t0 >= 290, "watched for a lease timeout");
  assertEquals(record(f, 3).incarnation, m.incarnation);

  putMember(f, 4, "mine-before", 5);
  const m4 = membership(f, 4, 5000);
  const t1 = performance.now();
  await m4.join("mine-before");
  assert(performance.now() - t1 < 1000, "no watching for this data directory's previous process");
  assertEquals(record(f, 4).incarnation, m4.incarnation);
});

Deno.test("membership: a taken-over lease is lost; a deleted one is written again; renew changes hands", async () => {
  const f = new FakeFiler();
  const m = membership(f, 1);
  await m.join();
  // deleted (an operator): the next heartbeats recreate it
  f.files.clear();
  assertEquals(await m.heartbeat(0), "failed");
  assertEquals(await m.heartbeat(0), "ok");
  assertEquals(record(f, 1).incarnation, m.incarnation);
  // a new incarnation (after self-fencing) replaces the old one through compare-and-set
  const old = m.incarnation;
  m.renew();
  assert(m.incarnation !== old);
  assertEquals(await m.heartbeat(0), "ok");
  assertEquals(record(f, 1).incarnation, m.incarnation);
  // the filer unreachable: failed, not lost
  f.down = true;
  assertEquals(await m.heartbeat(0), "failed");
  f.down = false;
  // another process took the node id: lost, and leave() leaves its entry alone
  putMember(f, 1, "intruder", 1);
  assertEquals(await m.heartbeat(0), "lost");
  await m.leave();
  assertEquals(record(f, 1).incarnation, "intruder");
});

// ---- the controller ----

interface Node {
  readonly c: Controller;
  clock: number;
  written: AssignmentDoc[];
}

function controller(f: FakeFiler, nodeId: number, topics = [{ name: "t", partitions: 4 }]): Node {
  const n: Node = {
    clock: 0,
    written: [],
    c: undefined as unknown as Controller,
  };
  (n as { c: Controller }).c = new Controller({
    filer: f.filer,
    paths,
    namespace: "kafka",
    nodeId,
    owner: () => `node ${nodeId}`,
    leaseTimeoutMs: 3000,
    offsetsTopicPartitions: 2,
    topics: () => topics,
    refreshTopics: () => Promise.resolve(),
    onWritten: (d) => n.written.push(d),
    log: quiet,
    now: () => n.clock,
  });
  return n;
}

async function stored(f: FakeFiler): Promise<AssignmentDoc> {
  const r = await new AssignmentStore(f.filer, paths).read();
  assert(r !== "unchanged" && r.doc !== null, "a document is stored");
  return r.doc;
}

const leaders = (d: AssignmentDoc, topic = "t") => d.topics.find((t) => t.name === topic)!.leaders;

Deno.test("controller: one lock holder writes the assignment; the others only watch", async () => {
  const f = new FakeFiler();
  putMember(f, 1, "i1", 1);
  putMember(f, 2, "i2", 1);
  const a = controller(f, 1);
  const b = controller(f, 2);
  await a.c.tick();
  await b.c.tick();
  assert(a.c.active && !b.c.active);
  assertEquals(a.written.length, 1);
  assertEquals(b.written.length, 0);
  const d = await stored(f);
  assertEquals(d.controllerId, 1);
  assertEquals(d.brokers.map((x) => x.nodeId), [1, 2]);
  assertEquals([...leaders(d)].sort(), [1, 1, 2, 2]);
  assertEquals(leaders(d, "__consumer_offsets").length, 2);
  // nothing changed: nothing written
  a.clock = 400;
  putMember(f, 1, "i1", 2, d.version);
  putMember(f, 2, "i2", 2, d.version);
  await a.c.tick();
  assertEquals(a.written.length, 1);
});

Deno.test("controller: a controller whose lock expired unnoticed cannot overwrite a newer document", async () => {
  const f = new FakeFiler();
  putMember(f, 1, "i1", 1);
  putMember(f, 2, "i2", 1);
  const a = controller(f, 1);
  const b = controller(f, 2);
  await a.c.tick();
  // the filer's clock runs past A's lock while A's own clock hardly moves: B takes over and writes
  f.now += 10_000;
  b.clock = 100;
  await b.c.tick();
  assert(b.c.active);
  const byB = await stored(f);
  assertEquals(byB.controllerId, 2);
  // A still believes its lock is fresh and writes from its outdated base: the compare-and-set refuses it
  a.clock = 200;
  putMember(f, 3, "i3", 1); // a change A would write
  await a.c.tick();
  assertEquals(a.written.length, 1, "A wrote nothing more");
  assertEquals((await stored(f)).version, byB.version);
  assertEquals((await stored(f)).controllerId, 2);
  // at its next renewal A finds the lock gone and steps down
  a.clock = 5_000;
  await a.c.tick();
  assert(!a.c.active);
});

Deno.test("controller: a new controller waits a lease timeout before moving a silent gateway's partitions", async () => {
  const f = new FakeFiler();
  putMember(f, 1, "i1", 1);
  putMember(f, 2, "i2", 1);
  const a = controller(f, 1);
  await a.c.tick();
  const first = await stored(f);
  // gateway 1 (the controller) dies: its lock expires, its lease entry stays
  f.now += 10_000;
  const b = controller(f, 2);
  let seq = 2;
  const beat = (t: number) => {
    b.clock = t;
    f.now += 500;
    putMember(f, 2, "i2", ++seq, (b.written.at(-1) ?? first).version);
  };
  beat(0);
  await b.c.tick();
  assertEquals((await stored(f)).brokers.map((x) => x.nodeId), [1, 2], "everyone alive for a lease timeout");
  assertEquals(leaders(await stored(f)), leaders(first));
  for (let t = 500; t < 3000; t += 500) {
    beat(t);
    await b.c.tick();
  }
  assertEquals((await stored(f)).brokers.map((x) => x.nodeId), [1, 2], "still within the lease timeout");
  beat(3000);
  await b.c.tick();
  const after = await stored(f);
  assertEquals(after.brokers.map((x) => x.nodeId), [2]);
  assertEquals(leaders(after), [2, 2, 2, 2]);
  const epochs = after.topics.find((t) => t.name === "t")!.epochs;
  const before = first.topics.find((t) => t.name === "t")!;
  before.leaders.forEach((l, p) =>
    assertEquals(epochs[p], before.epochs[p] + (l === 1 ? 1 : 0), `epoch of ${p}`)
  );
});

Deno.test("controller: a departed gateway's partitions move at once; a joining one gets its share in two steps", async () => {
  const f = new FakeFiler();
  putMember(f, 1, "i1", 1);
  putMember(f, 2, "i2", 1);
  const a = controller(f, 1);
  await a.c.tick();
  const v1 = await stored(f);
  // gateway 2 leaves cleanly (entry deleted): at once, without waiting for the lease
  f.files.delete(`${DIR}/2`);
  a.clock = 500;
  await a.c.tick();
  const v2 = await stored(f);
  assertEquals(leaders(v2), [1, 1, 1, 1]);
  assertEquals(v2.version, v1.version + 1);
  // gateway 2 comes back: two partitions first taken from gateway 1 ...
  putMember(f, 2, "i2b", 1);
  putMember(f, 1, "i1", 2, v2.version);
  a.clock = 1000;
  await a.c.tick();
  const v3 = await stored(f);
  assertEquals(leaders(v3).filter((l) => l === -1).length, 2);
  // ... and given to gateway 2 once gateway 1 reports it applied that version
  putMember(f, 1, "i1", 3, v3.version);
  a.clock = 1500;
  await a.c.tick();
  assertEquals([...leaders(await stored(f))].sort(), [1, 1, 2, 2]);
  await a.c.close();
  assert(!a.c.active);
  assertEquals(
    (await f.lock({ name: a.c.lockName, secondsToLock: 2, renewToken: "", owner: "x" })).error,
    "",
  );
});
