// Kafka Streams against the gateway: scripts/kafka/apps/WordCount.java (groupBy + count) run once with
// at_least_once and once with exactly_once_v2 (transactional producer, read_committed consumer, offsets committed
// in the transaction). Streams creates its repartition and changelog topics through the gateway; the test checks
// they exist (the changelog compacted) and that the output topic holds the exact count of every word.
// Word count runs on both backends (on SeaweedMQ exactly_once_v2 only, to keep the suite short): SeaweedMQ stores
// the settings Streams creates its internal topics with (segment.bytes on the repartition topic, cleanup.policy
// compact on the changelog) and keeps every changelog record (no compaction; src/storage/seaweedmq/fixed_configs.ts).
// A stateless application (scripts/kafka/apps/Uppercase.java, no internal topics) runs exactly_once_v2 on both.
import { assert, assertEquals } from "../unit/assert.ts";
import { javaProcess, kafkaApps, kafkaToolOk, kafkaTools } from "../helpers/apache_kafka.ts";
import { type RunningGateway, startGateway } from "../helpers/gateway.ts";
import { Kafka, kafkajs, logLevel } from "../helpers/kafkajs.ts";
import { backendMatrix } from "../helpers/backend_matrix.ts";

const tools = await kafkaTools();
const matrix = await backendMatrix();
const SCRIPTS = new URL("../../scripts/kafka/", import.meta.url).pathname;

const LINES = [
  "the quick brown fox",
  "jumps over the lazy dog",
  "The dog barks",
  "a fox, a dog; the end",
  "quick quick QUICK",
];

/** The count of every word of LINES, as WordCount splits them (lower case, on non-word characters). */
function expectedCounts(lines: string[]): Map<string, string> {
  const counts = new Map<string, number>();
  for (const w of lines.flatMap((l) => l.toLowerCase().split(/\W+/)).filter((w) => w !== "")) {
    counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  return new Map([...counts].map(([w, n]) => [w, String(n)]));
}

/** Starts one of scripts/kafka/apps as a child JVM; its output is collected for failure messages. */
async function startApp(
  main: string,
  args: string[],
): Promise<{ output(): string; stop(): Promise<number> }> {
  const { lib, apps } = await kafkaApps();
  return javaProcess(
    new Deno.Command("java", {
      args: [
        "-Xmx256m",
        "-XX:+UseSerialGC",
        `-Dlog4j2.configurationFile=${SCRIPTS}log4j2.properties`,
        "-cp",
        `${lib}/*:${apps}`,
        main,
        ...args,
      ],
      stdout: "piped",
      stderr: "piped",
    }),
  );
}

/** Reads `topic` from the beginning (read_committed, a fresh group each time) until the last value of every key equals `want`. */
async function awaitCounts(
  gw: RunningGateway,
  topic: string,
  want: Map<string, string>,
  timeoutMs: number,
): Promise<{ counts: Map<string, string>; records: number }> {
  const kafka = new Kafka({ clientId: "wc-reader", brokers: [gw.bootstrap], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({
    groupId: `reader-${topic}-${crypto.randomUUID()}`,
    maxWaitTimeInMs: 200,
    readUncommitted: false,
  });
  const seen = new Map<string, string>();
  let records = 0;
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: ({ message }) => {
        seen.set(message.key!.toString(), message.value!.toString());
        records++;
        return Promise.resolve();
      },
    });
    const deadline = Date.now() + timeoutMs;
    const same = () => seen.size === want.size && [...want].every(([k, v]) => seen.get(k) === v);
    while (!same() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    return { counts: new Map(seen), records };
  } finally {
    await consumer.disconnect();
  }
}

async function topicConfig(admin: kafkajs.Admin, topic: string, name: string): Promise<string | undefined> {
  const r = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: topic, configNames: [name] }],
  });
  return r.resources[0].configEntries.find((e) => e.configName === name)?.configValue;
}

