// The schema registry's behaviour, as Confluent Schema Registry 7.x answers it: subjects holding versions of
// schemas, a global id per distinct schema (the same schema under two subjects keeps one id), compatibility levels
// checked on registration, modes, soft and permanent deletes, references. Every change is one read-modify-write of
// the state document (state.ts): checks and write are one step, re-run when another gateway wrote first.
// Reads answer from the copy in memory (polled on SeaweedMQ); a miss re-reads the document once before answering
// "not found", so a client that registered through one gateway finds its schema through another at once.
import type { WatchedDocument } from "../storage/watched_document.ts";
import type { SchemaLookup } from "./validation.ts";
import {
  COMPATIBILITY_LEVELS,
  type CompatibilityLevel,
  DEFAULT_COMPATIBILITY,
  type Mode,
  MODES,
  type RegistryState,
  type StoredSchema,
  type StoredVersion,
} from "./state.ts";
import {
  InvalidSchemaError,
  type ParsedSchema,
  type ResolvedReference,
  SCHEMA_TYPES,
  type SchemaFormat,
  type SchemaReference,
  type SchemaType,
} from "./schema_types.ts";

/** An answer with Confluent's error code; the HTTP status is its first three digits. */
export class RegistryError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
  get status(): number {
    return this.code >= 1000 ? Math.floor(this.code / 100) : this.code;
  }
}

const err = {
  subjectNotFound: (s: string) => new RegistryError(40401, `Subject '${s}' not found.`),
  versionNotFound: (v: number) => new RegistryError(40402, `Version ${v} not found.`),
  schemaNotFound: (id?: number) =>
    new RegistryError(40403, id === undefined ? "Schema not found" : `Schema ${id} not found`),
  subjectSoftDeleted: (s: string) =>
    new RegistryError(40404, `Subject '${s}' was soft deleted.Set permanent=true to delete permanently`),
  subjectNotSoftDeleted: (s: string) =>
    new RegistryError(40405, `Subject '${s}' was not deleted first before being permanently deleted`),
  versionSoftDeleted: (s: string, v: number) =>
    new RegistryError(
      40406,
      `Subject '${s}' Version ${v} was soft deleted.Set permanent=true to delete permanently`,
    ),
  versionNotSoftDeleted: (s: string, v: number) =>
    new RegistryError(
      40407,
      `Subject '${s}' Version ${v} was not deleted first before being permanently deleted`,
    ),
  noSubjectCompatibility: (s: string) =>
    new RegistryError(40408, `Subject '${s}' does not have subject-level compatibility configured`),
  noSubjectMode: (s: string) =>
    new RegistryError(40409, `Subject '${s}' does not have subject-level mode configured`),
  invalidSchema: (why: string) => new RegistryError(42201, `Invalid schema: ${why}`),
  invalidVersion: (v: string) =>
    new RegistryError(
      42202,
      `The specified version '${v}' is not a valid version id. Allowed values are between [1, 2^31-1] and the ` +
        `string "latest"`,
    ),
  invalidCompatibility: () =>
    new RegistryError(
      42203,
      "Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, " +
        "forward_transitive, and full_transitive",
    ),
  invalidMode: () => new RegistryError(42204, `Invalid mode. Valid values are ${MODES.join(", ")}`),
  notPermitted: (why: string) => new RegistryError(42205, why),
  referenceExists: (s: string, v: number) =>
    new RegistryError(42206, `One or more references exist to the schema {subject=${s},version=${v}}`),
  incompatible: (subject: string, messages: readonly string[]) =>
    new RegistryError(
      409,
      `Schema being registered is incompatible with an earlier schema for subject "${subject}", details: ` +
        `[${messages.join("; ")}]`,
    ),
};

/** What a client sends to register, look up or check a schema. */
export interface SchemaRequest {
  readonly schema: string;
  readonly schemaType?: SchemaType;
  readonly references?: readonly SchemaReference[];
  /** IMPORT mode only: the id (and version) to register it under. */
  readonly id?: number;
  readonly version?: number;
}

