// Idempotent producers and leader epochs against a real gateway process: raw-protocol sequence rules (exact retry
// deduplicated with its original offset, gap, stale epoch, KIP-360 re-init), the same across graceful and SIGKILL
// restarts, transactional ids refused fast, OffsetForLeaderEpoch consistent with Metadata; KafkaJS with
// `idempotent: true` and confluent-kafka with enable.idempotence=true, including a gateway restart under a live
// librdkafka producer.
import { assert, assertEquals } from "../unit/assert.ts";
import { type RunningGateway, runWithGateway, startGateway } from "../helpers/gateway.ts";
import { Kafka, logLevel } from "../helpers/kafkajs.ts";
import { pythonPath, requireTool } from "../helpers/tools.ts";
import { fetchBody, WireClient } from "../helpers/wire.ts";
import { scrape } from "../helpers/ops.ts";
import { ErrorCode } from "../../src/protocol/errors.ts";
import { MetadataSpec } from "../../src/protocol/messages/metadata.ts";
import { type ProduceResponse, ProduceSpec } from "../../src/protocol/messages/produce.ts";
import { type FetchResponse, FetchSpec } from "../../src/protocol/messages/fetch.ts";
import { CreateTopicsSpec } from "../../src/protocol/messages/create_topics.ts";
import { FindCoordinatorSpec } from "../../src/protocol/messages/find_coordinator.ts";
import { type ListOffsetsResponse, ListOffsetsSpec } from "../../src/protocol/messages/list_offsets.ts";
import {
  type InitProducerIdResponse,
  InitProducerIdSpec,
} from "../../src/protocol/messages/init_producer_id.ts";
import {
  type OffsetForLeaderEpochResponse,
  OffsetForLeaderEpochSpec,
} from "../../src/protocol/messages/offset_for_leader_epoch.ts";
import { type BatchHeader, buildBatchSync, splitBatches } from "../../src/records/batch.ts";
import { decodeBatchRecords } from "../../src/records/record.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const PYTHON = pythonPath();
const CK_PRODUCER = new URL("./py/ck_idempotent.py", import.meta.url).pathname;
const python = await requireTool("confluent-kafka (pip)", PYTHON, ["-c", "import confluent_kafka"]);

const enc = new TextEncoder();

function idemBatch(producerId: number, epoch: number, seq: number, values: string[]): Uint8Array {
  return buildBatchSync({
    records: values.map((v, i) => ({
      offset: i,
      timestamp: Date.now(),
      key: null,
      value: enc.encode(v),
      headers: [],
    })),
    producerId,
    producerEpoch: epoch,
    baseSequence: seq,
  });
}

async function createTopic(c: WireClient, name: string, partitions = 1): Promise<void> {
  const r = await c.call<{ topics: { errorCode: number }[] }>(CreateTopicsSpec, 5, {
    topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 5000,
    validateOnly: false,
  });
  assertEquals(r.topics[0].errorCode, 0, `create ${name}`);
}

async function initProducerId(
  c: WireClient,
  version: number,
  producerId = -1,
  producerEpoch = -1,
  transactionalId: string | null = null,
): Promise<InitProducerIdResponse> {
  return await c.call<InitProducerIdResponse>(InitProducerIdSpec, version, {
    transactionalId,
    transactionTimeoutMs: 60000,
    producerId,
    producerEpoch,
  });
}

/** Produce v9 (flexible) with one batch; returns [errorCode, baseOffset]. */
async function produce(
  c: WireClient,
  topic: string,
  batch: Uint8Array,
  partition = 0,
): Promise<[number, number]> {
  const r = await c.call<ProduceResponse>(ProduceSpec, 9, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }],
  });
  const p = r.responses[0].partitionResponses[0];
  return [p.errorCode, p.baseOffset];
}

