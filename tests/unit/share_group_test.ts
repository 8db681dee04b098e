// KIP-932 share groups through the coordinator (ShareGroupHeartbeat's rules), on a manual clock and an in-memory
// store: several members on one partition all get it, the simple assignor's spread and stickiness, the request
// checks and fencing codes with Kafka's messages, sessions, leaving, the group kinds kept apart (a share group id
// refuses the classic and consumer protocols and offset commits, and the other way round), ListGroups and
// DeleteGroups, and the group surviving a coordinator restart.
import { GroupCoordinator } from "../../src/groups/coordinator.ts";
import type { TopicInfo, TopicsView } from "../../src/groups/consumer/contract.ts";
import type { ShareHeartbeatArgs, ShareHeartbeatResult } from "../../src/groups/share/contract.ts";
import { assignShare } from "../../src/groups/share/simple_assignor.ts";
import { buildRegistry } from "../../src/handlers/apis.ts";
import { ErrorCode } from "../../src/protocol/errors.ts";
import { logger } from "../../src/log.ts";
import { ManualClock } from "../helpers/clock.ts";
import { MemoryStore, OPTS } from "./group_fixtures.ts";
import { assert, assertEquals } from "./assert.ts";

class Topics implements TopicsView {
  readonly map = new Map<string, TopicInfo>();
  add(name: string, partitions: number): TopicInfo {
    const t = { id: (name + "0".repeat(32)).slice(0, 32).replace(/[^0-9a-f]/g, "a"), name, partitions };
    this.map.set(name, t);
    return t;
  }
  byName(name: string) {
    return this.map.get(name);
  }
  byId(id: string) {
    return [...this.map.values()].find((t) => t.id === id);
  }
  names() {
    return this.map.keys();
  }
}

const SESSION = 45_000;

async function setup(
  store = new MemoryStore(),
  topics = new Topics(),
  clock = new ManualClock(),
  maxSize = 200,
) {
  if (topics.map.size === 0) topics.add("queue", 1);
  const c = new GroupCoordinator(
    store,
    {
      ...OPTS,
      clock,
      topics,
      share: { sessionTimeoutMs: () => SESSION, heartbeatIntervalMs: () => 5_000, maxSize },
    },
    logger("test"),
    (t, p) => topics.byName(t) !== undefined && p < topics.byName(t)!.partitions,
  );
  await c.start();
  return { c, store, topics, clock };
}

type Rows = { topicId: string; partitions: number[] }[];

/** A share consumer's heartbeat loop as KafkaShareConsumer keeps it: its id, epoch and last assignment. */
class ShareClient {
  epoch = 0;
  assignment: Rows = [];
  constructor(readonly c: GroupCoordinator, readonly memberId: string, readonly topics = ["queue"]) {}
  async beat(over: Partial<ShareHeartbeatArgs> = {}): Promise<ShareHeartbeatResult> {
    const r = await this.c.shareGroupHeartbeat({
      groupId: "q",
      memberId: this.memberId,
      memberEpoch: this.epoch,
      rackId: null,
      subscribedTopicNames: this.epoch === 0 ? this.topics : null,
      clientId: "share-client",
      clientHost: "/127.0.0.1",
      ...over,
    });
    if (r.errorCode === ErrorCode.NONE) {
      this.epoch = r.memberEpoch;
      if (r.assignment !== null) this.assignment = r.assignment;
    }
    return r;
  }
  partitions(): number[] {
    return this.assignment.flatMap((t) => t.partitions).sort((a, b) => a - b);
  }
}

