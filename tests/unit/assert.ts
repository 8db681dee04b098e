// Minimal assertion helpers (jsr:@std is not reachable from the build environment).

export class AssertionError extends Error {
  override name = "AssertionError";
}

export function assert(cond: unknown, msg = "assertion failed"): asserts cond {
  if (!cond) throw new AssertionError(msg);
}

/** Bytes of a typed array, DataView or ArrayBuffer, for display and comparison. */
function bytesOf(v: ArrayBufferView | ArrayBufferLike): Uint8Array {
  return ArrayBuffer.isView(v) ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : new Uint8Array(v);
}

function isBuffer(v: unknown): v is ArrayBufferLike {
  return v instanceof ArrayBuffer ||
    (typeof SharedArrayBuffer !== "undefined" && v instanceof SharedArrayBuffer);
}

/** Short name of what kind of value `v` is, for "kinds differ" messages. */
function kindOf(v: unknown): string {
  if (v === null) return "null";
  if (typeof v !== "object") return typeof v;
  if (Array.isArray(v)) return "Array";
  return Object.getPrototypeOf(v)?.constructor?.name ?? "Object";
}

function fmt(v: unknown): string {
  if (v instanceof Uint8Array) {
    return `Uint8Array[${Array.from(v, (b) => b.toString(16).padStart(2, "0")).join(" ")}]`;
  }
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    const items = Array.from(v as unknown as ArrayLike<number | bigint>, (x) => String(x)).join(", ");
    return `${kindOf(v)}[${items}]`;
  }
  if (v instanceof DataView || isBuffer(v)) return `${kindOf(v)}(${fmt(bytesOf(v))})`;
  if (v instanceof Map) return `Map{${[...v].map(([k, x]) => `${fmt(k)} => ${fmt(x)}`).join(", ")}}`;
  if (v instanceof Set) return `Set{${[...v].map(fmt).join(", ")}}`;
  if (v instanceof Date) return `Date(${Number.isNaN(v.getTime()) ? "Invalid" : v.toISOString()})`;
  try {
    return JSON.stringify(v, (_k, x) => {
      if (x instanceof Uint8Array || x instanceof Map || x instanceof Set) return fmt(x);
      if (typeof x === "bigint") return `${x}n`;
      if (typeof x === "number" && !Number.isFinite(x)) return String(x);
      return x;
    }) ?? String(v);
  } catch {
    return String(v);
  }
}

/** The entry of `m` whose key is deeply equal to `key` (Map.get uses identity, which object keys defeat). */
function findKey(m: Map<unknown, unknown>, key: unknown): { found: boolean; value: unknown } {
  if (m.has(key)) return { found: true, value: m.get(key) };
  if (key === null || typeof key !== "object") return { found: false, value: undefined };
  for (const [k, v] of m) if (diff(k, key) === null) return { found: true, value: v };
  return { found: false, value: undefined };
}

function hasMember(s: Set<unknown>, x: unknown): boolean {
  if (s.has(x)) return true;
  if (x === null || typeof x !== "object") return false;
  for (const y of s) if (diff(y, x) === null) return true;
  return false;
}

/**
 * Deep equality; returns the path of the first difference, or null when equal. Arrays and plain objects compare
 * by content; Maps by entries and Sets by members (order-insensitive, keys and members matched by deep equality);
 * Dates by time value; typed arrays, DataViews and ArrayBuffers by kind and bytes. Values of different kinds
 * (a Map and {}, a Date and {}, an Int8Array and a Uint8Array) always differ.
 */
export function diff(a: unknown, b: unknown, path = "$"): string | null {
  if (Object.is(a, b)) return null;
  if (typeof a === "number" && typeof b === "number") return a === b ? null : `${path}: ${a} !== ${b}`;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") {
    return `${path}: ${fmt(a)} !== ${fmt(b)}`;
  }
  // Both are objects from here. Different kinds never compare equal (their own keys would say nothing).
  const ka = kindOf(a), kb = kindOf(b);
  const binary = (x: object) => ArrayBuffer.isView(x) || isBuffer(x);
  if (binary(a) || binary(b)) {
    if (ka !== kb) return `${path}: ${ka} !== ${kb}: ${fmt(a)} vs ${fmt(b)}`;
    const x = bytesOf(a as ArrayBufferView), y = bytesOf(b as ArrayBufferView);
    if (x.length !== y.length) {
      return `${path}: ${ka} byte length ${x.length} !== ${y.length}: ${fmt(a)} vs ${fmt(b)}`;
    }
    for (let i = 0; i < x.length; i++) {
      if (x[i] !== y[i]) {
        return `${path}: ${ka} differs at byte ${i} (${x[i]} !== ${y[i]}): ${fmt(a)} vs ${fmt(b)}`;
      }
    }
    return null;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b)) return `${path}: ${ka} !== ${kb}: ${fmt(a)} vs ${fmt(b)}`;
    if (a.length !== b.length) return `${path}: length ${a.length} !== ${b.length}`;
    for (let i = 0; i < a.length; i++) {
      const d = diff(a[i], b[i], `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (a instanceof Map || b instanceof Map) {
    if (!(a instanceof Map) || !(b instanceof Map)) return `${path}: ${ka} !== ${kb}: ${fmt(a)} vs ${fmt(b)}`;
    for (const [k, v] of a) {
      const e = findKey(b, k);
      if (!e.found) return `${path}: Map key ${fmt(k)} unexpected on actual (value ${fmt(v)})`;
      const d = diff(v, e.value, `${path}.get(${fmt(k)})`);
      if (d) return d;
    }
    for (const [k, v] of b) {
      if (!findKey(a, k).found) return `${path}: Map key ${fmt(k)} missing on actual (expected ${fmt(v)})`;
    }
    if (a.size !== b.size) return `${path}: Map size ${a.size} !== ${b.size}: ${fmt(a)} vs ${fmt(b)}`;
    return null;
  }
  if (a instanceof Set || b instanceof Set) {
    if (!(a instanceof Set) || !(b instanceof Set)) return `${path}: ${ka} !== ${kb}: ${fmt(a)} vs ${fmt(b)}`;
    for (const x of a) if (!hasMember(b, x)) return `${path}: Set member ${fmt(x)} unexpected on actual`;
    for (const x of b) if (!hasMember(a, x)) return `${path}: Set member ${fmt(x)} missing on actual`;
    if (a.size !== b.size) return `${path}: Set size ${a.size} !== ${b.size}: ${fmt(a)} vs ${fmt(b)}`;
    return null;
  }
  if (a instanceof Date || b instanceof Date) {
    if (!(a instanceof Date) || !(b instanceof Date)) {
      return `${path}: ${ka} !== ${kb}: ${fmt(a)} vs ${fmt(b)}`;
    }
    return Object.is(a.getTime(), b.getTime()) ? null : `${path}: ${fmt(a)} !== ${fmt(b)}`;
  }
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
