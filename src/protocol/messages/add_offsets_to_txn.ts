// AddOffsetsToTxn (key 25), versions 0-4, flexible from v3 (Kafka AddOffsetsToTxnRequest/Response.json): adds the
// group's `__consumer_offsets` partition to the transaction before TxnOffsetCommit. v2+ may answer
// PRODUCER_FENCED where v0-1 get INVALID_PRODUCER_EPOCH; v4 may answer TRANSACTION_ABORTABLE (KIP-890).
import { ApiKey } from "../api_keys.ts";
import { defineApi, field, type RequestOf, type ResponseOf } from "../schema.ts";

export const AddOffsetsToTxnSpec = defineApi({
  key: ApiKey.AddOffsetsToTxn,
  name: "AddOffsetsToTxn",
  minVersion: 0,
  maxVersion: 4,
  flexibleFrom: 3,
  request: [
    field("transactionalId", "string"),
    field("producerId", "int64"),
    field("producerEpoch", "int16"),
    field("groupId", "string"),
  ],
  response: [
    field("throttleTimeMs", "int32"),
    field("errorCode", "int16"),
  ],
});

export type AddOffsetsToTxnRequest = RequestOf<typeof AddOffsetsToTxnSpec>;
export type AddOffsetsToTxnResponse = ResponseOf<typeof AddOffsetsToTxnSpec>;
