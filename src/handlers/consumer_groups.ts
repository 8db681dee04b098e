// ConsumerGroupHeartbeat (68) and ConsumerGroupDescribe (69), KIP-848's consumer group protocol. The handlers
// only route (NOT_COORDINATOR for a group held elsewhere), translate between the wire and the coordinator's
// API (src/groups/consumer/contract.ts) and turn a KafkaError into the response's error code and message; the
// group logic (validation, fencing, assignment) is the coordinator's.
import type { Handler, RequestContext } from "../request/context.ts";
import type {
  ConsumerGroupHeartbeatRequest,
  ConsumerGroupHeartbeatResponse,
} from "../protocol/messages/consumer_group_heartbeat.ts";
import type {
  ConsumerGroupDescribeRequest,
  ConsumerGroupDescribeResponse,
  ConsumerGroupDescribeResponseGroup,
} from "../protocol/messages/consumer_group_describe.ts";
import type {
  ConsumerGroupDescription,
  ConsumerHeartbeatArgs,
  ConsumerHeartbeatResult,
  DescribedTopicPartitions,
} from "../groups/consumer/contract.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { AUTHORIZED_OPERATIONS_OMITTED } from "../protocol/messages/metadata.ts";
import { coordinatedElsewhere } from "./routing.ts";
import type { Answer } from "../request/context.ts";

/** The coordinator's consumer group API these handlers call (GroupCoordinator implements it). */
export interface ConsumerGroupsApi {
  consumerGroupHeartbeat(
    a: ConsumerHeartbeatArgs,
  ): Promise<ConsumerHeartbeatResult> | ConsumerHeartbeatResult;
  /** errorCode GROUP_ID_NOT_FOUND for an unknown or classic group. */
  describeConsumerGroup(groupId: string): Promise<ConsumerGroupDescription> | ConsumerGroupDescription;
}

/** Where the handlers find the API: the broker's coordinator (a stand-in in tests). */
export type ConsumerGroupsApiOf = (ctx: RequestContext) => ConsumerGroupsApi;

type HeartbeatAnswer = Answer<ConsumerGroupHeartbeatResponse>;

function heartbeatError(errorCode: number, errorMessage: string | null): HeartbeatAnswer {
  // As Kafka's error responses: the other fields keep their defaults.
  return {
    errorCode,
    errorMessage,
    memberId: null,
    memberEpoch: 0,
    heartbeatIntervalMs: 0,
    assignment: null,
  };
}

function heartbeatArgs(ctx: RequestContext, req: ConsumerGroupHeartbeatRequest): ConsumerHeartbeatArgs {
  return {
    apiVersion: ctx.header.apiVersion,
    groupId: req.groupId,
    memberId: req.memberId,
    memberEpoch: req.memberEpoch,
    instanceId: req.instanceId ?? null,
    rackId: req.rackId ?? null,
    rebalanceTimeoutMs: req.rebalanceTimeoutMs ?? -1,
    subscribedTopicNames: req.subscribedTopicNames ?? null,
    // Absent in v0: null, "unchanged".
    subscribedTopicRegex: req.subscribedTopicRegex ?? null,
    serverAssignor: req.serverAssignor ?? null,
    topicPartitions: req.topicPartitions === null || req.topicPartitions === undefined
      ? null
      : req.topicPartitions.map((t) => ({ topicId: t.topicId, partitions: t.partitions })),
    clientId: ctx.header.clientId ?? "",
    clientHost: ctx.clientHost,
  };
}

export function consumerGroupHeartbeatHandler(
  api: ConsumerGroupsApiOf,
): Handler<ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse> {
  return async (ctx, req) => {
    if (coordinatedElsewhere(ctx.broker, req.groupId)) {
      return heartbeatError(
        ErrorCode.NOT_COORDINATOR,
        `Group ${req.groupId} is not coordinated by this broker.`,
      );
    }
    let r: ConsumerHeartbeatResult;
    try {
      r = await api(ctx).consumerGroupHeartbeat(heartbeatArgs(ctx, req));
    } catch (e) {
      if (!(e instanceof KafkaError)) throw e;
      return heartbeatError(e.code, e.message);
    }
    if (r.errorCode !== ErrorCode.NONE) return heartbeatError(r.errorCode, r.errorMessage);
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      memberId: r.memberId,
      memberEpoch: r.memberEpoch,
      heartbeatIntervalMs: r.heartbeatIntervalMs,
      assignment: r.assignment === null ? null : {
        topicPartitions: r.assignment.map((t) => ({ topicId: t.topicId, partitions: [...t.partitions] })),
      },
    };
  };
}

type DescribedGroup = ConsumerGroupDescribeResponseGroup;

function describeError(groupId: string, errorCode: number, errorMessage: string | null): DescribedGroup {
  return {
    errorCode,
    errorMessage,
    groupId,
    groupState: "",
    // Kafka leaves a failed group's epochs at the schema's default, 0.
    groupEpoch: 0,
    assignmentEpoch: 0,
    assignorName: "",
    members: [],
    authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  };
}

function wireAssignment(a: readonly DescribedTopicPartitions[]) {
  return {
    topicPartitions: a.map((t) => ({
      topicId: t.topicId,
      topicName: t.topicName,
      partitions: [...t.partitions],
    })),
  };
}

/** One group's entry of the response (memberType is dropped by the codec before v1). */
export function describedGroup(d: ConsumerGroupDescription): DescribedGroup {
  if (d.errorCode !== ErrorCode.NONE) return describeError(d.groupId, d.errorCode, d.errorMessage);
  return {
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    groupId: d.groupId,
    groupState: d.groupState,
    groupEpoch: d.groupEpoch,
    assignmentEpoch: d.assignmentEpoch,
    assignorName: d.assignorName,
    // the description's members are the wire's, but for the assignments' shape and the state (not on the wire)
    members: d.members.map(({ state: _state, assignment, targetAssignment, ...m }) => ({
      ...m,
      assignment: wireAssignment(assignment),
      targetAssignment: wireAssignment(targetAssignment),
    })),
    // The ACL step fills it in when asked for (src/security/acl/rules/groups.ts).
    authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  };
}

export function consumerGroupDescribeHandler(
  api: ConsumerGroupsApiOf,
): Handler<ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse> {
  return async (ctx, req) => {
    const groups: DescribedGroup[] = [];
    for (const id of req.groupIds) {
      if (id === "") {
        groups.push(describeError(id, ErrorCode.INVALID_GROUP_ID, "Group ID can't be empty."));
      } else if (coordinatedElsewhere(ctx.broker, id)) {
        groups.push(describeError(id, ErrorCode.NOT_COORDINATOR, null));
      } else {
        try {
          groups.push(describedGroup(await api(ctx).describeConsumerGroup(id)));
        } catch (e) {
          if (!(e instanceof KafkaError)) throw e;
          groups.push(describeError(id, e.code, e.message));
        }
      }
    }
    return { groups };
  };
}
