// Share consumers against a gateway with group.share.enable, on both backends, with each client that has one:
// Apache Kafka's KafkaShareConsumer (kafka-clients 4.1.1, scripts/kafka/apps/ShareConsume.java) and librdkafka's
// (confluent-kafka's ShareConsumer, tests/integration/py/ck_share_consume.py): four consumers of a one-partition topic share it and together get
// every record exactly once when all accept; a released record comes back once with its delivery count raised; a
// rejected one never comes back; records a connected consumer holds go to another consumer after the group's
// record lock duration, those of a consumer that is killed as soon as its connection closes, their delivery count
// raised either way.
import { assert, assertEquals } from "../unit/assert.ts";
import { kafkaTools } from "../helpers/apache_kafka.ts";
import { backendMatrix } from "../helpers/backend_matrix.ts";
import { WireClient } from "../helpers/wire.ts";
import {
  acquisitions,
  setGroupConfigs as groupConfig,
  type ShareClient,
  type ShareConsumer as Consumer,
  shareConsumer,
  until,
  withShareGateway,
} from "../helpers/share_consumers.ts";
import {
  type ShareGroupDescribeResponse,
  ShareGroupDescribeSpec,
} from "../../src/protocol/messages/share_group_describe.ts";

const matrix = await backendMatrix();
const tools = await kafkaTools();

async function members(c: WireClient, group: string): Promise<number> {
  const d = await c.call<ShareGroupDescribeResponse>(ShareGroupDescribeSpec, 1, {
    groupIds: [group],
    includeAuthorizedOperations: false,
  });
  return d.groups[0].members.length;
}

const CLIENTS: { client: ShareClient; name: string }[] = [
  { client: "java", name: "KafkaShareConsumer" },
  { client: "librdkafka", name: "librdkafka's share consumer" },
];

