// LeaveGroup (key 13), versions 0-5, flexible from v4 (Kafka 3.9 LeaveGroupRequest/Response.json).
// v0-2 remove one MemberId; v3+ remove a batch of Members (with a per-member Reason from v5) and answer
// per member.
import { ApiKey } from "../api_keys.ts";
import { arrayOf, defineApi, field, type RequestOf, type ResponseOf } from "../schema.ts";

export const LeaveGroupSpec = defineApi({
  key: ApiKey.LeaveGroup,
  name: "LeaveGroup",
  minVersion: 0,
  maxVersion: 5,
  flexibleFrom: 4,
  request: [
    field("groupId", "string"),
    field("memberId", "string", "0-2"),
    field(
      "members",
      arrayOf([
        field("memberId", "string", "3+"),
        field("groupInstanceId", "string", "3+", { nullable: "3+", default: null }),
        field("reason", "string", "5+", { nullable: "5+", default: null }),
      ]),
      "3+",
    ),
  ],
  response: [
    field("throttleTimeMs", "int32", "1+"),
    field("errorCode", "int16"),
    field(
      "members",
      arrayOf([
        field("memberId", "string", "3+"),
        field("groupInstanceId", "string", "3+", { nullable: "3+" }),
        field("errorCode", "int16", "3+"),
      ]),
      "3+",
    ),
  ],
});

export type LeaveGroupRequest = RequestOf<typeof LeaveGroupSpec>;
export type LeaveGroupResponse = ResponseOf<typeof LeaveGroupSpec>;
