// Share sessions (src/groups/share/sessions.ts): epoch 0 opens (replacing the member's session), -1 closes, any
// other epoch must be the next one of a session that exists, with Kafka's codes; a session ends when the connection
// that opened it closes (end()), and whatever watches that connection is let go once the session is gone.
import { FINAL_EPOCH, INITIAL_EPOCH, ShareSessions } from "../../src/groups/share/sessions.ts";
import { ErrorCode, KafkaError } from "../../src/protocol/errors.ts";
import { assert, assertEquals } from "./assert.ts";

function code(f: () => unknown): number {
  try {
    f();
    return ErrorCode.NONE;
  } catch (e) {
    return e instanceof KafkaError ? e.code : -1;
  }
}

Deno.test("share sessions: epochs, Kafka's codes, replacement, end and detach", () => {
  const s = new ShareSessions();
  assertEquals(code(() => s.begin("g", "m", 1, true)), ErrorCode.SHARE_SESSION_NOT_FOUND);
  assertEquals(code(() => s.begin("g", "m", INITIAL_EPOCH, false)), ErrorCode.INVALID_SHARE_SESSION_EPOCH);
  const detached: string[] = [];
  const a = s.begin("g", "m", INITIAL_EPOCH, true);
  a.detach = () => detached.push("a");
  assert(a.add("t", 0) && !a.add("t", 0), "a partition is new once");
  assertEquals(code(() => s.begin("g", "m", 2, true)), ErrorCode.INVALID_SHARE_SESSION_EPOCH);
  assert(s.begin("g", "m", 1, false) === a);
  // Opened again (a new connection): the old one is let go.
  const b = s.begin("g", "m", INITIAL_EPOCH, true);
  b.detach = () => detached.push("b");
  assertEquals(detached, ["a"]);
  assert(!s.end(a), "a replaced session is not ended again");
  assert(s.begin("g", "m", 1, true) === b);
  assert(s.end(b), "its connection closed");
  assertEquals(detached, ["a", "b"]);
  assertEquals(code(() => s.begin("g", "m", 2, true)), ErrorCode.SHARE_SESSION_NOT_FOUND);
  const c = s.begin("g", "m", INITIAL_EPOCH, true);
  c.detach = () => detached.push("c");
  assert(s.begin("g", "m", FINAL_EPOCH, true) === c);
  assertEquals([detached, s.size], [["a", "b", "c"], 0]);
});
