// SeaweedMQ brokers failing under produce load (issue 13), against a real SeaweedFS (tests/helpers/seaweedfs.ts):
//   1. one gateway, one broker killed (-9) and restarted: every acknowledged record is stored at exactly the offset
//      acknowledged to the producer (none lost, none moved, none duplicated, no offset holding two records);
//   2. two brokers, the one leading some partitions killed (-9) and restarted: produce to its partitions fails
//      quickly (bounded error latency, no hanging request) while it is down, nothing acknowledged is lost or
//      moved, and produce resumes once it is back.
// Each test prints one summary line with its counts and timings.
import { assert, assertEquals } from "../unit/assert.ts";
import { type RunningGateway, runWithGateway } from "../helpers/gateway.ts";
import { Kafka, logLevel, readWholePartition } from "../helpers/kafkajs.ts";
import { clusterForModule, type SeaweedFS, startSeaweedFS } from "../helpers/seaweedfs.ts";
import { RpcChannel } from "../../src/storage/seaweedmq/transport/grpc.ts";
import * as m from "../../src/storage/seaweedmq/transport/messages.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
// SeaweedFS's default flush interval (5 s): a killed broker then often restarts its offset counter from a checkpoint
// ahead of its flushed data (see PartitionState.lowerCheckpoint), the case that moved acknowledged offsets.
const cluster = await clusterForModule({ logFlushIntervalSec: 5 });
/** Kill-restart cycles of the one-broker test (KGW_FAILOVER_KILLS). */
const KILLS = Number(Deno.env.get("KGW_FAILOVER_KILLS") ?? 3);
/** KGW_FAILOVER_LOG=debug: the gateways log at debug level (and the tests print their whole log). */
const DEBUG = Deno.env.get("KGW_FAILOVER_LOG") === "debug" ? ["--log-level", "debug"] : [];
/** How long the second test keeps the killed broker down (KGW_FAILOVER_DOWN_MS). */
const DOWN_MS = Number(Deno.env.get("KGW_FAILOVER_DOWN_MS") ?? 18_000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function client(gw: RunningGateway, retries = 5) {
  return new Kafka({
    clientId: "broker-failover-test",
    brokers: [gw.bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries, initialRetryTime: 100, maxRetryTime: 1000 },
  });
}

interface Acked {
  value: string;
  offset: number;
}

interface Load {
  acked: Acked[][];
  /** Sends that failed: when they ended, how long they took, what the client saw. */
  failures: { partition: number; at: number; ms: number; error: string }[];
  /** Latency of each send (ms) with its end time and outcome, per partition. */
  sends: { partition: number; at: number; ms: number; ok: boolean }[][];
  notAcked: number;
  stop(): Promise<void>;
}

/**
 * One producer per partition, sending a batch of `batch` records every `intervalMs` (acks=all), recording each
 * acknowledged record's offset. `idempotent`: KafkaJS's idempotent producer (its retries keep the records once).
 */
function produce(
  gw: RunningGateway,
  topic: string,
  partitions: number[],
  o: { batch: number; intervalMs: number; idempotent: boolean; timeoutMs: number; retries: number },
): Load {
  const load: Load = {
    acked: [],
    failures: [],
    sends: [],
    notAcked: 0,
    stop: async () => {},
  };
  let stopped = false;
  const loops = partitions.map(async (p) => {
    load.acked[p] = [];
    load.sends[p] = [];
    const producer = client(gw, o.retries).producer({
      allowAutoTopicCreation: false,
      idempotent: o.idempotent,
      maxInFlightRequests: o.idempotent ? 1 : undefined,
    });
    await producer.connect();
    for (let b = 0; !stopped; b++) {
      const values = Array.from({ length: o.batch }, (_, i) => `p${p}-b${b}-m${i}`);
      const t0 = Date.now();
      try {
        const [r] = await producer.send({
          topic,
          acks: -1,
          timeout: o.timeoutMs,
          messages: values.map((value) => ({ partition: p, value })),
        });
        const base = Number(r.baseOffset);
        values.forEach((value, i) => load.acked[p].push({ value, offset: base + i }));
        load.sends[p].push({ partition: p, at: Date.now(), ms: Date.now() - t0, ok: true });
      } catch (e) {
        load.notAcked += values.length; // may or may not be stored
        const at = Date.now();
        load.failures.push({ partition: p, at, ms: at - t0, error: (e as Error).message });
        load.sends[p].push({ partition: p, at, ms: at - t0, ok: false });
      }
      const wait = o.intervalMs - (Date.now() - t0);
      if (wait > 0) await sleep(wait);
    }
    await producer.disconnect().catch(() => {});
  });
  load.stop = async () => {
    stopped = true;
    await Promise.all(loops);
  };
  return load;
}

/** Every record of a partition with its offset, read through the gateway up to the high watermark. */
async function readAll(gw: RunningGateway, topic: string, partition: number): Promise<Acked[]> {
  const { messages } = await readWholePartition(gw.bootstrap, topic, partition);
  return messages.map((msg) => ({ value: msg.value!.toString(), offset: Number(msg.offset) }));
}

interface Counts {
  acked: number;
  lost: number;
  moved: number;
  duplicates: number;
  /** Offsets acknowledged for two different records, or stored holding two records. */
  doubleOffsets: number;
  stored: number;
  examples: string[];
}

async function audit(gw: RunningGateway, topic: string, load: Load, partitions: number[]): Promise<Counts> {
  const c: Counts = { acked: 0, lost: 0, moved: 0, duplicates: 0, doubleOffsets: 0, stored: 0, examples: [] };
  for (const p of partitions) {
    const stored = await readAll(gw, topic, p);
    c.stored += stored.length;
    const at = new Map<string, number[]>();
    const byOffset = new Map<number, Set<string>>();
    for (const s of stored) {
      at.set(s.value, [...(at.get(s.value) ?? []), s.offset]);
      byOffset.set(s.offset, (byOffset.get(s.offset) ?? new Set()).add(s.value));
    }
    for (const offs of at.values()) if (offs.length > 1) c.duplicates += offs.length - 1;
    const ackedAt = new Map<number, Set<string>>();
    for (const a of load.acked[p]) {
      c.acked++;
      ackedAt.set(a.offset, (ackedAt.get(a.offset) ?? new Set()).add(a.value));
      const offs = at.get(a.value);
      if (!offs) {
        c.lost++;
        if (c.examples.length < 6) c.examples.push(`lost p${p} ${a.value}@${a.offset}`);
      } else if (!offs.includes(a.offset)) {
        c.moved++;
        if (c.examples.length < 6) c.examples.push(`moved p${p} ${a.value} acked@${a.offset} stored@${offs}`);
      }
    }
    for (const vs of ackedAt.values()) if (vs.size > 1) c.doubleOffsets++;
    for (const vs of byOffset.values()) if (vs.size > 1) c.doubleOffsets++;
  }
  return c;
}

function pct(xs: number[], q: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

function recoveryLog(gw: RunningGateway): string {
  if (Deno.env.get("KGW_FAILOVER_LOG")) return gw.logs(); // the whole log, for a post-mortem
  return gw.logs().split("\n")
    .filter((l) => /lost|checkpoint|reloading|behind|refus|leader .* ->|re-?assign|ConfigureTopic/.test(l))
    .slice(-25).join("\n");
}

async function createTopic(gw: RunningGateway, topic: string, n: number) {
  const admin = client(gw).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: n }] });
  await admin.disconnect();
}

