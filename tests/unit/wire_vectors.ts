// Shared harness of the message schema tests: wire-grammar byte builders written independently of
// src/protocol/codec.ts, the encode/decode helpers over compiled specs, and the round-trip projections.
import { Reader, Writer } from "../../src/protocol/codec.ts";
import {
  type ApiSpec,
  compile,
  type CompiledApi,
  defaults,
  type Field,
  type FieldType,
  inRange,
} from "../../src/protocol/schema.ts";
import { assert, assertEquals } from "./assert.ts";

export type Bytes = number[];
export const cat = (...parts: (Bytes | Uint8Array)[]): Uint8Array => {
  const out: number[] = [];
  for (const p of parts) out.push(...p);
  return new Uint8Array(out);
};
export const i8 = (n: number): Bytes => [n & 0xff];
export const bool = (b: boolean): Bytes => [b ? 1 : 0];
export const i16 = (n: number): Bytes => [(n >> 8) & 0xff, n & 0xff];
export const i32 = (n: number): Bytes => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
export const i64 = (n: number): Bytes => {
  const u = BigInt.asUintN(64, BigInt(n));
  const out: Bytes = [];
  for (let s = 56n; s >= 0n; s -= 8n) out.push(Number((u >> s) & 0xffn));
  return out;
};
export const uv = (n: number): Bytes => {
  const out: Bytes = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
};
export const ascii = (s: string): Bytes => Array.from(s, (c) => c.charCodeAt(0));
/** int16-length string; null = -1. */
export const str = (s: string | null): Bytes => (s === null ? i16(-1) : [...i16(s.length), ...ascii(s)]);
/** Compact string: uvarint(len+1); null = 0. */
export const cstr = (s: string | null): Bytes => (s === null ? [0] : [...uv(s.length + 1), ...ascii(s)]);
/** int32 array length; null = -1. */
export const arr = (n: number | null): Bytes => i32(n ?? -1);
/** Compact array length: uvarint(n+1); null = 0. */
export const carr = (n: number | null): Bytes => (n === null ? [0] : uv(n + 1));
export const bytes = (b: Uint8Array | null): Bytes => (b === null ? i32(-1) : [...i32(b.length), ...b]);
export const cbytes = (b: Uint8Array | null): Bytes => (b === null ? [0] : [...uv(b.length + 1), ...b]);
/** One tagged field: tag, size, payload. */
export const tagged = (tag: number, payload: Bytes): Bytes => [...uv(tag), ...uv(payload.length), ...payload];
export const NO_TAGS: Bytes = [0];
export const uuid = (hex: string): Bytes =>
  Array.from({ length: 16 }, (_, i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16));
const compiled = new Map<ApiSpec, CompiledApi>();
export const api = (spec: ApiSpec): CompiledApi => {
  let c = compiled.get(spec);
  if (!c) {
    c = compile(spec);
    compiled.set(spec, c);
  }
  return c;
};
export function encodeRequest(spec: ApiSpec, v: number, body: unknown): Uint8Array {
  const w = new Writer(16);
  api(spec).encodeRequest(w, v, body);
  return w.finish();
}
export function encodeResponse(spec: ApiSpec, v: number, body: unknown): Uint8Array {
  const w = new Writer(16);
  api(spec).encodeResponse(w, v, body);
  return w.finish();
}
export function decodeRequest(spec: ApiSpec, v: number, b: Uint8Array): unknown {
  const r = new Reader(b);
  const o = api(spec).decodeRequest(r, v);
  assertEquals(r.remaining, 0, `${spec.name} v${v} request: trailing bytes`);
  return o;
}
export function decodeResponse(spec: ApiSpec, v: number, b: Uint8Array): unknown {
  const r = new Reader(b);
  const o = api(spec).decodeResponse(r, v);
  assertEquals(r.remaining, 0, `${spec.name} v${v} response: trailing bytes`);
  return o;
}
/** Asserts both directions for a request vector. */
export function requestVector(spec: ApiSpec, v: number, wire: Uint8Array, obj: unknown): void {
  assertEquals(decodeRequest(spec, v, wire), obj, `${spec.name} v${v} request decode`);
  assertEquals(encodeRequest(spec, v, obj), wire, `${spec.name} v${v} request encode`);
}
/** Asserts both directions for a response vector. */
export function responseVector(spec: ApiSpec, v: number, wire: Uint8Array, obj: unknown): void {
  assertEquals(decodeResponse(spec, v, wire), obj, `${spec.name} v${v} response decode`);
  assertEquals(encodeResponse(spec, v, obj), wire, `${spec.name} v${v} response encode`);
}
/** The value a decoder produces for `value` at `version`: fields absent in the version take their defaults. */
export function project(fields: readonly Field[], version: number, value: unknown): Record<string, unknown> {
  const o = value as Record<string, unknown>;
  const dflt = defaults(fields, version);
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    out[f.name] = inRange(f.versions, version) ? projectType(f.type, version, o[f.name]) : dflt[f.name];
  }
  return out;
}
export function projectType(t: FieldType, version: number, x: unknown): unknown {
  if (typeof t === "string") return x;
  if (t.kind === "struct") return project(t.fields, version, x);
  if (x === null || typeof t.of === "string") return x;
  const elemFields = t.of.fields;
  return (x as unknown[]).map((e) => project(elemFields, version, e));
}
/** Every property of the sample matches a spec field and vice versa (interfaces and specs agree). */
export function assertCoversSpec(fields: readonly Field[], value: unknown, path: string): void {
  const o = value as Record<string, unknown>;
  assertEquals(Object.keys(o), fields.map((f) => f.name), `${path}: keys (in wire order)`);
  for (const f of fields) {
    const t = f.type;
    const x = o[f.name];
    if (typeof t === "string" || x === null) continue;
    if (t.kind === "struct") assertCoversSpec(t.fields, x, `${path}.${f.name}`);
    else if (typeof t.of !== "string") {
      const elemFields = t.of.fields;
      const xs = x as unknown[];
      assert(xs.length > 0, `${path}.${f.name}: sample array should be populated`);
      xs.forEach((e, i) => assertCoversSpec(elemFields, e, `${path}.${f.name}[${i}]`));
    }
  }
}
/** Appends unknown tagged fields to the top-level tag section of a flexible message (it must be empty). */
export function withUnknownTags(wire: Uint8Array): Uint8Array {
  assertEquals(wire[wire.length - 1], 0, "top-level tag section should be empty");
  return cat(wire.subarray(0, wire.length - 1), uv(2), tagged(17, [1, 2, 3]), tagged(1000, []));
}
