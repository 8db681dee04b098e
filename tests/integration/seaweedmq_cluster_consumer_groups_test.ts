// KIP-848 consumer groups (ConsumerGroupHeartbeat, group.protocol=consumer) across 3 gateways on one SeaweedMQ
// namespace, with real clients: confluent-kafka members (tests/integration/py/ck_consumer_protocol.py `member`),
// each bootstrapped to a different gateway, one group, one topic of 6 partitions.
// - they settle to 2 partitions each, every produced record is consumed;
// - the gateway that coordinates the group (FindCoordinator: the leader of the group's __consumer_offsets
//   partition) is killed (-9) while records keep being produced; after the lease timeout another gateway serves
//   the group, loaded from the filer: the members go on (fenced and rejoining is allowed), the 6 partitions are
//   spread over their assignments again, every record is consumed at least once, and describe_consumer_groups
//   shows the group (type CONSUMER) with its 3 members and their disjoint assignments;
// - all along, no partition is held by two members at once (from the members' assigned/revoked/lost events).
// A missing weed or client (confluent-kafka with KIP-848) fails the test: it never skips.
import { assert, assertEquals } from "../unit/assert.ts";
import { type SeaweedFS, startSeaweedFS, weedTool } from "../helpers/seaweedfs.ts";
import { type RunningGateway, startGateway } from "../helpers/gateway.ts";
import {
  admin,
  consumerGroupArgs,
  Member,
  requireConsumerProtocolClient,
  type Result,
} from "../helpers/consumer_protocol.ts";
import { WireClient } from "../helpers/wire.ts";
import {
  type FindCoordinatorResponse,
  FindCoordinatorSpec,
} from "../../src/protocol/messages/find_coordinator.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const LEASE_MS = 3000;
const OFFSETS_PARTITIONS = 6;
const SESSION_MS = 4000;
const HEARTBEAT_MS = 500;
const PARTITIONS = 6;
const TOPIC = "kip848-cluster";
const GROUP = "kip848-cluster-group";

// ---------------------------------------------------------------- admin ops

/** Records `r-${from + i}`, round-robin over the partitions. */
function produceOp(from: number, n: number) {
  const values = Array.from({ length: n }, (_, i) => [(from + i) % PARTITIONS, `r-${from + i}`]);
  return { op: "produce", topic: TOPIC, values };
}

/** Polls `check` (null when satisfied, else why not) until it holds or `ms` passed; returns the time it took. */
async function waitUntil(what: string, ms: number, check: () => string | null | Promise<string | null>) {
  const start = performance.now();
  let why: string | null = "not checked";
  while (performance.now() - start < ms) {
    why = await check();
    if (why === null) return performance.now() - start;
    await sleep(200);
  }
  throw new Error(`${what} not within ${ms} ms: ${why}`);
}

// ---------------------------------------------------------------- gateways

interface Node {
  id: number;
  gw: RunningGateway;
  alive: boolean;
}

function gatewayArgs(cluster: SeaweedFS, ns: string, id: number): string[] {
  return [
    ...cluster.gatewayArgs,
    "--seaweedmq-namespace",
    ns,
    "--node-id",
    String(id),
    "--lease-timeout-ms",
    String(LEASE_MS),
    "--offsets-topic-num-partitions",
    String(OFFSETS_PARTITIONS),
    ...consumerGroupArgs(SESSION_MS, HEARTBEAT_MS),
  ];
}

/** The group's coordinator as every live gateway answers FindCoordinator, once they agree on a live one. */
async function coordinatorOf(nodes: Node[], timeoutMs: number): Promise<number> {
  let id = -1;
  await waitUntil("one live coordinator of the group", timeoutMs, async () => {
    const live = nodes.filter((n) => n.alive);
    try {
      const ids = await Promise.all(live.map(async (n) => {
        const c = await WireClient.connect(n.gw.port, "kip848-cluster-test");
        try {
          const r = await c.call<FindCoordinatorResponse>(FindCoordinatorSpec, 4, {
            keyType: 0,
            coordinatorKeys: [GROUP],
          });
          const co = r.coordinators?.[0];
          return co && co.errorCode === 0 ? co.nodeId : -1;
        } finally {
          c.close();
        }
      }));
      if (ids[0] >= 0 && ids.every((i) => i === ids[0]) && live.some((n) => n.id === ids[0])) {
        id = ids[0];
        return null;
      }
      return `coordinators ${JSON.stringify(ids)}`;
    } catch (e) {
      return String(e);
    }
  });
  return id;
}

