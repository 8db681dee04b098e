// Compressed batches with a valid CRC32C over a corrupt payload, against a real gateway process: Produce answers
// CORRUPT_MESSAGE (2) for gzip, snappy, lz4 and zstd data that does not decompress, INVALID_RECORD (87) for
// compressed records that disagree with their batch header, and appends nothing: the high watermark does not
// move, the next valid batch gets the next offset and Fetch returns only the good records. Also run on SeaweedMQ
// (tests/integration/seaweedmq_corrupt_batch_test.ts).
import { assert, assertEquals } from "../unit/assert.ts";
import { type RunningGateway, runWithGateway } from "../helpers/gateway.ts";
import { fetchBody, wireCall } from "../helpers/wire.ts";
import { type CreateTopicsResponse, CreateTopicsSpec } from "../../src/protocol/messages/create_topics.ts";
import { type ProduceResponse, ProduceSpec } from "../../src/protocol/messages/produce.ts";
import { type FetchResponse, FetchSpec } from "../../src/protocol/messages/fetch.ts";
import { type ListOffsetsResponse, ListOffsetsSpec } from "../../src/protocol/messages/list_offsets.ts";
import { ErrorCode } from "../../src/protocol/errors.ts";
import { putInt32 } from "../../src/protocol/codec.ts";
import {
  ATTRIBUTES_OFFSET,
  buildBatch,
  CRC_OFFSET,
  LAST_OFFSET_DELTA_OFFSET,
  LENGTH_OFFSET,
  LOG_OVERHEAD,
  RECORD_COUNT_OFFSET,
  RECORDS_OFFSET,
  splitBatches,
} from "../../src/records/batch.ts";
import { crc32c } from "../../src/records/crc32c.ts";
import { decodeBatchRecords } from "../../src/records/record.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const enc = new TextEncoder();
const dec = new TextDecoder();
const CODECS = [["gzip", 1], ["snappy", 2], ["lz4", 3], ["zstd", 4]] as const;

function values(prefix: string, n: number): { key: Uint8Array; value: Uint8Array }[] {
  return Array.from({ length: n }, (_, i) => ({
    key: enc.encode(`k${i}`),
    value: enc.encode(`${prefix}-${i} `.repeat(8)),
  }));
}

/** A copy of `batch` with its records section replaced by `body` (and optionally its count), CRC recomputed. */
function withBody(batch: Uint8Array, body: Uint8Array, count?: number): Uint8Array {
  const out = new Uint8Array(RECORDS_OFFSET + body.length);
  out.set(batch.subarray(0, RECORDS_OFFSET));
  out.set(body, RECORDS_OFFSET);
  putInt32(out, LENGTH_OFFSET, out.length - LOG_OVERHEAD);
  if (count !== undefined) {
    putInt32(out, RECORD_COUNT_OFFSET, count);
    putInt32(out, LAST_OFFSET_DELTA_OFFSET, count - 1);
  }
  putInt32(out, CRC_OFFSET, crc32c(out.subarray(ATTRIBUTES_OFFSET)));
  return out;
}

const REFUSED = [ErrorCode.CORRUPT_MESSAGE, ErrorCode.INVALID_RECORD];

/**
 * Corrupt variants of a valid compressed batch, each with a valid CRC32C: [what, batch, accepted error codes].
 * Flipped bytes may still inflate (snappy, lz4 and zstd frames as written here carry no checksum) into bytes that
 * are not the declared records: then the answer is INVALID_RECORD, as for any records/header mismatch.
 */
function corruptVariants(good: Uint8Array, codec: number): [string, Uint8Array, readonly number[]][] {
  const body = good.subarray(RECORDS_OFFSET);
  const flipped = body.slice();
  for (let k = 0; k < 4; k++) flipped[(body.length >> 1) + k] ^= 0xff;
  const corrupt = [ErrorCode.CORRUPT_MESSAGE];
  const out: [string, Uint8Array, readonly number[]][] = [
    ["truncated", withBody(good, body.subarray(0, body.length - 7)), corrupt],
    ["not compressed data", withBody(good, enc.encode("plain bytes, no codec framing at all")), corrupt],
    ["bytes flipped", withBody(good, flipped), REFUSED],
    ["one record more declared", withBody(good, body, 4), [ErrorCode.INVALID_RECORD]],
  ];
  if (codec === 1) {
    const trailer = body.slice();
    trailer[trailer.length - 8] ^= 1;
    out.push(["gzip trailer CRC32 wrong", withBody(good, trailer), corrupt]);
  }
  return out;
}

async function createTopic(gw: RunningGateway, name: string, partitions: number): Promise<void> {
  const r = await wireCall<CreateTopicsResponse>(gw, CreateTopicsSpec, 5, {
    topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 10000,
    validateOnly: false,
  });
  assertEquals(r.topics[0].errorCode, 0, `create ${name}`);
}

