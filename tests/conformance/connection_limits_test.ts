// No request may stall the gateway and memory stays bounded per connection (issue 11), against a real gateway
// process: an out-of-range Fetch is answered at once; a long-polling Fetch holds up no other connection and wakes
// on an append; responses a client leaves unread, and large frames sent half-way, cost bounded memory; idle and
// stalled connections are closed; per-address connection limits; protocol errors logged rate-limited.
// Deadlines here only catch hangs: what is asserted is the order of events and the state the gateway reports.
import { assert, assertEquals } from "../unit/assert.ts";
import { type RunningGateway, runWithGateway } from "../helpers/gateway.ts";
import { fetchBody, WireClient } from "../helpers/wire.ts";
import { scrape } from "../helpers/ops.ts";
import { ErrorCode } from "../../src/protocol/errors.ts";
import { type FetchResponse, FetchSpec } from "../../src/protocol/messages/fetch.ts";
import { type ProduceResponse, ProduceSpec } from "../../src/protocol/messages/produce.ts";
import { CreateTopicsSpec } from "../../src/protocol/messages/create_topics.ts";
import { MetadataSpec } from "../../src/protocol/messages/metadata.ts";
import { buildBatchSync } from "../../src/records/batch.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const enc = new TextEncoder();
const MiB = 1024 * 1024;

/** Rejects with `what` when `p` has not settled within `ms` (a hang, not a performance check). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`hung: ${what} (no answer within ${ms} ms)`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function createTopic(c: WireClient, name: string): Promise<void> {
  const r = await c.call<{ topics: { errorCode: number }[] }>(CreateTopicsSpec, 5, {
    topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 5000,
    validateOnly: false,
  });
  assertEquals(r.topics[0].errorCode, 0, `create ${name}`);
}

async function produce(c: WireClient, topic: string, values: Uint8Array[]): Promise<number> {
  const batch = buildBatchSync({
    records: values.map((value, i) => ({ offset: i, timestamp: Date.now(), key: null, value, headers: [] })),
  });
  const r = await c.call<ProduceResponse>(ProduceSpec, 9, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }],
  });
  const p = r.responses[0].partitionResponses[0];
  assertEquals(p.errorCode, 0, "produce");
  return p.baseOffset;
}

/** Resident memory of a process in bytes, as ps reports it. */
async function rss(pid: number): Promise<number> {
  const out = await new Deno.Command("ps", { args: ["-o", "rss=", "-p", String(pid)], stdout: "piped" })
    .output();
  const kb = Number(new TextDecoder().decode(out.stdout).trim());
  assert(out.success && kb > 0, `ps reports the RSS of ${pid}`);
  return kb * 1024;
}

/** Samples the gateway's RSS while `ms` pass and returns the largest value seen. */
async function peakRss(gw: RunningGateway, ms: number): Promise<number> {
  let peak = 0;
  const end = Date.now() + ms;
  while (Date.now() < end) {
    peak = Math.max(peak, await rss(gw.pid));
    await new Promise((r) => setTimeout(r, 100));
  }
  return peak;
}

async function metric(gw: RunningGateway, name: string, match: Record<string, string> = {}): Promise<number> {
  return (await scrape(gw.httpPort!)).sum(name, match);
}

