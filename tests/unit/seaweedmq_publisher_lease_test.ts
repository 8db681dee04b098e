// The SeaweedMQ publisher (src/storage/seaweedmq/publisher.ts) against a scripted broker (no SeaweedFS needed): what
// it may publish after its publish stream breaks.
//
// tests/integration/seaweedmq_cluster_transactions_test.ts (the coordinator stalls under SIGSTOP past its lease)
// failed once in CI with the records of the transaction's first produce stored twice. The stopped gateway led the
// partition; another gateway took it over and appended. On resume, the stopped gateway's publisher, whose stream
// had broken or whose release found the records not yet seen flushed, checked its kept acknowledged records
// against the broker, took them for lost (FetchMessage can answer nothing for flushed records) and published them
// again, although it no longer led the partition. A publisher now writes only while the lease under which its
// gateway acquired the partition holds (checked by the clock right before writing), and a record FetchMessage
// does not answer is looked up in the log files before it counts as lost.
//
// A second source of duplicates: records written on a stream that broke before their acks came were all sent again
// on the next stream, though the broker had stored them.
import type { LeaseGuard } from "../../src/cluster/view.ts";
import { ErrorCode } from "../../src/protocol/errors.ts";
import type { SmqContext } from "../../src/storage/seaweedmq/context.ts";
import { PartitionState } from "../../src/storage/seaweedmq/partition.ts";
import type { EncodedRecords } from "../../src/storage/seaweedmq/record_codec.ts";
import { StorageError } from "../../src/storage/storage.ts";
import type { SmqCluster } from "../../src/storage/seaweedmq/transport/cluster.ts";
import type { Filer } from "../../src/storage/seaweedmq/transport/filer.ts";
import { frame, FRAME_HEADER } from "../../src/storage/seaweedmq/transport/h2stream.ts";
import { Rpc } from "../../src/storage/seaweedmq/transport/messages.ts";
import { PbReader, PbWriter } from "../../src/storage/seaweedmq/transport/pb.ts";
import { assert, assertEquals } from "./assert.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

interface Handlers {
  onMessage: (b: Uint8Array) => void;
  onEnd: (status: number, message: string) => void;
}

/**
 * One partition on one broker: `stored` values in offset order. FetchMessage answers nothing below `unreadableBelow`
 * (flushed records FetchMessage does not serve). Publish streams store what they are sent and ack it unless
 * `ackUpTo` says otherwise.
 */
class FakeBroker {
  readonly stored: string[] = [];
  unreadableBelow = 0;
  /** Acks are sent only for offsets below this. */
  ackUpTo = Infinity;
  /** Values written on publish streams (the tests reset it). */
  written: string[] = [];
  /** The log files hold everything stored (false: no file is listed). */
  flushes = true;
  /** Status the broker ends a stream with when the gateway ends it (0: it flushed). */
  endStatus = 0;
  private readonly streams = new Set<Handlers>();

  /** Another gateway (the partition's new leader) appends. */
  appendElsewhere(...values: string[]): void {
    this.stored.push(...values);
  }

  /** Ends every open publish stream (the connection to the broker broke). */
  breakStreams(): void {
    for (const h of [...this.streams]) {
      this.streams.delete(h);
      h.onEnd(14, "connection reset");
    }
  }

  unary(method: string, req: Uint8Array): Uint8Array {
    const hw = this.stored.length;
    if (method === Rpc.GetPartitionRangeInfo) {
      return new PbWriter().message(1, (w) => w.int(1, 0).int(2, hw).int(3, hw)).finish();
    }
    if (method !== Rpc.FetchMessage) throw new Error(`unexpected call ${method}`);
    let start = 0, maxMessages = 0;
    for (const r = new PbReader(req); r.next();) {
      if (r.field === 3) start = r.varint();
      else if (r.field === 5) maxMessages = r.varint();
      else r.skip();
    }
    const w = new PbWriter();
    let o = start;
    if (start >= this.unreadableBelow) {
      for (; o < Math.min(hw, start + maxMessages); o++) {
        const v = this.stored[o];
        w.message(1, (m) => m.bytes(1, enc.encode(`k-${v}`)).bytes(2, enc.encode(v)).int(3, 1_000_000 + o));
      }
    }
    w.int(2, hw).int(7, o);
    return w.finish();
  }

