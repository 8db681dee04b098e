// The checks of a ConsumerGroupHeartbeat that need no group state, as Kafka's GroupMetadataManager makes them: the
// request's fields (throwIfConsumerGroupHeartbeatRequestIsInvalid) and a known member's epoch
// (throwIfConsumerGroupMemberEpochIsInvalid). Each refusal throws a KafkaError with Kafka's code and message, which
// consumer_groups.ts answers the heartbeat with.
import { ErrorCode, KafkaError } from "../../protocol/errors.ts";
import type { Assignment, ConsumerHeartbeatArgs } from "./contract.ts";
import { isValidEpoch } from "./reconcile.ts";
import { compileTopicRegex } from "./regex.ts";
import { type ConsumerMember, LEAVE_STATIC_EPOCH } from "./group.ts";

/** Refuses the heartbeat with `code` and `message`. */
export function fail(code: number, message: string): never {
  throw new KafkaError(code, message);
}

/**
 * Kafka's throwIfConsumerGroupHeartbeatRequestIsInvalid (and v1's client-generated member ids, KIP-1082);
 * `assignors` are the configured ServerAssignor names (group.consumer.assignors), in order.
 */
export function validateHeartbeat(a: ConsumerHeartbeatArgs, assignors: ReadonlyMap<string, unknown>): void {
  const bad = (m: string) => fail(ErrorCode.INVALID_REQUEST, m);
  if (a.groupId === "") bad("GroupId can't be empty.");
  if (a.instanceId === "") bad("InstanceId can't be empty.");
  if (a.rackId === "") bad("RackId can't be empty.");
  if (a.apiVersion >= 1 && a.memberId === "") bad("MemberId can't be empty.");
  if (a.memberEpoch > 0 || a.memberEpoch === -1) {
    if (a.memberId === "") bad("MemberId can't be empty.");
  } else if (a.memberEpoch === 0) {
    if (a.rebalanceTimeoutMs === -1) bad("RebalanceTimeoutMs must be provided in first request.");
    if (a.topicPartitions === null || a.topicPartitions.length > 0) {
      bad("TopicPartitions must be empty when (re-)joining.");
    }
    const names = a.subscribedTopicNames !== null && a.subscribedTopicNames.length > 0;
    const regex = a.subscribedTopicRegex !== null && a.subscribedTopicRegex !== "";
    if (!names && !regex) bad("SubscribedTopicNames or SubscribedTopicRegex must be set in first request.");
  } else if (a.memberEpoch === LEAVE_STATIC_EPOCH) {
    if (a.memberId === "") bad("MemberId can't be empty.");
    if (a.instanceId === null) bad("InstanceId can't be null.");
  } else {
    bad("MemberEpoch is invalid.");
  }
  if (a.serverAssignor !== null && !assignors.has(a.serverAssignor)) {
    fail(
      ErrorCode.UNSUPPORTED_ASSIGNOR,
      `ServerAssignor ${a.serverAssignor} is not supported. Supported assignors: ${
        [...assignors.keys()].join(", ")
      }.`,
    );
  }
  if (a.subscribedTopicRegex !== null && a.subscribedTopicRegex !== "") {
    compileTopicRegex(a.subscribedTopicRegex); // throws INVALID_REGULAR_EXPRESSION
  }
}

/** Kafka's throwIfConsumerGroupMemberEpochIsInvalid. */
export function checkMemberEpoch(m: ConsumerMember, epoch: number, owned: Assignment | null): void {
  if (epoch > m.memberEpoch) {
    fail(
      ErrorCode.FENCED_MEMBER_EPOCH,
      `The consumer group member has a greater member epoch (${epoch}) than the one known by the group ` +
        `coordinator (${m.memberEpoch}). The member must abandon all its partitions and rejoin.`,
    );
  }
  if (epoch < m.memberEpoch && !isValidEpoch(m, epoch, owned)) {
    fail(
      ErrorCode.FENCED_MEMBER_EPOCH,
      `The consumer group member has a smaller member epoch (${epoch}) than the one known by the group ` +
        `coordinator (${m.memberEpoch}). The member must abandon all its partitions and rejoin.`,
    );
  }
}
