// Share groups against Apache Kafka 4.1.1 and 4.2.2 (group.share.enable, share.version=1): the same sequence of Java
// KafkaShareConsumers (kafka-clients 4.1.1) and share-group admin requests on a fresh single-node Kafka and on the
// gateway, each step's outcome recorded in one transcript per broker, and the two transcripts compared: the records
// each consumer got with their delivery counts (RELEASE brings a record back once, REJECT never), the start
// offsets DescribeShareGroupOffsets reports, what AlterShareGroupOffsets and DeleteShareGroupOffsets answer
// (codes, per partition and topic) for an empty group, a group with a member, an unknown group, another kind's
// group, unknown topics and partitions. Not compared, printed: free text, leader epochs, start offset values (Kafka
// 4.1.1 answers the one its leader last wrote, which lags: 0 after four records were all acknowledged; the gateway
// the current one; 4.2.2 lags too; whether a partition has state is compared, and against 4.2.2 the share-partition
// lag of DescribeShareGroupOffsets v1, KIP-1226), and, against 4.1.1 only,
// AlterShareGroupOffsets, which Kafka 4.1.1 answers with success and no topics whatever the request, changing
// nothing (its tool says "not yet implemented"; 4.2.2 serves it and is compared). Known differences are allowed
// step by step, each explained at RELEASES.
import { assertEquals } from "../unit/assert.ts";
import { type ApacheKafka, kafkaToolOk, kafkaTools, startApacheKafka } from "../helpers/apache_kafka.ts";
import { startGateway } from "../helpers/gateway.ts";
import { Kafka, logLevel } from "../helpers/kafkajs.ts";
import { WireClient } from "../helpers/wire.ts";
import { consumeAll, setGroupConfigs, shareConsumer, until } from "../helpers/share_consumers.ts";
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

const tools = await kafkaTools();

/** Each step's name and outcome; `compared` false: printed only (see the header). */
type Transcript = { step: string; outcome: unknown; compared: boolean }[];

