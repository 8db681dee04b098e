// Kafka Connect and MirrorMaker 2 against the gateway, from Apache Kafka's own jars (scripts/kafka/tool.sh):
// - standalone: FileStreamSource -> topic -> FileStreamSink, the file round-trips;
// - distributed: the worker keeps its configs, offsets and status in compacted topics on the gateway, connectors
//   are created through its REST API, and the sink file gets the lines;
// - MirrorMaker 2 between a real Apache Kafka and the gateway, both ways: records arrive in the remote topics
//   (ak.<topic> on the gateway, gw.<topic> on Kafka) next to MM2's heartbeats and internal topics.
// Every one runs on both backends: on SeaweedMQ the compacted internal topics keep every record (no compaction;
// src/storage/seaweedmq/fixed_configs.ts), which is all Connect and MM2 need of them.
import { assert, assertEquals } from "../unit/assert.ts";
import {
  type ApacheKafka,
  type JavaProcess,
  javaProcess,
  kafkaToolOk,
  kafkaTools,
  startApacheKafka,
} from "../helpers/apache_kafka.ts";
import { kgwCache } from "../helpers/tools.ts";
import { type RunningGateway, startGateway } from "../helpers/gateway.ts";
import { Kafka, kafkajs, logLevel } from "../helpers/kafkajs.ts";
import { backendMatrix } from "../helpers/backend_matrix.ts";
import { freePort } from "../helpers/ports.ts";

const tools = await kafkaTools();
const matrix = await backendMatrix();
const TOOL = new URL("../../scripts/kafka/tool.sh", import.meta.url).pathname;

/** Connect's shutdown hook stops the herder on SIGTERM. */
type Worker = JavaProcess;

