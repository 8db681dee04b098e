// Cost of metrics on the produce path: rdkafka_performance produce throughput with --metrics true vs false.
//
//   deno task bench:metrics [--rounds N] [--count N] [--scrape-ms MS] [--aa]
//
// Each round starts a fresh gateway (temp data dir, --fsync interval) per mode, in alternating order (on/off,
// then off/on, ...) so drift of the machine does not favour one mode, and runs exactly
//   rdkafka_performance -P -t perf -s 100 -c COUNT -b 127.0.0.1:PORT -u -a 1 -X linger.ms=5
// reading the tool's final delivered-messages-per-second figure. /metrics is polled every --scrape-ms (default
// 1000, far more often than a real Prometheus) during every run, so the scrape cost is included; with metrics
// off the same requests are answered 404, so the harness treats both modes alike. --aa runs both modes with
// metrics off: how far two identical setups land apart on this machine (the noise floor).
// The gateway's own CPU time for the run (utime + stime from /proc/PID/stat, as µs per message) is reported
// too, and the counting work per Produce request is timed in-process (a bound independent of machine noise).
// Prints every run, medians, trimmed means and per-round paired differences; exits 1 when the median throughput
// overhead exceeds 5 %.
import { median } from "./bench.ts";
import { startGateway } from "../tests/helpers/gateway.ts";
import { GatewayMetrics } from "../src/metrics/metrics.ts";
import type { BatchInfo } from "../src/records/batch_info.ts";

const args = Deno.args;
function opt(name: string, def: number): number {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
}
const ROUNDS = opt("--rounds", 5);
const COUNT = opt("--count", 2_000_000);
const SCRAPE_MS = opt("--scrape-ms", 1000);
/** --aa: both "modes" run with metrics off, to see how far two identical setups differ on this machine. */
const AA = args.includes("--aa");
const perf = Deno.env.get("RDKAFKA_PERFORMANCE") ??
  `${
    Deno.env.get("KGW_CACHE") ?? `${Deno.env.get("HOME")}/.cache/kgw`
  }/librdkafka-2.0.2/examples/rdkafka_performance`;

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** utime + stime of a process. Read through `cat`: Deno wants --allow-all for any read under /proc. */
async function cpuSeconds(pid: number): Promise<number> {
  const out = await new Deno.Command("cat", { args: [`/proc/${pid}/stat`], stdout: "piped" }).output();
  const stat = new TextDecoder().decode(out.stdout);
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND; // fields 14 and 15: utime, stime
}

/**
 * What the request path adds per Produce request with metrics on, timed in-process: two performance.now(), the
 * request counter and latency histogram, bytes and records of the topic, the batch-size histograms, response
 * bytes. Multiplied by the requests of a run this bounds the cost independently of machine noise.
 */
function microNsPerRequest(): number {
  const m = new GatewayMetrics(1000, [{ key: 0, name: "Produce" }]);
  const batches = [{ recordCount: 10000 }] as unknown as BatchInfo[];
  const n = 2_000_000;
  for (let round = 0; round < 2; round++) { // the first round warms up the JIT
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const s = performance.now();
      m.produced("perf", 1_000_000, batches);
      m.request(0, 7, performance.now() - s, 1_000_100);
      m.sent(60);
    }
    if (round === 1) return (performance.now() - t0) * 1e6 / n;
  }
  return 0;
}

