// OffsetDelete (key 47), version 0, never flexible (Kafka 3.9 OffsetDeleteRequest/Response.json).
// Deletes committed offsets of partitions the (empty or non-subscribed) group no longer consumes.
import { ApiKey } from "../api_keys.ts";
import { type ApiSpec, arrayOf, field } from "../schema.ts";

export interface OffsetDeleteRequestPartition {
  partitionIndex: number;
}

export interface OffsetDeleteRequestTopic {
  name: string;
  partitions: OffsetDeleteRequestPartition[];
}

export interface OffsetDeleteRequest {
  groupId: string;
  topics: OffsetDeleteRequestTopic[];
}

export interface OffsetDeleteResponsePartition {
  partitionIndex: number;
  errorCode: number;
}

export interface OffsetDeleteResponseTopic {
  name: string;
  partitions: OffsetDeleteResponsePartition[];
}

export interface OffsetDeleteResponse {
  errorCode: number;
  throttleTimeMs: number;
  topics: OffsetDeleteResponseTopic[];
}

export const OffsetDeleteSpec: ApiSpec = {
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
        field("name", "string"),
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
  ],
};
