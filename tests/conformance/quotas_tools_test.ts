// Client quotas with Apache Kafka's own tools (issue 18): the Java producer and consumer see the gateway's
// throttling in their metrics (kafka-producer-perf-test / kafka-consumer-perf-test --print-metrics:
// produce-throttle-time-avg/-max, fetch-throttle-time-avg/-max) and are held near the quota, and kafka-configs
// sets, describes and deletes client quotas (clients, users, defaults), as DescribeClientQuotas shows over the wire.
import { assert, assertEquals } from "../unit/assert.ts";
import { runWithGateway } from "../helpers/gateway.ts";
import { WireClient } from "../helpers/wire.ts";
import { kafkaTool, kafkaToolOk, kafkaTools } from "../helpers/apache_kafka.ts";
import { describeAll, setQuotas } from "../helpers/quotas.ts";
import { type CreateTopicsResponse, CreateTopicsSpec } from "../../src/protocol/messages/create_topics.ts";

const tools = await kafkaTools();
const opts = { sanitizeOps: false, sanitizeResources: false, ignore: tools.ignore };

/** The value of a metric in --print-metrics output (`group:name:{client-id=x} : value`). */
function metric(out: string, group: string, name: string, clientId: string): number {
  const re = new RegExp(
    `^${group}:${name}:\\{client-id=${clientId}[,}][^\\n]*?:\\s*([-\\d.E]+|NaN)\\s*$`,
    "m",
  );
  const m = re.exec(out);
  if (!m) throw new Error(`${group}:${name} for ${clientId} not in the output:\n${out.slice(-4000)}`);
  return Number(m[1]);
}

async function createTopic(port: number, name: string): Promise<void> {
  const c = await WireClient.connect(port, "setup");
  try {
    const r = await c.call<CreateTopicsResponse>(CreateTopicsSpec, 7, {
      topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 5000,
      validateOnly: false,
    });
    assertEquals(r.topics.map((t) => t.errorCode), [0]);
  } finally {
    c.close();
  }
}

const QUOTA = 200_000;
const RECORDS = 1200;
const SIZE = 1000;

Deno.test({
  name: "quotas: the Java producer and consumer report the throttling and are held near the quota",
  ...opts,
  fn: () =>
    // quota.window.num=2: the burst allowed at the start is one 1 s window, so a 6 s run shows the rate
    runWithGateway({ args: ["--quota-window-num", "2"] }, async (gw) => {
      await createTopic(gw.port, "java-quota");
      await setQuotas(gw.port, [
        { entity: [["client-id", "java-slow"]], key: "producer_byte_rate", value: QUOTA },
        { entity: [["client-id", "java-slow-c"]], key: "consumer_byte_rate", value: QUOTA },
      ]);
      const t0 = Date.now();
      const out = await kafkaToolOk("kafka-producer-perf-test", [
        "--topic",
        "java-quota",
        "--num-records",
        String(RECORDS),
        "--record-size",
        String(SIZE),
        "--throughput",
        "-1",
        "--print-metrics",
        "--producer-props",
        `bootstrap.servers=${gw.bootstrap}`,
        "client.id=java-slow",
        "acks=1",
        "linger.ms=5",
        "batch.size=20000",
      ]);
      // "1200 records sent, 236.4 records/sec (0.23 MB/sec), ..."
      // (the last such line: the ones before are progress reports every 5 s)
      const summary = [...out.matchAll(/^(\d+) records sent, ([\d.]+) records\/sec/gm)].at(-1);
      assert(summary, `summary line:\n${out.slice(0, 3000)}`);
      assertEquals(Number(summary[1]), RECORDS);
      const rate = Number(summary[2]) * SIZE;
      const avg = metric(out, "producer-metrics", "produce-throttle-time-avg", "java-slow");
      const max = metric(out, "producer-metrics", "produce-throttle-time-max", "java-slow");
      console.log(
        `java producer: ${Math.round(rate)} B/s (quota ${QUOTA}), throttle avg ${avg} ms, max ${max} ms, ` +
          `${Date.now() - t0} ms`,
      );
      // 1.2 MB with one window's burst (200 kB) at the start: ≈ 1.2 MB / 5 s = 240 kB/s
      assert(rate >= QUOTA * 0.8 && rate <= QUOTA * 1.4, `producer at ${rate} B/s`);
      assert(avg > 0 && max > 0, `produce-throttle-time avg ${avg}, max ${max}`);

      const t1 = Date.now();
      const cfg = await Deno.makeTempFile({ suffix: ".properties" });
      try {
        await Deno.writeTextFile(
          cfg,
          "client.id=java-slow-c\nfetch.max.bytes=65536\nmax.partition.fetch.bytes=65536\n",
        );
        const cout = await kafkaToolOk("kafka-consumer-perf-test", [
          "--bootstrap-server",
          gw.bootstrap,
          "--topic",
          "java-quota",
          "--messages",
          String(RECORDS),
          "--timeout",
          "30000",
          "--print-metrics",
          "--consumer.config",
          cfg,
        ]);
        const favg = metric(cout, "consumer-fetch-manager-metrics", "fetch-throttle-time-avg", "java-slow-c");
        const fmax = metric(cout, "consumer-fetch-manager-metrics", "fetch-throttle-time-max", "java-slow-c");
        // the CSV line: start, end, MB, MB.sec, nMsg, nMsg.sec, rebalance ms, fetch ms, fetch.MB.sec, fetch.nMsg.sec
        const row = cout.split("\n").map((l) => l.split(",").map((f) => f.trim())).find((f) =>
          f.length >= 10 && /^\d+$/.test(f[4])
        );
        assert(row, `consumer summary:\n${cout.slice(0, 3000)}`);
        assertEquals(Number(row[4]), RECORDS);
        const crate = Number(row[9]) * SIZE;
        console.log(
          `java consumer: ${
            Math.round(crate)
          } B/s while fetching (quota ${QUOTA}), throttle avg ${favg} ms, ` +
            `max ${fmax} ms, ${Date.now() - t1} ms`,
        );
        assert(crate >= QUOTA * 0.7 && crate <= QUOTA * 1.5, `consumer at ${crate} B/s`);
        assert(favg > 0 && fmax > 0, `fetch-throttle-time avg ${favg}, max ${fmax}`);
      } finally {
        await Deno.remove(cfg).catch(() => {});
      }
    }),
});

