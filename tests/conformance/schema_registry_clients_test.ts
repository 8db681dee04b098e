// The built-in schema registry (--schema-registry-listen) with real clients: confluent-kafka's SchemaRegistryClient
// and its Avro, JSON Schema and Protobuf serializers/deserializers (tests/conformance/py/ck_schema_registry.py), and
// KafkaJS with @kafkajs/confluent-schema-registry; records produced through the gateway and read back; evolution
// refused at the configured level; a restart keeps ids. Run unchanged on SeaweedMQ by
// tests/integration/seaweedmq_schema_registry_test.ts.
import { Buffer } from "node:buffer";
import { assert, assertEquals } from "../unit/assert.ts";
import { type RunningGateway, startGateway } from "../helpers/gateway.ts";
import { Kafka, logLevel } from "../helpers/kafkajs.ts";
import { pythonPath, requireTool } from "../helpers/tools.ts";
import { REGISTRY_ARGS, registryUrl } from "../helpers/schema_registry.ts";
import csr from "@kafkajs/confluent-schema-registry";

const opts = { sanitizeOps: false, sanitizeResources: false };
const PYTHON = pythonPath();
const DRIVER = new URL("./py/ck_schema_registry.py", import.meta.url).pathname;
const python = await requireTool("confluent-kafka with its schema registry extras (pip)", PYTHON, [
  "-c",
  "import confluent_kafka.schema_registry.avro, confluent_kafka.schema_registry.protobuf, " +
  "confluent_kafka.schema_registry.json_schema",
]);

async function py(cmd: string, gw: RunningGateway, topic: string): Promise<Record<string, unknown>> {
  const out = await new Deno.Command(PYTHON, {
    args: [DRIVER, cmd, gw.bootstrap, registryUrl(gw), topic],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  if (!out.success || text === "") {
    throw new Error(`ck_schema_registry.py ${cmd} failed:\n${new TextDecoder().decode(out.stderr)}\n${text}`);
  }
  return JSON.parse(text.split("\n").at(-1)!);
}

async function get(gw: RunningGateway, path: string): Promise<unknown> {
  const res = await fetch(registryUrl(gw) + path);
  return await res.json();
}

const topic = (what: string) => `sr-${what}-${Date.now().toString(36)}`;

type Framing = { magic: number; id: number }[];

/** Every record framed with magic 0 and the id the subject's latest version has. */
async function assertFramed(gw: RunningGateway, subject: string, framing: Framing, n: number) {
  const latest = await get(gw, `/subjects/${subject}/versions/latest`) as { id: number };
  assertEquals(framing.length, n);
  assert(framing.every((f) => f.magic === 0 && f.id === latest.id), JSON.stringify({ framing, latest }));
}

function schemaRegistryClientTests(start: (dataDir?: string) => Promise<RunningGateway>) {
  Deno.test({
    name:
      "schema registry: confluent-kafka Avro, JSON Schema and Protobuf serializers round-trip through the gateway",
    ignore: python.ignore,
    ...opts,
    fn: async () => {
      const gw = await start();
      try {
        for (const format of ["avro", "json", "protobuf"]) {
          const t = topic(format);
          const r = await py(format, gw, t);
          assertEquals(r.values, r.sent, format);
          await assertFramed(gw, `${t}-value`, r.framing as Framing, (r.sent as unknown[]).length);
          if (format === "json") {
            assertEquals(r.type, "JSON");
            assertEquals(r.refused, "SerializationError", "a value the schema refuses is not sent");
          }
          if (format === "protobuf") {
            assertEquals(r.type, "PROTOBUF");
            // registered from the serializer's file descriptor, answered as .proto text
            assert(String(r.schema).includes("message User"), String(r.schema));
          }
        }
      } finally {
        await gw.stop();
      }
    },
  });

  Deno.test({
    name:
      "schema registry: Avro evolution with confluent-kafka: a compatible v2 is registered, v3 refused (409)",
    ignore: python.ignore,
    ...opts,
    fn: async () => {
      const gw = await start();
      try {
        const t = topic("evolve");
        const r = await py("evolve", gw, t);
        assertEquals(r.refused, { http_status: 409, error_code: 409 });
        assertEquals(r.versions, [1, 2]);
        assertEquals(r.compatible_v3, false);
        // v1's record read with v2 as the reader schema takes the new field's default
        assertEquals(r.values, [
          { id: 1, name: "one", email: "none" },
          { id: 2, name: "two", email: "t@x" },
        ]);
        const ids = (r.framing as Framing).map((f) => f.id);
        assertEquals(ids.length, 2);
        assert(ids[0] !== ids[1], "each version has its own id");
      } finally {
        await gw.stop();
      }
    },
  });

  Deno.test({
    name: "schema registry: KafkaJS with @kafkajs/confluent-schema-registry; ids survive a gateway restart",
    ...opts,
    fn: async () => {
      const dataDir = await Deno.makeTempDir({ prefix: "kgw-sr-" });
      let gw = await start(dataDir);
      try {
        const registry = new csr.SchemaRegistry({ host: registryUrl(gw) });
        const schema = {
          type: "record",
          name: "Order",
          namespace: "kgw.test",
          fields: [{ name: "id", type: "string" }, { name: "amount", type: "double" }],
        };
        const t = topic("kafkajs");
        const { id } = await registry.register(
          { type: csr.SchemaType.AVRO, schema: JSON.stringify(schema) },
          { subject: `${t}-value` },
        );
        const kafka = new Kafka({ clientId: "sr-test", brokers: [gw.bootstrap], logLevel: logLevel.NOTHING });
        const admin = kafka.admin();
        await admin.connect();
        await admin.createTopics({ topics: [{ topic: t, numPartitions: 1 }] });
        await admin.disconnect();
        const producer = kafka.producer();
        await producer.connect();
        const orders = [{ id: "a", amount: 1.5 }, { id: "b", amount: 2.25 }];
        await producer.send({
          topic: t,
          messages: await Promise.all(orders.map(async (o) => ({ value: await registry.encode(id, o) }))),
        });
        await producer.disconnect();
        const consumer = kafka.consumer({ groupId: `g-${t}` });
        await consumer.connect();
        await consumer.subscribe({ topic: t, fromBeginning: true });
        const got: unknown[] = [];
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`read ${got.length} of 2`)), 20_000);
          consumer.run({
            eachMessage: async ({ message }) => {
              got.push(await registry.decode(message.value as Buffer));
              if (got.length === 2) {
                clearTimeout(timer);
                resolve();
              }
            },
          });
        });
        await consumer.disconnect();
        assertEquals(got, orders);

        await gw.stop();
        gw = await start(dataDir);
        const again = new csr.SchemaRegistry({ host: registryUrl(gw) });
        assertEquals(await again.getSchema(id).then((s) => (s as { name: string }).name), "kgw.test.Order");
        assertEquals(await again.getLatestSchemaId(`${t}-value`), id);
        // a new schema after the restart gets a new id
        const other = await again.register({
          type: csr.SchemaType.AVRO,
          schema: JSON.stringify({ type: "record", name: "Other", fields: [{ name: "x", type: "int" }] }),
        }, { subject: `${t}-other` });
        assert(other.id > id, `new id ${other.id} after ${id}`);
      } finally {
        await gw.stop();
        await Deno.remove(dataDir, { recursive: true }).catch(() => {});
      }
    },
  });
}

schemaRegistryClientTests((dataDir) => startGateway({ dataDir, args: REGISTRY_ARGS }));
