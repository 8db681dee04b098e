// Issue 17: `__transaction_state` read by real clients, on both backends. A confluent-kafka transactional producer
// commits a transaction (two partitions), then aborts one; kcat reads `__transaction_state` raw and an independent
// Python decoder of Kafka's transaction log format (tests/helpers/transaction_state_topic.py, written from
// transaction-coordinator's TransactionLogKey/TransactionLogValue schemas, no gateway code) checks what the gateway
// wrote: the topic is internal with 50 partitions (the coordinator's, --offsets-topic-num-partitions); the id's
// records lie on partition abs(String.hashCode(id)) % 50, key v0, value v0, and go Empty -> Ongoing ->
// PrepareCommit -> CompleteCommit -> Ongoing -> PrepareAbort -> CompleteAbort with one producer id and epoch,
// the transaction timeout, the transaction's partitions (null when Empty, none once complete) and timestamps; a
// Produce to it is refused.
import { assert, assertEquals } from "../unit/assert.ts";
import { type RunningGateway, runWithGateway } from "../helpers/gateway.ts";
import { Kafka, logLevel } from "../helpers/kafkajs.ts";
import { kcat, kcatTool, python } from "../helpers/librdkafka_admin.ts";
import { describeTopics, offsetsPartitionFor } from "../helpers/offsets_topic.ts";
import { backendMatrix } from "../helpers/backend_matrix.ts";
import {
  collapseStates as collapse,
  dumpTransactionState as dump,
  showTxnRecords as show,
  TRANSACTION_STATE_TOPIC,
  type TxnRecord,
  txnStatePy as py,
} from "../helpers/transaction_state_topic.ts";

const TOPIC = TRANSACTION_STATE_TOPIC;
const opts = { sanitizeOps: false, sanitizeResources: false };
const matrix = await backendMatrix();

async function createTopic(gw: RunningGateway, topic: string, partitions: number) {
  const admin = new Kafka({ clientId: "txn-state-test", brokers: [gw.bootstrap], logLevel: logLevel.NOTHING })
    .admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

for (const backend of matrix.backends) {
  Deno.test({
    name: `${TOPIC} (${backend.name}): a confluent-kafka producer's commit and abort, decoded from Kafka's ` +
      `transaction log format (kcat); internal, 50 partitions; Produce refused`,
    ...opts,
    ignore: backend.ignore || python.ignore || kcatTool.ignore,
    fn: async () => {
      await backend.use();
      await runWithGateway({ args: [], timeoutMs: 60_000 }, async (gw) => {
        const bs = gw.bootstrap;
        const data = "txn-state-data";
        const txid = `txn-state-${backend.name}-${crypto.randomUUID().slice(0, 8)}`;
        await createTopic(gw, data, 2);
        const d = await describeTopics(bs, [TOPIC]);
        assertEquals(
          d[TOPIC],
          { error: null, is_internal: true, partitions: 50 },
          `DescribeTopics of ${TOPIC}`,
        );

        const started = Date.now();
        const res = await py(["txn", bs, data, txid]);
        assertEquals(res.map((l) => JSON.parse(l)), [{ error: null }], "the producer commits, then aborts");

        // Complete* is written a moment after the markers: wait for CompleteAbort.
        let mine: TxnRecord[] = [];
        let all: TxnRecord[] = [];
        const deadline = Date.now() + 30_000;
        for (;;) {
          all = await dump(bs);
          mine = all.filter((r) => r.txid === txid);
          if (mine.some((r) => r.value?.state === "CompleteAbort")) break;
          if (Date.now() > deadline) {
            throw new Error(`no CompleteAbort for ${txid}; ${TOPIC} holds:\n${show(all)}`);
          }
          await new Promise((r) => setTimeout(r, 300));
        }
        const bad = all.filter((r) => r.error !== null);
        assertEquals(bad.length, 0, `every record decodes in Kafka's format:\n${show(bad)}`);
        const ctx = `\n${show(mine)}`;
        // One partition, Kafka's partitionFor (abs(String.hashCode) % 50), in offset order.
        assertEquals(
          [...new Set(mine.map((r) => r.p))],
          [offsetsPartitionFor(txid)],
          `the id's partition${ctx}`,
        );
        assert(mine.every((r, i) => i === 0 || r.o > mine[i - 1].o), `offset order${ctx}`);
        const values = mine.map((r) => r.value!);
        assert(values.every((v) => v !== null && v.version === 0), `values v0, no tombstone${ctx}`);
        assertEquals(
          collapse(values.map((v) => v.state)),
          ["Empty", "Ongoing", "PrepareCommit", "CompleteCommit", "Ongoing", "PrepareAbort", "CompleteAbort"],
          `the transaction states${ctx}`,
        );
        // One producer id and epoch (one init_transactions), the producer's transaction.timeout.ms.
        assertEquals(new Set(values.map((v) => `${v.producer_id}/${v.producer_epoch}`)).size, 1, ctx);
        assert(values[0].producer_id >= 0 && values[0].producer_epoch === 0, ctx);
        assert(values.every((v) => v.timeout_ms === 45_000), `transaction timeout${ctx}`);
        const byState = (s: string) => values.filter((v) => v.state === s);
        assertEquals(byState("Empty")[0].partitions, null, `Empty has no partitions (null)${ctx}`);
        assertEquals(byState("PrepareCommit")[0].partitions, { [data]: [0, 1] }, ctx);
        assertEquals(byState("PrepareAbort")[0].partitions, { [data]: [0] }, ctx);
        assertEquals(byState("CompleteCommit")[0].partitions, {}, ctx);
        assertEquals(byState("CompleteAbort")[0].partitions, {}, ctx);
        for (const v of values) {
          assert(v.last_update_ms >= started - 5_000 && v.last_update_ms <= Date.now(), `last update${ctx}`);
          if (v.state === "Empty") assertEquals(v.start_ms, -1, ctx);
          else assert(v.start_ms >= started - 5_000 && v.start_ms <= v.last_update_ms, `start${ctx}`);
        }
        assert(
          mine.every((r, i) => r.ts === values[i].last_update_ms),
          `record timestamp = last update${ctx}`,
        );

        // Clients do not write it.
        const k = await kcat(
          ["-b", bs, "-P", "-t", TOPIC, "-p", "0", "-X", "message.timeout.ms=10000"],
          "junk\n",
        );
        assert(k.code !== 0, `kcat -P to ${TOPIC} fails (exit ${k.code})`);
        assert(/Invalid topic/.test(k.stderr), `kcat reports INVALID_TOPIC_EXCEPTION: ${k.stderr}`);
      });
    },
  });
}
matrix.finish();