const wordCounts = matrix.backends.flatMap((backend) =>
  (backend.name === "embedded" ? ["at_least_once", "exactly_once_v2"] : ["exactly_once_v2"]).map((
    guarantee,
  ) => ({
    backend,
    guarantee,
  }))
);
for (const { backend, guarantee } of wordCounts) {
  Deno.test({
    name:
      `Kafka Streams word count (${guarantee}) through the gateway (${backend.name}): exact counts, internal topics`,
    ignore: tools.ignore || backend.ignore,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      await backend.use();
      const gw = await startGateway();
      const stateDir = await Deno.makeTempDir({ prefix: "wc-state-" });
      const appId = `wc-${guarantee.replaceAll("_", "-")}`;
      let app: Awaited<ReturnType<typeof startApp>> | undefined;
      try {
        for (const [topic, partitions] of [["lines", "3"], ["counts", "2"]]) {
          await kafkaToolOk("kafka-topics", [
            "--bootstrap-server",
            gw.bootstrap,
            "--create",
            "--topic",
            topic,
            "--partitions",
            partitions,
          ]);
        }
        // Half the lines before the app starts, half while it runs: both the backlog and live input count.
        const first = LINES.slice(0, 3), second = LINES.slice(3);
        await kafkaToolOk(
          "kafka-console-producer",
          ["--bootstrap-server", gw.bootstrap, "--topic", "lines"],
          {
            stdin: first.join("\n") + "\n",
          },
        );
        app = await startApp("WordCount", [gw.bootstrap, appId, "lines", "counts", guarantee, stateDir]);
        const want1 = expectedCounts(first);
        const { counts: got1 } = await awaitCounts(gw, "counts", want1, 60_000);
        assertEquals(got1, want1, `after the first lines; app output:\n${app.output()}`);
        await kafkaToolOk(
          "kafka-console-producer",
          ["--bootstrap-server", gw.bootstrap, "--topic", "lines"],
          {
            stdin: second.join("\n") + "\n",
          },
        );
        const want = expectedCounts(LINES);
        const { counts: got, records } = await awaitCounts(gw, "counts", want, 30_000);
        assertEquals(got, want, `app output:\n${app.output()}`);
        // No record cache: one update per word occurrence, none lost or repeated.
        const words = [...want.values()].reduce((n, c) => n + Number(c), 0);
        assertEquals(records, words, "one output record per word");

        // The internal topics Streams created through the gateway: the repartition topic (named after the
        // groupBy's "words") with the input's partition count, the store's changelog compacted.
        const kafka = new Kafka({
          clientId: "wc-admin",
          brokers: [gw.bootstrap],
          logLevel: logLevel.NOTHING,
        });
        const admin = kafka.admin();
        await admin.connect();
        try {
          const topics = await admin.listTopics();
          const repartition = `${appId}-words-repartition`, changelog = `${appId}-counts-changelog`;
          assert(topics.includes(repartition), `no ${repartition} in ${topics}`);
          assert(topics.includes(changelog), `no ${changelog} in ${topics}`);
          const meta = await admin.fetchTopicMetadata({ topics: [repartition, changelog] });
          const parts = new Map(meta.topics.map((t) => [t.name, t.partitions.length]));
          assertEquals(parts.get(repartition), 3);
          assertEquals(parts.get(changelog), 3);
          assertEquals(await topicConfig(admin, changelog, "cleanup.policy"), "compact");
          // exactly_once_v2 writes the output in transactions: their commit markers take offsets of their own
          // in "counts" (read_committed skipped them above); at_least_once writes plain records only.
          const outEnd = (await admin.fetchTopicOffsets("counts")).reduce((n, p) => n + Number(p.high), 0);
          if (guarantee === "exactly_once_v2") {
            assert(outEnd > words, `end offsets ${outEnd}, ${words} records`);
          } else assertEquals(outEnd, words);
          assertEquals(await topicConfig(admin, repartition, "cleanup.policy"), "delete");
          // The group's committed offsets reach the end of every input partition that holds lines (a commit
          // follows the output by up to one commit interval under at_least_once: poll briefly).
          const ends = new Map(
            (await admin.fetchTopicOffsets("lines")).map((p) => [p.partition, p.high]),
          );
          const wantOffsets = [...ends].filter(([, high]) => high !== "0").sort();
          let committed: [number, string][] = [];
          for (const deadline = Date.now() + 10_000; Date.now() < deadline;) {
            const offsets = await admin.fetchOffsets({ groupId: appId, topics: ["lines"] });
            committed = offsets[0].partitions.filter((p) => p.offset !== "-1").map((p) =>
              [p.partition, p.offset] as [number, string]
            ).sort();
            if (JSON.stringify(committed) === JSON.stringify(wantOffsets)) break;
            await new Promise((r) => setTimeout(r, 200));
          }
          assertEquals(committed, wantOffsets, "committed offsets = end offsets");
        } finally {
          await admin.disconnect();
        }
        // SIGTERM: the JVM runs the shutdown hook (KafkaStreams.close: last commit, leave), prints CLOSED and exits 143.
        const stopped = app;
        app = undefined;
        assertEquals(await stopped.stop(), 143);
        assert(/CLOSED NOT_RUNNING/.test(stopped.output()), `no clean close:\n${stopped.output()}`);
        assert(!/STATE ERROR/.test(stopped.output()), stopped.output());
      } finally {
        if (app) await app.stop();
        await gw.stop();
        await Deno.remove(stateDir, { recursive: true }).catch(() => {});
      }
    },
  });
}

