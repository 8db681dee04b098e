// An internal topic whose records are a view of state kept durable elsewhere (Kafka's `__consumer_offsets`, view of
// the group store: src/groups/offsets_topic/view.ts; `__transaction_state`, view of the transaction coordinator's
// documents: src/transactions/state_topic/view.ts). The state stays the one source of truth; the topic is derived
// from it and repaired against it, so it cannot drift for long:
// - every state write that succeeds is appended to its partition, in the order the owner issued the writes (one
//   queue per partition; a write that failed is never shown);
// - when state is loaded (solo: every partition at start; cluster: a partition this gateway acquires) and after an
//   append failed, the partition is reconciled: read whole, compared key by key with the state, and what differs
//   appended (values, tombstones for keys the state no longer has) — the crash between a state write and its append
//   leaves nothing wrong after the next start;
// - only the partition's leader writes it (the owner of the state, which leads the same partition), stamped with
//   its epoch.
// Compaction: the embedded log compacts the topic (cleanup.policy=compact). A backend without compaction (SeaweedMQ)
// keeps it bounded by snapshots: when a partition holds more than 3x its live keys (and at least 1000 records), the
// live state is appended again and the log start moved to it (DeleteRecords); a reader behind it starts again from
// the snapshot, as a reader of a compacted topic would see only the latest records.
import type { Logger } from "../log.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { buildBatchSync, splitBatches, validateBatches } from "../records/batch.ts";
import { ATTR_CONTROL, readBatchHeader } from "../records/layout.ts";
import { decodeBatchRecords } from "../records/record.ts";
import { type Storage, StorageError, type TopicConfigs, type TopicMeta } from "../storage/storage.ts";
import type { ClusterView } from "../cluster/view.ts";
import { SerialQueue } from "../serial.ts";

/** Records per appended batch (a group deletion can tombstone thousands of offsets). */
const BATCH_RECORDS = 500;
/** Read size while reconciling. */
const READ_BYTES = 1 << 20;
/** A failed append is repaired (reconcile) this long after. */
const RETRY_MS = 5_000;
/** Snapshot compaction: a partition may hold this many times its live keys (and at least MIN) before one. */
const SNAPSHOT_FACTOR = 3;
const SNAPSHOT_MIN_RECORDS = 1_000;
/** How long an append waits for the cluster to serve a just-acquired partition. */
const SERVE_WAIT_MS = 10_000;
/** close() waits this long for appends in flight. */
const CLOSE_WAIT_MS = 5_000;

/** One record of a derived topic: key and value (null = tombstone), with the record timestamp Kafka gives it. */
export interface DerivedRecord {
  readonly key: Uint8Array;
  readonly value: Uint8Array | null;
  readonly timestamp: number;
}

/** A live key of a partition: the record the state says it holds now, and whose state it is (a group, an id). */
export interface LiveEntry {
  readonly owner: string;
  readonly record: DerivedRecord;
}

/** One partition this gateway writes: the state it must show, and its queue of appends. */
interface Partition {
  readonly index: number;
  /** Key (as a binary string) → the record the state says it holds now. */
  readonly expected: Map<string, LiveEntry>;
  /** Its steps, one at a time (kept across a reload, so a new reconcile waits for the steps before it). */
  readonly steps: SerialQueue;
  /** An append failed or the state was just loaded: the next step compares the whole partition. */
  dirty: boolean;
  /** Records between log start and end, as last learnt (snapshot compaction). */
  length: number;
  retry: ReturnType<typeof setTimeout> | null;
}

export interface DerivedTopicOptions {
  readonly storage: Storage;
  readonly cluster: ClusterView;
  readonly topic: string;
  /** The partition count the topic is created with (and must have). */
  readonly partitions: number;
  /** The flag that sets `partitions`, for the error of a topic that exists with another count. */
  readonly partitionsFlag: string;
  /** What the topic is a view of, for log lines ("the group state"). */
  readonly source: string;
  readonly log: Logger;
}

/** A key as a Map key (binary string). */
export function keyString(key: Uint8Array): string {
  let s = "";
  for (let i = 0; i < key.length; i++) s += String.fromCharCode(key[i]);
  return s;
}

/** Equal bytes (null equals only null): a record value as the state holds it against the one the topic shows. */
export function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function tombstone(key: Uint8Array, timestamp = Date.now()): DerivedRecord {
  return { key, value: null, timestamp };
}

export class DerivedTopic {
  private readonly parts = new Map<number, Partition>();
  private closed = false;
  /** Whether the backend compacts the topic itself; otherwise snapshots keep it bounded. */
  private readonly compacts: boolean;

