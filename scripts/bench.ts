// Throughput / latency / memory benchmark of the gateway with librdkafka's own load tool, rdkafka_performance
// (librdkafka 2.0.2, built by scripts/setup_librdkafka.sh). All traffic goes to 127.0.0.1; every phase has a time
// limit, and the whole run takes a few minutes at most.
//
//   deno task bench [--quick] [--msgs-100 N] [--msgs-1k N] [--no-latency] [--group] [--gateway-arg ARG]...
//                   [--loopback-seconds S] [--loopback-only] [--compression CODEC] [--produce-only] [--json FILE]
//
// Phases:
//  (a) raw loopback TCP in Deno: one connection, a Worker writes 1 MiB chunks for ~3 s, the main thread reads
//      (the gateway's side of a produce) -> MB/s. This is the ceiling the produce figures are compared with.
//  (b) the gateway (main.ts) on a free port, with a fresh temp data dir and `--fsync interval` (fsync every
//      --fsync-interval-ms = 1000 ms in the background; writes reach the OS before the ack).
//  (c) rdkafka_performance, one single-partition topic per message size:
//      produce  -P -s 100|1024 -a 1 -X linger.ms=5 -X batch.num.messages=10000 -p 0
//               acks=1 (the leader's ack; with one broker acks=all means the same wait), linger 5 ms (librdkafka
//               2.x default; rdkafka_performance itself would set 1000 ms), up to 10,000 msgs per batch (batch.size
//               1,000,000 bytes caps the 1 KiB batches at ~1 MB), no compression. msg/s and MB/s are the tool's own
//               figures: delivered messages from the first produce() to the last delivery report.
//               `--compression gzip|snappy|lz4|zstd` adds -z CODEC (the gateway then decompresses and checks every
//               batch on produce); the payload is the tool's repeated 31-byte text pattern, so it compresses well.
//               `--produce-only` skips the fetch and latency phases.
//      fetch    -C -p 0 -o beginning -c N -e  (partition consumer; the tool's figures, from the first message
//               received to the last). `--group` adds a -G (consumer group) run over the 100 B topic.
//      latency  -P -l -A FILE -r 1000 -c 4000 -s 100 -a 1 -X linger.ms=0: light load; each message carries its
//               send time and the delivery report gives produce->ack latency, one sample per message; p50/p99/
//               p99.9/max are computed from the samples. The tool's rate limiter sleeps in whole milliseconds, so
//               -r 1000 gives ~500 msg/s (the achieved rate is printed); faster rates make it busy-spin a core,
//               which on a 2-core machine competes with the gateway and inflates the tail.
//  (d) the gateway's VmRSS / VmHWM (/proc/<pid>/status) after every phase.
//  (e) a table with the targets: produce 100 B >= 500,000 msg/s, fetch 100 B >= 1,000,000 msg/s, produce 1 KiB
//      >= 50 % of raw loopback MB/s. Results are also written as JSON (default .bench/bench-<time>.json).
// MB = 10^6 bytes everywhere (rdkafka_performance prints bytes per microsecond).
import { type RunningGateway, startGateway } from "../tests/helpers/gateway.ts";

const ROOT = new URL("..", import.meta.url).pathname;

// ---------------------------------------------------------------------------------------------------- options
interface Options {
  msgs100: number;
  msgs1k: number;
  latency: boolean;
  group: boolean;
  loopbackSeconds: number;
  loopbackOnly: boolean;
  gatewayArgs: string[];
  /** Producer compression codec (-z), or undefined for none. */
  compression?: string;
  produceOnly: boolean;
  json?: string;
}

