// DescribeClientQuotas and AlterClientQuotas over the quota store (ctx.broker.quotas), with Kafka's validation:
// known entity types only (user, client-id, ip), ip never combined with user or client-id, each type once, the
// quota keys of the entity's kind with positive values; a bad filter or entry answers INVALID_REQUEST naming the
// problem. AlterClientQuotas applies every valid entry in one compare-and-set write (validate_only: none).
import type { Handler, RequestContext } from "../request/context.ts";
import { ErrorCode } from "../protocol/errors.ts";
import type {
  DescribeClientQuotasRequest,
  DescribeClientQuotasResponse,
} from "../protocol/messages/describe_client_quotas.ts";
import type {
  AlterClientQuotasRequest,
  AlterClientQuotasResponse,
} from "../protocol/messages/alter_client_quotas.ts";
import {
  CLIENT_ID,
  ENTITY_TYPES,
  entityComponents,
  entityKey,
  type EntityType,
  IP,
  parseEntity,
  type QuotaEntity,
  type QuotaEntry,
  USER,
  valueProblem,
} from "./model.ts";
import type { QuotaStore } from "./store.ts";

const MATCH_EXACT = 0;
const MATCH_DEFAULT = 1;
const MATCH_ANY = 2;

function storeOf(ctx: RequestContext): QuotaStore | null {
  return ctx.broker.quotas?.store ?? null;
}

/** A parsed DescribeClientQuotas filter: per entity type, a name (exact), null (default) or "any". */
export type QuotaFilter = { readonly type: EntityType; readonly match: string | null | "any" }[];

/** The filter, or why Kafka refuses it. */
export function parseFilter(
  components: readonly { entityType: string; matchType: number; match: string | null }[],
): QuotaFilter | string {
  const out: { type: EntityType; match: string | null | "any" }[] = [];
  for (const c of components) {
    if (!(ENTITY_TYPES as readonly string[]).includes(c.entityType)) {
      return `unknown entity type ${c.entityType}`;
    }
    const type = c.entityType as EntityType;
    if (out.some((o) => o.type === type)) {
      return `entity type ${type} cannot appear more than once in the filter`;
    }
    if (c.matchType === MATCH_EXACT) {
      if (c.match === null) return "match type EXACT needs a match string";
      out.push({ type, match: c.match });
    } else if (c.matchType === MATCH_DEFAULT) {
      if (c.match !== null) return "match type DEFAULT takes no match string";
      out.push({ type, match: null });
    } else if (c.matchType === MATCH_ANY) {
      if (c.match !== null) return "match type ANY takes no match string";
      out.push({ type, match: "any" });
    } else {
      return `unknown match type ${c.matchType}`;
    }
  }
  const ip = out.some((o) => o.type === IP);
  if (ip && out.some((o) => o.type === USER || o.type === CLIENT_ID)) {
    return "an ip filter component cannot be combined with a user or client-id component";
  }
  return out;
}

function nameOf(e: QuotaEntity, type: EntityType): string | null | undefined {
  return type === USER ? e.user : type === CLIENT_ID ? e.clientId : e.ip;
}

/** Whether `filter` selects entity `e` (strict: `e` has no entity type the filter does not name). */
export function filterMatches(filter: QuotaFilter, strict: boolean, e: QuotaEntity): boolean {
  for (const f of filter) {
    const name = nameOf(e, f.type);
    if (name === undefined) return false;
    if (f.match !== "any" && name !== f.match) return false;
  }
  if (strict) {
    for (const t of ENTITY_TYPES) {
      if (nameOf(e, t) !== undefined && !filter.some((f) => f.type === t)) return false;
    }
  }
  return true;
}

export const describeClientQuotasHandler: Handler<DescribeClientQuotasRequest, DescribeClientQuotasResponse> =
  (
    ctx,
    req,
  ) => {
    const store = storeOf(ctx);
    if (store === null) {
      return {
        errorCode: ErrorCode.UNKNOWN_SERVER_ERROR,
        errorMessage: "quotas are not available",
        entries: null,
      };
    }
    const filter = parseFilter(req.components);
    if (typeof filter === "string") {
      return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: filter, entries: null };
    }
    const entries = store.table.entries
      .filter((e) => filterMatches(filter, req.strict, e.entity))
      .map((e) => ({
        entity: entityComponents(e.entity),
        values: Object.entries(e.values).map(([key, value]) => ({ key, value })),
      }));
    return { errorCode: ErrorCode.NONE, errorMessage: null, entries };
  };

interface Checked {
  readonly entity: QuotaEntity;
  readonly set: ReadonlyMap<string, number>;
  readonly remove: ReadonlySet<string>;
}

/** An AlterClientQuotas entry as a change, or why Kafka refuses it. */
export function checkAlterEntry(entry: AlterClientQuotasRequest["entries"][number]): Checked | string {
  const entity = parseEntity(entry.entity);
  if (typeof entity === "string") return entity;
  const set = new Map<string, number>();
  const remove = new Set<string>();
  for (const op of entry.ops) {
    if (set.has(op.key) || remove.has(op.key)) return `quota key ${op.key} appears more than once`;
    if (op.remove) {
      // A removal still names a key the entity could hold (Kafka refuses unknown keys either way).
      const problem = valueProblem(entity, op.key, 1);
      if (problem !== null) return problem;
      remove.add(op.key);
    } else {
      const problem = valueProblem(entity, op.key, op.value);
      if (problem !== null) return problem;
      set.set(op.key, op.value);
    }
  }
  return { entity, set, remove };
}

export const alterClientQuotasHandler: Handler<AlterClientQuotasRequest, AlterClientQuotasResponse> = async (
  ctx,
  req,
) => {
  const store = storeOf(ctx);
  const results = req.entries.map((e) => ({
    errorCode: ErrorCode.NONE as number,
    errorMessage: null as string | null,
    entity: e.entity.map((c) => ({ entityType: c.entityType, entityName: c.entityName })),
  }));
  const changes: Checked[] = [];
  const seen = new Set<string>();
  req.entries.forEach((entry, i) => {
    const checked = store === null ? "quotas are not available" : checkAlterEntry(entry);
    if (typeof checked !== "string") {
      const k = entityKey(checked.entity);
      if (!seen.has(k)) {
        seen.add(k);
        changes.push(checked);
        return;
      }
    }
    results[i].errorCode = store === null ? ErrorCode.UNKNOWN_SERVER_ERROR : ErrorCode.INVALID_REQUEST;
    results[i].errorMessage = typeof checked === "string" ? checked : "the entity appears more than once";
  });
  if (store === null || req.validateOnly || changes.length === 0) return { entries: results };
  try {
    await store.update((entries) => {
      for (const c of changes) {
        const k = entityKey(c.entity);
        const values: Record<string, number> = { ...(entries.get(k)?.values ?? {}) };
        for (const key of c.remove) delete values[key];
        for (const [key, v] of c.set) values[key] = v;
        const next: QuotaEntry = { entity: c.entity, values };
        entries.set(k, next);
      }
    });
  } catch (e) {
    ctx.log.error("AlterClientQuotas failed: {reason}", { reason: (e as Error).message });
    for (const r of results) {
      if (r.errorCode === ErrorCode.NONE) {
        r.errorCode = ErrorCode.UNKNOWN_SERVER_ERROR;
        r.errorMessage = (e as Error).message;
      }
    }
  }
  return { entries: results };
};