async function until(what: string, cond: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`hung: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface OpenConnection {
  remote: string;
  clientId: string | null;
  inFlight: { api: string; sinceMs: number } | null;
}

Deno.test({
  name:
    "limits: a client that leaves during a long poll is closed at once; a request sent behind a long one " +
    "is answered after it",
  ...opts,
  fn: () =>
    runWithGateway({}, async (gw) => {
      const admin = await WireClient.connect(gw.port, "admin");
      const poller = await WireClient.connect(gw.port, "leaver");
      const piped = await WireClient.connect(gw.port, "piped");
      const open = async () =>
        await (await fetch(`http://127.0.0.1:${gw.httpPort}/api/v1/connections`)).json() as OpenConnection[];
      try {
        await createTopic(admin, "leave");
        await createTopic(admin, "piped");
        // A long poll of ten minutes at the end of an empty partition: the admin API shows it in flight.
        await poller.send(FetchSpec, 11, fetchBody("leave", 0, 0, { maxWaitMs: 600_000, minBytes: 1 }));
        await until("the long poll shows in flight", async () =>
          (await open()).some((c) => c.clientId === "leaver" && c.inFlight?.api === "Fetch"));
        // The client goes away: the gateway closes its side now, not when the ten minutes are over.
        poller.close();
        await until("the gateway closes the connection of the client that left", async () =>
          !(await open()).some((c) =>
            c.clientId === "leaver"
          ));
        assert(
          (await open()).some((c) =>
            c.clientId === "admin"
          ),
          "the other connections stay",
        );

        // Requests of one connection are answered in order: a Metadata sent behind a long poll waits for it, even
        // though the gateway reads it while the poll waits.
        const pollId = await piped.send(
          FetchSpec,
          11,
          fetchBody("piped", 0, 0, { maxWaitMs: 30_000, minBytes: 1 }),
        );
        const metaId = await piped.send(MetadataSpec, 9, { topics: null, allowAutoTopicCreation: false });
        await until(
          "the long poll shows in flight",
          async () => (await open()).some((c) => c.clientId === "piped" && c.inFlight?.api === "Fetch"),
        );
        for (let i = 0; i < 5; i++) {
          await admin.call(MetadataSpec, 9, { topics: null, allowAutoTopicCreation: false });
        }
        assertEquals(
          (await open()).find((c) => c.clientId === "piped")?.inFlight?.api,
          "Fetch",
          "the poll still waits; the Metadata behind it is not handled yet",
        );
        await produce(admin, "piped", [enc.encode("wake")]);
        const r = await within(piped.receive<FetchResponse>(FetchSpec, 11, pollId), 10_000, "the woken poll");
        assertEquals(r.responses[0].partitions[0].highWatermark, 1);
        await within(piped.receive(MetadataSpec, 9, metaId), 10_000, "the Metadata behind the poll");
      } finally {
        admin.close();
        poller.close();
        piped.close();
      }
    }),
});

Deno.test({
  name:
    "limits: Fetch out of range is answered at once with the offsets; a long poll holds up no other connection",
  ...opts,
  fn: () =>
    runWithGateway({}, async (gw) => {
      const admin = await WireClient.connect(gw.port);
      const other = await WireClient.connect(gw.port);
      const poller = await WireClient.connect(gw.port);
      try {
        await createTopic(admin, "oor");
        await createTopic(admin, "quiet");
        await produce(admin, "oor", [enc.encode("a"), enc.encode("b")]);

        // Beyond the high watermark and negative, each with the longest wait a client may ask for: answered now.
        for (const offset of [1000, -5]) {
          for (const version of [4, 11, 12]) {
            const r = await within(
              poller.call<FetchResponse>(
                FetchSpec,
                version,
                fetchBody("oor", 0, offset, { maxWaitMs: 30_000 }),
              ),
              10_000,
              `Fetch v${version} at offset ${offset}`,
            );
            const p = r.responses[0].partitions[0];
            assertEquals(p.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE, `v${version} offset ${offset}`);
            assertEquals(p.highWatermark, 2);
            assertEquals(p.logStartOffset, version >= 5 ? 0 : -1);
          }
        }

        // A long poll at the end of "quiet" (30 s wait) ...
        const pollId = await poller.send(
          FetchSpec,
          11,
          fetchBody("quiet", 0, 0, { maxWaitMs: 30_000, minBytes: 1 }),
        );
        let pollDone = false;
        const poll = poller.receive<FetchResponse>(FetchSpec, 11, pollId).finally(() => pollDone = true);
        // ... while another connection produces elsewhere, reads metadata and fetches: all answered meanwhile.
        for (let i = 0; i < 20; i++) {
          await within(produce(other, "oor", [enc.encode(`x${i}`)]), 10_000, "produce during a long poll");
          await within(
            other.call(MetadataSpec, 9, { topics: null, allowAutoTopicCreation: false }),
            10_000,
            "metadata during a long poll",
          );
          const f = await within(
            other.call<FetchResponse>(FetchSpec, 11, fetchBody("oor", 0, 0)),
            10_000,
            "fetch during a long poll",
          );
          assertEquals(f.responses[0].partitions[0].errorCode, 0);
        }
        assert(!pollDone, "the long poll is still waiting: nothing was appended to its partition");
        // An append to the polled partition ends the wait with the record.
        await produce(other, "quiet", [enc.encode("wake")]);
        const r = await within(poll, 10_000, "long poll after an append");
        const p = r.responses[0].partitions[0];
        assertEquals(p.errorCode, 0);
        assertEquals(p.highWatermark, 1);
        assert((p.records as Uint8Array).length > 0, "the appended record is returned");
      } finally {
        admin.close();
        other.close();
        poller.close();
      }
    }),
});

