// Client quotas: Kafka's windowed rate and throttle time, the order of precedence of quota entities, the quota
// manager's per-request throttling, and DescribeClientQuotas/AlterClientQuotas validation and matching.
import { assert, assertEquals } from "./assert.ts";
import { throttleTimeMs, TokenBucket, WindowedRate } from "../../src/quotas/rate.ts";
import { ConnectionLimits, parseOverrides } from "../../src/quotas/connections.ts";
import { ClientQuotaManager, matchQuota } from "../../src/quotas/manager.ts";
import { QuotaStore, QuotaTable } from "../../src/quotas/store.ts";
import type { QuotaEntry } from "../../src/quotas/model.ts";
import {
  alterClientQuotasHandler,
  describeClientQuotasHandler,
  filterMatches,
  parseFilter,
} from "../../src/quotas/handlers.ts";
import { Quotas } from "../../src/quotas/service.ts";
import type { RequestContext } from "../../src/request/context.ts";
import { ApiKey } from "../../src/protocol/api_keys.ts";
import { ErrorCode } from "../../src/protocol/errors.ts";
import { MemoryDocuments } from "../helpers/sasl.ts";
import { logger } from "../../src/log.ts";

const CFG = { samples: 11, windowMs: 1000 };

Deno.test("windowed rate: the first burst is measured over samples-1 windows, as Kafka's Rate", () => {
  const r = new WindowedRate(CFG);
  r.record(10_000, 0);
  // 10 s minimum window: 10 000 bytes → 1 000 B/s
  assertEquals(r.windowSize(0), 10_000);
  assertEquals(r.perSecond(0), 1000);
  // 5.5 s later: 5 full windows elapsed, 5 missing ones added → 10.5 s
  assertEquals(r.windowSize(5500), 10_500);
  r.record(11_000, 5500);
  assertEquals(r.perSecond(5500), 21_000 / 10.5);
});

Deno.test("windowed rate: windows older than samples × window expire", () => {
  const r = new WindowedRate(CFG);
  r.record(50_000, 0);
  r.record(1000, 10_500);
  assert(r.perSecond(10_500) > 4000, "the burst still counts after 10.5 s");
  // 11 s after the burst its window is reset: only the later 1000 bytes remain, over 0.5 s + 10 windows
  assertEquals(r.perSecond(11_000), 1000 / 10.5);
  // negative values un-record (Kafka's unrecordQuotaSensor)
  r.record(-1000, 11_000);
  assertEquals(r.perSecond(11_000), 0);
});

Deno.test("throttle time: X = (O - T) / T × W, 0 within the quota", () => {
  assertEquals(throttleTimeMs(1000, 1000, 10_000), 0);
  assertEquals(throttleTimeMs(1500, 1000, 10_000), 5000);
  assertEquals(throttleTimeMs(3000, 1000, 11_000), 22_000);
  // Observed rate O over W, then X of silence: the rate over W + X is the quota
  const o = 2400, t = 1000, w = 10_000;
  const x = throttleTimeMs(o, t, w);
  assertEquals(Math.round(o * w / (w + x)), t);
});

function table(entries: QuotaEntry[]): QuotaTable {
  return new QuotaTable(entries);
}

