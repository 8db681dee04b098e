// Several gateways on one SeaweedFS cluster, one Kafka cluster (`--gateways N` of run.ts and librdkafka_suite.ts):
// gateway i runs with --node-id i on the same SeaweedMQ namespace; the bootstrap list names all of them, so the
// clients meet the cluster through any gateway and follow Metadata to partition leaders and group coordinators.
import { type RunningGateway, startGateway } from "../../tests/helpers/gateway.ts";
import { WireClient } from "../../tests/helpers/wire.ts";
import { type MetadataResponse, MetadataSpec } from "../../src/protocol/messages/metadata.ts";

export interface Gateways {
  /** Every gateway's address, comma-separated (what librdkafka's bootstrap.servers and kcat -b take). */
  readonly bootstrap: string;
  readonly list: readonly RunningGateway[];
  /** Writes gateway<i>.log (or gateway.log for one gateway) into `dir`. */
  writeLogs(dir: string): Promise<void>;
  /** Stops every gateway and removes its data directory. */
  stop(): Promise<void>;
}

/**
 * Starts `n` gateways with `args` (the backend flags included) and, for n > 1, --node-id 1..n; waits until each
 * one's Metadata lists all n (the cluster formed), or fails after `formMs`.
 */
export async function startGateways(n: number, args: string[], formMs = 60_000): Promise<Gateways> {
  const started = await Promise.allSettled(
    Array.from(
      { length: n },
      (_, i) => startGateway({ args: [...args, ...(n > 1 ? ["--node-id", String(i + 1)] : [])] }),
    ),
  );
  const list = started.flatMap((r) => r.status === "fulfilled" ? [r.value] : []);
  const stop = async () => {
    await Promise.all(list.map((g) => g.stop()));
    for (const g of list) await Deno.remove(g.dataDir, { recursive: true }).catch(() => {});
  };
  const failed = started.find((r) => r.status === "rejected") as PromiseRejectedResult | undefined;
  if (failed) {
    await stop();
    throw failed.reason;
  }
  const gateways: Gateways = {
    bootstrap: list.map((g) => g.bootstrap).join(","),
    list,
    writeLogs: async (dir) => {
      for (const [i, g] of list.entries()) {
        await Deno.writeTextFile(`${dir}/gateway${list.length > 1 ? i + 1 : ""}.log`, g.logs());
      }
    },
    stop,
  };
  if (n > 1) {
    try {
      await waitFormed(list, formMs);
    } catch (e) {
      await stop();
      throw e;
    }
  }
  return gateways;
}

async function brokersOf(g: RunningGateway): Promise<string[]> {
  const c = await WireClient.connect(g.port, "compat-cluster");
  try {
    const r = await c.call<MetadataResponse>(MetadataSpec, 1, { topics: [] });
    return r.brokers.map((b) => `${b.nodeId}@${b.host}:${b.port}`).sort();
  } finally {
    c.close();
  }
}

async function waitFormed(list: readonly RunningGateway[], ms: number): Promise<void> {
  const want = list.map((g, i) => `${i + 1}@127.0.0.1:${g.port}`).sort();
  const deadline = Date.now() + ms;
  let last: string[][] = [];
  for (;;) {
    try {
      last = await Promise.all(list.map(brokersOf));
      if (last.every((b) => JSON.stringify(b) === JSON.stringify(want))) return;
    } catch (e) {
      last = [[String(e)]];
    }
    if (Date.now() > deadline) {
      throw new Error(
        `the ${list.length} gateways did not form one cluster within ${ms} ms: brokers wanted [${want}], ` +
          `Metadata through each: ${last.map((b) => `[${b}]`).join(" ")}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
