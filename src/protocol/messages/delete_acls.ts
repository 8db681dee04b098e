// DeleteAcls (key 31), versions 0-3, flexible from v2 (Kafka 3.9 DeleteAclsRequest/Response.json). One result
// per filter, in order, listing the ACLs it deleted.
import { ApiKey } from "../api_keys.ts";
import { arrayOf, defineApi, field, type RequestOf, type ResponseOf } from "../schema.ts";

export const DeleteAclsSpec = defineApi({
  key: ApiKey.DeleteAcls,
  name: "DeleteAcls",
  minVersion: 0,
  maxVersion: 3,
  flexibleFrom: 2,
  request: [
    field(
      "filters",
      arrayOf([
        field("resourceTypeFilter", "int8"),
        field("resourceNameFilter", "string", "0+", { nullable: "0+" }),
        field("patternTypeFilter", "int8", "1+", { default: 3 }),
        field("principalFilter", "string", "0+", { nullable: "0+" }),
        field("hostFilter", "string", "0+", { nullable: "0+" }),
        field("operation", "int8"),
        field("permissionType", "int8"),
      ]),
    ),
  ],
  response: [
    field("throttleTimeMs", "int32"),
    field(
      "filterResults",
      arrayOf([
        field("errorCode", "int16"),
        field("errorMessage", "string", "0+", { nullable: "0+", default: null }),
        field(
          "matchingAcls",
          arrayOf([
            field("errorCode", "int16"),
            field("errorMessage", "string", "0+", { nullable: "0+", default: null }),
            field("resourceType", "int8"),
            field("resourceName", "string"),
            field("patternType", "int8", "1+", { default: 3 }),
            field("principal", "string"),
            field("host", "string"),
            field("operation", "int8"),
            field("permissionType", "int8"),
          ]),
        ),
      ]),
    ),
  ],
});

export type DeleteAclsRequest = RequestOf<typeof DeleteAclsSpec>;
export type DeleteAclsResponse = ResponseOf<typeof DeleteAclsSpec>;
