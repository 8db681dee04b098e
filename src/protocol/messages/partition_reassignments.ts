// AlterPartitionReassignments (key 45) and ListPartitionReassignments (key 46), version 0, flexible (KIP-455;
// Kafka's AlterPartitionReassignmentsRequest/Response.json and ListPartitionReassignmentsRequest/Response.json).
import { ApiKey } from "../api_keys.ts";
import { arrayOf, defineApi, field, type RequestOf, type ResponseOf } from "../schema.ts";

export const AlterPartitionReassignmentsSpec = defineApi({
  key: ApiKey.AlterPartitionReassignments,
  name: "AlterPartitionReassignments",
  minVersion: 0,
  maxVersion: 0,
  flexibleFrom: 0,
  request: [
    field("timeoutMs", "int32", "0+", { default: 60000 }),
    field(
      "topics",
      arrayOf([
        field("name", "string"),
        field(
          "partitions",
          arrayOf([
            field("partitionIndex", "int32"),
            // The replicas to place the partition on, or null to cancel a pending reassignment.
            field("replicas", arrayOf("int32"), "0+", { nullable: "0+", default: null }),
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
        field("name", "string"),
        field(
          "partitions",
          arrayOf([
            field("partitionIndex", "int32"),
            field("errorCode", "int16"),
            field("errorMessage", "string", "0+", { nullable: "0+", default: null }),
          ]),
        ),
      ]),
    ),
  ],
});

export const ListPartitionReassignmentsSpec = defineApi({
  key: ApiKey.ListPartitionReassignments,
  name: "ListPartitionReassignments",
  minVersion: 0,
  maxVersion: 0,
  flexibleFrom: 0,
  request: [
    field("timeoutMs", "int32", "0+", { default: 60000 }),
    // null: every partition.
    field(
      "topics",
      arrayOf([field("name", "string"), field("partitionIndexes", arrayOf("int32"))]),
      "0+",
      { nullable: "0+", default: null },
    ),
  ],
  response: [
    field("throttleTimeMs", "int32"),
    field("errorCode", "int16"),
    field("errorMessage", "string", "0+", { nullable: "0+", default: null }),
    field(
      "topics",
      arrayOf([
        field("name", "string"),
        field(
          "partitions",
          arrayOf([
            field("partitionIndex", "int32"),
            field("replicas", arrayOf("int32")),
            field("addingReplicas", arrayOf("int32")),
            field("removingReplicas", arrayOf("int32")),
          ]),
        ),
      ]),
    ),
  ],
});

export type AlterPartitionReassignmentsRequest = RequestOf<typeof AlterPartitionReassignmentsSpec>;
export type AlterPartitionReassignmentsResponse = ResponseOf<typeof AlterPartitionReassignmentsSpec>;
export type ListPartitionReassignmentsRequest = RequestOf<typeof ListPartitionReassignmentsSpec>;
export type ListPartitionReassignmentsResponse = ResponseOf<typeof ListPartitionReassignmentsSpec>;
