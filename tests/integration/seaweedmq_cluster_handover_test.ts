// Issue 13's hand-over window: a gateway hands its partitions over (a graceful stop) while the SeaweedMQ broker that
// holds their latest acknowledged records -- acknowledged from memory, not flushed yet (the brokers flush every 30 s
// here) -- stops answering and is then killed (-9). The releasing gateway is the only one with a copy of those
// records: its release must find them missing from the broker's files and publish them again (on the broker
// SeaweedMQ re-assigns the partition to) before the next gateway takes the partition over. Nothing acknowledged is
// lost, moved or overwritten. Prints one summary line.
import { assert, assertEquals } from "../unit/assert.ts";
import { weedTool } from "../helpers/seaweedfs.ts";
import {
  assertNothingLost,
  audit,
  brokerProcs,
  countsText,
  fetchAtLogEnd,
  kafkaLeaders,
  produce,
  sleep,
  topicOnEveryBroker,
  withThreeGateways,
} from "../helpers/smq_failover.ts";

const weed = await weedTool();
const opts = { sanitizeOps: false, sanitizeResources: false, ignore: weed.ignore };
const PARTITIONS = 9;

Deno.test({
  name:
    "seaweedmq, 3 gateways x 3 brokers: a gateway stopping while the broker with its unflushed acknowledged records " +
    "freezes and dies publishes them again before the hand-over; nothing acked lost",
  ...opts,
  fn: async () => {
    await withThreeGateways(30, ["--shutdown-timeout-ms", "30000"], async (c, gws) => {
      const bootstrap = gws.list.map((g) => g.bootstrap);
      const brokers = brokerProcs(c);
      const ns = /namespace ([^\s;]+);/.exec(gws.list[0].logs())?.[1] ?? "kafka";
      // a topic whose partitions all three brokers lead; the victim is a broker that is not SeaweedMQ's balancer
      const { topic, placed, victim } = await topicOnEveryBroker(
        bootstrap,
        brokers,
        ns,
        "cluster-handover",
        PARTITIONS,
      );
      const parts = [...Array(PARTITIONS).keys()];
      const onVictim = parts.filter((p) => placed[p] === victim.address);
      // the gateway to stop: the one leading (in Kafka) most of the victim broker's partitions
      const kafka = (await kafkaLeaders(gws.list[0].port, topic)).map((l) => l.id);
      const ids = gws.list.map((_, i) => i + 1);
      const handed = (id: number) => onVictim.filter((p) => kafka[p] === id);
      const stopId = ids.sort((a, b) => handed(b).length - handed(a).length)[0];
      const stopping = gws.list[stopId - 1];
      assert(
        handed(stopId).length > 0,
        `gateway ${stopId} leads a partition on ${victim.address}: ${kafka}`,
      );

      // acknowledged records, all still in the brokers' memory only (30 s flush interval)
      const load = produce(bootstrap, topic, parts, {
        batch: 10,
        intervalMs: 50,
        idempotent: false,
        timeoutMs: 5000,
        retries: 0,
      });
      await sleep(3000);
      await load.stop();
      assert(load.acked.every((a) => a.length > 0), "every partition has acknowledged records");

      // the broker stops answering; the gateway stops (its releases wait on the broker); the broker dies
      const pid = Number((await Deno.readTextFile(victim.pidFile)).trim());
      Deno.kill(pid, "SIGSTOP");
      const t0 = Date.now();
      const stopped = stopping.stop();
      await sleep(1000);
      Deno.kill(pid, "SIGKILL");
      await victim.stop("KILL").catch(() => {});
      await stopped;
      const stopMs = Date.now() - t0;

      const rest = gws.list.filter((g) => g !== stopping).map((g) => g.bootstrap);
      const counts = await audit(rest, topic, load, parts);
      const log = stopping.logs();
      const republished = handed(stopId).filter((p) =>
        new RegExp(`${topic}-${p}: the broker lost \\d+ acknowledged records`).test(log)
      );
      console.log(
        `  hand-over: gateway ${stopId} stopped while broker ${victim.address} (leading partitions ` +
          `${onVictim.join(",")}) froze and died; its partitions there ${
            handed(stopId).join(",")
          }, published ` +
          `again by it: ${republished.join(",") || "none"}; stop took ${stopMs} ms; ${countsText(counts)}` +
          (counts.examples.length ? `\n  ${counts.examples.join("\n  ")}` : ""),
      );
      assertNothingLost(counts);
      assert(counts.acked > 0, "records acknowledged");
      assertEquals(republished, handed(stopId), "the stopping gateway published the lost records again");
      // a consumer caught up reads at the log end: partitions SeaweedMQ moved off the dead broker are served there
      // too, published to since or not
      const remaining = gws.list.filter((g) => g !== stopping);
      const remainingIds = gws.list.map((_, i) => i + 1).filter((id) => id !== stopId);
      assertEquals(
        await fetchAtLogEnd(remaining, remainingIds, topic, parts),
        parts.map(() => 0),
        "a Fetch at each partition's log end answers NONE",
      );
    });
  },
});
