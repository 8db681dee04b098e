// CLI entry point: configuration from flags, env and file; the gateway; graceful shutdown on SIGINT/SIGTERM, and
// when npx (npm), which passes no signal on, is gone (src/launcher.ts).
import {
  ConfigError,
  configPermissionProblem,
  dataDirPermissionProblem,
  helpText,
  loadConfig,
  VERSION,
} from "./src/configs/options.ts";
import { logger, setupLogging } from "./src/log.ts";
import { Gateway } from "./src/gateway.ts";
import { findLauncher } from "./src/launcher.ts";
import { tuneAllocator } from "./src/allocator.ts";

const DEFAULT_CONFIG = "./gateway.json";
/** The same signal again within this is the same request to stop (see `stop` in main). */
const REPEAT_SIGNAL_MS = 500;

/** Set when ./gateway.json was skipped because this process may not read it (said once logging is up). */
let defaultConfigSkipped = false;

function readFileIfExists(path: string): string | undefined {
  // Checked first: Deno's own error tells to "run again with --allow-read", which `deno task start` users cannot.
  if (Deno.permissions.querySync({ name: "read", path }).state !== "granted") {
    // The default file was not asked for: a process not granted it runs without it.
    if (path === DEFAULT_CONFIG) {
      defaultConfigSkipped = true;
      return undefined;
    }
    throw new ConfigError(configPermissionProblem(path));
  }
  try {
    return Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
      throw new ConfigError(`config file ${path} cannot be read: ${(e as Error).message}`);
    }
    throw e;
  }
}

function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined; // env access not granted: flags and file still work
  }
}

async function main(): Promise<number> {
  // First, before the buffers whose freeing would raise glibc's threshold (src/allocator.ts).
  const allocator = tuneAllocator(readEnv);
  let loaded;
  try {
    loaded = loadConfig({
      argv: Deno.args,
      env: readEnv,
      readFile: readFileIfExists,
    });
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`kafka-gateway: ${e.message}`);
      return 2;
    }
    throw e;
  }
  if (loaded.help) {
    console.log(helpText());
    return 0;
  }
  if (loaded.version) {
    console.log(`kafka-gateway ${VERSION}`);
    return 0;
  }
  const { config } = loaded;
  const denied = await dataDirPermissionProblem(
    config,
    async (name, path) => (await Deno.permissions.query({ name, path })).state,
  );
  if (denied !== null) {
    console.error(`kafka-gateway: ${denied}`);
    return 2;
  }
  await setupLogging(config.logLevel, config.logFormat);
  const log = logger("main");
  // SIGINT/SIGTERM or the launcher gone: a stop bounded by --shutdown-timeout-ms (src/shutdown.ts). Exit code 0
  // when every stage finished, 1 when one was abandoned at the deadline or failed (the log names it). A second
  // signal during the stop exits at once (code 1), without waiting even for the embedded log's fsync.
  // The listeners are in place before the start: a signal while the gateway starts (it may already serve, its
  // "listening on" line logged) stops it as soon as the start is done, never by the signal's default action.
  let gateway: Gateway | null = null;
  const stopped = Promise.withResolvers<number>();
  let stopping = false;
  let first = { why: "", at: 0 };
  const stop = (why: string) => {
    // Ctrl-C under `deno task start` delivers SIGINT twice within a millisecond (the terminal signals the whole
    // process group, and deno task forwards its own copy): a repeat of the same signal that soon is that one Ctrl-C.
    if (stopping && why === first.why && performance.now() - first.at < REPEAT_SIGNAL_MS) return;
    if (stopping) {
      log.warn("{why} during the {phase}: exiting now", {
        why,
        phase: gateway === null ? "start" : "shutdown",
      });
      if (gateway === null) Deno.exit(1); // the start cannot be interrupted; nothing acknowledged waits on it
      stopped.resolve(1);
      return;
    }
    stopping = true;
    first = { why, at: performance.now() };
    if (gateway === null) {
      log.info("{why} while starting: stopping once started", { why });
      return;
    }
    log.info("{why}: stopping within {ms} ms (in-flight requests, group and producer state, storage)", {
      why,
      ms: config.shutdownTimeoutMs,
    });
    gateway.stop().then(
      (r) => {
        log.info("stopped in {ms} ms{how}", {
          ms: r.ms,
          how: r.clean ? "" : `; left undone: ${[...r.unfinished, ...r.failed].join(", ")} (exit code 1)`,
        });
        stopped.resolve(r.clean ? 0 : 1);
      },
      (e) => {
        log.error("shutdown failed: {reason}", { reason: String(e) });
        stopped.resolve(1);
      },
    );
  };
  Deno.addSignalListener("SIGINT", () => stop("SIGINT"));
  Deno.addSignalListener("SIGTERM", () => stop("SIGTERM"));
  log.info("kafka-gateway {version}", { version: VERSION });
  if (allocator.applied) {
    log.debug("malloc mmap threshold fixed at {bytes} bytes", { bytes: allocator.thresholdBytes });
  } else log.debug("malloc mmap threshold left to glibc: {reason}", { reason: allocator.reason });
  if (defaultConfigSkipped) {
    log.info("{path} not read: this process may not read it (set KGW_CONFIG or --config to use a file)", {
      path: DEFAULT_CONFIG,
    });
  }
  // Looked for before the start: npm may be gone by the time the gateway serves (src/launcher.ts).
  const launcher = config.exitWithLauncher ? findLauncher() : null;
  try {
    gateway = await Gateway.start(config);
  } catch (e) {
    log.fatal("cannot start: {reason}", { reason: String((e as Error)?.message ?? e) });
    return 1;
  }
  if (stopping) {
    stopping = false; // the stop asked for during the start runs now
    stop(first.why);
  }
  launcher?.watch(stop);
  // Another gateway took this one's node id over: it serves nothing any more, so it stops (a supervisor that
  // restarts it then meets the clear "node id in use" refusal).
  gateway.lost.then((why) => stop(why));
  return await stopped.promise;
}

Deno.exit(await main());
