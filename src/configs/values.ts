// Config values: the types Kafka's configs have, Kafka's validators (with its messages) and parsing to the canonical
// form ("+5" -> "5", "TRUE" -> "true", "1" as a double -> "1.0"), the form DescribeConfigs reports, as Kafka does.

export type ConfigType =
  | "boolean"
  | "string"
  | "int"
  | "short"
  | "long"
  | "double"
  | "list"
  | "class"
  | "password";

/** DescribeConfigs ConfigType ids (v3+). */
export const CONFIG_TYPE_ID: Readonly<Record<ConfigType, number>> = {
  boolean: 1,
  string: 2,
  int: 3,
  short: 4,
  long: 5,
  double: 6,
  list: 7,
  class: 8,
  password: 9,
};

/** A parsed value handed to a validator: number for numeric types, string[] for lists, string otherwise. */
export type Parsed = number | bigint | boolean | string | string[];

/** A constraint beyond the type: returns Kafka's reason text, or null when the value is fine. */
export type Check = (v: Parsed) => string | null;

export interface ConfigDef {
  readonly name: string;
  readonly type: ConfigType;
  /** Default in canonical form; null when the config has none. */
  readonly default: string | null;
  /** Constraint beyond the type. */
  readonly check?: Check;
  readonly doc: string;
  /** Never shown (DescribeConfigs value null, logs hidden); every password-type config is. */
  readonly sensitive?: boolean;
}

/**
 * A config's default as a number, for the option defaults and settings that read it from the config tables (the
 * defaults are written once, there). Kafka's Long.MAX_VALUE comes back as the nearest double; callers clamp it
 * where they count in safe integers. Throws for a config that is unknown or has no numeric default.
 */
export function defaultNumber(def: ConfigDef | undefined, name: string): number {
  const v = def?.default === undefined || def.default === null ? NaN : Number(def.default);
  if (!Number.isFinite(v)) throw new Error(`config ${name} has no numeric default`);
  return v;
}

/** Kafka's rule: password values are never shown (KafkaConfig.maybeSensitive). */
export function isSensitive(def: ConfigDef): boolean {
  return def.sensitive ?? def.type === "password";
}

// ---- validators (Kafka's messages) ----

export const atLeast = (min: number | bigint): Check => (v) =>
  (typeof v === "number" || typeof v === "bigint") && v < min ? `Value must be at least ${min}` : null;
export const between = (min: number, max: number): Check => (v) => {
  if (typeof v !== "number") return null;
  if (v < min) return `Value must be at least ${min}`;
  if (v > max) return `Value must be no more than ${max}`;
  return null;
};
export const oneOf = (...valid: string[]): Check => (v) =>
  typeof v === "string" && !valid.includes(v) ? `String must be one of: ${valid.join(", ")}` : null;
export const listOf = (...valid: string[]): Check => (v) =>
  Array.isArray(v) && v.some((x) => !valid.includes(x)) ? `String must be one of: ${valid.join(", ")}` : null;
export const gzipLevel: Check = (v) =>
  typeof v === "number" && (v > 9 || (v < 1 && v !== -1))
    ? "Value must be between 1 and 9 or equal to -1"
    : null;
export const throttledReplicas: Check = (v) => {
  if (!Array.isArray(v) || v.length === 0) return null;
  if (v.length === 1 && v[0] === "*") return null;
  return v.every((x) => /^\d+:\d+$/.test(x))
    ? null
    : "must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...";
};

/** "host:count,host:count" (max.connections.per.ip.overrides), which Kafka parses into a map of ints. */
export const hostCounts: Check = (v) =>
  typeof v === "string" && v !== "" && !v.split(",").every((x) => /^\S+:\d{1,10}$/.test(x.trim()))
    ? "Expected a comma-separated list of host:count pairs"
    : null;

/** Long.MAX_VALUE, the default of many "no limit" configs. */
export const LONG_MAX = "9223372036854775807";

// ---- parsing ----

const INT32 = [-2147483648, 2147483647] as const;
const INT16 = [-32768, 32767] as const;
const LONG_MIN_B = -(2n ** 63n);
const LONG_MAX_B = 2n ** 63n - 1n;

/** Java's Double.toString: plain between 1e-3 and 1e7 ("1.0", "0.5"), else "1.0E7", "1.7976931348623157E308". */
function doubleString(n: number): string {
  const a = Math.abs(n);
  if (a === 0 || (a >= 1e-3 && a < 1e7)) return Number.isInteger(n) ? n.toFixed(1) : String(n);
  const [mantissa, exp] = n.toExponential().split("e");
  return `${mantissa.includes(".") ? mantissa : mantissa + ".0"}E${Number(exp)}`;
}

/**
 * Parses `raw` as a value of `def`: returns the canonical string and the parsed value, or throws a message in
 * Kafka's ConfigException form ("Invalid value X for configuration K: reason").
 */
export function parseConfigValue(def: ConfigDef, raw: string): { value: string; parsed: Parsed } {
  const fail = (why: string): never => {
    throw new ConfigValueError(`Invalid value ${raw} for configuration ${def.name}: ${why}`);
  };
  const t = raw.trim();
  let value: string;
  let parsed: Parsed;
  switch (def.type) {
    case "boolean": {
      const l = t.toLowerCase();
      if (l !== "true" && l !== "false") fail("Expected value to be either true or false");
      value = l;
      parsed = l === "true";
      break;
    }
    case "int":
    case "short": {
      const [lo, hi] = def.type === "int" ? INT32 : INT16;
      const n = /^[+-]?\d+$/.test(t) ? Number(t) : NaN;
      if (!(n >= lo && n <= hi)) fail(`Not a number of type ${def.type.toUpperCase()}`);
      value = String(n);
      parsed = n;
      break;
    }
    case "long": {
      if (!/^[+-]?\d+$/.test(t)) fail("Not a number of type LONG");
      const b = BigInt(t);
      if (b < LONG_MIN_B || b > LONG_MAX_B) fail("Not a number of type LONG");
      value = b.toString();
      parsed = b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
      break;
    }
    case "double": {
      const n = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) ? Number(t) : NaN;
      if (!Number.isFinite(n)) fail("Not a number of type DOUBLE");
      value = doubleString(n);
      parsed = n;
      break;
    }
    case "list": {
      const items = t === "" ? [] : t.split(/\s*,\s*/);
      value = items.join(",");
      parsed = items;
      break;
    }
    default:
      value = t;
      parsed = t;
  }
  const why = def.check?.(parsed);
  if (why) fail(why);
  return { value, parsed };
}

/** A value that does not parse or validate; the message names the config. */
export class ConfigValueError extends Error {
  override name = "ConfigValueError";
}

/** Numeric value of a canonical long/int config string (Infinity beyond the safe range, e.g. Long.MAX). */
export function configNumber(v: string): number {
  const n = Number(v);
  return Number.isSafeInteger(n) || !Number.isInteger(n) ? n : (n > 0 ? Infinity : -Infinity);
}
