// A share group's state: members with their epochs and subscriptions, the group epoch, and the target assignment
// with its epoch. A member's assignment is its part of the target (no revocation step: several members may read a
// partition at once), and its epoch is the target's once it heartbeats after the target moved.
import type { Assignment } from "../consumer/contract.ts";
import { EMPTY_ASSIGNMENT } from "../consumer/assignment.ts";
import { Deadline } from "../classic/deadlines.ts";
import type { ShareGroupState } from "./contract.ts";
import { CoalescedWrites } from "../../serial.ts";

export class ShareMember {
  rackId: string | null = null;
  clientId = "";
  clientHost = "";
  subscribedTopicNames: readonly string[] = [];
  memberEpoch = 0;
  /** The partitions it was last told (its part of the target at memberEpoch). */
  assigned: Assignment = EMPTY_ASSIGNMENT;
  /** Session: removed when it passes without a heartbeat. */
  readonly session = new Deadline();

  constructor(readonly memberId: string) {}
}

export class ShareGroup {
  groupEpoch = 0;
  /** The epoch the target assignment was computed for. */
  assignmentEpoch = 0;
  readonly members = new Map<string, ShareMember>();
  /** Each member's part of the target assignment. */
  readonly target = new Map<string, Assignment>();
  /** The subscribed topics' metadata (name:id:partitions) the group epoch was last bumped with. */
  metadataSignature = "";
  /** Set when the group leaves this coordinator (released, deleted): nothing more happens to it. */
  dead = false;
  /** Changed since its last write began. */
  dirty = false;
  readonly writes = new CoalescedWrites();

  constructor(readonly groupId: string) {}

  get state(): ShareGroupState {
    if (this.dead) return "Dead";
    return this.members.size === 0 ? "Empty" : "Stable";
  }

  targetOf(memberId: string): Assignment {
    return this.target.get(memberId) ?? EMPTY_ASSIGNMENT;
  }

  /** The sorted union of the members' subscribed topic names. */
  subscribedTopicNames(): string[] {
    const names = new Set<string>();
    for (const m of this.members.values()) for (const n of m.subscribedTopicNames) names.add(n);
    return [...names].sort();
  }
}
