// AlterClientQuotas (key 49), versions 0-1, flexible from v1 (Kafka 3.9 AlterClientQuotasRequest/Response.json).
import { ApiKey } from "../api_keys.ts";
import { arrayOf, defineApi, field, type RequestOf, type ResponseOf } from "../schema.ts";

export const AlterClientQuotasSpec = defineApi({
  key: ApiKey.AlterClientQuotas,
  name: "AlterClientQuotas",
  minVersion: 0,
  maxVersion: 1,
  flexibleFrom: 1,
  request: [
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
        field(
          "ops",
          arrayOf([
            field("key", "string"),
            field("value", "float64"),
            field("remove", "bool"),
          ]),
        ),
      ]),
    ),
    field("validateOnly", "bool"),
  ],
  response: [
    field("throttleTimeMs", "int32"),
    field(
      "entries",
      arrayOf([
        field("errorCode", "int16"),
        field("errorMessage", "string", "0+", { nullable: "0+" }),
        field(
          "entity",
          arrayOf([
            field("entityType", "string"),
            field("entityName", "string", "0+", { nullable: "0+" }),
          ]),
        ),
      ]),
    ),
  ],
});

export type AlterClientQuotasRequest = RequestOf<typeof AlterClientQuotasSpec>;
export type AlterClientQuotasResponse = ResponseOf<typeof AlterClientQuotasSpec>;
