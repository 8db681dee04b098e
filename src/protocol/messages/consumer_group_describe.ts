// ConsumerGroupDescribe (key 69), versions 0-1, flexible from v0 (KIP-848; Kafka 4.0
// ConsumerGroupDescribeRequest/Response.json). v1 adds Member.MemberType (KIP-1099: 0 classic, 1 consumer).
import { ApiKey } from "../api_keys.ts";
import { arrayOf, defineApi, field, type RequestOf, type ResponseOf, struct } from "../schema.ts";

/** Kafka's common struct Assignment: topic partitions with the topic's id and name. */
const Assignment = struct([
  field(
    "topicPartitions",
    arrayOf([
      field("topicId", "uuid"),
      field("topicName", "string"),
      field("partitions", arrayOf("int32")),
    ]),
  ),
]);

export const ConsumerGroupDescribeSpec = defineApi({
  key: ApiKey.ConsumerGroupDescribe,
  name: "ConsumerGroupDescribe",
  minVersion: 0,
  maxVersion: 1,
  flexibleFrom: 0,
  request: [
    field("groupIds", arrayOf("string")),
    field("includeAuthorizedOperations", "bool"),
  ],
  response: [
    field("throttleTimeMs", "int32"),
    field(
      "groups",
      arrayOf([
        field("errorCode", "int16"),
        field("errorMessage", "string", "0+", { nullable: "0+", default: null }),
        field("groupId", "string"),
        field("groupState", "string"),
        field("groupEpoch", "int32"),
        field("assignmentEpoch", "int32"),
        field("assignorName", "string"),
        field(
          "members",
          arrayOf([
            field("memberId", "string"),
            field("instanceId", "string", "0+", { nullable: "0+", default: null }),
            field("rackId", "string", "0+", { nullable: "0+", default: null }),
            field("memberEpoch", "int32"),
            field("clientId", "string"),
            field("clientHost", "string"),
            field("subscribedTopicNames", arrayOf("string")),
            field("subscribedTopicRegex", "string", "0+", { nullable: "0+", default: null }),
            field("assignment", Assignment),
            field("targetAssignment", Assignment),
            // -1 unknown, 0 classic protocol member, 1 consumer protocol member.
            field("memberType", "int8", "1+", { default: -1 }),
          ]),
        ),
        // INT32_MIN when not requested.
        field("authorizedOperations", "int32", "0+", { default: -2147483648 }),
      ]),
    ),
  ],
});

export type ConsumerGroupDescribeRequest = RequestOf<typeof ConsumerGroupDescribeSpec>;
export type ConsumerGroupDescribeResponse = ResponseOf<typeof ConsumerGroupDescribeSpec>;
export type ConsumerGroupDescribeResponseGroup = ConsumerGroupDescribeResponse["groups"][number];
