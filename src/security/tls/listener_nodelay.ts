// TCP_NODELAY for a Deno.listenTls listener. Deno sets TCP_NODELAY on the TCP connections it accepts but not on
// TLS ones, and Deno.TlsConn has no setNoDelay: a response whose last segment is small then waits for the client's
// delayed ACK (~40 ms) — fetch over TLS ran at 10 % of plaintext, and a 64 KiB request/response round trip took
// 45 ms (22/s against 6,600/s with the option). Linux copies TCP_NODELAY from a listening socket to the sockets it
// accepts, so it is set once on the listener: the listener's file descriptor is found by asking each descriptor's
// address and listening state through libc (FFI; Deno allows reading /proc only to --allow-all), then
// setsockopt(TCP_NODELAY). Linux with glibc only: elsewhere it answers why not and the caller uses node:tls.

/** Descriptors looked at (a gateway with more open than this re-binding a listener falls back). */
const MAX_FD = 1 << 16;

const AF_INET = 2;
const AF_INET6 = 10;
const SOL_SOCKET = 1;
const SO_ACCEPTCONN = 30;
const IPPROTO_TCP = 6;
const TCP_NODELAY = 1;

const SYMBOLS = {
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  getpeername: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
} as const;

let libc: Deno.DynamicLibrary<typeof SYMBOLS> | null | undefined;

function open(): Deno.DynamicLibrary<typeof SYMBOLS> | null {
  if (libc === undefined) {
    try {
      libc = Deno.build.os === "linux" ? Deno.dlopen("libc.so.6", SYMBOLS) : null;
    } catch {
      libc = null;
    }
  }
  return libc;
}

/**
 * The descriptor of the TCP socket bound to local `port`: the listening one, or with `peerPort` the connection
 * accepted from that peer port; -1 when not found (or no libc).
 */
export function socketFd(port: number, peerPort?: number): number {
  const c = open();
  if (c === null) return -1;
  const addr = new Uint8Array(128);
  const addrView = new DataView(addr.buffer);
  const len = new Uint32Array(1);
  const lenBytes = new Uint8Array(len.buffer);
  const int = new Int32Array(1);
  const intBytes = new Uint8Array(int.buffer);
  const portOf = (get: "getsockname" | "getpeername", fd: number) => {
    len[0] = addr.length;
    if (c.symbols[get](fd, addr, lenBytes) !== 0) return -1; // not open, or not a socket
    const family = addrView.getUint16(0, true);
    return family === AF_INET || family === AF_INET6 ? addrView.getUint16(2, false) : -1;
  };
  for (let fd = 3; fd < MAX_FD; fd++) {
    if (portOf("getsockname", fd) !== port) continue;
    len[0] = 4;
    if (c.symbols.getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, intBytes, lenBytes) !== 0) continue;
    if (peerPort === undefined ? int[0] === 1 : int[0] === 0 && portOf("getpeername", fd) === peerPort) {
      return fd;
    }
  }
  return -1;
}

/** Whether TCP_NODELAY is set on descriptor `fd` (null: cannot tell). */
export function noDelayOf(fd: number): boolean | null {
  const c = open();
  if (c === null || fd < 0) return null;
  const int = new Int32Array(1);
  const len = new Uint32Array([4]);
  const rc = c.symbols.getsockopt(
    fd,
    IPPROTO_TCP,
    TCP_NODELAY,
    new Uint8Array(int.buffer),
    new Uint8Array(len.buffer),
  );
  return rc === 0 ? int[0] !== 0 : null;
}

/**
 * Sets TCP_NODELAY on the listening TCP socket bound to `port` (so on every connection it accepts). Returns null
 * when done, else why it could not be.
 */
export function noDelayOnListener(port: number): string | null {
  const c = open();
  if (c === null) return `no libc.so.6 to set TCP_NODELAY with on ${Deno.build.os}`;
  const fd = socketFd(port);
  if (fd < 0) {
    return `the listening socket of port ${port} was not found among the first ${MAX_FD} descriptors`;
  }
  const one = new Int32Array([1]);
  if (c.symbols.setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, new Uint8Array(one.buffer), 4) !== 0) {
    return `setsockopt(TCP_NODELAY) failed on the listener of port ${port}`;
  }
  return null;
}
