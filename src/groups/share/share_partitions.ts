// The share-partitions this gateway leads, for every share group that fetches from them (KIP-932's
// SharePartitionManager): each one's state (share_partition.ts) loaded on first use from its document, written
// back durably before an acknowledgement is answered, and dropped when the gateway stops leading the partition.
// Behaviour:
// - A share-partition starts where the group's share.auto.offset.reset says (latest, the default: the log end
//   when it is first used; earliest: the log start; by_duration:<ISO-8601>: the first record at or after now
//   minus the duration).
// - Fetching reads the log from the first record to (re)deliver, then acquires in one synchronous step within what
//   was read (share_partition.ts), so concurrent fetches of one partition never acquire a record twice.
// - Each state change that must survive (acknowledgements, releases, lock timeouts) is written as the whole state
//   with compare-and-set on its document version: writes of one share-partition run one after another and a
//   write not started yet carries every change before it. A write that finds another version (another gateway led
//   the partition meanwhile) drops the state here and answers NOT_LEADER_OR_FOLLOWER; the next use loads afresh.
// - The state is kept per leader epoch: a partition led again under a new epoch is loaded again. A state held here
//   without records locked is checked against its document when a share session starts fetching the partition:
//   AlterShareGroupOffsets, DeleteShareGroupOffsets and DeleteGroups (on any gateway) replace or delete documents
//   while the group is empty, and the next member then reads what they wrote.
// - Locks pass on a one-second sweep (and before every operation on the partition), releasing the records.
// - share.isolation.level=read_committed: records are acquired only below the last stable offset, and the
//   records of aborted transactions are archived without being delivered (as transaction markers always are).
import { ErrorCode, KafkaError } from "../../protocol/errors.ts";
import type { Logger } from "../../log.ts";
import type { DocumentStore } from "../../storage/documents.ts";
import { shareStateDocument } from "./state_documents.ts";
import { CoalescedWrites } from "../../serial.ts";
import type { Storage, TopicMeta } from "../../storage/storage.ts";
import { getInt32, getInt64 } from "../../protocol/codec.ts";
import {
  ATTR_CONTROL,
  ATTR_TRANSACTIONAL,
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  LAST_OFFSET_DELTA_OFFSET,
  PRODUCER_ID_OFFSET,
} from "../../records/layout.ts";
import { splitBatches } from "../../records/batch.ts";
import { offsetResetDurationMs } from "../../configs/group_defs.ts";
import {
  type AckBatch,
  type AcquiredRange,
  RENEW,
  type ShareCounters,
  SharePartition,
  type SharePartitionLimits,
  zeroCounters,
} from "./share_partition.ts";

const SWEEP_MS = 1_000;
/** Most bytes one share fetch reads of a partition (at least one batch). */
const READ_CAP_BYTES = 1 << 20;

export interface SharePartitionsOptions {
  /** share.record.lock.duration.ms of the group, else group.share.record.lock.duration.ms */
  lockDurationMs(groupId: string): number;
  /** share.auto.offset.reset of the group: latest, earliest or by_duration:<ISO-8601 duration> */
  autoOffsetReset(groupId: string): string;
  /** share.isolation.level of the group: read_committed or read_uncommitted */
  isolationLevel(groupId: string): string;
  /** The partition's transactions (read_committed); absent: nothing is transactional (tests). */
  transactions?(topic: TopicMeta, partition: number): Promise<PartitionTransactions>;
  /** share.delivery.count.limit of the group, else group.share.delivery.count.limit */
  deliveryCountLimit(groupId: string): number;
  /** share.partition.max.record.locks of the group, else group.share.partition.max.record.locks */
  maxRecordLocks(groupId: string): number;
  /** share.renew.acknowledge.enable of the group (Kafka 4.3; true by default) */
  renewEnabled(groupId: string): boolean;
}

/** What read_committed needs of a partition's producer state (src/producer/state.ts has it). */
export interface PartitionTransactions {
  /** The first offset of the oldest open transaction, or `hw`. */
  lastStableOffset(hw: number): number;
  /** Aborted transactions overlapping [from, to): the producer and the offsets from its first record to its marker. */
  abortedTransactions(
    from: number,
    to: number,
  ): readonly { producerId: number; firstOffset: number; lastOffset: number }[];
}