Deno.test({
  name:
    "limits: a partition named many times in one Fetch is read once; Metadata answers a repeated topic once",
  ...opts,
  fn: () =>
    runWithGateway({}, async (gw) => {
      const c = await WireClient.connect(gw.port);
      try {
        await createTopic(c, "dup");
        await produce(c, "dup", [new Uint8Array(10_000).fill(1)]);
        for (const version of [3, 11]) {
          const body = fetchBody("dup", 0, 0);
          const one = body.topics[0].partitions[0];
          body.topics[0].partitions = Array.from({ length: 200 }, () => ({ ...one }));
          const r = await c.call<FetchResponse>(FetchSpec, version, body);
          const parts = r.responses[0].partitions;
          assertEquals(parts.length, 200, "one answer per requested entry");
          const withRecords = parts.filter((p) => ((p.records as Uint8Array | null)?.length ?? 0) > 0);
          assertEquals(withRecords.length, 1, `v${version}: the records come once`);
          for (const p of parts) {
            assertEquals(p.errorCode, 0);
            assertEquals(p.highWatermark, 1);
          }
        }
        const m = await c.call<{ topics: { name: string | null }[] }>(MetadataSpec, 9, {
          topics: Array.from({ length: 50 }, () => ({ name: "dup", topicId: "0".repeat(32) })),
          allowAutoTopicCreation: false,
        });
        assertEquals(m.topics.map((t) => t.name), ["dup"]);
      } finally {
        c.close();
      }
    }),
});

Deno.test({
  name:
    "limits: responses a client leaves unread cost bounded memory; the idle timeout closes those connections",
  ...opts,
  fn: () =>
    runWithGateway({
      args: ["--max-queued-response-bytes", String(4 * MiB), "--connections-max-idle-ms", "3000"],
    }, async (gw) => {
      const admin = await WireClient.connect(gw.port);
      await createTopic(admin, "big");
      // 45 MiB in 64 KiB records: more than the partition's tail cache (4 MiB), so Fetches from offset 0 read the
      // segment file and every response holds its own copy, up to 4 MiB each.
      const value = new Uint8Array(64 * 1024).fill(7);
      for (let i = 0; i < 48; i++) await produce(admin, "big", Array.from({ length: 15 }, () => value));
      admin.close();
      const before = await rss(gw.pid);

      // 8 connections pipeline 100 Fetches each and never read: unbounded, that is 8 x 100 x 4 MiB = 3.2 GB.
      const readers: WireClient[] = [];
      for (let c = 0; c < 8; c++) {
        const w = await WireClient.connect(gw.port);
        readers.push(w);
        for (let i = 0; i < 100; i++) {
          await w.send(FetchSpec, 11, fetchBody("big", 0, 0, { maxBytes: 4 * MiB }));
        }
      }
      const peak = await peakRss(gw, 2000);
      // Each connection stops reading once 4 MiB are queued: about 8 x (4 + 4) MiB of responses held.
      assert(
        peak - before < 200 * MiB,
        `RSS grew by ${((peak - before) / MiB).toFixed(0)} MiB (from ${(before / MiB).toFixed(0)} MiB)`,
      );
      // Nobody reads: the idle timeout closes all eight and frees what they held.
      for (const w of readers) await within(w.closedByPeer(), 20_000, "idle connection closed");
      assert((await metric(gw, "kgw_connections_idle_closed_total")) >= 8, "idle closes counted");
      // The gateway still serves.
      const c = await WireClient.connect(gw.port);
      const f = await c.call<FetchResponse>(FetchSpec, 11, fetchBody("big", 0, 0, { maxBytes: 1024 }));
      assertEquals(f.responses[0].partitions[0].highWatermark, 48 * 15);
      c.close();
    }),
});