/** A subject's version as answered. */
export interface VersionAnswer {
  readonly subject: string;
  readonly version: number;
  readonly id: number;
  readonly schemaType?: SchemaType;
  readonly references?: readonly SchemaReference[];
  readonly schema: string;
}

export interface SchemaAnswer {
  readonly schema: string;
  readonly schemaType?: SchemaType;
  readonly references?: readonly SchemaReference[];
}

/** Confluent leaves out schemaType for AVRO and references when there are none. */
function typed(s: StoredSchema): { schemaType?: SchemaType; references?: readonly SchemaReference[] } {
  return {
    ...(s.type === "AVRO" ? {} : { schemaType: s.type }),
    ...(s.references.length > 0 ? { references: s.references } : {}),
  };
}

const MAX_VERSION = 2 ** 31 - 1;

/** "latest" and -1 name the latest version; otherwise 1..2^31-1. */
export function parseVersion(v: string): number | "latest" {
  if (v === "latest" || v === "-1") return "latest";
  if (!/^\d+$/.test(v)) throw err.invalidVersion(v);
  const n = Number(v);
  if (n < 1 || n > MAX_VERSION) throw err.invalidVersion(v);
  return n;
}

export function parseCompatibility(v: unknown): CompatibilityLevel {
  const up = typeof v === "string" ? v.toUpperCase() : "";
  if (!(COMPATIBILITY_LEVELS as readonly string[]).includes(up)) throw err.invalidCompatibility();
  return up as CompatibilityLevel;
}

export function parseMode(v: unknown): Mode {
  const up = typeof v === "string" ? v.toUpperCase() : "";
  if (!(MODES as readonly string[]).includes(up)) throw err.invalidMode();
  return up as Mode;
}

function sameReferences(a: readonly SchemaReference[], b: readonly SchemaReference[]): boolean {
  return a.length === b.length &&
    a.every((r, i) => r.name === b[i].name && r.subject === b[i].subject && r.version === b[i].version);
}

function live(versions: readonly StoredVersion[] | undefined): StoredVersion[] {
  return (versions ?? []).filter((v) => !v.deleted);
}

export class SchemaRegistry implements SchemaLookup {
  /** Parsed schemas by id: a stored id's schema never changes (ids are never given twice). */
  private readonly parsed = new Map<number, ParsedSchema>();

  constructor(
    private readonly doc: WatchedDocument<RegistryState>,
    private readonly formats: ReadonlyMap<SchemaType, SchemaFormat>,
  ) {}

  private get state(): RegistryState {
    return this.doc.value;
  }

  /** Runs `read` on the state in memory; when it says "not found", once more on the document as stored now. */
  private async fresh<T>(read: (s: RegistryState) => T): Promise<T> {
    try {
      return read(this.state);
    } catch (e) {
      if (!(e instanceof RegistryError) || Math.floor(e.code / 100) !== 404) throw e;
      await this.doc.refresh();
      return read(this.state);
    }
  }

  // ---- schemas and references ----

  private format(type: SchemaType): SchemaFormat {
    const f = this.formats.get(type);
    if (!f) throw err.invalidSchema(`unsupported schema type ${type}`);
    return f;
  }

  private findVersion(s: RegistryState, subject: string, version: number | "latest", deleted: boolean) {
    const all = s.subjects.get(subject);
    const visible = deleted ? all ?? [] : live(all);
    if (visible.length === 0) throw err.subjectNotFound(subject);
    const v = version === "latest" ? visible.at(-1) : visible.find((x) => x.version === version);
    if (!v) throw err.versionNotFound(version === "latest" ? -1 : version);
    return v;
  }

