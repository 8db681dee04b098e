// The coordinator's marker writer and the KIP-890 verifier across gateways (src/transactions/marker_writer.ts,
// verifier.ts): partitions led here go to the local writers, the others to their leader gateway over a real socket
// (tests/unit/fake_peer.ts answers with the gateway's codec), a partition without a leader is retried later.
import { assert, assertEquals, assertRejects } from "./assert.ts";
import { FakePeer } from "./fake_peer.ts";
import { FakeCluster } from "../helpers/fake_cluster.ts";
import { PeerClient } from "../../src/cluster/peers.ts";
import { CONSUMER_OFFSETS_TOPIC } from "../../src/cluster/view.ts";
import { ClusterMarkerWriter } from "../../src/transactions/marker_writer.ts";
import { ClusterTxnVerifier } from "../../src/transactions/verifier.ts";
import type { TxnMarker, TxnVerifier } from "../../src/transactions/contracts.ts";
import { ErrorCode, KafkaError } from "../../src/protocol/errors.ts";
import {
  type WriteTxnMarkersRequest,
  type WriteTxnMarkersResponse,
  WriteTxnMarkersSpec,
} from "../../src/protocol/messages/write_txn_markers.ts";
import {
  type AddPartitionsToTxnRequest,
  type AddPartitionsToTxnResponse,
  AddPartitionsToTxnSpec,
} from "../../src/protocol/messages/add_partitions_to_txn.ts";
import { ApiKey } from "../../src/protocol/api_keys.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const MARKER: TxnMarker = { producerId: 5000, producerEpoch: 2, commit: true, coordinatorEpoch: 4 };

function deadPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = l.addr.port;
  l.close();
  return port;
}

function cluster(peerPorts: Record<number, number>): FakeCluster {
  return new FakeCluster({
    nodeId: 1,
    brokers: [
      { nodeId: 1, host: "127.0.0.1", port: 1, rack: null },
      ...Object.entries(peerPorts).map(([id, port]) => ({
        nodeId: Number(id),
        host: "127.0.0.1",
        port,
        rack: null,
      })),
    ],
  });
}

/** Remote partitions answer NONE except those listed. */
function markerAnswers(codes: Record<string, number> = {}) {
  return (_v: number, body: unknown): WriteTxnMarkersResponse => ({
    markers: (body as WriteTxnMarkersRequest).markers.map((m) => ({
      producerId: m.producerId,
      topics: m.topics.map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((p) => ({
          partitionIndex: p,
          errorCode: codes[`${t.name}-${p}`] ?? ErrorCode.NONE,
        })),
      })),
    })),
  });
}

interface Recorded {
  data: string[];
  offsets: string[];
}

function writer(c: FakeCluster, peers: PeerClient, fail: Record<string, Error> = {}) {
  const rec: Recorded = { data: [], offsets: [] };
  const w = new ClusterMarkerWriter({
    cluster: c,
    peers,
    writeLocal: (topic, partition, marker) => {
      rec.data.push(`${topic}-${partition}:${marker.producerId}:${marker.commit}`);
      const e = fail[`${topic}-${partition}`];
      return e === undefined ? Promise.resolve(0) : Promise.reject(e);
    },
    offsets: {
      completeTransaction: (p, producerId, commit) => {
        rec.offsets.push(`${p}:${producerId}:${commit}`);
        const e = fail[`${CONSUMER_OFFSETS_TOPIC}-${p}`];
        return e === undefined ? Promise.resolve() : Promise.reject(e);
      },
    },
  });
  return { w, rec };
}

