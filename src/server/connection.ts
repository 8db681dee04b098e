// One client connection: frames in, typed requests to handlers, responses out strictly in request order.
// Requests of a connection are processed one after another, as a Kafka broker does (it mutes a channel
// while a request is in flight); responses are written in the background while the next request runs, up to
// --max-queued-response-bytes: past that the connection stops reading requests until its client has read them.
// Large request frames are charged to the gateway-wide request memory budget (request_memory.ts).
import { DecodeError, Reader, Writer } from "../protocol/codec.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { ApiKey } from "../protocol/api_keys.ts";
import { peekHeader, readHeaderRest, writeResponseHeader } from "../protocol/header.ts";
import type { ApiRegistry } from "../handlers/registry.ts";
import type { Broker, RequestContext } from "../handlers/context.ts";
import { frameStream } from "./frames.ts";
import { socketReadable } from "./socket_stream.ts";
import type { Logger } from "../log.ts";
import type { ConnectionMemory, RequestMemory } from "./request_memory.ts";
import type { ProtocolErrorLog } from "./protocol_errors.ts";

/** Writes of at most this many bytes are coalesced into one buffer (one syscall). */
const COALESCE_BYTES = 256 * 1024;

/** What every connection of a listener shares. */
export interface ConnectionShared {
  readonly memory: RequestMemory;
  readonly protocolErrors: ProtocolErrorLog;
}

export class Connection {
  private closing = false;
  private writeChain: Promise<void> = Promise.resolve();
  /** Response bytes queued and not yet written to the socket. */
  private queuedBytes = 0;
  private reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  private readonly memory: ConnectionMemory;
  /** Bumped on every socket read, request and finished write; the listener's idle sweep watches it. */
  activity = 0;
  /** A request is being handled (a long poll is not idleness). */
  busy = false;
  readonly log: Logger;
  /** `log` with the client id of the latest request added (request logs carry conn, remote and clientId). */
  private reqLog: Logger;
  private readonly clientHost: string;
  /** Resolves when the connection is fully closed. */
  readonly done: Promise<void>;
  /** Peer address "host:port" (admin API). */
  readonly remote: string;
  readonly openedAt = Date.now();
  /** Client id of the latest request (admin API, log context). */
  clientId: string | null = null;
  /** ApiVersions v3+ client software "name/version", when the client sent it. */
  clientSoftware: string | null = null;
  requests = 0;
  lastRequestAt = 0;

  constructor(
    readonly id: number,
    private readonly conn: Deno.TcpConn,
    private readonly broker: Broker,
    private readonly apis: ApiRegistry,
    private readonly shared: ConnectionShared,
  ) {
    this.memory = shared.memory.account();
    const addr = conn.remoteAddr;
    this.remote = `${addr.hostname}:${addr.port}`;
    this.log = broker.log.with({ conn: id, remote: this.remote });
    this.reqLog = this.log;
    this.clientHost = `/${addr.hostname}`;
    try {
      conn.setNoDelay(true);
    } catch { /* not fatal */ }
    this.done = this.run();
  }

