// The embedded log's DocumentStore (../documents.ts): one file per document under `<data-dir>/meta/`, replaced
// atomically and durably. Only this process writes them, so compare-and-set is a check under one chain of writes;
// the version is a digest of the content.
import { join } from "node:path";
import { checkDocumentName, type DocumentStore, type StoredDocument } from "../documents.ts";
import { atomicWrite } from "./files.ts";
import { crc32c } from "../../records/crc32c.ts";

export const DOCUMENTS_DIR = "meta";

function versionOf(data: Uint8Array): string {
  return `${data.length}-${crc32c(data).toString(16)}`;
}

export class EmbeddedDocuments implements DocumentStore {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly dataDir: string) {}

  private path(name: string): string {
    checkDocumentName(name);
    return join(this.dataDir, DOCUMENTS_DIR, name);
  }

  async get(name: string): Promise<StoredDocument | null> {
    try {
      const data = await Deno.readFile(this.path(name));
      return { data, version: versionOf(data) };
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return null;
      throw e;
    }
  }

  put(name: string, data: Uint8Array, expected: string | null): Promise<boolean> {
    const run = async () => {
      const now = await this.get(name);
      if ((now?.version ?? null) !== expected) return false;
      await Deno.mkdir(join(this.dataDir, DOCUMENTS_DIR), { recursive: true });
      await atomicWrite(this.path(name), data, true);
      return true;
    };
    const p = this.chain.then(run);
    this.chain = p.catch(() => {});
    return p;
  }
}
