// The command line as a user meets it: the `start` task with a "--" separator and env-named paths, the one-line
// refusal of a data directory outside the granted paths, a taken Kafka port, the gateway's life against its
// launchers (signals stop it, a script exiting does not, npx gone does), and /metrics passing
// `promtool check metrics` (when promtool is installed).
import { assert, assertEquals } from "../unit/assert.ts";
import { runWithGateway } from "../helpers/gateway.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const dec = new TextDecoder();

async function run(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string }> {
  const cmd = new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
  const child = cmd.spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const o = await child.output();
  clearTimeout(timer);
  return { code: o.code, out: dec.decode(o.stdout) + dec.decode(o.stderr) };
}

function hasCommand(name: string): boolean {
  try {
    new Deno.Command(name, { args: ["--version"], stdout: "null", stderr: "null" }).outputSync();
    return true;
  } catch {
    return false;
  }
}

function portFree(port: number): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return true;
  } catch {
    return false;
  }
}

Deno.test('task start -- --version: the "--" Deno passes through is accepted', async () => {
  const r = await run(["task", "start", "--", "--version"]);
  assertEquals(r.code, 0, r.out);
  const deno = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
  assert(r.out.includes(`kafka-gateway ${deno.version}`), r.out);
});

Deno.test("task start: --data-dir outside the grant stops with one line; KGW_DATA_DIR is granted", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kgw-cli-" });
  try {
    const denied = await run(["task", "start", "--data-dir", `${dir}/d`, "--http-listen", "off"]);
    assertEquals(denied.code, 2, denied.out);
    const lines = denied.out.split("\n").filter((l) => l.startsWith("kafka-gateway:"));
    assertEquals(lines.length, 1, denied.out);
    assert(lines[0].includes(`${dir}/d`) && lines[0].includes(`KGW_DATA_DIR=${dir}/d`), lines[0]);
    assert(!denied.out.includes("run again with"), denied.out);

    // KGW_DATA_DIR and KGW_CONFIG name paths the task grants; the config file uses a Kafka name.
    await Deno.writeTextFile(`${dir}/gw.json`, JSON.stringify({ "num.partitions": 2, "http-listen": "off" }));
    const env = { KGW_DATA_DIR: `${dir}/d`, KGW_CONFIG: `${dir}/gw.json` };
    // --version exits after the configuration (file included) loaded: no port is needed
    const ok = await run(["task", "start", "--version"], env);
    assertEquals(ok.code, 0, ok.out);
    const outsideConfig = await run(["task", "start", "--config", `${dir}/gw.json`], {
      KGW_DATA_DIR: `${dir}/d`,
    });
    assertEquals(outsideConfig.code, 2, outsideConfig.out);
    assert(outsideConfig.out.includes(`KGW_CONFIG=${dir}/gw.json`), outsideConfig.out);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a taken Kafka port names the listener", async () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (taken.addr as Deno.NetAddr).port;
  const dir = await Deno.makeTempDir({ prefix: "kgw-cli-" });
  try {
    const r = await run([
      "run",
      "-A",
      MAIN,
      "--listen",
      `127.0.0.1:${port}`,
      "--http-listen",
      "off",
      "--data-dir",
      dir,
    ]);
    assertEquals(r.code, 1, r.out);
    assert(r.out.includes(`--listen 127.0.0.1:${port} is in use`), r.out);
  } finally {
    taken.close();
    await Deno.remove(dir, { recursive: true });
  }
});

/** A gateway started through a launcher command line (a shell script in which GATEWAY and LOG are set). */
interface Launched {
  /** The launcher (the outermost process, as a supervisor or a provisioning tool sees it). */
  readonly launcher: Deno.ChildProcess;
  /** The gateway's own pid (its log's "pid N" line). */
  readonly pid: number;
  readonly port: number;
  readonly log: string;
  readonly dir: string;
}

const q = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

/**
 * Runs `script` under `sh -c` in a directory whose deno.json has a `start` task running the gateway, with $GATEWAY
 * (the gateway's command line), $LOG (where the script sends its output) and $DENO set; waits until the gateway
 * listens.
 */
