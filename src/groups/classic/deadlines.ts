// The deadlines of a coordinator's classic groups — each member's session (Kafka's DelayedHeartbeat), each
// MEMBER_ID_REQUIRED id, each group's join and sync deadline — in one indexed min-heap served by one clock timer,
// armed for the earliest. A deadline fires at its own millisecond, as Kafka's purgatory does, not on a periodic
// sweep. Moving one (every heartbeat and commit moves a session) is O(log n) and touches the timer only when the
// new time is earlier than the armed one: when the earliest deadline moves later, the timer fires early, finds
// nothing due and is armed again. So 10,000 heartbeating members cost heap moves, not timer churn. Times are
// Clock.monotonic() (deadlines are durations from now; a wall-clock step must not expire every session). An
// empty queue holds no timer, and close() cancels it: nothing outlives the coordinator.
import type { Clock, Timer } from "../clock.ts";

/** setTimeout's largest delay (2^31-1 ms); a later deadline re-arms when this one fires. */
const MAX_DELAY_MS = 2_147_483_647;

/** One deadline; `fire` runs once when it passes, unless it was moved or cancelled first. */
export class Deadline {
  /** Monotonic time it falls due; Infinity while not queued. */
  due = Infinity;
  /** Position in the heap; -1 while not queued. */
  slot = -1;

  constructor(public fire: () => void = () => {}) {}

  get queued(): boolean {
    return this.slot >= 0;
  }
}

export class DeadlineQueue {
  private readonly heap: Deadline[] = [];
  private timer: Timer | null = null;
  /** Monotonic time the armed timer fires (Infinity: none). */
  private armedFor = Infinity;
  /** Inside runDue: fire() may move deadlines; the timer is armed once, afterwards. */
  private running = false;
  private closed = false;

  constructor(private readonly clock: Clock) {}

  /** The queue's time: Clock.monotonic(). */
  now(): number {
    return this.clock.monotonic();
  }

  get size(): number {
    return this.heap.length;
  }

  /** Queues `d` to fire `ms` from now (or moves it there), with `fire` when given. After close(): nothing. */
  after(d: Deadline, ms: number, fire?: () => void): void {
    this.at(d, this.now() + ms, fire);
  }

  /** Queues `d` at monotonic time `due` (or moves it there). */
  at(d: Deadline, due: number, fire?: () => void): void {
    if (this.closed) return;
    if (fire !== undefined) d.fire = fire;
    if (d.slot < 0) {
      d.due = due;
      d.slot = this.heap.length;
      this.heap.push(d);
      this.up(d.slot);
    } else {
      const earlier = due < d.due;
      d.due = due;
      if (earlier) this.up(d.slot);
      else this.down(d.slot);
    }
    this.arm();
  }

  /** Takes `d` out of the queue (a no-op when it is not queued). */
  cancel(d: Deadline): void {
    if (d.slot < 0) return;
    this.removeAt(d.slot);
    this.arm();
  }

  /**
   * Fires every deadline due now, earliest first. The timer calls it; so do the coordinator's entry points, so a
   * request never sees a member whose session passed while the timer was late (a busy event loop).
   */
  runDue(): void {
    if (this.running || this.closed) return;
    this.running = true;
    try {
      const now = this.now();
      while (this.heap.length > 0 && this.heap[0].due <= now) {
        const d = this.heap[0];
        this.removeAt(0);
        d.fire();
        if (this.closed) return;
      }
    } finally {
      this.running = false;
    }
    this.arm();
  }

  /** Cancels the timer and forgets every deadline; later at()/after() calls do nothing. */
  close(): void {
    this.closed = true;
    this.timer?.cancel();
    this.timer = null;
    this.armedFor = Infinity;
    for (const d of this.heap) {
      d.slot = -1;
      d.due = Infinity;
    }
    this.heap.length = 0;
  }

  /** One timer for the earliest deadline: none when empty, re-armed only when the earliest comes sooner. */
  private arm(): void {
    if (this.running || this.closed) return;
    const first = this.heap[0];
    if (first === undefined) {
      this.timer?.cancel();
      this.timer = null;
      this.armedFor = Infinity;
      return;
    }
    if (this.timer !== null && this.armedFor <= first.due) return;
    this.timer?.cancel();
    // Rounded up: a timer may not fire before the deadline (it would find nothing due and re-arm, harmless).
    const delay = Math.min(Math.max(0, Math.ceil(first.due - this.now())), MAX_DELAY_MS);
    this.armedFor = this.now() + delay;
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.armedFor = Infinity;
      this.runDue();
    }, delay);
  }

  private removeAt(i: number): void {
    const d = this.heap[i];
    const last = this.heap.pop()!;
    d.slot = -1;
    d.due = Infinity;
    if (last === d) return;
    this.heap[i] = last;
    last.slot = i;
    this.up(i);
    this.down(last.slot);
  }

  private up(i: number): void {
    const h = this.heap;
    const d = h[i];
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p].due <= d.due) break;
      h[i] = h[p];
      h[i].slot = i;
      i = p;
    }
    h[i] = d;
    d.slot = i;
  }

  private down(i: number): void {
    const h = this.heap;
    const n = h.length;
    const d = h[i];
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && h[r].due < h[l].due ? r : l;
      if (h[c].due >= d.due) break;
      h[i] = h[c];
      h[i].slot = i;
      i = c;
    }
    h[i] = d;
    d.slot = i;
  }
}
