// A consumer group's target assignment, as Kafka's TargetAssignmentBuilder: when the group epoch is ahead of the
// target's, the server assignor the members select (group.remote.assignor: the most used among consumer-protocol
// members, else the first of group.consumer.assignors) computes a new target from the members' subscriptions and
// current targets. Synchronous: run inside a heartbeat's one step (consumer_groups.ts); members then reconcile
// towards it (reconcile.ts).
import type { AssignorMember, ServerAssignor, TopicId, TopicInfo, TopicsView } from "./contract.ts";
import { SERVER_ASSIGNORS } from "./assignors/index.ts";
import type { ConsumerGroup } from "./group.ts";

/** The server assignors configured (group.consumer.assignors), and the choice among them. */
export class GroupAssignors {
  /** By name, in the configured order (the heartbeat's ServerAssignor must be one of them). */
  readonly byName: ReadonlyMap<string, ServerAssignor>;
  private readonly defaultAssignor: string;

  /** `names` are names of SERVER_ASSIGNORS; the first is the default. */
  constructor(names: readonly string[]) {
    const assignors = new Map<string, ServerAssignor>();
    for (const name of names) {
      const a = SERVER_ASSIGNORS.get(name);
      if (a === undefined) throw new Error(`unknown consumer group assignor ${name}`);
      assignors.set(name, a);
    }
    this.byName = assignors;
    this.defaultAssignor = names[0] ?? "uniform";
  }

  /** The most used ServerAssignor among consumer-protocol members (ties by name), else the default. */
  select(group: ConsumerGroup): string {
    const counts = new Map<string, number>();
    for (const m of group.members.values()) {
      if (m.classic === null && m.serverAssignor !== null) {
        counts.set(m.serverAssignor, (counts.get(m.serverAssignor) ?? 0) + 1);
      }
    }
    let best = this.defaultAssignor;
    let most = 0;
    for (const [name, n] of [...counts].sort((x, y) => x[0] < y[0] ? -1 : 1)) {
      if (n > most) [best, most] = [name, n];
    }
    return best;
  }

  /** The target assignment for the group epoch, when it is behind. */
  maybeComputeTarget(group: ConsumerGroup, topicsView: TopicsView): void {
    if (group.groupEpoch <= group.targetEpoch) return;
    const name = this.select(group);
    const assignor = this.byName.get(name)!;
    const topics = new Map<TopicId, TopicInfo>();
    const members = new Map<string, AssignorMember>();
    // Members with the same subscription share one set (the assignors read it once).
    const shared = new Map<string, Set<TopicId>>();
    for (const m of group.members.values()) {
      const names = group.subscribedNames(m);
      const key = [...names].sort().join("\u0000");
      let ids = shared.get(key);
      if (ids === undefined) {
        ids = new Set();
        for (const n of names) {
          const t = topicsView.byName(n);
          if (t === undefined) continue;
          ids.add(t.id);
          topics.set(t.id, t);
        }
        shared.set(key, ids);
      }
      members.set(m.memberId, {
        memberId: m.memberId,
        instanceId: m.instanceId,
        rackId: m.rackId,
        subscribedTopicIds: ids,
        current: group.targetOf(m.memberId),
      });
    }
    const result = assignor.assign({ members, topics });
    group.target.clear();
    for (const [id, a] of result) group.target.set(id, a);
    group.targetEpoch = group.groupEpoch;
    group.assignorName = name;
    group.dirty = true;
  }
}
