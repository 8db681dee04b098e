// Reads the groups of acquired `__consumer_offsets` partitions from the GroupStore. A gateway acquires many
// partitions at once (all 50 at start-up, a dead peer's share on failover), and listing the filer once per
// partition would multiply the start-up cost: acquires arriving within a turn of the event loop share one
// store.load(), filtered to their partitions. A load must start after the acquire that uses it (the previous
// coordinator's writes are done by then), so one that is already running is never shared: acquires arriving
// meanwhile wait for the next one. Loads run one at a time.
import type { CommittedOffset, GroupStore, LoadedGroupState, StoredGroup } from "../storage/group_store.ts";

interface Batch {
  readonly partitions: Set<number>;
  readonly result: Promise<Map<number, LoadedGroupState>>;
}

const NOTHING: LoadedGroupState = { groups: new Map(), offsets: new Map(), consumerGroups: new Map() };

export class PartitionLoader {
  /** The batch still taking partitions (its load has not started), if any. */
  private open: Batch | null = null;
  /** Settles when the last load started settles. */
  private previous: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: Pick<GroupStore, "load">,
    private readonly partitionOf: (groupId: string) => number,
  ) {}

  /** The stored groups and offsets of one partition, read by a load that starts after this call. */
  async read(partition: number): Promise<LoadedGroupState> {
    const b = this.open ?? this.startBatch();
    b.partitions.add(partition);
    return (await b.result).get(partition) ?? NOTHING;
  }

  private startBatch(): Batch {
    const partitions = new Set<number>();
    const result = this.previous.then(nextTurn).then(async () => {
      if (this.open === batch) this.open = null; // later acquires go to the next load
      const all = await this.store.load((groupId) => partitions.has(this.partitionOf(groupId)));
      return this.split(all, partitions);
    });
    const batch: Batch = { partitions, result };
    this.open = batch;
    this.previous = result.catch(() => {});
    return batch;
  }

  /** The loaded state per asked partition (a store may return groups of other partitions: dropped here). */
  private split(all: LoadedGroupState, asked: ReadonlySet<number>): Map<number, LoadedGroupState> {
    const out = new Map<
      number,
      {
        groups: Map<string, StoredGroup>;
        offsets: Map<string, ReadonlyMap<string, CommittedOffset>>;
        consumerGroups: Map<string, Uint8Array>;
      }
    >();
    const of = (groupId: string) => {
      const p = this.partitionOf(groupId);
      if (!asked.has(p)) return null;
      let s = out.get(p);
      if (s === undefined) {
        out.set(p, s = { groups: new Map(), offsets: new Map(), consumerGroups: new Map() });
      }
      return s;
    };
    for (const [id, g] of all.groups) of(id)?.groups.set(id, g);
    for (const [id, o] of all.offsets) of(id)?.offsets.set(id, o);
    for (const [id, c] of all.consumerGroups) of(id)?.consumerGroups.set(id, c);
    return out;
  }
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
