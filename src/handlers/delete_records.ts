// DeleteRecords: advances each partition's log start offset (the low watermark); whole segments below it are
// reclaimed by the backend. Topics whose cleanup.policy lacks "delete" refuse it, as in Kafka. Only the
// partition's leader deletes (NOT_LEADER_OR_FOLLOWER elsewhere: the admin client sends each partition to its leader).
import type { Handler } from "../request/context.ts";
import type {
  DeleteRecordsPartitionResult,
  DeleteRecordsRequest,
  DeleteRecordsResponse,
  DeleteRecordsTopicResult,
} from "../protocol/messages/delete_records.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { errorCodeOf } from "./auto_create.ts";
import { servingEpochOf } from "./routing.ts";
import { refuseInternal } from "./topic_rules.ts";

export const deleteRecordsHandler: Handler<DeleteRecordsRequest, DeleteRecordsResponse> = async (
  ctx,
  req,
) => {
  const { broker } = ctx;
  const topics: DeleteRecordsTopicResult[] = [];
  const pending: Promise<void>[] = [];
  for (const t of req.topics) {
    const meta = broker.storage.getTopic(t.name);
    const partitions: DeleteRecordsPartitionResult[] = [];
    topics.push({ name: t.name, partitions });
    for (const p of t.partitions) {
      const r: DeleteRecordsPartitionResult = {
        partitionIndex: p.partitionIndex,
        lowWatermark: -1,
        errorCode: ErrorCode.NONE,
      };
      partitions.push(r);
      const fail = (e: unknown) => {
        r.errorCode = errorCodeOf(e);
        if (r.errorCode === ErrorCode.UNKNOWN_SERVER_ERROR) {
          ctx.log.error("DeleteRecords on {topic}-{partition} failed: {reason}", {
            topic: t.name,
            partition: p.partitionIndex,
            reason: String((e as Error)?.stack ?? e),
          });
        }
      };
      try {
        if (!meta || p.partitionIndex < 0 || p.partitionIndex >= meta.partitions) {
          throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        }
        refuseInternal(t.name, "delete records of");
        servingEpochOf(broker.cluster, t.name, p.partitionIndex);
        if (!broker.configs.policy(meta).delete) {
          throw new KafkaError(
            ErrorCode.POLICY_VIOLATION,
            `Records of partition ${t.name}-${p.partitionIndex} can not be deleted due to the configured policy`,
          );
        }
        pending.push(
          broker.storage.deleteRecords(t.name, p.partitionIndex, p.offset).then((low) => {
            r.lowWatermark = low;
            ctx.log.info("DeleteRecords: {topic}-{partition} low watermark {low}", {
              topic: t.name,
              partition: p.partitionIndex,
              low,
            });
          }, fail),
        );
      } catch (e) {
        fail(e);
      }
    }
  }
  await Promise.all(pending);
  return { topics };
};
