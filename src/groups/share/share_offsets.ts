// The admin side of share-partition state (KIP-932): DescribeShareGroupOffsets, AlterShareGroupOffsets and
// DeleteShareGroupOffsets read, replace and delete the documents the partitions' leaders keep
// (state_documents.ts), from whichever gateway coordinates the group. The coordinator checks the group first
// (GroupCoordinator.shareOffsetsChangeable: alter and delete only while it has no members). Behaviour as Kafka 4.1:
// - describe: the start offset and the leader epoch each state was written under; -1 for a partition without state,
//   one the topic does not have and a topic that does not exist (no error, as OffsetFetch; those topics first).
//   Without topics: every partition the group keeps state for, by topic name. (Kafka 4.1.1 answers the start
//   offset its leader last wrote, which lags: 0 after four records were all acknowledged; this is the current one.)
// - alter: each named partition's state becomes the new start offset with nothing in flight (a partition without
//   state gets one: share.auto.offset.reset no longer applies to it); UNKNOWN_TOPIC_OR_PARTITION for a topic or
//   partition that does not exist, INVALID_REQUEST for a negative offset.
// - delete: every state of each named topic is deleted (consumers then start where share.auto.offset.reset says);
//   UNKNOWN_TOPIC_OR_PARTITION for a topic that does not exist or has no state.
// Every replacement is a compare-and-set on the document's version (retried on a concurrent write), and a state
// this gateway holds in memory is forgotten at once; another gateway's leader finds the change when a share
// session next starts fetching the partition (SharePartitions.revalidate) or at its next write.
import { ErrorCode } from "../../protocol/errors.ts";
import type { DocumentStore } from "../../storage/documents.ts";
import type { TopicsView } from "../consumer/contract.ts";
import { SharePartition, type ShareStateSummary } from "./share_partition.ts";
import type { SharePartitions } from "./share_partitions.ts";
import { shareStateDocument, shareStatePrefix } from "./state_documents.ts";

/** A start offset of a partition without state (Kafka's PartitionFactory.UNINITIALIZED_START_OFFSET). */
export const UNINITIALIZED = -1;
/** The leader epoch of a partition without state: Kafka 4.1.1 leaves the field at its default. */
export const NO_EPOCH = 0;
/** The lag of a partition without state (the field's default). */
export const NO_LAG = -1;
const CAS_ATTEMPTS = 5;

export interface ShareOffsetRow {
  readonly partitionIndex: number;
  readonly startOffset: number;
  readonly leaderEpoch: number;
  /**
   * KIP-1226 (DescribeShareGroupOffsets v1): records from the start offset to the high watermark whose delivery is
   * not complete, as of the stored state; -1 without state.
   */
  readonly lag: number;
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

export interface ShareOffsetTopic {
  readonly topicName: string;
  /** null: the topic does not exist. */
  readonly topicId: string | null;
  readonly partitions: ShareOffsetRow[];
}

export interface AlterRow {
  readonly partitionIndex: number;
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

export interface AlterTopic {
  readonly topicName: string;
  readonly topicId: string | null;
  readonly partitions: AlterRow[];
}

export interface DeleteTopicResult {
  readonly topicName: string;
  readonly topicId: string | null;
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

export class ShareOffsets {
  constructor(
    private readonly documents: DocumentStore,
    private readonly topics: TopicsView,
    /** The states this gateway holds: forgotten when their documents are replaced or deleted here. */
    private readonly held: Pick<SharePartitions, "forget" | "forgetGroup">,
    /** A partition's high watermark (the lag's end). */
    private readonly highWatermark: (topic: string, partition: number) => Promise<number>,
  ) {}

  /** The start offsets of the named partitions, or (null) of every partition the group keeps state for. */
  async describe(
    groupId: string,
    topics: readonly { topicName: string; partitions: readonly number[] }[] | null,
  ): Promise<ShareOffsetTopic[]> {
    if (topics === null) return await this.describeAll(groupId);
    // In the request's order, as Kafka 4.2 answers (4.1 put the topics that do not exist first); each partition
    // without state at -1.
    const out: ShareOffsetTopic[] = [];
    for (const t of topics) {
      const info = this.topics.byName(t.topicName);
      if (info === undefined) {
        out.push({
          topicName: t.topicName,
          topicId: null,
          partitions: t.partitions.map((p) => row(p, UNINITIALIZED, NO_EPOCH, NO_LAG)),
        });
        continue;
      }
      const rows: ShareOffsetRow[] = [];
      for (const p of t.partitions) {
        const s = p < 0 || p >= info.partitions ? null : await this.summary(groupId, info.id, p);
        rows.push(
          s === null
            ? row(p, UNINITIALIZED, NO_EPOCH, NO_LAG)
            : row(p, s.startOffset, s.leaderEpoch, await this.lag(t.topicName, s)),
        );
      }
      out.push({ topicName: t.topicName, topicId: info.id, partitions: rows });
    }
    return out;
  }

  private async describeAll(groupId: string): Promise<ShareOffsetTopic[]> {
    const byTopic = new Map<string, ShareStateSummary[]>();
    for (const name of await this.documents.list(await shareStatePrefix(groupId))) {
      const d = await this.documents.get(name);
      const s = d === null ? null : SharePartition.summary(d.data);
      if (s === null) continue;
      const l = byTopic.get(s.topicId);
      if (l === undefined) byTopic.set(s.topicId, [s]);
      else l.push(s);
    }
    const out: ShareOffsetTopic[] = [];
    for (const [topicId, states] of byTopic) {
      const info = this.topics.byId(topicId);
      if (info === undefined) continue; // a deleted topic's state: nothing to describe
      states.sort((a, b) => a.partition - b.partition);
      const partitions: ShareOffsetRow[] = [];
      for (const s of states) {
        partitions.push(row(s.partition, s.startOffset, s.leaderEpoch, await this.lag(info.name, s)));
      }
      out.push({ topicName: info.name, topicId, partitions });
    }
    return out.sort((a, b) => a.topicName < b.topicName ? -1 : a.topicName > b.topicName ? 1 : 0);
  }

