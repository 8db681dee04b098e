// librdkafka admin against a real gateway process: confluent-kafka's AdminClient (pip, current librdkafka) and kcat
// (Debian's librdkafka 2.0.2). Topic configs created, described (sources, synonyms, read-only flags), altered with
// both APIs, bad values refused with a message naming the key; a dynamic broker config taking effect at once;
// partitions grown and used; DeleteRecords moving the low watermark; retention deleting old segments; compaction
// keeping the latest value per key and dropping tombstones; exact timestamp lookups; topics really deleted.
import { join } from "node:path";
import { assert, assertEquals } from "../unit/assert.ts";
import { type RunningGateway, runWithGateway } from "../helpers/gateway.ts";
import { requireTool } from "../helpers/tools.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const HOME = Deno.env.get("HOME") ?? "/root";
const PYTHON = Deno.env.get("KGW_PYTHON") ?? `${HOME}/.cache/kgw/venv/bin/python`;
const ADMIN = new URL("./py/ck_admin.py", import.meta.url).pathname;

const python = await requireTool("confluent-kafka (pip)", PYTHON, ["-c", "import confluent_kafka"]);
const kcatTool = await requireTool("kcat", "kcat", ["-V"]);

// deno-lint-ignore no-explicit-any
type Result = Record<string, any>;

/** Runs ck_admin.py with `ops`; one result per op. */
async function ck(gw: RunningGateway, ops: Record<string, unknown>[]): Promise<Result[]> {
  const child = new Deno.Command(PYTHON, {
    args: [ADMIN, gw.bootstrap],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(JSON.stringify(ops)));
  await w.close();
  const out = await child.output();
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n").filter((l) => l !== "");
  if (lines.length !== ops.length) {
    throw new Error(
      `ck_admin.py answered ${lines.length}/${ops.length}:\n${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return lines.map((l) => JSON.parse(l));
}

async function ck1(gw: RunningGateway, op: Record<string, unknown>): Promise<Result> {
  return (await ck(gw, [op]))[0];
}

async function ok(gw: RunningGateway, op: Record<string, unknown>): Promise<Result> {
  const r = await ck1(gw, op);
  if (r.error !== null) throw new Error(`${JSON.stringify(op)} -> ${JSON.stringify(r)}`);
  return r;
}

async function kcat(args: string[], input = ""): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command("kcat", { args, stdin: "piped", stdout: "piped", stderr: "piped" }).spawn();
  const w = child.stdin.getWriter();
  if (input) await w.write(new TextEncoder().encode(input));
  await w.close();
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const out = await child.output();
  clearTimeout(timer);
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

const withGateway = (args: string[], fn: (gw: RunningGateway) => Promise<void>) =>
  runWithGateway({ args }, fn);

async function until(what: string, cond: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

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
  name: "confluent-kafka + kcat: partitions grown and used, DeleteRecords, exact timestamps, topics deleted",
  ...opts,
  ignore: python.ignore || kcatTool.ignore,
  fn: () =>
    withGateway([], async (gw) => {
      await ok(gw, { op: "create", topic: "grow", partitions: 1 });
      await ok(gw, { op: "partitions", topic: "grow", count: 3 });
      const same = await ck1(gw, { op: "partitions", topic: "grow", count: 3 });
      assertEquals([same.error, same.message], ["INVALID_PARTITIONS", "Topic already has 3 partition(s)."]);
      await ok(gw, { op: "partitions", topic: "grow", count: 5, validate_only: true });
      assertEquals((await ok(gw, { op: "topics" })).topics.grow, 3);
      const meta = await kcat(["-b", gw.bootstrap, "-L", "-t", "grow"]);
      assert(/topic "grow" with 3 partitions/.test(meta.stdout), meta.stdout);
      assertEquals(
        (await kcat(["-b", gw.bootstrap, "-P", "-t", "grow", "-p", "2", "-K:"], "k:on-2\n")).code,
        0,
      );
      const got = await kcat([
        "-b",
        gw.bootstrap,
        "-C",
        "-t",
        "grow",
        "-p",
        "2",
        "-o",
        "beginning",
        "-e",
        "-f",
        "%o %k %s\n",
      ]);
      assertEquals(got.stdout, "0 k on-2\n");

      // Exact timestamps: one record per batch, out of order.
      const t0 = 1_700_000_000_000;
      const stamps = [50, 10, 30, 70, 20];
      await ok(gw, { op: "create", topic: "ts" });
      await ok(gw, {
        op: "produce",
        topic: "ts",
        records: stamps.map((d, i) => [`k${i}`, `v${i}`, t0 + d]),
      });
      const q = async (ts: number) => {
        const r = await kcat(["-b", gw.bootstrap, "-Q", "-t", `ts:0:${ts}`]);
        return Number(/offset (-?\d+)/.exec(r.stdout)?.[1]);
      };
      assertEquals(await q(t0 + 10), 0, "first record with timestamp >= t0+10");
      assertEquals(await q(t0 + 51), 3);
      assertEquals(await q(t0 + 71), -1);
      const lo = await ck(gw, [
        { op: "list_offsets", topic: "ts", partition: 0, spec: String(t0 + 21) },
        { op: "list_offsets", topic: "ts", partition: 0, spec: "max" },
        { op: "delete_records", topic: "ts", partition: 0, offset: 2 },
        { op: "list_offsets", topic: "ts", partition: 0, spec: "earliest" },
        { op: "list_offsets", topic: "ts", partition: 0, spec: String(t0) },
        { op: "consume", topic: "ts", partition: 0 },
        { op: "delete_records", topic: "ts", partition: 0, offset: 99 },
      ]);
      assertEquals([lo[0].offset, lo[0].timestamp], [0, t0 + 50]);
      assertEquals([lo[1].offset, lo[1].timestamp], [3, t0 + 70]);
      assertEquals(lo[2].low_watermark, 2);
      assertEquals(lo[3].offset, 2);
      assertEquals([lo[4].offset, lo[4].timestamp], [2, t0 + 30], "never below the low watermark");
      assertEquals(lo[5].records, [[2, "k2", "v2"], [3, "k3", "v3"], [4, "k4", "v4"]]);
      assertEquals(lo[6].error, "OFFSET_OUT_OF_RANGE");
      const fromStart = await kcat([
        "-b",
        gw.bootstrap,
        "-C",
        "-t",
        "ts",
        "-o",
        "beginning",
        "-e",
        "-f",
        "%o\n",
      ]);
      assertEquals(fromStart.stdout, "2\n3\n4\n");

      // Deleted for real: gone from metadata and disk; recreated empty.
      await ok(gw, { op: "delete_topic", topic: "ts" });
      assert(!("ts" in (await ok(gw, { op: "topics" })).topics));
      assert(
        ![...Deno.readDirSync(gw.dataDir)].some((e) => e.name === "ts-0"),
        "partition directory removed",
      );
      await ok(gw, { op: "create", topic: "ts" });
      assertEquals(
        (await ok(gw, { op: "list_offsets", topic: "ts", partition: 0, spec: "latest" })).offset,
        0,
      );
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
