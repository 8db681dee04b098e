// The gateways' client to each other (src/cluster/peers.ts) over real sockets: against a little Kafka server that
// answers with the gateway's own codec (tests/unit/fake_peer.ts) for the connection's behaviour (ApiVersions once,
// reuse, pipelining, timeouts, reconnects, listener choice, SASL PLAIN), and against real gateway processes for the
// real WriteTxnMarkers and AddPartitionsToTxn handlers, SCRAM and TLS.
import { assert, assertEquals, assertRejects } from "./assert.ts";
import { FakePeer } from "./fake_peer.ts";
import { FakeCluster } from "../helpers/fake_cluster.ts";
import { chooseListener, PeerClient, type PeerClientOptions } from "../../src/cluster/peers.ts";
import type { ClusterBroker } from "../../src/cluster/view.ts";
import { ApiKey } from "../../src/protocol/api_keys.ts";
import { ErrorCode, KafkaError } from "../../src/protocol/errors.ts";
import {
  type WriteTxnMarkersRequest,
  type WriteTxnMarkersResponse,
  WriteTxnMarkersSpec,
} from "../../src/protocol/messages/write_txn_markers.ts";
import { SaslHandshakeSpec } from "../../src/protocol/messages/sasl_handshake.ts";
import { SaslAuthenticateSpec } from "../../src/protocol/messages/sasl_authenticate.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PLAINTEXT = [{ name: "PLAINTEXT", securityProtocol: "PLAINTEXT" as const }];

function clusterWith(peers: Record<number, ClusterBroker | number>): FakeCluster {
  const brokers: ClusterBroker[] = [{ nodeId: 1, host: "127.0.0.1", port: 1, rack: null }];
  for (const [id, b] of Object.entries(peers)) {
    brokers.push(typeof b === "number" ? { nodeId: Number(id), host: "127.0.0.1", port: b, rack: null } : b);
  }
  return new FakeCluster({ nodeId: 1, brokers });
}

function markers(producerId: number, partitions: number[]): WriteTxnMarkersRequest {
  return {
    markers: [{
      producerId,
      producerEpoch: 3,
      transactionResult: true,
      topics: [{ name: "t", partitionIndexes: partitions }],
      coordinatorEpoch: 7,
    }],
  };
}

/** Answers every partition of every marker with `code`. */
function answerAll(code: number) {
  return (_v: number, body: unknown): WriteTxnMarkersResponse => ({
    markers: (body as WriteTxnMarkersRequest).markers.map((m) => ({
      producerId: m.producerId,
      topics: m.topics.map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, errorCode: code })),
      })),
    })),
  });
}

function client(cluster: FakeCluster, extra: Partial<PeerClientOptions> = {}): PeerClient {
  return new PeerClient({ cluster, listeners: PLAINTEXT, ...extra });
}

Deno.test("peers: a request round trip; ApiVersions once; the connection is reused", opts, async () => {
  const peer = new FakePeer().serve(WriteTxnMarkersSpec, answerAll(ErrorCode.NONE));
  const peers = client(clusterWith({ 2: peer.port }));
  try {
    const res = await peers.send(2, WriteTxnMarkersSpec, 1, markers(42, [0, 1]));
    assertEquals(res.markers[0].producerId, 42);
    assertEquals(res.markers[0].topics[0].partitions.map((p) => p.partitionIndex), [0, 1]);
    await peers.send(2, WriteTxnMarkersSpec, 1, markers(43, [2]));
    assertEquals(peer.accepted, 1, "one connection");
    assertEquals(peers.connectionsOpened, 1);
    assertEquals(peer.received.map((r) => [r.apiKey, r.apiVersion]), [
      [ApiKey.ApiVersions, 3],
      [ApiKey.WriteTxnMarkers, 1],
      [ApiKey.WriteTxnMarkers, 1],
    ]);
    assertEquals(peer.received[1].clientId, "gateway-1");
    assertEquals(peer.received[1].body, markers(42, [0, 1]));
    assertEquals(await peers.versions(2, ApiKey.WriteTxnMarkers), { min: 0, max: 1 });
  } finally {
    await peers.close();
    await peer.close();
  }
});

