// `__consumer_offsets` read by Apache Kafka's own decoders (issue 17): kafka-console-consumer with
// OffsetsMessageFormatter and GroupMetadataMessageFormatter (Kafka 4.1's tools, scripts/kafka/tool.sh) decodes every
// record of the group's partition; the offsets they show are what OffsetFetch answers, the group metadata is the
// group's (protocol type, generation, members), and DeleteGroups shows as tombstones. `__transaction_state` read
// by TransactionLogMessageFormatter: a confluent-kafka producer's commit and abort, state by state.
import { assert, assertEquals } from "../unit/assert.ts";
import { startGateway } from "../helpers/gateway.ts";
import { Kafka, logLevel } from "../helpers/kafkajs.ts";
import { kafkaTool, kafkaToolOk, kafkaTools } from "../helpers/apache_kafka.ts";
import { partitionForGroup } from "../../src/cluster/hash.ts";
import { python } from "../helpers/librdkafka_admin.ts";
import { collapseStates, txnStatePy } from "../helpers/transaction_state_topic.ts";

const tools = await kafkaTools();

/** The JSON objects the formatters print back to back (no separator between records). */
function jsonObjects(text: string): unknown[] {
  const out: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === "\\") i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === "{") {
      if (depth++ === 0) start = i;
    } else if (ch === "}" && --depth === 0) out.push(JSON.parse(text.slice(start, i + 1)));
  }
  return out;
}

interface Formatted {
  key: { type: number; data: Record<string, unknown> };
  value: { version: number; data: Record<string, unknown> } | null;
}

/** Every record of one `__consumer_offsets` (or `topic`) partition through a Kafka formatter class. */
async function readWith(
  bootstrap: string,
  partition: number,
  formatter: string,
  topic = "__consumer_offsets",
): Promise<Formatted[]> {
  const r = await kafkaTool("kafka-console-consumer", [
    "--bootstrap-server",
    bootstrap,
    "--topic",
    topic,
    "--partition",
    String(partition),
    "--offset",
    "earliest",
    "--formatter",
    `org.apache.kafka.tools.consumer.${formatter}`,
    "--timeout-ms",
    "4000",
  ]);
  // the console consumer ends on its idle timeout with a TimeoutException: the records were printed before it
  assert(/Processed a total of \d+ messages/.test(r.stderr), `${formatter}: ${r.stderr}`);
  return jsonObjects(r.stdout) as Formatted[];
}

