// confluent-kafka consumer-group members and admin ops for the KIP-848 integration tests, driven through
// tests/integration/py/ck_consumer_protocol.py: its `member` mode (one consumer, its assignment and records as JSON
// events on stdout) and its `admin` mode (a JSON list of ops on stdin, one JSON result a line). The client must be
// confluent-kafka with librdkafka >= 2.10 (KIP-848 GA); without it the tests fail, they never skip.
import { pythonPath } from "./tools.ts";

/** The Python with confluent-kafka ($KGW_PYTHON, else the set-up venv). */
export const PYTHON = pythonPath();
/** The script that runs the members and the admin ops. */
export const SCRIPT = new URL("../integration/py/ck_consumer_protocol.py", import.meta.url).pathname;
/** librdkafka made KIP-848 generally available in 2.10. */
export const MIN_LIBRDKAFKA = [2, 10];
/** KGW_CP_DEBUG=cgrp,protocol: librdkafka's debug contexts for the members (their stderr ends up in failures). */
const DEBUG = Deno.env.get("KGW_CP_DEBUG");

/**
 * Gateway arguments for consumer-protocol groups with this session timeout and heartbeat interval, each also the
 * minimum a member may ask for (so the tests' short timeouts are taken as they are).
 */
export function consumerGroupArgs(sessionMs: number, heartbeatMs: number): string[] {
  return [
    "--group-consumer-session-timeout-ms",
    String(sessionMs),
    "--group-consumer-min-session-timeout-ms",
    String(sessionMs),
    "--group-consumer-heartbeat-interval-ms",
    String(heartbeatMs),
    "--group-consumer-min-heartbeat-interval-ms",
    String(heartbeatMs),
  ];
}

// ---------------------------------------------------------------- the client

let clientCheck: Promise<string | null> | undefined;

/** Null when confluent-kafka with a KIP-848 librdkafka runs here, else why not (checked once). */
export function consumerProtocolClientMissing(): Promise<string | null> {
  clientCheck ??= (async () => {
    try {
      const out = await new Deno.Command(PYTHON, {
        args: ["-c", "import confluent_kafka as c; print(c.libversion()[0])"],
        stdout: "piped",
        stderr: "piped",
      }).output();
      if (!out.success) return `confluent-kafka does not import: ${new TextDecoder().decode(out.stderr)}`;
      const version = new TextDecoder().decode(out.stdout).trim();
      const [major, minor] = version.split(".").map(Number);
      if (major < MIN_LIBRDKAFKA[0] || (major === MIN_LIBRDKAFKA[0] && minor < MIN_LIBRDKAFKA[1])) {
        return `librdkafka ${version} predates KIP-848 GA (${MIN_LIBRDKAFKA.join(".")})`;
      }
      return null;
    } catch (e) {
      return `${PYTHON} does not run: ${e}`;
    }
  })();
  return clientCheck;
}

/** Throws (the test fails, it never skips) unless confluent-kafka with a KIP-848 librdkafka runs here. */
export async function requireConsumerProtocolClient(): Promise<void> {
  const missing = await consumerProtocolClientMissing();
  if (missing !== null) throw new Error(`confluent-kafka with KIP-848 is required: ${missing}`);
}

// ---------------------------------------------------------------- members

/** A line the script's member mode prints: an assignment change, a record, an error, its close. */
export interface Event {
  event: string;
  ms: number;
  partitions?: string[];
  topic?: string;
  p?: number;
  o?: number;
  v?: string;
  error?: string;
}

export interface MemberConf {
  group: string;
  topics: string[];
  /** group.protocol; default consumer. */
  protocol?: "consumer" | "classic";
  /** group.remote.assignor (consumer protocol); default the broker's. */
  assignor?: "uniform" | "range";
  /** partition.assignment.strategy (classic protocol); default cooperative-sticky. */
  strategy?: string;
  /** group.instance.id (static membership). */
  instance?: string;
  clientId: string;
}

/** Where a member or admin op connects: a bootstrap list, or anything with one (a started gateway). */
export type Bootstrap = string | { readonly bootstrap: string };

const bootstrapOf = (to: Bootstrap) => typeof to === "string" ? to : to.bootstrap;

