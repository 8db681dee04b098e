// Wire helpers of the fuzz harness: request frames built with the gateway's own codec, a connection that
// splits the gateway's byte stream back into response frames (optionally discarding their bodies, so a large
// Fetch answer costs the harness no memory), typed calls for the healthy clients, and the hex frame files.
import { Reader, Writer } from "../../src/protocol/codec.ts";
import { writeRequestHeader } from "../../src/protocol/header.ts";
import { type ApiSpec, compile, type CompiledApi } from "../../src/protocol/schema.ts";
import { ApiKey } from "../../src/protocol/api_keys.ts";

const compiled = new Map<ApiSpec, CompiledApi>();
export function codecOf(spec: ApiSpec): CompiledApi {
  let c = compiled.get(spec);
  if (c === undefined) {
    c = compile(spec);
    compiled.set(spec, c);
  }
  return c;
}

/** Request header + body, without the size prefix. */
export function requestPayload(
  spec: ApiSpec,
  version: number,
  body: unknown,
  correlationId: number,
  clientId: string | null,
): Uint8Array {
  const w = new Writer(256);
  const flexible = version >= spec.flexibleFrom;
  writeRequestHeader(w, { apiKey: spec.key, apiVersion: version, correlationId, clientId }, flexible);
  codecOf(spec).encodeRequest(w, version, body);
  return w.finish();
}

/** `payload` behind a size prefix; `size` overrides the prefix value (a lying prefix). */
export function sizePrefixed(payload: Uint8Array, size = payload.length): Uint8Array {
  const out = new Uint8Array(payload.length + 4);
  new DataView(out.buffer).setInt32(0, size | 0);
  out.set(payload, 4);
  return out;
}

export type WaitResult = "frame" | "closed" | "timeout";

/**
 * One TCP connection to the gateway with a background reader. Frames are kept (`keep`) for typed calls, or
 * only counted. `closedByPeer` tells apart a close by the gateway (EOF/reset while we still read) from ours.
 */
export class FrameConn {
  private readonly frames: Uint8Array[] = [];
  private waiters: (() => void)[] = [];
  framesReceived = 0;
  /** The correlation id of every response frame received, in order. */
  readonly correlationIds: number[] = [];
  bytesReceived = 0;
  closed = false;
  closedByPeer = false;
  /** Set when the gateway sent something that is not a valid response frame (negative size). */
  protocolViolation: string | null = null;
  readonly localPort: number;
  readonly openedAt = Date.now();

  private constructor(private readonly conn: Deno.TcpConn, private readonly keep: boolean, read: boolean) {
    this.localPort = (conn.localAddr as Deno.NetAddr).port;
    try {
      conn.setNoDelay(true);
    } catch { /* not fatal */ }
    if (read) void this.readLoop();
  }

