// Group configs (src/configs/group_configs.ts): Kafka 4.1's names, defaults taken from the broker's settings,
// Kafka's checks and messages (compared with Apache Kafka 4.1.1's kafka-configs answers), incremental and legacy
// alterations, the durable document shared by gateways, and the per-group timings KIP-848 groups read.
import { assert, assertEquals, assertRejects, assertThrows } from "./assert.ts";
import { loadConfig } from "../../src/configs/options.ts";
import { logger } from "../../src/log.ts";
import { MemoryDocuments } from "../../src/storage/documents.ts";
import { decodeGroupConfigs, GROUP_CONFIG_DOCUMENT, GroupConfigs } from "../../src/configs/group_configs.ts";
import { ConfigSource } from "../../src/configs/defs.ts";
import { ErrorCode, KafkaError } from "../../src/protocol/errors.ts";
import { OP_APPEND, OP_DELETE, OP_SET } from "../../src/configs/alterations.ts";

const log = logger("test");

function configOf(...argv: string[]) {
  return loadConfig({ argv, env: () => undefined, readFile: () => undefined }).config;
}

async function open(docs = new MemoryDocuments(), ...argv: string[]): Promise<GroupConfigs> {
  const g = new GroupConfigs(docs, configOf(...argv), log, 0);
  await g.load();
  return g;
}

const set = (name: string, value: string) => ({ name, op: OP_SET, value });

/** The INVALID_CONFIG message an alteration is refused with. */
async function refusal(g: GroupConfigs, ...ops: { name: string; op: number; value: string | null }[]) {
  const e = await assertRejects(() => g.alter("g1", ops, true, false), KafkaError);
  assertEquals((e as KafkaError).code, ErrorCode.INVALID_CONFIG, e.message);
  return e.message;
}

Deno.test("group configs: every Kafka 4.1 name and 4.3's, defaults from the broker's settings, source DEFAULT_CONFIG", async () => {
  const g = await open(undefined, "--group-consumer-session-timeout-ms", "50000");
  const all = g.describe("no-such-group", null, true, true);
  assertEquals(all.map((e) => `${e.name}=${e.value}`), [
    "consumer.assignment.interval.ms=1000",
    "consumer.heartbeat.interval.ms=5000",
    "consumer.session.timeout.ms=50000",
    "share.assignment.interval.ms=1000",
    "share.auto.offset.reset=latest",
    "share.delivery.count.limit=5",
    "share.heartbeat.interval.ms=5000",
    "share.isolation.level=read_uncommitted",
    "share.partition.max.record.locks=2000",
    "share.record.lock.duration.ms=30000",
    "share.renew.acknowledge.enable=true",
    "share.session.timeout.ms=45000",
    "streams.assignment.interval.ms=1000",
    "streams.heartbeat.interval.ms=5000",
    "streams.initial.rebalance.delay.ms=3000",
    "streams.num.standby.replicas=0",
    "streams.session.timeout.ms=45000",
  ]);
  for (const e of all) {
    assertEquals(e.configSource, ConfigSource.DEFAULT_CONFIG, e.name);
    assert(e.isDefault && !e.readOnly && !e.isSensitive, e.name);
    assertEquals(e.synonyms, [{ name: e.name, value: e.value, source: ConfigSource.DEFAULT_CONFIG }]);
  }
  const types = Object.fromEntries(all.map((e) => [e.name, e.configType]));
  assertEquals(
    [
      types["consumer.session.timeout.ms"],
      types["share.isolation.level"],
      types["share.renew.acknowledge.enable"],
    ],
    [3, 2, 1], // INT, STRING, BOOLEAN
  );
  const doc = (n: string) => all.find((e) => e.name === n)!.documentation!;
  assert(
    doc("share.record.lock.duration.ms").includes("group.share.enable"),
    "share configs say where they act",
  );
  assert(
    doc("share.isolation.level").includes("group.share.enable"),
    "read_committed is served for share groups",
  );
  assert(!doc("consumer.session.timeout.ms").includes("no effect"), "consumer configs act");
  assertEquals(g.describe("x", ["share.isolation.level", "nope"]).map((e) => e.name), [
    "share.isolation.level",
  ]);
  assertEquals(g.describe("x", ["share.isolation.level"])[0].synonyms, [], "synonyms only when asked");
});

