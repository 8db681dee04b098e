// The authorization rules of the topic APIs, as Kafka's KafkaApis checks them (the "Operations and Resources on
// Protocols" table of Kafka's authorization docs): each request's topics split into those the principal may use
// and those refused with TOPIC_AUTHORIZATION_FAILED; topic ids resolved to names; topics the principal may not
// DESCRIBE hidden from Metadata for all topics, as Kafka hides them.
import { ErrorCode } from "../../../protocol/errors.ts";
import type { Answer } from "../../../request/context.ts";
import { ALLOW, type Permissions } from "../../../request/authorize.ts";
import { ProduceSpec } from "../../../protocol/messages/produce.ts";
import { FetchSpec } from "../../../protocol/messages/fetch.ts";
import { ListOffsetsSpec } from "../../../protocol/messages/list_offsets.ts";
import { type MetadataResponse, MetadataSpec } from "../../../protocol/messages/metadata.ts";
import { CreateTopicsSpec } from "../../../protocol/messages/create_topics.ts";
import { DeleteTopicsSpec } from "../../../protocol/messages/delete_topics.ts";
import { DeleteRecordsSpec } from "../../../protocol/messages/delete_records.ts";
import { OffsetForLeaderEpochSpec } from "../../../protocol/messages/offset_for_leader_epoch.ts";
import { DescribeConfigsSpec } from "../../../protocol/messages/describe_configs.ts";
import { AlterConfigsSpec } from "../../../protocol/messages/alter_configs.ts";
import { IncrementalAlterConfigsSpec } from "../../../protocol/messages/incremental_alter_configs.ts";
import { CreatePartitionsSpec } from "../../../protocol/messages/create_partitions.ts";
import { DescribeProducersSpec } from "../../../protocol/messages/describe_producers.ts";
import { AclOperation as Op, ResourceType } from "../model.ts";
import {
  DENY_CLUSTER,
  DENY_TXN,
  type Rule,
  splitList,
  topicCode,
  topicName,
  uncreatable,
  type VerdictOf,
} from "./common.ts";

/** Produce: WRITE on the transactional id if any, WRITE on each topic (and CREATE on one to be auto-created). */
export const produce: Rule<typeof ProduceSpec> = (p, ctx, req) => {
  const txn = req.transactionalId ?? null;
  if (txn !== null && !p.transactionalId(Op.WRITE, txn)) return DENY_TXN;
  const writable = req.topicData.map((t) => t.name).filter((n) => p.topic(Op.WRITE, n));
  // The gateway auto-creates on Produce too: without CREATE that is refused as Kafka answers an unknown topic.
  const split = (noCreate: Set<string>): VerdictOf<typeof ProduceSpec> =>
    splitList(ProduceSpec, {
      request: req,
      reqName: "topicData",
      entries: req.topicData,
      resName: "responses",
      classify: (t) => {
        if (!p.topic(Op.WRITE, t.name)) return ErrorCode.TOPIC_AUTHORIZATION_FAILED;
        return noCreate.has(t.name) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : 0;
      },
    });
  const noCreate = uncreatable(p, ctx, writable);
  return noCreate instanceof Promise ? noCreate.then(split) : split(noCreate);
};

/** Fetch: READ on each topic; a follower's fetch (replica id >= 0) is a broker's: CLUSTER_ACTION. */
export const fetch: Rule<typeof FetchSpec> = (p, ctx, req) => {
  const replica = ctx.header.apiVersion >= 15 ? req.replicaState?.replicaId : req.replicaId;
  if (replica !== undefined && replica >= 0 && !p.cluster(Op.CLUSTER_ACTION)) return DENY_CLUSTER;
  return splitList(FetchSpec, {
    request: req,
    reqName: "topics",
    entries: req.topics,
    resName: "responses",
    classify: (t) => topicCode(p, Op.READ, topicName(ctx, t.topic, t.topicId)),
    // Nothing left to fetch: answer at once rather than long-poll on nothing (Kafka does not wait either).
    adjust: (allowed, n) => n === 0 ? { ...allowed, maxWaitMs: 0 } : allowed,
  });
};

/** ListOffsets: DESCRIBE on each topic. */
export const listOffsets: Rule<typeof ListOffsetsSpec> = (p, _ctx, req) =>
  splitList(ListOffsetsSpec, {
    request: req,
    reqName: "topics",
    entries: req.topics,
    resName: "topics",
    classify: (t) => topicCode(p, Op.DESCRIBE, t.name),
  });

