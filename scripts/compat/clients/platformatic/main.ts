// @platformatic/kafka 2.x under Deno (modern flexible versions only). See ../README.md.
// Run with --config scripts/compat/clients/deno.client.json, whose import map resolves the package. The import is
// dynamic so that the repository-wide `deno check` (root config, no such dependency) does not resolve it.
const PACKAGE = "@platformatic/kafka";
const { Admin, Consumer, ProduceAcks, Producer, stringDeserializers, stringSerializers } = await import(
  PACKAGE
);

const [scenario, bootstrap, topic, group, ...rest] = Deno.args;
const opt: Record<string, string> = Object.fromEntries(rest.map((a) => a.split("=", 2) as [string, string]));
const n = Number(opt.n ?? 20);
const start = Number(opt.start ?? 0);
const timeoutMs = Number(opt.timeout_ms ?? 30000);
const headers = opt.headers === "1";
const idempotent = opt.idempotent === "1";
const idleMs = Number(opt.idle_ms ?? 0); // group: also stop once messages stopped arriving for idle_ms
const compression = (opt.compression ?? "none") as "none" | "gzip" | "snappy" | "lz4" | "zstd";

const PAD = "x".repeat(200); // compressible values
type Msg = [number, number, string | null, string | null, string | null];
const got: Msg[] = [];
function done(res: Record<string, unknown>): never {
  console.log(JSON.stringify(res));
  Deno.exit(res.ok ? 0 : 1);
}
setTimeout(() => done({ ok: false, error: `timeout after ${timeoutMs} ms`, msgs: got }), timeoutMs);
const common = {
  clientId: opt.client_id ?? "compat-platformatic",
  bootstrapBrokers: bootstrap.split(","),
  retries: 5,
  retryDelay: 300,
};

function errText(e: unknown): string {
  const err = e as Error & { errors?: Error[] };
  const inner = err.errors?.map((x) => `${x.name}: ${x.message}`).join("; ");
  return `${err.name}: ${err.message}${inner ? ` [${inner}]` : ""}`;
}

// deno-lint-ignore no-explicit-any
function push(m: any) {
  const h = m.headers?.get?.("h");
  got.push([m.partition, Number(m.offset), m.key ?? null, m.value ?? null, h == null ? null : String(h)]);
}

async function partitions(): Promise<number> {
  const admin = new Admin(common);
  try {
    const md = await admin.metadata({ topics: [topic] });
    return md.topics.get(topic)!.partitionsCount;
  } finally {
    await admin.close();
  }
}

