// The controller's assignment document and its pure computation: which gateway leads each partition (every topic's
// and `__consumer_offsets`'), with which leader epoch. The controller (controller.ts) computes the next document
// from the previous one, the topics and the live members; every gateway (node.ts) applies it.
//
// Rules (each covered by tests/unit/cluster_assignment_test.ts):
// - sticky: a partition stays with its leader while that leader (the same incarnation) is live;
// - balanced per topic: each live gateway leads floor(P/n) or ceil(P/n) of a topic's P partitions, the extra ones
//   going first to gateways that hold them already, then to the least loaded over all topics;
// - local when free: a partition that needs a (new) leader goes first to a gateway the input prefers for it (the
//   one co-located with the partition's SeaweedMQ leader broker, `TopicSize.preferred`) among those below their
//   share; preference decides which gateways get a topic's extra partitions only between equally loaded ones, and
//   when a gateway must give partitions up, it gives up those it is not preferred for first. Balance and
//   stickiness come first: a live leader never loses a partition for locality alone. A preference naming every
//   live gateway (or none) says nothing and is ignored;
// - safe hand-over: taking a partition from a live gateway A is two documents: first leader -1 with A named as
//   "releasing" at that version; only once A reports it applied that version (or A is no longer live) is it given
//   to another gateway. A dead leader's partitions move in one step (the dead gateway fenced itself already);
// - epochs: every new leader gets epoch + 1 (a new partition starts at 0); -1 rows keep the last epoch, so epochs
//   never go backwards, also across controllers (the document is the only memory). A restarted gateway has a new
//   incarnation and counts as a new leader;
// - placed partitions: a partition reassigned to a gateway (AlterPartitionReassignments: `placed`, the partition's
//   one replica as Kafka's tools see it) is led by that gateway whenever it is live, moved there with the same safe
//   hand-over, and left out of the topic's balancing; while that gateway is not live, the partition is balanced
//   like any other and goes back once it is (Kafka's preferred leader with auto.leader.rebalance.enable).

/** A gateway in the document: how clients reach it, and the incarnation (process start) it is known under. */
export interface AssignedBroker {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
  readonly incarnation: string;
}

/** A partition taken from a live gateway and not yet confirmed released by it. */
export interface Releasing {
  readonly partition: number;
  readonly node: number;
  readonly incarnation: string;
  /** Document version that took it away: the gateway has released it once it applied this version. */
  readonly version: number;
}

export interface TopicAssignment {
  readonly name: string;
  /** Leader node id per partition, -1 for none; a leader always is one of the document's brokers. */
  readonly leaders: readonly number[];
  /** Leader epoch per partition (-1 for a partition that never had a leader). */
  readonly epochs: readonly number[];
  readonly releasing?: readonly Releasing[];
  /** The gateway each partition was reassigned to (-1: none, the controller places it); absent when none is. */
  readonly placed?: readonly number[];
}

export interface AssignmentDoc {
  /** Increases by one with every document written (compare-and-set in the filer keeps it linear). */
  readonly version: number;
  readonly controllerId: number;
  /** Live gateways, by node id. A partition's leader incarnation is its broker's here. */
  readonly brokers: readonly AssignedBroker[];
  /** Topics by name (an array: topic names such as "__proto__" are valid Kafka names). */
  readonly topics: readonly TopicAssignment[];
}

/** A live member as the controller sees it: its lease entry's address, incarnation and applied version. */
export interface LiveMember extends AssignedBroker {
  readonly applied: number;
}

export interface TopicSize {
  readonly name: string;
  readonly partitions: number;
  /**
   * Per partition, the gateways (node ids) preferred as its leader: co-located with its SeaweedMQ leader broker.
   * Optional; missing or empty entries mean no preference.
   */
  readonly preferred?: readonly (readonly number[] | undefined)[];
}

const byNode = (a: { nodeId: number }, b: { nodeId: number }) => a.nodeId - b.nodeId;

/** A partition's requested placement: a gateway, or null to cancel a reassignment (AlterPartitionReassignments). */
export interface Placement {
  readonly topic: string;
  readonly partition: number;
  readonly node: number | null;
}

/** Why a placement is refused: Kafka's error name and message. */
export interface PlacementRefusal {
  readonly error: "UNKNOWN_TOPIC_OR_PARTITION" | "INVALID_REPLICA_ASSIGNMENT" | "NO_REASSIGNMENT_IN_PROGRESS";
  readonly message: string;
}

