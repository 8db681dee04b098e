// Compatibility matrix: real Kafka clients of every family against a gateway this script starts.
//
//   deno task compat [--no-install] [--only REGEX] [--scenarios REGEX] [--jobs N] [--markdown FILE] [--json FILE]
//                    [--out DIR] [--bootstrap HOST:PORT] [--gateway-arg ARG]... [--timeout-ms MS] [--keep] [--strict]
//                    [--census] [--backend embedded|seaweedmq] [--gateways N] [--no-retry]
//
// 1. scripts/compat/install.sh installs every client (idempotent, cached under ~/.cache/kgw; --no-install skips).
// 2. A gateway (main.ts, embedded log in a temp dir, 3 partitions per auto-created topic, no initial rebalance
//    delay) on a free 127.0.0.1 port; --gateway-arg passes flags to it; --bootstrap uses a running gateway
//    instead (no log checks then, nor with a --backend other than embedded). --backend seaweedmq starts a SeaweedFS
//    cluster (tests/helpers/seaweedfs.ts: master, volume, filer, mq.broker on 127.0.0.1, weed from PyPI) and runs
//    the gateway on it (namespace kafka); the cluster is stopped at the end. --only selects the clients (rows),
//    --scenarios the columns (regex on the scenario name; a subset's matrix shows only those columns, so give it
//    its own --markdown file).
//    --gateways N (SeaweedMQ only) starts N gateways (--node-id 1..N) on that cluster, waits until they form one
//    Kafka cluster, and gives the clients all N addresses as the bootstrap list (gateways.ts).
// 3. For each client row, its program under scripts/compat/clients/<name>/ (see clients/README.md) runs:
//      produce  30 keyed messages (header h=<i> where the client has headers), acks=all, no compression
//      fetch    every partition from the earliest offset, without a group: exactly the 30 values, keys, headers,
//               offsets matching the producer's acks
//      group    subscribe in a fresh consumer group, consume the 30, commit synchronously, leave
//      resume   produce 10 more, a new member of the same group gets exactly those 10 (committed offsets used)
//      split    two members of one group (same client id, as two processes of one app have): once the group is
//               Stable with both (DescribeGroups) and in-flight fetches expired, 30 messages are produced; each
//               member gets a disjoint, non-empty share of the partitions and together exactly the 30 (no commits)
//      interop  fetch topics written by other client families, one per codec the client can decode (none + its
//               codecs): 20 RecordBatch v2 messages with headers from confluent-kafka (PyPI) and 10 magic-1
//               messages from kafka-go 0.2.1 (zstd: 10 from Sarama V2_1_0_0), so old clients read down-converted
//               modern batches and modern clients read up-converted legacy ones
//      gzip|snappy|lz4|zstd   produce 20 with that codec, fetch them back; the gateway's log must hold batches
//               with that codec (the client really compressed, the gateway kept it)
//      idempotent             produce 20 with the client's idempotent producer, fetch; batches carry a producer id
//      txn      the client's transactional producer aborts one transaction of 10 messages and commits another of 10,
//               both over the 3 partitions (message i to partition i % 3, the aborted one first, so its records
//               precede the committed ones everywhere); a read_committed consumer of the same client (of
//               confluent-kafka where the client has no isolation level) reads every partition from the start and
//               must get exactly the committed 10 at their acked offsets; in the embedded log: 20 transactional
//               records and a COMMIT and an ABORT control batch in every partition
//      eos      consume-transform-produce: 10 messages in an input topic; a read_committed member of a group copies
//               them to an output topic in a transaction with its positions sent to it (send_offsets_to_transaction)
//               and aborts: the group has no committed offsets; a new run commits: the group's offsets are the
//               input's end offsets, and a read_committed reader of the output gets exactly the 10 (not the
//               aborted copies)
//      txn-read a topic holding an aborted and a committed transaction of 10 messages each over 3 partitions, written
//               by confluent-kafka (PyPI): a client with isolation level read_committed reads exactly the committed
//               10; one without (kafka-go 0.2.1, Sarama V0_10_2_0: Fetch < v4, down-converted to magic-1 message
//               sets) all 20 data records and never a COMMIT/ABORT control record (kafka-python 2.0.2: n/a, it hands
//               control records to the application, against Kafka too)
//    After a produce the gateway's log is read too (embedded segments): exactly the produced number of records
//    (no duplicates), the codec asked for, producer ids only when idempotent.
//    A row with a failed cell runs once more, on new topics and groups (--no-retry: not): a cell that passes then
//    counts as passed and is named on a `flaky:` line (and in the Markdown) with its first failure; failing twice
//    fails it.
// 4. Prints the matrix (client x scenario -> pass/FAIL/n/a), writes it as Markdown (--markdown; a full run on the
//    embedded backend by default to scripts/compat/MATRIX.md, partial and other runs nowhere) and as JSON
//    (--json), keeps per-step logs of failures in --out, and exits 1 on any failure. Idempotent cells are shown
//    as "pending" while the gateway does not advertise InitProducerId (API 22); they count as failures as soon as
//    it does (or always with --strict).
// 5. --census puts a recording proxy (census.ts) between the clients and the gateway and adds, per client, the
//    API versions it sent to the Markdown (each client program gets client_id=<row id>).
import { type Gateways, startGateways } from "./gateways.ts";
import { advertisedApiKeys } from "./api_versions.ts";
import { CensusProxy } from "./census.ts";
import { WireClient } from "../../tests/helpers/wire.ts";
import {
  type ConsumerGroupDescribeResponse,
  ConsumerGroupDescribeSpec,
} from "../../src/protocol/messages/consumer_group_describe.ts";
import { type SeaweedFS, startSeaweedFS } from "../../tests/helpers/seaweedfs.ts";
import { Buffer } from "node:buffer";
// @ts-types="npm:kafkajs@2.2.4"
import kafkajs from "kafkajs";

const HERE = new URL(".", import.meta.url).pathname;
const HOME = Deno.env.get("HOME") ?? "/root";
const CACHE = Deno.env.get("KGW_CACHE") ?? `${HOME}/.cache/kgw`;
const VENV_PY = `${CACHE}/venv/bin/python`;
const GOBIN = `${CACHE}/compat/bin`;
const DENO = Deno.execPath();
const CLIENTS = `${HERE}clients/`;

// ----------------------------------------------------------------------------------------------- options
interface Options {
  install: boolean;
  only?: RegExp;
  jobs: number;
  markdown: string;
  json?: string;
  out?: string;
  bootstrap?: string;
  gatewayArgs: string[];
  timeoutMs: number;
  keep: boolean;
  strict: boolean;
  /** Rows with a failed cell run once more (--no-retry: not). */
  retry: boolean;
  census: boolean;
  /** Scenarios (columns) to run; all when not given. */
  scenarios?: RegExp;
  backend: "embedded" | "seaweedmq";
  gateways: number;
}

