// CreateTopics: validated names, partition counts, replication factor (1: a partition's one replica is its leader
// gateway; the backend keeps the data), manual assignments (one live broker per partition, topic_rules.ts) and
// configs (values the backend cannot apply refused); validate_only. In a distributed cluster the answer waits
// (bounded) until the new partitions have leaders, so that a client that creates and then produces is not told
// LEADER_NOT_AVAILABLE; it is a success either way.
import type { Handler } from "../request/context.ts";
import type {
  CreateTopicsRequest,
  CreateTopicsRequestTopic,
  CreateTopicsResponse,
  CreateTopicsResponseTopic,
} from "../protocol/messages/create_topics.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { ZERO_UUID } from "../protocol/codec.ts";
import {
  checkPartitionLimit,
  checkReplicaAssignment,
  createWithinPartitionLimit,
  validateTopicName,
} from "./topic_rules.ts";
import { awaitLeaders } from "./routing.ts";
import type { ClusterView } from "../cluster/view.ts";
import type { ConfigModel } from "../configs/model.ts";
import { errorCodeOf, errorMessageOf } from "./auto_create.ts";

export const createTopicsHandler: Handler<CreateTopicsRequest, CreateTopicsResponse> = async (ctx, req) => {
  const { broker } = ctx;
  const seen = new Map<string, number>();
  for (const t of req.topics) seen.set(t.name, (seen.get(t.name) ?? 0) + 1);
  const out: CreateTopicsResponseTopic[] = [];
  const created: string[] = [];
  for (const t of req.topics) {
    const base: CreateTopicsResponseTopic = {
      name: t.name,
      topicId: ZERO_UUID,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      topicConfigErrorCode: ErrorCode.NONE,
      numPartitions: -1,
      replicationFactor: -1,
      // As Kafka: an empty list (not null) for a topic that was not created.
      configs: [],
    };
    try {
      if ((seen.get(t.name) ?? 0) > 1) {
        throw new KafkaError(
          ErrorCode.INVALID_REQUEST,
          `Create topics request from client contains duplicate topic ${t.name}`,
        );
      }
      const v = validate(t, broker.config.numPartitions, broker.cluster, broker.configs);
      // validate_only too: a request that could not be carried out is refused the same way
      checkPartitionLimit(broker, t.name, v.partitions);
      const partitions = v.partitions;
      // configs the backend cannot apply: other values are refused (validate_only too), equal ones not stored
      const configs = broker.configs.acceptTopicConfigs(v.configs);
      if (broker.storage.getTopic(t.name)) {
        throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${t.name}' already exists.`);
      }
      let id = ZERO_UUID;
      if (!req.validateOnly) {
        const meta = await createWithinPartitionLimit(
          broker,
          t.name,
          partitions,
          0,
          () => broker.storage.createTopic(t.name, partitions, configs),
        );
        id = meta.id;
        ctx.log.info("created topic {topic} with {partitions} partitions", { topic: t.name, partitions });
        created.push(t.name);
      }
      out.push({
        ...base,
        topicId: id,
        numPartitions: partitions,
        replicationFactor: 1,
        // Every topic config with its effective value and source, as Kafka answers v5+.
        configs: broker.configs.describeTopic(configs, null).map((c) => ({
          name: c.name,
          value: c.value,
          readOnly: c.readOnly,
          // Optional in DescribeConfigs (v1+), always set by the config model; -1 = unknown.
          configSource: c.configSource ?? -1,
          isSensitive: c.isSensitive,
        })),
      });
    } catch (e) {
      out.push({ ...base, errorCode: errorCodeOf(e), errorMessage: errorMessageOf(e) });
    }
  }
  await Promise.all(created.map(async (name) => {
    const partitions = broker.storage.getTopic(name)?.partitions ?? 0;
    if (!await awaitLeaders(broker, name, 0, partitions)) {
      ctx.log.warn("topic {topic} created, but not every partition has a leader yet", { topic: name });
    }
  }));
  return { topics: out };
};

function validate(
  t: CreateTopicsRequestTopic,
  defaultPartitions: number,
  cluster: ClusterView,
  configModel: ConfigModel,
): { partitions: number; configs: Record<string, string> } {
  validateTopicName(t.name);
  let partitions = t.numPartitions;
  if (t.assignments.length > 0) {
    if (t.numPartitions !== -1 || t.replicationFactor !== -1) {
      throw new KafkaError(
        ErrorCode.INVALID_REQUEST,
        "Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.",
      );
    }
    const idx = t.assignments.map((a) => a.partitionIndex).sort((a, b) => a - b);
    idx.forEach((p, i) => {
      if (p !== i) {
        throw new KafkaError(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          "Partitions should be a consecutive 0-based integer sequence",
        );
      }
    });
    for (const a of t.assignments) checkReplicaAssignment(cluster, a.brokerIds);
    partitions = t.assignments.length;
  } else {
    if (partitions === -1) partitions = defaultPartitions;
    if (partitions <= 0) {
      throw new KafkaError(ErrorCode.INVALID_PARTITIONS, "Number of partitions must be larger than 0.");
    }
    if (t.replicationFactor === 0 || t.replicationFactor < -1) {
      throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, "Replication factor must be larger than 0.");
    }
    if (t.replicationFactor > 1) {
      const rf = t.replicationFactor;
      throw new KafkaError(
        ErrorCode.INVALID_REPLICATION_FACTOR,
        cluster.distributed
          ? `Unable to replicate the partition ${rf} time(s): each partition has one replica, its leader gateway (the backend keeps the data); use replication factor 1 or -1.`
          : `Unable to replicate the partition ${rf} time(s): The target replication factor of ${rf} cannot be reached because only 1 broker(s) are registered.`,
      );
    }
  }
  const configs: Record<string, string> = {};
  for (const c of t.configs) configs[c.name] = configModel.validateTopicConfig(c.name, c.value);
  return { partitions, configs };
}
