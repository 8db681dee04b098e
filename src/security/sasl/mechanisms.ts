// The SASL mechanisms a listener can enable, each as a server-side exchange with one interface: evaluate a
// client token, answer a challenge, complete with a principal, or fail with what the client is told (Kafka's
// messages) and what the log is told (the reason; never a secret).
import type { Principal } from "../../request/context.ts";
import type { CredentialStore } from "../credentials/store.ts";
import { parsePlain, PlainError } from "./plain.ts";
import { hmac, isScramMechanism, ScramError, type ScramMechanism, ScramServer } from "./scram.ts";
import { type OAuthBearerOptions, parseClientResponse, TokenError, validateToken } from "./oauthbearer.ts";

export const SASL_MECHANISMS = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

export function isSaslMechanism(s: string): s is SaslMechanism {
  return (SASL_MECHANISMS as readonly string[]).includes(s);
}

export type SaslStep =
  | { readonly kind: "challenge"; readonly bytes: Uint8Array }
  | {
    readonly kind: "complete";
    readonly bytes: Uint8Array;
    readonly principal: Principal;
    /** When the credential itself expires (OAUTHBEARER's exp), bounding the session; else undefined. */
    readonly expiresAtMs?: number;
  };

/** A failed exchange: `clientMessage` goes into SASL_AUTHENTICATION_FAILED, `reason` only to the log. */
export class AuthFailure extends Error {
  override name = "AuthFailure";
  constructor(readonly clientMessage: string, readonly reason: string) {
    super(reason);
  }
}

export interface SaslServer {
  readonly mechanism: SaslMechanism;
  /** The user the client claimed, once known (for the failure log). */
  readonly user: string | null;
  /** Throws AuthFailure. */
  evaluate(token: Uint8Array): Promise<SaslStep>;
}

/** What the mechanisms need: the credential store, OAUTHBEARER's validation settings. */
export interface MechanismDeps {
  readonly credentials: CredentialStore;
  readonly oauth: OAuthBearerOptions | null;
}

/** Kafka's message for a SaslException (SaslServerAuthenticator): wrong proof, unknown user, bad message. */
export function invalidCredentials(mech: SaslMechanism): string {
  return `Authentication failed during authentication due to invalid credentials with SASL mechanism ${mech}`;
}

const EMPTY = new Uint8Array(0);

/** Per-process secret: the made-up SCRAM salt of an unknown user is stable here and unguessable. */
const FAKE_SALT_KEY = crypto.getRandomValues(new Uint8Array(32));

function fakeSalt(user: string): Promise<Uint8Array> {
  return hmac("SCRAM-SHA-256", FAKE_SALT_KEY, new TextEncoder().encode(user));
}

class PlainServer implements SaslServer {
  readonly mechanism = "PLAIN" as const;
  user: string | null = null;
  constructor(private readonly credentials: CredentialStore) {}

  async evaluate(token: Uint8Array): Promise<SaslStep> {
    const bad = "Authentication failed: Invalid username or password";
    let msg;
    try {
      msg = parsePlain(token);
    } catch (e) {
      if (e instanceof PlainError) {
        throw new AuthFailure(
          e.message.includes("authorization id")
            ? "Authentication failed: Client requested an authorization id that is different from username"
            : bad,
          e.message,
        );
      }
      throw e;
    }
    this.user = msg.user;
    const verdict = await this.credentials.checkPassword(msg.user, msg.password);
    if (verdict !== "ok") {
      throw new AuthFailure(bad, verdict === "unknown-user" ? "unknown user" : "wrong password");
    }
    return { kind: "complete", bytes: EMPTY, principal: { type: "User", name: msg.user } };
  }
}

class ScramAdapter implements SaslServer {
  private readonly server: ScramServer;
  constructor(readonly mechanism: ScramMechanism, credentials: CredentialStore) {
    this.server = new ScramServer(mechanism, (u, m) => credentials.get(u, m), fakeSalt);
  }

  get user(): string | null {
    return this.server.user;
  }

  async evaluate(token: Uint8Array): Promise<SaslStep> {
    try {
      const step = await this.server.evaluate(token);
      if (step.kind === "challenge") return step;
      return { kind: "complete", bytes: step.bytes, principal: { type: "User", name: step.user } };
    } catch (e) {
      if (e instanceof ScramError) throw new AuthFailure(invalidCredentials(this.mechanism), e.message);
      throw e;
    }
  }
}

class OAuthBearerServer implements SaslServer {
  readonly mechanism = "OAUTHBEARER" as const;
  user: string | null = null;
  constructor(private readonly opts: OAuthBearerOptions) {}

  async evaluate(token: Uint8Array): Promise<SaslStep> {
    // RFC 7628's error status, as Kafka's server reports it (the detail stays in the log).
    const refused = `${invalidCredentials("OAUTHBEARER")}: {"status":"invalid_token"}`;
    try {
      const msg = parseClientResponse(token);
      const valid = await validateToken(msg.token, this.opts);
      this.user = valid.principal;
      if (msg.authzid !== "" && msg.authzid !== valid.principal) {
        throw new AuthFailure(
          "Authentication failed: Client requested an authorization id that is different from the token's principal name",
          "authorization id differs from the token's sub",
        );
      }
      return {
        kind: "complete",
        bytes: EMPTY,
        principal: { type: "User", name: valid.principal },
        expiresAtMs: valid.expiresAtMs,
      };
    } catch (e) {
      if (e instanceof TokenError) throw new AuthFailure(refused, e.message);
      throw e;
    }
  }
}

/** A new server-side exchange of `mech`. */
export function newSaslServer(mech: SaslMechanism, deps: MechanismDeps): SaslServer {
  if (mech === "PLAIN") return new PlainServer(deps.credentials);
  if (isScramMechanism(mech)) return new ScramAdapter(mech, deps.credentials);
  if (deps.oauth === null) throw new Error("OAUTHBEARER enabled without its settings");
  return new OAuthBearerServer(deps.oauth);
}