function parseOptions(argv: string[]): Options {
  const o: Options = {
    msgs100: 2_000_000,
    msgs1k: 400_000,
    latency: true,
    group: false,
    loopbackSeconds: 3,
    loopbackOnly: false,
    gatewayArgs: [],
    produceOnly: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--quick") {
      o.msgs100 = 300_000;
      o.msgs1k = 60_000;
      o.loopbackSeconds = 2;
    } else if (a === "--msgs-100") o.msgs100 = Number(val());
    else if (a === "--msgs-1k") o.msgs1k = Number(val());
    else if (a === "--no-latency") o.latency = false;
    else if (a === "--group") o.group = true;
    else if (a === "--loopback-seconds") o.loopbackSeconds = Number(val());
    else if (a === "--loopback-only") o.loopbackOnly = true;
    else if (a === "--gateway-arg") o.gatewayArgs.push(val());
    else if (a === "--compression") {
      o.compression = val();
      if (!["gzip", "snappy", "lz4", "zstd"].includes(o.compression)) {
        throw new Error(`--compression must be gzip, snappy, lz4 or zstd, got ${o.compression}`);
      }
    } else if (a === "--produce-only") o.produceOnly = true;
    else if (a === "--json") o.json = val();
    else if (a === "--help" || a === "-h") {
      console.log(
        "deno task bench [--quick] [--msgs-100 N] [--msgs-1k N] [--no-latency] [--group] [--gateway-arg ARG]... " +
          "[--loopback-seconds S] [--loopback-only] [--compression gzip|snappy|lz4|zstd] [--produce-only] " +
          "[--json FILE]",
      );
      Deno.exit(0);
    } else throw new Error(`unknown argument ${a} (see --help)`);
  }
  for (const [k, v] of Object.entries(o)) {
    if (typeof v === "number" && !(v > 0)) throw new Error(`--${k} must be a positive number`);
  }
  return o;
}

// ---------------------------------------------------------------------------------------------------- helpers
const MB = 1e6;
const fmtInt = (n: number) => Math.round(n).toLocaleString("en-US");
const fmtMB = (n: number) => n.toFixed(1);

function log(msg: string) {
  console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);
}

interface Memory {
  phase: string;
  rssMiB: number;
  hwmMiB: number;
}

/** VmRSS/VmHWM of a process. Read through `cat`: Deno wants --allow-all for any read under /proc. */
async function memoryOf(pid: number, phase: string): Promise<Memory | null> {
  try {
    const out = await new Deno.Command("cat", {
      args: [`/proc/${pid}/status`],
      stdout: "piped",
      stderr: "null",
    }).output();
    if (!out.success) return null;
    const status = new TextDecoder().decode(out.stdout);
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
    return { phase, rssMiB: kb("VmRSS") / 1024, hwmMiB: kb("VmHWM") / 1024 };
  } catch {
    return null;
  }
}

interface ProcResult {
  code: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  wallMs: number;
}

async function run(
  cmd: string,
  args: string[],
  timeoutMs: number,
  env?: Record<string, string>,
): Promise<ProcResult> {
  const ac = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ac.abort();
  }, timeoutMs);
  const t0 = performance.now();
  try {
    const out = await new Deno.Command(cmd, {
      args,
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
      signal: ac.signal,
      env,
    })
      .output();
    const dec = new TextDecoder();
    return {
      code: out.code,
      stdout: dec.decode(out.stdout),
      stderr: dec.decode(out.stderr),
      timedOut,
      wallMs: performance.now() - t0,
    };
  } finally {
    clearTimeout(timer);
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

// ---------------------------------------------------------------------------------------------------- (a) loopback
const WRITER_WORKER = `
self.onmessage = async (e) => {
  const { port, seconds } = e.data;
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const chunk = new Uint8Array(1 << 20).fill(120);
  const end = performance.now() + seconds * 1000;
  let written = 0;
  while (performance.now() < end) {
    let off = 0;
    while (off < chunk.length) off += await conn.write(chunk.subarray(off));
    written += chunk.length;
  }
  conn.close();
  self.postMessage(written);
};
`;

async function rawLoopback(seconds: number): Promise<{ mbps: number; bytes: number; seconds: number }> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const url = URL.createObjectURL(new Blob([WRITER_WORKER], { type: "text/javascript" }));
  const worker = new Worker(url, { type: "module" });
  try {
    const written = new Promise<number>((resolve, reject) => {
      worker.onmessage = (e) => resolve(e.data as number);
      worker.onerror = (e) => {
        e.preventDefault();
        reject(new Error(`loopback writer failed: ${e.message}`));
      };
    });
    worker.postMessage({ port: (listener.addr as Deno.NetAddr).port, seconds });
    const conn = await listener.accept();
    const buf = new Uint8Array(1 << 20);
    let bytes = 0;
    let t0 = 0;
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      if (t0 === 0) t0 = performance.now();
      bytes += n;
    }
    const secs = (performance.now() - t0) / 1000;
    conn.close();
    const w = await written;
    if (w !== bytes) throw new Error(`loopback: wrote ${w} bytes, read ${bytes}`);
    return { mbps: bytes / MB / secs, bytes, seconds: secs };
  } finally {
    worker.terminate();
    URL.revokeObjectURL(url);
    listener.close();
  }
}

