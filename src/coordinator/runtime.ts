// The coordinator runtime, after Apache Kafka's CoordinatorRuntime: the one place where a coordinator (groups,
// transactions) gains and loses the `__consumer_offsets` partitions it serves, loads their state, fences its
// writes and serialises its operations. Behaviour:
// - A shard per `__consumer_offsets` partition this gateway coordinates, with a lifecycle: loading (its state is
//   being read: requests answer COORDINATOR_LOAD_IN_PROGRESS) → active (served) → closed (released) or failed
//   (its load threw). It carries the leader epoch it serves under; acquiring an active shard again only takes the
//   new epoch. A solo coordinator that reads all its state at once serves every partition from one whole shard.
// - A load is a read and an adopt: the read runs off any lock; the adopt runs only when the shard is still the
//   runtime's (not released or replaced by a newer acquire meanwhile, runtime not closed), so state read for a
//   hold that ended is never kept. The shard turns active right after its adopt, in the same turn as `onActive`.
// - Writes run under a shard (write()): refused with NOT_COORDINATOR unless the shard is active and the cluster
//   lets this gateway serve the partition now (lease fresh); counted while in flight, so a release waits (bounded)
//   for them and the next coordinator reads what they stored; a write that outlives its shard answers
//   NOT_COORDINATOR (it may be durable: the client retries on the new coordinator). Replies that depend on a write
//   are therefore sent after it is durable, and never by a coordinator that lost the partition meanwhile.
// - Operations on one key (a group id, a transactional id) run one at a time on the runtime's keyed queue
//   (run()), across shard changes: an operation that began under an old shard finishes before one on the same key
//   under a new shard starts.
import { KeyedQueue } from "../serial.ts";
import { settledWithin } from "../wait.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";

export type ShardState = "loading" | "active" | "closed" | "failed";

/** The partition of the whole shard: a solo coordinator's, standing for every partition. */
export const WHOLE = -1;

/** One `__consumer_offsets` partition (or the whole solo coordinator) as one coordinator holds it. */
export class Shard {
  state: ShardState = "loading";
  private readonly writes = new Set<Promise<unknown>>();

  constructor(readonly partition: number, public epoch: number) {}

  get active(): boolean {
    return this.state === "active";
  }

  /** Counts a write in flight until it settles (a release waits for it). */
  track(write: Promise<unknown>): void {
    this.writes.add(write);
    const done = () => this.writes.delete(write);
    write.then(done, done);
  }

  /** Writes still in flight. */
  get inFlight(): number {
    return this.writes.size;
  }

  /** Settles once the writes in flight now settled. */
  drained(): Promise<void> {
    return Promise.allSettled([...this.writes]).then(() => {});
  }
}

/** What the metrics show of a runtime (src/coordinator/metrics.ts). */
export interface RuntimeStats {
  /** Shards loading and active now (a solo coordinator's whole shard counts once). */
  readonly loading: number;
  readonly active: number;
  /** Loads that turned a shard active, that threw, and the time the successful ones took. */
  readonly loads: number;
  readonly loadFailures: number;
  readonly loadMs: number;
  /** Writes refused (not coordinated here, or the shard ended while writing): NOT_COORDINATOR answers. */
  readonly fencedWrites: number;
}

export interface RuntimeOptions {
  /** Whether the cluster lets this gateway serve the partition now (distributed: it leads it, lease fresh). */
  readonly serving?: (partition: number) => boolean;
  /** How long a release or close waits for writes and operations in flight. */
  readonly releaseWaitMs: number;
}

/** What a load does once its read is done: adopt runs only for a shard that is still current. */
export interface LoadSteps<T> {
  readonly read: () => Promise<T>;
  /** Takes what was read into memory; may await (e.g. claim state), the shard is re-checked after it. */
  readonly adopt: (loaded: T, shard: Shard) => void | Promise<void>;
  /** Runs in the turn the shard turns active (e.g. resume work that needs the shard active). */
  readonly onActive?: (shard: Shard) => void;
}

export class CoordinatorRuntime {
  private readonly shards = new Map<number, Shard>();
  private whole: Shard | null = null;
  /** One queue per group id or transactional id. */
  private readonly queue = new KeyedQueue<string>();
  private closed = false;
  private loads = 0;
  private loadFailures = 0;
  private loadMs = 0;
  private fencedWrites = 0;

  constructor(private readonly opts: RuntimeOptions) {}

  stats(): RuntimeStats {
    let loading = 0, active = 0;
    for (const s of this.held()) {
      if (s.state === "loading") loading++;
      else if (s.active) active++;
    }
    const { loads, loadFailures, loadMs, fencedWrites } = this;
    return { loading, active, loads, loadFailures, loadMs, fencedWrites };
  }

  /** The shard serving `partition`, whatever its state (the whole shard, for a solo coordinator). */
  shard(partition: number): Shard | undefined {
    return this.whole ?? this.shards.get(partition);
  }

  /** Every shard held (loading or active). */
  held(): Iterable<Shard> {
    return this.whole !== null ? [this.whole] : this.shards.values();
  }

