// A minimal gRPC bidirectional-streaming client over node:http2, used for PublishMessage only.
//
// Why not grpc-js for this one call: grpc-js hands a stream's messages to HTTP/2 one at a time, each after the
// previous write's callback (its RetryingCall buffer). Under Deno that is one event-loop turn and one socket
// write per message: ~20-30k messages/s per stream, and the broker then also answers every message in its own
// TCP segment (4x its CPU per message). Writing a whole Kafka batch as back-to-back gRPC frames in one HTTP/2
// write gives ~120k messages/s per stream on the same machine (docs/seaweedmq.md "gRPC" has the figures).
// Everything else (unary calls, server streams) goes through grpc-js (grpc.ts).
//
// gRPC over HTTP/2: request headers (POST, :path = /package.Service/Method, content-type application/grpc,
// te: trailers); each message is framed as 1 byte compressed-flag (0) + 4 bytes big-endian length + payload;
// the call ends with trailers carrying grpc-status / grpc-message (or a trailers-only response).
import http2 from "node:http2";
import { Buffer } from "node:buffer";

const GRPC_OK = 0;
const GRPC_UNAVAILABLE = 14;
const GRPC_INTERNAL = 13;
const GRPC_CANCELLED = 1;
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

/** One HTTP/2 connection to a gRPC server, shared by many streams. */
export class GrpcH2Session {
  private session: http2.ClientHttp2Session | null = null;
  private closed = false;

  constructor(readonly address: string) {}

  private connect(): http2.ClientHttp2Session {
    const s = this.session;
    if (s && !s.closed && !s.destroyed) return s;
    const session = http2.connect(`http://${this.address}`, {
      settings: { initialWindowSize: 16 * 1024 * 1024 },
    });
    // Before the handshake Deno's session has no handle yet: widen the connection window once connected.
    session.once("connect", () => {
      try {
        session.setLocalWindowSize(64 * 1024 * 1024);
      } catch { /* not supported: the default window still works */ }
      // acks are tiny: without TCP_NODELAY, Nagle + delayed ACK add up to tens of ms to a lone produce
      try {
        (session.socket as { setNoDelay?: (on: boolean) => void } | undefined)?.setNoDelay?.(true);
      } catch { /* not fatal */ }
    });
    const drop = () => {
      if (this.session === session) this.session = null;
    };
    session.on("error", drop);
    session.on("goaway", drop);
    session.on("close", drop);
    // keep the socket from holding the process open on its own
    session.unref?.();
    this.session = session;
    return session;
  }

  open(path: string, h: StreamHandlers): GrpcH2Stream {
    if (this.closed) throw new Error(`session to ${this.address} is closed`);
    const session = this.connect();
    let ended = false;
    const finish = (status: number, message: string) => {
      if (ended) return;
      ended = true;
      h.onEnd(status, message);
    };
    let req: http2.ClientHttp2Stream;
    try {
      req = session.request({
        ":method": "POST",
        ":path": path,
        ":scheme": "http",
        ":authority": this.address,
        "content-type": "application/grpc",
        "te": "trailers",
        "grpc-accept-encoding": "identity",
      });
    } catch (e) {
      queueMicrotask(() =>
        finish(GRPC_UNAVAILABLE, `open ${path} on ${this.address}: ${(e as Error).message}`)
      );
      return { write: () => true, drained: () => Promise.resolve(), end: () => {}, cancel: () => {} };
    }
    let pending: Buffer | null = null;
    let statusSeen = false;
    let cancelled = false;
    const onHeaders = (headers: http2.IncomingHttpHeaders) => {
      const st = headers["grpc-status"];
      if (st !== undefined) {
        statusSeen = true;
        finish(Number(st), decodeURIComponent(String(headers["grpc-message"] ?? "")));
      }
    };
    req.on("response", (headers) => {
      const status = Number(headers[":status"]);
      if (status !== 200) {
        finish(GRPC_UNAVAILABLE, `${path} on ${this.address}: HTTP status ${status}`);
        req.close(http2.constants.NGHTTP2_CANCEL);
        return;
      }
      onHeaders(headers); // trailers-only response
    });
    req.on("trailers", onHeaders);
    req.on("data", (chunk: Buffer) => {
      let buf = pending ? Buffer.concat([pending, chunk]) : chunk;
      let p = 0;
      while (buf.length - p >= FRAME_HEADER) {
        const len = buf.readUInt32BE(p + 1);
        if (len > MAX_MESSAGE) {
          finish(GRPC_INTERNAL, `${path} on ${this.address}: response message of ${len} bytes`);
          req.close(http2.constants.NGHTTP2_CANCEL);
          return;
        }
        if (buf.length - p - FRAME_HEADER < len) break;
        const start = p + FRAME_HEADER;
        p = start + len;
        if (ended) return;
        h.onMessage(buf.subarray(start, p));
      }
      pending = p < buf.length ? Buffer.from(buf.subarray(p)) : null;
      buf = chunk; // let the chunk go
    });
    req.on("error", (e: Error) => finish(GRPC_UNAVAILABLE, `${path} on ${this.address}: ${e.message}`));
    req.on("close", () => {
      if (!statusSeen) {
        // a reset we did not ask for (e.g. the server died: Deno reports CANCEL) means the server is unavailable
        finish(
          cancelled ? GRPC_CANCELLED : GRPC_UNAVAILABLE,
          `${path} on ${this.address}: stream closed without status (rst ${req.rstCode})`,
        );
      } else finish(GRPC_OK, "");
    });
    // Responses must flow even if nobody writes for a while.
    req.resume();
    return {
      write: (frames) => req.write(Buffer.from(frames.buffer, frames.byteOffset, frames.byteLength)),
      drained: () =>
        new Promise<void>((resolve) => {
          if (!req.writableNeedDrain || ended) return resolve();
          const done = () => {
            req.off("drain", done);
            req.off("close", done);
            resolve();
          };
          req.on("drain", done);
          req.on("close", done);
        }),
      end: () => {
        try {
          req.end();
        } catch { /* already closed */ }
      },
      cancel: () => {
        cancelled = true;
        try {
          req.close(http2.constants.NGHTTP2_CANCEL);
        } catch { /* already closed */ }
        finish(GRPC_CANCELLED, "cancelled");
      },
    };
  }

  close(): void {
    this.closed = true;
    const s = this.session;
    this.session = null;
    if (s) {
      try {
        s.close();
      } catch { /* already closed */ }
      const t = setTimeout(() => {
        try {
          s.destroy();
        } catch { /* gone */ }
      }, 1000);
      if (typeof t === "number") Deno.unrefTimer(t);
    }
  }
}
