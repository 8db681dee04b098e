// OffsetCommit, OffsetFetch (single group v0-7, several groups v8+) and OffsetDelete.
import type { Handler } from "./context.ts";
import type { OffsetCommitRequest, OffsetCommitResponse } from "../protocol/messages/offset_commit.ts";
import type {
  OffsetFetchRequest,
  OffsetFetchResponse,
  OffsetFetchResponseTopic,
} from "../protocol/messages/offset_fetch.ts";
import type { OffsetDeleteRequest, OffsetDeleteResponse } from "../protocol/messages/offset_delete.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { offsetKey } from "../storage/group_store.ts";
import type { GroupCoordinator } from "../coordinator/coordinator.ts";

export const offsetCommitHandler: Handler<OffsetCommitRequest, OffsetCommitResponse> = async (ctx, req) => {
  const offsets = req.topics.flatMap((t) =>
    t.partitions.map((p) => ({
      topic: t.name,
      partition: p.partitionIndex,
      offset: p.committedOffset,
      leaderEpoch: p.committedLeaderEpoch,
      metadata: p.committedMetadata,
    }))
  );
  const codes = await ctx.broker.coordinator.commit({
    groupId: req.groupId,
    generationId: req.generationIdOrMemberEpoch,
    memberId: req.memberId,
    groupInstanceId: req.groupInstanceId,
    retentionTimeMs: req.retentionTimeMs,
    offsets,
  });
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partitionIndex,
        errorCode: codes.get(offsetKey(t.name, p.partitionIndex)) ?? ErrorCode.UNKNOWN_SERVER_ERROR,
      })),
    })),
  };
};

function groupOffsets(
  coordinator: GroupCoordinator,
  groupId: string,
  topics: readonly { name: string; partitionIndexes: number[] }[] | null,
): OffsetFetchResponseTopic[] {
  const wanted = topics === null
    ? null
    : topics.flatMap((t) => t.partitionIndexes.map((partition) => ({ topic: t.name, partition })));
  const rows = coordinator.fetchOffsets(groupId, wanted);
  const byTopic = new Map<string, OffsetFetchResponseTopic>();
  // Keep the request's topic order; "all topics" lists them as stored.
  for (const t of topics ?? []) byTopic.set(t.name, { name: t.name, partitions: [] });
  for (const r of rows) {
    let t = byTopic.get(r.topic);
    if (!t) byTopic.set(r.topic, t = { name: r.topic, partitions: [] });
    t.partitions.push({
      partitionIndex: r.partition,
      committedOffset: r.offset,
      committedLeaderEpoch: r.leaderEpoch,
      metadata: r.metadata,
      errorCode: ErrorCode.NONE,
    });
  }
  return [...byTopic.values()];
}

export const offsetFetchHandler: Handler<OffsetFetchRequest, OffsetFetchResponse> = (ctx, req) => {
  const { coordinator } = ctx.broker;
  if (ctx.header.apiVersion >= 8) {
    return {
      throttleTimeMs: 0,
      topics: [],
      errorCode: ErrorCode.NONE,
      groups: req.groups.map((g) => ({
        groupId: g.groupId,
        topics: groupOffsets(coordinator, g.groupId, g.topics),
        errorCode: ErrorCode.NONE,
      })),
    };
  }
  // v0-1 have no "all topics" form; null arrives only from v2.
  return {
    throttleTimeMs: 0,
    topics: groupOffsets(coordinator, req.groupId, req.topics),
    errorCode: ErrorCode.NONE,
    groups: [],
  };
};

export const offsetDeleteHandler: Handler<OffsetDeleteRequest, OffsetDeleteResponse> = async (ctx, req) => {
  const res = await ctx.broker.coordinator.deleteOffsets(
    req.groupId,
    req.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex }))),
  );
  return {
    errorCode: res.errorCode,
    throttleTimeMs: 0,
    topics: res.errorCode !== ErrorCode.NONE ? [] : req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partitionIndex,
        errorCode: res.partitions.get(offsetKey(t.name, p.partitionIndex)) ?? ErrorCode.NONE,
      })),
    })),
  };
};
