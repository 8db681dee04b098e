// Fetch sessions (KIP-227), as Kafka's FetchManager keeps them. A Fetch v7+ names a session id and epoch:
//   epoch -1 (FINAL)    a full fetch without a session; a non-zero id closes that session first.
//   epoch 0  (INITIAL)  a full fetch that opens a new session holding the request's partitions (a non-zero id
//                       closes that one first); the answer carries the new id, or 0 when the cache has no room.
//   epoch > 0           an incremental fetch of session `id`: the request adds or updates partitions and forgets
//                       some; every partition of the session is read, and the answer holds only those with
//                       records, an error, or a high watermark or log start offset that changed since the last
//                       answer that carried them. Unknown id: FETCH_SESSION_ID_NOT_FOUND; another epoch than the
//                       session expects: INVALID_FETCH_SESSION_EPOCH; a v13+ request on a session opened by
//                       name (or the reverse): FETCH_SESSION_TOPIC_ID_ERROR. Partitions that returned records move
//                       to the end of the session, so that a size limit does not starve the others.
// The cache is bounded (Kafka's max.incremental.fetch.session.cache.slots, 1000): a new session takes the slot of
// the least recently used one only when that one has been idle for the eviction interval (Kafka's 120 s);
// otherwise it is not created and the client goes on with full fetches. Sessions belong to the principal that
// opened them (another principal naming the id gets FETCH_SESSION_ID_NOT_FOUND) and to the ACLs in force then:
// the request pipeline authorizes the partitions a request names, so when the ACLs change every session is
// dropped and clients send full fetches again, which are authorized anew.
import { ErrorCode } from "../protocol/errors.ts";

export const INITIAL_EPOCH = 0;
export const FINAL_EPOCH = -1;
/** Kafka's max.incremental.fetch.session.cache.slots default. */
export const DEFAULT_SESSION_SLOTS = 1000;
/** Kafka's min eviction interval of an unused session (FetchSessionCache, 120 s). */
export const DEFAULT_EVICTION_MS = 120_000;

/** The fetch parameters a session keeps per partition, and what the last answer that carried it said. */
export interface SessionPartition {
  /** The topic's name (requests before v13) or "" (v13+). */
  readonly topic: string;
  /** The topic id (v13+), else the zero UUID. */
  readonly topicId: string;
  readonly partition: number;
  fetchOffset: number;
  partitionMaxBytes: number;
  currentLeaderEpoch: number;
  lastFetchedEpoch: number;
  logStartOffset: number;
  /** The high watermark and log start offset last answered (-1: never, or reset by an error). */
  sentHighWatermark: number;
  sentLogStartOffset: number;
}

/** What an answer says of one partition, as far as the session cares. */
export interface PartitionOutcome {
  readonly errorCode: number;
  readonly highWatermark: number;
  readonly logStartOffset: number;
  readonly hasRecords: boolean;
}

export class FetchSession {
  /** The epoch the next incremental request must carry. */
  epoch = 1;
  lastUsed: number;
  /** Insertion-ordered: the order partitions are read in. */
  readonly partitions = new Map<string, SessionPartition>();

  constructor(
    readonly id: number,
    readonly usesTopicIds: boolean,
    readonly owner: string,
    readonly authVersion: unknown,
    now: number,
  ) {
    this.lastUsed = now;
  }

  static key(topic: string, topicId: string, partition: number, usesTopicIds: boolean): string {
    return `${usesTopicIds ? topicId : topic}\0${partition}`;
  }

  /** Adds or updates a partition from a request. */
  put(p: Omit<SessionPartition, "sentHighWatermark" | "sentLogStartOffset">): void {
    const key = FetchSession.key(p.topic, p.topicId, p.partition, this.usesTopicIds);
    const cur = this.partitions.get(key);
    if (cur === undefined) {
      this.partitions.set(key, { ...p, sentHighWatermark: -1, sentLogStartOffset: -1 });
      return;
    }
    cur.fetchOffset = p.fetchOffset;
    cur.partitionMaxBytes = p.partitionMaxBytes;
    cur.currentLeaderEpoch = p.currentLeaderEpoch;
    cur.lastFetchedEpoch = p.lastFetchedEpoch;
    cur.logStartOffset = p.logStartOffset;
  }

