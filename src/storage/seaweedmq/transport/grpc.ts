// gRPC transport through npm:@grpc/grpc-js: one channel (HTTP/2 connection) per SeaweedFS server address.
// Messages are encoded and decoded by messages.ts, so grpc-js only frames bytes: its serializers are identity
// functions and no .proto file is read at run time.
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";

export { grpc };

export const Status = grpc.status;

const toBuffer = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
const fromBuffer = (b: Buffer): Uint8Array => b;

const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  "grpc.max_receive_message_length": 256 * 1024 * 1024,
  "grpc.max_send_message_length": 256 * 1024 * 1024,
  // SeaweedFS servers accept client pings every 20 s or slower (weed/pb/grpc_client_server.go).
  "grpc.keepalive_time_ms": 30_000,
  "grpc.keepalive_timeout_ms": 10_000,
  "grpc.keepalive_permit_without_calls": 1,
  "grpc.initial_reconnect_backoff_ms": 200,
  "grpc.max_reconnect_backoff_ms": 2_000,
  "grpc-node.max_session_memory": 256,
};

/** An error from a gRPC call, with its status code (grpc.status). */
export class RpcError extends Error {
  override name = "RpcError";
  constructor(readonly code: number, message: string, readonly address: string) {
    super(message);
  }
}

export function rpcCode(e: unknown): number {
  return e instanceof RpcError ? e.code : (e as { code?: number })?.code ?? grpc.status.UNKNOWN;
}

/** Codes after which the server may be gone or restarting: re-resolve and retry. */
export function isTransient(e: unknown): boolean {
  const c = rpcCode(e);
  return c === grpc.status.UNAVAILABLE || c === grpc.status.DEADLINE_EXCEEDED ||
    c === grpc.status.CANCELLED ||
    c === grpc.status.RESOURCE_EXHAUSTED || c === grpc.status.ABORTED || c === grpc.status.INTERNAL ||
    c === grpc.status.UNKNOWN;
}

function wrap(e: unknown, method: string, address: string): RpcError {
  const err = e as grpc.ServiceError;
  const code = typeof err?.code === "number" ? err.code : grpc.status.UNKNOWN;
  const detail = err?.details || err?.message || String(e);
  return new RpcError(code, `${method} on ${address}: ${detail}`, address);
}

export class RpcChannel {
  readonly client: grpc.Client;
  private closed = false;

  constructor(readonly address: string) {
    this.client = new grpc.Client(address, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
  }

  unary(method: string, req: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new RpcError(grpc.status.CANCELLED, "channel closed", this.address));
      this.client.makeUnaryRequest(
        method,
        toBuffer,
        fromBuffer,
        req,
        new grpc.Metadata(),
        { deadline: Date.now() + timeoutMs },
        (err, res) => {
          if (err) reject(wrap(err, method, this.address));
          else resolve(res ?? new Uint8Array(0));
        },
      );
    });
  }

  /** A server-streaming call, collected into an array. */
  serverStream(method: string, req: Uint8Array, timeoutMs: number): Promise<Uint8Array[]> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new RpcError(grpc.status.CANCELLED, "channel closed", this.address));
      const out: Uint8Array[] = [];
      const call = this.client.makeServerStreamRequest(
        method,
        toBuffer,
        fromBuffer,
        req,
        new grpc.Metadata(),
        { deadline: Date.now() + timeoutMs },
      );
      call.on("data", (b: Uint8Array) => out.push(b));
      call.on("error", (e) => reject(wrap(e, method, this.address)));
      call.on("end", () => resolve(out));
    });
  }

  bidi(method: string): grpc.ClientDuplexStream<Uint8Array, Uint8Array> {
    return this.client.makeBidiStreamRequest(method, toBuffer, fromBuffer, new grpc.Metadata(), {});
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.close();
  }
}

/** Wraps a stream error with its method and server. */
export function streamError(e: unknown, method: string, address: string): RpcError {
  return wrap(e, method, address);
}
