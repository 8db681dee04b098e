// A minimal gRPC bidirectional-streaming client on its own HTTP/2 connection (RFC 7540 over a Deno TCP socket),
// used for PublishMessage only.
//
// Why not grpc-js: it hands a stream's messages to HTTP/2 one at a time, each after the previous write's callback:
// one event-loop turn and one socket write per message, ~20-30k messages/s per stream. Why not node:http2: the
// broker acknowledges every message in a DATA frame of its own, and node:http2 turns each into a stream event
// inside an async-context scope: half the gateway's CPU at 200,000 msg/s went there (docs/performance.md). Here a
// socket read is parsed in one loop, every ack frame of it handed to the stream's handler directly, and a whole
// Kafka batch goes out as back-to-back gRPC frames in one write.
//
// Behaviour:
// - One connection per broker (`GrpcH2Session`), streams multiplexed on it, ids 1, 3, 5...; a connection that
//   failed or got GOAWAY takes no new streams: the next `open` dials a new one.
// - Settings sent: no push, a 16 MiB initial stream window; the connection window is widened to 64 MiB. Received
//   DATA is credited back (WINDOW_UPDATE) once a quarter of the window is consumed.
// - Sends respect the peer's windows and maximum frame size; data waiting for window is kept in order per stream,
//   and `write` returns false while a stream holds more than 4 MiB (the caller awaits `drained()`).
// - PING is answered, SETTINGS acknowledged (a new initial window moves every open stream's window).
// - Headers: HPACK (hpack.ts) with the dynamic table kept across streams; a response other than :status 200 ends the
//   call UNAVAILABLE; grpc-status in a trailers-only response or the trailers ends it with that status.
// - RST_STREAM, a connection error, EOF or GOAWAY past the stream's id end its calls UNAVAILABLE (CANCELLED for a
//   stream we cancelled); onEnd is called exactly once per stream.
//
// gRPC over HTTP/2: request headers (POST, :path = /package.Service/Method, content-type application/grpc,
// te: trailers); each message is framed as 1 byte compressed-flag (0) + 4 bytes big-endian length + payload;
// the call ends with trailers carrying grpc-status / grpc-message (or a trailers-only response).
import { concat } from "../../../records/bytes.ts";
import { encodeHeaders, type Header, HpackDecoder } from "./hpack.ts";

const GRPC_OK = 0;
const GRPC_CANCELLED = 1;
const GRPC_INTERNAL = 13;
const GRPC_UNAVAILABLE = 14;
const MAX_MESSAGE = 256 * 1024 * 1024;

export interface StreamHandlers {
  /** One whole response message (a view valid only during the call). */
  onMessage(msg: Uint8Array): void;
  /** The call ended: status 0 = OK (server closed cleanly), else a gRPC status code. Called once. */
  onEnd(status: number, message: string): void;
}

export interface GrpcH2Stream {
  /** Writes already-framed messages (see frameInto); returns false when the caller should wait for drain. */
  write(frames: Uint8Array): boolean;
  /** Resolves when the stream can take more data. */
  drained(): Promise<void>;
  /** Half-closes the request side. */
  end(): void;
  /** Cancels the call. */
  cancel(): void;
}

/** Bytes of a gRPC frame around a message of `len` bytes. */
export const FRAME_HEADER = 5;

/** Writes a gRPC frame header for a `len`-byte message at `at`. */
export function putFrameHeader(buf: Uint8Array, at: number, len: number): void {
  buf[at] = 0;
  buf[at + 1] = len >>> 24;
  buf[at + 2] = (len >>> 16) & 0xff;
  buf[at + 3] = (len >>> 8) & 0xff;
  buf[at + 4] = len & 0xff;
}

export function frame(msg: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER + msg.length);
  putFrameHeader(out, 0, msg.length);
  out.set(msg, FRAME_HEADER);
  return out;
}

// ---- HTTP/2 framing (RFC 7540 section 6) ----

