// KafkaJS helpers for conformance tests. Consumer groups arrive in a later issue, so partition reads use
// KafkaJS's own Broker class (its real Fetch encoder and record decoder) rather than anything of ours.
import { Buffer } from "node:buffer";
// @ts-types="npm:kafkajs@2.2.4"
import kafkajs from "kafkajs";
import BrokerModule from "kafkajs/src/broker/index.js";
import ConnectionPoolModule from "kafkajs/src/network/connectionPool.js";
import socketFactoryModule from "kafkajs/src/network/socketFactory.js";
import loggers from "kafkajs/src/loggers/index.js";
import { compress, decompress } from "../../src/records/compression.ts";

export const { Kafka, CompressionTypes, CompressionCodecs, logLevel } = kafkajs;
export { kafkajs };

/**
 * KafkaJS ships only gzip; snappy, lz4 and zstd are plugged in as its docs describe. These adapters use the
 * same npm codec libraries as the gateway; the cross-implementation check of codecs is the kcat suite.
 */
const plugged: [1 | 2 | 3 | 4, number][] = [[CompressionTypes.Snappy, 2], [CompressionTypes.LZ4, 3], [
  CompressionTypes.ZSTD,
  4,
]];
for (const [type, id] of plugged) {
  CompressionCodecs[type] = () => ({
    compress: async (encoder: { buffer: Uint8Array }) => Buffer.from(await compress(id, encoder.buffer)),
    decompress: async (buf: Uint8Array) => Buffer.from(await decompress(id, buf)),
  });
}

export interface FetchedMessage {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  timestamp: string;
  headers: Record<string, Buffer | Buffer[] | undefined>;
}

interface FetchResult {
  responses: {
    topicName: string;
    partitions: {
      partition: number;
      errorCode: number;
      highWatermark: string;
      messages: FetchedMessage[];
    }[];
  }[];
}

interface KafkaJsBroker {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  fetch(args: {
    maxWaitTime?: number;
    minBytes?: number;
    maxBytes?: number;
    isolationLevel?: number;
    topics: { topic: string; partitions: { partition: number; fetchOffset: string; maxBytes: number }[] }[];
  }): Promise<FetchResult>;
}

type BrokerCtor = new (o: { connectionPool: unknown; logger: unknown }) => KafkaJsBroker;
type PoolCtor = new (o: Record<string, unknown>) => unknown;

/** Opens a KafkaJS Broker connection straight to the gateway. */
export async function connectBroker(bootstrap: string): Promise<KafkaJsBroker> {
  const [host, port] = bootstrap.split(":");
  const logger =
    (loggers as { createLogger: (o: { level: number; logCreator: () => () => void }) => unknown })
      .createLogger({ level: 0, logCreator: () => () => {} });
  const pool = new (ConnectionPoolModule as unknown as PoolCtor)({
    host,
    port: Number(port),
    logger,
    socketFactory: (socketFactoryModule as () => unknown)(),
    connectionTimeout: 5000,
    requestTimeout: 30000,
    clientId: "conformance-test",
  });
  const broker = new (BrokerModule as unknown as BrokerCtor)({ connectionPool: pool, logger });
  await broker.connect();
  return broker;
}

/** Reads a partition from `from` until `count` messages arrived (or throws after `timeoutMs`). */
export async function readPartition(
  broker: KafkaJsBroker,
  topic: string,
  partition: number,
  count: number,
  opts: { from?: number; maxBytes?: number; timeoutMs?: number } = {},
): Promise<FetchedMessage[]> {
  const out: FetchedMessage[] = [];
  let offset = opts.from ?? 0;
  const deadline = Date.now() + (opts.timeoutMs ?? 20000);
  while (out.length < count) {
    if (Date.now() > deadline) {
      throw new Error(`read ${out.length}/${count} messages of ${topic}-${partition}`);
    }
    const res = await broker.fetch({
      maxWaitTime: 200,
      maxBytes: opts.maxBytes ?? 10 * 1024 * 1024,
      topics: [{
        topic,
        partitions: [{ partition, fetchOffset: String(offset), maxBytes: opts.maxBytes ?? 5242880 }],
      }],
    });
    const p = res.responses[0].partitions[0];
    if (p.errorCode !== 0) throw new Error(`fetch error code ${p.errorCode}`);
    for (const m of p.messages) {
      if (Number(m.offset) < offset) continue;
      out.push(m);
      offset = Number(m.offset) + 1;
    }
  }
  return out;
}

/**
 * Every message of a partition up to its high watermark, read through the gateway at `bootstrap` (offsets may
 * have gaps, e.g. on SeaweedMQ after a broker crash); throws on a fetch error or after two minutes.
 */
export async function readWholePartition(
  bootstrap: string,
  topic: string,
  partition: number,
): Promise<{ high: number; messages: FetchedMessage[] }> {
  const admin = new Kafka({
    clientId: "read-whole-partition",
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 2000 },
  }).admin();
  await admin.connect();
  const offs = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const high = Number(offs.find((o: { partition: number }) => o.partition === partition)!.high);
  const broker = await connectBroker(bootstrap);
  const messages: FetchedMessage[] = [];
  try {
    let offset = 0;
    const deadline = Date.now() + 120_000;
    while (offset < high) {
      if (Date.now() > deadline) throw new Error(`${topic}-${partition}: read up to ${offset} of ${high}`);
      const res = await broker.fetch({
        maxWaitTime: 100,
        maxBytes: 10 * 1024 * 1024,
        topics: [{
          topic,
          partitions: [{ partition, fetchOffset: String(offset), maxBytes: 5 * 1024 * 1024 }],
        }],
      });
      const p = res.responses[0].partitions[0];
      if (p.errorCode !== 0) {
        throw new Error(`${topic}-${partition}: fetch error ${p.errorCode} at ${offset}`);
      }
      for (const msg of p.messages) {
        if (Number(msg.offset) < offset) continue;
        messages.push(msg);
        offset = Number(msg.offset) + 1;
      }
    }
    return { high, messages };
  } finally {
    await broker.disconnect();
  }
}

/**
 * The error a KafkaJS call rejects with, unwrapped from its retry and aggregate wrappers: the Kafka error type
 * (or the error's name when it has none) and message. Throws when the call succeeds.
 */
export async function kafkajsError(p: Promise<unknown>): Promise<{ type: string; message: string }> {
  try {
    await p;
  } catch (e) {
    // deno-lint-ignore no-explicit-any
    let x: any = e;
    while (x && !x.type && (x.errors?.[0] ?? x.originalError ?? x.cause)) {
      x = x.errors?.[0] ?? x.originalError ?? x.cause;
    }
    return { type: String(x?.type ?? x?.name), message: String(x?.message) };
  }
  throw new Error("expected an error");
}
