// Discovery of SeaweedFS servers and one channel per server: brokers and filers come from the master
// (master_pb.Seaweed/ListClusterNodes) or from explicit lists; the list is refreshed periodically so brokers
// that join, leave or restart are picked up without restarting the gateway.
import { isTransient, RpcChannel, rpcCode, RpcError, Status } from "./grpc.ts";
import { GrpcH2Session } from "./h2stream.ts";
import { Rpc } from "./messages.ts";
import { decodeListClusterNodesResponse, encodeListClusterNodesRequest } from "./filer_messages.ts";

export interface ClusterOptions {
  /** Master HTTP addresses (HOST:PORT, or HOST:PORT.GRPCPORT); their gRPC port is PORT + 10000. */
  readonly masters: readonly string[];
  /** Broker gRPC addresses; when given, brokers are not discovered. */
  readonly brokers?: readonly string[];
  /** Filer HTTP addresses (HOST:PORT or HOST:PORT.GRPCPORT); when given, filers are not discovered. */
  readonly filers?: readonly string[];
  readonly filerGroup?: string;
  readonly rpcTimeoutMs: number;
  /** Called when a broker re-registered with the master since the last refresh (it restarted). */
  readonly onBrokerRestart?: (address: string) => void;
  readonly log: (level: "debug" | "info" | "warn" | "error", msg: string) => void;
}

/**
 * SeaweedFS's address rule (weed/pb/server_address.go): "host:port.grpcPort" names the gRPC port explicitly,
 * otherwise the gRPC port is the HTTP port + 10000. Brokers are addressed by their gRPC port directly.
 */
