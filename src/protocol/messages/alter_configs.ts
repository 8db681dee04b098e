// AlterConfigs (key 33), versions 0-2, flexible from v2 (Kafka 3.9 AlterConfigsRequest/Response.json).
// Replaces the whole set of overrides of each resource. v1 is v0.
import { ApiKey } from "../api_keys.ts";
import { arrayOf, defineApi, field, type RequestOf, type ResponseOf } from "../schema.ts";

export const AlterConfigsSpec = defineApi({
  key: ApiKey.AlterConfigs,
  name: "AlterConfigs",
  minVersion: 0,
  maxVersion: 2,
  flexibleFrom: 2,
  request: [
    field(
      "resources",
      arrayOf([
        // 2 = topic, 4 = broker.
        field("resourceType", "int8", "0+", { mapKey: true }),
        field("resourceName", "string", "0+", { mapKey: true }),
        field(
          "configs",
          arrayOf([
            field("name", "string", "0+", { mapKey: true }),
            field("value", "string", "0+", { nullable: "0+" }),
          ]),
        ),
      ]),
    ),
    field("validateOnly", "bool"),
  ],
  response: [
    field("throttleTimeMs", "int32"),
    field(
      "responses",
      arrayOf([
        field("errorCode", "int16"),
        field("errorMessage", "string", "0+", { nullable: "0+", default: null }),
        field("resourceType", "int8"),
        field("resourceName", "string"),
      ]),
    ),
  ],
});

export type AlterConfigsRequest = RequestOf<typeof AlterConfigsSpec>;
export type AlterConfigsResponse = ResponseOf<typeof AlterConfigsSpec>;
export type AlterConfigsResourceResponse = AlterConfigsResponse["responses"][number];