Deno.test("precedence: Kafka's eight levels, most specific first, per quota type", () => {
  const P = "producer_byte_rate";
  const levels: QuotaEntry[] = [
    { entity: { user: "alice", clientId: "app" }, values: { [P]: 1 } },
    { entity: { user: "alice", clientId: null }, values: { [P]: 2 } },
    { entity: { user: "alice" }, values: { [P]: 3 } },
    { entity: { user: null, clientId: "app" }, values: { [P]: 4 } },
    { entity: { user: null, clientId: null }, values: { [P]: 5 } },
    { entity: { user: null }, values: { [P]: 6 } },
    { entity: { clientId: "app" }, values: { [P]: 7 } },
    { entity: { clientId: null }, values: { [P]: 8 } },
  ];
  // Removing the most specific level each time reveals the next one.
  for (let i = 0; i < levels.length; i++) {
    const m = matchQuota(table(levels.slice(i)), P, "alice", "app");
    assertEquals(m?.quota, i + 1, `level ${i + 1}`);
  }
  assertEquals(matchQuota(table([]), P, "alice", "app"), null);
  // Another user and client id fall to the defaults; a quota of another type does not match.
  assertEquals(matchQuota(table(levels), P, "bob", "other")?.quota, 5);
  assertEquals(matchQuota(table(levels), "consumer_byte_rate", "alice", "app"), null);
  // Whose rate: user-only levels share one rate per user, client-only levels one per client id
  const u = matchQuota(table(levels.slice(2)), P, "alice", "app")!;
  assertEquals([u.sensorUser, u.sensorClient, u.entity], ["alice", "", "/config/users/alice"]);
  const c = matchQuota(table(levels.slice(7)), P, "alice", "app")!;
  assertEquals([c.sensorUser, c.sensorClient, c.entity], ["", "app", "/config/clients/<default>"]);
  const d = matchQuota(table(levels.slice(4)), P, "alice", "app")!;
  assertEquals([d.sensorUser, d.sensorClient], ["alice", "app"]);
});

function ctx(apiKey: number, clientId: string, user = "ANONYMOUS", quotas?: Quotas): RequestContext {
  return {
    broker: { quotas } as unknown as RequestContext["broker"],
    header: { apiKey, apiVersion: 9, correlationId: 1, clientId },
    connectionId: 1,
    clientHost: "/127.0.0.1",
    log: logger("test"),
    principal: { type: "User", name: user },
    listener: { name: "PLAINTEXT", securityProtocol: "PLAINTEXT", host: "127.0.0.1", port: 9092 },
  };
}

Deno.test("manager: produce bytes of a client over its quota are throttled, another client id is not", () => {
  let now = 0;
  const m = new ClientQuotaManager(
    table([{ entity: { clientId: "slow" }, values: { producer_byte_rate: 1000 } }]),
    { rate: CFG, now: () => now },
  );
  // 10 s × 1000 B/s may go at once (the first window), the next byte is over
  assertEquals(m.throttleMs(ctx(ApiKey.Produce, "slow"), 10_000, 50, 0, "produce"), 0);
  const ms = m.throttleMs(ctx(ApiKey.Produce, "slow"), 5000, 50, 0, "produce");
  assertEquals(ms, 5000); // 15 000 B over 10 s = 1500 B/s: (1500 - 1000) / 1000 × 10 s
  assertEquals(m.throttleMs(ctx(ApiKey.Produce, "fast"), 1_000_000, 50, 0, "produce"), 0);
  // Fetch bytes count against consumer_byte_rate only
  assertEquals(m.throttleMs(ctx(ApiKey.Fetch, "slow"), 100, 1_000_000, 0, "fetch"), 0);
  now = 12_000; // the burst's window expired
  assertEquals(m.throttleMs(ctx(ApiKey.Produce, "slow"), 1000, 50, 0, "produce"), 0);
  const s = [...m.sensors.values()][0];
  assertEquals([s.throttled, s.throttleMsTotal, s.entity], [1, 5000, "/config/clients/slow"]);
});

Deno.test("manager: consumer bytes and request_percentage (capped at one window)", () => {
  const now = 0;
  const m = new ClientQuotaManager(
    table([
      { entity: { user: "alice" }, values: { consumer_byte_rate: 100, request_percentage: 10 } },
    ]),
    { rate: CFG, now: () => now },
  );
  // 3000 B over 10 s = 300 B/s: (300 - 100) / 100 × 10 s
  assertEquals(m.throttleMs(ctx(ApiKey.Fetch, "a", "alice"), 50, 3000, 0, "fetch"), 20_000);
  // the user's quota is shared by its client ids
  assertEquals(m.throttleMs(ctx(ApiKey.Fetch, "b", "alice"), 50, 100, 0, "fetch"), 21_000);
  assertEquals(m.throttleMs(ctx(ApiKey.Fetch, "a", "bob"), 50, 1_000_000, 0, "fetch"), 0);
  // 10 % of one thread over 10 s is 1 s of loop time; 2 s → throttled, at most one window (1 s)
  assertEquals(m.throttleMs(ctx(ApiKey.Metadata, "a", "alice"), 50, 50, 2000, "request"), 1000);
});

