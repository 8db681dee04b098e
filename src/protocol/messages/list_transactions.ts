// ListTransactions (key 66), versions 0-1, flexible (Kafka ListTransactionsRequest/Response.json, KIP-664): the
// transactions this coordinator holds, filtered by state names and producer ids (empty: all); v1 adds
// DurationFilter (KIP-994: only transactions running longer than that many ms; < 0: all). The response is the
// same in both versions.
import { ApiKey } from "../api_keys.ts";
import { arrayOf, defineApi, field, type RequestOf, type ResponseOf } from "../schema.ts";

export const ListTransactionsSpec = defineApi({
  key: ApiKey.ListTransactions,
  name: "ListTransactions",
  minVersion: 0,
  maxVersion: 1,
  flexibleFrom: 0,
  request: [
    field("stateFilters", arrayOf("string")),
    field("producerIdFilters", arrayOf("int64")),
    field("durationFilter", "int64", "1+", { default: -1 }),
  ],
  response: [
    field("throttleTimeMs", "int32"),
    field("errorCode", "int16"),
    // State filters of the request the coordinator does not know (Kafka's ListTransactionsResponse.json).
    field("unknownStateFilters", arrayOf("string")),
    field(
      "transactionStates",
      arrayOf([
        field("transactionalId", "string"),
        field("producerId", "int64"),
        field("transactionState", "string"),
      ]),
    ),
  ],
});

export type ListTransactionsRequest = RequestOf<typeof ListTransactionsSpec>;
export type ListTransactionsResponse = ResponseOf<typeof ListTransactionsSpec>;
