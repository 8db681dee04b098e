// The gateway's process options (not Kafka's topic and broker configs: those are src/configs/), typed and
// validated. Sources, lowest to highest precedence: defaults, a JSON config file (--config FILE, or ./gateway.json
// when present), KGW_* environment variables, command-line flags. OPTIONS is the one list; Config's type is
// derived from it.
import { BROKER_CONFIGS } from "./broker_defs.ts";
import { type OptionDef, OPTIONS, type OptionValues } from "./option_defs.ts";

export { OPTIONS };
import denoJson from "../../deno.json" with { type: "json" };
import { parsePrincipalRules } from "../security/tls/principal_rules.ts";

/** The gateway's version: deno.json's "version", the one place it is written (--version, kgw_build_info). */
export const VERSION: string = denoJson.version;

export {
  type HostPort,
  type ListenerAddress,
  type ListenerProtocol,
  listenersText,
  listenerUrl,
  SECURITY_PROTOCOLS,
} from "../listeners.ts";
import {
  type HostPort,
  type ListenerAddress,
  type ListenerProtocol,
  listenerUrl,
  SECURITY_PROTOCOLS,
} from "../listeners.ts";

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** The effective configuration: OPTIONS's values, and which of them were set explicitly. */
export interface Config extends OptionValues {
  /** Options set by the config file, env or a flag (the rest hold their defaults): STATIC_BROKER_CONFIG. */
  readonly explicitOptions: ReadonlySet<keyof Config>;
}

function envName(flag: string): string {
  return "KGW_" + flag.toUpperCase().replaceAll("-", "_");
}

export function parseHostPort(s: string, what: string): HostPort {
  // Kafka's listener form (PLAINTEXT://host:port) would otherwise parse as host "PLAINTEXT://host".
  const url = /^([A-Za-z][\w-]*):\/\/(.*)$/.exec(s.trim());
  if (url) {
    throw new ConfigError(`${what}: expected HOST:PORT without a listener name, got "${s}"`);
  }
  const m = /^\[?([^\]]*?)\]?:(\d{1,5})$/.exec(s.trim());
  if (!m) throw new ConfigError(`${what}: expected HOST:PORT, got "${s}"`);
  const port = Number(m[2]);
  if (port > 65535) throw new ConfigError(`${what}: port ${port} is out of range 0-65535`);
  return { host: m[1] || "0.0.0.0", port };
}

/** --listen and --advertised-listener: a comma list of NAME://HOST:PORT or HOST:PORT (PLAINTEXT). */
export function parseListeners(s: string, what: string): ListenerAddress[] {
  const out: ListenerAddress[] = [];
  for (const item of s.split(",").map((x) => x.trim()).filter((x) => x !== "")) {
    const url = /^([A-Za-z][\w-]*):\/\/(.*)$/.exec(item);
    const name = url ? url[1].toUpperCase() : "PLAINTEXT";
    if (!(SECURITY_PROTOCOLS as readonly string[]).includes(name)) {
      throw new ConfigError(
        `${what}: unknown listener name ${url![1]} in "${item}": use one of ${SECURITY_PROTOCOLS.join(", ")}`,
      );
    }
    const hp = parseHostPort(url ? url[2] : item, what);
    if (out.some((l) => l.name === name)) throw new ConfigError(`${what}: listener ${name} is given twice`);
    out.push({ name, securityProtocol: name as ListenerProtocol, host: hp.host, port: hp.port });
  }
  return out;
}

