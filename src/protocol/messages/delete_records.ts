// DeleteRecords (key 21), versions 0-2, flexible from v2 (Kafka 3.9 DeleteRecordsRequest/Response.json).
// v1 is v0. An offset of -1 means "up to the high watermark".
import { ApiKey } from "../api_keys.ts";
import { type ApiSpec, arrayOf, field } from "../schema.ts";

export interface DeleteRecordsPartition {
  partitionIndex: number;
  /** Records below this offset are deleted; -1 = the high watermark. */
  offset: number;
}

export interface DeleteRecordsTopic {
  name: string;
  partitions: DeleteRecordsPartition[];
}

export interface DeleteRecordsRequest {
  topics: DeleteRecordsTopic[];
  timeoutMs: number;
}

export interface DeleteRecordsPartitionResult {
  partitionIndex: number;
  /** The new log start offset, -1 on error. */
  lowWatermark: number;
  errorCode: number;
}

export interface DeleteRecordsTopicResult {
  name: string;
  partitions: DeleteRecordsPartitionResult[];
}

export interface DeleteRecordsResponse {
  throttleTimeMs: number;
  topics: DeleteRecordsTopicResult[];
}

export const DeleteRecordsSpec: ApiSpec = {
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
        field("name", "string"),
        field(
          "partitions",
          arrayOf([
            field("partitionIndex", "int32"),
            field("lowWatermark", "int64"),
            field("errorCode", "int16"),
          ]),
        ),
      ]),
    ),
  ],
};
