// DeleteRecords (key 21), versions 0-2, flexible from v2 (Kafka 3.9 DeleteRecordsRequest/Response.json).
// v1 is v0. An offset of -1 means "up to the high watermark".
import { ApiKey } from "../api_keys.ts";
import { arrayOf, defineApi, field, type RequestOf, type ResponseOf } from "../schema.ts";

export const DeleteRecordsSpec = defineApi({
  key: ApiKey.DeleteRecords,
  name: "DeleteRecords",
  minVersion: 0,
  maxVersion: 2,
  flexibleFrom: 2,
  request: [
    field(
      "topics",
      arrayOf([
        field("name", "string"),
        field(
          "partitions",
          arrayOf([
            field("partitionIndex", "int32"),
            // Records below this offset are deleted; -1 = the high watermark.
            field("offset", "int64"),
          ]),
        ),
      ]),
    ),
    field("timeoutMs", "int32"),
  ],
  response: [
    field("throttleTimeMs", "int32"),
    field(
      "topics",
      arrayOf([
        field("name", "string", "0+", { mapKey: true }),
        field(
          "partitions",
          arrayOf([
            field("partitionIndex", "int32", "0+", { mapKey: true }),
            // The new log start offset, -1 on error.
            field("lowWatermark", "int64"),
            field("errorCode", "int16"),
          ]),
        ),
      ]),
    ),
  ],
});

export type DeleteRecordsRequest = RequestOf<typeof DeleteRecordsSpec>;
export type DeleteRecordsResponse = ResponseOf<typeof DeleteRecordsSpec>;
export type DeleteRecordsTopicResult = DeleteRecordsResponse["topics"][number];
export type DeleteRecordsPartitionResult = DeleteRecordsTopicResult["partitions"][number];
