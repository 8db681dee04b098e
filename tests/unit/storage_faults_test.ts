// Storage faults without a real fault: errno classification and the once-per-condition bookkeeping of
// StorageHealth, the partition limits of topic_rules.ts (derived and explicit, concurrent creations), unusable
// metadata files at open (one line naming the file, nothing rewritten), and the file descriptors a partition
// really keeps open (FILES_PER_PARTITION) also across segment rolls and reads of old segments.
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { ErrorCode, KafkaError } from "../../src/protocol/errors.ts";
import { StorageError, type TopicMeta } from "../../src/storage/storage.ts";
import type { Storage } from "../../src/storage/storage.ts";
import { EmbeddedStorage } from "../../src/storage/embedded/embedded.ts";
import { faultKind, StorageHealth } from "../../src/storage/embedded/health.ts";
import { ioError } from "../../src/storage/embedded/files.ts";
import { FILES_PER_PARTITION } from "../../src/storage/embedded/partition_log.ts";
import {
  checkPartitionLimit,
  createWithinPartitionLimit,
  FALLBACK_OPEN_FILES,
  type LimitSource,
  parseOpenFileLimit,
  partitionLimit,
  RESERVED_FILES,
} from "../../src/handlers/topic_rules.ts";
import { appendRequest, numberedBatch } from "./fixtures/storage_batches.ts";

function osError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

Deno.test("faultKind: errno classes through StorageError causes; Deno permission denials are EACCES", () => {
  assertEquals(faultKind(osError("ENOSPC", "No space left on device (os error 28)")), "ENOSPC");
  assertEquals(faultKind(ioError("append to t-0", osError("EIO", "Input/output error"))), "EIO");
  assertEquals(faultKind(new Deno.errors.NotCapable("Requires write access")), "EACCES");
  assertEquals(faultKind(osError("EXDEV", "cross-device link")), "other");
  assertEquals(faultKind(new Error("segment file is not empty")), null);
  assertEquals(faultKind(new StorageError(ErrorCode.OFFSET_OUT_OF_RANGE, "out of range")), null);
});

Deno.test("StorageHealth: one log line per condition, every failure counted, recovery logged once", () => {
  const logs: string[] = [];
  const counted: string[] = [];
  const h = new StorageHealth((level, msg) => logs.push(`${level}: ${msg}`), (k) => counted.push(k));
  const full = osError("ENOSPC", "No space left on device (os error 28)");
  // Disk full is one condition for the whole volume, whichever partition hits it.
  h.failed("a-0", "/d/a-0/00000000000000000000.log", ioError("append to a-0", full));
  h.failed("b-0", "/d/b-0/00000000000000000000.log", full);
  h.failed("a-0", "/d/a-0/00000000000000000000.log", full);
  assertEquals(counted, ["ENOSPC", "ENOSPC", "ENOSPC"]);
  assertEquals(logs.length, 1);
  assert(
    logs[0].startsWith("error: storage error ENOSPC (disk full) at /d/a-0/00000000000000000000.log"),
    logs[0],
  );
  assert(logs[0].includes("No space left on device (os error 28)"), "the OS's words, not the wrapper's");
  assert(!h.healthy);
  assert(h.detail().includes("ENOSPC") && h.detail().includes("(3 failed operation(s))"), h.detail());
  // A small bookkeeping write may fit where records do not: it does not end a disk-full condition.
  h.ok("a-0", false);
  assert(!h.healthy);
  h.ok("b-0", true);
  assert(h.healthy);
  assertEquals(logs.length, 2);
  assert(logs[1].startsWith("info: storage recovered from ENOSPC"), logs[1]);
  h.ok("b-0", true);
  assertEquals(logs.length, 2, "recovery is logged once");

  // An I/O error is one partition's: writes elsewhere do not end it, its own do.
  const eio = osError("EIO", "Input/output error (os error 5)");
  h.failed("a-0", "/d/a-0/x.log", eio);
  h.failed("c-0", "/d/c-0/x.log", eio);
  assertEquals(logs.filter((l) => l.includes("storage error EIO")).length, 2);
  h.ok("b-0", true);
  assert(!h.healthy);
  h.ok("a-0", false);
  h.ok("c-0", true);
  assert(h.healthy);
  // Errors without an errno are not storage faults: not counted, not logged here.
  h.failed("a-0", "/d/a-0/x.log", new Error("bug"));
  assertEquals(counted.length, 5);
  // An offline partition stays a condition until restart (or its topic is deleted).
  h.failed("d-0", "/d/d-0", eio, true);
  h.ok("d-0", true);
  assert(!h.healthy && h.detail().includes("d-0 offline"), h.detail());
  h.forget("d-0", "/d/d-0");
  assert(h.healthy);
  // count(): counted only (a creation rolled back completely logs its own line).
  assertEquals(h.count(full), "ENOSPC");
  assert(h.healthy);
});

