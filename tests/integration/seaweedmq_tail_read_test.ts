// Reads at the tail of a SeaweedMQ partition while records are being produced (found by the fuzz harness): a
// Fetch at offset N returns the batch holding N or nothing yet, never records after N. SeaweedFS 4.48's
// FetchMessage answers empty for acknowledged offsets while they move from the broker's memory to a log file
// (and, after that, from a disk-chunk cache it filled before the flush); the gateway took such an answer for a
// gap left by a broker crash and skipped to the next readable offset. The broker flushes every second here
// (scripts/setup_seaweedfs.sh), so a few seconds of produce + tail fetches cross several flushes.
import { assert, assertEquals } from "../unit/assert.ts";
import { runWithGateway } from "../helpers/gateway.ts";
import { clusterForModule } from "../helpers/seaweedfs.ts";
import { fetchBody, WireClient } from "../helpers/wire.ts";
import { buildBatchSync } from "../../src/records/batch.ts";
import { decodeBatchRecords } from "../../src/records/record.ts";
import { CreateTopicsSpec } from "../../src/protocol/messages/create_topics.ts";
import type { CreateTopicsRequest, CreateTopicsResponse } from "../../src/protocol/messages/create_topics.ts";
import { ProduceSpec } from "../../src/protocol/messages/produce.ts";
import type { ProduceRequest, ProduceResponse } from "../../src/protocol/messages/produce.ts";
import { FetchSpec } from "../../src/protocol/messages/fetch.ts";
import type { FetchResponse } from "../../src/protocol/messages/fetch.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const cluster = await clusterForModule();
const enc = new TextEncoder();
const dec = new TextDecoder();
const TOPIC = "tail-read";
/** Long enough to cross several broker flushes (-logFlushInterval=1). */
const RUN_MS = 12_000;

async function decodeAll(buf: Uint8Array | null): Promise<{ offset: number; value: string }[]> {
  const out: { offset: number; value: string }[] = [];
  if (buf === null) return out;
  for (let pos = 0; pos + 12 <= buf.length;) {
    const size = 12 + new DataView(buf.buffer, buf.byteOffset + pos + 8, 4).getInt32(0);
    if (pos + size > buf.length) break; // a partial batch at the end of a size-capped answer
    const { records } = await decodeBatchRecords(buf.subarray(pos, pos + size), { verifyCrc: true });
    for (const r of records) {
      out.push({ offset: r.offset, value: r.value === null ? "" : dec.decode(r.value) });
    }
    pos += size;
  }
  return out;
}

if (cluster) {
  const c = cluster;

  Deno.test({
    name: "seaweedmq: tail fetches under produce load return every acknowledged offset, in order",
    ...opts,
    fn: () =>
      runWithGateway({ args: c.gatewayArgs }, async (gw) => {
        const admin = await WireClient.connect(gw.port);
        const create: CreateTopicsRequest = {
          topics: [{ name: TOPIC, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
          timeoutMs: 10_000,
          validateOnly: false,
        };
        const created = await admin.call<CreateTopicsResponse>(CreateTopicsSpec, 5, create);
        assertEquals(created.topics[0].errorCode, 0);
        admin.close();

        /** value per acknowledged offset */
        const acked = new Map<number, string>();
        let ackedEnd = 0;
        const skips: string[] = [];
        /** asks the producer to stop; its produce in flight still completes and raises ackedEnd */
        let stopping = false;
        /** set once the producer's last produce has been answered: only then is ackedEnd final */
        let produceDone = false;

        const producer = async () => {
          const p = await WireClient.connect(gw.port);
          try {
            for (let seq = 0; !stopping;) {
              const n = 1 + (seq % 5);
              const values = Array.from({ length: n }, (_, i) => `v-${seq + i}`);
              const body: ProduceRequest = {
                transactionalId: null,
                acks: -1,
                timeoutMs: 5000,
                topicData: [{
                  name: TOPIC,
                  partitionData: [{
                    index: 0,
                    records: buildBatchSync({
                      records: values.map((v) => ({ key: null, value: enc.encode(v) })),
                    }),
                  }],
                }],
              };
              const r =
                (await p.call<ProduceResponse>(ProduceSpec, 9, body)).responses[0].partitionResponses[0];
              assertEquals(r.errorCode, 0, `produce error ${r.errorCode}`);
              values.forEach((v, i) => acked.set(r.baseOffset + i, v));
              ackedEnd = Math.max(ackedEnd, r.baseOffset + n);
              seq += n;
              await new Promise((res) => setTimeout(res, 2));
            }
          } finally {
            p.close();
          }
        };

        /** Follows the tail; records every fetch at N that answered records starting after N. */
        const consumer = async (): Promise<Map<number, string>> => {
          const f = await WireClient.connect(gw.port);
          const seen = new Map<number, string>();
          let next = 0;
          try {
            for (;;) {
              if (produceDone && next >= ackedEnd) break;
              const res = await f.call<FetchResponse>(
                FetchSpec,
                12,
                fetchBody(TOPIC, 0, next, { maxWaitMs: 20, minBytes: 1, maxBytes: 1 << 20 }),
              );
              const part = res.responses[0].partitions[0];
              assertEquals(part.errorCode, 0, `fetch at ${next}: error ${part.errorCode}`);
              const records = part.records instanceof Uint8Array ? part.records : null;
              for (const rec of await decodeAll(records)) {
                if (rec.offset < next) continue; // the batch holding `next` began before it
                if (rec.offset !== next) skips.push(`fetch at ${next} returned ${rec.offset} first`);
                seen.set(rec.offset, rec.value);
                next = rec.offset + 1;
              }
            }
          } finally {
            f.close();
          }
          return seen;
        };

        const produced = producer();
        const consumed = consumer();
        await new Promise((res) => setTimeout(res, RUN_MS));
        stopping = true;
        try {
          await produced;
        } finally {
          produceDone = true;
        }
        let timer: ReturnType<typeof setTimeout> | undefined;
        const seen = await Promise.race([
          consumed,
          new Promise<never>((_, rej) => {
            timer = setTimeout(() => rej(new Error(`consumer stuck below ${ackedEnd}`)), 30_000);
          }),
        ]).finally(() => clearTimeout(timer));

        assert(ackedEnd > 500, `only ${ackedEnd} records produced`);
        assertEquals(skips, [], `skipped offsets: ${skips.slice(0, 10).join("; ")}`);
        for (let o = 0; o < ackedEnd; o++) assertEquals(seen.get(o), acked.get(o), `offset ${o}`);
      }),
  });

  Deno.test({ name: "seaweedmq: stop the SeaweedFS cluster of this module", ...opts, fn: () => c.stop() });
}
