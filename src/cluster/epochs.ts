// Leader epoch history of a partition: [epoch, startOffset] pairs (Kafka's leader-epoch-checkpoint), recorded by
// each new leader when it takes the partition over (start = the log end then), kept in the filer next to the
// topic's other gateway metadata (leader_epochs/<topic>/<partition>) and removed with the topic. Answers
// OffsetForLeaderEpoch and the epoch stamped on fetched batches.
import type { Filer } from "../storage/seaweedmq/transport/filer.ts";
import { json, type MetaPaths, parseJson } from "../storage/seaweedmq/meta.ts";

/** [leader epoch, first offset written under it]. */
export type EpochEntry = readonly [epoch: number, startOffset: number];

/** Old entries beyond this are dropped (a partition led by ever-new gateways must not grow without bound). */
export const MAX_EPOCH_ENTRIES = 1000;

/**
 * The history after `epoch` started at `startOffset`, or null when it already says so. As Kafka's
 * LeaderEpochFileCache.assign: entries with an epoch >= the new one or a start >= the new start (epochs under which
 * nothing was written) are dropped, so start offsets strictly increase.
 */
export function assignEpoch(
  history: readonly EpochEntry[],
  epoch: number,
  startOffset: number,
): EpochEntry[] | null {
  const last = history[history.length - 1];
  if (last !== undefined && last[0] === epoch) return null;
  if (last !== undefined && last[0] > epoch) return null; // epochs never go backwards: a stale assignment
  const kept = history.filter(([e, s]) => e < epoch && s < startOffset);
  kept.push([epoch, startOffset]);
  return kept.length > MAX_EPOCH_ENTRIES ? kept.slice(kept.length - MAX_EPOCH_ENTRIES) : kept;
}

/**
 * OffsetForLeaderEpoch, as Kafka's LeaderEpochFileCache.endOffsetFor: the latest epoch ends at the log end; an
 * older one at the start of the next known epoch, reported as the largest known epoch <= it (or as itself when it
 * is below every known epoch); an epoch above every known one, or -1, is unknown: {-1, -1}.
 */
export function endOffsetFor(
  history: readonly EpochEntry[],
  epoch: number,
  logEndOffset: number,
): { leaderEpoch: number; endOffset: number } {
  const unknown = { leaderEpoch: -1, endOffset: -1 };
  if (epoch < 0 || history.length === 0) return unknown;
  if (history[history.length - 1][0] === epoch) return { leaderEpoch: epoch, endOffset: logEndOffset };
  const higher = history.findIndex(([e]) => e > epoch);
  if (higher < 0) return unknown;
  const floor = higher - 1;
  return { leaderEpoch: floor >= 0 ? history[floor][0] : epoch, endOffset: history[higher][1] };
}

/** The epoch the record at `offset` was written under (-1 before the first known epoch). */
export function epochAtOffset(history: readonly EpochEntry[], offset: number): number {
  for (let i = history.length - 1; i >= 0; i--) if (history[i][1] <= offset) return history[i][0];
  return -1;
}

function parseHistory(content: Uint8Array): EpochEntry[] {
  const v = parseJson(content) as { epochs?: unknown };
  if (!Array.isArray(v?.epochs)) throw new Error("no epochs array");
  return v.epochs.map((x): EpochEntry => {
    if (!Array.isArray(x) || x.length !== 2 || !x.every((n) => Number.isSafeInteger(n))) {
      throw new Error(`bad entry ${JSON.stringify(x)}`);
    }
    return [x[0], x[1]];
  });
}

/** The histories in the filer. */
export class EpochHistoryStore {
  constructor(private readonly filer: Filer, private readonly paths: MetaPaths) {}

  async load(topic: string, partition: number): Promise<EpochEntry[]> {
    const e = await this.filer.lookup(this.paths.leaderEpochDir(topic), String(partition));
    if (e === null || e.content.length === 0) return [];
    try {
      return parseHistory(e.content);
    } catch (err) {
      throw new Error(
        `leader epoch history ${this.paths.leaderEpochDir(topic)}/${partition} is unreadable ` +
          `(${(err as Error).message}); delete it to start a new one`,
      );
    }
  }

  async save(topic: string, partition: number, history: readonly EpochEntry[]): Promise<void> {
    await this.filer.put(this.paths.leaderEpochDir(topic), String(partition), json({ epochs: history }));
  }
}
