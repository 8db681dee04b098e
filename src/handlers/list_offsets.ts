// ListOffsets: latest (-1), earliest (-2), max timestamp (-3, v7+) and by timestamp; v0 old-style offsets. Only
// the partition's leader answers (NOT_LEADER_OR_FOLLOWER elsewhere; current_leader_epoch fenced from v4), with the
// leader epoch of the offset it returns (v4+; -1 on a solo gateway, which has no epochs).
import type { Handler } from "./context.ts";
import type {
  ListOffsetsRequest,
  ListOffsetsResponse,
  ListOffsetsResponsePartition,
} from "../protocol/messages/list_offsets.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { errorCodeOf } from "./auto_create.ts";
import type { Storage } from "../storage/storage.ts";
import { servingEpochOf } from "./routing.ts";

export const LATEST = -1;
export const EARLIEST = -2;
export const MAX_TIMESTAMP = -3;

async function lookup(
  storage: Storage,
  topic: string,
  partition: number,
  ts: number,
  version: number,
): Promise<{ offset: number; timestamp: number }> {
  if (ts === LATEST || ts === EARLIEST) {
    const o = await storage.offsets(topic, partition);
    return { offset: ts === LATEST ? o.highWatermark : o.logStartOffset, timestamp: -1 };
  }
  if (ts === MAX_TIMESTAMP && version >= 7) {
    return (await storage.maxTimestamp(topic, partition)) ?? { offset: -1, timestamp: -1 };
  }
  if (ts < 0) throw new KafkaError(ErrorCode.INVALID_REQUEST, `unsupported timestamp ${ts}`);
  return (await storage.offsetForTimestamp(topic, partition, ts)) ?? { offset: -1, timestamp: -1 };
}

export const listOffsetsHandler: Handler<ListOffsetsRequest, ListOffsetsResponse> = async (ctx, req) => {
  const { storage, cluster } = ctx.broker;
  const v = ctx.header.apiVersion;
  const topics = [];
  for (const t of req.topics) {
    const meta = storage.getTopic(t.name);
    const partitions: ListOffsetsResponsePartition[] = [];
    for (const p of t.partitions) {
      const r: ListOffsetsResponsePartition = {
        partitionIndex: p.partitionIndex,
        errorCode: ErrorCode.NONE,
        oldStyleOffsets: [],
        timestamp: -1,
        offset: -1,
        leaderEpoch: -1,
      };
      try {
        if (!meta || p.partitionIndex < 0 || p.partitionIndex >= meta.partitions) {
          throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        }
        const epoch = servingEpochOf(cluster, t.name, p.partitionIndex, p.currentLeaderEpoch);
        const found = await lookup(storage, t.name, p.partitionIndex, p.timestamp, v);
        if (cluster.distributed) {
          // Latest: the epoch being written now (Kafka's latest epoch); otherwise the returned record's.
          r.leaderEpoch = p.timestamp === LATEST
            ? epoch
            : found.offset >= 0
            ? cluster.epochAt(t.name, p.partitionIndex, found.offset)
            : -1;
        }
        if (v === 0) {
          // v0 returns up to maxNumOffsets segment offsets; the requested one is enough for every client.
          r.oldStyleOffsets = found.offset >= 0 && (p.maxNumOffsets ?? 1) > 0 ? [found.offset] : [];
        } else {
          r.offset = found.offset;
          r.timestamp = found.timestamp;
        }
      } catch (e) {
        r.errorCode = errorCodeOf(e);
      }
      partitions.push(r);
    }
    topics.push({ name: t.name, partitions });
  }
  return { topics };
};
