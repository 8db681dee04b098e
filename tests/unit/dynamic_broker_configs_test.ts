// Kafka's dynamic broker configs in the config model: every name Kafka's broker changes at runtime is accepted,
// validated (types, ranges, Kafka's per-broker / per-listener / thread-count rules and messages), stored durably and
// described, never as read-only; passwords are stored and never shown; the documentation says which take effect.
import { assert, assertEquals } from "./assert.ts";
import { loadConfig } from "../../src/configs/options.ts";
import { ConfigModel } from "../../src/configs/model.ts";
import {
  BROKER_CONFIGS,
  brokerDoc,
  ConfigSource,
  isDynamicBrokerConfig,
  resolveBrokerConfig,
} from "../../src/configs/defs.ts";
import { ErrorCode, KafkaError } from "../../src/protocol/errors.ts";
import { EmbeddedStorage } from "../../src/storage/embedded/embedded.ts";

/** Kafka 3.9's DynamicBrokerConfig.AllDynamicConfigs plus DynamicConfig.Broker's quotas, written out from its source. */
const KAFKA_39_DYNAMIC = [
  // SslConfigs.RECONFIGURABLE_CONFIGS (per listener only)
  "ssl.keystore.type",
  "ssl.keystore.location",
  "ssl.keystore.password",
  "ssl.key.password",
  "ssl.truststore.type",
  "ssl.truststore.location",
  "ssl.truststore.password",
  "ssl.keystore.certificate.chain",
  "ssl.keystore.key",
  "ssl.truststore.certificates",
  // LogCleaner.ReconfigurableConfigs
  "log.cleaner.threads",
  "log.cleaner.dedupe.buffer.size",
  "log.cleaner.io.buffer.load.factor",
  "log.cleaner.io.buffer.size",
  "log.cleaner.io.max.bytes.per.second",
  "log.cleaner.backoff.ms",
  // DynamicLogConfig: the first broker synonym of each topic config but message.format.version
  "log.segment.bytes",
  "log.roll.ms",
  "log.roll.jitter.ms",
  "log.index.size.max.bytes",
  "log.flush.interval.messages",
  "log.flush.interval.ms",
  "log.retention.bytes",
  "log.retention.ms",
  "message.max.bytes",
  "log.index.interval.bytes",
  "log.cleaner.delete.retention.ms",
  "log.cleaner.min.compaction.lag.ms",
  "log.cleaner.max.compaction.lag.ms",
  "log.segment.delete.delay.ms",
  "log.cleaner.min.cleanable.ratio",
  "log.cleanup.policy",
  "unclean.leader.election.enable",
  "min.insync.replicas",
  "compression.type",
  "compression.gzip.level",
  "compression.lz4.level",
  "compression.zstd.level",
  "log.preallocate",
  "log.message.timestamp.type",
  "log.message.timestamp.difference.max.ms",
  "log.message.timestamp.before.max.ms",
  "log.message.timestamp.after.max.ms",
  "log.message.downconversion.enable",
  "log.local.retention.ms",
  "log.local.retention.bytes",
  // DynamicThreadPool, metric reporters
  "num.io.threads",
  "num.replica.fetchers",
  "num.recovery.threads.per.data.dir",
  "background.threads",
  "metric.reporters",
  // DynamicListenerConfig
  "advertised.listeners",
  "listeners",
  "listener.security.protocol.map",
  "principal.builder.class",
  "ssl.protocol",
  "ssl.provider",
  "ssl.cipher.suites",
  "ssl.enabled.protocols",
  "ssl.keymanager.algorithm",
  "ssl.trustmanager.algorithm",
  "ssl.endpoint.identification.algorithm",
  "ssl.secure.random.implementation",
  "ssl.client.auth",
  "ssl.engine.factory.class",
  "sasl.mechanism.inter.broker.protocol",
  "sasl.jaas.config",
  "sasl.enabled.mechanisms",
  "sasl.kerberos.service.name",
  "sasl.kerberos.kinit.cmd",
  "sasl.kerberos.ticket.renew.window.factor",
  "sasl.kerberos.ticket.renew.jitter",
  "sasl.kerberos.min.time.before.relogin",
  "sasl.kerberos.principal.to.local.rules",
  "sasl.login.refresh.window.factor",
  "sasl.login.refresh.window.jitter",
  "sasl.login.refresh.min.period.seconds",
  "sasl.login.refresh.buffer.seconds",
  "max.connections",
  "max.connection.creation.rate",
  "num.network.threads",
  // SocketServer.ReconfigurableConfigs, producer state, remote log
  "max.connections.per.ip",
  "max.connections.per.ip.overrides",
  "producer.id.expiration.ms",
  "transaction.partition.verification.enable",
  "remote.log.index.file.cache.total.size.bytes",
  "remote.fetch.max.wait.ms",
  "remote.log.manager.copy.max.bytes.per.second",
  "remote.log.manager.fetch.max.bytes.per.second",
  // QuotaConfigs.brokerQuotaConfigs
  "leader.replication.throttled.rate",
  "follower.replication.throttled.rate",
  "replica.alter.log.dirs.io.max.bytes.per.second",
];
/** Made dynamic by Kafka 4.0 (DynamicRemoteLogConfig, KIP-1105). */
const KAFKA_40_DYNAMIC = [
  "remote.list.offsets.request.timeout.ms",
  "remote.log.manager.copier.thread.pool.size",
  "remote.log.manager.expiration.thread.pool.size",
  "remote.log.reader.threads",
];
/** Kafka's PerBrokerConfigs: DynamicSecurityConfigs and DynamicListenerConfig but the cluster-level ones. */
const KAFKA_PER_BROKER = new Set([
  ...KAFKA_39_DYNAMIC.slice(0, 10),
  ...KAFKA_39_DYNAMIC.slice(
    KAFKA_39_DYNAMIC.indexOf("advertised.listeners"),
    KAFKA_39_DYNAMIC.indexOf("max.connections"),
  ),
]);