const DATA = 0x0;
const HEADERS = 0x1;
const RST_STREAM = 0x3;
const SETTINGS = 0x4;
const PUSH_PROMISE = 0x5;
const PING = 0x6;
const GOAWAY = 0x7;
const WINDOW_UPDATE = 0x8;
const CONTINUATION = 0x9;

const FLAG_END_STREAM = 0x1;
const FLAG_ACK = 0x1;
const FLAG_END_HEADERS = 0x4;
const FLAG_PADDED = 0x8;
const FLAG_PRIORITY = 0x20;

const SETTINGS_ENABLE_PUSH = 0x2;
const SETTINGS_INITIAL_WINDOW_SIZE = 0x4;
const SETTINGS_MAX_FRAME_SIZE = 0x5;

const RST_CANCEL = 0x8;

const PREFACE = new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
const FRAME_HEAD = 9;
/** Frames we accept: SETTINGS_MAX_FRAME_SIZE is left at its default. */
const MAX_RECV_FRAME = 16384;
const STREAM_WINDOW = 16 * 1024 * 1024;
const CONNECTION_WINDOW = 64 * 1024 * 1024;
const DEFAULT_WINDOW = 65535;
/** A stream holding more unsent bytes than this asks its writer to wait. */
const STREAM_BUFFER = 4 * 1024 * 1024;

function frameHead(
  out: Uint8Array,
  at: number,
  len: number,
  type: number,
  flags: number,
  stream: number,
): void {
  out[at] = len >>> 16;
  out[at + 1] = (len >>> 8) & 0xff;
  out[at + 2] = len & 0xff;
  out[at + 3] = type;
  out[at + 4] = flags;
  out[at + 5] = (stream >>> 24) & 0x7f;
  out[at + 6] = (stream >>> 16) & 0xff;
  out[at + 7] = (stream >>> 8) & 0xff;
  out[at + 8] = stream & 0xff;
}

function u32(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}

function controlFrame(type: number, flags: number, stream: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_HEAD + payload.length);
  frameHead(out, 0, payload.length, type, flags, stream);
  out.set(payload, FRAME_HEAD);
  return out;
}

function windowUpdate(stream: number, increment: number): Uint8Array {
  const p = new Uint8Array(4);
  new DataView(p.buffer).setUint32(0, increment);
  return controlFrame(WINDOW_UPDATE, 0, stream, p);
}

class H2Stream implements GrpcH2Stream {
  sendWindow: number;
  /** Data not yet sent (waiting for window), in order; `head` bytes of `queue[0]` already went. */
  private queue: Uint8Array[] = [];
  private head = 0;
  queued = 0;
  private endQueued = false;
  private endSent = false;
  private drain: PromiseWithResolvers<void> | null = null;
  /** Received DATA bytes not yet credited back. */
  unacked = 0;
  private pending: Uint8Array | null = null;
  private gotHeaders = false;
  private ended = false;
  private cancelled = false;

  constructor(
    readonly id: number,
    readonly path: string,
    private readonly conn: H2Connection,
    private readonly h: StreamHandlers,
  ) {
    this.sendWindow = conn.peerInitialWindow;
  }

  write(frames: Uint8Array): boolean {
    if (this.ended || this.endQueued) return true;
    this.queue.push(frames);
    this.queued += frames.byteLength;
    this.conn.pump(this);
    return this.queued <= STREAM_BUFFER;
  }

  drained(): Promise<void> {
    if (this.ended || this.queued <= STREAM_BUFFER) return Promise.resolve();
    this.drain ??= Promise.withResolvers<void>();
    return this.drain.promise;
  }

  end(): void {
    if (this.ended || this.endQueued) return;
    this.endQueued = true;
    this.conn.pump(this);
  }

  cancel(): void {
    if (this.ended) return;
    this.cancelled = true;
    this.conn.reset(this, RST_CANCEL);
    this.finish(GRPC_CANCELLED, "cancelled");
  }