Deno.test("share group: four members on a one-partition topic all get partition 0 at the group's epoch", async () => {
  const { c, topics } = await setup();
  try {
    const members = ["m1", "m2", "m3", "m4"].map((id) => new ShareClient(c, id));
    for (const m of members) {
      const r = await m.beat();
      assertEquals([r.errorCode, r.memberId, r.heartbeatIntervalMs], [ErrorCode.NONE, m.memberId, 5_000]);
      assertEquals(
        r.assignment,
        [{ topicId: topics.byName("queue")!.id, partitions: [0] }],
        "join answers it",
      );
    }
    // Every join bumped the group epoch; the others catch up at their next heartbeat, nothing moves for them.
    for (const m of members) {
      const r = await m.beat();
      assertEquals([r.errorCode, r.memberEpoch, r.assignment], [ErrorCode.NONE, 4, null]);
    }
    const d = c.describeShareGroup("q");
    assertEquals([d.errorCode, d.groupState, d.groupEpoch, d.assignmentEpoch, d.assignorName], [
      ErrorCode.NONE,
      "Stable",
      4,
      4,
      "simple",
    ]);
    assertEquals(
      d.members.map((
        m,
      ) => [m.memberId, m.memberEpoch, m.assignment[0].topicName, m.assignment[0].partitions]),
      [
        ["m1", 4, "queue", [0]],
        ["m2", 4, "queue", [0]],
        ["m3", 4, "queue", [0]],
        ["m4", 4, "queue", [0]],
      ],
    );
    assertEquals(c.groupType("q"), "share");
    assertEquals(c.list().filter((g) => g.groupId === "q"), [{
      groupId: "q",
      protocolType: "share",
      state: "Stable",
      type: "share",
    }]);
  } finally {
    await c.close();
  }
});

Deno.test("share group: partitions spread over members, sticky, and taken over when a member leaves", async () => {
  const topics = new Topics();
  topics.add("queue", 4);
  const { c } = await setup(undefined, topics);
  try {
    const a = new ShareClient(c, "a");
    await a.beat();
    assertEquals(a.partitions(), [0, 1, 2, 3]);
    const b = new ShareClient(c, "b");
    await b.beat();
    await a.beat();
    assertEquals([a.partitions().length, b.partitions().length], [2, 2]);
    assertEquals([...a.partitions(), ...b.partitions()].sort(), [0, 1, 2, 3], "every partition has a member");
    const aBefore = a.partitions();
    const cc = new ShareClient(c, "c");
    await cc.beat();
    await a.beat();
    await b.beat();
    const all = [a, b, cc].map((m) => m.partitions());
    assertEquals(all.map((p) => p.length).sort(), [1, 1, 2]);
    assertEquals(all.flat().sort(), [0, 1, 2, 3]);
    assert(a.partitions().every((p) => aBefore.includes(p)), "a kept what it could");
    // b leaves: its partitions go to the others at their next heartbeat.
    const left = await b.beat({ memberEpoch: -1 });
    assertEquals([left.errorCode, left.memberEpoch, left.heartbeatIntervalMs], [ErrorCode.NONE, -1, 0]);
    await a.beat();
    await cc.beat();
    assertEquals([...a.partitions(), ...cc.partitions()].sort(), [0, 1, 2, 3]);
    assertEquals(c.describeShareGroup("q").members.length, 2);
  } finally {
    await c.close();
  }
});

Deno.test("share group: Kafka's request checks and fencing, with its codes and messages", async () => {
  const { c } = await setup();
  try {
    const m = new ShareClient(c, "m");
    const bad = async (over: Partial<ShareHeartbeatArgs>, code: number, msg: string) => {
      const r = await m.beat(over);
      assertEquals([r.errorCode, r.errorMessage, r.memberId, r.memberEpoch], [code, msg, null, 0]);
    };
    await bad({ groupId: "" }, ErrorCode.INVALID_REQUEST, "GroupId can't be empty.");
    await bad({ memberId: "" }, ErrorCode.INVALID_REQUEST, "MemberId can't be empty.");
    await bad({ rackId: "" }, ErrorCode.INVALID_REQUEST, "RackId can't be empty.");
    await bad(
      { subscribedTopicNames: [] },
      ErrorCode.INVALID_REQUEST,
      "SubscribedTopicNames must be set in first request.",
    );
    await bad({ memberEpoch: -2 }, ErrorCode.INVALID_REQUEST, "MemberEpoch is invalid.");
    await bad({ memberEpoch: 3 }, ErrorCode.UNKNOWN_MEMBER_ID, "Member m is not a member of group q.");
    assertEquals((await m.beat()).errorCode, ErrorCode.NONE);
    await bad(
      { memberEpoch: 7 },
      ErrorCode.FENCED_MEMBER_EPOCH,
      "The share group member has a greater member epoch (7) than the one known by the group coordinator (1). " +
        "The member must abandon all its partitions and rejoin.",
    );
    const other = new ShareClient(c, "o");
    await other.beat(); // epoch 2
    await other.beat();
    await bad(
      { memberId: "o", memberEpoch: 1 },
      ErrorCode.FENCED_MEMBER_EPOCH,
      "The share group member has a smaller member epoch (1) than the one known by the group coordinator (2). " +
        "The member must abandon all its partitions and rejoin.",
    );
    // A fenced client rejoins with epoch 0 under its id and gets the assignment again.
    const r = await m.beat({ memberEpoch: 0, subscribedTopicNames: ["queue"] });
    assertEquals([r.errorCode, r.memberEpoch, r.assignment?.[0].partitions], [ErrorCode.NONE, 2, [0]]);
    await bad(
      { memberId: "ghost", memberEpoch: -1 },
      ErrorCode.UNKNOWN_MEMBER_ID,
      "Member ghost is not a member of group q.",
    );
  } finally {
    await c.close();
  }
});

