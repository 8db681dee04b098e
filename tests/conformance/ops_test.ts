// Operations endpoints against a real gateway: /metrics scraped while KafkaJS produces and consumes in a group
// (counters, histograms and lag move as expected), the JSON admin API agrees with what the clients did, the
// Grafana dashboard only uses metrics the gateway exports, and /readyz flips when storage goes away.
import { assert, assertEquals } from "../unit/assert.ts";
import { startGateway } from "../helpers/gateway.ts";
import { Kafka, logLevel } from "../helpers/kafkajs.ts";
import { type ApiGroup, getJson, scrape, waitFor, waitForLags } from "../helpers/ops.ts";
import { loadConfig } from "../../src/configs/options.ts";
import { Gateway } from "../../src/gateway.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const GATEWAY_ARGS = ["--group-initial-rebalance-delay-ms", "0", "--group-min-session-timeout-ms", "1000"];
const CONSUMER = {
  sessionTimeout: 6000,
  rebalanceTimeout: 8000,
  heartbeatInterval: 300,
  maxWaitTimeInMs: 100,
};
const GRAFANA = new URL("../../ops/grafana/kafka-gateway.json", import.meta.url).pathname;

Deno.test({
  name:
    "ops: /metrics and the JSON API follow KafkaJS produce, group consume, lag; Grafana uses real metrics",
  ...opts,
  fn: async () => {
    const gw = await startGateway({ args: GATEWAY_ARGS });
    const http = gw.httpPort!;
    const topic = "ops-orders";
    const group = "ops-group";
    const kafka = new Kafka({
      clientId: "ops-producer",
      brokers: [gw.bootstrap],
      logLevel: logLevel.NOTHING,
      retry: { retries: 5 },
    });
    const consumerKafka = new Kafka({
      clientId: "ops-consumer",
      brokers: [gw.bootstrap],
      logLevel: logLevel.NOTHING,
      retry: { retries: 5 },
    });
    const admin = kafka.admin();
    const producer = kafka.producer();
    const consumer = consumerKafka.consumer({ groupId: group, ...CONSUMER });
    try {
      assertEquals(await fetch(`http://127.0.0.1:${http}/healthz`).then((r) => r.status), 200);
      assertEquals((await getJson<{ ready: boolean }>(http, "/readyz")).body.ready, true);
      const s0 = await scrape(http);
      assertEquals(s0.get("kgw_ready"), 1);
      // The coordinators serve __consumer_offsets partitions through the runtime (solo: one whole shard).
      for (const c of ["group", "transaction"]) {
        const active = s0.get(`kgw_coordinator_partitions{coordinator="${c}",state="active"}`) ?? 0;
        assert(active >= 1, `${c} coordinator serves partitions here: ${active}`);
        assert(
          (s0.get(`kgw_coordinator_loads_total{coordinator="${c}"}`) ?? 0) >= active,
          `${c} loads counted`,
        );
      }
      assertEquals(s0.get(`kgw_topic_records_in_total{topic="${topic}"}`), 0);

      await admin.connect();
      assert(await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] }), "topic created");
      // A second create answers TOPIC_ALREADY_EXISTS: counted by error name.
      assert(!(await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] })), "already exists");

      // 10 Produce requests, each with one record for each of the 3 partitions.
      await producer.connect();
      const producedBefore = s0.sum("kgw_requests_total", { api: "Produce" });
      for (let i = 0; i < 10; i++) {
        await producer.send({
          topic,
          acks: -1,
          messages: [0, 1, 2].map((p) => ({ partition: p, key: `k${p}`, value: `value-${i}-${p}` })),
        });
      }
      const s1 = await scrape(http);
      assertEquals(s1.get(`kgw_topic_records_in_total{topic="${topic}"}`), 30);
      assertEquals(s1.get(`kgw_topic_batches_in_total{topic="${topic}"}`), 30);
      const bytesIn = s1.get(`kgw_topic_bytes_in_total{topic="${topic}"}`);
      // The embedded log stores the batches as sent: bytes in == bytes stored.
      assertEquals(bytesIn, s1.sum("kgw_partition_size_bytes", { topic }));
      for (const p of [0, 1, 2]) {
        assertEquals(s1.get(`kgw_partition_high_watermark{topic="${topic}",partition="${p}"}`), 10);
      }
      const produceRequests = s1.sum("kgw_requests_total", { api: "Produce" }) - producedBefore;
      assertEquals(produceRequests, 10);
      assertEquals(
        s1.sum("kgw_request_duration_seconds_count", { api: "Produce" }),
        s1.sum("kgw_requests_total", { api: "Produce" }),
      );
      assert(s1.sum("kgw_request_duration_seconds_sum", { api: "Produce" }) > 0, "latency sum");
      // Buckets are cumulative and end at the count.
      const version = [...s1.samples.keys()].find((k) => k.startsWith('kgw_requests_total{api="Produce"'))!
        .match(/version="(\d+)"/)![1];
      const buckets = [...s1.samples.entries()]
        .filter(([k]) =>
          k.startsWith(`kgw_request_duration_seconds_bucket{api="Produce",version="${version}"`)
        )
        .map(([, v]) => v);
      assert(buckets.length > 5, "histogram buckets exposed");
      for (let i = 1; i < buckets.length; i++) assert(buckets[i] >= buckets[i - 1], "cumulative buckets");
      assertEquals(
        buckets.at(-1),
        s1.get(`kgw_request_duration_seconds_count{api="Produce",version="${version}"}`),
      );
      assertEquals(s1.get("kgw_produce_batch_records_count"), 30);
      assertEquals(s1.get("kgw_produce_batch_records_sum"), 30);
      assertEquals(s1.get('kgw_produce_batch_records_bucket{le="1"}'), 30);
      assertEquals(s1.get("kgw_produce_batch_size_bytes_sum"), bytesIn);
      assertEquals(s1.get('kgw_request_errors_total{api="CreateTopics",error="TOPIC_ALREADY_EXISTS"}'), 1);
      assertEquals(s1.types.get("kgw_request_duration_seconds"), "histogram");
      assertEquals(s1.types.get("kgw_requests_total"), "counter");

      // Consume everything in a group; KafkaJS commits as it goes.
      let memberId = "";
      consumer.on(consumer.events.GROUP_JOIN, (e: { payload: { memberId: string } }) => {
        memberId = e.payload.memberId;
      });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      let seen = 0;
      await consumer.run({ eachMessage: () => Promise.resolve(void seen++) });
      const settled = await waitForLags(http, group, topic, [0, 0, 0]);
      assertEquals(seen, 30);
      assertEquals(settled.partitions.map((p) => p.committedOffset), [10, 10, 10]);

      const s2 = await scrape(http);
      assertEquals(s2.get(`kgw_topic_records_out_total{topic="${topic}"}`), 30);
      assert(s2.get(`kgw_topic_bytes_out_total{topic="${topic}"}`) >= bytesIn, "bytes out");
      assert(s2.get("kgw_fetch_batch_size_bytes_count") >= 1, "fetch batch sizes observed");
      for (const p of [0, 1, 2]) {
        const l = `{group="${group}",topic="${topic}",partition="${p}"}`;
        assertEquals(s2.get(`kgw_consumer_group_lag${l}`), 0);
        assertEquals(s2.get(`kgw_consumer_group_committed_offset${l}`), 10);
      }
      assertEquals(s2.get('kgw_groups{state="Stable"}'), 1);
      assertEquals(s2.get(`kgw_group_members{group="${group}"}`), 1);
      assert(s2.get(`kgw_group_rebalances_total{group="${group}"}`) >= 1, "rebalance counted");
      assert(s2.get("kgw_group_rebalance_duration_seconds_count") >= 1, "rebalance duration observed");
      assert(s2.sum("kgw_requests_total", { api: "JoinGroup" }) >= 1, "JoinGroup counted");
      assert(s2.sum("kgw_requests_total", { api: "OffsetCommit" }) >= 1, "OffsetCommit counted");
      assert(s2.get("kgw_connections_active") >= 3, "admin, producer, consumer connections");
      assert(s2.get("kgw_connections_accepted_total") >= s2.get("kgw_connections_active"), "accepted");
      assert(s2.get("process_resident_memory_bytes") > 10e6, "RSS");
      assert(s2.get("kgw_event_loop_delay_seconds_count") > 0, "event-loop delay sampled");
      assert(s2.get("kgw_network_received_bytes_total") > bytesIn, "network bytes in");

      // Pause the consumer (it stays in the group) and produce 5 more to partition 1: lag 5 there.
      consumer.pause([{ topic }]);
      await producer.send({
        topic,
        acks: -1,
        messages: Array.from({ length: 5 }, (_, i) => ({ partition: 1, value: `late-${i}` })),
      });
      const lagged = await waitForLags(http, group, topic, [0, 5, 0]);
      const s3 = await scrape(http);
      assertEquals(s3.get(`kgw_consumer_group_lag{group="${group}",topic="${topic}",partition="1"}`), 5);
      assertEquals(s3.get(`kgw_consumer_group_lag{group="${group}",topic="${topic}",partition="0"}`), 0);
      assertEquals(s3.get(`kgw_partition_high_watermark{topic="${topic}",partition="1"}`), 15);
      assertEquals(s3.get(`kgw_topic_records_in_total{topic="${topic}"}`), 35);

      // The JSON API agrees with the clients.
      assertEquals(lagged.state, "Stable");
      assertEquals(lagged.protocolType, "consumer");
      assertEquals(lagged.protocol, "RoundRobinAssigner"); // KafkaJS's default assignor
      assertEquals(lagged.totalLag, 5);
      assertEquals(lagged.members.length, 1);
      const m = lagged.members[0];
      assertEquals(m.memberId, memberId);
      assertEquals(m.clientId, "ops-consumer");
      assertEquals(m.clientHost, "/127.0.0.1");
      assertEquals(m.subscription?.topics, [topic]);
      assertEquals(m.assignment, [{ topic, partitions: [0, 1, 2] }]);
      assert(
        lagged.partitions.every((p) => p.memberId === memberId && p.clientId === "ops-consumer"),
        "owners",
      );
      assertEquals(lagged.partitions.map((p) => p.highWatermark), [10, 15, 10]);

      const t = await getJson<
        {
          partitions: { highWatermark: number; sizeBytes: number }[];
          throughput: { recordsIn: number; recordsOut: number };
        }
      >(
        http,
        `/api/v1/topics/${topic}`,
      );
      assertEquals(t.status, 200);
      assertEquals(t.body.partitions.map((p) => p.highWatermark), [10, 15, 10]);
      assert(t.body.partitions.every((p) => p.sizeBytes > 0), "sizes");
      assertEquals(t.body.throughput.recordsIn, 35);
      // A long poll in flight when the consumer paused may have carried the 5 late records (then dropped).
      assert([30, 35].includes(t.body.throughput.recordsOut), `records out ${t.body.throughput.recordsOut}`);
      const conns = (await getJson<{ clientId: string | null; remote: string; requests: number }[]>(
        http,
        "/api/v1/connections",
      )).body;
      assert(conns.some((c) => c.clientId === "ops-consumer" && c.requests > 0), JSON.stringify(conns));
      assert(conns.some((c) => c.clientId === "ops-producer"), "producer connection listed");
      assert(conns.every((c) => c.remote.startsWith("127.0.0.1:")), "remote addresses");
      const brokers =
        (await getJson<{ nodeId: number; host: string; port: number }[]>(http, "/api/v1/brokers")).body;
      assertEquals(brokers.map((b) => [b.nodeId, b.host, b.port]), [[1, "127.0.0.1", gw.port]]);
      const cfg = (await getJson<Record<string, unknown>>(http, "/api/v1/config")).body;
      assertEquals(cfg["listen"], "127.0.0.1:0");
      assertEquals(cfg["data-dir"], gw.dataDir);
      assertEquals(cfg["group-initial-rebalance-delay-ms"], 0);
      const groups = (await getJson<ApiGroup[]>(http, "/api/v1/groups")).body;
      assertEquals(groups.map((g) => g.groupId), [group]);

      // The Grafana dashboard only queries families this scrape declares.
      const grafana = JSON.parse(await Deno.readTextFile(GRAFANA));
      const exprs: string[] = [];
      const walk = (v: unknown) => {
        if (Array.isArray(v)) v.forEach(walk);
        else if (v && typeof v === "object") {
          for (const [k, x] of Object.entries(v)) {
            if ((k === "expr" || k === "query") && typeof x === "string") exprs.push(x);
            else walk(x);
          }
        }
      };
      walk(grafana);
      assert(exprs.length >= 15, `grafana panels: ${exprs.length}`);
      const families = new Set(s3.types.keys());
      for (const e of exprs) {
        for (const name of e.match(/\b(kgw_[a-z_]+|process_[a-z_]+)/g) ?? []) {
          const base = name.replace(/_(bucket|sum|count)$/, "");
          assert(
            families.has(name) || families.has(base),
            `grafana uses ${name}, which /metrics does not export`,
          );
        }
      }
    } catch (e) {
      console.error(gw.logs().split("\n").slice(-40).join("\n"));
      throw e;
    } finally {
      await consumer.disconnect().catch(() => {});
      await producer.disconnect().catch(() => {});
      await admin.disconnect().catch(() => {});
      await gw.stop();
    }
  },
});