/** Calls `each` with every complete line of `s`. */
async function eachLine(s: ReadableStream<Uint8Array>, each: (line: string) => void): Promise<void> {
  let buf = "";
  for await (const chunk of s.pipeThrough(new TextDecoderStream())) {
    buf += chunk;
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      each(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  }
}

/** A running ck_consumer_protocol.py member: its events as they arrive, its stderr for failure messages. */
export class Member {
  readonly events: Event[] = [];
  private stderr = "";
  private readonly child: Deno.ChildProcess;
  private readonly pumped: Promise<void>;
  readonly exited: Promise<Deno.CommandStatus>;

  constructor(to: Bootstrap, readonly conf: MemberConf) {
    const json = JSON.stringify({
      bootstrap: bootstrapOf(to),
      group: conf.group,
      topics: conf.topics,
      protocol: conf.protocol ?? "consumer",
      assignor: conf.assignor ?? null,
      strategy: conf.strategy ?? "cooperative-sticky",
      instance: conf.instance ?? null,
      client_id: conf.clientId,
      debug: DEBUG ?? null,
    });
    this.child = new Deno.Command(PYTHON, {
      args: [SCRIPT, "member", json],
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
    }).spawn();
    this.exited = this.child.status;
    this.pumped = Promise.all([
      eachLine(this.child.stdout, (l) => {
        if (l.startsWith("{")) this.events.push(JSON.parse(l) as Event);
      }),
      eachLine(this.child.stderr, (l) => {
        this.stderr = (this.stderr + l + "\n").slice(-4000);
      }),
    ]).then(() => {});
  }

  get name(): string {
    return this.conf.clientId;
  }

  /** The partitions it holds now ("topic:p"), from its last assignment event. */
  assigned(): string[] {
    const ev = this.assignmentEvents();
    return ev.length ? ev[ev.length - 1].partitions! : [];
  }

  assignmentEvents(): Event[] {
    return this.events.filter((e) => e.event === "assigned" || e.event === "revoked" || e.event === "lost");
  }

  values(): string[] {
    return this.events.filter((e) => e.event === "msg").map((e) => e.v!);
  }

  closed(): boolean {
    return this.events.some((e) => e.event === "closed");
  }

  /**
   * What to show when a test fails: what it holds, how many records, its last errors and stderr lines; with
   * `history`, every assignment event (`assigned[t:p …]@ms`) instead of their number.
   */
  report(opts: { history?: boolean } = {}): string {
    const errors = this.events.filter((e) => e.event.endsWith("error")).slice(-5).map((e) => e.error);
    const assignments = opts.history
      ? `assignment events ${
        this.assignmentEvents().map((e) => `${e.event}[${e.partitions!.join(" ")}]@${e.ms}`).join(", ")
      }`
      : `${this.assignmentEvents().length} assignment events`;
    const stderr = this.stderr.trim().split("\n").slice(-6).join("\n  stderr: ");
    return `${this.name}: holds [${this.assigned().join(" ")}], ${this.values().length} records, ` +
      `${assignments}${errors.length ? `, errors: ${errors.join(" | ")}` : ""}${
        this.stderr ? `\n  stderr: ${stderr}` : ""
      }`;
  }

  /** SIGTERM: the script closes the consumer (it leaves the group) and exits; SIGKILL if it hangs 10 s. */
  async close(): Promise<void> {
    this.signal("SIGTERM");
    const t = setTimeout(() => this.signal("SIGKILL"), 10_000);
    await this.exited;
    clearTimeout(t);
    await this.pumped.catch(() => {});
  }

  /** SIGSTOP / SIGCONT: a member that is frozen (no heartbeats), then goes on. */
  pause(): void {
    this.signal("SIGSTOP");
  }

  resume(): void {
    this.signal("SIGCONT");
  }

  async kill(): Promise<void> {
    this.signal("SIGCONT"); // a stopped process takes SIGKILL too, but do not leave one behind stopped
    this.signal("SIGKILL");
    await this.exited;
    await this.pumped.catch(() => {});
  }

  private signal(sig: Deno.Signal): void {
    try {
      this.child.kill(sig);
    } catch { /* gone */ }
  }
}

// ---------------------------------------------------------------- admin ops

// deno-lint-ignore no-explicit-any
export type Result = Record<string, any>;

/** Runs the script's admin mode with `ops` (see the script for them): one result per op; any Kafka error fails. */
export async function admin(to: Bootstrap, ops: Record<string, unknown>[]): Promise<Result[]> {
  const child = new Deno.Command(PYTHON, {
    args: [SCRIPT, "admin", bootstrapOf(to)],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const input = new TextEncoder().encode(JSON.stringify(ops));
  const [out] = await Promise.all([child.output(), ReadableStream.from([input]).pipeTo(child.stdin)]);
  const lines = new TextDecoder().decode(out.stdout).split("\n").filter((l) => l.trim() !== "");
  if (lines.length !== ops.length) {
    throw new Error(`admin answered ${lines.length}/${ops.length}:\n${new TextDecoder().decode(out.stderr)}`);
  }
  const results = lines.map((l) => JSON.parse(l) as Result);
  for (const [i, r] of results.entries()) {
    if (r.error !== null) {
      throw new Error(`${JSON.stringify(ops[i]).slice(0, 200)} -> ${r.error}: ${r.message}`);
    }
  }
  return results;
}
