// Share-group test helpers: Apache Kafka's KafkaShareConsumer as a process (scripts/kafka/apps/ShareConsume.java,
// kafka-clients 4.1.1) with what it printed parsed, group configs set over the wire, and a wait on a condition that
// fails with the consumers' output.
import { type JavaProcess, javaProcess, kafkaApps } from "./apache_kafka.ts";
import type { RunningGateway } from "./gateway.ts";
import type { WireClient } from "./wire.ts";
import { assertEquals } from "../unit/assert.ts";
import {
  type IncrementalAlterConfigsResponse,
  IncrementalAlterConfigsSpec,
} from "../../src/protocol/messages/incremental_alter_configs.ts";

const SCRIPTS = new URL("../../scripts/kafka/", import.meta.url).pathname;
/** ConfigResource type GROUP (Kafka 4). */
const GROUP_CONFIGS = 32;

export interface ShareConsumer extends JavaProcess {
  /** [offset, delivery count, value] of every record it printed so far. */
  records(): [number, number, string][];
  /** Records whose acknowledgement the gateway answered. */
  acked(): number;
  /** Whether it closed on its own (no record for its idle time). */
  done(): boolean;
}

/**
 * Starts a KafkaShareConsumer of `topic` in `group` acknowledging as `mode` says (accept, release-first,
 * reject-poison, hold: see ShareConsume.java); it closes after `idleMs` without a record.
 */
export async function shareConsumer(
  gw: Pick<RunningGateway, "bootstrap">,
  group: string,
  topic: string,
  mode: string,
  opts: { idleMs?: number; maxPoll?: number } = {},
): Promise<ShareConsumer> {
  const { lib, apps } = await kafkaApps();
  const p = javaProcess(
    new Deno.Command("java", {
      args: [
        "-Xmx192m",
        "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1",
        `-Dlog4j2.configurationFile=${SCRIPTS}log4j2.properties`,
        "-cp",
        `${lib}/*:${apps}`,
        "ShareConsume",
        gw.bootstrap,
        group,
        topic,
        mode,
        String(opts.idleMs ?? 600_000),
        String(opts.maxPoll ?? 500),
      ],
      stdout: "piped",
      stderr: "piped",
    }),
  );
  return {
    ...p,
    records: () =>
      [...p.output().matchAll(/^REC (\d+) (\d+) (.*)$/gm)].map((m) => [Number(m[1]), Number(m[2]), m[3]]),
    acked: () => [...p.output().matchAll(/^ACKED (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0),
    done: () => /^DONE$/m.test(p.output()),
  };
}

/** Runs an accepting consumer until it closes on its own (`idleMs` without records) and returns it. */
export async function consumeAll(
  gw: Pick<RunningGateway, "bootstrap">,
  group: string,
  topic: string,
  idleMs = 4_000,
): Promise<ShareConsumer> {
  const c = await shareConsumer(gw, group, topic, "accept", { idleMs });
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

/** Sets group configs (IncrementalAlterConfigs SET on the GROUP resource); fails unless accepted. */
export async function setGroupConfigs(
  c: WireClient,
  group: string,
  configs: [string, string][],
): Promise<void> {
  const res = await c.call<IncrementalAlterConfigsResponse>(IncrementalAlterConfigsSpec, 1, {
    resources: [{
      resourceType: GROUP_CONFIGS,
      resourceName: group,
      configs: configs.map(([name, value]) => ({ name, configOperation: 0, value })),
    }],
    validateOnly: false,
  });
  assertEquals(res.responses[0].errorCode, 0, res.responses[0].errorMessage ?? "");
}
