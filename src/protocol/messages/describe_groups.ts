// DescribeGroups (key 15), versions 0-6, flexible from v5 (Kafka 4.0 DescribeGroupsRequest/Response.json).
// v3+ authorized operations, v4+ member GroupInstanceId, v6+ ErrorMessage (a consumer group answers
// GROUP_ID_NOT_FOUND "Group X is not a classic group.").
import { ApiKey } from "../api_keys.ts";
import { arrayOf, defineApi, field, type RequestOf, type ResponseOf } from "../schema.ts";

export const DescribeGroupsSpec = defineApi({
  key: ApiKey.DescribeGroups,
  name: "DescribeGroups",
  minVersion: 0,
  maxVersion: 6,
  flexibleFrom: 5,
  request: [
    field("groups", arrayOf("string")),
    field("includeAuthorizedOperations", "bool", "3+"),
  ],
  response: [
    field("throttleTimeMs", "int32", "1+"),
    field(
      "groups",
      arrayOf([
        field("errorCode", "int16"),
        field("errorMessage", "string", "6+", { nullable: "6+", default: null }),
        field("groupId", "string"),
        field("groupState", "string"),
        field("protocolType", "string"),
        field("protocolData", "string"),
        field(
          "members",
          arrayOf([
            field("memberId", "string"),
            field("groupInstanceId", "string", "4+", { nullable: "4+", default: null }),
            field("clientId", "string"),
            field("clientHost", "string"),
            field("memberMetadata", "bytes"),
            field("memberAssignment", "bytes"),
          ]),
        ),
        // INT32_MIN when not requested.
        field("authorizedOperations", "int32", "3+", { default: -2147483648 }),
      ]),
    ),
  ],
});

export type DescribeGroupsRequest = RequestOf<typeof DescribeGroupsSpec>;
export type DescribeGroupsResponse = ResponseOf<typeof DescribeGroupsSpec>;
export type DescribeGroupsResponseMember = DescribeGroupsResponse["groups"][number]["members"][number];
