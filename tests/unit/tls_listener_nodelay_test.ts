// TCP_NODELAY on Deno's TLS listeners (src/security/tls/listener_nodelay.ts): set once on the listening socket, and
// inherited by the connections it accepts (Linux), which Deno.TlsConn cannot set itself.
import { assert, assertEquals } from "./assert.ts";
import { noDelayOf, noDelayOnListener, socketFd } from "../../src/security/tls/listener_nodelay.ts";
import { makePki, opensslTool } from "../helpers/certs.ts";

Deno.test({
  name: "tls nodelay: set on the listener, the accepted TLS connection has it; unknown ports are said so",
  ignore: Deno.build.os !== "linux" || opensslTool.ignore,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "kgw-nodelay-" });
    try {
      const pki = await makePki(dir);
      const listener = Deno.listenTls({
        hostname: "127.0.0.1",
        port: 0,
        cert: await Deno.readTextFile(pki.serverCert),
        key: await Deno.readTextFile(pki.serverKey),
      });
      const port = listener.addr.port;
      const before = socketFd(port);
      assert(before >= 3, "the listening socket is found");
      assertEquals(noDelayOf(before), false, "Deno leaves TCP_NODELAY off on TLS listeners");
      assertEquals(noDelayOnListener(port), null);
      assertEquals(noDelayOf(before), true);

      const client = Deno.connectTls({
        hostname: "localhost",
        port,
        caCerts: [await Deno.readTextFile(pki.caCert)],
      });
      const accepted = await listener.accept();
      const conn = await client;
      await Promise.all([accepted.handshake(), conn.handshake()]);
      const fd = socketFd(port, accepted.remoteAddr.port);
      assert(fd >= 3 && fd !== before, `the accepted connection's descriptor (${fd})`);
      assertEquals(noDelayOf(fd), true, "inherited from the listener");
      conn.close();
      accepted.close();
      listener.close();
      assert(noDelayOnListener(port)?.includes("not found"), "a port nobody listens on");
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