/** The leader epoch this gateway serves the partition under, or null when it does not lead it now. */
export type ServingEpoch = (topic: string, partition: number) => number | null;

interface Entry {
  readonly key: string;
  readonly groupId: string;
  readonly topic: string;
  readonly topicId: string;
  readonly partition: number;
  readonly epoch: number;
  readonly doc: string;
  readonly state: SharePartition;
  version: string | null;
  dropped: boolean;
  /** Writes of the state: one after another, a write not started yet carrying every change before it. */
  readonly writes: CoalescedWrites;
}

export interface ShareFetched {
  readonly ranges: AcquiredRange[];
  readonly batches: Uint8Array[];
  readonly bytes: number;
}

/** A share-partition as the ops API shows it. */
export interface SharePartitionView {
  readonly groupId: string;
  readonly topic: string;
  readonly partition: number;
  readonly startOffset: number;
  readonly endOffset: number;
  readonly states: Record<string, number>;
}

export class SharePartitions {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<Entry>>();
  private readonly waiters = new Set<() => void>();
  private readonly timer: ReturnType<typeof setInterval>;
  private closed = false;
  readonly counters: ShareCounters = zeroCounters();

  constructor(
    private readonly storage: Pick<Storage, "read" | "offsets" | "offsetForTimestamp" | "subscribe">,
    private readonly documents: DocumentStore,
    private readonly servingEpoch: ServingEpoch,
    private readonly opts: SharePartitionsOptions,
    private readonly log: Logger,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.timer = setInterval(() => this.sweep(), SWEEP_MS);
    Deno.unrefTimer(this.timer);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    for (const w of [...this.waiters]) w();
  }

  /** Share-partitions held now (ops). */
  views(): SharePartitionView[] {
    return [...this.entries.values()].map((e) => ({
      groupId: e.groupId,
      topic: e.topic,
      partition: e.partition,
      startOffset: e.state.startOffset,
      endOffset: e.state.endOffset,
      states: e.state.stateCounts(),
    }));
  }

  // ---------------------------------------------------------------- operations

  /**
   * Acquires up to `maxRecords` records of the partition for the member and returns them with the batches that
   * hold them (up to `maxBytes`, at least one batch). Throws KafkaError NOT_LEADER_OR_FOLLOWER when this gateway
   * does not lead the partition.
   */
  async fetch(
    groupId: string,
    memberId: string,
    topic: TopicMeta,
    partition: number,
    maxRecords: number,
    maxBytes: number,
    recordLimit = false,
  ): Promise<ShareFetched> {
    const e = await this.entry(groupId, topic, partition);
    this.expire(e);
    const from = e.state.nextReadOffset();
    const offsets = await this.storage.offsets(topic.name, partition);
    e.state.logStartMoved(offsets.logStartOffset);
    const txns =
      this.opts.isolationLevel(groupId) === "read_committed" && this.opts.transactions !== undefined
        ? await this.opts.transactions(topic, partition)
        : null;
    const readable = txns === null ? offsets.highWatermark : txns.lastStableOffset(offsets.highWatermark);
    if (!e.state.hasAcquirable(readable)) return { ranges: [], batches: [], bytes: 0 };
    // A bounded read: acquisition stops at maxRecords, so reading a client's whole MaxBytes (50 MiB by default)
    // each time would mostly read records others hold or that the next fetch takes.
    const readBytes = Math.min(maxBytes, READ_CAP_BYTES);
    const start = Math.max(from, e.state.startOffset);
    const read = await this.storage.read(topic.name, partition, start, readBytes, true);
    if (e.dropped) throw notLeader(topic.name, partition);
    const aborted = txns === null ? [] : txns.abortedTransactions(start, readable);
    const parts: { first: number; last: number; skip: boolean; bytes: Uint8Array }[] = [];
    batches: for (const chunk of read.batches) {
      for (const { pos, size } of splitBatches(chunk)) {
        const first = getInt64(chunk, pos + BASE_OFFSET_OFFSET);
        if (first >= readable) break batches; // read_committed: not past the last stable offset
        const attributes = chunk[pos + ATTRIBUTES_OFFSET + 1];
        parts.push({
          first,
          last: first + getInt32(chunk, pos + LAST_OFFSET_DELTA_OFFSET),
          skip: (attributes & ATTR_CONTROL) !== 0 ||
            ((attributes & ATTR_TRANSACTIONAL) !== 0 && aborted.length > 0 &&
              inAborted(aborted, getInt64(chunk, pos + PRODUCER_ID_OFFSET), first)),
          bytes: chunk.subarray(pos, pos + size),
        });
      }
    }
    // One synchronous step from here: what was read is acquired against the state as it is now.
    const { ranges, used } = e.state.acquire(
      memberId,
      parts,
      maxRecords,
      this.now() + this.opts.lockDurationMs(groupId),
      this.counters,
      recordLimit,
    );
    if (ranges.length > 0) this.trace(e, "acquired by", memberId, ranges);
    const batches: Uint8Array[] = [];
    let bytes = 0;
    for (let i = 0; i < parts.length; i++) {
      if (!used[i]) continue;
      batches.push(parts[i].bytes);
      bytes += parts[i].bytes.length;
    }
    return { ranges, batches, bytes };
  }

