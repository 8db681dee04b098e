// One structured logger for the whole gateway (LogTape): levels, text or JSON lines, and per-connection
// context through `logger.with({...})`. Hot paths log only at debug level.
import {
  configure,
  getConsoleSink,
  getJsonLinesFormatter,
  getLogger,
  getTextFormatter,
  type Logger,
  reset,
} from "@logtape/logtape";

export type LogLevel = "debug" | "info" | "warning" | "error" | "fatal";
export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warning", "error", "fatal"];
export type LogFormat = "text" | "json";

let configured = false;

export async function setupLogging(level: LogLevel, format: LogFormat): Promise<void> {
  if (configured) await reset();
  configured = true;
  const formatter = format === "json" ? getJsonLinesFormatter() : getTextFormatter();
  await configure({
    sinks: { stderr: getConsoleSink({ formatter, console: stderrConsole() }) },
    loggers: [
      { category: ["kgw"], lowestLevel: level, sinks: ["stderr"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["stderr"] },
    ],
  });
}

/** Logs go to stderr so stdout stays free for command output. */
function stderrConsole(): Console {
  const c = Object.create(console) as Console;
  const toErr = (...a: unknown[]) => console.error(...a);
  c.debug = toErr;
  c.info = toErr;
  c.log = toErr;
  c.warn = toErr;
  return c;
}

export function logger(...category: string[]): Logger {
  return getLogger(["kgw", ...category]);
}
export type { Logger };
