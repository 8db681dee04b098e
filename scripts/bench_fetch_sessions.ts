// What fetch sessions (KIP-227) save: Apache Kafka's console consumer (the Java client, which opens a session and
// then fetches incrementally) reads a topic of many partitions and then idles, against a gateway with sessions
// (--max-incremental-fetch-session-cache-slots 1000, the default) and one without (0: every fetch is full).
// Prints, per run, the Fetch requests answered and the bytes the gateway sent and received while the consumer
// idled (from /metrics), per fetch.
//
//   deno task bench:fetch-sessions [--partitions 500] [--idle-seconds 15]
import { startGateway } from "../tests/helpers/gateway.ts";

const args = Deno.args;
const opt = (name: string, def: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const PARTITIONS = opt("partitions", 500);
const IDLE_S = opt("idle-seconds", 15);
const TOOL = new URL("./kafka/tool.sh", import.meta.url).pathname;

async function tool(name: string, toolArgs: string[]): Promise<string> {
  const o = await new Deno.Command("bash", {
    args: [TOOL, name, ...toolArgs],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const out = new TextDecoder().decode(o.stdout) + new TextDecoder().decode(o.stderr);
  if (!o.success) throw new Error(`${name} failed:\n${out}`);
  return out;
}

/** Sums a family's samples, optionally only those whose labels contain `match`. */
function metric(text: string, family: string, match = ""): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(family) || line.startsWith("#")) continue;
    const rest = line.slice(family.length);
    if (rest[0] !== " " && rest[0] !== "{") continue;
    if (match && !rest.includes(match)) continue;
    sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}

async function scrape(httpPort: number): Promise<string> {
  return await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
}

async function run(slots: number): Promise<string> {
  const gw = await startGateway({ args: ["--max-incremental-fetch-session-cache-slots", String(slots)] });
  try {
    const bs = gw.bootstrap;
    await tool("kafka-topics", [
      "--bootstrap-server",
      bs,
      "--create",
      "--topic",
      "t",
      "--partitions",
      String(PARTITIONS),
    ]);
    const consumer = new Deno.Command("bash", {
      args: [TOOL, "kafka-console-consumer", "--bootstrap-server", bs, "--topic", "t", "--group", "bench"],
      stdout: "null",
      stderr: "null",
    }).spawn();
    // Joined and fetching: wait until the group has committed nothing but fetches flow, then measure an idle span.
    const http = gw.httpPort!;
    const fetches = async () => metric(await scrape(http), "kgw_requests_total", 'api="Fetch"');
    for (let i = 0; i < 600 && await fetches() < 10; i++) await new Promise((r) => setTimeout(r, 100));
    const before = await scrape(http);
    await new Promise((r) => setTimeout(r, IDLE_S * 1000));
    const after = await scrape(http);
    consumer.kill("SIGTERM");
    await consumer.status;
    const d = (family: string, match = "") => metric(after, family, match) - metric(before, family, match);
    const n = d("kgw_requests_total", 'api="Fetch"');
    const sent = d("kgw_network_sent_bytes_total");
    const received = d("kgw_network_received_bytes_total");
    return `slots ${String(slots).padStart(4)}: ${n} fetches in ${IDLE_S} s idle; per fetch ${
      (sent / n).toFixed(0)
    } B sent, ${(received / n).toFixed(0)} B received (all requests: ${sent} B sent, ${received} B received)`;
  } finally {
    await gw.stop();
    await Deno.remove(gw.dataDir, { recursive: true }).catch(() => {});
  }
}

console.log(`Java console consumer, one topic of ${PARTITIONS} partitions, idle:`);
for (const slots of [1000, 0]) console.log(await run(slots));
