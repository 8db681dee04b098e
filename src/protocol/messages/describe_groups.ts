// DescribeGroups (key 15), versions 0-5, flexible from v5 (Kafka 3.9 DescribeGroupsRequest/Response.json).
// v3+ authorized operations, v4+ member GroupInstanceId.
import { ApiKey } from "../api_keys.ts";
import { type ApiSpec, arrayOf, field } from "../schema.ts";

export interface DescribeGroupsRequest {
  groups: string[];
  /** v3+. */
  includeAuthorizedOperations: boolean;
}

export interface DescribeGroupsResponseMember {
  memberId: string;
  /** v4+. */
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  memberMetadata: Uint8Array;
  memberAssignment: Uint8Array;
}

export interface DescribeGroupsResponseGroup {
  errorCode: number;
  groupId: string;
  groupState: string;
  protocolType: string;
  protocolData: string;
  members: DescribeGroupsResponseMember[];
  /** v3+; INT32_MIN when not requested. */
  authorizedOperations: number;
}

export interface DescribeGroupsResponse {
  /** v1+. */
  throttleTimeMs: number;
  groups: DescribeGroupsResponseGroup[];
}

export const DescribeGroupsSpec: ApiSpec = {
  key: ApiKey.DescribeGroups,
  name: "DescribeGroups",
  minVersion: 0,
  maxVersion: 5,
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
        field("authorizedOperations", "int32", "3+", { default: -2147483648 }),
      ]),
    ),
  ],
};
