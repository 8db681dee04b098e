// Metadata: one broker (this gateway), every partition led by it. Leader epochs are reported as -1
// (unknown) everywhere, consistently with Fetch, ListOffsets, OffsetForLeaderEpoch and the stored batches (README
// "Leader epochs"), so clients never fence on a made-up epoch.
import type { Broker, Handler } from "./context.ts";
import {
  AUTHORIZED_OPERATIONS_OMITTED,
  type MetadataRequest,
  type MetadataResponse,
  type MetadataResponsePartition,
  type MetadataResponseTopic,
} from "../protocol/messages/metadata.ts";
import type { TopicMeta } from "../storage/storage.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { ZERO_UUID } from "../protocol/codec.ts";
import { errorCodeOf, topicOrAutoCreate } from "./auto_create.ts";

export function partitionsOf(broker: Broker, t: TopicMeta): MetadataResponsePartition[] {
  const node = broker.config.nodeId;
  const out: MetadataResponsePartition[] = [];
  for (let p = 0; p < t.partitions; p++) {
    out.push({
      errorCode: ErrorCode.NONE,
      partitionIndex: p,
      leaderId: node,
      leaderEpoch: -1,
      replicaNodes: [node],
      isrNodes: [node],
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
    isInternal: false,
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
        topics.push(topicEntry(broker, await topicOrAutoCreate(broker, name, allowAuto)));
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
  const adv = broker.config.advertisedListener;
  return {
    brokers: [{ nodeId: broker.config.nodeId, host: adv.host, port: adv.port, rack: null }],
    clusterId: broker.clusterId,
    controllerId: broker.config.nodeId,
    topics,
    clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  };
};
