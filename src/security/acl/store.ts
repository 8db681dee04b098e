// The ACLs: one durable document of the storage backend (storage.documents(): a file under <data-dir>/meta on
// the embedded log, a filer entry shared by every gateway of the namespace on SeaweedMQ). Checks read an
// immutable AclMatcher built from the last read; changes are read-modify-write with compare-and-set, so
// gateways sharing a filer never lose each other's changes, and each gateway re-reads the document every
// POLL_MS to enforce the others' changes (issue 14 promises 5 s).
import type { DocumentStore } from "../../storage/documents.ts";
import { type DocumentCodec, FollowedStore } from "../../storage/watched_document.ts";
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

const CODEC: DocumentCodec<readonly AclBinding[]> = {
  empty: () => [],
  decode: decodeAcls,
  encode: encodeAcls,
};

export class AclStore extends FollowedStore<readonly AclBinding[]> {
  /** What checks use: rebuilt whenever the ACLs read change. */
  matcher: AclMatcher;

  constructor(
    docs: DocumentStore,
    private readonly options: MatcherOptions,
    log: Logger,
    /** Re-read interval (0: never; the embedded backend has no other writer). */
    pollMs: number = ACL_POLL_MS,
  ) {
    super(docs, ACL_DOCUMENT, CODEC, { what: "ACLs", log, pollMs });
    this.matcher = new AclMatcher([], options);
  }

  protected override changed(acls: readonly AclBinding[]): void {
    this.matcher = new AclMatcher(acls, this.options);
  }

  /** Every ACL as last read. */
  all(): readonly AclBinding[] {
    return this.doc.value;
  }

  /**
   * Applies `mutate` to the stored list with compare-and-set, re-reading and re-applying when another gateway
   * wrote in between; checks see the result at once. Resolves to mutate's result.
   */
  update<T>(mutate: (acls: AclBinding[]) => T): Promise<T> {
    return this.doc.update((stored) => {
      const current = [...stored];
      const result = mutate(current);
      // One copy of each binding (CreateAcls of an existing ACL succeeds and changes nothing, as in Kafka).
      const seen = new Set<string>();
      const next = current.filter((b) => {
        const k = bindingKey(b);
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      });
      return { next, result };
    });
  }
}
