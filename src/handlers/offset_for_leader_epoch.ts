// OffsetForLeaderEpoch (KIP-101/KIP-320). The gateway has no leader epochs: Metadata, Fetch, ListOffsets and the
// stored batches all say -1 (unknown), so KIP-320 clients (Java, librdkafka >= 2.1) normally never validate. When
// one does (a committed offset or a seek carrying an epoch from elsewhere), the whole log counts as that epoch:
// the answer is {leaderEpoch: requested, endOffset: high watermark}, so a position at or below the end validates
// and one beyond it is truncated to the end, never reset. An undefined epoch (-1) gets Kafka's "unknown" answer
// (-1, -1). CurrentLeaderEpoch is not checked, as Fetch and ListOffsets do not check it: with no epoch of our
// own there is nothing to fence against.
import type { Handler } from "./context.ts";
import type {
  OffsetForLeaderEpochRequest,
  OffsetForLeaderEpochResponse,
  OffsetForLeaderEpochResponsePartition,
  OffsetForLeaderEpochResponseTopic,
} from "../protocol/messages/offset_for_leader_epoch.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { errorCodeOf } from "./auto_create.ts";

export const offsetForLeaderEpochHandler: Handler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse> =
  async (ctx, req) => {
    const { storage } = ctx.broker;
    const topics: OffsetForLeaderEpochResponseTopic[] = [];
    for (const t of req.topics) {
      const meta = storage.getTopic(t.topic);
      const partitions: OffsetForLeaderEpochResponsePartition[] = [];
      topics.push({ topic: t.topic, partitions });
      for (const p of t.partitions) {
        const r: OffsetForLeaderEpochResponsePartition = {
          errorCode: ErrorCode.NONE,
          partition: p.partition,
          leaderEpoch: -1,
          endOffset: -1,
        };
        partitions.push(r);
        if (!meta || p.partition < 0 || p.partition >= meta.partitions) {
          r.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          continue;
        }
        if (p.leaderEpoch < 0) continue;
        try {
          const o = await storage.offsets(meta.name, p.partition);
          r.leaderEpoch = p.leaderEpoch;
          r.endOffset = o.highWatermark;
        } catch (e) {
          r.errorCode = errorCodeOf(e);
        }
      }
    }
    return { topics };
  };
