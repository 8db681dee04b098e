// Topic naming rules shared by CreateTopics, auto-creation and the config APIs. Topic-config rules live in
// src/configs (defs.ts: types, defaults, validation; model.ts: validateTopicConfig).
import { ErrorCode, KafkaError } from "../protocol/errors.ts";

const LEGAL_NAME = /^[a-zA-Z0-9._-]+$/;
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
