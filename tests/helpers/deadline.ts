// Bounded waits for tests that drive outside programs (Burrow, ZooKeeper, Python clients): a step that never
// finishes must fail its test with the step's name, not hold the whole suite (a CI run once spent 32 minutes in
// one test). The work itself cannot be cancelled from here; the caller's cleanup stops the programs behind it.

/** `work` (a promise or a function starting it), rejected with "<label>: not done within <ms> ms" when late. */
export async function within<T>(
  label: string,
  ms: number,
  work: Promise<T> | (() => Promise<T>),
): Promise<T> {
  const p = typeof work === "function" ? work() : work;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label}: not done within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}