  /** Moves queued data into DATA frames as far as `room` (and the stream's window) allows; returns bytes taken. */
  take(room: number, maxFrame: number, out: Uint8Array[]): number {
    let taken = 0;
    while (this.queue.length > 0) {
      const n = Math.min(room - taken, this.sendWindow, maxFrame);
      if (n <= 0) break;
      const chunk = this.queue[0];
      const len = Math.min(n, chunk.byteLength - this.head);
      const f = new Uint8Array(FRAME_HEAD);
      frameHead(f, 0, len, DATA, 0, this.id);
      out.push(f, chunk.subarray(this.head, this.head + len)); // the write copies it once, with its neighbours
      this.head += len;
      if (this.head === chunk.byteLength) {
        this.queue.shift();
        this.head = 0;
      }
      this.sendWindow -= len;
      this.queued -= len;
      taken += len;
    }
    if (this.queue.length === 0 && this.endQueued && !this.endSent) {
      this.endSent = true;
      const f = new Uint8Array(FRAME_HEAD);
      frameHead(f, 0, 0, DATA, FLAG_END_STREAM, this.id);
      out.push(f);
    }
    if (this.drain && this.queued <= STREAM_BUFFER) {
      this.drain.resolve();
      this.drain = null;
    }
    return taken;
  }

  get waiting(): boolean {
    return this.queue.length > 0 || (this.endQueued && !this.endSent);
  }

  onData(b: Uint8Array): void {
    if (this.ended) return;
    let buf = b;
    if (this.pending) {
      buf = new Uint8Array(this.pending.length + b.length);
      buf.set(this.pending);
      buf.set(b, this.pending.length);
    }
    let p = 0;
    while (buf.length - p >= FRAME_HEADER) {
      const len = u32(buf, p + 1);
      if (len > MAX_MESSAGE) {
        this.conn.reset(this, RST_CANCEL);
        this.finish(GRPC_INTERNAL, `response message of ${len} bytes`);
        return;
      }
      if (buf.length - p - FRAME_HEADER < len) break;
      const start = p + FRAME_HEADER;
      p = start + len;
      this.h.onMessage(buf.subarray(start, p));
      if (this.ended) return;
    }
    // the read buffer is reused: keep a copy of a partial message
    this.pending = p < buf.length ? buf.slice(p) : null;
  }

  onHeaders(headers: Header[], endStream: boolean): void {
    if (this.ended) return;
    let status: string | undefined;
    let grpcStatus: string | undefined;
    let grpcMessage = "";
    for (const [name, value] of headers) {
      if (name === ":status") status = value;
      else if (name === "grpc-status") grpcStatus = value;
      else if (name === "grpc-message") grpcMessage = value;
    }
    if (!this.gotHeaders) {
      this.gotHeaders = true;
      if (status !== "200") {
        this.conn.reset(this, RST_CANCEL);
        this.finish(GRPC_UNAVAILABLE, `HTTP status ${status}`);
        return;
      }
    }
    if (grpcStatus !== undefined) {
      let message = grpcMessage;
      try {
        message = decodeURIComponent(grpcMessage);
      } catch { /* not percent-encoded: as sent */ }
      this.finish(Number(grpcStatus), message);
    } else if (endStream) this.finish(GRPC_INTERNAL, "stream ended without grpc-status");
  }

  /** Ends the call once; the connection forgets the stream. */
  finish(status: number, message: string): void {
    if (this.ended) return;
    this.ended = true;
    this.queue = [];
    this.queued = 0;
    this.drain?.resolve();
    this.drain = null;
    this.conn.forget(this);
    this.h.onEnd(
      this.cancelled && status !== GRPC_OK ? GRPC_CANCELLED : status,
      status === GRPC_OK ? "" : `${this.path} on ${this.conn.address}: ${message}`,
    );
  }
}

