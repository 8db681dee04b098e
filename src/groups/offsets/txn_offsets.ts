// Pending transactional offsets: what TxnOffsetCommit stored for a producer's transaction in a group, kept apart
// from the committed offsets (./committed_offsets.ts) until the transaction's marker reaches the group's
// `__consumer_offsets` partition — COMMIT makes them committed offsets (through the normal commit path), ABORT
// drops them. As in Kafka's OffsetMetadataManager (pendingTransactionalOffsets, openTransactions):
// - they are invisible to OffsetFetch; with require_stable a partition that has one answers UNSTABLE_OFFSET_COMMIT
//   (from the moment the TxnOffsetCommit is being stored, as Kafka's pending records are);
// - OffsetDelete, DeleteGroups and a deleted topic remove them with the committed offsets (Kafka's tombstone
//   removes both); an offset with a pending transactional one does not expire, nor does its group go;
// - an older producer epoch than the one stored is refused (INVALID_PRODUCER_EPOCH, as the log refuses it);
// - KIP-890: a TxnOffsetCommit verified with the transaction coordinator holds a VerificationGuard; a marker for
//   that producer written meanwhile voids it, and the commit is refused (INVALID_TXN_STATE) instead of starting a
//   dangling "transaction" that the producer's next marker would commit.
//
// Durability: each (group, producer id) has a document (./txn_documents.ts), written before a TxnOffsetCommit is
// answered and deleted once its marker is applied; the coordinator of a `__consumer_offsets` partition reads them
// when it acquires the partition (a crash between TxnOffsetCommit and the marker loses nothing: the coordinator,
// here or on another gateway, applies the marker when the transaction coordinator retries it) and forgets them on
// release. Writes are compare-and-set over what was read and run only while this gateway coordinates the
// partition (the PartitionFence); the operations of one document run one at a time.
import { ErrorCode, KafkaError } from "../../protocol/errors.ts";
import type { Logger } from "../../log.ts";
import type { DocumentStore } from "../../storage/documents.ts";
import { type CommittedOffset, offsetKey } from "../../storage/group_store.ts";
import type { TopicPartition } from "./contract.ts";
import {
  decodeTxnOffsets,
  encodeTxnOffsets,
  type TxnOffsetsDoc,
  txnOffsetsName,
  txnOffsetsPrefix,
} from "./txn_documents.ts";
import { SerialQueue } from "../../serial.ts";

/**
 * Runs a document write of `__consumer_offsets` partition `offsetsPartition` only while this coordinator may
 * write for it; rejects with KafkaError NOT_COORDINATOR otherwise (also when it lost the partition meanwhile).
 */
export type PartitionFence = <T>(offsetsPartition: number, write: () => Promise<T>) => Promise<T>;

/** Commits a transaction's offsets into the committed offsets of a group (durable before it resolves). */
export type ApplyCommitted = (groupId: string, offsets: readonly CommittedOffset[]) => Promise<void>;

/**
 * Kafka's verification guard (KIP-890): taken before a TxnOffsetCommit asks the transaction coordinator whether
 * the group's partition is in the producer's transaction; a marker for that producer on that partition voids it.
 */
export class VerificationGuard {
  valid = true;
  constructor(readonly offsetsPartition: number, readonly producerId: number) {}
}

/** A document read from the store. */
export interface LoadedTxnOffsets {
  readonly offsetsPartition: number;
  readonly name: string;
  readonly doc: TxnOffsetsDoc;
}

/** Compare-and-set attempts of one document write before giving up (another gateway keeps writing it). */
const CAS_ATTEMPTS = 3;

/** The pending offsets of one producer in one group, as stored, and the operations on its document. */
class Pending {
  /** offsetKey -> offset, as the document holds it. */
  offsets = new Map<string, CommittedOffset>();
  /** offsetKey -> TxnOffsetCommits storing it now (already unstable for require_stable). */
  readonly writing = new Map<string, number>();
  /** The operations of the document, one at a time (its size counts those queued or running, for idle). */
  readonly queue = new SerialQueue();
  private docName: Promise<string> | null;

  constructor(
    readonly groupId: string,
    readonly producerId: number,
    readonly offsetsPartition: number,
    public epoch: number,
    name: string | null = null,
  ) {
    this.docName = name === null ? null : Promise.resolve(name);
  }

