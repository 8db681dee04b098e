// Authentication of the operations HTTP port (--http-auth): when security is configured, the admin API (/api/v1/*)
// and the dashboard ask who is calling — HTTP Basic checked against the SCRAM credential store (the same users as
// SASL), or a bearer token (--http-auth-token, an operator's key) — and, with --authorizer acl, the user needs
// DESCRIBE on the Cluster (the token holder is an operator: no ACL applies). /metrics, /healthz and /readyz stay
// open for scrapers and probes unless --http-auth all. A failed attempt waits --failed-authentication-delay-ms and
// is logged without the secret, as Kafka treats a failed SASL authentication.

/** Which paths require authentication: none, everything but /metrics /healthz /readyz, or everything. */
export type HttpAuthMode = "none" | "api" | "all";

/** Paths that stay open in mode "api" (scrapers, load-balancer probes). */
const OPEN_IN_API_MODE: ReadonlySet<string> = new Set(["/metrics", "/healthz", "/readyz"]);

export const REALM = "kafka-gateway";

export interface HttpAuthOptions {
  readonly mode: HttpAuthMode;
  /** --http-auth-token: a bearer token that is accepted as an operator; null when none. */
  readonly token: string | null;
  /** Checks a user's password against the SCRAM credentials; null when there is no credential store. */
  readonly checkPassword:
    | ((user: string, password: string) => Promise<"ok" | "unknown-user" | "wrong-password">)
    | null;
  /** With an ACL authorizer: whether `principal` at `host` may DESCRIBE the Cluster; null = any authenticated user. */
  readonly mayDescribeCluster: ((principal: string, host: string) => boolean) | null;
  readonly failedDelayMs: number;
  /** Called for each refusal (logging, metrics): never with the secret. */
  readonly onFailure?: (why: HttpAuthFailure, principal: string | null, remote: string) => void;
}

/** Why a request was refused (a missing Authorization header is a challenge, not a failure). */
export type HttpAuthFailure =
  | "wrong-password"
  | "unknown-user"
  | "bearer token refused"
  | "malformed Authorization header"
  | "no credential store"
  | "no DESCRIBE on the Cluster";

/** The `reason` label of kgw_http_authentication_failures_total for each refusal. */
export const HTTP_AUTH_FAILURE_LABEL: Readonly<Record<HttpAuthFailure, string>> = {
  "wrong-password": "wrong_password",
  "unknown-user": "unknown_user",
  "bearer token refused": "bad_token",
  "malformed Authorization header": "malformed",
  "no credential store": "no_credential_store",
  "no DESCRIBE on the Cluster": "not_authorized",
};

function timingSafeEqual(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

function challenge(status: 401 | 403, error: string): Response {
  return new Response(JSON.stringify({ error }) + "\n", {
    status,
    headers: {
      "content-type": "application/json; charset=utf-8",
      "cache-control": "no-store",
      ...(status === 401 ? { "www-authenticate": `Basic realm="${REALM}", charset="UTF-8"` } : {}),
    },
  });
}

/** The user and password of an HTTP Basic header, or null when malformed. */
export function parseBasic(value: string): { user: string; password: string } | null {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(value);
  if (m === null) return null;
  let decoded: string;
  try {
    decoded = new TextDecoder("utf-8", { fatal: true }).decode(
      Uint8Array.from(atob(m[1]), (c) => c.charCodeAt(0)),
    );
  } catch {
    return null;
  }
  const colon = decoded.indexOf(":");
  return colon <= 0 ? null : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

const OPEN = Object.freeze({ principal: null });

export class HttpAuth {
  constructor(private readonly opts: HttpAuthOptions) {}

  get mode(): HttpAuthMode {
    return this.opts.mode;
  }

  /** Whether `path` needs authentication in this mode. */
  protects(path: string): boolean {
    return this.opts.mode === "all" || (this.opts.mode === "api" && !OPEN_IN_API_MODE.has(path));
  }

  /**
   * null when the request may go on; otherwise the response to send (401 with a Basic challenge, or 403). `remote`
   * is the client's IP address (ACL host).
   */
  async check(req: Request, path: string, remote: string): Promise<Response | null> {
    const who = await this.identify(req, path, remote);
    return who instanceof Response ? who : null;
  }

  /**
   * As check(), but an accepted request tells who made it: `User:<name>` for HTTP Basic, null for the bearer
   * token (an operator, to whom no ACL applies) and for paths this mode leaves open.
   */
  async identify(
    req: Request,
    path: string,
    remote: string,
  ): Promise<Response | { principal: string | null }> {
    if (!this.protects(path)) return OPEN;
    const header = req.headers.get("authorization");
    if (header === null) return challenge(401, "authentication required (HTTP Basic or a bearer token)");
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (bearer !== null) {
      if (this.opts.token !== null && timingSafeEqual(bearer[1], this.opts.token)) return OPEN;
      return await this.fail("bearer token refused", null, remote);
    }
    const basic = parseBasic(header);
    if (basic === null) return await this.fail("malformed Authorization header", null, remote);
    if (this.opts.checkPassword === null) return await this.fail("no credential store", basic.user, remote);
    const verdict = await this.opts.checkPassword(basic.user, basic.password);
    if (verdict !== "ok") return await this.fail(verdict, basic.user, remote);
    const principal = `User:${basic.user}`;
    if (this.opts.mayDescribeCluster !== null && !this.opts.mayDescribeCluster(principal, remote)) {
      this.opts.onFailure?.("no DESCRIBE on the Cluster", principal, remote);
      return challenge(403, `${principal} may not DESCRIBE the Cluster`);
    }
    return { principal };
  }

  private async fail(why: HttpAuthFailure, user: string | null, remote: string): Promise<Response> {
    this.opts.onFailure?.(why, user === null ? null : `User:${user}`, remote);
    if (this.opts.failedDelayMs > 0) await new Promise((r) => setTimeout(r, this.opts.failedDelayMs));
    return challenge(401, "authentication failed");
  }
}
