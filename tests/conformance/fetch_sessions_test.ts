// Fetch sessions (KIP-227) against a real gateway, over the wire: a sessionless fetch (epoch -1, any id: what
// kafka-go's Client.Fetch sends), a full fetch opening a session, incremental fetches that carry only partitions
// with news, forgotten partitions, a long poll woken by a partition the request does not name, the errors Kafka
// sends (unknown id, wrong epoch, topic ids mixed with names), closing a session, the cache's slots, a deleted
// topic in a session, and sessions dropped when the ACLs change. The clients that use sessions (the Java
// consumer, kafka-python, franz-go) run against the gateway in their own suites.
import { assert, assertEquals } from "../unit/assert.ts";
import { runWithGateway } from "../helpers/gateway.ts";
import type { RunningGateway } from "../helpers/gateway.ts";
import { Kafka, logLevel } from "../helpers/kafkajs.ts";
import { fetchBody, WireClient } from "../helpers/wire.ts";
import { ErrorCode } from "../../src/protocol/errors.ts";
import { type FetchRequest, type FetchResponse, FetchSpec } from "../../src/protocol/messages/fetch.ts";
import { type MetadataResponse, MetadataSpec } from "../../src/protocol/messages/metadata.ts";
import { type CreateAclsResponse, CreateAclsSpec } from "../../src/protocol/messages/create_acls.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const ZERO = "0".repeat(32);

function kafka(gw: RunningGateway) {
  return new Kafka({ clientId: "sessions", brokers: [gw.bootstrap], logLevel: logLevel.NOTHING });
}

async function produce(gw: RunningGateway, topic: string, partition: number, n: number): Promise<void> {
  const p = kafka(gw).producer();
  await p.connect();
  try {
    await p.send({ topic, messages: Array.from({ length: n }, (_, i) => ({ partition, value: `v${i}` })) });
  } finally {
    await p.disconnect();
  }
}

async function createTopic(gw: RunningGateway, topic: string, partitions: number): Promise<void> {
  const admin = kafka(gw).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] });
  } finally {
    await admin.disconnect();
  }
}

/** A fetch of `parts` ([partition, fetchOffset]) of `topic` with a session id and epoch. */
function request(
  topic: string,
  parts: [number, number][],
  sessionId: number,
  sessionEpoch: number,
  extra: Partial<FetchRequest> = {},
): FetchRequest {
  const base = fetchBody(topic, 0, 0);
  const template = base.topics[0].partitions[0];
  return {
    ...base,
    sessionId,
    sessionEpoch,
    topics: parts.length === 0 ? [] : [{
      ...base.topics[0],
      partitions: parts.map(([partition, fetchOffset]) => ({ ...template, partition, fetchOffset })),
    }],
    ...extra,
  };
}

/** [partition, high watermark, records?] of each partition an answer carries, in its order. */
function carried(res: FetchResponse): [number, number, boolean][] {
  return res.responses.flatMap((t) =>
    t.partitions.map((p): [number, number, boolean] => {
      const r = p.records;
      const has = r instanceof Uint8Array ? r.length > 0 : Array.isArray(r) && r.some((b) => b.length > 0);
      return [p.partitionIndex, p.highWatermark, has];
    })
  );
}

