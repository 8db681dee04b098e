// ElectLeaders, AlterPartitionReassignments and ListPartitionReassignments on one gateway (the embedded log), over
// the wire: answered as a one-node Kafka (the gateway is the only replica there is, nothing is ever in progress,
// no election is needed), with Kafka's errors for what a controller refuses. The cluster behaviour (a partition
// moved to another gateway with Kafka's tools) is tests/integration/seaweedmq_cluster_reassignment_test.ts.
import { assert, assertEquals } from "../unit/assert.ts";
import { runWithGateway } from "../helpers/gateway.ts";
import { WireClient } from "../helpers/wire.ts";
import { ErrorCode } from "../../src/protocol/errors.ts";
import { type ElectLeadersResponse, ElectLeadersSpec } from "../../src/protocol/messages/elect_leaders.ts";
import {
  type AlterPartitionReassignmentsResponse,
  AlterPartitionReassignmentsSpec,
  type ListPartitionReassignmentsResponse,
  ListPartitionReassignmentsSpec,
} from "../../src/protocol/messages/partition_reassignments.ts";
import { CreateTopicsSpec } from "../../src/protocol/messages/create_topics.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "reassignment on one gateway: itself is the only replica; Kafka's refusals; no election needed",
  ...opts,
  fn: () =>
    runWithGateway({ args: ["--node-id", "1"] }, async (gw) => {
      const c = await WireClient.connect(gw.port);
      try {
        await c.call(CreateTopicsSpec, 5, {
          topics: [{ name: "r", numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }],
          timeoutMs: 5000,
        });
        const alter = await c.call<AlterPartitionReassignmentsResponse>(AlterPartitionReassignmentsSpec, 0, {
          timeoutMs: 5000,
          topics: [
            {
              name: "r",
              partitions: [
                { partitionIndex: 0, replicas: [1] },
                { partitionIndex: 1, replicas: [2] },
                { partitionIndex: 1, replicas: [] },
                { partitionIndex: 0, replicas: [1, 2] },
                { partitionIndex: 0, replicas: null },
                { partitionIndex: 5, replicas: [1] },
              ],
            },
            { name: "nope", partitions: [{ partitionIndex: 0, replicas: [1] }] },
          ],
        });
        assertEquals(alter.errorCode, 0);
        assertEquals(
          alter.responses.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.errorCode])]),
          [
            ["r", [
              [0, ErrorCode.NONE],
              [1, ErrorCode.INVALID_REPLICA_ASSIGNMENT],
              [1, ErrorCode.INVALID_REPLICA_ASSIGNMENT],
              [0, ErrorCode.INVALID_REPLICATION_FACTOR],
              [0, ErrorCode.NO_REASSIGNMENT_IN_PROGRESS],
              [5, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
            ]],
            ["nope", [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
          ],
        );
        const list = await c.call<ListPartitionReassignmentsResponse>(ListPartitionReassignmentsSpec, 0, {
          timeoutMs: 5000,
          topics: null,
        });
        assertEquals([list.errorCode, list.topics], [0, []]);
        for (let v = 0; v <= 2; v++) {
          const named = await c.call<ElectLeadersResponse>(ElectLeadersSpec, v, {
            electionType: v >= 1 ? 1 : 0,
            topicPartitions: [{ topic: "r", partitions: [0, 1, 7] }],
            timeoutMs: 5000,
          });
          assertEquals(
            named.replicaElectionResults.map((t) => [t.topic, t.partitionResult.map((p) => p.errorCode)]),
            [
              ["r", [
                ErrorCode.ELECTION_NOT_NEEDED,
                ErrorCode.ELECTION_NOT_NEEDED,
                ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
              ]],
            ],
            `v${v}`,
          );
          // Every partition: each topic, without the partitions needing no election, as Kafka's controller answers.
          const all = await c.call<ElectLeadersResponse>(ElectLeadersSpec, v, {
            electionType: 0,
            topicPartitions: null,
            timeoutMs: 5000,
          });
          const r = all.replicaElectionResults.find((t) => t.topic === "r");
          assertEquals(r?.partitionResult, [], `v${v}`);
          assert(all.replicaElectionResults.every((t) => t.partitionResult.length === 0), `v${v}`);
        }
        // An unknown election type is answered INVALID_REQUEST; the connection stays open.
        const bad = await c.call<ElectLeadersResponse>(ElectLeadersSpec, 2, {
          electionType: 7,
          topicPartitions: null,
          timeoutMs: 5000,
        });
        assertEquals([bad.errorCode, bad.replicaElectionResults], [ErrorCode.INVALID_REQUEST, []]);
        const after = await c.call<ListPartitionReassignmentsResponse>(ListPartitionReassignmentsSpec, 0, {
          timeoutMs: 5000,
          topics: [{ name: "r", partitionIndexes: [0] }],
        });
        assertEquals([after.errorCode, after.topics], [0, []]);
      } finally {
        c.close();
      }
    }),
});