for (const backend of matrix.backends) {
  Deno.test({
    name:
      `Kafka Streams stateless exactly_once_v2 through the gateway (${backend.name}): every line once, in ` +
      `transactions`,
    ignore: tools.ignore || backend.ignore,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      await backend.use();
      const gw = await startGateway();
      const stateDir = await Deno.makeTempDir({ prefix: "upper-state-" });
      let app: Awaited<ReturnType<typeof startApp>> | undefined;
      const kafka = new Kafka({ clientId: "upper", brokers: [gw.bootstrap], logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      try {
        await admin.connect();
        assert(await admin.createTopics({ topics: [{ topic: "in", numPartitions: 2 }, { topic: "out" }] }));
        await kafkaToolOk("kafka-console-producer", ["--bootstrap-server", gw.bootstrap, "--topic", "in"], {
          stdin: LINES.join("\n") + "\n",
        });
        app = await startApp("Uppercase", [gw.bootstrap, "upper", "in", "out", "exactly_once_v2", stateDir]);
        const consumer = kafka.consumer({
          groupId: "upper-reader",
          maxWaitTimeInMs: 200,
          readUncommitted: false,
        });
        const values: string[] = [];
        await consumer.connect();
        try {
          await consumer.subscribe({ topic: "out", fromBeginning: true });
          await consumer.run({
            eachMessage: ({ message }) => {
              values.push(message.value!.toString());
              return Promise.resolve();
            },
          });
          for (const deadline = Date.now() + 60_000; values.length < LINES.length && Date.now() < deadline;) {
            await new Promise((r) => setTimeout(r, 200));
          }
          await new Promise((r) => setTimeout(r, 1000)); // any duplicate would arrive meanwhile
        } finally {
          await consumer.disconnect();
        }
        assertEquals(values.toSorted(), LINES.map((l) => l.toUpperCase()).toSorted(), app.output());
        // Written in transactions: the commit markers take offsets of their own in "out".
        const outEnd = (await admin.fetchTopicOffsets("out")).reduce((n, p) => n + Number(p.high), 0);
        assert(outEnd > LINES.length, `end offset ${outEnd}, ${LINES.length} records`);
        const stopped = app;
        app = undefined;
        assertEquals(await stopped.stop(), 143);
        assert(/CLOSED NOT_RUNNING/.test(stopped.output()), `no clean close:\n${stopped.output()}`);
      } finally {
        if (app) await app.stop();
        await admin.disconnect();
        await gw.stop();
        await Deno.remove(stateDir, { recursive: true }).catch(() => {});
      }
    },
  });
}

matrix.finish();