Deno.test(
  "marker writer: local partitions locally, remote ones in one WriteTxnMarkers per leader",
  opts,
  async () => {
    const peer2 = new FakePeer().serve(
      WriteTxnMarkersSpec,
      markerAnswers({ "t-3": ErrorCode.NOT_LEADER_OR_FOLLOWER }),
    );
    const peer3 = new FakePeer().serve(WriteTxnMarkersSpec, markerAnswers());
    const c = cluster({ 2: peer2.port, 3: peer3.port });
    c.setLeader("t", 0, 1, 5);
    c.setLeader("t", 1, 2, 5);
    c.setLeader("t", 3, 2, 5);
    c.setLeader("u", 0, 2, 1);
    c.setLeader("u", 1, 3, 1);
    c.setLeader(CONSUMER_OFFSETS_TOPIC, 0, 1, 1);
    c.setLeader(CONSUMER_OFFSETS_TOPIC, 2, 3, 1);
    // t-2 and __consumer_offsets-1 have no leader.
    const peers = new PeerClient({
      cluster: c,
      listeners: [{ name: "PLAINTEXT", securityProtocol: "PLAINTEXT" }],
    });
    const { w, rec } = writer(c, peers);
    try {
      const asked = [
        { topic: "t", partition: 0 },
        { topic: "t", partition: 1 },
        { topic: "t", partition: 2 },
        { topic: "t", partition: 3 },
        { topic: "u", partition: 0 },
        { topic: "u", partition: 1 },
        { topic: CONSUMER_OFFSETS_TOPIC, partition: 0 },
        { topic: CONSUMER_OFFSETS_TOPIC, partition: 1 },
        { topic: CONSUMER_OFFSETS_TOPIC, partition: 2 },
      ];
      const out = await w.write(MARKER, asked);
      assertEquals(out, [
        { topic: "t", partition: 0, errorCode: ErrorCode.NONE },
        { topic: "t", partition: 1, errorCode: ErrorCode.NONE },
        { topic: "t", partition: 2, errorCode: ErrorCode.LEADER_NOT_AVAILABLE },
        { topic: "t", partition: 3, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER },
        { topic: "u", partition: 0, errorCode: ErrorCode.NONE },
        { topic: "u", partition: 1, errorCode: ErrorCode.NONE },
        { topic: CONSUMER_OFFSETS_TOPIC, partition: 0, errorCode: ErrorCode.NONE },
        { topic: CONSUMER_OFFSETS_TOPIC, partition: 1, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE },
        { topic: CONSUMER_OFFSETS_TOPIC, partition: 2, errorCode: ErrorCode.NONE },
      ]);
      assertEquals(rec.data, ["t-0:5000:true"]);
      assertEquals(rec.offsets, ["0:5000:true"]);
      const sent2 = peer2.received.filter((r) => r.apiKey === ApiKey.WriteTxnMarkers);
      assertEquals(sent2.length, 1, "one request to gateway 2");
      assertEquals(sent2[0].apiVersion, 1);
      assertEquals(sent2[0].body, {
        markers: [{
          producerId: 5000,
          producerEpoch: 2,
          transactionResult: true,
          topics: [{ name: "t", partitionIndexes: [1, 3] }, { name: "u", partitionIndexes: [0] }],
          coordinatorEpoch: 4,
        }],
      });
      const sent3 = peer3.received.filter((r) => r.apiKey === ApiKey.WriteTxnMarkers);
      assertEquals((sent3[0].body as WriteTxnMarkersRequest).markers[0].topics, [
        { name: "u", partitionIndexes: [1] },
        { name: CONSUMER_OFFSETS_TOPIC, partitionIndexes: [2] },
      ]);
    } finally {
      await peers.close();
      await peer2.close();
      await peer3.close();
    }
  },
);

Deno.test("marker writer: local failures become the partition's code; never rejects", opts, async () => {
  const c = cluster({});
  c.setLeader("t", 0, 1, 1);
  c.setLeader("t", 1, 1, 1);
  c.setLeader(CONSUMER_OFFSETS_TOPIC, 3, 1, 1);
  const peers = new PeerClient({
    cluster: c,
    listeners: [{ name: "PLAINTEXT", securityProtocol: "PLAINTEXT" }],
  });
  const { w } = writer(c, peers, {
    "t-0": new KafkaError(ErrorCode.INVALID_PRODUCER_EPOCH),
    "t-1": new Error("disk on fire"),
    [`${CONSUMER_OFFSETS_TOPIC}-3`]: new KafkaError(ErrorCode.NOT_COORDINATOR),
  });
  const out = await w.write({ ...MARKER, commit: false }, [
    { topic: "t", partition: 0 },
    { topic: "t", partition: 1 },
    { topic: CONSUMER_OFFSETS_TOPIC, partition: 3 },
  ]);
  assertEquals(out.map((o) => o.errorCode), [
    ErrorCode.INVALID_PRODUCER_EPOCH,
    ErrorCode.UNKNOWN_SERVER_ERROR,
    // The coordinator thinks in partitions and leaders.
    ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ]);
  await peers.close();
});

Deno.test("marker writer: an unreachable or silent leader fails its partitions only", opts, async () => {
  const slow = new FakePeer().serve(WriteTxnMarkersSpec, markerAnswers());
  slow.silent = true;
  const c = cluster({ 2: deadPort(), 3: slow.port });
  c.setLeader("t", 0, 2, 1);
  c.setLeader("t", 1, 3, 1);
  c.setLeader("t", 2, 1, 1);
  const peers = new PeerClient({
    cluster: c,
    listeners: [{ name: "PLAINTEXT", securityProtocol: "PLAINTEXT" }],
    requestTimeoutMs: 200,
  });
  const { w } = writer(c, peers);
  try {
    const out = await w.write(MARKER, [
      { topic: "t", partition: 0 },
      { topic: "t", partition: 1 },
      { topic: "t", partition: 2 },
    ]);
    assertEquals(out.map((o) => o.errorCode), [
      ErrorCode.NETWORK_EXCEPTION,
      ErrorCode.REQUEST_TIMED_OUT,
      ErrorCode.NONE,
    ]);
    // The coordinator's retry reaches the leader once it answers again.
    slow.silent = false;
    const again = await w.write(MARKER, [{ topic: "t", partition: 1 }]);
    assertEquals(again.map((o) => o.errorCode), [ErrorCode.NONE]);
  } finally {
    await peers.close();
    await slow.close();
  }
});