  /**
   * Applies a member's acknowledgements and resolves once they are durable: INVALID_RECORD_STATE (nothing
   * applied) or INVALID_REQUEST as KafkaError, NOT_LEADER_OR_FOLLOWER when the partition is not led here.
   * `renew`: the request says it carries renewals (IsRenewAck, KIP-1222), which restart the locks of the records
   * they name with the group's lock duration; only renewals: nothing durable changes, nothing is written.
   */
  async acknowledge(
    groupId: string,
    memberId: string,
    topic: TopicMeta,
    partition: number,
    batches: readonly AckBatch[],
    renew = false,
  ): Promise<void> {
    if (
      renew && !this.opts.renewEnabled(groupId) && batches.some((b) => b.acknowledgeTypes.includes(RENEW))
    ) {
      throw new KafkaError(
        ErrorCode.INVALID_REQUEST,
        "Renewing acquisition locks is not enabled for the group.",
      );
    }
    const e = await this.entry(groupId, topic, partition);
    this.expire(e);
    const due = renew ? this.now() + this.opts.lockDurationMs(groupId) : null;
    const bad = e.state.acknowledge(memberId, batches, this.counters, due);
    this.trace(e, bad === null ? "acknowledged by" : `refused (${bad}) to`, memberId, batches);
    if (bad !== null) {
      const code = bad.startsWith("record") ? ErrorCode.INVALID_RECORD_STATE : ErrorCode.INVALID_REQUEST;
      throw new KafkaError(code, bad);
    }
    if (batches.every((b) => b.acknowledgeTypes.every((t) => t === RENEW))) return;
    this.wake();
    await this.persist(e);
  }

  /** Undoes an acquisition whose answer cannot reach the member (its connection closed meanwhile). */
  async unacquire(
    groupId: string,
    memberId: string,
    topicId: string,
    partition: number,
    ranges: readonly AcquiredRange[],
  ): Promise<void> {
    const e = this.entries.get(keyOf(groupId, topicId, partition));
    if (e === undefined || e.dropped || !e.state.unacquire(memberId, ranges)) return;
    this.trace(e, "undone (connection closed) for", memberId, ranges);
    this.wake();
    await this.persist(e).catch(() => {}); // a lost write: the next leader reads the records as available anyway
  }

  /** Releases what the member holds in these share-partitions (its share session closed). */
  async releaseMember(
    groupId: string,
    memberId: string,
    parts: readonly { topic: TopicMeta; partition: number }[],
  ) {
    const writes: Promise<void>[] = [];
    for (const p of parts) {
      const e = this.entries.get(keyOf(groupId, p.topic.id, p.partition));
      if (e === undefined || e.dropped) continue;
      if (!e.state.releaseMember(memberId, this.counters)) continue;
      this.trace(e, "released (session ended) by", memberId, []);
      writes.push(this.persist(e));
    }
    if (writes.length > 0) this.wake();
    await Promise.allSettled(writes);
  }

