// Kafka transactions against a real gateway process, with real clients: confluent-kafka (librdkafka, driven
// through tests/conformance/py/ck_txn.py) for commit, abort, send_offsets_to_transaction, zombie fencing,
// read_committed vs read_uncommitted, LSO blocking and kill -9 of the gateway mid-transaction; KafkaJS's
// producer.transaction() with send, sendOffsets, commit and abort, and its read_committed consumer.
// tests/integration/seaweedmq_transactions_test.ts runs this module unchanged on the SeaweedMQ backend (and uses
// its exported helpers for failover across gateways).
import { assert, assertEquals } from "../unit/assert.ts";
import { type RunningGateway, runWithGateway, startGateway } from "../helpers/gateway.ts";
import { Kafka, logLevel } from "../helpers/kafkajs.ts";
import { pythonPath, requireTool } from "../helpers/tools.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const PYTHON = pythonPath();
const CK = new URL("./py/ck_txn.py", import.meta.url).pathname;
// Not `ignore`d when missing: these tests are the only client coverage of transactions, so a missing
// confluent-kafka fails them (with requireTool's explanation) instead of skipping.
const python = await requireTool("confluent-kafka (pip)", PYTHON, ["-c", "import confluent_kafka"]);
export const GATEWAY_ARGS = ["--group-initial-rebalance-delay-ms", "0"];

// ---------------------------------------------------------------------------------------------------------
// confluent-kafka through ck_txn.py

/** [partition, offset, value] as the client delivered them. */
export type Rec = [number, number, string];

export interface ReadResult {
  records: Rec[];
  /** Every partition reached its end (the LSO for read_committed) and every wanted value was seen. */
  complete: boolean;
  /** The high watermark each reader gets from ListOffsets: the LSO under read_committed. */
  high: (number | string)[];
  errors: { name: string; str: string }[];
}

export interface ClientError {
  name: string;
  code: number | null;
  fatal: boolean | null;
  retriable: boolean | null;
  abortable: boolean | null;
  str: string;
}

interface CkOutput {
  exception?: ClientError;
  client_errors: { name: string; fatal: boolean; str: string }[];
}

function missingPython(): Error {
  return new Error(`confluent-kafka is not available (${PYTHON}); scripts/setup_test_tools.sh installs it`);
}

/** Runs one ck_txn.py subcommand to its end; its last stdout line (JSON) is the result. */
export async function ck<T>(args: string[], timeoutMs = 180_000): Promise<T & CkOutput> {
  if (python.ignore) throw missingPython();
  const child = new Deno.Command(PYTHON, {
    args: [CK, ...args],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* exited */ }
  }, timeoutMs);
  const out = await child.output().finally(() => clearTimeout(timer));
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  const last = stdout.trim().split("\n").pop() ?? "";
  let parsed: T & CkOutput;
  try {
    parsed = JSON.parse(last);
  } catch {
    throw new Error(`ck_txn.py ${args.join(" ")}: exit ${out.code}, no result\n${stdout}\n${stderr}`);
  }
  if (parsed.exception) {
    throw new Error(`ck_txn.py ${args[0]}: the client raised ${JSON.stringify(parsed.exception)}\n${stderr}`);
  }
  return parsed;
}

/**
 * A long-running ck_txn.py step (open, commit-wait): prints event lines and waits for a line on stdin (a command)
 * or to be killed.
 */
export class CkStep {
  private readonly reader: ReadableStreamDefaultReader<string>;
  private readonly stderr: Promise<string>;
  private buf = "";
  /** Events seen so far (complete JSON lines), in order. */
  private readonly seen: Record<string, unknown>[] = [];

  private constructor(readonly child: Deno.ChildProcess, private readonly what: string) {
    this.stderr = new Response(child.stderr).text();
    this.reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  }

  static start(args: string[]): CkStep {
    if (python.ignore) throw missingPython();
    const child = new Deno.Command(PYTHON, {
      args: [CK, ...args],
      stdout: "piped",
      stderr: "piped",
      stdin: "piped",
    }).spawn();
    return new CkStep(child, args[0]);
  }

