// Broker-side validation against an external Confluent-compatible registry (--schema-registry-url, SeaweedFS's flag
// name): the lookups validation.ts needs, answered from a cache filled over the registry's REST API. A schema id
// never changes its schema, so a record name is cached for good; which subjects hold an id can change (deletes),
// so that is re-read after SUBJECTS_TTL_MS, and an id the registry does not know is asked again after
// MISSING_TTL_MS. A registry that does not answer fails the produce with REQUEST_TIMED_OUT (clients retry).
// It also gives schematized SeaweedMQ topics their schemas (liveSchemas, schemaById: topic_typing.ts).
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { FORMATS } from "./formats.ts";
import {
  type ParsedSchema,
  type ResolvedReference,
  SCHEMA_TYPES,
  type SchemaReference,
  type SchemaType,
} from "./schema_types.ts";
import type { SchemaLookup } from "./validation.ts";

const SUBJECTS_TTL_MS = 60_000;
const MISSING_TTL_MS = 5_000;
const TIMEOUT_MS = 5_000;
/** Ids fetched per refresh (a batch of records with many unknown ids does not fan out without bound). */
const MAX_FETCH = 32;

interface Entry {
  /** undefined: the registry has no such id (until `at` + MISSING_TTL_MS). */
  readonly name: string | undefined;
  readonly subjects: ReadonlySet<string>;
  readonly at: number;
}

interface SchemaBody {
  schema: string;
  schemaType?: string;
  references?: SchemaReference[];
}

/** `http://user:pass@host:port/path` → the base URL without credentials, and an Authorization header if any. */
export function registryEndpoint(url: string): { base: string; headers: Record<string, string> } {
  const u = new URL(url);
  const headers: Record<string, string> = { accept: "application/vnd.schemaregistry.v1+json" };
  if (u.username !== "" || u.password !== "") {
    const creds = `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`;
    headers.authorization = "Basic " + btoa(String.fromCharCode(...new TextEncoder().encode(creds)));
    u.username = "";
    u.password = "";
  }
  return { base: u.toString().replace(/\/+$/, ""), headers };
}

export class ExternalSchemaLookup implements SchemaLookup {
  private readonly cache = new Map<number, Entry>();
  /** Fetched schemas parsed, by id; null: not parseable here. */
  private readonly parsed = new Map<number, ParsedSchema | null>();
  /** Ids asked about since the last refresh that the cache could not answer (or answered stale). */
  private readonly wanted = new Set<number>();
  private readonly base: string;
  private readonly headers: Record<string, string>;

  constructor(url: string, private readonly now: () => number = Date.now) {
    ({ base: this.base, headers: this.headers } = registryEndpoint(url));
  }

  recordName(id: number): string | undefined {
    const e = this.cache.get(id);
    if (e === undefined || (e.name === undefined && this.now() - e.at > MISSING_TTL_MS)) {
      this.wanted.add(id);
      return undefined;
    }
    return e.name;
  }

  holds(subject: string, id: number): boolean {
    const e = this.cache.get(id);
    if (e === undefined) return false;
    const held = e.subjects.has(subject);
    if (!held || this.now() - e.at > SUBJECTS_TTL_MS) this.wanted.add(id);
    return held;
  }

  async refresh(): Promise<void> {
    const ids = [...this.wanted].slice(0, MAX_FETCH);
    this.wanted.clear();
    await Promise.all(ids.map((id) => this.load(id)));
  }

  private async get<T>(path: string): Promise<T | null> {
    let res: Response;
    try {
      res = await fetch(this.base + path, { headers: this.headers, signal: AbortSignal.timeout(TIMEOUT_MS) });
    } catch (e) {
      throw new KafkaError(
        ErrorCode.REQUEST_TIMED_OUT,
        `the schema registry at ${this.base} did not answer: ${(e as Error).message}`,
      );
    }
    if (res.status === 404) {
      await res.body?.cancel();
      return null;
    }
    if (!res.ok) {
      const text = await res.text();
      throw new KafkaError(
        ErrorCode.REQUEST_TIMED_OUT,
        `the schema registry at ${this.base} answered ${path} with ${res.status}: ${text.slice(0, 200)}`,
      );
    }
    return await res.json() as T;
  }

  // ---- typed storage (schematized SeaweedMQ topics: topic_typing.ts) ----

  /** The live versions of `subject`, oldest first, with their parsed schemas ([] when the subject is unknown). */
  async liveSchemas(subject: string): Promise<{ readonly id: number; readonly schema: ParsedSchema }[]> {
    const path = `/subjects/${encodeURIComponent(subject)}/versions`;
    const versions = await this.get<number[]>(path) ?? [];
    const out: { id: number; schema: ParsedSchema }[] = [];
    for (const v of versions) {
      const body = await this.get<SchemaBody & { id: number }>(`${path}/${v}`);
      if (body === null) continue;
      const schema = await this.parseOnce(body.id, body);
      if (schema !== null) out.push({ id: body.id, schema });
    }
    return out;
  }

  /** Schema `id` parsed, when this gateway has fetched it (liveSchemas or validation); undefined otherwise. */
  schemaById(id: number): ParsedSchema | undefined {
    return this.parsed.get(id) ?? undefined;
  }

  /** Parses a fetched schema once per id (an id never changes its schema); null when it cannot be parsed here. */
  private async parseOnce(id: number, body: SchemaBody): Promise<ParsedSchema | null> {
    const known = this.parsed.get(id);
    if (known !== undefined) return known;
    const type = (body.schemaType ?? "AVRO").toUpperCase();
    const format = (SCHEMA_TYPES as readonly string[]).includes(type)
      ? FORMATS.get(type as SchemaType)
      : undefined;
    let schema: ParsedSchema | null = null;
    if (format) {
      try {
        schema = format.parse({
          schema: body.schema,
          references: await this.resolve(body.references ?? [], 0),
        });
      } catch (e) {
        if (e instanceof KafkaError) throw e;
      }
    }
    this.parsed.set(id, schema);
    return schema;
  }

  private async load(id: number): Promise<void> {
    const body = await this.get<SchemaBody>(`/schemas/ids/${id}`);
    if (body === null) {
      this.cache.set(id, { name: undefined, subjects: new Set(), at: this.now() });
      return;
    }
    const uses = await this.get<{ subject: string; version: number }[]>(`/schemas/ids/${id}/versions`) ?? [];
    this.cache.set(id, {
      name: await this.nameOf(id, body),
      subjects: new Set(uses.map((u) => u.subject)),
      at: this.now(),
    });
  }

  /** The schema's record name, "" when it has none or cannot be parsed here (then only TopicNameStrategy works). */
  private async nameOf(id: number, body: SchemaBody): Promise<string> {
    const schema = await this.parseOnce(id, body);
    if (schema === null) return "";
    try {
      return FORMATS.get(schema.type)!.recordName(schema);
    } catch {
      return "";
    }
  }

  private async resolve(refs: readonly SchemaReference[], depth: number): Promise<ResolvedReference[]> {
    if (depth > 16) return [];
    const out: ResolvedReference[] = [];
    for (const r of refs) {
      const v = await this.get<SchemaBody>(
        `/subjects/${encodeURIComponent(r.subject)}/versions/${r.version === -1 ? "latest" : r.version}`,
      );
      if (v === null) continue;
      out.push({
        name: r.name,
        schema: v.schema,
        references: await this.resolve(v.references ?? [], depth + 1),
      });
    }
    return out;
  }
}
