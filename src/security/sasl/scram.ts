// SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677) as Kafka speaks them: the server keeps only the salted
// credential (salt, iterations, StoredKey, ServerKey), never the password. PBKDF2, HMAC and SHA are WebCrypto's.
// Kafka's SCRAM differs from the RFC in two ways kept here: no SASLprep of the password (its UTF-8 bytes are used
// as they are), and no channel binding ("n" or "y" GS2 flags only).

export type ScramMechanism = "SCRAM-SHA-256" | "SCRAM-SHA-512";

interface ScramAlgo {
  readonly mechanism: ScramMechanism;
  /** Kafka's ScramMechanism id in DescribeUserScramCredentials/AlterUserScramCredentials. */
  readonly id: number;
  readonly hash: "SHA-256" | "SHA-512";
  /** Digest length in bytes: the length of a salted password, StoredKey and ServerKey. */
  readonly bytes: number;
}

/** One row per mechanism: its Kafka id, hash and key length. */
export const SCRAM: Readonly<Record<ScramMechanism, ScramAlgo>> = {
  "SCRAM-SHA-256": { mechanism: "SCRAM-SHA-256", id: 1, hash: "SHA-256", bytes: 32 },
  "SCRAM-SHA-512": { mechanism: "SCRAM-SHA-512", id: 2, hash: "SHA-512", bytes: 64 },
};

export const SCRAM_MECHANISMS: readonly ScramMechanism[] = ["SCRAM-SHA-256", "SCRAM-SHA-512"];

/** Kafka's bounds on iterations (ScramMechanism.minIterations; AlterUserScramCredentials' upper limit). */
export const MIN_ITERATIONS = 4096;
export const MAX_ITERATIONS = 16384;

export function isScramMechanism(s: string): s is ScramMechanism {
  return s === "SCRAM-SHA-256" || s === "SCRAM-SHA-512";
}

/** The mechanism with Kafka's id `id` (1, 2), or undefined. */
export function scramMechanismById(id: number): ScramMechanism | undefined {
  return SCRAM_MECHANISMS.find((m) => SCRAM[m].id === id);
}

/** What the server stores for one user and mechanism (RFC 5802 section 3). */
export interface ScramCredential {
  readonly salt: Uint8Array;
  readonly iterations: number;
  readonly storedKey: Uint8Array;
  readonly serverKey: Uint8Array;
}

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });

function buf(b: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(b);
}

export async function hmac(mech: ScramMechanism, key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey("raw", buf(key), { name: "HMAC", hash: SCRAM[mech].hash }, false, [
    "sign",
  ]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, buf(data)));
}

export async function hash(mech: ScramMechanism, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest(SCRAM[mech].hash, buf(data)));
}

/** Hi(password, salt, i): PBKDF2 with HMAC of the mechanism's hash, one block. */
export async function saltedPassword(
  mech: ScramMechanism,
  password: string,
  salt: Uint8Array,
  iterations: number,
): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey("raw", enc.encode(password), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", salt: buf(salt), iterations, hash: SCRAM[mech].hash },
    k,
    SCRAM[mech].bytes * 8,
  );
  return new Uint8Array(bits);
}

/** The stored credential of a salted password (what AlterUserScramCredentials upsertions carry). */
export async function credentialFromSalted(
  mech: ScramMechanism,
  salted: Uint8Array,
  salt: Uint8Array,
  iterations: number,
): Promise<ScramCredential> {
  const clientKey = await hmac(mech, salted, enc.encode("Client Key"));
  return {
    salt: new Uint8Array(salt),
    iterations,
    storedKey: await hash(mech, clientKey),
    serverKey: await hmac(mech, salted, enc.encode("Server Key")),
  };
}

/** A new credential for `password` with a random 32-byte salt (--sasl-users). */
export async function newCredential(
  mech: ScramMechanism,
  password: string,
  iterations: number,
): Promise<ScramCredential> {
  const salt = crypto.getRandomValues(new Uint8Array(32));
  return credentialFromSalted(mech, await saltedPassword(mech, password, salt, iterations), salt, iterations);
}

