// ListOffsets: latest (-1), earliest (-2), max timestamp (-3, v7+) and by timestamp; v0 old-style offsets. Only
// the partition's leader answers (NOT_LEADER_OR_FOLLOWER elsewhere; current_leader_epoch fenced from v4), with the
// leader epoch of the offset it returns (v4+; -1 on a solo gateway, which has no epochs). read_committed (v2+)
// answers latest with the last stable offset.
import type { Broker, Handler } from "../request/context.ts";
import type {
  ListOffsetsRequest,
  ListOffsetsResponse,
  ListOffsetsResponsePartition,
} from "../protocol/messages/list_offsets.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { errorCodeOf } from "./auto_create.ts";
import type { TopicMeta } from "../storage/storage.ts";
import { servingEpochOf } from "./routing.ts";

export const LATEST = -1;
export const EARLIEST = -2;
export const MAX_TIMESTAMP = -3;
const READ_COMMITTED = 1;

const NONE = { offset: -1, timestamp: -1 };

/**
 * The answer for one partition. read_committed (isolation level 1, v2+) stops at the last stable offset, as
 * Kafka's Partition.fetchOffsetForTimestamp does: latest is the LSO, and an offset found by timestamp at or past it
 * is not returned.
 */
async function lookup(
  broker: Broker,
  topic: TopicMeta,
  partition: number,
  ts: number,
  version: number,
  committed: boolean,
): Promise<{ offset: number; timestamp: number }> {
  const storage = broker.storage;
  if (ts === LATEST || ts === EARLIEST) {
    const o = await storage.offsets(topic.name, partition);
    if (ts === EARLIEST) return { offset: o.logStartOffset, timestamp: -1 };
    return {
      offset: committed ? await stableOffset(broker, topic, partition) : o.highWatermark,
      timestamp: -1,
    };
  }
  let found: { offset: number; timestamp: number } | null;
  if (ts === MAX_TIMESTAMP && version >= 7) {
    found = await storage.maxTimestamp(topic.name, partition);
  } else if (ts < 0) {
    throw new KafkaError(ErrorCode.INVALID_REQUEST, `unsupported timestamp ${ts}`);
  } else {
    found = await storage.offsetForTimestamp(topic.name, partition, ts);
  }
  if (found === null) return NONE;
  if (committed && found.offset >= await stableOffset(broker, topic, partition)) return NONE;
  return found;
}

/** The partition's last stable offset (its producer state is loaded once, from its snapshot or the log). */
async function stableOffset(broker: Broker, topic: TopicMeta, partition: number): Promise<number> {
  const s = broker.producers.partition(topic, partition);
  const state = s instanceof Promise ? await s : s;
  const o = await broker.storage.offsets(topic.name, partition);
  return state.lastStableOffset(o.highWatermark);
}

export const listOffsetsHandler: Handler<ListOffsetsRequest, ListOffsetsResponse> = async (ctx, req) => {
  const { storage, cluster } = ctx.broker;
  const v = ctx.header.apiVersion;
  const committed = v >= 2 && req.isolationLevel === READ_COMMITTED;
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
        const found = await lookup(ctx.broker, meta, p.partitionIndex, p.timestamp, v, committed);
        if (epoch >= 0) {
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
