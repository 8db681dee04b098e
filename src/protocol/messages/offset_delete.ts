// OffsetDelete (key 47), version 0, never flexible (Kafka 3.9 OffsetDeleteRequest/Response.json).
// Deletes committed offsets of partitions the (empty or non-subscribed) group no longer consumes.
import { ApiKey } from "../api_keys.ts";
import { arrayOf, defineApi, field, type RequestOf, type ResponseOf } from "../schema.ts";

export const OffsetDeleteSpec = defineApi({
  key: ApiKey.OffsetDelete,
  name: "OffsetDelete",
  minVersion: 0,
  maxVersion: 0,
  flexibleFrom: Infinity,
  request: [
    field("groupId", "string"),
    field(
      "topics",
      arrayOf([
        field("name", "string", "0+", { mapKey: true }),
        field(
          "partitions",
          arrayOf([
            field("partitionIndex", "int32"),
          ]),
        ),
      ]),
    ),
  ],
  response: [
    field("errorCode", "int16"),
    field("throttleTimeMs", "int32"),
    field(
      "topics",
      arrayOf([
        field("name", "string", "0+", { mapKey: true }),
        field(
          "partitions",
          arrayOf([
            field("partitionIndex", "int32", "0+", { mapKey: true }),
            field("errorCode", "int16"),
          ]),
        ),
      ]),
    ),
  ],
});

export type OffsetDeleteRequest = RequestOf<typeof OffsetDeleteSpec>;
export type OffsetDeleteResponse = ResponseOf<typeof OffsetDeleteSpec>;
