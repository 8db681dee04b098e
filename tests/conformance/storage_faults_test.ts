// Storage faults against a real gateway process on the embedded log: partition limits (--max-partitions, and the
// one derived from a low open-file limit) refuse CreateTopics / CreatePartitions / auto-creation up front; a
// creation that runs out of file descriptors half-way is rolled back completely; a full disk (a small tmpfs as the
// data directory) is logged once, counted and reported by /readyz until writes succeed again; unusable metadata
// files stop the start with one line naming the file.
//
// The disk-full test mounts a tmpfs, which needs root (as in CI). Without it the test fails in CI (CI=true) and is
// ignored elsewhere, with a message.
import { join } from "node:path";
import { assert, assertEquals } from "../unit/assert.ts";
import { GATEWAY_RUN, type RunningGateway, runWithGateway } from "../helpers/gateway.ts";
import { wireCall } from "../helpers/wire.ts";
import { getJson, scrape, waitFor } from "../helpers/ops.ts";
import { ErrorCode } from "../../src/protocol/errors.ts";
import { type CreateTopicsResponse, CreateTopicsSpec } from "../../src/protocol/messages/create_topics.ts";
import {
  type CreatePartitionsResponse,
  CreatePartitionsSpec,
} from "../../src/protocol/messages/create_partitions.ts";
import { type MetadataResponse, MetadataSpec } from "../../src/protocol/messages/metadata.ts";
import { type ProduceResponse, ProduceSpec } from "../../src/protocol/messages/produce.ts";
import { type DeleteRecordsResponse, DeleteRecordsSpec } from "../../src/protocol/messages/delete_records.ts";
import { type FetchResponse, FetchSpec } from "../../src/protocol/messages/fetch.ts";
import { fetchBody } from "../helpers/wire.ts";
import { buildBatch } from "../../src/records/batch.ts";
import { RESERVED_FILES } from "../../src/handlers/topic_rules.ts";
import { FILES_PER_PARTITION } from "../../src/storage/embedded/partition_log.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const IN_CI = Deno.env.get("CI") === "true";
/** Runs deno with soft and hard open-file limits of 256 (bash's ulimit sets both; exec keeps the pid). */
const NOFILE_256 = ["bash", "-c", 'ulimit -n 256 && exec "$0" "$@"'];
/**
 * Under 256 descriptors the 50 partitions of __consumer_offsets (and as many of __transaction_state) would leave no
 * room: one is enough here.
 */
const ONE_OFFSETS_PARTITION = ["--offsets-topic-num-partitions", "1"];

// ------------------------------------------------------------------------------------------ wire helpers

function createTopics(
  gw: RunningGateway,
  topics: { name: string; partitions: number; configs?: Record<string, string> }[],
  validateOnly = false,
): Promise<CreateTopicsResponse> {
  return wireCall<CreateTopicsResponse>(gw, CreateTopicsSpec, 5, {
    topics: topics.map((t) => ({
      name: t.name,
      numPartitions: t.partitions,
      replicationFactor: 1,
      assignments: [],
      configs: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
    })),
    timeoutMs: 10_000,
    validateOnly,
  });
}

function createPartitions(
  gw: RunningGateway,
  name: string,
  count: number,
  validateOnly = false,
): Promise<CreatePartitionsResponse> {
  return wireCall<CreatePartitionsResponse>(gw, CreatePartitionsSpec, 2, {
    topics: [{ name, count, assignments: null }],
    timeoutMs: 10_000,
    validateOnly,
  });
}

/** Partitions of each topic asked for (-1 when it does not exist), with auto-creation when `auto`. */
async function partitionsOf(gw: RunningGateway, names: string[], auto = false): Promise<Map<string, number>> {
  const r = await wireCall<MetadataResponse>(gw, MetadataSpec, 9, {
    topics: names.map((name) => ({ topicId: "0".repeat(32), name })),
    allowAutoTopicCreation: auto,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  });
  return new Map(
    r.topics.map((t) => [t.name!, t.errorCode === ErrorCode.NONE ? t.partitions.length : -t.errorCode]),
  );
}

