// Debian's Burrow (LinkedIn's lag monitor, 1.2.1) and the ZooKeeper it keeps its own state in, started on free
// loopback ports for tests/integration/burrow_test.ts. Burrow reads committed offsets from `__consumer_offsets`
// (its consumer module of class "kafka", Sarama) and broker offsets through its cluster module; its HTTP API answers
// /v3/kafka/<cluster>/consumer[/<group>[/lag]]. Both come from apt (scripts/setup_test_tools.sh installs them).
import { requireTool, type Tool } from "./tools.ts";
import type { ProxiedRequest } from "./tcp_proxy.ts";
import { freePort } from "./ports.ts";

export const ZOOKEEPER_JAR = "/usr/share/java/zookeeper.jar";
const ZOOKEEPER_CP = `/etc/zookeeper/conf:${ZOOKEEPER_JAR}`;

export function burrowTool(): Promise<Tool> {
  return requireTool("burrow (Debian package burrow: /usr/bin/Burrow)", "Burrow", ["--help"]);
}

export function zookeeperTool(): Promise<Tool> {
  return requireTool("zookeeper (Debian package zookeeper, with java)", "java", [
    "-cp",
    ZOOKEEPER_CP,
    "org.apache.zookeeper.Version",
  ]);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A child process whose output goes to a file (nothing piped that could fill up), stopped by its pid. */
class Daemon {
  private readonly child: Deno.ChildProcess;
  private done = false;
  private readonly onUnload = () => {
    if (!this.done) {
      try {
        Deno.kill(this.child.pid, "SIGKILL");
      } catch { /* gone */ }
    }
  };
  constructor(readonly name: string, cmd: string[], readonly logFile: string, cwd: string) {
    // exec: the pid is the program's own, so signals reach it
    this.child = new Deno.Command("bash", {
      args: ["-c", 'exec "$@" >>"$KGW_DAEMON_LOG" 2>&1', "bash", ...cmd],
      env: { KGW_DAEMON_LOG: logFile },
      cwd,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    this.child.status.then(() => this.done = true);
    globalThis.addEventListener("unload", this.onUnload);
  }
  get pid(): number {
    return this.child.pid;
  }
  get exited(): boolean {
    return this.done;
  }
  log(): string {
    try {
      return Deno.readTextFileSync(this.logFile);
    } catch {
      return "";
    }
  }
  async stop(): Promise<void> {
    globalThis.removeEventListener("unload", this.onUnload);
    if (!this.done) {
      try {
        this.child.kill("SIGTERM");
      } catch { /* gone */ }
      const t = setTimeout(() => {
        try {
          this.child.kill("SIGKILL");
        } catch { /* gone */ }
      }, 10_000);
      await this.child.status;
      clearTimeout(t);
    }
  }
}

export interface ZooKeeper {
  readonly address: string;
  readonly dir: string;
  log(): string;
  stop(): Promise<void>;
}

/** A ZooKeeper four-letter word; the answer ends when ZooKeeper closes, or after 5 s (a half-started server may not). */
async function fourLetter(port: number, word: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const timer = setTimeout(() => {
    try {
      conn.close();
    } catch { /* closed */ }
  }, 5_000);
  try {
    await conn.write(new TextEncoder().encode(word));
    const buf = new Uint8Array(1024);
    let out = "";
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      out += new TextDecoder().decode(buf.subarray(0, n));
    }
    return out;
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* closed */ }
  }
}

/**
 * Whether ZooKeeper gives a client a session: a ConnectRequest (protocol version 0, no last zxid, a 6 s timeout,
 * session 0, an empty password) answered with a session id. `ruok` answers `imok` as soon as the port is open,
 * before the server runs; until it runs, ZooKeeper closes every session ("ZooKeeperServer not running"), which
 * Burrow treats as fatal (seen on a loaded machine for 20+ s).
 */
async function takesSession(port: number): Promise<boolean> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const timer = setTimeout(() => {
    try {
      conn.close();
    } catch { /* closed */ }
  }, 5_000);
  try {
    const req = new Uint8Array(4 + 4 + 8 + 4 + 8 + 4 + 16 + 1);
    const v = new DataView(req.buffer);
    v.setInt32(0, req.length - 4);
    v.setInt32(4, 0); // protocol version
    v.setBigInt64(8, 0n); // last zxid seen
    v.setInt32(16, 6000); // session timeout
    v.setBigInt64(20, 0n); // session id: a new one
    v.setInt32(28, 16); // password length, then 16 zero bytes, then read-only false
    await conn.write(req);
    const buf = new Uint8Array(64);
    let got = 0;
    while (got < 4 + 4 + 4 + 8) {
      const n = await conn.read(buf.subarray(got));
      if (n === null) return false;
      got += n;
    }
    const r = new DataView(buf.buffer);
    return r.getBigInt64(12) !== 0n; // size, protocol version, timeout, then the session id
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* closed */ }
  }
}