Deno.test({
  name: "fetch sessions: sessionless, full, incremental with only news, forgotten partitions, errors, close",
  ...opts,
  fn: () =>
    runWithGateway({}, async (gw) => {
      await createTopic(gw, "s", 3);
      await produce(gw, "s", 0, 1);
      const c = await WireClient.connect(gw.port);
      const fetch = (r: FetchRequest, v = 12) => c.call<FetchResponse>(FetchSpec, v, r);
      try {
        // Sessionless (kafka-go: id -1, epoch -1): a full answer, no session.
        let res = await fetch(request("s", [[0, 0], [1, 0], [2, 0]], -1, -1));
        assertEquals([res.errorCode, res.sessionId], [0, 0]);
        assertEquals(carried(res), [[0, 1, true], [1, 0, false], [2, 0, false]]);
        // Epoch 0 opens a session: a full answer with its id.
        res = await fetch(request("s", [[0, 1], [1, 0], [2, 0]], 0, 0));
        const id = res.sessionId ?? 0;
        assert(id > 0, `session id ${id}`);
        assertEquals(carried(res), [[0, 1, false], [1, 0, false], [2, 0, false]]);
        // Nothing new: an incremental answer carries no partition.
        res = await fetch(request("s", [], id, 1));
        assertEquals([res.errorCode, res.sessionId, carried(res)], [0, id, []]);
        // Records on partition 1: only it is carried, from the session's fetch offset (0).
        await produce(gw, "s", 1, 2);
        res = await fetch(request("s", [], id, 2));
        assertEquals(carried(res), [[1, 2, true]]);
        // The client moves its offset on partition 1: nothing new again.
        res = await fetch(request("s", [[1, 2]], id, 3));
        assertEquals(carried(res), []);
        // Wrong epoch, unknown id: Kafka's errors and no partitions.
        res = await fetch(request("s", [], id, 3));
        assertEquals([res.errorCode, res.sessionId, res.responses.length], [
          ErrorCode.INVALID_FETCH_SESSION_EPOCH,
          0,
          0,
        ]);
        res = await fetch(request("s", [], id + 1, 1));
        assertEquals([res.errorCode, res.responses.length], [ErrorCode.FETCH_SESSION_ID_NOT_FOUND, 0]);
        // A v13 request (topic ids) on a session opened by name.
        res = await fetch({ ...request("s", [], id, 4) }, 13);
        assertEquals(res.errorCode, ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR);
        // Forget partition 1; records on 1 and 2 then show only for 2. (The refused requests left the epoch.)
        res = await fetch(
          request("s", [], id, 4, { forgottenTopicsData: [{ topic: "s", topicId: ZERO, partitions: [1] }] }),
        );
        assertEquals(carried(res), []);
        await produce(gw, "s", 1, 1);
        await produce(gw, "s", 2, 1);
        res = await fetch(request("s", [], id, 5));
        assertEquals(carried(res), [[2, 1, true]]);
        // A long poll on the session wakes for a partition the request does not name.
        const polled = fetch(request("s", [[2, 1]], id, 6, { maxWaitMs: 20_000, minBytes: 1 }));
        await new Promise((r) => setTimeout(r, 200));
        await produce(gw, "s", 0, 1);
        res = await polled;
        assertEquals(carried(res), [[0, 2, true]]);
        // Epoch -1 with the id closes the session (a full answer); the id is unknown afterwards.
        res = await fetch(request("s", [[0, 2]], id, -1));
        assertEquals([res.errorCode, res.sessionId, carried(res)], [0, 0, [[0, 2, false]]]);
        res = await fetch(request("s", [], id, 7));
        assertEquals(res.errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND);

        // By topic id (v13+): a session keyed by id.
        const md = await c.call<MetadataResponse>(MetadataSpec, 12, {
          topics: [{ topicId: ZERO, name: "s" }],
          allowAutoTopicCreation: false,
        });
        const topicId = md.topics[0].topicId!;
        const byId = (parts: [number, number][], sid: number, epoch: number) => {
          const r = request("s", parts, sid, epoch);
          return { ...r, topics: r.topics.map((t) => ({ ...t, topic: "", topicId })) };
        };
        res = await fetch(byId([[0, 2], [2, 1]], 0, 0), 13);
        const id13 = res.sessionId ?? 0;
        assert(id13 > 0 && id13 !== id);
        assertEquals(res.responses.map((t) => t.topicId), [topicId]);
        await produce(gw, "s", 2, 1);
        res = await fetch(byId([], id13, 1), 13);
        assertEquals([res.responses.map((t) => t.topicId), carried(res)], [[topicId], [[2, 2, true]]]);
        // The topic deleted: its partitions come back with an error.
        const admin = kafka(gw).admin();
        await admin.connect();
        await admin.deleteTopics({ topics: ["s"] });
        await admin.disconnect();
        res = await fetch(byId([], id13, 2), 13);
        assertEquals(
          res.responses.flatMap((t) => t.partitions.map((p) => [p.partitionIndex, p.errorCode])),
          [[0, ErrorCode.UNKNOWN_TOPIC_ID], [2, ErrorCode.UNKNOWN_TOPIC_ID]],
        );
      } finally {
        c.close();
      }
    }),
});

