// The fetch session cache (src/fetch/sessions.ts): epochs, owners, ACL changes, slots and eviction, and which
// partitions an incremental answer carries.
import { assert, assertEquals } from "./assert.ts";
import { FetchSession, FetchSessionCache, nextEpoch } from "../../src/fetch/sessions.ts";
import { ErrorCode } from "../../src/protocol/errors.ts";
import { ZERO_UUID } from "../../src/protocol/codec.ts";

const part = (topic: string, partition: number, fetchOffset = 0) => ({
  topic,
  topicId: ZERO_UUID,
  partition,
  fetchOffset,
  partitionMaxBytes: 1 << 20,
  currentLeaderEpoch: -1,
  lastFetchedEpoch: -1,
  logStartOffset: -1,
});

Deno.test("fetch sessions: an incremental request continues only its session, at its epoch, for its owner", () => {
  let n = 0;
  const cache = new FetchSessionCache(10, 120_000, () => ++n);
  const auth = {};
  const s = cache.create(false, "User:a", auth, 0)!;
  assertEquals([s.id, s.epoch], [1, 1]);
  const err = (r: ReturnType<FetchSessionCache["continue"]>) => r.kind === "error" ? r.errorCode : 0;
  assertEquals(err(cache.continue(2, 1, false, "User:a", auth, 1)), ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
  assertEquals(err(cache.continue(1, 1, false, "User:b", auth, 1)), ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
  assertEquals(err(cache.continue(1, 2, false, "User:a", auth, 1)), ErrorCode.INVALID_FETCH_SESSION_EPOCH);
  assertEquals(err(cache.continue(1, 1, true, "User:a", auth, 1)), ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR);
  assertEquals(err(cache.continue(1, 1, false, "User:a", auth, 1)), 0);
  // The epoch advanced at once: the same request again (a replay, or one sent concurrently) is refused.
  assertEquals(err(cache.continue(1, 1, false, "User:a", auth, 1)), ErrorCode.INVALID_FETCH_SESSION_EPOCH);
  assertEquals(err(cache.continue(1, 2, false, "User:a", auth, 2)), 0);
  // Other ACLs in force: the session is dropped, the client starts over with a full fetch.
  assertEquals(err(cache.continue(1, 3, false, "User:a", {}, 3)), ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
  assertEquals(cache.size, 0);
  assertEquals([nextEpoch(5), nextEpoch(0x7fffffff)], [6, 1]);
});

Deno.test("fetch sessions: a full cache evicts only a session idle for the eviction interval", () => {
  let n = 0;
  const cache = new FetchSessionCache(2, 1000, () => ++n);
  const a = cache.create(false, "u", null, 0)!;
  const b = cache.create(false, "u", null, 500)!;
  assertEquals(cache.create(false, "u", null, 900), null, "both used within the interval: no room");
  // a was used at 0, b at 500; at 1200 a is idle past the interval and makes room.
  const c = cache.create(false, "u", null, 1200)!;
  assert(c !== null);
  assertEquals(cache.continue(a.id, 1, false, "u", null, 1200).kind, "error");
  assertEquals(cache.continue(b.id, 1, false, "u", null, 1300).kind, "session");
  // b was just used: c (1200) is now the least recently used, and not idle long enough at 1500.
  assertEquals(cache.create(false, "u", null, 1500), null);
  assertEquals(new FetchSessionCache(0).create(false, "u", null, 0), null, "0 slots: full fetches only");
});

Deno.test("fetch sessions: what an incremental answer carries; partitions with records move to the end", () => {
  const s = new FetchSession(7, false, "u", null, 0);
  for (const p of [0, 1, 2]) s.put(part("t", p));
  const key = (p: number) => FetchSession.key("t", ZERO_UUID, p, false);
  for (const p of [0, 1, 2]) {
    s.remember(key(p), { errorCode: 0, highWatermark: 5, logStartOffset: 0, hasRecords: true });
  }
  const none = { errorCode: 0, highWatermark: 5, logStartOffset: 0, hasRecords: false };
  assertEquals([0, 1, 2].map((p) => s.mustAnswer(key(p), none)), [false, false, false], "nothing new");
  assertEquals(s.mustAnswer(key(1), { ...none, highWatermark: 6 }), true, "high watermark moved");
  assertEquals(s.mustAnswer(key(1), { ...none, highWatermark: 6 }), false, "and was remembered");
  assertEquals(s.mustAnswer(key(2), { ...none, logStartOffset: 3 }), true, "log start moved");
  assertEquals(s.mustAnswer(key(0), { ...none, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER }), true, "error");
  assertEquals(s.mustAnswer(key(0), none), true, "the partition is sent again once the error is gone");
  assertEquals(s.mustAnswer(key(0), { ...none, highWatermark: 6, hasRecords: true }), true, "records");
  assertEquals([...s.partitions.values()].map((p) => p.partition), [1, 2, 0], "the one with records last");
  // A request updates what the session fetches; forgetting removes.
  s.put(part("t", 1, 42));
  assertEquals(s.partitions.get(key(1))!.fetchOffset, 42);
  s.forget("t", ZERO_UUID, 2);
  assertEquals([...s.partitions.values()].map((p) => p.partition), [1, 0]);
});
