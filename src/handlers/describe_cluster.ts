// DescribeCluster: the live gateways and the controller, from the cluster view (a solo gateway is both).
import type { Handler } from "../request/context.ts";
import type {
  DescribeClusterRequest,
  DescribeClusterResponse,
} from "../protocol/messages/describe_cluster.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { endpointFor } from "../cluster/view.ts";
import { AUTHORIZED_OPERATIONS_OMITTED } from "../protocol/messages/metadata.ts";

/** DescribeCluster v1 endpoint types: 1 = brokers, 2 = controllers (KIP-919). */
const ENDPOINT_BROKERS = 1;

export const describeClusterHandler: Handler<DescribeClusterRequest, DescribeClusterResponse> = (
  ctx,
  req,
) => {
  const { cluster, clusterId } = ctx.broker;
  const base = {
    endpointType: req.endpointType,
    clusterId,
    controllerId: cluster.controllerId(),
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
  return {
    ...base,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    brokers: cluster.brokers().map((b) => {
      const { host, port } = endpointFor(b, ctx.listener.name); // the client's listener
      return { brokerId: b.nodeId, host, port, rack: b.rack };
    }),
  };
};