/**
 * Metadata: every topic lists only those the principal may DESCRIBE; named topics it may not DESCRIBE, or that
 * would be auto-created without CREATE, answer TOPIC_AUTHORIZATION_FAILED (KafkaApis).
 */
export const metadata: Rule<typeof MetadataSpec> = async (p, ctx, req) => {
  const v = ctx.header.apiVersion;
  const topics = req.topics;
  const all = topics === null || (v === 0 && topics.length === 0);
  const includeTopicOps = v >= 8 && req.includeTopicAuthorizedOperations === true;
  const includeClusterOps = v >= 8 && v <= 10 && req.includeClusterAuthorizedOperations === true;
  const finish = (res: Answer<MetadataResponse>): Answer<MetadataResponse> => {
    if (includeClusterOps) {
      res.clusterAuthorizedOperations = p.authorizedOperations(ResourceType.CLUSTER, "kafka-cluster");
    }
    if (includeTopicOps) {
      for (const t of res.topics) {
        if (t.name !== null && t.errorCode === ErrorCode.NONE) {
          t.topicAuthorizedOperations = p.authorizedOperations(ResourceType.TOPIC, t.name);
        }
      }
    }
    return res;
  };
  if (all) {
    // Every topic: only those the principal may DESCRIBE are listed.
    return {
      kind: "narrow",
      request: req,
      complete: (res) => {
        res.topics = res.topics.filter((t) => t.name !== null && p.topic(Op.DESCRIBE, t.name));
        return finish(res);
      },
    };
  }
  const autoCreate = v < 4 || req.allowAutoTopicCreation !== false;
  const describable = topics.map((t) => topicName(ctx, t.name, t.topicId)).filter((n): n is string =>
    n !== null && p.topic(Op.DESCRIBE, n)
  );
  const noCreate = autoCreate ? await uncreatable(p, ctx, describable) : new Set<string>();
  const allowedNames = new Set(describable.filter((n) => !noCreate.has(n)));
  return splitList(MetadataSpec, {
    request: req,
    reqName: "topics",
    entries: topics,
    resName: "topics",
    classify: (t) => {
      const n = topicName(ctx, t.name, t.topicId);
      // Not DESCRIBE-able, or to be auto-created without CREATE: TOPIC_AUTHORIZATION_FAILED (KafkaApis).
      return n === null || allowedNames.has(n) ? 0 : ErrorCode.TOPIC_AUTHORIZATION_FAILED;
    },
    complete: (res) => {
      // v0: an empty list means every topic; the handler must not answer all when every named one was refused.
      if (v === 0) {
        res.topics = res.topics.filter((t) => t.name !== null && allowedNames.has(t.name));
      }
      return finish(res);
    },
  });
};

/** CreateTopics: CREATE on the cluster or the topic; v5+ shows a created topic's configs only with DESCRIBE_CONFIGS. */
export const createTopics: Rule<typeof CreateTopicsSpec> = (p, ctx, req) => {
  const v = ctx.header.apiVersion;
  const clusterCreate = p.cluster(Op.CREATE);
  return splitList(CreateTopicsSpec, {
    request: req,
    reqName: "topics",
    entries: req.topics,
    resName: "topics",
    classify: (t) => clusterCreate || p.topic(Op.CREATE, t.name) ? 0 : ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    // v5+ answers a created topic's configs only to who may DESCRIBE_CONFIGS it (KafkaApis).
    complete: v >= 5
      ? (res) => {
        for (const t of res.topics) {
          if (t.errorCode !== ErrorCode.NONE || p.topic(Op.DESCRIBE_CONFIGS, t.name)) continue;
          t.configs = [];
          t.topicConfigErrorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
        }
        return res;
      }
      : undefined,
  });
};

/** DeleteTopics: DELETE on each topic; one asked for by id that the principal may not DESCRIBE stays unknown. */
export const deleteTopics: Rule<typeof DeleteTopicsSpec> = (p, ctx, req) => {
  const v = ctx.header.apiVersion;
  if (v < 6) {
    return splitList(DeleteTopicsSpec, {
      request: req,
      reqName: "topicNames",
      entries: req.topicNames,
      resName: "responses",
      classify: (n) => topicCode(p, Op.DELETE, n),
    });
  }
  return splitList(DeleteTopicsSpec, {
    request: req,
    reqName: "topics",
    entries: req.topics,
    resName: "responses",
    classify: (t) => {
      const name = topicName(ctx, t.name, t.topicId);
      if (name === null) return 0;
      // A topic asked for by id that the principal may not DESCRIBE is not revealed to exist.
      if (t.name === null && !p.topic(Op.DESCRIBE, name)) return ErrorCode.UNKNOWN_TOPIC_ID;
      return topicCode(p, Op.DELETE, name);
    },
  });
};