  forget(topic: string, topicId: string, partition: number): void {
    this.partitions.delete(FetchSession.key(topic, topicId, partition, this.usesTopicIds));
  }

  /**
   * Whether an incremental answer must carry this partition (Kafka's CachedPartition.maybeUpdateResponseData),
   * remembering what it carries. An error resets the remembered high watermark, so the partition is sent again
   * once the error is gone. A partition that returned records moves to the end of the session.
   */
  mustAnswer(key: string, o: PartitionOutcome): boolean {
    const p = this.partitions.get(key);
    if (p === undefined) return true;
    let must = o.hasRecords;
    if (p.sentHighWatermark !== o.highWatermark) {
      must = true;
      p.sentHighWatermark = o.highWatermark;
    }
    if (p.sentLogStartOffset !== o.logStartOffset) {
      must = true;
      p.sentLogStartOffset = o.logStartOffset;
    }
    if (o.errorCode !== ErrorCode.NONE) {
      must = true;
      p.sentHighWatermark = -1;
    }
    if (o.hasRecords) {
      this.partitions.delete(key);
      this.partitions.set(key, p);
    }
    return must;
  }

  /** Records what a full answer carried (the session's starting point). */
  remember(key: string, o: PartitionOutcome): void {
    const p = this.partitions.get(key);
    if (p === undefined) return;
    p.sentHighWatermark = o.errorCode === ErrorCode.NONE ? o.highWatermark : -1;
    p.sentLogStartOffset = o.logStartOffset;
  }
}

/** Kafka's JFetchMetadata.nextEpoch: epochs wrap from the int32 maximum to 1. */
export function nextEpoch(epoch: number): number {
  return epoch >= 0x7fffffff ? 1 : epoch + 1;
}

export type SessionLookup =
  | { readonly kind: "session"; readonly session: FetchSession }
  | { readonly kind: "error"; readonly errorCode: number };

/** The sessions of one gateway (sessions are per broker in Kafka too). */
export class FetchSessionCache {
  private readonly sessions = new Map<number, FetchSession>();

  constructor(
    readonly slots = DEFAULT_SESSION_SLOTS,
    readonly evictionMs = DEFAULT_EVICTION_MS,
    private readonly random: () => number = () => crypto.getRandomValues(new Uint32Array(1))[0],
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  remove(id: number): boolean {
    return this.sessions.delete(id);
  }

  /**
   * The session an incremental request continues, checked and advanced to its next epoch at once (a second
   * request with the same epoch, concurrent or replayed, is refused), or the error Kafka answers.
   */
  continue(
    id: number,
    epoch: number,
    usesTopicIds: boolean,
    owner: string,
    authVersion: unknown,
    now: number,
  ): SessionLookup {
    const s = this.sessions.get(id);
    if (s === undefined || s.owner !== owner) {
      return { kind: "error", errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND };
    }
    if (s.authVersion !== authVersion) {
      // The ACLs changed: its partitions were authorized under others. The client sends a full fetch again.
      this.sessions.delete(id);
      return { kind: "error", errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND };
    }
    if (s.epoch !== epoch) return { kind: "error", errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH };
    if (s.usesTopicIds !== usesTopicIds) {
      return { kind: "error", errorCode: ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR };
    }
    s.epoch = nextEpoch(epoch);
    s.lastUsed = now;
    // Most recently used last: the first entry is the eviction candidate.
    this.sessions.delete(id);
    this.sessions.set(id, s);
    return { kind: "session", session: s };
  }

  /** A new session, or null when the cache is full of sessions used within the eviction interval. */
  create(usesTopicIds: boolean, owner: string, authVersion: unknown, now: number): FetchSession | null {
    if (this.slots <= 0) return null;
    if (this.sessions.size >= this.slots) {
      const [oldestId, oldest] = this.sessions.entries().next().value!;
      if (now - oldest.lastUsed < this.evictionMs) return null;
      this.sessions.delete(oldestId);
    }
    let id = 0;
    while (id === 0 || this.sessions.has(id)) id = this.random() & 0x7fffffff;
    const s = new FetchSession(id, usesTopicIds, owner, authVersion, now);
    this.sessions.set(id, s);
    return s;
  }
}
