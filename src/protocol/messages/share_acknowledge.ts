// ShareAcknowledge (key 79), versions 1-2, flexible (KIP-932; Kafka 4.2 ShareAcknowledgeRequest/Response.json):
// acknowledgements without a fetch, in the member's share session (its epoch moves on; -1 closes the session).
// v2 (KIP-1222): IsRenewAck says renew acknowledgements (type 4) may be there; the answer carries the lock
// duration a renewal started.
import { ApiKey } from "../api_keys.ts";
import { arrayOf, defineApi, field, type RequestOf, type ResponseOf } from "../schema.ts";
import { LeaderIdAndEpoch, NodeEndpoint } from "./common.ts";
import { AcknowledgementBatch } from "./share_fetch.ts";

export const ShareAcknowledgeSpec = defineApi({
  key: ApiKey.ShareAcknowledge,
  name: "ShareAcknowledge",
  minVersion: 1,
  maxVersion: 2,
  flexibleFrom: 0,
  request: [
    field("groupId", "string", "0+", { nullable: "0+", default: null }),
    field("memberId", "string", "0+", { nullable: "0+" }),
    field("shareSessionEpoch", "int32"),
    field("isRenewAck", "bool", "2+", { default: false }),
    field(
      "topics",
      arrayOf([
        field("topicId", "uuid", "0+", { mapKey: true }),
        field(
          "partitions",
          arrayOf([
            field("partitionIndex", "int32", "0+", { mapKey: true }),
            field("acknowledgementBatches", AcknowledgementBatch),
          ]),
        ),
      ]),
    ),
  ],
  response: [
    field("throttleTimeMs", "int32"),
    field("errorCode", "int16"),
    field("errorMessage", "string", "0+", { nullable: "0+", default: null }),
    field("acquisitionLockTimeoutMs", "int32", "2+"),
    field(
      "responses",
      arrayOf([
        field("topicId", "uuid", "0+", { mapKey: true }),
        field(
          "partitions",
          arrayOf([
            field("partitionIndex", "int32"),
            field("errorCode", "int16"),
            field("errorMessage", "string", "0+", { nullable: "0+", default: null }),
            field("currentLeader", LeaderIdAndEpoch),
          ]),
        ),
      ]),
    ),
    field("nodeEndpoints", arrayOf(NodeEndpoint)),
  ],
});

export type ShareAcknowledgeRequest = RequestOf<typeof ShareAcknowledgeSpec>;
export type ShareAcknowledgeResponse = ResponseOf<typeof ShareAcknowledgeSpec>;
