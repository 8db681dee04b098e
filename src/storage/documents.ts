// Small durable documents of the gateway's own — SCRAM credentials, ACLs, client quotas, the transaction log (one
// document per transactional id) — each one blob under a
// name, replaced whole with compare-and-set so that gateways sharing a backend never lose each other's changes
// (read, change, put with the version read; on false, read again). Embedded: files under `<data-dir>/meta/`;
// SeaweedMQ: filer entries shared by every gateway of the namespace (seaweedmq/documents.ts), which each gateway
// polls to pick up changes made through another.

export interface StoredDocument {
  readonly data: Uint8Array;
  /** Opaque token of this content's write: pass it to put() to replace exactly this version. */
  readonly version: string;
}

export interface DocumentStore {
  /** The document as stored now (always read through: another gateway may have replaced it), or null. */
  get(name: string): Promise<StoredDocument | null>;
  /**
   * Replaces the document when its stored version is still `expected` (null: it must not exist yet) and resolves
   * its new version, durable; resolves null, writing nothing, when another write got there first.
   */
  put(name: string, data: Uint8Array, expected: string | null): Promise<string | null>;
  /**
   * Deletes the document when its stored version is still `expected`; resolves false, deleting nothing, when
   * another write changed it or it is gone. Durable before it resolves true.
   */
  delete(name: string, expected: string): Promise<boolean>;
  /**
   * Names of the stored documents that start with `prefix`, sorted (UTF-16 code unit order, which for the
   * plain lowercase names allowed is byte order). A snapshot: documents may appear or go right after.
   */
  list(prefix: string): Promise<string[]>;
}

const NAME = /^[a-z0-9][a-z0-9_.-]{0,99}$/;

/** Is `name` a valid document name? (Plain lowercase file name; `.tmp` is kept for the embedded store's copies.) */
export function isDocumentName(name: string): boolean {
  return NAME.test(name) && !name.endsWith(".tmp");
}

/** Throws on a document name that is not a plain lowercase file name. */
export function checkDocumentName(name: string): void {
  if (!isDocumentName(name)) throw new Error(`invalid document name "${name}"`);
}

const encoder = new TextEncoder();

/**
 * `prefix` followed by the SHA-1 of `key` in hex: a document name for a key that may hold any characters (a
 * transactional id, a group id), of fixed length, stable across gateways.
 */
export async function hashedDocumentName(prefix: string, key: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-1", encoder.encode(key)));
  let hex = "";
  for (const b of digest) hex += b.toString(16).padStart(2, "0");
  return prefix + hex;
}

/**
 * Documents in this process's memory: for parts built without a backend's store (tests, a group coordinator
 * constructed alone), whose documents then last as long as the process.
 */
export class MemoryDocuments implements DocumentStore {
  readonly docs = new Map<string, StoredDocument>();
  private n = 0;

  get(name: string): Promise<StoredDocument | null> {
    return Promise.resolve(this.docs.get(name) ?? null);
  }

  put(name: string, data: Uint8Array, expected: string | null): Promise<string | null> {
    if ((this.docs.get(name)?.version ?? null) !== expected) return Promise.resolve(null);
    const version = `v${++this.n}`;
    this.docs.set(name, { data: data.slice(), version });
    return Promise.resolve(version);
  }

  delete(name: string, expected: string): Promise<boolean> {
    if (this.docs.get(name)?.version !== expected) return Promise.resolve(false);
    this.docs.delete(name);
    return Promise.resolve(true);
  }

  list(prefix: string): Promise<string[]> {
    return Promise.resolve([...this.docs.keys()].filter((k) => k.startsWith(prefix)).sort());
  }
}