Deno.test("share group: group.share.max.size bounds the members", async () => {
  const { c } = await setup(undefined, undefined, undefined, 2);
  try {
    await new ShareClient(c, "a").beat();
    await new ShareClient(c, "b").beat();
    const r = await new ShareClient(c, "c").beat();
    assertEquals(
      [r.errorCode, r.errorMessage],
      [ErrorCode.GROUP_MAX_SIZE_REACHED, "The share group has reached its maximum capacity of 2 members."],
    );
  } finally {
    await c.close();
  }
});

Deno.test("share group: a member that stops heartbeating is removed after its session; the group epoch moves", async () => {
  const { c, clock } = await setup();
  try {
    const a = new ShareClient(c, "a");
    const b = new ShareClient(c, "b");
    await a.beat();
    await b.beat();
    await clock.advance(SESSION - 1_000);
    await a.beat();
    await clock.advance(2_000); // b's session passed, a's not
    const d = c.describeShareGroup("q");
    assertEquals([d.members.map((m) => m.memberId), d.groupEpoch], [["a"], 3]);
    assertEquals((await b.beat()).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    await clock.advance(SESSION);
    assertEquals(c.describeShareGroup("q").groupState, "Empty");
  } finally {
    await c.close();
  }
});

Deno.test("share group: group kinds stay apart; commits, joins and heartbeats of the other protocols are refused", async () => {
  const { c } = await setup();
  try {
    await new ShareClient(c, "a").beat();
    const cg = await c.consumerGroupHeartbeat({
      apiVersion: 1,
      groupId: "q",
      memberId: "x",
      memberEpoch: 0,
      instanceId: null,
      rackId: null,
      rebalanceTimeoutMs: 5_000,
      subscribedTopicNames: ["queue"],
      subscribedTopicRegex: null,
      serverAssignor: null,
      topicPartitions: [],
      clientId: "c",
      clientHost: "h",
    });
    assertEquals([cg.errorCode, cg.errorMessage], [
      ErrorCode.GROUP_ID_NOT_FOUND,
      "Group q is not a consumer group.",
    ]);
    assertEquals(c.heartbeat("q", 1, "x", null), ErrorCode.GROUP_ID_NOT_FOUND);
    const commit = await c.commit({
      groupId: "q",
      generationId: -1,
      memberId: "",
      groupInstanceId: null,
      retentionTimeMs: -1,
      offsets: [{ topic: "queue", partition: 0, offset: 5, metadata: null, leaderEpoch: -1 }],
    });
    assertEquals([...commit.values()], [ErrorCode.GROUP_ID_NOT_FOUND]);
    assertEquals(c.describeConsumerGroup("q").errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
    // And the other way round: a classic group's id (known by its offsets) is not a share group.
    await c.commit({
      groupId: "classic",
      generationId: -1,
      memberId: "",
      groupInstanceId: null,
      retentionTimeMs: -1,
      offsets: [{ topic: "queue", partition: 0, offset: 5, metadata: null, leaderEpoch: -1 }],
    });
    const r = await c.shareGroupHeartbeat({
      groupId: "classic",
      memberId: "s",
      memberEpoch: 0,
      rackId: null,
      subscribedTopicNames: ["queue"],
      clientId: "c",
      clientHost: "h",
    });
    assertEquals([r.errorCode, r.errorMessage], [
      ErrorCode.GROUP_ID_NOT_FOUND,
      "Group classic is not a share group.",
    ]);
    assertEquals(c.describeShareGroup("classic").errorMessage, "Group classic is not a share group.");
    assertEquals(c.describeShareGroup("none").errorMessage, "Group none not found.");
  } finally {
    await c.close();
  }
});

Deno.test("share group: DeleteGroups refuses a group with members and deletes an empty one with its record", async () => {
  const { c, store } = await setup();
  try {
    const a = new ShareClient(c, "a");
    await a.beat();
    assert(store.consumerGroups.has("q"), "the group was written");
    assertEquals(await c.deleteGroup("q"), ErrorCode.NON_EMPTY_GROUP);
    await a.beat({ memberEpoch: -1 });
    assertEquals(await c.deleteGroup("q"), ErrorCode.NONE);
    assertEquals([c.groupType("q"), store.consumerGroups.has("q")], [undefined, false]);
    assertEquals(c.describeShareGroup("q").errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  } finally {
    await c.close();
  }
});

Deno.test("share group: state survives a coordinator restart; members carry on at their epochs", async () => {
  const store = new MemoryStore();
  const topics = new Topics();
  const first = await setup(store, topics);
  const a = new ShareClient(first.c, "a");
  const b = new ShareClient(first.c, "b");
  await a.beat();
  await b.beat();
  await a.beat();
  const before = first.c.describeShareGroup("q");
  await first.c.close();

  const second = await setup(store, topics);
  try {
    const after = second.c.describeShareGroup("q");
    assertEquals(
      [after.groupEpoch, after.assignmentEpoch, after.members],
      [before.groupEpoch, before.assignmentEpoch, before.members],
    );
    // The same clients keep heartbeating at their epochs against the new coordinator: accepted.
    const a2 = Object.assign(new ShareClient(second.c, "a"), { epoch: a.epoch });
    const r = await a2.beat();
    assertEquals([r.errorCode, r.memberEpoch, r.assignment], [ErrorCode.NONE, a.epoch, null]);
    assertEquals(second.c.groupType("q"), "share");
    assertEquals(
      second.c.describeConsumerGroup("q").errorCode,
      ErrorCode.GROUP_ID_NOT_FOUND,
      "not read as consumer",
    );
  } finally {
    await second.c.close();
  }
});

Deno.test("share simple assignor: every partition has a member and loads are balanced, whatever the counts", () => {
  const t = { id: "t".padEnd(32, "0"), name: "t", partitions: 0 };
  for (const partitions of [1, 2, 3, 5, 8]) {
    for (const n of [1, 2, 3, 4, 7, 16]) {
      const topics = new Map([[t.id, { ...t, partitions }]]);
      let current = new Map<string, ReadonlyMap<string, ReadonlySet<number>>>();
      // Members arrive one by one; each round starts from the last target (stickiness must keep balance).
      for (let k = 1; k <= n; k++) {
        const members = Array.from({ length: k }, (_, i) => ({
          memberId: `m${String(i).padStart(2, "0")}`,
          subscribedTopicIds: new Set([t.id]),
          current: current.get(`m${String(i).padStart(2, "0")}`) ?? new Map(),
        }));
        const out = assignShare(members, topics);
        const loads = [...out.values()].map((a) => a.get(t.id)?.size ?? 0);
        const covered = new Set([...out.values()].flatMap((a) => [...(a.get(t.id) ?? [])]));
        assertEquals(covered.size, partitions, `${k} members, ${partitions} partitions: all covered`);
        if (k >= partitions) assert(loads.every((l) => l === 1), `${k}/${partitions}: one partition each`);
        else {
          assert(Math.max(...loads) - Math.min(...loads) <= 1, `${k}/${partitions}: balanced ${loads}`);
          assertEquals(loads.reduce((x, y) => x + y, 0), partitions, "each partition to one member");
        }
        if (k >= partitions) {
          const sharing = new Map<number, number>();
          for (const a of out.values()) {
            for (const p of a.get(t.id) ?? []) sharing.set(p, (sharing.get(p) ?? 0) + 1);
          }
          const s = [...sharing.values()];
          assert(Math.max(...s) - Math.min(...s) <= 1, `${k}/${partitions}: sharing balanced ${s}`);
        }
        current = out;
      }
    }
  }
});

Deno.test("share group APIs are advertised only with group.share.enable", () => {
  const keys = (r: ReturnType<typeof buildRegistry>) =>
    r.versions().filter((v) => v.apiKey === 76 || v.apiKey === 77).map((
      v,
    ) => [v.apiKey, v.minVersion, v.maxVersion]);
  assertEquals(keys(buildRegistry()), []);
  assertEquals(keys(buildRegistry({ shareGroups: true })), [[76, 1, 1], [77, 1, 1]]);
});
