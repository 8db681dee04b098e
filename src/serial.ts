// Serial execution, written once: an operation queued here starts after every operation queued before it (on the
// same key) settled, failed or not, so a check and the write it guards are never interleaved with another
// operation on the same state. Operations start on a later microtask, never inside run(): a caller's code after
// run() always runs first, and an operation that queues another on its own key waits for it instead of running
// beside itself. (The produce path's per-partition append step, producer/append.ts AppendQueue, starts an idle
// queue's step at once instead: it saves a microtask per batch and its steps never re-enter the queue.)

/** One queue: operations run one at a time in the order they were queued. */
export class SerialQueue {
  private tail: Promise<void> = Promise.resolve();
  private queued = 0;

  /** Runs `op` after every earlier operation settled; its result or failure is the returned promise's. */
  run<T>(op: () => T | Promise<T>): Promise<T> {
    const p = this.tail.then(op);
    this.queued++;
    this.tail = p.then(this.settled, this.settled);
    return p;
  }

  /**
   * Operations queued or running. An operation is counted out before any handler its caller attaches to the
   * returned promise runs (the queue's own handler was attached first), so such a handler sees what is left.
   */
  get size(): number {
    return this.queued;
  }

  /** Settles once every operation queued so far settled. */
  idle(): Promise<void> {
    return this.tail;
  }

  private readonly settled = (): void => {
    this.queued--;
  };
}

/** One queue per key; a key's queue is dropped once it runs dry. */
export class KeyedQueue<K> {
  private readonly tails = new Map<K, { tail: Promise<void>; queued: number }>();

  /** Runs `op` after every earlier operation on `key` settled. */
  run<T>(key: K, op: () => T | Promise<T>): Promise<T> {
    let q = this.tails.get(key);
    if (q === undefined) {
      q = { tail: Promise.resolve(), queued: 0 };
      this.tails.set(key, q);
    }
    const entry = q;
    const p = entry.tail.then(op);
    entry.queued++;
    const settled = (): void => {
      if (--entry.queued === 0 && this.tails.get(key) === entry) this.tails.delete(key);
    };
    entry.tail = p.then(settled, settled);
    return p;
  }

  /** Whether an operation on `key` is queued or running. */
  busy(key: K): boolean {
    return this.tails.has(key);
  }

  /** Keys with operations queued or running. */
  get size(): number {
    return this.tails.size;
  }

  /** Settles once the operations queued so far on `keys` (all keys when absent) settled. */
  idle(keys?: Iterable<K>): Promise<void> {
    const tails: Promise<void>[] = [];
    if (keys === undefined) {
      for (const q of this.tails.values()) tails.push(q.tail);
    } else {
      for (const k of keys) {
        const q = this.tails.get(k);
        if (q !== undefined) tails.push(q.tail);
      }
    }
    return Promise.all(tails).then(() => {});
  }
}

/**
 * The writes of one piece of state that is written whole, coalesced: a write asked for while another waits to
 * start is that one (it reads the state when it starts, so it carries every change made before), and writes run
 * one after another, each after the one before settled, failed or not.
 */
export class CoalescedWrites {
  private waiting: Promise<void> | null = null;
  private last: Promise<void> = Promise.resolve();
  private running = false;

  /** Asks for a write; `write` runs when it starts. Settles with that write. */
  request(write: () => void | Promise<void>): Promise<void> {
    if (this.waiting !== null) return this.waiting;
    const p = this.last.catch(() => {}).then(async () => {
      this.waiting = null;
      this.running = true;
      try {
        await write();
      } finally {
        this.running = false;
      }
    });
    this.waiting = p;
    this.last = p;
    return p;
  }

  /** Whether a write waits to start or is under way. */
  get busy(): boolean {
    return this.waiting !== null || this.running;
  }

  /** Settles once every write asked for so far settled (never rejects). */
  settled(): Promise<void> {
    return this.last.catch(() => {});
  }
}
