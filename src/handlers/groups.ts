// JoinGroup, SyncGroup, Heartbeat and LeaveGroup: thin adapters from wire versions to the coordinator, which is
// asked only for groups this gateway coordinates (NOT_COORDINATOR otherwise: the client looks the coordinator up).
import type { Handler } from "../request/context.ts";
import type { JoinGroupRequest, JoinGroupResponse } from "../protocol/messages/join_group.ts";
import type { SyncGroupRequest, SyncGroupResponse } from "../protocol/messages/sync_group.ts";
import type { HeartbeatRequest, HeartbeatResponse } from "../protocol/messages/heartbeat.ts";
import type { LeaveGroupRequest, LeaveGroupResponse } from "../protocol/messages/leave_group.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { joinError } from "../groups/classic/rebalance.ts";
import { coordinatedElsewhere } from "./routing.ts";

const EMPTY = new Uint8Array(0);

/** Fields that are nullable only from v7 are sent as "" to older clients. */
const orEmpty = (s: string | null, nullable: boolean) => (s === null && !nullable ? "" : s);

export const joinGroupHandler: Handler<JoinGroupRequest, JoinGroupResponse> = async (ctx, req) => {
  const v = ctx.header.apiVersion;
  const res = coordinatedElsewhere(ctx.broker, req.groupId)
    ? joinError(req.memberId, ErrorCode.NOT_COORDINATOR)
    : await ctx.broker.coordinator.join({
      groupId: req.groupId,
      memberId: req.memberId,
      groupInstanceId: req.groupInstanceId ?? null,
      clientId: ctx.header.clientId ?? "",
      clientHost: ctx.clientHost,
      sessionTimeoutMs: req.sessionTimeoutMs,
      // v0 has no rebalance timeout: Kafka uses the session timeout for both.
      rebalanceTimeoutMs: v === 0 ? req.sessionTimeoutMs : req.rebalanceTimeoutMs ?? req.sessionTimeoutMs,
      protocolType: req.protocolType,
      protocols: req.protocols,
      requireKnownMemberId: v >= 4,
      reason: req.reason ?? null,
    });
  return {
    errorCode: res.errorCode,
    generationId: res.generationId,
    protocolType: res.protocolType,
    protocolName: orEmpty(res.protocolName, v >= 7),
    leader: res.leader,
    skipAssignment: res.skipAssignment,
    memberId: res.memberId,
    members: res.members,
  };
};

export const syncGroupHandler: Handler<SyncGroupRequest, SyncGroupResponse> = async (ctx, req) => {
  if (coordinatedElsewhere(ctx.broker, req.groupId)) {
    return {
      errorCode: ErrorCode.NOT_COORDINATOR,
      protocolType: null,
      protocolName: null,
      assignment: EMPTY,
    };
  }
  const res = await ctx.broker.coordinator.sync({
    groupId: req.groupId,
    generationId: req.generationId,
    memberId: req.memberId,
    groupInstanceId: req.groupInstanceId ?? null,
    protocolType: req.protocolType ?? null,
    protocolName: req.protocolName ?? null,
    assignments: req.assignments,
  });
  if (ctx.header.apiVersion < 5 || res.errorCode !== ErrorCode.NONE) {
    return { errorCode: res.errorCode, protocolType: null, protocolName: null, assignment: res.assignment };
  }
  // A classic member of a KIP-848 consumer group: the group's protocol type is "consumer" and, as Kafka, the
  // protocol name is the request's (the classic describe knows nothing of the group).
  if (ctx.broker.coordinator.groupType(req.groupId) === "consumer") {
    return {
      errorCode: res.errorCode,
      protocolType: "consumer",
      protocolName: req.protocolName ?? null,
      assignment: res.assignment,
    };
  }
  const g = ctx.broker.coordinator.describe(req.groupId);
  return {
    errorCode: res.errorCode,
    protocolType: g.protocolType,
    protocolName: req.protocolName ?? g.protocolName,
    assignment: res.assignment,
  };
};

export const heartbeatHandler: Handler<HeartbeatRequest, HeartbeatResponse> = (ctx, req) => ({
  errorCode: coordinatedElsewhere(ctx.broker, req.groupId)
    ? ErrorCode.NOT_COORDINATOR
    : ctx.broker.coordinator.heartbeat(
      req.groupId,
      req.generationId,
      req.memberId,
      req.groupInstanceId ?? null,
    ),
});

export const leaveGroupHandler: Handler<LeaveGroupRequest, LeaveGroupResponse> = (ctx, req) => {
  const v = ctx.header.apiVersion;
  if (coordinatedElsewhere(ctx.broker, req.groupId)) {
    return { errorCode: ErrorCode.NOT_COORDINATOR, members: [] };
  }
  const members = v >= 3
    ? (req.members ?? []).map((m) => ({ ...m, reason: m.reason ?? null }))
    : [{ memberId: req.memberId ?? "", groupInstanceId: null, reason: null }];
  const res = ctx.broker.coordinator.leave(req.groupId, members);
  if (v < 3) {
    // v0-2 carry one member and only a top-level code.
    const code = res.errorCode !== ErrorCode.NONE
      ? res.errorCode
      : res.members[0]?.errorCode ?? ErrorCode.NONE;
    return { errorCode: code, members: [] };
  }
  return { errorCode: res.errorCode, members: res.members };
};