  /** `keep`: keep response frames for nextFrame(); `read` false: never read (a client that stopped reading). */
  static async open(port: number, keep: boolean, read = true): Promise<FrameConn> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    return new FrameConn(conn, keep, read);
  }

  private wake(): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }

  private async readLoop(): Promise<void> {
    const buf = new Uint8Array(64 * 1024);
    const prefix = new Uint8Array(4);
    const head = new Uint8Array(4);
    let prefixLen = 0;
    let want = -1; // body bytes still to come of the current frame
    let body: Uint8Array | null = null;
    let bodyLen = 0;
    try {
      while (true) {
        const n = await this.conn.read(buf);
        if (n === null) break;
        this.bytesReceived += n;
        let pos = 0;
        while (pos < n) {
          if (want < 0) {
            const take = Math.min(4 - prefixLen, n - pos);
            prefix.set(buf.subarray(pos, pos + take), prefixLen);
            prefixLen += take;
            pos += take;
            if (prefixLen < 4) continue;
            prefixLen = 0;
            const size = new DataView(prefix.buffer).getInt32(0);
            if (size < 0) {
              this.protocolViolation = `response frame size ${size}`;
              throw new Error(this.protocolViolation);
            }
            want = size;
            body = this.keep ? new Uint8Array(size) : null;
            bodyLen = 0;
          }
          const take = Math.min(want - bodyLen, n - pos);
          if (body !== null) body.set(buf.subarray(pos, pos + take), bodyLen);
          // The correlation id (first 4 bytes), kept even when the body is not.
          for (let i = 0; bodyLen + i < 4 && i < take; i++) head[bodyLen + i] = buf[pos + i];
          bodyLen += take;
          pos += take;
          if (bodyLen === want) {
            this.correlationIds.push(want >= 4 ? new DataView(head.buffer).getInt32(0) : NaN);
            this.framesReceived++;
            if (body !== null) this.frames.push(body);
            want = -1;
            body = null;
            this.wake();
          }
        }
      }
      if (!this.closed) this.closedByPeer = true;
    } catch {
      if (!this.closed) this.closedByPeer = true;
    } finally {
      this.closed = true;
      try {
        this.conn.close();
      } catch { /* already closed */ }
      this.wake();
    }
  }

  /** Writes all of `bytes`; false when the connection is gone. */
  async send(bytes: Uint8Array): Promise<boolean> {
    if (this.closed) return false;
    try {
      let off = 0;
      while (off < bytes.length) off += await this.conn.write(off === 0 ? bytes : bytes.subarray(off));
      return true;
    } catch {
      if (!this.closed) this.closedByPeer = true;
      this.close();
      return false;
    }
  }

  /** Waits for the next response frame (counted from `seen`), a close, or the timeout. */
  wait(seen: number, timeoutMs: number): Promise<WaitResult> {
    if (this.framesReceived > seen) return Promise.resolve("frame");
    if (this.closed) return Promise.resolve("closed");
    return new Promise((resolve) => {
      const check = () => {
        if (this.framesReceived > seen) {
          clearTimeout(timer);
          resolve("frame");
        } else if (this.closed) {
          clearTimeout(timer);
          resolve("closed");
        } else this.waiters.push(check);
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve("timeout");
      }, timeoutMs);
      this.waiters.push(check);
    });
  }

  /** Next kept frame, or null on close/timeout. */
  async nextFrame(timeoutMs: number): Promise<Uint8Array | null> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0 || this.closed) return null;
      await this.wait(this.framesReceived, left);
    }
    return this.frames.shift() ?? null;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.conn.close();
    } catch { /* already closed */ }
    this.wake();
  }
}

export class CallError extends Error {
  override name = "CallError";
}

/** A connection for typed request/response exchanges (one at a time), as the healthy clients use. */
export class Client {
  private correlation = 1;
  private constructor(readonly conn: FrameConn, readonly clientId: string) {}

  static async open(port: number, clientId: string): Promise<Client> {
    return new Client(await FrameConn.open(port, true), clientId);
  }

  async call<T>(spec: ApiSpec, version: number, body: unknown, timeoutMs: number): Promise<T> {
    const cid = this.correlation++;
    const frame = sizePrefixed(requestPayload(spec, version, body, cid, this.clientId));
    if (!await this.conn.send(frame)) throw new CallError(`${spec.name} v${version}: connection closed`);
    const res = await this.conn.nextFrame(timeoutMs);
    if (res === null) {
      throw new CallError(
        `${spec.name} v${version}: ${
          this.conn.closed ? "connection closed" : `no answer in ${timeoutMs} ms`
        }`,
      );
    }
    const r = new Reader(res);
    const got = r.int32();
    if (got !== cid) throw new CallError(`${spec.name} v${version}: correlation id ${got}, expected ${cid}`);
    if (version >= spec.flexibleFrom && spec.key !== ApiKey.ApiVersions) {
      for (let n = r.uvarint(); n > 0; n--) {
        r.uvarint();
        r.skip(r.uvarint());
      }
    }
    return codecOf(spec).decodeResponse(r, version) as T;
  }

  close(): void {
    this.conn.close();
  }
}

// ---- hex frame files: '#' comment lines, then the frame (size prefix included) as hex ----

export function frameToHex(frame: Uint8Array, comments: readonly string[]): string {
  const lines = comments.map((c) => `# ${c}`);
  for (let i = 0; i < frame.length; i += 32) {
    lines.push(Array.from(frame.subarray(i, i + 32), (b) => b.toString(16).padStart(2, "0")).join(""));
  }
  return lines.join("\n") + "\n";
}

export function hexToFrame(text: string): Uint8Array {
  const hex = text.split("\n").filter((l) => !l.trimStart().startsWith("#")).join("").replace(/\s+/g, "");
  if (hex.length % 2 !== 0 || /[^0-9a-fA-F]/.test(hex)) throw new Error("not a hex frame file");
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}
