// KafkaJS 2.2.4 against a real gateway process: produce with every codec, read back exactly, restarts,
// crashes, admin APIs, and bad input on one connection never harming another.
import { Buffer } from "node:buffer";
import { assert, assertEquals } from "../unit/assert.ts";
import { type RunningGateway, runWithGateway, startGateway } from "../helpers/gateway.ts";
import { storedPartitions } from "../helpers/seaweedfs.ts";
import {
  CompressionTypes,
  connectBroker,
  type FetchedMessage,
  Kafka,
  logLevel,
  readPartition,
} from "../helpers/kafkajs.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

function client(gw: RunningGateway) {
  return new Kafka({
    clientId: "conformance",
    brokers: [gw.bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 3 },
  });
}

const withGateway = (args: string[], fn: (gw: RunningGateway) => Promise<void>, dataDir?: string) =>
  runWithGateway({ args, dataDir }, fn);

const CODECS: [string, number][] = [
  ["none", CompressionTypes.None],
  ["gzip", CompressionTypes.GZIP],
  ["snappy", CompressionTypes.Snappy],
  ["lz4", CompressionTypes.LZ4],
  ["zstd", CompressionTypes.ZSTD],
];

Deno.test({
  name: "kafkajs: every codec round-trips keys, null keys/values, headers and timestamps over 3 partitions",
  ...opts,
  fn: () =>
    withGateway([], async (gw) => {
      const kafka = client(gw);
      const admin = kafka.admin();
      await admin.connect();
      const producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      const broker = await connectBroker(gw.bootstrap);
      try {
        for (const [name, codec] of CODECS) {
          const topic = `codec-${name}`;
          assert(await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] }), `create ${topic}`);
          const messages = Array.from({ length: 60 }, (_, i) => ({
            partition: i % 3,
            key: i % 10 === 0 ? null : `key-${i}`,
            value: i % 7 === 0 ? null : `value-${i}-${"x".repeat(i * 10)}`,
            timestamp: String(1_700_000_000_000 + i),
            headers: i % 2 === 0 ? { h1: `hv-${i}`, empty: "" } : undefined,
          }));
          // Several sends so each partition holds more than one batch.
          for (let s = 0; s < 3; s++) {
            await producer.send({
              topic,
              compression: codec,
              acks: -1,
              messages: messages.slice(s * 20, s * 20 + 20),
            });
          }
          for (let p = 0; p < 3; p++) {
            const expected = messages.filter((m) => m.partition === p);
            const got = await readPartition(broker, topic, p, expected.length);
            assertEquals(got.length, expected.length, `${topic}-${p} count`);
            got.forEach((m: FetchedMessage, j: number) => {
              const e = expected[j];
              assertEquals(m.offset, String(j), `${topic}-${p} offset`);
              assertEquals(m.key === null ? null : m.key.toString(), e.key, `${topic}-${p}@${j} key`);
              assertEquals(m.value === null ? null : m.value.toString(), e.value, `${topic}-${p}@${j} value`);
              assertEquals(m.timestamp, e.timestamp, `${topic}-${p}@${j} timestamp`);
              const headers = Object.fromEntries(
                Object.entries(m.headers).map(([k, v]) => [k, (v as Buffer).toString()]),
              );
              assertEquals(headers, e.headers ?? {}, `${topic}-${p}@${j} headers`);
            });
          }
        }
      } finally {
        await broker.disconnect();
        await producer.disconnect();
        await admin.disconnect();
      }
    }),
});