function convert(def: OptionDef, raw: unknown, source: string): unknown {
  const what = source === "flag" ? `--${def.flag}` : `${source} ${def.flag}`;
  const k = def.kind;
  if (k === "hostport") {
    if (raw === "" || raw === undefined) return undefined;
    return parseHostPort(String(raw), what);
  }
  if (k === "listeners") {
    if (raw === "" || raw === undefined) return undefined;
    const ls = parseListeners(String(raw), what);
    if (ls.length === 0) throw new ConfigError(`${what}: expected NAME://HOST:PORT[,...]`);
    return ls;
  }
  if (k === "hostlist") {
    const items = String(raw ?? "").split(",").map((x) => x.trim()).filter((x) => x !== "");
    for (const x of items) {
      if (!/^\[?[^\]\s]*\]?:\d{1,5}(\.\d{1,5})?$/.test(x)) {
        throw new ConfigError(`${what}: expected HOST:PORT[,HOST:PORT...], got "${raw}"`);
      }
    }
    return items;
  }
  if (k === "hostport|off") {
    if (raw === null || raw === false || /^(off|none|false|disabled)$/i.test(String(raw).trim())) return null;
    return parseHostPort(String(raw), what);
  }
  if (k === "string") {
    // An option whose default is "" (none) may be set to "" again; the others need a value.
    if (typeof raw !== "string" || (raw === "" && def.def !== "")) {
      throw new ConfigError(`${what}: expected a non-empty string`);
    }
    return raw;
  }
  if (k === "int") {
    const n = typeof raw === "number" ? raw : Number(String(raw).trim());
    if (!Number.isInteger(n)) throw new ConfigError(`${what}: expected an integer, got "${raw}"`);
    if (def.min !== undefined && n < def.min) {
      throw new ConfigError(`${what}: must be >= ${def.min}, got ${n}`);
    }
    return n;
  }
  if (k === "bool") {
    if (typeof raw === "boolean") return raw;
    const s = String(raw).toLowerCase();
    if (["true", "1", "yes", "on"].includes(s)) return true;
    if (["false", "0", "no", "off"].includes(s)) return false;
    throw new ConfigError(`${what}: expected true or false, got "${raw}"`);
  }
  let s = String(raw);
  if (def.key === "logLevel" && s === "warn") s = "warning"; // the spelling most tools use
  if (!k.oneOf.includes(s)) {
    throw new ConfigError(`${what}: expected one of ${k.oneOf.join(", ")}, got "${s}"`);
  }
  return s;
}

export interface ParsedArgs {
  readonly help: boolean;
  readonly version: boolean;
  readonly configFile?: string;
  readonly values: Map<string, string>;
}

/** Levenshtein distance, for "did you mean" on a mistyped flag. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/** The known name closest to `name`, when close enough to be a typo. */
export function closest(name: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = editDistance(name, k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return bestD <= Math.max(2, Math.floor(name.length / 4)) && bestD < name.length ? best : undefined;
}

function unknownFlag(name: string, known: ReadonlySet<string>): ConfigError {
  const all = [...known, "config", "help", "version"];
  const hint = closest(name, all) ?? closest(name.replaceAll(".", "-").replaceAll("_", "-"), all);
  return new ConfigError(`unknown flag --${name}${hint ? ` (did you mean --${hint}?)` : ""} (see --help)`);
}

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const values = new Map<string, string>();
  let help = false;
  let version = false;
  let configFile: string | undefined;
  const known = new Set<string>(OPTIONS.map((o) => o.flag));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    // `deno task start -- --flag` passes the "--" through; it separates nothing here, so it is skipped.
    if (a === "--") continue;
    if (a === "--help" || a === "-h") {
      help = true;
      continue;
    }
    if (a === "--version" || a === "-V") {
      version = true;
      continue;
    }
    if (!a.startsWith("--")) throw new ConfigError(`unexpected argument "${a}" (see --help)`);
    let name = a.slice(2);
    let value: string | undefined;
    const eq = name.indexOf("=");
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    if (name === "config") {
      configFile = value ?? argv[++i];
      if (configFile === undefined) throw new ConfigError("--config needs a file path");
      continue;
    }
    if (!known.has(name)) {
      if (name.startsWith("no-") && known.has(name.slice(3))) {
        values.set(name.slice(3), "false");
        continue;
      }
      throw unknownFlag(name, known);
    }
    if (value === undefined) {
      const def = OPTIONS.find((o) => o.flag === name)!;
      const next = argv[i + 1];
      if (def.kind === "bool" && (next === undefined || next.startsWith("--"))) value = "true";
      else {
        value = next;
        i++;
      }
      if (value === undefined) throw new ConfigError(`--${name} needs a value`);
    }
    values.set(name, value);
  }
  return { help, version, configFile, values };
}

