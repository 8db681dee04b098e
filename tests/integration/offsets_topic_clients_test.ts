// Issue 17: `__consumer_offsets` read by real clients, on both backends. confluent-kafka (assign from the log start to
// the high watermark) and kcat (raw bytes) read every partition; an independent Python decoder of Kafka's formats
// (tests/helpers/offsets_topic.py, written from group-coordinator's OffsetCommitKey/Value and GroupMetadataKey/Value
// schemas, no gateway code) checks what the gateway wrote:
// - Metadata: the topic is internal with 50 partitions; Produce (kcat -P, confluent-kafka), DeleteRecords,
//   CreatePartitions and DeleteTopics on it are refused with INVALID_TOPIC_EXCEPTION (CreateTopics: it exists) and
//   change nothing; topics named `__…` are never auto-created (Produce, Metadata), while other names are;
// - commits (confluent-kafka, with leader epochs and metadata): offset commit key v1 / value v3 on partition
//   abs(String.hashCode(group)) % 50, record timestamp = commit timestamp, in commit order, the latest value per key
//   equal to what OffsetFetch answers; an explicit retention (OffsetCommit v2 retention_time_ms): value v1 with
//   expire = commit + retention, then an expiry tombstone;
// - a Stable group of two confluent-kafka members: group metadata key v2 / value v3 (protocol type "consumer", the
//   protocol, generation, leader, members with ids, client ids, hosts, timeouts, subscription and assignment bytes
//   as DescribeGroups shows them); the members leaving: an Empty generation; OffsetDelete and DeleteGroups:
//   tombstones.
// KGW_OFFSETS_TOPIC_KAFKA=HOST:PORT runs the same tests once against that broker instead of gateways (a real Apache
// Kafka started by hand, with group.initial.rebalance.delay.ms=0, group.min.session.timeout.ms=1000 and
// offsets.retention.check.interval.ms=500, fresh for each run): a check of the decoder and of these expectations
// against Kafka itself; the gateway-only rule (no auto-creation of `__` names) fails there.
import { assert, assertEquals } from "../unit/assert.ts";
import { type RunningGateway, runWithGateway } from "../helpers/gateway.ts";
import { Kafka, logLevel } from "../helpers/kafkajs.ts";
import { ck1, kcat, kcatTool, python } from "../helpers/librdkafka_admin.ts";
import { wireCall } from "../helpers/wire.ts";
import { OffsetCommitSpec } from "../../src/protocol/messages/offset_commit.ts";
import { OffsetDeleteSpec } from "../../src/protocol/messages/offset_delete.ts";
import {
  type Commit,
  commitWithConfluent,
  describeTopics,
  dumpWithConfluent,
  dumpWithKcat,
  type GroupValue,
  isGroupKey,
  isOffsetKey,
  javaHashCode,
  keyId,
  latestByKey,
  OFFSETS_TOPIC as CO,
  offsetsPartitionFor,
  type OffsetsRecord,
  type OffsetsTopicDump,
  type OffsetValue,
  produceWithConfluent,
  recordsOf,
} from "../helpers/offsets_topic.ts";
import { backendMatrix } from "../helpers/backend_matrix.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const EXTERNAL = Deno.env.get("KGW_OFFSETS_TOPIC_KAFKA");
const matrix = EXTERNAL ? null : await backendMatrix();
const backends = matrix?.backends ??
  [{ name: `external Kafka at ${EXTERNAL}`, ignore: false, use: () => Promise.resolve() }];
