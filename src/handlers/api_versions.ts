// ApiVersions: answered from the registry, so only implemented APIs and versions are advertised.
import type { Handler } from "../request/context.ts";
import type { ApiVersionsRequest, ApiVersionsResponse } from "../protocol/messages/api_versions.ts";
import type { ApiRegistry } from "./registry.ts";
import { ErrorCode } from "../protocol/errors.ts";

export function apiVersionsHandler(registry: ApiRegistry): Handler<ApiVersionsRequest, ApiVersionsResponse> {
  return () => ({
    errorCode: ErrorCode.NONE,
    apiKeys: registry.versions(),
    supportedFeatures: [],
    finalizedFeaturesEpoch: -1,
    finalizedFeatures: [],
    zkMigrationReady: false,
  });
}
