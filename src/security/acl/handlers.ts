// CreateAcls, DescribeAcls and DeleteAcls over the ACL store (ctx.broker.acls). Without an authorizer
// (--authorizer none) they answer SECURITY_DISABLED, as a Kafka broker without one does, so clients get a clear
// error instead of ACLs that nothing would enforce. Who may call them is the authorizer's business (Cluster
// DESCRIBE for DescribeAcls, Cluster ALTER for the others).
import type { Handler, RequestContext } from "../../request/context.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { CreateAclsRequest, CreateAclsResponse } from "../../protocol/messages/create_acls.ts";
import type { DescribeAclsRequest, DescribeAclsResponse } from "../../protocol/messages/describe_acls.ts";
import type { DeleteAclsRequest, DeleteAclsResponse } from "../../protocol/messages/delete_acls.ts";
import {
  type AclBinding,
  type AclFilter,
  type AclOperation,
  bindingKey,
  bindingProblem,
  filterMatches,
  filterProblem,
  PatternType,
  type Permission,
  type ResourceType,
} from "./model.ts";
import type { AclStore } from "./store.ts";

const DISABLED = "no authorizer is configured (start the gateway with --authorizer acl)";

function storeOf(ctx: RequestContext): AclStore | null {
  return ctx.broker.acls ?? null;
}

type FilterFields = {
  resourceTypeFilter: number;
  resourceNameFilter: string | null;
  patternTypeFilter?: number;
  principalFilter: string | null;
  hostFilter: string | null;
  operation: number;
  permissionType: number;
};

function toFilter(f: FilterFields): AclFilter {
  return {
    resourceType: f.resourceTypeFilter,
    resourceName: f.resourceNameFilter,
    // v0 has no pattern type: its filters are LITERAL.
    patternType: f.patternTypeFilter ?? PatternType.LITERAL,
    principal: f.principalFilter,
    host: f.hostFilter,
    operation: f.operation,
    permission: f.permissionType,
  };
}

export const describeAclsHandler: Handler<DescribeAclsRequest, DescribeAclsResponse> = (ctx, req) => {
  const store = storeOf(ctx);
  if (store === null) {
    return { errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: DISABLED, resources: [] };
  }
  const filter = toFilter(req);
  const problem = filterProblem(filter);
  if (problem !== null) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: problem, resources: [] };
  // One entry per resource pattern, its ACLs below it, as Kafka groups them.
  const byPattern = new Map<string, DescribeAclsResponse["resources"][number]>();
  for (const b of store.all()) {
    if (!filterMatches(filter, b)) continue;
    const key = JSON.stringify([b.resourceType, b.patternType, b.resourceName]);
    let r = byPattern.get(key);
    if (r === undefined) {
      r = {
        resourceType: b.resourceType,
        resourceName: b.resourceName,
        patternType: b.patternType,
        acls: [],
      };
      byPattern.set(key, r);
    }
    r.acls.push({
      principal: b.principal,
      host: b.host,
      operation: b.operation,
      permissionType: b.permission,
    });
  }
  return { errorCode: ErrorCode.NONE, errorMessage: null, resources: [...byPattern.values()] };
};

export const createAclsHandler: Handler<CreateAclsRequest, CreateAclsResponse> = async (ctx, req) => {
  const store = storeOf(ctx);
  if (store === null) {
    return {
      results: req.creations.map(() => ({ errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: DISABLED })),
    };
  }
  const results: CreateAclsResponse["results"] = [];
  const valid: AclBinding[] = [];
  const validAt: number[] = [];
  for (const c of req.creations) {
    const b: AclBinding = {
      resourceType: c.resourceType as ResourceType,
      resourceName: c.resourceName,
      patternType: (c.resourcePatternType ?? PatternType.LITERAL) as PatternType,
      principal: c.principal,
      host: c.host,
      operation: c.operation as AclOperation,
      permission: c.permissionType as Permission,
    };
    const problem = bindingProblem(b);
    results.push({
      errorCode: problem === null ? ErrorCode.NONE : ErrorCode.INVALID_REQUEST,
      errorMessage: problem,
    });
    if (problem === null) {
      valid.push(b);
      validAt.push(results.length - 1);
    }
  }
  if (valid.length === 0) return { results };
  try {
    await store.update((acls) => {
      const have = new Set(acls.map(bindingKey));
      for (const b of valid) if (!have.has(bindingKey(b))) acls.push(b);
    });
    ctx.log.info("ACLs created by {principal}: {n}", {
      principal: `${ctx.principal.type}:${ctx.principal.name}`,
      n: valid.length,
    });
  } catch (e) {
    const message = `the ACLs could not be stored: ${(e as Error).message}`;
    ctx.log.error("CreateAcls: {reason}", { reason: message });
    for (const i of validAt) {
      results[i] = { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: message };
    }
  }
  return { results };
};

type MatchingAcl = DeleteAclsResponse["filterResults"][number]["matchingAcls"][number];

function matching(b: AclBinding): MatchingAcl {
  return {
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    resourceType: b.resourceType,
    resourceName: b.resourceName,
    patternType: b.patternType,
    principal: b.principal,
    host: b.host,
    operation: b.operation,
    permissionType: b.permission,
  };
}

export const deleteAclsHandler: Handler<DeleteAclsRequest, DeleteAclsResponse> = async (ctx, req) => {
  const store = storeOf(ctx);
  if (store === null) {
    return {
      filterResults: req.filters.map(() => ({
        errorCode: ErrorCode.SECURITY_DISABLED,
        errorMessage: DISABLED,
        matchingAcls: [],
      })),
    };
  }
  const filters = req.filters.map(toFilter);
  const problems = filters.map(filterProblem);
  try {
    const results = await store.update((acls) => {
      const out: DeleteAclsResponse["filterResults"] = filters.map((f, i) => {
        const problem = problems[i];
        if (problem !== null) {
          return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: problem, matchingAcls: [] };
        }
        return {
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          matchingAcls: acls.filter((b) => filterMatches(f, b)).map(matching),
        };
      });
      // Remove what any valid filter matched.
      const keep = acls.filter((b) => !filters.some((f, i) => problems[i] === null && filterMatches(f, b)));
      acls.splice(0, acls.length, ...keep);
      return out;
    });
    const n = results.reduce((s, r) => s + r.matchingAcls.length, 0);
    if (n > 0) {
      ctx.log.info("ACLs deleted by {principal}: {n}", {
        principal: `${ctx.principal.type}:${ctx.principal.name}`,
        n,
      });
    }
    return { filterResults: results };
  } catch (e) {
    const message = `the ACLs could not be stored: ${(e as Error).message}`;
    ctx.log.error("DeleteAcls: {reason}", { reason: message });
    return {
      filterResults: filters.map(() => ({
        errorCode: ErrorCode.UNKNOWN_SERVER_ERROR,
        errorMessage: message,
        matchingAcls: [],
      })),
    };
  }
};
