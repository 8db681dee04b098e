// `__consumer_offsets` as Kafka exposes it (issue 17), against a real gateway process with KafkaJS: listed as an
// internal topic with offsets.topic.num.partitions partitions; commits, group metadata and deletions readable as
// Kafka's records (decoded here with the gateway's own codec; tests/integration/offsets_topic_clients_test.ts
// decodes them independently with Python and kcat) in commit order on the group's partition; writes, deletion,
// partition changes and record deletion refused; the view repaired after a restart. Runs unchanged on SeaweedMQ
// (tests/integration/seaweedmq_offsets_topic_test.ts).
import { assert, assertEquals } from "../unit/assert.ts";
import { type RunningGateway, runWithGateway, startGateway } from "../helpers/gateway.ts";
import { connectBroker, Kafka, kafkajsError, logLevel, readWholePartition } from "../helpers/kafkajs.ts";
import { type DecodedOffsetsRecord, decodeOffsetsRecord } from "../../src/groups/offsets_topic/records.ts";
import { partitionForGroup } from "../../src/cluster/hash.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const TOPIC = "__consumer_offsets";
const GATEWAY_ARGS = ["--group-initial-rebalance-delay-ms", "0", "--group-min-session-timeout-ms", "1000"];

function client(gw: RunningGateway) {
  return new Kafka({
    clientId: "offsets-topic-test",
    brokers: [gw.bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 3, initialRetryTime: 100 },
  });
}

interface Seen {
  offset: number;
  record: DecodedOffsetsRecord;
}

/** The decoded records of the group's partition of __consumer_offsets, of that group only, in offset order. */
async function recordsOf(gw: RunningGateway, group: string, partitions = 50): Promise<Seen[]> {
  const { messages } = await readWholePartition(gw.bootstrap, TOPIC, partitionForGroup(group, partitions));
  const out: Seen[] = [];
  for (const m of messages) {
    const record = decodeOffsetsRecord(m.key!, m.value ?? null);
    if (record.group === group) out.push({ offset: Number(m.offset), record });
  }
  return out;
}

type Commit = Extract<DecodedOffsetsRecord, { kind: "offset" }>;

/** The offset commit records (and tombstones) of the group, in offset order. */
async function commitsOf(gw: RunningGateway, group: string): Promise<Commit[]> {
  return (await recordsOf(gw, group)).map((s) => s.record).filter((r): r is Commit => r.kind === "offset");
}

/** Latest value per key (the compacted view a lag monitor builds). */
function latest(seen: Seen[]): Map<string, DecodedOffsetsRecord> {
  const m = new Map<string, DecodedOffsetsRecord>();
  for (const { record: r } of seen) m.set(r.kind === "offset" ? `${r.topic}/${r.partition}` : "group", r);
  return m;
}

async function waitFor<T>(what: string, f: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
}

Deno.test({
  name: "__consumer_offsets: listed as internal with 50 partitions, compacted",
  ...opts,
  fn: () =>
    runWithGateway({ args: GATEWAY_ARGS }, async (gw) => {
      const admin = client(gw).admin();
      await admin.connect();
      try {
        const md = await admin.fetchTopicMetadata({ topics: [TOPIC] });
        assertEquals(md.topics[0].partitions.length, 50);
        const all = await admin.listTopics();
        assert(all.includes(TOPIC), `listed among all topics: ${all}`);
        // KafkaJS's admin drops is_internal: read it off the wire with a raw Metadata request.
        const broker = await connectBroker(gw.bootstrap) as unknown as RawBroker;
        try {
          const wire = await broker.metadata([TOPIC]);
          assertEquals(wire.topicMetadata[0].isInternal, true);
        } finally {
          await broker.disconnect();
        }
        const configs = await admin.describeConfigs({
          resources: [{ type: 2, name: TOPIC, configNames: ["cleanup.policy"] }],
          includeSynonyms: false,
        });
        const policy = configs.resources[0].configEntries.find((c: { configName: string }) =>
          c.configName === "cleanup.policy"
        );
        // as Kafka reports it, on both backends (SeaweedMQ has no compaction: the gateway keeps this topic bounded
        // with snapshots instead)
        assertEquals(policy?.configValue, "compact");
      } finally {
        await admin.disconnect();
      }
    }),
});

/** The KafkaJS Broker calls used here beyond tests/helpers/kafkajs.ts's. */
interface RawBroker {
  metadata(topics: string[]): Promise<{ topicMetadata: { topic: string; isInternal: boolean }[] }>;
  deleteRecords(args: {
    topics: { topic: string; partitions: { partition: number; offset: string }[] }[];
  }): Promise<unknown>;
  disconnect(): Promise<void>;
}

