// `__transaction_state` as Kafka exposes it: a real, internal topic of the storage backend whose records (Kafka's
// transaction log format, records.ts) are a view of the transaction coordinator's durable documents (one per
// transactional id, ../txn_log.ts). The documents stay the one source of truth; the topic is derived from them
// (src/internal_topics/derived_topic.ts: every document write that succeeds appended in order by the partition's
// leader, reconciled on load/acquire and after a failed append, compacted or snapshot-bounded), as
// `__consumer_offsets` is from the group store.
//
// Its partition count is the coordinator's: an id's documents belong to `__consumer_offsets` partition
// abs(hashCode(id)) % --offsets-topic-num-partitions, which is also the id's `__transaction_state` partition (Kafka's
// transaction.state.log.num.partitions is here always equal to offsets.topic.num.partitions), and that partition's
// leader (the id's coordinator) writes it.
import type { Logger } from "../../log.ts";
import type { Storage, TopicMeta } from "../../storage/storage.ts";
import { type ClusterView, TRANSACTION_STATE_TOPIC } from "../../cluster/view.ts";
import { DerivedTopic, type LiveEntry, tombstone } from "../../internal_topics/derived_topic.ts";
import type { TxnMetadata } from "../state.ts";
import { transactionLogKey, transactionLogRecord } from "./records.ts";

/**
 * A view derived from the transaction coordinator's documents: told what each partition held when loaded, and every
 * document write and deletion that succeeded, in order.
 */
export interface TxnStateMirror {
  /** The documents of this partition were loaded: this gateway coordinates its ids from now. */
  loaded(partition: number, metas: readonly TxnMetadata[]): void;
  /** The id's document now holds `meta` (a write that succeeded). */
  written(partition: number, meta: TxnMetadata): void;
  /** The id's document was deleted (the id expired). */
  deleted(partition: number, transactionalId: string): void;
  /** This coordinator no longer holds the partition. */
  released(partition: number): void;
  /** Shows the last writes, bounded, before the storage closes. */
  close(): Promise<void>;
}

export interface TransactionStateTopicOptions {
  readonly storage: Storage;
  readonly cluster: ClusterView;
  /** --offsets-topic-num-partitions: the coordinator's partition count, which the topic is created with. */
  readonly partitions: number;
  readonly log: Logger;
}

const DONE = Promise.resolve();

export class TransactionStateTopic implements TxnStateMirror {
  private readonly topic: DerivedTopic;

  constructor(opts: TransactionStateTopicOptions) {
    this.topic = new DerivedTopic({
      storage: opts.storage,
      cluster: opts.cluster,
      topic: TRANSACTION_STATE_TOPIC,
      partitions: opts.partitions,
      partitionsFlag: "--offsets-topic-num-partitions (which also sets transaction.state.log.num.partitions)",
      source: "the transaction documents",
      log: opts.log,
    });
  }

  /** Creates the topic when it does not exist yet; checks its partition count. */
  open(): Promise<TopicMeta> {
    return this.topic.open();
  }

  loaded(partition: number, metas: readonly TxnMetadata[]): void {
    this.topic.loaded(
      [partition],
      metas.map((m): [number, LiveEntry] => [partition, {
        owner: m.transactionalId,
        record: transactionLogRecord(m),
      }]),
    );
  }

  written(partition: number, meta: TxnMetadata): void {
    this.topic.after(partition, meta.transactionalId, DONE, () => [transactionLogRecord(meta)]);
  }

  deleted(partition: number, transactionalId: string): void {
    this.topic.after(partition, transactionalId, DONE, () => [tombstone(transactionLogKey(transactionalId))]);
  }

  released(partition: number): void {
    this.topic.released(partition);
  }

  close(): Promise<void> {
    return this.topic.close();
  }
}
