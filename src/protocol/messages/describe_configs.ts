// DescribeConfigs (key 32), versions 0-4, flexible from v4 (Kafka 3.9 DescribeConfigsRequest/Response.json).
// v1 adds IncludeSynonyms, ConfigSource and the synonyms (and drops IsDefault); v2 is v1; v3 adds
// IncludeDocumentation, ConfigType and Documentation.
import { ApiKey } from "../api_keys.ts";
import { arrayOf, defineApi, type ElementOf, field, type RequestOf, type ResponseOf } from "../schema.ts";

export const DescribeConfigsSpec = defineApi({
  key: ApiKey.DescribeConfigs,
  name: "DescribeConfigs",
  minVersion: 0,
  maxVersion: 4,
  flexibleFrom: 4,
  request: [
    field(
      "resources",
      arrayOf([
        // 2 = topic, 4 = broker, 8 = broker logger.
        field("resourceType", "int8"),
        field("resourceName", "string"),
        // Keys to describe, or null (or empty) for all.
        field("configurationKeys", arrayOf("string"), "0+", { nullable: "0+" }),
      ]),
    ),
    field("includeSynonyms", "bool", "1+"),
    field("includeDocumentation", "bool", "3+"),
  ],
  response: [
    field("throttleTimeMs", "int32"),
    field(
      "results",
      arrayOf([
        field("errorCode", "int16"),
        field("errorMessage", "string", "0+", { nullable: "0+", default: null }),
        field("resourceType", "int8"),
        field("resourceName", "string"),
        field(
          "configs",
          arrayOf([
            field("name", "string"),
            field("value", "string", "0+", { nullable: "0+", default: null }),
            field("readOnly", "bool"),
            field("isDefault", "bool", "0"),
            // ConfigSource id: 1 topic, 2 dynamic broker, 3 dynamic default broker, 4 static broker, 5 default.
            field("configSource", "int8", "1+", { default: -1 }),
            field("isSensitive", "bool"),
            field(
              "synonyms",
              arrayOf([
                field("name", "string", "1+"),
                field("value", "string", "1+", { nullable: "0+", default: null }),
                // A ConfigSource id.
                field("source", "int8", "1+"),
              ]),
              "1+",
            ),
            // 1 boolean, 2 string, 3 int, 4 short, 5 long, 6 double, 7 list, 8 class, 9 password.
            field("configType", "int8", "3+", { default: 0 }),
            field("documentation", "string", "3+", { nullable: "0+", default: null }),
          ]),
        ),
      ]),
    ),
  ],
});

export type DescribeConfigsRequest = RequestOf<typeof DescribeConfigsSpec>;
export type DescribeConfigsResponse = ResponseOf<typeof DescribeConfigsSpec>;
export type DescribeConfigsResult = DescribeConfigsResponse["results"][number];
export type DescribeConfigsResourceResult = DescribeConfigsResult["configs"][number];
export type DescribeConfigsSynonym = ElementOf<DescribeConfigsResourceResult["synonyms"]>;