  /** Waits for the event line `event` (fails on a result with an exception, on exit or after `timeoutMs`). */
  async event(event: string, timeoutMs = 90_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.seen.findIndex((j) => j.event === event);
      if (found >= 0) return this.seen.splice(found, 1)[0];
      const failed = this.seen.find((j) => j.exception);
      if (failed) throw new Error(`ck_txn.py ${this.what}: ${JSON.stringify(failed)}\n${await this.stop()}`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const r = await Promise.race([
        this.reader.read(),
        new Promise<null>((res) => timer = setTimeout(() => res(null), Math.max(0, deadline - Date.now()))),
      ]).finally(() => clearTimeout(timer));
      if (r === null || r.done) {
        const why = r === null ? "timeout" : "exited";
        throw new Error(
          `ck_txn.py ${this.what}: no ${event} event (${why})\n${this.buf}\n${await this.stop()}`,
        );
      }
      this.buf += r.value;
      const lines = this.buf.split("\n");
      this.buf = lines.pop()!; // a partial line, or ""
      for (const l of lines) if (l.startsWith("{")) this.seen.push(JSON.parse(l));
    }
  }

  /** Sends a command line to the step. */
  async send(line: string): Promise<void> {
    const w = this.child.stdin.getWriter();
    try {
      await w.write(new TextEncoder().encode(`${line}\n`));
    } finally {
      w.releaseLock();
    }
  }

  /** SIGKILL; returns what the step wrote to stderr. */
  async stop(): Promise<string> {
    try {
      this.child.kill("SIGKILL");
    } catch { /* exited */ }
    await this.child.status;
    await this.reader.cancel().catch(() => {});
    await this.child.stdin.close().catch(() => {});
    return await this.stderr.catch(() => "");
  }
}

/** Values of one partition, in the order the client delivered them. */
export const valuesOf = (r: ReadResult, p: number) => r.records.filter((x) => x[0] === p).map((x) => x[2]);
/** Offsets of one partition. */
const offsetsOf = (r: ReadResult, p: number) => r.records.filter((x) => x[0] === p).map((x) => x[1]);
/** Value i of `count` sent round-robin over `parts` partitions lands in partition i % parts. */
const spread = (prefix: string, count: number, parts: number, p: number) =>
  Array.from({ length: count }, (_, i) => i).filter((i) => i % parts === p).map((i) => `${prefix}-${i}`);

const withGateway = (fn: (gw: RunningGateway) => Promise<void>) => runWithGateway({ args: GATEWAY_ARGS }, fn);

Deno.test({
  name: "confluent-kafka: committed transactions are read once, in order, with a marker after each one",
  ...opts,
  fn: () =>
    withGateway(async (gw) => {
      const r = await ck<
        { delivered: number; failed: unknown[]; committed: ReadResult; uncommitted: ReadResult }
      >(
        ["commit", gw.bootstrap, "ck-commit"],
      );
      assertEquals([r.delivered, r.failed], [90, []], "every record delivered");
      for (const read of [r.committed, r.uncommitted]) {
        assert(read.complete, "reached the end of every partition");
        assertEquals(read.errors, []);
        for (let p = 0; p < 3; p++) {
          const expected = [0, 1, 2].flatMap((k) => spread(`t${k}`, 30, 3, p));
          assertEquals(valuesOf(read, p), expected, `partition ${p}: exactly once, in order`);
          // 10 records of each transaction, then its COMMIT marker (one offset, never delivered)
          const offsets = [0, 1, 2].flatMap((k) => Array.from({ length: 10 }, (_, j) => k * 11 + j));
          assertEquals(offsetsOf(read, p), offsets, `partition ${p}: offsets around the markers`);
        }
        assertEquals(read.high, [33, 33, 33], "end offsets (high watermark = LSO once all committed)");
      }
    }),
});

