// ShareGroupDescribe (key 77), version 1, flexible (KIP-932; Kafka 4.1 ShareGroupDescribeRequest/Response.json).
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

export const ShareGroupDescribeSpec = defineApi({
  key: ApiKey.ShareGroupDescribe,
  name: "ShareGroupDescribe",
  minVersion: 1,
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
            field("rackId", "string", "0+", { nullable: "0+", default: null }),
            field("memberEpoch", "int32"),
            field("clientId", "string"),
            field("clientHost", "string"),
            field("subscribedTopicNames", arrayOf("string")),
            field("assignment", Assignment),
          ]),
        ),
        // INT32_MIN when not requested.
        field("authorizedOperations", "int32", "0+", { default: -2147483648 }),
      ]),
    ),
  ],
});

export type ShareGroupDescribeRequest = RequestOf<typeof ShareGroupDescribeSpec>;
export type ShareGroupDescribeResponse = ResponseOf<typeof ShareGroupDescribeSpec>;
export type ShareGroupDescribeResponseGroup = ShareGroupDescribeResponse["groups"][number];
