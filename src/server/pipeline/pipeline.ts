// The request pipeline, one per listener: frame -> header -> authenticate -> authorize -> handler -> quota ->
// response. Each step is a module of its own with a typed hook (header.ts, authenticate.ts, authorize.ts,
// quota.ts); the defaults (User:ANONYMOUS, allow all, no quotas) allocate nothing per request and are never
// awaited, so the hot path costs what a direct handler call did. The connection (connection.ts) reads frames,
// calls handle() for one request at a time and queues what it sends in order; handle() tells it whether to go
// on, close, or stay muted for a throttle time first.
import { Writer } from "../../protocol/codec.ts";
import { ApiKey } from "../../protocol/api_keys.ts";
import { writeResponseHeader } from "../../protocol/header.ts";
import type { Range } from "../../protocol/schema.ts";
import type { ApiEntry, ApiRegistry } from "../../handlers/registry.ts";
import type { Broker, RequestContext } from "../../request/context.ts";
import type { Logger } from "../../log.ts";
import { CLOSE, DONE, type HeaderChannel, readRequest } from "./header.ts";
import {
  anonymousAuthenticator,
  type Authenticator,
  type AuthOutcome,
  CLOSE_CONNECTION,
  type ConnectionAuth,
  type ConnectionInfo,
  PASS,
} from "../../request/authenticate.ts";
import { allowAll, type Authorizer, completeNarrow, type Verdict } from "../../request/authorize.ts";
import { delay, noQuotas, type QuotaManager, THROTTLE_FIELD, throttleVersions } from "../../request/quota.ts";
import { errorResponse } from "../../protocol/error_response.ts";
import { KafkaError } from "../../protocol/errors.ts";

export { CLOSE, DONE };

/** What the pipeline needs of a connection (connection.ts; tests use a fake). */
export interface RequestChannel extends HeaderChannel, ConnectionInfo {
  /** Client address as Kafka reports it ("/127.0.0.1"). */
  readonly clientHost: string;
  /** This connection's authentication state (from Authenticator.open). */
  readonly auth: ConnectionAuth;
  /** ApiVersions v3+ client software "name/version". */
  clientSoftware: string | null;
  /** Counts a request (admin API) and returns the logger for it, carrying its client id. */
  noteRequest(clientId: string | null, apiKey: number): Logger;
  /** Aborted once the connection starts closing (absent: never, as in tests' fakes). */
  readonly closeSignal?: AbortSignal;
}

/** The replaceable steps; each defaults to today's no-op. */
export interface PipelineSteps {
  readonly authenticator?: Authenticator;
  readonly authorizer?: Authorizer;
  readonly quotas?: QuotaManager;
  /** How a muted connection waits (tests substitute one they release themselves). */
  readonly delay?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** Largest throttle time an int32 field holds. */
const MAX_THROTTLE_MS = 0x7fffffff;

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}

export class RequestPipeline {
  readonly authenticator: Authenticator;
  private readonly authorizer: Authorizer;
  private readonly quotas: QuotaManager;
  private readonly wait: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Per API key: the response versions with throttle_time_ms (null: none), read once from the schema. */
  private readonly throttleRanges = new Map<number, Range | null>();

  constructor(
    private readonly broker: Broker,
    private readonly apis: ApiRegistry,
    steps: PipelineSteps = {},
  ) {
    this.authenticator = steps.authenticator ?? anonymousAuthenticator;
    this.authorizer = steps.authorizer ?? allowAll;
    this.quotas = steps.quotas ?? noQuotas;
    this.wait = steps.delay ?? delay;
  }

