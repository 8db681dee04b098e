// `deno task test [--no-setup] [--serial] [deno test args...]`: installs what the suites need
// (scripts/setup_test_tools.sh: apt packages where this user may, a confluent-kafka venv and weed under
// $KGW_CACHE), then runs every test (or the files/flags given) with the permissions they need, and closes with the
// tests that were skipped, by name, so a run that passes by skipping says so. Test files run two at a time
// (`--parallel`, KGW_TEST_JOBS, default 2): most of a suite's time is spent waiting on clients, servers and
// session timeouts, so two files share two cores well (the whole suite: 14 min instead of 27 on 2 cores).
// `--serial` runs one file at a time. A test still running after KGW_TEST_STALL_MIN minutes (default 10; the
// longest test takes under 2) stops the run with its name: one hung test must not hold CI past its time limit.
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

async function setup(): Promise<Record<string, string>> {
  const out = await new Deno.Command("bash", {
    args: [`${ROOT}scripts/setup_test_tools.sh`],
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

const args = [...Deno.args];
const noSetup = args.includes("--no-setup");
const serial = args.includes("--serial");
const rest = args.filter((a) => a !== "--no-setup" && a !== "--serial");
const env = noSetup ? {} : await setup();
// Variables set by the caller win (e.g. WEED or KGW_PYTHON pointing elsewhere).
for (const k of Object.keys(env)) if (Deno.env.get(k) !== undefined) delete env[k];
const targets = rest.some((a) => !a.startsWith("-")) ? rest : [...rest, "tests/"];
const jobs = Deno.env.get("KGW_TEST_JOBS") ?? "2";
const child = new Deno.Command(Deno.execPath(), {
  args: ["test", ...PERMS, ...(serial ? [] : ["--parallel"]), ...targets],
  cwd: ROOT,
  env: serial ? env : { ...env, DENO_JOBS: jobs },
  stdout: "piped",
  stderr: "inherit",
}).spawn();
const stallMin = Number(Deno.env.get("KGW_TEST_STALL_MIN") ?? "10");
let stalled: string | null = null;

// Pass the output through while remembering which tests were ignored ("name ... ignored (0ms)").
const skipped: string[] = [];
let module = "";
let pending = "";
const enc = new TextEncoder();
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
    if (slow && Number(slow[2]) >= stallMin && stalled === null) {
      stalled = slow[1];
      await Deno.stdout.write(
        enc.encode(
          `\nFAILED: '${stalled}' still running after ${slow[2]} min: the test run is stopped here\n`,
        ),
      );
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
    }
    const from = /^running \d+ tests? from (\S+)/.exec(line);
    if (from) module = from[1];
    const ig = /^(.*) \.\.\. ignored \(/.exec(line);
    if (ig) {
      // With --parallel each line names its file: "./tests/x_test.ts => name ... ignored (0ms)".
      const named = /^(\S+) => (.*)$/.exec(ig[1]);
      skipped.push(named ? `${named[1]}: ${named[2].trim()}` : `${module}: ${ig[1].trim()}`);
    }
  }
}
const status = await child.status;
if (skipped.length > 0) {
  const text = [`\nskipped ${skipped.length} test(s):`, ...skipped.map((s) => `  - ${s}`), ""].join("\n");
  await Deno.stdout.write(enc.encode(text));
} else {
  await Deno.stdout.write(enc.encode("\nskipped 0 tests\n"));
}
if (stalled !== null) {
  await Deno.stdout.write(enc.encode(`test run stopped: '${stalled}' hung\n`));
}
Deno.exit(stalled !== null ? 1 : status.code);