Deno.test(
  "peers: pipelined requests are matched by correlation id when answered out of order",
  opts,
  async () => {
    // Later requests are answered sooner: a client that matched by order would swap the answers.
    const peer = new FakePeer().serve(WriteTxnMarkersSpec, async (v, body) => {
      const id = (body as WriteTxnMarkersRequest).markers[0].producerId;
      await sleep(100 - id * 8);
      return answerAll(ErrorCode.NONE)(v, body);
    });
    const peers = client(clusterWith({ 2: peer.port }));
    try {
      const ids = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
      const res = await Promise.all(
        ids.map((id) => peers.send(2, WriteTxnMarkersSpec, 1, markers(id, [id]))),
      );
      assertEquals(res.map((r) => r.markers[0].producerId), ids);
      assertEquals(res.map((r) => r.markers[0].topics[0].partitions[0].partitionIndex), ids);
      assertEquals(peer.accepted, 1, "all on one connection");
    } finally {
      await peers.close();
      await peer.close();
    }
  },
);

Deno.test(
  "peers: the peer closes the connection: requests in flight fail, the next one reconnects",
  opts,
  async () => {
    const peer = new FakePeer().serve(WriteTxnMarkersSpec, answerAll(ErrorCode.NONE));
    const peers = client(clusterWith({ 2: peer.port }));
    try {
      await peers.send(2, WriteTxnMarkersSpec, 1, markers(1, [0]));
      peer.silent = true;
      const inFlight = peers.send(2, WriteTxnMarkersSpec, 1, markers(2, [0]));
      await sleep(50);
      peer.dropConnections();
      const e = await assertRejects(() => inFlight, KafkaError);
      assertEquals((e as KafkaError).code, ErrorCode.NETWORK_EXCEPTION);
      peer.silent = false;
      const res = await peers.send(2, WriteTxnMarkersSpec, 1, markers(3, [0]));
      assertEquals(res.markers[0].producerId, 3);
      assertEquals(peer.accepted, 2, "a new connection");
      assertEquals(
        peer.received.filter((r) => r.apiKey === ApiKey.ApiVersions).length,
        2,
        "negotiated again",
      );
    } finally {
      await peers.close();
      await peer.close();
    }
  },
);

Deno.test("peers: a request without an answer times out and the connection is replaced", opts, async () => {
  const peer = new FakePeer().serve(WriteTxnMarkersSpec, answerAll(ErrorCode.NONE));
  const peers = client(clusterWith({ 2: peer.port }), { requestTimeoutMs: 300 });
  try {
    peer.silent = true;
    const started = Date.now();
    const e = await assertRejects(() => peers.send(2, WriteTxnMarkersSpec, 1, markers(1, [0])), KafkaError);
    const took = Date.now() - started;
    assertEquals((e as KafkaError).code, ErrorCode.REQUEST_TIMED_OUT);
    assert(took >= 250 && took < 3000, `timed out after ${took} ms`);
    peer.silent = false;
    const res = await peers.send(2, WriteTxnMarkersSpec, 1, markers(2, [0]));
    assertEquals(res.markers[0].producerId, 2);
    assertEquals(peer.accepted, 2);
  } finally {
    await peers.close();
    await peer.close();
  }
});