/** A standalone ZooKeeper (Debian's zookeeper.jar) on a free loopback port, data in a temp dir. */
export async function startZooKeeper(): Promise<ZooKeeper> {
  const dir = await Deno.makeTempDir({ prefix: "kgw-zk-" });
  await Deno.mkdir(`${dir}/data`);
  for (let attempt = 1;; attempt++) {
    const port = freePort();
    await Deno.writeTextFile(
      `${dir}/zoo.cfg`,
      [
        "tickTime=500",
        `dataDir=${dir}/data`,
        `clientPort=${port}`,
        "clientPortAddress=127.0.0.1",
        "admin.enableServer=false",
        "4lw.commands.whitelist=ruok,stat,srvr",
        "maxClientCnxns=0",
        // Burrow exits when its ZooKeeper session expires; on a loaded 2-core machine (three test files at a time)
        // its 6 s session once lapsed mid-test. A 30 s session needs the server's maximum raised from 20 ticks.
        "maxSessionTimeout=60000",
        "",
      ].join("\n"),
    );
    const d = new Daemon(
      "zookeeper",
      [
        "java",
        "-Xmx256m",
        "-Dzookeeper.admin.enableServer=false",
        "-cp",
        ZOOKEEPER_CP,
        "org.apache.zookeeper.server.ZooKeeperServerMain",
        `${dir}/zoo.cfg`,
      ],
      `${dir}/zookeeper.log`,
      dir,
    );
    const deadline = Date.now() + 60_000;
    let ok = false;
    while (Date.now() < deadline && !d.exited) {
      try {
        if ((await fourLetter(port, "ruok")) === "imok" && await takesSession(port)) {
          ok = true;
          break;
        }
      } catch { /* not yet */ }
      await sleep(200);
    }
    if (ok) {
      return {
        address: `127.0.0.1:${port}`,
        dir,
        log: () => d.log(),
        stop: async () => {
          await d.stop();
          await Deno.remove(dir, { recursive: true }).catch(() => {});
        },
      };
    }
    const log = d.log();
    await d.stop();
    if (attempt >= 3) throw new Error(`ZooKeeper did not start on 127.0.0.1:${port}:\n${log.slice(-3000)}`);
  }
}

export interface BurrowOptions {
  /** Burrow's name for the Kafka cluster (the <cluster> of its API paths). */
  cluster: string;
  /** The gateway's bootstrap address. */
  kafka: string;
  zookeeper: string;
  /** Sarama's protocol version for Burrow's client profile (Burrow's sample config has "0.10.0"). */
  kafkaVersion?: string;
  /** The Kafka client id of its cluster and consumer modules (default "burrow-test"). */
  clientId?: string;
  /** Seconds between Burrow's broker offset fetches (cluster module offset-refresh). */
  offsetRefreshSec?: number;
  /** Seconds between topic list refreshes (cluster module topic-refresh). */
  topicRefreshSec?: number;
}

export interface Burrow {
  readonly url: string;
  readonly cluster: string;
  readonly dir: string;
  /** Burrow's own log (JSON lines, debug level). */
  log(): string;
  /** GET a path of Burrow's HTTP API; the parsed JSON body. */
  get<T = Record<string, unknown>>(path: string): Promise<{ status: number; body: T }>;
  stop(): Promise<void>;
}

