// SeaweedMQ-specific behaviour against a real SeaweedFS (tests/helpers/seaweedfs.ts): a broker killed and
// restarted under produce load loses no acknowledged record; a second gateway with an empty local directory
// sees the same topics, data and committed offsets; committed offsets sit where SeaweedFS's own gateway keeps
// them; values are stored plainly for SMQ-native consumers, and messages of SMQ-native publishers are readable.
import { Buffer } from "node:buffer";
import { assert, assertEquals } from "../unit/assert.ts";
import { type RunningGateway, runWithGateway } from "../helpers/gateway.ts";
import { Kafka, logLevel, readWholePartition } from "../helpers/kafkajs.ts";
import { clusterForModule, type SeaweedFS } from "../helpers/seaweedfs.ts";
import { RpcChannel } from "../../src/storage/seaweedmq/transport/grpc.ts";
import { frame, GrpcH2Session } from "../../src/storage/seaweedmq/transport/h2stream.ts";
import * as m from "../../src/storage/seaweedmq/transport/messages.ts";
import { PbWriter } from "../../src/storage/seaweedmq/transport/pb.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const cluster = await clusterForModule();

function client(gw: RunningGateway) {
  return new Kafka({
    clientId: "seaweedmq-test",
    brokers: [gw.bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 2000 },
  });
}

const withGateway = (c: SeaweedFS, fn: (gw: RunningGateway) => Promise<void>, args: string[] = []) =>
  runWithGateway({ args: [...c.gatewayArgs, ...args] }, fn);

/** Reads a whole partition, up to its high watermark, through the gateway (offsets may have gaps). */
const readAll = (gw: RunningGateway, topic: string, partition: number) =>
  readWholePartition(gw.bootstrap, topic, partition);

async function brokerTopicPartition(c: SeaweedFS, topic: string, partition: number, partitions: number) {
  const ch = new RpcChannel(c.broker);
  const t = { namespace: "kafka", name: topic };
  const a = m.decodeLookupTopicBrokersResponse(
    await ch.unary(m.Rpc.LookupTopicBrokers, m.encodeTopicRequest(t), 10000),
  )
    .sort((x, y) => x.partition.rangeStart - y.partition.rangeStart);
  assertEquals(a.length, partitions);
  return { ch, topic: t, partition: a[partition].partition };
}

