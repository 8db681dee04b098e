// The embedded log's DocumentStore (../documents.ts): one file per document under `<data-dir>/meta/`, replaced
// atomically and durably. Only this process writes them, so compare-and-set is a check under a chain of writes per
// document (different documents are written concurrently); the version is a digest of the content.
//
// Cost of a durable put: fsync of the new file's data, rename over the old one, fsync of the directory (so the
// rename survives a crash). The directory fsync is shared: puts and deletes whose renames are done when a directory
// fsync starts all wait for that one (group commit), so N concurrent writes cost N file fsyncs + about 2 directory
// fsyncs, not 2N fsyncs.
import { join } from "node:path";
import { checkDocumentName, type DocumentStore, isDocumentName, type StoredDocument } from "../documents.ts";
import { atomicWrite, fsyncDir } from "./files.ts";
import { crc32c } from "../../records/crc32c.ts";
import { KeyedQueue } from "../../serial.ts";

export const DOCUMENTS_DIR = "meta";

function versionOf(data: Uint8Array): string {
  return `${data.length}-${crc32c(data).toString(16)}`;
}

/**
 * fsync of one directory shared by concurrent callers: a call resolves after an fsync that started after the call
 * (so after whatever the caller renamed or removed before calling). While one runs, every new caller waits for the
 * single next one.
 */
class SharedDirSync {
  private running: Promise<void> | null = null;
  private next: Promise<void> | null = null;

  constructor(private readonly dir: string) {}

  sync(): Promise<void> {
    if (this.next) return this.next;
    if (!this.running) return this.start();
    this.next = this.running.catch(() => {}).then(() => {
      this.next = null;
      return this.start();
    });
    return this.next;
  }

  private start(): Promise<void> {
    const p = fsyncDir(this.dir).finally(() => {
      if (this.running === p) this.running = null;
    });
    this.running = p;
    return p;
  }
}

export class EmbeddedDocuments implements DocumentStore {
  /** Writes per document, one at a time (compare-and-set is a check and a write that nothing comes between). */
  private readonly writes = new KeyedQueue<string>();
  private readonly dir: string;
  private readonly dirSync: SharedDirSync;
  private dirMade: Promise<void> | null = null;

  constructor(dataDir: string) {
    this.dir = join(dataDir, DOCUMENTS_DIR);
    this.dirSync = new SharedDirSync(this.dir);
  }

  private path(name: string): string {
    checkDocumentName(name);
    return join(this.dir, name);
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

  /** Runs `fn` after every earlier write of `name` settled. */
  private serial<T>(name: string, fn: () => Promise<T>): Promise<T> {
    try {
      checkDocumentName(name);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.writes.run(name, fn);
  }

  put(name: string, data: Uint8Array, expected: string | null): Promise<string | null> {
    return this.serial(name, async () => {
      const now = await this.get(name);
      if ((now?.version ?? null) !== expected) return null;
      await this.write(this.path(name), data);
      return versionOf(data);
    });
  }

  delete(name: string, expected: string): Promise<boolean> {
    return this.serial(name, async () => {
      const now = await this.get(name);
      if (now === null || now.version !== expected) return false;
      try {
        await Deno.remove(this.path(name));
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      }
      await this.dirSync.sync();
      return true;
    });
  }

  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    try {
      for await (const e of Deno.readDir(this.dir)) {
        if (e.isFile && e.name.startsWith(prefix) && isDocumentName(e.name)) out.push(e.name);
      }
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return [];
      throw e;
    }
    return out.sort();
  }

  /** Atomic durable replace (temp file, fsync, rename, shared directory fsync). */
  private async write(path: string, data: Uint8Array): Promise<void> {
    this.dirMade ??= Deno.mkdir(this.dir, { recursive: true }).catch((e) => {
      this.dirMade = null;
      throw e;
    });
    await this.dirMade;
    await atomicWrite(path, data, true, () => this.dirSync.sync());
  }
}