/** Why a placement is refused, or null when it can be recorded. */
export function placementProblem(doc: AssignmentDoc, p: Placement): PlacementRefusal | null {
  const t = doc.topics.find((x) => x.name === p.topic);
  if (t === undefined || p.partition < 0 || p.partition >= t.leaders.length) {
    return {
      error: "UNKNOWN_TOPIC_OR_PARTITION",
      message: `Unable to find partition ${p.topic}-${p.partition}.`,
    };
  }
  if (p.node === null) {
    const target = t.placed?.[p.partition] ?? -1;
    if (target < 0 || t.leaders[p.partition] === target) {
      return {
        error: "NO_REASSIGNMENT_IN_PROGRESS",
        message: `No ongoing reassignment for ${p.topic}-${p.partition}.`,
      };
    }
    return null;
  }
  if (!doc.brokers.some((b) => b.nodeId === p.node)) {
    const live = doc.brokers.map((b) => b.nodeId).join(", ");
    return {
      error: "INVALID_REPLICA_ASSIGNMENT",
      message:
        `The manual partition assignment includes broker ${p.node}, which is not alive (live: ${live}).`,
    };
  }
  return null;
}

/**
 * `doc` with the placements recorded (the next version; leaders unchanged: the controller moves them), or `doc`
 * itself when none changes anything. Placements must have passed placementProblem.
 */
export function withPlacements(doc: AssignmentDoc, placements: readonly Placement[]): AssignmentDoc {
  let changed = false;
  const topics = doc.topics.map((t) => {
    const mine = placements.filter((p) => p.topic === t.name);
    if (mine.length === 0) return t;
    const placed = t.placed ? [...t.placed] : t.leaders.map(() => -1);
    for (const p of mine) {
      const v = p.node ?? -1;
      if (placed[p.partition] !== v) {
        placed[p.partition] = v;
        changed = true;
      }
    }
    const { placed: _, ...rest } = t;
    return placed.some((n) => n >= 0) ? { ...rest, placed } : rest;
  });
  return changed ? { ...doc, version: doc.version + 1, topics } : doc;
}

/**
 * The next document, or `prev` itself when nothing would change. `live` are the members the controller judges
 * alive; `topics` every topic (with `__consumer_offsets` among them); `firstVersion` the version of a first
 * document (no `prev`).
 */
export function computeAssignment(
  prev: AssignmentDoc | null,
  topics: readonly TopicSize[],
  live: readonly LiveMember[],
  controllerId: number,
  firstVersion = 1,
): AssignmentDoc {
  const version = prev === null ? firstVersion : prev.version + 1;
  const members = [...live].sort(byNode);
  const liveById = new Map(members.map((m) => [m.nodeId, m]));
  const prevIncarnation = new Map((prev?.brokers ?? []).map((b) => [b.nodeId, b.incarnation]));
  const prevTopics = new Map((prev?.topics ?? []).map((t) => [t.name, t]));
  const isLive = (node: number, incarnation: string | undefined) =>
    incarnation !== undefined && liveById.get(node)?.incarnation === incarnation;
  /** Partitions led per member over the topics placed so far (tie-breaks towards the least loaded). */
  const load = new Map(members.map((m) => [m.nodeId, 0]));
  const out: TopicAssignment[] = [];

  for (const t of [...topics].sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) {
    const old = prevTopics.get(t.name);
    const leaders: number[] = [];
    const epochs: number[] = [];
    const releasing = new Map<number, Releasing>();
    const oldReleasing = new Map((old?.releasing ?? []).map((r) => [r.partition, r]));
    const placed = old?.placed && old.placed.length > 0
      ? Array.from({ length: t.partitions }, (_, p) => old.placed![p] ?? -1)
      : null;
    for (let p = 0; p < t.partitions; p++) {
      let leader = old?.leaders[p] ?? -1;
      // a leader that is gone, dead or restarted (another incarnation) has fenced itself: its partitions are free
      if (leader >= 0 && !isLive(leader, prevIncarnation.get(leader))) leader = -1;
      leaders.push(leader);
      epochs.push(old?.epochs[p] ?? -1);
      const r = oldReleasing.get(p);
      if (leader === -1 && r && isLive(r.node, r.incarnation) && liveById.get(r.node)!.applied < r.version) {
        releasing.set(p, r); // still waiting for that gateway to let go
      }
    }
    /** A placed partition whose gateway is live: led by it, after its current leader released it. */
    const place = (p: number, m: LiveMember): void => {
      const l = leaders[p];
      if (l === m.nodeId) {
        load.set(l, load.get(l)! + 1);
        return;
      }
      if (l >= 0) {
        // taken from a live gateway: released first (the same two documents as a rebalance)
        leaders[p] = -1;
        releasing.set(p, { partition: p, node: l, incarnation: liveById.get(l)!.incarnation, version });
        return;
      }
      if (releasing.has(p)) return; // still waiting for the previous leader to let go
      leaders[p] = m.nodeId;
      epochs[p] = epochs[p] + 1;
      load.set(m.nodeId, load.get(m.nodeId)! + 1);
    };
    const balanced: number[] = [];
    for (let p = 0; p < t.partitions; p++) {
      const target = placed?.[p] ?? -1;
      if (target >= 0 && liveById.has(target)) place(p, liveById.get(target)!);
      else balanced.push(p);
    }
    if (members.length > 0) {
      const prefer = preferences(t, members);
      balance(balanced, leaders, epochs, releasing, members, load, version, prefer);
    }
    out.push({
      name: t.name,
      leaders,
      epochs,
      ...(releasing.size > 0
        ? { releasing: [...releasing.values()].sort((a, b) => a.partition - b.partition) }
        : {}),
      ...(placed !== null && placed.some((n) => n >= 0) ? { placed } : {}),
    });
  }

  const next: AssignmentDoc = {
    version,
    controllerId,
    brokers: members.map((m) => ({
      nodeId: m.nodeId,
      host: m.host,
      port: m.port,
      rack: m.rack,
      incarnation: m.incarnation,
    })),
    topics: out,
  };
  return prev !== null && sameAssignment(prev, next) ? prev : next;
}

