// The ACLs: one durable document of the storage backend (storage.documents(): a file under <data-dir>/meta on
// the embedded log, a filer entry shared by every gateway of the namespace on SeaweedMQ). Checks read an
// immutable AclMatcher built from the last read; changes are read-modify-write with compare-and-set, so
// gateways sharing a filer never lose each other's changes, and each gateway re-reads the document every
// POLL_MS to enforce the others' changes (issue 14 promises 5 s).
import type { DocumentStore } from "../../storage/documents.ts";
import type { Logger } from "../../log.ts";
import { type AclBinding, bindingKey, bindingProblem } from "./model.ts";
import { AclMatcher, type MatcherOptions } from "./matcher.ts";

/** The document's name in the DocumentStore. */
export const ACL_DOCUMENT = "acls";

/** How often a gateway re-reads the document for changes made through another gateway (well within 5 s). */
export const ACL_POLL_MS = 1000;

interface DocumentJson {
  version: 1;
  acls: AclBinding[];
}

export function encodeAcls(acls: readonly AclBinding[]): Uint8Array {
  const doc: DocumentJson = { version: 1, acls: [...acls] };
  return new TextEncoder().encode(JSON.stringify(doc));
}

/** Parses the document; throws with a reason on anything unexpected (a corrupt document is not guessed at). */
export function decodeAcls(data: Uint8Array): AclBinding[] {
  const doc = JSON.parse(new TextDecoder().decode(data)) as DocumentJson;
  if (doc === null || typeof doc !== "object" || doc.version !== 1 || !Array.isArray(doc.acls)) {
    throw new Error("not a version 1 ACL document");
  }
  const out: AclBinding[] = [];
  for (const a of doc.acls) {
    const b: AclBinding = {
      resourceType: a.resourceType,
      resourceName: a.resourceName,
      patternType: a.patternType,
      principal: a.principal,
      host: a.host,
      operation: a.operation,
      permission: a.permission,
    };
    const problem = typeof b.resourceName !== "string" || typeof b.principal !== "string" ||
        typeof b.host !== "string"
      ? "malformed entry"
      : bindingProblem(b);
    if (problem !== null) throw new Error(`ACL ${JSON.stringify(a)}: ${problem}`);
    out.push(b);
  }
  return out;
}

export class AclStore {
  private acls: readonly AclBinding[] = [];
  private version: string | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private polling = false;
  private pollError: string | null = null;
  /** What checks use: rebuilt whenever the ACLs read change. */
  matcher: AclMatcher;

  constructor(
    private readonly docs: DocumentStore,
    private readonly options: MatcherOptions,
    private readonly log: Logger,
    /** Re-read interval (0: never; the embedded backend has no other writer). */
    private readonly pollMs: number = ACL_POLL_MS,
  ) {
    this.matcher = new AclMatcher([], options);
  }

  /** Reads the stored ACLs (at start: a corrupt document stops the start, naming it). */
  async load(): Promise<void> {
    try {
      await this.refresh();
    } catch (e) {
      throw new Error(`the ACL document "${ACL_DOCUMENT}" cannot be read: ${(e as Error).message}`);
    }
  }

  start(): void {
    if (this.pollMs <= 0 || this.timer !== null) return;
    this.timer = setInterval(() => void this.poll(), this.pollMs);
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** Every ACL as last read. */
  all(): readonly AclBinding[] {
    return this.acls;
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      await this.refresh();
      if (this.pollError !== null) this.log.info("ACLs readable again");
      this.pollError = null;
    } catch (e) {
      const reason = (e as Error).message;
      if (reason !== this.pollError) {
        this.log.warn("cannot re-read the ACLs: {reason}; enforcing the last ones read", { reason });
      }
      this.pollError = reason;
    } finally {
      this.polling = false;
    }
  }

  private async refresh(): Promise<void> {
    const doc = await this.docs.get(ACL_DOCUMENT);
    if (doc === null) {
      if (this.version !== null || this.acls.length > 0) this.install([], null);
      return;
    }
    if (doc.version === this.version) return;
    this.install(decodeAcls(doc.data), doc.version);
  }

  private install(acls: readonly AclBinding[], version: string | null): void {
    this.acls = acls;
    this.version = version;
    this.matcher = new AclMatcher(acls, this.options);
  }

  /**
   * Applies `mutate` to the stored list with compare-and-set, re-reading and re-applying when another gateway
   * wrote in between; checks see the result at once. Resolves to mutate's result.
   */
  async update<T>(mutate: (acls: AclBinding[]) => T): Promise<T> {
    for (let attempt = 0;; attempt++) {
      const doc = await this.docs.get(ACL_DOCUMENT);
      const current = doc === null ? [] : decodeAcls(doc.data);
      const result = mutate(current);
      // One copy of each binding (CreateAcls of an existing ACL succeeds and changes nothing, as in Kafka).
      const seen = new Set<string>();
      const unique = current.filter((b) => {
        const k = bindingKey(b);
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      });
      if (await this.docs.put(ACL_DOCUMENT, encodeAcls(unique), doc?.version ?? null)) {
        this.install(unique, null);
        await this.refresh().catch(() => {});
        return result;
      }
      if (attempt >= 20) throw new Error("the ACL document keeps changing under concurrent writes");
    }
  }
}
