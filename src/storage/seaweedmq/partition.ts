// One Kafka partition on SeaweedMQ: routing to its leader broker, the consistency check that runs before the
// gateway uses a partition on a broker (consistency_check.ts: why and what it does), reads (FetchMessage -> Kafka
// batches) and watermarks.
import { ErrorCode } from "../../protocol/errors.ts";
import type { LeaseGuard } from "../leadership.ts";
import { type ReadResult, StorageError } from "../storage.ts";
import { errorText, sleep, type SmqContext } from "./context.ts";
import { isTransient, rpcCode, Status } from "./transport/grpc.ts";
import { frame } from "./transport/h2stream.ts";
import {
  type BrokerPartitionAssignment,
  decodeFetchMessageResponse,
  decodeGetPartitionRangeInfoResponse,
  encodeAssignTopicPartitionsRequest,
  encodeFetchMessageRequest,
  encodePublishInit,
  encodeTopicPartition,
  type FetchMessageResponse,
  type Partition,
  Rpc,
  type Topic,
} from "./transport/messages.ts";
import { buildBatches, type SmqRecord, StoredRecords } from "./record_codec.ts";
import { Publisher } from "./publisher.ts";
import { type FileRead, PartitionLogFiles } from "./log_files.ts";
import {
  be64,
  type CheckedPartition,
  checkPartition,
  CHECKPOINT,
  HWM_MARKER,
  listPartitionFiles,
} from "./consistency_check.ts";
import { UnreadableOffsets } from "./unreadable_offsets.ts";
import { type BuiltRead, ReadAhead } from "./read_ahead.ts";
import { frameKeyValue, sameMessage, sameRecord } from "./replay_match.ts";

export const RING_SIZE = 2520;
/** How long a release waits for the broker to flush the acknowledged records it kept (normally: at once). */
const RELEASE_FLUSH_WAIT_MS = 5_000;
const FAR_OFFSET = 2 ** 53 - 1;
const MAX_MESSAGES = 10_000;
/** An empty read (never added to). */
const NONE = new StoredRecords(1);
/**
 * An acknowledged record can be unreadable for a moment (SeaweedFS 4.48: the broker's read buffer ends below
 * offsets it has already acknowledged; a record moving from the broker's memory to a log file is in neither for a
 * while): a read below the high watermark that finds nothing asks the broker and the log files again, pausing from
 * VISIBLE_RETRY_MS doubling up to VISIBLE_PAUSE_MAX_MS, for up to VISIBLE_WAIT_MS, before answering "nothing yet"
 * (Kafka never answers a fetch below the high watermark with nothing; clients tolerate it, tools that read a
 * partition to its end do not).
 */
const VISIBLE_RETRY_MS = 2;
const VISIBLE_PAUSE_MAX_MS = 100;
const VISIBLE_WAIT_MS = 1_500;

/** Kafka partition i of n -> its range of SeaweedMQ's ring (as SeaweedFS's broker allocates them). */
export function ringRange(i: number, n: number): { start: number; stop: number } {
  const size = Math.floor(RING_SIZE / n);
  return { start: i * size, stop: i === n - 1 ? RING_SIZE : (i + 1) * size };
}

function pad4(n: number): string {
  return String(n).padStart(4, "0");
}

/** /topics/<ns>/<topic>/v<YYYY-MM-DD-HH-MM-SS>/<start>-<stop>, as weed/mq/topic/partition.go lays it out. */
export function partitionDir(t: Topic, p: Partition): string {
  const d = new Date(Number(p.unixTimeNs / 1_000_000n));
  const two = (n: number) => String(n).padStart(2, "0");
  const version = `v${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}-` +
    `${two(d.getUTCHours())}-${two(d.getUTCMinutes())}-${two(d.getUTCSeconds())}`;
  return `/topics/${t.namespace}/${t.name}/${version}/${pad4(p.rangeStart)}-${pad4(p.rangeStop)}`;
}

