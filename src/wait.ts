// Waiting with a bound, written once: a sleep that a stop cuts short, and a wait for work in flight that gives up
// after a time (a release or a close waits for writes, but never for ever).

/** Resolves after `ms`, or at once when `signal` aborts (or already did). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done);
  });
}

/** Resolves when every one of `work` settled (failures ignored) or after `ms`, whichever comes first. */
export async function settledWithin(work: readonly Promise<unknown>[], ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const bound = new Promise<void>((resolve) => timer = setTimeout(resolve, ms));
  await Promise.race([Promise.allSettled(work), bound]);
  clearTimeout(timer);
}
