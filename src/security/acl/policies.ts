// What each API needs, as Kafka's KafkaApis checks it (the "Operations and Resources on Protocols" table of
// Kafka's authorization docs): one policy per API key, turning a request into ALLOW, a whole-request Deny or a
// Narrow that refuses the resources the principal may not use with Kafka's per-resource error codes. Lists the
// principal may not even DESCRIBE are hidden, not refused: Metadata for all topics, ListGroups, OffsetFetch for
// all topics, as Kafka hides them.
import type { RequestContext } from "../../request/context.ts";
import { ApiKey } from "../../protocol/api_keys.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import { ZERO_UUID } from "../../protocol/codec.ts";
import type { ApiSpec } from "../../protocol/schema.ts";
import { ALLOW, type Deny, type Verdict } from "../../request/authorize.ts";
import { ProduceSpec } from "../../protocol/messages/produce.ts";
import { FetchSpec } from "../../protocol/messages/fetch.ts";
import { ListOffsetsSpec } from "../../protocol/messages/list_offsets.ts";
import { MetadataSpec } from "../../protocol/messages/metadata.ts";
import { OffsetCommitSpec } from "../../protocol/messages/offset_commit.ts";
import { FindCoordinatorSpec } from "../../protocol/messages/find_coordinator.ts";
import { DescribeGroupsSpec } from "../../protocol/messages/describe_groups.ts";
import { CreateTopicsSpec } from "../../protocol/messages/create_topics.ts";
import { DeleteTopicsSpec } from "../../protocol/messages/delete_topics.ts";
import { DeleteRecordsSpec } from "../../protocol/messages/delete_records.ts";
import { OffsetForLeaderEpochSpec } from "../../protocol/messages/offset_for_leader_epoch.ts";
import { DescribeConfigsSpec } from "../../protocol/messages/describe_configs.ts";
import { AlterConfigsSpec } from "../../protocol/messages/alter_configs.ts";
import { IncrementalAlterConfigsSpec } from "../../protocol/messages/incremental_alter_configs.ts";
import { CreatePartitionsSpec } from "../../protocol/messages/create_partitions.ts";
import { DeleteGroupsSpec } from "../../protocol/messages/delete_groups.ts";
import { OffsetDeleteSpec } from "../../protocol/messages/offset_delete.ts";
import { TxnOffsetCommitSpec } from "../../protocol/messages/txn_offset_commit.ts";
import { DescribeTransactionsSpec } from "../../protocol/messages/describe_transactions.ts";
import { DescribeProducersSpec } from "../../protocol/messages/describe_producers.ts";
import { ConsumerGroupDescribeSpec } from "../../protocol/messages/consumer_group_describe.ts";
import { type Access } from "./access.ts";
import { isObj, type Obj, rewrite, splitList } from "./narrow.ts";
import { AclOperation as Op, ResourceType } from "./model.ts";

export type Policy = (a: Access, ctx: RequestContext, req: Obj) => Verdict | Promise<Verdict>;

