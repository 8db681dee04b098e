// SASL OAUTHBEARER (RFC 7628) as Kafka's broker validates it (KIP-768's OAuthBearerValidatorCallbackHandler):
// the client's one message carries a JWT; its signature is checked against the JWKS, then exp and iat are
// required, nbf, iss and aud checked when set, with Kafka's 30 s clock skew; the principal is the `sub` claim
// (sasl.oauthbearer.sub.claim.name's default). Unsigned tokens (alg "none", what Kafka's unsecured default
// handler accepts) only with --sasl-oauthbearer-allow-unsigned, for tests.
import { isJwsAlgorithm, type JwksKeys, JWS_ALGORITHMS } from "./jwks.ts";

/** Kafka's sasl.oauthbearer.clock.skew.seconds default. */
export const CLOCK_SKEW_S = 30;

export interface OAuthBearerOptions {
  /** null: no key set (only unsigned tokens, when allowed). */
  readonly keys: JwksKeys | null;
  readonly expectedIssuer: string | null;
  /** Empty: not checked; else the token's aud must name at least one. */
  readonly expectedAudience: readonly string[];
  readonly allowUnsigned: boolean;
  readonly now?: () => number;
}

/** Why a token was refused: for the log (the client is told `{"status":"invalid_token"}`). */
export class TokenError extends Error {
  override name = "TokenError";
}

export interface ValidToken {
  readonly principal: string;
  /** Unix ms the token expires at (bounds the session, KIP-368). */
  readonly expiresAtMs: number;
}

const dec = new TextDecoder("utf-8", { fatal: true });

function b64urlBytes(s: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) throw new TokenError("token part is not base64url");
  const b = atob(s.replaceAll("-", "+").replaceAll("_", "/") + "=".repeat((4 - s.length % 4) % 4));
  const out = new Uint8Array(b.length);
  for (let i = 0; i < b.length; i++) out[i] = b.charCodeAt(i);
  return out;
}

function jsonPart(s: string, what: string): Record<string, unknown> {
  try {
    const v = JSON.parse(dec.decode(b64urlBytes(s)));
    if (v !== null && typeof v === "object" && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch { /* below */ }
  throw new TokenError(`token ${what} is not a JSON object`);
}

/** The client's message: GS2 header, then \x01-separated key=value pairs with auth=Bearer <token>. */
export interface ClientResponse {
  readonly authzid: string;
  readonly token: string;
  readonly extensions: ReadonlyMap<string, string>;
}

export function parseClientResponse(msg: Uint8Array): ClientResponse {
  let s: string;
  try {
    s = dec.decode(msg);
  } catch {
    throw new TokenError("message is not UTF-8");
  }
  // deno-lint-ignore no-control-regex -- RFC 7628 separates the message's parts with \x01
  const m = /^n,(a=[^,\x01]*)?,\x01(.*)\x01\x01$/s.exec(s);
  if (m === null) throw new TokenError("malformed OAUTHBEARER client message");
  let token: string | null = null;
  const extensions = new Map<string, string>();
  for (const kv of m[2].split("\x01")) {
    const eq = kv.indexOf("=");
    if (eq < 1) throw new TokenError("malformed OAUTHBEARER key=value pair");
    const k = kv.slice(0, eq), v = kv.slice(eq + 1);
    if (k === "auth") {
      const b = /^Bearer +([\x20-\x7e]+)$/i.exec(v);
      if (b === null) throw new TokenError("auth is not a Bearer token");
      token = b[1].trim();
    } else extensions.set(k, v);
  }
  if (token === null) throw new TokenError("no auth=Bearer in the message");
  return { authzid: m[1] === undefined ? "" : m[1].slice(2), token, extensions };
}

function numericClaim(claims: Record<string, unknown>, name: string, required: boolean): number | null {
  const v = claims[name];
  if (v === undefined) {
    if (required) throw new TokenError(`token has no ${name} claim`);
    return null;
  }
  if (typeof v !== "number" || !Number.isFinite(v)) throw new TokenError(`token's ${name} is not a number`);
  return v;
}

/** Verifies a compact JWS and its claims; throws TokenError saying why not. */
export async function validateToken(token: string, opts: OAuthBearerOptions): Promise<ValidToken> {
  const parts = token.split(".");
  if (parts.length !== 3) throw new TokenError("token is not a compact JWS (three parts)");
  const header = jsonPart(parts[0], "header");
  const claims = jsonPart(parts[1], "payload");
  const alg = header.alg;
  if (alg === "none") {
    if (!opts.allowUnsigned) throw new TokenError("unsigned token (alg none) refused");
    if (parts[2] !== "") throw new TokenError("unsigned token with a signature");
  } else {
    if (typeof alg !== "string" || !isJwsAlgorithm(alg)) {
      throw new TokenError(`unsupported alg ${String(alg)}`);
    }
    if (opts.keys === null) throw new TokenError("no JWKS configured for signed tokens");
    const kid = typeof header.kid === "string" ? header.kid : undefined;
    const keys = await opts.keys.candidates(kid, alg);
    if (keys.length === 0) {
      throw new TokenError(`no key in the JWKS for kid ${kid ?? "(none)"} and alg ${alg}`);
    }
    const data = new TextEncoder().encode(`${parts[0]}.${parts[1]}`);
    const sig = b64urlBytes(parts[2]);
    let ok = false;
    for (const k of keys) {
      if (await crypto.subtle.verify(JWS_ALGORITHMS[alg].verify, k, new Uint8Array(sig), data)) {
        ok = true;
        break;
      }
    }
    if (!ok) throw new TokenError("signature does not verify");
  }
  const nowS = (opts.now ?? Date.now)() / 1000;
  const exp = numericClaim(claims, "exp", true)!;
  if (nowS > exp + CLOCK_SKEW_S) throw new TokenError("token expired");
  const iat = numericClaim(claims, "iat", alg !== "none")!;
  if (iat !== null && iat > nowS + CLOCK_SKEW_S) throw new TokenError("token issued in the future");
  const nbf = numericClaim(claims, "nbf", false);
  if (nbf !== null && nowS + CLOCK_SKEW_S < nbf) throw new TokenError("token not yet valid (nbf)");
  if (opts.expectedIssuer !== null && claims.iss !== opts.expectedIssuer) {
    throw new TokenError(`issuer ${JSON.stringify(claims.iss ?? null)} is not the expected one`);
  }
  if (opts.expectedAudience.length > 0) {
    const aud = typeof claims.aud === "string" ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud : [];
    if (!aud.some((a) => opts.expectedAudience.includes(a))) {
      throw new TokenError(`audience ${JSON.stringify(claims.aud ?? null)} is not an expected one`);
    }
  }
  const sub = claims.sub;
  if (typeof sub !== "string" || sub.trim() === "") throw new TokenError("token has no sub claim");
  return { principal: sub, expiresAtMs: exp * 1000 };
}
