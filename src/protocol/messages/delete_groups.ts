// DeleteGroups (key 42), versions 0-2, flexible from v2 (Kafka 3.9 DeleteGroupsRequest/Response.json).
import { ApiKey } from "../api_keys.ts";
import { arrayOf, defineApi, field, type RequestOf, type ResponseOf } from "../schema.ts";

export const DeleteGroupsSpec = defineApi({
  key: ApiKey.DeleteGroups,
  name: "DeleteGroups",
  minVersion: 0,
  maxVersion: 2,
  flexibleFrom: 2,
  request: [
    field("groupsNames", arrayOf("string")),
  ],
  response: [
    field("throttleTimeMs", "int32"),
    field(
      "results",
      arrayOf([
        field("groupId", "string", "0+", { mapKey: true }),
        field("errorCode", "int16"),
      ]),
    ),
  ],
});

export type DeleteGroupsRequest = RequestOf<typeof DeleteGroupsSpec>;
export type DeleteGroupsResponse = ResponseOf<typeof DeleteGroupsSpec>;
