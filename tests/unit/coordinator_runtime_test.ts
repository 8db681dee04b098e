// The serial queues (src/serial.ts) and the coordinator runtime (src/coordinator/runtime.ts): operations on one key
// never interleave; a shard goes loading → active → closed, keeps nothing read for a hold that ended, fences writes
// and waits for them on release.
import { assert, assertEquals, assertRejects } from "./assert.ts";
import { KeyedQueue, SerialQueue } from "../../src/serial.ts";
import { CoordinatorRuntime, type Shard } from "../../src/coordinator/runtime.ts";
import { ErrorCode, KafkaError } from "../../src/protocol/errors.ts";

/** A promise the test settles by hand. */
function gate<T = void>(): { promise: Promise<T>; open: (v: T) => void; fail: (e: unknown) => void } {
  let open!: (v: T) => void, fail!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    open = res;
    fail = rej;
  });
  return { promise, open, fail };
}

const turn = () => new Promise<void>((r) => setTimeout(r, 0));

Deno.test("serial queue: one operation at a time, in order, whatever the one before did", async () => {
  const q = new SerialQueue();
  const log: string[] = [];
  const first = gate();
  const a = q.run(async () => {
    log.push("a start");
    await first.promise;
    log.push("a end");
    throw new Error("a failed");
  });
  const b = q.run(() => {
    log.push("b");
    return 2;
  });
  log.push("queued");
  assertEquals(q.size, 2);
  await turn();
  assertEquals(log, ["queued", "a start"], "b waits for a; neither starts inside run()");
  first.open();
  await assertRejects(() => a, Error, "a failed");
  assertEquals(await b, 2, "b runs after a failed, with its own result");
  assertEquals(log, ["queued", "a start", "a end", "b"]);
  await q.idle();
  assertEquals(q.size, 0);
});

Deno.test("serial queue: an operation that queues another on its own queue is not run beside itself", async () => {
  const q = new SerialQueue();
  const log: string[] = [];
  let inner: Promise<void> | undefined;
  await q.run(() => {
    inner = q.run(() => {
      log.push("inner");
    });
    log.push("outer");
  });
  await inner;
  assertEquals(log, ["outer", "inner"]);
});

Deno.test("keyed queue: keys are independent; a key's queue is dropped once dry", async () => {
  const q = new KeyedQueue<string>();
  const slow = gate();
  const log: string[] = [];
  const x1 = q.run("x", async () => {
    await slow.promise;
    log.push("x1");
  });
  const x2 = q.run("x", () => log.push("x2"));
  const y = q.run("y", () => log.push("y"));
  await y;
  assertEquals(log, ["y"], "y does not wait for x");
  assert(q.busy("x") && !q.busy("y"), "y's queue is gone once dry");
  const idle = q.idle(["x"]);
  slow.open();
  await idle;
  await Promise.all([x1, x2]);
  assertEquals(log, ["y", "x1", "x2"]);
  assertEquals(q.size, 0);
});

const runtime = (serving: (p: number) => boolean = () => true) =>
  new CoordinatorRuntime({ serving, releaseWaitMs: 200 });

Deno.test("coordinator runtime: loading answers loading, then active after adopt; acquiring again takes the epoch", async () => {
  const rt = runtime();
  const read = gate<string>();
  const adopted: string[] = [];
  const active: number[] = [];
  const loading = rt.load(4, 7, {
    read: () => read.promise,
    adopt: (v) => void adopted.push(v),
    onActive: (s) => active.push(s.epoch),
  });
  assert(rt.isLoading(4) && !rt.isActive(4));
  assertEquals(rt.writable(4), undefined, "no write while loading");
  read.open("state");
  const shard = await loading;
  assertEquals(shard?.state, "active");
  assertEquals(adopted, ["state"]);
  assertEquals(active, [7], "onActive runs as the shard turns active");
  assert(rt.isActive(4) && rt.writable(4) === shard);
  assertEquals(
    await rt.load(4, 8, { read: () => Promise.reject(new Error("not read again")), adopt: () => {} }),
    null,
  );
  assertEquals(rt.shard(4)?.epoch, 8, "an active shard only takes the new epoch");
});