async function setup() {
  const dir = await Deno.makeTempDir({ prefix: "dynamic_broker_configs_test_" });
  const cfg =
    loadConfig({ argv: ["--data-dir", dir], env: () => undefined, readFile: () => undefined }).config;
  const open = async () => {
    const storage = new EmbeddedStorage({ dataDir: dir, log: () => {} });
    await storage.open();
    const model = new ConfigModel(cfg, storage);
    model.load();
    return { storage, model };
  };
  return { dir, open };
}

async function kafkaError(p: Promise<unknown>): Promise<KafkaError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof KafkaError) return e;
    throw e;
  }
  throw new Error("expected a KafkaError");
}

const set = (name: string, value: string) => ({ name, op: 0, value });

Deno.test("every broker config Kafka 3.9/4.0 changes at runtime is dynamic here, with Kafka's update mode", () => {
  for (const name of [...KAFKA_39_DYNAMIC, ...KAFKA_40_DYNAMIC]) {
    const r = resolveBrokerConfig(name);
    assert(r !== undefined, `${name} is defined`);
    assert(isDynamicBrokerConfig(r), `${name} is dynamic`);
    assertEquals(r.def.perBroker === true, KAFKA_PER_BROKER.has(name), `${name}: Kafka's update mode`);
  }
  // those the gateway sets from its flags are dynamic too: the flag gives the static value
  for (
    const name of [
      "listeners",
      "log.cleaner.backoff.ms",
      "max.connections",
      "max.connections.per.ip.overrides",
    ]
  ) {
    assert(resolveBrokerConfig(name)!.def.option !== undefined, `${name}: set by a flag`);
  }
  // per-listener names resolve to their base config, SASL mechanism ones too; others are unknown
  assertEquals(
    resolveBrokerConfig("listener.name.sasl_ssl.ssl.keystore.location")?.def.name,
    "ssl.keystore.location",
  );
  assertEquals(
    resolveBrokerConfig("listener.name.sasl_ssl.plain.sasl.jaas.config")?.def.name,
    "sasl.jaas.config",
  );
  assertEquals(
    resolveBrokerConfig("listener.name.sasl_ssl.scram-sha-256.connections.max.reauth.ms")?.def.name,
    "connections.max.reauth.ms",
  );
  assertEquals(resolveBrokerConfig("listener.name.x.num.partitions"), undefined);
  assertEquals(resolveBrokerConfig("listener.name.x.plain.ssl.keystore.location"), undefined);
  // what has no effect says why, in the documentation DescribeConfigs returns
  assert(
    /no effect: this gateway's listeners, TLS and SASL are set by its flags/.test(
      brokerDoc(resolveBrokerConfig("sasl.jaas.config")!.def),
    ),
  );
  assert(!/no effect/.test(brokerDoc(resolveBrokerConfig("log.retention.ms")!.def)));
});

