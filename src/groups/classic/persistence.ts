// What a classic group keeps in the GroupStore, as Kafka's GroupMetadataValue in __consumer_offsets: protocol,
// generation, leader, state timestamp and each member with its subscription (the chosen protocol's metadata
// only) and assignment. Written when a rebalance completes (before the members learn their assignment) and when
// the group empties; a group stored with members resumes Stable after a restart (or a coordinator move), its
// members keep heartbeating with their generation and get a fresh session from the load on, as Kafka's
// onGroupLoaded.
import type { StoredGroup, StoredMember } from "../../storage/group_store.ts";
import { EMPTY, Group, type GroupTimers, Member } from "./group.ts";

export function snapshot(group: Group): StoredGroup {
  const members: StoredMember[] = [...group.members.values()].map((m) => ({
    memberId: m.memberId,
    groupInstanceId: m.groupInstanceId,
    clientId: m.clientId,
    clientHost: m.clientHost,
    rebalanceTimeoutMs: m.rebalanceTimeoutMs,
    sessionTimeoutMs: m.sessionTimeoutMs,
    subscription: group.protocolName !== null ? m.metadataFor(group.protocolName) : EMPTY,
    assignment: m.assignment,
  }));
  return {
    groupId: group.groupId,
    protocolType: group.protocolType,
    protocolName: group.protocolName,
    generationId: group.generationId,
    leaderId: group.leaderId,
    currentStateTimestamp: group.stateTimestamp,
    members,
  };
}

export function restore(sg: StoredGroup, timers: GroupTimers): Group {
  const g = new Group(sg.groupId, timers);
  g.generationId = sg.generationId;
  g.protocolType = sg.protocolType;
  g.protocolName = sg.protocolName;
  if (sg.members.length > 0 && sg.protocolName !== null) {
    for (const sm of sg.members) {
      const m = new Member(
        sm.memberId,
        sm.groupInstanceId,
        sm.clientId,
        sm.clientHost,
        sm.rebalanceTimeoutMs,
        sm.sessionTimeoutMs,
        sg.protocolType ?? "",
        [{ name: sg.protocolName, metadata: sm.subscription }],
      );
      m.assignment = sm.assignment;
      g.add(m, sm.sessionTimeoutMs);
    }
    g.leaderId = sg.leaderId !== null && g.has(sg.leaderId) ? sg.leaderId : g.leaderId;
    // A group persisted with members resumes Stable: members keep heartbeating with their generation.
    g.state = "Stable";
    g.refreshSubscribedTopics();
  }
  g.stateTimestamp = sg.currentStateTimestamp;
  return g;
}
