// The small task primitives SeaweedCluster (node.ts) runs its background work on: a repeating task that never
// overlaps itself (the heartbeat, the assignment poll and the controller tick, each kicked to run at once when
// something changed) and a limit on partitions acquired at once. (Its bounded waits, so that close() ends even with
// the filer unreachable, are src/wait.ts settledWithin.)

/** A repeating task that never overlaps itself; kick() runs it soon. */
export class Loop {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(private readonly everyMs: number, private readonly fn: () => Promise<void>) {}

  start(): void {
    this.schedule(0);
  }

  kick(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.run(), ms);
    Deno.unrefTimer(this.timer);
  }

  private run(): void {
    this.timer = null;
    if (this.stopped || this.running) return;
    this.running = this.fn().catch(() => {}).finally(() => {
      this.running = null;
      if (this.stopped) return;
      const again = this.again;
      this.again = false;
      this.schedule(again ? 0 : this.everyMs);
    });
  }

  /** Stops; resolves when the run under way (if any) ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }
}

/** At most `n` tasks at a time. */
export class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly n: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.n) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}
