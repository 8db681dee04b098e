// The Kafka listener: accepts connections (bounded by max-connections) and shuts down gracefully.
import type { ApiRegistry } from "../handlers/registry.ts";
import type { Broker } from "../handlers/context.ts";
import { Connection } from "./connection.ts";

export class KafkaServer {
  private listener: Deno.TcpListener | null = null;
  private readonly connections = new Map<number, Connection>();
  private nextId = 1;
  private acceptLoop: Promise<void> | null = null;
  /** True between start() and stop() (readiness). */
  listening = false;

  constructor(private readonly broker: Broker, private readonly apis: ApiRegistry) {}

  /** Starts accepting on a bound listener (bound early so the advertised port can follow a port-0 bind). */
  start(listener: Deno.TcpListener): void {
    this.listener = listener;
    this.listening = true;
    this.acceptLoop = this.accept(listener);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Open connections (admin API). */
  connectionList(): readonly Connection[] {
    return [...this.connections.values()];
  }

  private async accept(listener: Deno.TcpListener): Promise<void> {
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
      if (this.connections.size >= this.broker.config.maxConnections) {
        if (this.broker.metrics) this.broker.metrics.connectionsRejected++;
        this.broker.log.warn("refusing connection: max-connections {n} reached", {
          n: this.broker.config.maxConnections,
        });
        conn.close();
        continue;
      }
      const id = this.nextId++;
      if (this.broker.metrics) this.broker.metrics.connectionsAccepted++;
      const c = new Connection(id, conn, this.broker, this.apis);
      this.connections.set(id, c);
      c.done.finally(() => this.connections.delete(id));
    }
  }

  /** Stop accepting, let in-flight requests finish and flush their responses, close every connection. */
  async stop(): Promise<void> {
    this.listening = false;
    try {
      this.listener?.close();
    } catch { /* already closed */ }
    await this.acceptLoop;
    const all = [...this.connections.values()];
    for (const c of all) c.stop();
    await Promise.all(all.map((c) => c.done));
  }
}
