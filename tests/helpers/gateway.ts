// Starts the real gateway (main.ts) as a child process on a kernel-chosen port, for conformance tests.
const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/**
 * The storage backend every gateway of this test module runs on. Suites are written once and run on both:
 * tests/integration/ switches a module to SeaweedMQ (useBackend) before importing a conformance suite. There each
 * data directory gets its own SeaweedMQ namespace, so a test sees a fresh backend unless it reuses a data
 * directory (restart tests), as with the embedded log.
 */
let backend: { name: "embedded" | "seaweedmq"; args: string[] } = { name: "embedded", args: [] };

export function useBackend(name: "embedded" | "seaweedmq", args: string[]): void {
  backend = { name, args: [...args] };
}

function backendArgs(dataDir: string): string[] {
  if (backend.name !== "seaweedmq") return backend.args;
  let h = 0x811c9dc5;
  for (let i = 0; i < dataDir.length; i++) h = Math.imul(h ^ dataDir.charCodeAt(i), 0x01000193) >>> 0;
  return [...backend.args, "--seaweedmq-namespace", `kafka_t${h.toString(16)}`];
}

export function gatewayBackend(): "embedded" | "seaweedmq" {
  return backend.name;
}

export interface RunningGateway {
  readonly port: number;
  readonly bootstrap: string;
  /** Port of the operations HTTP listener (/metrics, /readyz, /api/v1, /dashboard); null with --http-listen off. */
  readonly httpPort: number | null;
  readonly dataDir: string;
  readonly pid: number;
  /** Everything the gateway logged so far. */
  logs(): string;
  /** SIGTERM and wait (graceful shutdown). */
  stop(): Promise<void>;
  /** SIGKILL and wait (crash). */
  kill(): Promise<void>;
}

/** `deno` arguments that run the gateway (main.ts) with the permissions the tests give it; its flags follow. */
export const GATEWAY_RUN: readonly string[] = [
  "run",
  // as every launcher of the gateway (deno.json, the package, the systemd unit): see docs/performance.md, "Latency"
  "--v8-flags=--max-semi-space-size=8,--initial-old-space-size=64",
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-ffi",
  "--allow-sys",
  MAIN,
];

export interface StartOptions {
  dataDir?: string;
  args?: string[];
  /** Time to wait for the listener, ms. */
  timeoutMs?: number;
  /** A command that runs deno, e.g. ["prlimit", "--nofile=256:256"] (it must exec it: signals go to its pid). */
  wrap?: readonly string[];
  /** More V8 flags, e.g. ["--expose-gc"] (GET /api/v1/memory then collects garbage before it measures). */
  v8Flags?: readonly string[];
}

export async function startGateway(opts: StartOptions = {}): Promise<RunningGateway> {
  const dataDir = opts.dataDir ?? await Deno.makeTempDir({ prefix: "kgw-test-" });
  const wrap = opts.wrap ?? [];
  const cmd = new Deno.Command(wrap.length > 0 ? wrap[0] : Deno.execPath(), {
    args: [
      ...(wrap.length > 0 ? [...wrap.slice(1), Deno.execPath()] : []),
      ...GATEWAY_RUN.map((a) =>
        a.startsWith("--v8-flags=") && opts.v8Flags?.length ? [a, ...opts.v8Flags].join(",") : a
      ),
      "--listen",
      "127.0.0.1:0",
      "--data-dir",
      dataDir,
      "--log-level",
      "info",
      "--http-listen",
      "127.0.0.1:0",
      ...backendArgs(dataDir),
      ...(opts.args ?? []),
    ],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
    // as `deno task start`, the package and the systemd unit run it (docs/operations.md, "Memory")
    env: { NO_COLOR: "1", MALLOC_ARENA_MAX: "2" },
  });
  const child = cmd.spawn();
  let log = "";
  const decoder = new TextDecoder();
  const portFound = Promise.withResolvers<number>();
  const pump = async (s: ReadableStream<Uint8Array>) => {
    for await (const chunk of s) {
      log += decoder.decode(chunk, { stream: true });
      const m = /listening on [^\s:]+:(\d+)/.exec(log);
      if (m) portFound.resolve(Number(m[1]));
    }
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  const status = child.status.then((s) => {
    portFound.reject(new Error(`gateway exited with code ${s.code} before listening:\n${log}`));
    return s;
  });
  const timeout = opts.timeoutMs ?? 30_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const port = await Promise.race([
    portFound.promise,
    new Promise<number>((_, rej) => {
      timer = setTimeout(
        () => rej(new Error(`gateway did not listen within ${timeout} ms:\n${log}`)),
        timeout,
      );
    }),
  ]).finally(() => clearTimeout(timer));
  // Logged before the Kafka listener's line (the HTTP listener is bound first).
  const http = /HTTP endpoints .* at http:\/\/[^\s/]+:(\d+)\//.exec(log);
  let ended = false;
  const end = async (sig: Deno.Signal) => {
    if (ended) return;
    ended = true;
    try {
      child.kill(sig);
    } catch { /* already gone */ }
    // The gateway bounds its own stop (--shutdown-timeout-ms, 10 s by default); one that is still running a minute
    // after SIGTERM is killed and said so, instead of holding the test (and the suite) forever.
    const guard = setTimeout(() => {
      console.error(`gateway pid ${child.pid} still running 60 s after ${sig}: SIGKILL\n${log.slice(-3000)}`);
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
    }, 60_000);
    await status;
    clearTimeout(guard);
    await pumps.catch(() => {});
  };
  return {
    port,
    bootstrap: `127.0.0.1:${port}`,
    httpPort: http ? Number(http[1]) : null,
    dataDir,
    pid: child.pid,
    logs: () => log,
    stop: () => end("SIGTERM"),
    kill: () => end("SIGKILL"),
  };
}

/**
 * Runs `fn` against a gateway started with `start` (options or a custom starter): prints the gateway's last log
 * lines when `fn` fails, always stops it, and removes its data directory when this helper chose it.
 */
export async function runWithGateway(
  start: StartOptions | (() => Promise<RunningGateway>),
  fn: (gw: RunningGateway) => Promise<void>,
): Promise<void> {
  const gw = typeof start === "function" ? await start() : await startGateway(start);
  const ownDir = typeof start !== "function" && start.dataDir === undefined;
  try {
    await fn(gw);
  } catch (e) {
    console.error(`--- gateway log (last 60 lines) ---\n${gw.logs().split("\n").slice(-60).join("\n")}`);
    throw e;
  } finally {
    await gw.stop();
    if (ownDir) await Deno.remove(gw.dataDir, { recursive: true }).catch(() => {});
  }
}
