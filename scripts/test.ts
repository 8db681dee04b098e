// `deno task test [--no-setup] [--serial] [--no-retry] [deno test args...]`: installs what the suites need
// (scripts/setup_test_tools.sh: apt packages where this user may, the PyPI venv with every Python client, weed,
// Apache Kafka's jars and the compatibility matrix's clients under $KGW_CACHE), then runs every test (or the
// files/flags given) with the permissions they need, and closes with the tests that were skipped, by name, so a
// run that passes by skipping says so. Test files run three at a time (`--parallel`, KGW_TEST_JOBS, default 3):
// most of a suite's time is spent waiting on clients, servers and session timeouts (with three files on two cores
// the CPUs are still 44 % idle; two at a time took 1,454 s, three 1,035 s). `--serial` runs one file at a time.
// A test still running after KGW_TEST_STALL_MIN minutes (default 10; the longest test takes under 4) stops the
// run with its name: one hung test must not hold CI past its limit.
//
// Flakes are named, never silently fatal: every file with a failed test runs once more, alone. A test that failed
// only once is printed as `flaky: <file> => <name>: <first error>` and does not fail the run; one that fails
// again does. (`--no-retry`: every failure is final.) The closing line is
// `deno task test: N passed, N failed, N flaky, N skipped`, then the ten slowest files.
const ROOT = new URL("..", import.meta.url).pathname;
const PERMS = [
  "--allow-net=127.0.0.1,localhost",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-ffi",
  "--allow-sys",
  "--allow-run",
];
const dec = new TextDecoder();
const enc = new TextEncoder();

async function setup(): Promise<Record<string, string>> {
  const out = await new Deno.Command("bash", {
    args: [`${ROOT}scripts/setup_test_tools.sh`],
    env: { DENO_BIN: Deno.execPath() },
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const env: Record<string, string> = {};
  for (const line of dec.decode(out.stdout).split("\n")) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line);
    if (m) env[m[1]] = m[2];
  }
  if (!out.success) {
    console.error("setup: incomplete (see above); tests that need what is missing fail or skip");
  }
  return env;
}

/** What one `deno test` invocation reported. */
interface RunResult {
  code: number;
  /** Deno's closing line was seen ("ok | ..." or "FAILED | ..."). */
  finished: boolean;
  passed: number;
  /** `<file> => <name>` (or `<file> (uncaught error)`) of each failure, with its first error line. */
  failures: Map<string, string>;
  skipped: string[];
  /** The test that ran past the stall limit, when the run was stopped for it. */
  stalled: string | null;
  /** Seconds of test time per file (the sum of its tests' durations). */
  fileSeconds: Map<string, number>;
}

/** "437µs", "6ms", "1s", "1m5s", "1m 5s" -> seconds. */
function seconds(d: string): number {
  let s = 0;
  for (const m of d.matchAll(/(\d+(?:\.\d+)?)(ms|µs|us|m|s|h)/g)) {
    const v = Number(m[1]);
    s += m[2] === "h"
      ? v * 3600
      : m[2] === "m"
      ? v * 60
      : m[2] === "s"
      ? v
      : m[2] === "ms"
      ? v / 1000
      : v / 1e6;
  }
  return s;
}

async function runDeno(
  targets: string[],
  parallel: boolean,
  env: Record<string, string>,
  stallMin: number,
): Promise<RunResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["test", ...PERMS, ...(parallel ? ["--parallel"] : []), ...targets],
    cwd: ROOT,
    env: parallel ? { ...env, DENO_JOBS: Deno.env.get("KGW_TEST_JOBS") ?? "3" } : env,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const res: RunResult = {
    code: 0,
    finished: false,
    passed: 0,
    failures: new Map(),
    skipped: [],
    stalled: null,
    fileSeconds: new Map(),
  };
  let module = "";
  let pending = "";
  let section: "tests" | "errors" | "failures" = "tests";
  let lastError: string | null = null; // the failure whose first error line is awaited (ERRORS section)
  const firstError = new Map<string, string>();
  const key = (file: string, name: string) => `${file.replace(/^\.\//, "")} => ${name.trim()}`;
  for await (const chunk of child.stdout) {
    await Deno.stdout.write(chunk);
    pending += dec.decode(chunk, { stream: true });
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const raw of lines) {
      // deno-lint-ignore no-control-regex
      const line = raw.replace(/\x1b\[[0-9;]*m/g, "");
      // Deno's periodic notice: "'<name>' has been running for over (<m>m<s>s)"
      const slow = /'(.*)' has been running for over \((\d+)m/.exec(line);
      if (slow && Number(slow[2]) >= stallMin && res.stalled === null) {
        res.stalled = slow[1];
        await Deno.stdout.write(
          enc.encode(
            `\nFAILED: '${res.stalled}' still running after ${slow[2]} min: the test run is stopped here\n`,
          ),
        );
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }
      if (line.trim() === "ERRORS") section = "errors";
      else if (line.trim() === "FAILURES") section = "failures";
      const closing = /^(ok|FAILED) \| (\d+) passed/.exec(line);
      if (closing) {
        res.finished = true;
        res.passed = Number(closing[2]);
        continue;
      }
      if (section === "tests") {
        const from = /^running \d+ tests? from (\S+)/.exec(line);
        if (from) module = from[1];
        // With --parallel each line names its file: "./tests/x_test.ts => name ... ok (5s)".
        const done = /^(?:(\S+) => )?(.*) \.\.\. (ok|FAILED|ignored) \(([^)]*)\)\s*$/.exec(line);
        if (done && !done[2].startsWith(" ")) {
          const file = done[1] ?? module;
          res.fileSeconds.set(file, (res.fileSeconds.get(file) ?? 0) + seconds(done[4]));
          if (done[3] === "ignored") res.skipped.push(`${file}: ${done[2].trim()}`);
        }
      } else if (section === "errors") {
        const head = /^(.*) => (\.\/\S+?):\d+:\d+$/.exec(line) ?? /^(\.\/\S+) \(uncaught error\)$/.exec(line);
        if (head) {
          lastError = head.length === 3 ? key(head[2], head[1]) : key(head[1], "(uncaught error)");
        } else if (lastError !== null && line.startsWith("error: ")) {
          firstError.set(lastError, line.slice(7, 300));
          lastError = null;
        }
      } else {
        const f = /^(.*) => (\.\/\S+?):\d+:\d+$/.exec(line);
        const u = /^(\.\/\S+) \(uncaught error\)$/.exec(line);
        if (f) res.failures.set(key(f[2], f[1]), "");
        else if (u) res.failures.set(key(u[1], "(uncaught error)"), "");
      }
    }
  }
  res.code = (await child.status).code;
  for (const k of res.failures.keys()) res.failures.set(k, firstError.get(k) ?? "(no error line)");
  if (!res.finished && res.code !== 0 && res.failures.size === 0 && res.stalled === null) {
    res.failures.set("(deno test) => crashed before its summary", `exit ${res.code}`);
  }
  return res;
}

