// SeaweedMQ retention without a cluster: which log files of a partition directory go (retention.ms, retention.bytes,
// the log start, the broker's 1000-offset read blocks, sealed directories) and how retention.ms maps to
// SeaweedMQ's TopicRetention, including the re-assignment nudge. The cluster side is
// tests/integration/seaweedmq_admin_test.ts.
import { assertEquals } from "./assert.ts";
import type { Entry } from "../../src/storage/seaweedmq/transport/filer_messages.ts";
import {
  type DataFile,
  dataFiles,
  doomedParquet,
  planReclaim,
  type ReclaimRules,
} from "../../src/storage/seaweedmq/topic/reclaim.ts";
import {
  nudgedRetention,
  retentionInSync,
  smqRetention,
  topicNumber,
} from "../../src/storage/seaweedmq/topic/retention.ts";

function be64(n: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigInt64(0, BigInt(n));
  return b;
}

/** A listed log file: offsets [min, max] (min -1: no attributes), chunks of `sizes` bytes written at `ts` ms. */
function logEntry(name: string, min: number, max: number, sizes: number[], ts: number): Entry {
  let offset = 0;
  return {
    name,
    isDirectory: false,
    attributes: { fileSize: 0, mtime: Math.floor(ts / 1000), fileMode: 0o644, crtime: 0, mime: "" },
    extended: min < 0 ? new Map() : new Map([["offset_min", be64(min)], ["offset_max", be64(max)]]),
    content: new Uint8Array(0),
    hasChunks: true,
    chunks: sizes.map((size, i) => {
      const c = {
        fileId: `3,${i}`,
        offset,
        size,
        modifiedTsNs: (ts + i) * 1e6,
        isCompressed: false,
        encrypted: false,
        isManifest: false,
      };
      offset += size;
      return c;
    }),
  };
}

function bookkeeping(name: string): Entry {
  return {
    name,
    isDirectory: false,
    attributes: null,
    extended: new Map([["offset_max", be64(4999)]]),
    content: new Uint8Array(8),
    hasChunks: false,
    chunks: [],
  };
}

const T0 = 1_800_000_000_000;
// five flushes: 0-799 (the first file: no attributes), 800-1599, ..., 3200-3999; 1000 bytes each, one per minute
const LISTING: Entry[] = [
  bookkeeping("checkpoint.offset"),
  logEntry("2027-01-15-08-04-00", 3200, 3999, [1000], T0 + 240_000),
  logEntry("2027-01-15-08-00-00", -1, -1, [600, 400], T0),
  logEntry("2027-01-15-08-01-00", 800, 1599, [1000], T0 + 60_000),
  bookkeeping("kafka_gateway_hwm.offset"),
  logEntry("2027-01-15-08-02-00", 1600, 2399, [1000], T0 + 120_000),
  logEntry("2027-01-15-08-03-00", 2400, 3199, [1000], T0 + 180_000),
];
const FILES = dataFiles(LISTING);

const rules = (r: Partial<ReclaimRules>): ReclaimRules => ({
  logStart: 0,
  nowMs: T0 + 300_000,
  retentionMs: -1,
  retentionBytes: -1,
  current: true,
  ...r,
});
const names = (fs: readonly DataFile[]) => fs.map((f) => f.name.slice(-5));

Deno.test("reclaim: log files in order with ends, sizes and newest-record bounds; bookkeeping ignored", () => {
  assertEquals(FILES.map((f) => [f.name.slice(-5), f.end, f.bytes]), [
    ["00-00", 800, 1000], // the first file ends where the next one starts
    ["01-00", 1600, 1000],
    ["02-00", 2400, 1000],
    ["03-00", 3200, 1000],
    ["04-00", 4000, 1000],
  ]);
  assertEquals(FILES[0].newestMs, T0 + 1, "its last chunk's write time");
  // a lone first file: end unknown unless the directory's end is known (a sealed directory)
  const lone = [logEntry("2027-01-15-08-00-00", -1, -1, [10], T0)];
  assertEquals(dataFiles(lone)[0].end, -1);
  assertEquals(dataFiles(lone, 700)[0].end, 700);
});

Deno.test("reclaim: retention.ms expires whole files, never the newest; deletions stop at a 1000-offset block", () => {
  // written 300, 240, 180, 120 and 60 s ago: older than 150 s are 00, 01 and 02
  const p = planReclaim(FILES, rules({ retentionMs: 150_000 }));
  assertEquals(p.logStart, 2400);
  // 02-00 ends at 2400, past the block start 2000 of the log start: it stays until the log start reaches 3000
  assertEquals(names(p.doomed), ["00-00", "01-00"]);
  const all = planReclaim(FILES, rules({ retentionMs: 0 }));
  assertEquals([all.logStart, names(all.doomed)], [3200, ["00-00", "01-00", "02-00"]]);
  const none = planReclaim(FILES, rules({ retentionMs: 400_000 }));
  assertEquals([none.logStart, none.doomed.length], [0, 0]);
  // a file whose age is unknown (no chunk times, several chunks) does not expire by time
  const unknown = dataFiles([{
    ...LISTING[2],
    chunks: LISTING[2].chunks.map((c) => ({ ...c, modifiedTsNs: 0 })),
  }]);
  assertEquals(unknown[0].newestMs, Infinity);
});