function parseOptions(argv: string[]): Options {
  const o: Options = {
    install: true,
    jobs: 4,
    markdown: `${HERE}MATRIX.md`,
    gatewayArgs: [],
    timeoutMs: 45_000,
    keep: false,
    strict: false,
    retry: true,
    census: false,
    backend: "embedded",
    gateways: 1,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--no-install") o.install = false;
    else if (a === "--only") o.only = new RegExp(val());
    else if (a === "--scenarios") o.scenarios = new RegExp(val());
    else if (a === "--jobs") o.jobs = Math.max(1, Number(val()));
    else if (a === "--markdown") o.markdown = val();
    else if (a === "--json") o.json = val();
    else if (a === "--out") o.out = val();
    else if (a === "--bootstrap") o.bootstrap = val();
    else if (a === "--gateway-arg") o.gatewayArgs.push(val());
    else if (a === "--timeout-ms") o.timeoutMs = Number(val());
    else if (a === "--keep") o.keep = true;
    else if (a === "--strict") o.strict = true;
    else if (a === "--no-retry") o.retry = false;
    else if (a === "--census") o.census = true;
    else if (a === "--gateways") o.gateways = Math.max(1, Number(val()));
    else if (a === "--backend") {
      const b = val();
      if (b !== "embedded" && b !== "seaweedmq") throw new Error(`--backend ${b}: embedded or seaweedmq`);
      o.backend = b;
    } else if (a === "--help" || a === "-h") {
      console.log(
        Deno.readTextFileSync(new URL(import.meta.url)).split("\n").filter((l) => l.startsWith("//"))
          .map((l) => l.slice(3)).join("\n"),
      );
      Deno.exit(0);
    } else throw new Error(`unknown option ${a} (see --help)`);
  }
  if (o.gateways > 1 && o.backend !== "seaweedmq") {
    throw new Error("--gateways: several gateways form one cluster on SeaweedMQ only (--backend seaweedmq)");
  }
  // scripts/compat/MATRIX.md is the full matrix on the embedded backend: a partial or other run writes Markdown
  // only where --markdown says (a `--only` run once replaced the committed matrix with its subset).
  const partial = o.only !== undefined || o.scenarios !== undefined || o.backend !== "embedded" ||
    o.gateways > 1 || o.bootstrap !== undefined;
  if (partial && !argv.includes("--markdown")) o.markdown = "";
  if (o.gateways > 1 && (o.census || o.bootstrap)) {
    throw new Error("--gateways does not go with --census or --bootstrap");
  }
  return o;
}

// ----------------------------------------------------------------------------------------------- clients
const CODECS = ["gzip", "snappy", "lz4", "zstd"] as const;
type Codec = typeof CODECS[number];
const CODEC_ID: Record<string, number> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 };
const SCENARIOS = [
  "produce",
  "fetch",
  "group",
  "resume",
  "split",
  "interop",
  ...CODECS,
  "idempotent",
  "txn",
  "eos",
  "txn-read",
] as const;
type Scenario = typeof SCENARIOS[number];

interface Row {
  /** Short id, used in topic and group names. */
  id: string;
  /** Matrix label. */
  label: string;
  cmd: string[];
  /** Options passed to every call (e.g. Sarama's version). */
  opts: Record<string, string>;
  headers: boolean;
  /** "exact": per-message [index, partition, offset]; otherwise none. */
  acks: boolean;
  codecs: readonly Codec[];
  idempotent: boolean;
  /**
   * Transactions: `eos` when the client has send_offsets_to_transaction. A string: why the client has no
   * transactional producer (txn and eos n/a).
   */
  txn: { eos: boolean } | string;
  /** Its consumer has isolation level read_committed (fetch isolation=read_committed). */
  readCommitted: boolean;
  /** Why the client cannot read a topic with transactions at all (txn-read n/a). */
  txnRead?: string;
  /** What this client needed / notes for the report, shown under the matrix. */
  note?: string;
}

// clients/deno.lock pins the npm packages (kafkajs 2.2.4, @platformatic/kafka 2.12.1); --frozen keeps it unchanged.
const denoRun = (perms: string[], file: string) => [
  DENO,
  "run",
  "--quiet",
  "--config",
  `${CLIENTS}deno.client.json`,
  `--lock=${CLIENTS}deno.lock`,
  "--frozen",
  ...perms,
  `${CLIENTS}${file}`,
];

function rows(): Row[] {
  const all = CODECS;
  const r: Row[] = [
    {
      id: "kafkajs",
      label: "KafkaJS 2.2.4 (Deno)",
      cmd: denoRun(["--allow-net=127.0.0.1", "--allow-env", "--allow-read"], "kafkajs/main.ts"),
      opts: {},
      headers: true,
      acks: false,
      codecs: ["gzip"],
      idempotent: true,
      txn: { eos: true },
      readCommitted: true,
      note: "ships only gzip (snappy/lz4/zstd need third-party codec plugins)",
    },
    {
      id: "platformatic",
      label: "@platformatic/kafka 2.x (Deno)",
      cmd: denoRun(
        ["--allow-net=127.0.0.1", "--allow-env", "--allow-read", "--allow-sys"],
        "platformatic/main.ts",
      ),
      opts: {},
      headers: true,
      acks: false,
      codecs: all,
      idempotent: true,
      txn: { eos: true },
      readCommitted: true,
    },
    {
      id: "kcat",
      label: "kcat 1.7.1 (librdkafka 2.0.2)",
      cmd: denoRun(["--allow-run", "--allow-env"], "kcat/main.ts"),
      opts: {},
      headers: false,
      acks: false,
      codecs: all,
      idempotent: true,
      txn: "kcat has no transactional producer (librdkafka's transaction API is not exposed)",
      readCommitted: true,
      note: "kcat -P sets headers per run, not per message, and prints no delivery reports",
    },
    {
      id: "ckpip",
      label: "confluent-kafka (PyPI)",
      cmd: [VENV_PY, `${CLIENTS}confluent_kafka/main.py`],
      opts: {},
      headers: true,
      acks: true,
      codecs: all,
      idempotent: true,
      txn: { eos: true },
      readCommitted: true,
    },
    {
      id: "ckdeb",
      label: "confluent-kafka 1.7 (Debian, librdkafka 2.0.2)",
      cmd: ["/usr/bin/python3", `${CLIENTS}confluent_kafka/main.py`],
      opts: {},
      headers: true,
      acks: true,
      codecs: all,
      idempotent: true,
      txn: { eos: true },
      readCommitted: true,
    },
    {
      id: "kppip",
      label: "kafka-python (PyPI)",
      cmd: [VENV_PY, `${CLIENTS}kafka_python/main.py`],
      opts: {},
      headers: true,
      acks: true,
      codecs: all,
      idempotent: true,
      txn: { eos: true },
      readCommitted: true,
      note: "idempotent by default since 2.1 (the plain rows turn it off explicitly)",
    },
    {
      id: "kpdeb",
      label: "kafka-python 2.0.2 (Debian)",
      cmd: ["/usr/bin/python3", `${CLIENTS}kafka_python/main.py`],
      opts: {},
      headers: true,
      acks: true,
      codecs: all,
      idempotent: false,
      txn: "no transactions (nor read_committed) in 2.0.2 (added in 2.1)",
      readCommitted: false,
      txnRead: "kafka-python 2.0.2 hands COMMIT/ABORT control records to the application as messages (its " +
        "fetcher does not skip control batches; 3.0.12 does), as it does against Kafka",
      note: "no idempotent producer in 2.0.2",
    },
    {
      id: "aiokafka",
      label: "aiokafka (PyPI)",
      cmd: [VENV_PY, `${CLIENTS}aiokafka/main.py`],
      opts: {},
      headers: true,
      acks: true,
      codecs: all,
      idempotent: true,
      txn: { eos: true },
      readCommitted: true,
    },
  ];
  // Apache Kafka's Java client, compiled by install.sh against each kafka-clients line (jars from Maven Central)
  for (
    const [v, opts, label] of [
      ["4.1.1", { assignor: "cooperative-sticky" }, "cooperative-sticky"],
      ["4.1.1", { protocol: "consumer" }, "group.protocol=consumer"],
      ["3.9.1", {}, "range"],
    ] as const
  ) {
    r.push({
      id: `java${v.replaceAll(".", "")}${"protocol" in opts ? "kip848" : ""}`,
      label: `Java kafka-clients ${v} (${label})`,
      cmd: [
        "java",
        "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1",
        "-Xmx256m",
        "-cp",
        `${CACHE}/compat/java/${v}:${CACHE}/kafka/${v}/lib/*`,
        "Main",
      ],
      opts: { ...opts },
      headers: true,
      acks: true,
      codecs: all,
      idempotent: true,
      txn: { eos: true },
      readCommitted: true,
    });
  }
  for (const v of ["V0_10_2_0", "V0_11_0_0", "V2_1_0_0"]) {
    const old = v === "V0_10_2_0";
    r.push({
      id: `sarama-${v.toLowerCase().replaceAll("_", "")}`,
      label: `Sarama 1.22.1 ${v}`,
      cmd: [`${GOBIN}/sarama`],
      opts: { version: v },
      headers: !old,
      acks: true,
      codecs: v === "V2_1_0_0" ? all : ["gzip", "snappy", "lz4"],
      idempotent: !old,
      txn: "no transactional producer in Sarama 1.22.1 (added in 1.37)",
      readCommitted: !old,
      note: old
        ? "magic-1 message sets (Produce v2, Fetch v3): no headers, no zstd, no idempotence"
        : v === "V0_11_0_0"
        ? "zstd needs V2_1_0_0"
        : undefined,
    });
  }
  r.push(
    {
      id: "kafkago",
      label: "kafka-go 0.2.1 (Debian)",
      cmd: [`${GOBIN}/kafkago`],
      opts: {},
      headers: false,
      acks: false,
      codecs: ["gzip", "snappy", "lz4"],
      idempotent: false,
      txn: "no transactions in kafka-go 0.2.1",
      readCommitted: false,
      note: "no ApiVersions, magic-1 message sets, no headers, no zstd, no idempotence",
    },
    {
      id: "ckgo",
      label: "confluent-kafka-go 0.11.6 (Debian, librdkafka 2.0.2)",
      cmd: [`${GOBIN}/ckgo`],
      opts: {},
      headers: true,
      acks: true,
      codecs: all,
      idempotent: true,
      txn: "the Go binding 0.11.6 has no transaction API (added in confluent-kafka-go 1.4.0)",
      readCommitted: true,
    },
  );
  return r;
}