  /** Stop reading new requests; the current one finishes and its response is flushed. */
  stop(): void {
    this.closing = true;
    this.reader?.cancel().catch(() => {});
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
      this.reader = socketReadable(this.conn, () => this.activity++)
        .pipeThrough(frameStream(this.broker.config.maxFrameBytes, this.memory))
        .getReader();
      while (!this.closing) {
        const { value, done } = await this.reader.read();
        if (done || value === undefined) break;
        this.activity++;
        this.busy = true;
        let keepOpen: boolean;
        try {
          keepOpen = await this.handleFrame(value);
        } finally {
          this.busy = false;
          this.memory.releaseFrame(value.length);
        }
        if (!keepOpen) break;
        // Mute the connection while its client leaves responses unread (Kafka mutes a channel whose response is in
        // flight): memory per connection stays bounded by this cap plus one response.
        if (this.queuedBytes > maxQueued) await this.writeChain;
      }
    } catch (e) {
      if (!this.closing) this.logClose(e);
    } finally {
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

  /** Returns false when the connection must be closed. */
  private async handleFrame(frame: Uint8Array): Promise<boolean> {
    const r = new Reader(frame);
    let apiKey = -1, apiVersion = -1, correlationId = -1;
    try {
      ({ apiKey, apiVersion, correlationId } = peekHeader(r));
    } catch {
      this.protocolError("malformed", "closing connection: request of {n} bytes is too short for a header", {
        n: frame.length,
      });
      return false;
    }
    const entry = this.apis.get(apiKey);
    if (!entry) {
      this.protocolError(
        "unknown_api",
        "closing connection: unknown API key {apiKey} (version {apiVersion})",
        {
          apiKey,
          apiVersion,
        },
      );
      return false;
    }
    const { spec } = entry;
    if (apiVersion < spec.minVersion || apiVersion > spec.maxVersion) {
      if (apiKey === ApiKey.ApiVersions) {
        // KIP-511: answer a too-new ApiVersions with UNSUPPORTED_VERSION and our key list in a v0 body.
        const w = new Writer(512);
        writeResponseHeader(w, apiKey, correlationId, false);
        entry.codec.encodeResponse(w, 0, {
          errorCode: ErrorCode.UNSUPPORTED_VERSION,
          apiKeys: this.apis.versions(),
          throttleTimeMs: 0,
        });
        this.send(w);
        this.broker.metrics?.error(apiKey, ErrorCode.UNSUPPORTED_VERSION);
        return true;
      }
      this.protocolError(
        "unsupported_version",
        "closing connection: {api} version {apiVersion} is not supported (supported {min}-{max})",
        {
          api: spec.name,
          apiVersion,
          min: spec.minVersion,
          max: spec.maxVersion,
        },
      );
      return false;
    }
    const flexible = apiVersion >= spec.flexibleFrom;
    let clientId: string | null;
    let body: unknown;
    try {
      clientId = readHeaderRest(r, flexible);
      body = entry.codec.decodeRequest(r, apiVersion);
    } catch (e) {
      const reason = e instanceof DecodeError ? e.message : String(e);
      this.protocolError("malformed", "closing connection: malformed {api} v{apiVersion} request: {reason}", {
        api: spec.name,
        apiVersion,
        reason,
      });
      return false;
    }
    this.requests++;
    this.lastRequestAt = Date.now();
    if (clientId !== this.clientId) {
      this.clientId = clientId;
      this.reqLog = this.log.with({ clientId });
    }
    if (apiKey === ApiKey.ApiVersions && apiVersion >= 3) {
      const b = body as { clientSoftwareName?: string; clientSoftwareVersion?: string };
      if (b.clientSoftwareName) {
        this.clientSoftware = `${b.clientSoftwareName}/${b.clientSoftwareVersion ?? ""}`;
      }
    }
    const ctx: RequestContext = {
      broker: this.broker,
      header: { apiKey, apiVersion, correlationId, clientId },
      connectionId: this.id,
      clientHost: this.clientHost,
      log: this.reqLog,
    };
    const metrics = this.broker.metrics ?? null;
    const t0 = metrics !== null ? performance.now() : 0;
    let res: unknown;
    try {
      res = await entry.handle(ctx, body);
    } catch (e) {
      metrics?.protocolError("handler_failed");
      this.reqLog.error("closing connection: {api} v{apiVersion} handler failed: {reason}", {
        api: spec.name,
        apiVersion,
        reason: String((e as Error)?.stack ?? e),
      });
      return false;
    }
    if (metrics !== null) {
      metrics.request(apiKey, apiVersion, performance.now() - t0, frame.length);
      // Produce and Fetch count their partition errors in their handlers.
      if (res !== null && apiKey > 1) metrics.countResponseErrors(apiKey, res);
    }
    if (res === null) return true; // acks=0 Produce: no response at all
    const w = new Writer(1024);
    writeResponseHeader(w, apiKey, correlationId, flexible);
    entry.codec.encodeResponse(w, apiVersion, res);
    this.send(w);
    return true;
  }

  /** Counts a client protocol error and logs it, rate-limited per kind (protocol_errors.ts). */
  private protocolError(kind: string, message: string, props: Record<string, unknown>): void {
    this.broker.metrics?.protocolError(kind);
    this.shared.protocolErrors.warn(this.log, kind, message, props);
  }

  /** Queues a response (size prefix + chunks) behind earlier ones. */
  private send(w: Writer): void {
    const chunks = w.chunks();
    let size = 0;
    for (const c of chunks) size += c.length;
    this.broker.metrics?.sent(size);
    let parts: Uint8Array[];
    if (size + 4 <= COALESCE_BYTES) {
      const buf = new Uint8Array(4 + size);
      new DataView(buf.buffer).setInt32(0, size);
      let o = 4;
      for (const c of chunks) {
        buf.set(c, o);
        o += c.length;
      }
      parts = [buf];
    } else {
      const prefix = new Uint8Array(4);
      new DataView(prefix.buffer).setInt32(0, size);
      parts = [prefix, ...chunks];
    }
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
      this.reader?.cancel().catch(() => {});
    });
  }
}

async function writeAll(conn: Deno.Conn, buf: Uint8Array): Promise<void> {
  let off = 0;
  while (off < buf.length) off += await conn.write(off === 0 ? buf : buf.subarray(off));
}
