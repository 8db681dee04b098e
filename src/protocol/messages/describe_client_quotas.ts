// DescribeClientQuotas (key 48), versions 0-1, flexible from v1 (Kafka 3.9 DescribeClientQuotasRequest/Response.json).
import { ApiKey } from "../api_keys.ts";
import { arrayOf, defineApi, field, type RequestOf, type ResponseOf } from "../schema.ts";

export const DescribeClientQuotasSpec = defineApi({
  key: ApiKey.DescribeClientQuotas,
  name: "DescribeClientQuotas",
  minVersion: 0,
  maxVersion: 1,
  flexibleFrom: 1,
  request: [
    field(
      "components",
      arrayOf([
        field("entityType", "string"),
        // 0 = exact name (match), 1 = the default (null name), 2 = any name of the type (including the default).
        field("matchType", "int8"),
        field("match", "string", "0+", { nullable: "0+" }),
      ]),
    ),
    // True: only entities with exactly the components' types; false: also entities with more types.
    field("strict", "bool"),
  ],
  response: [
    field("throttleTimeMs", "int32"),
    field("errorCode", "int16"),
    field("errorMessage", "string", "0+", { nullable: "0+", default: null }),
    field(
      "entries",
      arrayOf([
        field(
          "entity",
          arrayOf([
            field("entityType", "string"),
            field("entityName", "string", "0+", { nullable: "0+" }),
          ]),
        ),
        field("values", arrayOf([field("key", "string"), field("value", "float64")])),
      ]),
      "0+",
      { nullable: "0+" },
    ),
  ],
});

export type DescribeClientQuotasRequest = RequestOf<typeof DescribeClientQuotasSpec>;
export type DescribeClientQuotasResponse = ResponseOf<typeof DescribeClientQuotasSpec>;
