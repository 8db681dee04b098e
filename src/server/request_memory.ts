// The memory budget for requests received but not yet handled, over all connections (Kafka's
// queued.max.request.bytes). A large frame is charged its declared size as soon as its size prefix arrives, so
// every frame that started can finish (no deadlock between half-received frames); its memory is only allocated as
// the bytes arrive. While the budget is spent, a connection that starts a large frame waits before reading it (its
// socket is not read, so TCP pushes back on the client) until handled requests release room, first come first
// served. A peer that stops half-way holds its charge until the idle timeout closes it.
//
// Frames up to UNCHARGED_FRAME_BYTES (every request but large produces) are not charged: a connection assembles
// one frame at a time, so they are bounded by max-connections x that size, and clients that fill the budget with
// huge declared frames cannot hold up the small requests of everybody else.
export const UNCHARGED_FRAME_BYTES = 64 * 1024;

export class RequestMemory {
  private used = 0;
  private readonly waiters: { n: number; grant: () => void }[] = [];

  constructor(readonly capacity: number) {}

  /** Bytes charged right now. */
  get inUse(): number {
    return this.used;
  }

  /** Connections waiting for room right now. */
  get waiting(): number {
    return this.waiters.length;
  }

  /** Charges `n` bytes: undefined when granted at once, else a promise that resolves once granted. */
  charge(n: number): Promise<void> | undefined {
    if (this.waiters.length === 0 && (this.used + n <= this.capacity || this.used === 0)) {
      this.used += n;
      return undefined;
    }
    return new Promise((grant) => this.waiters.push({ n, grant }));
  }

  release(n: number): void {
    this.used = Math.max(0, this.used - n);
    while (this.waiters.length > 0) {
      const w = this.waiters[0];
      if (this.used + w.n > this.capacity && this.used !== 0) break;
      this.waiters.shift();
      this.used += w.n;
      w.grant();
    }
  }

  /** A connection's share: what it charged is released in one call when it closes. */
  account(): ConnectionMemory {
    return new ConnectionMemory(this);
  }
}

export class ConnectionMemory {
  /** Bytes this connection has charged and not released. */
  private held = 0;
  private closed = false;

  constructor(private readonly pool: RequestMemory) {}

  /** Charges a frame of `size` bytes if it is large enough to count (see UNCHARGED_FRAME_BYTES). */
  chargeFrame(size: number): Promise<void> | undefined {
    if (size <= UNCHARGED_FRAME_BYTES || this.closed) return undefined;
    const wait = this.pool.charge(size);
    if (wait === undefined) {
      this.held += size;
      return undefined;
    }
    return wait.then(() => {
      if (this.closed) this.pool.release(size); // granted after the connection went away
      else this.held += size;
    });
  }

  /** Releases a handled frame's charge. */
  releaseFrame(size: number): void {
    if (size <= UNCHARGED_FRAME_BYTES || this.held < size) return;
    this.held -= size;
    this.pool.release(size);
  }

  /** The connection closed: everything it still holds goes back to the pool. */
  close(): void {
    this.closed = true;
    if (this.held > 0) this.pool.release(this.held);
    this.held = 0;
  }
}
