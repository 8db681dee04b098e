// A TLS listener (SSL and SASL_SSL) with node:tls, for listeners that ask for client certificates
// (--tls-client-auth requested|required; Kafka's ssl.client.auth; without them native_listener.ts is used, about 4x
// faster): TLS 1.2 and 1.3, the client certificate asked for and verified against --tls-ca, the certificate swapped
// for new connections when its files change (setSecureContext). accept() hands out connections whose handshake
// completed; a failed handshake (a PLAINTEXT client, no or a bad client certificate, an old TLS version) closes
// only that connection, is logged and counted.
import tls from "node:tls";
import type { Logger } from "../../log.ts";
import type { TlsMaterial, TlsPem } from "./material.ts";
import { NodeTlsConn, peerOf } from "./socket.ts";
import { HANDSHAKE_TIMEOUT_MS, HandshakeFailures } from "./handshake_failures.ts";
import { AcceptQueue } from "./accept_queue.ts";

export type ClientAuth = "none" | "requested" | "required";

export interface TlsListenerOptions {
  readonly host: string;
  readonly port: number;
  readonly material: TlsMaterial;
  readonly clientAuth: ClientAuth;
  /** Listener name, for logs. */
  readonly name: string;
  readonly log: Logger;
  /** Called for every failed handshake (metrics). */
  readonly onHandshakeFailure?: (reason: string) => void;
}

function contextOptions(pem: TlsPem): tls.SecureContextOptions {
  return { cert: pem.cert, key: pem.key, ...(pem.ca !== "" ? { ca: pem.ca } : {}), minVersion: "TLSv1.2" };
}

export class TlsListener {
  private readonly server: tls.Server;
  private readonly ready = new AcceptQueue<NodeTlsConn>();
  private readonly failures: HandshakeFailures;
  private unwatch: () => void = () => {};
  addr: { hostname: string; port: number; transport: "tcp" } = { hostname: "", port: 0, transport: "tcp" };

  constructor(private readonly opts: TlsListenerOptions) {
    const { clientAuth, material, log } = opts;
    this.failures = new HandshakeFailures(opts);
    this.server = tls.createServer({
      ...contextOptions(material.pem),
      requestCert: clientAuth !== "none",
      // "requested": a client without a certificate is let in (ANONYMOUS); one presenting an unverifiable one is
      // not (checked below), as Java's wantClientAuth does.
      rejectUnauthorized: clientAuth === "required",
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
    }, (socket) => this.secured(socket));
    this.server.on("tlsClientError", (e: Error, socket: tls.TLSSocket) => {
      this.failed(socket ? peerOf(socket).hostname : "?", e.message);
      socket?.destroy();
    });
    this.server.on(
      "error",
      (e: Error) => log.error("TLS listener {name}: {reason}", { name: opts.name, reason: e.message }),
    );
    this.unwatch = material.onChange((pem) => this.server.setSecureContext(contextOptions(pem)));
  }

  private failed(remote: string, reason: string): void {
    this.failures.failed(remote, reason);
  }

  private secured(socket: tls.TLSSocket): void {
    if (this.ready.closed) {
      socket.destroy();
      return;
    }
    const conn = new NodeTlsConn(socket);
    if (this.opts.clientAuth === "requested" && conn.tls.peerCertificate !== null && !conn.tls.authorized) {
      this.failed(conn.remoteAddr.hostname, `client certificate not trusted (${socket.authorizationError})`);
      socket.destroy();
      return;
    }
    this.ready.push(conn);
  }

  /** Binds; throws Deno.errors.AddrInUse when the port is taken. */
  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (e: Error & { code?: string }) => {
        reject(e.code === "EADDRINUSE" ? new Deno.errors.AddrInUse(e.message) : e);
      };
      this.server.once("error", onError);
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.off("error", onError);
        const a = this.server.address();
        if (a !== null && typeof a === "object") {
          this.addr = { hostname: a.address, port: a.port, transport: "tcp" };
        }
        resolve();
      });
    });
  }

  /** The next connection whose handshake completed; rejects with BadResource once closed. */
  accept(): Promise<NodeTlsConn> {
    return this.ready.accept();
  }

  close(): void {
    if (this.ready.closed) return;
    this.unwatch();
    this.server.close();
    this.ready.close();
  }
}
