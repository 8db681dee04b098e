// librdkafka consumer groups against a real gateway: confluent-kafka (pip, current librdkafka) with range and
// cooperative-sticky, a member killed with SIGKILL, a static member restarting without a rebalance, and
// kcat -G (Debian's librdkafka 2.0.2) balanced consumers.
import { assert, assertEquals } from "../unit/assert.ts";
import { type RunningGateway, runWithGateway } from "../helpers/gateway.ts";
import { Kafka, logLevel } from "../helpers/kafkajs.ts";
import { pythonPath, requireTool } from "../helpers/tools.ts";
import { type ApiGroup, getJson, waitFor, waitForLags } from "../helpers/ops.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const GATEWAY_ARGS = ["--group-initial-rebalance-delay-ms", "0", "--group-min-session-timeout-ms", "1000"];
const PYTHON = pythonPath();
const MEMBER = new URL("./py/ck_member.py", import.meta.url).pathname;

const python = await requireTool("confluent-kafka (pip)", PYTHON, ["-c", "import confluent_kafka"]);
const kcat = await requireTool("kcat", "kcat", ["-V"]);

interface Event {
  event: string;
  partitions?: number[];
  p?: number;
  o?: number;
  v?: string;
}

/** A child process that prints JSON lines (confluent-kafka member) or text lines (kcat). */
class Proc {
  readonly lines: string[] = [];
  private readonly child: Deno.ChildProcess;
  private readonly pumped: Promise<void>;
  constructor(cmd: string, args: string[]) {
    const child = new Deno.Command(cmd, { args, stdout: "piped", stderr: "null", stdin: "null" }).spawn();
    this.child = child;
    this.pumped = (async () => {
      let buf = "";
      for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
        buf += chunk;
        let i;
        while ((i = buf.indexOf("\n")) >= 0) {
          this.lines.push(buf.slice(0, i));
          buf = buf.slice(i + 1);
        }
      }
    })();
  }
  events(): Event[] {
    return this.lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Event);
  }
  /** Current assignment (the last assigned/revoked event). */
  assigned(): number[] {
    const ev = this.events().filter((e) => e.event === "assigned" || e.event === "revoked");
    return ev.length ? ev[ev.length - 1].partitions! : [];
  }
  async kill(sig: Deno.Signal = "SIGKILL"): Promise<void> {
    try {
      this.child.kill(sig);
    } catch { /* gone */ }
    await this.child.status;
    await this.pumped.catch(() => {});
  }
}

