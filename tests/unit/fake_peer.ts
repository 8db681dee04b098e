// A little Kafka server on a real TCP socket for the inter-gateway client's tests: it decodes request frames with
// the gateway's own codec and answers with handlers a test sets per API (ApiVersions is answered from the specs it
// serves). A test can hold answers back (timeouts), drop every connection (reconnects) and read what it got.
import { Reader, Writer } from "../../src/protocol/codec.ts";
import { peekHeader, readHeaderRest, writeResponseHeader } from "../../src/protocol/header.ts";
import { type ApiSpec, compile } from "../../src/protocol/schema.ts";
import { ApiVersionsSpec } from "../../src/protocol/messages/api_versions.ts";

export interface ReceivedRequest {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly clientId: string | null;
  readonly body: unknown;
}

type Answer = (version: number, body: unknown) => unknown | Promise<unknown>;

export class FakePeer {
  readonly received: ReceivedRequest[] = [];
  /** Connections accepted so far. */
  accepted = 0;
  /** While true, requests other than ApiVersions get no answer. */
  silent = false;
  private readonly specs = new Map<number, { spec: ApiSpec; answer: Answer }>();
  private readonly conns = new Set<Deno.Conn>();
  private readonly writes = new Map<Deno.Conn, Promise<void>>();
  private readonly listener: Deno.TcpListener;
  private readonly accepting: Promise<void>;

  constructor() {
    this.listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.accepting = this.acceptLoop();
  }

  get port(): number {
    return this.listener.addr.port;
  }

  /** Serves `spec` (advertised in ApiVersions with its own version range) with `answer`. */
  serve(spec: ApiSpec, answer: Answer): this {
    this.specs.set(spec.key, { spec, answer });
    return this;
  }

  /** Closes every open connection from the server side (the client sees the peer go away). */
  dropConnections(): void {
    for (const c of this.conns) {
      try {
        c.close();
      } catch { /* closed */ }
    }
    this.conns.clear();
  }

  async close(): Promise<void> {
    try {
      this.listener.close();
    } catch { /* closed already */ }
    this.dropConnections();
    await this.accepting;
  }

  private async acceptLoop(): Promise<void> {
    try {
      for await (const c of this.listener) {
        this.accepted++;
        this.conns.add(c);
        this.serveConn(c).catch(() => {}).finally(() => this.conns.delete(c));
      }
    } catch { /* listener closed */ }
  }

  private async serveConn(c: Deno.Conn): Promise<void> {
    let buf = new Uint8Array(0);
    const chunk = new Uint8Array(65536);
    for (;;) {
      while (buf.length >= 4) {
        const size = new DataView(buf.buffer, buf.byteOffset).getInt32(0);
        if (buf.length < 4 + size) break;
        const frame = buf.slice(4, 4 + size);
        buf = buf.slice(4 + size);
        // Answered concurrently, written as each completes: the client must match by correlation id.
        this.answer(c, frame).catch(() => {});
      }
      const n = await c.read(chunk);
      if (n === null) return;
      const next = new Uint8Array(buf.length + n);
      next.set(buf);
      next.set(chunk.subarray(0, n), buf.length);
      buf = next;
    }
  }

  private async answer(c: Deno.Conn, frame: Uint8Array): Promise<void> {
    const r = new Reader(frame);
    const h = peekHeader(r);
    const isVersions = h.apiKey === ApiVersionsSpec.key;
    const served = this.specs.get(h.apiKey);
    const spec = isVersions ? ApiVersionsSpec : served?.spec;
    if (spec === undefined) throw new Error(`unexpected api key ${h.apiKey}`);
    // Request headers are flexible from the API's flexible version, ApiVersions included (only its response is not).
    const clientId = readHeaderRest(r, h.apiVersion >= spec.flexibleFrom);
    const body = compile(spec).decodeRequest(r, h.apiVersion);
    this.received.push({ apiKey: h.apiKey, apiVersion: h.apiVersion, clientId, body });
    let res: unknown;
    if (isVersions) {
      res = {
        errorCode: 0,
        apiKeys: [ApiVersionsSpec, ...[...this.specs.values()].map((s) => s.spec)].map((s) => ({
          apiKey: s.key,
          minVersion: s.minVersion,
          maxVersion: s.maxVersion,
        })),
        throttleTimeMs: 0,
      };
    } else {
      if (this.silent) return;
      res = await served!.answer(h.apiVersion, body);
    }
    const w = new Writer();
    w.int32(0);
    writeResponseHeader(w, h.apiKey, h.correlationId, h.apiVersion >= spec.flexibleFrom);
    (compile(spec).encodeResponse as (w: Writer, v: number, b: unknown) => void)(w, h.apiVersion, res);
    const out = w.finish();
    new DataView(out.buffer, out.byteOffset).setInt32(0, out.length - 4);
    // One frame at a time on the socket: answers finish in any order but must not interleave.
    const prev = this.writes.get(c) ?? Promise.resolve();
    const next = prev.then(async () => {
      for (let o = 0; o < out.length;) o += await c.write(out.subarray(o));
    });
    this.writes.set(c, next.catch(() => {}));
    await next;
  }
}