/** Partition index -> leader broker, from a broker's LookupTopicBrokers (sorted by ring range). */
async function leaders(broker: string, namespace: string, topic: string): Promise<string[]> {
  const ch = new RpcChannel(broker);
  try {
    const a = m.decodeLookupTopicBrokersResponse(
      await ch.unary(m.Rpc.LookupTopicBrokers, m.encodeTopicRequest({ namespace, name: topic }), 10000),
    ).sort((x, y) => x.partition.rangeStart - y.partition.rangeStart);
    return a.map((x) => x.leaderBroker);
  } finally {
    ch.close();
  }
}

/** Leader/follower of each partition as the filer's topic.conf stores them. */
async function topicConf(c: SeaweedFS, ns: string, topic: string): Promise<string> {
  try {
    const res = await fetch(`http://${c.filer}/topics/${ns}/${topic}/topic.conf`);
    const j = await res.json() as {
      brokerPartitionAssignments?: { leaderBroker?: string; followerBroker?: string }[];
    };
    return (j.brokerPartitionAssignments ?? []).map((a) =>
      `${a.leaderBroker ?? ""}/${a.followerBroker ?? ""}`
    )
      .join(",");
  } catch (e) {
    return `(${(e as Error).message})`;
  }
}

/** The broker holding SeaweedMQ's balancer lock. */
async function balancerLeader(broker: string): Promise<string> {
  const ch = new RpcChannel(broker);
  try {
    return m.decodeFindBrokerLeaderResponse(await ch.unary(m.Rpc.FindBrokerLeader, new Uint8Array(0), 10000));
  } finally {
    ch.close();
  }
}