async function launch(
  script: string,
  /** Runs once when the gateway's log first matches `at.line`, while it may still be starting. */
  at?: { readonly line: RegExp; readonly run: (launcher: Deno.ChildProcess) => void },
): Promise<Launched> {
  const dir = await Deno.makeTempDir({ prefix: "kgw-cli-" });
  const log = `${dir}/gateway.log`;
  // The task's directory has a deno.json of its own: the gateway is pointed at the repository's.
  const gateway = [
    Deno.execPath(),
    "run",
    "-A",
    "--config",
    `${ROOT}/deno.json`,
    MAIN,
    "--listen",
    "127.0.0.1:0",
  ]
    .concat(["--http-listen", "off", "--data-dir", `${dir}/d`]);
  await Deno.writeTextFile(
    `${dir}/deno.json`,
    JSON.stringify({ tasks: { start: gateway.map(q).join(" ") } }),
  );
  const launcher = new Deno.Command("sh", {
    args: ["-c", script],
    cwd: dir,
    env: {
      NO_COLOR: "1",
      GATEWAY: gateway.map(q).join(" "),
      LOG: log,
      DENO: Deno.execPath(),
      DENO_NO_UPDATE_CHECK: "1",
    },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  let port = 0;
  let pid = 0;
  for (let i = 0; i < 600 && port === 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const text = await Deno.readTextFile(log).catch(() => "");
    if (at !== undefined && at.line.test(text)) {
      at.run(launcher);
      at = undefined;
    }
    const m = /listening on [^\s:]+:(\d+)/.exec(text);
    const p = /\bpid (\d+)/.exec(text);
    if (m && p) [port, pid] = [Number(m[1]), Number(p[1])];
  }
  assert(
    port > 0 && pid > 0,
    `no "listening on" and pid in ${log}:\n${await Deno.readTextFile(log).catch(() => "")}`,
  );
  return { launcher, pid, port, log, dir };
}

function alive(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT"); // a no-op signal that fails once the process is gone
    return true;
  } catch {
    return false;
  }
}

/** Waits (up to 15 s) for the gateway to exit; expects its log to say why and that it stopped, and its port free. */
async function expectStopped(l: Launched, why: RegExp): Promise<void> {
  for (let i = 0; i < 150 && alive(l.pid); i++) await new Promise((r) => setTimeout(r, 100));
  const text = await Deno.readTextFile(l.log);
  if (alive(l.pid)) Deno.kill(l.pid, "SIGKILL");
  assert(!alive(l.pid), `gateway ${l.pid} still running 15 s later:\n${text}`);
  assert(why.test(text) && text.includes("stopped"), text);
  assert(portFree(l.port), `port ${l.port} still held`);
}

async function cleanup(l: Launched): Promise<void> {
  if (alive(l.pid)) Deno.kill(l.pid, "SIGKILL");
  try {
    l.launcher.kill("SIGKILL");
  } catch { /* gone */ }
  await l.launcher.status;
  await Deno.remove(l.dir, { recursive: true }).catch(() => {});
}

Deno.test("a script that starts the gateway with nohup … & and exits leaves it running; SIGTERM stops it", async () => {
  // The provisioning script of a new user: start in the background, wait for readiness (launch), exit.
  const l = await launch(`nohup sh -c "$GATEWAY" >"$LOG" 2>&1 & echo started`);
  try {
    assertEquals((await l.launcher.status).code, 0);
    // The old launcher watch checked every second; two seconds later nothing may have stopped it.
    await new Promise((r) => setTimeout(r, 2500));
    assert(alive(l.pid), await Deno.readTextFile(l.log));
    const c = await Deno.connect({ hostname: "127.0.0.1", port: l.port });
    c.close();
    Deno.kill(l.pid, "SIGTERM");
    await expectStopped(l, /SIGTERM: stopping/);
  } finally {
    await cleanup(l);
  }
});

Deno.test("deno task start from a script that exits (nohup, &, setsid) keeps running", async () => {
  for (
    const script of [
      `nohup "$DENO" task start >"$LOG" 2>&1 &`,
      `setsid "$DENO" task start >"$LOG" 2>&1 &`,
    ]
  ) {
    const l = await launch(`${script} echo started`);
    try {
      assertEquals((await l.launcher.status).code, 0, script);
      await new Promise((r) => setTimeout(r, 2500));
      assert(alive(l.pid), `${script}:\n${await Deno.readTextFile(l.log)}`);
    } finally {
      await cleanup(l);
    }
  }
});

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.test(`${signal} to deno task in the foreground stops the gateway (deno task passes it on)`, async () => {
    const l = await launch(`exec "$DENO" task start >"$LOG" 2>&1`);
    try {
      l.launcher.kill(signal);
      await expectStopped(l, new RegExp(`${signal}: stopping`));
    } finally {
      await cleanup(l);
    }
  });
}