Deno.test("partition limits: parsed open-file limit, derived total, explicit flag, backend without files", () => {
  const text = "Limit                     Soft Limit           Hard Limit           Units     \n" +
    "Max processes             127966               127966               processes \n" +
    "Max open files            256                  4096                 files     \n";
  assertEquals(parseOpenFileLimit(text), 256);
  assertEquals(parseOpenFileLimit(text.replace("256 ", "unlimited ")), Infinity);
  assertEquals(parseOpenFileLimit("nothing here"), null);

  const fake = (
    over: Partial<Storage>,
  ): Storage => ({ kind: "embedded", listTopics: () => [], ...over } as Storage);
  const config = { maxPartitions: 0, maxConnections: 10_000 };
  const embedded = fake({ openFilesPerPartition: FILES_PER_PARTITION });
  const at256 = partitionLimit({ storage: embedded, config }, () => ({ limit: 256, source: "test" }));
  // A quarter of the limit goes to connections (10,000 would not fit), RESERVED_FILES to the gateway itself.
  assertEquals(at256.total, Math.floor((256 - RESERVED_FILES - 64) / FILES_PER_PARTITION));
  assertEquals(at256.perTopic, 100_000);
  assert(
    at256.reason.includes("--max-partitions 0") && at256.remedy.includes("--max-partitions"),
    at256.reason,
  );
  const few = partitionLimit({ storage: embedded, config: { maxPartitions: 0, maxConnections: 10 } }, () => ({
    limit: 1024,
    source: "test",
  }));
  assertEquals(few.total, Math.floor((1024 - RESERVED_FILES - 10) / FILES_PER_PARTITION));
  assertEquals(
    partitionLimit({ storage: embedded, config }, () => ({ limit: Infinity, source: "test" })).total,
    Infinity,
  );
  const explicit = partitionLimit({ storage: embedded, config: { maxPartitions: 7, maxConnections: 1 } });
  assertEquals([explicit.total, explicit.reason], [7, "--max-partitions 7"]);
  // SeaweedMQ: no local files per partition, its ring bounds a topic.
  const remote = fake({ kind: "seaweedmq", maxPartitions: 4096 });
  const r = partitionLimit({ storage: remote, config });
  assertEquals([r.total, r.perTopic], [Infinity, 4096]);
  assert(FALLBACK_OPEN_FILES > RESERVED_FILES * 2, "the fallback leaves room for partitions");
});

Deno.test("partition limits: refused with POLICY_VIOLATION naming the flag; concurrent creations share the room", async () => {
  const topics: TopicMeta[] = [{ name: "a", id: "0".repeat(31) + "1", partitions: 4, configs: {} }];
  const storage = { kind: "seaweedmq", listTopics: () => topics } as unknown as Storage;
  const src: LimitSource = { storage, config: { maxPartitions: 10, maxConnections: 100 } };
  checkPartitionLimit(src, "b", 6); // exactly at the limit
  const refused = (f: () => unknown): KafkaError => {
    try {
      f();
    } catch (e) {
      if (e instanceof KafkaError) return e;
      throw e;
    }
    throw new Error("expected a KafkaError");
  };
  const e = refused(() => checkPartitionLimit(src, "b", 7));
  assertEquals(e.code, ErrorCode.POLICY_VIOLATION);
  assertEquals(
    e.message,
    "Creating topic b with 7 partition(s) would bring the gateway to 11 partitions over all topics, above its " +
      "limit of 10 (--max-partitions 10); raise --max-partitions or delete topics.",
  );
  const g = refused(() => checkPartitionLimit(src, "a", 11, 4));
  assert(
    g.message.startsWith("Growing topic a from 4 to 11 partitions would bring the gateway to 11"),
    g.message,
  );
  checkPartitionLimit(src, "a", 10, 4);
  assertEquals(refused(() => checkPartitionLimit(src, "a", 100_001, 4)).code, ErrorCode.INVALID_PARTITIONS);

  // Two creations that each fit, but not together: the second is refused while the first runs.
  const first = Promise.withResolvers<void>();
  const running = createWithinPartitionLimit(src, "b", 5, 0, () => first.promise);
  await assertRejectsKafka(createWithinPartitionLimit(src, "c", 2, 0, () => Promise.resolve()));
  first.resolve();
  await running;
  // The reservation ends with the creation (here the topic was not really added).
  await createWithinPartitionLimit(src, "c", 6, 0, () => Promise.resolve());
});