/** Every stored batch of a partition (Fetch v4, raw) with its record values. */
async function storedBatches(
  c: WireClient,
  topic: string,
  partition = 0,
): Promise<{ header: BatchHeader; values: string[] }[]> {
  const out: { header: BatchHeader; values: string[] }[] = [];
  let offset = 0;
  for (;;) {
    const r = await c.call<FetchResponse>(FetchSpec, 4, fetchBody(topic, partition, offset));
    const p = r.responses[0].partitions[0];
    assertEquals(p.errorCode, 0, "fetch error");
    const records = p.records as Uint8Array | null;
    if (records === null || records.length === 0) return out;
    for (const { pos, size } of splitBatches(records)) {
      const batch = records.subarray(pos, pos + size);
      const { header, records: recs } = await decodeBatchRecords(batch);
      const values = recs.map((x) => new TextDecoder().decode(x.value!));
      out.push({ header, values });
      offset = header.baseOffset + header.lastOffsetDelta + 1;
    }
    if (offset >= p.highWatermark) return out;
  }
}

async function latestOffset(c: WireClient, topic: string, partition = 0): Promise<number> {
  const r = await c.call<ListOffsetsResponse>(ListOffsetsSpec, 4, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [{
      name: topic,
      partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp: -1 }],
    }],
  });
  return r.topics[0].partitions[0].offset ?? -1;
}

const withGateway = (
  fn: (gw: RunningGateway) => Promise<void>,
  start: () => Promise<RunningGateway> = () => startGateway(),
) => runWithGateway(start, fn);

// ---------------------------------------------------------------------------------------------------------
// Raw protocol.

