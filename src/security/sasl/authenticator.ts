// The Authenticator of SASL_PLAINTEXT and SASL_SSL listeners (src/request/authenticate.ts): each
// connection runs Kafka's SASL state machine (SaslServerAuthenticator):
//   handshake     -- SaslHandshake v1 --> authenticate -- SaslAuthenticate... --> authenticated
//                 -- SaslHandshake v0 --> raw (size-prefixed SASL tokens, no request header) --> authenticated
//   authenticated -- SaslHandshake v1 --> re-authentication (KIP-368; same mechanism and principal)
// Before authentication only ApiVersions and the SASL requests are served; anything else closes the connection,
// as Kafka does. A failure is logged (user, mechanism, peer; never the secret), counted, and answered after
// --failed-authentication-delay-ms, then the connection closes. With --sasl-session-lifetime-ms (Kafka's
// connections.max.reauth.ms) a session ends then (or at the OAUTHBEARER token's expiry, if sooner): the first
// request after that closes the connection unless the client re-authenticated.
import { ApiKey } from "../../protocol/api_keys.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { Broker, Principal, RequestContext } from "../../request/context.ts";
import type { Logger } from "../../log.ts";
import {
  ANONYMOUS,
  type Authenticator,
  type AuthOutcome,
  CLOSE_CONNECTION,
  type ConnectionAuth,
  type ConnectionInfo,
  PASS,
  principalName,
} from "../../request/authenticate.ts";
import type { SaslHandshakeRequest, SaslHandshakeResponse } from "../../protocol/messages/sasl_handshake.ts";
import type {
  SaslAuthenticateRequest,
  SaslAuthenticateResponse,
} from "../../protocol/messages/sasl_authenticate.ts";
import {
  AuthFailure,
  type MechanismDeps,
  newSaslServer,
  type SaslMechanism,
  type SaslServer,
  type SaslStep,
} from "./mechanisms.ts";

export interface SaslAuthenticatorOptions extends MechanismDeps {
  /** Enabled mechanisms, in the order SaslHandshake lists them. */
  readonly mechanisms: readonly SaslMechanism[];
  /** KIP-368 session lifetime (connections.max.reauth.ms); 0 = sessions do not expire. */
  readonly sessionLifetimeMs: number;
  /** connection.failed.authentication.delay.ms. */
  readonly failedAuthenticationDelayMs: number;
  readonly log: Logger;
  readonly now?: () => number;
  /** How the failure delay waits (tests pass their own). */
  readonly delay?: (ms: number) => Promise<void>;
}

/** Kafka refuses a re-authentication sooner than this after the previous one (KafkaChannel). */
const MIN_REAUTH_INTERVAL_MS = 1000;

/** Mechanism label for failures with a mechanism that is not enabled (bounded label values). */
const UNSUPPORTED = "unsupported";

type State = "handshake" | "authenticate" | "raw" | "authenticated";

function sleep(ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((r) => setTimeout(r, ms));
}

type HandshakeAnswer = SaslHandshakeResponse;
type AuthenticateAnswer = SaslAuthenticateResponse;

/** One connection's SASL state. */
class SaslConnection implements ConnectionAuth {
  principal: Principal = ANONYMOUS;
  private state: State = "handshake";
  private server: SaslServer | null = null;
  /** Mechanism of the completed authentication (re-authentication must use the same). */
  private mechanism: SaslMechanism | null = null;
  private reauthenticating = false;
  /** Unix ms the session ends (0: never), and its length as reported to the client. */
  private expiresAt = 0;
  private lifetime = 0;
  private lastAuthStart = 0;

  constructor(private readonly opts: SaslAuthenticatorOptions, private readonly conn: ConnectionInfo) {}

  get expectsRawToken(): boolean {
    return this.state === "raw";
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  intercept(ctx: RequestContext, request: unknown): AuthOutcome | Promise<AuthOutcome> {
    const key = ctx.header.apiKey;
    if (this.state === "authenticated") {
      if (this.expiresAt > 0 && this.now() > this.expiresAt) {
        if (ctx.broker.metrics) ctx.broker.metrics.saslSessionsExpired++;
        this.opts.log.info(
          "closing connection of {principal} from {peer}: SASL session expired (sasl-session-lifetime-ms) without re-authentication",
          { principal: principalName(this.principal), peer: this.conn.remote },
        );
        return CLOSE_CONNECTION;
      }
      if (key === ApiKey.SaslHandshake) return this.reauthenticate(ctx, request as SaslHandshakeRequest);
      if (key === ApiKey.SaslAuthenticate) {
        // KafkaApis' answer to a SaslAuthenticate outside an exchange.
        return {
          response: this.authenticateError(
            ErrorCode.ILLEGAL_SASL_STATE,
            "SaslAuthenticate request received after successful authentication",
          ),
        };
      }
      return PASS;
    }
    if (key === ApiKey.ApiVersions) return PASS;
    if (this.state === "handshake" && key === ApiKey.SaslHandshake) {
      return this.handshake(ctx, request as SaslHandshakeRequest);
    }
    if (this.state === "authenticate" && key === ApiKey.SaslAuthenticate) {
      return this.authenticate(ctx, (request as SaslAuthenticateRequest).authBytes);
    }
    // A request out of turn: Kafka closes the connection (IllegalSaslStateException).
    return CLOSE_CONNECTION;
  }

  async rawToken(token: Uint8Array, broker: Broker): Promise<Uint8Array | typeof CLOSE_CONNECTION> {
    const step = await this.evaluate(broker, token);
    if (step instanceof AuthFailure) return CLOSE_CONNECTION;
    return step.bytes;
  }

  private handshake(ctx: RequestContext, req: SaslHandshakeRequest): AuthOutcome | Promise<AuthOutcome> {
    const enabled = this.opts.mechanisms;
    const mech = enabled.find((m) => m === req.mechanism);
    if (mech === undefined) {
      return this.fail(
        ctx.broker,
        UNSUPPORTED,
        null,
        `mechanism ${JSON.stringify(req.mechanism)} is not enabled`,
        () => ({ response: this.handshakeAnswer(ErrorCode.UNSUPPORTED_SASL_MECHANISM), close: true }),
      );
    }
    this.server = newSaslServer(mech, this.opts);
    this.lastAuthStart = this.now();
    this.state = ctx.header.apiVersion === 0 ? "raw" : "authenticate";
    return { response: this.handshakeAnswer(ErrorCode.NONE) };
  }

  private reauthenticate(ctx: RequestContext, req: SaslHandshakeRequest): AuthOutcome | Promise<AuthOutcome> {
    if (ctx.header.apiVersion === 0 || this.now() - this.lastAuthStart < MIN_REAUTH_INTERVAL_MS) {
      // Kafka processes such a handshake as an ordinary request: KafkaApis answers ILLEGAL_SASL_STATE.
      return { response: { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] } };
    }
    if (req.mechanism !== this.mechanism) {
      return this.fail(
        ctx.broker,
        this.opts.mechanisms.includes(req.mechanism as SaslMechanism) ? req.mechanism : UNSUPPORTED,
        this.principal.name,
        `re-authentication with ${req.mechanism} after ${this.mechanism}`,
        () => ({ response: this.handshakeAnswer(ErrorCode.UNSUPPORTED_SASL_MECHANISM), close: true }),
      );
    }
    this.reauthenticating = true;
    this.state = "handshake";
    return this.handshake(ctx, req);
  }

