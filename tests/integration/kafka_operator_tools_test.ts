// Apache Kafka's own shell tools used against the gateway as an operator uses them (issue 20), on both backends:
// kafka-topics (create with configs, list, describe, grow, delete, and its refusals), kafka-configs (add, describe,
// delete topic configs; the broker's), kafka-console-producer/-consumer with keys, kafka-consumer-groups (list,
// describe lag, reset offsets: dry run, to-earliest, to-offset, shift-by; delete-offsets; delete), kafka-delete-records
// and kafka-get-offsets, kafka-producer-perf-test / kafka-consumer-perf-test, and kafka-transactions. Each outcome is
// checked in the tool's output and read back independently (another tool or a KafkaJS admin).
import { assert, assertEquals } from "../unit/assert.ts";
import { kafkaTool, kafkaToolOk, kafkaTools } from "../helpers/apache_kafka.ts";
import { startGateway } from "../helpers/gateway.ts";
import { Kafka, logLevel } from "../helpers/kafkajs.ts";
import { backendMatrix } from "../helpers/backend_matrix.ts";

const tools = await kafkaTools();
const matrix = await backendMatrix();

/** Lines of a tool's output that are not empty. */
const lines = (s: string) => s.split("\n").map((l) => l.trim()).filter((l) => l !== "");

/** kafka-consumer-groups --describe rows: partition -> [current offset, log end, lag]. */
function groupRows(out: string, topic: string): Map<number, [string, string, string]> {
  const rows = new Map<number, [string, string, string]>();
  for (const l of lines(out)) {
    const f = l.split(/\s+/);
    const i = f.indexOf(topic);
    if (i < 0 || f[i + 1] === undefined || !/^\d+$/.test(f[i + 1])) continue;
    rows.set(Number(f[i + 1]), [f[i + 2], f[i + 3], f[i + 4]]);
  }
  return rows;
}

