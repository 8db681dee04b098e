// Topic auto-creation (auto.create.topics.enable / num.partitions), shared by Metadata and Produce. Names with
// Kafka's internal-topic prefix "__" are never auto-created: they are answered as unknown topics.
import type { Broker } from "../request/context.ts";
import type { TopicMeta } from "../storage/storage.ts";
import { StorageError } from "../storage/storage.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { createWithinPartitionLimit, validateTopicName } from "./topic_rules.ts";
import { awaitLeaders } from "./routing.ts";

const inFlight = new WeakMap<Broker, Map<string, Promise<TopicMeta>>>();

/** Kafka's prefix of internal topic names (__consumer_offsets, __transaction_state, ...). */
const INTERNAL_PREFIX = "__";

/**
 * Returns the topic, creating it when auto-creation is allowed. Concurrent callers for the same name share one
 * creation. Throws KafkaError(UNKNOWN_TOPIC_OR_PARTITION or INVALID_TOPIC_EXCEPTION), or POLICY_VIOLATION /
 * INVALID_PARTITIONS when the topic would exceed the partition limits (topic_rules.ts), as Kafka answers Metadata
 * when its auto-creation is refused by a policy.
 */
export async function topicOrAutoCreate(
  broker: Broker,
  name: string,
  allowAutoCreate: boolean,
): Promise<TopicMeta> {
  return (await findOrAutoCreate(broker, name, allowAutoCreate)).topic;
}

/** topicOrAutoCreate, also saying whether this call's auto-creation made the topic (or shared in making it). */
export async function findOrAutoCreate(
  broker: Broker,
  name: string,
  allowAutoCreate: boolean,
): Promise<{ topic: TopicMeta; created: boolean }> {
  const existing = broker.storage.getTopic(name) ?? await broker.storage.findTopic?.(name);
  if (existing) return { topic: existing, created: false };
  if (!allowAutoCreate || !broker.config.autoCreateTopics) {
    throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  }
  validateTopicName(name);
  // answered as Kafka answers an unknown topic with auto-creation off (after the name check)
  if (name.startsWith(INTERNAL_PREFIX)) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  return { topic: await autoCreate(broker, name), created: true };
}

async function autoCreate(broker: Broker, name: string): Promise<TopicMeta> {
  let pending = inFlight.get(broker);
  if (!pending) inFlight.set(broker, pending = new Map());
  let p = pending.get(name);
  if (!p) {
    p = (async () => {
      try {
        const partitions = broker.config.numPartitions;
        const t = await createWithinPartitionLimit(
          broker,
          name,
          partitions,
          0,
          () => broker.storage.createTopic(name, partitions, {}),
        );
        broker.log.info("auto-created topic {topic} with {partitions} partitions", {
          topic: name,
          partitions: t.partitions,
        });
        // Distributed: the creator's next step (produce) needs leaders; callers of this creation share the wait.
        await awaitLeaders(broker, name, 0, t.partitions);
        return t;
      } catch (e) {
        if (e instanceof StorageError && e.code === ErrorCode.TOPIC_ALREADY_EXISTS) {
          const t = broker.storage.getTopic(name);
          if (t) return t;
        }
        throw e;
      } finally {
        pending!.delete(name);
      }
    })();
    pending.set(name, p);
  }
  return await p;
}

/** Kafka error code for any error a handler catches per topic or partition. */
export function errorCodeOf(e: unknown): number {
  if (e instanceof KafkaError || e instanceof StorageError) return e.code;
  return ErrorCode.UNKNOWN_SERVER_ERROR;
}

export function errorMessageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