  isLoading(partition: number): boolean {
    return this.shard(partition)?.state === "loading";
  }

  isActive(partition: number): boolean {
    return this.shard(partition)?.active ?? false;
  }

  /** The shard a write for `partition` runs under now: active and served; undefined otherwise. */
  writable(partition: number): Shard | undefined {
    const s = this.shard(partition);
    if (s === undefined || !s.active || this.closed) return undefined;
    return this.opts.serving === undefined || this.opts.serving(partition) ? s : undefined;
  }

  /**
   * Acquires `partition` at `epoch`: an active shard only takes the epoch; otherwise a new loading shard replaces
   * any earlier one (whose load then keeps nothing), reads, adopts and turns active. Returns the shard once
   * active, or null when it was already active or the load lost its shard meanwhile. A read or adopt that throws
   * leaves the shard failed (removed) and rethrows.
   */
  load<T>(partition: number, epoch: number, steps: LoadSteps<T>): Promise<Shard | null> {
    const held = this.shards.get(partition);
    if (held?.active) {
      held.epoch = epoch;
      return Promise.resolve(null);
    }
    const shard = new Shard(partition, epoch);
    this.shards.set(partition, shard);
    return this.run(shard, () => this.shards.get(partition) === shard, steps);
  }

  /** A solo coordinator's load of all its state: one whole shard serves every partition from then on. */
  loadWhole<T>(steps: LoadSteps<T>): Promise<Shard | null> {
    const shard = new Shard(WHOLE, -1);
    this.whole = shard;
    return this.run(shard, () => this.whole === shard, steps);
  }

  private async run<T>(shard: Shard, current: () => boolean, steps: LoadSteps<T>): Promise<Shard | null> {
    const live = () => current() && !this.closed && shard.state === "loading";
    const started = performance.now();
    try {
      const loaded = await steps.read();
      if (!live()) return null;
      await steps.adopt(loaded, shard);
    } catch (e) {
      if (current()) this.remove(shard);
      shard.state = "failed";
      this.loadFailures++;
      throw e;
    }
    if (!live()) return null;
    shard.state = "active";
    this.loads++;
    this.loadMs += performance.now() - started;
    steps.onActive?.(shard);
    return shard;
  }

  /**
   * Releases `partition`: the shard is closed at once (writes are refused from now), `drop` runs in the same turn
   * (the coordinator forgets the partition's state), then the release waits, at most releaseWaitMs, for the
   * shard's writes and the operations of `keys` in flight. Returns the shard released (undefined when none was
   * held), whether it was active (not still loading) and how many writes were still running at the bound.
   */
  async release(
    partition: number,
    drop?: (shard: Shard) => void,
    keys?: Iterable<string>,
  ): Promise<{ shard: Shard; wasActive: boolean; left: number } | undefined> {
    const shard = this.shards.get(partition);
    if (shard === undefined) return undefined;
    this.remove(shard);
    const wasActive = shard.active;
    shard.state = "closed";
    if (wasActive) drop?.(shard);
    await settledWithin(
      [shard.drained(), keys === undefined ? Promise.resolve() : this.queue.idle(keys)],
      this.opts.releaseWaitMs,
    );
    return { shard, wasActive, left: shard.inFlight };
  }

  /** Whether a release of this shard's partition has begun (or a newer acquire replaced it). */
  isCurrent(shard: Shard): boolean {
    return shard.partition === WHOLE ? this.whole === shard : this.shards.get(shard.partition) === shard;
  }

  /**
   * Runs a write under the shard of `partition` (see the file header); `what` names the state in the
   * NOT_COORDINATOR message.
   */
  async write<T>(partition: number, what: string, write: () => Promise<T>): Promise<T> {
    const shard = this.writable(partition);
    if (shard === undefined) {
      this.fencedWrites++;
      throw new KafkaError(ErrorCode.NOT_COORDINATOR, `${what}: not coordinated here now`);
    }
    const p = write();
    shard.track(p);
    const r = await p;
    if (!shard.active) {
      this.fencedWrites++;
      throw new KafkaError(ErrorCode.NOT_COORDINATOR, `${what}: its coordinator moved meanwhile`);
    }
    return r;
  }

  /** Runs `op` after every earlier operation on `key` settled. */
  serial<T>(key: string, op: () => Promise<T>): Promise<T> {
    return this.queue.run(key, op);
  }

  /** Settles once the operations queued so far on `keys` (all when absent) settled. */
  idle(keys?: Iterable<string>): Promise<void> {
    return this.queue.idle(keys);
  }

  /**
   * Closes every shard (writes refused from now; loads running keep nothing) and waits, at most releaseWaitMs, for
   * writes and operations in flight.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const shards = [...this.held()];
    for (const s of shards) s.state = "closed";
    await settledWithin([...shards.map((s) => s.drained()), this.queue.idle()], this.opts.releaseWaitMs);
  }

  private remove(shard: Shard): void {
    if (shard.partition === WHOLE) {
      if (this.whole === shard) this.whole = null;
    } else if (this.shards.get(shard.partition) === shard) this.shards.delete(shard.partition);
  }
}
