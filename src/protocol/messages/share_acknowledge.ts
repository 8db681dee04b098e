// ShareAcknowledge (key 79), version 1, flexible (KIP-932; Kafka 4.1 ShareAcknowledgeRequest/Response.json):
// acknowledgements without a fetch, in the member's share session (its epoch moves on; -1 closes the session).
import { ApiKey } from "../api_keys.ts";
import { arrayOf, defineApi, field, type RequestOf, type ResponseOf } from "../schema.ts";
import { LeaderIdAndEpoch, NodeEndpoint } from "./common.ts";
import { AcknowledgementBatch } from "./share_fetch.ts";

export const ShareAcknowledgeSpec = defineApi({
  key: ApiKey.ShareAcknowledge,
  name: "ShareAcknowledge",
  minVersion: 1,
  maxVersion: 1,
  flexibleFrom: 0,
  request: [
    field("groupId", "string", "0+", { nullable: "0+", default: null }),
    field("memberId", "string", "0+", { nullable: "0+" }),
    field("shareSessionEpoch", "int32"),
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
