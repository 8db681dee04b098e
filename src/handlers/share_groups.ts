// ShareGroupHeartbeat (76) and ShareGroupDescribe (77), KIP-932's share group protocol (served only with
// group.share.enable: share consumers cannot fetch yet). The handlers only route (NOT_COORDINATOR for a group held
// elsewhere), translate between the wire and the coordinator's API (src/groups/share/contract.ts) and turn a
// KafkaError into the response's error code and message; the group logic is the coordinator's.
import type { Answer, Handler, RequestContext } from "../request/context.ts";
import type {
  ShareGroupHeartbeatRequest,
  ShareGroupHeartbeatResponse,
} from "../protocol/messages/share_group_heartbeat.ts";
import type {
  ShareGroupDescribeRequest,
  ShareGroupDescribeResponse,
  ShareGroupDescribeResponseGroup,
} from "../protocol/messages/share_group_describe.ts";
import type {
  ShareGroupDescription,
  ShareHeartbeatArgs,
  ShareHeartbeatResult,
} from "../groups/share/contract.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { AUTHORIZED_OPERATIONS_OMITTED } from "../protocol/messages/metadata.ts";
import { coordinatedElsewhere } from "./routing.ts";

/** The coordinator's share group API these handlers call (GroupCoordinator implements it). */
export interface ShareGroupsApi {
  shareGroupHeartbeat(a: ShareHeartbeatArgs): Promise<ShareHeartbeatResult> | ShareHeartbeatResult;
  /** errorCode GROUP_ID_NOT_FOUND for an unknown group or another kind's. */
  describeShareGroup(groupId: string): Promise<ShareGroupDescription> | ShareGroupDescription;
}

/** Where the handlers find the API: the broker's coordinator (a stand-in in tests). */
export type ShareGroupsApiOf = (ctx: RequestContext) => ShareGroupsApi;

function heartbeatError(errorCode: number, errorMessage: string | null): Answer<ShareGroupHeartbeatResponse> {
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

export function shareGroupHeartbeatHandler(
  api: ShareGroupsApiOf,
): Handler<ShareGroupHeartbeatRequest, ShareGroupHeartbeatResponse> {
  return async (ctx, req) => {
    if (coordinatedElsewhere(ctx.broker, req.groupId)) {
      return heartbeatError(
        ErrorCode.NOT_COORDINATOR,
        `Group ${req.groupId} is not coordinated by this broker.`,
      );
    }
    let r: ShareHeartbeatResult;
    try {
      r = await api(ctx).shareGroupHeartbeat({
        groupId: req.groupId,
        memberId: req.memberId,
        memberEpoch: req.memberEpoch,
        rackId: req.rackId ?? null,
        subscribedTopicNames: req.subscribedTopicNames ?? null,
        clientId: ctx.header.clientId ?? "",
        clientHost: ctx.clientHost,
      });
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

type DescribedGroup = ShareGroupDescribeResponseGroup;

function describeError(groupId: string, errorCode: number, errorMessage: string | null): DescribedGroup {
  return {
    errorCode,
    errorMessage,
    groupId,
    groupState: "",
    groupEpoch: 0,
    assignmentEpoch: 0,
    assignorName: "",
    members: [],
    authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  };
}

/** One group's entry of the response. */
export function describedShareGroup(d: ShareGroupDescription): DescribedGroup {
  if (d.errorCode !== ErrorCode.NONE) return describeError(d.groupId, d.errorCode, d.errorMessage);
  return {
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    groupId: d.groupId,
    groupState: d.groupState,
    groupEpoch: d.groupEpoch,
    assignmentEpoch: d.assignmentEpoch,
    assignorName: d.assignorName,
    members: d.members.map(({ assignment, ...m }) => ({
      ...m,
      assignment: {
        topicPartitions: assignment.map((t) => ({
          topicId: t.topicId,
          topicName: t.topicName,
          partitions: [...t.partitions],
        })),
      },
    })),
    // The ACL step fills it in when asked for (src/security/acl/rules/groups.ts).
    authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  };
}

export function shareGroupDescribeHandler(
  api: ShareGroupsApiOf,
): Handler<ShareGroupDescribeRequest, ShareGroupDescribeResponse> {
  return async (ctx, req) => {
    const groups: DescribedGroup[] = [];
    for (const id of req.groupIds) {
      if (id === "") {
        groups.push(describeError(id, ErrorCode.INVALID_GROUP_ID, "Group ID can't be empty."));
      } else if (coordinatedElsewhere(ctx.broker, id)) {
        groups.push(describeError(id, ErrorCode.NOT_COORDINATOR, null));
      } else {
        try {
          groups.push(describedShareGroup(await api(ctx).describeShareGroup(id)));
        } catch (e) {
          if (!(e instanceof KafkaError)) throw e;
          groups.push(describeError(id, e.code, e.message));
        }
      }
    }
    return { groups };
  };
}
