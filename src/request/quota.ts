// Quota step: after a request is handled, the QuotaManager sees who sent it and how large the request and its
// response were, and returns how long to throttle the client. As in Kafka since KIP-219, the response goes out
// at once with that time in its throttle_time_ms, and the connection is muted (its next request not read) for
// the same time; a client that ignores the field is held back all the same. Kafka's bandwidth quotas count
// produce request bytes and fetch response bytes, hence both sizes; request_percentage counts the request's time
// on the event loop. The gateway's QuotaManager is src/quotas/manager.ts.
import type { RequestContext } from "./context.ts";
import { type ApiSpec, parseRange, type Range } from "../protocol/schema.ts";
import type { QuotaKind } from "../quotas/model.ts";

export type { QuotaKind };

export interface QuotaManager {
  /**
   * Throttle time in ms (0: none) for a handled request. `requestBytes` is the request frame's size,
   * `responseBytes` the encoded response's (0 when none is sent: acks=0 Produce). Called once per request,
   * synchronously, before the response is queued. `loopMs` is the time the request held the event loop in its
   * synchronous stretches (its steps, its handler up to the first wait, its encoding), in ms. `kind` is the quota
   * the request's API counts against, registered with the API (src/handlers/apis.ts).
   */
  throttleMs(
    ctx: RequestContext,
    requestBytes: number,
    responseBytes: number,
    loopMs: number,
    kind: QuotaKind,
  ): number;
}

/** The default: no client is ever throttled. */
export const noQuotas: QuotaManager = {
  throttleMs: () => 0,
};

/** The response field every throttled response carries its throttle time in. */
export const THROTTLE_FIELD = "throttleTimeMs";

/**
 * The versions in which an API's response has throttle_time_ms, read from its schema (Kafka added the field to
 * most APIs in some version: Produce v1, Metadata v3, JoinGroup v2...); null when no version has it.
 */
export function throttleVersions(spec: ApiSpec): Range | null {
  const f = spec.response.find((f) => f.name === THROTTLE_FIELD);
  return f === undefined ? null : parseRange(f.versions);
}

/** Default quota delay: resolves after `ms`, or at once when `signal` aborts (the connection is closing). */
export function delay(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });
}