Deno.test("coordinator runtime: what a load read for a hold that ended is not kept", async () => {
  const rt = runtime();
  const adopted: string[] = [];
  // Released while loading.
  const r1 = gate<string>();
  const l1 = rt.load(1, 1, { read: () => r1.promise, adopt: (v) => void adopted.push(v) });
  const released = await rt.release(1, () => adopted.push("dropped"));
  assertEquals(released?.wasActive, false, "a loading shard is released without drop");
  r1.open("stale");
  assertEquals(await l1, null);
  // Replaced by a newer acquire while loading: only the newer load's state is kept.
  const r2 = gate<string>();
  const l2 = rt.load(1, 2, { read: () => r2.promise, adopt: (v) => void adopted.push(v) });
  const l3 = rt.load(1, 3, { read: () => Promise.resolve("fresh"), adopt: (v) => void adopted.push(v) });
  assertEquals((await l3)?.epoch, 3);
  r2.open("older");
  assertEquals(await l2, null);
  assertEquals(adopted, ["fresh"]);
  // Closed while loading.
  const r4 = gate<string>();
  const l4 = rt.load(2, 1, { read: () => r4.promise, adopt: (v) => void adopted.push(v) });
  await rt.close();
  r4.open("after close");
  assertEquals(await l4, null);
  assertEquals(adopted, ["fresh"]);
});

Deno.test("coordinator runtime: a load that throws leaves the partition unheld, and a later acquire loads again", async () => {
  const rt = runtime();
  await assertRejects(
    () => rt.load(5, 1, { read: () => Promise.reject(new Error("store down")), adopt: () => {} }),
    Error,
    "store down",
  );
  assertEquals(rt.shard(5), undefined);
  assertEquals((await rt.load(5, 1, { read: () => Promise.resolve(0), adopt: () => {} }))?.state, "active");
});

Deno.test("coordinator runtime: writes are fenced by the shard and the cluster; release waits for them", async () => {
  let serving = true;
  const rt = runtime(() => serving);
  const write = (v: string, log: string[]) => () => {
    log.push(v);
    return Promise.resolve(v);
  };
  const log: string[] = [];
  const refused = async (p: Promise<unknown>) =>
    assertEquals(((await assertRejects(() => p, KafkaError)) as KafkaError).code, ErrorCode.NOT_COORDINATOR);
  await refused(rt.write(0, "p0", write("unheld", log)));
  await rt.load(0, 1, { read: () => Promise.resolve(null), adopt: () => {} });
  assertEquals(await rt.write(0, "p0", write("held", log)), "held");
  serving = false;
  await refused(rt.write(0, "p0", write("lease lapsed", log)));
  serving = true;
  const slow = gate();
  const inFlight = rt.write(0, "p0", async () => {
    await slow.promise;
    log.push("slow");
  });
  let done = false;
  const releasing = rt.release(0, (s: Shard) => log.push(`drop ${s.state}`)).then((r) => {
    done = true;
    return r;
  });
  await turn();
  assert(!done, "the release waits for the write in flight");
  await refused(rt.write(0, "p0", write("after release", log)));
  slow.open();
  await refused(inFlight); // it outlived its shard: it may be durable, the client retries elsewhere
  assertEquals((await releasing)?.left, 0);
  assertEquals(log, ["held", "drop closed", "slow"]);
});

Deno.test("coordinator runtime: operations on one key run one at a time across a shard change", async () => {
  const rt = runtime();
  await rt.load(0, 1, { read: () => Promise.resolve(null), adopt: () => {} });
  const slow = gate();
  const log: string[] = [];
  const old = rt.serial("txn-a", async () => {
    await slow.promise;
    log.push("old shard's op");
  });
  const releasing = rt.release(0, undefined, ["txn-a"]);
  await rt.load(0, 2, { read: () => Promise.resolve(null), adopt: () => {} });
  const next = rt.serial("txn-a", () => {
    log.push("new shard's op");
    return Promise.resolve();
  });
  const other = rt.serial("txn-b", () => {
    log.push("other id");
    return Promise.resolve();
  });
  await other;
  slow.open();
  await Promise.all([old, next, releasing]);
  assertEquals(log, ["other id", "old shard's op", "new shard's op"]);
});

Deno.test("coordinator runtime: a solo coordinator's whole shard serves every partition", async () => {
  const rt = new CoordinatorRuntime({ releaseWaitMs: 200 });
  assert(!rt.isActive(3));
  const loading = rt.loadWhole({ read: () => Promise.resolve(null), adopt: () => {} });
  assert(rt.isLoading(0) && rt.isLoading(49));
  await loading;
  assert(rt.isActive(0) && rt.isActive(49) && rt.writable(17) !== undefined);
  await rt.close();
  assert(!rt.isActive(0) && rt.writable(0) === undefined, "closed: nothing is served");
});