Deno.test("librdkafka 0081: sasl.kerberos.min.time.before.relogin on the broker is accepted, stored, described", async () => {
  const t = await setup();
  let { storage, model } = await t.open();
  // legacy AlterConfigs, as 0081 sends it
  await model.alterBroker("1", [set("sasl.kerberos.min.time.before.relogin", "58000")], false, false);
  assertEquals(storage.brokerConfigs("1"), { "sasl.kerberos.min.time.before.relogin": "58000" });
  await storage.close();
  ({ storage, model } = await t.open());
  const [e] = model.describeBroker("1", ["sasl.kerberos.min.time.before.relogin"], true, true);
  assertEquals([e.value, e.configSource, e.readOnly, e.isSensitive, e.configType], [
    "58000",
    ConfigSource.DYNAMIC_BROKER_CONFIG,
    false,
    false,
    5,
  ]);
  assertEquals(e.synonyms, [
    { name: "sasl.kerberos.min.time.before.relogin", value: "58000", source: 2 },
    { name: "sasl.kerberos.min.time.before.relogin", value: "60000", source: 5 },
  ]);
  assert(
    /^Login thread .* no effect: this gateway's listeners, TLS and SASL are set by its flags/.test(
      e.documentation ?? "",
    ),
  );
  // Kafka's per-broker configs cannot be the cluster-wide default
  const dflt = await kafkaError(
    model.alterBroker("", [set("sasl.kerberos.min.time.before.relogin", "1")], true, false),
  );
  assertEquals([dflt.code, dflt.message], [
    ErrorCode.INVALID_REQUEST,
    "Cannot update these configs at default cluster level, broker id must be specified: " +
    "sasl.kerberos.min.time.before.relogin",
  ]);
  const bad = await kafkaError(
    model.alterBroker("1", [set("sasl.kerberos.min.time.before.relogin", "soon")], true, false),
  );
  assertEquals([bad.code, bad.message], [
    ErrorCode.INVALID_CONFIG,
    "Invalid value soon for configuration sasl.kerberos.min.time.before.relogin: Not a number of type LONG",
  ]);
  await storage.close();
  await Deno.remove(t.dir, { recursive: true });
});

Deno.test("passwords: stored, described sensitive with a null value, hidden from logs; key stores per listener only", async () => {
  const t = await setup();
  let { storage, model } = await t.open();
  const plain = await kafkaError(model.alterBroker("1", [set("ssl.keystore.password", "pw")], true, false));
  assertEquals([plain.code, plain.message], [
    ErrorCode.INVALID_REQUEST,
    "These security configs can be dynamically updated only per-listener using the listener prefix: " +
    "ssl.keystore.password",
  ]);
  await model.alterBroker(
    "1",
    [
      set("listener.name.external.ssl.keystore.password", "pw"),
      set("listener.name.sasl_ssl.plain.sasl.jaas.config", "PlainLoginModule required;"),
      set("sasl.jaas.config", "Krb5LoginModule required;"),
      set("listener.name.external.ssl.client.auth", "required"),
    ],
    true,
    false,
  );
  await storage.close();
  ({ storage, model } = await t.open());
  assertEquals(storage.brokerConfigs("1")["listener.name.external.ssl.keystore.password"], "pw");
  const by = new Map(model.describeBroker("1", null, true, true).map((e) => [e.name, e]));
  for (
    const name of [
      "listener.name.external.ssl.keystore.password",
      "sasl.jaas.config",
      "ssl.truststore.password",
    ]
  ) {
    const e = by.get(name)!;
    assertEquals([e.value, e.isSensitive, e.readOnly, e.configType], [null, true, false, 9], name);
    assert(e.synonyms!.every((s) => s.value === null), name);
  }
  const mech = by.get("listener.name.sasl_ssl.plain.sasl.jaas.config")!;
  assertEquals(mech.synonyms, [
    { name: "listener.name.sasl_ssl.plain.sasl.jaas.config", value: null, source: 2 },
    { name: "sasl.jaas.config", value: null, source: 2 },
  ]);
  const auth = by.get("listener.name.external.ssl.client.auth")!;
  assertEquals([auth.value, auth.synonyms?.map((s) => [s.name, s.value, s.source])], ["required", [
    ["listener.name.external.ssl.client.auth", "required", 2],
    ["ssl.client.auth", "none", 5],
  ]]);
  assertEquals(model.loggableBrokerValue("listener.name.external.ssl.keystore.password", "pw"), "[hidden]");
  assertEquals(model.loggableBrokerValue("num.io.threads", "8"), "8");
  // a per-listener name is per broker too (but connection limits), and its value is checked as its base's
  const dflt = await kafkaError(
    model.alterBroker("", [set("listener.name.external.ssl.client.auth", "none")], true, false),
  );
  assertEquals(dflt.code, ErrorCode.INVALID_REQUEST);
  await model.alterBroker(
    "",
    [set("listener.name.external.max.connection.creation.rate", "10")],
    true,
    false,
  );
  const bad = await kafkaError(
    model.alterBroker("1", [set("listener.name.external.ssl.client.auth", "maybe")], true, false),
  );
  assertEquals(
    bad.message,
    "Invalid value maybe for configuration listener.name.external.ssl.client.auth: " +
      "String must be one of: required, requested, none",
  );
  const mechOnly = await kafkaError(
    model.alterBroker("1", [set("connections.max.reauth.ms", "1000")], true, false),
  );
  assertEquals(mechOnly.message, "Cannot update these configs dynamically: connections.max.reauth.ms");
  await model.alterBroker(
    "1",
    [set("listener.name.sasl_ssl.plain.connections.max.reauth.ms", "1000")],
    true,
    false,
  );
  await storage.close();
  await Deno.remove(t.dir, { recursive: true });
});

