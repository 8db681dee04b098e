// ShareFetch (key 78), versions 1-2, flexible (KIP-932; Kafka 4.2 ShareFetchRequest/Response.json, whose v0 was
// 4.0's early access and is no longer valid). A share session (ShareSessionEpoch: 0 opens, -1 closes, else the
// next epoch) carries the partitions fetched; acknowledgements of earlier deliveries ride along per partition.
// AcknowledgeTypes: 0 gap, 1 accept, 2 release, 3 reject, 4 renew (v2 with IsRenewAck; one type for the whole
// batch, or one per offset). v2: ShareAcquireMode (0 batch-optimized, 1 record-limit: KIP-1206) and IsRenewAck
// (KIP-1222: the request renews locks and fetches nothing).
import { ApiKey } from "../api_keys.ts";
import { arrayOf, defineApi, field, type RequestOf, type ResponseOf } from "../schema.ts";
import { LeaderIdAndEpoch, NodeEndpoint } from "./common.ts";

export const AcknowledgementBatch = arrayOf([
  field("firstOffset", "int64"),
  field("lastOffset", "int64"),
  field("acknowledgeTypes", arrayOf("int8")),
]);

export const ShareFetchSpec = defineApi({
  key: ApiKey.ShareFetch,
  name: "ShareFetch",
  minVersion: 1,
  maxVersion: 2,
  flexibleFrom: 0,
  request: [
    field("groupId", "string", "0+", { nullable: "0+", default: null }),
    field("memberId", "string", "0+", { nullable: "0+" }),
    field("shareSessionEpoch", "int32"),
    field("maxWaitMs", "int32"),
    field("minBytes", "int32"),
    field("maxBytes", "int32", "0+", { default: 0x7fffffff }),
    field("maxRecords", "int32", "1+"),
    field("batchSize", "int32", "1+"),
    field("shareAcquireMode", "int8", "2+", { default: 0 }),
    field("isRenewAck", "bool", "2+", { default: false }),
    field(
      "topics",
      arrayOf([
        field("topicId", "uuid", "0+", { mapKey: true }),
        field(
          "partitions",
          arrayOf([
            field("partitionIndex", "int32", "0+", { mapKey: true }),
            field("partitionMaxBytes", "int32", "0"),
            field("acknowledgementBatches", AcknowledgementBatch),
          ]),
        ),
      ]),
    ),
    field("forgottenTopicsData", arrayOf([field("topicId", "uuid"), field("partitions", arrayOf("int32"))])),
  ],
  response: [
    field("throttleTimeMs", "int32"),
    field("errorCode", "int16"),
    field("errorMessage", "string", "0+", { nullable: "0+", default: null }),
    field("acquisitionLockTimeoutMs", "int32", "1+"),
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
            field("acknowledgeErrorCode", "int16"),
            field("acknowledgeErrorMessage", "string", "0+", { nullable: "0+", default: null }),
            field("currentLeader", LeaderIdAndEpoch),
            field("records", "records", "0+", { nullable: "0" }),
            field(
              "acquiredRecords",
              arrayOf([
                field("firstOffset", "int64"),
                field("lastOffset", "int64"),
                field("deliveryCount", "int16"),
              ]),
            ),
          ]),
        ),
      ]),
    ),
    field("nodeEndpoints", arrayOf(NodeEndpoint)),
  ],
});

export type ShareFetchRequest = RequestOf<typeof ShareFetchSpec>;
export type ShareFetchResponse = ResponseOf<typeof ShareFetchSpec>;
export type ShareFetchResponsePartition = ShareFetchResponse["responses"][number]["partitions"][number];