  open(h: Handlers) {
    let hello = false;
    const stream = {
      write: (frames: Uint8Array) => {
        if (!hello) {
          hello = true;
          this.streams.add(h);
          queueMicrotask(() => h.onMessage(new Uint8Array(0)));
          return true;
        }
        if (!this.streams.has(h)) return false;
        for (let p = 0; p < frames.length;) {
          const len = new DataView(frames.buffer, frames.byteOffset + p + 1, 4).getUint32(0);
          const msg = frames.subarray(p + FRAME_HEADER, p + FRAME_HEADER + len);
          p += FRAME_HEADER + len;
          let value = "";
          for (const r = new PbReader(msg); r.next();) {
            if (r.field !== 2) {
              r.skip();
              continue;
            }
            for (const d = new PbReader(r.bytes()); d.next();) {
              if (d.field === 2) value = dec.decode(d.bytes());
              else d.skip();
            }
          }
          const offset = this.stored.length;
          this.stored.push(value);
          this.written.push(value);
          if (offset < this.ackUpTo) {
            queueMicrotask(() => h.onMessage(new PbWriter().int(5, offset).finish()));
          }
        }
        return true;
      },
      end: () => {
        if (!this.streams.delete(h)) return;
        queueMicrotask(() => h.onEnd(this.endStatus, ""));
      },
      cancel: () => {
        if (!this.streams.delete(h)) return;
        queueMicrotask(() => h.onEnd(8, "cancelled"));
      },
    };
    return stream;
  }
}