Deno.test({
  name: "kafkajs: 1 MB messages and several topics produced in one request",
  ...opts,
  fn: () =>
    withGateway([], async (gw) => {
      const kafka = client(gw);
      const producer = kafka.producer();
      await producer.connect();
      const broker = await connectBroker(gw.bootstrap);
      try {
        const big = Array.from({ length: 3 }, (_, i) => Buffer.alloc(1_000_000, 97 + i));
        // One 3 MB batch is over message.max.bytes, as on Kafka; each 1 MB message alone fits.
        const tooLarge = await producer.send({
          topic: "big",
          acks: 1,
          messages: big.map((value) => ({ value })),
        })
          .then(() => null, (e: { type?: string }) => e);
        assertEquals(tooLarge?.type, "MESSAGE_TOO_LARGE");
        for (const value of big) await producer.send({ topic: "big", acks: 1, messages: [{ value }] });
        const got = await readPartition(broker, "big", 0, 3, { maxBytes: 4_000_000 });
        got.forEach((m, i) =>
          assert(m.value !== null && Buffer.compare(m.value, big[i]) === 0, `big message ${i}`)
        );
        await producer.sendBatch({
          acks: -1,
          topicMessages: ["multi-a", "multi-b", "multi-c"].map((topic) => ({
            topic,
            messages: [{ key: topic, value: `hello ${topic}` }],
          })),
        });
        for (const topic of ["multi-a", "multi-b", "multi-c"]) {
          const [m] = await readPartition(broker, topic, 0, 1);
          assertEquals(m.value?.toString(), `hello ${topic}`);
        }
      } finally {
        await broker.disconnect();
        await producer.disconnect();
      }
    }),
});

Deno.test({
  name: "kafkajs: data survives a graceful restart and a kill -9; offsets continue",
  ...opts,
  fn: async () => {
    const dataDir = await Deno.makeTempDir({ prefix: "kgw-restart-" });
    await withGateway([], async (gw) => {
      const producer = client(gw).producer();
      await producer.connect();
      for (let i = 0; i < 10; i++) {
        await producer.send({
          topic: "durable",
          acks: -1,
          messages: Array.from({ length: 10 }, (_, j) => ({ value: `m${i * 10 + j}` })),
        });
      }
      await producer.disconnect();
    }, dataDir);
    // Crash: acks received before the kill must all be readable afterwards.
    const acked: number[] = [];
    const gw2 = await startGateway({ dataDir });
    const producer = client(gw2).producer();
    await producer.connect();
    for (let i = 0; i < 20; i++) {
      const [r] = await producer.send({ topic: "durable", acks: 1, messages: [{ value: `crash-${i}` }] });
      acked.push(Number(r.baseOffset));
    }
    await gw2.kill();
    await producer.disconnect().catch(() => {});
    await withGateway([], async (gw) => {
      const broker = await connectBroker(gw.bootstrap);
      try {
        const got = await readPartition(broker, "durable", 0, 120);
        for (let i = 0; i < 100; i++) assertEquals(got[i].value?.toString(), `m${i}`);
        for (let i = 0; i < 20; i++) {
          assertEquals(acked[i], 100 + i);
          assertEquals(got[100 + i].value?.toString(), `crash-${i}`);
        }
        const p = client(gw).producer();
        await p.connect();
        const [r] = await p.send({ topic: "durable", acks: -1, messages: [{ value: "after" }] });
        assertEquals(Number(r.baseOffset), 120);
        await p.disconnect();
      } finally {
        await broker.disconnect();
      }
    }, dataDir);
  },
});

