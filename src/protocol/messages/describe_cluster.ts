// DescribeCluster (key 60), versions 0-1, flexible from v0 (Kafka 3.9 DescribeClusterRequest/Response.json).
import { ApiKey } from "../api_keys.ts";
import { arrayOf, defineApi, field, type RequestOf, type ResponseOf } from "../schema.ts";

export const DescribeClusterSpec = defineApi({
  key: ApiKey.DescribeCluster,
  name: "DescribeCluster",
  minVersion: 0,
  maxVersion: 1,
  flexibleFrom: 0,
  request: [
    field("includeClusterAuthorizedOperations", "bool"),
    // 1 = brokers, 2 = controllers.
    field("endpointType", "int8", "1+", { default: 1 }),
  ],
  response: [
    field("throttleTimeMs", "int32"),
    field("errorCode", "int16"),
    field("errorMessage", "string", "0+", { nullable: "0+", default: null }),
    // 1 = brokers, 2 = controllers.
    field("endpointType", "int8", "1+", { default: 1 }),
    field("clusterId", "string"),
    field("controllerId", "int32", "0+", { default: -1 }),
    field(
      "brokers",
      arrayOf([
        field("brokerId", "int32", "0+", { mapKey: true }),
        field("host", "string"),
        field("port", "int32"),
        field("rack", "string", "0+", { nullable: "0+", default: null }),
      ]),
    ),
    field("clusterAuthorizedOperations", "int32", "0+", { default: -2147483648 }),
  ],
});

export type DescribeClusterRequest = RequestOf<typeof DescribeClusterSpec>;
export type DescribeClusterResponse = ResponseOf<typeof DescribeClusterSpec>;
