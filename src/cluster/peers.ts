// The gateways' client to each other: a transaction coordinator sends WriteTxnMarkers to the leaders of its
// transaction's partitions and a partition leader asks a transaction's coordinator to verify a partition
// (AddPartitionsToTxn v4, KIP-890), as Kafka's brokers do. Per peer node id one connection, opened on the first
// request (to the address ClusterView.broker(nodeId) advertises now) and reused by every later one with requests
// pipelined on it; a failed or timed-out connection is dropped and the next request opens a new one.
//
// Which listener: gateways of one cluster share listener names (--advertised-listener), so the listener is chosen
// by this gateway's own listener table: a PLAINTEXT one first, then SSL (verifying the peer with --tls-ca and
// presenting --tls-cert as a client certificate for --tls-client-auth), then SASL_PLAINTEXT / SASL_SSL when
// credentials for the peers are configured.
import tls from "node:tls";
import type { ClusterView, Endpoint } from "./view.ts";
import type { ListenerAddress, ListenerProtocol } from "../listeners.ts";
import { type ApiSpec, type RequestOf, type ResponseOf } from "../protocol/schema.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { NodeTlsConn } from "../security/tls/socket.ts";
import { networkError, PeerConnection, type PeerTransport } from "./peer_connection.ts";
import { authenticatePeer, type PeerSaslCredentials } from "./peer_sasl.ts";

/** TLS material for SSL / SASL_SSL peers (PEM text). */
export interface PeerTls {
  /** CA that verifies the peers' certificates (--tls-ca); "" = the system's roots. */
  readonly ca: string;
  /** This gateway's certificate and key (--tls-cert, --tls-key), shown when a peer asks for a client certificate. */
  readonly cert: string;
  readonly key: string;
}

export interface PeerClientOptions {
  readonly cluster: Pick<ClusterView, "nodeId" | "broker">;
  /** This gateway's listeners (--listen): their names and security protocols choose the peers' listener. */
  readonly listeners: readonly Pick<ListenerAddress, "name" | "securityProtocol">[];
  /** The listener to use (Kafka's inter.broker.listener.name); null: the first usable by PROTOCOL_ORDER. */
  readonly listenerName?: string | null;
  /** Needed to use an SSL or SASL_SSL listener. Read when a connection opens (a reloaded certificate applies). */
  readonly tls?: () => PeerTls | null;
  /** Needed to use a SASL listener. */
  readonly sasl?: PeerSaslCredentials | null;
  /** A request without an answer by then fails with REQUEST_TIMED_OUT (and its connection is dropped). */
  readonly requestTimeoutMs?: number;
  /** Connecting, TLS and SASL included. */
  readonly connectTimeoutMs?: number;
  readonly clientId?: string;
  readonly log?: (level: "debug" | "info" | "warn" | "error", msg: string) => void;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** Preference among listener protocols: plain TCP is cheapest; SASL only with credentials. */
const PROTOCOL_ORDER: readonly ListenerProtocol[] = ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"];

/** The listener peers are reached on (a name both sides have) and its protocol, or why none can be used. */
export function chooseListener(
  listeners: readonly Pick<ListenerAddress, "name" | "securityProtocol">[],
  canTls: boolean,
  canSasl: boolean,
  named: string | null = null,
): { name: string; securityProtocol: ListenerProtocol } | { error: string } {
  const usable = (p: ListenerProtocol) =>
    (p === "PLAINTEXT") || (p === "SSL" && canTls) || (p === "SASL_PLAINTEXT" && canSasl) ||
    (p === "SASL_SSL" && canTls && canSasl);
  if (named !== null) {
    // Chosen by the operator (Kafka's inter.broker.listener.name).
    const l = listeners.find((x) => x.name === named);
    if (l === undefined) return { error: `the inter-gateway listener ${named} is not one of this gateway's` };
    if (!usable(l.securityProtocol)) {
      return {
        error: `the inter-gateway listener ${named} (${l.securityProtocol}) needs ` +
          (l.securityProtocol.startsWith("SASL") && !canSasl
            ? "the gateways' own SASL credentials (--inter-gateway-sasl-mechanism, " +
              "--inter-gateway-sasl-username, --inter-gateway-sasl-password)"
            : "--tls-cert and --tls-key"),
      };
    }
    return { name: l.name, securityProtocol: l.securityProtocol };
  }
  for (const p of PROTOCOL_ORDER) {
    const l = listeners.find((x) => x.securityProtocol === p);
    if (l !== undefined && usable(p)) return { name: l.name, securityProtocol: p };
  }
  const have = listeners.map((l) => `${l.name} (${l.securityProtocol})`).join(", ") || "none";
  return {
    error: `no listener to reach other gateways on: listeners ${have}; ` +
      (listeners.some((l) => l.securityProtocol.startsWith("SASL"))
        ? "a SASL listener needs the gateways' own SASL credentials (--inter-gateway-sasl-mechanism, " +
          "--inter-gateway-sasl-username, --inter-gateway-sasl-password)"
        : "an SSL listener needs --tls-cert and --tls-key"),
  };
}

function isIp(host: string): boolean {
  return /^[0-9.]+$/.test(host) || host.includes(":");
}

export class PeerClient {
  private readonly conns = new Map<number, Promise<PeerConnection>>();
  private closed = false;
  private readonly requestTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  /** Connections opened so far (tests, metrics). */
  connectionsOpened = 0;