Deno.test({
  name: "confluent-kafka: an aborted transaction is skipped by read_committed and read by read_uncommitted",
  ...opts,
  fn: () =>
    withGateway(async (gw) => {
      const r = await ck<
        { delivered: number[]; failed: unknown[]; committed: ReadResult; uncommitted: ReadResult }
      >(
        ["abort", gw.bootstrap, "ck-abort"],
      );
      assertEquals([r.delivered, r.failed], [[10, 10, 10], []], "every record stored (aborted ones too)");
      assert(r.committed.complete && r.uncommitted.complete, "both readers reached the end");
      for (let p = 0; p < 2; p++) {
        assertEquals(
          valuesOf(r.committed, p),
          [...spread("c0", 10, 2, p), ...spread("c2", 10, 2, p)],
          `read_committed, partition ${p}`,
        );
        assertEquals(
          valuesOf(r.uncommitted, p),
          [...spread("c0", 10, 2, p), ...spread("a1", 10, 2, p), ...spread("c2", 10, 2, p)],
          `read_uncommitted, partition ${p}`,
        );
        assertEquals(
          offsetsOf(r.uncommitted, p),
          [0, 1, 2].flatMap((k) => Array.from({ length: 5 }, (_, j) => k * 6 + j)),
          `partition ${p}: a marker after each transaction (commit, abort, commit)`,
        );
      }
      assertEquals(r.committed.high, [18, 18]);
      assertEquals(r.uncommitted.high, [18, 18]);
    }),
});

interface OffsetsStep {
  commit: boolean;
  consumed: string[];
  position: number[];
  committed_while_open: number;
  committed_after: number;
  stable_while_open: number | string | null;
  stable_after: number | string;
}

Deno.test({
  name:
    "confluent-kafka: send_offsets_to_transaction moves the group's offsets on commit only (consume-transform-produce)",
  ...opts,
  fn: () =>
    withGateway(async (gw) => {
      const r = await ck<{ steps: OffsetsStep[]; committed: ReadResult; uncommitted: ReadResult }>(
        ["send-offsets", gw.bootstrap, "eos-in", "eos-out", "eos-group"],
      );
      const inRange = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => `in-${a + i}`);
      const [s0, s1, s2, s3] = r.steps;
      // -1001: no committed offset yet (librdkafka's OFFSET_INVALID)
      assertEquals(
        [s0.consumed, s0.position, s0.committed_while_open, s0.committed_after, s0.stable_after],
        [inRange(0, 20), [20], -1001, 20, 20],
        "batch 1 (committed)",
      );
      // A stable read (require_stable) while the transaction holds pending offsets for the partition does not
      // answer an offset: UNSTABLE_OFFSET_COMMIT, retried by librdkafka until its timeout.
      assertEquals(
        typeof s0.stable_while_open,
        "string",
        `stable read while pending: ${s0.stable_while_open}`,
      );
      assertEquals(
        [s1.consumed, s1.position, s1.committed_while_open, s1.committed_after, s1.stable_after],
        [inRange(20, 40), [40], 20, 20, 20],
        "batch 2 (aborted): the group's offset stays",
      );
      assertEquals([s2.consumed, s2.committed_after], [inRange(20, 40), 40], "batch 2 again (committed)");
      assertEquals([s3.consumed, s3.committed_after], [inRange(40, 60), 60], "batch 3 (committed)");
      assert(r.committed.complete && r.uncommitted.complete, "readers reached the end");
      assertEquals(valuesOf(r.committed, 0), inRange(0, 60).map((v) => `out-${v}`), "output: exactly once");
      assertEquals(
        valuesOf(r.uncommitted, 0),
        [...inRange(0, 40), ...inRange(20, 60)].map((v) => `out-${v}`),
        "read_uncommitted also sees the aborted batch",
      );
    }),
});

const FENCING = {
  "add-partition": "writing to a new partition (AddPartitionsToTxn with the old epoch)",
  "produce-same": "writing to a partition already in its transaction (Produce with the old epoch)",
} as const;