// ----------------------------------------------------------------------------------------------- running
interface ClientResult {
  ok?: boolean;
  error?: string;
  acks?: [number, number, number][];
  msgs?: [number, number, string | null, string | null, string | null][];
  info?: unknown;
}

interface StepLog {
  args: string[];
  code: number;
  ms: number;
  stdout: string;
  stderr: string;
  result?: ClientResult;
}

interface Cell {
  status: "pass" | "FAIL" | "n/a" | "pending";
  why?: string;
  /** Passed only when its row ran again: the first run's failure. */
  flaky?: string;
  ms?: number;
  steps: StepLog[];
}

const PAD = "x".repeat(200);

class Runner {
  /** Seeding errors of the interop topics by codec (undefined: seeded fine); set before the rows run. */
  interop?: Map<string, string | undefined>;
  /** The txn-read topic's seeding: an error, or null when seeded fine; undefined when not seeded. */
  txnReadSeed?: string | null;
  readonly interopPrefix: string;
  constructor(
    readonly opts: Options,
    readonly bootstrap: string,
    readonly dataDir: string | undefined,
    readonly run: string,
    interopPrefix?: string,
  ) {
    this.interopPrefix = interopPrefix ?? `compat-${run}-interop`;
  }

  /** A runner for running rows again: its own topic and group names, the seeded topics of this one. */
  again(): Runner {
    const r = new Runner(this.opts, this.bootstrap, this.dataDir, `${this.run}r`, this.interopPrefix);
    r.interop = this.interop;
    r.txnReadSeed = this.txnReadSeed;
    return r;
  }

  async step(row: Row, args: string[], extra: Record<string, string>, timeoutMs: number): Promise<StepLog> {
    const kv = Object.entries({ client_id: row.id, ...row.opts, ...extra, timeout_ms: String(timeoutMs) })
      .map(([k, v]) => `${k}=${v}`);
    const full = [...row.cmd.slice(1), ...args, ...kv];
    const t0 = Date.now();
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(row.cmd[0], {
        args: full,
        stdout: "piped",
        stderr: "piped",
        stdin: "null",
        env: { NO_COLOR: "1", PYTHONUNBUFFERED: "1" },
      }).spawn();
    } catch (e) {
      return { args: full, code: -1, ms: 0, stdout: "", stderr: String(e) };
    }
    // Hard limit: the programs stop themselves at timeout_ms; this catches a hung client.
    const killer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
    }, timeoutMs + 15_000);
    const out = await child.output();
    clearTimeout(killer);
    const dec = new TextDecoder();
    const stdout = dec.decode(out.stdout);
    const stderr = dec.decode(out.stderr);
    const last = stdout.trim().split("\n").reverse().find((l) => l.startsWith("{"));
    let result: ClientResult | undefined;
    try {
      result = last ? JSON.parse(last) : undefined;
    } catch { /* not JSON */ }
    return { args: full, code: out.code, ms: Date.now() - t0, stdout, stderr, result };
  }

  /** Records a produce/fetch/group step as a failure reason, or undefined when the client itself succeeded. */
  static clientError(s: StepLog): string | undefined {
    if (!s.result) return `exit ${s.code}, no JSON result; stderr: ${lastLines(s.stderr, 3)}`;
    if (!s.result.ok || s.code !== 0) return `client error: ${s.result.error ?? `exit ${s.code}`}`;
    return undefined;
  }
}

function lastLines(s: string, n: number): string {
  return s.trim().split("\n").slice(-n).join(" | ").slice(0, 600);
}

/** Checks a list of consumed messages against the produced indexes [from, to). */
function checkMessages(
  row: Row,
  msgs: ClientResult["msgs"],
  from: number,
  to: number,
  acks?: Map<number, [number, number]>,
  headerBelow = to,
): string | undefined {
  if (!msgs) return "no messages reported";
  const seen = new Set<number>();
  const lastOffset = new Map<number, number>();
  for (const [p, o, k, v, h] of msgs) {
    const m = /^v-(\d+)\|(.*)$/s.exec(v ?? "");
    if (!m) return `unexpected value ${JSON.stringify(v?.slice(0, 40))} at ${p}/${o}`;
    const i = Number(m[1]);
    if (m[2] !== PAD) return `value of message ${i} corrupted (${m[2].length} pad bytes)`;
    if (i < from || i >= to) return `message ${i} outside the expected range [${from}, ${to}) at ${p}/${o}`;
    if (seen.has(i)) return `message ${i} delivered twice (${p}/${o})`;
    seen.add(i);
    if (k !== `k-${i}`) return `message ${i}: key ${JSON.stringify(k)}`;
    const wantH = i < headerBelow ? String(i) : null;
    if (row.headers && h !== wantH) return `message ${i}: header h=${JSON.stringify(h)}, expected ${wantH}`;
    const prev = lastOffset.get(p);
    if (prev !== undefined && o <= prev) return `partition ${p}: offset ${o} after ${prev}`;
    lastOffset.set(p, o);
    const ack = acks?.get(i);
    if (ack && (ack[0] !== p || ack[1] !== o)) {
      return `message ${i} acked at ${ack[0]}/${ack[1]} but fetched at ${p}/${o}`;
    }
  }
  if (seen.size !== to - from) return `got ${seen.size} of ${to - from} messages`;
  return undefined;
}

// -------------------------------------------------------------------------------- storage (embedded log)
interface BatchInfo {
  partition: number;
  base: number;
  count: number;
  codec: number;
  producerId: bigint;
  magic: number;
  /** RecordBatch attributes (0x10 transactional, 0x20 control). */
  attributes: number;
}

/** Reads the RecordBatch headers of a topic's segments (the embedded log stores Kafka's on-disk format). */
function readBatches(dataDir: string, topic: string): BatchInfo[] | undefined {
  const out: BatchInfo[] = [];
  let found = false;
  for (let p = 0; p < 64; p++) {
    const dir = `${dataDir}/${topic}-${p}`;
    let names: string[];
    try {
      names = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".log")).sort();
    } catch {
      break;
    }
    found = true;
    for (const name of names) {
      const b = Deno.readFileSync(`${dir}/${name}`);
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      let i = 0;
      while (i + 61 <= b.length) {
        const len = dv.getInt32(i + 8);
        if (len <= 0) break;
        out.push({
          partition: p,
          base: Number(dv.getBigInt64(i)),
          magic: b[i + 16],
          codec: dv.getInt16(i + 21) & 7,
          attributes: dv.getInt16(i + 21),
          producerId: dv.getBigInt64(i + 43),
          count: dv.getInt32(i + 57),
        });
        i += 12 + len;
      }
    }
  }
  return found ? out : undefined;
}

