// Listener endpoints in a SeaweedMQ cluster of gateways: each lease carries its gateway's advertised address per
// listener name, every gateway learns the others' from their leases, and a client is given the address of the
// listener it came through (endpointFor). Leases written before named listeners (no `listeners`) still read.
import { assert, assertEquals } from "./assert.ts";
import { FakeFiler } from "./fake_filer.ts";
import { SeaweedCluster } from "../../src/cluster/node.ts";
import { parseMember } from "../../src/cluster/membership.ts";
import { type ClusterBroker, endpointFor } from "../../src/cluster/view.ts";
import { MetaPaths } from "../../src/storage/seaweedmq/meta.ts";
import type { SeaweedMQStorage } from "../../src/storage/seaweedmq/seaweedmq.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const enc = new TextEncoder();

function fakeStorage(f: FakeFiler): SeaweedMQStorage {
  const meta = { name: "t", partitions: 2 };
  return {
    namespace: "kafka",
    metaPaths: new MetaPaths("kafka"),
    onTopicsChanged: null,
    coordinationFiler: () => f.filer,
    listTopics: () => [meta],
    getTopic: (name: string) => name === "t" ? meta : undefined,
    partitionBroker: () => "127.0.0.1:17777",
    refreshTopics: () => Promise.resolve(),
    offsets: () => Promise.resolve({ logStartOffset: 0, highWatermark: 5 }),
  } as unknown as SeaweedMQStorage;
}

Deno.test("lease: listeners per name are read; a lease without them (older gateway) still reads", () => {
  const old = parseMember(enc.encode(JSON.stringify({
    nodeId: 3,
    host: "old-host",
    port: 9092,
    rack: null,
    incarnation: "abc",
    seq: 4,
    applied: 2,
  })));
  assert(old !== null);
  assertEquals(old.listeners, undefined);
  const b: ClusterBroker = { nodeId: 3, host: old.host, port: old.port, rack: null };
  assertEquals(endpointFor(b, "SSL"), b); // only its one address is known
  const now = parseMember(enc.encode(JSON.stringify({
    nodeId: 4,
    host: "h4",
    port: 9092,
    rack: null,
    incarnation: "def",
    seq: 1,
    applied: 1,
    listeners: {
      PLAINTEXT: { host: "h4", port: 9092 },
      SSL: { host: "h4.tls", port: 9093 },
      BAD: { host: 1 },
    },
  })));
  assertEquals(now?.listeners, {
    PLAINTEXT: { host: "h4", port: 9092 },
    SSL: { host: "h4.tls", port: 9093 },
  });
});

Deno.test({
  name: "cluster: every gateway knows the others' endpoints per listener from their leases",
  ...opts,
  fn: async () => {
    const f = new FakeFiler();
    f.realTime = true;
    const nodes: SeaweedCluster[] = [];
    for (const id of [1, 2]) {
      const dataDir = await Deno.makeTempDir({ prefix: "kgw-listeners-test-" });
      nodes.push(
        new SeaweedCluster({
          storage: fakeStorage(f),
          nodeId: id,
          advertised: { host: `h${id}`, port: 9092 },
          listeners: {
            PLAINTEXT: { host: `h${id}`, port: 9092 },
            SSL: { host: `h${id}.tls`, port: 9093 + id },
          },
          rack: "",
          leaseTimeoutMs: 1000,
          offsetsTopicPartitions: 2,
          dataDir,
          log: () => {},
        }),
      );
    }
    await Promise.all(nodes.map((n) => n.start()));
    try {
      for (const n of nodes) {
        const end = performance.now() + 10_000;
        while (n.brokers().length < 2 || n.brokers().some((b) => b.listeners === undefined)) {
          assert(performance.now() < end, JSON.stringify(n.brokers()));
          await sleep(50);
        }
        const ssl = n.brokers().map((b) => [b.nodeId, endpointFor(b, "SSL")]);
        assertEquals(ssl, [[1, { host: "h1.tls", port: 9094 }], [2, { host: "h2.tls", port: 9095 }]]);
        const plain = n.brokers().map((b) => endpointFor(b, "PLAINTEXT").host);
        assertEquals(plain, ["h1", "h2"]);
        assertEquals(n.broker(2)?.listeners?.SSL, { host: "h2.tls", port: 9095 });
      }
    } finally {
      await Promise.all(nodes.map((n) => n.close()));
    }
  },
});
