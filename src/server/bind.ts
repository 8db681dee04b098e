// Binds every --listen listener before the gateway starts (so a taken port stops the start at once, and a port-0
// listener's real port can be advertised): a TCP socket for PLAINTEXT and SASL_PLAINTEXT, a TLS one for SSL and
// SASL_SSL: Deno's own TLS (src/security/tls/native_listener.ts) unless client certificates are asked for, then
// node:tls (src/security/tls/listener.ts).
import { type ListenerAddress, listenerUrl } from "../configs/options.ts";
import type { Logger } from "../log.ts";
import type { SocketListener } from "./server.ts";
import type { TlsMaterial } from "../security/tls/material.ts";
import { type ClientAuth, TlsListener } from "../security/tls/listener.ts";
import { NativeTlsListener, NoDelayUnavailable } from "../security/tls/native_listener.ts";

export interface BoundListener {
  /** The --listen entry. */
  readonly at: ListenerAddress;
  readonly socket: SocketListener;
}

export interface TlsSetup {
  readonly material: TlsMaterial;
  readonly clientAuth: ClientAuth;
  readonly log: Logger;
  /** Called with the listener name for every failed handshake (metrics). */
  readonly onHandshakeFailure?: (listener: string) => void;
}

export const isTlsProtocol = (p: string): boolean => p === "SSL" || p === "SASL_SSL";

/** Binds all listeners, or none: on a failure the ones bound are closed and an Error names the listener. */
export async function bindListeners(
  listen: readonly ListenerAddress[],
  tls: TlsSetup | null,
): Promise<BoundListener[]> {
  const out: BoundListener[] = [];
  try {
    for (const at of listen) out.push({ at, socket: await bindOne(at, tls) });
  } catch (e) {
    for (const b of out) b.socket.close();
    throw e;
  }
  return out;
}

async function bindOne(at: ListenerAddress, tls: TlsSetup | null): Promise<SocketListener> {
  // as it was probably written: HOST:PORT for PLAINTEXT
  const url = `--listen ${at.name === "PLAINTEXT" ? `${at.host}:${at.port}` : listenerUrl(at)}`;
  try {
    if (!isTlsProtocol(at.securityProtocol)) {
      return Deno.listen({ hostname: at.host, port: at.port, transport: "tcp" });
    }
    if (tls === null) throw new Error("needs --tls-cert and --tls-key");
    if (tls.clientAuth === "none") {
      const native = new NativeTlsListener({
        host: at.host,
        port: at.port,
        material: tls.material,
        name: at.name,
        log: tls.log,
        onHandshakeFailure: () => tls.onHandshakeFailure?.(at.name),
      });
      try {
        native.listen();
        return native;
      } catch (e) {
        if (!(e instanceof NoDelayUnavailable)) throw e;
        tls.log.info("TLS listener {name} uses node:tls (slower): {why}", { name: at.name, why: e.message });
      }
    }
    const l = new TlsListener({
      host: at.host,
      port: at.port,
      material: tls.material,
      clientAuth: tls.clientAuth,
      name: at.name,
      log: tls.log,
      onHandshakeFailure: () => tls.onHandshakeFailure?.(at.name),
    });
    await l.listen();
    return l;
  } catch (e) {
    // Say which listener: Deno's "Address already in use (os error 98)" names neither the option nor the port.
    if (e instanceof Deno.errors.AddrInUse) {
      throw new Error(`${url} is in use (another broker or gateway?): stop it or choose another --listen`);
    }
    throw new Error(`${url}: ${(e as Error).message}`);
  }
}