/** Verifies what a produce step left in the log. Returns a failure reason, or undefined. */
async function checkStored(
  dataDir: string | undefined,
  topic: string,
  expectCount: number,
  codec: string,
  idempotent: boolean,
): Promise<string | undefined> {
  if (!dataDir) return undefined;
  // The gateway appends before it acks, so the batches are on disk (page cache) already; allow a moment anyway.
  let batches: BatchInfo[] | undefined;
  for (let i = 0; i < 10; i++) {
    batches = readBatches(dataDir, topic);
    const n = batches?.reduce((s, b) => s + b.count, 0) ?? 0;
    if (n >= expectCount) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!batches) return `no partitions of ${topic} in the gateway's log`;
  const n = batches.reduce((s, b) => s + b.count, 0);
  if (n !== expectCount) return `the log holds ${n} records, ${expectCount} were produced`;
  if (batches.some((b) => b.magic !== 2)) return "a stored batch is not RecordBatch v2";
  const codecs = [...new Set(batches.map((b) => b.codec))];
  const want = CODEC_ID[codec];
  if (codecs.some((c) => c !== want)) {
    return `stored batches use codec(s) ${codecs.join(",")}, expected ${want} (${codec})`;
  }
  const pids = [...new Set(batches.map((b) => b.producerId))];
  if (idempotent && pids.some((p) => p < 0n)) {
    return "idempotent producer wrote batches without a producer id";
  }
  if (!idempotent && pids.some((p) => p >= 0n)) return `non-idempotent batches carry producer id ${pids}`;
  return undefined;
}

/**
 * Verifies what the txn scenario left in the embedded log: `records` transactional data records, and in every
 * partition that holds some, at least one COMMIT and one ABORT control batch (control record key: version, type
 * 0 abort / 1 commit).
 */
function checkStoredTxn(dataDir: string | undefined, topic: string, records: number): string | undefined {
  if (!dataDir) return undefined;
  const batches = readBatches(dataDir, topic);
  if (!batches) return `no partitions of ${topic} in the gateway's log`;
  const data = batches.filter((b) => !(b.attributes & 0x20));
  const n = data.reduce((s, b) => s + b.count, 0);
  if (n !== records) return `the log holds ${n} data records, ${records} were produced`;
  if (data.some((b) => !(b.attributes & 0x10) || b.producerId < 0n)) {
    return "a data batch of the transactional producer is not marked transactional";
  }
  for (const p of new Set(data.map((b) => b.partition))) {
    const markers = controlTypes(dataDir, topic, p);
    if (!markers.includes(0) || !markers.includes(1)) {
      return `partition ${p}: control records ${
        JSON.stringify(markers)
      }, expected an ABORT (0) and a COMMIT (1)`;
    }
  }
  return undefined;
}

/** The control record types (0 ABORT, 1 COMMIT) of a partition's control batches, in log order. */
function controlTypes(dataDir: string, topic: string, partition: number): number[] {
  const dir = `${dataDir}/${topic}-${partition}`;
  const out: number[] = [];
  const names = [...Deno.readDirSync(dir)].map((e) => e.name).filter((x) => x.endsWith(".log")).sort();
  for (const name of names) {
    const b = Deno.readFileSync(`${dir}/${name}`);
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    for (let i = 0; i + 61 <= b.length;) {
      const len = dv.getInt32(i + 8);
      if (len <= 0) break;
      if (dv.getInt16(i + 21) & 0x20) {
        // One uncompressed record: length, attributes, timestamp delta, offset delta (varints, small here), key
        // length (varint), key = version int16, type int16.
        let j = i + 61;
        const skipVarint = () => {
          while (b[j++] & 0x80) { /* continuation */ }
        };
        skipVarint(); // record length
        j++; // attributes
        skipVarint(); // timestamp delta
        skipVarint(); // offset delta
        skipVarint(); // key length
        out.push(dv.getInt16(j + 2));
      }
      i += 12 + len;
    }
  }
  return out;
}

// --------------------------------------------------------------------------------------------- scenarios
const N = 30;
const M = 10;
const NC = 20;

/** The produce, fetch, group and resume cells (one flow: each needs the one before). */
async function basics(r: Runner, row: Row, cells: Map<Scenario, Cell>): Promise<void> {
  const t = r.opts.timeoutMs;
  const topic = `compat-${r.run}-${row.id}`;
  const group = `${topic}-g`;
  const base = { headers: row.headers ? "1" : "0" };
  const cell = (s: Scenario, c: Cell) => cells.set(s, c);

  // produce
  const p1 = await r.step(
    row,
    ["produce", r.bootstrap, topic, group],
    { ...base, n: String(N), start: "0" },
    t,
  );
  let why = Runner.clientError(p1);
  const acks = new Map<number, [number, number]>();
  if (!why && row.acks) {
    for (const [i, p, o] of p1.result?.acks ?? []) acks.set(i, [p, o]);
    if (acks.size !== N) why = `${acks.size} of ${N} acks`;
  }
  why ??= await checkStored(r.dataDir, topic, N, "none", false);
  cell("produce", { status: why ? "FAIL" : "pass", why, ms: p1.ms, steps: [p1] });
  const produced = !why || (p1.result?.ok ?? false);

  // fetch
  if (produced) {
    const f = await r.step(row, ["fetch", r.bootstrap, topic, group], { ...base, n: String(N) }, t);
    const fwhy = Runner.clientError(f) ??
      checkMessages(row, f.result?.msgs, 0, N, row.acks ? acks : undefined);
    cell("fetch", { status: fwhy ? "FAIL" : "pass", why: fwhy, ms: f.ms, steps: [f] });

    // group, then resume
    const g = await r.step(row, ["group", r.bootstrap, topic, group], { ...base, n: String(N) }, t);
    const gwhy = Runner.clientError(g) ?? checkMessages(row, g.result?.msgs, 0, N);
    cell("group", { status: gwhy ? "FAIL" : "pass", why: gwhy, ms: g.ms, steps: [g] });
    if (!gwhy) {
      const p2 = await r.step(row, ["produce", r.bootstrap, topic, group], {
        ...base,
        n: String(M),
        start: String(N),
      }, t);
      let rwhy = Runner.clientError(p2);
      const steps = [p2];
      if (!rwhy) {
        const g2 = await r.step(row, ["group", r.bootstrap, topic, group], { ...base, n: String(M) }, t);
        steps.push(g2);
        rwhy = Runner.clientError(g2) ?? checkMessages(row, g2.result?.msgs, N, N + M);
      } else rwhy = `second produce: ${rwhy}`;
      cell("resume", {
        status: rwhy ? "FAIL" : "pass",
        why: rwhy,
        ms: steps.reduce((s, x) => s + x.ms, 0),
        steps,
      });
    } else cell("resume", { status: "FAIL", why: "group scenario failed", steps: [] });
  } else {
    for (const s of ["fetch", "group", "resume"] as const) {
      cell(s, { status: "FAIL", why: "produce failed", steps: [] });
    }
  }
}

function wanted(o: Options, s: Scenario): boolean {
  return !o.scenarios || o.scenarios.test(s);
}

