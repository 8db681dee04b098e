// The command line as a user meets it: the `start` task with a "--" separator and env-named paths, the one-line
// refusal of a data directory outside the granted paths, a taken Kafka port, the gateway stopping when its
// launcher dies, and /metrics passing `promtool check metrics` (when promtool is installed).
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

/**
 * Starts the gateway through `wrap` (a shell script in which GATEWAY is the gateway command line and LOG its log
 * file; it prints the gateway's pid), kills the outermost wrapper as a supervisor would, and expects the gateway to
 * stop on its own and free its port; `expect` is the reason it logs.
 */
async function stopsWithLauncher(
  wrap: (gateway: string, log: string) => string,
  expect: RegExp,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "kgw-cli-" });
  const log = `${dir}/gateway.log`;
  const q = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
  // A supervisor's view: it started the wrapper and signals only that pid.
  const gateway = [Deno.execPath(), "run", "-A", MAIN, "--listen", "127.0.0.1:0", "--http-listen", "off"]
    .concat(["--data-dir", `${dir}/d`]).map(q).join(" ");
  const wrapper = new Deno.Command("sh", {
    args: ["-c", wrap(gateway, q(log))],
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = wrapper.stdout.getReader();
  try {
    const first = dec.decode((await reader.read()).value);
    const pid = Number(first.trim().split("\n")[0]);
    assert(pid > 0, first);
    let port = 0;
    for (let i = 0; i < 300 && port === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const m = /listening on [^\s:]+:(\d+)/.exec(await Deno.readTextFile(log).catch(() => ""));
      if (m) port = Number(m[1]);
    }
    assert(port > 0, await Deno.readTextFile(log));
    wrapper.kill("SIGTERM");
    await wrapper.status;
    let gone = false;
    for (let i = 0; i < 100 && !gone; i++) {
      await new Promise((r) => setTimeout(r, 100));
      try {
        Deno.kill(pid, "SIGCONT"); // a no-op signal that fails once the process is gone
      } catch {
        gone = true;
      }
    }
    const text = await Deno.readTextFile(log);
    if (!gone) Deno.kill(pid, "SIGKILL");
    assert(gone, `gateway ${pid} still running 10 s after its wrapper died:\n${text}`);
    assert(expect.test(text) && text.includes("stopped"), text);
    assert(portFree(port), `port ${port} still held`);
  } finally {
    reader.releaseLock();
    await wrapper.stdout.cancel().catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("the gateway stops when the wrapper that launched it is killed", async () => {
  await stopsWithLauncher(
    (gw, log) => `${gw} >${log} 2>&1 & echo $!; wait`,
    /parent process \d+ is gone: stopping/,
  );
});

Deno.test("the gateway stops when the launcher of its launcher is killed (npx → deno task → gateway)", async () => {
  // The inner shell stands for `deno task`: it outlives the killed outer one, re-parented, still waiting.
  await stopsWithLauncher(
    (gw, log) => `(${gw} >${log} 2>&1 & echo $!; wait); :`,
    /parent process \d+ lost its own launcher \d+: stopping/,
  );
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
