// Small durable documents of the gateway's own — SCRAM credentials, ACLs, client quotas — each one blob under a
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
   * Replaces the document when its stored version is still `expected` (null: it must not exist yet); resolves
   * false, writing nothing, when another write got there first. Durable before it resolves true.
   */
  put(name: string, data: Uint8Array, expected: string | null): Promise<boolean>;
}

const NAME = /^[a-z0-9][a-z0-9_.-]{0,99}$/;

/** Throws on a document name that is not a plain lowercase file name. */
export function checkDocumentName(name: string): void {
  if (!NAME.test(name)) throw new Error(`invalid document name "${name}"`);
}
