// A manual Clock for unit tests of the group coordinator: time moves only when advance() is called, which fires
// the due timers in deadline order, letting the promise chains each one starts settle before the next.
import type { Clock, Timer } from "../../src/groups/clock.ts";

interface Pending {
  readonly id: number;
  due: number;
  readonly fn: () => void;
  /** Repeat period for intervals, 0 for timeouts. */
  readonly every: number;
}

export class ManualClock implements Clock {
  private time: number;
  private mono = 0;
  private nextId = 1;
  private readonly timers = new Map<number, Pending>();

  constructor(start = 1_700_000_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  monotonic(): number {
    return this.mono;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    return this.add(fn, ms, 0);
  }

  setInterval(fn: () => void, ms: number): Timer {
    return this.add(fn, ms, Math.max(1, ms));
  }

  /** Timers not yet fired or cancelled. */
  get pending(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way (each at its own due time). */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      let next: Pending | null = null;
      for (const t of this.timers.values()) {
        if (t.due <= end && (next === null || t.due < next.due || (t.due === next.due && t.id < next.id))) {
          next = t;
        }
      }
      if (next === null) break;
      this.moveTo(next.due);
      if (next.every > 0) next.due += next.every;
      else this.timers.delete(next.id);
      next.fn();
      await settle();
    }
    this.moveTo(end);
    await settle();
  }

  private moveTo(t: number): void {
    if (t > this.time) {
      this.mono += t - this.time;
      this.time = t;
    }
  }

  private add(fn: () => void, ms: number, every: number): Timer {
    const id = this.nextId++;
    this.timers.set(id, { id, due: this.time + Math.max(0, ms), fn, every });
    return { cancel: () => void this.timers.delete(id) };
  }
}

/** Lets pending promise callbacks run (one macrotask turn; not a wait for time to pass). */
function settle(): Promise<void> {
  return new Promise((r) => setTimeout(r, 0));
}
