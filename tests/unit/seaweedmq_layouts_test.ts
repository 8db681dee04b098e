// CreatePartitions on SeaweedMQ (src/storage/seaweedmq/topic/install.ts finishGrowth) against a scripted broker and
// filer (no SeaweedFS needed). ConfigureTopic drains the old layout's partitions, but SeaweedFS 4.48 writes what a
// drained partition still held in memory after ConfigureTopic answered (measured: the directory of a partition whose
// records were published through another gateway was still empty when finishGrowth listed it, its log file
// appeared ~0.2 s later). A layout recorded before that flush made readers (any gateway installing it, and the
// grower's own admin API call) list an empty directory: the earlier layout "held no record", so the partition's
// log start became the new layout's first offset (1000) and a Fetch at offset 0 was answered OFFSET_OUT_OF_RANGE
// (tests/integration/seaweedmq_partitions_test.ts failed so once in CI), the empty listing cached for 2 s.
import { assertEquals } from "./assert.ts";
import type { SmqContext } from "../../src/storage/seaweedmq/context.ts";
import { LogFileCache, VolumeLocator } from "../../src/storage/seaweedmq/log_files.ts";
import { MetaPaths, parseJson, pathName } from "../../src/storage/seaweedmq/meta.ts";
import { ringRange } from "../../src/storage/seaweedmq/partition.ts";
import { histories, type Layout, layoutDir } from "../../src/storage/seaweedmq/topic/layouts.ts";
import { type TopicExtra, TopicTable } from "../../src/storage/seaweedmq/topic/install.ts";
import type { SmqCluster } from "../../src/storage/seaweedmq/transport/cluster.ts";
import type { Filer } from "../../src/storage/seaweedmq/transport/filer.ts";
import { type BrokerPartitionAssignment, Rpc } from "../../src/storage/seaweedmq/transport/messages.ts";
import { type Entry } from "../../src/storage/seaweedmq/transport/filer_messages.ts";
import { PbWriter } from "../../src/storage/seaweedmq/transport/pb.ts";

const NS = "kafka";
const TOPIC = { namespace: NS, name: "grow" };
const OLD = 1_800_000_000_000_000_000n; // layout generations (ns)
const NEW = OLD + 2_000_000_000n;

function be64(n: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigInt64(0, BigInt(n));
  return b;
}

/** A flushed log file holding offsets [min, max] (a manifest chunk: its attributes are all that is read). */
function logFile(name: string, min: number, max: number): Entry {
  return {
    name,
    isDirectory: false,
    attributes: null,
    extended: new Map([["offset_min", be64(min)], ["offset_max", be64(max)]]),
    content: new Uint8Array(0),
    hasChunks: true,
    chunks: [{
      fileId: "3,01",
      offset: 0,
      size: 100,
      modifiedTsNs: 0,
      isCompressed: false,
      encrypted: false,
      isManifest: true,
    }],
  };
}

/**
 * The filer: the old layout's directory shows its log file only from the `flushedAtListing`-th listing on (the
 * broker's flush of the drained partition lands while the gateway goes on); writes are kept.
 */
class ScriptedFiler {
  readonly files = new Map<string, Uint8Array>();
  listings = 0;
  /** Whether the old layout's records were listable when the topic's metadata (the layouts) was written. */
  flushedWhenRecorded: boolean | null = null;

  constructor(private readonly sealedDir: string, private readonly flushedAtListing: number) {}

  private get flushed(): boolean {
    return this.listings >= this.flushedAtListing;
  }

  list(dir: string): Promise<Entry[]> {
    if (dir !== this.sealedDir) return Promise.resolve([]);
    this.listings++;
    return Promise.resolve(this.flushed ? [logFile("2027-01-15-08-00-00", 0, 49)] : []);
  }

  put(dir: string, name: string, content: Uint8Array): Promise<void> {
    if (dir === new MetaPaths(NS).topics && name === pathName(TOPIC.name)) {
      this.flushedWhenRecorded = this.listings >= this.flushedAtListing;
    }
    this.files.set(`${dir}/${name}`, content);
    return Promise.resolve();
  }

  lookup(): Promise<null> {
    return Promise.resolve(null);
  }
}

/** A broker on which every new partition loads at once and continues at `seededAt` (PartitionState.seed). */
function scriptedCluster(seededAt: number) {
  const unary = (method: string): Promise<Uint8Array> => {
    if (method === Rpc.FetchMessage) return Promise.resolve(new PbWriter().int(2, seededAt).finish());
    if (method === Rpc.GetPartitionRangeInfo) {
      return Promise.resolve(
        new PbWriter().message(1, (w) => w.int(1, 0).int(2, seededAt).int(3, seededAt)).finish(),
      );
    }
    return Promise.reject(new Error(`unexpected call ${method}`));
  };
  return {
    channel: () => ({ unary }),
    // the publish stream of the partition reload: the broker's hello, then the end
    publishSession: () => ({
      open: (
        _m: string,
        h: { onMessage: (b: Uint8Array) => void; onEnd: (s: number, m: string) => void },
      ) => {
        const s = {
          write: () => queueMicrotask(() => h.onMessage(new Uint8Array(0))),
          end: () => queueMicrotask(() => h.onEnd(0, "")),
          cancel: () => queueMicrotask(() => h.onEnd(1, "cancelled")),
        };
        return s;
      },
    }),
  };
}

