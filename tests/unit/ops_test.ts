// Operations layer without a gateway: metric primitives and the exposition format, counting records from batch
// headers, the response error walker, series caps, consumer-protocol decoding, the --http-listen/--metrics
// options, and the HTTP server (health flips, admin API, dashboard assets) over fake gateway parts; the cluster
// view (/api/v1/cluster, brokers, leaders, cluster gauges) of a solo gateway and of a fake 3-gateway cluster.
import { Buffer } from "node:buffer";
import { assert, assertEquals, assertThrows } from "./assert.ts";
import { countRecords } from "../../src/records/layout.ts";
import { Exposition, GatewayMetrics, Histogram, labels, observeRpc } from "../../src/metrics/metrics.ts";
import { decodeAssignment, decodeSubscription } from "../../src/ops/consumer_protocol.ts";
import { ConfigError, loadConfig } from "../../src/configs/options.ts";
import { OpsHttpServer } from "../../src/ops/http.ts";
import { configInfo, isSecretOption, type OpsSources } from "../../src/ops/state.ts";
import { logger } from "../../src/log.ts";
import type { BackendStatus, Storage, TopicMeta } from "../../src/storage/storage.ts";
import type { GroupCoordinator } from "../../src/groups/coordinator.ts";
import type { GroupSummary } from "../../src/groups/classic/classic_groups.ts";
import { SoloCluster } from "../../src/cluster/solo.ts";
import type { ClusterSnapshot, ClusterView } from "../../src/cluster/view.ts";
import { kafkajs } from "../helpers/kafkajs.ts";

const { AssignerProtocol } = kafkajs;

