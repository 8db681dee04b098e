// Metadata: the live gateways as brokers, each partition with its leader and leader epoch as the cluster view knows
// them (src/cluster/). A solo gateway leads every partition with the epoch of its start, as a one-node Kafka
// (docs/compatibility.md "Leader epochs"). Each partition has one replica, its leader (the backend keeps the data). Internal topics
// (`__consumer_offsets`) are listed with is_internal set, as Kafka lists them.
import type { Broker, Handler } from "../request/context.ts";
import {
  AUTHORIZED_OPERATIONS_OMITTED,
  type MetadataRequest,
  type MetadataResponse,
  type MetadataResponsePartition,
  type MetadataResponseTopic,
} from "../protocol/messages/metadata.ts";
import type { TopicMeta } from "../storage/storage.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { ZERO_UUID } from "../protocol/codec.ts";
import { errorCodeOf, findOrAutoCreate } from "./auto_create.ts";
import { isInternalTopic } from "./topic_rules.ts";
import { endpointFor } from "../cluster/view.ts";

export function partitionsOf(broker: Broker, t: TopicMeta): MetadataResponsePartition[] {
  const { cluster } = broker;
  const out: MetadataResponsePartition[] = [];
  for (let p = 0; p < t.partitions; p++) {
    const l = cluster.leaderOf(t.name, p);
    // A leader that is not a live broker is no leader to a client (Kafka: LEADER_NOT_AVAILABLE, leader -1).
    const live = l.leaderId >= 0 && cluster.broker(l.leaderId) !== undefined;
    out.push({
      errorCode: live ? ErrorCode.NONE : ErrorCode.LEADER_NOT_AVAILABLE,
      partitionIndex: p,
      leaderId: live ? l.leaderId : -1,
      leaderEpoch: l.leaderEpoch,
      replicaNodes: live ? [l.leaderId] : [],
      isrNodes: live ? [l.leaderId] : [],
      offlineReplicas: [],
    });
  }
  return out;
}

function topicEntry(broker: Broker, t: TopicMeta): MetadataResponseTopic {
  return {
    errorCode: ErrorCode.NONE,
    name: t.name,
    topicId: t.id,
    isInternal: isInternalTopic(t.name),
    partitions: partitionsOf(broker, t),
    topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  };
}

export const metadataHandler: Handler<MetadataRequest, MetadataResponse> = async (ctx, req) => {
  const { broker } = ctx;
  const v = ctx.header.apiVersion;
  const topics: MetadataResponseTopic[] = [];
  const all = req.topics === null || (v === 0 && req.topics.length === 0);
  if (all) {
    for (const t of broker.storage.listTopics()) topics.push(topicEntry(broker, t));
  } else {
    // Before v4 there is no flag and Kafka auto-creates on Metadata when the broker allows it.
    const allowAuto = v < 4 ? true : req.allowAutoTopicCreation ?? true;
    // A topic named twice is answered once, as Kafka does (it collects the request's topics into a set).
    const named = new Set<string>();
    for (const rt of req.topics!) {
      let name = rt.name;
      if (name === null && rt.topicId !== undefined && rt.topicId !== ZERO_UUID) {
        name = broker.storage.getTopicById(rt.topicId)?.name ?? null;
      }
      if (name !== null) {
        if (named.has(name)) continue;
        named.add(name);
      }
      if (name === null) {
        topics.push({
          errorCode: ErrorCode.UNKNOWN_TOPIC_ID,
          name: null,
          topicId: rt.topicId,
          isInternal: false,
          partitions: [],
          topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
        });
        continue;
      }
      try {
        const { topic, created } = await findOrAutoCreate(broker, name, allowAuto);
        // --auto-create-metadata-response pending: as from Kafka, the request that creates a topic gets it without
        // partitions (LEADER_NOT_AVAILABLE, as ZooKeeper-mode Kafka answers); clients ask again
        if (created && broker.config.autoCreateMetadataResponse === "pending") {
          throw new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE);
        }
        topics.push(topicEntry(broker, topic));
      } catch (e) {
        topics.push({
          errorCode: errorCodeOf(e),
          name,
          topicId: ZERO_UUID,
          isInternal: false,
          partitions: [],
          topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
        });
      }
    }
  }
  const { cluster } = broker;
  return {
    // each broker's address on the listener this client came through
    brokers: cluster.brokers().map((b) => {
      const { host, port } = endpointFor(b, ctx.listener.name);
      return { nodeId: b.nodeId, host, port, rack: b.rack };
    }),
    clusterId: broker.clusterId,
    controllerId: cluster.controllerId(),
    topics,
    clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  };
};
