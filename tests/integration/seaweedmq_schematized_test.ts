// Schematized SeaweedMQ topics: with the built-in schema registry, a topic whose value subject holds an Avro, JSON
// Schema or Protobuf schema is stored typed. confluent-kafka's serializers produce to three such topics; Kafka
// clients fetch every value byte for byte as produced; SeaweedMQ's own compaction (`weed shell`
// `mq.topic.compact`) then writes parquet files whose columns are the schema's fields, read back with pyarrow.
import { assert, assertEquals } from "../unit/assert.ts";
import { type RunningGateway, startGateway } from "../helpers/gateway.ts";
import { clusterForModule, weedPath } from "../helpers/seaweedfs.ts";
import { REGISTRY_ARGS, registryUrl } from "../helpers/schema_registry.ts";
import { pythonPath, requireTool } from "../helpers/tools.ts";
import { Kafka, logLevel } from "kafkajs";
import { Buffer } from "node:buffer";

const opts = { sanitizeOps: false, sanitizeResources: false };
const PYTHON = pythonPath();
const DRIVER = new URL("./py/smq_schematized.py", import.meta.url).pathname;
const python = await requireTool(
  "confluent-kafka with its schema registry extras and pyarrow (pip)",
  PYTHON,
  [
    "-c",
    "import confluent_kafka.schema_registry.avro, confluent_kafka.schema_registry.protobuf, pyarrow.parquet",
  ],
);
const cluster = await clusterForModule();