class H2Connection {
  private conn: Deno.TcpConn | null = null;
  private readonly streams = new Map<number, H2Stream>();
  private nextId = 1;
  peerInitialWindow = DEFAULT_WINDOW;
  private peerMaxFrame = 16384;
  private sendWindow = DEFAULT_WINDOW;
  private recvUnacked = 0;
  private readonly decoder = new HpackDecoder();
  /** Frames to write, in order; one socket write takes them all. */
  private out: Uint8Array[] = [];
  private writing = false;
  /** Streams with data waiting for connection window. */
  private readonly blocked = new Set<H2Stream>();
  /** No new streams (failed, closed, GOAWAY). */
  done = false;
  private failure = "";
  private headerBlock: { stream: number; endStream: boolean; parts: Uint8Array[] } | null = null;

  constructor(readonly address: string, private readonly onDone: (c: H2Connection) => void) {
    const prefaceSettings = new Uint8Array(12);
    const v = new DataView(prefaceSettings.buffer);
    v.setUint16(0, SETTINGS_ENABLE_PUSH);
    v.setUint32(2, 0);
    v.setUint16(6, SETTINGS_INITIAL_WINDOW_SIZE);
    v.setUint32(8, STREAM_WINDOW);
    this.out.push(
      PREFACE,
      controlFrame(SETTINGS, 0, 0, prefaceSettings),
      windowUpdate(0, CONNECTION_WINDOW - DEFAULT_WINDOW),
    );
    this.run();
  }

  open(path: string, h: StreamHandlers): H2Stream {
    const id = this.nextId;
    this.nextId += 2;
    if (this.nextId > 0x7fffffff) this.retire(); // ids run out: the next stream dials anew
    const s = new H2Stream(id, path, this, h);
    if (this.streams.size === 0) this.conn?.ref(); // a call in progress keeps the process alive
    this.streams.set(id, s);
    const block = encodeHeaders([
      [":method", "POST"],
      [":scheme", "http"],
      [":path", path],
      [":authority", this.address],
      ["content-type", "application/grpc"],
      ["te", "trailers"],
      ["grpc-accept-encoding", "identity"],
    ]);
    this.send(controlFrame(HEADERS, FLAG_END_HEADERS, id, block));
    return s;
  }

  /** Sends what `s` has queued as far as the windows allow. */
  pump(s: H2Stream): void {
    if (this.done && this.conn === null) return;
    const before = this.out.length;
    this.sendWindow -= s.take(this.sendWindow, this.peerMaxFrame, this.out);
    if (s.waiting && s.sendWindow > 0) this.blocked.add(s);
    if (this.out.length !== before) this.flush();
  }

  reset(s: H2Stream, code: number): void {
    const p = new Uint8Array(4);
    new DataView(p.buffer).setUint32(0, code);
    this.send(controlFrame(RST_STREAM, 0, s.id, p));
  }

  forget(s: H2Stream): void {
    this.streams.delete(s.id);
    this.blocked.delete(s);
    if (this.streams.size === 0) this.conn?.unref();
    if (this.done && this.streams.size === 0) this.close();
  }

  private send(f: Uint8Array): void {
    this.out.push(f);
    this.flush();
  }

  private flush(): void {
    if (this.writing || !this.conn) return;
    this.writing = true;
    queueMicrotask(() => this.writeOut());
  }

  private async writeOut(): Promise<void> {
    try {
      while (this.out.length > 0 && this.conn) {
        const buf = concat(this.out);
        this.out = [];
        for (let at = 0; at < buf.byteLength;) at += await this.conn.write(buf.subarray(at));
      }
    } catch (e) {
      this.fail(`write: ${(e as Error).message}`);
    } finally {
      this.writing = false;
    }
  }

