// controller_mutation_rate (KIP-599) around the CreateTopics, CreatePartitions and DeleteTopics handlers: each
// topic takes its partitions (created, added or deleted) from the principal's and client id's mutation quota, in
// request order. From CreateTopics v6, CreatePartitions v3 and DeleteTopics v5 (the versions whose clients know
// THROTTLING_QUOTA_EXCEEDED) a topic met while the quota is exhausted is not touched and answers
// THROTTLING_QUOTA_EXCEEDED; older versions are never refused, only throttled (the quota step, manager.ts, adds
// the throttle time to every response of these APIs). validate_only requests change nothing and take nothing;
// topics the handler refused give their partitions back.
import type { Broker, Handler, RequestContext } from "../request/context.ts";
import type { ApiSpec, RequestOf, ResponseOf } from "../protocol/schema.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { errorResponse } from "../protocol/error_response.ts";

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null;
}

/** How one of the three APIs lists its topics and what each topic changes. */
export interface MutationApi {
  /** First version answering THROTTLING_QUOTA_EXCEEDED. */
  readonly strictFrom: number;
  /** The request's list of topics at `version`. */
  requestList(version: number): string;
  /** The response's list of results. */
  readonly responseList: string;
  /** A request entry's topic name (null when named by id only). */
  name(item: unknown): string | null;
  /** Partitions the request entry creates or deletes. */
  permits(broker: Broker, item: unknown): number;
}

const str = (v: unknown): string | null => typeof v === "string" ? v : null;
const num = (v: unknown): number => typeof v === "number" ? v : 0;

export const CREATE_TOPICS: MutationApi = {
  strictFrom: 6,
  requestList: () => "topics",
  responseList: "topics",
  name: (item) => isObj(item) ? str(item.name) : null,
  permits: (broker, item) => {
    if (!isObj(item)) return 0;
    const n = num(item.numPartitions);
    if (n > 0) return n;
    const assigned = Array.isArray(item.assignments) ? item.assignments.length : 0;
    return assigned > 0 ? assigned : broker.config.numPartitions;
  },
};

export const CREATE_PARTITIONS: MutationApi = {
  strictFrom: 3,
  requestList: () => "topics",
  responseList: "results",
  name: (item) => isObj(item) ? str(item.name) : null,
  permits: (broker, item) => {
    if (!isObj(item)) return 0;
    const name = str(item.name);
    const current = name === null ? 0 : broker.storage.getTopic(name)?.partitions ?? 0;
    return Math.max(0, num(item.count) - current);
  },
};

export const DELETE_TOPICS: MutationApi = {
  strictFrom: 5,
  requestList: (v) => v >= 6 ? "topics" : "topicNames",
  responseList: "responses",
  name: (item) => typeof item === "string" ? item : isObj(item) ? str(item.name) : null,
  permits: (broker, item) => {
    if (typeof item === "string") return broker.storage.getTopic(item)?.partitions ?? 0;
    if (!isObj(item)) return 0;
    const name = str(item.name);
    const id = str(item.topicId);
    const t = name !== null
      ? broker.storage.getTopic(name)
      : id !== null
      ? broker.storage.getTopicById(id)
      : undefined;
    return t?.partitions ?? 0;
  },
};

const MESSAGE = "the client's controller_mutation_rate quota is exhausted: retry after the throttle time";

/** `handler` with the controller mutation quota applied (a no-op for clients without one). */
export function withMutationQuota<S extends ApiSpec>(
  spec: S,
  api: MutationApi,
  handler: Handler<RequestOf<S>, ResponseOf<S>>,
): Handler<RequestOf<S>, ResponseOf<S>> {
  return async (ctx: RequestContext, req: RequestOf<S>) => {
    const manager = ctx.broker.quotas?.manager;
    const sensor = manager?.mutationSensor(ctx.principal.name, ctx.header.clientId ?? "") ?? null;
    const r: Obj = isObj(req) ? req : {};
    if (manager === undefined || sensor === null || r.validateOnly === true) return await handler(ctx, req);
    const version = ctx.header.apiVersion;
    const listName = api.requestList(version);
    const items = Array.isArray(r[listName]) ? r[listName] as unknown[] : [];
    const strict = version >= api.strictFrom;
    const now = manager.nowMs();
    const allowed: unknown[] = [];
    const refused: unknown[] = [];
    const taken = new Map<string, number>();
    for (const item of items) {
      if (strict && sensor.exceeded(now)) {
        refused.push(item);
        continue;
      }
      const permits = api.permits(ctx.broker, item);
      sensor.record(permits, now);
      const name = api.name(item);
      if (name !== null) taken.set(name, (taken.get(name) ?? 0) + permits);
      allowed.push(item);
    }
    const narrowed = refused.length === 0 ? req : { ...r, [listName]: allowed } as unknown as RequestOf<S>;
    const res = await handler(ctx, narrowed);
    const out: Obj | null = isObj(res) ? res : null;
    if (out === null) return res;
    const results = Array.isArray(out[api.responseList]) ? out[api.responseList] as unknown[] : [];
    for (const entry of results) {
      // A topic the handler refused (exists, invalid, unknown) changed nothing: its partitions go back.
      if (!isObj(entry) || entry.errorCode === ErrorCode.NONE) continue;
      const name = str(entry.name);
      const back = name === null ? 0 : taken.get(name) ?? 0;
      if (back > 0) sensor.record(-back, manager.nowMs());
    }
    if (refused.length > 0) {
      const refusal = errorResponse(
        spec,
        version,
        { ...r, [listName]: refused },
        ErrorCode.THROTTLING_QUOTA_EXCEEDED,
        MESSAGE,
      );
      const extra = Array.isArray(refusal[api.responseList]) ? refusal[api.responseList] as unknown[] : [];
      out[api.responseList] = [...results, ...extra];
    }
    return res;
  };
}