for (const { client, name } of CLIENTS) {
  for (const backend of matrix.backends) {
    Deno.test({
      name: `${name} (${backend.name}): four consumers share a partition, every record once; release, ` +
        "reject, lock timeout and a killed consumer's records as Kafka",
      ignore: (client === "java" && tools.ignore) || backend.ignore,
      sanitizeOps: false,
      sanitizeResources: false,
      fn: async () => {
        await backend.use();
        await withShareGateway("share-test", async ({ gw, wire, admin, producer }) => {
          const running: Consumer[] = [];
          try {
            await admin.createTopics({
              topics: ["sq-all", "sq-acks", "sq-kill"].map((topic) => ({ topic })),
            });
            for (const g of ["sg-all", "sg-acks", "sg-kill"]) {
              await groupConfig(wire, g, [["share.auto.offset.reset", "earliest"]]);
            }
            await groupConfig(wire, "sg-kill", [["share.record.lock.duration.ms", "15000"]]);

            // Four consumers, all accepting, joined before the records arrive one by one.
            const four = await Promise.all(
              [1, 2, 3, 4].map(() => shareConsumer(gw, "sg-all", "sq-all", "accept", { maxPoll: 5, client })),
            );
            running.push(...four);
            await until("four members", 60_000, async () => await members(wire, "sg-all") === 4, four);
            const N = 200;
            for (let i = 0; i < N; i++) {
              await producer.send({ topic: "sq-all", messages: [{ value: `m${i}` }] });
            }
            const got = () => four.flatMap((c) => c.records());
            await until(`${N} records`, 60_000, () => new Set(got().map((r) => r[0])).size >= N, four);
            await new Promise((r) => setTimeout(r, 1_000)); // any duplicate would show now
            const offsets = got().map((r) => r[0]).sort((a, b) => a - b);
            assertEquals(offsets, Array.from({ length: N }, (_, i) => i), "every record exactly once");
            assert(got().every((r) => r[1] === 1), "first deliveries only");
            const spread = four.map((c) => c.records().length);
            console.log(`records per consumer: ${spread.join(", ")}`);
            assert(spread.filter((n) => n > 0).length >= 2, `consumers shared the partition: ${spread}`);

            // Release and reject: a released record comes back once (count 2); a rejected one never.
            const values = ["a", "poison-1", "b", "poison-2", "c"];
            for (const v of values) await producer.send({ topic: "sq-acks", messages: [{ value: v }] });
            const rel = await shareConsumer(gw, "sg-acks", "sq-acks", "release-first", { client });
            running.push(rel);
            await until("released records back and accepted", 60_000, () => rel.acked() >= 10, [rel]);
            await rel.stop();
            running.splice(running.indexOf(rel), 1);
            assertEquals(
              rel.records().map((r) => [r[0], r[1]]),
              [
                [0, 1],
                [1, 1],
                [2, 1],
                [3, 1],
                [4, 1],
                [0, 2],
                [1, 2],
                [
                  2,
                  2,
                ],
                [3, 2],
                [4, 2],
              ].sort((x, y) => x[1] - y[1] || x[0] - y[0]),
            );
            for (const v of ["d", "poison-3", "e"]) {
              await producer.send({ topic: "sq-acks", messages: [{ value: v }] });
            }
            const rej = await shareConsumer(gw, "sg-acks", "sq-acks", "reject-poison", { client });
            running.push(rej);
            await until("new records", 60_000, () => rej.records().length >= 3, [rej]);
            await new Promise((r) => setTimeout(r, 2_000));
            assertEquals(
              rej.records().map((r) => [r[0], r[1], r[2]]),
              [[5, 1, "d"], [6, 1, "poison-3"], [7, 1, "e"]],
              JSON.stringify(rej.records()) + "\n" + rej.output().slice(-4000),
            );

            // A consumer holding records without acknowledging them, still connected: after the lock (15 s) another
            // consumer gets them, their delivery count 2. KafkaShareConsumer fetches ahead while its application holds
            // records, so when the lock passes the holder's own waiting fetch may take them again (count 2, locked
            // another 15 s) and the taker gets them after that lock (count 3): the gateway's debug lines say which.
            // One batch: the holder polls once and must get all three (a fetch may end at any batch boundary).
            await producer.send({ topic: "sq-kill", messages: [0, 1, 2].map((i) => ({ value: `k${i}` })) });
            const hold = await shareConsumer(gw, "sg-kill", "sq-kill", "hold", { client });
            running.push(hold);
            await until("held records", 60_000, () => hold.records().length === 3, [hold]);
            const heldAt = Date.now();
            const taker = await shareConsumer(gw, "sg-kill", "sq-kill", "accept", { client });
            running.push(taker);
            await until("redelivered after the lock", 90_000, () => taker.records().length >= 3, [taker]);
            // Every acquisition of the held records, from the gateway's debug lines: the holder's, any the holder's
            // own fetch made when the lock passed, then the taker's; the taker's delivery count counts them all.
            // (The taker acknowledges after its acquisition: once that line is read, so is the acquisition's.)
            await until(
              "the taker's acknowledgement logged",
              30_000,
              () => /sq-kill-0 acknowledged by/.test(gw.logs()),
            );
            const takes = acquisitions(gw.logs(), "sg-kill", "sq-kill-0");
            const why =
              `held by:\n${hold.output().slice(-2000)}\ntaken by:\n${taker.output().slice(-2000)}\n` +
              `acquisitions: ${JSON.stringify(takes)}`;
            assert(takes.length >= 2 && takes.slice(1, -1).every((t) => t.member === takes[0].member), why);
            assertEquals(
              taker.records().map((r) => [r[0], r[1]]),
              [0, 1, 2].map((o) => [o, takes.length]),
              why,
            );
            console.log(
              `redelivered ${Date.now() - heldAt} ms after they were acquired (lock 15 s), ` +
                `${takes.length - 2} time(s) taken again by the holder's own fetch first`,
            );
            for (const c of [hold, taker]) {
              await c.stop();
              running.splice(running.indexOf(c), 1);
            }

            // A consumer killed holding records: its connection closes, which ends its share session and releases
            // them, so another consumer gets them (count 2) without waiting for the lock (60 s for this group).
            await groupConfig(wire, "sg-kill", [["share.record.lock.duration.ms", "60000"]]);
            await producer.send({ topic: "sq-kill", messages: [3, 4, 5].map((i) => ({ value: `k${i}` })) });
            const doomed = await shareConsumer(gw, "sg-kill", "sq-kill", "hold", { client });
            running.push(doomed);
            await until("held again", 60_000, () => doomed.records().length === 3, [doomed]);
            const next = await shareConsumer(gw, "sg-kill", "sq-kill", "accept", { client });
            running.push(next);
            const killedAt = Date.now();
            await doomed.stop(); // SIGTERM: the JVM exits without closing the consumer, as a crash
            running.splice(running.indexOf(doomed), 1);
            // Well inside the 60 s lock: released by the disconnect, not by the lock.
            await until("released by the disconnect", 40_000, () => next.records().length >= 3, [next]);
            assertEquals(
              next.records().map((r) => [r[0], r[1]]),
              [[3, 2], [4, 2], [5, 2]],
              `held by:\n${doomed.output().slice(-2000)}\ntaken by:\n${next.output().slice(-2000)}`,
            );
            console.log(`redelivered ${Date.now() - killedAt} ms after the holder was killed (lock 60 s)`);
          } finally {
            for (const c of running) await c.stop();
          }
        });
      },
    });
  }
}
