// One Kafka connection from this gateway to another gateway of the cluster (src/cluster/peers.ts keeps one per
// peer): size-prefixed frames encoded with the gateway's own codec, correlation ids, any number of requests in
// flight (responses are matched by correlation id), a deadline per request, ApiVersions once when it opens (and
// SASL when the listener asks for it). Any failure closes the connection and fails everything in flight: the
// caller retries on a new one, as Kafka's NetworkClient does after a disconnect or a request timeout.
import { Reader, Writer } from "../protocol/codec.ts";
import { writeRequestHeader } from "../protocol/header.ts";
import { type ApiSpec, compile, type RequestOf, type ResponseOf } from "../protocol/schema.ts";
import { ApiVersionsSpec } from "../protocol/messages/api_versions.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";

/** The byte stream under a connection: a Deno.TcpConn or a node:tls socket (NodeTlsConn). */
export interface PeerTransport {
  read(buf: Uint8Array): Promise<number | null>;
  write(buf: Uint8Array): Promise<number>;
  close(): void;
}

/** Versions an API is served in by the peer. */
export interface VersionRange {
  readonly min: number;
  readonly max: number;
}

/** Largest frame accepted from a peer (a WriteTxnMarkers or AddPartitionsToTxn answer is small). */
const MAX_FRAME = 100 * 1024 * 1024;

interface InFlight {
  readonly resolve: (frame: Uint8Array) => void;
  readonly reject: (e: Error) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

/** Why a connection failed: retriable for the caller (a new connection is opened on the next request). */
export function networkError(what: string): KafkaError {
  return new KafkaError(ErrorCode.NETWORK_EXCEPTION, what);
}

export class PeerConnection {
  private correlation = 0;
  private readonly inFlight = new Map<number, InFlight>();
  private failure: Error | null = null;
  private versions = new Map<number, VersionRange>();
  /** Writes are serialized so that frames never interleave on the socket. */
  private writing: Promise<unknown> = Promise.resolve();
  private readonly reading: Promise<void>;

  constructor(
    private readonly transport: PeerTransport,
    /** For messages: "gateway 2 at host:port". */
    readonly label: string,
    private readonly clientId: string,
    private requestTimeoutMs: number,
  ) {
    this.reading = this.readLoop();
  }

  /** False once the connection failed or was closed: the peer client opens a new one. */
  get usable(): boolean {
    return this.failure === null;
  }

  /** The deadline of requests sent from now on. */
  setRequestTimeout(ms: number): void {
    this.requestTimeoutMs = ms;
  }

  /** Requests waiting for their response (tests, metrics). */
  get pending(): number {
    return this.inFlight.size;
  }

  /** ApiVersions (v3, else v0 for a peer that refuses it): the versions every later request is checked against. */
  async negotiate(): Promise<void> {
    let res = await this.request(ApiVersionsSpec, 3, {
      clientSoftwareName: "kafka-gateway",
      clientSoftwareVersion: "1",
    });
    if (res.errorCode === ErrorCode.UNSUPPORTED_VERSION) res = await this.request(ApiVersionsSpec, 0, {});
    if (res.errorCode !== ErrorCode.NONE) {
      throw new KafkaError(res.errorCode, `ApiVersions to ${this.label} answered error ${res.errorCode}`);
    }
    this.versions = new Map(res.apiKeys.map((k) => [k.apiKey, { min: k.minVersion, max: k.maxVersion }]));
  }

  /** The versions the peer serves `apiKey` in (after negotiate), or undefined when it does not serve it. */
  supported(apiKey: number): VersionRange | undefined {
    return this.versions.get(apiKey);
  }

  /** One request and its decoded response, without a version check (ApiVersions and SASL use it before). */
  async request<S extends ApiSpec>(spec: S, version: number, body: RequestOf<S>): Promise<ResponseOf<S>> {
    const frame = await this.exchange(spec, version, body);
    const r = new Reader(frame, 4);
    // Response header v1 (tagged fields) for flexible versions, except ApiVersions, which always answers with v0.
    if (version >= spec.flexibleFrom && spec.key !== ApiVersionsSpec.key) {
      for (let n = r.uvarint(); n > 0; n--) {
        r.uvarint();
        r.skip(r.uvarint());
      }
    }
    return compile(spec).decodeResponse(r, version);
  }

  private exchange(spec: ApiSpec, version: number, body: unknown): Promise<Uint8Array> {
    if (this.failure !== null) return Promise.reject(this.failure);
    const correlationId = this.correlation = (this.correlation + 1) & 0x7fffffff;
    const w = new Writer();
    w.int32(0); // size, patched below
    writeRequestHeader(
      w,
      { apiKey: spec.key, apiVersion: version, correlationId, clientId: this.clientId },
      version >= spec.flexibleFrom,
    );
    (compile(spec).encodeRequest as (w: Writer, v: number, b: unknown) => void)(w, version, body);
    const frame = w.finish();
    new DataView(frame.buffer, frame.byteOffset).setInt32(0, frame.length - 4);
    const answer = new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => {
        // A peer that does not answer in time may have lost the request or be stuck: as Kafka's client does, the
        // connection is dropped (every request on it fails) and the next request opens a new one.
        this.fail(
          new KafkaError(
            ErrorCode.REQUEST_TIMED_OUT,
            `${spec.name} to ${this.label} got no answer within ${this.requestTimeoutMs} ms`,
          ),
        );
      }, this.requestTimeoutMs);
      this.inFlight.set(correlationId, { resolve, reject, timer });
    });
    this.writing = this.writing.then(async () => {
      if (this.failure !== null) return;
      try {
        for (let o = 0; o < frame.length;) o += await this.transport.write(frame.subarray(o));
      } catch (e) {
        this.fail(networkError(`writing to ${this.label}: ${(e as Error).message}`));
      }
    });
    return answer;
  }

  private async readLoop(): Promise<void> {
    let buf = new Uint8Array(0);
    const chunk = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        while (buf.length >= 4) {
          const size = new DataView(buf.buffer, buf.byteOffset).getInt32(0);
          if (size < 4 || size > MAX_FRAME) throw new Error(`bad frame size ${size}`);
          if (buf.length < 4 + size) break;
          const frame = buf.slice(4, 4 + size);
          buf = buf.subarray(4 + size);
          this.deliver(frame);
        }
        const n = await this.transport.read(chunk);
        if (n === null) throw new Error("closed by the peer");
        const next = new Uint8Array(buf.length + n);
        next.set(buf);
        next.set(chunk.subarray(0, n), buf.length);
        buf = next;
      }
    } catch (e) {
      this.fail(networkError(`connection to ${this.label}: ${(e as Error).message}`));
    }
  }

  /** Hands a response frame (correlation id first) to its request; an unknown id (timed out) is dropped. */
  private deliver(frame: Uint8Array): void {
    const id = new DataView(frame.buffer, frame.byteOffset).getInt32(0);
    const f = this.inFlight.get(id);
    if (f === undefined) return;
    this.inFlight.delete(id);
    clearTimeout(f.timer);
    // The reader starts after the correlation id (PeerConnection.request reads from offset 4).
    f.resolve(frame);
  }

  private fail(e: Error): void {
    if (this.failure === null) this.failure = e;
    for (const [id, f] of this.inFlight) {
      this.inFlight.delete(id);
      clearTimeout(f.timer);
      f.reject(e);
    }
    try {
      this.transport.close();
    } catch { /* already closed */ }
  }

  /** Closes the connection; requests in flight fail with NETWORK_EXCEPTION. */
  async close(): Promise<void> {
    this.fail(networkError(`connection to ${this.label} closed`));
    await this.reading;
  }
}
