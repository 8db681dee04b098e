// The PublishMessage stream of one partition: many records in flight, acks consumed as they arrive (the broker
// acks every message, in order, with its assigned offset), reconnection to the current leader after errors, and
// re-publication of acknowledged records a broker restart lost.
//
// Why keep acknowledged records: a SeaweedMQ broker acks a message once it is in its memory buffer and flushes
// that buffer to the filer every -logFlushInterval seconds; a broker killed in between loses what it acked. The
// gateway keeps each acked record for --seaweedmq-replay-window-ms; after a stream to a broker fails it checks,
// before publishing anything new, whether the newest kept record is still readable at its offset, and if not
// finds the first lost one and publishes the lost records again, in their order, ahead of new data.
// They land at the offsets acknowledged for them: the partition's check lowers the restarted broker's
// checkpoint to the first lost record before the broker's offset assigner starts (consistency_check.ts lowerCheckpoint),
// and realign() verifies it before anything is published (logging an error in the one case it cannot hold: the
// broker created the assigner before the check). Kept records count from the failure, not from now: a long
// outage does not expire them. Records that find no broker accepting them fail after UNAVAILABLE_WAIT_MS,
// unwritten.
//
// Records written on a stream that broke before their acks came may be stored all the same: before sending them
// again the publisher compares the partition's high watermark with where they would have landed and counts those
// found there, byte for byte, as acknowledged (reconcile()).
//
// In a cluster of gateways the publisher writes under the lease of the gateway's leadership of the partition
// (LeaseGuard, checked by the clock right before anything is written): once it is void -- the partition released, or
// the gateway stalled (SIGSTOP, a VM pause) or lost its filer past its lease, when another gateway may lead the
// partition and have appended since -- it publishes nothing more: no new records, no re-sends, no re-publication of
// kept records (they are dropped); appends fail with NOT_LEADER_OR_FOLLOWER.
import type { LeaseGuard } from "../leadership.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import { StorageError } from "../storage.ts";
import { errorText, sleep, type SmqContext, type Timer, unref } from "./context.ts";
import { frame, type GrpcH2Stream } from "./transport/h2stream.ts";
import { ackOffset, decodePublishMessageResponse, encodePublishInit, Rpc } from "./transport/messages.ts";
import type { EncodedRecords } from "./record_codec.ts";
import type { PartitionState } from "./partition.ts";

/** Broker error codes (weed/mq/broker/broker_errors.go). */
const BROKER_TOPIC_NOT_FOUND = 2;
const BROKER_NOT_LEADER = 6;
/**
 * How long a record waits for a broker while the partition has none that accepts it (broker down, partition not
 * re-assigned yet: SeaweedMQ 4.48 takes 15 s or more to move a dead broker's partitions): it then fails with
 * REQUEST_TIMED_OUT, unwritten (a client retries), rather than holding the client's request (capped by the
 * publish timeout).
 */
const UNAVAILABLE_WAIT_MS = 5_000;

export interface PublishResult {
  readonly baseOffset: number;
  readonly lastOffset: number;
}

interface Pending {
  readonly enc: EncodedRecords;
  /** First record of `enc` this entry publishes (> 0 for a re-publication of part of a batch). */
  readonly first: number;
  readonly offsets: number[];
  /**
   * A re-publication: the offsets acknowledged for its records before the broker lost them (where they must land
   * again: see realign()).
   */
  readonly expect?: number[];
  /** Records acked so far. */
  acked: number;
  /** Records written on the current stream. */
  sent: number;
  /** Records written on a stream that broke before their acks came: maybe stored (see reconcile()). */
  doubt: number;
  readonly deadline: number;
  /** When it was queued (see UNAVAILABLE_WAIT_MS). */
  readonly since: number;
  settled: boolean;
  readonly resolve: (r: PublishResult) => void;
  readonly reject: (e: unknown) => void;
}

interface Retained {
  readonly enc: EncodedRecords;
  readonly first: number;
  readonly offsets: number[];
  readonly at: number;
}

const noop = () => {};