for (const backend of matrix.backends) {
  Deno.test({
    name:
      `Kafka's shell tools as an operator uses them (${backend.name}): topics, configs, console, groups, ` +
      `records, perf tests, transactions`,
    ignore: tools.ignore || backend.ignore,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      await backend.use();
      const gw = await startGateway();
      const b = ["--bootstrap-server", gw.bootstrap];
      const kafka = new Kafka({
        clientId: "tools-check",
        brokers: [gw.bootstrap],
        logLevel: logLevel.NOTHING,
      });
      const admin = kafka.admin();
      await admin.connect();
      const dir = await Deno.makeTempDir({ prefix: "kgw-tools-" });
      try {
        // ---- kafka-topics ----
        await kafkaToolOk("kafka-topics", [
          ...b,
          "--create",
          "--topic",
          "ops",
          "--partitions",
          "3",
          "--config",
          "retention.ms=3600000",
          "--config",
          "max.message.bytes=500000",
        ]);
        assert(lines(await kafkaToolOk("kafka-topics", [...b, "--list"])).includes("ops"), "listed");
        const described = await kafkaToolOk("kafka-topics", [...b, "--describe", "--topic", "ops"]);
        assert(/PartitionCount:\s*3/.test(described), described);
        assert(
          /retention\.ms=3600000/.test(described) && /max\.message\.bytes=500000/.test(described),
          described,
        );
        assertEquals(lines(described).filter((l) => /Partition:\s*\d/.test(l)).length, 3, described);
        const exists = await kafkaTool("kafka-topics", [
          ...b,
          "--create",
          "--topic",
          "ops",
          "--partitions",
          "1",
        ]);
        assert(/already exists/.test(exists.stdout + exists.stderr), exists.stdout + exists.stderr);
        await kafkaToolOk("kafka-topics", [...b, "--alter", "--topic", "ops", "--partitions", "4"]);
        assertEquals((await admin.fetchTopicMetadata({ topics: ["ops"] })).topics[0].partitions.length, 4);
        const shrink = await kafkaTool("kafka-topics", [
          ...b,
          "--alter",
          "--topic",
          "ops",
          "--partitions",
          "2",
        ]);
        assert(
          /InvalidPartitionsException|can only be increased/i.test(shrink.stdout + shrink.stderr),
          shrink.stdout + shrink.stderr,
        );

        // ---- kafka-configs ----
        await kafkaToolOk("kafka-configs", [
          ...b,
          "--entity-type",
          "topics",
          "--entity-name",
          "ops",
          "--alter",
          "--add-config",
          "retention.ms=7200000,compression.type=lz4",
        ]);
        const cfg = await kafkaToolOk("kafka-configs", [
          ...b,
          "--entity-type",
          "topics",
          "--entity-name",
          "ops",
          "--describe",
        ]);
        assert(/retention\.ms=7200000/.test(cfg) && /compression\.type=lz4/.test(cfg), cfg);
        await kafkaToolOk("kafka-configs", [
          ...b,
          "--entity-type",
          "topics",
          "--entity-name",
          "ops",
          "--alter",
          "--delete-config",
          "compression.type",
        ]);
        const after = await admin.describeConfigs({
          includeSynonyms: false,
          resources: [{ type: 2, name: "ops", configNames: ["compression.type", "retention.ms"] }],
        });
        const v = new Map(after.resources[0].configEntries.map((e) => [e.configName, e.configValue]));
        assertEquals([v.get("compression.type"), v.get("retention.ms")], ["producer", "7200000"]);
        const brokerCfg = await kafkaToolOk("kafka-configs", [
          ...b,
          "--entity-type",
          "brokers",
          "--entity-name",
          "1",
          "--describe",
          "--all",
        ]);
        assert(/message\.max\.bytes=/.test(brokerCfg) && /num\.partitions=/.test(brokerCfg), brokerCfg);

        // ---- console producer and consumer, with keys ----
        const records = Array.from({ length: 12 }, (_, i) => `k${i % 4}:v${i}`);
        await kafkaToolOk(
          "kafka-console-producer",
          [...b, "--topic", "ops", "--property", "parse.key=true", "--property", "key.separator=:"],
          { stdin: records.join("\n") + "\n" },
        );
        const consumed = await kafkaToolOk("kafka-console-consumer", [
          ...b,
          "--topic",
          "ops",
          "--group",
          "ops-readers",
          "--from-beginning",
          "--max-messages",
          "12",
          "--timeout-ms",
          "20000",
          "--property",
          "print.key=true",
          "--property",
          "key.separator=:",
        ]);
        assertEquals(lines(consumed).toSorted(), records.toSorted());

        // ---- kafka-consumer-groups ----
        assert(lines(await kafkaToolOk("kafka-consumer-groups", [...b, "--list"])).includes("ops-readers"));
        const desc = async () =>
          groupRows(
            await kafkaToolOk("kafka-consumer-groups", [...b, "--describe", "--group", "ops-readers"]),
            "ops",
          );
        const ends = new Map((await admin.fetchTopicOffsets("ops")).map((p) => [p.partition, p.high]));
        const before = await desc();
        for (const [p, [cur, end, lag]] of before) {
          assertEquals([cur, end, lag], [ends.get(p), ends.get(p), "0"], `partition ${p} caught up`);
        }
        assert(before.size >= 1, `rows: ${[...before]}`);
        const reset = (how: string[], execute: boolean) =>
          kafkaToolOk("kafka-consumer-groups", [
            ...b,
            "--group",
            "ops-readers",
            "--topic",
            "ops",
            "--reset-offsets",
            ...how,
            execute ? "--execute" : "--dry-run",
          ]);
        await reset(["--to-earliest"], false);
        assertEquals(await desc(), before, "--dry-run changes nothing");
        await reset(["--to-earliest"], true);
        for (const [p, [cur]] of await desc()) assertEquals(cur, "0", `partition ${p} reset to earliest`);
        await reset(["--to-offset", "1"], true);
        await reset(["--shift-by", "1"], true);
        for (const [p, [cur, end]] of await desc()) {
          assertEquals(cur, String(Math.min(2, Number(end))), `partition ${p}: to-offset 1, then shift-by 1`);
        }
        const fetched = await admin.fetchOffsets({ groupId: "ops-readers", topics: ["ops"] });
        for (const p of fetched[0].partitions) {
          if (p.offset !== "-1") assertEquals(p.offset, String(Math.min(2, Number(ends.get(p.partition)))));
        }
        await kafkaToolOk("kafka-consumer-groups", [
          ...b,
          "--delete-offsets",
          "--group",
          "ops-readers",
          "--topic",
          "ops",
        ]);
        const gone = await admin.fetchOffsets({ groupId: "ops-readers", topics: ["ops"] });
        assert(gone[0].partitions.every((p) => p.offset === "-1"), JSON.stringify(gone));
        await kafkaToolOk("kafka-consumer-groups", [...b, "--delete", "--group", "ops-readers"]);
        assert(!lines(await kafkaToolOk("kafka-consumer-groups", [...b, "--list"])).includes("ops-readers"));

        // ---- kafka-delete-records and kafka-get-offsets ----
        const p0end = Number(ends.get(0));
        assert(p0end >= 2, `partition 0 holds records: ${p0end}`);
        await Deno.writeTextFile(
          `${dir}/delete.json`,
          JSON.stringify({ version: 1, partitions: [{ topic: "ops", partition: 0, offset: 2 }] }),
        );
        const del = await kafkaToolOk("kafka-delete-records", [
          ...b,
          "--offset-json-file",
          `${dir}/delete.json`,
        ]);
        assert(/low_watermark:\s*2/.test(del), del);
        const earliest = await kafkaToolOk("kafka-get-offsets", [...b, "--topic", "ops", "--time", "-2"]);
        assert(lines(earliest).includes("ops:0:2"), earliest);
        const latest = await kafkaToolOk("kafka-get-offsets", [...b, "--topic", "ops", "--time", "-1"]);
        assert(lines(latest).includes(`ops:0:${p0end}`), latest);

        // ---- perf tests ----
        const perfEnv = { KAFKA_JVM_PERFORMANCE_OPTS: "-XX:+UseSerialGC" };
        const pp = await kafkaToolOk("kafka-producer-perf-test", [
          "--topic",
          "perf",
          "--num-records",
          "20000",
          "--record-size",
          "100",
          "--throughput",
          "-1",
          "--producer-props",
          `bootstrap.servers=${gw.bootstrap}`,
          "acks=1",
        ], { env: perfEnv });
        assert(/^20000 records sent/m.test(pp), pp);
        const perfEnd = (await admin.fetchTopicOffsets("perf")).reduce((n, p) => n + Number(p.high), 0);
        assertEquals(perfEnd, 20000);
        const cp = await kafkaToolOk("kafka-consumer-perf-test", [
          ...b,
          "--topic",
          "perf",
          "--messages",
          "20000",
          "--timeout",
          "30000",
        ], { env: perfEnv });
        // the data line: start, end, MB, MB/s, nMsg, nMsg/s, ...
        const data = lines(cp).find((l) => /^\d{4}-\d\d-\d\d/.test(l));
        assert(data !== undefined, cp);
        assertEquals(Number(data.split(",")[4].trim()), 20000, data);

        // ---- kafka-transactions: a transactional producer's id is listed and described ----
        const tp = await kafkaToolOk("kafka-producer-perf-test", [
          "--topic",
          "perf",
          "--num-records",
          "1000",
          "--record-size",
          "50",
          "--throughput",
          "-1",
          "--transactional-id",
          "ops-txn",
          "--transaction-duration-ms",
          "200",
          "--producer-props",
          `bootstrap.servers=${gw.bootstrap}`,
        ], { env: perfEnv });
        assert(/^1000 records sent/m.test(tp), tp);
        const listed = await kafkaToolOk("kafka-transactions", [...b, "list"]);
        assert(lines(listed).some((l) => l.startsWith("ops-txn")), listed);
        const txn = await kafkaToolOk("kafka-transactions", [
          ...b,
          "describe",
          "--transactional-id",
          "ops-txn",
        ]);
        assert(/CompleteCommit|Empty/.test(txn), txn);

        // ---- kafka-topics --delete ----
        await kafkaToolOk("kafka-topics", [...b, "--delete", "--topic", "ops"]);
        assert(!lines(await kafkaToolOk("kafka-topics", [...b, "--list"])).includes("ops"), "deleted");
      } finally {
        await admin.disconnect();
        await gw.stop();
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
    },
  });
}

matrix.finish();
