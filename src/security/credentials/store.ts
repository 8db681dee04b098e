// The SCRAM credential store: every user's salted credentials (salt, iterations, StoredKey, ServerKey per
// mechanism; never a password) in one durable document of the storage backend (storage.documents()). Lookups
// read a copy in memory, so authentication costs no I/O; changes are read-modify-write with compare-and-set, so
// gateways sharing a SeaweedMQ filer never lose each other's changes, and each gateway polls the document every
// POLL_MS to see the others' changes (issue 14 promises 5 s).
import { type DocumentCodec, FollowedStore } from "../../storage/watched_document.ts";
import type { DocumentStore } from "../../storage/documents.ts";
import type { Logger } from "../../log.ts";
import {
  b64,
  MIN_ITERATIONS,
  newCredential,
  SCRAM_MECHANISMS,
  type ScramCredential,
  type ScramMechanism,
  unb64,
  verifyPassword,
} from "../sasl/scram.ts";

/** The document's name in the DocumentStore. */
export const CREDENTIALS_DOCUMENT = "scram-credentials";

/** How often a gateway re-reads the document for changes made through another gateway (well within 5 s). */
export const POLL_MS = 1000;

/** Where a credential came from: --sasl-users (replaced when the file's password changes) or the admin API. */
export type CredentialOrigin = "users-file" | "api";

export interface StoredCredential extends ScramCredential {
  readonly origin: CredentialOrigin;
}

/** One user's credentials by mechanism. */
export type UserCredentials = ReadonlyMap<ScramMechanism, StoredCredential>;

/** All users: what the document holds. */
export type Credentials = ReadonlyMap<string, UserCredentials>;

// ---- document format (JSON, version 1) ----

interface CredentialJson {
  salt: string;
  iterations: number;
  storedKey: string;
  serverKey: string;
  origin: CredentialOrigin;
}
interface DocumentJson {
  version: 1;
  users: Record<string, Partial<Record<ScramMechanism, CredentialJson>>>;
}

export function encodeCredentials(creds: Credentials): Uint8Array {
  const users: DocumentJson["users"] = {};
  for (const [user, byMech] of [...creds].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)) {
    const entry: Partial<Record<ScramMechanism, CredentialJson>> = {};
    for (const m of SCRAM_MECHANISMS) {
      const c = byMech.get(m);
      if (c === undefined) continue;
      entry[m] = {
        salt: b64(c.salt),
        iterations: c.iterations,
        storedKey: b64(c.storedKey),
        serverKey: b64(c.serverKey),
        origin: c.origin,
      };
    }
    users[user] = entry;
  }
  const doc: DocumentJson = { version: 1, users };
  return new TextEncoder().encode(JSON.stringify(doc));
}

/** Parses the document; throws with a reason on anything unexpected (a corrupt document is not guessed at). */
export function decodeCredentials(data: Uint8Array): Map<string, Map<ScramMechanism, StoredCredential>> {
  const doc = JSON.parse(new TextDecoder().decode(data)) as DocumentJson;
  if (doc === null || typeof doc !== "object" || doc.version !== 1 || typeof doc.users !== "object") {
    throw new Error("not a version 1 credentials document");
  }
  const out = new Map<string, Map<ScramMechanism, StoredCredential>>();
  for (const [user, entry] of Object.entries(doc.users)) {
    const byMech = new Map<ScramMechanism, StoredCredential>();
    for (const m of SCRAM_MECHANISMS) {
      const c = entry?.[m];
      if (c === undefined) continue;
      if (!Number.isInteger(c.iterations) || typeof c.salt !== "string") {
        throw new Error(`user ${JSON.stringify(user)}: malformed ${m} credential`);
      }
      byMech.set(m, {
        salt: unb64(c.salt),
        iterations: c.iterations,
        storedKey: unb64(c.storedKey),
        serverKey: unb64(c.serverKey),
        origin: c.origin === "users-file" ? "users-file" : "api",
      });
    }
    if (byMech.size > 0) out.set(user, byMech);
  }
  return out;
}

/** A credential no password matches, so that checking an unknown user's password costs the usual time. */
let dummy: Promise<ScramCredential> | null = null;
function dummyCredential(): Promise<ScramCredential> {
  dummy ??= newCredential("SCRAM-SHA-256", crypto.randomUUID(), MIN_ITERATIONS);
  return dummy;
}

