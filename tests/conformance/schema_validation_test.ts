// Broker-side schema validation (confluent.value/key.schema.validation and the subject-name strategies) against
// the built-in registry: a batch holding a record without Confluent's framing, with an unknown id or with an id not
// registered under its subject is refused whole with INVALID_RECORD and one record error per refused record
// (Produce v9), nothing of it stored; valid and null values pass; RecordNameStrategy and key validation; without a
// registry the configs are unknown and a topic created with them refuses records; a bad strategy is INVALID_CONFIG;
// an external registry (--schema-registry-url).
import { assert, assertEquals } from "../unit/assert.ts";
import { type RunningGateway, startGateway } from "../helpers/gateway.ts";
import { Kafka, logLevel } from "../helpers/kafkajs.ts";
import { wireCall } from "../helpers/wire.ts";
import { buildBatchSync } from "../../src/records/batch.ts";
import {
  type ProduceRequest,
  type ProduceResponse,
  ProduceSpec,
} from "../../src/protocol/messages/produce.ts";
import { ErrorCode } from "../../src/protocol/errors.ts";
import { REGISTRY_ARGS, registryUrl } from "../helpers/schema_registry.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const enc = new TextEncoder();

async function register(gw: RunningGateway, subject: string, schema: unknown): Promise<number> {
  const res = await fetch(`${registryUrl(gw)}/subjects/${encodeURIComponent(subject)}/versions`, {
    method: "POST",
    headers: { "content-type": "application/vnd.schemaregistry.v1+json" },
    body: JSON.stringify({ schema: JSON.stringify(schema) }),
  });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`register ${subject}: ${JSON.stringify(body)}`);
  return body.id;
}

/** Confluent's wire format: magic 0, the schema id, a payload. */
function framed(id: number, payload = "x"): Uint8Array {
  const p = enc.encode(payload);
  const out = new Uint8Array(5 + p.length);
  new DataView(out.buffer).setInt32(1, id);
  out.set(p, 5);
  return out;
}

async function createTopic(gw: RunningGateway, topic: string, configs: Record<string, string>) {
  const kafka = new Kafka({
    clientId: "sv",
    brokers: [gw.bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [{
        topic,
        numPartitions: 1,
        configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })),
      }],
    });
  } finally {
    await admin.disconnect();
  }
}

type Rec = { key?: Uint8Array | null; value: Uint8Array | null };

async function produce(gw: RunningGateway, topic: string, records: Rec[]) {
  const body: ProduceRequest = {
    transactionalId: null,
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records: buildBatchSync({ records }) }] }],
  };
  return (await wireCall<ProduceResponse>(gw, ProduceSpec, 9, body)).responses[0].partitionResponses[0];
}

const user = { type: "record", name: "User", namespace: "kgw.test", fields: [{ name: "id", type: "long" }] };
const order = { type: "record", name: "Order", namespace: "kgw.test", fields: [{ name: "n", type: "int" }] };

Deno.test({
  name:
    "schema validation: refused records are named per record, the batch is not stored; valid and null values pass",
  ...opts,
  fn: async () => {
    const gw = await startGateway({ args: REGISTRY_ARGS });
    try {
      const t = `sv-${Date.now().toString(36)}`;
      const good = await register(gw, `${t}-value`, user);
      const elsewhere = await register(gw, "another-subject", order);
      await createTopic(gw, t, { "confluent.value.schema.validation": "true" });

      const refused = await produce(gw, t, [
        { value: framed(good) },
        { value: enc.encode("plain text") },
        { value: framed(987654) },
        { value: framed(elsewhere) },
      ]);
      assertEquals(refused.errorCode, ErrorCode.INVALID_RECORD);
      assertEquals((refused.recordErrors ?? []).map((e) => e.batchIndex), [1, 2, 3]);
      const why = (refused.recordErrors ?? []).map((e) => e.batchIndexErrorMessage ?? "");
      assert(why[0].includes("wire format"), why[0]);
      assert(why[1].includes("987654 is not registered"), why[1]);
      assert(why[2].includes(`not registered under subject ${t}-value`), why[2]);
      assert((refused.errorMessage ?? "").includes("3 record(s) refused"), String(refused.errorMessage));

      const ok = await produce(gw, t, [{ value: framed(good, "a") }, { value: null }, {
        value: framed(good, "b"),
      }]);
      assertEquals([ok.errorCode, ok.baseOffset], [0, 0], "the refused batch stored nothing");

      // RecordNameStrategy: the subject is the record's name
      const byName = `${t}-rn`;
      await createTopic(gw, byName, {
        "confluent.value.schema.validation": "true",
        "confluent.value.subject.name.strategy": "io.confluent.kafka.serializers.subject.RecordNameStrategy",
      });
      const orderId = await register(gw, "kgw.test.Order", order);
      assertEquals((await produce(gw, byName, [{ value: framed(orderId) }])).errorCode, 0);
      const wrong = await produce(gw, byName, [{ value: framed(good) }]);
      assertEquals(wrong.errorCode, ErrorCode.INVALID_RECORD);
      assert(String((wrong.recordErrors ?? [])[0]?.batchIndexErrorMessage).includes("subject kgw.test.User"));

      // key validation: a plain key is refused, a null key passes, values are not checked
      const keyed = `${t}-k`;
      await createTopic(gw, keyed, { "confluent.key.schema.validation": "true" });
      const keyId = await register(gw, `${keyed}-key`, "string");
      assertEquals(
        (await produce(gw, keyed, [{ key: enc.encode("k"), value: enc.encode("v") }])).errorCode,
        ErrorCode.INVALID_RECORD,
      );
      assertEquals(
        (await produce(gw, keyed, [{ key: null, value: enc.encode("v") }, {
          key: framed(keyId),
          value: null,
        }]))
          .errorCode,
        0,
      );

      // a strategy the gateway does not know is refused at creation
      let refusedConfig = "";
      await createTopic(gw, `${t}-bad`, { "confluent.value.subject.name.strategy": "MyStrategy" }).catch((
        e,
      ) => refusedConfig = String((e as Error).message));
      assert(refusedConfig !== "", "an unknown strategy was accepted");
    } finally {
      await gw.stop();
    }
  },
});