const ignoreTools = python.ignore || kcatTool.ignore;
const MEMBER = new URL("../conformance/py/ck_member.py", import.meta.url).pathname;
const READER_GROUP = "kgw-offsets-topic-reader"; // the group.id offsets_topic.py's reader gives librdkafka
const GATEWAY_ARGS = [
  "--group-initial-rebalance-delay-ms",
  "0",
  "--group-min-session-timeout-ms",
  "1000",
  "--offsets-retention-check-interval-ms",
  "500",
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const withGateway = (fn: (gw: RunningGateway) => Promise<void>) =>
  EXTERNAL ? fn(externalBroker(EXTERNAL)) : runWithGateway({ args: GATEWAY_ARGS, timeoutMs: 60_000 }, fn);

/** A broker started elsewhere (KGW_OFFSETS_TOPIC_KAFKA), in the shape of a started gateway. */
function externalBroker(bootstrap: string): RunningGateway {
  return {
    port: Number(bootstrap.slice(bootstrap.lastIndexOf(":") + 1)),
    bootstrap,
    httpPort: null,
    dataDir: "",
    pid: 0,
    logs: () => "",
    stop: () => Promise.resolve(),
    kill: () => Promise.resolve(),
  };
}

function kafka(gw: RunningGateway) {
  return new Kafka({
    clientId: "offsets-topic-test",
    brokers: [gw.bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 3, initialRetryTime: 200 },
  });
}

async function createTopic(gw: RunningGateway, topic: string, partitions: number) {
  const admin = kafka(gw).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

async function produce(gw: RunningGateway, topic: string, perPartition: number[]) {
  const p = kafka(gw).producer();
  await p.connect();
  try {
    for (const [partition, n] of perPartition.entries()) {
      await p.send({
        topic,
        acks: -1,
        messages: Array.from({ length: n }, (_, i) => ({ partition, value: `v${partition}-${i}` })),
      });
    }
  } finally {
    await p.disconnect();
  }
}

/** A compact listing of records for failure messages. */
function show(records: OffsetsRecord[]): string {
  return records.map((r) =>
    `  [${r.p}@${r.o}] ${r.key ? `${r.key.type}:${keyId(r.key)}` : r.key_hex} = ${
      r.error ? `UNDECODABLE (${r.error}) ${r.value_hex}` : JSON.stringify(r.value)
    }`
  ).join("\n");
}

/** Reads the whole topic (confluent-kafka) until `ready` holds: records show up moments after a commit is acked. */
async function waitDump(
  gw: RunningGateway,
  what: string,
  ready: (records: OffsetsRecord[]) => boolean,
  ms = 30_000,
): Promise<OffsetsTopicDump> {
  const deadline = Date.now() + ms;
  for (;;) {
    const d = await dumpWithConfluent(gw.bootstrap);
    if (ready(d.records)) return d;
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what} in ${CO}; it holds:\n${show(d.records)}`);
    }
    await sleep(300);
  }
}

function noUndecodable(records: OffsetsRecord[]) {
  const bad = records.filter((r) => r.error !== null);
  assertEquals(bad.length, 0, `every record decodes in Kafka's formats:\n${show(bad)}`);
}

/** kcat's raw reading of the topic decodes to the same records as confluent-kafka's. */
async function sameWithKcat(gw: RunningGateway, d: OffsetsTopicDump) {
  const k = await dumpWithKcat(gw.bootstrap);
  const norm = (rs: OffsetsRecord[]) =>
    rs.map((r) => `${r.p}@${r.o} ${r.ts} ${r.key_hex} ${r.value_hex}`).sort();
  assertEquals(norm(k), norm(d.records), "kcat reads the same records as confluent-kafka");
}

const stripNul = (s: string) => s.replace(/\0$/, "");

/**
 * Checks that a group's records all lie on one partition (at once) and that it is Kafka's partitionFor,
 * abs(String.hashCode(group)) % 50 (deferred to `checks`, so that the rest of a test still runs and reports).
 */
function onePartition(records: OffsetsRecord[], group: string, checks: (() => void)[]): number {
  const ps = [...new Set(records.map((r) => r.p))];
  assertEquals(ps.length, 1, `the records of ${group} lie on one partition: ${ps}\n${show(records)}`);
  const want = offsetsPartitionFor(group);
  checks.push(() =>
    assertEquals(
      ps[0],
      want,
      `${group}'s partition is abs(String.hashCode) % 50 = ${want} (hashCode ${javaHashCode(group)})`,
    )
  );
  return ps[0];
}

function runChecks(checks: (() => void)[]) {
  const failed: string[] = [];
  for (const c of checks) {
    try {
      c();
    } catch (e) {
      failed.push((e as Error).message);
    }
  }
  if (failed.length) throw new Error([...new Set(failed)].join("\n"));
}

/** Committed offsets through OffsetFetch (KafkaJS admin.fetchOffsets): "topic/partition" -> [offset, metadata]. */
async function offsetFetch(gw: RunningGateway, group: string, topics: string[]) {
  const admin = kafka(gw).admin();
  await admin.connect();
  try {
    const res = await admin.fetchOffsets({ groupId: group, topics });
    const out = new Map<string, [number, string | null]>();
    for (const t of res) {
      for (const p of t.partitions) {
        out.set(`${t.topic}/${p.partition}`, [Number(p.offset), p.metadata ?? null]);
      }
    }
    return out;
  } finally {
    await admin.disconnect();
  }
}

/** Topic names through Metadata (confluent-kafka). */
async function topicNames(gw: RunningGateway): Promise<string[]> {
  const r = await ck1(gw, { op: "topics" });
  if (r.error !== null) throw new Error(`topics: ${JSON.stringify(r)}`);
  return Object.keys(r.topics).sort();
}

for (const backend of backends) {
  const ignore = ignoreTools || backend.ignore;
  const name = (s: string) => `${CO} (${backend.name}): ${s}`;

  Deno.test({
    name: name(
      "Metadata: internal, 50 partitions; Produce/DeleteRecords/CreatePartitions/DeleteTopics/CreateTopics on it " +
        "refused and nothing changes; no auto-creation of __ names",
    ),
    ...opts,
    ignore,
    fn: async () => {
      await backend.use();
      await withGateway(async (gw) => {
        const bs = gw.bootstrap;
        await createTopic(gw, "plain", 1);
        await produce(gw, "plain", [3]);
        // the topic in use, as on Kafka after a group's first commit
        await commitWithConfluent(bs, "probe", [[["plain", 0, 1, null, null]]]);
        const d = await describeTopics(bs, [CO, "plain"]);
        assertEquals(
          d[CO],
          { error: null, is_internal: true, partitions: 50 },
          "DescribeTopics of __consumer_offsets",
        );
        assertEquals(d.plain, { error: null, is_internal: false, partitions: 1 }, "an ordinary topic");
        const listed = await kcat(["-b", bs, "-L"]);
        assert(
          new RegExp(`topic "${CO}" with 50 partitions`).test(listed.stdout),
          `kcat -L lists ${CO} with 50 partitions:\n${listed.stdout.slice(0, 500)}`,
        );
        const before = await waitDump(gw, "the probe commit", (rs) => recordsOf(rs, "probe").length >= 1);
        assertEquals(before.partitions, 50, "the reader found 50 partitions");
        const checks: (() => void)[] = [];
        const pProbe = onePartition(recordsOf(before.records, "probe"), "probe", checks);

        // Produce
        const k = await kcat(
          ["-b", bs, "-P", "-t", CO, "-p", String(pProbe), "-X", "message.timeout.ms=10000"],
          "junk\n",
        );
        assert(k.code !== 0, `kcat -P to ${CO} fails (exit ${k.code})`);
        assert(/Invalid topic/.test(k.stderr), `kcat reports INVALID_TOPIC_EXCEPTION: ${k.stderr}`);
        const ckProduce = await produceWithConfluent(bs, CO, pProbe, "k", "v");
        assertEquals(
          ckProduce.error,
          "TOPIC_EXCEPTION",
          `confluent-kafka produce: ${JSON.stringify(ckProduce)}`,
        );

        // Admin operations on it
        const refused: Record<string, unknown> = {};
        for (
          const [what, op] of [
            ["DeleteRecords", { op: "delete_records", topic: CO, partition: pProbe, offset: 1 }],
            ["CreatePartitions", { op: "partitions", topic: CO, count: 60 }],
            ["DeleteTopics", { op: "delete_topic", topic: CO }],
          ] as const
        ) {
          const r = await ck1(gw, op);
          refused[what] = r.error;
          assertEquals(r.error, "TOPIC_EXCEPTION", `${what} on ${CO}: ${JSON.stringify(r)}`);
        }
        const create = await ck1(gw, { op: "create", topic: CO, partitions: 50 });
        assertEquals(create.error, "TOPIC_ALREADY_EXISTS", `CreateTopics ${CO}: ${JSON.stringify(create)}`);

        // Nothing changed: same partitions, same watermarks, same records.
        const after = await dumpWithConfluent(bs);
        assertEquals(after.partitions, 50, "still 50 partitions");
        assertEquals(after.watermarks, before.watermarks, "watermarks unchanged");
        assertEquals(after.records, before.records, "records unchanged");
        assertEquals((await describeTopics(bs, [CO]))[CO], {
          error: null,
          is_internal: true,
          partitions: 50,
        });
        noUndecodable(after.records);

        // Auto-creation: an ordinary name is created by a Produce (control), `__` names never.
        const ctl = await kcat(
          ["-b", bs, "-P", "-t", "kgw-auto-normal", "-X", "message.timeout.ms=10000"],
          "x\n",
        );
        assertEquals(ctl.code, 0, `control: kcat -P auto-creates an ordinary topic: ${ctl.stderr}`);
        const kp = await kcat(
          ["-b", bs, "-P", "-t", "__kgw_auto_kcat", "-p", "0", "-X", "message.timeout.ms=5000"],
          "x\n",
        );
        assert(kp.code !== 0, `kcat -P to __kgw_auto_kcat fails (exit ${kp.code}): ${kp.stderr}`);
        await kcat(["-b", bs, "-L", "-t", "__kgw_auto_metadata"]);
        const ckp = await produceWithConfluent(bs, "__kgw_auto_ck", 0, "k", "v");
        assert(ckp.error !== null, `confluent-kafka produce to __kgw_auto_ck fails: ${JSON.stringify(ckp)}`);
        const producer = new Kafka({
          clientId: "auto",
          brokers: [bs],
          logLevel: logLevel.NOTHING,
          retry: { retries: 1, initialRetryTime: 100 },
        }).producer({ allowAutoTopicCreation: true });
        await producer.connect();
        const kjs = await producer.send({ topic: "__kgw_auto_kafkajs", messages: [{ value: "x" }] })
          .then(() => null, (e: Error) => e.message);
        await producer.disconnect();
        assert(kjs !== null, "KafkaJS produce to __kgw_auto_kafkajs fails");
        const names = await topicNames(gw);
        assert(names.includes("kgw-auto-normal"), `control topic created: ${names}`);
        assertEquals(
          names.filter((n) => n.startsWith("__") && n !== "__transaction_state"),
          [CO],
          "no topic named __… but the internal __consumer_offsets (and __transaction_state)",
        );
        runChecks(checks);
      });
    },
  });

  Deno.test({
    name: name(
      "commits with leader epochs and metadata: key v1/value v3 on abs(hashCode) % 50, in commit order, as " +
        "OffsetFetch answers, alike through kcat; explicit retention: value v1, then an expiry tombstone",
    ),
    ...opts,
    ignore,
    fn: async () => {
      await backend.use();
      await withGateway(async (gw) => {
        const bs = gw.bootstrap;
        await createTopic(gw, "ct-a", 3);
        await createTopic(gw, "ct-b", 1);
        await produce(gw, "ct-a", [10, 10, 10]);
        await produce(gw, "ct-b", [5]);
        const G = "commits-ck";
        const U = "grüppe-é/😀"; // UTF-16 surrogates in Java's hashCode
        const batches: Commit[][] = [
          [["ct-a", 0, 5, "m-a0", 3], ["ct-a", 1, 7, "", 3], ["ct-b", 0, 1, null, null]],
          [["ct-a", 0, 6, "m-a0-second", 4]],
          [["ct-a", 2, 9, "x".repeat(200), 4], ["ct-a", 1, 8, "m", 4]],
          [["ct-b", 0, 2, "ü-metadata-ẞ", 5]],
          [["ct-a", 0, 7, null, 5]],
        ];
        const t0 = Date.now();
        await commitWithConfluent(bs, G, batches);
        await commitWithConfluent(bs, U, [[["ct-a", 0, 1, "u", 1]]]);
        const t1 = Date.now();
        const total = batches.flat().length;
        const d = await waitDump(
          gw,
          `${total} commits of ${G} and 1 of ${U}`,
          (rs) => recordsOf(rs, G).length >= total && recordsOf(rs, U).length >= 1,
        );
        noUndecodable(d.records);
        assertEquals(
          recordsOf(d.records, READER_GROUP),
          [],
          "reading the topic leaves no records of the reader",
        );
        const mine = recordsOf(d.records, G);
        const ctx = `\n${show(mine)}`;
        assertEquals(mine.length, total, `exactly one record per committed partition${ctx}`);
        const checks: (() => void)[] = [];
        onePartition(mine, G, checks);
        onePartition(recordsOf(d.records, U), U, checks);
        for (const r of mine) {
          assert(isOffsetKey(r.key), `offset commit key${ctx}`);
          assertEquals(r.key.version, 1, `offset commit key version 1${ctx}`);
          const v = r.value as OffsetValue;
          assert(v !== null, `a value${ctx}`);
          assertEquals(v.version, 3, `offset commit value version 3 (no explicit retention)${ctx}`);
          assert(
            v.commit_timestamp >= t0 - 1000 && v.commit_timestamp <= t1 + 1000,
            `commit timestamp ${v.commit_timestamp} within the test [${t0}, ${t1}]`,
          );
          assertEquals(r.ts, v.commit_timestamp, `record timestamp = commit timestamp${ctx}`);
        }
        // Commit order: the records are the batches, one after another (within one OffsetCommit any order).
        let at = 0;
        const asCommit = (r: OffsetsRecord) => {
          const k = r.key as { topic: string; partition: number };
          const v = r.value as OffsetValue;
          return JSON.stringify([k.topic, k.partition, v.offset, stripNul(v.metadata), v.leader_epoch]);
        };
        const expectCommit = (c: Commit) => JSON.stringify([c[0], c[1], c[2], c[3] ?? "", c[4] ?? -1]);
        let lastTs = 0;
        for (const [i, b] of batches.entries()) {
          const block = mine.slice(at, at + b.length);
          at += b.length;
          assertEquals(
            block.map(asCommit).sort(),
            b.map(expectCommit).sort(),
            `commit ${i} (topic, partition, offset, metadata, leader epoch) in commit order${ctx}`,
          );
          const ts = block.map((r) => (r.value as OffsetValue).commit_timestamp);
          assert(Math.min(...ts) >= lastTs, `commit timestamps do not go back at commit ${i}${ctx}`);
          lastTs = Math.max(...ts);
        }
        // The latest value per key is what OffsetFetch answers (offset, and metadata byte for byte; the value's
        // metadata is a non-nullable string: a commit without metadata is "" there, as Kafka stores it).
        const fetched = await offsetFetch(gw, G, ["ct-a", "ct-b"]);
        for (const r of latestByKey(mine).values()) {
          const k = r.key as { topic: string; partition: number };
          const v = r.value as OffsetValue;
          const f = fetched.get(`${k.topic}/${k.partition}`);
          assertEquals(
            [v.offset, v.metadata],
            [f?.[0], f?.[1] ?? ""],
            `OffsetFetch of ${k.topic}/${k.partition}`,
          );
        }
        await sameWithKcat(gw, d);

        // Explicit retention (OffsetCommit v2 retention_time_ms): value v1 with its expire timestamp, then expiry.
        const R = "commits-retention";
        const retention = 4000;
        const res = await wireCall<{ topics: { partitions: { errorCode: number }[] }[] }>(
          gw,
          OffsetCommitSpec,
          2,
          {
            groupId: R,
            generationIdOrMemberEpoch: -1,
            memberId: "",
            groupInstanceId: null,
            retentionTimeMs: retention,
            topics: [{
              name: "ct-a",
              partitions: [{
                partitionIndex: 0,
                committedOffset: 3,
                committedLeaderEpoch: -1,
                commitTimestamp: -1,
                committedMetadata: "ret",
              }],
            }],
          },
        );
        assertEquals(res.topics[0].partitions[0].errorCode, 0, "OffsetCommit v2 with a retention accepted");
        const withV1 = await waitDump(gw, `the commit of ${R}`, (rs) => recordsOf(rs, R).length >= 1);
        const first = recordsOf(withV1.records, R)[0];
        const v1 = first.value as OffsetValue;
        assertEquals(
          {
            key: first.key,
            version: v1?.version,
            offset: v1?.offset,
            metadata: v1?.metadata,
            epoch: v1?.leader_epoch,
          },
          {
            key: { type: "offset", version: 1, group: R, topic: "ct-a", partition: 0 },
            version: 1,
            offset: 3,
            metadata: "ret",
            epoch: null,
          },
          `an explicit retention is written as value v1:\n${show([first])}`,
        );
        assertEquals(v1.expire_timestamp! - v1.commit_timestamp, retention, "expire = commit + retention");
        const expired = await waitDump(
          gw,
          `the expiry tombstone of ${R}`,
          (rs) => recordsOf(rs, R).some((r) => isOffsetKey(r.key) && r.value === null),
          retention + 20_000,
        );
        const rs = recordsOf(expired.records, R);
        const offsetRecs = rs.filter((r) => isOffsetKey(r.key));
        assertEquals(
          offsetRecs.map((r) => r.value === null),
          [false, true],
          `the value, then one tombstone for it:\n${show(rs)}`,
        );
        assertEquals(offsetRecs[1].key_hex, offsetRecs[0].key_hex, "the tombstone has the same key bytes");
        assertEquals((await offsetFetch(gw, R, ["ct-a"])).get("ct-a/0")?.[0], -1, "OffsetFetch: expired");
        noUndecodable(expired.records);
        onePartition(rs, R, checks);
        runChecks(checks);
      });
    },
  });

  Deno.test({
    name: name(
      "a Stable group of two confluent-kafka members: group metadata v3 as DescribeGroups shows it; leaving: an " +
        "Empty generation; OffsetDelete and DeleteGroups: tombstones",
    ),
    ...opts,
    ignore,
    fn: async () => {
      await backend.use();
      await withGateway(async (gw) => {
        const bs = gw.bootstrap;
        const T = "gm-t";
        const G = "gm-group";
        await createTopic(gw, T, 4);
        await produce(gw, T, [2, 2, 2, 2]);
        const t0 = Date.now();
        const members = [0, 1].map(() => new Member([MEMBER, bs, G, T, "range"]));
        let stableGen = -1;
        const checks: (() => void)[] = [];
        try {
          await until("two members covering 4 partitions and 8 messages consumed", () => {
            const a = members.map((m) => m.assigned());
            return a.every((x) => x.length > 0) && a.flat().length === 4 &&
              members.reduce((n, m) => n + m.messages(), 0) >= 8;
          });
          const describe = await describeGroup(gw, G);
          assertEquals(describe.state, "Stable", "the group is Stable");
          const ids = describe.members.map((m) => m.memberId).sort();
          const d = await waitDump(gw, `${G}'s group metadata with both members and its commits`, (rs) => {
            const latest = latestByKey(recordsOf(rs, G));
            const g = latest.get(`group:${G}`)?.value as GroupValue | undefined;
            const committed = [0, 1, 2, 3].map((p) =>
              latest.get(`offset:${G}/${T}/${p}`)?.value as OffsetValue
            );
            return g?.members?.length === 2 &&
              JSON.stringify(g.members.map((m) => m.member_id).sort()) === JSON.stringify(ids) &&
              committed.every((v) => v?.offset === 2);
          });
          noUndecodable(d.records);
          const mine = recordsOf(d.records, G);
          const ctx = `\n${show(mine)}`;
          onePartition(mine, G, checks);
          const groupRec = latestByKey(mine).get(`group:${G}`)!;
          assert(isGroupKey(groupRec.key), "group metadata key");
          assertEquals(groupRec.key.version, 2, "group metadata key version 2");
          const g = groupRec.value as GroupValue;
          assertEquals(g.version, 3, "group metadata value version 3");
          assertEquals(g.protocol_type, "consumer", "protocol type");
          assertEquals(g.protocol, "range", "protocol (the assignor)");
          assertEquals(describe.protocol, "range", "DescribeGroups agrees on the protocol");
          assert(g.generation >= 1, `generation ${g.generation}`);
          stableGen = g.generation;
          assert(g.leader !== null && ids.includes(g.leader), `leader ${g.leader} is a member (${ids})`);
          assert(
            g.current_state_timestamp !== null && g.current_state_timestamp >= t0 - 1000 &&
              g.current_state_timestamp <= Date.now(),
            `current state timestamp ${g.current_state_timestamp} within the test`,
          );
          const byId = new Map(describe.members.map((m) => [m.memberId, m]));
          const assignments: number[][] = [];
          for (const m of g.members) {
            const dm = byId.get(m.member_id)!;
            assert(dm !== undefined, `member ${m.member_id} is in DescribeGroups`);
            assertEquals(m.group_instance_id, null, "no group instance id");
            assertEquals(m.client_id, dm.clientId, "client id as DescribeGroups shows it");
            assertEquals(m.client_host, dm.clientHost, "client host as DescribeGroups shows it");
            assertEquals(m.session_timeout, 4000, "session timeout (ck_member.py: session.timeout.ms)");
            assertEquals(
              m.rebalance_timeout,
              300000,
              "rebalance timeout (librdkafka's max.poll.interval.ms)",
            );
            assertEquals(
              m.subscription_hex,
              dm.metadataHex,
              "subscription bytes = DescribeGroups member metadata",
            );
            assertEquals(
              m.assignment_hex,
              dm.assignmentHex,
              "assignment bytes = DescribeGroups member assignment",
            );
            assertEquals(m.subscription?.topics, [T], "subscription decodes to the topic");
            assertEquals(Object.keys(m.assignment?.partitions ?? {}), [T], "assignment decodes to the topic");
            assignments.push(m.assignment!.partitions[T]);
          }
          assertEquals(assignments.flat().sort(), [0, 1, 2, 3], "the assignments cover the topic once");
          assertEquals(
            assignments.map((a) => JSON.stringify(a)).sort(),
            members.map((m) => JSON.stringify(m.assigned())).sort(),
            "the assignments are what the members got",
          );
          // per key, the offsets in commit order (the members commit after each message)
          for (let p = 0; p < 4; p++) {
            const offs = mine.filter((r) => isOffsetKey(r.key) && r.key.partition === p && r.value !== null)
              .map((r) => (r.value as OffsetValue).offset);
            assert(
              offs.length >= 1 && offs[offs.length - 1] === 2,
              `partition ${p}: last commit 2 (${offs})`,
            );
            assert(
              offs.every((o, i) => i === 0 || o >= offs[i - 1]),
              `partition ${p} commits in order: ${offs}`,
            );
          }
          const gens = mine.filter((r) => isGroupKey(r.key) && r.value !== null)
            .map((r) => (r.value as GroupValue).generation);
          assert(gens.every((x, i) => i === 0 || x >= gens[i - 1]), `generations in order: ${gens}${ctx}`);
          await sameWithKcat(gw, d);
        } finally {
          for (const m of members) await m.stop();
        }

        // Both left: the group is Empty, a new generation without members (as Kafka writes it).
        const empty = await waitDump(gw, `${G}'s Empty generation`, (rs) => {
          const g = latestByKey(recordsOf(rs, G)).get(`group:${G}`)?.value as GroupValue | null | undefined;
          return g?.members?.length === 0;
        });
        const eg = latestByKey(recordsOf(empty.records, G)).get(`group:${G}`)!.value as GroupValue;
        assertEquals(
          { type: eg.protocol_type, protocol: eg.protocol, leader: eg.leader, members: eg.members },
          { type: "consumer", protocol: null, leader: null, members: [] },
          "the Empty group's metadata",
        );
        assert(eg.generation > stableGen, `the Empty generation ${eg.generation} follows ${stableGen}`);

        // OffsetDelete of partition 0: one tombstone, the other offsets stay.
        const od = await wireCall<{ errorCode: number; topics: { partitions: { errorCode: number }[] }[] }>(
          gw,
          OffsetDeleteSpec,
          0,
          { groupId: G, topics: [{ name: T, partitions: [{ partitionIndex: 0 }] }] },
        );
        assertEquals([od.errorCode, od.topics[0].partitions[0].errorCode], [0, 0], "OffsetDelete accepted");
        const afterDelete = await waitDump(
          gw,
          `the OffsetDelete tombstone of ${G}/${T}/0`,
          (rs) => latestByKey(recordsOf(rs, G)).get(`offset:${G}/${T}/0`)?.value === null,
        );
        const latest1 = latestByKey(recordsOf(afterDelete.records, G));
        for (let p = 1; p < 4; p++) {
          assertEquals(
            (latest1.get(`offset:${G}/${T}/${p}`)?.value as OffsetValue | null)?.offset,
            2,
            `${T}/${p} keeps its offset after OffsetDelete of ${T}/0`,
          );
        }
        assertEquals(
          recordsOf(afterDelete.records, G).filter((r) => r.value === null).map((r) => r.key && keyId(r.key)),
          [`${G}/${T}/0`],
          "exactly one tombstone so far",
        );

        // DeleteGroups: tombstones for the remaining offsets and for the group.
        const admin = kafka(gw).admin();
        await admin.connect();
        try {
          await admin.deleteGroups([G]);
        } finally {
          await admin.disconnect();
        }
        const deleted = await waitDump(gw, `${G}'s DeleteGroups tombstones`, (rs) => {
          const latest = latestByKey(recordsOf(rs, G));
          return [...latest.values()].every((r) => r.value === null);
        });
        const all = recordsOf(deleted.records, G);
        const latest2 = latestByKey(all);
        assertEquals(
          [...latest2.keys()].sort(),
          [`group:${G}`, ...[0, 1, 2, 3].map((p) => `offset:${G}/${T}/${p}`)].sort(),
          `${G}'s keys`,
        );
        for (const [k, r] of latest2) assertEquals(r.value, null, `${k} ends with a tombstone`);
        const tomb = all.filter((r) => r.value === null);
        for (const t of tomb) {
          const firstValue = all.findIndex((r) => r.key_hex === t.key_hex && r.value !== null);
          assert(
            firstValue >= 0 && all[firstValue].o < t.o,
            `the tombstone of ${keyId(t.key!)} follows its value`,
          );
          if (isOffsetKey(t.key)) assertEquals(t.key.version, 1, "tombstone offset key version 1");
          else assertEquals(t.key!.version, 2, "tombstone group key version 2");
        }
        onePartition(all, G, checks);
        noUndecodable(deleted.records);
        await sameWithKcat(gw, deleted);
        runChecks(checks);
      });
    },
  });
}

matrix?.finish();

// --- group members and DescribeGroups ----------------------------------------------------------------------------

/** A confluent-kafka member (tests/conformance/py/ck_member.py): JSON events on stdout. */
class Member {
  private readonly lines: string[] = [];
  private readonly child: Deno.ChildProcess;
  private readonly pumped: Promise<void>;
  constructor(args: string[]) {
    const child = new Deno.Command(python.path, { args, stdout: "piped", stderr: "null", stdin: "null" })
      .spawn();
    this.child = child;
    this.pumped = (async () => {
      let buf = "";
      for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
        buf += chunk;
        let i;
        while ((i = buf.indexOf("\n")) >= 0) {
          this.lines.push(buf.slice(0, i));
          buf = buf.slice(i + 1);
        }
      }
    })();
  }
  private events(): { event: string; partitions?: number[] }[] {
    return this.lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
  }
  assigned(): number[] {
    const ev = this.events().filter((e) => e.event === "assigned" || e.event === "revoked");
    return ev.length ? ev[ev.length - 1].partitions! : [];
  }
  messages(): number {
    return this.events().filter((e) => e.event === "msg").length;
  }
  /** SIGINT: ck_member.py closes the consumer (LeaveGroup); SIGKILL after 15 s. */
  async stop(): Promise<void> {
    try {
      this.child.kill("SIGINT");
    } catch { /* gone */ }
    const t = setTimeout(() => {
      try {
        this.child.kill("SIGKILL");
      } catch { /* gone */ }
    }, 15_000);
    await this.child.status;
    clearTimeout(t);
    await this.pumped.catch(() => {});
  }
}

async function until(what: string, cond: () => boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

interface GroupDescription {
  state: string;
  protocol: string;
  members: {
    memberId: string;
    clientId: string;
    clientHost: string;
    metadataHex: string;
    assignmentHex: string;
  }[];
}

async function describeGroup(gw: RunningGateway, group: string): Promise<GroupDescription> {
  const admin = kafka(gw).admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([group]);
    const g = groups[0];
    const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return {
      state: g.state,
      protocol: g.protocol,
      members: g.members.map((m: {
        memberId: string;
        clientId: string;
        clientHost: string;
        memberMetadata: Uint8Array;
        memberAssignment: Uint8Array;
      }) => ({
        memberId: m.memberId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadataHex: hex(m.memberMetadata),
        assignmentHex: hex(m.memberAssignment),
      })),
    };
  } finally {
    await admin.disconnect();
  }
}