  constructor(private readonly opts: DerivedTopicOptions) {
    this.compacts = opts.storage.fixedTopicConfigs?.["cleanup.policy"] === undefined;
  }

  get topic(): string {
    return this.opts.topic;
  }

  /**
   * Creates the topic when it does not exist yet (another gateway of a cluster may create it at the same moment),
   * and checks its partition count: Kafka fixes it when the topic is created, and a different count would place
   * state on other partitions than their records.
   */
  async open(): Promise<TopicMeta> {
    const { storage, partitions, topic } = this.opts;
    let t = storage.getTopic(topic) ?? await storage.findTopic?.(topic);
    if (t === undefined) {
      // Kafka's offsets.topic.segment.bytes (and transaction.state.log.segment.bytes) is 100 MiB: compaction
      // cleans only rolled segments, and a load reads the whole partition.
      const configs: TopicConfigs = this.compacts
        ? { "cleanup.policy": "compact", "segment.bytes": "104857600" }
        : { "retention.ms": "-1" };
      try {
        t = await storage.createTopic(topic, partitions, configs);
        this.opts.log.info("created {topic} with {partitions} partitions", { topic, partitions });
      } catch (e) {
        if (!(e instanceof StorageError && e.code === ErrorCode.TOPIC_ALREADY_EXISTS)) throw e;
        t = storage.getTopic(topic) ?? await storage.findTopic?.(topic);
        if (t === undefined) throw e;
      }
    }
    if (t.partitions !== partitions) {
      const flag = this.opts.partitionsFlag;
      throw new Error(
        `${topic} exists with ${t.partitions} partitions but ${flag} is ${partitions}: the count is fixed when ` +
          `the topic is created; start with ${flag} ${t.partitions}`,
      );
    }
    return t;
  }

  /**
   * The state of these partitions was loaded (`entries`: partition, owner, record of each live key; entries of
   * other partitions are ignored): from now on this gateway writes them, starting with a reconcile.
   */
  loaded(indexes: readonly number[], entries: Iterable<readonly [number, LiveEntry]>): void {
    if (this.closed) return;
    const fresh = new Set<number>();
    for (const index of indexes) {
      const old = this.parts.get(index);
      if (old?.retry != null) clearTimeout(old.retry);
      const p: Partition = {
        index,
        expected: new Map(),
        steps: old?.steps ?? new SerialQueue(),
        dirty: true,
        length: 0,
        retry: null,
      };
      this.parts.set(index, p);
      fresh.add(index);
      this.enqueue(p, () => this.reconcile(p));
    }
    for (const [index, e] of entries) {
      if (fresh.has(index)) this.parts.get(index)!.expected.set(keyString(e.record.key), e);
    }
  }

  released(partition: number): void {
    const p = this.parts.get(partition);
    if (p === undefined) return;
    if (p.retry !== null) clearTimeout(p.retry);
    this.parts.delete(partition);
  }

