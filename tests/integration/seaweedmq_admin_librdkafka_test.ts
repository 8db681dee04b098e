// The librdkafka partitions/DeleteRecords/timestamps/deletion suite (tests/conformance/
// admin_partitions_librdkafka_test.ts), unchanged, against gateways on the SeaweedMQ backend of a real SeaweedFS.
import { useBackend } from "../helpers/gateway.ts";
import { clusterForModule } from "../helpers/seaweedfs.ts";

const cluster = await clusterForModule();
if (cluster) {
  useBackend("seaweedmq", cluster.gatewayArgs);
  await import("../conformance/admin_partitions_librdkafka_test.ts");
  Deno.test({
    name: "seaweedmq: stop the SeaweedFS cluster of this module",
    sanitizeOps: false,
    sanitizeResources: false,
    fn: () => cluster.stop(),
  });
}
