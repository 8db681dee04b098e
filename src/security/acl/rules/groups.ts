// The authorization rules of the consumer group APIs, as Kafka's KafkaApis checks them: the group's operation
// first (GROUP_AUTHORIZATION_FAILED), then each topic; groups and topics the principal may not DESCRIBE are hidden
// from ListGroups and from OffsetFetch for all topics, and refused per entry where they are named.
import { ErrorCode } from "../../../protocol/errors.ts";
import { ZERO_UUID } from "../../../protocol/codec.ts";
import { ALLOW, type Permissions } from "../../../request/authorize.ts";
import { OffsetCommitSpec } from "../../../protocol/messages/offset_commit.ts";
import { OffsetFetchSpec } from "../../../protocol/messages/offset_fetch.ts";
import { OffsetDeleteSpec } from "../../../protocol/messages/offset_delete.ts";
import { FindCoordinatorSpec } from "../../../protocol/messages/find_coordinator.ts";
import { DescribeGroupsSpec } from "../../../protocol/messages/describe_groups.ts";
import { ListGroupsSpec } from "../../../protocol/messages/list_groups.ts";
import { DeleteGroupsSpec } from "../../../protocol/messages/delete_groups.ts";
import { ConsumerGroupHeartbeatSpec } from "../../../protocol/messages/consumer_group_heartbeat.ts";
import {
  type ConsumerGroupDescribeResponseGroup,
  ConsumerGroupDescribeSpec,
} from "../../../protocol/messages/consumer_group_describe.ts";
import { ShareGroupHeartbeatSpec } from "../../../protocol/messages/share_group_heartbeat.ts";
import {
  type ShareGroupDescribeResponseGroup,
  ShareGroupDescribeSpec,
} from "../../../protocol/messages/share_group_describe.ts";
import { ShareFetchSpec } from "../../../protocol/messages/share_fetch.ts";
import { ShareAcknowledgeSpec } from "../../../protocol/messages/share_acknowledge.ts";
import {
  AlterShareGroupOffsetsSpec,
  DeleteShareGroupOffsetsSpec,
  DescribeShareGroupOffsetsSpec,
} from "../../../protocol/messages/share_group_offsets.ts";
import { AclOperation as Op, ResourceType } from "../model.ts";
import type { Narrow } from "../../../request/authorize.ts";
import type { Answer } from "../../../request/context.ts";
import type { RequestOf, ResponseOf } from "../../../protocol/schema.ts";
import {
  deny,
  DENY_GROUP,
  DENY_TOPIC,
  groupOnly,
  rewrite,
  type Rule,
  splitList,
  topicCode,
} from "./common.ts";

/** JoinGroup, SyncGroup, Heartbeat, LeaveGroup: READ on the group. */
export const joinGroup = groupOnly(Op.READ);
export const syncGroup = groupOnly(Op.READ);
export const heartbeat = groupOnly(Op.READ);
export const leaveGroup = groupOnly(Op.READ);

/** OffsetCommit: READ on the group, READ on each topic (refused per topic). */
export const offsetCommit: Rule<typeof OffsetCommitSpec> = (p, _ctx, req) => {
  if (!p.group(Op.READ, req.groupId)) return DENY_GROUP;
  return splitList(OffsetCommitSpec, {
    request: req,
    reqName: "topics",
    entries: req.topics,
    resName: "topics",
    classify: (t) => topicCode(p, Op.READ, t.name),
  });
};

/** OffsetDelete: DELETE on the group, READ on each topic (refused per topic). */
export const offsetDelete: Rule<typeof OffsetDeleteSpec> = (p, _ctx, req) => {
  if (!p.group(Op.DELETE, req.groupId)) return DENY_GROUP;
  return splitList(OffsetDeleteSpec, {
    request: req,
    reqName: "topics",
    entries: req.topics,
    resName: "topics",
    classify: (t) => topicCode(p, Op.READ, t.name),
  });
};

/** An OffsetFetch response partition as Kafka's OffsetFetchResponse.UNAUTHORIZED_PARTITION rewrites it. */
interface OffsetPartition {
  committedOffset: number;
  committedLeaderEpoch?: number;
  metadata: string | null;
  errorCode: number;
}

/** One group's topics in an OffsetFetch response: hidden when all were asked for, refused when named. */
function filterOffsetTopics<
  T extends { readonly name: string; readonly partitions: readonly OffsetPartition[] },
