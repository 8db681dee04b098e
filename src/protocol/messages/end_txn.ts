// EndTxn (key 26), versions 0-4, flexible from v3 (Kafka EndTxnRequest/Response.json): commit or abort the
// producer's transaction. v2+ may answer PRODUCER_FENCED where v0-1 get INVALID_PRODUCER_EPOCH; v4 may answer
// TRANSACTION_ABORTABLE. v5 (KIP-890 part 2: an epoch bump on every transaction, the response carrying the new
// producer id and epoch) is not advertised: this coordinator keeps the epoch across transactions.
import { ApiKey } from "../api_keys.ts";
import { defineApi, field, type RequestOf, type ResponseOf } from "../schema.ts";

export const EndTxnSpec = defineApi({
  key: ApiKey.EndTxn,
  name: "EndTxn",
  minVersion: 0,
  maxVersion: 4,
  flexibleFrom: 3,
  request: [
    field("transactionalId", "string"),
    field("producerId", "int64"),
    field("producerEpoch", "int16"),
    // true: commit, false: abort.
    field("committed", "bool"),
  ],
  response: [
    field("throttleTimeMs", "int32"),
    field("errorCode", "int16"),
  ],
});

export type EndTxnRequest = RequestOf<typeof EndTxnSpec>;
export type EndTxnResponse = ResponseOf<typeof EndTxnSpec>;