export function grpcAddress(httpAddress: string): string {
  const m = /^(.*):(\d+)(?:\.(\d+))?$/.exec(httpAddress.trim());
  if (!m) throw new Error(`bad SeaweedFS address "${httpAddress}" (expected HOST:PORT)`);
  const host = m[1].replace(/^\[(.*)\]$/, "$1");
  const port = m[3] !== undefined ? Number(m[3]) : Number(m[2]) + 10000;
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

function same(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export class SmqCluster {
  private readonly channels = new Map<string, RpcChannel>();
  private readonly sessions = new Map<string, GrpcH2Session>();
  private brokerList: string[];
  private filerList: string[];
  private nextBroker = 0;
  private nextFiler = 0;
  private closed = false;
  private refreshing: Promise<void> | null = null;
  private readonly brokerStarts = new Map<string, bigint>();
  /** When a call or stream to each broker last failed as if the broker went away (noteFailure). */
  private readonly failedAt = new Map<string, number>();
  /** When the last successful read of the broker list from the masters started. */
  private listedAt = 0;

  constructor(private readonly opts: ClusterOptions) {
    this.brokerList = opts.brokers ? [...opts.brokers] : [];
    this.filerList = opts.filers ? opts.filers.map(grpcAddress) : [];
  }

  get brokers(): readonly string[] {
    return this.brokerList;
  }

  get filers(): readonly string[] {
    return this.filerList;
  }

  /** The gRPC channel to a server (one per address, created on first use). */
  channel(address: string): RpcChannel {
    let c = this.channels.get(address);
    if (!c) {
      if (this.closed) throw new RpcError(Status.CANCELLED, "SeaweedMQ client is closed", address);
      c = new RpcChannel(address);
      this.channels.set(address, c);
    }
    return c;
  }

  /** The HTTP/2 session used for PublishMessage streams to a broker. */
  publishSession(address: string): GrpcH2Session {
    let s = this.sessions.get(address);
    if (!s) {
      if (this.closed) throw new RpcError(Status.CANCELLED, "SeaweedMQ client is closed", address);
      s = new GrpcH2Session(address);
      this.sessions.set(address, s);
    }
    return s;
  }

  /** Drops a broker's publish session (after errors), so the next stream dials afresh. */
  resetPublishSession(address: string): void {
    const s = this.sessions.get(address);
    if (s) {
      this.sessions.delete(address);
      s.close();
    }
  }

  /**
   * A call or stream to `address` failed as if the broker went away. A killed broker leaves the master's list at
   * once (its KeepConnected stream ends), but this list is re-read only every 10 s: until then the broker counts as
   * suspect (see suspect) and control-plane calls go to the others.
   */
  noteFailure(address: string): void {
    this.failedAt.set(address, Date.now());
  }

  /** Listed, but failed since the list was last read from the masters: maybe gone (refresh() tells). */
  suspect(address: string): boolean {
    const at = this.failedAt.get(address);
    return at !== undefined && at >= this.listedAt && this.brokerList.includes(address);
  }

  /** Asks the masters for brokers and filers (unless given explicitly). */
  refresh(): Promise<void> {
    if (!this.refreshing) {
      this.refreshing = this.doRefresh().finally(() => this.refreshing = null);
    }
    return this.refreshing;
  }

  private async doRefresh(): Promise<void> {
    const needBrokers = !this.opts.brokers;
    const needFilers = !this.opts.filers;
    if (!needBrokers && !needFilers) return;
    const started = Date.now();
    let lastError: unknown = null;
    for (const master of this.opts.masters) {
      const ch = this.channel(grpcAddress(master));
      try {
        const nodes = async (type: string) =>
          decodeListClusterNodesResponse(
            await ch.unary(
              Rpc.ListClusterNodes,
              encodeListClusterNodesRequest(type, this.opts.filerGroup ?? "", 1000),
              this.opts.rpcTimeoutMs,
            ),
          ).filter((n) => n.address !== "");
        const list = async (type: string) => (await nodes(type)).map((n) => n.address).sort();
        if (needBrokers) {
          const found = await nodes("broker");
          for (const n of found) {
            const before = this.brokerStarts.get(n.address);
            if (before !== undefined && n.createdAtNs !== 0n && before !== n.createdAtNs) {
              this.opts.log("info", `broker ${n.address} re-registered with the master (restarted)`);
              this.opts.onBrokerRestart?.(n.address);
            }
            this.brokerStarts.set(n.address, n.createdAtNs);
          }
          const brokers = found.map((n) => n.address).sort();
          if (!same(brokers, this.brokerList)) {
            this.opts.log("info", `SeaweedMQ brokers: ${brokers.join(", ") || "(none)"}`);
            this.brokerList = brokers;
          }
          this.listedAt = started;
        }
        if (needFilers) {
          const filers = (await list("filer")).map(grpcAddress);
          if (!same(filers, this.filerList)) {
            this.opts.log("info", `SeaweedFS filers (gRPC): ${filers.join(", ") || "(none)"}`);
            this.filerList = filers;
          }
        }
        return;
      } catch (e) {
        lastError = e;
        this.opts.log("debug", `master ${master}: ${(e as Error).message}`);
      }
    }
    throw lastError ?? new Error("no SeaweedFS master configured");
  }

  /**
   * Any broker, round robin (control-plane calls: non-balancer brokers proxy them to the balancer); suspect ones
   * only when all are.
   */
  anyBroker(): string {
    if (this.brokerList.length === 0) {
      throw new RpcError(Status.UNAVAILABLE, "no SeaweedMQ broker is registered with the master", "");
    }
    const healthy = this.brokerList.filter((b) => !this.suspect(b));
    const from = healthy.length > 0 ? healthy : this.brokerList;
    return from[this.nextBroker++ % from.length];
  }

  anyFiler(): string {
    if (this.filerList.length === 0) {
      throw new RpcError(Status.UNAVAILABLE, "no SeaweedFS filer is registered with the master", "");
    }
    return this.filerList[this.nextFiler++ % this.filerList.length];
  }

  /**
   * Runs `fn` against brokers until one answers: on transient errors it tries the next broker and, after a
   * round, refreshes the broker list and waits a little, until `deadlineMs`.
   */
  async withBroker<T>(fn: (ch: RpcChannel, address: string) => Promise<T>, deadlineMs = 15_000): Promise<T> {
    return await this.retry(() => this.anyBroker(), fn, deadlineMs);
  }

  async withFiler<T>(fn: (ch: RpcChannel, address: string) => Promise<T>, deadlineMs = 15_000): Promise<T> {
    return await this.retry(() => this.anyFiler(), fn, deadlineMs);
  }

  private async retry<T>(
    pick: () => string,
    fn: (ch: RpcChannel, address: string) => Promise<T>,
    deadlineMs: number,
  ): Promise<T> {
    const deadline = Date.now() + deadlineMs;
    let attempt = 0;
    for (;;) {
      let address = "";
      try {
        address = pick();
        return await fn(this.channel(address), address);
      } catch (e) {
        if (this.closed || !isTransient(e) || Date.now() >= deadline) throw e;
        attempt++;
        if (rpcCode(e) === Status.UNAVAILABLE && this.brokerList.includes(address)) this.noteFailure(address);
        this.opts.log("debug", `retrying after: ${(e as Error).message}`);
        if (attempt % 2 === 0 || address === "") await this.refresh().catch(() => {});
        await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** Math.min(attempt, 5))));
      }
    }
  }

  close(): void {
    this.closed = true;
    for (const c of this.channels.values()) c.close();
    for (const s of this.sessions.values()) s.close();
    this.channels.clear();
    this.sessions.clear();
  }
}