Deno.test(
  "peers: unsupported version, unknown gateway, refused connection, closed client",
  opts,
  async () => {
    const peer = new FakePeer().serve(WriteTxnMarkersSpec, answerAll(ErrorCode.NONE));
    // A port nobody listens on: bind one and close it.
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const dead = l.addr.port;
    l.close();
    const peers = client(clusterWith({ 2: peer.port, 3: dead }));
    try {
      let e = await assertRejects(() => peers.send(2, WriteTxnMarkersSpec, 2, markers(1, [0])), KafkaError);
      assertEquals((e as KafkaError).code, ErrorCode.UNSUPPORTED_VERSION);
      e = await assertRejects(() => peers.send(9, WriteTxnMarkersSpec, 1, markers(1, [0])), KafkaError);
      assertEquals((e as KafkaError).code, ErrorCode.LEADER_NOT_AVAILABLE);
      e = await assertRejects(() => peers.send(3, WriteTxnMarkersSpec, 1, markers(1, [0])), KafkaError);
      assertEquals((e as KafkaError).code, ErrorCode.NETWORK_EXCEPTION);
      await peers.close();
      e = await assertRejects(() => peers.send(2, WriteTxnMarkersSpec, 1, markers(1, [0])), KafkaError);
      assertEquals((e as KafkaError).code, ErrorCode.NETWORK_EXCEPTION);
    } finally {
      await peers.close();
      await peer.close();
    }
  },
);

Deno.test("peers: the listener is chosen by name and protocol from this gateway's listeners", () => {
  const ls = [
    { name: "EXTERNAL", securityProtocol: "SASL_SSL" as const },
    { name: "INTERNAL", securityProtocol: "PLAINTEXT" as const },
    { name: "TLS", securityProtocol: "SSL" as const },
  ];
  assertEquals(chooseListener(ls, true, true), { name: "INTERNAL", securityProtocol: "PLAINTEXT" });
  assertEquals(chooseListener(ls.filter((l) => l.name !== "INTERNAL"), true, false), {
    name: "TLS",
    securityProtocol: "SSL",
  });
  assertEquals(chooseListener([ls[0]], true, true), { name: "EXTERNAL", securityProtocol: "SASL_SSL" });
  const none = chooseListener([ls[0]], true, false);
  assert("error" in none && none.error.includes("SASL credentials"), JSON.stringify(none));
  // Named by the operator: taken even when a cheaper one exists; unknown or unusable names are refused.
  assertEquals(chooseListener(ls, true, false, "TLS"), { name: "TLS", securityProtocol: "SSL" });
  const unknown = chooseListener(ls, true, true, "OTHER");
  assert("error" in unknown && unknown.error.includes("OTHER"), JSON.stringify(unknown));
  const unusable = chooseListener(ls, true, false, "EXTERNAL");
  assert("error" in unusable && unusable.error.includes("SASL credentials"), JSON.stringify(unusable));
  const noTls = chooseListener([ls[2]], false, false);
  assert("error" in noTls && noTls.error.includes("--tls-cert"), JSON.stringify(noTls));
});

Deno.test("peers: the peer's listener of the chosen name is dialled", opts, async () => {
  const peer = new FakePeer().serve(WriteTxnMarkersSpec, answerAll(ErrorCode.NONE));
  const cluster = clusterWith({
    2: {
      nodeId: 2,
      host: "127.0.0.1",
      port: 1,
      rack: null,
      listeners: {
        EXTERNAL: { host: "127.0.0.1", port: 1 },
        INTERNAL: { host: "127.0.0.1", port: peer.port },
      },
    },
  });
  const peers = new PeerClient({
    cluster,
    listeners: [
      { name: "EXTERNAL", securityProtocol: "SSL" },
      { name: "INTERNAL", securityProtocol: "PLAINTEXT" },
    ],
  });
  try {
    await peers.send(2, WriteTxnMarkersSpec, 1, markers(1, [0]));
    assertEquals(peer.accepted, 1);
  } finally {
    await peers.close();
    await peer.close();
  }
});