  name(): Promise<string> {
    return this.docName ??= txnOffsetsName(this.offsetsPartition, this.groupId, this.producerId);
  }

  /** Takes the stored content (null: the document is gone). */
  load(doc: TxnOffsetsDoc | null): void {
    this.offsets = new Map((doc?.offsets ?? []).map((o) => [offsetKey(o.topic, o.partition), o]));
    if (doc !== null) this.epoch = doc.producerEpoch;
  }

  has(key: string): boolean {
    return this.offsets.has(key) || this.writing.has(key);
  }

  get idle(): boolean {
    return this.queue.size === 0 && this.offsets.size === 0 && this.writing.size === 0;
  }
}

export class TransactionalOffsets {
  /** groupId -> producerId -> pending offsets (entries leave when idle and empty). */
  private readonly groups = new Map<string, Map<number, Pending>>();
  private readonly guards = new Set<VerificationGuard>();

  constructor(
    private readonly docs: DocumentStore,
    private readonly partitionOf: (groupId: string) => number,
    private readonly fence: PartitionFence,
    private readonly log: Logger,
  ) {}

  // ---------------------------------------------------------------- loading (acquire, start-up) and release

  /**
   * Reads the stored pending offsets of `__consumer_offsets` partition `offsetsPartition` (null: of every
   * partition, a solo coordinator's start-up). A document that cannot be read as one is logged and left stored.
   */
  async read(offsetsPartition: number | null): Promise<LoadedTxnOffsets[]> {
    const names = await this.docs.list(txnOffsetsPrefix(offsetsPartition));
    const read = await Promise.all(names.map(async (name): Promise<LoadedTxnOffsets | null> => {
      const stored = await this.docs.get(name);
      if (stored === null) return null; // completed meanwhile
      let doc: TxnOffsetsDoc;
      try {
        doc = decodeTxnOffsets(stored.data);
      } catch (e) {
        this.log.error("ignoring transactional offsets document {name}: {reason}", {
          name,
          reason: String(e),
        });
        return null;
      }
      const p = this.partitionOf(doc.groupId);
      // A document of another partition (the offsets partition count changed) would never get its marker here.
      if (name !== await txnOffsetsName(p, doc.groupId, doc.producerId)) {
        this.log.error("ignoring transactional offsets document {name}: group {group} is on partition {p}", {
          name,
          group: doc.groupId,
          p,
        });
        return null;
      }
      return { offsetsPartition: p, name, doc };
    }));
    return read.filter((r) => r !== null);
  }

  /** Holds what read() returned (the partition was acquired, or a solo coordinator started). */
  adopt(loaded: readonly LoadedTxnOffsets[]): void {
    for (const { offsetsPartition, name, doc } of loaded) {
      const p = new Pending(doc.groupId, doc.producerId, offsetsPartition, doc.producerEpoch, name);
      p.load(doc);
      if (p.offsets.size === 0) continue;
      let m = this.groups.get(doc.groupId);
      if (m === undefined) this.groups.set(doc.groupId, m = new Map());
      m.set(doc.producerId, p);
    }
  }

  /** Forgets the partition's pending offsets (released: the next coordinator reads them from the store). */
  drop(offsetsPartition: number): void {
    for (const [groupId, m] of this.groups) {
      for (const [pid, p] of m) if (p.offsetsPartition === offsetsPartition) m.delete(pid);
      if (m.size === 0) this.groups.delete(groupId);
    }
    for (const g of this.guards) if (g.offsetsPartition === offsetsPartition) g.valid = false;
  }

  // ---------------------------------------------------------------- reads

  /** Whether a transaction has a pending offset for the group's partition (require_stable, retention). */
  isUnstable(groupId: string, topic: string, partition: number): boolean {
    const m = this.groups.get(groupId);
    if (m === undefined) return false;
    const k = offsetKey(topic, partition);
    for (const p of m.values()) if (p.has(k)) return true;
    return false;
  }

  /** Whether any transaction has pending offsets in the group (it exists; it does not go with its last offset). */
  hasGroup(groupId: string): boolean {
    return this.groups.has(groupId);
  }

  groupIds(): IterableIterator<string> {
    return this.groups.keys();
  }

  /** Number of (group, producer) pairs with pending offsets. */
  get size(): number {
    let n = 0;
    for (const m of this.groups.values()) n += m.size;
    return n;
  }

