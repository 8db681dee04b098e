// share.isolation.level with Apache Kafka's KafkaShareConsumer (kafka-clients 4.1.1) and KafkaJS's transactional
// producer, on both backends: a read_committed share group gets only committed records, and nothing past an open
// transaction until it commits; a read_uncommitted one gets every record; neither ever gets a transaction marker.
import { assertEquals } from "../unit/assert.ts";
import { kafkaTools } from "../helpers/apache_kafka.ts";
import type { RunningGateway } from "../helpers/gateway.ts";
import { backendMatrix } from "../helpers/backend_matrix.ts";
import { consumeAll, setGroupConfigs, withShareGateway } from "../helpers/share_consumers.ts";

const matrix = await backendMatrix();
const tools = await kafkaTools();

/** Asserts the values an accepting KafkaShareConsumer gets until it has seen none for 4 s (its output if not). */
async function expectValues(gw: RunningGateway, group: string, topic: string, expected: string[], what = "") {
  const c = await consumeAll(gw, group, topic);
  assertEquals(c.records().map((r) => r[2]), expected, `${what}\n${c.output().slice(-4000)}`);
}

for (const backend of matrix.backends) {
  Deno.test({
    name: `share.isolation.level (${backend.name}): read_committed gets committed records only, in order`,
    ignore: tools.ignore || backend.ignore,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      await backend.use();
      await withShareGateway("share-isolation", async ({ gw, wire, kafka, admin, producer: plain }) => {
        const txp = kafka.producer({ transactionalId: "si-txn", idempotent: true, maxInFlightRequests: 1 });
        try {
          await txp.connect();
          await admin.createTopics({ topics: [{ topic: "si-t", numPartitions: 1 }] });
          for (const [group, level] of [["si-c", "read_committed"], ["si-u", "read_uncommitted"]]) {
            await setGroupConfigs(wire, group, [
              ["share.auto.offset.reset", "earliest"],
              ["share.isolation.level", level],
            ]);
          }
          const send = (p: { send: typeof plain.send }, ...vs: string[]) =>
            p.send({ topic: "si-t", messages: vs.map((value) => ({ value })) });
          await send(plain, "p0");
          const aborted = await txp.transaction();
          await send(aborted, "a1", "a2");
          await aborted.abort();
          const committed = await txp.transaction();
          await send(committed, "c1", "c2");
          await committed.commit();
          await send(plain, "p1");
          const open = await txp.transaction();
          await send(open, "o1");
          await send(plain, "p2"); // after the open transaction's first record: held back with it

          await expectValues(gw, "si-c", "si-t", ["p0", "c1", "c2", "p1"], "read_committed");
          await expectValues(
            gw,
            "si-u",
            "si-t",
            ["p0", "a1", "a2", "c1", "c2", "p1", "o1", "p2"],
            "read_uncommitted",
          );
          await open.commit();
          await expectValues(gw, "si-c", "si-t", ["o1", "p2"], "released by the commit");
        } finally {
          await txp.disconnect().catch(() => {});
        }
      });
    },
  });
}