/**
 * Kafka's broker config names that stand for an option's value as is (num.partitions = --num-partitions), from
 * the broker config table (src/configs/broker_defs.ts), so that one mapping serves DescribeConfigs and this.
 * Configs whose value is derived (listeners: PLAINTEXT://…, log.flush.*) are left out.
 */
export const KAFKA_SYNONYMS: ReadonlyMap<string, string> = new Map(
  BROKER_CONFIGS.filter((d) => d.option !== undefined && d.fromOption === undefined).map((d) => [
    d.name,
    OPTIONS.find((o) => o.key === d.option)!.flag,
  ]),
);

/** Widest flag column of --help; a longer flag-and-values puts its description on the next line. */
const HELP_COLUMN = 46;

/** Words of `text` in lines of at most `width` characters. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const w of text.split(" ")) {
    if (line !== "" && line.length + 1 + w.length > width) {
      lines.push(line);
      line = w;
    } else line = line === "" ? w : `${line} ${w}`;
  }
  if (line !== "") lines.push(line);
  return lines;
}

export function helpText(): string {
  const lines = [
    `SeaweedMQ Kafka Gateway ${VERSION}: a Kafka-compatible broker.`,
    "",
    "Usage: kafka-gateway [--config FILE] [flags]",
    "",
    "Every flag can also be set as an environment variable KGW_<FLAG> (e.g. KGW_DATA_DIR) or as a key of",
    "the JSON config file (default ./gateway.json when present). Flags beat env, env beats the file.",
    ...wrap(
      "Kafka's broker config names are synonyms in the file and as KGW_ variables (num.partitions, " +
        `KGW_NUM_PARTITIONS): ${[...KAFKA_SYNONYMS.keys()].join(", ")}.`,
      100,
    ),
    "",
  ];
  const rows: [string, string][] = [];
  for (const o of OPTIONS) {
    const k = o.kind;
    const kind = k === "hostport|off"
      ? "HOST:PORT|off"
      : k === "hostlist"
      ? "HOST:PORT,..."
      : k === "listeners"
      ? "NAME://HOST:PORT,..."
      : k === "int"
      ? "N"
      : k === "bool"
      ? "true|false"
      : k === "string"
      ? "VALUE"
      : k.oneOf.join("|");
    rows.push([`  --${o.flag} ${kind}`, `${o.help} [default: ${String(o.def) || "-"}]`]);
  }
  rows.push(["  --config FILE", "JSON file with any of the keys above"]);
  rows.push(["  --version", "print the version"]);
  rows.push(["  --help", "this text"]);
  const width = Math.min(HELP_COLUMN, Math.max(...rows.map(([l]) => l.length))) + 2;
  for (const [left, text] of rows) {
    if (left.length + 2 <= width) lines.push(left.padEnd(width) + text);
    else lines.push(left, " ".repeat(width) + text);
  }
  return lines.join("\n");
}

export interface ConfigSources {
  readonly argv: readonly string[];
  readonly env: (name: string) => string | undefined;
  readonly readFile: (path: string) => string | undefined;
}

/** Builds the configuration; throws ConfigError with a message naming the offending option. */
export function loadConfig(src: ConfigSources): { config: Config; help: boolean; version: boolean } {
  const args = parseArgs(src.argv);
  const fileValues = new Map<string, unknown>();
  const path = args.configFile ?? src.env("KGW_CONFIG");
  const text = path !== undefined ? src.readFile(path) : src.readFile("./gateway.json");
  if (path !== undefined && text === undefined) throw new ConfigError(`config file ${path} cannot be read`);
  if (text !== undefined) {
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch (e) {
      throw new ConfigError(`config file ${path ?? "./gateway.json"}: ${(e as Error).message}`);
    }
    if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
      throw new ConfigError(`config file ${path ?? "./gateway.json"}: expected a JSON object`);
    }
    const file = path ?? "./gateway.json";
    for (const [k, v] of Object.entries(obj)) {
      const flag = OPTIONS.some((o) => o.flag === k) ? k : KAFKA_SYNONYMS.get(k);
      if (flag === undefined) {
        const hint = closest(k, [...OPTIONS.map((o) => o.flag), ...KAFKA_SYNONYMS.keys()]);
        throw new ConfigError(
          `config file ${file}: unknown key "${k}"${hint ? ` (did you mean "${hint}"?)` : ""}`,
        );
      }
      if (fileValues.has(flag)) {
        throw new ConfigError(`config file ${file}: "${k}" and "${flag}" are the same option`);
      }
      fileValues.set(flag, v);
    }
  }
  // KGW_LOG_DIRS for log.dirs; the gateway's own name (KGW_DATA_DIR) comes first.
  const kafkaEnv = new Map<string, string[]>();
  for (const [kafka, flag] of KAFKA_SYNONYMS) {
    kafkaEnv.set(flag, [...(kafkaEnv.get(flag) ?? []), "KGW_" + kafka.toUpperCase().replaceAll(".", "_")]);
  }
  const out: Record<string, unknown> = {};
  const explicit = new Set<keyof Config>();
  for (const o of OPTIONS) {
    let v: unknown = convert(o, o.def, "default");
    if (fileValues.has(o.flag)) v = convert(o, fileValues.get(o.flag), "config file key");
    const eName = [envName(o.flag), ...(kafkaEnv.get(o.flag) ?? [])].find((n) => (src.env(n) ?? "") !== "");
    const e = eName === undefined ? undefined : src.env(eName);
    if (e !== undefined && e !== "") v = convert(o, e, `env ${eName} /`);
    if (args.values.has(o.flag)) v = convert(o, args.values.get(o.flag), "flag");
    if (fileValues.has(o.flag) || (e !== undefined && e !== "") || args.values.has(o.flag)) {
      explicit.add(o.key);
    }
    out[o.key] = v;
  }
  out.explicitOptions = explicit;
  if ((out.queuedMaxRequestBytes as number) < (out.maxFrameBytes as number)) {
    throw new ConfigError(
      `queued-max-request-bytes (${out.queuedMaxRequestBytes}) must be at least max-request-bytes (${out.maxFrameBytes}): a request that large could never be received`,
    );
  }
  checkConsumerGroupOptions(out);
  out.advertisedListener = advertisedListeners(
    out.listen as readonly ListenerAddress[],
    out.advertisedListener as readonly ListenerAddress[] | undefined,
  );
  checkTls(out as unknown as Config);
  checkSchemaRegistry(out as unknown as Config);
  return { config: out as unknown as Config, help: args.help, version: args.version };
}

