// Fixtures of the group coordinator unit tests: an in-memory GroupStore, a coordinator on a manual clock, and
// JoinGroup/SyncGroup/OffsetCommit calls with the usual defaults.
import { GroupCoordinator } from "../../src/groups/coordinator.ts";
import type { JoinArgs } from "../../src/groups/classic/join.ts";
import type { SyncArgs } from "../../src/groups/classic/membership.ts";
import type { JoinResult, SyncResult } from "../../src/groups/classic/group.ts";
import type { CommitArgs } from "../../src/groups/offsets/contract.ts";
import type { Clock } from "../../src/groups/clock.ts";
import {
  type CommittedOffset,
  type GroupStore,
  type LoadedGroupState,
  offsetKey,
  type StoredGroup,
} from "../../src/storage/group_store.ts";
import { logger } from "../../src/log.ts";
import { ManualClock } from "../helpers/clock.ts";

/** In-memory GroupStore with the same replace/delete semantics as a real one. */
export class MemoryStore implements GroupStore {
  groups = new Map<string, StoredGroup>();
  offsets = new Map<string, Map<string, CommittedOffset>>();
  consumerGroups = new Map<string, Uint8Array>();
  load(): Promise<LoadedGroupState> {
    return Promise.resolve({
      groups: new Map(this.groups),
      offsets: new Map(this.offsets),
      consumerGroups: new Map(this.consumerGroups),
    });
  }
  commitOffsets(groupId: string, offsets: readonly CommittedOffset[]): Promise<void> {
    let m = this.offsets.get(groupId);
    if (!m) this.offsets.set(groupId, m = new Map());
    for (const o of offsets) m.set(offsetKey(o.topic, o.partition), o);
    return Promise.resolve();
  }
  deleteOffsets(groupId: string, partitions: readonly { topic: string; partition: number }[]): Promise<void> {
    for (const p of partitions) this.offsets.get(groupId)?.delete(offsetKey(p.topic, p.partition));
    return Promise.resolve();
  }
  saveGroup(g: StoredGroup): Promise<void> {
    this.consumerGroups.delete(g.groupId);
    this.groups.set(g.groupId, g);
    return Promise.resolve();
  }
  saveConsumerGroup(groupId: string, state: Uint8Array): Promise<void> {
    this.groups.delete(groupId);
    this.consumerGroups.set(groupId, state);
    return Promise.resolve();
  }
  deleteGroup(groupId: string): Promise<void> {
    this.groups.delete(groupId);
    this.consumerGroups.delete(groupId);
    this.offsets.delete(groupId);
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

export const OPTS = {
  initialRebalanceDelayMs: 0,
  minSessionTimeoutMs: 100,
  maxSessionTimeoutMs: 60000,
  maxGroupSize: 1000,
  offsetsRetentionMs: 60_000,
  offsetsRetentionCheckIntervalMs: 3_600_000,
  offsetMetadataMaxBytes: 64,
};

/**
 * A started coordinator on `clock` (a manual one by default: session and rebalance timeouts pass only when a test
 * advances it; null: the real clock). Partitions t-0..t-3 exist.
 */
export async function coordinator(
  store: GroupStore = new MemoryStore(),
  opts: Partial<typeof OPTS> = {},
  clock: Clock | null = new ManualClock(),
): Promise<GroupCoordinator> {
  const c = new GroupCoordinator(
    store,
    { ...OPTS, ...opts, ...(clock !== null ? { clock } : {}) },
    logger("test"),
    (t, p) => t === "t" && p >= 0 && p < 4,
  );
  await c.start();
  return c;
}

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** JoinGroup of a new member of group "g" (session 10 s, rebalance timeout 2 s) unless overridden. */
export function join(c: GroupCoordinator, over: Partial<JoinArgs> = {}): Promise<JoinResult> {
  return c.join({
    groupId: "g",
    memberId: "",
    groupInstanceId: null,
    clientId: "client",
    clientHost: "/127.0.0.1",
    sessionTimeoutMs: 10000,
    rebalanceTimeoutMs: 2000,
    protocolType: "consumer",
    protocols: [{ name: "range", metadata: enc("m") }],
    requireKnownMemberId: false,
    reason: null,
    ...over,
  });
}

/** SyncGroup of group "g" without assignments unless overridden. */
export function sync(
  c: GroupCoordinator,
  over: Partial<SyncArgs> & Pick<SyncArgs, "memberId" | "generationId">,
): Promise<SyncResult> {
  return c.sync({
    groupId: "g",
    groupInstanceId: null,
    protocolType: null,
    protocolName: null,
    assignments: [],
    ...over,
  });
}

/** OffsetCommit of t-0 to group "g"; resolves to the partition's error code. */
export async function commit(c: GroupCoordinator, over: Partial<CommitArgs> = {}): Promise<number> {
  const codes = await c.commit({
    groupId: "g",
    generationId: -1,
    memberId: "",
    groupInstanceId: null,
    retentionTimeMs: -1,
    offsets: [{ topic: "t", partition: 0, offset: 1, leaderEpoch: -1, metadata: null }],
    ...over,
  });
  return codes.get(offsetKey("t", 0))!;
}