for (const [mode, what] of Object.entries(FENCING)) {
  Deno.test({
    name:
      `confluent-kafka: a second producer with the same transactional.id fences the first: the zombie ${what} ` +
      `fails fatally`,
    ...opts,
    fn: () =>
      withGateway(async (gw) => {
        const r = await ck<{
          a_error: ClientError | null;
          a_delivered_before: number;
          a_late_delivered: number;
          a_late_failed: unknown[];
          b_init_s: number;
          b_error: ClientError | null;
          committed: ReadResult;
          uncommitted: ReadResult;
        }>(["fencing", gw.bootstrap, `ck-fence-${mode}`, mode]);
        assertEquals(r.a_delivered_before, 10, "the zombie's first records were stored");
        // librdkafka's own expectation (0103 do_test_fenced_txn): commit_transaction() fails with the fatal
        // _FENCED, neither abortable nor retriable. A Produce refused with PRODUCER_FENCED instead of Kafka's
        // INVALID_PRODUCER_EPOCH makes it an abortable error.
        assert(r.a_error !== null, "the zombie's commit failed");
        assertEquals(
          [r.a_error.name, r.a_error.fatal, r.a_error.abortable, r.a_error.retriable],
          ["_FENCED", true, false, false],
          `fatal fenced error: ${JSON.stringify(r.a_error)}`,
        );
        assertEquals(r.a_late_delivered, 0, `nothing of the zombie's after the fence: ${JSON.stringify(r)}`);
        assertEquals(r.b_error, null, "the new producer commits");
        assert(r.committed.complete && r.uncommitted.complete, "readers reached the end");
        for (let p = 0; p < 2; p++) {
          assertEquals(valuesOf(r.committed, p), spread("b", 10, 2, p), `read_committed, partition ${p}`);
        }
        // The zombie's open transaction was aborted by the new producer's InitProducerId, before its own records.
        assertEquals(
          valuesOf(r.uncommitted, 0),
          [...Array.from({ length: 10 }, (_, i) => `a0-${i}`), ...spread("b", 10, 2, 0)],
        );
        assertEquals(valuesOf(r.uncommitted, 1), spread("b", 10, 2, 1));
      }),
  });
}

Deno.test({
  name:
    "confluent-kafka: an open transaction holds read_committed readers at its first offset (LSO) until commit",
  ...opts,
  fn: () =>
    withGateway(async (gw) => {
      const r = await ck<{
        delivered: number;
        open_committed: ReadResult;
        open_uncommitted: ReadResult;
        committed: ReadResult;
      }>(["lso", gw.bootstrap, "ck-lso"]);
      const range = (prefix: string) => Array.from({ length: 5 }, (_, i) => `${prefix}-${i}`);
      assertEquals(r.delivered, 5);
      assert(
        r.open_committed.complete,
        "read_committed reached its end (the LSO) while the transaction was open",
      );
      assertEquals(valuesOf(r.open_committed, 0), range("before"), "nothing from the transaction on");
      assertEquals(r.open_committed.high, [5], "ListOffsets read_committed: the LSO");
      assertEquals(
        valuesOf(r.open_uncommitted, 0),
        [...range("before"), ...range("txn"), ...range("after")],
        "read_uncommitted reads past the open transaction",
      );
      assertEquals(r.open_uncommitted.high, [15]);
      assert(r.committed.complete, "after the commit, read_committed reaches the end");
      assertEquals(valuesOf(r.committed, 0), [...range("before"), ...range("txn"), ...range("after")]);
      assertEquals(r.committed.high, [16], "the COMMIT marker took one offset");
    }),
});

// ---------------------------------------------------------------------------------------------------------
// kill -9 of the gateway mid-transaction

interface KillCase {
  name: string;
  /** ck_txn.py step run before the kill and the event it prints. */
  step: (bs: string, topic: string, txid: string) => [string[], string];
  /** After the restart: resolve the transaction (or not) and return what read_committed must show. */
  after: (gw: RunningGateway, topic: string, txid: string) => Promise<void>;
  /** Values read_committed must show after the restart (plus the "after-p" records). */
  committed: string[];
  /** Time allowed for read_committed to reach the records written after the restart, s. */
  readTimeoutS: number;
}

