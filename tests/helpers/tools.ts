// External clients the conformance suites drive. A missing client fails the run in CI (CI=true) with a
// test that says what is missing; on a developer machine its tests are reported as ignored instead.
export interface Tool {
  readonly path: string;
  /** True when the tool is missing outside CI: dependent tests are ignored. */
  readonly ignore: boolean;
}

const checked = new Map<string, Promise<boolean>>();

async function runs(path: string, args: string[]): Promise<boolean> {
  try {
    const out = await new Deno.Command(path, { args, stdout: "null", stderr: "null", stdin: "null" })
      .output();
    return out.success;
  } catch {
    return false;
  }
}

export async function requireTool(name: string, path: string, probeArgs: string[]): Promise<Tool> {
  const key = `${path} ${probeArgs.join(" ")}`;
  if (!checked.has(key)) checked.set(key, runs(path, probeArgs));
  if (await checked.get(key)) return { path, ignore: false };
  const why = `${name} is not available (${path}); .ci/run installs it`;
  if (Deno.env.get("CI")) {
    Deno.test(`${name} is installed`, () => {
      throw new Error(why);
    });
    return { path, ignore: true };
  }
  console.warn(`skipping tests that need ${name}: ${why}`);
  return { path, ignore: true };
}