try {
  if (scenario === "produce") {
    const producer = new Producer({
      ...common,
      serializers: stringSerializers,
      idempotent,
      acks: ProduceAcks.ALL,
      compression,
      autocreateTopics: true,
    });
    // One base offset per partition and request: "bases" [partition, offset].
    const bases: [number, number][] = [];
    const batch = 10;
    for (let i = start; i < start + n; i += batch) {
      const messages = [];
      for (let j = i; j < Math.min(i + batch, start + n); j++) {
        messages.push({
          topic,
          key: `k-${j}`,
          value: `v-${j}|${PAD}`,
          headers: headers ? { h: String(j) } : undefined,
        });
      }
      const res = await producer.send({ messages });
      for (const o of res.offsets ?? []) bases.push([o.partition, Number(o.offset)]);
    }
    await producer.close();
    done({ ok: true, bases });
  } else if (scenario === "fetch") {
    // Manual mode: explicit partitions and offsets. The Consumer still joins a group (groupId is mandatory), so use
    // a throwaway one that never commits.
    const count = await partitions();
    const consumer = new Consumer({
      ...common,
      groupId: `${group}-fetch-${Date.now()}`,
      deserializers: stringDeserializers,
      maxWaitTime: 500,
      // isolation=read_committed|read_uncommitted: FetchIsolationLevels 1|0 (the client's default is 1).
      ...(opt.isolation ? { isolationLevel: opt.isolation === "read_committed" ? 1 : 0 } : {}),
    });
    const stream = await consumer.consume({
      topics: [topic],
      mode: "manual",
      autocommit: false,
      offsets: Array.from({ length: count }, (_, p) => ({ topic, partition: p, offset: 0n })),
    });
    for await (const m of stream) {
      push(m);
      if (got.length >= n) break;
    }
    await stream.close();
    await consumer.close(true);
    done({ ok: true, msgs: got });
  } else if (scenario === "group") {
    const consumer = new Consumer({
      ...common,
      groupId: group,
      deserializers: stringDeserializers,
      maxWaitTime: 500,
      sessionTimeout: 10000,
      heartbeatInterval: 500,
    });
    const stream = await consumer.consume({
      topics: [topic],
      mode: "committed",
      fallbackMode: "earliest",
      autocommit: false,
    });
    const last = new Map<number, bigint>();
    let lastAt = Date.now();
    let idled = false;
    const idle = idleMs
      ? setInterval(() => {
        if (got.length && Date.now() - lastAt >= idleMs && !idled) {
          idled = true;
          stream.close().catch(() => {}); // ends the iteration below
        }
      }, 100)
      : undefined;
    for await (const m of stream) {
      if (idled) break;
      lastAt = Date.now();
      push(m);
      last.set(m.partition, m.offset);
      if (got.length >= n) break;
    }
    clearInterval(idle);
    if (opt.commit !== "0") { // commit=0: a member that only reports what it got (the split scenario)
      await consumer.commit({
        offsets: [...last].map(([partition, offset]) => ({
          topic,
          partition,
          offset: offset + 1n,
          leaderEpoch: -1,
        })),
      });
    }
    if (!idled) await stream.close();
    await consumer.close(true);
    done({ ok: true, msgs: got });
  } else if (scenario === "txn") {
    // Aborts messages start+n .. start+2n-1, then commits start .. start+n-1; message i to partition
    // i % partitions. "bases": [partition, base offset] of the committed transaction's requests.
    const parts = Number(opt.partitions ?? 3);
    const producer = new Producer({
      ...common,
      serializers: stringSerializers,
      idempotent: true,
      transactionalId: opt.transactional_id,
      acks: ProduceAcks.ALL,
    });
    const bases: [number, number][] = [];
    for (const [first, commit] of [[start + n, false], [start, true]] as const) {
      const tx = await producer.beginTransaction();
      const messages = [];
      for (let i = first; i < first + n; i++) {
        messages.push({
          topic,
          key: `k-${i}`,
          value: `v-${i}|${PAD}`,
          partition: i % parts,
          headers: headers ? { h: String(i) } : undefined,
        });
      }
      const res = await tx.send({ messages });
      if (commit) {
        await tx.commit();
        for (const o of res.offsets ?? []) bases.push([o.partition, Number(o.offset)]);
      } else await tx.abort();
    }
    await producer.close();
    done({ ok: true, bases });
  } else if (scenario === "eos") {
    // Consume-transform-produce: n messages of `topic` (group `group`, read_committed) copied to `out` in one
    // transaction; the group joins the transaction (addConsumer: AddOffsetsToTxn) and the last message of each
    // partition is committed through it (addOffset: TxnOffsetCommit of offset + 1, with the member's generation).
    // Committed, or aborted with abort=1.
    const consumer = new Consumer({
      ...common,
      groupId: group,
      deserializers: stringDeserializers,
      maxWaitTime: 500,
      sessionTimeout: 10000,
      heartbeatInterval: 500,
      isolationLevel: 1,
    });
    // InitProducerId sends producerId/producerEpoch from these options, 0/0 when not given: Kafka (and the
    // gateway) then fence a new process whose transactional id already has another producer id (KIP-360's
    // "expected producer id" check). -1/-1 is what a fresh producer must send.
    const producer = new Producer({
      ...common,
      serializers: stringSerializers,
      idempotent: true,
      transactionalId: opt.transactional_id,
      producerId: -1n,
      producerEpoch: -1,
      acks: ProduceAcks.ALL,
    });
    const stream = await consumer.consume({
      topics: [topic],
      mode: "committed",
      fallbackMode: "earliest",
      autocommit: false,
    });
    // deno-lint-ignore no-explicit-any
    const lastOf = new Map<number, any>();
    const copies = [];
    for await (const m of stream) {
      push(m);
      lastOf.set(m.partition, m);
      copies.push({
        topic: opt.out,
        key: m.key,
        value: m.value,
        partition: m.partition,
        headers: m.headers?.get?.("h") == null ? undefined : { h: String(m.headers.get("h")) },
      });
      if (got.length >= n) break;
    }
    const tx = await producer.beginTransaction();
    await tx.send({ messages: copies });
    await tx.addConsumer(consumer);
    for (const m of lastOf.values()) await tx.addOffset(m);
    if (opt.abort === "1") await tx.abort();
    else await tx.commit();
    await stream.close();
    await consumer.close(true);
    await producer.close();
    done({ ok: true, msgs: got });
  } else {
    done({ ok: false, error: `unknown scenario ${scenario}` });
  }
} catch (e) {
  done({ ok: false, error: errText(e), msgs: got });
}
