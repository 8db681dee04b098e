// KafkaJS 2.2.4 admin client against a real gateway process: topics created with configs (and validate_only,
// TOPIC_ALREADY_EXISTS, bad values), DescribeConfigs with sources and synonyms, AlterConfigs (replace-all) taking
// effect at once (max.message.bytes, compression.type, message.timestamp.type), partitions grown and used,
// DeleteRecords moving the low watermark, exact timestamp lookups, compaction seen by a KafkaJS reader, and topics
// really deleted.
import { Buffer } from "node:buffer";
import { join } from "node:path";
import { assert, assertEquals } from "../unit/assert.ts";
import { type RunningGateway, runWithGateway } from "../helpers/gateway.ts";
import {
  CompressionTypes,
  connectBroker,
  Kafka,
  kafkajs,
  kafkajsError,
  logLevel,
  readPartition,
} from "../helpers/kafkajs.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const TOPIC = kafkajs.ConfigResourceTypes.TOPIC;

function client(gw: RunningGateway) {
  return new Kafka({
    clientId: "admin-conformance",
    brokers: [gw.bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 2, initialRetryTime: 100 },
  });
}

const withGateway = (args: string[], fn: (gw: RunningGateway) => Promise<void>) =>
  runWithGateway({ args }, fn);

interface Entry {
  configName: string;
  configValue: string | null;
  readOnly: boolean;
  configSource: number;
  isSensitive: boolean;
  configSynonyms: { configName: string; configValue: string; configSource: number }[];
}

// deno-lint-ignore no-explicit-any
async function describe(admin: any, name: string, configNames?: string[]): Promise<Map<string, Entry>> {
  const r = await admin.describeConfigs({
    includeSynonyms: true,
    resources: [{ type: TOPIC, name, ...(configNames ? { configNames } : {}) }],
  });
  assertEquals(r.resources[0].errorCode, 0);
  return new Map((r.resources[0].configEntries as Entry[]).map((e) => [e.configName, e]));
}

/** The compression codec of every batch stored in the partition's first segment file. */
function storedCodecs(dataDir: string, topic: string): number[] {
  const data = Deno.readFileSync(join(dataDir, `${topic}-0`, "00000000000000000000.log"));
  const out: number[] = [];
  const dv = new DataView(data.buffer);
  for (let p = 0; p + 61 <= data.length; p += 12 + dv.getInt32(p + 8)) out.push(data[p + 22] & 7);
  return out;
}