Deno.test("peers: SASL PLAIN on a SASL_PLAINTEXT listener; a refused login fails clearly", opts, async () => {
  const dec = new TextDecoder();
  let tokens: string[] = [];
  const peer = new FakePeer()
    .serve(WriteTxnMarkersSpec, answerAll(ErrorCode.NONE))
    .serve(SaslHandshakeSpec, (_v, body) => ({
      errorCode: (body as { mechanism: string }).mechanism === "PLAIN"
        ? 0
        : ErrorCode.UNSUPPORTED_SASL_MECHANISM,
      mechanisms: ["PLAIN"],
    }))
    .serve(SaslAuthenticateSpec, (_v, body) => {
      const token = dec.decode((body as { authBytes: Uint8Array }).authBytes);
      tokens.push(token);
      const ok = token === "\0gw\0secret";
      return {
        errorCode: ok ? 0 : ErrorCode.SASL_AUTHENTICATION_FAILED,
        errorMessage: ok ? null : "bad password",
        authBytes: new Uint8Array(0),
        sessionLifetimeMs: 0,
      };
    });
  const cluster = clusterWith({ 2: peer.port });
  const listeners = [{ name: "SASL", securityProtocol: "SASL_PLAINTEXT" as const }];
  const good = new PeerClient({
    cluster,
    listeners,
    sasl: { mechanism: "PLAIN", username: "gw", password: "secret" },
  });
  const bad = new PeerClient({
    cluster,
    listeners,
    sasl: { mechanism: "PLAIN", username: "gw", password: "nope" },
  });
  const none = new PeerClient({ cluster, listeners });
  try {
    await good.send(2, WriteTxnMarkersSpec, 1, markers(1, [0]));
    assertEquals(tokens, ["\0gw\0secret"]);
    assertEquals(
      peer.received.map((r) => r.apiKey),
      [ApiKey.ApiVersions, ApiKey.SaslHandshake, ApiKey.SaslAuthenticate, ApiKey.WriteTxnMarkers],
    );
    tokens = [];
    const e = await assertRejects(() => bad.send(2, WriteTxnMarkersSpec, 1, markers(1, [0])), KafkaError);
    assertEquals((e as KafkaError).code, ErrorCode.SASL_AUTHENTICATION_FAILED);
    assert(e.message.includes("bad password"), e.message);
    const n = await assertRejects(() => none.send(2, WriteTxnMarkersSpec, 1, markers(1, [0])), KafkaError);
    assert(n.message.includes("--inter-gateway-sasl-username"), n.message);
  } finally {
    await good.close();
    await bad.close();
    await none.close();
    await peer.close();
  }
});

Deno.test(
  "peers: a peer that moved is dialled at its new address; one that left is refused",
  opts,
  async () => {
    const old = new FakePeer().serve(WriteTxnMarkersSpec, answerAll(ErrorCode.NONE));
    const moved = new FakePeer().serve(WriteTxnMarkersSpec, answerAll(ErrorCode.NOT_LEADER_OR_FOLLOWER));
    const cluster = clusterWith({ 2: old.port });
    const peers = client(cluster);
    try {
      let res = await peers.send(2, WriteTxnMarkersSpec, 1, markers(1, [0]));
      assertEquals(res.markers[0].topics[0].partitions[0].errorCode, ErrorCode.NONE);
      // Gateway 2 restarted elsewhere (its new lease): the open connection to the old address is not reused.
      cluster.setBrokers([...cluster.brokers().filter((b) => b.nodeId !== 2), {
        nodeId: 2,
        host: "127.0.0.1",
        port: moved.port,
        rack: null,
      }]);
      res = await peers.send(2, WriteTxnMarkersSpec, 1, markers(2, [0]));
      assertEquals(res.markers[0].topics[0].partitions[0].errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
      assertEquals([old.accepted, moved.accepted], [1, 1]);
      cluster.setBrokers(cluster.brokers().filter((b) => b.nodeId !== 2));
      const e = await assertRejects(() => peers.send(2, WriteTxnMarkersSpec, 1, markers(3, [0])), KafkaError);
      assertEquals((e as KafkaError).code, ErrorCode.LEADER_NOT_AVAILABLE);
    } finally {
      await peers.close();
      await old.close();
      await moved.close();
    }
  },
);