function partition(broker: FakeBroker, logs: string[]): PartitionState {
  const cluster = {
    channel: () => ({ unary: (m: string, r: Uint8Array) => Promise.resolve(broker.unary(m, r)) }),
    publishSession: () => ({ open: (_m: string, h: Handlers) => broker.open(h) }),
    resetPublishSession: () => {},
  };
  const be64 = (n: number) => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigInt64(0, BigInt(n));
    return b;
  };
  const filer = {
    list: () =>
      Promise.resolve(
        broker.flushes && broker.stored.length > 0
          ? [{
            name: "2027-01-01-00-00-00",
            isDirectory: false,
            extended: new Map([["offset_min", be64(0)], ["offset_max", be64(broker.stored.length - 1)]]),
            content: new Uint8Array(0),
          }]
          : [],
      ),
    put: () => Promise.resolve(),
    remove: () => Promise.resolve(),
  };
  const ctx: SmqContext = {
    cluster: cluster as unknown as SmqCluster,
    filer: filer as unknown as Filer,
    namespace: "kafka",
    rpcTimeoutMs: 1000,
    publishTimeoutMs: 5000,
    replayWindowMs: 60_000,
    replayMaxBytes: 1 << 20,
    log: (level, msg) => logs.push(`${level}: ${msg}`),
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

/** Records as the storage encodes them for PublishMessage (value `v`, key `k-v`). */
function records(...values: string[]): EncodedRecords {
  const frames: Uint8Array[] = values.map((v) =>
    frame(
      new PbWriter().message(2, (d) => d.bytes(1, enc.encode(`k-${v}`)).bytes(2, enc.encode(v)).int(3, 1))
        .finish(),
    )
  );
  const ends = new Uint32Array(values.length);
  const all = new Uint8Array(frames.reduce((s, f) => s + f.length, 0));
  let at = 0;
  frames.forEach((f, i) => {
    all.set(f, at);
    ends[i] = at += f.length;
  });
  return { frames: all, ends, count: values.length };
}

/** A lease the test voids (the gateway stopped past it). */
function lease(): LeaseGuard & { ok: boolean } {
  const l = { ok: true, valid: () => l.ok };
  return l;
}

const settle = () => new Promise((r) => setTimeout(r, 50));

Deno.test("seaweedmq publisher: after its lease lapsed, a broken stream re-publishes no kept record", async () => {
  const broker = new FakeBroker();
  const logs: string[] = [];
  const p = partition(broker, logs);
  const l = lease();
  const pub = p.publisherUnder(l);
  assertEquals(await pub.append(records("t1-0", "t1-1", "t1-2")), { baseOffset: 0, lastOffset: 2 });

  // SIGSTOP past the lease: another gateway leads the partition and appends; the broker flushed t1 (FetchMessage
  // no longer serves it); on resume the stream is found broken
  l.ok = false;
  broker.appendElsewhere("t2-0", "t2-1");
  broker.unreadableBelow = 3;
  broker.written = [];
  broker.breakStreams();
  await settle();
  await pub.settled();
  assertEquals(broker.written, [], `published after the lease lapsed: ${logs.join("\n")}`);
  assertEquals(broker.stored, ["t1-0", "t1-1", "t1-2", "t2-0", "t2-1"]);

  // appends fail NOT_LEADER_OR_FOLLOWER; the release drops the kept records without publishing them
  const e = await pub.append(records("late")).then(() => null, (e) => e);
  assert(e instanceof StorageError && e.code === ErrorCode.NOT_LEADER_OR_FOLLOWER, `append: ${e}`);
  await p.releasePublisher(100);
  assertEquals(broker.written, []);
  assertEquals(broker.stored, ["t1-0", "t1-1", "t1-2", "t2-0", "t2-1"]);
});

Deno.test("seaweedmq publisher: a release after the lease lapsed does not publish the kept records again", async () => {
  const broker = new FakeBroker();
  const logs: string[] = [];
  const p = partition(broker, logs);
  const l = lease();
  await p.publisherUnder(l).append(records("t1-0", "t1-1", "t1-2"));

  // the stream survived the stop; the release finds the records not yet in the log files (no file listed here)
  broker.flushes = false;
  broker.endStatus = 2;
  l.ok = false;
  broker.appendElsewhere("t2-0", "t2-1");
  broker.unreadableBelow = 3;
  broker.written = [];
  await p.releasePublisher(100);
  assertEquals(broker.written, [], `published in the release after the lease lapsed: ${logs.join("\n")}`);
  assertEquals(broker.stored, ["t1-0", "t1-1", "t1-2", "t2-0", "t2-1"]);
});

Deno.test("seaweedmq publisher: a release under a valid lease still publishes again what the broker lost", async () => {
  const broker = new FakeBroker();
  const logs: string[] = [];
  const p = partition(broker, logs);
  await p.publisherUnder(lease()).append(records("a", "b", "c"));
  // the broker restarted and lost "c" (acknowledged at offset 2)
  broker.stored.length = 2;
  broker.endStatus = 2;
  broker.written = [];
  await p.releasePublisher(100);
  assertEquals(broker.written, ["c"]);
  assertEquals(broker.stored, ["a", "b", "c"]);
});

Deno.test("seaweedmq publisher: records stored though their acks were lost are not sent again", async () => {
  const broker = new FakeBroker();
  const logs: string[] = [];
  const p = partition(broker, logs);
  const pub = p.publisherUnder(lease());
  assertEquals(await pub.append(records("a")), { baseOffset: 0, lastOffset: 0 });
  // the broker stores b, c, d but the stream breaks after the ack of b, before those of c and d
  broker.ackUpTo = 2;
  const pending = pub.append(records("b", "c", "d"));
  await settle();
  broker.ackUpTo = Infinity;
  broker.breakStreams();
  assertEquals(await pending, { baseOffset: 1, lastOffset: 3 }, logs.join("\n"));
  assertEquals(broker.stored, ["a", "b", "c", "d"], logs.join("\n"));
  // the next append continues after them, on the new stream
  assertEquals(await pub.append(records("e")), { baseOffset: 4, lastOffset: 4 });
  assertEquals(broker.stored, ["a", "b", "c", "d", "e"]);
  assert(logs.some((m) => m.includes("2 records written before the publish stream broke were stored")));
  await p.releasePublisher(100);
});
