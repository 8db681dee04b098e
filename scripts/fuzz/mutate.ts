// Mutators: turn one valid request payload into hostile bytes. Each returns the bytes to send (size prefix
// included) and a name saying what was done, so a saved frame explains itself (positions in names count from
// the first byte after the size prefix). The prefix matches the mutated payload unless the mutation is about
// the prefix itself.
import { crc32c } from "../../src/records/crc32c.ts";
import { crc32 } from "../../src/records/crc32.ts";
import type { Built, LengthField } from "./generate.ts";
import type { Rng } from "./rng.ts";
import { sizePrefixed } from "./wire.ts";

export interface Mutated {
  /** Bytes to send: one frame, size prefix included (the prefix may lie). */
  readonly bytes: Uint8Array;
  readonly mutation: string;
  /** The prefix promises more bytes than are sent: the gateway will wait for the rest. */
  readonly partial: boolean;
}

const BOUNDARY_BYTES = [0x00, 0xff, 0x7f, 0x80];
const I32_BOUNDARY = [-1, -2, -0x80000000, 0x7fffffff, 0x10000000, 0];
const I64_BOUNDARY = [-1n, 0n, 0x7fffffffffffffffn, -0x8000000000000000n, 1n << 40n];

function uvarintBytes(v: number): number[] {
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

function splice(p: Uint8Array, at: number, remove: number, insert: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(p.length - remove + insert.length);
  out.set(p.subarray(0, at));
  out.set(insert, at);
  out.set(p.subarray(at + remove), at + insert.length);
  return out;
}

function setI16(p: Uint8Array, at: number, v: number): void {
  if (at + 2 <= p.length) new DataView(p.buffer, p.byteOffset).setInt16(at, v);
}
function setI32(p: Uint8Array, at: number, v: number): void {
  if (at + 4 <= p.length) new DataView(p.buffer, p.byteOffset).setInt32(at, v | 0);
}
function setI64(p: Uint8Array, at: number, v: bigint): void {
  if (at + 8 <= p.length) new DataView(p.buffer, p.byteOffset).setBigInt64(at, BigInt.asIntN(64, v));
}

type Mutator = (b: Built, rng: Rng, p: Uint8Array) => { p: Uint8Array; what: string } | null;

const bitflip: Mutator = (_b, rng, p) => {
  if (p.length === 0) return null;
  const n = rng.int(1, 4);
  const at: number[] = [];
  for (let i = 0; i < n; i++) {
    const pos = rng.int(0, p.length - 1);
    p[pos] ^= 1 << rng.int(0, 7);
    at.push(pos);
  }
  return { p, what: `bitflip@${at.join(",")}` };
};

const boundaryByte: Mutator = (_b, rng, p) => {
  if (p.length === 0) return null;
  const at: string[] = [];
  for (let i = rng.int(1, 3); i > 0; i--) {
    const pos = rng.int(0, p.length - 1);
    p[pos] = rng.pick(BOUNDARY_BYTES);
    at.push(`${pos}=${p[pos].toString(16)}`);
  }
  return { p, what: `byte@${at.join(",")}` };
};

const truncate: Mutator = (_b, rng, p) => {
  const n = rng.int(0, Math.max(0, p.length - 1));
  return { p: p.subarray(0, n), what: `truncate@${n}/${p.length}` };
};

const extend: Mutator = (_b, rng, p) => {
  const n = rng.int(1, 64);
  const tail = rng.chance(0.5)
    ? rng.bytes(n)
    : Uint8Array.from({ length: n }, () => rng.pick(BOUNDARY_BYTES));
  return { p: splice(p, p.length, 0, tail), what: `extend+${n}` };
};

function lengthValue(lf: LengthField, rng: Rng, p: Uint8Array): { bytes: number[]; label: string } {
  const remaining = p.length - lf.pos - lf.width;
  if (lf.kind === "i16") {
    const v = rng.pick([-1, -2, -32768, 32767, Math.min(32767, remaining + 1), 0]);
    return { bytes: [(v >> 8) & 0xff, v & 0xff], label: String(v) };
  }
  if (lf.kind === "i32") {
    const v = rng.pick([...I32_BOUNDARY, remaining + 1]);
    return { bytes: [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff], label: String(v) };
  }
  return rng.weighted<() => { bytes: number[]; label: string }>([
    [2, () => ({ bytes: [0], label: "0" })],
    [1, () => ({ bytes: [1], label: "1" })],
    [3, () => ({ bytes: [0xff, 0xff, 0xff, 0xff, 0x0f], label: "2^32-1" })],
    [2, () => ({ bytes: uvarintBytes(2 ** 28), label: "2^28" })],
    [2, () => ({ bytes: uvarintBytes(remaining + 2), label: `rem+2` })],
    [1, () => ({ bytes: [0xff, 0xff, 0xff, 0xff, 0xff, 0x01], label: "overlong" })],
  ])();
}

const lengthField: Mutator = (b, rng, p) => {
  if (b.layout.lengths.length === 0) return null;
  const lf = rng.pick(b.layout.lengths);
  if (lf.pos + lf.width > p.length) return null;
  const { bytes, label } = lengthValue(lf, rng, p);
  return { p: splice(p, lf.pos, lf.width, bytes), what: `len-${lf.kind}@${lf.pos}=${label}` };
};

/** Record batch / message set internals, with the CRC recomputed most of the time so parsing goes deeper. */
const recordsField: Mutator = (b, rng, p) => {
  if (b.layout.records.length === 0) return null;
  const r = rng.pick(b.layout.records);
  const s = r.start;
  const magic = p[s + 16];
  let what: string;
  if (magic === 2) {
    const field = rng.pick([
      "length",
      "magic",
      "attributes",
      "lastOffsetDelta",
      "timestamp",
      "producer",
      "count",
      "record",
    ]);
    switch (field) {
      case "length":
        setI32(p, s + 8, rng.pick([-1, 0, 0x7fffffff, r.end - s - 12 + 1, 48]));
        break;
      case "magic":
        p[s + 16] = rng.pick([0, 1, 3, 0xff]);
        break;
      case "attributes":
        setI16(p, s + 21, rng.pick([5, 6, 7, 0x20, 0x30, 0xffff, 1, 4]));
        break;
      case "lastOffsetDelta":
        setI32(p, s + 23, rng.pick([-1, 0x7fffffff, 100, -0x80000000]));
        break;
      case "timestamp":
        setI64(p, s + rng.pick([27, 35]), rng.pick(I64_BOUNDARY));
        break;
      case "producer":
        setI64(p, s + 43, rng.pick([...I64_BOUNDARY, 1000n]));
        setI16(p, s + 51, rng.pick([-1, 0, 32767]));
        setI32(p, s + 53, rng.pick([-1, 0, 0x7fffffff, 5]));
        break;
      case "count":
        setI32(p, s + 57, rng.pick([-1, 0, 0x7fffffff, 1000, 2]));
        break;
      default: {
        // A byte inside the records section (varint lengths, deltas, headers, compressed data).
        if (r.end - s <= 61) return null;
        const at = rng.int(s + 61, r.end - 1);
        p[at] = rng.pick([...BOUNDARY_BYTES, 0x01, 0x7e, rng.int(0, 255)]);
      }
    }
    what = `batch-${field}`;
    if (rng.chance(0.7) && r.end - s >= 61) {
      setI32(p, s + 17, crc32c(p.subarray(s + 21, r.end)));
      what += "+crc";
    }
  } else {
    const field = rng.pick(["size", "magic", "attributes", "keylen", "byte"]);
    switch (field) {
      case "size":
        setI32(p, s + 8, rng.pick([-1, 0, 0x7fffffff, 5, r.end - s]));
        break;
      case "magic":
        p[s + 16] = rng.pick([2, 3, 0xff, magic === 0 ? 1 : 0]);
        break;
      case "attributes":
        p[s + 17] = rng.pick([1, 2, 3, 4, 5, 7, 0x08, 0xff]);
        break;
      case "keylen":
        setI32(p, s + (magic === 1 ? 26 : 18), rng.pick([-2, 0x7fffffff, 1000]));
        break;
      default:
        p[rng.int(s + 18, r.end - 1)] = rng.pick(BOUNDARY_BYTES);
    }
    what = `msgset-${field}`;
    if (rng.chance(0.7)) {
      new DataView(p.buffer, p.byteOffset).setUint32(s + 12, crc32(p.subarray(s + 16, r.end)));
      what += "+crc";
    }
  }
  return { p, what };
};

/** A boundary int32/int64 written over any 4 or 8 bytes (counts, offsets, timeouts, ids). */
const intField: Mutator = (_b, rng, p) => {
  if (p.length < 16) return null;
  const at = rng.int(8, p.length - 4);
  if (rng.chance(0.5) && at + 8 <= p.length) {
    const v = rng.pick(I64_BOUNDARY);
    setI64(p, at, v);
    return { p, what: `i64@${at}=${v}` };
  }
  const v = rng.pick(I32_BOUNDARY);
  setI32(p, at, v);
  return { p, what: `i32@${at}=${v}` };
};

const UNREGISTERED_KEYS = [4, 5, 6, 7, 17, 24, 36, 57, 1000, -1, 0x7fff];

const header: Mutator = (b, rng, p) => {
  if (p.length < 4) return null;
  const choice = rng.int(0, 2);
  if (choice === 0) {
    const k = rng.pick(UNREGISTERED_KEYS);
    setI16(p, 0, k);
    return { p, what: `api-key=${k}` };
  }
  if (choice === 1) {
    const v = rng.pick([b.spec.maxVersion + 1, -1, 0x7fff, b.spec.minVersion - 1]);
    setI16(p, 2, v);
    return { p, what: `api-version=${v}` };
  }
  const at = b.layout.headerTagsPos;
  if (at < 0 || p[at] !== 0) return null;
  const tags = rng.pick([
    [0xff, 0xff, 0xff, 0xff, 0x0f],
    [1, 0, 0xff, 0xff, 0xff, 0x0f],
    [2, 5, 1, 0xaa],
    [1, 0x80, 0x80, 0x80, 0x80, 0x10, 0],
  ]);
  return { p: splice(p, at, 1, tags), what: `header-tags=${tags.length}B` };
};

/** Unknown or oversized tagged fields in the body's top-level tag section (flexible versions). */
const taggedFields: Mutator = (b, rng, p) => {
  if (b.version < b.spec.flexibleFrom || p.length === 0 || p[p.length - 1] !== 0) return null;
  const size = rng.pick([0, 3, 1000, 0xffffffff]);
  const tag = rng.pick([0, 1, 7, 1000, 0xffffffff]);
  const data = size <= 3 ? [1, 2, 3].slice(0, size) : [1, 2, 3];
  const section = [
    ...uvarintBytes(rng.pick([1, 2, 1000])),
    ...uvarintBytes(tag),
    ...uvarintBytes(size),
    ...data,
  ];
  return { p: splice(p, p.length - 1, 1, section), what: `tags(tag=${tag},size=${size})` };
};

const shuffleSlice: Mutator = (_b, rng, p) => {
  if (p.length < 8) return null;
  const a = rng.int(0, p.length - 2);
  const len = rng.int(1, Math.min(64, p.length - a));
  if (rng.chance(0.5)) {
    const at = rng.int(0, p.length);
    return { p: splice(p, at, 0, p.slice(a, a + len)), what: `dup[${a}+${len}]@${at}` };
  }
  return { p: splice(p, a, len, []), what: `cut[${a}+${len}]` };
};

const MUTATORS: readonly (readonly [number, string, Mutator | null])[] = [
  [8, "valid", null],
  [14, "bitflip", bitflip],
  [12, "byte", boundaryByte],
  [10, "truncate", truncate],
  [8, "extend", extend],
  [18, "length", lengthField],
  [10, "records", recordsField],
  [6, "int", intField],
  [5, "header", header],
  [4, "tags", taggedFields],
  [4, "slice", shuffleSlice],
  [6, "prefix", null],
];

/** A size prefix that lies: too small, too large, negative, or beyond the gateway's frame limit. */
function lyingPrefix(p: Uint8Array, rng: Rng, maxRequestBytes: number): Mutated {
  const n = p.length;
  const size = rng.pick([
    n + 1,
    n + 1000,
    n - 1,
    0,
    3,
    -1,
    -0x80000000,
    0x7fffffff,
    maxRequestBytes + 1,
    maxRequestBytes,
  ]);
  return {
    bytes: sizePrefixed(p, size),
    mutation: `prefix=${size}(len ${n})`,
    partial: size > n && size <= maxRequestBytes,
  };
}

/** One mutated frame of `b` (or, now and then, the valid one); the generator's note comes first in the name. */
export function mutate(b: Built, rng: Rng, maxRequestBytes: number): Mutated {
  const m = mutateOnce(b, rng, maxRequestBytes);
  return b.note === null ? m : { ...m, mutation: `${b.note}; ${m.mutation}` };
}

function mutateOnce(b: Built, rng: Rng, maxRequestBytes: number): Mutated {
  for (let attempt = 0; attempt < 4; attempt++) {
    const [, name, m] = rng.weighted(MUTATORS.map((e) => [e[0], e] as const));
    if (name === "valid") return { bytes: sizePrefixed(b.payload), mutation: "valid", partial: false };
    if (name === "prefix") return lyingPrefix(b.payload, rng, maxRequestBytes);
    const res = m!(b, rng, b.payload.slice());
    if (res === null) continue;
    // Several mutations stacked now and then.
    let { p, what } = res;
    if (rng.chance(0.15)) {
      const more = rng.pick([bitflip, boundaryByte, lengthField, intField])(b, rng, p.slice());
      if (more !== null && more.p.length > 0) {
        p = more.p;
        what += "," + more.what;
      }
    }
    return { bytes: sizePrefixed(p), mutation: what, partial: false };
  }
  return { bytes: sizePrefixed(b.payload), mutation: "valid", partial: false };
}
