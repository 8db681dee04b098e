// CreatePartitions: grows topics (never shrinks), with validate_only; manual assignments may only name this
// broker (one replica per partition).
import type { Handler } from "./context.ts";
import type {
  CreatePartitionsRequest,
  CreatePartitionsResponse,
  CreatePartitionsTopic,
  CreatePartitionsTopicResult,
} from "../protocol/messages/create_partitions.ts";
import type { TopicMeta } from "../storage/storage.ts";
import type { Broker } from "./context.ts";
import { checkPartitionLimit, createWithinPartitionLimit } from "./topic_rules.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { errorCodeOf, errorMessageOf } from "./auto_create.ts";

function validate(t: CreatePartitionsTopic, meta: TopicMeta | undefined, broker: Broker): void {
  const nodeId = broker.config.nodeId;
  if (!meta) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const current = meta.partitions;
  if (t.count === current) {
    throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Topic already has ${current} partition(s).`);
  }
  if (t.count < current) {
    throw new KafkaError(
      ErrorCode.INVALID_PARTITIONS,
      `The topic ${t.name} currently has ${current} partition(s); ${t.count} would not be an increase.`,
    );
  }
  checkPartitionLimit(broker, t.name, t.count, current); // validate_only too
  const additional = t.count - current;
  if (t.assignments === null) return;
  if (t.assignments.length !== additional) {
    throw new KafkaError(
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      `Attempted to add ${additional} additional partition(s), but only ${t.assignments.length} assignment(s) were specified.`,
    );
  }
  for (const a of t.assignments) {
    if (a.brokerIds.length === 0) {
      throw new KafkaError(
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        "The manual partition assignment includes an empty replica list.",
      );
    }
    const other = a.brokerIds.find((b) => b !== nodeId);
    if (other !== undefined) {
      throw new KafkaError(
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        `The manual partition assignment includes broker ${other}, but no such broker is registered.`,
      );
    }
    if (a.brokerIds.length > 1) {
      throw new KafkaError(
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        `The manual partition assignment includes the broker ${nodeId} more than once.`,
      );
    }
  }
}

export const createPartitionsHandler: Handler<CreatePartitionsRequest, CreatePartitionsResponse> = async (
  ctx,
  req,
) => {
  const { broker } = ctx;
  const counts = new Map<string, number>();
  for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
  const results: CreatePartitionsTopicResult[] = [];
  for (const t of req.topics) {
    const r: CreatePartitionsTopicResult = { name: t.name, errorCode: ErrorCode.NONE, errorMessage: null };
    try {
      if ((counts.get(t.name) ?? 0) > 1) {
        throw new KafkaError(ErrorCode.INVALID_REQUEST, "Duplicate topic name.");
      }
      const meta = broker.storage.getTopic(t.name);
      validate(t, meta, broker);
      if (!req.validateOnly) {
        await createWithinPartitionLimit(
          broker,
          t.name,
          t.count,
          meta!.partitions,
          () => broker.storage.createPartitions(t.name, t.count),
        );
        ctx.log.info("topic {topic} grown from {from} to {to} partitions", {
          topic: t.name,
          from: meta!.partitions,
          to: t.count,
        });
      }
    } catch (e) {
      r.errorCode = errorCodeOf(e);
      r.errorMessage = errorMessageOf(e);
    }
    results.push(r);
  }
  return { results };
};