>(
  p: Permissions,
  topics: readonly T[],
  named: boolean,
): T[] {
  const out: T[] = [];
  for (const t of topics) {
    if (p.topic(Op.DESCRIBE, t.name)) out.push(t);
    else if (named) {
      for (const part of t.partitions) {
        part.committedOffset = -1;
        part.committedLeaderEpoch = -1;
        part.metadata = "";
        part.errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
      }
      out.push(t);
    }
  }
  return out;
}

/** OffsetFetch: DESCRIBE on each group (v8+: per group), topics the principal may not DESCRIBE hidden or refused. */
export const offsetFetch: Rule<typeof OffsetFetchSpec> = (p, ctx, req) => {
  if (ctx.header.apiVersion <= 7) {
    const g = req.groupId;
    if (g !== undefined && !p.group(Op.DESCRIBE, g)) return DENY_GROUP;
    const named = req.topics !== null;
    return rewrite(OffsetFetchSpec, req, (res) => {
      if (res.topics !== undefined) res.topics = filterOffsetTopics(p, res.topics, named);
      return res;
    });
  }
  // v8+: many groups, each with its own error.
  const namedTopics = new Map<string, boolean>();
  for (const g of req.groups ?? []) namedTopics.set(g.groupId, g.topics !== null);
  return rewrite(OffsetFetchSpec, req, (res) => {
    for (const g of res.groups ?? []) {
      if (!p.group(Op.DESCRIBE, g.groupId)) {
        g.errorCode = ErrorCode.GROUP_AUTHORIZATION_FAILED;
        g.topics = [];
      } else {
        g.topics = filterOffsetTopics(p, g.topics, namedTopics.get(g.groupId) ?? true);
      }
    }
    return res;
  });
};

/** FindCoordinator: DESCRIBE on the group or the transactional id, per key from v4. */
export const findCoordinator: Rule<typeof FindCoordinatorSpec> = (p, ctx, req) => {
  const keyType = req.keyType ?? 0;
  const allowed = (key: string) =>
    keyType === 1 ? p.transactionalId(Op.DESCRIBE, key) : p.group(Op.DESCRIBE, key);
  const code = keyType === 1
    ? ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
    : ErrorCode.GROUP_AUTHORIZATION_FAILED;
  if (ctx.header.apiVersion <= 3) {
    const key = req.key;
    return key === undefined || allowed(key) ? ALLOW : deny(code);
  }
  return splitList(FindCoordinatorSpec, {
    request: req,
    reqName: "coordinatorKeys",
    entries: req.coordinatorKeys,
    resName: "coordinators",
    classify: (k) => allowed(k) ? 0 : code,
  });
};

/** DescribeGroups: DESCRIBE on each group (refused per group). */
export const describeGroups: Rule<typeof DescribeGroupsSpec> = (p, ctx, req) => {
  const includeOps = ctx.header.apiVersion >= 3 && req.includeAuthorizedOperations === true;
  return splitList(DescribeGroupsSpec, {
    request: req,
    reqName: "groups",
    entries: req.groups,
    resName: "groups",
    classify: (g) => p.group(Op.DESCRIBE, g) ? 0 : ErrorCode.GROUP_AUTHORIZATION_FAILED,
    complete: includeOps
      ? (res) => {
        for (const g of res.groups) {
          if (g.errorCode === ErrorCode.NONE) {
            g.authorizedOperations = p.authorizedOperations(ResourceType.GROUP, g.groupId);
          }
        }
        return res;
      }
      : undefined,
  });
};

/** ListGroups: cluster DESCRIBE sees every group; otherwise only those it may DESCRIBE. */
export const listGroups: Rule<typeof ListGroupsSpec> = (p, _ctx, req) => {
  if (p.cluster(Op.DESCRIBE)) return ALLOW;
  return rewrite(ListGroupsSpec, req, (res) => {
    res.groups = res.groups.filter((g) => p.group(Op.DESCRIBE, g.groupId));
    return res;
  });
};

/** DeleteGroups: DELETE on each group (refused per group). */
export const deleteGroups: Rule<typeof DeleteGroupsSpec> = (p, _ctx, req) =>
  splitList(DeleteGroupsSpec, {
    request: req,
    reqName: "groupsNames",
    entries: req.groupsNames,
    resName: "results",
    classify: (g) => p.group(Op.DELETE, g) ? 0 : ErrorCode.GROUP_AUTHORIZATION_FAILED,
  });

/**
 * ConsumerGroupHeartbeat (Kafka 4 KafkaApis): READ on the group, and DESCRIBE on every subscribed topic name
 * (TOPIC_AUTHORIZATION_FAILED otherwise). A regex subscription is resolved by the coordinator over all topics.
 */
