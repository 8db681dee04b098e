// Switching gateways on one SeaweedFS cluster, both ways, with real clients (docs/seaweedmq.md:
// "Users can switch gateways and keep their positions", and the `--seaweedmq-record-format` table):
//  (a) SeaweedFS's own gateway (`weed mq.kafka.gateway`) -> this gateway: keyed records and a consumer group's
//      commits made through theirs read back through ours (same partition, offset, key, value), and the group
//      resumes at the committed offsets;
//  (b) this gateway -> theirs, once per record format: with `plain` their gateway sees our keys and values
//      exactly, with `envelope` the values exactly and the key as the envelope bytes (ff4b4701 ... key); headers
//      and producer timestamps are not visible to theirs in either mode; our committed offsets are theirs, and a
//      group resumes there through their gateway. kcat (librdkafka) reads the `plain` topic through theirs too.
//      SeaweedFS 4.48's gateway returns no record of a partition whose writer has gone (ours stopped, or itself
//      restarted): in (b) it reads our records while ours is still up and idle; a gateway of theirs started
//      after ours stopped is checked for what it gives (topic, high watermarks, committed offsets, no records).
import { Buffer } from "node:buffer";
import { assert, assertEquals } from "../unit/assert.ts";
import { runWithGateway } from "../helpers/gateway.ts";
import { connectBroker, type FetchedMessage, Kafka, kafkajs, logLevel } from "../helpers/kafkajs.ts";
import { clusterForModule, type SeaweedFS } from "../helpers/seaweedfs.ts";
import { requireTool } from "../helpers/tools.ts";
import { RpcChannel } from "../../src/storage/seaweedmq/transport/grpc.ts";
import * as m from "../../src/storage/seaweedmq/transport/messages.ts";
import { freePort } from "../helpers/ports.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const cluster = await clusterForModule();
const kcat = cluster ? await requireTool("kcat", "kcat", ["-V"]) : null;

const N = 30;
const PARTITIONS = 3;
/** Producer timestamps far in the past: a reader that shows them got them from the record, not the broker. */
const T0 = 1_600_000_000_000;
const ENVELOPE_MAGIC = "ff4b4701";

interface Rec {
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, unknown>;
  timestamp: number;
}

function client(bootstrap: string) {
  return new Kafka({
    clientId: "seaweedmq-switch-test",
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 2000 },
  });
}

/**
 * SeaweedFS 4.48's gateway answers JoinGroup with the protocol "range" whatever the members offered, and KafkaJS
 * (which offers only its round-robin assigner) then fails "Unsupported partition assigner "range"". KafkaJS's own
 * round-robin assigner registered under the name "range" makes its consumer groups work through that gateway.
 */
// deno-lint-ignore no-explicit-any
const rangeNamed = (cfg: any) => ({ ...kafkajs.PartitionAssigners.roundRobin(cfg), name: "range" });

/** SeaweedFS's gateway cannot create topics without a schema registry: create it through the broker. */
async function createTopicOnBroker(c: SeaweedFS, name: string, partitions: number): Promise<void> {
  const ch = new RpcChannel(c.broker);
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        const res = m.decodeConfigureTopicResponse(
          await ch.unary(
            m.Rpc.ConfigureTopic,
            m.encodeConfigureTopicRequest({
              topic: { namespace: "kafka", name },
              partitionCount: partitions,
            }),
            5_000,
          ),
        );
        assertEquals(res.assignments.length, partitions);
        return;
      } catch (e) {
        if (Date.now() > deadline) throw e; // the broker needs a moment after start to register with the master
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  } finally {
    ch.close();
  }
}

