// Committed offsets and group metadata in the filer. Offsets use SeaweedFS's Kafka gateway layout and JSON
// (weed/mq/kafka/consumer_offset/filer_storage.go): /topics/kafka/.meta/consumer_offsets/<group>/<topic>/
// <partition>/offset holding {"type":"offset","value":N,"committed_at":<ms>,"metadata":"..."}, so users can move
// between the two gateways and keep their positions. Fields of ours ("leader_epoch", "expire_timestamp") are
// ignored by SeaweedFS's gateway (Go's JSON decoder skips unknown keys).
//
// Writes are blind overwrites (the filer's compare-and-set on extended attributes is used for the cluster's leases,
// not here: it would cost a conditional write per committed partition), and with several gateways on one
// cluster that is safe only because a single gateway writes a group's files at a time: its coordinator, whose
// writes are fenced by src/groups/fenced_store.ts (refused unless it holds the group's `__consumer_offsets`
// partition with a fresh lease; a release waits for writes in flight before the next coordinator reads the group
// afresh with load(filter)). A compare-before-write here would cost a lookup per committed partition and still
// race, so the rule lives in the coordinator.
//
// Group metadata is one file per group id in paths.groups: a classic group's GroupJson, or a consumer (KIP-848)
// group's ConsumerGroupJson ({"kind":"consumer", state: base64 of the opaque snapshot}). Sharing the file makes
// "one record per group id" hold by construction: either save overwrites the other in one filer write. A gateway
// predating consumer groups fails to read such a file as a classic group and ignores it (logged).
import {
  type CommittedOffset,
  type GroupStore,
  type LoadedGroupState,
  offsetKey,
  type StoredGroup,
  type StoredMember,
} from "../group_store.ts";
import type { Filer } from "./transport/filer.ts";
import { errorText, type LogFn } from "./context.ts";
import { fromPathName, json, type MetaPaths, parseJson, pathName } from "./meta.ts";
import { fromBase64, toBase64 } from "../../base64.ts";

const CONCURRENCY = 16;

