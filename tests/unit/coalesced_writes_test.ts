// CoalescedWrites (src/serial.ts): the writes of a state written whole. A write asked for while another waits to
// start is that one and carries every change made before it starts; writes run one at a time, a failed one does not
// stop the next; busy and settled() say what is under way.
import { CoalescedWrites } from "../../src/serial.ts";
import { assert, assertEquals } from "./assert.ts";

Deno.test("coalesced writes: one at a time, waiting requests share one write that reads the latest state", async () => {
  const w = new CoalescedWrites();
  let state = 0;
  const written: number[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => release = r);
  const write = async () => {
    const v = state;
    if (written.length === 0) await gate; // the first write stays under way
    written.push(v);
  };
  state = 1;
  const a = w.request(write);
  await Promise.resolve();
  await Promise.resolve();
  assert(w.busy, "under way");
  state = 2;
  const b = w.request(write);
  state = 3;
  const c = w.request(write);
  assert(b === c, "a request while one waits is that one");
  release();
  await Promise.all([a, b, c]);
  assertEquals(written, [1, 3], "the second write carries the change made after it was asked for");
  assert(!w.busy);
});

Deno.test("coalesced writes: a failed write fails its requests only; settled() never rejects", async () => {
  const w = new CoalescedWrites();
  let error = "";
  const failed = w.request(() => Promise.reject(new Error("disk full"))).catch((e: Error) =>
    error = e.message
  );
  await Promise.resolve();
  await Promise.resolve();
  let ran = false;
  const next = w.request(() => {
    ran = true;
  });
  await w.settled();
  await failed;
  await next;
  assertEquals([error, ran], ["disk full", true], "the next write ran after the failed one");
});
