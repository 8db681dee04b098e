// The Kafka APIs the gateway serves: one registration per API, in one table that dispatch, authorization, the
// quota step and ApiVersions all read (src/handlers/registry.ts): its schema, its typed handler, its authorization
// rule (what Kafka's KafkaApis checks for it, src/security/acl/rules/; ALLOW where Kafka lets every principal in;
// rules run only with an authorizer, --authorizer acl, which answers them per resource) and its hooks, among them
// the client quota it counts against besides request_percentage (Produce, Fetch, the topic mutations;
// src/quotas/model.ts). Handlers that live with their subject (security, quotas) are registered here too.
import { ApiRegistry } from "./registry.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { ALLOW } from "../request/authorize.ts";
import * as topics from "../security/acl/rules/topics.ts";
import * as groups from "../security/acl/rules/groups.ts";
import * as txn from "../security/acl/rules/transactions.ts";
import * as cluster from "../security/acl/rules/cluster.ts";
import { ApiVersionsSpec } from "../protocol/messages/api_versions.ts";
import { MetadataSpec } from "../protocol/messages/metadata.ts";
import { ProduceSpec } from "../protocol/messages/produce.ts";
import { FetchSpec } from "../protocol/messages/fetch.ts";
import { ListOffsetsSpec } from "../protocol/messages/list_offsets.ts";
import { CreateTopicsSpec } from "../protocol/messages/create_topics.ts";
import { DeleteTopicsSpec } from "../protocol/messages/delete_topics.ts";
import { DescribeClusterSpec } from "../protocol/messages/describe_cluster.ts";
import { DescribeClientQuotasSpec } from "../protocol/messages/describe_client_quotas.ts";
import { AlterClientQuotasSpec } from "../protocol/messages/alter_client_quotas.ts";
import { alterClientQuotasHandler, describeClientQuotasHandler } from "../quotas/handlers.ts";
import { CREATE_PARTITIONS, CREATE_TOPICS, DELETE_TOPICS, withMutationQuota } from "../quotas/mutations.ts";
import { apiVersionsHandler } from "./api_versions.ts";
import { metadataHandler } from "./metadata.ts";
import { produceDelivery, produceHandler } from "./produce.ts";
import { fetchHandler } from "./fetch.ts";
import { listOffsetsHandler } from "./list_offsets.ts";
import { createTopicsHandler } from "./create_topics.ts";
import { deleteTopicsHandler } from "./delete_topics.ts";
import { describeClusterHandler } from "./describe_cluster.ts";
import { FindCoordinatorSpec } from "../protocol/messages/find_coordinator.ts";
import { JoinGroupSpec } from "../protocol/messages/join_group.ts";
import { SyncGroupSpec } from "../protocol/messages/sync_group.ts";
import { HeartbeatSpec } from "../protocol/messages/heartbeat.ts";
import { LeaveGroupSpec } from "../protocol/messages/leave_group.ts";
import { OffsetCommitSpec } from "../protocol/messages/offset_commit.ts";
import { OffsetFetchSpec } from "../protocol/messages/offset_fetch.ts";
import { OffsetDeleteSpec } from "../protocol/messages/offset_delete.ts";
import { DescribeGroupsSpec } from "../protocol/messages/describe_groups.ts";
import { ListGroupsSpec } from "../protocol/messages/list_groups.ts";
import { DeleteGroupsSpec } from "../protocol/messages/delete_groups.ts";
import { ConsumerGroupHeartbeatSpec } from "../protocol/messages/consumer_group_heartbeat.ts";
import { ConsumerGroupDescribeSpec } from "../protocol/messages/consumer_group_describe.ts";
import { consumerGroupDescribeHandler, consumerGroupHeartbeatHandler } from "./consumer_groups.ts";
import { ShareGroupHeartbeatSpec } from "../protocol/messages/share_group_heartbeat.ts";
import { ShareGroupDescribeSpec } from "../protocol/messages/share_group_describe.ts";
import { shareGroupDescribeHandler, shareGroupHeartbeatHandler } from "./share_groups.ts";
import {
  alterShareGroupOffsetsHandler,
  deleteShareGroupOffsetsHandler,
  describeShareGroupOffsetsHandler,
} from "./share_group_offsets.ts";
import {
  AlterShareGroupOffsetsSpec,
  DeleteShareGroupOffsetsSpec,
  DescribeShareGroupOffsetsSpec,
} from "../protocol/messages/share_group_offsets.ts";
import { ShareFetchSpec } from "../protocol/messages/share_fetch.ts";
import { ShareAcknowledgeSpec } from "../protocol/messages/share_acknowledge.ts";
import { shareAcknowledgeHandler, shareFetchHandler } from "./share_fetch.ts";
import { heartbeatHandler, joinGroupHandler, leaveGroupHandler, syncGroupHandler } from "./groups.ts";
import { offsetCommitHandler, offsetDeleteHandler, offsetFetchHandler } from "./offsets.ts";
import {
  deleteGroupsHandler,
  describeGroupsHandler,
  findCoordinatorHandler,
  listGroupsHandler,
} from "./group_admin.ts";
import { CreatePartitionsSpec } from "../protocol/messages/create_partitions.ts";
import { ElectLeadersSpec } from "../protocol/messages/elect_leaders.ts";
import {
  AlterPartitionReassignmentsSpec,
  ListPartitionReassignmentsSpec,
} from "../protocol/messages/partition_reassignments.ts";
import {
  alterPartitionReassignmentsHandler,
  electLeadersHandler,
  listPartitionReassignmentsHandler,
} from "./partition_reassignments.ts";
import { DescribeConfigsSpec } from "../protocol/messages/describe_configs.ts";
import { ListConfigResourcesSpec } from "../protocol/messages/list_config_resources.ts";
import { listConfigResourcesHandler } from "./list_config_resources.ts";
import { AlterConfigsSpec } from "../protocol/messages/alter_configs.ts";
import { IncrementalAlterConfigsSpec } from "../protocol/messages/incremental_alter_configs.ts";
import { DescribeLogDirsSpec } from "../protocol/messages/describe_log_dirs.ts";
import { DeleteRecordsSpec } from "../protocol/messages/delete_records.ts";
import { createPartitionsHandler } from "./create_partitions.ts";
import { alterConfigsHandler, describeConfigsHandler, incrementalAlterConfigsHandler } from "./configs.ts";
import { describeLogDirsHandler } from "./describe_log_dirs.ts";
import { deleteRecordsHandler } from "./delete_records.ts";
import { AddPartitionsToTxnSpec } from "../protocol/messages/add_partitions_to_txn.ts";
import { AddOffsetsToTxnSpec } from "../protocol/messages/add_offsets_to_txn.ts";
import { EndTxnSpec } from "../protocol/messages/end_txn.ts";
import { WriteTxnMarkersSpec } from "../protocol/messages/write_txn_markers.ts";
import { TxnOffsetCommitSpec } from "../protocol/messages/txn_offset_commit.ts";
import { DescribeProducersSpec } from "../protocol/messages/describe_producers.ts";
import { DescribeTransactionsSpec } from "../protocol/messages/describe_transactions.ts";
import { ListTransactionsSpec } from "../protocol/messages/list_transactions.ts";
import { addPartitionsToTxnHandler } from "./txn_add_partitions.ts";
import { addOffsetsToTxnHandler } from "./txn_add_offsets.ts";
import { endTxnHandler } from "./txn_end.ts";
import { writeTxnMarkersHandler } from "./write_txn_markers.ts";
import { txnOffsetCommitHandler } from "./txn_offset_commit.ts";
import { describeProducersHandler } from "./describe_producers.ts";
import { describeTransactionsHandler } from "./txn_describe.ts";
import { listTransactionsHandler } from "./txn_list.ts";
import { InitProducerIdSpec } from "../protocol/messages/init_producer_id.ts";
import { OffsetForLeaderEpochSpec } from "../protocol/messages/offset_for_leader_epoch.ts";
import { initProducerIdHandler } from "./init_producer_id.ts";
import { offsetForLeaderEpochHandler } from "./offset_for_leader_epoch.ts";
import { SaslHandshakeSpec } from "../protocol/messages/sasl_handshake.ts";
import { SaslAuthenticateSpec } from "../protocol/messages/sasl_authenticate.ts";
import { DescribeUserScramCredentialsSpec } from "../protocol/messages/describe_user_scram_credentials.ts";
import { AlterUserScramCredentialsSpec } from "../protocol/messages/alter_user_scram_credentials.ts";
import { saslAuthenticateHandler, saslHandshakeHandler } from "../security/sasl/handlers.ts";
import {
  alterUserScramCredentialsHandler,
  describeUserScramCredentialsHandler,
} from "../security/credentials/handlers.ts";
import { DescribeAclsSpec } from "../protocol/messages/describe_acls.ts";
import { CreateAclsSpec } from "../protocol/messages/create_acls.ts";
import { DeleteAclsSpec } from "../protocol/messages/delete_acls.ts";
import { createAclsHandler, deleteAclsHandler, describeAclsHandler } from "../security/acl/handlers.ts";