/** The burrow.toml of a test instance: one cluster and one consumer module (class kafka) on `__consumer_offsets`. */
export function burrowConfig(o: BurrowOptions & { dir: string; httpPort: number; rootPath: string }): string {
  const q = JSON.stringify;
  return `[general]
pidfile=${q(`${o.dir}/burrow.pid`)}
stdout-logfile=${q(`${o.dir}/burrow.out`)}

[logging]
level="debug"

[zookeeper]
servers=[ ${q(o.zookeeper)} ]
timeout=30
root-path=${q(o.rootPath)}

[client-profile.gateway]
client-id=${q(o.clientId ?? "burrow-test")}
kafka-version=${q(o.kafkaVersion ?? "0.10.0")}

[cluster.${o.cluster}]
class-name="kafka"
servers=[ ${q(o.kafka)} ]
client-profile="gateway"
topic-refresh=${o.topicRefreshSec ?? 2}
offset-refresh=${o.offsetRefreshSec ?? 1}

[consumer.${o.cluster}]
class-name="kafka"
cluster=${q(o.cluster)}
servers=[ ${q(o.kafka)} ]
client-profile="gateway"
offsets-topic="__consumer_offsets"
start-latest=false

[httpserver.default]
address=${q(`127.0.0.1:${o.httpPort}`)}

[storage.default]
class-name="inmemory"
workers=4
intervals=10
expire-group=604800
min-distance=0

[evaluator.default]
class-name="caching"
expire-cache=1
`;
}

/** Starts Burrow (-config-dir with a generated burrow.toml) and waits for its HTTP API (/burrow/admin: GOOD). */
export async function startBurrow(o: BurrowOptions): Promise<Burrow> {
  const dir = await Deno.makeTempDir({ prefix: "kgw-burrow-" });
  for (let attempt = 1;; attempt++) {
    const httpPort = freePort();
    const rootPath = `/burrow-${crypto.randomUUID().slice(0, 8)}`;
    await Deno.writeTextFile(`${dir}/burrow.toml`, burrowConfig({ ...o, dir, httpPort, rootPath }));
    const d = new Daemon("burrow", ["Burrow", "-config-dir", dir], `${dir}/stdout.log`, dir);
    const url = `http://127.0.0.1:${httpPort}`;
    const deadline = Date.now() + 30_000;
    let ok = false;
    while (Date.now() < deadline && !d.exited) {
      try {
        const r = await fetch(`${url}/burrow/admin`, { signal: AbortSignal.timeout(5_000) });
        const t = await r.text();
        if (r.status === 200 && t.includes("GOOD")) {
          ok = true;
          break;
        }
      } catch { /* not yet */ }
      await sleep(200);
    }
    const log = () => {
      let out = "";
      for (const f of ["stdout.log", "burrow.out"]) {
        try {
          out += Deno.readTextFileSync(`${dir}/${f}`);
        } catch { /* none */ }
      }
      return out;
    };
    if (ok) {
      return {
        url,
        cluster: o.cluster,
        dir,
        log,
        // Bounded: Burrow's HTTP handlers wait on its storage module, and a request that never returns must fail
        // the test rather than hold it.
        get: async <T>(path: string) => {
          const r = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(15_000) });
          const text = await r.text();
          let body: T;
          try {
            body = JSON.parse(text) as T;
          } catch {
            throw new Error(`Burrow ${path}: HTTP ${r.status}, not JSON: ${text.slice(0, 500)}`);
          }
          return { status: r.status, body };
        },
        stop: async () => {
          await d.stop();
          if (!Deno.env.get("KGW_KEEP_BURROW")) await Deno.remove(dir, { recursive: true }).catch(() => {});
        },
      };
    }
    const text = log();
    await d.stop();
    if (attempt >= 3) throw new Error(`Burrow did not serve ${url}/burrow/admin:\n${text.slice(-4000)}`);
  }
}

