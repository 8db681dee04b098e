// The config model: Kafka's value resolution, sources and synonyms (including Kafka's quirks), canonical values,
// validation messages, incremental operations, dynamic broker configs that persist and reach the log at once.
import { assert, assertEquals } from "./assert.ts";
import { type Config, loadConfig } from "../../src/configs/options.ts";
import { ConfigModel } from "../../src/configs/model.ts";
import {
  BROKER_CONFIG_BY_NAME,
  BROKER_CONFIGS,
  ConfigSource,
  parseConfigValue,
  TOPIC_CONFIGS,
} from "../../src/configs/defs.ts";
import { ErrorCode, KafkaError } from "../../src/protocol/errors.ts";
import { EmbeddedStorage } from "../../src/storage/embedded/embedded.ts";
import type { Storage } from "../../src/storage/storage.ts";
import {
  SEAWEEDMQ_FIXED_BROKER_CONFIGS,
  SEAWEEDMQ_FIXED_TOPIC_CONFIGS,
} from "../../src/storage/seaweedmq/fixed_configs.ts";

function config(argv: string[] = []): Config {
  return loadConfig({ argv, env: () => undefined, readFile: () => undefined }).config;
}

async function setup(argv: string[] = []) {
  const dir = await Deno.makeTempDir({ prefix: "config_model_test_" });
  const cfg = config(["--data-dir", dir, ...argv]);
  const storage = new EmbeddedStorage({ dataDir: dir, log: () => {} });
  await storage.open();
  const model = new ConfigModel(cfg, storage);
  model.load();
  return {
    dir,
    cfg,
    storage,
    model,
    async reopen() {
      await storage.close();
      const s2 = new EmbeddedStorage({ dataDir: dir, log: () => {} });
      await s2.open();
      const m2 = new ConfigModel(cfg, s2);
      m2.load();
      return { storage: s2, model: m2 };
    },
    async done(s = storage) {
      await s.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

async function kafkaError(p: Promise<unknown> | (() => unknown)): Promise<KafkaError> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    if (e instanceof KafkaError) return e;
    throw e;
  }
  throw new Error("expected a KafkaError");
}

Deno.test("definitions: Kafka 3.9's topic configs, defaults valid, every synonym a broker config", () => {
  assertEquals(TOPIC_CONFIGS.length, 36);
  for (const d of [...TOPIC_CONFIGS, ...BROKER_CONFIGS]) {
    if (d.default !== null) {
      assertEquals(parseConfigValue(d, d.default).value, d.default, `${d.name} default`);
    }
  }
  for (const d of TOPIC_CONFIGS) {
    for (const s of d.synonyms) assert(BROKER_CONFIG_BY_NAME.has(s.name), `${d.name} -> ${s.name}`);
  }
  // Option-backed broker configs default to what the gateway's own option defaults to.
  const dflt = config();
  for (const d of BROKER_CONFIGS) {
    if (!d.option || d.name.startsWith("log.retention") || d.name === "log.roll.ms") continue;
    if (d.name === "advertised.listeners") continue;
    const v = d.fromOption ? d.fromOption(dflt) : String(dflt[d.option]);
    if (v !== null) assertEquals(v, d.default, d.name);
  }
});

Deno.test("parseConfigValue: canonical forms and Kafka's messages", () => {
  const def = (name: string) => TOPIC_CONFIGS.find((d) => d.name === name)!;
  assertEquals(parseConfigValue(def("retention.ms"), " +5000 ").value, "5000");
  assertEquals(parseConfigValue(def("preallocate"), "TRUE").value, "true");
  assertEquals(parseConfigValue(def("min.cleanable.dirty.ratio"), "1").value, "1.0");
  assertEquals(parseConfigValue(def("cleanup.policy"), "compact , delete").value, "compact,delete");
  assertEquals(parseConfigValue(def("flush.ms"), "9223372036854775807").value, "9223372036854775807");
  const msg = (name: string, v: string) => {
    try {
      parseConfigValue(def(name), v);
    } catch (e) {
      return (e as Error).message;
    }
    return "ok";
  };
  assertEquals(
    msg("segment.bytes", "10"),
    "Invalid value 10 for configuration segment.bytes: Value must be at least 14",
  );
  assertEquals(
    msg("segment.bytes", "x"),
    "Invalid value x for configuration segment.bytes: Not a number of type INT",
  );
  assertEquals(
    msg("flush.ms", "9223372036854775808"),
    "Invalid value 9223372036854775808 for configuration flush.ms: Not a number of type LONG",
  );
  assertEquals(
    msg("cleanup.policy", "delete,bogus"),
    "Invalid value delete,bogus for configuration cleanup.policy: String must be one of: compact, delete",
  );
  assertEquals(
    msg("compression.type", "brotli"),
    "Invalid value brotli for configuration compression.type: String must be one of: uncompressed, zstd, lz4, snappy, gzip, producer",
  );
  assertEquals(
    msg("preallocate", "yes"),
    "Invalid value yes for configuration preallocate: Expected value to be either true or false",
  );
  assertEquals(
    msg("compression.gzip.level", "0"),
    "Invalid value 0 for configuration compression.gzip.level: Value must be between 1 and 9 or equal to -1",
  );
  assertEquals(msg("leader.replication.throttled.replicas", "0:1,1:1"), "ok");
  assertEquals(msg("leader.replication.throttled.replicas", "*"), "ok");
});

Deno.test("topic configs: defaults, static and dynamic broker values, overrides, synonyms as Kafka orders them", async () => {
  const t = await setup(["--retention-ms", "3600000", "--compression-type", "lz4"]);
  const { model, storage } = t;
  await storage.createTopic("t", 1, { "segment.bytes": "1000" });
  const get = (name: string) => model.describeTopic(storage.getTopic("t")!.configs, [name], true, true)[0];

  // Kafka default: source DEFAULT_CONFIG; retention.ms lists no synonyms when log.retention.ms is unset.
  const segMs = get("segment.ms");
  assertEquals([segMs.value, segMs.configSource, segMs.isDefault], [
    "604800000",
    ConfigSource.DEFAULT_CONFIG,
    true,
  ]);
  assertEquals(segMs.synonyms, []);
  assertEquals(get("max.message.bytes").synonyms, [{
    name: "message.max.bytes",
    value: "1048588",
    source: 5,
  }]);
  assertEquals(get("max.message.bytes").configType, 3);
  assert((get("max.message.bytes").documentation ?? "").length > 0);
  // Static (flags): STATIC_BROKER_CONFIG.
  const ret = get("retention.ms");
  assertEquals([ret.value, ret.configSource], ["3600000", ConfigSource.STATIC_BROKER_CONFIG]);
  assertEquals(ret.synonyms, [
    { name: "log.retention.ms", value: "3600000", source: 4 },
    { name: "log.retention.hours", value: "168", source: 5 },
  ]);
  assertEquals(get("compression.type").value, "lz4");
  // Override: TOPIC_CONFIG first.
  const seg = get("segment.bytes");
  assertEquals([seg.value, seg.configSource, seg.readOnly, seg.isSensitive], ["1000", 1, false, false]);
  assertEquals(seg.synonyms?.[0], { name: "segment.bytes", value: "1000", source: 1 });
  assertEquals(seg.synonyms?.[1], { name: "log.segment.bytes", value: "1073741824", source: 5 });
  // All 36 configs without synonyms or docs when not asked.
  const all = model.describeTopic(storage.getTopic("t")!.configs, null);
  assertEquals(all.length, 36);
  assert(all.every((c) => c.synonyms?.length === 0 && c.documentation === null));

  // Dynamic cluster default beats static; per-broker beats the cluster default.
  await model.alterBroker("", [{ name: "log.retention.hours", op: 0, value: "2" }], true, false);
  assertEquals(
    get("retention.ms").value,
    "3600000",
    "log.retention.ms (static) still outranks log.retention.hours",
  );
  await model.alterBroker("", [{ name: "log.retention.ms", op: 0, value: "120000" }], true, false);
  assertEquals([get("retention.ms").value, get("retention.ms").configSource], ["120000", 3]);
  await model.alterBroker("1", [{ name: "log.retention.ms", op: 0, value: "60000" }], true, false);
  assertEquals([get("retention.ms").value, get("retention.ms").configSource], ["60000", 2]);
  assertEquals(get("retention.ms").synonyms?.map((s) => [s.name, s.value, s.source]), [
    ["log.retention.ms", "60000", 2],
    ["log.retention.ms", "120000", 3],
    ["log.retention.hours", "2", 3],
    ["log.retention.ms", "3600000", 4],
    ["log.retention.hours", "168", 5],
  ]);
  // The log sees the new default at once.
  assertEquals(model.topicDefaults()["retention.ms"], "60000");
  await t.done();
});

Deno.test("broker resource: values, sources, read-only flags; '' lists the dynamic defaults only", async () => {
  const t = await setup(["--num-partitions", "3"]);
  const { model } = t;
  const all = model.describeBroker("1", null, true, false);
  const by = new Map(all.map((e) => [e.name, e]));
  assertEquals([by.get("num.partitions")!.value, by.get("num.partitions")!.configSource], ["3", 4]);
  assertEquals(by.get("num.partitions")!.readOnly, true);
  assertEquals([by.get("message.max.bytes")!.value, by.get("message.max.bytes")!.configSource], [
    "1048588",
    5,
  ]);
  assertEquals(by.get("message.max.bytes")!.readOnly, false);
  assertEquals(by.get("log.retention.ms")!.value, null);
  assertEquals(by.get("log.dirs")!.value, t.dir);
  assertEquals(by.get("log.dirs")!.configSource, 4);
  assertEquals(model.describeBroker("", null), []);
  assertEquals((await kafkaError(() => model.describeBroker("2", null))).code, ErrorCode.INVALID_REQUEST);
  assertEquals((await kafkaError(() => model.describeBroker("x", null))).code, ErrorCode.INVALID_REQUEST);

  await model.alterBroker("", [{ name: "message.max.bytes", op: 0, value: "2000000" }], true, false);
  const d = model.describeBroker("", null, true);
  assertEquals(d.map((e) => [e.name, e.value, e.configSource]), [["message.max.bytes", "2000000", 3]]);
  assertEquals(d[0].synonyms, [{ name: "message.max.bytes", value: "2000000", source: 3 }]);
  assertEquals(model.brokerValue("message.max.bytes"), "2000000");

  const ro = await kafkaError(
    model.alterBroker("1", [{ name: "num.partitions", op: 0, value: "5" }], true, false),
  );
  assertEquals([ro.code, ro.message], [
    ErrorCode.INVALID_REQUEST,
    "Cannot update these configs dynamically: num.partitions",
  ]);
  const bad = await kafkaError(
    model.alterBroker("", [{ name: "log.segment.bytes", op: 0, value: "1" }], true, false),
  );
  assertEquals([bad.code, bad.message], [
    ErrorCode.INVALID_CONFIG,
    "Invalid value 1 for configuration log.segment.bytes: Value must be at least 14",
  ]);
  const unknown = await kafkaError(
    model.alterBroker("", [{ name: "foo.bar", op: 0, value: "1" }], true, false),
  );
  assertEquals(unknown.code, ErrorCode.INVALID_CONFIG);

  // Persisted: a restart keeps the dynamic default.
  const r = await t.reopen();
  assertEquals(r.model.brokerValue("message.max.bytes"), "2000000");
  await t.done(r.storage);
});

Deno.test("alterTopic: SET, DELETE, APPEND, SUBTRACT, legacy replace-all, validate_only, errors naming the key", async () => {
  const t = await setup();
  const { model, storage } = t;
  await storage.createTopic("t", 1, { "retention.ms": "1000" });
  const cfg = () => storage.getTopic("t")!.configs;
  await model.alterTopic("t", [{ name: "cleanup.policy", op: 2, value: "compact" }], true, false);
  assertEquals(cfg(), { "retention.ms": "1000", "cleanup.policy": "delete,compact" });
  await model.alterTopic("t", [{ name: "cleanup.policy", op: 3, value: "delete" }], true, false);
  assertEquals(cfg()["cleanup.policy"], "compact");
  await model.alterTopic(
    "t",
    [
      { name: "retention.ms", op: 1, value: null },
      { name: "segment.ms", op: 0, value: "+60000" },
    ],
    true,
    false,
  );
  assertEquals(cfg(), { "cleanup.policy": "compact", "segment.ms": "60000" });
  await model.alterTopic("t", [{ name: "segment.ms", op: 0, value: "1" }], true, true);
  assertEquals(cfg()["segment.ms"], "60000", "validate_only changes nothing");
  await model.alterTopic("t", [{ name: "max.message.bytes", op: 0, value: "5000" }], false, false);
  assertEquals(cfg(), { "max.message.bytes": "5000" }, "legacy AlterConfigs replaces the whole set");

  const cases: [number, string, number, string | null, number, string][] = [
    [
      0,
      "retention.ms",
      0,
      "abc",
      ErrorCode.INVALID_CONFIG,
      "Invalid value abc for configuration retention.ms: Not a number of type LONG",
    ],
    [0, "nope", 0, "1", ErrorCode.INVALID_CONFIG, "Unknown topic config name: nope"],
    [
      0,
      "retention.ms",
      2,
      "5",
      ErrorCode.INVALID_CONFIG,
      "Can't APPEND to key retention.ms because its type is not LIST.",
    ],
    [0, "retention.ms", 0, null, ErrorCode.INVALID_REQUEST, "Null value not supported for : retention.ms"],
    [0, "retention.ms", 9, "5", ErrorCode.INVALID_REQUEST, "Unknown operations type 9"],
  ];
  for (const [, name, op, value, code, message] of cases) {
    const e = await kafkaError(model.alterTopic("t", [{ name, op, value }], true, false));
    assertEquals([e.code, e.message], [code, message], `${name} op ${op}`);
  }
  const dup = await kafkaError(model.alterTopic(
    "t",
    [
      { name: "retention.ms", op: 0, value: "1" },
      { name: "retention.ms", op: 0, value: "2" },
    ],
    true,
    false,
  ));
  assertEquals(dup.code, ErrorCode.INVALID_REQUEST);
  assertEquals(
    (await kafkaError(model.alterTopic("none", [], true, false))).code,
    ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  );
  assertEquals(cfg(), { "max.message.bytes": "5000" });
  await t.done();
});

Deno.test("policy: cached per topic configs, invalidated by broker changes", async () => {
  const t = await setup(["--compression-type", "zstd"]);
  const { model, storage } = t;
  const meta = await storage.createTopic("t", 1, { "cleanup.policy": "compact,delete" });
  const p1 = model.policy(meta);
  assertEquals(p1, {
    maxMessageBytes: 1048588,
    logAppendTime: false,
    codec: 4,
    zstdLevel: 3,
    compact: true,
    delete: true,
    schemas: null,
  });
  assert(model.policy(meta) === p1, "cached");
  await model.alterBroker(
    "",
    [
      { name: "message.max.bytes", op: 0, value: "4096" },
      { name: "log.message.timestamp.type", op: 0, value: "LogAppendTime" },
    ],
    true,
    false,
  );
  const p2 = model.policy(meta);
  assertEquals([p2.maxMessageBytes, p2.logAppendTime], [4096, true]);
  await model.alterTopic("t", [{ name: "compression.type", op: 0, value: "producer" }], true, false);
  assertEquals(model.policy(storage.getTopic("t")!).codec, -1);
  await t.done();
});

/** An embedded log that, like the SeaweedMQ backend, cannot apply some configs (a fake fixed map). */
class FixedStorage extends EmbeddedStorage {
  readonly fixedTopicConfigs = {
    "cleanup.policy": { value: "delete", reason: "no compaction here" },
    "segment.bytes": { value: null, reason: "files are not ours" },
    "segment.ms": { value: null, reason: "files are not ours" },
    "file.delete.delay.ms": { value: "0", reason: "deleted at once" },
  };
  readonly fixedBrokerConfigs = { "log.cleaner.enable": { value: "false", reason: "no compaction here" } };
}

async function setupFixed(argv: string[] = []) {
  const dir = await Deno.makeTempDir({ prefix: "config_model_fixed_" });
  const warnings: string[] = [];
  const storage = new FixedStorage({ dataDir: dir, log: () => {} });
  await storage.open();
  const model = new ConfigModel(config(["--data-dir", dir, ...argv]), storage, {
    warn: (msg, props) => warnings.push(msg.replace(/\{(\w+)\}/g, (_, k) => String(props?.[k]))),
  });
  model.load();
  return {
    storage,
    model,
    warnings,
    async done() {
      await storage.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("fixed configs: read-only with the backend's value, default source, reason in the docs", async () => {
  const t = await setupFixed(["--cleanup-policy", "compact", "--segment-bytes", "1000000"]);
  const { model, storage } = t;
  // a flag the backend cannot honour is reported, not silently applied
  assertEquals(t.warnings, [
    "log.cleanup.policy=compact has no effect on the embedded backend: no compaction here",
    "log.segment.bytes=1000000 has no effect on the embedded backend: files are not ours",
  ]);
  // overrides stored before (straight into the backend) have no effect and are not shown
  const meta = await storage.createTopic("t", 1, { "cleanup.policy": "compact", "retention.ms": "1000" });
  const get = (name: string) => model.describeTopic(meta.configs, [name], true, true)[0];
  const cp = get("cleanup.policy");
  assertEquals([cp.value, cp.readOnly, cp.configSource, cp.isDefault], [
    "delete",
    true,
    ConfigSource.DEFAULT_CONFIG,
    true,
  ]);
  assertEquals(cp.synonyms, [{ name: "log.cleanup.policy", value: "delete", source: 5 }]);
  assertEquals(cp.documentation, "Read-only on the embedded backend: no compaction here.");
  const seg = get("segment.bytes");
  assertEquals([seg.value, seg.readOnly, seg.configSource, seg.synonyms], [null, true, 5, []]);
  assertEquals(get("segment.ms").synonyms, [], "log.roll.hours (scaled) has no value either");
  assertEquals([get("file.delete.delay.ms").value, get("file.delete.delay.ms").readOnly], ["0", true]);
  const ret = get("retention.ms");
  assertEquals([ret.value, ret.readOnly, ret.configSource], ["1000", false, ConfigSource.TOPIC_CONFIG]);
  assert(!/Read-only/.test(ret.documentation ?? ""));
  // what the rest of the gateway sees
  assertEquals(model.topicValue(meta.configs, "cleanup.policy"), "delete");
  assertEquals(model.topicValue(meta.configs, "segment.bytes"), null);
  assertEquals([model.policy(meta).compact, model.policy(meta).delete], [false, true]);
  assertEquals(model.topicDefaults()["cleanup.policy"], "delete");
  assert(!("segment.bytes" in model.topicDefaults()));
  assertEquals(model.fixedTopicConfig("segment.ms")?.reason, "files are not ours");
  assertEquals(model.fixedTopicConfig("retention.ms"), undefined);

  // broker resource: the synonyms and the backend's own broker configs are read-only too
  const by = new Map(model.describeBroker("1", null, true, true).map((e) => [e.name, e]));
  const row = (k: string) => [by.get(k)!.value, by.get(k)!.readOnly, by.get(k)!.configSource];
  assertEquals(row("log.segment.bytes"), [null, true, 5]);
  assertEquals(row("log.cleanup.policy"), ["delete", true, 5]);
  assertEquals(row("log.roll.hours"), [null, true, 5]);
  assertEquals(row("log.segment.delete.delay.ms"), ["0", true, 5]);
  assertEquals(row("log.cleaner.enable"), ["false", true, 5]);
  assertEquals(row("log.retention.hours"), ["168", false, 5]);
  assertEquals(
    by.get("log.segment.bytes")!.documentation,
    "Read-only on the embedded backend: files are not ours.",
  );
  assertEquals(model.brokerValue("log.segment.bytes"), null);
  await t.done();
});

Deno.test("fixed configs: other values refused naming the key and why, everywhere; equal ones not stored", async () => {
  const t = await setupFixed();
  const { model, storage } = t;
  // CreateTopics
  const compact = await kafkaError(() => model.acceptTopicConfigs({ "cleanup.policy": "compact" }));
  assertEquals([compact.code, compact.message], [
    ErrorCode.INVALID_CONFIG,
    "cleanup.policy=compact is not supported on the embedded backend: no compaction here " +
    "(only cleanup.policy=delete is accepted)",
  ]);
  const seg = await kafkaError(() => model.validateTopicConfigs([{ name: "segment.bytes", value: "2000" }]));
  assertEquals(
    seg.message,
    "segment.bytes=2000 is not supported on the embedded backend: files are not ours",
  );
  assertEquals(model.acceptTopicConfigs({ "cleanup.policy": "delete", "retention.ms": "5" }), {
    "retention.ms": "5",
  });
  // bad values still fail on the value first, as Kafka's validation
  const bad = await kafkaError(() => model.validateTopicConfigs([{ name: "segment.bytes", value: "x" }]));
  assert(/Invalid value x for configuration segment.bytes/.test(bad.message), bad.message);

  // AlterConfigs / IncrementalAlterConfigs, validate_only included; a stale stored override is dropped
  await storage.createTopic("t", 1, { "segment.bytes": "1000", "retention.ms": "1000" });
  for (const validateOnly of [true, false]) {
    const e = await kafkaError(
      model.alterTopic("t", [{ name: "segment.ms", op: 0, value: "1000" }], true, validateOnly),
    );
    assertEquals([e.code, e.message], [
      ErrorCode.INVALID_CONFIG,
      "segment.ms=1000 is not supported on the embedded backend: files are not ours",
    ]);
  }
  const append = await kafkaError(
    model.alterTopic("t", [{ name: "cleanup.policy", op: 2, value: "compact" }], true, false),
  );
  assert(/^cleanup.policy=delete,compact is not supported/.test(append.message), append.message);
  const subtract = await kafkaError(
    model.alterTopic("t", [{ name: "cleanup.policy", op: 3, value: "delete" }], true, false),
  );
  assert(/^cleanup.policy= is not supported/.test(subtract.message), subtract.message);
  await model.alterTopic("t", [{ name: "cleanup.policy", op: 0, value: "delete" }], true, false);
  await model.alterTopic("t", [{ name: "segment.bytes", op: 1, value: null }], true, false);
  await model.alterTopic("t", [{ name: "retention.ms", op: 0, value: "2000" }], true, false);
  assertEquals(storage.getTopic("t")!.configs, { "retention.ms": "2000" });
  const legacy = await kafkaError(
    model.alterTopic("t", [{ name: "cleanup.policy", op: 0, value: "compact,delete" }], false, false),
  );
  assertEquals(legacy.code, ErrorCode.INVALID_CONFIG);
  assertEquals(storage.getTopic("t")!.configs, { "retention.ms": "2000" }, "nothing changed");

  // dynamic broker configs: the synonyms refuse other values; equal ones are not stored
  const brokerSeg = await kafkaError(
    model.alterBroker("", [{ name: "log.segment.bytes", op: 0, value: "1000000" }], true, false),
  );
  assertEquals([brokerSeg.code, brokerSeg.message], [
    ErrorCode.INVALID_CONFIG,
    "log.segment.bytes=1000000 is not supported on the embedded backend: files are not ours",
  ]);
  await model.alterBroker("", [{ name: "log.cleanup.policy", op: 0, value: "delete" }], true, false);
  await model.alterBroker("", [{ name: "log.retention.ms", op: 0, value: "60000" }], true, false);
  assertEquals(storage.brokerConfigs(""), { "log.retention.ms": "60000" });
  assertEquals(model.describeBroker("", null).map((e) => e.name), ["log.retention.ms"]);
  // read-only broker configs keep Kafka's answer (INVALID_REQUEST), fixed or not
  const enable = await kafkaError(
    model.alterBroker("1", [{ name: "log.cleaner.enable", op: 0, value: "true" }], true, false),
  );
  assertEquals(enable.code, ErrorCode.INVALID_REQUEST);
  await t.done();
});

Deno.test("SeaweedMQ's fixed configs are topic configs with canonical values; the embedded log has none", () => {
  for (const [name, fixed] of Object.entries(SEAWEEDMQ_FIXED_TOPIC_CONFIGS)) {
    const def = TOPIC_CONFIGS.find((d) => d.name === name);
    assert(def, `${name} is a topic config`);
    if (fixed.value !== null) assertEquals(parseConfigValue(def, fixed.value).value, fixed.value, name);
    assert(fixed.reason.length > 0);
  }
  for (const [name, fixed] of Object.entries(SEAWEEDMQ_FIXED_BROKER_CONFIGS)) {
    const def = BROKER_CONFIG_BY_NAME.get(name);
    assert(def, `${name} is a broker config`);
    if (fixed.value !== null) assertEquals(parseConfigValue(def, fixed.value).value, fixed.value, name);
  }
  // what SeaweedMQ applies stays settable
  for (const k of ["retention.ms", "retention.bytes", "max.message.bytes", "compression.type"]) {
    assert(!(k in SEAWEEDMQ_FIXED_TOPIC_CONFIGS), k);
  }
  const embedded: Storage = new EmbeddedStorage({ dataDir: "/nonexistent", log: () => {} });
  assertEquals([embedded.fixedTopicConfigs, embedded.fixedBrokerConfigs], [undefined, undefined]);
});

Deno.test("schema validation configs exist only on a gateway with a schema registry, and set the policy", async () => {
  const plain = await setup();
  try {
    assertEquals(plain.model.describeTopic({}, null).length, 36);
    assertEquals(
      (await kafkaError(() => plain.model.validateTopicConfig("confluent.value.schema.validation", "true")))
        .code,
      ErrorCode.INVALID_CONFIG,
    );
  } finally {
    await plain.done();
  }
  const t = await setup(["--schema-registry-url", "http://registry:8081"]);
  try {
    const { model, storage } = t;
    assertEquals(model.describeTopic({}, null).length, 40);
    assertEquals(model.validateTopicConfig("confluent.value.schema.validation", "TRUE"), "true");
    assertEquals(
      (await kafkaError(() => model.validateTopicConfig("confluent.key.subject.name.strategy", "Mine"))).code,
      ErrorCode.INVALID_CONFIG,
    );
    const meta = await storage.createTopic("v", 1, {
      "confluent.value.schema.validation": "true",
      "confluent.value.subject.name.strategy": "io.confluent.kafka.serializers.subject.RecordNameStrategy",
    });
    assertEquals(model.policy(meta).schemas, { key: null, value: "RecordNameStrategy" });
    assertEquals(model.policy(await storage.createTopic("w", 1, {})).schemas, null);
  } finally {
    await t.done();
  }
});