Deno.test("thread counts change by at most half or double at once; read-only and unknown names refused; flag-set names dynamic", async () => {
  const t = await setup();
  const { storage, model } = await t.open();
  const msg = async (resource: string, name: string, value: string) =>
    (await kafkaError(model.alterBroker(resource, [set(name, value)], true, false))).message;
  assertEquals(
    await msg("1", "num.io.threads", "17"),
    "Invalid dynamic configuration: Dynamic thread count update validation failed for num.io.threads=17, " +
      "value should not be greater than double the current value 8",
  );
  await model.alterBroker("", [set("num.io.threads", "16")], true, false);
  assertEquals(model.describeBroker("", null).map((e) => [e.name, e.value, e.readOnly]), [
    ["num.io.threads", "16", false],
  ]);
  assertEquals(
    await msg("1", "num.io.threads", "7"),
    "Invalid dynamic configuration: Dynamic thread count update validation failed for num.io.threads=7, " +
      "value should be at least half the current value 16",
  );
  await model.alterBroker("1", [set("num.io.threads", "8")], true, true);
  assertEquals(model.brokerValue("num.io.threads"), "16", "validate_only stores nothing");
  assertEquals(
    await msg("1", "log.cleaner.threads", "3"),
    "Invalid dynamic configuration: Log cleaner threads cannot be increased to more than double the current value 1",
  );
  assertEquals(await msg("1", "broker.id", "5"), "Cannot update these configs dynamically: broker.id");
  assertEquals(
    await msg("", "listeners", "PLAINTEXT://:9093"),
    "Cannot update these configs at default cluster level, broker id must be specified: listeners",
  );
  // the names the gateway also sets from flags: accepted, stored, reported; a watcher sees what acts at runtime
  const seen: (string | null)[] = [];
  model.watchBroker(() => seen.push(model.brokerValue("max.connections")));
  await model.alterBroker(
    "1",
    [set("max.connections", "5"), set("log.cleaner.backoff.ms", "100")],
    true,
    false,
  );
  await model.alterBroker(
    "1",
    [set("listeners", "PLAINTEXT://:9093"), set("log.flush.interval.ms", "10")],
    true,
    false,
  );
  assertEquals(seen, ["10000", "5", "5"]);
  assertEquals(model.brokerValue("listeners"), "PLAINTEXT://:9093");
  assertEquals(
    model.withoutEffect(["max.connections", "log.cleaner.backoff.ms", "listeners", "log.flush.interval.ms"]),
    ["listeners", "log.flush.interval.ms"],
  );
  assertEquals(
    (await kafkaError(model.alterBroker("1", [set("listener.name.x.num.partitions", "1")], true, false)))
      .code,
    ErrorCode.INVALID_CONFIG,
  );
  // Kafka's canonical forms: Java's doubles, lists; APPEND works on a dynamic list
  await model.alterBroker("1", [set("log.cleaner.io.max.bytes.per.second", "1e7")], true, false);
  assertEquals(model.brokerValue("log.cleaner.io.max.bytes.per.second"), "1.0E7");
  await model.alterBroker("1", [{ name: "metric.reporters", op: 2, value: "a.B, c.D" }], true, false);
  assertEquals(model.brokerValue("metric.reporters"), "a.B,c.D");
  assertEquals(model.withoutEffect(["metric.reporters", "log.retention.ms", "min.insync.replicas"]), [
    "metric.reporters",
    "min.insync.replicas",
  ]);
  await storage.close();
  await Deno.remove(t.dir, { recursive: true });
});

Deno.test("docs/operations.md lists exactly the dynamic broker configs that take effect, and those flags also set", async () => {
  const text = await Deno.readTextFile(new URL("../../docs/operations.md", import.meta.url));
  const section = text.split("\n## ").find((s) => s.startsWith("Dynamic broker configs"));
  assert(section !== undefined, "docs/operations.md has a section 'Dynamic broker configs'");
  const listed = (label: string) => {
    const para = section.split("\n\n").find((p) => p.startsWith(label));
    assert(para !== undefined, `a paragraph starting with "${label}"`);
    return [...para.matchAll(/`([a-z0-9.]+)`/g)].map((m) => m[1]).sort();
  };
  const effective = BROKER_CONFIGS.filter((d) => d.dynamic && !d.noEffect).map((d) => d.name).sort();
  assertEquals(listed("Take effect:"), effective);
  const fromFlags = listed("Set by flags too:");
  for (const name of fromFlags) {
    const def = resolveBrokerConfig(name)?.def;
    assert(def?.dynamic === true && def.option !== undefined, `${name}: dynamic and set by a flag`);
  }
});
