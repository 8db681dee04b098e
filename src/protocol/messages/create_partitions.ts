// CreatePartitions (key 37), versions 0-3, flexible from v2 (Kafka 3.9 CreatePartitionsRequest/Response.json).
// v1 is v0; v3 is v2 but may answer THROTTLING_QUOTA_EXCEEDED.
import { ApiKey } from "../api_keys.ts";
import { arrayOf, defineApi, field, type RequestOf, type ResponseOf } from "../schema.ts";

export const CreatePartitionsSpec = defineApi({
  key: ApiKey.CreatePartitions,
  name: "CreatePartitions",
  minVersion: 0,
  maxVersion: 3,
  flexibleFrom: 2,
  request: [
    field(
      "topics",
      arrayOf([
        field("name", "string", "0+", { mapKey: true }),
        // The new total partition count.
        field("count", "int32"),
        // Replicas of each new partition, or null for the broker's choice.
        field("assignments", arrayOf([field("brokerIds", arrayOf("int32"))]), "0+", { nullable: "0+" }),
      ]),
    ),
    field("timeoutMs", "int32"),
    field("validateOnly", "bool"),
  ],
  response: [
    field("throttleTimeMs", "int32"),
    field(
      "results",
      arrayOf([
        field("name", "string"),
        field("errorCode", "int16"),
        field("errorMessage", "string", "0+", { nullable: "0+", default: null }),
      ]),
    ),
  ],
});

export type CreatePartitionsRequest = RequestOf<typeof CreatePartitionsSpec>;
export type CreatePartitionsTopic = CreatePartitionsRequest["topics"][number];
export type CreatePartitionsResponse = ResponseOf<typeof CreatePartitionsSpec>;
export type CreatePartitionsTopicResult = CreatePartitionsResponse["results"][number];
