// A loopback port free at the time of asking (the kernel's pick for port 0), for servers a test starts on a
// known port: a gateway restarted on the same address, a forwarder, Burrow's and ZooKeeper's listeners.
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}
