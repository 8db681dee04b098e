// DescribeCluster: this gateway is the whole cluster and its controller.
import type { Handler } from "./context.ts";
import type {
  DescribeClusterRequest,
  DescribeClusterResponse,
} from "../protocol/messages/describe_cluster.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { AUTHORIZED_OPERATIONS_OMITTED } from "../protocol/messages/metadata.ts";

/** DescribeCluster v1 endpoint types: 1 = brokers, 2 = controllers (KIP-919). */
const ENDPOINT_BROKERS = 1;

export const describeClusterHandler: Handler<DescribeClusterRequest, DescribeClusterResponse> = (
  ctx,
  req,
) => {
  const { config, clusterId } = ctx.broker;
  const base = {
    endpointType: req.endpointType,
    clusterId,
    controllerId: config.nodeId,
    clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  };
  if (ctx.header.apiVersion >= 1 && req.endpointType !== ENDPOINT_BROKERS) {
    return {
      ...base,
      errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE,
      errorMessage: `endpoint type ${req.endpointType} is not served by this gateway`,
      brokers: [],
    };
  }
  const adv = config.advertisedListener;
  return {
    ...base,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    brokers: [{ brokerId: config.nodeId, host: adv.host, port: adv.port, rack: null }],
  };
};
