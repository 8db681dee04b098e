// The transactions suite (tests/conformance/transactions_test.ts: confluent-kafka commit, abort,
// send_offsets_to_transaction, fencing, LSO blocking, kill -9 of the gateway mid-transaction and restart on the
// same SeaweedMQ namespace; KafkaJS transactions), unchanged, against gateways on the SeaweedMQ backend of a real
// SeaweedFS started for this module. Transactions across three gateways (coordinator, leaders and group
// coordinator killed) are in seaweedmq_cluster_transactions_test.ts.
import { useBackend } from "../helpers/gateway.ts";
import { startSeaweedFS, suiteOnSeaweedMQ, weedTool } from "../helpers/seaweedfs.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const SUITE = "../conformance/transactions_test.ts";

if ((await weedTool()).ignore) {
  await suiteOnSeaweedMQ(() => import(SUITE)); // registers the suite's tests as ignored, saying why
} else {
  const cluster = await startSeaweedFS();
  useBackend("seaweedmq", cluster.gatewayArgs);
  await import(SUITE);
  Deno.test({
    name: "seaweedmq: stop the SeaweedFS cluster of this module",
    ...opts,
    fn: async () => {
      useBackend("embedded", []);
      await cluster.stop();
    },
  });
}