async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (t: T) => Promise<void>,
): Promise<void> {
  let i = 0;
  const worker = async () => {
    while (i < items.length) await fn(items[i++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

interface OffsetJson {
  type?: string;
  value?: number;
  committed_at?: number;
  metadata?: string;
  leader_epoch?: number;
  expire_timestamp?: number;
}

interface ConsumerGroupJson {
  version: 1;
  kind: "consumer";
  groupId: string;
  /** base64 of the snapshot bytes. */
  state: string;
}

interface GroupJson {
  version: 1;
  /** Absent in files written before consumer groups existed. */
  kind?: "classic";
  groupId: string;
  protocolType: string | null;
  protocolName: string | null;
  generationId: number;
  leaderId: string | null;
  currentStateTimestamp: number;
  members: {
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    rebalanceTimeoutMs: number;
    sessionTimeoutMs: number;
    subscription: string;
    assignment: string;
  }[];
}

export class SeaweedMQGroupStore implements GroupStore {
  constructor(
    private readonly filer: Filer,
    private readonly paths: MetaPaths,
    private readonly log: LogFn,
  ) {}

  /** With `filter`, only the admitted groups' directories are listed and read (a coordinator's partitions). */
  async load(filter?: (groupId: string) => boolean): Promise<LoadedGroupState> {
    const admit = filter ?? (() => true);
    const offsets = new Map<string, Map<string, CommittedOffset>>();
    const groups = new Map<string, StoredGroup>();
    const consumerGroups = new Map<string, Uint8Array>();
    const files: { group: string; topic: string; partition: number; dir: string }[] = [];
    for (const g of await this.filer.list(this.paths.consumerOffsets)) {
      if (!g.isDirectory || !admit(fromPathName(g.name))) continue;
      const gdir = `${this.paths.consumerOffsets}/${g.name}`;
      for (const t of await this.filer.list(gdir)) {
        if (!t.isDirectory) continue;
        for (const p of await this.filer.list(`${gdir}/${t.name}`)) {
          if (!p.isDirectory || !/^\d+$/.test(p.name)) continue;
          files.push({
            group: fromPathName(g.name),
            topic: fromPathName(t.name),
            partition: Number(p.name),
            dir: `${gdir}/${t.name}/${p.name}`,
          });
        }
      }
    }
    await forEachLimit(files, CONCURRENCY, async (f) => {
      const e = await this.filer.lookup(f.dir, "offset");
      if (!e || e.content.length === 0) return;
      let o: OffsetJson;
      try {
        o = parseJson(e.content) as OffsetJson;
      } catch (err) {
        this.log("warn", `${f.dir}/offset: ${errorText(err)}; ignored`);
        return;
      }
      if ((o.type ?? "offset") !== "offset" || typeof o.value !== "number" || o.value < 0) return;
      let m = offsets.get(f.group);
      if (!m) offsets.set(f.group, m = new Map());
      m.set(offsetKey(f.topic, f.partition), {
        topic: f.topic,
        partition: f.partition,
        offset: o.value,
        leaderEpoch: typeof o.leader_epoch === "number" ? o.leader_epoch : -1,
        metadata: typeof o.metadata === "string" ? o.metadata : null,
        commitTimestamp: typeof o.committed_at === "number" ? o.committed_at : Date.now(),
        expireTimestamp: typeof o.expire_timestamp === "number" ? o.expire_timestamp : -1,
      });
    });
    for (const e of await this.filer.list(this.paths.groups)) {
      if (e.isDirectory || e.content.length === 0 || !admit(fromPathName(e.name))) continue;
      try {
        const parsed = parseJson(e.content) as GroupJson | ConsumerGroupJson;
        if (parsed.kind === "consumer") {
          if (typeof parsed.groupId !== "string" || typeof parsed.state !== "string") {
            throw new Error("consumer group record without groupId or state");
          }
          consumerGroups.set(parsed.groupId, fromBase64(parsed.state));
          continue;
        }
        const g = parsed;
        const members: StoredMember[] = g.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          rebalanceTimeoutMs: m.rebalanceTimeoutMs,
          sessionTimeoutMs: m.sessionTimeoutMs,
          subscription: fromBase64(m.subscription),
          assignment: fromBase64(m.assignment),
        }));
        groups.set(g.groupId, {
          groupId: g.groupId,
          protocolType: g.protocolType,
          protocolName: g.protocolName,
          generationId: g.generationId,
          leaderId: g.leaderId,
          currentStateTimestamp: g.currentStateTimestamp,
          members,
        });
      } catch (err) {
        this.log("warn", `group metadata ${e.name}: ${errorText(err)}; ignored`);
      }
    }
    return { groups, offsets, consumerGroups };
  }

  async commitOffsets(groupId: string, offsets: readonly CommittedOffset[]): Promise<void> {
    await Promise.all(offsets.map((o) => {
      const body: OffsetJson = {
        type: "offset",
        value: o.offset,
        committed_at: o.commitTimestamp,
        metadata: o.metadata ?? "",
        leader_epoch: o.leaderEpoch,
        expire_timestamp: o.expireTimestamp,
      };
      return this.filer.put(this.paths.offsetDir(groupId, o.topic, o.partition), "offset", json(body));
    }));
  }

  async deleteOffsets(
    groupId: string,
    partitions: readonly { topic: string; partition: number }[],
  ): Promise<void> {
    await Promise.all(partitions.map((p) => {
      const dir = this.paths.offsetDir(groupId, p.topic, p.partition);
      const i = dir.lastIndexOf("/");
      return this.filer.remove(dir.slice(0, i), dir.slice(i + 1), true);
    }));
  }

  async saveGroup(group: StoredGroup): Promise<void> {
    const body: GroupJson = {
      version: 1,
      kind: "classic",
      groupId: group.groupId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      generationId: group.generationId,
      leaderId: group.leaderId,
      currentStateTimestamp: group.currentStateTimestamp,
      members: group.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        sessionTimeoutMs: m.sessionTimeoutMs,
        subscription: toBase64(m.subscription),
        assignment: toBase64(m.assignment),
      })),
    };
    await this.filer.put(this.paths.groups, pathName(group.groupId), json(body));
  }

  async saveConsumerGroup(groupId: string, state: Uint8Array): Promise<void> {
    const body: ConsumerGroupJson = { version: 1, kind: "consumer", groupId, state: toBase64(state) };
    await this.filer.put(this.paths.groups, pathName(groupId), json(body));
  }

  async deleteGroup(groupId: string): Promise<void> {
    await Promise.all([
      this.filer.remove(this.paths.consumerOffsets, pathName(groupId), true),
      this.filer.remove(this.paths.groups, pathName(groupId), false),
    ]);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
