// Idempotent producers, backend-independent: producer-id allocation and epoch bumps for InitProducerId, and the
// per-partition producer state (state.ts) that Produce consults before each append, that transaction markers
// update and that read_committed Fetch and ListOffsets ask for the last stable offset and aborted transactions.
//
// Durability: ids come in blocks from Storage.producerStateStore() (durable before use, so no id is handed out
// twice). Partition state is loaded lazily, at the first produce to the partition (in the background for a plain
// batch: follow) or its first read_committed Fetch or ListOffsets: the latest snapshot plus a replay of the stored
// batch headers after it (each carries producerId, epoch, baseSequence and lastOffsetDelta). A snapshot is written
// when a partition is first loaded, every snapshotIntervalMs while its state or its log end moves, and at
// shutdown, so start-up costs nothing and a later load replays at most the data appended since the last snapshot
// (about one interval after a crash, nothing after a clean stop). Only a partition that never had a snapshot
// (first use, or a lost snapshot) is replayed from its log start.
//
// In a distributed cluster the manager is a Participant: a partition's state lives with its leader. release()
// snapshots it (best effort, bounded) and unloads it; the next leader loads it lazily like any partition, from
// that snapshot (or an older one: a snapshot is a state at an offset, so the replay from it is right however old
// it is) plus the log the previous leaders wrote. acquire() needs nothing. State is loaded only for a partition this
// gateway serves, and a load that a release overtook is discarded. Producer ids stay unique across gateways: the
// store hands out blocks that each gateway claims exclusively (SeaweedMQ: create-exclusive files in the filer).
import type { Logger } from "../log.ts";
import { getInt32, getInt64 } from "../protocol/codec.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import {
  ATTR_CONTROL,
  ATTRIBUTES_OFFSET,
  BASE_SEQUENCE_OFFSET,
  getInt16,
  LAST_OFFSET_DELTA_OFFSET,
  LENGTH_OFFSET,
  LOG_OVERHEAD,
  MAX_TIMESTAMP_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
} from "../records/layout.ts";
import type { BatchInfo } from "../records/batch_info.ts";
import { type ProducerStateStore, type Storage, StorageError, type TopicMeta } from "../storage/storage.ts";
import {
  type ClusterView,
  CONSUMER_OFFSETS_TOPIC,
  type Participant,
  type TopicPartitionRef,
} from "../cluster/view.ts";
import { readMarkerBatch } from "../records/control.ts";
import { PartitionProducerState } from "./state.ts";

export interface ProducerManagerOptions {
  /** Snapshot period for partitions whose producer state changed. Default 60 s. */
  readonly snapshotIntervalMs?: number;
  /** Producers idle this long are forgotten (Kafka's producer.id.expiration.ms). Default 1 day. */
  readonly expirationMs?: number;
  /** Producer ids reserved per durable allocation. Default 1000. */
  readonly idBlockSize?: number;
  /** Whether this gateway serves a partition now (null: it may not); without it every partition is served. */
  readonly cluster?: Pick<ClusterView, "servingEpoch">;
  readonly log: Logger;
}

/** Highest epoch handed out; Kafka keeps Short.MAX_VALUE free (a bump beyond gives a new producer id). */
const MAX_EPOCH = 32766;
/** Producer ids whose last issued epoch is remembered (for fencing re-inits with a stale epoch). */
const MAX_REMEMBERED_IDS = 100_000;
const SCAN_CHUNK_BYTES = 4 * 1024 * 1024;
/** How long a release waits for a load in flight and for the final snapshot. */
const RELEASE_MS = 5_000;

/** The part of the storage backend the manager uses. */
export type ProducerStorage = Pick<
  Storage,
  "producerStateStore" | "offsets" | "read" | "getTopicById"
>;

/** A load in flight; a release removes it, and its result is then discarded. */
interface Loading {
  readonly topic: TopicMeta;
  readonly partition: number;
  readonly promise: Promise<PartitionProducerState>;
  /** Started by follow: a release does not wait for it (its snapshot landing late is harmless, see release). */
  readonly background: boolean;
}

interface Loaded {
  readonly topic: TopicMeta;
  readonly partition: number;
  readonly state: PartitionProducerState;
  /** Replay offset of the last snapshot written (-1: none yet). */
  savedOffset: number;
}