async function runRow(r: Runner, row: Row, idemAdvertised: boolean): Promise<Map<Scenario, Cell>> {
  const cells = new Map<Scenario, Cell>();
  const t = r.opts.timeoutMs;
  const topic = `compat-${r.run}-${row.id}`;
  const group = `${topic}-g`;
  const base = { headers: row.headers ? "1" : "0" };
  const cell = (s: Scenario, c: Cell) => cells.set(s, c);

  const want = (s: Scenario) => wanted(r.opts, s);

  // produce, fetch, group, resume
  if ((["produce", "fetch", "group", "resume"] as const).some(want)) await basics(r, row, cells);
  if (want("split")) cell("split", await split(r, row, `${topic}-split`));
  if (r.interop && want("interop")) {
    const steps: StepLog[] = [];
    let w: string | undefined;
    for (const codec of ["none", ...row.codecs]) {
      const seedErr = r.interop.get(codec);
      if (seedErr) {
        w = `seeding the ${codec} topic failed: ${seedErr}`;
        break;
      }
      const f = await r.step(row, ["fetch", r.bootstrap, `${r.interopPrefix}-${codec}`, group], {
        ...base,
        n: String(INTEROP_N),
      }, t);
      steps.push(f);
      w = Runner.clientError(f) ??
        checkMessages(row, f.result?.msgs, 0, INTEROP_N, undefined, INTEROP_HEADERS);
      if (w) {
        w = `${codec} topic: ${w}`;
        break;
      }
    }
    cell("interop", { status: w ? "FAIL" : "pass", why: w, ms: steps.reduce((a, x) => a + x.ms, 0), steps });
  }

  // compression and idempotence: produce, check the log, fetch back
  const roundTrip = async (s: Scenario, extra: Record<string, string>, codec: string, idem: boolean) => {
    const tp = `${topic}-${s}`;
    const p = await r.step(row, ["produce", r.bootstrap, tp, group], { ...base, n: String(NC), ...extra }, t);
    let w = Runner.clientError(p);
    const steps = [p];
    const ack = new Map<number, [number, number]>();
    if (!w && row.acks) { for (const [i, pp, o] of p.result?.acks ?? []) ack.set(i, [pp, o]); }
    w ??= await checkStored(r.dataDir, tp, NC, codec, idem);
    if (!w) {
      const f = await r.step(row, ["fetch", r.bootstrap, tp, group], { ...base, n: String(NC) }, t);
      steps.push(f);
      w = Runner.clientError(f) ?? checkMessages(row, f.result?.msgs, 0, NC, row.acks ? ack : undefined);
    }
    let status: Cell["status"] = w ? "FAIL" : "pass";
    if (w && idem && !idemAdvertised && !r.opts.strict) {
      status = "pending";
      w = `InitProducerId not advertised yet: ${w}`;
    }
    cell(s, { status, why: w, ms: steps.reduce((a, x) => a + x.ms, 0), steps });
  };
  for (const c of CODECS) {
    if (!want(c)) continue;
    if (row.codecs.includes(c)) await roundTrip(c, { compression: c }, c, false);
    else cell(c, { status: "n/a", steps: [] });
  }
  if (want("idempotent")) {
    if (row.idempotent) await roundTrip("idempotent", { idempotent: "1" }, "none", true);
    else cell("idempotent", { status: "n/a", steps: [] });
  }
  if (want("txn-read")) {
    cell("txn-read", row.txnRead ? { status: "n/a", steps: [] } : await txnRead(r, row, `${topic}-txnread`));
  }
  for (const s of ["txn", "eos"] as const) {
    if (!want(s)) continue;
    if (typeof row.txn === "string" || (s === "eos" && !row.txn.eos)) cell(s, { status: "n/a", steps: [] });
    else if (s === "txn") cell(s, await txn(r, row, row.readCommitted, `${topic}-txn`));
    else cell(s, await eos(r, row, row.readCommitted, `${topic}-eos`));
  }
  return cells;
}

// ------------------------------------------------------------------------------------------ transactions
const NT = 10;

/** The row that reads for `row`: itself, or confluent-kafka (PyPI) when it has no read_committed consumer. */
function readerOf(row: Row, readCommitted: boolean): Row {
  return readCommitted ? row : rows().find((x) => x.id === "ckpip")!;
}

async function createTopics(r: Runner, topics: string[]): Promise<void> {
  const admin = new Kafka({
    clientId: "compat-runner",
    brokers: r.bootstrap.split(","),
    logLevel: logLevel.NOTHING,
  })
    .admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: topics.map((topic) => ({ topic, numPartitions: 3 })),
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}

/** Reads `topic` from the start with isolation read_committed: exactly messages [0, NT), over 2+ partitions. */
async function readCommitted(
  r: Runner,
  reader: Row,
  row: Row,
  topic: string,
  acks?: Map<number, [number, number]>,
): Promise<{ step: StepLog; why?: string }> {
  const f = await r.step(reader, ["fetch", r.bootstrap, topic, `${topic}-rc`], {
    headers: reader.headers && row.headers ? "1" : "0",
    n: String(NT),
    isolation: "read_committed",
  }, r.opts.timeoutMs);
  let why = Runner.clientError(f) ??
    checkMessages({ ...row, headers: reader.headers && row.headers }, f.result?.msgs, 0, NT, acks);
  if (!why && new Set(f.result!.msgs!.map((m) => m[0])).size < 2) {
    why = "the committed records are in one partition";
  }
  if (why && reader !== row) why = `read_committed reader ${reader.label}: ${why}`;
  return { step: f, why };
}

/** The txn scenario (see the header comment). */
async function txn(r: Runner, row: Row, rc: boolean, topic: string): Promise<Cell> {
  try {
    await createTopics(r, [topic]);
    const p = await r.step(row, ["txn", r.bootstrap, topic, `${topic}-g`], {
      headers: row.headers ? "1" : "0",
      n: String(NT),
      start: "0",
      partitions: "3",
      transactional_id: `${topic}-tx`,
    }, r.opts.timeoutMs);
    const steps = [p];
    let why = Runner.clientError(p);
    const acks = new Map<number, [number, number]>();
    if (!why && row.acks) {
      for (const [i, pp, o] of p.result?.acks ?? []) acks.set(i, [pp, o]);
      if (acks.size !== NT) why = `${acks.size} of ${NT} acks of the committed transaction`;
    }
    why ??= checkStoredTxn(r.dataDir, topic, 2 * NT);
    if (!why) {
      const f = await readCommitted(r, readerOf(row, rc), row, topic, row.acks ? acks : undefined);
      steps.push(f.step);
      why = f.why;
    }
    return { status: why ? "FAIL" : "pass", why, ms: steps.reduce((a, x) => a + x.ms, 0), steps };
  } catch (e) {
    return { status: "FAIL", why: `runner: ${(e as Error).message}`, steps: [] };
  }
}

/** Seeds the txn-read topic: confluent-kafka (PyPI) aborts NT messages, then commits NT (see the header comment). */
async function seedTxnRead(r: Runner, ck: Row): Promise<string | null> {
  const topic = `compat-${r.run}-txnread`;
  try {
    await createTopics(r, [topic]);
  } catch (e) {
    return `creating ${topic}: ${(e as Error).message}`;
  }
  const p = await r.step(ck, ["txn", r.bootstrap, topic, "seed"], {
    headers: "1",
    n: String(NT),
    start: "0",
    partitions: "3",
    transactional_id: `${topic}-tx`,
  }, r.opts.timeoutMs);
  return Runner.clientError(p) ?? checkStoredTxn(r.dataDir, topic, 2 * NT) ?? null;
}

/** The txn-read scenario: the row's consumer reads the seeded transactional topic (see the header comment). */
async function txnRead(r: Runner, row: Row, group: string): Promise<Cell> {
  if (r.txnReadSeed) return { status: "FAIL", why: `seeding the topic failed: ${r.txnReadSeed}`, steps: [] };
  const rc = row.readCommitted;
  const n = rc ? NT : 2 * NT;
  const f = await r.step(row, ["fetch", r.bootstrap, `compat-${r.run}-txnread`, group], {
    headers: row.headers ? "1" : "0",
    n: String(n),
    ...(rc ? { isolation: "read_committed" } : {}),
  }, r.opts.timeoutMs);
  const why = Runner.clientError(f) ?? checkMessages(row, f.result?.msgs, 0, n);
  return {
    status: why ? "FAIL" : "pass",
    why: why && `${rc ? "read_committed" : "no isolation level"}: ${why}`,
    ms: f.ms,
    steps: [f],
  };
}

/** The group's committed offsets of `topic` by partition (-1: none), and the topic's end offsets. */
async function groupOffsets(r: Runner, group: string, topic: string) {
  const admin = new Kafka({
    clientId: "compat-runner",
    brokers: r.bootstrap.split(","),
    logLevel: logLevel.NOTHING,
  })
    .admin();
  await admin.connect();
  try {
    const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    const ends = await admin.fetchTopicOffsets(topic);
    return {
      committed: Object.fromEntries(
        committed.partitions.map((
          p: { partition: number; offset: string },
        ) => [p.partition, Number(p.offset)]),
      ) as Record<number, number>,
      ends: Object.fromEntries(
        ends.map((p: { partition: number; high: string }) => [p.partition, Number(p.high)]),
      ) as Record<number, number>,
    };
  } finally {
    await admin.disconnect();
  }
}

