// Which new Kafka connections are accepted: at most --max-connections over all listeners, at most
// --max-connections-per-ip from one address (--max-connections-per-ip-overrides HOST:N,... for exceptions, as
// Kafka's max.connections.per.ip.overrides), and at most connection_creation_rate new connections per second from
// one address (the client quota of an ip entity, else of the default ip entity; KIP-612). An address over its rate
// has its connection closed and every further one closed until its throttle time has passed, as Kafka's
// ConnectionQuotas does. Refusals are counted per reason and logged at most once per address and reason every
// LOG_EVERY_MS.
import type { Logger } from "../log.ts";
import { CONNECTION_CREATION_RATE } from "./model.ts";
import { KAFKA_RATE_CONFIG, type RateConfig, throttleTimeMs, WindowedRate } from "./rate.ts";
import type { QuotaTable } from "./store.ts";

export type RefusalReason = "max-connections" | "max-connections-per-ip" | "connection-creation-rate";
export const REFUSAL_REASONS: readonly RefusalReason[] = [
  "max-connections",
  "max-connections-per-ip",
  "connection-creation-rate",
];

const LOG_EVERY_MS = 10_000;
/** Addresses whose connection rate is kept before idle ones are forgotten. */
const MAX_TRACKED_IPS = 10_000;

/** Parses "host:n,host:n" (IPv6 hosts: the last colon splits); throws naming the bad item. */
export function parseOverrides(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const item of text.split(",").map((s) => s.trim()).filter((s) => s !== "")) {
    const at = item.lastIndexOf(":");
    const host = at > 0 ? item.slice(0, at).replace(/^\[(.*)\]$/, "$1") : "";
    const n = at > 0 ? Number(item.slice(at + 1)) : NaN;
    if (host === "" || !Number.isInteger(n) || n < 0) {
      throw new Error(`--max-connections-per-ip-overrides: "${item}" is not HOST:N`);
    }
    // localhost is how clients on this host arrive, under either address family
    if (host === "localhost") {
      out.set("127.0.0.1", n);
      out.set("::1", n);
    } else {
      out.set(host.toLowerCase(), n);
    }
  }
  return out;
}

/** max.connections, max.connections.per.ip and max.connections.per.ip.overrides. */
export interface ConnectionCounts {
  readonly maxConnections: number;
  readonly maxConnectionsPerIp: number;
  readonly overrides: ReadonlyMap<string, number>;
}

export interface ConnectionLimitOptions extends ConnectionCounts {
  /** The client quotas (connection_creation_rate of ip entities); null: none. */
  readonly quotas: () => QuotaTable | null;
  readonly rate?: RateConfig;
  readonly log: Logger;
  readonly now?: () => number;
}

interface IpRate {
  readonly rate: WindowedRate;
  /** Connections from the address are closed until then (ms). */
  throttledUntil: number;
}

export class ConnectionLimits {
  /** Refusals by reason (metrics). */
  readonly refused = new Map<RefusalReason, number>(REFUSAL_REASONS.map((r) => [r, 0]));
  private readonly rates = new Map<string, IpRate>();
  private readonly lastLog = new Map<string, number>();
  private readonly now: () => number;

  private limits: ConnectionCounts;

  constructor(private readonly o: ConnectionLimitOptions) {
    this.now = o.now ?? Date.now;
    this.limits = o;
  }

  /** New limits (dynamic max.connections*): they apply to the next connection; open ones stay open, as in Kafka. */
  setLimits(limits: ConnectionCounts): void {
    this.limits = limits;
  }

  /** The most connections `ip` may hold open. */
  perIpLimit(ip: string): number {
    return this.limits.overrides.get(ip.toLowerCase()) ?? this.limits.maxConnectionsPerIp;
  }

  /**
   * Whether a new connection from `ip` may be accepted while `open` connections are open in all and `fromIp`
   * from that address; a refusal is counted and logged here (the caller closes the connection).
   */
  admit(ip: string, open: number, fromIp: number): boolean {
    const { maxConnections } = this.limits;
    if (open >= maxConnections) return this.refuse(ip, "max-connections", `${maxConnections}`);
    const perIp = this.perIpLimit(ip);
    if (fromIp >= perIp) return this.refuse(ip, "max-connections-per-ip", `${perIp}`);
    const quota = this.creationQuota(ip);
    if (quota === undefined) return true;
    const now = this.now();
    let r = this.rates.get(ip);
    if (r === undefined) {
      if (this.rates.size >= MAX_TRACKED_IPS) this.forgetIdle(now);
      r = { rate: new WindowedRate(this.o.rate ?? KAFKA_RATE_CONFIG), throttledUntil: 0 };
      this.rates.set(ip, r);
    }
    if (now < r.throttledUntil) return this.refuse(ip, "connection-creation-rate", `${quota}/s`);
    r.rate.record(1, now);
    const ms = throttleTimeMs(r.rate.perSecond(now), quota, r.rate.windowSize(now));
    if (ms > 0) {
      // Kafka un-records the refused connection and throttles the address for the time that brings it back
      r.rate.record(-1, now);
      r.throttledUntil = now + ms;
      return this.refuse(ip, "connection-creation-rate", `${quota}/s`);
    }
    return true;
  }

  /** Drops the rates of addresses that have not connected for a whole quota window (their rate is 0 again). */
  private forgetIdle(now: number): void {
    const { samples, windowMs } = this.o.rate ?? KAFKA_RATE_CONFIG;
    for (const [ip, r] of this.rates) {
      if (now - r.rate.lastRecordMs >= samples * windowMs && now >= r.throttledUntil) this.rates.delete(ip);
    }
  }

  /** connection_creation_rate of /config/ips/<ip>, else of /config/ips/<default>. */
  private creationQuota(ip: string): number | undefined {
    const t = this.o.quotas();
    if (t === null || !t.hasIpQuotas) return undefined;
    return t.value({ ip }, CONNECTION_CREATION_RATE) ?? t.value({ ip: null }, CONNECTION_CREATION_RATE);
  }

  private refuse(ip: string, reason: RefusalReason, limit: string): false {
    this.refused.set(reason, (this.refused.get(reason) ?? 0) + 1);
    const key = `${ip}\0${reason}`;
    const now = this.now();
    const last = this.lastLog.get(key);
    if (last === undefined || now - last >= LOG_EVERY_MS) {
      if (this.lastLog.size > 10_000) this.lastLog.clear();
      this.lastLog.set(key, now);
      this.o.log.warn(
        "refusing connection from {ip}: {reason} {limit} reached (logged at most every {every} s per address)",
        {
          ip,
          reason,
          limit,
          every: LOG_EVERY_MS / 1000,
        },
      );
    }
    return false;
  }
}