Deno.test({
  name:
    "limits: large frames sent half-way cost only their bytes, are capped together and closed when stalled",
  ...opts,
  fn: () =>
    runWithGateway({
      args: [
        "--max-request-bytes",
        String(90 * MiB),
        "--queued-max-request-bytes",
        String(100 * MiB),
        "--connections-max-idle-ms",
        "3000",
      ],
    }, async (gw) => {
      const before = await rss(gw.pid);
      // 40 connections each declare an 80 MiB request and send 64 KiB of it (3.2 GB if allocated up front).
      const stalled: Deno.Conn[] = [];
      const head = new Uint8Array(4 + 64 * 1024);
      new DataView(head.buffer).setInt32(0, 80 * MiB);
      for (let i = 0; i < 40; i++) {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port: gw.port });
        await conn.write(head);
        stalled.push(conn);
      }
      // Small requests of another client are answered meanwhile: the budget is spent, but they are not charged.
      const c = await WireClient.connect(gw.port);
      await within(createTopic(c, "meanwhile"), 10_000, "CreateTopics while large frames stall");
      await within(produce(c, "meanwhile", [enc.encode("ok")]), 10_000, "Produce while large frames stall");
      const peak = await peakRss(gw, 1500);
      assert(
        peak - before < 150 * MiB,
        `RSS grew by ${((peak - before) / MiB).toFixed(0)} MiB (from ${(before / MiB).toFixed(0)} MiB)`,
      );
      c.close();
      // The stalled senders are closed by the idle timeout, which returns their charges.
      const buf = new Uint8Array(16);
      for (const conn of stalled) {
        const n = await within(conn.read(buf).catch(() => null), 20_000, "stalled connection closed");
        assertEquals(n, null);
        conn.close();
      }
      await until(
        "request memory returned",
        async () => (await metric(gw, "kgw_request_memory_bytes")) === 0,
      );
      const d = await WireClient.connect(gw.port);
      const r = await d.call<FetchResponse>(FetchSpec, 11, fetchBody("meanwhile", 0, 0));
      assertEquals(r.responses[0].partitions[0].highWatermark, 1);
      d.close();
    }),
});

Deno.test({
  name: "limits: a request larger than what is left of the budget waits for room, then is served",
  ...opts,
  fn: () =>
    runWithGateway({
      args: ["--max-request-bytes", String(2 * MiB), "--queued-max-request-bytes", String(3 * MiB)],
    }, async (gw) => {
      const c = await WireClient.connect(gw.port);
      await createTopic(c, "budget");
      // Two connections hold 2 x 1.5 MiB of half-sent frames: the budget (3 MiB) is spent.
      const holders: Deno.Conn[] = [];
      for (let i = 0; i < 2; i++) {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port: gw.port });
        const head = new Uint8Array(4 + 1024);
        new DataView(head.buffer).setInt32(0, 1.5 * MiB);
        await conn.write(head);
        holders.push(conn);
      }
      await until("both large frames charged", async () =>
        (await metric(gw, "kgw_request_memory_bytes")) >= 3 * MiB);
      // A 1 MiB produce must wait ...
      const value = new Uint8Array(1000 * 1024).fill(1);
      const done = produce(c, "budget", [value]);
      let finished = false;
      done.finally(() =>
        finished = true
      ).catch(() => {});
      await until("the produce waits for request memory", async () =>
        (await metric(gw, "kgw_request_memory_waiting")) >= 1);
      assert(!finished, "the produce waits while the budget is spent");
      // ... until a holder goes away and releases its charge.
      holders[0].close();
      assertEquals(await within(done, 10_000, "produce after room was released"), 0);
      holders[1].close();
      c.close();
    }),
});

