// Topic naming rules shared by CreateTopics, auto-creation and the config APIs. Topic-config rules live in
// src/configs (defs.ts: types, defaults, validation; model.ts: validateTopicConfig).
import { ErrorCode, KafkaError } from "../protocol/errors.ts";

import type { Storage } from "../storage/storage.ts";

const LEGAL_NAME = /^[a-zA-Z0-9._-]+$/;

/** Partitions a topic may have: the gateway's cap, or the backend's when lower (SeaweedMQ's ring). */
export function partitionLimit(storage: Storage): number {
  return Math.min(100_000, storage.maxPartitions ?? Infinity);
}

/** Throws INVALID_PARTITIONS when a topic of `count` partitions is beyond partitionLimit(). */
export function checkPartitionLimit(storage: Storage, count: number): void {
  const max = partitionLimit(storage);
  if (count > max) {
    throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Number of partitions must be at most ${max}.`);
  }
}
export const MAX_TOPIC_NAME_LENGTH = 249;

/** Throws INVALID_TOPIC_EXCEPTION with Kafka's reasons for an illegal topic name. */
export function validateTopicName(name: string): void {
  if (name === "") {
    throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, "Topic name is illegal, it can't be empty");
  }
  if (name === "." || name === "..") {
    throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic name cannot be "." or ".."`);
  }
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    throw new KafkaError(
      ErrorCode.INVALID_TOPIC_EXCEPTION,
      `Topic name is illegal, it can't be longer than ${MAX_TOPIC_NAME_LENGTH} characters`,
    );
  }
  if (!LEGAL_NAME.test(name)) {
    throw new KafkaError(
      ErrorCode.INVALID_TOPIC_EXCEPTION,
      `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`,
    );
  }
}