const args = [...Deno.args];
const flags = new Set(["--no-setup", "--serial", "--no-retry"]);
const noSetup = args.includes("--no-setup");
const serial = args.includes("--serial");
const retry = !args.includes("--no-retry");
const rest = args.filter((a) => !flags.has(a));
const env = noSetup ? {} : await setup();
// Variables set by the caller win (e.g. WEED or KGW_PYTHON pointing elsewhere).
for (const k of Object.keys(env)) if (Deno.env.get(k) !== undefined) delete env[k];
const denoFlags = rest.filter((a) => a.startsWith("-"));
const targets = rest.some((a) => !a.startsWith("-")) ? rest : [...rest, "tests/"];
const stallMin = Number(Deno.env.get("KGW_TEST_STALL_MIN") ?? "10");
const started = Date.now();

const first = await runDeno(targets, !serial, env, stallMin);
const failed = new Map<string, string>();
const flaky = new Map<string, string>();
let second: RunResult | null = null;
if (first.stalled === null && first.failures.size > 0 && retry) {
  const files = [...new Set([...first.failures.keys()].map((k) => k.split(" => ")[0]))];
  const known = files.filter((f) => !f.startsWith("("));
  if (known.length === files.length) {
    await Deno.stdout.write(
      enc.encode(`\n==== running again, one at a time, the files with failures: ${known.join(" ")}\n`),
    );
    second = await runDeno([...denoFlags, ...known.map((f) => `./${f}`)], false, env, stallMin);
  }
}
if (second === null) {
  for (const [k, e] of first.failures) failed.set(k, e);
} else {
  const secondBroken = second.stalled !== null || (!second.finished && second.code !== 0);
  for (const [k, e] of first.failures) {
    if (secondBroken || second.failures.has(k)) failed.set(k, e);
    else flaky.set(k, e);
  }
  // A test that passed the first time and failed now failed once: named as flaky too.
  for (const [k, e] of second.failures) if (!first.failures.has(k) && !secondBroken) flaky.set(k, e);
  if (secondBroken) {
    failed.set("(rerun)", second.stalled ? `'${second.stalled}' hung` : `exit ${second.code}`);
  }
}

const out: string[] = [];
if (first.skipped.length > 0) {
  out.push(`\nskipped ${first.skipped.length} test(s):`, ...first.skipped.map((s) => `  - ${s}`));
} else out.push("\nskipped 0 tests");
for (const [k, e] of flaky) out.push(`flaky: ${k}: ${e}`);
for (const [k, e] of failed) out.push(`failed: ${k}: ${e}`);
if (first.stalled !== null) out.push(`test run stopped: '${first.stalled}' hung`);
const slowest = [...first.fileSeconds].sort((a, b) => b[1] - a[1]).slice(0, 10);
out.push(
  "slowest test files (seconds of test time):",
  ...slowest.map(([f, s]) => `  ${s.toFixed(0).padStart(5)} s  ${f}`),
);
const anyFailed = failed.size > 0 || first.stalled !== null ||
  (first.code !== 0 && first.failures.size === 0);
out.push(
  `deno task test: ${first.passed} passed, ${failed.size + (first.stalled !== null ? 1 : 0)} failed, ` +
    `${flaky.size} flaky, ${first.skipped.length} skipped (${Math.round((Date.now() - started) / 1000)} s)`,
  "",
);
await Deno.stdout.write(enc.encode(out.join("\n")));
Deno.exit(anyFailed ? 1 : 0);