Deno.test({
  name: "idempotent wire: exact retry keeps its offset (one copy stored), gap and stale epoch are refused",
  ...opts,
  fn: () =>
    withGateway(async (gw) => {
      const c = await WireClient.connect(gw.port);
      try {
        await createTopic(c, "idem-wire");
        const init = await initProducerId(c, 4);
        assertEquals(init.errorCode, 0);
        assertEquals(init.producerEpoch, 0);
        const pid = init.producerId;
        assert(pid >= 0, "a producer id");
        // The next producer gets another id.
        assertEquals((await initProducerId(c, 0)).producerId, pid + 1);

        const b0 = idemBatch(pid, 0, 0, ["a", "b", "c"]);
        assertEquals(await produce(c, "idem-wire", b0), [0, 0]);
        // The exact same batch again (a retry): success with the original offset, nothing written.
        assertEquals(await produce(c, "idem-wire", b0.slice()), [0, 0]);
        assertEquals(await produce(c, "idem-wire", idemBatch(pid, 0, 3, ["d", "e"])), [0, 3]);
        assertEquals(await produce(c, "idem-wire", b0.slice()), [0, 0], "an older cached batch too");
        assertEquals(await latestOffset(c, "idem-wire"), 5);
        // A gap.
        const [gap] = await produce(c, "idem-wire", idemBatch(pid, 0, 9, ["x"]));
        assertEquals(gap, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
        // A new epoch must start at sequence 0.
        const [badNewEpoch] = await produce(c, "idem-wire", idemBatch(pid, 1, 5, ["x"]));
        assertEquals(badNewEpoch, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
        // KIP-360 re-init: same id, epoch bumped; the old epoch is then fenced.
        const bumped = await initProducerId(c, 4, pid, 0);
        assertEquals([bumped.errorCode, bumped.producerId, bumped.producerEpoch], [0, pid, 1]);
        assertEquals(await produce(c, "idem-wire", idemBatch(pid, 1, 0, ["f"])), [0, 5]);
        const [stale] = await produce(c, "idem-wire", idemBatch(pid, 0, 5, ["x"]));
        assertEquals(stale, ErrorCode.INVALID_PRODUCER_EPOCH);
        // Re-init with a stale epoch: PRODUCER_FENCED (v4+), INVALID_PRODUCER_EPOCH before.
        assertEquals((await initProducerId(c, 4, pid, 0)).errorCode, 0, "retry of the bump: same answer");
        assertEquals((await initProducerId(c, 4, pid, 1)).producerEpoch, 2);
        assertEquals((await initProducerId(c, 4, pid, 0)).errorCode, ErrorCode.PRODUCER_FENCED);
        assertEquals((await initProducerId(c, 3, pid, 0)).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);

        // One copy of everything, with the producer's headers intact and the partition's leader epoch (the start's
        // on the embedded log, as a one-node Kafka; the lease epoch of a SeaweedMQ cluster).
        const md = await c.call<
          { topics: { partitions: { partitionIndex: number; leaderEpoch: number }[] }[] }
        >(
          MetadataSpec,
          9,
          { topics: [{ topicId: "0".repeat(32), name: "idem-wire" }], allowAutoTopicCreation: false },
        );
        const epoch = md.topics[0].partitions.find((p) => p.partitionIndex === 0)!.leaderEpoch;
        assert(epoch >= 0, `leader epoch ${epoch}`);
        const stored = await storedBatches(c, "idem-wire");
        assertEquals(stored.map((s) => s.values), [["a", "b", "c"], ["d", "e"], ["f"]]);
        assertEquals(
          stored.map((s) => [s.header.producerId, s.header.producerEpoch, s.header.baseSequence]),
          [[pid, 0, 0], [pid, 0, 3], [pid, 1, 0]],
        );
        assert(stored.every((s) => s.header.partitionLeaderEpoch === epoch), `leader epoch ${epoch} stored`);
        // Non-idempotent produce is unaffected.
        const plain = buildBatchSync({
          records: [{ offset: 0, timestamp: Date.now(), key: null, value: enc.encode("p"), headers: [] }],
        });
        assertEquals(await produce(c, "idem-wire", plain), [0, 6]);
        assertEquals(await produce(c, "idem-wire", plain.slice()), [0, 7], "no dedup without a producer id");
      } finally {
        c.close();
      }
    }),
});

for (const how of ["SIGTERM", "SIGKILL"] as const) {
  Deno.test({
    name:
      `idempotent wire: state survives a gateway restart (${how}); a retry of the last batch is deduplicated`,
    ...opts,
    fn: async () => {
      const dataDir = await Deno.makeTempDir({ prefix: "kgw-idem-" });
      let gw = await startGateway({ dataDir });
      let c = await WireClient.connect(gw.port);
      try {
        await createTopic(c, "idem-restart", 2);
        const { producerId: pid } = await initProducerId(c, 4);
        const batches: Uint8Array[] = [];
        for (let i = 0; i < 6; i++) {
          const b = idemBatch(pid, 0, i * 2, [`v${i * 2}`, `v${i * 2 + 1}`]);
          batches.push(b);
          assertEquals(await produce(c, "idem-restart", b.slice(), 1), [0, i * 2]);
        }
        c.close();
        if (how === "SIGTERM") await gw.stop();
        else await gw.kill();
        gw = await startGateway({ dataDir });
        c = await WireClient.connect(gw.port);
        // Retry of the last batch (and of an older cached one) sent before the restart.
        assertEquals(await produce(c, "idem-restart", batches[5].slice(), 1), [0, 10]);
        assertEquals(await produce(c, "idem-restart", batches[2].slice(), 1), [0, 4]);
        // The same producer id/epoch continues its sequence; a gap is still a gap.
        const [gap] = await produce(c, "idem-restart", idemBatch(pid, 0, 13, ["x"]), 1);
        assertEquals(gap, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
        assertEquals(await produce(c, "idem-restart", idemBatch(pid, 0, 12, ["v12"]), 1), [0, 12]);
        const stored = await storedBatches(c, "idem-restart", 1);
        assertEquals(stored.flatMap((s) => s.values), Array.from({ length: 13 }, (_, i) => `v${i}`));
        // Producer ids are never reused after a restart.
        assert((await initProducerId(c, 4)).producerId > pid, "a fresh id");
        // The stale epoch is still fenced after the restart.
        assertEquals(await produce(c, "idem-restart", idemBatch(pid, 1, 0, ["e1"]), 1), [0, 13]);
        c.close();
        await gw.stop();
        gw = await startGateway({ dataDir });
        c = await WireClient.connect(gw.port);
        const [stale] = await produce(c, "idem-restart", idemBatch(pid, 0, 13, ["x"]), 1);
        assertEquals(stale, ErrorCode.INVALID_PRODUCER_EPOCH);
        assert(/producer state loaded/.test(gw.logs()), "the state was rebuilt lazily");
      } catch (e) {
        console.error(gw.logs().split("\n").slice(-40).join("\n"));
        throw e;
      } finally {
        c.close();
        await gw.stop();
        await Deno.remove(dataDir, { recursive: true }).catch(() => {});
      }
    },
  });
}

Deno.test({
  name:
    "wire: a transactional id gets a producer id, its epoch bumps on re-init; its coordinator is this gateway",
  ...opts,
  fn: () =>
    withGateway(async (gw) => {
      const c = await WireClient.connect(gw.port);
      try {
        const first = await initProducerId(c, 0, -1, -1, "my-txn");
        assertEquals(first.errorCode, ErrorCode.NONE);
        assert(first.producerId >= 0, "a producer id");
        for (const v of [2, 4, 5]) {
          const r = await initProducerId(c, v, -1, -1, "my-txn");
          // The same id keeps its producer id; each init fences the previous one with a higher epoch.
          assertEquals([r.errorCode, r.producerId], [ErrorCode.NONE, first.producerId], `v${v}`);
        }
        const again = await initProducerId(c, 5, -1, -1, "my-txn");
        assertEquals(again.producerEpoch, 4, "epoch 0, then 1, 2, 3, 4");
        assertEquals((await initProducerId(c, 4, -1, -1, "")).errorCode, ErrorCode.INVALID_REQUEST);
        assertEquals((await initProducerId(c, 4, 5, -1)).errorCode, ErrorCode.INVALID_REQUEST);
        const fc = await c.call<{ errorCode: number; nodeId: number; port: number }>(FindCoordinatorSpec, 1, {
          key: "my-txn",
          keyType: 1,
          coordinatorKeys: [],
        });
        assertEquals([fc.errorCode, fc.port], [ErrorCode.NONE, gw.port]);
      } finally {
        c.close();
      }
    }),
});

async function leaderEpochs(c: WireClient, topic: string): Promise<number[]> {
  const md = await c.call<{ topics: { partitions: { partitionIndex: number; leaderEpoch: number }[] }[] }>(
    MetadataSpec,
    9,
    { topics: [{ topicId: "0".repeat(32), name: topic }], allowAutoTopicCreation: false },
  );
  return md.topics[0].partitions.sort((a, b) => a.partitionIndex - b.partitionIndex).map((p) =>
    p.leaderEpoch
  );
}

async function endOffsetFor(c: WireClient, topic: string, partition: number, epoch: number) {
  const r = await c.call<OffsetForLeaderEpochResponse>(OffsetForLeaderEpochSpec, 4, {
    replicaId: -1,
    topics: [{ topic, partitions: [{ partition, currentLeaderEpoch: -1, leaderEpoch: epoch }] }],
  });
  const p = r.topics[0].partitions[0];
  return [p.errorCode, p.leaderEpoch, p.endOffset];
}

Deno.test({
  name:
    "leader epochs: a restart bumps them; records keep theirs; OffsetForLeaderEpoch ends the old one; fencing",
  ...opts,
  fn: async () => {
    const dataDir = await Deno.makeTempDir({ prefix: "kgw-epochs-" });
    let gw = await startGateway({ dataDir });
    let c = await WireClient.connect(gw.port);
    const plain = (v: string) =>
      buildBatchSync({
        records: [{ offset: 0, timestamp: Date.now(), key: null, value: enc.encode(v), headers: [] }],
      });
    try {
      await createTopic(c, "le", 1);
      for (const v of ["a", "b", "c"]) assertEquals((await produce(c, "le", plain(v)))[0], 0);
      const [e1] = await leaderEpochs(c, "le");
      assert(e1 >= 0, `epoch ${e1}`);
      // A topic created while the gateway runs: its records carry this epoch too, also after the restart.
      await createTopic(c, "le-later", 1);
      assertEquals((await produce(c, "le-later", plain("x")))[0], 0);
      c.close();
      await gw.stop();
      gw = await startGateway({ dataDir });
      c = await WireClient.connect(gw.port);
      const [e2] = await leaderEpochs(c, "le");
      assert(e2 > e1, `epoch ${e1} then ${e2} after the restart`);
      assertEquals((await leaderEpochs(c, "le-later"))[0], e2);
      for (const v of ["d", "e"]) assertEquals((await produce(c, "le", plain(v)))[0], 0);
      // Each record keeps the epoch it was written under.
      const stored = await storedBatches(c, "le");
      assertEquals(stored.map((b) => [b.values[0], b.header.partitionLeaderEpoch]), [
        ["a", e1],
        ["b", e1],
        ["c", e1],
        ["d", e2],
        ["e", e2],
      ]);
      assertEquals((await storedBatches(c, "le-later")).map((b) => b.header.partitionLeaderEpoch), [e1]);
      // The old epoch ended where the new one began; the current one ends at the log end.
      assertEquals(await endOffsetFor(c, "le", 0, e1), [0, e1, 3]);
      assertEquals(await endOffsetFor(c, "le", 0, e2), [0, e2, 5]);
      assertEquals(await endOffsetFor(c, "le-later", 0, e1), [0, e1, 1]);
      // A client still on the old epoch is fenced; one from the future is told the epoch is unknown.
      const fetchAt = async (epoch: number) => {
        const body = fetchBody("le", 0, 0);
        body.topics[0].partitions[0].currentLeaderEpoch = epoch;
        return (await c.call<FetchResponse>(FetchSpec, 12, body)).responses[0].partitions[0].errorCode;
      };
      assertEquals(await fetchAt(e1), ErrorCode.FENCED_LEADER_EPOCH);
      assertEquals(await fetchAt(e2 + 1), ErrorCode.UNKNOWN_LEADER_EPOCH);
      assertEquals(await fetchAt(e2), 0);
    } finally {
      c.close();
      await gw.stop();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name: "wire: OffsetForLeaderEpoch v0-4 agrees with Metadata's leader epoch",
  ...opts,
  fn: () =>
    withGateway(async (gw) => {
      const c = await WireClient.connect(gw.port);
      try {
        await createTopic(c, "epochs", 2);
        for (let i = 0; i < 3; i++) {
          const plain = buildBatchSync({
            records: [{
              offset: 0,
              timestamp: Date.now(),
              key: null,
              value: enc.encode(`m${i}`),
              headers: [],
            }],
          });
          assertEquals((await produce(c, "epochs", plain, 1))[0], 0);
        }
        const md = await c.call<{ topics: { name: string; partitions: { leaderEpoch: number }[] }[] }>(
          MetadataSpec,
          9,
          { topics: [{ topicId: "0".repeat(32), name: "epochs" }], allowAutoTopicCreation: false },
        );
        // Both backends have leader epochs: the embedded log's start count (a one-node Kafka's), a SeaweedMQ
        // cluster's leases'; an epoch above the current one is unknown ({-1, -1}, Kafka's leader-epoch cache).
        const epochs = md.topics[0].partitions.map((p) => p.leaderEpoch);
        assert(epochs.every((e) => e >= 0), `epochs ${epochs}`);
        const cur = epochs[1];
        const above = epochs[0] + 5;
        for (let v = 0; v <= 4; v++) {
          const r = await c.call<OffsetForLeaderEpochResponse>(OffsetForLeaderEpochSpec, v, {
            replicaId: -1,
            topics: [
              {
                topic: "epochs",
                partitions: [
                  { partition: 1, currentLeaderEpoch: -1, leaderEpoch: cur },
                  { partition: 0, currentLeaderEpoch: -1, leaderEpoch: above },
                  { partition: 1, currentLeaderEpoch: -1, leaderEpoch: -1 },
                  { partition: 7, currentLeaderEpoch: -1, leaderEpoch: 0 },
                ],
              },
              { topic: "nope", partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] },
            ],
          });
          const le = (e: number) => (v >= 1 ? e : -1); // v0 has no LeaderEpoch field
          assertEquals(r.topics[0].partitions, [
            { errorCode: 0, partition: 1, leaderEpoch: le(cur), endOffset: 3 },
            { errorCode: 0, partition: 0, leaderEpoch: -1, endOffset: -1 },
            { errorCode: 0, partition: 1, leaderEpoch: -1, endOffset: -1 },
            { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, partition: 7, leaderEpoch: -1, endOffset: -1 },
          ], `v${v}`);
          assertEquals(r.topics[1].partitions[0].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        }
      } finally {
        c.close();
      }
    }),
});

// ---------------------------------------------------------------------------------------------------------
// Real clients.

/** All batches come from one producer id with contiguous sequences (and, when `oneEpoch`, a single epoch). */
function assertOneProducerRun(
  stored: { header: BatchHeader; values: string[] }[],
  what: string,
  oneEpoch = false,
): void {
  assert(stored.length > 0, `${what}: batches stored`);
  const pid = stored[0].header.producerId;
  assert(pid >= 0, `${what}: idempotent batches carry a producer id`);
  let epoch = stored[0].header.producerEpoch;
  let next = 0;
  for (const { header: h } of stored) {
    assertEquals(h.producerId, pid, `${what}: one producer id`);
    if (h.producerEpoch !== epoch) {
      assert(!oneEpoch, `${what}: the producer kept its epoch (${epoch} -> ${h.producerEpoch})`);
      assert(h.producerEpoch > epoch && h.baseSequence === 0, `${what}: epoch bumps restart at sequence 0`);
      epoch = h.producerEpoch;
      next = 0;
    }
    assertEquals(h.baseSequence, next, `${what}: contiguous sequences`);
    next += h.recordCount;
  }
}

Deno.test({
  name: "kafkajs: idempotent producer (maxInFlightRequests 1) writes every message exactly once",
  ...opts,
  fn: () =>
    withGateway(async (gw) => {
      const kafka = new Kafka({
        clientId: "idem",
        brokers: [gw.bootstrap],
        logLevel: logLevel.NOTHING,
        retry: { retries: 5 },
      });
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: "kjs-idem", numPartitions: 3 }] });
      await admin.disconnect();
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      const c = await WireClient.connect(gw.port);
      try {
        for (let s = 0; s < 10; s++) {
          await producer.send({
            topic: "kjs-idem",
            acks: -1,
            messages: Array.from({ length: 30 }, (_, i) => ({ partition: i % 3, value: `s${s}-m${i}` })),
          });
        }
        for (let p = 0; p < 3; p++) {
          const stored = await storedBatches(c, "kjs-idem", p);
          assertOneProducerRun(stored, `kjs-idem-${p}`);
          const values = stored.flatMap((b) => b.values);
          const expected = [];
          for (let s = 0; s < 10; s++) for (let i = p; i < 30; i += 3) expected.push(`s${s}-m${i}`);
          assertEquals(values, expected, `partition ${p}`);
        }
      } finally {
        c.close();
        await producer.disconnect();
      }
    }),
});

/**
 * A TCP proxy in front of the gateway (which advertises the proxy's port). In blackhole mode it still forwards
 * requests but drops every response, so batches get stored while the client never sees them acknowledged: its
 * retries, on the same or on a restarted gateway, must be deduplicated. It counts the responses it dropped, so a
 * test can tell that something was lost at all.
 */
class Proxy {
  readonly port: number;
  blackhole = false;
  /** Responses (size-prefixed frames) whose first byte arrived while in blackhole mode. */
  droppedResponses = 0;
  private readonly listener: Deno.Listener;
  private readonly conns = new Set<Deno.Conn>();

  constructor(public upstreamPort: number) {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.listener = listener;
    this.port = (listener.addr as Deno.NetAddr).port;
    (async () => {
      for await (const c of listener) this.handle(c);
    })().catch(() => {});
  }

  private async handle(client: Deno.Conn): Promise<void> {
    let up: Deno.Conn;
    try {
      up = await Deno.connect({ hostname: "127.0.0.1", port: this.upstreamPort });
    } catch {
      client.close();
      return;
    }
    this.conns.add(client);
    this.conns.add(up);
    const close = () => {
      for (const c of [client, up]) {
        try {
          c.close();
        } catch { /* closed */ }
        this.conns.delete(c);
      }
    };
    // Response framing, followed whether or not bytes are forwarded: bytes left in the current frame, and the
    // size prefix being read (a prefix may span reads).
    let left = 0;
    let prefix = 0, prefixBytes = 0;
    const countFrames = (chunk: Uint8Array, dropped: boolean) => {
      let i = 0;
      while (i < chunk.length) {
        if (left > 0) {
          const k = Math.min(left, chunk.length - i);
          left -= k;
          i += k;
          continue;
        }
        if (prefixBytes === 0 && dropped) this.droppedResponses++;
        prefix = (prefix << 8) | chunk[i++];
        if (++prefixBytes === 4) {
          left = prefix >>> 0;
          prefix = prefixBytes = 0;
        }
      }
    };
    const pump = async (from: Deno.Conn, to: Deno.Conn, responses: boolean) => {
      const buf = new Uint8Array(65536);
      try {
        for (;;) {
          const n = await from.read(buf);
          if (n === null) break;
          if (responses) {
            const drop = this.blackhole;
            countFrames(buf.subarray(0, n), drop);
            if (drop) continue;
          }
          let off = 0;
          while (off < n) off += await to.write(buf.subarray(off, n));
        }
      } catch { /* closed */ }
      close();
    };
    pump(client, up, false);
    pump(up, client, true);
  }

  /** Stops dropping responses and closes every proxied connection (clients reconnect cleanly). */
  resume(): void {
    this.blackhole = false;
    for (const c of this.conns) {
      try {
        c.close();
      } catch { /* closed */ }
    }
    this.conns.clear();
  }

  close(): void {
    this.resume();
    this.listener.close();
  }
}

interface PhaseEvent {
  event: string;
  phase: number;
  delivered: number;
  failed: string[];
  left: number;
  fatal: string[];
  transient: string[];
}

const DISRUPTIONS = {
  none: "",
  lost: ", responses lost mid-run (retries deduplicated)",
  SIGTERM: ", responses lost then gateway SIGTERM and restart mid-run",
  SIGKILL: ", responses lost then gateway SIGKILL and restart mid-run",
} as const;

for (const how of Object.keys(DISRUPTIONS) as (keyof typeof DISRUPTIONS)[]) {
  Deno.test({
    name: `confluent-kafka: enable.idempotence=true exactly once${DISRUPTIONS[how]}`,
    ignore: python.ignore,
    ...opts,
    fn: async () => {
      const dataDir = await Deno.makeTempDir({ prefix: "kgw-ck-idem-" });
      const proxy = new Proxy(0);
      const start = async () => {
        const g = await startGateway({ dataDir, args: ["--advertised-listener", `127.0.0.1:${proxy.port}`] });
        proxy.upstreamPort = g.port;
        return g;
      };
      let gw = await start();
      const topic = "ck-idem";
      const count = 3000;
      const phases = how === "none" ? 1 : 2;
      const c0 = await WireClient.connect(gw.port);
      await createTopic(c0, topic, 3);
      c0.close();
      const child = new Deno.Command(PYTHON, {
        args: [CK_PRODUCER, `127.0.0.1:${proxy.port}`, topic, String(count), String(phases), "3", "40"],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const lines: string[] = [];
      const pumped = (async () => {
        let buf = "";
        for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
          buf += chunk;
          let i;
          while ((i = buf.indexOf("\n")) >= 0) {
            lines.push(buf.slice(0, i));
            buf = buf.slice(i + 1);
          }
        }
      })();
      const stderr = new Response(child.stderr).text();
      const phase = async (n: number): Promise<PhaseEvent> => {
        const deadline = Date.now() + 90_000;
        for (;;) {
          const ev = lines.map((l) => JSON.parse(l) as PhaseEvent).find((e) => e.phase === n);
          if (ev) return ev;
          if (Date.now() > deadline) throw new Error(`phase ${n} did not finish: ${lines.join("\n")}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      };
      const writer = child.stdin.getWriter();
      try {
        const p0 = await phase(0);
        assertEquals([p0.delivered, p0.failed, p0.fatal], [count, [], []], "phase 0");
        if (phases > 1) {
          // While phase 1 is producing, responses vanish: the stored batches are retried by librdkafka (on the
          // restarted gateway for SIGTERM/SIGKILL) and must be deduplicated; its sequence must continue with the
          // same producer id and epoch.
          await writer.write(new TextEncoder().encode("go\n"));
          await new Promise((r) => setTimeout(r, 300));
          proxy.blackhole = true;
          await new Promise((r) => setTimeout(r, 300));
          if (how !== "lost") {
            if (how === "SIGTERM") await gw.stop();
            else await gw.kill();
            gw = await start();
          }
          proxy.resume();
          const p1 = await phase(1);
          assertEquals([p1.delivered, p1.failed, p1.left, p1.fatal], [count, [], 0, []], "phase 1");
          // The disruption happened: responses were dropped, and librdkafka retried batches the gateway had
          // stored (a duplicate is only ever a retry), which the gateway recognised and did not write again.
          assert(proxy.droppedResponses > 0, "the proxy dropped responses");
          const dups = (await scrape(gw.httpPort!)).get("kgw_produce_duplicates_total");
          assert(dups > 0, `the gateway recognised retried batches as duplicates (${dups})`);
        }
        await writer.close();
        await child.status;
        const c = await WireClient.connect(gw.port);
        try {
          for (let p = 0; p < 3; p++) {
            const stored = await storedBatches(c, topic, p);
            assertOneProducerRun(stored, `${topic}-${p}`, true);
            const values = stored.flatMap((b) => b.values);
            const expected: string[] = [];
            for (let ph = 0; ph < phases; ph++) {
              for (let i = p; i < count; i += 3) expected.push(`p${ph}-${i}`);
            }
            assertEquals(values.length, expected.length, `partition ${p}: no duplicates, nothing lost`);
            assertEquals(values, expected, `partition ${p}: in order`);
          }
        } finally {
          c.close();
        }
      } catch (e) {
        console.error(
          lines.join("\n"),
          await stderr.catch(() => ""),
          gw.logs().split("\n").slice(-40).join("\n"),
        );
        throw e;
      } finally {
        try {
          child.kill("SIGKILL");
        } catch { /* exited */ }
        await child.status;
        await pumped.catch(() => {});
        proxy.close();
        await gw.stop();
        await Deno.remove(dataDir, { recursive: true }).catch(() => {});
      }
    },
  });
}