/** Runs `fn` against SeaweedFS's own gateway on this cluster, then stops it. */
async function withTheirs(c: SeaweedFS, fn: (bootstrap: string) => Promise<void>): Promise<void> {
  const port = freePort();
  await c.startKafkaGateway(port);
  try {
    await fn(`127.0.0.1:${port}`);
  } catch (e) {
    const log = await Deno.readTextFile(`${c.dir}/kafka-gateway.log`).catch(() => "");
    console.error(
      `--- weed mq.kafka.gateway log (last 40 lines) ---\n${log.split("\n").slice(-40).join("\n")}`,
    );
    throw e;
  } finally {
    await c.stopKafkaGateway();
  }
}

async function produce(bootstrap: string, topic: string, withExtras: boolean): Promise<void> {
  const producer = client(bootstrap).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: N }, (_, i) => ({
        key: `k-${i}`,
        value: `v-${i}`,
        ...(withExtras ? { headers: { h: String(i) }, timestamp: String(T0 + i) } : {}),
      })),
    });
  } finally {
    await producer.disconnect();
  }
}

/**
 * Consumes `want` records in `group` (then 1.5 s more, to see any extra), commits `commit(consumed)` (partition ->
 * offset) if given, and leaves.
 */
async function consumeGroup(
  bootstrap: string,
  topic: string,
  group: string,
  want: number,
  o: { theirs?: boolean; commit?: (got: Rec[]) => Map<number, number> } = {},
): Promise<Rec[]> {
  const consumer = client(bootstrap).consumer({
    groupId: group,
    sessionTimeout: 10_000,
    ...(o.theirs ? { partitionAssigners: [rangeNamed] } : {}),
  });
  await consumer.connect();
  const got: Rec[] = [];
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const enough = Promise.withResolvers<void>();
    await consumer.run({
      autoCommit: false,
      eachMessage: ({ partition, message }) => {
        got.push({
          partition,
          offset: Number(message.offset),
          key: message.key,
          value: message.value,
          headers: message.headers ?? {},
          timestamp: Number(message.timestamp),
        });
        if (got.length >= want) enough.resolve();
        return Promise.resolve();
      },
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      enough.promise,
      new Promise<void>((_, rej) => {
        timer = setTimeout(() => rej(new Error(`group ${group}: ${got.length} of ${want} records`)), 60_000);
      }),
    ]).finally(() => clearTimeout(timer));
    await new Promise((r) => setTimeout(r, 1500));
    if (o.commit) {
      const offsets = o.commit(got);
      await consumer.commitOffsets(
        [...offsets].map(([partition, offset]) => ({ topic, partition, offset: String(offset) })),
      );
    }
  } finally {
    await consumer.disconnect();
  }
  return got;
}

/** Half of what each partition delivered: a position in the middle of every partition. */
function halfway(got: Rec[]): Map<number, number> {
  const out = new Map<number, number>();
  for (let p = 0; p < PARTITIONS; p++) {
    const offs = got.filter((r) => r.partition === p).map((r) => r.offset).sort((a, b) => a - b);
    assert(offs.length >= 2, `partition ${p} got ${offs.length} records: too few to commit in the middle`);
    out.set(p, offs[Math.floor(offs.length / 2)]);
  }
  return out;
}

async function committedOffsets(
  bootstrap: string,
  group: string,
  topic: string,
): Promise<Map<number, number>> {
  const admin = client(bootstrap).admin();
  await admin.connect();
  try {
    const res = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    return new Map(res[0].partitions.map((p) => [p.partition, Number(p.offset)]));
  } finally {
    await admin.disconnect();
  }
}