/** Whether `password` is the one `cred` was made from (PLAIN against the SCRAM store). Constant time. */
export async function verifyPassword(
  mech: ScramMechanism,
  cred: ScramCredential,
  password: string,
): Promise<boolean> {
  const salted = await saltedPassword(mech, password, cred.salt, cred.iterations);
  const storedKey = await hash(mech, await hmac(mech, salted, enc.encode("Client Key")));
  return constantTimeEqual(storedKey, cred.storedKey);
}

/** Compares without an early exit, so the time taken says nothing of where the inputs differ. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i % (b.length || 1)];
  return diff === 0;
}

export function b64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

/** Strict base64 decode; throws on anything else. */
export function unb64(s: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) throw new Error("invalid base64");
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

// ------------------------------------------------------------------------------------------- the exchange

/** Why a SCRAM exchange failed: for the log only (the client is told less). */
export class ScramError extends Error {
  override name = "ScramError";
}

/** A SCRAM message "k=v,k=v": attribute names (one letter; Kafka's extensions are longer) to values, in order. */
function attributes(msg: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of msg.split(",")) {
    const eq = part.indexOf("=");
    if (eq < 1) throw new ScramError("malformed attribute");
    const key = part.slice(0, eq);
    if (out.has(key)) throw new ScramError(`attribute ${key} given twice`);
    out.set(key, part.slice(eq + 1));
  }
  return out;
}

/** A saslname ("=2C" for ",", "=3D" for "="; RFC 5802 section 5.1) as the user name it encodes. */
export function decodeSaslName(s: string): string {
  if (/=(?!2C|3D)/.test(s)) throw new ScramError("invalid saslname escape");
  return s.replaceAll("=2C", ",").replaceAll("=3D", "=");
}

export function encodeSaslName(s: string): string {
  return s.replaceAll("=", "=3D").replaceAll(",", "=2C");
}

/** The client-first-message's parts (RFC 5802 section 7). */
export interface ClientFirst {
  /** "n,," or "n,a=authzid," as sent: the client-final c= attribute must carry it. */
  readonly gs2Header: string;
  readonly authzid: string;
  readonly user: string;
  readonly nonce: string;
  /** Kafka's SCRAM extensions (KIP-84: tokenauth=true for delegation tokens). */
  readonly extensions: ReadonlyMap<string, string>;
  /** client-first-message-bare, part of AuthMessage. */
  readonly bare: string;
}

export function parseClientFirst(token: Uint8Array): ClientFirst {
  let msg: string;
  try {
    msg = dec.decode(token);
  } catch {
    throw new ScramError("client-first-message is not UTF-8");
  }
  const m = /^([ny]),(a=[^,]*)?,(.*)$/s.exec(msg);
  if (m === null) {
    throw new ScramError("client-first-message: invalid GS2 header (channel binding not supported)");
  }
  const gs2Header = `${m[1]},${m[2] ?? ""},`;
  const bare = m[3];
  const attrs = attributes(bare);
  const [first, second] = [...attrs.keys()];
  if (first !== "n" || second !== "r") throw new ScramError("client-first-message: expected n= then r=");
  const nonce = attrs.get("r")!;
  if (nonce === "" || /[^\x21-\x2b\x2d-\x7e]/.test(nonce)) {
    throw new ScramError("client-first-message: bad nonce");
  }
  const extensions = new Map<string, string>();
  for (const [k, v] of attrs) if (k !== "n" && k !== "r") extensions.set(k, v);
  return {
    gs2Header,
    authzid: m[2] === undefined ? "" : decodeSaslName(m[2].slice(2)),
    user: decodeSaslName(attrs.get("n")!),
    nonce,
    extensions,
    bare,
  };
}

/** Where one server-side SCRAM exchange stands. */
export type ScramStep =
  | { readonly kind: "challenge"; readonly bytes: Uint8Array }
  | { readonly kind: "complete"; readonly bytes: Uint8Array; readonly user: string };

/** Looks a user's credential up (null: unknown user). */
export type CredentialLookup = (user: string, mech: ScramMechanism) => ScramCredential | null;

