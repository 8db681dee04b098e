// Which groups this coordinator holds in a distributed cluster: those whose `__consumer_offsets` partition
// (ClusterView.coordinatorPartition) it acquired and has not released. A Hold is one acquire-to-release span of a
// partition: a write or a load that began under a hold can tell that the hold ended, even when the partition was
// acquired again meanwhile (then a new Hold stands for it).
import { type ClusterView, CONSUMER_OFFSETS_TOPIC } from "../cluster/view.ts";

export class Hold {
  /** False once released: nothing may be written under this hold any more. */
  active = true;
  private readonly writes = new Set<Promise<unknown>>();

  constructor(readonly partition: number, public epoch: number) {}

  /** Counts a store write in flight until it settles (release waits for it). */
  track(write: Promise<unknown>): void {
    this.writes.add(write);
    const done = () => this.writes.delete(write);
    write.then(done, done);
  }

  /**
   * Ends the hold and waits, at most `ms`, for its writes still in flight: a filer write cannot be called back,
   * so the next coordinator, which reads the partition's groups once this release is done, sees them. Returns how
   * many were still running at the bound.
   */
  async end(ms: number): Promise<number> {
    this.active = false;
    if (this.writes.size === 0) return 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const bound = new Promise<void>((resolve) => timer = setTimeout(resolve, ms));
    const all = Promise.allSettled([...this.writes]).then(() => {});
    await Promise.race([all, bound]);
    clearTimeout(timer);
    return this.writes.size;
  }
}

export class CoordinatorPartitions {
  private readonly held = new Map<number, Hold>();

  constructor(private readonly cluster: ClusterView) {}

  partitionOf(groupId: string): number {
    return this.cluster.coordinatorPartition(groupId);
  }

  /** The hold of a `__consumer_offsets` partition, if this coordinator holds it. */
  get(partition: number): Hold | undefined {
    return this.held.get(partition);
  }

  /** Whether the group's partition is held here (its state is in memory). */
  holds(groupId: string): boolean {
    return this.held.has(this.partitionOf(groupId));
  }

  /** Holds a partition whose groups were just loaded. */
  hold(partition: number, epoch: number): Hold {
    const h = new Hold(partition, epoch);
    this.held.set(partition, h);
    return h;
  }

  /** Stops holding a partition; its hold (to end) or undefined when it was not held. */
  release(partition: number): Hold | undefined {
    const h = this.held.get(partition);
    this.held.delete(partition);
    return h;
  }

  /**
   * The hold a write for the group runs under: the partition is held here and the cluster lets this gateway
   * coordinate the group now (it serves the partition and its lease is fresh). Undefined otherwise.
   */
  writable(groupId: string): Hold | undefined {
    const h = this.held.get(this.partitionOf(groupId));
    return h !== undefined && this.cluster.coordinates(groupId) ? h : undefined;
  }

  /** writable() for a whole partition (transaction markers and pending transactional offsets name partitions). */
  writablePartition(partition: number): Hold | undefined {
    const h = this.held.get(partition);
    return h !== undefined && this.cluster.servingEpoch(CONSUMER_OFFSETS_TOPIC, partition) !== null
      ? h
      : undefined;
  }
}