/** Records of an entry: `offsets` has one slot per record (kept entries may end before their batch does). */
function count(p: { offsets: number[] }): number {
  return p.offsets.length;
}

function frameStart(enc: EncodedRecords, i: number): number {
  return i === 0 ? 0 : enc.ends[i - 1];
}

export class Publisher {
  private readonly queue: Pending[] = [];
  private retained: Retained[] = [];
  private retainedBytes = 0;
  private stream: GrpcH2Stream | null = null;
  private open = false;
  private connecting = false;
  private connected: Promise<void> | null = null;
  /** A stream failed since the last successful connection: check for lost records before publishing. */
  private suspect = false;
  /**
   * When the first stream failure since the last successful (re)connection happened (0: none): records acknowledged
   * more than the replay window before it were flushed by a broker that was alive meanwhile; later ones are kept
   * however long the broker stays away (a window counted from now would drop them during a long outage).
   */
  private failedAt = 0;
  private closed = false;
  private closeError: unknown = null;
  private timer: Timer | null = null;
  private idle: PromiseWithResolvers<void> | null = null;
  private readonly dead = new WeakSet<GrpcH2Stream>();
  private closing: { stream: GrpcH2Stream; ended: PromiseWithResolvers<number | null> } | null = null;
  /** realign() reported that re-published records change offsets (onAck then logs no more). */
  private movedLogged = false;
  /**
   * The offset the next record written on the current stream should get (the partition's high watermark when the
   * stream opened, then one past each ack): this publisher is the partition's only writer while it leads it.
   */
  private nextAt = -1;
  /** Where the records in doubt (Pending.doubt) would have landed, or -1: none. */
  private doubtFrom = -1;
  /** The lease was found void (logged once). */
  private leaseVoid = false;

  /** `lease`: the gateway's leadership of the partition it publishes under (null: no cluster, always valid). */
  constructor(
    private readonly ctx: SmqContext,
    private readonly ps: PartitionState,
    private readonly lease: LeaseGuard | null = null,
  ) {}

  /** Whether this publisher may still write to the partition (its lease holds). */
  mayPublish(): boolean {
    return !this.leaseVoid && (this.lease === null || this.lease.valid());
  }

  append(enc: EncodedRecords): Promise<PublishResult> {
    if (this.closed) return Promise.reject(this.closeError ?? this.closedError());
    if (!this.mayPublish()) {
      this.voidLease();
      return Promise.reject(this.leaseError());
    }
    if (enc.count === 0) return Promise.resolve({ baseOffset: this.ps.hw, lastOffset: this.ps.hw - 1 });
    const { promise, resolve, reject } = Promise.withResolvers<PublishResult>();
    const p: Pending = {
      enc,
      first: 0,
      offsets: new Array(enc.count),
      acked: 0,
      sent: 0,
      doubt: 0,
      deadline: Date.now() + this.ctx.publishTimeoutMs,
      since: Date.now(),
      settled: false,
      resolve,
      reject,
    };
    this.queue.push(p);
    this.armTimer();
    if (this.open && this.stream) this.writePending();
    else this.connect();
    return promise;
  }

