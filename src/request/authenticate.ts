// Authentication step: decides each connection's principal. Kafka authenticates per connection (a SASL exchange
// runs once, then every request of the connection carries its principal), so an Authenticator opens one
// ConnectionAuth per connection, which may hold that connection's SASL state. With a PLAINTEXT listener every
// connection is User:ANONYMOUS and nothing runs per request.
import type { Broker, Listener, Principal, RequestContext } from "./context.ts";
import type { TlsSession } from "../security/tls/socket.ts";

export type { TlsSession };

/** Kafka's principal for unauthenticated connections. Frozen: one object shared by every connection. */
export const ANONYMOUS: Principal = Object.freeze({ type: "User", name: "ANONYMOUS" });

/** "User:ANONYMOUS", as Kafka prints principals and as ACLs name them. */
export function principalName(p: Principal): string {
  return `${p.type}:${p.name}`;
}

/** What an authenticator knows of a connection when it opens. */
export interface ConnectionInfo {
  readonly id: number;
  /** Peer "host:port". */
  readonly remote: string;
  readonly listener: Listener;
  /** Present on TLS listeners (the SSL principal comes from its client certificate). */
  readonly tls?: TlsSession | null;
}

/** The request goes on to authorization and its handler. */
export const PASS = 0;
/** The connection is closed without an answer (Kafka's answer to a request sent before SASL completed). */
export const CLOSE_CONNECTION = 1;

/**
 * What the authentication step does with a request: PASS it on, CLOSE_CONNECTION, or answer it with
 * `{ response }` in place of its handler (SaslHandshake and SaslAuthenticate, whose exchange the connection's
 * authenticator drives; the response is encoded with the API's registered codec), then close the connection
 * when `close` is set (a failed authentication: Kafka sends the error, then closes).
 */
export type AuthOutcome =
  | typeof PASS
  | typeof CLOSE_CONNECTION
  | { readonly response: unknown; readonly close?: boolean };

/** One connection's authentication state. */
export interface ConnectionAuth {
  /** The connection's principal now; a SASL exchange replaces it when it completes. */
  readonly principal: Principal;
  /**
   * Sees every request before authorization. Absent when there is nothing to check per request (the pipeline
   * then skips the step).
   */
  intercept?(ctx: RequestContext, request: unknown): AuthOutcome | Promise<AuthOutcome>;
  /**
   * True while the next frame is a raw SASL token rather than a request: after SaslHandshake v0, Kafka's
   * original exchange, the client sends each token in a size-prefixed frame without a request header.
   */
  readonly expectsRawToken?: boolean;
  /** Answers a raw token with a raw token (sent size-prefixed), or CLOSE_CONNECTION. */
  rawToken?(token: Uint8Array, broker: Broker): Promise<Uint8Array | typeof CLOSE_CONNECTION>;
}

export interface Authenticator {
  /** Called once per accepted connection. */
  open(conn: ConnectionInfo): ConnectionAuth;
}

const ANONYMOUS_AUTH: ConnectionAuth = Object.freeze({ principal: ANONYMOUS });

/** The default: every connection is User:ANONYMOUS (a PLAINTEXT listener without SASL). */
export const anonymousAuthenticator: Authenticator = {
  open: () => ANONYMOUS_AUTH,
};
