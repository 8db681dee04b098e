// KafkaJS consumer groups against a real gateway process: partitions shared without overlap, rebalances on
// join, leave and crash (session timeout), committed offsets across a gateway restart, many groups at once.
import { assert, assertEquals } from "../unit/assert.ts";
import { type RunningGateway, runWithGateway } from "../helpers/gateway.ts";
import { Kafka, kafkajs, logLevel } from "../helpers/kafkajs.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const { AssignerProtocol } = kafkajs;
const GATEWAY_ARGS = ["--group-initial-rebalance-delay-ms", "0", "--group-min-session-timeout-ms", "1000"];
const CONSUMER = {
  sessionTimeout: 4000,
  rebalanceTimeout: 8000,
  heartbeatInterval: 300,
  maxWaitTimeInMs: 200,
};

type Admin = ReturnType<InstanceType<typeof Kafka>["admin"]>;

function client(gw: RunningGateway, clientId = "groups-test") {
  return new Kafka({ clientId, brokers: [gw.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 5 } });
}

/** member id -> partitions of `topic`, read through DescribeGroups and decoded by KafkaJS. */
async function assignment(admin: Admin, groupId: string, topic: string) {
  const { groups } = await admin.describeGroups([groupId]);
  const g = groups[0];
  const out = new Map<string, number[]>();
  for (const m of g.members) {
    const decoded = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
    out.set(m.memberId, [...(decoded?.assignment?.[topic] ?? [])].sort((a, b) => a - b));
  }
  return { state: g.state, members: out };
}

/** Waits until the group is Stable with `n` members that cover all partitions exactly once. */
async function waitBalanced(
  admin: Admin,
  groupId: string,
  topic: string,
  n: number,
  partitions: number,
  ms = 30000,
) {
  const deadline = Date.now() + ms;
  let last = "";
  while (Date.now() < deadline) {
    const a = await assignment(admin, groupId, topic);
    const all = [...a.members.values()].flat().sort((x, y) => x - y);
    last = `${a.state} ${JSON.stringify([...a.members.values()])}`;
    if (
      a.state === "Stable" && a.members.size === n && all.length === partitions &&
      all.every((p, i) => p === i) && [...a.members.values()].every((ps) => ps.length > 0)
    ) return a.members;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`group ${groupId} did not balance over ${n} members: ${last}`);
}

const withGateway = (fn: (gw: RunningGateway) => Promise<void>, dataDir?: string, args: string[] = []) =>
  runWithGateway({ args: [...GATEWAY_ARGS, ...args], dataDir }, fn);