Deno.test({
  name: "kafkajs admin: create with configs, describe, alter, bad values, effects, partitions, delete",
  ...opts,
  fn: () =>
    withGateway([], async (gw) => {
      const kafka = client(gw);
      const admin = kafka.admin();
      await admin.connect();
      const producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      const broker = await connectBroker(gw.bootstrap);
      try {
        // CreateTopics with configs; again -> TOPIC_ALREADY_EXISTS (KafkaJS answers false); validate_only.
        const configEntries = [
          { name: "retention.ms", value: "3600000" },
          { name: "cleanup.policy", value: "delete" },
          { name: "max.message.bytes", value: "3000" },
        ];
        assert(await admin.createTopics({ topics: [{ topic: "cfg", numPartitions: 2, configEntries }] }));
        assertEquals(await admin.createTopics({ topics: [{ topic: "cfg", numPartitions: 2 }] }), false);
        assert(
          await admin.createTopics({
            validateOnly: true,
            waitForLeaders: false,
            topics: [{ topic: "vo", numPartitions: 1 }],
          }),
        );
        assert(!(await admin.listTopics()).includes("vo"), "validate_only created nothing");
        const badCreate = await kafkajsError(
          admin.createTopics({
            topics: [{ topic: "bad", configEntries: [{ name: "retention.ms", value: "x" }] }],
          }),
        );
        assertEquals(badCreate.type, "INVALID_CONFIG");

        // DescribeConfigs: override first, defaults marked as defaults.
        let d = await describe(admin, "cfg");
        assertEquals(d.size, 36);
        const ret = d.get("retention.ms")!;
        assertEquals([ret.configValue, ret.configSource, ret.readOnly, ret.isSensitive], [
          "3600000",
          1,
          false,
          false,
        ]);
        assertEquals(ret.configSynonyms[0], {
          configName: "retention.ms",
          configValue: "3600000",
          configSource: 1,
        });
        const seg = d.get("segment.bytes")!;
        assertEquals([seg.configValue, seg.configSource], ["1073741824", 5]);
        assertEquals(seg.configSynonyms, [{
          configName: "log.segment.bytes",
          configValue: "1073741824",
          configSource: 5,
        }]);
        assertEquals([...(await describe(admin, "cfg", ["segment.ms"])).keys()], ["segment.ms"]);

        // max.message.bytes=3000 refuses a 5 KB batch; AlterConfigs replaces the whole set at once.
        const big = { topic: "cfg", messages: [{ partition: 0, value: "x".repeat(5000) }] };
        assertEquals((await kafkajsError(producer.send({ ...big, acks: -1 }))).type, "MESSAGE_TOO_LARGE");
        await admin.alterConfigs({
          validateOnly: false,
          resources: [{ type: TOPIC, name: "cfg", configEntries: [{ name: "segment.bytes", value: "500" }] }],
        });
        d = await describe(admin, "cfg");
        assertEquals(d.get("segment.bytes")!.configValue, "500");
        assertEquals([d.get("retention.ms")!.configValue, d.get("retention.ms")!.configSource], [
          "604800000",
          5,
        ]);
        assertEquals(d.get("max.message.bytes")!.configValue, "1048588");
        await producer.send(big); // accepted now
        const bad = await kafkajsError(admin.alterConfigs({
          validateOnly: false,
          resources: [{ type: TOPIC, name: "cfg", configEntries: [{ name: "segment.bytes", value: "1" }] }],
        }));
        assertEquals(bad.type, "INVALID_CONFIG"); // (KafkaJS drops the message naming the key; see ck_admin)
        await admin.alterConfigs({
          validateOnly: true,
          resources: [{ type: TOPIC, name: "cfg", configEntries: [{ name: "segment.bytes", value: "999" }] }],
        });
        assertEquals(
          (await describe(admin, "cfg", ["segment.bytes"])).get("segment.bytes")!.configValue,
          "500",
        );

        // Partitions grown and used.
        await admin.createPartitions({ topicPartitions: [{ topic: "cfg", count: 4 }] });
        const md = await admin.fetchTopicMetadata({ topics: ["cfg"] });
        assertEquals(md.topics[0].partitions.length, 4);
        // A client that learns the new count (KafkaJS keeps its metadata for metadataMaxAge otherwise).
        const fresh = kafka.producer({ allowAutoTopicCreation: false });
        await fresh.connect();
        await fresh.send({ topic: "cfg", messages: [{ partition: 3, key: "k", value: "on partition 3" }] });
        await fresh.disconnect();
        const p3 = await readPartition(broker, "cfg", 3, 1);
        assertEquals([p3[0].offset, String(p3[0].value)], ["0", "on partition 3"]);
        const shrink = await kafkajsError(
          admin.createPartitions({ topicPartitions: [{ topic: "cfg", count: 2 }] }),
        );
        assertEquals(shrink.type, "INVALID_PARTITIONS");

        // compression.type=zstd recompresses what the producer sent uncompressed; LogAppendTime stamps.
        await admin.createTopics({
          topics: [{
            topic: "rz",
            configEntries: [{ name: "compression.type", value: "zstd" }, {
              name: "message.timestamp.type",
              value: "LogAppendTime",
            }],
          }],
        });
        const before = Date.now();
        await producer.send({
          topic: "rz",
          compression: CompressionTypes.GZIP,
          messages: Array.from(
            { length: 5 },
            (_, i) => ({ key: `k${i}`, value: `v${i}`, timestamp: "1000" }),
          ),
        });
        assertEquals(storedCodecs(gw.dataDir, "rz"), [4]);
        const rz = await readPartition(broker, "rz", 0, 5);
        assertEquals(
          rz.map((m) => [String(m.key), String(m.value)]),
          [0, 1, 2, 3, 4].map((i) => [`k${i}`, `v${i}`]),
        );
        assert(rz.every((m) => Number(m.timestamp) >= before), "LogAppendTime");
        await admin.alterConfigs({
          validateOnly: false,
          resources: [{
            type: TOPIC,
            name: "rz",
            configEntries: [{ name: "compression.type", value: "producer" }],
          }],
        });
        await producer.send({ topic: "rz", compression: CompressionTypes.GZIP, messages: [{ value: "g" }] });
        assertEquals(storedCodecs(gw.dataDir, "rz"), [4, 1]);

        // Exact timestamp lookup inside one compressed batch, DeleteRecords, then a real delete.
        await admin.createTopics({ topics: [{ topic: "ts" }] });
        const t0 = 1_700_000_000_000;
        await producer.send({
          topic: "ts",
          compression: CompressionTypes.GZIP,
          messages: [0, 30, 10, 40, 20].map((d) => ({ value: `at+${d}`, timestamp: String(t0 + d) })),
        });
        const byTs = async (ts: number) => (await admin.fetchTopicOffsetsByTimestamp("ts", ts))[0].offset;
        assertEquals(await byTs(t0), "0");
        assertEquals(await byTs(t0 + 1), "1");
        assertEquals(await byTs(t0 + 31), "3");
        assertEquals(await byTs(t0 + 41), "5", "past the end: the high watermark");
        await admin.deleteTopicRecords({ topic: "ts", partitions: [{ partition: 0, offset: "3" }] });
        const off = (await admin.fetchTopicOffsets("ts"))[0];
        assertEquals([off.low, off.high], ["3", "5"]);
        assertEquals(await byTs(t0), "3", "lookups never answer below the low watermark");
        const rest = await readPartition(broker, "ts", 0, 2, { from: 3 });
        assertEquals(rest.map((m) => String(m.value)), ["at+40", "at+20"]);
        await admin.deleteTopics({ topics: ["ts"] });
        assert(!(await admin.listTopics()).includes("ts"));
        let gone = false;
        try {
          Deno.statSync(join(gw.dataDir, "ts-0"));
        } catch (e) {
          gone = e instanceof Deno.errors.NotFound;
        }
        assert(gone, "partition directory removed");
        await admin.createTopics({ topics: [{ topic: "ts" }] });
        assertEquals((await admin.fetchTopicOffsets("ts"))[0].high, "0", "recreated empty");
      } finally {
        await broker.disconnect();
        await producer.disconnect();
        await admin.disconnect();
      }
    }),
});