Deno.test({
  name: "fetch sessions: the cache's slots; 0 slots answers every fetch without a session",
  ...opts,
  fn: async () => {
    await runWithGateway({ args: ["--max-incremental-fetch-session-cache-slots", "1"] }, async (gw) => {
      await createTopic(gw, "t", 1);
      const c = await WireClient.connect(gw.port);
      try {
        const first = await c.call<FetchResponse>(FetchSpec, 12, request("t", [[0, 0]], 0, 0));
        const sid = first.sessionId ?? 0;
        assert(sid > 0);
        // The only slot is taken by a session used just now: a full answer without a session.
        const second = await c.call<FetchResponse>(FetchSpec, 12, request("t", [[0, 0]], 0, 0));
        assertEquals([second.errorCode, second.sessionId, carried(second)], [0, 0, [[0, 0, false]]]);
        const more = await c.call<FetchResponse>(FetchSpec, 12, request("t", [], sid, 1));
        assertEquals([more.errorCode, more.sessionId], [0, sid]);
      } finally {
        c.close();
      }
    });
    await runWithGateway({ args: ["--max-incremental-fetch-session-cache-slots", "0"] }, async (gw) => {
      await createTopic(gw, "t", 1);
      const c = await WireClient.connect(gw.port);
      try {
        const res = await c.call<FetchResponse>(FetchSpec, 12, request("t", [[0, 0]], 0, 0));
        assertEquals([res.errorCode, res.sessionId, carried(res)], [0, 0, [[0, 0, false]]]);
      } finally {
        c.close();
      }
    });
  },
});

Deno.test({
  name: "fetch sessions: an ACL change drops every session; the full fetch that follows is authorized anew",
  ...opts,
  fn: () =>
    runWithGateway({
      args: [
        "--authorizer",
        "acl",
        "--allow-everyone-if-no-acl-found",
        "true",
        "--super-users",
        "User:ANONYMOUS",
      ],
    }, async (gw) => {
      await createTopic(gw, "a", 1);
      const c = await WireClient.connect(gw.port);
      try {
        const open = await c.call<FetchResponse>(FetchSpec, 12, request("a", [[0, 0]], 0, 0));
        const sid = open.sessionId ?? 0;
        assert(sid > 0);
        const created = await c.call<CreateAclsResponse>(CreateAclsSpec, 3, {
          creations: [{
            resourceType: 2, // TOPIC
            resourceName: "other",
            resourcePatternType: 3, // LITERAL
            principal: "User:someone",
            host: "*",
            operation: 3, // READ
            permissionType: 3, // ALLOW
          }],
        });
        assertEquals(created.results.map((r) => r.errorCode), [0]);
        // The store applies the change at once on this gateway (one node).
        let res = await c.call<FetchResponse>(FetchSpec, 12, request("a", [], sid, 1));
        for (let i = 0; i < 50 && res.errorCode === 0; i++) {
          await new Promise((r) => setTimeout(r, 100));
          res = await c.call<FetchResponse>(FetchSpec, 12, request("a", [], sid, 2 + i));
        }
        assertEquals(res.errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
        const again = await c.call<FetchResponse>(FetchSpec, 12, request("a", [[0, 0]], 0, 0));
        assertEquals([again.errorCode, carried(again)], [0, [[0, 0, false]]]);
        assert((again.sessionId ?? 0) > 0 && again.sessionId !== sid);
      } finally {
        c.close();
      }
    }),
});