/** The eos scenario: consume-transform-produce with send_offsets_to_transaction (see the header comment). */
async function eos(r: Runner, row: Row, rc: boolean, topic: string): Promise<Cell> {
  const out = `${topic}-out`;
  const group = `${topic}-g`;
  const t = r.opts.timeoutMs;
  const base = { headers: row.headers ? "1" : "0" };
  const steps: StepLog[] = [];
  const cell = (why?: string): Cell => ({
    status: why ? "FAIL" : "pass",
    why,
    ms: steps.reduce((a, x) => a + x.ms, 0),
    steps,
  });
  try {
    await createTopics(r, [topic, out]);
    const seed = await r.step(row, ["produce", r.bootstrap, topic, group], { ...base, n: String(NT) }, t);
    steps.push(seed);
    let why = Runner.clientError(seed);
    if (why) return cell(`seeding the input: ${why}`);
    for (const abort of [true, false]) {
      const x = await r.step(row, ["eos", r.bootstrap, topic, group], {
        ...base,
        n: String(NT),
        out,
        transactional_id: `${topic}-tx`,
        abort: abort ? "1" : "0",
      }, t);
      steps.push(x);
      // The committed run reading all of 0..NT-1 again also proves the aborted run left no committed offsets
      // behind (the member would otherwise start at the end of the input and get nothing).
      why = Runner.clientError(x) ?? checkMessages(row, x.result?.msgs, 0, NT);
      if (why) return cell(`${abort ? "aborted" : "committed"} run: ${why}`);
      // EndTxn answers once the outcome is durable; the markers (the one to the group's __consumer_offsets
      // partition included) follow, so committed offsets may take a moment to show.
      let o = await groupOffsets(r, group, topic);
      for (let i = 0; !abort && i < 50 && Object.values(o.committed).some((c) => c < 0); i++) {
        await new Promise((res) => setTimeout(res, 200));
        o = await groupOffsets(r, group, topic);
      }
      const shown = `committed ${JSON.stringify(o.committed)}, end offsets ${JSON.stringify(o.ends)}`;
      if (abort && Object.values(o.committed).some((c) => c >= 0)) {
        return cell(`the group has committed offsets after the aborted transaction: ${shown}`);
      }
      if (!abort && Object.entries(o.ends).some(([p, e]) => o.committed[Number(p)] !== e)) {
        return cell(`after the commit the group's offsets are not the input's end offsets: ${shown}`);
      }
    }
    const f = await readCommitted(r, readerOf(row, rc), row, out);
    steps.push(f.step);
    return cell(f.why && `output: ${f.why}`);
  } catch (e) {
    return cell(`runner: ${(e as Error).message}`);
  }
}

// ------------------------------------------------------------------------------------ split and interop
const INTEROP_N = 30;
const INTEROP_HEADERS = 20;
const { Kafka, logLevel, AssignerProtocol } = kafkajs;

/** Seeds one topic per codec, written by other client families (see the header comment). */
async function seedInterop(r: Runner, all: Row[]): Promise<Map<string, string | undefined>> {
  const byId = new Map(all.map((x) => [x.id, x]));
  const res = new Map<string, string | undefined>();
  await Promise.all(["none", ...CODECS].map(async (codec) => {
    const topic = `${r.interopPrefix}-${codec}`;
    const second = codec === "zstd" ? byId.get("sarama-v2100")! : byId.get("kafkago")!;
    const a = await r.step(byId.get("ckpip")!, ["produce", r.bootstrap, topic, "seed"], {
      n: String(INTEROP_HEADERS),
      start: "0",
      headers: "1",
      compression: codec,
    }, r.opts.timeoutMs);
    let err = Runner.clientError(a);
    if (!err) {
      const b = await r.step(second, ["produce", r.bootstrap, topic, "seed"], {
        n: String(INTEROP_N - INTEROP_HEADERS),
        start: String(INTEROP_HEADERS),
        headers: "0",
        compression: codec,
      }, r.opts.timeoutMs);
      err = Runner.clientError(b);
      if (err) err = `${second.label}: ${err}`;
    } else err = `confluent-kafka (PyPI): ${err}`;
    err ??= await checkStored(r.dataDir, topic, INTEROP_N, codec, false);
    res.set(codec, err);
  }));
  return res;
}

/** Two members of one group split the partitions (see the header comment). */
/** ConsumerGroupDescribe of `group` at whichever gateway coordinates it; null when none answers it. */
async function describeConsumerGroup(bootstrap: string, group: string) {
  for (const addr of bootstrap.split(",")) {
    const c = await WireClient.connect(Number(addr.split(":")[1]), "compat-runner");
    try {
      const res = await c.call<ConsumerGroupDescribeResponse>(ConsumerGroupDescribeSpec, 0, {
        groupIds: [group],
        includeAuthorizedOperations: false,
      });
      if (res.groups[0]?.errorCode === 0) return res.groups[0];
    } finally {
      c.close();
    }
  }
  return null;
}

async function split(r: Runner, row: Row, topic: string): Promise<Cell> {
  const group = `${topic}-g`;
  const t = r.opts.timeoutMs;
  const kafka = new Kafka({
    clientId: "compat-runner",
    brokers: r.bootstrap.split(","),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    const opts = { headers: row.headers ? "1" : "0", n: String(N), idle_ms: "3000", commit: "0" };
    let exited = 0; // a member that ends before the group is Stable (e.g. cannot start) ends the wait
    const members = [0, 1].map(() =>
      r.step(row, ["group", r.bootstrap, topic, group], opts, t).finally(() => exited++)
    );
    // Wait until the coordinator has both members with their assignments.
    const deadline = Date.now() + t - 5000;
    let described = "";
    let assignments: number[][] = [];
    for (;;) {
      let state: string;
      if (row.opts.protocol === "consumer") {
        // a KIP-848 group: ConsumerGroupDescribe (DescribeGroups does not describe it)
        const g = await describeConsumerGroup(r.bootstrap, group);
        state = g?.groupState ?? "unknown";
        const members = g?.members ?? [];
        assignments = members.map((m) =>
          m.assignment.topicPartitions.filter((tp) => tp.topicName === topic).flatMap((tp) => tp.partitions)
        );
      } else {
        const { groups } = await admin.describeGroups([group]);
        const g = groups[0];
        state = g.state;
        assignments = g.members.map((m: { memberAssignment: Buffer }) => {
          try {
            const a = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
            return a?.assignment?.[topic] ?? [];
          } catch {
            return [];
          }
        });
      }
      described = `${state}, ${assignments.length} member(s), assignments ${JSON.stringify(assignments)}`;
      if (state === "Stable" && assignments.length === 2 && assignments.every((a: number[]) => a.length)) {
        break;
      }
      if (Date.now() > deadline || exited > 0) {
        const steps = await Promise.all(members);
        return {
          status: "FAIL",
          why: `the group never became Stable with 2 assigned members: ${described}`,
          steps,
        };
      }
      await new Promise((res) => setTimeout(res, 200));
    }
    // A Fetch a member sent before the rebalance (long poll, fetch.max.wait 500 ms in every client program) may
    // still return data of a partition it has just given up; Kafka does not fence fetches by generation either.
    // Let those expire before producing, so that a correct client and broker give a clean split.
    await new Promise((res) => setTimeout(res, 1500));
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: N }, (_, i) => ({
        key: `k-${i}`,
        value: `v-${i}|${PAD}`,
        headers: { h: String(i) },
      })),
    });
    await producer.disconnect();
    const steps = await Promise.all(members);
    const ms = Math.max(...steps.map((s) => s.ms));
    for (const [i, s] of steps.entries()) {
      const e = Runner.clientError(s);
      if (e) {
        // What each member got and when it ended, for a failure seen only in CI's summary line.
        const got = steps.map((x) =>
          `${x.result?.msgs?.length ?? "?"} msgs in ${(x.ms / 1000).toFixed(1)} s`
        );
        return {
          status: "FAIL",
          why: `member ${i + 1}: ${e} (members: ${got.join(", ")}; group was ${described})`,
          ms,
          steps,
        };
      }
    }
    // Members report until they have been idle a while, so the first to leave sets off one more rebalance, and the
    // other (no commits: commit=0) may read again from the start what it or the leaver had read. What is checked
    // is each member's deliveries in the Stable generation the runner saw: up to where it starts reading a partition
    // over from offset 0 (stableDeliveries).
    const [a, b] = steps.map((s) => stableDeliveries(s.result?.msgs ?? [], assignments));
    if (!a.length || !b.length) {
      return {
        status: "FAIL",
        why: `a member got nothing: ${a.length} + ${b.length} (${described})`,
        ms,
        steps,
      };
    }
    const pa = new Set(a.map((m) => m[0]));
    const overlap = b.filter((m) => pa.has(m[0])).map((m) => m[0]);
    if (overlap.length) {
      return {
        status: "FAIL",
        why: `both members consumed partition ${overlap[0]} (${described})`,
        ms,
        steps,
      };
    }
    const why = checkMessages(row, [...a, ...b], 0, N);
    return { status: why ? "FAIL" : "pass", why: why && `${why} (${described})`, ms, steps };
  } catch (e) {
    return { status: "FAIL", why: `runner: ${(e as Error).message}`, steps: [] };
  } finally {
    await admin.disconnect();
  }
}

