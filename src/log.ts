// One structured logger for the whole gateway (LogTape): levels, text or JSON lines, and per-connection
// context through `logger.with({...})`. Hot paths log only at debug level.
import {
  configure,
  getJsonLinesFormatter,
  getLogger,
  getTextFormatter,
  type Logger,
  type LogRecord,
  reset,
  type Sink,
} from "@logtape/logtape";

export type LogLevel = "debug" | "info" | "warning" | "error" | "fatal";
export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warning", "error", "fatal"];
export type LogFormat = "text" | "json";

let configured = false;

export async function setupLogging(level: LogLevel, format: LogFormat): Promise<void> {
  if (configured) await reset();
  configured = true;
  const formatter = format === "json"
    ? getJsonLinesFormatter()
    // Strings unquoted in text lines: `listening on 127.0.0.1:9092`, not `"127.0.0.1":9092`.
    : getTextFormatter({ value: (v, inspect) => typeof v === "string" ? v : inspect(v) });
  await configure({
    sinks: { stderr: stderrSink(formatter) },
    loggers: [
      { category: ["kgw"], lowestLevel: level, sinks: ["stderr"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["stderr"] },
    ],
  });
}

/** Logs go to stderr so stdout stays free for command output. */
function stderrSink(formatter: (r: LogRecord) => string): Sink {
  const enc = new TextEncoder();
  return (record) => {
    try {
      Deno.stderr.writeSync(enc.encode(formatter(record)));
    } catch { /* stderr closed: nothing sensible left to do */ }
  };
}

export function logger(...category: string[]): Logger {
  return getLogger(["kgw", ...category]);
}
export type { Logger };