/** Starts a long-running Kafka tool (tool.sh execs the JVM, so signals reach it). */
function startTool(name: string, args: string[]): Worker {
  return javaProcess(
    new Deno.Command(TOOL, {
      args: [name, ...args],
      env: { KGW_CACHE: kgwCache(), KAFKA_HEAP_OPTS: "-Xmx384m" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }),
  );
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ""}`);
}

async function readLines(path: string): Promise<string[]> {
  try {
    return (await Deno.readTextFile(path)).split("\n").filter((l) => l !== "");
  } catch {
    return [];
  }
}

function props(entries: Record<string, string | number>): string {
  return Object.entries(entries).map(([k, v]) => `${k}=${v}`).join("\n") + "\n";
}

function admin(bootstrap: string): kafkajs.Admin {
  return new Kafka({ clientId: "connect-test", brokers: [bootstrap], logLevel: logLevel.NOTHING }).admin();
}

async function topicConfig(a: kafkajs.Admin, topic: string, name: string): Promise<string | undefined> {
  const r = await a.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: topic, configNames: [name] }],
  });
  return r.resources[0].configEntries.find((e) => e.configName === name)?.configValue;
}

/** Every value of `topic` from the beginning (read_committed), once there are at least `count`. */
async function awaitValues(
  bootstrap: string,
  topic: string,
  count: number,
  timeoutMs: number,
): Promise<string[]> {
  const a = admin(bootstrap);
  await a.connect();
  try {
    await waitFor(
      `topic ${topic} on ${bootstrap}`,
      timeoutMs,
      async () => (await a.listTopics()).includes(topic) ? true : undefined,
    );
  } finally {
    await a.disconnect();
  }
  const kafka = new Kafka({ clientId: "connect-reader", brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `reader-${crypto.randomUUID()}`, maxWaitTimeInMs: 200 });
  const values: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: ({ message }) => {
        values.push(message.value?.toString() ?? "");
        return Promise.resolve();
      },
    });
    await waitFor(
      `${count} records in ${topic}`,
      timeoutMs,
      () => Promise.resolve(values.length >= count ? true : undefined),
    )
      .catch(() => {});
    return [...values];
  } finally {
    await consumer.disconnect();
  }
}

const LINES = Array.from({ length: 20 }, (_, i) => `line ${i} of the file`);

for (const backend of matrix.backends) {
  Deno.test({
    name:
      `Kafka Connect standalone through the gateway (${backend.name}): FileStreamSource -> topic -> FileStreamSink`,
    ignore: tools.ignore || backend.ignore,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      await backend.use();
      const gw = await startGateway();
      const dir = await Deno.makeTempDir({ prefix: "connect-standalone-" });
      let worker: Worker | undefined;
      try {
        await Deno.writeTextFile(`${dir}/in.txt`, LINES.join("\n") + "\n");
        await Deno.writeTextFile(
          `${dir}/worker.properties`,
          props({
            "bootstrap.servers": gw.bootstrap,
            "key.converter": "org.apache.kafka.connect.storage.StringConverter",
            "value.converter": "org.apache.kafka.connect.storage.StringConverter",
            "offset.storage.file.filename": `${dir}/offsets`,
            "offset.flush.interval.ms": 1000,
            "listeners": `http://127.0.0.1:${freePort()}`,
          }),
        );
        await Deno.writeTextFile(
          `${dir}/source.properties`,
          props({
            name: "file-source",
            "connector.class": "FileStreamSource",
            file: `${dir}/in.txt`,
            topic: "lines",
          }),
        );
        await Deno.writeTextFile(
          `${dir}/sink.properties`,
          props({
            name: "file-sink",
            "connector.class": "FileStreamSink",
            file: `${dir}/out.txt`,
            topics: "lines",
          }),
        );
        worker = startTool("connect-standalone", [
          `${dir}/worker.properties`,
          `${dir}/source.properties`,
          `${dir}/sink.properties`,
        ]);
        const w = worker;
        await waitFor("the sink file", 60_000, async () => {
          const got = await readLines(`${dir}/out.txt`);
          return got.length >= LINES.length ? got : undefined;
        }).catch((e) => {
          throw new Error(`${e}\nworker output:\n${w.output()}`);
        });
        // Lines appended while the worker runs travel too (the source tails the file).
        const more = ["appended 1", "appended 2"];
        await Deno.writeTextFile(`${dir}/in.txt`, more.join("\n") + "\n", { append: true });
        const got = await waitFor("the appended lines", 30_000, async () => {
          const got = await readLines(`${dir}/out.txt`);
          return got.length >= LINES.length + more.length ? got : undefined;
        });
        assertEquals(got, [...LINES, ...more]);
        // The topic holds exactly the lines, in order (one partition, auto-created).
        assertEquals(await awaitValues(gw.bootstrap, "lines", got.length, 20_000), got);
      } finally {
        if (worker) await worker.stop();
        await gw.stop();
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
    },
  });
}

