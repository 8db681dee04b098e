// Listeners per name in a cluster of gateways on one SeaweedMQ (real SeaweedFS): two gateway processes, each with
// a PLAINTEXT and an SSL listener. Each learns the other's addresses from its lease, so Metadata, FindCoordinator and
// DescribeCluster through either listener of either gateway name both gateways at their addresses on that listener.
import { assert, assertEquals } from "../unit/assert.ts";
import { type RunningGateway, startGateway } from "../helpers/gateway.ts";
import { clusterForModule } from "../helpers/seaweedfs.ts";
import { makePki, opensslTool } from "../helpers/certs.ts";
import { WireClient } from "../helpers/wire.ts";
import { MetadataSpec } from "../../src/protocol/messages/metadata.ts";
import { DescribeClusterSpec } from "../../src/protocol/messages/describe_cluster.ts";
import { FindCoordinatorSpec } from "../../src/protocol/messages/find_coordinator.ts";
import { freePort } from "../helpers/ports.ts";

const cluster = await clusterForModule();
const opts = { sanitizeOps: false, sanitizeResources: false };

type Brokers = { brokers: { nodeId?: number; brokerId?: number; host: string; port: number }[] };

Deno.test({
  name: "seaweedmq listeners: every gateway advertises every gateway's address on the client's listener",
  ignore: cluster === null || opensslTool.ignore,
  ...opts,
  fn: async () => {
    if (!cluster) return;
    const dir = await Deno.makeTempDir({ prefix: "kgw-listeners-" });
    const pki = await makePki(dir);
    const ca = await Deno.readTextFile(pki.caCert);
    const ns = `kafka_ls_${Date.now().toString(36)}`;
    const ports = [1, 2].map((id) => ({ id, plain: freePort(), ssl: freePort() }));
    const gws: RunningGateway[] = [];
    try {
      for (const p of ports) {
        gws.push(
          await startGateway({
            args: [
              ...cluster.gatewayArgs,
              "--seaweedmq-namespace",
              ns,
              "--node-id",
              String(p.id),
              "--lease-timeout-ms",
              "3000",
              "--listen",
              `PLAINTEXT://127.0.0.1:${p.plain},SSL://127.0.0.1:${p.ssl}`,
              "--advertised-listener",
              `SSL://localhost:${p.ssl}`,
              "--tls-cert",
              pki.serverCert,
              "--tls-key",
              pki.serverKey,
            ],
            timeoutMs: 60_000,
          }),
        );
      }
      const expected = {
        PLAINTEXT: ports.map((p) => [p.id, "127.0.0.1", p.plain]),
        SSL: ports.map((p) => [p.id, "localhost", p.ssl]),
      };
      for (const p of ports) {
        for (const listener of ["PLAINTEXT", "SSL"] as const) {
          const wire = () =>
            listener === "SSL"
              ? Deno.connectTls({ hostname: "localhost", port: p.ssl, caCerts: [ca] })
              : Deno.connect({ hostname: "127.0.0.1", port: p.plain });
          const conn = await wire();
          const w = new (WireClient as unknown as new (c: Deno.Conn, id: string) => WireClient)(conn, "ls");
          try {
            // both gateways' leases are read within a few heartbeats
            let seen: unknown[] = [];
            for (let i = 0; i < 100; i++) {
              const md = await w.call<Brokers>(MetadataSpec, 9, {
                topics: [],
                allowAutoTopicCreation: false,
                includeTopicAuthorizedOperations: false,
              });
              seen = md.brokers.map((b) => [b.nodeId, b.host, b.port]);
              if (JSON.stringify(seen) === JSON.stringify(expected[listener])) break;
              await new Promise((r) => setTimeout(r, 100));
            }
            assertEquals(seen, expected[listener], `Metadata through gateway ${p.id}'s ${listener} listener`);
            const dc = await w.call<Brokers>(DescribeClusterSpec, 0, {
              includeClusterAuthorizedOperations: false,
            });
            assertEquals(dc.brokers.map((b) => [b.brokerId, b.host, b.port]), expected[listener]);
            // coordinators: retriable COORDINATOR_NOT_AVAILABLE while partitions move to the second gateway
            type Coordinators = {
              coordinators: { nodeId: number; host: string; port: number; errorCode: number }[];
            };
            let fc: Coordinators = { coordinators: [] };
            for (let i = 0; i < 150; i++) {
              fc = await w.call<Coordinators>(FindCoordinatorSpec, 4, {
                keyType: 0,
                coordinatorKeys: ["g1", "g2", "g3", "g4"],
              });
              if (fc.coordinators.every((c) => c.errorCode === 0)) break;
              await new Promise((r) => setTimeout(r, 100));
            }
            for (const c of fc.coordinators) {
              assertEquals(c.errorCode, 0);
              const want = expected[listener].find((e) => e[0] === c.nodeId);
              assert(want !== undefined, JSON.stringify(c));
              assertEquals([c.host, c.port], [want[1], want[2]]);
            }
          } finally {
            conn.close();
          }
        }
      }
    } catch (e) {
      for (const g of gws) {
        console.error(`--- gateway log ---\n${g.logs().split("\n").slice(-40).join("\n")}`);
      }
      throw e;
    } finally {
      for (const g of gws) await g.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
