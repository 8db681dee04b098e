// The embedded storage's background work: periodic tasks on unref'd timers (interval fsync, checkpoints,
// retention, the log cleaner), a run still going making its next tick skip, and the passes those tasks make over
// the partitions (fsyncs and checkpoint writes a few partitions at a time, so that thousands of partitions do not
// issue thousands of concurrent file operations).
import type { CompactionResult } from "./cleaner.ts";
import { errorText } from "./files.ts";
import { faultKind } from "./health.ts";
import type { LogFn, LogSettings } from "./options.ts";
import type { PartitionLog } from "./partition_log.ts";

/** Concurrent fsyncs / checkpoint writes of the background tasks. */
export const BACKGROUND_CONCURRENCY = 8;

export async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (t: T) => Promise<unknown>,
): Promise<void> {
  let i = 0;
  const worker = async () => {
    while (i < items.length) await fn(items[i++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export type Timer = ReturnType<typeof setInterval>;

/** Named periodic tasks that run while `running()` holds, never two runs of one task at once. */
export class PeriodicTasks {
  private timers: Timer[] = [];
  private readonly runs = new Map<string, Promise<void>>();

  constructor(private readonly log: LogFn, private readonly running: () => boolean) {}

  /** Runs `fn` every `ms` while running, never twice at once (a run still going skips the tick). */
  every(name: string, ms: number, fn: () => Promise<unknown>): Timer {
    const id = setInterval(() => {
      if (this.runs.has(name) || !this.running()) return;
      const p = fn().then(() => {}, (e) => this.log("error", `${name} task failed: ${errorText(e)}`))
        .finally(() => this.runs.delete(name));
      this.runs.set(name, p);
    }, ms);
    if (typeof id === "number") Deno.unrefTimer(id);
    else id.unref();
    this.timers.push(id);
    return id;
  }

  /** Stops the timer `old` and starts `name` with period `ms` instead; a run under way finishes. */
  replace(old: Timer, name: string, ms: number, fn: () => Promise<unknown>): Timer {
    clearInterval(old);
    this.timers = this.timers.filter((t) => t !== old);
    return this.every(name, ms, fn);
  }

  /** Stops every timer; runs under way go on (inFlight). */
  stop(): void {
    for (const id of this.timers) clearInterval(id);
    this.timers = [];
  }

  /** The runs under way. */
  inFlight(): Promise<void>[] {
    return [...this.runs.values()];
  }
}

/** fsyncs every partition's unsynced data (the fsync "interval" task). */
export async function syncAll(partitions: readonly PartitionLog[]): Promise<void> {
  await forEachLimit(partitions, BACKGROUND_CONCURRENCY, (p) => p.syncOnce());
}

/** Writes every partition's checkpoint when it changed (the checkpoint task). */
export async function checkpointAll(partitions: readonly PartitionLog[], log: LogFn): Promise<void> {
  await forEachLimit(
    partitions,
    BACKGROUND_CONCURRENCY,
    (p) =>
      p.writeCheckpoint(false).catch((e) => {
        // errno faults were counted and logged once by health; the rest would go unnoticed
        if (faultKind(e) === null) log("warn", `${p.name}: checkpoint: ${errorText(e)}`);
      }),
  );
}

/** One retention pass over `partitions`; returns the number of deleted segments. */
export async function retentionPass(partitions: readonly PartitionLog[], now: number): Promise<number> {
  let n = 0;
  for (const p of partitions) n += await p.enforceRetention(now);
  return n;
}

/** A topic as the log cleaner pass sees it: its current settings and partitions (read as the pass gets there). */
export interface CleanerTopic {
  readonly settings: LogSettings;
  readonly partitions: readonly PartitionLog[];
}

/**
 * One log cleaner pass over every partition of the topics with cleanup.policy=compact; returns what each partition
 * that was cleaned reported. Stops early once `stopping()` holds.
 */
export async function cleanerPass(
  topics: readonly CleanerTopic[],
  now: number,
  stopping: () => boolean,
  log: LogFn,
): Promise<CompactionResult[]> {
  const out: CompactionResult[] = [];
  for (const t of topics) {
    if (!t.settings.cleanupCompact) continue;
    for (const p of t.partitions) {
      if (stopping()) return out;
      try {
        const r = await p.compact(now, stopping);
        if (r) out.push(r);
      } catch (e) {
        log("error", `${p.name}: compaction failed: ${errorText(e)}`);
      }
    }
  }
  return out;
}