  /** The referenced schemas' texts, recursively, as a format needs them to parse. */
  private resolve(s: RegistryState, refs: readonly SchemaReference[], depth = 0): ResolvedReference[] {
    if (depth > 32) throw err.invalidSchema("references nest deeper than 32 levels");
    return refs.map((r) => {
      let v: StoredVersion;
      try {
        v = this.findVersion(s, r.subject, r.version === -1 ? "latest" : r.version, false);
      } catch {
        throw err.invalidSchema(`reference ${r.name} to subject ${r.subject} version ${r.version} not found`);
      }
      const stored = s.schemas.get(v.id)!;
      return {
        name: r.name,
        schema: stored.schema,
        references: this.resolve(s, stored.references, depth + 1),
      };
    });
  }

  private parseNew(s: RegistryState, req: SchemaRequest): ParsedSchema {
    const type = req.schemaType ?? "AVRO";
    try {
      return this.format(type).parse({
        schema: req.schema,
        references: this.resolve(s, req.references ?? []),
      });
    } catch (e) {
      if (e instanceof InvalidSchemaError) throw err.invalidSchema(e.message);
      throw e;
    }
  }

  private parseStored(s: RegistryState, stored: StoredSchema): ParsedSchema {
    let p = this.parsed.get(stored.id);
    if (!p) {
      p = this.format(stored.type).parse({
        schema: stored.schema,
        references: this.resolve(s, stored.references),
      });
      this.parsed.set(stored.id, p);
    }
    return p;
  }

  /** Is `stored` the schema `p` (text as registered, or normalized when asked)? */
  private same(
    s: RegistryState,
    stored: StoredSchema,
    p: ParsedSchema,
    refs: readonly SchemaReference[],
    normalize: boolean,
  ) {
    if (stored.type !== p.type || !sameReferences(stored.references, refs)) return false;
    if (stored.schema === p.canonical) return true;
    if (!normalize) return false;
    return this.parseStored(s, stored).normalized() === p.normalized();
  }

  // ---- compatibility ----

  private levelOf(s: RegistryState, subject: string): CompatibilityLevel {
    return s.subjectCompatibility.get(subject) ?? s.compatibility;
  }

  /** Why `next` may not follow `previous` at `level` (checked against each of `previous`). */
  private incompatibilities(
    s: RegistryState,
    level: CompatibilityLevel,
    next: ParsedSchema,
    previous: readonly StoredVersion[],
  ): string[] {
    if (level === "NONE" || previous.length === 0) return [];
    const against = level.endsWith("_TRANSITIVE") ? previous : previous.slice(-1);
    const out: string[] = [];
    for (const v of against) {
      const old = s.schemas.get(v.id)!;
      if (old.type !== next.type) {
        out.push(`version ${v.version}: incompatible schema type ${next.type}, was ${old.type}`);
        continue;
      }
      const f = this.format(next.type);
      const parsedOld = this.parseStored(s, old);
      const problems: string[] = [];
      if (level.startsWith("BACKWARD") || level.startsWith("FULL")) {
        problems.push(...f.incompatibilities(next, parsedOld).map((m) => `BACKWARD ${m}`));
      }
      if (level.startsWith("FORWARD") || level.startsWith("FULL")) {
        problems.push(...f.incompatibilities(parsedOld, next).map((m) => `FORWARD ${m}`));
      }
      for (const m of problems) out.push(`version ${v.version}: ${m}`);
    }
    return out;
  }

  // ---- modes ----

  private modeOf(s: RegistryState, subject: string): Mode {
    return s.subjectModes.get(subject) ?? s.mode;
  }

  private writable(s: RegistryState, subject: string): Mode {
    const mode = this.modeOf(s, subject);
    if (mode === "READONLY" || mode === "READONLY_OVERRIDE") {
      throw err.notPermitted(`Subject ${subject} is in read-only mode`);
    }
    return mode;
  }

  // ---- registration and lookup ----