export const consumerGroupHeartbeat: Rule<typeof ConsumerGroupHeartbeatSpec> = (p, _ctx, req) => {
  if (!p.group(Op.READ, req.groupId)) return DENY_GROUP;
  const refused = (req.subscribedTopicNames ?? []).some((n) => !p.topic(Op.DESCRIBE, n));
  return refused ? DENY_TOPIC : ALLOW;
};

/** Every topic a described consumer group's members are assigned (current or target), by name. */
function assignedTopics(group: ConsumerGroupDescribeResponseGroup): Set<string> {
  const out = new Set<string>();
  for (const m of group.members) {
    for (const t of m.assignment.topicPartitions) out.add(t.topicName);
    for (const t of m.targetAssignment.topicPartitions) out.add(t.topicName);
  }
  return out;
}

/**
 * ConsumerGroupDescribe: DESCRIBE on each group (GROUP_AUTHORIZATION_FAILED in its entry); as Kafka 4, a group
 * whose members are assigned a topic the principal may not DESCRIBE answers TOPIC_AUTHORIZATION_FAILED.
 */
export const consumerGroupDescribe: Rule<typeof ConsumerGroupDescribeSpec> = (p, _ctx, req) => {
  const includeOps = req.includeAuthorizedOperations === true;
  return splitList(ConsumerGroupDescribeSpec, {
    request: req,
    reqName: "groupIds",
    entries: req.groupIds,
    resName: "groups",
    classify: (g) => p.group(Op.DESCRIBE, g) ? 0 : ErrorCode.GROUP_AUTHORIZATION_FAILED,
    complete: (res) => {
      res.groups = res.groups.map((g) => {
        if (g.errorCode !== ErrorCode.NONE) return g;
        if ([...assignedTopics(g)].some((t) => !p.topic(Op.DESCRIBE, t))) {
          return {
            ...g,
            errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
            errorMessage: "The described group uses topics that the client is not authorized to describe.",
            members: [],
          };
        }
        if (includeOps) g.authorizedOperations = p.authorizedOperations(ResourceType.GROUP, g.groupId);
        return g;
      });
      return res;
    },
  });
};

/** ShareGroupHeartbeat (Kafka 4.1 KafkaApis): READ on the group, DESCRIBE on every subscribed topic name. */
export const shareGroupHeartbeat: Rule<typeof ShareGroupHeartbeatSpec> = (p, _ctx, req) => {
  if (!p.group(Op.READ, req.groupId)) return DENY_GROUP;
  const refused = (req.subscribedTopicNames ?? []).some((n) => !p.topic(Op.DESCRIBE, n));
  return refused ? DENY_TOPIC : ALLOW;
};

/**
 * ShareGroupDescribe: DESCRIBE on each group (GROUP_AUTHORIZATION_FAILED in its entry); a group whose members
 * are assigned a topic the principal may not DESCRIBE answers TOPIC_AUTHORIZATION_FAILED, as ConsumerGroupDescribe.
 */
export const shareGroupDescribe: Rule<typeof ShareGroupDescribeSpec> = (p, _ctx, req) => {
  const includeOps = req.includeAuthorizedOperations === true;
  const topicsOf = (g: ShareGroupDescribeResponseGroup) =>
    g.members.flatMap((m) => m.assignment.topicPartitions.map((t) => t.topicName));
  return splitList(ShareGroupDescribeSpec, {
    request: req,
    reqName: "groupIds",
    entries: req.groupIds,
    resName: "groups",
    classify: (g) => p.group(Op.DESCRIBE, g) ? 0 : ErrorCode.GROUP_AUTHORIZATION_FAILED,
    complete: (res) => {
      res.groups = res.groups.map((g) => {
        if (g.errorCode !== ErrorCode.NONE) return g;
        if (topicsOf(g).some((t) => !p.topic(Op.DESCRIBE, t))) {
          return {
            ...g,
            errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
            errorMessage: "The described group uses topics that the client is not authorized to describe.",
            members: [],
          };
        }
        if (includeOps) g.authorizedOperations = p.authorizedOperations(ResourceType.GROUP, g.groupId);
        return g;
      });
      return res;
    },
  });
};

/**
 * ShareFetch and ShareAcknowledge: READ on the group, READ on every topic named (by id; an unknown id is left to
 * the handler's UNKNOWN_TOPIC_ID). A refused topic refuses the request (TOPIC_AUTHORIZATION_FAILED).
 */
