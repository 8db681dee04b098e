// Group configs on a gateway process, on both backends: set before the group exists, they act on its KIP-848
// members (the heartbeat interval a member is given; a member that stops heartbeating is removed after the group's
// own session timeout, not the broker's 45 s), survive a restart (durable in the backend's documents), are listed
// by ListConfigResources, and Apache Kafka's kafka-configs describes them as it does on Kafka.
import { assert, assertEquals } from "../unit/assert.ts";
import { startGateway } from "../helpers/gateway.ts";
import { backendMatrix } from "../helpers/backend_matrix.ts";
import { WireClient } from "../helpers/wire.ts";
import { kafkaToolOk, kafkaTools } from "../helpers/apache_kafka.ts";
import { type CreateTopicsResponse, CreateTopicsSpec } from "../../src/protocol/messages/create_topics.ts";
import {
  type DescribeConfigsResponse,
  DescribeConfigsSpec,
} from "../../src/protocol/messages/describe_configs.ts";
import {
  type ConsumerGroupHeartbeatResponse,
  ConsumerGroupHeartbeatSpec,
} from "../../src/protocol/messages/consumer_group_heartbeat.ts";
import {
  type ConsumerGroupDescribeResponse,
  ConsumerGroupDescribeSpec,
} from "../../src/protocol/messages/consumer_group_describe.ts";
import {
  type ListConfigResourcesResponse,
  ListConfigResourcesSpec,
} from "../../src/protocol/messages/list_config_resources.ts";
import { ConfigSource } from "../../src/configs/defs.ts";
import { GROUP_CONFIGS, setGroupConfigs } from "../helpers/group_configs.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const matrix = await backendMatrix();
const tools = await kafkaTools();
const TOPIC = "gc-topic";
const GROUP = "gc-group";
// short sessions allowed by the broker, so a group may ask for one; the broker's own default stays 45 s
const ARGS = [
  "--group-consumer-min-session-timeout-ms",
  "1000",
  "--group-consumer-min-heartbeat-interval-ms",
  "500",
];

function join(c: WireClient, memberId: string): Promise<ConsumerGroupHeartbeatResponse> {
  return c.call<ConsumerGroupHeartbeatResponse>(ConsumerGroupHeartbeatSpec, 0, {
    groupId: GROUP,
    memberId,
    memberEpoch: 0,
    rebalanceTimeoutMs: 30_000,
    subscribedTopicNames: [TOPIC],
    topicPartitions: [],
  });
}

async function members(c: WireClient): Promise<string[]> {
  const d = await c.call<ConsumerGroupDescribeResponse>(ConsumerGroupDescribeSpec, 0, {
    groupIds: [GROUP],
    includeAuthorizedOperations: false,
  });
  return d.groups[0].members.map((m) => m.memberId).sort();
}

for (const backend of matrix.backends) {
  Deno.test({
    name:
      `group configs (${backend.name}): set before the group exists, they act on its members, survive a ` +
      "restart, are listed, and kafka-configs shows them",
    ...opts,
    ignore: backend.ignore,
    fn: async () => {
      await backend.use();
      let gw = await startGateway({ args: ARGS });
      const dataDir = gw.dataDir;
      let c = await WireClient.connect(gw.port);
      try {
        const created = await c.call<CreateTopicsResponse>(CreateTopicsSpec, 5, {
          topics: [{ name: TOPIC, numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }],
          timeoutMs: 10_000,
          validateOnly: false,
        });
        assertEquals(created.topics[0].errorCode, 0);
        await setGroupConfigs(c, GROUP, [["consumer.heartbeat.interval.ms", "600"], [
          "consumer.session.timeout.ms",
          "2000",
        ]]);

        // The group's own interval, not the broker's 5 s.
        const a = await join(c, "gcMemberA000000000001");
        assertEquals([a.errorCode, a.heartbeatIntervalMs], [0, 600]);
        // A member that stops heartbeating goes after the group's 2 s session (the broker's is 45 s): waited for
        // by polling, with a bound far below 45 s.
        const until = Date.now() + 20_000;
        let left = await members(c);
        while (left.length > 0 && Date.now() < until) {
          await new Promise((r) => setTimeout(r, 250));
          left = await members(c);
        }
        assertEquals(left, [], "the member outlived its group's session timeout");

        // A change applies at the next heartbeat.
        await setGroupConfigs(c, GROUP, [["consumer.heartbeat.interval.ms", "900"]]);
        const b = await join(c, "gcMemberB000000000001");
        assertEquals([b.errorCode, b.heartbeatIntervalMs], [0, 900]);

        // Durable: a restarted gateway answers the same configs.
        c.close();
        await gw.stop();
        gw = await startGateway({ args: ARGS, dataDir });
        c = await WireClient.connect(gw.port);
        const d = await c.call<DescribeConfigsResponse>(DescribeConfigsSpec, 4, {
          resources: [{
            resourceType: GROUP_CONFIGS,
            resourceName: GROUP,
            configurationKeys: [
              "consumer.heartbeat.interval.ms",
              "consumer.session.timeout.ms",
              "share.isolation.level",
            ],
          }],
          includeSynonyms: false,
          includeDocumentation: false,
        });
        assertEquals(
          d.results[0].configs.map((e) => [e.name, e.value, e.configSource]),
          [
            ["consumer.heartbeat.interval.ms", "900", ConfigSource.DYNAMIC_GROUP_CONFIG],
            ["consumer.session.timeout.ms", "2000", ConfigSource.DYNAMIC_GROUP_CONFIG],
            ["share.isolation.level", "read_uncommitted", ConfigSource.DEFAULT_CONFIG],
          ],
        );
        const listed = await c.call<ListConfigResourcesResponse>(ListConfigResourcesSpec, 1, {
          resourceTypes: [GROUP_CONFIGS],
        });
        assertEquals(listed.configResources, [{ resourceName: GROUP, resourceType: GROUP_CONFIGS }]);
        const back = await join(c, "gcMemberC000000000001");
        assertEquals(back.heartbeatIntervalMs, 900, "in effect after the restart");

        if (!tools.ignore) {
          const out = await kafkaToolOk("kafka-configs", [
            "--bootstrap-server",
            gw.bootstrap,
            "--describe",
            "--entity-type",
            "groups",
            "--entity-name",
            GROUP,
          ]);
          assert(
            out.includes(
              "consumer.heartbeat.interval.ms=900 sensitive=false " +
                "synonyms={DYNAMIC_GROUP_CONFIG:consumer.heartbeat.interval.ms=900}",
            ),
            out,
          );
          assert(out.includes("consumer.session.timeout.ms=2000"), out);
          await kafkaToolOk("kafka-configs", [
            "--bootstrap-server",
            gw.bootstrap,
            "--alter",
            "--entity-type",
            "groups",
            "--entity-name",
            GROUP,
            "--delete-config",
            "consumer.heartbeat.interval.ms,consumer.session.timeout.ms",
          ]);
          const reset = await join(c, "gcMemberD000000000001");
          assertEquals(reset.heartbeatIntervalMs, 5000, "deleted: the broker's default again");
        }
      } finally {
        c.close();
        await gw.stop();
      }
    },
  });
}

matrix.finish();