export class PartitionState {
  readonly listeners = new Set<() => void>();
  partition: Partition;
  leader: string;
  /** The partition's follower broker in SeaweedMQ's assignment ("" when none). */
  follower: string;
  /** encodeTopicPartition(topic, partition), reused by every request. */
  tp: Uint8Array;
  /** Highest known high watermark (from acks, fetches and range infos). */
  hw = 0;
  private hwAt = 0;
  private logStart = 0;
  /**
   * Log start offset set by DeleteRecords and retention: reads below it are refused (the broker's earliest offset
   * stays 0), and the whole log files below it are deleted (topic/reclaim.ts).
   */
  deletedBelow = 0;
  /** First offset of this layout of the topic: lower offsets are in earlier layouts (topic/layouts.ts). */
  floor = 0;
  private checkedKey = "";
  private checking: Promise<void> | null = null;
  /** An AssignTopicPartitions in flight to the leader broker (loadOnLeader). */
  private loading: Promise<boolean> | null = null;
  private publisherInst: Publisher | null = null;
  /** A released publisher still publishing again what a dead broker lost (releasePublisher): its offsets count. */
  private releasing: Publisher | null = null;
  private offsetsInFlight: Promise<{ logStartOffset: number; highWatermark: number }> | null = null;
  private readonly files: PartitionLogFiles | null;
  /** Offsets found unreadable below the broker's high watermark (gap confirmation). */
  private readonly unreadable = new UnreadableOffsets();
  /** The next read of a consumer catching up, built while it parses the last answer. */
  private readonly ahead = new ReadAhead();
  /** What the consistency check (consistency_check.ts) reads of this partition, and the high watermark it raises. */
  private readonly checked: CheckedPartition;

  constructor(
    private readonly ctx: SmqContext,
    readonly topic: Topic,
    readonly index: number,
    a: BrokerPartitionAssignment,
  ) {
    this.partition = a.partition;
    this.leader = a.leaderBroker;
    this.follower = a.followerBroker;
    this.tp = encodeTopicPartition(topic, a.partition);
    const lf = ctx.logFiles;
    this.files = lf
      ? new PartitionLogFiles(ctx, () => partitionDir(this.topic, this.partition), lf.cache, lf.volumes)
      : null;
    this.checked = {
      ctx,
      name: this.name,
      files: this.files,
      dir: () => partitionDir(this.topic, this.partition),
      hw: () => this.hw,
      raiseHw: (n) => this.hw = Math.max(this.hw, n),
      replayableFrom: () => (this.publisherInst ?? this.releasing)?.replayableFrom() ?? -1,
      rangeInfo: () => this.rangeInfo(),
      bufferEnd: () => this.bufferEnd(),
      bounce: () => this.bounce(),
    };
  }

  get name(): string {
    return `${this.topic.name}-${this.index}`;
  }

  /** Applies a (re)looked-up assignment. */
  assign(a: BrokerPartitionAssignment): void {
    this.follower = a.followerBroker;
    if (a.partition.unixTimeNs !== this.partition.unixTimeNs) {
      this.partition = a.partition;
      this.tp = encodeTopicPartition(this.topic, a.partition);
      this.checkedKey = "";
    }
    if (a.leaderBroker !== this.leader) {
      this.ctx.log(
        "info",
        `${this.name}: leader ${this.leader || "(none)"} -> ${a.leaderBroker || "(none)"}`,
      );
      this.leader = a.leaderBroker;
    }
  }

  get publisher(): Publisher {
    return this.publisherUnder(null);
  }

  /**
   * The partition's publisher, created under `lease` (this gateway's leadership of the partition; null: no cluster)
   * when there is none: it writes nothing once that lease is void. A release drops it (releasePublisher), so the
   * next leadership gets a new one.
   */
  publisherUnder(lease: LeaseGuard | null): Publisher {
    if (!this.publisherInst) this.publisherInst = new Publisher(this.ctx, this, lease);
    return this.publisherInst;
  }