if (cluster) {
  const c = cluster;

  Deno.test({
    name: "seaweedmq: a broker killed (-9) and restarted under produce load loses no acknowledged record",
    ...opts,
    fn: () =>
      withGateway(c, async (gw) => {
        const topic = "crash-load";
        const partitions = 3;
        const admin = client(gw).admin();
        await admin.connect();
        await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] });
        await admin.disconnect();
        const acked: { partition: number; value: string; offset: number }[][] = Array.from(
          { length: partitions },
          () => [],
        );
        let stop = false;
        let sent = 0;
        let failed = 0;
        const producers = Array.from({ length: partitions }, async (_, p) => {
          const producer = client(gw).producer({ allowAutoTopicCreation: false });
          await producer.connect();
          for (let batch = 0; !stop; batch++) {
            const values = Array.from({ length: 200 }, (_, i) => `p${p}-b${batch}-m${i}`);
            sent += values.length;
            try {
              const [r] = await producer.send({
                topic,
                acks: -1,
                timeout: 30000,
                messages: values.map((value) => ({ partition: p, value })),
              });
              const base = Number(r.baseOffset);
              values.forEach((value, i) => acked[p].push({ partition: p, value, offset: base + i }));
            } catch {
              failed += values.length; // not acknowledged: may or may not be stored
            }
          }
          await producer.disconnect();
        });
        await new Promise((r) => setTimeout(r, 3000));
        const before = acked.reduce((s, a) => s + a.length, 0);
        await c.stopBroker("KILL");
        await new Promise((r) => setTimeout(r, 1000));
        await c.startBroker();
        await new Promise((r) => setTimeout(r, 4000));
        stop = true;
        await Promise.all(producers);
        const total = acked.reduce((s, a) => s + a.length, 0);
        assert(before > 1000, `produced before the kill (${before})`);
        assert(total > before, `produced after the restart (${total} > ${before})`);
        for (let p = 0; p < partitions; p++) {
          const { messages } = await readAll(gw, topic, p);
          const stored = new Map<string, number>();
          for (const msg of messages) stored.set(msg.value!.toString(), Number(msg.offset));
          const missing = acked[p].filter((a) => !stored.has(a.value));
          assertEquals(
            missing.length,
            0,
            `partition ${p}: acknowledged records missing: ${
              missing.slice(0, 5).map((x) => `${x.value}@${x.offset}`).join(", ")
            }`,
          );
          // acknowledged records keep their order
          let last = -1;
          for (const a of acked[p]) {
            const o = stored.get(a.value)!;
            assert(o > last, `partition ${p}: ${a.value} at ${o} after ${last}`);
            last = o;
          }
        }
        console.log(
          `crash test: ${total} records acknowledged (${before} before the kill), ${failed} not acknowledged, ` +
            `${sent} sent; gateway recovery log:\n` +
            gw.logs().split("\n").filter((l) => /lost|checkpoint|re-assigned|reloading|behind/.test(l)).join(
              "\n",
            ),
        );
      }),
  });

  Deno.test({
    name: "seaweedmq: a second gateway with an empty local directory sees the same topics, data and offsets",
    ...opts,
    fn: async () => {
      const topic = "shared-state";
      const values = Array.from({ length: 30 }, (_, i) => `v${i}`);
      await withGateway(c, async (gw) => {
        const kafka = client(gw);
        const admin = kafka.admin();
        await admin.connect();
        await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
        const producer = kafka.producer();
        await producer.connect();
        await producer.send({
          topic,
          acks: -1,
          messages: values.map((value, i) => ({
            partition: i % 2,
            key: `k${i}`,
            value,
            headers: { n: String(i) },
          })),
        });
        await producer.disconnect();
        await admin.setOffsets({
          groupId: "shared-group",
          topic,
          partitions: [{ partition: 0, offset: "7" }],
        });
        await admin.setOffsets({
          groupId: "shared-group",
          topic,
          partitions: [{ partition: 1, offset: "11" }],
        });
        await admin.disconnect();
      });
      // a different, empty data directory: everything must come from SeaweedFS
      await withGateway(c, async (gw) => {
        const admin = client(gw).admin();
        await admin.connect();
        assert((await admin.listTopics()).includes(topic), "topic listed");
        const committed = await admin.fetchOffsets({ groupId: "shared-group", topics: [topic] });
        assertEquals(
          committed[0].partitions.map((p) => [p.partition, p.offset]).sort(),
          [[0, "7"], [1, "11"]],
        );
        await admin.disconnect();
        for (const p of [0, 1]) {
          const { messages } = await readAll(gw, topic, p);
          assertEquals(messages.map((x) => x.value!.toString()), values.filter((_, i) => i % 2 === p));
          assertEquals(
            messages.map((x) => (x.headers.n as Buffer).toString()),
            values.map((_, i) => String(i)).filter((_, i) => i % 2 === p),
          );
        }
      });
    },
  });

  Deno.test({
    name: "seaweedmq: committed offsets use SeaweedFS's gateway layout; values are stored plainly",
    ...opts,
    fn: () =>
      withGateway(c, async (gw) => {
        const topic = "layout";
        const kafka = client(gw);
        const producer = kafka.producer();
        await producer.connect();
        await producer.send({
          topic,
          acks: -1,
          messages: [{ key: "k", value: "plain value", headers: { h: "x" } }],
        });
        await producer.disconnect();
        const admin = kafka.admin();
        await admin.connect();
        await admin.setOffsets({
          groupId: "layout-group",
          topic,
          partitions: [{ partition: 0, offset: "1" }],
        });
        await admin.disconnect();
        // the filer's HTTP API serves the file SeaweedFS's gateway reads
        const res = await fetch(
          `http://${c.filer}/topics/kafka/.meta/consumer_offsets/layout-group/${topic}/0/offset`,
        );
        assertEquals(res.status, 200);
        const body = await res.json();
        assertEquals([body.type, body.value, typeof body.committed_at, body.metadata], [
          "offset",
          1,
          "number",
          "",
        ]);
        // an SMQ-native reader sees the Kafka value unchanged
        const { ch, topic: t, partition } = await brokerTopicPartition(c, topic, 0, 1);
        const f = m.decodeFetchMessageResponse(
          await ch.unary(
            m.Rpc.FetchMessage,
            m.encodeFetchMessageRequest({
              topicPartition: m.encodeTopicPartition(t, partition),
              startOffset: 0,
              maxBytes: 1 << 20,
              maxMessages: 10,
            }),
            10000,
          ),
        );
        ch.close();
        assertEquals(new TextDecoder().decode(f.messages[0].value), "plain value");
      }),
  });

  Deno.test({
    name: "seaweedmq: messages of SMQ-native publishers (no envelope) are readable as Kafka records",
    ...opts,
    fn: () =>
      withGateway(c, async (gw) => {
        const topic = "native";
        const admin = client(gw).admin();
        await admin.connect();
        await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
        await admin.disconnect();
        const { ch, topic: t, partition } = await brokerTopicPartition(c, topic, 0, 1);
        ch.close();
        const session = new GrpcH2Session(c.broker);
        const acks: number[] = [];
        const done = Promise.withResolvers<void>();
        let hello = false;
        const s = session.open(m.Rpc.PublishMessage, {
          onMessage: (b) => {
            if (!hello) hello = true;
            else if (acks.push(m.ackOffset(b)) === 3) done.resolve();
          },
          onEnd: (status, msg) => done.reject(new Error(`publish ended: ${status} ${msg}`)),
        });
        s.write(frame(m.encodePublishInit({ topic: t, partition, ackInterval: 1, publisherName: "native" })));
        const te = new TextEncoder();
        for (const [k, v] of [["", "no key"], ["key1", "with key"], ["key2", ""]]) {
          s.write(
            frame(new PbWriter().message(2, (w) => w.bytes(1, te.encode(k)).bytes(2, te.encode(v))).finish()),
          );
        }
        await done.promise;
        s.end();
        session.close();
        assertEquals(acks, [0, 1, 2]);
        const { messages } = await readAll(gw, topic, 0);
        assertEquals(
          messages.map((x) => [x.key?.toString() ?? null, x.value?.toString() ?? null]),
          [[null, "no key"], ["key1", "with key"], ["key2", ""]],
        );
      }),
  });

  Deno.test({
    name: "seaweedmq: --seaweedmq-record-format plain stores key and value only; either format reads both",
    ...opts,
    fn: async () => {
      const produce = async (gw: RunningGateway, topic: string) => {
        const producer = client(gw).producer();
        await producer.connect();
        await producer.send({
          topic,
          acks: -1,
          messages: [{
            partition: 0,
            key: "k1",
            value: "v1",
            headers: { h: "x" },
            timestamp: "1700000000000",
          }],
        });
        await producer.disconnect();
      };
      const seen = async (gw: RunningGateway, topic: string) =>
        (await readAll(gw, topic, 0)).messages.map((x) => ({
          key: x.key?.toString() ?? null,
          value: x.value?.toString() ?? null,
          headers: Object.keys(x.headers ?? {}),
          timestamp: x.timestamp,
        }));
      const plain = ["--seaweedmq-record-format", "plain"];
      await withGateway(c, (gw) => produce(gw, "fmt-plain"), plain);
      await withGateway(c, (gw) => produce(gw, "fmt-envelope"));
      for (const args of [plain, []]) {
        await withGateway(c, async (gw) => {
          // Written plain: the key is the message key (no envelope to unwrap), headers and the producer's
          // timestamp were not stored.
          const [p] = await seen(gw, "fmt-plain");
          assertEquals([p.key, p.value, p.headers], ["k1", "v1", []]);
          assert(p.timestamp !== "1700000000000", "the broker's time, not the producer's");
          // Written with the envelope: everything kept, whatever this gateway writes.
          const [e] = await seen(gw, "fmt-envelope");
          assertEquals([e.key, e.value, e.headers, e.timestamp], ["k1", "v1", ["h"], "1700000000000"]);
        }, args);
      }
    },
  });

  Deno.test({
    name: "seaweedmq: stop the SeaweedFS cluster of this module",
    ...opts,
    fn: () => c.stop(),
  });
}