  constructor(private readonly opts: PeerClientOptions) {
    this.requestTimeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  }

  /**
   * Sends `request` as `spec` v`version` to gateway `nodeId` and resolves with its response. Rejects with
   * KafkaError: UNSUPPORTED_VERSION when the peer does not serve that version, NETWORK_EXCEPTION /
   * REQUEST_TIMED_OUT / LEADER_NOT_AVAILABLE (unknown peer) — all retriable — or the SASL failure.
   */
  async send<S extends ApiSpec>(
    nodeId: number,
    spec: S,
    version: number,
    request: RequestOf<S>,
  ): Promise<ResponseOf<S>> {
    const conn = await this.connection(nodeId);
    const range = conn.supported(spec.key);
    if (range === undefined || version < range.min || version > range.max) {
      throw new KafkaError(
        ErrorCode.UNSUPPORTED_VERSION,
        `${conn.label} does not serve ${spec.name} v${version}` +
          (range === undefined ? "" : ` (it serves v${range.min}-${range.max})`),
      );
    }
    return await conn.request(spec, version, request);
  }

  /** The versions gateway `nodeId` serves `apiKey` in (opens the connection if needed). */
  async versions(nodeId: number, apiKey: number): Promise<{ min: number; max: number } | undefined> {
    return (await this.connection(nodeId)).supported(apiKey);
  }

  /** The open connection to `nodeId`, or a new one when there is none or it failed. */
  private async connection(nodeId: number): Promise<PeerConnection> {
    if (this.closed) throw networkError("the peer client is closed");
    if (nodeId === this.opts.cluster.nodeId) {
      throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `gateway ${nodeId} is this gateway`);
    }
    for (;;) {
      const existing = this.conns.get(nodeId);
      if (existing === undefined) break;
      const c = await existing.catch(() => null);
      // The peer may have left the cluster or come back on another address: its lease says where it is now.
      if (c !== null && c.usable && c.label === this.labelNow(nodeId)) return c;
      // Failed to open, failed since or moved: forget it and open a new one, unless another caller already did.
      if (this.conns.get(nodeId) === existing) {
        this.conns.delete(nodeId);
        c?.close();
        break;
      }
    }
    const opening = this.open(nodeId);
    this.conns.set(nodeId, opening);
    // A failed open is not cached: the next request tries again.
    opening.catch(() => {
      if (this.conns.get(nodeId) === opening) this.conns.delete(nodeId);
    });
    return await opening;
  }

  /** Where gateway `nodeId` is reached now: the chosen listener, its endpoint and the TLS material. */
  private target(nodeId: number): {
    choice: { name: string; securityProtocol: ListenerProtocol };
    at: Endpoint;
    label: string;
    pem: PeerTls | null;
  } {
    const b = this.opts.cluster.broker(nodeId);
    if (b === undefined) {
      throw new KafkaError(
        ErrorCode.LEADER_NOT_AVAILABLE,
        `gateway ${nodeId} is not a live member of the cluster`,
      );
    }
    const pem = this.opts.tls?.() ?? null;
    const choice = chooseListener(
      this.opts.listeners,
      pem !== null,
      (this.opts.sasl ?? null) !== null,
      this.opts.listenerName ?? null,
    );
    if ("error" in choice) throw new KafkaError(ErrorCode.NETWORK_EXCEPTION, choice.error);
    const at: Endpoint = b.listeners?.[choice.name] ?? b;
    return { choice, at, label: `gateway ${nodeId} at ${at.host}:${at.port} (${choice.name})`, pem };
  }