/**
 * The single idempotent batch of a partition's produce payload, or null when the payload carries no producer id.
 * Kafka accepts exactly one batch per partition from v3 on; more than one with a producer id is INVALID_RECORD.
 */
export function idempotentBatchOf(batches: readonly BatchInfo[]): BatchInfo | null {
  let found: BatchInfo | null = null;
  for (const b of batches) if (b.producerId >= 0) found = b;
  if (found !== null && batches.length > 1) {
    throw new KafkaError(
      ErrorCode.INVALID_RECORD,
      "Produce requests from idempotent producers must contain exactly one record batch per partition",
    );
  }
  return found;
}

function notLeader(topic: string, partition: number): KafkaError {
  return new KafkaError(
    ErrorCode.NOT_LEADER_OR_FOLLOWER,
    `${topic}-${partition}: this gateway does not lead the partition now`,
  );
}

export class ProducerManager implements Participant {
  private readonly store: ProducerStateStore;
  private readonly loaded = new Map<string, Loaded>();
  private readonly loading = new Map<string, Loading>();
  private readonly cluster: Pick<ClusterView, "servingEpoch"> | null;
  private readonly snapshotIntervalMs: number;
  readonly expirationMs: number;
  private readonly idBlockSize: number;
  private readonly log: Logger;
  private nextId = 0;
  private idEnd = 0;
  private allocating: Promise<void> | null = null;
  /** Producer id → last epoch issued by InitProducerId and the epoch it was bumped from. */
  private readonly issued = new Map<number, { epoch: number; from: number }>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private pass: Promise<void> | null = null;
  private closed = false;

  constructor(private readonly storage: ProducerStorage, opts: ProducerManagerOptions) {
    this.store = storage.producerStateStore();
    this.snapshotIntervalMs = opts.snapshotIntervalMs ?? 60_000;
    this.expirationMs = opts.expirationMs ?? 86_400_000;
    this.idBlockSize = opts.idBlockSize ?? 1000;
    this.cluster = opts.cluster ?? null;
    this.log = opts.log;
  }

  start(): void {
    const id = setInterval(() => {
      if (!this.pass && !this.closed) this.pass = this.snapshotAll().finally(() => (this.pass = null));
    }, this.snapshotIntervalMs);
    Deno.unrefTimer(id);
    this.timer = id;
  }

  /** Stops the timer and writes a final snapshot of every changed partition (before the storage closes). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    if (this.pass) await this.pass;
    await Promise.allSettled([...this.loading.values()].map((l) => l.promise));
    await this.snapshotAll();
  }

  // ---- InitProducerId ----

  /** Makes sure an unused id is reserved (and, after a restart, that idEnd covers every id issued before). */
  private async reserveIds(): Promise<void> {
    while (this.nextId >= this.idEnd) {
      if (!this.allocating) {
        this.allocating = this.store.allocateProducerIds(this.idBlockSize).then((first) => {
          this.nextId = first;
          this.idEnd = first + this.idBlockSize;
        }).finally(() => (this.allocating = null));
      }
      await this.allocating;
    }
  }

  private async allocateId(): Promise<number> {
    await this.reserveIds();
    return this.nextId++;
  }

  private remember(producerId: number, epoch: number, from: number): void {
    this.issued.delete(producerId);
    this.issued.set(producerId, { epoch, from });
    if (this.issued.size > MAX_REMEMBERED_IDS) {
      const oldest = this.issued.keys().next().value;
      if (oldest !== undefined) this.issued.delete(oldest);
    }
  }

  /**
   * A producer id never handed out before (durably reserved), for the transaction coordinator, which keeps the
   * epochs of transactional producers itself.
   */
  newProducerId(): Promise<number> {
    return this.allocateId();
  }

  private async fresh(): Promise<{ producerId: number; producerEpoch: number }> {
    const producerId = await this.allocateId();
    this.remember(producerId, 0, -1);
    return { producerId, producerEpoch: 0 };
  }

