// The SeaweedMQ backend's DocumentStore (../documents.ts): one small inline filer entry per document under
// `<namespace meta>/kafka_gateway/documents/`, shared by every gateway of the namespace. The version is a random
// token in the entry's extended attributes; compare-and-set is the filer's conditional UpdateEntry (create-only
// when no version is expected).
import { checkDocumentName, type DocumentStore, type StoredDocument } from "../documents.ts";
import type { Filer } from "./transport/filer.ts";

const VERSION_ATTR = "kgw-version";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function newVersion(): string {
  return crypto.randomUUID();
}

export class SeaweedDocuments implements DocumentStore {
  constructor(private readonly filer: Filer, private readonly dir: string) {}

  async get(name: string): Promise<StoredDocument | null> {
    checkDocumentName(name);
    const e = await this.filer.lookup(this.dir, name);
    if (e === null) return null;
    const v = e.extended.get(VERSION_ATTR);
    return { data: e.content, version: v === undefined ? "" : decoder.decode(v) };
  }

  put(name: string, data: Uint8Array, expected: string | null): Promise<boolean> {
    checkDocumentName(name);
    const extended = new Map([[VERSION_ATTR, encoder.encode(newVersion())]]);
    if (expected === null) return this.filer.create(this.dir, name, data, extended);
    return this.filer.update(
      this.dir,
      name,
      data,
      extended,
      new Map([[VERSION_ATTR, encoder.encode(expected)]]),
    );
  }
}
