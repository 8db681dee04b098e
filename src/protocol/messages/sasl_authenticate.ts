// SaslAuthenticate (key 36), versions 0-2, flexible from v2 (Kafka 3.9 SaslAuthenticateRequest/Response.json).
// session_lifetime_ms (v1+) is KIP-368's re-authentication deadline (0: none).
import { ApiKey } from "../api_keys.ts";
import { defineApi, field, type RequestOf, type ResponseOf } from "../schema.ts";

export const SaslAuthenticateSpec = defineApi({
  key: ApiKey.SaslAuthenticate,
  name: "SaslAuthenticate",
  minVersion: 0,
  maxVersion: 2,
  flexibleFrom: 2,
  request: [
    field("authBytes", "bytes"),
  ],
  response: [
    field("errorCode", "int16"),
    field("errorMessage", "string", "0+", { nullable: "0+", default: null }),
    field("authBytes", "bytes"),
    field("sessionLifetimeMs", "int64", "1+", { default: 0 }),
  ],
});

export type SaslAuthenticateRequest = RequestOf<typeof SaslAuthenticateSpec>;
export type SaslAuthenticateResponse = ResponseOf<typeof SaslAuthenticateSpec>;
