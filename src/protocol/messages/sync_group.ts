// SyncGroup (key 14), versions 0-5, flexible from v4 (Kafka 3.9 SyncGroupRequest/Response.json).
// v3+ static membership (GroupInstanceId), v5+ ProtocolType/ProtocolName in request and response.
import { ApiKey } from "../api_keys.ts";
import { type ApiSpec, arrayOf, field } from "../schema.ts";

export interface SyncGroupRequestAssignment {
  memberId: string;
  assignment: Uint8Array;
}

export interface SyncGroupRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  /** v3+. */
  groupInstanceId: string | null;
  /** v5+. */
  protocolType: string | null;
  /** v5+. */
  protocolName: string | null;
  /** Only the leader sends assignments; followers send an empty array. */
  assignments: SyncGroupRequestAssignment[];
}

export interface SyncGroupResponse {
  /** v1+. */
  throttleTimeMs: number;
  errorCode: number;
  /** v5+. */
  protocolType: string | null;
  /** v5+. */
  protocolName: string | null;
  assignment: Uint8Array;
}

export const SyncGroupSpec: ApiSpec = {
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
};