  private async run(): Promise<void> {
    const [host, port] = splitAddress(this.address);
    try {
      const conn = await Deno.connect({ hostname: host, port });
      conn.setNoDelay(true); // acks are tiny: Nagle + delayed ACK would add tens of ms to a lone produce
      if (this.streams.size === 0) conn.unref(); // an idle connection does not keep the process alive
      if (this.done) {
        conn.close();
        return;
      }
      this.conn = conn;
    } catch (e) {
      return this.fail(`connect: ${(e as Error).message}`);
    }
    this.flush();
    let buf = new Uint8Array(256 * 1024);
    let filled = 0;
    try {
      for (;;) {
        if (filled === buf.length) {
          const bigger = new Uint8Array(buf.length * 2);
          bigger.set(buf);
          buf = bigger;
        }
        const n = await this.conn.read(buf.subarray(filled));
        if (n === null) return this.fail("connection closed by the server");
        filled += n;
        let p = 0;
        while (filled - p >= FRAME_HEAD) {
          const len = (buf[p] << 16) | (buf[p + 1] << 8) | buf[p + 2];
          if (len > MAX_RECV_FRAME) return this.fail(`frame of ${len} bytes`);
          if (filled - p - FRAME_HEAD < len) break;
          const type = buf[p + 3];
          const flags = buf[p + 4];
          const stream = u32(buf, p + 5) & 0x7fffffff;
          const payload = buf.subarray(p + FRAME_HEAD, p + FRAME_HEAD + len);
          p += FRAME_HEAD + len;
          this.onFrame(type, flags, stream, payload);
          if (!this.conn) return;
        }
        buf.copyWithin(0, p, filled);
        filled -= p;
      }
    } catch (e) {
      this.fail(`read: ${(e as Error).message}`);
    }
  }

  private onFrame(type: number, flags: number, id: number, payload: Uint8Array): void {
    if (this.headerBlock && type !== CONTINUATION) return this.fail("header block interrupted");
    switch (type) {
      case DATA: {
        this.credit(id, payload.length);
        const s = this.streams.get(id);
        if (!s) return;
        s.onData(unpad(payload, flags));
        if (flags & FLAG_END_STREAM) s.finish(GRPC_INTERNAL, "stream ended without trailers");
        return;
      }
      case HEADERS: {
        let b = unpad(payload, flags);
        if (flags & FLAG_PRIORITY) b = b.subarray(5);
        const block = { stream: id, endStream: (flags & FLAG_END_STREAM) !== 0, parts: [b.slice()] };
        if (flags & FLAG_END_HEADERS) this.headers(block);
        else this.headerBlock = block;
        return;
      }
      case CONTINUATION: {
        const block = this.headerBlock;
        if (!block || block.stream !== id) return this.fail("unexpected CONTINUATION");
        block.parts.push(payload.slice());
        if (flags & FLAG_END_HEADERS) {
          this.headerBlock = null;
          this.headers(block);
        }
        return;
      }
      case RST_STREAM:
        this.streams.get(id)?.finish(
          GRPC_UNAVAILABLE,
          `stream reset by the server (code ${u32(payload, 0)})`,
        );
        return;
      case SETTINGS:
        if (flags & FLAG_ACK) return;
        for (let i = 0; i + 6 <= payload.length; i += 6) {
          const key = (payload[i] << 8) | payload[i + 1];
          const value = u32(payload, i + 2);
          if (key === SETTINGS_INITIAL_WINDOW_SIZE) {
            const delta = value - this.peerInitialWindow;
            this.peerInitialWindow = value;
            for (const s of this.streams.values()) {
              s.sendWindow += delta;
              if (s.waiting) this.blocked.add(s);
            }
          } else if (key === SETTINGS_MAX_FRAME_SIZE) this.peerMaxFrame = value;
        }
        this.send(controlFrame(SETTINGS, FLAG_ACK, 0, new Uint8Array(0)));
        this.unblock();
        return;
      case PING:
        if (!(flags & FLAG_ACK)) this.send(controlFrame(PING, FLAG_ACK, 0, payload.slice()));
        return;
      case GOAWAY: {
        const last = u32(payload, 0) & 0x7fffffff;
        this.retire();
        for (const s of [...this.streams.values()]) {
          if (s.id > last) s.finish(GRPC_UNAVAILABLE, `server going away (code ${u32(payload, 4)})`);
        }
        return;
      }
      case WINDOW_UPDATE: {
        const inc = u32(payload, 0) & 0x7fffffff;
        if (id === 0) this.sendWindow += inc;
        else {
          const s = this.streams.get(id);
          if (!s) return;
          s.sendWindow += inc;
          this.blocked.add(s);
        }
        this.unblock();
        return;
      }
      case PUSH_PROMISE:
        return this.fail("PUSH_PROMISE although push is disabled");
      default:
        return; // unknown frame types are ignored (RFC 7540 4.1)
    }
  }