Deno.test({
  name: "SIGTERM to npx stops the gateway (npm → sh → deno task → gateway: npm passes no signal on)",
  ignore: !hasCommand("npx") && Deno.env.get("CI") !== "true",
  fn: async () => {
    // The npm exec that CI's first stage cached (npx -y deno@2); the same Deno as the tests'.
    const l = await launch(`exec npx -y deno@2 task start >"$LOG" 2>&1`);
    try {
      l.launcher.kill("SIGTERM");
      await expectStopped(l, /its launcher npm \(pid \d+, "npm[^"]*"\) is gone.*: stopping/);
    } finally {
      await cleanup(l);
    }
  },
});

Deno.test({
  name: "npx killed while the gateway is still starting: the gateway stops once it serves",
  ignore: !hasCommand("npx") && Deno.env.get("CI") !== "true",
  fn: async () => {
    // npm is killed as soon as the gateway's start is under way (its internal topics are being created): sh and
    // deno task die or are reparented before the gateway serves, so npm must have been found before that.
    const l = await launch(`exec npx -y deno@2 task start >"$LOG" 2>&1`, {
      line: /created __consumer_offsets|group coordinator loaded/,
      run: (launcher) => launcher.kill("SIGTERM"),
    });
    try {
      await expectStopped(l, /its launcher npm \(pid \d+, "npm[^"]*"\) is gone.*: stopping/);
    } finally {
      await cleanup(l);
    }
  },
});

Deno.test({
  name: "promtool check metrics accepts a scrape",
  // Debian/Ubuntu package `prometheus` ships promtool.
  ignore: !hasCommand("promtool") && Deno.env.get("CI") !== "true", // CI installs it (.ci/run)
  fn: () =>
    runWithGateway({}, async (gw) => {
      const res = await fetch(`http://127.0.0.1:${gw.httpPort}/metrics`);
      const text = await res.text();
      assertEquals(res.status, 200);
      assert(/kgw_build_info\{version="[^"]+"/.test(text), text.slice(0, 2000));
      assert(text.includes("kgw_group_members_all"), "kgw_group_members_all missing");
      const child = new Deno.Command("promtool", {
        args: ["check", "metrics"],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const w = child.stdin.getWriter();
      await w.write(new TextEncoder().encode(text));
      await w.close();
      const o = await child.output();
      const out = dec.decode(o.stdout) + dec.decode(o.stderr);
      assertEquals(o.code, 0, `promtool check metrics:\n${out}`);
    }),
});

Deno.test("ops/systemd/kafka-gateway.service: its ExecStart permissions are enough to serve and stop", async () => {
  // Runs the unit's own command line with its paths moved into a temp dir (no systemd needed): the scoped
  // permissions it grants must be enough for the gateway to start, create its data directory and stop on SIGTERM.
  const unit = await Deno.readTextFile(`${ROOT}/ops/systemd/kafka-gateway.service`);
  const exec = /^ExecStart=((?:.*\\\n)*.*)$/m.exec(unit);
  assert(exec !== null, "no ExecStart");
  const dir = await Deno.makeTempDir({ prefix: "kgw-unit-" });
  try {
    const env: Record<string, string> = { KGW_DATA_DIR: `${dir}/var/lib/kafka-gateway` };
    for (const m of unit.matchAll(/^Environment=(\w+)=(.*)$/gm)) if (m[1] !== "DENO_DIR") env[m[1]] ??= m[2];
    env.KGW_DATA_DIR = `${dir}/var/lib/kafka-gateway`;
    const words = exec[1].replaceAll("\\\n", " ").trim().split(/\s+/).map((w) =>
      w.replaceAll("${KGW_DATA_DIR}", env.KGW_DATA_DIR).replaceAll(
        "/opt/kafka-gateway",
        ROOT.replace(/\/$/, ""),
      )
    );
    assertEquals(words[0], "/usr/local/bin/deno");
    assert(!words.includes("-A") && !words.includes("--allow-all"), words.join(" "));
    await Deno.mkdir(env.KGW_DATA_DIR, { recursive: true }); // systemd's StateDirectory=
    const child = new Deno.Command(Deno.execPath(), {
      args: [...words.slice(1), "--listen", "127.0.0.1:0", "--http-listen", "off"],
      cwd: ROOT,
      env: { ...env, NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const out: string[] = [];
    const pump = async (s: ReadableStream<Uint8Array>) => {
      for await (const c of s) out.push(dec.decode(c));
    };
    const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
    for (let i = 0; i < 300 && !/listening on/.test(out.join("")); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert(/listening on/.test(out.join("")), out.join(""));
    child.kill("SIGTERM");
    const st = await child.status;
    await pumps;
    assertEquals(st.code, 0, out.join(""));
    assert((await Deno.stat(`${env.KGW_DATA_DIR}/meta.properties`)).isFile);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SIGTERM while the gateway starts: it stops once started, cleanly (exit 0), not by the signal", async () => {
  // The signal goes out on the gateway's first log line, well before it serves; before the listeners were
  // installed ahead of the start, it died of the signal (exit 143) — and a signal right after "listening on"
  // could still do so.
  const dir = await Deno.makeTempDir({ prefix: "kgw-start-signal-" });
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, "--listen", "127.0.0.1:0", "--http-listen", "off", "--data-dir", dir],
      cwd: ROOT,
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const out: string[] = [];
    let signalled = false;
    const pump = async (s: ReadableStream<Uint8Array>) => {
      for await (const c of s) {
        out.push(dec.decode(c));
        if (!signalled && /kafka-gateway \d/.test(out.join(""))) {
          signalled = true;
          child.kill("SIGTERM");
        }
      }
    };
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
    const st = await child.status;
    clearTimeout(timer);
    await pumps;
    const log = out.join("");
    assert(signalled, log);
    assertEquals(st.code, 0, log);
    assert(/SIGTERM while starting: stopping once started/.test(log), log);
    assert(/listening on/.test(log) && /stopped in \d+ ms/.test(log), log);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
