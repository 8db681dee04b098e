// A loopback TCP forwarder that rides out a restart of what it forwards to: a connection accepted while the target
// refuses is held (the target is dialled again every 100 ms, up to `holdMs`) instead of refused, as a load balancer
// in front of a restarting broker would. burrow_test.ts puts one in front of the gateway it restarts: Burrow 1.2.1
// (Sarama) gives up on a single-broker cluster that refuses it for about a second and never recovers its consumer,
// while the gateway on SeaweedMQ takes about that long to listen again. The gateway advertises the forwarder's
// address, so every client connection goes through it.
import { freePort } from "./burrow.ts";

export interface TcpProxy {
  readonly port: number;
  close(): void;
}

async function dial(port: number, holdMs: number): Promise<Deno.TcpConn | null> {
  const deadline = Date.now() + holdMs;
  for (;;) {
    try {
      return await Deno.connect({ hostname: "127.0.0.1", port });
    } catch {
      if (Date.now() > deadline) return null;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function pipe(from: Deno.TcpConn, to: Deno.TcpConn): Promise<void> {
  try {
    await from.readable.pipeTo(to.writable, { preventClose: false });
  } catch { /* either side closed */ }
  for (const c of [from, to]) {
    try {
      c.close();
    } catch { /* closed */ }
  }
}

/** Forwards 127.0.0.1:<port> (a free port) to 127.0.0.1:`target`. */
export function startTcpProxy(target: number, holdMs = 30_000): TcpProxy {
  const port = freePort();
  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  const open = new Set<Deno.TcpConn>();
  (async () => {
    for await (const client of listener) {
      open.add(client);
      (async () => {
        const upstream = await dial(target, holdMs);
        if (upstream === null) {
          open.delete(client);
          try {
            client.close();
          } catch { /* closed */ }
          return;
        }
        open.add(upstream);
        await Promise.all([pipe(client, upstream), pipe(upstream, client)]);
        open.delete(client);
        open.delete(upstream);
      })();
    }
  })().catch(() => {});
  return {
    port,
    close: () => {
      try {
        listener.close();
      } catch { /* closed */ }
      for (const c of open) {
        try {
          c.close();
        } catch { /* closed */ }
      }
    },
  };
}
