// WriteTxnMarkers (key 27), versions 0-1, flexible from v1 (Kafka 3.9 WriteTxnMarkersRequest/Response.json; Kafka
// 4.0 dropped v0 and added v2 with a TransactionVersion per marker). Sent by a transaction coordinator to the
// leader of each partition of a transaction: COMMIT (true) or ABORT (false) markers for one producer each.
import { ApiKey } from "../api_keys.ts";
import { arrayOf, defineApi, field, type RequestOf, type ResponseOf } from "../schema.ts";

export const WriteTxnMarkersSpec = defineApi({
  key: ApiKey.WriteTxnMarkers,
  name: "WriteTxnMarkers",
  minVersion: 0,
  maxVersion: 1,
  flexibleFrom: 1,
  request: [
    field(
      "markers",
      arrayOf([
        field("producerId", "int64"),
        field("producerEpoch", "int16"),
        // false = ABORT, true = COMMIT.
        field("transactionResult", "bool"),
        field(
          "topics",
          arrayOf([
            field("name", "string"),
            field("partitionIndexes", arrayOf("int32")),
          ]),
        ),
        field("coordinatorEpoch", "int32"),
      ]),
    ),
  ],
  response: [
    field(
      "markers",
      arrayOf([
        field("producerId", "int64"),
        field(
          "topics",
          arrayOf([
            field("name", "string"),
            field(
              "partitions",
              arrayOf([
                field("partitionIndex", "int32"),
                field("errorCode", "int16"),
              ]),
            ),
          ]),
        ),
      ]),
    ),
  ],
});

export type WriteTxnMarkersRequest = RequestOf<typeof WriteTxnMarkersSpec>;
export type WriteTxnMarkersResponse = ResponseOf<typeof WriteTxnMarkersSpec>;
