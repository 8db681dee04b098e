// The Kafka APIs the gateway serves: one registration per API (its schema and typed handler), in one table that
// dispatch and ApiVersions both read (src/handlers/registry.ts). Handlers that live with their subject (security,
// quotas) are registered here too.
import { ApiRegistry } from "./registry.ts";
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

/** A registry with every API this gateway serves. */
export function buildRegistry(): ApiRegistry {
  const r = new ApiRegistry();
  r.register(ApiVersionsSpec, apiVersionsHandler(r), {
    // v3+ names the client's software: shown per connection (/api/v1/connections)
    onRequest: (req, conn) => {
      if (req.clientSoftwareName) {
        conn.clientSoftware = `${req.clientSoftwareName}/${req.clientSoftwareVersion ?? ""}`;
      }
    },
  });
  r.register(MetadataSpec, metadataHandler);
  r.register(ProduceSpec, produceHandler, { delivery: produceDelivery });
  r.register(FetchSpec, fetchHandler);
  r.register(ListOffsetsSpec, listOffsetsHandler);
  r.register(CreateTopicsSpec, withMutationQuota(CreateTopicsSpec, CREATE_TOPICS, createTopicsHandler));
  r.register(DeleteTopicsSpec, withMutationQuota(DeleteTopicsSpec, DELETE_TOPICS, deleteTopicsHandler));
  r.register(DescribeClusterSpec, describeClusterHandler);
  r.register(FindCoordinatorSpec, findCoordinatorHandler);
  r.register(JoinGroupSpec, joinGroupHandler);
  r.register(SyncGroupSpec, syncGroupHandler);
  r.register(HeartbeatSpec, heartbeatHandler);
  r.register(LeaveGroupSpec, leaveGroupHandler);
  r.register(OffsetCommitSpec, offsetCommitHandler);
  r.register(OffsetFetchSpec, offsetFetchHandler);
  r.register(OffsetDeleteSpec, offsetDeleteHandler);
  r.register(DescribeGroupsSpec, describeGroupsHandler);
  r.register(ListGroupsSpec, listGroupsHandler);
  r.register(DeleteGroupsSpec, deleteGroupsHandler);
  r.register(InitProducerIdSpec, initProducerIdHandler);
  r.register(OffsetForLeaderEpochSpec, offsetForLeaderEpochHandler);
  r.register(AddPartitionsToTxnSpec, addPartitionsToTxnHandler);
  r.register(AddOffsetsToTxnSpec, addOffsetsToTxnHandler);
  r.register(EndTxnSpec, endTxnHandler);
  r.register(WriteTxnMarkersSpec, writeTxnMarkersHandler);
  r.register(TxnOffsetCommitSpec, txnOffsetCommitHandler);
  r.register(
    CreatePartitionsSpec,
    withMutationQuota(CreatePartitionsSpec, CREATE_PARTITIONS, createPartitionsHandler),
  );
  r.register(DescribeConfigsSpec, describeConfigsHandler);
  r.register(AlterConfigsSpec, alterConfigsHandler);
  r.register(IncrementalAlterConfigsSpec, incrementalAlterConfigsHandler);
  r.register(DescribeLogDirsSpec, describeLogDirsHandler);
  r.register(ElectLeadersSpec, electLeadersHandler);
  r.register(AlterPartitionReassignmentsSpec, alterPartitionReassignmentsHandler);
  r.register(ListPartitionReassignmentsSpec, listPartitionReassignmentsHandler);
  r.register(DeleteRecordsSpec, deleteRecordsHandler);
  r.register(SaslHandshakeSpec, saslHandshakeHandler);
  r.register(SaslAuthenticateSpec, saslAuthenticateHandler);
  r.register(DescribeUserScramCredentialsSpec, describeUserScramCredentialsHandler());
  r.register(AlterUserScramCredentialsSpec, alterUserScramCredentialsHandler());
  r.register(DescribeAclsSpec, describeAclsHandler);
  r.register(CreateAclsSpec, createAclsHandler);
  r.register(DeleteAclsSpec, deleteAclsHandler);
  r.register(DescribeClientQuotasSpec, describeClientQuotasHandler);
  r.register(AlterClientQuotasSpec, alterClientQuotasHandler);
  r.register(DescribeProducersSpec, describeProducersHandler);
  r.register(DescribeTransactionsSpec, describeTransactionsHandler);
  r.register(ListTransactionsSpec, listTransactionsHandler);
  // KIP-848 consumer groups: the coordinator's consumer group kind (src/groups/consumer/).
  r.register(ConsumerGroupHeartbeatSpec, consumerGroupHeartbeatHandler((ctx) => ctx.broker.coordinator));
  r.register(ConsumerGroupDescribeSpec, consumerGroupDescribeHandler((ctx) => ctx.broker.coordinator));
  return r;
}
