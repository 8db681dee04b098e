// Topic configs and deletions on the SeaweedMQ backend, against a real SeaweedFS: configs SeaweedMQ cannot apply
// are reported read-only with the value it really behaves with and refused with a reason; retention.ms reaches
// SeaweedMQ's own TopicRetention (create, AlterConfigs, IncrementalAlterConfigs, broker default); retention.ms,
// retention.bytes and DeleteRecords delete whole log files in SeaweedFS and move the log start offset, records
// above stay readable (also through the broker), and all of it survives a gateway restart.
import { assert, assertEquals } from "../unit/assert.ts";
import { type RunningGateway, runWithGateway, startGateway } from "../helpers/gateway.ts";
import { connectBroker, Kafka, kafkajs, kafkajsError, logLevel, readPartition } from "../helpers/kafkajs.ts";
import { clusterForModule, type SeaweedFS } from "../helpers/seaweedfs.ts";
import { wireCall } from "../helpers/wire.ts";
import { SmqCluster } from "../../src/storage/seaweedmq/transport/cluster.ts";
import { Filer } from "../../src/storage/seaweedmq/transport/filer.ts";
import { RpcChannel } from "../../src/storage/seaweedmq/transport/grpc.ts";
import * as m from "../../src/storage/seaweedmq/transport/messages.ts";
import * as fm from "../../src/storage/seaweedmq/transport/filer_messages.ts";
import { partitionDir } from "../../src/storage/seaweedmq/partition.ts";
import { ErrorCode } from "../../src/protocol/errors.ts";
import { ConfigSource } from "../../src/configs/defs.ts";
import { type CreateTopicsResponse, CreateTopicsSpec } from "../../src/protocol/messages/create_topics.ts";
import {
  type DescribeConfigsResponse,
  DescribeConfigsSpec,
} from "../../src/protocol/messages/describe_configs.ts";
import {
  type IncrementalAlterConfigsResponse,
  IncrementalAlterConfigsSpec,
} from "../../src/protocol/messages/incremental_alter_configs.ts";

const cluster = await clusterForModule();
const opts = { sanitizeOps: false, sanitizeResources: false };
const TOPIC = kafkajs.ConfigResourceTypes.TOPIC;

