// DescribeLogDirs: the one log directory with the real size of every (requested) partition this gateway hosts, i.e.
// leads (each Kafka broker describes its own replicas; a solo gateway hosts all); v4 adds the volume's total and
// usable bytes. Unknown topics and partitions, and those led by another gateway, are left out, as Kafka does.
import type { Handler } from "../request/context.ts";
import type {
  DescribeLogDirsPartition,
  DescribeLogDirsRequest,
  DescribeLogDirsResponse,
  DescribeLogDirsTopic,
} from "../protocol/messages/describe_log_dirs.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { errorCodeOf } from "./auto_create.ts";

export const describeLogDirsHandler: Handler<DescribeLogDirsRequest, DescribeLogDirsResponse> = async (
  ctx,
  req,
) => {
  const { storage, cluster } = ctx.broker;
  const hosted = (topic: string, p: number) => cluster.leaderOf(topic, p).leaderId === cluster.nodeId;
  const wanted: { name: string; partitions: number[] }[] = [];
  if (req.topics === null) {
    for (const t of storage.listTopics()) {
      const partitions = Array.from({ length: t.partitions }, (_, i) => i).filter((p) => hosted(t.name, p));
      if (partitions.length > 0) wanted.push({ name: t.name, partitions });
    }
  } else {
    for (const t of req.topics) {
      const meta = storage.getTopic(t.topic);
      if (!meta) continue;
      wanted.push({
        name: t.topic,
        partitions: t.partitions.filter((p) => p >= 0 && p < meta.partitions && hosted(t.topic, p)),
      });
    }
  }
  try {
    const dir = await storage.logDir();
    const topics: DescribeLogDirsTopic[] = [];
    for (const t of wanted) {
      const partitions: DescribeLogDirsPartition[] = [];
      for (const p of t.partitions) {
        const size = await storage.partitionSize(t.name, p).catch(() => -1);
        if (size < 0) continue; // deleted meanwhile
        partitions.push({ partitionIndex: p, partitionSize: size, offsetLag: 0, isFutureKey: false });
      }
      if (partitions.length > 0 || req.topics === null) topics.push({ name: t.name, partitions });
    }
    return {
      errorCode: ErrorCode.NONE,
      results: [{
        errorCode: ErrorCode.NONE,
        logDir: dir.path,
        topics,
        totalBytes: dir.totalBytes,
        usableBytes: dir.usableBytes,
      }],
    };
  } catch (e) {
    return {
      errorCode: errorCodeOf(e),
      results: [],
    };
  }
};
