// kcat (Debian 1.7.1, librdkafka 2.0.2) driven as a subprocess. See ../README.md.
// kcat -P sets headers per invocation (-H), not per line, so per-message headers are not tested here (headers=0),
// and it prints no delivery reports (no acks).
const [scenario, bootstrap, topic, group, ...rest] = Deno.args;
const opt: Record<string, string> = Object.fromEntries(rest.map((a) => a.split("=", 2) as [string, string]));
const n = Number(opt.n ?? 20);
const start = Number(opt.start ?? 0);
const timeoutMs = Number(opt.timeout_ms ?? 30000);
const KCAT = Deno.env.get("KCAT") ?? "kcat";

const PAD = "x".repeat(200); // compressible: librdkafka sends a batch uncompressed when that is smaller
type Msg = [number, number, string | null, string | null, string | null];
function done(res: Record<string, unknown>): never {
  console.log(JSON.stringify(res));
  Deno.exit(res.ok ? 0 : 1);
}

async function kcat(args: string[], input?: string): Promise<{ code: number; out: string; err: string }> {
  const child = new Deno.Command(KCAT, {
    args: ["-b", bootstrap, ...args],
    stdin: input === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  if (input !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(input));
    await w.close();
  }
  const out = await child.output();
  clearTimeout(timer);
  const dec = new TextDecoder();
  return { code: out.code, out: dec.decode(out.stdout), err: dec.decode(out.stderr) };
}

function parse(out: string): Msg[] {
  const msgs: Msg[] = [];
  for (const line of out.split("\n")) {
    if (!line.startsWith("{")) continue;
    const j = JSON.parse(line);
    let h: string | null = null;
    if (Array.isArray(j.headers)) {
      for (let i = 0; i + 1 < j.headers.length; i += 2) if (j.headers[i] === "h") h = j.headers[i + 1];
    }
    msgs.push([j.partition, j.offset, j.key, j.payload, h]);
  }
  return msgs;
}

const common = [
  "-X",
  "topic.metadata.refresh.interval.ms=1000",
  "-X",
  `client.id=${opt.client_id ?? "rdkafka"}`,
];
if (scenario === "produce") {
  const lines = [];
  for (let i = start; i < start + n; i++) lines.push(`k-${i}\tv-${i}|${PAD}\n`);
  const args = ["-P", "-t", topic, "-K", "\t", "-z", opt.compression ?? "none", "-X", "acks=all", ...common];
  if (opt.idempotent === "1") args.push("-X", "enable.idempotence=true");
  const r = await kcat(args, lines.join(""));
  done({ ok: r.code === 0, error: r.code === 0 ? undefined : `kcat exit ${r.code}: ${r.err.slice(-600)}` });
} else if (scenario === "fetch") {
  // isolation=read_committed|read_uncommitted: librdkafka's isolation.level (its default is read_committed).
  const iso = opt.isolation ? ["-X", `isolation.level=${opt.isolation}`] : [];
  const r = await kcat([
    "-C",
    "-t",
    topic,
    "-o",
    "beginning",
    "-e",
    "-c",
    String(n),
    "-J",
    ...iso,
    ...common,
  ]);
  done({
    ok: r.code === 0,
    error: r.code ? `kcat exit ${r.code}: ${r.err.slice(-600)}` : undefined,
    msgs: parse(r.out),
  });
} else if (scenario === "group" && opt.idle_ms) {
  // Group member that stops once messages stopped arriving for idle_ms: kcat has no such option, so read its
  // output as it comes (-u) and end it with SIGTERM (kcat then closes the consumer cleanly and commits).
  const idleMs = Number(opt.idle_ms);
  const child = new Deno.Command(KCAT, {
    args: [
      "-b",
      bootstrap,
      "-G",
      group,
      topic,
      "-c",
      String(n),
      "-J",
      "-u",
      "-X",
      "auto.offset.reset=earliest",
      "-X",
      `enable.auto.commit=${opt.commit === "0" ? "false" : "true"}`,
      "-X",
      "session.timeout.ms=10000",
      "-X",
      "heartbeat.interval.ms=500",
      ...common,
    ],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  let out = "";
  let last = Date.now();
  const errText = new Response(child.stderr).text();
  const reader = (async () => {
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      out += chunk;
      last = Date.now();
    }
  })();
  const t0 = Date.now();
  let stopped = false;
  while (!stopped) {
    await new Promise((r) => setTimeout(r, 100));
    const seen = parse(out).length;
    if ((seen && Date.now() - last >= idleMs) || Date.now() - t0 > timeoutMs) {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      stopped = true;
    }
    if (seen >= n) stopped = true;
  }
  const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  const status = await child.status;
  clearTimeout(killer);
  await reader;
  const msgs = parse(out);
  done({
    ok: msgs.length > 0,
    error: msgs.length ? undefined : `kcat exit ${status.code}: ${(await errText).slice(-600)}`,
    msgs,
  });
} else if (scenario === "group") {
  // Balanced consumer: auto commit (kcat's default) and the final commit in rd_kafka_consumer_close on exit.
  const r = await kcat([
    "-G",
    group,
    topic,
    "-c",
    String(n),
    "-J",
    "-X",
    "auto.offset.reset=earliest",
    "-X",
    "session.timeout.ms=10000",
    "-X",
    "heartbeat.interval.ms=500",
    ...common,
  ]);
  done({
    ok: r.code === 0,
    error: r.code ? `kcat exit ${r.code}: ${r.err.slice(-600)}` : undefined,
    msgs: parse(r.out),
  });
} else {
  done({ ok: false, error: `unknown scenario ${scenario}` });
}