Deno.test("manager: no quotas → nothing recorded; a changed table takes effect at once", () => {
  const m = new ClientQuotaManager(table([]), { rate: CFG, now: () => 0 });
  assertEquals(m.throttleMs(ctx(ApiKey.Produce, "x"), 1e9, 0, 1e6, "produce"), 0);
  assertEquals(m.sensors.size, 0);
  m.setTable(table([{ entity: { clientId: null }, values: { producer_byte_rate: 1 } }]));
  assert(m.throttleMs(ctx(ApiKey.Produce, "x"), 1000, 0, 0, "produce") > 0);
});

Deno.test("describe filters: parse errors and strict/non-strict matching", () => {
  assertEquals(parseFilter([{ entityType: "group", matchType: 0, match: "x" }]), "unknown entity type group");
  assert(typeof parseFilter([{ entityType: "user", matchType: 0, match: null }]) === "string");
  assert(typeof parseFilter([{ entityType: "user", matchType: 1, match: "x" }]) === "string");
  assert(typeof parseFilter([{ entityType: "user", matchType: 7, match: null }]) === "string");
  assert(
    typeof parseFilter([
      { entityType: "user", matchType: 2, match: null },
      { entityType: "user", matchType: 1, match: null },
    ]) === "string",
  );
  assert(
    typeof parseFilter([
      { entityType: "ip", matchType: 2, match: null },
      { entityType: "user", matchType: 2, match: null },
    ]) === "string",
  );
  const f = parseFilter([{ entityType: "user", matchType: 0, match: "alice" }]);
  assert(typeof f !== "string");
  assert(filterMatches(f, true, { user: "alice" }));
  assert(!filterMatches(f, true, { user: "alice", clientId: "x" }));
  assert(filterMatches(f, false, { user: "alice", clientId: "x" }));
  assert(!filterMatches(f, false, { user: null }));
  const d = parseFilter([{ entityType: "client-id", matchType: 1, match: null }]);
  assert(typeof d !== "string");
  assert(filterMatches(d, false, { user: "a", clientId: null }));
  assert(!filterMatches(d, false, { clientId: "x" }));
  const any = parseFilter([{ entityType: "client-id", matchType: 2, match: null }]);
  assert(typeof any !== "string");
  assert(filterMatches(any, true, { clientId: null }) && filterMatches(any, true, { clientId: "x" }));
});

async function service(docs = new MemoryDocuments()): Promise<Quotas> {
  const store = new QuotaStore(docs, logger("test"), 0);
  await store.load();
  const manager = new ClientQuotaManager(store.table);
  store.onChange = () => manager.setTable(store.table);
  return new Quotas(store, manager);
}

type Entity = { entityType: string; entityName: string | null }[];

async function alter(
  q: Quotas,
  entries: { entity: Entity; ops: { key: string; value: number; remove: boolean }[] }[],
  validateOnly = false,
) {
  const res = await alterClientQuotasHandler(ctx(ApiKey.AlterClientQuotas, "admin", "ANONYMOUS", q), {
    entries,
    validateOnly,
  });
  return res!.entries.map((e) => [e.errorCode, e.errorMessage]);
}

