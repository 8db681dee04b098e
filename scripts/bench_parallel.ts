// Many producers and consumers at once (issue 21): the gateway's throughput with one rdkafka_performance process
// on one partition, then with N processes at the same time, each on its own partition of an N-partition topic (one
// connection each), for 100 B and 1 KiB records; then the same for partition consumers. Prints the aggregate of
// the N beside the single one, both measured the same way (all their bytes over the wall time from the first start
// to the last finish, process start and the consumers' end-of-partition wait included), and the ratio: head-of-line
// blocking between partitions or connections shows as a ratio below 1. rdkafka_performance's own rates (without its
// start) follow: the single one's, and the sum of the N's.
//
//   deno task bench:parallel [--connections N] [--msgs-100 N] [--msgs-1k N] [--gateway-arg ARG]...
//
// The gateway runs with `--fsync interval` as in `deno task bench`. Every figure comes from the same machine and
// run; the N clients share its cores with the gateway (on 2 cores, N clients compete with it for CPU).
import { startGateway } from "../tests/helpers/gateway.ts";
import { consume, findPerf, produce, type Throughput } from "./bench.ts";
import { WireClient } from "../tests/helpers/wire.ts";
import { type CreateTopicsResponse, CreateTopicsSpec } from "../src/protocol/messages/create_topics.ts";

interface Options {
  connections: number;
  msgs100: number;
  msgs1k: number;
  gatewayArgs: string[];
}

function parseOptions(argv: string[]): Options {
  const o: Options = { connections: 8, msgs100: 4_000_000, msgs1k: 800_000, gatewayArgs: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--connections") o.connections = Number(val());
    else if (a === "--msgs-100") o.msgs100 = Number(val());
    else if (a === "--msgs-1k") o.msgs1k = Number(val());
    else if (a === "--gateway-arg") o.gatewayArgs.push(val());
    else throw new Error(`unknown option ${a}`);
  }
  if (!Number.isInteger(o.connections) || o.connections < 2) throw new Error("--connections must be >= 2");
  return o;
}

interface Aggregate {
  msgs: number;
  bytes: number;
  wallMs: number;
  ok: boolean;
  /** The sum of the processes' own rates (MB/s), each over its own measured time. */
  ownMbPerSec: number;
}

/** Runs `runs` at once; their total over the wall time of all of them. */
async function together(runs: (() => Promise<Throughput>)[]): Promise<Aggregate> {
  const t0 = performance.now();
  const res = await Promise.all(runs.map((r) => r()));
  const wallMs = performance.now() - t0;
  return {
    msgs: res.reduce((n, r) => n + r.msgs, 0),
    bytes: res.reduce((n, r) => n + r.bytes, 0),
    wallMs,
    ok: res.every((r) => r.ok),
    ownMbPerSec: res.reduce((n, r) => n + r.mbPerSec, 0),
  };
}

/** Creates the topics (name, partitions) through the gateway; throws on any error. */
async function createTopics(port: number, topics: [string, number][]): Promise<void> {
  const c = await WireClient.connect(port, "bench-parallel");
  try {
    const r = await c.call<CreateTopicsResponse>(CreateTopicsSpec, 5, {
      topics: topics.map(([name, numPartitions]) => ({
        name,
        numPartitions,
        replicationFactor: -1,
        assignments: [],
        configs: [],
      })),
      timeoutMs: 10_000,
      validateOnly: false,
    });
    const bad = r.topics.filter((t) => t.errorCode !== 0);
    if (bad.length > 0) throw new Error(`CreateTopics: ${JSON.stringify(bad)}`);
  } finally {
    c.close();
  }
}

const fmt = (n: number, digits = 1) => n.toLocaleString("en-US", { maximumFractionDigits: digits });

async function main(): Promise<number> {
  const o = parseOptions(Deno.args);
  const perf = await findPerf();
  const n = o.connections;
  const gw = await startGateway({
    args: ["--fsync", "interval", "--fsync-interval-ms", "1000", ...o.gatewayArgs],
  });
  const rows: string[][] = [];
  let failed = false;
  try {
    for (const [size, total] of [[100, o.msgs100], [1024, o.msgs1k]] as const) {
      if (total === 0) continue; // --msgs-100 0 / --msgs-1k 0: that size is left out
      const one = `one-${size}`, many = `many-${size}`;
      await createTopics(gw.port, [[one, 1], [many, n]]);
      // produce: one process on one partition, then n at once (each its share of the same total)
      const single = await together([
        () => produce(perf, gw.bootstrap, `produce ${size} B x1`, one, size, total),
      ]);
      const each = Math.floor(total / n);
      const multi = await together(
        [...Array(n).keys()].map((p) => () =>
          produce(perf, gw.bootstrap, `produce ${size} B #${p}`, many, size, each, undefined, [], p)
        ),
      );
      // fetch: the same, from the beginning of what was produced
      const singleC = await together([() => consume(perf, gw.bootstrap, `fetch ${size} B x1`, one, total)]);
      const multiC = await together(
        [...Array(n).keys()].map((p) => () =>
          consume(perf, gw.bootstrap, `fetch ${size} B #${p}`, many, each, undefined, [], p)
        ),
      );
      for (
        const [what, s, m] of [
          [`produce ${size} B`, single, multi],
          [`fetch ${size} B`, singleC, multiC],
        ] as const
      ) {
        const rate = (a: Aggregate) =>
          `${fmt(a.bytes / 1e6 / (a.wallMs / 1000))} MB/s (${fmt(a.msgs / (a.wallMs / 1000), 0)} msg/s)`;
        failed ||= !s.ok || !m.ok;
        rows.push([
          what,
          rate(s),
          rate(m),
          `${fmt((100 * (m.bytes / m.wallMs)) / (s.bytes / s.wallMs), 0)} %`,
          `${fmt(s.ownMbPerSec)} / ${fmt(m.ownMbPerSec)} MB/s`,
          s.ok && m.ok ? "" : "FAILED",
        ]);
      }
    }
  } finally {
    await gw.stop();
  }
  console.log(
    `\n| workload | 1 connection, 1 partition | ${n} connections x ${n} partitions | ratio | ` +
      `rdkafka_performance's own: 1 / sum of ${n} | |`,
  );
  console.log("|---|---|---|---|---|---|");
  for (const r of rows) console.log(`| ${r.join(" | ")} |`);
  return failed ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());