function context(filer: ScriptedFiler, cluster: unknown, logs: string[]): SmqContext {
  return {
    cluster: cluster as SmqCluster,
    filer: filer as unknown as Filer,
    namespace: NS,
    rpcTimeoutMs: 1000,
    publishTimeoutMs: 1000,
    replayWindowMs: 0,
    replayMaxBytes: 0,
    log: (_level, msg) => logs.push(msg),
    observe: () => {},
    brokerEpoch: () => 0,
    noteBrokerFailure: () => {},
    relookup: () => Promise.resolve(),
    closed: false,
  };
}

function assignments(n: number, generation: bigint): BrokerPartitionAssignment[] {
  return Array.from({ length: n }, (_, i) => {
    const r = ringRange(i, n);
    return {
      partition: { ringSize: 2520, rangeStart: r.start, rangeStop: r.stop, unixTimeNs: generation },
      leaderBroker: "broker:17777",
      followerBroker: "",
    };
  });
}

/** A TopicTable over the scripted filer and a one-broker cluster; what it logs goes to `logs`. */
function topicTable(filer: ScriptedFiler) {
  const logs: string[] = [];
  const ctx = context(filer, scriptedCluster(1000), logs);
  const table = new TopicTable({
    ctx,
    paths: new MetaPaths(NS),
    brokerCall: () => Promise.reject(new Error("no control-plane call expected")),
    topicNumber: () => -1,
    isOpen: () => true,
  });
  return { logs, ctx, table };
}

Deno.test("CreatePartitions records the old layout only once its log files hold the records acknowledged there", async () => {
  const sealedDir = layoutDir(TOPIC, String(OLD), 0, 1);
  // the flush of the drained partition becomes visible at the third listing of its directory
  const filer = new ScriptedFiler(sealedDir, 3);
  const { logs, ctx, table } = topicTable(filer);
  // 50 records acknowledged in partition 0 of the one-partition layout, growing to two partitions
  const extra: TopicExtra = {
    generation: String(OLD),
    growing: { generation: String(OLD), partitions: 1, ends: [50], count: 2 },
  };
  const next = await table.finishGrowth(TOPIC.name, assignments(2, NEW), extra);

  const layouts = next.layouts as Layout[];
  assertEquals(layouts, [{ generation: String(OLD), partitions: 1, ends: [1000] }]);
  const stored = parseJson(filer.files.get(`${new MetaPaths(NS).topics}/${TOPIC.name}`)!) as TopicExtra;
  assertEquals(stored.generation, String(NEW));
  assertEquals(
    filer.flushedWhenRecorded,
    true,
    "the layout was recorded while its directory still lacked the records below its high watermark",
  );
  // A gateway installing the grown topic now (the grower itself, or another one) reads partition 0 from offset 0:
  // the earlier layout holds the records, so the log start stays 0 (it was 1000 -- OFFSET_OUT_OF_RANGE at 0).
  const files = { cache: new LogFileCache(1 << 20), volumes: new VolumeLocator(ctx) };
  const history = histories(ctx, TOPIC, layouts, 2, files);
  assertEquals(history[0].end, 1000);
  assertEquals(await history[0].logStart(), 0);
  assertEquals(logs.filter((l) => l.includes("below its high watermark")), []);
});

Deno.test("CreatePartitions does not wait for records an old layout never had", async () => {
  // partition 0 already grew once (its second layout starts at 1000) and got no record since; partition 1 holds
  // nothing above its log start (a re-created topic's inherited offsets): nothing to wait for in either directory
  const filer = new ScriptedFiler("/none", Infinity);
  const { logs, table } = topicTable(filer);
  const extra: TopicExtra = {
    generation: String(OLD),
    logStart: { "1": 1000 },
    layouts: [{ generation: String(OLD - 5_000_000_000n), partitions: 1, ends: [1000] }],
    growing: { generation: String(OLD), partitions: 2, ends: [1000, 1000], count: 3 },
  };
  const t0 = Date.now();
  const next = await table.finishGrowth(TOPIC.name, assignments(3, NEW), extra);
  assertEquals(Date.now() - t0 < 1000, true, `took ${Date.now() - t0} ms`);
  assertEquals(next.layouts?.at(-1)?.ends, [1000, 1000]);
  assertEquals(logs.filter((l) => l.includes("below its high watermark")), []);
});