Deno.test({
  name:
    "kafkajs: a compacted topic read back keeps the latest value per key at its offset, tombstones dropped",
  ...opts,
  fn: () =>
    withGateway(["--log-cleaner-backoff-ms", "200"], async (gw) => {
      const kafka = client(gw);
      const admin = kafka.admin();
      await admin.connect();
      const producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      const broker = await connectBroker(gw.bootstrap);
      try {
        await admin.createTopics({
          topics: [{
            topic: "compacted",
            configEntries: [
              { name: "cleanup.policy", value: "compact" },
              { name: "segment.bytes", value: "200" },
              { name: "min.cleanable.dirty.ratio", value: "0.01" },
              { name: "delete.retention.ms", value: "100" },
            ],
          }],
        });
        // Records without a key are refused on a compacted topic.
        const noKey = await kafkajsError(producer.send({ topic: "compacted", messages: [{ value: "x" }] }));
        assertEquals(noKey.type, "INVALID_RECORD");
        const writes: [string, string | null][] = [
          ["a", "a1"],
          ["b", "b1"],
          ["a", "a2"],
          ["c", "c1"],
          ["b", null],
          ["a", "a3"],
          ["d", "d1"],
        ];
        for (const [k, v] of writes) {
          await producer.send({ topic: "compacted", messages: [{ key: k, value: v === null ? null : v }] });
        }
        for (let i = 0; i < 4; i++) {
          await producer.send({ topic: "compacted", messages: [{ key: `pad${i}`, value: "p".repeat(150) }] });
        }
        /** Every record from offset 0 to the high watermark, fetch after fetch (gaps are skipped). */
        const readAll = async () => {
          const out: [string, string, string | null][] = [];
          let offset = 0;
          for (;;) {
            const res = await broker.fetch({
              maxWaitTime: 10,
              topics: [{
                topic: "compacted",
                partitions: [{ partition: 0, fetchOffset: String(offset), maxBytes: 1 << 20 }],
              }],
            });
            const p = res.responses[0].partitions[0];
            for (const m of p.messages) {
              if (Number(m.offset) < offset) continue;
              out.push([m.offset, String(m.key), m.value === null ? null : Buffer.from(m.value).toString()]);
              offset = Number(m.offset) + 1;
            }
            if (p.messages.length === 0 || offset >= Number(p.highWatermark)) return out;
          }
        };
        const deadline = Date.now() + 20_000;
        let seen: [string, string, string | null][] = [];
        while (Date.now() < deadline) {
          seen = (await readAll()).filter((m) => !m[1].startsWith("pad"));
          if (seen.length === 3) break;
          await new Promise((r) => setTimeout(r, 200));
        }
        assertEquals(seen, [["3", "c", "c1"], ["5", "a", "a3"], ["6", "d", "d1"]]);
        assertEquals((await admin.fetchTopicOffsets("compacted"))[0].high, "11");
        assert(/compacted offsets below/.test(gw.logs()), "the cleaner logged its pass");
      } finally {
        await broker.disconnect();
        await producer.disconnect();
        await admin.disconnect();
      }
    }),
});