/** The sequence, run against the broker at `bootstrap` (its port for the wire requests). */
async function run(
  bootstrap: string,
  alterCompared: boolean,
  describeVersion: number,
): Promise<{ transcript: Transcript; printed: unknown[] }> {
  const port = Number(bootstrap.slice(bootstrap.lastIndexOf(":") + 1));
  const out: Transcript = [];
  const printed: unknown[] = [];
  const step = (name: string, outcome: unknown, compared = true) =>
    out.push({ step: name, outcome, compared });
  const wire = await WireClient.connect(port);
  const kafka = new Kafka({ clientId: "share-diff", brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer();
  const gw = { bootstrap };
  const send = (topic: string, ...values: string[]) =>
    producer.send({ topic, messages: values.map((value) => ({ value })) });
  const describe = async (groupId: string, topics: { topicName: string; partitions: number[] }[] | null) => {
    const r = await wire.call<DescribeShareGroupOffsetsResponse>(
      DescribeShareGroupOffsetsSpec,
      describeVersion,
      {
        groups: [{ groupId, topics }],
      },
    );
    const g = r.groups[0];
    printed.push(
      g.topics.map((t) => t.partitions.map((p) => `${p.startOffset}@${p.leaderEpoch} lag ${p.lag}`)),
    );
    const state = (startOffset: number) => startOffset === -1 ? "none" : "some";
    return [
      g.errorCode,
      g.topics.map((
        t,
      ) => [
        t.topicName,
        t.partitions.map((p) => [
          p.partitionIndex,
          state(p.startOffset),
          p.errorCode,
          ...(describeVersion >= 1 ? [p.lag] : []),
        ]),
      ]),
    ];
  };
  const alter = async (groupId: string, topicName: string, partitionIndex: number, startOffset: number) => {
    const r = await wire.call<AlterShareGroupOffsetsResponse>(AlterShareGroupOffsetsSpec, 0, {
      groupId,
      topics: [{ topicName, partitions: [{ partitionIndex, startOffset }] }],
    });
    return [r.errorCode, r.responses.map((t) => [t.topicName, t.partitions.map((p) => p.errorCode)])];
  };
  const del = async (groupId: string, ...topics: string[]) => {
    const r = await wire.call<DeleteShareGroupOffsetsResponse>(DeleteShareGroupOffsetsSpec, 0, {
      groupId,
      topics: topics.map((topicName) => ({ topicName })),
    });
    return [r.errorCode, r.responses.map((t) => [t.topicName, t.errorCode])];
  };
  const got = (c: { records(): [number, number, string][] }) => c.records();
  try {
    await admin.connect();
    await producer.connect();
    await admin.createTopics({ topics: ["sd-acks", "sd-adm"].map((topic) => ({ topic, numPartitions: 1 })) });
    for (const g of ["sd-rel", "sd-adm"]) {
      await setGroupConfigs(wire, g, [["share.auto.offset.reset", "earliest"]]);
    }

    // Release and reject.
    await send("sd-acks", "a", "poison-1", "b");
    const rel = await shareConsumer(gw, "sd-rel", "sd-acks", "release-first");
    try {
      await until("released records back and accepted", 60_000, () => rel.acked() >= 6, [rel]);
    } finally {
      await rel.stop();
    }
    step("release-first", got(rel).sort((x, y) => x[1] - y[1] || x[0] - y[0]));
    await send("sd-acks", "d", "poison-2", "e");
    step("reject-poison", got(await consumeAll(gw, "sd-rel", "sd-acks")));
    step("after the rejects: described", await describe("sd-rel", null));

    // The admin side on an empty group.
    await send("sd-adm", "x0", "x1", "x2", "x3");
    step("consumed", got(await consumeAll(gw, "sd-adm", "sd-adm")));
    step("described", await describe("sd-adm", null));
    await send("sd-adm", "x4", "x5"); // not consumed: lag 2 from here on (v1)
    step(
      "described by name",
      await describe("sd-adm", [{ topicName: "sd-adm", partitions: [0, 5] }, {
        topicName: "nope",
        partitions: [0],
      }]),
    );
    step("alter unknown topic", await alter("sd-adm", "nope", 0, 0), alterCompared);
    step("alter unknown partition", await alter("sd-adm", "sd-adm", 3, 0), alterCompared);
    step("delete unknown topic", await del("sd-adm", "nope"));
    step("delete unknown group", await del("sd-none", "sd-adm"));
    await admin.setOffsets({
      groupId: "sd-classic",
      topic: "sd-adm",
      partitions: [{ partition: 0, offset: "1" }],
    });
    step("alter a classic group", await alter("sd-classic", "sd-adm", 0, 0), alterCompared);
    step("delete a classic group's", await del("sd-classic", "sd-adm"));

    // With a member.
    const member = await shareConsumer(gw, "sd-adm", "sd-adm", "accept");
    try {
      await until("a member", 60_000, async () => {
        const d = await wire.call<ShareGroupDescribeResponse>(ShareGroupDescribeSpec, 1, {
          groupIds: ["sd-adm"],
          includeAuthorizedOperations: false,
        });
        return d.groups[0].members.length === 1;
      }, [member]);
      step("alter with a member", await alter("sd-adm", "sd-adm", 0, 0), alterCompared);
      step("delete with a member", await del("sd-adm", "sd-adm"));
    } finally {
      await member.stop();
    }
  } finally {
    await producer.disconnect().catch(() => {});
    await admin.disconnect().catch(() => {});
    wire.close();
  }
  return { transcript: out, printed };
}

/** A step's outcome on Kafka and on the gateway that differ in a known, explained way. */
type Allowance = (kafka: unknown, gateway: unknown) => boolean;

/** [partition, delivery count, value] rows as the consumers print them. */
type Rows = [number, number, string][];

/** Named topics described in another order: the same when sorted by name. */
const topicOrder: Allowance = (kafka, gateway) => {
  const sorted = (o: unknown) => {
    const [code, topics] = o as [number, [string, unknown][]];
    return JSON.stringify([code, [...topics].sort((a, b) => a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)]);
  };
  return sorted(kafka) === sorted(gateway);
};

/** The same records in the same order, each delivered as often on Kafka or once more. */
const oneMoreDelivery: Allowance = (kafka, gateway) => {
  const [k, g] = [kafka as Rows, gateway as Rows];
  return k.length === g.length &&
    k.every((r, i) => r[0] === g[i][0] && r[2] === g[i][2] && r[1] - g[i][1] >= 0 && r[1] - g[i][1] <= 1);
};

/**
 * The Kafka releases compared with: whether the release really serves AlterShareGroupOffsets (4.1.1 answers
 * success and changes nothing), and the differences allowed, each explained:
 * - 4.1.1 "described by name": it answers the named topics that do not exist first; the gateway answers in the
 *   request's order, as 4.2.2 does.
 * - 4.2.2 "reject-poison": the records produced right after the release-first consumer was killed (SIGTERM, no
 *   close) reach the next consumer with delivery count 2 (in each local run): Kafka 4.2.2 completes the dead
 *   consumer's waiting ShareFetch with them, which counts a delivery and keeps them locked until the lock passes. The gateway undoes
 *   an acquisition whose connection has closed, so they come with count 1 (as on 4.1.1) and at once.
 */
const RELEASES: {
  version: string;
  alterCompared: boolean;
  /** DescribeShareGroupOffsets v1 has the lag (KIP-1226, 4.2). */
  describeVersion: number;
  allow: Record<string, Allowance>;
}[] = [
  { version: "4.1.1", alterCompared: false, describeVersion: 0, allow: { "described by name": topicOrder } },
  { version: "4.2.2", alterCompared: true, describeVersion: 1, allow: { "reject-poison": oneMoreDelivery } },
];

for (const { version, alterCompared, describeVersion, allow } of RELEASES) {
  Deno.test({
    name:
      `share groups: the same consumers and admin requests on Apache Kafka ${version} and the gateway, same outcomes`,
    ignore: tools.ignore,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      let kafka: ApacheKafka | null = null;
      const gw = await startGateway({ args: ["--group-share-enable"] });
      try {
        kafka = await startApacheKafka(["group.share.enable=true"], version);
        await kafkaToolOk("kafka-features", [
          "--bootstrap-server",
          kafka.bootstrap,
          "upgrade",
          "--feature",
          "share.version=1",
        ]);
        const theirs = await run(kafka.bootstrap, alterCompared, describeVersion);
        const ours = await run(gw.bootstrap, alterCompared, describeVersion);
        console.log(
          `start offsets@leader epochs (and lags) described: Kafka ${JSON.stringify(theirs.printed)}, ` +
            `gateway ${JSON.stringify(ours.printed)}`,
        );
        const differ: string[] = [];
        for (let i = 0; i < Math.max(theirs.transcript.length, ours.transcript.length); i++) {
          const [k, g] = [theirs.transcript[i], ours.transcript[i]];
          const [a, b] = [JSON.stringify(k?.outcome), JSON.stringify(g?.outcome)];
          if (k?.step !== g?.step) differ.push(`step ${i}: Kafka ${k?.step}, gateway ${g?.step}`);
          else if (!k.compared) console.log(`${k.step} (not compared): Kafka ${a}, gateway ${b}`);
          else if (a === b) continue;
          else if (allow[k.step]?.(k.outcome, g.outcome)) {
            console.log(`${k.step} (allowed): Kafka ${a}, gateway ${b}`);
          } else differ.push(`${k.step}:\n  Kafka   ${a}\n  gateway ${b}`);
        }
        assertEquals(differ, [], differ.join("\n"));
      } finally {
        await kafka?.stop();
        await gw.stop();
      }
    },
  });
}
