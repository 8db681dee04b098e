// The GroupStore writes of a coordinator, run under the coordinator runtime's shard of the group's
// `__consumer_offsets` partition (src/coordinator/runtime.ts write()). A store write is a blind overwrite (the
// filer's compare-and-set, UpdateEntry with expected extended attributes, would cost a lookup and a conditional
// write per committed partition, and the offset files keep SeaweedFS's gateway's layout); what keeps a stale gateway
// from moving committed offsets backwards (or resurrecting a deleted group) is that only the group's current
// coordinator writes, in this order:
// - acquire reads the partition's groups and offsets fresh from the store (no cache survives a release), after the
//   previous coordinator's release waited for its writes in flight;
// - every write checks, as it starts, that the shard is active here and that the cluster lets this gateway
//   coordinate the group now (serving it, lease fresh), else it is refused with NOT_COORDINATOR;
// - release closes the shard first (later writes are refused), then waits, bounded, for the writes in flight;
// - a write that outlives its shard is answered NOT_COORDINATOR (it may be durable; the client retries the same
//   commit on the new coordinator), and its result is not kept in memory.
// What remains is a write issued just before this gateway's lease lapsed that lands after the next coordinator read
// the partition: it stores a value a member committed under the old coordinator, never one older than what the
// old coordinator had stored, and the next commit replaces it.
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import type { CommittedOffset, GroupWrites, StoredGroup } from "../storage/group_store.ts";
import type { CoordinatorRuntime } from "../coordinator/runtime.ts";

export function notCoordinator(groupId: string, why: string): KafkaError {
  return new KafkaError(ErrorCode.NOT_COORDINATOR, `group ${groupId}: ${why}`);
}

export class FencedGroupStore implements GroupWrites {
  constructor(
    private readonly inner: GroupWrites,
    private readonly runtime: CoordinatorRuntime,
    private readonly partitionOf: (groupId: string) => number,
  ) {}

  commitOffsets(groupId: string, offsets: readonly CommittedOffset[]): Promise<void> {
    return this.run(groupId, () => this.inner.commitOffsets(groupId, offsets));
  }

  deleteOffsets(groupId: string, partitions: readonly { topic: string; partition: number }[]): Promise<void> {
    return this.run(groupId, () => this.inner.deleteOffsets(groupId, partitions));
  }

  saveGroup(group: StoredGroup): Promise<void> {
    return this.run(group.groupId, () => this.inner.saveGroup(group));
  }

  saveConsumerGroup(groupId: string, state: Uint8Array): Promise<void> {
    return this.run(groupId, () => this.inner.saveConsumerGroup(groupId, state));
  }

  deleteGroup(groupId: string): Promise<void> {
    return this.run(groupId, () => this.inner.deleteGroup(groupId));
  }

  private run(groupId: string, write: () => Promise<void>): Promise<void> {
    return this.runtime.write(this.partitionOf(groupId), `group ${groupId}`, write);
  }
}
