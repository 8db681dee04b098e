// Throughput / latency / memory benchmark of the gateway with librdkafka's own load tool, rdkafka_performance
// (librdkafka 2.0.2, built by scripts/setup_librdkafka.sh). All traffic goes to 127.0.0.1; every phase has a time
// limit, and the whole run takes a few minutes at most.
//
//   deno task bench [--quick] [--msgs-100 N] [--msgs-1k N] [--no-latency] [--group] [--gateway-arg ARG]...
//                   [--loopback-seconds S] [--loopback-only] [--compression CODEC] [--produce-only] [--json FILE]
//                   [--peer kafka|mock]
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
//  (f) `--peer kafka`: the same rdkafka_performance phases against a real single-node Apache Kafka (scripts/kafka/
//      kafka.sh, Maven Central jars; log.flush.interval.ms=1000 as the gateway's fsync interval) and against
//      librdkafka's in-process mock broker (-X test.mock.num.brokers=1: the client's own ceiling, produce only),
//      plus Kafka's own kafka-producer-perf-test / kafka-consumer-perf-test (the Java client) against the gateway
//      and Apache Kafka; then a side-by-side table with the gateway's share of each. `--peer mock` adds only the
//      mock broker.
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
  /** Also run the phases against a peer: Apache Kafka (and the mock broker), or only the mock broker. */
  peer?: "kafka" | "mock";
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
    else if (a === "--peer") {
      const p = val();
      if (p !== "kafka" && p !== "mock") throw new Error(`--peer must be kafka or mock, got ${p}`);
      o.peer = p;
    } else if (a === "--json") o.json = val();
    else if (a === "--help" || a === "-h") {
      console.log(
        "deno task bench [--quick] [--msgs-100 N] [--msgs-1k N] [--no-latency] [--group] [--gateway-arg ARG]... " +
          "[--loopback-seconds S] [--loopback-only] [--compression gzip|snappy|lz4|zstd] [--produce-only] " +
          "[--json FILE] [--peer kafka|mock]",
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
/** The middle value (the mean of the two middle ones for an even count); NaN for none. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export async function findPerf(): Promise<string> {
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

export interface Throughput {
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

export async function produce(
  perf: string,
  bootstrap: string,
  name: string,
  topic: string,
  size: number,
  count: number,
  compression?: string,
  props: string[] = [],
  partition = 0,
) {
  const args = [
    "-P",
    "-t",
    topic,
    "-p",
    String(partition),
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
  for (const p of props) args.push("-X", p);
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

export async function consume(
  perf: string,
  bootstrap: string,
  name: string,
  topic: string,
  count: number,
  group?: string,
  props: string[] = [],
  partition = 0,
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
    : [
      "-C",
      "-t",
      topic,
      "-p",
      String(partition),
      "-b",
      bootstrap,
      "-o",
      "beginning",
      "-c",
      String(count),
      "-e",
    ];
  for (const p of props) args.push("-X", p);
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
    // -c stops at the batch that reaches the count: a topic holding more records gives a few more
    ok: msgs >= count && !r.timedOut,
    command,
  };
  if (!res.ok) {
    res.note = `${msgs}/${count} consumed, exit ${r.code}`;
    failure(name, command, r, res.note);
  }
  return res;
}

export interface Latency {
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

/** Light load by default (-r 1000, linger 0); scripts/bench_latency.ts asks for higher rates with a linger. */
export async function latency(
  perf: string,
  bootstrap: string,
  tmp: string,
  props: string[] = [],
  { rate = 1_000, count = 4_000, lingerMs = 0, timeoutMs = 60_000 } = {},
): Promise<Latency> {
  const file = `${tmp}/latency-${crypto.randomUUID()}.txt`;
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
  args.push(
    "-l",
    "-A",
    file,
    "-r",
    String(rate),
    "-X",
    `linger.ms=${lingerMs}`,
    "-X",
    "message.timeout.ms=30000",
  );
  for (const p of props) args.push("-X", p);
  const command = `rdkafka_performance ${args.join(" ")}`;
  log(`produce latency: ${command}`);
  const r = await run(perf, args, timeoutMs);
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

// ---------------------------------------------------------------------------------------------------- targets
/** A Kafka endpoint the same phases run against: the gateway, a peer broker, or librdkafka's mock broker. */
interface Target {
  readonly name: string;
  /** -b for rdkafka_performance and bootstrap.servers for Kafka's perf tools (empty for the mock broker). */
  readonly bootstrap: string;
  /** Process whose memory is reported (null: in the client's own process). */
  readonly pid: number | null;
  /** rdkafka_performance -X properties added to every run (the mock broker's). */
  readonly perfProps: string[];
  /** Produce phases only: the mock broker lives inside each producer process, so nothing is left to fetch. */
  readonly produceOnly: boolean;
}

interface TargetRun {
  target: Target;
  results: Throughput[];
  lat?: Latency;
  javaResults: Throughput[];
  memory: Memory[];
  died: boolean;
}

async function runTarget(perf: string, t: Target, o: Options, tmp: string): Promise<TargetRun> {
  const out: TargetRun = { target: t, results: [], javaResults: [], memory: [], died: false };
  const mem = async (phase: string) => {
    if (t.pid === null) return true;
    const m = await memoryOf(t.pid, phase);
    if (m) out.memory.push(m);
    else {
      out.died = true;
      log(`${t.name}: process ${t.pid} is gone after "${phase}"`);
    }
    return !!m;
  };
  await mem("idle");
  const b = t.bootstrap;
  if (o.peer && !t.produceOnly) {
    // Created up front on every broker compared, so that no phase times a topic's auto-creation (Apache Kafka
    // takes ~1 s to elect a new partition's leader: it showed as a 1 s p99 in the latency phase).
    for (const topic of ["bench-100", "bench-1k", "bench-latency", "bench-java-100", "bench-java-1k"]) {
      const r = await run("bash", [
        `${KAFKA_DIR}tool.sh`,
        "kafka-topics",
        "--bootstrap-server",
        b,
        "--create",
        "--if-not-exists",
        "--topic",
        topic,
        "--partitions",
        "1",
      ], 120_000);
      if (r.code !== 0) throw new Error(`${t.name}: creating ${topic} failed: ${r.stderr.slice(-2000)}`);
    }
  }
  const x = t.perfProps;
  const z = o.compression;
  const p100 = z ? `produce 100 B ${z}` : "produce 100 B";
  const p1k = z ? `produce 1 KiB ${z}` : "produce 1 KiB";
  const phases: [string, () => Promise<Throughput | Latency>][] = [
    [p100, () => produce(perf, b, p100, "bench-100", 100, o.msgs100, z, x)],
    [p1k, () => produce(perf, b, p1k, "bench-1k", 1024, o.msgs1k, z, x)],
  ];
  const fetches = !o.produceOnly && !t.produceOnly;
  if (fetches) {
    phases.push(
      ["fetch 100 B", () => consume(perf, b, "fetch 100 B", "bench-100", o.msgs100)],
      ["fetch 1 KiB", () => consume(perf, b, "fetch 1 KiB", "bench-1k", o.msgs1k)],
    );
  }
  if (o.group && fetches) {
    phases.push([
      "group fetch 100 B",
      () => consume(perf, b, "group fetch 100 B", "bench-100", o.msgs100, "bench-group"),
    ]);
  }
  if (o.latency && !o.produceOnly) phases.push(["produce latency", () => latency(perf, b, tmp, x)]);
  if (o.peer === "kafka" && !t.produceOnly) {
    phases.push(
      ["Java produce 100 B", () => javaProduce(b, "Java produce 100 B", "bench-java-100", 100, o.msgs100)],
      ["Java produce 1 KiB", () => javaProduce(b, "Java produce 1 KiB", "bench-java-1k", 1024, o.msgs1k)],
    );
    if (fetches) {
      phases.push(
        ["Java fetch 1 KiB", () => javaConsume(b, "Java fetch 1 KiB", "bench-java-1k", o.msgs1k)],
      );
    }
  }
  for (const [phase, fn] of phases) {
    const r = await fn();
    if ("msgsPerSec" in r) {
      (phase.startsWith("Java ") ? out.javaResults : out.results).push(r);
      if (r.ok) log(`${t.name}: ${phase}: ${fmtInt(r.msgsPerSec)} msg/s, ${fmtMB(r.mbPerSec)} MB/s`);
    } else {
      out.lat = r;
      log(`${t.name}: ${phase}: p50 ${r.p50ms.toFixed(2)} ms, p99 ${r.p99ms.toFixed(2)} ms`);
    }
    if (!await mem(`after ${phase}`)) break;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------- peers
const KAFKA_DIR = `${ROOT}scripts/kafka/`;

/** A fresh single-node Apache Kafka (scripts/kafka/kafka.sh) with the gateway's fsync policy: flush every 1 s. */
async function startKafka(
  tmp: string,
): Promise<{ bootstrap: string; pid: number; stop: () => Promise<void> }> {
  const dir = `${tmp}/apache-kafka`;
  const r = await run(
    "bash",
    [
      `${KAFKA_DIR}kafka.sh`,
      "start",
      dir,
      "log.flush.interval.ms=1000",
      "log.flush.scheduler.interval.ms=1000",
      "message.max.bytes=1048588",
    ],
    15 * 60_000,
    { KAFKA_HEAP_OPTS: "-Xmx1g -Xms1g" },
  );
  const bootstrap = /^BOOTSTRAP=(\S+)$/m.exec(r.stdout)?.[1];
  if (r.code !== 0 || !bootstrap) {
    throw new Error(`Apache Kafka did not start (exit ${r.code}):\n${r.stdout}\n${r.stderr.slice(-3000)}`);
  }
  const pid = Number((await Deno.readTextFile(`${dir}/kafka.pid`)).trim());
  return {
    bootstrap,
    pid,
    stop: async () => {
      await run("bash", [`${KAFKA_DIR}kafka.sh`, "stop", dir], 60_000);
    },
  };
}

// kafka-producer-perf-test's last line: "N records sent, R records/sec (M MB/sec), A ms avg latency, X ms max
// latency, p50 ms 50th, p95 ms 95th, p99 ms 99th, p999 ms 99.9th."
const JAVA_PRODUCE_RE = /(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\)/;

/** Kafka's own producer benchmark tool (the Java client) with the same batching as the rdkafka runs. */
async function javaProduce(
  bootstrap: string,
  name: string,
  topic: string,
  size: number,
  count: number,
): Promise<Throughput> {
  const args = [
    "kafka-producer-perf-test",
    "--topic",
    topic,
    "--num-records",
    String(count),
    "--record-size",
    String(size),
    "--throughput",
    "-1",
    "--producer-props",
    `bootstrap.servers=${bootstrap}`,
    "acks=1",
    "linger.ms=5",
    "batch.size=1000000",
    "max.request.size=1048576",
    "buffer.memory=268435456",
  ];
  const command = args.join(" ");
  log(`${name}: ${command}`);
  const r = await run("bash", [`${KAFKA_DIR}tool.sh`, ...args], 300_000, {
    KAFKA_HEAP_OPTS: "-Xmx1g",
    KAFKA_JVM_PERFORMANCE_OPTS: "-XX:+UseG1GC",
  });
  const m = JAVA_PRODUCE_RE.exec(r.stdout.trim().split("\n").at(-1) ?? "");
  if (!m) return failure(name, command, r, "no summary line");
  const sent = Number(m[1]);
  const msgsPerSec = Number(m[2]);
  // The tool's MB is 2^20 bytes; the table's is 10^6.
  const mbPerSec = Number(m[3]) * 1048576 / MB;
  const res: Throughput = {
    name,
    msgs: sent,
    bytes: sent * size,
    ms: (sent / msgsPerSec) * 1000,
    msgsPerSec,
    mbPerSec,
    ok: r.code === 0 && sent === count && !r.timedOut,
    command,
  };
  if (!res.ok) res.note = `${sent}/${count} sent, exit ${r.code}`;
  return res;
}

/**
 * Kafka's own consumer benchmark tool. Its CSV last line: start, end, MB, MB/s, nMsg, nMsg/s, rebalance ms, fetch
 * ms, fetch MB/s, fetch nMsg/s: the fetch-only figures are taken (the group's join is not throughput).
 */
async function javaConsume(
  bootstrap: string,
  name: string,
  topic: string,
  count: number,
): Promise<Throughput> {
  const args = [
    "kafka-consumer-perf-test",
    "--bootstrap-server",
    bootstrap,
    "--topic",
    topic,
    "--messages",
    String(count),
    "--timeout",
    "60000",
  ];
  const command = args.join(" ");
  log(`${name}: ${command}`);
  const r = await run("bash", [`${KAFKA_DIR}tool.sh`, ...args], 300_000, {
    KAFKA_HEAP_OPTS: "-Xmx1g",
    KAFKA_JVM_PERFORMANCE_OPTS: "-XX:+UseG1GC",
  });
  const cols = (r.stdout.trim().split("\n").at(-1) ?? "").split(",").map((c) => Number(c.trim()));
  const [mib, msgs, fetchMs] = [cols[2], cols[4], cols[7]];
  if (cols.length < 10 || !(msgs > 0) || !(fetchMs > 0)) return failure(name, command, r, "no summary line");
  const seconds = fetchMs / 1000;
  const res: Throughput = {
    name,
    msgs,
    bytes: mib * 1048576,
    ms: fetchMs,
    msgsPerSec: msgs / seconds,
    mbPerSec: (mib * 1048576) / MB / seconds,
    ok: r.code === 0 && msgs >= count && !r.timedOut,
    command,
  };
  if (!res.ok) res.note = `${msgs}/${count} consumed, exit ${r.code}`;
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
  const runs: TargetRun[] = [];
  let failed = false;
  try {
    log(`starting gateway: main.ts ${gatewayArgs.join(" ")} (data dir ${tmp}/data)`);
    let gw: RunningGateway | undefined;
    try {
      gw = await startGateway({ dataDir: `${tmp}/data`, args: gatewayArgs });
      const r = await runTarget(
        perf,
        {
          name: "gateway",
          bootstrap: gw.bootstrap,
          pid: gw.pid,
          perfProps: [],
          produceOnly: false,
        },
        o,
        tmp,
      );
      if (r.died) log(`gateway log tail:\n${gw.logs().split("\n").slice(-30).join("\n")}`);
      runs.push(r);
    } finally {
      if (gw) await gw.stop();
    }
    if (o.peer === "kafka") {
      log(
        "starting Apache Kafka (scripts/kafka/kafka.sh; log.flush.interval.ms=1000, as the gateway's fsync)",
      );
      const k = await startKafka(tmp);
      try {
        runs.push(
          await runTarget(
            perf,
            {
              name: "Apache Kafka",
              bootstrap: k.bootstrap,
              pid: k.pid,
              perfProps: [],
              produceOnly: false,
            },
            o,
            tmp,
          ),
        );
      } finally {
        await k.stop();
      }
    }
    if (o.peer === "mock" || o.peer === "kafka") {
      runs.push(
        await runTarget(
          perf,
          {
            name: "librdkafka mock broker",
            bootstrap: "127.0.0.1:1",
            pid: null,
            perfProps: ["test.mock.num.brokers=1"],
            produceOnly: true,
          },
          o,
          tmp,
        ),
      );
    }
  } catch (e) {
    log(`bench aborted: ${(e as Error).stack ?? e}`);
    failed = true;
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
  const gwRun = runs.find((r) => r.target.name === "gateway");
  if (!gwRun) return 1;
  printGatewayTable(gwRun, loop);
  if (runs.length > 1) printComparison(runs, loop);
  console.log(`\ntotal bench time ${((performance.now() - started) / 1000).toFixed(0)} s`);

  const p1k = gwRun.results.find((r) => r.name === "produce 1 KiB");
  const json = {
    date: new Date().toISOString(),
    options: o,
    rawLoopbackMBps: loop.mbps,
    results: gwRun.results,
    produce1KiBShareOfLoopbackPct: p1k?.ok ? (p1k.mbPerSec / loop.mbps) * 100 : NaN,
    latency: gwRun.lat,
    memory: gwRun.memory,
    gatewayDied: gwRun.died,
    peers: runs.filter((r) => r !== gwRun).map((r) => ({
      name: r.target.name,
      results: r.results,
      javaResults: r.javaResults,
      latency: r.lat,
      memory: r.memory,
    })),
    gatewayJavaResults: gwRun.javaResults,
  };
  const jsonPath = o.json ?? `${ROOT}.bench/bench-${json.date.replace(/[:.]/g, "-")}.json`;
  await Deno.mkdir(jsonPath.replace(/\/[^/]*$/, ""), { recursive: true });
  await Deno.writeTextFile(jsonPath, JSON.stringify(json, null, 2) + "\n");
  console.log(`results written to ${jsonPath}`);
  const allOk = !failed &&
    runs.every((r) =>
      !r.died && r.results.every((x) => x.ok) && r.javaResults.every((x) => x.ok) && (r.lat?.ok ?? true)
    );
  return allOk ? 0 : 1;
}

function printTable(rows: string[][], numeric: Set<number>): void {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r.map((c, i) => (numeric.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join("  ");
  console.log("");
  console.log(line(rows[0]));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows.slice(1)) console.log(line(r));
}

const latencyText = (lat: Latency) =>
  lat.samples
    ? `${lat.p50ms.toFixed(2)} / ${lat.p99ms.toFixed(2)} / ${lat.p999ms.toFixed(2)} / ${
      lat.maxMs.toFixed(2)
    }` +
      (lat.ok ? "" : ` (FAILED: ${lat.note})`)
    : `FAILED: ${lat.note}`;

/** The gateway's figures with the project's targets (the table every run prints). */
function printGatewayTable(g: TargetRun, loop: { mbps: number }): void {
  const byName = new Map(g.results.map((r) => [r.name, r]));
  const p100 = byName.get("produce 100 B");
  const f100 = byName.get("fetch 100 B");
  const p1k = byName.get("produce 1 KiB");
  const share = p1k?.ok ? (p1k.mbPerSec / loop.mbps) * 100 : NaN;
  const verdict = (cond: boolean) => cond ? "MET" : "below";
  const rows: string[][] = [["measurement", "msg/s", "MB/s", "target", "status"]];
  rows.push(["raw loopback TCP (Deno, 1 MiB writes)", "-", fmtMB(loop.mbps), "-", "-"]);
  for (const r of [...g.results, ...g.javaResults]) {
    let target = "-";
    let status = r.ok ? "ok" : `FAILED: ${r.note}`;
    if (r === p100) {
      target = ">= 500,000 msg/s";
      status = r.ok ? verdict(r.msgsPerSec >= 500_000) : status;
    } else if (r === f100) {
      target = ">= 1,000,000 msg/s";
      status = r.ok ? verdict(r.msgsPerSec >= 1_000_000) : status;
    } else if (r === p1k) {
      target = ">= 50 % of loopback";
      status = r.ok ? `${verdict(share >= 50)} (${share.toFixed(1)} % of loopback)` : status;
    }
    rows.push([
      `${r.name} (${fmtInt(r.msgs)} msgs)`,
      r.ok ? fmtInt(r.msgsPerSec) : "-",
      r.ok ? fmtMB(r.mbPerSec) : "-",
      target,
      status,
    ]);
  }
  if (g.lat) {
    const a = g.lat.achievedMsgsPerSec;
    rows.push([
      "produce latency p50 / p99 / p99.9 / max (ms)",
      Number.isFinite(a) ? fmtInt(a) : "-",
      "-",
      "-",
      latencyText(g.lat),
    ]);
  }
  printTable(rows, new Set([1, 2]));
  console.log("");
  console.log("gateway memory (VmRSS / VmHWM, MiB):");
  for (const m of g.memory) {
    console.log(`  ${m.phase.padEnd(28)} ${m.rssMiB.toFixed(1).padStart(8)} / ${m.hwmMiB.toFixed(1)}`);
  }
}

/** Every target side by side, MB/s (msg/s for 100 B) and the gateway's share of each peer. */
function printComparison(runs: TargetRun[], loop: { mbps: number }): void {
  const g = runs[0];
  const peers = runs.slice(1);
  const names = [...new Set(runs.flatMap((r) => [...r.results, ...r.javaResults].map((x) => x.name)))];
  const header = [
    "measurement",
    ...runs.map((r) => r.target.name),
    ...peers.map((p) => `gateway / ${p.target.name}`),
  ];
  const rows: string[][] = [header];
  const cell = (r: Throughput | undefined, by: "msgs" | "mb") =>
    !r
      ? "-"
      : !r.ok
      ? "FAILED"
      : by === "msgs"
      ? `${fmtInt(r.msgsPerSec)} msg/s`
      : `${fmtMB(r.mbPerSec)} MB/s`;
  const find = (run: TargetRun, n: string) => [...run.results, ...run.javaResults].find((x) => x.name === n);
  for (const n of names) {
    const by = n.includes("100 B") ? "msgs" : "mb";
    const gv = find(g, n);
    rows.push([
      n,
      ...runs.map((r) => cell(find(r, n), by)),
      ...peers.map((p) => {
        const pv = find(p, n);
        if (!gv?.ok || !pv?.ok) return "-";
        const a = by === "msgs" ? gv.msgsPerSec : gv.mbPerSec;
        const b = by === "msgs" ? pv.msgsPerSec : pv.mbPerSec;
        return `${((a / b) * 100).toFixed(0)} %`;
      }),
    ]);
  }
  rows.push([
    "produce latency p50 / p99 / p99.9 (ms)",
    ...runs.map((r) =>
      r.lat?.samples
        ? `${r.lat.p50ms.toFixed(2)} / ${r.lat.p99ms.toFixed(2)} / ${r.lat.p999ms.toFixed(2)}`
        : "-"
    ),
    ...peers.map(() => "-"),
  ]);
  rows.push([
    "raw loopback TCP (Deno)",
    `${fmtMB(loop.mbps)} MB/s`,
    ...peers.map(() => "-"),
    ...peers.map(() => "-"),
  ]);
  console.log("");
  console.log(
    "side by side, one machine, one run (fsync: gateway every 1 s in the background, Apache Kafka " +
      "log.flush.interval.ms=1000; librdkafka's mock broker keeps everything in the producer's memory):",
  );
  printTable(rows, new Set());
  const peerMem = peers.filter((p) => p.memory.length > 0);
  for (const p of peerMem) {
    const last = p.memory.at(-1)!;
    console.log(
      `${p.target.name} memory (VmRSS / VmHWM at the end, MiB): ${last.rssMiB.toFixed(1)} / ${
        last.hwmMiB.toFixed(1)
      }`,
    );
  }
}

if (import.meta.main) Deno.exit(await main());