// ---------------------------------------------------------------- checks

/** Every member's current assignment, disjoint, covering the topic's partitions. */
function spread(members: Member[], each?: number): string | null {
  const held = members.flatMap((m) => m.assigned());
  if (new Set(held).size !== held.length) {
    return `a partition held twice: ${members.map((m) => m.assigned())}`;
  }
  if (held.length !== PARTITIONS) return `${held.length}/${PARTITIONS} partitions held`;
  if (each !== undefined && !members.every((m) => m.assigned().length === each)) {
    return `not ${each} each: ${members.map((m) => `${m.name}=[${m.assigned()}]`).join(" ")}`;
  }
  return null;
}

/** Records r-0 .. r-(n-1) all consumed by some member. */
function consumed(members: Member[], n: number): string | null {
  const seen = new Set(members.flatMap((m) => m.values()));
  const missing = [];
  for (let i = 0; i < n; i++) if (!seen.has(`r-${i}`)) missing.push(i);
  return missing.length ? `${missing.length}/${n} records not consumed, e.g. ${missing.slice(0, 8)}` : null;
}

/**
 * From the members' assignment events (each the full assignment after it, stamped with the wall clock): every
 * interval during which a member held a partition, and a check that no two members' intervals of one partition
 * overlap. A member's holding ends at its revoked/lost event for it (or now).
 */
function doubleOwners(members: Member[]): string[] {
  const intervals = new Map<string, { who: string; from: number; to: number }[]>();
  const now = Date.now();
  for (const m of members) {
    const since = new Map<string, number>();
    for (const e of m.assignmentEvents()) {
      const after = new Set(e.partitions!);
      for (const [p, from] of [...since]) {
        if (!after.has(p)) {
          intervals.set(p, [...(intervals.get(p) ?? []), { who: m.name, from, to: e.ms }]);
          since.delete(p);
        }
      }
      for (const p of after) if (!since.has(p)) since.set(p, e.ms);
    }
    for (const [p, from] of since) {
      intervals.set(p, [...(intervals.get(p) ?? []), { who: m.name, from, to: now }]);
    }
  }
  const clashes: string[] = [];
  for (const [p, list] of intervals) {
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        const a = list[i], b = list[j];
        if (a.who !== b.who && a.from < b.to && b.from < a.to) {
          clashes.push(`${p}: ${a.who} [${a.from}, ${a.to}] and ${b.who} [${b.from}, ${b.to}]`);
        }
      }
    }
  }
  return clashes;
}

// ---------------------------------------------------------------- the test

