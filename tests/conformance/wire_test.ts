// Wire-level behaviour of the connection loop against a real gateway process: pipelined requests are
// answered strictly in order, acks=0 Produce gets no response, and a too-new ApiVersions gets KIP-511's answer.
import { assert, assertEquals } from "../unit/assert.ts";
import { startGateway } from "../helpers/gateway.ts";
import { requestFrame } from "../helpers/wire.ts";
import { Reader, Writer } from "../../src/protocol/codec.ts";
import { compile } from "../../src/protocol/schema.ts";
import { ApiVersionsSpec } from "../../src/protocol/messages/api_versions.ts";
import { MetadataSpec } from "../../src/protocol/messages/metadata.ts";
import { ProduceSpec } from "../../src/protocol/messages/produce.ts";
import { buildBatch } from "../../src/records/batch.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

const request = requestFrame;

/** Reads exactly n response frames from the connection. */
async function readFrames(conn: Deno.Conn, n: number): Promise<Uint8Array[]> {
  const frames: Uint8Array[] = [];
  let buf = new Uint8Array(0);
  const chunk = new Uint8Array(65536);
  while (frames.length < n) {
    while (buf.length >= 4) {
      const size = new DataView(buf.buffer, buf.byteOffset).getInt32(0);
      if (buf.length < 4 + size) break;
      frames.push(buf.slice(4, 4 + size));
      buf = buf.slice(4 + size);
    }
    if (frames.length >= n) break;
    const got = await conn.read(chunk);
    if (got === null) throw new Error(`connection closed after ${frames.length} frames`);
    const next = new Uint8Array(buf.length + got);
    next.set(buf);
    next.set(chunk.subarray(0, got), buf.length);
    buf = next;
  }
  return frames;
}

const correlationOf = (f: Uint8Array) => new DataView(f.buffer, f.byteOffset).getInt32(0);

Deno.test({
  name: "wire: pipelined requests are answered in order; acks=0 Produce gets no response",
  ...opts,
  fn: async () => {
    const gw = await startGateway();
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: gw.port });
    try {
      const batch = await buildBatch({
        baseOffset: 0,
        records: [{
          offset: 0,
          timestamp: Date.now(),
          key: null,
          value: new TextEncoder().encode("fire"),
          headers: [],
        }],
        compression: 0,
      });
      const parts = [
        request(ApiVersionsSpec, 3, 1, { clientSoftwareName: "t", clientSoftwareVersion: "1" }),
        request(MetadataSpec, 9, 2, {
          topics: [{ topicId: "0".repeat(32), name: "pipelined" }],
          allowAutoTopicCreation: true,
        }),
        request(ProduceSpec, 9, 3, {
          transactionalId: null,
          acks: 0,
          timeoutMs: 1000,
          topicData: [{ name: "pipelined", partitionData: [{ index: 0, records: batch }] }],
        }),
        request(ApiVersionsSpec, 0, 4, {}),
        request(MetadataSpec, 1, 5, { topics: null }),
        request(ProduceSpec, 3, 6, {
          transactionalId: null,
          acks: 1,
          timeoutMs: 1000,
          topicData: [{ name: "pipelined", partitionData: [{ index: 0, records: batch }] }],
        }),
      ];
      const all = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
      let o = 0;
      for (const p of parts) {
        all.set(p, o);
        o += p.length;
      }
      await conn.write(all);
      const frames = await readFrames(conn, 5);
      assertEquals(frames.map(correlationOf), [1, 2, 4, 5, 6], "in order, nothing for the acks=0 produce");
      // The acks=1 produce after the acks=0 one lands at offset 1: the acks=0 batch was appended first.
      const r = new Reader(frames[4], 4);
      const res = compile(ProduceSpec).decodeResponse(r, 3) as {
        responses: { partitionResponses: { errorCode: number; baseOffset: number }[] }[];
      };
      assertEquals(res.responses[0].partitionResponses[0].errorCode, 0);
      assertEquals(res.responses[0].partitionResponses[0].baseOffset, 1);
    } finally {
      conn.close();
      await gw.stop();
    }
  },
});

Deno.test({
  name: "wire: ApiVersions with an unknown version gets UNSUPPORTED_VERSION and the key list in a v0 body",
  ...opts,
  fn: async () => {
    const gw = await startGateway();
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: gw.port });
    try {
      // v99 with a flexible-looking header: only key, version, correlation id and client id are read.
      const w = new Writer();
      w.int16(18).int16(99).int32(7).nullableString("future-client").uvarint(0);
      const b = w.finish();
      const f = new Uint8Array(b.length + 4);
      new DataView(f.buffer).setInt32(0, b.length);
      f.set(b, 4);
      await conn.write(f);
      const [frame] = await readFrames(conn, 1);
      assertEquals(correlationOf(frame), 7);
      const res = compile(ApiVersionsSpec).decodeResponse(new Reader(frame, 4), 0) as {
        errorCode: number;
        apiKeys: { apiKey: number; minVersion: number; maxVersion: number }[];
      };
      assertEquals(res.errorCode, 35);
      const av = res.apiKeys.find((k) => k.apiKey === 18);
      assert(av !== undefined && av.maxVersion === 4, "ApiVersions 0-4 advertised");
      const produce = res.apiKeys.find((k) => k.apiKey === 0);
      assert(produce !== undefined && produce.minVersion === 0 && produce.maxVersion === 11, "Produce 0-11");
      // The connection stays usable after the fallback answer.
      await conn.write(
        request(ApiVersionsSpec, 3, 8, { clientSoftwareName: "t", clientSoftwareVersion: "1" }),
      );
      const [again] = await readFrames(conn, 1);
      assertEquals(correlationOf(again), 8);
    } finally {
      conn.close();
      await gw.stop();
    }
  },
});
