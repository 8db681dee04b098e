// The transaction coordinator, after Kafka's TransactionCoordinator and TransactionStateManager: for each
// transactional id whose `__consumer_offsets` partition this gateway leads, it issues producer ids and epochs
// (fencing zombies), records which partitions a transaction touched, and ends transactions by writing the
// PrepareCommit/PrepareAbort state durably, then COMMIT/ABORT markers to every partition (./contracts.ts
// MarkerWriter), then CompleteCommit/CompleteAbort.
//
// Every operation on one transactional id runs on that id's queue of the coordinator runtime
// (src/coordinator/runtime.ts serial(): one at a time), so a check and the durable write it leads to are never
// interleaved with another operation on the id. The durable state is one document per
// id (./txn_log.ts) written with compare-and-set: a lost compare-and-set means another gateway coordinates the id
// now (this one is fenced): the client gets NOT_COORDINATOR and the document is re-read.
//
// Placement follows leadership (a cluster Participant), through the runtime's shards: acquiring
// `__consumer_offsets` partition p loads its ids (the shard is loading: COORDINATOR_LOAD_IN_PROGRESS) and resumes
// the transactions caught in Prepare* once it is active (their markers are sent again: markers are idempotent);
// release forgets them. A solo gateway acquires every partition in start().
import { CONSUMER_OFFSETS_TOPIC, type Participant, type TopicPartitionRef } from "../cluster/view.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import type { TxnMarker, TxnVerifier } from "./contracts.ts";
import {
  containsAll,
  isEpochExhausted,
  isIdle,
  isOpen,
  isPreparing,
  MAX_PRODUCER_EPOCH,
  mergePartitions,
  newTxnMetadata,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  producerBump,
  type TxnMetadata,
} from "./state.ts";
import { txnDocumentName, TxnLog } from "./txn_log.ts";
import { settledWithin, sleep } from "../wait.ts";
import { runMarkerRound } from "./marker_round.ts";
import { CoordinatorRuntime, type RuntimeStats, type Shard } from "../coordinator/runtime.ts";
import {
  listed,
  type ListTxnFilter,
  type ResolvedTxnOptions,
  type TxnCoordinatorOptions,
  type TxnStats,
  type TxnView,
  txnView,
  withDefaults,
} from "./options.ts";

/** How long a completed transaction's Complete* state may stay unwritten (see completeEnd). */
const COMPLETE_FLUSH_MS = 1_000;
/** How long a release waits for the released ids' writes in flight (so the next coordinator reads them). */
const RELEASE_WAIT_MS = 5_000;

interface Entry {
  readonly id: string;
  readonly name: string;
  readonly offsetsPartition: number;
  meta: TxnMetadata;
  /** The bytes stored for this id (what the next compare-and-set expects); null: never written. */
  stored: Uint8Array | null;
  /** While Prepare*: partitions still without their marker. */
  pendingMarkers: TopicPartitionRef[] | null;
}

function fail(code: number, message?: string): never {
  throw new KafkaError(code, message);
}

export class TransactionCoordinator implements Participant, TxnVerifier {
  private readonly txnLog: TxnLog;
  /**
   * The `__consumer_offsets` partitions held (a shard's epoch is the markers' coordinator epoch: -1 on a solo
   * gateway, sent as 0) and the per-id queue.
   */
  private readonly runtime: CoordinatorRuntime;
  private readonly entries = new Map<string, Entry>();
  /** Ids whose Complete* state is not written yet (the document still says Prepare*). */
  private readonly unflushed = new Map<string, Entry>();
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  /** Names this coordinator in the documents it writes (TxnLog.write). */
  private readonly instance = crypto.randomUUID();
  private readonly tasks = new Set<Promise<void>>();
  private readonly stopping = new AbortController();
  /** The options with Kafka's defaults filled in. */
  private readonly cfg: ResolvedTxnOptions;
  private timers: ReturnType<typeof setInterval>[] = [];
  private closed = false;
  private committed = 0;
  private aborted = 0;
  private timedOut = 0;