  /** The label of where `nodeId` is reached now, or null when it cannot be (open() then says why). */
  private labelNow(nodeId: number): string | null {
    try {
      return this.target(nodeId).label;
    } catch {
      return null;
    }
  }

  private async open(nodeId: number): Promise<PeerConnection> {
    const { choice, at, label, pem } = this.target(nodeId);
    const secure = choice.securityProtocol === "SSL" || choice.securityProtocol === "SASL_SSL";
    const deadline = AbortSignal.timeout(this.connectTimeoutMs);
    let transport: PeerTransport;
    try {
      transport = secure ? await connectTls(at, pem!, deadline) : await connectTcp(at, deadline);
    } catch (e) {
      throw networkError(`connecting to ${label}: ${(e as Error).message}`);
    }
    if (this.closed) {
      transport.close();
      throw networkError("the peer client is closed");
    }
    const conn = new PeerConnection(
      transport,
      label,
      this.opts.clientId ?? `gateway-${this.opts.cluster.nodeId}`,
      Math.min(this.requestTimeoutMs, this.connectTimeoutMs),
    );
    try {
      await conn.negotiate();
      if (choice.securityProtocol.startsWith("SASL")) await authenticatePeer(conn, this.opts.sasl!);
    } catch (e) {
      await conn.close();
      throw e;
    }
    // Requests after the handshake get the full request timeout.
    conn.setRequestTimeout(this.requestTimeoutMs);
    this.connectionsOpened++;
    this.opts.log?.("debug", `connected to ${label}`);
    return conn;
  }

  /** Drops the connection to `nodeId` (its requests fail); the next request opens a new one. */
  async disconnect(nodeId: number): Promise<void> {
    const c = this.conns.get(nodeId);
    this.conns.delete(nodeId);
    const conn = await c?.catch(() => null);
    await conn?.close();
  }

  /** Closes every connection; requests in flight fail and later ones are refused. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.conns.values()];
    this.conns.clear();
    await Promise.all(all.map(async (p) => (await p.catch(() => null))?.close()));
  }
}

async function connectTcp(at: Endpoint, signal: AbortSignal): Promise<PeerTransport> {
  const connecting = Deno.connect({ hostname: at.host, port: at.port, transport: "tcp" });
  const conn = await raceAbort(connecting, signal, (c) => c.close());
  conn.setNoDelay(true);
  return conn;
}

function connectTls(at: Endpoint, pem: PeerTls, signal: AbortSignal): Promise<PeerTransport> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: at.host,
      port: at.port,
      ...(isIp(at.host) ? {} : { servername: at.host }),
      ...(pem.ca !== "" ? { ca: pem.ca } : {}),
      ...(pem.cert !== "" && pem.key !== "" ? { cert: pem.cert, key: pem.key } : {}),
    });
    const onAbort = () => {
      socket.destroy();
      reject(new Error("timed out"));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    socket.once("secureConnect", () => {
      signal.removeEventListener("abort", onAbort);
      resolve(new NodeTlsConn(socket));
    });
    socket.once("error", (e: Error) => {
      signal.removeEventListener("abort", onAbort);
      socket.destroy();
      reject(e);
    });
  });
}

/** `p`, or a rejection when `signal` aborts first (then what `p` yields late is disposed of). */
function raceAbort<T>(p: Promise<T>, signal: AbortSignal, dispose: (t: T) => void): Promise<T> {
  if (signal.aborted) {
    p.then(dispose, () => {});
    return Promise.reject(new Error("timed out"));
  }
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      p.then(dispose, () => {});
      reject(new Error("timed out"));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    p.then((v) => {
      signal.removeEventListener("abort", onAbort);
      if (signal.aborted) return;
      resolve(v);
    }, (e) => {
      signal.removeEventListener("abort", onAbort);
      reject(e);
    });
  });
}