for (const backend of matrix.backends) {
  Deno.test({
    name:
      `Kafka Connect distributed through the gateway (${backend.name}): compacted internal topics, REST-created ` +
      `connectors`,
    ignore: tools.ignore || backend.ignore,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      await backend.use();
      const gw = await startGateway();
      const dir = await Deno.makeTempDir({ prefix: "connect-distributed-" });
      const port = freePort();
      const rest = `http://127.0.0.1:${port}`;
      let worker: Worker | undefined;
      try {
        await Deno.writeTextFile(`${dir}/in.txt`, LINES.join("\n") + "\n");
        await Deno.writeTextFile(
          `${dir}/worker.properties`,
          props({
            "bootstrap.servers": gw.bootstrap,
            "group.id": "connect-cluster",
            "key.converter": "org.apache.kafka.connect.storage.StringConverter",
            "value.converter": "org.apache.kafka.connect.storage.StringConverter",
            "config.storage.topic": "connect-configs",
            "offset.storage.topic": "connect-offsets",
            "status.storage.topic": "connect-status",
            "config.storage.replication.factor": 1,
            "offset.storage.replication.factor": 1,
            "status.storage.replication.factor": 1,
            "offset.flush.interval.ms": 1000,
            "listeners": rest,
          }),
        );
        worker = startTool("connect-distributed", [`${dir}/worker.properties`]);
        const w = worker;
        // The REST API answers once the worker joined its group and read the config topic.
        await waitFor("the REST API", 60_000, async () => {
          const r = await fetch(`${rest}/connectors`);
          const body = await r.text();
          return r.ok ? body : undefined;
        }).catch((e) => {
          throw new Error(`${e}\nworker output:\n${w.output()}`);
        });
        const create = async (name: string, config: Record<string, string>) => {
          const r = await fetch(`${rest}/connectors`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ name, config }),
          });
          const body = await r.text();
          assertEquals(r.status, 201, `POST /connectors ${name}: ${body}`);
        };
        await create("file-source", {
          "connector.class": "FileStreamSource",
          "file": `${dir}/in.txt`,
          "topic": "dist-lines",
        });
        await create("file-sink", {
          "connector.class": "FileStreamSink",
          "file": `${dir}/out.txt`,
          "topics": "dist-lines",
        });
        const got = await waitFor("the sink file", 60_000, async () => {
          const got = await readLines(`${dir}/out.txt`);
          return got.length >= LINES.length ? got : undefined;
        }).catch((e) => {
          throw new Error(`${e}\nworker output:\n${w.output()}`);
        });
        assertEquals(got, LINES);

        // Both connectors and their tasks RUNNING, as the status topic tells the worker.
        for (const name of ["file-source", "file-sink"]) {
          const status = await waitFor(`${name} RUNNING`, 20_000, async () => {
            const s = await (await fetch(`${rest}/connectors/${name}/status`)).json();
            return s.connector?.state === "RUNNING" && s.tasks?.[0]?.state === "RUNNING" ? s : undefined;
          });
          assertEquals(status.name, name);
        }
        const a = admin(gw.bootstrap);
        await a.connect();
        try {
          for (const topic of ["connect-configs", "connect-offsets", "connect-status"]) {
            assertEquals(await topicConfig(a, topic, "cleanup.policy"), "compact", topic);
          }
          // The config topic has one partition (Connect requires it); offsets and status Connect's defaults.
          const meta = await a.fetchTopicMetadata({
            topics: ["connect-configs", "connect-offsets", "connect-status"],
          });
          const parts = Object.fromEntries(meta.topics.map((t) => [t.name, t.partitions.length]));
          assertEquals(parts, { "connect-configs": 1, "connect-offsets": 25, "connect-status": 5 });
        } finally {
          await a.disconnect();
        }
        // The source's file position reached the offsets topic: a record keyed by the connector and file.
        const offsets = await awaitValues(gw.bootstrap, "connect-offsets", 1, 20_000);
        assert(offsets.some((v) => v.includes('"position"')), `connect-offsets: ${offsets}`);
        // The connector configs are in the config topic.
        const configs = await awaitValues(gw.bootstrap, "connect-configs", 2, 20_000);
        assert(configs.some((v) => v.includes("FileStreamSink")), `connect-configs: ${configs}`);
      } finally {
        if (worker) await worker.stop();
        await gw.stop();
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
    },
  });
}

/** Produces `values` to `topic` with Kafka's console producer (the topic is created first, 2 partitions). */
async function produceLines(bootstrap: string, topic: string, values: string[]): Promise<void> {
  await kafkaToolOk("kafka-topics", [
    "--bootstrap-server",
    bootstrap,
    "--create",
    "--topic",
    topic,
    "--partitions",
    "2",
  ]);
  await kafkaToolOk("kafka-console-producer", ["--bootstrap-server", bootstrap, "--topic", topic], {
    stdin: values.join("\n") + "\n",
  });
}

