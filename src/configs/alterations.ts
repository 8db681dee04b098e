// AlterConfigs / IncrementalAlterConfigs on one resource's stored configs, the way Kafka applies them: duplicate
// keys and null values refused, SET/DELETE/APPEND/SUBTRACT (APPEND/SUBTRACT on LIST configs only), values checked
// and turned canonical; the legacy AlterConfigs replaces the whole set. Topic, broker and group configs share it.
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { type ConfigDef, ConfigValueError, parseConfigValue } from "./values.ts";

/** One alteration: IncrementalAlterConfigs operation (0 SET, 1 DELETE, 2 APPEND, 3 SUBTRACT) on a key. */
export interface ConfigAlteration {
  readonly name: string;
  readonly op: number;
  readonly value: string | null;
}

export const OP_SET = 0;
export const OP_DELETE = 1;
export const OP_APPEND = 2;
export const OP_SUBTRACT = 3;
const OP_NAMES = ["SET", "DELETE", "APPEND", "SUBTRACT"];

export function invalidConfig(msg: string): KafkaError {
  return new KafkaError(ErrorCode.INVALID_CONFIG, msg);
}

export function invalidRequest(msg: string): KafkaError {
  return new KafkaError(ErrorCode.INVALID_REQUEST, msg);
}

/** Canonical value of `raw` for `def`; throws KafkaError(INVALID_CONFIG) naming the key. */
export function canonical(def: ConfigDef, raw: string): string {
  try {
    return parseConfigValue(def, raw).value;
  } catch (e) {
    if (e instanceof ConfigValueError) throw invalidConfig(e.message);
    throw e;
  }
}

export function hasDuplicates(names: readonly string[]): boolean {
  return new Set(names).size !== names.length;
}

/**
 * Applies `ops` to `current` (incremental: SET/DELETE/APPEND/SUBTRACT; legacy: the ops replace everything) and
 * returns the new override set. `effective` gives a key's current effective value (APPEND/SUBTRACT start from
 * it when the key has no override).
 */
export function applyAlterations(
  current: Readonly<Record<string, string>>,
  ops: readonly ConfigAlteration[],
  incremental: boolean,
  lookup: (name: string) => ConfigDef | undefined,
  unknown: (name: string) => KafkaError,
  effective: (name: string) => string | null,
): Record<string, string> {
  if (hasDuplicates(ops.map((o) => o.name))) throw invalidRequest("Error due to duplicate config keys");
  const nulls = ops.filter((o) => o.op !== OP_DELETE && o.value === null).map((o) => o.name);
  if (nulls.length > 0) throw invalidRequest(`Null value not supported for : ${nulls.join(", ")}`);
  const next: Record<string, string> = incremental ? { ...current } : {};
  for (const o of ops) {
    if (o.op < OP_SET || o.op > OP_SUBTRACT) throw invalidRequest(`Unknown operations type ${o.op}`);
    const def = lookup(o.name);
    if (o.op === OP_DELETE) {
      delete next[o.name];
      continue;
    }
    if (!def) throw unknown(o.name);
    if (o.op === OP_SET) {
      next[o.name] = canonical(def, o.value!);
      continue;
    }
    if (def.type !== "list") {
      throw invalidConfig(`Can't ${OP_NAMES[o.op]} to key ${o.name} because its type is not LIST.`);
    }
    const base = next[o.name] ?? effective(o.name) ?? "";
    const parts = base === "" ? [] : base.split(",");
    const given = o.value!.trim() === "" ? [] : o.value!.trim().split(/\s*,\s*/);
    const result = o.op === OP_APPEND
      ? [...parts, ...given.filter((g) => !parts.includes(g))]
      : parts.filter((p) => !given.includes(p));
    next[o.name] = canonical(def, result.join(","));
  }
  return next;
}