Deno.test({
  name:
    "seaweedmq cluster: a KIP-848 consumer group over 3 gateways, its coordinator killed (-9) and taken over",
  ...opts,
  fn: async () => {
    const weed = await weedTool();
    if (weed.ignore) throw new Error(`weed (SeaweedFS) is required: ${weed.path} does not run`);
    await requireConsumerProtocolClient();

    const t0 = performance.now();
    const cluster = await startSeaweedFS();
    const ns = `kafka_cg_${Date.now().toString(36)}`;
    const nodes: Node[] = [];
    const members: Member[] = [];
    const dirs: string[] = [];
    let producing = false;
    let producer: Promise<void> = Promise.resolve();
    try {
      for (const id of [1, 2, 3]) {
        const dataDir = await Deno.makeTempDir({ prefix: `kgw-cg-${id}-` });
        dirs.push(dataDir);
        nodes.push({
          id,
          gw: await startGateway({ dataDir, args: gatewayArgs(cluster, ns, id), timeoutMs: 60_000 }),
          alive: true,
        });
      }
      const bootstrapAll = nodes.map((n) => n.gw.bootstrap).join(",");
      await admin(nodes[0].gw.bootstrap, [{ op: "create", topic: TOPIC, partitions: PARTITIONS }]);
      const started = performance.now();

      // one member per gateway
      for (const n of nodes) {
        members.push(
          new Member(n.gw.bootstrap, { group: GROUP, topics: [TOPIC], clientId: `member-via-${n.id}` }),
        );
      }
      const settleMs = await waitUntil("2 partitions each", 30_000, () => spread(members, 2));
      let produced = 60;
      await admin(bootstrapAll, [produceOp(0, produced)]);
      const consumeMs = await waitUntil("records consumed", 20_000, () => consumed(members, produced));
      assertEquals(doubleOwners(members), [], "no partition held by two members at once");

      // kill -9 the group's coordinator, producing all along through the others
      const coordinator = await coordinatorOf(nodes, 10_000);
      const victim = nodes.find((n) => n.id === coordinator)!;
      const survivors = nodes.filter((n) => n !== victim);
      const survivorBootstrap = survivors.map((n) => n.gw.bootstrap).join(",");
      producing = true;
      producer = (async () => {
        while (producing) {
          const from = produced;
          await admin(survivorBootstrap, [produceOp(from, 12)]);
          produced = from + 12;
          await sleep(500);
        }
      })();
      await sleep(1000);
      const killedAt = performance.now();
      await victim.gw.kill();
      victim.alive = false;
      const newCoordinator = await coordinatorOf(nodes, LEASE_MS + 15_000);
      const takeoverMs = performance.now() - killedAt;
      assert(newCoordinator !== coordinator, `the group moved (coordinator ${newCoordinator})`);
      // a few more seconds of producing while the members find the new coordinator
      await sleep(3000);
      producing = false;
      await producer;
      const total = produced;

      const respreadMs = await waitUntil("6 partitions spread again", 30_000, () => spread(members));
      const catchUpMs = await waitUntil("every record consumed", 30_000, () => consumed(members, total));
      assertEquals(doubleOwners(members), [], "no partition held by two members at once");
      assert(members.every((m) => m.assigned().length > 0), "every member has partitions again");

      // past a session timeout on the new coordinator: the members still in the group heartbeat to it
      const sinceTakeover = performance.now() - killedAt - takeoverMs;
      if (sinceTakeover < SESSION_MS + 1000) await sleep(SESSION_MS + 1000 - sinceTakeover);
      assertEquals(spread(members), null, "the partitions still spread");
      // describe through a surviving gateway: the group on its new coordinator, with its members
      let group: Result = {};
      await waitUntil("describe shows the 3 members", 15_000, async () => {
        try {
          [{ group }] = await admin(survivorBootstrap, [{ op: "describe", group: GROUP }]);
        } catch (e) {
          return String(e);
        }
        if (group.type !== "CONSUMER") return `type ${group.type}`;
        if (group.members.length !== 3) return `${group.members.length} members`;
        const held: string[] = group.members.flatMap((m: Result) => m.assignment ?? []);
        if (held.length !== PARTITIONS || new Set(held).size !== PARTITIONS) return `assignments ${held}`;
        return null;
      });
      assertEquals(group.state, "STABLE");
      assertEquals(
        group.members.map((m: Result) => m.client_id).sort(),
        members.map((m) => m.name).sort(),
      );
      for (const m of group.members) {
        const member = members.find((x) => x.name === m.client_id)!;
        assertEquals([...m.assignment].sort(), [...member.assigned()].sort(), `${m.client_id}'s assignment`);
      }

      const fenced = members.map((m) =>
        `${m.name}: ${m.assignmentEvents().length} assignment events, ${
          m.assignmentEvents().filter((e) => e.event === "lost").length
        } lost`
      );
      console.log(
        `kip848 cluster: settled ${settleMs.toFixed(0)} ms, ${60} records consumed ${
          consumeMs.toFixed(0)
        } ms; ` +
          `coordinator ${coordinator} killed, ${newCoordinator} took over in ${takeoverMs.toFixed(0)} ms; ` +
          `spread again ${respreadMs.toFixed(0)} ms, ${total} records consumed ${
            catchUpMs.toFixed(0)
          } ms later; ` +
          `${(performance.now() - started).toFixed(0)} ms with clients, ${
            (performance.now() - t0).toFixed(0)
          } ms ` +
          `in all\n  ${fenced.join("\n  ")}`,
      );
    } catch (e) {
      console.error(`--- members ---\n${members.map((m) => m.report({ history: true })).join("\n")}`);
      for (const n of nodes) {
        const lines = n.gw.logs().split("\n").filter((l) => /warn|error|group|coordinat/i.test(l));
        console.error(
          `--- gateway ${n.id} (${n.alive ? "alive" : "killed"}) ---\n${lines.slice(-30).join("\n")}`,
        );
      }
      throw e;
    } finally {
      producing = false;
      await producer.catch(() => {});
      await Promise.all(members.map((m) => m.close()));
      for (const n of nodes) if (n.alive) await n.gw.stop();
      await cluster.stop();
      for (const d of dirs) await Deno.remove(d, { recursive: true }).catch(() => {});
    }
  },
});
