// The schema registry's durable state, as one document of the backend's DocumentStore ("schema-registry"): every
// schema by id, every subject's versions, and the compatibility levels and modes. One document replaced with
// compare-and-set means a registration's checks and its write are one step even across gateways sharing a
// SeaweedMQ filer: a gateway that lost the race re-runs the whole registration on the state that won, so an id is
// never given twice and no version skips its compatibility check.
import type { DocumentCodec } from "../storage/watched_document.ts";
import { SCHEMA_TYPES, type SchemaReference, type SchemaType } from "./schema_types.ts";

export const COMPATIBILITY_LEVELS = [
  "NONE",
  "BACKWARD",
  "BACKWARD_TRANSITIVE",
  "FORWARD",
  "FORWARD_TRANSITIVE",
  "FULL",
  "FULL_TRANSITIVE",
] as const;
export type CompatibilityLevel = typeof COMPATIBILITY_LEVELS[number];

export const MODES = ["READWRITE", "READONLY", "READONLY_OVERRIDE", "IMPORT"] as const;
export type Mode = typeof MODES[number];

export interface StoredSchema {
  readonly id: number;
  readonly type: SchemaType;
  /** The text answered: the format's canonical text, or its normalized one when registered with normalize. */
  readonly schema: string;
  readonly references: readonly SchemaReference[];
}

export interface StoredVersion {
  readonly version: number;
  readonly id: number;
  /** Soft-deleted: kept (and its id) until deleted permanently, hidden unless asked with deleted=true. */
  readonly deleted: boolean;
}

export interface RegistryState {
  /** The next id to give: ids are never given twice, not even after a permanent delete. */
  readonly nextId: number;
  readonly schemas: ReadonlyMap<number, StoredSchema>;
  /** Subject → its versions in ascending order. */
  readonly subjects: ReadonlyMap<string, readonly StoredVersion[]>;
  readonly compatibility: CompatibilityLevel;
  readonly subjectCompatibility: ReadonlyMap<string, CompatibilityLevel>;
  readonly mode: Mode;
  readonly subjectModes: ReadonlyMap<string, Mode>;
}

export const DEFAULT_COMPATIBILITY: CompatibilityLevel = "BACKWARD";

export function emptyState(): RegistryState {
  return {
    nextId: 1,
    schemas: new Map(),
    subjects: new Map(),
    compatibility: DEFAULT_COMPATIBILITY,
    subjectCompatibility: new Map(),
    mode: "READWRITE",
    subjectModes: new Map(),
  };
}

/** The document's JSON shape (version 1). */
interface StateJson {
  v: 1;
  nextId: number;
  schemas: { id: number; type: SchemaType; schema: string; references: SchemaReference[] }[];
  subjects: Record<string, [version: number, id: number, deleted: 0 | 1][]>;
  compatibility: CompatibilityLevel;
  subjectCompatibility: Record<string, CompatibilityLevel>;
  mode: Mode;
  subjectModes: Record<string, Mode>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function fail(why: string): never {
  throw new Error(`schema registry document: ${why}`);
}

function isInt(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v);
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[], what: string): T {
  if (typeof v !== "string" || !(allowed as readonly string[]).includes(v)) fail(`bad ${what} ${String(v)}`);
  return v as T;
}

function record(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) fail(`${what} is not an object`);
  return v as Record<string, unknown>;
}

function references(v: unknown): SchemaReference[] {
  if (!Array.isArray(v)) fail("references is not an array");
  return v.map((r) => {
    const o = record(r, "a reference");
    if (typeof o.name !== "string" || typeof o.subject !== "string" || !isInt(o.version)) {
      fail("bad reference");
    }
    return { name: o.name, subject: o.subject, version: o.version };
  });
}

export const STATE_CODEC: DocumentCodec<RegistryState> = {
  empty: emptyState,
  encode(s: RegistryState): Uint8Array {
    const json: StateJson = {
      v: 1,
      nextId: s.nextId,
      schemas: [...s.schemas.values()].map((x) => ({
        id: x.id,
        type: x.type,
        schema: x.schema,
        references: [...x.references],
      })),
      subjects: Object.fromEntries(
        [...s.subjects].map(([name, versions]) => [
          name,
          versions.map((v) => [v.version, v.id, v.deleted ? 1 : 0] as [number, number, 0 | 1]),
        ]),
      ),
      compatibility: s.compatibility,
      subjectCompatibility: Object.fromEntries(s.subjectCompatibility),
      mode: s.mode,
      subjectModes: Object.fromEntries(s.subjectModes),
    };
    return encoder.encode(JSON.stringify(json));
  },
  decode(data: Uint8Array): RegistryState {
    let raw: unknown;
    try {
      raw = JSON.parse(decoder.decode(data));
    } catch (e) {
      fail(`not JSON: ${(e as Error).message}`);
    }
    const o = record(raw, "the document");
    if (o.v !== 1) fail(`unknown version ${String(o.v)}`);
    if (!isInt(o.nextId) || o.nextId < 1) fail("bad nextId");
    if (!Array.isArray(o.schemas)) fail("schemas is not an array");
    const schemas = new Map<number, StoredSchema>();
    for (const x of o.schemas) {
      const s = record(x, "a schema");
      if (!isInt(s.id) || typeof s.schema !== "string") fail("bad schema entry");
      schemas.set(s.id, {
        id: s.id,
        type: oneOf(s.type, SCHEMA_TYPES, "schema type"),
        schema: s.schema,
        references: references(s.references),
      });
    }
    const subjects = new Map<string, StoredVersion[]>();
    for (const [name, list] of Object.entries(record(o.subjects, "subjects"))) {
      if (!Array.isArray(list)) fail(`subject ${name} is not an array`);
      subjects.set(
        name,
        list.map((e) => {
          if (!Array.isArray(e) || !isInt(e[0]) || !isInt(e[1])) fail(`bad version of ${name}`);
          return { version: e[0], id: e[1], deleted: e[2] === 1 };
        }),
      );
    }
    const levels = new Map<string, CompatibilityLevel>();
    for (const [name, l] of Object.entries(record(o.subjectCompatibility, "subjectCompatibility"))) {
      levels.set(name, oneOf(l, COMPATIBILITY_LEVELS, "compatibility level"));
    }
    const modes = new Map<string, Mode>();
    for (const [name, m] of Object.entries(record(o.subjectModes, "subjectModes"))) {
      modes.set(name, oneOf(m, MODES, "mode"));
    }
    return {
      nextId: o.nextId,
      schemas,
      subjects,
      compatibility: oneOf(o.compatibility, COMPATIBILITY_LEVELS, "compatibility level"),
      subjectCompatibility: levels,
      mode: oneOf(o.mode, MODES, "mode"),
      subjectModes: modes,
    };
  },
};