for (const backend of matrix.backends) {
  Deno.test({
    name:
      `MirrorMaker 2 between Apache Kafka and the gateway (${backend.name}), both ways: remote topics, heartbeats, ` +
      `checkpoints`,
    ignore: tools.ignore || backend.ignore,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      let ak: ApacheKafka | undefined;
      let gw: RunningGateway | undefined;
      let mm2: Worker | undefined;
      await backend.use();
      const dir = await Deno.makeTempDir({ prefix: "mm2-" });
      try {
        [ak, gw] = await Promise.all([startApacheKafka(), startGateway()]);
        const fromAk = Array.from({ length: 30 }, (_, i) => `order ${i}`);
        const fromGw = Array.from({ length: 30 }, (_, i) => `event ${i}`);
        await Promise.all([
          produceLines(ak.bootstrap, "orders", fromAk),
          produceLines(gw.bootstrap, "events", fromGw),
        ]);
        // A group that consumed part of "orders" on Kafka: MM2 checkpoints its offsets into the gateway.
        await kafkaToolOk("kafka-console-consumer", [
          "--bootstrap-server",
          ak.bootstrap,
          "--topic",
          "orders",
          "--group",
          "shop",
          "--from-beginning",
          "--max-messages",
          "10",
        ]);
        await Deno.writeTextFile(
          `${dir}/mm2.properties`,
          props({
            "clusters": "ak, gw",
            "ak.bootstrap.servers": ak.bootstrap,
            "gw.bootstrap.servers": gw.bootstrap,
            "ak->gw.enabled": "true",
            "ak->gw.topics": "orders",
            "gw->ak.enabled": "true",
            "gw->ak.topics": "events",
            "replication.factor": 1,
            "checkpoints.topic.replication.factor": 1,
            "heartbeats.topic.replication.factor": 1,
            "offset-syncs.topic.replication.factor": 1,
            "offset.storage.replication.factor": 1,
            "status.storage.replication.factor": 1,
            "config.storage.replication.factor": 1,
            "sync.topic.acls.enabled": "false",
            "emit.heartbeats.interval.seconds": 1,
            "emit.checkpoints.interval.seconds": 1,
            "sync.group.offsets.enabled": "true",
            "sync.group.offsets.interval.seconds": 1,
            "refresh.topics.interval.seconds": 2,
            "refresh.groups.interval.seconds": 2,
          }),
        );
        mm2 = startTool("connect-mirror-maker", [`${dir}/mm2.properties`]);
        const m = mm2;
        const onGw = await awaitValues(gw.bootstrap, "ak.orders", fromAk.length, 90_000).catch((e) => {
          throw new Error(`${e}\nMM2 output:\n${m.output()}`);
        });
        assertEquals(onGw.toSorted(), fromAk.toSorted(), "ak.orders on the gateway");
        const onAk = await awaitValues(ak.bootstrap, "gw.events", fromGw.length, 60_000);
        assertEquals(onAk.toSorted(), fromGw.toSorted(), "gw.events on Apache Kafka");

        // MM2's own topics on the gateway: heartbeats (local and the remote ak.heartbeats), its Connect
        // internal topics (compacted), and ak.checkpoints.internal for the "shop" group.
        const a = admin(gw.bootstrap);
        await a.connect();
        try {
          const topics = await waitFor("MM2's topics on the gateway", 30_000, async () => {
            const t = await a.listTopics();
            return ["heartbeats", "ak.heartbeats", "ak.checkpoints.internal"].every((n) => t.includes(n))
              ? t
              : undefined;
          }).catch(async (e) => {
            throw new Error(`${e}: ${await a.listTopics()}`);
          });
          for (const t of topics.filter((t) => /^mm2-(configs|offsets|status)\.ak\.internal$/.test(t))) {
            assertEquals(await topicConfig(a, t, "cleanup.policy"), "compact", t);
          }
          assertEquals(
            topics.filter((t) => /^mm2-(configs|offsets|status)\.ak\.internal$/.test(t)).length,
            3,
            `${topics}`,
          );
          // The consumer group's offset (10 records read on Kafka) translated and synced onto the gateway.
          const synced = await waitFor("shop's offsets synced to the gateway", 30_000, async () => {
            const o = await a.fetchOffsets({ groupId: "shop", topics: ["ak.orders"] });
            const total = o[0].partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
            return total > 0 ? total : undefined;
          });
          assert(synced <= 10, `synced offsets ${synced} > the 10 consumed`);
        } finally {
          await a.disconnect();
        }
        assert(!/ERROR/.test(mm2.output()), `MM2 logged errors:\n${mm2.output()}`);
      } finally {
        if (mm2) await mm2.stop();
        await gw?.stop();
        await ak?.stop();
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
    },
  });
}

matrix.finish();
