// kcat 1.7.1 (Debian's package, librdkafka 2.0.2) against a real gateway process: metadata, produce with every
// codec over 3 partitions, consume back exactly once with contiguous offsets, ListOffsets (-Q), NULL values,
// NULL keys, empty values and headers.
//
// kcat missing: the test FAILS when CI is set (.ci/run installs it), otherwise it is ignored with a printed reason.
import { assert, assertEquals } from "../unit/assert.ts";
import { type RunningGateway, runWithGateway } from "../helpers/gateway.ts";

const IN_CI = !!Deno.env.get("CI");
const PARTITIONS = 3;

async function kcatVersion(): Promise<string | null> {
  try {
    const out = await new Deno.Command("kcat", { args: ["-V"], stdout: "piped", stderr: "piped" }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    return /Version \S+/.exec(text)?.[0] ?? text.trim().split("\n")[0] ?? "unknown";
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

const KCAT = await kcatVersion();
if (KCAT === null && !IN_CI) {
  console.log(
    "kcat_test: kcat is not installed (apt-get install -y kcat): kcat tests ignored (they fail under CI)",
  );
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs kcat with a hard time limit (SIGKILL after timeoutMs); stdin gets `input` (or nothing). */
async function kcat(args: string[], input = "", timeoutMs = 30_000): Promise<Run> {
  const ac = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ac.abort();
  }, timeoutMs);
  try {
    const child = new Deno.Command("kcat", {
      args,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      signal: ac.signal,
    }).spawn();
    const w = child.stdin.getWriter();
    try {
      if (input) await w.write(new TextEncoder().encode(input));
      await w.close();
    } catch { /* kcat exited early: its status tells */ }
    const out = await child.output();
    return {
      code: out.code,
      stdout: new TextDecoder().decode(out.stdout),
      stderr: new TextDecoder().decode(out.stderr),
      timedOut,
    };
  } finally {
    clearTimeout(timer);
  }
}

function describe(args: string[], r: Run): string {
  return `kcat ${args.join(" ")}\n  exit ${r.code}${r.timedOut ? " (killed after time limit)" : ""}\n` +
    `  stdout: ${r.stdout.slice(0, 2000)}\n  stderr: ${r.stderr.slice(0, 4000)}`;
}

async function kcatOk(args: string[], input = "", timeoutMs = 30_000): Promise<string> {
  const r = await kcat(args, input, timeoutMs);
  if (r.code !== 0 || r.timedOut) throw new Error(`kcat failed: ${describe(args, r)}`);
  return r.stdout;
}

/** Common options: short timeouts so a broken gateway fails the test instead of hanging it. */
function base(gw: RunningGateway): string[] {
  return ["-b", gw.bootstrap, "-m", "10", "-X", "socket.timeout.ms=10000"];
}

function producerArgs(gw: RunningGateway, topic: string, extra: string[] = []): string[] {
  return ["-P", ...base(gw), "-t", topic, "-X", "message.timeout.ms=20000", ...extra];
}

interface Consumed {
  partition: number;
  offset: number;
  rest: string[];
}

/** Consumes a topic from the beginning to the end of every partition; `fmt` fields after "%p %o" are split by '|'. */
async function consumeAll(
  gw: RunningGateway,
  topic: string,
  fmt: string,
  extra: string[] = [],
): Promise<Consumed[]> {
  const out = await kcatOk([
    "-C",
    ...base(gw),
    "-t",
    topic,
    "-o",
    "beginning",
    "-e",
    "-q",
    ...extra,
    "-f",
    `%p %o ${fmt}\\n`,
  ]);
  return out.split("\n").filter((l) => l !== "").map((line) => {
    const m = /^(\d+) (\d+) (.*)$/s.exec(line);
    if (!m) throw new Error(`unparsable kcat output line: ${JSON.stringify(line)}`);
    return { partition: Number(m[1]), offset: Number(m[2]), rest: m[3].split("|") };
  });
}

/** Every partition's offsets must be exactly 0..n-1 in order. Returns the count per partition. */
function assertContiguous(rows: Consumed[], what: string): Map<number, number> {
  const next = new Map<number, number>();
  for (const r of rows) {
    const want = next.get(r.partition) ?? 0;
    assertEquals(r.offset, want, `${what}: partition ${r.partition} offset`);
    next.set(r.partition, want + 1);
  }
  return next;
}

/** Parses `kcat -Q` output lines "topic [p] offset N" into partition -> offset. */
function parseQuery(out: string, topic: string): Map<number, number> {
  const res = new Map<number, number>();
  for (const line of out.split("\n")) {
    if (line.trim() === "") continue;
    const m = /^(\S+) \[(\d+)\] offset (-?\d+)$/.exec(line.trim());
    if (!m || m[1] !== topic) {
      throw new Error(`unexpected kcat -Q line: ${JSON.stringify(line)}\nfull output:\n${out}`);
    }
    res.set(Number(m[2]), Number(m[3]));
  }
  return res;
}

const withGateway = (fn: (gw: RunningGateway) => Promise<void>) =>
  runWithGateway({ args: ["--num-partitions", String(PARTITIONS)] }, fn);

const CODECS = ["none", "gzip", "snappy", "lz4", "zstd"];

Deno.test({
  name: "kcat: metadata, every codec over 3 partitions, offsets query, NULL values and headers",
  ignore: KCAT === null && !IN_CI,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async (t) => {
    if (KCAT === null) {
      throw new Error("kcat is not installed but CI is set: .ci/run must install it (apt-get install kcat)");
    }
    console.log(`using kcat ${KCAT}`);
    await withGateway(async (gw) => {
      await t.step("-L -J lists the broker and a topic auto-created by produce", async () => {
        const topic = "kcat-meta";
        await kcatOk(producerArgs(gw, topic), "hello\n");
        const args = ["-L", ...base(gw), "-J"];
        const md = JSON.parse(await kcatOk(args)) as {
          brokers: { id: number; name: string }[];
          topics: { topic: string; error?: string; partitions: { partition: number; leader: number }[] }[];
        };
        assertEquals(md.brokers.length, 1, `one broker in ${JSON.stringify(md)}`);
        assertEquals(md.brokers[0].name, gw.bootstrap, "broker address");
        const tp = md.topics.find((x) => x.topic === topic);
        assert(tp, `topic ${topic} not listed: ${JSON.stringify(md.topics)}`);
        assert(!tp.error, `topic error ${tp.error}`);
        assertEquals(
          tp.partitions.map((p) => p.partition).sort(),
          [0, 1, 2],
          "partitions of an auto-created topic",
        );
        for (const p of tp.partitions) {
          assertEquals(p.leader, md.brokers[0].id, `leader of partition ${p.partition}`);
        }
        // The single-topic form (-t) must agree.
        const one = JSON.parse(await kcatOk(["-L", ...base(gw), "-J", "-t", topic])) as typeof md;
        assertEquals(one.topics.map((x) => x.topic), [topic], "-L -t lists only that topic");
      });

      for (const codec of CODECS) {
        await t.step(
          `-z ${codec}: 100 key:value lines come back exactly once, offsets contiguous`,
          async () => {
            const topic = `kcat-z-${codec}`;
            const n = 100;
            const lines = Array.from(
              { length: n },
              (_, i) => `key-${i}:value-${i}-${codec}-${"x".repeat(i % 17)}`,
            );
            // Two producer runs, so each partition holds more than one batch.
            for (const half of [lines.slice(0, n / 2), lines.slice(n / 2)]) {
              await kcatOk(
                producerArgs(gw, topic, ["-K:", "-z", codec, "-X", "linger.ms=50"]),
                half.join("\n") + "\n",
              );
            }
            const rows = await consumeAll(gw, topic, "%k|%s");
            const seen = new Map<string, string>();
            for (const r of rows) {
              const [k, v] = r.rest;
              assert(!seen.has(k), `${codec}: key ${k} consumed twice`);
              seen.set(k, v);
            }
            assertEquals(rows.length, n, `${codec}: messages consumed`);
            for (const l of lines) {
              const i = l.indexOf(":");
              assertEquals(seen.get(l.slice(0, i)), l.slice(i + 1), `${codec}: value of ${l.slice(0, i)}`);
            }
            const counts = assertContiguous(rows, codec);
            assert(
              counts.size >= 2,
              `${codec}: keyed messages should spread over partitions, got ${[...counts]}`,
            );

            // -Q: end offsets (-1) equal the counts, beginning (-2) is 0, an old timestamp finds offset 0,
            // a future timestamp finds nothing (-1).
            const q = (ts: number) =>
              Array.from({ length: PARTITIONS }, (_, p) => ["-t", `${topic}:${p}:${ts}`]).flat();
            const end = parseQuery(await kcatOk(["-Q", ...base(gw), ...q(-1)]), topic);
            const begin = parseQuery(await kcatOk(["-Q", ...base(gw), ...q(-2)]), topic);
            const old = parseQuery(await kcatOk(["-Q", ...base(gw), ...q(Date.now() - 3_600_000)]), topic);
            const future = parseQuery(await kcatOk(["-Q", ...base(gw), ...q(Date.now() + 3_600_000)]), topic);
            for (let p = 0; p < PARTITIONS; p++) {
              const c = counts.get(p) ?? 0;
              assertEquals(end.get(p), c, `${codec}: -Q end offset of partition ${p}`);
              assertEquals(begin.get(p), 0, `${codec}: -Q beginning offset of partition ${p}`);
              assertEquals(
                old.get(p),
                c > 0 ? 0 : -1,
                `${codec}: -Q offset for an old timestamp, partition ${p}`,
              );
              assertEquals(future.get(p), -1, `${codec}: -Q offset for a future timestamp, partition ${p}`);
            }
          },
        );
      }

      await t.step("-Z NULL value, NULL key, empty value and -H headers round-trip", async () => {
        const topic = "kcat-null-hdr";
        // -Z: "nullval:" -> key "nullval", value NULL; ":nokey" -> key NULL, value "nokey".
        await kcatOk(
          producerArgs(gw, topic, ["-p", "0", "-K:", "-Z", "-H", "h1=v1", "-H", "h2=v2"]),
          "nullval:\n:nokey\n",
        );
        // Without -Z: "empty:" -> empty (not NULL) value; headers with an empty value and a repeated name.
        await kcatOk(
          producerArgs(gw, topic, ["-p", "0", "-K:", "-H", "h3=v3", "-H", "e=", "-H", "h3=again"]),
          "empty:\nplain:text\n",
        );
        // %K / %S print -1 for NULL and 0 for empty; %h prints "name=value,..." (a NULL header value as NULL).
        const rows = await consumeAll(gw, topic, "%k|%K|%s|%S|%h", ["-p", "0"]);
        assertEquals(rows.map((r) => [r.partition, r.offset, ...r.rest]), [
          [0, 0, "nullval", "7", "", "-1", "h1=v1,h2=v2"],
          [0, 1, "", "-1", "nokey", "5", "h1=v1,h2=v2"],
          [0, 2, "empty", "5", "", "0", "h3=v3,e=,h3=again"],
          [0, 3, "plain", "5", "text", "4", "h3=v3,e=,h3=again"],
        ]);
        // The JSON envelope shows NULL as null, and headers as a [name, value, ...] array.
        const json = await kcatOk([
          "-C",
          ...base(gw),
          "-t",
          topic,
          "-p",
          "0",
          "-o",
          "beginning",
          "-e",
          "-q",
          "-J",
        ]);
        const msgs = json.split("\n").filter((l) => l).map((l) =>
          JSON.parse(l) as { key: unknown; payload: unknown; headers?: unknown }
        );
        assertEquals(msgs.map((m) => [m.key, m.payload, m.headers]), [
          ["nullval", null, ["h1", "v1", "h2", "v2"]],
          [null, "nokey", ["h1", "v1", "h2", "v2"]],
          ["empty", "", ["h3", "v3", "e", "", "h3", "again"]],
          ["plain", "text", ["h3", "v3", "e", "", "h3", "again"]],
        ]);
        const end = parseQuery(await kcatOk(["-Q", ...base(gw), "-t", `${topic}:0:-1`]), topic);
        assertEquals(end.get(0), 4, "end offset after 4 messages");
      });
    });
  },
});