// ---------------------------------------------------------------------------------------------------- (c) tools
async function findPerf(): Promise<string> {
  const cache = Deno.env.get("KGW_CACHE") ?? `${Deno.env.get("HOME")}/.cache/kgw`;
  const candidates = [
    Deno.env.get("RDKAFKA_PERFORMANCE"),
    `${cache}/librdkafka-2.0.2/examples/rdkafka_performance`,
  ];
  for (const c of candidates) {
    if (c && await Deno.stat(c).then((s) => s.isFile, () => false)) return c;
  }
  log("rdkafka_performance not built yet: running scripts/setup_librdkafka.sh (about a minute, once)");
  const r = await run("bash", [`${ROOT}scripts/setup_librdkafka.sh`], 15 * 60_000);
  if (r.code !== 0) throw new Error(`setup_librdkafka.sh failed (exit ${r.code}):\n${r.stderr.slice(-3000)}`);
  const m = /^RDKAFKA_PERFORMANCE=(.+)$/m.exec(r.stdout);
  if (!m) throw new Error(`setup_librdkafka.sh printed no RDKAFKA_PERFORMANCE path:\n${r.stdout}`);
  return m[1].trim();
}

interface Throughput {
  name: string;
  msgs: number;
  bytes: number;
  ms: number;
  msgsPerSec: number;
  mbPerSec: number;
  ok: boolean;
  note?: string;
  command: string;
}

const PRODUCE_RE =
  /% (\d+) messages produced \((\d+) bytes\), (\d+) delivered \(offset (-?\d+), (\d+) failed\) in (\d+)ms: (\d+) msgs\/s and ([\d.]+) MB\/s/g;
const CONSUME_RE = /% (\d+) messages \((\d+) bytes\) consumed in (\d+)ms: (\d+) msgs\/s \(([\d.]+) MB\/s\)/g;

function lastMatch(re: RegExp, text: string): RegExpExecArray | null {
  let last: RegExpExecArray | null = null;
  for (const m of text.matchAll(re)) last = m as RegExpExecArray;
  return last;
}

function failure(name: string, command: string, r: ProcResult, why: string): Throughput {
  const tail = (s: string) => s.trim().split("\n").slice(-12).join("\n    ");
  log(
    `${name}: ${why} (exit ${r.code}${r.timedOut ? ", killed at time limit" : ""})\n  stdout:\n    ${
      tail(r.stdout)
    }\n  stderr:\n    ${tail(r.stderr)}`,
  );
  return { name, msgs: 0, bytes: 0, ms: 0, msgsPerSec: 0, mbPerSec: 0, ok: false, note: why, command };
}

