// The transactions suite (tests/conformance/transactions_test.ts: confluent-kafka commit, abort,
// send_offsets_to_transaction, fencing, LSO blocking, kill -9 of the gateway mid-transaction and restart on the
// same SeaweedMQ namespace; KafkaJS transactions), unchanged, against gateways on the SeaweedMQ backend of a real
// SeaweedFS started for this module; then what only SeaweedMQ offers: three gateways forming one cluster, kill -9
// of the gateway coordinating an open transaction, and another gateway aborts it on its timeout (the transaction
// log is in the filer) or completes the commit its producer asks for.
import { assert, assertEquals } from "../unit/assert.ts";
import { useBackend } from "../helpers/gateway.ts";
import { startSeaweedFS, suiteOnSeaweedMQ, weedTool } from "../helpers/seaweedfs.ts";
import { WireClient } from "../helpers/wire.ts";
import { startGateways } from "../../scripts/compat/gateways.ts";
// types only: the suite module itself is imported once the gateway helper is switched to SeaweedMQ
import type { CkStep, ReadResult } from "../conformance/transactions_test.ts";
import {
  type FindCoordinatorResponse,
  FindCoordinatorSpec,
} from "../../src/protocol/messages/find_coordinator.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const SUITE = "../conformance/transactions_test.ts";

/** The node id of the gateway coordinating `txid`, as `port`'s gateway answers FindCoordinator (key type 1). */
async function txnCoordinator(port: number, txid: string): Promise<number> {
  const deadline = Date.now() + 30_000;
  let last = "";
  while (Date.now() < deadline) {
    const c = await WireClient.connect(port);
    try {
      const r = await c.call<FindCoordinatorResponse>(FindCoordinatorSpec, 4, {
        keyType: 1,
        coordinatorKeys: [txid],
      });
      const co = r.coordinators?.[0];
      if (co && co.errorCode === 0) return co.nodeId;
      last = JSON.stringify(co);
    } finally {
      c.close();
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no transaction coordinator for ${txid}: ${last}`);
}

if ((await weedTool()).ignore) {
  await suiteOnSeaweedMQ(() => import(SUITE)); // registers the suite's tests as ignored, saying why
} else {
  const cluster = await startSeaweedFS();
  useBackend("seaweedmq", cluster.gatewayArgs);
  const suite: typeof import("../conformance/transactions_test.ts") = await import(SUITE);
  const PARTS = 6;
  const LEASE_MS = 3000;

  for (const outcome of ["abort", "commit"] as const) {
    Deno.test({
      name: outcome === "abort"
        ? "seaweedmq cluster: kill -9 of a transaction's coordinator gateway; another gateway aborts it on timeout"
        : "seaweedmq cluster: kill -9 of a transaction's coordinator gateway; the producer's commit completes on another",
      ...opts,
      fn: async () => {
        // three gateways on one namespace (not the per-directory namespaces of the suite)
        useBackend("embedded", []);
        const ns = `kafka_txnfo_${outcome}_${Date.now() % 1_000_000}`;
        const gws = await startGateways(3, [
          ...cluster.gatewayArgs,
          "--seaweedmq-namespace",
          ns,
          "--lease-timeout-ms",
          String(LEASE_MS),
          ...suite.GATEWAY_ARGS,
        ]).finally(() => useBackend("seaweedmq", cluster.gatewayArgs));
        const topic = `fo-${outcome}`;
        const txid = `fo-txid-${outcome}`;
        const timeoutMs = outcome === "abort" ? 6000 : 120_000;
        let step: CkStep | null = null;
        try {
          step = suite.CkStep.start([
            "open",
            gws.bootstrap,
            topic,
            txid,
            String(PARTS),
            "60",
            String(timeoutMs),
          ]);
          const opened = await step.event("open");
          assertEquals(
            [opened.delivered, opened.failed],
            [60, []],
            `records stored before the kill: ${JSON.stringify(opened)}`,
          );
          const coordinator = await txnCoordinator(gws.list[0].port, txid);
          const victim = gws.list[coordinator - 1];
          const survivors = gws.list.filter((g) => g !== victim).map((g) => g.bootstrap).join(",");
          const killedAt = Date.now();
          await victim.kill();
          if (outcome === "abort") {
            await step.stop();
            step = null;
          } else {
            await step.send("commit");
            const r = await step.event("commit-result", 120_000);
            assertEquals(
              r.error,
              null,
              `commit_transaction after the coordinator died: ${JSON.stringify(r)}`,
            );
          }
          const plain = await suite.ck<{ delivered: number }>([
            "plain",
            survivors,
            topic,
            String(PARTS),
            "after",
          ]);
          assertEquals(plain.delivered, PARTS);
          const want = Array.from({ length: PARTS }, (_, p) => `after-${p}`);
          const rc = await suite.ck<ReadResult>(
            ["read", survivors, topic, String(PARTS), "read_committed", "120", ...want],
            240_000,
          );
          const secs = ((Date.now() - killedAt) / 1000).toFixed(1);
          assert(
            rc.complete,
            `read_committed reached the records written after the kill: ${JSON.stringify(rc)}`,
          );
          console.log(`  coordinator ${coordinator} killed; the transaction was resolved within ${secs} s`);
          for (let p = 0; p < PARTS; p++) {
            const txn = outcome === "commit"
              ? Array.from({ length: 60 }, (_, i) => i).filter((i) => i % PARTS === p).map((i) => `open-${i}`)
              : [];
            assertEquals(suite.valuesOf(rc, p), [...txn, `after-${p}`], `read_committed, partition ${p}`);
          }
        } catch (e) {
          for (const [i, g] of gws.list.entries()) {
            console.error(
              `--- gateway ${i + 1} log (last 40 lines) ---\n${g.logs().split("\n").slice(-40).join("\n")}`,
            );
          }
          throw e;
        } finally {
          await step?.stop();
          await gws.stop();
        }
      },
    });
  }

  Deno.test({
    name: "seaweedmq: stop the SeaweedFS cluster of this module",
    ...opts,
    fn: async () => {
      useBackend("embedded", []);
      await cluster.stop();
    },
  });
}
