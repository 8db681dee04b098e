// Client quotas on the SeaweedMQ backend live in the filer, shared by every gateway of the namespace: a quota set
// through one gateway is enforced by a second within 5 s (each on its own traffic), its removal too, and a
// restarted gateway reads the quotas back.
import { assert, assertEquals } from "../unit/assert.ts";
import { type RunningGateway, startGateway } from "../helpers/gateway.ts";
import { clusterForModule } from "../helpers/seaweedfs.ts";
import { describeAll, produceThrottle, setQuotas } from "../helpers/quotas.ts";

const cluster = await clusterForModule();
const opts = { sanitizeOps: false, sanitizeResources: false };

/** Polls `check` until it holds; returns the ms it took, or throws after `ms`. */
async function within(ms: number, what: string, check: () => Promise<boolean>): Promise<number> {
  const t0 = Date.now();
  while (!await check()) {
    if (Date.now() - t0 > ms) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return Date.now() - t0;
}

if (cluster !== null) {
  Deno.test({
    name: "seaweedmq quotas: set through one gateway, enforced by another within 5 s, kept over a restart",
    ...opts,
    fn: async () => {
      const namespace = `kafka_q${Date.now().toString(36)}`;
      const dirA = await Deno.makeTempDir({ prefix: "kgw-q-a-" });
      const dirB = await Deno.makeTempDir({ prefix: "kgw-q-b-" });
      const args = (
        id: number,
      ) => [...cluster.gatewayArgs, "--seaweedmq-namespace", namespace, "--node-id", String(id)];
      let a: RunningGateway | null = await startGateway({ dataDir: dirA, args: args(1) });
      const b = await startGateway({ dataDir: dirB, args: args(2) });
      let n = 0;
      // each probe its own client id: a fresh rate, 200 kB in the first window = 20 kB/s
      const throttledOn = async (gw: RunningGateway) =>
        await produceThrottle(gw.port, `probe-${n++}`, 200_000, true) > 0;
      try {
        assertEquals(await throttledOn(b), false, "no quota yet");
        await setQuotas(a.port, [{
          entity: [["client-id", null]],
          key: "producer_byte_rate",
          value: 10_000,
        }]);
        const ms = await within(5000, "gateway B enforces A's quota", () => throttledOn(b));
        console.log(`gateway B throttles ${ms} ms after the quota was set through A`);
        await setQuotas(b.port, [{ entity: [["client-id", null]], key: "producer_byte_rate", value: null }]);
        await within(5000, "gateway A drops the quota removed through B", async () => !await throttledOn(a!));
        await setQuotas(a.port, [{
          entity: [["user", "ANONYMOUS"]],
          key: "consumer_byte_rate",
          value: 5000,
        }]);
        await a.stop();
        a = await startGateway({ dataDir: dirA, args: args(1) });
        const d = await describeAll(a.port);
        assertEquals(
          d.entries!.map((
            e,
          ) => [e.entity[0].entityType, e.entity[0].entityName, e.values[0].key, e.values[0].value]),
          [["user", "ANONYMOUS", "consumer_byte_rate", 5000]],
        );
        assert(d.errorCode === 0);
      } finally {
        await a?.stop();
        await b.stop();
        await Deno.remove(dirA, { recursive: true }).catch(() => {});
        await Deno.remove(dirB, { recursive: true }).catch(() => {});
      }
    },
  });
}