Deno.test({
  name: "ops: /readyz flips to 503 when storage closes; /healthz stays up; --http-listen off binds nothing",
  ...opts,
  fn: async () => {
    const dataDir = await Deno.makeTempDir({ prefix: "kgw-ops-" });
    const { config } = loadConfig({
      argv: ["--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0", "--data-dir", dataDir],
      env: () => undefined,
      readFile: () => undefined,
    });
    const gw = await Gateway.start(config);
    const port = gw.ops!.address!.port;
    const ready = async () => {
      const r = await fetch(`http://127.0.0.1:${port}/readyz`);
      return { status: r.status, body: await r.json() };
    };
    try {
      assertEquals((await ready()).status, 200);
      await gw.storage.close(); // the backend is gone
      const down = await ready();
      assertEquals(down.status, 503);
      const storage = down.body.checks.find((c: { name: string }) => c.name === "storage");
      assertEquals(storage.ok, false);
      assert(String(storage.detail).includes("closed"), storage.detail);
      assertEquals(await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status), 200);
      const s = await scrape(port);
      assertEquals(s.get("kgw_ready"), 0);
    } finally {
      await gw.stop().catch(() => {});
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
    // Stopped: the HTTP listener is closed too.
    const refused = await fetch(`http://127.0.0.1:${port}/healthz`).then(() => false, () => true);
    assert(refused, "HTTP listener closed after stop()");

    const off = await startGateway({ args: ["--http-listen", "off"] });
    try {
      assertEquals(off.httpPort, null);
      assert(!off.logs().includes("HTTP endpoints"), "no HTTP listener");
    } finally {
      await off.stop();
    }
  },
});

