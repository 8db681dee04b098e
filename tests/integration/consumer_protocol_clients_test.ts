// Issue 16: KIP-848 consumer groups with a real client, on both backends. confluent-kafka (librdkafka >= 2.10,
// KIP-848 GA) members with `group.protocol=consumer` (tests/integration/py/ck_consumer_protocol.py) against one
// gateway per backend, started with a short consumer-group session timeout; the scenarios run concurrently in it
// (each its own group and topics) and are reported one step each:
// - uniform: 3 members share 6 partitions 2 each, every record consumed once (OffsetCommit with member epochs:
//   committed offsets exact); AdminClient describe_consumer_groups (type CONSUMER, members, assignments = what the
//   clients hold, target = assignment) and list_consumer_groups with a type filter; a member leaving: its
//   partitions move at once (before any session could expire), the records after consumed once;
// - range: co-partitioned ranges (a member gets the same partition numbers of two topics of 6 partitions);
// - SIGKILL: the killed member's partitions move after the session timeout, not before;
// - static membership: a member closed (static leave) and restarted with its group.instance.id gets its
//   partitions back while the other member sees nothing, even past the session timeout;
// - regex: `^cpr-regex-.*` picks up a topic created later (and not a topic that does not match);
// - mixed: a classic member (group.protocol=classic) alone, then two consumer members join (the group converts
//   to a consumer group: 2 partitions each, records once), then they leave (back to a classic group: the classic
//   member gets everything);
// - restart (gateways only, its own gateway): stopped and started again on the same port and data while its
//   members are frozen (SIGSTOP), describe shows the same members and assignments (loaded from the store, on
//   SeaweedMQ from the filer); resumed, they keep their partitions (nothing revoked or lost), records once.
// A missing client (confluent-kafka with KIP-848) or a missing weed fails these tests: they never skip. The same
// expectations pass against Apache Kafka 4.0.0 (KGW_CONSUMER_PROTOCOL_KAFKA below).
import { assert, assertEquals } from "../unit/assert.ts";
import { type RunningGateway, runWithGateway, startGateway } from "../helpers/gateway.ts";
import { backendMatrix } from "../helpers/backend_matrix.ts";
import {
  admin,
  consumerGroupArgs,
  Member,
  type MemberConf,
  requireConsumerProtocolClient,
  type Result,
} from "../helpers/consumer_protocol.ts";

const SESSION_MS = 4000;
const HEARTBEAT_MS = 500;
const GATEWAY_ARGS = [
  "--group-initial-rebalance-delay-ms",
  "0",
  "--group-min-session-timeout-ms",
  "1000",
  ...consumerGroupArgs(SESSION_MS, HEARTBEAT_MS),
];
/** KGW_CP_SERIAL=1 runs the scenarios one after the other (easier to read the gateway's log). */
const SERIAL = Deno.env.get("KGW_CP_SERIAL") === "1";
/**
 * KGW_CONSUMER_PROTOCOL_KAFKA=HOST:PORT runs the scenarios once against that broker instead of gateways (a real
 * Apache Kafka with the consumer group protocol enabled, group.consumer.session.timeout.ms=4000 and min, and
 * group.consumer.heartbeat.interval.ms=500 and min): a check of these expectations against Kafka itself.
 * KGW_CP_ONLY=REGEX runs only the scenarios whose name matches; KGW_CP_LOG=1 prints the gateway's warnings and
 * group lines, and what every member did, after the scenarios. KGW_CP_DEBUG=cgrp,protocol: librdkafka's debug
 * contexts for the members (tests/helpers/consumer_protocol.ts; their stderr ends up in failures).
 */
const EXTERNAL = Deno.env.get("KGW_CONSUMER_PROTOCOL_KAFKA");
/** Prefix of every topic and group: unique per run against an external broker (its topics stay). */
const P = EXTERNAL ? `cpr${Date.now().toString(36)}` : "cpr";