/** A change to the whole set, applied to a fresh copy; returns what the caller wants back. */
export type Mutation<T> = (users: Map<string, Map<ScramMechanism, StoredCredential>>) => T;

const CODEC: DocumentCodec<Credentials> = {
  empty: () => new Map(),
  decode: decodeCredentials,
  encode: encodeCredentials,
};

export class CredentialStore extends FollowedStore<Credentials> {
  constructor(
    docs: DocumentStore,
    log: Logger,
    /** Re-read interval (0: never; the embedded backend has no other writer). */
    pollMs: number = POLL_MS,
  ) {
    super(docs, CREDENTIALS_DOCUMENT, CODEC, { what: "SCRAM credentials", log, pollMs });
  }

  /** The user's credential for `mech` as last read, or null. */
  get(user: string, mech: ScramMechanism): StoredCredential | null {
    return this.doc.value.get(user)?.get(mech) ?? null;
  }

  /**
   * Checks a password against the user's strongest stored credential (SCRAM-SHA-512's, else SCRAM-SHA-256's) in
   * constant time: SASL PLAIN, and HTTP Basic on the ops port. An unknown user costs as much as a known one.
   */
  async checkPassword(user: string, password: string): Promise<"ok" | "unknown-user" | "wrong-password"> {
    const mech: ScramMechanism = this.get(user, "SCRAM-SHA-512") !== null ? "SCRAM-SHA-512" : "SCRAM-SHA-256";
    const cred = this.get(user, mech);
    const ok = await verifyPassword(mech, cred ?? await dummyCredential(), password);
    if (cred === null) return "unknown-user";
    return ok ? "ok" : "wrong-password";
  }

  /** Every user with at least one credential, as last read. */
  all(): Credentials {
    return this.doc.value;
  }

  /**
   * Applies `mutate` to the stored set with compare-and-set, re-reading and re-applying when another gateway
   * wrote in between; the set read last is what lookups see afterwards. Resolves to mutate's result.
   */
  update<T>(mutate: Mutation<T>): Promise<T> {
    return this.doc.update((current) => {
      const users = current as Map<string, Map<ScramMechanism, StoredCredential>>;
      return { next: users, result: mutate(users) };
    });
  }

  /**
   * Seeds SCRAM-SHA-256 and -512 credentials from --sasl-users (user -> password). A user's credential that came
   * from the file is replaced when the file's password no longer matches it; one altered through
   * AlterUserScramCredentials since is kept (the admin's change wins over the file). Users absent from the file
   * keep their credentials. Returns how many credentials were written.
   */
  async seed(passwords: ReadonlyMap<string, string>, iterations: number): Promise<number> {
    // Derive outside the compare-and-set loop: PBKDF2 takes milliseconds per credential.
    const wanted = new Map<string, Map<ScramMechanism, StoredCredential>>();
    await this.doc.refresh();
    for (const [user, password] of passwords) {
      for (const m of SCRAM_MECHANISMS) {
        const have = this.get(user, m);
        if (have !== null && (have.origin === "api" || await verifyPassword(m, have, password))) continue;
        const cred = { ...await newCredential(m, password, iterations), origin: "users-file" as const };
        if (!wanted.has(user)) wanted.set(user, new Map());
        wanted.get(user)!.set(m, cred);
      }
    }
    if (wanted.size === 0) return 0;
    return await this.update((users) => {
      let n = 0;
      for (const [user, byMech] of wanted) {
        const cur = users.get(user) ?? new Map<ScramMechanism, StoredCredential>();
        for (const [m, cred] of byMech) {
          // Altered through the admin API by another gateway meanwhile: that change wins.
          if (cur.get(m)?.origin === "api") continue;
          cur.set(m, cred);
          n++;
        }
        users.set(user, cur);
      }
      return n;
    });
  }
}

/** Parses --sasl-users' JSON object (user -> password); throws with a reason naming the file. */
export function parseUsersFile(text: string, path: string): Map<string, string> {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new Error(`--sasl-users ${path}: ${(e as Error).message}`);
  }
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
    throw new Error(`--sasl-users ${path}: expected a JSON object of user name to password`);
  }
  const out = new Map<string, string>();
  for (const [user, password] of Object.entries(obj)) {
    if (user === "") throw new Error(`--sasl-users ${path}: empty user name`);
    if (typeof password !== "string" || password === "") {
      throw new Error(
        `--sasl-users ${path}: user ${JSON.stringify(user)}: expected a non-empty password string`,
      );
    }
    out.set(user, password);
  }
  return out;
}