/**
 * Per partition, the live gateways preferred as its leader, or null: unknown ids are dropped, and a preference
 * naming every live gateway gives no information (all co-located, as on one host) and counts as none.
 */
function preferences(t: TopicSize, members: readonly LiveMember[]): (Set<number> | null)[] {
  const out: (Set<number> | null)[] = [];
  const liveIds = new Set(members.map((m) => m.nodeId));
  for (let p = 0; p < t.partitions; p++) {
    const set = new Set((t.preferred?.[p] ?? []).filter((id) => liveIds.has(id)));
    out.push(set.size > 0 && set.size < members.length ? set : null);
  }
  return out;
}

/**
 * Moves excess partitions to "releasing" and gives free ones to the gateways below their share, among `parts` (the
 * topic's partitions that are not placed on a live gateway).
 */
function balance(
  parts: readonly number[],
  leaders: number[],
  epochs: number[],
  releasing: Map<number, Releasing>,
  members: readonly LiveMember[],
  load: Map<number, number>,
  version: number,
  prefer: readonly (Set<number> | null)[],
): void {
  const partitions = parts.length;
  const count = new Map(members.map((m) => [m.nodeId, 0]));
  for (const p of parts) if (leaders[p] >= 0) count.set(leaders[p], count.get(leaders[p])! + 1);
  const base = Math.floor(partitions / members.length);
  const quota = new Map(members.map((m) => [m.nodeId, base]));
  // free partitions (no leader) that prefer each gateway
  const wanted = new Map(members.map((m) => [m.nodeId, 0]));
  for (const p of parts) {
    if (leaders[p] !== -1 || !prefer[p]) continue;
    for (const id of prefer[p]!) wanted.set(id, wanted.get(id)! + 1);
  }
  // the extra partitions go to those holding more than the base share already (no move), then the least loaded,
  // then, between equally loaded ones, those preferred by more free partitions
  const order = [...members].sort((a, b) =>
    Number(count.get(b.nodeId)! > base) - Number(count.get(a.nodeId)! > base) ||
    load.get(a.nodeId)! - load.get(b.nodeId)! || wanted.get(b.nodeId)! - wanted.get(a.nodeId)! ||
    a.nodeId - b.nodeId
  );
  for (const m of order.slice(0, partitions % members.length)) quota.set(m.nodeId, base + 1);

  // a gateway above its share gives up first the partitions it is not preferred for (the same number moves)
  const prefers = (p: number, node: number) => prefer[p]?.has(node) ?? false;
  for (let pass = 0; pass < 2; pass++) {
    for (let i = parts.length - 1; i >= 0; i--) {
      const p = parts[i];
      const l = leaders[p];
      if (l < 0 || count.get(l)! <= quota.get(l)!) continue;
      if (pass === 0 && prefers(p, l)) continue;
      count.set(l, count.get(l)! - 1);
      leaders[p] = -1;
      releasing.set(p, {
        partition: p,
        node: l,
        incarnation: members.find((m) => m.nodeId === l)!.incarnation,
        version,
      });
    }
  }

  /** The gateway below its share with the largest deficit (then the least loaded), among `allowed` if given. */
  const pick = (allowed: Set<number> | null): LiveMember | null => {
    let best: LiveMember | null = null;
    let bestDeficit = 0;
    for (const m of members) {
      if (allowed && !allowed.has(m.nodeId)) continue;
      const deficit = quota.get(m.nodeId)! - count.get(m.nodeId)!;
      if (deficit <= 0) continue;
      if (
        best === null || deficit > bestDeficit ||
        (deficit === bestDeficit && load.get(m.nodeId)! < load.get(best.nodeId)!)
      ) {
        best = m;
        bestDeficit = deficit;
      }
    }
    return best;
  };
  const give = (p: number, m: LiveMember) => {
    leaders[p] = m.nodeId;
    epochs[p] = epochs[p] + 1;
    count.set(m.nodeId, count.get(m.nodeId)! + 1);
  };
  const free: number[] = [];
  for (const p of parts) if (leaders[p] === -1 && !releasing.has(p)) free.push(p);
  // first the free partitions to a preferred gateway below its share (the most particular ones first) ...
  const particular = free.filter((p) => prefer[p]).sort((a, b) => prefer[a]!.size - prefer[b]!.size || a - b);
  for (const p of particular) {
    const m = pick(prefer[p]);
    if (m) give(p, m);
  }
  // ... then the rest to whoever is below its share
  for (const p of free) {
    if (leaders[p] !== -1) continue;
    const m = pick(null);
    if (m === null) break; // quotas sum to the partition count: cannot happen
    give(p, m);
  }
  for (const m of members) load.set(m.nodeId, load.get(m.nodeId)! + count.get(m.nodeId)!);
}