  /** POST /subjects/{subject}/versions: the id of the schema under the subject, registered if new. */
  register(subject: string, req: SchemaRequest, normalize: boolean): Promise<{ id: number }> {
    return this.doc.update((s) => {
      const mode = this.writable(s, subject);
      const p = this.parseNew(s, req);
      const refs = req.references ?? [];
      const versions = s.subjects.get(subject) ?? [];
      const text = normalize ? p.normalized() : p.canonical;
      const same = (x: StoredSchema) =>
        x.type === p.type && sameReferences(x.references, refs) &&
        (x.schema === text || this.same(s, x, p, refs, normalize));
      if (mode === "IMPORT") return this.importSchema(s, subject, req, p.type, text, refs, same);
      if (req.id !== undefined && req.id >= 0) {
        throw err.notPermitted(`Subject ${subject} is not in import mode`);
      }
      const existing = live(versions).find((v) => same(s.schemas.get(v.id)!));
      if (existing) return { next: s, result: { id: existing.id } };
      const problems = this.incompatibilities(s, this.levelOf(s, subject), p, live(versions));
      if (problems.length > 0) throw err.incompatible(subject, problems);
      const reuse = [...s.schemas.values()].find(same);
      const id = reuse?.id ?? s.nextId;
      const version = (versions.at(-1)?.version ?? 0) + 1;
      const schemas = new Map(s.schemas);
      if (!reuse) schemas.set(id, { id, type: p.type, schema: text, references: refs });
      const subjects = new Map(s.subjects);
      subjects.set(subject, [...versions, { version, id, deleted: false }]);
      return { next: { ...s, schemas, subjects, nextId: reuse ? s.nextId : id + 1 }, result: { id } };
    });
  }

  /** IMPORT mode: the schema under the id (and version) the client gives, with no compatibility check. */
  private importSchema(
    s: RegistryState,
    subject: string,
    req: SchemaRequest,
    type: SchemaType,
    text: string,
    refs: readonly SchemaReference[],
    same: (x: StoredSchema) => boolean,
  ): { next: RegistryState; result: { id: number } } {
    if (req.id === undefined || req.id < 1) {
      throw err.notPermitted(`Subject ${subject} is in import mode: the schema's id must be given`);
    }
    const id = req.id;
    const holder = s.schemas.get(id);
    if (holder && !same(holder)) {
      throw err.notPermitted(`Overwrite new schema with id ${id} is not permitted.`);
    }
    const versions = s.subjects.get(subject) ?? [];
    const version = req.version !== undefined && req.version > 0
      ? req.version
      : (versions.at(-1)?.version ?? 0) + 1;
    const at = versions.find((v) => v.version === version);
    if (at) {
      if (at.id === id) return { next: s, result: { id } };
      throw err.notPermitted(`Version ${version} of subject ${subject} already holds schema ${at.id}`);
    }
    const schemas = new Map(s.schemas);
    schemas.set(id, { id, type, schema: text, references: refs });
    const subjects = new Map(s.subjects);
    subjects.set(
      subject,
      [...versions, { version, id, deleted: false }].sort((a, b) => a.version - b.version),
    );
    return {
      next: { ...s, schemas, subjects, nextId: Math.max(s.nextId, id + 1) },
      result: { id },
    };
  }

  /** POST /subjects/{subject}: the version of the subject holding this schema. */
  lookup(subject: string, req: SchemaRequest, normalize: boolean, deleted: boolean): Promise<VersionAnswer> {
    return this.fresh((s) => {
      const versions = deleted ? s.subjects.get(subject) ?? [] : live(s.subjects.get(subject));
      if (versions.length === 0) throw err.subjectNotFound(subject);
      const p = this.parseNew(s, req);
      const refs = req.references ?? [];
      for (let i = versions.length - 1; i >= 0; i--) {
        const stored = s.schemas.get(versions[i].id)!;
        if (this.same(s, stored, p, refs, normalize)) return this.answer(subject, versions[i], stored);
      }
      throw err.schemaNotFound();
    });
  }

  private answer(subject: string, v: StoredVersion, stored: StoredSchema, format = ""): VersionAnswer {
    return { subject, version: v.version, id: v.id, ...typed(stored), schema: this.text(stored, format) };
  }

