// Share sessions (KIP-932), one per (group, member) on the gateway the member fetches from: the partitions it
// fetches, and the epoch its next ShareFetch or ShareAcknowledge must carry. As Kafka 4.1's ShareSessionCache:
// epoch 0 opens a session (replacing the member's previous one); -1 is the member's last request, which closes it;
// any other epoch must be the session's next one (INVALID_SHARE_SESSION_EPOCH), of a session that exists
// (SHARE_SESSION_NOT_FOUND). Epochs run 1, 2, … and wrap from 2^31-1 to 1. A session also ends when the
// connection that opened it closes (end()): the handler then releases what the member held.
import { ErrorCode, KafkaError } from "../../protocol/errors.ts";

export const INITIAL_EPOCH = 0;
export const FINAL_EPOCH = -1;

export interface SessionPartition {
  readonly topicId: string;
  readonly partition: number;
}

export class ShareSession {
  nextEpoch = 1;
  /** Date.now() of its last request (idle sessions are evicted). */
  lastUsed = Date.now();
  /** topicId:partition -> the partition, in the order they were added. */
  readonly partitions = new Map<string, SessionPartition>();
  /** Stops watching the connection that opened it (called once the session is gone). */
  detach: () => void = () => {};

  constructor(readonly groupId: string, readonly memberId: string) {}

  /** Whether the partition is new to the session. */
  add(topicId: string, partition: number): boolean {
    const k = `${topicId}:${partition}`;
    if (this.partitions.has(k)) return false;
    this.partitions.set(k, { topicId, partition });
    return true;
  }

  remove(topicId: string, partition: number): void {
    this.partitions.delete(`${topicId}:${partition}`);
  }
}

/** A session unused this long is forgotten (its member crashed or left without closing it). */
const IDLE_MS = 10 * 60_000;

export class ShareSessions {
  private readonly sessions = new Map<string, ShareSession>();
  private nextPrune = Date.now() + IDLE_MS;

  get size(): number {
    return this.sessions.size;
  }

  /**
   * The session a request with `epoch` continues (or opens: epoch 0), its epoch moved on; throws KafkaError
   * SHARE_SESSION_NOT_FOUND or INVALID_SHARE_SESSION_EPOCH. `allowOpen` is false for ShareAcknowledge, which
   * cannot open one (INVALID_SHARE_SESSION_EPOCH).
   */
  begin(groupId: string, memberId: string, epoch: number, allowOpen: boolean): ShareSession {
    const key = `${groupId}\u0000${memberId}`;
    this.prune();
    if (epoch === INITIAL_EPOCH) {
      if (!allowOpen) {
        throw new KafkaError(ErrorCode.INVALID_SHARE_SESSION_EPOCH, "a share session cannot open here");
      }
      const s = new ShareSession(groupId, memberId);
      this.sessions.get(key)?.detach();
      this.sessions.set(key, s);
      return s;
    }
    const s = this.sessions.get(key);
    if (s === undefined) {
      throw new KafkaError(ErrorCode.SHARE_SESSION_NOT_FOUND, `no share session of member ${memberId}`);
    }
    if (epoch === FINAL_EPOCH) {
      this.sessions.delete(key);
      s.detach();
      return s;
    }
    if (epoch !== s.nextEpoch) {
      throw new KafkaError(
        ErrorCode.INVALID_SHARE_SESSION_EPOCH,
        `share session epoch ${epoch}, expected ${s.nextEpoch}`,
      );
    }
    s.nextEpoch = epoch === 0x7fffffff ? 1 : epoch + 1;
    s.lastUsed = Date.now();
    return s;
  }

  /** Forgets `session` if it is still its member's (its connection closed); whether it was. */
  end(session: ShareSession): boolean {
    const key = `${session.groupId}\u0000${session.memberId}`;
    if (this.sessions.get(key) !== session) return false;
    this.sessions.delete(key);
    session.detach();
    return true;
  }

  private prune(): void {
    const now = Date.now();
    if (now < this.nextPrune) return;
    this.nextPrune = now + IDLE_MS;
    for (const [k, s] of this.sessions) {
      if (now - s.lastUsed > IDLE_MS) {
        this.sessions.delete(k);
        s.detach();
      }
    }
  }
}
