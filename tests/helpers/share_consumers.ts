// Share-group test helpers: a share consumer as a process, Apache Kafka's KafkaShareConsumer
// (scripts/kafka/apps/ShareConsume.java, kafka-clients 4.1.1) or librdkafka's (confluent-kafka's ShareConsumer,
// tests/integration/py/ck_share_consume.py), both printing the same lines, parsed here; group configs set over the
// wire, a wait on a condition that fails with the consumers' output, and a gateway with share groups on.
import { type JavaProcess, javaProcess, kafkaApps } from "./apache_kafka.ts";
import { pythonPath } from "./tools.ts";
import { type RunningGateway, startGateway } from "./gateway.ts";
import { Kafka, logLevel } from "./kafkajs.ts";
import { WireClient } from "./wire.ts";
export { setGroupConfigs } from "./group_configs.ts";

const SCRIPTS = new URL("../../scripts/kafka/", import.meta.url).pathname;
const CK_SHARE_CONSUME = new URL("../integration/py/ck_share_consume.py", import.meta.url).pathname;

export interface ShareConsumer extends JavaProcess {
  /** [offset, delivery count, value] of every record it printed so far. */
  records(): [number, number, string][];
  /** Records whose acknowledgement the gateway answered. */
  acked(): number;
  /** Lock renewals the gateway answered. */
  renewed(): number;
  /** The records each acknowledged poll held, in order. */
  polls(): number[];
  /** Whether it closed on its own (no record for its idle time). */
  done(): boolean;
}

/** Which share consumer: Apache Kafka's Java client or librdkafka (through confluent-kafka). */
export type ShareClient = "java" | "librdkafka";

let librdkafkaCheck: Promise<string | null> | undefined;

/** Null when confluent-kafka's ShareConsumer (librdkafka 2.15+) runs here, else why not (checked once). */
export function librdkafkaShareConsumerMissing(): Promise<string | null> {
  librdkafkaCheck ??= (async () => {
    try {
      const out = await new Deno.Command(pythonPath(), {
        args: ["-c", "from confluent_kafka import ShareConsumer, libversion; print(libversion()[0])"],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.success ? out.stdout : out.stderr).trim();
      return out.success ? null : `confluent-kafka has no ShareConsumer (librdkafka 2.15+): ${text}`;
    } catch (e) {
      return `${pythonPath()} does not run: ${e}`;
    }
  })();
  return librdkafkaCheck;
}

/**
 * Starts a share consumer (`opts.client`, Java by default: kafka-clients `opts.kafka`, else the pom's 4.1.1) of
 * `topic` in `group` acknowledging as `mode` says (accept, release-first, release, reject-poison, hold, and with
 * kafka-clients 4.2+ renew-<ms>: see ShareConsume.java); it closes after `idleMs` without a record.
 */
export async function shareConsumer(
  gw: Pick<RunningGateway, "bootstrap">,
  group: string,
  topic: string,
  mode: string,
  opts: { idleMs?: number; maxPoll?: number; client?: ShareClient; kafka?: string; acquireMode?: string } =
    {},
): Promise<ShareConsumer> {
  const args = [
    gw.bootstrap,
    group,
    topic,
    mode,
    String(opts.idleMs ?? 600_000),
    String(opts.maxPoll ?? 500),
  ];
  let command: Deno.Command;
  if (opts.client === "librdkafka") {
    const missing = await librdkafkaShareConsumerMissing();
    if (missing !== null) throw new Error(missing);
    command = new Deno.Command(pythonPath(), {
      args: [CK_SHARE_CONSUME, ...args],
      stdout: "piped",
      stderr: "piped",
    });
  } else {
    const { lib, apps } = await kafkaApps(opts.kafka);
    if (opts.acquireMode !== undefined) args.push(opts.acquireMode);
    command = new Deno.Command("java", {
      args: [
        "-Xmx192m",
        "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1",
        `-Dlog4j2.configurationFile=${SCRIPTS}log4j2.properties`,
        "-cp",
        `${lib}/*:${apps}`,
        "ShareConsume",
        ...args,
      ],
      stdout: "piped",
      stderr: "piped",
    });
  }
  const p = javaProcess(command);
  return {
    ...p,
    records: () =>
      [...p.output().matchAll(/^REC (\d+) (\d+) (.*)$/gm)].map((m) => [Number(m[1]), Number(m[2]), m[3]]),
    acked: () => [...p.output().matchAll(/^ACKED (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0),
    polls: () => [...p.output().matchAll(/^ACKED (\d+)$/gm)].map((m) => Number(m[1])),
    renewed: () => [...p.output().matchAll(/^RENEWED (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0),
    done: () => /^DONE$/m.test(p.output()),
  };
}

/** Runs an accepting consumer until it closes on its own (`idleMs` without records) and returns it. */
export async function consumeAll(
  gw: Pick<RunningGateway, "bootstrap">,
  group: string,
  topic: string,
  idleMs = 4_000,
  client: ShareClient = "java",
): Promise<ShareConsumer> {
  const c = await shareConsumer(gw, group, topic, "accept", { idleMs, client });
  try {
    await until(`share consumer of ${group} done`, 90_000, c.done, [c]);
  } finally {
    await c.stop();
  }
  return c;
}

/** Polls `check` every 200 ms until it holds; fails with `what` and the consumers' output after `ms`. */
export async function until(
  what: string,
  ms: number,
  check: () => boolean | Promise<boolean>,
  consumers: readonly JavaProcess[] = [],
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) {
      const out = consumers.map((c) => c.output().slice(-3000)).join("\n----\n");
      throw new Error(`${what}: not within ${ms} ms\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

type KafkaClient = InstanceType<typeof Kafka>;

/** A gateway with share groups on, a wire client to it and a connected KafkaJS admin and producer. */
export interface ShareGateway {
  readonly gw: RunningGateway;
  readonly wire: WireClient;
  readonly kafka: KafkaClient;
  readonly admin: ReturnType<KafkaClient["admin"]>;
  readonly producer: ReturnType<KafkaClient["producer"]>;
}

/** Runs `fn` against a new gateway started with --group-share-enable; stops and closes everything after. */
export async function withShareGateway(
  clientId: string,
  fn: (s: ShareGateway) => Promise<void>,
): Promise<void> {
  // Debug lines say what happens to each record (acquired, acknowledged, released, locks passed): tests print them
  // when a delivery count surprises.
  const gw = await startGateway({ args: ["--group-share-enable", "--log-level", "debug"] });
  const wire = await WireClient.connect(gw.port);
  const kafka = new Kafka({ clientId, brokers: [gw.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer();
  try {
    await admin.connect();
    await producer.connect();
    await fn({ gw, wire, kafka, admin, producer });
  } finally {
    await producer.disconnect().catch(() => {});
    await admin.disconnect().catch(() => {});
    wire.close();
    await gw.stop();
  }
}

/**
 * The acquisitions of records of a share-partition ("topic-partition") by a group, in order, from a gateway's debug
 * lines (withShareGateway logs them): which member took which offsets at which delivery count.
 */
export function acquisitions(
  logs: string,
  group: string,
  partition: string,
): { member: string; ranges: { firstOffset: number; lastOffset: number; deliveryCount: number }[] }[] {
  const out = [];
  const line = new RegExp(`share group ${group}: ${partition} acquired by (\\S+) (\\[.*\\])$`);
  for (const l of logs.split("\n")) {
    const m = line.exec(l);
    if (m) out.push({ member: m[1], ranges: JSON.parse(m[2]) });
  }
  return out;
}
