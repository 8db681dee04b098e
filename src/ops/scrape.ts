// The scrape-time families of /metrics (src/ops/http.ts): state read from its owners when Prometheus asks
// (partitions, groups, lag, producer state, transactions, quotas, readiness), not tracked on the request path.
import { VERSION } from "../configs/options.ts";
import { renderQuotaMetrics } from "../quotas/metrics.ts";
import { renderTxnMetrics } from "../transactions/view.ts";
import { renderShareMetrics } from "../groups/share/metrics.ts";
import { renderCoordinatorMetrics } from "../coordinator/metrics.ts";
import type { GroupType, MemberState } from "../groups/consumer/contract.ts";
import { type Exposition, labels } from "../metrics/metrics.ts";
import { fsyncCounts } from "../storage/embedded/files.ts";
import {
  clusterInfo,
  consumerGroupOf,
  GROUP_STATES,
  type OpsSources,
  partitionInfo,
  type Readiness,
  Watermarks,
} from "./state.ts";

const PARTITION_FAMILIES = [
  "kgw_partition_high_watermark",
  "kgw_partition_log_start_offset",
  "kgw_partition_size_bytes",
  "kgw_partition_lso_lag",
] as const;

/** State read at scrape time: connections, groups, members, lag, watermarks and sizes, readiness. */
export async function renderState(
  src: OpsSources | null,
  ready: Readiness,
  out: Exposition,
): Promise<void> {
  out.family(
    "kgw_ready",
    "gauge",
    "1 when /readyz passes (listener up, storage recovered, backend reachable).",
  );
  out.sample("kgw_ready", "", ready.ready ? 1 : 0);
  if (src === null) return;
  out.family("kgw_build_info", "gauge", "Constant 1; labels describe the gateway.");
  out.sample(
    "kgw_build_info",
    labels({
      version: VERSION,
      backend: src.storage.kind,
      cluster_id: src.clusterId,
      node_id: src.config.nodeId,
    }),
    1,
  );
  const cluster = clusterInfo(src);
  out.family(
    "kgw_cluster_brokers",
    "gauge",
    "Live gateways (Kafka brokers) of the cluster, as this one knows.",
  );
  out.sample("kgw_cluster_brokers", "", cluster.brokers.length);
  out.family("kgw_cluster_is_controller", "gauge", "1 on the gateway that assigns partitions to gateways.");
  out.sample("kgw_cluster_is_controller", "", cluster.controllerId === cluster.nodeId ? 1 : 0);
  out.family(
    "kgw_cluster_assignment_version",
    "gauge",
    "Version of the partition assignment this gateway applied (0: a solo gateway).",
  );
  out.sample("kgw_cluster_assignment_version", "", cluster.assignmentVersion);
  out.family(
    "kgw_cluster_partitions_serving",
    "gauge",
    "Partitions (__consumer_offsets included) this gateway leads and serves now.",
  );
  out.sample("kgw_cluster_partitions_serving", "", cluster.servingPartitions);
  out.family(
    "kgw_cluster_partitions_leaderless",
    "gauge",
    "Partitions (__consumer_offsets included) no live gateway leads, as this one knows.",
  );
  out.sample("kgw_cluster_partitions_leaderless", "", cluster.leaderlessPartitions);
  if (src.storage.kind === "embedded") {
    out.family(
      "kgw_storage_fsyncs_total",
      "counter",
      "fsync/fdatasync calls of the embedded log, by file kind: segment, group_log, directory, metadata.",
    );
    for (const [file, n] of Object.entries(fsyncCounts)) {
      out.sample("kgw_storage_fsyncs_total", labels({ file }), n);
    }
  }
  out.family("kgw_connections_active", "gauge", "Open Kafka connections.");
  out.sample("kgw_connections_active", "", src.server.connectionCount);
  const mem = src.server.requestMemory;
  out.family(
    "kgw_request_memory_bytes",
    "gauge",
    "Bytes of large requests received or being received and not yet handled (queued-max-request-bytes).",
  );
  out.sample("kgw_request_memory_bytes", "", mem.inUse);
  out.family("kgw_request_memory_limit_bytes", "gauge", "The queued-max-request-bytes budget.");
  out.sample("kgw_request_memory_limit_bytes", "", mem.capacity);
  out.family(
    "kgw_request_memory_waiting",
    "gauge",
    "Connections waiting for room in the request memory budget before reading a large request.",
  );
  out.sample("kgw_request_memory_waiting", "", mem.waiting);

  const topics = src.storage.listTopics();
  out.family("kgw_topics", "gauge", "Topics.");
  out.sample("kgw_topics", "", topics.length);
  out.family("kgw_partitions", "gauge", "Partitions of all topics.");
  out.sample("kgw_partitions", "", topics.reduce((s, t) => s + t.partitions, 0));

  const hwRows: [string, number][] = [];
  const lsoRows: [string, number][] = [];
  const sizeRows: [string, number][] = [];
  const lsoLagRows: [string, number][] = [];
  const hw = new Watermarks(src.storage);
  let n = 0;
  for (const t of topics) {
    for (let p = 0; p < t.partitions; p++) {
      if (n++ >= out.maxSeries) {
        // Not even looked up: the cap also bounds the scrape's work.
        for (const f of PARTITION_FAMILIES) out.dropped.set(f, (out.dropped.get(f) ?? 0) + 1);
        continue;
      }
      const info = await partitionInfo(src.storage, t, p);
      const l = labels({ topic: t.name, partition: p });
      hwRows.push([l, info.highWatermark]);
      lsoRows.push([l, info.logStartOffset]);
      if (info.sizeBytes >= 0) sizeRows.push([l, info.sizeBytes]);
      // Partitions whose producer state is loaded here (idempotent or transactional producers, read_committed reads)
      const st = src.producers?.peek(t, p);
      if (st !== undefined) {
        lsoLagRows.push([l, info.highWatermark - st.lastStableOffset(info.highWatermark)]);
      }
    }
  }
  out.family("kgw_partition_high_watermark", "gauge", "Next offset to be written, by topic and partition.");
  out.capped("kgw_partition_high_watermark", hwRows);
  out.family("kgw_partition_log_start_offset", "gauge", "First readable offset, by topic and partition.");
  out.capped("kgw_partition_log_start_offset", lsoRows);
  out.family("kgw_partition_size_bytes", "gauge", "Bytes stored by the backend, by topic and partition.");
  out.capped("kgw_partition_size_bytes", sizeRows);
  out.family(
    "kgw_partition_lso_lag",
    "gauge",
    "High watermark minus last stable offset (records held back from read_committed consumers by open " +
      "transactions), for partitions whose producer state this gateway holds.",
  );
  out.capped("kgw_partition_lso_lag", lsoLagRows);
  if (src.transactions) renderTxnMetrics(out, src.transactions);
  renderCoordinatorMetrics(out, [
    { coordinator: "group", stats: src.coordinator.runtimeStats() },
    ...(src.transactions ? [{ coordinator: "transaction", stats: src.transactions.runtimeStats() }] : []),
  ]);
  if (src.quotas) renderQuotaMetrics(out, src.quotas);
  if (src.shares) renderShareMetrics(out, src.shares);

  const list = src.coordinator.list();
  const byState = new Map<string, number>(GROUP_STATES.map((s) => [s, 0]));
  const byType = new Map<GroupType, number>([["classic", 0], ["consumer", 0], ["share", 0]]);
  for (const g of list) {
    byState.set(g.state, (byState.get(g.state) ?? 0) + 1);
    byType.set(g.type, (byType.get(g.type) ?? 0) + 1);
  }
  out.family("kgw_groups", "gauge", "Consumer groups by state.");
  for (const [state, count] of byState) out.sample("kgw_groups", labels({ state }), count);
  out.family(
    "kgw_groups_by_type",
    "gauge",
    "Groups by type: classic, consumer (KIP-848) or share (KIP-932).",
  );
  for (const [type, count] of byType) out.sample("kgw_groups_by_type", labels({ type }), count);

  const memberRows: [string, number][] = [];
  const reconcilingRows: [string, number][] = [];
  const committedRows: [string, number][] = [];
  const lagRows: [string, number][] = [];
  let members = 0;
  for (const g of list) {
    const cg = await consumerGroupOf(src, g.groupId);
    const count = cg !== null
      ? cg.members.length
      : g.type === "share"
      ? src.coordinator.describeShareGroup(g.groupId).members.length
      : src.coordinator.describe(g.groupId).members.length;
    members += count;
    memberRows.push([labels({ group: g.groupId }), count]);
    if (cg !== null) {
      const states = new Map<MemberState, number>();
      for (const m of cg.members) states.set(m.state, (states.get(m.state) ?? 0) + 1);
      for (const [state, n] of states) reconcilingRows.push([labels({ group: g.groupId, state }), n]);
    }
    for (const o of src.coordinator.fetchOffsets(g.groupId, null)) {
      const l = labels({ group: g.groupId, topic: o.topic, partition: o.partition });
      committedRows.push([l, o.offset]);
      const high = await hw.get(o.topic, o.partition);
      if (high >= 0 && o.offset >= 0) lagRows.push([l, Math.max(0, high - o.offset)]);
    }
  }
  // Not _total: that suffix is for counters (promtool check metrics).
  out.family("kgw_group_members_all", "gauge", "Members of all consumer groups.");
  out.sample("kgw_group_members_all", "", members);
  out.family("kgw_group_members", "gauge", "Members of a consumer group.");
  out.capped("kgw_group_members", memberRows);
  out.family(
    "kgw_consumer_group_members_by_reconciliation",
    "gauge",
    "Members of KIP-848 consumer groups by reconciliation state (STABLE, UNREVOKED_PARTITIONS, " +
      "UNRELEASED_PARTITIONS).",
  );
  out.capped("kgw_consumer_group_members_by_reconciliation", reconcilingRows);
  out.family(
    "kgw_consumer_group_committed_offset",
    "gauge",
    "Committed offset, by group, topic and partition.",
  );
  out.capped("kgw_consumer_group_committed_offset", committedRows);
  out.family(
    "kgw_consumer_group_lag",
    "gauge",
    "High watermark minus committed offset, by group, topic and partition.",
  );
  out.capped("kgw_consumer_group_lag", lagRows);
}
