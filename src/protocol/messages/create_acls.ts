// CreateAcls (key 30), versions 0-3, flexible from v2 (Kafka 3.9 CreateAclsRequest/Response.json). v0 knows
// only LITERAL patterns (resourcePatternType defaults to LITERAL, 3). One result per creation, in order.
import { ApiKey } from "../api_keys.ts";
import { arrayOf, defineApi, field, type RequestOf, type ResponseOf } from "../schema.ts";

export const CreateAclsSpec = defineApi({
  key: ApiKey.CreateAcls,
  name: "CreateAcls",
  minVersion: 0,
  maxVersion: 3,
  flexibleFrom: 2,
  request: [
    field(
      "creations",
      arrayOf([
        field("resourceType", "int8"),
        field("resourceName", "string"),
        field("resourcePatternType", "int8", "1+", { default: 3 }),
        field("principal", "string"),
        field("host", "string"),
        field("operation", "int8"),
        field("permissionType", "int8"),
      ]),
    ),
  ],
  response: [
    field("throttleTimeMs", "int32"),
    field(
      "results",
      arrayOf([
        field("errorCode", "int16"),
        field("errorMessage", "string", "0+", { nullable: "0+", default: null }),
      ]),
    ),
  ],
});

export type CreateAclsRequest = RequestOf<typeof CreateAclsSpec>;
export type CreateAclsResponse = ResponseOf<typeof CreateAclsSpec>;
