// Topic auto-creation against a real gateway process: --auto-create-metadata-response immediate (the creating
// Metadata lists the new partitions) and pending (as from Kafka: an error without partitions, the partitions on the
// next request), and names with Kafka's internal prefix "__" never created, by Metadata or Produce.
import { assertEquals } from "../unit/assert.ts";
import { runWithGateway } from "../helpers/gateway.ts";
import { wireCall } from "../helpers/wire.ts";
import { ErrorCode } from "../../src/protocol/errors.ts";
import { type MetadataResponse, MetadataSpec } from "../../src/protocol/messages/metadata.ts";
import { type ProduceResponse, ProduceSpec } from "../../src/protocol/messages/produce.ts";
import { buildBatch } from "../../src/records/batch.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

type Gw = Parameters<Parameters<typeof runWithGateway>[1]>[0];

/** Metadata v1 (kafka-go 0.2.1's version: auto-creates) for `names`: [name, error, partitions] per topic. */
async function metadata(gw: Gw, names: string[], version = 1): Promise<[string | null, number, number][]> {
  const res = await wireCall<MetadataResponse>(gw, MetadataSpec, version, {
    topics: names.map((name) => ({ topicId: "0".repeat(32), name })),
    allowAutoTopicCreation: true,
  });
  return res.topics.map((t) => [t.name, t.errorCode, t.partitions.length]);
}

async function allTopics(gw: Gw): Promise<string[]> {
  const res = await wireCall<MetadataResponse>(gw, MetadataSpec, 1, { topics: null });
  return res.topics.map((t) => t.name!).filter((n) =>
    n !== "__consumer_offsets" && n !== "__transaction_state"
  );
}

Deno.test({
  name: "auto-create immediate (default): the creating Metadata lists the new topic's partitions",
  ...opts,
  fn: () =>
    runWithGateway({ args: ["--num-partitions", "2"] }, async (gw) => {
      assertEquals(await metadata(gw, ["fresh"]), [["fresh", ErrorCode.NONE, 2]]);
      assertEquals(await metadata(gw, ["fresh"]), [["fresh", ErrorCode.NONE, 2]]);
    }),
});

Deno.test({
  name: "auto-create pending: LEADER_NOT_AVAILABLE without partitions first, then the topic as created",
  ...opts,
  fn: () =>
    runWithGateway(
      { args: ["--num-partitions", "2", "--auto-create-metadata-response", "pending"] },
      async (gw) => {
        assertEquals(await metadata(gw, ["fresh", "other"]), [
          ["fresh", ErrorCode.LEADER_NOT_AVAILABLE, 0],
          ["other", ErrorCode.LEADER_NOT_AVAILABLE, 0],
        ]);
        assertEquals(await metadata(gw, ["fresh"]), [["fresh", ErrorCode.NONE, 2]]);
        assertEquals(await metadata(gw, ["other"], 12), [["other", ErrorCode.NONE, 2]]);
        assertEquals((await allTopics(gw)).sort(), ["fresh", "other"]);
        // Produce still auto-creates and appends at once, whatever this option says
        const res = await wireCall<ProduceResponse>(gw, ProduceSpec, 3, {
          transactionalId: null,
          acks: 1,
          timeoutMs: 1000,
          topicData: [{ name: "produced", partitionData: [{ index: 0, records: await batch() }] }],
        });
        assertEquals(res.responses[0].partitionResponses[0].errorCode, ErrorCode.NONE);
      },
    ),
});

function batch(): Promise<Uint8Array> {
  return buildBatch({
    baseOffset: 0,
    records: [{
      offset: 0,
      timestamp: Date.now(),
      key: null,
      value: new TextEncoder().encode("v"),
      headers: [],
    }],
    compression: 0,
  });
}

Deno.test({
  name: "auto-create never creates a '__' topic: unknown, as with auto-creation off (Metadata and Produce)",
  ...opts,
  fn: () =>
    runWithGateway({}, async (gw) => {
      assertEquals(await metadata(gw, ["__internal_like", "__a b", "ok"]), [
        ["__internal_like", ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 0],
        ["__a b", ErrorCode.INVALID_TOPIC_EXCEPTION, 0],
        ["ok", ErrorCode.NONE, 1],
      ]);
      const res = await wireCall<ProduceResponse>(gw, ProduceSpec, 3, {
        transactionalId: null,
        acks: 1,
        timeoutMs: 1000,
        topicData: [{ name: "__produced", partitionData: [{ index: 0, records: await batch() }] }],
      });
      assertEquals(res.responses[0].partitionResponses[0].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      assertEquals(await allTopics(gw), ["ok"]);
    }),
});
