// PartitionState.readRecords at the tail of a partition against a scripted broker (no SeaweedFS needed): a read at
// offset N returns the record at N or nothing yet, never later records. SeaweedFS 4.48's FetchMessage can answer
// empty at an offset it already acknowledged (its read buffer trails the acks by milliseconds) or, for flushed
// records, at an offset while later ones read fine; the gateway took both for a gap left by a broker crash and
// skipped ahead (tests/integration/seaweedmq_tail_read_test.ts shows it end to end).
import { PartitionState } from "../../src/storage/seaweedmq/partition.ts";
import type { StoredRecords } from "../../src/storage/seaweedmq/record_codec.ts";
import type { SmqContext } from "../../src/storage/seaweedmq/context.ts";
import type { SmqCluster } from "../../src/storage/seaweedmq/transport/cluster.ts";
import type { Filer } from "../../src/storage/seaweedmq/transport/filer.ts";
import { Rpc } from "../../src/storage/seaweedmq/transport/messages.ts";
import { PbReader, PbWriter } from "../../src/storage/seaweedmq/transport/pb.ts";
import { assertEquals } from "./assert.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * One partition on a scripted broker: `stored` records exist; FetchMessage serves offsets below `visible`
 * except those in `holes` (answered empty), and reports `visible` as its high watermark.
 */
class FakeBroker {
  stored = 0;
  visible = 0;
  readonly holes = new Set<number>();
  /** Runs after every FetchMessage answer (the broker catching up between two calls). */
  afterFetch: () => void = () => {};
  fetches: number[] = [];

  unary(method: string, req: Uint8Array): Uint8Array {
    if (method === Rpc.GetPartitionRangeInfo) {
      return new PbWriter().message(1, (w) => w.int(1, 0).int(2, this.visible).int(3, this.visible)).finish();
    }
    if (method !== Rpc.FetchMessage) throw new Error(`unexpected call ${method}`);
    let start = 0, maxMessages = 0;
    for (const r = new PbReader(req); r.next();) {
      if (r.field === 3) start = r.varint();
      else if (r.field === 5) maxMessages = r.varint();
      else r.skip();
    }
    this.fetches.push(start);
    const w = new PbWriter();
    let o = start;
    if (!this.holes.has(start)) {
      for (; o < Math.min(this.visible, start + maxMessages) && !this.holes.has(o); o++) {
        w.message(
          1,
          (m) => m.bytes(1, enc.encode(`k${o}`)).bytes(2, enc.encode(`v${o}`)).int(3, 1_000_000 + o),
        );
      }
    }
    w.int(2, this.visible).int(7, o);
    this.afterFetch();
    return w.finish();
  }
}

function partition(broker: FakeBroker): PartitionState {
  const cluster = {
    channel: () => ({ unary: (m: string, r: Uint8Array) => Promise.resolve(broker.unary(m, r)) }),
  };
  const filer = { list: () => Promise.resolve([]), put: () => Promise.resolve() };
  const ctx: SmqContext = {
    cluster: cluster as unknown as SmqCluster,
    filer: filer as unknown as Filer,
    namespace: "kafka",
    rpcTimeoutMs: 1000,
    publishTimeoutMs: 1000,
    replayWindowMs: 0,
    replayMaxBytes: 0,
    log: () => {},
    observe: () => {},
    brokerEpoch: () => 0,
    noteBrokerFailure: () => {},
    relookup: () => Promise.resolve(),
    closed: false,
  };
  return new PartitionState(ctx, { namespace: "kafka", name: "t" }, 0, {
    partition: { ringSize: 2520, rangeStart: 0, rangeStop: 2520, unixTimeNs: 1n },
    leaderBroker: "broker:17777",
    followerBroker: "",
  });
}

function values(r: { recs: StoredRecords }): string[] {
  return r.recs.records().map((x) => (x.value === null ? "<null>" : dec.decode(x.value)));
}

Deno.test("seaweedmq tail read: an acknowledged offset the broker does not serve yet is waited for, not skipped", async () => {
  const b = new FakeBroker();
  b.stored = b.visible = 5;
  const p = partition(b);
  await p.ensureReady();
  // offsets 5..7 acknowledged; the broker's read buffer still ends at 5 and catches up after this fetch
  b.stored = 8;
  p.noteAppended(8);
  b.afterFetch = () => b.visible = b.stored;
  const r = await p.readRecords(5, 100, 1 << 20);
  assertEquals(r.recs.offsetList(), [5, 6, 7]);
  assertEquals(values(r), ["v5", "v6", "v7"]);
  assertEquals(r.hw, 8);
});

Deno.test("seaweedmq tail read: an acknowledged offset that stays invisible answers nothing yet", async () => {
  const b = new FakeBroker();
  b.stored = b.visible = 5;
  const p = partition(b);
  await p.ensureReady();
  b.stored = 8;
  p.noteAppended(8);
  const r = await p.readRecords(5, 100, 1 << 20);
  assertEquals(r.recs.offsetList(), []);
  assertEquals(r.hw, 8);
  b.visible = 8;
  assertEquals((await p.readRecords(5, 100, 1 << 20)).recs.offsetList(), [5, 6, 7]);
});

Deno.test("seaweedmq tail read: an offset unreadable below later ones is skipped only once it stays a gap", async () => {
  const b = new FakeBroker();
  b.stored = b.visible = 10;
  const p = partition(b);
  await p.ensureReady();
  // 4 reads empty (a flush in progress / the broker's stale disk cache), 5.. read fine
  b.holes.add(4);
  assertEquals((await p.readRecords(4, 100, 1 << 20)).recs.offsetList(), []);
  // it becomes readable: served from 4, nothing skipped
  b.holes.delete(4);
  assertEquals((await p.readRecords(4, 2, 1 << 20)).recs.offsetList(), [4, 5]);
  // a real gap (records lost in a broker crash): nothing at first, then skipped after the confirmation time
  b.holes.add(6);
  assertEquals((await p.readRecords(6, 100, 1 << 20)).recs.offsetList(), []);
  await new Promise((r) => setTimeout(r, 3_100));
  const r = await p.readRecords(6, 100, 1 << 20);
  assertEquals(r.recs.offsetList(), [7, 8, 9]);
  assertEquals(values(r), ["v7", "v8", "v9"]);
});

Deno.test("seaweedmq tail read: an offset below the high watermark unreadable for 200 ms is served by the same read", async () => {
  const b = new FakeBroker();
  b.stored = b.visible = 10;
  const p = partition(b);
  await p.ensureReady();
  // offset 0 moving from the broker's memory to a log file: in neither for 200 ms, later offsets readable
  b.holes.add(0);
  setTimeout(() => b.holes.delete(0), 200);
  const t0 = Date.now();
  const r = await p.readRecords(0, 100, 1 << 20);
  assertEquals(r.recs.offsetList(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const took = Date.now() - t0;
  assertEquals(took >= 190 && took < 1_000, true, `served ${took} ms after the first try`);
  // the broker asked again with growing pauses, not in a busy loop
  assertEquals(b.fetches.length < 15, true, `${b.fetches.length} FetchMessage calls`);
});
