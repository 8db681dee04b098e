// Kafka's dynamic broker configs through confluent-kafka's AdminClient (current librdkafka) against a real gateway
// process: librdkafka 0081's AlterConfigs (a topic, the broker's sasl.kerberos.min.time.before.relogin, an unknown
// topic, in one request), per-listener passwords stored and described as sensitive, Kafka's refusals, and all of it
// still there after a restart.
import { assert, assertEquals } from "../unit/assert.ts";
import { ck, ok, opts, python } from "../helpers/librdkafka_admin.ts";
import { type RunningGateway, startGateway } from "../helpers/gateway.ts";
import { pythonPath } from "../helpers/tools.ts";

const BATCH = new URL("./py/ck_alter_batch.py", import.meta.url).pathname;

/** One legacy AlterConfigs request with several resources (ck_alter_batch.py); one result per resource. */
async function alterBatch(gw: RunningGateway, resources: Record<string, unknown>[]) {
  const out = await new Deno.Command(pythonPath(), {
    args: [BATCH, gw.bootstrap],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = out.stdin.getWriter();
  await w.write(new TextEncoder().encode(JSON.stringify(resources)));
  await w.close();
  const { stdout, stderr } = await out.output();
  const text = new TextDecoder().decode(stdout).trim();
  if (text === "") throw new Error(`ck_alter_batch.py: ${new TextDecoder().decode(stderr)}`);
  return JSON.parse(text) as { error: string | null; message: string | null }[];
}

const describeBroker = async (gw: RunningGateway) =>
  (await ok(gw, { op: "describe", type: "broker", name: "1" })).configs;

Deno.test({
  name:
    "confluent-kafka: Kafka's dynamic broker configs accepted, stored, described (passwords hidden), refused as Kafka does",
  ...opts,
  ignore: python.ignore,
  fn: async () => {
    let gw = await startGateway();
    try {
      await ok(gw, { op: "create", topic: "t0", partitions: 1 });
      // librdkafka 0081 do_test_AlterConfigs
      assertEquals(
        (await alterBatch(gw, [
          { type: "topic", name: "t0", config: { "compression.type": "gzip", "flush.ms": "12345678" } },
          { type: "broker", name: "1", config: { "sasl.kerberos.min.time.before.relogin": "58000" } },
          {
            type: "topic",
            name: "t1",
            config: { "compression.type": "lz4", "offset.metadata.max.bytes": "12345" },
          },
        ])).map((r) => r.error),
        [null, null, "UNKNOWN_TOPIC_OR_PART"],
      );
      const secret = "s3cret-keystore-pw";
      const steps = await ck(gw, [
        {
          op: "incremental",
          type: "broker",
          name: "1",
          ops: [
            ["SET", "listener.name.external.ssl.keystore.password", secret],
            ["SET", "num.io.threads", "16"],
            ["APPEND", "metric.reporters", "com.example.Reporter"],
          ],
        },
        { op: "incremental", type: "broker", name: "1", ops: [["SET", "ssl.keystore.password", secret]] },
        { op: "incremental", type: "broker", name: "1", ops: [["SET", "num.io.threads", "100"]] },
        { op: "incremental", type: "broker", name: "1", ops: [["SET", "num.partitions", "3"]] },
      ]);
      assertEquals(steps.map((s) => s.error), [
        null,
        "INVALID_REQUEST",
        "INVALID_REQUEST",
        "INVALID_REQUEST",
      ]);
      assertEquals(
        steps[1].message,
        "These security configs can be dynamically updated only per-listener using the listener prefix: " +
          "ssl.keystore.password",
      );
      assert(
        /value should not be greater than double the current value 16/.test(steps[2].message),
        steps[2].message,
      );
      assert(!gw.logs().includes(secret), "the password never reaches the log");
      assert(
        /stored, no effect on this gateway: listener\.name\.external\.ssl\.keystore\.password/.test(
          gw.logs(),
        ),
      );

      // a restart keeps everything
      await gw.stop();
      gw = await startGateway({ dataDir: gw.dataDir });
      const c = await describeBroker(gw);
      const row = (k: string) => [c[k].value, c[k].source, c[k].read_only, c[k].sensitive];
      assertEquals(row("sasl.kerberos.min.time.before.relogin"), [
        "58000",
        "DYNAMIC_BROKER_CONFIG",
        false,
        false,
      ]);
      assertEquals(row("listener.name.external.ssl.keystore.password"), [
        null,
        "DYNAMIC_BROKER_CONFIG",
        false,
        true,
      ]);
      assertEquals(row("ssl.keystore.password"), [null, "DEFAULT_CONFIG", false, true]);
      assertEquals(row("num.io.threads"), ["16", "DYNAMIC_BROKER_CONFIG", false, false]);
      assertEquals(row("metric.reporters"), ["com.example.Reporter", "DYNAMIC_BROKER_CONFIG", false, false]);
      assertEquals(row("num.partitions"), ["1", "DEFAULT_CONFIG", true, false]);
      const t0 = (await ok(gw, { op: "describe", type: "topic", name: "t0" })).configs;
      assertEquals([t0["compression.type"].value, t0["flush.ms"].value], ["gzip", "12345678"]);
    } finally {
      await gw.stop();
      await Deno.remove(gw.dataDir, { recursive: true }).catch(() => {});
    }
  },
});