const PARTS = 3;
const KILL_CASES: KillCase[] = [
  {
    name: "an open transaction aborts on its timeout (transaction.timeout.ms 5000)",
    step: (bs, topic, txid) => [["open", bs, topic, txid, String(PARTS), "30", "5000"], "open"],
    after: () => Promise.resolve(),
    committed: [],
    readTimeoutS: 90,
  },
  {
    name: "an open transaction aborts when a new producer with its transactional.id initialises",
    step: (bs, topic, txid) => [["open", bs, topic, txid, String(PARTS), "30", "600000"], "open"],
    after: async (gw, _topic, txid) => {
      const r = await ck<{ seconds: number }>(["reinit", gw.bootstrap, txid]);
      assert(r.seconds < 60, `init_transactions took ${r.seconds} s`);
    },
    committed: [],
    // far below the transaction's timeout (10 min): the re-init did it
    readTimeoutS: 30,
  },
  {
    name: "a transaction whose commit returned stays committed",
    step: (bs, topic, txid) => [["commit-wait", bs, topic, txid, String(PARTS), "30"], "committed"],
    after: () => Promise.resolve(),
    committed: Array.from({ length: 30 }, (_, i) => `done-${i}`),
    readTimeoutS: 30,
  },
];

for (const [i, kc] of KILL_CASES.entries()) {
  Deno.test({
    name: `confluent-kafka: kill -9 of the gateway mid-transaction, restart on the same data: ${kc.name}`,
    ...opts,
    fn: async () => {
      const dataDir = await Deno.makeTempDir({ prefix: "kgw-txn-kill-" });
      const topic = `ck-kill-${i}`;
      const txid = `ck-kill-txid-${i}`;
      let gw = await startGateway({ dataDir, args: GATEWAY_ARGS });
      let step: CkStep | null = null;
      try {
        const [args, event] = kc.step(gw.bootstrap, topic, txid);
        step = CkStep.start(args);
        const started = await step.event(event);
        assertEquals([started.delivered, started.failed], [30, []], "records stored before the kill");
        await gw.kill();
        await step.stop();
        step = null;
        gw = await startGateway({ dataDir, args: GATEWAY_ARGS });
        const t0 = Date.now();
        await kc.after(gw, topic, txid);
        const plain = await ck<{ delivered: number }>(["plain", gw.bootstrap, topic, String(PARTS), "after"]);
        assertEquals(plain.delivered, PARTS);
        const afterValues = Array.from({ length: PARTS }, (_, p) => `after-${p}`);
        const rc = await ck<ReadResult>([
          "read",
          gw.bootstrap,
          topic,
          String(PARTS),
          "read_committed",
          String(kc.readTimeoutS),
          ...afterValues,
        ], (kc.readTimeoutS + 60) * 1000);
        const secs = ((Date.now() - t0) / 1000).toFixed(1);
        assert(
          rc.complete,
          `read_committed reached the records written after the restart (${secs} s): ${
            JSON.stringify(rc.records)
          }`,
        );
        console.log(`  ${kc.name}: resolved ${secs} s after the restart`);
        for (let p = 0; p < PARTS; p++) {
          const want = [...kc.committed.filter((_, k) => k % PARTS === p), `after-${p}`];
          assertEquals(
            valuesOf(rc, p),
            want,
            `read_committed, partition ${p}: all or nothing of the transaction`,
          );
        }
        // The transaction's records were really stored: read_uncommitted sees them.
        const ru = await ck<ReadResult>([
          "read",
          gw.bootstrap,
          topic,
          String(PARTS),
          "read_uncommitted",
          "30",
        ]);
        const prefix = event === "open" ? "open" : "done";
        assertEquals(
          ru.records.filter((x) => x[2].startsWith(`${prefix}-`)).length,
          30,
          "stored before the kill",
        );
      } catch (e) {
        console.error(`--- gateway log (last 60 lines) ---\n${gw.logs().split("\n").slice(-60).join("\n")}`);
        throw e;
      } finally {
        await step?.stop();
        await gw.stop();
        await Deno.remove(dataDir, { recursive: true }).catch(() => {});
      }
    },
  });
}

// ---------------------------------------------------------------------------------------------------------
// KafkaJS

function kafka(gw: RunningGateway, clientId = "txn-test") {
  return new Kafka({ clientId, brokers: [gw.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 8 } });
}