  private headers(block: { stream: number; endStream: boolean; parts: Uint8Array[] }): void {
    let headers: Header[];
    try {
      headers = this.decoder.decode(concat(block.parts)); // every block, so the table stays in step
    } catch (e) {
      return this.fail(`headers: ${(e as Error).message}`);
    }
    this.streams.get(block.stream)?.onHeaders(headers, block.endStream);
  }

  /** Credits received DATA back to the server in steps of a quarter window. */
  private credit(id: number, n: number): void {
    if (n === 0) return;
    this.recvUnacked += n;
    if (this.recvUnacked >= CONNECTION_WINDOW / 4) {
      this.send(windowUpdate(0, this.recvUnacked));
      this.recvUnacked = 0;
    }
    const s = this.streams.get(id);
    if (!s) return;
    s.unacked += n;
    if (s.unacked >= STREAM_WINDOW / 4) {
      this.send(windowUpdate(id, s.unacked));
      s.unacked = 0;
    }
  }

  private unblock(): void {
    for (const s of [...this.blocked]) {
      this.blocked.delete(s);
      if (this.sendWindow <= 0) {
        this.blocked.add(s);
        return;
      }
      this.pump(s);
    }
  }

  /** Takes no new streams; closes once the open ones end. */
  retire(): void {
    if (this.done) return;
    this.done = true;
    this.onDone(this);
    if (this.streams.size === 0) this.close();
  }

  private fail(why: string): void {
    this.failure ||= why;
    this.retire();
    for (const s of [...this.streams.values()]) s.finish(GRPC_UNAVAILABLE, this.failure);
    this.close();
  }

  close(): void {
    this.done = true;
    const c = this.conn;
    this.conn = null;
    this.out = [];
    if (c) {
      try {
        c.close();
      } catch { /* closed */ }
    }
  }
}

function unpad(payload: Uint8Array, flags: number): Uint8Array {
  if (!(flags & FLAG_PADDED)) return payload;
  const pad = payload[0] ?? 0;
  return payload.subarray(1, Math.max(1, payload.length - pad));
}

function splitAddress(address: string): [string, number] {
  const i = address.lastIndexOf(":");
  const host = address.slice(0, i).replace(/^\[(.*)\]$/, "$1");
  return [host, Number(address.slice(i + 1))];
}

/** One HTTP/2 connection at a time to a gRPC server, shared by many streams. */
export class GrpcH2Session {
  private conn: H2Connection | null = null;
  private closed = false;

  constructor(readonly address: string) {}

  open(path: string, h: StreamHandlers): GrpcH2Stream {
    if (this.closed) throw new Error(`session to ${this.address} is closed`);
    let c = this.conn;
    if (!c || c.done) {
      c = new H2Connection(this.address, (gone) => {
        if (this.conn === gone) this.conn = null;
      });
      this.conn = c;
    }
    return c.open(path, h);
  }

  close(): void {
    this.closed = true;
    const c = this.conn;
    this.conn = null;
    c?.retire();
    // streams still open get a second to end on their own
    if (c) {
      const t = setTimeout(() => c.close(), 1000);
      Deno.unrefTimer(t);
    }
  }
}