export const shareFetch: Rule<typeof ShareFetchSpec> = (p, ctx, req) => {
  if (!p.group(Op.READ, req.groupId ?? "")) return DENY_GROUP;
  const ids = [...req.topics.map((t) => t.topicId), ...req.forgottenTopicsData.map((t) => t.topicId)];
  return readsAll(p, ctx.broker.storage, ids) ? ALLOW : DENY_TOPIC;
};

export const shareAcknowledge: Rule<typeof ShareAcknowledgeSpec> = (p, ctx, req) => {
  if (!p.group(Op.READ, req.groupId ?? "")) return DENY_GROUP;
  return readsAll(p, ctx.broker.storage, req.topics.map((t) => t.topicId)) ? ALLOW : DENY_TOPIC;
};

function readsAll(
  p: Permissions,
  storage: { getTopicById(id: string): { name: string } | undefined },
  topicIds: readonly string[],
): boolean {
  return topicIds.every((id) => {
    const meta = storage.getTopicById(id);
    return meta === undefined || p.topic(Op.READ, meta.name);
  });
}

const TOPIC_DENIED = "The client is not authorized to access this topic.";

/**
 * DescribeShareGroupOffsets (Kafka 4.1 KafkaApis): DESCRIBE on each group (GROUP_AUTHORIZATION_FAILED in its
 * entry); DESCRIBE on each topic: a named one answers TOPIC_AUTHORIZATION_FAILED on its partitions, and one the
 * group was described for in full is left out.
 */
export const describeShareGroupOffsets: Rule<typeof DescribeShareGroupOffsetsSpec> = (p, _ctx, req) => {
  const named = new Set(req.groups.filter((g) => g.topics !== null).map((g) => g.groupId));
  return splitList(DescribeShareGroupOffsetsSpec, {
    request: req,
    reqName: "groups",
    entries: req.groups,
    resName: "groups",
    classify: (g) => p.group(Op.DESCRIBE, g.groupId) ? 0 : ErrorCode.GROUP_AUTHORIZATION_FAILED,
    complete: (res) => {
      for (const g of res.groups) {
        if (g.errorCode !== ErrorCode.NONE) continue;
        if (!named.has(g.groupId)) {
          g.topics = g.topics.filter((t) => p.topic(Op.DESCRIBE, t.topicName));
          continue;
        }
        for (const t of g.topics) {
          if (p.topic(Op.DESCRIBE, t.topicName)) continue;
          t.partitions = t.partitions.map((r) => ({
            partitionIndex: r.partitionIndex,
            startOffset: -1,
            leaderEpoch: 0,
            errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
            errorMessage: TOPIC_DENIED,
          }));
        }
      }
      return res;
    },
  });
};

/**
 * AlterShareGroupOffsets: READ on the group (the top-level GROUP_AUTHORIZATION_FAILED), READ on each topic
 * (TOPIC_AUTHORIZATION_FAILED on its partitions; the others are altered).
 */
export const alterShareGroupOffsets: Rule<typeof AlterShareGroupOffsetsSpec> = (p, _ctx, req) => {
  if (!p.group(Op.READ, req.groupId)) return DENY_GROUP;
  const refused = req.topics.filter((t) => !p.topic(Op.READ, t.topicName));
  if (refused.length === 0) return ALLOW;
  const narrow: Narrow<
    RequestOf<typeof AlterShareGroupOffsetsSpec>,
    Answer<ResponseOf<typeof AlterShareGroupOffsetsSpec>>
  > = {
    kind: "narrow",
    request: { ...req, topics: req.topics.filter((t) => p.topic(Op.READ, t.topicName)) },
    complete: (res) => {
      for (const t of refused) {
        res.responses.push({
          topicName: t.topicName,
          topicId: ZERO_UUID,
          partitions: t.partitions.map((r) => ({
            partitionIndex: r.partitionIndex,
            errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
            errorMessage: TOPIC_DENIED,
          })),
        });
      }
      return res;
    },
  };
  return narrow;
};

/** DeleteShareGroupOffsets: DELETE on the group, READ on each topic (TOPIC_AUTHORIZATION_FAILED in its entry). */
export const deleteShareGroupOffsets: Rule<typeof DeleteShareGroupOffsetsSpec> = (p, _ctx, req) => {
  if (!p.group(Op.DELETE, req.groupId)) return DENY_GROUP;
  return splitList(DeleteShareGroupOffsetsSpec, {
    request: req,
    reqName: "topics",
    entries: req.topics,
    resName: "responses",
    classify: (t) => topicCode(p, Op.READ, t.topicName),
  });
};
