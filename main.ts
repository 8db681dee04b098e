// CLI entry point: configuration from flags, env and file; the gateway; graceful shutdown on SIGINT/SIGTERM.
import { ConfigError, helpText, loadConfig } from "./src/options.ts";
import { logger, setupLogging } from "./src/log.ts";
import { Gateway } from "./src/gateway.ts";

function readFileIfExists(path: string): string | undefined {
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

async function main(): Promise<number> {
  let loaded;
  try {
    loaded = loadConfig({
      argv: Deno.args,
      env: (n) => {
        try {
          return Deno.env.get(n);
        } catch {
          return undefined; // env access not granted: flags and file still work
        }
      },
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
  const { config } = loaded;
  await setupLogging(config.logLevel, config.logFormat);
  const log = logger("main");
  let gateway: Gateway;
  try {
    gateway = await Gateway.start(config);
  } catch (e) {
    log.fatal("cannot start: {reason}", { reason: String((e as Error)?.message ?? e) });
    return 1;
  }
  const stopped = Promise.withResolvers<void>();
  let stopping = false;
  const onSignal = (sig: string) => {
    if (stopping) return;
    stopping = true;
    log.info("{sig}: stopping (finishing in-flight requests, flushing the log)", { sig });
    gateway.stop().then(stopped.resolve, (e) => {
      log.error("shutdown failed: {reason}", { reason: String(e) });
      stopped.resolve();
    });
  };
  Deno.addSignalListener("SIGINT", () => onSignal("SIGINT"));
  Deno.addSignalListener("SIGTERM", () => onSignal("SIGTERM"));
  await stopped.promise;
  log.info("stopped");
  return 0;
}

Deno.exit(await main());