  /**
   * InitProducerId for an idempotent producer. Without an id (-1/-1) it gets a new id at epoch 0. With the id and
   * epoch it holds (v3+, KIP-360) it keeps the id and gets the epoch bumped; a retry of that request gets the same
   * answer; an epoch older than the one last issued is fenced (KafkaError PRODUCER_FENCED; the handler maps it
   * for v0-3). An id this gateway never issued, or an exhausted epoch, gets a new id.
   */
  async initProducerId(
    producerId: number,
    producerEpoch: number,
  ): Promise<{ producerId: number; producerEpoch: number }> {
    if (producerId === -1 && producerEpoch === -1) return await this.fresh();
    if (producerId < 0 || producerEpoch < 0) {
      throw new KafkaError(
        ErrorCode.INVALID_REQUEST,
        `producerId ${producerId} and producerEpoch ${producerEpoch} must both be set or both be -1`,
      );
    }
    await this.reserveIds();
    if (producerId >= this.nextId) return await this.fresh(); // never issued: do not adopt it
    const known = this.issued.get(producerId);
    if (known !== undefined && producerEpoch !== known.epoch) {
      if (producerEpoch === known.from) return { producerId, producerEpoch: known.epoch }; // retried request
      if (producerEpoch < known.epoch) {
        throw new KafkaError(
          ErrorCode.PRODUCER_FENCED,
          `producer ${producerId} epoch ${producerEpoch} is older than its current epoch ${known.epoch}`,
        );
      }
    }
    const next = producerEpoch + 1;
    if (next > MAX_EPOCH) return await this.fresh();
    this.remember(producerId, next, producerEpoch);
    return { producerId, producerEpoch: next };
  }

  // ---- partition state ----

