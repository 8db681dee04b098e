// Produce latency under load: rdkafka_performance -l (one produce->ack sample per message; 100 B, acks=1,
// linger 1 ms, one partition) at fixed rates, against the gateway (embedded backend, fsync interval) and, in the
// same run, against librdkafka's in-process mock broker (-X test.mock.num.brokers=1: the client's own tail).
// Prints p50 / p99 / p99.9 / max per rate for both, and the gateway's p99 over the mock's (targets: docs/performance.md).
//
//   deno task bench:latency [--rates 200000,1000000] [--seconds 10] [--gateway-arg ARG]...
//
// The rate limiter of rdkafka_performance busy-spins a core at these rates: on a 2-core machine the client, the
// gateway and its GC threads share two cores, as they do for the mock broker. Each gateway run starts after a
// 20,000-message warm-up on the same topic (topic creation, JIT).
import { startGateway } from "../tests/helpers/gateway.ts";
import { findPerf, type Latency, latency } from "./bench.ts";

function options(): { rates: number[]; seconds: number; gatewayArgs: string[] } {
  const o = { rates: [200_000, 1_000_000], seconds: 10, gatewayArgs: [] as string[] };
  const a = [...Deno.args];
  while (a.length > 0) {
    const k = a.shift()!;
    if (k === "--rates") o.rates = a.shift()!.split(",").map(Number);
    else if (k === "--seconds") o.seconds = Number(a.shift());
    else if (k === "--gateway-arg") o.gatewayArgs.push(a.shift()!);
    else {
      console.error(
        `unknown argument ${k}\nusage: deno task bench:latency [--rates R,R] [--seconds S] [--gateway-arg ARG]...`,
      );
      Deno.exit(2);
    }
  }
  if (o.rates.some((r) => !(r > 0)) || !(o.seconds > 0)) {
    throw new Error("rates and seconds must be positive");
  }
  return o;
}

const fmt = (l: Latency) =>
  l.ok
    ? `${l.p50ms.toFixed(2)} / ${l.p99ms.toFixed(2)} / ${l.p999ms.toFixed(2)} / ${l.maxMs.toFixed(2)} ms at ${
      Math.round(l.achievedMsgsPerSec).toLocaleString("en-US")
    } msg/s`
    : `failed (${l.note ?? "?"})`;

async function main(): Promise<number> {
  const o = options();
  const perf = await findPerf();
  const tmp = await Deno.makeTempDir({ prefix: "kgw-bench-latency-" });
  const rows: { rate: number; gateway: Latency; mock: Latency }[] = [];
  try {
    for (const rate of o.rates) {
      const run = { rate, count: rate * o.seconds, lingerMs: 1, timeoutMs: (o.seconds * 4 + 60) * 1000 };
      const gw = await startGateway({
        dataDir: `${tmp}/data-${rate}`,
        args: ["--fsync", "interval", "--fsync-interval-ms", "1000", ...o.gatewayArgs],
      });
      let gateway: Latency;
      try {
        await latency(perf, gw.bootstrap, tmp, [], { rate: 20_000, count: 20_000, lingerMs: 1 });
        gateway = await latency(perf, gw.bootstrap, tmp, [], run);
      } finally {
        await gw.stop();
      }
      const mock = await latency(perf, "127.0.0.1:1", tmp, ["test.mock.num.brokers=1"], run);
      rows.push({ rate, gateway, mock });
      console.log(`rate ${rate}: gateway ${fmt(gateway)}; mock broker ${fmt(mock)}`);
    }
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
  console.log("\nproduce latency, 100 B, acks=1, linger 1 ms (p50 / p99 / p99.9 / max)");
  for (const { rate, gateway, mock } of rows) {
    const ratio = gateway.ok && mock.ok ? `${(gateway.p99ms / mock.p99ms).toFixed(2)}x the mock's p99` : "-";
    console.log(`${rate.toLocaleString("en-US").padStart(9)} msg/s  gateway ${fmt(gateway)}`);
    console.log(`${"".padStart(15)}  mock    ${fmt(mock)}  (${ratio})`);
  }
  return rows.every((r) => r.gateway.ok && r.mock.ok) ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main());
