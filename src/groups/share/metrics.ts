// The share-group metrics (/metrics): share-partitions led here with their records by state, open share sessions,
// and what happened to records since start (acquired, accepted, released, rejected, archived, lock timeouts).
import { type Exposition, labels } from "../../metrics/metrics.ts";
import type { ShareService } from "./service.ts";

export function renderShareMetrics(out: Exposition, s: ShareService): void {
  const views = s.partitions.views();
  out.family(
    "kgw_share_partitions",
    "gauge",
    "Share-partitions (group, topic, partition) this gateway leads.",
  );
  out.sample("kgw_share_partitions", "", views.length);
  out.family(
    "kgw_share_sessions",
    "gauge",
    "Open share sessions of share consumers fetching from this gateway.",
  );
  out.sample("kgw_share_sessions", "", s.sessions.size);
  out.family(
    "kgw_share_records_in_flight",
    "gauge",
    "Records between share-partition start and end, by state.",
  );
  const byState = new Map<string, number>();
  for (const v of views) {
    for (const [state, n] of Object.entries(v.states)) byState.set(state, (byState.get(state) ?? 0) + n);
  }
  for (const state of ["AVAILABLE", "ACQUIRED", "ACKNOWLEDGED", "ARCHIVED"]) {
    out.sample(
      "kgw_share_records_in_flight",
      labels({ state: state.toLowerCase() }),
      byState.get(state) ?? 0,
    );
  }
  out.family("kgw_share_records_total", "counter", "Share group record outcomes since start.");
  const c = s.partitions.counters;
  for (
    const [outcome, n] of [
      ["acquired", c.acquired],
      ["accepted", c.accepted],
      ["released", c.released],
      ["rejected", c.rejected],
      ["archived", c.archived],
      ["lock_timeout", c.lockTimeouts],
      ["renewed", c.renewed],
    ] as const
  ) out.sample("kgw_share_records_total", labels({ outcome }), n);
}
