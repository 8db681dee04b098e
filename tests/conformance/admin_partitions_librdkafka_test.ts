// librdkafka clients growing and using partitions, DeleteRecords, exact timestamp lookups and topic deletion
// against a real gateway: confluent-kafka's AdminClient (pip, current librdkafka) and kcat (Debian's librdkafka
// 2.0.2). Backend-neutral: tests/integration runs it on SeaweedMQ too.
import { assert, assertEquals } from "../unit/assert.ts";
import { gatewayBackend } from "../helpers/gateway.ts";
import { storedPartitions } from "../helpers/seaweedfs.ts";
import { ck, ck1, kcat, kcatTool, ok, opts, python, withGateway } from "../helpers/librdkafka_admin.ts";

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
      // the backend's own storage (embedded: the partition directory; SeaweedMQ: the topic's partition in the
      // filer): present before the delete, so that "gone" after it means something on either backend
      assertEquals((await storedPartitions(gw, "ts")).length, 1, "the backend holds the partition");
      await ok(gw, { op: "delete_topic", topic: "ts" });
      assert(!("ts" in (await ok(gw, { op: "topics" })).topics));
      const left = await storedPartitions(gw, "ts");
      assertEquals(left, [], `partition data removed from the backend: ${left}`);
      await ok(gw, { op: "create", topic: "ts" });
      const [earliest, latest, again] = await ck(gw, [
        { op: "list_offsets", topic: "ts", partition: 0, spec: "earliest" },
        { op: "list_offsets", topic: "ts", partition: 0, spec: "latest" },
        { op: "consume", topic: "ts", partition: 0 },
      ]);
      assertEquals(again.records, []);
      assertEquals(earliest.offset, latest.offset, "the re-created topic is empty");
      // SeaweedMQ keeps offset counters by topic name until its broker restarts: there the new topic starts
      // empty where the deleted one ended (docs/seaweedmq.md).
      if (gatewayBackend() === "embedded") assertEquals(latest.offset, 0);
    }),
});