Deno.test({
  name:
    "schema validation: without a registry the configs are unknown (INVALID_CONFIG), and a validating topic " +
    "created with one refuses its records",
  ...opts,
  fn: async () => {
    const dataDir = await Deno.makeTempDir({ prefix: "kgw-sv-" });
    let gw = await startGateway({ dataDir, args: REGISTRY_ARGS });
    try {
      const t = `sv-none-${Date.now().toString(36)}`;
      await createTopic(gw, t, { "confluent.value.schema.validation": "true" });
      await gw.stop();
      gw = await startGateway({ dataDir });
      let refusedConfig = "";
      await createTopic(gw, `${t}-2`, { "confluent.value.schema.validation": "true" }).catch((e) =>
        refusedConfig = String((e as Error).message)
      );
      assert(refusedConfig !== "", "the config was accepted without a registry");
      const r = await produce(gw, t, [{ value: framed(1) }]);
      assertEquals(r.errorCode, ErrorCode.INVALID_RECORD);
      assert((r.errorMessage ?? "").includes("--schema-registry-listen"), String(r.errorMessage));
    } finally {
      await gw.stop();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name:
    "schema validation against an external registry (--schema-registry-url): ids found over its REST API, " +
    "an unreachable registry is a retriable REQUEST_TIMED_OUT",
  ...opts,
  fn: async () => {
    const registry = await startGateway({ args: REGISTRY_ARGS });
    const gw = await startGateway({ args: ["--schema-registry-url", registryUrl(registry)] });
    try {
      const t = `sv-ext-${Date.now().toString(36)}`;
      await createTopic(gw, t, { "confluent.value.schema.validation": "true" });
      const good = await register(registry, `${t}-value`, user);
      const other = await register(registry, "not-this-topic", order);
      assertEquals((await produce(gw, t, [{ value: framed(good) }])).errorCode, 0);
      const refused = await produce(gw, t, [{ value: framed(other) }, { value: framed(good) }, {
        value: framed(4242),
      }]);
      assertEquals(refused.errorCode, ErrorCode.INVALID_RECORD);
      assertEquals((refused.recordErrors ?? []).map((e) => e.batchIndex), [0, 2]);
      // RecordNameStrategy needs the schema itself: fetched and parsed here
      const byName = `${t}-rn`;
      await createTopic(gw, byName, {
        "confluent.value.schema.validation": "true",
        "confluent.value.subject.name.strategy": "RecordNameStrategy",
      });
      const orderId = await register(registry, "kgw.test.Order", order);
      assertEquals((await produce(gw, byName, [{ value: framed(orderId) }])).errorCode, 0);
      // a schema registered after the first lookups is found (unknown ids are asked again)
      const later = await register(registry, `${t}-value`, {
        ...user,
        fields: [...user.fields, { name: "e", type: "string", default: "" }],
      });
      assertEquals((await produce(gw, t, [{ value: framed(later) }])).errorCode, 0);

      await registry.stop();
      const down = await produce(gw, t, [{ value: framed(9999) }]);
      assertEquals(down.errorCode, ErrorCode.REQUEST_TIMED_OUT);
      assert((down.errorMessage ?? "").includes("did not answer"), String(down.errorMessage));
    } finally {
      await gw.stop();
      await registry.stop().catch(() => {});
    }
  },
});