/** The server assignors the gateway has (src/groups/consumer/assignors/). */
export const CONSUMER_GROUP_ASSIGNORS: readonly string[] = ["uniform", "range"];

/** --group-consumer-assignors as a list: trimmed names in order, no empty entries. */
export function consumerAssignorNames(value: string): string[] {
  return value.split(",").map((s) => s.trim()).filter((s) => s !== "");
}

/** Kafka's GroupCoordinatorConfig checks of the group.consumer.* options: min <= value <= max, known assignors. */
function checkConsumerGroupOptions(out: Record<string, unknown>): void {
  const within = (value: string, min: string, max: string) => {
    const v = out[value] as number, lo = out[min] as number, hi = out[max] as number;
    const flag = (k: string) => OPTIONS.find((o) => o.key === k)?.flag ?? k;
    if (lo > hi) throw new ConfigError(`${flag(min)} (${lo}) must be at most ${flag(max)} (${hi})`);
    if (v < lo || v > hi) {
      throw new ConfigError(
        `${flag(value)} (${v}) must be between ${flag(min)} (${lo}) and ${flag(max)} (${hi})`,
      );
    }
  };
  within(
    "groupConsumerSessionTimeoutMs",
    "groupConsumerMinSessionTimeoutMs",
    "groupConsumerMaxSessionTimeoutMs",
  );
  within(
    "groupConsumerHeartbeatIntervalMs",
    "groupConsumerMinHeartbeatIntervalMs",
    "groupConsumerMaxHeartbeatIntervalMs",
  );
  if ((out.groupConsumerHeartbeatIntervalMs as number) >= (out.groupConsumerSessionTimeoutMs as number)) {
    throw new ConfigError(
      `group-consumer-heartbeat-interval-ms (${out.groupConsumerHeartbeatIntervalMs}) must be less than group-consumer-session-timeout-ms (${out.groupConsumerSessionTimeoutMs})`,
    );
  }
  // Kafka's ranges for the share group settings (its group.share.{min,max}.* defaults and ShareGroupConfig's checks).
  for (
    const [key, lo, hi] of [
      ["groupShareSessionTimeoutMs", 45_000, 60_000],
      ["groupShareHeartbeatIntervalMs", 5_000, 15_000],
      ["groupShareRecordLockDurationMs", 15_000, 60_000],
      ["groupShareDeliveryCountLimit", 2, 10],
      ["groupSharePartitionMaxRecordLocks", 100, 10_000],
    ] as const
  ) {
    const v = out[key] as number;
    const flag = OPTIONS.find((o) => o.key === key)?.flag ?? key;
    if (v < lo || v > hi) throw new ConfigError(`${flag} (${v}) must be between ${lo} and ${hi}`);
  }
  if ((out.groupShareHeartbeatIntervalMs as number) >= (out.groupShareSessionTimeoutMs as number)) {
    throw new ConfigError(
      `group-share-heartbeat-interval-ms (${out.groupShareHeartbeatIntervalMs}) must be less than group-share-session-timeout-ms (${out.groupShareSessionTimeoutMs})`,
    );
  }
  const names = consumerAssignorNames(out.groupConsumerAssignors as string);
  if (names.length === 0) throw new ConfigError("group-consumer-assignors: at least one assignor is needed");
  const unknown = names.filter((n) => !CONSUMER_GROUP_ASSIGNORS.includes(n));
  if (unknown.length > 0) {
    throw new ConfigError(
      `group-consumer-assignors: unknown assignor ${unknown.join(", ")} (known: ${
        CONSUMER_GROUP_ASSIGNORS.join(", ")
      })`,
    );
  }
  if (new Set(names).size !== names.length) {
    throw new ConfigError("group-consumer-assignors: an assignor is named twice");
  }
}

