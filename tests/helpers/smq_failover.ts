// Produce load and its audit for the SeaweedMQ failover tests (one gateway or several): producers that record every
// acknowledged offset, a read-back that counts lost / moved / overwritten / duplicated records, and SeaweedMQ's own
// view of partition leaders and the balancer (LookupTopicBrokers, FindBrokerLeader) for choosing what to kill.
import { assert, assertEquals } from "../unit/assert.ts";
import type { RunningGateway } from "./gateway.ts";
import { Kafka, logLevel, readWholePartition } from "./kafkajs.ts";
import { type SeaweedFS, startSeaweedFS } from "./seaweedfs.ts";
import { type Gateways, startGateways } from "../../scripts/compat/gateways.ts";
import { RpcChannel } from "../../src/storage/seaweedmq/transport/grpc.ts";
import * as m from "../../src/storage/seaweedmq/transport/messages.ts";
import { fetchBody, WireClient } from "./wire.ts";
import { type MetadataResponse, MetadataSpec } from "../../src/protocol/messages/metadata.ts";
import { type FetchResponse, FetchSpec } from "../../src/protocol/messages/fetch.ts";

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function client(bootstrap: readonly string[], retries = 5) {
  return new Kafka({
    clientId: "broker-failover-test",
    brokers: [...bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries, initialRetryTime: 100, maxRetryTime: 1000 },
  });
}

export interface Acked {
  value: string;
  offset: number;
}

export interface Load {
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
export function produce(
  bootstrap: readonly string[],
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
    const producer = client(bootstrap, o.retries).producer({
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

/**
 * Every record of a partition with its offset, read through the gateway up to the high watermark. Retriable errors
 * (NOT_LEADER_OR_FOLLOWER while SeaweedMQ still moves partitions after a restart) are retried for up to 30 s, as a
 * client would.
 */
const notLeader = (e: unknown) => /fetch error 6 |not the leader/.test(String((e as Error)?.message));

async function readAll(bootstrap: readonly string[], topic: string, partition: number): Promise<Acked[]> {
  for (let attempt = 0;; attempt++) {
    // with several gateways, the partition's leader serves it: the others answer NOT_LEADER_OR_FOLLOWER (6)
    let last: unknown = null;
    for (const b of bootstrap) {
      try {
        const { messages } = await readWholePartition(b, topic, partition);
        return messages.map((msg) => ({ value: msg.value!.toString(), offset: Number(msg.offset) }));
      } catch (e) {
        last = e;
        if (bootstrap.length > 1 && notLeader(e)) continue;
        break;
      }
    }
    const retriable = (last as { retriable?: boolean }).retriable || notLeader(last);
    if (!retriable || attempt >= 30) throw last;
    await sleep(1000);
  }
}

export interface Counts {
  acked: number;
  lost: number;
  /** Acknowledged records stored at another offset than acknowledged. */
  moved: number;
  /** Acknowledged offsets holding another record than the one acknowledged there. */
  overwritten: number;
  duplicates: number;
  /** Offsets acknowledged for two different records, or stored holding two records. */
  doubleOffsets: number;
  stored: number;
  examples: string[];
}

export async function audit(
  bootstrap: readonly string[],
  topic: string,
  load: Load,
  partitions: number[],
): Promise<Counts> {
  const c: Counts = { ...NO_COUNTS, examples: [] };
  for (const p of partitions) {
    const stored = await readAll(bootstrap, topic, p);
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
      const there = byOffset.get(a.offset);
      if (there && !there.has(a.value)) {
        c.overwritten++;
        if (c.examples.length < 6) {
          c.examples.push(`overwritten p${p} @${a.offset}: ${a.value} -> ${[...there]}`);
        }
      }
    }
    for (const vs of ackedAt.values()) if (vs.size > 1) c.doubleOffsets++;
    for (const vs of byOffset.values()) if (vs.size > 1) c.doubleOffsets++;
  }
  return c;
}

export const NO_COUNTS: Counts = {
  acked: 0,
  lost: 0,
  moved: 0,
  overwritten: 0,
  duplicates: 0,
  doubleOffsets: 0,
  stored: 0,
  examples: [],
};

export function countsText(c: Counts): string {
  return `acked=${c.acked} lost=${c.lost} moved=${c.moved} overwritten=${c.overwritten} duplicates=${c.duplicates} ` +
    `doubleOffsets=${c.doubleOffsets} stored=${c.stored}`;
}

export function assertNothingLost(c: Counts): void {
  assertEquals(c.lost, 0, "acknowledged records lost");
  assertEquals(c.moved, 0, "acknowledged records stored at another offset");
  assertEquals(c.overwritten, 0, "acknowledged offsets holding another record");
  assertEquals(c.doubleOffsets, 0, "offsets holding two records");
}

export function pct(xs: number[], q: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

export function recoveryLog(gw: RunningGateway): string {
  if (Deno.env.get("KGW_FAILOVER_LOG")) return gw.logs(); // the whole log, for a post-mortem
  return gw.logs().split("\n")
    .filter((l) => /lost|checkpoint|reloading|behind|refus|leader .* ->|re-?assign|ConfigureTopic/.test(l))
    .slice(-25).join("\n");
}

export async function createTopic(bootstrap: readonly string[], topic: string, n: number) {
  const admin = client(bootstrap).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: n }] });
  await admin.disconnect();
}

