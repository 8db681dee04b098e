// The classic groups' DeadlineQueue: deadlines fire at their own millisecond in order, moves and cancels take
// effect, one timer serves them all (none when empty or closed), and it stays exact with 10,000 moving deadlines.
import { assertEquals } from "./assert.ts";
import { Deadline, DeadlineQueue } from "../../src/groups/classic/deadlines.ts";
import { ManualClock } from "../helpers/clock.ts";

/** A queue on a manual clock whose deadlines record the monotonic time they fired at. */
function setup() {
  const clock = new ManualClock();
  const q = new DeadlineQueue(clock);
  const fired: [string, number][] = [];
  const deadline = (name: string) => new Deadline(() => fired.push([name, clock.monotonic()]));
  return { clock, q, fired, deadline };
}

Deno.test("deadlines fire at their own millisecond, earliest first, on one timer", async () => {
  const { clock, q, fired, deadline } = setup();
  const [a, b, c] = [deadline("a"), deadline("b"), deadline("c")];
  q.after(a, 300);
  q.after(b, 100);
  q.after(c, 200);
  assertEquals(clock.pending, 1, "one timer for three deadlines");
  await clock.advance(99);
  assertEquals(fired, []);
  await clock.advance(1);
  assertEquals(fired, [["b", 100]]);
  await clock.advance(200);
  assertEquals(fired, [["b", 100], ["c", 200], ["a", 300]]);
  assertEquals([q.size, clock.pending], [0, 0], "an empty queue holds no timer");
});

Deno.test("a deadline moved later fires then, moved earlier fires sooner; a cancelled one never", async () => {
  const { clock, q, fired, deadline } = setup();
  const [a, b, c] = [deadline("a"), deadline("b"), deadline("c")];
  q.after(a, 100);
  q.after(b, 150);
  q.after(c, 400);
  await clock.advance(50);
  q.after(a, 100); // a heartbeat at 50: now due at 150
  q.after(c, 10); // due at 60, before the armed timer
  q.cancel(b);
  await clock.advance(200);
  assertEquals(fired, [["c", 60], ["a", 150]]);
  assertEquals([a.queued, b.queued, c.queued], [false, false, false]);
  assertEquals(clock.pending, 0);
});

Deno.test("a deadline may re-queue itself when it fires; runDue fires what is due without the timer", async () => {
  const { clock, q, fired } = setup();
  let n = 0;
  const d: Deadline = new Deadline(() => {
    fired.push(["d", clock.monotonic()]);
    if (++n < 3) q.after(d, 10);
  });
  q.after(d, 10);
  await clock.advance(100);
  assertEquals(fired, [["d", 10], ["d", 20], ["d", 30]]);
  // A clock whose timers never run: runDue alone fires due deadlines, and only those.
  const lazy = new ManualClock();
  const never = { cancel() {} };
  const q2 = new DeadlineQueue({
    now: () => lazy.now(),
    monotonic: () => lazy.monotonic(),
    setTimeout: () => never,
    setInterval: () => never,
  });
  const seen: number[] = [];
  q2.after(new Deadline(() => seen.push(1)), 5);
  q2.after(new Deadline(() => seen.push(2)), 6);
  await lazy.advance(5);
  q2.runDue();
  assertEquals(seen, [1]);
});

Deno.test("close() cancels the timer and ignores later deadlines", async () => {
  const { clock, q, fired, deadline } = setup();
  q.after(deadline("a"), 100);
  assertEquals(clock.pending, 1);
  q.close();
  assertEquals([q.size, clock.pending], [0, 0]);
  q.after(deadline("b"), 10);
  await clock.advance(1000);
  assertEquals([fired, q.size, clock.pending], [[], 0, 0]);
});

Deno.test("10,000 deadlines moved 100,000 times: one timer, each fires exactly at its last due time, in order", async () => {
  const { clock, q } = setup();
  const n = 10_000;
  let seed = 42;
  const rand = (k: number) => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) % k;
  const want = new Map<number, number>();
  const got: [number, number][] = [];
  const ds = Array.from({ length: n }, (_, i) => new Deadline(() => got.push([i, clock.monotonic()])));
  // Due times on a 10 ms grid keep the manual clock's steps (one macrotask each) few; the heap sees ties galore.
  for (let i = 0; i < n; i++) q.after(ds[i], 1_000 + 10 * rand(900));
  for (let k = 0; k < 100_000; k++) {
    q.after(ds[rand(n)], 500 + 10 * rand(2_000)); // heartbeats move sessions both ways
  }
  for (let i = 0; i < n; i++) want.set(i, ds[i].due);
  assertEquals(clock.pending, 1);
  await clock.advance(25_000);
  assertEquals(got.length, n);
  for (const [i, at] of got) assertEquals(at, want.get(i), `deadline ${i}`);
  for (let k = 1; k < got.length; k++) {
    if (got[k][1] < got[k - 1][1]) throw new Error(`out of order at ${k}`);
  }
  assertEquals(clock.pending, 0);
});