/**
 * Each listener's advertised address: the --advertised-listener entry of its name, else its own address (localhost
 * for a wildcard one). With one listener, a bare HOST:PORT advertises it whatever its name.
 */
function advertisedListeners(
  listen: readonly ListenerAddress[],
  given: readonly ListenerAddress[] | undefined,
): ListenerAddress[] {
  const entries = [...(given ?? [])];
  if (listen.length === 1 && entries.length === 1 && entries[0].name === "PLAINTEXT") {
    entries[0] = { ...entries[0], name: listen[0].name, securityProtocol: listen[0].securityProtocol };
  }
  for (const a of entries) {
    if (!listen.some((l) => l.name === a.name)) {
      throw new ConfigError(
        `advertised-listener: ${a.name} is not one of the --listen listeners (${
          listen.map((l) => l.name).join(", ")
        })`,
      );
    }
  }
  const byName = new Map(entries.map((a) => [a.name, a]));
  return listen.map((l) => {
    const a = byName.get(l.name);
    if (a !== undefined) return { ...l, host: a.host, port: a.port };
    const wildcard = l.host === "0.0.0.0" || l.host === "::" || l.host === "";
    return { ...l, host: wildcard ? "localhost" : l.host };
  });
}

/** One registry: the built-in one or an external one, the latter named by an http(s) URL. */
function checkSchemaRegistry(c: Config): void {
  if (c.schemaRegistryUrl === "") return;
  if (c.schemaRegistryListen !== null) {
    throw new ConfigError(
      "--schema-registry-url and --schema-registry-listen: use the built-in registry or an external one",
    );
  }
  let u: URL | null = null;
  try {
    u = new URL(c.schemaRegistryUrl);
  } catch { /* refused below */ }
  if (u === null || (u.protocol !== "http:" && u.protocol !== "https:")) {
    throw new ConfigError(`--schema-registry-url: expected an http(s) URL, got "${c.schemaRegistryUrl}"`);
  }
}

