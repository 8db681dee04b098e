// KafkaJS 2.2.4 under Deno. See ../README.md for the command line and the JSON result.
// KafkaJS ships only the gzip codec (snappy/lz4/zstd need third-party plugins), so compression=gzip only.
import { Buffer } from "node:buffer";
// @ts-types="npm:kafkajs@2.2.4"
import kafkajs from "kafkajs";

const { Kafka, CompressionTypes, logLevel } = kafkajs;
const [scenario, bootstrap, topic, group, ...rest] = Deno.args;
const opt: Record<string, string> = Object.fromEntries(rest.map((a) => a.split("=", 2) as [string, string]));
const n = Number(opt.n ?? 20);
const start = Number(opt.start ?? 0);
const timeoutMs = Number(opt.timeout_ms ?? 30000);
const headers = opt.headers === "1";
const idempotent = opt.idempotent === "1";
const idleMs = Number(opt.idle_ms ?? 0); // group: also stop once messages stopped arriving for idle_ms
const codecs: Record<string, number> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};

const PAD = "x".repeat(200); // compressible: librdkafka sends a batch uncompressed when that is smaller
type Msg = [number, number, string | null, string | null, string | null];
function done(res: Record<string, unknown>): never {
  console.log(JSON.stringify(res));
  Deno.exit(res.ok ? 0 : 1);
}
const timer = setTimeout(
  () => done({ ok: false, error: `timeout after ${timeoutMs} ms`, msgs: got }),
  timeoutMs,
);
const got: Msg[] = [];
const str = (b: Buffer | null | undefined) => (b == null ? null : b.toString());
const hdr = (h: Record<string, unknown> | undefined) => {
  const v = h?.h;
  return v == null ? null : String(v);
};

const kafka = new Kafka({
  clientId: opt.client_id ?? "compat-kafkajs",
  brokers: bootstrap.split(","), // one address or several, comma-separated
  logLevel: logLevel.ERROR,
  retry: { retries: 5 },
});

