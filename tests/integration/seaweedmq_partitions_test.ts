// CreatePartitions on the SeaweedMQ backend (src/storage/seaweedmq/topic/layouts.ts): SeaweedMQ allocates a new layout
// for the new count; existing partitions must keep their records and offsets, new partitions start at 0, and
// other gateways, restarts and consumer groups see the grown topic. Real SeaweedFS, real KafkaJS clients.
import { assert, assertEquals } from "../unit/assert.ts";
import { Buffer } from "node:buffer";
import { type RunningGateway, startGateway } from "../helpers/gateway.ts";
import { connectBroker, Kafka, logLevel, readPartition } from "../helpers/kafkajs.ts";
import { clusterForModule, weedPath } from "../helpers/seaweedfs.ts";
import { SmqCluster } from "../../src/storage/seaweedmq/transport/cluster.ts";
import { Filer } from "../../src/storage/seaweedmq/transport/filer.ts";

const cluster = await clusterForModule();
const opts = { sanitizeOps: false, sanitizeResources: false };

function client(bootstrap: string) {
  return new Kafka({ clientId: "smq-partitions", brokers: [bootstrap], logLevel: logLevel.NOTHING });
}

async function produce(
  bootstrap: string,
  topic: string,
  partition: number,
  values: string[],
): Promise<number> {
  const producer = client(bootstrap).producer();
  await producer.connect();
  try {
    const [r] = await producer.send({
      topic,
      acks: -1,
      messages: values.map((v) => ({ partition, key: v, value: v })),
    });
    return Number(r.baseOffset);
  } finally {
    await producer.disconnect();
  }
}

/**
 * The partition's leader as the gateway at `bootstrap` reports it (gateways on one namespace form one cluster:
 * only the leader serves a partition), waiting while it has none (a new partition being assigned).
 */
