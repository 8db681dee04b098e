// The admin side of share groups (DescribeShareGroupOffsets, AlterShareGroupOffsets, DeleteShareGroupOffsets) with
// Apache Kafka's clients, on both backends: `kafka-share-groups --describe` shows the start offset a
// KafkaShareConsumer left, AlterShareGroupOffsets moves it back and the next consumer reads from there (first
// deliveries again), `--delete-offsets` deletes it; a group with members, another kind's group and an unknown one
// are refused with Kafka's codes; Kafka 4.2.2's tool resets the start offset (`--reset-offsets`, dry run and
// execute), which Kafka 4.1's tool does not implement, and describes the lag (DescribeShareGroupOffsets v1).
import { assert, assertEquals } from "../unit/assert.ts";
import { kafkaTool, kafkaToolOk, kafkaTools } from "../helpers/apache_kafka.ts";
import { backendMatrix } from "../helpers/backend_matrix.ts";
import {
  consumeAll,
  setGroupConfigs,
  shareConsumer,
  until,
  withShareGateway,
} from "../helpers/share_consumers.ts";
import { ErrorCode } from "../../src/protocol/errors.ts";
import {
  type AlterShareGroupOffsetsResponse,
  AlterShareGroupOffsetsSpec,
  type DeleteShareGroupOffsetsResponse,
  DeleteShareGroupOffsetsSpec,
  type DescribeShareGroupOffsetsResponse,
  DescribeShareGroupOffsetsSpec,
} from "../../src/protocol/messages/share_group_offsets.ts";
import {
  type ShareGroupDescribeResponse,
  ShareGroupDescribeSpec,
} from "../../src/protocol/messages/share_group_describe.ts";

const matrix = await backendMatrix();
const tools = await kafkaTools();
/** The Kafka line whose kafka-share-groups implements --reset-offsets (setup fetches its jars). */
const KAFKA_42 = "4.2.2";