  /** The stored text, or the form `?format=` asks for where the schema's format has one. */
  private text(stored: StoredSchema, format: string): string {
    const f = this.formats.get(stored.type);
    if (format === "" || !f?.render) return stored.schema;
    return f.render(this.parseStored(this.state, stored), format) ?? stored.schema;
  }

  // ---- reads ----

  subjects(prefix: string, deleted: boolean): Promise<string[]> {
    return this.fresh((s) =>
      [...s.subjects].filter(([name, vs]) =>
        name.startsWith(prefix) && (deleted ? vs.length > 0 : live(vs).length > 0)
      )
        .map(([name]) => name).sort()
    );
  }

  versions(subject: string, deleted: boolean): Promise<number[]> {
    return this.fresh((s) => {
      const vs = deleted ? s.subjects.get(subject) ?? [] : live(s.subjects.get(subject));
      if (vs.length === 0) throw err.subjectNotFound(subject);
      return vs.map((v) => v.version);
    });
  }

  version(
    subject: string,
    version: number | "latest",
    deleted: boolean,
    format = "",
  ): Promise<VersionAnswer> {
    return this.fresh((s) => {
      const v = this.findVersion(s, subject, version, deleted);
      return this.answer(subject, v, s.schemas.get(v.id)!, format);
    });
  }

  schema(id: number, format = ""): Promise<SchemaAnswer> {
    return this.fresh((s) => {
      const stored = s.schemas.get(id);
      if (!stored) throw err.schemaNotFound(id);
      return { ...typed(stored), schema: this.text(stored, format) };
    });
  }