  get hasPublisher(): boolean {
    return this.publisherInst !== null;
  }

  /** Log files of this partition's directory that were deleted: direct reads stop looking for them. */
  forgetFiles(names: readonly string[]): void {
    this.files?.forget(names);
  }

  noteAppended(nextOffset: number): void {
    if (nextOffset > this.hw) this.hw = nextOffset;
    for (const l of this.listeners) {
      try {
        l();
      } catch { /* a listener's problem */ }
    }
  }

  // ---- calls to the leader ----

  /** A unary call to the partition's leader: re-looks-up and retries on transient errors. */
  async call(method: string, req: Uint8Array | (() => Uint8Array), name: string): Promise<Uint8Array> {
    const deadline = Date.now() + this.ctx.rpcTimeoutMs * 2;
    for (let attempt = 0;; attempt++) {
      const leader = this.leader;
      const t0 = performance.now();
      try {
        if (!leader) {
          throw new StorageError(ErrorCode.LEADER_NOT_AVAILABLE, `${this.name} has no leader broker`);
        }
        const res = await this.ctx.cluster.channel(leader).unary(
          method,
          typeof req === "function" ? req() : req,
          this.ctx.rpcTimeoutMs,
        );
        this.ctx.observe(name, (performance.now() - t0) / 1000, null);
        return res;
      } catch (e) {
        const code = rpcCode(e);
        this.ctx.observe(name, (performance.now() - t0) / 1000, Status[code] ?? String(code));
        const leaderless = e instanceof StorageError && e.code === ErrorCode.LEADER_NOT_AVAILABLE;
        if (this.ctx.closed || (!leaderless && !isTransient(e)) || Date.now() >= deadline) throw e;
        if (code === Status.UNAVAILABLE && leader) this.ctx.noteBrokerFailure(leader);
        await sleep(Math.min(1000, 50 * 2 ** Math.min(attempt, 5)));
        await this.ctx.relookup(this.topic.name).catch(() => {});
      }
    }
  }

  /** Runs the consistency check (consistency_check.ts) once per leader broker incarnation. */
  async ensureReady(): Promise<void> {
    for (;;) {
      const key = `${this.leader}#${this.ctx.brokerEpoch(this.leader)}#${this.partition.unixTimeNs}`;
      if (key === this.checkedKey) return;
      if (!this.checking) {
        this.checking = checkPartition(this.checked).then(() => {
          this.checkedKey = key;
        }).finally(() => this.checking = null);
      }
      await this.checking;
    }
  }

  /**
   * Makes this (new, empty) partition continue at offset `end` (CreatePartitions: offsets below live in an earlier
   * layout of the topic): the same checkpoint and marker the consistency check relies on, then a reload so that the
   * broker's offset assigner and read buffer, created by the partition assignment, start from them.
   */
  async seed(end: number): Promise<void> {
    if (end <= 0) return;
    const dir = partitionDir(this.topic, this.partition);
    await this.ctx.filer.put(dir, CHECKPOINT, be64(end - 1));
    await this.ctx.filer.put(
      dir,
      HWM_MARKER,
      new Uint8Array(0),
      new Map([["offset_min", be64(end - 1)], ["offset_max", be64(end - 1)]]),
    );
    for (let attempt = 0;; attempt++) {
      await this.bounce();
      const n = (await this.rangeInfo()).highWaterMark;
      if (n === end) break;
      if (n > end || attempt >= 5) {
        throw new StorageError(
          ErrorCode.KAFKA_STORAGE_ERROR,
          `${this.name}: the broker continues the new partition at offset ${n}, not ${end}`,
        );
      }
      await sleep(100 * (attempt + 1));
    }
    this.hw = Math.max(this.hw, end);
    this.checkedKey = "";
  }

