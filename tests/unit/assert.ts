// Minimal assertion helpers (jsr:@std is not reachable from the build environment).

export class AssertionError extends Error {
  override name = "AssertionError";
}

export function assert(cond: unknown, msg = "assertion failed"): asserts cond {
  if (!cond) throw new AssertionError(msg);
}

function fmt(v: unknown): string {
  if (v instanceof Uint8Array) {
    return `Uint8Array[${Array.from(v, (b) => b.toString(16).padStart(2, "0")).join(" ")}]`;
  }
  try {
    return JSON.stringify(v, (_k, x) => {
      if (x instanceof Uint8Array) return fmt(x);
      if (typeof x === "bigint") return `${x}n`;
      if (typeof x === "number" && !Number.isFinite(x)) return String(x);
      return x;
    });
  } catch {
    return String(v);
  }
}

/** Deep equality; returns the path of the first difference, or null when equal. */
export function diff(a: unknown, b: unknown, path = "$"): string | null {
  if (Object.is(a, b)) return null;
  if (typeof a === "number" && typeof b === "number") return a === b ? null : `${path}: ${a} !== ${b}`;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array)) return `${path}: ${fmt(a)} !== ${fmt(b)}`;
    if (a.length !== b.length) return `${path}: length ${a.length} !== ${b.length}: ${fmt(a)} vs ${fmt(b)}`;
    for (let i = 0; i < a.length; i++) {
      if (a[i] !== b[i]) return `${path}[${i}]: ${a[i]} !== ${b[i]}: ${fmt(a)} vs ${fmt(b)}`;
    }
    return null;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b)) return `${path}: ${fmt(a)} !== ${fmt(b)}`;
    if (a.length !== b.length) return `${path}: length ${a.length} !== ${b.length}`;
    for (let i = 0; i < a.length; i++) {
      const d = diff(a[i], b[i], `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (a instanceof Map && b instanceof Map) return diff([...a.entries()], [...b.entries()], path);
  if (a instanceof Set && b instanceof Set) return diff([...a], [...b], path);
  if (a instanceof Date && b instanceof Date) {
    return a.getTime() === b.getTime() ? null : `${path}: dates differ`;
  }
  if (a !== null && b !== null && typeof a === "object" && typeof b === "object") {
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    const keys = new Set([...Object.keys(ao), ...Object.keys(bo)]);
    for (const k of keys) {
      if (!(k in ao)) return `${path}.${k}: missing on actual (expected ${fmt(bo[k])})`;
      if (!(k in bo)) return `${path}.${k}: unexpected on actual (${fmt(ao[k])})`;
      const d = diff(ao[k], bo[k], `${path}.${k}`);
      if (d) return d;
    }
    return null;
  }
  return `${path}: ${fmt(a)} !== ${fmt(b)}`;
}

export function assertEquals(actual: unknown, expected: unknown, msg?: string): void {
  const d = diff(actual, expected);
  if (d !== null) throw new AssertionError(`${msg ? msg + ": " : ""}values differ at ${d}`);
}

export function assertNotEquals(actual: unknown, expected: unknown, msg?: string): void {
  if (diff(actual, expected) === null) throw new AssertionError(msg ?? `values are equal: ${fmt(actual)}`);
}

type ErrorClass = abstract new (...args: never[]) => Error;

function checkError(e: unknown, cls?: ErrorClass, includes?: string): Error {
  if (!(e instanceof Error)) throw new AssertionError(`thrown value is not an Error: ${fmt(e)}`);
  const { name, message } = e;
  if (cls && !(e instanceof cls)) throw new AssertionError(`expected ${cls.name}, got ${name}: ${message}`);
  if (includes !== undefined && !e.message.includes(includes)) {
    throw new AssertionError(`error message "${e.message}" does not include "${includes}"`);
  }
  return e;
}

export function assertThrows(fn: () => unknown, cls?: ErrorClass, includes?: string): Error {
  try {
    fn();
  } catch (e) {
    return checkError(e, cls, includes);
  }
  throw new AssertionError("expected function to throw");
}

export async function assertRejects(
  fn: () => PromiseLike<unknown>,
  cls?: ErrorClass,
  includes?: string,
): Promise<Error> {
  try {
    await fn();
  } catch (e) {
    return checkError(e, cls, includes);
  }
  throw new AssertionError("expected promise to reject");
}