  /** Sets the start offset of each named partition, with nothing in flight. */
  async alter(
    groupId: string,
    topics: readonly {
      topicName: string;
      partitions: readonly { partitionIndex: number; startOffset: number }[];
    }[],
  ): Promise<AlterTopic[]> {
    const out: AlterTopic[] = [];
    for (const t of topics) {
      const info = this.topics.byName(t.topicName);
      const rows: AlterRow[] = [];
      for (const p of t.partitions) {
        if (info === undefined || p.partitionIndex < 0 || p.partitionIndex >= info.partitions) {
          rows.push({
            partitionIndex: p.partitionIndex,
            ...unknown(`${t.topicName}-${p.partitionIndex} does not exist.`),
          });
        } else if (p.startOffset < 0) {
          rows.push({
            partitionIndex: p.partitionIndex,
            errorCode: ErrorCode.INVALID_REQUEST,
            errorMessage: `The start offset ${p.startOffset} is negative.`,
          });
        } else {
          await this.replace(groupId, info.id, p.partitionIndex, p.startOffset);
          rows.push({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE, errorMessage: null });
        }
      }
      out.push({ topicName: t.topicName, topicId: info?.id ?? null, partitions: rows });
    }
    return out;
  }

  /** Deletes every state the group keeps for each named topic. */
  async delete(groupId: string, topicNames: readonly string[]): Promise<DeleteTopicResult[]> {
    const out: DeleteTopicResult[] = [];
    for (const topicName of topicNames) {
      const info = this.topics.byName(topicName);
      if (info === undefined) {
        out.push({ topicName, topicId: null, ...unknown(`Topic ${topicName} does not exist.`) });
        continue;
      }
      let deleted = 0;
      for (let p = 0; p < info.partitions; p++) if (await this.remove(groupId, info.id, p)) deleted++;
      out.push(
        deleted > 0 ? { topicName, topicId: info.id, errorCode: ErrorCode.NONE, errorMessage: null } : {
          topicName,
          topicId: info.id,
          ...unknown(`The group keeps no share state for topic ${topicName}.`),
        },
      );
    }
    return out;
  }

  /** Deletes every state the group keeps (DeleteGroups of a share group). */
  async deleteGroup(groupId: string): Promise<void> {
    this.held.forgetGroup(groupId);
    for (const doc of await this.documents.list(await shareStatePrefix(groupId))) {
      await this.removeDocument(doc);
    }
    this.held.forgetGroup(groupId); // a state loaded here meanwhile
  }

  /**
   * From the start offset to the high watermark, less the records whose delivery is complete (never below 0);
   * unknown (-1) when the high watermark cannot be read now.
   */
  private async lag(topic: string, s: ShareStateSummary): Promise<number> {
    const hw = await this.highWatermark(topic, s.partition).catch(() => -1);
    return hw < 0 ? NO_LAG : Math.max(0, hw - s.startOffset - s.completed);
  }

  private async summary(
    groupId: string,
    topicId: string,
    partition: number,
  ): Promise<ShareStateSummary | null> {
    const d = await this.documents.get(await shareStateDocument(groupId, topicId, partition));
    return d === null ? null : SharePartition.summary(d.data);
  }

  private async replace(
    groupId: string,
    topicId: string,
    partition: number,
    startOffset: number,
  ): Promise<void> {
    const doc = await shareStateDocument(groupId, topicId, partition);
    // The limits only bound acquisition, which a state written here never does.
    const data = new SharePartition(startOffset, startOffset, { deliveryCountLimit: 1, maxInFlight: 1 })
      .encode({ topicId, partition, leaderEpoch: -1 });
    await this.casLoop(doc, async (version) => await this.documents.put(doc, data, version) !== null);
    this.held.forget(groupId, topicId, partition);
  }

  /** Whether a state was there to delete. */
  private async remove(groupId: string, topicId: string, partition: number): Promise<boolean> {
    const existed = await this.removeDocument(await shareStateDocument(groupId, topicId, partition));
    this.held.forget(groupId, topicId, partition);
    return existed;
  }

  private async removeDocument(doc: string): Promise<boolean> {
    let existed = false;
    await this.casLoop(doc, async (version) => {
      if (version === null) return true;
      existed = true;
      return await this.documents.delete(doc, version);
    });
    return existed;
  }

  /** Runs `write` against the document's current version until it is not raced (a leader writing meanwhile). */
  private async casLoop(doc: string, write: (version: string | null) => Promise<boolean>): Promise<void> {
    for (let attempt = 1;; attempt++) {
      const stored = await this.documents.get(doc);
      if (await write(stored?.version ?? null)) return;
      if (attempt === CAS_ATTEMPTS) {
        throw new Error(`share-partition state ${doc} kept changing (${CAS_ATTEMPTS} attempts)`);
      }
    }
  }
}

function row(partitionIndex: number, startOffset: number, leaderEpoch: number, lag: number): ShareOffsetRow {
  return { partitionIndex, startOffset, leaderEpoch, lag, errorCode: ErrorCode.NONE, errorMessage: null };
}

function unknown(errorMessage: string) {
  return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage };
}
