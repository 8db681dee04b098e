// AlterPartitionReassignments, ListPartitionReassignments and ElectLeaders (KIP-455, KIP-460), what
// `kafka-reassign-partitions`, `kafka-leader-election` and Cruise Control send. Each partition has one replica, its
// leader gateway (the backend keeps the data), so a reassignment names the one gateway that should lead it:
// - On a cluster of gateways (SeaweedMQ) the placement is recorded in the controller's assignment document (any
//   gateway may record it: a compare-and-set on the document's version, src/cluster/node.ts) and the controller
//   moves the partition there with its usual hand-over: released by the old leader, then led by the new one under a
//   new leader epoch; clients follow Metadata. The answer comes once the placement is recorded, as Kafka answers
//   once the reassignment is registered. A placed partition stays out of the controller's balancing and goes back
//   to its gateway whenever that one is live (Kafka's preferred replica with auto.leader.rebalance.enable).
//   Replicas null cancel a reassignment still in progress (NO_REASSIGNMENT_IN_PROGRESS when there is none); a
//   broker that is not live is INVALID_REPLICA_ASSIGNMENT, an empty list too; more than one replica is
//   INVALID_REPLICATION_FACTOR. `__transaction_state` partitions follow `__consumer_offsets`' and are moved with
//   those.
// - ListPartitionReassignments lists placed partitions not led by their gateway yet: replicas = target and
//   current holder, adding = target, removing = current holder.
// - ElectLeaders: preferred (0) answers ELECTION_NOT_NEEDED where the leader is the preferred one (the placed
//   gateway, or for an unplaced partition the controller's choice, which it leads already), NONE where the
//   controller is moving a placed partition back to its live gateway, PREFERRED_LEADER_NOT_AVAILABLE where that
//   gateway is not live; unclean (1): ELECTION_NOT_NEEDED where there is a leader. Null partitions: every topic,
//   each with its partitions but the ELECTION_NOT_NEEDED ones (Kafka's controller answers so too).
// - One gateway (embedded log) answers as a one-node Kafka: itself is the only valid replica (no move needed),
//   nothing is ever in progress, no election is needed.
import type { Broker, Handler } from "../request/context.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { errorCodeOf, errorMessageOf } from "./auto_create.ts";
import type {
  AlterPartitionReassignmentsRequest,
  AlterPartitionReassignmentsResponse,
  ListPartitionReassignmentsRequest,
  ListPartitionReassignmentsResponse,
} from "../protocol/messages/partition_reassignments.ts";
import type { ElectLeadersRequest, ElectLeadersResponse } from "../protocol/messages/elect_leaders.ts";
import type { Placement } from "../cluster/assignment.ts";
import { CONSUMER_OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC } from "../cluster/view.ts";

const PREFERRED = 0;
const UNCLEAN = 1;

type PartitionAnswer = { partitionIndex: number; errorCode: number; errorMessage: string | null };

function partitionExists(broker: Broker, topic: string, partition: number): boolean {
  const meta = broker.storage.getTopic(topic);
  return meta !== undefined && partition >= 0 && partition < meta.partitions;
}

export const alterPartitionReassignmentsHandler: Handler<
  AlterPartitionReassignmentsRequest,
  AlterPartitionReassignmentsResponse