/** A KafkaJS group member in a child process, so it can be killed without a LeaveGroup. */
async function spawnMember(gw: RunningGateway, groupId: string, topic: string) {
  const script = new URL("./fixtures/kafkajs_member.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-env",
      "--allow-read",
      "--allow-ffi",
      "--allow-sys",
      script,
      gw.bootstrap,
      groupId,
      topic,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  // Wait for the first "joined" line.
  while (!buf.includes("joined")) {
    const { value, done } = await lines.read();
    if (done) throw new Error("member exited before joining");
    buf += value;
  }
  return {
    kill: async () => {
      child.kill("SIGKILL");
      await child.status;
      await lines.cancel().catch(() => {});
    },
  };
}

Deno.test({
  name: "kafkajs groups: 3 members share 6 partitions; a 4th joins, one leaves, one is killed",
  ...opts,
  fn: () =>
    withGateway(async (gw) => {
      const kafka = client(gw);
      const admin = kafka.admin();
      await admin.connect();
      const topic = "shared";
      await admin.createTopics({ topics: [{ topic, numPartitions: 6 }] });
      const consumers = [];
      try {
        for (let i = 0; i < 3; i++) {
          const c = kafka.consumer({ groupId: "g1", ...CONSUMER });
          await c.connect();
          await c.subscribe({ topic, fromBeginning: true });
          await c.run({ eachMessage: async () => {} });
          consumers.push(c);
        }
        let members = await waitBalanced(admin, "g1", topic, 3, 6);
        assert([...members.values()].every((ps) => ps.length === 2), "range over 3 members gives 2 each");

        const fourth = kafka.consumer({ groupId: "g1", ...CONSUMER });
        await fourth.connect();
        await fourth.subscribe({ topic, fromBeginning: true });
        await fourth.run({ eachMessage: async () => {} });
        consumers.push(fourth);
        members = await waitBalanced(admin, "g1", topic, 4, 6);

        // A clean leave (LeaveGroup) moves its partitions at once.
        await consumers.shift()!.disconnect();
        members = await waitBalanced(admin, "g1", topic, 3, 6);

        // A crashed member (no LeaveGroup) is removed after its session timeout.
        const victim = await spawnMember(gw, "g1", topic);
        await waitBalanced(admin, "g1", topic, 4, 6);
        await victim.kill();
        await waitBalanced(admin, "g1", topic, 3, 6);
        // Removed by its session timeout (the gateway says why), not by the closed connection.
        assert(
          /removed from group g1: session timeout of 4000 ms expired/.test(gw.logs()),
          "the gateway logged the expiry",
        );
      } finally {
        for (const c of consumers) await c.disconnect().catch(() => {});
        await admin.disconnect();
      }
    }),
});

Deno.test({
  name:
    "kafkajs groups: committed offsets survive a gateway restart; consumption resumes with no loss or replay",
  ...opts,
  fn: async () => {
    const dataDir = await Deno.makeTempDir({ prefix: "kgw-groups-" });
    const topic = "resume";
    const consume = async (gw: RunningGateway, expect: number) => {
      const kafka = client(gw);
      const seen: string[] = [];
      const c = kafka.consumer({ groupId: "resumers", ...CONSUMER });
      await c.connect();
      await c.subscribe({ topic, fromBeginning: true });
      const done = Promise.withResolvers<void>();
      await c.run({
        autoCommitInterval: 100,
        eachMessage: ({ message }) => {
          seen.push(message.value!.toString());
          if (seen.length >= expect) done.resolve();
          return Promise.resolve();
        },
      });
      await Promise.race([
        done.promise,
        new Promise((_, rej) => setTimeout(() => rej(new Error(`saw ${seen.length}`)), 30000)),
      ]);
      await new Promise((r) => setTimeout(r, 500)); // let a stray extra message show up
      await c.disconnect(); // commits on the way out
      return seen;
    };
    const produce = async (gw: RunningGateway, from: number, n: number) => {
      const p = client(gw).producer();
      await p.connect();
      await p.send({
        topic,
        acks: -1,
        messages: Array.from({ length: n }, (_, i) => ({ partition: i % 3, value: `m${from + i}` })),
      });
      await p.disconnect();
    };
    await withGateway(async (gw) => {
      const admin = client(gw).admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] });
      await produce(gw, 0, 60);
      const first = await consume(gw, 60);
      assertEquals(first.length, 60);
      const committed = await admin.fetchOffsets({ groupId: "resumers", topics: [topic] });
      assertEquals(committed[0].partitions.map((p) => Number(p.offset)).reduce((a, b) => a + b, 0), 60);
      await admin.disconnect();
    }, dataDir);
    await withGateway(async (gw) => {
      const admin = client(gw).admin();
      await admin.connect();
      const committed = await admin.fetchOffsets({ groupId: "resumers", topics: [topic] });
      assertEquals(
        committed[0].partitions.map((p) => Number(p.offset)).sort(),
        [20, 20, 20],
        "offsets reloaded",
      );
      await admin.disconnect();
      await produce(gw, 60, 30);
      const second = await consume(gw, 30);
      assertEquals(
        second.sort(),
        Array.from({ length: 30 }, (_, i) => `m${60 + i}`).sort(),
        "exactly the new ones",
      );
    }, dataDir);
  },
});

Deno.test({
  name: "kafkajs groups: 100 groups at once each get every partition; list, describe and delete groups",
  ...opts,
  fn: () =>
    withGateway(async (gw) => {
      const kafka = client(gw);
      const admin = kafka.admin();
      await admin.connect();
      const topic = "many";
      await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
      const consumers = Array.from({ length: 100 }, (_, i) =>
        kafka.consumer({ groupId: `many-${i}`, ...CONSUMER }));
      try {
        await Promise.all(consumers.map(async (c) => {
          await c.connect();
          await c.subscribe({ topic, fromBeginning: true });
          await c.run({ eachMessage: async () => {} });
        }));
        for (let i = 0; i < 100; i += 11) {
          await waitBalanced(admin, `many-${i}`, topic, 1, 2);
        }
        const listed = (await admin.listGroups()).groups.map((g) =>
          g.groupId
        );
        for (let i = 0; i < 100; i++) assert(listed.includes(`many-${i}`), `many-${i} listed`);
        const del = await admin.deleteGroups(["many-0"]).then(() => null, (e) => e);
        assert(del !== null, "a group with members cannot be deleted");
        await consumers[0].disconnect();
        await admin.deleteGroups(["many-0"]);
        assert(
          !(await admin.listGroups()).groups.some((g) => g.groupId === "many-0"),
          "deleted group is gone",
        );
      } finally {
        await Promise.all(consumers.map((c) => c.disconnect().catch(() => {})));
        await admin.disconnect();
      }
    }),
});
