// The JSON Web Key Set that OAUTHBEARER tokens are verified against (--sasl-oauthbearer-jwks: a file, or an
// http(s) URL as Kafka's sasl.oauthbearer.jwks.endpoint.url). Keys are imported once into WebCrypto; the set is
// re-read every REFRESH_MS, and at most every MISS_REFRESH_MS when a token names a key id it does not hold
// (a key rotated in at the identity provider is picked up without a restart).

/** Kafka's sasl.oauthbearer.jwks.endpoint.refresh.ms default. */
export const REFRESH_MS = 3_600_000;
/** Kafka's sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms order of magnitude: do not hammer the source. */
export const MISS_REFRESH_MS = 10_000;

/** JWS algorithms accepted, with their WebCrypto parameters (RFC 7518 section 3). */
export const JWS_ALGORITHMS = {
  RS256: {
    kty: "RSA",
    import: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
    verify: { name: "RSASSA-PKCS1-v1_5" },
  },
  RS384: {
    kty: "RSA",
    import: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-384" },
    verify: { name: "RSASSA-PKCS1-v1_5" },
  },
  RS512: {
    kty: "RSA",
    import: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-512" },
    verify: { name: "RSASSA-PKCS1-v1_5" },
  },
  PS256: {
    kty: "RSA",
    import: { name: "RSA-PSS", hash: "SHA-256" },
    verify: { name: "RSA-PSS", saltLength: 32 },
  },
  PS384: {
    kty: "RSA",
    import: { name: "RSA-PSS", hash: "SHA-384" },
    verify: { name: "RSA-PSS", saltLength: 48 },
  },
  PS512: {
    kty: "RSA",
    import: { name: "RSA-PSS", hash: "SHA-512" },
    verify: { name: "RSA-PSS", saltLength: 64 },
  },
  ES256: {
    kty: "EC",
    import: { name: "ECDSA", namedCurve: "P-256" },
    verify: { name: "ECDSA", hash: "SHA-256" },
  },
  ES384: {
    kty: "EC",
    import: { name: "ECDSA", namedCurve: "P-384" },
    verify: { name: "ECDSA", hash: "SHA-384" },
  },
} as const;

export type JwsAlgorithm = keyof typeof JWS_ALGORITHMS;

export function isJwsAlgorithm(s: string): s is JwsAlgorithm {
  return Object.hasOwn(JWS_ALGORITHMS, s);
}

interface Jwk {
  readonly kty?: string;
  readonly kid?: string;
  readonly alg?: string;
  readonly use?: string;
  readonly crv?: string;
  readonly [k: string]: unknown;
}

/** Where the key set comes from. */
export type JwksFetch = () => Promise<string>;

export function jwksSource(location: string): JwksFetch {
  if (/^https?:\/\//i.test(location)) {
    return async () => {
      const res = await fetch(location, { signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`GET ${location}: HTTP ${res.status}`);
      return await res.text();
    };
  }
  const path = location.startsWith("file://") ? new URL(location).pathname : location;
  return () => Deno.readTextFile(path);
}

export class JwksKeys {
  private keys: readonly Jwk[] = [];
  /** Imported keys by "kid\0alg". */
  private readonly imported = new Map<string, CryptoKey | null>();
  private fetchedAt = -Infinity;
  private loading: Promise<void> | null = null;

  constructor(private readonly fetchText: JwksFetch, private readonly now: () => number = Date.now) {}

  /** Reads the set (at start: a missing or malformed set stops the start). */
  async load(): Promise<void> {
    const text = await this.fetchText();
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new Error(`JWKS is not JSON: ${(e as Error).message}`);
    }
    const keys = (doc as { keys?: unknown })?.keys;
    if (!Array.isArray(keys)) throw new Error('JWKS has no "keys" array');
    this.keys = keys.filter((k): k is Jwk => k !== null && typeof k === "object");
    this.imported.clear();
    this.fetchedAt = this.now();
  }

  private reload(minAgeMs: number): Promise<void> {
    if (this.now() - this.fetchedAt < minAgeMs) return Promise.resolve();
    if (this.loading === null) {
      this.loading = this.load().catch(() => {/* keep the keys held; the token fails if none fits */})
        .finally(() => this.loading = null);
    }
    return this.loading;
  }

  /** The keys that may have signed a token with this header (kid, alg), refreshing the set when due. */
  async candidates(kid: string | undefined, alg: JwsAlgorithm): Promise<CryptoKey[]> {
    await this.reload(REFRESH_MS);
    let found = await this.match(kid, alg);
    if (found.length === 0) {
      await this.reload(MISS_REFRESH_MS);
      found = await this.match(kid, alg);
    }
    return found;
  }

  private async match(kid: string | undefined, alg: JwsAlgorithm): Promise<CryptoKey[]> {
    const spec = JWS_ALGORITHMS[alg];
    const out: CryptoKey[] = [];
    for (const jwk of this.keys) {
      if (kid !== undefined && jwk.kid !== kid) continue;
      if (jwk.kty !== spec.kty || (jwk.alg !== undefined && jwk.alg !== alg)) continue;
      if (jwk.use !== undefined && jwk.use !== "sig") continue;
      if (spec.kty === "EC" && jwk.crv !== spec.import.namedCurve) continue;
      const cacheKey = `${jwk.kid ?? ""}\0${alg}\0${this.keys.indexOf(jwk)}`;
      let key = this.imported.get(cacheKey);
      if (key === undefined) {
        const { alg: _a, use: _u, key_ops: _k, ext: _e, ...material } = jwk;
        try {
          key = await crypto.subtle.importKey("jwk", material as JsonWebKey, spec.import, false, ["verify"]);
        } catch {
          key = null; // not a usable public key of this kind
        }
        this.imported.set(cacheKey, key);
      }
      if (key !== null) out.push(key);
    }
    return out;
  }
}