  /** GET /schemas: the latest (or every) version of each subject. */
  schemas(prefix: string, deleted: boolean, latestOnly: boolean): Promise<VersionAnswer[]> {
    return this.fresh((s) => {
      const out: VersionAnswer[] = [];
      for (const [subject, all] of [...s.subjects].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)) {
        if (!subject.startsWith(prefix)) continue;
        const vs = deleted ? all : live(all);
        for (const v of latestOnly ? vs.slice(-1) : vs) {
          out.push(this.answer(subject, v, s.schemas.get(v.id)!));
        }
      }
      return out;
    });
  }

  /** GET /schemas/ids/{id}/versions: every subject version holding the id. */
  usesOf(id: number, deleted: boolean): Promise<{ subject: string; version: number }[]> {
    return this.fresh((s) => {
      if (!s.schemas.has(id)) throw err.schemaNotFound(id);
      const out: { subject: string; version: number }[] = [];
      for (const [subject, vs] of s.subjects) {
        for (const v of deleted ? vs : live(vs)) if (v.id === id) out.push({ subject, version: v.version });
      }
      return out.sort((a, b) =>
        a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : a.version - b.version
      );
    });
  }

  /** GET .../referencedby: ids of the schemas referencing this subject version. */
  referencedBy(subject: string, version: number | "latest"): Promise<number[]> {
    return this.fresh((s) => {
      const v = this.findVersion(s, subject, version, false);
      return this.referrers(s, subject, v.version);
    });
  }

  private referrers(s: RegistryState, subject: string, version: number): number[] {
    const ids: number[] = [];
    for (const x of s.schemas.values()) {
      if (x.references.some((r) => r.subject === subject && r.version === version)) ids.push(x.id);
    }
    return ids.sort((a, b) => a - b);
  }

  // ---- compatibility check without registering ----

  /** POST /compatibility/subjects/{s}/versions[/{v}]: the problems (empty: compatible). */
  check(subject: string, version: number | "latest" | null, req: SchemaRequest): Promise<string[]> {
    return this.fresh((s) => {
      const p = this.parseNew(s, req);
      const level = this.levelOf(s, subject);
      if (version === null) return this.incompatibilities(s, level, p, live(s.subjects.get(subject)));
      const v = this.findVersion(s, subject, version, false);
      // one version named: checked against it alone, in the level's direction
      return this.incompatibilities(s, level.replace("_TRANSITIVE", "") as CompatibilityLevel, p, [v]);
    });
  }

  // ---- deletes ----

  /** DELETE /subjects/{subject}[?permanent=true]: the versions deleted. */
  deleteSubject(subject: string, permanent: boolean): Promise<number[]> {
    return this.doc.update((s) => {
      this.writable(s, subject);
      const all = s.subjects.get(subject) ?? [];
      if (all.length === 0) throw err.subjectNotFound(subject);
      for (const v of all) {
        if (this.referrers(s, subject, v.version).length > 0) throw err.referenceExists(subject, v.version);
      }
      const subjects = new Map(s.subjects);
      if (!permanent) {
        if (live(all).length === 0) throw err.subjectSoftDeleted(subject);
        subjects.set(subject, all.map((v) => ({ ...v, deleted: true })));
        return { next: { ...s, subjects }, result: live(all).map((v) => v.version) };
      }
      if (live(all).length > 0) throw err.subjectNotSoftDeleted(subject);
      subjects.delete(subject);
      const subjectCompatibility = new Map(s.subjectCompatibility);
      subjectCompatibility.delete(subject);
      const subjectModes = new Map(s.subjectModes);
      subjectModes.delete(subject);
      const next = { ...s, subjects, subjectCompatibility, subjectModes };
      return { next: withoutOrphans(next), result: all.map((v) => v.version) };
    });
  }

  /** DELETE /subjects/{subject}/versions/{version}[?permanent=true]: the version deleted. */
  deleteVersion(subject: string, version: number | "latest", permanent: boolean): Promise<number> {
    return this.doc.update((s) => {
      this.writable(s, subject);
      const all = s.subjects.get(subject) ?? [];
      if (all.length === 0) throw err.subjectNotFound(subject);
      const v = version === "latest"
        ? (permanent ? all.at(-1)! : live(all).at(-1))
        : all.find((x) => x.version === version);
      if (!v) throw err.versionNotFound(version === "latest" ? -1 : version);
      if (this.referrers(s, subject, v.version).length > 0) throw err.referenceExists(subject, v.version);
      const subjects = new Map(s.subjects);
      if (!permanent) {
        if (v.deleted) throw err.versionSoftDeleted(subject, v.version);
        subjects.set(subject, all.map((x) => x === v ? { ...x, deleted: true } : x));
        return { next: { ...s, subjects }, result: v.version };
      }
      if (!v.deleted) throw err.versionNotSoftDeleted(subject, v.version);
      const rest = all.filter((x) => x !== v);
      if (rest.length === 0) subjects.delete(subject);
      else subjects.set(subject, rest);
      return { next: withoutOrphans({ ...s, subjects }), result: v.version };
    });
  }

  // ---- configuration and modes ----

  compatibility(subject: string | null, defaultToGlobal: boolean): CompatibilityLevel {
    const s = this.state;
    if (subject === null) return s.compatibility;
    const own = s.subjectCompatibility.get(subject);
    if (own) return own;
    if (defaultToGlobal) return s.compatibility;
    throw err.noSubjectCompatibility(subject);
  }

  setCompatibility(subject: string | null, level: CompatibilityLevel): Promise<CompatibilityLevel> {
    return this.doc.update((s) => {
      if (subject === null) return { next: { ...s, compatibility: level }, result: level };
      this.writable(s, subject);
      const subjectCompatibility = new Map(s.subjectCompatibility);
      subjectCompatibility.set(subject, level);
      return { next: { ...s, subjectCompatibility }, result: level };
    });
  }

  /** DELETE /config[/{subject}]: the level it had; the global one goes back to the default. */
  deleteCompatibility(subject: string | null): Promise<CompatibilityLevel> {
    return this.doc.update((s) => {
      if (subject === null) {
        return { next: { ...s, compatibility: DEFAULT_COMPATIBILITY }, result: s.compatibility };
      }
      const own = s.subjectCompatibility.get(subject);
      if (!own) throw err.noSubjectCompatibility(subject);
      const subjectCompatibility = new Map(s.subjectCompatibility);
      subjectCompatibility.delete(subject);
      return { next: { ...s, subjectCompatibility }, result: own };
    });
  }

  mode(subject: string | null, defaultToGlobal: boolean): Mode {
    const s = this.state;
    if (subject === null) return s.mode;
    const own = s.subjectModes.get(subject);
    if (own) return own;
    if (defaultToGlobal) return s.mode;
    throw err.noSubjectMode(subject);
  }

  /** PUT /mode[/{subject}]: IMPORT only on an empty registry (subject) unless forced, as Confluent. */
  setMode(subject: string | null, mode: Mode, force: boolean): Promise<Mode> {
    return this.doc.update((s) => {
      if (mode === "IMPORT" && !force) {
        const used = subject === null ? s.subjects.size > 0 : (s.subjects.get(subject)?.length ?? 0) > 0;
        if (used) throw err.notPermitted("Cannot import since found existing subjects");
      }
      if (subject === null) return { next: { ...s, mode }, result: mode };
      const subjectModes = new Map(s.subjectModes);
      subjectModes.set(subject, mode);
      return { next: { ...s, subjectModes }, result: mode };
    });
  }

  deleteMode(subject: string): Promise<Mode> {
    return this.doc.update((s) => {
      const own = s.subjectModes.get(subject);
      if (!own) throw err.noSubjectMode(subject);
      const subjectModes = new Map(s.subjectModes);
      subjectModes.delete(subject);
      return { next: { ...s, subjectModes }, result: own };
    });
  }

  // ---- lookups for broker-side validation (validation.ts): in memory, no await ----

  recordName(id: number): string | undefined {
    const stored = this.state.schemas.get(id);
    if (!stored) return undefined;
    try {
      return this.format(stored.type).recordName(this.parseStored(this.state, stored));
    } catch {
      return "";
    }
  }

  holds(subject: string, id: number): boolean {
    return live(this.state.subjects.get(subject)).some((v) => v.id === id);
  }

  refresh(): Promise<void> {
    return this.doc.refresh();
  }

  // ---- typed storage (schematized SeaweedMQ topics: topic_typing.ts) ----

  /** The state as now in memory: another object after every change (caches key on it). */
  get revision(): object {
    return this.state;
  }

  /** The live versions of `subject`, oldest first, with their parsed schemas; a schema that fails to parse is left out. */
  liveSchemas(subject: string): { readonly id: number; readonly schema: ParsedSchema }[] {
    const s = this.state;
    const out: { id: number; schema: ParsedSchema }[] = [];
    for (const v of live(s.subjects.get(subject))) {
      const stored = s.schemas.get(v.id);
      if (!stored) continue;
      try {
        out.push({ id: v.id, schema: this.parseStored(s, stored) });
      } catch { /* unparseable after all: not typed */ }
    }
    return out;
  }

  /** Schema `id` parsed, or undefined when unknown (or it fails to parse). */
  schemaById(id: number): ParsedSchema | undefined {
    const stored = this.state.schemas.get(id);
    if (!stored) return undefined;
    try {
      return this.parseStored(this.state, stored);
    } catch {
      return undefined;
    }
  }

  /** Schema types this registry accepts, as GET /schemas/types lists them. */
  types(): SchemaType[] {
    return SCHEMA_TYPES.filter((t) => this.formats.has(t));
  }
}

/** Drops schemas no version holds any more (after a permanent delete); their ids are not given again. */
function withoutOrphans(s: RegistryState): RegistryState {
  const used = new Set<number>();
  for (const vs of s.subjects.values()) for (const v of vs) used.add(v.id);
  if ([...s.schemas.keys()].every((id) => used.has(id))) return s;
  return { ...s, schemas: new Map([...s.schemas].filter(([id]) => used.has(id))) };
}
