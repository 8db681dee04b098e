// The idempotent-producer suite (tests/conformance/idempotent_test.ts), unchanged, against gateways on the
// SeaweedMQ backend of a real SeaweedFS started for this module (tests/helpers/seaweedfs.ts).
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
