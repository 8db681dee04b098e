import { useBackend } from "../helpers/gateway.ts";
import { clusterForModule } from "../helpers/seaweedfs.ts";
const cluster = await clusterForModule();
if (cluster) {
  useBackend("seaweedmq", cluster.gatewayArgs);
  await import("../conformance/idempotent_test.ts");
  Deno.test({
    name: "seaweedmq: stop the SeaweedFS cluster of this module",
    sanitizeOps: false,
    sanitizeResources: false,
    fn: () => cluster.stop(),
  });
}