/** Produce v9 of one batch per listed partition; returns [errorCode, baseOffset] per partition. */
async function produce(
  gw: RunningGateway,
  topic: string,
  batches: readonly Uint8Array[],
): Promise<[number, number][]> {
  const r = await wireCall<ProduceResponse>(gw, ProduceSpec, 9, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 10000,
    topicData: [{ name: topic, partitionData: batches.map((records, index) => ({ index, records })) }],
  });
  return r.responses[0].partitionResponses.map((p) => [p.errorCode, p.baseOffset]);
}

async function latestOffset(gw: RunningGateway, topic: string, partition = 0): Promise<number> {
  const r = await wireCall<ListOffsetsResponse>(gw, ListOffsetsSpec, 4, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [{
      name: topic,
      partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp: -1 }],
    }],
  });
  const p = r.topics[0].partitions[0];
  assertEquals(p.errorCode, 0, "list offsets");
  return p.offset ?? -1;
}

/** Every record of a partition (Fetch v4) as "offset:value", and the high watermark. */
async function fetchAll(
  gw: RunningGateway,
  topic: string,
  partition = 0,
): Promise<{ records: string[]; highWatermark: number }> {
  const records: string[] = [];
  let offset = 0;
  for (;;) {
    const r = await wireCall<FetchResponse>(gw, FetchSpec, 4, fetchBody(topic, partition, offset));
    const p = r.responses[0].partitions[0];
    assertEquals(p.errorCode, 0, "fetch error");
    const data = p.records as Uint8Array | null;
    if (data === null || data.length === 0 || offset >= p.highWatermark) {
      return { records, highWatermark: p.highWatermark };
    }
    for (const { pos, size } of splitBatches(data)) {
      const { header, records: recs } = await decodeBatchRecords(data.subarray(pos, pos + size), {
        verifyCrc: true,
      });
      for (const x of recs) {
        if (x.offset >= offset) records.push(`${x.offset}:${dec.decode(x.value!).trim()}`);
      }
      offset = header.baseOffset + header.lastOffsetDelta + 1;
    }
  }
}

const expected = (prefix: string, from: number, n: number) =>
  Array.from({ length: n }, (_, i) => `${from + i}:${`${prefix}-${i} `.repeat(8).trim()}`);

Deno.test({
  name:
    "corrupt compressed batches: CORRUPT_MESSAGE / INVALID_RECORD, nothing appended, next offsets unchanged",
  ...opts,
  fn: () =>
    runWithGateway({}, async (gw) => {
      const topic = "corrupt-batches";
      await createTopic(gw, topic, 1);
      const want: string[] = [];
      let next = 0;
      for (const [name, codec] of CODECS) {
        const good = await buildBatch({ records: values(name, 3), compression: codec });
        // Every corrupt variant is refused, on an empty partition as after good records.
        for (const [what, batch, codes] of corruptVariants(good, codec)) {
          const [[err, base]] = await produce(gw, topic, [batch]);
          assert(codes.includes(err), `${name}: ${what}: error ${err}, expected one of ${codes}`);
          assertEquals(base, -1, `${name}: ${what}`);
          assertEquals(await latestOffset(gw, topic), next, `${name}: ${what}: high watermark unchanged`);
        }
        // The valid batch gets the next offset.
        const [[err, base]] = await produce(gw, topic, [good]);
        assertEquals([err, base], [0, next], `${name}: valid batch`);
        want.push(...expected(name, next, 3));
        next += 3;
      }
      const all = await fetchAll(gw, topic);
      assertEquals(all.highWatermark, next);
      assertEquals(all.records, want, "only the good records are stored");
    }),
});

Deno.test({
  name: "corrupt compressed batch in one partition does not affect the others of the same request",
  ...opts,
  fn: () =>
    runWithGateway({}, async (gw) => {
      const topic = "corrupt-mixed";
      await createTopic(gw, topic, 2);
      const good = await buildBatch({ records: values("ok", 3), compression: 4 });
      const bad = await buildBatch({ records: values("bad", 3), compression: 3 });
      const [badVariant] = corruptVariants(bad, 3);
      const res = await produce(gw, topic, [badVariant[1], good]);
      assertEquals(res, [[ErrorCode.CORRUPT_MESSAGE, -1], [0, 0]]);
      assertEquals(await latestOffset(gw, topic, 0), 0);
      assertEquals(await latestOffset(gw, topic, 1), 3);
      assertEquals((await fetchAll(gw, topic, 1)).records, expected("ok", 0, 3));
      assertEquals((await fetchAll(gw, topic, 0)).records, []);
    }),
});