// A whole-request refusal that names no error (ApiHooks.refusal) answers with the error of the API's resource, as
// Kafka's brokers choose it: topics unless listed here.
const GROUP = { refusal: () => ErrorCode.GROUP_AUTHORIZATION_FAILED };
const CLUSTER = { refusal: () => ErrorCode.CLUSTER_AUTHORIZATION_FAILED };

export interface RegistryOptions {
  /** group.share.enable: serve the share group APIs (KIP-932, preview). */
  readonly shareGroups?: boolean;
}

/** A registry with every API this gateway serves. */
export function buildRegistry(opts: RegistryOptions = {}): ApiRegistry {
  const r = new ApiRegistry();
  r.register(ApiVersionsSpec, apiVersionsHandler(r), ALLOW, {
    ...CLUSTER,
    // v3+ names the client's software: shown per connection (/api/v1/connections)
    onRequest: (req, conn) => {
      if (req.clientSoftwareName) {
        conn.clientSoftware = `${req.clientSoftwareName}/${req.clientSoftwareVersion ?? ""}`;
      }
    },
  });
  r.register(MetadataSpec, metadataHandler, topics.metadata);
  r.register(ProduceSpec, produceHandler, topics.produce, {
    delivery: produceDelivery,
    quota: "produce",
    refusal: (req) =>
      req.transactionalId !== null
        ? ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
        : ErrorCode.TOPIC_AUTHORIZATION_FAILED,
  });
  r.register(FetchSpec, fetchHandler, topics.fetch, { quota: "fetch" });
  r.register(ListOffsetsSpec, listOffsetsHandler, topics.listOffsets);
  r.register(
    CreateTopicsSpec,
    withMutationQuota(CreateTopicsSpec, CREATE_TOPICS, createTopicsHandler),
    topics.createTopics,
    { quota: "mutation" },
  );
  r.register(
    DeleteTopicsSpec,
    withMutationQuota(DeleteTopicsSpec, DELETE_TOPICS, deleteTopicsHandler),
    topics.deleteTopics,
    { quota: "mutation" },
  );
  r.register(DescribeClusterSpec, describeClusterHandler, cluster.describeCluster, CLUSTER);
  r.register(FindCoordinatorSpec, findCoordinatorHandler, groups.findCoordinator, GROUP);
  r.register(JoinGroupSpec, joinGroupHandler, groups.joinGroup, GROUP);
  r.register(SyncGroupSpec, syncGroupHandler, groups.syncGroup, GROUP);
  r.register(HeartbeatSpec, heartbeatHandler, groups.heartbeat, GROUP);
  r.register(LeaveGroupSpec, leaveGroupHandler, groups.leaveGroup, GROUP);
  r.register(OffsetCommitSpec, offsetCommitHandler, groups.offsetCommit, GROUP);
  r.register(OffsetFetchSpec, offsetFetchHandler, groups.offsetFetch, GROUP);
  r.register(OffsetDeleteSpec, offsetDeleteHandler, groups.offsetDelete, GROUP);
  r.register(DescribeGroupsSpec, describeGroupsHandler, groups.describeGroups, GROUP);
  r.register(ListGroupsSpec, listGroupsHandler, groups.listGroups, CLUSTER);
  r.register(DeleteGroupsSpec, deleteGroupsHandler, groups.deleteGroups, GROUP);
  r.register(InitProducerIdSpec, initProducerIdHandler, txn.initProducerId, {
    // Without a transactional id the producer asks for idempotent writes, a cluster permission.
    refusal: (req) =>
      req.transactionalId !== null
        ? ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
        : ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
  });
  r.register(OffsetForLeaderEpochSpec, offsetForLeaderEpochHandler, topics.offsetForLeaderEpoch);
  r.register(AddPartitionsToTxnSpec, addPartitionsToTxnHandler, txn.addPartitionsToTxn);
  r.register(AddOffsetsToTxnSpec, addOffsetsToTxnHandler, txn.addOffsetsToTxn);
  r.register(EndTxnSpec, endTxnHandler, txn.endTxn);
  r.register(WriteTxnMarkersSpec, writeTxnMarkersHandler, txn.writeTxnMarkers);
  r.register(TxnOffsetCommitSpec, txnOffsetCommitHandler, txn.txnOffsetCommit);
  r.register(
    CreatePartitionsSpec,
    withMutationQuota(CreatePartitionsSpec, CREATE_PARTITIONS, createPartitionsHandler),
    topics.createPartitions,
    { quota: "mutation" },
  );
  r.register(DescribeConfigsSpec, describeConfigsHandler, topics.describeConfigs);
  r.register(AlterConfigsSpec, alterConfigsHandler, topics.alterConfigs);
  r.register(IncrementalAlterConfigsSpec, incrementalAlterConfigsHandler, topics.incrementalAlterConfigs);
  r.register(ListConfigResourcesSpec, listConfigResourcesHandler, cluster.listConfigResources, CLUSTER);
  r.register(DescribeLogDirsSpec, describeLogDirsHandler, cluster.describeLogDirs, CLUSTER);
  r.register(ElectLeadersSpec, electLeadersHandler, cluster.electLeaders);
  r.register(
    AlterPartitionReassignmentsSpec,
    alterPartitionReassignmentsHandler,
    cluster.alterPartitionReassignments,
  );
  r.register(
    ListPartitionReassignmentsSpec,
    listPartitionReassignmentsHandler,
    cluster.listPartitionReassignments,
  );
  r.register(DeleteRecordsSpec, deleteRecordsHandler, topics.deleteRecords);
  r.register(SaslHandshakeSpec, saslHandshakeHandler, ALLOW, CLUSTER);
  r.register(SaslAuthenticateSpec, saslAuthenticateHandler, ALLOW, CLUSTER);
  r.register(
    DescribeUserScramCredentialsSpec,
    describeUserScramCredentialsHandler(),
    cluster.describeUserScramCredentials,
  );
  r.register(
    AlterUserScramCredentialsSpec,
    alterUserScramCredentialsHandler(),
    cluster.alterUserScramCredentials,
  );
  r.register(DescribeAclsSpec, describeAclsHandler, cluster.describeAcls);
  r.register(CreateAclsSpec, createAclsHandler, cluster.createAcls);
  r.register(DeleteAclsSpec, deleteAclsHandler, cluster.deleteAcls);
  r.register(DescribeClientQuotasSpec, describeClientQuotasHandler, cluster.describeClientQuotas);
  r.register(AlterClientQuotasSpec, alterClientQuotasHandler, cluster.alterClientQuotas);
  r.register(DescribeProducersSpec, describeProducersHandler, topics.describeProducers);
  r.register(DescribeTransactionsSpec, describeTransactionsHandler, txn.describeTransactions);
  r.register(ListTransactionsSpec, listTransactionsHandler, txn.listTransactions);
  // KIP-848 consumer groups: the coordinator's consumer group kind (src/groups/consumer/).
  r.register(
    ConsumerGroupHeartbeatSpec,
    consumerGroupHeartbeatHandler((ctx) => ctx.broker.coordinator),
    groups.consumerGroupHeartbeat,
  );
  r.register(
    ConsumerGroupDescribeSpec,
    consumerGroupDescribeHandler((ctx) => ctx.broker.coordinator),
    groups.consumerGroupDescribe,
  );
  // KIP-932 share groups: the coordinator's share group kind (src/groups/share/), only when enabled (preview).
  if (opts.shareGroups === true) {
    r.register(
      ShareGroupHeartbeatSpec,
      shareGroupHeartbeatHandler((ctx) => ctx.broker.coordinator),
      groups.shareGroupHeartbeat,
      GROUP,
    );
    r.register(
      ShareGroupDescribeSpec,
      shareGroupDescribeHandler((ctx) => ctx.broker.coordinator),
      groups.shareGroupDescribe,
      GROUP,
    );
    r.register(ShareFetchSpec, shareFetchHandler, groups.shareFetch, { ...GROUP, quota: "fetch" });
    r.register(ShareAcknowledgeSpec, shareAcknowledgeHandler, groups.shareAcknowledge, GROUP);
    r.register(
      DescribeShareGroupOffsetsSpec,
      describeShareGroupOffsetsHandler,
      groups.describeShareGroupOffsets,
      GROUP,
    );
    r.register(
      AlterShareGroupOffsetsSpec,
      alterShareGroupOffsetsHandler,
      groups.alterShareGroupOffsets,
      GROUP,
    );
    r.register(
      DeleteShareGroupOffsetsSpec,
      deleteShareGroupOffsetsHandler,
      groups.deleteShareGroupOffsets,
      GROUP,
    );
  }
  return r;
}
