// `__consumer_offsets` as Kafka exposes it: a real, internal topic of the storage backend whose records (Kafka's
// formats, records.ts) are a view of the group coordinator's durable state. The GroupStore stays the one source of
// truth; the topic is derived from it (src/internal_topics/derived_topic.ts: every store write that succeeds appended
// in issue order by the partition's leader, reconciled on load/acquire and after a failed append, compacted or
// snapshot-bounded). This file says which records each group store write shows.
import type { Logger } from "../../log.ts";
import type {
  CommittedOffset,
  GroupWrites,
  LoadedGroupState,
  StoredGroup,
} from "../../storage/group_store.ts";
import type { Storage, TopicMeta } from "../../storage/storage.ts";
import { type ClusterView, CONSUMER_OFFSETS_TOPIC } from "../../cluster/view.ts";
import { DerivedTopic, keyString, type LiveEntry, tombstone } from "../../internal_topics/derived_topic.ts";
import type { GroupStateMirror } from "../coordinator.ts";
import { groupMetadataKey, groupMetadataRecord, offsetCommitKey, offsetCommitRecord } from "./records.ts";
import type { OffsetsTopicRecord } from "./records.ts";

export interface OffsetsTopicOptions {
  readonly storage: Storage;
  readonly cluster: ClusterView;
  /** --offsets-topic-num-partitions: the partition count the topic is created with (and must have). */
  readonly partitions: number;
  readonly log: Logger;
}

export class OffsetsTopic implements GroupStateMirror {
  private readonly topic: DerivedTopic;

  constructor(private readonly opts: OffsetsTopicOptions) {
    this.topic = new DerivedTopic({
      storage: opts.storage,
      cluster: opts.cluster,
      topic: CONSUMER_OFFSETS_TOPIC,
      partitions: opts.partitions,
      partitionsFlag: "--offsets-topic-num-partitions",
      source: "the group state",
      log: opts.log,
    });
  }

  /**
   * Creates the topic when it does not exist yet, and checks its partition count: Kafka fixes
   * offsets.topic.num.partitions when the topic is created, and a different count would place groups on other
   * partitions than their records.
   */
  open(): Promise<TopicMeta> {
    return this.topic.open();
  }

  // ------------------------------------------------------------------ GroupStateMirror

  wrap(inner: GroupWrites): GroupWrites {
    return {
      commitOffsets: (groupId: string, offsets: readonly CommittedOffset[]) => {
        const done = inner.commitOffsets(groupId, offsets);
        this.after(groupId, done, () => offsets.map((o) => offsetCommitRecord(groupId, o)));
        return done;
      },
      deleteOffsets: (groupId: string, partitions: readonly { topic: string; partition: number }[]) => {
        const done = inner.deleteOffsets(groupId, partitions);
        this.after(
          groupId,
          done,
          () => partitions.map((tp) => tombstone(offsetCommitKey(groupId, tp.topic, tp.partition))),
        );
        return done;
      },
      saveGroup: (group: StoredGroup) => {
        const done = inner.saveGroup(group);
        this.after(group.groupId, done, () => [groupMetadataRecord(group)]);
        return done;
      },
      // A consumer (KIP-848) group's snapshot is not shown: Kafka writes such groups as ConsumerGroup* records
      // of other key versions, which no client reads from __consumer_offsets. Only a classic record it replaces
      // (an upgrade) is tombstoned, so the topic never shows a group that no longer is classic.
      saveConsumerGroup: (groupId: string, state: Uint8Array) => {
        const done = inner.saveConsumerGroup(groupId, state);
        this.after(groupId, done, (live) => {
          const key = groupMetadataKey(groupId);
          return live.has(keyString(key)) ? [tombstone(key)] : [];
        });
        return done;
      },
      deleteGroup: (groupId: string) => {
        const done = inner.deleteGroup(groupId);
        this.after(groupId, done, (live) => {
          // Its metadata (shown or not: a group that never rebalanced has none) and every offset it had.
          const key = groupMetadataKey(groupId);
          const out = [tombstone(key)];
          const skip = keyString(key);
          for (const [k, e] of live) {
            if (e.owner === groupId && k !== skip) out.push(tombstone(e.record.key));
          }
          return out;
        });
        return done;
      },
    };
  }

  loaded(partitions: readonly number[] | "all", state: LoadedGroupState): void {
    const indexes = partitions === "all"
      ? Array.from({ length: this.opts.partitions }, (_, i) => i)
      : partitions;
    const partitionOf = (group: string) => this.opts.cluster.coordinatorPartition(group);
    const entries: [number, LiveEntry][] = [];
    for (const [groupId, g] of state.groups) {
      entries.push([partitionOf(groupId), { owner: groupId, record: groupMetadataRecord(g) }]);
    }
    for (const [groupId, offsets] of state.offsets) {
      const p = partitionOf(groupId);
      for (const o of offsets.values()) {
        entries.push([p, { owner: groupId, record: offsetCommitRecord(groupId, o) }]);
      }
    }
    this.topic.loaded(indexes, entries);
  }

  released(partition: number): void {
    this.topic.released(partition);
  }

  /** Stops writing; waits (bounded) for appends in flight. */
  close(): Promise<void> {
    return this.topic.close();
  }

  /** Shows a store write once it succeeded, after the writes issued before it. */
  private after(
    groupId: string,
    done: Promise<void>,
    records: (live: ReadonlyMap<string, LiveEntry>) => OffsetsTopicRecord[],
  ): void {
    this.topic.after(this.opts.cluster.coordinatorPartition(groupId), groupId, done, records);
  }
}