Deno.test("AlterClientQuotas: Kafka's validation, validate_only, set and remove; Describe reads it back", async () => {
  const docs = new MemoryDocuments();
  const q = await service(docs);
  const set = (key: string, value: number) => ({ key, value, remove: false });
  const bad = await alter(q, [
    { entity: [{ entityType: "group", entityName: "g" }], ops: [set("producer_byte_rate", 1)] },
    { entity: [{ entityType: "user", entityName: "a" }], ops: [set("no_such_key", 1)] },
    {
      entity: [{ entityType: "ip", entityName: "10.0.0.1" }, { entityType: "user", entityName: "a" }],
      ops: [set("connection_creation_rate", 1)],
    },
    { entity: [{ entityType: "ip", entityName: "10.0.0.1" }], ops: [set("producer_byte_rate", 1)] },
    { entity: [{ entityType: "user", entityName: "a" }], ops: [set("connection_creation_rate", 1)] },
    { entity: [{ entityType: "ip", entityName: "not-an-ip" }], ops: [set("connection_creation_rate", 1)] },
    { entity: [{ entityType: "user", entityName: "a" }], ops: [set("producer_byte_rate", -5)] },
    { entity: [], ops: [set("producer_byte_rate", 5)] },
    {
      entity: [{ entityType: "user", entityName: "a" }, { entityType: "user", entityName: "b" }],
      ops: [set("producer_byte_rate", 5)],
    },
  ]);
  for (const [code, msg] of bad) {
    assertEquals(code, ErrorCode.INVALID_REQUEST, String(msg));
    assert(typeof msg === "string" && msg.length > 0);
  }
  assertEquals(docs.puts, 0, "nothing written for refused entries");
  const good = [
    {
      entity: [{ entityType: "user", entityName: "alice" }, { entityType: "client-id", entityName: null }],
      ops: [set("producer_byte_rate", 1024), set("request_percentage", 12.5)],
    },
    { entity: [{ entityType: "client-id", entityName: null }], ops: [set("consumer_byte_rate", 2048)] },
    { entity: [{ entityType: "ip", entityName: null }], ops: [set("connection_creation_rate", 10)] },
  ];
  assertEquals(await alter(q, good, true), [[0, null], [0, null], [0, null]]);
  assertEquals(docs.puts, 0, "validate_only writes nothing");
  assertEquals(await alter(q, good), [[0, null], [0, null], [0, null]]);
  assertEquals(docs.puts, 1, "one write for the whole request");
  const describe = async (
    components: { entityType: string; matchType: number; match: string | null }[],
    strict: boolean,
  ) => {
    const r = await describeClientQuotasHandler(ctx(ApiKey.DescribeClientQuotas, "admin", "ANONYMOUS", q), {
      components,
      strict,
    });
    return r!;
  };
  const all = await describe([], false);
  assertEquals(all.errorCode, 0);
  assertEquals(all.entries!.length, 3);
  const alice = await describe([{ entityType: "user", matchType: 0, match: "alice" }], false);
  assertEquals(alice.entries, [{
    entity: [{ entityType: "user", entityName: "alice" }, { entityType: "client-id", entityName: null }],
    values: [{ key: "producer_byte_rate", value: 1024 }, { key: "request_percentage", value: 12.5 }],
  }]);
  assertEquals((await describe([{ entityType: "user", matchType: 0, match: "alice" }], true)).entries, []);
  const defaults = await describe([{ entityType: "client-id", matchType: 1, match: null }], true);
  assertEquals(defaults.entries!.map((e) => e.values[0].key), ["consumer_byte_rate"]);
  const badFilter = await describe([{ entityType: "ip", matchType: 2, match: null }, {
    entityType: "client-id",
    matchType: 2,
    match: null,
  }], false);
  assertEquals([badFilter.errorCode, badFilter.entries], [ErrorCode.INVALID_REQUEST, null]);
  // The manager enforces what was stored; removing the last value drops the entity
  assert(q.manager.throttleMs(ctx(ApiKey.Fetch, "any", "bob"), 0, 1e6, 0, "fetch") > 0);
  assertEquals(
    await alter(q, [{
      entity: [{ entityType: "client-id", entityName: null }],
      ops: [{ key: "consumer_byte_rate", value: 0, remove: true }],
    }]),
    [[0, null]],
  );
  assertEquals((await describe([], false)).entries!.length, 2);
  assertEquals(q.manager.throttleMs(ctx(ApiKey.Fetch, "any", "carol"), 0, 1e9, 0, "fetch"), 0);
  // Another store on the same documents (a restart, another gateway) reads the same quotas
  const again = await service(docs);
  assertEquals(again.store.table.entries.length, 2);
});

