// What the APIs' authorization rules share: the rule type of one API (typed by its spec), the whole-request
// refusals, and the typed per-resource split of a request list into allowed and refused entries.
import type { Answer, RequestContext } from "../../../request/context.ts";
import type { Allow, Deny, Narrow, Permissions, Verdict } from "../../../request/authorize.ts";
import { ALLOW } from "../../../request/authorize.ts";
import type { ApiSpec, RequestOf, ResponseOf } from "../../../protocol/schema.ts";
import { ErrorCode } from "../../../protocol/errors.ts";
import { ZERO_UUID } from "../../../protocol/codec.ts";
import { AclOperation as Op } from "../model.ts";

/** The verdict of API `S`'s rule: narrowed requests and completed answers have the API's own types. */
export type VerdictOf<S extends ApiSpec> = Verdict<RequestOf<S>, Answer<ResponseOf<S>>>;

/** API `S`'s rule as a function (ApiRegistry.register takes one of these, or ALLOW, for `S`). */
export type Rule<S extends ApiSpec> = (
  p: Permissions,
  ctx: RequestContext,
  req: RequestOf<S>,
) => VerdictOf<S> | Promise<VerdictOf<S>>;

export const deny = (errorCode: number): Deny => ({ kind: "deny", errorCode });
export const DENY_GROUP = deny(ErrorCode.GROUP_AUTHORIZATION_FAILED);
export const DENY_CLUSTER = deny(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
export const DENY_TXN = deny(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
export const DENY_TOPIC = deny(ErrorCode.TOPIC_AUTHORIZATION_FAILED);

/** Names of the properties of `T` that hold lists (possibly optional or nullable). */
export type ListKey<T> =
  & {
    [K in keyof T]-?: NonNullable<T[K]> extends readonly unknown[] ? K : never;
  }[keyof T]
  & string;

export interface ListSplit<S extends ApiSpec, E> {
  readonly request: RequestOf<S>;
  /** The request's list and its entries (`request[reqName]`), and the response's list answering it entry by entry. */
  readonly reqName: ListKey<RequestOf<S>>;
  readonly entries: readonly E[] | null | undefined;
  readonly resName: ListKey<Answer<ResponseOf<S>>>;
  /** How one request entry fares: 0 = allowed, else the error code it is refused with. */
  readonly classify: (entry: E) => number;
  /** Changes the allowed request further (e.g. Fetch: no long poll when nothing is left to fetch). */
  readonly adjust?: (allowed: RequestOf<S>, allowedCount: number) => RequestOf<S>;
  /** Changes to the handler's answer (e.g. authorized-operations fields). */
  readonly complete?: (response: Answer<ResponseOf<S>>) => Answer<ResponseOf<S>>;
}

/**
 * ALLOW when every entry is allowed (and there is nothing to complete), else a Narrow handing the handler the
 * allowed entries; the pipeline adds the refused ones to the response with their error codes.
 */
export function splitList<S extends ApiSpec, E>(_spec: S, s: ListSplit<S, E>): VerdictOf<S> {
  const allowed: E[] = [];
  const byCode = new Map<number, E[]>();
  for (const e of s.entries ?? []) {
    const code = s.classify(e);
    if (code === 0) allowed.push(e);
    else {
      const l = byCode.get(code);
      if (l === undefined) byCode.set(code, [e]);
      else l.push(e);
    }
  }
  if (byCode.size === 0 && s.complete === undefined) return ALLOW;
  let request: RequestOf<S> = s.request;
  if (byCode.size > 0) {
    request = Object.assign({}, s.request, { [s.reqName]: allowed });
    if (s.adjust !== undefined) request = s.adjust(request, allowed.length);
  }
  const narrow: Narrow<RequestOf<S>, Answer<ResponseOf<S>>> = {
    kind: "narrow",
    request,
    refused: byCode.size === 0 ? undefined : { reqName: s.reqName, resName: s.resName, byCode },
    complete: s.complete,
  };
  return narrow;
}

/** A Narrow that keeps the request and only changes the response. */
export function rewrite<S extends ApiSpec>(
  _spec: S,
  request: RequestOf<S>,
  complete: (response: Answer<ResponseOf<S>>) => Answer<ResponseOf<S>>,
): VerdictOf<S> {
  return { kind: "narrow", request, complete };
}

/**
 * A topic entry's name: by name, or by topic id (v13+ Fetch, DeleteTopics v6+); null when unresolvable. A version
 * without the name field decodes it as its default "" (Fetch v13+), so an empty name defers to the id.
 */
export function topicName(
  ctx: RequestContext,
  name: string | null | undefined,
  topicId?: string | null,
): string | null {
  const n = name ?? null;
  if (n !== null && n !== "") return n;
  if (topicId === undefined || topicId === null || topicId === ZERO_UUID) return n;
  return ctx.broker.storage.getTopicById(topicId)?.name ?? null;
}

/** How a topic entry fares under `op`: 0 (allowed) or TOPIC_AUTHORIZATION_FAILED. */
export function topicCode(p: Permissions, op: number, name: string | null): number {
  // An id that names no topic: the handler answers it (UNKNOWN_TOPIC_ID).
  return name === null || p.topic(op, name) ? 0 : ErrorCode.TOPIC_AUTHORIZATION_FAILED;
}

/** Whether a topic exists (the cache first; SeaweedMQ may know one created through another gateway). */
async function topicExists(ctx: RequestContext, name: string): Promise<boolean> {
  const s = ctx.broker.storage;
  return s.getTopic(name) !== undefined || (await s.findTopic?.(name)) !== undefined;
}

/**
 * Topics named in the request that would be auto-created but may not be (no CREATE). Synchronous when every
 * topic is known (the produce path's usual case); asks the backend only about names it does not hold.
 */
export function uncreatable(
  p: Permissions,
  ctx: RequestContext,
  names: Iterable<string>,
): Set<string> | Promise<Set<string>> {
  const out = new Set<string>();
  if (!ctx.broker.config.autoCreateTopics) return out;
  const unknown: string[] = [];
  for (const n of names) {
    if (ctx.broker.storage.getTopic(n) === undefined) unknown.push(n);
  }
  if (unknown.length === 0 || p.cluster(Op.CREATE)) return out;
  const candidates = unknown.filter((n) => !p.topic(Op.CREATE, n));
  if (candidates.length === 0) return out;
  return (async () => {
    for (const n of candidates) if (!await topicExists(ctx, n)) out.add(n);
    return out;
  })();
}

/** A rule needing `op` on the cluster (refused: CLUSTER_AUTHORIZATION_FAILED). */
export function clusterOnly(op: number): (p: Permissions) => Allow | Deny {
  return (p) => p.cluster(op) ? ALLOW : DENY_CLUSTER;
}

/** A rule needing `op` on the request's group (refused: GROUP_AUTHORIZATION_FAILED). */
export function groupOnly(
  op: number,
): (p: Permissions, ctx: RequestContext, req: { readonly groupId: string }) => Allow | Deny {
  return (p, _ctx, req) => p.group(op, req.groupId) ? ALLOW : DENY_GROUP;
}