  private async authenticate(ctx: RequestContext, token: Uint8Array): Promise<AuthOutcome> {
    const step = await this.evaluate(ctx.broker, token);
    if (step instanceof AuthFailure) {
      return {
        response: this.authenticateError(ErrorCode.SASL_AUTHENTICATION_FAILED, step.clientMessage),
        close: true,
      };
    }
    const res: AuthenticateAnswer = {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      authBytes: step.bytes,
      sessionLifetimeMs: step.kind === "complete" ? this.lifetime : 0,
    };
    return { response: res };
  }

  /** Runs one token through the exchange; on failure logs, counts and waits out the delay first. */
  private async evaluate(broker: Broker, token: Uint8Array): Promise<SaslStep | AuthFailure> {
    const server = this.server!;
    let step: SaslStep;
    try {
      step = await server.evaluate(token);
    } catch (e) {
      if (!(e instanceof AuthFailure)) throw e;
      return await this.fail(broker, server.mechanism, server.user, e.reason, () => e);
    }
    if (step.kind === "challenge") return step;
    const before = this.principal;
    if (
      this.reauthenticating && (before.type !== step.principal.type || before.name !== step.principal.name)
    ) {
      const failure = new AuthFailure(
        `Cannot change principals during re-authentication from ${principalName(before)}: ${
          principalName(step.principal)
        }`,
        `re-authenticated as ${principalName(step.principal)}`,
      );
      return await this.fail(broker, server.mechanism, step.principal.name, failure.reason, () => failure);
    }
    const lifetime = this.sessionLifetime(step.expiresAtMs);
    this.lifetime = lifetime;
    this.expiresAt = lifetime > 0 ? this.now() + lifetime : 0;
    this.principal = step.principal;
    this.mechanism = server.mechanism;
    this.server = null;
    this.state = "authenticated";
    broker.metrics?.saslAuthentication(server.mechanism, true);
    this.opts.log.debug("{principal} from {peer} {what} with {mechanism}", {
      principal: principalName(step.principal),
      peer: this.conn.remote,
      what: this.reauthenticating ? "re-authenticated" : "authenticated",
      mechanism: server.mechanism,
    });
    this.reauthenticating = false;
    return step;
  }

  /** KIP-368: the configured lifetime, shortened to the credential's own expiry; 0 when sessions do not end. */
  private sessionLifetime(credentialExpiresAtMs: number | undefined): number {
    const max = this.opts.sessionLifetimeMs;
    if (max <= 0) return 0;
    if (credentialExpiresAtMs === undefined) return max;
    return Math.max(1, Math.min(max, credentialExpiresAtMs - this.now()));
  }

  private async fail<T>(
    broker: Broker,
    mechanism: string,
    user: string | null,
    reason: string,
    answer: () => T,
  ): Promise<T> {
    broker.metrics?.saslAuthentication(mechanism, false);
    this.opts.log.warn(
      "SASL authentication failed: principal {principal}, mechanism {mechanism}, peer {peer}, listener {listener}: {reason}",
      {
        principal: user === null ? "(unknown)" : `User:${user}`,
        mechanism,
        peer: this.conn.remote,
        listener: this.conn.listener.name,
        reason,
      },
    );
    this.server = null;
    await (this.opts.delay ?? sleep)(this.opts.failedAuthenticationDelayMs);
    return answer();
  }

  private handshakeAnswer(errorCode: number): HandshakeAnswer {
    return { errorCode, mechanisms: [...this.opts.mechanisms] };
  }

  private authenticateError(errorCode: number, message: string): AuthenticateAnswer {
    return { errorCode, errorMessage: message, authBytes: new Uint8Array(0), sessionLifetimeMs: 0 };
  }
}

/** An Authenticator for SASL_PLAINTEXT and SASL_SSL listeners. */
export function createSaslAuthenticator(opts: SaslAuthenticatorOptions): Authenticator {
  if (opts.mechanisms.length === 0) throw new Error("no SASL mechanism enabled");
  return { open: (conn) => new SaslConnection(opts, conn) };
}
