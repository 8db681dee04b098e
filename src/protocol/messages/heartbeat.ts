// Heartbeat (key 12), versions 0-4, flexible from v4 (Kafka 3.9 HeartbeatRequest/Response.json).
import { ApiKey } from "../api_keys.ts";
import { defineApi, field, type RequestOf, type ResponseOf } from "../schema.ts";

export const HeartbeatSpec = defineApi({
  key: ApiKey.Heartbeat,
  name: "Heartbeat",
  minVersion: 0,
  maxVersion: 4,
  flexibleFrom: 4,
  request: [
    field("groupId", "string"),
    field("generationId", "int32"),
    field("memberId", "string"),
    field("groupInstanceId", "string", "3+", { nullable: "3+", default: null }),
  ],
  response: [
    field("throttleTimeMs", "int32", "1+"),
    field("errorCode", "int16"),
  ],
});

export type HeartbeatRequest = RequestOf<typeof HeartbeatSpec>;
export type HeartbeatResponse = ResponseOf<typeof HeartbeatSpec>;