async function produce(
  gw: RunningGateway,
  topic: string,
  valueBytes: number,
): Promise<{ code: number; msg: string }> {
  const records = await buildBatch({ records: [{ value: new Uint8Array(valueBytes).fill(120) }] });
  const r = await wireCall<ProduceResponse>(gw, ProduceSpec, 9, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 10_000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
  });
  const p = r.responses[0].partitionResponses[0];
  return { code: p.errorCode, msg: p.errorMessage ?? "" };
}

/** Names in the data directory that start with `prefix` (partition directories of a topic). */
function entries(dir: string, prefix: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.startsWith(prefix)).sort();
}

interface ReadyBody {
  status: string;
  checks: { name: string; ok: boolean; detail: string }[];
}

function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

// ------------------------------------------------------------------------------------------ limits

Deno.test({
  name:
    "limits: --max-partitions refuses CreateTopics / CreatePartitions / auto-creation beyond it, validate_only too",
  ...opts,
  fn: () =>
    runWithGateway({ args: ["--max-partitions", "10"] }, async (gw) => {
      assert(
        gw.logs().includes("partitions: 0 of at most 10 over all topics (--max-partitions 10)"),
        gw.logs(),
      );
      let r = await createTopics(gw, [{ name: "a", partitions: 4 }]);
      assertEquals(r.topics[0].errorCode, ErrorCode.NONE);
      const topicsJson = await Deno.readTextFile(join(gw.dataDir, "topics.json"));
      for (const validateOnly of [true, false]) {
        r = await createTopics(gw, [{ name: "b", partitions: 7 }], validateOnly);
        assertEquals(r.topics[0].errorCode, ErrorCode.POLICY_VIOLATION, `validateOnly ${validateOnly}`);
        assertEquals(
          r.topics[0].errorMessage,
          "Creating topic b with 7 partition(s) would bring the gateway to 11 partitions over all topics, " +
            "above its limit of 10 (--max-partitions 10); raise --max-partitions (each partition holds up to " +
            `${FILES_PER_PARTITION} open files) or delete topics.`,
        );
        const g = await createPartitions(gw, "a", 11, validateOnly);
        assertEquals(g.results[0].errorCode, ErrorCode.POLICY_VIOLATION);
        assert(
          g.results[0].errorMessage!.startsWith("Growing topic a from 4 to 11 partitions"),
          g.results[0].errorMessage!,
        );
        assert(g.results[0].errorMessage!.includes("--max-partitions 10"), g.results[0].errorMessage!);
      }
      // Nothing was created: no directories, topics.json as it was, the topics as they were.
      assertEquals(entries(gw.dataDir, "b-"), []);
      assertEquals(entries(gw.dataDir, "a-"), ["a-0", "a-1", "a-2", "a-3"]);
      assertEquals(await Deno.readTextFile(join(gw.dataDir, "topics.json")), topicsJson);
      // Auto-creation (Metadata) of an 11th partition is refused the same way, as Kafka answers a policy refusal.
      r = await createTopics(gw, [{ name: "c", partitions: 6 }]); // exactly at the limit
      assertEquals(r.topics[0].errorCode, ErrorCode.NONE);
      assertEquals([...await partitionsOf(gw, ["a", "b", "c"])], [
        ["a", 4],
        ["b", -ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
        ["c", 6],
      ]);
      assertEquals([...await partitionsOf(gw, ["auto"], true)], [["auto", -ErrorCode.POLICY_VIOLATION]]);
      assertEquals(entries(gw.dataDir, "auto"), []);
      // The gateway keeps serving.
      assertEquals((await produce(gw, "a", 100)).code, ErrorCode.NONE);
    }),
});

Deno.test({
  name:
    "limits: derived from a 256 open-file limit: refused up front with the limit, its source and the flag",
  ...opts,
  fn: () =>
    runWithGateway({ wrap: NOFILE_256, args: ONE_OFFSETS_PARTITION }, async (gw) => {
      // A quarter of the limit is kept for connections (--max-connections is 10,000), RESERVED_FILES for the rest,
      // and the files of the internal partitions (__consumer_offsets and __transaction_state: one each).
      const limit = Math.floor((256 - RESERVED_FILES - 64 - 2 * FILES_PER_PARTITION) / FILES_PER_PARTITION);
      assert(gw.logs().includes(`partitions: 0 of at most ${limit} over all topics`), gw.logs());
      for (const validateOnly of [true, false]) {
        const r = await createTopics(gw, [{ name: "many", partitions: limit + 1 }], validateOnly);
        assertEquals(r.topics[0].errorCode, ErrorCode.POLICY_VIOLATION);
        const msg = r.topics[0].errorMessage!;
        assert(msg.includes(`above its limit of ${limit}`), msg);
        assert(msg.includes("derived from the open-file limit 256 (getrlimit)"), msg);
        assert(msg.includes("ulimit -n") && msg.includes("--max-partitions"), msg);
      }
      assertEquals(entries(gw.dataDir, "many"), []);
      assertEquals(
        (await createTopics(gw, [{ name: "some", partitions: limit - 2 }])).topics[0].errorCode,
        0,
      );
      const g = await createPartitions(gw, "some", limit + 5, true);
      assertEquals(g.results[0].errorCode, ErrorCode.POLICY_VIOLATION);
      assertEquals((await createPartitions(gw, "some", limit)).results[0].errorCode, ErrorCode.NONE);
      assertEquals((await partitionsOf(gw, ["some"])).get("some"), limit);
      assertEquals((await produce(gw, "some", 100)).code, ErrorCode.NONE);
    }),
});

// ------------------------------------------------------------------------------------------ rollback

Deno.test({
  name: "rollback: a creation that runs out of file descriptors half-way leaves nothing behind and is logged",
  ...opts,
  fn: () =>
    // --max-partitions above what 256 descriptors hold: the limit lets it through, the creation fails with EMFILE.
    runWithGateway(
      { wrap: NOFILE_256, args: ["--max-partitions", "1000", ...ONE_OFFSETS_PARTITION] },
      async (gw) => {
        assert(gw.logs().includes("--max-partitions 1000 is above the"), "warned at start");
        assertEquals((await createTopics(gw, [{ name: "grow", partitions: 1 }])).topics[0].errorCode, 0);
        const topicsJson = await Deno.readTextFile(join(gw.dataDir, "topics.json"));

        const r = await createTopics(gw, [{ name: "big", partitions: 400 }]);
        assertEquals(r.topics[0].errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
        assert(r.topics[0].errorMessage!.includes("Too many open files"), r.topics[0].errorMessage!);
        assertEquals(entries(gw.dataDir, "big"), [], "no orphan directory");
        const created = new RegExp(
          `creating topic big with 400 partition\\(s\\) failed at ${gw.dataDir}/big-\\d+: Too many open files` +
            `[^\\n]*; rolled back: \\d+ new partition directories removed; topics.json unchanged`,
        );
        assert(created.test(gw.logs()), gw.logs());

        const g = await createPartitions(gw, "grow", 400);
        assertEquals(g.results[0].errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
        assertEquals(entries(gw.dataDir, "grow-"), ["grow-0"]);
        assert(
          new RegExp(
            `growing topic grow from 1 to 400 partitions failed at ${gw.dataDir}/grow-\\d+: Too many open files`,
          )
            .test(gw.logs()),
          gw.logs(),
        );
        assertEquals(await Deno.readTextFile(join(gw.dataDir, "topics.json")), topicsJson);
        assertEquals([...await partitionsOf(gw, ["grow", "big"])], [["grow", 1], [
          "big",
          -ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        ]]);
        // Counted, but no lasting condition: nothing of the attempts is left, the gateway stays ready.
        const m = await scrape(gw.httpPort!);
        assert(m.get('kgw_storage_errors_total{kind="EMFILE"}') >= 2, "both failures counted");
        assertEquals(count(gw.logs(), "storage error"), 0, gw.logs());
        assertEquals((await getJson<ReadyBody>(gw.httpPort!, "/readyz")).status, 200);
        // The descriptors came back: the gateway keeps serving and creating.
        assertEquals((await createTopics(gw, [{ name: "after", partitions: 3 }])).topics[0].errorCode, 0);
        assertEquals((await produce(gw, "grow", 100)).code, ErrorCode.NONE);
        assertEquals((await produce(gw, "after", 100)).code, ErrorCode.NONE);
      },
    ),
});

// ------------------------------------------------------------------------------------------ disk full

async function run(cmd: string, args: string[]): Promise<{ ok: boolean; err: string }> {
  const r = await new Deno.Command(cmd, { args, stdout: "null", stderr: "piped" }).output();
  return { ok: r.success, err: new TextDecoder().decode(r.stderr).trim() };
}

/** Whether this process may mount a tmpfs (root, or a capable container); decided once, before the tests run. */
async function tmpfsWhy(): Promise<string | null> {
  const dir = await Deno.makeTempDir({ prefix: "kgw-tmpfs-probe-" });
  try {
    const m = await run("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir]);
    if (!m.ok) return m.err || "mount failed";
    await run("umount", [dir]);
    return null;
  } catch (e) {
    return (e as Error).message;
  } finally {
    await Deno.remove(dir).catch(() => {});
  }
}
const noTmpfs = await tmpfsWhy();
if (noTmpfs !== null && !IN_CI) {
  console.warn(
    `storage_faults_test: disk-full test ignored, cannot mount a tmpfs (${noTmpfs}); run as root to test it`,
  );
}

Deno.test({
  name:
    "disk full: KAFKA_STORAGE_ERROR logged once with the path, counted, /readyz not ready; recovery after freeing",
  ...opts,
  // In CI the test runs (and fails when no tmpfs can be mounted); elsewhere it needs root.
  ignore: noTmpfs !== null && !IN_CI,
  fn: async () => {
    if (noTmpfs !== null) throw new Error(`cannot mount a tmpfs in CI: ${noTmpfs}`);
    const dir = await Deno.makeTempDir({ prefix: "kgw-diskfull-" });
    const mounted = await run("mount", ["-t", "tmpfs", "-o", "size=8m", "tmpfs", dir]);
    assert(mounted.ok, mounted.err);
    try {
      await runWithGateway({ dataDir: dir }, async (gw) => {
        const http = gw.httpPort!;
        // 1 MiB segments: DeleteRecords can free all but the active one.
        const c = await createTopics(gw, [{
          name: "fill",
          partitions: 1,
          configs: { "segment.bytes": "1048576" },
        }]);
        assertEquals(c.topics[0].errorCode, ErrorCode.NONE);
        let first: { code: number; msg: string } | null = null;
        let produced = 0;
        for (let i = 0; i < 400 && first === null; i++) {
          const r = await produce(gw, "fill", 64 * 1024);
          if (r.code !== ErrorCode.NONE) first = r;
          else produced++;
        }
        assert(first !== null, "the 8 MiB tmpfs filled up");
        assertEquals(first.code, ErrorCode.KAFKA_STORAGE_ERROR);
        assert(first.msg.includes("No space left on device"), first.msg);
        assert(produced > 50, `${produced} batches of 64 KiB before the disk was full`);
        // More failures: counted, not logged again.
        for (let i = 0; i < 3; i++) {
          assertEquals((await produce(gw, "fill", 64 * 1024)).code, ErrorCode.KAFKA_STORAGE_ERROR);
        }
        const logs = gw.logs();
        assertEquals(count(logs, "storage error ENOSPC"), 1, logs);
        const line = logs.split("\n").find((l) => l.includes("storage error ENOSPC"))!;
        assert(line.includes(`at ${dir}/fill-0/`) && line.includes("No space left on device"), line);
        assert(line.includes("[ERR]"), line);

        const down = await getJson<ReadyBody>(http, "/readyz");
        assertEquals(down.status, 503);
        const storage = down.body.checks.find((x) => x.name === "storage")!;
        assert(
          !storage.ok && storage.detail.includes("ENOSPC") && storage.detail.includes(dir),
          storage.detail,
        );
        const m = await scrape(http);
        assertEquals(m.types.get("kgw_storage_errors_total"), "counter");
        assert(
          m.get('kgw_storage_errors_total{kind="ENOSPC"}') >= 4,
          String(m.get('kgw_storage_errors_total{kind="ENOSPC"}')),
        );
        assertEquals(m.get('kgw_storage_errors_total{kind="EIO"}'), 0);
        assert(m.samples.has('kgw_storage_errors_total{kind="EIO"}'), "known kinds start at 0");
        assertEquals(m.get("kgw_ready"), 0);

        // Reads continue.
        const f = await wireCall<FetchResponse>(
          gw,
          FetchSpec,
          11,
          fetchBody("fill", 0, 0, { maxBytes: 1 << 20 }),
        );
        assertEquals(f.responses[0].partitions[0].errorCode, ErrorCode.NONE);
        assert((f.responses[0].partitions[0].records?.length ?? 0) > 64 * 1024, "records read back");

        // Growing the topic on the full disk fails half-way (each partition writes a checkpoint) and rolls back.
        const topicsJson = await Deno.readTextFile(join(dir, "topics.json"));
        const g = await createPartitions(gw, "fill", 64);
        assertEquals(g.results[0].errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
        assertEquals(entries(dir, "fill-"), ["fill-0"]);
        assertEquals(await Deno.readTextFile(join(dir, "topics.json")), topicsJson);
        assert(
          new RegExp(`growing topic fill from 1 to 64 partitions failed at ${dir}/fill-\\d+: No space left`)
            .test(
              gw.logs(),
            ),
          gw.logs(),
        );
        assertEquals((await partitionsOf(gw, ["fill"])).get("fill"), 1);
        assertEquals(count(gw.logs(), "storage error ENOSPC"), 1, "still one line for the condition");

        // Free space: DeleteRecords drops every closed segment; the next append succeeds and ends the condition.
        const d = await wireCall<DeleteRecordsResponse>(gw, DeleteRecordsSpec, 2, {
          topics: [{ name: "fill", partitions: [{ partitionIndex: 0, offset: -1 }] }],
          timeoutMs: 10_000,
        });
        assertEquals(d.topics[0].partitions[0].errorCode, ErrorCode.NONE);
        assertEquals((await produce(gw, "fill", 64 * 1024)).code, ErrorCode.NONE);
        assertEquals((await produce(gw, "fill", 64 * 1024)).code, ErrorCode.NONE);
        assertEquals(count(gw.logs(), "storage recovered from ENOSPC"), 1, gw.logs());
        const up = await waitFor("/readyz ready", async () => {
          const r = await getJson<ReadyBody>(http, "/readyz");
          return r.status === 200 ? r : undefined;
        });
        assertEquals(up.body.status, "ready");
        assertEquals((await scrape(http)).get("kgw_ready"), 1);
      });
    } finally {
      const u = await run("umount", [dir]);
      if (!u.ok) console.error(`umount ${dir}: ${u.err}`);
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

// ------------------------------------------------------------------------------------------ start-up

/** Runs the gateway to its end (it is expected not to start) and returns its exit code and output. */
async function startFails(dataDir: string): Promise<{ code: number; output: string }> {
  const cmd = new Deno.Command(Deno.execPath(), {
    args: [
      ...GATEWAY_RUN,
      "--listen",
      "127.0.0.1:0",
      "--http-listen",
      "off",
      "--data-dir",
      dataDir,
    ],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
    env: { NO_COLOR: "1" },
  });
  const child = cmd.spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const out = await child.output();
  clearTimeout(timer);
  const dec = new TextDecoder();
  return { code: out.code, output: dec.decode(out.stdout) + dec.decode(out.stderr) };
}

Deno.test({
  name:
    "start-up: unusable topics.json, broker-configs.json, meta.properties stop it with one line naming the file",
  ...opts,
  fn: async () => {
    const cases = [
      { file: "topics.json", content: "\u0000\u0001garbage\n{", copy: true },
      { file: "broker-configs.json", content: '{"resources": 42}\n', copy: false },
      { file: "meta.properties", content: "version=1\n", copy: false },
    ];
    for (const c of cases) {
      const dir = await Deno.makeTempDir({ prefix: "kgw-corrupt-" });
      try {
        const path = join(dir, c.file);
        await Deno.writeTextFile(path, c.content);
        const copy = `${path}.5f3e.tmp`;
        if (c.copy) await Deno.writeTextFile(copy, '{"version":1,"topics":[]}\n');
        const { code, output } = await startFails(dir);
        assert(code !== 0, `exit code ${code}:\n${output}`);
        assert(!output.includes("listening on"), output);
        const lines = output.split("\n").filter((l) => l.includes(path));
        assertEquals(lines.length, 1, `one line names ${path}:\n${output}`);
        assert(lines[0].includes("cannot start") && lines[0].includes(`${path} is unusable`), lines[0]);
        assert(lines[0].includes("restore it from a backup"), lines[0]);
        if (c.copy) assert(lines[0].includes(`move it over ${path}`) && lines[0].includes(copy), lines[0]);
        assertEquals(await Deno.readTextFile(path), c.content, "the file is left untouched");
      } finally {
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
    }
  },
});
