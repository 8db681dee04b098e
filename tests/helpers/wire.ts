// One Kafka request/response exchange with a real gateway process, encoded and decoded by the gateway's own
// protocol schema: for APIs and fields no installed client exposes (error messages, documentation, v7+ fields).
import { assertEquals } from "../unit/assert.ts";
import type { RunningGateway } from "./gateway.ts";
import { Reader, Writer } from "../../src/protocol/codec.ts";
import { writeRequestHeader } from "../../src/protocol/header.ts";
import { type ApiSpec, compile } from "../../src/protocol/schema.ts";
import { ApiVersionsSpec } from "../../src/protocol/messages/api_versions.ts";

/** Sends `body` as `spec` v`version` on a fresh connection and returns the decoded response. */
export async function wireCall<T>(
  gw: RunningGateway,
  spec: ApiSpec,
  version: number,
  body: unknown,
): Promise<T> {
  const api = compile(spec);
  const flexible = version >= spec.flexibleFrom;
  const w = new Writer();
  writeRequestHeader(
    w,
    { apiKey: spec.key, apiVersion: version, correlationId: 7, clientId: "wire-test" },
    flexible,
  );
  api.encodeRequest(w, version, body);
  const payload = w.finish();
  const frame = new Uint8Array(payload.length + 4);
  new DataView(frame.buffer).setInt32(0, payload.length);
  frame.set(payload, 4);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: gw.port });
  try {
    await conn.write(frame);
    let buf = new Uint8Array(0);
    const chunk = new Uint8Array(65536);
    while (buf.length < 4 || buf.length < 4 + new DataView(buf.buffer).getInt32(0)) {
      const n = await conn.read(chunk);
      if (n === null) throw new Error("connection closed");
      const next = new Uint8Array(buf.length + n);
      next.set(buf);
      next.set(chunk.subarray(0, n), buf.length);
      buf = next;
    }
    const r = new Reader(buf, 4, 4 + new DataView(buf.buffer).getInt32(0));
    assertEquals(r.int32(), 7);
    if (flexible && spec.key !== ApiVersionsSpec.key) {
      for (let n = r.uvarint(); n > 0; n--) {
        r.uvarint();
        r.skip(r.uvarint());
      }
    }
    const out = api.decodeResponse(r, version) as T;
    assertEquals(r.remaining, 0);
    return out;
  } finally {
    conn.close();
  }
}
