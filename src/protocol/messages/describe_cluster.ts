// DescribeCluster (key 60), versions 0-1, flexible from v0 (Kafka 3.9 DescribeClusterRequest/Response.json).
import { ApiKey } from "../api_keys.ts";
import { type ApiSpec, arrayOf, field } from "../schema.ts";

export interface DescribeClusterRequest {
  includeClusterAuthorizedOperations: boolean;
  /** v1+; 1 = brokers, 2 = controllers. */
  endpointType: number;
}

export interface DescribeClusterResponseBroker {
  brokerId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface DescribeClusterResponse {
  throttleTimeMs: number;
  errorCode: number;
  errorMessage: string | null;
  /** v1+; 1 = brokers, 2 = controllers. */
  endpointType: number;
  clusterId: string;
  controllerId: number;
  brokers: DescribeClusterResponseBroker[];
  clusterAuthorizedOperations: number;
}

export const DescribeClusterSpec: ApiSpec = {
  key: ApiKey.DescribeCluster,
  name: "DescribeCluster",
  minVersion: 0,
  maxVersion: 1,
  flexibleFrom: 0,
  request: [
    field("includeClusterAuthorizedOperations", "bool"),
    field("endpointType", "int8", "1+", { default: 1 }),
  ],
  response: [
    field("throttleTimeMs", "int32"),
    field("errorCode", "int16"),
    field("errorMessage", "string", "0+", { nullable: "0+", default: null }),
    field("endpointType", "int8", "1+", { default: 1 }),
    field("clusterId", "string"),
    field("controllerId", "int32", "0+", { default: -1 }),
    field(
      "brokers",
      arrayOf([
        field("brokerId", "int32"),
        field("host", "string"),
        field("port", "int32"),
        field("rack", "string", "0+", { nullable: "0+", default: null }),
      ]),
    ),
    field("clusterAuthorizedOperations", "int32", "0+", { default: -2147483648 }),
  ],
};
