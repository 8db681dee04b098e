// Admin APIs no installed client speaks, checked on the wire against a real gateway process: DescribeLogDirs v0-4
// (sizes equal to the segment files on disk, volume bytes), the cluster-wide default broker resource ("") of
// DescribeConfigs / IncrementalAlterConfigs persisting across a restart, DescribeConfigs v4 documentation and
// types, CreateTopics v7 returning every config with its source, and ApiVersions advertising the new APIs.
import { join } from "node:path";
import { assert, assertEquals } from "../unit/assert.ts";
import { type RunningGateway, startGateway } from "../helpers/gateway.ts";
import { wireCall } from "../helpers/wire.ts";
import { type ApiVersionsResponse, ApiVersionsSpec } from "../../src/protocol/messages/api_versions.ts";
import { type CreateTopicsResponse, CreateTopicsSpec } from "../../src/protocol/messages/create_topics.ts";
import {
  type DescribeConfigsResponse,
  DescribeConfigsSpec,
} from "../../src/protocol/messages/describe_configs.ts";
import {
  type IncrementalAlterConfigsResponse,
  IncrementalAlterConfigsSpec,
} from "../../src/protocol/messages/incremental_alter_configs.ts";
import {
  type DescribeLogDirsResponse,
  DescribeLogDirsSpec,
} from "../../src/protocol/messages/describe_log_dirs.ts";
import { ProduceSpec } from "../../src/protocol/messages/produce.ts";
import { buildBatch } from "../../src/records/batch.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

async function produce(gw: RunningGateway, topic: string, partition: number, n: number): Promise<void> {
  const batch = await buildBatch({
    records: Array.from({ length: n }, (_, i) => ({ value: new TextEncoder().encode(`value-${i}`) })),
  });
  await wireCall(gw, ProduceSpec, 9, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }],
  });
}

function dirSize(dir: string): number {
  let n = 0;
  for (const e of Deno.readDirSync(dir)) {
    if (e.name.endsWith(".log")) n += Deno.statSync(join(dir, e.name)).size;
  }
  return n;
}

