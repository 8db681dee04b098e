// Share groups on three gateways forming one Kafka cluster over SeaweedMQ: four share consumers, two
// KafkaShareConsumers (kafka-clients 4.1.1) and two of librdkafka's (confluent-kafka), each bootstrapped from another gateway, share a one-partition topic whose leader, and the group's
// coordinator, may be any gateway: every record once while nothing moves; then the partition's leader stops
// (a leadership move, the coordinator moving too when it was the same gateway) and the consumers carry on with the
// next leader: every later record is delivered, and no record acknowledged before the move is ever delivered again
// (the share-partition state moved with the leadership through the filer). Prints one summary line.
import { assert, assertEquals } from "../unit/assert.ts";
import { kafkaTools } from "../helpers/apache_kafka.ts";
import { weedTool } from "../helpers/seaweedfs.ts";
import { WireClient } from "../helpers/wire.ts";
import { client, createTopic, kafkaLeaders, withThreeGateways } from "../helpers/smq_failover.ts";
import { setGroupConfigs, type ShareConsumer, shareConsumer, until } from "../helpers/share_consumers.ts";
import { awaitGroupConfigs } from "../helpers/group_configs.ts";

const weed = await weedTool();
const tools = await kafkaTools();
const TOPIC = "share-3gw";
const GROUP = "sg-3gw";
const N = 200;

Deno.test({
  name:
    "share group on 3 gateways (seaweedmq): every record once; across a leadership move nothing acknowledged " +
    "comes back and every later record is delivered",
  ignore: weed.ignore || tools.ignore,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await withThreeGateways(5, ["--group-share-enable"], async (_c, gws) => {
      const bootstrap = gws.list.map((g) => g.bootstrap);
      await createTopic(bootstrap, TOPIC, 1);
      const wire = await WireClient.connect(gws.list[0].port);
      const producer = client(bootstrap).producer();
      const consumers: ShareConsumer[] = [];
      try {
        await setGroupConfigs(wire, GROUP, [["share.auto.offset.reset", "earliest"]]);
        // The partition's leader may be another gateway: it must start the share-partition at earliest.
        await awaitGroupConfigs(gws.list.map((g) => g.port), GROUP, [[
          "share.auto.offset.reset",
          "earliest",
        ]]);
        await producer.connect();
        const send = async (from: number, to: number) => {
          for (let i = from; i < to; i += 10) {
            await producer.send({
              topic: TOPIC,
              messages: Array.from({ length: Math.min(10, to - i) }, (_, k) => ({ value: `r${i + k}` })),
            });
          }
        };
        await send(0, N);
        for (let i = 0; i < 4; i++) {
          const [a, b, c] = [0, 1, 2].map((k) => gws.list[(i + k) % 3].bootstrap);
          consumers.push(
            await shareConsumer({ bootstrap: `${a},${b},${c}` }, GROUP, TOPIC, "accept", {
              maxPoll: 5,
              client: i % 2 === 0 ? "java" : "librdkafka",
            }),
          );
        }
        const got = () => consumers.flatMap((c) => c.records());
        const acked = () => consumers.reduce((n, c) => n + c.acked(), 0);
        await until(`${N} records acknowledged`, 120_000, () => acked() >= N, consumers);
        const first = got().map((r) => r[0]).sort((a, b) => a - b);
        assertEquals(first, Array.from({ length: N }, (_, i) => i), "every record exactly once");
        const spread = consumers.map((c) => c.records().length);

        // The partition's leader stops (graceful: its partitions and groups move to the others).
        const leaderId = (await kafkaLeaders(gws.list[0].port, TOPIC))[0].id;
        const leader = gws.list[leaderId - 1];
        const others = gws.list.filter((g) => g !== leader);
        await leader.stop();
        const after = client(others.map((g) => g.bootstrap)).producer();
        await after.connect();
        try {
          for (let i = N; i < 2 * N; i += 10) {
            await after.send({
              topic: TOPIC,
              messages: Array.from({ length: 10 }, (_, k) => ({ value: `r${i + k}` })),
            });
          }
        } finally {
          await after.disconnect().catch(() => {});
        }
        const later = () => new Set(got().map((r) => r[0]).filter((o) => o >= N));
        await until(`records ${N}-${2 * N - 1} after the move`, 120_000, () => later().size >= N, consumers);
        const again = got().filter((r) => r[0] < N).length - N;
        const newLeader = (await kafkaLeaders(others[0].port, TOPIC))[0].id;
        const dupes = got().filter((r) => r[0] >= N).length - N;
        console.log(
          `  share 3 gateways: ${N} records over consumers ${
            spread.join("/")
          }; leader ${leaderId} stopped, ` +
            `gateway ${newLeader} leads now; ${N} later records delivered (${dupes} delivered again)`,
        );
        assertEquals(again, 0, "no record acknowledged before the move is delivered again");
        assert(newLeader !== leaderId && newLeader > 0, `a new leader: ${newLeader}`);
      } finally {
        for (const c of consumers) await c.stop();
        await producer.disconnect().catch(() => {});
        wire.close();
      }
    });
  },
});