  private closedError(): StorageError {
    return new StorageError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `${this.ps.name}: publisher is closed`);
  }

  private leaseError(): StorageError {
    return new StorageError(
      ErrorCode.NOT_LEADER_OR_FOLLOWER,
      `${this.ps.name}: the lease under which this gateway led the partition lapsed`,
    );
  }

  /**
   * The lease is void: nothing more is written. Kept records are dropped (another gateway may lead the partition and
   * have appended after them: publishing them again would store them twice), appends not in flight on an open stream
   * fail with NOT_LEADER_OR_FOLLOWER; those in flight wait for their acks (they were written under the lease), and
   * fail likewise should the stream end first.
   */
  private voidLease(): void {
    if (!this.leaseVoid) {
      this.leaseVoid = true;
      this.ctx.log(
        "warn",
        `${this.ps.name}: the lease under which this gateway led the partition lapsed: it publishes nothing more` +
          (this.retained.length > 0
            ? ` (its copies of ${this.retained.length} acknowledged batches dropped)`
            : ""),
      );
    }
    this.retained = [];
    this.retainedBytes = 0;
    this.suspect = false;
    this.clearDoubt();
    const e = this.leaseError();
    const live = this.open && this.stream !== null;
    for (let i = 0; i < this.queue.length; i++) {
      const p = this.queue[i];
      if (live && p.sent > p.acked) continue;
      this.queue.splice(i--, 1);
      if (!p.settled) {
        p.settled = true;
        p.reject(e);
      }
    }
    if (this.queue.length === 0 && this.idle) this.idle.resolve();
  }

  // ---- connection ----

  private connect(): void {
    if (this.connecting || this.closed) return;
    this.connecting = true;
    this.connected = this.connectLoop().finally(() => {
      this.connecting = false;
      this.connected = null;
    });
  }

  /**
   * Resolves once no (re)connection is under way: in particular once the re-publication of records a broker
   * restart lost is done (a new leader of the partition continues after them).
   */
  async settled(): Promise<void> {
    while (this.connected) await this.connected;
  }

  private async connectLoop(): Promise<void> {
    for (let attempt = 0; !this.closed; attempt++) {
      if (!this.mayPublish()) {
        this.voidLease();
        return;
      }
      if (this.queue.length === 0 && !(this.suspect && this.retained.length > 0)) return;
      let stream: GrpcH2Stream | null = null;
      try {
        if (attempt > 0 || this.suspect) await this.ctx.relookup(this.ps.topic.name);
        await this.ps.ensureReady();
        if (this.suspect) await this.recover();
        await this.reconcile();
        await this.realign();
        await this.ps.assertPublishable();
        const at = (await this.ps.rangeInfo()).highWaterMark;
        stream = await this.openStream();
        if (this.dead.has(stream)) throw new Error("stream ended while recovering");
        // Checked again after the awaits: a release (close) or a lapse of the lease meanwhile -- the process may
        // have been stopped at any of them -- leaves nothing to write.
        if (this.closed) {
          stream.cancel();
          this.failAll(this.closeError ?? this.closedError());
          return;
        }
        if (!this.mayPublish()) {
          stream.cancel();
          this.voidLease();
          return;
        }
        this.suspect = false;
        this.failedAt = 0;
        this.nextAt = at;
        this.stream = stream;
        this.open = true;
        this.writePending();
        return;
      } catch (e) {
        stream?.cancel();
        if (this.closed) {
          this.failAll(this.closeError ?? this.closedError());
          return;
        }
        const msg = errorText(e);
        if (e instanceof StorageError && e.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
          this.abort(e);
          return;
        }
        this.ctx.log(
          attempt < 3 ? "info" : "warn",
          `${this.ps.name}: publish stream: ${msg} (attempt ${attempt + 1})`,
        );
        this.expire(e);
        await sleep(Math.min(2000, 100 * 2 ** Math.min(attempt, 5)));
      }
    }
  }

  /** Opens a PublishMessage stream to the leader and waits for the broker's empty "hello" after init. */
  private openStream(): Promise<GrpcH2Stream> {
    const leader = this.ps.leader;
    if (!leader) {
      return Promise.reject(
        new StorageError(ErrorCode.LEADER_NOT_AVAILABLE, `${this.ps.name} has no leader`),
      );
    }
    const ready = Promise.withResolvers<GrpcH2Stream>();
    let hello = false;
    let s: GrpcH2Stream | null = null;
    const timer = setTimeout(
      () =>
        ready.reject(
          new StorageError(ErrorCode.REQUEST_TIMED_OUT, `${this.ps.name}: no answer to publish init`),
        ),
      this.ctx.rpcTimeoutMs,
    );
    s = this.ctx.cluster.publishSession(leader).open(Rpc.PublishMessage, {
      onMessage: (b) => {
        if (!hello) {
          hello = true;
          clearTimeout(timer);
          const r = decodePublishMessageResponse(b);
          if (r.error || r.errorCode) {
            ready.reject(this.brokerError(r.errorCode, r.error));
            s?.cancel();
          } else ready.resolve(s!);
          return;
        }
        this.onAck(b, s!);
      },
      onEnd: (status, message) => {
        clearTimeout(timer);
        if (!hello) {
          if (status !== 0) this.ctx.cluster.resetPublishSession(leader);
          ready.reject(
            new StorageError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `stream ended (${status}) ${message}`),
          );
          this.ctx.noteBrokerFailure(leader);
          return;
        }
        this.onEnd(s!, status, message, leader);
      },
    });
    s.write(frame(encodePublishInit({
      topic: this.ps.topic,
      partition: this.ps.partition,
      ackInterval: 1,
      publisherName: "kafka-gateway",
    })));
    return ready.promise;
  }

  private brokerError(code: number, error: string): StorageError {
    if (code === BROKER_TOPIC_NOT_FOUND) {
      return new StorageError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `${this.ps.name}: ${error}`);
    }
    if (code === BROKER_NOT_LEADER) {
      return new StorageError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `${this.ps.name}: ${error}`);
    }
    return new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, `${this.ps.name}: broker error ${code}: ${error}`);
  }

  private writePending(): void {
    const s = this.stream;
    if (!s) return;
    if (!this.mayPublish()) {
      this.voidLease();
      return;
    }
    for (const p of this.queue) {
      const n = count(p);
      if (p.sent >= n) continue;
      const from = frameStart(p.enc, p.first + p.sent);
      const to = p.enc.ends[p.enc.count - 1];
      s.write(p.enc.frames.subarray(from, to));
      p.sent = n;
    }
  }

  private onAck(b: Uint8Array, s: GrpcH2Stream): void {
    if (s !== this.stream) return; // a stream being set up for recovery has nothing in flight yet
    const offset = ackOffset(b);
    if (offset < 0) {
      const r = decodePublishMessageResponse(b);
      this.ctx.log("warn", `${this.ps.name}: broker rejected a message: ${r.error} (code ${r.errorCode})`);
      s.cancel(); // onEnd re-sends the unacknowledged records on a new stream
      return;
    }
    const p = this.queue[0];
    if (!p || p.acked >= p.sent) {
      this.ctx.log("error", `${this.ps.name}: ack for offset ${offset} with nothing in flight; reconnecting`);
      s.cancel();
      return;
    }
    if (p.expect && p.expect[p.acked] !== offset && !this.movedLogged) {
      this.movedLogged = true;
      this.ctx.log(
        "error",
        `${this.ps.name}: a lost record acknowledged at offset ${
          p.expect[p.acked]
        } was stored again at ${offset}`,
      );
    }
    p.offsets[p.acked++] = offset;
    this.nextAt = offset + 1;
    if (p.acked < count(p)) return;
    this.complete(p);
  }

  /** `p`, at the head of the queue, is acknowledged in full. */
  private complete(p: Pending): void {
    this.queue.shift();
    this.retain(p);
    if (!p.settled) {
      p.settled = true;
      p.resolve({ baseOffset: p.offsets[0], lastOffset: p.offsets[p.acked - 1] });
    }
    this.ps.noteAppended(p.offsets[p.acked - 1] + 1);
    if (this.queue.length === 0 && this.idle) this.idle.resolve();
  }

  private onEnd(s: GrpcH2Stream, status: number, message: string, leader: string): void {
    this.dead.add(s);
    if (this.closing?.stream === s) this.closing.ended.resolve(status);
    if (s !== this.stream) return;
    this.stream = null;
    this.open = false;
    const inFlight = this.queue.some((p) => p.acked < p.sent);
    // the unacknowledged rest goes again on the next stream, unless reconcile() finds it stored
    for (const p of this.queue) {
      p.doubt += p.sent - p.acked;
      p.sent = p.acked;
    }
    if (inFlight && this.doubtFrom < 0) this.doubtFrom = this.nextAt;
    if (this.closed) {
      this.failAll(this.closeError ?? this.closedError());
      return;
    }
    if (!this.mayPublish()) {
      this.voidLease();
      return;
    }
    // The broker may have restarted: whatever ended the stream, check the partition again before using it.
    this.ctx.noteBrokerFailure(leader);
    if (status === 14) this.ctx.cluster.resetPublishSession(leader);
    this.ctx.log(
      "info",
      `${this.ps.name}: publish stream to ${leader} ended (status ${status}${
        message ? `: ${message}` : ""
      })` +
        (inFlight ? "; re-sending unacknowledged records" : ""),
    );
    this.suspect = true;
    if (this.failedAt === 0) this.failedAt = Date.now();
    this.connect();
  }

  // ---- kept records and their re-publication ----

  private retain(p: Pending): void {
    if (this.ctx.replayWindowMs <= 0 || this.leaseVoid) return;
    const now = Date.now();
    this.retained.push({ enc: p.enc, first: p.first, offsets: p.offsets, at: now });
    this.retainedBytes += p.enc.frames.byteLength;
    const horizon = now - this.ctx.replayWindowMs;
    while (
      this.retained.length > 0 &&
      (this.retained[0].at < horizon || this.retainedBytes > this.ctx.replayMaxBytes)
    ) {
      this.retainedBytes -= this.retained.shift()!.enc.frames.byteLength;
    }
  }

  /**
   * After a failure: re-publishes, ahead of new data, the acknowledged records the broker no longer has -- the
   * kept ones and the acknowledged part of the batch that was in flight.
   */
  private async recover(): Promise<void> {
    const horizon = this.horizon();
    this.retained = this.retained.filter((r) => r.at >= horizon);
    this.retainedBytes = this.retained.reduce((s, r) => s + r.enc.frames.byteLength, 0);
    type Ref = { r: Retained | Pending; i: number };
    const recs: Ref[] = [];
    for (const r of this.retained) for (let i = 0; i < count(r); i++) recs.push({ r, i });
    const head = this.queue[0];
    if (head) { for (let i = 0; i < head.acked; i++) recs.push({ r: head, i }); }
    if (recs.length === 0) return;
    const has = (k: number) => {
      const { r, i } = recs[k];
      const idx = r.first + i;
      return this.ps.holds(r.offsets[i], r.enc.frames, frameStart(r.enc, idx), r.enc.ends[idx]);
    };
    if (await has(recs.length - 1)) return;
    let lo = 0, hi = recs.length - 1; // recs[hi] is lost; find the first lost one (losses are a suffix)
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (await has(mid)) lo = mid + 1;
      else hi = mid;
    }
    const lost = recs.slice(lo);
    // the records in doubt came after the lost ones: lost too (losses are a suffix), they go again after them
    this.clearDoubt();
    const firstOffset = lost[0].r.offsets[lost[0].i];
    const lastOffset = lost[lost.length - 1].r.offsets[lost[lost.length - 1].i];
    this.ctx.log(
      "warn",
      `${this.ps.name}: the broker lost ${lost.length} acknowledged records (offsets ${firstOffset}..${lastOffset}); ` +
        `publishing them again`,
    );
    // The in-flight batch re-sends from its first lost record (its promise is still pending: the client learns
    // the offsets the records end up at).
    if (head) {
      const firstLostInHead = recs[lo].r === head ? recs[lo].i : 0;
      head.acked = Math.min(head.acked, firstLostInHead);
      head.sent = head.acked;
    }
    // Kept batches: one re-publication entry each, from its first lost record.
    const replays: Pending[] = [];
    let k = lo;
    while (k < recs.length && recs[k].r !== head) {
      const { r, i } = recs[k];
      const n = count(r) - i;
      replays.push({
        enc: r.enc,
        first: r.first + i,
        offsets: new Array(n),
        expect: r.offsets.slice(i, i + n),
        acked: 0,
        sent: 0,
        doubt: 0,
        deadline: Number.MAX_SAFE_INTEGER,
        since: Number.MAX_SAFE_INTEGER,
        settled: true,
        resolve: noop,
        reject: noop,
      });
      k += n;
    }
    if (recs[lo].r !== head) {
      const keepUpTo = this.retained.indexOf(recs[lo].r as Retained);
      const partial = recs[lo].i > 0 ? recs[lo].r as Retained : null;
      this.retained = this.retained.slice(0, keepUpTo);
      if (partial) this.retained.push({ ...partial, offsets: partial.offsets.slice(0, recs[lo].i) });
      this.retainedBytes = this.retained.reduce((s, r) => s + r.enc.frames.byteLength, 0);
    }
    this.queue.unshift(...replays);
  }

  private clearDoubt(): void {
    this.doubtFrom = -1;
    for (const p of this.queue) p.doubt = 0;
  }

  /**
   * Before the records in doubt (written on a stream that broke before their acks came) are sent again: those the
   * broker stored all the same -- found at the offsets they would have got, byte for byte -- count as acknowledged
   * there, and only the rest goes again (re-sending them all stored the stored ones twice).
   */
  private async reconcile(): Promise<void> {
    const from = this.doubtFrom;
    if (from < 0) return;
    const hw = (await this.ps.rangeInfo()).highWaterMark;
    let o = from;
    let found = 0;
    let failed = false;
    try {
      for (const p of [...this.queue]) {
        if (p.doubt <= 0 || this.queue[0] !== p) return;
        while (p.doubt > 0 && o < hw) {
          const idx = p.first + p.acked;
          if (!(await this.ps.holds(o, p.enc.frames, frameStart(p.enc, idx), p.enc.ends[idx]))) return;
          if (this.queue[0] !== p || this.closed) return;
          p.offsets[p.acked++] = o++;
          p.sent = p.acked;
          p.doubt--;
          found++;
        }
        if (p.acked < count(p)) return;
        this.complete(p);
      }
    } catch (e) {
      failed = true; // the next attempt looks again from where this one stopped
      throw e;
    } finally {
      if (found > 0) {
        this.ctx.log(
          "info",
          `${this.ps.name}: ${found} records written before the publish stream broke were stored (offsets ` +
            `${from}..${o - 1}) though unacknowledged: not sent again`,
        );
      }
      if (failed) this.doubtFrom = o;
      else this.clearDoubt();
    }
  }

  /**
   * One past the last acknowledged record this publisher keeps for re-publication (0: none): what a release must see
   * flushed before the copy is dropped (PartitionState.releasePublisher).
   */
  keptEnd(): number {
    const last = this.retained.at(-1);
    return last && last.offsets.length > 0 ? last.offsets[last.offsets.length - 1] + 1 : 0;
  }

  /**
   * After close(): checks the kept records against the broker once more and publishes again those it lost, then
   * closes again (a release that found them unflushed: the broker may have died with them, and the next leader has
   * no copy). Gives up after `waitMs`; resolves either way.
   */
  async republishKept(waitMs: number): Promise<void> {
    if (!this.closed || this.retained.length === 0) return;
    if (!this.mayPublish()) {
      this.voidLease();
      return;
    }
    this.closed = false;
    this.closeError = null;
    this.suspect = true;
    if (this.failedAt === 0) this.failedAt = Date.now();
    this.connect();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([this.settled(), new Promise<void>((r) => timer = setTimeout(r, waitMs))]);
    clearTimeout(timer);
    await this.close(waitMs);
  }

  /** Kept records acknowledged before this may be dropped (see failedAt). */
  private horizon(): number {
    return (this.failedAt || Date.now()) - this.ctx.replayWindowMs;
  }

  /**
   * The lowest offset this publisher could re-publish after a broker crash (its kept acknowledged records and the
   * acknowledged part of the batch in flight), or -1: how far a restarted broker's offset assigner may be lowered
   * (consistency_check.ts lowerCheckpoint).
   */
  replayableFrom(): number {
    const horizon = this.horizon();
    for (const r of this.retained) if (r.at >= horizon && r.offsets.length > 0) return r.offsets[0];
    const head = this.queue[0];
    if (head?.expect && head.acked < count(head)) return head.expect[head.acked];
    if (head && head.acked > 0) return head.offsets[0];
    return -1;
  }

  /**
   * Before re-publishing lost records: checks that the broker assigns them the offsets they were acknowledged at
   * (consistency_check.ts lowerCheckpoint arranges it when the broker restarted). When it cannot (the restarted broker
   * created the partition's assigner before the gateway's check, e.g. for another client), the records are
   * published anyway -- kept rather than lost -- and their changed offsets logged as an error.
   */
  private async realign(): Promise<void> {
    const head = this.queue[0];
    if (!head?.expect || head.acked >= count(head)) return;
    const at = head.expect[head.acked];
    const n = (await this.ps.rangeInfo()).highWaterMark;
    this.movedLogged = n === at;
    if (n === at) return;
    this.ctx.log(
      "error",
      `${this.ps.name}: the broker continues at offset ${n}: the lost records acknowledged from offset ${at} ` +
        `are re-published at other offsets`,
    );
  }

  // ---- timeouts and shutdown ----

  private armTimer(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => {
      if (this.queue.length === 0) {
        clearInterval(this.timer!);
        this.timer = null;
        return;
      }
      if (!this.open) this.expire(null);
    }, 500);
    unref(this.timer);
  }

  /** While disconnected: fails (and drops) queued batches past their deadline. */
  private expire(cause: unknown): void {
    const now = Date.now();
    const wait = Math.min(this.ctx.publishTimeoutMs, UNAVAILABLE_WAIT_MS);
    for (let i = 0; i < this.queue.length; i++) {
      const p = this.queue[i];
      if (p.deadline > now && p.since + wait > now) continue;
      if (!p.settled) {
        p.settled = true;
        p.reject(
          new StorageError(
            ErrorCode.REQUEST_TIMED_OUT,
            `${this.ps.name}: no SeaweedMQ broker accepted the records within ${now - p.since} ms` +
              (cause ? ` (${errorText(cause)})` : ""),
          ),
        );
      }
      if (p.acked === 0) {
        // dropped: the records in doubt after it no longer line up with their offsets (sent again, as before)
        if (p.doubt > 0) this.clearDoubt();
        this.queue.splice(i--, 1);
      }
    }
    if (this.queue.length === 0 && this.idle) this.idle.resolve();
  }

  private failAll(e: unknown): void {
    for (const p of this.queue.splice(0)) {
      if (!p.settled) {
        p.settled = true;
        p.reject(e);
      }
    }
    if (this.idle) this.idle.resolve();
  }

  /** Fails everything pending and stops (topic deleted, storage closing). */
  abort(e: unknown): void {
    this.closed = true;
    this.closeError = e;
    const s = this.stream;
    this.stream = null;
    this.open = false;
    s?.cancel();
    this.failAll(e);
    if (this.timer !== null) clearInterval(this.timer);
  }

  /**
   * Waits (up to `waitMs`, by default the publish timeout up to 10 s) for in-flight records, fails the rest with
   * NOT_LEADER_OR_FOLLOWER, then ends the stream; the broker flushes on close. True when the broker ended the stream
   * cleanly (it flushed); false when there was no stream, it failed, or the broker did not answer within 5 s.
   */
  async close(waitMs = Math.min(this.ctx.publishTimeoutMs, 10_000)): Promise<boolean> {
    if (this.closed) return false;
    if (this.queue.length > 0) {
      this.idle = Promise.withResolvers<void>();
      const t = setTimeout(() => this.idle?.resolve(), waitMs);
      await this.idle.promise;
      clearTimeout(t);
    }
    this.closed = true;
    this.closeError = this.closedError();
    const s = this.stream;
    this.stream = null;
    this.open = false;
    this.failAll(this.closeError);
    if (this.timer !== null) clearInterval(this.timer);
    if (!s) return false;
    // the broker ends the stream only after flushing the partition (when no other publisher uses it)
    this.closing = { stream: s, ended: Promise.withResolvers<number | null>() };
    const t = setTimeout(() => this.closing?.ended.resolve(null), 5000);
    s.end();
    const status = await this.closing.ended.promise;
    clearTimeout(t);
    return status === 0;
  }
}