  /** Forgets every state of the group held here (its documents are being deleted: DeleteGroups). */
  forgetGroup(groupId: string): void {
    for (const e of [...this.entries.values()]) if (e.groupId === groupId) this.drop(e);
  }

  /** Forgets the state held here (its document was replaced or deleted by the admin APIs): nothing is written. */
  forget(groupId: string, topicId: string, partition: number): void {
    const e = this.entries.get(keyOf(groupId, topicId, partition));
    if (e !== undefined) this.drop(e);
  }

  /**
   * A share session starts fetching the partition: a state held here with no record locked and no write under way
   * is dropped when its document is no longer the one it last read or wrote (replaced or deleted elsewhere), so
   * the next fetch loads it again. (A state with locks finds out at its next write, which the change fails.)
   */
  async revalidate(groupId: string, topicId: string, partition: number): Promise<void> {
    const e = this.entries.get(keyOf(groupId, topicId, partition));
    const idle = (x: Entry) => !x.dropped && !x.writes.busy && x.state.earliestLock() === Infinity;
    if (e === undefined || !idle(e)) return;
    const seen = e.version;
    let stored: { version: string } | null;
    try {
      stored = await this.documents.get(e.doc);
    } catch {
      return; // the store is unreachable: the next write finds any change (compare-and-set)
    }
    if (idle(e) && e.version === seen && (stored?.version ?? null) !== seen) {
      this.log.info("share group {group}: {topic}-{partition} state changed elsewhere: read again", {
        group: e.groupId,
        topic: e.topic,
        partition: e.partition,
      });
      this.drop(e);
    }
  }