Deno.test("group configs: Kafka's checks and messages", async () => {
  const g = await open();
  assertEquals(
    await refusal(g, set("consumer.session.timeout.ms", "70000")),
    "consumer.session.timeout.ms must be less than or equal to group.consumer.max.session.timeout.ms",
  );
  assertEquals(
    await refusal(g, set("consumer.session.timeout.ms", "abc")),
    "Invalid value abc for configuration consumer.session.timeout.ms: Not a number of type INT",
  );
  assertEquals(
    await refusal(g, set("consumer.session.timeout.ms", "0")),
    "Invalid value 0 for configuration consumer.session.timeout.ms: Value must be at least 1",
  );
  assertEquals(await refusal(g, set("foo.bar", "1")), "Unknown group config name: foo.bar");
  assertEquals(
    await refusal(g, set("consumer.heartbeat.interval.ms", "4000")),
    "consumer.heartbeat.interval.ms must be greater than or equal to group.consumer.min.heartbeat.interval.ms",
  );
  assertEquals(
    await refusal(g, set("share.record.lock.duration.ms", "10000")),
    "share.record.lock.duration.ms must be greater than or equal to group.share.min.record.lock.duration.ms",
  );
  assertEquals(
    await refusal(g, set("share.auto.offset.reset", "sometimes")),
    "Invalid value sometimes for configuration share.auto.offset.reset: Invalid value `sometimes` for " +
      "configuration share.auto.offset.reset. The value must be either 'earliest', 'latest' or of the format " +
      "'by_duration:<PnDTnHnMn.nS>'.",
  );
  assertEquals(
    await refusal(g, set("share.delivery.count.limit", "1")),
    "share.delivery.count.limit must be greater than or equal to group.share.min.delivery.count.limit",
  );
  assertEquals(
    await refusal(g, set("share.delivery.count.limit", "11")),
    "share.delivery.count.limit must be less than or equal to group.share.max.delivery.count.limit",
  );
  assertEquals(
    await refusal(g, set("share.partition.max.record.locks", "5000")),
    "share.partition.max.record.locks must be less than or equal to group.share.max.partition.max.record.locks",
  );
  assertEquals(
    await refusal(g, set("share.renew.acknowledge.enable", "maybe")),
    "Invalid value maybe for configuration share.renew.acknowledge.enable: Expected value to be either true or false",
  );
  assertEquals(
    await refusal(g, set("consumer.assignment.interval.ms", "15001")),
    "consumer.assignment.interval.ms must be less than or equal to group.consumer.max.assignment.interval.ms",
  );
  assertEquals(
    await refusal(g, set("share.assignment.interval.ms", "-1")),
    "Invalid value -1 for configuration share.assignment.interval.ms: Value must be at least 0",
  );
  // 0 is the least assignment interval and initial rebalance delay (another group: g1 must hold nothing)
  await g.alter(
    "g2",
    [set("streams.assignment.interval.ms", "0"), set("streams.initial.rebalance.delay.ms", "0")],
    true,
    false,
  );
  assertEquals(
    g.describe("g2", ["streams.assignment.interval.ms", "streams.initial.rebalance.delay.ms"], false, false)
      .map((e) => `${e.name}=${e.value}`),
    ["streams.assignment.interval.ms=0", "streams.initial.rebalance.delay.ms=0"],
  );
  assertEquals(
    await refusal(g, set("streams.num.standby.replicas", "5")),
    "streams.num.standby.replicas must be less than or equal to group.streams.max.standby.replicas",
  );
  assertEquals(
    await refusal(g, { name: "consumer.session.timeout.ms", op: OP_APPEND, value: "1" }),
    "Can't APPEND to key consumer.session.timeout.ms because its type is not LIST.",
  );
  assertEquals(g.overrides("g1"), {}, "nothing refused was stored");
  // the bounds are the broker's: a gateway with shorter sessions allows them, and then the pair rule shows
  const short = await open(
    undefined,
    "--group-consumer-min-session-timeout-ms",
    "1000",
    "--group-consumer-min-heartbeat-interval-ms",
    "500",
  );
  const e0 = await assertRejects(
    () => short.alter("g", [set("consumer.session.timeout.ms", "1500")], true, false),
    KafkaError,
  );
  assertEquals(e0.message, "consumer.session.timeout.ms must be greater than consumer.heartbeat.interval.ms");
  await short.alter(
    "g",
    [set("consumer.session.timeout.ms", "1500"), set("consumer.heartbeat.interval.ms", "1000")],
    true,
    false,
  );
  assertEquals([short.consumerSessionTimeoutMs("g"), short.consumerHeartbeatIntervalMs("g")], [1500, 1000]);
  const e = await assertRejects(
    () => short.alter("g", [set("consumer.heartbeat.interval.ms", "1500")], true, false),
    KafkaError,
  );
  assertEquals(e.message, "consumer.session.timeout.ms must be greater than consumer.heartbeat.interval.ms");
});

