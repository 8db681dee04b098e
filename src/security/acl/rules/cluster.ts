// The authorization rules of the APIs about the cluster itself (Kafka's Cluster resource): the ACL, SCRAM and
// client quota admin APIs, partition reassignment, log dirs, DescribeCluster. A refusal is
// CLUSTER_AUTHORIZATION_FAILED.
import { ErrorCode } from "../../../protocol/errors.ts";
import { ALLOW } from "../../../request/authorize.ts";
import { DescribeClusterSpec } from "../../../protocol/messages/describe_cluster.ts";
import { CreateAclsSpec } from "../../../protocol/messages/create_acls.ts";
import { DeleteAclsSpec } from "../../../protocol/messages/delete_acls.ts";
import { AclOperation as Op, ResourceType } from "../model.ts";
import { clusterOnly, DENY_CLUSTER, rewrite, type Rule } from "./common.ts";

export const describeAcls = clusterOnly(Op.DESCRIBE);
export const describeLogDirs = clusterOnly(Op.DESCRIBE);
export const electLeaders = clusterOnly(Op.ALTER);
export const alterPartitionReassignments = clusterOnly(Op.ALTER);
export const listPartitionReassignments = clusterOnly(Op.DESCRIBE);
export const describeClientQuotas = clusterOnly(Op.DESCRIBE_CONFIGS);
export const alterClientQuotas = clusterOnly(Op.ALTER_CONFIGS);
export const listConfigResources = clusterOnly(Op.DESCRIBE_CONFIGS);
export const describeUserScramCredentials = clusterOnly(Op.DESCRIBE);
export const alterUserScramCredentials = clusterOnly(Op.ALTER);

/** DescribeCluster: DESCRIBE on the cluster; the cluster's authorized operations when asked for. */
export const describeCluster: Rule<typeof DescribeClusterSpec> = (p, _ctx, req) => {
  if (!p.cluster(Op.DESCRIBE)) return DENY_CLUSTER;
  if (req.includeClusterAuthorizedOperations !== true) return ALLOW;
  return rewrite(DescribeClusterSpec, req, (res) => {
    res.clusterAuthorizedOperations = p.authorizedOperations(ResourceType.CLUSTER, "kafka-cluster");
    return res;
  });
};

/** One refused creation or filter. */
const refused = () => ({ errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null });

/** CreateAcls: ALTER on the cluster; refused, one refusal per creation, as Kafka answers. */
export const createAcls: Rule<typeof CreateAclsSpec> = (p, _ctx, req) => {
  if (p.cluster(Op.ALTER)) return ALLOW;
  const n = req.creations.length;
  return {
    kind: "narrow",
    request: { ...req, creations: [] },
    complete: (res) => ({ ...res, results: Array.from({ length: n }, refused) }),
  };
};

/** DeleteAcls: ALTER on the cluster; refused, one refusal per filter, as Kafka answers. */
export const deleteAcls: Rule<typeof DeleteAclsSpec> = (p, _ctx, req) => {
  if (p.cluster(Op.ALTER)) return ALLOW;
  const n = req.filters.length;
  return {
    kind: "narrow",
    request: { ...req, filters: [] },
    complete: (res) => ({
      ...res,
      filterResults: Array.from({ length: n }, () => ({ ...refused(), matchingAcls: [] })),
    }),
  };
};
