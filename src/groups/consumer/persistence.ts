// A consumer group's durable record: the whole group as versioned JSON bytes (opaque to the GroupStore, which keeps
// one record per group id). It holds what Kafka's consumer group records hold — group epoch, target assignment and
// its epoch, subscription metadata, each member's subscription, epochs, reconciliation state and assignment (and the
// classic part of a classic member) — so that after a restart or a coordinator move the members carry on at their
// epochs: nothing is reassigned, and a partition owned before is owned by the same member after.
import { DecodeError } from "../../protocol/codec.ts";
import { fromBase64, toBase64 } from "../../base64.ts";
import type { Assignment, MemberState } from "./contract.ts";
import { fromRows, toRows } from "./assignment.ts";
import { ConsumerGroup, ConsumerMember } from "./group.ts";

const VERSION = 1;
const KNOWN_STATES: ReadonlySet<string> = new Set<MemberState>([
  "STABLE",
  "UNREVOKED_PARTITIONS",
  "UNRELEASED_PARTITIONS",
  "UNKNOWN",
]);
const enc = new TextEncoder();
const dec = new TextDecoder();

type Rows = { topicId: string; partitions: number[] }[];

interface MemberJson {
  memberId: string;
  instanceId: string | null;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  subscribedTopicNames: readonly string[];
  subscribedTopicRegex: string | null;
  serverAssignor: string | null;
  state: MemberState;
  memberEpoch: number;
  previousMemberEpoch: number;
  assigned: Rows;
  pendingRevocation: Rows;
  target: Rows;
  classic: { sessionTimeoutMs: number; protocols: { name: string; metadata: string }[] } | null;
}

interface GroupJson {
  version: number;
  groupId: string;
  groupEpoch: number;
  targetEpoch: number;
  metadataSignature: string;
  assignorName: string;
  writtenAt: number;
  members: MemberJson[];
}

export function encodeConsumerGroup(g: ConsumerGroup, now: number): Uint8Array {
  const body: GroupJson = {
    version: VERSION,
    groupId: g.groupId,
    groupEpoch: g.groupEpoch,
    targetEpoch: g.targetEpoch,
    metadataSignature: g.metadataSignature,
    assignorName: g.assignorName,
    writtenAt: now,
    members: [...g.members.values()].map((m) => ({
      memberId: m.memberId,
      instanceId: m.instanceId,
      rackId: m.rackId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      rebalanceTimeoutMs: m.rebalanceTimeoutMs,
      subscribedTopicNames: m.subscribedTopicNames,
      subscribedTopicRegex: m.subscribedTopicRegex,
      serverAssignor: m.serverAssignor,
      state: m.state,
      memberEpoch: m.memberEpoch,
      previousMemberEpoch: m.previousMemberEpoch,
      assigned: toRows(m.assigned),
      pendingRevocation: toRows(m.pendingRevocation),
      target: toRows(g.targetOf(m.memberId)),
      classic: m.classic === null ? null : {
        sessionTimeoutMs: m.classic.sessionTimeoutMs,
        protocols: m.classic.protocols.map((p) => ({ name: p.name, metadata: toBase64(p.metadata) })),
      },
    })),
  };
  return enc.encode(JSON.stringify(body));
}

/** The group a record describes; throws DecodeError for a record this version cannot read. */
export function decodeConsumerGroup(bytes: Uint8Array): ConsumerGroup {
  let body: GroupJson;
  try {
    body = JSON.parse(dec.decode(bytes));
  } catch (e) {
    throw new DecodeError(`consumer group record is not JSON: ${e instanceof Error ? e.message : e}`);
  }
  if (
    body === null || typeof body !== "object" || body.version !== VERSION || typeof body.groupId !== "string"
  ) {
    throw new DecodeError(`consumer group record of an unknown version (${body?.version})`);
  }
  const g = new ConsumerGroup(body.groupId);
  g.groupEpoch = body.groupEpoch;
  g.targetEpoch = body.targetEpoch;
  g.metadataSignature = body.metadataSignature;
  g.assignorName = body.assignorName;
  for (const mj of body.members) {
    const m = new ConsumerMember(mj.memberId);
    m.instanceId = mj.instanceId;
    m.rackId = mj.rackId;
    m.clientId = mj.clientId;
    m.clientHost = mj.clientHost;
    m.rebalanceTimeoutMs = mj.rebalanceTimeoutMs;
    m.subscribedTopicNames = mj.subscribedTopicNames;
    m.subscribedTopicRegex = mj.subscribedTopicRegex;
    m.serverAssignor = mj.serverAssignor;
    m.state = KNOWN_STATES.has(mj.state) ? mj.state : "UNKNOWN";
    m.memberEpoch = mj.memberEpoch;
    m.previousMemberEpoch = mj.previousMemberEpoch;
    m.assigned = fromRows(mj.assigned);
    m.pendingRevocation = fromRows(mj.pendingRevocation);
    m.classic = mj.classic === null ? null : {
      sessionTimeoutMs: mj.classic.sessionTimeoutMs,
      protocols: mj.classic.protocols.map((p) => ({ name: p.name, metadata: fromBase64(p.metadata) })),
    };
    g.putMember(m);
    const target: Assignment = fromRows(mj.target);
    g.target.set(m.memberId, target);
  }
  return g;
}
