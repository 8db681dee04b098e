// The Kafka listener: accepts connections (bounded by max-connections and max-connections-per-ip), closes idle
// ones (connections-max-idle-ms), and shuts down gracefully. Its connections share one request pipeline
// (pipeline/pipeline.ts), whose authentication, authorization and quota steps are given here.
import type { ApiRegistry } from "../handlers/registry.ts";
import type { Broker, Listener, SecurityProtocol } from "../handlers/context.ts";
import { Connection, type ConnectionShared } from "./connection.ts";
import { RequestMemory } from "./request_memory.ts";
import { ProtocolErrorLog } from "./protocol_errors.ts";
import { type PipelineSteps, RequestPipeline } from "./pipeline/pipeline.ts";

/** How often the idle sweep runs at most (it runs faster when the idle timeout is short). */
const MAX_SWEEP_MS = 1000;

export interface ServerOptions {
  /** Kafka listener name (default "PLAINTEXT"). */
  readonly listenerName?: string;
  /** Security protocol of the listener (default "PLAINTEXT", the only one served today). */
  readonly securityProtocol?: SecurityProtocol;
  /** Authentication, authorization and quota steps; each defaults to its no-op. */
  readonly pipeline?: PipelineSteps;
}

interface IdleState {
  seen: number;
  since: number;
}

export class KafkaServer {
  private listener: Deno.TcpListener | null = null;
  private readonly connections = new Map<number, Connection>();
  private readonly perIp = new Map<string, number>();
  private readonly idle = new Map<number, IdleState>();
  private nextId = 1;
  private acceptLoop: Promise<void> | null = null;
  private sweepTimer: ReturnType<typeof setInterval> | undefined;
  /** Request memory budget and rate-limited protocol error log, shared by every connection. */
  readonly shared: ConnectionShared;
  /** True between start() and stop() (readiness). */
  listening = false;

  constructor(
    private readonly broker: Broker,
    apis: ApiRegistry,
    private readonly options: ServerOptions = {},
  ) {
    this.shared = {
      memory: new RequestMemory(broker.config.queuedMaxRequestBytes),
      protocolErrors: new ProtocolErrorLog(),
      pipeline: new RequestPipeline(broker, apis, options.pipeline),
    };
  }

  /** Starts accepting on a bound listener (bound early so the advertised port can follow a port-0 bind). */
  start(listener: Deno.TcpListener): void {
    this.listener = listener;
    const addr = listener.addr;
    // What handlers see as ctx.listener: the bound address (the advertised one is in the config).
    const info: Listener = {
      name: this.options.listenerName ?? "PLAINTEXT",
      securityProtocol: this.options.securityProtocol ?? "PLAINTEXT",
      host: addr.hostname,
      port: addr.port,
    };
    this.listening = true;
    this.acceptLoop = this.accept(listener, info);
    const idleMs = this.broker.config.connectionsMaxIdleMs;
    this.sweepTimer = setInterval(() => this.sweep(idleMs), Math.min(MAX_SWEEP_MS, Math.max(10, idleMs / 4)));
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** The request memory budget shared by every connection (metrics). */
  get requestMemory(): RequestMemory {
    return this.shared.memory;
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

  private refuse(conn: Deno.TcpConn, why: string, n: number): void {
    if (this.broker.metrics) this.broker.metrics.connectionsRejected++;
    this.broker.log.warn("refusing connection from {remote}: {why} {n} reached", {
      remote: conn.remoteAddr.hostname,
      why,
      n,
    });
    try {
      conn.close();
    } catch { /* already closed */ }
  }

  private async accept(listener: Deno.TcpListener, info: Listener): Promise<void> {
    const { maxConnections, maxConnectionsPerIp } = this.broker.config;
    while (true) {
      let conn: Deno.TcpConn;
      try {
        conn = await listener.accept();
      } catch (e) {
        if (e instanceof Deno.errors.BadResource || e instanceof Deno.errors.Interrupted) {
          this.listening = false;
          return;
        }
        this.broker.log.error("accept failed: {reason}", { reason: String(e) });
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      if (this.connections.size >= maxConnections) {
        this.refuse(conn, "max-connections", maxConnections);
        continue;
      }
      const ip = conn.remoteAddr.hostname;
      const fromIp = this.perIp.get(ip) ?? 0;
      if (fromIp >= maxConnectionsPerIp) {
        this.refuse(conn, "max-connections-per-ip", maxConnectionsPerIp);
        continue;
      }
      this.perIp.set(ip, fromIp + 1);
      const id = this.nextId++;
      if (this.broker.metrics) this.broker.metrics.connectionsAccepted++;
      const c = new Connection(id, conn, this.broker, this.shared, info);
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
    try {
      this.listener?.close();
    } catch { /* already closed */ }
    await this.acceptLoop;
    const all = [...this.connections.values()];
    for (const c of all) c.stop();
    await Promise.all(all.map((c) => c.done));
  }
}