Deno.test("group configs: incremental, legacy and validate-only alterations; values canonical", async () => {
  const g = await open();
  await g.alter(
    "g1",
    [set("share.auto.offset.reset", "by_duration:PT1H"), set("share.isolation.level", "read_committed")],
    true,
    false,
  );
  await g.alter("g1", [set("consumer.session.timeout.ms", " +50000")], true, false);
  assertEquals(g.overrides("g1"), {
    "share.auto.offset.reset": "by_duration:PT1H",
    "share.isolation.level": "read_committed",
    "consumer.session.timeout.ms": "50000",
  });
  const e = g.describe("g1", ["consumer.session.timeout.ms"], true)[0];
  assertEquals([e.value, e.configSource, e.isDefault], ["50000", ConfigSource.DYNAMIC_GROUP_CONFIG, false]);
  assertEquals(e.synonyms, [{ name: e.name, value: "50000", source: ConfigSource.DYNAMIC_GROUP_CONFIG }]);
  assertEquals(g.consumerSessionTimeoutMs("g1"), 50_000);
  assertEquals(g.consumerSessionTimeoutMs("other"), 45_000);
  await g.alter("g1", [{ name: "share.isolation.level", op: OP_DELETE, value: null }], true, false);
  assertEquals(Object.keys(g.overrides("g1")).sort(), [
    "consumer.session.timeout.ms",
    "share.auto.offset.reset",
  ]);
  // legacy AlterConfigs replaces the whole set
  await g.alter("g1", [set("consumer.heartbeat.interval.ms", "6000")], false, false);
  assertEquals(g.overrides("g1"), { "consumer.heartbeat.interval.ms": "6000" });
  assertEquals(g.consumerHeartbeatIntervalMs("g1"), 6000);
  await g.alter("g1", [set("consumer.heartbeat.interval.ms", "7000")], true, true);
  assertEquals(g.consumerHeartbeatIntervalMs("g1"), 6000, "validate-only changes nothing");
  assertEquals(g.groups(), ["g1"]);
  await g.alter("g1", [{ name: "consumer.heartbeat.interval.ms", op: OP_DELETE, value: null }], true, false);
  assertEquals(g.groups(), [], "a group without overrides is not listed");
  assertThrows(() => g.value("g1", "no.such"), Error);
});

Deno.test("group configs: durable in the documents, and another gateway sees a change when it re-reads", async () => {
  const docs = new MemoryDocuments();
  const a = await open(docs);
  const b = await open(docs);
  await a.alter("orders", [set("consumer.heartbeat.interval.ms", "8000")], true, false);
  assertEquals(b.consumerHeartbeatIntervalMs("orders"), 5000, "b has not re-read yet");
  const restarted = await open(docs);
  assertEquals(restarted.consumerHeartbeatIntervalMs("orders"), 8000, "survives a restart");
  // b writes on top of a's change (compare-and-set re-reads first): both changes are kept
  await b.alter("orders", [set("consumer.session.timeout.ms", "50000")], true, false);
  assertEquals(b.overrides("orders"), {
    "consumer.heartbeat.interval.ms": "8000",
    "consumer.session.timeout.ms": "50000",
  });
  // a corrupt or foreign document is refused with a reason, not half-read
  const bad = (json: string) => () => decodeGroupConfigs(new TextEncoder().encode(json));
  assertThrows(bad(`{"version":2,"groups":{}}`), Error, "not a version 1");
  assertThrows(bad(`{"version":1,"groups":{"g":{"x.y":"1"}}}`), Error, "unknown group config x.y");
  assertThrows(
    bad(`{"version":1,"groups":{"g":{"consumer.session.timeout.ms":"a"}}}`),
    Error,
    "Not a number",
  );
  await docs.put(
    GROUP_CONFIG_DOCUMENT,
    new TextEncoder().encode("{"),
    (await docs.get(GROUP_CONFIG_DOCUMENT))!.version,
  );
  await assertRejects(() => open(docs), Error, `the group configs document "${GROUP_CONFIG_DOCUMENT}"`);
});
