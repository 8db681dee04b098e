// `deno task test [--no-setup] [deno test args...]`: installs what the suites need (scripts/setup_test_tools.sh:
// apt packages where this user may, a confluent-kafka venv and weed under $KGW_CACHE), then runs every test
// (or the files/flags given) with the permissions they need, and closes with the tests that were skipped, by
// name, so a run that passes by skipping says so.
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
const rest = args.filter((a) => a !== "--no-setup");
const env = noSetup ? {} : await setup();
// Variables set by the caller win (e.g. WEED or KGW_PYTHON pointing elsewhere).
for (const k of Object.keys(env)) if (Deno.env.get(k) !== undefined) delete env[k];
const targets = rest.some((a) => !a.startsWith("-")) ? rest : [...rest, "tests/"];
const child = new Deno.Command(Deno.execPath(), {
  args: ["test", ...PERMS, ...targets],
  cwd: ROOT,
  env,
  stdout: "piped",
  stderr: "inherit",
}).spawn();

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
    const from = /^running \d+ tests? from (\S+)/.exec(line);
    if (from) module = from[1];
    const ig = /^(.*) \.\.\. ignored \(/.exec(line);
    if (ig) skipped.push(`${module}: ${ig[1].trim()}`);
  }
}
const status = await child.status;
if (skipped.length > 0) {
  const text = [`\nskipped ${skipped.length} test(s):`, ...skipped.map((s) => `  - ${s}`), ""].join("\n");
  await Deno.stdout.write(enc.encode(text));
} else {
  await Deno.stdout.write(enc.encode("\nskipped 0 tests\n"));
}
Deno.exit(status.code);