  constructor(private readonly opts: TxnCoordinatorOptions) {
    this.txnLog = new TxnLog(opts.documents);
    this.runtime = new CoordinatorRuntime({
      serving: (partition) => opts.cluster.servingEpoch(CONSUMER_OFFSETS_TOPIC, partition) !== null,
      releaseWaitMs: RELEASE_WAIT_MS,
    });
    this.cfg = withDefaults(opts);
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Starts the timeout and expiration checks; a solo gateway first loads every `__consumer_offsets` partition's
   * transactions (a distributed one loads them as it acquires partitions).
   */
  async start(): Promise<void> {
    if (!this.opts.cluster.distributed) {
      for (let p = 0; p < this.opts.offsetsPartitions; p++) {
        await this.acquire({ topic: CONSUMER_OFFSETS_TOPIC, partition: p }, -1);
      }
    }
    if (this.closed) return;
    this.timers.push(
      setInterval(
        () => void this.abortTimedOut(),
        this.cfg.abortCheckIntervalMs,
      ),
      setInterval(
        () => void this.expireIds(),
        this.cfg.expirationCheckIntervalMs,
      ),
    );
  }

  /** Stops the checks and the marker rounds; waits (bounded) for the state writes in flight. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    await settledWithin([this.flushAll()], RELEASE_WAIT_MS);
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.stopping.abort();
    // Marker rounds stop by themselves (a write in flight to another gateway is not waited for: markers are
    // idempotent and the next coordinator sends them again); the durable writes in flight are.
    await settledWithin([this.runtime.idle()], RELEASE_WAIT_MS);
    await this.runtime.close();
    await this.opts.mirror?.close();
  }

  /** Resolves when no marker round is running (tests: the transactions that could complete did). */
  async idle(): Promise<void> {
    while (this.tasks.size > 0) await Promise.all([...this.tasks]);
  }

  // ---------------------------------------------------------------- Participant

  /**
   * This gateway coordinates the transactional ids of `__consumer_offsets` partition `tp.partition` from now:
   * their documents are read, the transactions caught in PrepareCommit/PrepareAbort get their markers again, the
   * Ongoing ones are aborted by the timeout check once they outlive their timeout.
   */
  async acquire(tp: TopicPartitionRef, leaderEpoch: number): Promise<void> {
    if (tp.topic !== CONSUMER_OFFSETS_TOPIC || this.closed) return;
    const resume: Entry[] = [];
    let loaded!: Awaited<ReturnType<TxnLog["load"]>>;
    let shard;
    try {
      shard = await this.runtime.load(tp.partition, leaderEpoch, {
        read: () => this.txnLog.load(tp.partition),
        adopt: (read, shard) => {
          loaded = read;
          return this.adopt(tp.partition, read, resume, shard);
        },
        onActive: () => {
          for (const e of resume) this.startMarkers(e);
        },
      });
    } catch (e) {
      this.opts.log.error("loading the transactions of {topic}-{partition} failed: {reason}", {
        topic: CONSUMER_OFFSETS_TOPIC,
        partition: tp.partition,
        reason: String((e as Error)?.message ?? e),
      });
      throw e;
    }
    // Already held (only the epoch changed), or released (or acquired again) while loading.
    if (shard === null) return;
    if (loaded.length > 0) {
      this.opts.log.info(
        "coordinating transactions of {topic}-{partition} (epoch {epoch}): {ids} ids, {resumed} ending",
        {
          topic: CONSUMER_OFFSETS_TOPIC,
          partition: tp.partition,
          epoch: leaderEpoch,
          ids: loaded.length,
          resumed: resume.length,
        },
      );
    }
  }

  /**
   * Takes a loaded partition's ids into memory (its shard still loading). An open or ending transaction another
   * coordinator wrote last is claimed first (rewritten, naming this one), so that coordinator, were it only
   * stalled, fails its next compare-and-set rather than, say, starting a new transaction over the Prepare* this one
   * is completing. Requests wait meanwhile (COORDINATOR_LOAD_IN_PROGRESS).
   */
  private async adopt(
    partition: number,
    loaded: Awaited<ReturnType<TxnLog["load"]>>,
    resume: Entry[],
    shard: Shard,
  ): Promise<void> {
    this.opts.mirror?.loaded(partition, loaded.map((t) => t.meta));
    for (const t of loaded) {
      const e: Entry = {
        id: t.meta.transactionalId,
        name: t.name,
        offsetsPartition: partition,
        meta: t.meta,
        stored: t.stored,
        pendingMarkers: null,
      };
      this.entries.set(e.id, e);
      if (isPreparing(t.meta.state)) resume.push(e);
    }
    for (const t of loaded) {
      const e = this.entries.get(t.meta.transactionalId);
      if (e === undefined || isIdle(t.meta.state) || t.by === this.instance) continue;
      if (!this.runtime.isCurrent(shard) || this.closed) return; // released meanwhile: the rest is not ours
      try {
        await this.persist(e, e.meta);
      } catch (err) {
        this.logFailure(`claiming the transaction of ${e.id}`, err); // fenced: persist re-read it
      }
    }
  }

  /**
   * This gateway stops coordinating partition `tp.partition`'s ids: requests get NOT_COORDINATOR at once, marker
   * rounds stop (the next coordinator resumes them), and the release waits (bounded) for the writes in flight.
   */
  async release(tp: TopicPartitionRef): Promise<void> {
    if (tp.topic !== CONSUMER_OFFSETS_TOPIC) return;
    if (this.runtime.shard(tp.partition) === undefined) return;
    // Best effort (the next coordinator repeats the markers of a Prepare* it finds), while this one still holds it.
    await settledWithin([this.flushAll((e) => e.offsetsPartition === tp.partition)], RELEASE_WAIT_MS);
    const ids = [...this.entries.values()].filter((e) => e.offsetsPartition === tp.partition).map((e) =>
      e.id
    );
    const released = await this.runtime.release(
      tp.partition,
      () => this.opts.mirror?.released(tp.partition),
      ids,
    );
    // Released concurrently, or acquired again meanwhile: nothing to forget here.
    if (released === undefined || this.runtime.shard(tp.partition) !== undefined) return;
    for (const id of ids) {
      const e = this.entries.get(id);
      if (e !== undefined && e.offsetsPartition === tp.partition) this.entries.delete(id);
      if (this.unflushed.get(id)?.offsetsPartition === tp.partition) this.unflushed.delete(id);
    }
  }

  // ---------------------------------------------------------------- requests

  /**
   * InitProducerId with a transactional id (Kafka's handleInitProducerId): a new id gets a fresh producer id at
   * epoch 0; a known one gets its epoch bumped (fencing the previous producer). An Ongoing transaction is aborted
   * first with a bumped epoch and the client told CONCURRENT_TRANSACTIONS (it retries once the abort completed).
   * `expected` (v3+, KIP-360) is the producer id and epoch the producer holds: a stale epoch is PRODUCER_FENCED, a
   * retry of a bump that succeeded gets the same answer, an exhausted epoch gets a new producer id.
   */
  async initProducerId(
    transactionalId: string,
    timeoutMs: number,
    expected: { producerId: number; producerEpoch: number } | null,
  ): Promise<{ producerId: number; producerEpoch: number }> {
    if (transactionalId === "") fail(ErrorCode.INVALID_REQUEST, "empty transactional id");
    if (timeoutMs <= 0 || timeoutMs > this.cfg.maxTimeoutMs) {
      fail(
        ErrorCode.INVALID_TRANSACTION_TIMEOUT,
        `transaction.timeout.ms ${timeoutMs} is not in 1..${this.cfg.maxTimeoutMs} (transaction.max.timeout.ms)`,
      );
    }
    if (expected !== null && expected.producerId === NO_PRODUCER_ID) expected = null;
    return await this.runtime.serial(transactionalId, async () => {
      const p = this.own(transactionalId);
      let e = this.entries.get(transactionalId);
      if (e === undefined) {
        const producerId = await this.opts.producerIds.newProducerId();
        const name = await txnDocumentName(p, transactionalId);
        this.own(transactionalId); // still ours after the waits?
        const meta = newTxnMetadata(transactionalId, producerId, timeoutMs, this.cfg.now());
        e = { id: transactionalId, name, offsetsPartition: p, meta, stored: null, pendingMarkers: null };
        this.entries.set(transactionalId, e);
      }
      const m = e.meta;
      // Kafka's isValidProducerId: the metadata was just created, or the id is the current one (its epoch is
      // checked below), or the previous one with an exhausted epoch (a retry of the rotation).
      if (
        expected !== null && m.producerEpoch !== NO_PRODUCER_EPOCH && expected.producerId !== m.producerId &&
        !(expected.producerId === m.previousProducerId && isEpochExhausted(expected.producerEpoch))
      ) fail(ErrorCode.PRODUCER_FENCED, `producer id ${expected.producerId} is not the current one`);
      switch (m.state) {
        case "PrepareCommit":
        case "PrepareAbort":
          fail(ErrorCode.CONCURRENT_TRANSACTIONS, "the previous transaction is still completing");
          // falls through (unreachable: fail throws)
        case "Ongoing":
          // Fence the producer that holds the transaction and abort it; the client retries after it completed.
          await this.beginAbort(e, false);
          fail(
            ErrorCode.CONCURRENT_TRANSACTIONS,
            "aborting the ongoing transaction of the previous producer",
          );
          // falls through
        case "Empty":
        case "CompleteCommit":
        case "CompleteAbort": {
          let next: TxnMetadata;
          const bump = producerBump(m, expected);
          if (bump === "fenced") {
            fail(
              ErrorCode.PRODUCER_FENCED,
              `epoch ${expected?.producerEpoch} of producer ${expected?.producerId} is stale (current ${m.producerEpoch})`,
            );
          } else if (bump === "rotate") {
            const producerId = await this.opts.producerIds.newProducerId();
            next = {
              ...m,
              producerId,
              previousProducerId: m.producerId,
              producerEpoch: 0,
              lastProducerEpoch: expected !== null ? m.producerEpoch : NO_PRODUCER_EPOCH,
            };
          } else if (bump === "bump") {
            next = { ...m, producerEpoch: m.producerEpoch + 1, lastProducerEpoch: m.producerEpoch };
          } else next = m; // a retry of the bump it already got: answered the same
          next = {
            ...next,
            timeoutMs,
            state: "Empty",
            partitions: [],
            startMs: -1,
            lastUpdateMs: this.cfg.now(),
          };
          await this.persist(e, next);
          return { producerId: next.producerId, producerEpoch: next.producerEpoch };
        }
        default:
          fail(ErrorCode.INVALID_TXN_STATE, `transactional id in state ${m.state}`);
      }
    });
  }

  /**
   * AddPartitionsToTxn (and AddOffsetsToTxn with the group's `__consumer_offsets` partition): the transaction
   * begins (Empty/Complete* → Ongoing) or grows. Throws KafkaError INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED,
   * CONCURRENT_TRANSACTIONS, NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS.
   */
  async addPartitions(
    transactionalId: string,
    producerId: number,
    producerEpoch: number,
    partitions: readonly TopicPartitionRef[],
  ): Promise<void> {
    if (transactionalId === "") fail(ErrorCode.INVALID_REQUEST, "empty transactional id");
    return await this.runtime.serial(transactionalId, async () => {
      const e = this.current(transactionalId, producerId, producerEpoch);
      const m = e.meta;
      if (isPreparing(m.state)) {
        fail(ErrorCode.CONCURRENT_TRANSACTIONS, "the previous transaction is still completing");
      }
      if (m.state === "Ongoing" && containsAll(m.partitions, partitions)) return;
      if (m.state !== "Ongoing" && !isIdle(m.state)) fail(ErrorCode.INVALID_TXN_STATE, `state ${m.state}`);
      await this.persist(e, {
        ...m,
        state: "Ongoing",
        partitions: mergePartitions(m.partitions, partitions),
        startMs: m.state === "Ongoing" ? m.startMs : this.cfg.now(),
        lastUpdateMs: this.cfg.now(),
      });
    });
  }

  /**
   * AddPartitionsToTxn v4 verify_only (KIP-890 part 1), per partition: NONE when it is in the ongoing
   * transaction, INVALID_TXN_STATE when not; the whole request fails (thrown KafkaError) with
   * INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED, CONCURRENT_TRANSACTIONS, NOT_COORDINATOR or
   * COORDINATOR_LOAD_IN_PROGRESS.
   */
  async verifyPartitions(
    transactionalId: string,
    producerId: number,
    producerEpoch: number,
    partitions: readonly TopicPartitionRef[],
  ): Promise<number[]> {
    return await this.runtime.serial(transactionalId, () => {
      const m = this.current(transactionalId, producerId, producerEpoch).meta;
      if (isPreparing(m.state)) fail(ErrorCode.CONCURRENT_TRANSACTIONS, "the transaction is completing");
      return Promise.resolve(
        partitions.map((tp) =>
          m.state === "Ongoing" && containsAll(m.partitions, [tp])
            ? ErrorCode.NONE
            : ErrorCode.INVALID_TXN_STATE
        ),
      );
    });
  }

  /** TxnVerifier (./contracts.ts) for a partition this gateway leads when it also coordinates the id. */
  async verify(
    transactionalId: string,
    producerId: number,
    producerEpoch: number,
    partition: TopicPartitionRef,
  ): Promise<void> {
    let code: number;
    try {
      [code] = await this.verifyPartitions(transactionalId, producerId, producerEpoch, [partition]);
    } catch (e) {
      // An id or producer id the coordinator does not know: the partition is not in its transaction either.
      if (e instanceof KafkaError && e.code === ErrorCode.INVALID_PRODUCER_ID_MAPPING) {
        fail(ErrorCode.INVALID_TXN_STATE, e.message);
      }
      throw e;
    }
    if (code !== ErrorCode.NONE) {
      fail(
        code,
        `${partition.topic}-${partition.partition} was not added to the transaction of ${transactionalId}`,
      );
    }
  }

  /**
   * EndTxn: Ongoing → PrepareCommit/PrepareAbort, durable before it resolves; markers follow in the background,
   * then Complete* (waited for up to endTxnWaitMs). A retry of an end that completed is answered NONE, one still
   * completing CONCURRENT_TRANSACTIONS, the opposite outcome or no transaction INVALID_TXN_STATE (Kafka's rules).
   */
  async endTransaction(
    transactionalId: string,
    producerId: number,
    producerEpoch: number,
    commit: boolean,
  ): Promise<void> {
    if (transactionalId === "") fail(ErrorCode.INVALID_REQUEST, "empty transactional id");
    // The markers' task is returned boxed: a promise resolved with a promise would adopt it, and the id's chain
    // would then wait for the completion, which itself needs the chain.
    const ending = await this.runtime.serial(
      transactionalId,
      async (): Promise<{ task: Promise<void> } | null> => {
        const e = this.current(transactionalId, producerId, producerEpoch);
        const m = e.meta;
        switch (m.state) {
          case "Ongoing":
            await this.persist(e, {
              ...m,
              state: commit ? "PrepareCommit" : "PrepareAbort",
              lastUpdateMs: this.cfg.now(),
            });
            return { task: this.startMarkers(e) };
          case "CompleteCommit":
            if (commit) return null;
            break;
          case "CompleteAbort":
            if (!commit) return null;
            break;
          case "PrepareCommit":
            if (commit) fail(ErrorCode.CONCURRENT_TRANSACTIONS, "the commit is completing");
            break;
          case "PrepareAbort":
            if (!commit) fail(ErrorCode.CONCURRENT_TRANSACTIONS, "the abort is completing");
            break;
        }
        fail(ErrorCode.INVALID_TXN_STATE, `cannot ${commit ? "commit" : "abort"} in state ${m.state}`);
      },
    );
    // The outcome is decided (Prepare* is durable). Kafka answers now; this coordinator first gives the markers
    // a moment (off the id's chain, which the completion needs): the common case then answers with the
    // transaction complete, so the producer's next AddPartitionsToTxn is not sent back with
    // CONCURRENT_TRANSACTIONS and its offsets are visible once commit returns. A partition whose leader is away
    // does not hold the answer longer than endTxnWaitMs.
    if (ending !== null && this.cfg.endTxnWaitMs > 0) {
      await settledWithin([ending.task], this.cfg.endTxnWaitMs);
    }
  }

  // ---------------------------------------------------------------- views

  /** DescribeTransactions: the id's transaction, or null when unknown; throws NOT_COORDINATOR / LOAD_IN_PROGRESS. */
  describe(transactionalId: string): TxnView | null {
    this.own(transactionalId);
    const e = this.entries.get(transactionalId);
    return e === undefined || e.stored === null
      ? null
      : txnView(e.meta, e.offsetsPartition, e.pendingMarkers);
  }

  /** ListTransactions: the transactions of every partition held; null while some partition is still loading. */
  list(filter: ListTxnFilter): TxnView[] | null {
    for (const shard of this.runtime.held()) if (shard.state === "loading") return null;
    const now = this.cfg.now();
    return this.transactions().filter((t) => listed(t, filter, now));
  }

  /** Every transactional id this gateway coordinates now (the dashboard lists the open ones). */
  transactions(): TxnView[] {
    const out: TxnView[] = [];
    for (const e of this.entries.values()) {
      if (this.runtime.isActive(e.offsetsPartition) && e.stored !== null) {
        out.push(txnView(e.meta, e.offsetsPartition, e.pendingMarkers));
      }
    }
    return out;
  }

  /** The partitions held, their loads and fenced writes (metrics). */
  runtimeStats(): RuntimeStats {
    return this.runtime.stats();
  }

  /** Counts for the metrics. */
  stats(): TxnStats {
    let open = 0;
    for (const e of this.entries.values()) if (isOpen(e.meta.state)) open++;
    return {
      ids: this.entries.size,
      open,
      committed: this.committed,
      aborted: this.aborted,
      timedOut: this.timedOut,
    };
  }

  // ---------------------------------------------------------------- timeouts and expiration

  /**
   * Aborts every Ongoing transaction older than its timeout, bumping the epoch as Kafka does so that the
   * producer that let it time out is fenced. Resolves when their PrepareAbort is durable.
   */
  async abortTimedOut(): Promise<void> {
    const now = this.cfg.now();
    const due = [...this.entries.values()].filter((e) =>
      e.meta.state === "Ongoing" && e.meta.startMs + e.meta.timeoutMs < now && this.holds(e)
    );
    await Promise.all(due.map((e) =>
      this.runtime.serial(e.id, async () => {
        const m = e.meta;
        if (this.entries.get(e.id) !== e || !this.holds(e) || m.state !== "Ongoing") return;
        if (m.startMs + m.timeoutMs >= this.cfg.now()) return;
        this.opts.log.info(
          "aborting the transaction of {id} (producer {pid} epoch {epoch}): older than its timeout of {ms} ms",
          { id: e.id, pid: m.producerId, epoch: m.producerEpoch, ms: m.timeoutMs },
        );
        await this.beginAbort(e, true);
      }).catch((err) => this.logFailure(`aborting the timed-out transaction of ${e.id}`, err))
    ));
  }

  /** Forgets ids idle for longer than transactional.id.expiration.ms (their documents are deleted). */
  async expireIds(): Promise<void> {
    const now = this.cfg.now();
    const due = [...this.entries.values()].filter((e) =>
      isIdle(e.meta.state) && e.meta.lastUpdateMs + this.cfg.idExpirationMs < now && this.holds(e)
    );
    await Promise.all(due.map((e) =>
      this.runtime.serial(e.id, async () => {
        if (this.entries.get(e.id) !== e || !this.holds(e) || !isIdle(e.meta.state)) return;
        if (e.meta.lastUpdateMs + this.cfg.idExpirationMs >= this.cfg.now()) return;
        if (e.stored !== null && !await this.txnLog.delete(e.name, e.stored)) {
          await this.fenced(e);
          return;
        }
        if (e.stored !== null) this.opts.mirror?.deleted(e.offsetsPartition, e.id);
        if (this.entries.get(e.id) === e) this.entries.delete(e.id);
        this.opts.log.info("transactional id {id} expired (idle since {since})", {
          id: e.id,
          since: new Date(e.meta.lastUpdateMs).toISOString(),
        });
      }).catch((err) => this.logFailure(`expiring transactional id ${e.id}`, err))
    ));
  }

  // ---------------------------------------------------------------- internals

  /**
   * Ongoing → PrepareAbort with the epoch bumped (Kafka's PrepareEpochFence followed by the abort, written as one
   * step), then the markers. Runs on the id's chain.
   */
  private async beginAbort(e: Entry, timedOut: boolean): Promise<void> {
    const m = e.meta;
    const epoch = m.producerEpoch < MAX_PRODUCER_EPOCH ? m.producerEpoch + 1 : m.producerEpoch;
    await this.persist(e, {
      ...m,
      producerEpoch: epoch,
      lastProducerEpoch: NO_PRODUCER_EPOCH,
      state: "PrepareAbort",
      lastUpdateMs: this.cfg.now(),
    });
    if (timedOut) this.timedOut++;
    this.startMarkers(e);
  }

  /** Starts the marker round of a Prepare* entry in the background (tracked so close and idle can wait). */
  private startMarkers(e: Entry): Promise<void> {
    const meta = e.meta;
    e.pendingMarkers = [...meta.partitions];
    const task: Promise<void> = this.completeEnd(e, meta)
      .catch((err) => this.logFailure(`ending the transaction of ${e.id}`, err))
      .finally(() => this.tasks.delete(task));
    this.tasks.add(task);
    return task;
  }

  /**
   * Sends the markers of `meta` (a Prepare* state of `e`) until every partition has one, then writes Complete*.
   * Stops when this gateway no longer coordinates the id: the next coordinator resumes from the stored Prepare*.
   */
  private async completeEnd(e: Entry, meta: TxnMetadata): Promise<void> {
    const commit = meta.state === "PrepareCommit";
    const marker: TxnMarker = {
      producerId: meta.producerId,
      producerEpoch: meta.producerEpoch,
      commit,
      coordinatorEpoch: Math.max(0, this.runtime.shard(e.offsetsPartition)?.epoch ?? 0),
    };
    const done = await runMarkerRound({
      id: e.id,
      marker,
      partitions: meta.partitions,
      writer: this.opts.markers,
      log: this.opts.log,
      retryMs: this.cfg.markerRetryMs,
      partitionExists: this.opts.partitionExists,
      going: () => this.stillEnding(e, meta),
      pending: (pending) => {
        if (this.entries.get(e.id) === e && e.meta === meta) e.pendingMarkers = pending;
      },
      failed: (err) => this.logFailure(`writing markers for ${e.id}`, err),
      sleep: (ms) => sleep(ms, this.stopping.signal),
    });
    if (!done) return;
    // Every marker is written: Complete*, in memory at once. Its durable write is deferred (flushComplete): the
    // document still says Prepare*, which after a crash or a move only makes the next coordinator write the same
    // markers again (idempotent), and the id's next state change (the next transaction's AddPartitionsToTxn,
    // which must come before any of its data) replaces the document anyway. That saves one durable write per
    // transaction on the path a producer waits for.
    await this.runtime.serial(e.id, () => {
      if (!this.stillEnding(e, meta)) return Promise.resolve();
      e.meta = {
        ...meta,
        state: commit ? "CompleteCommit" : "CompleteAbort",
        partitions: [],
        lastUpdateMs: this.cfg.now(),
      };
      e.pendingMarkers = null;
      if (commit) this.committed++;
      else this.aborted++;
      this.scheduleFlush(e);
      return Promise.resolve();
    });
  }

  /** Writes a Complete* state kept only in memory, unless a newer state was written meanwhile. */
  private async flushComplete(e: Entry): Promise<void> {
    await this.runtime.serial(e.id, async () => {
      if (this.unflushed.get(e.id) !== e) return; // written meanwhile (persist) or forgotten
      this.unflushed.delete(e.id);
      const m = e.meta;
      if ((m.state !== "CompleteCommit" && m.state !== "CompleteAbort") || !this.holds(e)) return;
      if (this.entries.get(e.id) !== e) return;
      try {
        await this.persist(e, m);
      } catch (err) {
        // Not fatal: the stored Prepare* only makes a later coordinator repeat the markers.
        this.logFailure(`recording the completion of ${e.id}`, err);
      }
    });
  }

  private scheduleFlush(e: Entry): void {
    this.unflushed.set(e.id, e);
    if (this.flushTimer !== null || this.closed) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      void this.flushAll();
    }, COMPLETE_FLUSH_MS);
  }

  /** Writes every deferred Complete* state (timer, release, close). */
  private async flushAll(only?: (e: Entry) => boolean): Promise<void> {
    const due = [...this.unflushed.values()].filter((e) => only === undefined || only(e));
    await Promise.all(due.map((e) => this.flushComplete(e)));
  }

  private stillEnding(e: Entry, meta: TxnMetadata): boolean {
    return !this.closed && this.holds(e) && this.entries.get(e.id) === e && e.meta === meta;
  }

  private holds(e: Entry): boolean {
    return this.runtime.isActive(e.offsetsPartition);
  }

  /**
   * The `__consumer_offsets` partition of an id this gateway coordinates now; throws NOT_COORDINATOR or
   * COORDINATOR_LOAD_IN_PROGRESS.
   */
  private own(transactionalId: string): number {
    if (this.closed) fail(ErrorCode.NOT_COORDINATOR, "the gateway is shutting down");
    const p = this.opts.cluster.coordinatorPartition(transactionalId);
    const shard = this.runtime.shard(p);
    if (shard?.state === "loading") fail(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    const { cluster } = this.opts;
    if (shard === undefined || !cluster.coordinates(transactionalId)) {
      // Led here but the takeover has not reached (or finished) this partition: FindCoordinator already names this
      // gateway, so the client should wait here (Kafka's loadingPartitions), not look the coordinator up again.
      if (cluster.coordinatorOf(transactionalId).leaderId === cluster.nodeId) {
        fail(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, `${CONSUMER_OFFSETS_TOPIC}-${p} is being taken over`);
      }
      fail(ErrorCode.NOT_COORDINATOR, `${CONSUMER_OFFSETS_TOPIC}-${p} is not coordinated by this gateway`);
    }
    return p;
  }

  /** The id's entry when the request's producer id and epoch are its current ones (Kafka's checks, in order). */
  private current(transactionalId: string, producerId: number, producerEpoch: number): Entry {
    this.own(transactionalId);
    const e = this.entries.get(transactionalId);
    if (e === undefined || e.stored === null || e.meta.producerId !== producerId) {
      fail(
        ErrorCode.INVALID_PRODUCER_ID_MAPPING,
        `producer id ${producerId} is not that of ${transactionalId}`,
      );
    }
    if (e.meta.producerEpoch !== producerEpoch) {
      fail(
        ErrorCode.PRODUCER_FENCED,
        `epoch ${producerEpoch} of producer ${producerId} is not the current ${e.meta.producerEpoch}`,
      );
    }
    return e;
  }

  /**
   * Writes `next` as the id's state (compare-and-set on what this coordinator last wrote) and installs it. A lost
   * compare-and-set: NOT_COORDINATOR (the document is re-read); a store failure: COORDINATOR_NOT_AVAILABLE.
   */
  private async persist(e: Entry, next: TxnMetadata): Promise<void> {
    let stored: Uint8Array | null;
    try {
      stored = await this.txnLog.write(e.name, next, e.stored, this.instance);
    } catch (err) {
      this.logFailure(`writing the transaction state of ${e.id}`, err);
      fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, "the transaction log could not be written");
    }
    if (stored === null) {
      await this.fenced(e);
      fail(ErrorCode.NOT_COORDINATOR, `another coordinator changed the state of ${e.id}`);
    }
    e.meta = next;
    e.stored = stored;
    this.opts.mirror?.written(e.offsetsPartition, next);
    if (this.unflushed.get(e.id) === e) this.unflushed.delete(e.id); // the document is current again
    if (!isPreparing(next.state)) e.pendingMarkers = null;
  }

  /** A lost compare-and-set: the stored document is what counts; re-read it (or forget the id when gone). */
  private async fenced(e: Entry): Promise<void> {
    this.opts.log.warn(
      "transaction state of {id} was changed by another coordinator: this gateway is fenced for it",
      { id: e.id },
    );
    let doc;
    try {
      doc = await this.txnLog.read(e.name);
    } catch {
      doc = undefined;
    }
    if (this.entries.get(e.id) !== e) return;
    if (doc === undefined || doc === null) {
      this.entries.delete(e.id);
      // Still held (an odd overlap): the view follows the documents.
      if (doc === null && this.holds(e)) this.opts.mirror?.deleted(e.offsetsPartition, e.id);
      return;
    }
    e.meta = doc.meta;
    e.stored = doc.stored;
    e.pendingMarkers = null;
    if (this.holds(e)) this.opts.mirror?.written(e.offsetsPartition, doc.meta);
    // Still ours (an odd overlap, not a takeover): an ending transaction needs its markers from here.
    if (isPreparing(doc.meta.state) && this.holds(e)) this.startMarkers(e);
  }

  private logFailure(what: string, err: unknown): void {
    if (err instanceof KafkaError) {
      this.opts.log.warn("{what}: {reason}", { what, reason: err.message });
    } else {
      this.opts.log.error("{what} failed: {reason}", { what, reason: String((err as Error)?.stack ?? err) });
    }
  }
}