async function leaderOf(bootstrap: string, topic: string, partition: number): Promise<string> {
  const admin = client(bootstrap).admin();
  await admin.connect();
  try {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const [meta, brokers] = await Promise.all([
        admin.fetchTopicMetadata({ topics: [topic] }),
        admin.describeCluster(),
      ]);
      const leader = meta.topics[0].partitions.find((p) => p.partitionId === partition)?.leader ?? -1;
      const b = brokers.brokers.find((x) => x.nodeId === leader);
      if (b) return `${b.host}:${b.port}`;
      assert(Date.now() < deadline, `${topic}-${partition} has no leader (seen through ${bootstrap})`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await admin.disconnect();
  }
}

/** Records of a partition, read from its leader as found through the gateway at `bootstrap`. */
async function values(bootstrap: string, topic: string, partition: number, n: number, from = 0) {
  const b = await connectBroker(await leaderOf(bootstrap, topic, partition));
  try {
    const ms = await readPartition(b, topic, partition, n, { from, timeoutMs: 30_000 });
    return ms.map((m) => `${m.offset}:${m.value?.toString()}`);
  } finally {
    await b.disconnect();
  }
}

async function topicId(gw: RunningGateway, topic: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${gw.httpPort}/api/v1/topics/${topic}`);
  const body = await res.json();
  assert(typeof body.id === "string" && body.id.length === 32, `no topic id: ${JSON.stringify(body)}`);
  return body.id;
}

function expected(from: number, vs: string[]): string[] {
  return vs.map((v, i) => `${from + i}:${v}`);
}

if (cluster) {
  const ns = `kafka_parts${Date.now().toString(36)}`;
  const args = [...cluster.gatewayArgs, "--seaweedmq-namespace", ns];
  // a second gateway running beside the first on the namespace: one cluster, so its own node id
  const args2 = [...args, "--node-id", "2"];

  Deno.test({
    name:
      "seaweedmq: CreatePartitions keeps records and offsets, new partitions start at 0, other gateways follow",
    ...opts,
    fn: async () => {
      const a = await startGateway({ args });
      const b = await startGateway({ args: args2 });
      try {
        const admin = client(a.bootstrap).admin();
        await admin.connect();
        await admin.createTopics({ topics: [{ topic: "grow", numPartitions: 2 }], waitForLeaders: true });
        // a topic created through another gateway is known at once (looked up when asked for)
        const adminB = client(b.bootstrap).admin();
        await adminB.connect();
        assertEquals((await adminB.fetchTopicMetadata({ topics: ["grow"] })).topics[0].partitions.length, 2);
        const before = Date.now();
        const p0 = Array.from({ length: 50 }, (_, i) => `a${i}`);
        const p1 = Array.from({ length: 30 }, (_, i) => `b${i}`);
        assertEquals(await produce(a.bootstrap, "grow", 0, p0), 0);
        assertEquals(await produce(a.bootstrap, "grow", 1, p1), 0);

        const idBefore = await topicId(a, "grow");
        await admin.createPartitions({ topicPartitions: [{ topic: "grow", count: 4 }] });
        assertEquals(await topicId(a, "grow"), idBefore); // as in Kafka, growing keeps the topic id
        // KafkaJS sends CreatePartitions to the controller, which may be the other gateway: this one follows soon
        const grownBy = Date.now() + 20_000;
        while ((await admin.fetchTopicMetadata({ topics: ["grow"] })).topics[0].partitions.length !== 4) {
          assert(Date.now() < grownBy, "gateway A did not see 4 partitions");
          await new Promise((r) => setTimeout(r, 200));
        }

        // the old records, at their offsets, through the new layout
        assertEquals(await values(a.bootstrap, "grow", 0, 50), expected(0, p0));
        assertEquals(await values(a.bootstrap, "grow", 1, 30), expected(0, p1));
        // old partitions continue after their records, at the next multiple of 1000 (docs/seaweedmq.md: the broker reads
        // stored records in blocks of 1000 offsets); new ones start at 0
        assertEquals(await produce(a.bootstrap, "grow", 0, ["a50", "a51"]), 1000);
        assertEquals(await produce(a.bootstrap, "grow", 1, ["b30"]), 1000);
        assertEquals(await produce(a.bootstrap, "grow", 3, ["d0", "d1"]), 0);
        assertEquals(await values(a.bootstrap, "grow", 0, 52), [
          ...expected(0, p0),
          ...expected(1000, ["a50", "a51"]),
        ]);
        assertEquals(await values(a.bootstrap, "grow", 3, 2), expected(0, ["d0", "d1"]));
        // a fetch inside the gap gets the records after it
        assertEquals(await values(a.bootstrap, "grow", 0, 2, 50), expected(1000, ["a50", "a51"]));

        const offsets = await admin.fetchTopicOffsets("grow");
        const byPart = new Map(offsets.map((o) => [o.partition, [Number(o.low), Number(o.high)]]));
        assertEquals(byPart.get(0), [0, 1002]);
        assertEquals(byPart.get(1), [0, 1001]);
        assertEquals(byPart.get(2), [0, 0]);
        assertEquals(byPart.get(3), [0, 2]);
        // timestamp lookup finds the first record, stored in the earlier layout
        const byTime = await admin.fetchTopicOffsetsByTimestamp("grow", before - 1000);
        assertEquals(byTime.find((o) => o.partition === 0)?.offset, "0");

        // the other gateway (same namespace) follows the new layout within its refresh interval
        const deadline = Date.now() + 20_000;
        for (;;) {
          const m = await adminB.fetchTopicMetadata({ topics: ["grow"] });
          if (m.topics[0].partitions.length === 4) break;
          assert(Date.now() < deadline, "gateway B did not see 4 partitions");
          await new Promise((r) => setTimeout(r, 300));
        }
        assertEquals(await values(b.bootstrap, "grow", 0, 52), [
          ...expected(0, p0),
          ...expected(1000, ["a50", "a51"]),
        ]);
        assertEquals(await produce(b.bootstrap, "grow", 1, ["b31"]), 1001);
        assertEquals(await produce(b.bootstrap, "grow", 2, ["c0"]), 0);
        await adminB.disconnect();

        // grow again: two earlier layouts
        await admin.createPartitions({ topicPartitions: [{ topic: "grow", count: 5 }] });
        assertEquals(await produce(a.bootstrap, "grow", 0, ["a52"]), 2000);
        assertEquals(await values(a.bootstrap, "grow", 0, 53), p0Grown());
        assertEquals(await values(a.bootstrap, "grow", 1, 32), [
          ...expected(0, p1),
          ...expected(1000, ["b30", "b31"]),
        ]);
        assertEquals(await values(a.bootstrap, "grow", 2, 1), expected(0, ["c0"]));
        assertEquals(await produce(a.bootstrap, "grow", 4, ["e0"]), 0);

        // shrinking or keeping the count is refused
        let refused = "";
        try {
          await admin.createPartitions({ topicPartitions: [{ topic: "grow", count: 3 }] });
        } catch (e) {
          refused = String(e);
        }
        assert(/partition/i.test(refused), `expected a refusal, got "${refused}"`);
        // SeaweedMQ's ring has 2520 slots: more partitions are refused, validate_only included
        let type = "";
        try {
          await admin.createPartitions({
            validateOnly: true,
            topicPartitions: [{ topic: "grow", count: 2521 }],
          });
        } catch (e) {
          type = (e as { type?: string }).type ?? String(e);
        }
        assertEquals(type, "INVALID_PARTITIONS");
        await admin.createPartitions({
          validateOnly: true,
          topicPartitions: [{ topic: "grow", count: 2520 }],
        });
        await admin.disconnect();
      } catch (e) {
        console.error(`--- gateway A ---\n${a.logs().split("\n").slice(-40).join("\n")}`);
        console.error(`--- gateway B ---\n${b.logs().split("\n").slice(-40).join("\n")}`);
        throw e;
      } finally {
        await a.stop();
        await b.stop();
      }

      // a restarted gateway still reads every layout
      const c = await startGateway({ args });
      try {
        assertEquals(await values(c.bootstrap, "grow", 0, 53), p0Grown());
        const admin = client(c.bootstrap).admin();
        await admin.connect();
        // DeleteRecords inside the earliest layout moves the low watermark there
        await admin.fetchTopicMetadata({ topics: ["grow"] });
        await admin.deleteTopicRecords({ topic: "grow", partitions: [{ partition: 0, offset: "10" }] });
        const low = (await admin.fetchTopicOffsets("grow")).find((o) => o.partition === 0)!;
        assertEquals([Number(low.low), Number(low.high)], [10, 2001]);
        assertEquals(await values(c.bootstrap, "grow", 0, 43, 10), p0Grown().slice(10));
        await admin.disconnect();
      } finally {
        await c.stop();
      }
    },
  });

  Deno.test({
    name: "seaweedmq: a consumer group reads a topic across CreatePartitions and gets the new partitions",
    ...opts,
    fn: async () => {
      const gw = await startGateway({ args });
      try {
        const kafka = client(gw.bootstrap);
        const admin = kafka.admin();
        await admin.connect();
        await admin.createTopics({
          topics: [{ topic: "grow-group", numPartitions: 1 }],
          waitForLeaders: true,
        });
        await produce(gw.bootstrap, "grow-group", 0, ["x0", "x1", "x2"]);
        const consumer = kafka.consumer({ groupId: "g-grow", metadataMaxAge: 500 });
        await consumer.connect();
        await consumer.subscribe({ topic: "grow-group", fromBeginning: true });
        const seen: string[] = [];
        await consumer.run({
          eachMessage: ({ partition, message }) => {
            seen.push(`${partition}:${message.offset}:${message.value?.toString()}`);
            return Promise.resolve();
          },
        });
        const wait = async (n: number) => {
          const deadline = Date.now() + 30_000;
          while (seen.length < n) {
            assert(Date.now() < deadline, `consumed ${seen.length}/${n}: ${seen.join(",")}`);
            await new Promise((r) => setTimeout(r, 100));
          }
        };
        await wait(3);
        await admin.createPartitions({ topicPartitions: [{ topic: "grow-group", count: 3 }] });
        const producer = kafka.producer();
        await producer.connect();
        // wait until the consumer's metadata has the new partitions, then produce to each
        await new Promise((r) => setTimeout(r, 2000));
        await producer.send({
          topic: "grow-group",
          messages: [
            { partition: 0, value: Buffer.from("x3") },
            { partition: 1, value: Buffer.from("y0") },
            { partition: 2, value: Buffer.from("z0") },
          ],
        });
        await wait(6);
        await producer.disconnect();
        await consumer.disconnect();
        await admin.disconnect();
        assertEquals(seen.sort(), ["0:0:x0", "0:1000:x3", "0:1:x1", "0:2:x2", "1:0:y0", "2:0:z0"]);
      } finally {
        await gw.stop();
      }
    },
  });

  for (const through of ["the same gateway", "another gateway"]) {
    Deno.test({
      name:
        `seaweedmq: records acknowledged (through ${through}) while the topic grows are all kept, in order`,
      ...opts,
      fn: async () => {
        const gw = await startGateway({ args });
        const other = through === "the same gateway" ? gw : await startGateway({ args: args2 });
        const topic = `grow-live-${other === gw ? "same" : "other"}`;
        try {
          const admin = client(gw.bootstrap).admin();
          await admin.connect();
          await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
          const producer = client(other.bootstrap).producer({ idempotent: true, maxInFlightRequests: 1 });
          await producer.connect();
          const acked: string[][] = [[], []];
          let stop = false;
          const pump = (async () => {
            for (let i = 0; !stop; i++) {
              const batch = [0, 1].map((p) => ({ partition: p, value: `v${p}-${i}` }));
              await producer.send({ topic, acks: -1, messages: batch });
              for (const m of batch) acked[m.partition].push(m.value);
            }
          })();
          await new Promise((r) => setTimeout(r, 1500));
          // acknowledged before the growth began: in the old layout; after CreatePartitions answered (the old
          // layout drained and closed): in the new one, but for the one send in flight then (maxInFlightRequests 1,
          // one record per partition), which the old layout may have taken just before it closed. The layout
          // changed between these two indexes.
          const before = acked.map((a) => a.length);
          await admin.createPartitions({ topicPartitions: [{ topic, count: 4 }] });
          const after = acked.map((a) => a.length + 1);
          await new Promise((r) => setTimeout(r, 4000)); // past the other gateway's topic refresh
          stop = true;
          await pump;
          await producer.disconnect();
          await admin.disconnect();
          for (const p of [0, 1]) {
            assert(acked[p].length > 10, `only ${acked[p].length} records acknowledged on partition ${p}`);
            for (const g of new Set([gw, other])) {
              const got = await values(g.bootstrap, topic, p, acked[p].length);
              assertEquals(got.map((v) => v.slice(v.indexOf(":") + 1)), acked[p]);
              // consecutive offsets from 0, but for exactly one jump, to a multiple of 1000, where the layout
              // changed (docs/seaweedmq.md: the new layout starts at the next multiple of 1000). Without a jump the old
              // layout must have ended exactly on a multiple of 1000 inside the growth window.
              const offsets = got.map((v) => Number(v.slice(0, v.indexOf(":"))));
              const jumps = offsets.map((_o, i) => i).filter((i) =>
                i > 0 && offsets[i] !== offsets[i - 1] + 1
              );
              const at = Math.max(0, (jumps.length ? jumps[0] : before[p]) - 5);
              const where = `partition ${p}: growth between records ${before[p]} and ${after[p]}; ` +
                `offsets of records ${at}..: ${offsets.slice(at, at + 10)}`;
              assertEquals(offsets[0], 0, where);
              if (jumps.length === 0) {
                const k = Math.ceil(Math.max(before[p], 1) / 1000) * 1000;
                assert(k <= after[p], `no offset jump where the layout changed: ${where}`);
              } else {
                assertEquals(jumps.length, 1, `more than one offset jump: ${where}`);
                const k = jumps[0];
                assert(
                  k >= before[p] && k <= after[p],
                  `offset jump at record ${k}, not at the growth: ${where}`,
                );
                assertEquals(offsets[k] % 1000, 0, `the new layout starts at ${offsets[k]}: ${where}`);
                assert(offsets[k] > offsets[k - 1], where);
              }
            }
          }
        } catch (e) {
          for (const g of new Set([gw, other])) {
            console.error(`--- gateway ${g.port} ---\n${g.logs().split("\n").slice(-40).join("\n")}`);
          }
          throw e;
        } finally {
          await gw.stop();
          if (other !== gw) await other.stop();
        }
      },
    });
  }

  Deno.test({
    name: "seaweedmq: a CreatePartitions interrupted after ConfigureTopic is finished by the next gateway",
    ...opts,
    fn: async () => {
      const a = await startGateway({ args });
      let admin = client(a.bootstrap).admin();
      try {
        await admin.connect();
        await admin.createTopics({
          topics: [{
            topic: "half",
            numPartitions: 2,
            configEntries: [{ name: "max.message.bytes", value: "200000" }],
          }],
          waitForLeaders: true,
        });
        assertEquals(await produce(a.bootstrap, "half", 1, ["h0", "h1", "h2"]), 0);
        await admin.disconnect();
      } finally {
        await a.stop();
      }
      // What a gateway leaves when it stops between recording the old layout and finishing the new one: the
      // "growing" record in the topic's metadata, and SeaweedMQ already on the new layout.
      const cl = new SmqCluster({ masters: [cluster.master], rpcTimeoutMs: 10_000, log: () => {} });
      try {
        await cl.refresh();
        const filer = new Filer(cl, 10_000);
        const dir = `/topics/${ns}/.meta/kafka_gateway/topics`;
        const entry = await filer.lookup(dir, "half");
        assert(entry !== null, "topic metadata missing");
        const meta = JSON.parse(new TextDecoder().decode(entry.content));
        const generation = String(meta.generation);
        meta.growing = { generation, partitions: 2, ends: [0, 3], count: 3 };
        await filer.put(dir, "half", new TextEncoder().encode(JSON.stringify(meta)));
      } finally {
        cl.close();
      }
      await new Promise((r) => setTimeout(r, 1100)); // a new layout directory (named by the second)
      const shell = await new Deno.Command(weedPath(), {
        args: ["shell", `-master=${cluster.master}`, `-filer=${cluster.filer}`],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const w = shell.stdin.getWriter();
      await w.write(
        new TextEncoder().encode(`mq.topic.configure -namespace ${ns} -topic half -partitionCount 3\n`),
      );
      await w.close();
      const out = await shell.output();
      assert(out.success, new TextDecoder().decode(out.stderr));

      const b = await startGateway({ args });
      try {
        admin = client(b.bootstrap).admin();
        await admin.connect();
        const meta = await admin.fetchTopicMetadata({ topics: ["half"] });
        const configs = await admin.describeConfigs({
          resources: [{ type: 2, name: "half", configNames: ["max.message.bytes"] }],
          includeSynonyms: false,
        });
        assertEquals(configs.resources[0].configEntries[0].configValue, "200000"); // kept through the growth
        assertEquals(meta.topics[0].partitions.length, 3);
        assertEquals(await values(b.bootstrap, "half", 1, 3), expected(0, ["h0", "h1", "h2"]));
        assertEquals(await produce(b.bootstrap, "half", 1, ["h3"]), 1000);
        assertEquals(await produce(b.bootstrap, "half", 2, ["n0"]), 0);
        assertEquals(await values(b.bootstrap, "half", 1, 4), [
          ...expected(0, ["h0", "h1", "h2"]),
          "1000:h3",
        ]);
        await admin.disconnect();
      } catch (e) {
        console.error(`--- gateway ---\n${b.logs().split("\n").slice(-40).join("\n")}`);
        throw e;
      } finally {
        await b.stop();
      }
    },
  });

  Deno.test({
    name: "seaweedmq: stop the SeaweedFS cluster of this module",
    ...opts,
    fn: () => cluster.stop(),
  });
}

/** Partition 0 of topic "grow" after both growths: its records and their offsets. */
function p0Grown(): string[] {
  const p0 = Array.from({ length: 50 }, (_, i) => `a${i}`);
  return [...expected(0, p0), ...expected(1000, ["a50", "a51"]), "2000:a52"];
}
