// DescribeShareGroupOffsets (key 90, v0-1: v1 adds Lag, KIP-1226), AlterShareGroupOffsets (91) and
// DeleteShareGroupOffsets (92), version 0, flexible (KIP-932; Kafka 4.2 DescribeShareGroupOffsets,
// AlterShareGroupOffsets and DeleteShareGroupOffsets Request/Response.json): the admin side of share groups'
// start offsets.
import { ApiKey } from "../api_keys.ts";
import { arrayOf, defineApi, field, type RequestOf, type ResponseOf } from "../schema.ts";

const errorMessage = () => field("errorMessage", "string", "0+", { nullable: "0+", default: null });

export const DescribeShareGroupOffsetsSpec = defineApi({
  key: ApiKey.DescribeShareGroupOffsets,
  name: "DescribeShareGroupOffsets",
  minVersion: 0,
  // v1: Lag (KIP-1226, Kafka 4.2)
  maxVersion: 1,
  flexibleFrom: 0,
  request: [
    field(
      "groups",
      arrayOf([
        field("groupId", "string"),
        // null: every topic-partition the group keeps state for.
        field(
          "topics",
          arrayOf([
            field("topicName", "string"),
            field("partitions", arrayOf("int32")),
          ]),
          "0+",
          { nullable: "0+" },
        ),
      ]),
    ),
  ],
  response: [
    field("throttleTimeMs", "int32"),
    field(
      "groups",
      arrayOf([
        field("groupId", "string"),
        field(
          "topics",
          arrayOf([
            field("topicName", "string"),
            field("topicId", "uuid"),
            field(
              "partitions",
              arrayOf([
                field("partitionIndex", "int32"),
                field("startOffset", "int64"),
                field("leaderEpoch", "int32"),
                field("lag", "int64", "1+", { default: -1 }),
                field("errorCode", "int16"),
                errorMessage(),
              ]),
            ),
          ]),
        ),
        field("errorCode", "int16"),
        errorMessage(),
      ]),
    ),
  ],
});

export const AlterShareGroupOffsetsSpec = defineApi({
  key: ApiKey.AlterShareGroupOffsets,
  name: "AlterShareGroupOffsets",
  minVersion: 0,
  maxVersion: 0,
  flexibleFrom: 0,
  request: [
    field("groupId", "string"),
    field(
      "topics",
      arrayOf([
        field("topicName", "string", "0+", { mapKey: true }),
        field(
          "partitions",
          arrayOf([
            field("partitionIndex", "int32"),
            field("startOffset", "int64"),
          ]),
        ),
      ]),
    ),
  ],
  response: [
    field("throttleTimeMs", "int32"),
    field("errorCode", "int16"),
    errorMessage(),
    field(
      "responses",
      arrayOf([
        field("topicName", "string", "0+", { mapKey: true }),
        field("topicId", "uuid"),
        field(
          "partitions",
          arrayOf([
            field("partitionIndex", "int32"),
            field("errorCode", "int16"),
            errorMessage(),
          ]),
        ),
      ]),
    ),
  ],
});

export const DeleteShareGroupOffsetsSpec = defineApi({
  key: ApiKey.DeleteShareGroupOffsets,
  name: "DeleteShareGroupOffsets",
  minVersion: 0,
  maxVersion: 0,
  flexibleFrom: 0,
  request: [
    field("groupId", "string"),
    field("topics", arrayOf([field("topicName", "string")])),
  ],
  response: [
    field("throttleTimeMs", "int32"),
    field("errorCode", "int16"),
    errorMessage(),
    field(
      "responses",
      arrayOf([
        field("topicName", "string"),
        field("topicId", "uuid"),
        field("errorCode", "int16"),
        errorMessage(),
      ]),
    ),
  ],
});

export type DescribeShareGroupOffsetsRequest = RequestOf<typeof DescribeShareGroupOffsetsSpec>;
export type DescribeShareGroupOffsetsResponse = ResponseOf<typeof DescribeShareGroupOffsetsSpec>;
export type DescribedShareGroupOffsets = DescribeShareGroupOffsetsResponse["groups"][number];
export type AlterShareGroupOffsetsRequest = RequestOf<typeof AlterShareGroupOffsetsSpec>;
export type AlterShareGroupOffsetsResponse = ResponseOf<typeof AlterShareGroupOffsetsSpec>;
export type DeleteShareGroupOffsetsRequest = RequestOf<typeof DeleteShareGroupOffsetsSpec>;
export type DeleteShareGroupOffsetsResponse = ResponseOf<typeof DeleteShareGroupOffsetsSpec>;
