// The Kafka listeners: accept connections (bounded, over all listeners, by max-connections and
// max-connections-per-ip), close idle ones (connections-max-idle-ms), and shut down gracefully. Each listener
// (--listen NAME://HOST:PORT: a TCP socket, or a TLS one for SSL and SASL_SSL) has its own request pipeline
// (pipeline/pipeline.ts), whose authentication, authorization and quota steps are given per listener; the request
// memory budget and the protocol error log are shared by all.
import type { ApiRegistry } from "../handlers/registry.ts";
import type { Broker, Listener, SecurityProtocol } from "../request/context.ts";
import { Connection, type ConnectionShared, type KafkaSocket } from "./connection.ts";
import { RequestMemory } from "./request_memory.ts";
import { ProtocolErrorLog } from "./protocol_errors.ts";
import { type PipelineSteps, RequestPipeline } from "./pipeline/pipeline.ts";
import { ConnectionLimits } from "../quotas/connections.ts";

/** How often the idle sweep runs at most (it runs faster when the idle timeout is short). */
const MAX_SWEEP_MS = 1000;

export interface ServerOptions {
  /** Kafka listener name of a listener started without its own (default "PLAINTEXT"). */
  readonly listenerName?: string;
  /** Its security protocol (default "PLAINTEXT"). */
  readonly securityProtocol?: SecurityProtocol;
  /** Authentication, authorization and quota steps of a listener started without its own; each defaults to its no-op. */
  readonly pipeline?: PipelineSteps;
  /** Which connections are accepted (src/quotas/connections.ts); default: --max-connections[-per-ip] only. */
  readonly connectionLimits?: ConnectionLimits;
}

/** A bound listening socket: Deno.TcpListener, or a TLS listener (src/security/tls/listener.ts). */
export interface SocketListener {
  readonly addr: { readonly hostname: string; readonly port: number };
  /** Rejects with Deno.errors.BadResource once closed. */
  accept(): Promise<KafkaSocket>;
  close(): void;
}

/** What a listener is to Kafka: its name, security protocol, and the steps of its pipeline. */
export interface ListenerSpec {
  readonly name: string;
  readonly securityProtocol: SecurityProtocol;
  readonly pipeline?: PipelineSteps;
}

interface Bound {
  readonly socket: SocketListener;
  readonly loop: Promise<void>;
}

interface IdleState {
  seen: number;
  since: number;
}

export class KafkaServer {
  private readonly bound: Bound[] = [];
  private readonly connections = new Map<number, Connection>();
  private readonly perIp = new Map<string, number>();
  private readonly idle = new Map<number, IdleState>();
  private nextId = 1;
  private sweepTimer: ReturnType<typeof setInterval> | undefined;
  private readonly memory: RequestMemory;
  private readonly protocolErrors = new ProtocolErrorLog();
  private readonly limits: ConnectionLimits;
  /** True between start() and stop() (readiness). */
  listening = false;

  constructor(
    private readonly broker: Broker,
    private readonly apis: ApiRegistry,
    private readonly options: ServerOptions = {},
  ) {
    this.memory = new RequestMemory(broker.config.queuedMaxRequestBytes);
    this.limits = options.connectionLimits ?? new ConnectionLimits({
      maxConnections: broker.config.maxConnections,
      maxConnectionsPerIp: broker.config.maxConnectionsPerIp,
      overrides: new Map(),
      quotas: () => null,
      log: broker.log,
    });
  }

  /**
   * Starts accepting on a bound listener (bound early so the advertised port can follow a port-0 bind); called once
   * per listener. `spec` names it and gives its pipeline steps (default: the constructor's options).
   */
  start(listener: SocketListener, spec?: ListenerSpec): void {
    const addr = listener.addr;
    // What handlers see as ctx.listener: the bound address (the advertised one is in the config).
    const info: Listener = {
      name: spec?.name ?? this.options.listenerName ?? "PLAINTEXT",
      securityProtocol: spec?.securityProtocol ?? this.options.securityProtocol ?? "PLAINTEXT",
      host: addr.hostname,
      port: addr.port,
    };
    const shared: ConnectionShared = {
      memory: this.memory,
      protocolErrors: this.protocolErrors,
      pipeline: new RequestPipeline(this.broker, this.apis, spec?.pipeline ?? this.options.pipeline),
    };
    this.listening = true;
    this.bound.push({ socket: listener, loop: this.accept(listener, info, shared) });
    if (this.sweepTimer === undefined) {
      const idleMs = this.broker.config.connectionsMaxIdleMs;
      this.sweepTimer = setInterval(
        () => this.sweep(idleMs),
        Math.min(MAX_SWEEP_MS, Math.max(10, idleMs / 4)),
      );
    }
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** The request memory budget shared by every connection (metrics). */
  get requestMemory(): RequestMemory {
    return this.memory;
  }

  /** Open connections (admin API). */
  connectionList(): readonly Connection[] {
    return [...this.connections.values()];
  }

  /** Closes connections whose activity counter has not moved for `idleMs` while no request of theirs ran. */
  private sweep(idleMs: number): void {
    const now = Date.now();
    for (const [id, c] of this.connections) {
      let s = this.idle.get(id);
      if (s === undefined) {
        s = { seen: c.activity, since: now };
        this.idle.set(id, s);
      }
      if (c.activity !== s.seen || c.busy) {
        s.seen = c.activity;
        s.since = now;
      } else if (now - s.since >= idleMs) {
        c.closeIdle(now - s.since);
      }
    }
  }

  /** Closes a connection the limits refused (they logged it). */
  private refuse(conn: KafkaSocket): void {
    if (this.broker.metrics) this.broker.metrics.connectionsRejected++;
    try {
      conn.close();
    } catch { /* already closed */ }
  }

  private async accept(listener: SocketListener, info: Listener, shared: ConnectionShared): Promise<void> {
    while (true) {
      let conn: KafkaSocket;
      try {
        conn = await listener.accept();
      } catch (e) {
        if (e instanceof Deno.errors.BadResource || e instanceof Deno.errors.Interrupted) return;
        this.broker.log.error("accept failed: {reason}", { reason: String(e) });
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      const ip = conn.remoteAddr.hostname;
      const fromIp = this.perIp.get(ip) ?? 0;
      if (!this.limits.admit(ip, this.connections.size, fromIp)) {
        this.refuse(conn);
        continue;
      }
      this.perIp.set(ip, fromIp + 1);
      const id = this.nextId++;
      if (this.broker.metrics) this.broker.metrics.connectionsAccepted++;
      const c = new Connection(id, conn, this.broker, shared, info);
      this.connections.set(id, c);
      c.done.finally(() => {
        this.connections.delete(id);
        this.idle.delete(id);
        const left = (this.perIp.get(ip) ?? 1) - 1;
        if (left > 0) this.perIp.set(ip, left);
        else this.perIp.delete(ip);
      });
    }
  }

  /** Stop accepting, let in-flight requests finish and flush their responses, close every connection. */
  async stop(): Promise<void> {
    this.listening = false;
    clearInterval(this.sweepTimer);
    for (const b of this.bound) {
      try {
        b.socket.close();
      } catch { /* already closed */ }
    }
    await Promise.all(this.bound.map((b) => b.loop));
    const all = [...this.connections.values()];
    for (const c of all) c.stop();
    await Promise.all(all.map((c) => c.done));
  }
}