  /** Resolves at the first release or append to a watched partition, after `ms`, or when `stop` aborts. */
  waitForWork(
    watch: readonly { topic: string; partition: number }[],
    ms: number,
    stop?: AbortSignal,
  ): Promise<void> {
    return new Promise((resolve) => {
      const unsubs: (() => void)[] = [];
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.waiters.delete(finish);
        stop?.removeEventListener("abort", finish);
        for (const u of unsubs) u();
        resolve();
      };
      const timer = setTimeout(finish, ms);
      if (this.closed || stop?.aborted === true) return finish();
      stop?.addEventListener("abort", finish, { once: true });
      this.waiters.add(finish);
      try {
        for (const w of watch) unsubs.push(this.storage.subscribe(w.topic, w.partition, finish));
      } catch {
        finish();
      }
    });
  }

  // ---------------------------------------------------------------- state

  private async entry(groupId: string, topic: TopicMeta, partition: number): Promise<Entry> {
    const epoch = this.servingEpoch(topic.name, partition);
    if (epoch === null || this.closed) throw notLeader(topic.name, partition);
    const key = keyOf(groupId, topic.id, partition);
    const held = this.entries.get(key);
    if (held !== undefined && held.epoch === epoch && !held.dropped) return held;
    if (held !== undefined) this.drop(held); // led again under another epoch: what another leader wrote is read again
    let p = this.loading.get(key);
    if (p === undefined) {
      p = this.load(key, groupId, topic, partition, epoch).finally(() => this.loading.delete(key));
      this.loading.set(key, p);
    }
    const e = await p;
    if (e.dropped || this.servingEpoch(topic.name, partition) !== e.epoch) {
      throw notLeader(topic.name, partition);
    }
    return e;
  }

  private async load(key: string, groupId: string, topic: TopicMeta, partition: number, epoch: number) {
    const doc = await shareStateDocument(groupId, topic.id, partition);
    const opts = this.opts;
    const limits: SharePartitionLimits = {
      get deliveryCountLimit() {
        return opts.deliveryCountLimit(groupId);
      },
      get maxInFlight() {
        return opts.maxRecordLocks(groupId);
      },
    };
    let stored = await this.documents.get(doc);
    let state: SharePartition;
    let version: string | null;
    if (stored !== null) {
      state = SharePartition.decode(stored.data, limits);
      version = stored.version;
    } else {
      // Initialized durably at once, as Kafka's share coordinator does: the start offset share.auto.offset.reset
      // chose (the log end for latest) holds across restarts and leader moves even before any acknowledgement.
      const start = await this.initialOffset(groupId, topic, partition);
      state = new SharePartition(start, start, limits);
      version = await this.documents.put(
        doc,
        state.encode({ topicId: topic.id, partition, leaderEpoch: epoch }),
        null,
      );
      if (version === null) {
        stored = await this.documents.get(doc); // initialized elsewhere meanwhile (the admin APIs): that one holds
        if (stored === null) throw notLeader(topic.name, partition);
        state = SharePartition.decode(stored.data, limits);
        version = stored.version;
      }
    }
    const e: Entry = {
      key,
      groupId,
      topic: topic.name,
      topicId: topic.id,
      partition,
      epoch,
      doc,
      state,
      version,
      dropped: false,
      writes: new CoalescedWrites(),
    };
    this.entries.set(key, e);
    this.log.debug("share group {group}: {topic}-{partition} loaded at start offset {start}", {
      group: groupId,
      topic: topic.name,
      partition,
      start: state.startOffset,
    });
    return e;
  }

  private async initialOffset(groupId: string, topic: TopicMeta, partition: number): Promise<number> {
    const reset = this.opts.autoOffsetReset(groupId);
    const o = await this.storage.offsets(topic.name, partition);
    if (reset === "earliest") return o.logStartOffset;
    const ms = offsetResetDurationMs(reset);
    if (ms !== null) {
      const found = await this.storage.offsetForTimestamp(topic.name, partition, Date.now() - ms);
      return found?.offset ?? o.highWatermark;
    }
    return o.highWatermark;
  }

  /** Writes the entry's state; settles when durable. A lost compare-and-set drops the entry (another leader). */
  private persist(e: Entry): Promise<void> {
    return e.writes.request(async () => {
      if (e.dropped) throw notLeader(e.topic, e.partition);
      const data = e.state.encode({ topicId: e.topicId, partition: e.partition, leaderEpoch: e.epoch });
      const version = await this.documents.put(e.doc, data, e.version);
      if (version === null) {
        this.drop(e);
        this.log.warn("share group {group}: {topic}-{partition} state changed elsewhere: dropped here", {
          group: e.groupId,
          topic: e.topic,
          partition: e.partition,
        });
        throw notLeader(e.topic, e.partition);
      }
      e.version = version;
    });
  }

  /** Debug lines of what happens to the records (share tests print them when a delivery count surprises). */
  private trace(e: Entry, what: string, memberId: string, detail: readonly object[]): void {
    this.log.debug("share group {group}: {topic}-{partition} {what} {member} {detail}", () => ({
      group: e.groupId,
      topic: e.topic,
      partition: e.partition,
      what,
      member: memberId,
      detail: JSON.stringify(detail),
    }));
  }

  private drop(e: Entry): void {
    e.dropped = true;
    if (this.entries.get(e.key) === e) this.entries.delete(e.key);
  }

  private expire(e: Entry): void {
    if (e.state.releaseExpired(this.now(), this.counters)) {
      this.trace(e, "locks passed", "", []);
      this.wake();
      this.persist(e).catch(() => {});
    }
  }

  private sweep(): void {
    const now = this.now();
    for (const e of this.entries.values()) {
      if (e.state.earliestLock() <= now) this.expire(e);
    }
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}

/** Whether producer `producerId`'s batch at `offset` belongs to one of the aborted transactions. */
function inAborted(
  aborted: readonly { producerId: number; firstOffset: number; lastOffset: number }[],
  producerId: number,
  offset: number,
): boolean {
  return aborted.some((a) => a.producerId === producerId && a.firstOffset <= offset && offset < a.lastOffset);
}

function keyOf(groupId: string, topicId: string, partition: number): string {
  return `${groupId}\u0000${topicId}\u0000${partition}`;
}

function notLeader(topic: string, partition: number): KafkaError {
  return new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `${topic}-${partition} is not led by this gateway`);
}
