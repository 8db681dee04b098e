// DeleteTopics: really removes the topic and its data (by name, or by id from v6).
import type { Handler } from "../request/context.ts";
import type {
  DeleteTopicsRequest,
  DeleteTopicsResponse,
  DeleteTopicsResponseTopic,
} from "../protocol/messages/delete_topics.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { ZERO_UUID } from "../protocol/codec.ts";
import { errorCodeOf, errorMessageOf } from "./auto_create.ts";
import { refuseInternal } from "./topic_rules.ts";

export const deleteTopicsHandler: Handler<DeleteTopicsRequest, DeleteTopicsResponse> = async (ctx, req) => {
  const { broker } = ctx;
  const v = ctx.header.apiVersion;
  const targets: { name: string | null; topicId: string }[] = v >= 6
    ? (req.topics ?? []).map((t) => ({ name: t.name, topicId: t.topicId }))
    : (req.topicNames ?? []).map((name) => ({ name, topicId: ZERO_UUID }));
  const responses: DeleteTopicsResponseTopic[] = [];
  for (const t of targets) {
    const meta = t.name !== null ? broker.storage.getTopic(t.name) : broker.storage.getTopicById(t.topicId);
    const entry: DeleteTopicsResponseTopic = {
      name: meta?.name ?? t.name,
      topicId: meta?.id ?? t.topicId,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
    };
    try {
      if (!broker.config.deleteTopicEnable) {
        throw new KafkaError(ErrorCode.TOPIC_DELETION_DISABLED, "Topic deletion is disabled.");
      }
      if (t.name !== null && t.topicId !== ZERO_UUID) {
        throw new KafkaError(ErrorCode.INVALID_REQUEST, "Topic name and topic id must not both be set");
      }
      if (!meta) {
        throw new KafkaError(
          t.name === null ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        );
      }
      refuseInternal(meta.name, "delete");
      await broker.storage.deleteTopic(meta.name);
      await broker.coordinator.topicDeleted(meta.name);
      ctx.log.info("deleted topic {topic}", { topic: meta.name });
    } catch (e) {
      entry.errorCode = errorCodeOf(e);
      entry.errorMessage = errorMessageOf(e);
    }
    responses.push(entry);
  }
  return { responses };
};