/** Consumes `topic` in a new group until `done` holds for what it got, then waits `settleMs` for strays. */
async function consumeGroup(
  gw: RunningGateway,
  topic: string,
  readUncommitted: boolean,
  done: (values: string[]) => boolean,
  settleMs = 1000,
): Promise<Map<number, string[]>> {
  const consumer = kafka(gw, "txn-reader").consumer({
    groupId: `reader-${crypto.randomUUID()}`,
    readUncommitted,
    maxWaitTimeInMs: 200,
    sessionTimeout: 10000,
    heartbeatInterval: 500,
  });
  const byPartition = new Map<number, string[]>();
  const all: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const finished = Promise.withResolvers<void>();
    await consumer.run({
      eachMessage: ({ partition, message }) => {
        const v = message.value?.toString() ?? "";
        all.push(v);
        byPartition.set(partition, [...(byPartition.get(partition) ?? []), v]);
        if (done(all)) finished.resolve();
        return Promise.resolve();
      },
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      finished.promise,
      new Promise((_, rej) =>
        timer = setTimeout(() => rej(new Error(`consumer got only ${JSON.stringify(all)}`)), 60_000)
      ),
    ]).finally(() => clearTimeout(timer));
    await new Promise((r) => setTimeout(r, settleMs));
  } finally {
    await consumer.disconnect();
  }
  return byPartition;
}

Deno.test({
  name:
    "kafkajs: producer.transaction() commit and abort; a read_committed consumer sees only committed records",
  ...opts,
  fn: () =>
    withGateway(async (gw) => {
      const k = kafka(gw);
      const admin = k.admin();
      await admin.connect();
      const producer = k.producer({ transactionalId: "kjs-txn", idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      const topic = "kjs-txn";
      try {
        assert(await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] }), "created");
        const send = async (prefix: string, commit: boolean) => {
          const txn = await producer.transaction();
          await txn.send({
            topic,
            messages: Array.from({ length: 10 }, (_, i) => ({ partition: i % 2, value: `${prefix}-${i}` })),
          });
          await (commit ? txn.commit() : txn.abort());
        };
        await send("c1", true);
        await send("a2", false);
        await send("c3", true);
        // The last committed record comes after the aborted ones: once it arrived, they were passed over.
        const committed = await consumeGroup(
          gw,
          topic,
          false,
          (v) => v.includes("c3-8") && v.includes("c3-9"),
        );
        for (let p = 0; p < 2; p++) {
          assertEquals(
            committed.get(p),
            [...spread("c1", 10, 2, p), ...spread("c3", 10, 2, p)],
            `read_committed, partition ${p}`,
          );
        }
        const all = await consumeGroup(gw, topic, true, (v) => v.length >= 30);
        for (let p = 0; p < 2; p++) {
          assertEquals(
            all.get(p),
            [...spread("c1", 10, 2, p), ...spread("a2", 10, 2, p), ...spread("c3", 10, 2, p)],
            `read_uncommitted, partition ${p}`,
          );
        }
      } finally {
        await producer.disconnect();
        await admin.disconnect();
      }
    }),
});