for (const backend of matrix.backends) {
  Deno.test({
    name: `share group offsets (${backend.name}): kafka-share-groups --describe/--delete-offsets, ` +
      "AlterShareGroupOffsets, and Kafka's refusals",
    ignore: tools.ignore || backend.ignore,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      await backend.use();
      await withShareGateway("share-offsets", async ({ gw, wire, admin, producer }) => {
        const shareGroups = (...args: string[]) =>
          kafkaToolOk("kafka-share-groups", ["--bootstrap-server", gw.bootstrap, ...args]);
        const describe = async (group: string) => {
          const r = await wire.call<DescribeShareGroupOffsetsResponse>(DescribeShareGroupOffsetsSpec, 0, {
            groups: [{ groupId: group, topics: null }],
          });
          assertEquals(r.groups[0].errorCode, 0, r.groups[0].errorMessage ?? "");
          return r.groups[0].topics.flatMap((t) =>
            t.partitions.map((p) => [t.topicName, p.partitionIndex, p.startOffset])
          );
        };
        const alter = (group: string, startOffset: number) =>
          wire.call<AlterShareGroupOffsetsResponse>(AlterShareGroupOffsetsSpec, 0, {
            groupId: group,
            topics: [{ topicName: "so-t", partitions: [{ partitionIndex: 0, startOffset }] }],
          });
        const deleteOffsets = (group: string) =>
          wire.call<DeleteShareGroupOffsetsResponse>(DeleteShareGroupOffsetsSpec, 0, {
            groupId: group,
            topics: [{ topicName: "so-t" }],
          });
        await admin.createTopics({ topics: [{ topic: "so-t", numPartitions: 1 }] });
        await producer.send({
          topic: "so-t",
          messages: Array.from({ length: 6 }, (_, i) => ({ value: `v${i}` })),
        });
        await setGroupConfigs(wire, "sg-o", [["share.auto.offset.reset", "earliest"]]);

        // A consumer reads and accepts all six, then leaves: the start offset is 6.
        const first = await consumeAll(gw, "sg-o", "so-t", 3_000);
        assertEquals(first.records().map((r) => r[0]), [0, 1, 2, 3, 4, 5]);
        assertEquals(await describe("sg-o"), [["so-t", 0, 6]]);
        const described = await shareGroups("--describe", "--group", "sg-o");
        assert(/^sg-o\s+so-t\s+0\s+6\s*$/m.test(described), described);

        // Moved back to 2: the next consumer gets 2-5 again, first deliveries of a fresh state.
        const altered = await alter("sg-o", 2);
        assertEquals([altered.errorCode, altered.responses[0].partitions[0].errorCode], [0, 0]);
        assertEquals(await describe("sg-o"), [["so-t", 0, 2]]);
        const second = await consumeAll(gw, "sg-o", "so-t", 3_000);
        assertEquals(second.records().map((r) => [r[0], r[1]]), [[2, 1], [3, 1], [4, 1], [5, 1]]);
        assertEquals(await describe("sg-o"), [["so-t", 0, 6]]);

        // Kafka 4.2's tool resets with AlterShareGroupOffsets: a dry run changes nothing, --execute does.
        const reset = (...args: string[]) =>
          kafkaToolOk("kafka-share-groups", [
            "--bootstrap-server",
            gw.bootstrap,
            "--reset-offsets",
            "--group",
            "sg-o",
            "--topic",
            "so-t",
            ...args,
          ], { env: { KAFKA_VERSION: KAFKA_42 } });
        const describe42 = () =>
          kafkaToolOk("kafka-share-groups", [
            "--bootstrap-server",
            gw.bootstrap,
            "--describe",
            "--group",
            "sg-o",
          ], {
            env: { KAFKA_VERSION: KAFKA_42 },
          });
        const dry = await reset("--to-earliest", "--dry-run");
        assert(/^sg-o\s+so-t\s+0\s+0\s*$/m.test(dry), dry);
        assertEquals(await describe("sg-o"), [["so-t", 0, 6]]);
        const executed = await reset("--to-earliest", "--execute");
        assert(/^sg-o\s+so-t\s+0\s+0\s*$/m.test(executed), executed);
        assertEquals(await describe("sg-o"), [["so-t", 0, 0]]);
        // and its --describe shows the lag (DescribeShareGroupOffsets v1, KIP-1226): none of the six complete
        assert(/^sg-o\s+so-t\s+0\s+0\s+6\s*$/m.test(await describe42()), "start 0, lag 6");
        const third = await consumeAll(gw, "sg-o", "so-t", 3_000);
        assertEquals(third.records().map((r) => [r[0], r[1]]), [0, 1, 2, 3, 4, 5].map((o) => [o, 1]));
        assert(/^sg-o\s+so-t\s+0\s+6\s+0\s*$/m.test(await describe42()), "all accepted: start 6, lag 0");

        // Deleted with the tool: nothing described; deleting again finds nothing.
        const deleted = await shareGroups("--delete-offsets", "--group", "sg-o", "--topic", "so-t");
        assert(/^so-t\s+Successful\s*$/m.test(deleted), deleted);
        assertEquals(await describe("sg-o"), []);
        const again = await deleteOffsets("sg-o");
        assertEquals(again.responses[0].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);

        // Refusals: an unknown group cannot have its offsets deleted; a classic group's id is another kind's.
        assertEquals((await deleteOffsets("sg-none")).errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
        await admin.setOffsets({
          groupId: "cg-o",
          topic: "so-t",
          partitions: [{ partition: 0, offset: "1" }],
        });
        assertEquals((await alter("cg-o", 0)).errorCode, ErrorCode.GROUP_ID_NOT_FOUND);

        // A group with a member: both refused with NON_EMPTY_GROUP, the tool says so.
        const member = await shareConsumer(gw, "sg-o", "so-t", "accept");
        try {
          await until("a member", 60_000, async () => {
            const d = await wire.call<ShareGroupDescribeResponse>(ShareGroupDescribeSpec, 1, {
              groupIds: ["sg-o"],
              includeAuthorizedOperations: false,
            });
            return d.groups[0].members.length === 1;
          }, [member]);
          const busy = await alter("sg-o", 0);
          assertEquals([busy.errorCode, busy.responses], [ErrorCode.NON_EMPTY_GROUP, []]);
          assertEquals((await deleteOffsets("sg-o")).errorCode, ErrorCode.NON_EMPTY_GROUP);
          const tool = await kafkaTool("kafka-share-groups", [
            "--bootstrap-server",
            gw.bootstrap,
            "--delete-offsets",
            "--group",
            "sg-o",
            "--topic",
            "so-t",
          ]);
          assert(
            /not empty|has members|NonEmptyGroup|GroupNotEmpty/i.test(tool.stdout + tool.stderr),
            tool.stdout + tool.stderr,
          );
        } finally {
          await member.stop();
        }
      });
    },
  });
}