/**
 * One server-side SCRAM exchange: client-first -> server-first, client-final -> server-final. Every failure
 * throws ScramError. An unknown user is answered with a made-up salt and fails only at the proof (RFC 5802
 * section 9: the exchange does not tell which users exist).
 */
export class ScramServer {
  private first: ClientFirst | null = null;
  private serverFirst = "";
  private nonce = "";
  private cred: ScramCredential | null = null;
  private done = false;

  constructor(
    readonly mechanism: ScramMechanism,
    private readonly lookup: CredentialLookup,
    /** Salt and iteration count shown for an unknown user (stable per user, so probing learns nothing). */
    private readonly fakeSalt: (user: string) => Promise<Uint8Array>,
    private readonly fakeIterations = MIN_ITERATIONS,
  ) {}

  /** The user named in client-first (for the log), once known. */
  get user(): string | null {
    return this.first?.user ?? null;
  }

  async evaluate(token: Uint8Array): Promise<ScramStep> {
    if (this.done) throw new ScramError("exchange already complete");
    return this.first === null ? await this.onClientFirst(token) : await this.onClientFinal(token);
  }

  private async onClientFirst(token: Uint8Array): Promise<ScramStep> {
    const first = parseClientFirst(token);
    this.first = first;
    if (first.authzid !== "" && first.authzid !== first.user) {
      throw new ScramError("requested an authorization id different from the user name");
    }
    if (first.extensions.get("tokenauth") === "true") {
      throw new ScramError("delegation tokens (tokenauth) are not supported");
    }
    this.cred = this.lookup(first.user, this.mechanism);
    const salt = this.cred?.salt ?? await this.fakeSalt(first.user);
    const iterations = this.cred?.iterations ?? this.fakeIterations;
    const server = b64(crypto.getRandomValues(new Uint8Array(18)));
    this.nonce = first.nonce + server;
    this.serverFirst = `r=${this.nonce},s=${b64(salt)},i=${iterations}`;
    return { kind: "challenge", bytes: enc.encode(this.serverFirst) };
  }

  private async onClientFinal(token: Uint8Array): Promise<ScramStep> {
    const first = this.first!;
    this.done = true;
    let msg: string;
    try {
      msg = dec.decode(token);
    } catch {
      throw new ScramError("client-final-message is not UTF-8");
    }
    const p = msg.lastIndexOf(",p=");
    if (p < 0) throw new ScramError("client-final-message without proof");
    const withoutProof = msg.slice(0, p);
    const attrs = attributes(withoutProof);
    const [c, r] = [...attrs.keys()];
    if (c !== "c" || r !== "r") throw new ScramError("client-final-message: expected c= then r=");
    let binding: Uint8Array;
    let proof: Uint8Array;
    try {
      binding = unb64(attrs.get("c")!);
      proof = unb64(msg.slice(p + 3));
    } catch {
      throw new ScramError("client-final-message: invalid base64");
    }
    if (dec.decode(binding) !== first.gs2Header) throw new ScramError("channel binding does not match");
    // Kafka accepts a final nonce that ends with the server's (librdkafka up to 2.x sends its own nonce before
    // it); the proof covers server-first, so the server's nonce still binds the exchange.
    if (!attrs.get("r")!.endsWith(this.nonce)) throw new ScramError("nonce does not match");
    const cred = this.cred;
    if (cred === null) throw new ScramError("unknown user");
    if (proof.length !== SCRAM[this.mechanism].bytes) throw new ScramError("proof of the wrong length");
    const authMessage = enc.encode(`${first.bare},${this.serverFirst},${withoutProof}`);
    const clientSignature = await hmac(this.mechanism, cred.storedKey, authMessage);
    const clientKey = new Uint8Array(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i] ^ clientSignature[i];
    if (!constantTimeEqual(await hash(this.mechanism, clientKey), cred.storedKey)) {
      throw new ScramError("invalid proof (wrong password)");
    }
    const serverSignature = await hmac(this.mechanism, cred.serverKey, authMessage);
    return { kind: "complete", bytes: enc.encode(`v=${b64(serverSignature)}`), user: first.user };
  }
}