/** Reads a whole partition up to `high` without a group (KafkaJS's Broker: its Fetch and record decoder). */
async function readPartition(
  bootstrap: string,
  topic: string,
  partition: number,
  high: number,
): Promise<Rec[]> {
  const broker = await connectBroker(bootstrap);
  const out: Rec[] = [];
  try {
    let offset = 0;
    const deadline = Date.now() + 60_000;
    while (offset < high) {
      if (Date.now() > deadline) throw new Error(`${topic}-${partition}: read up to ${offset} of ${high}`);
      const res = await broker.fetch({
        maxWaitTime: 200,
        maxBytes: 10 * 1024 * 1024,
        topics: [{
          topic,
          partitions: [{ partition, fetchOffset: String(offset), maxBytes: 5 * 1024 * 1024 }],
        }],
      });
      const p = res.responses[0].partitions[0];
      assertEquals(p.errorCode, 0, `${topic}-${partition}: fetch error at ${offset}`);
      for (const msg of p.messages as FetchedMessage[]) {
        if (Number(msg.offset) < offset) continue;
        out.push({
          partition,
          offset: Number(msg.offset),
          key: msg.key,
          value: msg.value,
          headers: msg.headers ?? {},
          timestamp: Number(msg.timestamp),
        });
        offset = Number(msg.offset) + 1;
      }
    }
  } finally {
    await broker.disconnect();
  }
  return out;
}

/** Every record of the topic, by "partition/offset". */
async function readTopic(bootstrap: string, topic: string): Promise<Map<string, Rec>> {
  const admin = client(bootstrap).admin();
  await admin.connect();
  let highs: { partition: number; high: string }[];
  try {
    highs = await admin.fetchTopicOffsets(topic);
  } finally {
    await admin.disconnect();
  }
  assertEquals(highs.length, PARTITIONS);
  const out = new Map<string, Rec>();
  for (const { partition, high } of highs) {
    for (const r of await readPartition(bootstrap, topic, partition, Number(high))) {
      out.set(`${r.partition}/${r.offset}`, r);
    }
  }
  return out;
}

const str = (b: Buffer | null) => b === null ? null : b.toString();
const byPosition = (recs: Rec[]) => new Map(recs.map((r) => [`${r.partition}/${r.offset}`, r]));

/** The records a group resuming at `committed` must get: every record at or after its partition's offset. */
function expectedAfter(all: Rec[], committed: Map<number, number>): string[] {
  return all.filter((r) => r.offset >= committed.get(r.partition)!).map((r) => `${r.partition}/${r.offset}`)
    .sort();
}