  /**
   * Before opening a publish stream: the leader broker must hold the partition. SeaweedFS 4.48's PublishMessage
   * checks leadership through one lookup and then takes the partition from its topic configuration; when the two
   * disagree (right after a broker restart and a re-assignment) it dereferences a nil partition and the broker
   * crashes (`panic` in LocalPartition.MaybeConnectToFollowers, weed/mq/broker/broker_grpc_pub.go; reproduced by
   * tests/integration/seaweedmq_broker_failover_test.ts). FetchMessage answers error code 1 ("partition not
   * found") in that state instead.
   * Why the two disagree: a broker that is not the balancer validates the leader of its topic configuration against
   * the brokers registered with it -- none -- and so never creates a partition it leads by itself after a restart
   * (only the balancer's AssignTopicPartitions does, on topic creation or re-allocation): its partitions stay
   * unusable. The gateway then sends it that AssignTopicPartitions itself (the assignment the lookup reported:
   * the broker only creates its local partition), and checks again; if the broker still does not hold the
   * partition the publisher waits and looks the leader up again.
   */
  async assertPublishable(): Promise<void> {
    let res = await this.probe();
    if (res.errorCode === 1 && await this.loadOnLeader(res.error)) res = await this.probe();
    if (res.errorCode === 1) {
      throw new StorageError(
        ErrorCode.NOT_LEADER_OR_FOLLOWER,
        `${this.name}: broker ${this.leader} does not hold the partition yet (${res.error})`,
      );
    }
  }

  /** A FetchMessage far beyond the data: error code 1 when the broker does not hold the partition. */
  private async probe(): Promise<FetchMessageResponse> {
    return decodeFetchMessageResponse(
      await this.call(
        Rpc.FetchMessage,
        encodeFetchMessageRequest({
          topicPartition: this.tp,
          startOffset: FAR_OFFSET,
          maxBytes: 1,
          maxMessages: 1,
        }),
        "FetchMessage",
      ),
    );
  }

  /**
   * Sends the leader broker the assignment the lookup reported (see assertPublishable), so that it creates its
   * local partition; false when there is no leader to ask. Reads need it too: a broker unloads a partition when its
   * last publisher leaves, and one that is not SeaweedMQ's balancer does not load it again for a FetchMessage (a
   * consumer caught up on a partition moved off a dead broker got NOT_LEADER_OR_FOLLOWER until something was
   * published to it). Concurrent callers share one assignment.
   */
  private loadOnLeader(why: string): Promise<boolean> {
    if (!this.leader) return Promise.resolve(false);
    if (!this.loading) {
      const leader = this.leader;
      this.ctx.log(
        "info",
        `${this.name}: broker ${leader} leads the partition but has not loaded it (${why}); assigning it`,
      );
      this.loading = this.call(
        Rpc.AssignTopicPartitions,
        encodeAssignTopicPartitionsRequest(this.topic, [
          { partition: this.partition, leaderBroker: leader, followerBroker: this.follower },
        ]),
        "AssignTopicPartitions",
      ).then(() => true).finally(() => this.loading = null);
    }
    return this.loading;
  }

  /** The broker's read-buffer end, from a FetchMessage far beyond the data (loads the partition). */
  private async bufferEnd(): Promise<number> {
    return (await this.probe()).highWaterMark;
  }

  /** Opens and closes a publish stream: with no other publisher, the broker unloads (and flushes) the partition. */
  private async bounce(): Promise<void> {
    // a publish stream to a broker that has not loaded the partition crashes it (see assertPublishable)
    try {
      await this.assertPublishable();
    } catch (e) {
      this.ctx.log("info", `${this.name}: not reloading the partition: ${errorText(e)}`);
      return;
    }
    const done = Promise.withResolvers<void>();
    const session = this.ctx.cluster.publishSession(this.leader);
    let hello = false;
    const s = session.open(Rpc.PublishMessage, {
      onMessage: () => {
        if (!hello) {
          hello = true;
          s.end();
        }
      },
      onEnd: () => done.resolve(),
    });
    s.write(frame(encodePublishInit({
      topic: this.topic,
      partition: this.partition,
      ackInterval: 1,
      publisherName: "kafka-gateway-check",
    })));
    const timer = setTimeout(() => s.cancel(), this.ctx.rpcTimeoutMs);
    await done.promise;
    clearTimeout(timer);
  }