  // ---------------------------------------------------------------- TxnOffsetCommit

  /** A guard for a TxnOffsetCommit about to be verified; endGuard() once its add() was called (or it failed). */
  guard(offsetsPartition: number, producerId: number): VerificationGuard {
    const g = new VerificationGuard(offsetsPartition, producerId);
    this.guards.add(g);
    return g;
  }

  endGuard(g: VerificationGuard): void {
    this.guards.delete(g);
  }

  /**
   * Stores offsets pending in the producer's transaction (validated by the caller). Rejects with KafkaError
   * INVALID_TXN_STATE (the guard was voided by a marker), INVALID_PRODUCER_EPOCH (an older epoch than stored),
   * NOT_COORDINATOR (the partition moved); other errors are the store's.
   */
  add(
    groupId: string,
    producerId: number,
    producerEpoch: number,
    offsets: readonly CommittedOffset[],
    guard: VerificationGuard | null,
  ): Promise<void> {
    // Checked synchronously: a marker that runs after this point is queued behind this write and includes it.
    if (guard !== null && !guard.valid) {
      return Promise.reject(
        new KafkaError(
          ErrorCode.INVALID_TXN_STATE,
          `the transaction of producer ${producerId} ended while its offsets commit was verified`,
        ),
      );
    }
    let m = this.groups.get(groupId);
    let p = m?.get(producerId);
    if (p !== undefined && producerEpoch < p.epoch) {
      return Promise.reject(staleEpoch(producerId, producerEpoch, p.epoch));
    }
    if (p === undefined) {
      p = new Pending(groupId, producerId, this.partitionOf(groupId), producerEpoch);
      if (m === undefined) this.groups.set(groupId, m = new Map());
      m.set(producerId, p);
    }
    const pending = p;
    const keys = offsets.map((o) => offsetKey(o.topic, o.partition));
    for (const k of keys) pending.writing.set(k, (pending.writing.get(k) ?? 0) + 1);
    return this.op(pending, async () => {
      try {
        const doc = await this.fence(pending.offsetsPartition, () =>
          this.rewrite(pending, (base) => {
            if (base !== null && producerEpoch < base.producerEpoch) {
              throw staleEpoch(producerId, producerEpoch, base.producerEpoch);
            }
            const merged = new Map((base?.offsets ?? []).map((o) => [offsetKey(o.topic, o.partition), o]));
            for (const o of offsets) merged.set(offsetKey(o.topic, o.partition), o);
            return { groupId, producerId, producerEpoch, offsets: [...merged.values()] };
          }));
        pending.load(doc);
      } finally {
        for (const k of keys) {
          const n = pending.writing.get(k)! - 1;
          if (n === 0) pending.writing.delete(k);
          else pending.writing.set(k, n);
        }
      }
    });
  }

  // ---------------------------------------------------------------- transaction markers

  /**
   * The producer's transaction ended on `__consumer_offsets` partition `offsetsPartition`: in every group on it,
   * its pending offsets are committed through `apply` (commit) or dropped, and the documents deleted. Idempotent:
   * a repeated marker finds nothing. Resolves with the ids of the groups that had some.
   */
  async complete(
    offsetsPartition: number,
    producerId: number,
    commit: boolean,
    apply: ApplyCommitted,
  ): Promise<string[]> {
    for (const g of this.guards) {
      if (g.producerId === producerId && g.offsetsPartition === offsetsPartition) g.valid = false;
    }
    const entries: Pending[] = [];
    for (const m of this.groups.values()) {
      const p = m.get(producerId);
      if (p !== undefined && p.offsetsPartition === offsetsPartition) entries.push(p);
    }
    await Promise.all(entries.map((p) =>
      this.op(p, () =>
        this.fence(p.offsetsPartition, async () => {
          await this.finish(p, commit, apply);
          p.load(null);
        }))
    ));
    return entries.map((p) => p.groupId);
  }

  /** Applies (commit) the stored document's offsets, then deletes it; a document already gone was completed. */
  private async finish(p: Pending, commit: boolean, apply: ApplyCommitted): Promise<void> {
    const name = await p.name();
    for (let attempt = 1;; attempt++) {
      const stored = await this.docs.get(name);
      if (stored === null) return;
      const doc = decodeTxnOffsets(stored.data);
      if (commit && doc.offsets.length > 0) await apply(doc.groupId, doc.offsets);
      if (await this.docs.delete(name, stored.version)) return;
      if (attempt === CAS_ATTEMPTS) throw changedElsewhere(name);
    }
  }