Deno.test({
  name: "kafkajs admin: create, list, offsets (earliest/latest/by timestamp), delete really deletes",
  ...opts,
  fn: () =>
    withGateway(["--auto-create-topics", "false"], async (gw) => {
      const kafka = client(gw);
      const admin = kafka.admin();
      await admin.connect();
      try {
        assert(await admin.createTopics({ topics: [{ topic: "adm", numPartitions: 2 }] }));
        assertEquals(await admin.createTopics({ topics: [{ topic: "adm", numPartitions: 2 }] }), false);
        let bad: unknown = null;
        await admin.createTopics({ topics: [{ topic: "bad/name" }] }).catch((e) => bad = e);
        assert(bad !== null, "illegal topic name refused");
        assert((await admin.listTopics()).includes("adm"));
        const producer = kafka.producer({ allowAutoTopicCreation: false });
        await producer.connect();
        for (let i = 0; i < 5; i++) {
          await producer.send({
            topic: "adm",
            messages: [{ partition: 0, value: `v${i}`, timestamp: String(1000 * (i + 1)) }],
          });
        }
        let unknown: unknown = null;
        await producer.send({ topic: "no-such-topic", messages: [{ value: "x" }] }).catch((e) => unknown = e);
        assert(unknown !== null, "no auto-creation when disabled");
        await producer.disconnect();
        const offsets = await admin.fetchTopicOffsets("adm");
        const p0 = offsets.find((o) => o.partition === 0)!;
        assertEquals([p0.low, p0.high], ["0", "5"]);
        const byTs = await admin.fetchTopicOffsetsByTimestamp("adm", 3000);
        assertEquals(byTs.find((o) => o.partition === 0)?.offset, "2");
        const cluster = await admin.describeCluster();
        assertEquals(cluster.brokers.length, 1);
        assertEquals(cluster.brokers[0].port, gw.port);
        // the backend's own storage (embedded: partition directories; SeaweedMQ: the topic's partitions in the
        // filer): present before the delete, so that "gone" after it means something on either backend
        // (SeaweedMQ makes a partition's directory with its first record: partition 0 has records here)
        assert((await storedPartitions(gw, "adm")).length > 0, "the backend holds the topic's partitions");
        await admin.deleteTopics({ topics: ["adm"] });
        assert(!(await admin.listTopics()).includes("adm"));
        assertEquals(await storedPartitions(gw, "adm"), [], "partition data removed from the backend");
        assert(await admin.createTopics({ topics: [{ topic: "adm", numPartitions: 1 }] }));
        const fresh = await admin.fetchTopicOffsets("adm");
        assertEquals(fresh[0].high, "0");
      } finally {
        await admin.disconnect();
      }
    }),
});

// ---- raw wire checks: bad input closes only the offending connection ----

async function rawConnect(port: number): Promise<Deno.TcpConn> {
  return await Deno.connect({ hostname: "127.0.0.1", port });
}

/** Reads until EOF or timeout; returns true when the server closed the connection. */
async function closedByServer(conn: Deno.Conn, ms = 5000): Promise<boolean> {
  const buf = new Uint8Array(4096);
  const deadline = Date.now() + ms;
  try {
    while (Date.now() < deadline) {
      const n = await Promise.race([
        conn.read(buf),
        new Promise<number | null | "timeout">((r) => setTimeout(() => r("timeout"), deadline - Date.now())),
      ]);
      if (n === null) return true;
      if (n === "timeout") return false;
    }
    return false;
  } catch {
    return true;
  } finally {
    try {
      conn.close();
    } catch { /* closed */ }
  }
}

function frame(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setInt32(0, body.length);
  out.set(body, 4);
  return out;
}

Deno.test({
  name: "wire: malformed, truncated, oversized and unknown-API frames close only their own connection",
  ...opts,
  fn: () =>
    withGateway(["--max-request-bytes", "1048576"], async (gw) => {
      const kafka = client(gw);
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: "safe", messages: [{ value: "before" }] });
      const cases: [string, Uint8Array][] = [
        // api key 9999 does not exist
        ["unknown api key", frame(new Uint8Array([0x27, 0x0f, 0, 0, 0, 0, 0, 1, 0, 0]))],
        // Metadata v1 header, then a topics array claiming 1000 entries with no bytes behind it
        ["truncated body", frame(new Uint8Array([0, 3, 0, 1, 0, 0, 0, 2, 0, 1, 0x61, 0, 0, 0x03, 0xe8]))],
        // size prefix larger than --max-request-bytes
        ["oversized frame", new Uint8Array([0x10, 0, 0, 0, 1, 2, 3])],
        ["negative size", new Uint8Array([0xff, 0xff, 0xff, 0xfe])],
        ["too short for a header", frame(new Uint8Array([0, 3]))],
        // Produce v99 is not a version we speak
        ["unsupported version", frame(new Uint8Array([0, 0, 0, 99, 0, 0, 0, 3, 0, 0]))],
      ];
      for (const [what, bytes] of cases) {
        const conn = await rawConnect(gw.port);
        await conn.write(bytes);
        assert(await closedByServer(conn), `${what}: server closed the connection`);
        const [r] = await producer.send({ topic: "safe", acks: -1, messages: [{ value: what }] });
        assert(Number(r.baseOffset) > 0, `${what}: other connection still served`);
      }
      assert(gw.logs().includes("closing connection"), "the gateway logged why it closed connections");
      await producer.disconnect();
    }),
});
