// The gateway's certificate, key and CA (--tls-cert, --tls-key, --tls-ca), read at start and re-read when a file
// changes (its mtime or size moves, checked every RELOAD_POLL_MS): listeners then give new connections the new
// certificate; connections already open keep theirs. A change that does not make a valid certificate/key pair is
// logged and ignored (the previous material stays in use). Files are read under the start task's scoped read
// permission: one outside it stops the start with a message naming the path and the flag (readNamedFile).
import tls from "node:tls";
import type { Logger } from "../../log.ts";
import { readNamedFile } from "../sasl/setup.ts";

/** How often the files' mtime and size are checked. */
export const RELOAD_POLL_MS = 2000;

/** PEM text of the server's certificate chain and key, and of the CA that verifies client certificates. */
export interface TlsPem {
  readonly cert: string;
  readonly key: string;
  /** "" when no --tls-ca. */
  readonly ca: string;
}

export interface TlsFiles {
  readonly cert: string;
  readonly key: string;
  /** "" for none. */
  readonly ca: string;
}

interface Stamp {
  readonly mtime: number;
  readonly size: number;
}

async function stamp(path: string): Promise<Stamp | null> {
  try {
    const s = await Deno.stat(path);
    return { mtime: s.mtime?.getTime() ?? 0, size: s.size };
  } catch {
    return null;
  }
}

/** Checks that the PEM makes a usable server context (key matches certificate, CA parses); throws why not. */
export function validatePem(pem: TlsPem): void {
  tls.createSecureContext({
    cert: pem.cert,
    key: pem.key,
    ...(pem.ca !== "" ? { ca: pem.ca } : {}),
  });
}

export class TlsMaterial {
  private timer: ReturnType<typeof setInterval> | undefined;
  private stamps = new Map<string, Stamp | null>();
  private readonly listeners = new Set<(pem: TlsPem) => void>();
  private checking = false;
  /** Reloads that took effect (tests, logs). */
  reloads = 0;

  private constructor(readonly files: TlsFiles, public pem: TlsPem, private readonly log: Logger) {}

  /** Reads and checks the files (throws a start-stopping Error naming the file and flag). */
  static async load(files: TlsFiles, log: Logger): Promise<TlsMaterial> {
    const pem = await readAll(files);
    try {
      validatePem(pem);
    } catch (e) {
      throw new Error(
        `--tls-cert ${files.cert} / --tls-key ${files.key}${files.ca ? ` / --tls-ca ${files.ca}` : ""}: ${
          (e as Error).message
        }`,
      );
    }
    const m = new TlsMaterial(files, pem, log);
    for (const p of m.paths()) m.stamps.set(p, await stamp(p));
    return m;
  }

  private paths(): string[] {
    return [this.files.cert, this.files.key, ...(this.files.ca !== "" ? [this.files.ca] : [])];
  }

  /** Called with the new PEM after every reload. */
  onChange(fn: (pem: TlsPem) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Starts watching the files. */
  watch(everyMs = RELOAD_POLL_MS): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => void this.check(), everyMs);
    Deno.unrefTimer(this.timer);
  }

  /** Re-reads the files if one changed; resolves true when new material took effect. */
  async check(): Promise<boolean> {
    if (this.checking) return false;
    this.checking = true;
    try {
      let changed = false;
      for (const p of this.paths()) {
        const now = await stamp(p);
        const was = this.stamps.get(p);
        if (now?.mtime !== was?.mtime || now?.size !== was?.size) changed = true;
        this.stamps.set(p, now);
      }
      if (!changed) return false;
      let pem: TlsPem;
      try {
        pem = await readAll(this.files);
        validatePem(pem);
      } catch (e) {
        // A half-written pair (cert replaced, key not yet) ends up here too: the next change is tried again.
        this.log.warn("TLS files changed but cannot be used, keeping the previous certificate: {reason}", {
          reason: (e as Error).message,
        });
        return false;
      }
      if (pem.cert === this.pem.cert && pem.key === this.pem.key && pem.ca === this.pem.ca) return false;
      this.pem = pem;
      this.reloads++;
      this.log.info("TLS certificate reloaded from {cert}: new connections use it", {
        cert: this.files.cert,
      });
      for (const fn of this.listeners) {
        try {
          fn(pem);
        } catch (e) {
          this.log.error("applying the reloaded TLS certificate failed: {reason}", {
            reason: (e as Error).message,
          });
        }
      }
      return true;
    } finally {
      this.checking = false;
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

async function readAll(files: TlsFiles): Promise<TlsPem> {
  return {
    cert: await readNamedFile(files.cert, "--tls-cert"),
    key: await readNamedFile(files.key, "--tls-key"),
    ca: files.ca !== "" ? await readNamedFile(files.ca, "--tls-ca") : "",
  };
}