Deno.test({
  name: "limits: an idle connection is closed, a long poll longer than the idle timeout is not",
  ...opts,
  fn: () =>
    runWithGateway({ args: ["--connections-max-idle-ms", "1000"] }, async (gw) => {
      const c = await WireClient.connect(gw.port);
      await createTopic(c, "idle");
      const idle = await WireClient.connect(gw.port);
      // A 3 s long poll on a 1 s idle timeout: answered (empty) at its deadline, connection still open.
      const r = await within(
        c.call<FetchResponse>(FetchSpec, 11, fetchBody("idle", 0, 0, { maxWaitMs: 3000, minBytes: 1 })),
        20_000,
        "long poll",
      );
      assertEquals(r.responses[0].partitions[0].errorCode, 0);
      assertEquals(await within(idle.closedByPeer(), 20_000, "idle connection closed"), true);
      // The long-polling client was busy, not idle: it can go on.
      await produce(c, "idle", [enc.encode("still here")]);
      c.close();
      assert(gw.logs().includes("closing connection idle for"), "the idle close is logged");
    }),
});

Deno.test({
  name: "limits: max-connections-per-ip refuses the extra connection and accepts again after one closes",
  ...opts,
  fn: () =>
    runWithGateway({ args: ["--max-connections-per-ip", "3"] }, async (gw) => {
      const open: WireClient[] = [];
      for (let i = 0; i < 3; i++) {
        const c = await WireClient.connect(gw.port);
        await c.call(MetadataSpec, 9, { topics: [], allowAutoTopicCreation: false });
        open.push(c);
      }
      const extra = await WireClient.connect(gw.port);
      assertEquals(await within(extra.closedByPeer(), 10_000, "extra connection refused"), true);
      extra.close();
      assert(/refusing connection from 127\.0\.0\.1: max-connections-per-ip 3 reached/.test(gw.logs()));
      open.pop()!.close();
      await until("a fourth connection is served again", async () => {
        const c = await WireClient.connect(gw.port);
        try {
          await c.call(MetadataSpec, 9, { topics: [], allowAutoTopicCreation: false });
          open.push(c);
          return true;
        } catch {
          c.close();
          return false;
        }
      });
      for (const c of open) c.close();
    }),
});

Deno.test({
  name: "limits: malformed requests from many connections are counted each and logged rate-limited",
  ...opts,
  fn: () =>
    runWithGateway({}, async (gw) => {
      const garbage = new Uint8Array([0, 0, 0, 8, 0, 3, 0, 200, 0, 0, 0, 1]); // Metadata v200
      for (let i = 0; i < 60; i++) {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port: gw.port });
        await conn.write(garbage);
        const n = await conn.read(new Uint8Array(8)).catch(() => null);
        assertEquals(n, null, "the connection is closed");
        conn.close();
      }
      await until(
        "all 60 counted",
        async () => (await metric(gw, "kgw_protocol_errors_total", { reason: "unsupported_version" })) === 60,
      );
      const lines = gw.logs().split("\n").filter((l) => l.includes("is not supported (supported"));
      assert(lines.length >= 1 && lines.length <= 2, `${lines.length} log lines for 60 errors`);
    }),
});