Deno.test("token bucket (controller_mutation_rate): starts full, may go negative, refills at the quota", () => {
  const b = new TokenBucket(2, CFG, 0); // 2/s, (11 - 1) × 1 s → 20 tokens
  assertEquals(b.measure(0), 20);
  b.record(25, 0);
  assertEquals(b.measure(0), -5);
  assertEquals(b.throttleMs(0), 2500);
  assertEquals(b.measure(2500), 0);
  assertEquals(b.measure(100_000), 20, "never above the burst");
});

Deno.test("connection limits: per-ip overrides, max-connections, connection_creation_rate", () => {
  assertEquals([...parseOverrides(" 10.0.0.1:5, localhost:2,[::2]:1 ")], [
    ["10.0.0.1", 5],
    ["127.0.0.1", 2],
    ["::1", 2],
    ["::2", 1],
  ]);
  for (const bad of ["10.0.0.1", "host:x", ":3", "h:-1"]) {
    let threw = false;
    try {
      parseOverrides(bad);
    } catch {
      threw = true;
    }
    assert(threw, `"${bad}" refused`);
  }
  let now = 0;
  let quotas = table([]);
  const lines: string[] = [];
  const log = { ...logger("test"), warn: (m: string) => lines.push(m) } as unknown as ReturnType<
    typeof logger
  >;
  const l = new ConnectionLimits({
    maxConnections: 10,
    maxConnectionsPerIp: 3,
    overrides: parseOverrides("10.0.0.9:1"),
    quotas: () => quotas,
    rate: CFG,
    log,
    now: () => now,
  });
  assert(l.admit("10.0.0.1", 0, 2));
  assert(!l.admit("10.0.0.1", 0, 3), "the 4th from one address");
  assert(!l.admit("10.0.0.9", 0, 1), "the override");
  assert(!l.admit("10.0.0.2", 10, 0), "max-connections");
  assertEquals(lines.length, 3, "each address and reason logged once");
  assert(!l.admit("10.0.0.1", 0, 3));
  assertEquals(lines.length, 3, "a repeat within 10 s is not logged again");
  assertEquals(l.refused.get("max-connections-per-ip"), 3);
  quotas = table([{ entity: { ip: null }, values: { connection_creation_rate: 1 } }]);
  let accepted = 0;
  for (let i = 0; i < 15; i++) if (l.admit("10.0.0.3", 0, 0)) accepted++;
  assertEquals(accepted, 10, "1/s over (11 - 1) windows");
  now = 1000; // still throttled: refused without being counted against the rate
  assert(!l.admit("10.0.0.3", 0, 0));
  assert(l.admit("10.0.0.4", 0, 0), "another address has its own rate");
});

Deno.test("quota store: another gateway's change is picked up by polling", async () => {
  const docs = new MemoryDocuments();
  const a = new QuotaStore(docs, logger("test"), 0);
  const b = new QuotaStore(docs, logger("test"), 20);
  await a.load();
  await b.load();
  let changed = 0;
  b.onChange = () => changed++;
  b.start();
  try {
    await a.update((m) => m.set("k", { entity: { clientId: "x" }, values: { producer_byte_rate: 5 } }));
    const deadline = Date.now() + 2000;
    while (b.table.value({ clientId: "x" }, "producer_byte_rate") === undefined && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assertEquals(b.table.value({ clientId: "x" }, "producer_byte_rate"), 5);
    assertEquals(changed, 1);
  } finally {
    b.stop();
  }
});
