// Kafka listeners as the options describe them (--listen, --advertised-listener): names, addresses and how Kafka
// writes them. Apart from options.ts so that the broker config table (src/configs/broker_defs.ts), which options.ts
// reads at load time, can use them without an import cycle.

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Kafka's security protocols, which are also the listener names --listen accepts. */
export const SECURITY_PROTOCOLS = ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] as const;
export type ListenerProtocol = (typeof SECURITY_PROTOCOLS)[number];

/** One Kafka listener of --listen or --advertised-listener: NAME://HOST:PORT (a bare HOST:PORT is PLAINTEXT). */
export interface ListenerAddress extends HostPort {
  readonly name: string;
  readonly securityProtocol: ListenerProtocol;
}

/** "SSL://host:9093", as Kafka writes a listener. */
export function listenerUrl(l: ListenerAddress): string {
  return `${l.name}://${l.host.includes(":") ? `[${l.host}]` : l.host}:${l.port}`;
}

/** Listeners for people: "host:port" for the one PLAINTEXT listener of the default setup, else Kafka's URLs. */
export function listenersText(ls: readonly ListenerAddress[]): string {
  if (ls.length === 1 && ls[0].name === "PLAINTEXT") return `${ls[0].host}:${ls[0].port}`;
  return ls.map(listenerUrl).join(",");
}
