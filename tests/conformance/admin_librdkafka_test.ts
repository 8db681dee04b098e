// librdkafka admin against a real gateway process: confluent-kafka's AdminClient (pip, current librdkafka) and kcat
// (Debian's librdkafka 2.0.2). Topic configs created, described (sources, synonyms, read-only flags), altered with
// both APIs, bad values refused with a message naming the key; a dynamic broker config taking effect at once;
// partitions grown and used; DeleteRecords moving the low watermark; retention deleting old segments; compaction
// keeping the latest value per key and dropping tombstones; exact timestamp lookups; topics really deleted.
import { join } from "node:path";
import { assert, assertEquals } from "../unit/assert.ts";
import {
  ck,
  ck1,
  kcat,
  kcatTool,
  ok,
  opts,
  python,
  until,
  withGateway,
} from "../helpers/librdkafka_admin.ts";

Deno.test({
  name:
    "confluent-kafka admin: configs created, described, altered (both APIs), refused, dynamic broker defaults",
  ...opts,
  ignore: python.ignore || kcatTool.ignore,
  fn: () =>
    withGateway(["--retention-ms", "86400000", "--num-partitions", "2"], async (gw) => {
      const [created, again, validate, badCreate] = await ck(gw, [
        {
          op: "create",
          topic: "cfg",
          partitions: 1,
          config: { "cleanup.policy": "compact", "segment.ms": "60000" },
        },
        { op: "create", topic: "cfg", partitions: 1 },
        { op: "create", topic: "vo", partitions: 1, validate_only: true },
        { op: "create", topic: "bad", config: { "segment.bytes": "1" } },
      ]);
      assertEquals(created.error, null);
      assertEquals(again.error, "TOPIC_ALREADY_EXISTS");
      assertEquals(validate.error, null);
      assertEquals([badCreate.error, badCreate.message], [
        "INVALID_CONFIG",
        "Invalid value 1 for configuration segment.bytes: Value must be at least 14",
      ]);
      const topics = (await ok(gw, { op: "topics" })).topics;
      assert(!("vo" in topics) && !("bad" in topics), JSON.stringify(topics));

      let c = (await ok(gw, { op: "describe", type: "topic", name: "cfg" })).configs;
      assertEquals(Object.keys(c).length, 36);
      assertEquals([c["cleanup.policy"].value, c["cleanup.policy"].source], [
        "compact",
        "DYNAMIC_TOPIC_CONFIG",
      ]);
      assertEquals([c["retention.ms"].value, c["retention.ms"].source], ["86400000", "STATIC_BROKER_CONFIG"]);
      assertEquals(c["retention.ms"].synonyms[0], ["log.retention.ms", "86400000", "STATIC_BROKER_CONFIG"]);
      assertEquals([c["segment.bytes"].source, c["segment.bytes"].default], ["DEFAULT_CONFIG", true]);
      assertEquals(c["max.message.bytes"].read_only, false);

      // IncrementalAlterConfigs: APPEND, SUBTRACT, SET, DELETE; legacy AlterConfigs replaces everything.
      const steps = await ck(gw, [
        {
          op: "incremental",
          type: "topic",
          name: "cfg",
          ops: [["APPEND", "cleanup.policy", "delete"], ["SET", "retention.ms", "3600000"], [
            "DELETE",
            "segment.ms",
            null,
          ]],
        },
        { op: "describe", type: "topic", name: "cfg" },
        { op: "incremental", type: "topic", name: "cfg", ops: [["SUBTRACT", "cleanup.policy", "compact"]] },
        { op: "incremental", type: "topic", name: "cfg", ops: [["SET", "retention.ms", "soon"]] },
        { op: "incremental", type: "topic", name: "cfg", ops: [["APPEND", "retention.ms", "5"]] },
        { op: "incremental", type: "topic", name: "cfg", ops: [["SET", "no.such.config", "1"]] },
        {
          op: "incremental",
          type: "topic",
          name: "cfg",
          ops: [["SET", "retention.ms", "1"]],
          validate_only: true,
        },
        { op: "describe", type: "topic", name: "cfg" },
        { op: "alter", type: "topic", name: "cfg", config: { "max.message.bytes": "2000" } },
        { op: "describe", type: "topic", name: "cfg" },
        { op: "incremental", type: "topic", name: "missing", ops: [["SET", "retention.ms", "1"]] },
      ]);
      assertEquals(steps[0].error, null);
      c = steps[1].configs;
      assertEquals(c["cleanup.policy"].value, "compact,delete");
      assertEquals([c["retention.ms"].value, c["retention.ms"].source], ["3600000", "DYNAMIC_TOPIC_CONFIG"]);
      assertEquals([c["segment.ms"].value, c["segment.ms"].source], ["604800000", "DEFAULT_CONFIG"]);
      assertEquals(steps[2].error, null);
      assertEquals([steps[3].error, steps[3].message], [
        "INVALID_CONFIG",
        "Invalid value soon for configuration retention.ms: Not a number of type LONG",
      ]);
      assertEquals([steps[4].error, steps[4].message], [
        "INVALID_CONFIG",
        "Can't APPEND to key retention.ms because its type is not LIST.",
      ]);
      assertEquals([steps[5].error, steps[5].message], [
        "INVALID_CONFIG",
        "Unknown topic config name: no.such.config",
      ]);
      assertEquals(steps[6].error, null);
      c = steps[7].configs;
      assertEquals([c["cleanup.policy"].value, c["retention.ms"].value], ["delete", "3600000"]);
      assertEquals(steps[8].error, null);
      c = steps[9].configs;
      assertEquals([c["max.message.bytes"].value, c["max.message.bytes"].source], [
        "2000",
        "DYNAMIC_TOPIC_CONFIG",
      ]);
      assertEquals([c["retention.ms"].value, c["retention.ms"].source], ["86400000", "STATIC_BROKER_CONFIG"]);
      assertEquals(c["cleanup.policy"].source, "DEFAULT_CONFIG");
      assertEquals(steps[10].error, "UNKNOWN_TOPIC_OR_PART"); // librdkafka's name for it

      // Broker resource: static and default values, read-only flags; a dynamic config takes effect at once.
      let b = (await ok(gw, { op: "describe", type: "broker", name: "1" })).configs;
      assertEquals([b["num.partitions"].value, b["num.partitions"].source, b["num.partitions"].read_only], [
        "2",
        "STATIC_BROKER_CONFIG",
        true,
      ]);
      assertEquals([b["message.max.bytes"].value, b["message.max.bytes"].read_only], ["1048588", false]);
      assertEquals(b["log.dirs"].value, gw.dataDir);
      const ro = await ck1(gw, {
        op: "incremental",
        type: "broker",
        name: "1",
        ops: [["SET", "num.partitions", "5"]],
      });
      assertEquals([ro.error, ro.message], [
        "INVALID_REQUEST",
        "Cannot update these configs dynamically: num.partitions",
      ]);
      await ok(gw, { op: "create", topic: "plain" });
      const big = "x".repeat(5000) + "\n";
      assertEquals((await kcat(["-b", gw.bootstrap, "-P", "-t", "plain", "-p", "0"], big)).code, 0);
      await ok(gw, {
        op: "incremental",
        type: "broker",
        name: "1",
        ops: [["SET", "message.max.bytes", "3000"]],
      });
      b = (await ok(gw, { op: "describe", type: "broker", name: "1" })).configs;
      assertEquals([b["message.max.bytes"].value, b["message.max.bytes"].source], [
        "3000",
        "DYNAMIC_BROKER_CONFIG",
      ]);
      c = (await ok(gw, { op: "describe", type: "topic", name: "plain" })).configs;
      assertEquals([c["max.message.bytes"].value, c["max.message.bytes"].source], [
        "3000",
        "DYNAMIC_BROKER_CONFIG",
      ]);
      const refused = await kcat([
        "-b",
        gw.bootstrap,
        "-P",
        "-t",
        "plain",
        "-p",
        "0",
        "-X",
        "message.max.bytes=100000",
      ], big);
      assert(refused.code !== 0 && /too large/i.test(refused.stderr), refused.stderr);
      await ok(gw, {
        op: "incremental",
        type: "broker",
        name: "1",
        ops: [["DELETE", "message.max.bytes", null]],
      });
      assertEquals((await kcat(["-b", gw.bootstrap, "-P", "-t", "plain", "-p", "0"], big)).code, 0);
    }),
});

