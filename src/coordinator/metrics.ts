// The coordinator runtime's families of /metrics, one set for every coordinator on it (label `coordinator`).
import type { Exposition } from "../metrics/metrics.ts";
import { labels } from "../metrics/metrics.ts";
import type { RuntimeStats } from "./runtime.ts";

export function renderCoordinatorMetrics(
  out: Exposition,
  runtimes: readonly { readonly coordinator: string; readonly stats: RuntimeStats }[],
): void {
  out.family(
    "kgw_coordinator_partitions",
    "gauge",
    "__consumer_offsets partitions a coordinator holds, by state (a solo gateway's whole shard counts once).",
  );
  for (const r of runtimes) {
    out.sample(
      "kgw_coordinator_partitions",
      labels({ coordinator: r.coordinator, state: "loading" }),
      r.stats.loading,
    );
    out.sample(
      "kgw_coordinator_partitions",
      labels({ coordinator: r.coordinator, state: "active" }),
      r.stats.active,
    );
  }
  const counters: [string, string, (s: RuntimeStats) => number][] = [
    ["kgw_coordinator_loads_total", "Partition loads that made a coordinator serve them.", (s) => s.loads],
    [
      "kgw_coordinator_load_failures_total",
      "Partition loads that failed (retried by the cluster).",
      (s) => s.loadFailures,
    ],
    [
      "kgw_coordinator_load_seconds_total",
      "Time spent in successful partition loads.",
      (s) => s.loadMs / 1000,
    ],
    [
      "kgw_coordinator_fenced_writes_total",
      "Coordinator writes refused with NOT_COORDINATOR (partition not served here, or lost while writing).",
      (s) => s.fencedWrites,
    ],
  ];
  for (const [name, help, value] of counters) {
    out.family(name, "counter", help);
    for (const r of runtimes) out.sample(name, labels({ coordinator: r.coordinator }), value(r.stats));
  }
}