/** Partition index -> leader broker, from a broker's LookupTopicBrokers (sorted by ring range). */
export async function leaders(broker: string, namespace: string, topic: string): Promise<string[]> {
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

export async function balancerLeader(broker: string): Promise<string> {
  const ch = new RpcChannel(broker);
  try {
    return m.decodeFindBrokerLeaderResponse(await ch.unary(m.Rpc.FindBrokerLeader, new Uint8Array(0), 10000));
  } finally {
    ch.close();
  }
}

/** One mq.broker process of a cluster: its address, log and pid files, stop/start. */
export interface BrokerProc {
  readonly address: string;
  readonly log: string;
  readonly pidFile: string;
  stop(signal: "TERM" | "KILL"): Promise<void>;
  start(): Promise<void>;
}

export function brokerProcs(c: SeaweedFS): BrokerProc[] {
  const all: BrokerProc[] = [
    { address: c.broker, name: "broker", stop: c.stopBroker, start: c.startBroker },
    { address: c.broker2 ?? "", name: "broker2", stop: c.stopBroker2, start: c.startBroker2 },
    { address: c.broker3 ?? "", name: "broker3", stop: c.stopBroker3, start: c.startBroker3 },
  ].map(({ name, ...b }) => ({ ...b, log: `${c.dir}/${name}.log`, pidFile: `${c.dir}/${name}.pid` }));
  return all.filter((b) => b.address !== "");
}

/** Partition index -> leader broker, asked of any live broker. */
export async function leadersOf(
  brokers: readonly BrokerProc[],
  ns: string,
  topic: string,
): Promise<string[]> {
  for (const b of brokers) {
    try {
      return await leaders(b.address, ns, topic);
    } catch { /* that one is down */ }
  }
  return [];
}

/**
 * A new topic (`prefix`-0, -1, ...) whose partitions all of `brokers` lead (SeaweedMQ's balancer spreads a topic
 * over the brokers registered with it: new topics until all are), and the broker that is not the balancer and leads
 * the most of them (the one to kill or freeze). `placed`: partition -> leader broker address.
 */
export async function topicOnEveryBroker(
  bootstrap: readonly string[],
  brokers: readonly BrokerProc[],
  ns: string,
  prefix: string,
  partitions: number,
): Promise<{ topic: string; placed: string[]; victim: BrokerProc }> {
  for (let i = 0;; i++) {
    const topic = `${prefix}-${i}`;
    await createTopic(bootstrap, topic, partitions);
    const placed = await leadersOf(brokers, ns, topic);
    const balancer = await balancerLeader(brokers[0].address);
    const led = (b: BrokerProc) => placed.filter((l) => l === b.address).length;
    const victim = brokers.filter((b) => b.address !== balancer).sort((x, y) => led(y) - led(x))[0];
    if (new Set(placed).size === brokers.length && led(victim) > 0) return { topic, placed, victim };
    assert(i < 15, `all ${brokers.length} brokers lead partitions of a new topic: ${placed.join(", ")}`);
    await sleep(1000);
  }
}

/** Kafka's leader (gateway node id) and leader epoch of each partition of `topic`, as gateway `port` answers. */
export async function kafkaLeaders(port: number, topic: string): Promise<{ id: number; epoch: number }[]> {
  const c = await WireClient.connect(port, "smq-failover");
  try {
    const r = await c.call<MetadataResponse>(MetadataSpec, 9, {
      topics: [{ name: topic }],
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    return [...r.topics[0].partitions].sort((a, b) => a.partitionIndex - b.partitionIndex)
      .map((p) => ({ id: p.leaderId, epoch: p.leaderEpoch ?? -1 }));
  } finally {
    c.close();
  }
}

/**
 * The error code of a consumer's Fetch at the log end of each partition, asked of the partition's leader among
 * `gws` (Metadata from the first; asked again while the answer is NOT_LEADER_OR_FOLLOWER, up to `tries` times, as a
 * client refreshing its metadata would): a consumer caught up waits there for new records.
 */
export async function fetchAtLogEnd(
  gws: readonly RunningGateway[],
  ids: readonly number[],
  topic: string,
  partitions: readonly number[],
  tries = 10,
): Promise<number[]> {
  const admin = client(gws.map((g) => g.bootstrap)).admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const codes: number[] = [];
  for (const p of partitions) {
    const end = Number(ends.find((o: { partition: number }) => o.partition === p)!.high);
    let code = -1;
    for (let attempt = 0; attempt < tries; attempt++) {
      const leader = (await kafkaLeaders(gws[0].port, topic))[p].id;
      const gw = gws[ids.indexOf(leader)] ?? gws[0];
      const c = await WireClient.connect(gw.port, "fetch-at-log-end");
      try {
        const r = await c.call<FetchResponse>(FetchSpec, 4, fetchBody(topic, p, end, { maxWaitMs: 10 }));
        code = r.responses[0].partitions[0].errorCode;
      } finally {
        c.close();
      }
      if (code !== 6) break;
      await sleep(500);
    }
    codes.push(code);
  }
  return codes;
}

/**
 * Three SeaweedMQ brokers (flushing every `flushSec` s) under three gateways forming one Kafka cluster (3 s leases,
 * plus `args`): `fn` runs with them, every gateway's log tail is printed when it fails, and all is stopped after.
 */
export async function withThreeGateways(
  flushSec: number,
  args: string[],
  fn: (c: SeaweedFS, gws: Gateways) => Promise<void>,
): Promise<void> {
  const c = await startSeaweedFS({ brokers: 3, logFlushIntervalSec: flushSec });
  try {
    const gws = await startGateways(3, [...c.gatewayArgs, "--lease-timeout-ms", "3000", ...args]);
    try {
      await fn(c, gws);
    } catch (e) {
      for (const [i, g] of gws.list.entries()) {
        console.error(`--- gateway ${i + 1} log tail ---\n${g.logs().split("\n").slice(-40).join("\n")}`);
      }
      throw e;
    } finally {
      await gws.stop();
    }
  } finally {
    await c.stop();
  }
}
