// One client connection: frames in, responses out strictly in request order. The flow of a request:
//   socket -> FrameReader (frame_reader.ts: size prefix, max size, request memory budget, one buffer per frame)
//   -> RequestPipeline.handle (pipeline/): header -> authenticate -> authorize -> handler -> quota -> encode
//   -> send(): queued behind earlier responses, written in the background
//   -> muted for the throttle time the quota step returned (KIP-219), then the next frame is read.
// Requests of a connection are processed one after another, as a Kafka broker does (it mutes a channel
// while a request is in flight); responses are written in the background while the next request runs, up to
// --max-queued-response-bytes: past that the connection stops reading requests until its client has read them.
// The next frame is read while a request is handled (handled only after it): a client that goes away during a
// long wait (a JoinGroup held for a rebalance, a long-poll Fetch, a throttle) is seen at once and its connection
// closed, instead of being counted open until the wait ends; the abandoned request's answer is dropped.
// Large request frames are charged to the gateway-wide request memory budget (request_memory.ts).
import type { Writer } from "../protocol/codec.ts";
import type { Broker, Listener } from "../request/context.ts";
import { FrameReader, FrameTooLargeError, InvalidFrameSizeError } from "./frame_reader.ts";
import type { Logger } from "../log.ts";
import type { ConnectionMemory, RequestMemory } from "./request_memory.ts";
import type { ProtocolErrorLog } from "./protocol_errors.ts";
import { CLOSE, type RequestChannel, type RequestPipeline } from "./pipeline/pipeline.ts";
import type { ConnectionAuth, TlsSession } from "../request/authenticate.ts";

/** What the request loop gets instead of a handler's answer when the peer left first. */
const GONE = -2;

/** Writes of at most this many bytes are coalesced into one buffer (one syscall). */
const COALESCE_BYTES = 256 * 1024;
/** A response chunk at least this large is written from where it is, not copied into a run of small ones. */
const SMALL_CHUNK = 64 * 1024;

/**
 * The byte stream under a connection: a Deno.TcpConn, or a TLS socket (src/security/tls/socket.ts) that also
 * carries its TLS session.
 */
export interface KafkaSocket {
  read(buf: Uint8Array): Promise<number | null>;
  write(buf: Uint8Array): Promise<number>;
  close(): void;
  readonly remoteAddr: { readonly hostname: string; readonly port: number };
  setNoDelay?(noDelay?: boolean): void;
  readonly tls?: TlsSession | null;
}

/** What every connection of a listener shares. */
export interface ConnectionShared {
  readonly memory: RequestMemory;
  readonly protocolErrors: ProtocolErrorLog;
  readonly pipeline: RequestPipeline;
}

export class Connection implements RequestChannel {
  private closing = false;
  /** stop() was called: the reader was cancelled on purpose, the request in flight still gets its answer. */
  private stopping = false;
  /** Aborted when the connection starts closing: ends a mute early. */
  private readonly closed = new AbortController();
  /** RequestChannel.closeSignal: the signal of `closed`. */
  get closeSignal(): AbortSignal {
    return this.closed.signal;
  }
  private writeChain: Promise<void> = Promise.resolve();
  /** Response bytes queued and not yet written to the socket. */
  private queuedBytes = 0;
  private reader: FrameReader | null = null;
  private readonly memory: ConnectionMemory;
  /** Bumped on every socket read, request and finished write; the listener's idle sweep watches it. */
  activity = 0;
  /** A request is being handled (a long poll is not idleness). */
  busy = false;
  /** The API key of the request being handled (admin API; it came in at lastRequestAt); -1 when none. */
  inFlightApi = -1;
  readonly log: Logger;
  /** `log` with the client id of the latest request added (request logs carry conn, remote and clientId). */
  private reqLog: Logger;
  /** Client address as Kafka reports it ("/127.0.0.1"). */
  readonly clientHost: string;
  /** This connection's authentication state: its principal, SASL exchange if any. */
  readonly auth: ConnectionAuth;
  /** Resolves when the connection is fully closed. */
  readonly done: Promise<void>;
  /** Peer address "host:port" (admin API). */
  readonly remote: string;
  readonly openedAt = Date.now();
  /** The TLS session (SSL and SASL_SSL listeners), null on a plain socket. */
  readonly tls: TlsSession | null;
  /** Client id of the latest request (admin API, log context). */
  clientId: string | null = null;
  /** ApiVersions v3+ client software "name/version", when the client sent it. */
  clientSoftware: string | null = null;
  requests = 0;
  lastRequestAt = 0;