Deno.test({
  name: "wire: DescribeLogDirs, broker default resource, DescribeConfigs v4 docs, CreateTopics v7 configs",
  ...opts,
  fn: async () => {
    let gw = await startGateway();
    const dataDir = gw.dataDir;
    try {
      const versions = await wireCall<ApiVersionsResponse>(gw, ApiVersionsSpec, 3, {
        clientSoftwareName: "t",
        clientSoftwareVersion: "1",
      });
      const adv = new Map(versions.apiKeys.map((k) => [k.apiKey, [k.minVersion, k.maxVersion]]));
      for (const [key, max] of [[21, 2], [32, 4], [33, 2], [35, 4], [37, 3], [44, 1]]) {
        assertEquals(adv.get(key), [0, max], `api ${key}`);
      }

      // CreateTopics v7: every topic config with its effective value and source.
      const created = await wireCall<CreateTopicsResponse>(gw, CreateTopicsSpec, 7, {
        topics: [{
          name: "dirs",
          numPartitions: 2,
          replicationFactor: -1,
          assignments: [],
          configs: [{ name: "retention.bytes", value: "1000000" }],
        }],
        timeoutMs: 5000,
        validateOnly: false,
      });
      const t = created.topics[0];
      assertEquals([t.errorCode, t.numPartitions, t.replicationFactor], [0, 2, 1]);
      const cfg = new Map(t.configs!.map((c) => [c.name, c]));
      assertEquals(cfg.size, 36);
      assertEquals([cfg.get("retention.bytes")!.value, cfg.get("retention.bytes")!.configSource], [
        "1000000",
        1,
      ]);
      assertEquals([cfg.get("segment.ms")!.value, cfg.get("segment.ms")!.configSource], ["604800000", 5]);

      await produce(gw, "dirs", 0, 10);
      await produce(gw, "dirs", 1, 3);
      for (const v of [0, 1, 2, 3, 4]) {
        const all = await wireCall<DescribeLogDirsResponse>(gw, DescribeLogDirsSpec, v, { topics: null });
        assertEquals(all.results.length, 1);
        const d = all.results[0];
        assertEquals([d.errorCode, d.logDir], [0, dataDir]);
        const topic = d.topics.find((x) => x.name === "dirs")!;
        assertEquals(
          topic.partitions.map((p) => [p.partitionIndex, p.partitionSize, p.offsetLag, p.isFutureKey]),
          [
            [0, dirSize(join(dataDir, "dirs-0")), 0, false],
            [1, dirSize(join(dataDir, "dirs-1")), 0, false],
          ],
        );
        const [total, usable] = [d.totalBytes ?? -1, d.usableBytes ?? -1]; // v4+
        if (v >= 4) assert(total > 0 && usable > 0 && usable <= total);
        else assertEquals([d.totalBytes, d.usableBytes], [-1, -1]);
      }
      assert(dirSize(join(dataDir, "dirs-0")) > dirSize(join(dataDir, "dirs-1")));
      const some = await wireCall<DescribeLogDirsResponse>(gw, DescribeLogDirsSpec, 2, {
        topics: [{ topic: "dirs", partitions: [1, 7] }, { topic: "missing", partitions: [0] }],
      });
      assertEquals(some.results[0].topics.map((x) => [x.name, x.partitions.map((p) => p.partitionIndex)]), [
        ["dirs", [1]],
      ]);

      // The cluster-wide default ("") broker resource: empty, then set, described, and in effect for topics.
      const describe = (resourceType: number, resourceName: string, v = 4) =>
        wireCall<DescribeConfigsResponse>(gw, DescribeConfigsSpec, v, {
          resources: [{ resourceType, resourceName, configurationKeys: null }],
          includeSynonyms: true,
          includeDocumentation: true,
        });
      assertEquals((await describe(4, "")).results[0].configs, []);
      const altered = await wireCall<IncrementalAlterConfigsResponse>(gw, IncrementalAlterConfigsSpec, 1, {
        resources: [{
          resourceType: 4,
          resourceName: "",
          configs: [
            { name: "log.retention.hours", configOperation: 0, value: "2" },
            { name: "log.cleanup.policy", configOperation: 2, value: "compact" },
          ],
        }],
        validateOnly: false,
      });
      assertEquals(altered.responses[0].errorCode, 0);
      const other = await wireCall<IncrementalAlterConfigsResponse>(gw, IncrementalAlterConfigsSpec, 0, {
        resources: [{ resourceType: 4, resourceName: "2", configs: [] }, {
          resourceType: 3,
          resourceName: "g",
          configs: [],
        }],
        validateOnly: false,
      });
      assertEquals(other.responses.map((r) => r.errorCode), [42, 42]);
    } finally {
      await gw.stop();
    }

    // Persisted: after a restart the default is still there and still applies.
    gw = await startGateway({ dataDir });
    try {
      const d = await wireCall<DescribeConfigsResponse>(gw, DescribeConfigsSpec, 4, {
        resources: [{ resourceType: 4, resourceName: "", configurationKeys: null }, {
          resourceType: 2,
          resourceName: "dirs",
          configurationKeys: ["retention.ms", "cleanup.policy", "retention.bytes"],
        }],
        includeSynonyms: true,
        includeDocumentation: true,
      });
      const [brokerDefault, topic] = d.results;
      assertEquals(brokerDefault.configs.map((c) => [c.name, c.value, c.configSource, c.readOnly]), [
        ["log.cleanup.policy", "delete,compact", 3, false],
        ["log.retention.hours", "2", 3, false],
      ]);
      const byName = new Map(topic.configs.map((c) => [c.name, c]));
      // log.retention.ms is unset, so Kafka's rules list no synonyms for retention.ms (but its value follows hours).
      assertEquals([byName.get("retention.ms")!.value, byName.get("retention.ms")!.configSource], [
        "7200000",
        5,
      ]);
      const cp = byName.get("cleanup.policy")!;
      assertEquals([cp.value, cp.configSource, cp.configType], ["delete,compact", 3, 7]);
      assertEquals(cp.synonyms, [
        { name: "log.cleanup.policy", value: "delete,compact", source: 3 },
        { name: "log.cleanup.policy", value: "delete", source: 5 },
      ]);
      assert(cp.documentation!.includes("compact"), cp.documentation!);
      const rb = byName.get("retention.bytes")!;
      assertEquals([rb.value, rb.configSource, rb.configType], ["1000000", 1, 5]);
      // v0 carries IsDefault instead of a source.
      const v0 = await wireCall<DescribeConfigsResponse>(gw, DescribeConfigsSpec, 0, {
        resources: [{
          resourceType: 2,
          resourceName: "dirs",
          configurationKeys: ["segment.ms", "retention.bytes"],
        }],
      });
      assertEquals(v0.results[0].configs.map((c) => [c.name, c.isDefault]), [["retention.bytes", false], [
        "segment.ms",
        true,
      ]]);
      const unknown = await wireCall<DescribeConfigsResponse>(gw, DescribeConfigsSpec, 1, {
        resources: [{ resourceType: 2, resourceName: "nope", configurationKeys: null }, {
          resourceType: 2,
          resourceName: "bad/name",
          configurationKeys: null,
        }],
        includeSynonyms: false,
      });
      assertEquals(unknown.results.map((r) => r.errorCode), [3, 17]);
    } finally {
      await gw.stop();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});
