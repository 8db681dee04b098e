// External clients the conformance suites drive. A missing client fails the run in CI (CI=true) with a
// test that says what is missing; on a developer machine its tests are reported as ignored instead.
/** Where set-up (scripts/setup_test_tools.sh) installs tools: $KGW_CACHE, default ~/.cache/kgw. */
export function kgwCache(): string {
  return Deno.env.get("KGW_CACHE") ?? `${Deno.env.get("HOME") ?? "/root"}/.cache/kgw`;
}

/** The Python with confluent-kafka: $KGW_PYTHON, else the venv set-up creates in the cache. */
export function pythonPath(): string {
  return Deno.env.get("KGW_PYTHON") ?? `${kgwCache()}/venv/bin/python`;
}

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
  const why =
    `${name} is not available (${path}); \`deno task test\` and .ci/run install it (scripts/setup_test_tools.sh)`;
  if (Deno.env.get("CI")) {
    Deno.test(`${name} is installed`, () => {
      throw new Error(why);
    });
    return { path, ignore: true };
  }
  console.warn(`skipping tests that need ${name}: ${why}`);
  return { path, ignore: true };
}
