// ListGroups (key 16), versions 0-5, flexible from v3 (Kafka 3.9 ListGroupsRequest/Response.json).
// v4+ filter by and report the group state; v5+ filter by and report the group type (classic, consumer).
import { ApiKey } from "../api_keys.ts";
import { type ApiSpec, arrayOf, field } from "../schema.ts";

export interface ListGroupsRequest {
  /** v4+; empty = all states. */
  statesFilter: string[];
  /** v5+; empty = all types. */
  typesFilter: string[];
}

export interface ListGroupsResponseGroup {
  groupId: string;
  protocolType: string;
  /** v4+. */
  groupState: string;
  /** v5+. */
  groupType: string;
}

export interface ListGroupsResponse {
  /** v1+. */
  throttleTimeMs: number;
  errorCode: number;
  groups: ListGroupsResponseGroup[];
}

export const ListGroupsSpec: ApiSpec = {
  key: ApiKey.ListGroups,
  name: "ListGroups",
  minVersion: 0,
  maxVersion: 5,
  flexibleFrom: 3,
  request: [
    field("statesFilter", arrayOf("string"), "4+"),
    field("typesFilter", arrayOf("string"), "5+"),
  ],
  response: [
    field("throttleTimeMs", "int32", "1+"),
    field("errorCode", "int16"),
    field(
      "groups",
      arrayOf([
        field("groupId", "string"),
        field("protocolType", "string"),
        field("groupState", "string", "4+"),
        field("groupType", "string", "5+"),
      ]),
    ),
  ],
};