/** DescribeClientQuotas over the wire as "entity:key=value" lines. */
async function wireQuotas(port: number): Promise<string[]> {
  const d = await describeAll(port);
  assertEquals(d.errorCode, 0);
  return d.entries!.flatMap((e) =>
    e.values.map((v) =>
      `${e.entity.map((c) => `${c.entityType}=${c.entityName ?? "<default>"}`).join(",")}:${v.key}=${v.value}`
    )
  ).sort();
}

Deno.test({
  name: "quotas: kafka-configs adds, describes and deletes client quotas (clients, users, defaults)",
  ...opts,
  fn: () =>
    runWithGateway({}, async (gw) => {
      const bs = ["--bootstrap-server", gw.bootstrap];
      await kafkaToolOk("kafka-configs", [
        ...bs,
        "--alter",
        "--add-config",
        "producer_byte_rate=1024,consumer_byte_rate=2048",
        "--entity-type",
        "clients",
        "--entity-name",
        "app-x",
      ]);
      await kafkaToolOk("kafka-configs", [
        ...bs,
        "--alter",
        "--add-config",
        "request_percentage=50",
        "--entity-type",
        "users",
        "--entity-name",
        "alice",
        "--entity-type",
        "clients",
        "--entity-default",
      ]);
      await kafkaToolOk("kafka-configs", [
        ...bs,
        "--alter",
        "--add-config",
        "controller_mutation_rate=3",
        "--entity-type",
        "users",
        "--entity-default",
      ]);
      assertEquals(await wireQuotas(gw.port), [
        "client-id=app-x:consumer_byte_rate=2048",
        "client-id=app-x:producer_byte_rate=1024",
        "user=<default>:controller_mutation_rate=3",
        "user=alice,client-id=<default>:request_percentage=50",
      ]);
      const desc = await kafkaToolOk("kafka-configs", [
        ...bs,
        "--describe",
        "--entity-type",
        "clients",
        "--entity-name",
        "app-x",
      ]);
      assert(/client-id 'app-x'/.test(desc), desc);
      assert(
        /producer_byte_rate=1024(\.0)?\b/.test(desc) && /consumer_byte_rate=2048(\.0)?\b/.test(desc),
        desc,
      );
      // kafka-configs describes strictly (containsOnly): users alone, then users with client ids
      const users = await kafkaToolOk("kafka-configs", [...bs, "--describe", "--entity-type", "users"]);
      assert(/default user-principal[^\n]*controller_mutation_rate=3/.test(users), users);
      assert(!/alice/.test(users), users);
      const both = await kafkaToolOk("kafka-configs", [
        ...bs,
        "--describe",
        "--entity-type",
        "users",
        "--entity-type",
        "clients",
      ]);
      assert(/user-principal 'alice', the default client-id[^\n]*request_percentage=50/.test(both), both);

      await kafkaToolOk("kafka-configs", [
        ...bs,
        "--alter",
        "--delete-config",
        "producer_byte_rate",
        "--entity-type",
        "clients",
        "--entity-name",
        "app-x",
      ]);
      assertEquals(await wireQuotas(gw.port), [
        "client-id=app-x:consumer_byte_rate=2048",
        "user=<default>:controller_mutation_rate=3",
        "user=alice,client-id=<default>:request_percentage=50",
      ]);
      // an unknown key is refused with a clear error, as Kafka does
      const bad = await kafkaTool("kafka-configs", [
        ...bs,
        "--alter",
        "--add-config",
        "bogus_rate=1",
        "--entity-type",
        "clients",
        "--entity-name",
        "app-x",
      ]);
      assert(bad.code !== 0, `unknown key accepted:\n${bad.stdout}`);
    }),
});