async function once(metrics: boolean): Promise<{ rate: number; cpuUsPerMsg: number; requests: number }> {
  const dataDir = await Deno.makeTempDir({ prefix: "kgw-bench-metrics-" });
  const gw = await startGateway({
    dataDir,
    args: ["--metrics", String(metrics && !AA), "--fsync", "interval"],
  });
  let scrapes = 0;
  const stopScrape = Promise.withResolvers<void>();
  const scraper = (async () => {
    // Both modes are polled alike (with metrics off /metrics answers 404), so the harness treats them the same.
    if (gw.httpPort === null) return;
    while (true) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const stop = await Promise.race([
        stopScrape.promise.then(() => true),
        new Promise<boolean>((r) => timer = setTimeout(() => r(false), SCRAPE_MS)),
      ]);
      clearTimeout(timer);
      if (stop) return;
      const r = await fetch(`http://127.0.0.1:${gw.httpPort}/metrics`).catch(() => null);
      if (r) {
        await r.text();
        scrapes++;
      }
    }
  })();
  try {
    const cpu0 = await cpuSeconds(gw.pid);
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), 180_000);
    const out = await new Deno.Command(perf, {
      args: [
        "-P",
        "-t",
        "perf",
        "-s",
        "100",
        "-c",
        String(COUNT),
        "-b",
        gw.bootstrap,
        "-u",
        "-a",
        "1",
        "-X",
        "linger.ms=5",
      ],
      stdout: "piped",
      stderr: "piped",
      signal: ac.signal,
    }).output().finally(() => clearTimeout(timer));
    const cpu = await cpuSeconds(gw.pid) - cpu0;
    const text = new TextDecoder().decode(out.stdout);
    // -u prints table rows: | elapsed ms | msgs | bytes | rtt | dr | dr_m/s | dr_MB/s | dr_err | tx_err | outq | offset
    const rows = text.split("\n").filter((l) => /^\|\s+\d/.test(l)).map((l) =>
      l.split("|").map((c) => c.trim()).filter((c) => c !== "").map(Number)
    );
    const last = rows.at(-1);
    if (!last || last[4] !== COUNT) {
      throw new Error(`rdkafka_performance did not deliver ${COUNT}:\n${text.slice(-600)}`);
    }
    const rate = last[5];
    const cpuUsPerMsg = cpu * 1e6 / COUNT;
    let requests = 0;
    if (gw.httpPort !== null) {
      const text = await (await fetch(`http://127.0.0.1:${gw.httpPort}/metrics`)).text();
      for (const m of text.matchAll(/^kgw_requests_total\{api="Produce",[^}]*\} (\d+)$/gm)) {
        requests += Number(m[1]);
      }
    }
    console.log(
      `  metrics ${metrics ? "on " : "off"}: ${rate} msg/s, gateway CPU ${cpu.toFixed(2)} s = ` +
        `${cpuUsPerMsg.toFixed(3)} µs/msg${
          metrics ? ` (${requests} Produce requests, ${scrapes} scrapes)` : ""
        }`,
    );
    return { rate, cpuUsPerMsg, requests };
  } finally {
    stopScrape.resolve();
    await scraper;
    await gw.stop();
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
}

/** Mean of the middle half (drops the fastest and slowest quarter): steadier than a median for small samples. */
function trimmedMean(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const cut = Math.floor(s.length / 4);
  const mid = s.slice(cut, s.length - cut);
  return mid.reduce((a, b) => a + b, 0) / mid.length;
}

const ns = microNsPerRequest();
console.log(`request-path metrics work: ${ns.toFixed(0)} ns per Produce request (in-process loop)`);
const on: { rate: number; cpuUsPerMsg: number; requests: number }[] = [], off: typeof on = [];
for (let r = 0; r < ROUNDS; r++) {
  console.log(`round ${r + 1}/${ROUNDS}`);
  const order = r % 2 === 0 ? [true, false] : [false, true];
  for (const m of order) (m ? on : off).push(await once(m));
}
const mOn = median(on.map((x) => x.rate)), mOff = median(off.map((x) => x.rate));
const cOn = median(on.map((x) => x.cpuUsPerMsg)), cOff = median(off.map((x) => x.cpuUsPerMsg));
const overhead = (mOff - mOn) / mOff * 100;
const cpuOverhead = (cOn - cOff) / cOff * 100;
console.log(`median metrics on:  ${Math.round(mOn)} msg/s, ${cOn.toFixed(3)} µs CPU/msg`);
console.log(`median metrics off: ${Math.round(mOff)} msg/s, ${cOff.toFixed(3)} µs CPU/msg`);
console.log(
  `throughput overhead: ${overhead.toFixed(2)} % (budget 5 %); CPU per message: ${cpuOverhead.toFixed(2)} %`,
);
const tOn = trimmedMean(on.map((x) => x.rate)), tOff = trimmedMean(off.map((x) => x.rate));
const tcOn = trimmedMean(on.map((x) => x.cpuUsPerMsg)), tcOff = trimmedMean(off.map((x) => x.cpuUsPerMsg));
console.log(
  `trimmed means: on ${Math.round(tOn)} msg/s ${tcOn.toFixed(3)} µs/msg, off ${Math.round(tOff)} msg/s ` +
    `${tcOff.toFixed(3)} µs/msg: throughput ${((tOff - tOn) / tOff * 100).toFixed(2)} %, CPU ` +
    `${((tcOn - tcOff) / tcOff * 100).toFixed(2)} %`,
);
// Paired: each round's on and off ran back to back, under the same conditions.
const pairedRate = median(on.map((x, i) => (off[i].rate - x.rate) / off[i].rate * 100));
const pairedCpu = median(on.map((x, i) => (x.cpuUsPerMsg - off[i].cpuUsPerMsg) / off[i].cpuUsPerMsg * 100));
console.log(
  `paired by round (median of per-round differences): throughput ${
    pairedRate.toFixed(2)
  } %, CPU per message ` +
    `${pairedCpu.toFixed(2)} %`,
);
const reqs = median(on.map((x) => x.requests));
const bound = reqs * ns / 1e9;
console.log(
  `bound from the counting itself: ${reqs} Produce requests x ${ns.toFixed(0)} ns = ${
    (bound * 1e3).toFixed(2)
  } ms ` +
    `per run of ${(COUNT / mOff).toFixed(2)} s = ${(bound / (COUNT / mOff) * 100).toFixed(3)} %`,
);
Deno.exit(overhead <= 5 ? 0 : 1);