Deno.test("reclaim: retention.bytes deletes the oldest files while the rest stays >= the limit", () => {
  const p = planReclaim(FILES, rules({ retentionBytes: 2000 }));
  assertEquals(p.logStart, 2400, "two newest files kept: 2000 bytes");
  assertEquals(planReclaim(FILES, rules({ retentionBytes: 2001 })).logStart, 1600);
  assertEquals(planReclaim(FILES, rules({ retentionBytes: 0 })).logStart, 3200, "never the newest file");
  // bytes in newer layouts count too
  assertEquals(planReclaim(FILES, rules({ retentionBytes: 2000, newerBytes: 1000 })).logStart, 3200);
  // with retention.ms first, as Kafka
  assertEquals(planReclaim(FILES, rules({ retentionMs: 270_000, retentionBytes: 3000 })).logStart, 1600);
});

Deno.test("reclaim: files below the log start (DeleteRecords) go by the same block rule; sealed directories whole", () => {
  const dr = planReclaim(FILES, rules({ logStart: 2500 }));
  assertEquals([dr.logStart, names(dr.doomed)], [2500, ["00-00", "01-00"]]);
  assertEquals(names(planReclaim(FILES, rules({ logStart: 1000 })).doomed), ["00-00"]);
  assertEquals(planReclaim(FILES, rules({ logStart: 999 })).doomed.length, 0, "the broker reads 999 from 0");
  assertEquals(names(planReclaim(FILES, rules({ logStart: 4000 })).doomed), [
    "00-00",
    "01-00",
    "02-00",
    "03-00",
  ]);
  // no broker reads a sealed directory: every file wholly below the log start goes, the newest too
  const sealed = planReclaim(FILES, rules({ logStart: 4000, current: false }));
  assertEquals(sealed.doomed.length, 5);
  const partly = planReclaim(FILES, rules({ logStart: 2500, current: false }));
  assertEquals(names(partly.doomed), ["00-00", "01-00", "02-00"]);
  const expired = planReclaim(FILES, rules({ retentionMs: 0, current: false }));
  assertEquals([expired.logStart, expired.doomed.length], [4000, 5]);
});

Deno.test("reclaim: parquet files of mq.topic.compact go once all their records are below the log start", () => {
  const parquet = (name: string, min: number, max: number) => ({
    ...logEntry(name, min, max, [100, 50], 0),
    name,
  });
  const entries = [
    parquet("2026-01-01-00-00-00.parquet", 0, 1499),
    parquet("2026-01-01-00-10-00.parquet", 1500, 2999),
    parquet("no-offsets.parquet", -1, -1),
    logEntry("2026-01-01-00-00-00", 0, 1499, [100], 0),
    bookkeeping("checkpoint.offset"),
  ];
  // a directory a broker serves: below the 1000-offset block of the log start only
  assertEquals(doomedParquet(entries, 2500, true).map((f) => f.name), ["2026-01-01-00-00-00.parquet"]);
  assertEquals(doomedParquet(entries, 1400, true).length, 0);
  assertEquals(doomedParquet(entries, 2999, true).map((f) => [f.name, f.end, f.bytes]), [
    ["2026-01-01-00-00-00.parquet", 1500, 150],
  ]);
  // sealed: exactly below the log start; a parquet file without offsets never goes
  assertEquals(doomedParquet(entries, 3000, false).map((f) => f.name), [
    "2026-01-01-00-00-00.parquet",
    "2026-01-01-00-10-00.parquet",
  ]);
});

Deno.test("TopicRetention: retention.ms in whole seconds, the nudge keeps its meaning, sync only on a change", () => {
  assertEquals(smqRetention(3_600_000), { retentionSeconds: 3600, enabled: true });
  assertEquals(smqRetention(1500), { retentionSeconds: 2, enabled: true });
  assertEquals(smqRetention(0), { retentionSeconds: 0, enabled: true });
  assertEquals(smqRetention(-1), { retentionSeconds: 0, enabled: false });

  const want = smqRetention(60_000);
  assertEquals(retentionInSync({ retentionSeconds: 60, enabled: true }, want), true);
  assertEquals(retentionInSync({ retentionSeconds: 61, enabled: true }, want), true, "the nudged variant");
  assertEquals(retentionInSync({ retentionSeconds: 59, enabled: true }, want), false);
  assertEquals(retentionInSync(null, want), false);
  assertEquals(retentionInSync(null, smqRetention(-1)), true, "none stored = disabled");
  // the nudge alternates between the retention and its variant, always differing from what is stored
  assertEquals(nudgedRetention(want, want), { retentionSeconds: 61, enabled: true });
  assertEquals(nudgedRetention({ retentionSeconds: 61, enabled: true }, want), want);
  assertEquals(nudgedRetention({ retentionSeconds: 7, enabled: true }, want), want);
  const off = smqRetention(-1);
  assertEquals(nudgedRetention(null, off), { retentionSeconds: 1, enabled: false });
  assertEquals(nudgedRetention({ retentionSeconds: 1, enabled: false }, off), off);

  assertEquals(topicNumber({ "retention.ms": "5" }, { "retention.ms": "7" }, "retention.ms", 9), 5);
  assertEquals(topicNumber({}, { "retention.ms": "7" }, "retention.ms", 9), 7);
  assertEquals(topicNumber({}, {}, "retention.ms", 9), 9);
});
