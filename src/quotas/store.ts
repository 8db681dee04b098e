// The client quotas: one durable document of the storage backend (storage.documents(): a file under
// <data-dir>/meta on the embedded log, a filer entry shared by every gateway of the namespace on SeaweedMQ).
// Enforcement reads an immutable QuotaTable built from the last read; changes are read-modify-write with
// compare-and-set, so gateways sharing a filer never lose each other's changes, and each gateway re-reads the
// document every QUOTA_POLL_MS so that all apply the same quotas within 5 s.
import type { DocumentStore } from "../storage/documents.ts";
import { type DocumentCodec, FollowedStore } from "../storage/watched_document.ts";
import type { Logger } from "../log.ts";
import { entityKey, parseEntity, type QuotaEntity, type QuotaEntry, valueProblem } from "./model.ts";
import { entityComponents } from "./model.ts";

export const QUOTA_DOCUMENT = "client-quotas";
export const QUOTA_POLL_MS = 1000;

interface DocumentJson {
  version: 1;
  entries: { entity: QuotaEntity; values: Record<string, number> }[];
}

export function encodeQuotas(entries: readonly QuotaEntry[]): Uint8Array {
  const doc: DocumentJson = {
    version: 1,
    entries: entries.map((e) => ({ entity: e.entity, values: { ...e.values } })),
  };
  return new TextEncoder().encode(JSON.stringify(doc));
}

/** Parses the document; throws with a reason on anything unexpected. */
export function decodeQuotas(data: Uint8Array): QuotaEntry[] {
  const doc = JSON.parse(new TextDecoder().decode(data)) as DocumentJson;
  if (doc === null || typeof doc !== "object" || doc.version !== 1 || !Array.isArray(doc.entries)) {
    throw new Error("not a version 1 client quota document");
  }
  return doc.entries.map((raw) => {
    const entity = parseEntity(entityComponents(raw.entity ?? {}));
    if (typeof entity === "string") throw new Error(`entity ${JSON.stringify(raw.entity)}: ${entity}`);
    const values: Record<string, number> = {};
    for (const [k, v] of Object.entries(raw.values ?? {})) {
      const problem = valueProblem(entity, k, v);
      if (problem !== null) throw new Error(`entity ${JSON.stringify(raw.entity)}: ${problem}`);
      values[k] = v;
    }
    return { entity, values };
  });
}

/** The quotas as last read: entity key → values. Immutable once built. */
export class QuotaTable {
  private readonly byKey = new Map<string, QuotaEntry>();
  /** True when some user/client-id entity holds a value (the request path does nothing otherwise). */
  readonly hasClientQuotas: boolean;
  /** True when some ip entity holds a value (connection_creation_rate). */
  readonly hasIpQuotas: boolean;

  constructor(readonly entries: readonly QuotaEntry[]) {
    let client = false, ip = false;
    for (const e of entries) {
      this.byKey.set(entityKey(e.entity), e);
      if (Object.keys(e.values).length === 0) continue;
      if (e.entity.ip === undefined) client = true;
      else ip = true;
    }
    this.hasClientQuotas = client;
    this.hasIpQuotas = ip;
  }

  /** The value of `key` the entity holds itself (no defaults applied), or undefined. */
  value(entity: QuotaEntity, key: string): number | undefined {
    return this.byKey.get(entityKey(entity))?.values[key];
  }
}

const CODEC: DocumentCodec<readonly QuotaEntry[]> = {
  empty: () => [],
  decode: decodeQuotas,
  encode: encodeQuotas,
};

export class QuotaStore extends FollowedStore<readonly QuotaEntry[]> {
  /** What enforcement reads; replaced whenever the stored quotas change. */
  table = new QuotaTable([]);
  /** Called after `table` changed. */
  onChange: (() => void) | null = null;

  constructor(
    docs: DocumentStore,
    log: Logger,
    /** Re-read interval (0: never). */
    pollMs: number = QUOTA_POLL_MS,
  ) {
    super(docs, QUOTA_DOCUMENT, CODEC, { what: "client quotas", log, pollMs });
  }

  protected override changed(entries: readonly QuotaEntry[]): void {
    this.table = new QuotaTable(entries);
    this.onChange?.();
  }

  /**
   * Applies `mutate` to the stored entries with compare-and-set, re-reading and re-applying when another gateway
   * wrote in between; enforcement sees the result at once. Entities left without values are dropped.
   */
  update<T>(mutate: (entries: Map<string, QuotaEntry>) => T): Promise<T> {
    return this.doc.update((current) => {
      const map = new Map(current.map((e) => [entityKey(e.entity), e]));
      const result = mutate(map);
      return { next: [...map.values()].filter((e) => Object.keys(e.values).length > 0), result };
    });
  }
}
