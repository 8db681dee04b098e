// Test-side SASL: an in-memory DocumentStore, a SCRAM client (RFC 5802, written from the RFC rather than from the
// server's code paths), and signed JWTs with their JWKS for OAUTHBEARER.
import { MemoryDocuments as BaseMemoryDocuments } from "../../src/storage/documents.ts";
import {
  b64,
  hash,
  hmac,
  saltedPassword,
  type ScramMechanism,
  unb64,
} from "../../src/security/sasl/scram.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Flags (after the test helper's own --listen, so they win) that give a gateway one SASL_PLAINTEXT listener. */
export const SASL_LISTENER: readonly string[] = ["--listen", "SASL_PLAINTEXT://127.0.0.1:0"];

/** A DocumentStore in memory; several stores may share one (two gateways on one filer). */
/** The in-memory document store, counting its writes. */
export class MemoryDocuments extends BaseMemoryDocuments {
  puts = 0;

  override async put(name: string, data: Uint8Array, expected: string | null): Promise<string | null> {
    const version = await super.put(name, data, expected);
    if (version !== null) this.puts++;
    return version;
  }
}

/** The client side of one SCRAM exchange. */
export class ScramClient {
  private readonly nonce = b64(crypto.getRandomValues(new Uint8Array(18)));
  private firstBare = "";
  private serverSignature = "";

  constructor(
    readonly mechanism: ScramMechanism,
    private readonly user: string,
    private readonly password: string,
    private readonly authzid = "",
  ) {}

  first(): Uint8Array {
    this.firstBare = `n=${this.user.replaceAll("=", "=3D").replaceAll(",", "=2C")},r=${this.nonce}`;
    const gs2 = this.authzid === "" ? "n,," : `n,a=${this.authzid},`;
    return enc.encode(gs2 + this.firstBare);
  }

  /** The client-final-message for a server-first-message. */
  async final(serverFirst: Uint8Array, opts: { nonce?: string } = {}): Promise<Uint8Array> {
    const sf = dec.decode(serverFirst);
    const attrs = new Map(sf.split(",").map((p) => [p[0], p.slice(2)] as [string, string]));
    const r = attrs.get("r")!;
    if (!r.startsWith(this.nonce)) throw new Error("server nonce does not extend the client's");
    const salt = unb64(attrs.get("s")!);
    const iterations = Number(attrs.get("i"));
    const salted = await saltedPassword(this.mechanism, this.password, salt, iterations);
    const clientKey = await hmac(this.mechanism, salted, enc.encode("Client Key"));
    const storedKey = await hash(this.mechanism, clientKey);
    const gs2 = this.authzid === "" ? "n,," : `n,a=${this.authzid},`;
    const withoutProof = `c=${b64(enc.encode(gs2))},r=${opts.nonce ?? r}`;
    const authMessage = enc.encode(`${this.firstBare},${sf},${withoutProof}`);
    const sig = await hmac(this.mechanism, storedKey, authMessage);
    const proof = clientKey.map((b, i) => b ^ sig[i]);
    const serverKey = await hmac(this.mechanism, salted, enc.encode("Server Key"));
    this.serverSignature = b64(await hmac(this.mechanism, serverKey, authMessage));
    return enc.encode(`${withoutProof},p=${b64(proof)}`);
  }

  /** Whether the server-final-message proves the server knew the credential. */
  verifyServer(serverFinal: Uint8Array): boolean {
    return dec.decode(serverFinal) === `v=${this.serverSignature}`;
  }
}

/** Salt and salted password as a client computes them for AlterUserScramCredentials. */
export async function clientUpsertion(mech: ScramMechanism, password: string, iterations = 4096) {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  return { salt, saltedPassword: await saltedPassword(mech, password, salt, iterations), iterations };
}

export function plainToken(user: string, password: string, authzid = ""): Uint8Array {
  return enc.encode(`${authzid}\0${user}\0${password}`);
}

// ---- JWT ----

function b64url(b: Uint8Array | string): string {
  return b64(typeof b === "string" ? enc.encode(b) : b).replaceAll("+", "-").replaceAll("/", "_").replace(
    /=+$/,
    "",
  );
}

export interface SigningKey {
  readonly alg: "RS256" | "ES256";
  readonly kid: string;
  readonly privateKey: CryptoKey;
  /** The public JWK, as a JWKS lists it. */
  readonly jwk: JsonWebKey & { kid: string; alg: string; use: string };
}

export async function signingKey(alg: "RS256" | "ES256", kid: string): Promise<SigningKey> {
  const pair = alg === "RS256"
    ? await crypto.subtle.generateKey(
      {
        name: "RSASSA-PKCS1-v1_5",
        modulusLength: 2048,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: "SHA-256",
      },
      true,
      ["sign", "verify"],
    )
    : await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]);
  const jwk = await crypto.subtle.exportKey("jwk", pair.publicKey);
  return { alg, kid, privateKey: pair.privateKey, jwk: { ...jwk, kid, alg, use: "sig" } };
}

export function jwks(...keys: SigningKey[]): string {
  return JSON.stringify({ keys: keys.map((k) => k.jwk) });
}

/** A signed JWT with `claims` (exp/iat default to now + 1 h / now). */
export async function signJwt(key: SigningKey, claims: Record<string, unknown>): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const header = b64url(JSON.stringify({ alg: key.alg, kid: key.kid, typ: "JWT" }));
  const payload = b64url(JSON.stringify({ iat: now, exp: now + 3600, ...claims }));
  const data = enc.encode(`${header}.${payload}`);
  const sig = key.alg === "RS256"
    ? await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key.privateKey, data)
    : await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, key.privateKey, data);
  return `${header}.${payload}.${b64url(new Uint8Array(sig))}`;
}

export function unsignedJwt(claims: Record<string, unknown>): string {
  const now = Math.floor(Date.now() / 1000);
  return `${b64url(JSON.stringify({ alg: "none" }))}.${
    b64url(JSON.stringify({ iat: now, exp: now + 3600, ...claims }))
  }.`;
}

export function oauthMessage(token: string, authzid = ""): Uint8Array {
  return enc.encode(`n,${authzid === "" ? "" : `a=${authzid}`},\x01auth=Bearer ${token}\x01\x01`);
}

/**
 * An OIDC-style token endpoint (client credentials grant) issuing tokens signed by `key`, on a free loopback port.
 */
export function tokenEndpoint(key: SigningKey, claims: () => Record<string, unknown>) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const form = new URLSearchParams(await req.text());
    if (form.get("grant_type") !== "client_credentials") return new Response("bad grant", { status: 400 });
    const token = await signJwt(key, claims());
    return Response.json({ access_token: token, token_type: "bearer", expires_in: 3600 });
  });
  return { url: `http://127.0.0.1:${server.addr.port}/token`, close: () => server.shutdown() };
}
