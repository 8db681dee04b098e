// ConsumerGroupDescribe's answer for one group id, built from the group's state as Kafka's
// ConsumerGroup.asDescribedGroup: each member with its current and target assignment (topic names looked up now)
// and its type (classic or consumer protocol); an unknown id, or a classic group's, is GROUP_ID_NOT_FOUND.
import { ErrorCode } from "../../protocol/errors.ts";
import type {
  Assignment,
  ConsumerGroupDescription,
  DescribedTopicPartitions,
  TopicsView,
} from "./contract.ts";
import { toRows } from "./assignment.ts";
import type { ConsumerGroup } from "./group.ts";

/** No consumer group of that id: `classic` when the id is a classic group's. */
export function groupNotFound(groupId: string, classic: boolean): ConsumerGroupDescription {
  return {
    groupId,
    errorCode: ErrorCode.GROUP_ID_NOT_FOUND,
    errorMessage: classic ? `Group ${groupId} is not a consumer group.` : `Group ${groupId} not found.`,
    groupState: "Dead",
    groupEpoch: -1,
    assignmentEpoch: -1,
    assignorName: "",
    members: [],
  };
}

/** `assignorName`: the assignor of the last target computation, else the one the members select now. */
export function describeGroup(
  groupId: string,
  g: ConsumerGroup,
  topics: TopicsView,
  assignorName: string,
): ConsumerGroupDescription {
  const described = (a: Assignment): DescribedTopicPartitions[] =>
    toRows(a).map((r) => ({ ...r, topicName: topics.byId(r.topicId)?.name ?? "" }));
  return {
    groupId,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    groupState: g.state,
    groupEpoch: g.groupEpoch,
    assignmentEpoch: g.targetEpoch,
    assignorName,
    members: [...g.members.values()].map((m) => ({
      memberId: m.memberId,
      instanceId: m.instanceId,
      rackId: m.rackId,
      memberEpoch: m.memberEpoch,
      clientId: m.clientId,
      clientHost: m.clientHost,
      subscribedTopicNames: [...m.subscribedTopicNames],
      subscribedTopicRegex: m.subscribedTopicRegex,
      assignment: described(m.assigned),
      targetAssignment: described(g.targetOf(m.memberId)),
      memberType: m.classic !== null ? 0 : 1,
      state: m.state,
    })),
  };
}