async function produce(
  perf: string,
  bootstrap: string,
  name: string,
  topic: string,
  size: number,
  count: number,
  compression?: string,
) {
  const args = [
    "-P",
    "-t",
    topic,
    "-p",
    "0",
    "-b",
    bootstrap,
    "-s",
    String(size),
    "-c",
    String(count),
    "-a",
    "1",
  ];
  args.push("-X", "linger.ms=5", "-X", "batch.num.messages=10000", "-X", "message.timeout.ms=60000");
  if (compression) args.push("-z", compression);
  const command = `rdkafka_performance ${args.join(" ")}`;
  log(`${name}: ${command}`);
  const r = await run(perf, args, 180_000);
  const m = lastMatch(PRODUCE_RE, r.stdout);
  if (!m) return failure(name, command, r, "no summary line");
  const [, , , delivered, , failed, ms, msgsPerSec, mbPerSec] = m.map(Number);
  const res: Throughput = {
    name,
    msgs: delivered,
    bytes: delivered * size,
    ms,
    msgsPerSec,
    mbPerSec,
    ok: r.code === 0 && delivered === count && failed === 0 && !r.timedOut,
    command,
  };
  if (!res.ok) {
    res.note = `${delivered}/${count} delivered, ${failed} failed, exit ${r.code}`;
    failure(name, command, r, res.note);
  }
  return res;
}

async function consume(
  perf: string,
  bootstrap: string,
  name: string,
  topic: string,
  count: number,
  group?: string,
): Promise<Throughput> {
  const args = group
    ? [
      "-G",
      group,
      "-t",
      topic,
      "-b",
      bootstrap,
      "-c",
      String(count),
      "-e",
      "-X",
      "auto.offset.reset=earliest",
    ]
    : ["-C", "-t", topic, "-p", "0", "-b", bootstrap, "-o", "beginning", "-c", String(count), "-e"];
  const command = `rdkafka_performance ${args.join(" ")}`;
  log(`${name}: ${command}`);
  const r = await run(perf, args, 180_000);
  const m = lastMatch(CONSUME_RE, r.stdout);
  if (!m) return failure(name, command, r, "no summary line");
  const [, msgs, bytes, ms, msgsPerSec, mbPerSec] = m.map(Number);
  const res: Throughput = {
    name,
    msgs,
    bytes,
    ms,
    msgsPerSec,
    mbPerSec,
    ok: msgs === count && !r.timedOut,
    command,
  };
  if (!res.ok) {
    res.note = `${msgs}/${count} consumed, exit ${r.code}`;
    failure(name, command, r, res.note);
  }
  return res;
}

interface Latency {
  samples: number;
  achievedMsgsPerSec: number;
  p50ms: number;
  p99ms: number;
  p999ms: number;
  maxMs: number;
  ok: boolean;
  note?: string;
  command: string;
}

async function latency(perf: string, bootstrap: string, tmp: string): Promise<Latency> {
  const file = `${tmp}/latency.txt`;
  const rate = 1_000;
  const count = 4_000;
  const args = [
    "-P",
    "-t",
    "bench-latency",
    "-p",
    "0",
    "-b",
    bootstrap,
    "-s",
    "100",
    "-c",
    String(count),
    "-a",
    "1",
  ];
  args.push("-l", "-A", file, "-r", String(rate), "-X", "linger.ms=0", "-X", "message.timeout.ms=30000");
  const command = `rdkafka_performance ${args.join(" ")}`;
  log(`produce latency: ${command}`);
  const r = await run(perf, args, 60_000);
  let samples: number[] = [];
  try {
    samples = (await Deno.readTextFile(file)).split("\n").filter((l) => l.trim() !== "").map(Number)
      .filter((n) => Number.isFinite(n)).sort((a, b) => a - b);
  } catch { /* no file: reported below */ }
  const m = lastMatch(PRODUCE_RE, r.stdout);
  const res: Latency = {
    samples: samples.length,
    achievedMsgsPerSec: m ? Number(m[7]) : NaN,
    p50ms: percentile(samples, 50) / 1000,
    p99ms: percentile(samples, 99) / 1000,
    p999ms: percentile(samples, 99.9) / 1000,
    maxMs: (samples.at(-1) ?? NaN) / 1000,
    ok: r.code === 0 && samples.length === count && !r.timedOut,
    command,
  };
  if (!res.ok) {
    res.note = `${samples.length}/${count} samples, exit ${r.code}`;
    failure("produce latency", command, r, res.note);
  }
  return res;
}