  constructor(
    readonly id: number,
    private readonly conn: KafkaSocket,
    private readonly broker: Broker,
    private readonly shared: ConnectionShared,
    /** The listener this connection came through. */
    readonly listener: Listener,
  ) {
    this.memory = shared.memory.account();
    const addr = conn.remoteAddr;
    this.remote = `${addr.hostname}:${addr.port}`;
    this.log = broker.log.with({ conn: id, remote: this.remote });
    this.reqLog = this.log;
    this.clientHost = `/${addr.hostname}`;
    this.tls = conn.tls ?? null;
    this.auth = shared.pipeline.authenticator.open(this);
    try {
      conn.setNoDelay?.(true);
    } catch { /* not fatal */ }
    this.done = this.run();
  }

  /** Stop reading new requests; the current one finishes and its response is flushed. */
  stop(): void {
    this.stopping = true;
    this.closing = true;
    this.closed.abort();
    this.reader?.cancel();
  }

  /** Response bytes queued and not yet written. */
  get pendingResponseBytes(): number {
    return this.queuedBytes;
  }

  /**
   * Closes a connection that showed no activity for `idleMs` (connections.max.idle.ms): an idle client, one that
   * stopped half-way through a request, or one that does not read its responses. Pending reads and writes fail,
   * and what the connection held is released.
   */
  closeIdle(idleMs: number): void {
    if (this.closing) return;
    this.closing = true;
    this.closed.abort();
    if (this.broker.metrics) this.broker.metrics.connectionsIdleClosed++;
    this.log.info(
      "closing connection idle for {ms} ms (connections-max-idle-ms), {bytes} response bytes unread",
      {
        ms: idleMs,
        bytes: this.queuedBytes,
      },
    );
    try {
      this.conn.close();
    } catch { /* already closed */ }
  }

  private async run(): Promise<void> {
    try {
      const maxQueued = this.broker.config.maxQueuedResponseBytes;
      const pipeline = this.shared.pipeline;
      this.reader = new FrameReader(
        this.conn,
        this.broker.config.maxFrameBytes,
        this.memory,
        () => this.activity++,
      );
      const reader = this.reader;
      let next = reader.next();
      while (!this.closing) {
        const value = await next;
        if (value === null) break;
        this.activity++;
        this.busy = true;
        next = reader.next(); // read ahead: see the peer leave while this request waits
        // true once the peer has closed or the socket failed; a frame read ahead, a malformed one (answered after
        // this request, as Kafka reads it only then) or stop() leaves it false
        const peerGone = next.then(
          (f) => f === null && !this.stopping,
          (e) => !this.stopping && !(e instanceof FrameTooLargeError || e instanceof InvalidFrameSizeError),
        );
        const handled = pipeline.handle(value, this).finally(() => {
          this.busy = false;
          this.inFlightApi = -1;
          this.memory.releaseFrame(value.length);
        });
        const muteMs = await Promise.race([handled, peerGone.then((gone) => gone ? GONE : handled)]);
        if (muteMs === GONE) {
          this.closing = true; // the abandoned answer's write fails quietly
          this.closed.abort(); // and its handler may stop early (a long poll, a share fetch)
          handled.catch((e) => this.log.debug("abandoned request failed: {reason}", { reason: String(e) }));
          break;
        }
        if (muteMs === CLOSE) break;
        if (muteMs > 0) {
          // Throttled (KIP-219): the response is on its way; the next request waits. Not idleness: busy.
          this.busy = true;
          try {
            const muted = pipeline.mute(muteMs, this.closed.signal).then(() => false);
            if (await Promise.race([muted, peerGone.then((gone) => gone || muted)])) break;
          } finally {
            this.busy = false;
          }
        }
        // Mute the connection while its client leaves responses unread (Kafka mutes a channel whose response is in
        // flight): memory per connection stays bounded by this cap plus one response.
        if (this.queuedBytes > maxQueued) await this.writeChain;
      }
    } catch (e) {
      if (!this.closing) this.logClose(e);
    } finally {
      this.closed.abort();
      this.memory.close();
      try {
        await this.writeChain;
      } catch { /* already logged */ }
      try {
        this.conn.close();
      } catch { /* already closed */ }
      if (this.broker.metrics) this.broker.metrics.connectionsClosed++;
    }
  }