function sameAssignment(a: AssignmentDoc, b: AssignmentDoc): boolean {
  if (a.controllerId !== b.controllerId) return false;
  const strip = (d: AssignmentDoc) => JSON.stringify({ brokers: d.brokers, topics: d.topics });
  return strip(a) === strip(b);
}

export class AssignmentFormatError extends Error {
  override name = "AssignmentFormatError";
}

const isInt = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v);

/** Validates a parsed document (written by any gateway version): throws AssignmentFormatError naming the field. */
export function parseAssignment(v: unknown): AssignmentDoc {
  const fail = (what: string): never => {
    throw new AssignmentFormatError(`assignment document: ${what}`);
  };
  if (v === null || typeof v !== "object") fail("not an object");
  const o = v as Record<string, unknown>;
  if (!isInt(o.version) || o.version < 1) fail("bad version");
  if (!isInt(o.controllerId)) fail("bad controllerId");
  if (!Array.isArray(o.brokers)) fail("no brokers");
  if (!Array.isArray(o.topics)) fail("no topics");
  const brokers = (o.brokers as unknown[]).map((b): AssignedBroker => {
    const x = b as Record<string, unknown>;
    if (
      !isInt(x?.nodeId) || typeof x.host !== "string" || !isInt(x.port) ||
      typeof x.incarnation !== "string" || (x.rack !== null && typeof x.rack !== "string")
    ) fail(`bad broker ${JSON.stringify(b)}`);
    return {
      nodeId: x.nodeId as number,
      host: x.host as string,
      port: x.port as number,
      rack: x.rack as string | null,
      incarnation: x.incarnation as string,
    };
  });
  const topics = (o.topics as unknown[]).map((t): TopicAssignment => {
    const x = t as Record<string, unknown>;
    if (
      typeof x?.name !== "string" || !Array.isArray(x.leaders) || !Array.isArray(x.epochs) ||
      x.leaders.length !== x.epochs.length || !x.leaders.every(isInt) || !x.epochs.every(isInt)
    ) fail(`bad topic ${JSON.stringify(x?.name)}`);
    const releasing = x.releasing === undefined
      ? undefined
      : (x.releasing as unknown[]).map((r): Releasing => {
        const y = r as Record<string, unknown>;
        if (
          !isInt(y?.partition) || !isInt(y.node) || typeof y.incarnation !== "string" || !isInt(y.version)
        ) {
          fail(`bad releasing entry in topic ${x.name}`);
        }
        return {
          partition: y.partition as number,
          node: y.node as number,
          incarnation: y.incarnation as string,
          version: y.version as number,
        };
      });
    if (
      x.placed !== undefined &&
      (!Array.isArray(x.placed) || x.placed.length !== (x.leaders as number[]).length ||
        !x.placed.every(isInt))
    ) fail(`bad placed in topic ${x.name}`);
    return {
      name: x.name as string,
      leaders: x.leaders as number[],
      epochs: x.epochs as number[],
      ...(releasing ? { releasing } : {}),
      ...(x.placed !== undefined ? { placed: x.placed as number[] } : {}),
    };
  });
  return { version: o.version as number, controllerId: o.controllerId as number, brokers, topics };
}