/**
 * A split member's deliveries up to where it started over after the final rebalance: the first delivery at offset
 * 0 of a partition outside its assignment in `assignments`, or of a partition it had already read from 0.
 */
function stableDeliveries<M extends readonly unknown[]>(msgs: M[], assignments: number[][]): M[] {
  if (msgs.length === 0) return msgs;
  const mine = assignments.find((a) => a.includes(msgs[0][0] as number));
  if (!mine) return msgs;
  const seen = new Set<string>();
  for (let i = 0; i < msgs.length; i++) {
    const key = `${msgs[i][0]}/${msgs[i][1]}`;
    // Only a restart from the topic's first offset is what a member without committed offsets does after a
    // rebalance; any other repeat (or foreign partition) stays in and fails the checks.
    if ((!mine.includes(msgs[i][0] as number) || seen.has(key)) && msgs[i][1] === 0) return msgs.slice(0, i);
    seen.add(key);
  }
  return msgs;
}

// ---------------------------------------------------------------------------------------------- output
function markdown(
  list: Row[],
  results: Map<string, Map<Scenario, Cell>>,
  meta: string[],
): string {
  const cols = SCENARIOS.filter((s) => results.size && [...results.values()].some((m) => m.has(s)));
  const head = ["client", ...cols];
  const lines = [
    `| ${head.join(" | ")} |`,
    `| ${head.map((h, i) => (i ? ":-:" : "-").padEnd(Math.max(3, h.length), "-")).join(" | ")} |`,
  ];
  for (const row of list) {
    const cells = results.get(row.id)!;
    lines.push(`| ${[row.label, ...cols.map((s) => cells.get(s)?.status ?? "?")].join(" | ")} |`);
  }
  const notes = list.flatMap((r) => [
    ...(r.note ? [`- ${r.label}: ${r.note}`] : []),
    ...(typeof r.txn === "string" && (cols.includes("txn") || cols.includes("eos"))
      ? [`- ${r.label}: txn/eos n/a: ${r.txn}`]
      : []),
    ...(r.txnRead && cols.includes("txn-read") ? [`- ${r.label}: txn-read n/a: ${r.txnRead}`] : []),
    ...(typeof r.txn !== "string" && !r.readCommitted && cols.includes("txn")
      ? [`- ${r.label}: no read_committed consumer, confluent-kafka (PyPI) reads its transactions`]
      : []),
  ]);
  const fails: string[] = [];
  for (const row of list) {
    for (const [s, c] of results.get(row.id)!) {
      if (c.status === "FAIL" || c.status === "pending") {
        fails.push(`- ${row.label} / ${s}: ${c.status} — ${c.why}`);
      } else if (c.flaky !== undefined) {
        fails.push(`- ${row.label} / ${s}: flaky (passed when run again) — first run: ${c.flaky}`);
      }
    }
  }
  return [
    ...meta,
    "",
    ...lines,
    "",
    "n/a: the client (or the configured protocol version) has no such feature.",
    ...(notes.length ? ["", ...notes] : []),
    ...(fails.length ? ["", "Failures:", "", ...fails] : []),
    "",
  ].join("\n");
}

function table(list: Row[], results: Map<string, Map<Scenario, Cell>>): string {
  const cols = SCENARIOS.filter((s) => [...results.values()].some((m) => m.has(s)));
  const w0 = Math.max(...list.map((r) => r.label.length), 6);
  const ws = cols.map((s) => Math.max(s.length, 7));
  const fmt = (cols: string[]) => cols.map((c, i) => c.padEnd(i ? ws[i - 1] : w0)).join("  ");
  const out = [fmt(["client", ...cols])];
  for (const row of list) {
    const cells = results.get(row.id)!;
    out.push(fmt([row.label, ...cols.map((s) => cells.get(s)?.status ?? "?")]));
  }
  return out.join("\n");
}

