// Quota series for /metrics: per enforced entity rate its quota, current rate and the throttling handed out (as
// Kafka's per-user/client-id "byte-rate", "throttle-time" metrics), and refused connections by reason.
import { type Exposition, labels } from "../metrics/metrics.ts";
import type { ClientQuotaManager, EnforcedQuota } from "./manager.ts";
import type { ConnectionLimits } from "./connections.ts";

export interface QuotaMetricsSource {
  readonly manager: ClientQuotaManager;
  readonly limits: ConnectionLimits;
}

function sensorLabels(s: EnforcedQuota): string {
  return labels({ quota: s.type, user: s.user, client_id: s.clientId, entity: s.entity });
}

export function renderQuotaMetrics(out: Exposition, src: QuotaMetricsSource, nowMs = Date.now()): void {
  const sensors = [...src.manager.sensors.values()];
  const all: EnforcedQuota[] = [...sensors, ...src.manager.mutationSensors.values()];
  out.family(
    "kgw_quota_limit",
    "gauge",
    "A client quota being enforced (bytes/s, percent of one event loop, partition mutations/s).",
  );
  out.capped("kgw_quota_limit", all.map((s) => [sensorLabels(s), s.quota]));
  out.family(
    "kgw_quota_rate",
    "gauge",
    "The client's current rate over the quota window, in the quota's unit.",
  );
  out.capped("kgw_quota_rate", sensors.map((s) => [sensorLabels(s), s.rate.perSecond(nowMs)]));
  out.family(
    "kgw_quota_throttle_time_ms_total",
    "counter",
    "Throttle time handed out (throttle_time_ms, mute).",
  );
  out.capped("kgw_quota_throttle_time_ms_total", all.map((s) => [sensorLabels(s), s.throttleMsTotal]));
  out.family("kgw_quota_throttled_responses_total", "counter", "Responses that carried a throttle time.");
  out.capped("kgw_quota_throttled_responses_total", all.map((s) => [sensorLabels(s), s.throttled]));
  out.family(
    "kgw_connections_refused_total",
    "counter",
    "Kafka connections refused, by limit (max-connections, max-connections-per-ip, connection-creation-rate).",
  );
  for (const [reason, n] of src.limits.refused) {
    out.sample("kgw_connections_refused_total", labels({ reason }), n);
  }
}
