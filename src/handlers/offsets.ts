// OffsetCommit, OffsetFetch (single group v0-7, several groups v8+) and OffsetDelete, for groups this gateway
// coordinates; other groups get NOT_COORDINATOR (per group in OffsetFetch v8+) before the coordinator is asked.
// OffsetFetch v7+ require_stable: a partition with a transactional offset commit pending answers
// UNSTABLE_OFFSET_COMMIT in its own error code (v7 and v8+ alike, as Kafka), and the client retries it; without
// it the last committed offset is answered as always.
import type { Handler } from "../request/context.ts";
import type { OffsetCommitRequest, OffsetCommitResponse } from "../protocol/messages/offset_commit.ts";
import type {
  OffsetFetchRequest,
  OffsetFetchResponse,
  OffsetFetchResponseGroupTopic,
} from "../protocol/messages/offset_fetch.ts";
import type { OffsetDeleteRequest, OffsetDeleteResponse } from "../protocol/messages/offset_delete.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { offsetKey } from "../storage/group_store.ts";
import type { GroupCoordinator } from "../groups/coordinator.ts";
import type { Broker } from "../request/context.ts";
import { coordinatedElsewhere } from "./routing.ts";

export const offsetCommitHandler: Handler<OffsetCommitRequest, OffsetCommitResponse> = async (ctx, req) => {
  // Kafka accepts commits for the empty group id (old clients): it is routed like any other.
  if (coordinatedElsewhere(ctx.broker, req.groupId, true)) {
    return {
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          errorCode: ErrorCode.NOT_COORDINATOR,
        })),
      })),
    };
  }
  const offsets = req.topics.flatMap((t) =>
    t.partitions.map((p) => ({
      topic: t.name,
      partition: p.partitionIndex,
      offset: p.committedOffset,
      leaderEpoch: p.committedLeaderEpoch ?? -1,
      metadata: p.committedMetadata,
    }))
  );
  const codes = await ctx.broker.coordinator.commit({
    groupId: req.groupId,
    // Absent in v0: a simple commit (-1, no member), no static member, the broker's retention (-1).
    generationId: req.generationIdOrMemberEpoch ?? -1,
    apiVersion: ctx.header.apiVersion,
    memberId: req.memberId ?? "",
    groupInstanceId: req.groupInstanceId ?? null,
    retentionTimeMs: req.retentionTimeMs ?? -1,
    offsets,
  });
  return {
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partitionIndex,
        errorCode: codes.get(offsetKey(t.name, p.partitionIndex)) ?? ErrorCode.UNKNOWN_SERVER_ERROR,
      })),
    })),
  };
};

/** OffsetFetch v9+: the consumer-protocol member asking (memberId null = no check). */
export interface FetchingMember {
  readonly memberId: string;
  readonly memberEpoch: number;
}

function groupOffsets(
  coordinator: GroupCoordinator,
  groupId: string,
  topics: readonly { name: string; partitionIndexes: number[] }[] | null,
  requireStable: boolean,
  member: FetchingMember | undefined,
): OffsetFetchResponseGroupTopic[] {
  // The v8+ shape (leader epoch always present) also fits the v0-7 topics, where it is optional.
  const wanted = topics === null
    ? null
    : topics.flatMap((t) => t.partitionIndexes.map((partition) => ({ topic: t.name, partition })));
  const rows = coordinator.fetchOffsets(groupId, wanted, requireStable, member);
  const byTopic = new Map<string, OffsetFetchResponseGroupTopic>();
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
      errorCode: r.errorCode ?? ErrorCode.NONE,
    });
  }
  return [...byTopic.values()];
}

/** One group's committed offsets, or the group's error (NOT_COORDINATOR, also when it moved meanwhile). */
function groupResult(
  broker: Broker,
  groupId: string,
  topics: readonly { name: string; partitionIndexes: number[] }[] | null,
  requireStable: boolean,
  member?: FetchingMember,
): { topics: OffsetFetchResponseGroupTopic[]; errorCode: number } {
  if (coordinatedElsewhere(broker, groupId, true)) {
    return { topics: [], errorCode: ErrorCode.NOT_COORDINATOR };
  }
  try {
    return {
      topics: groupOffsets(broker.coordinator, groupId, topics, requireStable, member),
      errorCode: ErrorCode.NONE,
    };
  } catch (e) {
    if (!(e instanceof KafkaError)) throw e;
    return { topics: [], errorCode: e.code };
  }
}

export const offsetFetchHandler: Handler<OffsetFetchRequest, OffsetFetchResponse> = (ctx, req) => {
  const { broker } = ctx;
  const v = ctx.header.apiVersion;
  // Absent before v7 (false).
  const requireStable = req.requireStable ?? false;
  if (v >= 8) {
    return {
      topics: [],
      errorCode: ErrorCode.NONE,
      groups: (req.groups ?? []).map((g) => ({
        groupId: g.groupId,
        ...groupResult(
          broker,
          g.groupId,
          g.topics,
          requireStable,
          // v9+: a consumer-protocol member (null: an admin or classic fetch, not checked).
          g.memberId !== null && g.memberId !== undefined
            ? { memberId: g.memberId, memberEpoch: g.memberEpoch ?? -1 }
            : undefined,
        ),
      })),
    };
  }
  // v0-1 have no "all topics" form; null arrives only from v2.
  const r = groupResult(broker, req.groupId ?? "", req.topics ?? null, requireStable);
  if (r.errorCode !== ErrorCode.NONE && v < 2) {
    // No top-level error code before v2: each requested partition carries it, as Kafka answers.
    return {
      topics: (req.topics ?? []).map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((partitionIndex) => ({
          partitionIndex,
          committedOffset: -1,
          committedLeaderEpoch: -1,
          metadata: "",
          errorCode: r.errorCode,
        })),
      })),
      errorCode: r.errorCode,
      groups: [],
    };
  }
  return { topics: r.topics, errorCode: r.errorCode, groups: [] };
};

export const offsetDeleteHandler: Handler<OffsetDeleteRequest, OffsetDeleteResponse> = async (ctx, req) => {
  if (coordinatedElsewhere(ctx.broker, req.groupId)) {
    return { errorCode: ErrorCode.NOT_COORDINATOR, topics: [] };
  }
  const res = await ctx.broker.coordinator.deleteOffsets(
    req.groupId,
    req.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex }))),
  );
  return {
    errorCode: res.errorCode,
    topics: res.errorCode !== ErrorCode.NONE ? [] : req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partitionIndex,
        errorCode: res.partitions.get(offsetKey(t.name, p.partitionIndex)) ?? ErrorCode.NONE,
      })),
    })),
  };
};
