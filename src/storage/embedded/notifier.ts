// Append listeners of one partition (Fetch long-poll wake-ups). A throwing listener is logged, never propagated.
import type { LogFn } from "./options.ts";

export class Notifier {
  private readonly listeners = new Set<() => void>();

  constructor(private readonly log: LogFn, private readonly name: string) {}

  get size(): number {
    return this.listeners.size;
  }

  subscribe(listener: () => void): () => void {
    // Wrapped so the same function may subscribe twice and each unsubscribe removes exactly its own entry.
    const entry = () => listener();
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  notify(): void {
    if (this.listeners.size === 0) return;
    for (const l of [...this.listeners]) {
      try {
        l();
      } catch (e) {
        this.log(
          "error",
          `append listener of ${this.name} threw: ${e instanceof Error ? e.message : String(e)}`,
        );
      }
    }
  }

  /** Wakes every listener one last time (the partition is going away) and forgets them. */
  closeAll(): void {
    this.notify();
    this.listeners.clear();
  }
}
