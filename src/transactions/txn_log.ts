// The durable transaction log: one document per transactional id in the DocumentStore (storage.documents()), named
// `txn-<offsetsPartition>-<sha1 hex of the id>` so that the coordinator of a `__consumer_offsets` partition lists
// exactly its ids, and written with compare-and-set so that a coordinator another gateway replaced cannot
// overwrite what the new one wrote (a lost compare-and-set fences it).
//
// The store's put() does not return the version it wrote, so a write is "read, compare with what this coordinator
// last wrote, put with the version read": content differing from our last write means another coordinator wrote
// in between. Documents are JSON with a fixed key order, so equal metadata is equal bytes.
import { type DocumentStore, hashedDocumentName } from "../storage/documents.ts";
import { TXN_STATES, type TxnMetadata, type TxnState } from "./state.ts";

const FORMAT = 1;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The prefix of every transaction document of `__consumer_offsets` partition `p`. */
export function txnDocumentPrefix(offsetsPartition: number): string {
  return `txn-${offsetsPartition}-`;
}

/** The document name of a transactional id (coordinated through `__consumer_offsets` partition `p`). */
export function txnDocumentName(offsetsPartition: number, transactionalId: string): Promise<string> {
  return hashedDocumentName(txnDocumentPrefix(offsetsPartition), transactionalId);
}

interface StoredTxn {
  f: number;
  id: string;
  pid: number;
  prevPid: number;
  epoch: number;
  lastEpoch: number;
  timeoutMs: number;
  state: TxnState;
  partitions: [string, number][];
  startMs: number;
  updateMs: number;
  /** The writing coordinator (see TxnLog.write); absent in documents written before it existed. */
  by?: string;
}

/** Encodes a transaction document; `by` names the coordinator that writes it (see TxnLog.write). */
export function encodeTxn(m: TxnMetadata, by?: string): Uint8Array {
  const s: StoredTxn = {
    f: FORMAT,
    id: m.transactionalId,
    pid: m.producerId,
    prevPid: m.previousProducerId,
    epoch: m.producerEpoch,
    lastEpoch: m.lastProducerEpoch,
    timeoutMs: m.timeoutMs,
    state: m.state,
    partitions: m.partitions.map((tp) => [tp.topic, tp.partition]),
    startMs: m.startMs,
    updateMs: m.lastUpdateMs,
    ...(by === undefined ? {} : { by }),
  };
  return encoder.encode(JSON.stringify(s));
}

function isInt(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v);
}

/** Decodes a transaction document; throws on one this version cannot read (a corrupt log must not be guessed). */
export function decodeTxn(data: Uint8Array): TxnMetadata {
  const s = JSON.parse(decoder.decode(data)) as Partial<StoredTxn>;
  if (s.f !== FORMAT) throw new Error(`transaction document format ${s.f} is not ${FORMAT}`);
  if (
    typeof s.id !== "string" || !isInt(s.pid) || !isInt(s.prevPid) || !isInt(s.epoch) ||
    !isInt(s.lastEpoch) ||
    !isInt(s.timeoutMs) || !isInt(s.startMs) || !isInt(s.updateMs) ||
    !TXN_STATES.includes(s.state as TxnState) ||
    !Array.isArray(s.partitions) ||
    !s.partitions.every((p) => Array.isArray(p) && typeof p[0] === "string" && isInt(p[1]))
  ) throw new Error("malformed transaction document");
  return {
    transactionalId: s.id,
    producerId: s.pid,
    previousProducerId: s.prevPid,
    producerEpoch: s.epoch,
    lastProducerEpoch: s.lastEpoch,
    timeoutMs: s.timeoutMs,
    state: s.state as TxnState,
    partitions: s.partitions.map(([topic, partition]) => ({ topic, partition })),
    startMs: s.startMs,
    lastUpdateMs: s.updateMs,
  };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A loaded document: its metadata and the bytes stored (what the next compare-and-set expects). */
export interface LoadedTxn {
  readonly name: string;
  readonly meta: TxnMetadata;
  readonly stored: Uint8Array;
  /** The coordinator that wrote it, or null (a document from before `by` existed). */
  readonly by: string | null;
}

function writerOf(data: Uint8Array): string | null {
  const by = (JSON.parse(decoder.decode(data)) as Partial<StoredTxn>).by;
  return typeof by === "string" ? by : null;
}

export class TxnLog {
  constructor(private readonly docs: DocumentStore) {}

  /** Every transaction document of `__consumer_offsets` partition `p`, as stored now. */
  async load(offsetsPartition: number): Promise<LoadedTxn[]> {
    const names = await this.docs.list(txnDocumentPrefix(offsetsPartition));
    const out: LoadedTxn[] = [];
    for (const name of names) {
      const doc = await this.docs.get(name);
      if (doc === null) continue; // deleted (expired) since the listing
      out.push({ name, meta: decodeTxn(doc.data), stored: doc.data, by: writerOf(doc.data) });
    }
    return out;
  }

  /** The document as stored now, or null. */
  async read(name: string): Promise<LoadedTxn | null> {
    const doc = await this.docs.get(name);
    return doc === null
      ? null
      : { name, meta: decodeTxn(doc.data), stored: doc.data, by: writerOf(doc.data) };
  }

  /**
   * Replaces the document holding `previous` (null: it must not exist) with `meta`; resolves the bytes stored,
   * or null when the document is not what this coordinator last wrote (another coordinator took over: fenced).
   * `by` names the writing coordinator in the document, so that a coordinator taking an id over can make its
   * bytes differ from what the previous one last wrote (TransactionCoordinator.acquire): a previous coordinator
   * that stalled and resumes then fails its next compare-and-set instead of overwriting the new one's state.
   */
  async write(
    name: string,
    meta: TxnMetadata,
    previous: Uint8Array | null,
    by?: string,
  ): Promise<Uint8Array | null> {
    const cur = await this.docs.get(name);
    if (!this.matches(cur?.data ?? null, previous)) return null;
    const data = encodeTxn(meta, by);
    return await this.docs.put(name, data, cur?.version ?? null) !== null ? data : null;
  }

  /** Deletes the document when it still holds `previous`; false when fenced. */
  async delete(name: string, previous: Uint8Array): Promise<boolean> {
    const cur = await this.docs.get(name);
    if (cur === null || !sameBytes(cur.data, previous)) return false;
    return await this.docs.delete(name, cur.version);
  }

  private matches(stored: Uint8Array | null, previous: Uint8Array | null): boolean {
    if (stored === null || previous === null) return stored === previous;
    return sameBytes(stored, previous);
  }
}
