// The bounded shutdown (src/shutdown.ts): stages in order under one deadline, a hung stage abandoned and named, a
// must-finish stage (the embedded log's fsync) waited for past it, failures reported; and the gateway's own stop
// on the embedded backend finishes every stage.
import { assert, assertEquals } from "./assert.ts";
import { runShutdown, type ShutdownStage, StartStack } from "../../src/shutdown.ts";
import { logger } from "../../src/log.ts";
import { loadConfig } from "../../src/configs/options.ts";
import { Gateway } from "../../src/gateway.ts";
import { freePort } from "../helpers/ports.ts";

const log = logger("test");
const never = () => new Promise<void>(() => {});
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

Deno.test("shutdown: every stage runs in order; a clean stop reports nothing undone", async () => {
  const ran: string[] = [];
  const stage = (name: string): ShutdownStage => ({
    name,
    ifUnfinished: "",
    run: async () => {
      await sleep(5);
      ran.push(name);
    },
  });
  const r = await runShutdown([stage("a"), stage("b"), stage("c")], 2_000, log);
  assertEquals(ran, ["a", "b", "c"]);
  assertEquals(r.clean, true);
  assertEquals(r.unfinished, []);
  assertEquals(r.failed, []);
});

Deno.test("shutdown: a hung stage is abandoned at the deadline, the rest still runs, the stop is bounded", async () => {
  const ran: string[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t0 = performance.now();
  const r = await runShutdown(
    [
      {
        name: "requests",
        ifUnfinished: "x",
        run: never,
        leaveMs: 100,
        pending: () => "2 connections still open",
      },
      { name: "filer", ifUnfinished: "y", run: never },
      // started with no time left: what completes at once still completes
      { name: "sync", ifUnfinished: "z", run: () => void ran.push("sync") },
      {
        name: "slow",
        ifUnfinished: "w",
        run: () => new Promise<void>((res) => timer = setTimeout(res, 5_000)),
      },
    ],
    400,
    log,
  );
  clearTimeout(timer);
  const ms = performance.now() - t0;
  assertEquals(r.unfinished, ["requests", "filer", "slow"]);
  assertEquals(ran, ["sync"]);
  assertEquals(r.clean, false);
  // bounded by the deadline, not by the 5 s stage (loose: timers run late on a busy machine)
  assert(ms < 2_000, `stopped in ${ms} ms with a 400 ms deadline`);
});

Deno.test("shutdown: leaveMs keeps part of the budget for the stages after it", async () => {
  let filerStartedAt = 0;
  const t0 = performance.now();
  const r = await runShutdown(
    [
      { name: "requests", ifUnfinished: "", run: never, leaveMs: 300 },
      {
        name: "state",
        ifUnfinished: "",
        run: async () => {
          filerStartedAt = performance.now() - t0;
          await sleep(100);
        },
      },
    ],
    1_000,
    log,
  );
  assertEquals(r.unfinished, ["requests"]);
  // the budget ends at 900 ms (100 ms kept for the exit); "requests" had to leave 300 ms of it
  assert(filerStartedAt < 900, `the next stage started at ${filerStartedAt} ms`);
});

Deno.test("shutdown: a must-finish stage is waited for past the deadline; a failing stage is reported", async () => {
  let flushed = false;
  const r = await runShutdown(
    [
      { name: "boom", ifUnfinished: "", run: () => Promise.reject(new Error("filer down")) },
      {
        name: "fsync",
        ifUnfinished: "",
        mustFinish: true,
        run: async () => {
          await sleep(300);
          flushed = true;
        },
      },
    ],
    100,
    log,
  );
  assert(flushed, "the must-finish stage completed");
  assertEquals(r.unfinished, []);
  assertEquals(r.failed, ["boom"]);
  assertEquals(r.clean, false);
});

Deno.test("shutdown: the stop is the start stack closed newest first, each part with its stage options", async () => {
  const closed: string[] = [];
  const stack = new StartStack();
  stack.add("listener", () => void closed.push("listener"));
  stack.add("storage", () => void closed.push("storage"), { mustFinish: true, ifUnfinished: "unflushed" });
  stack.add("server", () => void closed.push("server"), {
    leaveMs: (t) => Math.min(3_000, t / 2),
    pending: () => "1 connection still open",
  });
  const stages = stack.stages(2_000);
  assertEquals(stages.map((s) => s.name), ["server", "storage", "listener"]);
  assertEquals(stages.map((s) => s.leaveMs), [1_000, undefined, undefined]);
  assertEquals(stages.map((s) => s.mustFinish ?? false), [false, true, false]);
  assertEquals(stages[0].pending?.(), "1 connection still open");
  assertEquals(stack.stages(10_000)[0].leaveMs, 3_000);
  const r = await runShutdown(stages, 2_000, log);
  assertEquals(closed, ["server", "storage", "listener"]);
  assert(r.clean);
});

Deno.test({
  name: "shutdown: a gateway on the embedded backend stops cleanly, every stage done",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "kgw-shutdown-" });
    try {
      const { config } = loadConfig({
        argv: ["--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0", "--data-dir", dir],
        env: () => undefined,
        readFile: () => undefined,
      });
      const gw = await Gateway.start(config);
      // The stop closes what the start opened, newest first; on the embedded backend the parts that write local
      // files holding acknowledged data are waited for past the deadline.
      const plan = gw.stopPlan();
      assertEquals(plan[0].name, "Kafka listener and in-flight requests");
      assertEquals(plan.at(-1)?.name, "Kafka listeners");
      assertEquals(plan.filter((s) => s.mustFinish).map((s) => s.name), [
        "transaction coordinator",
        "producer state",
        "group coordinator",
        "embedded storage",
      ]);
      const r = await gw.stop();
      assertEquals(r.clean, true, JSON.stringify(r));
      assertEquals(config.shutdownTimeoutMs, 10_000);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("start stack: parts close newest first; one that fails to close is logged and the others still close", async () => {
  const closed: string[] = [];
  const s = new StartStack();
  s.add("listener", () => void closed.push("listener"));
  s.add("storage", async () => {
    await Promise.resolve();
    closed.push("storage");
  });
  s.add("coordinator", () => {
    throw new Error("already closed");
  });
  s.add("server", () => void closed.push("server"));
  assertEquals(s.names, ["listener", "storage", "coordinator", "server"]);
  await s.unwind(logger("test"));
  assertEquals(closed, ["server", "storage", "listener"]);
  assertEquals(s.names, []);
});

Deno.test("shutdown: a start that fails at its last step closes every part it started (ports free, no timers left)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kgw-start-fail-" });
  // the schema registry's port is taken: the start fails after everything else is up
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const kafkaPort = freePort(), httpPort = freePort();
  try {
    const { config } = loadConfig({
      argv: [
        "--listen",
        `127.0.0.1:${kafkaPort}`,
        "--http-listen",
        `127.0.0.1:${httpPort}`,
        "--schema-registry-listen",
        `127.0.0.1:${(taken.addr as Deno.NetAddr).port}`,
        "--data-dir",
        dir,
      ],
      env: () => undefined,
      readFile: () => undefined,
    });
    let failed: unknown = null;
    try {
      const gw = await Gateway.start(config);
      await gw.stop();
    } catch (e) {
      failed = e;
    }
    assert(failed instanceof Error, `the start failed: ${failed}`);
    // every listener it opened is closed: the same ports can be bound again
    for (const port of [kafkaPort, httpPort]) Deno.listen({ hostname: "127.0.0.1", port }).close();
  } finally {
    taken.close();
    await Deno.remove(dir, { recursive: true });
  }
  // this test keeps Deno's op and resource sanitizers: a timer, socket or file left open by the start fails it
});
