// ListConfigResources (key 74), versions 0-1, flexible (Kafka ListConfigResourcesRequest/Response.json, KIP-1142):
// the config resources that exist. v0 was ListClientMetricsResources (KIP-714: client metrics resources only,
// without a type); v1 names the types wanted (empty: every type the broker lists) and gives each resource's type.
import { ApiKey } from "../api_keys.ts";
import { arrayOf, defineApi, field, type RequestOf, type ResponseOf } from "../schema.ts";

export const ListConfigResourcesSpec = defineApi({
  key: ApiKey.ListConfigResources,
  name: "ListConfigResources",
  minVersion: 0,
  maxVersion: 1,
  flexibleFrom: 0,
  request: [
    field("resourceTypes", arrayOf("int8"), "1+"),
  ],
  response: [
    field("throttleTimeMs", "int32"),
    field("errorCode", "int16"),
    field(
      "configResources",
      arrayOf([
        field("resourceName", "string"),
        field("resourceType", "int8", "1+", { default: 16 }),
      ]),
    ),
  ],
});

export type ListConfigResourcesRequest = RequestOf<typeof ListConfigResourcesSpec>;
export type ListConfigResourcesResponse = ResponseOf<typeof ListConfigResourcesSpec>;
