// ElectLeaders (key 43), versions 0-2, flexible from v2 (Kafka's ElectLeadersRequest/Response.json; v1 adds the
// election type of KIP-460 and the top-level error code).
import { ApiKey } from "../api_keys.ts";
import { arrayOf, defineApi, field, type RequestOf, type ResponseOf } from "../schema.ts";

export const ElectLeadersSpec = defineApi({
  key: ApiKey.ElectLeaders,
  name: "ElectLeaders",
  minVersion: 0,
  maxVersion: 2,
  flexibleFrom: 2,
  request: [
    // 0: the preferred replica; 1: the first live replica when no in-sync one is left (unclean).
    field("electionType", "int8", "1+", { default: 0 }),
    // null: every partition.
    field(
      "topicPartitions",
      arrayOf([field("topic", "string", "0+", { mapKey: true }), field("partitions", arrayOf("int32"))]),
      "0+",
      { nullable: "0+" },
    ),
    field("timeoutMs", "int32", "0+", { default: 60000 }),
  ],
  response: [
    field("throttleTimeMs", "int32"),
    field("errorCode", "int16", "1+"),
    field(
      "replicaElectionResults",
      arrayOf([
        field("topic", "string"),
        field(
          "partitionResult",
          arrayOf([
            field("partitionId", "int32"),
            field("errorCode", "int16"),
            field("errorMessage", "string", "0+", { nullable: "0+", default: null }),
          ]),
        ),
      ]),
    ),
  ],
});

export type ElectLeadersRequest = RequestOf<typeof ElectLeadersSpec>;
export type ElectLeadersResponse = ResponseOf<typeof ElectLeadersSpec>;