Deno.test({
  name:
    "__consumer_offsets: commits and group metadata appear as Kafka records, in commit order, with tombstones",
  ...opts,
  fn: () =>
    runWithGateway({ args: GATEWAY_ARGS }, async (gw) => {
      const kafka = client(gw);
      const admin = kafka.admin();
      await admin.connect();
      const topic = "ot-commits";
      const group = "ot-group-a";
      try {
        await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] });
        // Three commits of partition 0 and one of partition 2, through the admin API (memberless commits).
        for (const offset of ["5", "7", "9"]) {
          await admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset }] });
        }
        await admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 2, offset: "3" }] });
        const commits = await waitFor("4 commit records", async () => {
          const c = await commitsOf(gw, group);
          return c.length >= 4 ? c : undefined;
        });
        assertEquals(
          commits.map((c) => `${c.topic}/${c.partition}=${c.value?.offset}`),
          [`${topic}/0=5`, `${topic}/0=7`, `${topic}/0=9`, `${topic}/2=3`],
        );
        for (const c of commits) {
          assertEquals(c.value!.version, 3);
          assert(Math.abs(c.value!.commitTimestamp - Date.now()) < 60_000, "commit timestamp is broker time");
        }

        // A consumer group with a member: its metadata record (protocol type, generation, leader, the member).
        const consumer = kafka.consumer({
          groupId: group,
          sessionTimeout: 6000,
          heartbeatInterval: 300,
          maxWaitTimeInMs: 100,
        });
        await admin.deleteGroups([group]).catch(() => {}); // memberless group: allowed
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
        await consumer.run({ autoCommit: true, eachMessage: async () => {} });
        const meta = await waitFor("group metadata with one member", async () => {
          const l = latest(await recordsOf(gw, group)).get("group");
          return l?.kind === "group" && l.value !== null && l.value.members.length === 1 ? l : undefined;
        }, 30_000);
        assert(meta.kind === "group" && meta.value !== null);
        assertEquals(meta.value.protocolType, "consumer");
        assertEquals(meta.value.version, 3);
        assert(meta.value.generation >= 1, `generation ${meta.value.generation}`);
        assertEquals(meta.value.leader, meta.value.members[0].memberId);
        assertEquals(meta.value.members[0].clientId, "offsets-topic-test");
        assertEquals(meta.value.members[0].sessionTimeout, 6000);
        assert(meta.value.members[0].assignment.length > 0, "assignment stored");
        await consumer.disconnect();

        // Deleting the (now empty) group tombstones its metadata and every offset it had.
        await waitFor("group empty", async () => {
          const d = await admin.describeGroups([group]);
          return d.groups[0].state === "Empty" ? true : undefined;
        });
        await admin.deleteGroups([group]);
        const after = await waitFor("tombstones", async () => {
          const l = latest(await recordsOf(gw, group));
          return [...l.values()].every((r) => r.value === null) ? l : undefined;
        });
        assert(
          after.has("group") && after.has(`${topic}/0`) && after.has(`${topic}/2`),
          [...after.keys()].join(),
        );
      } finally {
        await admin.disconnect();
      }
    }),
});

Deno.test({
  name: "__consumer_offsets: Produce, DeleteTopics, CreatePartitions and DeleteRecords are refused",
  ...opts,
  fn: () =>
    runWithGateway({ args: GATEWAY_ARGS }, async (gw) => {
      const kafka = client(gw);
      const admin = kafka.admin();
      const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
      await Promise.all([admin.connect(), producer.connect()]);
      try {
        const produced = await kafkajsError(
          producer.send({ topic: TOPIC, messages: [{ key: "k", value: "junk" }] }),
        );
        assertEquals(produced.type, "INVALID_TOPIC_EXCEPTION");
        const deleted = await kafkajsError(admin.deleteTopics({ topics: [TOPIC] }));
        assertEquals(deleted.type, "INVALID_TOPIC_EXCEPTION");
        const grown = await kafkajsError(
          admin.createPartitions({ topicPartitions: [{ topic: TOPIC, count: 60 }] }),
        );
        assertEquals(grown.type, "INVALID_TOPIC_EXCEPTION");
        const broker = await connectBroker(gw.bootstrap) as unknown as RawBroker;
        try {
          // KafkaJS reports the partition's code inside its own error type.
          const err = await broker.deleteRecords({
            topics: [{ topic: TOPIC, partitions: [{ partition: 0, offset: "-1" }] }],
          }).then(() => null, (e: { partitions?: { error?: { type?: string } }[] }) => e);
          assertEquals(err?.partitions?.[0]?.error?.type, "INVALID_TOPIC_EXCEPTION");
        } finally {
          await broker.disconnect();
        }
        const md = await admin.fetchTopicMetadata({ topics: [TOPIC] });
        assertEquals(md.topics[0].partitions.length, 50, "still there, unchanged");
      } finally {
        await Promise.all([admin.disconnect(), producer.disconnect()]);
      }
    }),
});

Deno.test({
  name: "__consumer_offsets: a restart keeps the records and what was committed shows afterwards",
  ...opts,
  fn: async () => {
    const dataDir = await Deno.makeTempDir({ prefix: "kgw-offsets-topic-" });
    const group = "ot-restart";
    const topic = "ot-restart-topic";
    try {
      await runWithGateway({ dataDir, args: GATEWAY_ARGS }, async (gw) => {
        const admin = client(gw).admin();
        await admin.connect();
        await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
        await admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: "11" }] });
        await admin.disconnect();
        await waitFor(
          "first commit",
          async () => (await commitsOf(gw, group)).length === 1 ? true : undefined,
        );
      });
      const gw = await startGateway({ dataDir, args: GATEWAY_ARGS });
      try {
        const admin = client(gw).admin();
        await admin.connect();
        await admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: "12" }] });
        await admin.disconnect();
        const seen = await waitFor("second commit", async () => {
          const s = await commitsOf(gw, group);
          return s.length >= 2 ? s : undefined;
        });
        // The restart added nothing (the view matched the store) and kept the first record.
        assertEquals(seen.map((c) => c.value?.offset), [11, 12]);
      } finally {
        await gw.stop();
      }
    } finally {
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});
