// ConsumerGroupHeartbeat (key 68), versions 0-1, flexible from v0 (KIP-848; Kafka 4.0
// ConsumerGroupHeartbeatRequest/Response.json). v1 adds SubscribedTopicRegex and client-generated member ids
// (KIP-1082). Nulls mean "unchanged since the last heartbeat"; the Assignment is a nullable struct.
import { ApiKey } from "../api_keys.ts";
import { arrayOf, defineApi, field, type RequestOf, type ResponseOf, struct } from "../schema.ts";

const TopicPartitions = arrayOf([
  field("topicId", "uuid"),
  field("partitions", arrayOf("int32")),
]);

export const ConsumerGroupHeartbeatSpec = defineApi({
  key: ApiKey.ConsumerGroupHeartbeat,
  name: "ConsumerGroupHeartbeat",
  minVersion: 0,
  maxVersion: 1,
  flexibleFrom: 0,
  request: [
    field("groupId", "string"),
    field("memberId", "string"),
    // 0 joins, -1 leaves, -2 leaves as a static member that will rejoin.
    field("memberEpoch", "int32"),
    field("instanceId", "string", "0+", { nullable: "0+", default: null }),
    field("rackId", "string", "0+", { nullable: "0+", default: null }),
    field("rebalanceTimeoutMs", "int32", "0+", { default: -1 }),
    field("subscribedTopicNames", arrayOf("string"), "0+", { nullable: "0+", default: null }),
    field("subscribedTopicRegex", "string", "1+", { nullable: "1+", default: null }),
    field("serverAssignor", "string", "0+", { nullable: "0+", default: null }),
    field("topicPartitions", TopicPartitions, "0+", { nullable: "0+", default: null }),
  ],
  response: [
    field("throttleTimeMs", "int32"),
    field("errorCode", "int16"),
    field("errorMessage", "string", "0+", { nullable: "0+", default: null }),
    field("memberId", "string", "0+", { nullable: "0+", default: null }),
    field("memberEpoch", "int32"),
    field("heartbeatIntervalMs", "int32"),
    // Null: unchanged since the last response. Kafka's nullable struct (int8 marker -1 / 1, then the fields).
    field("assignment", struct([field("topicPartitions", TopicPartitions)]), "0+", {
      nullable: "0+",
      default: null,
    }),
  ],
});

export type ConsumerGroupHeartbeatRequest = RequestOf<typeof ConsumerGroupHeartbeatSpec>;
export type ConsumerGroupHeartbeatResponse = ResponseOf<typeof ConsumerGroupHeartbeatSpec>;