try {
  if (scenario === "produce") {
    const producer = kafka.producer(
      idempotent ? { idempotent: true, maxInFlightRequests: 1 } : { allowAutoTopicCreation: true },
    );
    await producer.connect();
    // KafkaJS reports one base offset per partition and request, not per message: "bases" [partition, offset].
    const bases: [number, number][] = [];
    const batch = 10;
    for (let i = start; i < start + n; i += batch) {
      const messages = [];
      for (let j = i; j < Math.min(i + batch, start + n); j++) {
        messages.push({
          key: `k-${j}`,
          value: `v-${j}|${PAD}`,
          headers: headers ? { h: String(j) } : undefined,
        });
      }
      const res = await producer.send({
        topic,
        acks: -1,
        compression: codecs[opt.compression ?? "none"],
        messages,
      });
      for (const r of res) bases.push([r.partition, Number(r.baseOffset)]);
    }
    await producer.disconnect();
    done({ ok: true, bases });
  } else if (scenario === "fetch") {
    // No group API: KafkaJS's consumer always uses a group. Assign-style reading without a group is not in its
    // public API, so use a throwaway group id and no commits (equivalent for the broker: Fetch + ListOffsets).
    // isolation=read_committed|read_uncommitted (KafkaJS's own default is read_committed).
    const consumer = kafka.consumer({
      groupId: `${group}-fetch-${Date.now()}`,
      maxWaitTimeInMs: 500,
      ...(opt.isolation ? { readUncommitted: opt.isolation !== "read_committed" } : {}),
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const finished = Promise.withResolvers<void>();
    await consumer.run({
      autoCommit: false,
      eachMessage: ({ partition, message }) => {
        got.push([
          partition,
          Number(message.offset),
          str(message.key),
          str(message.value),
          hdr(message.headers),
        ]);
        if (got.length >= n) finished.resolve();
        return Promise.resolve();
      },
    });
    await finished.promise;
    await consumer.disconnect();
    done({ ok: true, msgs: got });
  } else if (scenario === "group") {
    const consumer = kafka.consumer({
      groupId: group,
      maxWaitTimeInMs: 500,
      sessionTimeout: 10000,
      heartbeatInterval: 500,
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const finished = Promise.withResolvers<void>();
    const next = new Map<number, string>();
    let last = Date.now();
    const idle = idleMs
      ? setInterval(() => {
        if (got.length && Date.now() - last >= idleMs) finished.resolve();
      }, 100)
      : undefined;
    await consumer.run({
      autoCommit: false,
      eachMessage: ({ partition, message }) => {
        if (got.length >= n) return Promise.resolve();
        last = Date.now();
        got.push([
          partition,
          Number(message.offset),
          str(message.key),
          str(message.value),
          hdr(message.headers),
        ]);
        next.set(partition, String(Number(message.offset) + 1));
        if (got.length >= n) finished.resolve();
        return Promise.resolve();
      },
    });
    await finished.promise;
    clearInterval(idle);
    if (opt.commit !== "0") { // commit=0: a member that only reports what it got (the split scenario)
      await consumer.commitOffsets([...next].map(([partition, offset]) => ({ topic, partition, offset })));
    }
    await consumer.disconnect();
    done({ ok: true, msgs: got });
  } else if (scenario === "txn") {
    // Aborts messages start+n .. start+2n-1, then commits start .. start+n-1; message i to partition
    // i % partitions. KafkaJS reports base offsets only: "bases" of the committed transaction.
    const parts = Number(opt.partitions ?? 3);
    const producer = kafka.producer({
      transactionalId: opt.transactional_id,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    const bases: [number, number][] = [];
    for (const [first, commit] of [[start + n, false], [start, true]] as const) {
      const tx = await producer.transaction();
      const messages = [];
      for (let i = first; i < first + n; i++) {
        messages.push({
          key: `k-${i}`,
          value: `v-${i}|${PAD}`,
          partition: i % parts,
          headers: headers ? { h: String(i) } : undefined,
        });
      }
      const res = await tx.send({ topic, acks: -1, messages });
      if (commit) {
        await tx.commit();
        for (const r of res) bases.push([r.partition, Number(r.baseOffset)]);
      } else await tx.abort();
    }
    await producer.disconnect();
    done({ ok: true, bases });
  } else if (scenario === "eos") {
    // Consume-transform-produce: n messages of `topic` (group `group`, read_committed) copied to `out` in one
    // transaction with the consumed offsets (sendOffsets); committed, or aborted with abort=1.
    const consumer = kafka.consumer({
      groupId: group,
      maxWaitTimeInMs: 500,
      sessionTimeout: 10000,
      heartbeatInterval: 500,
      readUncommitted: false,
    });
    const producer = kafka.producer({
      transactionalId: opt.transactional_id,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const finished = Promise.withResolvers<void>();
    const copies: {
      key: Buffer | null;
      value: Buffer | null;
      partition: number;
      headers?: Record<string, string>;
    }[] = [];
    const next = new Map<number, string>();
    await consumer.run({
      autoCommit: false,
      eachMessage: ({ partition, message }) => {
        if (got.length >= n) return Promise.resolve();
        got.push([
          partition,
          Number(message.offset),
          str(message.key),
          str(message.value),
          hdr(message.headers),
        ]);
        const h = hdr(message.headers);
        copies.push({
          key: message.key,
          value: message.value,
          partition,
          headers: h == null ? undefined : { h },
        });
        next.set(partition, String(Number(message.offset) + 1));
        if (got.length >= n) finished.resolve();
        return Promise.resolve();
      },
    });
    await finished.promise;
    consumer.pause([{ topic }]);
    const tx = await producer.transaction();
    await tx.send({ topic: opt.out, acks: -1, messages: copies });
    await tx.sendOffsets({
      consumerGroupId: group,
      topics: [{ topic, partitions: [...next].map(([partition, offset]) => ({ partition, offset })) }],
    });
    if (opt.abort === "1") await tx.abort();
    else await tx.commit();
    await consumer.disconnect();
    await producer.disconnect();
    done({ ok: true, msgs: got });
  } else {
    done({ ok: false, error: `unknown scenario ${scenario}` });
  }
} catch (e) {
  clearTimeout(timer);
  done({ ok: false, error: `${(e as Error).name}: ${(e as Error).message}`, msgs: got });
}
