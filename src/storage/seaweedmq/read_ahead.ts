// One read built ahead per partition. A consumer catching up asks next for the offset where its last answer
// ended, with the same budget; on this backend an answer is built record by record (Kafka batches from SeaweedMQ
// messages), so building the next one while the last travels and the client parses it overlaps the gateway's work
// with the client's. A guess that is not asked for is dropped at the next read or after KEEP_MS.

/** A read's Kafka batches, where the next read would start, and the high watermark seen. */
export interface BuiltRead {
  readonly batches: Uint8Array[];
  readonly bytes: number;
  readonly next: number;
  readonly hw: number;
}

/** How long a read built ahead is kept for a consumer that does not come back. */
const KEEP_MS = 5_000;

export class ReadAhead {
  private pending: {
    offset: number;
    maxBytes: number;
    minOne: boolean;
    built: Promise<BuiltRead | null>;
    timer: ReturnType<typeof setTimeout>;
  } | null = null;

  /**
   * The read built ahead for these arguments, or null; whatever was pending is dropped. `minOne` (answer the first
   * batch even over the budget) changes nothing for a read that had something within the budget, and the fetch
   * handler gives it to one partition of each request only, so that read serves either way.
   */
  async take(offset: number, maxBytes: number, minOne: boolean): Promise<BuiltRead | null> {
    const p = this.pending;
    if (p === null) return null;
    this.drop();
    if (p.offset !== offset || p.maxBytes !== maxBytes) return null;
    const built = await p.built;
    if (built === null || (p.minOne !== minOne && !(built.bytes > 0 && built.bytes <= maxBytes))) return null;
    return built;
  }

  /** Builds the read at `offset` once the current answer is on its way (a timer: after the reply's microtasks). */
  start(offset: number, maxBytes: number, minOne: boolean, build: () => Promise<BuiltRead>): void {
    this.drop();
    const built = new Promise<BuiltRead | null>((resolve) => {
      setTimeout(() => build().then(resolve, () => resolve(null)), 0);
    });
    const timer = setTimeout(() => this.drop(), KEEP_MS);
    if (typeof timer === "number") Deno.unrefTimer(timer); // never what keeps the process alive
    this.pending = { offset, maxBytes, minOne, built, timer };
  }

  drop(): void {
    if (this.pending !== null) clearTimeout(this.pending.timer);
    this.pending = null;
  }
}