if (cluster) {
  const c: SeaweedFS = cluster;

  Deno.test({
    name:
      "seaweedmq: a broker killed (-9) and restarted under load: every acknowledged offset holds its record",
    ...opts,
    fn: () =>
      runWithGateway({ args: [...c.gatewayArgs, ...DEBUG] }, async (gw) => {
        const topic = "failover-one-broker";
        const parts = [0, 1, 2];
        await createTopic(gw, topic, parts.length);
        const load = produce(gw, topic, parts, {
          batch: 20,
          intervalMs: 10,
          idempotent: true,
          timeoutMs: 30_000,
          retries: 10,
        });
        await sleep(3000);
        const before = load.acked.reduce((s, a) => s + a.length, 0);
        // a few kills at different points of the broker's 2 s checkpoint and flush cycles: its offset counter
        // restarts from its last checkpoint, which can be ahead of or behind the flushed data
        const downs: number[] = [];
        let killedAt = 0;
        for (let i = 0; i < KILLS; i++) {
          await c.stopBroker("KILL");
          killedAt ||= Date.now();
          const t0 = Date.now();
          await sleep(1000);
          await c.startBroker();
          downs.push(Date.now() - t0);
          await sleep(3000 + 700 * i);
        }
        await sleep(2000);
        await load.stop();
        const counts = await audit(gw, topic, load, parts);
        // produce unavailability: the longest time between two acknowledged sends of a partition around the kill
        const gaps = parts.map((p) => {
          const ok = load.sends[p].filter((s) => s.ok).map((s) => s.at);
          let g = 0;
          for (let i = 1; i < ok.length; i++) if (ok[i] > killedAt - 1000) g = Math.max(g, ok[i] - ok[i - 1]);
          return g;
        });
        console.log(
          `one-broker failover: acked=${counts.acked} (before kill ${before}) lost=${counts.lost} ` +
            `moved=${counts.moved} duplicates=${counts.duplicates} doubleOffsets=${counts.doubleOffsets} ` +
            `stored=${counts.stored} notAcked=${load.notAcked} failedSends=${load.failures.length} ` +
            `${KILLS} kills, broker down ${downs.join("/")} ms, longest produce gap per partition ${
              gaps.join("/")
            } ms` +
            (counts.examples.length ? `\n  ${counts.examples.join("\n  ")}` : "") +
            `\n--- gateway recovery log ---\n${recoveryLog(gw)}`,
        );
        assert(before > 500, `produced before the kill (${before})`);
        assert(counts.acked > before, `produced after the restart (${counts.acked} > ${before})`);
        assertEquals(counts.lost, 0, "acknowledged records lost");
        assertEquals(counts.moved, 0, "acknowledged records stored at another offset");
        assertEquals(counts.doubleOffsets, 0, "offsets holding two records");
        assertEquals(counts.duplicates, 0, "records stored twice (idempotent producer)");
      }),
  });

  Deno.test({
    name:
      "seaweedmq: two brokers, the leader of some partitions killed (-9): bounded errors, nothing acked lost, " +
      "produce resumes",
    ...opts,
    fn: async () => {
      // a cluster of its own: master, volume, filer and two brokers
      const c = await startSeaweedFS({ brokers: 2, logFlushIntervalSec: 5 });
      try {
        await twoBrokers(c);
      } finally {
        await c.stop();
      }
    },
  });
}

/** Partition index -> leader broker, asked of any live broker. */
async function leadersOf(c: SeaweedFS, ns: string, topic: string): Promise<string[]> {
  for (const b of [c.broker, c.broker2!]) {
    try {
      return await leaders(b, ns, topic);
    } catch { /* that one is down */ }
  }
  return [];
}

function twoBrokers(c: SeaweedFS): Promise<void> {
  return runWithGateway({ args: [...c.gatewayArgs, ...DEBUG] }, async (gw) => {
    const ns = /namespace ([^\s;]+);/.exec(gw.logs())?.[1] ?? "kafka";
    // the balancer spreads a topic's partitions over the brokers registered with it: wait until both are
    for (let i = 0;; i++) {
      await createTopic(gw, `probe-${i}`, 8);
      if (new Set(await leadersOf(c, ns, `probe-${i}`)).size === 2) break;
      assert(i < 15, "the second broker registered with the balancer");
      await sleep(1000);
    }
    const summaries: string[] = [];
    for (const kill of ["non-balancer", "balancer"] as const) {
      summaries.push(await killOne(c, gw, ns, kill));
    }
    console.log(summaries.join("\n"));
  });
}