/** Samples of a Prometheus text exposition: "name{labels}" -> value. */
export function parseExposition(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const i = line.lastIndexOf(" ");
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

Deno.test("histogram: fixed buckets, cumulative exposition with +Inf, sum and count", () => {
  const h = new Histogram([0.1, 1, 10]);
  for (const v of [0.05, 0.1, 0.5, 2, 50]) h.observe(v);
  const out = new Exposition(10);
  out.family("x_seconds", "histogram", "help");
  out.histogram("x_seconds", labels({ api: "Produce" }), h);
  const text = out.text();
  assert(text.startsWith("# HELP x_seconds help\n# TYPE x_seconds histogram\n"), text);
  const s = parseExposition(text);
  assertEquals(s.get('x_seconds_bucket{api="Produce",le="0.1"}'), 2); // le is inclusive
  assertEquals(s.get('x_seconds_bucket{api="Produce",le="1"}'), 3);
  assertEquals(s.get('x_seconds_bucket{api="Produce",le="10"}'), 4);
  assertEquals(s.get('x_seconds_bucket{api="Produce",le="+Inf"}'), 5);
  assertEquals(s.get('x_seconds_count{api="Produce"}'), 5);
  assertEquals(s.get('x_seconds_sum{api="Produce"}'), 52.65);
});

Deno.test("labels: values escaped per the text format", () => {
  assertEquals(labels({ topic: 'a"b\\c\nd', partition: 3 }), '{topic="a\\"b\\\\c\\nd",partition="3"}');
  assertEquals(labels({}), "");
});

/** A RecordBatch v2 header (61 bytes) with `records` records and `extra` bytes of record data. */
function batch(records: number, extra = 10): Uint8Array {
  const b = new Uint8Array(61 + extra);
  const dv = new DataView(b.buffer);
  dv.setInt32(8, 61 + extra - 12); // batchLength
  b[16] = 2; // magic
  dv.setInt32(57, records);
  return b;
}

Deno.test("countRecords reads record counts from batch headers, one or many batches per chunk", () => {
  assertEquals(countRecords(batch(7)), 7);
  const two = new Uint8Array([...batch(3, 5), ...batch(1000, 20)]);
  assertEquals(countRecords(two), 1003);
  assertEquals(countRecords(new Uint8Array(10)), 0); // truncated: nothing counted
});

Deno.test("metrics: produce/fetch accounting, error walker, topic series cap", () => {
  const m = new GatewayMetrics(2, [{ key: 0, name: "Produce" }, { key: 1, name: "Fetch" }, {
    key: 3,
    name: "Metadata",
  }]);
  m.produced("a", 100, [{ recordCount: 4 }, { recordCount: 6 }] as never);
  m.produced("b", 50, [{ recordCount: 1 }] as never);
  m.produced("c", 10, [{ recordCount: 2 }] as never); // third topic: over the cap of 2
  m.produced("d", 10, [{ recordCount: 3 }] as never);
  m.fetchResponse({ getTopicById: () => undefined }, 11, [
    {
      topic: "a",
      topicId: "",
      partitions: [
        { errorCode: 0, records: [batch(4), batch(6)] },
        { errorCode: 1, records: new Uint8Array(0) },
      ],
    },
  ] as never);
  m.countResponseErrors(3, {
    errorCode: 0,
    topics: [{
      errorCode: 3,
      name: "x",
      partitions: [{ errorCode: 0 }, { errorCode: 5, data: new Uint8Array(3) }],
    }],
    brokers: [1, 2, 3],
  });
  m.request(0, 9, 2.5, 100);
  const out = new Exposition(2);
  m.render(out);
  const s = parseExposition(out.text());
  assertEquals(s.get('kgw_topic_records_in_total{topic="a"}'), 10);
  assertEquals(s.get('kgw_topic_bytes_in_total{topic="a"}'), 100);
  assertEquals(s.get('kgw_topic_records_in_total{topic="b"}'), 1);
  assertEquals(s.get('kgw_topic_records_in_total{topic="_other"}'), 5);
  assertEquals(s.get('kgw_topic_records_in_total{topic="c"}'), undefined);
  assertEquals(s.get('kgw_topic_records_out_total{topic="a"}'), 10);
  assertEquals(s.get('kgw_topic_bytes_out_total{topic="a"}'), 2 * 71);
  assertEquals(s.get('kgw_request_errors_total{api="Fetch",error="OFFSET_OUT_OF_RANGE"}'), 1);
  assertEquals(s.get('kgw_request_errors_total{api="Metadata",error="UNKNOWN_TOPIC_OR_PARTITION"}'), 1);
  assertEquals(s.get('kgw_request_errors_total{api="Metadata",error="LEADER_NOT_AVAILABLE"}'), 1);
  assertEquals(s.get('kgw_requests_total{api="Produce",version="9"}'), 1);
  assertEquals(s.get('kgw_request_duration_seconds_bucket{api="Produce",version="9",le="0.0025"}'), 1);
  assertEquals(s.get('kgw_request_duration_seconds_bucket{api="Produce",version="9",le="0.001"}'), 0);
  assertEquals(s.get("kgw_produce_batch_records_count"), 4);
  assertEquals(s.get("kgw_produce_batch_records_sum"), 16);
  assertEquals(s.get("kgw_network_received_bytes_total"), 104);
  assert((s.get("process_resident_memory_bytes") ?? 0) > 0);
});

Deno.test("metrics: backend RPC hook (observeRpc) records latency and errors by method and code", async () => {
  const m = new GatewayMetrics(10);
  assertEquals(await observeRpc(m, "Publish", () => Promise.resolve(42), () => "X"), 42);
  let thrown = false;
  try {
    await observeRpc(m, "Publish", () => Promise.reject(new Error("down")), () => "UNAVAILABLE");
  } catch {
    thrown = true;
  }
  assert(thrown);
  m.rpc("Lookup", 0.02, null);
  const out = new Exposition(10);
  m.render(out);
  const s = parseExposition(out.text());
  assertEquals(s.get('kgw_backend_rpc_duration_seconds_count{method="Publish"}'), 2);
  assertEquals(s.get('kgw_backend_rpc_duration_seconds_count{method="Lookup"}'), 1);
  assertEquals(s.get('kgw_backend_rpc_errors_total{method="Publish",code="UNAVAILABLE"}'), 1);
});

Deno.test("consumer protocol: KafkaJS-encoded subscription and assignment decode", () => {
  const sub = AssignerProtocol.MemberMetadata.encode({
    version: 1,
    topics: ["orders", "payments"],
    userData: Buffer.from("ud"),
  });
  const d = decodeSubscription(sub);
  assertEquals(d?.topics, ["orders", "payments"]);
  assertEquals(d?.userDataBytes, 2);
  const asg = AssignerProtocol.MemberAssignment.encode({
    version: 0,
    assignment: { orders: [2, 0], payments: [1] },
    userData: Buffer.alloc(0),
  });
  const a = decodeAssignment(asg);
  assertEquals(
    a?.partitions.sort((x, y) => x.topic.localeCompare(y.topic)),
    [{ topic: "orders", partitions: [0, 2] }, { topic: "payments", partitions: [1] }],
  );
  assertEquals(decodeAssignment(new Uint8Array([0, 0, 0xff, 0xff])), null);
  assertEquals(decodeSubscription(new Uint8Array([1, 2, 3, 4, 5, 6, 7])), null);
});

Deno.test("config: --http-listen HOST:PORT or off, --metrics, --metrics-max-series", () => {
  const load = (argv: string[], env: Record<string, string> = {}) =>
    loadConfig({ argv, env: (n) => env[n], readFile: () => undefined }).config;
  assertEquals(load([]).httpListen, { host: "0.0.0.0", port: 9644 });
  assertEquals(load([]).metrics, true);
  assertEquals(load(["--http-listen", "off"]).httpListen, null);
  assertEquals(load([], { KGW_HTTP_LISTEN: "127.0.0.1:8080" }).httpListen, { host: "127.0.0.1", port: 8080 });
  assertEquals(load(["--metrics", "false", "--metrics-max-series", "5"]).metrics, false);
  assertEquals(load(["--no-metrics"]).metrics, false);
  assertEquals(load(["--metrics-max-series", "5"]).metricsMaxSeries, 5);
  assertThrows(() => load(["--http-listen", "nope"]), ConfigError, "http-listen");
  assertThrows(() => load(["--metrics-max-series", "0"]), ConfigError, "metrics-max-series");
  const shown = configInfo(load(["--http-listen", "off"]));
  assertEquals(shown["http-listen"], "off");
  assertEquals(shown["listen"], "0.0.0.0:9092");
  assert(isSecretOption("sasl-password") && isSecretOption("ssl-key-password") && isSecretOption("x", true));
  assert(!isSecretOption("listen") && !isSecretOption("max-request-bytes"));
});

// ------------------------------------------------------------------------------------------ HTTP over fakes

interface Fake {
  src: OpsSources;
  status: { value: BackendStatus | Promise<BackendStatus> };
  server: { listening: boolean; connectionCount: number };
}

function fakeSources(
  topics: TopicMeta[],
  groups: GroupSummary[],
  offsets: Record<string, number>,
  cluster?: ClusterView,
): Fake {
  const status = { value: { ready: true, detail: "reachable" } as BackendStatus | Promise<BackendStatus> };
  const storage = {
    kind: "seaweedmq",
    listTopics: () => topics,
    getTopic: (n: string) => topics.find((t) => t.name === n),
    offsets: (_t: string, p: number) => Promise.resolve({ logStartOffset: 0, highWatermark: 10 * (p + 1) }),
    partitionSize: () => Promise.resolve(1000),
    status: () => status.value,
  } as unknown as Storage;
  const coordinator = {
    list: () =>
      groups.map((g) => ({
        groupId: g.groupId,
        protocolType: g.protocolType,
        state: g.state,
        type: "classic",
      })),
    groupType: (id: string) => groups.some((g) => g.groupId === id) ? "classic" : undefined,
    describe: (id: string) => groups.find((g) => g.groupId === id)!,
    // The coordinator runtime: two __consumer_offsets partitions served, one write refused.
    runtimeStats: () => ({ loading: 0, active: 2, loads: 2, loadFailures: 0, loadMs: 1500, fencedWrites: 1 }),
    fetchOffsets: (id: string) =>
      Object.entries(offsets).filter(([k]) => k.startsWith(`${id}/`)).map(([k, offset]) => {
        const [, topic, p] = k.split("/");
        return { topic, partition: Number(p), offset, leaderEpoch: -1, metadata: "" };
      }),
  } as unknown as GroupCoordinator;
  const server = {
    listening: true,
    connectionCount: 1,
    connectionList: () => [{
      id: 7,
      remote: "127.0.0.1:5555",
      clientId: "c1",
      clientSoftware: "kafkajs/2.2.4",
      openedAt: Date.now(),
      requests: 3,
      lastRequestAt: Date.now(),
    }],
    requestMemory: { inUse: 0, waiting: 0, capacity: 256 * 1024 * 1024 },
  };
  const config =
    loadConfig({ argv: ["--listen", "127.0.0.1:9092"], env: () => undefined, readFile: () => undefined })
      .config;
  const solo = new SoloCluster({
    nodeId: config.nodeId,
    advertised: config.advertisedListener[0],
    offsetsTopicPartitions: config.offsetsTopicPartitions,
    topics: () => topics,
  });
  return {
    src: { config, clusterId: "cid", storage, coordinator, server, cluster: cluster ?? solo },
    status,
    server,
  };
}

async function get(port: number, path: string, init?: RequestInit) {
  const r = await fetch(`http://127.0.0.1:${port}${path}`, init);
  const body = await r.text();
  return { status: r.status, body, headers: r.headers, json: () => JSON.parse(body) };
}

Deno.test("ops HTTP: readiness flips with the backend; admin API and metrics over fake parts", async () => {
  const topics: TopicMeta[] = [
    { name: "t1", id: "01".repeat(16), partitions: 2, configs: {} },
    { name: "t2", id: "02".repeat(16), partitions: 1, configs: {} },
    { name: "t3", id: "03".repeat(16), partitions: 1, configs: {} },
  ];
  const groups: GroupSummary[] = [{
    groupId: "g",
    state: "Stable",
    protocolType: "consumer",
    protocolName: "range",
    generationId: 3,
    leaderId: "m1",
    members: [{
      memberId: "m1",
      groupInstanceId: null,
      clientId: "c1",
      clientHost: "/127.0.0.1",
      metadata: AssignerProtocol.MemberMetadata.encode({
        version: 0,
        topics: ["t1"],
        userData: Buffer.alloc(0),
      }),
      assignment: AssignerProtocol.MemberAssignment.encode({
        version: 0,
        assignment: { t1: [0, 1] },
        userData: Buffer.alloc(0),
      }),
    }],
  }];
  const fake = fakeSources(topics, groups, { "g/t1/0": 4, "g/t1/1": 20 });
  const metrics = new GatewayMetrics(3);
  const ops = new OpsHttpServer(metrics, logger("test"));
  const { port } = ops.listen({ host: "127.0.0.1", port: 0 });
  try {
    assertEquals((await get(port, "/healthz")).status, 200);
    const starting = await get(port, "/readyz");
    assertEquals(starting.status, 503);
    assertEquals(starting.json().checks[0].name, "startup");
    assertEquals((await get(port, "/api/v1/topics")).status, 503);

    ops.attach(fake.src);
    assertEquals((await get(port, "/readyz")).status, 200);
    let s = parseExposition((await get(port, "/metrics")).body);
    assertEquals(s.get("kgw_ready"), 1);

    // The backend becomes unreachable: /readyz and kgw_ready flip, /healthz stays up.
    fake.status.value = { ready: false, detail: "filer 127.0.0.1:8888 unreachable" };
    const down = await get(port, "/readyz");
    assertEquals(down.status, 503);
    assertEquals(
      down.json().checks.find((c: { name: string }) => c.name === "storage").detail,
      "filer 127.0.0.1:8888 unreachable",
    );
    assertEquals(parseExposition((await get(port, "/metrics")).body).get("kgw_ready"), 0);
    assertEquals((await get(port, "/healthz")).status, 200);
    // A status check that hangs counts as unreachable after 2 s: the answer says it timed out (not how long the
    // request took: timings belong in benchmarks).
    fake.status.value = new Promise(() => {});
    const hung = await get(port, "/readyz");
    assertEquals(hung.status, 503);
    assertEquals(
      hung.json().checks.find((c: { name: string }) => c.name === "storage").detail,
      "status check timed out (2 s)",
    );
    fake.status.value = { ready: true, detail: "reachable" };
    assertEquals((await get(port, "/readyz")).status, 200);
    fake.server.listening = false;
    assertEquals((await get(port, "/readyz")).status, 503);
    fake.server.listening = true;

    // Lag = high watermark - committed offset; watermarks of the fake are 10 * (partition + 1).
    const g = (await get(port, "/api/v1/groups/g")).json();
    assertEquals(g.state, "Stable");
    assertEquals(g.members[0].assignment, [{ topic: "t1", partitions: [0, 1] }]);
    assertEquals(g.members[0].subscription.topics, ["t1"]);
    assertEquals(
      g.partitions.map((
        p: Record<string, unknown>,
      ) => [p.partition, p.committedOffset, p.highWatermark, p.lag, p.clientId]),
      [[0, 4, 10, 6, "c1"], [1, 20, 20, 0, "c1"]],
    );
    assertEquals(g.totalLag, 6);
    assertEquals((await get(port, "/api/v1/groups/nope")).status, 404);
    assertEquals(
      (await get(port, "/api/v1/topics/t1")).json().partitions.map((p: { highWatermark: number }) =>
        p.highWatermark
      ),
      [10, 20],
    );
    assertEquals((await get(port, "/api/v1/connections")).json()[0].clientSoftware, "kafkajs/2.2.4");
    assertEquals((await get(port, "/api/v1/brokers")).json(), [{
      nodeId: 1,
      host: "127.0.0.1",
      port: 9092,
      rack: null,
      controller: true,
      self: true,
      leaderPartitions: 4,
      coordinatorPartitions: 0,
    }]);
    assertEquals((await get(port, "/api/v1/config")).json()["listen"], "127.0.0.1:9092");
    assertEquals((await get(port, "/api/v1/nothing")).status, 404);
    assertEquals((await get(port, "/api/v1/topics", { method: "POST" })).status, 405);

    s = parseExposition((await get(port, "/metrics")).body);
    assertEquals(s.get('kgw_consumer_group_lag{group="g",topic="t1",partition="0"}'), 6);
    assertEquals(s.get('kgw_consumer_group_committed_offset{group="g",topic="t1",partition="1"}'), 20);
    assertEquals(s.get('kgw_groups{state="Stable"}'), 1);
    assertEquals(s.get('kgw_coordinator_partitions{coordinator="group",state="active"}'), 2);
    assertEquals(s.get('kgw_coordinator_load_seconds_total{coordinator="group"}'), 1.5);
    assertEquals(s.get('kgw_coordinator_fenced_writes_total{coordinator="group"}'), 1);
    assertEquals(s.get('kgw_group_members{group="g"}'), 1);
    // 4 partitions, cap 3: one partition series left out and reported.
    assertEquals(s.get('kgw_partition_high_watermark{topic="t1",partition="1"}'), 20);
    assertEquals(s.get('kgw_partition_high_watermark{topic="t3",partition="0"}'), undefined);
    assertEquals(s.get('kgw_metrics_series_dropped{family="kgw_partition_high_watermark"}'), 1);

    const page = await get(port, "/dashboard");
    assertEquals(page.status, 200);
    assert(page.body.includes('<script src="/dashboard.js">'));
    assert(page.headers.get("content-security-policy")?.includes("script-src 'self'"));
    assertEquals((await get(port, "/dashboard.js")).status, 200);
    assertEquals((await get(port, "/")).status, 200); // redirected to /dashboard

    ops.markStopping();
    assertEquals((await get(port, "/readyz")).status, 503);
  } finally {
    await ops.close();
  }
});

Deno.test("ops HTTP: /metrics is 404 with metrics off; the admin API still answers", async () => {
  const fake = fakeSources([], [], {});
  const ops = new OpsHttpServer(null, logger("test"));
  const { port } = ops.listen({ host: "127.0.0.1", port: 0 });
  try {
    ops.attach(fake.src);
    assertEquals((await get(port, "/metrics")).status, 404);
    const o = (await get(port, "/api/v1/overview")).json();
    assertEquals(o.cluster.metrics, false);
    assertEquals(o.topics, []);
  } finally {
    await ops.close();
  }
});

Deno.test("ops HTTP: a solo gateway's cluster: itself, controller, leading every partition without epochs", async () => {
  const topics: TopicMeta[] = [
    { name: "a", id: "01".repeat(16), partitions: 2, configs: {} },
    { name: "b", id: "02".repeat(16), partitions: 1, configs: {} },
  ];
  const groups: GroupSummary[] = [{
    groupId: "g1",
    state: "Empty",
    protocolType: "consumer",
    protocolName: "",
    generationId: 0,
    leaderId: null,
    members: [],
  }];
  const fake = fakeSources(topics, groups, {});
  const ops = new OpsHttpServer(new GatewayMetrics(100), logger("test"));
  const { port } = ops.listen({ host: "127.0.0.1", port: 0 });
  try {
    ops.attach(fake.src);
    assert((await get(port, "/api/v1")).json().endpoints.includes("/api/v1/cluster"));
    const c = (await get(port, "/api/v1/cluster")).json();
    assertEquals(c.clusterId, "cid");
    assertEquals(c.nodeId, 1);
    assertEquals(c.distributed, false);
    assertEquals(c.controllerId, 1);
    assertEquals(c.assignmentVersion, 0);
    assertEquals(c.leaseTimeoutMs, 0);
    assertEquals(
      c.brokers.map((b: { nodeId: number; self: boolean; controller: boolean }) => [b.nodeId, b.self]),
      [
        [1, true],
      ],
    );
    assertEquals(c.partitions, [
      { topic: "a", partition: 0, leaderId: 1, leaderEpoch: -1, serving: true },
      { topic: "a", partition: 1, leaderId: 1, leaderEpoch: -1, serving: true },
      { topic: "b", partition: 0, leaderId: 1, leaderEpoch: -1, serving: true },
    ]);
    assertEquals(c.servingPartitions, 3);
    assertEquals(c.leaderlessPartitions, 0);
    // a solo gateway coordinates every group; the partition is Kafka's: "g1".hashCode() = 103 * 31 + 49 = 3242,
    // mod 50 (offsets.topic.num.partitions) = 42
    assertEquals(c.groups, [{
      groupId: "g1",
      type: "classic",
      state: "Empty",
      coordinatorPartition: 42,
      leaderEpoch: -1,
    }]);
    const o = (await get(port, "/api/v1/overview")).json();
    assertEquals(o.cluster.distributed, false);
    assertEquals(o.cluster.controllerId, 1);
    assertEquals(o.cluster.coordinatedGroups, 1);
    assertEquals(o.brokers[0].leaderPartitions, 3);
    assertEquals(o.topics[0].partitions[1].leaderId, 1);
    assertEquals(o.topics[0].partitions[1].leaderEpoch, -1);
    const s = parseExposition((await get(port, "/metrics")).body);
    assertEquals(s.get("kgw_cluster_brokers"), 1);
    assertEquals(s.get("kgw_cluster_is_controller"), 1);
    assertEquals(s.get("kgw_cluster_partitions_serving"), 3);
    assertEquals(s.get("kgw_cluster_partitions_leaderless"), 0);
  } finally {
    await ops.close();
  }
});

/** A cluster of three gateways as gateway 2 sees it: 3 controls, leaders and epochs of a made-up assignment. */
function threeGateways(): ClusterView {
  const brokers = [
    { nodeId: 1, host: "10.0.0.1", port: 9092, rack: "r1" },
    { nodeId: 2, host: "10.0.0.2", port: 9092, rack: "r2" },
    { nodeId: 3, host: "10.0.0.3", port: 9092, rack: null },
  ];
  // t-0 on 1, t-1 on 2 (served), t-2 without a leader (its gateway died); __consumer_offsets 0-2 on 1, 2, 3
  const partitions = [
    { topic: "t", partition: 0, leaderId: 1, leaderEpoch: 4, serving: false },
    { topic: "t", partition: 1, leaderId: 2, leaderEpoch: 7, serving: true },
    { topic: "t", partition: 2, leaderId: -1, leaderEpoch: 3, serving: false },
    { topic: "__consumer_offsets", partition: 0, leaderId: 1, leaderEpoch: 1, serving: false },
    { topic: "__consumer_offsets", partition: 1, leaderId: 2, leaderEpoch: 2, serving: true },
    { topic: "__consumer_offsets", partition: 2, leaderId: 3, leaderEpoch: 1, serving: false },
  ];
  const snap: ClusterSnapshot = {
    nodeId: 2,
    distributed: true,
    controllerId: 3,
    brokers,
    assignmentVersion: 42,
    leaseTimeoutMs: 10_000,
    partitions,
  };
  const find = (topic: string, partition: number) =>
    partitions.find((p) => p.topic === topic && p.partition === partition);
  const coordinatorPartition = (g: string) => g === "mine" ? 1 : 0;
  return {
    nodeId: 2,
    distributed: true,
    brokers: () => brokers,
    broker: (id) => brokers.find((b) => b.nodeId === id),
    controllerId: () => 3,
    leaderOf: (t, p) => {
      const x = find(t, p);
      return { leaderId: x?.leaderId ?? -1, leaderEpoch: x?.leaderEpoch ?? -1 };
    },
    servingEpoch: (t, p) => find(t, p)?.serving ? find(t, p)!.leaderEpoch : null,
    coordinatorPartition,
    coordinatorOf: (g) => {
      const x = find("__consumer_offsets", coordinatorPartition(g))!;
      return { leaderId: x.leaderId, leaderEpoch: x.leaderEpoch };
    },
    coordinates: (g) => coordinatorPartition(g) === 1,
    epochEndOffset: (_t, _p, epoch, end) => ({ leaderEpoch: epoch, endOffset: end }),
    epochAt: () => -1,
    addParticipant: () => {},
    snapshot: () => snap,
    start: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}

Deno.test("ops HTTP: a 3-gateway cluster: roles, partitions per gateway, epochs, leaderless, coordinated groups", async () => {
  const topics: TopicMeta[] = [{ name: "t", id: "01".repeat(16), partitions: 3, configs: {} }];
  const group = (groupId: string): GroupSummary => ({
    groupId,
    state: "Empty",
    protocolType: "consumer",
    protocolName: "",
    generationId: 0,
    leaderId: null,
    members: [],
  });
  // "other" is still known to the local coordinator (a handover) but coordinated by gateway 1
  const fake = fakeSources(topics, [group("mine"), group("other")], {}, threeGateways());
  const ops = new OpsHttpServer(new GatewayMetrics(100), logger("test"));
  const { port } = ops.listen({ host: "127.0.0.1", port: 0 });
  try {
    ops.attach(fake.src);
    const brokers = (await get(port, "/api/v1/brokers")).json();
    assertEquals(brokers, [
      {
        nodeId: 1,
        host: "10.0.0.1",
        port: 9092,
        rack: "r1",
        controller: false,
        self: false,
        leaderPartitions: 1,
        coordinatorPartitions: 1,
      },
      {
        nodeId: 2,
        host: "10.0.0.2",
        port: 9092,
        rack: "r2",
        controller: false,
        self: true,
        leaderPartitions: 1,
        coordinatorPartitions: 1,
      },
      {
        nodeId: 3,
        host: "10.0.0.3",
        port: 9092,
        rack: null,
        controller: true,
        self: false,
        leaderPartitions: 0,
        coordinatorPartitions: 1,
      },
    ]);
    const c = (await get(port, "/api/v1/cluster")).json();
    assertEquals(
      [c.nodeId, c.distributed, c.controllerId, c.assignmentVersion, c.leaseTimeoutMs],
      [2, true, 3, 42, 10_000],
    );
    assertEquals(c.servingPartitions, 2);
    assertEquals(c.leaderlessPartitions, 1);
    // sorted by topic, then partition
    assertEquals(
      c.partitions.map((p: { topic: string; partition: number; leaderId: number; leaderEpoch: number }) =>
        `${p.topic}-${p.partition}@${p.leaderId}/${p.leaderEpoch}`
      ),
      [
        "__consumer_offsets-0@1/1",
        "__consumer_offsets-1@2/2",
        "__consumer_offsets-2@3/1",
        "t-0@1/4",
        "t-1@2/7",
        "t-2@-1/3",
      ],
    );
    assertEquals(c.groups, [{
      groupId: "mine",
      type: "classic",
      state: "Empty",
      coordinatorPartition: 1,
      leaderEpoch: 2,
    }]);
    const o = (await get(port, "/api/v1/overview")).json();
    assertEquals(o.cluster.distributed, true);
    assertEquals(o.cluster.leaderlessPartitions, 1);
    assertEquals(o.brokers.length, 3);
    assertEquals(
      o.topics[0].partitions.map((
        p: { leaderId: number; leaderEpoch: number },
      ) => [p.leaderId, p.leaderEpoch]),
      [[1, 4], [2, 7], [-1, 3]],
    );
    const s = parseExposition((await get(port, "/metrics")).body);
    assertEquals(s.get("kgw_cluster_brokers"), 3);
    assertEquals(s.get("kgw_cluster_is_controller"), 0);
    assertEquals(s.get("kgw_cluster_assignment_version"), 42);
    assertEquals(s.get("kgw_cluster_partitions_serving"), 2);
    assertEquals(s.get("kgw_cluster_partitions_leaderless"), 1);
  } finally {
    await ops.close();
  }
});