Deno.test({
  name:
    "__consumer_offsets: Kafka's OffsetsMessageFormatter and GroupMetadataMessageFormatter decode the gateway's " +
    "records: offsets as OffsetFetch answers, the group's metadata, tombstones after DeleteGroups",
  ignore: tools.ignore,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const gw = await startGateway({ args: ["--group-initial-rebalance-delay-ms", "0"] });
    const kafka = new Kafka({ clientId: "fmt", brokers: [gw.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    try {
      const topic = "fmt-topic";
      const group = "fmt-group";
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({
        topic,
        messages: [0, 1, 1, 0, 1].map((p, i) => ({ partition: p, value: `v${i}` })),
      });
      await producer.disconnect();
      // Kafka's own consumer (the Java client) consumes in the group and commits
      const consumed = await kafkaToolOk("kafka-console-consumer", [
        "--bootstrap-server",
        gw.bootstrap,
        "--topic",
        topic,
        "--group",
        group,
        "--from-beginning",
        "--max-messages",
        "5",
        "--timeout-ms",
        "30000",
      ]);
      assertEquals(consumed.trim().split("\n").sort(), ["v0", "v1", "v2", "v3", "v4"]);
      const fetched = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      const want = fetched[0].partitions.map((p) => ({ partition: p.partition, offset: Number(p.offset) }))
        .sort((a, b) => a.partition - b.partition);
      assertEquals(want, [{ partition: 0, offset: 2 }, { partition: 1, offset: 3 }]);

      const part = partitionForGroup(group, 50);
      const offsets = (await readWith(gw.bootstrap, part, "OffsetsMessageFormatter"))
        .filter((r) => r.key.type === 1 && r.key.data.group === group);
      // the latest commit per partition, in the order the records came
      const latest = new Map<number, number>();
      for (const r of offsets) latest.set(r.key.data.partition as number, r.value!.data.offset as number);
      assertEquals(
        [...latest].map(([partition, offset]) => ({ partition, offset })).sort((a, b) =>
          a.partition - b.partition
        ),
        want,
        "offsets as Kafka's formatter decodes them",
      );
      for (const r of offsets) {
        assertEquals(r.key.data.topic, topic);
        assert(r.value!.version >= 1 && r.value!.version <= 3, `offset value version ${r.value!.version}`);
        assert((r.value!.data.commitTimestamp as number) > 0, "commit timestamp");
      }
      const meta = (await readWith(gw.bootstrap, part, "GroupMetadataMessageFormatter"))
        .filter((r) => r.key.type === 2 && r.key.data.group === group);
      assert(meta.length >= 2, `group metadata records: ${JSON.stringify(meta)}`);
      const joined = meta.find((r) => (r.value?.data.members as unknown[] | undefined)?.length === 1);
      assert(joined, `a generation with the console consumer as member: ${JSON.stringify(meta)}`);
      assertEquals(joined.value!.data.protocolType, "consumer");
      assertEquals(joined.value!.data.protocol, "range");
      const member = (joined.value!.data.members as { clientId: string }[])[0];
      assertEquals(member.clientId, "console-consumer");
      // it left: the last record is an empty generation
      assertEquals(meta.at(-1)!.value!.data.members, []);

      await admin.deleteGroups([group]);
      const after = await readWith(gw.bootstrap, part, "OffsetsMessageFormatter");
      const tombstones = after.filter((r) =>
        r.key.type === 1 && r.key.data.group === group && r.value === null
      );
      assertEquals(tombstones.map((r) => r.key.data.partition).sort(), [0, 1], "offset tombstones");
      const metaAfter = (await readWith(gw.bootstrap, part, "GroupMetadataMessageFormatter"))
        .filter((r) => r.key.type === 2 && r.key.data.group === group);
      assertEquals(metaAfter.at(-1)!.value, null, "group metadata tombstone");
    } catch (e) {
      console.error(gw.logs().split("\n").slice(-30).join("\n"));
      throw e;
    } finally {
      await admin.disconnect().catch(() => {});
      await gw.stop();
    }
  },
});

Deno.test({
  name: "__transaction_state: Kafka's TransactionLogMessageFormatter decodes the gateway's records of a " +
    "confluent-kafka producer's commit and abort",
  ignore: tools.ignore || python.ignore,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const gw = await startGateway({ args: [] });
    const kafka = new Kafka({ clientId: "fmt-txn", brokers: [gw.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    try {
      const topic = "fmt-txn-topic";
      const txid = "fmt-txn-id";
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
      const res = await txnStatePy(["txn", gw.bootstrap, topic, txid]);
      assertEquals(res.map((l) => JSON.parse(l)), [{ error: null }], "the producer commits, then aborts");
      await new Promise((r) => setTimeout(r, 1_500)); // CompleteAbort is written up to 1 s after its markers
      const recs = (await readWith(
        gw.bootstrap,
        partitionForGroup(txid, 50),
        "TransactionLogMessageFormatter",
        "__transaction_state",
      ))
        .filter((r) => r.key.data.transactionalId === txid);
      const names = ["Empty", "Ongoing", "PrepareCommit", "PrepareAbort", "CompleteCommit", "CompleteAbort"];
      const states = recs.map((r) => names[r.value!.data.transactionStatus as number]);
      assertEquals(
        collapseStates(states),
        ["Empty", "Ongoing", "PrepareCommit", "CompleteCommit", "Ongoing", "PrepareAbort", "CompleteAbort"],
        JSON.stringify(recs),
      );
      for (const r of recs) {
        assertEquals([r.key.type, r.value!.version], [0, 0]);
        assertEquals(r.value!.data.transactionTimeoutMs, 45_000);
      }
      const commit = recs.find((r) => r.value!.data.transactionStatus === 2)!;
      assertEquals(commit.value!.data.transactionPartitions, [{ topic, partitionIds: [0, 1] }]);
    } catch (e) {
      console.error(gw.logs().split("\n").slice(-30).join("\n"));
      throw e;
    } finally {
      await admin.disconnect().catch(() => {});
      await gw.stop();
    }
  },
});
