// A TLS listener on Deno's own TLS (rustls, Deno.listenTls) for SSL and SASL_SSL listeners that do not ask for
// client certificates (--tls-client-auth none, the default): records are decrypted in Rust straight into the
// connection's read buffer, with no node stream in between — about 4x what node:tls receives on this machine
// (1.49 GB/s against 0.38 GB/s, one connection over loopback). Deno.listenTls cannot ask for client certificates,
// so the other --tls-client-auth settings use listener.ts (node:tls). rustls speaks TLS 1.2 and 1.3 only.
//
// TCP_NODELAY is set on the listening socket (listener_nodelay.ts: Deno sets it on accepted TCP connections, not
// on TLS ones); where that cannot be done, listen() throws NoDelayUnavailable and the listener uses node:tls.
//
// Handshakes run off the accept loop (a client that connects and sends nothing is dropped after
// HANDSHAKE_TIMEOUT_MS); accept() hands out connections whose handshake completed. A certificate change re-binds
// the port with the new certificate (Deno.listenTls cannot swap it): connections attempted in the few milliseconds
// between the old listener's close and the new one's bind are refused, and Kafka clients reconnect; connections
// already open keep their session.
import type { Logger } from "../../log.ts";
import type { TlsSession } from "../../request/authenticate.ts";
import type { TlsMaterial, TlsPem } from "./material.ts";
import { HANDSHAKE_TIMEOUT_MS, HandshakeFailures } from "./handshake_failures.ts";
import { AcceptQueue } from "./accept_queue.ts";
import { noDelayOnListener } from "./listener_nodelay.ts";

/** Deno's TLS cannot be used well here (no TCP_NODELAY: listener_nodelay.ts): the caller uses node:tls. */
export class NoDelayUnavailable extends Error {
  override name = "NoDelayUnavailable";
}

/** rustls negotiates 1.3 or 1.2 and Deno does not say which. */
const SESSION: TlsSession = { protocol: "TLSv1.2+", peerCertificate: null, authorized: false };

/** How long a re-bind keeps trying while the old listener releases the port. */
const REBIND_TRIES = 1000;

export interface NativeTlsListenerOptions {
  readonly host: string;
  readonly port: number;
  readonly material: TlsMaterial;
  /** Listener name, for logs. */
  readonly name: string;
  readonly log: Logger;
  /** Called for every failed handshake (metrics). */
  readonly onHandshakeFailure?: (reason: string) => void;
}

/** A handshaken Deno TLS connection as a Kafka connection's byte stream. */
export class NativeTlsConn {
  readonly tls = SESSION;
  readonly remoteAddr: { readonly hostname: string; readonly port: number; readonly transport: "tcp" };

  constructor(private readonly conn: Deno.TlsConn) {
    this.remoteAddr = { hostname: conn.remoteAddr.hostname, port: conn.remoteAddr.port, transport: "tcp" };
  }

  read(buf: Uint8Array): Promise<number | null> {
    return this.conn.read(buf);
  }

  write(buf: Uint8Array): Promise<number> {
    return this.conn.write(buf);
  }

  close(): void {
    try {
      this.conn.close();
    } catch { /* closed already */ }
  }
}

export class NativeTlsListener {
  private listener: Deno.TlsListener | null = null;
  private readonly ready = new AcceptQueue<NativeTlsConn>();
  private readonly failures: HandshakeFailures;
  private unwatch: () => void = () => {};
  addr: { hostname: string; port: number; transport: "tcp" } = { hostname: "", port: 0, transport: "tcp" };

  constructor(private readonly opts: NativeTlsListenerOptions) {
    this.failures = new HandshakeFailures(opts);
  }

  /** Binds; throws Deno.errors.AddrInUse when the port is taken, NoDelayUnavailable when TCP_NODELAY cannot be set. */
  listen(): void {
    const l = this.bind(this.opts.host, this.opts.port, this.opts.material.pem, true);
    this.addr = { hostname: l.addr.hostname, port: l.addr.port, transport: "tcp" };
    this.unwatch = this.opts.material.onChange((pem) => void this.rebind(pem));
  }

  /** `first`: the start's bind, which may still fall back to node:tls; a re-bind serves on regardless. */
  private bind(hostname: string, port: number, pem: TlsPem, first: boolean): Deno.TlsListener {
    const l = Deno.listenTls({ hostname, port, cert: pem.cert, key: pem.key, transport: "tcp" });
    const why = noDelayOnListener(l.addr.port);
    if (why !== null) {
      if (first) {
        l.close();
        throw new NoDelayUnavailable(why);
      }
      // a re-bind: serving on without TCP_NODELAY beats not serving
      this.opts.log.warn(
        "TLS listener {name} re-bound without TCP_NODELAY (responses may wait ~40 ms): {why}",
        {
          name: this.opts.name,
          why,
        },
      );
    }
    this.listener = l;
    void this.acceptLoop(l);
    return l;
  }

  private async acceptLoop(l: Deno.TlsListener): Promise<void> {
    for (;;) {
      let c: Deno.TlsConn;
      try {
        c = await l.accept();
      } catch (e) {
        if (this.ready.closed || this.listener !== l || e instanceof Deno.errors.BadResource) return;
        // a connection that failed before it was accepted (reset right away): the next one
        this.failures.failed("?", (e as Error).message);
        continue;
      }
      void this.handshake(c);
    }
  }

  private async handshake(c: Deno.TlsConn): Promise<void> {
    const timer = setTimeout(() => {
      try {
        c.close();
      } catch { /* done meanwhile */ }
    }, HANDSHAKE_TIMEOUT_MS);
    try {
      await c.handshake();
    } catch (e) {
      this.failures.failed(c.remoteAddr.hostname, (e as Error).message);
      try {
        c.close();
      } catch { /* closed by the timeout */ }
      return;
    } finally {
      clearTimeout(timer);
    }
    const conn = new NativeTlsConn(c);
    if (this.ready.closed) {
      conn.close();
      return;
    }
    this.ready.push(conn);
  }

  /** New connections get the new certificate: the port is bound again with it (see the header). */
  private async rebind(pem: TlsPem): Promise<void> {
    if (this.ready.closed) return;
    const old = this.listener;
    this.listener = null;
    old?.close();
    for (let attempt = 0; !this.ready.closed; attempt++) {
      try {
        this.bind(this.addr.hostname, this.addr.port, pem, false);
        return;
      } catch (e) {
        if (!(e instanceof Deno.errors.AddrInUse) || attempt >= REBIND_TRIES) {
          this.opts.log.error(
            "TLS listener {name} could not be reopened with the new certificate: {reason}",
            {
              name: this.opts.name,
              reason: (e as Error).message,
            },
          );
          return;
        }
        await new Promise((r) => setTimeout(r, 1));
      }
    }
  }

  /** The next connection whose handshake completed; rejects with BadResource once closed. */
  accept(): Promise<NativeTlsConn> {
    return this.ready.accept();
  }

  close(): void {
    if (this.ready.closed) return;
    this.unwatch();
    try {
      this.listener?.close();
    } catch { /* closed */ }
    this.listener = null;
    this.ready.close();
  }
}
