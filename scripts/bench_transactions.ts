// Transactions benchmark (issue 15): what exactly-once costs against the same gateway, same run.
//
//   deno task bench:transactions [--records N] [--size B] [--partitions P] [--per-txn N] [--producers N]
//                                [--rounds N] [--fetch-records N] [--fetch-size B] [--fetch-rounds N]
//                                [--latency-txns N]
//                                [--gateway-arg ARG]... [--json FILE]
//
// The gateway (main.ts) runs embedded on a free port with a fresh temp data dir and `--fsync interval` (as
// scripts/bench.ts runs it). Clients are librdkafka 2.x: confluent-kafka (Python, tests/conformance/py/
// ck_txn_bench.py) produces, since librdkafka's rdkafka_performance has no transactions; rdkafka_performance
// (built by scripts/setup_librdkafka.sh) consumes, since a Python consumer would measure Python.
//  (1) produce: --records records of --size bytes round-robin over --partitions partitions, by --producers
//      concurrent producer processes, once idempotent (enable.idempotence, acks=all, linger 5 ms) and once
//      transactional (transactions of --per-txn records, committed one after the other, same linger); the
//      two alternate for --rounds rounds; medians and best runs are compared: records/s and transactional as a
//      share of idempotent (target >= 50 %).
//  (2) fetch: a one-partition topic filled with --fetch-records records of --fetch-size bytes in committed
//      transactions of --per-txn records (a COMMIT marker after each; four producers at once, so transactions
//      interleave), read from the beginning by rdkafka_performance -C with isolation.level read_uncommitted and
//      read_committed, alternating, --fetch-rounds rounds: MB/s (the tool's own figure, first to last record) and
//      read_committed as a share of read_uncommitted (target >= 90 %), by medians and by best runs (a run reads
//      for about a second, so other load on the machine moves single runs by tens of percent).
//  (3) commit latency: --latency-txns transactions of --per-txn records over --partitions partitions, linger 0;
//      each transaction's records are flushed first, then commit_transaction() is timed alone (EndTxn, the
//      markers on every partition, the answer): p50 / p99 / max, and the whole transaction's time likewise.
// MB = 10^6 bytes.
import { median } from "./bench.ts";
import { type RunningGateway, startGateway } from "../tests/helpers/gateway.ts";
import { Kafka, logLevel } from "../tests/helpers/kafkajs.ts";
import { pythonPath } from "../tests/helpers/tools.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const BENCH_PY = `${ROOT}tests/conformance/py/ck_txn_bench.py`;

interface Options {
  records: number;
  size: number;
  partitions: number;
  perTxn: number;
  producers: number;
  rounds: number;
  fetchRecords: number;
  fetchRounds: number;
  fetchSize: number;
  latencyTxns: number;
  gatewayArgs: string[];
  json?: string;
}

function parseOptions(argv: string[]): Options {
  const o: Options = {
    records: 300_000,
    size: 100,
    partitions: 4,
    perTxn: 100,
    producers: 1,
    rounds: 3,
    fetchRecords: 1_000_000,
    fetchRounds: 5,
    fetchSize: 1000,
    latencyTxns: 500,
    gatewayArgs: [],
  };
  const numeric: Record<string, keyof Options> = {
    "--records": "records",
    "--size": "size",
    "--partitions": "partitions",
    "--per-txn": "perTxn",
    "--producers": "producers",
    "--rounds": "rounds",
    "--fetch-records": "fetchRecords",
    "--fetch-rounds": "fetchRounds",
    "--fetch-size": "fetchSize",
    "--latency-txns": "latencyTxns",
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a in numeric) {
      const n = Number(val());
      if (!(Number.isInteger(n) && n > 0)) throw new Error(`${a} must be a positive integer`);
      (o as unknown as Record<string, number>)[numeric[a]] = n;
    } else if (a === "--gateway-arg") o.gatewayArgs.push(val());
    else if (a === "--json") o.json = val();
    else if (a === "--help" || a === "-h") {
      console.log(
        Deno.readTextFileSync(new URL(import.meta.url)).split("\n").filter((l) => l.startsWith("//"))
          .map((l) => l.slice(3)).join("\n"),
      );
      Deno.exit(0);
    } else throw new Error(`unknown argument ${a} (see --help)`);
  }
  return o;
}

