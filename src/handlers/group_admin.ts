// FindCoordinator (the leader of the group's or transactional id's `__consumer_offsets` partition),
// DescribeGroups (classic groups; a KIP-848 consumer group is ConsumerGroupDescribe's), ListGroups (the groups
// this gateway coordinates, as each Kafka broker lists its own, of both types) and DeleteGroups.
import type { Handler, RequestContext } from "../request/context.ts";
import type {
  FindCoordinatorRequest,
  FindCoordinatorResponse,
  FindCoordinatorResponseCoordinator,
} from "../protocol/messages/find_coordinator.ts";
import type { DescribeGroupsRequest, DescribeGroupsResponse } from "../protocol/messages/describe_groups.ts";
import type { ListGroupsRequest, ListGroupsResponse } from "../protocol/messages/list_groups.ts";
import type { DeleteGroupsRequest, DeleteGroupsResponse } from "../protocol/messages/delete_groups.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { AUTHORIZED_OPERATIONS_OMITTED } from "../protocol/messages/metadata.ts";
import { CONSUMER_OFFSETS_TOPIC, endpointFor } from "../cluster/view.ts";
import { coordinatedElsewhere } from "./routing.ts";

const KEY_TYPE_GROUP = 0;
const KEY_TYPE_TRANSACTION = 1;

function coordinatorFor(
  ctx: RequestContext,
  key: string,
  keyType: number,
): FindCoordinatorResponseCoordinator {
  if (keyType !== KEY_TYPE_GROUP && keyType !== KEY_TYPE_TRANSACTION) {
    return {
      key,
      nodeId: -1,
      host: "",
      port: -1,
      errorCode: ErrorCode.INVALID_REQUEST,
      errorMessage: `Unsupported coordinator key type ${keyType}`,
    };
  }
  if (keyType === KEY_TYPE_TRANSACTION && key === "") {
    // As Kafka: an empty transactional id has no coordinator.
    return {
      key,
      nodeId: -1,
      host: "",
      port: -1,
      errorCode: ErrorCode.INVALID_REQUEST,
      errorMessage: "Empty transactional id",
    };
  }
  // Groups and transactional ids alike: the leader of the key's `__consumer_offsets` partition (the same hash
  // Kafka uses for `__transaction_state`).
  const { cluster } = ctx.broker;
  const leader = cluster.coordinatorOf(key).leaderId;
  const b = leader >= 0 ? cluster.broker(leader) : undefined;
  if (b === undefined) {
    // Retriable: the client asks again once the partition has a (live) leader.
    return {
      key,
      nodeId: -1,
      host: "",
      port: -1,
      errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE,
      errorMessage: `${CONSUMER_OFFSETS_TOPIC}-${cluster.coordinatorPartition(key)} has no live leader`,
    };
  }
  const { host, port } = endpointFor(b, ctx.listener.name); // on the listener the client came through
  return {
    key,
    nodeId: b.nodeId,
    host,
    port,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
  };
}

export const findCoordinatorHandler: Handler<FindCoordinatorRequest, FindCoordinatorResponse> = (
  ctx,
  req,
) => {
  const keyType = req.keyType ?? KEY_TYPE_GROUP; // v0 looks up groups only
  if (ctx.header.apiVersion >= 4) {
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      nodeId: -1,
      host: "",
      port: -1,
      coordinators: (req.coordinatorKeys ?? []).map((k) => coordinatorFor(ctx, k, keyType)),
    };
  }
  const c = coordinatorFor(ctx, req.key ?? "", keyType);
  return {
    errorCode: c.errorCode,
    errorMessage: c.errorMessage,
    nodeId: c.nodeId,
    host: c.host,
    port: c.port,
    coordinators: [],
  };
};