// ------------------------------------------------------------------------------------------------ main
async function main(): Promise<number> {
  const opts = parseOptions(Deno.args);
  const t0 = Date.now();
  if (opts.install) {
    console.log("installing clients (scripts/compat/install.sh) ...");
    const r = await new Deno.Command("bash", {
      args: [`${HERE}install.sh`],
      env: { DENO_BIN: DENO },
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (!r.success) {
      console.error("FATAL: client installation failed");
      return 1;
    }
    console.log(`clients installed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  const list = rows().filter((r) => !opts.only || opts.only.test(r.id) || opts.only.test(r.label));
  if (!list.length) {
    console.error("no client matches --only");
    return 1;
  }
  const out = opts.out ?? await Deno.makeTempDir({ prefix: "kgw-compat-" });
  await Deno.mkdir(out, { recursive: true });

  let gws: Gateways | undefined;
  let bootstrap = opts.bootstrap;
  let dataDir: string | undefined;
  let cluster: SeaweedFS | undefined;
  if (!bootstrap && opts.backend === "seaweedmq") {
    const ts = Date.now();
    cluster = await startSeaweedFS();
    opts.gatewayArgs.unshift(...cluster.gatewayArgs);
    console.log(
      `SeaweedFS cluster up in ${((Date.now() - ts) / 1000).toFixed(1)} s (master ${cluster.master})`,
    );
  }
  const census = opts.census && !bootstrap ? new CensusProxy() : undefined;
  if (!bootstrap) {
    gws = await startGateways(opts.gateways, [
      ...(census ? ["--advertised-listener", `127.0.0.1:${census.port}`] : []),
      "--num-partitions",
      "3",
      "--group-initial-rebalance-delay-ms",
      "0",
      "--group-min-session-timeout-ms",
      "1000",
      ...opts.gatewayArgs,
    ]).catch(async (e) => {
      census?.close();
      await cluster?.stop();
      throw e;
    });
    const gw = gws.list[0];
    bootstrap = gws.bootstrap;
    // The log checks read the embedded backend's segments; with another backend (--gateway-arg --backend ...)
    // they are skipped.
    const ga = opts.gatewayArgs;
    const otherBackend = ga.some((a, i) =>
      (a === "--backend" && ga[i + 1] !== "embedded") ||
      (a.startsWith("--backend=") && a !== "--backend=embedded")
    );
    dataDir = otherBackend ? undefined : gw.dataDir;
    console.log(
      `${gws.list.length > 1 ? `${gws.list.length} gateways (one cluster)` : "gateway"} on ${bootstrap}, ${
        dataDir ? `data in ${dataDir}` : `backend ${ga.join(" ")}`
      }`,
    );
    if (census) {
      census.setTarget(gw.port);
      bootstrap = `127.0.0.1:${census.port}`;
      console.log(`census proxy on ${bootstrap} (advertised by the gateway)`);
    }
  }
  const apis = await advertisedApiKeys(bootstrap.split(",")[0]);
  const idemAdvertised = apis.has(22);
  const run = Date.now().toString(36);
  const runner = new Runner(opts, bootstrap, dataDir, run);
  const results = new Map<string, Map<Scenario, Cell>>();
  const tr = Date.now();
  try {
    if (wanted(opts, "interop")) runner.interop = await seedInterop(runner, rows());
    else runner.interop = new Map();
    if (wanted(opts, "txn-read")) {
      runner.txnReadSeed = await seedTxnRead(
        runner,
        rows().find((x) => x.id === "ckpip")!,
      );
    }
    const bad = [...runner.interop].filter(([, e]) => e);
    console.log(
      `interop topics seeded in ${((Date.now() - tr) / 1000).toFixed(1)} s` +
        (bad.length ? `; FAILED: ${bad.map(([c, e]) => `${c}: ${e}`).join("; ")}` : ""),
    );
    // A pool of rows in parallel; each row's steps run one after another.
    const runRows = async (
      rn: Runner,
      rowList: Row[],
      into: Map<string, Map<Scenario, Cell>>,
      tag: string,
    ) => {
      const queue = [...rowList];
      const worker = async () => {
        for (let row = queue.shift(); row; row = queue.shift()) {
          const ts = Date.now();
          let cells: Map<Scenario, Cell>;
          try {
            cells = await runRow(rn, row, idemAdvertised);
          } catch (e) {
            cells = new Map(
              SCENARIOS.filter((s) => wanted(opts, s)).map((s) => [
                s,
                { status: "FAIL", why: `runner: ${e}`, steps: [] } as Cell,
              ]),
            );
          }
          into.set(row.id, cells);
          const bad = [...cells].filter(([, c]) => c.status === "FAIL" || c.status === "pending");
          console.log(
            `${row.label}${tag}: ${
              bad.length ? bad.map(([s, c]) => `${s} ${c.status}`).join(", ") : "all pass"
            } (${((Date.now() - ts) / 1000).toFixed(1)} s)`,
          );
          for (const [s, c] of bad) {
            console.log(`    ${s}: ${c.why}`);
            const file = `${out}/${row.id}-${s}${tag ? "-again" : ""}.log`;
            await Deno.writeTextFile(
              file,
              c.steps.map((st) =>
                `$ ${row.cmd[0]} ${
                  st.args.join(" ")
                }\n# exit ${st.code} in ${st.ms} ms\n--- stdout\n${st.stdout}\n` +
                `--- stderr\n${st.stderr}\n`
              ).join("\n"),
            );
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(opts.jobs, rowList.length) }, worker));
    };
    await runRows(runner, list, results, "");
    // Flakes are named, never silently fatal: a row with a failed cell runs once more (new topics and groups);
    // a cell that passes then is "pass" with its first failure kept as `flaky`, one that fails again stays FAIL.
    const failedRows = opts.retry
      ? list.filter((row) => [...results.get(row.id)!.values()].some((c) => c.status === "FAIL"))
      : [];
    if (failedRows.length > 0) {
      console.log(`running again the rows with a failed cell: ${failedRows.map((r) => r.label).join(", ")}`);
      const again = new Map<string, Map<Scenario, Cell>>();
      await runRows(runner.again(), failedRows, again, " (run again)");
      for (const row of failedRows) {
        const cells = results.get(row.id)!;
        for (const [s, c] of cells) {
          const c2 = again.get(row.id)?.get(s);
          if (c.status === "FAIL" && c2?.status === "pass") {
            cells.set(s, { ...c2, flaky: c.why ?? "failed" });
          }
        }
      }
    }
  } finally {
    census?.close();
    if (gws) {
      await gws.writeLogs(out);
      if (opts.keep) await Promise.all(gws.list.map((g) => g.stop()));
      else await gws.stop();
    }
    await cluster?.stop();
  }
  const runMs = Date.now() - tr;
  const cells = [...results.values()].flatMap((m) => [...m.values()]);
  const count = (s: Cell["status"]) => cells.filter((c) => c.status === s).length;
  const failed = count("FAIL") + (opts.strict ? count("pending") : 0);
  const flaky = list.flatMap((row) =>
    [...results.get(row.id)?.entries() ?? []].filter(([, c]) => c.flaky !== undefined).map(([s, c]) =>
      `flaky: ${row.label} / ${s}: ${c.flaky}`
    )
  );
  console.log(`\n${table(list, results)}\n`);
  for (const f of flaky) console.log(f);
  const summary = `${count("pass")} passed, ${count("FAIL")} failed, ${flaky.length} flaky, ` +
    `${count("pending")} pending, ` +
    `${count("n/a")} n/a; scenarios ${(runMs / 1000).toFixed(1)} s, total ${
      ((Date.now() - t0) / 1000).toFixed(1)
    } s ` +
    `(--jobs ${opts.jobs})`;
  console.log(`compat: ${summary}`);
  console.log(`logs of failed cells and the gateway log: ${out}`);
  const meta = [
    `Compatibility matrix (\`deno task compat${opts.backend === "seaweedmq" ? " --backend seaweedmq" : ""}${
      opts.gateways > 1 ? ` --gateways ${opts.gateways}` : ""
    }\`, ${new Date().toISOString().slice(0, 10)}): ${summary}.`,
    "",
    "Columns: produce, fetch (no group), group (subscribe, consume, commit), resume (a new member continues at the",
    "committed offsets), split (two members share a topic's partitions), interop (reads what other client families",
    "wrote: RecordBatch v2 with headers and magic-1 message sets, in every codec the client decodes), gzip/snappy/",
    "lz4/zstd (compressed produce + fetch, codec checked in the gateway's log), idempotent (idempotent producer +",
    "fetch, producer id checked in the log), txn (a transactional producer aborts a transaction and commits",
    "another over 3 partitions; a read_committed consumer gets exactly the committed records; markers checked",
    "in the log), eos (consume-transform-produce with send_offsets_to_transaction: the group's offsets move",
    "only with the committed transaction), txn-read (reads a topic with an aborted and a committed transaction:",
    "read_committed clients exactly the committed records, clients without isolation level every data record",
    "and no control record). Details: scripts/compat/run.ts.",
    ...(opts.backend === "seaweedmq"
      ? [
        "",
        "Backend: SeaweedMQ on a SeaweedFS cluster started for the run; the log checks (codec, producer id, record",
        "count in the embedded log's segments) do not apply there: only what the clients read back is checked.",
      ]
      : []),
    ...(opts.gateways > 1
      ? [
        "",
        `Cluster: ${opts.gateways} gateways (--node-id 1..${opts.gateways}) on that SeaweedFS cluster, all of them in`,
        "the clients' bootstrap list: clients follow Metadata to partition leaders and group coordinators.",
      ]
      : []),
  ];
  let md = markdown(list, results, meta);
  if (census) {
    md += [
      "",
      "Requests each client sent (`--census`: API and versions, from the request headers):",
      "",
      ...list.map((r) => `- ${r.label}: ${census.describe(r.id)}`),
      "",
    ].join("\n");
  }
  if (opts.markdown !== "") {
    await Deno.writeTextFile(opts.markdown, md);
    // Same layout as `deno fmt` (the repository's check task covers Markdown): align the table.
    await new Deno.Command(DENO, { args: ["fmt", "--quiet", opts.markdown], stdout: "null", stderr: "null" })
      .output().catch(() => {});
  }
  if (opts.json) {
    const j = Object.fromEntries(
      list.map((r) => [
        r.id,
        Object.fromEntries(
          [...results.get(r.id)!].map(([s, c]) => [s, { status: c.status, why: c.why, ms: c.ms }]),
        ),
      ]),
    );
    await Deno.writeTextFile(opts.json, JSON.stringify({ summary, runMs, results: j }, null, 2));
  }
  if (opts.markdown !== "") console.log(`matrix written to ${opts.markdown}`);
  return failed ? 1 : 0;
}

Deno.exit(await main());