  private logClose(e: unknown): void {
    const err = e as Error;
    if (err?.name === "FrameTooLargeError" || err?.name === "InvalidFrameSizeError") {
      this.protocolError("bad_frame_size", "closing connection: {reason}", { reason: err.message });
    } else if (
      // BadResource: the peer closed and Deno released the socket while a response was pending.
      err instanceof Deno.errors.ConnectionReset || err instanceof Deno.errors.BrokenPipe ||
      err instanceof Deno.errors.BadResource ||
      err instanceof Deno.errors.Interrupted || err?.name === "AbortError"
    ) {
      this.log.debug("connection ended: {reason}", { reason: String(err?.message ?? err) });
    } else {
      this.log.warn("closing connection after error: {reason}", { reason: String(err?.stack ?? err) });
    }
  }

  /** Counts a request (admin API) and returns its logger, which carries the client id. */
  noteRequest(clientId: string | null, apiKey: number): Logger {
    this.requests++;
    this.lastRequestAt = Date.now();
    this.inFlightApi = apiKey;
    if (clientId !== this.clientId) {
      this.clientId = clientId;
      this.reqLog = this.log.with({ clientId });
    }
    return this.reqLog;
  }

  /** Counts a client protocol error and logs it, rate-limited per kind (protocol_errors.ts). */
  protocolError(kind: string, message: string, props: Record<string, unknown>): void {
    this.broker.metrics?.protocolError(kind);
    this.shared.protocolErrors.warn(this.log, kind, message, props);
  }

  /** Queues a response (size prefix + chunks) behind earlier ones. */
  send(w: Writer): void {
    const chunks = w.chunks();
    let size = 0;
    for (const c of chunks) size += c.length;
    this.broker.metrics?.sent(size);
    const prefix = new Uint8Array(4);
    new DataView(prefix.buffer).setInt32(0, size);
    // A response up to COALESCE_BYTES goes out as one buffer whatever its pieces.
    const parts = gather(prefix, chunks, size + 4 <= COALESCE_BYTES ? Infinity : SMALL_CHUNK);
    const queued = size + 4;
    this.queuedBytes += queued;
    this.writeChain = this.writeChain.then(async () => {
      try {
        for (const p of parts) await writeAll(this.conn, p);
      } finally {
        this.queuedBytes -= queued;
        this.activity++;
      }
    });
    this.writeChain.catch((e) => {
      if (!this.closing) this.logClose(e);
      this.closing = true;
      this.closed.abort();
      this.reader?.cancel();
    });
  }
}

/**
 * The writes of a response: chunks of at least `large` bytes (stored batches) as they are, runs of smaller ones
 * (field bytes between them, small batches) copied together up to COALESCE_BYTES, so a response of many small
 * batches is not one write each.
 */
export function gather(prefix: Uint8Array, chunks: readonly Uint8Array[], large = SMALL_CHUNK): Uint8Array[] {
  const out: Uint8Array[] = [];
  let run: Uint8Array[] = [prefix];
  let runBytes = prefix.length;
  const flush = () => {
    if (run.length === 1) out.push(run[0]);
    else if (run.length > 1) {
      const buf = new Uint8Array(runBytes);
      let o = 0;
      for (const c of run) {
        buf.set(c, o);
        o += c.length;
      }
      out.push(buf);
    }
    run = [];
    runBytes = 0;
  };
  for (const c of chunks) {
    if (c.length >= large) {
      flush();
      out.push(c);
      continue;
    }
    if (runBytes + c.length > COALESCE_BYTES) flush();
    run.push(c);
    runBytes += c.length;
  }
  flush();
  return out;
}

async function writeAll(conn: KafkaSocket, buf: Uint8Array): Promise<void> {
  let off = 0;
  while (off < buf.length) off += await conn.write(off === 0 ? buf : buf.subarray(off));
}
