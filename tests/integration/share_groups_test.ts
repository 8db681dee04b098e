// Share groups (KIP-932, preview: membership only) on a gateway process with group.share.enable, on both
// backends: ApiVersions advertises ShareGroupHeartbeat and ShareGroupDescribe v1; four members of a one-partition
// topic all get the partition; ShareGroupDescribe, ListGroups (type share) and DescribeGroups (not a classic
// group) answer as Kafka 4.1; the group and its members' epochs survive a restart; DeleteGroups refuses it while
// it has members and deletes it once they left.
import { assertEquals } from "../unit/assert.ts";
import { startGateway } from "../helpers/gateway.ts";
import { backendMatrix } from "../helpers/backend_matrix.ts";
import { WireClient } from "../helpers/wire.ts";
import { ApiKey } from "../../src/protocol/api_keys.ts";
import { ErrorCode } from "../../src/protocol/errors.ts";
import { type ApiVersionsResponse, ApiVersionsSpec } from "../../src/protocol/messages/api_versions.ts";
import { type CreateTopicsResponse, CreateTopicsSpec } from "../../src/protocol/messages/create_topics.ts";
import {
  type ShareGroupHeartbeatResponse,
  ShareGroupHeartbeatSpec,
} from "../../src/protocol/messages/share_group_heartbeat.ts";
import {
  type ShareGroupDescribeResponse,
  ShareGroupDescribeSpec,
} from "../../src/protocol/messages/share_group_describe.ts";
import { type ListGroupsResponse, ListGroupsSpec } from "../../src/protocol/messages/list_groups.ts";
import {
  type DescribeGroupsResponse,
  DescribeGroupsSpec,
} from "../../src/protocol/messages/describe_groups.ts";
import { type DeleteGroupsResponse, DeleteGroupsSpec } from "../../src/protocol/messages/delete_groups.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const matrix = await backendMatrix();
const TOPIC = "sg-queue";
const GROUP = "sg-group";
const ARGS = ["--group-share-enable"];

function beat(
  c: WireClient,
  memberId: string,
  memberEpoch: number,
  topics: string[] | null = null,
): Promise<ShareGroupHeartbeatResponse> {
  return c.call<ShareGroupHeartbeatResponse>(ShareGroupHeartbeatSpec, 1, {
    groupId: GROUP,
    memberId,
    memberEpoch,
    rackId: null,
    subscribedTopicNames: topics,
  });
}

async function describe(c: WireClient): Promise<ShareGroupDescribeResponse["groups"][number]> {
  const d = await c.call<ShareGroupDescribeResponse>(ShareGroupDescribeSpec, 1, {
    groupIds: [GROUP],
    includeAuthorizedOperations: false,
  });
  return d.groups[0];
}

for (const backend of matrix.backends) {
  Deno.test({
    name: `share groups (${backend.name}): membership, assignment, describe, list, restart and delete`,
    ...opts,
    ignore: backend.ignore,
    fn: async () => {
      await backend.use();
      let gw = await startGateway({ args: ARGS });
      const dataDir = gw.dataDir;
      let c = await WireClient.connect(gw.port);
      try {
        const versions = await c.call<ApiVersionsResponse>(ApiVersionsSpec, 3, {
          clientSoftwareName: "t",
          clientSoftwareVersion: "1",
        });
        assertEquals(
          versions.apiKeys.filter((k) =>
            k.apiKey === ApiKey.ShareGroupHeartbeat || k.apiKey === ApiKey.ShareGroupDescribe
          )
            .map((k) => [k.apiKey, k.minVersion, k.maxVersion]),
          [[76, 1, 1], [77, 1, 1]],
        );
        const created = await c.call<CreateTopicsResponse>(CreateTopicsSpec, 7, {
          topics: [{ name: TOPIC, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
          timeoutMs: 10_000,
          validateOnly: false,
        });
        assertEquals(created.topics[0].errorCode, 0);
        const topicId = created.topics[0].topicId;

        const ids = [
          "sgMember000000000001",
          "sgMember000000000002",
          "sgMember000000000003",
          "sgMember000000000004",
        ];
        for (const id of ids) {
          const r = await beat(c, id, 0, [TOPIC]);
          assertEquals(
            [r.errorCode, r.memberId, r.heartbeatIntervalMs],
            [0, id, 5_000],
            r.errorMessage ?? "",
          );
          assertEquals(r.assignment?.topicPartitions, [{ topicId, partitions: [0] }]);
        }
        const epochs: number[] = [];
        for (const id of ids) {
          const r = await beat(
            c,
            id,
            (await describe(c)).members.find((m) => m.memberId === id)!.memberEpoch,
          );
          assertEquals(r.errorCode, 0, r.errorMessage ?? "");
          epochs.push(r.memberEpoch);
        }
        assertEquals(epochs, [4, 4, 4, 4]);
        const d = await describe(c);
        assertEquals([d.errorCode, d.groupState, d.groupEpoch, d.assignorName, d.members.length], [
          0,
          "Stable",
          4,
          "simple",
          4,
        ]);
        assertEquals(
          d.members.map((m) => m.assignment.topicPartitions.map((t) => [t.topicName, t.partitions])),
          ids.map(() => [[TOPIC, [0]]]),
        );

        const listed = await c.call<ListGroupsResponse>(ListGroupsSpec, 5, {
          statesFilter: [],
          typesFilter: ["share"],
        });
        assertEquals(
          listed.groups.filter((g) => g.groupId === GROUP).map((
            g,
          ) => [g.protocolType, g.groupState, g.groupType]),
          [["share", "Stable", "share"]],
        );
        const classic = await c.call<DescribeGroupsResponse>(DescribeGroupsSpec, 6, {
          groups: [GROUP],
          includeAuthorizedOperations: false,
        });
        assertEquals(
          [classic.groups[0].errorCode, classic.groups[0].errorMessage],
          [ErrorCode.GROUP_ID_NOT_FOUND, `Group ${GROUP} is not a classic group.`],
        );

        // Durable: after a restart the group and its members' epochs are there, and a member's next heartbeat at
        // its epoch is accepted.
        c.close();
        await gw.stop();
        gw = await startGateway({ args: ARGS, dataDir });
        c = await WireClient.connect(gw.port);
        const after = await describe(c);
        assertEquals(
          [after.groupEpoch, after.members.map((m) => [m.memberId, m.memberEpoch]).sort()],
          [4, ids.map((id) => [id, 4])],
        );
        assertEquals((await beat(c, ids[0], 4)).errorCode, 0);

        const del = () =>
          c.call<DeleteGroupsResponse>(DeleteGroupsSpec, 2, { groupsNames: [GROUP] }).then((r) =>
            r.results[0].errorCode
          );
        assertEquals(await del(), ErrorCode.NON_EMPTY_GROUP);
        for (const id of ids) {
          const r = await beat(c, id, -1);
          assertEquals([r.errorCode, r.memberEpoch], [0, -1]);
        }
        assertEquals((await describe(c)).groupState, "Empty");
        assertEquals(await del(), ErrorCode.NONE);
        assertEquals((await describe(c)).errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
      } finally {
        c.close();
        await gw.stop();
      }
    },
  });
}
