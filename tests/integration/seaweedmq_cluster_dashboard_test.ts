// The dashboard's Cluster panel on a cluster of three gateways (issue 13: "Dashboard and /api/v1 show the
// cluster"): headless Chromium opens gateway 2's dashboard; its gateways table must list the three gateways with
// their addresses, the controller and "this gateway" roles, and the partitions each leads and coordinates, as
// /api/v1/cluster reports them; the topic table shows each partition's leader and epoch.
import { assert, assertEquals } from "../unit/assert.ts";
import { clusterForModule } from "../helpers/seaweedfs.ts";
import { startGateways } from "../../scripts/compat/gateways.ts";
import { requireTool } from "../helpers/tools.ts";
import { getJson, waitFor } from "../helpers/ops.ts";
import { Kafka, logLevel } from "../helpers/kafkajs.ts";

const cluster = await clusterForModule();
const CHROMIUM = Deno.env.get("KGW_CHROMIUM") ?? "/usr/bin/chromium";
const chromiumTool = await requireTool("chromium", CHROMIUM, ["--version"]);
const DRIVER = new URL("../conformance/fixtures/dashboard_cluster_browser.ts", import.meta.url).pathname;

interface ApiCluster {
  controllerId: number;
  distributed: boolean;
  brokers: {
    nodeId: number;
    host: string;
    port: number;
    leaderPartitions: number;
    coordinatorPartitions: number;
  }[];
  partitions: { topic: string; partition: number; leaderId: number; leaderEpoch: number }[];
}

interface PanelRow {
  node: number;
  address: string;
  roles: string;
  leaderPartitions: number;
  coordinatorPartitions: string;
}

if (cluster) {
  const c = cluster;
  Deno.test({
    name:
      "seaweedmq cluster dashboard: gateway 2's page lists the three gateways, roles and partitions as the API",
    ignore: chromiumTool.ignore,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      const gws = await startGateways(3, [...c.gatewayArgs, "--lease-timeout-ms", "3000"]);
      const userDataDir = await Deno.makeTempDir({ prefix: "kgw-chromium-" });
      try {
        const admin = new Kafka({
          clientId: "cluster-dashboard",
          brokers: gws.list.map((g) => g.bootstrap),
          logLevel: logLevel.NOTHING,
          retry: { retries: 10 },
        }).admin();
        await admin.connect();
        await admin.createTopics({ topics: [{ topic: "dash-cluster", numPartitions: 6 }] });
        await admin.disconnect();
        const http = gws.list[1].httpPort!;
        // every partition of the topic led by a live gateway, as gateway 2 sees it
        const api = await waitFor("the topic's partitions led by the three gateways", async () => {
          const { body } = await getJson<ApiCluster>(http, "/api/v1/cluster");
          const mine = body.partitions.filter((p) => p.topic === "dash-cluster");
          return mine.length === 6 && new Set(mine.map((p) => p.leaderId)).size === 3 ? body : undefined;
        }, 30_000);
        assert(api.distributed, "the cluster API says distributed");

        const out = await new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "--allow-all", // playwright-core probes /proc at import time
            DRIVER,
            JSON.stringify({
              chromium: CHROMIUM,
              userDataDir,
              url: `http://127.0.0.1:${http}/`,
              gateways: 3,
            }),
          ],
          stdout: "piped",
          stderr: "piped",
        }).output();
        const text = new TextDecoder().decode(out.stdout).trim();
        assertEquals(out.code, 0, `browser driver: ${new TextDecoder().decode(out.stderr)}`);
        const page = JSON.parse(text.split("\n").at(-1)!) as {
          meta: string;
          rows: PanelRow[];
          problems: string[];
        };
        assertEquals(page.problems, [], "console errors on the page");
        assert(page.meta.startsWith("3 gateways"), `cluster line: ${page.meta}`);
        assert(page.meta.includes(`controller node ${api.controllerId}`), `controller in ${page.meta}`);
        // the page reads the overview, fetched a moment after the API above: counts are compared with a fresh read
        const { body: now } = await getJson<ApiCluster>(http, "/api/v1/cluster");
        assertEquals(page.rows.map((r) => r.node), [1, 2, 3], "gateways listed by node id");
        for (const r of page.rows) {
          const b = now.brokers.find((x) => x.nodeId === r.node)!;
          assertEquals(r.address, `${b.host}:${b.port}`, `address of node ${r.node}`);
          assertEquals(
            r.address,
            `127.0.0.1:${gws.list[r.node - 1].port}`,
            `node ${r.node} is gateway ${r.node}`,
          );
          assertEquals(r.leaderPartitions, b.leaderPartitions, `partitions node ${r.node} leads`);
          assertEquals(
            r.coordinatorPartitions,
            String(b.coordinatorPartitions),
            `coordinator partitions ${r.node}`,
          );
          assertEquals(r.roles.includes("this gateway"), r.node === 2, `"this gateway" on node ${r.node}`);
          assertEquals(
            r.roles.includes("controller"),
            r.node === now.controllerId,
            `controller on ${r.node}`,
          );
        }
        const led = page.rows.reduce((s, r) => s + r.leaderPartitions, 0);
        assert(led >= 6, `the panel counts the topic's 6 partitions among those led (${led})`);
      } catch (e) {
        for (const [i, g] of gws.list.entries()) {
          console.error(`--- gateway ${i + 1} ---\n${g.logs().split("\n").slice(-30).join("\n")}`);
        }
        throw e;
      } finally {
        await gws.stop();
        await Deno.remove(userDataDir, { recursive: true }).catch(() => {});
      }
    },
  });
}
