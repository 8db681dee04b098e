// JoinGroup (key 11), versions 0-9, flexible from v6 (Kafka 3.9 JoinGroupRequest/Response.json).
// v1+ RebalanceTimeoutMs, v5+ static membership (GroupInstanceId), v7+ ProtocolType in the response and a
// nullable ProtocolName, v8+ Reason, v9+ SkipAssignment.
import { ApiKey } from "../api_keys.ts";
import { arrayOf, defineApi, field, type RequestOf, type ResponseOf } from "../schema.ts";

export const JoinGroupSpec = defineApi({
  key: ApiKey.JoinGroup,
  name: "JoinGroup",
  minVersion: 0,
  maxVersion: 9,
  flexibleFrom: 6,
  request: [
    field("groupId", "string"),
    field("sessionTimeoutMs", "int32"),
    // -1 when absent (v0 uses the session timeout).
    field("rebalanceTimeoutMs", "int32", "1+", { default: -1 }),
    field("memberId", "string"),
    field("groupInstanceId", "string", "5+", { nullable: "5+", default: null }),
    field("protocolType", "string"),
    field(
      "protocols",
      arrayOf([
        field("name", "string", "0+", { mapKey: true }),
        field("metadata", "bytes"),
      ]),
    ),
    field("reason", "string", "8+", { nullable: "8+", default: null }),
  ],
  response: [
    field("throttleTimeMs", "int32", "2+"),
    field("errorCode", "int16"),
    field("generationId", "int32", "0+", { default: -1 }),
    field("protocolType", "string", "7+", { nullable: "7+", default: null }),
    field("protocolName", "string", "0+", { nullable: "7+" }),
    field("leader", "string"),
    field("skipAssignment", "bool", "9+", { default: false }),
    field("memberId", "string"),
    field(
      "members",
      arrayOf([
        field("memberId", "string"),
        field("groupInstanceId", "string", "5+", { nullable: "5+", default: null }),
        field("metadata", "bytes"),
      ]),
    ),
  ],
});

export type JoinGroupRequest = RequestOf<typeof JoinGroupSpec>;
export type JoinGroupResponse = ResponseOf<typeof JoinGroupSpec>;
