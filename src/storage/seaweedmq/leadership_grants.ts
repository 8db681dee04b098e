// The partitions this gateway leads while a cluster of gateways manages leadership (SeaweedMQStorage's
// leadershipParticipant): acquire and release of a partition's grant, and the check an append makes against it
// (NOT_LEADER_OR_FOLLOWER), so that only one gateway publishes to a partition at a time.
import { ErrorCode } from "../../protocol/errors.ts";
import type { LeaseGuard, TopicPartitionRef } from "../leadership.ts";
import { StorageError, type TopicMeta } from "../storage.ts";
import { errorText, type LogFn } from "./context.ts";
import type { PartitionState } from "./partition.ts";

/** A partition given away waits this long for its in-flight appends before failing them (NOT_LEADER_OR_FOLLOWER). */
const RELEASE_WAIT_MS = 5000;

/** What the grants need of the storage: its topics as known, a lookup of a topic not known yet, the log. */
export interface GrantsEnv {
  readonly topics: ReadonlyMap<string, {
    readonly meta: TopicMeta;
    readonly parts: readonly Pick<
      PartitionState,
      "name" | "publisherSettled" | "forgetWatermarks" | "offsets" | "releasePublisher"
    >[];
  }>;
  findTopic(name: string): Promise<TopicMeta | undefined>;
  readonly log: LogFn;
}

/**
 * This gateway's leadership of one partition, from its acquire until its release is done: valid while the cluster's
 * lease under which it was acquired holds (LeaseGuard: checked by the clock) and the release has not finished. The
 * partition's publisher checks it right before it writes anything to the broker.
 */
class Grant implements LeaseGuard {
  private revoked = false;

  constructor(private readonly lease: LeaseGuard | undefined) {}

  valid(): boolean {
    return !this.revoked && (this.lease?.valid() ?? true);
  }

  revoke(): void {
    this.revoked = true;
  }
}

export class LeadershipGrants {
  /**
   * Partitions this gateway leads, per topic, while a cluster manages leadership (leadershipParticipant); null
   * otherwise (every partition may be appended to).
   */
  private led: Map<string, Map<number, Grant>> | null = null;
  /** Releases under way per "topic/partition": an acquire of the same partition waits for it. */
  private readonly releases = new Map<string, Promise<void>>();

  constructor(private readonly env: GrantsEnv) {}

  /** From now on only partitions acquired here may be appended to. */
  enable(): void {
    this.led ??= new Map();
  }

  async acquire(tp: TopicPartitionRef, lease?: LeaseGuard): Promise<void> {
    const key = `${tp.topic}/${tp.partition}`;
    await this.releases.get(key);
    const meta = this.env.topics.get(tp.topic)?.meta ?? await this.env.findTopic(tp.topic);
    const p = meta ? this.env.topics.get(tp.topic)?.parts[tp.partition] : undefined;
    if (p) {
      await p.publisherSettled();
      p.forgetWatermarks();
      await p.offsets(0);
    }
    let m = this.led?.get(tp.topic);
    if (!m) {
      m = new Map();
      this.led?.set(tp.topic, m);
    }
    m.get(tp.partition)?.revoke();
    m.set(tp.partition, new Grant(lease));
  }

  async release(tp: TopicPartitionRef): Promise<void> {
    const m = this.led?.get(tp.topic);
    const grant = m?.get(tp.partition);
    m?.delete(tp.partition);
    if (m?.size === 0) this.led?.delete(tp.topic);
    const p = this.env.topics.get(tp.topic)?.parts[tp.partition];
    if (!p) {
      grant?.revoke();
      return;
    }
    const key = `${tp.topic}/${tp.partition}`;
    const done = p.releasePublisher(RELEASE_WAIT_MS).catch((e) =>
      this.env.log("warn", `${p.name}: closing its publisher: ${errorText(e)}`)
    ).finally(() => {
      // whatever still holds this grant (a publisher closed mid-reconnect) writes nothing more
      grant?.revoke();
      p.forgetWatermarks();
      if (this.releases.get(key) === done) this.releases.delete(key);
    });
    this.releases.set(key, done);
    await done;
  }

  /**
   * Refuses (NOT_LEADER_OR_FOLLOWER) an append to a partition this gateway does not lead, or whose lease lapsed;
   * answers the partition's grant (null without a cluster: every partition may be appended to).
   */
  check(topic: string, partition: number): LeaseGuard | null {
    if (this.led === null) return null;
    const grant = this.led.get(topic)?.get(partition);
    if (!grant) {
      throw new StorageError(
        ErrorCode.NOT_LEADER_OR_FOLLOWER,
        `this gateway does not lead ${topic}-${partition}`,
      );
    }
    if (!grant.valid()) {
      throw new StorageError(
        ErrorCode.NOT_LEADER_OR_FOLLOWER,
        `the lease under which this gateway leads ${topic}-${partition} lapsed`,
      );
    }
    return grant;
  }
}
