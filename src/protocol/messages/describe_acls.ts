// DescribeAcls (key 29), versions 0-3, flexible from v2 (Kafka 3.9 DescribeAclsRequest/Response.json). v0 knows
// only LITERAL patterns (the filter's pattern type defaults to LITERAL, 3).
import { ApiKey } from "../api_keys.ts";
import { arrayOf, defineApi, field, type RequestOf, type ResponseOf } from "../schema.ts";

export const DescribeAclsSpec = defineApi({
  key: ApiKey.DescribeAcls,
  name: "DescribeAcls",
  minVersion: 0,
  maxVersion: 3,
  flexibleFrom: 2,
  request: [
    field("resourceTypeFilter", "int8"),
    field("resourceNameFilter", "string", "0+", { nullable: "0+" }),
    field("patternTypeFilter", "int8", "1+", { default: 3 }),
    field("principalFilter", "string", "0+", { nullable: "0+" }),
    field("hostFilter", "string", "0+", { nullable: "0+" }),
    field("operation", "int8"),
    field("permissionType", "int8"),
  ],
  response: [
    field("throttleTimeMs", "int32"),
    field("errorCode", "int16"),
    field("errorMessage", "string", "0+", { nullable: "0+", default: null }),
    field(
      "resources",
      arrayOf([
        field("resourceType", "int8"),
        field("resourceName", "string"),
        field("patternType", "int8", "1+", { default: 3 }),
        field(
          "acls",
          arrayOf([
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

export type DescribeAclsRequest = RequestOf<typeof DescribeAclsSpec>;
export type DescribeAclsResponse = ResponseOf<typeof DescribeAclsSpec>;
