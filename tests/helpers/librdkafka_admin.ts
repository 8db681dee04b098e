// confluent-kafka's AdminClient (tests/conformance/py/ck_admin.py, pip) and kcat (Debian's librdkafka 2.0.2) driven
// against a gateway, for the librdkafka admin suites.
import { type RunningGateway, runWithGateway } from "./gateway.ts";
import { pythonPath, requireTool } from "./tools.ts";

export const opts = { sanitizeOps: false, sanitizeResources: false };
const PYTHON = pythonPath();
const ADMIN = new URL("../conformance/py/ck_admin.py", import.meta.url).pathname;

export const python = await requireTool("confluent-kafka (pip)", PYTHON, ["-c", "import confluent_kafka"]);
export const kcatTool = await requireTool("kcat", "kcat", ["-V"]);

// deno-lint-ignore no-explicit-any
export type Result = Record<string, any>;

/** Runs ck_admin.py with `ops`; one result per op. */
export async function ck(gw: RunningGateway, ops: Record<string, unknown>[]): Promise<Result[]> {
  const child = new Deno.Command(PYTHON, {
    args: [ADMIN, gw.bootstrap],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(JSON.stringify(ops)));
  await w.close();
  const out = await child.output();
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n").filter((l) => l !== "");
  if (lines.length !== ops.length) {
    throw new Error(
      `ck_admin.py answered ${lines.length}/${ops.length}:\n${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return lines.map((l) => JSON.parse(l));
}

export async function ck1(gw: RunningGateway, op: Record<string, unknown>): Promise<Result> {
  return (await ck(gw, [op]))[0];
}

export async function ok(gw: RunningGateway, op: Record<string, unknown>): Promise<Result> {
  const r = await ck1(gw, op);
  if (r.error !== null) throw new Error(`${JSON.stringify(op)} -> ${JSON.stringify(r)}`);
  return r;
}

export async function kcat(
  args: string[],
  input = "",
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command("kcat", { args, stdin: "piped", stdout: "piped", stderr: "piped" }).spawn();
  const w = child.stdin.getWriter();
  if (input) await w.write(new TextEncoder().encode(input));
  await w.close();
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const out = await child.output();
  clearTimeout(timer);
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

export const withGateway = (args: string[], fn: (gw: RunningGateway) => Promise<void>) =>
  runWithGateway({ args }, fn);

export async function until(what: string, cond: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
