// CreatePartitions: grows topics (never shrinks), with validate_only; manual assignments name one live broker per
// partition (topic_rules.ts). In a distributed cluster the answer waits (bounded) for the new partitions' leaders.
import type { Handler } from "../request/context.ts";
import type {
  CreatePartitionsRequest,
  CreatePartitionsResponse,
  CreatePartitionsTopic,
  CreatePartitionsTopicResult,
} from "../protocol/messages/create_partitions.ts";
import type { TopicMeta } from "../storage/storage.ts";
import type { Broker } from "../request/context.ts";
import {
  checkPartitionLimit,
  checkReplicaAssignment,
  createWithinPartitionLimit,
  refuseInternal,
} from "./topic_rules.ts";
import { awaitLeaders } from "./routing.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { errorCodeOf, errorMessageOf } from "./auto_create.ts";

function validate(t: CreatePartitionsTopic, meta: TopicMeta | undefined, broker: Broker): void {
  if (!meta) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  refuseInternal(meta.name, "change the partition count of");
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
  for (const a of t.assignments) checkReplicaAssignment(broker.cluster, a.brokerIds);
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
        await awaitLeaders(broker, t.name, meta!.partitions, t.count);
      }
    } catch (e) {
      r.errorCode = errorCodeOf(e);
      r.errorMessage = errorMessageOf(e);
    }
    results.push(r);
  }
  return { results };
};
