// The inter-gateway client (src/cluster/peers.ts), the marker writer and the KIP-890 verifier against a real
// gateway process: its real WriteTxnMarkers and AddPartitionsToTxn v4 handlers answer, over each kind of listener
// the client may pick (PLAINTEXT, SSL with a client certificate, SASL_PLAINTEXT with SCRAM or PLAIN).
import { assert, assertEquals, assertRejects } from "../unit/assert.ts";
import { type RunningGateway, startGateway } from "../helpers/gateway.ts";
import { issue, makePki, opensslTool } from "../helpers/certs.ts";
import { FakeCluster } from "../helpers/fake_cluster.ts";
import { PeerClient, type PeerClientOptions } from "../../src/cluster/peers.ts";
import type { ListenerProtocol } from "../../src/listeners.ts";
import { ClusterMarkerWriter } from "../../src/transactions/marker_writer.ts";
import { ClusterTxnVerifier } from "../../src/transactions/verifier.ts";
import { ErrorCode, KafkaError } from "../../src/protocol/errors.ts";
import { CreateTopicsSpec } from "../../src/protocol/messages/create_topics.ts";
import { InitProducerIdSpec } from "../../src/protocol/messages/init_producer_id.ts";
import { AddPartitionsToTxnSpec } from "../../src/protocol/messages/add_partitions_to_txn.ts";
import { ListOffsetsSpec } from "../../src/protocol/messages/list_offsets.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const USERS = { gw: "gw-secret" };

interface Setup {
  gw: RunningGateway;
  ports: Record<string, number>;
  pki: { ca: string; cert: string; key: string };
}

async function start(): Promise<Setup> {
  const dir = await Deno.makeTempDir({ prefix: "kgw-peers-" });
  const pki = await makePki(dir);
  const client = await issue(pki, "/CN=gateway-1", `${dir}/gw1`, "clientAuth");
  await Deno.writeTextFile(`${dir}/users.json`, JSON.stringify(USERS));
  const gw = await startGateway({
    dataDir: `${dir}/data`,
    args: [
      "--listen",
      "PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0",
      "--tls-cert",
      pki.serverCert,
      "--tls-key",
      pki.serverKey,
      "--tls-ca",
      pki.caCert,
      "--tls-client-auth",
      "required",
      "--sasl-users",
      `${dir}/users.json`,
      "--http-auth-token",
      "peers-test-token",
    ],
  });
  const ports: Record<string, number> = {};
  for (const p of ["PLAINTEXT", "SSL", "SASL_PLAINTEXT"]) {
    const m = new RegExp(`:(\\d+) \\(${p}\\)`).exec(gw.logs());
    assert(m !== null, `no ${p} port in the log:\n${gw.logs()}`);
    ports[p] = Number(m[1]);
  }
  return {
    gw,
    ports,
    pki: {
      ca: await Deno.readTextFile(pki.caCert),
      cert: await Deno.readTextFile(client.cert),
      key: await Deno.readTextFile(client.key),
    },
  };
}

/** This test is gateway 1; the real gateway is gateway 2 with its three listeners. */
function clusterOf(s: Setup): FakeCluster {
  const listeners = Object.fromEntries(
    Object.entries(s.ports).map(([name, port]) => [name, { host: "127.0.0.1", port }]),
  );
  return new FakeCluster({
    nodeId: 1,
    brokers: [
      { nodeId: 1, host: "127.0.0.1", port: 1, rack: null },
      { nodeId: 2, host: "127.0.0.1", port: s.ports.PLAINTEXT, rack: null, listeners },
    ],
  });
}

function peersOver(
  s: Setup,
  cluster: FakeCluster,
  protocol: ListenerProtocol,
  extra: Partial<PeerClientOptions> = {},
): PeerClient {
  return new PeerClient({
    cluster,
    listeners: [{ name: protocol, securityProtocol: protocol }],
    tls: () => s.pki,
    ...extra,
  });
}

