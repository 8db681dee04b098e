// A share group's durable record: the whole group as versioned JSON bytes, tagged `"kind":"share"` so that the
// coordinator tells it from a consumer group's record in the GroupStore (one record per group id). It holds what
// Kafka's ShareGroup* records hold — group epoch, target assignment and its epoch, each member's subscription,
// epoch and assignment — so that after a restart or a coordinator move the members carry on at their epochs.
import { DecodeError } from "../../protocol/codec.ts";
import { fromRows, toRows } from "../consumer/assignment.ts";
import { ShareGroup, ShareMember } from "./group.ts";

const VERSION = 1;
const KIND = "share";
const enc = new TextEncoder();
const dec = new TextDecoder();

type Rows = { topicId: string; partitions: number[] }[];

interface MemberJson {
  memberId: string;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  subscribedTopicNames: readonly string[];
  memberEpoch: number;
  assigned: Rows;
  target: Rows;
}

interface GroupJson {
  kind: typeof KIND;
  version: number;
  groupId: string;
  groupEpoch: number;
  assignmentEpoch: number;
  metadataSignature: string;
  writtenAt: number;
  members: MemberJson[];
}

export function encodeShareGroup(g: ShareGroup, now: number): Uint8Array {
  const body: GroupJson = {
    kind: KIND,
    version: VERSION,
    groupId: g.groupId,
    groupEpoch: g.groupEpoch,
    assignmentEpoch: g.assignmentEpoch,
    metadataSignature: g.metadataSignature,
    writtenAt: now,
    members: [...g.members.values()].map((m) => ({
      memberId: m.memberId,
      rackId: m.rackId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      subscribedTopicNames: m.subscribedTopicNames,
      memberEpoch: m.memberEpoch,
      assigned: toRows(m.assigned),
      target: toRows(g.targetOf(m.memberId)),
    })),
  };
  return enc.encode(JSON.stringify(body));
}

/** How every share group record starts: encodeShareGroup writes `kind` first (JSON keeps insertion order). */
const TAG = enc.encode(`{"kind":${JSON.stringify(KIND)},`);

/**
 * Whether a group record is a share group's (the others are consumer groups'), by its first bytes: loading every
 * group of a `__consumer_offsets` partition parses each record once, in its own kind's decoder.
 */
export function isShareGroupRecord(bytes: Uint8Array): boolean {
  if (bytes.length < TAG.length) return false;
  for (let i = 0; i < TAG.length; i++) if (bytes[i] !== TAG[i]) return false;
  return true;
}

export function decodeShareGroup(bytes: Uint8Array): ShareGroup {
  let v: GroupJson;
  try {
    v = JSON.parse(dec.decode(bytes));
  } catch (e) {
    throw new DecodeError(`share group record: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (v.kind !== KIND || v.version !== VERSION) {
    throw new DecodeError(`share group record: kind ${v.kind} version ${v.version} unknown`);
  }
  const g = new ShareGroup(v.groupId);
  g.groupEpoch = v.groupEpoch;
  g.assignmentEpoch = v.assignmentEpoch;
  g.metadataSignature = v.metadataSignature;
  for (const j of v.members) {
    const m = new ShareMember(j.memberId);
    m.rackId = j.rackId;
    m.clientId = j.clientId;
    m.clientHost = j.clientHost;
    m.subscribedTopicNames = j.subscribedTopicNames;
    m.memberEpoch = j.memberEpoch;
    m.assigned = fromRows(j.assigned);
    g.members.set(m.memberId, m);
    g.target.set(m.memberId, fromRows(j.target));
  }
  return g;
}