> = async (ctx, req) => {
  const { cluster } = ctx.broker;
  const answers = req.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p): PartitionAnswer => ({
      partitionIndex: p.partitionIndex,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
    })),
  }));
  // Checked here; what is left is recorded (a cluster) or needs no move (one gateway).
  const pending: { placement: Placement; answer: PartitionAnswer }[] = [];
  for (const [i, t] of req.topics.entries()) {
    for (const [j, p] of t.partitions.entries()) {
      const a = answers[i].partitions[j];
      const fail = (code: number, message: string) => {
        a.errorCode = code;
        a.errorMessage = message;
      };
      const replicas = p.replicas ?? null;
      if (t.name === TRANSACTION_STATE_TOPIC && partitionExists(ctx.broker, t.name, p.partitionIndex)) {
        fail(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          `${t.name}-${p.partitionIndex} is led with ${CONSUMER_OFFSETS_TOPIC}-${p.partitionIndex}: reassign that one.`,
        );
      } else if (!partitionExists(ctx.broker, t.name, p.partitionIndex)) {
        fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Unable to find partition ${t.name}-${p.partitionIndex}.`);
      } else if (replicas !== null && replicas.length === 0) {
        fail(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          "The manual partition assignment includes an empty replica list.",
        );
      } else if (replicas !== null && replicas.length > 1) {
        fail(
          ErrorCode.INVALID_REPLICATION_FACTOR,
          `Each partition has one replica, its leader gateway (the backend keeps the data): name one broker, not ${replicas.length}.`,
        );
      } else if (cluster.place === undefined) {
        // one gateway: it is the only replica there can be
        if (replicas === null) {
          fail(
            ErrorCode.NO_REASSIGNMENT_IN_PROGRESS,
            `No ongoing reassignment for ${t.name}-${p.partitionIndex}.`,
          );
        } else if (replicas[0] !== cluster.nodeId) {
          fail(
            ErrorCode.INVALID_REPLICA_ASSIGNMENT,
            `The manual partition assignment includes broker ${
              replicas[0]
            }, which is not alive (live: ${cluster.nodeId}).`,
          );
        }
      } else {
        pending.push({
          placement: {
            topic: t.name,
            partition: p.partitionIndex,
            node: replicas === null ? null : replicas[0],
          },
          answer: a,
        });
      }
    }
  }
  if (pending.length > 0 && cluster.place !== undefined) {
    try {
      const refusals = await cluster.place(pending.map((x) => x.placement), Math.max(0, req.timeoutMs));
      for (const [k, r] of refusals.entries()) {
        if (r === null) continue;
        pending[k].answer.errorCode = ErrorCode[r.error];
        pending[k].answer.errorMessage = r.message;
      }
      ctx.log.info("partition reassignment by {principal}: {what}", {
        principal: `${ctx.principal.type}:${ctx.principal.name}`,
        what: pending.map((x, k) =>
          `${x.placement.topic}-${x.placement.partition} -> ${x.placement.node ?? "cancel"}${
            refusals[k] ? ` (${refusals[k]!.error})` : ""
          }`
        ).join(", "),
      });
    } catch (e) {
      const code = errorCodeOf(e);
      return { errorCode: code, errorMessage: errorMessageOf(e), responses: answers };
    }
  }
  return { errorCode: ErrorCode.NONE, errorMessage: null, responses: answers };
};

export const listPartitionReassignmentsHandler: Handler<
  ListPartitionReassignmentsRequest,
  ListPartitionReassignmentsResponse
> = (ctx, req) => {
  const ongoing = ctx.broker.cluster.reassignments?.() ?? [];
  const wanted = req.topics === null || req.topics === undefined
    ? null
    : new Map(req.topics.map((t) => [t.name, new Set(t.partitionIndexes)]));
  const topics = new Map<string, ListPartitionReassignmentsResponse["topics"][number]>();
  for (const r of ongoing) {
    if (wanted !== null && !wanted.get(r.topic)?.has(r.partition)) continue;
    let t = topics.get(r.topic);
    if (t === undefined) {
      t = { name: r.topic, partitions: [] };
      topics.set(r.topic, t);
    }
    const current = r.current >= 0 ? [r.current] : [];
    t.partitions.push({
      partitionIndex: r.partition,
      replicas: [r.target, ...current],
      addingReplicas: [r.target],
      removingReplicas: current,
    });
  }
  return { errorCode: ErrorCode.NONE, errorMessage: null, topics: [...topics.values()] };
};

export const electLeadersHandler: Handler<ElectLeadersRequest, ElectLeadersResponse> = (ctx, req) => {
  const { cluster, storage } = ctx.broker;
  const type = ctx.header.apiVersion >= 1 ? req.electionType : PREFERRED;
  // An unknown type is answered (v1+ has the top-level error code; v0 cannot name a type), never a closed connection.
  if (type !== PREFERRED && type !== UNCLEAN) {
    return { errorCode: ErrorCode.INVALID_REQUEST, replicaElectionResults: [] };
  }
  const all = req.topicPartitions === null || req.topicPartitions === undefined;
  const asked: { topic: string; partitions: number[] }[] = all
    ? storage.listTopics().map((t) => ({
      topic: t.name,
      partitions: Array.from({ length: t.partitions }, (_, p) => p),
    }))
    : req.topicPartitions!.map((t) => ({ topic: t.topic, partitions: [...t.partitions] }));
  const results: ElectLeadersResponse["replicaElectionResults"] = [];
  for (const t of asked) {
    const partitionResult: ElectLeadersResponse["replicaElectionResults"][number]["partitionResult"] = [];
    for (const p of t.partitions) {
      let code: number = ErrorCode.ELECTION_NOT_NEEDED;
      let message: string | null = null;
      if (!partitionExists(ctx.broker, t.topic, p)) {
        code = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        message = `Unable to find partition ${t.topic}-${p}.`;
      } else {
        // __transaction_state follows __consumer_offsets (view.ts)
        const led = t.topic === TRANSACTION_STATE_TOPIC ? CONSUMER_OFFSETS_TOPIC : t.topic;
        const leader = cluster.leaderOf(led, p).leaderId;
        if (type === UNCLEAN) {
          if (leader < 0) code = ErrorCode.NONE; // the controller gives it one
        } else {
          const target = cluster.placedOn?.(led, p) ?? -1;
          if (target >= 0 && target !== leader) {
            if (cluster.broker(target) !== undefined) code = ErrorCode.NONE; // being moved back to it
            else {
              code = ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE;
              message = `The preferred leader ${target} of ${t.topic}-${p} is not alive.`;
            }
          }
        }
      }
      if (all && code === ErrorCode.ELECTION_NOT_NEEDED) continue;
      partitionResult.push({ partitionId: p, errorCode: code, errorMessage: message });
    }
    results.push({ topic: t.topic, partitionResult });
  }
  return { errorCode: ErrorCode.NONE, replicaElectionResults: results };
};
