// DescribeConfigs (key 32), versions 0-4, flexible from v4 (Kafka 3.9 DescribeConfigsRequest/Response.json).
// v1 adds IncludeSynonyms, ConfigSource and the synonyms (and drops IsDefault); v2 is v1; v3 adds
// IncludeDocumentation, ConfigType and Documentation.
import { ApiKey } from "../api_keys.ts";
import { type ApiSpec, arrayOf, field } from "../schema.ts";

export interface DescribeConfigsRequestResource {
  /** 2 = topic, 4 = broker, 8 = broker logger. */
  resourceType: number;
  resourceName: string;
  /** Keys to describe, or null (or empty) for all. */
  configurationKeys: string[] | null;
}

export interface DescribeConfigsRequest {
  resources: DescribeConfigsRequestResource[];
  /** v1+. */
  includeSynonyms: boolean;
  /** v3+. */
  includeDocumentation: boolean;
}

export interface DescribeConfigsSynonym {
  name: string;
  value: string | null;
  /** A ConfigSource id. */
  source: number;
}

export interface DescribeConfigsResourceResult {
  name: string;
  value: string | null;
  readOnly: boolean;
  /** v0 only. */
  isDefault: boolean;
  /** v1+: ConfigSource id (1 topic, 2 dynamic broker, 3 dynamic default broker, 4 static broker, 5 default). */
  configSource: number;
  isSensitive: boolean;
  /** v1+. */
  synonyms: DescribeConfigsSynonym[];
  /** v3+: 1 boolean, 2 string, 3 int, 4 short, 5 long, 6 double, 7 list, 8 class, 9 password. */
  configType: number;
  /** v3+. */
  documentation: string | null;
}

export interface DescribeConfigsResult {
  errorCode: number;
  errorMessage: string | null;
  resourceType: number;
  resourceName: string;
  configs: DescribeConfigsResourceResult[];
}

export interface DescribeConfigsResponse {
  throttleTimeMs: number;
  results: DescribeConfigsResult[];
}

export const DescribeConfigsSpec: ApiSpec = {
  key: ApiKey.DescribeConfigs,
  name: "DescribeConfigs",
  minVersion: 0,
  maxVersion: 4,
  flexibleFrom: 4,
  request: [
    field(
      "resources",
      arrayOf([
        field("resourceType", "int8"),
        field("resourceName", "string"),
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
            field("configSource", "int8", "1+", { default: -1 }),
            field("isSensitive", "bool"),
            field(
              "synonyms",
              arrayOf([
                field("name", "string", "1+"),
                field("value", "string", "1+", { nullable: "0+", default: null }),
                field("source", "int8", "1+"),
              ]),
              "1+",
            ),
            field("configType", "int8", "3+", { default: 0 }),
            field("documentation", "string", "3+", { nullable: "0+", default: null }),
          ]),
        ),
      ]),
    ),
  ],
};
