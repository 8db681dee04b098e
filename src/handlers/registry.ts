// The one table of supported APIs: each entry couples an API's schema (its version range) with its handler, its
// authorization rule and its response hooks, all typed by the schema. ApiVersions is answered from this table, so
// only APIs with a working handler are ever advertised; the pipeline hands the Authorizer the rule of the
// request's entry, so no API is served without one.
import {
  type ApiSpec,
  compile,
  type CompiledApi,
  type RequestOf,
  type ResponseOf,
} from "../protocol/schema.ts";
import { ErrorCode } from "../protocol/errors.ts";
import type { Answer, Handler, RequestContext } from "../request/context.ts";
import type { AuthRule, RequestRule } from "../request/authorize.ts";
import type { QuotaKind } from "../request/quota.ts";

/**
 * What becomes of a handler's answer: sent (the default), not sent (Produce with acks=0), or, instead of an answer,
 * the connection closed (acks=0 Produce that failed on a partition: the client only notices a closed connection).
 */
export type Delivery = { readonly kind: "send" } | { readonly kind: "none" } | {
  readonly kind: "close";
  readonly why: string;
};

export const SEND: Delivery = Object.freeze({ kind: "send" });
export const NO_ANSWER: Delivery = Object.freeze({ kind: "none" });

/** What a request may tell the connection it came on (ApiVersions v3+ names the client's software). */
export interface ConnectionNotes {
  clientSoftware: string | null;
}

/** An API's own rules beside its handler, typed by its spec; the pipeline has no per-API branches. */
export interface ApiHooks<Req, Res> {
  /** Seen once the request is decoded, before authentication and authorization. */
  onRequest?(req: Req, conn: ConnectionNotes): void;
  /** Whether the answer (the handler's, or the error response of a refused request) is sent. */
  delivery?(req: Req, res: Answer<Res>): Delivery;
  /** The client quota the API counts against besides request_percentage (src/quotas/model.ts); "request" if absent. */
  readonly quota?: QuotaKind;
  /**
   * The error a whole-request refusal answers with when the Deny names none (an Authorizer other than the ACL
   * rules, which name theirs): the authorization error of the resource the API is about, as Kafka's brokers choose
   * it. TOPIC_AUTHORIZATION_FAILED when absent.
   */
  refusal?(req: Req): number;
}

/** An API's codec, handler and rule, as the request pipeline sees them: requests and responses are `unknown`. */
export interface ApiEntry {
  readonly spec: ApiSpec;
  readonly codec: CompiledApi;
  /** The API's authorization rule, under the same rule as handle(): given only what this entry's codec decoded. */
  readonly rule: RequestRule;
  /**
   * Only ever given what `codec.decodeRequest` of the same entry returned. A method, so that register() can
   * store the handler it has checked against the spec's types without a cast.
   */
  handle(ctx: RequestContext, req: unknown): Promise<unknown> | unknown;
  /** The API's hooks (ApiHooks), under the same rule: given only what this entry's codec decoded. */
  onRequest(req: unknown, conn: ConnectionNotes): void;
  delivery(req: unknown, res: unknown): Delivery;
  /** The client quota the API counts against (ApiHooks.quota). */
  readonly quota: QuotaKind;
  /** ApiHooks.refusal, under the same rule as handle(). */
  refusal(req: unknown): number;
}

export interface ApiVersionRange {
  readonly apiKey: number;
  readonly minVersion: number;
  readonly maxVersion: number;
}

export class ApiRegistry {
  private readonly entries = new Map<number, ApiEntry>();

  /**
   * The handler's, rule's and hooks' request and response types are those inferred from `spec`. The rule is
   * required: ALLOW where Kafka lets every principal in (ApiVersions, SaslHandshake), else the API's rule
   * (src/security/acl/rules/).
   */
  register<S extends ApiSpec>(
    spec: S,
    handler: Handler<RequestOf<S>, ResponseOf<S>>,
    rule: AuthRule<RequestOf<S>, ResponseOf<S>>,
    hooks: ApiHooks<RequestOf<S>, ResponseOf<S>> = {},
  ): this {
    if (this.entries.has(spec.key)) throw new Error(`API ${spec.name} (${spec.key}) registered twice`);
    // The table's codec is the untyped view of the same compiled spec.
    const untyped: ApiSpec = spec;
    const onRequest = hooks.onRequest ?? (() => {});
    const delivery = hooks.delivery ?? (() => SEND);
    const refusal = hooks.refusal ?? (() => ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    const check = typeof rule === "function" ? rule : () => rule;
    this.entries.set(spec.key, {
      spec,
      codec: compile(untyped),
      rule: { check },
      handle: handler,
      onRequest,
      delivery,
      quota: hooks.quota ?? "request",
      refusal,
    });
    return this;
  }

  get(key: number): ApiEntry | undefined {
    return this.entries.get(key);
  }

  versions(): ApiVersionRange[] {
    return [...this.entries.values()]
      .map((e) => ({ apiKey: e.spec.key, minVersion: e.spec.minVersion, maxVersion: e.spec.maxVersion }))
      .sort((a, b) => a.apiKey - b.apiKey);
  }
}
