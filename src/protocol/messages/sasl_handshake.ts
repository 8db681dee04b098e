// SaslHandshake (key 17), versions 0-1, never flexible (Kafka 3.9 SaslHandshakeRequest/Response.json). v0 is
// followed by raw SASL tokens in size-prefixed frames; v1 by SaslAuthenticate requests.
import { ApiKey } from "../api_keys.ts";
import { arrayOf, defineApi, field, type RequestOf, type ResponseOf } from "../schema.ts";

export const SaslHandshakeSpec = defineApi({
  key: ApiKey.SaslHandshake,
  name: "SaslHandshake",
  minVersion: 0,
  maxVersion: 1,
  flexibleFrom: Infinity,
  request: [
    field("mechanism", "string"),
  ],
  response: [
    field("errorCode", "int16"),
    // The mechanisms enabled on the listener.
    field("mechanisms", arrayOf("string")),
  ],
});

export type SaslHandshakeRequest = RequestOf<typeof SaslHandshakeSpec>;
export type SaslHandshakeResponse = ResponseOf<typeof SaslHandshakeSpec>;
