// The durable form of pending transactional offsets (TxnOffsetCommit, ./txn_offsets.ts): one document per
// (group, producer id) in the DocumentStore, named `txo-<offsetsPartition>-<sha1 hex of group id and producer id>`
// so that the coordinator of a `__consumer_offsets` partition lists exactly its groups' pending offsets when it
// acquires the partition. The content carries the group id and producer id themselves (a name is not reversible),
// the producer epoch of the latest commit, and the offsets with the time they were committed (which decides,
// when the transaction commits, whether a plain OffsetCommit made later already replaced one: Kafka keeps the
// later of the two by log position). JSON: the documents are small and rare (one per group per transaction).
import { hashedDocumentName } from "../../storage/documents.ts";
import type { CommittedOffset } from "../../storage/group_store.ts";

const FORMAT = 1;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** One document: the pending offsets of a producer's transaction in one group. */
export interface TxnOffsetsDoc {
  readonly groupId: string;
  readonly producerId: number;
  /** The epoch of the latest TxnOffsetCommit (an older epoch is refused: INVALID_PRODUCER_EPOCH). */
  readonly producerEpoch: number;
  readonly offsets: readonly CommittedOffset[];
}

/** The prefix of the documents of `__consumer_offsets` partition `p`, or of every partition (null). */
export function txnOffsetsPrefix(offsetsPartition: number | null): string {
  return offsetsPartition === null ? "txo-" : `txo-${offsetsPartition}-`;
}

/** The document name of a producer's pending offsets in a group (on the group's `__consumer_offsets` partition). */
export function txnOffsetsName(
  offsetsPartition: number,
  groupId: string,
  producerId: number,
): Promise<string> {
  return hashedDocumentName(txnOffsetsPrefix(offsetsPartition), `${groupId}\u0000${producerId}`);
}

interface StoredOffset {
  t: string;
  p: number;
  o: number;
  e: number;
  m: string | null;
  ts: number;
}

interface Stored {
  f: number;
  group: string;
  pid: number;
  epoch: number;
  offsets: StoredOffset[];
}

export function encodeTxnOffsets(d: TxnOffsetsDoc): Uint8Array {
  const s: Stored = {
    f: FORMAT,
    group: d.groupId,
    pid: d.producerId,
    epoch: d.producerEpoch,
    offsets: d.offsets.map((o) => ({
      t: o.topic,
      p: o.partition,
      o: o.offset,
      e: o.leaderEpoch,
      m: o.metadata,
      ts: o.commitTimestamp,
    })),
  };
  return encoder.encode(JSON.stringify(s));
}

const isInt = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v);

/** Parses a document; throws Error naming what is wrong (a corrupt or foreign document). */
export function decodeTxnOffsets(data: Uint8Array): TxnOffsetsDoc {
  const s = JSON.parse(decoder.decode(data)) as Partial<Stored> | null;
  if (s === null || typeof s !== "object") throw new Error("not a JSON object");
  if (s.f !== FORMAT) throw new Error(`unknown format ${String(s.f)}`);
  if (typeof s.group !== "string" || !isInt(s.pid) || !isInt(s.epoch) || !Array.isArray(s.offsets)) {
    throw new Error("missing group, pid, epoch or offsets");
  }
  const offsets = s.offsets.map((o: Partial<StoredOffset>, i): CommittedOffset => {
    if (
      typeof o.t !== "string" || !isInt(o.p) || !isInt(o.o) || !isInt(o.e) || !isInt(o.ts) ||
      !(o.m === null || typeof o.m === "string")
    ) {
      throw new Error(`offset ${i} is malformed`);
    }
    return {
      topic: o.t,
      partition: o.p,
      offset: o.o,
      leaderEpoch: o.e,
      metadata: o.m,
      commitTimestamp: o.ts,
      // Transactional offsets follow offsets.retention.minutes (TxnOffsetCommit has no retention time).
      expireTimestamp: -1,
    };
  });
  return { groupId: s.group, producerId: s.pid, producerEpoch: s.epoch, offsets };
}
