// Offsets a read found unreadable below the broker's high watermark, with when they were first and last seen: an
// offset counts as a gap left by a broker crash (skipped by reads) only once it stayed unreadable for a while, since
// until then its record may still be moving from the broker's memory to a log file (PartitionState.readRecords).

/**
 * An offset the broker answers empty while it holds later ones, and that no log file holds, counts as a gap left by
 * a broker crash (skipped) only once it stayed unreadable this long: until then it may still be moving from the
 * broker's memory to a log file.
 */
const GAP_CONFIRM_MS = 3_000;
/** Observations of an unreadable offset older than this are forgotten (a later one starts the wait again). */
const GAP_FORGET_MS = 30_000;

export class UnreadableOffsets {
  /** When each offset was first and last seen unreadable. */
  private readonly seen = new Map<number, { since: number; last: number }>();

  /** Notes that `offset` is unreadable now; true once it has been so for GAP_CONFIRM_MS (then forgets it). */
  confirmed(offset: number): boolean {
    const now = Date.now();
    if (this.seen.size >= 64) {
      for (const [o, u] of this.seen) if (now - u.last > GAP_FORGET_MS) this.seen.delete(o);
      if (this.seen.size >= 256) this.seen.clear(); // bounded: at worst a gap waits again
    }
    const u = this.seen.get(offset);
    if (!u || now - u.last > GAP_FORGET_MS) {
      this.seen.set(offset, { since: now, last: now });
      return false;
    }
    u.last = now;
    if (now - u.since < GAP_CONFIRM_MS) return false;
    this.seen.delete(offset);
    return true;
  }

  /** `offset` was read: it is no gap. */
  delete(offset: number): void {
    this.seen.delete(offset);
  }
}
