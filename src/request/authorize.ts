// Authorization step: given the request's context (principal, listener, API key and version), the decoded request
// and its API's rule (registered with the API's handler, src/handlers/apis.ts), an Authorizer allows it, denies
// it as a whole, or narrows it to the resources the principal may use. As in Kafka, the rules are the APIs' own
// (KafkaApis: which operation on which resource each part of a request needs) while the Authorizer only answers
// whether the principal may perform an operation on a resource (Permissions); the allow-all default runs no rule.
// Kafka checks ACLs per resource (each topic of a Produce, each group of a DescribeGroups): a Narrow verdict
// lets the rule pass the handler only the allowed part and put the per-resource authorization errors into the
// response afterwards, without the handlers knowing about ACLs.
import type { Answer, RequestContext } from "./context.ts";
import { type ApiSpec, type Field, inRange } from "../protocol/schema.ts";
import { errorResponse } from "../protocol/error_response.ts";

export interface Allow {
  readonly kind: "allow";
}

/** The whole request is refused: the response carries the error code in every place the API has one. */
export interface Deny {
  readonly kind: "deny";
  /**
   * TOPIC_/GROUP_/CLUSTER_/TRANSACTIONAL_ID_AUTHORIZATION_FAILED; when absent, the API's registration decides
   * (src/handlers/registry.ts ApiHooks.refusal).
   */
  readonly errorCode?: number;
  /** Written to the response's errorMessage fields, where the API has them. */
  readonly message?: string;
}

/**
 * Request entries refused per resource: the entries of the request's list `reqName`, by the error code each is
 * refused with. The pipeline answers them in the response's list `resName`, each entry built from the API's
 * schema as an error response builds it (Produce: per partition; DescribeGroups: per group).
 */
export interface Refusals {
  readonly reqName: string;
  readonly resName: string;
  readonly byCode: ReadonlyMap<number, readonly unknown[]>;
}

/**
 * Part of the request is refused: the handler gets `request` (the allowed resources only, same API and
 * version); `complete` (when present) changes the handler's response, then the `refused` entries are added to
 * it. Neither happens when the handler sends no response (acks=0 Produce). `Req` and `Res` are the API's
 * request and answer types for a rule (src/handlers/registry.ts), `unknown` as the pipeline sees them.
 */
export interface Narrow<Req = unknown, Res = unknown> {
  readonly kind: "narrow";
  readonly request: Req;
  readonly refused?: Refusals;
  complete?(response: Res): Res;
}

export type Verdict<Req = unknown, Res = unknown> = Allow | Deny | Narrow<Req, Res>;

/** Shared, so that allowing costs no allocation. */
export const ALLOW: Allow = Object.freeze({ kind: "allow" });

/**
 * What a rule may ask about the request's principal (Kafka's Authorizer.authorize for one action): whether it
 * may perform operation `op` (Kafka's AclOperation codes) on a resource. An Authorizer implements it.
 */
export interface Permissions {
  topic(op: number, name: string): boolean;
  group(op: number, name: string): boolean;
  cluster(op: number): boolean;
  transactionalId(op: number, id: string): boolean;
  /** Some topic allows `op` (KIP-679). */
  anyTopic(op: number): boolean;
  /** Kafka's authorized-operations bit field (KIP-430) of one resource (Kafka's ResourceType codes). */
  authorizedOperations(resourceType: number, name: string): number;
}

/**
 * An API's authorization rule, typed by its spec's request and response: what Kafka's KafkaApis checks for the
 * API. Every API registers one (src/handlers/registry.ts); ALLOW where Kafka lets everyone in.
 */
export type AuthRule<Req, Res> =
  | Allow
  | ((
    p: Permissions,
    ctx: RequestContext,
    req: Req,
  ) => Verdict<Req, Answer<Res>> | Promise<Verdict<Req, Answer<Res>>>);

/** An API's rule as the pipeline carries it (src/handlers/registry.ts): given only what its API's codec decoded. */
export interface RequestRule {
  check(p: Permissions, ctx: RequestContext, request: unknown): Verdict | Promise<Verdict>;
}

export interface Authorizer {
  /**
   * Runs `rule`, the rule of the request's API, for the request's principal (or decides without it). Synchronous
   * when it can be (the pipeline only awaits a returned promise).
   */
  authorize(ctx: RequestContext, request: unknown, rule: RequestRule): Verdict | Promise<Verdict>;
}

/** The default: every principal may do everything (a broker without an authorizer configured); no rule runs. */
export const allowAll: Authorizer = {
  authorize: () => ALLOW,
};

function fieldAt(fields: readonly Field[], name: string, v: number): Field | undefined {
  return fields.find((f) => f.name === name && inRange(f.versions, v));
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Response entries refusing request entries `denied` of list `reqName` with `code`, for list `resName`. */
export function refusedEntries(
  spec: ApiSpec,
  v: number,
  reqName: string,
  resName: string,
  denied: readonly unknown[],
  code: number,
): unknown[] {
  const reqField = fieldAt(spec.request, reqName, v);
  const resField = fieldAt(spec.response, resName, v);
  if (reqField === undefined || resField === undefined) return [];
  const lists: ApiSpec = { ...spec, request: [reqField], response: [resField] };
  const out = errorResponse(lists, v, { [reqName]: denied }, code)[resName];
  return Array.isArray(out) ? out : [];
}

/** The response sent for a narrowed request: the handler's `response` completed, then the refused entries added. */
export function completeNarrow(n: Narrow, spec: ApiSpec, version: number, response: unknown): unknown {
  const res = n.complete === undefined ? response : n.complete(response);
  const r = n.refused;
  if (r === undefined || r.byCode.size === 0 || !isObj(res)) return res;
  const have = res[r.resName];
  const out: unknown[] = Array.isArray(have) ? [...have] : [];
  for (const [code, entries] of r.byCode) {
    out.push(...refusedEntries(spec, version, r.reqName, r.resName, entries, code));
  }
  res[r.resName] = out;
  return res;
}
