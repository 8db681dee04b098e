// Apache Kafka beside the gateway: a real single-node KRaft broker (scripts/kafka/kafka.sh) and Kafka's
// command-line tools (scripts/kafka/tool.sh), from the jars scripts/kafka/fetch.sh puts in $KGW_CACHE (Maven
// Central). Java and Maven are on the project's machines; setup_test_tools.sh fetches the jars, and a missing
// java/mvn fails the run in CI (CI=true) and skips the tests elsewhere, as every other external tool.
import { kgwCache, requireTool, type Tool } from "./tools.ts";

const DIR = new URL("../../scripts/kafka/", import.meta.url).pathname;

/** The jars' directory once fetched (fetch.sh prints it), or a failing probe: what Java tests wait on. */
export function kafkaTools(): Promise<Tool> {
  return requireTool("Apache Kafka's jars (java + mvn, scripts/kafka/fetch.sh)", `${DIR}tool.sh`, [
    "kafka-topics",
    "--version",
  ]);
}

export interface ToolResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs one of Kafka's tools by its script name (`kafka-topics`, `kafka-consumer-groups`, ...). */
export async function kafkaTool(
  name: string,
  args: string[],
  opts: { stdin?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<ToolResult> {
  const child = new Deno.Command(`${DIR}tool.sh`, {
    args: [name, ...args],
    env: { KGW_CACHE: kgwCache(), ...opts.env },
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.stdin));
    await w.close();
  }
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }, opts.timeoutMs ?? 120_000);
  try {
    const out = await child.output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } finally {
    clearTimeout(timer);
  }
}

/** Runs a tool and throws with its output unless it exits 0; returns stdout. */
export async function kafkaToolOk(
  name: string,
  args: string[],
  opts: { stdin?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<string> {
  const r = await kafkaTool(name, args, opts);
  if (r.code !== 0) {
    throw new Error(`${name} ${args.join(" ")} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
  return r.stdout;
}

export interface ApacheKafka {
  /** 127.0.0.1:<port> of its PLAINTEXT listener. */
  readonly bootstrap: string;
  readonly dir: string;
  /** The broker's log so far (kafka.log in its directory). */
  log(): string;
  /** Stops the broker and removes its directory. */
  stop(): Promise<void>;
}

/**
 * Starts a fresh single-node Apache Kafka; `props` are extra server.properties lines (`key=value`); `version` another
 * line than the pom's (fetched from Maven Central on first use).
 */
export async function startApacheKafka(props: string[] = [], version?: string): Promise<ApacheKafka> {
  const dir = await Deno.makeTempDir({ prefix: "apache-kafka-" });
  const out = await new Deno.Command(`${DIR}kafka.sh`, {
    args: ["start", dir, ...props],
    env: { KGW_CACHE: kgwCache(), ...(version ? { KAFKA_VERSION: version } : {}) },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  const text = dec.decode(out.stdout);
  const bootstrap = /^BOOTSTRAP=(\S+)$/m.exec(text)?.[1];
  if (!out.success || !bootstrap) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw new Error(`Apache Kafka did not start: ${text}\n${dec.decode(out.stderr)}`);
  }
  return {
    bootstrap,
    dir,
    log: () => {
      try {
        return Deno.readTextFileSync(`${dir}/kafka.log`);
      } catch {
        return "";
      }
    },
    stop: async () => {
      await new Deno.Command(`${DIR}kafka.sh`, { args: ["stop", dir], stdout: "null", stderr: "null" })
        .output();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** A long-running JVM child (a Connect worker, MirrorMaker 2, a Streams app) whose output is kept for messages. */
export interface JavaProcess {
  output(): string;
  /** SIGTERM (the JVM's shutdown hooks run), SIGKILL after 20 s; returns the exit code. */
  stop(): Promise<number>;
}

/** Spawns `command` (a Deno.Command with piped stdout/stderr) and collects its output until it is stopped. */
export function javaProcess(command: Deno.Command): JavaProcess {
  const child = command.spawn();
  let text = "";
  const dec = new TextDecoder();
  const pump = async (s: ReadableStream<Uint8Array>) => {
    for await (const chunk of s) text += dec.decode(chunk);
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  return {
    output: () => text,
    stop: async () => {
      try {
        child.kill("SIGTERM");
      } catch { /* already exited */ }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }, 20_000);
      const status = await child.status;
      clearTimeout(timer);
      await pumps;
      return status.code;
    },
  };
}

/**
 * The lib directory of Apache Kafka's jars (scripts/kafka/fetch.sh) and the directory of the compiled test apps
 * (scripts/kafka/build_apps.sh: scripts/kafka/apps/*.java): run one with `java -cp "<lib>/*:<apps>" Main`.
 * `version`: another Kafka release than the pom's, its clients, Streams and broker without Connect (the apps
 * compiled against them).
 */
export async function kafkaApps(version?: string): Promise<{ lib: string; apps: string }> {
  const out = async (name: string) => {
    const r = await new Deno.Command(`${DIR}${name}`, {
      args: version === undefined ? [] : [version, "clients"],
      env: { KGW_CACHE: kgwCache() },
      stderr: "inherit",
    }).output();
    if (!r.success) throw new Error(`${name} failed`);
    return new TextDecoder().decode(r.stdout).trim();
  };
  return { lib: await out("fetch.sh"), apps: await out("build_apps.sh") };
}