// ---------------------------------------------------------------------------------------------------- main
async function main(): Promise<number> {
  const o = parseOptions(Deno.args);
  const started = performance.now();

  log(`raw loopback: 1 connection, 1 MiB writes for ${o.loopbackSeconds} s`);
  const loop = await rawLoopback(o.loopbackSeconds);
  log(
    `raw loopback: ${fmtMB(loop.mbps)} MB/s (${fmtInt(loop.bytes / MB)} MB in ${loop.seconds.toFixed(2)} s)`,
  );
  if (o.loopbackOnly) {
    console.log(`raw loopback TCP (Deno, 1 connection, 1 MiB writes): ${fmtMB(loop.mbps)} MB/s`);
    return 0;
  }
  const perf = await findPerf();

  const tmp = await Deno.makeTempDir({ prefix: "kgw-bench-" });
  const gatewayArgs = ["--fsync", "interval", "--fsync-interval-ms", "1000", ...o.gatewayArgs];
  log(`starting gateway: main.ts ${gatewayArgs.join(" ")} (data dir ${tmp}/data)`);
  let gw: RunningGateway | undefined;
  const memory: Memory[] = [];
  const results: Throughput[] = [];
  let lat: Latency | undefined;
  let gatewayDied = false;
  try {
    gw = await startGateway({ dataDir: `${tmp}/data`, args: gatewayArgs });
    const g = gw;
    const mem = async (phase: string) => {
      const m = await memoryOf(g.pid, phase);
      if (m) memory.push(m);
      else {
        gatewayDied = true;
        log(
          `gateway process ${g.pid} is gone after "${phase}"; last log lines:\n${
            g.logs().split("\n").slice(-30).join("\n")
          }`,
        );
      }
      return !!m;
    };
    await mem("idle");
    const z = o.compression;
    const p100 = z ? `produce 100 B ${z}` : "produce 100 B";
    const p1k = z ? `produce 1 KiB ${z}` : "produce 1 KiB";
    const phases: [string, () => Promise<Throughput | Latency>][] = [
      [p100, () => produce(perf, g.bootstrap, p100, "bench-100", 100, o.msgs100, z)],
      [p1k, () => produce(perf, g.bootstrap, p1k, "bench-1k", 1024, o.msgs1k, z)],
    ];
    if (!o.produceOnly) {
      phases.push(
        ["fetch 100 B", () => consume(perf, g.bootstrap, "fetch 100 B", "bench-100", o.msgs100)],
        ["fetch 1 KiB", () => consume(perf, g.bootstrap, "fetch 1 KiB", "bench-1k", o.msgs1k)],
      );
    }
    if (o.group && !o.produceOnly) {
      phases.push([
        "group fetch 100 B",
        () => consume(perf, g.bootstrap, "group fetch 100 B", "bench-100", o.msgs100, "bench-group"),
      ]);
    }
    if (o.latency && !o.produceOnly) phases.push(["produce latency", () => latency(perf, g.bootstrap, tmp)]);
    for (const [phase, fn] of phases) {
      const r = await fn();
      if ("msgsPerSec" in r) {
        results.push(r);
        if (r.ok) log(`${phase}: ${fmtInt(r.msgsPerSec)} msg/s, ${fmtMB(r.mbPerSec)} MB/s`);
      } else {
        lat = r;
        log(`${phase}: p50 ${r.p50ms.toFixed(2)} ms, p99 ${r.p99ms.toFixed(2)} ms`);
      }
      if (!await mem(`after ${phase}`)) break;
    }
  } catch (e) {
    log(`bench aborted: ${(e as Error).stack ?? e}`);
    if (gw) log(`gateway log tail:\n${gw.logs().split("\n").slice(-30).join("\n")}`);
    gatewayDied = true;
  } finally {
    if (gw) await gw.stop();
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }

  // ---------------------------------------------------------------------------------------------- (e) report
  const byName = new Map(results.map((r) => [r.name, r]));
  const p100 = byName.get("produce 100 B");
  const f100 = byName.get("fetch 100 B");
  const p1k = byName.get("produce 1 KiB");
  const share = p1k?.ok ? (p1k.mbPerSec / loop.mbps) * 100 : NaN;
  const verdict = (ok: boolean | undefined, cond: boolean) => ok ? (cond ? "MET" : "below") : "n/a";
  const rows: string[][] = [["measurement", "msg/s", "MB/s", "target", "status"]];
  rows.push(["raw loopback TCP (Deno, 1 MiB writes)", "-", fmtMB(loop.mbps), "-", "-"]);
  for (const r of results) {
    let target = "-";
    let status = r.ok ? "ok" : `FAILED: ${r.note}`;
    if (r === p100) {
      target = ">= 500,000 msg/s";
      status = r.ok ? verdict(true, r.msgsPerSec >= 500_000) : status;
    } else if (r === f100) {
      target = ">= 1,000,000 msg/s";
      status = r.ok ? verdict(true, r.msgsPerSec >= 1_000_000) : status;
    } else if (r === p1k) {
      target = ">= 50 % of loopback";
      status = r.ok ? `${verdict(true, share >= 50)} (${share.toFixed(1)} % of loopback)` : status;
    }
    rows.push([
      `${r.name} (${fmtInt(r.msgs)} msgs)`,
      r.ok ? fmtInt(r.msgsPerSec) : "-",
      r.ok ? fmtMB(r.mbPerSec) : "-",
      target,
      status,
    ]);
  }
  if (lat) {
    rows.push([
      "produce latency p50 / p99 / p99.9 / max (ms)",
      Number.isFinite(lat.achievedMsgsPerSec) ? fmtInt(lat.achievedMsgsPerSec) : "-",
      "-",
      "-",
      lat.samples
        ? `${lat.p50ms.toFixed(2)} / ${lat.p99ms.toFixed(2)} / ${lat.p999ms.toFixed(2)} / ${
          lat.maxMs.toFixed(2)
        }` +
          (lat.ok ? "" : ` (FAILED: ${lat.note})`)
        : `FAILED: ${lat.note}`,
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i === 1 || i === 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ");
  console.log("");
  console.log(line(rows[0]));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows.slice(1)) console.log(line(r));
  console.log("");
  console.log("gateway memory (VmRSS / VmHWM, MiB):");
  for (const m of memory) {
    console.log(`  ${m.phase.padEnd(28)} ${m.rssMiB.toFixed(1).padStart(8)} / ${m.hwmMiB.toFixed(1)}`);
  }
  console.log(`\ntotal bench time ${((performance.now() - started) / 1000).toFixed(0)} s`);

  const json = {
    date: new Date().toISOString(),
    options: o,
    rawLoopbackMBps: loop.mbps,
    results,
    produce1KiBShareOfLoopbackPct: share,
    latency: lat,
    memory,
    gatewayDied,
  };
  const jsonPath = o.json ?? `${ROOT}.bench/bench-${json.date.replace(/[:.]/g, "-")}.json`;
  await Deno.mkdir(jsonPath.replace(/\/[^/]*$/, ""), { recursive: true });
  await Deno.writeTextFile(jsonPath, JSON.stringify(json, null, 2) + "\n");
  console.log(`results written to ${jsonPath}`);
  const allOk = !gatewayDied && results.every((r) => r.ok) && (lat?.ok ?? true);
  return allOk ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main());
