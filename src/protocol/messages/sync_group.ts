// SyncGroup (key 14), versions 0-5, flexible from v4 (Kafka 3.9 SyncGroupRequest/Response.json).
// v3+ static membership (GroupInstanceId), v5+ ProtocolType/ProtocolName in request and response.
import { ApiKey } from "../api_keys.ts";
import { arrayOf, defineApi, field, type RequestOf, type ResponseOf } from "../schema.ts";

export const SyncGroupSpec = defineApi({
  key: ApiKey.SyncGroup,
  name: "SyncGroup",
  minVersion: 0,
  maxVersion: 5,
  flexibleFrom: 4,
  request: [
    field("groupId", "string"),
    field("generationId", "int32"),
    field("memberId", "string"),
    field("groupInstanceId", "string", "3+", { nullable: "3+", default: null }),
    field("protocolType", "string", "5+", { nullable: "5+", default: null }),
    field("protocolName", "string", "5+", { nullable: "5+", default: null }),
    // Only the leader sends assignments; followers send an empty array.
    field(
      "assignments",
      arrayOf([
        field("memberId", "string"),
        field("assignment", "bytes"),
      ]),
    ),
  ],
  response: [
    field("throttleTimeMs", "int32", "1+"),
    field("errorCode", "int16"),
    field("protocolType", "string", "5+", { nullable: "5+", default: null }),
    field("protocolName", "string", "5+", { nullable: "5+", default: null }),
    field("assignment", "bytes"),
  ],
});

export type SyncGroupRequest = RequestOf<typeof SyncGroupSpec>;
export type SyncGroupResponse = ResponseOf<typeof SyncGroupSpec>;
