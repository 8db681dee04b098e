// OffsetForLeaderEpoch (KIP-101/KIP-320): a consumer validating its position after a leader change asks the
// partition's leader where the epoch it last saw ends. Only the leader answers (NOT_LEADER_OR_FOLLOWER elsewhere;
// current_leader_epoch fenced as in Fetch), from the cluster's epoch history (ClusterView.epochEndOffset): the
// largest epoch <= the requested one and the offset where the next epoch starts, the log end for the current
// epoch; {-1, -1} when the requested epoch is above every known one, or undefined (-1). A solo gateway's history
// has an epoch per start (src/cluster/solo_epochs.ts); without one (no data directory: tests), the whole log
// counts as the requested epoch: {requested, log end}.
import type { Handler } from "../request/context.ts";
import type {
  OffsetForLeaderEpochRequest,
  OffsetForLeaderEpochResponse,
  OffsetForLeaderEpochResponsePartition,
  OffsetForLeaderEpochResponseTopic,
} from "../protocol/messages/offset_for_leader_epoch.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { errorCodeOf } from "./auto_create.ts";
import { servingEpochOf } from "./routing.ts";

export const offsetForLeaderEpochHandler: Handler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse> =
  async (ctx, req) => {
    const { storage, cluster } = ctx.broker;
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
        try {
          servingEpochOf(cluster, meta.name, p.partition, p.currentLeaderEpoch);
          if (p.leaderEpoch < 0) continue;
          const o = await storage.offsets(meta.name, p.partition);
          const end = cluster.epochEndOffset(meta.name, p.partition, p.leaderEpoch, o.highWatermark);
          r.leaderEpoch = end.leaderEpoch;
          r.endOffset = end.endOffset;
        } catch (e) {
          r.errorCode = errorCodeOf(e);
        }
      }
    }
    return { topics };
  };