  async rangeInfo(): Promise<{ earliest: number; highWaterMark: number }> {
    const r = decodeGetPartitionRangeInfoResponse(
      await this.call(Rpc.GetPartitionRangeInfo, this.tp, "GetPartitionRangeInfo"),
    );
    if (r.error) throw new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, `${this.name}: ${r.error}`);
    return { earliest: r.earliestOffset, highWaterMark: r.highWaterMark };
  }

  // ---- offsets ----

  /** Watermarks; cached for a few milliseconds (acks of this gateway move the high watermark at once). */
  async offsets(maxAgeMs = 50): Promise<{ logStartOffset: number; highWatermark: number }> {
    if (Date.now() - this.hwAt <= maxAgeMs) {
      return {
        logStartOffset: Math.max(this.logStart, this.deletedBelow, this.floor),
        highWatermark: this.hw,
      };
    }
    if (!this.offsetsInFlight) {
      this.offsetsInFlight = (async () => {
        await this.ensureReady();
        const r = await this.rangeInfo();
        this.hw = Math.max(this.hw, r.highWaterMark);
        this.logStart = r.earliest;
        this.hwAt = Date.now();
        return {
          logStartOffset: Math.max(this.logStart, this.deletedBelow, this.floor),
          highWatermark: this.hw,
        };
      })().finally(() => this.offsetsInFlight = null);
    }
    return await this.offsetsInFlight;
  }

  // ---- reads ----

  /** A FetchMessage from `offset`; a broker that does not hold the partition is asked to load it, then again. */
  async fetch(offset: number, maxMessages: number, maxBytes: number): Promise<FetchMessageResponse> {
    await this.ensureReady();
    const once = async () =>
      decodeFetchMessageResponse(
        await this.call(
          Rpc.FetchMessage,
          () =>
            encodeFetchMessageRequest({
              topicPartition: this.tp,
              startOffset: offset,
              maxBytes,
              maxMessages,
              consumerGroup: "kafka-gateway",
              consumerId: "kafka-gateway",
            }),
          "FetchMessage",
        ),
      );
    const res = await once();
    return res.errorCode === 1 && await this.loadOnLeader(res.error) ? await once() : res;
  }

  /**
   * Records from `offset` with their exact offsets; the first is the record at `offset` unless `offset` is a gap
   * (no record will ever have it). SeaweedMQ's DataMessage carries no offset: a response of n messages from
   * `offset` whose next_offset is offset+n is contiguous; otherwise (a gap left by a broker crash) the offsets are
   * found one message at a time. An empty answer is "nothing yet", not a gap, unless the broker holds later
   * offsets, no log file holds `offset` and it stays so for GAP_CONFIRM_MS (unreadable_offsets.ts): reads at the
   * tail race with the broker (acks come before FetchMessage sees the record; records move from memory to log
   * files), and skipping there loses acknowledged records.
   */
  async readRecords(
    offset: number,
    maxMessages: number,
    maxBytes: number,
  ): Promise<{ recs: StoredRecords; hw: number }> {
    if (this.files) {
      await this.ensureReady();
      const f = await this.files.read(offset, maxMessages, maxBytes);
      if (f) return this.fromFiles(offset, f);
    }
    let res = await this.fetch(offset, maxMessages, maxBytes);
    this.checkFetchError(res, offset);
    // acknowledged but unreadable for now (see VISIBLE_WAIT_MS): normally readable again within milliseconds
    for (
      let waited = 0, pause = VISIBLE_RETRY_MS;
      res.messages.length === 0 && offset < Math.max(this.hw, res.highWaterMark) && waited < VISIBLE_WAIT_MS;
      waited += pause, pause = Math.min(2 * pause, VISIBLE_PAUSE_MAX_MS)
    ) {
      if (this.files && waited > 0 && offset < res.highWaterMark) {
        const f = await this.files.read(offset, maxMessages, maxBytes, 0);
        if (f) return this.fromFiles(offset, f);
      }
      await sleep(pause);
      res = await this.fetch(offset, maxMessages, maxBytes);
      this.checkFetchError(res, offset);
    }
    let hw = Math.max(res.highWaterMark, this.hw);
    if (res.messages.length === 0 && offset < res.highWaterMark) {
      // The broker holds later offsets yet answers nothing here. Flushed records may be unreadable through
      // FetchMessage for a while (its disk path caches 1,000-offset chunks read before they were complete): the
      // log files, listed afresh, are the authority for everything flushed.
      if (this.files) {
        const f = await this.files.read(offset, maxMessages, maxBytes, 0);
        if (f) return this.fromFiles(offset, f);
        // unreadable files cannot tell a flushed record from a gap: wait rather than skip
        if (!this.files.available) return { recs: NONE, hw };
      }
      if (!this.unreadable.confirmed(offset)) return { recs: NONE, hw };
      const next = await this.nextReadable(offset + 1, res.highWaterMark);
      if (next < 0) return { recs: NONE, hw };
      this.ctx.log("warn", `${this.name}: offsets ${offset}..${next - 1} hold no record (skipped)`);
      offset = next;
      res = await this.fetch(offset, maxMessages, maxBytes);
      this.checkFetchError(res, offset);
      hw = Math.max(res.highWaterMark, hw);
    }
    const n = res.messages.length;
    if (n === 0) return { recs: NONE, hw };
    this.unreadable.delete(offset);
    if (res.nextOffset === offset + n) {
      this.hw = Math.max(this.hw, hw);
      const recs = new StoredRecords(n);
      for (let i = 0; i < n; i++) recs.addMessage(offset + i, res.messages[i]);
      return { recs, hw };
    }
    // a gap inside the range: one message per call (rare: only after a broker lost data)
    const recs = new StoredRecords();
    let o = offset;
    for (let i = 0; i < Math.min(n, 1000); i++) {
      const one = await this.fetch(o, 1, maxBytes);
      if (one.messages.length === 0) break;
      const at = one.nextOffset - 1;
      if (at < o) break;
      recs.addMessage(at, one.messages[0]);
      o = at + 1;
    }
    return { recs, hw };
  }

  private fromFiles(
    offset: number,
    f: FileRead,
  ): { recs: StoredRecords; hw: number } {
    this.unreadable.delete(offset);
    const end = f.lastOffset() + 1;
    if (end > this.hw) this.hw = end;
    return { recs: f, hw: this.hw };
  }

  private checkFetchError(res: FetchMessageResponse, offset: number): void {
    if (res.errorCode === 0) return;
    if (res.errorCode === 2 && offset < res.nextOffset) {
      throw new StorageError(ErrorCode.OFFSET_OUT_OF_RANGE, `${this.name}: offset ${offset}: ${res.error}`);
    }
    // 1 = partition not found on this broker (moved, restarting): the client retries after a metadata refresh
    throw new StorageError(
      res.errorCode === 1 ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.KAFKA_STORAGE_ERROR,
      `${this.name}: FetchMessage at ${offset}: ${res.error} (code ${res.errorCode})`,
    );
  }

  /** The first offset in [lo, hi) that has a record, or -1 (binary search; offsets past a gap are readable). */
  private async nextReadable(lo: number, hi: number): Promise<number> {
    const has = async (o: number) => (await this.fetch(o, 1, 1 << 20)).messages.length > 0;
    if (lo >= hi || !(await has(hi - 1))) return -1;
    let a = lo, b = hi - 1; // b has a record
    while (a < b) {
      const mid = Math.floor((a + b) / 2);
      if (await has(mid)) b = mid;
      else a = mid + 1;
    }
    return b;
  }

  async read(offset: number, maxBytes: number, minOneBatch: boolean): Promise<ReadResult> {
    const { logStartOffset, highWatermark } = await this.offsets(1000);
    if (offset < logStartOffset) {
      throw new StorageError(
        ErrorCode.OFFSET_OUT_OF_RANGE,
        `${this.name}: offset ${offset} is below the log start ${logStartOffset}`,
      );
    }
    if (offset > highWatermark) {
      // the cached high watermark may be stale: ask again before refusing
      const fresh = await this.offsets(0);
      if (offset > fresh.highWatermark) {
        throw new StorageError(
          ErrorCode.OFFSET_OUT_OF_RANGE,
          `${this.name}: offset ${offset} is above the high watermark ${fresh.highWatermark}`,
        );
      }
    }
    const built = await this.ahead.take(offset, maxBytes, minOneBatch) ??
      await this.build(offset, maxBytes, minOneBatch);
    const lso = Math.max(logStartOffset, this.deletedBelow, this.floor);
    if (built.bytes > 0 && built.next < built.hw) {
      // more is stored: a consumer catching up asks for it next (read_ahead.ts)
      const next = built.next;
      this.ahead.start(next, maxBytes, minOneBatch, () => this.build(next, maxBytes, minOneBatch));
    }
    return {
      batches: built.batches,
      bytes: built.bytes,
      highWatermark: Math.max(built.hw, this.hw),
      logStartOffset: lso,
    };
  }

  private async build(offset: number, maxBytes: number, minOneBatch: boolean): Promise<BuiltRead> {
    const budget = Math.max(maxBytes, 1);
    const maxMessages = Math.max(1, Math.min(MAX_MESSAGES, Math.ceil(budget / 16)));
    const { recs, hw } = await this.readRecords(offset, maxMessages, Math.max(budget, 64 * 1024));
    if (recs.length === 0) return { batches: [], bytes: 0, next: offset, hw };
    const built = buildBatches(recs, maxBytes, minOneBatch);
    const next = built.used > 0 ? recs.offsets[built.used - 1] + 1 : offset;
    return { batches: built.batches, bytes: built.bytes, next, hw };
  }

  /** Walks the partition from the log start, calling `fn` per record until it returns false (timestamp queries). */
  async scan(fn: (offset: number, r: SmqRecord) => boolean): Promise<void> {
    const { logStartOffset, highWatermark } = await this.offsets(0);
    let o = logStartOffset;
    while (o < highWatermark) {
      const { recs } = await this.readRecords(o, MAX_MESSAGES, 8 * 1024 * 1024);
      if (recs.length === 0) return;
      for (let i = 0; i < recs.length; i++) if (!fn(recs.offsets[i], recs.record(i))) return;
      o = recs.lastOffset() + 1;
    }
  }

  /** Is the record published as frames[start..end) stored at `offset`? (Replay check after a broker failure.) */
  async holds(offset: number, frames: Uint8Array, start: number, end: number): Promise<boolean> {
    const mine = frameKeyValue(frames, start, end);
    const res = await this.fetch(offset, 1, 64 * 1024 * 1024);
    if (res.errorCode === 0 && res.messages.length === 1 && res.nextOffset === offset + 1) {
      return sameMessage(res.messages[0], mine);
    }
    // FetchMessage can answer nothing for a flushed record (see readRecords): the log files, listed afresh, decide.
    // Taking such a record for lost would publish it a second time.
    const f = this.files ? await this.files.read(offset, 1, 64 * 1024 * 1024, 0) : null;
    if (!f || f.offsets[0] !== offset) return false;
    return sameRecord(f.record(0), mine);
  }

  async close(): Promise<void> {
    const p = this.publisherInst;
    if (p) {
      await p.close().catch((e) => this.ctx.log("warn", `${this.name}: closing publisher: ${errorText(e)}`));
    }
  }

  /**
   * Closes the publish stream once its pending appends are acknowledged (waiting at most `waitMs`: the rest fail
   * with NOT_LEADER_OR_FOLLOWER), then makes sure the broker's files hold every acknowledged record this publisher
   * kept before it lets go of them: what a broker that died meanwhile lost is published again first. A later append
   * opens a new publisher.
   */
  async releasePublisher(waitMs?: number): Promise<void> {
    const p = this.publisherInst;
    this.publisherInst = null;
    if (!p) return;
    const kept = p.keptEnd();
    // a stream the broker ended cleanly was flushed (seen at the first look); otherwise look once, then act
    const clean = await p.close(waitMs);
    if (await this.awaitFlushed(kept, clean ? RELEASE_FLUSH_WAIT_MS : 0)) return;
    if (!p.mayPublish()) {
      // The lease lapsed (the release of a gateway that stalled or lost its filer): another gateway may lead the
      // partition and have appended since; re-publishing here would store the records twice.
      this.ctx.log(
        "warn",
        `${this.name}: released after its lease lapsed, with acknowledged records below ${kept} not seen flushed: ` +
          `their copies are dropped, not published again (another gateway may lead the partition now)`,
      );
      return;
    }
    // Not flushed: the broker may have died with them. Publish again what it lost, while this gateway is still the
    // partition's only writer (the next leader takes over once this release is done).
    this.releasing = p;
    try {
      await p.republishKept(this.ctx.replayWindowMs);
    } finally {
      this.releasing = null;
    }
    if (await this.awaitFlushed(kept, RELEASE_FLUSH_WAIT_MS)) return;
    this.ctx.log(
      "warn",
      `${this.name}: released with acknowledged records below ${kept} not yet flushed by the broker: a broker ` +
        `crash before it flushes them loses them`,
    );
  }

  /**
   * Waits (at most `waitMs`) until the broker's log files hold every record below `end` (false: they do not): the
   * kept copies of acknowledged records go with the publisher, and the next leader (another gateway, after a
   * hand-over) has none to re-publish should the broker crash before flushing them. The broker flushes when the last
   * publisher leaves, so this normally returns at the first look.
   */
  /**
   * One past the last record in the partition's log files, from a fresh listing: the files' offset_max, or their
   * records where a file has none (the first file of a partition).
   */
  private async flushedEnd(): Promise<number> {
    if (this.files) return await this.files.lastOffset() + 1;
    // no file reader: offset_max alone (may under-count)
    return (await listPartitionFiles(this.ctx.filer, partitionDir(this.topic, this.partition))).dataMax + 1;
  }

  private async awaitFlushed(end: number, waitMs: number): Promise<boolean> {
    if (end <= 0) return true;
    const deadline = Date.now() + waitMs;
    for (;;) {
      try {
        if (await this.flushedEnd() >= end) return true;
      } catch (e) {
        this.ctx.log("debug", `${this.name}: listing its files: ${errorText(e)}`);
      }
      if (Date.now() >= deadline) return false;
      await sleep(100);
    }
  }

  /** Waits until the publisher (if any) is not reconnecting or re-publishing lost records. */
  async publisherSettled(): Promise<void> {
    await this.publisherInst?.settled();
  }

  /** Forgets the cached watermarks: the next offsets() asks the broker (leadership changed hands). */
  forgetWatermarks(): void {
    this.hwAt = 0;
  }

  /** Stops publishing for good (topic deleted): pending produces fail with `code`. */
  abort(code: number, why: string): void {
    this.publisherInst?.abort(new StorageError(code, why));
  }
}
