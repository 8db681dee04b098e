// Kafka request/response exchanges with a real gateway process, encoded and decoded by the gateway's own protocol
// schema: for APIs and fields no installed client exposes (error messages, documentation, v7+ fields), pipelining
// and misbehaving clients.
import { assertEquals } from "../unit/assert.ts";
import type { RunningGateway } from "./gateway.ts";
import { Reader, Writer } from "../../src/protocol/codec.ts";
import { writeRequestHeader } from "../../src/protocol/header.ts";
import { type ApiSpec, compile } from "../../src/protocol/schema.ts";
import { ApiVersionsSpec } from "../../src/protocol/messages/api_versions.ts";
import type { FetchRequest } from "../../src/protocol/messages/fetch.ts";

/** One size-prefixed request frame. */
export function requestFrame(
  spec: ApiSpec,
  version: number,
  correlationId: number,
  body: unknown,
  clientId = "wire-test",
): Uint8Array {
  const w = new Writer();
  writeRequestHeader(
    w,
    { apiKey: spec.key, apiVersion: version, correlationId, clientId },
    version >= spec.flexibleFrom,
  );
  compile(spec).encodeRequest(w, version, body);
  const b = w.finish();
  const out = new Uint8Array(b.length + 4);
  new DataView(out.buffer).setInt32(0, b.length);
  out.set(b, 4);
  return out;
}

/** Decodes a response frame (without its size prefix) of `spec` v`version`, checking the correlation id. */
export function decodeResponse<T>(
  spec: ApiSpec,
  version: number,
  frame: Uint8Array,
  correlationId?: number,
): T {
  const r = new Reader(frame);
  const id = r.int32();
  if (correlationId !== undefined) assertEquals(id, correlationId, "correlation id");
  if (version >= spec.flexibleFrom && spec.key !== ApiVersionsSpec.key) {
    for (let n = r.uvarint(); n > 0; n--) {
      r.uvarint();
      r.skip(r.uvarint());
    }
  }
  const out = compile(spec).decodeResponse(r, version) as T;
  assertEquals(r.remaining, 0, "response fully decoded");
  return out;
}

/** A connection speaking our codec: one call at a time, or requests sent ahead and responses read in order. */
export class WireClient {
  private correlation = 0;
  private buf = new Uint8Array(0);
  private constructor(readonly conn: Deno.Conn, private readonly clientId: string) {}

  static async connect(port: number, clientId = "wire-test"): Promise<WireClient> {
    return new WireClient(await Deno.connect({ hostname: "127.0.0.1", port }), clientId);
  }

  /** Sends a request without waiting for its response; returns its correlation id. */
  async send(spec: ApiSpec, version: number, body: unknown): Promise<number> {
    const id = ++this.correlation;
    const frame = requestFrame(spec, version, id, body, this.clientId);
    for (let o = 0; o < frame.length;) o += await this.conn.write(frame.subarray(o));
    return id;
  }

  /** Reads the next response and decodes it as `spec` v`version`. */
  async receive<T>(spec: ApiSpec, version: number, correlationId?: number): Promise<T> {
    return decodeResponse<T>(spec, version, await this.readFrame(), correlationId);
  }

  async call<T>(spec: ApiSpec, version: number, body: unknown): Promise<T> {
    const id = await this.send(spec, version, body);
    return await this.receive<T>(spec, version, id);
  }

  /** The next response frame (without its size prefix); throws when the gateway closed the connection. */
  async readFrame(): Promise<Uint8Array> {
    const chunk = new Uint8Array(65536);
    for (;;) {
      if (this.buf.length >= 4) {
        const size = new DataView(this.buf.buffer, this.buf.byteOffset).getInt32(0);
        if (this.buf.length >= 4 + size) {
          const f = this.buf.slice(4, 4 + size);
          this.buf = this.buf.slice(4 + size);
          return f;
        }
      }
      const n = await this.conn.read(chunk);
      if (n === null) throw new Error("connection closed");
      const next = new Uint8Array(this.buf.length + n);
      next.set(this.buf);
      next.set(chunk.subarray(0, n), this.buf.length);
      this.buf = next;
    }
  }

  /** Resolves true once the gateway closes the connection (reads end), discarding what arrives before. */
  async closedByPeer(): Promise<boolean> {
    const chunk = new Uint8Array(65536);
    try {
      while ((await this.conn.read(chunk)) !== null) { /* discard */ }
    } catch { /* reset counts as closed */ }
    return true;
  }

  close(): void {
    try {
      this.conn.close();
    } catch { /* closed */ }
  }
}

/** Sends `body` as `spec` v`version` on a fresh connection and returns the decoded response. */
export async function wireCall<T>(
  gw: RunningGateway,
  spec: ApiSpec,
  version: number,
  body: unknown,
): Promise<T> {
  const c = await WireClient.connect(gw.port);
  try {
    return await c.call<T>(spec, version, body);
  } finally {
    c.close();
  }
}

/** A consumer's Fetch of one partition (any version; fields a version lacks are ignored by the encoder). */
export function fetchBody(
  topic: string,
  partition: number,
  fetchOffset: number,
  opts: { maxWaitMs?: number; minBytes?: number; maxBytes?: number; topicId?: string } = {},
): FetchRequest {
  return {
    clusterId: null,
    replicaId: -1,
    replicaState: { replicaId: -1, replicaEpoch: -1 },
    maxWaitMs: opts.maxWaitMs ?? 0,
    minBytes: opts.minBytes ?? 0,
    maxBytes: opts.maxBytes ?? 64 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{
      topic,
      topicId: opts.topicId ?? "0".repeat(32),
      partitions: [{
        partition,
        currentLeaderEpoch: -1,
        fetchOffset,
        lastFetchedEpoch: -1,
        logStartOffset: -1,
        partitionMaxBytes: opts.maxBytes ?? 64 << 20,
        replicaDirectoryId: "0".repeat(32),
      }],
    }],
    forgottenTopicsData: [],
    rackId: "",
  };
}