  /**
   * The partition's producer state; a promise the first time (it is loaded from snapshot and log). `background`:
   * the load's report is a debug line (follow: one per partition produced to, not an operator's concern).
   */
  partition(
    topic: TopicMeta,
    partition: number,
    background = false,
  ): PartitionProducerState | Promise<PartitionProducerState> {
    const key = `${topic.id}:${partition}`;
    const l = this.loaded.get(key);
    if (l !== undefined) return l.state;
    let entry = this.loading.get(key);
    if (entry === undefined) {
      if (this.closed) return Promise.reject(new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, "shutting down"));
      if (this.cluster !== null && this.cluster.servingEpoch(topic.name, partition) === null) {
        // Another gateway leads it: state loaded here would go stale as that one appends.
        return Promise.reject(notLeader(topic.name, partition));
      }
      const promise: Promise<PartitionProducerState> = this.load(topic, partition, background).then(
        (loaded) => {
          // Released meanwhile: this state may miss what the next leader appends.
          if (this.loading.get(key)?.promise !== promise) throw notLeader(topic.name, partition);
          this.loaded.set(key, loaded);
          return loaded.state;
        },
      ).finally(() => {
        if (this.loading.get(key)?.promise === promise) this.loading.delete(key);
      });
      entry = { topic, partition, promise, background };
      this.loading.set(key, entry);
    }
    return entry.promise;
  }

  /**
   * Starts loading the partition's state, in the background, when a plain (non-idempotent) batch was appended to
   * a partition whose state is not loaded. Without it a partition written only by plain producers never gets a
   * snapshot, and the first read_committed Fetch on every later leader replays its whole log before answering
   * (on SeaweedMQ: downloads and decodes every file; 3,000,000 records took 0.5-0.8 s per partition). Loaded at
   * the first append, while the log is usually short, its snapshot then follows the log end (snapshotAll) and
   * at shutdown, so later loads replay little.
   */
  follow(topic: TopicMeta, partition: number, logEnd: number): void {
    const key = `${topic.id}:${partition}`;
    const l = this.loaded.get(key);
    if (l !== undefined) {
      // The replay start moves past plain batches as they are stored (when no idempotent append or marker is in
      // flight), so the snapshot written at release or shutdown is at the log end without asking the storage.
      l.state.advanceIfIdle(logEnd);
      return;
    }
    if (this.closed || this.loading.has(key)) return;
    // A failed load is retried by whoever needs the state next (a read_committed Fetch, an idempotent
    // produce), which reports it to its client.
    const s = this.partition(topic, partition, true);
    if (s instanceof Promise) s.catch(() => {});
  }

  /** The partition's producer state when it is loaded already, else undefined (nothing is loaded). */
  peek(topic: TopicMeta, partition: number): PartitionProducerState | undefined {
    return this.loaded.get(`${topic.id}:${partition}`)?.state;
  }

  // ---- leadership (Participant) ----

  /** Nothing to do eagerly: the state loads on the partition's first idempotent produce. */
  acquire(_tp: TopicPartitionRef, _leaderEpoch: number): Promise<void> {
    return Promise.resolve();
  }

  /**
   * The partition moves to another gateway: a load in flight is discarded (awaited, bounded, so its first snapshot
   * is not written after the release when it can be helped; not a background load of follow, which may be reading
   * a long log from a broker that stopped answering), the state is unloaded, and a final snapshot is
   * written (bounded) so the next leader replays little. A snapshot that outlives the bound lands late, which is
   * harmless: a snapshot is the state at its offset, and any later load replays the log from there.
   */
  async release(tp: TopicPartitionRef): Promise<void> {
    if (tp.topic === CONSUMER_OFFSETS_TOPIC) return;
    const waits: Promise<unknown>[] = [];
    for (const [key, e] of this.loading) {
      if (e.topic.name !== tp.topic || e.partition !== tp.partition) continue;
      this.loading.delete(key);
      if (e.background) e.promise.catch(() => {});
      else waits.push(e.promise.catch(() => {}));
    }
    for (const [key, l] of this.loaded) {
      if (l.topic.name !== tp.topic || l.partition !== tp.partition) continue;
      this.loaded.delete(key);
      if (l.state.dirty || l.state.snapshotOffset() !== l.savedOffset) waits.push(this.save(l));
    }
    if (waits.length === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const bound = new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(false), RELEASE_MS));
    const done = await Promise.race([Promise.allSettled(waits).then(() => true), bound]);
    clearTimeout(timer);
    if (!done) {
      this.log.warn("{topic}-{partition}: producer state released before its snapshot was written", {
        topic: tp.topic,
        partition: tp.partition,
      });
    }
  }

  private async load(topic: TopicMeta, partition: number, background: boolean): Promise<Loaded> {
    const started = performance.now();
    const name = `${topic.name}-${partition}`;
    const state = new PartitionProducerState(name);
    const offsets = await this.storage.offsets(topic.name, partition);
    let from = offsets.logStartOffset;
    let snapshot = "none";
    const data = await this.store.loadProducerSnapshot(topic.name, partition).catch((e) => {
      this.log.warn("{partition}: cannot read producer snapshot: {reason}", {
        partition: name,
        reason: String(e),
      });
      return null;
    });
    if (data !== null) {
      const f = state.restoreSnapshot(data, topic.id, partition, offsets.highWatermark);
      if (f === null) {
        snapshot = "unusable";
        this.log.warn("{partition}: ignoring an unusable producer snapshot", { partition: name });
      } else {
        snapshot = `at offset ${f}`;
        from = Math.max(from, f);
      }
    }
    const now = Date.now();
    state.expire(now, this.expirationMs);
    // Nothing stored past the snapshot: no read at all. A read at the log end is a question to the backend (on
    // SeaweedMQ a FetchMessage to a broker that may not have loaded the partition since a hand-over), and its
    // answer could only be "nothing more".
    const { end, batches, bytes } = from >= offsets.highWatermark
      ? { end: offsets.highWatermark, batches: 0, bytes: 0 }
      : await this.replay(topic.name, partition, state, from, now);
    state.scannedTo(end);
    state.pruneAborted(offsets.logStartOffset);
    const loaded: Loaded = { topic, partition, state, savedOffset: -1 };
    // The first snapshot bounds the replay of every later load, whatever happens next.
    await this.save(loaded);
    const report =
      "{partition}: producer state loaded ({producers} producers; snapshot {snapshot}; replayed " +
      "{batches} batches, {bytes} bytes, offsets {from}-{end}) in {ms} ms";
    const props = {
      partition: name,
      producers: state.size,
      snapshot,
      batches,
      bytes,
      from,
      end,
      ms: Math.round(performance.now() - started),
    };
    if (background) this.log.debug(report, props);
    else this.log.info(report, props);
    return loaded;
  }

  /** Replays the headers of the batches stored from `from` to the high watermark. */
  private async replay(
    topic: string,
    partition: number,
    state: PartitionProducerState,
    from: number,
    now: number,
  ): Promise<{ end: number; batches: number; bytes: number }> {
    let offset = from;
    let batches = 0;
    let bytes = 0;
    for (;;) {
      let r;
      try {
        r = await this.storage.read(topic, partition, offset, SCAN_CHUNK_BYTES, true);
      } catch (e) {
        if (e instanceof StorageError && e.code === ErrorCode.OFFSET_OUT_OF_RANGE) {
          const o = await this.storage.offsets(topic, partition);
          if (offset < o.logStartOffset) { // retention moved the log start meanwhile
            offset = o.logStartOffset;
            continue;
          }
          return { end: Math.min(offset, o.highWatermark), batches, bytes };
        }
        throw e;
      }
      let next = offset;
      for (const chunk of r.batches) {
        let pos = 0;
        while (pos + LOG_OVERHEAD <= chunk.length) {
          const size = getInt32(chunk, pos + LENGTH_OFFSET) + LOG_OVERHEAD;
          const baseOffset = getInt64(chunk, pos);
          const lastOffsetDelta = getInt32(chunk, pos + LAST_OFFSET_DELTA_OFFSET);
          const producerId = getInt64(chunk, pos + PRODUCER_ID_OFFSET);
          const attributes = getInt16(chunk, pos + ATTRIBUTES_OFFSET);
          if (producerId >= 0 && (attributes & ATTR_CONTROL) === 0) {
            state.replay({
              producerId,
              producerEpoch: getInt16(chunk, pos + PRODUCER_EPOCH_OFFSET),
              baseSequence: getInt32(chunk, pos + BASE_SEQUENCE_OFFSET),
              lastOffsetDelta,
              maxTimestamp: getInt64(chunk, pos + MAX_TIMESTAMP_OFFSET),
              attributes,
              baseOffset,
            }, now); // expiration counts from the restart: stored timestamps are the clients' clocks
          } else if (producerId >= 0 && pos + size <= chunk.length) {
            // A transaction marker (other control records, none written here, carry no producer state).
            let m = null;
            try {
              m = readMarkerBatch(chunk.subarray(pos, pos + size));
            } catch (e) {
              this.log.warn("{topic}-{partition}: unreadable control batch at offset {offset}: {reason}", {
                topic,
                partition,
                offset: baseOffset,
                reason: String(e),
              });
            }
            if (m !== null) {
              state.replayMarker(
                {
                  producerId,
                  producerEpoch: getInt16(chunk, pos + PRODUCER_EPOCH_OFFSET),
                  commit: m.commit,
                  coordinatorEpoch: m.coordinatorEpoch,
                },
                baseOffset,
                now,
              );
            }
          }
          batches++;
          bytes += size;
          next = Math.max(next, baseOffset + lastOffsetDelta + 1);
          pos += size;
        }
      }
      if (next <= offset || next >= r.highWatermark) return { end: Math.max(next, offset), batches, bytes };
      offset = next;
    }
  }

  /** Writes the partition's snapshot; on failure the next pass retries. */
  private async save(l: Loaded): Promise<void> {
    l.state.dirty = false;
    const offset = l.state.snapshotOffset();
    const data = l.state.encodeSnapshot(l.topic.id, l.partition);
    try {
      await this.store.saveProducerSnapshot(l.topic.name, l.partition, data);
      l.savedOffset = offset;
    } catch (e) {
      l.state.dirty = true;
      this.log.warn("{topic}-{partition}: producer snapshot failed: {reason}", {
        topic: l.topic.name,
        partition: l.partition,
        reason: String(e),
      });
    }
  }

  /**
   * Expires idle producers and snapshots every partition whose state changed or whose log end moved (so that
   * the replay after a crash stays short even when other producers keep writing to the partition).
   */
  async snapshotAll(): Promise<void> {
    const now = Date.now();
    for (const [key, l] of this.loaded) {
      if (this.storage.getTopicById(l.topic.id) === undefined) {
        this.loaded.delete(key); // topic deleted (a re-created one has another id)
        continue;
      }
      l.state.expire(now, this.expirationMs);
      const o = await this.storage.offsets(l.topic.name, l.partition).catch(() => null);
      if (o !== null) {
        l.state.advanceIfIdle(o.highWatermark);
        l.state.pruneAborted(o.logStartOffset);
      }
      if (l.state.dirty || l.state.snapshotOffset() !== l.savedOffset) await this.save(l);
    }
  }
}