const opts = { sanitizeOps: false, sanitizeResources: false };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- admin ops (tests/helpers/consumer_protocol.ts)

const create = (topic: string, partitions: number) => ({ op: "create", topic, partitions });

/** `n` records `${prefix}-${from + i}` spread round-robin over the partitions. */
function produce(topic: string, prefix: string, from: number, n: number, partitions: number) {
  const values = Array.from({ length: n }, (_, i) => [(from + i) % partitions, `${prefix}-${from + i}`]);
  return { op: "produce", topic, values };
}

interface GroupView {
  id: string;
  type: string;
  state: string;
  assignor: string;
  members: {
    member_id: string;
    instance_id: string | null;
    client_id: string;
    assignment: string[];
    target: string[] | null;
  }[];
}

async function describe(gw: RunningGateway, group: string): Promise<GroupView> {
  return (await admin(gw, [{ op: "describe", group }]))[0].group as GroupView;
}

// ---------------------------------------------------------------- conditions

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out (${ms} ms) waiting for ${what}`);
    await sleep(100);
  }
}

const partitionsOf = (topic: string, n: number) => Array.from({ length: n }, (_, i) => `${topic}:${i}`);

/** The members hold exactly `all` between them, no partition twice, each `each` of them (when given). */
function splits(members: Member[], all: string[], each?: number): boolean {
  const held = members.flatMap((m) => m.assigned()).sort();
  if (held.join() !== [...all].sort().join()) return false;
  return each === undefined || members.every((m) => m.assigned().length === each);
}

function consumedOnce(members: Member[], expected: string[], what: string): void {
  const got = members.flatMap((m) => m.values()).sort();
  assertEquals(got, [...expected].sort(), `${what}: every record consumed exactly once`);
}

/** The number of a record `${prefix}-${n}`. */
const seq = (value: string) => Number(value.slice(value.lastIndexOf("-") + 1));

const valuesOf = (prefix: string, from: number, n: number) =>
  Array.from({ length: n }, (_, i) => `${prefix}-${from + i}`);

// ---------------------------------------------------------------- scenarios

interface Scenario {
  name: string;
  /** Runs only against gateways this module starts (it restarts its own). */
  gatewayOnly?: boolean;
  run(gw: RunningGateway, members: Member[]): Promise<void>;
}

/** Starts a member and registers it with the scenario (stopped at its end, shown when it fails). */
function join(gw: RunningGateway, members: Member[], conf: MemberConf): Member {
  const m = new Member(gw, conf);
  members.push(m);
  allMembers.push(m);
  return m;
}

const SCENARIOS: Scenario[] = [
  {
    name:
      "uniform: 3 members share 6 partitions 2 each, records once; describe/list; a leaving member's partitions move",
    run: async (gw, members) => {
      const topic = `${P}-uniform`;
      const group = `${P}-g-uniform`;
      await admin(gw, [create(topic, 6)]);
      const ms = [0, 1, 2].map((i) =>
        join(gw, members, { group, topics: [topic], assignor: "uniform", clientId: `uniform-${i}` })
      );
      const all = partitionsOf(topic, 6);
      await until("3 members holding 2 partitions each", () => splits(ms, all, 2));
      await admin(gw, [produce(topic, "u", 0, 60, 6)]);
      await until("60 records", () => ms.flatMap((m) => m.values()).length >= 60);
      await sleep(300);
      consumedOnce(ms, valuesOf("u", 0, 60), "3 members");

      const d = await describe(gw, group);
      assertEquals([d.type, d.state, d.assignor], ["CONSUMER", "STABLE", "uniform"], JSON.stringify(d));
      assertEquals(d.members.map((m) => m.client_id), ["uniform-0", "uniform-1", "uniform-2"]);
      for (const [i, m] of d.members.entries()) {
        assertEquals(m.assignment, ms[i].assigned(), `${m.client_id}: described assignment = what it holds`);
        assertEquals(m.target, m.assignment, `${m.client_id}: stable, so target = assignment`);
        assert(m.member_id.length > 0 && m.instance_id === null, JSON.stringify(m));
      }
      const [consumerGroups, classicGroups] = await admin(gw, [
        { op: "list", types: ["CONSUMER"] },
        { op: "list", types: ["CLASSIC"] },
      ]);
      assert(
        consumerGroups.groups.some((g: Result) => g.id === group && g.type === "CONSUMER"),
        JSON.stringify(consumerGroups),
      );
      assert(!classicGroups.groups.some((g: Result) => g.id === group), JSON.stringify(classicGroups));

      // Leaving (close: heartbeat with epoch -1) moves the partitions at the survivors' next heartbeats.
      const leaver = ms.shift()!;
      const t0 = Date.now();
      await leaver.close();
      assert(leaver.closed(), "the member closed");
      await until("2 survivors holding 3 partitions each", () => splits(ms, all, 3));
      const moved = Date.now() - t0;
      assert(moved < SESSION_MS, `moved in ${moved} ms: on the leave, not on a session expiry`);
      await admin(gw, [produce(topic, "u", 60, 30, 6)]);
      await until(
        "30 more records",
        () => ms.flatMap((m) => m.values()).filter((v) => seq(v) >= 60).length >= 30,
      );
      await sleep(300);
      consumedOnce([leaver, ...ms], valuesOf("u", 0, 90), "after the leave");
      const [committed] = await admin(gw, [{ op: "committed", group, topic, partitions: 6 }]);
      assertEquals(
        committed.offsets,
        [15, 15, 15, 15, 15, 15],
        "committed offsets (OffsetCommit with epochs)",
      );
    },
  },
  {
    name: "range: co-partitioned ranges over two topics of 6 partitions",
    run: async (gw, members) => {
      const [a, b] = [`${P}-range-a`, `${P}-range-b`];
      const group = `${P}-g-range`;
      await admin(gw, [create(a, 6), create(b, 6)]);
      const ms = [0, 1, 2].map((i) =>
        join(gw, members, { group, topics: [a, b], assignor: "range", clientId: `range-${i}` })
      );
      await until(
        "3 members holding 4 partitions each",
        () => splits(ms, [...partitionsOf(a, 6), ...partitionsOf(b, 6)], 4),
      );
      const numbers = (m: Member, topic: string) =>
        m.assigned().filter((p) => p.startsWith(`${topic}:`)).map((p) => Number(p.slice(topic.length + 1)))
          .sort((x, y) => x - y);
      for (const m of ms) {
        const [na, nb] = [numbers(m, a), numbers(m, b)];
        assertEquals(na, nb, `${m.name}: the same partition numbers of both topics`);
        assert(na.length === 2 && na[1] === na[0] + 1 && na[0] % 2 === 0, `${m.name}: a range: ${na}`);
      }
      const d = await describe(gw, group);
      assertEquals([d.type, d.assignor, d.members.length], ["CONSUMER", "range", 3], JSON.stringify(d));
    },
  },
  {
    name: "SIGKILL: the killed member's partitions move after the session timeout",
    run: async (gw, members) => {
      const topic = `${P}-kill`;
      const group = `${P}-g-kill`;
      await admin(gw, [create(topic, 4)]);
      const [victim, survivor] = [0, 1].map((i) =>
        join(gw, members, { group, topics: [topic], clientId: `kill-${i}` })
      );
      const all = partitionsOf(topic, 4);
      await until("2 members holding 2 partitions each", () => splits([victim, survivor], all, 2));
      const t0 = Date.now();
      await victim.kill();
      await until("the survivor holding all 4", () => splits([survivor], all), SESSION_MS + 15_000);
      const moved = Date.now() - t0;
      assert(
        moved >= SESSION_MS - 1000,
        `moved after ${moved} ms: only once the session (${SESSION_MS} ms) expired`,
      );
      await admin(gw, [produce(topic, "k", 0, 8, 4)]);
      await until("8 records", () => survivor.values().length >= 8);
      consumedOnce([survivor], valuesOf("k", 0, 8), "the survivor");
    },
  },
  {
    name: "static: a member restarted with its group.instance.id gets its partitions back, no reassignment",
    run: async (gw, members) => {
      const topic = `${P}-static`;
      const group = `${P}-g-static`;
      await admin(gw, [create(topic, 4)]);
      const conf = (id: string) => ({
        group,
        topics: [topic],
        instance: `inst-${id}`,
        clientId: `static-${id}`,
      });
      const a = join(gw, members, conf("a"));
      const b = join(gw, members, conf("b"));
      const all = partitionsOf(topic, 4);
      await until("2 static members holding 2 partitions each", () => splits([a, b], all, 2));
      const before = a.assigned();
      const bEvents = b.assignmentEvents().length;
      const described = await describe(gw, group);
      assertEquals(
        described.members.map((m) => m.instance_id),
        ["inst-a", "inst-b"],
        JSON.stringify(described),
      );
      await a.close(); // a static member's leave (epoch -2): kept with its assignment until its session ends
      const a2 = join(gw, members, conf("a"));
      await until("the restarted member's assignment", () => a2.assigned().length > 0);
      assertEquals(a2.assigned(), before, "the restarted member holds what it held before");
      await sleep(SESSION_MS + 1000); // past the session timeout of the left member
      assertEquals(a2.assigned(), before, "still");
      assertEquals(b.assignmentEvents().length, bEvents, "the other member saw no reassignment");
      const after = await describe(gw, group);
      assertEquals(after.members.map((m) => m.instance_id), ["inst-a", "inst-b"], JSON.stringify(after));
      await admin(gw, [produce(topic, "s", 0, 8, 4)]);
      await until("8 records", () => a2.values().length + b.values().length >= 8);
      consumedOnce([a2, b], valuesOf("s", 0, 8), "both static members");
    },
  },
  {
    name: "regex: ^…-regex-.* picks up a topic created later",
    run: async (gw, members) => {
      const group = `${P}-g-regex`;
      await admin(gw, [create(`${P}-regex-1`, 2), create(`x-${P}-regex-0`, 1)]);
      const m = join(gw, members, { group, topics: [`^${P}-regex-.*`], clientId: "regex-0" });
      await until("the matching topic's 2 partitions", () => splits([m], partitionsOf(`${P}-regex-1`, 2)));
      await admin(gw, [create(`${P}-regex-2`, 2), produce(`${P}-regex-2`, "r", 0, 4, 2)]);
      const all = [...partitionsOf(`${P}-regex-1`, 2), ...partitionsOf(`${P}-regex-2`, 2)];
      await until("the new topic's partitions too", () => splits([m], all));
      await until("its 4 records", () => m.values().length >= 4);
      consumedOnce([m], valuesOf("r", 0, 4), "the regex member");
      assert(!m.assignmentEvents().some((e) => e.partitions!.some((p) => p.startsWith("x-"))), "x-… never");
    },
  },
  {
    name: "mixed: a classic member and 2 consumer members in one group; converted and back",
    run: async (gw, members) => {
      const topic = `${P}-mixed`;
      const group = `${P}-g-mixed`;
      await admin(gw, [create(topic, 6)]);
      const all = partitionsOf(topic, 6);
      const classic = join(gw, members, {
        group,
        topics: [topic],
        protocol: "classic",
        strategy: "cooperative-sticky",
        clientId: "mixed-classic",
      });
      await until("the classic member holding all 6", () => splits([classic], all));
      assertEquals((await describe(gw, group)).type, "CLASSIC");
      const consumers = [0, 1].map((i) =>
        join(gw, members, { group, topics: [topic], clientId: `mixed-${i}` })
      );
      const ms = [classic, ...consumers];
      await until("3 members (1 classic) holding 2 partitions each", () => splits(ms, all, 2));
      const d = await describe(gw, group);
      assertEquals([d.type, d.members.length], ["CONSUMER", 3], JSON.stringify(d));
      await admin(gw, [produce(topic, "m", 0, 60, 6)]);
      await until("60 records", () => ms.flatMap((m) => m.values()).length >= 60);
      await sleep(300);
      consumedOnce(ms, valuesOf("m", 0, 60), "the mixed group");
      // The consumer members leave: a group of only classic members converts back and rebalances.
      for (const c of consumers) await c.close();
      await until("the classic member holding all 6 again", () => splits([classic], all));
      const back = await describe(gw, group);
      assertEquals([back.type, back.members.length], ["CLASSIC", 1], JSON.stringify(back));
      await admin(gw, [produce(topic, "m", 60, 12, 6)]);
      await until("12 more records", () => classic.values().filter((v) => seq(v) >= 60).length >= 12);
      await sleep(300);
      consumedOnce(ms, valuesOf("m", 0, 72), "after the downgrade");
    },
  },
  {
    name:
      "restart: the group is restored from the store; its members go on with the same partitions, records once",
    gatewayOnly: true,
    run: async (_shared, members) => {
      // Its own gateway (stopped and started again on the same port and data directory).
      const dataDir = await Deno.makeTempDir({ prefix: "kgw-cpr-restart-" });
      let gw = await startGateway({ dataDir, args: GATEWAY_ARGS, timeoutMs: 60_000 });
      try {
        const topic = `${P}-restart`;
        const group = `${P}-g-restart`;
        await admin(gw, [create(topic, 4)]);
        const ms = [0, 1].map((i) => join(gw, members, { group, topics: [topic], clientId: `restart-${i}` }));
        const all = partitionsOf(topic, 4);
        await until("2 members holding 2 partitions each", () => splits(ms, all, 2));
        await admin(gw, [produce(topic, "x", 0, 8, 4)]);
        await until("8 records", () => ms.flatMap((m) => m.values()).length >= 8);
        const before = await describe(gw, group);
        const held = ms.map((m) => m.assigned());
        const events = ms.map((m) => m.assignmentEvents().length);
        // Frozen through the restart, the members cannot heartbeat: what describe shows afterwards was loaded.
        for (const m of ms) m.pause();
        await gw.stop();
        gw = await startGateway({
          dataDir,
          args: [...GATEWAY_ARGS, "--listen", `127.0.0.1:${gw.port}`],
          timeoutMs: 60_000,
        });
        const restored = await describe(gw, group).finally(() => ms.forEach((m) => m.resume()));
        const view = (g: GroupView) => g.members.map((m) => [m.member_id, m.client_id, m.assignment]);
        assertEquals(view(restored), view(before), "the restored group: the same members and assignments");
        // The members reconnect and heartbeat with their ids and epochs: the restored group takes them as they are.
        await admin(gw, [produce(topic, "x", 8, 8, 4)]);
        await until("8 more records", () => ms.flatMap((m) => m.values()).length >= 16);
        await sleep(300);
        consumedOnce(ms, valuesOf("x", 0, 16), "across the restart");
        assertEquals(ms.map((m) => m.assigned()), held, "the same partitions");
        assertEquals(ms.map((m) => m.assignmentEvents().length), events, "no revocation, no loss");
        const after = await describe(gw, group);
        assertEquals(
          after.members.map((m) => [m.member_id, m.assignment]),
          before.members.map((m) => [m.member_id, m.assignment]),
          "the same members with the same assignments",
        );
      } catch (e) {
        console.error(
          `--- restarted gateway log (last 40 lines) ---\n${gw.logs().split("\n").slice(-40).join("\n")}`,
        );
        throw e;
      } finally {
        await Promise.all(members.map((m) => m.kill()));
        await gw.stop();
        await Deno.remove(dataDir, { recursive: true }).catch(() => {});
      }
    },
  },
];

/** Every member started (KGW_CP_LOG=1 shows what each did). */
const allMembers: Member[] = [];

/** Runs one scenario; a failure carries what each of its members did. */
async function runScenario(gw: RunningGateway, s: Scenario): Promise<void> {
  const members: Member[] = [];
  const t0 = Date.now();
  try {
    await s.run(gw, members);
    console.log(`  ${s.name}: passed in ${Date.now() - t0} ms`);
  } catch (e) {
    const detail = members.map((m) => `  ${m.report()}`).join("\n");
    throw new Error(`${e instanceof Error ? e.message : e}\nmembers:\n${detail}`, { cause: e });
  } finally {
    await Promise.all(members.map((m) => m.kill()));
  }
}

// ---------------------------------------------------------------- registration

/** A broker started elsewhere (KGW_CONSUMER_PROTOCOL_KAFKA), in the shape of a started gateway. */
function externalBroker(bootstrap: string): RunningGateway {
  return {
    port: Number(bootstrap.slice(bootstrap.lastIndexOf(":") + 1)),
    bootstrap,
    httpPort: null,
    dataDir: "",
    pid: 0,
    logs: () => "",
    stop: () => Promise.resolve(),
    kill: () => Promise.resolve(),
  };
}

async function runAll(t: Deno.TestContext, gw: RunningGateway, where: string): Promise<void> {
  const only = Deno.env.get("KGW_CP_ONLY");
  const scenarios = SCENARIOS.filter((s) =>
    (only === undefined || new RegExp(only).test(s.name)) && !(s.gatewayOnly && gw.pid === 0)
  );
  const outcomes: PromiseSettledResult<void>[] = [];
  if (SERIAL) {
    for (const s of scenarios) outcomes.push(...await Promise.allSettled([runScenario(gw, s)]));
  } else {
    outcomes.push(...await Promise.allSettled(scenarios.map((s) => runScenario(gw, s))));
  }
  let failed = 0;
  for (const [i, s] of scenarios.entries()) {
    const o = outcomes[i];
    const ok = await t.step(s.name, () => {
      if (o.status === "rejected") throw o.reason;
    });
    if (!ok) failed++;
  }
  if (Deno.env.get("KGW_CP_LOG") === "1") {
    console.log(
      gw.logs().split("\n").filter((l) => /\[(WRN|ERR)\]|consumer group|member/i.test(l)).join("\n"),
    );
    for (const m of allMembers) console.log(`  ${m.report()}`);
  }
  // Thrown so that the gateway's log is printed with the failures.
  if (failed > 0) throw new Error(`${failed} of ${scenarios.length} scenarios failed on ${where}`);
}

if (EXTERNAL) {
  Deno.test({
    name:
      `KIP-848 consumer groups with confluent-kafka (group.protocol=consumer) on the broker at ${EXTERNAL}`,
    ...opts,
    fn: async (t) => {
      await requireConsumerProtocolClient();
      await runAll(t, externalBroker(EXTERNAL), EXTERNAL);
    },
  });
} else {
  const matrix = await backendMatrix();
  for (const backend of matrix.backends) {
    Deno.test({
      name: `KIP-848 consumer groups with confluent-kafka (group.protocol=consumer) on ${backend.name}`,
      ...opts,
      fn: async (t) => {
        await requireConsumerProtocolClient();
        if (backend.ignore) {
          throw new Error("weed (SeaweedFS) is required: scripts/setup_test_tools.sh installs it");
        }
        await backend.use();
        await runWithGateway(
          { args: GATEWAY_ARGS, timeoutMs: 60_000 },
          (gw) => runAll(t, gw, backend.name),
        );
      },
    });
  }
  matrix.finish();
}