/** DeleteRecords: DELETE on each topic. */
export const deleteRecords: Rule<typeof DeleteRecordsSpec> = (p, _ctx, req) =>
  splitList(DeleteRecordsSpec, {
    request: req,
    reqName: "topics",
    entries: req.topics,
    resName: "topics",
    classify: (t) => topicCode(p, Op.DELETE, t.name),
  });

/** OffsetForLeaderEpoch: DESCRIBE on each topic; a follower's (replica id >= 0) needs CLUSTER_ACTION. */
export const offsetForLeaderEpoch: Rule<typeof OffsetForLeaderEpochSpec> = (p, _ctx, req) => {
  const replica = req.replicaId;
  if (replica !== undefined && replica >= 0) return p.cluster(Op.CLUSTER_ACTION) ? ALLOW : DENY_CLUSTER;
  return splitList(OffsetForLeaderEpochSpec, {
    request: req,
    reqName: "topics",
    entries: req.topics,
    resName: "topics",
    classify: (t) => topicCode(p, Op.DESCRIBE, t.topic),
  });
};

/** CreatePartitions: ALTER on each topic. */
export const createPartitions: Rule<typeof CreatePartitionsSpec> = (p, _ctx, req) =>
  splitList(CreatePartitionsSpec, {
    request: req,
    reqName: "topics",
    entries: req.topics,
    resName: "results",
    classify: (t) => topicCode(p, Op.ALTER, t.name),
  });

/** DescribeProducers: READ on each topic. */
export const describeProducers: Rule<typeof DescribeProducersSpec> = (p, _ctx, req) =>
  splitList(DescribeProducersSpec, {
    request: req,
    reqName: "topics",
    entries: req.topics,
    resName: "topics",
    classify: (t) => topicCode(p, Op.READ, t.name),
  });

// ---- configs ----

/** Config resource types (DescribeConfigs/AlterConfigs): topics, the broker's own, and groups. */
const CONFIG_TOPIC = 2;
const CONFIG_BROKER = 4;
const CONFIG_BROKER_LOGGER = 8;
const CONFIG_GROUP = 32;

/** One config resource: topics by the topic's ACL, the broker's configs by the cluster's, groups by the group's. */
function configCode(
  p: Permissions,
  op: number,
  r: { readonly resourceType: number; readonly resourceName: string },
): number {
  if (r.resourceType === CONFIG_TOPIC) {
    return p.topic(op, r.resourceName) ? 0 : ErrorCode.TOPIC_AUTHORIZATION_FAILED;
  }
  if (r.resourceType === CONFIG_BROKER || r.resourceType === CONFIG_BROKER_LOGGER) {
    return p.cluster(op) ? 0 : ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
  }
  if (r.resourceType === CONFIG_GROUP) {
    return p.group(op, r.resourceName) ? 0 : ErrorCode.GROUP_AUTHORIZATION_FAILED;
  }
  return 0;
}

export const describeConfigs: Rule<typeof DescribeConfigsSpec> = (p, _ctx, req) =>
  splitList(DescribeConfigsSpec, {
    request: req,
    reqName: "resources",
    entries: req.resources,
    resName: "results",
    classify: (r) => configCode(p, Op.DESCRIBE_CONFIGS, r),
  });

export const alterConfigs: Rule<typeof AlterConfigsSpec> = (p, _ctx, req) =>
  splitList(AlterConfigsSpec, {
    request: req,
    reqName: "resources",
    entries: req.resources,
    resName: "responses",
    classify: (r) => configCode(p, Op.ALTER_CONFIGS, r),
  });

export const incrementalAlterConfigs: Rule<typeof IncrementalAlterConfigsSpec> = (p, _ctx, req) =>
  splitList(IncrementalAlterConfigsSpec, {
    request: req,
    reqName: "resources",
    entries: req.resources,
    resName: "responses",
    classify: (r) => configCode(p, Op.ALTER_CONFIGS, r),
  });
