// A SeaweedMQ broker killed under a cluster of three gateways (issue 13's "kill -9 of a broker under load" on the
// three-gateway cluster): SeaweedFS with three mq.brokers, gateways 1-3 as one Kafka cluster, producers bootstrapped
// at all three (each partition's records go through the gateway that leads it). A broker that is not SeaweedMQ's
// balancer and leads some partitions is killed (-9) and kept down:
// - its partitions move to a live broker and are produced to again while it is down (the gateway leading each has
//   SeaweedMQ re-assign it), with the other partitions unaffected;
// - Kafka's view does not move: the partition leaders (gateways) and their leader epochs stay as they were, since
//   a broker move is below the gateways (no client re-routes, no epoch bump);
// - nothing acknowledged is lost, moved or overwritten, also after the broker's restart.
// Prints one summary line with the counts and timings.
import { assert, assertEquals } from "../unit/assert.ts";
import {
  assertNothingLost,
  audit,
  brokerProcs,
  countsText,
  kafkaLeaders,
  leadersOf,
  pct,
  produce,
  sleep,
  topicOnEveryBroker,
  withThreeGateways,
} from "../helpers/smq_failover.ts";
import { weedTool } from "../helpers/seaweedfs.ts";

const weed = await weedTool();
const opts = { sanitizeOps: false, sanitizeResources: false, ignore: weed.ignore };
/** How long the killed broker stays down. */
const DOWN_MS = 10_000;
const PARTITIONS = 9;

/** "partition -> leaderId@epoch" of `topic` as gateway `port` answers Metadata. */
async function leadersAt(port: number, topic: string): Promise<string[]> {
  return (await kafkaLeaders(port, topic)).map((l) => `${l.id}@${l.epoch}`);
}

Deno.test({
  name:
    "seaweedmq, 3 gateways x 3 brokers: a broker killed (-9) under load: its partitions move to a live broker and " +
    "produce resumes while it is down, Kafka's leaders and epochs stay, nothing acked lost or moved",
  ...opts,
  fn: async () => {
    await withThreeGateways(5, [], async (c, gws) => {
      const bootstrap = gws.list.map((g) => g.bootstrap);
      const brokers = brokerProcs(c);
      const ns = /namespace ([^\s;]+);/.exec(gws.list[0].logs())?.[1] ?? "kafka";
      // the broker to kill: not the balancer, leading some partitions of a topic all three brokers lead
      const { topic, placed: before, victim } = await topicOnEveryBroker(
        bootstrap,
        brokers,
        ns,
        "cluster-broker-kill",
        PARTITIONS,
      );
      const survivors = brokers.filter((b) => b !== victim);
      const victimParts = before.flatMap((b, i) => b === victim.address ? [i] : []);
      const otherParts = before.flatMap((b, i) => b !== victim.address ? [i] : []);
      const parts = [...Array(PARTITIONS).keys()];
      const kafkaBefore = await leadersAt(gws.list[0].port, topic);
      assertEquals(
        new Set(kafkaBefore.map((l) => l.split("@")[0])).size,
        3,
        `the topic's partitions are led by all three gateways: ${kafkaBefore}`,
      );

      const load = produce(bootstrap, topic, parts, {
        batch: 10,
        intervalMs: 50,
        idempotent: false,
        timeoutMs: 5000,
        retries: 0,
      });
      await sleep(3000);
      const pid = Number((await Deno.readTextFile(victim.pidFile)).trim());
      const killedAt = Date.now();
      Deno.kill(pid, "SIGKILL");
      const stopped = victim.stop("KILL").then(() => null, (e: unknown) => e);
      const movedAt = new Map<number, number>();
      while (Date.now() - killedAt < DOWN_MS) {
        await sleep(250);
        const now = await leadersOf(survivors, ns, topic);
        for (const i of victimParts) {
          if (!movedAt.has(i) && now.length === PARTITIONS && now[i] && now[i] !== victim.address) {
            movedAt.set(i, Date.now());
          }
        }
      }
      const stopError = await stopped;
      if (stopError) throw stopError;
      const kafkaWhileDown = await Promise.all(gws.list.map((g) => leadersAt(g.port, topic)));
      await victim.start();
      const restartedAt = Date.now();
      await sleep(8000);
      await load.stop();
      const kafkaAfter = await leadersAt(gws.list[0].port, topic);
      const counts = await audit(bootstrap, topic, load, parts);

      const ackAfter = (p: number, t: number) =>
        load.sends[p].find((x) => x.ok && x.at - x.ms > t)?.at ?? Infinity;
      const outage = (ps: number[]) => Math.max(0, ...ps.map((p) => ackAfter(p, killedAt) - killedAt));
      const moved = [...movedAt.values()].map((t) => t - killedAt);
      const resumed = victimParts.filter((p) => ackAfter(p, killedAt) < restartedAt);
      const afterRestart = Math.max(...parts.map((p) => ackAfter(p, restartedAt) - restartedAt));
      const errMs = load.failures.map((f) => f.ms);
      console.log(
        `3 gateways x 3 brokers, broker ${victim.address} killed (leading ${victimParts.length}/${PARTITIONS} ` +
          `partitions), down ${restartedAt - killedAt} ms: re-assigned while down ${moved.length}/` +
          `${victimParts.length} (${moved.length ? `${Math.min(...moved)}-${Math.max(...moved)} ms` : "-"} ` +
          `after the kill), produce resumed while down ${resumed.length}/${victimParts.length} (outage ` +
          `${outage(victimParts)} ms), other partitions' outage ${outage(otherParts)} ms, every partition ` +
          `acked ${afterRestart} ms after the restart, failed sends ${load.failures.length} (max ` +
          `${pct(errMs, 1)} ms), Kafka leaders ${kafkaBefore.join(",")} -> ${kafkaAfter.join(",")}, ` +
          countsText(counts) + (counts.examples.length ? `\n  ${counts.examples.join("\n  ")}` : ""),
      );
      assertNothingLost(counts);
      assert(counts.acked > 0, "records acknowledged");
      assertEquals(
        moved.length,
        victimParts.length,
        "the killed broker's partitions re-assigned while down",
      );
      assertEquals(resumed.length, victimParts.length, "the killed broker's partitions resumed while down");
      assert(
        outage(victimParts) <= 3000,
        `produce to them resumed ${outage(victimParts)} ms after the kill`,
      );
      assert(outage(otherParts) < 3000, `the other partitions kept working (${outage(otherParts)} ms)`);
      assert(pct(errMs, 1) <= 8000, `a failed produce took ${pct(errMs, 1)} ms`);
      assert(
        afterRestart < 10_000,
        `every partition is produced to after the restart (${afterRestart} ms)`,
      );
      // a broker move is below the gateways: no Kafka leader changed, no epoch bumped, every gateway agrees
      for (const [i, v] of kafkaWhileDown.entries()) {
        assertEquals(v, kafkaBefore, `Kafka leaders@epochs on gateway ${i + 1} while the broker was down`);
      }
      assertEquals(kafkaAfter, kafkaBefore, "Kafka leaders@epochs after the broker's restart");
    });
  },
});
