// The SeaweedMQ backend's DocumentStore (../documents.ts): one small inline filer entry per document under
// `<namespace meta>/kafka_gateway/documents/`, shared by every gateway of the namespace. The version is a random
// token in the entry's extended attributes; compare-and-set is the filer's conditional UpdateEntry (create-only
// when no version is expected). The token is also stored as the entry's ETag (ETAG_ATTR) so that a delete can be
// conditional too: an ObjectTransaction deleting the entry only while its ETag is the expected version (the
// filer's UpdateEntry has no conditional delete).
import { checkDocumentName, type DocumentStore, isDocumentName, type StoredDocument } from "../documents.ts";
import type { Filer } from "./transport/filer.ts";
import { ETAG_ATTR } from "./transport/filer_messages.ts";

const VERSION_ATTR = "kgw-version";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function newVersion(): string {
  return crypto.randomUUID();
}

function attributes(version: string): Map<string, Uint8Array> {
  const v = encoder.encode(version);
  return new Map([[VERSION_ATTR, v], [ETAG_ATTR, v]]);
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

  async put(name: string, data: Uint8Array, expected: string | null): Promise<string | null> {
    checkDocumentName(name);
    const version = newVersion();
    const extended = attributes(version);
    const written = expected === null
      ? await this.filer.create(this.dir, name, data, extended)
      : await this.filer.update(
        this.dir,
        name,
        data,
        extended,
        new Map([[VERSION_ATTR, encoder.encode(expected)]]),
      );
    return written ? version : null;
  }

  async delete(name: string, expected: string): Promise<boolean> {
    checkDocumentName(name);
    const e = await this.filer.lookup(this.dir, name);
    if (e === null) return false;
    const version = e.extended.get(VERSION_ATTR);
    if (version === undefined || decoder.decode(version) !== expected) return false;
    const etag = e.extended.get(ETAG_ATTR);
    if (etag !== undefined && decoder.decode(etag) === expected) {
      return await this.filer.deleteIf(this.dir, name, expected);
    }
    // Written before versions were also ETags: first move it (same content) to a version that is, with the
    // compare-and-set on the expected one, then delete that version.
    const moved = newVersion();
    const updated = await this.filer.update(
      this.dir,
      name,
      e.content,
      attributes(moved),
      new Map([[VERSION_ATTR, version]]),
    );
    return updated && await this.filer.deleteIf(this.dir, name, moved);
  }

  async list(prefix: string): Promise<string[]> {
    const entries = await this.filer.list(this.dir, prefix);
    return entries.filter((e) => !e.isDirectory && e.name.startsWith(prefix) && isDocumentName(e.name))
      .map((e) => e.name).sort();
  }
}