async function until(what: string, cond: () => boolean, ms = 40000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function coversExactly(sets: number[][], n: number): boolean {
  const all = sets.flat().sort((a, b) => a - b);
  return all.length === n && all.every((p, i) => p === i) && sets.every((s) => s.length > 0);
}

async function produce(gw: RunningGateway, topic: string, from: number, n: number, partitions: number) {
  const kafka = new Kafka({ clientId: "producer", brokers: [gw.bootstrap], logLevel: logLevel.NOTHING });
  const p = kafka.producer();
  await p.connect();
  await p.send({
    topic,
    acks: -1,
    messages: Array.from(
      { length: n },
      (_, i) => ({ partition: (from + i) % partitions, value: `v${from + i}` }),
    ),
  });
  await p.disconnect();
}

async function createTopic(gw: RunningGateway, topic: string, partitions: number) {
  const admin = new Kafka({ clientId: "admin", brokers: [gw.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] });
  await admin.disconnect();
}

const withGateway = (fn: (gw: RunningGateway) => Promise<void>) => runWithGateway({ args: GATEWAY_ARGS }, fn);

const values = (procs: Proc[]) =>
  procs.flatMap((p) => p.events().filter((e) => e.event === "msg").map((e) => e.v!)).sort();

for (const strategy of ["range", "cooperative-sticky"]) {
  Deno.test({
    name: `confluent-kafka groups (${strategy}): 3 members share 6 partitions; SIGKILL moves partitions`,
    ...opts,
    ignore: python.ignore,
    fn: () =>
      withGateway(async (gw) => {
        const topic = `ck-${strategy}`;
        await createTopic(gw, topic, 6);
        const members = [0, 1, 2].map(() =>
          new Proc(python.path, [MEMBER, gw.bootstrap, "ckg", topic, strategy])
        );
        try {
          await until("3 members to cover 6 partitions", () =>
            coversExactly(members.map((m) => m.assigned()), 6));
          await produce(gw, topic, 0, 60, 6);
          const expected = Array.from({ length: 60 }, (_, i) =>
            `v${i}`).sort();
          await until("60 messages consumed", () => values(members).length >= 60);
          await new Promise((r) => setTimeout(r, 300));
          assertEquals(values(members), expected, "each message consumed exactly once");
          const victim = members.shift()!;
          await victim.kill("SIGKILL");
          await until("2 survivors to cover 6 partitions", () =>
            coversExactly(
              members.map((m) => m.assigned()),
              6,
            ));
          // Moved because the killed member's session expired (the gateway says why).
          assert(
            /removed from group ckg: session timeout of \d+ ms expired/.test(gw.logs()),
            "the killed member's partitions moved after its session timeout",
          );
          await produce(gw, topic, 60, 30, 6);
          await until("30 more messages", () =>
            values(members).filter((v) =>
              Number(v.slice(1)) >= 60
            ).length >= 30);
          const after = values(members).filter((v) => Number(v.slice(1)) >= 60);
          assertEquals(after, Array.from({ length: 30 }, (_, i) => `v${60 + i}`).sort());
        } finally {
          for (const m of members) await m.kill("SIGTERM");
        }
      }),
  });
}

Deno.test({
  name:
    "confluent-kafka static membership: a member restarted within the session timeout gets its partitions back, no rebalance",
  ...opts,
  ignore: python.ignore,
  fn: () =>
    withGateway(async (gw) => {
      const topic = "ck-static";
      await createTopic(gw, topic, 4);
      const start = (id: string) =>
        new Proc(python.path, [MEMBER, gw.bootstrap, "static", topic, "range", id]);
      const a = start("inst-a");
      const b = start("inst-b");
      let a2: Proc | null = null;
      try {
        await until(
          "2 static members to cover 4 partitions",
          () => coversExactly([a.assigned(), b.assigned()], 4),
        );
        const before = a.assigned();
        const bEvents = b.events().length;
        const rebalancesBefore = gw.logs().split("preparing to rebalance").length;
        await a.kill("SIGKILL");
        a2 = start("inst-a");
        await until("the restarted member's assignment", () => a2!.assigned().length > 0, 20000);
        assertEquals(a2.assigned(), before, "same partitions as before the restart");
        await new Promise((r) => setTimeout(r, 5000)); // longer than the session timeout
        assertEquals(b.events().length, bEvents, "the other member saw no rebalance");
        assertEquals(
          gw.logs().split("preparing to rebalance").length,
          rebalancesBefore,
          "no rebalance at the gateway",
        );
        assert(gw.logs().includes("static member"), "the gateway logged the static rejoin");
      } finally {
        await b.kill("SIGTERM");
        await a2?.kill("SIGTERM");
      }
    }),
});

Deno.test({
  name: "kcat -G: two balanced consumers split a topic; after one is killed the other gets everything",
  ...opts,
  ignore: kcat.ignore,
  fn: () =>
    withGateway(async (gw) => {
      const topic = "kcat-group";
      await createTopic(gw, topic, 4);
      const args = [
        "-b",
        gw.bootstrap,
        "-G",
        "kcatg",
        "-X",
        "session.timeout.ms=4000",
        "-X",
        "heartbeat.interval.ms=300",
        "-X",
        "auto.offset.reset=earliest",
        "-X",
        "auto.commit.interval.ms=100",
        "-f",
        "%p %o %s\\n",
        "-q",
        "-u", // unbuffered: lines must arrive while kcat runs
        topic,
      ];
      const c1 = new Proc(kcat.path, args);
      const c2 = new Proc(kcat.path, args);
      try {
        // Both joined and were assigned before anything is produced (the admin API shows the group).
        await waitFor("kcatg Stable with 2 assigned members", async () => {
          const { status, body } = await getJson<ApiGroup>(gw.httpPort!, "/api/v1/groups/kcatg");
          const ok = status === 200 && body.state === "Stable" && body.members.length === 2 &&
            body.members.every((m) => (m.assignment ?? []).some((a) => a.partitions.length > 0));
          return ok ? true : undefined;
        }, 40000);
        await produce(gw, topic, 0, 40, 4);
        const msgs = (p: Proc) => p.lines.filter((l) => /^\d+ \d+ v\d+$/.test(l));
        await until("40 messages", () => msgs(c1).length + msgs(c2).length >= 40);
        await new Promise((r) => setTimeout(r, 300));
        const all = [...msgs(c1), ...msgs(c2)].map((l) => l.split(" ")[2]).sort();
        assertEquals(all, Array.from({ length: 40 }, (_, i) => `v${i}`).sort(), "each message once");
        const p1 = new Set(msgs(c1).map((l) => l.split(" ")[0]));
        const p2 = new Set(msgs(c2).map((l) => l.split(" ")[0]));
        assert(p1.size > 0 && p2.size > 0, "both consumers got partitions");
        assert([...p1].every((p) => !p2.has(p)), "no partition consumed by both");
        // Every consumed offset committed (auto-commit) before the kill: lag 0 on all 4 partitions.
        await waitForLags(gw.httpPort!, "kcatg", topic, [0, 0, 0, 0], 40000);
        await c2.kill("SIGKILL");
        await produce(gw, topic, 40, 20, 4);
        await until("c1 to receive all 20 new messages", () =>
          msgs(c1).filter((l) => Number(l.split(" ")[2].slice(1)) >= 40).length >= 20);
      } finally {
        await c1.kill("SIGTERM");
        await c2.kill("SIGTERM");
      }
    }),
});
