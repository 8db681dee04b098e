// The SeaweedMQ backend's read built ahead (src/storage/seaweedmq/read_ahead.ts): taken only by the read it was
// built for, once; a different offset or budget builds afresh; `minOne` only matters for a read that had nothing
// within its budget; a failed guess is no answer.
import { assertEquals } from "./assert.ts";
import { type BuiltRead, ReadAhead } from "../../src/storage/seaweedmq/read_ahead.ts";

const batch = (n: number) => new Uint8Array(n);
const read = (bytes: number, next: number): BuiltRead => ({
  batches: bytes > 0 ? [batch(bytes)] : [],
  bytes,
  next,
  hw: 100,
});

Deno.test("read ahead: the read it was built for takes it once; other reads build afresh", async () => {
  const ahead = new ReadAhead();
  let builds = 0;
  const build = (r: BuiltRead) => () => {
    builds++;
    return Promise.resolve(r);
  };
  assertEquals(await ahead.take(0, 1000, true), null, "nothing built yet");

  ahead.start(10, 1000, false, build(read(600, 20)));
  const taken = await ahead.take(10, 1000, false);
  assertEquals([taken?.bytes, taken?.next, builds], [600, 20, 1]);
  assertEquals(await ahead.take(10, 1000, false), null, "taken once");

  ahead.start(20, 1000, false, build(read(600, 30)));
  assertEquals(await ahead.take(21, 1000, false), null, "another offset");
  assertEquals(await ahead.take(20, 1000, false), null, "dropped by the read that did not match");

  ahead.start(20, 1000, false, build(read(600, 30)));
  assertEquals(await ahead.take(20, 2000, false), null, "another budget");

  // minOne: the same answer when something fitted the budget, not when the first batch alone is over it
  ahead.start(30, 1000, false, build(read(600, 40)));
  assertEquals((await ahead.take(30, 1000, true))?.next, 40, "built without minOne, asked with it");
  ahead.start(40, 1000, true, build(read(600, 50)));
  assertEquals((await ahead.take(40, 1000, false))?.next, 50, "built with minOne, within the budget");
  ahead.start(50, 1000, true, build(read(1500, 51)));
  assertEquals(
    await ahead.take(50, 1000, false),
    null,
    "built with minOne over the budget: not for a read without",
  );
  ahead.start(60, 1000, false, build(read(0, 60)));
  assertEquals(
    await ahead.take(60, 1000, true),
    null,
    "nothing within the budget: a read with minOne builds again",
  );
  ahead.drop();
});

Deno.test("read ahead: a failed build is no answer; a read waits for a build still running", async () => {
  const ahead = new ReadAhead();
  ahead.start(0, 1000, false, () => Promise.reject(new Error("not the leader")));
  assertEquals(await ahead.take(0, 1000, false), null);

  const gate = Promise.withResolvers<BuiltRead>();
  let started = false;
  ahead.start(5, 1000, false, () => {
    started = true;
    return gate.promise;
  });
  assertEquals(started, false, "built after the current answer's microtasks, not before");
  const taking = ahead.take(5, 1000, false);
  gate.resolve(read(300, 9));
  assertEquals((await taking)?.next, 9);
  assertEquals(started, true);
});
