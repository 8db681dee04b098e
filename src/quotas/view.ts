// The quotas as the admin API (/api/v1/quotas) and the dashboard show them: what is configured, what this gateway
// enforces now (per entity rate: its quota, current value, throttling handed out), refused connections.
import type { QuotaStore } from "./store.ts";
import { type ClientQuotaManager, configPath, QuotaSensor } from "./manager.ts";
import type { ConnectionLimits } from "./connections.ts";

export interface QuotaSources {
  readonly store: QuotaStore;
  readonly manager: ClientQuotaManager;
  readonly limits: ConnectionLimits;
}

export interface EnforcedInfo {
  readonly quota: string;
  readonly entity: string;
  readonly user: string;
  readonly clientId: string;
  readonly limit: number;
  /** The current rate over the quota window (null for controller_mutation_rate, a token bucket). */
  readonly rate: number | null;
  readonly throttledResponses: number;
  readonly throttleTimeMs: number;
}

export interface QuotasInfo {
  readonly window: { readonly samples: number; readonly sizeSeconds: number };
  readonly configured: { readonly entity: string; readonly values: Readonly<Record<string, number>> }[];
  readonly enforced: EnforcedInfo[];
  readonly connectionsRefused: Record<string, number>;
}

export function quotasInfo(q: QuotaSources, nowMs = Date.now()): QuotasInfo {
  const enforced: EnforcedInfo[] = [...q.manager.sensors.values(), ...q.manager.mutationSensors.values()].map(
    (s) => ({
      quota: s.type,
      entity: s.entity,
      user: s.user,
      clientId: s.clientId,
      limit: s.quota,
      rate: s instanceof QuotaSensor ? s.rate.perSecond(nowMs) : null,
      throttledResponses: s.throttled,
      throttleTimeMs: s.throttleMsTotal,
    }),
  );
  return {
    window: { samples: q.manager.rateWindow.samples, sizeSeconds: q.manager.rateWindow.windowMs / 1000 },
    configured: q.store.table.entries.map((e) => ({ entity: configPath(e.entity), values: e.values })),
    enforced,
    connectionsRefused: Object.fromEntries(q.limits.refused),
  };
}
