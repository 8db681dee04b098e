// Transactions as operators see them: /metrics families, the admin API's /api/v1/transactions and the dashboard's
// "Open transactions" panel, read from the transaction coordinator (the ids this gateway coordinates) and the
// producer state of the partitions it leads (last stable offsets) at scrape time.
import { type Exposition, labels } from "../metrics/metrics.ts";
import type { TxnStats, TxnView } from "./options.ts";
import type { RuntimeStats } from "../coordinator/runtime.ts";

/** What the operations side reads: the coordinator's counters and current transactions. */
export interface TxnOpsSource {
  stats(): TxnStats;
  transactions(): TxnView[];
  /** Its partitions on the coordinator runtime (src/coordinator/metrics.ts). */
  runtimeStats(): RuntimeStats;
}

export interface TransactionsInfo {
  readonly coordinatedIds: number;
  readonly open: number;
  readonly committed: number;
  readonly aborted: number;
  readonly timedOut: number;
  /** Transactions not idle (Ongoing, Prepare*), oldest first. */
  readonly current: readonly {
    readonly transactionalId: string;
    readonly producerId: number;
    readonly producerEpoch: number;
    readonly state: string;
    readonly timeoutMs: number;
    readonly startedAt: string | null;
    readonly ageMs: number | null;
    readonly partitions: readonly string[];
  }[];
}

const IDLE_STATES = new Set(["Empty", "CompleteCommit", "CompleteAbort", "Dead"]);

export function transactionsInfo(src: TxnOpsSource, now = Date.now()): TransactionsInfo {
  const s = src.stats();
  const current = src.transactions()
    .filter((t) => !IDLE_STATES.has(t.state))
    .sort((a, b) => a.startMs - b.startMs)
    .map((t) => ({
      transactionalId: t.transactionalId,
      producerId: t.producerId,
      producerEpoch: t.producerEpoch,
      state: t.state,
      timeoutMs: t.timeoutMs,
      startedAt: t.startMs >= 0 ? new Date(t.startMs).toISOString() : null,
      ageMs: t.startMs >= 0 ? Math.max(0, now - t.startMs) : null,
      partitions: t.partitions.map((p) => `${p.topic}-${p.partition}`),
    }));
  return {
    coordinatedIds: s.ids,
    open: s.open,
    committed: s.committed,
    aborted: s.aborted,
    timedOut: s.timedOut,
    current,
  };
}

export function renderTxnMetrics(out: Exposition, src: TxnOpsSource): void {
  const s = src.stats();
  out.family("kgw_transactional_ids", "gauge", "Transactional ids this gateway coordinates.");
  out.sample("kgw_transactional_ids", "", s.ids);
  out.family(
    "kgw_transactions_open",
    "gauge",
    "Transactions Ongoing or ending (PrepareCommit/PrepareAbort).",
  );
  out.sample("kgw_transactions_open", "", s.open);
  out.family(
    "kgw_transactions_ended_total",
    "counter",
    "Transactions ended by this coordinator, by result (committed, aborted; timed-out ones count as aborted).",
  );
  out.sample("kgw_transactions_ended_total", labels({ result: "committed" }), s.committed);
  out.sample("kgw_transactions_ended_total", labels({ result: "aborted" }), s.aborted);
  out.family(
    "kgw_transactions_timed_out_total",
    "counter",
    "Transactions aborted by the coordinator because they outlived transaction.timeout.ms.",
  );
  out.sample("kgw_transactions_timed_out_total", "", s.timedOut);
}
