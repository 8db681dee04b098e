// IncrementalAlterConfigs (key 44), versions 0-1, flexible from v1 (Kafka 3.9
// IncrementalAlterConfigsRequest/Response.json). Each config carries an operation: 0 SET, 1 DELETE, 2 APPEND,
// 3 SUBTRACT (the last two only for LIST configs).
import { ApiKey } from "../api_keys.ts";
import { arrayOf, defineApi, field, type RequestOf, type ResponseOf } from "../schema.ts";

export const ConfigOperation = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

export const IncrementalAlterConfigsSpec = defineApi({
  key: ApiKey.IncrementalAlterConfigs,
  name: "IncrementalAlterConfigs",
  minVersion: 0,
  maxVersion: 1,
  flexibleFrom: 1,
  request: [
    field(
      "resources",
      arrayOf([
        // 2 = topic, 4 = broker, 8 = broker logger.
        field("resourceType", "int8", "0+", { mapKey: true }),
        field("resourceName", "string", "0+", { mapKey: true }),
        field(
          "configs",
          arrayOf([
            field("name", "string", "0+", { mapKey: true }),
            field("configOperation", "int8", "0+", { mapKey: true }),
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

export type IncrementalAlterConfigsRequest = RequestOf<typeof IncrementalAlterConfigsSpec>;
export type IncrementalAlterConfigsResponse = ResponseOf<typeof IncrementalAlterConfigsSpec>;