/** One broker killed (-9) under produce load, down DOWN_MS, restarted: checks and returns a summary line. */
async function killOne(
  c: SeaweedFS,
  gw: RunningGateway,
  ns: string,
  kill: "balancer" | "non-balancer",
): Promise<string> {
  const topic = `failover-two-brokers-${kill}`;
  const n = 6;
  await createTopic(gw, topic, n);
  const before = await leadersOf(c, ns, topic);
  const balancer = await balancerLeader(c.broker).catch(() => balancerLeader(c.broker2!));
  const other = balancer === c.broker ? c.broker2! : c.broker;
  const victim = kill === "balancer" ? balancer : other;
  const survivor = victim === c.broker ? c.broker2! : c.broker;
  const victimParts = before.flatMap((b, i) => b === victim ? [i] : []);
  const otherParts = before.flatMap((b, i) => b !== victim ? [i] : []);
  assert(victimParts.length > 0, `${victim} leads partitions of ${topic}: ${before.join(", ")}`);
  const parts = [...Array(n).keys()];
  const load = produce(gw, topic, parts, {
    batch: 10,
    intervalMs: 50,
    idempotent: false,
    timeoutMs: 5000,
    retries: 0,
  });
  await sleep(3000);
  const logName = victim === c.broker ? "broker" : "broker2";
  const logBefore = await Deno.readTextFile(`${c.dir}/${logName}.log`).catch(() => "");
  await (victim === c.broker ? c.stopBroker("KILL") : c.stopBroker2("KILL"));
  const killedAt = Date.now();
  // down for a while: does SeaweedMQ (driven by the gateway) move the partitions to the surviving broker?
  let movedAt = 0;
  while (Date.now() - killedAt < DOWN_MS) {
    await sleep(250);
    const now = await leaders(survivor, ns, topic).catch(() => [] as string[]);
    if (!movedAt && now.length === n && victimParts.every((i) => now[i] && now[i] !== victim)) {
      movedAt = Date.now();
    }
  }
  const confDown = await topicConf(c, ns, topic);
  await (victim === c.broker ? c.startBroker() : c.startBroker2());
  const restartedAt = Date.now();
  await sleep(8_000);
  await load.stop();
  const after = await leadersOf(c, ns, topic);
  const confAfter = await topicConf(c, ns, topic);
  let auditError: unknown = null;
  const counts = await audit(gw, topic, load, parts).catch((e) => {
    auditError = e; // reported after the summary line
    return { acked: -1, lost: -1, moved: -1, duplicates: -1, doubleOffsets: -1, stored: -1, examples: [] };
  });
  const logAfter = (await Deno.readTextFile(`${c.dir}/${logName}.log`).catch(() => "")).slice(
    logBefore.length,
  );
  const panics = (logAfter.match(/^panic:/gm) ?? []).length;
  // how long each group of partitions went without an acknowledged send after the kill
  const outage = (ps: number[]) =>
    Math.max(
      0,
      ...ps.map((p) => {
        const ok = load.sends[p].filter((x) => x.ok && x.at > killedAt).map((x) => x.at);
        return (ok[0] ?? Infinity) - killedAt;
      }),
    );
  const errMs = load.failures.map((f) => f.ms);
  const kinds = new Map<string, number>();
  for (const f of load.failures) {
    const k = f.error.replace(/\d+/g, "N").slice(0, 60);
    kinds.set(k, (kinds.get(k) ?? 0) + 1);
  }
  const line =
    `two-broker failover, killed the ${kill} (${victim}) leading partitions ${victimParts.join(",")} ` +
    `(survivor ${survivor} leads ${otherParts.join(",") || "none"}): down ${restartedAt - killedAt} ms; ` +
    `re-assigned to the survivor while down: ${movedAt ? `after ${movedAt - killedAt} ms` : "no"}; ` +
    `leaders after ${
      after.join(",")
    } (topic.conf while down ${confDown}, after ${confAfter}); first ack after the kill: killed broker's partitions ` +
    `${outage(victimParts)} ms, survivor's ${outage(otherParts)} ms; failed sends ${load.failures.length} ` +
    `(latency p50 ${pct(errMs, 0.5)} max ${pct(errMs, 1)} ms: ${
      [...kinds].map(([k, v]) => `${v}x ${k}`).join("; ")
    }); ` +
    `panics in the restarted broker's log ${panics}; acked=${counts.acked} lost=${counts.lost} ` +
    `moved=${counts.moved} duplicates=${counts.duplicates} doubleOffsets=${counts.doubleOffsets} ` +
    `notAcked=${load.notAcked}` + (counts.examples.length ? `\n  ${counts.examples.join("\n  ")}` : "");
  console.log(`${line}\n--- gateway recovery log ---\n${recoveryLog(gw)}`);
  if (auditError) throw auditError;
  assertEquals(counts.lost, 0, "acknowledged records lost");
  assertEquals(counts.moved, 0, "acknowledged records stored at another offset");
  assertEquals(counts.doubleOffsets, 0, "offsets holding two records");
  // errors are bounded: no produce waits past the gateway's 5 s wait for an unavailable partition (+ slack)
  assert(pct(errMs, 1) <= 8000, `a failed produce took ${pct(errMs, 1)} ms`);
  assert(Number.isFinite(outage(victimParts)), "produce to the killed broker's partitions resumed");
  assert(outage(otherParts) < 8000, `the survivor's partitions kept working (${outage(otherParts)} ms)`);
  return line;
}