  /**
   * Runs one request frame through every step and queues its response on `ch`. Returns CLOSE when the
   * connection must be closed, else how many ms the connection stays muted before its next request is read
   * (DONE = 0: none).
   */
  async handle(frame: Uint8Array, ch: RequestChannel): Promise<number> {
    if (ch.auth.expectsRawToken === true) return await this.rawToken(frame, ch);
    const metrics = this.broker.metrics ?? null;
    const req = readRequest(frame, this.apis, ch, metrics);
    if (typeof req === "number") return req;
    const { header, entry, body, flexible } = req;
    const { apiKey, apiVersion } = header;
    const log = ch.noteRequest(header.clientId, apiKey);
    entry.onRequest(body, ch);
    const auth = ch.auth;
    const ctx: RequestContext = {
      broker: this.broker,
      header,
      connectionId: ch.id,
      clientHost: ch.clientHost,
      log,
      principal: auth.principal,
      listener: ch.listener,
      closing: ch.closeSignal,
    };
    const t0 = performance.now();
    // The event-loop time this request took in its synchronous stretches (request_percentage quotas): the steps
    // and the handler up to its first wait, then the response's encoding. Waits (I/O, long polls) are not counted.
    let loopMs = 0;
    let res: unknown;
    // Produce and Fetch count their partition errors in their handlers; responses they did not build are
    // counted here.
    let countErrors = apiKey > ApiKey.Fetch;
    let closeAfter = false;
    try {
      let outcome: AuthOutcome = PASS;
      if (auth.intercept !== undefined) {
        const o = auth.intercept(ctx, body);
        outcome = o instanceof Promise ? await o : o;
      }
      if (outcome === CLOSE_CONNECTION) {
        ch.protocolError(
          "authentication",
          "closing connection: {api} v{apiVersion} refused by authentication",
          {
            api: entry.spec.name,
            apiVersion,
          },
        );
        return CLOSE;
      }
      if (outcome !== PASS) {
        res = outcome.response;
        closeAfter = outcome.close === true;
        countErrors = true;
      } else {
        // The rule is the API's own, registered with its handler (src/handlers/apis.ts).
        const v = this.authorizer.authorize(ctx, body, entry.rule);
        const verdict: Verdict = v instanceof Promise ? await v : v;
        if (verdict.kind === "allow") {
          const pending = entry.handle(ctx, body);
          loopMs = performance.now() - t0;
          res = await pending;
        } else if (verdict.kind === "deny") {
          const code = verdict.errorCode ?? entry.refusal(body);
          res = errorResponse(entry.spec, apiVersion, body, code, verdict.message);
          countErrors = true;
        } else {
          const partial = await entry.handle(ctx, verdict.request);
          res = partial === null ? null : completeNarrow(verdict, entry.spec, apiVersion, partial);
          countErrors = true;
        }
      }
    } catch (e) {
      if (!(e instanceof KafkaError)) {
        metrics?.protocolError("handler_failed");
        log.error("closing connection: {api} v{apiVersion} handler failed: {reason}", {
          api: entry.spec.name,
          apiVersion,
          reason: String((e as Error)?.stack ?? e),
        });
        return CLOSE;
      }
      // A handler's refusal of the whole request (bad input it found): answered with the request's error
      // response carrying that code, as Kafka answers an ApiException; the connection goes on serving.
      log.debug("{api} v{apiVersion} refused: {reason}", {
        api: entry.spec.name,
        apiVersion,
        reason: e.message,
      });
      res = errorResponse(entry.spec, apiVersion, body, e.code, e.message);
      countErrors = true;
    }
    if (metrics !== null) {
      metrics.request(apiKey, apiVersion, performance.now() - t0, frame.length);
      if (res !== null && countErrors) metrics.countResponseErrors(apiKey, res);
    }
    if (res !== null) {
      // the API's own rule (src/handlers/apis.ts): Produce with acks=0 answers nothing, or closes on a failure
      const d = entry.delivery(body, res);
      if (d.kind === "close") {
        log.debug("closing connection: {api} v{apiVersion}: {why}", {
          api: entry.spec.name,
          apiVersion,
          why: d.why,
        });
        return CLOSE;
      }
      if (d.kind === "none") res = null;
    }
    if (res === null) {
      // No answer (acks=0 Produce): nothing carries the throttle time, but the mute holds the client back all the same.
      return this.throttle(ctx, entry, frame.length, 0, loopMs);
    }
    // The quota step owns throttle_time_ms in every response that has one (handlers' own values are replaced).
    const throttled = this.hasThrottleField(entry, apiVersion) && isObj(res) ? res : null;
    if (throttled !== null) throttled[THROTTLE_FIELD] = 0;
    const tEncode = performance.now();
    let w = encode(entry, header.correlationId, apiVersion, flexible, res);
    const ms = this.throttle(ctx, entry, frame.length, w.length, loopMs + performance.now() - tEncode);
    if (ms > 0 && throttled !== null) {
      // Rare (a client over its quota): encode again rather than patch bytes at a per-API offset.
      throttled[THROTTLE_FIELD] = ms;
      w = encode(entry, header.correlationId, apiVersion, flexible, res);
    }
    ch.send(w);
    return closeAfter ? CLOSE : ms;
  }

  /** A raw SASL token (after SaslHandshake v0) answered with a raw token, or the connection closed. */
  private async rawToken(frame: Uint8Array, ch: RequestChannel): Promise<number> {
    let out: Uint8Array | typeof CLOSE_CONNECTION;
    try {
      out = await ch.auth.rawToken!(frame, this.broker);
    } catch (e) {
      this.broker.metrics?.protocolError("handler_failed");
      this.broker.log.error("closing connection {conn}: SASL token handling failed: {reason}", {
        conn: ch.id,
        reason: String((e as Error)?.stack ?? e),
      });
      return CLOSE;
    }
    if (out === CLOSE_CONNECTION) return CLOSE;
    const w = new Writer(out.length + 8);
    w.raw(out);
    ch.send(w);
    return DONE;
  }

  /** Waits out a connection's mute (KIP-219); ends early when `signal` aborts (the connection closes). */
  mute(ms: number, signal: AbortSignal): Promise<void> {
    return this.wait(ms, signal);
  }

  /** The quota step's throttle time as a whole number of ms that fits throttle_time_ms. */
  private throttle(
    ctx: RequestContext,
    entry: ApiEntry,
    requestBytes: number,
    responseBytes: number,
    loopMs: number,
  ): number {
    const ms = this.quotas.throttleMs(ctx, requestBytes, responseBytes, loopMs, entry.quota);
    return ms > 0 ? Math.min(Math.ceil(ms), MAX_THROTTLE_MS) : DONE;
  }

  private hasThrottleField(entry: ApiEntry, version: number): boolean {
    const key = entry.spec.key;
    let range = this.throttleRanges.get(key);
    if (range === undefined) {
      range = throttleVersions(entry.spec);
      this.throttleRanges.set(key, range);
    }
    return range !== null && version >= range.lo && version <= range.hi;
  }
}

function encode(
  entry: ApiEntry,
  correlationId: number,
  version: number,
  flexible: boolean,
  res: unknown,
): Writer {
  const w = new Writer(1024);
  writeResponseHeader(w, entry.spec.key, correlationId, flexible);
  entry.codec.encodeResponse(w, version, res);
  return w;
}