/** A DescribeGroups entry for a group it does not describe (Kafka's shape: state Dead, no members). */
function notDescribed(groupId: string, errorCode: number, errorMessage: string | null) {
  return {
    errorCode,
    errorMessage,
    groupId,
    groupState: errorCode === ErrorCode.NOT_COORDINATOR ? "" : "Dead",
    protocolType: "",
    protocolData: "",
    members: [],
    authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  };
}

export const describeGroupsHandler: Handler<DescribeGroupsRequest, DescribeGroupsResponse> = (ctx, req) => ({
  groups: req.groups.map((id) => {
    if (coordinatedElsewhere(ctx.broker, id)) return notDescribed(id, ErrorCode.NOT_COORDINATOR, null);
    const { coordinator } = ctx.broker;
    const v = ctx.header.apiVersion;
    const kind = id === "" ? undefined : coordinator.groupType(id);
    if (kind === "consumer" || kind === "share") {
      // A KIP-848 group is described by ConsumerGroupDescribe (a share group by ShareGroupDescribe); as Kafka 4,
      // v6+ says so, older versions see a group that does not exist here (Dead).
      return v >= 6
        ? notDescribed(id, ErrorCode.GROUP_ID_NOT_FOUND, `Group ${id} is not a classic group.`)
        : notDescribed(id, ErrorCode.NONE, null);
    }
    const g = coordinator.describe(id);
    if (id !== "" && g.state === "Dead" && g.members.length === 0) {
      // A group known only by its committed offsets is an Empty classic group (as ListGroups shows it).
      const listed = coordinator.list().find((l) => l.groupId === id);
      if (listed !== undefined) {
        return { ...notDescribed(id, ErrorCode.NONE, null), groupState: listed.state };
      }
      // KIP-1043: v6+ answers an unknown group with GROUP_ID_NOT_FOUND (before: an empty Dead group).
      if (v >= 6) return notDescribed(id, ErrorCode.GROUP_ID_NOT_FOUND, `Group ${id} not found.`);
    }
    return {
      errorCode: id === "" ? ErrorCode.INVALID_GROUP_ID : ErrorCode.NONE,
      errorMessage: null,
      groupId: id,
      groupState: g.state,
      protocolType: g.protocolType,
      protocolData: g.protocolName,
      members: g.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: m.metadata,
        memberAssignment: m.assignment,
      })),
      authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
    };
  }),
});

export const listGroupsHandler: Handler<ListGroupsRequest, ListGroupsResponse> = (ctx, req) => {
  // Absent filters (before v4 and v5) are empty: all states, all types. Both compare case-insensitively.
  const states = new Set((req.statesFilter ?? []).map((s) => s.toLowerCase()));
  const types = new Set((req.typesFilter ?? []).map((s) => s.toLowerCase()));
  const { cluster } = ctx.broker;
  const groups = ctx.broker.coordinator.list()
    .filter((g) => cluster.coordinates(g.groupId))
    .filter((g) => states.size === 0 || states.has(g.state.toLowerCase()))
    .filter((g) => types.size === 0 || types.has(g.type))
    .map((g) => ({
      groupId: g.groupId,
      protocolType: g.protocolType,
      groupState: g.state,
      groupType: g.type,
    }));
  return { errorCode: ErrorCode.NONE, groups };
};

export const deleteGroupsHandler: Handler<DeleteGroupsRequest, DeleteGroupsResponse> = async (ctx, req) => {
  const results = [];
  for (const groupId of req.groupsNames) {
    if (coordinatedElsewhere(ctx.broker, groupId)) {
      results.push({ groupId, errorCode: ErrorCode.NOT_COORDINATOR });
      continue;
    }
    const share = ctx.broker.coordinator.groupType(groupId) === "share";
    const errorCode = await ctx.broker.coordinator.deleteGroup(groupId);
    // A share group's share-partition states go with it (every gateway's: a leader holding one finds it gone).
    if (share && errorCode === ErrorCode.NONE) await ctx.broker.shares?.offsets.deleteGroup(groupId);
    results.push({ groupId, errorCode });
  }
  return { results };
};