async function py(args: string[]): Promise<Record<string, unknown>> {
  const out = await new Deno.Command(PYTHON, { args: [DRIVER, ...args], stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(out.stdout).trim();
  if (!out.success || text === "") {
    throw new Error(
      `smq_schematized.py ${args[0]} failed:\n${new TextDecoder().decode(out.stderr)}\n${text}`,
    );
  }
  return JSON.parse(text.split("\n").at(-1)!);
}

/** The filer's HTTP address and the namespace, as the gateway logged them at start. */
function filerOf(gw: RunningGateway): { filer: string; ns: string } {
  const m = /SeaweedMQ: brokers .*; filer ([^\s,;]+)[^;]*; namespace ([^\s;]+);/.exec(gw.logs());
  assert(m !== null, gw.logs());
  const colon = m[1].lastIndexOf(":");
  return { filer: `${m[1].slice(0, colon)}:${Number(m[1].slice(colon + 1)) - 10000}`, ns: m[2] };
}

async function list(filer: string, path: string): Promise<{ name: string; dir: boolean }[]> {
  const res = await fetch(`http://${filer}${path}/?limit=10000`, { headers: { Accept: "application/json" } });
  if (!res.ok) throw new Error(`filer ${path}: HTTP ${res.status} ${await res.text()}`);
  const j = await res.json() as { Entries: { FullPath: string; Mode: number }[] | null };
  return (j.Entries ?? []).map((e) => ({
    name: e.FullPath.slice(e.FullPath.lastIndexOf("/") + 1),
    dir: (e.Mode & 0x80000000) !== 0,
  }));
}

/** `weed shell` commands against the module's cluster. */
async function weedShell(commands: string): Promise<string> {
  const shell = new Deno.Command(weedPath(), {
    args: ["shell", `-master=${cluster!.master}`, `-filer=${cluster!.filer}`],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = shell.stdin.getWriter();
  await w.write(new TextEncoder().encode(commands));
  await w.close();
  const out = await shell.output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert(out.success, text);
  return text;
}

/** Compacts `topic` into parquet; the filer URLs of the files it wrote (all partitions). */
async function compactToParquet(gw: RunningGateway, topic: string): Promise<string[]> {
  const { filer, ns } = filerOf(gw);
  const files: string[] = [];
  // the broker flushes its log buffer every second (the test cluster's -logFlushInterval): wait for the files
  for (let attempt = 0; attempt < 20 && files.length === 0; attempt++) {
    await new Promise((r) => setTimeout(r, 1500));
    const shellOut = await weedShell(`mq.topic.compact -namespace ${ns} -topic ${topic} -timeAgo 0s\n`);
    assert(!/error|fail/i.test(shellOut), shellOut);
    for (const v of await list(filer, `/topics/${ns}/${topic}`)) {
      if (!v.dir) continue;
      for (const r of await list(filer, `/topics/${ns}/${topic}/${v.name}`)) {
        if (!r.dir) continue;
        for (const f of await list(filer, `/topics/${ns}/${topic}/${v.name}/${r.name}`)) {
          if (f.name.endsWith(".parquet")) {
            files.push(`http://${filer}/topics/${ns}/${topic}/${v.name}/${r.name}/${f.name}`);
          }
        }
      }
    }
  }
  return files;
}

type Parquet = Record<string, { columns: Record<string, string>; rows: Record<string, unknown>[] }>;

async function readParquet(
  files: string[],
): Promise<{ columns: Record<string, string>; rows: Record<string, unknown>[] }> {
  const out = await py(["parquet", ...files]) as Parquet;
  const all = Object.values(out);
  assert(all.length > 0, "no parquet file");
  return { columns: all[0].columns, rows: all.flatMap((f) => f.rows) };
}

Deno.test({
  name: "seaweedmq schematized topics: Avro, JSON Schema and Protobuf values come back byte for byte and " +
    "SeaweedMQ's parquet compaction writes the schema's fields as typed columns",
  ignore: cluster === null || python.ignore,
  ...opts,
  fn: async () => {
    const gw = await startGateway({ args: [...cluster!.gatewayArgs, ...REGISTRY_ARGS] });
    try {
      const prefix = `typed${Date.now().toString(36)}`;
      const produced = await py(["produce", gw.bootstrap, registryUrl(gw), prefix]) as Record<
        string,
        { sent: string[]; got: string[] }
      >;
      for (const [kind, r] of Object.entries(produced)) {
        assertEquals(r.sent.length, 12, kind);
        // Kafka clients get the Confluent-framed values exactly as produced
        assertEquals(r.got, r.sent, `${kind}: fetched values differ from the produced ones`);
      }
      assert(gw.logs().includes("SeaweedMQ record type set from the registry's AVRO schema"), gw.logs());

      // Avro: every field a typed column (STRING and enums as SeaweedFS writes them: binary), nested record as a
      // struct, array as a list, the optional union as its branch, timestamp-millis as micros
      const avro = await readParquet(await compactToParquet(gw, `${prefix}-avro`));
      assertEquals(avro.columns.id, "int64");
      assertEquals(avro.columns.amount, "double");
      assertEquals(avro.columns.qty, "int32");
      assertEquals(avro.columns.paid, "bool");
      assertEquals(avro.columns.customer, "binary");
      assertEquals(avro.columns.created, "int64");
      assert(avro.columns.tags.startsWith("list<"), avro.columns.tags);
      assert(avro.columns.address.startsWith("struct<"), avro.columns.address);
      assert("_key" in avro.columns && "_ts_ns" in avro.columns, JSON.stringify(avro.columns));
      const byId = new Map(avro.rows.map((r) => [r.id as number, r]));
      assertEquals(byId.size, 12);
      for (let i = 0; i < 12; i++) {
        const r = byId.get(i)!;
        assertEquals(r.customer, `c-${i}`);
        assertEquals(r.amount, i * 1.5);
        assertEquals(r.qty, i * 2);
        assertEquals(r.paid, i % 2 === 0);
        // a null union: no field in the RecordValue, which SeaweedFS 4.48's parquet writer stores as ""
        assertEquals(r.note, i % 3 === 0 ? "" : `note ${i}`);
        assertEquals(r.tags, ["t", String(i)]);
        assertEquals(r.address, { city: `city-${i}`, zip: 1000 + i });
        assertEquals(r.status, i % 2 === 0 ? "PAID" : "NEW");
        assertEquals(r.created, (1_767_225_600_000 + i * 1000) * 1000);
      }

      const json = await readParquet(await compactToParquet(gw, `${prefix}-json`));
      assertEquals(json.columns.id, "int64");
      assertEquals(json.columns.score, "double");
      assertEquals(json.columns.ok, "bool");
      const events = new Map(json.rows.map((r) => [r.id as number, r]));
      assertEquals(events.size, 12);
      for (let i = 0; i < 12; i++) {
        assertEquals(events.get(i)!.kind, `k${i}`);
        assertEquals(events.get(i)!.score, i / 4);
        assertEquals(events.get(i)!.ok, i % 2 === 1);
      }

      const proto = await readParquet(await compactToParquet(gw, `${prefix}-proto`));
      assertEquals(proto.columns.id, "int64");
      assertEquals(proto.columns.celsius, "double");
      const readings = new Map(proto.rows.map((r) => [r.id as number, r]));
      assertEquals(readings.size, 12);
      for (let i = 0; i < 12; i++) {
        assertEquals(readings.get(i)!.sensor, `s${i}`);
        assertEquals(readings.get(i)!.celsius, 20 + i / 2);
        assertEquals(readings.get(i)!.tags, ["r", String(i)]);
      }
    } finally {
      await gw.stop();
    }
  },
});

/** Avro's zigzag varint of a long. */
function zigzag(n: number): number[] {
  let v = BigInt(n) >= 0n ? BigInt(n) * 2n : -BigInt(n) * 2n - 1n;
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

function avroString(s: string): number[] {
  const b = new TextEncoder().encode(s);
  return [...zigzag(b.length), ...b];
}

/** Confluent's wire format: magic 0, the schema id (big-endian), the Avro body. */
function framed(id: number, body: number[]): Uint8Array {
  return new Uint8Array([0, (id >>> 24) & 255, (id >>> 16) & 255, (id >>> 8) & 255, id & 255, ...body]);
}

Deno.test({
  name:
    "seaweedmq schematized topics: an evolved schema adds its column; unframed values and tombstones are " +
    "stored untyped and all come back as produced",
  ignore: cluster === null || python.ignore,
  ...opts,
  fn: async () => {
    const gw = await startGateway({ args: [...cluster!.gatewayArgs, ...REGISTRY_ARGS] });
    const kafka = new Kafka({ brokers: [gw.bootstrap], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    const consumer = kafka.consumer({ groupId: `evolve-${Date.now()}` });
    try {
      const topic = `evolve${Date.now().toString(36)}`;
      const register = async (fields: unknown[]) => {
        const res = await fetch(`${registryUrl(gw)}/subjects/${topic}-value/versions`, {
          method: "POST",
          headers: { "content-type": "application/vnd.schemaregistry.v1+json" },
          body: JSON.stringify({ schema: JSON.stringify({ type: "record", name: "User", fields }) }),
        });
        assertEquals(res.status, 200);
        return (await res.json()).id as number;
      };
      const v1 = await register([{ name: "id", type: "long" }, { name: "name", type: "string" }]);
      await producer.connect();
      const values: (Uint8Array | null)[] = [
        framed(v1, [...zigzag(1), ...avroString("ann")]),
        framed(v1, [...zigzag(2), ...avroString("bob")]),
        new TextEncoder().encode("not in Confluent's format"),
        framed(987654, [...zigzag(3)]), // an id the registry does not know
      ];
      await producer.send({
        topic,
        messages: values.map((value, i) => ({
          key: `k${i}`,
          value: value === null ? null : Buffer.from(value),
        })),
      });
      const v2 = await register([
        { name: "id", type: "long" },
        { name: "name", type: "string" },
        { name: "email", type: ["null", "string"], default: null },
      ]);
      const later: (Uint8Array | null)[] = [
        framed(v2, [...zigzag(3), ...avroString("cy"), ...zigzag(1), ...avroString("cy@example.com")]),
        null, // a tombstone
      ];
      await producer.send({
        topic,
        messages: later.map((value, i) => ({
          key: `l${i}`,
          value: value === null ? null : Buffer.from(value),
        })),
      });
      values.push(...later);

      // every value comes back as produced
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const got: (Uint8Array | null)[] = [];
      const all = Promise.withResolvers<void>();
      await consumer.run({
        eachMessage: ({ message }) => {
          got.push(message.value === null ? null : new Uint8Array(message.value));
          if (got.length === values.length) all.resolve();
          return Promise.resolve();
        },
      });
      const timer = setTimeout(() => all.reject(new Error(`got ${got.length} of ${values.length}`)), 30_000);
      await all.promise.finally(() => clearTimeout(timer));
      assertEquals(got.map((v) => v === null ? null : [...v]), values.map((v) => v === null ? null : [...v]));

      // SeaweedMQ's record type followed the registry: v1's, then v1 merged with v2's
      const set = gw.logs().split("\n").filter((l) =>
        l.includes(`topic ${topic}: SeaweedMQ record type set`)
      );
      assertEquals(set.length, 2, gw.logs());

      const parquet = await readParquet(await compactToParquet(gw, topic));
      assertEquals(parquet.columns.id, "int64");
      assertEquals(parquet.columns.email, "binary");
      // the untyped values (unframed, unknown id, tombstone) are stored with an empty RecordValue, which SeaweedFS's
      // compaction skips as it skips entries without data: one row per typed value; v1's rows have no email
      assertEquals(parquet.rows.map((r) => [r.id, r.name, r.email]), [[1, "ann", ""], [2, "bob", ""], [
        3,
        "cy",
        "cy@example.com",
      ]]);
    } finally {
      await consumer.disconnect().catch(() => {});
      await producer.disconnect().catch(() => {});
      await gw.stop();
    }
  },
});

Deno.test({
  name:
    "seaweedmq schematized topics with an external registry (--schema-registry-url): typed columns, exact bytes",
  ignore: cluster === null || python.ignore,
  ...opts,
  fn: async () => {
    // the external registry: another gateway's built-in one (Confluent's REST API), on its own data directory
    const registry = await startGateway({ args: REGISTRY_ARGS });
    const url = registryUrl(registry);
    const gw = await startGateway({ args: [...cluster!.gatewayArgs, "--schema-registry-url", url] });
    try {
      const prefix = `ext${Date.now().toString(36)}`;
      const produced = await py(["produce", gw.bootstrap, url, prefix]) as Record<
        string,
        { sent: string[]; got: string[] }
      >;
      for (const [kind, r] of Object.entries(produced)) {
        assertEquals(r.got, r.sent, `${kind}: fetched values differ from the produced ones`);
      }
      const avro = await readParquet(await compactToParquet(gw, `${prefix}-avro`));
      assertEquals(avro.columns.id, "int64");
      assertEquals(avro.columns.qty, "int32");
      assert(avro.columns.address.startsWith("struct<"), avro.columns.address);
      assertEquals(
        avro.rows.map((r) => r.customer).sort(),
        Array.from({ length: 12 }, (_, i) => `c-${i}`).sort(),
      );
      const proto = await readParquet(await compactToParquet(gw, `${prefix}-proto`));
      assertEquals(proto.columns.celsius, "double");
      assertEquals(proto.rows.length, 12);
    } finally {
      await gw.stop();
      await registry.stop();
    }
  },
});