function client(gw: RunningGateway) {
  return new Kafka({
    clientId: "smq-admin",
    brokers: [gw.bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 5, initialRetryTime: 200 },
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(v)}`);
    await sleep(250);
  }
}

/** A log file of a partition directory: its last offset (-1: no attribute, the partition's first file). */
interface LogFile {
  readonly name: string;
  readonly max: number;
  readonly bytes: number;
}

/** SeaweedFS seen directly (not through the gateway): the broker's topic configuration and the log files. */
class Smq {
  private readonly broker: RpcChannel;
  private readonly cl: SmqCluster;
  private readonly filer: Filer;

  constructor(c: SeaweedFS, readonly ns: string) {
    this.broker = new RpcChannel(c.broker);
    this.cl = new SmqCluster({ masters: [c.master], rpcTimeoutMs: 10_000, log: () => {} });
    this.filer = new Filer(this.cl, 10_000);
  }

  async open(): Promise<this> {
    await this.cl.refresh();
    return this;
  }

  close(): void {
    this.broker.close();
    this.cl.close();
  }

  list(dir: string): Promise<fm.Entry[]> {
    return this.filer.list(dir);
  }

  async retention(topic: string): Promise<m.TopicRetention | null> {
    return m.decodeGetTopicConfigurationResponse(
      await this.broker.unary(
        m.Rpc.GetTopicConfiguration,
        m.encodeTopicRequest({ namespace: this.ns, name: topic }),
        10_000,
      ),
    ).retention;
  }

  private async partition(topic: string): Promise<m.Partition> {
    const t = { namespace: this.ns, name: topic };
    const a = m.decodeLookupTopicBrokersResponse(
      await this.broker.unary(m.Rpc.LookupTopicBrokers, m.encodeTopicRequest(t), 10_000),
    );
    return a.sort((x, y) => x.partition.rangeStart - y.partition.rangeStart)[0].partition;
  }

  /** Partition 0's log files, oldest first. */
  async files(topic: string): Promise<LogFile[]> {
    const dir = partitionDir({ namespace: this.ns, name: topic }, await this.partition(topic));
    return (await this.filer.list(dir, "", true))
      .filter((e) => !e.isDirectory && !e.name.endsWith(".offset"))
      .map((e) => {
        const b = e.extended.get("offset_max");
        return {
          name: e.name,
          max: b?.length === 8 ? Number(new DataView(b.buffer, b.byteOffset).getBigInt64(0)) : -1,
          bytes: e.chunks.reduce((n, ch) => Math.max(n, ch.offset + ch.size), 0),
        };
      });
  }

  /** Values the broker's FetchMessage answers from `offset` (the gateway stores Kafka values verbatim). */
  async brokerValues(topic: string, offset: number, n: number): Promise<string[]> {
    const tp = m.encodeTopicPartition({ namespace: this.ns, name: topic }, await this.partition(topic));
    const res = m.decodeFetchMessageResponse(
      await this.broker.unary(
        m.Rpc.FetchMessage,
        m.encodeFetchMessageRequest({
          topicPartition: tp,
          startOffset: offset,
          maxBytes: 1 << 20,
          maxMessages: n,
        }),
        10_000,
      ),
    );
    assertEquals(res.nextOffset, offset + res.messages.length, "contiguous answer");
    return res.messages.map((x) => new TextDecoder().decode(x.value));
  }
}

let nsCounter = 0;
function namespace(): string {
  return `kafka_admin_${Date.now().toString(36)}_${nsCounter++}`;
}

/** Produces `n` records `${prefix}-${i}` to partition 0 and waits until the broker flushed them into a file. */
async function produceFile(gw: RunningGateway, smq: Smq, topic: string, prefix: string, n: number) {
  const producer = client(gw).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const [r] = await producer.send({
    topic,
    acks: -1,
    messages: Array.from({ length: n }, (_, i) => ({ partition: 0, value: `${prefix}-${i}` })),
  });
  await producer.disconnect();
  const last = Number(r.baseOffset) + n - 1;
  const files = await until(
    `${topic}: a file with offsets up to ${last}`,
    () => smq.files(topic),
    (fs) => fs.length > 0 && (last < n || fs[fs.length - 1].max === last),
  );
  // files are named by their first record's second: the next one starts in another second
  await sleep(1100);
  return files;
}

async function offsets(gw: RunningGateway, topic: string): Promise<{ low: number; high: number }> {
  const admin = client(gw).admin();
  await admin.connect();
  try {
    const o = (await admin.fetchTopicOffsets(topic)).find((x) => x.partition === 0)!;
    return { low: Number(o.low), high: Number(o.high) };
  } finally {
    await admin.disconnect();
  }
}

/** Fetches one record at `offset` through the gateway: its value, or the KafkaJS error name. */
async function fetchAt(gw: RunningGateway, topic: string, offset: number): Promise<string> {
  const b = await connectBroker(gw.bootstrap);
  try {
    const [msg] = await readPartition(b, topic, 0, 1, { from: offset, timeoutMs: 10_000 });
    return `${msg.offset}:${msg.value}`;
  } catch (e) {
    return (e as Error).name === "KafkaJSOffsetOutOfRange" ? "OFFSET_OUT_OF_RANGE" : String(e);
  } finally {
    await b.disconnect();
  }
}

async function incremental(
  gw: RunningGateway,
  resourceType: number,
  resourceName: string,
  configs: { name: string; configOperation: number; value: string | null }[],
  validateOnly = false,
) {
  const r = await wireCall<IncrementalAlterConfigsResponse>(gw, IncrementalAlterConfigsSpec, 1, {
    resources: [{ resourceType, resourceName, configs }],
    validateOnly,
  });
  return r.responses[0];
}

if (cluster) {
  const c = cluster;

  Deno.test({
    name:
      "seaweedmq admin: fixed configs read-only and refused with a reason, compaction and segment settings stored without effect, compact topics kept; retention.ms reaches SeaweedMQ",
    ...opts,
    fn: async () => {
      const ns = namespace();
      const smq = await new Smq(c, ns).open();
      try {
        await runWithGateway({ args: [...c.gatewayArgs, "--seaweedmq-namespace", ns] }, async (gw) => {
          const admin = client(gw).admin();
          await admin.connect();
          try {
            // cleanup.policy=delete: SeaweedMQ's retention applies
            assert(
              await admin.createTopics({
                topics: [{
                  topic: "cfg",
                  configEntries: [{ name: "retention.ms", value: "3600000" }, {
                    name: "cleanup.policy",
                    value: "delete",
                  }],
                }],
              }),
            );
            assertEquals(await smq.retention("cfg"), { retentionSeconds: 3600, enabled: true });

            const r = await admin.describeConfigs({
              includeSynonyms: true,
              resources: [{ type: TOPIC, name: "cfg" }],
            });
            const d = new Map<
              string,
              { configValue: string | null; readOnly: boolean; configSource: number }
            >(
              // deno-lint-ignore no-explicit-any
              r.resources[0].configEntries.map((e: any) => [e.configName, e]),
            );
            const row = (k: string) => [d.get(k)!.configValue, d.get(k)!.readOnly, d.get(k)!.configSource];
            const DEFAULT = ConfigSource.DEFAULT_CONFIG;
            // fixed: what SeaweedMQ really does, read-only; inert: accepted and stored, without effect (documented)
            assertEquals(row("cleanup.policy"), ["delete", false, ConfigSource.TOPIC_CONFIG]);
            assertEquals(row("segment.bytes"), ["1073741824", false, DEFAULT]);
            assertEquals(row("min.compaction.lag.ms"), ["0", false, DEFAULT]);
            assertEquals(row("file.delete.delay.ms"), ["0", true, DEFAULT]);
            assertEquals(row("local.retention.ms"), ["-2", true, DEFAULT]);
            assertEquals(row("retention.ms"), ["3600000", false, ConfigSource.TOPIC_CONFIG]);
            assertEquals(row("retention.bytes"), ["-1", false, DEFAULT]);
            assertEquals(row("max.message.bytes"), ["1048588", false, DEFAULT]);

            // v4 documentation says how SeaweedMQ differs; the broker resource says it of the synonyms too
            const docs = await wireCall<DescribeConfigsResponse>(gw, DescribeConfigsSpec, 4, {
              resources: [
                {
                  resourceType: 2,
                  resourceName: "cfg",
                  configurationKeys: ["cleanup.policy", "retention.ms", "segment.bytes", "preallocate"],
                },
                {
                  resourceType: 4,
                  resourceName: "1",
                  configurationKeys: ["log.segment.bytes", "log.cleaner.enable", "log.retention.hours"],
                },
              ],
              includeSynonyms: false,
              includeDocumentation: true,
            });
            const topicDocs = new Map(docs.results[0].configs.map((x) => [x.name, x]));
            assert(
              topicDocs.get("cleanup.policy")!.documentation!.endsWith(
                "On the SeaweedMQ backend: compact keeps every record: there is no compaction, so the latest " +
                  "value of each key (and every tombstone) is always there and older values are never removed; " +
                  "without delete, retention.ms and retention.bytes delete nothing, as in Kafka; with delete, " +
                  "retention applies.",
              ),
              topicDocs.get("cleanup.policy")!.documentation!,
            );
            assert(
              topicDocs.get("segment.bytes")!.documentation!.endsWith(
                "Accepted and stored; it has no effect on the SeaweedMQ backend: the SeaweedMQ broker decides " +
                  "its log files: one file per flush (its -logFlushInterval), deleted whole by retention.",
              ),
            );
            assertEquals(
              topicDocs.get("preallocate")!.documentation,
              "Read-only on the SeaweedMQ backend: the SeaweedMQ broker appends chunks to SeaweedFS volumes.",
            );
            assert(!/Read-only|no effect/.test(topicDocs.get("retention.ms")!.documentation ?? ""));
            const brokerRows = docs.results[1].configs.map((x) => [x.name, x.value, x.readOnly]);
            assertEquals(brokerRows, [
              ["log.cleaner.enable", "false", true],
              ["log.retention.hours", "168", false],
              ["log.segment.bytes", "1073741824", false],
            ]);
            assert(/no effect on the SeaweedMQ backend/.test(docs.results[1].configs[2].documentation ?? ""));

            // what Kafka Streams, Connect and MirrorMaker 2 create: compacted topics with segment settings
            const created = await wireCall<CreateTopicsResponse>(gw, CreateTopicsSpec, 7, {
              topics: [{
                name: "compacted",
                numPartitions: 1,
                replicationFactor: -1,
                assignments: [],
                configs: [
                  { name: "cleanup.policy", value: "compact" },
                  { name: "segment.bytes", value: "1048576" },
                  { name: "min.compaction.lag.ms", value: "100" },
                ],
              }],
              timeoutMs: 5000,
              validateOnly: false,
            });
            assertEquals(created.topics.map((t) => [t.name, t.errorCode]), [["compacted", 0]]);
            // compact only: nothing is deleted by time (SeaweedMQ's retention disabled), DeleteRecords refused
            assertEquals(await smq.retention("compacted"), { retentionSeconds: 0, enabled: false });
            const cd = await admin.describeConfigs({
              includeSynonyms: false,
              resources: [{ type: TOPIC, name: "compacted" }],
            });
            // deno-lint-ignore no-explicit-any
            const cv = new Map(cd.resources[0].configEntries.map((e: any) => [e.configName, e.configValue]));
            assertEquals(
              [cv.get("cleanup.policy"), cv.get("segment.bytes"), cv.get("min.compaction.lag.ms")],
              ["compact", "1048576", "100"],
            );
            const producer = client(gw).producer();
            await producer.connect();
            try {
              await producer.send({ topic: "compacted", messages: [{ key: "k", value: "v1" }] });
              const keyless = await kafkajsError(
                producer.send({ topic: "compacted", messages: [{ value: "no key" }] }),
              );
              assertEquals(keyless.type, "INVALID_RECORD", "a compacted topic refuses records without a key");
            } finally {
              await producer.disconnect();
            }
            const refused = await kafkajsError(
              admin.deleteTopicRecords({ topic: "compacted", partitions: [{ partition: 0, offset: "1" }] }),
            );
            assertEquals(refused.message, "Error while deleting records", JSON.stringify(refused));
            const [low] = await admin.fetchTopicOffsets("compacted");
            assertEquals([low.low, low.high], ["0", "1"], "DeleteRecords moved nothing (POLICY_VIOLATION)");

            // cleanup.policy delete,compact: retention applies; compact alone: it stops again
            const both = await incremental(gw, 2, "cfg", [{
              name: "cleanup.policy",
              configOperation: 2,
              value: "compact",
            }]);
            assertEquals(both.errorCode, 0);
            assertEquals(await smq.retention("cfg"), { retentionSeconds: 3600, enabled: true });
            const compactOnly = await incremental(gw, 2, "cfg", [{
              name: "cleanup.policy",
              configOperation: 0,
              value: "compact",
            }]);
            assertEquals(compactOnly.errorCode, 0);
            assertEquals(await smq.retention("cfg"), { retentionSeconds: 0, enabled: false });
            const back = await incremental(gw, 2, "cfg", [{
              name: "cleanup.policy",
              configOperation: 1,
              value: null,
            }]);
            assertEquals(back.errorCode, 0);
            assertEquals(await smq.retention("cfg"), { retentionSeconds: 3600, enabled: true });
            const brokerSeg = await incremental(gw, 4, "", [{
              name: "log.segment.bytes",
              configOperation: 0,
              value: "1000000",
            }]);
            assertEquals(brokerSeg.errorCode, 0, "an inert broker synonym is accepted too");
            // a fixed one is still refused, naming why
            const prealloc = await incremental(gw, 2, "cfg", [{
              name: "preallocate",
              configOperation: 0,
              value: "true",
            }]);
            assertEquals([prealloc.errorCode, prealloc.errorMessage], [
              ErrorCode.INVALID_CONFIG,
              "preallocate=true is not supported on the SeaweedMQ backend: the SeaweedMQ broker appends chunks to " +
              "SeaweedFS volumes (only preallocate=false is accepted)",
            ]);

            // retention.ms through AlterConfigs, then IncrementalAlterConfigs, lands in SeaweedMQ's TopicRetention
            await admin.alterConfigs({
              validateOnly: false,
              resources: [{
                type: TOPIC,
                name: "cfg",
                configEntries: [{ name: "retention.ms", value: "7200500" }],
              }],
            });
            assertEquals(await smq.retention("cfg"), { retentionSeconds: 7201, enabled: true });
            const forever = await incremental(gw, 2, "cfg", [{
              name: "retention.ms",
              configOperation: 0,
              value: "-1",
            }]);
            assertEquals(forever.errorCode, 0);
            assertEquals(await smq.retention("cfg"), { retentionSeconds: 0, enabled: false });
            const del = await incremental(gw, 2, "cfg", [{
              name: "retention.ms",
              configOperation: 1,
              value: null,
            }]);
            assertEquals(del.errorCode, 0);
            assertEquals(await smq.retention("cfg"), { retentionSeconds: 604800, enabled: true });

            // a new broker default reaches the topics without their own retention.ms, and only those
            await admin.createTopics({
              topics: [{ topic: "own", configEntries: [{ name: "retention.ms", value: "60000" }] }],
            });
            const dflt = await incremental(gw, 4, "", [{
              name: "log.retention.ms",
              configOperation: 0,
              value: "5000000",
            }]);
            assertEquals(dflt.errorCode, 0);
            await until(
              "cfg follows the broker default",
              () => smq.retention("cfg"),
              (x) => x?.retentionSeconds === 5000 && x.enabled,
            );
            assertEquals(await smq.retention("own"), { retentionSeconds: 60, enabled: true });
            const cfg = await admin.describeConfigs({
              includeSynonyms: false,
              resources: [{ type: TOPIC, name: "cfg", configNames: ["retention.ms"] }],
            });
            assertEquals(cfg.resources[0].configEntries[0].configValue, "5000000");
          } finally {
            await admin.disconnect();
          }
        });
      } finally {
        smq.close();
      }
    },
  });

  Deno.test({
    name:
      "seaweedmq admin: retention and DeleteRecords delete whole log files, move the log start, survive a restart",
    ...opts,
    fn: async () => {
      const ns = namespace();
      const smq = await new Smq(c, ns).open();
      const args = [...c.gatewayArgs, "--seaweedmq-namespace", ns, "--retention-check-interval-ms", "300"];
      let gw = await startGateway({ args });
      const dataDir = gw.dataDir;
      const alter = async (topic: string, configEntries: { name: string; value: string }[]) => {
        const admin = client(gw).admin();
        await admin.connect();
        await admin.alterConfigs({
          validateOnly: false,
          resources: [{ type: TOPIC, name: topic, configEntries }],
        });
        await admin.disconnect();
      };
      try {
        const admin = client(gw).admin();
        await admin.connect();
        await admin.createTopics({ topics: [{ topic: "ret" }, { topic: "dr" }] });
        await admin.disconnect();

        // five flushes of 400 records: five log files, offsets 0-399 (no offset attributes), ..., 1600-1999
        let files: LogFile[] = [];
        for (let f = 0; f < 5; f++) files = await produceFile(gw, smq, "ret", `r${f}`, 400);
        assertEquals(files.map((f) => f.max), [-1, 799, 1199, 1599, 1999]);

        // retention.bytes = the two newest files: the older ones go while the rest stays >= retention.bytes
        await alter("ret", [{ name: "retention.bytes", value: String(files[3].bytes + files[4].bytes) }]);
        await until("ret log start", () => offsets(gw, "ret"), (o) => o.low === 1200 && o.high === 2000);
        // gone: the files below the broker's read block of the log start (1000); 800-1199 waits for the next block
        assertEquals((await smq.files("ret")).map((f) => f.name), files.slice(2).map((f) => f.name));
        assertEquals(await fetchAt(gw, "ret", 1199), "OFFSET_OUT_OF_RANGE");
        assertEquals(await fetchAt(gw, "ret", 1200), "1200:r3-0");
        assertEquals(await smq.brokerValues("ret", 1200, 2), ["r3-0", "r3-1"], "the broker reads right too");

        // retention.ms (AlterConfigs replaces the set: retention.bytes is back to -1): after one more flush,
        // every file but the newest is older than 2 s
        await alter("ret", [{ name: "retention.ms", value: "2000" }]);
        assertEquals(await smq.retention("ret"), { retentionSeconds: 2, enabled: true });
        await produceFile(gw, smq, "ret", "r5", 400);
        await until("ret log start", () => offsets(gw, "ret"), (o) => o.low === 2000 && o.high === 2400);
        const left = await until("ret files", () => smq.files("ret"), (fs) => fs.length === 1);
        assertEquals(left.map((f) => f.max), [2399], "the newest file stays");
        assertEquals(await fetchAt(gw, "ret", 1999), "OFFSET_OUT_OF_RANGE");
        assertEquals(await fetchAt(gw, "ret", 2000), "2000:r5-0");
        assertEquals(await smq.brokerValues("ret", 2300, 2), ["r5-300", "r5-301"]);

        // DeleteRecords: the low watermark moves at once, whole files below the read block of 1300 go with it
        for (let f = 0; f < 3; f++) files = await produceFile(gw, smq, "dr", `d${f}`, 600);
        assertEquals(files.map((f) => f.max), [-1, 1199, 1799]);
        const admin2 = client(gw).admin();
        await admin2.connect();
        await admin2.fetchTopicMetadata({ topics: ["dr"] });
        await admin2.deleteTopicRecords({ topic: "dr", partitions: [{ partition: 0, offset: "1300" }] });
        await admin2.disconnect();
        assertEquals(await offsets(gw, "dr"), { low: 1300, high: 1800 });
        assertEquals((await smq.files("dr")).map((f) => f.max), [1199, 1799]);
        assertEquals(await fetchAt(gw, "dr", 1299), "OFFSET_OUT_OF_RANGE");
        assertEquals(await fetchAt(gw, "dr", 1300), "1300:d2-100");
        assertEquals(await smq.brokerValues("dr", 1300, 1), ["d2-100"]);
        assert(/dr-0: DeleteRecords deleted 1 log file\(s\)/.test(gw.logs()), "logged");

        // a restarted gateway (nothing kept locally but meta.properties) knows both log starts
        await gw.stop();
        gw = await startGateway({ args, dataDir });
        assertEquals(await offsets(gw, "ret"), { low: 2000, high: 2400 });
        assertEquals(await offsets(gw, "dr"), { low: 1300, high: 1800 });
        assertEquals(await fetchAt(gw, "dr", 1299), "OFFSET_OUT_OF_RANGE");
        assertEquals(await fetchAt(gw, "dr", 1300), "1300:d2-100");
        assertEquals(await fetchAt(gw, "ret", 2001), "2001:r5-1");
      } catch (e) {
        console.error(`--- gateway log (last 60 lines) ---\n${gw.logs().split("\n").slice(-60).join("\n")}`);
        throw e;
      } finally {
        await gw.stop();
        smq.close();
        await Deno.remove(dataDir, { recursive: true }).catch(() => {});
      }
    },
  });

  Deno.test({
    name: "seaweedmq admin: a grown topic's earlier layout is reclaimed by retention and DeleteRecords",
    ...opts,
    fn: async () => {
      const ns = namespace();
      const smq = await new Smq(c, ns).open();
      const args = [...c.gatewayArgs, "--seaweedmq-namespace", ns, "--retention-check-interval-ms", "300"];
      const gw = await startGateway({ args });
      const admin = client(gw).admin();
      /** Log files of partition 0 in the topic's earliest layout directory. */
      const sealedFiles = async (topic: string) => {
        const versions = (await smq.list(`/topics/${ns}/${topic}`)).filter((e) => e.isDirectory).map((e) =>
          e.name
        )
          .sort();
        const first = `/topics/${ns}/${topic}/${versions[0]}`;
        const part = (await smq.list(first)).filter((e) => e.isDirectory).map((e) => e.name).sort()[0];
        return (await smq.list(`${first}/${part}`)).filter((e) =>
          !e.isDirectory && !e.name.endsWith(".offset")
        );
      };
      try {
        await admin.connect();
        await admin.createTopics({ topics: [{ topic: "gr" }, { topic: "gd" }] });
        for (const t of ["gr", "gd"]) {
          await produceFile(gw, smq, t, `${t}a`, 300);
          await produceFile(gw, smq, t, `${t}b`, 300);
        }
        await admin.createPartitions({
          topicPartitions: [{ topic: "gr", count: 2 }, { topic: "gd", count: 2 }],
        });
        assertEquals((await sealedFiles("gr")).length, 2);
        // partition 0 continues at the next read block of the broker (1000) in the new layout
        const files = await produceFile(gw, smq, "gr", "grc", 200);
        assertEquals(files.map((f) => f.max), [1199]);
        assertEquals(await offsets(gw, "gr"), { low: 0, high: 1200 });
        assertEquals(await fetchAt(gw, "gr", 599), "599:grb-299");
        assertEquals(await fetchAt(gw, "gr", 600), "1000:grc-0");
        // read back from disk by a restarted broker: its blocks of 1000 offsets line up with the new layout
        await c.stopBroker();
        await c.startBroker();
        assertEquals(
          await until(
            "broker back",
            () => smq.brokerValues("gr", 1000, 2).catch(() => []),
            (v) => v.length === 2,
          ),
          ["grc-0", "grc-1"],
        );

        // retention.bytes = what the current layout holds: the earlier layout goes, the log start moves past it
        await admin.alterConfigs({
          validateOnly: false,
          resources: [{
            type: TOPIC,
            name: "gr",
            configEntries: [{ name: "retention.bytes", value: String(files[0].bytes) }],
          }],
        });
        await until("gr log start", () => offsets(gw, "gr"), (o) => o.low === 1000 && o.high === 1200);
        assertEquals(await sealedFiles("gr"), []);
        assertEquals(await fetchAt(gw, "gr", 999), "OFFSET_OUT_OF_RANGE");
        assertEquals(await fetchAt(gw, "gr", 1000), "1000:grc-0");

        // DeleteRecords inside the earlier layout: its whole files below the log start go (no broker reads there)
        await admin.fetchTopicMetadata({ topics: ["gd"] });
        await admin.deleteTopicRecords({ topic: "gd", partitions: [{ partition: 0, offset: "400" }] });
        assertEquals(await offsets(gw, "gd"), { low: 400, high: 1000 });
        assertEquals((await sealedFiles("gd")).length, 1);
        assertEquals(await fetchAt(gw, "gd", 399), "OFFSET_OUT_OF_RANGE");
        assertEquals(await fetchAt(gw, "gd", 400), "400:gdb-100");
      } catch (e) {
        console.error(`--- gateway log (last 60 lines) ---\n${gw.logs().split("\n").slice(-60).join("\n")}`);
        throw e;
      } finally {
        await admin.disconnect();
        await gw.stop();
        smq.close();
      }
    },
  });

  Deno.test({
    name: "seaweedmq: stop the SeaweedFS cluster of this module",
    ...opts,
    fn: () => c.stop(),
  });
}
