import { runWithGateway } from "../helpers/gateway.ts";
import { connectBroker, Kafka, kafkajs, logLevel } from "../helpers/kafkajs.ts";
import { startSeaweedFS } from "../helpers/seaweedfs.ts";

const c = await startSeaweedFS();
const k = (b: string) => new Kafka({ clientId: "x", brokers: [b], logLevel: logLevel.NOTHING, retry: { retries: 5 } });
// deno-lint-ignore no-explicit-any
const rangeNamed = (cfg: any) => ({ ...kafkajs.PartitionAssigners.roundRobin(cfg), name: "range" });
async function fetchOnce(b: string, topic: string) {
  const br = await connectBroker(b);
  for (const p of [0, 1, 2]) {
    const r = await br.fetch({ maxWaitTime: 500, maxBytes: 1 << 20, topics: [{ topic, partitions: [{ partition: p, fetchOffset: "0", maxBytes: 1 << 20 }] }] });
    const pp = r.responses[0].partitions[0];
    console.log(topic, p, "err", pp.errorCode, "hw", pp.highWatermark, "n", pp.messages.length, pp.messages.slice(0, 2).map((m) => `${m.offset} ${m.key?.toString("hex")} ${m.value} ${m.timestamp} ${JSON.stringify(m.headers)}`));
  }
  await br.disconnect();
}
try {
  await runWithGateway({ args: [...c.gatewayArgs, "--seaweedmq-record-format", "plain"] }, async (gw) => {
    const a = k(gw.bootstrap).admin();
    await a.connect();
    await a.createTopics({ topics: [{ topic: "oursplain", numPartitions: 3 }], waitForLeaders: true });
    await a.createTopics({ topics: [{ topic: "theirsw", numPartitions: 3 }], waitForLeaders: true });
    await a.disconnect();
    const p = k(gw.bootstrap).producer();
    await p.connect();
    await p.send({ topic: "oursplain", acks: -1, messages: Array.from({ length: 12 }, (_, i) => ({ key: `k-${i}`, value: `v-${i}` })) });
    await p.disconnect();
  });
  await new Promise((r) => setTimeout(r, 3000));
  const port = 29193;
  await c.startKafkaGateway(port);
  const b = `127.0.0.1:${port}`;
  const p = k(b).producer();
  await p.connect();
  await p.send({ topic: "theirsw", acks: -1, messages: Array.from({ length: 12 }, (_, i) => ({ key: `k-${i}`, value: `v-${i}` })) });
  await p.disconnect();
  await fetchOnce(b, "theirsw");
  await fetchOnce(b, "oursplain");
  await new Promise((r) => setTimeout(r, 4000));
  await c.stopKafkaGateway();
  await c.startKafkaGateway(port + 1);
  const b2 = `127.0.0.1:${port + 1}`;
  console.log("after their restart:");
  await fetchOnce(b2, "theirsw");
  // ours writes while theirs runs
  await runWithGateway({ args: [...c.gatewayArgs, "--seaweedmq-record-format", "plain"] }, async (gw) => {
    const a = k(gw.bootstrap).admin();
    await a.connect();
    await a.createTopics({ topics: [{ topic: "live", numPartitions: 3 }], waitForLeaders: true });
    await a.disconnect();
    const p = k(gw.bootstrap).producer();
    await p.connect();
    await p.send({ topic: "live", acks: -1, messages: Array.from({ length: 12 }, (_, i) => ({ key: `k-${i}`, value: `v-${i}` })) });
    await p.disconnect();
    await new Promise((r) => setTimeout(r, 6000));
    console.log("live via theirs while ours runs, 6 s later:");
    await fetchOnce(b2, "live");
  });
} finally {
  await c.stop();
}
