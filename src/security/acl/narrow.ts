// Building Narrow verdicts generically from an API's schema: split a request list (topics, groups, resources)
// into the entries the principal may use and those it may not, hand the handler the allowed part, and add the
// refused entries to the response's matching list with their error codes. The refused entries are built by the
// pipeline's errorResponse over the two lists alone, so each gets the identity and nesting the API's response
// has (Produce: per partition; DescribeGroups: per group).
import { type ApiSpec, type Field, inRange } from "../../protocol/schema.ts";
import { errorResponse } from "../../protocol/error_response.ts";
import { ALLOW, type Verdict } from "../../request/authorize.ts";

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function fieldAt(fields: readonly Field[], name: string, v: number): Field | undefined {
  return fields.find((f) => f.name === name && inRange(f.versions, v));
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

/** How one request entry fares: 0 = allowed, else the error code it is refused with. */
export type Classify = (entry: unknown) => number;

export interface ListSplit {
  readonly spec: ApiSpec;
  readonly version: number;
  readonly request: Obj;
  /** The request's list and the response's list that answers it entry by entry. */
  readonly reqName: string;
  readonly resName: string;
  readonly classify: Classify;
  /** Changes the allowed request further (e.g. Fetch: no long poll when nothing is left to fetch). */
  readonly adjust?: (allowed: Obj, allowedCount: number) => void;
  /** Further changes to the completed response (e.g. authorized-operations fields). */
  readonly finish?: (response: Obj) => void;
}

/** ALLOW when every entry is allowed (and there is nothing to finish), else a Narrow. */
export function splitList(s: ListSplit): Verdict {
  const list = s.request[s.reqName];
  const allowed: unknown[] = [];
  const refused = new Map<number, unknown[]>();
  if (Array.isArray(list)) {
    for (const e of list) {
      const code = s.classify(e);
      if (code === 0) allowed.push(e);
      else {
        const l = refused.get(code);
        if (l === undefined) refused.set(code, [e]);
        else l.push(e);
      }
    }
  }
  if (refused.size === 0 && s.finish === undefined) return ALLOW;
  const request: Obj = refused.size === 0 ? s.request : { ...s.request, [s.reqName]: allowed };
  if (refused.size > 0) s.adjust?.(request, allowed.length);
  return {
    kind: "narrow",
    request,
    complete(response: unknown): unknown {
      if (!isObj(response)) return response;
      if (refused.size > 0) {
        const have = response[s.resName];
        const out: unknown[] = Array.isArray(have) ? [...have] : [];
        for (const [code, entries] of refused) {
          out.push(...refusedEntries(s.spec, s.version, s.reqName, s.resName, entries, code));
        }
        response[s.resName] = out;
      }
      s.finish?.(response);
      return response;
    },
  };
}

/** A Narrow that keeps the request and only rewrites the response. */
export function rewrite(request: unknown, complete: (response: Obj) => void): Verdict {
  return {
    kind: "narrow",
    request,
    complete(response: unknown): unknown {
      if (isObj(response)) complete(response);
      return response;
    },
  };
}