const MB = 1e6;
/** Transactional producers filling the fetch topic at once. */
const FILLERS = 4;
const fmtInt = (n: number) => Math.round(n).toLocaleString("en-US");

function log(msg: string) {
  console.error(`[bench:transactions ${new Date().toISOString().slice(11, 19)}] ${msg}`);
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

async function run(
  cmd: string,
  args: string[],
  timeoutMs: number,
): Promise<{ code: number; out: string; err: string }> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  try {
    const r = await new Deno.Command(cmd, {
      args,
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
      signal: ac.signal,
    })
      .output();
    const dec = new TextDecoder();
    return { code: r.code, out: dec.decode(r.stdout), err: dec.decode(r.stderr) };
  } finally {
    clearTimeout(timer);
  }
}

async function py<T>(args: string[], timeoutMs = 600_000): Promise<T> {
  const r = await run(pythonPath(), [BENCH_PY, ...args], timeoutMs);
  const last = r.out.trim().split("\n").pop() ?? "";
  let j: T & { error?: string };
  try {
    j = JSON.parse(last);
  } catch {
    throw new Error(`ck_txn_bench.py ${args[0]}: exit ${r.code}, no result\n${r.out}\n${r.err.slice(-3000)}`);
  }
  if (r.code !== 0 || j.error) {
    throw new Error(`ck_txn_bench.py ${args[0]} failed: ${last}\n${r.err.slice(-3000)}`);
  }
  return j;
}

async function findPerf(): Promise<string> {
  const cache = Deno.env.get("KGW_CACHE") ?? `${Deno.env.get("HOME")}/.cache/kgw`;
  for (
    const c of [Deno.env.get("RDKAFKA_PERFORMANCE"), `${cache}/librdkafka-2.0.2/examples/rdkafka_performance`]
  ) {
    if (c && await Deno.stat(c).then((s) => s.isFile, () => false)) return c;
  }
  log("rdkafka_performance not built yet: running scripts/setup_librdkafka.sh (about a minute, once)");
  const r = await run("bash", [`${ROOT}scripts/setup_librdkafka.sh`], 15 * 60_000);
  const m = /^RDKAFKA_PERFORMANCE=(.+)$/m.exec(r.out);
  if (r.code !== 0 || !m) {
    throw new Error(`setup_librdkafka.sh failed (exit ${r.code}):\n${r.err.slice(-3000)}`);
  }
  return m[1].trim();
}

// ---------------------------------------------------------------------------------------------------- phases
interface ProduceRun {
  mode: "idem" | "txn";
  records: number;
  seconds: number;
  recordsPerSec: number;
  mbPerSec: number;
}

async function produceRun(
  gw: RunningGateway,
  o: Options,
  topic: string,
  mode: "idem" | "txn",
  round: number,
): Promise<ProduceRun> {
  const per = Math.floor(o.records / o.producers);
  const runs = await Promise.all(
    Array.from({ length: o.producers }, (_, k) =>
      py<{ records: number; start: number; end: number }>([
        "produce",
        gw.bootstrap,
        topic,
        mode,
        String(per),
        String(o.size),
        String(o.partitions),
        String(o.perTxn),
        `bench-txn-${round}-${k}`,
      ])),
  );
  const records = runs.reduce((s, r) => s + r.records, 0);
  const seconds = Math.max(...runs.map((r) => r.end)) - Math.min(...runs.map((r) => r.start));
  const res: ProduceRun = {
    mode,
    records,
    seconds,
    recordsPerSec: records / seconds,
    mbPerSec: (records * o.size) / MB / seconds,
  };
  log(`  ${mode} round ${round}: ${fmtInt(res.recordsPerSec)} records/s (${res.seconds.toFixed(2)} s)`);
  return res;
}

interface FetchRun {
  isolation: "read_uncommitted" | "read_committed";
  msgs: number;
  mbPerSec: number;
  msgsPerSec: number;
}