  // ---------------------------------------------------------------- removals

  /** DeleteGroups: the group's pending offsets go with it. */
  async removeGroup(groupId: string): Promise<void> {
    const m = this.groups.get(groupId);
    if (m === undefined) return;
    await Promise.all([...m.values()].map((p) =>
      this.op(p, () =>
        this.fence(p.offsetsPartition, async () => {
          await this.rewrite(p, () => null);
          p.load(null);
        }))
    ));
  }

  /** OffsetDelete (and a deleted topic): pending offsets of these partitions go, as Kafka's tombstone takes them. */
  async removeOffsets(groupId: string, partitions: readonly TopicPartition[]): Promise<void> {
    const m = this.groups.get(groupId);
    if (m === undefined || partitions.length === 0) return;
    const gone = new Set(partitions.map((p) => offsetKey(p.topic, p.partition)));
    const touched = [...m.values()].filter((p) => [...gone].some((k) => p.has(k)));
    await Promise.all(touched.map((p) =>
      this.op(p, () =>
        this.fence(p.offsetsPartition, async () => {
          const doc = await this.rewrite(p, (base) => {
            if (base === null) return null;
            const left = base.offsets.filter((o) => !gone.has(offsetKey(o.topic, o.partition)));
            return left.length === 0 ? null : { ...base, offsets: left };
          });
          p.load(doc);
        }))
    ));
  }

  /** A topic was deleted: its pending offsets go from every group. Resolves with the groups that had some. */
  async removeTopic(topic: string): Promise<string[]> {
    const touched: string[] = [];
    for (const [groupId, m] of [...this.groups]) {
      const parts = new Map<string, TopicPartition>();
      for (const p of m.values()) {
        for (const o of p.offsets.values()) {
          if (o.topic === topic) {
            parts.set(offsetKey(o.topic, o.partition), { topic, partition: o.partition });
          }
        }
      }
      if (parts.size === 0) continue;
      touched.push(groupId);
      await this.removeOffsets(groupId, [...parts.values()]);
    }
    return touched;
  }

  // ---------------------------------------------------------------- internals

  /** Runs an operation of the document in its turn; the entry leaves memory once idle and empty. */
  private op<T>(p: Pending, fn: () => Promise<T>): Promise<T> {
    return p.queue.run(fn).finally(() => {
      // The queue counted this operation out before its caller heard of the outcome: size is what is left.
      if (!p.idle) return;
      const m = this.groups.get(p.groupId);
      if (m?.get(p.producerId) !== p) return; // released (or replaced by a new acquire) meanwhile
      m.delete(p.producerId);
      if (m.size === 0) this.groups.delete(p.groupId);
    });
  }

  /**
   * Read, change, compare-and-set: `change` gets the stored content (null: none) and returns the new content
   * (null: delete the document). Resolves with what is stored now.
   */
  private async rewrite(
    p: Pending,
    change: (base: TxnOffsetsDoc | null) => TxnOffsetsDoc | null,
  ): Promise<TxnOffsetsDoc | null> {
    const name = await p.name();
    for (let attempt = 1;; attempt++) {
      const stored = await this.docs.get(name);
      const next = change(stored === null ? null : decodeTxnOffsets(stored.data));
      const done = next === null
        ? stored === null || await this.docs.delete(name, stored.version)
        : await this.docs.put(name, encodeTxnOffsets(next), stored?.version ?? null) !== null;
      if (done) return next;
      if (attempt === CAS_ATTEMPTS) throw changedElsewhere(name);
    }
  }
}

function staleEpoch(producerId: number, epoch: number, current: number): KafkaError {
  return new KafkaError(
    ErrorCode.INVALID_PRODUCER_EPOCH,
    `producer ${producerId}: epoch ${epoch} is older than the ${current} of its pending offsets`,
  );
}

/** Another gateway keeps writing the document: this one is no longer the partition's coordinator. */
function changedElsewhere(name: string): KafkaError {
  return new KafkaError(ErrorCode.NOT_COORDINATOR, `transactional offsets ${name} keep changing elsewhere`);
}