const deny = (errorCode: number): Deny => ({ kind: "deny", errorCode });
const DENY_GROUP = deny(ErrorCode.GROUP_AUTHORIZATION_FAILED);
const DENY_CLUSTER = deny(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
const DENY_TXN = deny(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);

/** Config resource types (DescribeConfigs/AlterConfigs): topics, and the broker's own. */
const CONFIG_TOPIC = 2;
const CONFIG_BROKER = 4;
const CONFIG_BROKER_LOGGER = 8;

function str(o: unknown, k: string): string | null {
  if (!isObj(o)) return null;
  const v = o[k];
  return typeof v === "string" ? v : null;
}

function num(o: unknown, k: string): number | null {
  if (!isObj(o)) return null;
  const v = o[k];
  return typeof v === "number" ? v : null;
}

/**
 * A topic entry's name: by name, or by topic id (v13+ Fetch, DeleteTopics v6+); null when unresolvable. A version
 * without the name field decodes it as its default "" (Fetch v13+), so an empty name defers to the id.
 */
function topicName(ctx: RequestContext, e: unknown, nameKey = "name"): string | null {
  const n = typeof e === "string" ? e : str(e, nameKey);
  if (n !== null && n !== "") return n;
  const id = str(e, "topicId");
  if (id === null || id === ZERO_UUID) return n;
  return ctx.broker.storage.getTopicById(id)?.name ?? null;
}

/** Splits the request's topic list by one operation on each topic (refused: TOPIC_AUTHORIZATION_FAILED). */
function topicsBy(
  op: number,
  spec: ApiSpec,
  reqName: string,
  resName: string,
  nameKey = "name",
): Policy {
  return (a, ctx, req) =>
    splitList({
      spec,
      version: ctx.header.apiVersion,
      request: req,
      reqName,
      resName,
      classify: (e) => {
        const name = topicName(ctx, e, nameKey);
        // An id that names no topic: the handler answers it (UNKNOWN_TOPIC_ID).
        return name === null || a.topic(op, name) ? 0 : ErrorCode.TOPIC_AUTHORIZATION_FAILED;
      },
    });
}

/** Whether a topic exists (the cache first; SeaweedMQ may know one created through another gateway). */
async function topicExists(ctx: RequestContext, name: string): Promise<boolean> {
  const s = ctx.broker.storage;
  return s.getTopic(name) !== undefined || (await s.findTopic?.(name)) !== undefined;
}

/**
 * Topics named in the request that would be auto-created but may not be (no CREATE). Synchronous when every
 * topic is known (the produce path's usual case); asks the backend only about names it does not hold.
 */
function uncreatable(
  a: Access,
  ctx: RequestContext,
  names: Iterable<string>,
): Set<string> | Promise<Set<string>> {
  const out = new Set<string>();
  if (!ctx.broker.config.autoCreateTopics) return out;
  const unknown: string[] = [];
  for (const n of names) {
    if (ctx.broker.storage.getTopic(n) === undefined) unknown.push(n);
  }
  if (unknown.length === 0 || a.cluster(Op.CREATE)) return out;
  const candidates = unknown.filter((n) => !a.topic(Op.CREATE, n));
  if (candidates.length === 0) return out;
  return (async () => {
    for (const n of candidates) if (!await topicExists(ctx, n)) out.add(n);
    return out;
  })();
}

function groupOnly(op: number): Policy {
  return (a, _ctx, req) => {
    const g = str(req, "groupId");
    return g === null || a.group(op, g) ? ALLOW : DENY_GROUP;
  };
}

function clusterOnly(op: number): Policy {
  return (a) => a.cluster(op) ? ALLOW : DENY_CLUSTER;
}

// ---- per API ----

const produce: Policy = (a, ctx, req) => {
  const txn = str(req, "transactionalId");
  if (txn !== null && !a.transactionalId(Op.WRITE, txn)) return DENY_TXN;
  const list = Array.isArray(req.topicData) ? req.topicData : [];
  const writable = list.map((t) => str(t, "name")).filter((n): n is string =>
    n !== null && a.topic(Op.WRITE, n)
  );
  // The gateway auto-creates on Produce too: without CREATE that is refused as Kafka answers an unknown topic.
  const split = (noCreate: Set<string>) =>
    splitList({
      spec: ProduceSpec,
      version: ctx.header.apiVersion,
      request: req,
      reqName: "topicData",
      resName: "responses",
      classify: (e) => {
        const n = str(e, "name");
        if (n === null) return 0;
        if (!a.topic(Op.WRITE, n)) return ErrorCode.TOPIC_AUTHORIZATION_FAILED;
        return noCreate.has(n) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : 0;
      },
    });
  const noCreate = uncreatable(a, ctx, writable);
  return noCreate instanceof Promise ? noCreate.then(split) : split(noCreate);
};

const fetch: Policy = (a, ctx, req) => {
  const v = ctx.header.apiVersion;
  const replica = v >= 15 ? num(req.replicaState, "replicaId") : num(req, "replicaId");
  // A follower's fetch (replica id >= 0) is a broker's: CLUSTER_ACTION.
  if (replica !== null && replica >= 0 && !a.cluster(Op.CLUSTER_ACTION)) return DENY_CLUSTER;
  return splitList({
    spec: FetchSpec,
    version: v,
    request: req,
    reqName: "topics",
    resName: "responses",
    classify: (e) => {
      const name = topicName(ctx, e, "topic");
      return name === null || a.topic(Op.READ, name) ? 0 : ErrorCode.TOPIC_AUTHORIZATION_FAILED;
    },
    // Nothing left to fetch: answer at once rather than long-poll on nothing (Kafka does not wait either).
    adjust: (allowed, n) => {
      if (n === 0) allowed.maxWaitMs = 0;
    },
  });
};

const metadata: Policy = async (a, ctx, req) => {
  const v = ctx.header.apiVersion;
  const topics = req.topics;
  const all = topics === null || (v === 0 && Array.isArray(topics) && topics.length === 0);
  const includeTopicOps = v >= 8 && req.includeTopicAuthorizedOperations === true;
  const includeClusterOps = v >= 8 && v <= 10 && req.includeClusterAuthorizedOperations === true;
  const finish = (res: Obj) => {
    if (includeClusterOps) {
      res.clusterAuthorizedOperations = a.authorizedOperations(ResourceType.CLUSTER, "kafka-cluster");
    }
    if (includeTopicOps && Array.isArray(res.topics)) {
      for (const t of res.topics) {
        const n = str(t, "name");
        if (isObj(t) && n !== null && t.errorCode === ErrorCode.NONE) {
          t.topicAuthorizedOperations = a.authorizedOperations(ResourceType.TOPIC, n);
        }
      }
    }
  };
  if (all) {
    // Every topic: only those the principal may DESCRIBE are listed.
    return rewrite(req, (res) => {
      if (Array.isArray(res.topics)) {
        res.topics = res.topics.filter((t) => {
          const n = str(t, "name");
          return n !== null && a.topic(Op.DESCRIBE, n);
        });
      }
      finish(res);
    });
  }
  const list = Array.isArray(topics) ? topics : [];
  const autoCreate = v < 4 || req.allowAutoTopicCreation !== false;
  const describable = list.map((t) => topicName(ctx, t)).filter((n): n is string =>
    n !== null && a.topic(Op.DESCRIBE, n)
  );
  const noCreate = autoCreate ? await uncreatable(a, ctx, describable) : new Set<string>();
  const verdict = splitList({
    spec: MetadataSpec,
    version: v,
    request: req,
    reqName: "topics",
    resName: "topics",
    classify: (e) => {
      const n = topicName(ctx, e);
      if (n === null) return 0;
      // Not DESCRIBE-able, or to be auto-created without CREATE: TOPIC_AUTHORIZATION_FAILED (KafkaApis).
      return a.topic(Op.DESCRIBE, n) && !noCreate.has(n) ? 0 : ErrorCode.TOPIC_AUTHORIZATION_FAILED;
    },
    finish,
  });
  if (verdict.kind !== "narrow" || v !== 0) return verdict;
  // v0: an empty list means every topic; the handler must not answer all when every named one was refused.
  const allowedNames = new Set(describable.filter((n) => !noCreate.has(n)));
  return {
    kind: "narrow",
    request: verdict.request,
    complete(res: unknown): unknown {
      if (isObj(res) && Array.isArray(res.topics)) {
        res.topics = res.topics.filter((t) => {
          const n = str(t, "name");
          return n !== null && allowedNames.has(n);
        });
      }
      return verdict.complete(res);
    },
  };
};

const offsetCommit: Policy = (a, ctx, req) => {
  const g = str(req, "groupId");
  if (g !== null && !a.group(Op.READ, g)) return DENY_GROUP;
  return topicsBy(Op.READ, OffsetCommitSpec, "topics", "topics")(a, ctx, req);
};

/** Kafka's OffsetFetchResponse.UNAUTHORIZED_PARTITION, in place. */
function refusePartitions(topic: Obj): void {
  if (!Array.isArray(topic.partitions)) return;
  for (const p of topic.partitions) {
    if (!isObj(p)) continue;
    p.committedOffset = -1;
    p.committedLeaderEpoch = -1;
    p.metadata = "";
    p.errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
  }
}

/** One group's topics in an OffsetFetch response: hidden when all were asked for, refused when named. */
function filterOffsetTopics(a: Access, topics: unknown, named: boolean): unknown {
  if (!Array.isArray(topics)) return topics;
  const out: unknown[] = [];
  for (const t of topics) {
    const n = str(t, "name");
    if (n === null || a.topic(Op.DESCRIBE, n)) out.push(t);
    else if (named && isObj(t)) {
      refusePartitions(t);
      out.push(t);
    }
  }
  return out;
}

const offsetFetch: Policy = (a, ctx, req) => {
  const v = ctx.header.apiVersion;
  if (v <= 7) {
    const g = str(req, "groupId");
    if (g !== null && !a.group(Op.DESCRIBE, g)) return DENY_GROUP;
    const named = req.topics !== null;
    return rewrite(req, (res) => {
      res.topics = filterOffsetTopics(a, res.topics, named);
    });
  }
  // v8+: many groups, each with its own error.
  const groups = Array.isArray(req.groups) ? req.groups : [];
  const namedTopics = new Map<string, boolean>();
  for (const g of groups) {
    const id = str(g, "groupId");
    if (id !== null) namedTopics.set(id, isObj(g) && g.topics !== null);
  }
  return rewrite(req, (res) => {
    if (!Array.isArray(res.groups)) return;
    for (const g of res.groups) {
      const id = str(g, "groupId");
      if (!isObj(g) || id === null) continue;
      if (!a.group(Op.DESCRIBE, id)) {
        g.errorCode = ErrorCode.GROUP_AUTHORIZATION_FAILED;
        g.topics = [];
      } else {
        g.topics = filterOffsetTopics(a, g.topics, namedTopics.get(id) ?? true);
      }
    }
  });
};

const findCoordinator: Policy = (a, ctx, req) => {
  const v = ctx.header.apiVersion;
  const keyType = num(req, "keyType") ?? 0;
  const allowed = (key: string) =>
    keyType === 1 ? a.transactionalId(Op.DESCRIBE, key) : a.group(Op.DESCRIBE, key);
  const code = keyType === 1
    ? ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
    : ErrorCode.GROUP_AUTHORIZATION_FAILED;
  if (v <= 3) {
    const key = str(req, "key");
    return key === null || allowed(key) ? ALLOW : deny(code);
  }
  return splitList({
    spec: FindCoordinatorSpec,
    version: v,
    request: req,
    reqName: "coordinatorKeys",
    resName: "coordinators",
    classify: (k) => typeof k !== "string" || allowed(k) ? 0 : code,
  });
};

const describeGroups: Policy = (a, ctx, req) => {
  const v = ctx.header.apiVersion;
  const includeOps = v >= 3 && req.includeAuthorizedOperations === true;
  return splitList({
    spec: DescribeGroupsSpec,
    version: v,
    request: req,
    reqName: "groups",
    resName: "groups",
    classify: (g) =>
      typeof g !== "string" || a.group(Op.DESCRIBE, g) ? 0 : ErrorCode.GROUP_AUTHORIZATION_FAILED,
    finish: includeOps
      ? (res) => {
        if (!Array.isArray(res.groups)) return;
        for (const g of res.groups) {
          const id = str(g, "groupId");
          if (isObj(g) && id !== null && g.errorCode === ErrorCode.NONE) {
            g.authorizedOperations = a.authorizedOperations(ResourceType.GROUP, id);
          }
        }
      }
      : undefined,
  });
};

const listGroups: Policy = (a, _ctx, req) => {
  // Cluster DESCRIBE sees every group; otherwise only those it may DESCRIBE.
  if (a.cluster(Op.DESCRIBE)) return ALLOW;
  return rewrite(req, (res) => {
    if (Array.isArray(res.groups)) {
      res.groups = res.groups.filter((g) => {
        const id = str(g, "groupId");
        return id !== null && a.group(Op.DESCRIBE, id);
      });
    }
  });
};

/**
 * ConsumerGroupHeartbeat (Kafka 4 KafkaApis): READ on the group, and DESCRIBE on every subscribed topic name
 * (TOPIC_AUTHORIZATION_FAILED otherwise). A regex subscription is resolved by the coordinator over all topics.
 */
const consumerGroupHeartbeat: Policy = (a, _ctx, req) => {
  const g = str(req, "groupId");
  if (g !== null && !a.group(Op.READ, g)) return DENY_GROUP;
  const names = Array.isArray(req.subscribedTopicNames) ? req.subscribedTopicNames : [];
  const refused = names.some((n) => typeof n === "string" && !a.topic(Op.DESCRIBE, n));
  return refused ? deny(ErrorCode.TOPIC_AUTHORIZATION_FAILED) : ALLOW;
};

/** Every topic a described consumer group's members are assigned (current or target), by name. */
function assignedTopics(group: unknown): Set<string> {
  const out = new Set<string>();
  const members = isObj(group) && Array.isArray(group.members) ? group.members : [];
  for (const m of members) {
    for (const key of ["assignment", "targetAssignment"]) {
      const a = isObj(m) ? m[key] : null;
      const tps = isObj(a) && Array.isArray(a.topicPartitions) ? a.topicPartitions : [];
      for (const t of tps) {
        const n = str(t, "topicName");
        if (n !== null) out.add(n);
      }
    }
  }
  return out;
}

/**
 * ConsumerGroupDescribe: DESCRIBE on each group (GROUP_AUTHORIZATION_FAILED in its entry); as Kafka 4, a group
 * whose members are assigned a topic the principal may not DESCRIBE answers TOPIC_AUTHORIZATION_FAILED.
 */
const consumerGroupDescribe: Policy = (a, ctx, req) => {
  const includeOps = req.includeAuthorizedOperations === true;
  return splitList({
    spec: ConsumerGroupDescribeSpec,
    version: ctx.header.apiVersion,
    request: req,
    reqName: "groupIds",
    resName: "groups",
    classify: (g) =>
      typeof g !== "string" || a.group(Op.DESCRIBE, g) ? 0 : ErrorCode.GROUP_AUTHORIZATION_FAILED,
    finish: (res) => {
      if (!Array.isArray(res.groups)) return;
      res.groups = res.groups.map((g) => {
        const id = str(g, "groupId");
        if (!isObj(g) || id === null || g.errorCode !== ErrorCode.NONE) return g;
        if ([...assignedTopics(g)].some((t) => !a.topic(Op.DESCRIBE, t))) {
          return {
            ...g,
            errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
            errorMessage: "The described group uses topics that the client is not authorized to describe.",
            members: [],
          };
        }
        if (includeOps) g.authorizedOperations = a.authorizedOperations(ResourceType.GROUP, id);
        return g;
      });
    },
  });
};

const createTopics: Policy = (a, ctx, req) => {
  const v = ctx.header.apiVersion;
  const clusterCreate = a.cluster(Op.CREATE);
  return splitList({
    spec: CreateTopicsSpec,
    version: v,
    request: req,
    reqName: "topics",
    resName: "topics",
    classify: (e) => {
      const n = str(e, "name");
      return n === null || clusterCreate || a.topic(Op.CREATE, n) ? 0 : ErrorCode.TOPIC_AUTHORIZATION_FAILED;
    },
    // v5+ answers a created topic's configs only to who may DESCRIBE_CONFIGS it (KafkaApis).
    finish: v >= 5
      ? (res) => {
        if (!Array.isArray(res.topics)) return;
        for (const t of res.topics) {
          const n = str(t, "name");
          if (!isObj(t) || n === null || t.errorCode !== ErrorCode.NONE) continue;
          if (!a.topic(Op.DESCRIBE_CONFIGS, n)) {
            t.configs = [];
            t.topicConfigErrorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
          }
        }
      }
      : undefined,
  });
};

const deleteTopics: Policy = (a, ctx, req) => {
  const v = ctx.header.apiVersion;
  const byId = v >= 6;
  return splitList({
    spec: DeleteTopicsSpec,
    version: v,
    request: req,
    reqName: byId ? "topics" : "topicNames",
    resName: "responses",
    classify: (e) => {
      const name = topicName(ctx, e);
      if (name === null) return 0;
      // A topic asked for by id that the principal may not DESCRIBE is not revealed to exist.
      if (byId && str(e, "name") === null && !a.topic(Op.DESCRIBE, name)) return ErrorCode.UNKNOWN_TOPIC_ID;
      return a.topic(Op.DELETE, name) ? 0 : ErrorCode.TOPIC_AUTHORIZATION_FAILED;
    },
  });
};

const initProducerId: Policy = (a, _ctx, req) => {
  const txn = str(req, "transactionalId");
  if (txn !== null) return a.transactionalId(Op.WRITE, txn) ? ALLOW : DENY_TXN;
  // KIP-679: an idempotent producer needs IDEMPOTENT_WRITE on the cluster or WRITE on some topic.
  return a.cluster(Op.IDEMPOTENT_WRITE) || a.anyTopic(Op.WRITE) ? ALLOW : DENY_CLUSTER;
};

// ---- transactions ----

/**
 * AddPartitionsToTxn: from a client (v0-3) WRITE on the transactional id and on every topic named; Kafka then adds
 * nothing, so a refused topic refuses the whole request (every partition answers TOPIC_AUTHORIZATION_FAILED, where
 * Kafka answers OPERATION_NOT_ATTEMPTED for the allowed ones). v4 is a broker's verification: CLUSTER_ACTION.
 */
const addPartitionsToTxn: Policy = (a, ctx, req) => {
  if (ctx.header.apiVersion >= 4) return a.cluster(Op.CLUSTER_ACTION) ? ALLOW : DENY_CLUSTER;
  const txn = str(req, "v3AndBelowTransactionalId");
  if (txn !== null && !a.transactionalId(Op.WRITE, txn)) return DENY_TXN;
  const topics = Array.isArray(req.v3AndBelowTopics) ? req.v3AndBelowTopics : [];
  for (const t of topics) {
    const n = str(t, "name");
    if (n !== null && !a.topic(Op.WRITE, n)) return deny(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
  }
  return ALLOW;
};

/** AddOffsetsToTxn: WRITE on the transactional id, READ on the group. */
const addOffsetsToTxn: Policy = (a, _ctx, req) => {
  const txn = str(req, "transactionalId");
  if (txn !== null && !a.transactionalId(Op.WRITE, txn)) return DENY_TXN;
  const g = str(req, "groupId");
  return g === null || a.group(Op.READ, g) ? ALLOW : DENY_GROUP;
};

/** EndTxn: WRITE on the transactional id. */
const endTxn: Policy = (a, _ctx, req) => {
  const txn = str(req, "transactionalId");
  return txn === null || a.transactionalId(Op.WRITE, txn) ? ALLOW : DENY_TXN;
};

/** TxnOffsetCommit: WRITE on the transactional id, READ on the group, READ on each topic (refused per topic). */
const txnOffsetCommit: Policy = (a, ctx, req) => {
  const txn = str(req, "transactionalId");
  if (txn !== null && !a.transactionalId(Op.WRITE, txn)) return DENY_TXN;
  const g = str(req, "groupId");
  if (g !== null && !a.group(Op.READ, g)) return DENY_GROUP;
  return topicsBy(Op.READ, TxnOffsetCommitSpec, "topics", "topics")(a, ctx, req);
};

/**
 * DescribeTransactions: DESCRIBE on each transactional id (refused per id); a described transaction lists only the
 * topics the principal may DESCRIBE (KafkaApis removes the others from each state's topics).
 */
const describeTransactions: Policy = (a, ctx, req) =>
  splitList({
    spec: DescribeTransactionsSpec,
    version: ctx.header.apiVersion,
    request: req,
    reqName: "transactionalIds",
    resName: "transactionStates",
    classify: (id) =>
      typeof id !== "string" || a.transactionalId(Op.DESCRIBE, id)
        ? 0
        : ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    finish: (res) => {
      const states = res.transactionStates;
      if (!Array.isArray(states)) return;
      for (const st of states) {
        if (!isObj(st) || !Array.isArray(st.topics)) continue;
        st.topics = st.topics.filter((t) => {
          const n = str(t, "topic");
          return n === null || a.topic(Op.DESCRIBE, n);
        });
      }
    },
  });

/** ListTransactions: lists only the transactional ids the principal may DESCRIBE, as Kafka filters them. */
const listTransactions: Policy = (a, _ctx, req) =>
  rewrite(req, (res) => {
    const states = res.transactionStates;
    if (!Array.isArray(states)) return;
    res.transactionStates = states.filter((s) => {
      const id = str(s, "transactionalId");
      return id !== null && a.transactionalId(Op.DESCRIBE, id);
    });
  });

const offsetForLeaderEpoch: Policy = (a, ctx, req) => {
  const replica = num(req, "replicaId");
  if (replica !== null && replica >= 0) return a.cluster(Op.CLUSTER_ACTION) ? ALLOW : DENY_CLUSTER;
  return topicsBy(Op.DESCRIBE, OffsetForLeaderEpochSpec, "topics", "topics", "topic")(a, ctx, req);
};

/** DescribeConfigs/AlterConfigs: topics by the topic's ACL, the broker's configs by the cluster's. */
function configs(op: number, spec: ApiSpec, resName: string): Policy {
  return (a, ctx, req) =>
    splitList({
      spec,
      version: ctx.header.apiVersion,
      request: req,
      reqName: "resources",
      resName,
      classify: (r) => {
        const type = num(r, "resourceType");
        const name = str(r, "resourceName") ?? "";
        if (type === CONFIG_TOPIC) return a.topic(op, name) ? 0 : ErrorCode.TOPIC_AUTHORIZATION_FAILED;
        if (type === CONFIG_BROKER || type === CONFIG_BROKER_LOGGER) {
          return a.cluster(op) ? 0 : ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
        }
        return 0;
      },
    });
}

const offsetDelete: Policy = (a, ctx, req) => {
  const g = str(req, "groupId");
  if (g !== null && !a.group(Op.DELETE, g)) return DENY_GROUP;
  return topicsBy(Op.READ, OffsetDeleteSpec, "topics", "topics")(a, ctx, req);
};

const describeCluster: Policy = (a, _ctx, req) => {
  if (!a.cluster(Op.DESCRIBE)) return DENY_CLUSTER;
  if (req.includeClusterAuthorizedOperations !== true) return ALLOW;
  return rewrite(req, (res) => {
    res.clusterAuthorizedOperations = a.authorizedOperations(ResourceType.CLUSTER, "kafka-cluster");
  });
};

/** CreateAcls/DeleteAcls refused: one refusal per creation or filter, as Kafka answers. */
function aclAlter(reqName: string, resName: string, extra: Obj): Policy {
  return (a, _ctx, req) => {
    if (a.cluster(Op.ALTER)) return ALLOW;
    const n = Array.isArray(req[reqName]) ? (req[reqName] as unknown[]).length : 0;
    return {
      kind: "narrow",
      request: { ...req, [reqName]: [] },
      complete(res: unknown): unknown {
        if (isObj(res)) {
          res[resName] = Array.from({ length: n }, () => ({
            errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
            errorMessage: null,
            ...extra,
          }));
        }
        return res;
      },
    };
  };
}

const always: Policy = () => ALLOW;

/** The policy of every API key; an API missing here needs ALTER on the cluster (refuse rather than guess). */
export const POLICIES: ReadonlyMap<number, Policy> = new Map<number, Policy>([
  [ApiKey.Produce, produce],
  [ApiKey.Fetch, fetch],
  [ApiKey.ListOffsets, topicsBy(Op.DESCRIBE, ListOffsetsSpec, "topics", "topics")],
  [ApiKey.Metadata, metadata],
  [ApiKey.OffsetCommit, offsetCommit],
  [ApiKey.OffsetFetch, offsetFetch],
  [ApiKey.FindCoordinator, findCoordinator],
  [ApiKey.JoinGroup, groupOnly(Op.READ)],
  [ApiKey.Heartbeat, groupOnly(Op.READ)],
  [ApiKey.LeaveGroup, groupOnly(Op.READ)],
  [ApiKey.SyncGroup, groupOnly(Op.READ)],
  [ApiKey.DescribeGroups, describeGroups],
  [ApiKey.ListGroups, listGroups],
  [ApiKey.SaslHandshake, always],
  [ApiKey.ApiVersions, always],
  [ApiKey.CreateTopics, createTopics],
  [ApiKey.DeleteTopics, deleteTopics],
  [ApiKey.DeleteRecords, topicsBy(Op.DELETE, DeleteRecordsSpec, "topics", "topics")],
  [ApiKey.InitProducerId, initProducerId],
  [ApiKey.OffsetForLeaderEpoch, offsetForLeaderEpoch],
  [ApiKey.AddPartitionsToTxn, addPartitionsToTxn],
  [ApiKey.AddOffsetsToTxn, addOffsetsToTxn],
  [ApiKey.EndTxn, endTxn],
  [ApiKey.WriteTxnMarkers, clusterOnly(Op.CLUSTER_ACTION)],
  [ApiKey.TxnOffsetCommit, txnOffsetCommit],
  [ApiKey.DescribeAcls, clusterOnly(Op.DESCRIBE)],
  [ApiKey.CreateAcls, aclAlter("creations", "results", {})],
  [ApiKey.DeleteAcls, aclAlter("filters", "filterResults", { matchingAcls: [] })],
  [ApiKey.DescribeConfigs, configs(Op.DESCRIBE_CONFIGS, DescribeConfigsSpec, "results")],
  [ApiKey.AlterConfigs, configs(Op.ALTER_CONFIGS, AlterConfigsSpec, "responses")],
  [ApiKey.DescribeLogDirs, clusterOnly(Op.DESCRIBE)],
  [ApiKey.SaslAuthenticate, always],
  [ApiKey.CreatePartitions, topicsBy(Op.ALTER, CreatePartitionsSpec, "topics", "results")],
  [ApiKey.DeleteGroups, splitGroups(Op.DELETE)],
  [ApiKey.ElectLeaders, clusterOnly(Op.ALTER)],
  [ApiKey.AlterPartitionReassignments, clusterOnly(Op.ALTER)],
  [ApiKey.ListPartitionReassignments, clusterOnly(Op.DESCRIBE)],
  [ApiKey.IncrementalAlterConfigs, configs(Op.ALTER_CONFIGS, IncrementalAlterConfigsSpec, "responses")],
  [ApiKey.OffsetDelete, offsetDelete],
  [ApiKey.DescribeClientQuotas, clusterOnly(Op.DESCRIBE_CONFIGS)],
  [ApiKey.AlterClientQuotas, clusterOnly(Op.ALTER_CONFIGS)],
  [ApiKey.DescribeUserScramCredentials, clusterOnly(Op.DESCRIBE)],
  [ApiKey.AlterUserScramCredentials, clusterOnly(Op.ALTER)],
  [ApiKey.DescribeCluster, describeCluster],
  [ApiKey.DescribeProducers, topicsBy(Op.READ, DescribeProducersSpec, "topics", "topics")],
  [ApiKey.DescribeTransactions, describeTransactions],
  [ApiKey.ListTransactions, listTransactions],
  [ApiKey.ConsumerGroupHeartbeat, consumerGroupHeartbeat],
  [ApiKey.ConsumerGroupDescribe, consumerGroupDescribe],
]);

function splitGroups(op: number): Policy {
  return (a, ctx, req) =>
    splitList({
      spec: DeleteGroupsSpec,
      version: ctx.header.apiVersion,
      request: req,
      reqName: "groupsNames",
      resName: "results",
      classify: (g) => typeof g !== "string" || a.group(op, g) ? 0 : ErrorCode.GROUP_AUTHORIZATION_FAILED,
    });
}

export const UNLISTED: Policy = clusterOnly(Op.ALTER);