const CONSUME_RE = /% (\d+) messages \((\d+) bytes\) consumed in (\d+)ms: (\d+) msgs\/s \(([\d.]+) MB\/s\)/g;

async function fetchRun(
  perf: string,
  gw: RunningGateway,
  topic: string,
  count: number,
  isolation: FetchRun["isolation"],
): Promise<FetchRun> {
  const args = [
    "-C",
    "-t",
    topic,
    "-p",
    "0",
    "-b",
    gw.bootstrap,
    "-o",
    "beginning",
    "-c",
    String(count),
    "-e",
  ];
  args.push("-X", `isolation.level=${isolation}`);
  const r = await run(perf, args, 300_000);
  let m: RegExpMatchArray | null = null;
  for (const x of r.out.matchAll(CONSUME_RE)) m = x;
  if (!m) {
    throw new Error(`rdkafka_performance ${args.join(" ")}: no summary (exit ${r.code})\n${r.out}\n${r.err}`);
  }
  const [, msgs, , , msgsPerSec, mbPerSec] = m.map(Number);
  if (msgs !== count) {
    throw new Error(`${isolation}: ${msgs}/${count} records consumed\n${r.out.slice(-2000)}`);
  }
  log(`  ${isolation}: ${mbPerSec} MB/s, ${fmtInt(msgsPerSec)} msgs/s`);
  return { isolation, msgs, mbPerSec, msgsPerSec };
}

