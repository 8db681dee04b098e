// Kafka 4.2's share-consumer additions and 4.3's share group configs on a gateway with group.share.enable, both
// backends: a KafkaShareConsumer of kafka-clients 4.2.2 renews the locks of the records it holds (KIP-1222,
// ShareFetch/ShareAcknowledge v2 with IsRenewAck) past the group's record lock duration, so another consumer of
// the group never gets them, then accepts them; record_limit acquisition (KIP-1206) gives no poll more than
// max.poll.records where batch_optimized (kafka-clients 4.1.1) takes the whole batch; the group's
// share.delivery.count.limit archives a record released that many times; a renewal that asks to fetch too is
// refused as Kafka refuses it.
import { assert, assertEquals } from "../unit/assert.ts";
import { kafkaTools } from "../helpers/apache_kafka.ts";
import { backendMatrix } from "../helpers/backend_matrix.ts";
import {
  setGroupConfigs,
  type ShareConsumer,
  shareConsumer,
  until,
  withShareGateway,
} from "../helpers/share_consumers.ts";
import { type ShareFetchResponse, ShareFetchSpec } from "../../src/protocol/messages/share_fetch.ts";
import { ErrorCode } from "../../src/protocol/errors.ts";

const matrix = await backendMatrix();
const tools = await kafkaTools();
/** kafka-clients with RENEW and share.acquire.mode (fetched beside the pom's 4.1.1 by setup_test_tools.sh). */
const KAFKA_42 = "4.2.2";
const LOCK_MS = 15_000;

for (const backend of matrix.backends) {
  Deno.test({
    name: `share consumers of Kafka 4.2+ (${backend.name}): renewed locks hold past the lock duration, ` +
      "record_limit polls, share.delivery.count.limit",
    ignore: tools.ignore || backend.ignore,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      await backend.use();
      await withShareGateway("share-renew-test", async ({ gw, wire, admin, producer }) => {
        const running: ShareConsumer[] = [];
        const stop = async (c: ShareConsumer) => {
          running.splice(running.indexOf(c), 1);
          await c.stop();
        };
        try {
          await admin.createTopics({
            topics: ["sr-renew", "sr-mode", "sr-limit"].map((topic) => ({ topic })),
          });
          for (const g of ["sg-renew", "sg-mode-a", "sg-mode-b", "sg-limit"]) {
            await setGroupConfigs(wire, g, [["share.auto.offset.reset", "earliest"]]);
          }
          await setGroupConfigs(wire, "sg-renew", [["share.record.lock.duration.ms", String(LOCK_MS)]]);
          await setGroupConfigs(wire, "sg-limit", [["share.delivery.count.limit", "2"]]);

          // A renewal that asks to fetch too: refused before anything else (Kafka's KafkaApis).
          const bad = await wire.call<ShareFetchResponse>(ShareFetchSpec, 2, {
            groupId: "sg-renew",
            memberId: "renewer-0000000000000000",
            shareSessionEpoch: 0,
            maxWaitMs: 500,
            minBytes: 0,
            maxBytes: 0,
            maxRecords: 0,
            batchSize: 0,
            shareAcquireMode: 0,
            isRenewAck: true,
            topics: [],
            forgottenTopicsData: [],
          });
          assertEquals(
            [bad.errorCode, bad.errorMessage],
            [ErrorCode.INVALID_REQUEST, "maxWaitMs must be set to 0, if isRenewAck is true."],
          );

          // Renewed locks: the renewer holds three records 25 s (lock 15 s), renewing them; the other consumer of
          // the group, fetching all along, never gets them, and gets the record produced once the renewer is gone.
          await producer.send({
            topic: "sr-renew",
            messages: ["r0", "r1", "r2"].map((value) => ({ value })),
          });
          const renewer = await shareConsumer(gw, "sg-renew", "sr-renew", "renew-25000", { kafka: KAFKA_42 });
          running.push(renewer);
          await until("the renewer holds three records", 60_000, () => renewer.records().length === 3, [
            renewer,
          ]);
          const heldAt = Date.now();
          const other = await shareConsumer(gw, "sg-renew", "sr-renew", "accept");
          running.push(other);
          await until("accepted after renewals", 90_000, () => renewer.acked() >= 3, [renewer, other]);
          console.log(
            `renewed ${renewer.renewed()} times, accepted ${
              Date.now() - heldAt
            } ms after acquiring (lock ${LOCK_MS} ms)`,
          );
          assert(renewer.renewed() > 0, renewer.output().slice(-3000));
          assertEquals(
            renewer.records().map((r) => [r[0], r[1]]),
            [[0, 1], [1, 1], [2, 1]],
            "delivered once",
          );
          await stop(renewer); // else the next record may go to it
          await producer.send({ topic: "sr-renew", messages: [{ value: "r3" }] });
          await until("the other consumer gets the next record", 60_000, () => other.records().length > 0, [
            other,
          ]);
          assertEquals(other.records().map((r) => [r[0], r[1]]), [[3, 1]], "never a renewed record");
          await stop(other);

          // Acquire modes: ten records in one batch; max.poll.records 3.
          await producer.send({
            topic: "sr-mode",
            messages: Array.from({ length: 10 }, (_, i) => ({ value: `m${i}` })),
          });
          const limited = await shareConsumer(gw, "sg-mode-a", "sr-mode", "accept", {
            kafka: KAFKA_42,
            maxPoll: 3,
            acquireMode: "record_limit",
          });
          const whole = await shareConsumer(gw, "sg-mode-b", "sr-mode", "accept", { maxPoll: 3 });
          running.push(limited, whole);
          await until("all ten, both ways", 60_000, () => limited.acked() >= 10 && whole.acked() >= 10, [
            limited,
            whole,
          ]);
          console.log(
            `polls: record_limit ${limited.polls().join(",")}; batch_optimized ${whole.polls().join(",")}`,
          );
          assert(limited.polls().every((n) => n <= 3), `record_limit: ${limited.polls()}`);
          assertEquals(whole.polls(), [10], "batch_optimized: the whole batch");
          await stop(limited);
          await stop(whole);

          // share.delivery.count.limit=2: released twice, then archived.
          await producer.send({ topic: "sr-limit", messages: [{ value: "x0" }, { value: "x1" }] });
          const releaser = await shareConsumer(gw, "sg-limit", "sr-limit", "release");
          running.push(releaser);
          await until("two deliveries each", 60_000, () => releaser.records().length >= 4, [releaser]);
          await new Promise((r) => setTimeout(r, 2_000)); // a third delivery would show now
          assertEquals(
            releaser.records().map((r) => [r[0], r[1]]).sort((a, b) => a[1] - b[1] || a[0] - b[0]),
            [[0, 1], [1, 1], [0, 2], [1, 2]],
          );
        } finally {
          for (const c of [...running]) await c.stop();
        }
      });
    },
  });
}
