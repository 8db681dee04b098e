// ListGroups (key 16), versions 0-5, flexible from v3 (Kafka 3.9 ListGroupsRequest/Response.json).
// v4+ filter by and report the group state; v5+ filter by and report the group type (classic, consumer).
import { ApiKey } from "../api_keys.ts";
import { arrayOf, defineApi, field, type RequestOf, type ResponseOf } from "../schema.ts";

export const ListGroupsSpec = defineApi({
  key: ApiKey.ListGroups,
  name: "ListGroups",
  minVersion: 0,
  maxVersion: 5,
  flexibleFrom: 3,
  request: [
    // Empty = all states / all types.
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
});

export type ListGroupsRequest = RequestOf<typeof ListGroupsSpec>;
export type ListGroupsResponse = ResponseOf<typeof ListGroupsSpec>;
