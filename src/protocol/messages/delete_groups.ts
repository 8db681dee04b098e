// DeleteGroups (key 42), versions 0-2, flexible from v2 (Kafka 3.9 DeleteGroupsRequest/Response.json).
import { ApiKey } from "../api_keys.ts";
import { type ApiSpec, arrayOf, field } from "../schema.ts";

export interface DeleteGroupsRequest {
  groupsNames: string[];
}

export interface DeleteGroupsResponseResult {
  groupId: string;
  errorCode: number;
}

export interface DeleteGroupsResponse {
  throttleTimeMs: number;
  results: DeleteGroupsResponseResult[];
}

export const DeleteGroupsSpec: ApiSpec = {
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
        field("groupId", "string"),
        field("errorCode", "int16"),
      ]),
    ),
  ],
};