if (cluster && kcat) {
  const c = cluster;

  Deno.test({
    name: "seaweedmq switch: SeaweedFS's gateway -> ours: records and a group's committed offsets carry over",
    ...opts,
    fn: async () => {
      const topic = "switch-theirs-to-ours";
      const group = `${topic}-g`;
      await createTopicOnBroker(c, topic, PARTITIONS);
      let viaTheirs: Rec[] = [];
      let committed = new Map<number, number>();
      const t0 = Date.now();
      await withTheirs(c, async (theirs) => {
        await produce(theirs, topic, false);
        viaTheirs = await consumeGroup(theirs, topic, group, N, {
          theirs: true,
          commit: (got) => (committed = halfway(got)),
        });
        assertEquals(viaTheirs.length, N, "their gateway delivered every record once");
        assertEquals(
          viaTheirs.map((r) => str(r.key)).sort(),
          Array.from({ length: N }, (_, i) => `k-${i}`).sort(),
        );
        // their gateway reads back what it committed
        assertEquals(await committedOffsets(theirs, group, topic), committed);
      });
      // the commit is the JSON file docs/seaweedmq.md names (what both gateways read)
      const file = await fetch(
        `http://${c.filer}/topics/kafka/.meta/consumer_offsets/${group}/${topic}/0/offset`,
      );
      assertEquals(file.status, 200);
      assertEquals((await file.json()).value, committed.get(0));

      await runWithGateway({ args: c.gatewayArgs }, async (gw) => {
        const ours = await readTopic(gw.bootstrap, topic);
        assertEquals(ours.size, N, "ours reads exactly the records produced through theirs");
        for (const r of viaTheirs) {
          const o = ours.get(`${r.partition}/${r.offset}`);
          assert(o, `record ${str(r.key)} at ${r.partition}/${r.offset} missing through ours`);
          assertEquals(str(o.key), str(r.key), `key at ${r.partition}/${r.offset}`);
          assertEquals(str(o.value), str(r.value), `value at ${r.partition}/${r.offset}`);
          assertEquals(str(o.value), `v-${str(r.key)!.slice(2)}`);
          assertEquals(o.headers, {});
          // a message without the envelope reads with ts_ns/10^6: the broker's time of the produce
          assert(o.timestamp >= t0 - 60_000 && o.timestamp <= Date.now(), `timestamp ${o.timestamp}`);
        }
        // the group resumes at the offsets committed through theirs
        assertEquals(await committedOffsets(gw.bootstrap, group, topic), committed);
        const want = expectedAfter(viaTheirs, committed);
        const resumed = await consumeGroup(gw.bootstrap, topic, group, want.length);
        assertEquals(resumed.map((r) => `${r.partition}/${r.offset}`).sort(), want);
        const theirsAt = byPosition(viaTheirs);
        for (const r of resumed) {
          assertEquals(str(r.key), str(theirsAt.get(`${r.partition}/${r.offset}`)!.key));
        }
      });
    },
  });

  for (const format of ["plain", "envelope"] as const) {
    Deno.test({
      name: `seaweedmq switch: ours (--seaweedmq-record-format ${format}) -> SeaweedFS's gateway`,
      ...opts,
      fn: async () => {
        const topic = `switch-ours-to-theirs-${format}`;
        const group = `${topic}-g`;
        let viaOurs: Rec[] = [];
        let committed = new Map<number, number>();
        const t0 = Date.now();
        // SeaweedFS 4.48's gateway returns no record of a partition whose writer has gone: its Fetch logs "FETCH
        // GAP ... readRecords returned empty" and answers empty below the high watermark. Seen with records of
        // ours read after ours stopped (theirs started before or after that), and with its own records after a
        // restart of it; records of ours read while ours still runs come back. So their gateway reads our records
        // here while ours is still up (idle); the switch proper (theirs started after ours stopped) is checked at
        // the end for what it does give: the topic, its high watermarks and our committed offsets, no records.
        await withTheirs(c, async (theirs) => {
          await runWithGateway(
            { args: [...c.gatewayArgs, "--seaweedmq-record-format", format] },
            async (gw) => {
              const admin = client(gw.bootstrap).admin();
              await admin.connect();
              await admin.createTopics({
                topics: [{ topic, numPartitions: PARTITIONS }],
                waitForLeaders: true,
              });
              await admin.disconnect();
              await produce(gw.bootstrap, topic, true);
              viaOurs = await consumeGroup(gw.bootstrap, topic, group, N, {
                commit: (got) => (committed = halfway(got)),
              });
              assertEquals(viaOurs.length, N);
              // theirs reads while ours still runs (idle: its consumer left, its producer is closed)
              const seen = await readTopic(theirs, topic);
              assertEquals(seen.size, N, "their gateway reads exactly the records produced through ours");
              for (const r of viaOurs) {
                const at = `${r.partition}/${r.offset}`;
                const t = seen.get(at);
                assert(t, `record ${str(r.key)} at ${at} missing through theirs`);
                // values byte for byte in both formats
                assertEquals(str(t.value), str(r.value), `value at ${at}`);
                if (format === "plain") {
                  assertEquals(str(t.key), str(r.key), `key at ${at}`);
                } else {
                  // the envelope: FF 4B 47 01 | flags | timestamp | headers | key bytes
                  const hex = t.key?.toString("hex") ?? "";
                  assert(hex.startsWith(ENVELOPE_MAGIC), `key at ${at} is ${hex}, not an envelope`);
                  assert(
                    t.key!.subarray(t.key!.length - r.key!.length).equals(r.key!),
                    `key bytes end ${at}`,
                  );
                  assert(t.key!.length > r.key!.length + 4);
                }
                // headers and producer timestamps do not reach their gateway in either format: no headers, and the
                // broker's time of the produce instead of T0 + i
                assertEquals(t.headers, {}, `headers at ${at}`);
                assert(
                  t.timestamp >= t0 - 60_000 && t.timestamp <= Date.now(),
                  `timestamp ${t.timestamp} at ${at}`,
                );
              }
              // our commits are theirs, and a group resumes there through their gateway
              assertEquals(await committedOffsets(theirs, group, topic), committed);
              const want = expectedAfter(viaOurs, committed);
              const resumed = await consumeGroup(theirs, topic, group, want.length, { theirs: true });
              assertEquals(resumed.map((r) => `${r.partition}/${r.offset}`).sort(), want);
              const oursAt = byPosition(viaOurs);
              for (const r of resumed) {
                const o = oursAt.get(`${r.partition}/${r.offset}`)!;
                assertEquals(str(r.value), str(o.value));
                if (format === "plain") assertEquals(str(r.key), str(o.key));
              }

              if (format === "plain") {
                // librdkafka through their gateway: kcat reads partition 0 with our keys and values
                const p0 = viaOurs.filter((r) => r.partition === 0).sort((a, b) => a.offset - b.offset);
                const out = await new Deno.Command(kcat!.path, {
                  args: [
                    "-C",
                    "-b",
                    theirs,
                    "-t",
                    topic,
                    "-p",
                    "0",
                    "-o",
                    "beginning",
                    "-e",
                    "-q",
                    "-f",
                    "%o %k %s\\n",
                  ],
                  stdout: "piped",
                  stderr: "piped",
                }).output();
                const text = new TextDecoder().decode(out.stdout);
                assert(out.success, `kcat: ${new TextDecoder().decode(out.stderr)}`);
                assertEquals(
                  text.trim().split("\n"),
                  p0.map((r) => `${r.offset} ${str(r.key)} ${str(r.value)}`),
                );
              }
            },
          );
        });

        // The switch proper: their gateway started after ours stopped sees the topic and its high watermarks, our
        // committed offsets are where it reads them, but (SeaweedFS 4.48, see above) it returns none of the records.
        await withTheirs(c, async (theirs) => {
          const admin = client(theirs).admin();
          await admin.connect();
          let highs: { partition: number; high: string }[];
          try {
            highs = await admin.fetchTopicOffsets(topic);
          } finally {
            await admin.disconnect();
          }
          assertEquals(
            new Map(highs.map((h) => [h.partition, Number(h.high)])),
            new Map([0, 1, 2].map((p) => [p, viaOurs.filter((r) => r.partition === p).length])),
          );
          // Our commits are in the files their gateway reads (their OffsetFetch returned them above). OffsetFetch is
          // not asked here: a second instance of their gateway on the cluster names the first one's node as the
          // group coordinator (FindCoordinator -> a node id missing from its Metadata: KafkaJS "Broker 1 not found
          // in the cached metadata"), a SeaweedFS 4.48 gateway restart problem, not a property of the offsets.
          for (const [p, offset] of committed) {
            const res = await fetch(
              `http://${c.filer}/topics/kafka/.meta/consumer_offsets/${group}/${topic}/${p}/offset`,
            );
            assertEquals(res.status, 200);
            assertEquals((await res.json()).value, offset);
          }
          const broker = await connectBroker(theirs);
          try {
            for (const { partition } of highs) {
              const res = await broker.fetch({
                maxWaitTime: 500,
                maxBytes: 1 << 20,
                topics: [{ topic, partitions: [{ partition, fetchOffset: "0", maxBytes: 1 << 20 }] }],
              });
              const p = res.responses[0].partitions[0];
              assertEquals(p.errorCode, 0);
              assertEquals(p.messages.length, 0, `SeaweedFS's gateway now reads old records (${partition})`);
            }
          } finally {
            await broker.disconnect();
          }
        });
      },
    });
  }

  Deno.test({
    name: "seaweedmq switch: stop the SeaweedFS cluster of this module",
    ...opts,
    fn: () => c.stop(),
  });
}