async function main(): Promise<void> {
  const o = parseOptions(Deno.args);
  const perf = await findPerf();
  const tmp = await Deno.makeTempDir({ prefix: "kgw-bench-txn-" });
  const gw = await startGateway({
    dataDir: `${tmp}/data`,
    args: ["--fsync", "interval", "--fsync-interval-ms", "1000", ...o.gatewayArgs],
  });
  log(`gateway on ${gw.bootstrap}, data in ${tmp}/data`);
  const admin = new Kafka({ clientId: "bench-txn", brokers: [gw.bootstrap], logLevel: logLevel.NOTHING })
    .admin();
  try {
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic: "bench-idem", numPartitions: o.partitions },
        { topic: "bench-txn", numPartitions: o.partitions },
        { topic: "bench-fetch", numPartitions: 1 },
        { topic: "bench-latency", numPartitions: o.partitions },
      ],
    });

    log(
      `(1) produce: ${
        fmtInt(o.records)
      } records of ${o.size} B over ${o.partitions} partitions, ${o.producers} ` +
        `producer(s), transactions of ${o.perTxn}, ${o.rounds} round(s)`,
    );
    const produced: ProduceRun[] = [];
    for (let r = 0; r < o.rounds; r++) {
      produced.push(await produceRun(gw, o, "bench-idem", "idem", r));
      produced.push(await produceRun(gw, o, "bench-txn", "txn", r));
    }
    const idemRuns = produced.filter((x) => x.mode === "idem").map((x) => x.recordsPerSec);
    const txnRuns = produced.filter((x) => x.mode === "txn").map((x) => x.recordsPerSec);
    const [idem, txn] = [median(idemRuns), median(txnRuns)];

    log(
      `(2) fetch: filling bench-fetch with ${
        fmtInt(o.fetchRecords)
      } records of ${o.fetchSize} B in transactions`,
    );
    // four transactional producers at once fill it faster; their transactions interleave in the partition
    await Promise.all(Array.from({ length: FILLERS }, (_, k) =>
      py([
        "produce",
        gw.bootstrap,
        "bench-fetch",
        "txn",
        String(Math.ceil(o.fetchRecords / FILLERS)),
        String(o.fetchSize),
        "1",
        String(o.perTxn),
        `bench-fetch-fill-${k}`,
      ])));
    const fetchCount = Math.ceil(o.fetchRecords / FILLERS) * FILLERS;
    const fetched: FetchRun[] = [];
    for (let r = 0; r < o.fetchRounds; r++) {
      fetched.push(await fetchRun(perf, gw, "bench-fetch", fetchCount, "read_uncommitted"));
      fetched.push(await fetchRun(perf, gw, "bench-fetch", fetchCount, "read_committed"));
    }
    const ruRuns = fetched.filter((x) => x.isolation === "read_uncommitted").map((x) => x.mbPerSec);
    const rcRuns = fetched.filter((x) => x.isolation === "read_committed").map((x) => x.mbPerSec);
    const [ru, rc] = [median(ruRuns), median(rcRuns)];

    log(`(3) commit latency: ${o.latencyTxns} transactions of ${o.perTxn} records`);
    const lat = await py<{ commit_ms: number[]; txn_ms: number[] }>([
      "latency",
      gw.bootstrap,
      "bench-latency",
      String(o.latencyTxns),
      String(o.perTxn),
      String(o.size),
      String(o.partitions),
      "bench-latency",
    ]);
    const stats = (xs: number[]) => ({
      p50: percentile(xs, 50),
      p99: percentile(xs, 99),
      max: Math.max(...xs),
    });
    const commit = stats(lat.commit_ms);
    const whole = stats(lat.txn_ms);

    const pct = (a: number, b: number) => (100 * a) / b;
    // Medians, and the best run of each (other load on the machine only ever slows a run down: on a shared or
    // small machine the best runs compare the gateway's own costs more steadily than the medians).
    const best = (xs: number[]) => Math.max(...xs);
    const rows: [string, string, string][] = [
      ["idempotent produce", `${fmtInt(idem)} records/s`, `best ${fmtInt(best(idemRuns))}`],
      [
        `transactional produce (${o.perTxn}/txn)`,
        `${fmtInt(txn)} records/s`,
        `best ${fmtInt(best(txnRuns))}; ${pct(txn, idem).toFixed(1)} % of idempotent (best: ${
          pct(best(txnRuns), best(idemRuns)).toFixed(1)
        } %; target >= 50 %)`,
      ],
      ["read_uncommitted fetch", `${ru.toFixed(1)} MB/s`, `best ${best(ruRuns).toFixed(1)}`],
      [
        "read_committed fetch",
        `${rc.toFixed(1)} MB/s`,
        `best ${best(rcRuns).toFixed(1)}; ${pct(rc, ru).toFixed(1)} % of read_uncommitted (best: ${
          pct(best(rcRuns), best(ruRuns)).toFixed(1)
        } %; target >= 90 %)`,
      ],
      [
        "commit latency",
        `p50 ${commit.p50.toFixed(2)} ms`,
        `p99 ${commit.p99.toFixed(2)} ms, max ${commit.max.toFixed(2)} ms`,
      ],
      [
        `whole transaction (${o.perTxn} records)`,
        `p50 ${whole.p50.toFixed(2)} ms`,
        `p99 ${whole.p99.toFixed(2)} ms, max ${whole.max.toFixed(2)} ms`,
      ],
    ];
    const w0 = Math.max(...rows.map((r) => r[0].length));
    const w1 = Math.max(...rows.map((r) => r[1].length));
    console.log(
      `\nTransactions benchmark (${o.size} B records, ${o.partitions} partitions, ${o.producers} producer(s), ` +
        `median of ${o.rounds} rounds; fetch ${o.fetchSize} B records, 1 partition, median of ${o.fetchRounds} rounds)`,
    );
    for (const [a, b, c] of rows) console.log(`  ${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}`);
    if (o.json) {
      await Deno.writeTextFile(
        o.json,
        JSON.stringify(
          {
            options: o,
            produce: produced,
            fetch: fetched,
            idempotentRecordsPerSec: idem,
            transactionalRecordsPerSec: txn,
            produceShare: pct(txn, idem) / 100,
            produceShareBest: pct(best(txnRuns), best(idemRuns)) / 100,
            readUncommittedMBps: ru,
            readCommittedMBps: rc,
            fetchShare: pct(rc, ru) / 100,
            fetchShareBest: pct(best(rcRuns), best(ruRuns)) / 100,
            commitLatencyMs: commit,
            transactionMs: whole,
          },
          null,
          2,
        ),
      );
    }
  } catch (e) {
    console.error(`--- gateway log (last 40 lines) ---\n${gw.logs().split("\n").slice(-40).join("\n")}`);
    throw e;
  } finally {
    await admin.disconnect().catch(() => {});
    await gw.stop();
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

await main();
