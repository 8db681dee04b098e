// A loopback TCP forwarder that rides out a restart of what it forwards to: a connection accepted while the target
// refuses is held (the target is dialled again every 100 ms, up to `holdMs`) instead of refused, as a load balancer
// in front of a restarting broker would. burrow_test.ts puts one in front of the gateway it restarts: Burrow 1.2.1
// (Sarama) gives up on a single-broker cluster that refuses it for about a second and never recovers its consumer,
// while the gateway on SeaweedMQ takes about that long to listen again. The gateway advertises the forwarder's
// address, so every client connection goes through it.
//
// It also watches the Kafka frames it forwards (bytes pass unchanged): `onAnswered` sees each request once its
// response has been handed to the client, which tells a test what a client that logs nothing has finished.
import { freePort } from "./ports.ts";

/** A Kafka request seen by the forwarder: request header v1 (what non-flexible clients such as Sarama send). */
export interface ProxiedRequest {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  /** The request body after the header. */
  readonly body: DataView;
}

export interface TcpProxyOptions {
  /** How long a connection accepted while the target refuses is held before it is closed (default 30 s). */
  holdMs?: number;
  /** Called when the response to a request has been written to the client. */
  onAnswered?: (req: ProxiedRequest) => void;
}

export interface TcpProxy {
  readonly port: number;
  close(): void;
}

async function dial(port: number, holdMs: number): Promise<Deno.TcpConn | null> {
  const deadline = Date.now() + holdMs;
  for (;;) {
    try {
      return await Deno.connect({ hostname: "127.0.0.1", port });
    } catch {
      if (Date.now() > deadline) return null;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Splits a byte stream into size-prefixed Kafka frames (each returned without its 4-byte size). */
class FrameSplitter {
  private buf = new Uint8Array(0);
  push(chunk: Uint8Array): Uint8Array[] {
    const joined = new Uint8Array(this.buf.length + chunk.length);
    joined.set(this.buf);
    joined.set(chunk, this.buf.length);
    const frames: Uint8Array[] = [];
    let at = 0;
    while (joined.length - at >= 4) {
      const size = new DataView(joined.buffer, at).getInt32(0);
      if (size < 0 || joined.length - at - 4 < size) break;
      frames.push(joined.slice(at + 4, at + 4 + size));
      at += 4 + size;
    }
    this.buf = joined.slice(at);
    return frames;
  }
}

function parseRequest(frame: Uint8Array): ProxiedRequest | null {
  if (frame.length < 10) return null;
  const v = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const idLen = v.getInt16(8);
  if (idLen > 0 && 10 + idLen > frame.length) return null;
  const clientId = idLen < 0 ? null : new TextDecoder().decode(frame.subarray(10, 10 + idLen));
  const bodyAt = 10 + Math.max(idLen, 0);
  return {
    apiKey: v.getInt16(0),
    apiVersion: v.getInt16(2),
    correlationId: v.getInt32(4),
    clientId,
    body: new DataView(frame.buffer, frame.byteOffset + bodyAt, frame.byteLength - bodyAt),
  };
}

/**
 * Copies `from` to `to`, handing each complete frame to `onFrame` before (requests: known before any answer can come
 * back) or after (responses: delivered) the bytes that end it are written.
 */
async function pipe(
  from: Deno.TcpConn,
  to: Deno.TcpConn,
  onFrame?: (frame: Uint8Array) => void,
  when: "before" | "after" = "after",
): Promise<void> {
  const frames = onFrame ? new FrameSplitter() : null;
  const reader = from.readable.getReader();
  const writer = to.writable.getWriter();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      const complete = frames ? frames.push(value) : [];
      if (when === "before") { for (const f of complete) onFrame!(f); }
      await writer.write(value);
      if (when === "after") { for (const f of complete) onFrame!(f); }
    }
  } catch { /* either side closed */ }
  for (const c of [from, to]) {
    try {
      c.close();
    } catch { /* closed */ }
  }
}

/** Forwards 127.0.0.1:<port> (a free port) to 127.0.0.1:`target`. */
export function startTcpProxy(target: number, opts: TcpProxyOptions = {}): TcpProxy {
  const holdMs = opts.holdMs ?? 30_000;
  const port = freePort();
  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  const open = new Set<Deno.TcpConn>();
  (async () => {
    for await (const client of listener) {
      open.add(client);
      (async () => {
        const upstream = await dial(target, holdMs);
        if (upstream === null) {
          open.delete(client);
          try {
            client.close();
          } catch { /* closed */ }
          return;
        }
        open.add(upstream);
        // requests waiting for their answer on this connection, by correlation id
        const waiting = new Map<number, ProxiedRequest>();
        const onAnswered = opts.onAnswered;
        await Promise.all([
          pipe(
            client,
            upstream,
            onAnswered && ((f) => {
              const req = parseRequest(f);
              if (req) waiting.set(req.correlationId, req);
            }),
            "before",
          ),
          pipe(
            upstream,
            client,
            onAnswered && ((f) => {
              if (f.length < 4) return;
              const id = new DataView(f.buffer, f.byteOffset).getInt32(0);
              const req = waiting.get(id);
              if (req === undefined) return;
              waiting.delete(id);
              onAnswered(req);
            }),
          ),
        ]);
        open.delete(client);
        open.delete(upstream);
      })();
    }
  })().catch(() => {});
  return {
    port,
    close: () => {
      try {
        listener.close();
      } catch { /* closed */ }
      for (const c of open) {
        try {
          c.close();
        } catch { /* closed */ }
      }
    },
  };
}
