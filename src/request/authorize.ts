// Authorization step: given the request's context (principal, listener, API key and version) and the decoded
// request, an Authorizer allows it, denies it as a whole, or narrows it to the resources the principal may use.
// Kafka checks ACLs per resource (each topic of a Produce, each group of a DescribeGroups): a Narrow verdict
// lets an ACL authorizer pass the handler only the allowed part and put the per-resource authorization errors
// into the response afterwards, without the handlers knowing about ACLs. Today only the allow-all default exists.
import type { RequestContext } from "./context.ts";
import { ApiKey } from "../protocol/api_keys.ts";
import { ErrorCode } from "../protocol/errors.ts";

export interface Allow {
  readonly kind: "allow";
}

/** The whole request is refused: the response carries the error code in every place the API has one. */
export interface Deny {
  readonly kind: "deny";
  /** TOPIC_/GROUP_/CLUSTER_/TRANSACTIONAL_ID_AUTHORIZATION_FAILED; when absent, authorizationError() decides. */
  readonly errorCode?: number;
  /** Written to the response's errorMessage fields, where the API has them. */
  readonly message?: string;
}

/**
 * Part of the request is refused: the handler gets `request` (the allowed resources only, same API and
 * version), and `complete` turns its response into the one sent, adding the refused resources with their
 * authorization errors. `complete` is not called when the handler sends no response (acks=0 Produce).
 */
export interface Narrow {
  readonly kind: "narrow";
  readonly request: unknown;
  complete(response: unknown): unknown;
}

export type Verdict = Allow | Deny | Narrow;

/** Shared, so that allowing costs no allocation. */
export const ALLOW: Allow = Object.freeze({ kind: "allow" });

export interface Authorizer {
  /** Synchronous when it can be (the pipeline only awaits a returned promise). */
  authorize(ctx: RequestContext, request: unknown): Verdict | Promise<Verdict>;
}

/** The default: every principal may do everything (a broker without an authorizer configured). */
export const allowAll: Authorizer = {
  authorize: () => ALLOW,
};

/** APIs whose resource is a consumer group: a refusal is GROUP_AUTHORIZATION_FAILED. */
const GROUP_APIS: ReadonlySet<number> = new Set([
  ApiKey.OffsetCommit,
  ApiKey.OffsetFetch,
  ApiKey.FindCoordinator,
  ApiKey.JoinGroup,
  ApiKey.Heartbeat,
  ApiKey.LeaveGroup,
  ApiKey.SyncGroup,
  ApiKey.DescribeGroups,
  ApiKey.DeleteGroups,
  ApiKey.OffsetDelete,
]);

/** APIs about the cluster itself (Kafka's Cluster resource): a refusal is CLUSTER_AUTHORIZATION_FAILED. */
const CLUSTER_APIS: ReadonlySet<number> = new Set([
  ApiKey.ApiVersions,
  ApiKey.SaslHandshake,
  ApiKey.SaslAuthenticate,
  ApiKey.ListGroups,
  ApiKey.DescribeLogDirs,
  ApiKey.DescribeCluster,
]);

function transactionalId(request: unknown): string | null {
  if (typeof request !== "object" || request === null || !("transactionalId" in request)) return null;
  const id = request.transactionalId;
  return typeof id === "string" ? id : null;
}

/**
 * The authorization error an API answers a whole-request refusal with when the Deny names none: the error of
 * the resource the API is about, as Kafka's brokers choose it (topics by default).
 */
export function authorizationError(apiKey: number, request: unknown): number {
  if (apiKey === ApiKey.Produce) {
    return transactionalId(request) !== null
      ? ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
      : ErrorCode.TOPIC_AUTHORIZATION_FAILED;
  }
  if (apiKey === ApiKey.InitProducerId) {
    // Without a transactional id the producer asks for idempotent writes, a cluster permission.
    return transactionalId(request) !== null
      ? ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
      : ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
  }
  if (GROUP_APIS.has(apiKey)) return ErrorCode.GROUP_AUTHORIZATION_FAILED;
  if (CLUSTER_APIS.has(apiKey)) return ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
  return ErrorCode.TOPIC_AUTHORIZATION_FAILED;
}