  /** Stops writing; waits (bounded) for appends in flight. */
  async close(): Promise<void> {
    this.closed = true;
    const inFlight: Promise<void>[] = [];
    for (const p of this.parts.values()) {
      if (p.retry !== null) clearTimeout(p.retry);
      inFlight.push(p.steps.idle());
    }
    this.parts.clear();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all(inFlight),
      new Promise<void>((r) => timer = setTimeout(r, CLOSE_WAIT_MS)),
    ]);
    clearTimeout(timer);
  }

  /**
   * Shows a state write of `owner` on `partition` once `done` resolved (a rejection: the state did not change),
   * after the writes issued before it. `records` says what it shows, given the partition's live keys before it.
   */
  after(
    partition: number,
    owner: string,
    done: Promise<unknown>,
    records: (live: ReadonlyMap<string, LiveEntry>) => DerivedRecord[],
  ): void {
    const p = this.parts.get(partition);
    if (p === undefined || this.closed) return; // not written by this gateway (another leads the partition)
    this.enqueue(p, async () => {
      try {
        await done;
      } catch {
        return; // the store refused it: the state did not change
      }
      const recs = records(p.expected);
      for (const r of recs) {
        const k = keyString(r.key);
        if (r.value === null) p.expected.delete(k);
        else p.expected.set(k, { owner, record: r });
      }
      if (p.dirty) await this.reconcile(p);
      else await this.append(p, recs);
    });
  }

  /** Runs `step` after the partition's earlier steps; a failure marks it dirty and schedules a repair. */
  private enqueue(p: Partition, step: () => Promise<void>): void {
    // Never rejects: a failing step is handled inside.
    void p.steps.run(async () => {
      if (this.parts.get(p.index) !== p || this.closed) return; // released meanwhile
      try {
        await step();
      } catch (e) {
        p.dirty = true;
        this.opts.log.warn("{topic}-{partition}: {error}; repairing in {ms} ms", {
          topic: this.opts.topic,
          partition: p.index,
          error: (e as Error).message,
          ms: RETRY_MS,
        });
        if (p.retry === null) {
          p.retry = setTimeout(() => {
            p.retry = null;
            this.enqueue(p, () => p.dirty ? this.reconcile(p) : Promise.resolve());
          }, RETRY_MS);
        }
      }
    });
  }

  /**
   * The epoch this gateway serves the partition with. Right after an acquire the cluster may not serve it yet (its
   * takeover finishes after the owner loaded): waited for, bounded.
   */
  private async servingEpoch(p: Partition): Promise<number> {
    const deadline = Date.now() + SERVE_WAIT_MS;
    for (;;) {
      const epoch = this.opts.cluster.servingEpoch(this.opts.topic, p.index);
      if (epoch !== null) return epoch;
      if (Date.now() >= deadline || this.parts.get(p.index) !== p) {
        throw new Error(`this gateway does not lead ${this.opts.topic}-${p.index} now`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private async append(p: Partition, records: readonly DerivedRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.appendBatches(p, records);
    if (!this.compacts && p.length > Math.max(SNAPSHOT_MIN_RECORDS, SNAPSHOT_FACTOR * p.expected.size)) {
      await this.snapshot(p);
    }
  }

  /** Appends `records` in batches stamped with the serving epoch; returns the first one's offset. */
  private async appendBatches(p: Partition, records: readonly DerivedRecord[]): Promise<number> {
    const epoch = await this.servingEpoch(p);
    let first = -1;
    for (let i = 0; i < records.length; i += BATCH_RECORDS) {
      const chunk = records.slice(i, i + BATCH_RECORDS);
      const payload = buildBatchSync({ records: chunk, partitionLeaderEpoch: epoch });
      const res = await this.opts.storage.append(this.opts.topic, p.index, {
        payload,
        batches: validateBatches(payload),
      });
      if (first < 0) first = res.baseOffset;
      p.length = res.baseOffset + chunk.length - res.logStartOffset;
    }
    return first;
  }

  /** Appends the whole live state again and moves the log start to it (backends without compaction). */
  private async snapshot(p: Partition): Promise<void> {
    const { storage, topic } = this.opts;
    const live = [...p.expected.values()].map((e) => e.record);
    const start = live.length > 0
      ? await this.appendBatches(p, live)
      : (await storage.offsets(topic, p.index)).highWatermark;
    await storage.deleteRecords(topic, p.index, start);
    this.opts.log.debug("{topic}-{partition}: snapshot of {keys} keys, log start {start}", {
      topic,
      partition: p.index,
      keys: live.length,
      start,
    });
    p.length = live.length;
  }

  /** Reads the whole partition, appends what differs from the state (values and tombstones). */
  private async reconcile(p: Partition): Promise<void> {
    const { storage, topic } = this.opts;
    const shown = new Map<string, Uint8Array | null>();
    const { logStartOffset, highWatermark } = await storage.offsets(topic, p.index);
    let offset = logStartOffset;
    while (offset < highWatermark) {
      const r = await storage.read(topic, p.index, offset, READ_BYTES, true);
      let next = offset;
      for (const chunk of r.batches) {
        for (const b of splitBatches(chunk)) {
          const batch = chunk.subarray(b.pos, b.pos + b.size);
          const h = readBatchHeader(batch, 0);
          next = Math.max(next, h.baseOffset + h.lastOffsetDelta + 1);
          if ((h.attributes & ATTR_CONTROL) !== 0) continue;
          for (const rec of (await decodeBatchRecords(batch)).records) {
            if (rec.offset < offset || rec.key === null) continue;
            shown.set(keyString(rec.key), rec.value);
          }
        }
      }
      if (next <= offset) break; // nothing readable there (should not happen below the high watermark)
      offset = next;
    }
    const diff: DerivedRecord[] = [];
    for (const [k, e] of p.expected) {
      if (!sameBytes(shown.get(k) ?? null, e.record.value)) diff.push(e.record);
    }
    for (const [k, v] of shown) {
      if (v !== null && !p.expected.has(k)) diff.push(tombstone(Uint8Array.from(k, (c) => c.charCodeAt(0))));
    }
    p.length = highWatermark - logStartOffset;
    if (diff.length > 0) {
      this.opts.log.info("{topic}-{partition}: {n} records brought in line with {source}", {
        topic,
        partition: p.index,
        n: diff.length,
        source: this.opts.source,
      });
    }
    await this.append(p, diff);
    p.dirty = false;
  }
}
