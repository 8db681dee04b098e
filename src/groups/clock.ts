// The time source of the group coordinator: wall-clock time (session deadlines, state and commit timestamps),
// a monotonic time for durations, and timers (rebalance delays, the session sweep, offset retention). The
// gateway uses the real one; unit tests pass a manual clock so session and rebalance timeouts can be crossed
// without waiting for them.

/** A pending timer; cancel() is a no-op once it has fired (timeouts) or was cancelled. */
export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Wall-clock milliseconds since the epoch (Date.now). */
  now(): number;
  /** Monotonic milliseconds for durations (performance.now). */
  monotonic(): number;
  setTimeout(fn: () => void, ms: number): Timer;
  setInterval(fn: () => void, ms: number): Timer;
}

export const REAL_CLOCK: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout: (fn, ms) => {
    const id = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(id) };
  },
  setInterval: (fn, ms) => {
    const id = setInterval(fn, ms);
    return { cancel: () => clearInterval(id) };
  },
};