// ------------------------------------------------------------------------------------------------ verifier

function verifyAnswers(code: number, top: number = ErrorCode.NONE) {
  return (_v: number, body: unknown): AddPartitionsToTxnResponse => ({
    throttleTimeMs: 0,
    errorCode: top,
    resultsByTransaction: ((body as AddPartitionsToTxnRequest).transactions ?? []).map((t) => ({
      transactionalId: t.transactionalId,
      topicResults: t.topics.map((tp) => ({
        name: tp.name,
        resultsByPartition: tp.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: code })),
      })),
    })),
    resultsByTopicV3AndBelow: [],
  });
}

class LocalVerifier implements TxnVerifier {
  calls: string[] = [];
  verify(id: string, pid: number, epoch: number, tp: { topic: string; partition: number }): Promise<void> {
    this.calls.push(`${id}:${pid}:${epoch}:${tp.topic}-${tp.partition}`);
    return Promise.resolve();
  }
}

Deno.test("verifier: the local coordinator when this gateway coordinates the id", opts, async () => {
  const c = cluster({});
  c.setCoordinator("txn-a", 1);
  const local = new LocalVerifier();
  const peers = new PeerClient({
    cluster: c,
    listeners: [{ name: "PLAINTEXT", securityProtocol: "PLAINTEXT" }],
  });
  await new ClusterTxnVerifier({ cluster: c, local, peers }).verify("txn-a", 7, 1, {
    topic: "t",
    partition: 2,
  });
  assertEquals(local.calls, ["txn-a:7:1:t-2"]);
  await peers.close();
});

Deno.test("verifier: AddPartitionsToTxn v4 verify_only to the coordinator's gateway", opts, async () => {
  let code: number = ErrorCode.NONE;
  let top: number = ErrorCode.NONE;
  const peer = new FakePeer().serve(AddPartitionsToTxnSpec, (v, body) => verifyAnswers(code, top)(v, body));
  const c = cluster({ 2: peer.port });
  c.setCoordinator("txn-b", 2);
  const local = new LocalVerifier();
  const peers = new PeerClient({
    cluster: c,
    listeners: [{ name: "PLAINTEXT", securityProtocol: "PLAINTEXT" }],
  });
  const v = new ClusterTxnVerifier({ cluster: c, local, peers });
  const verify = () => v.verify("txn-b", 9, 3, { topic: "t", partition: 4 });
  const rejected = async (expected: number) => {
    const e = await assertRejects(verify, KafkaError);
    assertEquals((e as KafkaError).code, expected, e.message);
    return e;
  };
  try {
    await verify();
    const sent = peer.received.filter((r) => r.apiKey === ApiKey.AddPartitionsToTxn);
    assertEquals(sent[0].apiVersion, 4);
    assertEquals((sent[0].body as AddPartitionsToTxnRequest).transactions, [{
      transactionalId: "txn-b",
      producerId: 9,
      producerEpoch: 3,
      verifyOnly: true,
      topics: [{ name: "t", partitions: [4] }],
    }]);
    assertEquals(local.calls, [], "the local coordinator is not asked");
    code = ErrorCode.INVALID_TXN_STATE;
    const e = await rejected(ErrorCode.INVALID_TXN_STATE);
    assert(e.message.includes("t-4 was not added"), e.message);
    code = ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    await rejected(ErrorCode.INVALID_TXN_STATE);
    code = ErrorCode.PRODUCER_FENCED;
    await rejected(ErrorCode.PRODUCER_FENCED);
    code = ErrorCode.CONCURRENT_TRANSACTIONS;
    await rejected(ErrorCode.CONCURRENT_TRANSACTIONS);
    // The gateways' own authorization is not the client's business (as in Kafka): the verification failed.
    top = ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
    await rejected(ErrorCode.INVALID_TXN_STATE);
    top = ErrorCode.NONE;
    // The coordinator's gateway goes away: retriable.
    await peer.close();
    await rejected(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    // No coordinator at all, or this gateway is still taking it over: retriable too.
    c.setCoordinator("txn-b", -1);
    await rejected(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    c.setCoordinator("txn-b", 1, 1, false);
    await rejected(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  } finally {
    await peers.close();
    await peer.close();
  }
});
