// A node:tls socket seen as the byte stream a Kafka connection reads and writes (read into a buffer, write a
// buffer, close), like a Deno.TcpConn. Deno's own TLS (Deno.listenTls) cannot ask for or verify client
// certificates; node:tls on Deno 2.9 can (requestCert, ca, getPeerCertificate), so TLS listeners use it.
// Incoming data is queued and the socket paused past HIGH_WATER bytes, so a client that sends faster than the
// gateway reads is held back by TCP as with a plain socket.
import type tls from "node:tls";

/** The TLS session of a connection that came through an SSL or SASL_SSL listener. */
export interface TlsSession {
  /** "TLSv1.3", "TLSv1.2". */
  readonly protocol: string;
  /** The client's certificate (DER) when it presented one. */
  readonly peerCertificate: Uint8Array | null;
  /** True when that certificate verified against --tls-ca. */
  readonly authorized: boolean;
}

const HIGH_WATER = 1024 * 1024;
/** After end() (close_notify and FIN once pending writes are out), the socket is destroyed at the latest then. */
const CLOSE_GRACE_MS = 2000;

/** The peer of a TLS socket; after a failed handshake only its underlying TCP socket (_parent) still knows it. */
export function peerOf(socket: tls.TLSSocket): { hostname: string; port: number } {
  const parent = (socket as unknown as { _parent?: { remoteAddress?: string; remotePort?: number } })._parent;
  return {
    hostname: (socket.remoteAddress ?? parent?.remoteAddress ?? "?").replace(/^::ffff:/, ""),
    port: socket.remotePort ?? parent?.remotePort ?? 0,
  };
}

export class NodeTlsConn {
  private readonly chunks: Uint8Array[] = [];
  private head = 0;
  private buffered = 0;
  private ended = false;
  private error: Error | null = null;
  private waiter: (() => void) | null = null;
  private paused = false;
  private closed = false;
  readonly remoteAddr: { readonly hostname: string; readonly port: number; readonly transport: "tcp" };
  readonly tls: TlsSession;

  constructor(private readonly socket: tls.TLSSocket) {
    this.remoteAddr = { ...peerOf(socket), transport: "tcp" };
    const peer = socket.getPeerCertificate(false) as { raw?: Uint8Array } | null;
    this.tls = {
      protocol: socket.getProtocol() ?? "",
      peerCertificate: peer?.raw !== undefined && peer.raw.length > 0 ? new Uint8Array(peer.raw) : null,
      authorized: socket.authorized,
    };
    socket.on("data", (d: Uint8Array) => {
      this.chunks.push(d);
      this.buffered += d.length;
      if (this.buffered > HIGH_WATER && !this.paused) {
        this.paused = true;
        socket.pause();
      }
      this.wake();
    });
    socket.on("end", () => {
      this.ended = true;
      this.wake();
    });
    socket.on("close", () => {
      this.ended = true;
      this.wake();
    });
    socket.on("error", (e: Error) => {
      this.error = e;
      this.wake();
    });
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  /** Waits for data; false at the end of the stream (a socket error throws). */
  private async available(): Promise<boolean> {
    while (this.head === this.chunks.length) {
      if (this.error !== null) throw new Deno.errors.ConnectionReset(this.error.message);
      if (this.ended || this.closed) return false;
      await new Promise<void>((r) => this.waiter = r);
    }
    return true;
  }

  async read(buf: Uint8Array): Promise<number | null> {
    if (!await this.available()) return null;
    let n = 0;
    while (n < buf.length && this.head < this.chunks.length) {
      const c = this.chunks[this.head];
      const take = Math.min(c.length, buf.length - n);
      buf.set(take === c.length ? c : c.subarray(0, take), n);
      n += take;
      if (take === c.length) this.chunks[this.head++] = EMPTY;
      else this.chunks[this.head] = c.subarray(take);
    }
    this.consumed(n);
    return n;
  }

  /** `n` bytes were taken: the queue shrinks, and a paused socket resumes below half the high-water mark. */
  private consumed(n: number): void {
    if (this.head === this.chunks.length) {
      this.chunks.length = 0;
      this.head = 0;
    }
    this.buffered -= n;
    if (this.paused && this.buffered < HIGH_WATER / 2) {
      this.paused = false;
      this.socket.resume();
    }
  }

  /**
   * Hands `buf` to the TLS socket: done at once while its buffer is below the high-water mark, else once it
   * drained (back-pressure, as a kernel socket buffer gives a TcpConn). Waiting for every write's own callback
   * instead serialised large responses chunk by chunk (TLS fetch ran at 8 % of plaintext).
   */
  write(buf: Uint8Array): Promise<number> {
    if (this.closed || this.socket.destroyed) {
      return Promise.reject(new Deno.errors.BrokenPipe("socket closed"));
    }
    if (this.error !== null) return Promise.reject(new Deno.errors.BrokenPipe(this.error.message));
    if (this.socket.write(buf)) return Promise.resolve(buf.length);
    return new Promise((resolve, reject) => {
      const done = (err: Error | null) => {
        this.socket.off("drain", onDrain);
        this.socket.off("close", onClose);
        this.socket.off("error", onError);
        if (err) reject(new Deno.errors.BrokenPipe(err.message));
        else resolve(buf.length);
      };
      const onDrain = () => done(null);
      const onClose = () => done(new Error("socket closed"));
      const onError = (e: Error) => done(e);
      this.socket.on("drain", onDrain);
      this.socket.on("close", onClose);
      this.socket.on("error", onError);
    });
  }

  setNoDelay(on = true): void {
    this.socket.setNoDelay(on);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.wake();
    if (this.socket.destroyed) return;
    this.socket.end();
    const t = setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS);
    Deno.unrefTimer(t);
    this.socket.once("close", () => clearTimeout(t));
  }
}

const EMPTY = new Uint8Array(0);
