// ApiVersions (key 18), versions 0-4, flexible from v3 (Kafka 3.9 ApiVersionsRequest/Response.json).
// The response header is always v0 even for flexible versions; that is the header writer's concern.
import { ApiKey } from "../api_keys.ts";
import { arrayOf, defineApi, field, type RequestOf, type ResponseOf } from "../schema.ts";

export const ApiVersionsSpec = defineApi({
  key: ApiKey.ApiVersions,
  name: "ApiVersions",
  minVersion: 0,
  maxVersion: 4,
  flexibleFrom: 3,
  request: [
    field("clientSoftwareName", "string", "3+"),
    field("clientSoftwareVersion", "string", "3+"),
  ],
  response: [
    field("errorCode", "int16"),
    field(
      "apiKeys",
      arrayOf([
        field("apiKey", "int16", "0+", { mapKey: true }),
        field("minVersion", "int16"),
        field("maxVersion", "int16"),
      ]),
    ),
    field("throttleTimeMs", "int32", "1+"),
    field(
      "supportedFeatures",
      arrayOf([
        field("name", "string", "3+", { mapKey: true }),
        field("minVersion", "int16", "3+"),
        field("maxVersion", "int16", "3+"),
      ]),
      "3+",
      { tag: 0, taggedVersions: "3+" },
    ),
    // -1 = unknown epoch.
    field("finalizedFeaturesEpoch", "int64", "3+", { tag: 1, taggedVersions: "3+", default: -1 }),
    field(
      "finalizedFeatures",
      arrayOf([
        field("name", "string", "3+", { mapKey: true }),
        field("maxVersionLevel", "int16", "3+"),
        field("minVersionLevel", "int16", "3+"),
      ]),
      "3+",
      { tag: 2, taggedVersions: "3+" },
    ),
    field("zkMigrationReady", "bool", "3+", { tag: 3, taggedVersions: "3+", default: false }),
  ],
});

export type ApiVersionsRequest = RequestOf<typeof ApiVersionsSpec>;
export type ApiVersionsResponse = ResponseOf<typeof ApiVersionsSpec>;