/** TLS listeners and --http-tls need a certificate and key; client authentication needs the CA that verifies. */
function checkTls(c: Config): void {
  const tlsListeners = c.listen.filter((l) =>
    l.securityProtocol === "SSL" || l.securityProtocol === "SASL_SSL"
  );
  const why = tlsListeners.length > 0 ? `--listen ${tlsListeners.map(listenerUrl).join(",")}` : "--http-tls";
  if (tlsListeners.length > 0 || c.httpTls) {
    if (c.tlsCert === "" || c.tlsKey === "") {
      throw new ConfigError(`${why} needs --tls-cert FILE and --tls-key FILE`);
    }
  }
  try {
    parsePrincipalRules(c.sslPrincipalMappingRules);
  } catch (e) {
    throw new ConfigError(`--ssl-principal-mapping-rules: ${(e as Error).message}`);
  }
  if (
    c.interGatewaySaslMechanism !== "" &&
    (c.interGatewaySaslUsername === "" || c.interGatewaySaslPassword === "")
  ) {
    throw new ConfigError(
      `--inter-gateway-sasl-mechanism ${c.interGatewaySaslMechanism} needs --inter-gateway-sasl-username and ` +
        "--inter-gateway-sasl-password",
    );
  }
  if (c.tlsClientAuth !== "none" && c.tlsCa === "") {
    throw new ConfigError(
      `--tls-client-auth ${c.tlsClientAuth} needs --tls-ca FILE (the CA that signs client certificates)`,
    );
  }
}

/** Deno's permission check for one path (Deno.permissions.query in main.ts; a fake in tests). */
export type PathPermission = (name: "read" | "write", path: string) => Promise<Deno.PermissionState>;

/**
 * Says, in one line, what to do when the data directory is outside the paths this process was granted (the
 * `start` task grants ./data or $KGW_DATA_DIR): checked before anything is opened, instead of Deno's
 * "run again with --allow-write", which a user of `deno task start` cannot do. null when access is granted.
 */
export async function dataDirPermissionProblem(
  config: Config,
  query: PathPermission,
): Promise<string | null> {
  const dir = config.dataDir;
  const read = await query("read", dir);
  const write = await query("write", dir);
  if (read === "granted" && write === "granted") return null;
  return `data directory ${dir} (--data-dir) is outside what this process may ${
    write === "granted" ? "read" : "write"
  }: with \`deno task start\`, set KGW_DATA_DIR=${dir} instead (the task grants that directory); with \`deno run\`, add --allow-read=${dir} --allow-write=${dir}`;
}

/** The same for a config file (the `start` task grants ./gateway.json or $KGW_CONFIG). */
export function configPermissionProblem(path: string): string {
  return `config file ${path} is outside what this process may read: with \`deno task start\`, set KGW_CONFIG=${path} instead of --config (the task grants that file); with \`deno run\`, add --allow-read=${path}`;
}
