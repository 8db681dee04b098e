// IncrementalAlterConfigs (key 44), versions 0-1, flexible from v1 (Kafka 3.9
// IncrementalAlterConfigsRequest/Response.json). Each config carries an operation: 0 SET, 1 DELETE, 2 APPEND,
// 3 SUBTRACT (the last two only for LIST configs).
import { ApiKey } from "../api_keys.ts";
import { type ApiSpec, arrayOf, field } from "../schema.ts";

export const ConfigOperation = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

export interface IncrementalAlterableConfig {
  name: string;
  configOperation: number;
  value: string | null;
}

export interface IncrementalAlterConfigsResource {
  /** 2 = topic, 4 = broker, 8 = broker logger. */
  resourceType: number;
  resourceName: string;
  configs: IncrementalAlterableConfig[];
}

export interface IncrementalAlterConfigsRequest {
  resources: IncrementalAlterConfigsResource[];
  validateOnly: boolean;
}

export interface IncrementalAlterConfigsResourceResponse {
  errorCode: number;
  errorMessage: string | null;
  resourceType: number;
  resourceName: string;
}

export interface IncrementalAlterConfigsResponse {
  throttleTimeMs: number;
  responses: IncrementalAlterConfigsResourceResponse[];
}

export const IncrementalAlterConfigsSpec: ApiSpec = {
  key: ApiKey.IncrementalAlterConfigs,
  name: "IncrementalAlterConfigs",
  minVersion: 0,
  maxVersion: 1,
  flexibleFrom: 1,
  request: [
    field(
      "resources",
      arrayOf([
        field("resourceType", "int8"),
        field("resourceName", "string"),
        field(
          "configs",
          arrayOf([
            field("name", "string"),
            field("configOperation", "int8"),
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
};
