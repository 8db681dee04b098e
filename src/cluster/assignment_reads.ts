// What a gateway reads from the assignment document it applies (node.ts): the partitions the document gives one
// incarnation of it, and the partition reassignments under way. Pure functions of the document: the controller
// writes it (assignment.ts, controller.ts), every gateway reads it with these.
import type { AssignmentDoc } from "./assignment.ts";
import { CONSUMER_OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC } from "./view.ts";

/** A partition given to a gateway, with the leader epoch it is to be served under. */
export type Want = { readonly topic: string; readonly partition: number; readonly epoch: number };

/** The key of a partition in the maps of partitions held and of their acquires and releases (node.ts). */
const keyOf = (topic: string, partition: number) => `${partition}/${topic}`;

/** The partitions the document gives incarnation `incarnation` of gateway `nodeId`, by key. */
export function wantedBy(doc: AssignmentDoc, nodeId: number, incarnation: string): Map<string, Want> {
  const out = new Map<string, Want>();
  const me = doc.brokers.find((b) => b.nodeId === nodeId);
  if (!me || me.incarnation !== incarnation) return out;
  for (const t of doc.topics) {
    // Never assigned on its own (a controller of another version may list it): it follows __consumer_offsets.
    if (t.name === TRANSACTION_STATE_TOPIC) continue;
    for (let p = 0; p < t.leaders.length; p++) {
      if (t.leaders[p] === nodeId) {
        out.set(keyOf(t.name, p), { topic: t.name, partition: p, epoch: t.epochs[p] });
        // The leader of __consumer_offsets partition p (the coordinator of its transactional ids) also leads
        // __transaction_state partition p, with the same epoch, and releases it with it.
        if (t.name === CONSUMER_OFFSETS_TOPIC) {
          out.set(keyOf(TRANSACTION_STATE_TOPIC, p), {
            topic: TRANSACTION_STATE_TOPIC,
            partition: p,
            epoch: t.epochs[p],
          });
        }
      }
    }
  }
  return out;
}

/** Partitions reassigned to a gateway that does not lead them yet (ListPartitionReassignments). */
export function reassignmentsIn(
  doc: AssignmentDoc | null,
): { topic: string; partition: number; current: number; target: number }[] {
  const out = [];
  for (const t of doc?.topics ?? []) {
    if (t.placed === undefined) continue;
    for (let p = 0; p < t.placed.length; p++) {
      const target = t.placed[p];
      if (target < 0 || t.leaders[p] === target) continue;
      // mid hand-over (leader -1) the partition is still held by the gateway releasing it
      const current = t.leaders[p] >= 0
        ? t.leaders[p]
        : t.releasing?.find((r) => r.partition === p)?.node ?? -1;
      out.push({ topic: t.name, partition: p, current, target });
    }
  }
  return out;
}