Deno.test({
  name:
    "librdkafka: retention deletes old segments; compaction keeps the latest value per key, drops tombstones",
  ...opts,
  ignore: python.ignore || kcatTool.ignore,
  fn: () =>
    withGateway(["--retention-check-interval-ms", "200", "--log-cleaner-backoff-ms", "200"], async (gw) => {
      // Retention: old records (an hour ago) in closed segments go; the new ones stay.
      await ok(gw, {
        op: "create",
        topic: "old",
        config: { "retention.ms": "600000", "segment.bytes": "300" },
      });
      const hourAgo = Date.now() - 3_600_000;
      await ok(gw, {
        op: "produce",
        topic: "old",
        records: Array.from({ length: 6 }, (_, i) => [`o${i}`, "x".repeat(100), hourAgo + i]),
      });
      await ok(gw, {
        op: "produce",
        topic: "old",
        records: Array.from({ length: 3 }, (_, i) => [`n${i}`, "y".repeat(100), 0]),
      });
      const dir = join(gw.dataDir, "old-0");
      await until("retention", async () => {
        const r = await ok(gw, { op: "list_offsets", topic: "old", partition: 0, spec: "earliest" });
        return r.offset >= 6;
      });
      const consumed = (await ok(gw, { op: "consume", topic: "old", partition: 0 })).records;
      assertEquals(consumed.map((r: [number, string]) => r[1]), ["n0", "n1", "n2"]);
      const logs = [...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".log")).map((e) => e.name)
        .sort();
      assert(Number(logs[0].slice(0, 20)) >= 6, `segments left: ${logs}`);

      // Compaction through kcat: keys and a tombstone (-Z: empty value = NULL).
      await ok(gw, {
        op: "create",
        topic: "cmp",
        config: {
          "cleanup.policy": "compact",
          "segment.bytes": "200",
          "min.cleanable.dirty.ratio": "0.01",
          "delete.retention.ms": "0",
        },
      });
      const lines = ["a:1", "b:1", "a:2", "c:1", "b:", "a:3"];
      for (const l of lines) {
        assertEquals((await kcat(["-b", gw.bootstrap, "-P", "-t", "cmp", "-K:", "-Z"], l + "\n")).code, 0);
      }
      for (let i = 0; i < 4; i++) {
        await kcat(["-b", gw.bootstrap, "-P", "-t", "cmp", "-K:"], `pad${i}:${"p".repeat(150)}\n`);
      }
      let seen = "";
      await until("compaction", async () => {
        const r = await kcat([
          "-b",
          gw.bootstrap,
          "-C",
          "-t",
          "cmp",
          "-o",
          "beginning",
          "-e",
          "-Z",
          "-f",
          "%o %k=%s\n",
        ]);
        seen = r.stdout.split("\n").filter((l) => l !== "" && !l.includes("pad")).join("\n");
        return seen === "3 c=1\n5 a=3";
      }).catch((e) => {
        throw new Error(`${e.message}; last read:\n${seen}`);
      });
      const viaPython = (await ok(gw, { op: "consume", topic: "cmp", partition: 0 })).records;
      assertEquals(viaPython.filter((r: [number, string]) => !r[1].startsWith("pad")), [[3, "c", "1"], [
        5,
        "a",
        "3",
      ]]);
    }),
});
