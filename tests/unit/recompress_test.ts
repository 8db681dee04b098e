// Produce-path record work some topic configs ask for: recompression to compression.type, and the key check of
// compacted topics.
import { assert, assertEquals } from "./assert.ts";
import { buildBatch, validateBatches } from "../../src/records/batch.ts";
import { decodeBatchRecords } from "../../src/records/record.ts";
import { recompressBatches, requireKeys } from "../../src/records/recompress.ts";
import { ErrorCode, KafkaError } from "../../src/protocol/errors.ts";
import type { AppendRequest } from "../../src/storage/storage.ts";

const enc = new TextEncoder();

async function request(codec: number, keys: (string | null)[]): Promise<AppendRequest> {
  const one = await buildBatch({
    compression: codec,
    producerId: 42,
    producerEpoch: 3,
    baseSequence: 17,
    records: keys.map((k, i) => ({
      key: k === null ? null : enc.encode(k),
      value: enc.encode(`value-${i}`.repeat(20)),
      timestamp: 1_700_000_000_000 + i * 7,
      headers: [{ key: "h", value: enc.encode(String(i)) }],
    })),
  });
  const two = await buildBatch({ compression: 0, records: [{ key: enc.encode("z"), value: null }] });
  const payload = new Uint8Array(one.length + two.length);
  payload.set(one);
  payload.set(two, one.length);
  return { payload, batches: validateBatches(payload) };
}

Deno.test("recompressBatches: every codec, records and producer fields kept, CRC valid", async () => {
  for (const from of [0, 1, 2, 3, 4]) {
    const req = await request(from, ["a", null, "c"]);
    const original = await decodeBatchRecords(req.payload.subarray(0, req.batches[0].size), {
      verifyCrc: true,
    });
    for (const to of [0, 1, 2, 3, 4]) {
      const out = await recompressBatches(req, to, 3, Infinity);
      if (from === to && to === 0) assert(out === req, "nothing to do: the request itself");
      assertEquals(out.batches.map((b) => b.attributes & 7), [to, to]);
      const b0 = out.batches[0];
      assertEquals([b0.producerId, b0.producerEpoch, b0.baseSequence, b0.recordCount], [42, 3, 17, 3]);
      const got = await decodeBatchRecords(out.payload.subarray(0, b0.size), { verifyCrc: true });
      assertEquals(got.records, original.records, `${from} -> ${to}`);
      const second = await decodeBatchRecords(out.payload.subarray(b0.size), { verifyCrc: true });
      assertEquals(second.records[0].value, null);
    }
  }
  const big = await request(4, ["a", "b", "c"]);
  try {
    await recompressBatches(big, 0, 3, 200);
    throw new Error("expected MESSAGE_TOO_LARGE");
  } catch (e) {
    assertEquals((e as KafkaError).code, ErrorCode.MESSAGE_TOO_LARGE);
  }
});

Deno.test("requireKeys: a record without a key is INVALID_RECORD, also inside compressed batches", async () => {
  await requireKeys(await request(1, ["a", "b"]), "t-0");
  for (const codec of [0, 4]) {
    try {
      await requireKeys(await request(codec, ["a", null]), "t-0");
      throw new Error("expected INVALID_RECORD");
    } catch (e) {
      assertEquals((e as KafkaError).code, ErrorCode.INVALID_RECORD);
      assertEquals(
        (e as Error).message,
        "Compacted topic cannot accept message without key in topic partition t-0.",
      );
    }
  }
});