Deno.test({
  name: "peers against a real gateway: markers, KIP-890 verification, over PLAINTEXT, SSL and SASL",
  ...opts,
  ignore: opensslTool.ignore,
  fn: async () => {
    const s = await start();
    const cluster = clusterOf(s);
    const plain = peersOver(s, cluster, "PLAINTEXT");
    const all: PeerClient[] = [plain];
    try {
      // Set up through the peer client itself: a topic and a transaction with partition 0 added.
      const created = await plain.send(2, CreateTopicsSpec, 5, {
        topics: [{ name: "t", numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }],
        timeoutMs: 10000,
        validateOnly: false,
      });
      assertEquals(created.topics[0].errorCode, ErrorCode.NONE);
      const init = await plain.send(2, InitProducerIdSpec, 4, {
        transactionalId: "txn-peers",
        transactionTimeoutMs: 60000,
        producerId: -1,
        producerEpoch: -1,
      });
      assertEquals(init.errorCode, ErrorCode.NONE);
      const added = await plain.send(2, AddPartitionsToTxnSpec, 3, {
        v3AndBelowTransactionalId: "txn-peers",
        v3AndBelowProducerId: init.producerId,
        v3AndBelowProducerEpoch: init.producerEpoch,
        v3AndBelowTopics: [{ name: "t", partitions: [0] }],
      });
      assertEquals(
        added.resultsByTopicV3AndBelow?.[0].resultsByPartition[0].partitionErrorCode,
        ErrorCode.NONE,
      );

      // KIP-890: gateway 2 coordinates the id; a leader here asks it.
      cluster.setCoordinator("txn-peers", 2);
      const verifier = new ClusterTxnVerifier({
        cluster,
        peers: plain,
        local: { verify: () => Promise.reject(new Error("not the coordinator")) },
      });
      await verifier.verify("txn-peers", init.producerId, init.producerEpoch, { topic: "t", partition: 0 });
      const e = await assertRejects(
        () => verifier.verify("txn-peers", init.producerId, init.producerEpoch, { topic: "t", partition: 1 }),
        KafkaError,
      );
      assertEquals((e as KafkaError).code, ErrorCode.INVALID_TXN_STATE);

      // Markers over each listener: gateway 2 leads t-0 and t-1; "nope" does not exist there.
      cluster.setTopicLeader("t", 2, 2, 0);
      cluster.setLeader("nope", 0, 2, 0);
      const ssl = peersOver(s, cluster, "SSL");
      const scram = peersOver(s, cluster, "SASL_PLAINTEXT", {
        sasl: { mechanism: "SCRAM-SHA-512", username: "gw", password: "gw-secret" },
      });
      const plainSasl = peersOver(s, cluster, "SASL_PLAINTEXT", {
        sasl: { mechanism: "PLAIN", username: "gw", password: "gw-secret" },
      });
      all.push(ssl, scram, plainSasl);
      const marker = { producerId: 777_000, producerEpoch: 0, commit: false, coordinatorEpoch: 0 };
      for (const peers of [plain, ssl, scram, plainSasl]) {
        const w = new ClusterMarkerWriter({
          cluster,
          peers,
          writeLocal: () => Promise.reject(new Error("nothing is local")),
          offsets: { completeTransaction: () => Promise.reject(new Error("nothing is local")) },
        });
        const out = await w.write(marker, [{ topic: "t", partition: 1 }, { topic: "nope", partition: 0 }]);
        assertEquals(out.map((o) => o.errorCode), [ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
        assertEquals(peers.connectionsOpened, 1);
      }
      // Four ABORT markers were appended to t-1 (one per listener): its log end moved by four.
      const lo = await plain.send(2, ListOffsetsSpec, 5, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name: "t", partitions: [{ partitionIndex: 1, currentLeaderEpoch: -1, timestamp: -1 }] }],
      });
      assertEquals(lo.topics[0].partitions[0].offset, 4);

      // A wrong password is refused by the real SASL step.
      const wrong = peersOver(s, cluster, "SASL_PLAINTEXT", {
        sasl: { mechanism: "SCRAM-SHA-256", username: "gw", password: "wrong" },
      });
      all.push(wrong);
      const bad = await assertRejects(() =>
        wrong.send(2, ListOffsetsSpec, 5, {
          replicaId: -1,
          isolationLevel: 0,
          topics: [],
        }), KafkaError);
      assertEquals((bad as KafkaError).code, ErrorCode.SASL_AUTHENTICATION_FAILED);
    } catch (e) {
      console.error(`--- gateway log ---\n${s.gw.logs().split("\n").slice(-40).join("\n")}`);
      throw e;
    } finally {
      for (const p of all) await p.close();
      await s.gw.stop();
    }
  },
});