Deno.test({
  name: "kafkajs: sendOffsets commits the group's offsets with the transaction and drops them on abort",
  ...opts,
  fn: () =>
    withGateway(async (gw) => {
      const k = kafka(gw);
      const admin = k.admin();
      await admin.connect();
      const plain = k.producer();
      await plain.connect();
      const producer = k.producer({ transactionalId: "kjs-eos", idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      const [tin, tout, group] = ["kjs-eos-in", "kjs-eos-out", "kjs-eos-group"];
      try {
        assert(await admin.createTopics({ topics: [{ topic: tin }, { topic: tout }] }), "created");
        await plain.send({
          topic: tin,
          messages: Array.from({ length: 30 }, (_, i) => ({ partition: 0, value: `in-${i}` })),
        });
        const committedOffset = async () => {
          const [t] = await admin.fetchOffsets({ groupId: group, topics: [tin] });
          return t.partitions.find((x) => x.partition === 0)?.offset;
        };
        const step = async (from: number, to: number, commit: boolean) => {
          const txn = await producer.transaction();
          await txn.send({
            topic: tout,
            messages: Array.from(
              { length: to - from },
              (_, i) => ({ partition: 0, value: `out-in-${from + i}` }),
            ),
          });
          await txn.sendOffsets({
            consumerGroupId: group,
            topics: [{ topic: tin, partitions: [{ partition: 0, offset: String(to) }] }],
          });
          const pending = await committedOffset();
          await (commit ? txn.commit() : txn.abort());
          return [pending, await committedOffset()];
        };
        assertEquals(await step(0, 10, true), ["-1", "10"], "first transaction: offsets on commit");
        assertEquals(await step(10, 20, false), ["10", "10"], "aborted: the offsets stay");
        assertEquals(await step(10, 20, true), ["10", "20"], "redone and committed");
        assertEquals(await step(20, 30, true), ["20", "30"]);
        const out = await consumeGroup(gw, tout, false, (v) => v.includes("out-in-29"));
        assertEquals(out.get(0), Array.from({ length: 30 }, (_, i) => `out-in-${i}`), "output exactly once");
        // A member of the group resumes from the committed offset: only what came after it.
        await plain.send({ topic: tin, messages: [{ partition: 0, value: "in-30" }] });
        const consumer = k.consumer({ groupId: group, maxWaitTimeInMs: 200, heartbeatInterval: 500 });
        await consumer.connect();
        const got: string[] = [];
        const first = Promise.withResolvers<void>();
        try {
          await consumer.subscribe({ topic: tin, fromBeginning: true });
          await consumer.run({
            autoCommit: false,
            eachMessage: ({ message }) => {
              got.push(message.value?.toString() ?? "");
              first.resolve();
              return Promise.resolve();
            },
          });
          let timer: ReturnType<typeof setTimeout> | undefined;
          await Promise.race([
            first.promise,
            new Promise((_, rej) => timer = setTimeout(() => rej(new Error("no message")), 60_000)),
          ]).finally(() => clearTimeout(timer));
          await new Promise((r) => setTimeout(r, 500));
        } finally {
          await consumer.disconnect();
        }
        assertEquals(got, ["in-30"], "the group resumes at the transactionally committed offset");
      } finally {
        await producer.disconnect();
        await plain.disconnect();
        await admin.disconnect();
      }
    }),
});

Deno.test({
  name:
    "operators see transactions: /api/v1/transactions and the dashboard's feed list an open one, /metrics counts",
  ...opts,
  fn: () =>
    withGateway(async (gw) => {
      const k = kafka(gw);
      const admin = k.admin();
      await admin.connect();
      const producer = k.producer({ transactionalId: "ops-txn", idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      const topic = "ops-txn";
      const http = `http://127.0.0.1:${gw.httpPort}`;
      const get = async (path: string) => {
        const r = await fetch(`${http}${path}`);
        assertEquals(r.status, 200, path);
        return path === "/metrics" ? await r.text() : await r.json();
      };
      try {
        assert(await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] }), "created");
        const txn = await producer.transaction();
        await txn.send({ topic, messages: [{ partition: 0, value: "a" }, { partition: 1, value: "b" }] });
        const open = await get("/api/v1/transactions");
        assertEquals(open.open, 1);
        assertEquals(
          open.current.map((t: { transactionalId: string; state: string }) => [t.transactionalId, t.state]),
          [
            ["ops-txn", "Ongoing"],
          ],
        );
        assertEquals([...open.current[0].partitions].sort(), [`${topic}-0`, `${topic}-1`]);
        // The dashboard reads the same through /api/v1/overview.
        assertEquals((await get("/api/v1/overview")).transactions.current.length, 1);
        const during = await get("/metrics");
        assert(/^kgw_transactions_open 1$/m.test(during), "one open transaction");
        // Both partitions hold the open transaction's record above their last stable offset.
        assert(
          new RegExp(`^kgw_partition_lso_lag\\{topic="${topic}",partition="0"\\} 1$`, "m").test(during),
          during,
        );
        await txn.commit();
        const after = await get("/metrics");
        assert(/^kgw_transactions_open 0$/m.test(after), "none open");
        assert(/^kgw_transactions_ended_total\{result="committed"\} 1$/m.test(after), "one committed");
        assert(
          new RegExp(`^kgw_partition_lso_lag\\{topic="${topic}",partition="0"\\} 0$`, "m").test(after),
          after,
        );
        assertEquals((await get("/api/v1/transactions")).current, []);
      } finally {
        await producer.disconnect();
        await admin.disconnect();
      }
    }),
});