/** Burrow's log lines worth showing when a test fails: errors, warnings, offsets it decoded or dropped. */
export function burrowLogDigest(log: string, max = 80): string {
  const keep = log.split("\n").filter((l) =>
    /"level":"(warn|error|panic|fatal)"|failed to decode|consumer offset|dropped|consume error|starting consumers/
      .test(l) && !/StorageFetchConsumer|unknown consumer/.test(l)
  );
  return keep.slice(-max).join("\n");
}

/** The topic, partition and timestamp of each partition a ListOffsets request v0-v5 asks for (v6+: none). */
export function listOffsetsTargets(
  req: ProxiedRequest,
): { topic: string; partition: number; timestamp: bigint }[] {
  const v = req.apiVersion;
  if (req.apiKey !== 2 || v > 5) return [];
  const b = req.body;
  let at = 0;
  const int32 = () => {
    at += 4;
    return b.getInt32(at - 4);
  };
  const out: { topic: string; partition: number; timestamp: bigint }[] = [];
  int32(); // replica id
  if (v >= 2) at += 1; // isolation level
  for (let t = int32(); t > 0; t--) {
    const len = b.getInt16(at);
    const topic = new TextDecoder().decode(new Uint8Array(b.buffer, b.byteOffset + at + 2, len));
    at += 2 + len;
    for (let n = int32(); n > 0; n--) {
      const partition = int32();
      if (v >= 4) int32(); // current leader epoch
      const timestamp = b.getBigInt64(at);
      at += 8;
      if (v === 0) int32(); // max number of offsets
      out.push({ topic, partition, timestamp });
    }
  }
  return out;
}

/**
 * When a Burrow's consumer module has started. Burrow 1.2.1 starts its consumer module last, after its HTTP API
 * answers, and asks for the newest then the oldest offset of each `__consumer_offsets` partition before it consumes
 * it (Sarama's ConsumePartition); a failure in that loop (the broker restarting, say) makes Burrow exit. It logs
 * nothing when the loop ends, so this watches the answers a TcpProxy forwards: the loop is over, with no network
 * step left, once the oldest offset of every partition has been answered to the module's client id.
 */
export class BurrowStartWatch {
  private readonly oldest = new Map<string, Set<number>>();
  readonly onAnswered = (req: ProxiedRequest): void => {
    if (req.clientId === null) return;
    for (const t of listOffsetsTargets(req)) {
      if (t.topic !== "__consumer_offsets" || t.timestamp !== -2n) continue;
      let set = this.oldest.get(req.clientId);
      if (!set) this.oldest.set(req.clientId, set = new Set());
      set.add(t.partition);
    }
  };
  /** Waits until `b` (whose client id is `clientId`) has started consuming every partition it logged it would. */
  async started(b: Burrow, clientId: string, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = b.log().split("\n").find((l) => l.includes('"msg":"starting consumers"'));
      const count = line ? (JSON.parse(line) as { count: number }).count : -1;
      const done = this.oldest.get(clientId)?.size ?? 0;
      if (count > 0 && done >= count) return;
      if (Date.now() > deadline) {
        throw new Error(
          `Burrow ${clientId} did not finish starting its consumers: ${done} of ${count} partitions\n` +
            burrowLogDigest(b.log()),
        );
      }
      await sleep(100);
    }
  }
}

// --- Burrow 1.2.1's API answers --------------------------------------------------------------------------------

export interface BurrowOffset {
  offset: number;
  timestamp: number;
  lag: number;
}
export interface BurrowPartitionStatus {
  topic: string;
  partition: number;
  status: string;
  start: BurrowOffset | null;
  end: BurrowOffset | null;
  current_lag: number;
}
export interface BurrowLag {
  error: boolean;
  message: string;
  status: {
    cluster: string;
    group: string;
    status: string;
    partitions: BurrowPartitionStatus[];
    partition_count: number;
    totallag: number;
  };
}
export interface BurrowConsumerDetail {
  error: boolean;
  message: string;
  topics?: Record<string, { offsets: (BurrowOffset | null)[]; "current-lag": number }[]>;
}