Deno.test({
  name: "ops: with --metrics false /metrics is 404 and the admin API still works",
  ...opts,
  fn: async () => {
    const gw = await startGateway({ args: ["--metrics", "false"] });
    try {
      const r = await fetch(`http://127.0.0.1:${gw.httpPort}/metrics`);
      assertEquals(r.status, 404);
      await r.body?.cancel();
      const kafka = new Kafka({ clientId: "ops-off", brokers: [gw.bootstrap], logLevel: logLevel.NOTHING });
      const p = kafka.producer();
      await p.connect();
      await p.send({ topic: "ops-off", messages: [{ value: "x" }] });
      await p.disconnect();
      const t = await waitFor("topic listed", async () => {
        const { body } = await getJson<{ name: string; records: number; throughput: unknown }[]>(
          gw.httpPort!,
          "/api/v1/topics",
        );
        return body.find((x) => x.name === "ops-off" && x.records === 1);
      });
      assertEquals(t.throughput, null);
    } finally {
      await gw.stop();
    }
  },
});

Deno.test({
  name: "ops: JSON logs; request logs carry conn, remote and clientId; no per-request info lines",
  ...opts,
  fn: async () => {
    const gw = await startGateway({ args: ["--log-format", "json"] });
    try {
      const kafka = new Kafka({
        clientId: "log-ctx-client",
        brokers: [gw.bootstrap],
        logLevel: logLevel.NOTHING,
      });
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: "log-ctx", numPartitions: 2 }] });
      const p = kafka.producer();
      await p.connect();
      for (let i = 0; i < 20; i++) await p.send({ topic: "log-ctx", messages: [{ value: `m${i}` }] });
      await p.disconnect();
      await admin.disconnect();
      const line = await waitFor("the created-topic log line", () => {
        const l = gw.logs().split("\n").find((x) => x.includes("created topic"));
        return Promise.resolve(l);
      });
      const rec = JSON.parse(line);
      assertEquals(rec.level, "INFO");
      assertEquals(rec.properties.clientId, "log-ctx-client");
      assertEquals(typeof rec.properties.conn, "number");
      assert(String(rec.properties.remote).startsWith("127.0.0.1:"), rec.properties.remote);
      // 20 produce requests later, info lines are still only lifecycle events.
      const info = gw.logs().split("\n").filter((l) => l.startsWith("{") && JSON.parse(l).level === "INFO");
      assert(info.length < 10, `info lines: ${info.length}\n${info.join("\n")}`);
      assert(!info.some((l) => /produce|fetch/i.test(JSON.parse(l).message)), "no per-request info logs");
    } finally {
      await gw.stop();
    }
  },
});