async function assertRejectsKafka(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert(e instanceof KafkaError && e.code === ErrorCode.POLICY_VIOLATION, String(e));
    return;
  }
  throw new Error("expected POLICY_VIOLATION");
}

Deno.test("unusable topics.json / broker-configs.json stop the open with one line naming the file and the way out", async () => {
  for (const file of ["topics.json", "broker-configs.json"]) {
    const dir = await Deno.makeTempDir({ prefix: "storage_faults_" });
    const path = join(dir, file);
    const garbage = '{"topics": [\n garbage';
    await Deno.writeTextFile(path, garbage);
    await Deno.writeTextFile(`${path}.1a2b3c.tmp`, "{}"); // what an interrupted save leaves
    const s = new EmbeddedStorage({ dataDir: dir, log: () => {} });
    let message = "";
    try {
      await s.open();
    } catch (e) {
      message = (e as Error).message;
    }
    assert(message.includes(`${path} is unusable: not valid JSON`), message);
    assert(message.includes("restore it from a backup"), message);
    assert(message.includes(`${path}.1a2b3c.tmp`), "names the leftover copy");
    assert(!message.includes("\n"), "one line");
    assertEquals(await Deno.readTextFile(path), garbage, "left untouched");
    assertEquals(await Deno.readTextFile(`${path}.1a2b3c.tmp`), "{}", "the copy is kept too");
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an unusable partition checkpoint is named in a warning; recovery scans the segments", async () => {
  const dir = await Deno.makeTempDir({ prefix: "storage_faults_" });
  const logs: string[] = [];
  let s = new EmbeddedStorage({ dataDir: dir, log: (l, m) => logs.push(`${l}: ${m}`) });
  await s.open();
  await s.createTopic("t", 1, {});
  await s.append(
    "t",
    0,
    appendRequest([numberedBatch(0, 1_700_000_000_000), numberedBatch(1, 1_700_000_000_001)]),
  );
  await s.close();
  const cp = join(dir, "t-0", "partition.checkpoint");
  await Deno.writeTextFile(cp, "\u0000\u0000garbage");
  s = new EmbeddedStorage({ dataDir: dir, log: (l, m) => logs.push(`${l}: ${m}`) });
  await s.open();
  assert(logs.some((l) => l.startsWith(`warn: ${cp} is unusable (not valid JSON`)), logs.join("\n"));
  assertEquals((await s.offsets("t", 0)).highWatermark, 3); // batches of 1 and 2 records
  await s.close();
  await Deno.remove(dir, { recursive: true });
});

/** Descriptors this process holds on files under `dir` (`ls`: Deno reserves /proc/self/fd to --allow-all). */
function openFiles(dir: string): number {
  const out = new Deno.Command("ls", { args: ["-l", `/proc/${Deno.pid}/fd`], stderr: "null" }).outputSync();
  return new TextDecoder().decode(out.stdout).split("\n").filter((l) => l.includes(`-> ${dir}/`)).length;
}

Deno.test({
  name:
    "a partition keeps at most FILES_PER_PARTITION descriptors, also across rolls and reads of old segments",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "storage_faults_" });
    // No tail cache: every read goes to a segment file; tiny segments: a roll every other batch.
    const s = new EmbeddedStorage({
      dataDir: dir,
      fsync: "interval",
      fsyncIntervalMs: 3_600_000,
      segmentBytes: 200,
      tailCacheBytesPerPartition: 0,
      log: () => {},
    });
    await s.open();
    const before = openFiles(dir); // the directory lock
    const n = 4;
    await s.createTopic("t", n, {});
    assertEquals(openFiles(dir) - before, n, "one writer per partition once created");
    for (let round = 0; round < 12; round++) {
      for (let p = 0; p < n; p++) {
        await s.append("t", p, appendRequest([numberedBatch(round, 1_700_000_000_000 + round, 40)]));
        const hw = (await s.offsets("t", p)).highWatermark;
        await s.read("t", p, hw - 1, 1 << 20, true); // the active segment
        await s.read("t", p, round % 3, 1 << 20, true); // an old segment
      }
      // Once the sync rounds the rolls started are done, only the writer and two readers per partition remain
      // (the writers of rolled segments are what FILES_PER_PARTITION counts on top, while their sync runs).
      await s.flushAll();
      const held = openFiles(dir) - before;
      assert(
        held <= n * (FILES_PER_PARTITION - 1),
        `round ${round}: ${held} descriptors for ${n} partitions`,
      );
    }
    assert(s.partitionStats("t", 0).segments >= 6, "segments rolled");
    await s.close();
    assertEquals(openFiles(dir), 0, "closing releases every descriptor");
    await Deno.remove(dir, { recursive: true });
  },
});
